//! Container image references (`registry/repository:tag@sha256:…`), checked before anything is
//! written: ECS accepts any string as an image and only fails when a task pulls it, minutes into
//! a deployment, and a Kubernetes manifest with a bad reference is only refused when its pod
//! cannot pull. Its own crate so that tools without the AWS SDK (gitops-update) share it.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// `123456789012.dkr.ecr.us-east-1.amazonaws.com`, `ghcr.io`, `localhost:5000`; `None` for
    /// Docker Hub short names.
    pub registry: Option<String>,
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

/// What a valid reference looks like, for error messages.
pub const IMAGE_HELP: &str = "an image reference such as 123456789012.dkr.ecr.us-east-1.amazonaws.com/api:v1.2.3, nginx:1.27 or repo@sha256:<64 hex digits> (lower-case repository, tag of letters, digits, '_', '.', '-')";

fn valid_component(c: &str) -> bool {
    // [a-z0-9]+ separated by one '.', '_', '__' or any number of '-'
    !c.is_empty()
        && c.starts_with(|ch: char| ch.is_ascii_lowercase() || ch.is_ascii_digit())
        && c.ends_with(|ch: char| ch.is_ascii_lowercase() || ch.is_ascii_digit())
        && c.chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || "._-".contains(ch))
        && !c.contains("..")
        && !c.contains("___")
}

fn valid_tag(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 128
        && t.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

fn valid_digest(d: &str) -> bool {
    d.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    })
}

impl ImageRef {
    /// Parses a reference; `None` when it is malformed.
    pub fn parse(text: &str) -> Option<ImageRef> {
        if text.is_empty() || text.len() > 1024 || text.contains(char::is_whitespace) {
            return None;
        }
        let (rest, digest) = match text.split_once('@') {
            Some((r, d)) => (r, Some(d)),
            None => (text, None),
        };
        if digest.is_some_and(|d| !valid_digest(d)) {
            return None;
        }
        // A tag is after the last ':' that follows the last '/'.
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
            None => (rest, None),
        };
        if tag.is_some_and(|t| !valid_tag(t)) {
            return None;
        }
        let mut parts: Vec<&str> = name.split('/').collect();
        let registry = if parts.len() > 1
            && (parts[0].contains('.') || parts[0].contains(':') || parts[0] == "localhost")
        {
            let host = parts.remove(0);
            let (hostname, port) = match host.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (host, None),
            };
            let ok = !hostname.is_empty()
                && hostname
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-".contains(c))
                && !hostname.starts_with(['.', '-'])
                && port.is_none_or(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
            if !ok {
                return None;
            }
            Some(host.to_owned())
        } else {
            None
        };
        if parts.is_empty() || !parts.iter().all(|p| valid_component(p)) {
            return None;
        }
        Some(ImageRef {
            registry,
            repository: parts.join("/"),
            tag: tag.map(str::to_owned),
            digest: digest.map(str::to_owned),
        })
    }

    /// `(account id, region)` when the registry is a private ECR registry.
    pub fn ecr(&self) -> Option<(&str, &str)> {
        let host = self.registry.as_deref()?;
        let mut it = host.split('.');
        let account = it.next()?;
        if it.next()? != "dkr" || it.next()? != "ecr" {
            return None;
        }
        let region = it.next()?;
        (account.len() == 12 && account.chars().all(|c| c.is_ascii_digit()))
            .then_some((account, region))
    }

    /// The same image with another tag (and no digest).
    pub fn with_tag(&self, tag: &str) -> ImageRef {
        ImageRef {
            tag: Some(tag.to_owned()),
            digest: None,
            ..self.clone()
        }
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(r) = &self.registry {
            write!(f, "{r}/")?;
        }
        f.write_str(&self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// Whether `tag` is a valid image tag.
pub fn is_valid_tag(tag: &str) -> bool {
    valid_tag(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_references() {
        let ecr = ImageRef::parse("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:v1.2.3")
            .unwrap();
        assert_eq!(ecr.repository, "team/api");
        assert_eq!(ecr.tag.as_deref(), Some("v1.2.3"));
        assert_eq!(ecr.ecr(), Some(("123456789012", "eu-west-1")));
        let d = format!("sha256:{}", "a".repeat(64));
        for text in [
            "nginx",
            "nginx:1.27",
            "library/nginx:latest",
            "localhost:5000/app:sha-abc123",
            "ghcr.io/org/app_x-y.z:dev-1",
            &format!("app@{d}"),
            &format!("reg.io/app:1@{d}"),
        ] {
            let r = ImageRef::parse(text).unwrap_or_else(|| panic!("{text} should parse"));
            assert_eq!(r.to_string(), text);
        }
        assert_eq!(ImageRef::parse("nginx").unwrap().ecr(), None);
    }

    #[test]
    fn malformed_references() {
        for text in [
            "",
            "Nginx:1",
            "app:",
            "app:-x",
            "app:a b",
            "app@sha256:abc",
            "app@md5:00",
            "reg.io/",
            "reg.io//app",
            "app:tag:extra/x",
            "-app",
            "app..x",
        ] {
            assert_eq!(ImageRef::parse(text), None, "{text:?} should not parse");
        }
    }

    #[test]
    fn retag() {
        let r = ImageRef::parse("reg.io/app:v2").unwrap();
        assert_eq!(r.with_tag("v1").to_string(), "reg.io/app:v1");
    }
}

//! Image names as files write them: splitting `repo:tag@digest` (a registry port is not a tag),
//! and Docker Hub's many spellings of one repository (`nginx`, `docker.io/nginx`,
//! `docker.io/library/nginx`, `index.docker.io/library/nginx`).

use gantry_image_ref::ImageRef;

use super::Target;

/// The hosts that all mean Docker Hub.
const DOCKER_HUB: &[&str] = &[
    "docker.io",
    "index.docker.io",
    "registry-1.docker.io",
    "registry.hub.docker.com",
];

/// A reference split into its repository (with registry), tag and digest, as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Parts<'a> {
    pub(super) repository: &'a str,
    pub(super) tag: Option<&'a str>,
    pub(super) digest: Option<&'a str>,
}

/// Splits `registry:port/repo:tag@digest`: the tag is after the last `:` that follows the last
/// `/`, so `localhost:5000/app` has no tag.
pub(super) fn split(reference: &str) -> Parts<'_> {
    let (rest, digest) = match reference.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (reference, None),
    };
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    match rest[last_slash..].rfind(':') {
        Some(i) => Parts {
            repository: &rest[..last_slash + i],
            tag: Some(&rest[last_slash + i + 1..]),
            digest,
        },
        None => Parts {
            repository: rest,
            tag: None,
            digest,
        },
    }
}

/// `repository[:tag][@digest]`.
pub(super) fn compose(repository: &str, tag: Option<&str>, digest: Option<&str>) -> String {
    let mut out = repository.to_owned();
    if let Some(tag) = tag {
        out.push(':');
        out.push_str(tag);
    }
    if let Some(digest) = digest {
        out.push('@');
        out.push_str(digest);
    }
    out
}

/// The first component of a name is a registry when it has a `.` or a `:`, or is `localhost`.
fn registry_of(name: &str) -> Option<(&str, &str)> {
    name.split_once('/')
        .filter(|(host, _)| host.contains(['.', ':']) || *host == "localhost")
}

/// One spelling for every name of a repository: `docker.io/library/nginx` for all of Docker
/// Hub's; other registries as written (their host in lower case).
pub(super) fn canonical(name: &str) -> String {
    let (host, path) = match registry_of(name) {
        Some((host, path)) => (host.to_ascii_lowercase(), path),
        None => ("docker.io".to_owned(), name),
    };
    if DOCKER_HUB.contains(&host.as_str()) {
        if path.contains('/') {
            format!("docker.io/{path}")
        } else {
            format!("docker.io/library/{path}")
        }
    } else {
        format!("{host}/{path}")
    }
}

/// Whether two names are the same repository.
pub(super) fn same(a: &str, b: &str) -> bool {
    a == b || canonical(a) == canonical(b)
}

/// Whether two registry hosts are the same (`None`: Docker Hub).
pub(super) fn same_registry(a: Option<&str>, b: Option<&str>) -> bool {
    let norm = |h: Option<&str>| {
        let h = h.unwrap_or("docker.io").to_ascii_lowercase();
        if DOCKER_HUB.contains(&h.as_str()) {
            "docker.io".to_owned()
        } else {
            h
        }
    };
    norm(a) == norm(b)
}

/// The new reference's repository with its registry (`reg.io/team/app`), without tag or digest.
pub(super) fn new_repository(new: &ImageRef) -> String {
    match &new.registry {
        Some(registry) => format!("{registry}/{}", new.repository),
        None => new.repository.clone(),
    }
}

/// Whether a repository written in a file is the target's: its `name`, or the new repository.
pub(super) fn is_target(repository: &str, target: &Target) -> bool {
    same(repository, &target.name) || same(repository, &new_repository(&target.new))
}

/// The repository to write where `old` was: `old` itself when it already names the new
/// repository (`nginx` stays `nginx` for `docker.io/library/nginx`), the new one otherwise.
pub(super) fn repository_to_write(old: &str, new: &ImageRef) -> String {
    let new = new_repository(new);
    if same(old, &new) { old.to_owned() } else { new }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits() {
        let d = "sha256:abc";
        for (text, repo, tag, digest) in [
            ("nginx", "nginx", None, None),
            ("nginx:1.27", "nginx", Some("1.27"), None),
            ("localhost:5000/app", "localhost:5000/app", None, None),
            (
                "localhost:5000/app:v1",
                "localhost:5000/app",
                Some("v1"),
                None,
            ),
            (
                "reg.io:443/a/b:v1@sha256:abc",
                "reg.io:443/a/b",
                Some("v1"),
                Some(d),
            ),
            ("app@sha256:abc", "app", None, Some(d)),
        ] {
            let parts = split(text);
            assert_eq!(
                (parts.repository, parts.tag, parts.digest),
                (repo, tag, digest),
                "{text}"
            );
            assert_eq!(compose(repo, tag, digest), text);
        }
    }

    #[test]
    fn docker_hub_spellings() {
        for name in [
            "nginx",
            "docker.io/nginx",
            "docker.io/library/nginx",
            "index.docker.io/library/nginx",
            "library/nginx",
            "registry-1.docker.io/nginx",
        ] {
            assert_eq!(canonical(name), "docker.io/library/nginx", "{name}");
            assert!(same(name, "nginx"));
        }
        assert!(same("bitnami/nginx", "docker.io/bitnami/nginx"));
        assert!(!same("bitnami/nginx", "nginx"));
        assert!(!same("ghcr.io/nginx", "nginx"));
        assert!(!same("localhost:5000/app", "app"));
        assert!(same("GHCR.io/org/app", "ghcr.io/org/app"));
        assert!(same_registry(None, Some("docker.io")));
        assert!(!same_registry(None, Some("ghcr.io")));
    }

    #[test]
    fn keeps_the_files_spelling() {
        let new = ImageRef::parse("docker.io/library/nginx:2").unwrap();
        assert_eq!(repository_to_write("nginx", &new), "nginx");
        assert_eq!(
            repository_to_write("ghcr.io/x/nginx", &new),
            "docker.io/library/nginx"
        );
    }
}

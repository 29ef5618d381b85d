//! Input `source` of mode `promote`: a tag or digest of the repository, or a whole ECR image
//! reference in another account, region or repository (then the image is copied).

use super::repository::validate_repository;
use super::{ConfigError, invalid, invalid_because};
use crate::image::ImageSelector;
use crate::tags;

/// The repository an image is copied from: another account, region or repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRepository {
    pub account: String,
    pub region: String,
    pub repository: String,
}

const SOURCE_EXPECTED: &str = "a tag or sha256 digest in the repository, or an ECR image <account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag> (or @sha256:<digest>) to copy from";

/// `source`: a tag or digest of the repository, or a whole ECR image reference.
pub(super) fn parse_source(
    raw: &str,
) -> Result<(ImageSelector, Option<SourceRepository>), ConfigError> {
    let Some((host, rest)) = raw.split_once('/') else {
        return Ok((parse_selector(raw)?, None));
    };
    let bad = |detail: &str| invalid_because("source", raw, SOURCE_EXPECTED, detail.to_string());
    let (account, region) =
        ecr_host(host).ok_or_else(|| bad("the registry is not an ECR registry"))?;
    let (repository, selector) = if let Some((repo, digest)) = rest.split_once('@') {
        (repo, parse_selector(digest)?)
    } else if let Some((repo, tag)) = rest.rsplit_once(':') {
        (repo, parse_selector(tag)?)
    } else {
        return Err(bad("it has neither a :tag nor an @digest"));
    };
    validate_repository("source", repository)?;
    Ok((
        selector,
        Some(SourceRepository {
            account,
            region,
            repository: repository.to_string(),
        }),
    ))
}

/// `(account, region)` of `<account>.dkr.ecr.<region>.amazonaws.com[.cn]`.
pub fn ecr_host(host: &str) -> Option<(String, String)> {
    let rest = host
        .strip_suffix(".amazonaws.com")
        .or_else(|| host.strip_suffix(".amazonaws.com.cn"))?;
    let (account, rest) = rest.split_once(".dkr.ecr.")?;
    let valid_region = !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    (account.len() == 12 && account.chars().all(|c| c.is_ascii_digit()) && valid_region)
        .then(|| (account.to_string(), rest.to_string()))
}

fn parse_selector(raw: &str) -> Result<ImageSelector, ConfigError> {
    if let Some(hex) = raw.strip_prefix("sha256:") {
        if hex.len() == 64
            && hex
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        {
            return Ok(ImageSelector::Digest(raw.to_string()));
        }
        return Err(invalid(
            "source",
            raw,
            "a tag, or a digest sha256:<64 lower-case hex digits>",
        ));
    }
    tags::validate_tag(raw).map_err(|detail| {
        invalid_because(
            "source",
            raw,
            "a tag, or a digest sha256:<64 lower-case hex digits>",
            detail,
        )
    })?;
    Ok(ImageSelector::Tag(raw.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecr_hosts() {
        assert_eq!(
            ecr_host("123456789012.dkr.ecr.eu-west-1.amazonaws.com"),
            Some(("123456789012".into(), "eu-west-1".into()))
        );
        assert_eq!(
            ecr_host("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"),
            Some(("123456789012".into(), "cn-north-1".into()))
        );
        assert_eq!(ecr_host("12345.dkr.ecr.eu-west-1.amazonaws.com"), None);
        assert_eq!(ecr_host("public.ecr.aws"), None);
        assert_eq!(ecr_host("ghcr.io"), None);
    }

    #[test]
    fn sources() {
        let digest = format!("sha256:{}", "a".repeat(64));
        assert_eq!(
            parse_source("v1").unwrap(),
            (ImageSelector::Tag("v1".into()), None)
        );
        assert_eq!(
            parse_source(&digest).unwrap(),
            (ImageSelector::Digest(digest.clone()), None)
        );
        let (selector, from) = parse_source(&format!(
            "111111111111.dkr.ecr.us-west-2.amazonaws.com/team/api@{digest}"
        ))
        .unwrap();
        assert_eq!(selector, ImageSelector::Digest(digest));
        assert_eq!(
            from,
            Some(SourceRepository {
                account: "111111111111".into(),
                region: "us-west-2".into(),
                repository: "team/api".into(),
            })
        );
        let (selector, _) =
            parse_source("111111111111.dkr.ecr.us-west-2.amazonaws.com/api:v2").unwrap();
        assert_eq!(selector, ImageSelector::Tag("v2".into()));
        assert!(parse_source("sha256:ABC").is_err());
        assert!(parse_source("111111111111.dkr.ecr.us-west-2.amazonaws.com/API:v2").is_err());
    }
}

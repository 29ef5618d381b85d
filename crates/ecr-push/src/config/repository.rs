//! The repository's name (and the other inputs naming repositories), and the settings of a
//! repository ecr-push creates or updates: tag mutability, scan on push, encryption, lifecycle
//! rules and resource tags.

use std::collections::BTreeMap;

use gantry_toolkit::input::{InputError, Inputs};

use super::{ConfigError, invalid, key_values};
use crate::repository::{Encryption, Lifecycle, RepositorySettings, TagMutability};

/// ECR repository names: 2 to 256 characters, lower-case components of letters and digits
/// joined by `.`, `_` or `-`, separated by `/` (`team/api`).
pub fn validate_repository(input: &str, name: &str) -> Result<(), ConfigError> {
    let component_ok = |c: &str| {
        !c.is_empty()
            && c.split(['.', '_', '-']).all(|part| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit())
            })
    };
    let ok = (2..=256).contains(&name.len()) && name.split('/').all(component_ok);
    if ok {
        Ok(())
    } else {
        Err(invalid(
            input,
            name,
            "an ECR repository name: 2 to 256 characters, lower-case letters and digits, words joined by `.`, `_` or `-`, paths by `/` (such as `team/api`)",
        ))
    }
}

pub(super) fn repository_settings(inputs: &Inputs) -> Result<RepositorySettings, ConfigError> {
    let raw = inputs.get_required("image-tag-mutability")?;
    let mutability = match raw.to_ascii_lowercase().as_str() {
        "immutable" => TagMutability::Immutable,
        "mutable" => TagMutability::Mutable,
        _ => {
            return Err(invalid(
                "image-tag-mutability",
                &raw,
                "one of immutable, mutable",
            ));
        }
    };
    let kms_key = inputs.get("kms-key");
    let raw = inputs.get_required("encryption")?;
    let encryption = match raw.to_ascii_uppercase().as_str() {
        "AES256" => Encryption::Aes256,
        "KMS" => Encryption::Kms(kms_key.clone()),
        _ => return Err(invalid("encryption", &raw, "one of AES256, KMS")),
    };
    if kms_key.is_some() && encryption == Encryption::Aes256 {
        return Err(ConfigError::Conflict(
            "input 'kms-key' only applies with encryption 'KMS'".into(),
        ));
    }
    let keep_last = inputs.get_number(
        "lifecycle-keep-last",
        0..=10_000,
        "a whole number of images to keep from 1 to 10000, or 0 for no such rule",
    )? as u32;
    let expire_untagged_days = inputs.get_number(
        "lifecycle-expire-untagged-days",
        0..=3650,
        "a whole number of days from 1 to 3650, or 0 for no such rule",
    )? as u32;
    let mut tags = BTreeMap::new();
    for (k, v) in key_values(inputs, "repository-tags", false).map_err(|e| match e {
        ConfigError::Input(InputError::Invalid { value, .. }) => invalid(
            "repository-tags",
            &value,
            "one key=value a line (AWS resource tags)",
        ),
        other => other,
    })? {
        if k.len() > 128 || v.len() > 256 {
            return Err(invalid(
                "repository-tags",
                &format!("{k}={v}"),
                "keys of at most 128 and values of at most 256 characters",
            ));
        }
        tags.insert(k, v);
    }
    Ok(RepositorySettings {
        tag_mutability: mutability,
        scan_on_push: inputs.get_required_bool("scan-on-push")?,
        encryption,
        lifecycle: Lifecycle {
            keep_last: (keep_last > 0).then_some(keep_last),
            expire_untagged_days: (expire_untagged_days > 0).then_some(expire_untagged_days),
            protect_releases: inputs.get_required_bool("lifecycle-protect-releases")?,
        },
        tags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_names() {
        for ok in ["api", "team/api", "a.b_c-d/e2", "ab"] {
            assert!(validate_repository("repository", ok).is_ok(), "{ok}");
        }
        for bad in ["a", "Api", "team//api", "team/", "-api", "api-", "a b"] {
            assert!(validate_repository("repository", bad).is_err(), "{bad}");
        }
    }
}

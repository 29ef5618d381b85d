//! The repository as asked for (`create-repository` and its settings) against the repository
//! as it is: a pure [`plan`], applied by the run through the [`crate::ecr::Ecr`] trait.
//!
//! An existing repository is never changed unless `update-repository` is on; differences are
//! reported either way. Encryption cannot be changed after creation (an ECR rule): a
//! difference there is reported with what to do, never "fixed".

use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagMutability {
    Mutable,
    Immutable,
}

impl TagMutability {
    pub fn as_str(self) -> &'static str {
        match self {
            TagMutability::Mutable => "MUTABLE",
            TagMutability::Immutable => "IMMUTABLE",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Encryption {
    Aes256,
    /// KMS, with a key ARN or alias; `None` is the AWS-managed key.
    Kms(Option<String>),
}

impl std::fmt::Display for Encryption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Encryption::Aes256 => f.write_str("AES256"),
            Encryption::Kms(None) => f.write_str("KMS (AWS managed key)"),
            Encryption::Kms(Some(k)) => write!(f, "KMS ({k})"),
        }
    }
}

/// The lifecycle rules gantry manages ([`crate::lifecycle::Retention`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifecycle {
    /// Keep the last N images of each tag family.
    pub keep_last: Option<u32>,
    /// Untagged images expire N days after their push.
    pub expire_untagged_days: Option<u32>,
    /// Never expire an image that carries a release tag.
    pub protect_releases: bool,
}

impl Lifecycle {
    /// The ECR lifecycle policy document, or `None` without rules.
    pub fn policy(&self) -> Option<serde_json::Value> {
        crate::lifecycle::Retention {
            keep_last: self.keep_last,
            expire_untagged_days: self.expire_untagged_days,
            protect_releases: self.protect_releases,
        }
        .policy()
        .map(|p| p.to_json())
    }
}

/// The repository settings asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositorySettings {
    pub tag_mutability: TagMutability,
    pub scan_on_push: bool,
    pub encryption: Encryption,
    pub lifecycle: Lifecycle,
    /// AWS resource tags.
    pub tags: BTreeMap<String, String>,
}

/// A repository as ECR describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedRepository {
    pub arn: String,
    pub uri: String,
    pub registry_id: String,
    pub tag_mutability: TagMutability,
    pub scan_on_push: bool,
    pub encryption: Encryption,
    /// The lifecycle policy document, if any.
    pub lifecycle_policy: Option<serde_json::Value>,
    pub tags: BTreeMap<String, String>,
}

/// One change to make to an existing repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    SetTagMutability(TagMutability),
    SetScanOnPush(bool),
    PutLifecyclePolicy(serde_json::Value),
    DeleteLifecyclePolicy,
    TagResource(BTreeMap<String, String>),
}

/// What to do with the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepositoryPlan {
    /// It does not exist: create it with these settings.
    Create(RepositorySettings),
    /// It exists. `differences` describe every setting that differs from the inputs;
    /// `changes` are applied (empty unless `update-repository`).
    Existing {
        differences: Vec<String>,
        changes: Vec<Change>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error(
        "repository '{repository}' does not exist in registry {registry}: create it, or set input 'create-repository: true' to let ecr-push create it"
    )]
    Missing {
        repository: String,
        registry: String,
    },
}

/// The plan for `desired` against `observed` (`None`: the repository does not exist).
pub fn plan(
    repository: &str,
    registry: &str,
    desired: &RepositorySettings,
    observed: Option<&ObservedRepository>,
    create: bool,
    update: bool,
) -> Result<RepositoryPlan, PlanError> {
    let Some(observed) = observed else {
        return if create {
            Ok(RepositoryPlan::Create(desired.clone()))
        } else {
            Err(PlanError::Missing {
                repository: repository.to_string(),
                registry: registry.to_string(),
            })
        };
    };
    let mut differences = Vec::new();
    let mut changes = Vec::new();
    if observed.tag_mutability != desired.tag_mutability {
        differences.push(format!(
            "image tag mutability is {}, inputs ask for {}",
            observed.tag_mutability.as_str(),
            desired.tag_mutability.as_str()
        ));
        changes.push(Change::SetTagMutability(desired.tag_mutability));
    }
    if observed.scan_on_push != desired.scan_on_push {
        differences.push(format!(
            "scan on push is {}, inputs ask for {}",
            observed.scan_on_push, desired.scan_on_push
        ));
        changes.push(Change::SetScanOnPush(desired.scan_on_push));
    }
    if !same_encryption(&observed.encryption, &desired.encryption) {
        differences.push(format!(
            "encryption is {}, inputs ask for {} (ECR cannot change the encryption of a repository: create a new one to change it)",
            observed.encryption, desired.encryption
        ));
    }
    let want = desired.lifecycle.policy();
    if let Some(have) = &observed.lifecycle_policy
        && want.as_ref() != Some(have)
    {
        differences.extend(release_risks(have));
    }
    match (want, &observed.lifecycle_policy) {
        (Some(want), Some(have)) if &want == have => {}
        (Some(want), have) => {
            differences.push(if have.is_some() {
                "the lifecycle policy differs from the one the inputs describe".to_string()
            } else {
                "the repository has no lifecycle policy".to_string()
            });
            changes.push(Change::PutLifecyclePolicy(want));
        }
        (None, Some(_)) => {
            differences
                .push("the repository has a lifecycle policy, the inputs ask for none".to_string());
            changes.push(Change::DeleteLifecyclePolicy);
        }
        (None, None) => {}
    }
    let missing_tags: BTreeMap<String, String> = desired
        .tags
        .iter()
        .filter(|(k, v)| observed.tags.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !missing_tags.is_empty() {
        let keys: Vec<&str> = missing_tags.keys().map(String::as_str).collect();
        differences.push(format!(
            "resource tags {} are missing or differ",
            keys.join(", ")
        ));
        changes.push(Change::TagResource(missing_tags));
    }
    if !update {
        changes.clear();
    }
    Ok(RepositoryPlan::Existing {
        differences,
        changes,
    })
}

/// What an existing policy can do to release images, one line a rule that can expire an image
/// carrying a release tag ([`crate::lifecycle::release_risks`]), or why it cannot be checked.
pub fn release_risks(policy: &serde_json::Value) -> Vec<String> {
    use crate::lifecycle::{Policy, RELEASE_PATTERN};
    match Policy::parse(policy) {
        Ok(policy) => crate::lifecycle::release_risks(&policy)
            .into_iter()
            .map(|rule| {
                format!(
                    "the lifecycle policy's {rule} can expire images that carry a release tag ({RELEASE_PATTERN})"
                )
            })
            .collect(),
        Err(e) => vec![format!(
            "the lifecycle policy cannot be checked for rules that expire release images: {e}"
        )],
    }
}

/// A KMS repository created without a key reports the AWS-managed key's ARN: asking for
/// "KMS" without a key matches any KMS key.
fn same_encryption(observed: &Encryption, desired: &Encryption) -> bool {
    match (observed, desired) {
        (Encryption::Kms(_), Encryption::Kms(None)) => true,
        (Encryption::Kms(Some(have)), Encryption::Kms(Some(want))) => {
            have == want
                || have.ends_with(&format!(":{want}"))
                || have.ends_with(&format!("/{want}"))
        }
        (a, b) => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desired() -> RepositorySettings {
        RepositorySettings {
            tag_mutability: TagMutability::Immutable,
            scan_on_push: true,
            encryption: Encryption::Aes256,
            lifecycle: Lifecycle {
                keep_last: Some(10),
                expire_untagged_days: Some(7),
                protect_releases: true,
            },
            tags: BTreeMap::from([("team".to_string(), "core".to_string())]),
        }
    }

    fn observed_matching() -> ObservedRepository {
        let d = desired();
        ObservedRepository {
            arn: "arn:aws:ecr:us-east-1:123456789012:repository/api".into(),
            uri: "123456789012.dkr.ecr.us-east-1.amazonaws.com/api".into(),
            registry_id: "123456789012".into(),
            tag_mutability: d.tag_mutability,
            scan_on_push: d.scan_on_push,
            encryption: d.encryption.clone(),
            lifecycle_policy: d.lifecycle.policy(),
            tags: d.tags.clone(),
        }
    }

    #[test]
    fn missing_repository() {
        let d = desired();
        assert_eq!(
            plan("api", "123456789012", &d, None, true, false).unwrap(),
            RepositoryPlan::Create(d.clone())
        );
        let err = plan("api", "123456789012", &d, None, false, false).unwrap_err();
        assert!(err.to_string().contains("create-repository: true"), "{err}");
    }

    #[test]
    fn plan_table() {
        type Edit = fn(&mut ObservedRepository);
        let cases: &[(&str, Edit, usize, &[Change])] = &[
            ("same", |_| {}, 0, &[]),
            (
                "mutable",
                |o| o.tag_mutability = TagMutability::Mutable,
                1,
                &[Change::SetTagMutability(TagMutability::Immutable)],
            ),
            (
                "no scan",
                |o| o.scan_on_push = false,
                1,
                &[Change::SetScanOnPush(true)],
            ),
            (
                "kms",
                |o| o.encryption = Encryption::Kms(Some("arn:aws:kms:k".into())),
                1,
                &[],
            ),
            (
                "extra tag is fine",
                |o| {
                    o.tags.insert("owner".into(), "x".into());
                },
                0,
                &[],
            ),
            (
                "tag differs",
                |o| {
                    o.tags.insert("team".into(), "other".into());
                },
                1,
                &[Change::TagResource(BTreeMap::new())],
            ),
        ];
        for (name, edit, n_diff, changes) in cases {
            let mut o = observed_matching();
            edit(&mut o);
            let RepositoryPlan::Existing {
                differences,
                changes: got,
            } = plan("api", "r", &desired(), Some(&o), false, true).unwrap()
            else {
                panic!("{name}: not an existing plan")
            };
            assert_eq!(differences.len(), *n_diff, "{name}: {differences:?}");
            assert_eq!(got.len(), changes.len(), "{name}: {got:?}");
            for (g, c) in got.iter().zip(changes.iter()) {
                assert_eq!(
                    std::mem::discriminant(g),
                    std::mem::discriminant(c),
                    "{name}"
                );
            }
        }
    }

    #[test]
    fn existing_repository_is_not_changed_unless_asked() {
        let mut o = observed_matching();
        o.scan_on_push = false;
        o.lifecycle_policy = None;
        let RepositoryPlan::Existing {
            differences,
            changes,
        } = plan("api", "r", &desired(), Some(&o), true, false).unwrap()
        else {
            panic!("not existing")
        };
        assert_eq!(differences.len(), 2, "{differences:?}");
        assert!(changes.is_empty());
    }

    #[test]
    fn lifecycle_policy_document() {
        let p = desired().lifecycle.policy().unwrap();
        let rules = p["rules"].as_array().unwrap();
        assert_eq!(rules.len(), 6);
        assert_eq!(rules[0]["selection"]["tagPatternList"][0], "v*.*.*");
        assert_eq!(rules[1]["selection"]["tagStatus"], "untagged");
        assert_eq!(rules[5]["selection"]["tagStatus"], "any");
        assert_eq!(rules[5]["rulePriority"], 6);
        assert_eq!(rules[5]["selection"]["countNumber"], 10);
        assert!(
            Lifecycle {
                keep_last: None,
                expire_untagged_days: None,
                protect_releases: true,
            }
            .policy()
            .is_none()
        );
    }

    #[test]
    fn a_policy_that_can_expire_releases_is_reported_naming_the_rule() {
        let mut o = observed_matching();
        o.lifecycle_policy = Some(serde_json::json!({ "rules": [{
            "rulePriority": 1,
            "description": "keep the last 10 images",
            "selection": { "tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 10 },
            "action": { "type": "expire" }
        }] }));
        let RepositoryPlan::Existing {
            differences,
            changes,
        } = plan("api", "r", &desired(), Some(&o), false, false).unwrap()
        else {
            panic!("not existing")
        };
        assert_eq!(
            differences,
            [
                "the lifecycle policy's rule 1 (\"keep the last 10 images\") can expire images that carry a release tag (v*.*.*)",
                "the lifecycle policy differs from the one the inputs describe",
            ]
        );
        assert!(changes.is_empty());
        // The policy the inputs describe, with releases not protected (the user's choice): no
        // warning once the repository has it.
        let mut d = desired();
        d.lifecycle.protect_releases = false;
        o.lifecycle_policy = d.lifecycle.policy();
        let RepositoryPlan::Existing { differences, .. } =
            plan("api", "r", &d, Some(&o), false, false).unwrap()
        else {
            panic!("not existing")
        };
        assert!(differences.is_empty(), "{differences:?}");
        assert_eq!(
            release_risks(&serde_json::json!({"rules": 1})),
            [
                "the lifecycle policy cannot be checked for rules that expire release images: lifecycle policy: no \"rules\" list"
            ]
        );
    }

    #[test]
    fn kms_without_key_matches_any_kms_key() {
        assert!(same_encryption(
            &Encryption::Kms(Some("arn:aws:kms:us-east-1:1:key/abc".into())),
            &Encryption::Kms(None)
        ));
        assert!(same_encryption(
            &Encryption::Kms(Some("arn:aws:kms:us-east-1:1:key/abc".into())),
            &Encryption::Kms(Some("abc".into()))
        ));
        assert!(!same_encryption(
            &Encryption::Aes256,
            &Encryption::Kms(None)
        ));
    }
}

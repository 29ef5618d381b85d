//! What the repository step does with the plan for the repository ([`crate::repository::plan`]),
//! and the repository's settings in effect after it: as ECR describes it, else (a dry run that
//! would create it) as the inputs ask.

use crate::repository::{
    Change, ObservedRepository, RepositoryPlan, RepositorySettings, TagMutability,
};

/// What the repository step does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepositoryAction {
    /// Create the repository with these settings.
    Create(RepositorySettings),
    /// Dry run: the repository would be created.
    WouldCreate,
    /// Leave the repository as it is and report `differences`: as warnings when they stay
    /// (`update-repository` is off), else (a dry run) as information.
    Keep {
        differences: Vec<String>,
        warn: bool,
    },
    /// Apply `changes`, reporting `differences`.
    Update {
        differences: Vec<String>,
        changes: Vec<Change>,
    },
}

/// The action for `plan`; a dry run changes nothing.
pub fn repository_action(plan: RepositoryPlan, dry_run: bool) -> RepositoryAction {
    match plan {
        RepositoryPlan::Create(_) if dry_run => RepositoryAction::WouldCreate,
        RepositoryPlan::Create(settings) => RepositoryAction::Create(settings),
        RepositoryPlan::Existing {
            differences,
            changes,
        } if dry_run || changes.is_empty() => RepositoryAction::Keep {
            differences,
            warn: changes.is_empty(),
        },
        RepositoryPlan::Existing {
            differences,
            changes,
        } => RepositoryAction::Update {
            differences,
            changes,
        },
    }
}

/// Whether the repository's tags are immutable: as `observed` (after the repository step),
/// else as `desired` (a dry run that would create it).
pub fn tags_immutable(observed: Option<&ObservedRepository>, desired: &RepositorySettings) -> bool {
    observed.map_or(desired.tag_mutability, |o| o.tag_mutability) == TagMutability::Immutable
}

/// Whether the repository scans on push: as `observed`, else as `desired`.
pub fn scan_on_push(observed: Option<&ObservedRepository>, desired: &RepositorySettings) -> bool {
    observed.map_or(desired.scan_on_push, |o| o.scan_on_push)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::repository::{Encryption, Lifecycle};

    fn settings(tag_mutability: TagMutability, scan_on_push: bool) -> RepositorySettings {
        RepositorySettings {
            tag_mutability,
            scan_on_push,
            encryption: Encryption::Aes256,
            lifecycle: Lifecycle {
                keep_last: None,
                expire_untagged_days: None,
                protect_releases: true,
            },
            tags: BTreeMap::new(),
        }
    }

    fn observed(tag_mutability: TagMutability, scan_on_push: bool) -> ObservedRepository {
        ObservedRepository {
            arn: "arn:aws:ecr:us-east-1:111111111111:repository/api".into(),
            uri: "111111111111.dkr.ecr.us-east-1.amazonaws.com/api".into(),
            registry_id: "111111111111".into(),
            tag_mutability,
            scan_on_push,
            encryption: Encryption::Aes256,
            lifecycle_policy: None,
            tags: BTreeMap::new(),
        }
    }

    #[test]
    fn repository_action_table() {
        let desired = settings(TagMutability::Immutable, true);
        let differences = vec!["scan on push is false, inputs ask for true".to_string()];
        let changes = vec![Change::SetScanOnPush(true)];
        let existing = |changes: &[Change]| RepositoryPlan::Existing {
            differences: differences.clone(),
            changes: changes.to_vec(),
        };
        let cases = [
            (
                RepositoryPlan::Create(desired.clone()),
                false,
                RepositoryAction::Create(desired.clone()),
            ),
            (
                RepositoryPlan::Create(desired.clone()),
                true,
                RepositoryAction::WouldCreate,
            ),
            (
                existing(&[]),
                false,
                RepositoryAction::Keep {
                    differences: differences.clone(),
                    warn: true,
                },
            ),
            (
                existing(&[]),
                true,
                RepositoryAction::Keep {
                    differences: differences.clone(),
                    warn: true,
                },
            ),
            (
                existing(&changes),
                true,
                RepositoryAction::Keep {
                    differences: differences.clone(),
                    warn: false,
                },
            ),
            (
                existing(&changes),
                false,
                RepositoryAction::Update {
                    differences: differences.clone(),
                    changes: changes.clone(),
                },
            ),
        ];
        for (plan, dry_run, want) in cases {
            let shown = format!("{plan:?} dry_run={dry_run}");
            assert_eq!(repository_action(plan, dry_run), want, "{shown}");
        }
    }

    #[test]
    fn settings_in_effect_table() {
        use TagMutability::{Immutable, Mutable};
        for (observed, desired, immutable, scans) in [
            (None, settings(Immutable, true), true, true),
            (None, settings(Mutable, false), false, false),
            (
                Some(observed(Mutable, false)),
                settings(Immutable, true),
                false,
                false,
            ),
            (
                Some(observed(Immutable, true)),
                settings(Mutable, false),
                true,
                true,
            ),
        ] {
            assert_eq!(tags_immutable(observed.as_ref(), &desired), immutable);
            assert_eq!(scan_on_push(observed.as_ref(), &desired), scans);
        }
    }
}

//! Promote / retag without pulling: give an image already in the repository more tags
//! (`v1.2.3`, `prod`) by ECR's API: BatchGetImage for its manifest, PutImage with each new
//! tag. No blob moves.
//!
//! The plan is pure ([`plan`], over [`crate::plan::tags_to_write`]): a tag that already names
//! the image is left alone (success, even in an immutable repository); a tag naming another
//! image in an immutable repository is an error found before anything changes; in a mutable
//! repository the tag moves.
//!
//! Digests: ECR reports the sha256 of the manifest bytes. The emulator used in tests (moto)
//! reports something else for images it was given by PutImage (a hash of the layer digests),
//! so comparisons use the digests the API reports, and the `digest` output is the sha256 of
//! the manifest bytes; when the two differ the run says so.

use std::collections::BTreeMap;

pub use crate::plan::TagAction;
use crate::plan::{TagConflict, tags_to_write};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PromoteError {
    #[error(
        "tag '{tag}' already names image {existing} in immutable repository '{repository}', not {digest}: an immutable tag never moves; pick a new tag"
    )]
    TagImmutable {
        repository: String,
        tag: String,
        existing: String,
        digest: String,
    },
    #[error(
        "image {selector} is not in repository '{repository}': push it first (its tag or digest is input 'source')"
    )]
    SourceMissing {
        repository: String,
        selector: String,
    },
}

/// `current` maps each wanted tag to the digest it names now (`None`: unused).
pub fn plan(
    repository: &str,
    digest: &str,
    current: &BTreeMap<String, Option<String>>,
    tags: &[String],
    immutable: bool,
) -> Result<Vec<TagAction>, PromoteError> {
    tags_to_write(current, tags, digest, immutable).map_err(|TagConflict { tag, existing }| {
        PromoteError::TagImmutable {
            repository: repository.to_string(),
            tag,
            existing,
            digest: digest.to_string(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_table() {
        let current: BTreeMap<String, Option<String>> = [
            ("new".to_string(), None),
            ("same".to_string(), Some("sha256:a".to_string())),
            ("other".to_string(), Some("sha256:b".to_string())),
        ]
        .into_iter()
        .collect();
        let tags = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            plan("r", "sha256:a", &current, &tags(&["new", "same"]), true).unwrap(),
            vec![
                TagAction::Add("new".into()),
                TagAction::AlreadyThere("same".into())
            ]
        );
        let err = plan("r", "sha256:a", &current, &tags(&["new", "other"]), true).unwrap_err();
        assert!(
            err.to_string()
                .contains("tag 'other' already names image sha256:b"),
            "{err}"
        );
        assert_eq!(
            plan("r", "sha256:a", &current, &tags(&["other"]), false).unwrap(),
            vec![TagAction::Move {
                tag: "other".into(),
                from: "sha256:b".into()
            }]
        );
    }
}

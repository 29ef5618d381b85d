//! What to write for a release, decided from what GitHub has: pure functions, table-tested.

use serde::Deserialize;

/// What to do about a release tag, given the commit it marks now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagPlan {
    /// It does not exist: create it.
    Create,
    /// It marks the wanted commit: nothing to do (a rerun).
    AlreadyThere,
    /// It marks another commit: a release tag is never moved.
    Conflict {
        /// The commit it marks.
        existing: String,
    },
}

/// The plan for the release tag that marks `existing` (`None`: no such tag) when `wanted` is
/// the commit to release.
pub fn plan_tag(existing: Option<&str>, wanted: &str) -> TagPlan {
    match existing {
        None => TagPlan::Create,
        Some(existing) if same_sha(existing, wanted) => TagPlan::AlreadyThere,
        Some(existing) => TagPlan::Conflict {
            existing: existing.to_owned(),
        },
    }
}

/// What to do about a floating tag (`v1`, `v1.2`), given the commit it marks now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FloatingPlan {
    /// It does not exist: create it.
    Create,
    /// It marks the wanted commit already.
    AlreadyThere,
    /// It marks another commit: move it (a forced update).
    Move {
        /// The commit it marks now.
        from: String,
    },
}

/// The plan for a floating tag that marks `existing` when it should mark `wanted`.
pub fn plan_floating_tag(existing: Option<&str>, wanted: &str) -> FloatingPlan {
    match existing {
        None => FloatingPlan::Create,
        Some(existing) if same_sha(existing, wanted) => FloatingPlan::AlreadyThere,
        Some(existing) => FloatingPlan::Move {
            from: existing.to_owned(),
        },
    }
}

fn same_sha(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// A GitHub release as read back.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Release {
    /// The release's id (for updates).
    pub id: u64,
    /// The tag it is for.
    pub tag_name: String,
    /// Its title.
    #[serde(default)]
    pub name: Option<String>,
    /// Its notes (markdown).
    #[serde(default)]
    pub body: Option<String>,
    /// A draft (not published).
    #[serde(default)]
    pub draft: bool,
    /// Marked as a prerelease.
    #[serde(default)]
    pub prerelease: bool,
    /// Its page.
    #[serde(default)]
    pub html_url: String,
}

/// The release wanted for a tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseSpec {
    /// The tag (which must exist, or GitHub creates it at the default branch's tip: create
    /// the tag first).
    pub tag: String,
    /// The title.
    pub name: String,
    /// The notes (markdown).
    pub body: String,
    /// Mark it as a prerelease.
    pub prerelease: bool,
    /// Leave it as a draft.
    pub draft: bool,
    /// GitHub's `make_latest` (`None`: GitHub decides, by date and semver).
    pub make_latest: Option<bool>,
    /// The commit the tag marks (`target_commitish`): were the tag missing on GitHub, GitHub
    /// would create it here, not at the default branch's head.
    pub target_commitish: Option<String>,
}

/// What to do about a release, given the one that exists for its tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleasePlan {
    /// No release for the tag: create it.
    Create,
    /// A release with other contents: update it.
    Update {
        /// The release to update.
        id: u64,
    },
    /// The release is as wanted.
    AlreadyThere {
        /// The release.
        id: u64,
    },
}

/// The plan for `wanted` when `existing` is the release of its tag. A published release is
/// never turned back into a draft (see [`release_update`]); a draft is published when
/// `wanted` is not one. Title and notes compare without trailing whitespace.
pub fn plan_release(existing: Option<&Release>, wanted: &ReleaseSpec) -> ReleasePlan {
    let Some(existing) = existing else {
        return ReleasePlan::Create;
    };
    let effective = release_update(existing, wanted);
    let same = existing.name.as_deref().unwrap_or_default().trim_end() == effective.name.trim_end()
        && existing.body.as_deref().unwrap_or_default().trim_end() == effective.body.trim_end()
        && existing.prerelease == effective.prerelease
        && existing.draft == effective.draft;
    if same {
        ReleasePlan::AlreadyThere { id: existing.id }
    } else {
        ReleasePlan::Update { id: existing.id }
    }
}

/// What an update of `existing` sends for `wanted`: `wanted`, but a published release stays
/// published.
pub fn release_update(existing: &Release, wanted: &ReleaseSpec) -> ReleaseSpec {
    ReleaseSpec {
        draft: existing.draft && wanted.draft,
        ..wanted.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    #[test]
    fn release_tags_are_created_kept_or_refused() {
        assert_eq!(plan_tag(None, A), TagPlan::Create);
        assert_eq!(plan_tag(Some(A), A), TagPlan::AlreadyThere);
        assert_eq!(plan_tag(Some(&A.to_uppercase()), A), TagPlan::AlreadyThere);
        assert_eq!(
            plan_tag(Some(B), A),
            TagPlan::Conflict {
                existing: B.to_owned()
            }
        );
    }

    #[test]
    fn floating_tags_always_move() {
        assert_eq!(plan_floating_tag(None, A), FloatingPlan::Create);
        assert_eq!(plan_floating_tag(Some(A), A), FloatingPlan::AlreadyThere);
        assert_eq!(
            plan_floating_tag(Some(B), A),
            FloatingPlan::Move { from: B.to_owned() }
        );
    }

    fn release(name: &str, body: &str, draft: bool, prerelease: bool) -> Release {
        Release {
            id: 7,
            tag_name: "v1.0.0".to_owned(),
            name: Some(name.to_owned()),
            body: Some(body.to_owned()),
            draft,
            prerelease,
            html_url: String::new(),
        }
    }

    fn spec(name: &str, body: &str, draft: bool, prerelease: bool) -> ReleaseSpec {
        ReleaseSpec {
            tag: "v1.0.0".to_owned(),
            name: name.to_owned(),
            body: body.to_owned(),
            prerelease,
            draft,
            make_latest: None,
            target_commitish: None,
        }
    }

    #[test]
    fn releases_are_created_updated_or_kept() {
        let wanted = spec("v1.0.0", "notes", false, false);
        let cases = [
            (None, ReleasePlan::Create),
            (
                Some(release("v1.0.0", "notes", false, false)),
                ReleasePlan::AlreadyThere { id: 7 },
            ),
            (
                Some(release("v1.0.0", "notes\n\n", false, false)),
                ReleasePlan::AlreadyThere { id: 7 },
            ),
            (
                Some(release("v1.0.0", "other notes", false, false)),
                ReleasePlan::Update { id: 7 },
            ),
            (
                Some(release("v1.0.0", "notes", false, true)),
                ReleasePlan::Update { id: 7 },
            ),
            // A draft is published.
            (
                Some(release("v1.0.0", "notes", true, false)),
                ReleasePlan::Update { id: 7 },
            ),
        ];
        for (existing, plan) in cases {
            assert_eq!(
                plan_release(existing.as_ref(), &wanted),
                plan,
                "{existing:?}"
            );
        }
        // A published release is never turned back into a draft.
        let published = release("v1.0.0", "notes", false, false);
        let draft = spec("v1.0.0", "notes", true, false);
        assert_eq!(
            plan_release(Some(&published), &draft),
            ReleasePlan::AlreadyThere { id: 7 }
        );
        assert!(!release_update(&published, &draft).draft);
        let no_name = Release {
            name: None,
            ..release("", "notes", false, false)
        };
        assert_eq!(
            plan_release(Some(&no_name), &spec("", "notes", false, false)),
            ReleasePlan::AlreadyThere { id: 7 }
        );
    }
}

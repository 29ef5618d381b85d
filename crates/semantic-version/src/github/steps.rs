//! The idempotent steps: observe, plan ([`super::plan`]), and write only what the plan asks
//! for. A write retried after a 5xx may have happened the first time, so a create that
//! answers 422 reads the state again and settles from there.

use super::plan::{
    FloatingPlan, Release, ReleasePlan, ReleaseSpec, TagPlan, plan_floating_tag, plan_release,
    plan_tag, release_update,
};
use super::{GitHub, GitHubError, ObjectKind};

/// How deep a chain of tag objects (a tag of a tag) is followed to its commit.
const MAX_TAG_CHAIN: usize = 5;

/// How [`ensure_tag`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagOutcome {
    /// The tag object and its ref were created.
    Created {
        /// The tag object's SHA.
        tag_object: String,
    },
    /// The tag marked the commit already: nothing was written.
    AlreadyThere,
}

/// How [`ensure_floating_tag`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FloatingOutcome {
    /// The tag was created.
    Created,
    /// The tag moved from the commit `from`.
    Moved {
        /// The commit it marked before.
        from: String,
    },
    /// The tag marked the commit already: nothing was written.
    AlreadyThere,
}

/// How [`ensure_release`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReleaseOutcome {
    /// A release was created.
    Created(Release),
    /// The existing release was updated.
    Updated(Release),
    /// The release was as wanted: nothing was written.
    AlreadyThere(Release),
}

impl ReleaseOutcome {
    /// The release, however it ended.
    pub fn release(&self) -> &Release {
        match self {
            ReleaseOutcome::Created(r)
            | ReleaseOutcome::Updated(r)
            | ReleaseOutcome::AlreadyThere(r) => r,
        }
    }
}

/// The commit `refs/tags/<tag>` marks (tag objects followed); `None` when there is no such
/// tag, or it marks a tree or blob.
///
/// # Errors
/// The API failing.
pub async fn tag_commit<G: GitHub>(github: &G, tag: &str) -> Result<Option<String>, GitHubError> {
    let Some(mut target) = github.get_ref(tag).await? else {
        return Ok(None);
    };
    for _ in 0..MAX_TAG_CHAIN {
        match target.kind {
            ObjectKind::Commit => return Ok(Some(target.sha)),
            ObjectKind::Tag => target = github.get_tag_object(&target.sha).await?,
            ObjectKind::Other(_) => return Ok(None),
        }
    }
    Ok(None)
}

/// Make the annotated release tag `name` mark `commit`: created when missing (tag object,
/// then ref); success without a write when it marks `commit` already; an error without a
/// write when it marks another commit.
///
/// # Errors
/// [`GitHubError::TagConflict`]; the API failing.
pub async fn ensure_tag<G: GitHub>(
    github: &G,
    name: &str,
    commit: &str,
    message: &str,
) -> Result<TagOutcome, GitHubError> {
    let conflict = |existing: String| GitHubError::TagConflict {
        tag: name.to_owned(),
        existing,
        wanted: commit.to_owned(),
    };
    match plan_tag(tag_commit(github, name).await?.as_deref(), commit) {
        TagPlan::AlreadyThere => Ok(TagOutcome::AlreadyThere),
        TagPlan::Conflict { existing } => Err(conflict(existing)),
        TagPlan::Create => {
            let tag_object = github.create_tag_object(name, commit, message).await?;
            match github.create_ref(name, &tag_object).await {
                Ok(()) => Ok(TagOutcome::Created { tag_object }),
                // Created meanwhile: by another job, or by this one's first try of a retried
                // request.
                Err(error) if error.status() == Some(422) => {
                    match plan_tag(tag_commit(github, name).await?.as_deref(), commit) {
                        TagPlan::AlreadyThere => Ok(TagOutcome::AlreadyThere),
                        TagPlan::Conflict { existing } => Err(conflict(existing)),
                        TagPlan::Create => Err(error),
                    }
                }
                Err(error) => Err(error),
            }
        }
    }
}

/// Make the floating tag `name` (`v1`, `v1.2`) mark `commit`, as a lightweight tag: created
/// when missing, moved (forced) when it marks another commit.
///
/// # Errors
/// The API failing.
pub async fn ensure_floating_tag<G: GitHub>(
    github: &G,
    name: &str,
    commit: &str,
) -> Result<FloatingOutcome, GitHubError> {
    match plan_floating_tag(tag_commit(github, name).await?.as_deref(), commit) {
        FloatingPlan::AlreadyThere => Ok(FloatingOutcome::AlreadyThere),
        FloatingPlan::Move { from } => {
            github.update_ref(name, commit, true).await?;
            Ok(FloatingOutcome::Moved { from })
        }
        FloatingPlan::Create => match github.create_ref(name, commit).await {
            Ok(()) => Ok(FloatingOutcome::Created),
            Err(error) if error.status() == Some(422) => {
                match plan_floating_tag(tag_commit(github, name).await?.as_deref(), commit) {
                    FloatingPlan::AlreadyThere => Ok(FloatingOutcome::AlreadyThere),
                    FloatingPlan::Move { from } => {
                        github.update_ref(name, commit, true).await?;
                        Ok(FloatingOutcome::Moved { from })
                    }
                    FloatingPlan::Create => Err(error),
                }
            }
            Err(error) => Err(error),
        },
    }
}

/// Make the release of `spec.tag` as `spec` says: created when missing, updated when it
/// differs (a published release is never turned back into a draft), left alone when equal.
///
/// # Errors
/// The API failing.
pub async fn ensure_release<G: GitHub>(
    github: &G,
    spec: &ReleaseSpec,
) -> Result<ReleaseOutcome, GitHubError> {
    let existing = github.get_release_by_tag(&spec.tag).await?;
    match (plan_release(existing.as_ref(), spec), existing) {
        (ReleasePlan::AlreadyThere { .. }, Some(existing)) => {
            Ok(ReleaseOutcome::AlreadyThere(existing))
        }
        (ReleasePlan::Update { id }, Some(existing)) => {
            let update = release_update(&existing, spec);
            Ok(ReleaseOutcome::Updated(
                github.update_release(id, &update).await?,
            ))
        }
        _ => match github.create_release(spec).await {
            Ok(release) => Ok(ReleaseOutcome::Created(release)),
            Err(error) if error.status() == Some(422) => {
                // Created meanwhile (`already_exists`): settle against what is there.
                let Some(existing) = github.get_release_by_tag(&spec.tag).await? else {
                    return Err(error);
                };
                match plan_release(Some(&existing), spec) {
                    ReleasePlan::Update { id } => {
                        let update = release_update(&existing, spec);
                        Ok(ReleaseOutcome::Updated(
                            github.update_release(id, &update).await?,
                        ))
                    }
                    _ => Ok(ReleaseOutcome::AlreadyThere(existing)),
                }
            }
            Err(error) => Err(error),
        },
    }
}

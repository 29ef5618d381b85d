//! Tags and releases on GitHub: a narrow [`GitHub`] trait, its implementation on
//! gantry-github's [`GitHubClient`], and the idempotent steps built on both. The release
//! pull request's calls are gantry-github's [`Pulls`].
//!
//! The decisions are pure functions over what was observed ([`plan`]): [`plan_tag`] (a
//! release tag at this commit is success, at another commit an error), [`plan_floating_tag`]
//! (`v1`, `v1.2` always move) and [`plan_release`]. [`ensure_tag`], [`ensure_floating_tag`]
//! and [`ensure_release`] (module `steps`) observe, plan, and write only what the plan asks for; a
//! rerun of a job that already released writes nothing. Retries are gantry-github's one
//! policy ([`RetryPolicy`]); a 401, a plain 403, a 404 or a 422 is never retried and becomes
//! an error that says what to change ([`GitHubError`]).

use std::future::Future;

mod client;
pub mod plan;
mod steps;

pub use client::USER_AGENT;
pub use gantry_github::{
    CONTENTS_READ, CONTENTS_WRITE, DEFAULT_API_URL, GitHubClient, GitHubError, Label,
    PULL_REQUESTS_WRITE, PullRef, PullRequest, Pulls, RetryPolicy,
};
pub use plan::{
    FloatingPlan, Release, ReleasePlan, ReleaseSpec, TagPlan, plan_floating_tag, plan_release,
    plan_tag, release_update,
};
pub use steps::{
    FloatingOutcome, ReleaseOutcome, TagOutcome, ensure_floating_tag, ensure_release, ensure_tag,
    tag_commit,
};

/// The kind of object a ref or tag object points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectKind {
    /// A commit (a lightweight tag).
    Commit,
    /// A tag object (an annotated tag).
    Tag,
    /// A tree or blob.
    Other(String),
}

/// The object a ref (or a tag object) points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefTarget {
    /// Its SHA.
    pub sha: String,
    /// Its kind.
    pub kind: ObjectKind,
}

/// The GitHub operations semantic-version needs, on one repository. Tag names are given
/// without `refs/tags/`.
pub trait GitHub {
    /// What `refs/tags/<tag>` points at; `None` when there is no such tag.
    fn get_ref(
        &self,
        tag: &str,
    ) -> impl Future<Output = Result<Option<RefTarget>, GitHubError>> + Send;

    /// What the tag object `sha` points at.
    fn get_tag_object(
        &self,
        sha: &str,
    ) -> impl Future<Output = Result<RefTarget, GitHubError>> + Send;

    /// Create an annotated tag object `name` for `commit` with `message`; its SHA. The tagger
    /// is the token's identity. No ref is created (see [`GitHub::create_ref`]).
    fn create_tag_object(
        &self,
        name: &str,
        commit: &str,
        message: &str,
    ) -> impl Future<Output = Result<String, GitHubError>> + Send;

    /// Create `refs/tags/<tag>` at `sha` (a tag object or a commit).
    fn create_ref(
        &self,
        tag: &str,
        sha: &str,
    ) -> impl Future<Output = Result<(), GitHubError>> + Send;

    /// Point `refs/tags/<tag>` at `sha`; `force` allows any move.
    fn update_ref(
        &self,
        tag: &str,
        sha: &str,
        force: bool,
    ) -> impl Future<Output = Result<(), GitHubError>> + Send;

    /// The release of `tag`, drafts included; `None` when there is none.
    fn get_release_by_tag(
        &self,
        tag: &str,
    ) -> impl Future<Output = Result<Option<Release>, GitHubError>> + Send;

    /// Create a release.
    fn create_release(
        &self,
        spec: &ReleaseSpec,
    ) -> impl Future<Output = Result<Release, GitHubError>> + Send;

    /// Update the release `id` (its tag stays).
    fn update_release(
        &self,
        id: u64,
        spec: &ReleaseSpec,
    ) -> impl Future<Output = Result<Release, GitHubError>> + Send;
}

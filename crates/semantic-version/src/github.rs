//! Tags and releases on GitHub: a narrow [`GitHub`] trait, its implementation over the REST
//! API with octocrab ([`GitHubClient`]), and the idempotent steps built on both.
//!
//! The decisions are pure functions over what was observed: [`plan_tag`] (a release tag at
//! this commit is success, at another commit an error), [`plan_floating_tag`] (`v1`, `v1.2`
//! always move) and [`plan_release`]. [`ensure_tag`], [`ensure_floating_tag`] and
//! [`ensure_release`] observe, plan, and write only what the plan asks for; a rerun of a job
//! that already released writes nothing.
//!
//! The client retries, a bounded number of times, what GitHub asks to retry: 5xx answers,
//! transport errors, and rate limits (429, or 403 with `retry-after`, `x-ratelimit-remaining:
//! 0`, or a "secondary rate limit" message), waiting what GitHub says, within a bound. A 401,
//! a plain 403, a 404 or a 422 is never retried and becomes an error that says what to change.
//! A write retried after a 5xx may have happened the first time: the `ensure_*` steps read the
//! state again when a create answers 422 and settle from there.

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use octocrab::Octocrab;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// `GITHUB_API_URL` on github.com.
pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// The permission a job needs to read tags and releases.
pub const CONTENTS_READ: &str = "contents: read";
/// The permission a job needs to create tags and releases.
pub const CONTENTS_WRITE: &str = "contents: write";

/// How deep a chain of tag objects (a tag of a tag) is followed to its commit.
const MAX_TAG_CHAIN: usize = 5;

/// How much of an error answer is quoted.
const MAX_MESSAGE_SHOWN: usize = 1000;

// ---- pure plans ------------------------------------------------------------------------------

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

// ---- the trait -------------------------------------------------------------------------------

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

// ---- idempotent steps ------------------------------------------------------------------------

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

// ---- errors ----------------------------------------------------------------------------------

/// A GitHub operation failed.
#[derive(Debug, thiserror::Error)]
pub enum GitHubError {
    /// `GITHUB_REPOSITORY` is not `owner/name`.
    #[error("the repository {value:?} is not of the form owner/name (GITHUB_REPOSITORY)")]
    InvalidRepository {
        /// The value.
        value: String,
    },
    /// `GITHUB_API_URL` cannot be used.
    #[error("the GitHub API URL {value:?} is not usable (GITHUB_API_URL): {reason}")]
    InvalidApiUrl {
        /// The value.
        value: String,
        /// Why.
        reason: String,
    },
    /// The token cannot be sent in a header.
    #[error(
        "the GitHub token is empty or contains spaces, line breaks or other characters a token never has: check the `token` input"
    )]
    InvalidToken,
    /// The client was built outside a Tokio runtime.
    #[error(
        "the GitHub client must be created inside a Tokio runtime (`#[tokio::main]` or `Runtime::block_on`)"
    )]
    NoRuntime,
    /// The HTTP client could not be set up.
    #[error("cannot set up the GitHub client: {message}")]
    Client {
        /// What failed (root certificates, …).
        message: String,
    },
    /// 401.
    #[error(
        "GitHub refused the token (401 {message}) when asked to {action}: it is missing, expired or revoked; pass `${{{{ github.token }}}}` or a valid token in the `token` input"
    )]
    Unauthorized {
        /// What was being done.
        action: String,
        /// GitHub's message.
        message: String,
    },
    /// 403 that is not a rate limit.
    #[error("GitHub denied the request to {action} (403 {message}): {hint}")]
    Forbidden {
        /// What was being done.
        action: String,
        /// GitHub's message.
        message: String,
        /// The permission needed (`contents: write`), or what else to change.
        hint: String,
    },
    /// 404.
    #[error(
        "GitHub answered 404 ({message}) when asked to {action}: check that the repository {repository} exists and that the token can see it (a private repository looks missing to a token without access)"
    )]
    NotFound {
        /// What was being done.
        action: String,
        /// GitHub's message.
        message: String,
        /// `owner/name`.
        repository: String,
    },
    /// 422.
    #[error("GitHub refused to {action} (422 {message})")]
    Unprocessable {
        /// What was being done.
        action: String,
        /// GitHub's message and its errors.
        message: String,
    },
    /// Rate limited, and waiting longer than allowed.
    #[error(
        "GitHub's rate limit stopped the request to {action} after {attempts} attempt(s) ({status} {message}){reset}"
    )]
    RateLimited {
        /// What was being done.
        action: String,
        /// 403 or 429.
        status: u16,
        /// GitHub's message.
        message: String,
        /// Tries made.
        attempts: u32,
        /// `; it resets at … ` or empty.
        reset: String,
    },
    /// Any other answer (5xx after the retries, 4xx not listed above).
    #[error(
        "GitHub answered {status} ({message}) when asked to {action}, after {attempts} attempt(s)"
    )]
    Status {
        /// What was being done.
        action: String,
        /// The HTTP status.
        status: u16,
        /// GitHub's message.
        message: String,
        /// Tries made.
        attempts: u32,
    },
    /// No answer at all.
    #[error("cannot reach GitHub to {action} after {attempts} attempt(s): {message}")]
    Transport {
        /// What was being done.
        action: String,
        /// The underlying error.
        message: String,
        /// Tries made.
        attempts: u32,
    },
    /// An answer that could not be read.
    #[error("unexpected answer from GitHub when asked to {action}: {message}")]
    Decode {
        /// What was being done.
        action: String,
        /// What was wrong.
        message: String,
    },
    /// The release tag exists at another commit.
    #[error(
        "tag {tag} already exists on GitHub at commit {existing}, not at {wanted}: a release tag is never moved; delete the tag if it is wrong, or release from the commit it marks"
    )]
    TagConflict {
        /// The tag.
        tag: String,
        /// The commit it marks.
        existing: String,
        /// The commit it was meant to mark.
        wanted: String,
    },
}

impl GitHubError {
    /// The HTTP status of an answer GitHub gave, when it was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            GitHubError::Unauthorized { .. } => Some(401),
            GitHubError::Forbidden { .. } => Some(403),
            GitHubError::NotFound { .. } => Some(404),
            GitHubError::Unprocessable { .. } => Some(422),
            GitHubError::RateLimited { status, .. } | GitHubError::Status { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }
}

// ---- retries ---------------------------------------------------------------------------------

/// How the client retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included (at least 1).
    pub max_attempts: u32,
    /// The wait before the second try after a 5xx or a transport error; doubled each time.
    pub base_delay: Duration,
    /// The wait on a rate limit that gives no time (GitHub: "at least one minute").
    pub rate_limit_wait: Duration,
    /// The longest single wait; a rate limit that asks for more is an error at once.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_secs(1),
            rate_limit_wait: Duration::from_secs(60),
            max_wait: Duration::from_secs(120),
        }
    }
}

/// What an answer says about rate limits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateHints {
    /// `retry-after`, in seconds.
    pub retry_after: Option<u64>,
    /// `x-ratelimit-remaining`.
    pub remaining: Option<u64>,
    /// `x-ratelimit-reset`, seconds since the epoch.
    pub reset: Option<u64>,
}

/// What to do after one try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Keep the answer (success, or an error not worth retrying).
    Done,
    /// Try again after the wait.
    Retry(Duration),
    /// Worth retrying but out of tries or the wait is too long: keep the answer as an error.
    GiveUp,
}

/// Whether an answer is a rate limit: 429, or 403 with rate-limit headers or message.
pub fn is_rate_limited(status: u16, hints: &RateHints, message: &str) -> bool {
    status == 429
        || (status == 403
            && (hints.retry_after.is_some()
                || hints.remaining == Some(0)
                || message.to_ascii_lowercase().contains("rate limit")))
}

/// What to do after try number `attempt` (1-based) got `status` (`None`: no answer, a
/// transport error), at `now` (seconds since the epoch).
pub fn retry_decision(
    status: Option<u16>,
    hints: &RateHints,
    message: &str,
    attempt: u32,
    policy: &RetryPolicy,
    now: u64,
) -> RetryDecision {
    let backoff = || {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        policy
            .base_delay
            .saturating_mul(factor)
            .min(policy.max_wait)
    };
    let wait = match status {
        None => backoff(),
        Some(status) if is_rate_limited(status, hints, message) => {
            let wait = match (hints.retry_after, hints.remaining, hints.reset) {
                (Some(secs), _, _) => Duration::from_secs(secs),
                (None, Some(0), Some(reset)) => {
                    Duration::from_secs(reset.saturating_sub(now).max(1))
                }
                _ => policy.rate_limit_wait,
            };
            if wait > policy.max_wait {
                return RetryDecision::GiveUp;
            }
            wait
        }
        Some(status) if status >= 500 => backoff(),
        Some(_) => return RetryDecision::Done,
    };
    if attempt >= policy.max_attempts {
        RetryDecision::GiveUp
    } else {
        RetryDecision::Retry(wait)
    }
}

// ---- the client ------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Post,
    Patch,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
        }
    }
}

/// One answer: status, rate-limit hints, body.
#[derive(Debug)]
struct Reply {
    status: u16,
    hints: RateHints,
    body: String,
}

/// [`GitHub`] over the REST API with octocrab, for one repository.
#[derive(Debug, Clone)]
pub struct GitHubClient {
    crab: Octocrab,
    owner: String,
    repo: String,
    retry: RetryPolicy,
}

impl GitHubClient {
    /// A client for `repository` (`owner/name`, as in `GITHUB_REPOSITORY`) at `api_url`
    /// (`GITHUB_API_URL`: `https://api.github.com`, or `https://HOST/api/v3` on GitHub
    /// Enterprise Server), authenticated with `token` (mask it before anything can print
    /// it). Certificates are checked against the system's root certificates (so a company CA
    /// installed on a runner, or `SSL_CERT_FILE`, works). Must be called inside a Tokio runtime.
    ///
    /// # Errors
    /// An invalid repository, URL or token; no Tokio runtime; no root certificates.
    pub fn new(api_url: &str, token: &str, repository: &str) -> Result<Self, GitHubError> {
        let (owner, repo) = parse_repository(repository)?;
        let base = api_url.trim().trim_end_matches('/');
        let base = if base.is_empty() {
            DEFAULT_API_URL
        } else {
            base
        };
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(GitHubError::InvalidApiUrl {
                value: api_url.to_owned(),
                reason: "it must start with https:// (or http://)".to_owned(),
            });
        }
        let token = token.trim();
        if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(GitHubError::InvalidToken);
        }
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(GitHubError::NoRuntime);
        }
        let crab = Octocrab::builder()
            .base_uri(base)
            .map_err(|e| GitHubError::InvalidApiUrl {
                value: api_url.to_owned(),
                reason: e.to_string(),
            })?
            .personal_token(token.to_owned())
            .set_connect_timeout(Some(Duration::from_secs(10)))
            .set_read_timeout(Some(Duration::from_secs(60)))
            .set_write_timeout(Some(Duration::from_secs(60)))
            .build()
            .map_err(|e| GitHubError::Client {
                message: e.to_string(),
            })?;
        Ok(GitHubClient {
            crab,
            owner,
            repo,
            retry: RetryPolicy::default(),
        })
    }

    /// Retry as `policy` says instead of [`RetryPolicy::default`].
    #[must_use]
    pub fn with_retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// `owner/name`.
    pub fn repository(&self) -> String {
        format!("{}/{}", self.owner, self.repo)
    }

    fn route(&self, rest: &str) -> String {
        format!(
            "/repos/{}/{}/{rest}",
            encode_path(&self.owner),
            encode_path(&self.repo)
        )
    }

    /// One try: the answer, or the transport error's text.
    async fn once(
        &self,
        method: Method,
        route: &str,
        body: Option<&Value>,
    ) -> Result<Reply, String> {
        let response = match method {
            Method::Get => self.crab._get(route).await,
            Method::Post => self.crab._post(route, body).await,
            Method::Patch => self.crab._patch(route, body).await,
        }
        .map_err(|e| error_text(&e))?;
        let status = response.status().as_u16();
        let header = |name: &str| -> Option<u64> {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok())
        };
        let hints = RateHints {
            retry_after: header("retry-after"),
            remaining: header("x-ratelimit-remaining"),
            reset: header("x-ratelimit-reset"),
        };
        let body = self
            .crab
            .body_to_string(response)
            .await
            .map_err(|e| error_text(&e))?;
        Ok(Reply {
            status,
            hints,
            body,
        })
    }

    /// Send with retries; the last answer (any status), or an error when there was none or
    /// the retries ran out.
    async fn call(
        &self,
        method: Method,
        route: &str,
        body: Option<&Value>,
        action: &str,
    ) -> Result<Reply, GitHubError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self.once(method, route, body).await;
            let decision = match &result {
                Ok(reply) if (200..300).contains(&reply.status) => RetryDecision::Done,
                Ok(reply) => retry_decision(
                    Some(reply.status),
                    &reply.hints,
                    &error_message(&reply.body),
                    attempt,
                    &self.retry,
                    now(),
                ),
                Err(message) => retry_decision(
                    None,
                    &RateHints::default(),
                    message,
                    attempt,
                    &self.retry,
                    now(),
                ),
            };
            match (decision, result) {
                (RetryDecision::Retry(wait), _) => tokio::time::sleep(wait).await,
                (RetryDecision::Done, Ok(reply)) => return Ok(reply),
                (_, Err(message)) => {
                    return Err(GitHubError::Transport {
                        action: action.to_owned(),
                        message,
                        attempts: attempt,
                    });
                }
                (RetryDecision::GiveUp, Ok(reply)) => {
                    let message = error_message(&reply.body);
                    return Err(if is_rate_limited(reply.status, &reply.hints, &message) {
                        GitHubError::RateLimited {
                            action: action.to_owned(),
                            status: reply.status,
                            message,
                            attempts: attempt,
                            reset: reply
                                .hints
                                .reset
                                .map(|r| format!("; it resets in {}s", r.saturating_sub(now())))
                                .unwrap_or_default(),
                        }
                    } else {
                        GitHubError::Status {
                            action: action.to_owned(),
                            status: reply.status,
                            message,
                            attempts: attempt,
                        }
                    });
                }
            }
        }
    }

    /// The error for a final answer that is not a success.
    fn failure(&self, method: Method, reply: &Reply, action: &str) -> GitHubError {
        let message = error_message(&reply.body);
        let action = action.to_owned();
        match reply.status {
            401 => GitHubError::Unauthorized { action, message },
            403 => {
                let lower = message.to_ascii_lowercase();
                let hint = if lower.contains("rule") || lower.contains("protected") {
                    "a repository ruleset or tag protection rule forbids it: let the workflow's actor bypass the rule for these tags, or use a token that may".to_owned()
                } else {
                    let permission = if method == Method::Get {
                        CONTENTS_READ
                    } else {
                        CONTENTS_WRITE
                    };
                    format!(
                        "the token needs the `{permission}` permission: add `permissions: {{ {permission} }}` to the job (or the workflow), or pass a token that can write to {}",
                        self.repository()
                    )
                };
                GitHubError::Forbidden {
                    action,
                    message,
                    hint,
                }
            }
            404 => GitHubError::NotFound {
                action,
                message,
                repository: self.repository(),
            },
            422 => GitHubError::Unprocessable { action, message },
            status => GitHubError::Status {
                action,
                status,
                message,
                attempts: 1,
            },
        }
    }

    /// Send; the decoded success, `None` on 404 when `missing_ok`, an error otherwise.
    async fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        route: &str,
        body: Option<&Value>,
        action: &str,
        missing_ok: bool,
    ) -> Result<Option<T>, GitHubError> {
        let reply = self.call(method, route, body, action).await?;
        if reply.status == 404 && missing_ok {
            return Ok(None);
        }
        if !(200..300).contains(&reply.status) {
            return Err(self.failure(method, &reply, action));
        }
        serde_json::from_str(&reply.body)
            .map(Some)
            .map_err(|e| GitHubError::Decode {
                action: action.to_owned(),
                message: format!(
                    "{e} in {} {route}: {}",
                    method.as_str(),
                    shorten(&reply.body)
                ),
            })
    }

    async fn required<T: DeserializeOwned>(
        &self,
        method: Method,
        route: &str,
        body: Option<&Value>,
        action: &str,
    ) -> Result<T, GitHubError> {
        self.json(method, route, body, action, false)
            .await?
            .ok_or_else(|| GitHubError::Decode {
                action: action.to_owned(),
                message: "no answer".to_owned(),
            })
    }
}

#[derive(Debug, Deserialize)]
struct ObjectJson {
    sha: String,
    #[serde(rename = "type")]
    kind: String,
}

impl From<ObjectJson> for RefTarget {
    fn from(object: ObjectJson) -> Self {
        let kind = match object.kind.as_str() {
            "commit" => ObjectKind::Commit,
            "tag" => ObjectKind::Tag,
            _ => ObjectKind::Other(object.kind),
        };
        RefTarget {
            sha: object.sha,
            kind,
        }
    }
}

#[derive(Debug, Deserialize)]
struct RefJson {
    #[serde(rename = "ref")]
    reference: String,
    object: ObjectJson,
}

#[derive(Debug, Deserialize)]
struct TagObjectJson {
    object: ObjectJson,
}

#[derive(Debug, Deserialize)]
struct ShaJson {
    sha: String,
}

fn release_json(spec: &ReleaseSpec, with_tag: bool) -> Value {
    let mut body = json!({
        "name": spec.name,
        "body": spec.body,
        "draft": spec.draft,
        "prerelease": spec.prerelease,
    });
    if with_tag {
        body["tag_name"] = json!(spec.tag);
    }
    if let Some(latest) = spec.make_latest {
        body["make_latest"] = json!(if latest { "true" } else { "false" });
    }
    body
}

impl GitHub for GitHubClient {
    async fn get_ref(&self, tag: &str) -> Result<Option<RefTarget>, GitHubError> {
        let action = format!("read the tag {tag}");
        let route = self.route(&format!("git/ref/tags/{}", encode_path(tag)));
        let Some(value) = self
            .json::<Value>(Method::Get, &route, None, &action, true)
            .await?
        else {
            return Ok(None);
        };
        // Some servers answer a name that is only a prefix of others with the matching list.
        let full = format!("refs/tags/{tag}");
        let refs: Vec<RefJson> = match value {
            Value::Array(items) => items
                .into_iter()
                .filter_map(|item| serde_json::from_value(item).ok())
                .collect(),
            other => vec![
                serde_json::from_value(other).map_err(|e| GitHubError::Decode {
                    action: action.clone(),
                    message: e.to_string(),
                })?,
            ],
        };
        Ok(refs
            .into_iter()
            .find(|r| r.reference == full)
            .map(|r| r.object.into()))
    }

    async fn get_tag_object(&self, sha: &str) -> Result<RefTarget, GitHubError> {
        let action = format!("read the tag object {sha}");
        let route = self.route(&format!("git/tags/{}", encode_path(sha)));
        let tag: TagObjectJson = self.required(Method::Get, &route, None, &action).await?;
        Ok(tag.object.into())
    }

    async fn create_tag_object(
        &self,
        name: &str,
        commit: &str,
        message: &str,
    ) -> Result<String, GitHubError> {
        let action = format!("create the tag object {name} for {commit}");
        let body = json!({ "tag": name, "message": message, "object": commit, "type": "commit" });
        let created: ShaJson = self
            .required(Method::Post, &self.route("git/tags"), Some(&body), &action)
            .await?;
        Ok(created.sha)
    }

    async fn create_ref(&self, tag: &str, sha: &str) -> Result<(), GitHubError> {
        let action = format!("create the tag {tag}");
        let body = json!({ "ref": format!("refs/tags/{tag}"), "sha": sha });
        let _: Value = self
            .required(Method::Post, &self.route("git/refs"), Some(&body), &action)
            .await?;
        Ok(())
    }

    async fn update_ref(&self, tag: &str, sha: &str, force: bool) -> Result<(), GitHubError> {
        let action = format!("move the tag {tag} to {sha}");
        let route = self.route(&format!("git/refs/tags/{}", encode_path(tag)));
        let body = json!({ "sha": sha, "force": force });
        let _: Value = self
            .required(Method::Patch, &route, Some(&body), &action)
            .await?;
        Ok(())
    }

    async fn get_release_by_tag(&self, tag: &str) -> Result<Option<Release>, GitHubError> {
        let action = format!("read the release of {tag}");
        let route = self.route(&format!("releases/tags/{}", encode_path(tag)));
        if let Some(release) = self.json(Method::Get, &route, None, &action, true).await? {
            return Ok(Some(release));
        }
        // Drafts have no tag yet for GitHub: they are found only in the list (newest first).
        let route = self.route("releases?per_page=100");
        let releases: Vec<Release> = self.required(Method::Get, &route, None, &action).await?;
        Ok(releases.into_iter().find(|r| r.tag_name == tag))
    }

    async fn create_release(&self, spec: &ReleaseSpec) -> Result<Release, GitHubError> {
        let action = format!("create the release of {}", spec.tag);
        let body = release_json(spec, true);
        self.required(Method::Post, &self.route("releases"), Some(&body), &action)
            .await
    }

    async fn update_release(&self, id: u64, spec: &ReleaseSpec) -> Result<Release, GitHubError> {
        let action = format!("update the release of {}", spec.tag);
        let body = release_json(spec, false);
        self.required(
            Method::Patch,
            &self.route(&format!("releases/{id}")),
            Some(&body),
            &action,
        )
        .await
    }
}

// ---- helpers ---------------------------------------------------------------------------------

/// `owner/name` split, each part checked against GitHub's characters.
fn parse_repository(value: &str) -> Result<(String, String), GitHubError> {
    let invalid = || GitHubError::InvalidRepository {
        value: value.to_owned(),
    };
    let (owner, name) = value.trim().split_once('/').ok_or_else(invalid)?;
    let valid = |part: &str| {
        !part.is_empty()
            && part != "."
            && part != ".."
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    };
    if valid(owner) && valid(name) {
        Ok((owner.to_owned(), name.to_owned()))
    } else {
        Err(invalid())
    }
}

/// Percent-encode a path (tag names may hold `#`, `%`, `+`, …); `/` stays.
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// GitHub's `message` (and `errors`) from an error body, else the body itself, shortened.
fn error_message(body: &str) -> String {
    #[derive(Deserialize)]
    struct ErrorJson {
        #[serde(default)]
        message: Option<String>,
        #[serde(default)]
        errors: Vec<Value>,
    }
    match serde_json::from_str::<ErrorJson>(body) {
        Ok(ErrorJson {
            message: Some(message),
            errors,
        }) => {
            let details: Vec<String> = errors
                .iter()
                .map(|e| match e {
                    Value::String(s) => s.clone(),
                    Value::Object(o) => o
                        .get("message")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                        .or_else(|| o.get("code").and_then(Value::as_str).map(str::to_owned))
                        .unwrap_or_else(|| e.to_string()),
                    other => other.to_string(),
                })
                .collect();
            if details.is_empty() {
                shorten(&message)
            } else {
                shorten(&format!("{message}: {}", details.join("; ")))
            }
        }
        _ if body.trim().is_empty() => "no message".to_owned(),
        _ => shorten(body.trim()),
    }
}

fn shorten(text: &str) -> String {
    match text.char_indices().nth(MAX_MESSAGE_SHOWN) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// An octocrab error with its sources (the useful part is usually the innermost).
fn error_text(error: &octocrab::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        let inner_text = inner.to_string();
        if !text.contains(&inner_text) {
            text.push_str(": ");
            text.push_str(&inner_text);
        }
        source = inner.source();
    }
    text
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
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

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(100),
            rate_limit_wait: Duration::from_secs(60),
            max_wait: Duration::from_secs(120),
        }
    }

    #[test]
    fn server_errors_and_transport_errors_are_retried_with_backoff() {
        let none = RateHints::default();
        let p = policy();
        assert_eq!(
            retry_decision(Some(500), &none, "", 1, &p, 0),
            RetryDecision::Retry(Duration::from_millis(100))
        );
        assert_eq!(
            retry_decision(Some(502), &none, "", 2, &p, 0),
            RetryDecision::Retry(Duration::from_millis(200))
        );
        assert_eq!(
            retry_decision(Some(503), &none, "", 3, &p, 0),
            RetryDecision::GiveUp
        );
        assert_eq!(
            retry_decision(None, &none, "connection refused", 1, &p, 0),
            RetryDecision::Retry(Duration::from_millis(100))
        );
        for status in [200, 201, 401, 403, 404, 422] {
            assert_eq!(
                retry_decision(Some(status), &none, "Not allowed", 1, &p, 0),
                RetryDecision::Done,
                "{status}"
            );
        }
    }

    #[test]
    fn rate_limits_wait_what_github_says_within_bounds() {
        let p = policy();
        let after = RateHints {
            retry_after: Some(3),
            ..RateHints::default()
        };
        assert_eq!(
            retry_decision(Some(403), &after, "", 1, &p, 0),
            RetryDecision::Retry(Duration::from_secs(3))
        );
        let exhausted = RateHints {
            retry_after: None,
            remaining: Some(0),
            reset: Some(1_000_030),
        };
        assert_eq!(
            retry_decision(Some(403), &exhausted, "", 1, &p, 1_000_000),
            RetryDecision::Retry(Duration::from_secs(30))
        );
        // Resets in an hour: not worth holding the job.
        assert_eq!(
            retry_decision(Some(403), &exhausted, "", 1, &p, 996_400),
            RetryDecision::GiveUp
        );
        let none = RateHints::default();
        assert_eq!(
            retry_decision(
                Some(403),
                &none,
                "You have exceeded a secondary rate limit",
                1,
                &p,
                0
            ),
            RetryDecision::Retry(Duration::from_secs(60))
        );
        assert_eq!(
            retry_decision(Some(429), &none, "", 1, &p, 0),
            RetryDecision::Retry(Duration::from_secs(60))
        );
        assert_eq!(
            retry_decision(Some(429), &none, "", 3, &p, 0),
            RetryDecision::GiveUp
        );
    }

    #[test]
    fn repositories_are_owner_slash_name() {
        assert_eq!(
            parse_repository("acme/shop.api").unwrap(),
            ("acme".to_owned(), "shop.api".to_owned())
        );
        for bad in [
            "", "acme", "acme/", "/shop", "a/b/c", "a b/c", "acme/..", "a/?x",
        ] {
            assert!(parse_repository(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn paths_are_percent_encoded() {
        assert_eq!(encode_path("v1.0.0"), "v1.0.0");
        assert_eq!(encode_path("pkg/v1.0.0+build.1"), "pkg/v1.0.0%2Bbuild.1");
        assert_eq!(encode_path("a#b%c"), "a%23b%25c");
        assert_eq!(encode_path("é"), "%C3%A9");
    }

    #[test]
    fn error_bodies_give_github_s_message() {
        assert_eq!(
            error_message(r#"{"message":"Reference already exists","documentation_url":"x"}"#),
            "Reference already exists"
        );
        assert_eq!(
            error_message(
                r#"{"message":"Validation Failed","errors":[{"resource":"Release","code":"already_exists","field":"tag_name"}]}"#
            ),
            "Validation Failed: already_exists"
        );
        assert_eq!(error_message(""), "no message");
        assert_eq!(
            error_message("<html>bad gateway</html>"),
            "<html>bad gateway</html>"
        );
    }

    #[test]
    fn the_client_needs_a_runtime_and_a_sane_token() {
        assert!(matches!(
            GitHubClient::new(DEFAULT_API_URL, "t", "o/r"),
            Err(GitHubError::NoRuntime)
        ));
        for token in ["", "  ", "ab cd", "abc\ndef"] {
            assert!(
                matches!(
                    GitHubClient::new(DEFAULT_API_URL, token, "o/r"),
                    Err(GitHubError::InvalidToken)
                ),
                "{token:?}"
            );
        }
        assert!(matches!(
            GitHubClient::new("ftp://x", "t", "o/r"),
            Err(GitHubError::InvalidApiUrl { .. })
        ));
    }

    #[test]
    fn the_client_builds_for_github_com_with_system_roots() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let client = GitHubClient::new("", "ghs_token\n", "acme/shop").unwrap();
            assert_eq!(client.repository(), "acme/shop");
        });
    }
}

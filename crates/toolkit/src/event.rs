//! The payload of the event that triggered the workflow (`GITHUB_EVENT_NAME` +
//! `GITHUB_EVENT_PATH`), parsed into typed structs.
//!
//! Payloads differ between events, GitHub versions, GHES and nektos/act (which sends only what
//! the workflow author gave it), so every field here is optional or defaulted, and a field of
//! an unexpected type reads as absent instead of failing the whole parse (`created_at` is a
//! number in `push` payloads and a string elsewhere). Anything not modelled is still in
//! [`EventPayload::raw`].

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::env::Env;

/// The all-zero sha GitHub uses for "no commit" (`before` of a new branch, `after` of a
/// deleted one).
pub const ZERO_SHA: &str = "0000000000000000000000000000000000000000";

/// True for an absent commit: empty or all zeros.
#[must_use]
pub fn is_zero_sha(sha: &str) -> bool {
    sha.bytes().all(|b| b == b'0')
}

/// Deserialize any field leniently: missing, `null` or of the wrong type gives the default.
fn lenient<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Default,
{
    let value = Value::deserialize(deserializer)?;
    Ok(serde_json::from_value(value).unwrap_or_default())
}

/// Declare a payload struct whose every field is read with [`lenient`].
macro_rules! payload {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
        pub struct $name {
            $(
                $(#[$fmeta])*
                #[serde(default, deserialize_with = "lenient")]
                pub $field: $ty,
            )*
        }
    };
}

payload! {
    /// A user, organization or bot.
    pub struct Actor {
        /// Login name.
        pub login: Option<String>,
        /// Numeric id.
        pub id: Option<u64>,
        /// `User`, `Organization` or `Bot`.
        #[serde(rename = "type")]
        pub kind: Option<String>,
    }
}

payload! {
    /// A repository, as embedded in payloads.
    pub struct Repository {
        /// Numeric id.
        pub id: Option<u64>,
        /// Name without owner.
        pub name: Option<String>,
        /// `owner/name`.
        pub full_name: Option<String>,
        /// Owner.
        pub owner: Option<Actor>,
        /// Private repository.
        pub private: Option<bool>,
        /// A fork of another repository.
        pub fork: Option<bool>,
        /// Web page.
        pub html_url: Option<String>,
        /// HTTPS clone URL.
        pub clone_url: Option<String>,
        /// Default branch name.
        pub default_branch: Option<String>,
    }
}

payload! {
    /// Author or committer of a commit in a push.
    pub struct GitUser {
        /// Name.
        pub name: Option<String>,
        /// Email.
        pub email: Option<String>,
        /// GitHub login, when known.
        pub username: Option<String>,
    }
}

payload! {
    /// A commit as listed in a push (at most 2048 per payload, and without the files of
    /// merge commits: use git for anything exact).
    pub struct Commit {
        /// Commit sha.
        pub id: Option<String>,
        /// Tree sha.
        pub tree_id: Option<String>,
        /// False when the commit was already on another branch.
        pub distinct: Option<bool>,
        /// Full message.
        pub message: Option<String>,
        /// ISO 8601 timestamp.
        pub timestamp: Option<String>,
        /// Web URL.
        pub url: Option<String>,
        /// Author.
        pub author: Option<GitUser>,
        /// Committer.
        pub committer: Option<GitUser>,
        /// Paths added.
        pub added: Vec<String>,
        /// Paths removed.
        pub removed: Vec<String>,
        /// Paths modified.
        pub modified: Vec<String>,
    }
}

payload! {
    /// `push`.
    pub struct PushEvent {
        /// Full ref pushed, e.g. `refs/heads/main` or `refs/tags/v1.0.0`.
        #[serde(rename = "ref")]
        pub git_ref: Option<String>,
        /// Sha before the push ([`ZERO_SHA`] for a new ref).
        pub before: Option<String>,
        /// Sha after the push ([`ZERO_SHA`] for a deleted ref).
        pub after: Option<String>,
        /// The ref was created.
        pub created: bool,
        /// The ref was deleted.
        pub deleted: bool,
        /// The push was forced.
        pub forced: bool,
        /// For a tag pushed together with a branch, that branch.
        pub base_ref: Option<String>,
        /// Compare URL.
        pub compare: Option<String>,
        /// Commits pushed (at most 2048).
        pub commits: Vec<Commit>,
        /// The new tip (absent for deletions).
        pub head_commit: Option<Commit>,
        /// The repository.
        pub repository: Option<Repository>,
        /// Who pushed.
        pub pusher: Option<GitUser>,
        /// Who triggered the event.
        pub sender: Option<Actor>,
    }
}

impl PushEvent {
    /// Branch name when a branch was pushed.
    #[must_use]
    pub fn branch(&self) -> Option<&str> {
        self.git_ref.as_deref()?.strip_prefix("refs/heads/")
    }

    /// Tag name when a tag was pushed.
    #[must_use]
    pub fn tag(&self) -> Option<&str> {
        self.git_ref.as_deref()?.strip_prefix("refs/tags/")
    }
}

payload! {
    /// A label.
    pub struct Label {
        /// Name.
        pub name: Option<String>,
    }
}

payload! {
    /// The base or head of a pull request.
    pub struct PullRequestRef {
        /// `owner:branch`.
        pub label: Option<String>,
        /// Branch name (not a full ref).
        #[serde(rename = "ref")]
        pub git_ref: Option<String>,
        /// Commit sha.
        pub sha: Option<String>,
        /// Repository (absent when a fork was deleted).
        pub repo: Option<Repository>,
        /// Owner of the repository.
        pub user: Option<Actor>,
    }
}

payload! {
    /// A pull request.
    pub struct PullRequest {
        /// Number.
        pub number: Option<u64>,
        /// `open` or `closed`.
        pub state: Option<String>,
        /// Title.
        pub title: Option<String>,
        /// Draft.
        pub draft: Option<bool>,
        /// Merged.
        pub merged: Option<bool>,
        /// The test merge commit (or the merge commit once merged).
        pub merge_commit_sha: Option<String>,
        /// Web page.
        pub html_url: Option<String>,
        /// Author.
        pub user: Option<Actor>,
        /// Labels.
        pub labels: Vec<Label>,
        /// Target.
        pub base: PullRequestRef,
        /// Source.
        pub head: PullRequestRef,
        /// Number of files changed.
        pub changed_files: Option<u64>,
        /// Number of commits.
        pub commits: Option<u64>,
    }
}

impl PullRequest {
    /// True when head and base are in different repositories (secrets are not available to
    /// `pull_request` runs from forks). `None` when a repository is missing from the payload.
    #[must_use]
    pub fn is_from_fork(&self) -> Option<bool> {
        let head = self.head.repo.as_ref()?.full_name.as_deref()?;
        let base = self.base.repo.as_ref()?.full_name.as_deref()?;
        Some(head != base)
    }
}

payload! {
    /// `pull_request` and `pull_request_target`.
    pub struct PullRequestEvent {
        /// `opened`, `synchronize`, `closed`, ...
        pub action: Option<String>,
        /// Pull request number.
        pub number: Option<u64>,
        /// The pull request.
        pub pull_request: PullRequest,
        /// The repository.
        pub repository: Option<Repository>,
        /// Who triggered the event.
        pub sender: Option<Actor>,
    }
}

payload! {
    /// The merge group of a merge queue.
    pub struct MergeGroup {
        /// Sha of the merge group's commit.
        pub head_sha: Option<String>,
        /// Full ref of the temporary merge group branch.
        pub head_ref: Option<String>,
        /// Sha of the target branch the group is based on.
        pub base_sha: Option<String>,
        /// Full ref of the target branch.
        pub base_ref: Option<String>,
        /// The merge group's commit.
        pub head_commit: Option<Commit>,
    }
}

payload! {
    /// `merge_group`.
    pub struct MergeGroupEvent {
        /// `checks_requested` or `destroyed`.
        pub action: Option<String>,
        /// The merge group.
        pub merge_group: MergeGroup,
        /// The repository.
        pub repository: Option<Repository>,
        /// Who triggered the event.
        pub sender: Option<Actor>,
    }
}

payload! {
    /// `workflow_dispatch`.
    pub struct WorkflowDispatchEvent {
        /// Full ref the workflow runs on.
        #[serde(rename = "ref")]
        pub git_ref: Option<String>,
        /// Inputs as given (strings, or booleans and numbers for typed inputs).
        pub inputs: BTreeMap<String, Value>,
        /// Path of the workflow file.
        pub workflow: Option<String>,
        /// The repository.
        pub repository: Option<Repository>,
        /// Who triggered the event.
        pub sender: Option<Actor>,
    }
}

impl WorkflowDispatchEvent {
    /// Input `name` as a string (booleans and numbers converted), `None` when absent or null.
    #[must_use]
    pub fn input(&self, name: &str) -> Option<String> {
        match self.inputs.get(name)? {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }
}

payload! {
    /// `schedule`.
    pub struct ScheduleEvent {
        /// The cron expression that fired.
        pub schedule: Option<String>,
        /// Path of the workflow file.
        pub workflow: Option<String>,
        /// The repository.
        pub repository: Option<Repository>,
    }
}

payload! {
    /// `repository_dispatch`.
    pub struct RepositoryDispatchEvent {
        /// The `event_type` given by the sender.
        pub action: Option<String>,
        /// The branch the workflow runs on.
        pub branch: Option<String>,
        /// Whatever the sender put in `client_payload` (`Null` when absent).
        pub client_payload: Value,
        /// The repository.
        pub repository: Option<Repository>,
        /// Who triggered the event.
        pub sender: Option<Actor>,
    }
}

payload! {
    /// A pull request associated with a workflow run.
    pub struct WorkflowRunPullRequest {
        /// Number.
        pub number: Option<u64>,
        /// Target.
        pub base: PullRequestRef,
        /// Source.
        pub head: PullRequestRef,
    }
}

payload! {
    /// The run that completed or was requested.
    pub struct WorkflowRun {
        /// Run id.
        pub id: Option<u64>,
        /// Workflow name.
        pub name: Option<String>,
        /// Title shown for the run.
        pub display_title: Option<String>,
        /// Path of the workflow file.
        pub path: Option<String>,
        /// Sha the run ran on.
        pub head_sha: Option<String>,
        /// Branch the run ran on.
        pub head_branch: Option<String>,
        /// The event that triggered that run.
        pub event: Option<String>,
        /// `queued`, `in_progress`, `completed`, ...
        pub status: Option<String>,
        /// `success`, `failure`, `cancelled`, ... (`None` until completed).
        pub conclusion: Option<String>,
        /// Run number.
        pub run_number: Option<u64>,
        /// Attempt.
        pub run_attempt: Option<u64>,
        /// Workflow id.
        pub workflow_id: Option<u64>,
        /// Web page.
        pub html_url: Option<String>,
        /// Pull requests (empty for runs from forks).
        pub pull_requests: Vec<WorkflowRunPullRequest>,
        /// Repository the head commit is in (differs for forks).
        pub head_repository: Option<Repository>,
    }
}

payload! {
    /// `workflow_run`.
    pub struct WorkflowRunEvent {
        /// `requested`, `in_progress` or `completed`.
        pub action: Option<String>,
        /// The run.
        pub workflow_run: WorkflowRun,
        /// The repository.
        pub repository: Option<Repository>,
        /// Who triggered the event.
        pub sender: Option<Actor>,
    }
}

/// The triggering event, typed for the events gantry's tools act on.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// `push`.
    Push(Box<PushEvent>),
    /// `pull_request` or `pull_request_target` (see [`EventPayload::name`]).
    PullRequest(Box<PullRequestEvent>),
    /// `merge_group`.
    MergeGroup(Box<MergeGroupEvent>),
    /// `workflow_dispatch`.
    WorkflowDispatch(Box<WorkflowDispatchEvent>),
    /// `schedule`.
    Schedule(Box<ScheduleEvent>),
    /// `repository_dispatch`.
    RepositoryDispatch(Box<RepositoryDispatchEvent>),
    /// `workflow_run`.
    WorkflowRun(Box<WorkflowRunEvent>),
    /// Any other event: its name and payload.
    Other(String, Value),
}

impl Event {
    /// Parse `payload` as event `name`.
    ///
    /// # Errors
    /// When the payload of a known event is not a JSON object.
    pub fn from_value(name: &str, payload: &Value) -> Result<Self, serde_json::Error> {
        fn typed<T: DeserializeOwned>(v: &Value) -> Result<Box<T>, serde_json::Error> {
            // serde would also accept an array, read positionally: refuse it.
            if !v.is_object() {
                return Err(serde::de::Error::custom(format!(
                    "expected a JSON object, found {}",
                    json_kind(v)
                )));
            }
            T::deserialize(v).map(Box::new)
        }
        Ok(match name {
            "push" => Self::Push(typed(payload)?),
            "pull_request" | "pull_request_target" => Self::PullRequest(typed(payload)?),
            "merge_group" => Self::MergeGroup(typed(payload)?),
            "workflow_dispatch" => Self::WorkflowDispatch(typed(payload)?),
            "schedule" => Self::Schedule(typed(payload)?),
            "repository_dispatch" => Self::RepositoryDispatch(typed(payload)?),
            "workflow_run" => Self::WorkflowRun(typed(payload)?),
            other => Self::Other(other.to_owned(), payload.clone()),
        })
    }

    /// The commit the event is about: the pushed tip, the pull request head, the merge group
    /// commit, the run's head. `None` for other events and for deletions.
    #[must_use]
    pub fn head_sha(&self) -> Option<&str> {
        let sha = match self {
            Self::Push(e) => e.after.as_deref(),
            Self::PullRequest(e) => e.pull_request.head.sha.as_deref(),
            Self::MergeGroup(e) => e.merge_group.head_sha.as_deref(),
            Self::WorkflowRun(e) => e.workflow_run.head_sha.as_deref(),
            _ => None,
        };
        sha.filter(|s| !is_zero_sha(s))
    }

    /// The commit to compare against: the sha before a push, the pull request base, the merge
    /// group base. `None` for other events and for new branches (no `before`).
    #[must_use]
    pub fn base_sha(&self) -> Option<&str> {
        let sha = match self {
            Self::Push(e) => e.before.as_deref(),
            Self::PullRequest(e) => e.pull_request.base.sha.as_deref(),
            Self::MergeGroup(e) => e.merge_group.base_sha.as_deref(),
            _ => None,
        };
        sha.filter(|s| !is_zero_sha(s))
    }
}

/// An event with its name and the untyped payload.
#[derive(Debug, Clone, PartialEq)]
pub struct EventPayload {
    /// `GITHUB_EVENT_NAME`, e.g. `push`, `pull_request_target`.
    pub name: String,
    /// Typed view.
    pub event: Event,
    /// The whole payload, for fields not modelled in [`Event`].
    pub raw: Value,
}

/// An event payload that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// `GITHUB_EVENT_PATH` is set but `GITHUB_EVENT_NAME` is not.
    #[error(
        "GITHUB_EVENT_PATH is set but GITHUB_EVENT_NAME is not: set both (e.g. GITHUB_EVENT_NAME=push) or neither"
    )]
    MissingName,
    /// The file cannot be read.
    #[error("cannot read the event payload {} (GITHUB_EVENT_PATH): {source}; check that the path points to a readable JSON file", .path.display())]
    Read {
        /// The payload path.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is not JSON, or a known event's payload is not an object.
    #[error("the '{name}' event payload {} is not valid: {source}; it must be a JSON object like the webhook payload GitHub sends", .path.display())]
    Invalid {
        /// The event name.
        name: String,
        /// The payload path (empty when parsed from a string).
        path: PathBuf,
        /// The underlying error.
        source: serde_json::Error,
    },
}

impl EventPayload {
    /// Parse a payload text for event `name`.
    ///
    /// # Errors
    /// When `json` is not JSON or a known event's payload is not an object.
    pub fn parse(name: &str, json: &str) -> Result<Self, EventError> {
        Self::parse_at(name, json, PathBuf::new())
    }

    /// Build from an already parsed payload.
    ///
    /// # Errors
    /// When a known event's payload is not an object.
    pub fn from_value(name: &str, raw: Value) -> Result<Self, serde_json::Error> {
        Ok(Self {
            name: name.to_owned(),
            event: Event::from_value(name, &raw)?,
            raw,
        })
    }

    /// The event of the current job, from `GITHUB_EVENT_NAME` and `GITHUB_EVENT_PATH`.
    /// `Ok(None)` when `GITHUB_EVENT_PATH` is unset (a plain CLI run).
    ///
    /// # Errors
    /// When the name is missing or the file cannot be read or parsed.
    pub fn from_env(env: &Env) -> Result<Option<Self>, EventError> {
        let Some(path) = env.get_non_empty("GITHUB_EVENT_PATH") else {
            return Ok(None);
        };
        let name = env
            .get_non_empty("GITHUB_EVENT_NAME")
            .ok_or(EventError::MissingName)?;
        let path = PathBuf::from(path);
        let text = std::fs::read_to_string(&path).map_err(|source| EventError::Read {
            path: path.clone(),
            source,
        })?;
        Self::parse_at(name, &text, path).map(Some)
    }

    fn parse_at(name: &str, json: &str, path: PathBuf) -> Result<Self, EventError> {
        let invalid = |source| EventError::Invalid {
            name: name.to_owned(),
            path: path.clone(),
            source,
        };
        let raw: Value = serde_json::from_str(json).map_err(invalid)?;
        Self::from_value(name, raw).map_err(invalid)
    }
}

/// What a JSON value is, for messages: `null`, `a boolean`, `a number`, `a string`, `an
/// array`, `an object`.
pub fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(name: &str, v: Value) -> Event {
        EventPayload::from_value(name, v).unwrap().event
    }

    #[test]
    fn empty_payloads_parse_for_every_known_event() {
        for name in [
            "push",
            "pull_request",
            "pull_request_target",
            "merge_group",
            "workflow_dispatch",
            "schedule",
            "repository_dispatch",
            "workflow_run",
        ] {
            let event = parse(name, json!({}));
            assert!(!matches!(event, Event::Other(..)), "{name}");
            assert_eq!(event.head_sha(), None);
            assert_eq!(event.base_sha(), None);
        }
        assert_eq!(
            parse("issues", json!({"action": "opened"})),
            Event::Other("issues".into(), json!({"action": "opened"}))
        );
    }

    #[test]
    fn minimal_push() {
        let Event::Push(push) = parse(
            "push",
            json!({"ref": "refs/heads/main", "after": "a".repeat(40), "before": ZERO_SHA, "commits": null}),
        ) else {
            panic!("not a push");
        };
        assert_eq!(push.branch(), Some("main"));
        assert_eq!(push.tag(), None);
        assert!(push.commits.is_empty());
        assert!(!push.created);
        assert!(push.head_commit.is_none());
        let event = Event::Push(push);
        assert_eq!(event.head_sha(), Some("a".repeat(40).as_str()));
        assert_eq!(event.base_sha(), None);
    }

    #[test]
    fn wrong_types_read_as_absent() {
        let Event::Push(push) = parse(
            "push",
            json!({"ref": 5, "created": "yes", "commits": [{"id": "x", "added": "nope"}], "repository": {"id": "12", "created_at": 1, "full_name": "o/r"}}),
        ) else {
            panic!("not a push");
        };
        assert_eq!(push.git_ref, None);
        assert!(!push.created);
        assert_eq!(push.commits[0].id.as_deref(), Some("x"));
        assert!(push.commits[0].added.is_empty());
        let repo = push.repository.unwrap();
        assert_eq!(repo.id, None);
        assert_eq!(repo.full_name.as_deref(), Some("o/r"));
    }

    #[test]
    fn minimal_pull_request() {
        let event = parse(
            "pull_request_target",
            json!({"number": 7, "pull_request": {"base": {"sha": "b"}, "head": {"sha": "h", "repo": null}}}),
        );
        let Event::PullRequest(pr) = &event else {
            panic!("not a pull request");
        };
        assert_eq!(pr.number, Some(7));
        assert_eq!(pr.pull_request.number, None);
        assert_eq!(pr.pull_request.is_from_fork(), None);
        assert_eq!(event.base_sha(), Some("b"));
        assert_eq!(event.head_sha(), Some("h"));
    }

    #[test]
    fn fork_detection() {
        let Event::PullRequest(pr) = parse(
            "pull_request",
            json!({"pull_request": {"base": {"repo": {"full_name": "o/r"}}, "head": {"repo": {"full_name": "f/r"}}}}),
        ) else {
            panic!("not a pull request");
        };
        assert_eq!(pr.pull_request.is_from_fork(), Some(true));
    }

    #[test]
    fn dispatch_inputs_as_strings() {
        let Event::WorkflowDispatch(wd) = parse(
            "workflow_dispatch",
            json!({"ref": "refs/heads/main", "inputs": {"env": "prod", "dry": true, "n": 3, "none": null}}),
        ) else {
            panic!("not workflow_dispatch");
        };
        assert_eq!(wd.input("env").as_deref(), Some("prod"));
        assert_eq!(wd.input("dry").as_deref(), Some("true"));
        assert_eq!(wd.input("n").as_deref(), Some("3"));
        assert_eq!(wd.input("none"), None);
        assert_eq!(wd.input("missing"), None);
    }

    #[test]
    fn schedule_and_repository_dispatch() {
        let Event::Schedule(s) = parse("schedule", json!({"schedule": "*/5 * * * *"})) else {
            panic!("not schedule");
        };
        assert_eq!(s.schedule.as_deref(), Some("*/5 * * * *"));
        let Event::RepositoryDispatch(rd) = parse(
            "repository_dispatch",
            json!({"action": "deploy", "client_payload": {"service": "api"}}),
        ) else {
            panic!("not repository_dispatch");
        };
        assert_eq!(rd.client_payload["service"], "api");
        let Event::RepositoryDispatch(rd) = parse("repository_dispatch", json!({})) else {
            panic!("not repository_dispatch");
        };
        assert_eq!(rd.client_payload, Value::Null);
    }

    #[test]
    fn known_event_with_non_object_payload_is_an_error() {
        let err = EventPayload::parse("push", "[1]").unwrap_err();
        assert!(err.to_string().contains("'push' event payload"), "{err}");
        assert!(
            err.to_string()
                .contains("expected a JSON object, found an array"),
            "{err}"
        );
        assert!(EventPayload::parse("pull_request", "null").is_err());
        assert!(EventPayload::parse("push", "not json").is_err());
        assert!(EventPayload::parse("issues", "[1]").is_ok());
    }

    #[test]
    fn from_env() {
        assert!(EventPayload::from_env(&Env::new()).unwrap().is_none());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("event.json");
        std::fs::write(
            &path,
            r#"{"merge_group": {"head_sha": "h", "base_sha": "b"}}"#,
        )
        .unwrap();
        let env = Env::new().with("GITHUB_EVENT_PATH", path.to_str().unwrap());
        assert!(matches!(
            EventPayload::from_env(&env),
            Err(EventError::MissingName)
        ));
        let env = env.with("GITHUB_EVENT_NAME", "merge_group");
        let payload = EventPayload::from_env(&env).unwrap().unwrap();
        assert_eq!(payload.name, "merge_group");
        assert_eq!(payload.event.head_sha(), Some("h"));
        assert_eq!(payload.raw["merge_group"]["base_sha"], "b");
        let env = env.with(
            "GITHUB_EVENT_PATH",
            dir.path().join("missing.json").to_str().unwrap(),
        );
        let err = EventPayload::from_env(&env).unwrap_err();
        assert!(err.to_string().contains("missing.json"), "{err}");
    }

    #[test]
    fn zero_sha() {
        assert!(is_zero_sha(ZERO_SHA));
        assert!(is_zero_sha(""));
        assert!(!is_zero_sha("6113728f27ae82c7b1a177c8d03f9e96e0adf246"));
    }
}

//! What to compare: a pure decision over the triggering event and the inputs `base`, `ref` and
//! `token`. Nothing here runs git or calls GitHub; [`crate::git`] and [`crate::github`] carry
//! out the [`Plan`].
//!
//! | event | without `base` | notes |
//! |---|---|---|
//! | `pull_request`, `pull_request_review`, `pull_request_review_comment` | token: the PR's files from the API (git if the API stops at 3,000); no token: `HEAD` against its merge-base with `pull_request.base.sha` | `base` is used only without a token |
//! | `pull_request_target` | as above, but the head is `pull_request.head.sha` (the job checks out the base branch) | dorny fails without a token |
//! | `push` to the default branch | `before..HEAD` | `before` gone (force push): the last commit, with a warning |
//! | `push` to another branch | `HEAD` against its merge-base with the default branch | as dorny |
//! | `push`, new branch (`before` = `0000…`) | merge-base with the default branch; the default branch itself: every file added | as dorny |
//! | `push` of a tag | the previous tag reachable from the tag's parent; none: every file added; a moved tag: `before..HEAD` | dorny compares with the default branch (nothing, usually) |
//! | `push`, deleted branch or tag | no changes | |
//! | `merge_group` | `HEAD` against its merge-base with `merge_group.base_sha` | dorny uses the default branch |
//! | `workflow_run` | the triggering run's `head_sha`: against its PR's base (API with a token), else as for other events | dorny looks at the checked-out default branch |
//! | `workflow_dispatch`, `schedule`, `repository_dispatch`, others, no event | on the default branch: the last commit; elsewhere: merge-base with the default branch | as dorny |
//! | any, `base: HEAD` | uncommitted changes: staged, unstaged and untracked (not ignored) files | dorny ignores untracked files |
//!
//! With `base` set (not `HEAD`), outside pull requests: a commit SHA is compared directly
//! (`base..head`); the branch being built compares with `before` (push) or the last commit;
//! any other branch or tag, with the merge-base.

use std::fmt;

use gantry_toolkit::event::{
    Event, EventPayload, MergeGroupEvent, PullRequestEvent, PushEvent, WorkflowRunEvent,
    is_zero_sha,
};
use serde_json::Value;

/// The `base` value that asks for uncommitted changes in the working tree.
pub const HEAD: &str = "HEAD";

/// The inputs and context the decision depends on besides the event payload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BaseInputs {
    /// Input `base`: a branch, tag, full ref, commit SHA, or `HEAD`. Empty counts as unset.
    pub base: Option<String>,
    /// Input `ref`: the head to compare (a branch, tag, full ref or SHA). Default: the checked-out
    /// `HEAD` (for `pull_request_target` and `workflow_run`: the event's head commit).
    pub ref_: Option<String>,
    /// Input `token` is non-empty: pull request files can come from the GitHub API.
    pub token_present: bool,
    /// The default branch when the payload has no `repository.default_branch` (CLI runs, act,
    /// hand-made payloads), e.g. from [`crate::git::Git::default_branch`]; see [`plan_asking`]
    /// to ask for it only when the decision needs it.
    pub default_branch: Option<String>,
    /// `GITHUB_REF` (or, outside a runner, the checked-out branch): the branch being built, for
    /// events whose payload does not say.
    pub current_ref: Option<String>,
}

/// How to get the changed files, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Where the changes come from.
    pub source: ChangeSource,
    /// One human-readable line for the log and the job summary.
    pub reason: String,
    /// Things the user should know (inputs ignored, missing payload fields): print as warnings.
    pub warnings: Vec<String>,
}

/// Where the changed files come from. Revisions are strings for git: `HEAD`, a SHA, a branch or
/// tag name, or a full ref; [`crate::git::Git`] fetches whatever is not in the clone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeSource {
    /// `GET /repos/{owner}/{repo}/pulls/{number}/files`. The API lists at most 3,000 files; when
    /// it stops short of `expected_files` (the payload's `changed_files`), use `fallback`.
    PullRequestApi {
        /// Pull request number.
        number: u64,
        /// `pull_request.changed_files` from the payload, when present.
        expected_files: Option<u64>,
        /// The git equivalent, `None` when the payload lacks what git would need.
        fallback: Option<Box<ChangeSource>>,
    },
    /// `git diff $(git merge-base base head) head`, fetching and deepening a shallow clone until
    /// the merge-base is found. No common history at all: `base..head`, with a warning.
    GitMergeBase {
        /// The branch, tag or commit the head is compared with.
        base: String,
        /// The commit under test.
        head: String,
    },
    /// `git diff before after` (two trees, no history needed).
    GitRange {
        /// The older commit (`before` of a push, or a SHA given as `base`).
        before: String,
        /// The newer commit.
        after: String,
        /// What to do when `before` is in neither the clone nor the remote (a force push
        /// dropped it); `None`: an error.
        if_before_missing: Option<Box<ChangeSource>>,
    },
    /// Changes since the nearest tag reachable from `head`'s first parent (tags and history are
    /// fetched as needed); no such tag: every file of `head` counts as added.
    PreviousTag {
        /// The tagged commit.
        head: String,
    },
    /// `head` against its first parent (a merge: what it brought in); a root commit: every file.
    LastCommit {
        /// The commit.
        head: String,
    },
    /// Every file of `head`, as added.
    AllFiles {
        /// The commit.
        head: String,
    },
    /// Uncommitted changes: staged and unstaged changes to tracked files against `HEAD`, and
    /// untracked files that are not ignored (as added) when `untracked` is true.
    WorkingTree {
        /// Include untracked, not ignored files.
        untracked: bool,
    },
    /// Nothing to compare (a deleted branch or tag): no changed files.
    NoChanges,
}

impl ChangeSource {
    /// A short description, e.g. `git diff merge-base(main, HEAD)..HEAD`.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            ChangeSource::PullRequestApi { number, .. } => {
                format!("pull request #{number} files (GitHub API)")
            }
            ChangeSource::GitMergeBase { base, head } => {
                format!(
                    "git diff merge-base({}, {})..{}",
                    short(base),
                    short(head),
                    short(head)
                )
            }
            ChangeSource::GitRange { before, after, .. } => {
                format!("git diff {}..{}", short(before), short(after))
            }
            ChangeSource::PreviousTag { head } => {
                format!("git diff <previous tag>..{}", short(head))
            }
            ChangeSource::LastCommit { head } => {
                format!("git diff {h}^..{h}", h = short(head))
            }
            ChangeSource::AllFiles { head } => format!("every file of {}", short(head)),
            ChangeSource::WorkingTree { untracked: true } => {
                "uncommitted changes (incl. untracked files)".to_owned()
            }
            ChangeSource::WorkingTree { untracked: false } => "uncommitted changes".to_owned(),
            ChangeSource::NoChanges => "nothing to compare".to_owned(),
        }
    }
}

impl fmt::Display for ChangeSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// The event and inputs do not say what to compare.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BaseError {
    /// A payload field is missing and no input replaces it.
    #[error(
        "cannot tell what to compare for the '{event}' event: {missing}; set the input `{input}` ({hint})"
    )]
    MissingInput {
        /// The event name (`(none)` outside a workflow).
        event: String,
        /// What is missing, e.g. `the payload has no repository.default_branch`.
        missing: String,
        /// The input that would resolve it: `base` or `ref`.
        input: &'static str,
        /// What to put in it.
        hint: &'static str,
    },
}

const BASE_HINT: &str = "a branch such as `main`, a tag, or a commit SHA to compare with; `HEAD` for uncommitted changes";
const REF_HINT: &str =
    "the branch, tag or commit SHA to compare, e.g. `${{ github.event.pull_request.head.sha }}`";

/// Decide how to find the changed files for `event` (`None`: a CLI run outside a workflow).
///
/// # Errors
/// [`BaseError::MissingInput`] when the payload lacks what the decision needs and no input
/// replaces it; the error names the input to set.
pub fn plan(event: Option<&EventPayload>, inputs: &BaseInputs) -> Result<Plan, BaseError> {
    match decide(event, inputs, false) {
        Ok(plan) => Ok(plan),
        Err(Undecided::Refused(e)) => Err(e),
        // Only a decision that may ask says this.
        Err(Undecided::NeedsDefaultBranch) => {
            Err(Cx::new(event, inputs).missing("the default branch is not known", "base"))
        }
    }
}

/// [`plan`], calling `default_branch` for the default branch (when neither the payload nor
/// `inputs` name it) only if the decision depends on it: with an input `base` it seldom does,
/// and asking git costs a process before the diff can start.
///
/// # Errors
/// See [`plan`].
pub fn plan_asking(
    event: Option<&EventPayload>,
    inputs: &BaseInputs,
    default_branch: impl FnOnce() -> Option<String>,
) -> Result<Plan, BaseError> {
    match decide(event, inputs, true) {
        Ok(plan) => Ok(plan),
        Err(Undecided::Refused(e)) => Err(e),
        Err(Undecided::NeedsDefaultBranch) => plan(
            event,
            &BaseInputs {
                default_branch: default_branch(),
                ..inputs.clone()
            },
        ),
    }
}

/// The decision; with `ask`, a default branch neither the payload nor `inputs` name is not
/// taken as missing: the decision stops where it needs it.
fn decide(event: Option<&EventPayload>, inputs: &BaseInputs, ask: bool) -> Result<Plan, Undecided> {
    let mut cx = Cx::new(event, inputs);
    cx.ask_default_branch = ask && cx.default_branch.is_none();
    let (source, reason) = cx.decide()?;
    Ok(Plan {
        source,
        reason,
        warnings: cx.warnings,
    })
}

/// Why a decision was not made.
#[derive(Debug)]
enum Undecided {
    /// The event and inputs do not say what to compare.
    Refused(BaseError),
    /// The decision needs the default branch, which is to be asked for.
    NeedsDefaultBranch,
}

impl From<BaseError> for Undecided {
    fn from(e: BaseError) -> Self {
        Undecided::Refused(e)
    }
}

/// True for a full commit SHA (40 hex digits, or 64 for SHA-256 repositories).
#[must_use]
pub fn is_sha(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `refs/heads/x` and `refs/tags/x` → `x`; anything else unchanged.
#[must_use]
pub fn short_ref(name: &str) -> &str {
    name.strip_prefix("refs/heads/")
        .or_else(|| name.strip_prefix("refs/tags/"))
        .unwrap_or(name)
}

/// A SHA cut to 7 characters for messages; anything else unchanged.
fn short(rev: &str) -> &str {
    if is_sha(rev) { &rev[..7] } else { rev }
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// `before` of the event, for the "compare with the branch being built" case.
#[derive(Debug, Clone, Copy)]
enum Before<'a> {
    /// Not a push: no previous commit is known.
    NotAPush,
    /// A push whose payload has no `before`.
    Missing,
    /// A new branch: `before` is all zeros.
    Zero,
    /// The commit before the push.
    Sha(&'a str),
}

struct Cx<'a> {
    event: Option<&'a EventPayload>,
    name: &'a str,
    base: Option<&'a str>,
    ref_: Option<&'a str>,
    token: bool,
    default_branch: Option<&'a str>,
    /// The default branch is not known yet: [`Cx::default_branch`] says to ask for it.
    ask_default_branch: bool,
    current_ref: Option<&'a str>,
    warnings: Vec<String>,
}

type Decision = Result<(ChangeSource, String), Undecided>;

impl<'a> Cx<'a> {
    fn new(event: Option<&'a EventPayload>, inputs: &'a BaseInputs) -> Self {
        let payload_default = event
            .and_then(|e| e.raw.get("repository"))
            .and_then(|r| r.get("default_branch"))
            .and_then(Value::as_str);
        Cx {
            event,
            name: event.map_or("(none)", |e| e.name.as_str()),
            base: non_empty(inputs.base.as_deref()),
            ref_: non_empty(inputs.ref_.as_deref()),
            token: inputs.token_present,
            default_branch: non_empty(payload_default)
                .or_else(|| non_empty(inputs.default_branch.as_deref()))
                .map(short_ref),
            ask_default_branch: false,
            current_ref: non_empty(inputs.current_ref.as_deref()),
            warnings: Vec::new(),
        }
    }

    /// The default branch, or that the decision must wait for it to be asked for.
    fn default_branch(&self) -> Result<Option<&'a str>, Undecided> {
        if self.ask_default_branch {
            return Err(Undecided::NeedsDefaultBranch);
        }
        Ok(self.default_branch)
    }

    fn missing(&self, missing: impl Into<String>, input: &'static str) -> BaseError {
        BaseError::MissingInput {
            event: self.name.to_owned(),
            missing: missing.into(),
            input,
            hint: if input == "ref" { REF_HINT } else { BASE_HINT },
        }
    }

    fn warn(&mut self, message: impl Into<String>) {
        self.warnings.push(message.into());
    }

    /// The head: input `ref`, else `HEAD`.
    fn head(&self) -> String {
        self.ref_.unwrap_or(HEAD).to_owned()
    }

    fn decide(&mut self) -> Decision {
        if self.base == Some(HEAD) {
            if self.ref_.is_some() {
                self.warn("input `ref` is ignored when `base` is HEAD: the working tree is compared with HEAD");
            }
            return Ok((
                ChangeSource::WorkingTree { untracked: true },
                "`base` is HEAD: uncommitted changes (staged, unstaged and untracked files) against HEAD"
                    .to_owned(),
            ));
        }
        let Some(event) = self.event else {
            let current = self.current_ref.map(short_ref);
            return self.against_base(current, Before::NotAPush, self.head());
        };
        match &event.event {
            Event::PullRequest(pr) => self.pull_request(pr),
            Event::Other(name, raw)
                if name == "pull_request_review" || name == "pull_request_review_comment" =>
            {
                // Same `pull_request` object as `pull_request`; the toolkit does not type it.
                // (An array would be read positionally by serde: only objects count.)
                let pr: PullRequestEvent = if raw.is_object() {
                    serde_json::from_value(raw.clone()).unwrap_or_default()
                } else {
                    PullRequestEvent::default()
                };
                self.pull_request(&pr)
            }
            Event::Push(push) => self.push(push),
            Event::MergeGroup(group) => self.merge_group(group),
            Event::WorkflowRun(run) => self.workflow_run(run),
            Event::WorkflowDispatch(dispatch) => {
                let current = non_empty(dispatch.git_ref.as_deref()).or(self.current_ref);
                self.against_base(current.map(short_ref), Before::NotAPush, self.head())
            }
            Event::RepositoryDispatch(dispatch) => {
                let current = non_empty(dispatch.branch.as_deref()).or(self.current_ref);
                self.against_base(current.map(short_ref), Before::NotAPush, self.head())
            }
            Event::Schedule(_) | Event::Other(..) => {
                let current = self.current_ref.map(short_ref);
                self.against_base(current, Before::NotAPush, self.head())
            }
        }
    }

    /// The generic rule (dorny's): `base` (input, else the default branch) is a SHA → compare
    /// directly; is the branch being built → compare with `before`; else → merge-base.
    fn against_base(
        &mut self,
        current: Option<&str>,
        before: Before<'_>,
        head: String,
    ) -> Decision {
        let from_input = self.base.is_some();
        let base = match self.base {
            Some(base) => Some(short_ref(base)),
            None => self.default_branch()?,
        };
        let Some(base) = base else {
            return Err(Undecided::Refused(self.missing(
                "no input `base`, and the payload has no repository.default_branch to compare with",
                "base",
            )));
        };
        if is_sha(base) {
            let reason = format!(
                "comparing {} with the commit {} given as `base`",
                short(&head),
                short(base)
            );
            return Ok((
                ChangeSource::GitRange {
                    before: base.to_owned(),
                    after: head,
                    if_before_missing: None,
                },
                reason,
            ));
        }
        let what = if from_input {
            "`base`"
        } else {
            "the default branch"
        };
        if current != Some(base) {
            let reason = format!(
                "comparing {} with its merge-base with {base} ({what})",
                short(&head)
            );
            return Ok((
                ChangeSource::GitMergeBase {
                    base: base.to_owned(),
                    head,
                },
                reason,
            ));
        }
        // The base is the branch being built: compare with what it was before.
        let other_default = self.default_branch()?.filter(|d| *d != base);
        match before {
            Before::Sha(before) => {
                let fallback = match other_default {
                    Some(default) => ChangeSource::GitMergeBase {
                        base: default.to_owned(),
                        head: head.clone(),
                    },
                    None => ChangeSource::LastCommit { head: head.clone() },
                };
                let reason = format!(
                    "push to {base}: comparing the commit before the push ({}) with {} (if it is gone after a force push: {})",
                    short(before),
                    short(&head),
                    fallback.describe()
                );
                Ok((
                    ChangeSource::GitRange {
                        before: before.to_owned(),
                        after: head,
                        if_before_missing: Some(Box::new(fallback)),
                    },
                    reason,
                ))
            }
            Before::Zero => match other_default {
                Some(default) => Ok((
                    ChangeSource::GitMergeBase {
                        base: default.to_owned(),
                        head: head.clone(),
                    },
                    format!(
                        "first push of branch {base}: comparing {} with its merge-base with the default branch {default}",
                        short(&head)
                    ),
                )),
                None => Ok((
                    ChangeSource::AllFiles { head },
                    format!("first push of branch {base}: every file counts as added"),
                )),
            },
            Before::Missing => {
                self.warn(format!(
                    "the push payload has no `before` commit: only the last commit of {base} is compared"
                ));
                Ok((
                    ChangeSource::LastCommit { head: head.clone() },
                    format!(
                        "push to {base} without `before`: comparing the last commit {} with its parent",
                        short(&head)
                    ),
                ))
            }
            Before::NotAPush => Ok((
                ChangeSource::LastCommit { head: head.clone() },
                format!(
                    "'{}' on {base}, which is also {what}: comparing the last commit {} with its parent",
                    self.name,
                    short(&head)
                ),
            )),
        }
    }

    fn push(&mut self, push: &PushEvent) -> Decision {
        let git_ref = non_empty(push.git_ref.as_deref());
        let after = non_empty(push.after.as_deref());
        if push.deleted || after.is_some_and(is_zero_sha) {
            let what = git_ref.map_or_else(|| "the ref".to_owned(), |r| short_ref(r).to_owned());
            return Ok((
                ChangeSource::NoChanges,
                format!("push deleted {what}: nothing to compare, no files changed"),
            ));
        }
        let before = match non_empty(push.before.as_deref()) {
            None => Before::Missing,
            Some(b) if is_zero_sha(b) => Before::Zero,
            Some(b) => Before::Sha(b),
        };
        let head = self.head();
        if let (Some(tag), None) = (push.tag(), self.base) {
            return Ok(match before {
                Before::Sha(before) => (
                    ChangeSource::GitRange {
                        before: before.to_owned(),
                        after: head.clone(),
                        if_before_missing: Some(Box::new(ChangeSource::PreviousTag {
                            head: head.clone(),
                        })),
                    },
                    format!(
                        "tag {tag} was moved: comparing its previous commit {} with {}",
                        short(before),
                        short(&head)
                    ),
                ),
                _ => (
                    ChangeSource::PreviousTag { head: head.clone() },
                    format!(
                        "tag {tag}: comparing {} with the previous tag (every file counts as added when there is none)",
                        short(&head)
                    ),
                ),
            });
        }
        let current = self
            .ref_
            .or_else(|| push.branch())
            .or_else(|| push.tag())
            .or(self.current_ref)
            .map(short_ref);
        self.against_base(current, before, head)
    }

    fn pull_request(&mut self, event: &PullRequestEvent) -> Decision {
        let pr = &event.pull_request;
        let number = pr.number.or(event.number);
        let git = self.pull_request_git(event);
        if let Err(Undecided::NeedsDefaultBranch) = git {
            return git;
        }
        if !self.token {
            let (source, reason) = git?;
            let which = number.map_or_else(String::new, |n| format!(" #{n}"));
            return Ok((
                source,
                format!("pull request{which} without a token: {reason}"),
            ));
        }
        let Some(number) = number else {
            self.warn("the payload has no pull request number: the changed files come from git, not the GitHub API");
            return git;
        };
        if self.base.is_some() {
            self.warn("input `base` is ignored: the pull request's files come from the GitHub API (it is used only if the API cannot list them all)");
        }
        if self.ref_.is_some() {
            self.warn("input `ref` is ignored: the pull request's files come from the GitHub API (it is used only if the API cannot list them all)");
        }
        let fallback = git.ok().map(|(source, _)| Box::new(source));
        let reason = format!(
            "pull request #{number}: files from the GitHub API{}",
            match &fallback {
                Some(f) => format!(" ({} if the API stops at its 3,000-file cap)", f.describe()),
                None => String::new(),
            }
        );
        Ok((
            ChangeSource::PullRequestApi {
                number,
                expected_files: pr.changed_files,
                fallback,
            },
            reason,
        ))
    }

    /// A pull request through git: the head against its merge-base with the PR's base.
    fn pull_request_git(&self, event: &PullRequestEvent) -> Decision {
        let pr = &event.pull_request;
        let head = match self.ref_ {
            Some(r) => r.to_owned(),
            // The job runs on the base branch: the PR's commits are not checked out.
            None if self.name == "pull_request_target" => non_empty(pr.head.sha.as_deref())
                .ok_or_else(|| self.missing("the payload has no pull_request.head.sha", "ref"))?
                .to_owned(),
            None => HEAD.to_owned(),
        };
        let (base, from) = if let Some(base) = self.base {
            (short_ref(base), "`base`")
        } else if let Some(sha) = non_empty(pr.base.sha.as_deref()) {
            (sha, "the pull request's base commit")
        } else if let Some(branch) = non_empty(pr.base.git_ref.as_deref()) {
            (short_ref(branch), "the pull request's base branch")
        } else if let Some(default) = self.default_branch()? {
            (default, "the default branch")
        } else {
            return Err(Undecided::Refused(self.missing(
                "the payload has no pull_request.base.sha, pull_request.base.ref or repository.default_branch",
                "base",
            )));
        };
        let reason = format!(
            "comparing {} with its merge-base with {} ({from})",
            short(&head),
            short(base)
        );
        Ok((
            ChangeSource::GitMergeBase {
                base: base.to_owned(),
                head,
            },
            reason,
        ))
    }

    fn merge_group(&mut self, event: &MergeGroupEvent) -> Decision {
        let group = &event.merge_group;
        let head = self.head();
        if self.base.is_some() {
            let current = non_empty(group.head_ref.as_deref()).map(short_ref);
            return self.against_base(current, Before::NotAPush, head);
        }
        let (base, from) = if let Some(sha) =
            non_empty(group.base_sha.as_deref()).filter(|s| !is_zero_sha(s))
        {
            (sha, "merge_group.base_sha")
        } else if let Some(branch) = non_empty(group.base_ref.as_deref()) {
            (short_ref(branch), "merge_group.base_ref")
        } else if let Some(default) = self.default_branch()? {
            (default, "the default branch")
        } else {
            return Err(Undecided::Refused(self.missing(
                "the payload has no merge_group.base_sha, merge_group.base_ref or repository.default_branch",
                "base",
            )));
        };
        let reason = format!(
            "merge group: comparing {} with its merge-base with {} ({from})",
            short(&head),
            short(base)
        );
        Ok((
            ChangeSource::GitMergeBase {
                base: base.to_owned(),
                head,
            },
            reason,
        ))
    }

    fn workflow_run(&mut self, event: &WorkflowRunEvent) -> Decision {
        let run = &event.workflow_run;
        let head = match (self.ref_, non_empty(run.head_sha.as_deref())) {
            (Some(r), _) => r.to_owned(),
            (None, Some(sha)) => sha.to_owned(),
            (None, None) => {
                self.warn("the workflow_run payload has no workflow_run.head_sha: comparing the checked-out HEAD");
                HEAD.to_owned()
            }
        };
        let branch = non_empty(run.head_branch.as_deref());
        if self.base.is_some() {
            return self.against_base(branch, Before::NotAPush, head);
        }
        if let Some(pr) = run.pull_requests.first() {
            let base = match non_empty(pr.base.sha.as_deref())
                .or_else(|| non_empty(pr.base.git_ref.as_deref()).map(short_ref))
            {
                Some(base) => Some(base),
                None => self.default_branch()?,
            };
            let Some(base) = base else {
                return Err(Undecided::Refused(self.missing(
                    "the triggering run's pull request has no base, and the payload has no repository.default_branch",
                    "base",
                )));
            };
            let git = ChangeSource::GitMergeBase {
                base: base.to_owned(),
                head: head.clone(),
            };
            return Ok(match (self.token, pr.number) {
                (true, Some(number)) => (
                    ChangeSource::PullRequestApi {
                        number,
                        expected_files: None,
                        fallback: Some(Box::new(git.clone())),
                    },
                    format!(
                        "workflow_run of pull request #{number}: files from the GitHub API ({} if the API stops at its 3,000-file cap)",
                        git.describe()
                    ),
                ),
                _ => (
                    git,
                    format!(
                        "workflow_run of a pull request: comparing {} with its merge-base with {}",
                        short(&head),
                        short(base)
                    ),
                ),
            });
        }
        // A run from a fork has no pull_requests; its branch name says nothing about ours.
        let repo = event
            .repository
            .as_ref()
            .and_then(|r| r.full_name.as_deref());
        let head_repo = run
            .head_repository
            .as_ref()
            .and_then(|r| r.full_name.as_deref());
        let from_fork = matches!((repo, head_repo), (Some(a), Some(b)) if a != b);
        let current = if from_fork { None } else { branch };
        self.against_base(current, Before::NotAPush, head)
    }
}

#[cfg(test)]
mod tests;

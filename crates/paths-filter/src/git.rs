//! Changed files from git: the `git` CLI run in the working directory, fetching what a shallow
//! or single-branch clone lacks.
//!
//! Every command runs as `git --no-pager -c core.quotepath=off …` with `LC_ALL=C`, no prompt,
//! no optional locks and stdin closed. Paths are read from `-z` output (NUL-separated), so
//! names with spaces, quotes, tabs, non-ASCII letters and newlines come through unchanged.
//! Revisions that come from inputs are checked (no leading `-`, no control characters) and
//! passed after `--end-of-options`.
//!
//! Renames and type changes are reported as such (`git diff -M`): `R100\0old\0new` becomes
//! [`Change::renamed`], `T` becomes [`ChangeStatus::TypeChange`].

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::io::{BufRead, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

/// What [`GitError::Repo`] holds; see [`gantry_git_cli::RepoError`].
pub use gantry_git_cli::RepoError;
use gantry_git_cli::{self as cli, FETCH, Repo, next_field, stderr_text};

use gantry_toolkit::Runner;

use crate::base::{ChangeSource, Plan, is_sha};
use crate::change::{Change, ChangeStatus};
use crate::github::{GitHubError, PrFiles, PullRequestFiles};

/// The remote fetched from.
pub const DEFAULT_REMOTE: &str = "origin";

/// dorny's default for the input `initial-fetch-depth`.
pub const DEFAULT_INITIAL_FETCH_DEPTH: u32 = 100;

/// How many times a shallow clone is deepened (doubling the depth each time) before the whole
/// history is fetched once with `--unshallow`.
pub const MAX_DEEPEN_ROUNDS: u32 = 6;

/// Read buffer for git's output: large enough that a big diff costs few reads.
const STREAM_BUFFER: usize = 64 * 1024;

/// A git command failed, or its output was not what was expected.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// git cannot run in the working directory, cannot use it, or fails.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// The job was cancelled before a fetch.
    #[error(transparent)]
    Stopped(#[from] gantry_toolkit::Stopped),
    /// A revision from an input or the payload is not usable as one.
    #[error(
        "{what} {rev:?} is not a valid git revision: it must not be empty, start with '-' or contain spaces or control characters"
    )]
    InvalidRevision {
        /// `base`, `head`, …
        what: &'static str,
        /// The value.
        rev: String,
    },
    /// A revision is neither in the clone nor on the remote.
    #[error(
        "{what} '{rev}' is not in the repository at {} and could not be fetched from '{remote}'{detail}; check the value, and that it was pushed",
        .dir.display()
    )]
    RevisionNotFound {
        /// `base`, `head`, …
        what: &'static str,
        /// The revision.
        rev: String,
        /// The working directory.
        dir: PathBuf,
        /// The remote.
        remote: String,
        /// `: <git's message>` or empty.
        detail: String,
    },
    /// A fetch needed to complete a shallow clone's history failed.
    #[error(
        "could not fetch from '{remote}' while {what}: {stderr}; check that the remote is reachable, or check out the whole history (actions/checkout with `fetch-depth: 0`)"
    )]
    FetchFailed {
        /// The remote.
        remote: String,
        /// What the fetch was for, e.g. `deepening the shallow clone by 8 commits to find …`.
        what: String,
        /// What git printed.
        stderr: String,
    },
    /// A pull-request-only source without a git equivalent was given to git.
    #[error(
        "pull request #{number} can only be listed through the GitHub API here: the payload lacks the base to compare with in git; set the input `base`"
    )]
    NoGitEquivalent {
        /// The pull request.
        number: u64,
    },
}

/// The checked-out branch's short name.
const CURRENT_BRANCH: [&str; 4] = ["symbolic-ref", "-q", "--short", "HEAD"];

/// `git cat-file --batch-check`: object names on stdin, one line about each on stdout.
const BATCH_CHECK: [&str; 2] = ["cat-file", "--batch-check"];

/// A `git cat-file --batch-check` under way (see [`Git::start_local_commits`]).
#[derive(Debug)]
struct PendingCommits {
    /// The local names tried for each revision, in order (empty for a refused name).
    lists: Vec<Vec<String>>,
    /// `None` when there was no name to ask about.
    child: Option<std::process::Child>,
}

/// The changed files, and how they were found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Detected {
    /// The changes, in git's (or the API's) order.
    pub changes: Vec<Change>,
    /// What was actually compared, e.g. `git diff 1a2b3c4..5d6e7f8 (merge-base of main and HEAD)`.
    pub compared: String,
    /// For `::warning::` and the job summary (the plan's warnings included).
    pub warnings: Vec<String>,
    /// What was fetched and why, for the log.
    pub notes: Vec<String>,
}

impl Detected {
    /// Print the notes (in a group), what was compared, and the warnings through `runner`.
    pub fn report(&self, runner: &Runner) {
        if !self.notes.is_empty() {
            let _group = runner.group("Fetching history");
            for note in &self.notes {
                runner.info(note);
            }
        }
        runner.info(&format!(
            "{} changed file(s): {}",
            self.changes.len(),
            self.compared
        ));
        for warning in &self.warnings {
            runner.warning(warning);
        }
    }
}

/// [`detect_changes`] failed.
#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    /// git failed.
    #[error(transparent)]
    Git(#[from] GitError),
    /// The GitHub API failed.
    #[error(transparent)]
    GitHub(#[from] GitHubError),
    /// No token was given for a plan that needs the API and has no git equivalent.
    #[error(
        "pull request #{number} needs the GitHub API here (the payload lacks the base to compare with in git): set the input `token` (e.g. `${{{{ github.token }}}}`), or `base`"
    )]
    NeedsToken {
        /// The pull request.
        number: u64,
    },
    /// The API stopped short and there is no repository for git to take over.
    #[error(
        "the GitHub API listed only {received} files of pull request #{number} (it stops at 3,000) and {} is not a git repository to take the rest from: add actions/checkout (any fetch-depth) before this step",
        .dir.display()
    )]
    TruncatedWithoutCheckout {
        /// The pull request.
        number: u64,
        /// Files received.
        received: usize,
        /// The working directory.
        dir: PathBuf,
    },
    /// The API stopped short and git cannot take over.
    #[error(
        "the GitHub API listed only {received} of the {expected} files of pull request #{number} (it stops at 3,000) and git cannot take over: the payload lacks the base to compare with; set the input `base` to the pull request's base branch"
    )]
    TruncatedWithoutFallback {
        /// The pull request.
        number: u64,
        /// Files received.
        received: usize,
        /// Files expected (`?` when unknown).
        expected: String,
    },
}

/// Carry out `plan`: the GitHub API for [`ChangeSource::PullRequestApi`] (through `github`;
/// git when the API stops at its cap, or when `github` is `None`), git for everything else.
/// The plan's warnings are included in the result.
///
/// # Errors
/// See [`DetectError`].
pub fn detect_changes(
    plan: &Plan,
    git: &Git,
    github: Option<&dyn PullRequestFiles>,
    initial_fetch_depth: u32,
) -> Result<Detected, DetectError> {
    let mut detected = match &plan.source {
        ChangeSource::PullRequestApi {
            number,
            expected_files,
            fallback,
        } => {
            let Some(github) = github else {
                let fallback = fallback
                    .as_deref()
                    .ok_or(DetectError::NeedsToken { number: *number })?;
                let mut detected = git.changes(fallback, initial_fetch_depth)?;
                detected.notes.insert(
                    0,
                    format!("no GitHub client for pull request #{number}: using git"),
                );
                return Ok(with_plan_warnings(plan, detected));
            };
            match github.pull_request_files(*number, *expected_files)? {
                PrFiles::Complete { changes, warnings } => Detected {
                    compared: format!(
                        "pull request #{number}: {} files from the GitHub API",
                        changes.len()
                    ),
                    changes,
                    warnings,
                    notes: Vec::new(),
                },
                PrFiles::Truncated {
                    received,
                    expected,
                    reason,
                } => {
                    let Some(fallback) = fallback.as_deref() else {
                        return Err(DetectError::TruncatedWithoutFallback {
                            number: *number,
                            received,
                            expected: expected.map_or_else(|| "?".to_owned(), |e| e.to_string()),
                        });
                    };
                    let mut detected = match git.changes(fallback, initial_fetch_depth) {
                        Err(GitError::Repo(RepoError::NotARepository { dir })) => {
                            return Err(DetectError::TruncatedWithoutCheckout {
                                number: *number,
                                received,
                                dir,
                            });
                        }
                        other => other?,
                    };
                    detected.warnings.insert(
                        0,
                        format!(
                            "the GitHub API cannot list all files of pull request #{number} ({reason}): the {} changed files come from git instead ({})",
                            detected.changes.len(),
                            detected.compared
                        ),
                    );
                    detected
                }
            }
        }
        source => git.changes(source, initial_fetch_depth)?,
    };
    detected = with_plan_warnings(plan, detected);
    Ok(detected)
}

fn with_plan_warnings(plan: &Plan, mut detected: Detected) -> Detected {
    let mut warnings = plan.warnings.clone();
    warnings.append(&mut detected.warnings);
    detected.warnings = warnings;
    detected
}

/// git in one working directory.
#[derive(Debug, Clone)]
pub struct Git {
    repo: Repo,
    remote: String,
    notes: RefCell<Vec<String>>,
    stop: Option<gantry_toolkit::Stop>,
}

/// The merge-base search of [`Git::ensure_merge_base`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeBase {
    /// The base, as a commit SHA.
    pub base: String,
    /// The head, as a commit SHA.
    pub head: String,
    /// The merge-base; `None` when the histories share no commit even in full.
    pub merge_base: Option<String>,
}

impl Git {
    /// git in `dir` (any directory inside the work tree), fetching from `origin`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Git {
            repo: Repo::new(dir),
            remote: DEFAULT_REMOTE.to_owned(),
            notes: RefCell::new(Vec::new()),
            stop: None,
        }
    }

    /// Fetch nothing more once `stop` says the job was cancelled ([`GitError::Stopped`]):
    /// deepening a shallow clone is the one long thing paths-filter does.
    #[must_use]
    pub fn with_stop(mut self, stop: gantry_toolkit::Stop) -> Self {
        self.stop = Some(stop);
        self
    }

    /// Fetch from `remote` instead of `origin`.
    #[must_use]
    pub fn with_remote(mut self, remote: impl Into<String>) -> Self {
        self.remote = remote.into();
        self
    }

    /// The working directory.
    pub fn dir(&self) -> &Path {
        self.repo.dir()
    }

    /// What was fetched since the last call, in order.
    pub fn take_notes(&self) -> Vec<String> {
        std::mem::take(&mut *self.notes.borrow_mut())
    }

    fn note(&self, note: String) {
        self.notes.borrow_mut().push(note);
    }

    // ---- running git -----------------------------------------------------------------------

    /// `git fetch --no-tags --no-recurse-submodules <args>`; records `note` on success.
    fn fetch(&self, args: &[&str], note: String) -> Result<(), GitError> {
        match self.try_fetch(args, note.clone())? {
            Ok(()) => Ok(()),
            Err(stderr) => Err(GitError::FetchFailed {
                remote: self.remote.clone(),
                what: note,
                stderr,
            }),
        }
    }

    /// Like [`Git::fetch`] but a failure is returned as git's message.
    fn try_fetch(&self, args: &[&str], note: String) -> Result<Result<(), String>, GitError> {
        if let Some(stop) = &self.stop {
            stop.check(&note)?;
        }
        let mut all = FETCH.to_vec();
        all.extend_from_slice(args);
        let output = self.repo.output(&all)?;
        if output.status.success() {
            self.note(note);
            Ok(Ok(()))
        } else {
            Ok(Err(stderr_text(&output)))
        }
    }

    // ---- questions -------------------------------------------------------------------------

    /// The commit `rev` names, if it is in the clone.
    ///
    /// # Errors
    /// An invalid revision, or git unusable.
    pub fn resolve_commit(&self, rev: &str) -> Result<Option<String>, GitError> {
        check_rev("revision", rev)?;
        let spec = format!("{rev}^{{commit}}");
        let output =
            self.repo
                .output(&["rev-parse", "--verify", "-q", "--end-of-options", &spec])?;
        Ok(output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
            .filter(|s| !s.is_empty()))
    }

    /// The commits several revisions name, for those already in the clone (`None` for the
    /// others, and for names [`check_rev`] refuses): one `git cat-file --batch-check` for all
    /// the local names of all of them (see [`Git::local_candidates`]), where
    /// [`Git::resolve_commit`] would run git once per name.
    fn local_commits(&self, revs: &[&str]) -> Result<Vec<Option<String>>, GitError> {
        let pending = self.start_local_commits(revs)?;
        self.finish_local_commits(pending)
    }

    /// [`Git::local_commits`] started: git runs while the caller does something else.
    fn start_local_commits(&self, revs: &[&str]) -> Result<PendingCommits, GitError> {
        let lists: Vec<Vec<String>> = revs
            .iter()
            .map(|rev| {
                if check_rev("revision", rev).is_ok() {
                    self.local_candidates(rev)
                } else {
                    Vec::new()
                }
            })
            .collect();
        let mut input = String::new();
        for name in lists.iter().flatten() {
            input.push_str(name);
            input.push_str("^{commit}\n");
        }
        if input.is_empty() {
            return Ok(PendingCommits { lists, child: None });
        }
        let mut child = self
            .repo
            .command(&BATCH_CHECK)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| self.repo.spawn_error(source))?;
        if let Some(mut stdin) = child.stdin.take() {
            // A few names: they fit in the pipe, so this cannot wait on git. Should git stop
            // early, its exit status says why.
            let _ = stdin.write_all(input.as_bytes());
        }
        Ok(PendingCommits {
            lists,
            child: Some(child),
        })
    }

    fn finish_local_commits(
        &self,
        pending: PendingCommits,
    ) -> Result<Vec<Option<String>>, GitError> {
        let PendingCommits { lists, child } = pending;
        let Some(child) = child else {
            return Ok(vec![None; lists.len()]);
        };
        let output = child
            .wait_with_output()
            .map_err(|source| self.repo.spawn_error(source))?;
        let output = self.repo.usable(output)?;
        if !output.status.success() {
            return Err(self.repo.failed(&BATCH_CHECK, &output).into());
        }
        // One line per name, in order: `<sha> commit <size>`, or `<name> missing` (or
        // `ambiguous`) when it names no commit.
        let mut lines = output.stdout.split(|b| *b == b'\n');
        Ok(lists
            .iter()
            .map(|list| {
                let mut found = None;
                for _ in list {
                    let line = lines.next().unwrap_or_default();
                    if found.is_none() {
                        found = commit_of_batch_line(line);
                    }
                }
                found
            })
            .collect())
    }

    /// The merge-base of two commits; `None` when they share no commit (in what the clone has).
    ///
    /// # Errors
    /// git fails otherwise.
    pub fn merge_base(&self, a: &str, b: &str) -> Result<Option<String>, GitError> {
        check_rev("revision", a)?;
        check_rev("revision", b)?;
        let args = ["merge-base", "--end-of-options", a, b];
        let output = self.repo.output(&args)?;
        match output.status.code() {
            Some(0) => Ok(Some(
                String::from_utf8_lossy(&output.stdout).trim().to_owned(),
            )),
            Some(1) => Ok(None),
            _ => Err(self.repo.failed(&args, &output).into()),
        }
    }

    /// True in a shallow clone.
    ///
    /// # Errors
    /// git unusable.
    pub fn is_shallow(&self) -> Result<bool, GitError> {
        Ok(self.repo.is_shallow()?)
    }

    /// The checked-out branch, `None` when HEAD is detached.
    ///
    /// # Errors
    /// git unusable.
    pub fn current_branch(&self) -> Result<Option<String>, GitError> {
        let output = self.repo.output(&CURRENT_BRANCH)?;
        Ok(branch_of(&output))
    }

    /// The remote's default branch as recorded by the clone (`refs/remotes/origin/HEAD`).
    ///
    /// # Errors
    /// git unusable.
    pub fn default_branch(&self) -> Result<Option<String>, GitError> {
        let head = format!("refs/remotes/{}/HEAD", self.remote);
        let output = self.repo.output(&["symbolic-ref", "-q", &head])?;
        Ok(self.default_branch_of(&output))
    }

    fn default_branch_of(&self, output: &Output) -> Option<String> {
        let prefix = format!("refs/remotes/{}/", self.remote);
        branch_of(output).map(|full| full.strip_prefix(&prefix).unwrap_or(&full).to_owned())
    }

    /// [`Git::default_branch`] and [`Git::current_branch`] from two git processes run side
    /// by side, for a caller that needs both (a run outside a workflow has no `GITHUB_REF`).
    ///
    /// # Errors
    /// git unusable.
    pub fn default_and_current_branch(&self) -> Result<(Option<String>, Option<String>), GitError> {
        let current = self
            .repo
            .command(&CURRENT_BRANCH)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| self.repo.spawn_error(source))?;
        let default = self.default_branch();
        let current = current
            .wait_with_output()
            .map_err(|source| self.repo.spawn_error(source))?;
        let current = self.repo.usable(current)?;
        Ok((default?, branch_of(&current)))
    }

    // ---- getting what is missing ----------------------------------------------------------

    /// The local names `name` may have, most trusted first.
    fn local_candidates(&self, name: &str) -> Vec<String> {
        // `HEAD` is the checked-out commit, never `refs/remotes/origin/HEAD`; expressions
        // such as `HEAD~1` or `main@{1}` are git's to read.
        if name.starts_with("refs/") || is_sha(name) || is_pseudo_ref(name) || is_expression(name) {
            return vec![name.to_owned()];
        }
        vec![
            format!("refs/remotes/{}/{name}", self.remote),
            format!("refs/heads/{name}"),
            format!("refs/tags/{name}"),
            name.to_owned(),
        ]
    }

    /// What to fetch for `name`, and where it lands: `(refspec, local name)`.
    fn fetch_candidates(&self, name: &str) -> Vec<(String, String)> {
        let remote = &self.remote;
        if is_sha(name) {
            return vec![(name.to_owned(), name.to_owned())];
        }
        if is_pseudo_ref(name) || is_expression(name) {
            return Vec::new();
        }
        if let Some(branch) = name.strip_prefix("refs/heads/") {
            let local = format!("refs/remotes/{remote}/{branch}");
            return vec![(format!("+{name}:{local}"), local)];
        }
        if name.starts_with("refs/tags/") {
            // Not forced: a local tag that differs from the remote's is left alone.
            return vec![(format!("{name}:{name}"), name.to_owned())];
        }
        if let Some(rest) = name.strip_prefix("refs/") {
            let local = format!("refs/remotes/{remote}/{rest}");
            return vec![(format!("+{name}:{local}"), local)];
        }
        let branch = format!("refs/remotes/{remote}/{name}");
        let tag = format!("refs/tags/{name}");
        vec![
            (format!("+refs/heads/{name}:{branch}"), branch),
            (format!("{tag}:{tag}"), tag),
        ]
    }

    /// The commit `name` (a SHA, branch, tag, full ref or `HEAD`) names, fetching it from the
    /// remote when the clone lacks it: a branch lands in `refs/remotes/origin/<branch>` (so
    /// single-branch clones work), a tag in `refs/tags/<tag>`. In a shallow clone the fetch is
    /// `--depth=<depth>`.
    ///
    /// # Errors
    /// [`GitError::RevisionNotFound`] when it is on neither side.
    pub fn ensure_commit(
        &self,
        what: &'static str,
        name: &str,
        depth: u32,
    ) -> Result<String, GitError> {
        check_rev(what, name)?;
        for candidate in self.local_candidates(name) {
            if let Some(sha) = self.resolve_commit(&candidate)? {
                return Ok(sha);
            }
        }
        let candidates = self.fetch_candidates(name);
        let mut detail = String::new();
        if !candidates.is_empty() {
            let depth_arg = format!("--depth={}", depth.max(1));
            let shallow = self.is_shallow()?;
            for (refspec, local) in candidates {
                let mut args = Vec::new();
                if shallow {
                    args.push(depth_arg.as_str());
                }
                args.extend(["--end-of-options", self.remote.as_str(), refspec.as_str()]);
                let note = if shallow {
                    format!(
                        "fetched {what} {} from {} (depth {depth})",
                        abbrev(name),
                        self.remote
                    )
                } else {
                    format!("fetched {what} {} from {}", abbrev(name), self.remote)
                };
                match self.try_fetch(&args, note)? {
                    Ok(()) => {
                        if let Some(sha) = self.resolve_commit(&local)? {
                            return Ok(sha);
                        }
                    }
                    Err(message) => detail = format!(": {message}"),
                }
            }
        }
        Err(GitError::RevisionNotFound {
            what,
            rev: name.to_owned(),
            dir: self.repo.dir().to_owned(),
            remote: self.remote.clone(),
            detail,
        })
    }

    /// Deepen a shallow clone until `probe` answers: `--deepen` doubling from `initial_depth`
    /// at most [`MAX_DEEPEN_ROUNDS`] times (fewer when a round brings nothing), then the whole
    /// history once with `--unshallow`. `None` when the history is complete and `probe` still
    /// has no answer.
    fn deepen_until<T>(
        &self,
        initial_depth: u32,
        purpose: &str,
        mut probe: impl FnMut(&Self) -> Result<Option<T>, GitError>,
    ) -> Result<Option<T>, GitError> {
        let how = cli::Deepening {
            repo: &self.repo,
            remote: &self.remote,
            initial_depth,
            max_rounds: MAX_DEEPEN_ROUNDS,
            purpose,
        };
        cli::deepen_until(&how, |args, note| self.fetch(args, note), || probe(self))
    }

    /// Make both revisions available and deepen a shallow clone until their merge-base is in
    /// it (see [`Git::ensure_commit`] for fetching, and the bounds on deepening in
    /// [`MAX_DEEPEN_ROUNDS`]). Works in single-branch clones: the base lands in
    /// `refs/remotes/origin/<base>`.
    ///
    /// # Errors
    /// A revision missing on both sides, or a fetch failing.
    pub fn ensure_merge_base(
        &self,
        base: &str,
        head: &str,
        initial_depth: u32,
    ) -> Result<MergeBase, GitError> {
        let (base_sha, head_sha) = self.ensure_pair(base, head, initial_depth)?;
        self.deepen_to_merge_base(base, head, base_sha, head_sha, initial_depth)
    }

    /// The commits of `base` and `head` ([`Git::ensure_commit`], but one git call when both
    /// are in the clone).
    fn ensure_pair(
        &self,
        base: &str,
        head: &str,
        initial_depth: u32,
    ) -> Result<(String, String), GitError> {
        let local = self.local_commits(&[base, head])?;
        self.ensure_pair_from(base, head, local, initial_depth)
    }

    /// [`Git::ensure_pair`] once [`Git::local_commits`] has answered for `[base, head]`.
    fn ensure_pair_from(
        &self,
        base: &str,
        head: &str,
        local: Vec<Option<String>>,
        initial_depth: u32,
    ) -> Result<(String, String), GitError> {
        let mut local = local.into_iter();
        let base_sha = match local.next().flatten() {
            Some(sha) => sha,
            None => self.ensure_commit("base", base, initial_depth)?,
        };
        let head_sha = match local.next().flatten() {
            Some(sha) => sha,
            None => self.ensure_commit("head", head, initial_depth)?,
        };
        Ok((base_sha, head_sha))
    }

    /// The second half of [`Git::ensure_merge_base`], once both commits are in the clone.
    fn deepen_to_merge_base(
        &self,
        base: &str,
        head: &str,
        base_sha: String,
        head_sha: String,
        initial_depth: u32,
    ) -> Result<MergeBase, GitError> {
        let purpose = format!("the merge-base of {} and {}", abbrev(base), abbrev(head));
        let merge_base = self.deepen_until(initial_depth, &purpose, |git| {
            git.merge_base(&base_sha, &head_sha)
        })?;
        Ok(MergeBase {
            base: base_sha,
            head: head_sha,
            merge_base,
        })
    }

    /// The first parent of `sha`, deepening a shallow clone by one commit when `sha` is where
    /// its history is cut. `None` for a root commit.
    fn first_parent(&self, sha: &str) -> Result<Option<String>, GitError> {
        let parent = format!("{sha}^1");
        if let Some(p) = self.resolve_commit(&parent)? {
            return Ok(Some(p));
        }
        if self.repo.shallow_commits()?.contains(sha) {
            self.fetch(
                &["--deepen=1", "--end-of-options", self.remote.as_str(), sha],
                format!(
                    "deepening the shallow clone by 1 commit to find the parent of {}",
                    abbrev(sha)
                ),
            )?;
            if let Some(p) = self.resolve_commit(&parent)? {
                return Ok(Some(p));
            }
            return Err(GitError::RevisionNotFound {
                what: "parent of",
                rev: sha.to_owned(),
                dir: self.repo.dir().to_owned(),
                remote: self.remote.clone(),
                detail: String::new(),
            });
        }
        Ok(None)
    }

    /// The nearest tag reachable from `sha`'s first parent (so not a tag on `sha` itself),
    /// fetching tags and deepening a shallow clone as needed. `None` when there is none.
    ///
    /// # Errors
    /// A fetch failing while deepening.
    pub fn previous_tag(&self, sha: &str, initial_depth: u32) -> Result<Option<String>, GitError> {
        check_rev("revision", sha)?;
        // A shallow or tag-less clone may lack the tags; they are cheap (tips only).
        let shallow = self.is_shallow()?;
        let mut args = Vec::new();
        if shallow {
            args.push("--depth=1");
        }
        args.extend([
            "--end-of-options",
            self.remote.as_str(),
            // Not forced: local tags that differ from the remote's are kept (the fetch
            // then fails for them and still brings the others).
            "refs/tags/*:refs/tags/*",
        ]);
        if let Err(message) =
            self.try_fetch(&args, format!("fetched the tags from {}", self.remote))?
        {
            self.note(format!(
                "could not fetch tags from {} ({message}): using the local tags",
                self.remote
            ));
        }
        let found = self.deepen_until(initial_depth, "the previous tag", |git| {
            let Some(parent) = git.resolve_commit(&format!("{sha}^1"))? else {
                // No parent: a root commit has no previous tag; a cut history needs more.
                return Ok(if git.repo.shallow_commits()?.contains(sha) {
                    None
                } else {
                    Some(None)
                });
            };
            let output = git.repo.output(&[
                "describe",
                "--tags",
                "--abbrev=0",
                "--end-of-options",
                &parent,
            ])?;
            Ok(output
                .status
                .success()
                .then(|| Some(String::from_utf8_lossy(&output.stdout).trim().to_owned())))
        })?;
        Ok(found.flatten())
    }

    // ---- changes -----------------------------------------------------------------------------

    fn diff(&self, base: &str, head: &str) -> Result<Parsed, GitError> {
        Ok(self
            .repo
            .stream(&diff_args(&[], base, head), STREAM_BUFFER, parse)?)
    }

    /// The commits of `base` and `head`, and when both names have one reading (`HEAD~1`, a
    /// SHA, a full ref), [`Git::diff_from_merge_base`] of those names, run side by side with
    /// resolving them: three git processes at once rather than one after the other. The
    /// third value is `None` when that was not tried (or the names turned out not to be in
    /// the clone).
    fn merge_base_quickly(
        &self,
        base: &str,
        head: &str,
        depth: u32,
    ) -> Result<(String, String, Option<QuickDiff>), GitError> {
        let plain =
            |rev: &str| check_rev("revision", rev).is_ok() && self.local_candidates(rev).len() == 1;
        if !(plain(base) && plain(head)) {
            let (base_sha, head_sha) = self.ensure_pair(base, head, depth)?;
            return Ok((base_sha, head_sha, None));
        }
        let pending = self.start_local_commits(&[base, head])?;
        let quick = self.diff_from_merge_base(base, head);
        let local = self.finish_local_commits(pending)?;
        let quick = quick?;
        if let [Some(base_sha), Some(head_sha)] = local.as_slice() {
            return Ok((base_sha.clone(), head_sha.clone(), Some(quick)));
        }
        let (base_sha, head_sha) = self.ensure_pair_from(base, head, local, depth)?;
        Ok((base_sha, head_sha, None))
    }

    /// The merge-base of two commits in the clone and the changes from it to `head`, from two
    /// git processes run side by side (`git merge-base` and `git diff --merge-base`) instead
    /// of one after the other. `None` when that does not settle it — no merge-base in the
    /// clone, several merge-bases (`diff --merge-base` refuses them), a git older than 2.30 —
    /// and the caller takes the step-by-step way, which also deepens shallow clones.
    fn diff_from_merge_base(&self, base: &str, head: &str) -> Result<QuickDiff, GitError> {
        let merge_base = self
            .repo
            .command(&["merge-base", "--end-of-options", base, head])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|source| self.repo.spawn_error(source))?;
        let diff = self.repo.stream(
            &diff_args(&["--merge-base"], base, head),
            STREAM_BUFFER,
            parse,
        );
        let output = merge_base
            .wait_with_output()
            .map_err(|source| self.repo.spawn_error(source))?;
        let merge_base = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        Ok(match diff {
            Ok(parsed) if output.status.success() && is_sha(&merge_base) => {
                Some((merge_base, parsed))
            }
            _ => None,
        })
    }

    /// `git diff base head`: the two trees compared (no history needed), renames detected.
    /// Both must be in the clone (see [`Git::ensure_commit`]).
    ///
    /// # Errors
    /// git fails.
    pub fn changes_between(&self, base: &str, head: &str) -> Result<Vec<Change>, GitError> {
        check_rev("base", base)?;
        check_rev("head", head)?;
        Ok(self.diff(base, head)?.changes)
    }

    /// Every file of `rev`, as added.
    ///
    /// # Errors
    /// git fails.
    pub fn all_files(&self, rev: &str) -> Result<Vec<Change>, GitError> {
        Ok(self.all_files_parsed(rev)?.changes)
    }

    fn all_files_parsed(&self, rev: &str) -> Result<Parsed, GitError> {
        check_rev("revision", rev)?;
        Ok(self.repo.stream(
            &[
                "ls-tree",
                "-r",
                "-z",
                "--name-only",
                "--full-tree",
                "--end-of-options",
                rev,
            ],
            STREAM_BUFFER,
            |out| paths_as(out, ChangeStatus::Added),
        )?)
    }

    /// Uncommitted changes: tracked files against `HEAD` (staged and unstaged, renames
    /// detected), unmerged paths as [`ChangeStatus::Unmerged`], and with `untracked`, files
    /// that are neither tracked nor ignored, as added. Paths are relative to the top of the
    /// work tree, whatever the directory.
    ///
    /// # Errors
    /// git fails.
    pub fn working_tree_changes(&self, untracked: bool) -> Result<Vec<Change>, GitError> {
        Ok(self.working_tree(untracked)?.changes)
    }

    fn working_tree(&self, untracked: bool) -> Result<Parsed, GitError> {
        let mut parsed = if self.resolve_commit("HEAD")?.is_some() {
            self.diff_worktree()?
        } else {
            // No commit yet: everything in the index is new.
            self.repo.stream(
                &["ls-files", "-z", "--full-name", "--", ":/"],
                STREAM_BUFFER,
                |out| paths_as(out, ChangeStatus::Added),
            )?
        };
        let unmerged =
            self.repo
                .run(&["ls-files", "--unmerged", "-z", "--full-name", "--", ":/"])?;
        let mut conflicted = BTreeSet::new();
        for entry in unmerged.split(|b| *b == 0).filter(|e| !e.is_empty()) {
            // `<mode> <object> <stage>\t<path>`
            if let Some(tab) = entry.iter().position(|b| *b == b'\t') {
                let (path, lossy) = path_string(&entry[tab + 1..]);
                parsed.lossy += usize::from(lossy);
                conflicted.insert(path);
            }
        }
        for change in &mut parsed.changes {
            if conflicted.remove(&change.path) {
                change.status = ChangeStatus::Unmerged;
                change.previous_path = None;
            }
        }
        parsed.changes.extend(
            conflicted
                .into_iter()
                .map(|path| Change::new(path, ChangeStatus::Unmerged)),
        );
        if untracked {
            let others = self.repo.stream(
                &[
                    "ls-files",
                    "--others",
                    "--exclude-standard",
                    "-z",
                    "--full-name",
                    "--",
                    ":/",
                ],
                STREAM_BUFFER,
                |out| paths_as(out, ChangeStatus::Added),
            )?;
            parsed.lossy += others.lossy;
            parsed.changes.extend(others.changes);
        }
        Ok(parsed)
    }

    fn diff_worktree(&self) -> Result<Parsed, GitError> {
        let args = [
            "diff",
            "--name-status",
            "-z",
            "-M",
            "--no-color",
            "--no-ext-diff",
            "--no-relative",
            "HEAD",
            "--",
        ];
        Ok(self.repo.stream(&args, STREAM_BUFFER, parse)?)
    }

    /// Carry out one git [`ChangeSource`]. A [`ChangeSource::PullRequestApi`] runs its git
    /// fallback.
    ///
    /// # Errors
    /// See [`GitError`].
    pub fn changes(
        &self,
        source: &ChangeSource,
        initial_fetch_depth: u32,
    ) -> Result<Detected, GitError> {
        let depth = initial_fetch_depth.max(1);
        self.take_notes();
        let mut warnings = Vec::new();
        let (parsed, compared) = self.carry_out(source, depth, &mut warnings)?;
        if parsed.lossy > 0 {
            warnings.push(format!(
                "{} changed path(s) are not valid UTF-8: they are shown with U+FFFD in place of the invalid bytes",
                parsed.lossy
            ));
        }
        Ok(Detected {
            changes: parsed.changes,
            compared,
            warnings,
            notes: self.take_notes(),
        })
    }

    fn carry_out(
        &self,
        source: &ChangeSource,
        depth: u32,
        warnings: &mut Vec<String>,
    ) -> Result<(Parsed, String), GitError> {
        match source {
            ChangeSource::PullRequestApi {
                number, fallback, ..
            } => match fallback {
                Some(fallback) => self.carry_out(fallback, depth, warnings),
                None => Err(GitError::NoGitEquivalent { number: *number }),
            },
            ChangeSource::GitMergeBase { base, head } => {
                let (base_sha, head_sha, quick) = self.merge_base_quickly(base, head, depth)?;
                let quick = match quick {
                    Some(quick) => quick,
                    None => self.diff_from_merge_base(&base_sha, &head_sha)?,
                };
                let (found, parsed) = match quick {
                    Some((merge_base, parsed)) => (
                        MergeBase {
                            base: base_sha,
                            head: head_sha,
                            merge_base: Some(merge_base),
                        },
                        Some(parsed),
                    ),
                    None => (
                        self.deepen_to_merge_base(base, head, base_sha, head_sha, depth)?,
                        None,
                    ),
                };
                let (base, head) = (abbrev(base), abbrev(head));
                match &found.merge_base {
                    Some(mb) => Ok((
                        match parsed {
                            Some(parsed) => parsed,
                            None => self.diff(mb, &found.head)?,
                        },
                        format!(
                            "git diff {}..{} (merge-base of {base} and {head})",
                            abbrev(mb),
                            abbrev(&found.head)
                        ),
                    )),
                    None => {
                        warnings.push(format!(
                            "{base} and {head} have no common history: comparing their trees directly ({}..{})",
                            abbrev(&found.base),
                            abbrev(&found.head)
                        ));
                        Ok((
                            self.diff(&found.base, &found.head)?,
                            format!(
                                "git diff {}..{} ({base} and {head}, no merge-base)",
                                abbrev(&found.base),
                                abbrev(&found.head)
                            ),
                        ))
                    }
                }
            }
            ChangeSource::GitRange {
                before,
                after,
                if_before_missing,
            } => {
                let local = self.local_commits(&[after, before])?;
                let mut local = local.into_iter();
                let after_sha = match local.next().flatten() {
                    Some(sha) => sha,
                    None => self.ensure_commit("head", after, depth)?,
                };
                let before_sha = match local.next().flatten() {
                    Some(sha) => Ok(sha),
                    None => self.ensure_commit("base", before, 1),
                };
                let before_sha = match (before_sha, if_before_missing) {
                    (Ok(sha), _) => sha,
                    (Err(GitError::RevisionNotFound { .. }), Some(fallback)) => {
                        warnings.push(format!(
                            "the commit {} is no longer in the history (a force push?): {} instead",
                            abbrev(before),
                            fallback.describe()
                        ));
                        return self.carry_out(fallback, depth, warnings);
                    }
                    (Err(e), _) => return Err(e),
                };
                Ok((
                    self.diff(&before_sha, &after_sha)?,
                    format!("git diff {}..{}", abbrev(&before_sha), abbrev(&after_sha)),
                ))
            }
            ChangeSource::PreviousTag { head } => {
                let sha = self.ensure_commit("head", head, depth)?;
                match self.previous_tag(&sha, depth)? {
                    Some(tag) => {
                        let tag_ref = format!("refs/tags/{tag}");
                        let tag_sha = self.resolve_commit(&tag_ref)?.ok_or_else(|| {
                            GitError::RevisionNotFound {
                                what: "tag",
                                rev: tag.clone(),
                                dir: self.repo.dir().to_owned(),
                                remote: self.remote.clone(),
                                detail: String::new(),
                            }
                        })?;
                        Ok((
                            self.diff(&tag_sha, &sha)?,
                            format!("git diff {tag}..{} (since the previous tag)", abbrev(&sha)),
                        ))
                    }
                    None => Ok((
                        self.all_files_parsed(&sha)?,
                        format!("every file of {} (no previous tag)", abbrev(&sha)),
                    )),
                }
            }
            ChangeSource::LastCommit { head } => {
                // The commit and, when its name has one reading, its parent: one git call.
                let candidates = self.local_candidates(head);
                let parent_name = match candidates.as_slice() {
                    [only] => format!("{only}^1"),
                    _ => String::new(),
                };
                let local = self.local_commits(&[head, &parent_name])?;
                let mut local = local.into_iter();
                let (sha, parent) = match (local.next().flatten(), local.next().flatten()) {
                    (Some(sha), Some(parent)) => (sha, Some(parent)),
                    (Some(sha), None) => {
                        let parent = self.first_parent(&sha)?;
                        (sha, parent)
                    }
                    (None, _) => {
                        let sha = self.ensure_commit("head", head, depth)?;
                        let parent = self.first_parent(&sha)?;
                        (sha, parent)
                    }
                };
                match parent {
                    Some(parent) => Ok((
                        self.diff(&parent, &sha)?,
                        format!(
                            "git diff {}..{} (the last commit)",
                            abbrev(&parent),
                            abbrev(&sha)
                        ),
                    )),
                    None => Ok((
                        self.all_files_parsed(&sha)?,
                        format!("every file of {} (a root commit)", abbrev(&sha)),
                    )),
                }
            }
            ChangeSource::AllFiles { head } => {
                let sha = self.ensure_commit("head", head, depth)?;
                Ok((
                    self.all_files_parsed(&sha)?,
                    format!("every file of {}", abbrev(&sha)),
                ))
            }
            ChangeSource::WorkingTree { untracked } => Ok((
                self.working_tree(*untracked)?,
                format!("{} against HEAD", source.describe()),
            )),
            ChangeSource::NoChanges => Ok((Parsed::default(), "nothing to compare".to_owned())),
        }
    }
}

/// `git diff --name-status` of two commits, renames detected, with `extra` options.
fn diff_args<'a>(extra: &[&'a str], base: &'a str, head: &'a str) -> Vec<&'a str> {
    let mut args = vec![
        "diff",
        "--name-status",
        "-z",
        "-M",
        "--no-color",
        "--no-ext-diff",
        "--no-relative",
    ];
    args.extend_from_slice(extra);
    args.extend(["--end-of-options", base, head, "--"]);
    args
}

/// `HEAD`, `FETCH_HEAD`, `ORIG_HEAD`, `MERGE_HEAD`, …
fn is_pseudo_ref(name: &str) -> bool {
    name.ends_with("HEAD") && name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
}

/// A revision expression rather than a name: `HEAD~1`, `main^2`, `main@{1}`, `@`, `:/msg`.
fn is_expression(name: &str) -> bool {
    name == "@" || name.contains("@{") || name.contains(['^', '~', ':', '*', '?', '[', '\\'])
}

fn abbrev(rev: &str) -> &str {
    if is_sha(rev) { &rev[..7] } else { rev }
}

/// What `git symbolic-ref -q` printed, when it names a ref.
fn branch_of(output: &Output) -> Option<String> {
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// The SHA of a `git cat-file --batch-check` line for a commit.
fn commit_of_batch_line(line: &[u8]) -> Option<String> {
    let line = std::str::from_utf8(line).ok()?;
    let mut fields = line.split(' ');
    let sha = fields.next()?;
    (fields.next() == Some("commit") && is_sha(sha)).then(|| sha.to_owned())
}

/// Refuse what git could read as an option, or what cannot be a revision.
fn check_rev(what: &'static str, rev: &str) -> Result<(), GitError> {
    if cli::is_valid_rev(rev) {
        Ok(())
    } else {
        Err(GitError::InvalidRevision {
            what,
            rev: rev.to_owned(),
        })
    }
}

/// What [`Git::diff_from_merge_base`] found: the merge-base and the changes since it.
type QuickDiff = Option<(String, Parsed)>;

/// Changes read from git, and how many paths were not UTF-8.
#[derive(Debug, Default)]
struct Parsed {
    changes: Vec<Change>,
    lossy: usize,
}

fn path_string(bytes: &[u8]) -> (String, bool) {
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_owned(), false),
        Err(_) => (String::from_utf8_lossy(bytes).into_owned(), true),
    }
}

/// NUL-separated paths (`ls-tree -z --name-only`, `ls-files -z`), each as a change `status`.
fn paths_as(reader: &mut impl BufRead, status: ChangeStatus) -> Result<Parsed, String> {
    let mut parsed = Parsed::default();
    let mut field = Vec::with_capacity(256);
    while next_field(reader, &mut field)? {
        if field.is_empty() {
            continue;
        }
        let (path, lossy) = path_string(&field);
        parsed.lossy += usize::from(lossy);
        parsed.changes.push(Change::new(path, status));
    }
    Ok(parsed)
}

/// Read `git diff --name-status -z` output: `<status>\0<path>\0`, or for renames and copies
/// `R<score>\0<old>\0<new>\0`. Paths may contain any byte but NUL (newlines included); bytes
/// that are not UTF-8 are replaced with U+FFFD.
///
/// # Errors
/// An unknown status letter or a truncated record.
pub fn parse_name_status(mut output: &[u8]) -> Result<Vec<Change>, GitError> {
    parse(&mut output).map(|p| p.changes).map_err(|detail| {
        GitError::Repo(RepoError::Parse {
            args: "diff --name-status -z".to_owned(),
            detail,
        })
    })
}

/// [`parse_name_status`] over a reader, record by record.
fn parse(reader: &mut impl BufRead) -> Result<Parsed, String> {
    let mut parsed = Parsed::default();
    let mut status = Vec::with_capacity(8);
    let mut field = Vec::with_capacity(256);
    while next_field(reader, &mut status)? {
        let Some(&letter) = status.first() else {
            // The terminator after the last record; anything after it is an error.
            while next_field(reader, &mut field)? {
                if !field.is_empty() {
                    return Err("an empty status in the middle of the output".to_owned());
                }
            }
            break;
        };
        let mut next_path = |lossy_count: &mut usize| -> Result<String, String> {
            if next_field(reader, &mut field)? && !field.is_empty() {
                let (path, lossy) = path_string(&field);
                *lossy_count += usize::from(lossy);
                Ok(path)
            } else {
                Err(format!(
                    "status {:?} is not followed by a path",
                    String::from_utf8_lossy(&status)
                ))
            }
        };
        let lossy = &mut parsed.lossy;
        let change = match letter {
            b'A' => Change::new(next_path(lossy)?, ChangeStatus::Added),
            b'D' => Change::new(next_path(lossy)?, ChangeStatus::Deleted),
            b'M' => Change::new(next_path(lossy)?, ChangeStatus::Modified),
            b'T' => Change::new(next_path(lossy)?, ChangeStatus::TypeChange),
            b'U' => Change::new(next_path(lossy)?, ChangeStatus::Unmerged),
            b'R' | b'C' => {
                let from = next_path(lossy)?;
                let to = next_path(lossy)?;
                let mut change = Change::renamed(from, to);
                if letter == b'C' {
                    change.status = ChangeStatus::Copied;
                }
                change
            }
            _ => {
                return Err(format!(
                    "unknown status {:?}",
                    String::from_utf8_lossy(&status)
                ));
            }
        };
        parsed.changes.push(change);
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn parses_every_status_and_odd_names() {
        let out = b"M\0a b.txt\0A\0dir/\"quoted\"\0D\0caf\xc3\xa9\0R100\0old\nname\0new name\0C075\0src\0copy\0T\0link\0U\0conflict\0";
        let changes = parse_name_status(out).unwrap();
        assert_eq!(
            changes,
            vec![
                Change::new("a b.txt", ChangeStatus::Modified),
                Change::new("dir/\"quoted\"", ChangeStatus::Added),
                Change::new("café", ChangeStatus::Deleted),
                Change::renamed("old\nname", "new name"),
                Change {
                    path: "copy".to_owned(),
                    status: ChangeStatus::Copied,
                    previous_path: Some("src".to_owned()),
                },
                Change::new("link", ChangeStatus::TypeChange),
                Change::new("conflict", ChangeStatus::Unmerged),
            ]
        );
    }

    #[test]
    fn report_prints_notes_what_was_compared_and_warnings() {
        let env = gantry_toolkit::Env::from_iter([("GITHUB_ACTIONS", "true")]);
        let (runner, printed) = Runner::captured(env);
        Detected {
            changes: vec![Change::new("a", ChangeStatus::Added)],
            compared: "git diff 1111111..2222222".to_owned(),
            warnings: vec!["careful".to_owned()],
            notes: vec!["fetched base main from origin (depth 10)".to_owned()],
        }
        .report(&runner);
        assert_eq!(
            printed.lines(),
            [
                "::group::Fetching history",
                "fetched base main from origin (depth 10)",
                "::endgroup::",
                "1 changed file(s): git diff 1111111..2222222",
                "::warning::careful",
            ]
        );
    }

    #[test]
    fn empty_output_is_no_changes() {
        assert_eq!(parse_name_status(b"").unwrap(), vec![]);
    }

    #[test]
    fn refuses_truncated_and_unknown_records() {
        for bad in [
            &b"M\0"[..],
            b"R100\0only-one\0",
            b"X\0what\0",
            b"M\0a\0\0M\0b\0",
        ] {
            assert!(parse_name_status(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn invalid_utf8_is_replaced_and_counted() {
        let parsed = parse(&mut &b"A\0bad\xff\0A\0good\0"[..]).unwrap();
        assert_eq!(parsed.lossy, 1);
        assert_eq!(parsed.changes[0].path, "bad\u{fffd}");
    }

    #[test]
    fn names_that_are_not_branch_names_are_left_to_git() {
        let git = Git::new(".");
        for name in [
            "HEAD",
            "FETCH_HEAD",
            "HEAD~2",
            "main^2",
            "main@{1}",
            "@",
            ":/fix",
        ] {
            assert_eq!(git.local_candidates(name), [name], "{name}");
            assert!(git.fetch_candidates(name).is_empty(), "{name}");
        }
        assert_eq!(
            git.local_candidates("user@topic"),
            [
                "refs/remotes/origin/user@topic",
                "refs/heads/user@topic",
                "refs/tags/user@topic",
                "user@topic"
            ]
        );
        assert_eq!(
            git.fetch_candidates("v1"),
            [
                (
                    "+refs/heads/v1:refs/remotes/origin/v1".to_owned(),
                    "refs/remotes/origin/v1".to_owned()
                ),
                (
                    "refs/tags/v1:refs/tags/v1".to_owned(),
                    "refs/tags/v1".to_owned()
                ),
            ]
        );
        assert_eq!(
            git.fetch_candidates("refs/pull/7/head"),
            [(
                "+refs/pull/7/head:refs/remotes/origin/pull/7/head".to_owned(),
                "refs/remotes/origin/pull/7/head".to_owned()
            )]
        );
    }

    /// A scratch repository; `git(args)` runs git in it and returns its trimmed stdout.
    fn scratch_repo() -> (tempfile::TempDir, impl Fn(&[&str]) -> String) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_owned();
        let git = move |args: &[&str]| {
            let out = Command::new("git")
                .current_dir(&path)
                .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
                .args(args)
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("HOME", &path)
                .output()
                .unwrap();
            assert!(out.status.success(), "git {args:?}: {out:?}");
            String::from_utf8(out.stdout).unwrap().trim().to_owned()
        };
        git(&["init", "-q", "-b", "main"]);
        (dir, git)
    }

    #[test]
    fn local_commits_resolve_like_rev_parse_in_one_call() {
        let (dir, git) = scratch_repo();
        std::fs::write(dir.path().join("a"), "a").unwrap();
        git(&["add", "-A"]);
        git(&["commit", "-qm", "one"]);
        git(&["tag", "-a", "-m", "annotated", "v1"]);
        git(&["commit", "-q", "--allow-empty", "-m", "two"]);
        let head = git(&["rev-parse", "HEAD"]);
        let first = git(&["rev-parse", "HEAD~1"]);
        let tree = git(&["rev-parse", "HEAD^{tree}"]);
        // `main` is only a local branch (no refs/remotes/origin/main): the later candidate
        // counts; `v1` is an annotated tag, peeled to its commit.
        let found = Git::new(dir.path())
            .local_commits(&[
                "HEAD", "main", "v1", "HEAD~1", "HEAD~2", "nope", "-x", "", &tree,
            ])
            .unwrap();
        assert_eq!(
            found,
            [
                Some(head.clone()),
                Some(head),
                Some(first.clone()),
                Some(first),
                None,
                None,
                None,
                None,
                None
            ]
        );
    }

    #[test]
    fn default_and_current_branch_together_equal_each_alone() {
        let (dir, git) = scratch_repo();
        let repo = Git::new(dir.path());
        let both = |repo: &Git| {
            let together = repo.default_and_current_branch().unwrap();
            let alone = (
                repo.default_branch().unwrap(),
                repo.current_branch().unwrap(),
            );
            assert_eq!(together, alone);
            together
        };
        // No commit yet, no origin/HEAD.
        assert_eq!(both(&repo), (None, Some("main".to_owned())));
        git(&["commit", "-q", "--allow-empty", "-m", "one"]);
        git(&["update-ref", "refs/remotes/origin/trunk", "HEAD"]);
        git(&[
            "symbolic-ref",
            "refs/remotes/origin/HEAD",
            "refs/remotes/origin/trunk",
        ]);
        assert_eq!(
            both(&repo),
            (Some("trunk".to_owned()), Some("main".to_owned()))
        );
        git(&["checkout", "-q", "--detach"]);
        assert_eq!(both(&repo), (Some("trunk".to_owned()), None));
        let elsewhere = tempfile::tempdir().unwrap();
        assert!(matches!(
            Git::new(elsewhere.path()).default_and_current_branch(),
            Err(GitError::Repo(RepoError::NotARepository { .. }))
        ));
    }

    #[test]
    fn several_merge_bases_fall_back_to_the_one_git_merge_base_names() {
        // A criss-cross merge: m1 and m2 have two merge-bases (b1 and b2), which
        // `git diff --merge-base` refuses.
        let (dir, git) = scratch_repo();
        let file = |name: &str| std::fs::write(dir.path().join(name), name).unwrap();
        file("a");
        git(&["add", "-A"]);
        git(&["commit", "-qm", "a"]);
        git(&["checkout", "-qb", "one"]);
        file("b1");
        git(&["add", "-A"]);
        git(&["commit", "-qm", "b1"]);
        git(&["checkout", "-q", "main"]);
        file("b2");
        git(&["add", "-A"]);
        git(&["commit", "-qm", "b2"]);
        git(&["merge", "-q", "--no-ff", "-m", "m2", "one"]);
        let m2 = git(&["rev-parse", "HEAD"]);
        git(&["checkout", "-q", "one"]);
        git(&["merge", "-q", "--no-ff", "-m", "m1", "main~1"]);
        file("c");
        git(&["add", "-A"]);
        git(&["commit", "-qm", "c"]);
        let head = git(&["rev-parse", "HEAD"]);
        assert_eq!(
            git(&["merge-base", "--all", &m2, &head]).lines().count(),
            2,
            "the fixture needs two merge-bases"
        );
        let merge_base = git(&["merge-base", &m2, &head]);

        let detected = Git::new(dir.path())
            .changes(
                &ChangeSource::GitMergeBase {
                    base: m2.clone(),
                    head: head.clone(),
                },
                1,
            )
            .unwrap();
        let want =
            parse_name_status(git(&["diff", "--name-status", "-z", &merge_base, &head]).as_bytes())
                .unwrap();
        assert_eq!(detected.changes, want);
        assert!(
            detected.compared.contains(&merge_base[..7]),
            "{}",
            detected.compared
        );
        // The quick way (two git processes side by side) agrees where it applies.
        let git_here = Git::new(dir.path());
        let (quick_base, quick) = git_here
            .diff_from_merge_base(&git(&["rev-parse", "main~1"]), &head)
            .unwrap()
            .unwrap();
        assert_eq!(quick_base, git(&["rev-parse", "main~1"]));
        assert_eq!(
            quick.changes,
            git_here.changes_between(&quick_base, &head).unwrap()
        );
        assert!(
            git_here.diff_from_merge_base(&m2, &head).unwrap().is_none(),
            "two merge-bases"
        );
    }

    #[test]
    fn revisions_that_look_like_options_are_refused() {
        for bad in ["", "-x", "--upload-pack=touch /tmp/x", "a b", "a\nb"] {
            assert!(check_rev("base", bad).is_err(), "{bad:?}");
        }
        for good in ["main", "refs/heads/a/b", "HEAD~1", "v1.0.0"] {
            assert!(check_rev("base", good).is_ok(), "{good:?}");
        }
    }
}

//! The repository through the `git` CLI: release tags merged into HEAD, the commits of a range,
//! completing a shallow or single-branch clone, and creating and pushing tags.
//!
//! Every command runs as `git --no-pager -c core.quotepath=off …` with `LC_ALL=C`, no prompt,
//! no optional locks and stdin closed unless fed. Revisions and tag names that come from inputs
//! are checked (no leading `-`, no spaces or control characters) and passed after
//! `--end-of-options`. Large outputs (`git log` over 100,000 commits) are read as a stream.
//!
//! The commits of a range are every commit reachable from the head and not from the last
//! release, merges included and commits brought in by merges included (not `--first-parent`):
//! the analyzer decides what a merge counts for. With paths (monorepo packages), the range is
//! filtered to the commits that touch them, with `--full-history`: a commit counts when its own
//! change touches the paths, whatever a later merge kept. (git's default simplification would
//! hide a side branch whose changes to the paths were undone before the merge, and with it a
//! `feat` and its revert: the analyzer sees both and cancels them instead.)

use std::collections::{HashMap, HashSet};
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// What [`GitError::Repo`] holds; see [`gantry_git_cli::RepoError`].
pub use gantry_git_cli::RepoError;
/// `url` without user or password; see [`gantry_git_cli::without_credentials`].
pub use gantry_git_cli::without_credentials;
use gantry_git_cli::{self as cli, Fetcher, Repo, next_field, stderr_text};
use gantry_toolkit::Stop;

use crate::commit::Commit;
use crate::github::{FloatingPlan, TagPlan, plan_floating_tag, plan_tag};

/// The remote fetched from and pushed to.
pub const DEFAULT_REMOTE: &str = "origin";

/// The first deepening of a shallow clone, in commits (doubled on each round).
pub const DEFAULT_DEEPEN: u32 = 100;

/// How many times a shallow clone is deepened (doubling the depth each time) before the whole
/// history is fetched once with `--unshallow`. With [`DEFAULT_DEEPEN`] the rounds reach
/// 6,300 commits below the clone's tip.
pub const MAX_DEEPEN_ROUNDS: u32 = 6;

/// The identity of tags created when git has none configured (a fresh runner).
pub const BOT_NAME: &str = "github-actions[bot]";
/// The e-mail of [`BOT_NAME`].
pub const BOT_EMAIL: &str = "41898282+github-actions[bot]@users.noreply.github.com";

/// Read buffer for git's output: large enough that 100,000 commits cost few reads.
const STREAM_BUFFER: usize = 256 * 1024;

/// `git log` output: NUL after each field, the last one (the raw message) ended by `-z`.
const LOG_FORMAT: &str = "--format=%H%x00%P%x00%aN%x00%ct%x00%B";
const LOG_FIELDS: usize = 5;

/// `git for-each-ref` output: one tag a line (tag names cannot hold newlines or NULs).
const TAG_FORMAT: &str =
    "--format=%(refname)%00%(objecttype)%00%(objectname)%00%(*objecttype)%00%(*objectname)";

/// A git command failed, or its output was not what was expected.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// git cannot run in the working directory, cannot use it, or fails.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// HEAD names no commit: a repository without commits.
    #[error(
        "the repository at {} has no commits yet: there is nothing to version (check that the job checks out the branch to release)",
        .dir.display()
    )]
    NoCommits {
        /// The working directory.
        dir: PathBuf,
    },
    /// A tag name git would refuse (`git check-ref-format`).
    #[error("{name:?} is not a valid tag name: {reason}")]
    InvalidTagName {
        /// The name.
        name: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// A revision is not in the clone.
    #[error("{what} '{rev}' is not a commit of the repository at {}", .dir.display())]
    RevisionNotFound {
        /// `head`, …
        what: &'static str,
        /// The revision.
        rev: String,
        /// The working directory.
        dir: PathBuf,
    },
    /// The tag exists, at another commit.
    #[error(
        "tag {tag} already exists at commit {existing}, not at {wanted}: a release tag is never moved; delete the tag if it is wrong, or release from the commit it marks"
    )]
    TagConflict {
        /// The tag.
        tag: String,
        /// The commit it marks.
        existing: String,
        /// The commit it was meant to mark.
        wanted: String,
    },
    /// The remote refused some tags.
    #[error("'{remote}' refused the tags: {}", describe_rejected(.rejected))]
    PushRejected {
        /// The remote.
        remote: String,
        /// `(tag, git's reason)`.
        rejected: Vec<(String, String)>,
    },
    /// The remote refused the credentials.
    #[error(
        "cannot push tags to '{remote}': {stderr}; the token needs the `contents: write` permission (`permissions: contents: write` in the job) and actions/checkout must keep it (`persist-credentials` not false)"
    )]
    PushDenied {
        /// The remote.
        remote: String,
        /// What git printed.
        stderr: String,
    },
}

fn describe_rejected(rejected: &[(String, String)]) -> String {
    rejected
        .iter()
        .map(|(tag, reason)| {
            if reason.contains("already exists") || reason.contains("stale info") {
                format!("{tag} ({reason}: the tag exists on the remote at another commit)")
            } else {
                format!("{tag} ({reason})")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// What [`Git::ensure_history`] found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// The history is complete (not a shallow clone): every tag merged into the head is seen.
    /// When false, the history reaches the nearest release tag below the head, and a tag below
    /// that is not seen (see [`Git::unshallow`]).
    pub complete: bool,
    /// How many release tags the remote has (`None` when it could not be listed).
    pub remote_tags: Option<usize>,
    /// Tags fetched from the remote into `refs/tags/`.
    pub fetched_tags: usize,
    /// The remote's release tags as `(name, commit)`, on every branch (empty when it could
    /// not be listed). Their names number prereleases even when their commits are not in the
    /// clone; a higher version among them than the clone reaches asks for [`Git::unshallow`].
    pub remote: Vec<(String, String)>,
    /// For `::warning::` (a remote that cannot be listed, local tags that differ from it).
    pub warnings: Vec<String>,
}

/// How a tag ended up after [`Git::create_annotated_tag`] or [`Git::set_floating_tag`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalTag {
    /// Created.
    Created,
    /// It already marked the commit: nothing was done.
    AlreadyThere,
    /// A floating tag moved from the commit `from`.
    Moved {
        /// The commit it marked before.
        from: String,
    },
}

/// What the remote did with one tag of [`Git::push_tags`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushStatus {
    /// A new tag.
    Created,
    /// A tag moved (forced).
    Updated,
    /// The remote already had it there.
    UpToDate,
}

/// One tag pushed by [`Git::push_tags`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedTag {
    /// The tag name.
    pub name: String,
    /// What happened.
    pub status: PushStatus,
}

/// git in one working directory.
#[derive(Debug)]
pub struct Git {
    /// The clone, its remote, the fetch notes and when to stop.
    fetcher: Fetcher,
    tagger: Option<(String, String)>,
}

impl Git {
    /// git in `dir` (any directory inside the work tree), fetching from and pushing to `origin`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Git {
            fetcher: Fetcher::new(Repo::new(dir), DEFAULT_REMOTE),
            tagger: None,
        }
    }

    /// Fetch from and push to `remote` instead of `origin`.
    #[must_use]
    pub fn with_remote(mut self, remote: impl Into<String>) -> Self {
        self.fetcher = self.fetcher.with_remote(remote);
        self
    }

    /// Fetch, list or push nothing more once `stop` says the run must stop
    /// ([`RepoError::Stopped`]).
    #[must_use]
    pub fn with_stop(mut self, stop: Stop) -> Self {
        self.fetcher = self.fetcher.with_stop(stop);
        self
    }

    /// [`RepoError::Stopped`] when the run must stop, before `next`.
    fn check_stop(&self, next: &str) -> Result<(), GitError> {
        Ok(self.fetcher.check_stop(next)?)
    }

    /// The clone.
    fn repo(&self) -> &Repo {
        self.fetcher.repo()
    }

    /// The identity of the tags this creates. Without it, git's configured identity, or
    /// [`BOT_NAME`] when there is none.
    #[must_use]
    pub fn with_tagger(mut self, name: impl Into<String>, email: impl Into<String>) -> Self {
        self.tagger = Some((name.into(), email.into()));
        self
    }

    /// The working directory.
    pub fn dir(&self) -> &Path {
        self.repo().dir()
    }

    /// The remote.
    pub fn remote(&self) -> &str {
        self.fetcher.remote()
    }

    /// What was fetched since the last call, in order (for a log group).
    pub fn take_notes(&self) -> Vec<String> {
        self.fetcher.take_notes()
    }

    // ---- running git -----------------------------------------------------------------------

    // ---- questions -------------------------------------------------------------------------

    /// The commit `rev` names, if it is in the clone.
    ///
    /// # Errors
    /// An invalid revision, or git unusable.
    pub fn resolve_commit(&self, rev: &str) -> Result<Option<String>, GitError> {
        Ok(self.repo().resolve_commit(rev)?)
    }

    /// The commit `head` names, or the error that says why there is none.
    fn head_commit(&self, head: &str) -> Result<String, GitError> {
        check_rev("head", head)?;
        match self.resolve_commit(head)? {
            Some(sha) => Ok(sha),
            None if head == "HEAD" => Err(GitError::NoCommits {
                dir: self.repo().dir().to_owned(),
            }),
            None => Err(GitError::RevisionNotFound {
                what: "head",
                rev: head.to_owned(),
                dir: self.repo().dir().to_owned(),
            }),
        }
    }

    /// The full SHA of the checked-out commit.
    ///
    /// # Errors
    /// [`GitError::NoCommits`] in a repository without commits; git unusable.
    pub fn head_sha(&self) -> Result<String, GitError> {
        self.head_commit("HEAD")
    }

    /// The branch being released: `github_ref_name` (the caller's `GITHUB_REF_NAME`) when
    /// given and not empty, else the checked-out branch; `None` when HEAD is detached.
    ///
    /// # Errors
    /// git unusable.
    pub fn current_branch(
        &self,
        github_ref_name: Option<&str>,
    ) -> Result<Option<String>, GitError> {
        if let Some(name) = github_ref_name.map(str::trim).filter(|n| !n.is_empty()) {
            return Ok(Some(
                name.strip_prefix("refs/heads/").unwrap_or(name).to_owned(),
            ));
        }
        let output = self
            .repo()
            .output(&["symbolic-ref", "-q", "--short", "HEAD"])?;
        Ok(output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
            .filter(|s| !s.is_empty()))
    }

    /// The URL of the remote with any credentials removed (`https://x:TOKEN@host/…` →
    /// `https://host/…`); `None` when there is no such remote.
    ///
    /// # Errors
    /// git unusable.
    pub fn remote_url(&self) -> Result<Option<String>, GitError> {
        let output =
            self.repo()
                .output(&["remote", "get-url", "--end-of-options", self.remote()])?;
        Ok(output
            .status
            .success()
            .then(|| without_credentials(String::from_utf8_lossy(&output.stdout).trim()))
            .filter(|s| !s.is_empty()))
    }

    /// True in a shallow clone.
    ///
    /// # Errors
    /// git unusable.
    pub fn is_shallow(&self) -> Result<bool, GitError> {
        Ok(self.repo().is_shallow()?)
    }

    /// The commit the tag `name` marks (annotated tags peeled); `None` when there is no such
    /// tag.
    ///
    /// # Errors
    /// An invalid tag name; git unusable.
    pub fn tag_exists(&self, name: &str) -> Result<Option<String>, GitError> {
        check_tag_name(name)?;
        self.resolve_commit(&format!("refs/tags/{name}"))
    }

    /// The tags whose names start with `prefix` (`v`, `api-v`, or empty for every tag) and
    /// whose commits are merged into (reachable from) `head`, as `(tag name, commit SHA)`,
    /// annotated tags peeled to their commit. Tags on other branches are not listed; tags of
    /// trees or blobs are skipped. Names are not checked against a tag format: that is the
    /// caller's (non-semver names come through). One `git for-each-ref --merged`.
    ///
    /// # Errors
    /// An invalid head or prefix; git fails.
    pub fn tags_merged_into(
        &self,
        head: &str,
        prefix: &str,
    ) -> Result<Vec<(String, String)>, GitError> {
        let head = self.head_commit(head)?;
        let pattern = tag_pattern(prefix)?;
        let merged = format!("--merged={head}");
        let tags = self.list_tags(&[merged.as_str()], &pattern)?;
        Ok(tags
            .into_iter()
            .filter_map(|(name, commit)| commit.map(|c| (name, c)))
            .collect())
    }

    /// Every local tag whose name starts with `prefix`, on any branch, as `(name, commit)`.
    /// Prerelease numbers come from these: `1.3.0-beta.2` on another branch must not be
    /// issued again. (A shallow clone holds only the tags [`Git::ensure_history`] fetched;
    /// [`History::remote`] has the names of the others.)
    ///
    /// # Errors
    /// An invalid prefix; git fails.
    pub fn all_tags(&self, prefix: &str) -> Result<Vec<(String, String)>, GitError> {
        let pattern = tag_pattern(prefix)?;
        let tags = self.list_tags(&[], &pattern)?;
        Ok(tags
            .into_iter()
            .filter_map(|(name, commit)| commit.map(|c| (name, c)))
            .collect())
    }

    /// Local tags under `pattern` as `(name, commit)`; `None` for tags of non-commits.
    fn list_tags(
        &self,
        extra: &[&str],
        pattern: &str,
    ) -> Result<Vec<(String, Option<String>)>, GitError> {
        let mut args = vec!["for-each-ref", TAG_FORMAT];
        args.extend_from_slice(extra);
        args.extend(["--end-of-options", pattern]);
        let (mut tags, nested) = self.repo().stream(&args, STREAM_BUFFER, parse_tag_lines)?;
        // A git older than 2.42 peels a tag of a tag only once.
        for index in nested {
            if let Some((name, commit)) = tags.get_mut(index) {
                *commit = self.resolve_commit(&format!("refs/tags/{name}"))?;
            }
        }
        Ok(tags)
    }

    /// The commits of `from..head` (every commit reachable from `head` and not from `from`;
    /// all of `head`'s history when `from` is `None`), oldest first, merges included. With
    /// `paths`, only the commits that touch them (pathspecs relative to the top of the work
    /// tree; `:(…)` pathspec magic is passed as given), with `--full-history` (see the module
    /// documentation). One `git log`, read as a stream.
    ///
    /// In a shallow clone the range stops where the history is cut: call
    /// [`Git::ensure_history`] first.
    ///
    /// # Errors
    /// An invalid revision; [`GitError::NoCommits`] for `HEAD` in a repository without
    /// commits, [`GitError::RevisionNotFound`] for another head that names no commit; git
    /// fails.
    pub fn commits(
        &self,
        from: Option<&str>,
        head: &str,
        paths: &[String],
    ) -> Result<Vec<Commit>, GitError> {
        let head = self.head_commit(head)?;
        let exclude = match from {
            Some(from) => {
                check_rev("from", from)?;
                Some(format!("^{from}"))
            }
            None => None,
        };
        let pathspecs: Vec<String> = paths.iter().map(|p| top_pathspec(p)).collect();
        let mut args = vec![
            "-c",
            "log.showSignature=false",
            "log",
            "-z",
            LOG_FORMAT,
            "--encoding=UTF-8",
            "--no-color",
        ];
        if !pathspecs.is_empty() {
            args.push("--full-history");
        }
        args.extend(["--end-of-options", head.as_str()]);
        if let Some(exclude) = &exclude {
            args.push(exclude);
        }
        args.push("--");
        args.extend(pathspecs.iter().map(String::as_str));
        let mut commits = self.repo().stream(&args, STREAM_BUFFER, parse_log)?;
        commits.reverse();
        Ok(commits)
    }

    // ---- completing the history --------------------------------------------------------------

    /// Make the release tags (names starting with `prefix`) merged into `head` visible:
    /// list the remote's tags (`git ls-remote`, no objects), deepen a shallow clone until one
    /// of their commits is in `head`'s history (`--deepen` from `depth`, doubling, at most
    /// [`MAX_DEEPEN_ROUNDS`] times, then `--unshallow` once), and fetch the tags whose commits
    /// are in the clone into `refs/tags/` (explicit refspecs, so single-branch clones work;
    /// tags of commits outside the clone, such as tags on other branches, are never fetched).
    /// A shallow clone without any release tag is completed with `--unshallow` (the first
    /// release needs every commit). A complete clone is never deepened, and when the remote
    /// cannot be listed its local tags are used (with a warning). Local tags are never
    /// replaced.
    ///
    /// The history reached holds the nearest release tag below `head`; a tag further down
    /// (a higher version tagged on an older commit) is seen only once the clone is complete:
    /// when [`History::complete`] is false and the caller finds that case, call
    /// [`Git::unshallow`].
    ///
    /// # Errors
    /// An invalid head or prefix; a shallow clone whose remote cannot be reached; a fetch
    /// failing.
    pub fn ensure_history(
        &self,
        head: &str,
        prefix: &str,
        depth: u32,
    ) -> Result<History, GitError> {
        let head_sha = self.head_commit(head)?;
        let pattern = tag_pattern(prefix)?;
        let mut history = History::default();
        let (remote, unreachable) = match self.remote_tags(&pattern)? {
            Ok(tags) => (Some(tags), None),
            Err(message) => {
                history.warnings.push(format!(
                    "could not list the tags of '{}' ({message}): only the local tags are used",
                    self.remote()
                ));
                (None, Some(message))
            }
        };
        history.remote_tags = remote.as_ref().map(Vec::len);
        let local: HashMap<String, Option<String>> =
            self.list_tags(&[], &pattern)?.into_iter().collect();

        if self.is_shallow()? {
            let Some(remote) = &remote else {
                return Err(RepoError::FetchFailed {
                    remote: self.remote().to_owned(),
                    what: "listing its tags to complete the shallow clone".to_owned(),
                    stderr: unreachable.unwrap_or_default(),
                }
                .into());
            };
            let candidates: HashSet<&str> = remote
                .iter()
                .map(|(_, commit)| commit.as_str())
                .chain(local.values().flatten().map(String::as_str))
                .collect();
            if candidates.is_empty() {
                self.unshallow_for(&format!(
                    "every commit (no tag matches {pattern}: a first release)"
                ))?;
            } else {
                self.deepen_until(depth, "the last release tag", |git| {
                    git.reaches_any(&head_sha, &candidates)
                })?;
            }
        }

        if let Some(remote) = &remote {
            let mut missing = Vec::new();
            for (name, commit) in remote {
                match local.get(name) {
                    None => missing.push((name.as_str(), commit.as_str())),
                    Some(Some(mine)) if !mine.eq_ignore_ascii_case(commit) => {
                        history.warnings.push(format!(
                            "the local tag {name} marks {} but '{}' has it at {}: the local tag is used",
                            abbrev(mine),
                            self.remote(),
                            abbrev(commit)
                        ));
                    }
                    Some(_) => {}
                }
            }
            let present = self.commits_present(missing.iter().map(|(_, c)| *c))?;
            let fetch: Vec<&str> = missing
                .iter()
                .filter(|(_, commit)| present.contains(*commit))
                .map(|(name, _)| *name)
                .collect();
            if !fetch.is_empty() {
                let mut refspecs = String::new();
                for name in &fetch {
                    refspecs.push_str(&format!("refs/tags/{name}:refs/tags/{name}\n"));
                }
                let args = ["--stdin", "--end-of-options", self.remote()];
                let note = format!(
                    "fetched {} tag(s) matching {pattern} from {}",
                    fetch.len(),
                    self.remote()
                );
                match self
                    .fetcher
                    .try_fetch(&args, &note, Some(refspecs.into_bytes()))?
                {
                    Ok(()) => history.fetched_tags = fetch.len(),
                    Err(stderr) => {
                        return Err(RepoError::FetchFailed {
                            remote: self.remote().to_owned(),
                            what: format!("fetching {} tag(s) matching {pattern}", fetch.len()),
                            stderr,
                        }
                        .into());
                    }
                }
            }
        }
        history.complete = !self.is_shallow()?;
        history.remote = remote.unwrap_or_default();
        Ok(history)
    }

    /// Fetch the whole history of a shallow clone (`git fetch --unshallow`). False when it was
    /// complete already.
    ///
    /// # Errors
    /// The fetch failing.
    pub fn unshallow(&self) -> Result<bool, GitError> {
        self.unshallow_for("every tag below the last release tag")
    }

    fn unshallow_for(&self, purpose: &str) -> Result<bool, GitError> {
        Ok(self.fetcher.unshallow(purpose)?)
    }

    /// The remote's tags under `pattern` as `(name, commit)` (annotated tags peeled); git's
    /// message when the remote cannot be listed.
    fn remote_tags(
        &self,
        pattern: &str,
    ) -> Result<Result<Vec<(String, String)>, String>, GitError> {
        self.check_stop(&format!("listing the tags of {}", self.remote()))?;
        let args = [
            "-c",
            "http.lowSpeedLimit=1000",
            "-c",
            "http.lowSpeedTime=60",
            "ls-remote",
            "--tags",
            "--end-of-options",
            self.remote(),
            pattern,
        ];
        let output = self.repo().output(&args)?;
        if !output.status.success() {
            return Ok(Err(stderr_text(&output)));
        }
        let prefix = pattern.trim_end_matches('*');
        Ok(Ok(parse_ls_remote(&output.stdout, prefix)))
    }

    /// Which of `commits` are commit objects in the clone (one `git cat-file --batch-check`).
    fn commits_present<'a>(
        &self,
        commits: impl Iterator<Item = &'a str>,
    ) -> Result<HashSet<String>, GitError> {
        let mut input = String::new();
        for commit in commits {
            if is_hex(commit) {
                input.push_str(commit);
                input.push('\n');
            }
        }
        if input.is_empty() {
            return Ok(HashSet::new());
        }
        let args = ["cat-file", "--batch-check"];
        let output = self
            .repo()
            .output_with_input(&args, input.into_bytes(), &[])?;
        if !output.status.success() {
            return Err(self.repo().failed(&args, &output).into());
        }
        Ok(output
            .stdout
            .split(|b| *b == b'\n')
            .filter_map(|line| {
                let line = std::str::from_utf8(line).ok()?;
                let mut fields = line.split(' ');
                let sha = fields.next()?;
                (fields.next() == Some("commit")).then(|| sha.to_ascii_lowercase())
            })
            .collect())
    }

    /// `Some(())` when one of `commits` is in `head`'s history (as far as the clone has it).
    fn reaches_any(&self, head: &str, commits: &HashSet<&str>) -> Result<Option<()>, GitError> {
        let args = ["rev-list", "--end-of-options", head];
        let found = self.repo().stream(&args, STREAM_BUFFER, |out| {
            let mut line = Vec::with_capacity(72);
            loop {
                line.clear();
                let read = out
                    .read_until(b'\n', &mut line)
                    .map_err(|e| format!("cannot read the output: {e}"))?;
                if read == 0 {
                    return Ok(false);
                }
                let sha = std::str::from_utf8(&line).unwrap_or_default().trim();
                if commits.contains(sha) {
                    return Ok(true);
                }
            }
        })?;
        Ok(found.then_some(()))
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
        self.fetcher
            .deepen_until(initial_depth, MAX_DEEPEN_ROUNDS, purpose, || probe(self))
    }

    // ---- creating tags ---------------------------------------------------------------------

    /// The identity for `git tag -a`: the configured one, else [`BOT_NAME`].
    fn tagger_env(&self) -> Result<Vec<(&'static str, String)>, GitError> {
        let (name, email) = match &self.tagger {
            Some((name, email)) => (name.clone(), email.clone()),
            None => {
                if self
                    .repo()
                    .output(&["var", "GIT_COMMITTER_IDENT"])?
                    .status
                    .success()
                {
                    return Ok(Vec::new());
                }
                (BOT_NAME.to_owned(), BOT_EMAIL.to_owned())
            }
        };
        Ok(vec![
            ("GIT_COMMITTER_NAME", name.clone()),
            ("GIT_COMMITTER_EMAIL", email.clone()),
            ("GIT_AUTHOR_NAME", name),
            ("GIT_AUTHOR_EMAIL", email),
        ])
    }

    /// Create the annotated tag `name` at commit `sha` with `message` (kept as given:
    /// `--cleanup=whitespace`, so markdown headings starting with `#` stay), unless it exists:
    /// at this commit it is left alone ([`LocalTag::AlreadyThere`]), at another commit it is
    /// [`GitError::TagConflict`]. Local only: see [`Git::push_tags`].
    ///
    /// # Errors
    /// An invalid name or commit; the tag at another commit; git fails.
    pub fn create_annotated_tag(
        &self,
        name: &str,
        sha: &str,
        message: &str,
    ) -> Result<LocalTag, GitError> {
        check_tag_name(name)?;
        let commit = self.head_commit(sha)?;
        match plan_tag(self.tag_exists(name)?.as_deref(), &commit) {
            TagPlan::AlreadyThere => return Ok(LocalTag::AlreadyThere),
            TagPlan::Conflict { existing } => {
                return Err(GitError::TagConflict {
                    tag: name.to_owned(),
                    existing,
                    wanted: commit,
                });
            }
            TagPlan::Create => {}
        }
        let env = self.tagger_env()?;
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let args = [
            "tag",
            "-a",
            "--cleanup=whitespace",
            "-F",
            "-",
            "--end-of-options",
            name,
            commit.as_str(),
        ];
        let output = self
            .repo()
            .output_with_input(&args, message.as_bytes().to_vec(), &env)?;
        if !output.status.success() {
            return Err(self.repo().failed(&args, &output).into());
        }
        Ok(LocalTag::Created)
    }

    /// Point the lightweight tag `name` (a floating `v1`, `v1.2`) at commit `sha`, creating
    /// or moving it.
    ///
    /// # Errors
    /// An invalid name or commit; git fails.
    pub fn set_floating_tag(&self, name: &str, sha: &str) -> Result<LocalTag, GitError> {
        check_tag_name(name)?;
        let commit = self.head_commit(sha)?;
        let plan = plan_floating_tag(self.tag_exists(name)?.as_deref(), &commit);
        if plan == FloatingPlan::AlreadyThere {
            return Ok(LocalTag::AlreadyThere);
        }
        let reference = format!("refs/tags/{name}");
        self.repo().run(&[
            "update-ref",
            "-m",
            "semantic-version: floating tag",
            "--end-of-options",
            &reference,
            &commit,
        ])?;
        Ok(match plan {
            FloatingPlan::Move { from } => LocalTag::Moved { from },
            _ => LocalTag::Created,
        })
    }

    /// Push the tags `names` to the remote in one atomic `git push` (all or none); with
    /// `force`, tags that exist there at another commit are moved (floating tags), without
    /// it they are refused ([`GitError::PushRejected`]). Hooks are not run. Tags pushed with
    /// the workflow's `GITHUB_TOKEN` do not start other workflows.
    ///
    /// # Errors
    /// An invalid name; the remote refusing a tag or the credentials; git fails.
    pub fn push_tags(&self, names: &[&str], force: bool) -> Result<Vec<PushedTag>, GitError> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let mut refspecs = Vec::with_capacity(names.len());
        for name in names {
            check_tag_name(name)?;
            let plus = if force { "+" } else { "" };
            refspecs.push(format!("{plus}refs/tags/{name}:refs/tags/{name}"));
        }
        let mut args = vec![
            "-c",
            "http.lowSpeedLimit=1000",
            "-c",
            "http.lowSpeedTime=60",
            "push",
            "--porcelain",
            "--atomic",
            "--no-verify",
            "--end-of-options",
            self.remote(),
        ];
        args.extend(refspecs.iter().map(String::as_str));
        let output = self.repo().output(&args)?;
        let results = parse_push_porcelain(&output.stdout);
        let rejected: Vec<(String, String)> = results
            .iter()
            .filter_map(|(name, result)| result.as_ref().err().map(|r| (name.clone(), r.clone())))
            .collect();
        if !rejected.is_empty() {
            return Err(GitError::PushRejected {
                remote: self.remote().to_owned(),
                rejected,
            });
        }
        if !output.status.success() {
            let stderr = stderr_text(&output);
            let lower = stderr.to_ascii_lowercase();
            if [
                "permission to",
                "denied",
                "403",
                "authentication failed",
                "could not read username",
                "terminal prompts disabled",
            ]
            .iter()
            .any(|needle| lower.contains(needle))
            {
                return Err(GitError::PushDenied {
                    remote: self.remote().to_owned(),
                    stderr,
                });
            }
            return Err(self.repo().failed(&args, &output).into());
        }
        let pushed: Vec<PushedTag> = results
            .into_iter()
            .filter_map(|(name, result)| result.ok().map(|status| PushedTag { name, status }))
            .collect();
        self.fetcher.note(format!(
            "pushed {} tag(s) to {}: {}",
            pushed.len(),
            self.remote(),
            names.join(", ")
        ));
        Ok(pushed)
    }
}

// ---- pure helpers ----------------------------------------------------------------------------

/// The `for-each-ref` / `ls-remote` pattern for tags starting with `prefix`.
fn tag_pattern(prefix: &str) -> Result<String, GitError> {
    if prefix.is_empty() {
        return Ok("refs/tags/".to_owned());
    }
    // The prefix is the start of a tag name, so the rules for names apply to it, but for its
    // end (`api-v` is fine, `api/` would be too). A glob character has no place in either.
    if prefix.starts_with('-')
        || prefix
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || "~^:?*[\\".contains(c))
        || prefix.contains("..")
        || prefix.contains("@{")
    {
        return Err(GitError::InvalidTagName {
            name: prefix.to_owned(),
            reason: "a tag prefix must not start with '-' nor contain spaces, control characters, '..', '@{' or any of ~^:?*[\\",
        });
    }
    Ok(format!("refs/tags/{prefix}*"))
}

/// Refuse what git could read as an option, or what cannot be a revision.
fn check_rev(what: &'static str, rev: &str) -> Result<(), GitError> {
    Ok(cli::check_rev(what, rev)?)
}

/// The rules of `git check-ref-format` for `refs/tags/<name>`.
///
/// # Errors
/// [`GitError::InvalidTagName`] naming the rule broken.
pub fn check_tag_name(name: &str) -> Result<(), GitError> {
    let reason = if name.is_empty() {
        Some("it is empty")
    } else if name.starts_with('-') {
        Some("it starts with '-'")
    } else if name == "@" {
        Some("it is '@'")
    } else if name
        .chars()
        .any(|c| c.is_control() || c == ' ' || c == '\u{7f}' || "~^:?*[\\".contains(c))
    {
        Some("it contains a space, a control character or one of ~^:?*[\\")
    } else if name.contains("..") {
        Some("it contains '..'")
    } else if name.contains("@{") {
        Some("it contains '@{'")
    } else if name.contains("//") || name.starts_with('/') || name.ends_with('/') {
        Some("it has an empty path component")
    } else if name.ends_with('.') {
        Some("it ends with '.'")
    } else if name
        .split('/')
        .any(|part| part.starts_with('.') || part.ends_with(".lock"))
    {
        Some("a component starts with '.' or ends with '.lock'")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(GitError::InvalidTagName {
            name: name.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

/// A path relative to the top of the work tree as a pathspec (`.` and `./x` as git reads
/// them from the top); `:(…)` magic passes as given.
fn top_pathspec(path: &str) -> String {
    if path.starts_with(':') {
        return path.to_owned();
    }
    let mut path = path;
    while let Some(rest) = path.strip_prefix("./") {
        path = rest.trim_start_matches('/');
    }
    if path == "." {
        path = "";
    }
    format!(":(top){path}")
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn abbrev(sha: &str) -> &str {
    if is_hex(sha) && sha.len() > 7 {
        &sha[..7]
    } else {
        sha
    }
}

fn utf8(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// `for-each-ref` lines in [`TAG_FORMAT`]: `(name, commit)` in git's order, and the indexes
/// of tags of tags that this git did not peel to the end.
type TagLines = (Vec<(String, Option<String>)>, Vec<usize>);

fn parse_tag_lines(reader: &mut impl BufRead) -> Result<TagLines, String> {
    let mut tags = Vec::new();
    let mut nested = Vec::new();
    let mut line = Vec::with_capacity(160);
    loop {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("cannot read the output: {e}"))?;
        if read == 0 {
            break;
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        if line.is_empty() {
            continue;
        }
        let mut fields = line.split(|b| *b == 0);
        let (Some(refname), Some(kind), Some(object), Some(peeled_kind), Some(peeled)) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        ) else {
            return Err(format!(
                "a tag line with fewer than 5 fields: {:?}",
                String::from_utf8_lossy(&line)
            ));
        };
        let name = utf8(refname.strip_prefix(b"refs/tags/").unwrap_or(refname));
        let commit = match (kind, peeled_kind) {
            (b"commit", _) => Some(utf8(object)),
            (b"tag", b"commit") => Some(utf8(peeled)),
            (b"tag", b"tag") => {
                nested.push(tags.len());
                None
            }
            _ => None,
        };
        tags.push((name, commit));
    }
    Ok((tags, nested))
}

/// `git ls-remote --tags` output: `(name, commit)` for tags starting with `prefix`
/// (a pattern without its `*`), annotated tags peeled (`^{}` lines).
fn parse_ls_remote(stdout: &[u8], ref_prefix: &str) -> Vec<(String, String)> {
    let mut order: Vec<String> = Vec::new();
    let mut commits: HashMap<String, String> = HashMap::new();
    for line in String::from_utf8_lossy(stdout).lines() {
        let Some((sha, reference)) = line.split_once('\t') else {
            continue;
        };
        if !reference.starts_with(ref_prefix) {
            continue;
        }
        let Some(name) = reference.strip_prefix("refs/tags/") else {
            continue;
        };
        let sha = sha.trim().to_ascii_lowercase();
        match name.strip_suffix("^{}") {
            Some(name) => {
                commits.insert(name.to_owned(), sha);
            }
            None => {
                if !commits.contains_key(name) {
                    order.push(name.to_owned());
                    commits.insert(name.to_owned(), sha);
                } else if !order.iter().any(|n| n == name) {
                    order.push(name.to_owned());
                }
            }
        }
    }
    order
        .into_iter()
        .filter_map(|name| commits.remove(&name).map(|sha| (name, sha)))
        .collect()
}

/// `git log -z` in [`LOG_FORMAT`], newest first as git prints it.
fn parse_log(reader: &mut impl BufRead) -> Result<Vec<Commit>, String> {
    let mut commits = Vec::new();
    let mut fields: [Vec<u8>; LOG_FIELDS] = Default::default();
    for field in &mut fields {
        field.reserve(256);
    }
    loop {
        if !next_field(reader, &mut fields[0])? {
            break;
        }
        if fields[0].is_empty() {
            // A stray NUL between records; nothing else may follow it.
            continue;
        }
        for (index, field) in fields.iter_mut().enumerate().skip(1) {
            if !next_field(reader, field)? {
                return Err(format!(
                    "commit {} is cut short after {index} of {LOG_FIELDS} fields",
                    String::from_utf8_lossy(&fields[0])
                ));
            }
        }
        commits.push(commit_from_fields(&fields)?);
    }
    Ok(commits)
}

fn commit_from_fields(fields: &[Vec<u8>; LOG_FIELDS]) -> Result<Commit, String> {
    let [sha, parents, author, time, message] = fields;
    let sha = utf8(sha);
    if !is_hex(&sha) {
        return Err(format!("{sha:?} is not a commit SHA"));
    }
    let parents = std::str::from_utf8(parents)
        .map_err(|_| format!("the parents of {sha} are not text"))?
        .split_ascii_whitespace()
        .map(str::to_owned)
        .collect();
    let timestamp = std::str::from_utf8(time)
        .ok()
        .and_then(|t| t.trim().parse::<i64>().ok())
        .ok_or_else(|| {
            format!(
                "the commit time of {sha} is not a number: {:?}",
                String::from_utf8_lossy(time)
            )
        })?;
    let (subject, body) = split_message(message);
    Ok(Commit {
        sha,
        parents,
        subject,
        body,
        author_name: utf8(author),
        timestamp,
    })
}

/// A raw message as subject (its first line) and body (the rest, without the blank lines
/// that separate it, trailing whitespace trimmed). Carriage returns at line ends are dropped
/// from the subject.
fn split_message(message: &[u8]) -> (String, String) {
    let (first, rest) = match message.iter().position(|b| *b == b'\n') {
        Some(newline) => (&message[..newline], &message[newline + 1..]),
        None => (message, &[][..]),
    };
    let subject = utf8(first.trim_ascii_end());
    let start = rest
        .iter()
        .position(|b| !matches!(b, b'\n' | b'\r'))
        .unwrap_or(rest.len());
    let body = utf8(rest[start..].trim_ascii_end());
    (subject, body)
}

/// One line per ref of `git push --porcelain`: `<flag>\t<from>:<to>\t<summary>`; a tag's
/// status, or the reason it was refused.
fn parse_push_porcelain(stdout: &[u8]) -> Vec<(String, Result<PushStatus, String>)> {
    let mut results = Vec::new();
    for line in String::from_utf8_lossy(stdout).lines() {
        let mut parts = line.splitn(3, '\t');
        let (Some(flag), Some(refs), summary) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let Some(to) = refs.rsplit(':').next() else {
            continue;
        };
        let Some(name) = to.strip_prefix("refs/tags/") else {
            continue;
        };
        let summary = summary.unwrap_or_default().trim();
        let result = match flag {
            "*" => Ok(PushStatus::Created),
            "+" | " " => Ok(PushStatus::Updated),
            "=" => Ok(PushStatus::UpToDate),
            "!" => Err(summary.to_owned()),
            _ => continue,
        };
        results.push((name.to_owned(), result));
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(output: &[u8]) -> Result<Vec<Commit>, String> {
        parse_log(&mut &output[..])
    }

    #[test]
    fn log_records_become_commits() {
        let out = b"aaaa\0bbbb cccc\0Ann\x001700000000\0feat(api)!: add\r\n\n\nbody one\n\nBREAKING CHANGE: x\n\n\0\
                    bbbb\0\0Bob\x001600000000\0fix: one line\n\0";
        let commits = log(out).unwrap();
        assert_eq!(commits.len(), 2);
        assert_eq!(commits[0].sha, "aaaa");
        assert_eq!(commits[0].parents, ["bbbb", "cccc"]);
        assert!(commits[0].is_merge());
        assert_eq!(commits[0].author_name, "Ann");
        assert_eq!(commits[0].timestamp, 1_700_000_000);
        assert_eq!(commits[0].subject, "feat(api)!: add");
        assert_eq!(commits[0].body, "body one\n\nBREAKING CHANGE: x");
        assert_eq!(commits[1].parents, Vec::<String>::new());
        assert_eq!(commits[1].subject, "fix: one line");
        assert_eq!(commits[1].body, "");
    }

    #[test]
    fn empty_log_is_no_commits() {
        assert_eq!(log(b"").unwrap(), vec![]);
    }

    #[test]
    fn cut_or_garbled_log_records_are_errors() {
        for bad in [
            &b"aaaa\0\0Ann\0"[..],
            b"aaaa\0\0Ann\0never\0msg\0",
            b"not-a-sha\0\0Ann\x001\0msg\0",
        ] {
            assert!(log(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn invalid_utf8_in_messages_is_replaced() {
        let commits = log(b"abcd\0\0Ren\xe9\x001\0caf\xe9: x\0").unwrap();
        assert_eq!(commits[0].author_name, "Ren\u{fffd}");
        assert_eq!(commits[0].subject, "caf\u{fffd}: x");
    }

    #[test]
    fn messages_split_into_subject_and_body() {
        for (message, subject, body) in [
            ("feat: a", "feat: a", ""),
            ("feat: a\n", "feat: a", ""),
            ("feat: a\nsecond line", "feat: a", "second line"),
            ("feat: a\r\n\r\nbody\r\n", "feat: a", "body"),
            ("\nafter an empty subject", "", "after an empty subject"),
            ("", "", ""),
        ] {
            assert_eq!(
                split_message(message.as_bytes()),
                (subject.to_owned(), body.to_owned()),
                "{message:?}"
            );
        }
    }

    #[test]
    fn tag_lines_peel_annotated_tags_and_skip_non_commits() {
        let out = b"refs/tags/v1.0.0\0commit\0aaaa\0\0\n\
                    refs/tags/v1.1.0\0tag\0tttt\0commit\0bbbb\n\
                    refs/tags/tree\0tree\0eeee\0\0\n\
                    refs/tags/old-git\0tag\0uuuu\0tag\0vvvv\n";
        let (tags, nested) = parse_tag_lines(&mut &out[..]).unwrap();
        assert_eq!(
            tags,
            [
                ("v1.0.0".to_owned(), Some("aaaa".to_owned())),
                ("v1.1.0".to_owned(), Some("bbbb".to_owned())),
                ("tree".to_owned(), None),
                ("old-git".to_owned(), None),
            ]
        );
        assert_eq!(nested, [3]);
        assert!(parse_tag_lines(&mut &b"refs/tags/x\0commit\n"[..]).is_err());
    }

    #[test]
    fn ls_remote_peels_and_filters_by_prefix() {
        let out = b"1111\trefs/tags/v1.0.0\n2222\trefs/tags/v1.0.0^{}\n3333\trefs/tags/v1.1.0\n4444\trefs/tags/api-v1.0.0\n";
        assert_eq!(
            parse_ls_remote(out, "refs/tags/v"),
            [
                ("v1.0.0".to_owned(), "2222".to_owned()),
                ("v1.1.0".to_owned(), "3333".to_owned())
            ]
        );
        assert_eq!(parse_ls_remote(out, "refs/tags/").len(), 3);
    }

    #[test]
    fn tag_patterns() {
        assert_eq!(tag_pattern("").unwrap(), "refs/tags/");
        assert_eq!(tag_pattern("v").unwrap(), "refs/tags/v*");
        assert_eq!(tag_pattern("api/v").unwrap(), "refs/tags/api/v*");
        for bad in ["-v", "v*", "a b", "x..", "v[", "v\n"] {
            assert!(tag_pattern(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn tag_names_follow_check_ref_format() {
        for good in [
            "v1.2.3",
            "api-v1.0.0",
            "pkg/v1.0.0-beta.1",
            "v1.0.0+build.5",
            "v1",
        ] {
            assert!(check_tag_name(good).is_ok(), "{good:?}");
        }
        for bad in [
            "", "-v1", "@", "v 1", "v1~", "v1^", "a:b", "v?", "v*", "v[", "a\\b", "a..b", "a@{b",
            "a//b", "/a", "a/", "a.", ".a", "a/.b", "a.lock", "a\tb",
        ] {
            assert!(check_tag_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn revisions_that_look_like_options_are_refused() {
        for bad in ["", "-x", "--upload-pack=touch /tmp/x", "a b", "a\nb"] {
            assert!(check_rev("head", bad).is_err(), "{bad:?}");
        }
        for good in ["main", "refs/heads/a/b", "HEAD~1", "v1.0.0", "HEAD"] {
            assert!(check_rev("head", good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn credentials_are_removed_from_urls() {
        for (url, clean) in [
            (
                "https://x-access-token:ghs_secret@github.com/o/r.git",
                "https://github.com/o/r.git",
            ),
            ("https://ghp_token@github.com/o/r", "https://github.com/o/r"),
            ("https://github.com/o/r", "https://github.com/o/r"),
            ("ssh://git:pw@host/o/r", "ssh://git@host/o/r"),
            ("git@github.com:o/r.git", "git@github.com:o/r.git"),
            ("file:///tmp/a@b/repo", "file:///tmp/a@b/repo"),
        ] {
            assert_eq!(without_credentials(url), clean, "{url}");
        }
    }

    #[test]
    fn pathspecs_are_rooted_at_the_top() {
        assert_eq!(top_pathspec("services/api"), ":(top)services/api");
        assert_eq!(top_pathspec(":(exclude)docs"), ":(exclude)docs");
        assert_eq!(top_pathspec("."), ":(top)");
        assert_eq!(top_pathspec("./"), ":(top)");
        assert_eq!(top_pathspec("./services/api/"), ":(top)services/api/");
    }

    #[test]
    fn push_porcelain_lines() {
        let out = b"To /tmp/remote.git\n*\trefs/tags/v1.0.0:refs/tags/v1.0.0\t[new tag]\n+\trefs/tags/v1:refs/tags/v1\tabc...def (forced update)\n=\trefs/tags/v0:refs/tags/v0\t[up to date]\n!\trefs/tags/v2:refs/tags/v2\t[rejected] (already exists)\nDone\n";
        assert_eq!(
            parse_push_porcelain(out),
            [
                ("v1.0.0".to_owned(), Ok(PushStatus::Created)),
                ("v1".to_owned(), Ok(PushStatus::Updated)),
                ("v0".to_owned(), Ok(PushStatus::UpToDate)),
                (
                    "v2".to_owned(),
                    Err("[rejected] (already exists)".to_owned())
                ),
            ]
        );
    }
}

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

use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// What [`GitError::Repo`] holds; see [`gantry_git_cli::RepoError`].
pub use gantry_git_cli::RepoError;
/// `url` without user or password; see [`gantry_git_cli::without_credentials`].
pub use gantry_git_cli::without_credentials;
use gantry_git_cli::{self as cli, Deepen, Fetcher, RemoteError, Repo, is_hex, next_field};
use gantry_toolkit::Stop;

use crate::commit::Commit;

mod commit;
mod history;
mod parse;
mod tags;
#[cfg(test)]
mod tests;

use crate::github::{FloatingPlan, TagPlan, plan_floating_tag, plan_tag};
use parse::*;

/// A file of the release commit; see [`gantry_git_cli::ChangedFile`].
pub use gantry_git_cli::ChangedFile;
/// What the remote did with one tag of [`Git::push_tags`].
pub use gantry_git_cli::PushStatus;
/// One tag pushed by [`Git::push_tags`].
pub use gantry_git_cli::PushedRef as PushedTag;

/// The remote fetched from and pushed to.
pub const DEFAULT_REMOTE: &str = "origin";

/// The first deepening of a shallow clone, in commits (doubled on each round).
pub const DEFAULT_DEEPEN: u32 = 100;

/// How many times a shallow clone is deepened; see [`gantry_git_cli::MAX_DEEPEN_ROUNDS`].
pub use gantry_git_cli::MAX_DEEPEN_ROUNDS;

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
    #[error("cannot push tags to '{remote}': {stderr}; {}", cli::PUSH_DENIED_HINT)]
    PushDenied {
        /// The remote.
        remote: String,
        /// What git printed.
        stderr: String,
    },
    /// The remote's tags could not be listed.
    #[error("cannot list the tags of '{remote}': {stderr}")]
    RemoteUnreadable {
        /// The remote.
        remote: String,
        /// What git printed.
        stderr: String,
    },
}

/// The shared push's failures, in this tool's words (it pushes tags, and branches it owns).
impl From<RemoteError> for GitError {
    fn from(error: RemoteError) -> Self {
        match error {
            RemoteError::Rejected { remote, rejected } => {
                GitError::PushRejected { remote, rejected }
            }
            RemoteError::Denied { remote, stderr } => GitError::PushDenied { remote, stderr },
            RemoteError::Unreadable { remote, stderr } => {
                GitError::RemoteUnreadable { remote, stderr }
            }
            RemoteError::Repo(error) => GitError::Repo(error),
        }
    }
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

/// git in one working directory.
#[derive(Debug)]
pub struct Git {
    /// The clone, its remote, the fetch notes and when to stop.
    fetcher: Fetcher,
    tagger: Option<(String, String)>,
}

impl Deepen for Git {
    fn fetcher(&self) -> &Fetcher {
        &self.fetcher
    }
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
    pub(super) fn head_commit(&self, head: &str) -> Result<String, GitError> {
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
}

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
//! [`Change::renamed`], `T` becomes [`ChangeStatus::TypeChange`]. The files are listed as
//! `git diff --no-renames` (dorny's command) lists them: [`Detected::listing`].
//!
//! Four parts: `detect` decides, per event, which git commands answer "what changed";
//! `repo` is the clone as those commands see it (fetching, deepening, resolving); `diff` runs
//! the listings; `parse` reads their `-z` output.

use std::collections::BTreeSet;
use std::io::{BufRead, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

/// What [`GitError::Repo`] holds; see [`gantry_git_cli::RepoError`].
pub use gantry_git_cli::RepoError;
use gantry_git_cli::{self as cli, Deepen, Fetcher, Repo};

use gantry_toolkit::Runner;

use crate::base::{ChangeSource, Plan, is_sha};
use crate::change::{Change, ChangeStatus, Listing};
use crate::github::{GitHubError, PrFiles, PullRequestFiles};

/// The remote fetched from.
pub const DEFAULT_REMOTE: &str = "origin";

/// dorny's default for the input `initial-fetch-depth`.
pub const DEFAULT_INITIAL_FETCH_DEPTH: u32 = 100;

/// How many times a shallow clone is deepened; see [`gantry_git_cli::MAX_DEEPEN_ROUNDS`].
pub use gantry_git_cli::MAX_DEEPEN_ROUNDS;

/// Read buffer for git's output: large enough that a big diff costs few reads.
const STREAM_BUFFER: usize = 64 * 1024;

/// A git command failed, or its output was not what was expected.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// git cannot run in the working directory, cannot use it, or fails.
    #[error(transparent)]
    Repo(#[from] RepoError),
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
    /// A pull-request-only source without a git equivalent was given to git.
    #[error(
        "pull request #{number} can only be listed through the GitHub API here: the payload lacks the base to compare with in git; set the input `base`"
    )]
    NoGitEquivalent {
        /// The pull request.
        number: u64,
    },
}
mod detect;
mod diff;
mod parse;
mod repo;
#[cfg(test)]
mod tests;

pub use detect::{DetectError, Detected, detect_changes};
pub use parse::parse_name_status;
pub use repo::{Git, MergeBase};
// The parts use each other's private items through `use super::*`.
use parse::*;
use repo::*;

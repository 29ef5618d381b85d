//! A clone and the remote it fetches from, as both tools use them: every fetch runs with
//! [`FETCH`](crate::FETCH) (no tags, no submodules, stalled transfers abandoned), none starts once
//! the run must stop, and each one that succeeds leaves a note of what it fetched and why, for
//! the log. Deepening a shallow clone goes through here ([`Fetcher::deepen_until`],
//! [`Fetcher::unshallow`]).

use std::sync::{Mutex, PoisonError};

use gantry_toolkit::Stop;

use crate::repo::{Repo, RepoError};
use crate::{Deepening, FETCH, stderr_text};

/// A clone, its remote, the notes of what was fetched, and when to stop.
#[derive(Debug)]
pub struct Fetcher {
    repo: Repo,
    remote: String,
    notes: Mutex<Vec<String>>,
    stop: Option<Stop>,
}

impl Fetcher {
    /// Fetches into `repo` from `remote`.
    pub fn new(repo: Repo, remote: impl Into<String>) -> Fetcher {
        Fetcher {
            repo,
            remote: remote.into(),
            notes: Mutex::new(Vec::new()),
            stop: None,
        }
    }

    /// Fetch from `remote` instead.
    #[must_use]
    pub fn with_remote(mut self, remote: impl Into<String>) -> Fetcher {
        self.remote = remote.into();
        self
    }

    /// Start no fetch once `stop` says the run must stop ([`RepoError::Stopped`]).
    #[must_use]
    pub fn with_stop(mut self, stop: Stop) -> Fetcher {
        self.stop = Some(stop);
        self
    }

    /// The clone.
    pub fn repo(&self) -> &Repo {
        &self.repo
    }

    /// The remote fetched from.
    pub fn remote(&self) -> &str {
        &self.remote
    }

    /// [`RepoError::Stopped`] when the run must stop, before `next`.
    ///
    /// # Errors
    /// The run must stop.
    pub fn check_stop(&self, next: &str) -> Result<(), RepoError> {
        match &self.stop {
            Some(stop) => Ok(stop.check(next)?),
            None => Ok(()),
        }
    }

    /// What was fetched since the last call, in order (for a log group).
    pub fn take_notes(&self) -> Vec<String> {
        std::mem::take(&mut *self.notes.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Records a note for the log.
    pub fn note(&self, note: String) {
        self.notes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(note);
    }

    /// `git fetch --no-tags --no-recurse-submodules <args>` (with `input` on stdin, such as
    /// `--stdin` refspecs); git's message when it fails. `note` says what the fetch is for: the
    /// stop check names it, and it is recorded when the fetch succeeds.
    ///
    /// # Errors
    /// The run must stop, or git cannot run.
    pub fn try_fetch(
        &self,
        args: &[&str],
        note: &str,
        input: Option<Vec<u8>>,
    ) -> Result<Result<(), String>, RepoError> {
        self.check_stop(note)?;
        let mut all = FETCH.to_vec();
        all.extend_from_slice(args);
        let output = match input {
            Some(input) => self.repo.output_with_input(&all, input, &[])?,
            None => self.repo.output(&all)?,
        };
        if output.status.success() {
            self.note(note.to_owned());
            Ok(Ok(()))
        } else {
            Ok(Err(stderr_text(&output)))
        }
    }

    /// [`Fetcher::try_fetch`] without stdin, an error naming the remote and the purpose when it
    /// fails.
    ///
    /// # Errors
    /// [`RepoError::FetchFailed`], or what [`Fetcher::try_fetch`] returns.
    pub fn fetch(&self, args: &[&str], note: String) -> Result<(), RepoError> {
        match self.try_fetch(args, &note, None)? {
            Ok(()) => Ok(()),
            Err(stderr) => Err(RepoError::FetchFailed {
                remote: self.remote.clone(),
                what: note,
                stderr,
            }),
        }
    }

    /// Deepen a shallow clone until `probe` answers: `--deepen` doubling from `initial_depth`
    /// at most `max_rounds` times (fewer when a round brings nothing), then the whole history
    /// once with `--unshallow`; `None` when the history is complete and `probe` still has no
    /// answer. `purpose` is what is searched for, for the notes (`the last release tag`). See
    /// [`crate::deepen_until`].
    ///
    /// # Errors
    /// What `probe` returns; a fetch failing.
    pub fn deepen_until<T, E: From<RepoError>>(
        &self,
        initial_depth: u32,
        max_rounds: u32,
        purpose: &str,
        probe: impl FnMut() -> Result<Option<T>, E>,
    ) -> Result<Option<T>, E> {
        let how = Deepening {
            repo: &self.repo,
            remote: &self.remote,
            initial_depth,
            max_rounds,
            purpose,
        };
        crate::deepen_until(
            &how,
            |args, note| self.fetch(args, note).map_err(E::from),
            probe,
        )
    }

    /// Fetch the whole history of a shallow clone (`--unshallow`) to find `purpose`; false when
    /// it was complete.
    ///
    /// # Errors
    /// A fetch failing.
    pub fn unshallow(&self, purpose: &str) -> Result<bool, RepoError> {
        crate::unshallow(&self.repo, &self.remote, purpose, |args, note| {
            self.fetch(args, note)
        })
    }
}

/// How many times a shallow clone is deepened (doubling the depth each time) before the whole
/// history is fetched once with `--unshallow`: from a first depth of 100 the rounds reach 6,300
/// commits below the clone's tip.
pub const MAX_DEEPEN_ROUNDS: u32 = 6;

/// A tool's git handle that holds a [`Fetcher`]: its clone is deepened until a probe over the
/// handle itself answers.
pub trait Deepen: Sized {
    /// The handle's fetcher.
    fn fetcher(&self) -> &Fetcher;

    /// Deepen a shallow clone until `probe` answers: `--deepen` doubling from `initial_depth`
    /// at most [`MAX_DEEPEN_ROUNDS`] times (fewer when a round brings nothing), then the whole
    /// history once with `--unshallow`. `None` when the history is complete and `probe` still
    /// has no answer. See [`Fetcher::deepen_until`].
    ///
    /// # Errors
    /// What `probe` returns; a fetch failing.
    fn deepen_until<T, E: From<RepoError>>(
        &self,
        initial_depth: u32,
        purpose: &str,
        mut probe: impl FnMut(&Self) -> Result<Option<T>, E>,
    ) -> Result<Option<T>, E> {
        self.fetcher()
            .deepen_until(initial_depth, MAX_DEEPEN_ROUNDS, purpose, || probe(self))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::test_support::git;

    /// A clone of a bare `origin` holding one commit on `main`.
    fn clone_of_origin() -> (tempfile::TempDir, std::path::PathBuf) {
        let tmp = tempfile::tempdir().expect("a temporary directory");
        let origin = tmp.path().join("origin.git");
        let work = tmp.path().join("work");
        std::fs::create_dir_all(&work).expect("mkdir");
        git(tmp.path(), &["init", "-q", "--bare", "origin.git"]);
        git(&work, &["init", "-q", "-b", "main"]);
        git(&work, &["commit", "-q", "--allow-empty", "-m", "one"]);
        git(
            &work,
            &[
                "remote",
                "add",
                "origin",
                origin.to_str().unwrap_or_default(),
            ],
        );
        git(&work, &["push", "-q", "origin", "main"]);
        (tmp, work)
    }

    #[test]
    fn a_fetch_leaves_a_note_and_a_failed_one_names_the_remote_and_its_purpose() {
        let (_tmp, work) = clone_of_origin();
        let fetcher = Fetcher::new(Repo::new(&work), "origin");
        fetcher
            .fetch(&["origin", "main"], "fetching main".to_owned())
            .expect("the fetch works");
        assert_eq!(fetcher.take_notes(), ["fetching main"]);
        assert!(fetcher.take_notes().is_empty(), "taken");

        let error = fetcher
            .fetch(
                &["origin", "no-such-branch"],
                "fetching the base".to_owned(),
            )
            .expect_err("no such branch");
        match &error {
            RepoError::FetchFailed { remote, what, .. } => {
                assert_eq!(
                    (remote.as_str(), what.as_str()),
                    ("origin", "fetching the base")
                );
            }
            other => panic!("not FetchFailed: {other}"),
        }
        assert!(
            fetcher.take_notes().is_empty(),
            "no note for a failed fetch"
        );
    }

    #[test]
    fn no_fetch_starts_once_the_run_must_stop() {
        let (_tmp, work) = clone_of_origin();
        let fetcher =
            Fetcher::new(Repo::new(&work), "origin").with_stop(Stop::after(Duration::ZERO));
        let error = fetcher
            .fetch(&["origin", "main"], "deepening the clone".to_owned())
            .expect_err("stopped");
        assert!(matches!(error, RepoError::Stopped(_)), "{error}");
        assert!(
            error
                .to_string()
                .starts_with("stopped before deepening the clone: the deadline"),
            "{error}"
        );
        assert!(fetcher.take_notes().is_empty());
    }
}

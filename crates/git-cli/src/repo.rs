//! git in one working directory, and its errors: each names the directory and tells the user
//! what to do, so every tool that runs git reports them the same way.

use std::collections::BTreeSet;
use std::io::{BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::{ChildStdout, Command, Output, Stdio};

/// Running git in a working directory failed, or its output was not what was expected.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// `git` could not be started (or waited for).
    #[error("cannot run git in {}: {source}; check that git is installed and on PATH", .dir.display())]
    Spawn {
        /// The working directory.
        dir: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The directory is not inside a git work tree.
    #[error(
        "{} is not a git repository: check the `working-directory` input and that the job checks out the repository (actions/checkout) before this step",
        .dir.display()
    )]
    NotARepository {
        /// The working directory.
        dir: PathBuf,
    },
    /// git refuses a repository owned by another user (containers running as root).
    #[error(
        "git refuses to work in {} because the repository belongs to another user (\"dubious ownership\"): run the container as the runner's user (`container: options: --user 1001`), or add a step before this one: git config --global --add safe.directory \"$GITHUB_WORKSPACE\"",
        .dir.display()
    )]
    DubiousOwnership {
        /// The working directory.
        dir: PathBuf,
    },
    /// git exited unsuccessfully.
    #[error("git {args} failed in {} ({status}): {stderr}", .dir.display())]
    Failed {
        /// The arguments, space-separated.
        args: String,
        /// The working directory.
        dir: PathBuf,
        /// The exit status.
        status: String,
        /// What git printed on stderr (see [`crate::stderr_text`]).
        stderr: String,
    },
    /// git's output could not be read.
    #[error("unexpected output from git {args}: {detail}")]
    Parse {
        /// The arguments, space-separated.
        args: String,
        /// What was wrong.
        detail: String,
    },
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
    /// A revision names no commit of the clone.
    #[error("{what} '{rev}' is not a commit of the repository at {}", .dir.display())]
    CommitNotFound {
        /// `parent`, …
        what: &'static str,
        /// The revision.
        rev: String,
        /// The working directory.
        dir: PathBuf,
    },
    /// A fetch, such as one completing a shallow clone's history, failed.
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
    /// The run must stop (the job was cancelled, or its deadline passed) before a fetch.
    #[error(transparent)]
    Stopped(#[from] gantry_toolkit::Stopped),
}

/// git in one working directory.
///
/// Every command runs as `git --no-pager -c core.quotepath=off …` with `LC_ALL=C`, no terminal
/// prompt, no optional locks, `cat` as pager and stdin closed unless the caller pipes it.
#[derive(Debug, Clone)]
pub struct Repo {
    dir: PathBuf,
}

impl Repo {
    /// git in `dir` (any directory inside the work tree).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Repo { dir: dir.into() }
    }

    /// The working directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `git --no-pager -c core.quotepath=off <args>` here, not started (see [`Repo`]).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("git");
        cmd.current_dir(&self.dir)
            .args(["--no-pager", "-c", "core.quotepath=off"])
            .args(args)
            .env("LC_ALL", "C")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_OPTIONAL_LOCKS", "0")
            .env("GIT_PAGER", "cat")
            .stdin(Stdio::null());
        cmd
    }

    /// [`RepoError::Spawn`]: git (from [`Repo::command`]) could not be started or waited for.
    pub fn spawn_error(&self, source: std::io::Error) -> RepoError {
        RepoError::Spawn {
            dir: self.dir.clone(),
            source,
        }
    }

    /// [`RepoError::Failed`] for a finished git.
    pub fn failed(&self, args: &[&str], output: &Output) -> RepoError {
        RepoError::Failed {
            args: args.join(" "),
            dir: self.dir.clone(),
            status: output.status.to_string(),
            stderr: crate::stderr_text(output),
        }
    }

    /// `output`, or the error for a repository git cannot use at all.
    ///
    /// # Errors
    /// [`RepoError::DubiousOwnership`] or [`RepoError::NotARepository`] when git failed
    /// saying so.
    pub fn usable(&self, output: Output) -> Result<Output, RepoError> {
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let dir = self.dir.clone();
            if stderr.contains("dubious ownership") {
                return Err(RepoError::DubiousOwnership { dir });
            }
            if stderr.contains("not a git repository") {
                return Err(RepoError::NotARepository { dir });
            }
        }
        Ok(output)
    }

    /// Run git; an error only when it cannot start or the repository is unusable.
    ///
    /// # Errors
    /// [`RepoError::Spawn`], or see [`Repo::usable`].
    pub fn output(&self, args: &[&str]) -> Result<Output, RepoError> {
        let output = self
            .command(args)
            .output()
            .map_err(|e| self.spawn_error(e))?;
        self.usable(output)
    }

    /// Run git with `input` on its stdin and `envs` added, collecting its output. The input is
    /// written on a thread of its own, so git can never block on a full stdout pipe while the
    /// input is still being written.
    ///
    /// # Errors
    /// See [`Repo::output`].
    pub fn output_with_input(
        &self,
        args: &[&str],
        input: Vec<u8>,
        envs: &[(&str, &str)],
    ) -> Result<Output, RepoError> {
        let mut child = self
            .command(args)
            .envs(envs.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| self.spawn_error(source))?;
        let writer = child.stdin.take().map(|mut stdin| {
            std::thread::spawn(move || {
                // Should git stop early, its exit status says why.
                let _ = std::io::Write::write_all(&mut stdin, &input);
            })
        });
        let output = child
            .wait_with_output()
            .map_err(|source| self.spawn_error(source))?;
        if let Some(writer) = writer {
            let _ = writer.join();
        }
        self.usable(output)
    }

    /// The commit `rev` names, if it is in the clone (`rev^{commit}`, after the revision was
    /// checked).
    ///
    /// # Errors
    /// An invalid revision, or git unusable.
    pub fn resolve_commit(&self, rev: &str) -> Result<Option<String>, RepoError> {
        crate::check_rev("revision", rev)?;
        let spec = format!("{rev}^{{commit}}");
        let output = self.output(&["rev-parse", "--verify", "-q", "--end-of-options", &spec])?;
        Ok(output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
            .filter(|s| !s.is_empty()))
    }

    /// Run git; its stdout, or an error when it fails.
    ///
    /// # Errors
    /// See [`Repo::output`]; [`RepoError::Failed`] when git exits unsuccessfully.
    pub fn run(&self, args: &[&str]) -> Result<Vec<u8>, RepoError> {
        let output = self.output(args)?;
        if output.status.success() {
            Ok(output.stdout)
        } else {
            Err(self.failed(args, &output))
        }
    }

    /// [`Repo::run`], its stdout as trimmed text (invalid UTF-8 replaced).
    ///
    /// # Errors
    /// See [`Repo::run`].
    pub fn run_text(&self, args: &[&str]) -> Result<String, RepoError> {
        Ok(String::from_utf8_lossy(&self.run(args)?).trim().to_owned())
    }

    /// Whether the clone is shallow.
    ///
    /// # Errors
    /// See [`Repo::run`].
    pub fn is_shallow(&self) -> Result<bool, RepoError> {
        Ok(self.run_text(&["rev-parse", "--is-shallow-repository"])? == "true")
    }

    /// The commits where a shallow clone's history is cut (empty when complete).
    ///
    /// # Errors
    /// See [`Repo::run`]; [`RepoError::Parse`] when the `shallow` file cannot be read.
    pub fn shallow_commits(&self) -> Result<BTreeSet<String>, RepoError> {
        let path = PathBuf::from(self.run_text(&["rev-parse", "--git-path", "shallow"])?);
        let path = self.dir.join(path);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(text.lines().map(str::to_owned).collect()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeSet::new()),
            Err(e) => Err(RepoError::Parse {
                args: "rev-parse --git-path shallow".to_owned(),
                detail: format!("cannot read {}: {e}", path.display()),
            }),
        }
    }

    /// Run git and hand its stdout to `read` through a reader of `buffer` bytes as it arrives,
    /// so a large output is never held whole. What `read` leaves unread is drained, so git
    /// finishes; git's failure takes precedence over what `read` made of a truncated output.
    ///
    /// # Errors
    /// See [`Repo::run`]; [`RepoError::Parse`] with what `read` returned.
    pub fn stream<T>(
        &self,
        args: &[&str],
        buffer: usize,
        read: impl FnOnce(&mut BufReader<ChildStdout>) -> Result<T, String>,
    ) -> Result<T, RepoError> {
        self.stream_beside(args, buffer, || (), read).1
    }

    /// [`Repo::stream`], calling `beside` once git has started and before its output is read:
    /// git commands that `beside` starts then run alongside this one instead of delaying its
    /// start. `beside` is called whether or not git could be started.
    ///
    /// # Errors
    /// See [`Repo::stream`].
    pub fn stream_beside<T, U>(
        &self,
        args: &[&str],
        buffer: usize,
        beside: impl FnOnce() -> U,
        read: impl FnOnce(&mut BufReader<ChildStdout>) -> Result<T, String>,
    ) -> (U, Result<T, RepoError>) {
        let child = self
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| self.spawn_error(e));
        let started = beside();
        (
            started,
            child.and_then(|child| self.read_stream(child, args, buffer, read)),
        )
    }

    /// The rest of [`Repo::stream_beside`], once git has started.
    fn read_stream<T>(
        &self,
        mut child: std::process::Child,
        args: &[&str],
        buffer: usize,
        read: impl FnOnce(&mut BufReader<ChildStdout>) -> Result<T, String>,
    ) -> Result<T, RepoError> {
        // stderr is drained on its own thread: git must never block on a full pipe. (Should no
        // thread start, the pipe closes and git's messages are lost, not its status.)
        let stderr = child.stderr.take().and_then(|mut pipe| {
            std::thread::Builder::new()
                .spawn(move || {
                    let mut text = Vec::new();
                    let _ = pipe.read_to_end(&mut text);
                    text
                })
                .ok()
        });
        let read = match child.stdout.take() {
            Some(pipe) => {
                let mut reader = BufReader::with_capacity(buffer, pipe);
                let result = read(&mut reader);
                // Let git finish (the reader may stop early): its own error, if any, is the
                // one to report.
                let _ = std::io::copy(&mut reader, &mut std::io::sink());
                result
            }
            None => Err("no output".to_owned()),
        };
        let status = child.wait().map_err(|e| self.spawn_error(e))?;
        let stderr = stderr
            .and_then(|thread| thread.join().ok())
            .unwrap_or_default();
        let output = self.usable(Output {
            status,
            stdout: Vec::new(),
            stderr,
        })?;
        if !output.status.success() {
            return Err(self.failed(args, &output));
        }
        read.map_err(|detail| RepoError::Parse {
            args: args.join(" "),
            detail,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unusable_directory_is_named_with_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repo::new(dir.path());
        let error = repo.run(&["rev-parse", "HEAD"]).unwrap_err();
        assert!(
            matches!(&error, RepoError::NotARepository { dir: d } if d == dir.path()),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            format!(
                "{} is not a git repository: check the `working-directory` input and that the job checks out the repository (actions/checkout) before this step",
                dir.path().display()
            )
        );
    }

    #[test]
    fn a_failure_names_the_command_the_directory_and_what_git_said() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repo::new(dir.path());
        let error = repo.run(&["init", "-q", "--no-such-option"]).unwrap_err();
        let text = error.to_string();
        assert!(matches!(error, RepoError::Failed { .. }), "{error:?}");
        assert!(
            text.starts_with(&format!(
                "git init -q --no-such-option failed in {} (exit status: ",
                dir.path().display()
            )),
            "{text}"
        );
        assert!(text.contains("no-such-option"), "{text}");
    }

    #[test]
    fn a_reader_refusing_the_output_is_a_parse_error() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repo::new(dir.path());
        let error = repo
            .stream(&["--version"], 64, |_| Err::<(), _>("cut short".to_owned()))
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "unexpected output from git --version: cut short"
        );
    }

    #[test]
    fn git_that_cannot_start_is_named_with_what_to_do() {
        let repo = Repo::new("/w");
        let error = repo.spawn_error(std::io::ErrorKind::NotFound.into());
        assert_eq!(
            error.to_string(),
            "cannot run git in /w: entity not found; check that git is installed and on PATH"
        );
    }
}

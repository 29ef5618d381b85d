//! The GitOps repository, as the run needs it: the branch's tip on the remote, files at a commit,
//! a commit made in a private index (the checkout, its index and its branch are never touched,
//! whatever state the job left them in), a push that tells a lost race from a refusal, and a
//! temporary checkout of a commit for the render check. Over gantry-git-cli, the git layer every
//! tool shares.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use gantry_git_cli::Repo;
use gantry_toolkit::Stop;

pub use gantry_git_cli::ChangedFile;

/// A git step failed.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error(transparent)]
    Repo(#[from] gantry_git_cli::RepoError),
    #[error(transparent)]
    Remote(#[from] gantry_git_cli::RemoteError),
    #[error("cannot fetch {branch} from '{remote}': {stderr}")]
    Fetch {
        remote: String,
        branch: String,
        stderr: String,
    },
    #[error(
        "the remote '{remote}' has no branch '{branch}': check the `branch` input (and that `remote` is the GitOps repository)"
    )]
    NoBranch { remote: String, branch: String },
    #[error(
        "the checkout is on no branch (a detached HEAD): set the `branch` input to the branch to commit to"
    )]
    Detached,
    #[error("the run was stopped ({0}) before `{1}`")]
    Stopped(String, String),
}

/// What a push came to.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// The branch moved since it was fetched (a concurrent update): fetch, re-apply, push again.
    #[error("the remote's {branch} moved since it was fetched ({detail})")]
    Raced { branch: String, detail: String },
    #[error(transparent)]
    Failed(#[from] GitError),
}

/// The repository operations of a run.
pub trait Git {
    /// The checkout's branch; `None` on a detached HEAD.
    fn current_branch(&self) -> Result<Option<String>, GitError>;
    /// Fetch `branch` from the remote (its whole history with `history`); its commit.
    fn fetch(&self, branch: &str, history: bool) -> Result<String, GitError>;
    /// The files of `commit` under the working directory, relative to it.
    fn files(&self, commit: &str) -> Result<Vec<String>, GitError>;
    /// A file's content at `commit`; `None` when it has none.
    fn read(&self, commit: &str, path: &str) -> Result<Option<Vec<u8>>, GitError>;
    /// The contents of `files` at `commit` (a file it lacks is left out).
    fn read_all(&self, commit: &str, files: &[String]) -> Result<Vec<(String, Vec<u8>)>, GitError> {
        let mut contents = Vec::new();
        for file in files {
            if let Some(content) = self.read(commit, file)? {
                contents.push((file.clone(), content));
            }
        }
        Ok(contents)
    }
    /// A commit on `parent` with `files` (paths relative to the working directory) set.
    fn commit(
        &self,
        parent: &str,
        files: &[ChangedFile],
        message: &str,
    ) -> Result<String, GitError>;
    /// Push `commit` to the remote's `branch`: a fast-forward, or with `force` whatever it was.
    fn push(&self, commit: &str, branch: &str, force: bool) -> Result<(), PushError>;
    /// `(sha, message)` of the commits of `commit`'s history that touch `paths`, newest first.
    fn history(
        &self,
        commit: &str,
        paths: &[String],
        limit: usize,
    ) -> Result<Vec<(String, String)>, GitError>;
    /// The parent of `commit`.
    fn parent(&self, commit: &str) -> Result<Option<String>, GitError>;
    /// Whether `ancestor` is in `commit`'s history.
    fn contains(&self, commit: &str, ancestor: &str) -> Result<bool, GitError>;
    /// The files of `commit` in a temporary directory (removed when dropped): only those under
    /// `dirs` (relative to the working directory), or all of them with `None`.
    fn checkout(&self, commit: &str, dirs: Option<&[String]>) -> Result<Checkout, GitError>;
    /// The same repository, deaf to the run's stop: for the undo of a commit that must land
    /// even when the run was cancelled or its deadline passed.
    fn unstoppable(&self) -> Self
    where
        Self: Sized;
}

/// A commit's files in a temporary directory, removed when dropped. Not a git worktree: nothing
/// is registered in the repository, so a run killed mid-way leaves nothing behind in it.
#[derive(Debug)]
pub struct Checkout {
    _dir: tempfile::TempDir,
    /// The working directory inside it.
    pub root: PathBuf,
}

/// [`Git`] over the git CLI, in the working directory's repository.
#[derive(Debug, Clone)]
pub struct GitCli {
    repo: Repo,
    remote: String,
    /// The working directory from the repository's root (`deploy/`), or empty.
    prefix: String,
    /// `GIT_AUTHOR_*`/`GIT_COMMITTER_*` for commits.
    author: (String, String),
    stop: Stop,
}

impl GitCli {
    pub fn open(
        dir: &Path,
        remote: &str,
        author: (String, String),
        stop: Stop,
    ) -> Result<GitCli, GitError> {
        let repo = Repo::new(dir);
        let prefix = repo
            .run_text(&["rev-parse", "--show-prefix"])?
            .trim()
            .to_owned();
        Ok(GitCli {
            repo,
            remote: remote.to_owned(),
            prefix,
            author,
            stop,
        })
    }

    fn check_stop(&self, next: &str) -> Result<(), GitError> {
        self.stop
            .check(next)
            .map_err(|stopped| GitError::Stopped(stopped.to_string(), next.to_owned()))
    }

    fn tracking_ref(&self, branch: &str) -> String {
        format!("refs/gantry/gitops-update/{}/{branch}", self.remote)
    }

    fn repo_path(&self, path: &str) -> String {
        format!("{}{path}", self.prefix)
    }
}

impl Git for GitCli {
    fn current_branch(&self) -> Result<Option<String>, GitError> {
        let output = self
            .repo
            .output(&["symbolic-ref", "--quiet", "--short", "HEAD"])?;
        Ok(output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
            .filter(|b| !b.is_empty()))
    }

    fn fetch(&self, branch: &str, history: bool) -> Result<String, GitError> {
        self.check_stop("git fetch")?;
        gantry_git_cli::check_rev("branch", branch)?;
        let refspec = format!("+refs/heads/{branch}:{}", self.tracking_ref(branch));
        let mut args = vec!["fetch", "--no-tags", "--quiet"];
        if history && self.repo.is_shallow()? {
            args.push("--unshallow");
        }
        args.extend(["--end-of-options", self.remote.as_str(), refspec.as_str()]);
        let output = self.repo.output(&args)?;
        if !output.status.success() {
            let stderr = gantry_git_cli::stderr_text(&output);
            if stderr.contains("couldn't find remote ref") {
                return Err(GitError::NoBranch {
                    remote: self.remote.clone(),
                    branch: branch.to_owned(),
                });
            }
            return Err(GitError::Fetch {
                remote: gantry_git_cli::without_credentials(&self.remote),
                branch: branch.to_owned(),
                stderr,
            });
        }
        Ok(self
            .repo
            .run_text(&["rev-parse", "--verify", &self.tracking_ref(branch)])?
            .trim()
            .to_owned())
    }

    fn files(&self, commit: &str) -> Result<Vec<String>, GitError> {
        let mut args = vec!["ls-tree", "-r", "-z", "--name-only", "--full-tree", commit];
        if !self.prefix.is_empty() {
            args.extend(["--", self.prefix.as_str()]);
        }
        let listed = self.repo.run(&args)?;
        Ok(listed
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .filter_map(|p| {
                let path = String::from_utf8_lossy(p);
                path.strip_prefix(self.prefix.as_str()).map(str::to_owned)
            })
            .collect())
    }

    fn read(&self, commit: &str, path: &str) -> Result<Option<Vec<u8>>, GitError> {
        Ok(self.repo.file_at(commit, &self.repo_path(path))?)
    }

    fn commit(
        &self,
        parent: &str,
        files: &[ChangedFile],
        message: &str,
    ) -> Result<String, GitError> {
        let files: Vec<ChangedFile> = files
            .iter()
            .map(|f| ChangedFile {
                path: self.repo_path(&f.path),
                content: f.content.clone(),
            })
            .collect();
        let (name, email) = (&self.author.0, &self.author.1);
        let env = [
            ("GIT_AUTHOR_NAME", name.as_str()),
            ("GIT_AUTHOR_EMAIL", email.as_str()),
            ("GIT_COMMITTER_NAME", name.as_str()),
            ("GIT_COMMITTER_EMAIL", email.as_str()),
        ];
        Ok(self.repo.commit_files(parent, &files, &[], message, &env)?)
    }

    fn push(&self, commit: &str, branch: &str, force: bool) -> Result<(), PushError> {
        self.check_stop("git push")?;
        gantry_git_cli::check_rev("branch", branch).map_err(GitError::from)?;
        let plus = if force { "+" } else { "" };
        match self.repo.push(
            &self.remote,
            &[format!("{plus}{commit}:refs/heads/{branch}")],
        ) {
            Ok(_) => Ok(()),
            Err(error) if error.is_stale() || lost_ref_lock(&error) => Err(PushError::Raced {
                branch: branch.to_owned(),
                detail: error.to_string(),
            }),
            Err(error) => Err(GitError::from(error).into()),
        }
    }

    fn history(
        &self,
        commit: &str,
        paths: &[String],
        limit: usize,
    ) -> Result<Vec<(String, String)>, GitError> {
        let count = format!("--max-count={limit}");
        let mut args = vec!["log", "--format=%H%x00%B%x1e", count.as_str(), commit, "--"];
        let paths: Vec<String> = paths.iter().map(|p| self.repo_path(p)).collect();
        args.extend(paths.iter().map(String::as_str));
        let log = self.repo.run_text(&args)?;
        Ok(log
            .split('\u{1e}')
            .filter_map(|entry| {
                let (sha, message) = entry.trim_start_matches('\n').split_once('\0')?;
                Some((sha.to_owned(), message.to_owned()))
            })
            .collect())
    }

    fn parent(&self, commit: &str) -> Result<Option<String>, GitError> {
        Ok(self.repo.resolve_commit(&format!("{commit}^"))?)
    }

    fn contains(&self, commit: &str, ancestor: &str) -> Result<bool, GitError> {
        Ok(self.repo.is_ancestor(ancestor, commit)?)
    }

    fn checkout(&self, commit: &str, dirs: Option<&[String]>) -> Result<Checkout, GitError> {
        let dir = tempfile::Builder::new()
            .prefix("gantry-gitops-")
            .tempdir()
            .map_err(|e| self.repo.spawn_error(e))?;
        let mut args = vec![
            "archive".to_owned(),
            "--format=tar".to_owned(),
            commit.to_owned(),
        ];
        let scope: Vec<String> = match dirs {
            Some(dirs) => dirs
                .iter()
                .map(|d| self.repo_path(d.trim_start_matches("./")))
                .collect(),
            None if self.prefix.is_empty() => Vec::new(),
            None => vec![self.prefix.clone()],
        };
        if !scope.is_empty() {
            args.push("--".to_owned());
            args.extend(
                scope
                    .into_iter()
                    .map(|p| if p.is_empty() { ".".to_owned() } else { p }),
            );
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut child = self
            .repo
            .command(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| self.repo.spawn_error(e))?;
        // The archive's end is padded past what the unpacker reads: the rest is drained, or
        // git would die of a broken pipe.
        let unpacked = child.stdout.take().map(|mut out| {
            tar::Archive::new(&mut out)
                .unpack(dir.path())
                .and_then(|()| std::io::copy(&mut out, &mut std::io::sink()).map(drop))
        });
        let output = child
            .wait_with_output()
            .map_err(|e| self.repo.spawn_error(e))?;
        if !output.status.success() {
            return Err(self.repo.failed(&args, &output).into());
        }
        if let Some(Err(e)) = unpacked {
            return Err(self.repo.spawn_error(e).into());
        }
        let root = dir.path().join(&self.prefix);
        std::fs::create_dir_all(&root).map_err(|e| self.repo.spawn_error(e))?;
        Ok(Checkout { _dir: dir, root })
    }

    fn unstoppable(&self) -> Self {
        GitCli {
            stop: Stop::never(),
            ..self.clone()
        }
    }
}

/// Two pushes that reach the remote at the same moment: the later one finds the branch no
/// longer where its push said it was, and git reports that as the remote's refusal (`cannot
/// lock ref ... is at X but expected Y`, or with an atomic push `atomic transaction failed`)
/// rather than as a non-fast-forward. It is the same race: fetch, re-apply, push again. The
/// caller tells it from a real refusal by the branch: after a race it has moved.
fn lost_ref_lock(error: &gantry_git_cli::RemoteError) -> bool {
    let gantry_git_cli::RemoteError::Rejected { rejected, .. } = error else {
        return false;
    };
    rejected.iter().all(|(_, reason)| {
        reason.contains("but expected")
            || reason.contains("failed to lock")
            || reason.contains("cannot lock ref")
            || reason.contains("atomic transaction failed")
    }) && !rejected.is_empty()
}

//! The release commit (version files and the CHANGELOG changed on top of a commit) and pushing
//! it to a branch, on gantry-git-cli's commits beside the checkout
//! ([`gantry_git_cli::commit`]) and its atomic push.
//!
//! The release commit is dated as its parent and signed by the tagger identity, so a re-run on
//! the same commit makes the same commit (and its push changes nothing).

use super::*;

impl Git {
    /// `dir`-relative `path` (the inputs' paths are relative to the working directory) as a
    /// path from the repository's root, with `/`.
    pub fn repo_path(&self, path: &Path) -> Result<String, GitError> {
        Ok(self.repo().root_path(path)?)
    }

    /// The content of `path` (from the repository's root) at commit `rev`; `None` when the
    /// commit has no such file.
    pub fn file_at(&self, rev: &str, path: &str) -> Result<Option<Vec<u8>>, GitError> {
        let commit = self.head_commit(rev)?;
        Ok(self.repo().file_at(&commit, path)?)
    }

    /// A commit on top of `parent` with `files` changed (or added), with `message`, dated as
    /// `parent`; its SHA.
    ///
    /// # Errors
    /// An invalid parent; git fails.
    pub fn commit_files(
        &self,
        parent: &str,
        files: &[ChangedFile],
        message: &str,
    ) -> Result<String, GitError> {
        let parent = self.head_commit(parent)?;
        let date = self
            .repo()
            .run_text(&["show", "-s", "--format=%ct", &parent])?;
        let date = format!("@{date} +0000");
        let mut env = self.tagger_env()?;
        env.push(("GIT_AUTHOR_DATE", date.clone()));
        env.push(("GIT_COMMITTER_DATE", date));
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        Ok(self
            .repo()
            .commit_files(&parent, files, &[], message, &env)?)
    }

    /// Push commit `sha` to `branch` of the remote: with `force` whatever the branch was
    /// (the release pull request's own branch), else only as a fast-forward.
    ///
    /// # Errors
    /// The remote refusing it ([`GitError::PushRejected`]: not a fast-forward) or the
    /// credentials; git fails.
    pub fn push_branch(&self, sha: &str, branch: &str, force: bool) -> Result<(), GitError> {
        let commit = self.head_commit(sha)?;
        cli::check_rev("branch", branch)?;
        let plus = if force { "+" } else { "" };
        self.repo().push(
            self.remote(),
            &[format!("{plus}{commit}:refs/heads/{branch}")],
        )?;
        self.fetcher.note(format!(
            "pushed {} to {}'s {branch}",
            &commit[..7],
            self.remote()
        ));
        Ok(())
    }

    /// The commit of `branch` on the remote; `None` when it has no such branch.
    pub fn remote_branch(&self, branch: &str) -> Result<Option<String>, GitError> {
        Ok(self.repo().remote_branch(self.remote(), branch)?)
    }

    /// Whether commit `ancestor` is in the history of `head` (`false` when the clone does not
    /// have it).
    pub fn is_ancestor(&self, ancestor: &str, head: &str) -> Result<bool, GitError> {
        Ok(self.repo().is_ancestor(ancestor, head)?)
    }
}

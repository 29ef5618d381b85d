//! The release commit (version files and the CHANGELOG changed on top of a commit) and pushing
//! it to a branch.
//!
//! The commit is made with plumbing in a private index (`read-tree`, `hash-object`,
//! `update-index`, `write-tree`, `commit-tree`): the checkout, its index and its branch are never
//! touched, whatever state the job left them in. It is dated as its parent and signed by the
//! tagger identity, so a re-run on the same commit makes the same commit (and its push changes
//! nothing).

use super::*;

/// A file of the release commit: its path from the repository's root, and its new content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedFile {
    pub path: String,
    pub content: Vec<u8>,
}

impl Git {
    /// `dir`-relative `path` (the inputs' paths are relative to the working directory) as a
    /// path from the repository's root, with `/`.
    pub fn repo_path(&self, path: &Path) -> Result<String, GitError> {
        let prefix = self.repo().run_text(&["rev-parse", "--show-prefix"])?;
        let joined = format!("{}{}", prefix.trim(), path.to_string_lossy());
        Ok(joined.replace('\\', "/"))
    }

    /// The content of `path` (from the repository's root) at commit `rev`; `None` when the
    /// commit has no such file.
    pub fn file_at(&self, rev: &str, path: &str) -> Result<Option<Vec<u8>>, GitError> {
        let commit = self.head_commit(rev)?;
        let spec = format!("{commit}:{path}");
        let output = self.repo().output(&["cat-file", "blob", &spec])?;
        Ok(output.status.success().then_some(output.stdout))
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
        let index = std::env::temp_dir().join(format!(
            "gantry-release-index-{}-{}",
            std::process::id(),
            &parent[..12.min(parent.len())]
        ));
        let result = self.commit_in_index(&index, &parent, files, message);
        let _ = std::fs::remove_file(&index);
        result
    }

    fn commit_in_index(
        &self,
        index: &Path,
        parent: &str,
        files: &[ChangedFile],
        message: &str,
    ) -> Result<String, GitError> {
        let index = index.to_string_lossy().into_owned();
        let with_index = [("GIT_INDEX_FILE", index.as_str())];
        let git = |args: &[&str], input: Vec<u8>, env: &[(&str, &str)]| {
            let output = self.repo().output_with_input(args, input, env)?;
            if !output.status.success() {
                return Err(GitError::from(self.repo().failed(args, &output)));
            }
            Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
        };
        git(&["read-tree", parent], Vec::new(), &with_index)?;
        for file in files {
            // The file's mode stays (an executable stays executable).
            let listed = git(&["ls-tree", parent, "--", &file.path], Vec::new(), &[])?;
            let mode = listed
                .split_whitespace()
                .next()
                .filter(|m| m.starts_with("100"))
                .unwrap_or("100644")
                .to_owned();
            let blob = git(&["hash-object", "-w", "--stdin"], file.content.clone(), &[])?;
            let info = format!("{mode},{blob},{}", file.path);
            git(
                &["update-index", "--add", "--cacheinfo", &info],
                Vec::new(),
                &with_index,
            )?;
        }
        let tree = git(&["write-tree"], Vec::new(), &with_index)?;
        let date = git(&["show", "-s", "--format=%ct", parent], Vec::new(), &[])?;
        let date = format!("@{date} +0000");
        let mut env = self.tagger_env()?;
        env.push(("GIT_AUTHOR_DATE", date.clone()));
        env.push(("GIT_COMMITTER_DATE", date));
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        git(
            &["commit-tree", &tree, "-p", parent, "-F", "-"],
            message.as_bytes().to_vec(),
            &env,
        )
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
        self.push_refspecs(&[format!("{plus}{commit}:refs/heads/{branch}")])?;
        self.fetcher.note(format!(
            "pushed {} to {}'s {branch}",
            &commit[..7],
            self.remote()
        ));
        Ok(())
    }

    /// The commit of `branch` on the remote; `None` when it has no such branch.
    pub fn remote_branch(&self, branch: &str) -> Result<Option<String>, GitError> {
        cli::check_rev("branch", branch)?;
        let reference = format!("refs/heads/{branch}");
        let args = [
            "-c",
            "http.lowSpeedLimit=1000",
            "-c",
            "http.lowSpeedTime=60",
            "ls-remote",
            "--end-of-options",
            self.remote(),
            &reference,
        ];
        let output = self.repo().output(&args)?;
        if !output.status.success() {
            return Err(GitError::RemoteUnreadable {
                remote: self.remote().to_owned(),
                stderr: stderr_text(&output),
            });
        }
        Ok(String::from_utf8_lossy(&output.stdout)
            .lines()
            .find_map(|l| {
                let (sha, name) = l.split_once('\t')?;
                (name == reference).then(|| sha.to_owned())
            }))
    }

    /// Whether commit `ancestor` is in the history of `head` (`false` when the clone does not
    /// have it).
    pub fn is_ancestor(&self, ancestor: &str, head: &str) -> Result<bool, GitError> {
        if !is_hex(ancestor) || self.resolve_commit(ancestor)?.is_none() {
            return Ok(false);
        }
        let output = self
            .repo()
            .output(&["merge-base", "--is-ancestor", ancestor, head])?;
        Ok(output.status.success())
    }
}

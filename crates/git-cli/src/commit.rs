//! Commits made beside the checkout, and what a commit holds.
//!
//! A tool that writes to a branch (a release commit, a manifest update) must not depend on the
//! state the job left the checkout in: a dirty work tree, a half-staged index or a detached
//! HEAD. So [`Repo::commit_files`] builds the commit with plumbing in a private index
//! (`read-tree`, `hash-object`, `update-index`, `write-tree`, `commit-tree`): the work tree, its
//! index and its branch are never touched, and the commit exists only as an object until it is
//! pushed ([`Repo::push`](crate::Repo::push)). Who made it and when come from the caller, as
//! git's `GIT_AUTHOR_*`/`GIT_COMMITTER_*` environment: a caller that dates the commit as its
//! parent gets the same commit on a re-run, so its push changes nothing.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::repo::{Repo, RepoError};

/// A file of a new commit: its path from the repository's root (with `/`), and its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedFile {
    /// From the repository's root, with `/` (see [`Repo::root_path`]).
    pub path: String,
    /// The whole new content.
    pub content: Vec<u8>,
}

/// Private indexes made by this process so far: two commits on the same parent (threads, or
/// a retry) never share one.
static INDEXES: AtomicU64 = AtomicU64::new(0);

/// A private index file, removed once the commit is made (or failed).
struct PrivateIndex(PathBuf);

impl Drop for PrivateIndex {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The mode a changed file gets when its parent has none for it (a new file), or had a
/// symlink or a submodule there.
const REGULAR_FILE: &str = "100644";

impl Repo {
    /// `path`, relative to the working directory (where the tools' inputs are relative to), as
    /// a path from the repository's root with `/`, as [`ChangedFile::path`] and
    /// [`Repo::file_at`] take it.
    ///
    /// # Errors
    /// git unusable.
    pub fn root_path(&self, path: &Path) -> Result<String, RepoError> {
        let prefix = self.run_text(&["rev-parse", "--show-prefix"])?;
        let joined = format!("{}{}", prefix.trim(), path.to_string_lossy());
        Ok(joined.replace('\\', "/"))
    }

    /// The content of `path` (from the repository's root) at commit `commit`; `None` when
    /// the commit has no such file (or the clone has no such commit).
    ///
    /// # Errors
    /// An invalid revision; git unusable.
    pub fn file_at(&self, commit: &str, path: &str) -> Result<Option<Vec<u8>>, RepoError> {
        crate::check_rev("commit", commit)?;
        let spec = format!("{commit}:{path}");
        let output = self.output(&["cat-file", "blob", &spec])?;
        Ok(output.status.success().then_some(output.stdout))
    }

    /// Whether commit `ancestor` is in the history of `head`: false when the clone does not
    /// have `ancestor` (a shallow clone, or a SHA read from elsewhere), as a caller asking
    /// "is this already merged?" wants.
    ///
    /// # Errors
    /// An invalid `head`; git unusable.
    pub fn is_ancestor(&self, ancestor: &str, head: &str) -> Result<bool, RepoError> {
        crate::check_rev("head", head)?;
        if !crate::is_hex(ancestor) || self.resolve_commit(ancestor)?.is_none() {
            return Ok(false);
        }
        let output = self.output(&["merge-base", "--is-ancestor", ancestor, head])?;
        Ok(output.status.success())
    }

    /// A commit on top of `parent` with `files` changed or added and the paths `removed`
    /// (from the repository's root; one the parent lacks is no error) taken out, with
    /// `message` and `env` (the identity and dates: `GIT_AUTHOR_NAME`, `GIT_COMMITTER_DATE`,
    /// …; what is not given comes from git's configuration and the clock); its SHA. Files keep
    /// their mode in `parent` (an executable stays executable); new ones are regular files.
    /// Nothing but objects is written: see the module documentation.
    ///
    /// # Errors
    /// [`RepoError::CommitNotFound`] when `parent` is not a commit of the clone; an invalid
    /// revision; git fails (no identity configured or given, a path git refuses).
    pub fn commit_files(
        &self,
        parent: &str,
        files: &[ChangedFile],
        removed: &[&str],
        message: &str,
        env: &[(&str, &str)],
    ) -> Result<String, RepoError> {
        let Some(parent) = self.resolve_commit(parent)? else {
            return Err(RepoError::CommitNotFound {
                what: "parent",
                rev: parent.to_owned(),
                dir: self.dir().to_owned(),
            });
        };
        let private = PrivateIndex(std::env::temp_dir().join(format!(
            "gantry-index-{}-{}-{}",
            std::process::id(),
            INDEXES.fetch_add(1, Ordering::Relaxed),
            &parent[..12.min(parent.len())]
        )));
        let index = private.0.to_string_lossy().into_owned();
        let with_index = [("GIT_INDEX_FILE", index.as_str())];
        let git = |args: &[&str], input: Vec<u8>, vars: &[(&str, &str)]| {
            let output = self.output_with_input(args, input, vars)?;
            if !output.status.success() {
                return Err(self.failed(args, &output));
            }
            Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
        };
        git(&["read-tree", &parent], Vec::new(), &with_index)?;
        for file in files {
            // `--full-tree`: the path is from the root even when git runs in a subdirectory.
            let listed = git(
                &["ls-tree", "--full-tree", &parent, "--", &file.path],
                Vec::new(),
                &[],
            )?;
            let mode = listed
                .split_whitespace()
                .next()
                .filter(|m| m.starts_with("100"))
                .unwrap_or(REGULAR_FILE)
                .to_owned();
            let blob = git(&["hash-object", "-w", "--stdin"], file.content.clone(), &[])?;
            // `--cacheinfo` paths are from the root, wherever git runs.
            let info = format!("{mode},{blob},{}", file.path);
            git(
                &["update-index", "--add", "--cacheinfo", &info],
                Vec::new(),
                &with_index,
            )?;
        }
        if !removed.is_empty() {
            // Mode 0 removes the entry; `--index-info` paths are from the root too (those of
            // `--force-remove` would be from the working directory).
            let zero = "0".repeat(parent.len());
            let lines: String = removed
                .iter()
                .map(|path| format!("0 {zero}\t{path}\n"))
                .collect();
            git(
                &["update-index", "--index-info"],
                lines.into_bytes(),
                &with_index,
            )?;
        }
        let tree = git(&["write-tree"], Vec::new(), &with_index)?;
        git(
            &["commit-tree", &tree, "-p", &parent, "-F", "-"],
            message.as_bytes().to_vec(),
            env,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::git;
    use crate::{PushStatus, RemoteError};

    const BOT: [(&str, &str); 6] = [
        ("GIT_AUTHOR_NAME", "Bot"),
        ("GIT_AUTHOR_EMAIL", "bot@example.com"),
        ("GIT_COMMITTER_NAME", "Bot"),
        ("GIT_COMMITTER_EMAIL", "bot@example.com"),
        ("GIT_AUTHOR_DATE", "@1700000000 +0000"),
        ("GIT_COMMITTER_DATE", "@1700000000 +0000"),
    ];

    /// A work tree (`work`, with a subdirectory `sub`) holding `keep.txt`, `gone.txt`,
    /// an executable `run.sh` and `sub/a.yaml`, pushed to a bare `origin.git`.
    fn work_and_origin() -> (tempfile::TempDir, std::path::PathBuf, String) {
        let tmp = tempfile::tempdir().unwrap();
        let work = tmp.path().join("work");
        std::fs::create_dir_all(work.join("sub")).unwrap();
        git(tmp.path(), &["init", "-q", "--bare", "origin.git"]);
        git(&work, &["init", "-q", "-b", "main"]);
        for (path, text) in [
            ("keep.txt", "keep\n"),
            ("gone.txt", "gone\n"),
            ("run.sh", "#!/bin/sh\n"),
            ("sub/a.yaml", "image: a:1\n"),
        ] {
            std::fs::write(work.join(path), text).unwrap();
        }
        git(&work, &["add", "-A"]);
        git(&work, &["update-index", "--chmod=+x", "run.sh"]);
        git(&work, &["commit", "-q", "-m", "one"]);
        git(&work, &["remote", "add", "origin", "../origin.git"]);
        git(&work, &["push", "-q", "origin", "main"]);
        let head = git(&work, &["rev-parse", "HEAD"]);
        (tmp, work, head)
    }

    #[test]
    fn a_commit_from_a_subdirectory_changes_adds_and_removes_files_beside_the_checkout() {
        let (_tmp, work, head) = work_and_origin();
        std::fs::write(work.join("keep.txt"), "a local edit\n").unwrap();
        let status = git(&work, &["status", "--porcelain"]);
        assert!(status.contains("M keep.txt"), "{status}");
        let repo = Repo::new(work.join("sub"));
        let path = repo.root_path(Path::new("a.yaml")).unwrap();
        assert_eq!(path, "sub/a.yaml");
        let files = [
            ChangedFile {
                path,
                content: b"image: a:2\n".to_vec(),
            },
            ChangedFile {
                path: "run.sh".to_owned(),
                content: b"#!/bin/sh\necho 2\n".to_vec(),
            },
            ChangedFile {
                path: "new/b.yaml".to_owned(),
                content: b"b\n".to_vec(),
            },
        ];
        let sha = repo
            .commit_files(&head, &files, &["gone.txt", "never-there"], "two", &BOT)
            .unwrap();
        assert_eq!(git(&work, &["rev-parse", &format!("{sha}^")]), head);
        assert_eq!(
            git(&work, &["diff", "--name-status", &head, &sha]),
            "D\tgone.txt\nA\tnew/b.yaml\nM\trun.sh\nM\tsub/a.yaml"
        );
        // Modes kept, found from the root although git ran in `sub`.
        assert!(git(&work, &["ls-tree", &sha, "run.sh"]).starts_with("100755"));
        assert!(git(&work, &["ls-tree", &sha, "new/b.yaml"]).starts_with("100644"));
        assert_eq!(
            git(&work, &["show", "-s", "--format=%an <%ae> %ct|%s", &sha]),
            "Bot <bot@example.com> 1700000000|two"
        );
        // Same inputs, same commit; the checkout and its index as they were.
        assert_eq!(
            repo.commit_files(&head, &files, &["gone.txt"], "two", &BOT)
                .unwrap(),
            sha
        );
        assert_eq!(git(&work, &["rev-parse", "HEAD"]), head);
        assert_eq!(git(&work, &["status", "--porcelain"]), status);

        assert_eq!(
            repo.file_at(&sha, "sub/a.yaml").unwrap().as_deref(),
            Some(&b"image: a:2\n"[..])
        );
        assert_eq!(repo.file_at(&sha, "gone.txt").unwrap(), None);
        assert!(repo.is_ancestor(&head, &sha).unwrap());
        assert!(!repo.is_ancestor(&sha, &head).unwrap());
        assert!(!repo.is_ancestor(&"f".repeat(40), &head).unwrap());

        let error = repo
            .commit_files(&"e".repeat(40), &files, &[], "x", &BOT)
            .unwrap_err();
        assert!(
            matches!(error, RepoError::CommitNotFound { .. }),
            "{error:?}"
        );
    }

    #[test]
    fn a_push_says_what_each_ref_became_and_a_remote_that_moved_on_is_stale() {
        let (tmp, work, head) = work_and_origin();
        let repo = Repo::new(&work);
        let file = |text: &str| ChangedFile {
            path: "keep.txt".to_owned(),
            content: text.as_bytes().to_vec(),
        };
        let mine = repo
            .commit_files(&head, &[file("mine\n")], &[], "mine", &BOT)
            .unwrap();
        assert_eq!(repo.remote_branch("origin", "update").unwrap(), None);
        let pushed = repo
            .push("origin", &[format!("{mine}:refs/heads/update")])
            .unwrap();
        assert_eq!(pushed[0].name, "update");
        assert_eq!(pushed[0].status, PushStatus::Created);
        assert_eq!(
            repo.remote_branch("origin", "update").unwrap().as_deref(),
            Some(mine.as_str())
        );

        // Someone else's commit lands first: not a fast-forward, so fetch and try again.
        let theirs = repo
            .commit_files(&head, &[file("theirs\n")], &[], "theirs", &BOT)
            .unwrap();
        repo.push("origin", &[format!("{theirs}:refs/heads/main")])
            .unwrap();
        let error = repo
            .push("origin", &[format!("{mine}:refs/heads/main")])
            .unwrap_err();
        assert!(error.is_stale(), "{error:?}");
        assert!(
            matches!(&error, RemoteError::Rejected { rejected, .. } if rejected[0].0 == "main"),
            "{error:?}"
        );

        // A remote that is not there: git's own failure, not a refusal.
        let error = repo
            .push(
                &tmp.path().join("none.git").to_string_lossy(),
                &[format!("{mine}:refs/heads/main")],
            )
            .unwrap_err();
        assert!(matches!(error, RemoteError::Repo(_)), "{error:?}");
        assert!(!error.is_stale());
        let error = repo.remote_branch("nowhere", "main").unwrap_err();
        assert!(matches!(error, RemoteError::Unreadable { .. }), "{error:?}");
    }
}

//! The diffs themselves: two commits, a commit and its merge-base, every file of a commit,
//! the working tree; each started beside the short commands it waits on.

use super::*;

impl Git {
    pub(super) fn diff(&self, base: &str, head: &str) -> Result<Parsed, GitError> {
        self.diff_beside(&[], base, head, || ()).1
    }

    /// `git diff` with `extra` options, calling `beside` once it has started: the diff is the
    /// long command, so the short ones `beside` starts run alongside it without delaying it.
    fn diff_beside<U>(
        &self,
        extra: &[&str],
        base: &str,
        head: &str,
        beside: impl FnOnce() -> U,
    ) -> (U, Result<Parsed, GitError>) {
        let (started, diff) =
            self.repo()
                .stream_beside(&diff_args(extra, base, head), STREAM_BUFFER, beside, parse);
        (started, diff.map_err(GitError::from))
    }

    /// The commits of `base` and `head`, and when both names have one reading (`HEAD~1`, a
    /// SHA, a full ref), the changes from their merge-base to `head`: `git diff --merge-base`
    /// of those names run side by side with one `git rev-parse <base>...<head>` that names
    /// both commits and their merge-base, two git processes at once rather than one after the
    /// other. The third value is `None` when that was not tried (or the names turned out not
    /// to be in the clone), `Some(None)` when the names are there but the quick way does not
    /// settle it (see [`Git::diff_from_merge_base`]).
    pub(super) fn merge_base_quickly(
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
        let Some(range) = symmetric_range(base, head) else {
            return self.merge_base_beside_lookup(base, head, depth);
        };
        let (resolving, diff) = self.diff_beside(&["--merge-base"], base, head, || {
            self.repo()
                .command(&["rev-parse", &range])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
        });
        let resolved = resolving
            .and_then(std::process::Child::wait_with_output)
            .map_err(|source| GitError::from(self.repo().spawn_error(source)))?;
        match resolved
            .status
            .success()
            .then(|| symmetric_commits(&resolved.stdout))
            .flatten()
        {
            Some((base_sha, head_sha, merge_base)) => {
                let quick = match (merge_base, diff) {
                    (Some(merge_base), Ok(parsed)) => Some((merge_base, parsed)),
                    _ => None,
                };
                Ok((base_sha, head_sha, Some(quick)))
            }
            // A name that is not in the clone (or that rev-parse read otherwise): found, or
            // fetched, one by one.
            None => {
                let local = self.local_commits(&[base, head])?;
                let (base_sha, head_sha) = self.ensure_pair_from(base, head, local, depth)?;
                Ok((base_sha, head_sha, None))
            }
        }
    }

    /// [`Git::merge_base_quickly`] for names `git rev-parse` cannot put in one range: the diff
    /// beside `git merge-base` and `git cat-file --batch-check` (three processes at once).
    fn merge_base_beside_lookup(
        &self,
        base: &str,
        head: &str,
        depth: u32,
    ) -> Result<(String, String, Option<QuickDiff>), GitError> {
        let (pending, quick) = self
            .diff_from_merge_base_beside(base, head, || self.start_local_commits(&[base, head]));
        let local = self.finish_local_commits(pending?)?;
        let quick = quick?;
        if let [Some(base_sha), Some(head_sha)] = local.as_slice() {
            return Ok((base_sha.clone(), head_sha.clone(), Some(quick)));
        }
        let (base_sha, head_sha) = self.ensure_pair_from(base, head, local, depth)?;
        Ok((base_sha, head_sha, None))
    }

    /// [`Git::local_commits`] of `revs` and, started beside it, [`Git::diff`] of `base` and
    /// `head` as named: two git processes at once rather than one after the other. The diff
    /// is `None` when it was not tried (a name with more than one reading: which one git
    /// takes might not be ours), when it failed, or when a name is not in the clone; the
    /// caller then fetches what is missing and diffs the commits.
    pub(super) fn local_commits_and_diff(
        &self,
        revs: &[&str],
        base: &str,
        head: &str,
    ) -> Result<(Vec<Option<String>>, Option<Parsed>), GitError> {
        let plain = |rev: &str| {
            !rev.is_empty()
                && check_rev("revision", rev).is_ok()
                && self.local_candidates(rev).len() == 1
        };
        if !(plain(base) && plain(head)) {
            return Ok((self.local_commits(revs)?, None));
        }
        let (pending, diff) = self.diff_beside(&[], base, head, || self.start_local_commits(revs));
        let local = self.finish_local_commits(pending?)?;
        let diff = diff.ok().filter(|_| local.iter().all(Option::is_some));
        Ok((local, diff))
    }

    /// The merge-base of two commits in the clone and the changes from it to `head`, from two
    /// git processes run side by side (`git merge-base` and `git diff --merge-base`) instead
    /// of one after the other. `None` when that does not settle it — no merge-base in the
    /// clone, several merge-bases (`diff --merge-base` refuses them), a git older than 2.30 —
    /// and the caller takes the step-by-step way, which also deepens shallow clones.
    pub(super) fn diff_from_merge_base(
        &self,
        base: &str,
        head: &str,
    ) -> Result<QuickDiff, GitError> {
        self.diff_from_merge_base_beside(base, head, || ()).1
    }

    /// [`Git::diff_from_merge_base`], calling `beside` once both git commands have started
    /// (the diff first: it is the long one).
    fn diff_from_merge_base_beside<U>(
        &self,
        base: &str,
        head: &str,
        beside: impl FnOnce() -> U,
    ) -> (U, Result<QuickDiff, GitError>) {
        let ((merge_base, started), diff) = self.diff_beside(&["--merge-base"], base, head, || {
            let merge_base = self
                .repo()
                .command(&["merge-base", "--end-of-options", base, head])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn();
            (merge_base, beside())
        });
        let found = merge_base
            .and_then(std::process::Child::wait_with_output)
            .map_err(|source| GitError::from(self.repo().spawn_error(source)))
            .map(|output| {
                let merge_base = String::from_utf8_lossy(&output.stdout).trim().to_owned();
                match diff {
                    Ok(parsed) if output.status.success() && is_sha(&merge_base) => {
                        Some((merge_base, parsed))
                    }
                    _ => None,
                }
            });
        (started, found)
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

    pub(super) fn all_files_parsed(&self, rev: &str) -> Result<Parsed, GitError> {
        check_rev("revision", rev)?;
        Ok(self.repo().stream(
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

    pub(super) fn working_tree(&self, untracked: bool) -> Result<Parsed, GitError> {
        let mut parsed = if self.resolve_commit("HEAD")?.is_some() {
            self.diff_worktree()?
        } else {
            // No commit yet: everything in the index is new.
            self.repo().stream(
                &["ls-files", "-z", "--full-name", "--", ":/"],
                STREAM_BUFFER,
                |out| paths_as(out, ChangeStatus::Added),
            )?
        };
        let unmerged =
            self.repo()
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
            let others = self.repo().stream(
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

    pub(super) fn diff_worktree(&self) -> Result<Parsed, GitError> {
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
        Ok(self.repo().stream(&args, STREAM_BUFFER, parse)?)
    }
}

/// `git diff --name-status` of two commits, renames detected, with `extra` options.
pub(super) fn diff_args<'a>(extra: &[&'a str], base: &'a str, head: &'a str) -> Vec<&'a str> {
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

/// `<base>^{commit}...<head>^{commit}`, for which `git rev-parse` prints the commit of
/// `head`, that of `base`, then `^` and each merge-base; `None` for names that could make the
/// range read otherwise (a `..` of their own, a `:/message` search).
pub(super) fn symmetric_range(base: &str, head: &str) -> Option<String> {
    let plain = |rev: &str| !rev.contains("..") && !rev.starts_with(':');
    (plain(base) && plain(head)).then(|| format!("{base}^{{commit}}...{head}^{{commit}}"))
}

/// The base, the head and the merge-base that `git rev-parse` printed for a
/// [`symmetric_range`]: `None` unless the output is that (two commits, then any number of
/// merge-bases; the merge-base is `None` unless there is exactly one).
pub(super) fn symmetric_commits(stdout: &[u8]) -> Option<(String, String, Option<String>)> {
    let text = std::str::from_utf8(stdout).ok()?;
    let mut lines = text.lines();
    let head = lines.next().filter(|l| is_sha(l))?;
    let base = lines.next().filter(|l| is_sha(l))?;
    let mut merge_bases = Vec::new();
    for line in lines {
        merge_bases.push(line.strip_prefix('^').filter(|l| is_sha(l))?);
    }
    let merge_base = match merge_bases.as_slice() {
        [only] => Some((*only).to_owned()),
        _ => None,
    };
    Some((base.to_owned(), head.to_owned(), merge_base))
}

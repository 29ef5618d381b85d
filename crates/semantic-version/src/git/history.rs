//! Completing a shallow or single-branch clone until the release tags merged into HEAD are
//! visible: the remote's tags, deepening, unshallowing.

use std::collections::HashSet;

use super::*;

impl Git {
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

    /// The commit the remote's tag `tag` marks (annotated tags peeled); `None` when the remote
    /// has no such tag.
    ///
    /// # Errors
    /// An invalid name; the remote cannot be listed.
    pub fn remote_tag_commit(&self, tag: &str) -> Result<Option<String>, GitError> {
        check_tag_name(tag)?;
        // The `*` also matches the peeled line (`refs/tags/<tag>^{}`) of an annotated tag.
        match self.remote_tags(&format!("refs/tags/{tag}*"))? {
            Ok(tags) => Ok(tags
                .into_iter()
                .find(|(name, _)| name == tag)
                .map(|(_, commit)| commit)),
            Err(stderr) => Err(GitError::RemoteUnreadable {
                remote: self.remote().to_owned(),
                stderr,
            }),
        }
    }

    /// The remote's tags under `pattern` as `(name, commit)` (annotated tags peeled); git's
    /// message when the remote cannot be listed.
    fn remote_tags(
        &self,
        pattern: &str,
    ) -> Result<Result<Vec<(String, String)>, String>, GitError> {
        self.check_stop(&format!("listing the tags of {}", self.remote()))?;
        let stdout = match self
            .repo()
            .ls_remote(self.remote(), &["--tags"], &[pattern])
        {
            Ok(stdout) => stdout,
            Err(RemoteError::Unreadable { stderr, .. }) => return Ok(Err(stderr)),
            Err(other) => return Err(other.into()),
        };
        let prefix = pattern.trim_end_matches('*');
        Ok(Ok(parse_ls_remote(&stdout, prefix)))
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
}

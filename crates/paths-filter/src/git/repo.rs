//! The clone as gantry's git commands see it: resolving revisions, fetching what a shallow or
//! single-branch clone lacks (deepening, bounded), merge bases and tags (the diffs are in `diff`).

use super::*;

/// The checked-out branch's short name.
pub(super) const CURRENT_BRANCH: [&str; 4] = ["symbolic-ref", "-q", "--short", "HEAD"];

/// `git cat-file --batch-check`: object names on stdin, one line about each on stdout.
pub(super) const BATCH_CHECK: [&str; 2] = ["cat-file", "--batch-check"];

/// A `git cat-file --batch-check` under way (see [`Git::start_local_commits`]).
#[derive(Debug)]
pub(super) struct PendingCommits {
    /// The local names tried for each revision, in order (empty for a refused name).
    lists: Vec<Vec<String>>,
    /// `None` when there was no name to ask about.
    child: Option<std::process::Child>,
}

/// git in one working directory.
#[derive(Debug)]
pub struct Git {
    /// The clone, its remote, the fetch notes and when to stop.
    pub(super) fetcher: Fetcher,
}

/// The merge-base search of [`Git::ensure_merge_base`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeBase {
    /// The base, as a commit SHA.
    pub base: String,
    /// The head, as a commit SHA.
    pub head: String,
    /// The merge-base; `None` when the histories share no commit even in full.
    pub merge_base: Option<String>,
}

impl Deepen for Git {
    fn fetcher(&self) -> &Fetcher {
        &self.fetcher
    }
}

impl Git {
    /// git in `dir` (any directory inside the work tree), fetching from `origin`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Git {
            fetcher: Fetcher::new(Repo::new(dir), DEFAULT_REMOTE),
        }
    }

    /// Fetch nothing more once `stop` says the job was cancelled (git-cli's `Stopped` error):
    /// deepening a shallow clone is the one long thing paths-filter does.
    #[must_use]
    pub fn with_stop(mut self, stop: gantry_toolkit::Stop) -> Self {
        self.fetcher = self.fetcher.with_stop(stop);
        self
    }

    /// Fetch from `remote` instead of `origin`.
    #[must_use]
    pub fn with_remote(mut self, remote: impl Into<String>) -> Self {
        self.fetcher = self.fetcher.with_remote(remote);
        self
    }

    /// The working directory.
    pub fn dir(&self) -> &Path {
        self.repo().dir()
    }

    /// What was fetched since the last call, in order.
    pub fn take_notes(&self) -> Vec<String> {
        self.fetcher.take_notes()
    }

    /// The clone.
    pub(super) fn repo(&self) -> &Repo {
        self.fetcher.repo()
    }

    /// The remote fetched from.
    pub(super) fn remote(&self) -> &str {
        self.fetcher.remote()
    }

    // ---- running git -----------------------------------------------------------------------

    /// `git fetch --no-tags --no-recurse-submodules <args>`; records `note` on success.
    pub(super) fn fetch(&self, args: &[&str], note: String) -> Result<(), GitError> {
        Ok(self.fetcher.fetch(args, note)?)
    }

    /// Like [`Git::fetch`] but a failure is returned as git's message.
    pub(super) fn try_fetch(
        &self,
        args: &[&str],
        note: String,
    ) -> Result<Result<(), String>, GitError> {
        Ok(self.fetcher.try_fetch(args, &note, None)?)
    }

    // ---- questions -------------------------------------------------------------------------

    /// The commit `rev` names, if it is in the clone.
    ///
    /// # Errors
    /// An invalid revision, or git unusable.
    pub fn resolve_commit(&self, rev: &str) -> Result<Option<String>, GitError> {
        Ok(self.repo().resolve_commit(rev)?)
    }

    /// The commits several revisions name, for those already in the clone (`None` for the
    /// others, and for names [`check_rev`] refuses): one `git cat-file --batch-check` for all
    /// the local names of all of them (see [`Git::local_candidates`]), where
    /// [`Git::resolve_commit`] would run git once per name.
    pub(super) fn local_commits(&self, revs: &[&str]) -> Result<Vec<Option<String>>, GitError> {
        let pending = self.start_local_commits(revs)?;
        self.finish_local_commits(pending)
    }

    /// [`Git::local_commits`] started: git runs while the caller does something else.
    pub(super) fn start_local_commits(&self, revs: &[&str]) -> Result<PendingCommits, GitError> {
        let lists: Vec<Vec<String>> = revs
            .iter()
            .map(|rev| {
                if check_rev("revision", rev).is_ok() {
                    self.local_candidates(rev)
                } else {
                    Vec::new()
                }
            })
            .collect();
        let mut input = String::new();
        for name in lists.iter().flatten() {
            input.push_str(name);
            input.push_str("^{commit}\n");
        }
        if input.is_empty() {
            return Ok(PendingCommits { lists, child: None });
        }
        let mut child = self
            .repo()
            .command(&BATCH_CHECK)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| self.repo().spawn_error(source))?;
        if let Some(mut stdin) = child.stdin.take() {
            // A few names: they fit in the pipe, so this cannot wait on git. Should git stop
            // early, its exit status says why.
            let _ = stdin.write_all(input.as_bytes());
        }
        Ok(PendingCommits {
            lists,
            child: Some(child),
        })
    }

    pub(super) fn finish_local_commits(
        &self,
        pending: PendingCommits,
    ) -> Result<Vec<Option<String>>, GitError> {
        let PendingCommits { lists, child } = pending;
        let Some(child) = child else {
            return Ok(vec![None; lists.len()]);
        };
        let output = child
            .wait_with_output()
            .map_err(|source| self.repo().spawn_error(source))?;
        let output = self.repo().usable(output)?;
        if !output.status.success() {
            return Err(self.repo().failed(&BATCH_CHECK, &output).into());
        }
        // One line per name, in order: `<sha> commit <size>`, or `<name> missing` (or
        // `ambiguous`) when it names no commit.
        let mut lines = output.stdout.split(|b| *b == b'\n');
        Ok(lists
            .iter()
            .map(|list| {
                let mut found = None;
                for _ in list {
                    let line = lines.next().unwrap_or_default();
                    if found.is_none() {
                        found = commit_of_batch_line(line);
                    }
                }
                found
            })
            .collect())
    }

    /// The merge-base of two commits; `None` when they share no commit (in what the clone has).
    ///
    /// # Errors
    /// git fails otherwise.
    pub fn merge_base(&self, a: &str, b: &str) -> Result<Option<String>, GitError> {
        check_rev("revision", a)?;
        check_rev("revision", b)?;
        let args = ["merge-base", "--end-of-options", a, b];
        let output = self.repo().output(&args)?;
        match output.status.code() {
            Some(0) => Ok(Some(
                String::from_utf8_lossy(&output.stdout).trim().to_owned(),
            )),
            Some(1) => Ok(None),
            _ => Err(self.repo().failed(&args, &output).into()),
        }
    }

    /// True in a shallow clone.
    ///
    /// # Errors
    /// git unusable.
    pub fn is_shallow(&self) -> Result<bool, GitError> {
        Ok(self.repo().is_shallow()?)
    }

    /// The checked-out branch, `None` when HEAD is detached.
    ///
    /// # Errors
    /// git unusable.
    pub fn current_branch(&self) -> Result<Option<String>, GitError> {
        let output = self.repo().output(&CURRENT_BRANCH)?;
        Ok(branch_of(&output))
    }

    /// The remote's default branch as recorded by the clone (`refs/remotes/origin/HEAD`).
    ///
    /// # Errors
    /// git unusable.
    pub fn default_branch(&self) -> Result<Option<String>, GitError> {
        let head = format!("refs/remotes/{}/HEAD", self.remote());
        let output = self.repo().output(&["symbolic-ref", "-q", &head])?;
        Ok(self.default_branch_of(&output))
    }

    pub(super) fn default_branch_of(&self, output: &Output) -> Option<String> {
        let prefix = format!("refs/remotes/{}/", self.remote());
        branch_of(output).map(|full| full.strip_prefix(&prefix).unwrap_or(&full).to_owned())
    }

    /// [`Git::default_branch`] and [`Git::current_branch`] from two git processes run side
    /// by side, for a caller that needs both (a run outside a workflow has no `GITHUB_REF`).
    ///
    /// # Errors
    /// git unusable.
    pub fn default_and_current_branch(&self) -> Result<(Option<String>, Option<String>), GitError> {
        let current = self
            .repo()
            .command(&CURRENT_BRANCH)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| self.repo().spawn_error(source))?;
        let default = self.default_branch();
        let current = current
            .wait_with_output()
            .map_err(|source| self.repo().spawn_error(source))?;
        let current = self.repo().usable(current)?;
        Ok((default?, branch_of(&current)))
    }

    // ---- getting what is missing ----------------------------------------------------------

    /// The local names `name` may have, most trusted first.
    pub(super) fn local_candidates(&self, name: &str) -> Vec<String> {
        // `HEAD` is the checked-out commit, never `refs/remotes/origin/HEAD`; expressions
        // such as `HEAD~1` or `main@{1}` are git's to read.
        if name.starts_with("refs/") || is_sha(name) || is_pseudo_ref(name) || is_expression(name) {
            return vec![name.to_owned()];
        }
        vec![
            format!("refs/remotes/{}/{name}", self.remote()),
            format!("refs/heads/{name}"),
            format!("refs/tags/{name}"),
            name.to_owned(),
        ]
    }

    /// What to fetch for `name`, and where it lands: `(refspec, local name)`.
    pub(super) fn fetch_candidates(&self, name: &str) -> Vec<(String, String)> {
        let remote = self.remote();
        if is_sha(name) {
            return vec![(name.to_owned(), name.to_owned())];
        }
        if is_pseudo_ref(name) || is_expression(name) {
            return Vec::new();
        }
        if let Some(branch) = name.strip_prefix("refs/heads/") {
            let local = format!("refs/remotes/{remote}/{branch}");
            return vec![(format!("+{name}:{local}"), local)];
        }
        if name.starts_with("refs/tags/") {
            // Not forced: a local tag that differs from the remote's is left alone.
            return vec![(format!("{name}:{name}"), name.to_owned())];
        }
        if let Some(rest) = name.strip_prefix("refs/") {
            let local = format!("refs/remotes/{remote}/{rest}");
            return vec![(format!("+{name}:{local}"), local)];
        }
        let branch = format!("refs/remotes/{remote}/{name}");
        let tag = format!("refs/tags/{name}");
        vec![
            (format!("+refs/heads/{name}:{branch}"), branch),
            (format!("{tag}:{tag}"), tag),
        ]
    }

    /// The commit `name` (a SHA, branch, tag, full ref or `HEAD`) names, fetching it from the
    /// remote when the clone lacks it: a branch lands in `refs/remotes/origin/<branch>` (so
    /// single-branch clones work), a tag in `refs/tags/<tag>`. In a shallow clone the fetch is
    /// `--depth=<depth>`.
    ///
    /// # Errors
    /// [`GitError::RevisionNotFound`] when it is on neither side.
    pub fn ensure_commit(
        &self,
        what: &'static str,
        name: &str,
        depth: u32,
    ) -> Result<String, GitError> {
        check_rev(what, name)?;
        for candidate in self.local_candidates(name) {
            if let Some(sha) = self.resolve_commit(&candidate)? {
                return Ok(sha);
            }
        }
        let candidates = self.fetch_candidates(name);
        let mut detail = String::new();
        if !candidates.is_empty() {
            let depth_arg = format!("--depth={}", depth.max(1));
            let shallow = self.is_shallow()?;
            for (refspec, local) in candidates {
                let mut args = Vec::new();
                if shallow {
                    args.push(depth_arg.as_str());
                }
                args.extend(["--end-of-options", self.remote(), refspec.as_str()]);
                let note = if shallow {
                    format!(
                        "fetched {what} {} from {} (depth {depth})",
                        abbrev(name),
                        self.remote()
                    )
                } else {
                    format!("fetched {what} {} from {}", abbrev(name), self.remote())
                };
                match self.try_fetch(&args, note)? {
                    Ok(()) => {
                        if let Some(sha) = self.resolve_commit(&local)? {
                            return Ok(sha);
                        }
                    }
                    Err(message) => detail = format!(": {message}"),
                }
            }
        }
        Err(GitError::RevisionNotFound {
            what,
            rev: name.to_owned(),
            dir: self.repo().dir().to_owned(),
            remote: self.remote().to_owned(),
            detail,
        })
    }

    /// Make both revisions available and deepen a shallow clone until their merge-base is in
    /// it (see [`Git::ensure_commit`] for fetching, and the bounds on deepening in
    /// [`MAX_DEEPEN_ROUNDS`]). Works in single-branch clones: the base lands in
    /// `refs/remotes/origin/<base>`.
    ///
    /// # Errors
    /// A revision missing on both sides, or a fetch failing.
    pub fn ensure_merge_base(
        &self,
        base: &str,
        head: &str,
        initial_depth: u32,
    ) -> Result<MergeBase, GitError> {
        let (base_sha, head_sha) = self.ensure_pair(base, head, initial_depth)?;
        self.deepen_to_merge_base(base, head, base_sha, head_sha, initial_depth)
    }

    /// The commits of `base` and `head` ([`Git::ensure_commit`], but one git call when both
    /// are in the clone).
    pub(super) fn ensure_pair(
        &self,
        base: &str,
        head: &str,
        initial_depth: u32,
    ) -> Result<(String, String), GitError> {
        let local = self.local_commits(&[base, head])?;
        self.ensure_pair_from(base, head, local, initial_depth)
    }

    /// [`Git::ensure_pair`] once [`Git::local_commits`] has answered for `[base, head]`.
    pub(super) fn ensure_pair_from(
        &self,
        base: &str,
        head: &str,
        local: Vec<Option<String>>,
        initial_depth: u32,
    ) -> Result<(String, String), GitError> {
        let mut local = local.into_iter();
        let base_sha = match local.next().flatten() {
            Some(sha) => sha,
            None => self.ensure_commit("base", base, initial_depth)?,
        };
        let head_sha = match local.next().flatten() {
            Some(sha) => sha,
            None => self.ensure_commit("head", head, initial_depth)?,
        };
        Ok((base_sha, head_sha))
    }

    /// The second half of [`Git::ensure_merge_base`], once both commits are in the clone.
    pub(super) fn deepen_to_merge_base(
        &self,
        base: &str,
        head: &str,
        base_sha: String,
        head_sha: String,
        initial_depth: u32,
    ) -> Result<MergeBase, GitError> {
        let purpose = format!("the merge-base of {} and {}", abbrev(base), abbrev(head));
        let merge_base = self.deepen_until(initial_depth, &purpose, |git| {
            git.merge_base(&base_sha, &head_sha)
        })?;
        Ok(MergeBase {
            base: base_sha,
            head: head_sha,
            merge_base,
        })
    }

    /// The first parent of `sha`, deepening a shallow clone by one commit when `sha` is where
    /// its history is cut. `None` for a root commit.
    pub(super) fn first_parent(&self, sha: &str) -> Result<Option<String>, GitError> {
        let parent = format!("{sha}^1");
        if let Some(p) = self.resolve_commit(&parent)? {
            return Ok(Some(p));
        }
        if self.repo().shallow_commits()?.contains(sha) {
            self.fetch(
                &["--deepen=1", "--end-of-options", self.remote(), sha],
                format!(
                    "deepening the shallow clone by 1 commit to find the parent of {}",
                    abbrev(sha)
                ),
            )?;
            if let Some(p) = self.resolve_commit(&parent)? {
                return Ok(Some(p));
            }
            return Err(GitError::RevisionNotFound {
                what: "parent of",
                rev: sha.to_owned(),
                dir: self.repo().dir().to_owned(),
                remote: self.remote().to_owned(),
                detail: String::new(),
            });
        }
        Ok(None)
    }

    /// The nearest tag reachable from `sha`'s first parent (so not a tag on `sha` itself),
    /// fetching tags and deepening a shallow clone as needed. `None` when there is none.
    ///
    /// # Errors
    /// A fetch failing while deepening.
    pub fn previous_tag(&self, sha: &str, initial_depth: u32) -> Result<Option<String>, GitError> {
        check_rev("revision", sha)?;
        // A shallow or tag-less clone may lack the tags; they are cheap (tips only).
        let shallow = self.is_shallow()?;
        let mut args = Vec::new();
        if shallow {
            args.push("--depth=1");
        }
        args.extend([
            "--end-of-options",
            self.remote(),
            // Not forced: local tags that differ from the remote's are kept (the fetch
            // then fails for them and still brings the others).
            "refs/tags/*:refs/tags/*",
        ]);
        if let Err(message) =
            self.try_fetch(&args, format!("fetched the tags from {}", self.remote()))?
        {
            self.fetcher.note(format!(
                "could not fetch tags from {} ({message}): using the local tags",
                self.remote()
            ));
        }
        let found = self.deepen_until(
            initial_depth,
            "the previous tag",
            |git| -> Result<_, GitError> {
                let Some(parent) = git.resolve_commit(&format!("{sha}^1"))? else {
                    // No parent: a root commit has no previous tag; a cut history needs more.
                    return Ok(if git.repo().shallow_commits()?.contains(sha) {
                        None
                    } else {
                        Some(None)
                    });
                };
                let output = git.repo().output(&[
                    "describe",
                    "--tags",
                    "--abbrev=0",
                    "--end-of-options",
                    &parent,
                ])?;
                Ok(output
                    .status
                    .success()
                    .then(|| Some(String::from_utf8_lossy(&output.stdout).trim().to_owned())))
            },
        )?;
        Ok(found.flatten())
    }
}

/// `HEAD`, `FETCH_HEAD`, `ORIG_HEAD`, `MERGE_HEAD`, …
pub(super) fn is_pseudo_ref(name: &str) -> bool {
    name.ends_with("HEAD") && name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
}

/// A revision expression rather than a name: `HEAD~1`, `main^2`, `main@{1}`, `@`, `:/msg`.
pub(super) fn is_expression(name: &str) -> bool {
    name == "@" || name.contains("@{") || name.contains(['^', '~', ':', '*', '?', '[', '\\'])
}

pub(super) fn abbrev(rev: &str) -> &str {
    if is_sha(rev) { &rev[..7] } else { rev }
}

/// What `git symbolic-ref -q` printed, when it names a ref.
pub(super) fn branch_of(output: &Output) -> Option<String> {
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// The SHA of a `git cat-file --batch-check` line for a commit.
pub(super) fn commit_of_batch_line(line: &[u8]) -> Option<String> {
    let line = std::str::from_utf8(line).ok()?;
    let mut fields = line.split(' ');
    let sha = fields.next()?;
    (fields.next() == Some("commit") && is_sha(sha)).then(|| sha.to_owned())
}

/// Refuse what git could read as an option, or what cannot be a revision.
pub(super) fn check_rev(what: &'static str, rev: &str) -> Result<(), GitError> {
    Ok(cli::check_rev(what, rev)?)
}

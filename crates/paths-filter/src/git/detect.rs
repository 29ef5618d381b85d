//! Which git commands answer "what changed" for each event, and what they found.

use super::*;

/// The changed files, and how they were found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Detected {
    /// The changes, in git's (or the API's) order.
    pub changes: Vec<Change>,
    /// The order the files are listed in: as `git diff --no-renames` for git (each old path of
    /// a rename where it sorts), change order for the API.
    pub listing: Listing,
    /// What was actually compared, e.g. `git diff 1a2b3c4..5d6e7f8 (merge-base of main and HEAD)`.
    pub compared: String,
    /// For `::warning::` and the job summary (the plan's warnings included).
    pub warnings: Vec<String>,
    /// What was fetched and why, for the log.
    pub notes: Vec<String>,
}

impl Detected {
    /// Print the notes (in a group), what was compared, and the warnings through `runner`.
    pub fn report(&self, runner: &Runner) {
        if !self.notes.is_empty() {
            let _group = runner.group("Fetching history");
            for note in &self.notes {
                runner.info(note);
            }
        }
        runner.info(&format!(
            "{} changed file(s): {}",
            self.changes.len(),
            self.compared
        ));
        for warning in &self.warnings {
            runner.warning(warning);
        }
    }
}

/// [`detect_changes`] failed.
#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    /// git failed.
    #[error(transparent)]
    Git(#[from] GitError),
    /// The GitHub API failed.
    #[error(transparent)]
    GitHub(#[from] GitHubError),
    /// No token was given for a plan that needs the API and has no git equivalent.
    #[error(
        "pull request #{number} needs the GitHub API here (the payload lacks the base to compare with in git): set the input `token` (e.g. `${{{{ github.token }}}}`), or `base`"
    )]
    NeedsToken {
        /// The pull request.
        number: u64,
    },
    /// The API stopped short and there is no repository for git to take over.
    #[error(
        "the GitHub API listed only {received} files of pull request #{number} (it stops at 3,000) and {} is not a git repository to take the rest from: add actions/checkout (any fetch-depth) before this step",
        .dir.display()
    )]
    TruncatedWithoutCheckout {
        /// The pull request.
        number: u64,
        /// Files received.
        received: usize,
        /// The working directory.
        dir: PathBuf,
    },
    /// The API stopped short and git cannot take over.
    #[error(
        "the GitHub API listed only {received} of the {expected} files of pull request #{number} (it stops at 3,000) and git cannot take over: the payload lacks the base to compare with; set the input `base` to the pull request's base branch"
    )]
    TruncatedWithoutFallback {
        /// The pull request.
        number: u64,
        /// Files received.
        received: usize,
        /// Files expected (`?` when unknown).
        expected: String,
    },
}

/// Carry out `plan`: the GitHub API for [`ChangeSource::PullRequestApi`] (through `github`;
/// git when the API stops at its cap, or when `github` is `None`), git for everything else.
/// The plan's warnings are included in the result.
///
/// # Errors
/// See [`DetectError`].
pub fn detect_changes(
    plan: &Plan,
    git: &Git,
    github: Option<&dyn PullRequestFiles>,
    initial_fetch_depth: u32,
) -> Result<Detected, DetectError> {
    let mut detected = match &plan.source {
        ChangeSource::PullRequestApi {
            number,
            expected_files,
            fallback,
        } => {
            let Some(github) = github else {
                let fallback = fallback
                    .as_deref()
                    .ok_or(DetectError::NeedsToken { number: *number })?;
                let mut detected = git.changes(fallback, initial_fetch_depth)?;
                detected.notes.insert(
                    0,
                    format!("no GitHub client for pull request #{number}: using git"),
                );
                return Ok(with_plan_warnings(plan, detected));
            };
            match github.pull_request_files(*number, *expected_files)? {
                PrFiles::Complete { changes, warnings } => Detected {
                    compared: format!(
                        "pull request #{number}: {} files from the GitHub API",
                        changes.len()
                    ),
                    changes,
                    listing: Listing::default(),
                    warnings,
                    notes: Vec::new(),
                },
                PrFiles::Truncated {
                    received,
                    expected,
                    reason,
                } => {
                    let Some(fallback) = fallback.as_deref() else {
                        return Err(DetectError::TruncatedWithoutFallback {
                            number: *number,
                            received,
                            expected: expected.map_or_else(|| "?".to_owned(), |e| e.to_string()),
                        });
                    };
                    let mut detected = match git.changes(fallback, initial_fetch_depth) {
                        Err(GitError::Repo(RepoError::NotARepository { dir })) => {
                            return Err(DetectError::TruncatedWithoutCheckout {
                                number: *number,
                                received,
                                dir,
                            });
                        }
                        other => other?,
                    };
                    detected.warnings.insert(
                        0,
                        format!(
                            "the GitHub API cannot list all files of pull request #{number} ({reason}): the {} changed files come from git instead ({})",
                            detected.changes.len(),
                            detected.compared
                        ),
                    );
                    detected
                }
            }
        }
        source => git.changes(source, initial_fetch_depth)?,
    };
    detected = with_plan_warnings(plan, detected);
    Ok(detected)
}

pub(super) fn with_plan_warnings(plan: &Plan, mut detected: Detected) -> Detected {
    let mut warnings = plan.warnings.clone();
    warnings.append(&mut detected.warnings);
    detected.warnings = warnings;
    detected
}

impl Git {
    /// Carry out one git [`ChangeSource`]. A [`ChangeSource::PullRequestApi`] runs its git
    /// fallback.
    ///
    /// # Errors
    /// See [`GitError`].
    pub fn changes(
        &self,
        source: &ChangeSource,
        initial_fetch_depth: u32,
    ) -> Result<Detected, GitError> {
        let depth = initial_fetch_depth.max(1);
        self.take_notes();
        let mut warnings = Vec::new();
        let (parsed, compared) = self.carry_out(source, depth, &mut warnings)?;
        if parsed.lossy > 0 {
            warnings.push(format!(
                "{} changed path(s) are not valid UTF-8: they are shown with U+FFFD in place of the invalid bytes",
                parsed.lossy
            ));
        }
        Ok(Detected {
            changes: parsed.changes,
            listing: parsed.listing,
            compared,
            warnings,
            notes: self.take_notes(),
        })
    }

    fn carry_out(
        &self,
        source: &ChangeSource,
        depth: u32,
        warnings: &mut Vec<String>,
    ) -> Result<(Parsed, String), GitError> {
        match source {
            ChangeSource::PullRequestApi {
                number, fallback, ..
            } => match fallback {
                Some(fallback) => self.carry_out(fallback, depth, warnings),
                None => Err(GitError::NoGitEquivalent { number: *number }),
            },
            ChangeSource::GitMergeBase { base, head } => {
                let (base_sha, head_sha, quick) = self.merge_base_quickly(base, head, depth)?;
                let quick = match quick {
                    Some(quick) => quick,
                    None => self.diff_from_merge_base(&base_sha, &head_sha)?,
                };
                let (found, parsed) = match quick {
                    Some((merge_base, parsed)) => (
                        MergeBase {
                            base: base_sha,
                            head: head_sha,
                            merge_base: Some(merge_base),
                        },
                        Some(parsed),
                    ),
                    None => (
                        self.deepen_to_merge_base(base, head, base_sha, head_sha, depth)?,
                        None,
                    ),
                };
                let (base, head) = (abbrev(base), abbrev(head));
                match &found.merge_base {
                    Some(mb) => Ok((
                        match parsed {
                            Some(parsed) => parsed,
                            None => self.diff(mb, &found.head)?,
                        },
                        format!(
                            "git diff {}..{} (merge-base of {base} and {head})",
                            abbrev(mb),
                            abbrev(&found.head)
                        ),
                    )),
                    None => {
                        warnings.push(format!(
                            "{base} and {head} have no common history: comparing their trees directly ({}..{})",
                            abbrev(&found.base),
                            abbrev(&found.head)
                        ));
                        Ok((
                            self.diff(&found.base, &found.head)?,
                            format!(
                                "git diff {}..{} ({base} and {head}, no merge-base)",
                                abbrev(&found.base),
                                abbrev(&found.head)
                            ),
                        ))
                    }
                }
            }
            ChangeSource::GitRange {
                before,
                after,
                if_before_missing,
            } => {
                let (local, quick) =
                    self.local_commits_and_diff(&[after, before], before, after)?;
                let mut local = local.into_iter();
                let after_sha = match local.next().flatten() {
                    Some(sha) => sha,
                    None => self.ensure_commit("head", after, depth)?,
                };
                let before_sha = match local.next().flatten() {
                    Some(sha) => Ok(sha),
                    None => self.ensure_commit("base", before, 1),
                };
                let before_sha = match (before_sha, if_before_missing) {
                    (Ok(sha), _) => sha,
                    (Err(GitError::RevisionNotFound { .. }), Some(fallback)) => {
                        warnings.push(format!(
                            "the commit {} is no longer in the history (a force push?): {} instead",
                            abbrev(before),
                            fallback.describe()
                        ));
                        return self.carry_out(fallback, depth, warnings);
                    }
                    (Err(e), _) => return Err(e),
                };
                let parsed = match quick {
                    Some(parsed) => parsed,
                    None => self.diff(&before_sha, &after_sha)?,
                };
                Ok((
                    parsed,
                    format!("git diff {}..{}", abbrev(&before_sha), abbrev(&after_sha)),
                ))
            }
            ChangeSource::PreviousTag { head } => {
                let sha = self.ensure_commit("head", head, depth)?;
                match self.previous_tag(&sha, depth)? {
                    Some(tag) => {
                        let tag_ref = format!("refs/tags/{tag}");
                        let tag_sha = self.resolve_commit(&tag_ref)?.ok_or_else(|| {
                            GitError::RevisionNotFound {
                                what: "tag",
                                rev: tag.clone(),
                                dir: self.repo().dir().to_owned(),
                                remote: self.remote().to_owned(),
                                detail: String::new(),
                            }
                        })?;
                        Ok((
                            self.diff(&tag_sha, &sha)?,
                            format!("git diff {tag}..{} (since the previous tag)", abbrev(&sha)),
                        ))
                    }
                    None => Ok((
                        self.all_files_parsed(&sha)?,
                        format!("every file of {} (no previous tag)", abbrev(&sha)),
                    )),
                }
            }
            ChangeSource::LastCommit { head } => {
                // The commit and, when its name has one reading, its parent: one git call.
                let candidates = self.local_candidates(head);
                let parent_name = match candidates.as_slice() {
                    [only] => format!("{only}^1"),
                    _ => String::new(),
                };
                let (local, quick) =
                    self.local_commits_and_diff(&[head, &parent_name], &parent_name, head)?;
                let mut local = local.into_iter();
                let (sha, parent) = match (local.next().flatten(), local.next().flatten()) {
                    (Some(sha), Some(parent)) => (sha, Some(parent)),
                    (Some(sha), None) => {
                        let parent = self.first_parent(&sha)?;
                        (sha, parent)
                    }
                    (None, _) => {
                        let sha = self.ensure_commit("head", head, depth)?;
                        let parent = self.first_parent(&sha)?;
                        (sha, parent)
                    }
                };
                match parent {
                    Some(parent) => Ok((
                        match quick {
                            Some(parsed) => parsed,
                            None => self.diff(&parent, &sha)?,
                        },
                        format!(
                            "git diff {}..{} (the last commit)",
                            abbrev(&parent),
                            abbrev(&sha)
                        ),
                    )),
                    None => Ok((
                        self.all_files_parsed(&sha)?,
                        format!("every file of {} (a root commit)", abbrev(&sha)),
                    )),
                }
            }
            ChangeSource::AllFiles { head } => {
                let sha = self.ensure_commit("head", head, depth)?;
                Ok((
                    self.all_files_parsed(&sha)?,
                    format!("every file of {}", abbrev(&sha)),
                ))
            }
            ChangeSource::WorkingTree { untracked } => Ok((
                self.working_tree(*untracked)?,
                format!("{} against HEAD", source.describe()),
            )),
            ChangeSource::NoChanges => Ok((Parsed::default(), "nothing to compare".to_owned())),
        }
    }
}

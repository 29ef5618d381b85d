//! The bump a range of commits asks for, and what each commit contributed.
//!
//! - Every commit is parsed ([`crate::conventional`]) and rated by the [`ReleaseRules`]; the
//!   range's bump is the highest rating of the commits that count.
//! - Merge commits (two or more parents, or a merge subject) are skipped: the git reader gives
//!   the merged commits as ordinary commits of the range, and they are analysed. Merges are not
//!   counted as unparseable.
//! - [`AnalyzeOptions::use_pr_title`]: for each merge on the first-parent line from the newest
//!   commit, the pull-request title decides instead of the commits it merged. The title is the
//!   merge's subject when that is conventional, else the first line of the body of a
//!   `Merge pull request #N from …` commit (GitHub writes the title there) or of a merge whose
//!   body has GitLab's `See merge request …` line. When the title is not conventional either,
//!   the merged commits are analysed as without the option. Squash-merged repositories need no
//!   option: the pull-request title already is the commit's subject.
//! - Reverts: a revert whose target is in the range cancels both (neither counts, neither is in
//!   the notes); reverting a merge in the range cancels the merge and every commit it brought
//!   in. A revert of a commit outside the range counts by the rules (`revert` → patch). The
//!   target is found by the SHA in `This reverts commit <sha>.` (abbreviations allowed), or when
//!   there is none, by the reverted header equal to the subject of an earlier commit. Reverts
//!   are processed newest first, so reverting a revert restores the original commit.
//! - `Release-As`: the newest counted commit with a `Release-As` footer gives the version; if
//!   that footer is invalid the analysis fails ([`AnalyzeError`]); older invalid footers are
//!   superseded and listed in [`Analysis::superseded_release_as`].
//! - Directives: `[skip ci]`, `[ci skip]`, `[no ci]`, `[skip actions]`, `[actions skip]` (GitHub's
//!   list, any letter case) or a `skip-checks: true` trailer set [`Analysis::skip_ci`];
//!   `[deploy-all]` sets [`Analysis::deploy_all`]. Every commit being released is searched:
//!   counted, unparseable and merge commits alike, but not commits cancelled by a revert.

use std::collections::HashMap;

use semver::Version;

use crate::commit::Commit;
use crate::conventional::{self, Conventional, MergeKind, NotConventional};
use crate::rules::{Bump, ReleaseRules, RuleSource};

/// Options of the analysis.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnalyzeOptions {
    /// Use the pull-request title of merge commits instead of the commits they merged.
    pub use_pr_title: bool,
}

/// The result over one range of commits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Analysis {
    /// The highest bump of the commits that count.
    pub bump: Bump,
    /// The version asked for by the newest counted `Release-As` footer.
    pub release_as: Option<ReleaseAs>,
    /// One entry per input commit, in input order (oldest first).
    pub commits: Vec<AnalyzedCommit>,
    /// Commits whose message is not conventional (not merges): listed in the summary.
    pub unparseable: Vec<Unparseable>,
    /// Merge commits and how each was treated.
    pub merges: Vec<MergeCommit>,
    /// Revert pairs that cancelled each other inside the range.
    pub reverted: Vec<RevertPair>,
    /// Invalid `Release-As` footers that a newer valid one superseded (warnings).
    pub superseded_release_as: Vec<InvalidReleaseAs>,
    /// A skip directive appears in a commit being released.
    pub skip_ci: bool,
    /// `[deploy-all]` appears in a commit being released.
    pub deploy_all: bool,
}

impl Analysis {
    /// Whether anything asks for a release (a bump or a `Release-As`).
    pub fn is_releasable(&self) -> bool {
        self.bump > Bump::None || self.release_as.is_some()
    }

    /// The commits that count, oldest first.
    pub fn counted(&self) -> impl Iterator<Item = &AnalyzedCommit> {
        self.commits.iter().filter(|c| c.counts())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseAs {
    pub version: Version,
    /// The commit whose footer asked for it.
    pub sha: String,
}

/// One commit and what it contributed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyzedCommit {
    pub sha: String,
    pub subject: String,
    /// The parsed message (for a merge counted by its pull-request title: the title and body).
    pub conventional: Option<Conventional>,
    /// What the rules give this commit on its own (also when it does not count).
    pub bump: Bump,
    /// The rule that gave [`Self::bump`] (`None` when the message is not conventional).
    pub rule: Option<RuleSource>,
    pub status: CommitStatus,
}

impl AnalyzedCommit {
    /// Whether the commit takes part in the bump and the notes.
    pub fn counts(&self) -> bool {
        self.status == CommitStatus::Counted
    }

    /// [`Self::bump`] when the commit counts, else none.
    pub fn effective_bump(&self) -> Bump {
        if self.counts() { self.bump } else { Bump::None }
    }

    pub fn short_sha(&self) -> &str {
        self.sha.get(..7).unwrap_or(&self.sha)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitStatus {
    /// Counts toward the bump and the notes.
    Counted,
    /// Not conventional; listed in [`Analysis::unparseable`].
    Unparseable,
    /// A merge commit, skipped (its merged commits are analysed), or a merge whose
    /// pull-request title is not conventional.
    Merge,
    /// Reverted by a commit in the range.
    RevertedBy { sha: String },
    /// A revert whose target is in the range.
    RevertsInRange { target: String },
    /// Merged by a pull request whose title counts instead ([`AnalyzeOptions::use_pr_title`]).
    CoveredByPullRequest { merge: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unparseable {
    pub sha: String,
    pub subject: String,
    /// Why, in words (`a space must follow the colon …`).
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeCommit {
    pub sha: String,
    pub subject: String,
    pub pull_request: Option<u64>,
    pub handling: MergeHandling,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeHandling {
    /// Skipped; the commits it merged are analysed.
    MergedCommitsAnalysed,
    /// Counted by its pull-request title; the commits it merged are not.
    PullRequestTitle,
    /// Not on the first-parent line (a merge inside a merged branch): skipped.
    Nested,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevertPair {
    pub revert: String,
    pub reverted: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidReleaseAs {
    pub sha: String,
    pub subject: String,
    pub value: String,
    pub reason: String,
}

/// Bad input found by the analysis.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnalyzeError {
    #[error(
        "commit {short} ({subject}) has an invalid `Release-As: {value}` footer: {reason}. Use a \
         version such as `Release-As: 2.0.0`; as the commit cannot be changed, push a newer commit \
         with a valid `Release-As` footer, which supersedes it",
        short = sha.get(..7).unwrap_or(sha)
    )]
    InvalidReleaseAs {
        sha: String,
        subject: String,
        value: String,
        reason: String,
    },
}

const SKIP_DIRECTIVES: [&str; 5] = [
    "[skip ci]",
    "[ci skip]",
    "[no ci]",
    "[skip actions]",
    "[actions skip]",
];

/// Analyses `commits` (oldest first, as the git reader gives them).
pub fn analyze(
    commits: &[Commit],
    rules: &ReleaseRules,
    options: &AnalyzeOptions,
) -> Result<Analysis, AnalyzeError> {
    let n = commits.len();
    let index: HashMap<&str, usize> = commits
        .iter()
        .enumerate()
        .map(|(i, c)| (c.sha.as_str(), i))
        .collect();

    let mut out: Vec<AnalyzedCommit> = Vec::with_capacity(n);
    let mut release_as_errors: Vec<Option<(String, String)>> = vec![None; n];
    let mut reasons: Vec<Option<String>> = vec![None; n];
    let mut merges = Vec::new();

    // Merges on the first-parent line and what they brought in, for `use_pr_title` (and for
    // reverts of merges, computed then if not here).
    let attribution = options
        .use_pr_title
        .then(|| first_parent_attribution(commits, &index));
    let (on_line, brought_by) = match &attribution {
        Some((on_line, brought_by)) => (on_line.clone(), brought_by.clone()),
        None => (vec![false; n], vec![None; n]),
    };

    for (i, commit) in commits.iter().enumerate() {
        let mut entry = AnalyzedCommit {
            sha: commit.sha.clone(),
            subject: commit.subject.clone(),
            conventional: None,
            bump: Bump::None,
            rule: None,
            status: CommitStatus::Counted,
        };
        let message = commit.message();
        let parsed = conventional::parse_lenient(&message);
        let merge_subject = match &parsed {
            Err(NotConventional::Merge(m)) => Some(m.clone()),
            _ => None,
        };
        if commit.is_merge() || merge_subject.is_some() {
            let mut handling = if commit.is_merge() && options.use_pr_title && !on_line[i] {
                MergeHandling::Nested
            } else {
                MergeHandling::MergedCommitsAnalysed
            };
            entry.status = CommitStatus::Merge;
            if options.use_pr_title
                && commit.is_merge()
                && on_line[i]
                && let Some(title) = pull_request_title(commit, &parsed)
            {
                entry.status = CommitStatus::Counted;
                rate(&mut entry, title.commit, rules);
                release_as_errors[i] = title.release_as_error;
                handling = MergeHandling::PullRequestTitle;
            }
            merges.push(MergeCommit {
                sha: commit.sha.clone(),
                subject: commit.subject.clone(),
                pull_request: merge_subject
                    .and_then(|m| m.pull_request)
                    .or_else(|| entry.conventional.as_ref().and_then(|c| c.pull_request)),
                handling,
            });
        } else {
            match parsed {
                Ok(lenient) => {
                    release_as_errors[i] = lenient.release_as_error;
                    rate(&mut entry, lenient.commit, rules);
                }
                Err(e) => {
                    entry.status = CommitStatus::Unparseable;
                    reasons[i] = Some(e.to_string());
                }
            }
        }
        out.push(entry);
    }

    // Commits merged by a pull request whose title counts.
    for i in 0..n {
        if let Some(m) = brought_by[i] {
            let merge_counts = out[m].status == CommitStatus::Counted;
            if merge_counts && out[i].status != CommitStatus::Merge {
                out[i].status = CommitStatus::CoveredByPullRequest {
                    merge: commits[m].sha.clone(),
                };
            }
        }
    }

    // Unparseable commits that a pull-request title covers do not matter.
    let unparseable = (0..n)
        .filter(|&i| out[i].status == CommitStatus::Unparseable)
        .map(|i| Unparseable {
            sha: commits[i].sha.clone(),
            subject: commits[i].subject.clone(),
            reason: reasons[i].take().unwrap_or_default(),
        })
        .collect();

    let reverted = cancel_reverts(commits, &index, attribution, &mut out);

    // Bump, Release-As, directives.
    let bump = out
        .iter()
        .map(AnalyzedCommit::effective_bump)
        .max()
        .unwrap_or_default();
    let mut release_as = None;
    let mut superseded_release_as = Vec::new();
    for i in (0..n).rev() {
        if !out[i].counts() {
            continue;
        }
        if let Some((value, reason)) = release_as_errors[i].take() {
            if release_as.is_none() {
                return Err(AnalyzeError::InvalidReleaseAs {
                    sha: commits[i].sha.clone(),
                    subject: commits[i].subject.clone(),
                    value,
                    reason,
                });
            }
            superseded_release_as.push(InvalidReleaseAs {
                sha: commits[i].sha.clone(),
                subject: commits[i].subject.clone(),
                value,
                reason,
            });
        } else if release_as.is_none()
            && let Some(v) = out[i]
                .conventional
                .as_ref()
                .and_then(|c| c.release_as.clone())
        {
            release_as = Some(ReleaseAs {
                version: v,
                sha: commits[i].sha.clone(),
            });
        }
    }

    let mut skip_ci = false;
    let mut deploy_all = false;
    for (commit, entry) in commits.iter().zip(&out) {
        if matches!(
            entry.status,
            CommitStatus::RevertedBy { .. } | CommitStatus::RevertsInRange { .. }
        ) {
            continue;
        }
        for text in [commit.subject.as_str(), commit.body.as_str()] {
            if text.contains('[') {
                skip_ci |= SKIP_DIRECTIVES
                    .iter()
                    .any(|d| contains_ignore_case(text, d));
                deploy_all |= contains_ignore_case(text, "[deploy-all]");
            }
        }
        skip_ci |= commit.body.lines().any(|l| {
            let l = l.trim();
            l.get(..12)
                .is_some_and(|t| t.eq_ignore_ascii_case("skip-checks:"))
                && l[12..].trim() == "true"
        });
    }

    Ok(Analysis {
        bump,
        release_as,
        commits: out,
        unparseable,
        merges,
        reverted,
        superseded_release_as,
        skip_ci,
        deploy_all,
    })
}

fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

fn rate(entry: &mut AnalyzedCommit, commit: Conventional, rules: &ReleaseRules) {
    let (bump, source) = rules.decide(&commit);
    entry.bump = bump;
    entry.rule = Some(source);
    entry.conventional = Some(commit);
}

/// The conventional pull-request title of a merge commit, if it has one.
fn pull_request_title(
    commit: &Commit,
    parsed: &Result<conventional::Lenient, NotConventional>,
) -> Option<conventional::Lenient> {
    match parsed {
        Ok(lenient) => Some(lenient.clone()),
        Err(NotConventional::Merge(m)) => {
            let gitlab = commit
                .body
                .lines()
                .any(|l| l.trim_start().starts_with("See merge request "));
            if m.kind != MergeKind::PullRequest && !gitlab {
                return None;
            }
            let mut title = conventional::parse_lenient(&commit.body).ok()?;
            if title.commit.pull_request.is_none() {
                title.commit.pull_request = m.pull_request;
            }
            Some(title)
        }
        Err(_) => None,
    }
}

/// For each commit: is it on the first-parent line from the newest commit, and which merge on
/// that line brought it in. Linear: each commit is visited once.
fn first_parent_attribution(
    commits: &[Commit],
    index: &HashMap<&str, usize>,
) -> (Vec<bool>, Vec<Option<usize>>) {
    let n = commits.len();
    let in_range = |sha: &String| index.get(sha.as_str()).copied();
    let mut is_parent = vec![false; n];
    for c in commits {
        for p in c.parents.iter().filter_map(in_range) {
            is_parent[p] = true;
        }
    }
    let mut line = Vec::new();
    let mut head = (0..n).rev().find(|&i| !is_parent[i]);
    while let Some(i) = head {
        line.push(i);
        head = commits[i].parents.first().and_then(in_range);
        if line.len() > n {
            break; // a cycle cannot happen in git; never loop on bad input
        }
    }
    let mut on_line = vec![false; n];
    let mut seen = vec![false; n];
    let mut brought_by = vec![None; n];
    for &m in line.iter().rev() {
        on_line[m] = true;
        let mut stack: Vec<usize> = commits[m]
            .parents
            .iter()
            .skip(1)
            .filter_map(in_range)
            .collect();
        while let Some(x) = stack.pop() {
            if seen[x] {
                continue;
            }
            seen[x] = true;
            brought_by[x] = Some(m);
            stack.extend(
                commits[x]
                    .parents
                    .iter()
                    .filter_map(in_range)
                    .filter(|&p| !seen[p]),
            );
        }
        seen[m] = true;
    }
    (on_line, brought_by)
}

/// Cancels revert pairs inside the range (newest revert first); returns the pairs.
fn cancel_reverts(
    commits: &[Commit],
    index: &HashMap<&str, usize>,
    mut attribution: Option<(Vec<bool>, Vec<Option<usize>>)>,
    out: &mut [AnalyzedCommit],
) -> Vec<RevertPair> {
    let mut pairs = Vec::new();
    // Built on first use, so that many reverts stay linear overall.
    let mut by_subject: Option<HashMap<&str, Vec<usize>>> = None;
    let mut merged_by: Option<HashMap<usize, Vec<usize>>> = None;
    for r in (0..commits.len()).rev() {
        if !out[r].counts() {
            continue;
        }
        let Some(revert) = out[r].conventional.as_ref().and_then(|c| c.revert.clone()) else {
            continue;
        };
        let target = match &revert.sha {
            Some(sha) => find_by_sha(commits, index, sha).filter(|&t| t != r),
            None => revert.header.as_deref().and_then(|h| {
                let subjects = by_subject.get_or_insert_with(|| {
                    let mut map: HashMap<&str, Vec<usize>> = HashMap::new();
                    for (i, c) in commits.iter().enumerate() {
                        map.entry(c.subject.trim()).or_default().push(i);
                    }
                    map
                });
                subjects.get(h).and_then(|candidates| {
                    candidates
                        .iter()
                        .rev()
                        .copied()
                        .find(|&t| t < r && !is_cancelled(&out[t].status))
                })
            }),
        };
        let Some(t) = target else { continue };
        if is_cancelled(&out[t].status) {
            continue;
        }
        let revert_sha = commits[r].sha.clone();
        out[r].status = CommitStatus::RevertsInRange {
            target: commits[t].sha.clone(),
        };
        out[t].status = CommitStatus::RevertedBy {
            sha: revert_sha.clone(),
        };
        if commits[t].is_merge() {
            let (on_line, brought_by) =
                attribution.get_or_insert_with(|| first_parent_attribution(commits, index));
            let brought = if on_line[t] {
                let members = merged_by.get_or_insert_with(|| {
                    let mut map: HashMap<usize, Vec<usize>> = HashMap::new();
                    for (i, m) in brought_by.iter().enumerate() {
                        if let Some(m) = m {
                            map.entry(*m).or_default().push(i);
                        }
                    }
                    map
                });
                members.get(&t).cloned().unwrap_or_default()
            } else {
                brought_in(commits, index, t)
            };
            for b in brought {
                if out[b].counts()
                    || matches!(out[b].status, CommitStatus::CoveredByPullRequest { .. })
                {
                    out[b].status = CommitStatus::RevertedBy {
                        sha: revert_sha.clone(),
                    };
                }
            }
        }
        pairs.push(RevertPair {
            revert: revert_sha,
            reverted: commits[t].sha.clone(),
        });
    }
    pairs.reverse();
    pairs
}

fn is_cancelled(status: &CommitStatus) -> bool {
    matches!(
        status,
        CommitStatus::RevertedBy { .. } | CommitStatus::RevertsInRange { .. }
    )
}

fn find_by_sha(commits: &[Commit], index: &HashMap<&str, usize>, sha: &str) -> Option<usize> {
    if let Some(&i) = index.get(sha) {
        return Some(i);
    }
    let mut found = commits
        .iter()
        .enumerate()
        .filter(|(_, c)| c.sha.to_ascii_lowercase().starts_with(sha));
    let first = found.next().map(|(i, _)| i);
    // An ambiguous abbreviation names nothing.
    if found.next().is_some() { None } else { first }
}

/// The commits of the range that merge `m` brought in: ancestors of its second and later
/// parents that are not ancestors of its first parent.
fn brought_in(commits: &[Commit], index: &HashMap<&str, usize>, m: usize) -> Vec<usize> {
    let in_range = |sha: &String| index.get(sha.as_str()).copied();
    let reach = |starts: &[String]| {
        let mut seen = vec![false; commits.len()];
        let mut stack: Vec<usize> = starts.iter().filter_map(in_range).collect();
        while let Some(x) = stack.pop() {
            if !seen[x] {
                seen[x] = true;
                stack.extend(commits[x].parents.iter().filter_map(in_range));
            }
        }
        seen
    };
    let parents = &commits[m].parents;
    let (first, others) = parents.split_at(parents.len().min(1));
    let mainline = reach(first);
    let merged = reach(others);
    (0..commits.len())
        .filter(|&i| merged[i] && !mainline[i])
        .collect()
}

//! Talking to a remote beyond fetching: pushing refs, and reading where its refs are.
//!
//! A push is one atomic `git push --porcelain` (all refs or none, hooks not run), and how it
//! failed decides what the caller can do, so the failure is classified ([`RemoteError`]): the
//! remote refused refs ([`RemoteError::Rejected`]; when it moved on, [`RemoteError::is_stale`]
//! says the caller may fetch, re-apply its change and push again), it refused the credentials
//! ([`RemoteError::Denied`], with the permission the job needs), or git failed otherwise.
//! Every command here abandons a stalled transfer ([`ABANDON_STALLED`]) instead of hanging the
//! job.

use crate::repo::{Repo, RepoError};
use crate::{ABANDON_STALLED, check_rev, stderr_text, without_credentials};

/// What to change when a remote refuses a push's credentials: the job's token is the usual
/// one, and actions/checkout is what keeps it for git.
pub const PUSH_DENIED_HINT: &str = "the token needs the `contents: write` permission (`permissions: contents: write` in the job) and actions/checkout must keep it (`persist-credentials` not false)";

/// What git says, on stderr, when a push's credentials are refused or missing.
const DENIED: [&str; 6] = [
    "permission to",
    "denied",
    "403",
    "authentication failed",
    "could not read username",
    "terminal prompts disabled",
];

/// Reasons of `[rejected]` refs that mean the remote moved on since the caller looked.
const STALE: [&str; 4] = [
    "non-fast-forward",
    "fetch first",
    "stale info",
    "remote ref updated since checkout",
];

/// A push or a listing of a remote failed.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// The remote refused some refs (the whole atomic push failed).
    #[error("'{remote}' refused the push: {}", describe_rejected(.rejected))]
    Rejected {
        /// The remote, without credentials.
        remote: String,
        /// `(ref name without refs/heads/ or refs/tags/, git's reason)`, e.g.
        /// `("main", "[rejected] (non-fast-forward)")`.
        rejected: Vec<(String, String)>,
    },
    /// The remote refused the credentials, or there were none.
    #[error("cannot push to '{remote}': {stderr}; {}", PUSH_DENIED_HINT)]
    Denied {
        /// The remote, without credentials.
        remote: String,
        /// What git printed.
        stderr: String,
    },
    /// The remote's refs could not be listed.
    #[error("cannot list the refs of '{remote}': {stderr}")]
    Unreadable {
        /// The remote, without credentials.
        remote: String,
        /// What git printed.
        stderr: String,
    },
    /// git cannot run, or fails otherwise.
    #[error(transparent)]
    Repo(#[from] RepoError),
}

impl RemoteError {
    /// The push was refused because the remote moved on since the caller looked (not a
    /// fast-forward, or a `--force-with-lease` that no longer holds): fetch, re-apply the
    /// change on the new tip and push again. A ref the remote itself refused (a protected
    /// branch, a hook) is not stale: pushing again would be refused again.
    pub fn is_stale(&self) -> bool {
        let RemoteError::Rejected { rejected, .. } = self else {
            return false;
        };
        let stale = |reason: &str| {
            reason.starts_with("[rejected]") && STALE.iter().any(|s| reason.contains(s))
        };
        rejected.iter().any(|(_, reason)| stale(reason))
            && !rejected
                .iter()
                .any(|(_, reason)| reason.starts_with("[remote rejected]"))
    }
}

fn describe_rejected(rejected: &[(String, String)]) -> String {
    rejected
        .iter()
        .map(|(name, reason)| format!("{name} ({reason})"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the remote did with one ref of a push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushStatus {
    /// A new ref.
    Created,
    /// A ref moved (a fast-forward, or forced).
    Updated,
    /// The remote already had it there.
    UpToDate,
}

/// One ref of a push, as the remote took it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedRef {
    /// The ref's name without `refs/heads/` or `refs/tags/`.
    pub name: String,
    /// What happened.
    pub status: PushStatus,
}

/// One line per ref of `git push --porcelain`: `<flag>\t<from>:<to>\t<summary>`; a ref's
/// status, or the reason it was refused. Refs outside `refs/heads/` and `refs/tags/` and the
/// other lines (`To …`, `Done`) are skipped.
pub fn parse_push_porcelain(stdout: &[u8]) -> Vec<(String, Result<PushStatus, String>)> {
    let mut results = Vec::new();
    for line in String::from_utf8_lossy(stdout).lines() {
        let mut parts = line.splitn(3, '\t');
        let (Some(flag), Some(refs), summary) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let Some(to) = refs.rsplit(':').next() else {
            continue;
        };
        let Some(name) = to
            .strip_prefix("refs/tags/")
            .or_else(|| to.strip_prefix("refs/heads/"))
        else {
            continue;
        };
        let summary = summary.unwrap_or_default().trim();
        let result = match flag {
            "*" => Ok(PushStatus::Created),
            "+" | " " => Ok(PushStatus::Updated),
            "=" => Ok(PushStatus::UpToDate),
            "!" => Err(summary.to_owned()),
            _ => continue,
        };
        results.push((name.to_owned(), result));
    }
    results
}

impl Repo {
    /// Push `refspecs` (`<commit>:refs/heads/<branch>`, `+refs/tags/v1:refs/tags/v1`, …) to
    /// `remote` in one atomic push (all or none), hooks not run; what each ref became.
    ///
    /// # Errors
    /// [`RemoteError::Rejected`] naming each ref refused and why; [`RemoteError::Denied`];
    /// [`RemoteError::Repo`] when git fails otherwise.
    pub fn push(&self, remote: &str, refspecs: &[String]) -> Result<Vec<PushedRef>, RemoteError> {
        let mut args: Vec<&str> = ABANDON_STALLED.to_vec();
        args.extend([
            "push",
            "--porcelain",
            "--atomic",
            "--no-verify",
            "--end-of-options",
            remote,
        ]);
        args.extend(refspecs.iter().map(String::as_str));
        let output = self.output(&args)?;
        let results = parse_push_porcelain(&output.stdout);
        let rejected: Vec<(String, String)> = results
            .iter()
            .filter_map(|(name, result)| result.as_ref().err().map(|r| (name.clone(), r.clone())))
            .collect();
        let shown = without_credentials(remote);
        if !rejected.is_empty() {
            return Err(RemoteError::Rejected {
                remote: shown,
                rejected,
            });
        }
        if !output.status.success() {
            let stderr = stderr_text(&output);
            let lower = stderr.to_ascii_lowercase();
            if DENIED.iter().any(|needle| lower.contains(needle)) {
                return Err(RemoteError::Denied {
                    remote: shown,
                    stderr,
                });
            }
            let shown_args: Vec<&str> = args
                .iter()
                .map(|arg| if *arg == remote { shown.as_str() } else { arg })
                .collect();
            return Err(self.failed(&shown_args, &output).into());
        }
        Ok(results
            .into_iter()
            .filter_map(|(name, result)| result.ok().map(|status| PushedRef { name, status }))
            .collect())
    }

    /// `git ls-remote <options> -- <remote> <patterns>`: its stdout (`<sha>\t<ref>` lines).
    /// No objects are fetched.
    ///
    /// # Errors
    /// [`RemoteError::Unreadable`] when the remote cannot be listed; git unusable.
    pub fn ls_remote(
        &self,
        remote: &str,
        options: &[&str],
        patterns: &[&str],
    ) -> Result<Vec<u8>, RemoteError> {
        let mut args: Vec<&str> = ABANDON_STALLED.to_vec();
        args.push("ls-remote");
        args.extend_from_slice(options);
        args.extend(["--end-of-options", remote]);
        args.extend_from_slice(patterns);
        let output = self.output(&args)?;
        if !output.status.success() {
            return Err(RemoteError::Unreadable {
                remote: without_credentials(remote),
                stderr: stderr_text(&output),
            });
        }
        Ok(output.stdout)
    }

    /// The commit of `branch` (without `refs/heads/`) on `remote`; `None` when it has no such
    /// branch.
    ///
    /// # Errors
    /// An invalid branch name; see [`Repo::ls_remote`].
    pub fn remote_branch(&self, remote: &str, branch: &str) -> Result<Option<String>, RemoteError> {
        check_rev("branch", branch)?;
        let reference = format!("refs/heads/{branch}");
        let stdout = self.ls_remote(remote, &[], &[&reference])?;
        Ok(String::from_utf8_lossy(&stdout).lines().find_map(|l| {
            let (sha, name) = l.split_once('\t')?;
            (name == reference).then(|| sha.to_owned())
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_porcelain_lines() {
        let out = b"To /tmp/remote.git\n*\trefs/tags/v1.0.0:refs/tags/v1.0.0\t[new tag]\n+\trefs/tags/v1:refs/tags/v1\tabc...def (forced update)\n=\trefs/tags/v0:refs/tags/v0\t[up to date]\n!\trefs/tags/v2:refs/tags/v2\t[rejected] (already exists)\nDone\n";
        assert_eq!(
            parse_push_porcelain(out),
            [
                ("v1.0.0".to_owned(), Ok(PushStatus::Created)),
                ("v1".to_owned(), Ok(PushStatus::Updated)),
                ("v0".to_owned(), Ok(PushStatus::UpToDate)),
                (
                    "v2".to_owned(),
                    Err("[rejected] (already exists)".to_owned())
                ),
            ]
        );
    }

    #[test]
    fn only_a_remote_that_moved_on_is_stale() {
        let rejected = |reasons: &[&str]| RemoteError::Rejected {
            remote: "origin".to_owned(),
            rejected: reasons
                .iter()
                .enumerate()
                .map(|(i, r)| (format!("ref{i}"), (*r).to_owned()))
                .collect(),
        };
        for stale in [
            &["[rejected] (non-fast-forward)"][..],
            &["[rejected] (fetch first)"],
            &["[rejected] (stale info)"],
            &[
                "[rejected] (fetch first)",
                "[rejected] (atomic push failed)",
            ],
        ] {
            assert!(rejected(stale).is_stale(), "{stale:?}");
        }
        for not_stale in [
            &["[rejected] (already exists)"][..],
            &["[remote rejected] (protected branch hook declined)"],
            &[
                "[rejected] (non-fast-forward)",
                "[remote rejected] (atomic transaction failed)",
            ],
            &["[rejected] (atomic push failed)"],
        ] {
            assert!(!rejected(not_stale).is_stale(), "{not_stale:?}");
        }
        let denied = RemoteError::Denied {
            remote: "origin".to_owned(),
            stderr: "403".to_owned(),
        };
        assert!(!denied.is_stale());
        assert_eq!(
            rejected(&["[rejected] (non-fast-forward)"]).to_string(),
            "'origin' refused the push: ref0 ([rejected] (non-fast-forward))"
        );
        assert!(denied.to_string().ends_with(PUSH_DENIED_HINT), "{denied}");
    }
}

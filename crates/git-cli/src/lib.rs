//! The `git` CLI as gantry's tools run it.
//!
//! [`Repo`] runs git in one working directory: every command as
//! `git --no-pager -c core.quotepath=off …` with `LC_ALL=C`, no prompt, no optional locks and
//! stdin closed unless the caller pipes it. Output is collected ([`Repo::output`],
//! [`Repo::run`]) or read as a stream while stderr is drained on its own thread
//! ([`Repo::stream`]). Revisions from inputs are checked with [`is_valid_rev`] before they are
//! passed after `--end-of-options`. A shallow clone is deepened, doubling, then completed, by
//! [`deepen_until`].
//!
//! Tools that write to a branch make their commit beside the checkout ([`Repo::commit_files`],
//! module [`commit`]) and push it in one atomic push ([`Repo::push`], module [`push`]) whose
//! failure says whether to fetch and try again ([`RemoteError::is_stale`]).
//!
//! Errors are [`RepoError`]: they name the working directory and tell the user what to do, so
//! each tool keeps them as one variant of its own error type rather than its own copy. A push
//! or a listing of a remote fails with [`RemoteError`], which a tool converts into its own
//! words for what it was pushing.

use std::io::BufRead;
use std::process::Output;

pub mod commit;
mod fetcher;
pub mod push;
mod repo;

pub use commit::ChangedFile;
pub use fetcher::{Deepen, Fetcher, MAX_DEEPEN_ROUNDS};
pub use push::{PUSH_DENIED_HINT, PushStatus, PushedRef, RemoteError, parse_push_porcelain};
pub use repo::{Repo, RepoError};

/// How much of git's stderr an error shows, in characters.
pub const MAX_STDERR_SHOWN: usize = 2000;

/// Options that abandon a stalled transfer (under 1 KB/s for a minute) instead of hanging the
/// job, for every command that talks to a remote ([`FETCH`], `ls-remote`, `push`).
pub const ABANDON_STALLED: [&str; 4] = [
    "-c",
    "http.lowSpeedLimit=1000",
    "-c",
    "http.lowSpeedTime=60",
];

/// Every fetch: no tags unless asked for, no submodules, and [`ABANDON_STALLED`].
pub const FETCH: [&str; 7] = {
    let [c1, limit, c2, time] = ABANDON_STALLED;
    [
        c1,
        limit,
        c2,
        time,
        "fetch",
        "--no-tags",
        "--no-recurse-submodules",
    ]
};

/// How [`deepen_until`] deepens a shallow clone.
#[derive(Debug, Clone, Copy)]
pub struct Deepening<'a> {
    /// The clone.
    pub repo: &'a Repo,
    /// The remote fetched from.
    pub remote: &'a str,
    /// The first `--deepen`, in commits (doubled on each round; 0 counts as 1).
    pub initial_depth: u32,
    /// How many `--deepen` rounds before the whole history is fetched with `--unshallow`.
    pub max_rounds: u32,
    /// What is searched for, for the notes (`the last release tag`).
    pub purpose: &'a str,
}

/// Deepen a shallow clone until `probe` answers: `--deepen` doubling from
/// [`Deepening::initial_depth`] at most [`Deepening::max_rounds`] times (fewer when a round
/// brings nothing), then the whole history once with `--unshallow`. `None` when the history is
/// complete and `probe` still has no answer; a complete clone is never fetched into.
///
/// `fetch` runs `git fetch` with [`FETCH`] and the arguments it is given, and records the note
/// (`deepening the shallow clone by N commits to find …`, `fetching the whole history
/// (--unshallow) to find …`) once it succeeds. Only the commits where the history is cut are asked for, never the remote's
/// configured refspec (which may be every branch).
///
/// # Errors
/// What `probe` or `fetch` return; the `shallow` file unreadable.
pub fn deepen_until<T, E: From<RepoError>>(
    how: &Deepening<'_>,
    mut fetch: impl FnMut(&[&str], String) -> Result<(), E>,
    mut probe: impl FnMut() -> Result<Option<T>, E>,
) -> Result<Option<T>, E> {
    let mut depth = how.initial_depth.max(1);
    for round in 0..=how.max_rounds {
        if let Some(found) = probe()? {
            return Ok(Some(found));
        }
        let shallow = how.repo.shallow_commits()?;
        if shallow.is_empty() {
            return Ok(None);
        }
        if round == how.max_rounds {
            break;
        }
        let deepen = format!("--deepen={depth}");
        let mut args = vec![deepen.as_str(), "--end-of-options", how.remote];
        // The commits where history is cut came from the remote: ask for them again, deeper.
        // (What is searched for may exist only locally.)
        args.extend(shallow.iter().map(String::as_str));
        fetch(
            &args,
            format!(
                "deepening the shallow clone by {} to find {}",
                commit_count(depth),
                how.purpose
            ),
        )?;
        if how.repo.shallow_commits()? == shallow {
            break;
        }
        depth = depth.saturating_mul(2);
    }
    unshallow(how.repo, how.remote, how.purpose, &mut fetch)?;
    probe()
}

/// Fetch the whole history of a shallow clone (`--unshallow`, asking for the commits where
/// the history is cut) through `fetch` (see [`deepen_until`]); false when it was complete.
///
/// # Errors
/// What `fetch` returns; the `shallow` file unreadable.
pub fn unshallow<E: From<RepoError>>(
    repo: &Repo,
    remote: &str,
    purpose: &str,
    mut fetch: impl FnMut(&[&str], String) -> Result<(), E>,
) -> Result<bool, E> {
    let shallow = repo.shallow_commits()?;
    if shallow.is_empty() {
        return Ok(false);
    }
    let mut args = vec!["--unshallow", "--end-of-options", remote];
    args.extend(shallow.iter().map(String::as_str));
    fetch(
        &args,
        format!("fetching the whole history (--unshallow) to find {purpose}"),
    )?;
    Ok(true)
}

/// `1 commit`, `N commits`.
pub fn commit_count(n: u32) -> String {
    if n == 1 {
        "1 commit".to_owned()
    } else {
        format!("{n} commits")
    }
}

/// git's stderr for a message: trimmed, cut after [`MAX_STDERR_SHOWN`] characters,
/// `(no message)` when empty.
pub fn stderr_text(output: &Output) -> String {
    let text = String::from_utf8_lossy(&output.stderr);
    let text = text.trim();
    match text.char_indices().nth(MAX_STDERR_SHOWN) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None if text.is_empty() => "(no message)".to_owned(),
        None => text.to_owned(),
    }
}

/// False for what git could read as an option (a leading `-`), or what cannot be a revision
/// (empty, whitespace or control characters).
pub fn is_valid_rev(rev: &str) -> bool {
    !(rev.is_empty()
        || rev.starts_with('-')
        || rev.chars().any(|c| c.is_whitespace() || c.is_control()))
}

/// True for a (possibly abbreviated) object name: hex digits only, and not empty.
pub fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Refuses what git could read as an option, or what cannot be a revision, naming the input
/// (`what`) it came from.
///
/// # Errors
/// [`RepoError::InvalidRevision`].
pub fn check_rev(what: &'static str, rev: &str) -> Result<(), RepoError> {
    if is_valid_rev(rev) {
        Ok(())
    } else {
        Err(RepoError::InvalidRevision {
            what,
            rev: rev.to_owned(),
        })
    }
}

/// The next NUL-terminated field of `-z` output into `buf` (without the NUL); false at the
/// end of the output.
///
/// # Errors
/// The output could not be read.
pub fn next_field(reader: &mut impl BufRead, buf: &mut Vec<u8>) -> Result<bool, String> {
    buf.clear();
    let read = reader
        .read_until(0, buf)
        .map_err(|e| format!("cannot read the output: {e}"))?;
    if buf.last() == Some(&0) {
        buf.pop();
    }
    Ok(read > 0)
}

/// `url` without user or password (`https://x-access-token:TOKEN@github.com/o/r` →
/// `https://github.com/o/r`); for other schemes (`ssh://git@host`), the password only.
/// scp-like addresses (`git@github.com:o/r.git`) carry no secret and pass unchanged.
pub fn without_credentials(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return url.to_owned();
    };
    if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") {
        format!("{scheme}://{host}{path}")
    } else {
        let user = userinfo.split(':').next().unwrap_or_default();
        format!("{scheme}://{user}@{host}{path}")
    }
}

/// What the crate's tests share.
#[cfg(test)]
mod test_support {
    use std::path::Path;
    use std::process::Command;

    /// `git <args>` in `dir` without the user's configuration, as `t <t@example.com>`; its
    /// trimmed stdout.
    pub(crate) fn git(dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .current_dir(dir)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::git;

    #[test]
    fn revisions_that_look_like_options_are_refused() {
        for bad in ["", "-x", "--output=/tmp/x", "a b", "a\tb", "a\nb"] {
            assert!(!is_valid_rev(bad), "{bad:?}");
        }
        for good in ["main", "HEAD~1", "v1.0.0", "refs/heads/x", "a-b"] {
            assert!(is_valid_rev(good), "{good:?}");
        }
    }

    #[test]
    fn fields_are_nul_separated() -> Result<(), String> {
        let mut out: &[u8] = b"a\0b c\0last";
        let mut buf = Vec::new();
        let mut fields = Vec::new();
        while next_field(&mut out, &mut buf)? {
            fields.push(String::from_utf8_lossy(&buf).into_owned());
        }
        assert_eq!(fields, ["a", "b c", "last"]);
        Ok(())
    }

    /// A repository of `n` commits (`c0` … oldest first) and a `--depth 1` clone of it.
    fn shallow_pair(n: usize) -> (tempfile::TempDir, Repo, Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        let origin = dir.path().join("origin");
        std::fs::create_dir(&origin).unwrap();
        git(&origin, &["init", "-q", "-b", "main"]);
        let mut shas = Vec::new();
        for i in 0..n {
            git(
                &origin,
                &["commit", "-q", "--allow-empty", "-m", &format!("c{i}")],
            );
            shas.push(git(&origin, &["rev-parse", "HEAD"]));
        }
        let url = format!("file://{}", origin.display());
        git(dir.path(), &["clone", "-q", "--depth", "1", &url, "clone"]);
        let clone = Repo::new(dir.path().join("clone"));
        (dir, clone, shas)
    }

    /// [`deepen_until`] with a `fetch` that runs git and records the notes.
    fn deepen(
        clone: &Repo,
        initial_depth: u32,
        max_rounds: u32,
        mut probe: impl FnMut() -> Result<Option<String>, RepoError>,
    ) -> (Option<String>, Vec<String>) {
        let mut notes = Vec::new();
        let how = Deepening {
            repo: clone,
            remote: "origin",
            initial_depth,
            max_rounds,
            purpose: "the commit",
        };
        let found = deepen_until(
            &how,
            |args, note| {
                let mut all = FETCH.to_vec();
                all.extend_from_slice(args);
                clone.run(&all)?;
                notes.push(note);
                Ok(())
            },
            &mut probe,
        )
        .unwrap();
        (found, notes)
    }

    fn has(clone: &Repo, sha: &str) -> Result<Option<String>, RepoError> {
        let out = clone.output(&["cat-file", "-e", &format!("{sha}^{{commit}}")])?;
        Ok(out.status.success().then(|| sha.to_owned()))
    }

    #[test]
    fn a_shallow_clone_is_deepened_doubling_until_the_probe_answers() {
        let (_dir, clone, shas) = shallow_pair(40);
        // c10 is 30 commits deep: 1 + 2 + 4 + 8 + 16 = 31 reaches it after the fourth round.
        let (found, notes) = deepen(&clone, 2, 6, || has(&clone, &shas[10]));
        assert_eq!(found.as_deref(), Some(shas[10].as_str()));
        assert_eq!(
            notes,
            [2, 4, 8, 16]
                .map(|n| format!("deepening the shallow clone by {n} commits to find the commit"))
        );
        assert!(clone.is_shallow().unwrap(), "never more than needed");
    }

    #[test]
    fn past_the_rounds_the_whole_history_is_fetched_once() {
        let (_dir, clone, shas) = shallow_pair(30);
        let (found, notes) = deepen(&clone, 1, 2, || has(&clone, &shas[0]));
        assert_eq!(found.as_deref(), Some(shas[0].as_str()));
        assert_eq!(notes.len(), 3, "{notes:?}");
        assert_eq!(
            notes[2],
            "fetching the whole history (--unshallow) to find the commit"
        );
        assert!(!clone.is_shallow().unwrap());
        // Complete now: a probe that never answers fetches nothing more.
        let (found, notes) = deepen(&clone, 1, 2, || Ok(None));
        assert_eq!((found, notes.len()), (None, 0));
        assert!(!unshallow(&clone, "origin", "x", |_, _| Ok::<_, RepoError>(())).unwrap());
    }

    #[test]
    fn credentials_are_removed_from_urls() {
        assert_eq!(
            without_credentials("https://x-access-token:T@github.com/o/r"),
            "https://github.com/o/r"
        );
        assert_eq!(
            without_credentials("ssh://git:pw@host/o/r"),
            "ssh://git@host/o/r"
        );
        assert_eq!(
            without_credentials("git@github.com:o/r.git"),
            "git@github.com:o/r.git"
        );
    }
}

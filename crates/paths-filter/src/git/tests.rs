//! The git layer against real repositories and literal git output.
use super::*;
use std::process::Command;

#[test]
fn parses_every_status_and_odd_names() {
    let out = b"M\0a b.txt\0A\0dir/\"quoted\"\0D\0caf\xc3\xa9\0R100\0old\nname\0new name\0C075\0src\0copy\0T\0link\0U\0conflict\0";
    let changes = parse_name_status(out).unwrap();
    assert_eq!(
        changes,
        vec![
            Change::new("a b.txt", ChangeStatus::Modified),
            Change::new("dir/\"quoted\"", ChangeStatus::Added),
            Change::new("café", ChangeStatus::Deleted),
            Change::renamed("old\nname", "new name"),
            Change {
                path: "copy".to_owned(),
                status: ChangeStatus::Copied,
                previous_path: Some("src".to_owned()),
            },
            Change::new("link", ChangeStatus::TypeChange),
            Change::new("conflict", ChangeStatus::Unmerged),
        ]
    );
}

#[test]
fn report_prints_notes_what_was_compared_and_warnings() {
    let env = gantry_toolkit::Env::from_iter([("GITHUB_ACTIONS", "true")]);
    let (runner, printed) = Runner::captured(env);
    Detected {
        changes: vec![Change::new("a", ChangeStatus::Added)],
        compared: "git diff 1111111..2222222".to_owned(),
        warnings: vec!["careful".to_owned()],
        notes: vec!["fetched base main from origin (depth 10)".to_owned()],
        listing: Listing::default(),
    }
    .report(&runner);
    assert_eq!(
        printed.lines(),
        [
            "::group::Fetching history",
            "fetched base main from origin (depth 10)",
            "::endgroup::",
            "1 changed file(s): git diff 1111111..2222222",
            "::warning::careful",
        ]
    );
}

#[test]
fn fields_cut_by_the_read_buffer_read_the_same() {
    let out: &[u8] = b"M\0a b.txt\0R100\0old\nname\0new name\0A\0a/very/long/path/that/spans/buffers.txt\0C075\0src\0copy\0D\0caf\xc3\xa9\0";
    let whole = parse(&mut &out[..]).unwrap();
    assert_eq!(whole.changes.len(), 5);
    for capacity in 1..=12 {
        let mut reader = std::io::BufReader::with_capacity(capacity, out);
        let cut = parse(&mut reader).unwrap();
        assert_eq!(cut.changes, whole.changes, "buffer of {capacity} bytes");
        assert_eq!(cut.lossy, whole.lossy);
    }
    for bad in [
        &b"M\0"[..],
        b"R100\0only-one\0",
        b"X\0what\0",
        b"M\0a\0\0M\0b\0",
    ] {
        for capacity in [1, 2, 5] {
            let mut reader = std::io::BufReader::with_capacity(capacity, bad);
            assert!(parse(&mut reader).is_err(), "{bad:?} {capacity}");
        }
    }
}

#[test]
fn empty_output_is_no_changes() {
    assert_eq!(parse_name_status(b"").unwrap(), vec![]);
}

#[test]
fn refuses_truncated_and_unknown_records() {
    for bad in [
        &b"M\0"[..],
        b"R100\0only-one\0",
        b"X\0what\0",
        b"M\0a\0\0M\0b\0",
    ] {
        assert!(parse_name_status(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn invalid_utf8_is_replaced_and_counted() {
    let parsed = parse(&mut &b"A\0bad\xff\0A\0good\0"[..]).unwrap();
    assert_eq!(parsed.lossy, 1);
    assert_eq!(parsed.changes[0].path, "bad\u{fffd}");
}

#[test]
fn names_that_are_not_branch_names_are_left_to_git() {
    let git = Git::new(".");
    for name in [
        "HEAD",
        "FETCH_HEAD",
        "HEAD~2",
        "main^2",
        "main@{1}",
        "@",
        ":/fix",
    ] {
        assert_eq!(git.local_candidates(name), [name], "{name}");
        assert!(git.fetch_candidates(name).is_empty(), "{name}");
    }
    assert_eq!(
        git.local_candidates("user@topic"),
        [
            "refs/remotes/origin/user@topic",
            "refs/heads/user@topic",
            "refs/tags/user@topic",
            "user@topic"
        ]
    );
    assert_eq!(
        git.fetch_candidates("v1"),
        [
            (
                "+refs/heads/v1:refs/remotes/origin/v1".to_owned(),
                "refs/remotes/origin/v1".to_owned()
            ),
            (
                "refs/tags/v1:refs/tags/v1".to_owned(),
                "refs/tags/v1".to_owned()
            ),
        ]
    );
    assert_eq!(
        git.fetch_candidates("refs/pull/7/head"),
        [(
            "+refs/pull/7/head:refs/remotes/origin/pull/7/head".to_owned(),
            "refs/remotes/origin/pull/7/head".to_owned()
        )]
    );
}

/// A scratch repository; `git(args)` runs git in it and returns its trimmed stdout.
fn scratch_repo() -> (tempfile::TempDir, impl Fn(&[&str]) -> String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let git = move |args: &[&str]| {
        let out = Command::new("git")
            .current_dir(&path)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", &path)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    git(&["init", "-q", "-b", "main"]);
    (dir, git)
}

#[test]
fn local_commits_resolve_like_rev_parse_in_one_call() {
    let (dir, git) = scratch_repo();
    std::fs::write(dir.path().join("a"), "a").unwrap();
    git(&["add", "-A"]);
    git(&["commit", "-qm", "one"]);
    git(&["tag", "-a", "-m", "annotated", "v1"]);
    git(&["commit", "-q", "--allow-empty", "-m", "two"]);
    let head = git(&["rev-parse", "HEAD"]);
    let first = git(&["rev-parse", "HEAD~1"]);
    let tree = git(&["rev-parse", "HEAD^{tree}"]);
    // `main` is only a local branch (no refs/remotes/origin/main): the later candidate
    // counts; `v1` is an annotated tag, peeled to its commit.
    let found = Git::new(dir.path())
        .local_commits(&[
            "HEAD", "main", "v1", "HEAD~1", "HEAD~2", "nope", "-x", "", &tree,
        ])
        .unwrap();
    assert_eq!(
        found,
        [
            Some(head.clone()),
            Some(head),
            Some(first.clone()),
            Some(first),
            None,
            None,
            None,
            None,
            None
        ]
    );
}

#[test]
fn default_and_current_branch_together_equal_each_alone() {
    let (dir, git) = scratch_repo();
    let repo = Git::new(dir.path());
    let both = |repo: &Git| {
        let together = repo.default_and_current_branch().unwrap();
        let alone = (
            repo.default_branch().unwrap(),
            repo.current_branch().unwrap(),
        );
        assert_eq!(together, alone);
        together
    };
    // No commit yet, no origin/HEAD.
    assert_eq!(both(&repo), (None, Some("main".to_owned())));
    git(&["commit", "-q", "--allow-empty", "-m", "one"]);
    git(&["update-ref", "refs/remotes/origin/trunk", "HEAD"]);
    git(&[
        "symbolic-ref",
        "refs/remotes/origin/HEAD",
        "refs/remotes/origin/trunk",
    ]);
    assert_eq!(
        both(&repo),
        (Some("trunk".to_owned()), Some("main".to_owned()))
    );
    git(&["checkout", "-q", "--detach"]);
    assert_eq!(both(&repo), (Some("trunk".to_owned()), None));
    let elsewhere = tempfile::tempdir().unwrap();
    assert!(matches!(
        Git::new(elsewhere.path()).default_and_current_branch(),
        Err(GitError::Repo(RepoError::NotARepository { .. }))
    ));
}

#[test]
fn several_merge_bases_fall_back_to_the_one_git_merge_base_names() {
    // A criss-cross merge: m1 and m2 have two merge-bases (b1 and b2), which
    // `git diff --merge-base` refuses.
    let (dir, git) = scratch_repo();
    let file = |name: &str| std::fs::write(dir.path().join(name), name).unwrap();
    file("a");
    git(&["add", "-A"]);
    git(&["commit", "-qm", "a"]);
    git(&["checkout", "-qb", "one"]);
    file("b1");
    git(&["add", "-A"]);
    git(&["commit", "-qm", "b1"]);
    git(&["checkout", "-q", "main"]);
    file("b2");
    git(&["add", "-A"]);
    git(&["commit", "-qm", "b2"]);
    git(&["merge", "-q", "--no-ff", "-m", "m2", "one"]);
    let m2 = git(&["rev-parse", "HEAD"]);
    git(&["checkout", "-q", "one"]);
    git(&["merge", "-q", "--no-ff", "-m", "m1", "main~1"]);
    file("c");
    git(&["add", "-A"]);
    git(&["commit", "-qm", "c"]);
    let head = git(&["rev-parse", "HEAD"]);
    assert_eq!(
        git(&["merge-base", "--all", &m2, &head]).lines().count(),
        2,
        "the fixture needs two merge-bases"
    );
    let merge_base = git(&["merge-base", &m2, &head]);

    let detected = Git::new(dir.path())
        .changes(
            &ChangeSource::GitMergeBase {
                base: m2.clone(),
                head: head.clone(),
            },
            1,
        )
        .unwrap();
    let want =
        parse_name_status(git(&["diff", "--name-status", "-z", &merge_base, &head]).as_bytes())
            .unwrap();
    assert_eq!(detected.changes, want);
    assert!(
        detected.compared.contains(&merge_base[..7]),
        "{}",
        detected.compared
    );
    // The quick way (two git processes side by side) agrees where it applies.
    let git_here = Git::new(dir.path());
    let (quick_base, quick) = git_here
        .diff_from_merge_base(&git(&["rev-parse", "main~1"]), &head)
        .unwrap()
        .unwrap();
    assert_eq!(quick_base, git(&["rev-parse", "main~1"]));
    assert_eq!(
        quick.changes,
        git_here.changes_between(&quick_base, &head).unwrap()
    );
    assert!(
        git_here.diff_from_merge_base(&m2, &head).unwrap().is_none(),
        "two merge-bases"
    );
}

#[test]
fn revisions_that_look_like_options_are_refused() {
    for bad in ["", "-x", "--upload-pack=touch /tmp/x", "a b", "a\nb"] {
        assert!(check_rev("base", bad).is_err(), "{bad:?}");
    }
    for good in ["main", "refs/heads/a/b", "HEAD~1", "v1.0.0"] {
        assert!(check_rev("base", good).is_ok(), "{good:?}");
    }
}

#[test]
fn one_rev_parse_names_both_commits_and_their_merge_base() {
    assert_eq!(
        diff::symmetric_range("HEAD~1", "refs/heads/main").as_deref(),
        Some("HEAD~1^{commit}...refs/heads/main^{commit}")
    );
    // Names whose own text could split the range differently are looked up one by one.
    assert_eq!(diff::symmetric_range("a..b", "HEAD"), None);
    assert_eq!(diff::symmetric_range("HEAD", ":/fix"), None);
    let (a, b, c) = ("a".repeat(40), "b".repeat(40), "c".repeat(40));
    assert_eq!(
        diff::symmetric_commits(format!("{b}\n{a}\n^{c}\n").as_bytes()),
        Some((a.clone(), b.clone(), Some(c.clone())))
    );
    // No merge-base, or two: the caller takes the step-by-step way.
    assert_eq!(
        diff::symmetric_commits(format!("{b}\n{a}\n").as_bytes()),
        Some((a.clone(), b.clone(), None))
    );
    assert_eq!(
        diff::symmetric_commits(format!("{b}\n{a}\n^{c}\n^{a}\n").as_bytes()),
        Some((a.clone(), b.clone(), None))
    );
    // Anything else (a file name echoed back, a short name) is not trusted.
    assert_eq!(diff::symmetric_commits(b"x...y\n"), None);
    assert_eq!(
        diff::symmetric_commits(format!("{b}\n{a}\n{c}\n").as_bytes()),
        None
    );
}

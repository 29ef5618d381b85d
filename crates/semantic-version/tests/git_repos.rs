#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `semantic_version::git` against real repositories: tags merged or not, annotated and
//! lightweight, monorepo paths, merges, shallow and single-branch clones, tags created and
//! pushed.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use gantry_testkit::GitRepo;
use semantic_version::git::{Git, GitError, LocalTag, PushStatus, RepoError};

/// The identity `GitRepo` commits with.
const GIT_NAME: &str = "Gantry Test";

/// `git clone <args> file://<src>` into a new temporary directory.
fn clone(src: &Path, args: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::Builder::new()
        .prefix("gantry-clone-")
        .tempdir()
        .unwrap();
    let target = dir.path().join("clone");
    let out = Command::new("git")
        .args(["clone", "-q"])
        .args(args)
        .arg(format!("file://{}", src.display()))
        .arg(&target)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git clone failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (dir, target)
}

fn git_in(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// `n` empty commits on the current branch through `git fast-import` (fast for thousands),
/// dated from 2027 on, with `message(i)`; returns the new HEAD.
fn bulk_commits(repo: &GitRepo, n: usize, message: impl Fn(usize) -> String) -> String {
    let branch = repo.git(["symbolic-ref", "HEAD"]);
    let parent = repo.head();
    let mut stream = String::new();
    for i in 0..n {
        let msg = message(i);
        let time = 1_800_000_000 + 60 * i as u64;
        stream.push_str(&format!(
            "commit {branch}\ncommitter {} <{}> {time} +0000\ndata {}\n{msg}\n",
            GIT_NAME,
            "test@gantry.invalid",
            msg.len()
        ));
        if i == 0 {
            stream.push_str(&format!("from {parent}\n"));
        }
    }
    let mut child = repo
        .git_command()
        .args(["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stream.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    repo.git(["reset", "-q", "--hard"]);
    repo.head()
}

fn set(tags: &[(String, String)]) -> BTreeSet<(&str, &str)> {
    tags.iter().map(|(n, c)| (n.as_str(), c.as_str())).collect()
}

fn subjects(commits: &[semantic_version::commit::Commit]) -> Vec<&str> {
    commits.iter().map(|c| c.subject.as_str()).collect()
}

#[test]
fn only_tags_merged_into_head_count_annotated_ones_peeled() {
    let repo = GitRepo::new();
    let c1 = repo.write("a", "1").commit("feat: one");
    repo.tag("v1.0.0");
    let c2 = repo.write("a", "2").commit("fix: two");
    let annotated = repo.tag_annotated("v1.1.0", "release 1.1.0");
    assert_ne!(annotated, c2, "an annotated tag is its own object");
    repo.tag("vnext"); // not semver: listed, the analyzer skips it
    repo.tag("latest"); // not under the prefix
    repo.tag("api-v3.0.0"); // another package
    repo.switch_new("feature");
    let c3 = repo.write("b", "1").commit("feat!: on a branch");
    repo.tag_annotated("v2.0.0", "not merged");
    repo.checkout("main");
    let c4 = repo.write("a", "3").commit("fix: three");

    let git = Git::new(repo.path());
    let tags = git.tags_merged_into("HEAD", "v").unwrap();
    assert_eq!(
        set(&tags),
        BTreeSet::from([
            ("v1.0.0", c1.as_str()),
            ("v1.1.0", c2.as_str()),
            ("vnext", c2.as_str())
        ])
    );
    let api = git.tags_merged_into("HEAD", "api-v").unwrap();
    assert_eq!(set(&api), BTreeSet::from([("api-v3.0.0", c2.as_str())]));
    assert_eq!(git.tags_merged_into("HEAD", "").unwrap().len(), 5);
    // From the branch, v2.0.0 counts and nothing after the fork does.
    let from_feature = git.tags_merged_into("feature", "v").unwrap();
    assert!(set(&from_feature).contains(&("v2.0.0", c3.as_str())));

    // Merged, it counts.
    let merge = repo.merge("feature", "Merge branch 'feature'");
    let tags = git.tags_merged_into(&merge, "v").unwrap();
    assert!(set(&tags).contains(&("v2.0.0", c3.as_str())));
    assert_ne!(merge, c4);

    assert_eq!(git.tag_exists("v1.1.0").unwrap(), Some(c2.clone()));
    assert_eq!(git.tag_exists("v1.0.0").unwrap(), Some(c1));
    assert_eq!(git.tag_exists("v9.9.9").unwrap(), None);
    assert!(matches!(
        git.tag_exists("-v1"),
        Err(GitError::InvalidTagName { .. })
    ));
    assert!(matches!(
        git.tags_merged_into("--all", "v"),
        Err(GitError::Repo(RepoError::InvalidRevision { .. }))
    ));
    assert!(matches!(
        git.tags_merged_into("HEAD", "v*"),
        Err(GitError::InvalidTagName { .. })
    ));
}

#[test]
fn five_thousand_tags_are_listed_in_one_call() {
    let repo = GitRepo::new();
    repo.commit("chore: start");
    bulk_commits(&repo, 50, |i| format!("fix: {i}"));
    // Tags through update-ref --stdin: one git process for all of them.
    let shas: Vec<String> = repo
        .git(["rev-list", "HEAD"])
        .lines()
        .map(str::to_owned)
        .collect();
    let mut input = String::new();
    for i in 0..5000 {
        input.push_str(&format!(
            "create refs/tags/v0.{}.{} {}\n",
            i / 100,
            i % 100,
            shas[i % shas.len()]
        ));
    }
    let mut child = repo
        .git_command()
        .args(["update-ref", "--stdin"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    let started = Instant::now();
    let tags = Git::new(repo.path()).tags_merged_into("HEAD", "v").unwrap();
    eprintln!("5,000 tags listed in {:?}", started.elapsed());
    assert_eq!(tags.len(), 5000);
}

#[test]
fn commits_of_a_range_oldest_first_with_merged_branches_and_merges() {
    let repo = GitRepo::new();
    let c0 = repo.write("a", "0").commit("chore: init");
    repo.tag_annotated("v1.0.0", "1.0.0");
    let c1 = repo.write("a", "1").commit("feat: a");
    repo.switch_new("feature");
    let f1 = repo.write("f", "1").commit("fix: b");
    let f2 = repo
        .write("f", "2")
        .commit("feat(x)!: c\n\nLonger body.\n\nBREAKING CHANGE: d");
    repo.checkout("main");
    let c2 = repo.write("a", "2").commit("perf: e");
    let m = repo.merge("feature", "Merge branch 'feature'");

    let git = Git::new(repo.path());
    let commits = git.commits(Some("v1.0.0"), "HEAD", &[]).unwrap();
    let shas: Vec<&str> = commits.iter().map(|c| c.sha.as_str()).collect();
    assert_eq!(shas, [&c1, &f1, &f2, &c2, &m]);
    assert_eq!(
        subjects(&commits),
        [
            "feat: a",
            "fix: b",
            "feat(x)!: c",
            "perf: e",
            "Merge branch 'feature'"
        ]
    );
    let merge = &commits[4];
    assert!(merge.is_merge());
    assert_eq!(merge.parents, [c2.clone(), f2.clone()]);
    assert_eq!(commits[2].body, "Longer body.\n\nBREAKING CHANGE: d");
    assert_eq!(commits[2].parents, [f1]);
    assert_eq!(commits[0].author_name, GIT_NAME);
    assert!(commits[0].timestamp >= 1_704_067_200);

    // The whole history without a last release; the range by SHA too.
    let all = git.commits(None, "HEAD", &[]).unwrap();
    assert_eq!(all.len(), 6);
    assert_eq!(all[0].sha, c0);
    assert!(all[0].parents.is_empty());
    assert_eq!(git.commits(Some(&c2), &m, &[]).unwrap().len(), 3);
    assert!(git.commits(Some(&m), "HEAD", &[]).unwrap().is_empty());
    assert!(matches!(
        git.commits(Some("--output=/tmp/x"), "HEAD", &[]),
        Err(GitError::Repo(RepoError::InvalidRevision { .. }))
    ));
}

#[test]
fn paths_scope_the_commits_of_a_monorepo_package() {
    let repo = GitRepo::new();
    repo.write("services/api/main.rs", "0")
        .write("services/web/index.html", "0")
        .commit("chore: init");
    repo.tag("api-v1.0.0");
    repo.write("services/api/main.rs", "1")
        .commit("feat(api): a");
    repo.write("services/web/index.html", "1")
        .commit("fix(web): b");
    repo.write("README.md", "docs").commit("docs: readme");
    // A side branch whose change to the api is undone before the merge: both commits count
    // (the analyzer cancels the revert), which git's default simplification would hide.
    repo.switch_new("topic");
    repo.write("services/api/extra.rs", "x")
        .commit("feat(api): extra");
    repo.remove("services/api/extra.rs")
        .commit("revert: feat(api): extra");
    repo.write("services/web/style.css", "x")
        .commit("feat(web): style");
    repo.checkout("main");
    repo.write("services/api/lib.rs", "1").commit("fix(api): c");
    repo.merge("topic", "Merge branch 'topic'");

    let git = Git::new(repo.path());
    let api = git
        .commits(Some("api-v1.0.0"), "HEAD", &["services/api".to_owned()])
        .unwrap();
    let api: BTreeSet<&str> = api.iter().map(|c| c.subject.as_str()).collect();
    assert_eq!(
        api,
        BTreeSet::from([
            "feat(api): a",
            "feat(api): extra",
            "revert: feat(api): extra",
            "fix(api): c",
            "Merge branch 'topic'",
        ])
    );
    let web = git
        .commits(Some("api-v1.0.0"), "HEAD", &["services/web".to_owned()])
        .unwrap();
    let web: BTreeSet<&str> = web.iter().map(|c| c.subject.as_str()).collect();
    assert_eq!(
        web,
        BTreeSet::from(["fix(web): b", "feat(web): style", "Merge branch 'topic'"])
    );
    // Several paths, a glob, and paths from the top whatever the working directory.
    let from_subdir = Git::new(repo.path().join("services/web"));
    let both = from_subdir
        .commits(
            Some("api-v1.0.0"),
            "HEAD",
            &["services/api/*.rs".to_owned(), "README.md".to_owned()],
        )
        .unwrap();
    let both: BTreeSet<&str> = both.iter().map(|c| c.subject.as_str()).collect();
    assert!(both.contains("docs: readme"));
    assert!(both.contains("feat(api): a"));
    assert!(!both.contains("fix(web): b"));
    // Pathspec magic passes through.
    let not_web = git
        .commits(
            Some("api-v1.0.0"),
            "HEAD",
            &[".".to_owned(), ":(exclude)services/web".to_owned()],
        )
        .unwrap();
    assert!(subjects(&not_web).contains(&"docs: readme"));
    assert!(!subjects(&not_web).contains(&"fix(web): b"));
}

#[test]
fn a_thousand_commits_parse_quickly_and_exactly() {
    let repo = GitRepo::new();
    repo.commit("chore: start");
    bulk_commits(&repo, 1000, |i| {
        format!(
            "feat(scope-{i}): thing {i} – ünïcode\n\nbody of {i}\r\nsecond line\n\nRefs: #{i}\n"
        )
    });
    let git = Git::new(repo.path());
    let started = Instant::now();
    let commits = git.commits(None, "HEAD", &[]).unwrap();
    eprintln!("1,001 commits read in {:?}", started.elapsed());
    assert_eq!(commits.len(), 1001);
    assert_eq!(commits[0].subject, "chore: start");
    assert_eq!(commits[1].subject, "feat(scope-0): thing 0 – ünïcode");
    assert_eq!(
        commits[1000].subject,
        "feat(scope-999): thing 999 – ünïcode"
    );
    assert_eq!(
        commits[500].body,
        "body of 499\r\nsecond line\n\nRefs: #499"
    );
    assert_eq!(commits[500].timestamp, 1_800_000_000 + 60 * 499);
    for pair in commits.windows(2) {
        assert_eq!(pair[1].parents, [pair[0].sha.clone()], "oldest first");
    }
}

#[test]
fn head_branch_and_empty_or_missing_repositories() {
    let empty = GitRepo::new();
    let git = Git::new(empty.path());
    assert!(matches!(git.head_sha(), Err(GitError::NoCommits { .. })));
    let message = git.head_sha().unwrap_err().to_string();
    assert!(message.contains("no commits"), "{message}");

    let repo = GitRepo::new();
    let c1 = repo.commit("feat: one");
    let git = Git::new(repo.path());
    assert_eq!(git.head_sha().unwrap(), c1);
    assert_eq!(git.current_branch(None).unwrap().as_deref(), Some("main"));
    assert_eq!(
        git.current_branch(Some("develop")).unwrap().as_deref(),
        Some("develop")
    );
    assert_eq!(
        git.current_branch(Some("refs/heads/release/1.x"))
            .unwrap()
            .as_deref(),
        Some("release/1.x")
    );
    assert_eq!(
        git.current_branch(Some("")).unwrap().as_deref(),
        Some("main")
    );
    repo.checkout(&c1);
    assert_eq!(git.current_branch(None).unwrap(), None);
    assert!(matches!(
        git.commits(None, "no-such-branch", &[]),
        Err(GitError::RevisionNotFound { .. })
    ));
    assert!(matches!(
        Git::new(empty.path()).commits(None, "HEAD", &[]),
        Err(GitError::NoCommits { .. })
    ));

    let not_repo = tempfile::tempdir().unwrap();
    assert!(matches!(
        Git::new(not_repo.path()).head_sha(),
        Err(GitError::Repo(RepoError::NotARepository { .. }))
    ));
}

#[test]
fn remote_url_comes_without_credentials() {
    let repo = GitRepo::new();
    repo.commit("chore: init");
    let git = Git::new(repo.path());
    assert_eq!(git.remote_url().unwrap(), None);
    repo.set_remote(
        "origin",
        "https://x-access-token:ghs_secret@github.com/acme/shop.git",
    );
    assert_eq!(
        git.remote_url().unwrap().as_deref(),
        Some("https://github.com/acme/shop.git")
    );
}

/// An origin with 50 commits, `v0.9.0` at the root, `v1.0.0` (annotated) on the 50th,
/// `commits_after` commits on top, and `v9.0.0` on a branch that is not merged.
fn origin_with_deep_tag(commits_after: usize) -> (GitRepo, String, String) {
    let origin = GitRepo::new();
    let root = origin.commit("chore: root");
    origin.tag("v0.9.0");
    bulk_commits(&origin, 49, |i| format!("fix: old {i}"));
    let tagged = origin.head();
    origin.tag_annotated("v1.0.0", "1.0.0");
    bulk_commits(&origin, commits_after, |i| format!("feat: new {i}"));
    origin.switch_new("other");
    origin.commit("feat!: elsewhere");
    origin.tag("v9.0.0");
    origin.checkout("main");
    (origin, root, tagged)
}

#[test]
fn a_shallow_clone_is_deepened_until_the_last_release_tag_and_no_further() {
    let (origin, root, tagged) = origin_with_deep_tag(300);
    let (_dir, path) = clone(origin.path(), &["--depth", "1", "--no-tags"]);
    let git = Git::new(&path);
    assert!(git.is_shallow().unwrap());
    assert!(git.tags_merged_into("HEAD", "v").unwrap().is_empty());

    let history = git.ensure_history("HEAD", "v", 10).unwrap();
    let notes = git.take_notes();
    assert!(!history.complete, "{history:?} {notes:?}");
    assert_eq!(history.remote_tags, Some(3));
    assert_eq!(history.fetched_tags, 1, "{notes:?}");
    assert!(notes.iter().any(|n| n.contains("deepening")), "{notes:?}");
    assert!(!notes.iter().any(|n| n.contains("unshallow")), "{notes:?}");
    let depth: usize = git_in(&path, &["rev-list", "--count", "HEAD"])
        .parse()
        .unwrap();
    assert!((301..351).contains(&depth), "bounded: {depth} commits");

    // v1.0.0 is there; v0.9.0 is below the cut; v9.0.0 is on another branch.
    let tags = git.tags_merged_into("HEAD", "v").unwrap();
    assert_eq!(set(&tags), BTreeSet::from([("v1.0.0", tagged.as_str())]));
    assert_eq!(git.tag_exists("v9.0.0").unwrap(), None);
    let commits = git.commits(Some(&tagged), "HEAD", &[]).unwrap();
    assert_eq!(commits.len(), 300);
    assert_eq!(commits[0].subject, "feat: new 0");

    // The whole history on request; then every merged tag is seen.
    assert!(git.unshallow().unwrap());
    let history = git.ensure_history("HEAD", "v", 10).unwrap();
    assert!(history.complete);
    let tags = git.tags_merged_into("HEAD", "v").unwrap();
    assert_eq!(
        set(&tags),
        BTreeSet::from([("v0.9.0", root.as_str()), ("v1.0.0", tagged.as_str())])
    );
    assert!(!git.unshallow().unwrap());
}

#[test]
fn a_tag_deeper_than_the_bounded_rounds_is_found_by_unshallowing() {
    let (origin, _root, tagged) = origin_with_deep_tag(150);
    let (_dir, path) = clone(
        origin.path(),
        &[
            "--depth",
            "1",
            "--single-branch",
            "--branch",
            "main",
            "--no-tags",
        ],
    );
    let git = Git::new(&path);
    // Rounds of 1, 2, 4, … 32 commits reach 64 commits: not the tag 150 below.
    let history = git.ensure_history("HEAD", "v", 1).unwrap();
    let notes = git.take_notes();
    assert!(history.complete, "{notes:?}");
    assert_eq!(
        notes.iter().filter(|n| n.contains("deepening")).count(),
        6,
        "{notes:?}"
    );
    assert!(notes.iter().any(|n| n.contains("--unshallow")), "{notes:?}");
    let tags = git.tags_merged_into("HEAD", "v").unwrap();
    assert!(set(&tags).contains(&("v1.0.0", tagged.as_str())));
    assert!(!set(&tags).iter().any(|(n, _)| *n == "v9.0.0"));
    // The branch was never fetched: the clone is still single-branch.
    assert_eq!(
        git_in(
            &path,
            &["for-each-ref", "--format=%(refname)", "refs/remotes"]
        ),
        "refs/remotes/origin/HEAD\nrefs/remotes/origin/main"
    );
}

#[test]
fn a_shallow_clone_without_release_tags_gets_every_commit() {
    let origin = GitRepo::new();
    origin.commit("chore: root");
    origin.tag("nightly"); // not a release tag
    bulk_commits(&origin, 40, |i| format!("feat: {i}"));
    let (_dir, path) = clone(origin.path(), &["--depth", "1", "--no-tags"]);
    let git = Git::new(&path);
    let history = git.ensure_history("HEAD", "v", 5).unwrap();
    assert!(history.complete);
    assert_eq!(history.remote_tags, Some(0));
    assert_eq!(git.commits(None, "HEAD", &[]).unwrap().len(), 41);
    let notes = git.take_notes();
    assert_eq!(notes.len(), 1, "straight to --unshallow: {notes:?}");
}

#[test]
fn a_complete_single_branch_clone_gets_the_tags_it_lacks() {
    let (origin, root, tagged) = origin_with_deep_tag(5);
    let (_dir, path) = clone(origin.path(), &["--single-branch", "--no-tags"]);
    let git = Git::new(&path);
    assert!(git.tags_merged_into("HEAD", "v").unwrap().is_empty());
    let history = git.ensure_history("HEAD", "v", 10).unwrap();
    assert!(history.complete);
    assert_eq!(history.fetched_tags, 2);
    let tags = git.tags_merged_into("HEAD", "v").unwrap();
    assert_eq!(
        set(&tags),
        BTreeSet::from([("v0.9.0", root.as_str()), ("v1.0.0", tagged.as_str())])
    );
    // Again: nothing to fetch.
    assert_eq!(git.ensure_history("HEAD", "v", 10).unwrap().fetched_tags, 0);
}

#[test]
fn without_a_remote_local_tags_are_used_and_a_shallow_clone_cannot_be_completed() {
    let repo = GitRepo::new();
    let c1 = repo.commit("feat: one");
    repo.tag("v1.0.0");
    let git = Git::new(repo.path());
    let history = git.ensure_history("HEAD", "v", 10).unwrap();
    assert!(history.complete);
    assert_eq!(history.remote_tags, None);
    assert_eq!(history.warnings.len(), 1, "{history:?}");
    assert_eq!(
        set(&git.tags_merged_into("HEAD", "v").unwrap()),
        BTreeSet::from([("v1.0.0", c1.as_str())])
    );

    let (origin, _, _) = origin_with_deep_tag(3);
    let (dir, path) = clone(origin.path(), &["--depth", "1", "--no-tags"]);
    git_in(
        &path,
        &[
            "remote",
            "set-url",
            "origin",
            &format!("file://{}/gone", dir.path().display()),
        ],
    );
    let error = Git::new(&path).ensure_history("HEAD", "v", 10).unwrap_err();
    assert!(
        matches!(error, GitError::Repo(RepoError::FetchFailed { .. })),
        "{error}"
    );
    assert!(error.to_string().contains("fetch-depth: 0"), "{error}");
}

#[test]
fn local_tags_that_differ_from_the_remote_are_kept_with_a_warning() {
    let (origin, _, tagged) = origin_with_deep_tag(3);
    let (_dir, path) = clone(origin.path(), &["--no-tags"]);
    let head = git_in(&path, &["rev-parse", "HEAD"]);
    git_in(&path, &["tag", "v1.0.0", &head]);
    let git = Git::new(&path);
    let history = git.ensure_history("HEAD", "v", 10).unwrap();
    assert!(
        history.warnings.iter().any(|w| w.contains("v1.0.0")),
        "{history:?}"
    );
    assert_eq!(git.tag_exists("v1.0.0").unwrap(), Some(head));
    assert_ne!(git.tag_exists("v1.0.0").unwrap(), Some(tagged));
}

#[test]
fn tags_are_created_once_and_pushed_release_tags_never_move() {
    let remote = GitRepo::bare();
    let repo = GitRepo::new();
    let c1 = repo.commit("feat: one");
    repo.set_remote("origin", &remote.path().display().to_string());
    repo.git(["push", "-q", "origin", "main"]);
    let git = Git::new(repo.path());

    let notes = "# 1.0.0\n\n## Features\n\n* one (abc1234)\n";
    assert_eq!(
        git.create_annotated_tag("v1.0.0", "HEAD", notes).unwrap(),
        LocalTag::Created
    );
    let object = repo.git(["cat-file", "-p", "refs/tags/v1.0.0"]);
    assert!(object.contains("# 1.0.0\n\n## Features"), "{object}");
    assert!(object.contains(&format!("object {c1}")), "{object}");
    assert_eq!(
        git.create_annotated_tag("v1.0.0", &c1, notes).unwrap(),
        LocalTag::AlreadyThere
    );
    assert_eq!(
        git.push_tags(&["v1.0.0"], false).unwrap(),
        [semantic_version::git::PushedTag {
            name: "v1.0.0".to_owned(),
            status: PushStatus::Created
        }]
    );
    assert_eq!(
        git.push_tags(&["v1.0.0"], false).unwrap()[0].status,
        PushStatus::UpToDate
    );
    assert_eq!(git_in(remote.path(), &["rev-parse", "v1.0.0^{commit}"]), c1);

    // Floating tags move, locally and on the remote.
    assert_eq!(git.set_floating_tag("v1", &c1).unwrap(), LocalTag::Created);
    git.push_tags(&["v1"], true).unwrap();
    let c2 = repo.commit("fix: two");
    assert_eq!(
        git.set_floating_tag("v1", &c2).unwrap(),
        LocalTag::Moved { from: c1.clone() }
    );
    assert_eq!(
        git.set_floating_tag("v1", &c2).unwrap(),
        LocalTag::AlreadyThere
    );
    assert_eq!(
        git.push_tags(&["v1"], true).unwrap()[0].status,
        PushStatus::Updated
    );
    assert_eq!(git_in(remote.path(), &["rev-parse", "v1^{commit}"]), c2);

    // A release tag at another commit: refused locally, and by the remote.
    let error = git.create_annotated_tag("v1.0.0", &c2, notes).unwrap_err();
    assert!(matches!(error, GitError::TagConflict { .. }), "{error}");
    assert!(error.to_string().contains(&c1), "{error}");
    git_in(remote.path(), &["tag", "v1.0.1", &c1]);
    git.create_annotated_tag("v1.0.1", &c2, "1.0.1").unwrap();
    let error = git.push_tags(&["v1.0.1"], false).unwrap_err();
    assert!(matches!(error, GitError::PushRejected { .. }), "{error}");
    assert!(error.to_string().contains("v1.0.1"), "{error}");
    assert_eq!(git_in(remote.path(), &["rev-parse", "v1.0.1"]), c1);

    assert!(matches!(
        git.create_annotated_tag("bad name", "HEAD", "x"),
        Err(GitError::InvalidTagName { .. })
    ));
    assert!(matches!(
        git.push_tags(&["--delete"], false),
        Err(GitError::InvalidTagName { .. })
    ));
    assert!(git.push_tags(&[], false).unwrap().is_empty());

    // A release is one atomic push: the refused version tag keeps the floating tag from moving.
    let c3 = repo.commit("fix: three");
    git.create_annotated_tag("v1.0.2", &c3, "1.0.2").unwrap();
    git_in(remote.path(), &["tag", "v1.0.2", &c1]);
    git.set_floating_tag("v1", &c3).unwrap();
    let error = git.push_release("v1.0.2", &["v1"]).unwrap_err();
    assert!(matches!(error, GitError::PushRejected { .. }), "{error}");
    assert_eq!(git_in(remote.path(), &["rev-parse", "v1^{commit}"]), c2);
    // Accepted: both land, the floating tag moved.
    git_in(remote.path(), &["tag", "-d", "v1.0.2"]);
    let pushed = git.push_release("v1.0.2", &["v1"]).unwrap();
    assert_eq!(pushed.len(), 2, "{pushed:?}");
    assert_eq!(git_in(remote.path(), &["rev-parse", "v1.0.2^{commit}"]), c3);
    assert_eq!(git_in(remote.path(), &["rev-parse", "v1^{commit}"]), c3);
    assert_eq!(
        git.remote_tag_commit("v1.0.2").unwrap().as_deref(),
        Some(c3.as_str())
    );
    assert_eq!(git.remote_tag_commit("v9.9.9").unwrap(), None);
}

#[test]
fn tags_are_signed_by_the_tagger_given() {
    let repo = GitRepo::new();
    let c1 = repo.commit("feat: one");
    let git = Git::new(repo.path()).with_tagger("Release Bot", "bot@example.invalid");
    git.create_annotated_tag("v1.0.0", &c1, "1.0.0").unwrap();
    let object = repo.git(["cat-file", "-p", "refs/tags/v1.0.0"]);
    assert!(
        object.contains("tagger Release Bot <bot@example.invalid>"),
        "{object}"
    );
}

#[test]
fn the_release_commit_is_made_beside_the_checkout_and_the_same_on_a_rerun() {
    let repo = GitRepo::new();
    repo.write("Cargo.toml", "[package]\nversion = \"1.0.0\"\n");
    repo.write("run.sh", "#!/bin/sh\n");
    repo.commit("feat: start");
    // Executable in git whatever the file system says (`git add -A` would reset it).
    git_in(repo.path(), &["update-index", "--chmod=+x", "run.sh"]);
    git_in(repo.path(), &["commit", "-q", "-m", "chore: executable"]);
    let head = git_in(repo.path(), &["rev-parse", "HEAD"]);
    // A dirty checkout: the release commit neither takes nor touches it.
    repo.write("Cargo.toml", "[package]\nversion = \"local edit\"\n");
    let origin = GitRepo::bare();
    repo.set_remote("origin", &origin.path().to_string_lossy());
    let git = Git::new(repo.path()).with_tagger("Release Bot", "bot@example.com");
    let files = [
        semantic_version::git::ChangedFile {
            path: "Cargo.toml".into(),
            content: b"[package]\nversion = \"1.1.0\"\n".to_vec(),
        },
        semantic_version::git::ChangedFile {
            path: "run.sh".into(),
            content: b"#!/bin/sh\necho 1.1.0\n".to_vec(),
        },
        semantic_version::git::ChangedFile {
            path: "CHANGELOG.md".into(),
            content: b"# Changelog\n".to_vec(),
        },
    ];
    let head = head.trim();
    let sha = git
        .commit_files(head, &files, "chore(release): v1.1.0")
        .unwrap();
    assert_eq!(
        git_in(repo.path(), &["rev-parse", &format!("{sha}^")]),
        head
    );
    assert_eq!(
        git_in(repo.path(), &["show", &format!("{sha}:Cargo.toml")]),
        "[package]\nversion = \"1.1.0\""
    );
    assert_eq!(
        git_in(repo.path(), &["diff", "--name-only", head, &sha]),
        "CHANGELOG.md\nCargo.toml\nrun.sh"
    );
    // Modes kept; identity and date as promised.
    assert!(git_in(repo.path(), &["ls-tree", &sha, "run.sh"]).starts_with("100755"));
    assert_eq!(
        git_in(repo.path(), &["show", "-s", "--format=%an|%ct", &sha]),
        git_in(
            repo.path(),
            &["show", "-s", "--format=Release Bot|%ct", head]
        )
    );
    // The checkout is as the job left it.
    assert_eq!(git_in(repo.path(), &["rev-parse", "HEAD"]), head);
    assert!(git_in(repo.path(), &["status", "--porcelain"]).contains("M Cargo.toml"));
    // A re-run makes the same commit.
    assert_eq!(
        git.commit_files(head, &files, "chore(release): v1.1.0")
            .unwrap(),
        sha
    );
    assert_eq!(
        git.file_at(head, "Cargo.toml").unwrap().unwrap(),
        b"[package]\nversion = \"1.0.0\"\n"
    );
    assert_eq!(git.file_at(head, "missing").unwrap(), None);

    // Pushed to a branch by force, read back, then refused as a non-fast-forward.
    git.push_branch(&sha, "gantry-release/main", true).unwrap();
    assert_eq!(
        git.remote_branch("gantry-release/main").unwrap().as_deref(),
        Some(sha.as_str())
    );
    assert_eq!(git.remote_branch("nope").unwrap(), None);
    assert!(matches!(
        git.push_branch(head, "gantry-release/main", false),
        Err(GitError::PushRejected { .. })
    ));
    assert!(git.is_ancestor(head, &sha).unwrap());
    assert!(!git.is_ancestor(&sha, head).unwrap());
    assert!(!git.is_ancestor(&"f".repeat(40), head).unwrap());
}

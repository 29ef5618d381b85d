//! The GitRepo builder.

use gantry_testkit::GitRepo;

fn history(repo: &GitRepo) -> (String, String, String) {
    let base = repo
        .write("svc/api/main.rs", "fn main() {}\n")
        .commit("feat(api): start");
    repo.switch_new("feature");
    let feature = repo.commit_files(&[("svc/web/index.html", "<p>hi</p>\n")], "fix(web): page");
    repo.checkout("main");
    let merge = repo.merge("feature", "Merge branch 'feature'");
    (base, feature, merge)
}

#[test]
fn the_same_history_gives_the_same_shas() {
    let a = GitRepo::new();
    let b = GitRepo::new();
    assert_eq!(history(&a), history(&b));
    // and the SHA is pinned: identity, dates and messages are all fixed
    let (base, _, _) = history(&GitRepo::new());
    assert_eq!(base, "080f1166d35aa06e0308f056cc3704fd1d1f2b2d");
    assert_eq!(
        a.git(["log", "-1", "--format=%an <%ae> %at %ct", &base]),
        "Gantry Test <test@gantry.invalid> 1704067200 1704067200"
    );
}

#[test]
fn commits_branches_and_merges() {
    let repo = GitRepo::new();
    let (base, feature, merge) = history(&repo);
    assert_eq!(repo.git(["rev-parse", "--abbrev-ref", "HEAD"]), "main");
    assert_eq!(repo.head(), merge);
    assert_eq!(repo.rev_parse("feature"), feature);
    assert_eq!(repo.rev_parse("HEAD^1"), base);
    assert_eq!(repo.rev_parse("HEAD^2"), feature);
    assert_eq!(
        repo.git(["log", "-1", "--format=%s", "HEAD"]),
        "Merge branch 'feature'"
    );
    assert_eq!(
        repo.git(["diff", "--name-status", &base, &merge]),
        "A\tsvc/web/index.html"
    );
    // dates step by one minute per commit
    assert_eq!(
        repo.git(["log", "--format=%ct", "-3"]),
        "1704067320\n1704067260\n1704067200"
    );

    repo.branch("release");
    assert_eq!(repo.rev_parse("release"), merge);
    repo.remove("svc/api/main.rs");
    let removed = repo.commit("refactor(api)!: drop main");
    assert_eq!(
        repo.git(["show", "--name-status", "--format=", &removed]),
        "D\tsvc/api/main.rs"
    );
    let empty = repo.commit("chore: empty");
    assert_ne!(empty, removed);
}

#[test]
fn lightweight_and_annotated_tags() {
    let repo = GitRepo::new();
    let first = repo.write("a", "1").commit("feat: a");
    assert_eq!(repo.tag("v1.0.0"), first);
    assert_eq!(repo.git(["cat-file", "-t", "v1.0.0"]), "commit");

    let second = repo.write("a", "2").commit("fix: a");
    let tag_object = repo.tag_annotated("v1.0.1", "release 1.0.1");
    assert_ne!(tag_object, second);
    assert_eq!(repo.git(["cat-file", "-t", &tag_object]), "tag");
    assert_eq!(repo.rev_parse("v1.0.1^{commit}"), second);
    assert_eq!(
        repo.git([
            "for-each-ref",
            "--format=%(taggername) %(taggeremail)",
            "refs/tags/v1.0.1"
        ]),
        "Gantry Test <test@gantry.invalid>"
    );
    assert_eq!(
        repo.git(["tag", "--list", "--sort=v:refname"]),
        "v1.0.0\nv1.0.1"
    );
}

#[test]
fn remotes_and_pushing_tags_to_a_bare_repository() {
    let repo = GitRepo::new();
    let sha = repo.write("a", "1").commit("feat: a");
    repo.tag("v0.1.0");
    let remote = GitRepo::bare();
    repo.set_remote("origin", &remote.path().display().to_string());
    repo.set_remote("origin", &remote.path().display().to_string()); // replacing is fine
    repo.git(["push", "-q", "origin", "main", "--tags"]);
    assert_eq!(remote.rev_parse("refs/tags/v0.1.0"), sha);
    assert_eq!(remote.rev_parse("main"), sha);
}

#[test]
fn a_failing_git_command_panics_with_stderr() {
    let repo = GitRepo::new();
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        repo.checkout("no-such-branch");
    }))
    .unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(
        msg.starts_with("git checkout -q no-such-branch failed in "),
        "{msg}"
    );
    assert!(msg.contains("no-such-branch"), "{msg}");
}

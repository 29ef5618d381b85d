//! semantic-version through a real workflow runner (act): the action's JavaScript shim runs
//! the binary in a release job, and a later job deploys the version it computed. The tag is
//! created locally only (the repository has no remote), and no GitHub release is made: no
//! network.
// Needs the local services of scripts/services (scripts/test enables the feature).
#![cfg(feature = "local-services")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use gantry_testkit::{Act, GitRepo};

#[test]
fn a_release_job_computes_the_version_and_a_later_job_uses_it() {
    let repo = GitRepo::new();
    repo.install_action(
        "semantic-version",
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/release.yml"),
    );
    let before = repo.commit("feat: first");
    repo.git(["tag", "-a", "v1.4.2", "-m", "v1.4.2"]);
    repo.write("src/lib.rs", "// more\n");
    repo.commit("fix: a bug");
    repo.write("src/new.rs", "// new\n");
    let after = repo.commit("feat(api): a feature");
    repo.git(["branch", "-M", "main"]);

    let payload = serde_json::json!({
        "ref": "refs/heads/main",
        "before": before,
        "after": after,
        "created": false,
        "deleted": false,
        "forced": false,
        "repository": { "default_branch": "main", "full_name": "acme/app" },
        "head_commit": { "id": after }
    });
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_semantic-version"))
        .parent()
        .unwrap();
    let run = Act::new(repo.path(), ".github/workflows/release.yml")
        .event("push")
        .event_json(payload)
        .env("GANTRY_BIN_DIR", bin_dir)
        .run();
    run.assert_success();

    assert_eq!(
        run.output("release", "version", "version").as_deref(),
        Some("1.5.0"),
        "{}",
        run.report()
    );
    assert_eq!(
        run.output("release", "version", "bump").as_deref(),
        Some("minor"),
        "{}",
        run.report()
    );
    assert_eq!(
        run.output("deploy", "deploy", "deployed").as_deref(),
        Some("v1.5.0 (1.5.0)"),
        "{}",
        run.report()
    );
}

/// `mode: release-pr` through act: a push opens the release pull request (on the loopback
/// GitHub stand-in: there is no local GitHub), its merge releases.
#[test]
fn a_push_opens_the_release_pull_request_and_its_merge_releases() {
    let repo = GitRepo::new();
    repo.install_action(
        "semantic-version",
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/release-pr.yml"),
    );
    repo.write("VERSION", "1.2.3\n");
    repo.commit("feat: first");
    repo.git(["branch", "-M", "main"]);
    repo.git(["tag", "-a", "v1.2.3", "-m", "v1.2.3"]);
    let origin = GitRepo::bare();
    repo.set_remote("origin", &origin.path().to_string_lossy());
    repo.write("src/new.rs", "// new\n");
    repo.commit("feat(api): a feature");
    repo.git(["push", "-q", "origin", "main", "v1.2.3"]);
    let github = gantry_testkit::ReleasesStandIn::start("acme/app", "ghs_actReleasePr");
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_semantic-version"))
        .parent()
        .unwrap();
    let act = |after: &str| {
        Act::new(repo.path(), ".github/workflows/release-pr.yml")
            .event("push")
            .event_json(serde_json::json!({
                "ref": "refs/heads/main",
                "after": after,
                "repository": { "default_branch": "main", "full_name": "acme/app" },
                "head_commit": { "id": after }
            }))
            .env("GANTRY_BIN_DIR", bin_dir)
            .secret("RELEASE_TOKEN", "ghs_actReleasePr")
            // act's own GITHUB_API_URL and GITHUB_REPOSITORY, pointed at the stand-in.
            .args([
                "--env",
                &format!("GITHUB_API_URL={}", github.api_url()),
                "--env",
                "GITHUB_REPOSITORY=acme/app",
            ])
            .run()
    };
    let head = repo.git(["rev-parse", "HEAD"]);
    let run = act(head.trim());
    run.assert_success();
    assert_eq!(
        run.output("release", "version", "release-pr").as_deref(),
        Some("1"),
        "{}",
        run.report()
    );
    assert_eq!(
        run.output("release", "version", "released").as_deref(),
        Some("false")
    );
    let pulls = github.pulls();
    assert_eq!(pulls.len(), 1, "{pulls:?}");
    assert_eq!(pulls[0].title, "release: v1.3.0");
    assert_eq!(origin.git(["show", "gantry-release/main:VERSION"]), "1.3.0");

    // The maintainer merges it; the push of the merge releases.
    repo.git(["fetch", "-q", "origin", "gantry-release/main"]);
    repo.git([
        "merge",
        "-q",
        "--no-ff",
        "FETCH_HEAD",
        "-m",
        "Merge pull request #1",
    ]);
    repo.git(["push", "-q", "origin", "main"]);
    let merge = repo.git(["rev-parse", "HEAD"]);
    github.merge_pull(1, merge.trim());
    let run = act(merge.trim());
    run.assert_success();
    assert_eq!(
        run.output("release", "version", "released").as_deref(),
        Some("true"),
        "{}",
        run.report()
    );
    assert_eq!(
        origin.git(["rev-parse", "v1.3.0^{commit}"]),
        merge.trim(),
        "{}",
        run.report()
    );
    let release = github.release("v1.3.0").expect("the GitHub release");
    assert!(release.body.contains("a feature"), "{}", release.body);
    assert!(github.pull(1).unwrap().has_label("autorelease: tagged"));
}

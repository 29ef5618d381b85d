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

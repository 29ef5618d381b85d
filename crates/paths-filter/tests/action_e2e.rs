//! paths-filter through a real workflow runner (act): the action's JavaScript shim runs the
//! binary, the detect job's outputs feed a matrix, and one build job runs per changed service.
// Needs the local services of scripts/services (scripts/test enables the feature).
#![cfg(feature = "local-services")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use gantry_testkit::{Act, GitRepo};

#[test]
fn changed_services_each_get_one_matrix_job() {
    let repo = GitRepo::new();
    repo.install_action(
        "paths-filter",
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/monorepo.yml"),
    );
    for service in ["api", "web", "worker"] {
        repo.write(format!("services/{service}/main.rs"), "fn main() {}\n");
    }
    repo.write("libs/common/lib.rs", "// shared\n");
    let before = repo.commit("feat: three services");
    repo.write("services/api/main.rs", "fn main() { api() }\n");
    repo.write("services/api/handlers/users.rs", "// new\n");
    repo.write("README.md", "# unrelated\n");
    let after = repo.commit("feat(api): users");
    repo.git(["branch", "-M", "main"]);

    let payload = serde_json::json!({
        "ref": "refs/heads/main",
        "before": before,
        "after": after,
        "created": false,
        "deleted": false,
        "forced": false,
        "repository": { "default_branch": "main", "full_name": "acme/monorepo" },
        "head_commit": { "id": after }
    });
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_paths-filter"))
        .parent()
        .unwrap();
    let run = Act::new(repo.path(), ".github/workflows/monorepo.yml")
        .event("push")
        .event_json(payload)
        .env("GANTRY_BIN_DIR", bin_dir)
        .run();
    run.assert_success();

    assert_eq!(
        run.output("detect", "filter", "changes").as_deref(),
        Some(r#"["api"]"#),
        "{}",
        run.report()
    );
    assert_eq!(
        run.output("detect", "filter", "api_files").as_deref(),
        Some(r#"["services/api/handlers/users.rs","services/api/main.rs"]"#),
        "{}",
        run.report()
    );
    let built: Vec<String> = run
        .outputs()
        .into_iter()
        .filter(|o| o.name == "built")
        .map(|o| o.value)
        .collect();
    assert_eq!(built, ["api"], "{}", run.report());
    let dirs: Vec<String> = run
        .outputs()
        .into_iter()
        .filter(|o| o.name == "dirs")
        .map(|o| o.value)
        .collect();
    assert_eq!(
        dirs,
        [r#"["services/api","services/api/handlers"]"#],
        "{}",
        run.report()
    );
}

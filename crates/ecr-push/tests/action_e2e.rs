//! ecr-push through a real workflow runner (act): a matrix job builds and pushes two services
//! (`FROM scratch` images) with the action's JavaScript shim; ECR's API is moto, the data plane
//! the local registry, the build the local Docker engine.
// Needs the local services of scripts/services (scripts/test enables the feature).
#![cfg(feature = "local-services")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::path::Path;

use common::*;
use gantry_testkit::{Act, GitRepo, Services};

#[test]
fn a_matrix_builds_and_pushes_two_services() {
    let services = Services::get();
    let prefix = unique_repo("e2e");
    let workflow_dir = tempfile::tempdir().unwrap();
    let workflow = workflow_dir.path().join("images.yml");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/images.yml"),
    )
    .unwrap()
    .replace("__PREFIX__", &prefix)
    .replace("__REGISTRY__", &services.registry())
    .replace("__DOCKER__", &services.docker().display().to_string());
    std::fs::write(&workflow, text).unwrap();

    let repo = GitRepo::new();
    repo.install_action("ecr-push", &workflow);
    for service in ["api", "web"] {
        repo.write(
            format!("services/{service}/Dockerfile"),
            "FROM scratch\nCOPY app.txt /app.txt\n",
        );
        repo.write(
            format!("services/{service}/app.txt"),
            format!("{service}\n"),
        );
    }
    let sha = repo.commit("feat: two services");
    repo.git(["branch", "-M", "main"]);

    let bin_dir = Path::new(env!("CARGO_BIN_EXE_ecr-push")).parent().unwrap();
    let run = Act::new(repo.path(), ".github/workflows/images.yml")
        .event("push")
        .event_json(serde_json::json!({
            "ref": "refs/heads/main",
            "after": sha,
            "repository": { "default_branch": "main", "full_name": "acme/shop" },
            "head_commit": { "id": sha }
        }))
        .env("GANTRY_BIN_DIR", bin_dir)
        .env("DOCKER_HOST", services.docker_host())
        .envs(services.aws_env())
        .run();
    run.assert_success();

    let seen: Vec<String> = run
        .outputs()
        .into_iter()
        .filter(|o| o.step == "check" && o.name == "seen")
        .map(|o| o.value)
        .collect();
    assert_eq!(seen.len(), 2, "{}", run.report());
    let short = &sha[..7];
    for service in ["api", "web"] {
        let repository = format!("{prefix}/{service}");
        let digest = registry_digest(&repository, &format!("sha-{short}"))
            .unwrap_or_else(|| panic!("{repository} has no sha-{short}:\n{}", run.report()));
        assert_eq!(registry_digest(&repository, "e2e"), Some(digest.clone()));
        let line = format!(
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/{repository}@{digest} [\"sha-{short}\",\"e2e\"]"
        );
        assert!(seen.contains(&line), "{seen:?} lacks {line}");
    }
}

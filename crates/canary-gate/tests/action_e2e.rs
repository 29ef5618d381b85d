//! canary-gate through a real workflow runner (act): a staging gate job runs the action's
//! JavaScript shim in probe mode against a real HTTP server on loopback, and the deploy job
//! runs only when the gate promotes.
// Needs the local services of scripts/services (scripts/test enables the feature).
#![cfg(feature = "local-services")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use std::path::Path;

use gantry_testkit::{Act, GitRepo};
use support::HttpServer;

fn run_gate(server: &HttpServer) -> gantry_testkit::ActRun {
    let repo = GitRepo::new();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/staging-gate.yml");
    repo.install_action("canary-gate", &fixture);
    // The fixture with this test's server in it.
    let text = std::fs::read_to_string(&fixture)
        .unwrap()
        .replace("__URL__", &server.url("/health"));
    repo.write(".github/workflows/staging-gate.yml", text);
    repo.commit("ci: staging gate");
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_canary-gate"))
        .parent()
        .unwrap();
    Act::new(repo.path(), ".github/workflows/staging-gate.yml")
        .env("GANTRY_BIN_DIR", bin_dir)
        .run()
}

#[test]
fn a_healthy_staging_passes_the_gate_and_the_deploy_runs() {
    let server = HttpServer::start();
    let run = run_gate(&server);
    run.assert_success();
    assert_eq!(
        run.output("gate", "gate", "decision").as_deref(),
        Some("promote"),
        "{}",
        run.report()
    );
    assert_eq!(
        run.output("deploy", "deploy", "deployed").as_deref(),
        Some("after promote"),
        "{}",
        run.report()
    );
    assert_eq!(server.requests(), 20);
}

#[test]
fn a_failing_staging_stops_the_deploy() {
    let server = HttpServer::start();
    server.set_status(500);
    let run = run_gate(&server);
    run.assert_failure();
    assert_eq!(
        run.job_result("gate").as_deref(),
        Some("failure"),
        "{}",
        run.report()
    );
    assert_ne!(
        run.job_result("deploy").as_deref(),
        Some("success"),
        "{}",
        run.report()
    );
}

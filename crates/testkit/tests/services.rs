//! Discovery against the real services (`scripts/services start`), and the
//! loud failures when a service or tool is missing.
// Needs the local services of scripts/services (scripts/test enables the feature).
#![cfg(feature = "local-services")]
// The helpers below are test code outside #[test] functions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::Command;

use gantry_testkit::{Services, workspace_root};

/// The panic message of `f`, which must panic.
fn panic_message(f: impl FnOnce()) -> String {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// A loopback port that nothing listens on.
fn dead_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn finds_the_running_services() {
    let s = Services::get();
    let moto = s.moto_url();
    assert!(moto.starts_with("http://127.0.0.1:"), "{moto}");
    let registry = s.registry();
    assert!(registry.starts_with("127.0.0.1:"), "{registry}");
    let docker = s.docker_host();
    assert!(docker.starts_with("unix:///"), "{docker}");
    for tool in [
        s.act(),
        s.zizmor(),
        s.actionlint(),
        s.moto_server(),
        s.python(),
        s.skopeo(),
        s.docker(),
    ] {
        assert!(tool.is_absolute(), "{}", tool.display());
    }
    assert!(
        s.webhook_examples()
            .join("api.github.com/index.json")
            .is_file()
    );
    let env = s.aws_env();
    assert!(env.contains(&("AWS_ENDPOINT_URL".to_string(), moto)));
}

#[test]
fn the_env_file_alone_is_enough() {
    // No GANTRY_* variables: everything comes from <root>/.services/env.
    let s = Services::new(workspace_root(), std::iter::empty::<(String, String)>());
    assert!(s.moto_url().starts_with("http://127.0.0.1:"));
    assert!(s.registry().starts_with("127.0.0.1:"));
    assert!(s.docker_host().starts_with("unix:///"));
}

#[test]
fn a_dead_moto_port_fails_loudly() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{}", dead_port());
    let s = Services::new(dir.path(), [("GANTRY_MOTO_URL", url.as_str())]);
    let msg = panic_message(|| {
        s.moto_url();
    });
    assert!(
        msg.starts_with(&format!(
            "the AWS emulator (moto) is not running at {url} (GANTRY_MOTO_URL from the environment): cannot connect"
        )),
        "{msg}"
    );
    assert!(
        msg.ends_with(
            "start it with 'scripts/services start' (or run the full suite with scripts/test)"
        ),
        "{msg}"
    );
}

#[test]
fn a_dead_registry_and_docker_socket_fail_loudly() {
    let dir = tempfile::tempdir().unwrap();
    let registry = format!("127.0.0.1:{}", dead_port());
    let socket = format!("unix://{}/docker.sock", dir.path().display());
    let s = Services::new(
        dir.path(),
        [
            ("GANTRY_REGISTRY", registry.as_str()),
            ("GANTRY_DOCKER_HOST", socket.as_str()),
        ],
    );
    let msg = panic_message(|| {
        s.registry();
    });
    assert!(
        msg.contains("the OCI registry (docker-registry) is not running at 127.0.0.1:"),
        "{msg}"
    );
    assert!(msg.contains("scripts/services start"), "{msg}");
    let msg = panic_message(|| {
        s.docker_host();
    });
    assert!(
        msg.contains("the Docker engine (dockerd) is not running at unix://"),
        "{msg}"
    );
    assert!(msg.contains("scripts/services start"), "{msg}");
}

#[test]
fn an_answer_that_is_not_200_fails_loudly() {
    // The registry's address pointing at moto: GET /v2/ is a 404 there.
    let moto = Services::get().moto_url();
    let dir = tempfile::tempdir().unwrap();
    let addr = moto.trim_start_matches("http://").to_string();
    let s = Services::new(dir.path(), [("GANTRY_REGISTRY", addr.as_str())]);
    let msg = panic_message(|| {
        s.registry();
    });
    assert!(msg.contains("GET /v2/ answered HTTP 404, not 200"), "{msg}");
}

#[test]
fn no_services_started_says_how_to_start_them() {
    let dir = tempfile::tempdir().unwrap();
    let s = Services::new(dir.path(), std::iter::empty::<(String, String)>());
    let msg = panic_message(|| {
        s.moto_url();
    });
    assert_eq!(
        msg,
        format!(
            "the AWS emulator (moto) is not running: GANTRY_MOTO_URL is not set and {}/.services/env does not exist: start it with 'scripts/services start' (or run the full suite with scripts/test)",
            dir.path().display()
        )
    );
}

#[test]
fn a_missing_tool_says_run_setup() {
    let dir = tempfile::tempdir().unwrap();
    let s = Services::new(dir.path(), std::iter::empty::<(String, String)>());
    let msg = panic_message(|| {
        s.act();
    });
    assert!(msg.starts_with("act is not installed: "), "{msg}");
    assert!(
        msg.contains("/.tools/bin/act (the default path: GANTRY_ACT is not set)"),
        "{msg}"
    );
    assert!(msg.ends_with("run scripts/setup"), "{msg}");
    let msg = panic_message(|| {
        s.webhook_examples();
    });
    assert!(msg.ends_with("run scripts/setup"), "{msg}");
}

#[test]
fn webhook_examples_are_real_payloads() {
    let s = Services::get();
    let push = s.webhook_example("push", None);
    assert!(push["ref"].as_str().unwrap().starts_with("refs/"));
    assert_eq!(push["after"].as_str().unwrap().len(), 40);
    let pr = s.webhook_example("pull_request", Some("opened"));
    assert_eq!(pr["action"], "opened");
    assert!(pr["number"].is_u64());
    let msg = panic_message(|| {
        s.webhook_example("no_such_event", None);
    });
    assert!(
        msg.contains("no webhook examples for event \"no_such_event\""),
        "{msg}"
    );
    assert!(msg.contains("merge_group"), "{msg}");
}

#[test]
fn actionlint_reports_a_broken_workflow() {
    let s = Services::get();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yml");
    std::fs::write(
        &bad,
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.no_such_thing }}\n",
    )
    .unwrap();
    let good = dir.path().join("good.yml");
    std::fs::write(
        &good,
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ok\n",
    )
    .unwrap();
    let out = Command::new(s.actionlint()).arg(&good).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let out = Command::new(s.actionlint())
        .args(["-format", "{{json .}}"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let findings: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(findings[0]["line"], 6);
    assert_eq!(findings[0]["kind"], "expression");
    assert!(
        findings[0]["message"]
            .as_str()
            .unwrap()
            .contains("no_such_thing")
    );
}

#[test]
fn docker_builds_from_scratch_and_pushes_to_the_registry() {
    let s = Services::get();
    let registry = s.registry();
    let ctx = tempfile::tempdir().unwrap();
    std::fs::write(ctx.path().join("hello.txt"), "hello from gantry-testkit\n").unwrap();
    std::fs::write(
        ctx.path().join("Dockerfile"),
        "FROM scratch\nCOPY hello.txt /hello.txt\n",
    )
    .unwrap();
    let image = format!("{registry}/testkit/hello:{}", std::process::id());
    let out = s
        .docker_command()
        .env("DOCKER_BUILDKIT", "1")
        .args(["build", "-q", "-t", &image])
        .arg(ctx.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "docker build: {out:?}");
    let out = s.docker_command().args(["push", &image]).output().unwrap();
    assert!(out.status.success(), "docker push: {out:?}");
    let pushed = String::from_utf8_lossy(&out.stdout);
    assert!(pushed.contains("digest: sha256:"), "{pushed}");
    // Read it back through the registry with skopeo.
    let out = Command::new(s.skopeo())
        .args(["inspect", "--tls-verify=false", "--raw"])
        .arg(format!("docker://{image}"))
        .output()
        .unwrap();
    assert!(out.status.success(), "skopeo inspect: {out:?}");
    let manifest: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(manifest["schemaVersion"], 2);
    assert_eq!(manifest["layers"].as_array().unwrap().len(), 1);
    let _ = s.docker_command().args(["rmi", "-f", &image]).output();
}

//! The workflow harness works end to end: act runs a workflow that calls our composite action,
//! the binary reads its mapped inputs, masks the secret, writes outputs (multi-line ones and one
//! full of heredoc look-alikes), and a later job reads them through `needs`.
// Needs the local services of scripts/services (scripts/test enables the feature).
#![cfg(feature = "local-services")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use gantry_testkit::{Act, GitRepo, workspace_root};

const SECRET: &str = "pr0be-s3cret-value";

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[test]
fn composite_action_outputs_reach_a_later_job() {
    let root = workspace_root();
    let repo = GitRepo::new();
    copy_dir(
        &root.join("tests/fixtures/actions/probe"),
        &repo.path().join("actions/probe"),
    );
    std::fs::create_dir_all(repo.path().join(".github/workflows")).unwrap();
    std::fs::copy(
        root.join("tests/fixtures/workflows/smoke.yml"),
        repo.path().join(".github/workflows/smoke.yml"),
    )
    .unwrap();
    repo.commit("ci: smoke workflow");

    let probe = Path::new(env!("CARGO_BIN_EXE_gantry-probe"));
    let run = Act::new(repo.path(), ".github/workflows/smoke.yml")
        .event("push")
        .env("GANTRY_BIN_DIR", probe.parent().unwrap())
        .secret("PROBE_SECRET", SECRET)
        .run();
    run.assert_success();

    assert_eq!(
        run.job_result("produce").as_deref(),
        Some("success"),
        "{}",
        run.report()
    );
    assert_eq!(
        run.job_result("consume").as_deref(),
        Some("success"),
        "{}",
        run.report()
    );
    let out = |name: &str| {
        run.output("consume", "check", name)
            .unwrap_or_else(|| panic!("no output {name}:\n{}", run.report()))
    };
    // `loud: "True"` is a YAML 1.2 boolean; the binary upper-cases.
    assert_eq!(out("greeting"), "HELLO FROM ACT");
    assert_eq!(out("count"), "2");
    assert_eq!(out("items"), "api\nweb service");
    assert_eq!(
        out("tricky"),
        "line one\n<<EOF\nEOF\nghadelimiter_x\n%25 and ::notice::not a command"
    );

    // The binary printed the secret on purpose: the runner shows it masked. act's JSON log
    // keeps the raw `::add-mask::` command (what the runner receives), so that is the one
    // place the value may appear; every message a person sees must be clean.
    assert!(!run.stderr.contains(SECRET), "secret leaked on stderr");
    for event in run.events() {
        let is_mask_command = event["command"] == "add-mask";
        let msg = event["msg"].as_str().unwrap_or_default();
        assert!(!msg.contains(SECRET), "secret shown in the log: {event}");
        if !is_mask_command {
            assert!(
                !event.to_string().contains(SECRET),
                "secret leaked: {event}"
            );
        }
    }
    assert!(
        run.events().iter().any(|e| e["command"] == "add-mask"),
        "the binary never asked the runner to mask the secret"
    );
    assert!(
        run.printed("produce").contains("the secret is ***"),
        "masked line missing:\n{}",
        run.report()
    );
}

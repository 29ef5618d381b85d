//! Workflows run with act on the host: job outputs, `needs`, a local
//! composite action with its input mapped through `env:`, failures.
// Needs the local services of scripts/services (scripts/test enables the feature).
#![cfg(feature = "local-services")]

use gantry_testkit::{Act, GitRepo, Services, run_act};

const GREET_ACTION: &str = r#"name: greet
description: a local composite action
inputs:
  who:
    description: whom to greet
    required: true
outputs:
  greeting:
    description: the greeting
    value: ${{ steps.g.outputs.greeting }}
runs:
  using: composite
  steps:
    - id: g
      shell: bash
      env:
        INPUT_WHO: ${{ inputs.who }}
      run: echo "greeting=hello $INPUT_WHO" >> "$GITHUB_OUTPUT"
"#;

const WORKFLOW: &str = r#"name: probe
on: [push, workflow_dispatch]
jobs:
  first:
    runs-on: ubuntu-latest
    outputs:
      value: ${{ steps.s.outputs.value }}
    steps:
      - id: s
        run: |
          echo "value=from-first" >> "$GITHUB_OUTPUT"
          {
            echo "multi<<EOF_d41d8cd9"
            printf 'line 1\nline 2\n'
            echo "EOF_d41d8cd9"
          } >> "$GITHUB_OUTPUT"
          echo "repo=$GITHUB_REPOSITORY sha=$GITHUB_SHA event=$GITHUB_EVENT_NAME probe=$PROBE_VAR"
  second:
    needs: first
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: greet
        uses: ./actions/greet
        with:
          who: ${{ needs.first.outputs.value }}
      - run: echo "said ${{ steps.greet.outputs.greeting }}"
"#;

fn repo() -> (GitRepo, String) {
    let repo = GitRepo::new();
    repo.set_remote("origin", "https://github.com/acme/shop.git");
    let sha = repo.commit_files(
        &[
            ("actions/greet/action.yml", GREET_ACTION),
            (".github/workflows/probe.yml", WORKFLOW),
        ],
        "ci: probe",
    );
    (repo, sha)
}

#[test]
fn outputs_needs_and_a_local_composite_action() {
    let (repo, sha) = repo();
    // A real push payload, pointed at this repository's HEAD: for push act
    // takes GITHUB_REF from `ref` and GITHUB_SHA from `after`.
    let mut push = Services::get().webhook_example("push", None);
    push["ref"] = "refs/heads/main".into();
    push["after"] = sha.clone().into();
    let run = Act::new(repo.path(), ".github/workflows/probe.yml")
        .event("push")
        .event_json(push)
        .env("PROBE_VAR", "passed-through")
        .run();
    run.assert_success();
    assert_eq!(run.job_result("first").as_deref(), Some("success"));
    assert_eq!(run.job_result("second").as_deref(), Some("success"));
    assert_eq!(
        run.output("first", "s", "value").as_deref(),
        Some("from-first")
    );
    assert_eq!(
        run.output("first", "s", "multi").as_deref(),
        Some("line 1\nline 2")
    );
    assert_eq!(
        run.output("second", "greet/g", "greeting").as_deref(),
        Some("hello from-first")
    );
    assert_eq!(
        run.output("second", "greet", "greeting").as_deref(),
        Some("hello from-first")
    );
    assert!(
        run.printed("first").contains(&format!(
            "repo=acme/shop sha={sha} event=push probe=passed-through"
        )),
        "{}",
        run.report()
    );
    assert!(run.printed("second").contains("said hello from-first"));
    assert!(
        run.log()
            .contains("[probe/second]   | said hello from-first")
    );
}

#[test]
fn the_test_process_environment_does_not_leak_into_steps() {
    let (repo, _) = repo();
    // AWS_PROFILE etc. of a developer's shell must not reach a workflow:
    // only PATH, HOME and a few more are kept.
    let run = run_act(
        repo.path(),
        ".github/workflows/probe.yml",
        "workflow_dispatch",
        None,
        &[],
        &["-j", "first"],
    );
    run.assert_success();
    assert!(
        run.printed("first").contains("probe=\n"),
        "{}",
        run.report()
    );
    assert_eq!(run.job_result("second"), None);
}

#[test]
fn a_failing_step_fails_the_run() {
    // act reads a step's output concurrently with waiting for it; under load, a step that
    // prints and fails in the same instant can lose its last line. The pause keeps this test
    // about our log parsing, not about that race.
    let repo = GitRepo::new();
    repo.commit_files(
        &[(
            ".github/workflows/fail.yml",
            "on: push\njobs:\n  broken:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo before; sleep 0.3; exit 3\n      - run: echo never\n",
        )],
        "ci: fail",
    );
    let run = run_act(
        repo.path(),
        ".github/workflows/fail.yml",
        "push",
        None,
        &[],
        &[],
    );
    run.assert_failure();
    assert_eq!(run.job_result("broken").as_deref(), Some("failure"));
    assert!(run.printed("broken").contains("before"));
    assert!(!run.printed("broken").contains("never"));
    let report = run.report();
    assert!(report.contains("exit status 3"), "{report}");
}

#[test]
fn a_remote_action_is_served_from_a_local_directory() {
    let (repo, _) = repo();
    repo.commit_files(
        &[(
            ".github/workflows/remote.yml",
            "on: push\njobs:\n  r:\n    runs-on: ubuntu-latest\n    steps:\n      - id: greet\n        uses: acme/tools/actions/greet@v1\n        with:\n          who: remote\n",
        )],
        "ci: remote",
    );
    let run = Act::new(repo.path(), ".github/workflows/remote.yml")
        .local_repository("acme/tools@v1", repo.path())
        .run();
    run.assert_success();
    assert_eq!(
        run.output("r", "greet", "greeting").as_deref(),
        Some("hello remote")
    );
}

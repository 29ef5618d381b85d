//! The `run` helper at the end of a tool's main.
// Helpers here are test code too: a panic is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::ExitCode;

use gantry_toolkit::{Env, OutputMode, Runner, run};

fn job() -> (tempfile::TempDir, Env) {
    let dir = tempfile::tempdir().unwrap();
    let env = Env::from_iter([
        (
            "GITHUB_STEP_SUMMARY",
            dir.path().join("summary.md").to_str().unwrap().to_owned(),
        ),
        (
            "GITHUB_OUTPUT",
            dir.path().join("output").to_str().unwrap().to_owned(),
        ),
    ]);
    (dir, env)
}

#[test]
fn success_is_exit_code_zero_and_prints_nothing_extra() {
    let (dir, env) = job();
    let (runner, out) = Runner::captured(env);
    let code = run(&runner, |r| r.set_output("ok", "true"));
    assert_eq!(code, ExitCode::SUCCESS);
    assert_eq!(out.contents(), "");
    assert!(!dir.path().join("summary.md").exists());
}

#[test]
fn anyhow_error_chain_becomes_one_escaped_annotation_and_a_summary_line() {
    let (dir, env) = job();
    let (runner, out) = {
        let capture = gantry_toolkit::Capture::new();
        let runner = Runner::builder(env)
            .tool_name("ecs-rollout")
            .stdout(capture.clone())
            .stderr(capture.clone())
            .build();
        (runner, capture)
    };
    let code = run(&runner, |_| -> anyhow::Result<()> {
        let root = std::io::Error::other("connection refused\nby <peer>");
        Err(anyhow::Error::new(root)
            .context("describe service api")
            .context("rollout failed"))
    });
    assert_eq!(code, ExitCode::FAILURE);
    assert_eq!(
        out.contents(),
        "::error::rollout failed: describe service api: connection refused%0Aby <peer>\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("summary.md")).unwrap(),
        ":x: **ecs-rollout failed:** rollout failed: describe service api: connection refused by &lt;peer&gt;\n\n"
    );
}

#[test]
fn thiserror_and_string_errors_work() {
    #[derive(Debug, thiserror::Error)]
    #[error("input 'x' is bad")]
    struct Bad;
    let (runner, out) = Runner::captured(Env::new().with("GITHUB_ACTIONS", "true"));
    assert_eq!(run(&runner, |_| Err(Bad)), ExitCode::FAILURE);
    assert_eq!(run(&runner, |_| Err("plain string")), ExitCode::FAILURE);
    assert_eq!(
        out.contents(),
        "::error::input 'x' is bad\n::error::plain string\n"
    );
    // A terminal gets a plain line.
    let (runner, out) = Runner::captured(Env::new());
    assert_eq!(run(&runner, |_| Err(Bad)), ExitCode::FAILURE);
    assert_eq!(out.contents(), "error: input 'x' is bad\n");
}

#[test]
fn json_outputs_are_printed_even_when_main_fails() {
    let capture = gantry_toolkit::Capture::new();
    let runner = Runner::builder(Env::new())
        .output_mode(OutputMode::Json)
        .stdout(capture.clone())
        .stderr(gantry_toolkit::Capture::new())
        .build();
    let code = run(&runner, |r| {
        r.set_output("partial", "1")?;
        Err::<(), Box<dyn std::error::Error + Send + Sync>>("later step failed".into())
    });
    assert_eq!(code, ExitCode::FAILURE);
    assert_eq!(capture.contents(), "{\n  \"partial\": \"1\"\n}\n");
}

/// A real SIGTERM and SIGINT, sent by `kill`, are caught and recorded, and the test process
/// lives on (without the handler, SIGTERM would end it).
#[cfg(unix)]
#[test]
fn installed_stop_records_real_signals_instead_of_dying() {
    use gantry_toolkit::{Signal, Stop, StopReason};
    use std::time::{Duration, Instant};
    let stop = Stop::install(Some(Duration::from_secs(600))).unwrap();
    assert_eq!(stop.reason(), None);
    for (signal, count) in [("-TERM", 1), ("-INT", 2)] {
        let status = std::process::Command::new("kill")
            .args([signal, &std::process::id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let started = Instant::now();
        while stop.signals() < count && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(stop.signals(), count, "{signal} was not recorded");
    }
    assert_eq!(stop.reason(), Some(StopReason::Signal(Signal::Terminate)));
}

//! Support shared by the integration tests of the `ecs-rollout` binary.
#![allow(dead_code)]

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Everything the binary printed, for assertion messages.
pub fn printed(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Start `cmd` with its output captured, and return once `started` says the deployment exists.
pub fn spawn_until(cmd: &mut Command, started: impl Fn() -> bool) -> Child {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !started() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no deployment started"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    child
}

/// Start `cmd`, wait until `started` says the deployment exists, then send SIGTERM as the
/// runner does when a job is cancelled, and return what the binary did.
pub fn cancel_once(cmd: &mut Command, started: impl Fn() -> bool) -> Output {
    let child = spawn_until(cmd, started);
    std::thread::sleep(Duration::from_millis(500));
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success(), "{}", printed(&out));
    out
}

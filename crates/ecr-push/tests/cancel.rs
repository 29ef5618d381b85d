//! Cancellation: the runner stops a job with SIGTERM. The run stops, says so, and leaves no tag
//! on an incomplete image.
// Needs the local services of scripts/services (scripts/test enables the feature).
#![cfg(feature = "local-services")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::time::{Duration, Instant};

use common::*;
use gantry_testkit::Services;
use gantry_testkit::fault_proxy::{Fault, FaultProxy};

#[test]
fn sigterm_during_the_push_stops_it_without_a_tag() {
    let proxy = FaultProxy::start(&Services::get().registry());
    let job = Job::new();
    let repo = unique_repo("cancel");
    create_repo(&repo, true);
    let dir = layout_dir(&job, "image");
    layout(&dir, 700, 4, 10_000);
    let mut cmd = job.command();
    cmd.env("INPUT_REGISTRY-ENDPOINT", proxy.url())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    gantry_testkit::ToolJob::inputs(
        &mut cmd,
        &[
            ("repository", &repo),
            ("mode", "push"),
            ("image-path", "image"),
            ("max-concurrency", "1"),
        ],
    );
    let child = cmd.spawn().unwrap();
    // As the first upload starts, make the registry fail for a while: the push is then in
    // its retry backoff when the signal comes.
    let start = Instant::now();
    while !proxy
        .requests()
        .iter()
        .any(|r| r.method == "POST" && r.path.contains("/blobs/uploads/"))
    {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no upload started"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    proxy.inject(std::iter::repeat_n(Fault::Status(503), 5));
    std::thread::sleep(Duration::from_millis(100));
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let text = failed(&out);
    assert!(
        text.contains(
            "ecr-push stopped: SIGTERM received (the job was cancelled); no tag was written for an incomplete image"
        ),
        "{text}"
    );
    assert_eq!(registry_digest(&repo, "sha-0123456"), None);
}

#[test]
fn the_deadline_stops_a_push_that_keeps_failing() {
    let proxy = FaultProxy::start(&Services::get().registry());
    let job = Job::new();
    let repo = unique_repo("deadline");
    create_repo(&repo, true);
    let dir = layout_dir(&job, "image");
    layout(&dir, 710, 1, 100);
    // The registry answers 503 to everything for longer than the deadline.
    proxy.inject(std::iter::repeat_n(Fault::Status(503), 1000));
    let mut cmd = job.command();
    cmd.env("INPUT_REGISTRY-ENDPOINT", proxy.url());
    gantry_testkit::ToolJob::inputs(
        &mut cmd,
        &[
            ("repository", &repo),
            ("mode", "push"),
            ("image-path", "image"),
            ("push-retries", "20"),
            ("timeout-seconds", "10"),
        ],
    );
    let start = Instant::now();
    let text = failed(&gantry_testkit::ToolJob::run(&mut cmd));
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
    assert!(
        text.contains(
            "ecr-push stopped: the deadline of 10 s passed (input 'timeout-seconds'); no tag was written"
        ),
        "{text}"
    );
    assert_eq!(registry_digest(&repo, "sha-0123456"), None);
}

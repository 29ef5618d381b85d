//! Fault injection: a loopback proxy in front of the real registry answers 5xx or cuts the
//! connection; the push retries and succeeds, and no tag is ever visible before its image is
//! complete.
// Needs the local services of scripts/services (scripts/test enables the feature).
#![cfg(feature = "local-services")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::*;
use gantry_testkit::Services;
use gantry_testkit::fault_proxy::{Fault, FaultProxy, RecordedRequest};

fn run_through(job: &Job, proxy: &FaultProxy, inputs: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = job.command();
    cmd.env("INPUT_REGISTRY-ENDPOINT", proxy.url());
    gantry_testkit::ToolJob::inputs(&mut cmd, inputs);
    gantry_testkit::ToolJob::run(&mut cmd)
}

/// Injects `faults` as soon as the proxy has seen a request matching `trigger`, so that they
/// hit what comes right after it (with one upload at a time: that upload's PUT).
fn inject_after(
    proxy: &Arc<FaultProxy>,
    trigger: fn(&RecordedRequest) -> bool,
    faults: Vec<Fault>,
) -> (Arc<AtomicBool>, std::thread::JoinHandle<()>) {
    let stop = Arc::new(AtomicBool::new(false));
    let (proxy, stop2) = (proxy.clone(), stop.clone());
    let handle = std::thread::spawn(move || {
        while !stop2.load(Ordering::SeqCst) {
            if proxy.requests().iter().any(trigger) {
                proxy.inject(faults);
                return;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
    });
    (stop, handle)
}

fn is_upload_start(r: &RecordedRequest) -> bool {
    r.method == "POST" && r.path.contains("/blobs/uploads/")
}

fn index_of(requests: &[RecordedRequest], f: impl Fn(&RecordedRequest) -> bool) -> Vec<usize> {
    requests
        .iter()
        .enumerate()
        .filter(|(_, r)| f(r) && r.fault.is_none())
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn errors_and_dropped_connections_are_retried_until_the_push_succeeds() {
    let proxy = FaultProxy::start(&Services::get().registry());
    let job = Job::new();
    let repo = unique_repo("faults");
    create_repo(&repo, true);
    let dir = layout_dir(&job, "image");
    let digest = layout(&dir, 70, 3, 20_000);
    // The first requests (probe, tag and blob checks) fail in every way.
    proxy.inject([
        Fault::Status(500),
        Fault::Drop,
        Fault::Status(503),
        Fault::Status(429),
    ]);
    let out = run_through(
        &job,
        &proxy,
        &[
            ("repository", &repo),
            ("mode", "push"),
            ("image-path", "image"),
            ("max-concurrency", "2"),
            ("push-retries", "8"),
        ],
    );
    ok(&out);
    assert_eq!(job.output("digest"), digest);
    assert_eq!(registry_digest(&repo, "sha-0123456"), Some(digest));
    let faulted = proxy
        .requests()
        .iter()
        .filter(|r| r.fault.is_some())
        .count();
    assert_eq!(faulted, 4);
}

#[test]
fn a_connection_cut_during_a_blob_upload_is_retried() {
    let proxy = Arc::new(FaultProxy::start(&Services::get().registry()));
    let job = Job::new();
    let repo = unique_repo("cut");
    create_repo(&repo, true);
    let dir = layout_dir(&job, "image");
    let digest = layout(&dir, 80, 2, 300_000);
    let (stop, watcher) = inject_after(
        &proxy,
        is_upload_start,
        vec![Fault::Drop, Fault::Status(500)],
    );
    let out = run_through(
        &job,
        &proxy,
        &[
            ("repository", &repo),
            ("mode", "push"),
            ("image-path", "image"),
            ("max-concurrency", "1"),
        ],
    );
    stop.store(true, Ordering::SeqCst);
    watcher.join().unwrap();
    ok(&out);
    let requests = proxy.requests();
    let cut = requests
        .iter()
        .find(|r| r.fault == Some(Fault::Drop))
        .expect("a connection was cut");
    assert!(
        cut.method == "PUT" && cut.path.contains("/blobs/uploads/"),
        "the cut hit {} {}",
        cut.method,
        cut.path
    );
    assert_eq!(registry_digest(&repo, "sha-0123456"), Some(digest));
}

#[test]
fn tags_are_written_only_after_every_blob_and_manifest() {
    let proxy = Arc::new(FaultProxy::start(&Services::get().registry()));
    let job = Job::new();
    let repo = unique_repo("order");
    create_repo(&repo, true);
    let dir = layout_dir(&job, "image");
    let digest = multiarch_layout(&dir, 90);
    let (stop, watcher) = inject_after(&proxy, is_upload_start, vec![Fault::Drop]);
    ok(&run_through(
        &job,
        &proxy,
        &[
            ("repository", &repo),
            ("mode", "push"),
            ("image-path", "image"),
            ("tags", "sha, raw:one"),
        ],
    ));
    stop.store(true, Ordering::SeqCst);
    watcher.join().unwrap();
    let requests = proxy.requests();
    let blob_puts = index_of(&requests, |r| {
        r.method == "PUT" && r.path.contains("/blobs/uploads/")
    });
    let digest_puts = index_of(&requests, |r| {
        r.method == "PUT" && r.path.contains("/manifests/sha256:")
    });
    let tag_puts = index_of(&requests, |r| {
        r.method == "PUT"
            && r.path.contains("/manifests/")
            && !r.path.contains("/manifests/sha256:")
    });
    assert_eq!(blob_puts.len(), 6, "two images of three blobs");
    assert_eq!(digest_puts.len(), 3, "two manifests and the index");
    assert_eq!(tag_puts.len(), 2);
    let first_tag = tag_puts[0];
    assert!(blob_puts.iter().chain(&digest_puts).all(|i| *i < first_tag));
    // The index after the manifests it lists.
    assert!(
        requests[*digest_puts.last().unwrap()]
            .path
            .ends_with(&digest)
    );
    assert_eq!(registry_digest(&repo, "one"), Some(digest));
}

#[test]
fn a_push_that_fails_midway_leaves_no_tag() {
    let proxy = Arc::new(FaultProxy::start(&Services::get().registry()));
    let job = Job::new();
    let repo = unique_repo("failed");
    create_repo(&repo, true);
    let dir = layout_dir(&job, "image");
    layout(&dir, 100, 3, 10_000);
    let (stop, watcher) = inject_after(&proxy, is_upload_start, vec![Fault::Status(500)]);
    let out = run_through(
        &job,
        &proxy,
        &[
            ("repository", &repo),
            ("mode", "push"),
            ("image-path", "image"),
            ("max-concurrency", "1"),
            ("push-retries", "0"),
        ],
    );
    stop.store(true, Ordering::SeqCst);
    watcher.join().unwrap();
    let text = failed(&out);
    assert!(text.contains("upload blob"), "{text}");
    assert_eq!(registry_digest(&repo, "sha-0123456"), None);
    assert!(
        !proxy
            .requests()
            .iter()
            .any(|r| r.method == "PUT" && r.path.contains("/manifests/")),
        "a manifest was written after a failed blob"
    );
}

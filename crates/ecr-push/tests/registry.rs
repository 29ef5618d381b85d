//! The push library against the real local registry, without the binary: streamed uploads
//! (the path of large layers), retried through a proxy that cuts connections.
// Needs the local services of scripts/services (scripts/test enables the feature).
#![cfg(feature = "local-services")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::time::Duration;

use common::*;
use ecr_push::layout::read_layout;
use ecr_push::push::{OciRegistry, PushOptions, Registry, push};
use gantry_testkit::Services;
use gantry_testkit::fault_proxy::{Fault, FaultProxy};

fn options(stream_above: u64) -> PushOptions {
    PushOptions {
        concurrency: 2,
        retries: 3,
        backoff: Duration::from_millis(10),
        mount_from: Vec::new(),
        immutable: true,
        stream_above,
    }
}

#[test]
fn large_blobs_are_streamed_from_their_files() {
    let job = Job::new();
    let dir = layout_dir(&job, "image");
    let digest = layout(&dir, 900, 3, 3 << 20);
    let image = read_layout(&dir).unwrap();
    let repo = unique_repo("stream");
    let host = Services::get().registry();
    let report = runtime().block_on(async {
        let registry =
            OciRegistry::connect(&host, &repo, true, None, Duration::from_secs(30), 2, 0)
                .await
                .unwrap();
        let report = push(&registry, &image, &["v1".to_string()], &options(0), &|_| {})
            .await
            .unwrap();
        for blob in &image.blobs {
            assert!(registry.blob_exists(&blob.digest).await.unwrap());
        }
        report
    });
    assert_eq!(report.blobs_uploaded, 4);
    assert_eq!(report.bytes_uploaded, image.blob_bytes());
    assert_eq!(report.tags_pushed, vec!["v1".to_string()]);
    assert_eq!(registry_digest(&repo, "v1"), Some(digest));
}

#[test]
fn a_cut_streamed_upload_is_retried() {
    let proxy = std::sync::Arc::new(FaultProxy::start(&Services::get().registry()));
    let job = Job::new();
    let dir = layout_dir(&job, "image");
    let digest = layout(&dir, 901, 1, 1 << 20);
    let image = read_layout(&dir).unwrap();
    let repo = unique_repo("stream-cut");
    let host = proxy.url().trim_start_matches("http://").to_string();
    // As the first upload starts, cut the connection of what follows: its streamed PUT.
    let watcher = {
        let proxy = proxy.clone();
        std::thread::spawn(move || {
            let start = std::time::Instant::now();
            while start.elapsed() < Duration::from_secs(20) {
                if proxy
                    .requests()
                    .iter()
                    .any(|r| r.method == "POST" && r.path.contains("/blobs/uploads/"))
                {
                    proxy.inject([Fault::Drop]);
                    return;
                }
                std::thread::sleep(Duration::from_micros(200));
            }
        })
    };
    let mut opts = options(0);
    opts.concurrency = 1;
    let report = runtime().block_on(async {
        let registry =
            OciRegistry::connect(&host, &repo, true, None, Duration::from_secs(30), 1, 0)
                .await
                .unwrap();
        push(&registry, &image, &["v1".to_string()], &opts, &|_| {})
            .await
            .unwrap()
    });
    watcher.join().unwrap();
    let cut = proxy
        .requests()
        .into_iter()
        .find(|r| r.fault == Some(Fault::Drop))
        .expect("a connection was cut");
    assert_eq!(cut.method, "PUT");
    assert!(cut.path.contains("/blobs/uploads/"), "{}", cut.path);
    assert!(report.retries >= 1, "{report:?}");
    assert_eq!(registry_digest(&repo, "v1"), Some(digest));
}

#[test]
fn the_registry_trait_reads_what_was_pushed() {
    let job = Job::new();
    let dir = layout_dir(&job, "image");
    let digest = multiarch_layout(&dir, 902);
    let image = read_layout(&dir).unwrap();
    let repo = unique_repo("read-back");
    let host = Services::get().registry();
    runtime().block_on(async {
        let registry =
            OciRegistry::connect(&host, &repo, true, None, Duration::from_secs(30), 2, 0)
                .await
                .unwrap();
        assert_eq!(registry.get_manifest("v1").await.unwrap(), None);
        push(
            &registry,
            &image,
            &["v1".to_string()],
            &options(1 << 20),
            &|_| {},
        )
        .await
        .unwrap();
        let root = registry.get_manifest("v1").await.unwrap().unwrap();
        assert_eq!(root.digest, digest);
        assert_eq!(root.media_type, ecr_push::image::OCI_INDEX);
        let copy = ecr_push::remote::read_remote(&registry, "v1")
            .await
            .unwrap();
        assert_eq!(copy.manifests.len(), 3);
        assert_eq!(copy.blobs.len(), image.blobs.len());
        assert_eq!(copy.platforms(), vec!["linux/amd64", "linux/arm64"]);
    });
}

#[test]
fn a_copy_between_registries_streams_blobs_through() {
    let job = Job::new();
    let dir = layout_dir(&job, "image");
    let digest = layout(&dir, 903, 2, 2 << 20);
    let image = read_layout(&dir).unwrap();
    let (from, to) = (unique_repo("stream-from"), unique_repo("stream-to"));
    let host = Services::get().registry();
    let report = runtime().block_on(async {
        let source = OciRegistry::connect(&host, &from, true, None, Duration::from_secs(30), 2, 0)
            .await
            .unwrap();
        push(
            &source,
            &image,
            &["v1".to_string()],
            &options(1 << 30),
            &|_| {},
        )
        .await
        .unwrap();
        let target = OciRegistry::connect(&host, &to, true, None, Duration::from_secs(30), 2, 0)
            .await
            .unwrap();
        let remote = ecr_push::remote::read_remote(&source, "v1").await.unwrap();
        // No mount source: every blob goes through, streamed (stream_above 0).
        ecr_push::push::push_from(
            &target,
            &remote,
            &["v1".to_string()],
            &options(0),
            &source,
            &|_| {},
        )
        .await
        .unwrap()
    });
    assert_eq!(report.blobs_uploaded, 3);
    assert_eq!(report.bytes_uploaded, image.blob_bytes());
    assert_eq!(registry_digest(&to, "v1"), Some(digest));
}

//! Scan before tag: the image is pushed by digest, the gate judges its findings, and only an
//! image that passes gets its tags. Against moto's ECR (whose scan answers one HIGH finding,
//! CVE-9999-9999) and the local registry (the data plane).
//!
//! Stand-in: in ECR, a manifest pushed over the registry API is an image of the control plane
//! at once (ECR scans it). Here the two are apart (moto stores no image data), so the test
//! registers the manifest in moto by its digest, untagged, before the run, as ECR would on
//! the push.
// Needs the local services of scripts/services (scripts/test enables the feature).
#![cfg(feature = "local-services")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::*;

/// Registers the manifest `digest` of the layout at `dir` in moto, untagged, under its digest.
fn register_in_moto(repo: &str, dir: &std::path::Path, digest: &str) {
    let manifest = std::fs::read_to_string(
        dir.join("blobs/sha256")
            .join(digest.trim_start_matches("sha256:")),
    )
    .unwrap();
    let ecr = ecr();
    runtime().block_on(async {
        ecr.put_image()
            .repository_name(repo)
            .image_manifest(&manifest)
            .image_manifest_media_type(ecr_push::image::OCI_MANIFEST)
            .image_digest(digest)
            .send()
            .await
            .unwrap();
    });
}

/// The tags moto lists in `repo`.
fn moto_tags(repo: &str) -> Vec<String> {
    let ecr = ecr();
    runtime().block_on(async {
        let out = ecr
            .list_images()
            .repository_name(repo)
            .send()
            .await
            .unwrap();
        out.image_ids()
            .iter()
            .filter_map(|i| i.image_tag().map(str::to_string))
            .collect()
    })
}

const TAGS: [&str; 3] = ["sha-0123456", "staging", "candidate"];

#[test]
fn an_image_that_fails_the_gate_is_pushed_by_digest_and_gets_no_tag() {
    let job = Job::new();
    let repo = unique_repo("gate-push");
    create_repo(&repo, false);
    let dir = layout_dir(&job, "image");
    let digest = layout(&dir, 31, 2, 1000);
    register_in_moto(&repo, &dir, &digest);
    let inputs = |threshold| {
        [
            ("repository", repo.as_str()),
            ("mode", "push"),
            ("image-path", "image"),
            ("tags", "sha, raw:staging, raw:candidate"),
            ("scan-severity-threshold", threshold),
            ("scan-timeout-seconds", "30"),
        ]
    };

    let text = failed(&job.run(&inputs("high")));
    assert!(
        text.contains("found 1 HIGH: at or above the threshold HIGH"),
        "{text}"
    );
    assert!(text.contains("no tag was written"), "{text}");
    // The image is there by digest, and none of its tags exist.
    assert_eq!(registry_digest(&repo, &digest), Some(digest.clone()));
    for tag in TAGS {
        assert_eq!(registry_digest(&repo, tag), None, "tag {tag} was written");
    }
    assert_eq!(moto_tags(&repo), Vec::<String>::new());
    assert_eq!(job.output("tags"), "[]");
    assert_eq!(job.output("scan-findings"), r#"{"HIGH":1}"#);
    let summary = job.tool.summary();
    assert!(summary.contains("CVE-9999-9999"), "{summary}");
    assert!(summary.contains("moto_fake"), "{summary}");
    assert!(
        summary.contains("none written: the scan gate failed"),
        "{summary}"
    );

    // Under a threshold the findings pass: now, and only now, the tags.
    let text = ok(&job.run(&inputs("critical")));
    assert!(text.contains("below the threshold CRITICAL"), "{text}");
    for tag in TAGS {
        assert_eq!(registry_digest(&repo, tag), Some(digest.clone()), "{tag}");
    }
    assert_eq!(
        job.output("tags"),
        r#"["sha-0123456","staging","candidate"]"#
    );
}

#[test]
fn a_promote_that_fails_the_gate_writes_no_tag() {
    let job = Job::new();
    let repo = unique_repo("gate-promote");
    create_repo(&repo, false);
    let dir = layout_dir(&job, "image");
    let digest = layout(&dir, 32, 1, 100);
    register_in_moto(&repo, &dir, &digest);
    let promote = |threshold| {
        job.run(&[
            ("repository", repo.as_str()),
            ("mode", "promote"),
            ("source", digest.as_str()),
            ("tags", "raw:staging, semver"),
            ("version", "1.2.3"),
            ("scan-severity-threshold", threshold),
            ("scan-timeout-seconds", "30"),
        ])
    };
    let text = failed(&promote("high"));
    assert!(
        text.contains("found 1 HIGH: at or above the threshold HIGH"),
        "{text}"
    );
    // No PutImage: moto lists no tag.
    assert_eq!(moto_tags(&repo), Vec::<String>::new());
    assert_eq!(job.output("tags"), "[]");
    assert!(job.tool.summary().contains("CVE-9999-9999"));

    ok(&promote("critical"));
    let mut tags = moto_tags(&repo);
    tags.sort();
    assert_eq!(tags, ["staging", "v1.2.3"]);
}

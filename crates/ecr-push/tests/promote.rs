//! Promote / retag without pulling, and the scan gate, against moto's ECR (which stores the
//! images it is given by PutImage, and answers scans with one HIGH finding by default).
// Needs the local services of scripts/services (scripts/test enables the feature).
#![cfg(feature = "local-services")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::*;

/// Puts an image with `tag` into moto; returns (moto's digest, the manifest's sha256).
fn seed(repo: &str, tag: &str, seed: u64) -> (String, String) {
    let layer = ecr_push::image::sha256_digest(&bytes(seed, 64));
    let config = ecr_push::image::sha256_digest(format!("config {seed}").as_bytes());
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 10},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer, "size": 64}]
    })
    .to_string();
    let ecr = ecr();
    let out = runtime().block_on(async {
        ecr.put_image()
            .repository_name(repo)
            .image_manifest(&manifest)
            .image_manifest_media_type("application/vnd.oci.image.manifest.v1+json")
            .image_tag(tag)
            .send()
            .await
            .unwrap()
    });
    let digest = out
        .image()
        .unwrap()
        .image_id()
        .unwrap()
        .image_digest()
        .unwrap()
        .to_string();
    (digest, ecr_push::image::sha256_digest(manifest.as_bytes()))
}

fn moto_digest(repo: &str, tag: &str) -> Option<String> {
    let ecr = ecr();
    runtime().block_on(async {
        let out = ecr
            .batch_get_image()
            .repository_name(repo)
            .image_ids(
                aws_sdk_ecr::types::ImageIdentifier::builder()
                    .image_tag(tag)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        out.images()
            .first()
            .and_then(|i| i.image_id())
            .and_then(|i| i.image_digest())
            .map(str::to_string)
    })
}

#[test]
fn promote_adds_tags_by_digest_and_is_idempotent_in_an_immutable_repository() {
    let job = Job::new();
    let repo = unique_repo("promote");
    create_repo(&repo, true);
    let (moto, manifest_sha) = seed(&repo, "sha-0123456", 1);
    let inputs = [
        ("repository", repo.as_str()),
        ("mode", "promote"),
        ("source", "sha-0123456"),
        ("tags", "raw:prod, semver"),
        ("version", "1.2.3"),
    ];
    let text = ok(&job.run(&inputs));
    assert_eq!(moto_digest(&repo, "prod"), Some(moto.clone()));
    assert_eq!(moto_digest(&repo, "v1.2.3"), Some(moto.clone()));
    assert_eq!(job.output("pushed"), "true");
    assert_eq!(job.output("tags"), r#"["prod","v1.2.3"]"#);
    assert_eq!(job.output("digest"), manifest_sha);
    // moto's digest is not the manifest's: said, not hidden.
    assert!(text.contains("moto"), "{text}");
    assert!(job.tool.summary().contains("0 uploaded (0 B)"));

    // Again: the same digest under the same tags in an immutable repository is a success.
    let text = ok(&job.run(&inputs));
    assert!(text.contains("prod: already names this image"), "{text}");
    assert_eq!(job.output("pushed"), "false");
}

#[test]
fn promote_to_a_tag_of_another_image_in_an_immutable_repository_fails_clearly() {
    let job = Job::new();
    let repo = unique_repo("promote-conflict");
    create_repo(&repo, true);
    let (first, _) = seed(&repo, "sha-1111111", 2);
    let (second, _) = seed(&repo, "prod", 3);
    let text = failed(&job.run(&[
        ("repository", &repo),
        ("mode", "promote"),
        ("source", "sha-1111111"),
        ("tags", "raw:prod, raw:nine"),
    ]));
    assert!(
        text.contains(&format!(
            "tag 'prod' already names image {second} in immutable repository '{repo}', not {first}"
        )),
        "{text}"
    );
    // Nothing changed, not even the tag that was free.
    assert_eq!(moto_digest(&repo, "nine"), None);
}

#[test]
fn promote_of_a_missing_image_names_it() {
    let job = Job::new();
    let repo = unique_repo("promote-missing");
    create_repo(&repo, true);
    let text = failed(&job.run(&[
        ("repository", &repo),
        ("mode", "promote"),
        ("source", "sha-9999999"),
        ("tags", "raw:prod"),
    ]));
    assert!(
        text.contains(&format!("image :sha-9999999 is not in repository '{repo}'")),
        "{text}"
    );
}

#[test]
fn the_scan_gate_fails_at_the_threshold_and_reports_counts() {
    let job = Job::new();
    let repo = unique_repo("scan");
    create_repo(&repo, false);
    seed(&repo, "sha-0123456", 4);
    // moto's default scan result: one HIGH finding.
    let text = failed(&job.run(&[
        ("repository", &repo),
        ("mode", "promote"),
        ("source", "sha-0123456"),
        ("tags", "raw:staging"),
        ("scan-severity-threshold", "high"),
        ("scan-timeout-seconds", "30"),
    ]));
    assert!(
        text.contains("found 1 HIGH: at or above the threshold HIGH"),
        "{text}"
    );
    assert_eq!(job.output("scan-findings"), r#"{"HIGH":1}"#);
    let summary = job.tool.summary();
    assert!(summary.contains("CVE-9999-9999"), "{summary}");

    let text = ok(&job.run(&[
        ("repository", &repo),
        ("mode", "promote"),
        ("source", "sha-0123456"),
        ("tags", "raw:staging"),
        ("scan-severity-threshold", "critical"),
        ("scan-timeout-seconds", "30"),
    ]));
    assert!(text.contains("below the threshold CRITICAL"), "{text}");
    assert_eq!(job.output("scan-findings"), r#"{"HIGH":1}"#);
}

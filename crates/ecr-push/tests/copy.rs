//! Promote by copy: an image from another repository, account or region, over the registry
//! API (the local registry stands for every ECR registry through `registry-endpoint`).
// Needs the local services of scripts/services (scripts/test enables the feature).
#![cfg(feature = "local-services")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::*;

/// Pushes a 3-layer image to a new repository; returns (repository, digest, blob bytes).
fn source_image(job: &Job, seed: u64) -> (String, String) {
    let repo = unique_repo("copy-source");
    create_repo(&repo, true);
    let dir = layout_dir(job, &format!("image-{seed}"));
    let digest = layout(&dir, seed, 3, 30_000);
    ok(&job.run(&[
        ("repository", &repo),
        ("mode", "push"),
        ("image-path", &format!("image-{seed}")),
        ("tags", "raw:one"),
    ]));
    (repo, digest)
}

#[test]
fn a_copy_within_the_registry_mounts_every_blob() {
    let job = Job::new();
    let (source, digest) = source_image(&job, 500);
    let target = unique_repo("copy-target");
    create_repo(&target, true);
    let text = ok(&job.run(&[
        ("repository", &target),
        ("mode", "promote"),
        (
            "source",
            &format!("123456789012.dkr.ecr.us-east-1.amazonaws.com/{source}:one"),
        ),
        ("tags", "raw:prod"),
    ]));
    assert!(text.contains("by mounting blobs"), "{text}");
    assert!(
        text.contains("blobs: 0 uploaded (0 bytes), 0 already there, 4 mounted"),
        "{text}"
    );
    assert_eq!(job.output("digest"), digest);
    assert_eq!(registry_digest(&target, "prod"), Some(digest));
}

#[test]
fn a_copy_from_another_account_and_region_streams_blobs_once() {
    let job = Job::new();
    let (source, digest) = source_image(&job, 600);
    let target = unique_repo("copy-far");
    create_repo(&target, true);
    let inputs = [
        ("repository", target.as_str()),
        ("mode", "promote"),
        (
            "source",
            &format!("210987654321.dkr.ecr.us-west-2.amazonaws.com/{source}@{digest}"),
        ),
        ("tags", "raw:prod, sha"),
    ];
    let text = ok(&job.run(&inputs));
    assert!(text.contains("by streaming blobs"), "{text}");
    assert!(text.contains("blobs: 4 uploaded"), "{text}");
    assert_eq!(job.output("digest"), digest);
    assert_eq!(registry_digest(&target, "prod"), Some(digest.clone()));
    assert_eq!(registry_digest(&target, "sha-0123456"), Some(digest));
    // The other region's token is masked too.
    for line in text.lines().filter(|l| !l.starts_with("::add-mask::")) {
        assert!(!line.contains("-auth-token"), "token leaked: {line}");
    }

    // Again: nothing moves.
    let text = ok(&job.run(&inputs));
    assert!(
        text.contains("blobs: 0 uploaded (0 bytes), 4 already there"),
        "{text}"
    );
    assert_eq!(job.output("pushed"), "false");
}

#[test]
fn a_copy_of_a_missing_image_names_it() {
    let job = Job::new();
    let target = unique_repo("copy-none");
    create_repo(&target, true);
    let text = failed(&job.run(&[
        ("repository", &target),
        ("mode", "promote"),
        (
            "source",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/gantry-test/nothing-here:v1",
        ),
        ("tags", "raw:prod"),
    ]));
    assert!(
        text.contains("image v1 is not in the source repository"),
        "{text}"
    );
}

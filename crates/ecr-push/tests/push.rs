//! Pushing OCI layouts through the binary: ECR's API on moto, the data plane on the local
//! registry (moto stores no image data).
// Needs the local services of scripts/services (scripts/test enables the feature).
#![cfg(feature = "local-services")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::*;

#[test]
fn pushes_a_layout_and_tags_it_then_a_second_push_moves_nothing() {
    let job = Job::new();
    let repo = unique_repo("push");
    create_repo(&repo, true);
    let dir = layout_dir(&job, "image");
    let digest = layout(&dir, 1, 3, 50_000);

    let out = job.run(&[
        ("repository", &repo),
        ("mode", "push"),
        ("image-path", "image"),
        ("tags", "sha, raw:candidate"),
    ]);
    let text = ok(&out);
    assert_eq!(job.output("digest"), digest);
    assert_eq!(job.output("tags"), r#"["sha-0123456","candidate"]"#);
    assert_eq!(job.output("pushed"), "true");
    assert_eq!(
        job.output("registry"),
        "123456789012.dkr.ecr.us-east-1.amazonaws.com"
    );
    assert_eq!(
        job.output("image-ref"),
        format!("123456789012.dkr.ecr.us-east-1.amazonaws.com/{repo}@{digest}")
    );
    assert_eq!(
        job.output("image"),
        format!("123456789012.dkr.ecr.us-east-1.amazonaws.com/{repo}:sha-0123456")
    );
    assert_eq!(job.output("scan-findings"), "{}");
    assert!(text.contains("blobs: 4 uploaded"), "{text}");
    assert_eq!(registry_digest(&repo, "sha-0123456"), Some(digest.clone()));
    assert_eq!(registry_digest(&repo, "candidate"), Some(digest.clone()));
    let summary = job.tool.summary();
    assert!(summary.contains("4 uploaded"), "{summary}");
    insta::assert_snapshot!(gantry_testkit::redact::redact_with(
        &summary,
        &[(&repo, "[repository]")]
    ));

    // Again: every blob is there, every tag already names the image.
    let out = job.run(&[
        ("repository", &repo),
        ("mode", "push"),
        ("image-path", "image"),
        ("tags", "sha, raw:candidate"),
    ]);
    let text = ok(&out);
    assert_eq!(job.output("pushed"), "false");
    assert!(
        text.contains("blobs: 0 uploaded (0 bytes), 4 already there"),
        "{text}"
    );
}

#[test]
fn the_registry_password_never_appears_in_output() {
    let job = Job::new();
    let repo = unique_repo("secret");
    create_repo(&repo, false);
    let dir = layout_dir(&job, "image");
    layout(&dir, 2, 1, 100);
    let mut cmd = job.command();
    cmd.env("RUNNER_DEBUG", "1");
    gantry_testkit::ToolJob::inputs(
        &mut cmd,
        &[
            ("repository", &repo),
            ("mode", "push"),
            ("image-path", "image"),
        ],
    );
    let out = gantry_testkit::ToolJob::run(&mut cmd);
    let text = ok(&out);
    assert!(
        text.contains(&format!("::add-mask::{MOTO_PASSWORD}")),
        "{text}"
    );
    for line in text.lines().filter(|l| !l.starts_with("::add-mask::")) {
        assert!(!line.contains(MOTO_PASSWORD), "password leaked: {line}");
    }
    assert!(!job.tool.summary().contains(MOTO_PASSWORD));
    let outputs = std::fs::read_to_string(job.tool.file("output")).unwrap();
    assert!(!outputs.contains(MOTO_PASSWORD));
    // The job-private Docker config is gone, and ~/.docker was never written.
    assert!(!job.tool.temp().join(".docker").exists());
}

#[test]
fn pushes_a_multi_platform_index() {
    let job = Job::new();
    let repo = unique_repo("multiarch");
    create_repo(&repo, true);
    let dir = layout_dir(&job, "image");
    let digest = multiarch_layout(&dir, 10);
    let out = job.run(&[
        ("repository", &repo),
        ("mode", "push"),
        ("image-path", "image"),
        ("tags", "raw:one"),
    ]);
    ok(&out);
    assert_eq!(job.output("digest"), digest);
    assert_eq!(registry_digest(&repo, "one"), Some(digest));
    assert!(job.tool.summary().contains("linux/amd64, linux/arm64"));
}

#[test]
fn an_immutable_tag_on_another_image_is_an_error_before_any_upload() {
    let job = Job::new();
    let repo = unique_repo("immutable");
    create_repo(&repo, true);
    let first = layout_dir(&job, "first");
    let first_digest = layout(&first, 20, 1, 100);
    ok(&job.run(&[
        ("repository", &repo),
        ("mode", "push"),
        ("image-path", "first"),
        ("tags", "raw:stable"),
    ]));
    let second = layout_dir(&job, "second");
    layout(&second, 21, 1, 100);
    let out = job.run(&[
        ("repository", &repo),
        ("mode", "push"),
        ("image-path", "second"),
        ("tags", "raw:stable"),
    ]);
    let text = failed(&out);
    assert!(
        text.contains(&format!(
            "tag 'stable' already names image {first_digest} in this immutable repository"
        )),
        "{text}"
    );
    assert_eq!(registry_digest(&repo, "stable"), Some(first_digest));
}

#[test]
fn a_mutable_repository_moves_the_tag() {
    let job = Job::new();
    let repo = unique_repo("mutable");
    create_repo(&repo, false);
    for (i, name) in ["a", "b"].iter().enumerate() {
        let dir = layout_dir(&job, name);
        let digest = layout(&dir, 30 + i as u64, 1, 100);
        ok(&job.run(&[
            ("repository", &repo),
            ("mode", "push"),
            ("image-path", name),
            ("tags", "raw:latest-build"),
        ]));
        assert_eq!(registry_digest(&repo, "latest-build"), Some(digest));
    }
}

#[test]
fn a_missing_repository_without_creation_is_a_clear_error() {
    let job = Job::new();
    let repo = unique_repo("missing");
    let dir = layout_dir(&job, "image");
    layout(&dir, 40, 1, 100);
    let out = job.run(&[
        ("repository", &repo),
        ("mode", "push"),
        ("image-path", "image"),
    ]);
    let text = failed(&out);
    assert!(
        text.contains(&format!(
            "repository '{repo}' does not exist in registry 123456789012: create it, or set input 'create-repository: true'"
        )),
        "{text}"
    );
    assert_eq!(registry_digest(&repo, "sha-0123456"), None);
}

#[test]
fn dry_run_changes_nothing() {
    let job = Job::new();
    let repo = unique_repo("dry");
    let dir = layout_dir(&job, "image");
    layout(&dir, 50, 2, 100);
    let out = job.run(&[
        ("repository", &repo),
        ("mode", "push"),
        ("image-path", "image"),
        ("create-repository", "true"),
        ("dry-run", "true"),
    ]);
    let text = ok(&out);
    assert!(text.contains("would be created"), "{text}");
    assert_eq!(job.output("pushed"), "false");
    assert_eq!(registry_digest(&repo, "sha-0123456"), None);
    let ecr = ecr();
    let found = runtime().block_on(async {
        ecr.describe_repositories()
            .repository_names(&repo)
            .send()
            .await
            .is_ok()
    });
    assert!(!found, "dry run created the repository");
}

#[test]
fn a_docker_save_tarball_with_an_oci_layout_inside_is_pushed() {
    let job = Job::new();
    let repo = unique_repo("tarball");
    create_repo(&repo, true);
    let dir = layout_dir(&job, "image");
    let digest = layout(&dir, 60, 2, 1000);
    let tar_path = job.path().join("image.tar");
    let mut builder = tar::Builder::new(std::fs::File::create(&tar_path).unwrap());
    builder.append_dir_all(".", &dir).unwrap();
    builder.finish().unwrap();
    ok(&job.run(&[
        ("repository", &repo),
        ("mode", "push"),
        ("image-path", "image.tar"),
    ]));
    assert_eq!(job.output("digest"), digest);
    assert_eq!(registry_digest(&repo, "sha-0123456"), Some(digest));
}

#[test]
fn a_pull_request_event_tags_the_head_commit_and_the_pr_number() {
    let services = gantry_testkit::Services::get();
    let payload = services.webhook_example("pull_request", Some("opened"));
    let number = payload["number"].as_u64().unwrap();
    let head = payload["pull_request"]["head"]["sha"]
        .as_str()
        .unwrap()
        .to_string();
    let job = Job::new();
    let event = job.path().join("event.json");
    std::fs::write(&event, payload.to_string()).unwrap();
    let repo = unique_repo("pr");
    create_repo(&repo, true);
    let dir = layout_dir(&job, "image");
    let digest = layout(&dir, 1000, 1, 100);
    let mut cmd = job.command();
    cmd.env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_EVENT_PATH", &event)
        .env("GITHUB_REF", format!("refs/pull/{number}/merge"))
        .env("GITHUB_REF_NAME", format!("{number}/merge"));
    gantry_testkit::ToolJob::inputs(
        &mut cmd,
        &[
            ("repository", &repo),
            ("mode", "push"),
            ("image-path", "image"),
            ("tags", "sha, pr, semver, branch"),
        ],
    );
    ok(&gantry_testkit::ToolJob::run(&mut cmd));
    let sha_tag = format!("sha-{}", &head[..7]);
    assert_eq!(
        job.output("tags"),
        serde_json::json!([sha_tag, format!("pr-{number}")]).to_string()
    );
    assert_eq!(registry_digest(&repo, &sha_tag), Some(digest));
}

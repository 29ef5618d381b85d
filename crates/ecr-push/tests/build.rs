//! The build path with the real Docker engine (`FROM scratch` images: nothing can be pulled
//! here), then the push through the registry API.
// Needs the local services of scripts/services (scripts/test enables the feature).
#![cfg(feature = "local-services")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::*;
use gantry_testkit::Services;

fn build_job() -> Job {
    let job = Job::new();
    std::fs::create_dir_all(job.path().join("svc")).unwrap();
    std::fs::write(
        job.path().join("svc/Dockerfile"),
        "FROM scratch AS base\nARG GREETING=none\nCOPY hello.txt /hello.txt\n\nFROM base AS final\nCOPY hello.txt /again.txt\n",
    )
    .unwrap();
    std::fs::write(job.path().join("svc/hello.txt"), "hello\n").unwrap();
    job
}

fn run_build(job: &Job, inputs: &[(&str, &str)]) -> std::process::Output {
    let services = Services::get();
    let mut cmd = job.command();
    cmd.env("DOCKER_HOST", services.docker_host());
    let docker = services.docker().display().to_string();
    let mut all = vec![
        ("mode", "build"),
        ("context", "svc"),
        ("docker", docker.as_str()),
    ];
    all.extend_from_slice(inputs);
    gantry_testkit::ToolJob::inputs(&mut cmd, &all);
    gantry_testkit::ToolJob::run(&mut cmd)
}

fn labels(image: &str) -> serde_json::Value {
    let out = Services::get()
        .docker_command()
        .args([
            "image",
            "inspect",
            "--format",
            "{{json .Config.Labels}}",
            image,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn builds_pushes_and_skips_the_build_when_the_commit_is_already_there() {
    let job = build_job();
    let repo = unique_repo("build");
    create_repo(&repo, true);
    let text = ok(&run_build(
        &job,
        &[
            ("repository", &repo),
            ("build-args", "GREETING=hi"),
            ("target", "final"),
            ("labels", "team=core"),
            ("version", "1.2.3"),
            ("tags", "sha, semver"),
        ],
    ));
    assert!(text.contains("DOCKER_BUILDKIT=1 docker build"), "{text}");
    let digest = job.output("digest");
    assert_eq!(registry_digest(&repo, "sha-0123456"), Some(digest.clone()));
    assert_eq!(registry_digest(&repo, "v1.2.3"), Some(digest.clone()));
    assert_eq!(job.output("pushed"), "true");
    let labels = labels(&format!("ecr-push.local/{repo}:sha-0123456"));
    assert_eq!(labels["org.opencontainers.image.revision"], SHA);
    assert_eq!(
        labels["org.opencontainers.image.source"],
        "https://github.com/octo/app"
    );
    assert_eq!(labels["org.opencontainers.image.version"], "1.2.3");
    assert!(labels["org.opencontainers.image.created"].is_string());
    assert_eq!(labels["team"], "core");
    // The job-private Docker config is gone.
    let leftovers: Vec<_> = std::fs::read_dir(job.tool.temp())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("ecr-push-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Same commit again, one more tag: no build, the tag is added to the same image.
    let text = ok(&run_build(
        &job,
        &[("repository", &repo), ("tags", "sha, raw:candidate")],
    ));
    assert!(text.contains("build skipped"), "{text}");
    assert!(!text.contains("docker build"), "{text}");
    assert_eq!(job.output("digest"), digest);
    assert_eq!(registry_digest(&repo, "candidate"), Some(digest));
}

#[test]
fn force_rebuilds_and_multi_platform_needs_buildx() {
    let job = build_job();
    let repo = unique_repo("force");
    create_repo(&repo, false);
    ok(&run_build(&job, &[("repository", &repo)]));
    let text = ok(&run_build(
        &job,
        &[("repository", &repo), ("force", "true")],
    ));
    assert!(text.contains("docker build"), "{text}");
    assert!(!text.contains("build skipped"), "{text}");

    let text = failed(&run_build(
        &job,
        &[
            ("repository", &repo),
            ("force", "true"),
            ("platforms", "linux/amd64,linux/arm64"),
        ],
    ));
    assert!(text.contains("needs `docker buildx`"), "{text}");
}

#[test]
fn a_failing_build_says_why_and_pushes_nothing() {
    let job = build_job();
    std::fs::write(
        job.path().join("svc/Dockerfile"),
        "FROM scratch\nCOPY missing.txt /x\n",
    )
    .unwrap();
    let repo = unique_repo("broken");
    create_repo(&repo, true);
    let text = failed(&run_build(&job, &[("repository", &repo)]));
    assert!(text.contains("missing.txt"), "{text}");
    assert_eq!(registry_digest(&repo, "sha-0123456"), None);
}

#[test]
fn the_build_cache_lives_in_a_mutable_repository() {
    let job = build_job();
    let repo = unique_repo("cached");
    let cache_repo = unique_repo("cache");
    create_repo(&repo, true);
    // The image's repository is immutable: the moving cache tag cannot live there.
    let text = failed(&run_build(
        &job,
        &[("repository", &repo), ("cache-tag", "buildcache")],
    ));
    assert!(
        text.contains("immutable tags: set input 'cache-repository'"),
        "{text}"
    );
    // A missing cache repository is named.
    let text = failed(&run_build(
        &job,
        &[
            ("repository", &repo),
            ("cache-tag", "buildcache"),
            ("cache-repository", &cache_repo),
        ],
    ));
    assert!(
        text.contains(&format!("'{cache_repo}', which does not exist")),
        "{text}"
    );

    create_repo(&cache_repo, false);
    let text = ok(&run_build(
        &job,
        &[
            ("repository", &repo),
            ("cache-tag", "buildcache"),
            ("cache-repository", &cache_repo),
        ],
    ));
    // Build-arg values are never logged, ours neither.
    assert!(
        text.contains("--build-arg BUILDKIT_INLINE_CACHE=…"),
        "{text}"
    );
    assert!(
        text.contains(&format!("build cache {cache_repo}:buildcache updated")),
        "{text}"
    );
    let digest = job.output("digest");
    assert_eq!(registry_digest(&cache_repo, "buildcache"), Some(digest));
}

/// A stand-in for a docker CLI whose buildx has a docker-container builder (none exists on
/// this machine): it logs its arguments and "builds" by copying a prepared OCI tarball.
#[cfg(unix)]
const FAKE_BUILDX: &str = r##"#!/bin/sh
echo "$*" >> "$FAKE_DOCKER_LOG"
case "$1 $2" in
  "buildx version") echo "github.com/docker/buildx v0.12.1"; exit 0 ;;
  "buildx inspect") printf 'Name:   ci\nDriver: docker-container\n'; exit 0 ;;
  "buildx build")
    for a in "$@"; do
      case "$a" in type=oci,dest=*) dest="${a#type=oci,dest=}" ;; esac
    done
    cp "$FAKE_OCI_TAR" "$dest" && echo "#9 exporting to oci image format done"; exit $? ;;
esac
echo "unexpected: $*" >&2
exit 1
"##;

// A fake `docker` shell script stands in for the client: Unix only.
#[cfg(unix)]
#[test]
fn a_docker_container_builder_writes_an_oci_tarball_with_a_registry_cache() {
    let job = build_job();
    let repo = unique_repo("buildx");
    create_repo(&repo, false);
    let layout_path = layout_dir(&job, "oci");
    let digest = multiarch_layout(&layout_path, 800);
    let tar_path = job.path().join("oci.tar");
    let mut tar = tar::Builder::new(std::fs::File::create(&tar_path).unwrap());
    tar.append_dir_all(".", &layout_path).unwrap();
    tar.finish().unwrap();
    let fake = job.path().join("fake-docker");
    std::fs::write(&fake, FAKE_BUILDX).unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let log = job.path().join("docker.log");

    let mut cmd = job.command();
    cmd.env("FAKE_DOCKER_LOG", &log)
        .env("FAKE_OCI_TAR", &tar_path);
    gantry_testkit::ToolJob::inputs(
        &mut cmd,
        &[
            ("repository", &repo),
            ("mode", "build"),
            ("context", "svc"),
            ("docker", fake.to_str().unwrap()),
            ("platforms", "linux/amd64,linux/arm64"),
            ("cache-tag", "buildcache"),
        ],
    );
    let text = ok(&gantry_testkit::ToolJob::run(&mut cmd));
    assert!(text.contains("exporting to oci image format"), "{text}");
    assert_eq!(job.output("digest"), digest);
    assert_eq!(registry_digest(&repo, "sha-0123456"), Some(digest));
    let calls = std::fs::read_to_string(&log).unwrap();
    let build = calls
        .lines()
        .find(|l| l.starts_with("buildx build"))
        .unwrap_or_else(|| panic!("no build: {calls}"));
    let registry = Services::get().registry();
    for part in [
        "--provenance=false",
        "--platform linux/amd64,linux/arm64",
        &format!("--cache-from type=registry,ref={registry}/{repo}:buildcache"),
        &format!(
            "--cache-to type=registry,ref={registry}/{repo}:buildcache,mode=max,image-manifest=true,oci-mediatypes=true"
        ),
        "--label org.opencontainers.image.revision=0123456789abcdef0123456789abcdef01234567",
    ] {
        assert!(build.contains(part), "{part} missing from: {build}");
    }
    // buildx wrote the cache; no cache tag from ecr-push, no docker save.
    assert!(!text.contains("build cache"), "{text}");
    assert!(!calls.contains("save"), "{calls}");
}

/// A docker CLI without buildx that shows the Docker config the build gets, and "saves" a
/// prepared image.
#[cfg(unix)]
const FAKE_DOCKER: &str = r##"#!/bin/sh
echo "$*" >> "$FAKE_DOCKER_LOG"
case "$1" in
  buildx) exit 1 ;;
  build) cat "$DOCKER_CONFIG/config.json" >> "$FAKE_DOCKER_LOG"; echo >> "$FAKE_DOCKER_LOG"; echo "#5 DONE 0.1s"; exit 0 ;;
  save) cp "$FAKE_OCI_TAR" "$3"; exit $? ;;
esac
exit 1
"##;

/// A stand-in for ECR Public's API (the emulator has none): every request gets a token for
/// `AWS:<password>`. The server stays up for the rest of the test process.
#[cfg(unix)]
fn fake_ecr_public(password: &'static str) -> String {
    use base64::Engine as _;
    use gantry_testkit::http::{FakeHttp, Response};
    let token = base64::engine::general_purpose::STANDARD.encode(format!("AWS:{password}"));
    let answer = serde_json::json!({
        "authorizationData": {"authorizationToken": token, "expiresAt": 1_900_000_000}
    });
    let server = FakeHttp::start(move |_| Response {
        status: 200,
        headers: vec![(
            "Content-Type".to_owned(),
            "application/x-amz-json-1.1".to_owned(),
        )],
        body: answer.to_string().into_bytes(),
    });
    let url = server.url();
    std::mem::forget(server);
    url
}

// A fake `docker` shell script stands in for the client: Unix only.
#[cfg(unix)]
#[test]
fn login_public_gives_the_build_a_public_ecr_login_and_masks_it() {
    const PASSWORD: &str = "pub-s3cr3t-t0ken";
    let job = build_job();
    let repo = unique_repo("public");
    create_repo(&repo, true);
    let layout_path = layout_dir(&job, "oci");
    let digest = layout(&layout_path, 850, 1, 100);
    let tar_path = job.path().join("oci.tar");
    let mut tar = tar::Builder::new(std::fs::File::create(&tar_path).unwrap());
    tar.append_dir_all(".", &layout_path).unwrap();
    tar.finish().unwrap();
    let fake = job.path().join("fake-docker");
    std::fs::write(&fake, FAKE_DOCKER).unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let log = job.path().join("docker.log");

    let mut cmd = job.command();
    cmd.env("FAKE_DOCKER_LOG", &log)
        .env("FAKE_OCI_TAR", &tar_path)
        .env("AWS_ENDPOINT_URL_ECR_PUBLIC", fake_ecr_public(PASSWORD));
    gantry_testkit::ToolJob::inputs(
        &mut cmd,
        &[
            ("repository", &repo),
            ("mode", "build"),
            ("context", "svc"),
            ("docker", fake.to_str().unwrap()),
            ("login-public", "true"),
        ],
    );
    let text = ok(&gantry_testkit::ToolJob::run(&mut cmd));
    assert!(
        text.contains("logged in to public.ecr.aws as AWS"),
        "{text}"
    );
    assert_eq!(job.output("digest"), digest);
    let calls = std::fs::read_to_string(&log).unwrap();
    use base64::Engine as _;
    let public_auth = base64::engine::general_purpose::STANDARD.encode(format!("AWS:{PASSWORD}"));
    let config_line = calls
        .lines()
        .find(|l| l.starts_with("{\"auths\""))
        .unwrap_or_else(|| panic!("the build saw no config: {calls}"));
    let config: serde_json::Value = serde_json::from_str(config_line).unwrap();
    assert_eq!(config["auths"]["public.ecr.aws"]["auth"], public_auth);
    assert!(config["auths"]["123456789012.dkr.ecr.us-east-1.amazonaws.com"]["auth"].is_string());
    for line in text.lines().filter(|l| !l.starts_with("::add-mask::")) {
        assert!(!line.contains(PASSWORD), "leaked: {line}");
        assert!(!line.contains(&public_auth), "leaked: {line}");
    }
}

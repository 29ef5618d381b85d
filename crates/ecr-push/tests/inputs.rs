//! Bad input: every input with a bad value fails the run with a message naming the input, the
//! value and what is valid, before any request to AWS or the registry.
// Needs the local services of scripts/services (scripts/test enables the feature).
#![cfg(feature = "local-services")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::*;
use gantry_testkit::Services;
use gantry_testkit::fault_proxy::FaultProxy;

const LONG_TAG: &str = "raw:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

/// (mode, input, bad value, words the message must contain besides the input's name)
const CASES: &[(&str, &str, &str, &[&str])] = &[
    (
        "push",
        "repository",
        "Bad_Name",
        &["'Bad_Name'", "lower-case"],
    ),
    ("push", "repository", "a", &["'a'", "2 to 256"]),
    (
        "push",
        "mode",
        "deploy",
        &["'deploy'", "one of build, build-only, push, promote, login"],
    ),
    ("push", "registry-ids", "12345", &["'12345'", "12 digits"]),
    (
        "push",
        "registry-endpoint",
        "http://10.0.0.1:5000",
        &["plain http", "loopback"],
    ),
    (
        "push",
        "registry-endpoint",
        "ftp://x",
        &["'ftp://x'", "a URL"],
    ),
    ("push", "tags", "nightly", &["'nightly'", "sha, semver"]),
    (
        "push",
        "tags",
        "raw:bad tag",
        &["'raw:bad tag'", "not allowed"],
    ),
    ("push", "tags", LONG_TAG, &["at most 128 characters"]),
    ("push", "tags", "pr", &["no tag rule produced a tag"]),
    ("push", "version", "1.2", &["'1.2'", "semantic version"]),
    ("push", "semver-floating", "yes", &["'yes'", "true, True"]),
    ("push", "sha-length", "3", &["'3'", "7 to 40"]),
    (
        "build",
        "context",
        "missing-dir",
        &["'missing-dir'", "existing directory"],
    ),
    (
        "build",
        "dockerfile",
        "nope/Dockerfile",
        &["'nope/Dockerfile'", "existing file"],
    ),
    ("build", "build-args", "1BAD=x", &["'1BAD=…'", "KEY=VALUE"]),
    (
        "build",
        "build-args",
        "noequals",
        &["'noequals'", "KEY=VALUE"],
    ),
    ("build", "target", "a b", &["'a b'", "build stage"]),
    ("build", "platforms", "linux", &["'linux'", "os/arch"]),
    (
        "build",
        "platforms",
        "linux/amd64, Linux/ARM64",
        &["'Linux/ARM64'", "os/arch"],
    ),
    (
        "build",
        "labels",
        "no-equals",
        &["'no-equals'", "key=value"],
    ),
    ("build", "provenance", "maybe", &["'maybe'", "true, True"]),
    ("build", "force", "1", &["'1'", "true, True"]),
    (
        "build",
        "cache-tag",
        "bad tag",
        &["'bad tag'", "not allowed"],
    ),
    (
        "build",
        "cache-repository",
        "team/cache",
        &["only applies together with 'cache-tag'"],
    ),
    (
        "build",
        "secrets",
        "id=npm",
        &["'id=npm'", "id=<id>,env=<VARIABLE>", "src=<file>"],
    ),
    (
        "build",
        "secrets",
        "id=npm,env=GANTRY_UNSET_TOKEN",
        &[
            "'id=npm,env=GANTRY_UNSET_TOKEN'",
            "GANTRY_UNSET_TOKEN is not set",
        ],
    ),
    (
        "build",
        "secrets",
        "id=aws,src=missing.txt",
        &["'id=aws,src=missing.txt'", "is not a file"],
    ),
    (
        "build",
        "ssh",
        "default",
        &["'default'", "SSH_AUTH_SOCK is not set"],
    ),
    ("build", "ssh", "bad id=key", &["'bad id=key'", "`default`"]),
    ("build", "no-cache", "yes", &["'yes'", "true, True"]),
    ("build", "pull", "always", &["'always'", "true, True"]),
    (
        "build-only",
        "build-args",
        "1BAD=x",
        &["'1BAD=…'", "KEY=VALUE"],
    ),
    (
        "build",
        "docker",
        "/nonexistent/docker",
        &["'/nonexistent/docker'", "Docker CLI"],
    ),
    (
        "push",
        "image-path",
        "missing.tar",
        &["'missing.tar'", "OCI image layout"],
    ),
    (
        "promote",
        "source",
        "sha256:xyz",
        &["'sha256:xyz'", "digest"],
    ),
    (
        "push",
        "mount-from",
        "Bad/Repo",
        &["'Bad/Repo'", "repository name"],
    ),
    ("push", "create-repository", "yes", &["'yes'", "true, True"]),
    ("push", "update-repository", "no", &["'no'", "true, True"]),
    (
        "push",
        "image-tag-mutability",
        "frozen",
        &["'frozen'", "immutable, mutable"],
    ),
    ("push", "scan-on-push", "on", &["'on'", "true, True"]),
    ("push", "encryption", "DES", &["'DES'", "AES256, KMS"]),
    (
        "push",
        "kms-key",
        "alias/x",
        &["'kms-key'", "only applies with encryption 'KMS'"],
    ),
    (
        "push",
        "lifecycle-keep-last",
        "-1",
        &["'-1'", "images to keep"],
    ),
    (
        "push",
        "lifecycle-expire-untagged-days",
        "ten",
        &["'ten'", "days"],
    ),
    (
        "push",
        "lifecycle-protect-releases",
        "always",
        &["'always'", "true, True"],
    ),
    (
        "push",
        "lifecycle-preview",
        "maybe",
        &["'maybe'", "true, True"],
    ),
    (
        "push",
        "tags",
        "sha, raw:v1.2.3",
        &[
            "tag rule 'raw:v1.2.3' makes tag 'v1.2.3' from branch main",
            "come only from the `semver` rule",
        ],
    ),
    (
        "push",
        "repository-tags",
        "novalue",
        &["'novalue'", "key=value"],
    ),
    (
        "push",
        "scan-severity-threshold",
        "severe",
        &["'severe'", "critical"],
    ),
    ("push", "scan-timeout-seconds", "0", &["'0'", "1 to 3600"]),
    ("push", "max-concurrency", "100", &["'100'", "1 to 32"]),
    ("push", "push-retries", "many", &["'many'", "0 to 20"]),
    ("push", "timeout-seconds", "5", &["'5'", "10 to 21600"]),
    ("push", "dry-run", "y", &["'y'", "true, True"]),
    ("push", "aws-region", "us-east1", &["'us-east1'"]),
    ("push", "role-to-assume", "not-an-arn", &["'not-an-arn'"]),
    ("push", "role-session-name", "x", &["'role-to-assume'"]),
    ("push", "audience", "sts", &["'role-to-assume'"]),
    (
        "push",
        "aws-retry-mode",
        "fast",
        &["'fast'", "standard, adaptive"],
    ),
    ("push", "aws-max-attempts", "0", &["'0'", "1 to 20"]),
    ("push", "aws-attempt-timeout-seconds", "0", &["'0'"]),
    ("push", "aws-connect-timeout-seconds", "999", &["'999'"]),
];

#[test]
fn every_bad_input_is_refused_before_any_request() {
    let aws = FaultProxy::start(&Services::get().moto_url());
    let registry = FaultProxy::start(&Services::get().registry());
    let job = Job::new();
    let dir = layout_dir(&job, "image");
    layout(&dir, 200, 1, 10);
    std::fs::write(job.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    for (mode, input, value, words) in CASES {
        let mut inputs: Vec<(&str, &str)> = vec![("repository", "team/api"), ("mode", mode)];
        match *mode {
            "push" => inputs.push(("image-path", "image")),
            "promote" => inputs.push(("source", "sha-0123456")),
            _ => inputs.push(("docker", "sh")),
        }
        inputs.retain(|(n, _)| n != input);
        inputs.push((input, value));
        let mut cmd = job.command();
        cmd.env("AWS_ENDPOINT_URL", aws.url())
            .env("INPUT_REGISTRY-ENDPOINT", registry.url());
        gantry_testkit::ToolJob::inputs(&mut cmd, &inputs);
        let text = failed(&gantry_testkit::ToolJob::run(&mut cmd));
        let error = text
            .lines()
            .find(|l| l.starts_with("::error"))
            .unwrap_or_else(|| panic!("{input}={value}: no error annotation:\n{text}"));
        if *input != "tags" || !value.starts_with("raw:a") {
            assert!(
                error.contains(&format!("'{input}'")),
                "{input}={value}: {error}"
            );
        }
        for word in *words {
            assert!(
                error.contains(word),
                "{input}={value}: missing {word:?} in {error}"
            );
        }
    }
    assert!(
        aws.requests().is_empty(),
        "AWS was called: {:?}",
        aws.requests()
    );
    assert!(registry.requests().is_empty(), "the registry was called");
}

#[test]
fn a_missing_repository_input_is_named() {
    let job = Job::new();
    let text = failed(&job.run(&[("mode", "push"), ("image-path", "x")]));
    assert!(text.contains("input 'repository' is required"), "{text}");
}

#[test]
fn inputs_of_another_mode_are_refused() {
    let job = Job::new();
    let dir = layout_dir(&job, "image");
    layout(&dir, 201, 1, 10);
    let text = failed(&job.run(&[
        ("repository", "team/api"),
        ("mode", "push"),
        ("image-path", "image"),
        ("build-args", "A=1"),
    ]));
    assert!(
        text.contains(
            "input 'build-args' only applies to modes 'build' and 'build-only', and mode is 'push'"
        ),
        "{text}"
    );
    let text = failed(&job.run(&[("repository", "team/api"), ("mode", "promote")]));
    assert!(
        text.contains("mode 'promote' needs input 'source'"),
        "{text}"
    );
}

#[test]
fn a_missing_default_dockerfile_is_named() {
    let job = Job::new();
    std::fs::create_dir_all(job.path().join("svc")).unwrap();
    let text = failed(&job.run(&[
        ("repository", "team/api"),
        ("context", "svc"),
        ("docker", "sh"),
    ]));
    assert!(text.contains("input 'dockerfile'"), "{text}");
    assert!(text.contains("svc/Dockerfile"), "{text}");
}

/// Issue 20, item 3: a branch named like a release cannot become a release tag. Refused before
/// any request, naming the rule and the ref.
#[test]
fn a_branch_named_like_a_release_or_latest_is_refused_before_any_request() {
    let aws = FaultProxy::start(&Services::get().moto_url());
    let registry = FaultProxy::start(&Services::get().registry());
    let job = Job::new();
    let dir = layout_dir(&job, "image");
    layout(&dir, 202, 1, 10);
    for (branch, tag, reason) in [
        ("v1.2.3", "v1.2.3", "release-shaped tags"),
        (
            "latest",
            "latest",
            "'latest' comes only from the `latest` rule",
        ),
        (
            "sha-0123456",
            "sha-0123456",
            "'sha-…' tags come only from the `sha` rule",
        ),
    ] {
        let mut cmd = job.command();
        cmd.env("AWS_ENDPOINT_URL", aws.url())
            .env("INPUT_REGISTRY-ENDPOINT", registry.url())
            .env("GITHUB_REF", format!("refs/heads/{branch}"))
            .env("GITHUB_REF_NAME", branch);
        gantry_testkit::ToolJob::inputs(
            &mut cmd,
            &[
                ("repository", "team/api"),
                ("mode", "push"),
                ("image-path", "image"),
                ("tags", "sha, branch"),
            ],
        );
        let text = failed(&gantry_testkit::ToolJob::run(&mut cmd));
        let error = text
            .lines()
            .find(|l| l.starts_with("::error"))
            .unwrap_or_else(|| panic!("{branch}: no error annotation:\n{text}"));
        assert!(
            error.contains(&format!(
                "input 'tags': tag rule 'branch' makes tag '{tag}' from branch {branch}"
            )),
            "{error}"
        );
        assert!(error.contains(reason), "{error}");
    }
    assert!(
        aws.requests().is_empty(),
        "AWS was called: {:?}",
        aws.requests()
    );
    assert!(registry.requests().is_empty(), "the registry was called");
}

//! The builds teams run, with the real Docker engine of scripts/services: BuildKit secrets and SSH,
//! build-only (no AWS), values that never reach the log, build output that cannot become a
//! workflow command, and mode login.
//!
//! Stand-ins: nothing can be pulled here, so the base image with a shell is imported from the
//! host's own `dash` and C library (`docker import`); and the engine runs without a bridge
//! network, so a wrapper adds `--network=none` to `docker build` (every other argument, and the
//! build itself, is the tool's, on the real engine).
// Needs the local services of scripts/services (scripts/test enables the feature).
#![cfg(all(feature = "local-services", unix))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use crate::common;

use common::*;
use gantry_testkit::Services;
use gantry_testkit::docker_build::{SHELL_IMAGE, docker_without_network, shell_base_image};

const BASE: &str = SHELL_IMAGE;
const NPM_TOKEN: &str = "npm-s3cret-7f3a9c21e5d4";
const FILE_SECRET: &str = "aws-file-s3cret-0b8e6d";
const BUILD_ARG_VALUE: &str = "build-arg-private-91c2";
const LABEL_VALUE: &str = "label-private-4d7e";

/// The wrapper: the real docker CLI with `--network=none` after `build`, and, when `inject`
/// is set, a line of its own that looks like a workflow command.
fn docker_wrapper(dir: &Path, inject: bool) -> PathBuf {
    let inject = if inject {
        "echo '::error::injected by the build output'\necho '::add-mask::nothing'\n"
    } else {
        ""
    };
    docker_without_network(dir, inject)
}

fn secret_job() -> Job {
    shell_base_image();
    let job = Job::new();
    std::fs::create_dir_all(job.path().join("svc")).unwrap();
    // Each RUN fails unless its secret arrived with the right length; neither writes it.
    std::fs::write(
        job.path().join("svc/Dockerfile"),
        format!(
            "FROM {BASE}\nARG GREETING\n\
             RUN --mount=type=secret,id=npm read x < /run/secrets/npm; [ \"${{#x}}\" = \"{}\" ] && echo npm > /npm-ok\n\
             RUN --mount=type=secret,id=aws read x < /run/secrets/aws; [ \"${{#x}}\" = \"{}\" ] && echo aws > /aws-ok\n",
            NPM_TOKEN.len(),
            FILE_SECRET.len()
        ),
    )
    .unwrap();
    std::fs::write(job.path().join("aws-secret.txt"), FILE_SECRET).unwrap();
    job
}

fn build_only(job: &Job, docker: &Path, extra: &[(&str, &str)]) -> (std::process::Output, String) {
    let services = Services::get();
    let mut cmd = job.command();
    // No AWS at all: no credentials, no region, no endpoint.
    for (name, _) in services.aws_env() {
        cmd.env_remove(name);
    }
    cmd.env("DOCKER_HOST", services.docker_host())
        .env("NPM_TOKEN", NPM_TOKEN)
        .env("RUNNER_DEBUG", "1");
    let repo = unique_repo("build-only");
    let docker = docker.display().to_string();
    let mut inputs = vec![
        ("repository", repo.as_str()),
        ("mode", "build-only"),
        ("context", "svc"),
        ("docker", docker.as_str()),
        ("secrets", "id=npm,env=NPM_TOKEN\nid=aws,src=aws-secret.txt"),
        ("build-args", "GREETING=build-arg-private-91c2"),
        ("labels", "team=label-private-4d7e"),
        ("cache-tag", "buildcache"),
        ("no-cache", "true"),
    ];
    inputs.extend_from_slice(extra);
    gantry_testkit::ToolJob::inputs(&mut cmd, &inputs);
    (gantry_testkit::ToolJob::run(&mut cmd), repo)
}

#[test]
fn a_build_with_secrets_shows_them_nowhere_and_build_only_pushes_nothing_without_aws() {
    let job = secret_job();
    let docker = docker_wrapper(job.path(), false);
    let (out, repo) = build_only(&job, &docker, &[]);
    let text = ok(&out);

    // The secret arrived (the RUN steps check it), and is masked before anything is printed.
    assert!(text.contains(&format!("::add-mask::{NPM_TOKEN}")), "{text}");
    assert!(text.contains("--secret id=npm,env=NPM_TOKEN"), "{text}");
    assert!(text.contains("--no-cache"), "{text}");
    // Build-arg and label values: names only.
    assert!(text.contains("--build-arg GREETING=…"), "{text}");
    assert!(text.contains("--label team=…"), "{text}");
    let summary = job.tool.summary();
    let outputs = std::fs::read_to_string(job.tool.file("output")).unwrap();
    for value in [NPM_TOKEN, FILE_SECRET, BUILD_ARG_VALUE, LABEL_VALUE] {
        for line in text.lines().filter(|l| !l.starts_with("::add-mask::")) {
            assert!(!line.contains(value), "{value} in the log: {line}");
        }
        assert!(!summary.contains(value), "{value} in the summary");
        assert!(!outputs.contains(value), "{value} in the outputs");
    }

    // The image: built, labelled, and its history holds neither secret.
    let image = job.output("image");
    assert!(
        image.starts_with(&format!("ecr-push.local/{repo}:")),
        "{image}"
    );
    let history = Services::get()
        .docker_command()
        .args([
            "history",
            "--no-trunc",
            "--format",
            "{{.CreatedBy}}",
            &image,
        ])
        .output()
        .unwrap();
    assert!(history.status.success());
    let history = String::from_utf8_lossy(&history.stdout);
    assert!(history.contains("/run/secrets/npm"), "{history}");
    for secret in [NPM_TOKEN, FILE_SECRET] {
        assert!(
            !history.contains(secret),
            "{secret} in the history: {history}"
        );
    }
    let inspect = Services::get()
        .docker_command()
        .args([
            "image",
            "inspect",
            "--format",
            "{{json .Config.Labels}}",
            &image,
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&inspect.stdout).contains(LABEL_VALUE));

    // Nothing pushed: no tag in the registry, no AWS needed.
    assert_eq!(job.output("pushed"), "false");
    assert!(job.output("digest").starts_with("sha256:"));
    assert_eq!(job.output("registry"), "");
    assert_eq!(registry_digest(&repo, "sha-0123456"), None);
    assert!(summary.contains("nothing was pushed"), "{summary}");
    assert!(
        summary.contains("build cache in ECR is neither read"),
        "{summary}"
    );
}

#[test]
fn a_line_of_build_output_cannot_become_a_workflow_command() {
    let job = secret_job();
    let docker = docker_wrapper(job.path(), true);
    let (out, _) = build_only(&job, &docker, &[]);
    let text = ok(&out);
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| *l == "::error::injected by the build output")
        .unwrap_or_else(|| panic!("the line was not passed through:\n{text}"));
    // Printed between ::stop-commands::<token> and ::<token>::, so the runner shows it and
    // runs nothing.
    let token = lines[..at]
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix("::stop-commands::"))
        .unwrap_or_else(|| panic!("no ::stop-commands:: before the line:\n{text}"));
    assert!(token.len() >= 16, "{token}");
    assert!(
        lines[at..].contains(&format!("::{token}::").as_str()),
        "{text}"
    );
    let mask = lines
        .iter()
        .position(|l| *l == "::add-mask::nothing")
        .unwrap();
    assert!(lines[mask - 1].starts_with("::stop-commands::"), "{text}");
}

#[test]
fn mode_login_outputs_the_registry_and_masked_credentials_and_needs_no_repository() {
    let job = Job::new();
    let out = job.run(&[("mode", "login")]);
    let text = ok(&out);
    assert_eq!(
        job.output("registry"),
        "123456789012.dkr.ecr.us-east-1.amazonaws.com"
    );
    assert_eq!(job.output("docker-username"), "AWS");
    assert_eq!(job.output("docker-password"), MOTO_PASSWORD);
    assert!(
        text.contains(&format!("::add-mask::{MOTO_PASSWORD}")),
        "{text}"
    );
    for line in text.lines().filter(|l| !l.starts_with("::add-mask::")) {
        assert!(!line.contains(MOTO_PASSWORD), "password leaked: {line}");
    }
    let summary = job.tool.summary();
    assert!(!summary.contains(MOTO_PASSWORD));
    assert!(
        summary.contains("123456789012.dkr.ecr.us-east-1.amazonaws.com"),
        "{summary}"
    );
    // Build inputs make no sense here.
    let text = failed(&job.run(&[("mode", "login"), ("secrets", "id=a,env=HOME")]));
    assert!(
        text.contains("input 'secrets' only applies to modes 'build' and 'build-only'"),
        "{text}"
    );
}

/// A real OpenSSH agent holding a throwaway key, killed (with its directory) on drop.
struct Agent {
    child: std::process::Child,
    sock: PathBuf,
    key: String,
    _dir: tempfile::TempDir,
}

impl Agent {
    fn start() -> Agent {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("id_ed25519");
        let out = std::process::Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "gantry-test", "-f"])
            .arg(&key)
            .output()
            .unwrap_or_else(|e| panic!("this test needs ssh-keygen (openssh-client): {e}"));
        assert!(out.status.success(), "{out:?}");
        let sock = dir.path().join("agent.sock");
        let child = std::process::Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&sock)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("this test needs ssh-agent (openssh-client): {e}"));
        let agent = Agent {
            child,
            sock,
            key: std::fs::read_to_string(&key).unwrap(),
            _dir: dir,
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !agent.sock.exists() {
            assert!(
                std::time::Instant::now() < deadline,
                "ssh-agent never listened"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let out = std::process::Command::new("ssh-add")
            .arg(&key)
            .env("SSH_AUTH_SOCK", &agent.sock)
            .output()
            .unwrap();
        assert!(out.status.success(), "ssh-add: {out:?}");
        agent
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_build_with_ssh_reaches_the_agent_and_shows_the_key_nowhere() {
    shell_base_image();
    let agent = Agent::start();
    let job = Job::new();
    std::fs::create_dir_all(job.path().join("svc")).unwrap();
    // Fails unless BuildKit mounted the forwarded agent socket in the step.
    std::fs::write(
        job.path().join("svc/Dockerfile"),
        format!(
            "FROM {BASE}\n\
             RUN --mount=type=ssh test -S \"$SSH_AUTH_SOCK\" && echo ssh > /ssh-ok\n"
        ),
    )
    .unwrap();
    let docker = docker_wrapper(job.path(), false);
    let build = |ssh: Option<&str>| {
        let services = Services::get();
        let mut cmd = job.command();
        for (name, _) in services.aws_env() {
            cmd.env_remove(name);
        }
        cmd.env("DOCKER_HOST", services.docker_host())
            .env("SSH_AUTH_SOCK", &agent.sock)
            .env("RUNNER_DEBUG", "1");
        let repo = unique_repo("build-ssh");
        let docker = docker.display().to_string();
        let mut inputs = vec![
            ("repository", repo.as_str()),
            ("mode", "build-only"),
            ("context", "svc"),
            ("docker", docker.as_str()),
            // The step must run in both builds: no cache hit from the other.
            ("no-cache", "true"),
        ];
        if let Some(ssh) = ssh {
            inputs.push(("ssh", ssh));
        }
        gantry_testkit::ToolJob::inputs(&mut cmd, &inputs);
        gantry_testkit::ToolJob::run(&mut cmd)
    };

    // Without the input, the agent is not forwarded and the step fails.
    let text = failed(&build(None));
    assert!(!text.contains("--ssh"), "{text}");
    // On that step, not before it.
    assert!(
        text.contains("test -S \"$SSH_AUTH_SOCK\" && echo ssh > /ssh-ok]: exit code: 1"),
        "{text}"
    );

    let out = build(Some("default"));
    let text = ok(&out);
    assert!(text.contains("--ssh default"), "{text}");
    let summary = job.tool.summary();
    let outputs = std::fs::read_to_string(job.tool.file("output")).unwrap();
    let image = job.output("image");
    let history = Services::get()
        .docker_command()
        .args([
            "history",
            "--no-trunc",
            "--format",
            "{{.CreatedBy}}",
            &image,
        ])
        .output()
        .unwrap();
    assert!(history.status.success());
    let history = String::from_utf8_lossy(&history.stdout);
    assert!(history.contains("test -S"), "{history}");
    // The key's whole text, and each line of its body.
    let body = agent
        .key
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with("-----"));
    for value in std::iter::once(agent.key.trim()).chain(body) {
        assert!(!text.contains(value), "the key in the log: {value}");
        assert!(!summary.contains(value), "the key in the summary");
        assert!(!outputs.contains(value), "the key in the outputs");
        assert!(!history.contains(value), "the key in the history");
    }
    assert_eq!(job.output("pushed"), "false");
}

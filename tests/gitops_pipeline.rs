//! The reusable GitOps workflow (`.github/workflows/gitops-deploy.yml`) run end to end by act,
//! called the way a user's repository calls it (`tests/fixtures/pipelines/gitops-deploy.yml`,
//! with the helpers of `pipelines.rs`). The caller's own repository is the GitOps repository
//! (`gitops-repository` empty): its branches live in a bare repository, the remote the job
//! clones and pushes to; Argo CD is `gantry_testkit::argocd::ArgoStandIn`, whose controller
//! deploys that remote's `main`. The outcome is checked in the remote (commits, files byte for
//! byte), in the workflow's outputs, and in what the git server and Argo CD were sent; no token
//! shows in act's log.
//!
//! What act cannot run as GitHub does, and what stands in for it:
//! - actions/checkout. act performs a checkout itself, by copying its working directory, only
//!   for a checkout step with no `repository:` and no `ref:` (or ones equal, unevaluated, to the
//!   run's repository and ref). The workflow's step passes both as expressions, so act would
//!   clone actions/checkout from GitHub, which is unreachable; no registry ships it. The test
//!   serves the pinned ref from [`CHECKOUT_STAND_IN`], a composite action that runs the git
//!   commands actions/checkout v4 runs for a token (`input-helper.ts`, `git-auth-helper.ts`,
//!   `ref-helper.ts`): the repository at `GITHUB_SERVER_URL`, the given ref (for the workflow's
//!   own repository and no ref, the run's ref and commit), `--depth 1`, and the token persisted
//!   as the `http.<server>/.extraheader` that the tool then pushes with. It does no `ssh-key` (it
//!   fails the step), no tags, and no post step (actions/checkout removes the header then).
//! - GitHub's git server: `git http-backend` (git's own smart-HTTP server, as CGI) behind a
//!   loopback server that act names as `GITHUB_SERVER_URL` (`--env`), at `/acme/gitops`. It takes
//!   only the token the job should use, as actions/checkout sends it; any other request is 403
//!   (GitHub answers 401 and git would ask for a password: a 403 fails at once).
//! - A later job of the caller reads the workflow's outputs after a successful deploy; after a
//!   failed one act runs no later job (`if: always()` or not; GitHub does), so those outputs are
//!   read where the called job's step set them.
//! - `environment:` protection rules and `concurrency:` are not enforced by act.
// Needs the local services of scripts/services (scripts/test enables the feature).
#![cfg(feature = "local-services")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use gantry_testkit::argocd::{App, ArgoStandIn};
use gantry_testkit::http::{FakeHttp, Request, Response};
use gantry_testkit::{ActRun, GitRepo, workspace_root};
use serde_json::json;

use crate::pipelines::{act, install_caller};

const ECR: &str = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
/// The GitOps repository, as act names it (`GITHUB_REPOSITORY`, from the caller's `origin`).
const SLUG: &str = "acme/gitops";
const OVERLAY: &str = "apps/api/overlays/production/kustomization.yaml";
/// The job's own token (act's `GITHUB_TOKEN` secret: `github.token`).
const JOB_TOKEN: &str = "ghs_j0bT0kenOfTheGitopsPipeline01";
/// A token for the GitOps repository (`gitops-token`), when the caller passes one.
const GITOPS_TOKEN: &str = "github_pat_g1t0psT0kenOfThePipeline02";
const ARGOCD_TOKEN: &str = "argocd-pipeline-t0ken-n0t-for-logs";

const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 2
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: api:latest
";

const BASE: &str = "\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
";

/// The production overlay as the GitOps repository has it before the deploy: comments, quoting
/// and another image that the update must leave alone.
fn overlay() -> String {
    format!(
        "\
# production: what Argo CD deploys
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: shop-production
resources:
  - ../../base
images:
  - name: api
    newName: {ECR}/shop/api   # ECR, not Docker Hub
    newTag: \"v1.0.0\"
  - name: web
    newName: {ECR}/shop/web
    newTag: v2.0.0
"
    )
}

/// A stand-in for `actions/checkout` under act (see the module's documentation): the git
/// commands actions/checkout v4 runs for a token, with its inputs and defaults.
const CHECKOUT_STAND_IN: &str = r#"name: checkout stand-in
description: "tests/gitops_pipeline.rs: the git commands actions/checkout v4 runs for a token, for act"
inputs:
  repository:
    default: ${{ github.repository }}
  ref:
    default: ""
  token:
    default: ${{ github.token }}
  ssh-key:
    default: ""
  persist-credentials:
    default: "true"
  path:
    default: ""
  fetch-depth:
    default: "1"
runs:
  using: composite
  steps:
    - shell: bash
      env:
        REPOSITORY: ${{ inputs.repository }}
        REF: ${{ inputs.ref }}
        TOKEN: ${{ inputs.token }}
        SSH_KEY: ${{ inputs.ssh-key }}
        PERSIST: ${{ inputs.persist-credentials }}
        CHECKOUT_PATH: ${{ inputs.path }}
        DEPTH: ${{ inputs.fetch-depth }}
      run: |
        set -euo pipefail
        if [ -n "$SSH_KEY" ]; then
          echo "::error::the checkout stand-in does not do ssh-key"
          exit 1
        fi
        # input-helper.ts: the workflow's repository by default; its ref and commit when no ref
        # is given for it.
        repository="${REPOSITORY:-$GITHUB_REPOSITORY}"
        ref="$REF"
        commit=""
        if [ -z "$ref" ] && [ "${repository,,}" = "${GITHUB_REPOSITORY,,}" ]; then
          ref="$GITHUB_REF"
          commit="$GITHUB_SHA"
        fi
        echo "checkout stand-in: $repository ${ref:-(default branch)} ${commit} into ./$CHECKOUT_PATH"
        mkdir -p "$GITHUB_WORKSPACE/$CHECKOUT_PATH"
        cd "$GITHUB_WORKSPACE/$CHECKOUT_PATH"
        git init -q
        git remote add origin "$GITHUB_SERVER_URL/$repository"
        # git-auth-helper.ts: the token as a basic credential in http.<server origin>/.extraheader.
        credential="$(printf 'x-access-token:%s' "$TOKEN" | base64 -w0)"
        echo "::add-mask::$credential"
        server="$(printf '%s' "$GITHUB_SERVER_URL" | sed -E 's#^([a-z]+://[^/]+).*#\1#')"
        git config --local "http.$server/.extraheader" "AUTHORIZATION: basic $credential"
        if [ -z "$ref" ]; then
          ref="$(git ls-remote --symref origin HEAD | sed -n 's#^ref: \(refs/heads/[^[:space:]]*\)[[:space:]]*HEAD$#\1#p')"
        fi
        case "$ref" in refs/heads/*) ;; *) ref="refs/heads/$ref" ;; esac
        branch="${ref#refs/heads/}"
        depth=()
        if [ "$DEPTH" != 0 ]; then depth=(--depth="$DEPTH"); fi
        git -c protocol.version=2 fetch --no-tags --prune --no-recurse-submodules "${depth[@]}" \
          origin "+${commit:-$ref}:refs/remotes/origin/$branch"
        git checkout -q --force -B "$branch" "refs/remotes/origin/$branch"
        if [ "$PERSIST" != true ]; then
          git config --local --unset-all "http.$server/.extraheader"
        fi
"#;

/// The `actions/checkout` ref the reusable workflow pins (the stand-in is served at it).
fn checkout_pin() -> String {
    let workflow =
        std::fs::read_to_string(workspace_root().join(".github/workflows/gitops-deploy.yml"))
            .unwrap();
    let at = workflow
        .find("uses: actions/checkout@")
        .expect("gitops-deploy.yml checks out with actions/checkout")
        + "uses: actions/checkout@".len();
    workflow[at..at + 40].to_owned()
}

/// The directory act serves as `actions/checkout@<pin>`.
fn checkout_stand_in() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("gantry-checkout-")
            .tempdir()
            .unwrap();
        std::fs::write(dir.path().join("action.yml"), CHECKOUT_STAND_IN).unwrap();
        dir
    })
    .path()
}

/// Standard base64, as actions/checkout encodes its credential.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// GitHub's git server for one repository (see the module's documentation).
struct GitServer {
    http: FakeHttp,
    /// `basic <base64>`: what the job must send.
    credential: String,
}

impl GitServer {
    /// Serves the bare repository `repo` at `/<slug>`, to `token` only.
    fn start(repo: &Path, slug: &str, token: &str) -> GitServer {
        let root = repo.parent().unwrap().to_path_buf();
        let name = repo.file_name().unwrap().to_string_lossy().into_owned();
        let prefix = format!("/{slug}/");
        let credential = base64(format!("x-access-token:{token}").as_bytes());
        let expected = credential.clone();
        let http = FakeHttp::start(move |request| {
            let Some(rest) = request.route().strip_prefix(&prefix) else {
                return Response::text(404, "Not Found");
            };
            if !authorized(request, &expected) {
                return Response::text(403, "Permission denied: not the token of this job\n");
            }
            http_backend(&root, &format!("/{name}/{rest}"), request)
        });
        GitServer {
            http,
            credential: format!("basic {credential}"),
        }
    }

    fn url(&self) -> String {
        self.http.url()
    }

    fn requests(&self) -> Vec<Request> {
        self.http.requests()
    }
}

/// `Authorization: basic <credential>` (the scheme in any case).
fn authorized(request: &Request, credential: &str) -> bool {
    request
        .header("authorization")
        .and_then(|h| h.split_once(' '))
        .is_some_and(|(scheme, value)| scheme.eq_ignore_ascii_case("basic") && value == credential)
}

/// One request through `git http-backend` (CGI) over the repositories under `root`.
fn http_backend(root: &Path, path_info: &str, request: &Request) -> Response {
    let query = request.path.split_once('?').map_or("", |(_, q)| q);
    let mut cmd = Command::new("git");
    cmd.arg("http-backend")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("PATH_INFO", path_info)
        .env("QUERY_STRING", query)
        .env("REQUEST_METHOD", &request.method)
        .env("CONTENT_LENGTH", request.body.len().to_string())
        // An authenticated user: http-backend serves receive-pack (pushes) only to one.
        .env("REMOTE_USER", "x-access-token")
        .env("REMOTE_ADDR", "127.0.0.1");
    for (header, var) in [
        ("content-type", "CONTENT_TYPE"),
        ("content-encoding", "HTTP_CONTENT_ENCODING"),
        ("git-protocol", "HTTP_GIT_PROTOCOL"),
    ] {
        if let Some(value) = request.header(header) {
            cmd.env(var, value);
        }
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("git http-backend");
    let mut stdin = child.stdin.take().unwrap();
    let body = request.body.clone();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&body);
    });
    let out = child.wait_with_output().unwrap();
    let _ = writer.join();
    if !out.status.success() && out.stdout.is_empty() {
        return Response::text(500, &String::from_utf8_lossy(&out.stderr));
    }
    // CGI: header lines, an empty line, the body.
    let (head, body) = [&b"\r\n\r\n"[..], b"\n\n"]
        .iter()
        .filter_map(|sep| {
            out.stdout
                .windows(sep.len())
                .position(|w| w == *sep)
                .map(|at| (at, sep.len()))
        })
        .min()
        .map_or((&out.stdout[..], &[][..]), |(at, len)| {
            (&out.stdout[..at], &out.stdout[at + len..])
        });
    let mut response = Response::empty(200);
    response.body = body.to_vec();
    for line in String::from_utf8_lossy(head).lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if name.eq_ignore_ascii_case("status") {
            response.status = value.trim()[..3].parse().unwrap_or(500);
        } else {
            response = response.header(name.trim(), value.trim());
        }
    }
    response
}

/// How the GitOps repository, Argo CD and the push are set up for a deploy.
#[derive(Debug, Default)]
struct Setup {
    /// Argo CD reports `Degraded` once the deployed files hold this.
    degraded_when: Option<&'static str>,
    /// The caller passes this `gitops-token` secret, and the git server takes only it (else
    /// the job's own token).
    gitops_token: Option<&'static str>,
    /// The push that starts the run is to this branch, one commit ahead of `main` (else to
    /// `main`).
    pushed_to: Option<&'static str>,
}

/// One deploy of `tag` through the caller workflow, and what it left.
struct Deploy {
    run: ActRun,
    /// The GitOps repository's remote (bare): `main` is what Argo CD deploys.
    origin: GitRepo,
    /// `main` before the run.
    before: String,
    git: GitServer,
    argocd: ArgoStandIn,
    /// The token the git server took.
    token: &'static str,
}

impl Deploy {
    /// The GitOps repository with its deploy workflow (the caller), pushed to a bare `origin`;
    /// Argo CD's application `api-production` deploys the production overlay of its `main`.
    fn run(tag: &str, setup: Setup) -> Deploy {
        let argocd = ArgoStandIn::start(ARGOCD_TOKEN);
        let caller = GitRepo::new();
        install_caller(
            &caller,
            "gitops-deploy.yml",
            &[
                ("__IMAGE_REF__", &format!("{ECR}/shop/api:{tag}")),
                ("__ARGOCD_URL__", &argocd.url()),
            ],
        );
        caller
            .write("apps/api/base/deployment.yaml", DEPLOYMENT)
            .write("apps/api/base/kustomization.yaml", BASE)
            .write(OVERLAY, overlay());
        let before = caller.commit("the shop's manifests and their deploy workflow");
        let origin = GitRepo::bare();
        caller.set_remote("origin", &origin.path().to_string_lossy());
        caller.git(["push", "--quiet", "origin", "main"]);
        let (pushed_ref, pushed) = match setup.pushed_to {
            Some(branch) => {
                caller
                    .switch_new(branch)
                    .write("docs/release.md", "release notes\n");
                let sha = caller.commit("docs: release notes");
                caller.git(["push", "--quiet", "origin", branch]);
                (format!("refs/heads/{branch}"), sha)
            }
            None => ("refs/heads/main".to_owned(), before.clone()),
        };
        // act takes GITHUB_REPOSITORY from the origin's URL, as in a clone of GitHub.
        caller.set_remote("origin", &format!("https://github.com/{SLUG}.git"));

        let mut app =
            App::new("api-production", origin.path(), "main").path("apps/api/overlays/production");
        if let Some(marker) = setup.degraded_when {
            app = app.degraded_when(marker);
        }
        argocd.add_app(app);
        let token = setup.gitops_token.unwrap_or(JOB_TOKEN);
        let git = GitServer::start(origin.path(), SLUG, token);

        // Secrets in a file, not on act's command line.
        let secrets = tempfile::NamedTempFile::new().unwrap();
        let mut text = format!("GITHUB_TOKEN={JOB_TOKEN}\nARGOCD_TOKEN={ARGOCD_TOKEN}\n");
        if let Some(t) = setup.gitops_token {
            text.push_str(&format!("GITOPS_TOKEN={t}\n"));
        }
        std::fs::write(secrets.path(), text).unwrap();
        let run = act(&caller, "gitops-deploy.yml")
            .event_json(json!({
                "ref": pushed_ref,
                "before": before,
                "after": pushed,
                "created": false,
                "deleted": false,
                "forced": false,
                "repository": { "default_branch": "main", "full_name": SLUG },
                "head_commit": { "id": pushed }
            }))
            .local_repository(
                &format!("actions/checkout@{}", checkout_pin()),
                checkout_stand_in(),
            )
            .arg("--env")
            .arg(format!("GITHUB_SERVER_URL={}", git.url()))
            .arg("--secret-file")
            .arg(secrets.path())
            .run();
        Deploy {
            run,
            origin,
            before,
            git,
            argocd,
            token,
        }
    }

    /// The reusable workflow's output `name`, as the caller's later job read it (after a
    /// successful deploy: act runs no later job after a failed one).
    fn output(&self, name: &str) -> String {
        self.run
            .output("outputs", "seen", name)
            .unwrap_or_else(|| panic!("no output {name}:\n{}", self.run.report()))
    }

    /// A file of the remote's `rev`, byte for byte.
    fn file(&self, rev: &str, path: &str) -> Vec<u8> {
        self.origin
            .git_output(["cat-file", "blob", &format!("{rev}:{path}")])
            .stdout
    }

    /// The job cloned and pushed over the git server with the checkout's persisted token, and
    /// no request went without it; Argo CD was read with its token.
    fn assert_credentials(&self) {
        let requests = self.git.requests();
        for request in &requests {
            assert_eq!(
                request.header("authorization"),
                Some(self.git.credential.as_str()),
                "{} {} without the token the job should use ({})\n{}",
                request.method,
                request.path,
                self.token,
                self.run.report()
            );
        }
        let pushed = |r: &Request| r.method == "POST" && r.route().ends_with("/git-receive-pack");
        let fetched = |r: &Request| r.method == "POST" && r.route().ends_with("/git-upload-pack");
        assert!(
            requests.iter().any(fetched) && requests.iter().any(pushed),
            "a clone and a push through {}: {:?}\n{}",
            self.git.url(),
            requests
                .iter()
                .map(|r| format!("{} {}", r.method, r.path))
                .collect::<Vec<_>>(),
            self.run.report()
        );
        let reads = self.argocd.reads("api-production");
        assert!(!reads.is_empty(), "Argo CD was never read");
        assert!(
            reads
                .iter()
                .all(|r| r.header("authorization") == Some(&format!("Bearer {ARGOCD_TOKEN}"))),
            "{reads:?}"
        );
    }

    /// No secret shows in what act printed: only the raw `::add-mask::` commands of its JSON log
    /// name them (as the runner receives them).
    fn assert_no_secret_shown(&self) {
        let basic = |token: &str| base64(format!("x-access-token:{token}").as_bytes());
        let secrets = [
            ARGOCD_TOKEN.to_owned(),
            JOB_TOKEN.to_owned(),
            GITOPS_TOKEN.to_owned(),
            basic(JOB_TOKEN),
            basic(GITOPS_TOKEN),
        ];
        for secret in &secrets {
            assert!(
                !self.run.stderr.contains(secret.as_str()),
                "a secret on act's stderr"
            );
            assert!(
                !self.run.command.contains(secret.as_str()),
                "a secret on act's command line"
            );
            for event in self.run.events() {
                if event["command"] == "add-mask" {
                    continue;
                }
                assert!(
                    !event.to_string().contains(secret.as_str()),
                    "a secret in act's log: {event}"
                );
            }
        }
    }
}

/// (a) A push deploys: the production overlay in the remote's `main` gets the new reference in
/// one commit on top (only its bytes changed), Argo CD syncs it and reports Healthy, and the
/// workflow's outputs say so. No `gitops-token`: the job's own token clones and pushes.
#[test]
fn a_push_deploys_through_the_gitops_repository_and_argo_cd() {
    let deploy = Deploy::run("v1.1.0", Setup::default());
    let run = &deploy.run;
    run.assert_success();
    assert_eq!(deploy.output("result"), "pushed", "{}", run.report());
    assert_eq!(
        deploy.output("argocd-health"),
        "Healthy",
        "{}",
        run.report()
    );
    assert_eq!(
        deploy.output("reference"),
        format!("{ECR}/shop/api:v1.1.0"),
        "{}",
        run.report()
    );
    assert_eq!(
        deploy.output("previous-reference"),
        format!("{ECR}/shop/api:v1.0.0"),
        "{}",
        run.report()
    );
    assert_eq!(deploy.output("revert-commit"), "", "{}", run.report());
    let main = deploy.origin.rev_parse("main");
    assert_eq!(deploy.output("commit"), main, "{}", run.report());
    assert_eq!(
        deploy.origin.rev_parse("main^"),
        deploy.before,
        "one commit on top of the pushed one"
    );
    assert_eq!(
        deploy
            .origin
            .git(["diff", "--name-only", &deploy.before, "main"]),
        OVERLAY
    );
    let expected = overlay().replace("newTag: \"v1.0.0\"", "newTag: \"v1.1.0\"");
    assert_eq!(
        String::from_utf8(deploy.file("main", OVERLAY)).unwrap(),
        expected
    );
    let message = deploy.origin.git(["log", "-1", "--format=%B", "main"]);
    assert!(message.starts_with("deploy(api): v1.1.0\n"), "{message}");
    assert!(
        message.contains(&format!("Gantry-Reference: {ECR}/shop/api:v1.1.0")),
        "{message}"
    );
    // Argo CD deployed the commit.
    let app = deploy.argocd.app("api-production");
    assert_eq!(app.live.as_deref(), Some(main.as_str()), "{app:?}");
    assert_eq!(app.health, "Healthy");
    assert!(
        run.log()
            .contains(&format!("checkout stand-in: {SLUG} main ")),
        "{}",
        run.report()
    );
    deploy.assert_credentials();
    deploy.assert_no_secret_shown();
}

/// (b) Argo CD reports the application Degraded: the job fails, the remote's `main` has the
/// update and then its revert (the files back byte for byte), and the outputs say `reverted`.
/// The caller passes `gitops-token`, which the job uses rather than its own token.
#[test]
fn a_degraded_application_fails_the_deploy_and_reverts_the_commit() {
    let deploy = Deploy::run(
        "sha-bad0bad",
        Setup {
            degraded_when: Some("sha-bad0bad"),
            gitops_token: Some(GITOPS_TOKEN),
            ..Setup::default()
        },
    );
    let run = &deploy.run;
    run.assert_failure();
    // act stops the caller's later jobs when a called workflow fails, `if: always()` or not
    // (GitHub runs them), so the outputs are read where the called job's step set them.
    assert_eq!(run.job_result("outputs"), None, "{}", run.report());
    let output = |name: &str| {
        run.output("deploy", "update", name)
            .unwrap_or_else(|| panic!("no output {name}:\n{}", run.report()))
    };
    assert_eq!(output("result"), "reverted", "{}", run.report());
    assert_eq!(output("argocd-health"), "Degraded", "{}", run.report());
    let main = deploy.origin.rev_parse("main");
    let update = deploy.origin.rev_parse("main^");
    assert_eq!(
        deploy.origin.rev_parse("main^^"),
        deploy.before,
        "the update, then its revert"
    );
    assert_eq!(output("commit"), update, "{}", run.report());
    assert_eq!(output("revert-commit"), main, "{}", run.report());
    assert!(
        String::from_utf8(deploy.file(&update, OVERLAY))
            .unwrap()
            .contains("newTag: \"sha-bad0bad\""),
        "the update set the broken tag"
    );
    assert_eq!(
        deploy.file("main", OVERLAY),
        overlay().into_bytes(),
        "the overlay is back byte for byte"
    );
    assert_eq!(
        deploy
            .origin
            .git(["diff", "--name-only", &deploy.before, "main"]),
        "",
        "the revert left no difference"
    );
    let message = deploy.origin.git(["log", "-1", "--format=%B", "main"]);
    assert!(
        message.starts_with("Revert \"deploy(api): sha-bad0bad\""),
        "{message}"
    );
    // The log says why, and what undid the update.
    let log = run.log();
    assert!(
        log.contains("Argo CD reports the application Degraded"),
        "{}",
        run.report()
    );
    assert!(
        log.contains(&format!("undone by {main}")),
        "{}",
        run.report()
    );
    deploy.assert_credentials();
    deploy.assert_no_secret_shown();
}

/// `gitops-branch` empty is the repository's default branch, also when the run was started by
/// a push to another branch of the GitOps repository itself: the update lands on `main`, which
/// Argo CD deploys, and the pushed branch is left alone.
#[test]
fn a_run_from_another_branch_deploys_on_the_default_branch() {
    let deploy = Deploy::run(
        "v1.2.0",
        Setup {
            pushed_to: Some("release/1.2"),
            ..Setup::default()
        },
    );
    let run = &deploy.run;
    run.assert_success();
    assert_eq!(deploy.output("result"), "pushed", "{}", run.report());
    assert_eq!(
        deploy.output("argocd-health"),
        "Healthy",
        "{}",
        run.report()
    );
    let main = deploy.origin.rev_parse("main");
    assert_eq!(deploy.output("commit"), main, "{}", run.report());
    assert_eq!(deploy.origin.rev_parse("main^"), deploy.before);
    assert!(
        String::from_utf8(deploy.file("main", OVERLAY))
            .unwrap()
            .contains("newTag: \"v1.2.0\""),
        "{}",
        run.report()
    );
    assert_eq!(
        deploy.origin.rev_parse("release/1.2^"),
        deploy.before,
        "the pushed branch moved"
    );
    deploy.assert_credentials();
}

/// The stand-in is served at the workflow's pin, and the credential is encoded as
/// actions/checkout encodes it (coreutils' `base64` gives the same).
#[test]
fn the_checkout_stand_in_follows_the_pin_and_the_credential_encoding() {
    let pin = checkout_pin();
    assert!(
        pin.len() == 40 && pin.bytes().all(|b| b.is_ascii_hexdigit()),
        "{pin}"
    );
    for text in [
        "x-access-token:t",
        "x-access-token:ab",
        "x-access-token:abc",
    ] {
        let out = Command::new("base64")
            .arg("-w0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                child.stdin.take().unwrap().write_all(text.as_bytes())?;
                child.wait_with_output()
            })
            .unwrap();
        assert_eq!(
            base64(text.as_bytes()),
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

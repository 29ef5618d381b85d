//! The `gitops-update` binary as a runner runs it: inputs in `INPUT_*`, outputs and summary in
//! the runner's files, over real git repositories (a bare repository as the GitOps remote) and
//! the real `kubectl kustomize`.

use std::path::Path;
use std::process::{Command, Output};

use gantry_testkit::{GitRepo, ToolJob};

pub const ECR: &str = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";

/// A GitOps repository: a kustomize base with two services and two overlays, a Helm values file
/// and a plain manifest, pushed to a bare `origin`.
pub struct GitOps {
    pub origin: GitRepo,
    pub checkout: GitRepo,
}

pub const BASE_DEPLOYMENT: &str = "\
# The api and its worker share a pod template on purpose.
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
      initContainers:
        - name: migrate
          image: api:latest   # replaced by the overlay's images
      containers:
        - name: api
          image: api:latest
          ports:
            - containerPort: 8080
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: web:latest
";

pub const BASE_KUSTOMIZATION: &str = "\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
";

pub fn overlay(env: &str) -> String {
    format!(
        "\
# {env}: what Argo CD deploys
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: shop-{env}
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

impl GitOps {
    pub fn new() -> GitOps {
        let origin = GitRepo::bare();
        let checkout = GitRepo::new();
        checkout
            .write("base/deployment.yaml", BASE_DEPLOYMENT)
            .write("base/kustomization.yaml", BASE_KUSTOMIZATION)
            .write("overlays/staging/kustomization.yaml", overlay("staging"))
            .write(
                "overlays/production/kustomization.yaml",
                overlay("production"),
            );
        checkout.commit("the shop's manifests");
        checkout.set_remote("origin", &origin.path().to_string_lossy());
        checkout.git(["push", "--quiet", "origin", "HEAD:refs/heads/main"]);
        GitOps { origin, checkout }
    }

    /// A fresh clone of the remote (another job's checkout).
    pub fn clone(&self) -> GitRepo {
        let clone = GitRepo::new();
        clone.set_remote("origin", &self.origin.path().to_string_lossy());
        clone.git(["fetch", "--quiet", "origin", "main"]);
        clone.git(["checkout", "--quiet", "-B", "main", "FETCH_HEAD"]);
        clone
    }

    /// The remote's `main`.
    pub fn main(&self) -> String {
        self.origin.rev_parse("main")
    }

    /// A file of the remote's `main`.
    pub fn file(&self, path: &str) -> String {
        self.origin.git(["show", &format!("main:{path}")])
    }

    pub fn message(&self, rev: &str) -> String {
        self.origin.git(["log", "-1", "--format=%B", rev])
    }
}

/// One run of the binary in `dir`, as a step: `(output, job)`.
pub fn run_in(dir: &Path, inputs: &[(&str, &str)]) -> (Output, ToolJob) {
    run_with_env(dir, inputs, &[])
}

/// [`run_in`] with more environment (`GITHUB_API_URL`).
pub fn run_with_env(
    dir: &Path,
    inputs: &[(&str, &str)],
    env: &[(&str, &str)],
) -> (Output, ToolJob) {
    let job = ToolJob::new(env!("CARGO_BIN_EXE_gitops-update"));
    let mut cmd: Command = job.command(dir);
    cmd.env("GITHUB_SHA", "4f2a9c1e0b7d4f2a9c1e0b7d4f2a9c1e0b7d4f2a")
        .env("GITHUB_REPOSITORY", "acme/gitops");
    cmd.envs(env.iter().copied());
    ToolJob::inputs(&mut cmd, inputs);
    (ToolJob::run(&mut cmd), job)
}

pub fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The lines that differ between two texts, as `(-old, +new)` pairs of a line-by-line diff
/// (files of the same number of lines).
pub fn changed_lines(old: &str, new: &str) -> Vec<(String, String)> {
    old.lines()
        .zip(new.lines())
        .filter(|(a, b)| a != b)
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect()
}

#[test]
fn an_overlay_gets_the_new_tag_in_one_commit_that_changes_only_its_bytes() {
    let gitops = GitOps::new();
    let before = gitops.main();
    let (out, job) = run_in(
        gitops.checkout.path(),
        &[
            ("files", "overlays/production/kustomization.yaml"),
            ("image", "api"),
            ("image-ref", &format!("{ECR}/shop/api:v1.1.0")),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let after = gitops.main();
    assert_ne!(before, after, "a commit was pushed");
    assert_eq!(
        gitops.origin.rev_parse("main^"),
        before,
        "one commit on top"
    );
    let file = gitops.file("overlays/production/kustomization.yaml");
    assert_eq!(
        changed_lines(&overlay("production"), &file),
        vec![(
            "    newTag: \"v1.0.0\"".to_owned(),
            "    newTag: \"v1.1.0\"".to_owned()
        )]
    );
    // Only that file changed; the staging overlay is untouched.
    let changed = gitops.origin.git(["diff", "--name-only", &before, &after]);
    assert_eq!(changed.trim(), "overlays/production/kustomization.yaml");
    let message = gitops.message("main");
    assert!(message.starts_with("deploy(api): v1.1.0\n"), "{message}");
    assert!(message.contains("Gantry-Image: api\n"), "{message}");
    assert!(
        message.contains(&format!("Gantry-Reference: {ECR}/shop/api:v1.1.0\n")),
        "{message}"
    );
    assert!(
        message.contains("Gantry-Source-Commit: 4f2a9c1e0b7d4f2a9c1e0b7d4f2a9c1e0b7d4f2a"),
        "{message}"
    );
    assert_eq!(job.output("result").as_deref(), Some("pushed"));
    assert_eq!(job.output("commit"), Some(after.clone()));
    assert_eq!(
        job.output("previous-reference"),
        Some(format!("{ECR}/shop/api:v1.0.0"))
    );
    assert_eq!(
        job.output("files").as_deref(),
        Some(r#"["overlays/production/kustomization.yaml"]"#)
    );
    let summary = job.summary();
    assert!(
        summary.contains("kubectl kustomize overlays/production"),
        "{summary}"
    );
    // The checkout itself was not touched: its branch and files are as they were.
    assert_eq!(gitops.checkout.head(), before);
    assert_eq!(
        std::fs::read_to_string(
            gitops
                .checkout
                .path()
                .join("overlays/production/kustomization.yaml")
        )
        .unwrap(),
        overlay("production")
    );

    // The same run again: nothing to change, no commit.
    let (out, job) = run_in(
        gitops.checkout.path(),
        &[
            ("files", "overlays/production/kustomization.yaml"),
            ("image", "api"),
            ("image-ref", &format!("{ECR}/shop/api:v1.1.0")),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(job.output("result").as_deref(), Some("unchanged"));
    assert_eq!(gitops.main(), after);
}

#[test]
fn a_render_that_fails_or_lacks_the_image_commits_nothing() {
    let gitops = GitOps::new();
    let before = gitops.main();
    // An overlay whose base is gone: kustomize cannot render it.
    gitops.checkout.write(
        "overlays/broken/kustomization.yaml",
        "resources:\n  - ../missing\nimages:\n  - name: api\n    newTag: v1\n",
    );
    // An overlay that sets an image none of its resources uses.
    gitops.checkout.write(
        "overlays/unused/kustomization.yaml",
        "resources:\n  - ../../base\nimages:\n  - name: worker\n    newTag: v1\n",
    );
    gitops.checkout.commit("two odd overlays");
    gitops
        .checkout
        .git(["push", "--quiet", "origin", "HEAD:refs/heads/main"]);
    let with_overlays = gitops.main();
    assert_ne!(with_overlays, before);
    let (out, _) = run_in(
        gitops.checkout.path(),
        &[
            ("files", "overlays/broken/kustomization.yaml"),
            ("image", "api"),
            ("tag", "v2"),
        ],
    );
    assert!(!out.status.success());
    let shown = text(&out);
    assert!(
        shown.contains("the render check failed, so nothing was committed"),
        "{shown}"
    );
    assert!(
        shown.contains("kubectl kustomize overlays/broken"),
        "{shown}"
    );
    assert_eq!(gitops.main(), with_overlays, "nothing pushed");

    let (out, _) = run_in(
        gitops.checkout.path(),
        &[
            ("files", "overlays/unused/kustomization.yaml"),
            ("image", "worker"),
            ("tag", "v2"),
        ],
    );
    assert!(!out.status.success());
    let shown = text(&out);
    assert!(shown.contains("renders without worker:v2"), "{shown}");
    assert_eq!(gitops.main(), with_overlays, "nothing pushed");

    // render-check: none lets it through (the user's choice).
    let (out, _) = run_in(
        gitops.checkout.path(),
        &[
            ("files", "overlays/unused/kustomization.yaml"),
            ("image", "worker"),
            ("tag", "v2"),
            ("render-check", "none"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_ne!(gitops.main(), with_overlays);
}

#[test]
fn two_concurrent_updates_of_different_services_both_land() {
    let gitops = GitOps::new();
    // The remote takes its time to accept a push, so that the two pushes overlap: the second
    // finds main moved and must fetch, re-apply and push again.
    let hook = gitops.origin.path().join("hooks/pre-receive");
    std::fs::write(&hook, "#!/bin/sh\ncat >/dev/null\nsleep 1\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let before = gitops.main();
    let (api_clone, web_clone) = (gitops.clone(), gitops.clone());
    // One job per service, each in its own clone, started together.
    let deploy = |clone: &GitRepo, image: &'static str, tag: &'static str| {
        let dir = clone.path().to_path_buf();
        std::thread::spawn(move || {
            let reference = format!("{ECR}/shop/{image}:{tag}");
            run_in(
                &dir,
                &[
                    ("files", "overlays/production/kustomization.yaml"),
                    ("image", image),
                    ("image-ref", &reference),
                ],
            )
        })
    };
    let api = deploy(&api_clone, "api", "v1.1.0");
    let web = deploy(&web_clone, "web", "v2.1.0");
    let (api_out, api_job) = api.join().unwrap();
    let (web_out, web_job) = web.join().unwrap();
    assert!(api_out.status.success(), "{}", text(&api_out));
    assert!(web_out.status.success(), "{}", text(&web_out));
    let file = gitops.file("overlays/production/kustomization.yaml");
    assert!(file.contains("newTag: \"v1.1.0\""), "{file}");
    assert!(file.contains("newTag: v2.1.0"), "{file}");
    let count = gitops
        .origin
        .git(["rev-list", "--count", &format!("{before}..main")]);
    assert_eq!(count.trim(), "2", "two commits, one per service");
    let summaries = format!("{}\n{}", api_job.summary(), web_job.summary());
    assert!(
        summaries.contains("after 2 attempts"),
        "one of the two lost the race and tried again:\n{summaries}"
    );
}

#[test]
fn rollback_goes_back_one_version_each_time() {
    let gitops = GitOps::new();
    let update = |tag: &str| {
        let (out, _) = run_in(
            gitops.checkout.path(),
            &[
                ("files", "overlays/staging/kustomization.yaml"),
                ("image", "api"),
                ("image-ref", &format!("{ECR}/shop/api:{tag}")),
            ],
        );
        assert!(out.status.success(), "{}", text(&out));
    };
    update("v1.1.0");
    update("v1.2.0");
    let rollback = || {
        let (out, job) = run_in(
            gitops.checkout.path(),
            &[
                ("files", "overlays/staging/kustomization.yaml"),
                ("image", "api"),
                ("mode", "rollback"),
            ],
        );
        assert!(out.status.success(), "{}", text(&out));
        job
    };
    let job = rollback();
    assert_eq!(
        job.output("reference"),
        Some(format!("{ECR}/shop/api:v1.1.0"))
    );
    assert!(
        gitops
            .file("overlays/staging/kustomization.yaml")
            .contains("newTag: \"v1.1.0\"")
    );
    assert!(gitops.message("main").contains("Gantry-Undoes: "));
    rollback();
    assert!(
        gitops
            .file("overlays/staging/kustomization.yaml")
            .contains("newTag: \"v1.0.0\"")
    );
    // Nothing before v1.0.0 was set by gitops-update: a third rollback says so.
    let (out, _) = run_in(
        gitops.checkout.path(),
        &[
            ("files", "overlays/staging/kustomization.yaml"),
            ("image", "api"),
            ("mode", "rollback"),
        ],
    );
    assert!(!out.status.success());
    assert!(
        text(&out).contains("no gitops-update commit of api"),
        "{}",
        text(&out)
    );
    // rollback-to names the version.
    let (out, _) = run_in(
        gitops.checkout.path(),
        &[
            ("files", "overlays/staging/kustomization.yaml"),
            ("image", "api"),
            ("mode", "rollback"),
            ("rollback-to", &format!("{ECR}/shop/api:v0.9.0")),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        gitops
            .file("overlays/staging/kustomization.yaml")
            .contains("newTag: \"v0.9.0\"")
    );
}

#[test]
fn dry_run_and_push_none_push_nothing() {
    let gitops = GitOps::new();
    let before = gitops.main();
    let (out, job) = run_in(
        gitops.checkout.path(),
        &[
            ("files", "overlays/*/kustomization.yaml"),
            ("image", "api"),
            ("tag", "v3"),
            ("dry-run", "true"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(job.output("result").as_deref(), Some("dry-run"));
    assert_eq!(gitops.main(), before);
    let summary = job.summary();
    assert!(
        summary.contains("overlays/staging/kustomization.yaml"),
        "{summary}"
    );
    assert!(
        summary.contains("overlays/production/kustomization.yaml"),
        "{summary}"
    );

    let (out, job) = run_in(
        gitops.checkout.path(),
        &[
            ("files", "base/deployment.yaml"),
            ("image", "web"),
            ("image-ref", &format!("{ECR}/shop/web:v9")),
            ("push", "none"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(job.output("result").as_deref(), Some("edited"));
    assert_eq!(gitops.main(), before, "nothing pushed");
    let edited =
        std::fs::read_to_string(gitops.checkout.path().join("base/deployment.yaml")).unwrap();
    assert_eq!(
        changed_lines(BASE_DEPLOYMENT, &edited),
        vec![(
            "          image: web:latest".to_owned(),
            format!("          image: {ECR}/shop/web:v9")
        )]
    );
}

/// Every input with a bad value: the message names the input and what is valid, and the remote
/// is untouched.
#[test]
fn bad_inputs_name_the_input_and_change_nothing() {
    let gitops = GitOps::new();
    let before = gitops.main();
    let good = [
        ("files", "overlays/production/kustomization.yaml"),
        ("image", "api"),
        ("tag", "v2"),
    ];
    let cases: &[(&str, &str, &str)] = &[
        ("files", "../outside.yaml", "input 'files'"),
        ("files", "overlays/nowhere/*.yaml", "input 'files'"),
        ("image-ref", "Not A Reference", "input 'image-ref'"),
        ("image", "api:v1", "input 'image'"),
        ("tag", "-bad", "input 'tag'"),
        ("digest", "sha256:abc", "input 'digest'"),
        ("form", "terraform", "input 'form'"),
        ("helm-paths", "tag", "input 'helm-paths'"),
        ("allow-missing", "maybe", "input 'allow-missing'"),
        (
            "render-check",
            "kustomize build . | grep api",
            "input 'render-check'",
        ),
        ("mode", "sideways", "input 'mode'"),
        ("rollback-to", "v1", "'rollback-to' is for mode: rollback"),
        ("push", "force", "input 'push'"),
        ("branch", "bad..branch", "input 'branch'"),
        ("remote", "--upload-pack=x", "input 'remote'"),
        ("pull-request-branch", "a b", "input 'pull-request-branch'"),
        ("repository", "not-a-repo", "input 'repository'"),
        ("commit-message", "two\nlines", "input 'commit-message'"),
        ("source-commit", "xyz", "input 'source-commit'"),
        ("commit-author", "nobody", "input 'commit-author'"),
        ("push-attempts", "0", "input 'push-attempts'"),
        (
            "argocd-server",
            "argocd.example.com",
            "input 'argocd-server'",
        ),
        (
            "argocd-application",
            "api",
            "'argocd-application' is set without 'argocd-server'",
        ),
        (
            "argocd-app-namespace",
            "apps",
            "'argocd-app-namespace' is set without 'argocd-server'",
        ),
        ("argocd-sync", "yes", "input 'argocd-sync'"),
        (
            "revert-on-failure",
            "sometimes",
            "input 'revert-on-failure'",
        ),
        (
            "working-directory",
            "no/such/dir",
            "input 'working-directory'",
        ),
        ("dry-run", "perhaps", "input 'dry-run'"),
        ("timeout-seconds", "0", "input 'timeout-seconds'"),
        (
            "container",
            "api",
            "'container' matches the containers of manifests",
        ),
        ("token", "two words", "input 'token'"),
    ];
    for (name, value, expected) in cases {
        let mut inputs: Vec<(&str, &str)> =
            good.iter().copied().filter(|(n, _)| n != name).collect();
        inputs.push((name, value));
        if *name == "container" {
            inputs.push(("form", "kustomize"));
        }
        let (out, _) = run_in(gitops.checkout.path(), &inputs);
        let shown = text(&out);
        assert!(
            !out.status.success(),
            "{name}={value} was accepted:\n{shown}"
        );
        assert!(
            shown.contains(expected),
            "{name}={value}: expected {expected:?} in:\n{shown}"
        );
        if !["token", "commit-message"].contains(name) && !expected.starts_with('\'') {
            assert!(
                shown.contains(value.trim()) || shown.contains("***"),
                "{name}: the value is named:\n{shown}"
            );
        }
        assert_eq!(gitops.main(), before, "{name}={value} changed the remote");
    }
    // The other required pieces.
    for (inputs, expected) in [
        (vec![("image", "api")], "input 'files'"),
        (vec![("files", "base/deployment.yaml")], "input 'image-ref'"),
        (
            vec![
                ("files", "base/deployment.yaml"),
                ("image", "api"),
                ("tag", "v1"),
                ("push", "pull-request"),
            ],
            "input 'token'",
        ),
    ] {
        let (out, _) = run_in(gitops.checkout.path(), &inputs);
        assert!(!out.status.success());
        assert!(text(&out).contains(expected), "{}", text(&out));
    }
    // An Argo CD token is never shown, even when it is the bad value.
    let secret = "argocd-s3cr3t token";
    let (out, _) = run_in(
        gitops.checkout.path(),
        &[
            ("files", "overlays/production/kustomization.yaml"),
            ("image", "api"),
            ("tag", "v2"),
            ("argocd-server", "https://argocd.example.com"),
            ("argocd-application", "api"),
            ("argocd-token", secret),
        ],
    );
    assert!(!out.status.success());
    assert!(
        text(&out).contains("input 'argocd-token'"),
        "{}",
        text(&out)
    );
    // Only the mask command itself carries it (the runner hides it from then on).
    let shown: Vec<String> = text(&out)
        .lines()
        .filter(|l| !l.starts_with("::add-mask::"))
        .map(str::to_owned)
        .collect();
    assert!(!shown.join("\n").contains("s3cr3t"), "{shown:?}");
    assert!(text(&out).contains("::add-mask::argocd-s3cr3t token"));
    assert_eq!(gitops.main(), before);
}

#[test]
fn a_file_without_the_image_is_named_unless_allowed_and_a_render_command_checks_the_rest() {
    let gitops = GitOps::new();
    let before = gitops.main();
    let inputs = |allow: &'static str| {
        vec![
            ("files", "base/deployment.yaml, base/kustomization.yaml"),
            ("form", "manifest"),
            ("image", "worker"),
            ("tag", "v3"),
            ("allow-missing", allow),
            ("render-check", "none"),
        ]
    };
    // Neither file runs `worker`: the first is named.
    let (out, _) = run_in(gitops.checkout.path(), &inputs("false"));
    assert!(!out.status.success());
    let shown = text(&out);
    assert!(shown.contains("base/deployment.yaml: "), "{shown}");
    assert!(shown.contains("allow-missing"), "{shown}");
    assert_eq!(gitops.main(), before);

    // web is in base/deployment.yaml only; the kustomization is skipped when allowed, and a
    // render command of the user's (no shell) must show the new reference.
    let reference = format!("{ECR}/shop/web:v9");
    let (out, job) = run_in(
        gitops.checkout.path(),
        &[
            ("files", "base/deployment.yaml\nbase/kustomization.yaml"),
            ("image", "web"),
            ("image-ref", &reference),
            ("form", "manifest"),
            ("allow-missing", "true"),
            ("render-check", "cat base/deployment.yaml"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        job.output("files").as_deref(),
        Some(r#"["base/deployment.yaml"]"#)
    );
    let summary = job.summary();
    assert!(
        summary.contains("Skipped `base/kustomization.yaml`"),
        "{summary}"
    );
    assert!(summary.contains("`cat base/deployment.yaml`"), "{summary}");
    assert!(gitops.file("base/deployment.yaml").contains(&reference));

    // A render command whose output lacks the reference stops the commit.
    let tip = gitops.main();
    let newer = format!("{ECR}/shop/web:v10");
    let (out, _) = run_in(
        gitops.checkout.path(),
        &[
            ("files", "base/deployment.yaml"),
            ("image-ref", &newer),
            ("render-check", "cat base/kustomization.yaml"),
        ],
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("renders without"), "{}", text(&out));
    assert_eq!(gitops.main(), tip);
}

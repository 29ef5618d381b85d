//! The binary following Argo CD after its push, against gantry-testkit's loopback stand-in of
//! Argo CD's application API (Argo CD needs a cluster; none runs here). The stand-in's
//! controller deploys the GitOps remote's `main`, as Argo CD would.

use gantry_testkit::argocd::{App, ArgoStandIn};

use crate::binary::{ECR, GitOps, overlay, run_in, text};

const TOKEN: &str = "argocd-t0ken-n0t-for-logs";

fn follow_inputs(argocd: &str, tag: &str) -> Vec<(&'static str, String)> {
    vec![
        ("files", "overlays/production/kustomization.yaml".to_owned()),
        ("image", "api".to_owned()),
        ("image-ref", format!("{ECR}/shop/api:{tag}")),
        ("argocd-server", argocd.to_owned()),
        ("argocd-token", TOKEN.to_owned()),
        ("argocd-application", "shop-production".to_owned()),
        ("timeout-seconds", "30".to_owned()),
    ]
}

fn as_inputs<'a>(inputs: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    inputs.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[test]
fn a_healthy_application_keeps_the_commit() {
    let gitops = GitOps::new();
    let argocd = ArgoStandIn::start(TOKEN);
    argocd.add_app(
        App::new("shop-production", gitops.origin.path(), "main").path("overlays/production"),
    );
    let url = argocd.url();
    let inputs = follow_inputs(&url, "v1.1.0");
    let (out, job) = run_in(gitops.checkout.path(), &as_inputs(&inputs));
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(job.output("result").as_deref(), Some("pushed"));
    assert_eq!(job.output("argocd-health").as_deref(), Some("Healthy"));
    assert_eq!(job.output("revert-commit").as_deref(), Some(""));
    assert!(
        gitops
            .file("overlays/production/kustomization.yaml")
            .contains("v1.1.0")
    );
    assert!(!argocd.reads("shop-production").is_empty());
    let shown = text(&out);
    assert!(!shown.contains(TOKEN) || shown.contains(&format!("::add-mask::{TOKEN}")));
    assert_eq!(
        shown.matches(TOKEN).count(),
        1,
        "only the mask command names it:\n{shown}"
    );
    assert!(
        job.summary().contains("Argo CD: **Healthy**"),
        "{}",
        job.summary()
    );
}

#[test]
fn a_degraded_application_gets_the_commit_undone() {
    let gitops = GitOps::new();
    let before = gitops.main();
    let argocd = ArgoStandIn::start(TOKEN);
    argocd.add_app(
        App::new("shop-production", gitops.origin.path(), "main")
            .path("overlays/production")
            .degraded_when("v6.6.6"),
    );
    let url = argocd.url();
    let inputs = follow_inputs(&url, "v6.6.6");
    let (out, job) = run_in(gitops.checkout.path(), &as_inputs(&inputs));
    assert!(
        !out.status.success(),
        "a degraded application fails the step"
    );
    let shown = text(&out);
    assert!(shown.contains("Degraded"), "{shown}");
    let update = gitops.origin.rev_parse("main^");
    assert_eq!(
        gitops.origin.rev_parse("main^^"),
        before,
        "the update, then its undo"
    );
    assert_eq!(job.output("result").as_deref(), Some("reverted"));
    assert_eq!(job.output("revert-commit"), Some(gitops.main()));
    // The files are back byte for byte.
    assert_eq!(
        gitops.file("overlays/production/kustomization.yaml"),
        overlay("production").trim_end()
    );
    let message = gitops.message("main");
    assert!(
        message.starts_with("Revert \"deploy(api): v6.6.6\""),
        "{message}"
    );
    assert!(
        message.contains(&format!("Gantry-Undoes: {update}")),
        "{message}"
    );
    assert!(message.contains("Argo CD: "), "{message}");
    // A rollback after that goes back before the undone update, not to it.
    let (out, job) = run_in(
        gitops.checkout.path(),
        &[
            ("files", "overlays/production/kustomization.yaml"),
            ("image", "api"),
            ("mode", "rollback"),
        ],
    );
    assert!(
        !out.status.success(),
        "nothing older to go back to: {}",
        text(&out)
    );
    assert!(
        text(&out).contains("no gitops-update commit of api"),
        "{}",
        text(&out)
    );
    assert_eq!(job.output("result"), None);
}

/// The runner cancels the job (SIGTERM) while Argo CD is still rolling the commit out: the
/// commit is undone before the process ends, so the application goes back to what ran before.
#[cfg(unix)]
#[test]
fn a_cancelled_follow_undoes_the_commit() {
    use std::time::{Duration, Instant};

    let gitops = GitOps::new();
    let before = gitops.main();
    let argocd = ArgoStandIn::start(TOKEN);
    argocd.add_app(
        App::new("shop-production", gitops.origin.path(), "main")
            .path("overlays/production")
            .progressing_reads(u32::MAX),
    );
    let url = argocd.url();
    let inputs = follow_inputs(&url, "v1.1.0");
    let job = gantry_testkit::ToolJob::new(env!("CARGO_BIN_EXE_gitops-update"));
    let mut cmd = job.command(gitops.checkout.path());
    gantry_testkit::ToolJob::inputs(&mut cmd, &as_inputs(&inputs));
    let child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the update is pushed and Argo CD is being read.
    let started = Instant::now();
    while argocd.reads("shop-production").len() < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "Argo CD was never read"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let update = gitops.main();
    assert_ne!(update, before);
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success(), "a cancelled run fails");
    assert_eq!(gitops.origin.rev_parse("main^"), update, "{}", text(&out));
    assert_eq!(
        gitops.file("overlays/production/kustomization.yaml"),
        overlay("production").trim_end()
    );
    assert!(
        gitops
            .message("main")
            .contains(&format!("Gantry-Undoes: {update}"))
    );
    assert_eq!(job.output("result").as_deref(), Some("reverted"));
}

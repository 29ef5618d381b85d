//! `push: pull-request` against gantry-testkit's GitHub stand-in (the pull-request API as GitHub
//! answers it), over a real bare remote.

use gantry_testkit::github_releases::ReleasesStandIn;

use crate::binary::{ECR, GitOps, run_with_env, text};

const TOKEN: &str = "ghs_gitopsT0kenN0tForLogs";

#[test]
fn a_pull_request_is_opened_once_and_updated_by_the_next_run() {
    let gitops = GitOps::new();
    let before = gitops.main();
    let github = ReleasesStandIn::start("acme/gitops", TOKEN);
    let api = github.api_url();
    let run = |tag: &str| {
        let reference = format!("{ECR}/shop/api:{tag}");
        run_with_env(
            gitops.checkout.path(),
            &[
                ("files", "overlays/production/kustomization.yaml"),
                ("image", "api"),
                ("image-ref", &reference),
                ("push", "pull-request"),
                ("token", TOKEN),
            ],
            &[("GITHUB_API_URL", &api)],
        )
    };
    let (out, job) = run("v1.1.0");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(job.output("result").as_deref(), Some("proposed"));
    assert_eq!(
        gitops.main(),
        before,
        "main is untouched: the change waits in the pull request"
    );
    let branch = "gitops-update/main/api";
    let head = gitops.origin.rev_parse(branch);
    assert_eq!(gitops.origin.rev_parse(&format!("{branch}^")), before);
    let pulls = github.pulls();
    assert_eq!(pulls.len(), 1, "{pulls:?}");
    assert_eq!(
        (pulls[0].head.as_str(), pulls[0].base.as_str()),
        (branch, "main")
    );
    assert_eq!(pulls[0].title, "deploy(api): v1.1.0");
    let body = pulls[0].body.clone().unwrap_or_default();
    assert!(
        body.contains("`v1.0.0`") && body.contains("`v1.1.0`"),
        "{body}"
    );
    assert!(
        job.output("pull-request-url")
            .is_some_and(|u| !u.is_empty())
    );

    // The next version updates the same pull request (its branch forced to the new commit).
    let (out, _) = run("v1.2.0");
    assert!(out.status.success(), "{}", text(&out));
    let pulls = github.pulls();
    assert_eq!(pulls.len(), 1, "one pull request, updated: {pulls:?}");
    assert_eq!(pulls[0].title, "deploy(api): v1.2.0");
    assert_ne!(gitops.origin.rev_parse(branch), head);
    assert!(
        gitops
            .origin
            .git([
                "show",
                &format!("{branch}:overlays/production/kustomization.yaml")
            ])
            .contains("v1.2.0")
    );
    assert!(
        !text(&out)
            .lines()
            .any(|l| l.contains(TOKEN) && !l.starts_with("::add-mask::"))
    );
}

//! [`gantry_github::Pulls`] on [`gantry_github::GitHubClient`] against testkit's GitHub
//! stand-in (in-process, on loopback): a release pull request opened once, found by its branch,
//! updated, labelled, merged by a maintainer and read back as merged; and the errors GitHub's
//! refusals become.

use std::time::Duration;

use gantry_github::{GitHubClient, GitHubError, PullRequest, Pulls, RetryPolicy};
use gantry_testkit::ReleasesStandIn;
use serde_json::json;

const TOKEN: &str = "test-token";
const USER_AGENT: &str = "gantry-test/1.0";
const BRANCH: &str = "release-please--branches--main";
const HEAD: &str = "1111111111111111111111111111111111111111";
const MERGE: &str = "2222222222222222222222222222222222222222";

fn client(standin: &ReleasesStandIn) -> GitHubClient {
    GitHubClient::new(&standin.api_url(), TOKEN, "acme/shop", USER_AGENT)
        .unwrap()
        .with_retry(RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(5),
            rate_limit_wait: Duration::from_millis(5),
            max_wait: Duration::from_secs(5),
        })
}

fn label_names(pull: &PullRequest) -> Vec<&str> {
    pull.labels.iter().map(|l| l.name.as_str()).collect()
}

#[tokio::test]
async fn a_release_pull_request_is_opened_once_updated_labelled_and_seen_merged() {
    let standin = ReleasesStandIn::start("acme/shop", TOKEN);
    standin.set_branch_sha(BRANCH, HEAD);
    let github = client(&standin);

    assert_eq!(github.pulls_from(BRANCH, "main").await.unwrap(), []);

    let created = github
        .create_pull(BRANCH, "main", "chore(main): release 1.2.0", "## 1.2.0\n")
        .await
        .unwrap();
    assert_eq!(created.number, 1);
    assert!(created.is_open() && !created.merged());
    assert_eq!(created.title, "chore(main): release 1.2.0");
    assert_eq!(created.body.as_deref(), Some("## 1.2.0\n"));
    assert_eq!(created.head.reference, BRANCH);
    assert_eq!(created.head.sha, HEAD);
    assert_eq!(created.base.reference, "main");
    assert!(created.html_url.ends_with("/acme/shop/pull/1"));

    // A second create for the open branch: its own error, which says what to do.
    let error = github
        .create_pull(BRANCH, "main", "chore(main): release 1.2.1", "")
        .await
        .unwrap_err();
    match &error {
        GitHubError::PullExists {
            head,
            base,
            message,
        } => {
            assert_eq!((head.as_str(), base.as_str()), (BRANCH, "main"));
            assert!(
                message.contains(&format!("A pull request already exists for acme:{BRANCH}")),
                "{message}"
            );
        }
        other => panic!("expected PullExists, got {other:?}"),
    }
    assert_eq!(error.status(), Some(422));
    assert!(
        error.to_string().contains("update that pull request"),
        "{error}"
    );
    assert_eq!(standin.pulls().len(), 1);

    // Found by its branch (another branch's, or another base's, is not).
    assert_eq!(
        github
            .create_pull("feature", "main", "feat: x", "")
            .await
            .unwrap()
            .number,
        2
    );
    let found = github.pulls_from(BRANCH, "main").await.unwrap();
    assert_eq!(found, std::slice::from_ref(&created));
    assert_eq!(github.pulls_from(BRANCH, "v1").await.unwrap(), []);
    let listed = standin
        .requests()
        .into_iter()
        .filter(|r| r.starts_with("GET "))
        .collect::<Vec<_>>();
    assert!(
        listed.iter().all(|r| r == "GET /api/repos/acme/shop/pulls"),
        "{listed:?}"
    );

    // Updated: only the fields given change.
    let updated = github
        .update_pull(1, Some("chore(main): release 1.3.0"), None, None)
        .await
        .unwrap();
    assert_eq!(updated.title, "chore(main): release 1.3.0");
    assert_eq!(updated.body.as_deref(), Some("## 1.2.0\n"));
    let updated = github
        .update_pull(1, None, Some("## 1.3.0\n"), None)
        .await
        .unwrap();
    assert_eq!(updated.title, "chore(main): release 1.3.0");
    assert_eq!(updated.body.as_deref(), Some("## 1.3.0\n"));

    // Labels with ':' and spaces, added and removed; removing one it lacks is fine.
    github
        .set_labels(1, &["autorelease: pending", "type/release"], &[])
        .await
        .unwrap();
    assert_eq!(
        standin.pull(1).unwrap().labels,
        ["autorelease: pending", "type/release"]
    );
    github
        .set_labels(
            1,
            &["autorelease: tagged"],
            &["autorelease: pending", "type/release", "never: there"],
        )
        .await
        .unwrap();
    assert_eq!(standin.pull(1).unwrap().labels, ["autorelease: tagged"]);
    github.set_labels(1, &[], &[]).await.unwrap();
    assert!(
        standin
            .requests()
            .iter()
            .any(|r| r == "DELETE /api/repos/acme/shop/issues/1/labels/autorelease%3A%20pending"),
        "{:?}",
        standin.requests()
    );

    // A maintainer merges it: read back merged, with the merge commit.
    standin.merge_pull(1, MERGE);
    let after = github.pulls_from(BRANCH, "main").await.unwrap();
    assert_eq!(after.len(), 1);
    let merged = &after[0];
    assert!(merged.merged());
    assert!(!merged.is_open());
    assert_eq!(merged.state, "closed");
    assert_eq!(merged.merge_commit_sha.as_deref(), Some(MERGE));
    assert!(merged.has_label("autorelease: tagged"));
    assert_eq!(label_names(merged), ["autorelease: tagged"]);

    // The branch may now have a new one; the list is newest first and keeps the merged one.
    let next = github
        .create_pull(BRANCH, "main", "chore(main): release 1.4.0", "")
        .await
        .unwrap();
    let both = github.pulls_from(BRANCH, "main").await.unwrap();
    assert_eq!(
        both.iter().map(|p| p.number).collect::<Vec<_>>(),
        [next.number, 1]
    );
    // A merged one cannot be reopened: GitHub's 422 as it is.
    let error = github
        .update_pull(1, None, None, Some("open"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, GitHubError::Unprocessable { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_closed_pull_request_is_reopened_unless_its_branch_was_force_pushed() {
    let standin = ReleasesStandIn::start("acme/shop", TOKEN);
    let github = client(&standin);
    let first = github
        .create_pull(BRANCH, "main", "chore: release 1.0.0", "")
        .await
        .unwrap();
    let closed = github
        .update_pull(first.number, None, None, Some("closed"))
        .await
        .unwrap();
    assert_eq!(closed.state, "closed");
    assert!(!closed.merged());
    let reopened = github
        .update_pull(
            first.number,
            Some("chore: release 1.0.1"),
            None,
            Some("open"),
        )
        .await
        .unwrap();
    assert!(reopened.is_open());
    assert_eq!(reopened.title, "chore: release 1.0.1");

    standin.close_pull(first.number);
    standin.forbid_reopen(first.number);
    let error = github
        .update_pull(first.number, None, None, Some("open"))
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(
        matches!(error, GitHubError::Unprocessable { .. }),
        "{error:?}"
    );
    assert!(text.contains("reopen pull request #1"), "{text}");
    assert!(text.contains("force-pushed"), "{text}");
}

#[tokio::test]
async fn the_list_follows_pages() {
    let standin = ReleasesStandIn::start("acme/shop", TOKEN);
    let github = client(&standin);
    // 101 closed pull requests from the branch, and one open: two pages of 100.
    for n in 1..=102 {
        github
            .create_pull(BRANCH, "main", &format!("release {n}"), "")
            .await
            .unwrap();
        if n < 102 {
            standin.close_pull(n);
        }
    }
    let all = github.pulls_from(BRANCH, "main").await.unwrap();
    assert_eq!(all.len(), 102);
    assert_eq!(all[0].number, 102);
    assert!(all[0].is_open());
    assert_eq!(all[101].number, 1);
    assert!(all.windows(2).all(|w| w[0].number > w[1].number));
    let lists = standin
        .requests()
        .iter()
        .filter(|r| r.starts_with("GET "))
        .count();
    assert_eq!(lists, 2);
}

#[tokio::test]
async fn a_403_says_which_permission_or_setting_to_change() {
    let standin = ReleasesStandIn::start("acme/shop", TOKEN);
    let github = client(&standin);

    standin.fail_next(
        403,
        json!({
            "message": "GitHub Actions is not permitted to create or approve pull requests.",
            "documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
            "status": "403",
        }),
    );
    let error = github
        .create_pull(BRANCH, "main", "chore: release", "")
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(matches!(error, GitHubError::Forbidden { .. }), "{error:?}");
    assert_eq!(error.status(), Some(403));
    assert!(
        text.contains("Allow GitHub Actions to create and approve pull requests"),
        "{text}"
    );
    assert!(
        text.contains("GitHub App") && text.contains("personal access token"),
        "{text}"
    );
    assert!(standin.pulls().is_empty());

    standin.fail_next(
        403,
        json!({"message": "Resource not accessible by integration", "status": "403"}),
    );
    let error = github
        .set_labels(1, &["autorelease: pending"], &[])
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(text.contains("pull-requests: write"), "{text}");
    assert!(text.contains("contents: write"), "{text}");
    assert!(text.contains("acme/shop"), "{text}");

    standin.fail_next(
        403,
        json!({"message": "Resource not accessible by integration", "status": "403"}),
    );
    let error = github.pulls_from(BRANCH, "main").await.unwrap_err();
    assert!(
        error.to_string().contains("pull-requests: write"),
        "{error}"
    );

    // A wrong token: the client's own 401 message.
    let stranger =
        GitHubClient::new(&standin.api_url(), "other-token", "acme/shop", USER_AGENT).unwrap();
    let error = stranger.pulls_from(BRANCH, "main").await.unwrap_err();
    assert!(
        matches!(error, GitHubError::Unauthorized { .. }),
        "{error:?}"
    );
}

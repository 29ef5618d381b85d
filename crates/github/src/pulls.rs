//! Pull requests and their labels, for tools that propose a change as a pull request (a
//! release, an image update): a narrow [`Pulls`] trait and its implementation on
//! [`GitHubClient`].
//!
//! A tool's pull request is found by its head branch ([`Pulls::pulls_from`]), opened once
//! ([`Pulls::create_pull`]: a second one for the same branch is [`GitHubError::PullExists`]),
//! kept up to date or closed ([`Pulls::update_pull`]) and marked with labels
//! ([`Pulls::set_labels`]). A 403 says which permissions the job needs, or that the repository
//! does not let GitHub Actions open pull requests.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::calls::GitHubClient;
use crate::client::Method;
use crate::error::GitHubError;
use crate::text::encode_path;

/// The permission a job needs to open and edit pull requests and their labels.
pub const PULL_REQUESTS_WRITE: &str = "pull-requests: write";

/// Items asked per page when listing pull requests (GitHub's maximum).
const PER_PAGE: usize = 100;

/// Pages read at most when listing the pull requests of one branch: a tool's branch has a
/// few dozen in a project's life, not thousands.
const MAX_PAGES: usize = 10;

/// A branch end of a pull request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PullRef {
    /// The branch name, without `refs/heads/`.
    #[serde(rename = "ref")]
    pub reference: String,
    /// The commit it pointed at (for the head: the pull request's last commit).
    #[serde(default)]
    pub sha: String,
}

/// A label of an issue or a pull request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Label {
    /// Its name (`autorelease: pending`).
    pub name: String,
}

/// A pull request as read back (only the fields used).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PullRequest {
    /// Its number in the repository.
    pub number: u64,
    /// `open` or `closed` (a merged pull request is closed).
    pub state: String,
    /// Its title.
    pub title: String,
    /// Its description; `None` when empty.
    #[serde(default)]
    pub body: Option<String>,
    /// When it was merged; `None` when it was not.
    #[serde(default)]
    pub merged_at: Option<String>,
    /// The commit its merge made on the base branch, once merged. (GitHub also fills it with
    /// a test merge commit while the pull request is open: read it only when [`Self::merged`].)
    #[serde(default)]
    pub merge_commit_sha: Option<String>,
    /// Its page on GitHub.
    #[serde(default)]
    pub html_url: String,
    /// The branch it merges.
    pub head: PullRef,
    /// The branch it merges into.
    pub base: PullRef,
    /// Its labels.
    #[serde(default)]
    pub labels: Vec<Label>,
}

impl PullRequest {
    /// It was merged.
    pub fn merged(&self) -> bool {
        self.merged_at.is_some()
    }

    /// It is open.
    pub fn is_open(&self) -> bool {
        self.state == "open"
    }

    /// It carries the label `name` (GitHub's label names ignore case).
    pub fn has_label(&self, name: &str) -> bool {
        let name = name.to_lowercase();
        self.labels.iter().any(|l| l.name.to_lowercase() == name)
    }
}

/// The pull-request and label operations of a tool that proposes changes, on one repository.
/// Branch names are given without `refs/heads/`.
#[allow(async_fn_in_trait)]
pub trait Pulls {
    /// Every pull request (open and closed) from the branch `head` of this repository into
    /// `base`, newest first.
    async fn pulls_from(&self, head: &str, base: &str) -> Result<Vec<PullRequest>, GitHubError>;

    /// Open a pull request from `head` into `base`.
    ///
    /// # Errors
    /// [`GitHubError::PullExists`] when one from `head` into `base` is already open: find it
    /// with [`Pulls::pulls_from`] and update it instead.
    async fn create_pull(
        &self,
        head: &str,
        base: &str,
        title: &str,
        body: &str,
    ) -> Result<PullRequest, GitHubError>;

    /// Change the given fields of pull request `number` (`state`: `open` or `closed`); the
    /// others stay.
    async fn update_pull(
        &self,
        number: u64,
        title: Option<&str>,
        body: Option<&str>,
        state: Option<&str>,
    ) -> Result<PullRequest, GitHubError>;

    /// Add the labels `add` to pull request `number` (GitHub creates a label the repository
    /// lacks), then remove `remove` (one it does not carry is fine).
    async fn set_labels(
        &self,
        number: u64,
        add: &[&str],
        remove: &[&str],
    ) -> Result<(), GitHubError>;
}

/// `text` encoded as one path segment: as [`encode_path`], and `/` too (a label may be
/// named `type/bug`).
fn encode_segment(text: &str) -> String {
    encode_path(text).replace('/', "%2F")
}

/// The route that removes label `name` from issue or pull request `number`.
fn label_route(number: u64, name: &str) -> String {
    format!("issues/{number}/labels/{}", encode_segment(name))
}

/// The route of page `page` of the pull requests from `owner:head` into `base`.
fn list_route(owner: &str, head: &str, base: &str, page: usize) -> String {
    // `head` must carry the owner: GitHub ignores a bare branch name and lists every branch's.
    format!(
        "pulls?state=all&head={}:{}&base={}&per_page={PER_PAGE}&page={page}",
        encode_segment(owner),
        encode_segment(head),
        encode_segment(base),
    )
}

/// The body of an update: only the fields given.
fn update_json(title: Option<&str>, body: Option<&str>, state: Option<&str>) -> Value {
    let mut fields = Map::new();
    for (key, value) in [("title", title), ("body", body), ("state", state)] {
        if let Some(value) = value {
            fields.insert(key.to_owned(), json!(value));
        }
    }
    Value::Object(fields)
}

/// A 403 on a pull-request route says what to change for pull requests (the client's own
/// hint names only `contents`); a 422 "already exists" on create is [`GitHubError::PullExists`].
fn pulls_error(
    error: GitHubError,
    repository: &str,
    head_base: Option<(&str, &str)>,
) -> GitHubError {
    match error {
        GitHubError::Forbidden {
            action, message, ..
        } => {
            let hint = if message
                .to_ascii_lowercase()
                .contains("not permitted to create or approve pull requests")
            {
                format!(
                    "the repository does not let GitHub Actions open pull requests: enable \"Allow GitHub Actions to create and approve pull requests\" in {repository}'s Settings → Actions → General → Workflow permissions (and in the organization's, when it is off there), or pass a GitHub App token or a personal access token that can write pull requests in the `token` input"
                )
            } else {
                format!(
                    "the token needs the `{PULL_REQUESTS_WRITE}` and `contents: write` permissions: add `permissions: {{ contents: write, pull-requests: write }}` to the job (or the workflow), or pass a token that can write pull requests to {repository}"
                )
            };
            GitHubError::Forbidden {
                action,
                message,
                hint,
            }
        }
        GitHubError::Unprocessable { action, message } => match head_base {
            Some((head, base))
                if message
                    .to_ascii_lowercase()
                    .contains("a pull request already exists") =>
            {
                GitHubError::PullExists {
                    head: head.to_owned(),
                    base: base.to_owned(),
                    message,
                }
            }
            _ => GitHubError::Unprocessable { action, message },
        },
        other => other,
    }
}

impl Pulls for GitHubClient {
    async fn pulls_from(&self, head: &str, base: &str) -> Result<Vec<PullRequest>, GitHubError> {
        let repository = self.repository();
        let owner = repository.split('/').next().unwrap_or_default();
        let action = format!("list the pull requests from {head} into {base}");
        let mut pulls: Vec<PullRequest> = Vec::new();
        for page in 1..=MAX_PAGES {
            let items: Vec<PullRequest> = self
                .required(
                    Method::Get,
                    list_route(owner, head, base, page),
                    None,
                    action.clone(),
                )
                .await
                .map_err(|e| pulls_error(e, &repository, None))?;
            let last = items.len() < PER_PAGE;
            pulls.extend(items);
            if last {
                break;
            }
        }
        // Newest first whatever the server's order, once each (a pull request opened while
        // paging shifts the pages).
        pulls.sort_by_key(|p| std::cmp::Reverse(p.number));
        pulls.dedup_by_key(|p| p.number);
        Ok(pulls)
    }

    async fn create_pull(
        &self,
        head: &str,
        base: &str,
        title: &str,
        body: &str,
    ) -> Result<PullRequest, GitHubError> {
        let action = format!("open a pull request from {head} into {base}");
        let request = json!({ "title": title, "head": head, "base": base, "body": body });
        self.required(Method::Post, "pulls".to_owned(), Some(request), action)
            .await
            .map_err(|e| pulls_error(e, &self.repository(), Some((head, base))))
    }

    async fn update_pull(
        &self,
        number: u64,
        title: Option<&str>,
        body: Option<&str>,
        state: Option<&str>,
    ) -> Result<PullRequest, GitHubError> {
        let action = match state {
            Some("open") => format!("reopen pull request #{number}"),
            Some("closed") => format!("close pull request #{number}"),
            _ => format!("update pull request #{number}"),
        };
        let request = update_json(title, body, state);
        self.required(
            Method::Patch,
            format!("pulls/{number}"),
            Some(request),
            action,
        )
        .await
        .map_err(|e| pulls_error(e, &self.repository(), None))
    }

    async fn set_labels(
        &self,
        number: u64,
        add: &[&str],
        remove: &[&str],
    ) -> Result<(), GitHubError> {
        let repository = self.repository();
        if !add.is_empty() {
            let action = format!("label pull request #{number} {}", add.join(", "));
            let _: Value = self
                .required(
                    Method::Post,
                    format!("issues/{number}/labels"),
                    Some(json!({ "labels": add })),
                    action,
                )
                .await
                .map_err(|e| pulls_error(e, &repository, None))?;
        }
        for name in remove {
            let action = format!("remove the label {name} from pull request #{number}");
            // 404: the pull request did not carry it.
            let _: Option<Value> = self
                .json(
                    Method::Delete,
                    label_route(number, name),
                    None,
                    action,
                    true,
                )
                .await
                .map_err(|e| pulls_error(e, &repository, None))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of GitHub's REST documentation for "Get a pull request" (users and
    /// repositories trimmed to a few fields each): merged.
    const MERGED: &str = r#"{
      "url": "https://api.github.com/repos/octocat/Hello-World/pulls/1347",
      "id": 1,
      "node_id": "MDExOlB1bGxSZXF1ZXN0MQ==",
      "html_url": "https://github.com/octocat/Hello-World/pull/1347",
      "diff_url": "https://github.com/octocat/Hello-World/pull/1347.diff",
      "patch_url": "https://github.com/octocat/Hello-World/pull/1347.patch",
      "issue_url": "https://api.github.com/repos/octocat/Hello-World/issues/1347",
      "number": 1347,
      "state": "closed",
      "locked": true,
      "title": "Amazing new feature",
      "user": {"login": "octocat", "id": 1, "type": "User", "site_admin": false},
      "body": "Please pull these awesome changes in!",
      "labels": [
        {
          "id": 208045946,
          "node_id": "MDU6TGFiZWwyMDgwNDU5NDY=",
          "url": "https://api.github.com/repos/octocat/Hello-World/labels/bug",
          "name": "bug",
          "description": "Something isn't working",
          "color": "f29513",
          "default": true
        },
        {
          "id": 208045947,
          "node_id": "MDU6TGFiZWwyMDgwNDU5NDc=",
          "url": "https://api.github.com/repos/octocat/Hello-World/labels/autorelease:%20tagged",
          "name": "autorelease: tagged",
          "description": null,
          "color": "ededed",
          "default": false
        }
      ],
      "milestone": null,
      "active_lock_reason": "too heated",
      "created_at": "2011-01-26T19:01:12Z",
      "updated_at": "2011-01-26T19:01:12Z",
      "closed_at": "2011-01-26T19:01:12Z",
      "merged_at": "2011-01-26T19:01:12Z",
      "merge_commit_sha": "e5bd3914e2e596debea16f433f57875b5b90bcd6",
      "assignee": null,
      "assignees": [],
      "requested_reviewers": [],
      "requested_teams": [],
      "head": {
        "label": "octocat:new-topic",
        "ref": "new-topic",
        "sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e",
        "user": {"login": "octocat", "id": 1},
        "repo": {"id": 1296269, "full_name": "octocat/Hello-World", "default_branch": "master"}
      },
      "base": {
        "label": "octocat:master",
        "ref": "master",
        "sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e",
        "user": {"login": "octocat", "id": 1},
        "repo": {"id": 1296269, "full_name": "octocat/Hello-World", "default_branch": "master"}
      },
      "_links": {
        "self": {"href": "https://api.github.com/repos/octocat/Hello-World/pulls/1347"},
        "html": {"href": "https://github.com/octocat/Hello-World/pull/1347"}
      },
      "author_association": "OWNER",
      "auto_merge": null,
      "draft": false,
      "merged": true,
      "mergeable": null,
      "rebaseable": null,
      "mergeable_state": "unknown",
      "merged_by": {"login": "octocat", "id": 1},
      "comments": 10,
      "review_comments": 0,
      "maintainer_can_modify": true,
      "commits": 3,
      "additions": 100,
      "deletions": 3,
      "changed_files": 5
    }"#;

    /// The same pull request, open (as the list endpoint returns it: no `merged`), with no
    /// body and a head whose repository was deleted.
    const OPEN: &str = r#"{
      "url": "https://api.github.com/repos/octocat/Hello-World/pulls/1348",
      "id": 2,
      "html_url": "https://github.com/octocat/Hello-World/pull/1348",
      "number": 1348,
      "state": "open",
      "locked": false,
      "title": "chore(main): release 1.3.0",
      "user": {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"},
      "body": null,
      "labels": [
        {"id": 3, "name": "autorelease: pending", "color": "ededed", "default": false, "description": null}
      ],
      "created_at": "2011-01-27T19:01:12Z",
      "updated_at": "2011-01-27T19:01:12Z",
      "closed_at": null,
      "merged_at": null,
      "merge_commit_sha": "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
      "head": {"label": "octocat:release-please--branches--master", "ref": "release-please--branches--master", "sha": "7dcb09b5b57875f334f61aebed695e2e4193db5f", "user": null, "repo": null},
      "base": {"label": "octocat:master", "ref": "master", "sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e"},
      "draft": false
    }"#;

    #[test]
    fn a_merged_pull_request_is_read() {
        let pull: PullRequest = serde_json::from_str(MERGED).unwrap();
        assert_eq!(pull.number, 1347);
        assert_eq!(pull.state, "closed");
        assert_eq!(pull.title, "Amazing new feature");
        assert_eq!(
            pull.body.as_deref(),
            Some("Please pull these awesome changes in!")
        );
        assert_eq!(pull.merged_at.as_deref(), Some("2011-01-26T19:01:12Z"));
        assert_eq!(
            pull.merge_commit_sha.as_deref(),
            Some("e5bd3914e2e596debea16f433f57875b5b90bcd6")
        );
        assert_eq!(
            pull.html_url,
            "https://github.com/octocat/Hello-World/pull/1347"
        );
        assert_eq!(
            pull.head,
            PullRef {
                reference: "new-topic".to_owned(),
                sha: "6dcb09b5b57875f334f61aebed695e2e4193db5e".to_owned(),
            }
        );
        assert_eq!(pull.base.reference, "master");
        assert_eq!(
            pull.labels
                .iter()
                .map(|l| l.name.as_str())
                .collect::<Vec<_>>(),
            ["bug", "autorelease: tagged"]
        );
        assert!(pull.merged());
        assert!(!pull.is_open());
    }

    #[test]
    fn an_open_pull_request_is_read() {
        let pull: PullRequest = serde_json::from_str(OPEN).unwrap();
        assert_eq!(pull.number, 1348);
        assert!(pull.is_open());
        assert_eq!(pull.body, None);
        assert_eq!(pull.merged_at, None);
        // GitHub's test merge commit: there, but meaningless until merged.
        assert!(pull.merge_commit_sha.is_some());
        assert!(!pull.merged());
        assert_eq!(pull.head.reference, "release-please--branches--master");
        assert_eq!(pull.head.sha, "7dcb09b5b57875f334f61aebed695e2e4193db5f");

        // A minimal answer (the fields GitHub may leave out) is read too.
        let minimal: PullRequest = serde_json::from_value(json!({
            "number": 7, "state": "open", "title": "t",
            "head": {"ref": "h"}, "base": {"ref": "main"}
        }))
        .unwrap();
        assert_eq!(minimal.labels, []);
        assert_eq!(minimal.html_url, "");
        assert_eq!(minimal.head.sha, "");
        assert!(!minimal.merged());
    }

    #[test]
    fn labels_are_matched_ignoring_case() {
        let pull: PullRequest = serde_json::from_str(OPEN).unwrap();
        assert!(pull.has_label("autorelease: pending"));
        assert!(pull.has_label("Autorelease: Pending"));
        assert!(!pull.has_label("autorelease: tagged"));
        assert!(!pull.has_label("autorelease"));
        let merged: PullRequest = serde_json::from_str(MERGED).unwrap();
        assert!(merged.has_label("bug") && merged.has_label("autorelease: tagged"));
    }

    #[test]
    fn label_names_are_one_encoded_path_segment() {
        assert_eq!(
            label_route(12, "autorelease: pending"),
            "issues/12/labels/autorelease%3A%20pending"
        );
        assert_eq!(label_route(1, "type/bug"), "issues/1/labels/type%2Fbug");
        assert_eq!(
            label_route(1, "a+b#c%d?"),
            "issues/1/labels/a%2Bb%23c%25d%3F"
        );
        assert_eq!(label_route(1, "réglé"), "issues/1/labels/r%C3%A9gl%C3%A9");
        assert_eq!(
            label_route(1, "plain-name_1.0~x"),
            "issues/1/labels/plain-name_1.0~x"
        );
    }

    #[test]
    fn the_list_names_the_head_with_its_owner() {
        assert_eq!(
            list_route("acme", "release-please--branches--main", "main", 2),
            "pulls?state=all&head=acme:release-please--branches--main&base=main&per_page=100&page=2"
        );
        assert_eq!(
            list_route("acme", "release/v1 & more", "main", 1),
            "pulls?state=all&head=acme:release%2Fv1%20%26%20more&base=main&per_page=100&page=1"
        );
    }

    #[test]
    fn an_update_sends_only_the_fields_given() {
        assert_eq!(update_json(None, None, None), json!({}));
        assert_eq!(
            update_json(Some("t"), None, Some("closed")),
            json!({"title": "t", "state": "closed"})
        );
        assert_eq!(update_json(None, Some(""), None), json!({"body": ""}));
    }

    #[test]
    fn a_403_says_what_to_change_for_pull_requests() {
        let forbidden = |message: &str| GitHubError::Forbidden {
            action: "open a pull request from a into main".to_owned(),
            message: message.to_owned(),
            hint: "the token needs the `contents: write` permission".to_owned(),
        };
        let text = pulls_error(
            forbidden("Resource not accessible by integration"),
            "acme/shop",
            None,
        )
        .to_string();
        assert!(text.contains("pull-requests: write"), "{text}");
        assert!(text.contains("contents: write"), "{text}");
        let text = pulls_error(
            forbidden("GitHub Actions is not permitted to create or approve pull requests."),
            "acme/shop",
            None,
        )
        .to_string();
        assert!(
            text.contains("Allow GitHub Actions to create and approve pull requests"),
            "{text}"
        );
        assert!(text.contains("personal access token"), "{text}");
        assert!(text.contains("GitHub App"), "{text}");
    }

    #[test]
    fn an_open_duplicate_is_its_own_error() {
        let unprocessable = |message: &str| GitHubError::Unprocessable {
            action: "open a pull request from rel into main".to_owned(),
            message: message.to_owned(),
        };
        let duplicate = "Validation Failed: A pull request already exists for acme:rel.";
        assert!(matches!(
            pulls_error(unprocessable(duplicate), "acme/shop", Some(("rel", "main"))),
            GitHubError::PullExists { ref head, ref base, .. } if head == "rel" && base == "main"
        ));
        let error = pulls_error(unprocessable(duplicate), "acme/shop", Some(("rel", "main")));
        assert_eq!(error.status(), Some(422));
        assert!(error.to_string().contains("already open"), "{error}");
        // Another 422 stays what it is.
        assert!(matches!(
            pulls_error(
                unprocessable("Validation Failed: No commits between main and rel"),
                "acme/shop",
                Some(("rel", "main"))
            ),
            GitHubError::Unprocessable { .. }
        ));
    }
}

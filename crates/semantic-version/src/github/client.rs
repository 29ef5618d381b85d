//! [`GitHubClient`]: the [`GitHub`] trait over gantry-github's REST client.
//!
//! The client is synchronous (ureq); each call runs on tokio's blocking pool, so a run that
//! must stop (`Stop::race`) does not wait for a request to finish. The wire types name only the
//! fields read here.

use gantry_github::text::encode_path;
use gantry_github::{Client, ClientOptions, Method, Reply, RetryPolicy};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::error::GitHubError;
use super::plan::{Release, ReleaseSpec};
use super::{CONTENTS_READ, CONTENTS_WRITE, GitHub, ObjectKind, RefTarget};

/// `User-Agent` of semantic-version's requests.
const USER_AGENT: &str = concat!("gantry-semantic-version/", env!("CARGO_PKG_VERSION"));

/// [`GitHub`] over the REST API, for one repository.
#[derive(Debug, Clone)]
pub struct GitHubClient {
    client: Client,
}

impl GitHubClient {
    /// A client for `repository` (`owner/name`, as in `GITHUB_REPOSITORY`) at `api_url`
    /// (`GITHUB_API_URL`: `https://api.github.com`, or `https://HOST/api/v3` on GitHub
    /// Enterprise Server; empty: github.com), authenticated with `token` (mask it before
    /// anything can print it). See [`Client::new`] for the certificates it trusts.
    ///
    /// # Errors
    /// [`GitHubError::Setup`]: an invalid repository, URL or token.
    pub fn new(api_url: &str, token: &str, repository: &str) -> Result<Self, GitHubError> {
        let options = ClientOptions::new(api_url, token, repository, USER_AGENT);
        Ok(GitHubClient {
            client: Client::new(options)?,
        })
    }

    /// Retry as `policy` says instead of [`RetryPolicy::default`].
    #[must_use]
    pub fn with_retry(mut self, policy: RetryPolicy) -> Self {
        self.client = self.client.with_retry(policy);
        self
    }

    /// `owner/name`.
    pub fn repository(&self) -> String {
        self.client.repository().to_string()
    }

    /// Send on the blocking pool; the decoded success, `None` on 404 when `missing_ok`, an
    /// error otherwise.
    pub(super) async fn json<T: DeserializeOwned + Send + 'static>(
        &self,
        method: Method,
        route: String,
        body: Option<Value>,
        action: String,
        missing_ok: bool,
    ) -> Result<Option<T>, GitHubError> {
        let client = self.client.clone();
        let task = tokio::task::spawn_blocking(move || {
            let url = client.repo_url(&route);
            let reply = client
                .send(method, &url, body.as_ref())
                .map_err(|transport| GitHubError::Transport {
                    action: action.clone(),
                    message: transport.message,
                    attempts: transport.attempts,
                })?;
            if reply.status == 404 && missing_ok {
                return Ok(None);
            }
            if !reply.is_success() {
                return Err(failure(&client, method, &reply, action));
            }
            reply
                .json()
                .map(Some)
                .map_err(|message| GitHubError::Decode {
                    action,
                    message: format!("{message} (in {} {route})", method.as_str()),
                })
        });
        task.await.unwrap_or_else(|e| {
            Err(GitHubError::Transport {
                action: "call GitHub".to_owned(),
                message: format!("the request's thread ended: {e}"),
                attempts: 1,
            })
        })
    }

    pub(super) async fn required<T: DeserializeOwned + Send + 'static>(
        &self,
        method: Method,
        route: String,
        body: Option<Value>,
        action: String,
    ) -> Result<T, GitHubError> {
        self.json(method, route, body, action.clone(), false)
            .await?
            .ok_or(GitHubError::Decode {
                action,
                message: "no answer".to_owned(),
            })
    }
}

/// The error for a final answer that is not a success, with what to change.
fn failure(client: &Client, method: Method, reply: &Reply, action: String) -> GitHubError {
    let message = reply.message();
    if reply.is_rate_limited() {
        return GitHubError::RateLimited {
            action,
            status: reply.status,
            message,
            attempts: reply.attempts,
            reset: reply
                .rate_limit_wait()
                .map(|secs| format!("; it resets in {secs}s"))
                .unwrap_or_default(),
        };
    }
    match reply.status {
        401 => GitHubError::Unauthorized { action, message },
        403 => {
            let lower = message.to_ascii_lowercase();
            let hint = if lower.contains("rule") || lower.contains("protected") {
                "a repository ruleset or tag protection rule forbids it: let the workflow's actor bypass the rule for these tags, or use a token that may".to_owned()
            } else {
                let permission = if method == Method::Get {
                    CONTENTS_READ
                } else {
                    CONTENTS_WRITE
                };
                format!(
                    "the token needs the `{permission}` permission: add `permissions: {{ {permission} }}` to the job (or the workflow), or pass a token that can write to {}",
                    client.repository()
                )
            };
            GitHubError::Forbidden {
                action,
                message,
                hint,
            }
        }
        404 => GitHubError::NotFound {
            action,
            message,
            repository: client.repository().to_string(),
        },
        422 => GitHubError::Unprocessable { action, message },
        status => GitHubError::Status {
            action,
            status,
            message,
            attempts: reply.attempts,
        },
    }
}

#[derive(Debug, Deserialize)]
struct ObjectJson {
    sha: String,
    #[serde(rename = "type")]
    kind: String,
}

impl From<ObjectJson> for RefTarget {
    fn from(object: ObjectJson) -> Self {
        let kind = match object.kind.as_str() {
            "commit" => ObjectKind::Commit,
            "tag" => ObjectKind::Tag,
            _ => ObjectKind::Other(object.kind),
        };
        RefTarget {
            sha: object.sha,
            kind,
        }
    }
}

#[derive(Debug, Deserialize)]
struct RefJson {
    #[serde(rename = "ref")]
    reference: String,
    object: ObjectJson,
}

#[derive(Debug, Deserialize)]
struct TagObjectJson {
    object: ObjectJson,
}

#[derive(Debug, Deserialize)]
struct ShaJson {
    sha: String,
}

fn release_json(spec: &ReleaseSpec, with_tag: bool) -> Value {
    let mut body = json!({
        "name": spec.name,
        "body": spec.body,
        "draft": spec.draft,
        "prerelease": spec.prerelease,
    });
    if with_tag {
        body["tag_name"] = json!(spec.tag);
        if let Some(commit) = &spec.target_commitish {
            body["target_commitish"] = json!(commit);
        }
    }
    if let Some(latest) = spec.make_latest {
        body["make_latest"] = json!(if latest { "true" } else { "false" });
    }
    body
}

impl GitHub for GitHubClient {
    async fn get_ref(&self, tag: &str) -> Result<Option<RefTarget>, GitHubError> {
        let action = format!("read the tag {tag}");
        let route = format!("git/ref/tags/{}", encode_path(tag));
        let Some(value) = self
            .json::<Value>(Method::Get, route, None, action.clone(), true)
            .await?
        else {
            return Ok(None);
        };
        // Some servers answer a name that is only a prefix of others with the matching list.
        let full = format!("refs/tags/{tag}");
        let refs: Vec<RefJson> = match value {
            Value::Array(items) => items
                .into_iter()
                .filter_map(|item| serde_json::from_value(item).ok())
                .collect(),
            other => vec![
                serde_json::from_value(other).map_err(|e| GitHubError::Decode {
                    action: action.clone(),
                    message: e.to_string(),
                })?,
            ],
        };
        Ok(refs
            .into_iter()
            .find(|r| r.reference == full)
            .map(|r| r.object.into()))
    }

    async fn get_tag_object(&self, sha: &str) -> Result<RefTarget, GitHubError> {
        let action = format!("read the tag object {sha}");
        let route = format!("git/tags/{}", encode_path(sha));
        let tag: TagObjectJson = self.required(Method::Get, route, None, action).await?;
        Ok(tag.object.into())
    }

    async fn create_tag_object(
        &self,
        name: &str,
        commit: &str,
        message: &str,
    ) -> Result<String, GitHubError> {
        let action = format!("create the tag object {name} for {commit}");
        let body = json!({ "tag": name, "message": message, "object": commit, "type": "commit" });
        let created: ShaJson = self
            .required(Method::Post, "git/tags".to_owned(), Some(body), action)
            .await?;
        Ok(created.sha)
    }

    async fn create_ref(&self, tag: &str, sha: &str) -> Result<(), GitHubError> {
        let action = format!("create the tag {tag}");
        let body = json!({ "ref": format!("refs/tags/{tag}"), "sha": sha });
        let _: Value = self
            .required(Method::Post, "git/refs".to_owned(), Some(body), action)
            .await?;
        Ok(())
    }

    async fn update_ref(&self, tag: &str, sha: &str, force: bool) -> Result<(), GitHubError> {
        let action = format!("move the tag {tag} to {sha}");
        let route = format!("git/refs/tags/{}", encode_path(tag));
        let body = json!({ "sha": sha, "force": force });
        let _: Value = self
            .required(Method::Patch, route, Some(body), action)
            .await?;
        Ok(())
    }

    async fn get_release_by_tag(&self, tag: &str) -> Result<Option<Release>, GitHubError> {
        let action = format!("read the release of {tag}");
        let route = format!("releases/tags/{}", encode_path(tag));
        if let Some(release) = self
            .json(Method::Get, route, None, action.clone(), true)
            .await?
        {
            return Ok(Some(release));
        }
        // Drafts have no tag yet for GitHub: they are found only in the list (newest first).
        let releases: Vec<Release> = self
            .required(
                Method::Get,
                "releases?per_page=100".to_owned(),
                None,
                action,
            )
            .await?;
        Ok(releases.into_iter().find(|r| r.tag_name == tag))
    }

    async fn create_release(&self, spec: &ReleaseSpec) -> Result<Release, GitHubError> {
        let action = format!("create the release of {}", spec.tag);
        let body = release_json(spec, true);
        self.required(Method::Post, "releases".to_owned(), Some(body), action)
            .await
    }

    async fn update_release(&self, id: u64, spec: &ReleaseSpec) -> Result<Release, GitHubError> {
        let action = format!("update the release of {}", spec.tag);
        let body = release_json(spec, false);
        self.required(Method::Patch, format!("releases/{id}"), Some(body), action)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gantry_github::SetupError;

    #[test]
    fn the_client_needs_a_sane_token_url_and_repository() {
        for token in ["", "  ", "ab cd", "abc\ndef"] {
            assert!(
                matches!(
                    GitHubClient::new("", token, "o/r"),
                    Err(GitHubError::Setup(SetupError::InvalidToken))
                ),
                "{token:?}"
            );
        }
        assert!(matches!(
            GitHubClient::new("ftp://x", "t", "o/r"),
            Err(GitHubError::Setup(SetupError::InvalidApiUrl { .. }))
        ));
        assert!(matches!(
            GitHubClient::new("", "t", "o"),
            Err(GitHubError::Setup(SetupError::InvalidRepository { .. }))
        ));
        // No runtime needed to build one; a token with a trailing newline (a secret file) is
        // trimmed.
        let client = GitHubClient::new("", "ghs_token\n", "acme/shop").unwrap();
        assert_eq!(client.repository(), "acme/shop");
    }
}

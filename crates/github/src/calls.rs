//! [`GitHubClient`]: [`Client`] for tools that run on tokio, with every answer that is not a
//! success turned into a [`GitHubError`] that says what to change.
//!
//! The client is synchronous (ureq); each call runs on tokio's blocking pool, so a run that
//! must stop (`Stop::race`) does not wait for a request to finish. Tools build their calls on
//! [`GitHubClient::json`] and [`GitHubClient::required`] (pull requests: [`crate::pulls`]), and
//! refine a 403's hint where they know better what was being done (as [`crate::pulls`] does).

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::client::{Client, ClientOptions, Method, Reply};
use crate::error::GitHubError;
use crate::retry::RetryPolicy;

/// The permission a job needs to read a repository's contents (tags, releases, files).
pub const CONTENTS_READ: &str = "contents: read";
/// The permission a job needs to write a repository's contents (tags, releases, branches).
pub const CONTENTS_WRITE: &str = "contents: write";

/// GitHub's REST API for one repository, for async tools.
#[derive(Debug, Clone)]
pub struct GitHubClient {
    client: Client,
}

impl GitHubClient {
    /// A client for `repository` (`owner/name`, as in `GITHUB_REPOSITORY`) at `api_url`
    /// (`GITHUB_API_URL`: `https://api.github.com`, or `https://HOST/api/v3` on GitHub
    /// Enterprise Server; empty: github.com), authenticated with `token` (mask it before
    /// anything can print it), sending `user_agent` (the tool's, e.g.
    /// `gantry-semantic-version/1.2.3`). See [`Client::new`] for the certificates it trusts.
    ///
    /// # Errors
    /// [`GitHubError::Setup`]: an invalid repository, URL or token.
    pub fn new(
        api_url: &str,
        token: &str,
        repository: &str,
        user_agent: &str,
    ) -> Result<Self, GitHubError> {
        Self::with_options(ClientOptions::new(api_url, token, repository, user_agent))
    }

    /// A client from all of [`ClientOptions`] (a proxy, another timeout).
    ///
    /// # Errors
    /// [`GitHubError::Setup`]: an invalid repository, URL, token or proxy.
    pub fn with_options(options: ClientOptions) -> Result<Self, GitHubError> {
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

    /// Send `body` to `route` (under `repos/{owner}/{name}/`) on the blocking pool; the
    /// decoded success, `None` on 404 when `missing_ok`, an error otherwise. `action` says what
    /// was being done, for the error (`create the release of v1.2.0`).
    ///
    /// # Errors
    /// Every answer that is not a success, as the [`GitHubError`] that says what to change;
    /// no answer; an answer that is not a `T`.
    pub async fn json<T: DeserializeOwned + Send + 'static>(
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

    /// [`GitHubClient::json`] for an answer that must be there: a 404 is an error.
    ///
    /// # Errors
    /// See [`GitHubClient::json`].
    pub async fn required<T: DeserializeOwned + Send + 'static>(
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

/// The error for a final answer that is not a success, with what to change. A 403's hint
/// names the `contents` permission a read or a write needs: the usual one, and callers that
/// know better (pull requests, rulesets) replace it.
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
            let permission = if method == Method::Get {
                CONTENTS_READ
            } else {
                CONTENTS_WRITE
            };
            let hint = format!(
                "the token needs the `{permission}` permission: add `permissions: {{ {permission} }}` to the job (or the workflow), or pass a token that can write to {}",
                client.repository()
            );
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::SetupError;

    #[test]
    fn the_client_needs_a_sane_token_url_and_repository() {
        let new = |url: &str, token: &str, repository: &str| {
            GitHubClient::new(url, token, repository, "gantry-test/1.0")
        };
        for token in ["", "  ", "ab cd", "abc\ndef"] {
            assert!(
                matches!(
                    new("", token, "o/r"),
                    Err(GitHubError::Setup(SetupError::InvalidToken))
                ),
                "{token:?}"
            );
        }
        assert!(matches!(
            new("ftp://x", "t", "o/r"),
            Err(GitHubError::Setup(SetupError::InvalidApiUrl { .. }))
        ));
        assert!(matches!(
            new("", "t", "o"),
            Err(GitHubError::Setup(SetupError::InvalidRepository { .. }))
        ));
        // No runtime needed to build one; a token with a trailing newline (a secret file) is
        // trimmed.
        let client = new("", "ghs_token\n", "acme/shop").unwrap();
        assert_eq!(client.repository(), "acme/shop");
    }
}

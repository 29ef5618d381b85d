//! A pull request's changed files from the GitHub REST API:
//! `GET {api}/repos/{owner}/{repo}/pulls/{number}/files?per_page=100&page=N`.
//!
//! The API lists at most 3,000 files and says nothing when it stops there. The result is
//! therefore checked against the pull request's `changed_files` (from the payload, else
//! `GET /pulls/{number}`), and a short list is returned as [`PrFiles::Truncated`] so that the
//! caller takes the files from git instead. A list is never cut silently.
//!
//! Transient failures (HTTP 408, 429, 5xx, rate limits, transport errors) are retried by
//! [`gantry_github`]'s policy, a bounded number of times; 401, 403 and 404 fail at once with
//! what to check.

use std::fmt;

use gantry_github::{Client, ClientOptions, Method, Reply, SetupError};
use serde::Deserialize;

use crate::change::{Change, ChangeStatus};

/// The most files `GET /pulls/{number}/files` lists, whatever the pull request's size.
pub const API_FILE_CAP: usize = 3000;

/// Files per page (the API's maximum).
pub const PER_PAGE: usize = 100;

/// Pages read at most (10,000 files): a server that never stops is not followed forever.
pub const MAX_PAGES: u32 = 100;

pub use gantry_github::RetryPolicy;

/// The files of a pull request, as the API gave them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrFiles {
    /// Every file.
    Complete {
        /// The changes, in the API's order.
        changes: Vec<Change>,
        /// Statuses that were not recognized, etc.
        warnings: Vec<String>,
    },
    /// The API stopped short (its 3,000-file cap) or refused to list the files: take them
    /// from git.
    Truncated {
        /// Files received.
        received: usize,
        /// Files the pull request has, when known.
        expected: Option<u64>,
        /// Why the list is not complete, for the warning.
        reason: String,
    },
}

/// Where the files of a pull request come from (the API, or a fake in tests).
pub trait PullRequestFiles {
    /// The files of pull request `number`; `expected_files` is its `changed_files` when known.
    ///
    /// # Errors
    /// See [`GitHubError`].
    fn pull_request_files(
        &self,
        number: u64,
        expected_files: Option<u64>,
    ) -> Result<PrFiles, GitHubError>;
}

/// A call to the GitHub API failed.
#[derive(Debug, thiserror::Error)]
pub enum GitHubError {
    /// The client cannot be set up (repository, API URL, token or proxy).
    #[error(transparent)]
    Setup(#[from] SetupError),
    /// 401.
    #[error(
        "GitHub refused the token (HTTP 401) for {url}: {body}; check the `token` input (e.g. `${{{{ github.token }}}}`), or leave it empty to use git"
    )]
    Unauthorized {
        /// The URL.
        url: String,
        /// The start of the response body.
        body: String,
    },
    /// 403 that is not a rate limit.
    #[error(
        "GitHub denied access (HTTP 403) to {url}: {body}; the token needs `pull-requests: read` (and `contents: read` for private repositories) in the workflow's `permissions:`, or leave `token` empty to use git"
    )]
    Forbidden {
        /// The URL.
        url: String,
        /// The start of the response body.
        body: String,
    },
    /// 404.
    #[error(
        "GitHub found nothing at {url} (HTTP 404): check GITHUB_REPOSITORY and the pull request number, and that the token can read this repository (private repositories need `contents: read` and `pull-requests: read`)"
    )]
    NotFound {
        /// The URL.
        url: String,
    },
    /// Any other unexpected status, after retries for transient ones.
    #[error("GitHub answered HTTP {status} for {url} after {attempts} attempt(s): {body}")]
    Status {
        /// The URL.
        url: String,
        /// The status.
        status: u16,
        /// The start of the response body.
        body: String,
        /// Attempts made.
        attempts: u32,
    },
    /// Rate limited for longer than the client waits.
    #[error(
        "GitHub's rate limit blocks {url} for {wait_secs} more seconds: re-run the job later, or leave `token` empty to use git"
    )]
    RateLimited {
        /// The URL.
        url: String,
        /// Seconds until the limit resets.
        wait_secs: u64,
    },
    /// The request could not be made.
    #[error(
        "cannot reach GitHub at {url} after {attempts} attempt(s): {message}; check GITHUB_API_URL and the network"
    )]
    Transport {
        /// The URL.
        url: String,
        /// Attempts made.
        attempts: u32,
        /// The last transport error.
        message: String,
    },
    /// The response is not what the API documents.
    #[error("unexpected response from GitHub for {url}: {detail}")]
    InvalidResponse {
        /// The URL.
        url: String,
        /// What was wrong.
        detail: String,
    },
}

/// `User-Agent` of paths-filter's requests.
pub const USER_AGENT: &str = concat!("gantry-paths-filter/", env!("CARGO_PKG_VERSION"));

/// The GitHub REST API, for pull request files.
#[derive(Clone)]
pub struct GitHubClient {
    client: Client,
}

impl fmt::Debug for GitHubClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitHubClient")
            .field("client", &self.client)
            .finish()
    }
}

/// One entry of `GET /pulls/{number}/files`.
#[derive(Debug, Deserialize)]
struct ApiFile {
    filename: Option<String>,
    status: Option<String>,
    previous_filename: Option<String>,
}

/// The part of `GET /pulls/{number}` read here.
#[derive(Debug, Deserialize)]
struct ApiPullRequest {
    changed_files: Option<u64>,
}

/// All pages of a listing: the changes, warnings, and why it ended early (if it did).
struct Listing {
    changes: Vec<Change>,
    warnings: Vec<String>,
    cut: Option<String>,
}

impl GitHubClient {
    /// A client for `options.repository` (`owner/name`).
    ///
    /// # Errors
    /// [`GitHubError::Setup`]: a repository that is not `owner/name`, an API URL, token or
    /// proxy that cannot be used.
    pub fn new(options: ClientOptions) -> Result<Self, GitHubError> {
        Ok(GitHubClient {
            client: Client::new(options)?,
        })
    }

    fn pulls_url(&self, number: u64) -> String {
        self.client.repo_url(&format!("pulls/{number}"))
    }

    /// `GET` with the client's retries; the final answer (any status).
    fn get(&self, url: &str) -> Result<Reply, GitHubError> {
        self.client
            .send(Method::Get, url, None)
            .map_err(|transport| GitHubError::Transport {
                url: url.to_owned(),
                attempts: transport.attempts,
                message: transport.message,
            })
    }

    /// Map a final non-200 answer to an error.
    fn status_error(&self, url: &str, response: &Reply) -> GitHubError {
        let body = response.message();
        if response.is_rate_limited()
            && let Some(wait_secs) = response.rate_limit_wait()
            && std::time::Duration::from_secs(wait_secs) > self.client.retry_policy().max_wait
        {
            return GitHubError::RateLimited {
                url: url.to_owned(),
                wait_secs,
            };
        }
        match response.status {
            401 => GitHubError::Unauthorized {
                url: url.to_owned(),
                body,
            },
            403 => GitHubError::Forbidden {
                url: url.to_owned(),
                body,
            },
            404 => GitHubError::NotFound {
                url: url.to_owned(),
            },
            status => GitHubError::Status {
                url: url.to_owned(),
                status,
                body,
                attempts: response.attempts,
            },
        }
    }

    /// `changed_files` of pull request `number` (`GET /pulls/{number}`).
    ///
    /// # Errors
    /// See [`GitHubError`].
    pub fn pull_request_changed_files(&self, number: u64) -> Result<Option<u64>, GitHubError> {
        let url = self.pulls_url(number);
        let response = self.get(&url)?;
        if response.status != 200 {
            return Err(self.status_error(&url, &response));
        }
        let pr: ApiPullRequest =
            serde_json::from_slice(&response.body).map_err(|e| GitHubError::InvalidResponse {
                url: url.clone(),
                detail: format!("not a pull request object ({e})"),
            })?;
        Ok(pr.changed_files)
    }

    /// Every page of `GET /pulls/{number}/files`: the changes, warnings, and whether the
    /// listing ended early (a refusal, or [`MAX_PAGES`]) with its reason.
    fn list_files(&self, number: u64) -> Result<Listing, GitHubError> {
        let mut changes = Vec::new();
        let mut warnings = Vec::new();
        for page in 1..=MAX_PAGES {
            let url = format!(
                "{}/files?per_page={PER_PAGE}&page={page}",
                self.pulls_url(number)
            );
            let response = self.get(&url)?;
            match response.status {
                200 => {}
                // "The diff is too large" and similar: git can still tell.
                406 | 422 => {
                    let reason = format!(
                        "HTTP {} on page {page}: {}",
                        response.status,
                        response.message()
                    );
                    return Ok(Listing {
                        changes,
                        warnings,
                        cut: Some(reason),
                    });
                }
                _ => return Err(self.status_error(&url, &response)),
            }
            let files: Vec<ApiFile> = serde_json::from_slice(&response.body).map_err(|e| {
                GitHubError::InvalidResponse {
                    url: url.clone(),
                    detail: format!("not a list of files ({e})"),
                }
            })?;
            let received = files.len();
            for file in files {
                changes.push(to_change(file, &url, &mut warnings)?);
            }
            let more = match &response.link {
                Some(link) => gantry_github::text::has_next(link),
                None => received >= PER_PAGE,
            };
            if !more {
                return Ok(Listing {
                    changes,
                    warnings,
                    cut: None,
                });
            }
        }
        let reason = format!("stopped after {MAX_PAGES} pages of {PER_PAGE} files");
        Ok(Listing {
            changes,
            warnings,
            cut: Some(reason),
        })
    }
}

impl PullRequestFiles for GitHubClient {
    fn pull_request_files(
        &self,
        number: u64,
        expected_files: Option<u64>,
    ) -> Result<PrFiles, GitHubError> {
        let Listing {
            changes,
            warnings,
            cut,
        } = self.list_files(number)?;
        let received = changes.len();
        if let Some(reason) = cut {
            return Ok(PrFiles::Truncated {
                received,
                expected: expected_files,
                reason,
            });
        }
        let as_u64 = received as u64;
        let complete = |expected: Option<u64>| match expected {
            Some(expected) => as_u64 >= expected,
            None => received < API_FILE_CAP,
        };
        if complete(expected_files) {
            return Ok(PrFiles::Complete { changes, warnings });
        }
        // Short of the payload's count, or at the cap with no count: ask the pull request
        // itself (the payload may predate a push).
        let fresh = self.pull_request_changed_files(number)?;
        if fresh.is_some() && complete(fresh) {
            return Ok(PrFiles::Complete { changes, warnings });
        }
        let expected = fresh.or(expected_files);
        let reason = match expected {
            Some(expected) => {
                format!("it listed {received} of {expected} files; it stops at {API_FILE_CAP}")
            }
            None => format!(
                "it listed {received} files, its {API_FILE_CAP}-file cap, and the pull request's file count is unknown"
            ),
        };
        Ok(PrFiles::Truncated {
            received,
            expected,
            reason,
        })
    }
}

/// An API file entry as a [`Change`].
fn to_change(file: ApiFile, url: &str, warnings: &mut Vec<String>) -> Result<Change, GitHubError> {
    let Some(path) = file.filename.filter(|f| !f.is_empty()) else {
        return Err(GitHubError::InvalidResponse {
            url: url.to_owned(),
            detail: "a file entry has no `filename`".to_owned(),
        });
    };
    let status = file.status.unwrap_or_default();
    let previous = file.previous_filename.filter(|p| !p.is_empty());
    let change = match status.as_str() {
        "added" => Change::new(path, ChangeStatus::Added),
        "removed" => Change::new(path, ChangeStatus::Deleted),
        "modified" => Change::new(path, ChangeStatus::Modified),
        "renamed" | "copied" => {
            let status = if status == "renamed" {
                ChangeStatus::Renamed
            } else {
                ChangeStatus::Copied
            };
            match previous {
                Some(previous) => Change {
                    path,
                    status,
                    previous_path: Some(previous),
                },
                None => {
                    warnings.push(format!(
                        "the GitHub API reports {path} as {status} without `previous_filename`: counted as added"
                    ));
                    Change::new(path, ChangeStatus::Added)
                }
            }
        }
        // `changed`: the file's mode or type changed, not necessarily its content.
        "changed" => Change::new(path, ChangeStatus::Modified),
        other => {
            warnings.push(format!(
                "the GitHub API reports {path} with an unknown status {other:?}: counted as modified"
            ));
            Change::new(path, ChangeStatus::Modified)
        }
    };
    Ok(change)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_changes() {
        let file = |status: &str, previous: Option<&str>| ApiFile {
            filename: Some("b".to_owned()),
            status: Some(status.to_owned()),
            previous_filename: previous.map(str::to_owned),
        };
        let mut warnings = Vec::new();
        let mut map = |f| to_change(f, "u", &mut warnings).unwrap();
        assert_eq!(map(file("added", None)).status, ChangeStatus::Added);
        assert_eq!(map(file("removed", None)).status, ChangeStatus::Deleted);
        assert_eq!(map(file("modified", None)).status, ChangeStatus::Modified);
        assert_eq!(map(file("changed", None)).status, ChangeStatus::Modified);
        assert_eq!(map(file("renamed", Some("a"))), Change::renamed("a", "b"));
        let copied = map(file("copied", Some("a")));
        assert_eq!(
            (copied.status, copied.previous_path.as_deref()),
            (ChangeStatus::Copied, Some("a"))
        );
        assert_eq!(map(file("renamed", None)).status, ChangeStatus::Added);
        assert_eq!(map(file("weird", None)).status, ChangeStatus::Modified);
        assert_eq!(warnings.len(), 2);
        let nameless = ApiFile {
            filename: None,
            status: Some("added".to_owned()),
            previous_filename: None,
        };
        assert!(to_change(nameless, "u", &mut Vec::new()).is_err());
    }

    #[test]
    fn the_client_is_set_up_or_refused_with_what_to_check() {
        let options = |repository: &str| {
            ClientOptions::new("http://x/api/", "secret", repository, USER_AGENT)
        };
        let error = GitHubClient::new(options("a/b/c")).unwrap_err();
        assert!(
            matches!(
                error,
                GitHubError::Setup(SetupError::InvalidRepository { .. })
            ),
            "{error:?}"
        );
        let client = GitHubClient::new(options("o/r.js")).unwrap();
        assert_eq!(client.pulls_url(3), "http://x/api/repos/o/r.js/pulls/3");
        assert!(!format!("{client:?}").contains("secret"));
    }
}

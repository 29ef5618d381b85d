//! A pull request's changed files from the GitHub REST API:
//! `GET {api}/repos/{owner}/{repo}/pulls/{number}/files?per_page=100&page=N`.
//!
//! The API lists at most 3,000 files and says nothing when it stops there. The result is
//! therefore checked against the pull request's `changed_files` (from the payload, else
//! `GET /pulls/{number}`), and a short list is returned as [`PrFiles::Truncated`] so that the
//! caller takes the files from git instead. A list is never cut silently.
//!
//! Transient failures (HTTP 408, 429, 5xx, rate limits, transport errors) are retried with
//! exponential backoff, a bounded number of times; 401, 403 and 404 fail at once with what to
//! check.

use std::fmt;
use std::thread::sleep;
use std::time::Duration;

use serde::Deserialize;

use crate::change::{Change, ChangeStatus};

/// The most files `GET /pulls/{number}/files` lists, whatever the pull request's size.
pub const API_FILE_CAP: usize = 3000;

/// Files per page (the API's maximum).
pub const PER_PAGE: usize = 100;

/// Pages read at most (10,000 files): a server that never stops is not followed forever.
pub const MAX_PAGES: u32 = 100;

/// The REST API version requested.
pub const API_VERSION: &str = "2022-11-28";

const MAX_BODY_SHOWN: usize = 300;
const MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

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
    /// `GITHUB_REPOSITORY` is not `owner/name`.
    #[error("the repository {value:?} is not `owner/name`: check GITHUB_REPOSITORY")]
    InvalidRepository {
        /// The value.
        value: String,
    },
    /// The proxy URL is not valid.
    #[error("the proxy {value:?} is not a valid URL: {source}")]
    InvalidProxy {
        /// The value.
        value: String,
        /// The underlying error.
        source: ureq::Error,
    },
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
        "cannot reach GitHub at {url} after {attempts} attempt(s): {source}; check GITHUB_API_URL and the network"
    )]
    Transport {
        /// The URL.
        url: String,
        /// Attempts made.
        attempts: u32,
        /// The underlying error.
        source: ureq::Error,
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

/// How transient failures are retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per request, at least 1.
    pub attempts: u32,
    /// The first wait; doubled after each failure.
    pub initial_backoff: Duration,
    /// The longest wait between attempts, also the longest `Retry-After` honored.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
        }
    }
}

/// Settings for [`GitHubClient`].
#[derive(Clone, PartialEq, Eq)]
pub struct GitHubOptions {
    /// `GITHUB_API_URL`, e.g. `https://api.github.com` or `https://ghe.example.com/api/v3`.
    pub api_url: String,
    /// The token (sent as `Authorization: Bearer`, never printed).
    pub token: String,
    /// `owner/name`.
    pub repository: String,
    /// An HTTP(S) proxy URL; `None`: no proxy (the process environment is not read).
    pub proxy: Option<String>,
    /// Timeout of each request.
    pub timeout: Duration,
    /// Retries.
    pub retry: RetryPolicy,
}

impl GitHubOptions {
    /// Options with a 30 s timeout, no proxy and the default retries.
    pub fn new(
        api_url: impl Into<String>,
        token: impl Into<String>,
        repository: impl Into<String>,
    ) -> Self {
        GitHubOptions {
            api_url: api_url.into(),
            token: token.into(),
            repository: repository.into(),
            proxy: None,
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
        }
    }
}

impl fmt::Debug for GitHubOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitHubOptions")
            .field("api_url", &self.api_url)
            .field("token", &"***")
            .field("repository", &self.repository)
            .field("proxy", &self.proxy)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish()
    }
}

/// The GitHub REST API, for pull request files.
#[derive(Clone)]
pub struct GitHubClient {
    agent: ureq::Agent,
    api_url: String,
    token: String,
    owner: String,
    repo: String,
    retry: RetryPolicy,
}

impl fmt::Debug for GitHubClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitHubClient")
            .field("api_url", &self.api_url)
            .field("owner", &self.owner)
            .field("repo", &self.repo)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
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

/// One response, read whole.
struct Response {
    status: u16,
    body: Vec<u8>,
    link: Option<String>,
    retry_after: Option<u64>,
    rate_limit_exhausted: bool,
    rate_limit_reset: Option<u64>,
}

impl GitHubClient {
    /// A client for `options.repository` (`owner/name`).
    ///
    /// # Errors
    /// A repository that is not `owner/name`, or an invalid proxy URL.
    pub fn new(options: GitHubOptions) -> Result<Self, GitHubError> {
        let (owner, repo) = options
            .repository
            .split_once('/')
            .filter(|(o, r)| {
                !o.is_empty()
                    && !r.is_empty()
                    && !r.contains('/')
                    && valid_segment(o)
                    && valid_segment(r)
            })
            .ok_or_else(|| GitHubError::InvalidRepository {
                value: options.repository.clone(),
            })?;
        let proxy = match &options.proxy {
            Some(url) => {
                Some(
                    ureq::Proxy::new(url).map_err(|source| GitHubError::InvalidProxy {
                        value: url.clone(),
                        source,
                    })?,
                )
            }
            None => None,
        };
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(options.timeout))
            .http_status_as_error(false)
            .proxy(proxy)
            .user_agent(concat!("gantry-paths-filter/", env!("CARGO_PKG_VERSION")))
            .build();
        Ok(GitHubClient {
            agent: ureq::Agent::new_with_config(config),
            api_url: options.api_url.trim_end_matches('/').to_owned(),
            token: options.token,
            owner: owner.to_owned(),
            repo: repo.to_owned(),
            retry: options.retry,
        })
    }

    fn pulls_url(&self, number: u64) -> String {
        format!(
            "{}/repos/{}/{}/pulls/{number}",
            self.api_url, self.owner, self.repo
        )
    }

    /// `GET` with retries; the final response (any status) or a transport error.
    fn get(&self, url: &str) -> Result<(Response, u32), GitHubError> {
        let attempts = self.retry.attempts.max(1);
        let mut wait = self.retry.initial_backoff;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt >= attempts;
            match self.get_once(url) {
                Ok(response) => {
                    let rate_limited = response.status == 429
                        || (response.status == 403
                            && (response.rate_limit_exhausted || response.retry_after.is_some()));
                    let retryable = rate_limited || matches!(response.status, 408 | 500..=599);
                    if !retryable || last {
                        return Ok((response, attempt));
                    }
                    let mut pause = wait;
                    if rate_limited {
                        let asked = response.retry_after.or_else(|| {
                            response
                                .rate_limit_reset
                                .map(|reset| reset.saturating_sub(now_secs()))
                        });
                        if let Some(secs) = asked {
                            if Duration::from_secs(secs) > self.retry.max_backoff {
                                return Err(GitHubError::RateLimited {
                                    url: url.to_owned(),
                                    wait_secs: secs,
                                });
                            }
                            pause = Duration::from_secs(secs);
                        }
                    }
                    sleep(pause.min(self.retry.max_backoff));
                }
                Err(source) if last => {
                    return Err(GitHubError::Transport {
                        url: url.to_owned(),
                        attempts: attempt,
                        source,
                    });
                }
                Err(_) => sleep(wait.min(self.retry.max_backoff)),
            }
            wait = wait.saturating_mul(2);
        }
    }

    fn get_once(&self, url: &str) -> Result<Response, ureq::Error> {
        let mut response = self
            .agent
            .get(url)
            .header("Authorization", &format!("Bearer {}", self.token))
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", API_VERSION)
            .call()?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let link = header("link");
        let retry_after = header("retry-after").and_then(|v| v.trim().parse().ok());
        let rate_limit_exhausted = header("x-ratelimit-remaining").is_some_and(|v| v.trim() == "0");
        let rate_limit_reset = header("x-ratelimit-reset").and_then(|v| v.trim().parse().ok());
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY_BYTES)
            .read_to_vec()?;
        Ok(Response {
            status,
            body,
            link,
            retry_after,
            rate_limit_exhausted,
            rate_limit_reset,
        })
    }

    /// Map a final non-200 response to an error.
    fn status_error(url: &str, response: &Response, attempts: u32) -> GitHubError {
        let body = shorten(&response.body);
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
                attempts,
            },
        }
    }

    /// `changed_files` of pull request `number` (`GET /pulls/{number}`).
    ///
    /// # Errors
    /// See [`GitHubError`].
    pub fn pull_request_changed_files(&self, number: u64) -> Result<Option<u64>, GitHubError> {
        let url = self.pulls_url(number);
        let (response, attempts) = self.get(&url)?;
        if response.status != 200 {
            return Err(Self::status_error(&url, &response, attempts));
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
            let (response, attempts) = self.get(&url)?;
            match response.status {
                200 => {}
                // "The diff is too large" and similar: git can still tell.
                406 | 422 => {
                    let reason = format!(
                        "HTTP {} on page {page}: {}",
                        response.status,
                        shorten(&response.body)
                    );
                    return Ok(Listing {
                        changes,
                        warnings,
                        cut: Some(reason),
                    });
                }
                _ => return Err(Self::status_error(&url, &response, attempts)),
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
                Some(link) => has_next(link),
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

/// True when a `Link` header has a `rel="next"` entry. Only the fact is used: the next URL is
/// built from the API URL, so the token is never sent to a host named by a response.
fn has_next(link: &str) -> bool {
    link.split(',').any(|part| {
        part.split(';').skip(1).any(|param| {
            let param = param.trim();
            param == "rel=\"next\"" || param == "rel=next"
        })
    })
}

fn valid_segment(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && s != "."
        && s != ".."
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn shorten(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match text.char_indices().nth(MAX_BODY_SHOWN) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None if text.is_empty() => "(empty body)".to_owned(),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_header_next() {
        assert!(has_next(
            r#"<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=5>; rel="last""#
        ));
        assert!(!has_next(
            r#"<https://api.github.com/x?page=1>; rel="prev", <https://api.github.com/x?page=1>; rel="first""#
        ));
        assert!(!has_next(""));
    }

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
    fn repository_must_be_owner_slash_name() {
        for bad in ["", "owner", "owner/", "/repo", "a/b/c", "a/../b", "o w/r"] {
            let options = GitHubOptions::new("http://127.0.0.1:1", "t", bad);
            assert!(
                matches!(
                    GitHubClient::new(options),
                    Err(GitHubError::InvalidRepository { .. })
                ),
                "{bad:?}"
            );
        }
        let client =
            GitHubClient::new(GitHubOptions::new("http://x/api/", "secret", "o/r.js")).unwrap();
        assert_eq!(client.pulls_url(3), "http://x/api/repos/o/r.js/pulls/3");
        assert!(!format!("{client:?}").contains("secret"));
        assert!(!format!("{:?}", GitHubOptions::new("u", "secret", "o/r")).contains("secret"));
    }
}

//! [`Client`]: GitHub's REST API for one repository, with retries.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde_json::Value;
use ureq::tls::{Certificate, RootCerts, TlsConfig};

use crate::error::SetupError;
use crate::repository::Repository;
use crate::retry::{RateHints, RetryDecision, RetryPolicy, is_rate_limited, retry_decision};
use crate::text::{error_message, shorten};

/// `GITHUB_API_URL` on github.com.
pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// The REST API version requested.
pub const API_VERSION: &str = "2022-11-28";

/// The most of one answer that is read: a server that never stops is not followed forever.
const MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

/// No answer came, after every try.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Transport {
    /// Tries made.
    pub attempts: u32,
    /// The last transport error, with its causes.
    pub message: String,
}

/// Settings for [`Client::new`].
#[derive(Clone, PartialEq, Eq)]
pub struct ClientOptions {
    /// `GITHUB_API_URL`: `https://api.github.com`, or `https://HOST/api/v3` on GitHub
    /// Enterprise Server; empty means github.com.
    pub api_url: String,
    /// The token, sent as `Authorization: Bearer` and never printed (mask it before anything
    /// could print it).
    pub token: String,
    /// `owner/name`.
    pub repository: String,
    /// An HTTP(S) proxy URL; `None`: no proxy (the process environment is not read, so the
    /// tool decides which environment counts).
    pub proxy: Option<String>,
    /// Timeout of each request, connecting and reading included.
    pub timeout: Duration,
    /// Retries.
    pub retry: RetryPolicy,
    /// `User-Agent`, e.g. `gantry-paths-filter/1.2.3` (GitHub asks every client for one).
    pub user_agent: String,
}

impl ClientOptions {
    /// Options with a 30 s timeout, no proxy and the default retries.
    pub fn new(
        api_url: impl Into<String>,
        token: impl Into<String>,
        repository: impl Into<String>,
        user_agent: impl Into<String>,
    ) -> Self {
        ClientOptions {
            api_url: api_url.into(),
            token: token.into(),
            repository: repository.into(),
            proxy: None,
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            user_agent: user_agent.into(),
        }
    }
}

impl fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientOptions")
            .field("api_url", &self.api_url)
            .field("token", &"***")
            .field("repository", &self.repository)
            .field("proxy", &self.proxy.as_deref().map(hide_credentials))
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("user_agent", &self.user_agent)
            .finish()
    }
}

/// An HTTP method the tools use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
    /// PATCH.
    Patch,
    /// PUT.
    Put,
    /// DELETE.
    Delete,
}

impl Method {
    /// The method's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

/// The last answer to a request, read whole: a success, or what was final after the retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The body.
    pub body: Vec<u8>,
    /// The `Link` header (pagination).
    pub link: Option<String>,
    /// What the answer says about rate limits.
    pub hints: RateHints,
    /// Tries made.
    pub attempts: u32,
}

impl Reply {
    /// A 2xx status.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// GitHub's message from the body (see [`error_message`]).
    pub fn message(&self) -> String {
        error_message(&self.body)
    }

    /// The answer is a rate limit (see [`is_rate_limited`]).
    pub fn is_rate_limited(&self) -> bool {
        is_rate_limited(self.status, &self.hints, &self.message())
    }

    /// The seconds GitHub asks to wait now, when it says.
    pub fn rate_limit_wait(&self) -> Option<u64> {
        self.hints.wait_secs(now())
    }

    /// The body decoded as `T`; the error says what was wrong and quotes the body's start.
    ///
    /// # Errors
    /// The body is not `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, String> {
        serde_json::from_slice(&self.body).map_err(|e| {
            format!(
                "{e}: {}",
                shorten(String::from_utf8_lossy(&self.body).trim())
            )
        })
    }
}

/// GitHub's REST API for one repository. Cloning is cheap and shares the connection pool.
#[derive(Clone)]
pub struct Client {
    agent: ureq::Agent,
    api_url: String,
    token: String,
    repository: Repository,
    retry: RetryPolicy,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("api_url", &self.api_url)
            .field("repository", &self.repository)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for `options.repository`. Certificates are checked against the system's
    /// root certificates (so a company CA installed on a runner, or `SSL_CERT_FILE`, works
    /// for GitHub Enterprise Server), or Mozilla's when the system has none (a slim
    /// container without `ca-certificates`).
    ///
    /// # Errors
    /// See [`SetupError`].
    pub fn new(options: ClientOptions) -> Result<Self, SetupError> {
        let repository = Repository::parse(&options.repository)?;
        let api_url = api_url(&options.api_url)?;
        let token = options.token.trim();
        if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(SetupError::InvalidToken);
        }
        let proxy = options
            .proxy
            .as_deref()
            .map(|url| {
                ureq::Proxy::new(url).map_err(|e| SetupError::InvalidProxy {
                    value: hide_credentials(url),
                    reason: e.to_string(),
                })
            })
            .transpose()?;
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(options.timeout))
            .http_status_as_error(false)
            .proxy(proxy)
            .user_agent(options.user_agent.as_str())
            .tls_config(TlsConfig::builder().root_certs(root_certs()).build())
            .build();
        Ok(Client {
            agent: ureq::Agent::new_with_config(config),
            api_url,
            token: token.to_owned(),
            repository,
            retry: options.retry,
        })
    }

    /// Retry as `policy` says from now on.
    #[must_use]
    pub fn with_retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The repository.
    pub fn repository(&self) -> &Repository {
        &self.repository
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// `{api}/repos/{owner}/{name}/{rest}` (`rest` already encoded; see
    /// [`crate::text::encode_path`]). Owner and name need no encoding: [`Repository::parse`]
    /// allows only characters that are safe in a path.
    pub fn repo_url(&self, rest: &str) -> String {
        format!(
            "{}/repos/{}/{}/{rest}",
            self.api_url, self.repository.owner, self.repository.name
        )
    }

    /// Send `method` to `url` (with `body` as JSON), retrying as the policy says; the last
    /// answer, whatever its status. Only a request that never got an answer is an error.
    ///
    /// # Errors
    /// [`Transport`] after the last try.
    pub fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
    ) -> Result<Reply, Transport> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self.once(method, url, body);
            let decision = match &result {
                Ok(reply) if reply.is_success() => RetryDecision::Done,
                Ok(reply) => retry_decision(
                    Some(reply.status),
                    &reply.hints,
                    &reply.message(),
                    attempt,
                    &self.retry,
                    now(),
                ),
                Err(message) => retry_decision(
                    None,
                    &RateHints::default(),
                    message,
                    attempt,
                    &self.retry,
                    now(),
                ),
            };
            match (decision, result) {
                (RetryDecision::Retry(wait), _) => std::thread::sleep(wait),
                (_, Ok(mut reply)) => {
                    reply.attempts = attempt;
                    return Ok(reply);
                }
                (_, Err(message)) => {
                    return Err(Transport {
                        attempts: attempt,
                        message,
                    });
                }
            }
        }
    }

    /// One try: the answer, or the transport error's text.
    fn once(&self, method: Method, url: &str, body: Option<&Value>) -> Result<Reply, String> {
        let authorization = format!("Bearer {}", self.token);
        let with_body = |request: ureq::RequestBuilder<ureq::typestate::WithBody>| {
            let request = request
                .header("Authorization", &authorization)
                .header("Accept", "application/vnd.github+json")
                .header("X-GitHub-Api-Version", API_VERSION);
            match body {
                Some(body) => request.send_json(body),
                None => request.send_empty(),
            }
        };
        let without_body = |request: ureq::RequestBuilder<ureq::typestate::WithoutBody>| {
            request
                .header("Authorization", &authorization)
                .header("Accept", "application/vnd.github+json")
                .header("X-GitHub-Api-Version", API_VERSION)
                .call()
        };
        let mut response = match method {
            Method::Get => without_body(self.agent.get(url)),
            Method::Delete => without_body(self.agent.delete(url)),
            Method::Post => with_body(self.agent.post(url)),
            Method::Patch => with_body(self.agent.patch(url)),
            Method::Put => with_body(self.agent.put(url)),
        }
        .map_err(|e| error_text(&e))?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.trim().to_owned())
        };
        let number = |name: &str| header(name).and_then(|v| v.parse().ok());
        let link = header("link");
        let hints = RateHints {
            retry_after: number("retry-after"),
            remaining: number("x-ratelimit-remaining"),
            reset: number("x-ratelimit-reset"),
        };
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY_BYTES)
            .read_to_vec()
            .map_err(|e| error_text(&e))?;
        Ok(Reply {
            status,
            body,
            link,
            hints,
            attempts: 1,
        })
    }
}

/// The API URL without its trailing `/`; github.com's when empty.
fn api_url(value: &str) -> Result<String, SetupError> {
    let base = value.trim().trim_end_matches('/');
    if base.is_empty() {
        return Ok(DEFAULT_API_URL.to_owned());
    }
    if !(base.starts_with("https://") || base.starts_with("http://")) {
        return Err(SetupError::InvalidApiUrl {
            value: value.to_owned(),
            reason: "it must start with https:// (or http://)".to_owned(),
        });
    }
    Ok(base.to_owned())
}

/// The system's roots when it has any, else Mozilla's.
fn root_certs() -> RootCerts {
    let found = rustls_native_certs::load_native_certs();
    if found.certs.is_empty() {
        return RootCerts::WebPki;
    }
    let certs: Vec<Certificate<'static>> = found
        .certs
        .iter()
        .map(|der| Certificate::from_der(der.as_ref()).to_owned())
        .collect();
    RootCerts::Specific(Arc::new(certs))
}

/// `scheme://user:secret@host` as `scheme://***@host`: a proxy URL may carry credentials.
fn hide_credentials(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    match url[start..].find('@') {
        Some(at) => format!("{}***{}", &url[..start], &url[start + at..]),
        None => url.to_owned(),
    }
}

/// An error with its causes (the useful part is often the innermost).
fn error_text(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        let inner_text = inner.to_string();
        if !text.contains(&inner_text) {
            text.push_str(": ");
            text.push_str(&inner_text);
        }
        source = inner.source();
    }
    text
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(api_url: &str, token: &str, repository: &str) -> ClientOptions {
        ClientOptions::new(api_url, token, repository, "gantry-test/0")
    }

    #[test]
    fn setup_checks_url_token_repository_and_proxy() {
        // (api url, token, repository, proxy, error fragment or None)
        type Case<'a> = (&'a str, &'a str, &'a str, Option<&'a str>, Option<&'a str>);
        let cases: &[Case] = &[
            ("", "t", "o/r", None, None),
            (
                "https://ghe.example.com/api/v3/",
                "ghs_x\n",
                "o/r.js",
                None,
                None,
            ),
            (
                "ftp://x",
                "t",
                "o/r",
                None,
                Some("must start with https://"),
            ),
            ("http://x", "", "o/r", None, Some("check the `token` input")),
            (
                "http://x",
                "ab cd",
                "o/r",
                None,
                Some("check the `token` input"),
            ),
            (
                "http://x",
                "abc\ndef",
                "o/r",
                None,
                Some("check the `token` input"),
            ),
            ("http://x", "t", "a/b/c", None, Some("GITHUB_REPOSITORY")),
            ("http://x", "t", "o/r", Some("http://proxy:3128"), None),
            (
                "http://x",
                "t",
                "o/r",
                Some("::not a url"),
                Some("is not a valid URL"),
            ),
        ];
        for (api, token, repository, proxy, error) in cases {
            let mut options = options(api, token, repository);
            options.proxy = proxy.map(str::to_owned);
            match (Client::new(options), error) {
                (Ok(_), None) => {}
                (Err(e), Some(fragment)) => {
                    assert!(e.to_string().contains(fragment), "{api} {token:?}: {e}");
                }
                (result, _) => panic!("{api} {token:?} {repository} {proxy:?}: {result:?}"),
            }
        }
    }

    #[test]
    fn urls_and_debug_output() {
        let client = Client::new(options("http://x/api/", "secret", "o/r.js")).unwrap();
        assert_eq!(
            client.repo_url("pulls/3"),
            "http://x/api/repos/o/r.js/pulls/3"
        );
        let github = Client::new(options("", "secret", "o/r")).unwrap();
        assert_eq!(
            github.repo_url("releases"),
            "https://api.github.com/repos/o/r/releases"
        );
        assert!(!format!("{client:?}").contains("secret"));
        let mut with_proxy = options("u", "secret", "o/r");
        with_proxy.proxy = Some("http://me:hunter2@proxy:3128".to_owned());
        let shown = format!("{with_proxy:?}");
        assert!(
            !shown.contains("secret") && !shown.contains("hunter2"),
            "{shown}"
        );
        assert!(shown.contains("http://***@proxy:3128"), "{shown}");
    }

    #[test]
    fn credentials_are_hidden() {
        let cases = [
            ("http://me:pw@proxy:3128", "http://***@proxy:3128"),
            ("proxy:3128", "proxy:3128"),
            ("http://proxy:3128", "http://proxy:3128"),
            ("socks5://u@h", "socks5://***@h"),
        ];
        for (url, shown) in cases {
            assert_eq!(hide_credentials(url), shown, "{url}");
        }
    }
}

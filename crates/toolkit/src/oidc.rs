//! GitHub OIDC tokens (feature `oidc`): a short-lived JWT that AWS STS
//! `AssumeRoleWithWebIdentity` accepts, instead of long-lived access keys in secrets.
//!
//! The runner gives a job that has `permissions: id-token: write` two variables: a URL
//! (already carrying `?api-version=...`) and a bearer token for it. We GET the URL with
//! `audience=` appended and read `{"value": "<jwt>"}`. Prefer [`Runner::id_token`](crate::Runner::id_token),
//! which masks the token before returning it.

use std::thread::sleep;
use std::time::Duration;

use crate::env::Env;

/// The token endpoint, set only when the job may request tokens.
pub const REQUEST_URL_VAR: &str = "ACTIONS_ID_TOKEN_REQUEST_URL";
/// The bearer token for [`REQUEST_URL_VAR`].
pub const REQUEST_TOKEN_VAR: &str = "ACTIONS_ID_TOKEN_REQUEST_TOKEN";

/// How much of an error response body is kept in [`OidcError::Status`].
const MAX_BODY_SHOWN: usize = 500;

/// Timeout and retry settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcOptions {
    /// Limit for one attempt, connection to last byte.
    pub timeout: Duration,
    /// Total attempts (at least 1). Retried: connection errors, timeouts, 408, 429 and 5xx.
    pub attempts: u32,
    /// Wait before the second attempt; doubles for each further one.
    pub backoff: Duration,
}

impl Default for OidcOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            attempts: 3,
            backoff: Duration::from_secs(1),
        }
    }
}

/// Why no token was obtained.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// The runner did not provide the request URL or token.
    #[error(
        "{var} is not set, so no GitHub OIDC token can be requested: add `permissions: id-token: write` \
         to the job (workflows triggered by pull requests from forks never get one), or use another way \
         to authenticate"
    )]
    MissingEnv {
        /// The missing variable.
        var: &'static str,
    },
    /// A proxy variable does not hold a usable URL.
    #[error(
        "{var} is set to '{value}', which is not a usable proxy URL: {source}; fix or unset it"
    )]
    InvalidProxy {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
        /// The underlying error.
        source: ureq::Error,
    },
    /// The request failed without an HTTP response (connection, TLS, timeout).
    #[error(
        "requesting a GitHub OIDC token from {url} failed after {attempts} attempt(s): {source}; check the runner's network access to GitHub"
    )]
    Transport {
        /// The URL requested (it holds no secret).
        url: String,
        /// Attempts made.
        attempts: u32,
        /// The last error.
        source: ureq::Error,
    },
    /// The endpoint answered with an error status.
    #[error("requesting a GitHub OIDC token failed with HTTP {status} after {attempts} attempt(s): {body}; {hint}", hint = status_hint(*.status))]
    Status {
        /// HTTP status.
        status: u16,
        /// The start of the response body.
        body: String,
        /// Attempts made.
        attempts: u32,
    },
    /// A 200 response without a token.
    #[error(
        "the GitHub OIDC token response is not usable: {reason}; expected JSON like {{\"value\": \"<token>\"}}"
    )]
    InvalidResponse {
        /// What is wrong.
        reason: String,
    },
}

fn status_hint(status: u16) -> &'static str {
    match status {
        401 | 403 => {
            "the request token was refused: check that the job has `permissions: id-token: write`"
        }
        400..=499 => "check the requested audience",
        _ => "GitHub may be having trouble; re-run the job later",
    }
}

/// Request a token with [`OidcOptions::default`]. The token is NOT masked here: use
/// [`Runner::id_token`](crate::Runner::id_token).
///
/// # Errors
/// See [`OidcError`].
pub fn request_id_token(env: &Env, audience: Option<&str>) -> Result<String, OidcError> {
    request_id_token_with(env, audience, &OidcOptions::default())
}

/// Request a token with explicit options.
///
/// # Errors
/// See [`OidcError`].
pub fn request_id_token_with(
    env: &Env,
    audience: Option<&str>,
    options: &OidcOptions,
) -> Result<String, OidcError> {
    let base = env
        .get_non_empty(REQUEST_URL_VAR)
        .ok_or(OidcError::MissingEnv {
            var: REQUEST_URL_VAR,
        })?;
    let bearer = env
        .get_non_empty(REQUEST_TOKEN_VAR)
        .ok_or(OidcError::MissingEnv {
            var: REQUEST_TOKEN_VAR,
        })?;
    let url = token_request_url(base, audience);

    let mut config = ureq::Agent::config_builder()
        .timeout_global(Some(options.timeout))
        .http_status_as_error(false)
        .user_agent(concat!("gantry-toolkit/", env!("CARGO_PKG_VERSION")));
    // The proxy comes from the injected environment, not the process's (ureq's default).
    let proxy = match proxy_for(env, &url) {
        Some((var, value)) => {
            Some(
                ureq::Proxy::new(value).map_err(|source| OidcError::InvalidProxy {
                    var,
                    value: value.to_owned(),
                    source,
                })?,
            )
        }
        None => None,
    };
    config = config.proxy(proxy);
    let agent = ureq::Agent::new_with_config(config.build());

    let attempts = options.attempts.max(1);
    let mut wait = options.backoff;
    for attempt in 1..=attempts {
        let last = attempt == attempts;
        let response = agent
            .get(&url)
            .header("Authorization", &format!("Bearer {bearer}"))
            .header("Accept", "application/json")
            .call();
        let outcome = match response {
            Ok(mut response) => {
                let status = response.status().as_u16();
                match response
                    .body_mut()
                    .with_config()
                    .limit(1024 * 1024)
                    .read_to_string()
                {
                    Ok(body) => Ok((status, body)),
                    Err(source) => Err(source),
                }
            }
            Err(source) => Err(source),
        };
        match outcome {
            Ok((200, body)) => return parse_token(&body),
            Ok((status, body)) if last || !is_retryable(status) => {
                return Err(OidcError::Status {
                    status,
                    body: shorten(&body),
                    attempts: attempt,
                });
            }
            Err(source) if last => {
                return Err(OidcError::Transport {
                    url,
                    attempts: attempt,
                    source,
                });
            }
            Ok(_) | Err(_) => {
                sleep(wait);
                wait = wait.saturating_mul(2);
            }
        }
    }
    // `attempts >= 1` and the last attempt always returns.
    Err(OidcError::InvalidResponse {
        reason: "no attempt was made".to_owned(),
    })
}

fn is_retryable(status: u16) -> bool {
    matches!(status, 408 | 429 | 500..=599)
}

fn parse_token(body: &str) -> Result<String, OidcError> {
    #[derive(serde::Deserialize)]
    struct TokenResponse {
        value: Option<String>,
    }
    let response: TokenResponse =
        serde_json::from_str(body).map_err(|e| OidcError::InvalidResponse {
            reason: format!("not JSON ({e})"),
        })?;
    match response.value {
        Some(value) if !value.trim().is_empty() => Ok(value.trim().to_owned()),
        _ => Err(OidcError::InvalidResponse {
            reason: "no `value` field, or an empty one".to_owned(),
        }),
    }
}

fn shorten(body: &str) -> String {
    let body = body.trim();
    match body.char_indices().nth(MAX_BODY_SHOWN) {
        Some((cut, _)) => format!("{}…", &body[..cut]),
        None if body.is_empty() => "(empty body)".to_owned(),
        None => body.to_owned(),
    }
}

/// `base` with `audience=<percent-encoded>` added to its query string.
#[must_use]
pub fn token_request_url(base: &str, audience: Option<&str>) -> String {
    let Some(audience) = audience.filter(|a| !a.is_empty()) else {
        return base.to_owned();
    };
    let separator = if !base.contains('?') {
        "?"
    } else if base.ends_with(['?', '&']) {
        ""
    } else {
        "&"
    };
    format!("{base}{separator}audience={}", percent_encode(audience))
}

/// Percent-encode everything but RFC 3986 unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The proxy variable and value to use for `url`, honouring `NO_PROXY`. Loopback addresses
/// never go through a proxy (as in @actions/http-client).
fn proxy_for<'a>(env: &'a Env, url: &str) -> Option<(&'static str, &'a str)> {
    let host = url_host(url)?.to_ascii_lowercase();
    if host == "localhost" || host.starts_with("127.") || host == "::1" || host == "[::1]" {
        return None;
    }
    let no_proxy = ["NO_PROXY", "no_proxy"]
        .iter()
        .find_map(|v| env.get_non_empty(v))
        .unwrap_or_default();
    for entry in no_proxy.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let entry = entry.to_ascii_lowercase();
        if entry == "*" {
            return None;
        }
        let entry = entry.split(':').next().unwrap_or_default();
        let entry = entry.trim_start_matches('*').trim_start_matches('.');
        if !entry.is_empty() && (host == entry || host.ends_with(&format!(".{entry}"))) {
            return None;
        }
    }
    let vars: &[&'static str] = if url.starts_with("https:") {
        &["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
    } else {
        &["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
    };
    vars.iter()
        .find_map(|var| env.get_non_empty(var).map(|value| (*var, value)))
}

/// The host of an absolute URL, without userinfo or port.
fn url_host(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host_port.starts_with('[') {
        return host_port.split_once(']').map(|(h, _)| &h[1..]);
    }
    Some(host_port.split(':').next().unwrap_or(host_port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audience_is_appended_and_encoded() {
        assert_eq!(
            token_request_url("https://x/token?api-version=2.0", Some("sts.amazonaws.com")),
            "https://x/token?api-version=2.0&audience=sts.amazonaws.com"
        );
        assert_eq!(
            token_request_url("https://x/token", Some("a b&c=d/é")),
            "https://x/token?audience=a%20b%26c%3Dd%2F%C3%A9"
        );
        assert_eq!(
            token_request_url("https://x/token?", Some("a")),
            "https://x/token?audience=a"
        );
        assert_eq!(
            token_request_url("https://x/t?v=1", None),
            "https://x/t?v=1"
        );
        assert_eq!(
            token_request_url("https://x/t?v=1", Some("")),
            "https://x/t?v=1"
        );
    }

    #[test]
    fn hosts() {
        assert_eq!(
            url_host("https://u:p@Example.com:8443/a?b"),
            Some("Example.com")
        );
        assert_eq!(url_host("http://[::1]:80/"), Some("::1"));
        assert_eq!(url_host("http://127.0.0.1:5/x"), Some("127.0.0.1"));
        assert_eq!(url_host("nope"), None);
    }

    #[test]
    fn proxy_selection() {
        let env = Env::from_iter([
            ("HTTPS_PROXY", "http://proxy:3128"),
            ("NO_PROXY", "internal.example, .corp:443"),
        ]);
        assert_eq!(
            proxy_for(&env, "https://token.actions.githubusercontent.com/x"),
            Some(("HTTPS_PROXY", "http://proxy:3128"))
        );
        assert_eq!(proxy_for(&env, "https://internal.example/x"), None);
        assert_eq!(proxy_for(&env, "https://a.internal.example/x"), None);
        assert_eq!(proxy_for(&env, "https://b.corp/x"), None);
        assert_eq!(proxy_for(&env, "https://127.0.0.1:9/x"), None);
        assert_eq!(proxy_for(&env, "http://plain.example/x"), None);
        let star = env.clone().with("NO_PROXY", "*");
        assert_eq!(proxy_for(&star, "https://token.example/x"), None);
    }

    #[test]
    fn token_parsing() {
        assert_eq!(parse_token(r#"{"value":" jwt "}"#).unwrap(), "jwt");
        assert!(parse_token(r#"{"value":""}"#).is_err());
        assert!(parse_token(r#"{"count":1}"#).is_err());
        assert!(parse_token("<html>").is_err());
    }

    #[test]
    fn long_bodies_are_shortened() {
        assert_eq!(shorten(""), "(empty body)");
        assert!(shorten(&"x".repeat(2000)).chars().count() <= MAX_BODY_SHOWN + 1);
    }
}

//! [`Client`]: Argo CD's REST API (the grpc-gateway under `/api/v1`) over ureq, for the two
//! calls a follow makes.
//!
//! The client is synchronous; its [`ArgoCd`] methods run each call on tokio's blocking pool,
//! so a run that must stop (`Stop::race`) does not wait for a request to finish.
//!
//! What it gets right about Argo CD's API:
//! - `Authorization: Bearer <token>`. The token is never printed: not by `Debug`, not in an
//!   error (text a server sends back has it replaced by `***`).
//! - A body is sent as `Content-Type: application/json` exactly. Argo CD refuses any other
//!   content type for non-GET requests with 415 by default (`--api-content-types`), and
//!   `application/json; charset=utf-8`, which ureq's `send_json` sets, is another.
//! - `GET ...?refresh=normal` does not return until the controller has processed the refresh
//!   (the server waits for it), so a refresh poll can take seconds: the per-request timeout is
//!   generous, and a refresh that times out is not retried (the next poll reads the status
//!   without one).
//! - Errors come as `{"error"?, "code", "message"}` (gRPC codes mapped to HTTP statuses).
//!   Without a project, Argo CD answers 403 for an application that does not exist, so as not
//!   to reveal which exist; with one, 404.
//! - Redirects are not followed (a redirect would drop the token, and the 401 that follows would
//!   point at the wrong problem): a 3xx is an error that names where it points.
//!
//! Certificates: Mozilla's roots (webpki-roots), or instead the certificates of a PEM file
//! ([`ClientOptions::ca_file`], as `curl --cacert`), for a server whose certificate a private CA
//! signed. There is deliberately no way to skip verification (`argocd --insecure`): the token
//! can sync applications, and an unverified connection hands it to whoever sits on the path.
//! A server with a self-signed certificate is trusted by giving that certificate as the CA file
//! (its names must match the URL's host).

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};

use super::app::Application;
use super::error::{Action, AppRef, ArgoCdError, retryable_status};
use super::{ArgoCd, Refresh};

/// The most of one answer that is read (an application with thousands of resources is a few
/// megabytes).
const MAX_BODY_BYTES: u64 = 32 * 1024 * 1024;

/// `User-Agent` of gitops-update's requests.
pub const USER_AGENT: &str = concat!("gantry-gitops-update/", env!("CARGO_PKG_VERSION"));

/// How the client retries a request that got no answer, or a 5xx / 408 / 429.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included (at least 1).
    pub attempts: u32,
    /// The wait before the second try; doubled each time.
    pub base_delay: Duration,
    /// The longest single wait.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// 4 tries, 0.5 s then 1 s then 2 s apart.
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// The wait after try number `attempt` (1-based).
    fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.saturating_sub(1).min(16);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// Settings for [`Client::new`].
#[derive(Clone, PartialEq, Eq)]
pub struct ClientOptions {
    /// Argo CD's URL: `https://argocd.example.com`, with the server's `--rootpath` when it has
    /// one (`https://example.com/argocd`). A trailing `/` or `/api/v1` is dropped.
    pub server: String,
    /// An Argo CD API token (`argocd account generate-token`); a leading `Bearer ` is dropped.
    /// Mask it before anything could print it.
    pub token: String,
    /// `appNamespace`: the application's namespace, when it is not Argo CD's own (applications
    /// in any namespace).
    pub app_namespace: Option<String>,
    /// `project`: the application's project. With it, Argo CD answers 404 (not 403) for an
    /// application that does not exist or is in another project.
    pub project: Option<String>,
    /// The timeout of each request, connecting and reading included. A refresh waits for Argo
    /// CD's controller, so keep it well above a second.
    pub timeout: Duration,
    /// Retries.
    pub retry: RetryPolicy,
    /// A PEM file of the certificates to trust for the server, instead of Mozilla's roots.
    pub ca_file: Option<PathBuf>,
    /// An HTTP(S) proxy URL; `None`: no proxy (the environment is not read: the tool decides).
    pub proxy: Option<String>,
    /// `User-Agent`.
    pub user_agent: String,
}

impl ClientOptions {
    /// Options with a 30 s timeout, the default retries, no CA file and no proxy.
    pub fn new(server: impl Into<String>, token: impl Into<String>) -> Self {
        ClientOptions {
            server: server.into(),
            token: token.into(),
            app_namespace: None,
            project: None,
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            ca_file: None,
            proxy: None,
            user_agent: USER_AGENT.to_owned(),
        }
    }
}

impl fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientOptions")
            .field("server", &self.server)
            .field("token", &"***")
            .field("app_namespace", &self.app_namespace)
            .field("project", &self.project)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("ca_file", &self.ca_file)
            .field("proxy", &self.proxy.as_deref().map(hide_credentials))
            .field("user_agent", &self.user_agent)
            .finish()
    }
}

/// Argo CD's application API. Cloning is cheap and shares the connection pool.
#[derive(Clone)]
pub struct Client {
    agent: ureq::Agent,
    /// Scheme, host and root path, no trailing `/`.
    server: String,
    token: String,
    app_namespace: Option<String>,
    project: Option<String>,
    retry: RetryPolicy,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("server", &self.server)
            .field("app_namespace", &self.app_namespace)
            .field("project", &self.project)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// One answer, read whole.
struct Answer {
    status: u16,
    body: Vec<u8>,
    location: Option<String>,
    attempts: u32,
}

/// One try that got no answer.
struct NoAnswer {
    message: String,
    timed_out: bool,
}

impl Client {
    /// A client for `options.server`.
    ///
    /// # Errors
    /// [`ArgoCdError::Setup`]: the URL is not an http(s) URL, the token is empty or has spaces,
    /// the CA file cannot be read or holds no certificate, or the proxy URL is invalid.
    pub fn new(options: ClientOptions) -> Result<Self, ArgoCdError> {
        let server = server_url(&options.server)?;
        let token = token(&options.token)?;
        let proxy = options
            .proxy
            .as_deref()
            .map(|url| {
                ureq::Proxy::new(url).map_err(|e| ArgoCdError::Setup {
                    setting: format!("the proxy URL {}", hide_credentials(url)),
                    reason: e.to_string(),
                })
            })
            .transpose()?;
        let tls = match &options.ca_file {
            None => TlsConfig::builder().build(),
            Some(path) => TlsConfig::builder()
                .root_certs(RootCerts::new_with_certs(&certificates(path)?))
                .build(),
        };
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(options.timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .proxy(proxy)
            .user_agent(options.user_agent.as_str())
            .tls_config(tls)
            .build();
        let optional = |value: Option<String>| value.filter(|v| !v.trim().is_empty());
        Ok(Client {
            agent: ureq::Agent::new_with_config(config),
            server,
            token,
            app_namespace: optional(options.app_namespace),
            project: optional(options.project),
            retry: options.retry,
        })
    }

    /// The server's URL, as requests use it (no trailing `/`).
    pub fn server(&self) -> &str {
        &self.server
    }

    /// `GET /api/v1/applications/{name}`, with `refresh` when given; blocks.
    ///
    /// # Errors
    /// See [`ArgoCdError`]; no answer and 5xx are retried first as the policy says.
    pub fn get_application(
        &self,
        name: &str,
        refresh: Option<Refresh>,
    ) -> Result<Application, ArgoCdError> {
        let app = self.app_ref(name)?;
        let mut query = Vec::new();
        if let Some(refresh) = refresh {
            query.push(("refresh", refresh.as_str()));
        }
        let url = self.url(name, "", &query);
        // A refresh that timed out waited for the controller: the next poll asks without one.
        let answer = self.send(Action::Read, &app, &url, None, refresh.is_none())?;
        if !(200..300).contains(&answer.status) {
            return Err(self.failure(Action::Read, app, &answer));
        }
        let decoded: Application =
            serde_json::from_slice(&answer.body).map_err(|e| ArgoCdError::Decode {
                action: Action::Read,
                app: app.clone(),
                message: self.redact(&format!(
                    "{e} in {} (check the Argo CD URL)",
                    quote(&answer.body)
                )),
            })?;
        if decoded.metadata.name != name {
            return Err(ArgoCdError::Decode {
                action: Action::Read,
                app,
                message: format!(
                    "it names application '{}' (check the Argo CD URL)",
                    decoded.metadata.name
                ),
            });
        }
        Ok(decoded)
    }

    /// `POST /api/v1/applications/{name}/sync` to `revision` (`None`: the application's target
    /// revision), without pruning; blocks. Argo CD answers once the operation is recorded; the
    /// controller runs it afterwards.
    ///
    /// # Errors
    /// See [`ArgoCdError`]; [`ArgoCdError::is_operation_in_progress`] when an operation is
    /// already running on the application.
    pub fn request_sync(&self, name: &str, revision: Option<&str>) -> Result<(), ArgoCdError> {
        let app = self.app_ref(name)?;
        let mut body = json!({ "name": name, "prune": false, "dryRun": false });
        if let Some(revision) = revision.filter(|r| !r.is_empty()) {
            body["revision"] = json!(revision);
        }
        if let Some(ns) = &self.app_namespace {
            body["appNamespace"] = json!(ns);
        }
        if let Some(project) = &self.project {
            body["project"] = json!(project);
        }
        let url = self.url(name, "/sync", &[]);
        let answer = self.send(Action::Sync, &app, &url, Some(&body), true)?;
        if (200..300).contains(&answer.status) {
            Ok(())
        } else {
            Err(self.failure(Action::Sync, app, &answer))
        }
    }

    fn app_ref(&self, name: &str) -> Result<AppRef, ArgoCdError> {
        let valid = !name.is_empty()
            && name.len() <= 253
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
        if !valid {
            return Err(ArgoCdError::Setup {
                setting: format!("the application name '{name}'"),
                reason: "an Argo CD application name has letters, digits, '-' and '.' only"
                    .to_owned(),
            });
        }
        Ok(AppRef {
            name: name.to_owned(),
            namespace: self.app_namespace.clone(),
            project: self.project.clone(),
        })
    }

    fn url(&self, name: &str, suffix: &str, extra: &[(&str, &str)]) -> String {
        let mut url = format!(
            "{}/api/v1/applications/{}{suffix}",
            self.server,
            encode(name)
        );
        let mut query: Vec<(&str, &str)> = extra.to_vec();
        if suffix.is_empty() {
            if let Some(ns) = &self.app_namespace {
                query.push(("appNamespace", ns));
            }
            if let Some(project) = &self.project {
                query.push(("project", project));
            }
        }
        for (i, (key, value)) in query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(key);
            url.push('=');
            url.push_str(&encode(value));
        }
        url
    }

    /// Sends, retrying as the policy says; the last answer, whatever its status.
    fn send(
        &self,
        action: Action,
        app: &AppRef,
        url: &str,
        body: Option<&Value>,
        retry_timeouts: bool,
    ) -> Result<Answer, ArgoCdError> {
        let attempts = self.retry.attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.once(url, body) {
                Ok(answer) if retryable_status(answer.status) && attempt < attempts => {}
                Ok(mut answer) => {
                    answer.attempts = attempt;
                    return Ok(answer);
                }
                Err(no) if attempt < attempts && (retry_timeouts || !no.timed_out) => {}
                Err(no) => {
                    return Err(ArgoCdError::Transport {
                        action,
                        app: app.clone(),
                        server: self.server.clone(),
                        message: self.redact(&no.message),
                        attempts: attempt,
                        timed_out: no.timed_out,
                    });
                }
            }
            std::thread::sleep(self.retry.delay(attempt));
        }
    }

    fn once(&self, url: &str, body: Option<&Value>) -> Result<Answer, NoAnswer> {
        let authorization = format!("Bearer {}", self.token);
        let sent = match body {
            None => self
                .agent
                .get(url)
                .header("Authorization", &authorization)
                .header("Accept", "application/json")
                .call(),
            Some(body) => self
                .agent
                .post(url)
                .header("Authorization", &authorization)
                .header("Accept", "application/json")
                // Exactly this: Argo CD refuses `application/json; charset=utf-8` (415).
                .content_type("application/json")
                .send(body.to_string()),
        };
        let mut response = sent.map_err(|e| no_answer(&e))?;
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY_BYTES)
            .read_to_vec()
            .map_err(|e| no_answer(&e))?;
        Ok(Answer {
            status,
            body,
            location,
            attempts: 1,
        })
    }

    /// The error for an answer that is not a success.
    fn failure(&self, action: Action, app: AppRef, answer: &Answer) -> ArgoCdError {
        let (message, argocd_answer) = error_message(answer.status, &answer.body);
        let message = self.redact(&message);
        match answer.status {
            401 => ArgoCdError::Unauthorized {
                action,
                app,
                message,
            },
            403 => ArgoCdError::Forbidden {
                action,
                app,
                message,
            },
            404 => ArgoCdError::NotFound {
                action,
                app,
                message,
                argocd_answer,
            },
            400 | 409 | 412 => ArgoCdError::Rejected {
                action,
                app,
                status: answer.status,
                message,
            },
            status @ 300..=399 => ArgoCdError::Status {
                action,
                app,
                status,
                message: match &answer.location {
                    Some(to) => self.redact(&format!(
                        "the Argo CD URL redirects to {to}: give the URL it redirects to"
                    )),
                    None => message,
                },
                attempts: answer.attempts,
            },
            status => ArgoCdError::Status {
                action,
                app,
                status,
                message,
                attempts: answer.attempts,
            },
        }
    }

    /// `text` without the token.
    fn redact(&self, text: &str) -> String {
        text.replace(&self.token, "***")
    }
}

impl ArgoCd for Client {
    async fn application(
        &self,
        name: &str,
        refresh: Option<Refresh>,
    ) -> Result<Application, ArgoCdError> {
        let (client, owned) = (self.clone(), name.to_owned());
        blocking(self, name, Action::Read, move || {
            client.get_application(&owned, refresh)
        })
        .await
    }

    async fn sync(&self, name: &str, revision: Option<&str>) -> Result<(), ArgoCdError> {
        let (client, owned) = (self.clone(), name.to_owned());
        let revision = revision.map(str::to_owned);
        blocking(self, name, Action::Sync, move || {
            client.request_sync(&owned, revision.as_deref())
        })
        .await
    }
}

/// Runs `call` on tokio's blocking pool.
async fn blocking<T: Send + 'static>(
    client: &Client,
    name: &str,
    action: Action,
    call: impl FnOnce() -> Result<T, ArgoCdError> + Send + 'static,
) -> Result<T, ArgoCdError> {
    tokio::task::spawn_blocking(call).await.unwrap_or_else(|e| {
        Err(ArgoCdError::Transport {
            action,
            app: AppRef {
                name: name.to_owned(),
                namespace: client.app_namespace.clone(),
                project: client.project.clone(),
            },
            server: client.server.clone(),
            message: format!("the request's thread ended: {e}"),
            attempts: 1,
            timed_out: false,
        })
    })
}

/// The server URL as requests use it.
fn server_url(value: &str) -> Result<String, ArgoCdError> {
    let invalid = |reason: &str| ArgoCdError::Setup {
        setting: format!("the Argo CD URL '{}'", hide_credentials(value.trim())),
        reason: reason.to_owned(),
    };
    let url = value.trim();
    let (scheme, rest) = if let Some(rest) = url.strip_prefix("https://") {
        ("https://", rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        ("http://", rest)
    } else {
        return Err(invalid(
            "it must start with https:// (or http://), as https://argocd.example.com",
        ));
    };
    let mut rest = rest.trim_end_matches('/');
    if let Some(base) = rest.strip_suffix("/api/v1") {
        rest = base.trim_end_matches('/');
    }
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.is_empty() || rest.contains(char::is_whitespace) {
        return Err(invalid("it needs a host, as https://argocd.example.com"));
    }
    if authority.contains('@') {
        return Err(invalid(
            "it holds credentials: give the URL without them, and the token as the token",
        ));
    }
    if rest.contains(['?', '#']) {
        return Err(invalid("it must not have a query or fragment"));
    }
    Ok(format!("{scheme}{rest}"))
}

/// The token as sent.
fn token(value: &str) -> Result<String, ArgoCdError> {
    let mut token = value.trim();
    if token.len() > 7 && token[..7].eq_ignore_ascii_case("bearer ") {
        token = token[7..].trim_start();
    }
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ArgoCdError::Setup {
            setting: "the Argo CD token".to_owned(),
            reason: "it must be a non-empty API token without spaces or line breaks".to_owned(),
        });
    }
    Ok(token.to_owned())
}

/// The certificates of a PEM file.
fn certificates(path: &std::path::Path) -> Result<Vec<Certificate<'static>>, ArgoCdError> {
    let setting = || format!("the CA file {}", path.display());
    let pem = std::fs::read(path).map_err(|e| ArgoCdError::Setup {
        setting: setting(),
        reason: format!("cannot read it: {e}"),
    })?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(PemItem::Certificate(cert)) => certs.push(cert),
            Ok(_) => {}
            Err(e) => {
                return Err(ArgoCdError::Setup {
                    setting: setting(),
                    reason: format!("it is not a valid PEM file: {e}"),
                });
            }
        }
    }
    if certs.is_empty() {
        return Err(ArgoCdError::Setup {
            setting: setting(),
            reason: "it holds no certificate (-----BEGIN CERTIFICATE-----)".to_owned(),
        });
    }
    Ok(certs)
}

/// Argo CD's message (`message`, else `error`) and whether the body was Argo CD's error JSON;
/// else the start of the body, else the status.
fn error_message(status: u16, body: &[u8]) -> (String, bool) {
    if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) {
        let text = |key: &str| {
            map.get(key)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        if let Some(message) = text("message").or_else(|| text("error")) {
            return (message, map.contains_key("code"));
        }
    }
    let text = String::from_utf8_lossy(body);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        (format!("HTTP {status} with no body"), false)
    } else {
        (shorten(&text, 200), false)
    }
}

/// The start of a body, for a message.
fn quote(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        "an empty body".to_owned()
    } else {
        format!("'{}'", shorten(&text, 120))
    }
}

fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// A ureq error with its causes, and whether it was a timeout.
fn no_answer(error: &ureq::Error) -> NoAnswer {
    let timed_out = match error {
        ureq::Error::Timeout(_) => true,
        ureq::Error::Io(e) => e.kind() == std::io::ErrorKind::TimedOut,
        _ => false,
    };
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        let inner_text = inner.to_string();
        if !message.contains(&inner_text) {
            message.push_str(": ");
            message.push_str(&inner_text);
        }
        source = inner.source();
    }
    NoAnswer { message, timed_out }
}

/// Percent-encodes all but the unreserved characters (RFC 3986).
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `scheme://user:secret@host` as `scheme://***@host`.
fn hide_credentials(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let authority_end = url[start..].find('/').map_or(url.len(), |i| start + i);
    match url[start..authority_end].rfind('@') {
        Some(at) => format!("{}***{}", &url[..start], &url[start + at..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;

//! Delivering a call: the one effect, an HTTP POST ([`Deliver`], [`UreqDeliver`] over ureq),
//! the signature of a body ([`sign`]), a gate's no ([`No`]) and the tries of a notification.

use std::fmt;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::payload::cut;
use super::{Hook, HookUrl, Kind, NOTIFY_TRIES, Secret};
use crate::duration::human;

/// How much of a hook's answer the log shows.
const MAX_ANSWER_CHARS: usize = 200;

/// A hook's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// The start of the body, on one line.
    pub body: String,
}

impl Answer {
    pub fn is_yes(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Why a call got no answer: in words of ours, never with the URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoAnswer {
    /// Nothing within the hook's timeout.
    Timeout(Duration),
    /// The host name did not resolve.
    HostNotFound,
    /// No connection (refused, reset, unreachable): the kind of I/O error.
    Connection(String),
    /// TLS failed.
    Tls,
    /// Anything else the HTTP client reports.
    Other,
}

impl fmt::Display for NoAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoAnswer::Timeout(t) => write!(f, "did not answer within {}", human(*t)),
            NoAnswer::HostNotFound => {
                f.write_str("could not be reached: its host name does not resolve")
            }
            NoAnswer::Connection(kind) => write!(f, "could not be reached ({kind})"),
            NoAnswer::Tls => f.write_str("could not be reached: the TLS handshake failed"),
            NoAnswer::Other => f.write_str("could not be called: the HTTP request failed"),
        }
    }
}

/// The one effect: an HTTP POST. Blocking; [`Webhooks`](super::Webhooks) runs it on a blocking
/// thread.
pub trait Deliver: Send + Sync {
    /// POSTs `body` with `headers` to `url`, waiting at most `timeout`.
    fn post(
        &self,
        url: &HookUrl,
        headers: &[(&'static str, String)],
        body: &[u8],
        timeout: Duration,
    ) -> Result<Answer, NoAnswer>;
}

/// [`Deliver`] with ureq (the client of the probes): no redirects (a hook that redirects
/// answers 3xx, a no), proxies from the environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct UreqDeliver;

impl Deliver for UreqDeliver {
    fn post(
        &self,
        url: &HookUrl,
        headers: &[(&'static str, String)],
        body: &[u8],
        timeout: Duration,
    ) -> Result<Answer, NoAnswer> {
        let agent = crate::sources::http::agent(timeout);
        let mut request = agent.post(url.expose());
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        match request.send(body) {
            Ok(mut response) => {
                let status = response.status().as_u16();
                let text = response
                    .body_mut()
                    .with_config()
                    .limit(64 * 1024)
                    .read_to_string()
                    .unwrap_or_default();
                let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
                Ok(Answer {
                    status,
                    body: cut(&one_line, MAX_ANSWER_CHARS),
                })
            }
            Err(e) => Err(match e {
                ureq::Error::Timeout(_) => NoAnswer::Timeout(timeout),
                ureq::Error::HostNotFound => NoAnswer::HostNotFound,
                ureq::Error::ConnectionFailed => NoAnswer::Connection("connection failed".into()),
                ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
                    NoAnswer::Timeout(timeout)
                }
                ureq::Error::Io(io) => NoAnswer::Connection(io.kind().to_string()),
                ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::TlsRequired => {
                    NoAnswer::Tls
                }
                _ => NoAnswer::Other,
            }),
        }
    }
}

/// `sha256=<hex>`: the HMAC-SHA256 of `body` with `secret`, as GitHub signs its webhooks.
pub fn sign(secret: &Secret, body: &[u8]) -> String {
    // An HMAC takes a key of any length: `new_from_slice` cannot fail for it.
    match Hmac::<Sha256>::new_from_slice(secret.0.as_bytes()) {
        Ok(mut mac) => {
            mac.update(body);
            format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
        }
        Err(_) => String::new(),
    }
}

/// A gate hook that said no.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct No {
    pub name: String,
    pub kind: Kind,
    /// Its answer, or why there was none.
    pub answer: Result<Answer, NoAnswer>,
}

impl fmt::Display for No {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} hook '{}' ", self.kind.as_str(), self.name)?;
        match &self.answer {
            Ok(a) if a.body.is_empty() => write!(f, "answered HTTP {}", a.status),
            Ok(a) => write!(f, "answered HTTP {} ({})", a.status, a.body),
            Err(e) => write!(f, "{e}"),
        }
    }
}

/// How one notification went: `Ok` a line for the log, `Err` a warning.
pub type Notified = Result<String, String>;

/// One notification, tried until it is delivered, [`NOTIFY_TRIES`] are spent, or `deadline`.
pub(super) fn send_with_tries(
    deliver: &dyn Deliver,
    hook: &Hook,
    headers: &[(&'static str, String)],
    body: &[u8],
    deadline: Instant,
    event: &str,
) -> Notified {
    let mut wait = Duration::from_secs(1);
    let mut last = String::new();
    for attempt in 1..=NOTIFY_TRIES {
        let left = deadline.saturating_duration_since(Instant::now());
        if left < Duration::from_millis(200) {
            break;
        }
        let answer = deliver.post(&hook.url, headers, body, hook.timeout.min(left));
        let again = match &answer {
            Ok(a) if a.is_yes() => {
                return Ok(format!(
                    "notified {} hook '{}' of the {event} (HTTP {})",
                    hook.kind.as_str(),
                    hook.name,
                    a.status
                ));
            }
            Ok(a) => a.status >= 500 || a.status == 429,
            Err(_) => true,
        };
        last = No {
            name: hook.name.clone(),
            kind: hook.kind,
            answer,
        }
        .to_string();
        if !again {
            break;
        }
        if attempt < NOTIFY_TRIES {
            std::thread::sleep(wait.min(deadline.saturating_duration_since(Instant::now())));
            wait *= 2;
        }
    }
    if last.is_empty() {
        last = format!(
            "{} hook '{}' was not called: no time was left",
            hook.kind.as_str(),
            hook.name
        );
    }
    Err(format!(
        "{last}: the {event} notification was not delivered (the outcome stands); check the hook's URL and that it answers 2xx"
    ))
}

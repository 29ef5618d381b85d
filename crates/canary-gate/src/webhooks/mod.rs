//! Webhooks at the points Flagger has them: a check before the rollout, one at every look, a
//! gate before the promotion, and notifications when the run ends.
//!
//! | type | called | a "no" (non-2xx, timeout, no connection) |
//! |---|---|---|
//! | `pre-rollout` | once, before the run changes anything (not on a re-run that continues a rollout) | stops the run with an error; nothing in AWS has changed |
//! | `rollout` | at the start of every look, before its evidence window | rolls back, as a failing critical metric does |
//! | `confirm-promotion` | once the analysis would promote, then every `interval` | holds the weights and asks again; the evidence is still judged; the deadline rolls back |
//! | `promotion`, `rollback`, `failure` | when the run ends that way | a warning; tried 3 times, never changes the outcome |
//! | `post-rollout` | when the run ends, whichever way | a warning, as above |
//!
//! [`due`] and [`on_no`] are that table as pure functions; [`Webhooks`] calls the hooks through
//! the narrow [`Deliver`] trait ([`UreqDeliver`] over HTTP).
//!
//! What a hook receives is [`body`]: the documented JSON (`format: json`), a Slack message
//! (`slack`: `text` and Block Kit `blocks`) or a Microsoft Teams message (`teams`: an Adaptive
//! Card in a `message` attachment). With `webhook-secret`, every body is signed as GitHub signs
//! its webhooks: `X-Gantry-Signature-256: sha256=<hex HMAC-SHA256 of the body>` ([`sign`]).
//!
//! Secrets: a hook's URL may be a credential (Slack's and Teams' incoming-webhook URLs are), so a
//! hook is named by its `name` everywhere, a URL is never printed (its [`Debug`] shows the scheme
//! and host only), [`secret_parts`] lists what the run masks before anything can print it, and
//! an error of the HTTP client is described in words of ours, never with the URL in it.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::Value;

use crate::duration::{human, parse_duration};
use crate::judge::Decision;

mod deliver;
mod payload;

pub use deliver::{Answer, Deliver, No, NoAnswer, Notified, UreqDeliver, sign};
pub use payload::{body, json_payload, slack_payload, teams_payload};

use deliver::send_with_tries;

/// The header that carries the body's signature.
pub const SIGNATURE_HEADER: &str = "X-Gantry-Signature-256";
/// The header that names the event (`pre-rollout`, `rollout`, … `promotion`).
pub const EVENT_HEADER: &str = "X-Gantry-Event";
/// The header that carries the hook's name.
pub const HOOK_HEADER: &str = "X-Gantry-Hook";
/// The version of the JSON payload (its `version` field).
pub const PAYLOAD_VERSION: u32 = 1;

/// How long a hook may take to answer when it sets no `timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest `timeout` of a hook.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(300);
/// How many times a notification is sent before its failure is a warning.
pub const NOTIFY_TRIES: u32 = 3;
/// The shortest secret: an HMAC key of a few characters can be guessed.
pub const MIN_SECRET_LEN: usize = 16;
/// Paths and queries of at least this many characters are masked (shorter ones hold no secret,
/// and masking `/` would blank the whole log).
const MIN_MASKED_PART: usize = 8;

/// What a hook is for: when it is called and what its answer does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    PreRollout,
    Rollout,
    ConfirmPromotion,
    PostRollout,
    Promotion,
    Rollback,
    Failure,
}

impl Kind {
    /// Every type, as the `type` field spells it.
    pub const ALL: [(&'static str, Kind); 7] = [
        ("pre-rollout", Kind::PreRollout),
        ("rollout", Kind::Rollout),
        ("confirm-promotion", Kind::ConfirmPromotion),
        ("post-rollout", Kind::PostRollout),
        ("promotion", Kind::Promotion),
        ("rollback", Kind::Rollback),
        ("failure", Kind::Failure),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::PreRollout => "pre-rollout",
            Kind::Rollout => "rollout",
            Kind::ConfirmPromotion => "confirm-promotion",
            Kind::PostRollout => "post-rollout",
            Kind::Promotion => "promotion",
            Kind::Rollback => "rollback",
            Kind::Failure => "failure",
        }
    }

    /// A gate: its answer decides something (the others are notifications).
    pub fn is_gate(self) -> bool {
        matches!(
            self,
            Kind::PreRollout | Kind::Rollout | Kind::ConfirmPromotion
        )
    }
}

/// How the body is shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The documented JSON payload.
    Json,
    /// A Slack incoming-webhook message.
    Slack,
    /// A Microsoft Teams incoming-webhook (or Workflows) message with an Adaptive Card.
    Teams,
}

impl Format {
    pub const ALL: [(&'static str, Format); 3] = [
        ("json", Format::Json),
        ("slack", Format::Slack),
        ("teams", Format::Teams),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Slack => "slack",
            Format::Teams => "teams",
        }
    }
}

/// A hook's URL. Its path and query may be the credential, so it is never printed: [`Debug`]
/// shows `scheme://host/…`.
#[derive(Clone, PartialEq, Eq)]
pub struct HookUrl(String);

impl HookUrl {
    /// `Some` for an `http://` or `https://` URL with a host and no whitespace.
    pub fn parse(raw: &str) -> Option<HookUrl> {
        let raw = raw.trim();
        let rest = raw
            .strip_prefix("https://")
            .or_else(|| raw.strip_prefix("http://"))?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host = authority.rsplit('@').next().unwrap_or_default();
        let ok = !host.is_empty()
            && !host.starts_with(':')
            && !raw.contains(|c: char| c.is_whitespace() || c.is_control());
        ok.then(|| HookUrl(raw.to_owned()))
    }

    /// The whole URL, for the HTTP client only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `scheme://host[:port]`, which is safe to print.
    pub fn origin(&self) -> String {
        let (scheme, rest) = self.0.split_once("://").unwrap_or(("http", &self.0));
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host = authority.rsplit('@').next().unwrap_or_default();
        format!("{scheme}://{host}")
    }
}

impl fmt::Debug for HookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HookUrl({}/…)", self.origin())
    }
}

/// `webhook-secret`: the HMAC key. [`Debug`] never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// `Some` for a key of at least [`MIN_SECRET_LEN`] characters without line breaks.
    pub fn parse(raw: &str) -> Option<Secret> {
        let raw = raw.trim();
        (raw.chars().count() >= MIN_SECRET_LEN && !raw.contains(|c: char| c.is_control()))
            .then(|| Secret(raw.to_owned()))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// One hook of the `webhooks` input.
#[derive(Debug, Clone, PartialEq)]
pub struct Hook {
    /// How the log, the errors and the `X-Gantry-Hook` header name it.
    pub name: String,
    pub kind: Kind,
    pub url: HookUrl,
    /// How long one call may take.
    pub timeout: Duration,
    pub format: Format,
    /// Passed through in the JSON payload's `metadata`, and as fields of a chat message.
    pub metadata: IndexMap<String, Value>,
}

/// A `webhooks` input that does not hold. Messages never show a URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error(
        "not a valid YAML list of hooks ({0}); each hook is a mapping with name, type, url and optionally timeout, format, metadata"
    )]
    Syntax(String),
    #[error("hook #{index}{name}: {message}", name = .name.as_deref().map(|n| format!(" '{n}'")).unwrap_or_default())]
    Field {
        /// 1-based position in the list.
        index: usize,
        name: Option<String>,
        message: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHook {
    name: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    url: Option<String>,
    timeout: Option<String>,
    format: Option<String>,
    metadata: Option<IndexMap<String, Value>>,
}

fn one_of<T>(choices: &[(&str, T)]) -> String {
    choices
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses and checks the `webhooks` input: a YAML list of hooks.
pub fn parse(yaml: &str) -> Result<Vec<Hook>, WebhookError> {
    let raw: Vec<RawHook> = serde_saphyr::from_str(yaml)
        .map_err(|e| WebhookError::Syntax(scrub_urls(&e.to_string())))?;
    let mut hooks: Vec<Hook> = Vec::new();
    for (i, h) in raw.into_iter().enumerate() {
        let index = i + 1;
        let err = |name: Option<&str>, message: String| WebhookError::Field {
            index,
            name: name.map(str::to_owned),
            message,
        };
        let name = h.name.as_deref().map(str::trim).unwrap_or_default();
        let name_ok = !name.is_empty()
            && name.chars().count() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.'));
        if !name_ok {
            return Err(err(
                None,
                format!(
                    "'name' is '{name}': expected a name of 1 to 64 letters, digits, spaces, '-', '_' and '.' (the log names hooks by it, never by their URL)"
                ),
            ));
        }
        if hooks.iter().any(|other| other.name == name) {
            return Err(err(
                Some(name),
                "another hook has the same name: give each hook its own".into(),
            ));
        }
        let kind_raw = h.kind.as_deref().map(str::trim).unwrap_or_default();
        let kind = Kind::ALL
            .iter()
            .find(|(n, _)| *n == kind_raw)
            .map(|(_, k)| *k)
            .ok_or_else(|| {
                err(
                    Some(name),
                    format!(
                        "'type' is '{kind_raw}': expected one of {}",
                        one_of(&Kind::ALL)
                    ),
                )
            })?;
        let url = h
            .url
            .as_deref()
            .and_then(HookUrl::parse)
            .ok_or_else(|| {
                err(
                    Some(name),
                    format!(
                        "'url' is {}: expected an http:// or https:// URL with a host (the value is not shown: it may be a secret; pass it as ${{{{ secrets.NAME }}}})",
                        if h.url.as_deref().is_none_or(|u| u.trim().is_empty()) {
                            "missing"
                        } else {
                            "not valid"
                        }
                    ),
                )
            })?;
        let timeout = match h.timeout.as_deref().map(str::trim) {
            None | Some("") => DEFAULT_TIMEOUT,
            Some(t) => parse_duration(t)
                .filter(|d| *d >= Duration::from_secs(1) && *d <= MAX_TIMEOUT)
                .ok_or_else(|| {
                    err(
                        Some(name),
                        format!(
                            "'timeout' is '{t}': expected a duration from 1s to {}, such as 10s or 2m",
                            human(MAX_TIMEOUT)
                        ),
                    )
                })?,
        };
        let format_raw = h.format.as_deref().map(str::trim).unwrap_or("json");
        let format = Format::ALL
            .iter()
            .find(|(n, _)| *n == format_raw)
            .map(|(_, f)| *f)
            .ok_or_else(|| {
                err(
                    Some(name),
                    format!(
                        "'format' is '{format_raw}': expected one of {}",
                        one_of(&Format::ALL)
                    ),
                )
            })?;
        if kind.is_gate() && format != Format::Json {
            return Err(err(
                Some(name),
                format!(
                    "'format' is '{}' but type '{}' is a gate, whose answer decides: a chat webhook answers yes to anything. Use format json, or a promotion, rollback, failure or post-rollout hook for chat",
                    format.as_str(),
                    kind.as_str()
                ),
            ));
        }
        hooks.push(Hook {
            name: name.to_owned(),
            kind,
            url,
            timeout,
            format,
            metadata: h.metadata.unwrap_or_default(),
        });
    }
    Ok(hooks)
}

/// The URL-like tokens of `text` (`http://` or `https://` up to a space, a quote or a YAML
/// flow delimiter).
fn url_tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = ["https://", "http://"]
        .iter()
        .filter_map(|p| rest.find(p))
        .min()
    {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| {
                c.is_whitespace()
                    || matches!(
                        c,
                        '"' | '\'' | '`' | ',' | '{' | '}' | '[' | ']' | '<' | '>'
                    )
            })
            .unwrap_or(tail.len());
        out.push(&tail[..end]);
        rest = &tail[end..];
    }
    out
}

/// `text` with every URL-like token replaced by `<url>`: a parser's message may quote one.
pub fn scrub_urls(text: &str) -> String {
    let mut out = text.to_owned();
    for token in url_tokens(text) {
        out = out.replace(token, "<url>");
    }
    out
}

/// What to mask before anything can print it, from the raw `webhooks` input (before it is even
/// parsed: a parse error could quote it): every URL-like token, its user-info, and its path and
/// query when they are at least 8 characters long.
pub fn secret_parts(raw: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for token in url_tokens(raw) {
        let mut add = |s: &str| {
            if !s.is_empty() && !out.iter().any(|o| o == s) {
                out.push(s.to_owned());
            }
        };
        add(token);
        let rest = token.split_once("://").map_or(token, |(_, r)| r);
        let (authority, path) = match rest.find(['/', '?', '#']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if let Some((userinfo, _)) = authority.rsplit_once('@') {
            add(userinfo);
        }
        if path.chars().count() >= MIN_MASKED_PART {
            add(path);
            // Without its leading `/`, as a client's message might print it.
            add(path.trim_start_matches('/'));
        }
    }
    out.retain(|s| s.chars().count() >= 4);
    out
}

/// Where the run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    /// Before the run changes anything. `continuing`: a rollout is already under way (a re-run
    /// that continues it: the canary has traffic, or ECS's deployment is in progress), and its
    /// pre-rollout checks ran when it started.
    Start { continuing: bool },
    /// A look of the analysis begins.
    Look,
    /// The analysis would promote.
    Promotion,
    /// The run ended.
    End(End),
}

/// How a run ended, for the notifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Promoted.
    Promoted,
    /// Rolled back: stable has the traffic again (or, in probe mode, the gate failed).
    RolledBack,
    /// Stopped otherwise: an error, a pre-rollout hook's no, weights held.
    Failed,
}

impl End {
    /// The event's name in payloads and `X-Gantry-Event`.
    pub fn as_str(self) -> &'static str {
        match self {
            End::Promoted => "promotion",
            End::RolledBack => "rollback",
            End::Failed => "failure",
        }
    }

    /// How a run that came to an outcome ended: `None` for a dry run (which calls no hook).
    /// `canary` is whether it ran a canary (canary mode), `failed` whether the step fails and
    /// `canary_share` the canary's final share of the traffic.
    pub fn of(
        decision: Decision,
        failed: bool,
        canary_share: u8,
        canary: bool,
        dry_run: bool,
    ) -> Option<End> {
        if dry_run {
            return None;
        }
        Some(match decision {
            Decision::Promote => End::Promoted,
            Decision::Rollback => End::RolledBack,
            // on-inconclusive: rollback put everything back on stable.
            Decision::Inconclusive if failed && canary && canary_share == 0 => End::RolledBack,
            // on-inconclusive: hold (weights left as they are), or a probe gate without enough
            // evidence.
            Decision::Inconclusive => End::Failed,
        })
    }
}

/// Whether a hook of `kind` is called at `moment`.
pub fn due(kind: Kind, moment: Moment) -> bool {
    match (kind, moment) {
        (Kind::PreRollout, Moment::Start { continuing }) => !continuing,
        (Kind::Rollout, Moment::Look) => true,
        (Kind::ConfirmPromotion, Moment::Promotion) => true,
        (Kind::PostRollout, Moment::End(_)) => true,
        (Kind::Promotion, Moment::End(End::Promoted)) => true,
        (Kind::Rollback, Moment::End(End::RolledBack)) => true,
        (Kind::Failure, Moment::End(End::Failed)) => true,
        _ => false,
    }
}

/// What a hook's no (an answer other than 2xx, no answer within its timeout, no connection)
/// does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnNo {
    /// The run stops with an error before it changed anything.
    Stop,
    /// The canary is rolled back, as on a failing critical metric.
    RollBack,
    /// The weights are held; the hook is asked again every interval until the deadline.
    Hold,
    /// A warning; the outcome stands.
    Warn,
}

pub fn on_no(kind: Kind) -> OnNo {
    match kind {
        Kind::PreRollout => OnNo::Stop,
        Kind::Rollout => OnNo::RollBack,
        Kind::ConfirmPromotion => OnNo::Hold,
        Kind::PostRollout | Kind::Promotion | Kind::Rollback | Kind::Failure => OnNo::Warn,
    }
}

/// What the run is: the same for every call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// `canary` or `probe`.
    pub mode: &'static str,
    pub cluster: Option<String>,
    pub service: Option<String>,
    pub canary_service: Option<String>,
    pub listener_arn: Option<String>,
    pub rule_arn: Option<String>,
    pub stable_target_group: Option<String>,
    pub canary_target_group: Option<String>,
    /// `owner/repo`.
    pub repository: Option<String>,
    pub sha: Option<String>,
    /// This run's page.
    pub run_url: Option<String>,
}

impl Context {
    /// What a chat message calls the thing deployed: the ECS service, else the canary target
    /// group's name, else the probe gate.
    fn subject(&self) -> String {
        match (&self.service, &self.cluster) {
            (Some(service), Some(cluster)) => format!("{service} ({cluster})"),
            (Some(service), None) => service.clone(),
            _ => match &self.canary_target_group {
                Some(tg) => tg
                    .split(":targetgroup/")
                    .nth(1)
                    .and_then(|t| t.split('/').next())
                    .unwrap_or(tg)
                    .to_owned(),
                None => format!("{} gate", self.mode),
            },
        }
    }
}

/// What happened, for one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub moment: Moment,
    /// The canary's share of the traffic, in percent (`None`: no traffic is shifted).
    pub canary_percent: Option<u8>,
    /// The latest verdict (or the outcome at the end); `None` before any.
    pub decision: Option<Decision>,
    /// Why: the latest verdict's reason, the outcome's, or the error's.
    pub reason: String,
    pub canary_task_definition: Option<String>,
    pub baseline_task_definition: Option<String>,
}

impl Event {
    /// An event at `moment` with nothing else known yet.
    pub fn at(moment: Moment) -> Event {
        Event {
            moment,
            canary_percent: None,
            decision: None,
            reason: String::new(),
            canary_task_definition: None,
            baseline_task_definition: None,
        }
    }

    /// The event's name in payloads and `X-Gantry-Event`.
    pub fn name(&self) -> &'static str {
        match self.moment {
            Moment::Start { .. } => "pre-rollout",
            Moment::Look => "rollout",
            Moment::Promotion => "confirm-promotion",
            Moment::End(end) => end.as_str(),
        }
    }

    /// Where the run is: `starting`, `progressing`, `waiting-promotion`, `succeeded`, `failed`.
    pub fn phase(&self) -> &'static str {
        match self.moment {
            Moment::Start { .. } => "starting",
            Moment::Look => "progressing",
            Moment::Promotion => "waiting-promotion",
            Moment::End(End::Promoted) => "succeeded",
            Moment::End(End::RolledBack | End::Failed) => "failed",
        }
    }
}

/// The hooks of a run and how to reach them.
#[derive(Clone)]
pub struct Webhooks {
    hooks: Vec<Hook>,
    secret: Option<Secret>,
    context: Context,
    deliver: Arc<dyn Deliver>,
}

impl fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhooks")
            .field("hooks", &self.hooks)
            .field("signed", &self.secret.is_some())
            .finish_non_exhaustive()
    }
}

impl Webhooks {
    pub fn new(
        hooks: Vec<Hook>,
        secret: Option<Secret>,
        context: Context,
        deliver: Arc<dyn Deliver>,
    ) -> Webhooks {
        Webhooks {
            hooks,
            secret,
            context,
            deliver,
        }
    }

    /// Whether any hook is called at `moment`.
    pub fn any_due(&self, moment: Moment) -> bool {
        self.hooks.iter().any(|h| due(h.kind, moment))
    }

    /// The names of the hooks called at `moment`.
    pub fn names_due(&self, moment: Moment) -> Vec<&str> {
        self.hooks
            .iter()
            .filter(|h| due(h.kind, moment))
            .map(|h| h.name.as_str())
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.hooks.is_empty()
    }

    /// The headers and body of one call.
    fn request(&self, hook: &Hook, event: &Event) -> (Vec<(&'static str, String)>, Vec<u8>) {
        let timestamp = aws_smithy_types::DateTime::from(std::time::SystemTime::now())
            .fmt(aws_smithy_types::date_time::Format::DateTime)
            .unwrap_or_default();
        let body = body(hook, &self.context, event, &timestamp);
        let mut headers = vec![
            ("Content-Type", "application/json".to_owned()),
            (EVENT_HEADER, event.name().to_owned()),
            (HOOK_HEADER, hook.name.clone()),
        ];
        if let Some(secret) = &self.secret {
            headers.push((SIGNATURE_HEADER, sign(secret, &body)));
        }
        (headers, body)
    }

    /// Calls the gate hooks due at `event.moment`, one after the other: `Ok` when every one
    /// answered 2xx, else the first no (the hooks after it are not called).
    pub async fn ask(&self, event: &Event) -> Result<(), No> {
        for hook in self
            .hooks
            .iter()
            .filter(|h| h.kind.is_gate() && due(h.kind, event.moment))
        {
            let (headers, body) = self.request(hook, event);
            let (deliver, url, timeout) = (self.deliver.clone(), hook.url.clone(), hook.timeout);
            let answer =
                tokio::task::spawn_blocking(move || deliver.post(&url, &headers, &body, timeout))
                    .await
                    .unwrap_or(Err(NoAnswer::Other));
            match answer {
                Ok(a) if a.is_yes() => {}
                answer => {
                    return Err(No {
                        name: hook.name.clone(),
                        kind: hook.kind,
                        answer,
                    });
                }
            }
        }
        Ok(())
    }

    /// Sends the notifications due at `event.moment` (an end), all at once, each tried up to
    /// [`NOTIFY_TRIES`] times (not again after a 4xx other than 429) within `budget`. Never an
    /// error: what went wrong comes back as warnings.
    pub async fn notify(&self, event: &Event, budget: Duration) -> Vec<Notified> {
        let deadline = Instant::now() + budget;
        let mut calls = Vec::new();
        for hook in self
            .hooks
            .iter()
            .filter(|h| !h.kind.is_gate() && due(h.kind, event.moment))
        {
            let (headers, body) = self.request(hook, event);
            let (deliver, hook) = (self.deliver.clone(), hook.clone());
            let name = event.name();
            calls.push(tokio::task::spawn_blocking(move || {
                send_with_tries(deliver.as_ref(), &hook, &headers, &body, deadline, name)
            }));
        }
        let mut out = Vec::new();
        for call in calls {
            out.push(
                call.await
                    .unwrap_or_else(|_| Err("a notification thread failed".to_owned())),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Mutex;

    #[test]
    fn when_each_hook_is_called() {
        use Kind::*;
        let start = Moment::Start { continuing: false };
        let rerun = Moment::Start { continuing: true };
        let promoted = Moment::End(End::Promoted);
        let rolled_back = Moment::End(End::RolledBack);
        let failed = Moment::End(End::Failed);
        // (moment, the types called then)
        let table: &[(Moment, &[Kind])] = &[
            (start, &[PreRollout]),
            (rerun, &[]),
            (Moment::Look, &[Rollout]),
            (Moment::Promotion, &[ConfirmPromotion]),
            (promoted, &[PostRollout, Promotion]),
            (rolled_back, &[PostRollout, Rollback]),
            (failed, &[PostRollout, Failure]),
        ];
        for (moment, want) in table {
            let got: Vec<Kind> = Kind::ALL
                .iter()
                .map(|(_, k)| *k)
                .filter(|k| due(*k, *moment))
                .collect();
            let mut want = want.to_vec();
            want.sort_by_key(|k| Kind::ALL.iter().position(|(_, x)| x == k));
            assert_eq!(got, want, "{moment:?}");
        }
    }

    #[test]
    fn what_a_no_does() {
        // (type, what its no does)
        let table = [
            (Kind::PreRollout, OnNo::Stop),
            (Kind::Rollout, OnNo::RollBack),
            (Kind::ConfirmPromotion, OnNo::Hold),
            (Kind::PostRollout, OnNo::Warn),
            (Kind::Promotion, OnNo::Warn),
            (Kind::Rollback, OnNo::Warn),
            (Kind::Failure, OnNo::Warn),
        ];
        for (kind, want) in table {
            assert_eq!(on_no(kind), want, "{kind:?}");
            assert_eq!(kind.is_gate(), want != OnNo::Warn, "{kind:?}");
        }
    }

    #[test]
    fn how_a_run_ended() {
        use Decision::{Inconclusive, Promote, Rollback};
        // (name, decision, failed, canary share, canary mode, dry run, end)
        type Case = (&'static str, Decision, bool, u8, bool, bool, Option<End>);
        let table: &[Case] = &[
            (
                "promoted",
                Promote,
                false,
                100,
                true,
                false,
                Some(End::Promoted),
            ),
            (
                "promoted into stable",
                Promote,
                false,
                0,
                true,
                false,
                Some(End::Promoted),
            ),
            (
                "rolled back",
                Rollback,
                true,
                0,
                true,
                false,
                Some(End::RolledBack),
            ),
            (
                "restore failed",
                Rollback,
                true,
                25,
                true,
                false,
                Some(End::RolledBack),
            ),
            (
                "inconclusive, rolled back",
                Inconclusive,
                true,
                0,
                true,
                false,
                Some(End::RolledBack),
            ),
            (
                "inconclusive, held",
                Inconclusive,
                true,
                50,
                true,
                false,
                Some(End::Failed),
            ),
            (
                "probe gate failed",
                Rollback,
                true,
                0,
                false,
                false,
                Some(End::RolledBack),
            ),
            (
                "probe gate inconclusive",
                Inconclusive,
                true,
                0,
                false,
                false,
                Some(End::Failed),
            ),
            ("dry run", Inconclusive, false, 0, true, true, None),
        ];
        for (name, decision, failed, share, canary, dry_run, want) in table {
            assert_eq!(
                End::of(*decision, *failed, *share, *canary, *dry_run),
                *want,
                "{name}"
            );
        }
    }

    #[test]
    fn signatures_are_githubs() {
        // GitHub's documented example ("Validating webhook deliveries").
        let secret = Secret("It's a Secret to Everybody".into());
        assert_eq!(
            sign(&secret, b"Hello, World!"),
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
        assert_eq!(format!("{secret:?}"), "Secret(***)");
        assert!(Secret::parse("short").is_none());
        assert!(Secret::parse("sixteen-chars-ok").is_some());
        assert!(Secret::parse("sixteen-chars\nno").is_none());
    }

    const SLACK: &str = "https://hooks.slack.com/services/T0001/B0002/XXXXsecretXXXX";

    #[test]
    fn hooks_parse_with_defaults_and_never_show_a_url() {
        let yaml = format!(
            "- {{name: load test, type: pre-rollout, url: 'http://127.0.0.1:9/start', timeout: 30s, metadata: {{cmd: hey, n: 3}}}}\n\
             - name: oncall\n  type: rollback\n  url: {SLACK}\n  format: slack\n"
        );
        let hooks = parse(&yaml).unwrap();
        assert_eq!(hooks.len(), 2);
        assert_eq!(hooks[0].kind, Kind::PreRollout);
        assert_eq!(hooks[0].timeout, Duration::from_secs(30));
        assert_eq!(hooks[0].format, Format::Json);
        assert_eq!(hooks[0].metadata["cmd"], json!("hey"));
        assert_eq!(hooks[0].metadata["n"], json!(3));
        assert_eq!(hooks[1].timeout, DEFAULT_TIMEOUT);
        assert_eq!(hooks[1].url.expose(), SLACK);
        let shown = format!("{hooks:?}");
        assert!(shown.contains("https://hooks.slack.com/…"), "{shown}");
        assert!(!shown.contains("XXXXsecretXXXX"), "{shown}");
        assert_eq!(parse("[]").unwrap(), vec![]);
    }

    #[test]
    fn bad_hooks_are_refused_by_name_without_their_url() {
        let bad_url = "https//hooks.slack.com/services/SECRETPATH";
        // (yaml, what the message says)
        let table: &[(String, &str)] = &[
            ("not: a list".into(), "not a valid YAML list of hooks"),
            (
                format!("- {{name: a, type: rollout, url: '{SLACK}', colour: red}}"),
                "unknown field",
            ),
            (
                "- {type: rollback, url: 'http://x/'}".into(),
                "hook #1: 'name' is '': expected a name of 1 to 64",
            ),
            (
                "- {name: 'a/b', type: rollback, url: 'http://x/'}".into(),
                "'name' is 'a/b'",
            ),
            (
                "- {name: a, type: rollback, url: 'http://x/'}\n- {name: a, type: promotion, url: 'http://x/'}"
                    .into(),
                "hook #2 'a': another hook has the same name",
            ),
            (
                "- {name: a, type: post, url: 'http://x/'}".into(),
                "hook #1 'a': 'type' is 'post': expected one of pre-rollout, rollout, confirm-promotion, post-rollout, promotion, rollback, failure",
            ),
            (
                format!("- {{name: a, type: rollback, url: '{bad_url}'}}"),
                "hook #1 'a': 'url' is not valid: expected an http:// or https:// URL with a host",
            ),
            (
                "- {name: a, type: rollback}".into(),
                "'url' is missing",
            ),
            (
                "- {name: a, type: rollback, url: 'http://x/', timeout: forever}".into(),
                "'timeout' is 'forever': expected a duration from 1s to 5m",
            ),
            (
                "- {name: a, type: rollback, url: 'http://x/', timeout: 10m}".into(),
                "'timeout' is '10m'",
            ),
            (
                "- {name: a, type: rollback, url: 'http://x/', format: email}".into(),
                "'format' is 'email': expected one of json, slack, teams",
            ),
            (
                format!("- {{name: approve, type: confirm-promotion, url: '{SLACK}', format: slack}}"),
                "'format' is 'slack' but type 'confirm-promotion' is a gate",
            ),
        ];
        for (yaml, says) in table {
            let e = parse(yaml).unwrap_err().to_string();
            assert!(e.contains(says), "{yaml}: wanted {says:?} in {e}");
            assert!(!e.contains("XXXXsecretXXXX"), "{e}");
            assert!(!e.contains("SECRETPATH"), "{e}");
        }
        // A parser message that quotes a URL has it replaced.
        let e = parse(&format!("- {SLACK}")).unwrap_err().to_string();
        assert!(!e.contains("XXXXsecretXXXX"), "{e}");
    }

    #[test]
    fn the_secret_parts_of_urls_are_masked() {
        let raw = format!(
            "- {{name: a, type: rollback, url: \"{SLACK}\"}}\n- {{name: b, type: rollout, url: 'http://user:pa55word@10.0.0.1:8080/x'}}\n- {{name: c, type: failure, url: https://example.com/}}"
        );
        let parts = secret_parts(&raw);
        assert_eq!(
            parts,
            vec![
                SLACK.to_owned(),
                "/services/T0001/B0002/XXXXsecretXXXX".to_owned(),
                "services/T0001/B0002/XXXXsecretXXXX".to_owned(),
                "http://user:pa55word@10.0.0.1:8080/x".to_owned(),
                "user:pa55word".to_owned(),
                "https://example.com/".to_owned(),
            ]
        );
        assert_eq!(
            HookUrl::parse("http://user:pw@10.0.0.1:8080/x?y=1")
                .unwrap()
                .origin(),
            "http://10.0.0.1:8080"
        );
        for bad in [
            "ftp://x/",
            "http://",
            "https:///x",
            "http://a b/",
            "hooks.slack.com/x",
        ] {
            assert!(HookUrl::parse(bad).is_none(), "{bad}");
        }
    }

    fn hook(format: Format, kind: Kind) -> Hook {
        Hook {
            name: "chat".into(),
            kind,
            url: HookUrl::parse(SLACK).unwrap(),
            timeout: DEFAULT_TIMEOUT,
            format,
            metadata: IndexMap::from([("team".to_owned(), json!("payments"))]),
        }
    }

    fn context() -> Context {
        Context {
            mode: "canary",
            cluster: Some("prod".into()),
            service: Some("api".into()),
            canary_service: Some("api-canary".into()),
            listener_arn: Some("arn:l".into()),
            rule_arn: Some("arn:r".into()),
            stable_target_group: Some("arn:tg-s".into()),
            canary_target_group: Some("arn:tg-c".into()),
            repository: Some("acme/shop".into()),
            sha: Some("0123456789abcdef".into()),
            run_url: Some("https://github.com/acme/shop/actions/runs/42".into()),
        }
    }

    fn rolled_back() -> Event {
        Event {
            moment: Moment::End(End::RolledBack),
            canary_percent: Some(0),
            decision: Some(Decision::Rollback),
            reason: "errors: 5 % > 1 % <bad> & worse; stable restored to 100 %".into(),
            canary_task_definition: Some("arn:aws:ecs:us-east-1:1:task-definition/api:43".into()),
            baseline_task_definition: Some("arn:aws:ecs:us-east-1:1:task-definition/api:42".into()),
        }
    }

    #[test]
    fn the_json_payload_is_as_documented() {
        let v = json_payload(
            &hook(Format::Json, Kind::Rollback),
            &context(),
            &rolled_back(),
            "2026-01-02T03:04:05Z",
        );
        assert_eq!(
            v,
            json!({
                "version": 1,
                "event": "rollback",
                "name": "chat",
                "type": "rollback",
                "phase": "failed",
                "mode": "canary",
                "target": {"cluster": "prod", "service": "api", "canary_service": "api-canary",
                           "listener_arn": "arn:l", "rule_arn": "arn:r"},
                "canary": {"target_group": "arn:tg-c",
                           "task_definition": "arn:aws:ecs:us-east-1:1:task-definition/api:43"},
                "baseline": {"target_group": "arn:tg-s",
                             "task_definition": "arn:aws:ecs:us-east-1:1:task-definition/api:42"},
                "weights": {"stable": 100, "canary": 0},
                "decision": "rollback",
                "reason": "errors: 5 % > 1 % <bad> & worse; stable restored to 100 %",
                "metadata": {"team": "payments"},
                "repository": "acme/shop",
                "sha": "0123456789abcdef",
                "run_url": "https://github.com/acme/shop/actions/runs/42",
                "timestamp": "2026-01-02T03:04:05Z"
            })
        );
        let pre = json_payload(
            &hook(Format::Json, Kind::PreRollout),
            &Context::default(),
            &Event::at(Moment::Start { continuing: false }),
            "t",
        );
        assert_eq!(pre["event"], "pre-rollout");
        assert_eq!(pre["phase"], "starting");
        assert_eq!(pre["weights"], Value::Null);
        assert_eq!(pre["decision"], Value::Null);
    }

    #[test]
    fn slack_and_teams_messages() {
        let slack = slack_payload(
            &hook(Format::Slack, Kind::Rollback),
            &context(),
            &rolled_back(),
        );
        assert_eq!(
            slack["text"],
            "Rolled back: api (prod): errors: 5 % &gt; 1 % &lt;bad&gt; &amp; worse; stable restored to 100 %"
        );
        assert_eq!(slack["blocks"][0]["type"], "header");
        assert_eq!(
            slack["blocks"][0]["text"]["text"],
            "Rolled back: api (prod)"
        );
        let fields: Vec<&str> = slack["blocks"][2]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["text"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            [
                "*Decision*\nrollback",
                "*Canary traffic*\n0 %",
                "*Canary*\napi:43",
                "*Baseline*\napi:42",
                "*Repository*\nacme/shop@0123456",
                "*team*\npayments"
            ]
        );
        assert_eq!(
            slack["blocks"][3]["elements"][0]["text"],
            "<https://github.com/acme/shop/actions/runs/42|View the run> · canary-gate hook chat"
        );

        let teams = teams_payload(
            &hook(Format::Teams, Kind::Rollback),
            &context(),
            &rolled_back(),
        );
        assert_eq!(teams["type"], "message");
        let card = &teams["attachments"][0];
        assert_eq!(
            card["contentType"],
            "application/vnd.microsoft.card.adaptive"
        );
        assert_eq!(card["content"]["type"], "AdaptiveCard");
        assert_eq!(
            card["content"]["body"][0]["text"],
            "Rolled back: api (prod)"
        );
        assert_eq!(card["content"]["body"][0]["color"], "Attention");
        assert_eq!(
            card["content"]["body"][2]["facts"][0],
            json!({"title": "Decision", "value": "rollback"})
        );
        assert_eq!(
            card["content"]["actions"][0],
            json!({"type": "Action.OpenUrl", "title": "View the run",
                   "url": "https://github.com/acme/shop/actions/runs/42"})
        );
    }

    /// (URL, headers, body) of one call.
    type Call = (String, Vec<(&'static str, String)>, Vec<u8>);

    /// A [`Deliver`] that answers from a script and records the calls.
    struct Scripted {
        answers: Mutex<Vec<Result<Answer, NoAnswer>>>,
        calls: Mutex<Vec<Call>>,
    }

    impl Deliver for Scripted {
        fn post(
            &self,
            url: &HookUrl,
            headers: &[(&'static str, String)],
            body: &[u8],
            _timeout: Duration,
        ) -> Result<Answer, NoAnswer> {
            self.calls.lock().unwrap().push((
                url.expose().to_owned(),
                headers.to_vec(),
                body.to_vec(),
            ));
            let mut answers = self.answers.lock().unwrap();
            if answers.is_empty() {
                Ok(Answer {
                    status: 200,
                    body: String::new(),
                })
            } else {
                answers.remove(0)
            }
        }
    }

    fn scripted(answers: Vec<Result<Answer, NoAnswer>>) -> Arc<Scripted> {
        Arc::new(Scripted {
            answers: Mutex::new(answers),
            calls: Mutex::new(Vec::new()),
        })
    }

    #[tokio::test]
    async fn gates_stop_at_the_first_no_and_notifications_are_tried_again() {
        let status = |s: u16| {
            Ok(Answer {
                status: s,
                body: "nope".into(),
            })
        };
        let deliver = scripted(vec![status(200), status(503)]);
        let mk = |name: &str, kind: Kind| Hook {
            name: name.into(),
            ..hook(Format::Json, kind)
        };
        let hooks = Webhooks::new(
            vec![
                mk("one", Kind::PreRollout),
                mk("two", Kind::PreRollout),
                mk("three", Kind::PreRollout),
                mk("look", Kind::Rollout),
                mk("notify", Kind::Rollback),
            ],
            Some(Secret("0123456789abcdef".into())),
            context(),
            deliver.clone(),
        );
        let no = hooks
            .ask(&Event::at(Moment::Start { continuing: false }))
            .await
            .unwrap_err();
        assert_eq!(
            no.to_string(),
            "pre-rollout hook 'two' answered HTTP 503 (nope)"
        );
        assert_eq!(
            deliver.calls.lock().unwrap().len(),
            2,
            "three is not called"
        );
        let (_, headers, body) = deliver.calls.lock().unwrap()[0].clone();
        let header = |n: &str| {
            headers
                .iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(header(EVENT_HEADER).as_deref(), Some("pre-rollout"));
        assert_eq!(header(HOOK_HEADER).as_deref(), Some("one"));
        assert_eq!(
            header(SIGNATURE_HEADER),
            Some(sign(&Secret("0123456789abcdef".into()), &body))
        );
        assert!(
            hooks
                .ask(&Event::at(Moment::Start { continuing: true }))
                .await
                .is_ok()
        );

        // 500, then no connection, then 200: delivered on the third try.
        deliver.calls.lock().unwrap().clear();
        *deliver.answers.lock().unwrap() = vec![
            status(500),
            Err(NoAnswer::Connection("connection refused".into())),
        ];
        let done = hooks.notify(&rolled_back(), Duration::from_secs(30)).await;
        assert_eq!(
            done,
            vec![Ok(
                "notified rollback hook 'notify' of the rollback (HTTP 200)".to_owned()
            )]
        );
        assert_eq!(deliver.calls.lock().unwrap().len(), 3);

        // A 404 is not tried again; it is a warning.
        deliver.calls.lock().unwrap().clear();
        *deliver.answers.lock().unwrap() = vec![status(404)];
        let done = hooks.notify(&rolled_back(), Duration::from_secs(30)).await;
        assert_eq!(
            done,
            vec![Err("rollback hook 'notify' answered HTTP 404 (nope): the rollback notification was not delivered (the outcome stands); check the hook's URL and that it answers 2xx".to_owned())]
        );
        assert_eq!(deliver.calls.lock().unwrap().len(), 1);
        // Not due: nothing sent.
        deliver.calls.lock().unwrap().clear();
        let none = hooks
            .notify(
                &Event::at(Moment::End(End::Promoted)),
                Duration::from_secs(1),
            )
            .await;
        assert!(none.is_empty());
        assert!(deliver.calls.lock().unwrap().is_empty());
    }
}

//! The policy of the sources read over HTTP, outside AWS: `prometheus`, `datadog` and `web`
//! (see the module docs of [`crate::policy`] for the fields and placeholders, and
//! [`crate::sources`] for how they are read). Validation here follows the rest of the policy:
//! every error names the field, the value and what is valid.

use std::time::Duration;

use super::validate::{check_url, timeout_of};
use super::{Kind, PolicyError, RawMetric, field};

/// What one side of a `prometheus`, `datadog` or `web` metric reads: the bad events and the
/// requests of the interval (`error-rate`), or a value and optionally the requests (`value`,
/// `latency`). Queries for `prometheus` and `datadog` (with `{{selector}}` already filled for
/// the side, other placeholders left for the look), JSON paths for `web`.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    Counts {
        errors: String,
        requests: String,
    },
    Value {
        value: String,
        requests: Option<String>,
    },
}

impl Reading {
    /// The texts with the field each came from, in the order they are read.
    pub fn parts(&self) -> Vec<(&'static str, &str)> {
        match self {
            Reading::Counts { errors, requests } => {
                vec![("errors", errors.as_str()), ("requests", requests.as_str())]
            }
            Reading::Value { value, requests } => {
                let mut out = vec![("value", value.as_str())];
                if let Some(r) = requests {
                    out.push(("requests", r.as_str()));
                }
                out
            }
        }
    }
}

/// A Prometheus-compatible query API (Prometheus, Amazon Managed Prometheus, Thanos, Mimir,
/// VictoriaMetrics): one instant query per number, at the end of each look's window.
#[derive(Debug, Clone, PartialEq)]
pub struct PrometheusSpec {
    /// The base URL, without a trailing `/`: `/api/v1/query` is appended.
    pub url: String,
    pub auth: PrometheusAuth,
    pub timeout: Duration,
    pub canary: Reading,
    pub baseline: Option<Reading>,
}

/// How requests to Prometheus authenticate. Secrets are named by environment variable.
#[derive(Debug, Clone, PartialEq)]
pub enum PrometheusAuth {
    None,
    Bearer {
        token_env: String,
    },
    Basic {
        username_env: String,
        password_env: String,
    },
    /// AWS Signature Version 4 with the run's AWS credentials, service `aps`. The region is
    /// the policy's, else the one in an `aps-workspaces.<region>.amazonaws.com` URL, else the
    /// run's.
    SigV4 {
        region: Option<String>,
    },
}

impl PrometheusAuth {
    pub fn as_str(&self) -> &'static str {
        match self {
            PrometheusAuth::None => "none",
            PrometheusAuth::Bearer { .. } => "bearer",
            PrometheusAuth::Basic { .. } => "basic",
            PrometheusAuth::SigV4 { .. } => "sigv4",
        }
    }
}

/// Datadog's metrics query API (`GET /api/v1/query`) over each look's window.
#[derive(Debug, Clone, PartialEq)]
pub struct DatadogSpec {
    /// `https://api.<site>`, or the policy's `url` (a proxy, a stand-in), without a trailing `/`.
    pub api_url: String,
    /// The variables that hold the `DD-API-KEY` and `DD-APPLICATION-KEY` headers.
    pub api_key_env: String,
    pub application_key_env: String,
    pub timeout: Duration,
    pub canary: Reading,
    pub baseline: Option<Reading>,
}

/// Any HTTP endpoint that answers JSON: one request per side and look, numbers picked out by
/// JSON paths.
#[derive(Debug, Clone, PartialEq)]
pub struct WebSpec {
    pub url: String,
    pub baseline_url: Option<String>,
    /// `GET` or `POST`.
    pub method: String,
    /// The body of a `POST`, sent as `application/json`.
    pub body: Option<String>,
    /// (header, environment variable that holds its value).
    pub headers: Vec<(String, String)>,
    pub timeout: Duration,
    /// JSON paths (RFC 9535), normalised to start with `$`.
    pub paths: Reading,
}

/// The placeholders each kind of text may hold (see the module docs).
const QUERY_PLACEHOLDERS: &[&str] = &["selector", "interval"];
const SIDE_QUERY_PLACEHOLDERS: &[&str] = &["interval"];
const WEB_PLACEHOLDERS: &[&str] = &["interval", "start", "end"];

/// The default variables of Datadog's keys (the names Datadog's own tools read).
pub const DEFAULT_DD_API_KEY_ENV: &str = "DD_API_KEY";
pub const DEFAULT_DD_APPLICATION_KEY_ENV: &str = "DD_APP_KEY";

pub(super) type At<'a> = &'a dyn Fn(&str) -> String;

/// The kind of a `prometheus`, `datadog` or `web` metric (default `value`); their queries
/// compute the value, so they take no `statistic`.
pub(super) fn http_kind(m: &RawMetric, at: At) -> Result<Kind, PolicyError> {
    let valid = [
        ("error-rate", Kind::ErrorRate),
        ("latency", Kind::Latency),
        ("value", Kind::Value),
    ];
    let kind = match &m.kind {
        None => Kind::Value,
        Some(k) => valid
            .iter()
            .find(|v| v.0 == k)
            .map(|v| v.1)
            .ok_or_else(|| {
                field(
                    at("kind"),
                    k,
                    format!(
                        "one of error-rate, latency, value for source '{}'",
                        m.source
                    ),
                )
            })?,
    };
    if let Some(s) = &m.statistic {
        return Err(field(
            at("statistic"),
            s,
            format!(
                "no statistic for source '{}': the query computes the value (a percentile with histogram_quantile(0.99, …) or p99:…)",
                m.source
            ),
        ));
    }
    Ok(kind)
}

/// A base URL for an API whose path (`suffix`) is appended: no query or fragment, no suffix
/// already, no trailing `/`.
pub(super) fn base_url(at: &str, url: &str, suffix: &str) -> Result<String, PolicyError> {
    if url.contains(['?', '#']) {
        return Err(field(
            at,
            url,
            format!("the server's base URL without ?query or #fragment ({suffix} is appended)"),
        ));
    }
    let trimmed = url.trim_end_matches('/');
    if trimmed.ends_with(suffix) {
        return Err(field(
            at,
            url,
            format!(
                "the server's base URL without {suffix}, such as {}",
                trimmed.trim_end_matches(suffix)
            ),
        ));
    }
    Ok(trimmed.to_string())
}

/// A Datadog site: a host name such as `datadoghq.com` or `us5.datadoghq.com`.
pub(super) fn check_site(at: &str, site: &str) -> Result<(), PolicyError> {
    let ok = site.contains('.')
        && !site.starts_with(['.', '-'])
        && !site.ends_with(['.', '-'])
        && site
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-'));
    if ok {
        Ok(())
    } else {
        Err(field(
            at,
            site,
            "a Datadog site such as datadoghq.com, us3.datadoghq.com, us5.datadoghq.com, datadoghq.eu, ap1.datadoghq.com or ddog-gov.com",
        ))
    }
}

/// The name of an environment variable that holds a secret.
pub fn check_env_name(at: &str, name: &str) -> Result<(), PolicyError> {
    let mut chars = name.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(field(
            at,
            name,
            "the name of the environment variable that holds the secret, such as PROM_TOKEN (letters, digits and _): the secret itself never goes in the policy",
        ))
    }
}

/// An AWS region: `us-east-1`, `eu-central-2`, `us-gov-west-1`.
fn is_region(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()))
}

/// The host of an http(s) URL (checked by [`check_url`]), without a port.
fn host_of(url: &str) -> &str {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .unwrap_or(url);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    if authority.starts_with('[') {
        // [::1]:9090 → [::1]
        return authority
            .find(']')
            .and_then(|end| authority.get(..=end))
            .unwrap_or(authority);
    }
    authority.split(':').next().unwrap_or(authority)
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host == "[::1]" || host.starts_with("127.")
}

pub(super) fn prometheus_auth(
    m: &RawMetric,
    at: At,
    url: &str,
) -> Result<PrometheusAuth, PolicyError> {
    let auth = m.auth.as_deref().unwrap_or("none");
    let fields: [(&str, &Option<String>, &[&str]); 4] = [
        ("bearer-token-env", &m.bearer_token_env, &["bearer"]),
        ("username-env", &m.username_env, &["basic"]),
        ("password-env", &m.password_env, &["basic"]),
        ("region", &m.region, &["sigv4"]),
    ];
    for (f, value, with) in fields {
        if value.is_some() && !with.contains(&auth) {
            return Err(field(
                at(f),
                "set",
                format!(
                    "no {f} with auth: {auth} (it goes with auth: {})",
                    with.join(", ")
                ),
            ));
        }
    }
    let env = |f: &str, value: &Option<String>| -> Result<String, PolicyError> {
        let name = value.clone().unwrap_or_default();
        if name.is_empty() {
            return Err(field(
                at(f),
                "",
                format!(
                    "the name of the environment variable that holds the secret for auth: {auth}, such as PROM_TOKEN"
                ),
            ));
        }
        check_env_name(&at(f), &name)?;
        Ok(name)
    };
    match auth {
        "none" => Ok(PrometheusAuth::None),
        "bearer" => Ok(PrometheusAuth::Bearer {
            token_env: env("bearer-token-env", &m.bearer_token_env)?,
        }),
        "basic" => Ok(PrometheusAuth::Basic {
            username_env: env("username-env", &m.username_env)?,
            password_env: env("password-env", &m.password_env)?,
        }),
        "sigv4" => {
            let host = host_of(url);
            if !url.starts_with("https://") && !is_loopback(host) {
                return Err(field(
                    at("url"),
                    url,
                    "an https:// URL for auth: sigv4, such as https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-… (http:// only on loopback, for a local stand-in)",
                ));
            }
            let region = match &m.region {
                Some(r) if is_region(r) => Some(r.clone()),
                Some(r) => {
                    return Err(field(
                        at("region"),
                        r,
                        "an AWS region such as us-east-1 (default: the one in the workspace URL, else the run's)",
                    ));
                }
                None => host
                    .strip_prefix("aps-workspaces.")
                    .and_then(|h| h.strip_suffix(".amazonaws.com"))
                    .filter(|r| is_region(r))
                    .map(str::to_string),
            };
            Ok(PrometheusAuth::SigV4 { region })
        }
        other => Err(field(
            at("auth"),
            other,
            "one of none, bearer (bearer-token-env), basic (username-env, password-env), sigv4 (Amazon Managed Prometheus, with the run's AWS credentials)",
        )),
    }
}

/// A query, URL or body whose placeholders must all be in `allowed`.
fn check_text(at: &str, text: &str, allowed: &[&str], example: &str) -> Result<(), PolicyError> {
    if text.trim().is_empty() {
        return Err(field(at, text, example));
    }
    if let Some(bad) = super::template::unknown(text, allowed) {
        let valid: Vec<String> = allowed.iter().map(|a| format!("{{{{{a}}}}}")).collect();
        return Err(field(
            at,
            text,
            format!(
                "placeholders among {} only ({{{{{bad}}}}} is not one)",
                valid.join(", ")
            ),
        ));
    }
    Ok(())
}

/// The canary's and the baseline's readings of a `prometheus` or `datadog` metric, with
/// `{{selector}}` filled for each side.
pub(super) fn query_readings(
    m: &RawMetric,
    kind: Kind,
    at: At,
) -> Result<(Reading, Option<Reading>), PolicyError> {
    use super::template;
    let prom = m.source == "prometheus";
    let example = |what: &str| -> String {
        match (prom, what) {
            (true, "errors") => r#"a query of the bad events in the window, such as sum(increase(http_requests_total{code=~"5..",{{selector}}}[{{interval}}]))"#.into(),
            (true, "requests") => "a query of the requests in the window, such as sum(increase(http_requests_total{{{selector}}}[{{interval}}]))".into(),
            (true, _) => "a query of the value at the window's end, such as histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{{{selector}}}[{{interval}}])))".into(),
            (false, "errors") => "a query of the bad events, such as sum:trace.http.request.errors{service:web,{{selector}}}.as_count()".into(),
            (false, "requests") => "a query of the requests, such as sum:trace.http.request.hits{service:web,{{selector}}}.as_count()".into(),
            (false, _) => "a query of the value, such as avg:trace.http.request.duration{service:web,{{selector}}}".into(),
        }
    };
    for (f, value, what) in [
        ("query", &m.query, "value"),
        ("errors-query", &m.errors_query, "errors"),
        ("requests-query", &m.requests_query, "requests"),
    ] {
        if let Some(q) = value {
            check_text(&at(f), q, QUERY_PLACEHOLDERS, &example(what))?;
        }
    }
    for (f, value) in [
        ("canary-query", &m.canary_query),
        ("baseline-query", &m.baseline_query),
    ] {
        if let Some(q) = value {
            if template::uses(q, "selector") {
                return Err(field(
                    at(f),
                    q,
                    "a query of one side, with {{interval}} at most: {{selector}} goes in query, errors-query and requests-query",
                ));
            }
            check_text(&at(f), q, SIDE_QUERY_PLACEHOLDERS, &example("value"))?;
        }
    }
    let selector_example = if prom {
        r#"label matchers such as version="canary""#
    } else {
        "tags such as version:canary"
    };
    for (f, value) in [
        ("canary-selector", &m.canary_selector),
        ("baseline-selector", &m.baseline_selector),
    ] {
        if let Some(sel) = value
            && (sel.trim().is_empty()
                || sel.contains(['\n', '\r'])
                || !template::names(sel).is_empty())
        {
            return Err(field(
                at(f),
                sel,
                format!("{selector_example}, on one line and without placeholders"),
            ));
        }
    }

    // The templates, by field; `explicit` holds the per-side value queries.
    let mut templates: Vec<(&str, &str)> = Vec::new();
    let mut explicit: Option<(&str, Option<&str>)> = None;
    if kind.is_count() {
        for f in ["query", "canary-query", "baseline-query"] {
            let set = match f {
                "query" => m.query.is_some(),
                "canary-query" => m.canary_query.is_some(),
                _ => m.baseline_query.is_some(),
            };
            if set {
                return Err(field(
                    at(f),
                    "set",
                    format!(
                        "no {f} for kind {}: errors-query and requests-query, each with {{{{selector}}}}",
                        kind.as_str()
                    ),
                ));
            }
        }
        let errors = m
            .errors_query
            .as_deref()
            .ok_or_else(|| field(at("errors-query"), "", example("errors")))?;
        let requests = m
            .requests_query
            .as_deref()
            .ok_or_else(|| field(at("requests-query"), "", example("requests")))?;
        templates.push(("errors-query", errors));
        templates.push(("requests-query", requests));
    } else {
        if m.errors_query.is_some() {
            return Err(field(
                at("errors-query"),
                "set",
                format!(
                    "no errors-query for kind {}: query (or canary-query and baseline-query); errors-query is for kind error-rate",
                    kind.as_str()
                ),
            ));
        }
        match (&m.query, &m.canary_query, &m.baseline_query) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                return Err(field(
                    at("canary-query"),
                    "set",
                    "either query (one template with {{selector}}) or canary-query and baseline-query (one query each), not both",
                ));
            }
            (Some(q), None, None) => templates.push(("query", q)),
            (None, Some(c), b) => explicit = Some((c, b.as_deref())),
            (None, None, Some(_)) => {
                return Err(field(
                    at("canary-query"),
                    "",
                    "the canary's query too: baseline-query goes with canary-query",
                ));
            }
            (None, None, None) => return Err(field(at("query"), "", example("value"))),
        }
        if let Some(r) = &m.requests_query {
            templates.push(("requests-query", r));
        }
    }

    let any_selector = templates.iter().any(|(_, t)| template::uses(t, "selector"));
    let has_baseline = match explicit {
        Some((_, baseline)) => baseline.is_some(),
        None => m.baseline_selector.is_some(),
    };
    if !any_selector {
        for (f, value) in [
            ("canary-selector", &m.canary_selector),
            ("baseline-selector", &m.baseline_selector),
        ] {
            if value.is_some() {
                return Err(field(
                    at(f),
                    "set",
                    "a query with {{selector}} for it to fill: no query uses it",
                ));
            }
        }
    }
    if any_selector && m.canary_selector.is_none() {
        return Err(field(
            at("canary-selector"),
            "",
            format!("the canary's {selector_example}, which fill {{{{selector}}}}"),
        ));
    }
    if has_baseline {
        if let Some((f, t)) = templates
            .iter()
            .find(|(_, t)| !template::uses(t, "selector"))
        {
            return Err(field(
                at(f),
                t,
                "a query with {{selector}}: without it the canary and the baseline read the same series",
            ));
        }
        if any_selector && m.baseline_selector.is_none() {
            return Err(field(
                at("baseline-selector"),
                "",
                format!(
                    "the baseline's {selector_example}, which fill {{{{selector}}}} in the baseline's requests-query"
                ),
            ));
        }
    } else if m.baseline_selector.is_some() {
        return Err(field(
            at("baseline-selector"),
            "set",
            "baseline-query too: with canary-query, the baseline is read only when baseline-query is given",
        ));
    }

    let side = |selector: Option<&str>, value_query: Option<&str>| -> Reading {
        let fill = |t: &str| match selector {
            Some(sel) => template::fill(t, &[("selector", sel)]),
            None => t.to_string(),
        };
        let requests = m.requests_query.as_deref().map(fill);
        match (kind.is_count(), &m.errors_query, requests) {
            (true, Some(errors), Some(requests)) => Reading::Counts {
                errors: fill(errors),
                requests,
            },
            (_, _, requests) => Reading::Value {
                value: value_query
                    .map(str::to_string)
                    .or_else(|| m.query.as_deref().map(fill))
                    .unwrap_or_default(),
                requests,
            },
        }
    };
    let canary = side(m.canary_selector.as_deref(), explicit.map(|e| e.0));
    let baseline =
        has_baseline.then(|| side(m.baseline_selector.as_deref(), explicit.and_then(|e| e.1)));
    Ok((canary, baseline))
}

/// A JSON path: RFC 9535 JSONPath, or the same without the leading `$`/`$.` (`data.errors`).
fn json_path(at: &str, path: &str) -> Result<String, PolicyError> {
    let trimmed = path.trim();
    let normal = if trimmed.starts_with('$') {
        trimmed.to_string()
    } else if trimmed.starts_with('[') {
        format!("${trimmed}")
    } else {
        format!("$.{trimmed}")
    };
    match serde_json_path::JsonPath::parse(&normal) {
        Ok(_) if !trimmed.is_empty() => Ok(normal),
        _ => Err(field(
            at,
            path,
            "a JSON path (RFC 9535 JSONPath) to one number, such as $.data.errors, data.errors or $.series[0].value",
        )),
    }
}

pub(super) fn web(m: &RawMetric, kind: Kind, at: At) -> Result<WebSpec, PolicyError> {
    let url = m.url.clone().unwrap_or_default();
    check_text(
        &at("url"),
        &url,
        WEB_PLACEHOLDERS,
        "the URL the canary's numbers come from, such as https://canary.internal/stats",
    )?;
    check_url(&at("url"), &url)?;
    if let Some(b) = &m.baseline_url {
        check_text(
            &at("baseline-url"),
            b,
            WEB_PLACEHOLDERS,
            "the baseline's URL",
        )?;
        check_url(&at("baseline-url"), b)?;
    }
    let method = m
        .method
        .clone()
        .unwrap_or_else(|| "GET".into())
        .to_ascii_uppercase();
    if !["GET", "POST"].contains(&method.as_str()) {
        return Err(field(at("method"), &method, "GET or POST"));
    }
    if let Some(body) = &m.body {
        if method != "POST" {
            return Err(field(
                at("body"),
                "set",
                "no body with method GET: set method: POST",
            ));
        }
        check_text(
            &at("body"),
            body,
            WEB_PLACEHOLDERS,
            "the body to POST, such as a JSON query",
        )?;
    }
    let mut headers = Vec::new();
    for (name, env) in m.headers.iter().flatten() {
        let token = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c));
        if !token {
            return Err(field(
                at("headers"),
                name,
                "HTTP header names (letters, digits and -), each mapped to the environment variable that holds its value",
            ));
        }
        check_env_name(&at(&format!("headers.{name}")), env)?;
        headers.push((name.clone(), env.clone()));
    }
    let paths = if kind.is_count() {
        if m.json_path.is_some() {
            return Err(field(
                at("json-path"),
                "set",
                "no json-path for kind error-rate: errors-json-path and requests-json-path",
            ));
        }
        let errors = m.errors_json_path.as_deref().ok_or_else(|| {
            field(
                at("errors-json-path"),
                "",
                "the JSON path of the bad events in the answer, such as $.errors",
            )
        })?;
        let requests = m.requests_json_path.as_deref().ok_or_else(|| {
            field(
                at("requests-json-path"),
                "",
                "the JSON path of the requests in the answer, such as $.requests",
            )
        })?;
        Reading::Counts {
            errors: json_path(&at("errors-json-path"), errors)?,
            requests: json_path(&at("requests-json-path"), requests)?,
        }
    } else {
        if m.errors_json_path.is_some() {
            return Err(field(
                at("errors-json-path"),
                "set",
                format!(
                    "no errors-json-path for kind {}: json-path (errors-json-path is for kind error-rate)",
                    kind.as_str()
                ),
            ));
        }
        let value = m.json_path.as_deref().ok_or_else(|| {
            field(
                at("json-path"),
                "",
                "the JSON path of the value in the answer, such as $.data.p99",
            )
        })?;
        Reading::Value {
            value: json_path(&at("json-path"), value)?,
            requests: m
                .requests_json_path
                .as_deref()
                .map(|r| json_path(&at("requests-json-path"), r))
                .transpose()?,
        }
    };
    Ok(WebSpec {
        url,
        baseline_url: m.baseline_url.clone(),
        method,
        body: m.body.clone(),
        headers,
        timeout: timeout_of(m, &at("timeout"))?,
        paths,
    })
}

#[cfg(test)]
mod tests {
    use super::super::{Source, parse};
    use super::*;

    const PROM: &str = r#"source: prometheus, url: 'http://prom:9090', errors-query: 'sum(increase(x{code="500",{{selector}}}[{{interval}}]))', requests-query: 'sum(increase(x{{{selector}}}[{{interval}}]))', canary-selector: 'v="c"', baseline-selector: 'v="b"', kind: error-rate, max-ratio: 2"#;
    const DD: &str =
        "source: datadog, query: 'avg:lat{{{selector}}}', canary-selector: 'v:c', max: 1";
    const WEB: &str = "source: web, url: 'https://c.example/stats', json-path: $.v, max: 1";

    /// The policy `metrics: {e: {<fields>, <extra>}}`.
    fn with(fields: &str, extra: &str) -> String {
        format!("metrics: {{e: {{{fields}, {extra}}}}}")
    }

    /// Every field of the prometheus, datadog and web sources with a bad value: the field it
    /// must name and a word of what is valid.
    #[test]
    fn bad_source_fields_name_the_field_the_value_and_what_is_valid() {
        let prom_value = "source: prometheus, url: 'http://prom:9090', kind: value, max: 1";
        let cases: Vec<(String, &str, &str)> = vec![
            // prometheus
            (
                "metrics: {e: {source: prometheus, query: up, max: 1}}".into(),
                "'metrics.e.url' is ''",
                "http:// or https://",
            ),
            (
                with(prom_value, "query: up").replace("9090'", "9090/api/v1/query'"),
                "'metrics.e.url' is 'http://prom:9090/api/v1/query'",
                "without /api/v1/query, such as http://prom:9090",
            ),
            (
                with(prom_value, "query: up").replace("9090'", "9090?x=1'"),
                "metrics.e.url",
                "without ?query",
            ),
            (
                with(PROM, "auth: oauth"),
                "'metrics.e.auth' is 'oauth'",
                "none, bearer",
            ),
            (
                with(PROM, "auth: bearer"),
                "'metrics.e.bearer-token-env' is ''",
                "environment variable",
            ),
            (
                with(PROM, "auth: bearer, bearer-token-env: 'my token'"),
                "'metrics.e.bearer-token-env' is 'my token'",
                "never goes in the policy",
            ),
            (
                with(PROM, "username-env: U"),
                "metrics.e.username-env",
                "auth: basic",
            ),
            (
                with(PROM, "auth: basic, username-env: U"),
                "'metrics.e.password-env' is ''",
                "environment variable",
            ),
            (
                with(PROM, "auth: basic, username-env: U, password-env: PASS-WORD"),
                "'metrics.e.password-env' is 'PASS-WORD'",
                "letters, digits and _",
            ),
            (
                with(PROM, "auth: sigv4, region: nowhere").replace("http://", "https://"),
                "'metrics.e.region' is 'nowhere'",
                "an AWS region such as us-east-1",
            ),
            (
                with(PROM, "region: us-east-1"),
                "metrics.e.region",
                "auth: sigv4",
            ),
            (
                with(PROM, "auth: sigv4"),
                "'metrics.e.url' is 'http://prom:9090'",
                "an https:// URL for auth: sigv4",
            ),
            (
                with(PROM, "timeout: 10m"),
                "'metrics.e.timeout' is '10m'",
                "at most 5m",
            ),
            (
                with(prom_value, "query: up").replace("kind: value", "kind: success-rate"),
                "'metrics.e.kind' is 'success-rate'",
                "error-rate, latency, value",
            ),
            (
                with(prom_value, "query: up, statistic: p99"),
                "'metrics.e.statistic' is 'p99'",
                "the query computes the value",
            ),
            (
                with(PROM, "").replace("errors-query: 'sum(increase(x{code=\"500\",{{selector}}}[{{interval}}]))', ", ""),
                "'metrics.e.errors-query' is ''",
                "bad events in the window",
            ),
            (
                with(PROM, "").replace("requests-query: 'sum(increase(x{{{selector}}}[{{interval}}]))', ", ""),
                "'metrics.e.requests-query' is ''",
                "requests in the window",
            ),
            (
                with(PROM, "query: up"),
                "metrics.e.query",
                "errors-query and requests-query",
            ),
            (
                with(prom_value, "query: up, errors-query: x"),
                "metrics.e.errors-query",
                "is for kind error-rate",
            ),
            (
                with(prom_value, "canary-selector: 'v=\"c\"'"),
                "'metrics.e.query' is ''",
                "histogram_quantile",
            ),
            (
                with(prom_value, "query: up, canary-query: up"),
                "metrics.e.canary-query",
                "not both",
            ),
            (
                with(prom_value, "baseline-query: up"),
                "metrics.e.canary-query",
                "baseline-query goes with canary-query",
            ),
            (
                with(prom_value, "canary-query: 'up{{{selector}}}'"),
                "metrics.e.canary-query",
                "{{selector}} goes in query",
            ),
            (
                with(prom_value, "query: 'up{{{labels}}}'"),
                "metrics.e.query",
                "{{labels}} is not one",
            ),
            (
                with(prom_value, "query: '   '"),
                "metrics.e.query",
                "histogram_quantile",
            ),
            (
                with(prom_value, "query: 'up{{{selector}}}'"),
                "'metrics.e.canary-selector' is ''",
                "fill {{selector}}",
            ),
            (
                with(prom_value, "query: up, canary-selector: 'v=\"c\"'"),
                "metrics.e.canary-selector",
                "no query uses it",
            ),
            (
                with(PROM, "").replace("x{{{selector}}}", "x{}"),
                "metrics.e.requests-query",
                "the same series",
            ),
            (
                with(PROM, "").replace("'v=\"c\"'", "\"v=\\\"c\\\"\\nw\""),
                "metrics.e.canary-selector",
                "on one line",
            ),
            (
                with(PROM, "").replace(", baseline-selector: 'v=\"b\"'", ""),
                "metrics.e.max-ratio",
                "baseline-selector",
            ),
            (
                with(prom_value, "canary-query: up, baseline-selector: 'v=\"b\"'"),
                "metrics.e.baseline-selector",
                "no query uses it",
            ),
            (
                with(
                    prom_value,
                    "canary-query: up, baseline-query: up, requests-query: 'r{{{selector}}}', canary-selector: c",
                ),
                "'metrics.e.baseline-selector' is ''",
                "fill {{selector}}",
            ),
            (
                with(prom_value, "canary-query: up, requests-query: 'r{{{selector}}}', canary-selector: c, baseline-selector: b"),
                "metrics.e.baseline-selector",
                "baseline-query too",
            ),
            // datadog
            (
                with(DD, "site: 'not a site'"),
                "'metrics.e.site' is 'not a site'",
                "datadoghq.com",
            ),
            (
                with(DD, "site: datadoghq.eu, url: 'http://127.0.0.1:1'"),
                "metrics.e.url",
                "not both",
            ),
            (
                with(DD, "url: 'ftp://dd'"),
                "'metrics.e.url' is 'ftp://dd'",
                "http:// or https://",
            ),
            (
                with(DD, "api-key-env: 1KEY"),
                "'metrics.e.api-key-env' is '1KEY'",
                "environment variable",
            ),
            (
                with(DD, "application-key-env: a-b"),
                "'metrics.e.application-key-env' is 'a-b'",
                "environment variable",
            ),
            (
                with(DD, "auth: bearer"),
                "metrics.e.auth",
                "source: prometheus",
            ),
            (
                with(DD, "max-ratio: 2"),
                "metrics.e.max-ratio",
                "baseline-selector",
            ),
            // web
            (
                "metrics: {e: {source: web, json-path: $.v, max: 1}}".into(),
                "'metrics.e.url' is ''",
                "the URL the canary's numbers come from",
            ),
            (
                with(WEB, "").replace("stats", "stats?v={{selector}}"),
                "metrics.e.url",
                "{{selector}} is not one",
            ),
            (
                with(WEB, "baseline-url: nope"),
                "'metrics.e.baseline-url' is 'nope'",
                "http:// or https://",
            ),
            (
                with(WEB, "method: DELETE"),
                "'metrics.e.method' is 'DELETE'",
                "GET or POST",
            ),
            (
                with(WEB, "body: '{}'"),
                "metrics.e.body",
                "method: POST",
            ),
            (
                with(WEB, "method: POST, body: '{\"q\": \"{{selector}}\"}'"),
                "metrics.e.body",
                "{{selector}} is not one",
            ),
            (
                with(WEB, "headers: {'Bad Header': X}"),
                "'metrics.e.headers' is 'Bad Header'",
                "HTTP header names",
            ),
            (
                with(WEB, "headers: {Authorization: 'Bearer abc'}"),
                "'metrics.e.headers.Authorization' is 'Bearer abc'",
                "never goes in the policy",
            ),
            (
                "metrics: {e: {source: web, url: 'https://c.example/', max: 1}}".into(),
                "'metrics.e.json-path' is ''",
                "JSON path of the value",
            ),
            (
                with(WEB, "").replace("$.v", "'$.['"),
                "'metrics.e.json-path' is '$.['",
                "RFC 9535",
            ),
            (
                with(WEB, "requests-json-path: 'a..'"),
                "'metrics.e.requests-json-path' is 'a..'",
                "RFC 9535",
            ),
            (
                with(WEB, "kind: error-rate").replace(", max: 1", ", max: 0.1"),
                "metrics.e.json-path",
                "errors-json-path and requests-json-path",
            ),
            (
                "metrics: {e: {source: web, url: 'https://c.example/', kind: error-rate, max: 0.1}}".into(),
                "'metrics.e.errors-json-path' is ''",
                "bad events",
            ),
            (
                "metrics: {e: {source: web, url: 'https://c.example/', kind: error-rate, errors-json-path: e, max: 0.1}}".into(),
                "'metrics.e.requests-json-path' is ''",
                "requests",
            ),
            (
                with(WEB, "errors-json-path: e"),
                "metrics.e.errors-json-path",
                "is for kind error-rate",
            ),
            (
                with(WEB, "max-ratio: 2"),
                "metrics.e.max-ratio",
                "baseline-url",
            ),
            (
                with(WEB, "timeout: 0s"),
                "'metrics.e.timeout' is '0s'",
                "above 0",
            ),
            (
                with(WEB, "query: up"),
                "metrics.e.query",
                "source: prometheus, datadog",
            ),
        ];
        for (yaml, field, valid) in &cases {
            let e = match parse(yaml) {
                Ok(p) => panic!("{yaml}\n→ parsed: {p:?}\n(wanted {field})"),
                Err(e) => e.to_string(),
            };
            assert!(e.contains(field), "{yaml}\n→ {e}\n(wanted {field})");
            assert!(e.contains(valid), "{yaml}\n→ {e}\n(wanted {valid})");
        }
    }

    #[test]
    fn the_new_sources_parse_with_their_defaults() {
        let p = parse(
            r#"
metrics:
  errors:
    source: prometheus
    kind: error-rate
    url: https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/
    auth: sigv4
    errors-query: sum(increase(http_requests_total{code=~"5..",{{selector}}}[{{interval}}]))
    requests-query: sum(increase(http_requests_total{{{selector}}}[{{interval}}]))
    canary-selector: version="canary"
    baseline-selector: version="stable"
    max-ratio: 1.5
  p99:
    source: prometheus
    kind: latency
    url: http://prom:9090
    auth: bearer
    bearer-token-env: PROM_TOKEN
    canary-query: p99_canary
    baseline-query: p99_stable
    max-ratio: 1.2
  checkout:
    source: datadog
    kind: latency
    query: avg:trace.http.request.duration{service:shop,{{selector}}}
    canary-selector: version:canary
    baseline-selector: version:stable
    max-ratio: 1.2
  queue:
    source: web
    url: https://canary.internal/stats?since={{start}}
    baseline-url: https://stable.internal/stats?since={{start}}
    method: post
    body: '{"window": "{{interval}}"}'
    headers: {Authorization: STATS_AUTH}
    json-path: queue.depth
    requests-json-path: $.queue.served
    timeout: 2s
    max-difference: 10
"#,
        )
        .unwrap();
        let Source::Prometheus(errors) = &p.metrics[0].source else {
            panic!()
        };
        assert_eq!(
            errors.url,
            "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1"
        );
        assert_eq!(
            errors.auth,
            PrometheusAuth::SigV4 {
                region: Some("eu-west-1".into())
            }
        );
        assert_eq!(
            errors.baseline,
            Some(Reading::Counts {
                errors: r#"sum(increase(http_requests_total{code=~"5..",version="stable"}[{{interval}}]))"#.into(),
                requests: r#"sum(increase(http_requests_total{version="stable"}[{{interval}}]))"#.into(),
            })
        );
        assert_eq!(errors.timeout, Duration::from_secs(10));
        assert!(p.needs_aws_credentials());
        let Source::Prometheus(p99) = &p.metrics[1].source else {
            panic!()
        };
        assert_eq!(
            (&p99.canary, &p99.baseline),
            (
                &Reading::Value {
                    value: "p99_canary".into(),
                    requests: None
                },
                &Some(Reading::Value {
                    value: "p99_stable".into(),
                    requests: None
                })
            )
        );
        let Source::Datadog(dd) = &p.metrics[2].source else {
            panic!()
        };
        assert_eq!(dd.api_url, "https://api.datadoghq.com");
        assert_eq!(
            (dd.api_key_env.as_str(), dd.application_key_env.as_str()),
            ("DD_API_KEY", "DD_APP_KEY")
        );
        let Source::Web(web) = &p.metrics[3].source else {
            panic!()
        };
        assert_eq!(web.method, "POST");
        assert_eq!(
            web.headers,
            [("Authorization".to_string(), "STATS_AUTH".to_string())]
        );
        assert_eq!(
            web.paths,
            Reading::Value {
                value: "$.queue.depth".into(),
                requests: Some("$.queue.served".into())
            }
        );
        assert_eq!(p.metrics[3].kind, Kind::Value);
        assert!(p.metrics.iter().all(|m| !m.source.reads_cloudwatch()));
        assert!(p.metrics.iter().all(|m| m.source.has_baseline()));
    }
}

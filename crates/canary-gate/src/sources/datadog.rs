//! The `datadog` source: Datadog's metrics query API, `GET https://api.<site>/api/v1/query
//! ?from=&to=&query=` with the `DD-API-KEY` and `DD-APPLICATION-KEY` headers. Each number of a
//! look is one query over the look's window: the points of the window are summed for the bad
//! events and the requests of `error-rate` (write the queries with `.as_count()`), and averaged
//! for the value of `latency` and `value`.
//!
//! [`requests`] and [`parse`] are pure; [`query_all`] sends (blocking).

use std::time::{Duration, SystemTime};

use serde_json::Value;

use super::http::{self, Answer};
use super::{Secrets, Side, SourceError, Window};
use crate::policy::template;
use crate::policy::{DatadogSpec, MetricSpec, Reading};

const SOURCE: &str = "datadog";
const API: &str = "/api/v1/query";

/// How a window's points become one number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reduce {
    /// Counts: the events of every point of the window.
    Sum,
    /// Values: the average of the window's points.
    Mean,
}

/// One query of one number of one side.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub metric: String,
    pub side: Side,
    /// `errors`, `requests` or `value`.
    pub part: &'static str,
    pub api_url: String,
    pub api_key_env: String,
    pub application_key_env: String,
    pub timeout: Duration,
    /// The query as sent: every placeholder filled.
    pub query: String,
    pub from: SystemTime,
    pub to: SystemTime,
    pub reduce: Reduce,
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

impl Request {
    /// The URL sent: `<api>/api/v1/query?from=…&to=…&query=…` (Unix seconds).
    pub fn full_url(&self) -> String {
        format!(
            "{}{API}?{}",
            self.api_url,
            http::query_string(&[
                ("from", &unix(self.from).to_string()),
                ("to", &unix(self.to).to_string()),
                ("query", &self.query),
            ])
        )
    }

    fn error(&self, message: impl Into<String>) -> SourceError {
        SourceError::new(&self.metric, SOURCE, message)
    }
}

/// The queries of `m` for the look over `window`: the canary's numbers, then the baseline's,
/// each in [`Reading::parts`] order.
pub fn requests(m: &MetricSpec, spec: &DatadogSpec, window: &Window) -> Vec<Request> {
    let values = window.placeholders();
    let pairs: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut out = Vec::new();
    let sides = [
        (Side::Canary, Some(&spec.canary)),
        (Side::Baseline, spec.baseline.as_ref()),
    ];
    for (side, reading) in sides {
        for (part, query) in reading.map(Reading::parts).unwrap_or_default() {
            out.push(Request {
                metric: m.name.clone(),
                side,
                part,
                api_url: spec.api_url.clone(),
                api_key_env: spec.api_key_env.clone(),
                application_key_env: spec.application_key_env.clone(),
                timeout: spec.timeout,
                query: template::fill(query, &pairs),
                from: window.start(),
                to: window.end,
                reduce: if part == "value" {
                    Reduce::Mean
                } else {
                    Reduce::Sum
                },
            });
        }
    }
    out
}

/// What is wrong with an answer.
#[derive(Debug, Clone, PartialEq)]
pub enum ParseError {
    NotJson(String),
    /// `"status": "error"` or `"errors": [...]`: Datadog's message.
    Refused(String),
    /// More than one series: the query must aggregate to one (`sum:`, `avg:` without `by`).
    Series(usize),
}

/// The number in an answer: the window's points of the only series, summed or averaged;
/// `None` when there is no series or no point (nulls are skipped).
pub fn parse(body: &str, reduce: Reduce) -> Result<Option<f64>, ParseError> {
    let v: Value =
        serde_json::from_str(body).map_err(|_| ParseError::NotJson(http::excerpt(body)))?;
    if let Some(errors) = v.get("errors").and_then(Value::as_array) {
        let texts: Vec<String> = errors
            .iter()
            .map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_string))
            .collect();
        return Err(ParseError::Refused(texts.join("; ")));
    }
    if v.get("status").and_then(Value::as_str) == Some("error") {
        let error = v.get("error").and_then(Value::as_str).unwrap_or("error");
        return Err(ParseError::Refused(error.to_string()));
    }
    let Some(series) = v.get("series").and_then(Value::as_array) else {
        return Err(ParseError::NotJson(http::excerpt(body)));
    };
    let one = match series.as_slice() {
        [] => return Ok(None),
        [one] => one,
        many => return Err(ParseError::Series(many.len())),
    };
    let points: Vec<f64> = one["pointlist"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|p| p.get(1).and_then(Value::as_f64))
        .filter(|x| x.is_finite())
        .collect();
    if points.is_empty() {
        return Ok(None);
    }
    let sum: f64 = points.iter().sum();
    Ok(Some(match reduce {
        Reduce::Sum => sum,
        Reduce::Mean => sum / points.len() as f64,
    }))
}

/// Sends every request at once (a thread each) and returns their numbers in order, or the
/// first error.
pub fn query_all(requests: &[Request], secrets: &Secrets) -> Result<Vec<Option<f64>>, SourceError> {
    super::all_at_once(
        requests,
        |r| query(r, secrets),
        |r| r.error("the query thread failed"),
    )
}

/// One request, sent and read.
pub fn query(r: &Request, secrets: &Secrets) -> Result<Option<f64>, SourceError> {
    let api_key = secrets.require(&r.api_key_env, &r.metric, SOURCE)?;
    let application_key = secrets.require(&r.application_key_env, &r.metric, SOURCE)?;
    let headers = vec![
        ("accept".to_string(), "application/json".to_string()),
        ("DD-API-KEY".to_string(), api_key.to_string()),
        (
            "DD-APPLICATION-KEY".to_string(),
            application_key.to_string(),
        ),
    ];
    let endpoint = format!("{}{API}", r.api_url);
    let answer = http::send("GET", &r.full_url(), &headers, None, r.timeout).map_err(|e| {
        r.error(secrets.scrub(&format!(
            "GET {endpoint} failed: {e}; check metrics.{}.site (or url) and that Datadog is reachable from the runner",
            r.metric
        )))
    })?;
    read(r, &endpoint, &answer, secrets)
}

fn read(
    r: &Request,
    endpoint: &str,
    answer: &Answer,
    secrets: &Secrets,
) -> Result<Option<f64>, SourceError> {
    let what = format!("the {}'s {} query", r.side.as_str(), r.part);
    let sent = format!("sent: {}", r.query);
    match (answer.status, parse(&answer.body, r.reduce)) {
        (200..=299, Ok(v)) => Ok(v),
        (401 | 403, _) => Err(r.error(format!(
            "{endpoint} answered {}: Datadog refused the keys; check {} (an API key) and {} (an application key allowed to query timeseries), and the site",
            answer.status, r.api_key_env, r.application_key_env
        ))),
        (429, _) => Err(r.error(format!(
            "{endpoint} answered 429: Datadog's rate limit for metric queries was reached; lengthen the interval or query fewer metrics"
        ))),
        (_, Err(ParseError::Refused(e))) => Err(r.error(secrets.scrub(&format!(
            "{what} was refused ({e}): fix it in the policy; {sent}"
        )))),
        (200..=299, Err(ParseError::Series(n))) => Err(r.error(format!(
            "{what} returned {n} series, not one: aggregate it (sum:…, avg:… without a `by {{…}}`); {sent}"
        ))),
        (status, Err(ParseError::NotJson(body))) => Err(r.error(secrets.scrub(&format!(
            "{endpoint} answered {status} with something other than Datadog's JSON ({body}): check metrics.{}.site (or url)",
            r.metric
        )))),
        (status, _) => Err(r.error(format!("{endpoint} answered {status}; {sent}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_summed_for_counts_and_averaged_for_values() {
        let body = r#"{"status":"ok","series":[{"metric":"m","scope":"version:canary","pointlist":[[1700000000000.0,2.0],[1700000010000.0,null],[1700000020000.0,4.0]]}]}"#;
        assert_eq!(parse(body, Reduce::Sum), Ok(Some(6.0)));
        assert_eq!(parse(body, Reduce::Mean), Ok(Some(3.0)));
        // (name, body, result)
        type Case<'a> = (&'a str, &'a str, Result<Option<f64>, ParseError>);
        let table: &[Case] = &[
            (
                "no series: no data",
                r#"{"status":"ok","series":[]}"#,
                Ok(None),
            ),
            (
                "only nulls: no data",
                r#"{"status":"ok","series":[{"pointlist":[[1,null]]}]}"#,
                Ok(None),
            ),
            (
                "several series",
                r#"{"status":"ok","series":[{"pointlist":[]},{"pointlist":[]}]}"#,
                Err(ParseError::Series(2)),
            ),
            (
                "an error status",
                r#"{"status":"error","error":"Error parsing query: unable to parse foo{: Rule 'scope_expr' didn't match"}"#,
                Err(ParseError::Refused(
                    "Error parsing query: unable to parse foo{: Rule 'scope_expr' didn't match"
                        .into(),
                )),
            ),
            (
                "an errors list (403)",
                r#"{"errors":["Forbidden"]}"#,
                Err(ParseError::Refused("Forbidden".into())),
            ),
            ("not JSON", "nope", Err(ParseError::NotJson("nope".into()))),
        ];
        for (name, body, want) in table {
            assert_eq!(&parse(body, Reduce::Sum), want, "{name}");
        }
    }
}

//! The `web` source: any HTTP endpoint that answers JSON. One request per side and look
//! (`GET`, or `POST` with a JSON body), with headers whose values come from environment
//! variables; JSON paths (RFC 9535 JSONPath, by the `serde_json_path` crate) pick the numbers
//! out of the answer: `json-path` (and optionally `requests-json-path`) for `value` and
//! `latency`, `errors-json-path` and `requests-json-path` for `error-rate`. The URL and the
//! body may name the window with `{{start}}`, `{{end}}` (Unix seconds) and `{{interval}}`.
//!
//! A path must match exactly one node: a number, or a string that reads as one (`"0.25"`);
//! `null` means no data. A path that matches nothing or several nodes is an error, since it
//! almost always means the path or the endpoint is wrong.
//!
//! [`requests`] and [`numbers`] are pure; [`fetch_all`] sends (blocking).

use std::time::Duration;

use serde_json::Value;
use serde_json_path::JsonPath;

use super::http;
use super::{Reads, Secrets, Side, SourceError, Window};
use crate::policy::template;
use crate::policy::{MetricSpec, Reading, WebSpec};

const SOURCE: &str = "web";

/// One side's request.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub metric: String,
    pub side: Side,
    pub method: String,
    /// The URL as sent: every placeholder filled.
    pub url: String,
    pub body: Option<String>,
    /// (header, environment variable that holds its value).
    pub headers: Vec<(String, String)>,
    pub timeout: Duration,
    pub paths: Reading,
}

impl Request {
    fn error(&self, message: impl Into<String>) -> SourceError {
        SourceError::new(&self.metric, SOURCE, message)
    }
}

/// The canary's request, then the baseline's, for the look over `window`.
pub fn requests(m: &MetricSpec, spec: &WebSpec, window: &Window) -> Vec<Request> {
    let values = window.placeholders();
    let pairs: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let sides = [
        (Side::Canary, Some(&spec.url)),
        (Side::Baseline, spec.baseline_url.as_ref()),
    ];
    sides
        .into_iter()
        .filter_map(|(side, url)| {
            Some(Request {
                metric: m.name.clone(),
                side,
                method: spec.method.clone(),
                url: template::fill(url?, &pairs),
                body: spec.body.as_deref().map(|b| template::fill(b, &pairs)),
                headers: spec.headers.clone(),
                timeout: spec.timeout,
                paths: spec.paths.clone(),
            })
        })
        .collect()
}

/// The numbers `paths` pick out of `json`.
pub fn numbers(json: &Value, paths: &Reading) -> Result<Reads, String> {
    let mut reads = Reads::default();
    for (part, path) in paths.parts() {
        let value = number(json, path)?;
        match part {
            "errors" => reads.errors = value,
            "requests" => reads.requests = value,
            _ => reads.value = value,
        }
    }
    Ok(reads)
}

fn number(json: &Value, path: &str) -> Result<Option<f64>, String> {
    let parsed = JsonPath::parse(path).map_err(|e| format!("{path} is not a JSON path: {e}"))?;
    let nodes = parsed.query(json).all();
    match nodes.as_slice() {
        [] => Err(format!(
            "{path} matched nothing in the answer ({}): check the path",
            http::excerpt(&json.to_string())
        )),
        [one] => match one {
            Value::Null => Ok(None),
            Value::Number(n) => Ok(n.as_f64().filter(|x| x.is_finite())),
            Value::String(s) => s
                .trim()
                .parse::<f64>()
                .map(|x| x.is_finite().then_some(x))
                .map_err(|_| format!("{path} is the string {s:?}, not a number")),
            other => Err(format!(
                "{path} is {}, not a number",
                gantry_toolkit::json_kind(other)
            )),
        },
        many => Err(format!(
            "{path} matched {} values, not one: narrow the path (such as [0] for the first)",
            many.len()
        )),
    }
}

/// Sends every request at once (a thread each) and returns their numbers in order, or the
/// first error.
pub fn fetch_all(requests: &[Request], secrets: &Secrets) -> Result<Vec<Reads>, SourceError> {
    super::all_at_once(
        requests,
        |r| fetch(r, secrets),
        |r| r.error("the request thread failed"),
    )
}

/// One side's request, sent and read.
pub fn fetch(r: &Request, secrets: &Secrets) -> Result<Reads, SourceError> {
    let mut headers = vec![("accept".to_string(), "application/json".to_string())];
    if r.body.is_some() {
        headers.push(("content-type".to_string(), "application/json".to_string()));
    }
    for (name, var) in &r.headers {
        headers.push((
            name.clone(),
            secrets.require(var, &r.metric, SOURCE)?.to_string(),
        ));
    }
    let shown = secrets.scrub(&r.url);
    let answer = http::send(&r.method, &r.url, &headers, r.body.as_deref(), r.timeout)
        .map_err(|e| {
            r.error(secrets.scrub(&format!(
                "{} {shown} ({}) failed: {e}; check the URL and that it is reachable from the runner",
                r.method,
                r.side.as_str()
            )))
        })?;
    if !(200..=299).contains(&answer.status) {
        return Err(r.error(secrets.scrub(&format!(
            "{} {shown} ({}) answered {} ({}); check the URL{}",
            r.method,
            r.side.as_str(),
            answer.status,
            http::excerpt(&answer.body),
            if matches!(answer.status, 401 | 403) {
                " and the headers' variables"
            } else {
                ""
            }
        ))));
    }
    let json: Value = serde_json::from_str(&answer.body).map_err(|_| {
        r.error(secrets.scrub(&format!(
            "{} {shown} ({}) answered something other than JSON ({}): check the URL",
            r.method,
            r.side.as_str(),
            http::excerpt(&answer.body)
        )))
    })?;
    numbers(&json, &r.paths).map_err(|e| {
        r.error(secrets.scrub(&format!("the answer of {shown} ({}): {e}", r.side.as_str())))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_paths_pick_one_number_each() {
        let answer = json!({
            "data": {"errors": 3, "requests": "120", "p99": 0.25, "none": null,
                     "list": [1, 2], "flag": true}
        });
        let counts = Reading::Counts {
            errors: "$.data.errors".into(),
            requests: "$.data.requests".into(),
        };
        assert_eq!(
            numbers(&answer, &counts),
            Ok(Reads {
                errors: Some(3.0),
                requests: Some(120.0),
                value: None
            })
        );
        let value = |path: &str| {
            numbers(
                &answer,
                &Reading::Value {
                    value: path.into(),
                    requests: None,
                },
            )
            .map(|r| r.value)
        };
        assert_eq!(value("$.data.p99"), Ok(Some(0.25)));
        assert_eq!(value("$.data.none"), Ok(None));
        assert_eq!(value("$.data.list[1]"), Ok(Some(2.0)));
        assert_eq!(value("$.data.list[?@ > 1]"), Ok(Some(2.0)));
        let e = value("$.data.missing").unwrap_err();
        assert!(e.contains("matched nothing"), "{e}");
        let e = value("$.data.list[*]").unwrap_err();
        assert!(e.contains("matched 2 values"), "{e}");
        let e = value("$.data.flag").unwrap_err();
        assert!(e.contains("not a number"), "{e}");
    }
}

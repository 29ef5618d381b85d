//! The `prometheus` source: the HTTP API of Prometheus and of the servers that speak it
//! (Amazon Managed Prometheus, Thanos, Mimir, VictoriaMetrics). Each number of a look is one
//! instant query (`GET <url>/api/v1/query?query=…&time=<the window's end>`): the bad events
//! and the requests of the interval for `error-rate` (queries written with
//! `increase(…[{{interval}}])`), the value for `latency` and `value`.
//!
//! Why instant queries at the window's end rather than a range query: each look needs one
//! number per query, for exactly the interval that just ended; `increase(x[1m])` at `time=t`
//! is the events in `(t-1m, t]`, so consecutive looks count disjoint windows, and the query
//! the summary shows is the query that was sent. A range query with `step` = interval would
//! return the same last point at the cost of the points before it.
//!
//! [`requests`] and [`parse`] are pure; [`query_all`] sends (blocking: run it off the async
//! workers).

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use serde_json::Value;

use super::http::{self, Answer};
use super::{Secrets, Side, SourceError, Window};
use crate::policy::template;
use crate::policy::{MetricSpec, PrometheusAuth, PrometheusSpec, Reading};

const SOURCE: &str = "prometheus";
const API: &str = "/api/v1/query";

/// One instant query of one number of one side.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub metric: String,
    pub side: Side,
    /// `errors`, `requests` or `value`.
    pub part: &'static str,
    /// The server's base URL.
    pub url: String,
    pub auth: PrometheusAuth,
    pub timeout: Duration,
    /// The query as sent: every placeholder filled.
    pub query: String,
    /// When the query is evaluated: the window's end.
    pub time: SystemTime,
}

impl Request {
    /// The URL sent: `<url>/api/v1/query?query=…&time=…` (seconds, to the millisecond).
    pub fn full_url(&self) -> String {
        let time = self
            .time
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or_default();
        format!(
            "{}{API}?{}",
            self.url,
            http::query_string(&[("query", &self.query), ("time", &format!("{time:.3}"))])
        )
    }

    fn error(&self, message: impl Into<String>) -> SourceError {
        SourceError::new(&self.metric, SOURCE, message)
    }
}

/// The queries of `m` for the look over `window`, every placeholder filled: the canary's
/// numbers, then the baseline's, each in [`Reading::parts`] order.
pub fn requests(m: &MetricSpec, spec: &PrometheusSpec, window: &Window) -> Vec<Request> {
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
                url: spec.url.clone(),
                auth: spec.auth.clone(),
                timeout: spec.timeout,
                query: template::fill(query, &pairs),
                time: window.end,
            });
        }
    }
    out
}

/// What is wrong with an answer.
#[derive(Debug, Clone, PartialEq)]
pub enum ParseError {
    /// Not the JSON of the query API (a proxy's page, another service).
    NotJson(String),
    /// `"status": "error"`: Prometheus's error type and message.
    Refused { kind: String, error: String },
    /// More than one series: the query must aggregate to one.
    Series(usize),
    /// A result type that has no number (`string`).
    ResultType(String),
}

/// The number in an answer of `/api/v1/query`: the only sample of a vector, a scalar, or the
/// last point of the only series of a matrix. `None` for no data: an empty result, `NaN`
/// (0/0 rates), `±Inf`.
pub fn parse(body: &str) -> Result<Option<f64>, ParseError> {
    let v: Value =
        serde_json::from_str(body).map_err(|_| ParseError::NotJson(http::excerpt(body)))?;
    match v.get("status").and_then(Value::as_str) {
        Some("success") => {}
        Some("error") => {
            return Err(ParseError::Refused {
                kind: text(&v["errorType"]),
                error: text(&v["error"]),
            });
        }
        _ => return Err(ParseError::NotJson(http::excerpt(body))),
    }
    let data = &v["data"];
    let result = &data["result"];
    match data["resultType"].as_str() {
        Some("scalar") => Ok(sample(result)),
        Some("vector") => {
            let series = result.as_array().map(Vec::as_slice).unwrap_or_default();
            match series {
                [] => Ok(None),
                [one] => Ok(sample(&one["value"])),
                many => Err(ParseError::Series(many.len())),
            }
        }
        Some("matrix") => {
            let series = result.as_array().map(Vec::as_slice).unwrap_or_default();
            match series {
                [] => Ok(None),
                [one] => Ok(one["values"]
                    .as_array()
                    .and_then(|points| points.last())
                    .and_then(sample)),
                many => Err(ParseError::Series(many.len())),
            }
        }
        other => Err(ParseError::ResultType(
            other.unwrap_or("(none)").to_string(),
        )),
    }
}

fn text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

/// `[<time>, "<value>"]` → the value, when it is a finite number.
fn sample(point: &Value) -> Option<f64> {
    point
        .get(1)
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|x| x.is_finite())
}

/// What a request needs besides itself: the secrets and, for `auth: sigv4`, the credentials
/// and the run's region.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub secrets: &'a Secrets,
    pub aws: Option<(&'a Credentials, Option<&'a str>)>,
}

/// Sends every request at once (a thread each) and returns their numbers in order, or the
/// first error.
pub fn query_all(requests: &[Request], cx: Context<'_>) -> Result<Vec<Option<f64>>, SourceError> {
    super::all_at_once(
        requests,
        |r| query(r, cx),
        |r| r.error("the query thread failed"),
    )
}

/// One request, sent and read.
pub fn query(r: &Request, cx: Context<'_>) -> Result<Option<f64>, SourceError> {
    let url = r.full_url();
    let endpoint = format!("{}{API}", r.url);
    let mut headers: Vec<(String, String)> = vec![("accept".into(), "application/json".into())];
    match &r.auth {
        PrometheusAuth::None => {}
        PrometheusAuth::Bearer { token_env } => {
            let token = cx.secrets.require(token_env, &r.metric, SOURCE)?;
            headers.push(("authorization".into(), format!("Bearer {token}")));
        }
        PrometheusAuth::Basic {
            username_env,
            password_env,
        } => {
            let user = cx.secrets.require(username_env, &r.metric, SOURCE)?;
            let password = cx.secrets.require(password_env, &r.metric, SOURCE)?;
            headers.push(("authorization".into(), http::basic_auth(user, password)));
        }
        PrometheusAuth::SigV4 { region } => {
            let Some((credentials, run_region)) = cx.aws else {
                return Err(r.error(
                    "auth: sigv4 signs with the run's AWS credentials, but this run has no AWS settings: give aws-region (and a role or keys) to the step",
                ));
            };
            let Some(region) = region.as_deref().or(run_region) else {
                return Err(r.error(format!(
                    "auth: sigv4 needs a region: set metrics.{}.region, or the step's aws-region",
                    r.metric
                )));
            };
            let unsigned: Vec<(&str, &str)> = headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let signed = super::sigv4::sign_request(
                &super::sigv4::Unsigned {
                    method: "GET",
                    url: &url,
                    headers: &unsigned,
                    body: b"",
                },
                credentials,
                region,
                super::sigv4::APS,
                SystemTime::now(),
            )
            .map_err(|e| r.error(e))?;
            headers.extend(signed);
        }
    }
    let answer = http::send("GET", &url, &headers, None, r.timeout).map_err(|e| {
        r.error(cx.secrets.scrub(&format!(
            "GET {endpoint} failed: {e}; check metrics.{}.url and that the server is reachable from the runner",
            r.metric
        )))
    })?;
    read(r, &endpoint, &answer, cx.secrets)
}

fn read(
    r: &Request,
    endpoint: &str,
    answer: &Answer,
    secrets: &Secrets,
) -> Result<Option<f64>, SourceError> {
    let what = format!("the {}'s {} query", r.side.as_str(), r.part);
    let sent = format!("sent: {}", r.query);
    match (answer.status, parse(&answer.body)) {
        (200..=299, Ok(v)) => Ok(v),
        (_, Err(ParseError::Refused { kind, error })) => Err(r.error(secrets.scrub(&format!(
            "{what} was refused ({kind}: {error}): fix it in the policy; {sent}"
        )))),
        (200..=299, Err(ParseError::Series(n))) => Err(r.error(format!(
            "{what} returned {n} series, not one: aggregate it, such as sum(…) or sum by () (…); {sent}"
        ))),
        (200..=299, Err(ParseError::ResultType(t))) => Err(r.error(format!(
            "{what} returned a {t}, not a number; {sent}"
        ))),
        (200..=299, Err(ParseError::NotJson(body))) => Err(r.error(secrets.scrub(&format!(
            "{endpoint} answered with something other than Prometheus's JSON ({body}): check that metrics.{}.url is the server's base URL",
            r.metric
        )))),
        (status @ (401 | 403), _) => Err(r.error(format!(
            "{endpoint} answered {status}: the server refused the credentials of auth: {}; {}",
            r.auth.as_str(),
            match &r.auth {
                PrometheusAuth::None => "set auth (bearer, basic or sigv4)".to_string(),
                PrometheusAuth::Bearer { token_env } => format!("check the token in {token_env}"),
                PrometheusAuth::Basic { username_env, password_env } =>
                    format!("check {username_env} and {password_env}"),
                PrometheusAuth::SigV4 { .. } =>
                    "check the region and that the run's role may aps:QueryMetrics on the workspace".to_string(),
            }
        ))),
        (404, _) => Err(r.error(format!(
            "{endpoint} answered 404: check that metrics.{}.url is the server's base URL ({API} is appended)",
            r.metric
        ))),
        (status, Err(ParseError::NotJson(body))) => Err(r.error(secrets.scrub(&format!(
            "{endpoint} answered {status} ({body}); try again later or check the server"
        )))),
        (status, _) => Err(r.error(format!(
            "{endpoint} answered {status}; {sent}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::parse as parse_policy;

    #[test]
    fn answers_become_one_number_or_no_data() {
        // (name, body, result)
        type Case<'a> = (&'a str, &'a str, Result<Option<f64>, ParseError>);
        let table: &[Case] = &[
            (
                "a vector of one sample",
                r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1712345678.9,"12.5"]}]}}"#,
                Ok(Some(12.5)),
            ),
            (
                "an empty vector: no series, no data",
                r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#,
                Ok(None),
            ),
            (
                "NaN (0/0) is no data",
                r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"NaN"]}]}}"#,
                Ok(None),
            ),
            (
                "+Inf is no data",
                r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"+Inf"]}]}}"#,
                Ok(None),
            ),
            (
                "a scalar",
                r#"{"status":"success","data":{"resultType":"scalar","result":[1,"0.25"]}}"#,
                Ok(Some(0.25)),
            ),
            (
                "a matrix: the last point of its series",
                r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"a":"b"},"values":[[1,"1"],[2,"2"],[3,"7"]]}]}}"#,
                Ok(Some(7.0)),
            ),
            (
                "an empty matrix",
                r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#,
                Ok(None),
            ),
            (
                "several series",
                r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"1"},"value":[1,"1"]},{"metric":{"a":"2"},"value":[1,"2"]}]}}"#,
                Err(ParseError::Series(2)),
            ),
            (
                "a string",
                r#"{"status":"success","data":{"resultType":"string","result":[1,"x"]}}"#,
                Err(ParseError::ResultType("string".into())),
            ),
            (
                "an error",
                r#"{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected \"}\""}"#,
                Err(ParseError::Refused {
                    kind: "bad_data".into(),
                    error: "1:5: parse error: unexpected \"}\"".into(),
                }),
            ),
            (
                "not JSON",
                "<html>login</html>",
                Err(ParseError::NotJson("<html>login</html>".into())),
            ),
        ];
        for (name, body, want) in table {
            assert_eq!(&parse(body), want, "{name}");
        }
    }

    #[test]
    fn requests_fill_the_selector_interval_and_time() {
        let p = parse_policy(
            r#"
metrics:
  errors:
    source: prometheus
    kind: error-rate
    url: http://prom:9090/
    errors-query: sum(increase(http_requests_total{code=~"5..",{{selector}}}[{{interval}}]))
    requests-query: sum(increase(http_requests_total{{{selector}}}[{{ interval }}]))
    canary-selector: version="canary"
    baseline-selector: version="stable"
    max-ratio: 2
"#,
        )
        .unwrap();
        let m = &p.metrics[0];
        let crate::policy::Source::Prometheus(spec) = &m.source else {
            panic!()
        };
        let window = Window {
            end: SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_250),
            interval: Duration::from_secs(60),
        };
        let r = requests(m, spec, &window);
        let got: Vec<(Side, &str, &str)> = r
            .iter()
            .map(|r| (r.side, r.part, r.query.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    Side::Canary,
                    "errors",
                    r#"sum(increase(http_requests_total{code=~"5..",version="canary"}[1m]))"#
                ),
                (
                    Side::Canary,
                    "requests",
                    r#"sum(increase(http_requests_total{version="canary"}[1m]))"#
                ),
                (
                    Side::Baseline,
                    "errors",
                    r#"sum(increase(http_requests_total{code=~"5..",version="stable"}[1m]))"#
                ),
                (
                    Side::Baseline,
                    "requests",
                    r#"sum(increase(http_requests_total{version="stable"}[1m]))"#
                ),
            ]
        );
        assert_eq!(
            r[1].full_url(),
            "http://prom:9090/api/v1/query?query=sum%28increase%28http_requests_total%7Bversion%3D%22canary%22%7D%5B1m%5D%29%29&time=1700000000.250"
        );
    }
}

//! The policy file: which metrics to watch, where they come from, and the rules each must meet.
//!
//! ```yaml
//! alpha: 0.01            # false-rollback budget of the whole analysis (default 0.05)
//! min-requests: 200      # canary requests before any metric is judged (default 100)
//! metrics:
//!   errors:
//!     source: alb        # alb | cloudwatch | probe
//!     kind: error-rate   # alb: error-rate, latency; probe: success-rate, latency; cloudwatch: value
//!     max: 0.05          # absolute threshold on the canary (a fraction: 5 %)
//!     max-ratio: 1.5     # canary may have up to 1.5× the baseline's error rate
//!   p99:
//!     source: alb
//!     kind: latency
//!     statistic: p99     # average, p50, p90, p95, p99, p99.9 …
//!     max: 2.0           # seconds
//!     max-ratio: 1.2
//!   checkout:
//!     source: cloudwatch
//!     namespace: Shop
//!     metric: CheckoutMillis
//!     statistic: Average
//!     canary-dimensions: {Service: shop-canary}
//!     baseline-dimensions: {Service: shop}
//!     max-difference: 50
//!     assume-normal: false  # distribution-free test for this comparison (slower)
//!     critical: false    # reported, never rolls back
//!   health:
//!     source: probe
//!     kind: success-rate
//!     url: https://canary.internal/health
//!     requests: 20
//!     concurrency: 4
//!     min: 0.95
//!   http-errors:
//!     source: prometheus   # also Amazon Managed Prometheus: auth: sigv4
//!     kind: error-rate
//!     url: http://prometheus:9090
//!     errors-query: sum(increase(http_requests_total{code=~"5..",{{selector}}}[{{interval}}]))
//!     requests-query: sum(increase(http_requests_total{{{selector}}}[{{interval}}]))
//!     canary-selector: version="canary"
//!     baseline-selector: version="stable"
//!     max-ratio: 1.5
//!   checkout-p99:
//!     source: datadog
//!     kind: latency
//!     query: p99:trace.http.request.duration{service:shop,{{selector}}}
//!     canary-selector: version:canary
//!     baseline-selector: version:stable
//!     max-ratio: 1.2
//!   queue:
//!     source: web
//!     kind: value
//!     url: https://canary.internal/stats
//!     baseline-url: https://stable.internal/stats
//!     headers: {Authorization: STATS_AUTH}   # the value comes from $STATS_AUTH
//!     json-path: $.queue.depth
//!     max-difference: 10
//! ```
//!
//! Validation names the field (`metrics.p99.max-ratio`), the value and what is valid, and
//! refuses contradictions (a `min` above a `max`, a ratio below 1, a comparison with no
//! baseline to compare against) before anything runs.
//!
//! ## Queries and their placeholders
//!
//! `prometheus` and `datadog` metrics are queries, `web` metrics are requests. Their text may
//! hold placeholders, written `{{name}}` (spaces inside the braces are allowed):
//!
//! | placeholder | becomes | in |
//! |---|---|---|
//! | `{{selector}}` | `canary-selector` in the canary's query, `baseline-selector` in the baseline's | `query`, `errors-query`, `requests-query` |
//! | `{{interval}}` | the `interval` input as a PromQL duration (`1m`, `30s`, `1500ms`) | every query, web `url`, `baseline-url` and `body` |
//! | `{{start}}`, `{{end}}` | the window's start and end, in Unix seconds | web `url`, `baseline-url` and `body` |
//!
//! One template with `{{selector}}` serves both sides, so the canary and the baseline are read
//! with the same query; a template without it would read the same series for both and is
//! refused when there is a baseline. `canary-query` / `baseline-query` give each side its own
//! query instead (kinds `value` and `latency`). Any other `{{name}}` is refused by name.
//!
//! Each look reads the window of one `interval` that ends `metrics-delay` before now:
//! - `prometheus`: one instant query per number, evaluated at the window's end
//!   (`/api/v1/query?time=`). For `error-rate`, `errors-query` and `requests-query` must
//!   return the *number* of bad events and requests in the window: write them with
//!   `increase(…[{{interval}}])`, so consecutive looks count disjoint windows (an
//!   overlapping `[5m]` at a one-minute interval would count every error five times). For
//!   `value` and `latency`, `query` gives the value at the window's end (for latency, in
//!   seconds: `histogram_quantile(0.99, sum by (le) (rate(…_bucket{{{selector}}}[{{interval}}])))`).
//! - `datadog`: the metrics query API over `[start, end]`; the points of the window are
//!   summed for `error-rate` (use `.as_count()`), averaged for `value` and `latency`.
//! - `web`: one request per side; the JSON paths pick the numbers out of the answer.
//!
//! A query that returns no series means "no data" (a count of 0 for `error-rate`, no value
//! otherwise), as does `NaN`. A query that returns several series is an error: aggregate it
//! (`sum(…)`, `sum:…`). Without `requests-query` (`requests-json-path` for `web`), a value
//! metric counts one request per interval with a value, so `min-requests` counts intervals.
//!
//! Secrets never go in the policy: `bearer-token-env`, `username-env`, `password-env`,
//! `api-key-env`, `application-key-env` and the values of web `headers` name environment
//! variables, read when the run starts and masked in the log before any request.

use std::time::Duration;

use indexmap::IndexMap;
use serde::Deserialize;

mod http_sources;
pub mod template;
mod validate;

pub use http_sources::{
    DEFAULT_DD_API_KEY_ENV, DEFAULT_DD_APPLICATION_KEY_ENV, DatadogSpec, PrometheusAuth,
    PrometheusSpec, Reading, WebSpec, check_env_name,
};
pub use validate::check_url;
use validate::metric;

/// Default false-rollback budget.
pub const DEFAULT_ALPHA: f64 = 0.05;
/// Default canary requests before a metric is judged, in canary mode. Probe mode defaults to
/// 1: a gate of N probe requests is judged on those N.
pub const DEFAULT_MIN_REQUESTS: u64 = 100;

/// The validated policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub alpha: f64,
    pub metrics: Vec<MetricSpec>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MetricSpec {
    pub name: String,
    pub source: Source,
    pub kind: Kind,
    /// Absolute bounds on the canary's value, in the metric's own units (fractions for rates,
    /// seconds for latency).
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub comparison: Option<Comparison>,
    /// A failing critical metric rolls back; a failing non-critical one is a warning.
    pub critical: bool,
    /// Value comparisons use the sequential t-test (per-interval values close to normal);
    /// `false` uses the distribution-free betting test. Ignored by count metrics.
    pub assume_normal: bool,
    pub min_requests: u64,
}

/// What the numbers are: counts of bad events (error rate, failed probes) or a value per
/// interval (latency, a custom metric).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    ErrorRate,
    SuccessRate,
    Latency,
    Value,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::ErrorRate => "error-rate",
            Kind::SuccessRate => "success-rate",
            Kind::Latency => "latency",
            Kind::Value => "value",
        }
    }

    /// Counted as bad events over requests (the error-count test applies).
    pub fn is_count(self) -> bool {
        matches!(self, Kind::ErrorRate | Kind::SuccessRate)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Comparison {
    /// The canary's value may be up to this many times the baseline's.
    MaxRatio(f64),
    /// The canary's value may exceed the baseline's by this much; `scale` is the difference
    /// worth one full unit of evidence per interval. For error rates the default scale,
    /// `1 + max-difference`, needs no assumption but gathers evidence slowly (rates are small);
    /// a smaller `scale` is faster and assumes per-interval differences symmetric about their
    /// mean. `max-ratio` is the better comparison for error rates.
    MaxDifference { limit: f64, scale: f64 },
}

/// A statistic of a value over an interval.
#[derive(Debug, Clone, PartialEq)]
pub enum Statistic {
    Average,
    Percentile(f64),
}

impl Statistic {
    /// CloudWatch's spelling: `Average`, `p99`.
    pub fn cloudwatch(&self) -> String {
        match self {
            Statistic::Average => "Average".into(),
            Statistic::Percentile(p) => format!("p{p}"),
        }
    }

    fn parse(raw: &str) -> Option<Statistic> {
        let lower = raw.to_ascii_lowercase();
        if lower == "average" || lower == "avg" || lower == "mean" {
            return Some(Statistic::Average);
        }
        let p: f64 = lower.strip_prefix('p')?.parse().ok()?;
        (p > 0.0 && p < 100.0).then_some(Statistic::Percentile(p))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// The ALB's own target-group metrics for the canary and stable target groups.
    Alb {
        statistic: Statistic,
    },
    CloudWatch(CloudWatchQuery),
    Probe(ProbeSpec),
    Prometheus(PrometheusSpec),
    Datadog(DatadogSpec),
    Web(WebSpec),
}

impl Source {
    pub fn as_str(&self) -> &'static str {
        match self {
            Source::Alb { .. } => "alb",
            Source::CloudWatch(_) => "cloudwatch",
            Source::Probe(_) => "probe",
            Source::Prometheus(_) => "prometheus",
            Source::Datadog(_) => "datadog",
            Source::Web(_) => "web",
        }
    }

    /// Whether the metric is read from CloudWatch (the ALB's metrics or a custom one): only
    /// these need a CloudWatch client and a CloudWatch period as the interval.
    pub fn reads_cloudwatch(&self) -> bool {
        matches!(self, Source::Alb { .. } | Source::CloudWatch(_))
    }

    /// Whether a baseline is read to compare the canary with.
    pub fn has_baseline(&self) -> bool {
        match self {
            Source::Alb { .. } => true,
            Source::CloudWatch(q) => q.baseline.is_some(),
            Source::Probe(p) => p.baseline_url.is_some(),
            Source::Prometheus(p) => p.baseline.is_some(),
            Source::Datadog(d) => d.baseline.is_some(),
            Source::Web(w) => w.baseline_url.is_some(),
        }
    }
}

impl Policy {
    /// Whether a metric signs its requests with the run's AWS credentials (a `prometheus`
    /// source with `auth: sigv4`, for Amazon Managed Prometheus): the run then needs AWS
    /// settings even in probe mode.
    pub fn needs_aws_credentials(&self) -> bool {
        self.metrics.iter().any(|m| {
            matches!(
                &m.source,
                Source::Prometheus(PrometheusSpec {
                    auth: PrometheusAuth::SigV4 { .. },
                    ..
                })
            )
        })
    }
}

/// A custom metric, one query per group.
#[derive(Debug, Clone, PartialEq)]
pub struct CloudWatchQuery {
    pub canary: MetricQuery,
    pub baseline: Option<MetricQuery>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum MetricQuery {
    Stat {
        namespace: String,
        metric: String,
        statistic: String,
        dimensions: Vec<(String, String)>,
    },
    /// Metric math (`SEARCH`, `SUM(...)`); real CloudWatch only.
    Expression(String),
}

/// HTTP probes of one URL (and of the baseline's, for comparisons).
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeSpec {
    pub url: String,
    pub baseline_url: Option<String>,
    pub method: String,
    pub expect_status: Vec<u16>,
    pub requests: u32,
    pub concurrency: u32,
    pub timeout: Duration,
    /// For latency: how the interval's request latencies are summarised.
    pub statistic: Statistic,
}

/// A policy field that is wrong: where, what it was, and what would be valid.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PolicyError {
    #[error("the policy is not valid YAML of the expected shape: {0}")]
    Syntax(String),
    #[error("policy field '{field}' is '{value}': expected {expected}")]
    Field {
        field: String,
        value: String,
        expected: String,
    },
}

fn field(
    field: impl Into<String>,
    value: impl ToString,
    expected: impl Into<String>,
) -> PolicyError {
    PolicyError::Field {
        field: field.into(),
        value: value.to_string(),
        expected: expected.into(),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPolicy {
    alpha: Option<f64>,
    min_requests: Option<u64>,
    metrics: IndexMap<String, RawMetric>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawMetric {
    source: String,
    kind: Option<String>,
    statistic: Option<String>,
    min: Option<f64>,
    max: Option<f64>,
    max_ratio: Option<f64>,
    max_difference: Option<f64>,
    scale: Option<f64>,
    critical: Option<bool>,
    min_requests: Option<u64>,
    assume_normal: Option<bool>,
    // cloudwatch
    namespace: Option<String>,
    metric: Option<String>,
    canary_dimensions: Option<IndexMap<String, String>>,
    baseline_dimensions: Option<IndexMap<String, String>>,
    canary_expression: Option<String>,
    baseline_expression: Option<String>,
    // probe
    url: Option<String>,
    baseline_url: Option<String>,
    method: Option<String>,
    expect_status: Option<StatusList>,
    requests: Option<u32>,
    concurrency: Option<u32>,
    timeout: Option<String>,
    // prometheus, datadog
    query: Option<String>,
    canary_query: Option<String>,
    baseline_query: Option<String>,
    errors_query: Option<String>,
    requests_query: Option<String>,
    canary_selector: Option<String>,
    baseline_selector: Option<String>,
    // prometheus
    auth: Option<String>,
    bearer_token_env: Option<String>,
    username_env: Option<String>,
    password_env: Option<String>,
    region: Option<String>,
    // datadog
    site: Option<String>,
    api_key_env: Option<String>,
    application_key_env: Option<String>,
    // web
    body: Option<String>,
    headers: Option<IndexMap<String, String>>,
    json_path: Option<String>,
    errors_json_path: Option<String>,
    requests_json_path: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum StatusList {
    One(u16),
    Many(Vec<u16>),
}

/// Fields that belong to some sources only, with those sources, to refuse them elsewhere.
const SOURCE_FIELDS: &[(&str, &[&str])] = &[
    ("namespace", &["cloudwatch"]),
    ("metric", &["cloudwatch"]),
    ("canary-dimensions", &["cloudwatch"]),
    ("baseline-dimensions", &["cloudwatch"]),
    ("canary-expression", &["cloudwatch"]),
    ("baseline-expression", &["cloudwatch"]),
    ("url", &["probe", "prometheus", "datadog", "web"]),
    ("baseline-url", &["probe", "web"]),
    ("method", &["probe", "web"]),
    ("expect-status", &["probe"]),
    ("requests", &["probe"]),
    ("concurrency", &["probe"]),
    ("timeout", &["probe", "prometheus", "datadog", "web"]),
    ("query", &["prometheus", "datadog"]),
    ("canary-query", &["prometheus", "datadog"]),
    ("baseline-query", &["prometheus", "datadog"]),
    ("errors-query", &["prometheus", "datadog"]),
    ("requests-query", &["prometheus", "datadog"]),
    ("canary-selector", &["prometheus", "datadog"]),
    ("baseline-selector", &["prometheus", "datadog"]),
    ("auth", &["prometheus"]),
    ("bearer-token-env", &["prometheus"]),
    ("username-env", &["prometheus"]),
    ("password-env", &["prometheus"]),
    ("region", &["prometheus"]),
    ("site", &["datadog"]),
    ("api-key-env", &["datadog"]),
    ("application-key-env", &["datadog"]),
    ("body", &["web"]),
    ("headers", &["web"]),
    ("json-path", &["web"]),
    ("errors-json-path", &["web"]),
    ("requests-json-path", &["web"]),
];

impl RawMetric {
    /// The source-specific fields that are set.
    fn present(&self) -> Vec<&'static str> {
        let set: [(&'static str, bool); 33] = [
            ("namespace", self.namespace.is_some()),
            ("metric", self.metric.is_some()),
            ("canary-dimensions", self.canary_dimensions.is_some()),
            ("baseline-dimensions", self.baseline_dimensions.is_some()),
            ("canary-expression", self.canary_expression.is_some()),
            ("baseline-expression", self.baseline_expression.is_some()),
            ("url", self.url.is_some()),
            ("baseline-url", self.baseline_url.is_some()),
            ("method", self.method.is_some()),
            ("expect-status", self.expect_status.is_some()),
            ("requests", self.requests.is_some()),
            ("concurrency", self.concurrency.is_some()),
            ("timeout", self.timeout.is_some()),
            ("query", self.query.is_some()),
            ("canary-query", self.canary_query.is_some()),
            ("baseline-query", self.baseline_query.is_some()),
            ("errors-query", self.errors_query.is_some()),
            ("requests-query", self.requests_query.is_some()),
            ("canary-selector", self.canary_selector.is_some()),
            ("baseline-selector", self.baseline_selector.is_some()),
            ("auth", self.auth.is_some()),
            ("bearer-token-env", self.bearer_token_env.is_some()),
            ("username-env", self.username_env.is_some()),
            ("password-env", self.password_env.is_some()),
            ("region", self.region.is_some()),
            ("site", self.site.is_some()),
            ("api-key-env", self.api_key_env.is_some()),
            ("application-key-env", self.application_key_env.is_some()),
            ("body", self.body.is_some()),
            ("headers", self.headers.is_some()),
            ("json-path", self.json_path.is_some()),
            ("errors-json-path", self.errors_json_path.is_some()),
            ("requests-json-path", self.requests_json_path.is_some()),
        ];
        set.into_iter()
            .filter(|(_, is_set)| *is_set)
            .map(|(name, _)| name)
            .collect()
    }
}

/// The sources a source-specific field belongs to.
fn sources_of(f: &str) -> &'static [&'static str] {
    SOURCE_FIELDS
        .iter()
        .find(|(name, _)| *name == f)
        .map(|(_, sources)| *sources)
        .unwrap_or_default()
}

/// Parses and validates a policy document with the canary-mode default for `min-requests`.
pub fn parse(yaml: &str) -> Result<Policy, PolicyError> {
    parse_with_default(yaml, DEFAULT_MIN_REQUESTS)
}

/// Parses and validates a policy document; `default_min_requests` applies where the policy
/// sets no `min-requests`.
pub fn parse_with_default(yaml: &str, default_min_requests: u64) -> Result<Policy, PolicyError> {
    let raw: RawPolicy =
        serde_saphyr::from_str(yaml).map_err(|e| PolicyError::Syntax(e.to_string()))?;
    let alpha = raw.alpha.unwrap_or(DEFAULT_ALPHA);
    if !(alpha > 0.0 && alpha <= 0.5) {
        return Err(field(
            "alpha",
            alpha,
            "a false-rollback probability above 0 and at most 0.5, such as 0.05 or 0.01",
        ));
    }
    let default_min = raw.min_requests.unwrap_or(default_min_requests);
    if raw.metrics.is_empty() {
        return Err(field("metrics", "{}", "at least one metric"));
    }
    let mut metrics = Vec::new();
    for (name, m) in raw.metrics {
        metrics.push(metric(&name, m, default_min)?);
    }
    if !metrics.iter().any(|m| m.critical) {
        return Err(field(
            "metrics.*.critical",
            "false",
            "at least one critical metric, or nothing could ever roll back",
        ));
    }
    Ok(Policy { alpha, metrics })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"
alpha: 0.01
min-requests: 200
metrics:
  errors:
    source: alb
    kind: error-rate
    max: 0.05
    max-ratio: 1.5
  p99:
    source: alb
    kind: latency
    statistic: p99
    max: 2.0
    max-ratio: 1.2
  checkout:
    source: cloudwatch
    namespace: Shop
    metric: CheckoutMillis
    statistic: Average
    canary-dimensions: {Service: shop-canary}
    baseline-dimensions: {Service: shop}
    max-difference: 50
    critical: false
  health:
    source: probe
    kind: success-rate
    url: https://canary.internal/health
    requests: 20
    concurrency: 4
    min: 0.95
"#;

    #[test]
    fn the_documented_example_parses() {
        let p = parse(FULL).unwrap();
        assert_eq!(p.alpha, 0.01);
        assert_eq!(p.metrics.len(), 4);
        assert_eq!(p.metrics[0].comparison, Some(Comparison::MaxRatio(1.5)));
        assert_eq!(p.metrics[0].min_requests, 200);
        assert_eq!(
            p.metrics[1].source,
            Source::Alb {
                statistic: Statistic::Percentile(99.0)
            }
        );
        assert_eq!(
            p.metrics[2].comparison,
            Some(Comparison::MaxDifference {
                limit: 50.0,
                scale: 200.0
            })
        );
        assert!(!p.metrics[2].critical);
        let Source::Probe(probe) = &p.metrics[3].source else {
            panic!()
        };
        assert_eq!(probe.requests, 20);
        assert_eq!(probe.expect_status, vec![200]);
        assert_eq!(probe.method, "GET");
    }

    /// Each bad policy: the field it must name and a word of what is valid.
    #[test]
    fn bad_policies_name_the_field_the_value_and_what_is_valid() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "alpha: 0\nmetrics: {e: {source: alb, kind: error-rate, max: 0.1}}",
                "'alpha' is '0'",
                "at most 0.5",
            ),
            ("metrics: {}", "'metrics'", "at least one metric"),
            (
                "metrics: {e: {source: newrelic, max: 1}}",
                "'metrics.e.source' is 'newrelic'",
                "alb, cloudwatch, probe, prometheus, datadog, web",
            ),
            (
                "metrics: {e: {source: alb, kind: cpu, max: 1}}",
                "'metrics.e.kind' is 'cpu'",
                "error-rate, latency",
            ),
            (
                "metrics: {e: {source: alb, kind: error-rate, max: 5}}",
                "'metrics.e.max' is '5'",
                "fraction",
            ),
            (
                "metrics: {e: {source: alb, kind: error-rate, min: 0.5, max: 0.1}}",
                "'metrics.e.min' is '0.5'",
                "at most max",
            ),
            (
                "metrics: {e: {source: alb, kind: error-rate, max-ratio: 0.5}}",
                "'metrics.e.max-ratio' is '0.5'",
                "from 1 to 100",
            ),
            (
                "metrics: {e: {source: alb, kind: error-rate, max-ratio: 2, max-difference: 0.1}}",
                "metrics.e.max-difference",
                "not both",
            ),
            (
                "metrics: {e: {source: alb, kind: error-rate}}",
                "metrics.e.max",
                "at least one rule",
            ),
            (
                "metrics: {e: {source: alb, kind: latency, statistic: p101, max: 1}}",
                "'metrics.e.statistic' is 'p101'",
                "percentile",
            ),
            (
                "metrics: {e: {source: probe, kind: success-rate, url: ftp://x/, min: 0.9}}",
                "'metrics.e.url' is 'ftp://x/'",
                "http:// or https://",
            ),
            (
                "metrics: {e: {source: probe, kind: success-rate, url: 'http://x/', min: 0.9, max-ratio: 2}}",
                "metrics.e.max-ratio",
                "baseline-url",
            ),
            (
                "metrics: {e: {source: probe, kind: latency, url: 'http://x/', max: 1, concurrency: 5, requests: 2}}",
                "'metrics.e.concurrency' is '5'",
                "at most requests",
            ),
            (
                "metrics: {e: {source: probe, kind: latency, url: 'http://x/', max: 1, timeout: forever}}",
                "'metrics.e.timeout' is 'forever'",
                "duration",
            ),
            (
                "metrics: {e: {source: probe, kind: latency, url: 'http://x/', max: 1, method: FETCH}}",
                "'metrics.e.method' is 'FETCH'",
                "GET",
            ),
            (
                "metrics: {e: {source: probe, kind: latency, url: 'http://x/', max: 1, expect-status: 700}}",
                "metrics.e.expect-status",
                "100 to 599",
            ),
            (
                "metrics: {e: {source: alb, kind: error-rate, max: 0.1, url: 'http://x/'}}",
                "metrics.e.url",
                "source: probe",
            ),
            (
                "metrics: {e: {source: cloudwatch, metric: M, max: 1, canary-dimensions: {A: b}}}",
                "metrics.e.namespace",
                "namespace",
            ),
            (
                "metrics: {e: {source: cloudwatch, namespace: N, metric: M, max-ratio: 2, canary-dimensions: {A: b}}}",
                "metrics.e.max-ratio",
                "baseline-dimensions",
            ),
            (
                "metrics: {e: {source: alb, kind: error-rate, max: 0.1, assume-normal: true}}",
                "metrics.e.assume-normal",
                "no assume-normal for count metrics",
            ),
            (
                "metrics: {e: {source: alb, kind: error-rate, max: 0.1, critical: false}}",
                "critical",
                "at least one critical",
            ),
            (
                "metrics: {'bad name': {source: alb, kind: error-rate, max: 0.1}}",
                "metrics.bad name",
                "letters, digits",
            ),
        ];
        for (yaml, field, valid) in cases {
            let e = parse(yaml).unwrap_err().to_string();
            assert!(e.contains(field), "{yaml}\n→ {e}\n(wanted {field})");
            assert!(e.contains(valid), "{yaml}\n→ {e}\n(wanted {valid})");
        }
    }

    /// The example at the top of this module parses.
    #[test]
    fn the_module_example_parses() {
        let docs = include_str!("mod.rs");
        let yaml: String = docs
            .lines()
            .skip_while(|l| !l.starts_with("//! ```yaml"))
            .skip(1)
            .take_while(|l| !l.starts_with("//! ```"))
            .map(|l| l.strip_prefix("//! ").unwrap_or("").to_string() + "\n")
            .collect();
        let p = parse(&yaml).unwrap();
        assert_eq!(p.metrics.len(), 7);
    }

    #[test]
    fn unknown_fields_and_broken_yaml_are_refused() {
        let e = parse("metrics: {e: {source: alb, kind: error-rate, max: 0.1, maximum: 2}}")
            .unwrap_err()
            .to_string();
        assert!(e.contains("maximum"), "{e}");
        let e = parse("metrics: [").unwrap_err().to_string();
        assert!(e.contains("not valid YAML"), "{e}");
    }
}

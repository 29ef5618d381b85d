//! Validating one entry of `metrics`: its name, the fields of its source (`alb`, `cloudwatch`,
//! `probe`, and the HTTP sources through [`super::http_sources`]), its thresholds and its
//! comparison with the baseline. Every error names the field, the value and what is valid.

use std::time::Duration;

use indexmap::IndexMap;

use super::http_sources::{base_url, check_site, http_kind, prometheus_auth, query_readings, web};
use super::{
    CloudWatchQuery, Comparison, DEFAULT_DD_API_KEY_ENV, DEFAULT_DD_APPLICATION_KEY_ENV,
    DatadogSpec, Kind, MetricQuery, MetricSpec, PolicyError, ProbeSpec, PrometheusSpec, RawMetric,
    Source, Statistic, StatusList, check_env_name, field, sources_of,
};

const MAX_PROBE_REQUESTS: u32 = 10_000;
const MAX_CONCURRENCY: u32 = 64;

pub(super) fn metric(
    name: &str,
    m: RawMetric,
    default_min: u64,
) -> Result<MetricSpec, PolicyError> {
    let at = |f: &str| format!("metrics.{name}.{f}");
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(field(
            format!("metrics.{name}"),
            name,
            "a metric name of letters, digits, '-', '_' and '.'",
        ));
    }
    let present = m.present();
    if let Some(f) = present
        .iter()
        .find(|f| !sources_of(f).contains(&m.source.as_str()))
    {
        let owners = sources_of(f);
        // An unknown source is reported as such below, not as a misplaced field.
        if ["alb", "cloudwatch", "probe", "prometheus", "datadog", "web"]
            .contains(&m.source.as_str())
        {
            return Err(field(
                at(f),
                "set",
                format!(
                    "no '{f}' for source '{}' (it belongs to source: {})",
                    m.source,
                    owners.join(", ")
                ),
            ));
        }
    }
    let statistic = |default: Statistic| -> Result<Statistic, PolicyError> {
        match &m.statistic {
            None => Ok(default),
            Some(s) => Statistic::parse(s).ok_or_else(|| {
                field(
                    at("statistic"),
                    s,
                    "average or a percentile such as p50, p95, p99, p99.9",
                )
            }),
        }
    };
    let kind_of = |valid: &[(&str, Kind)], default: Option<Kind>| -> Result<Kind, PolicyError> {
        let names: Vec<&str> = valid.iter().map(|v| v.0).collect();
        match &m.kind {
            None => default.ok_or_else(|| {
                field(
                    at("kind"),
                    "",
                    format!("one of {} for source '{}'", names.join(", "), m.source),
                )
            }),
            Some(k) => valid.iter().find(|v| v.0 == k).map(|v| v.1).ok_or_else(|| {
                field(
                    at("kind"),
                    k,
                    format!("one of {} for source '{}'", names.join(", "), m.source),
                )
            }),
        }
    };

    let (source, kind) = match m.source.as_str() {
        "alb" => {
            let kind = kind_of(
                &[("error-rate", Kind::ErrorRate), ("latency", Kind::Latency)],
                None,
            )?;
            if kind != Kind::Latency && m.statistic.is_some() {
                return Err(field(
                    at("statistic"),
                    m.statistic.as_deref().unwrap_or(""),
                    "no statistic for kind error-rate (only latency has one)",
                ));
            }
            (
                Source::Alb {
                    statistic: statistic(Statistic::Percentile(99.0))?,
                },
                kind,
            )
        }
        "cloudwatch" => {
            let kind = kind_of(
                &[("value", Kind::Value), ("latency", Kind::Latency)],
                Some(Kind::Value),
            )?;
            let stat = m.statistic.clone().unwrap_or_else(|| "Average".into());
            let query = |dims: &Option<IndexMap<String, String>>,
                         expr: &Option<String>,
                         side: &str|
             -> Result<Option<MetricQuery>, PolicyError> {
                match (dims, expr) {
                    (Some(_), Some(_)) => Err(field(
                        at(&format!("{side}-expression")),
                        "set",
                        format!(
                            "either {side}-dimensions (with namespace and metric) or {side}-expression, not both"
                        ),
                    )),
                    (None, Some(e)) if e.trim().is_empty() => Err(field(
                        at(&format!("{side}-expression")),
                        e,
                        "a CloudWatch metric math expression",
                    )),
                    (None, Some(e)) => Ok(Some(MetricQuery::Expression(e.clone()))),
                    (Some(d), None) => {
                        let namespace = m.namespace.clone().filter(|s| !s.trim().is_empty()).ok_or_else(|| field(at("namespace"), "", "the CloudWatch namespace of the metric, such as AWS/ApplicationELB or MyApp"))?;
                        let metric = m
                            .metric
                            .clone()
                            .filter(|s| !s.trim().is_empty())
                            .ok_or_else(|| field(at("metric"), "", "the CloudWatch metric name"))?;
                        Ok(Some(MetricQuery::Stat {
                            namespace,
                            metric,
                            statistic: stat.clone(),
                            dimensions: d.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                        }))
                    }
                    (None, None) => Ok(None),
                }
            };
            let canary =
                query(&m.canary_dimensions, &m.canary_expression, "canary")?.ok_or_else(|| {
                    field(
                        at("canary-dimensions"),
                        "",
                        "the canary's dimensions (with namespace and metric) or canary-expression",
                    )
                })?;
            let baseline = query(&m.baseline_dimensions, &m.baseline_expression, "baseline")?;
            (
                Source::CloudWatch(CloudWatchQuery { canary, baseline }),
                kind,
            )
        }
        "probe" => {
            let kind = kind_of(
                &[
                    ("success-rate", Kind::SuccessRate),
                    ("latency", Kind::Latency),
                ],
                None,
            )?;
            let url = m.url.clone().unwrap_or_default();
            check_url(&at("url"), &url)?;
            if let Some(b) = &m.baseline_url {
                check_url(&at("baseline-url"), b)?;
            }
            let method = m
                .method
                .clone()
                .unwrap_or_else(|| "GET".into())
                .to_ascii_uppercase();
            if !["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
                .contains(&method.as_str())
            {
                return Err(field(
                    at("method"),
                    &method,
                    "one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS",
                ));
            }
            let expect_status = match &m.expect_status {
                None => vec![200],
                Some(StatusList::One(s)) => vec![*s],
                Some(StatusList::Many(v)) => v.clone(),
            };
            if expect_status.is_empty() || expect_status.iter().any(|s| !(100..=599).contains(s)) {
                return Err(field(
                    at("expect-status"),
                    format!("{expect_status:?}"),
                    "an HTTP status or a list of them, each from 100 to 599",
                ));
            }
            let requests = m.requests.unwrap_or(10);
            if !(1..=MAX_PROBE_REQUESTS).contains(&requests) {
                return Err(field(
                    at("requests"),
                    requests,
                    format!("requests per interval from 1 to {MAX_PROBE_REQUESTS}"),
                ));
            }
            let concurrency = m.concurrency.unwrap_or(1);
            if !(1..=MAX_CONCURRENCY).contains(&concurrency) || concurrency > requests {
                return Err(field(
                    at("concurrency"),
                    concurrency,
                    format!("from 1 to {MAX_CONCURRENCY}, and at most requests ({requests})"),
                ));
            }
            let timeout = timeout_of(&m, &at("timeout"))?;
            if kind != Kind::Latency && m.statistic.is_some() {
                return Err(field(
                    at("statistic"),
                    m.statistic.as_deref().unwrap_or(""),
                    "no statistic for kind success-rate (only latency has one)",
                ));
            }
            let statistic = statistic(Statistic::Average)?;
            (
                Source::Probe(ProbeSpec {
                    url,
                    baseline_url: m.baseline_url.clone(),
                    method,
                    expect_status,
                    requests,
                    concurrency,
                    timeout,
                    statistic,
                }),
                kind,
            )
        }
        "prometheus" => {
            let kind = http_kind(&m, &at)?;
            let url = m.url.clone().unwrap_or_default();
            check_url(&at("url"), &url)?;
            let url = base_url(&at("url"), &url, "/api/v1/query")?;
            let auth = prometheus_auth(&m, &at, &url)?;
            let (canary, baseline) = query_readings(&m, kind, &at)?;
            (
                Source::Prometheus(PrometheusSpec {
                    url,
                    auth,
                    timeout: timeout_of(&m, &at("timeout"))?,
                    canary,
                    baseline,
                }),
                kind,
            )
        }
        "datadog" => {
            let kind = http_kind(&m, &at)?;
            let api_url = match (&m.site, &m.url) {
                (Some(_), Some(_)) => {
                    return Err(field(
                        at("url"),
                        "set",
                        "either site (Datadog's API at https://api.<site>) or url (another API base URL, such as a proxy), not both",
                    ));
                }
                (_, Some(url)) => {
                    check_url(&at("url"), url)?;
                    base_url(&at("url"), url, "/api/v1/query")?
                }
                (site, None) => {
                    let site = site.as_deref().unwrap_or("datadoghq.com");
                    check_site(&at("site"), site)?;
                    format!("https://api.{site}")
                }
            };
            let api_key_env = m
                .api_key_env
                .clone()
                .unwrap_or_else(|| DEFAULT_DD_API_KEY_ENV.into());
            check_env_name(&at("api-key-env"), &api_key_env)?;
            let application_key_env = m
                .application_key_env
                .clone()
                .unwrap_or_else(|| DEFAULT_DD_APPLICATION_KEY_ENV.into());
            check_env_name(&at("application-key-env"), &application_key_env)?;
            let (canary, baseline) = query_readings(&m, kind, &at)?;
            (
                Source::Datadog(DatadogSpec {
                    api_url,
                    api_key_env,
                    application_key_env,
                    timeout: timeout_of(&m, &at("timeout"))?,
                    canary,
                    baseline,
                }),
                kind,
            )
        }
        "web" => {
            let kind = http_kind(&m, &at)?;
            (Source::Web(web(&m, kind, &at)?), kind)
        }
        other => {
            return Err(field(
                at("source"),
                other,
                "one of alb, cloudwatch, probe, prometheus, datadog, web",
            ));
        }
    };

    // Thresholds in the metric's units.
    for (f, v) in [("min", m.min), ("max", m.max)] {
        if let Some(v) = v {
            let ok = v.is_finite() && v >= 0.0 && (!kind.is_count() || v <= 1.0);
            if !ok {
                let expected = if kind.is_count() {
                    "a fraction from 0 to 1, such as 0.05 for 5 %"
                } else if kind == Kind::Latency {
                    "seconds, 0 or more, such as 0.5"
                } else {
                    "a number, 0 or more"
                };
                return Err(field(at(f), v, expected));
            }
        }
    }
    if let (Some(min), Some(max)) = (m.min, m.max)
        && min > max
    {
        return Err(field(
            at("min"),
            min,
            format!("at most max ({max}): no value could pass both"),
        ));
    }
    let comparison = match (m.max_ratio, m.max_difference) {
        (Some(_), Some(_)) => {
            return Err(field(
                at("max-difference"),
                "set",
                "either max-ratio or max-difference, not both",
            ));
        }
        (Some(r), None) => {
            if !(r.is_finite() && (1.0..=100.0).contains(&r)) {
                return Err(field(
                    at("max-ratio"),
                    r,
                    "a ratio from 1 to 100 (1: the canary may be no worse than the baseline); below 1 would roll back a canary as good as the baseline",
                ));
            }
            if m.scale.is_some() {
                return Err(field(
                    at("scale"),
                    "set",
                    "no scale with max-ratio (only with max-difference)",
                ));
            }
            Some(Comparison::MaxRatio(r))
        }
        (None, Some(d)) => {
            if !(d.is_finite() && d >= 0.0) || (kind.is_count() && d >= 1.0) {
                return Err(field(
                    at("max-difference"),
                    d,
                    if kind.is_count() {
                        "a fraction from 0 to below 1, such as 0.01 for one percentage point"
                    } else {
                        "a difference of 0 or more, in the metric's units"
                    },
                ));
            }
            let scale = match m.scale {
                Some(s) if s.is_finite() && s > 0.0 => s,
                Some(s) => {
                    return Err(field(
                        at("scale"),
                        s,
                        "a positive difference worth one full unit of evidence",
                    ));
                }
                None if kind.is_count() => 1.0 + d,
                None if d > 0.0 => 4.0 * d,
                None => {
                    return Err(field(
                        at("scale"),
                        "",
                        "a positive scale when max-difference is 0 (the difference that counts as one unit of evidence)",
                    ));
                }
            };
            Some(Comparison::MaxDifference { limit: d, scale })
        }
        (None, None) => {
            if m.scale.is_some() {
                return Err(field(at("scale"), "set", "no scale without max-difference"));
            }
            None
        }
    };
    if let Some(c) = comparison
        && !source.has_baseline()
    {
        let what = match c {
            Comparison::MaxRatio(_) => "max-ratio",
            Comparison::MaxDifference { .. } => "max-difference",
        };
        let needs = match source {
            Source::Probe(_) | Source::Web(_) => "baseline-url",
            Source::Prometheus(_) | Source::Datadog(_) => {
                "baseline-selector (for the {{selector}} of the queries) or baseline-query"
            }
            _ => "baseline-dimensions or baseline-expression",
        };
        return Err(field(
            at(what),
            "set",
            format!("a baseline to compare with: add {needs}, or use min/max only"),
        ));
    }
    if kind.is_count() && m.assume_normal.is_some() {
        return Err(field(
            at("assume-normal"),
            "set",
            "no assume-normal for count metrics (error-rate, success-rate): it chooses the test for latency and value comparisons",
        ));
    }
    if m.min.is_none() && m.max.is_none() && comparison.is_none() {
        return Err(field(
            at("max"),
            "",
            "at least one rule: min or max (absolute), or max-ratio or max-difference (against the baseline)",
        ));
    }
    Ok(MetricSpec {
        name: name.to_string(),
        source,
        kind,
        min: m.min,
        max: m.max,
        comparison,
        critical: m.critical.unwrap_or(true),
        assume_normal: m.assume_normal.unwrap_or(true),
        min_requests: m.min_requests.unwrap_or(default_min),
    })
}

/// Probe URLs: http(s) with a host, nothing else.
pub fn check_url(at: &str, url: &str) -> Result<(), PolicyError> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or(""));
    match host {
        Some(h)
            if !h.is_empty()
                && !h.contains(char::is_whitespace)
                && !url.contains(char::is_whitespace) =>
        {
            Ok(())
        }
        _ => Err(field(
            at,
            url,
            "an http:// or https:// URL with a host, such as https://canary.example.com/health",
        )),
    }
}

/// A request timeout: `timeout`, default 10 s, at most 5 minutes.
pub(super) fn timeout_of(m: &RawMetric, at: &str) -> Result<Duration, PolicyError> {
    match &m.timeout {
        None => Ok(Duration::from_secs(10)),
        Some(t) => crate::duration::parse_duration(t)
            .filter(|d| !d.is_zero() && *d <= Duration::from_secs(300))
            .ok_or_else(|| {
                field(
                    at,
                    t,
                    "a duration above 0 and at most 5m, such as 500ms, 5s or 1m",
                )
            }),
    }
}

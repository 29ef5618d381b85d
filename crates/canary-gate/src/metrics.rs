//! Evidence from CloudWatch: the ALB's target-group metrics for the canary and the stable
//! (baseline) group, and custom metrics by statistic or by metric-math expression.
//!
//! Which queries a metric needs and how their values become an [`Interval`] is pure
//! ([`queries_for`], [`interval_from`]); [`CloudWatch`] is the one effect, one `GetMetricData`
//! call per look for every metric at once.
//!
//! ALB metrics (namespace `AWS/ApplicationELB`, dimensions `TargetGroup` and `LoadBalancer`):
//! `HTTPCode_Target_5XX_Count` and `RequestCount` (Sum) make the error rate; the ALB publishes
//! no data point for a minute without requests or errors, so a missing value counts as 0.
//! `TargetResponseTime` with the policy's statistic (p99, Average …) is the latency.

use std::time::SystemTime;

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
use aws_smithy_types::DateTime;

use crate::config::AlbTarget;
use crate::judge::{Interval, Observation};
use crate::policy::{Kind, MetricQuery, MetricSpec, Source};

pub const ALB_NAMESPACE: &str = "AWS/ApplicationELB";

#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error("CloudWatch GetMetricData failed: {0}")]
    Api(String),
}

/// Reads metric values over one window.
#[allow(async_fn_in_trait)]
pub trait CloudWatch {
    /// One value per query over `[start, end)`: the statistic over the whole window, `None`
    /// when CloudWatch has no data point.
    async fn values(
        &self,
        queries: &[MetricQuery],
        start: SystemTime,
        end: SystemTime,
    ) -> Result<Vec<Option<f64>>, MetricsError>;
}

/// `arn:…:targetgroup/web/73e2d6bc24d8a067` → `targetgroup/web/73e2d6bc24d8a067`.
pub fn target_group_dimension(arn: &str) -> String {
    arn.rsplit_once(':')
        .map(|(_, r)| r)
        .unwrap_or(arn)
        .to_string()
}

/// `arn:…:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2` → `app/web/50dc6c495c0c9188`.
pub fn load_balancer_dimension(listener_arn: &str) -> String {
    let resource = listener_arn
        .rsplit_once(':')
        .map(|(_, r)| r)
        .unwrap_or(listener_arn);
    let parts: Vec<&str> = resource.split('/').collect();
    // listener / app / name / lb-id / listener-id
    parts.get(1..4).map(|p| p.join("/")).unwrap_or_default()
}

fn alb_query(target: &AlbTarget, target_group: &str, metric: &str, statistic: &str) -> MetricQuery {
    MetricQuery::Stat {
        namespace: ALB_NAMESPACE.into(),
        metric: metric.into(),
        statistic: statistic.into(),
        dimensions: vec![
            ("TargetGroup".into(), target_group_dimension(target_group)),
            (
                "LoadBalancer".into(),
                load_balancer_dimension(&target.listener_arn),
            ),
        ],
    }
}

fn sample_count(q: &MetricQuery) -> Option<MetricQuery> {
    match q {
        MetricQuery::Stat {
            namespace,
            metric,
            dimensions,
            ..
        } => Some(MetricQuery::Stat {
            namespace: namespace.clone(),
            metric: metric.clone(),
            statistic: "SampleCount".into(),
            dimensions: dimensions.clone(),
        }),
        MetricQuery::Expression(_) => None,
    }
}

/// The queries a CloudWatch-sourced metric needs, canary's first; empty for probes.
pub fn queries_for(m: &MetricSpec, alb: Option<&AlbTarget>) -> Vec<MetricQuery> {
    match (&m.source, alb) {
        (Source::Alb { statistic }, Some(t)) => {
            let (c, b) = (&t.canary_target_group, &t.stable_target_group);
            let (metric, stat) = match m.kind {
                Kind::Latency => ("TargetResponseTime", statistic.cloudwatch()),
                _ => ("HTTPCode_Target_5XX_Count", "Sum".to_string()),
            };
            vec![
                alb_query(t, c, metric, &stat),
                alb_query(t, c, "RequestCount", "Sum"),
                alb_query(t, b, metric, &stat),
                alb_query(t, b, "RequestCount", "Sum"),
            ]
        }
        (Source::CloudWatch(q), _) => {
            let mut out = vec![q.canary.clone()];
            out.extend(sample_count(&q.canary));
            if let Some(b) = &q.baseline {
                out.push(b.clone());
                out.extend(sample_count(b));
            }
            out
        }
        _ => Vec::new(),
    }
}

/// The interval of `m` from the values of its [`queries_for`], in the same order.
pub fn interval_from(m: &MetricSpec, percent: u8, values: &[Option<f64>]) -> Interval {
    let count = |v: Option<f64>| v.map(|x| x.max(0.0).round() as u64).unwrap_or(0);
    let at = |i: usize| values.get(i).copied().flatten();
    match &m.source {
        Source::Alb { .. } => {
            let obs = |v: usize, r: usize| {
                if m.kind == Kind::Latency {
                    Observation {
                        bad: 0,
                        requests: count(at(r)),
                        value: at(v),
                    }
                } else {
                    Observation {
                        bad: count(at(v)),
                        requests: count(at(r)),
                        value: None,
                    }
                }
            };
            Interval {
                percent,
                canary: obs(0, 1),
                baseline: Some(obs(2, 3)),
            }
        }
        Source::CloudWatch(q) => {
            let stat = matches!(q.canary, MetricQuery::Stat { .. });
            let obs = |i: usize| {
                let value = at(i);
                let requests = if stat {
                    count(at(i + 1))
                } else {
                    u64::from(value.is_some())
                };
                Observation {
                    bad: 0,
                    requests,
                    value,
                }
            };
            let width = if stat { 2 } else { 1 };
            Interval {
                percent,
                canary: obs(0),
                baseline: q.baseline.as_ref().map(|_| obs(width)),
            }
        }
        // Read by their own sources (see crate::sources), not from CloudWatch.
        Source::Probe(_) | Source::Prometheus(_) | Source::Datadog(_) | Source::Web(_) => {
            Interval {
                percent,
                canary: Observation::default(),
                baseline: None,
            }
        }
    }
}

/// One query of GetMetricData or of a metric-math alarm, by `id`, over `period` seconds (left
/// for the caller to say whether it returns data).
pub(crate) fn data_query(
    id: &str,
    q: &MetricQuery,
    period: i32,
) -> aws_sdk_cloudwatch::types::builders::MetricDataQueryBuilder {
    match q {
        MetricQuery::Stat {
            namespace,
            metric,
            statistic,
            dimensions,
        } => {
            let mut metric = Metric::builder().namespace(namespace).metric_name(metric);
            for (k, v) in dimensions {
                metric = metric.dimensions(Dimension::builder().name(k).value(v).build());
            }
            MetricDataQuery::builder().id(id).metric_stat(
                MetricStat::builder()
                    .metric(metric.build())
                    .period(period)
                    .stat(statistic)
                    .build(),
            )
        }
        MetricQuery::Expression(e) => MetricDataQuery::builder()
            .id(id)
            .expression(e)
            .period(period),
    }
}

/// CloudWatch over the SDK.
#[derive(Debug, Clone)]
pub struct SdkCloudWatch {
    pub(crate) client: Client,
}

impl SdkCloudWatch {
    pub fn new(client: Client) -> SdkCloudWatch {
        SdkCloudWatch { client }
    }
}

impl CloudWatch for SdkCloudWatch {
    async fn values(
        &self,
        queries: &[MetricQuery],
        start: SystemTime,
        end: SystemTime,
    ) -> Result<Vec<Option<f64>>, MetricsError> {
        if queries.is_empty() {
            return Ok(Vec::new());
        }
        let secs = end
            .duration_since(start)
            .map(|d| d.as_secs())
            .unwrap_or(60)
            .max(1);
        // CloudWatch periods are 1, 5, 10, 30 or a multiple of 60 seconds.
        let period = if secs >= 60 {
            secs - secs % 60
        } else {
            [30, 10, 5, 1].into_iter().find(|p| *p <= secs).unwrap_or(1)
        };
        let period = i32::try_from(period).unwrap_or(i32::MAX);
        let mut request = self
            .client
            .get_metric_data()
            .start_time(DateTime::from(start))
            .end_time(DateTime::from(end));
        for (i, q) in queries.iter().enumerate() {
            let query = data_query(&format!("q{i}"), q, period);
            request = request.metric_data_queries(query.return_data(true).build());
        }
        let mut values: Vec<Vec<f64>> = vec![Vec::new(); queries.len()];
        let mut token: Option<String> = None;
        loop {
            let out = request
                .clone()
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(|e| MetricsError::Api(gantry_aws_setup::sdk_error::explain(&e)))?;
            for r in out.metric_data_results() {
                let index = r
                    .id()
                    .and_then(|id| id.strip_prefix('q'))
                    .and_then(|n| n.parse::<usize>().ok());
                if let Some(slot) = index.and_then(|i| values.get_mut(i)) {
                    slot.extend(r.values().iter().copied().filter(|v| v.is_finite()));
                }
            }
            token = out.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        Ok(queries
            .iter()
            .zip(values)
            .map(|(q, vs)| {
                if vs.is_empty() {
                    return None;
                }
                let additive = matches!(q, MetricQuery::Stat { statistic, .. } if statistic == "Sum" || statistic == "SampleCount");
                let sum: f64 = vs.iter().sum();
                Some(if additive { sum } else { sum / vs.len() as f64 })
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::parse;

    fn target() -> AlbTarget {
        AlbTarget {
            listener_arn: "arn:aws:elasticloadbalancing:us-east-1:1:listener/app/web/abc/def"
                .into(),
            rule_arn: None,
            stable_target_group: "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web/111"
                .into(),
            canary_target_group:
                "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web-canary/222".into(),
        }
    }

    #[test]
    fn dimensions_come_from_the_arns() {
        let t = target();
        assert_eq!(
            target_group_dimension(&t.canary_target_group),
            "targetgroup/web-canary/222"
        );
        assert_eq!(load_balancer_dimension(&t.listener_arn), "app/web/abc");
    }

    #[test]
    fn alb_error_rate_needs_four_sums_and_missing_points_count_as_zero() {
        let p = parse("metrics: {e: {source: alb, kind: error-rate, max: 0.1}}").unwrap();
        let q = queries_for(&p.metrics[0], Some(&target()));
        assert_eq!(q.len(), 4);
        let MetricQuery::Stat {
            metric,
            statistic,
            dimensions,
            ..
        } = &q[0]
        else {
            panic!()
        };
        assert_eq!(
            (metric.as_str(), statistic.as_str()),
            ("HTTPCode_Target_5XX_Count", "Sum")
        );
        assert_eq!(dimensions[0].1, "targetgroup/web-canary/222");
        let i = interval_from(
            &p.metrics[0],
            10,
            &[None, Some(100.0), Some(3.0), Some(900.0)],
        );
        assert_eq!((i.canary.bad, i.canary.requests), (0, 100));
        assert_eq!(i.baseline.map(|b| (b.bad, b.requests)), Some((3, 900)));
    }

    #[test]
    fn latency_uses_the_policy_statistic() {
        let p =
            parse("metrics: {l: {source: alb, kind: latency, statistic: p95, max: 1}}").unwrap();
        let q = queries_for(&p.metrics[0], Some(&target()));
        let MetricQuery::Stat {
            metric, statistic, ..
        } = &q[2]
        else {
            panic!()
        };
        assert_eq!(
            (metric.as_str(), statistic.as_str()),
            ("TargetResponseTime", "p95")
        );
        let i = interval_from(
            &p.metrics[0],
            25,
            &[Some(0.3), Some(50.0), Some(0.2), Some(150.0)],
        );
        assert_eq!(i.canary.value, Some(0.3));
        assert_eq!(i.canary.requests, 50);
    }
}

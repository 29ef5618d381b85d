//! The policy's hard thresholds as CloudWatch alarms that ECS itself watches during its own
//! CANARY or LINEAR deployment (`deploymentConfiguration.alarms` with rollback on).
//!
//! On that path ECS moves the traffic by itself: a runner that dies mid-shift (a killed VM, a
//! lost network) leaves nobody to judge, and ECS would finish the shift. With the alarms
//! attached, ECS rolls the deployment back on its own when one goes to ALARM, runner or not.
//! An alarm can only hold what one CloudWatch alarm can say, so it is the policy's absolute
//! bounds (`min` / `max`) of its critical metrics on the new revision, minute by minute:
//!
//! - ALB error rate: `IF(requests >= min-requests, 5xx / requests, 0)` per minute over `max`
//!   (a minute with fewer requests than the policy's `min-requests` never breaches);
//! - ALB latency: the policy's statistic of `TargetResponseTime` per minute, over `max` or under
//!   `min`;
//! - a CloudWatch metric: the canary's query, over `max` or under `min`;
//!
//! each in ALARM after 2 breaching minutes of 3 (missing data does not breach). Comparisons
//! against the baseline, probes, metric-math queries (an alarm takes no `SEARCH`) and
//! non-critical metrics are judged by the run only; the run says which.

use gantry_ecs::DeploymentAlarms;

use crate::config::AlbTarget;
use crate::metrics::{MetricsError, SdkCloudWatch, data_query, queries_for};
use crate::policy::{Kind, MetricQuery, MetricSpec, Policy, Source};

/// Seconds per evaluated data point.
pub const PERIOD: i32 = 60;
/// Data points evaluated, and how many of them must breach.
pub const EVALUATION_PERIODS: i32 = 3;
pub const DATAPOINTS_TO_ALARM: i32 = 2;

/// One alarm to put.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmSpec {
    pub name: String,
    pub description: String,
    /// Breaches above the threshold (`max`), else below it (`min`).
    pub above: bool,
    pub threshold: f64,
    pub value: AlarmValue,
}

/// What an alarm watches.
#[derive(Debug, Clone, PartialEq)]
pub enum AlarmValue {
    /// One statistic of one metric.
    Stat(MetricQuery),
    /// `errors / requests`, a minute counting once it has `min_requests`.
    Rate {
        errors: MetricQuery,
        requests: MetricQuery,
        min_requests: u64,
    },
}

/// The alarms of a policy, and the metrics no alarm can hold (with why), for the log.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlarmPlan {
    pub alarms: Vec<AlarmSpec>,
    pub unwatched: Vec<String>,
}

/// The prefix of every alarm canary-gate puts for `service` of `cluster` (an ARN or a name).
pub fn prefix(cluster: &str, service: &str) -> String {
    let cluster = cluster.rsplit('/').next().unwrap_or(cluster);
    format!("gantry-canary-gate/{cluster}/{service}/")
}

/// The alarms for `policy` on the new revision's side of `alb` (its `canary_target_group`).
pub fn plan(policy: &Policy, alb: &AlbTarget, prefix: &str) -> AlarmPlan {
    let mut out = AlarmPlan::default();
    for m in &policy.metrics {
        let bounds: Vec<(bool, f64)> = [(true, m.max), (false, m.min)]
            .into_iter()
            .filter_map(|(above, b)| b.map(|b| (above, b)))
            .collect();
        let why_not = if !m.critical {
            Some("not critical")
        } else if bounds.is_empty() {
            Some("no min or max: a comparison with the baseline needs the run")
        } else {
            None
        };
        let value = match (&m.source, why_not) {
            (_, Some(why)) => Err(why),
            (Source::Probe(_), _) => Err("a probe: only the run sends it"),
            (Source::Prometheus(_) | Source::Datadog(_) | Source::Web(_), _) => {
                Err("not a CloudWatch metric: only the run reads it")
            }
            (Source::CloudWatch(q), _) => match &q.canary {
                MetricQuery::Expression(_) => {
                    Err("metric math: a CloudWatch alarm takes no SEARCH")
                }
                stat => Ok(AlarmValue::Stat(stat.clone())),
            },
            (Source::Alb { .. }, _) => {
                let mut queries = queries_for(m, Some(alb)).into_iter();
                match (m.kind, queries.next(), queries.next()) {
                    (Kind::Latency, Some(latency), _) => Ok(AlarmValue::Stat(latency)),
                    (_, Some(errors), Some(requests)) => Ok(AlarmValue::Rate {
                        errors,
                        requests,
                        min_requests: m.min_requests,
                    }),
                    _ => Err("no ALB query"),
                }
            }
        };
        match value {
            Ok(value) => {
                for (above, threshold) in bounds {
                    out.alarms
                        .push(alarm(m, prefix, above, threshold, value.clone()));
                }
            }
            Err(why) => out.unwatched.push(format!("'{}' ({why})", m.name)),
        }
    }
    out
}

fn alarm(
    m: &MetricSpec,
    prefix: &str,
    above: bool,
    threshold: f64,
    value: AlarmValue,
) -> AlarmSpec {
    let bound = if above { "max" } else { "min" };
    AlarmSpec {
        name: format!("{prefix}{}-{bound}", m.name),
        description: format!(
            "canary-gate: the policy's {bound} of '{}' ({} {}) on the new revision; ECS rolls its deployment back when this alarm is in ALARM",
            m.name,
            m.kind.as_str(),
            threshold
        ),
        above,
        threshold,
        value,
    }
}

/// The service's deployment alarms with `ours` attached: the alarms it already has are kept
/// (but those of an earlier run, under `prefix`, that the policy no longer has), enabled, with
/// rollback. `None` when there is nothing to attach: the service's own stay as they are.
pub fn attach(
    existing: Option<&DeploymentAlarms>,
    ours: &[String],
    prefix: &str,
) -> Option<DeploymentAlarms> {
    if ours.is_empty() {
        return None;
    }
    let mut names: Vec<String> = existing
        .map(|a| a.names.clone())
        .unwrap_or_default()
        .into_iter()
        .filter(|n| !n.starts_with(prefix) || ours.contains(n))
        .collect();
    for n in ours {
        if !names.contains(n) {
            names.push(n.clone());
        }
    }
    Some(DeploymentAlarms {
        names,
        enable: true,
        rollback: true,
    })
}

/// Puts (creates or replaces) CloudWatch metric alarms.
#[allow(async_fn_in_trait)]
pub trait Alarms {
    async fn put_alarm(&self, alarm: &AlarmSpec) -> Result<(), MetricsError>;
}

impl Alarms for SdkCloudWatch {
    async fn put_alarm(&self, alarm: &AlarmSpec) -> Result<(), MetricsError> {
        use aws_sdk_cloudwatch::types::{ComparisonOperator, MetricDataQuery};
        let queries: Vec<MetricDataQuery> = match &alarm.value {
            AlarmValue::Stat(q) => vec![data_query("value", q, PERIOD).return_data(true).build()],
            AlarmValue::Rate {
                errors,
                requests,
                min_requests,
            } => vec![
                data_query("errors", errors, PERIOD)
                    .return_data(false)
                    .build(),
                data_query("requests", requests, PERIOD)
                    .return_data(false)
                    .build(),
                MetricDataQuery::builder()
                    .id("rate")
                    .expression(format!(
                        "IF(requests >= {min_requests}, errors / requests, 0)"
                    ))
                    .label("error rate")
                    .return_data(true)
                    .build(),
            ],
        };
        self.client
            .put_metric_alarm()
            .alarm_name(&alarm.name)
            .alarm_description(&alarm.description)
            .comparison_operator(if alarm.above {
                ComparisonOperator::GreaterThanThreshold
            } else {
                ComparisonOperator::LessThanThreshold
            })
            .threshold(alarm.threshold)
            .evaluation_periods(EVALUATION_PERIODS)
            .datapoints_to_alarm(DATAPOINTS_TO_ALARM)
            .treat_missing_data("notBreaching")
            .set_metrics(Some(queries))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| MetricsError::Api(gantry_aws_setup::sdk_error::explain(&e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::parse;

    fn alb() -> AlbTarget {
        AlbTarget {
            listener_arn: "arn:aws:elasticloadbalancing:us-east-1:1:listener/app/web/50dc/f2f7"
                .into(),
            rule_arn: None,
            stable_target_group: "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/blue/111"
                .into(),
            canary_target_group: "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/green/222"
                .into(),
        }
    }

    fn dimensions(q: &MetricQuery) -> Vec<(String, String)> {
        match q {
            MetricQuery::Stat { dimensions, .. } => dimensions.clone(),
            MetricQuery::Expression(_) => Vec::new(),
        }
    }

    #[test]
    fn hard_thresholds_of_critical_metrics_become_alarms_on_the_new_revision() {
        let policy = parse(
            "min-requests: 50
metrics:
  errors: {source: alb, kind: error-rate, max: 0.05, max-ratio: 1.5}
  p99: {source: alb, kind: latency, statistic: p99, min: 0.001, max: 2.0}
  ratio-only: {source: alb, kind: error-rate, max-ratio: 1.5}
  soft: {source: alb, kind: latency, max: 1.0, critical: false}
  health: {source: probe, kind: success-rate, url: 'http://127.0.0.1:1/', min: 0.95}
  checkout:
    source: cloudwatch
    namespace: Shop
    metric: CheckoutMillis
    statistic: Average
    canary-dimensions: {Service: shop-canary}
    max: 800
  searched: {source: cloudwatch, canary-expression: 'SUM(SEARCH(x))', max: 1}
",
        )
        .unwrap();
        let p = plan(&policy, &alb(), "gantry-canary-gate/c/api/");
        let names: Vec<(&str, bool, f64)> = p
            .alarms
            .iter()
            .map(|a| (a.name.as_str(), a.above, a.threshold))
            .collect();
        assert_eq!(
            names,
            [
                ("gantry-canary-gate/c/api/errors-max", true, 0.05),
                ("gantry-canary-gate/c/api/p99-max", true, 2.0),
                ("gantry-canary-gate/c/api/p99-min", false, 0.001),
                ("gantry-canary-gate/c/api/checkout-max", true, 800.0),
            ]
        );
        // The new revision's group, never the baseline's.
        let AlarmValue::Rate {
            errors,
            requests,
            min_requests,
        } = &p.alarms[0].value
        else {
            panic!("{:?}", p.alarms[0].value)
        };
        assert_eq!(*min_requests, 50);
        for q in [errors, requests] {
            assert_eq!(
                dimensions(q)[0],
                ("TargetGroup".into(), "targetgroup/green/222".into())
            );
        }
        let AlarmValue::Stat(MetricQuery::Stat {
            metric, statistic, ..
        }) = &p.alarms[1].value
        else {
            panic!("{:?}", p.alarms[1].value)
        };
        assert_eq!(
            (metric.as_str(), statistic.as_str()),
            ("TargetResponseTime", "p99")
        );
        assert_eq!(
            p.unwatched,
            [
                "'ratio-only' (no min or max: a comparison with the baseline needs the run)",
                "'soft' (not critical)",
                "'health' (a probe: only the run sends it)",
                "'searched' (metric math: a CloudWatch alarm takes no SEARCH)",
            ]
        );
    }

    #[test]
    fn alarms_are_attached_beside_the_services_own() {
        let prefix = "gantry-canary-gate/c/api/";
        let ours = vec![format!("{prefix}errors-max")];
        let theirs = |names: &[&str], rollback: bool| DeploymentAlarms {
            names: names.iter().map(|n| n.to_string()).collect(),
            enable: false,
            rollback,
        };
        // (name, the service's, ours, attached names; None: leave the service's)
        type Case<'a> = (
            &'a str,
            Option<DeploymentAlarms>,
            &'a [String],
            Option<Vec<String>>,
        );
        let table: &[Case] = &[
            ("none before", None, &ours, Some(ours.clone())),
            (
                "the team's kept, ours after",
                Some(theirs(&["team-5xx"], false)),
                &ours,
                Some(vec!["team-5xx".into(), ours[0].clone()]),
            ),
            (
                "an earlier run's alarm the policy dropped is detached",
                Some(theirs(
                    &["team-5xx", &format!("{prefix}old-max"), &ours[0]],
                    true,
                )),
                &ours,
                Some(vec!["team-5xx".into(), ours[0].clone()]),
            ),
            (
                "nothing to attach",
                Some(theirs(&["team-5xx"], false)),
                &[],
                None,
            ),
        ];
        for (name, existing, ours, want) in table {
            let got = attach(existing.as_ref(), ours, prefix);
            assert_eq!(got.as_ref().map(|a| a.names.clone()), *want, "{name}");
            if let Some(a) = got {
                assert!(a.enable && a.rollback, "{name}: ECS must roll back on them");
            }
        }
    }

    #[test]
    fn the_prefix_names_the_cluster_not_its_arn() {
        assert_eq!(
            prefix("arn:aws:ecs:us-east-1:1:cluster/prod", "api"),
            "gantry-canary-gate/prod/api/"
        );
        assert_eq!(prefix("prod", "api"), "gantry-canary-gate/prod/api/");
    }
}

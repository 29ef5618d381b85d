//! `judge(&samples, &policy) -> Verdict`: the evidence so far against the policy. Pure; the run
//! calls it after every interval with the whole history, and the sequential tests replay it
//! (a few hundred intervals at most), so a verdict never depends on hidden state.
//!
//! Per metric, in order:
//! 1. fewer canary requests than `min-requests` → **inconclusive** (nothing is judged on too
//!    little traffic);
//! 2. the canary's value over the analysis breaks `min` / `max` → **fail**;
//! 3. the comparison with the baseline (see [`crate::stats`]) crosses its e-value bound at any
//!    look → **fail**;
//! 4. otherwise **pass**, marked *proven* when the mirror-image test also shows the canary
//!    within tolerance.
//!
//! The false-rollback budget `alpha` is split evenly (Bonferroni) across the critical metrics
//! that compare with the baseline, so the whole analysis, all metrics and all looks together,
//! rolls back a canary that meets every tolerance with probability at most `alpha`.
//!
//! The decision: any critical metric failing → **rollback**; else any critical metric
//! inconclusive → **inconclusive**; else **promote**. Non-critical failures are warnings.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::policy::{Comparison, Kind, MetricSpec, Policy};
use crate::stats::confidence_sequence::BettingTest;
use crate::stats::group_sequential;
use crate::stats::sequential_t::SequentialT;
use crate::stats::sprt::{Count, ErrorCountTest};

/// One group's numbers for one metric in one interval.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Observation {
    /// Bad events (errors, failed probes) for count metrics.
    pub bad: u64,
    /// Requests served in the interval (the traffic `min-requests` counts).
    pub requests: u64,
    /// The interval's value for value metrics (latency in seconds, a custom value); `None`
    /// when the source had no data point.
    pub value: Option<f64>,
}

/// One interval of one metric.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    /// The canary's traffic share during the interval.
    pub percent: u8,
    pub canary: Observation,
    pub baseline: Option<Observation>,
}

/// Every interval observed so far, by metric name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Samples {
    pub series: BTreeMap<String, Vec<Interval>>,
    /// The canary's planned share (percent) at every look of the analysis, when the steps fix
    /// them: error-rate comparisons then spend most of their budget over those looks (see
    /// [`crate::stats::group_sequential`]). `None`: an open horizon, anytime-valid tests only.
    pub horizon: Option<Vec<u8>>,
}

impl Samples {
    pub fn push(&mut self, metric: &str, interval: Interval) {
        self.series
            .entry(metric.to_string())
            .or_default()
            .push(interval);
    }

    pub fn of(&self, metric: &str) -> &[Interval] {
        self.series
            .get(metric)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    Promote,
    Rollback,
    Inconclusive,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Promote => "promote",
            Decision::Rollback => "rollback",
            Decision::Inconclusive => "inconclusive",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pass,
    Fail,
    Inconclusive,
}

/// The verdict on one metric, with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct MetricVerdict {
    pub metric: String,
    pub kind: &'static str,
    pub critical: bool,
    pub status: Status,
    pub reason: String,
    /// The canary's value over the analysis (a rate for count metrics).
    pub canary: Option<f64>,
    pub baseline: Option<f64>,
    pub canary_requests: u64,
    /// The largest e-value of the regression test at any look (≥ 1/alpha-share rolls back).
    pub e_value: Option<f64>,
    /// The e-value bound this metric had to reach to fail.
    pub e_value_bound: Option<f64>,
    /// The mirror-image test proved the canary within tolerance.
    pub proven: bool,
    /// For ratio comparisons of values: the (distribution-free) confidence interval on
    /// canary/baseline now.
    pub ratio_interval: Option<(f64, f64)>,
    /// With a known horizon, error-rate ratios: the group-sequential `z` and its boundary at
    /// the latest look.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub z: Option<(f64, f64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub decision: Decision,
    pub reason: String,
    pub metrics: Vec<MetricVerdict>,
}

pub fn judge(samples: &Samples, policy: &Policy) -> Verdict {
    let comparing = policy
        .metrics
        .iter()
        .filter(|m| m.critical && m.comparison.is_some())
        .count()
        .max(1);
    let alpha_each = policy.alpha / comparing as f64;
    let metrics: Vec<MetricVerdict> = policy
        .metrics
        .iter()
        .map(|m| {
            judge_metric(
                m,
                samples.of(&m.name),
                alpha_each,
                samples.horizon.as_deref(),
            )
        })
        .collect();

    let failed: Vec<&MetricVerdict> = metrics
        .iter()
        .filter(|v| v.critical && v.status == Status::Fail)
        .collect();
    let waiting: Vec<&MetricVerdict> = metrics
        .iter()
        .filter(|v| v.critical && v.status == Status::Inconclusive)
        .collect();
    let warnings: Vec<&MetricVerdict> = metrics
        .iter()
        .filter(|v| !v.critical && v.status == Status::Fail)
        .collect();
    let list = |vs: &[&MetricVerdict]| {
        vs.iter()
            .map(|v| format!("{}: {}", v.metric, v.reason))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let (decision, mut reason) = if !failed.is_empty() {
        (Decision::Rollback, format!("rollback: {}", list(&failed)))
    } else if !waiting.is_empty() {
        (
            Decision::Inconclusive,
            format!("inconclusive: {}", list(&waiting)),
        )
    } else {
        let comparing: Vec<&MetricVerdict> = metrics
            .iter()
            .filter(|v| v.critical && v.e_value.is_some())
            .collect();
        let proven = comparing.iter().filter(|v| v.proven).count();
        let reason = if comparing.is_empty() {
            "promote: every critical metric passed".to_string()
        } else {
            format!(
                "promote: every critical metric passed ({proven} of {} comparisons proven within tolerance)",
                comparing.len()
            )
        };
        (Decision::Promote, reason)
    };
    if !warnings.is_empty() {
        reason.push_str(&format!(
            " (non-critical, not acted on: {})",
            list(&warnings)
        ));
    }
    Verdict {
        decision,
        reason,
        metrics,
    }
}

/// The share of a metric's budget the anytime-valid test keeps when the horizon is known, to
/// stop gross failures at once; the rest is spent over the looks.
pub const ANYTIME_SHARE: f64 = 0.05;

fn judge_metric(
    m: &MetricSpec,
    intervals: &[Interval],
    alpha: f64,
    horizon: Option<&[u8]>,
) -> MetricVerdict {
    let canary_requests: u64 = intervals.iter().map(|i| i.canary.requests).sum();
    // A known horizon: the group-sequential test of error-rate ratios takes most of the budget.
    let staged = match (m.comparison, horizon) {
        (Some(Comparison::MaxRatio(r)), Some(planned))
            if m.kind.is_count() && !planned.is_empty() =>
        {
            let counts: Vec<(u64, u64, u64, u64)> = intervals
                .iter()
                .filter_map(|i| {
                    let b = i.baseline?;
                    Some((i.canary.bad, i.canary.requests, b.bad, b.requests))
                })
                .collect();
            let (looks, fractions) = group_sequential::by_step(&counts, planned, r);
            let look = group_sequential::test(&looks, &fractions, alpha * (1.0 - ANYTIME_SHARE));
            Some(look)
        }
        _ => None,
    };
    let alpha = if staged.is_some() {
        alpha * ANYTIME_SHARE
    } else {
        alpha
    };
    let mut v = MetricVerdict {
        metric: m.name.clone(),
        kind: m.kind.as_str(),
        critical: m.critical,
        status: Status::Pass,
        reason: String::new(),
        canary: None,
        baseline: None,
        canary_requests,
        e_value: None,
        e_value_bound: m.comparison.map(|_| 1.0 / alpha),
        proven: false,
        ratio_interval: None,
        z: staged.map(|l| (l.z, l.bound)),
    };
    let (canary, baseline) = if m.kind.is_count() {
        summarise_counts(m.kind, intervals)
    } else {
        summarise_values(intervals)
    };
    v.canary = canary;
    v.baseline = baseline;

    // The comparison runs over every interval so far; its evidence is reported even while
    // the metric waits for traffic.
    let mut regression = false;
    if let Some(c) = m.comparison {
        let (e, proven, interval) = compare(m, c, intervals, alpha);
        v.e_value = Some(e);
        v.proven = proven;
        v.ratio_interval = interval;
        regression = e >= 1.0 / alpha || staged.is_some_and(|l| l.crossed_at.is_some());
    }

    if canary_requests < m.min_requests {
        v.status = Status::Inconclusive;
        v.reason = format!(
            "the canary served {canary_requests} requests, fewer than min-requests {}: lengthen the steps, raise the first weights, or lower min-requests",
            m.min_requests
        );
        return v;
    }
    let Some(value) = canary else {
        v.status = Status::Inconclusive;
        v.reason = "no data for the canary: check the metric's source (dimensions, URL) and that the canary receives traffic".into();
        return v;
    };
    let shown = |x: f64| show(m.kind, x);
    if let Some(max) = m.max
        && value > max
    {
        v.status = Status::Fail;
        v.reason = format!(
            "{} is {}, above the maximum {}",
            m.kind.as_str(),
            shown(value),
            shown(max)
        );
        return v;
    }
    if let Some(min) = m.min
        && value < min
    {
        v.status = Status::Fail;
        v.reason = format!(
            "{} is {}, below the minimum {}",
            m.kind.as_str(),
            shown(value),
            shown(min)
        );
        return v;
    }
    let against = baseline
        .map(|b| format!(" against {} for the baseline", shown(b)))
        .unwrap_or_default();
    if regression {
        v.status = Status::Fail;
        let evidence = match staged {
            Some(group_sequential::Look {
                crossed_at: Some(k),
                z,
                bound,
            }) if v.e_value.unwrap_or(0.0) < 1.0 / alpha => {
                format!("z {z:.2} ≥ {bound:.2} at the end of step {k}")
            }
            _ => format!(
                "e-value {:.1} ≥ {:.0}",
                v.e_value.unwrap_or(0.0),
                1.0 / alpha
            ),
        };
        v.reason = format!(
            "{} is {}{against}: worse than the {} allows ({evidence})",
            m.kind.as_str(),
            shown(value),
            tolerance(m),
        );
        return v;
    }
    v.reason = format!(
        "{} is {}{against}{}",
        m.kind.as_str(),
        shown(value),
        if v.proven {
            format!(", proven within the {}", tolerance(m))
        } else if m.comparison.is_some() {
            format!(", no evidence of a regression beyond the {}", tolerance(m))
        } else {
            ", within its thresholds".into()
        }
    );
    v
}

fn tolerance(m: &MetricSpec) -> String {
    match m.comparison {
        Some(Comparison::MaxRatio(r)) => format!("max-ratio {r}"),
        Some(Comparison::MaxDifference { limit, .. }) => format!(
            "max-difference {}",
            show(m.kind, limit).trim_start_matches('+')
        ),
        None => "thresholds".into(),
    }
}

/// A value as the user reads it: percentages for rates, milliseconds for latency.
pub fn show(kind: Kind, x: f64) -> String {
    match kind {
        Kind::ErrorRate | Kind::SuccessRate => format!("{:.2} %", x * 100.0),
        Kind::Latency => format!("{:.0} ms", x * 1000.0),
        Kind::Value => format!("{x:.4}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string(),
    }
}

/// Cumulative rates, in the metric's own sense (success rate for success-rate).
fn summarise_counts(kind: Kind, intervals: &[Interval]) -> (Option<f64>, Option<f64>) {
    let rate = |bad: u64, total: u64| {
        (total > 0).then(|| {
            let r = bad as f64 / total as f64;
            if kind == Kind::SuccessRate {
                1.0 - r
            } else {
                r
            }
        })
    };
    let c = intervals.iter().fold((0, 0), |(b, t), i| {
        (b + i.canary.bad, t + i.canary.requests)
    });
    let base: Vec<Observation> = intervals.iter().filter_map(|i| i.baseline).collect();
    let b = base
        .iter()
        .fold((0, 0), |(b, t), o| (b + o.bad, t + o.requests));
    (
        rate(c.0, c.1),
        if base.is_empty() {
            None
        } else {
            rate(b.0, b.1)
        },
    )
}

fn summarise_values(intervals: &[Interval]) -> (Option<f64>, Option<f64>) {
    let mean = |xs: Vec<f64>| (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64);
    (
        mean(intervals.iter().filter_map(|i| i.canary.value).collect()),
        mean(
            intervals
                .iter()
                .filter_map(|i| i.baseline.and_then(|b| b.value))
                .collect(),
        ),
    )
}

/// The regression e-value (max over looks), whether the canary is proven within tolerance,
/// and for value ratios the confidence interval on the ratio.
fn compare(
    m: &MetricSpec,
    c: Comparison,
    intervals: &[Interval],
    alpha: f64,
) -> (f64, bool, Option<(f64, f64)>) {
    let paired = || {
        intervals
            .iter()
            .filter_map(|i| i.baseline.map(|b| (i.canary, b)))
    };
    if m.kind.is_count() {
        return match c {
            Comparison::MaxRatio(r) => {
                let mut t = ErrorCountTest::new(r);
                for (c, b) in paired() {
                    t.observe(
                        Count {
                            errors: c.bad,
                            requests: c.requests,
                        },
                        Count {
                            errors: b.bad,
                            requests: b.requests,
                        },
                    );
                }
                (t.max_e_value(), t.within_tolerance(alpha), None)
            }
            Comparison::MaxDifference { limit, scale } => {
                // Per-interval rate differences are bounded: the betting test needs nothing
                // more than their mean.
                let mut t = BettingTest::new(scale);
                for (c, b) in paired() {
                    if c.requests > 0 && b.requests > 0 {
                        t.observe(
                            c.bad as f64 / c.requests as f64 - b.bad as f64 / b.requests as f64,
                        );
                    }
                }
                (
                    t.max_e_value_above(limit),
                    t.max_e_value_below(limit) >= 1.0 / alpha,
                    None,
                )
            }
        };
    }
    // Values: log-ratios or differences per interval where both groups have a value.
    let (ds, mu0, scale, ratio): (Vec<f64>, f64, f64, bool) = match c {
        Comparison::MaxRatio(r) => (
            paired()
                .filter_map(|(c, b)| match (c.value, b.value) {
                    (Some(x), Some(y)) if x > 0.0 && y > 0.0 => Some((x / y).ln()),
                    _ => None,
                })
                .collect(),
            r.ln(),
            LOG_RATIO_SCALE,
            true,
        ),
        Comparison::MaxDifference { limit, scale } => (
            paired()
                .filter_map(|(c, b)| Some(c.value? - b.value?))
                .collect(),
            limit,
            scale,
            false,
        ),
    };
    let mut betting = BettingTest::new(scale);
    let mut t_test = SequentialT::default();
    for d in &ds {
        betting.observe(*d);
        t_test.observe(*d);
    }
    // The interval shown is the distribution-free one, whichever test decides.
    let interval = (ratio && !betting.is_empty()).then(|| {
        let (lo, hi) = betting.interval(alpha);
        (lo.exp(), hi.exp())
    });
    if m.assume_normal {
        (
            t_test.max_e_value_above(mu0),
            t_test.max_e_value_below(mu0) >= 1.0 / alpha,
            interval,
        )
    } else {
        (
            betting.max_e_value_above(mu0),
            betting.max_e_value_below(mu0) >= 1.0 / alpha,
            interval,
        )
    }
}

/// Log-ratios are clipped at ±0.5 around the tolerance (a factor of about 1.65).
pub const LOG_RATIO_SCALE: f64 = 0.5;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::parse;

    fn count(bad: u64, requests: u64) -> Observation {
        Observation {
            bad,
            requests,
            value: None,
        }
    }

    fn value(v: f64, requests: u64) -> Observation {
        Observation {
            bad: 0,
            requests,
            value: Some(v),
        }
    }

    const POLICY: &str = "
alpha: 0.05
min-requests: 100
metrics:
  errors: {source: alb, kind: error-rate, max: 0.05, max-ratio: 1}
  latency: {source: alb, kind: latency, statistic: p99, max: 2.0, max-ratio: 1.2}
";

    fn samples(n: usize, canary_err: u64, canary_latency: f64) -> Samples {
        let mut s = Samples::default();
        for _ in 0..n {
            s.push(
                "errors",
                Interval {
                    percent: 10,
                    canary: count(canary_err, 100),
                    baseline: Some(count(9, 900)),
                },
            );
            s.push(
                "latency",
                Interval {
                    percent: 10,
                    canary: value(canary_latency, 100),
                    baseline: Some(value(0.2, 900)),
                },
            );
        }
        s
    }

    #[test]
    fn a_healthy_canary_is_promoted_with_evidence() {
        let p = parse(POLICY).unwrap();
        let v = judge(&samples(12, 1, 0.2), &p);
        assert_eq!(v.decision, Decision::Promote, "{}", v.reason);
        assert!(v.metrics.iter().all(|m| m.status == Status::Pass));
        assert_eq!(v.metrics[0].canary, Some(0.01));
        assert_eq!(
            v.metrics[0].e_value_bound,
            Some(40.0),
            "alpha split over two metrics"
        );
        let (lo, hi) = v.metrics[1].ratio_interval.unwrap();
        assert!(lo <= 1.0 && 1.0 <= hi, "({lo}, {hi})");
    }

    #[test]
    fn too_little_traffic_is_inconclusive_and_says_what_to_do() {
        let p = parse(POLICY).unwrap();
        let v = judge(&samples(0, 0, 0.2), &p);
        assert_eq!(v.decision, Decision::Inconclusive);
        assert!(
            v.reason.contains("fewer than min-requests 100"),
            "{}",
            v.reason
        );
        assert!(v.reason.contains("lengthen the steps"), "{}", v.reason);
    }

    #[test]
    fn a_threshold_breach_rolls_back() {
        let p = parse(POLICY).unwrap();
        let v = judge(&samples(2, 1, 2.5), &p);
        assert_eq!(v.decision, Decision::Rollback, "{}", v.reason);
        assert!(
            v.reason
                .contains("latency: latency is 2500 ms, above the maximum 2000 ms"),
            "{}",
            v.reason
        );
    }

    #[test]
    fn a_statistical_regression_rolls_back() {
        let p = parse(POLICY).unwrap();
        // 4 % against 1 %: under the 5 % threshold, but four times the baseline.
        let v = judge(&samples(10, 4, 0.2), &p);
        assert_eq!(v.decision, Decision::Rollback, "{}", v.reason);
        let errors = &v.metrics[0];
        assert_eq!(errors.status, Status::Fail);
        assert!(
            errors.reason.contains("worse than the max-ratio 1 allows"),
            "{}",
            errors.reason
        );
        // Latency twice the baseline's, beyond a 1.2 ratio: caught within a few looks.
        let v = judge(&samples(8, 1, 0.4), &p);
        assert_eq!(v.metrics[1].status, Status::Fail, "{}", v.metrics[1].reason);
    }

    #[test]
    fn the_distribution_free_test_is_slower_but_also_catches_a_slow_canary() {
        let p = parse(
            "metrics:
  latency: {source: alb, kind: latency, max-ratio: 1.2, assume-normal: false}",
        )
        .unwrap();
        let normal = parse(
            "metrics:
  latency: {source: alb, kind: latency, max-ratio: 1.2}",
        )
        .unwrap();
        // Twice the baseline: the t-test needs a handful of looks, the betting test about ten.
        assert_eq!(
            judge(&samples(6, 1, 0.4), &normal).decision,
            Decision::Rollback
        );
        assert_eq!(judge(&samples(6, 1, 0.4), &p).decision, Decision::Promote);
        assert_eq!(judge(&samples(12, 1, 0.4), &p).decision, Decision::Rollback);
    }

    #[test]
    fn error_rate_differences_are_tested_per_interval() {
        let p = parse(
            "min-requests: 100
metrics:
  errors: {source: alb, kind: error-rate, max-difference: 0.01, scale: 0.05}",
        )
        .unwrap();
        // 1 % against 1 %: within one percentage point. 11 % against 1 %: far beyond it.
        assert_eq!(judge(&samples(10, 1, 0.2), &p).decision, Decision::Promote);
        let v = judge(&samples(10, 11, 0.2), &p);
        assert_eq!(v.decision, Decision::Rollback, "{}", v.reason);
        assert!(v.reason.contains("max-difference 1.00 %"), "{}", v.reason);
    }

    #[test]
    fn non_critical_failures_are_warnings() {
        let p = parse(
            "metrics:
  errors: {source: alb, kind: error-rate, max: 0.05}
  latency: {source: alb, kind: latency, max: 0.1, critical: false}",
        )
        .unwrap();
        let v = judge(&samples(3, 1, 0.5), &p);
        assert_eq!(v.decision, Decision::Promote, "{}", v.reason);
        assert!(
            v.reason.contains("non-critical, not acted on: latency"),
            "{}",
            v.reason
        );
    }

    #[test]
    fn success_rate_thresholds_read_as_success() {
        let p = parse(
            "min-requests: 10
metrics:
  ok: {source: probe, kind: success-rate, url: 'http://127.0.0.1/', min: 0.95}",
        )
        .unwrap();
        let mut s = Samples::default();
        s.push(
            "ok",
            Interval {
                percent: 0,
                canary: count(1, 20),
                baseline: None,
            },
        );
        assert_eq!(judge(&s, &p).decision, Decision::Promote);
        s.push(
            "ok",
            Interval {
                percent: 0,
                canary: count(3, 20),
                baseline: None,
            },
        );
        let v = judge(&s, &p);
        assert_eq!(v.decision, Decision::Rollback);
        assert!(
            v.reason
                .contains("success-rate is 90.00 %, below the minimum 95.00 %"),
            "{}",
            v.reason
        );
    }
}
#[cfg(test)]
mod horizon_tests {
    use super::*;
    use crate::policy::parse;
    use crate::stats::rng::Rng;

    /// Rollbacks of `runs` canaries walking 10/25/50 % × 8 one-minute looks at 1,000 requests
    /// a minute, the baseline failing 1 % of requests and the canary `canary_error`.
    fn rollbacks(canary_error: f64, runs: usize, seed: u64) -> usize {
        let policy = parse(
            "alpha: 0.01\nmin-requests: 50\nmetrics:\n  errors: {source: alb, kind: error-rate, max-ratio: 1}",
        )
        .unwrap();
        let steps = [(10u8, 8), (25, 8), (50, 8)];
        let planned: Vec<u8> = steps
            .iter()
            .flat_map(|(p, n)| std::iter::repeat_n(*p, *n))
            .collect();
        let mut rng = Rng::new(seed);
        let mut rolled_back = 0;
        for _ in 0..runs {
            let mut samples = Samples {
                horizon: Some(planned.clone()),
                ..Samples::default()
            };
            let mut decided = false;
            for (share, looks) in steps {
                for _ in 0..looks {
                    let nc = 10 * u64::from(share);
                    let nb = 1000 - nc;
                    let (c, b) = (rng.binomial(nc, canary_error), rng.binomial(nb, 0.01));
                    if decided {
                        continue;
                    }
                    let obs = |bad, requests| Observation {
                        bad,
                        requests,
                        value: None,
                    };
                    samples.push(
                        "errors",
                        Interval {
                            percent: share,
                            canary: obs(c, nc),
                            baseline: Some(obs(b, nb)),
                        },
                    );
                    if judge(&samples, &policy).decision == Decision::Rollback {
                        rolled_back += 1;
                        decided = true;
                    }
                }
            }
        }
        rolled_back
    }

    #[test]
    fn a_known_horizon_keeps_false_rollbacks_within_alpha_and_catches_small_regressions() {
        // 0.90 % of 10,000 healthy canaries with this seed (alpha 1 %).
        let healthy = rollbacks(0.01, 4000, 1000);
        assert!(healthy <= 44, "{healthy} false rollbacks of 4000");
        // A 1.5× error rate: a single test at the end at 1 % catches about 75 %.
        let caught = rollbacks(0.015, 500, 2000);
        assert!(caught >= 340, "{caught} of 500 caught");
    }
}

//! The job summary: the decision and why, a table of per-metric verdicts with their evidence,
//! a mermaid chart per metric (canary against baseline, interval by interval, labelled with
//! the traffic step) and the weight changes.

use gantry_toolkit::Summary;

use crate::judge::{Interval, Samples, Status, show};
use crate::outputs::Outcome;
use crate::policy::{Kind, Policy};

/// One change of the traffic split, for the summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeightChange {
    /// Seconds since the run started.
    pub at_secs: u64,
    pub canary_percent: u8,
    pub why: String,
}

fn fmt_e(e: Option<f64>) -> String {
    match e {
        None => "—".into(),
        Some(e) if e >= 1e6 => format!("{e:.1e}"),
        Some(e) => format!("{e:.2}"),
    }
}

/// A value per interval, in the units the chart shows (percent for rates, ms for latency).
fn chart_point(kind: Kind, bad: u64, requests: u64, value: Option<f64>) -> Option<f64> {
    match kind {
        Kind::ErrorRate => (requests > 0).then(|| 100.0 * bad as f64 / requests as f64),
        Kind::SuccessRate => (requests > 0).then(|| 100.0 * (1.0 - bad as f64 / requests as f64)),
        Kind::Latency => value.map(|v| v * 1000.0),
        Kind::Value => value,
    }
}

fn unit(kind: Kind) -> &'static str {
    match kind {
        Kind::ErrorRate => "error rate (%)",
        Kind::SuccessRate => "success rate (%)",
        Kind::Latency => "latency (ms)",
        Kind::Value => "value",
    }
}

/// A mermaid xychart of one metric: the first line is the canary, the second the baseline.
pub fn chart(name: &str, kind: Kind, intervals: &[Interval]) -> Option<String> {
    if intervals.is_empty() {
        return None;
    }
    let labels: Vec<String> = intervals
        .iter()
        .enumerate()
        .map(|(i, iv)| {
            if iv.percent == 0 {
                format!("\"{}\"", i + 1)
            } else {
                format!("\"{}·{}%\"", i + 1, iv.percent)
            }
        })
        .collect();
    // Gaps (no data) are drawn as 0: mermaid lines cannot skip a point.
    let series = |f: &dyn Fn(&Interval) -> Option<f64>| -> Vec<String> {
        intervals
            .iter()
            .map(|i| format!("{:.3}", f(i).unwrap_or(0.0)))
            .collect()
    };
    let canary = series(&|i| chart_point(kind, i.canary.bad, i.canary.requests, i.canary.value));
    let mut out = format!(
        "xychart-beta\n    title \"{name}: canary (first line) vs baseline\"\n    x-axis [{}]\n    y-axis \"{}\"\n    line [{}]\n",
        labels.join(", "),
        unit(kind),
        canary.join(", ")
    );
    if intervals.iter().any(|i| i.baseline.is_some()) {
        let baseline = series(&|i| {
            i.baseline
                .and_then(|b| chart_point(kind, b.bad, b.requests, b.value))
        });
        out.push_str(&format!("    line [{}]\n", baseline.join(", ")));
    }
    Some(out)
}

pub fn render(
    outcome: &Outcome,
    policy: &Policy,
    samples: &Samples,
    weights: &[WeightChange],
    dry_run: bool,
) -> Summary {
    let mut s = Summary::new();
    let icon = match outcome.decision {
        crate::judge::Decision::Promote => "✅",
        crate::judge::Decision::Rollback => "⛔",
        crate::judge::Decision::Inconclusive => "⚠️",
    };
    s.heading(
        2,
        &format!(
            "{icon} canary-gate: {}{}",
            outcome.decision.as_str(),
            if dry_run { " (dry run)" } else { "" }
        ),
    );
    s.paragraph(&gantry_toolkit::summary::escape_html(&outcome.reason));
    s.paragraph(&format!(
        "Canary traffic at the end: **{} %**. False-rollback budget α = {}.",
        outcome.final_weight, policy.alpha
    ));
    let rows: Vec<Vec<String>> = outcome
        .verdicts
        .iter()
        .map(|v| {
            let kind = policy
                .metrics
                .iter()
                .find(|m| m.name == v.metric)
                .map(|m| m.kind)
                .unwrap_or(Kind::Value);
            vec![
                v.metric.clone(),
                match v.status {
                    Status::Pass => {
                        if v.proven {
                            "pass (proven)".into()
                        } else {
                            "pass".into()
                        }
                    }
                    Status::Fail => "fail".into(),
                    Status::Inconclusive => "inconclusive".into(),
                },
                if v.critical {
                    "yes".into()
                } else {
                    "no".into()
                },
                v.canary
                    .map(|x| show(kind, x))
                    .unwrap_or_else(|| "—".into()),
                v.baseline
                    .map(|x| show(kind, x))
                    .unwrap_or_else(|| "—".into()),
                v.canary_requests.to_string(),
                format!("{} / {}", fmt_e(v.e_value), fmt_e(v.e_value_bound)),
                v.ratio_interval
                    .map(|(lo, hi)| format!("[{lo:.3}, {hi:.3}]"))
                    .unwrap_or_else(|| "—".into()),
                v.reason.clone(),
            ]
        })
        .collect();
    s.table(
        [
            "metric",
            "verdict",
            "critical",
            "canary",
            "baseline",
            "canary requests",
            "e-value / bound",
            "ratio CS",
            "why",
        ],
        rows,
    );
    for m in &policy.metrics {
        if let Some(c) = chart(&m.name, m.kind, samples.of(&m.name)) {
            s.heading(3, &m.name);
            s.mermaid(&c);
        }
    }
    if !weights.is_empty() {
        s.heading(3, "Traffic");
        s.table(
            ["at", "canary %", "why"],
            weights.iter().map(|w| {
                vec![
                    format!("{}s", w.at_secs),
                    w.canary_percent.to_string(),
                    w.why.clone(),
                ]
            }),
        );
        let labels: Vec<String> = weights
            .iter()
            .map(|w| format!("\"{}s\"", w.at_secs))
            .collect();
        let values: Vec<String> = weights
            .iter()
            .map(|w| w.canary_percent.to_string())
            .collect();
        s.mermaid(&format!(
            "xychart-beta\n    title \"canary traffic share (%)\"\n    x-axis [{}]\n    y-axis \"canary %\" 0 --> 100\n    bar [{}]\n",
            labels.join(", "),
            values.join(", ")
        ));
    }
    s.details(
        "How to read this",
        "Each comparison is an anytime-valid sequential test: the e-value may be checked after every interval, and the canary fails when it reaches the bound (1/α, split across the critical metrics). `pass (proven)` means the mirror-image test also showed the canary within tolerance. The ratio CS is a confidence sequence for canary/baseline, valid at every look at once.",
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::Observation;

    #[test]
    fn charts_have_one_point_per_interval_and_a_baseline_line() {
        let iv = |bad, value| Interval {
            percent: 10,
            canary: Observation {
                bad,
                requests: 100,
                value,
            },
            baseline: Some(Observation {
                bad: 1,
                requests: 900,
                value: Some(0.2),
            }),
        };
        let c = chart("errors", Kind::ErrorRate, &[iv(1, None), iv(3, None)]).unwrap();
        assert!(c.contains("x-axis [\"1·10%\", \"2·10%\"]"), "{c}");
        assert!(c.contains("line [1.000, 3.000]"), "{c}");
        assert!(c.contains("line [0.111, 0.111]"), "{c}");
        let l = chart("p99", Kind::Latency, &[iv(0, Some(0.25))]).unwrap();
        assert!(
            l.contains("line [250.000]") && l.contains("line [200.000]"),
            "{l}"
        );
        assert_eq!(chart("x", Kind::Value, &[]), None);
    }
}

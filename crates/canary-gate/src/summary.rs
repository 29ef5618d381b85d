//! The job summary: the decision and why, a table of per-metric verdicts with their evidence,
//! a mermaid chart per metric (canary against baseline, interval by interval, labelled with
//! the traffic step) and the weight changes.

use gantry_toolkit::Summary;

use crate::judge::{Interval, Samples, Status, show};
use crate::outputs::Outcome;
use crate::policy::{Kind, MetricSpec, Policy, Reading, Source};

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

/// What a `prometheus`, `datadog` or `web` metric reads and what it read, as markdown: the
/// queries (requests for `web`) of each side with `{{selector}}` filled, and its numbers per
/// interval. `None` for the other sources.
pub fn evidence(m: &MetricSpec, intervals: &[Interval]) -> Option<String> {
    let mut lines: Vec<String> = Vec::new();
    let (lang, note) = match &m.source {
        Source::Prometheus(p) => {
            for (side, reading) in [
                ("canary", Some(&p.canary)),
                ("baseline", p.baseline.as_ref()),
            ] {
                for (part, query) in reading.map(Reading::parts).unwrap_or_default() {
                    lines.push(format!("# {side} {part}\n{query}"));
                }
            }
            (
                "promql",
                format!(
                    "Instant queries to {}/api/v1/query (auth: {}) at the end of the window of each look; {{{{interval}}}} is the interval input.",
                    p.url,
                    p.auth.as_str()
                ),
            )
        }
        Source::Datadog(d) => {
            for (side, reading) in [
                ("canary", Some(&d.canary)),
                ("baseline", d.baseline.as_ref()),
            ] {
                for (part, query) in reading.map(Reading::parts).unwrap_or_default() {
                    lines.push(format!("# {side} {part}\n{query}"));
                }
            }
            (
                "text",
                format!(
                    "Queries to {}/api/v1/query over the window of each look (points summed for counts, averaged for values); {{{{interval}}}} is the interval input.",
                    d.api_url
                ),
            )
        }
        Source::Web(w) => {
            for (side, url) in [
                ("canary", Some(&w.url)),
                ("baseline", w.baseline_url.as_ref()),
            ] {
                if let Some(url) = url {
                    lines.push(format!("# {side}\n{} {url}", w.method));
                }
            }
            if let Some(body) = &w.body {
                lines.push(format!("# body\n{body}"));
            }
            let paths: Vec<String> = w
                .paths
                .parts()
                .iter()
                .map(|(part, path)| format!("{part}: {path}"))
                .collect();
            lines.push(format!("# JSON paths\n{}", paths.join("\n")));
            let headers: Vec<String> = w
                .headers
                .iter()
                .map(|(h, var)| format!("{h} from ${var}"))
                .collect();
            (
                "text",
                if headers.is_empty() {
                    "One request per side and look; {{start}}, {{end}} and {{interval}} are the window of the look.".to_string()
                } else {
                    format!(
                        "One request per side and look, with the headers {}; {{{{start}}}}, {{{{end}}}} and {{{{interval}}}} are the window of the look.",
                        headers.join(", ")
                    )
                },
            )
        }
        _ => return None,
    };
    let mut out = Summary::new();
    out.paragraph(&gantry_toolkit::summary::escape_html(&note));
    out.code_block(lang, &lines.join("\n\n"));
    let cell = |o: &crate::judge::Observation| {
        if m.kind.is_count() {
            format!("{} / {}", o.bad, o.requests)
        } else {
            o.value.map_or_else(|| "—".to_string(), |v| show(m.kind, v))
        }
    };
    let what = if m.kind.is_count() {
        "errors / requests"
    } else {
        "value"
    };
    out.table(
        [
            "look".to_string(),
            "canary %".to_string(),
            format!("canary {what}"),
            format!("baseline {what}"),
        ],
        intervals.iter().enumerate().map(|(i, iv)| {
            vec![
                (i + 1).to_string(),
                iv.percent.to_string(),
                cell(&iv.canary),
                iv.baseline.as_ref().map_or_else(|| "—".to_string(), cell),
            ]
        }),
    );
    Some(out.as_str().to_string())
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
                match v.z {
                    // A known horizon: the step-end test beside the anytime-valid one.
                    Some((z, bound)) => format!(
                        "{} / {}; z {z:.2} / {}",
                        fmt_e(v.e_value),
                        fmt_e(v.e_value_bound),
                        if bound.is_finite() {
                            format!("{bound:.2}")
                        } else {
                            "—".into()
                        }
                    ),
                    None => format!("{} / {}", fmt_e(v.e_value), fmt_e(v.e_value_bound)),
                },
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
            if let Some(e) = evidence(m, samples.of(&m.name)) {
                s.details(&format!("{}: queries and values", m.name), &e);
            }
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
        "Each comparison is an anytime-valid sequential test: the e-value may be checked after every interval, and the canary fails when it reaches the bound (1/α, split across the critical metrics). `pass (proven)` means the mirror-image test also showed the canary within tolerance. The ratio CS is a confidence sequence for canary/baseline, valid at every look at once. When the steps fix the looks, an error-rate ratio also shows `z / boundary` of the group-sequential test at the end of each step, which has most of its budget.",
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

    #[test]
    fn evidence_shows_the_filled_queries_and_the_numbers_per_look() {
        let p = crate::policy::parse(
            r#"
metrics:
  errors:
    source: prometheus
    kind: error-rate
    url: http://prom:9090
    errors-query: sum(increase(x{code="500",{{selector}}}[{{interval}}]))
    requests-query: sum(increase(x{{{selector}}}[{{interval}}]))
    canary-selector: v="c"
    baseline-selector: v="b"
    max-ratio: 2
  queue:
    source: web
    url: https://c.example/stats
    headers: {Authorization: STATS_AUTH}
    json-path: a.b
    max: 5
"#,
        )
        .unwrap();
        let iv = Interval {
            percent: 10,
            canary: Observation {
                bad: 3,
                requests: 100,
                value: None,
            },
            baseline: Some(Observation {
                bad: 1,
                requests: 900,
                value: None,
            }),
        };
        let e = evidence(&p.metrics[0], &[iv]).unwrap();
        assert!(
            e.contains("# canary errors\nsum(increase(x{code=\"500\",v=\"c\"}[{{interval}}]))"),
            "{e}"
        );
        assert!(
            e.contains("# baseline requests\nsum(increase(x{v=\"b\"}[{{interval}}]))"),
            "{e}"
        );
        assert!(e.contains("| 1 | 10 | 3 / 100 | 1 / 900 |"), "{e}");
        let web = Interval {
            percent: 0,
            canary: Observation {
                bad: 0,
                requests: 1,
                value: Some(4.0),
            },
            baseline: None,
        };
        let e = evidence(&p.metrics[1], &[web]).unwrap();
        assert!(e.contains("# canary\nGET https://c.example/stats"), "{e}");
        assert!(e.contains("Authorization from $STATS_AUTH"), "{e}");
        assert!(e.contains("| 1 | 0 | 4 | — |"), "{e}");
        let alb = crate::policy::parse("metrics: {e: {source: alb, kind: error-rate, max: 0.1}}")
            .unwrap();
        assert_eq!(evidence(&alb.metrics[0], &[iv]), None);
    }
}

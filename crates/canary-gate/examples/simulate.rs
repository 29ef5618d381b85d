//! The simulation benchmark of issue 6: canary and baseline traffic streams, judged by
//! canary-gate's sequential decision, a Flagger-style threshold rule and a Kayenta-style
//! per-interval test, on the same streams. Prints false-rollback rates and times to detect.
//!
//! `cargo run -p canary-gate --example simulate [runs]` (default 1000 runs per scenario).
//!
//! Each run: steps of 10, 25 and 50 % canary traffic, eight one-minute intervals each.
//! Requests fail independently; latencies are log-normal per request. The three deciders:
//! - **canary-gate**: `judge` with an error-rate comparison (max-ratio 1) and an average-latency
//!   comparison (max-ratio 1.2), alpha 0.01, min-requests 50 — what CloudWatch would give it
//!   per interval (counts and the average). Twice: with the horizon the steps fix (24 looks:
//!   the error-rate budget spent over them, group-sequentially, what a run with `steps` does)
//!   and with an open horizon (anytime-valid tests only, what an ECS CANARY/LINEAR judgement or
//!   a resumed run does); and a third time with the error-rate comparison alone, which then has
//!   the whole budget.
//! - **Flagger-style**: every interval, the canary's success rate must be ≥ 98 % and its
//!   average latency ≤ 400 ms; rollback after 5 failed checks.
//! - **Kayenta-style**: every interval, a one-sided Mann–Whitney test of the canary's request
//!   latencies against the baseline's and a one-sided two-proportion z-test of the error rates,
//!   each at 1 %; rollback at the first interval where one fails.
//! - **Kayenta-style, corrected**: the same tests with the 1 % false-rollback budget split
//!   (Bonferroni) over the 24 looks and 2 tests, which is what it takes for a per-interval test to
//!   promise ≤ 1 % false rollbacks over the whole canary: each at 0.01 / 48.
//! - **oracle SPRT** (a yardstick, not a usable decider): Wald's sequential probability ratio
//!   test on the canary's share of each interval's errors, told in advance that the regression
//!   is exactly 2× (and nothing about latency), at 1 %. No test that keeps false rollbacks under
//!   1 % over any number of looks detects that regression sooner on average (Wald–Wolfowitz), so
//!   it is the floor for time to detect.
//!
//! Time to detect is reported among the runs that detected (median, mean) and over all runs,
//! counting a run that never detects as the full 24 minutes, so that a decider cannot look fast
//! by detecting only the easy runs.
#![allow(
    clippy::print_stdout,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]

use canary_gate::judge::{Decision, Interval, Observation, Samples, judge};
use canary_gate::policy::parse;
use canary_gate::stats::rng::Rng;
use canary_gate::stats::sprt::{Count, two_proportion_z};

#[derive(Debug, Clone, Copy)]
struct Scenario {
    name: &'static str,
    traffic: u64,
    baseline_error: f64,
    canary_error: f64,
    median: f64,
    sigma: f64,
    extra_latency: f64,
    regression: bool,
}

const SHARES: [(u8, usize); 3] = [(10, 8), (25, 8), (50, 8)];

struct Group {
    requests: u64,
    errors: u64,
    latencies: Vec<f64>,
}

fn group(rng: &mut Rng, n: u64, error: f64, median: f64, sigma: f64, extra: f64) -> Group {
    let latencies: Vec<f64> = (0..n)
        .map(|_| median * (sigma * rng.normal()).exp() + extra)
        .collect();
    Group {
        requests: n,
        errors: rng.binomial(n, error),
        latencies,
    }
}

fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// One-sided Mann–Whitney z (canary larger), normal approximation without tie correction
/// (continuous latencies have no ties).
fn mann_whitney_z(canary: &[f64], baseline: &[f64]) -> f64 {
    let (n1, n2) = (canary.len() as f64, baseline.len() as f64);
    if n1 == 0.0 || n2 == 0.0 {
        return 0.0;
    }
    let mut all: Vec<(f64, bool)> = canary
        .iter()
        .map(|x| (*x, true))
        .chain(baseline.iter().map(|x| (*x, false)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let rank_sum: f64 = all
        .iter()
        .enumerate()
        .filter(|(_, (_, c))| *c)
        .map(|(i, _)| i as f64 + 1.0)
        .sum();
    let u = rank_sum - n1 * (n1 + 1.0) / 2.0;
    let mu = n1 * n2 / 2.0;
    let sd = (n1 * n2 * (n1 + n2 + 1.0) / 12.0).sqrt();
    (u - mu) / sd
}

/// One-sided z for the corrected Kayenta-style decider: Φ⁻¹(1 − 0.01/48).
const Z_CORRECTED: f64 = 3.5297;

const DECIDERS: [&str; 7] = [
    "canary-gate, known horizon",
    "canary-gate, open horizon",
    "canary-gate, known horizon, error rate only",
    "Flagger-style",
    "Kayenta-style",
    "Kayenta-style, corrected",
    "oracle SPRT (yardstick)",
];

/// Minutes of analysis in a run.
const MINUTES: usize = 24;

/// First interval (1-based) at which each decider rolls back, if it does.
fn one_run(
    s: &Scenario,
    rng: &mut Rng,
    policy: &canary_gate::policy::Policy,
    errors_policy: &canary_gate::policy::Policy,
) -> [Option<usize>; 7] {
    let mut samples = Samples::default();
    let mut staged = Samples {
        horizon: Some(
            SHARES
                .iter()
                .flat_map(|(share, looks)| std::iter::repeat_n(*share, *looks))
                .collect(),
        ),
        ..Samples::default()
    };
    let mut errors_only = Samples {
        horizon: staged.horizon.clone(),
        ..Samples::default()
    };
    let (mut ours, mut open, mut only) = (None, None, None);
    let (mut flagger, mut failed_checks) = (None, 0);
    let mut kayenta = None;
    let mut corrected = None;
    let (mut oracle, mut log_lr) = (None, 0.0_f64);
    let mut t = 0;
    for (share, looks) in SHARES {
        for _ in 0..looks {
            t += 1;
            let nc = s.traffic * u64::from(share) / 100;
            let nb = s.traffic - nc;
            let c = group(rng, nc, s.canary_error, s.median, s.sigma, s.extra_latency);
            let b = group(rng, nb, s.baseline_error, s.median, s.sigma, 0.0);
            let obs = |g: &Group, value| Observation {
                bad: g.errors,
                requests: g.requests,
                value,
            };
            for (samples, decided) in [(&mut staged, &mut ours), (&mut samples, &mut open)] {
                if decided.is_some() {
                    continue;
                }
                samples.push(
                    "errors",
                    Interval {
                        percent: share,
                        canary: obs(&c, None),
                        baseline: Some(obs(&b, None)),
                    },
                );
                samples.push(
                    "latency",
                    Interval {
                        percent: share,
                        canary: obs(&c, mean(&c.latencies)),
                        baseline: Some(obs(&b, mean(&b.latencies))),
                    },
                );
                if judge(samples, policy).decision == Decision::Rollback {
                    *decided = Some(t);
                }
            }
            if only.is_none() {
                errors_only.push(
                    "errors",
                    Interval {
                        percent: share,
                        canary: obs(&c, None),
                        baseline: Some(obs(&b, None)),
                    },
                );
                if judge(&errors_only, errors_policy).decision == Decision::Rollback {
                    only = Some(t);
                }
            }
            if flagger.is_none() {
                let success = 1.0 - c.errors as f64 / c.requests.max(1) as f64;
                let avg = mean(&c.latencies).unwrap_or(0.0);
                if success < 0.98 || avg > 0.4 {
                    failed_checks += 1;
                }
                if failed_checks >= 5 {
                    flagger = Some(t);
                }
            }
            if kayenta.is_none() || corrected.is_none() {
                let z_err = two_proportion_z(
                    Count {
                        errors: c.errors,
                        requests: c.requests,
                    },
                    Count {
                        errors: b.errors,
                        requests: b.requests,
                    },
                );
                let z_lat = mann_whitney_z(&c.latencies, &b.latencies);
                if kayenta.is_none() && (z_err > 2.326 || z_lat > 2.326) {
                    kayenta = Some(t);
                }
                if corrected.is_none() && (z_err > Z_CORRECTED || z_lat > Z_CORRECTED) {
                    corrected = Some(t);
                }
            }
            if oracle.is_none() && c.requests > 0 && b.requests > 0 {
                // Given the interval's errors, the canary's share of them is binomial with
                // q0 = its share of requests when the rates are equal, q1 when doubled.
                let (nc, nb) = (c.requests as f64, b.requests as f64);
                let q0 = nc / (nc + nb);
                let q1 = 2.0 * nc / (2.0 * nc + nb);
                log_lr += c.errors as f64 * (q1 / q0).ln()
                    + b.errors as f64 * ((1.0 - q1) / (1.0 - q0)).ln();
                if log_lr >= 100f64.ln() {
                    oracle = Some(t);
                }
            }
        }
    }
    [ours, open, only, flagger, kayenta, corrected, oracle]
}

fn main() -> Result<(), canary_gate::policy::PolicyError> {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    let policy = parse(
        "alpha: 0.01
min-requests: 50
metrics:
  errors: {source: alb, kind: error-rate, max-ratio: 1}
  latency: {source: alb, kind: latency, statistic: average, max-ratio: 1.2}",
    )?;
    // The same error-rate comparison with the whole budget: what the known horizon gives one
    // metric (with two, Bonferroni halves each one's budget).
    let errors_policy = parse(
        "alpha: 0.01
min-requests: 50
metrics:
  errors: {source: alb, kind: error-rate, max-ratio: 1}",
    )?;
    let scenarios = [
        Scenario {
            name: "healthy",
            traffic: 1000,
            baseline_error: 0.01,
            canary_error: 0.01,
            median: 0.2,
            sigma: 0.5,
            extra_latency: 0.0,
            regression: false,
        },
        Scenario {
            name: "2x error rate",
            traffic: 1000,
            baseline_error: 0.01,
            canary_error: 0.02,
            median: 0.2,
            sigma: 0.5,
            extra_latency: 0.0,
            regression: true,
        },
        Scenario {
            name: "1.5x error rate",
            traffic: 1000,
            baseline_error: 0.01,
            canary_error: 0.015,
            median: 0.2,
            sigma: 0.5,
            extra_latency: 0.0,
            regression: true,
        },
        Scenario {
            name: "+300 ms latency",
            traffic: 1000,
            baseline_error: 0.01,
            canary_error: 0.01,
            median: 0.2,
            sigma: 0.5,
            extra_latency: 0.3,
            regression: true,
        },
        Scenario {
            name: "low, noisy traffic",
            traffic: 60,
            baseline_error: 0.02,
            canary_error: 0.02,
            median: 0.2,
            sigma: 1.0,
            extra_latency: 0.0,
            regression: false,
        },
    ];
    println!("{runs} runs per scenario; steps 10/25/50 % × 8 one-minute intervals\n");
    println!(
        "| scenario | decider | rollbacks | median minutes to detect | mean minutes to detect | mean minutes, undetected = {MINUTES} |"
    );
    println!("|---|---|---|---|---|---|");
    for (k, s) in scenarios.iter().enumerate() {
        let mut rng = Rng::new(1000 + k as u64);
        let mut times: [Vec<usize>; 7] = Default::default();
        for _ in 0..runs {
            for (i, t) in one_run(s, &mut rng, &policy, &errors_policy)
                .into_iter()
                .enumerate()
            {
                if let Some(t) = t {
                    times[i].push(t);
                }
            }
        }
        for (i, name) in DECIDERS.iter().enumerate() {
            let v = &mut times[i];
            v.sort_unstable();
            let rate = 100.0 * v.len() as f64 / runs as f64;
            let (median, avg) = if v.is_empty() {
                ("—".to_string(), "—".to_string())
            } else {
                (
                    v[v.len() / 2].to_string(),
                    format!("{:.1}", v.iter().sum::<usize>() as f64 / v.len() as f64),
                )
            };
            let what = if s.regression {
                "detected"
            } else {
                "false rollbacks"
            };
            let all = (v.iter().sum::<usize>() + (runs - v.len()) * MINUTES) as f64 / runs as f64;
            println!(
                "| {} | {name} | {rate:.1} % {what} | {median} | {avg} | {all:.1} |",
                s.name
            );
        }
    }
    Ok(())
}

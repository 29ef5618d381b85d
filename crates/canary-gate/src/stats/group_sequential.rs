//! A group-sequential test for a known number of looks: the false-rollback budget spent over
//! the looks the steps fix, so that the last look has close to the power of one fixed test.
//!
//! The anytime-valid tests of this module's siblings pay for looking forever: at the 24th look
//! of a canary they need far more evidence than a single test at that point would. When the
//! analysis has a known horizon `K` (steps × step duration ÷ interval), the budget can instead
//! be spent over those `K` looks with an alpha-spending function (Lan & DeMets 1983), here the
//! O'Brien–Fleming-type one, `α(t) = 2 − 2Φ(z_{1−α/2} / √t)`: it spends almost nothing early
//! and nearly all of `α` at the end. `t` is the planned fraction of the information at each
//! look ([`planned_fractions`]): a look at 10 % canary traffic carries far less information
//! about the canary than one at 50 %, so spending by the count of looks would waste budget on
//! the early, uninformative ones.
//!
//! The groups are the steps ([`by_step`]): the test looks at the end of each step, with all of
//! the step's intervals. Its final boundary is then within a hundredth of the single test's
//! (with three steps at 10/25/50 %, `α` 0.0095: 2.351 against 2.346), where a look after every
//! interval would cost about a tenth of a standard deviation (24 looks: 2.47) and with it a
//! tenth of the power; a gross failure does not wait for a step's end, because the anytime-valid
//! test, with a small share of the budget, looks after every interval.
//!
//! The data are the error counts used by [`super::sprt`]: given an interval's errors `e_i`,
//! the canary's share of them is binomial with `q_i = r·n_c / (r·n_c + n_b)` under the null
//! "the canary's rate is `r` times the baseline's" (`r` the tolerance); a regression shifts
//! every `logit q_i` by the same `θ > 0`. The information `I_k = Σ e_i q_i (1 − q_i)` grows in
//! independent increments, and the statistic at each look is the signed root of the likelihood
//! ratio for `θ` ([`signed_root`]), which follows the canonical joint normal of group-sequential
//! theory (Jennison & Turnbull 2000, ch. 3) far closer in the upper tail than the score
//! `Σ (c_i − e_i q_i) / √I_k` does: with one or two errors a minute at 10 % traffic the
//! canary's share is skewed, and the score test rolled back 1.8 % of healthy canaries at a 1 %
//! budget in the simulation. The
//! boundary of look `k` is the `b_k` for which the probability of first crossing there, under
//! the null and given the informations observed, is the spending function's increment;
//! computed by numerical integration of the score's density over the continuation region
//! (Armitage, McPherson & Rowe 1969). A look that brought no information spends nothing, and
//! what it did not spend goes to the next; past the horizon there is nothing left to spend.

/// `Φ`, the standard normal distribution function (Abramowitz–Stegun 7.1.26 on `erf`, with
/// the complement for the upper tail, accurate to about 1e-7).
pub fn normal_cdf(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * z);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let upper = 0.5 * poly * (-z * z).exp();
    if x >= 0.0 { 1.0 - upper } else { upper }
}

/// `Φ⁻¹(p)` for `0 < p < 1` (Acklam's rational approximation, then one Newton step).
pub fn normal_quantile(p: f64) -> f64 {
    let p = p.clamp(1e-300, 1.0 - 1e-16);
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let x = if p < 0.024_25 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.024_25 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    };
    let density = (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
    x - (normal_cdf(x) - p) / density.max(1e-300)
}

/// The O'Brien–Fleming-type spending function: the budget spent by the fraction `t` of the
/// looks, `α(1) = α`.
pub fn obf_spending(alpha: f64, t: f64) -> f64 {
    if t <= 0.0 {
        return 0.0;
    }
    let z = normal_quantile(1.0 - alpha / 2.0);
    (2.0 - 2.0 * normal_cdf(z / t.min(1.0).sqrt())).min(alpha)
}

/// Grid points of the score's density at each look.
const GRID: usize = 64;
/// How far below the mean (in standard deviations) the density is kept.
const LOWER_SD: f64 = 8.0;

/// The outcome of the test over the looks so far.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Look {
    /// The look (1-based) whose `z` crossed its boundary, if any did.
    pub crossed_at: Option<usize>,
    /// `z` and its boundary at the latest look that had information (∞ past the horizon).
    pub z: f64,
    pub bound: f64,
}

/// The cumulative fraction of the information planned at each look, from the canary's share
/// (percent) at each look: an interval's information on the canary's share of the errors is
/// `e·q(1 − q)`, with `q` the share under the null (`max_ratio` times the baseline's rate)
/// and the errors `e` about the same in every interval.
pub fn planned_fractions(percents: &[u8], max_ratio: f64) -> Vec<f64> {
    let weight = |p: u8| {
        let p = f64::from(p.min(100)) / 100.0;
        let q = max_ratio * p / (max_ratio * p + 1.0 - p);
        if q.is_finite() { q * (1.0 - q) } else { 0.0 }
    };
    let total: f64 = percents.iter().map(|p| weight(*p)).sum();
    let mut so_far = 0.0;
    percents
        .iter()
        .map(|p| {
            so_far += weight(*p);
            if total > 0.0 { so_far / total } else { 1.0 }
        })
        .collect()
}

/// The group-sequential test over `looks` (each look's statistic `z`, approximately standard
/// normal under the null, and its information increment, in order), `fractions` the planned
/// cumulative information fraction at each look of the horizon (its length is the horizon),
/// at level `alpha`.
pub fn test(looks: &[(f64, f64)], fractions: &[f64], alpha: f64) -> Look {
    let horizon = fractions.len().max(1);
    let mut info = 0.0_f64;
    let mut spent = 0.0_f64;
    // The sub-density of the score on the continuation region: (points, density values).
    let mut density: Option<(Vec<f64>, Vec<f64>)> = None;
    let mut out = Look {
        crossed_at: None,
        z: 0.0,
        bound: f64::INFINITY,
    };
    for (k, &(z, dv)) in looks.iter().enumerate() {
        if dv <= 0.0 {
            continue;
        }
        info += dv;
        let t = fractions.get(k).copied().unwrap_or(1.0);
        let target = obf_spending(alpha, t) - spent;
        if k + 1 > horizon || target <= 1e-12 {
            // Nothing to spend here, but the density must follow the new information.
            density = Some(step(density.as_ref(), info, dv, f64::INFINITY));
            out.z = z;
            out.bound = f64::INFINITY;
            continue;
        }
        let bound = boundary(density.as_ref(), info, dv, target);
        let cross = crossing(density.as_ref(), info, dv, bound * info.sqrt());
        spent += cross;
        out.z = z;
        out.bound = bound;
        if z >= bound && out.crossed_at.is_none() {
            out.crossed_at = Some(k + 1);
        }
        density = Some(step(density.as_ref(), info, dv, bound * info.sqrt()));
    }
    out
}

/// The probability of being past `c` (on the score scale) after this look, having stayed in
/// the continuation region before: the first crossing's probability.
fn crossing(density: Option<&(Vec<f64>, Vec<f64>)>, info: f64, dv: f64, c: f64) -> f64 {
    match density {
        None => 1.0 - normal_cdf(c / info.sqrt()),
        Some((xs, fs)) => integrate(xs, |i| fs[i] * (1.0 - normal_cdf((c - xs[i]) / dv.sqrt()))),
    }
}

/// The `z` boundary whose first-crossing probability is `target`.
fn boundary(density: Option<&(Vec<f64>, Vec<f64>)>, info: f64, dv: f64, target: f64) -> f64 {
    let (mut lo, mut hi) = (-2.0_f64, 40.0_f64);
    for _ in 0..48 {
        let mid = 0.5 * (lo + hi);
        if crossing(density, info, dv, mid * info.sqrt()) > target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi
}

/// The score's sub-density after this look, on the continuation region below `c`.
fn step(
    density: Option<&(Vec<f64>, Vec<f64>)>,
    info: f64,
    dv: f64,
    c: f64,
) -> (Vec<f64>, Vec<f64>) {
    let sd = info.sqrt();
    let top = c.min(LOWER_SD * sd);
    let bottom = -LOWER_SD * sd;
    let xs: Vec<f64> = (0..GRID)
        .map(|i| bottom + (top - bottom) * i as f64 / (GRID - 1) as f64)
        .collect();
    let pdf =
        |x: f64, var: f64| (-0.5 * x * x / var).exp() / (2.0 * std::f64::consts::PI * var).sqrt();
    let fs = match density {
        None => xs.iter().map(|x| pdf(*x, info)).collect(),
        Some((us, gs)) => xs
            .iter()
            .map(|x| integrate(us, |j| gs[j] * pdf(x - us[j], dv)))
            .collect(),
    };
    (xs, fs)
}

/// The trapezoid rule over the points `xs` of `f(i)`.
fn integrate(xs: &[f64], f: impl Fn(usize) -> f64) -> f64 {
    xs.windows(2)
        .enumerate()
        .map(|(i, w)| 0.5 * (f(i) + f(i + 1)) * (w[1] - w[0]))
        .sum()
}

/// The looks of the group-sequential test when the groups are the steps: at the end of each
/// step that is complete, the signed root over every interval so far and the information the
/// step added, with the planned cumulative fraction at each step's end. `counts` are the
/// intervals observed (canary errors, canary requests, baseline errors, baseline requests);
/// `planned` is the canary's planned percent at every look of the horizon (a step is a run of
/// equal percents: steps strictly increase).
pub fn by_step(
    counts: &[(u64, u64, u64, u64)],
    planned: &[u8],
    max_ratio: f64,
) -> (Vec<(f64, f64)>, Vec<f64>) {
    let increments = score_increments(counts, max_ratio);
    let fractions = planned_fractions(planned, max_ratio);
    let ends: Vec<usize> = (0..planned.len())
        .filter(|&k| k + 1 == planned.len() || planned[k + 1] != planned[k])
        .map(|k| k + 1)
        .collect();
    let mut looks = Vec::new();
    let mut start = 0;
    for &end in &ends {
        if increments.len() < end {
            break;
        }
        let dv: f64 = increments[start..end].iter().map(|(_, dv)| dv).sum();
        looks.push((signed_root(&counts[..end], max_ratio), dv));
        start = end;
    }
    (looks, ends.iter().map(|e| fractions[e - 1]).collect())
}

/// The signed root of the likelihood ratio for a regression `θ` (a common shift of the
/// canary's log-odds of each error being the canary's) against the null `θ = 0` at the
/// tolerance `max_ratio`: `sign(θ̂)·√(2(ℓ(θ̂) − ℓ(0)))`, `θ̂` by Newton's method.
pub fn signed_root(counts: &[(u64, u64, u64, u64)], max_ratio: f64) -> f64 {
    // (canary errors, all errors, logit of the null share) of the intervals with information.
    let data: Vec<(f64, f64, f64)> = counts
        .iter()
        .filter(|&&(c, nc, b, nb)| c + b > 0 && nc > 0 && nb > 0)
        .map(|&(c, nc, b, nb)| {
            let logit = (max_ratio * nc as f64 / nb as f64).ln();
            (c as f64, (c + b) as f64, logit)
        })
        .collect();
    if data.is_empty() {
        return 0.0;
    }
    let sigmoid = |x: f64| 1.0 / (1.0 + (-x).exp());
    let loglik = |theta: f64| -> f64 {
        data.iter()
            .map(|&(c, e, l)| {
                let q = sigmoid(l + theta).clamp(1e-300, 1.0 - 1e-16);
                c * q.ln() + (e - c) * (1.0 - q).ln()
            })
            .sum()
    };
    let mut theta = 0.0_f64;
    for _ in 0..60 {
        let (mut score, mut info) = (0.0, 0.0);
        for &(c, e, l) in &data {
            let q = sigmoid(l + theta);
            score += c - e * q;
            info += e * q * (1.0 - q);
        }
        if info <= 1e-12 {
            // All errors on one side: the likelihood keeps rising; 20 is far enough.
            theta = if score > 0.0 { 20.0 } else { -20.0 };
            break;
        }
        let next = (theta + score / info).clamp(-20.0, 20.0);
        if (next - theta).abs() < 1e-10 {
            theta = next;
            break;
        }
        theta = next;
    }
    let deviance = (2.0 * (loglik(theta) - loglik(0.0))).max(0.0);
    theta.signum() * deviance.sqrt()
}

/// The score and information increments of error counts per interval, under the null that
/// the canary's rate is `max_ratio` times the baseline's: `(c − e·q, e·q·(1 − q))` for
/// `(canary errors, canary requests, baseline errors, baseline requests)`.
pub fn score_increments(intervals: &[(u64, u64, u64, u64)], max_ratio: f64) -> Vec<(f64, f64)> {
    intervals
        .iter()
        .map(|&(c, nc, b, nb)| {
            let e = (c + b) as f64;
            if e == 0.0 || nc == 0 || nb == 0 {
                return (0.0, 0.0);
            }
            let weighted = max_ratio * nc as f64;
            let q = weighted / (weighted + nb as f64);
            (c as f64 - e * q, e * q * (1.0 - q))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::rng::Rng;

    /// Score increments as looks: the cumulative `z` at each, with the information added.
    fn as_looks(increments: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
        let (mut u, mut v) = (0.0, 0.0);
        increments
            .into_iter()
            .map(|(du, dv)| {
                u += du;
                v += dv;
                (if v > 0.0 { u / v.sqrt() } else { 0.0 }, dv)
            })
            .collect()
    }

    fn equal(k: usize) -> Vec<f64> {
        (1..=k).map(|i| i as f64 / k as f64).collect()
    }

    #[test]
    fn planned_information_follows_the_canarys_share() {
        let f = planned_fractions(&[10, 10, 50, 50], 1.0);
        // 0.09, 0.09, 0.25, 0.25 of 0.68
        let want = [0.09 / 0.68, 0.18 / 0.68, 0.43 / 0.68, 1.0];
        for (got, want) in f.iter().zip(want) {
            assert!((got - want).abs() < 1e-9, "{f:?}");
        }
        assert_eq!(planned_fractions(&[100], 1.0), [1.0]);
    }

    #[test]
    fn the_normal_functions() {
        for (x, p) in [
            (0.0, 0.5),
            (1.0, 0.841_344_7),
            (-2.326_348, 0.01),
            (3.090_232, 0.999),
        ] {
            assert!((normal_cdf(x) - p).abs() < 2e-6, "Φ({x})");
            assert!((normal_quantile(p) - x).abs() < 1e-4, "Φ⁻¹({p})");
        }
    }

    #[test]
    fn spending_is_nothing_at_first_and_alpha_at_the_end() {
        assert_eq!(obf_spending(0.01, 0.0), 0.0);
        assert!((obf_spending(0.01, 1.0) - 0.01).abs() < 1e-9);
        assert!(obf_spending(0.01, 0.25) < 1e-5);
        assert!(obf_spending(0.01, 0.5) < obf_spending(0.01, 0.75));
    }

    #[test]
    fn one_look_is_the_fixed_test_and_equal_looks_match_the_textbook() {
        // K = 1: the boundary is z_{1−α}.
        let one = test(&[(0.0, 1.0)], &equal(1), 0.025);
        assert!((one.bound - 1.959_96).abs() < 0.01, "{one:?}");
        // K = 5 equal looks, one-sided α = 0.025, O'Brien–Fleming-type spending: the
        // boundaries of Jennison & Turnbull (2000) table 7.6 / gsDesign: 4.877, 3.357, 2.680,
        // 2.290, 2.031.
        let mut bounds = Vec::new();
        for k in 1..=5 {
            bounds.push(test(&vec![(0.0, 1.0); k], &equal(5), 0.025).bound);
        }
        for (got, want) in bounds.iter().zip([4.877, 3.357, 2.680, 2.290, 2.031]) {
            assert!((got - want).abs() < 0.03, "{bounds:?}");
        }
    }

    /// Under the null, the test crosses at most `alpha` of the time over all looks, however
    /// uneven the information; with a real difference it crosses at the end about as often
    /// as a single test there would.
    #[test]
    fn false_crossings_stay_within_alpha_and_power_is_near_the_fixed_tests() {
        let (alpha, runs, horizon) = (0.05, 1000, 8);
        let mut rng = Rng::new(7);
        let dvs: Vec<f64> = (0..horizon).map(|k| 0.5 + (k % 3) as f64).collect();
        let total: f64 = dvs.iter().sum();
        let planned: Vec<f64> = dvs
            .iter()
            .scan(0.0, |s, dv| {
                *s += dv;
                Some(*s / total)
            })
            .collect();
        let (mut null_crossed, mut alt_crossed, mut fixed) = (0, 0, 0);
        for _ in 0..runs {
            let null = as_looks(
                dvs.iter()
                    .map(|dv| (rng.normal() * dv.sqrt(), *dv))
                    .collect(),
            );
            if test(&null, &planned, alpha).crossed_at.is_some() {
                null_crossed += 1;
            }
            let info: f64 = dvs.iter().sum();
            let drift = 2.5 / info.sqrt();
            let increments: Vec<(f64, f64)> = dvs
                .iter()
                .map(|dv| (drift * dv + rng.normal() * dv.sqrt(), *dv))
                .collect();
            let z: f64 = increments.iter().map(|(u, _)| u).sum::<f64>() / info.sqrt();
            let alt = as_looks(increments);
            if test(&alt, &planned, alpha).crossed_at.is_some() {
                alt_crossed += 1;
            }
            if z >= normal_quantile(1.0 - alpha) {
                fixed += 1;
            }
        }
        let rate = |n: i32| f64::from(n) / f64::from(runs);
        assert!(
            rate(null_crossed) <= alpha + 0.01,
            "false crossings {}",
            rate(null_crossed)
        );
        assert!(
            rate(alt_crossed) >= rate(fixed) - 0.05,
            "{} vs fixed {}",
            rate(alt_crossed),
            rate(fixed)
        );
    }

    #[test]
    fn looks_without_information_spend_nothing_and_past_the_horizon_nothing_is_left() {
        let some = test(&[(0.0, 0.0), (0.0, 0.0), (3.0, 1.0)], &equal(3), 0.025);
        assert!(
            (some.bound - 1.96).abs() < 0.01,
            "all of α at the last look: {some:?}"
        );
        let past = test(&[(0.0, 1.0), (0.0, 1.0), (10.0, 1.0)], &equal(2), 0.025);
        assert_eq!(past.crossed_at, None);
        assert!(past.bound.is_infinite());
    }

    #[test]
    fn the_steps_are_the_groups() {
        let planned = [10, 10, 50, 50, 50];
        let counts = [
            (1, 100, 9, 900),
            (2, 100, 9, 900),
            (6, 500, 5, 500),
            (7, 500, 6, 500),
            (5, 500, 5, 500),
        ];
        let (looks, fractions) = by_step(&counts[..4], &planned, 1.0);
        assert_eq!(looks.len(), 1, "the second step is not over");
        assert!((looks[0].0 - signed_root(&counts[..2], 1.0)).abs() < 1e-12);
        assert!((looks[0].1 - (10.0 + 11.0) * 0.09).abs() < 1e-9);
        assert!((fractions[0] - 0.18 / 0.93).abs() < 1e-9 && fractions[1] == 1.0);
        let (looks, _) = by_step(&counts, &planned, 1.0);
        assert_eq!(looks.len(), 2);
        assert!((looks[1].0 - signed_root(&counts, 1.0)).abs() < 1e-12);
        // Three steps at 10/25/50 %: the last boundary is the single test's, within 0.01.
        let last = test(
            &[(0.0, 7.56), (0.0, 16.9), (0.0, 25.0)],
            &planned_fractions(&[10, 25, 50], 1.0),
            0.0095,
        )
        .bound;
        assert!(
            (last - normal_quantile(1.0 - 0.0095)).abs() < 0.01,
            "{last}"
        );
    }

    #[test]
    fn the_signed_root_is_the_likelihood_ratios() {
        // An even split against an even null: θ̂ = 0.
        assert!(signed_root(&[(5, 100, 5, 100)], 1.0).abs() < 1e-9);
        // 8 of 10 against an even null: θ̂ = ln 4, deviance 2·(8 ln 1.6 + 2 ln 0.4).
        let want = (2.0 * (8.0 * 1.6_f64.ln() + 2.0 * 0.4_f64.ln())).sqrt();
        assert!((signed_root(&[(8, 100, 2, 100)], 1.0) - want).abs() < 1e-9);
        assert!(signed_root(&[(2, 100, 8, 100)], 1.0) < 0.0);
        // Every error the canary's: large, finite.
        let all = signed_root(&[(6, 100, 0, 900)], 1.0);
        assert!(all > 3.0 && all.is_finite(), "{all}");
        assert_eq!(signed_root(&[(0, 100, 0, 900)], 1.0), 0.0);
    }

    #[test]
    fn score_increments_of_error_counts() {
        let inc = score_increments(&[(2, 100, 9, 900), (0, 100, 0, 900), (5, 0, 1, 10)], 1.0);
        assert!((inc[0].0 - (2.0 - 11.0 * 0.1)).abs() < 1e-12);
        assert!((inc[0].1 - 11.0 * 0.1 * 0.9).abs() < 1e-12);
        assert_eq!(inc[1], (0.0, 0.0));
        assert_eq!(inc[2], (0.0, 0.0));
    }
}

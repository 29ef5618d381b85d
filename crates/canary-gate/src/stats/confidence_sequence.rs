//! A betting confidence sequence for continuous metrics compared interval by interval.
//!
//! ## The observations
//!
//! Each interval gives one value for the canary `c_i` and one for the baseline `b_i` (an
//! average or a percentile of response time, a custom CloudWatch metric). The judge compares
//! them either as a ratio, `d_i = ln(c_i / b_i)` with tolerance `μ0 = ln(max-ratio)`, or as a
//! difference, `d_i = c_i − b_i` with tolerance `μ0 = max-difference`. Both groups see the same
//! interval, so what the two share (time of day, a slow dependency) cancels in `d_i`.
//!
//! ## The test
//!
//! The null hypothesis is "the canary is within tolerance": the `d_i` are centred (given the
//! past) at some `μ ≤ μ0`, with a law symmetric about that centre. Clip the shifted values to
//! a bounded range,
//!
//! ```text
//! Y_i = clip((d_i − μ0) / s, −1, 1)
//! ```
//!
//! (`s` is the scale: 0.5 for log-ratios, i.e. a factor of `e^0.5 ≈ 1.65` counts as a full
//! unit of evidence; `4 × max-difference` for differences; the policy's `scale` overrides). Symmetry about `μ − μ0 ≤ 0` makes `E[Y_i] ≤ 0`:
//! clipping a symmetric law at ±1 keeps the sign of its centre. For any bet `λ ∈ [0, 1)`,
//! `Π_i (1 + λ Y_i)` is then a nonnegative supermartingale with initial value 1 — the wealth of
//! a gambler who bets a fraction `λ` of their capital on "the canary is worse" in every
//! interval, at odds that are fair under the null. Mixing over
//! `λ ∈ {0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9}` gives the e-process
//!
//! ```text
//! E_t(μ0) = (1/K) Σ_k Π_{i≤t} (1 + λ_k Y_i)
//! ```
//!
//! and by Ville's inequality `P(sup_t E_t(μ0) ≥ 1/α) ≤ α` under the null: rolling back at the
//! first crossing keeps false rollbacks below `α` at any number of looks. For per-interval
//! error-rate differences (`d_i ∈ [−1, 1]` and `s = 1 + μ0`) nothing is clipped and symmetry is
//! not needed: `E[Y_i] ≤ 0` follows from the mean alone.
//!
//! **Speed.** A bounded bet can at most multiply the wealth by `1 + λ ≤ 1.9` per interval,
//! so even a gross regression needs about `ln(K/α)/ln 1.9` intervals (8 at α = 5 %, 10 at
//! α = 1 %): the price of validity without knowing the noise. Shorter intervals (more looks)
//! detect sooner in wall-clock time; the error-count test has no such ceiling.
//!
//! ## The confidence sequence
//!
//! `E_t(μ)` falls as `μ` rises (each `Y_i` does), so
//! `{μ : E_t^{above}(μ) < 2/α and E_t^{below}(μ) < 2/α}` is an interval for every `t`, found by
//! bisection, and it covers the true centre at all times at once with probability `1 − α`
//! (the two one-sided processes at `α/2` each). For ratios, `exp` of it bounds the
//! canary/baseline ratio; the summary shows it.

use super::log_mean_exp;

const BETS: [f64; 7] = [0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9];

/// The paired per-interval observations of one continuous metric.
#[derive(Debug, Clone, Default)]
pub struct BettingTest {
    d: Vec<f64>,
    scale: f64,
}

impl BettingTest {
    /// `scale`: the size of a difference that counts as one full unit of evidence.
    pub fn new(scale: f64) -> BettingTest {
        BettingTest {
            d: Vec::new(),
            scale: if scale > 0.0 { scale } else { 1.0 },
        }
    }

    pub fn observe(&mut self, d: f64) {
        if d.is_finite() {
            self.d.push(d);
        }
    }

    pub fn len(&self) -> usize {
        self.d.len()
    }

    pub fn is_empty(&self) -> bool {
        self.d.is_empty()
    }

    pub fn mean(&self) -> Option<f64> {
        (!self.d.is_empty()).then(|| self.d.iter().sum::<f64>() / self.d.len() as f64)
    }

    /// The largest e-value at any look so far against "centre ≤ mu0" (evidence the canary is
    /// worse than `mu0`).
    pub fn max_e_value_above(&self, mu0: f64) -> f64 {
        self.max_log_e(mu0, 1.0).exp()
    }

    /// The largest e-value at any look so far against "centre ≥ mu0".
    pub fn max_e_value_below(&self, mu0: f64) -> f64 {
        self.max_log_e(mu0, -1.0).exp()
    }

    /// The e-value now (last look) against "centre ≤ mu0".
    pub fn e_value_above(&self, mu0: f64) -> f64 {
        self.log_wealth(mu0, 1.0)
            .last()
            .copied()
            .unwrap_or(0.0)
            .exp()
    }

    /// ln of the mixture wealth after each look.
    fn log_wealth(&self, mu0: f64, side: f64) -> Vec<f64> {
        let mut per_bet = [0.0f64; BETS.len()];
        self.d
            .iter()
            .map(|d| {
                let y = (side * (d - mu0) / self.scale).clamp(-1.0, 1.0);
                for (w, l) in per_bet.iter_mut().zip(BETS) {
                    *w += (l * y).ln_1p();
                }
                log_mean_exp(&per_bet)
            })
            .collect()
    }

    fn max_log_e(&self, mu0: f64, side: f64) -> f64 {
        self.log_wealth(mu0, side).into_iter().fold(0.0, f64::max)
    }

    /// The confidence interval for the centre at level `1 − alpha` now; infinite ends when the
    /// data do not yet bound that side.
    pub fn interval(&self, alpha: f64) -> (f64, f64) {
        let threshold = (2.0 / alpha).ln();
        let (Some(lo_d), Some(hi_d)) = (
            self.d.iter().copied().reduce(f64::min),
            self.d.iter().copied().reduce(f64::max),
        ) else {
            return (f64::NEG_INFINITY, f64::INFINITY);
        };
        let now = |mu: f64, side: f64| self.log_wealth(mu, side).last().copied().unwrap_or(0.0);
        let far = self.scale * 2.0;
        // Lower end: the largest μ still rejected by the "above" process.
        let lower = if now(lo_d - far, 1.0) < threshold {
            f64::NEG_INFINITY
        } else {
            bisect(lo_d - far, hi_d, |mu| now(mu, 1.0) >= threshold)
        };
        let upper = if now(hi_d + far, -1.0) < threshold {
            f64::INFINITY
        } else {
            bisect(hi_d + far, lo_d, |mu| now(mu, -1.0) >= threshold)
        };
        (lower, upper)
    }
}

/// The boundary between `from` (where `rejected` holds) and `to` (where it does not).
fn bisect(mut from: f64, mut to: f64, rejected: impl Fn(f64) -> bool) -> f64 {
    for _ in 0..60 {
        let mid = 0.5 * (from + to);
        if rejected(mid) {
            from = mid;
        } else {
            to = mid;
        }
    }
    0.5 * (from + to)
}

#[cfg(test)]
mod tests {
    use super::super::rng::Rng;
    use super::*;

    /// Two looks by hand with scale 1 and mu0 0: Y = 0.5 then 1 (clipped from 3).
    /// Wealth for bet λ is (1 + λ/2)(1 + λ); the e-value is their mean over the bets.
    #[test]
    fn wealth_matches_a_hand_computation() {
        let mut t = BettingTest::new(1.0);
        t.observe(0.5);
        t.observe(3.0);
        let expected: f64 = BETS
            .iter()
            .map(|l| (1.0 + l / 2.0) * (1.0 + l))
            .sum::<f64>()
            / BETS.len() as f64;
        assert!((t.e_value_above(0.0) - expected).abs() < 1e-12);
        // At λ = 0.9: 1.45 × 1.9 = 2.755.
        assert!(((1.0 + 0.45) * 1.9 - 2.755f64).abs() < 1e-12);
    }

    /// Computed independently in Python: Y = clip((d − ln 1.2)/0.5, −1, 1), wealth
    /// Π(1 + λY) per bet, mean over the bets.
    #[test]
    fn wealth_matches_an_independent_computation() {
        let mut t = BettingTest::new(0.5);
        for d in [0.3, -0.1, 0.8, 0.25] {
            t.observe(d);
        }
        let e = t.e_value_above(1.2f64.ln());
        assert!((e - 1.189_953_366_308_114).abs() < 1e-12, "{e}");
    }

    #[test]
    fn values_at_or_below_the_tolerance_never_build_evidence() {
        let mut t = BettingTest::new(1.0);
        for _ in 0..50 {
            t.observe(0.0);
        }
        assert_eq!(t.max_e_value_above(0.0), 1.0);
        let mut t = BettingTest::new(1.0);
        for _ in 0..50 {
            t.observe(-0.3);
        }
        assert!(t.max_e_value_above(0.0) <= 1.0);
        assert!(t.max_e_value_below(0.0) > 20.0);
    }

    #[test]
    fn the_interval_covers_the_mean_and_shrinks() {
        let mut rng = Rng::new(3);
        let mut t = BettingTest::new(1.0);
        for _ in 0..10 {
            t.observe(0.3 + 0.1 * rng.normal());
        }
        let (lo10, hi10) = t.interval(0.05);
        for _ in 0..90 {
            t.observe(0.3 + 0.1 * rng.normal());
        }
        let (lo, hi) = t.interval(0.05);
        assert!(lo < 0.3 && 0.3 < hi, "({lo}, {hi})");
        assert!(hi - lo < hi10 - lo10, "({lo}, {hi}) vs ({lo10}, {hi10})");
        assert!(lo > 0.15 && hi < 0.45, "({lo}, {hi})");
        assert_eq!(
            BettingTest::new(1.0).interval(0.05),
            (f64::NEG_INFINITY, f64::INFINITY)
        );
    }

    /// Healthy latency: log-normal noise per interval, 30 looks. The betting test keeps false
    /// rollbacks below alpha; a naive one-sided t-test at every look does not.
    #[test]
    fn monte_carlo_type_one_error_stays_below_alpha_under_repeated_looks() {
        let (alpha, runs, looks) = (0.05, 2000, 30);
        let mut rng = Rng::new(17);
        let (mut betting, mut naive) = (0u32, 0u32);
        for _ in 0..runs {
            let mut t = BettingTest::new(1.0);
            let mut naive_rejected = false;
            let (mut sum, mut sum2) = (0.0, 0.0);
            for i in 1..=looks {
                let d = 0.2 * rng.normal(); // ln(canary/baseline), equal medians
                t.observe(d);
                sum += d;
                sum2 += d * d;
                if i >= 3 {
                    let n = f64::from(i);
                    let mean = sum / n;
                    let var = (sum2 - n * mean * mean) / (n - 1.0);
                    // t quantile 0.95 at ≥ 2 degrees of freedom is at most 2.92; 1.7 is
                    // about right from 30 on. Use 1.8 as a generous single-look cut-off.
                    naive_rejected |= mean / (var / n).sqrt() > 1.8;
                }
            }
            betting += u32::from(t.max_e_value_above(0.0) >= 1.0 / alpha);
            naive += u32::from(naive_rejected);
        }
        let betting = f64::from(betting) / f64::from(runs);
        let naive = f64::from(naive) / f64::from(runs);
        assert!(betting <= alpha - 0.01, "betting false rollbacks {betting}");
        assert!(
            naive > 2.0 * alpha,
            "naive repeated t-test false rollbacks {naive}"
        );
    }

    /// +300 ms on a 200 ms baseline (ratio 2.5) is caught within 11 looks at α = 1 % (the
    /// bounded-bet ceiling, see the module docs); a 30 % slowdown
    /// against a tolerance of 10 % is caught within 30 looks most of the time.
    #[test]
    fn monte_carlo_power_catches_slower_canaries() {
        let mut rng = Rng::new(23);
        let mut looks_needed = Vec::new();
        let mut caught_small = 0;
        for _ in 0..300 {
            let mut t = BettingTest::new(0.5);
            let mut first = None;
            for i in 1..=30 {
                t.observe((2.5f64).ln() + 0.2 * rng.normal());
                if first.is_none() && t.e_value_above(0.0) >= 100.0 {
                    first = Some(i);
                }
            }
            looks_needed.push(first.unwrap_or(99));
            let mut s = BettingTest::new(0.5);
            for _ in 0..30 {
                s.observe((1.3f64).ln() + 0.1 * rng.normal());
            }
            caught_small += u32::from(s.max_e_value_above((1.1f64).ln()) >= 20.0);
        }
        looks_needed.sort_unstable();
        assert!(
            looks_needed[looks_needed.len() - 1] <= 11,
            "{looks_needed:?}"
        );
        assert!(caught_small >= 270, "caught {caught_small} of 300");
    }
}

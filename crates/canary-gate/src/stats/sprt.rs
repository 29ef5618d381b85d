//! A mixture sequential probability ratio test on error counts, canary against baseline.
//!
//! ## The model
//!
//! In interval `i` the canary serves `n_c` requests with `x_c` errors and the baseline `n_b`
//! requests with `x_b` errors; `m = x_c + x_b`. If errors arrive as Poisson processes with rates
//! `n_c·p_c` and `n_b·p_b`, then conditional on `m` the canary's count is
//!
//! ```text
//! x_c | m  ~  Binomial(m, π),    π = r·n_c / (r·n_c + n_b),    r = p_c / p_b
//! ```
//!
//! The unknown baseline error rate `p_b` has disappeared: only the rate ratio `r` is left.
//! Write `π0_i` for `π` at the tolerated ratio `r0` (the policy's `max-ratio`, 1 when the canary
//! may be no worse at all) and `θ = ln(r / r0)`, so that `logit π = logit π0_i + θ`. The null
//! hypothesis is `θ ≤ 0`; a regression is `θ > 0`.
//!
//! ## The e-process
//!
//! For a fixed `θ > 0`, the likelihood ratio of interval `i` against `θ = 0` is
//!
//! ```text
//! L_i(θ) = (π_θ/π0_i)^x_c · ((1-π_θ)/(1-π0_i))^(m-x_c),    π_θ = σ(logit π0_i + θ)
//! ```
//!
//! and `Π_i L_i(θ)` is a test supermartingale for every null `θ' ≤ 0`: each error is a
//! Bernoulli trial in an exponential family with natural parameter `η`, and
//! `E_θ'[L] = exp(A(η'+θ) + A(η0) − A(η') − A(η0+θ)) ≤ 1` by convexity of the log-partition
//! `A` (the pair `η', η0+θ` straddles the pair `η'+θ, η0` with the same sum).
//! We do not know the size of a regression, so the e-value is a mixture over a grid of ratios
//! `exp(θ_k)` with prior weights `w_k` (`Σ w_k = 1`). Any prior keeps validity — a convex
//! combination of test supermartingales is one — and the prior only shapes power: the mixture
//! pays `ln(1/w_k)` nats of evidence, against the single likelihood ratio at `θ_k`, to find a
//! regression of size `θ_k`. The weights therefore go where evidence is scarce:
//!
//! ```text
//! exp(θ_k)   1.25   1.5   2     3     5     10
//! w_k        0.05   0.30  0.30  0.15  0.10  0.10
//! ```
//!
//! Ratios of 1.5–2 get most of the mass: they are the regressions that matter and that take a
//! whole canary to show (at 10 % traffic and a 1 % error rate an interval carries about 0.03
//! nats per error about a doubling). Under a gross regression (≥ 5×) each canary error adds
//! roughly `ln 5`–`ln 10` nats, so the `ln(1/0.1) ≈ 2.3` nats its small weight costs is one or
//! two canary errors: an interval or so at worst.
//! 1.25× keeps a little weight for long analyses. Against the former equal weights over
//! `{1.25, 1.5, 2, 3, 4, 6, 10}` (`ln 7 ≈ 1.95` nats at every ratio) a doubling now costs
//! `ln(1/0.3) ≈ 1.20` nats, and the simulation (`examples/simulate.rs`) detects it sooner
//! and more often, within about a point of a likelihood ratio that knew the ratio was 2.
//!
//! ```text
//! E_t = Σ_k w_k Π_{i≤t} L_i(θ_k)
//! ```
//!
//! We reject (roll back) the first time `E_t ≥ 1/α`; Ville's inequality bounds the false
//! rollback probability by `α` however many intervals are looked at.
//!
//! **When the counts are binomial, not Poisson** (each request fails independently with
//! probability `p`), and `p_c = p_b`, then `x_c | m` is hypergeometric, not binomial.
//! Hoeffding (1963, Thm 4) shows `E f(hypergeometric) ≤ E f(binomial)` for convex `f` with
//! the same mean, and `L_i(θ)` is convex in `x_c`, so the test stays valid (conservative)
//! for the "no worse than baseline" null. With a tolerance `r0 > 1` under binomial counts the
//! conditional law is Fisher's noncentral hypergeometric and the Poisson form above is an
//! approximation that is accurate while error rates are small (a few percent), which is where
//! canary analysis lives.
//!
//! ## Proving the canary good
//!
//! The mirror-image mixture over `θ < 0` (ratios `1/1.25 … 1/10` of the tolerance, the same
//! weights) is an e-process for the null "the canary is worse than the tolerance"; crossing `1/α` proves the
//! canary within tolerance. It is reported as evidence; the judge does not need it to promote.

/// Regression sizes (rate ratios beyond the tolerance) the mixture bets on, with their prior
/// weights (summing to 1): most on the 1.5–2× regressions that are slow to show.
const MIXTURE: [(f64, f64); 6] = [
    (1.25, 0.05),
    (1.5, 0.30),
    (2.0, 0.30),
    (3.0, 0.15),
    (5.0, 0.10),
    (10.0, 0.10),
];

/// `ln Σ_k w_k exp(x_k)` with the [`MIXTURE`] weights, without overflow. Divided by the sum
/// of the weights as stored, so that rounding in the decimal weights cannot make the prior's
/// mass exceed 1 (and an e-value without evidence is exactly 1).
fn log_mixture(log_lr: &[f64]) -> f64 {
    let max = log_lr.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return max;
    }
    let sum: f64 = MIXTURE
        .iter()
        .zip(log_lr)
        .map(|((_, w), x)| w * (x - max).exp())
        .sum();
    let total: f64 = MIXTURE.iter().map(|(_, w)| w).sum();
    max + (sum / total).ln()
}

/// Errors and requests of one group in one interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Count {
    pub errors: u64,
    pub requests: u64,
}

/// The sequential test, fed one interval at a time.
#[derive(Debug, Clone)]
pub struct ErrorCountTest {
    log_tolerance: f64,
    /// `Σ_i ln L_i(θ_k)` for the regression side, per grid point.
    log_lr_worse: Vec<f64>,
    /// The same for the "proven within tolerance" side (`θ < 0`).
    log_lr_better: Vec<f64>,
    /// The largest regression e-value seen so far: rejection at any look counts.
    max_log_e_worse: f64,
    max_log_e_better: f64,
    pub canary: Count,
    pub baseline: Count,
}

impl ErrorCountTest {
    /// `max_ratio`: how many times the baseline's error rate the canary may have (≥ 1).
    pub fn new(max_ratio: f64) -> ErrorCountTest {
        ErrorCountTest {
            log_tolerance: max_ratio.max(f64::MIN_POSITIVE).ln(),
            log_lr_worse: vec![0.0; MIXTURE.len()],
            log_lr_better: vec![0.0; MIXTURE.len()],
            max_log_e_worse: 0.0,
            max_log_e_better: 0.0,
            canary: Count::default(),
            baseline: Count::default(),
        }
    }

    /// One interval's counts. Intervals where either group served nothing, or nobody failed,
    /// carry no information about the ratio and leave the e-values as they are.
    pub fn observe(&mut self, canary: Count, baseline: Count) {
        self.canary.errors += canary.errors;
        self.canary.requests += canary.requests;
        self.baseline.errors += baseline.errors;
        self.baseline.requests += baseline.requests;
        let m = canary.errors + baseline.errors;
        if m == 0 || canary.requests == 0 || baseline.requests == 0 {
            return;
        }
        let (xc, xb) = (canary.errors as f64, baseline.errors as f64);
        let logit0 =
            self.log_tolerance + (canary.requests as f64).ln() - (baseline.requests as f64).ln();
        // ln π and ln(1-π) for logit π = z, computed stably.
        let ln_pi = |z: f64| -softplus(-z);
        let ln_one_minus_pi = |z: f64| -softplus(z);
        let base = xc * ln_pi(logit0) + xb * ln_one_minus_pi(logit0);
        for (k, (ratio, _)) in MIXTURE.iter().enumerate() {
            let d = ratio.ln();
            self.log_lr_worse[k] +=
                xc * ln_pi(logit0 + d) + xb * ln_one_minus_pi(logit0 + d) - base;
            self.log_lr_better[k] +=
                xc * ln_pi(logit0 - d) + xb * ln_one_minus_pi(logit0 - d) - base;
        }
        self.max_log_e_worse = self.max_log_e_worse.max(log_mixture(&self.log_lr_worse));
        self.max_log_e_better = self.max_log_e_better.max(log_mixture(&self.log_lr_better));
    }

    /// The e-value against "no worse than tolerated", now.
    pub fn e_value(&self) -> f64 {
        log_mixture(&self.log_lr_worse).exp()
    }

    /// The largest e-value against "no worse than tolerated" at any look so far.
    pub fn max_e_value(&self) -> f64 {
        self.max_log_e_worse.exp()
    }

    /// The largest e-value against "worse than tolerated" at any look so far.
    pub fn max_e_value_within_tolerance(&self) -> f64 {
        self.max_log_e_better.exp()
    }

    /// Whether a regression beyond the tolerance is shown at level `alpha`.
    pub fn regression(&self, alpha: f64) -> bool {
        self.max_log_e_worse >= (1.0 / alpha).ln()
    }

    /// Whether the canary is shown within the tolerance at level `alpha`.
    pub fn within_tolerance(&self, alpha: f64) -> bool {
        self.max_log_e_better >= (1.0 / alpha).ln()
    }
}

/// `ln(1 + e^x)` without overflow.
fn softplus(x: f64) -> f64 {
    if x > 30.0 {
        x + (-x).exp()
    } else {
        x.exp().ln_1p()
    }
}

/// A one-sided two-proportion z statistic on cumulative counts: what a test built for one look
/// computes. Used by the tests and the simulation to show what repeated looks do to it.
pub fn two_proportion_z(canary: Count, baseline: Count) -> f64 {
    let (nc, nb) = (canary.requests as f64, baseline.requests as f64);
    if nc == 0.0 || nb == 0.0 {
        return 0.0;
    }
    let (pc, pb) = (canary.errors as f64 / nc, baseline.errors as f64 / nb);
    let p = (canary.errors + baseline.errors) as f64 / (nc + nb);
    let se = (p * (1.0 - p) * (1.0 / nc + 1.0 / nb)).sqrt();
    if se == 0.0 { 0.0 } else { (pc - pb) / se }
}

#[cfg(test)]
mod tests {
    use super::super::rng::Rng;
    use super::*;

    fn c(errors: u64, requests: u64) -> Count {
        Count { errors, requests }
    }

    /// One interval by hand: 3 of 4 errors from a canary serving half the traffic.
    /// π0 = 0.5; for ratio 2, π = 2/3: L = (4/3)^3 · (2/3)^1 = 128/81 = 1.580247…
    #[test]
    fn likelihood_ratio_matches_a_hand_computation() {
        let mut t = ErrorCountTest::new(1.0);
        t.observe(c(3, 100), c(1, 100));
        let expected: f64 = MIXTURE
            .iter()
            .map(|(r, w)| {
                let pi = r / (r + 1.0);
                w * (pi / 0.5).powi(3) * ((1.0 - pi) / 0.5)
            })
            .sum::<f64>();
        assert!((t.e_value() - expected).abs() < 1e-12, "{}", t.e_value());
        let r2 = (4.0f64 / 3.0).powi(3) * (2.0 / 3.0);
        assert!((r2 - 128.0 / 81.0).abs() < 1e-12);
        assert!((r2 - 1.580_247).abs() < 1e-6);
    }

    /// Values computed independently with Python's `fractions` (standard library) in exact
    /// rational arithmetic from the probabilities directly (`π = r·r0·n_c / (r·r0·n_c + n_b)`,
    /// `L = Π (π/π0)^x_c ((1-π)/(1-π0))^x_b`, `E = Σ w_k L(r_k)` with the weights as fractions),
    /// then rounded to `f64`; not from the log-odds form used here.
    #[test]
    fn e_values_match_an_independent_computation() {
        let intervals = [(2, 100, 5, 900), (4, 250, 6, 750), (7, 500, 5, 500)];
        let run = |r0: f64| {
            let mut t = ErrorCountTest::new(r0);
            for (xc, nc, xb, nb) in intervals {
                t.observe(c(xc, nc), c(xb, nb));
            }
            t
        };
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1.0);
        let t = run(1.0);
        assert!(
            close(t.e_value(), 2.327_260_771_312_620_8),
            "{}",
            t.e_value()
        );
        // The largest value came at the second look.
        assert!(
            close(t.max_e_value(), 2.575_771_302_788_924_6),
            "{}",
            t.max_e_value()
        );
        let t = run(1.5);
        assert!(
            close(t.e_value(), 0.603_584_263_811_135_6),
            "{}",
            t.e_value()
        );
    }

    /// The mixture is an e-process only if the prior is a probability distribution.
    #[test]
    fn mixture_weights_are_a_probability_distribution() {
        let total: f64 = MIXTURE.iter().map(|(_, w)| w).sum();
        assert!((total - 1.0).abs() < 1e-12, "{total}");
        assert!(MIXTURE.iter().all(|(r, w)| *r > 1.0 && *w > 0.0));
    }

    #[test]
    fn intervals_without_errors_or_traffic_carry_no_evidence() {
        let mut t = ErrorCountTest::new(1.0);
        t.observe(c(0, 100), c(0, 900));
        t.observe(c(5, 0), c(0, 0));
        assert_eq!(t.e_value(), 1.0);
        assert_eq!(t.max_e_value(), 1.0);
    }

    #[test]
    fn a_clear_regression_is_rejected_and_a_clean_canary_is_not() {
        let mut bad = ErrorCountTest::new(1.0);
        let mut good = ErrorCountTest::new(1.0);
        for _ in 0..10 {
            bad.observe(c(8, 100), c(9, 900)); // 8 % against 1 %
            good.observe(c(1, 100), c(9, 900));
        }
        assert!(bad.regression(0.01), "{}", bad.max_e_value());
        assert!(!good.regression(0.05), "{}", good.max_e_value());
    }

    #[test]
    fn the_tolerance_moves_the_null() {
        // 1.5 % against 1 %: a regression at ratio 1, within a tolerated ratio of 2.
        let mut strict = ErrorCountTest::new(1.0);
        let mut tolerant = ErrorCountTest::new(2.0);
        for _ in 0..60 {
            strict.observe(c(15, 1000), c(10, 1000));
            tolerant.observe(c(15, 1000), c(10, 1000));
        }
        assert!(strict.regression(0.05));
        assert!(!tolerant.regression(0.05));
        assert!(tolerant.within_tolerance(0.05));
    }

    struct Scenario {
        canary_rate: f64,
        baseline_rate: f64,
        /// Requests per interval across both groups.
        traffic: u64,
        /// Canary traffic share per interval (the weight steps).
        shares: Vec<f64>,
    }

    /// Per run: did the mixture SPRT reject, and did a naive one-sided z-test at level alpha
    /// reject at any look (cumulative counts, z > z_alpha)?
    fn simulate(s: &Scenario, runs: u64, alpha: f64, z_alpha: f64, seed: u64) -> (f64, f64) {
        let mut rng = Rng::new(seed);
        let (mut sprt, mut naive) = (0u64, 0u64);
        for _ in 0..runs {
            let mut t = ErrorCountTest::new(1.0);
            let mut z_rejected = false;
            for share in &s.shares {
                let nc = (s.traffic as f64 * share).round() as u64;
                let nb = s.traffic - nc;
                let canary = c(rng.binomial(nc, s.canary_rate), nc);
                let baseline = c(rng.binomial(nb, s.baseline_rate), nb);
                t.observe(canary, baseline);
                z_rejected |= two_proportion_z(t.canary, t.baseline) > z_alpha;
            }
            sprt += u64::from(t.regression(alpha));
            naive += u64::from(z_rejected);
        }
        (sprt as f64 / runs as f64, naive as f64 / runs as f64)
    }

    fn steps() -> Vec<f64> {
        // 10, 25, 50 % with 8 one-minute looks each.
        [0.10, 0.25, 0.50]
            .iter()
            .flat_map(|s| std::iter::repeat_n(*s, 8))
            .collect()
    }

    /// The point of the method: 24 looks at a healthy canary. The mixture SPRT keeps false
    /// rollbacks under alpha; the naive repeated z-test at the same level does not.
    #[test]
    fn monte_carlo_type_one_error_stays_below_alpha_under_repeated_looks() {
        let alpha = 0.05;
        let healthy = Scenario {
            canary_rate: 0.02,
            baseline_rate: 0.02,
            traffic: 2000,
            shares: steps(),
        };
        let (sprt, naive) = simulate(&healthy, 2000, alpha, 1.644_854, 7);
        eprintln!("24 looks at alpha {alpha}: mixture SPRT {sprt}, repeated z-test {naive}");
        // 2000 runs: the standard error of a 5 % rate is 0.5 %, so 4 % leaves a wide margin.
        assert!(sprt <= alpha - 0.01, "mixture SPRT false rollbacks {sprt}");
        assert!(
            naive > 1.8 * alpha,
            "naive repeated z-test false rollbacks {naive}"
        );
    }

    #[test]
    fn monte_carlo_power_catches_a_doubled_error_rate() {
        let regression = Scenario {
            canary_rate: 0.02,
            baseline_rate: 0.01,
            traffic: 2000,
            shares: steps(),
        };
        let (power, _) = simulate(&regression, 500, 0.05, 1.644_854, 11);
        assert!(power >= 0.9, "power {power}");
        let severe = Scenario {
            canary_rate: 0.10,
            baseline_rate: 0.01,
            traffic: 500,
            shares: vec![0.10; 5],
        };
        let (power, _) = simulate(&severe, 500, 0.01, 2.326, 13);
        assert!(
            power >= 0.95,
            "power on a 10x regression at 10 % traffic {power}"
        );
    }
}

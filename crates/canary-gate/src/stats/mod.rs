//! Anytime-valid sequential statistics: the evidence `judge` turns into a verdict.
//!
//! Canary analysis looks at the data after every interval. A test built for one look (a t-test,
//! a z-test on two proportions, Mann–Whitney) run at every look rejects a healthy canary far
//! more often than its nominal level: with 24 looks at 5 % a repeated one-sided z-test rolls
//! back 28 % of healthy canaries, where the mixture SPRT below rolls back 1.4 % (the Monte Carlo
//! test in [`sprt`] measures both). Every test here is
//! instead a **test supermartingale** (an *e-process*) `E_t` under the null hypothesis "the
//! canary is no worse than the baseline by more than the tolerance": `E_0 = 1`, `E_t ≥ 0` and
//! `E[E_t | past] ≤ E_{t-1}`. Ville's inequality then gives
//!
//! ```text
//! P( sup_t E_t ≥ 1/α ) ≤ α
//! ```
//!
//! so we may look after every interval, for as long as we like, and stop the first time
//! `E_t ≥ 1/α` with a false-rollback probability of at most `α` over the whole analysis.
//! An average of test supermartingales is one too (a *mixture*), which is how both tests below
//! avoid guessing the size of the regression in advance.
//!
//! Three engines:
//!
//! - [`sprt::ErrorCountTest`] — error counts (5XX, failed probes). A mixture sequential
//!   probability ratio test on the canary's share of the errors, conditional on the total number
//!   of errors in each interval. It needs no knowledge of the baseline error rate and handles
//!   traffic weights that change from step to step.
//! - [`sequential_t::SequentialT`] — continuous metrics (latency, custom values) compared per
//!   interval: the log of the canary/baseline ratio, or their difference. A scale-invariant
//!   Bayes-factor t-test, an e-process under normal per-interval values with unknown variance;
//!   the default, because it shows a gross regression in five or six intervals.
//! - [`confidence_sequence::BettingTest`] — the same comparisons without the normal assumption
//!   (`assume-normal: false`): a betting (capital-process) test on the clipped, bounded
//!   observations, valid when each interval's value is symmetric about its centre; inverting
//!   it gives the confidence sequence for the canary/baseline ratio that the summary shows,
//!   valid at every interval simultaneously. Also the test for error-rate differences
//!   (`max-difference`), which are bounded and need no assumption at all.
//!
//! And one for a known horizon: [`group_sequential`], a score test of the same error counts
//! that spends its budget over the steps of a canary whose steps are fixed in advance, at
//! close to the power of a single test at the end, beside the mixture SPRT with a small share
//! of the budget for gross failures.
//!
//! Absolute thresholds ("error rate below 5 %") are plain comparisons done by the judge on
//! top of these; they are the user's rules, not statistical tests.

pub mod confidence_sequence;
pub mod group_sequential;
pub mod sequential_t;
pub mod sprt;

/// `ln(mean(exp(x)))` without overflow: the log of an equal-weight mixture.
pub(crate) fn log_mean_exp(xs: &[f64]) -> f64 {
    let max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return max;
    }
    let sum: f64 = xs.iter().map(|x| (x - max).exp()).sum();
    max + (sum / xs.len() as f64).ln()
}

/// A small deterministic generator for the Monte Carlo tests and the simulation
/// (`examples/simulate.rs`): SplitMix64, so they need no dependency and give the same numbers
/// on every machine. Not for anything else.
pub mod rng {
    #[derive(Debug)]
    pub struct Rng(u64);

    impl Rng {
        pub fn new(seed: u64) -> Rng {
            Rng(seed)
        }

        pub fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        /// Uniform in (0, 1).
        pub fn uniform(&mut self) -> f64 {
            ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        }

        pub fn normal(&mut self) -> f64 {
            let (u, v) = (self.uniform(), self.uniform());
            (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
        }

        /// Binomial(n, p): exact by summing Bernoulli trials for small n, normal approximation
        /// (rounded, clamped) for large n, which is plenty for simulated traffic.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        pub fn binomial(&mut self, n: u64, p: f64) -> u64 {
            if n <= 200 {
                return (0..n).filter(|_| self.uniform() < p).count() as u64;
            }
            let mean = n as f64 * p;
            let sd = (mean * (1.0 - p)).sqrt();
            if mean < 30.0 {
                // Poisson by inversion: close to the binomial when p is small.
                let l = (-mean).exp();
                let (mut k, mut prod) = (0u64, self.uniform());
                while prod > l {
                    k += 1;
                    prod *= self.uniform();
                }
                return k.min(n);
            }
            (mean + sd * self.normal()).round().clamp(0.0, n as f64) as u64
        }
    }
}

//! A sequential t-test: an e-process for "the mean is at most μ0" with unknown variance, for
//! per-interval values that are close to normal (log-ratios of averages or percentiles).
//!
//! With `y_i = d_i − μ0`, `n ≥ 2`, `t` the one-sample t statistic and `ν = n − 1`, the Bayes
//! factor of "effect size `δ = μ/σ` drawn from `N(0, g)`" against "`δ = 0`", with the
//! scale-invariant (right Haar, `1/σ`) prior on `σ` in both, is (Rouder et al. 2009, eq. for
//! fixed `g`)
//!
//! ```text
//! B_n(g) = (1 + n g)^(−1/2) · [ (1 + t²/ν) / (1 + t²/(ν (1 + n g))) ]^((ν+1)/2)
//! ```
//!
//! Because both hypotheses are invariant under rescaling and the priors on `σ` are the right
//! Haar measure, `B_n` is a likelihood ratio of the maximal invariant and hence a test
//! martingale under every `N(μ0, σ²)` in the filtration of that invariant (Pérez-Ortiz, Lardy,
//! de Heide and Grünwald, *E-statistics, group invariance and anytime valid testing*, 2022). The
//! rule "stop when `t > 0` and `B_n ≥ 1/α`" depends on the data only through `t`, so Ville's
//! inequality bounds its false-alarm probability by `α` at `μ = μ0`; for `μ < μ0` every `t_n`
//! is smaller (shift the same noise down) and the probability only falls. An equal mixture over
//! `g ∈ {1, 10, 100}` keeps this and detects both small and gross effects.
//!
//! The assumption is normal, independent per-interval values; it buys speed over the
//! distribution-free [`super::confidence_sequence::BettingTest`] (whose bounded bets grow at most
//! 1.9× per interval): a gross regression is shown after five or six intervals instead of ten or more.
//! Policies that do not want the assumption set `assume-normal: false`.

use super::log_mean_exp;

const G_GRID: [f64; 3] = [1.0, 10.0, 100.0];

/// ln B_n mixed over the g grid, for n values with t statistic `t`.
fn log_bf(n: usize, t: f64) -> f64 {
    if n < 2 {
        return 0.0;
    }
    let n_f = n as f64;
    let nu = n_f - 1.0;
    let t2 = if t.is_finite() { t * t } else { 1e300 };
    let per_g: Vec<f64> = G_GRID
        .iter()
        .map(|g| {
            let a = 1.0 + n_f * g;
            -0.5 * a.ln() + 0.5 * (nu + 1.0) * ((t2 / nu).ln_1p() - (t2 / (nu * a)).ln_1p())
        })
        .collect();
    log_mean_exp(&per_g)
}

/// The values observed so far.
#[derive(Debug, Clone, Default)]
pub struct SequentialT {
    d: Vec<f64>,
}

impl SequentialT {
    pub fn observe(&mut self, d: f64) {
        if d.is_finite() {
            self.d.push(d);
        }
    }

    /// The t statistic of the first `n` values against `mu0`.
    fn t(&self, n: usize, mu0: f64) -> f64 {
        let ys = &self.d[..n];
        let nf = n as f64;
        let mean = ys.iter().sum::<f64>() / nf - mu0;
        let var = ys.iter().map(|y| (y - mu0 - mean).powi(2)).sum::<f64>() / (nf - 1.0);
        if var <= 0.0 {
            return if mean > 0.0 {
                f64::INFINITY
            } else if mean < 0.0 {
                f64::NEG_INFINITY
            } else {
                0.0
            };
        }
        mean / (var / nf).sqrt()
    }

    /// The largest e-value at any look so far against "mean ≤ mu0" (`side` 1) or
    /// "mean ≥ mu0" (`side` −1).
    fn max_e(&self, mu0: f64, side: f64) -> f64 {
        (2..=self.d.len())
            .map(|n| {
                let t = self.t(n, mu0);
                if side * t > 0.0 { log_bf(n, t) } else { 0.0 }
            })
            .fold(0.0, f64::max)
            .exp()
    }

    pub fn max_e_value_above(&self, mu0: f64) -> f64 {
        self.max_e(mu0, 1.0)
    }

    pub fn max_e_value_below(&self, mu0: f64) -> f64 {
        self.max_e(mu0, -1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::super::rng::Rng;
    use super::*;

    /// Computed independently in Python from the formula with the t statistic of
    /// [0.3, 0.1, 0.5, 0.4] against 0 (t = 3.8060…, ν = 3), averaged over g = 1, 10, 100.
    #[test]
    fn bayes_factor_matches_an_independent_computation() {
        let mut s = SequentialT::default();
        for d in [0.3, 0.1, 0.5, 0.4] {
            s.observe(d);
        }
        let t = s.t(4, 0.0);
        assert!((t - 3.806_010_284_499_279_4).abs() < 1e-9, "{t}");
        let e = log_bf(4, t).exp();
        assert!((e - EXPECTED_BF).abs() < 1e-9 * EXPECTED_BF, "{e}");
    }

    const EXPECTED_BF: f64 = 3.278_230_119_205_659_3;

    #[test]
    fn one_look_or_none_is_no_evidence() {
        let mut s = SequentialT::default();
        assert_eq!(s.max_e_value_above(0.0), 1.0);
        s.observe(5.0);
        assert_eq!(s.max_e_value_above(0.0), 1.0);
    }

    /// Normal per-interval noise, 30 looks, healthy: false alarms stay under alpha while a
    /// naive repeated t-test at the same level exceeds it (see the betting test's twin).
    #[test]
    fn monte_carlo_type_one_error_stays_below_alpha_under_repeated_looks() {
        let (alpha, runs) = (0.05, 2000);
        let mut rng = Rng::new(41);
        let mut rejected = 0;
        for _ in 0..runs {
            let mut s = SequentialT::default();
            for _ in 0..30 {
                s.observe(0.1 + 0.2 * rng.normal());
            }
            rejected += u32::from(s.max_e_value_above(0.1) >= 1.0 / alpha);
        }
        let rate = f64::from(rejected) / f64::from(runs);
        assert!(rate <= alpha - 0.01, "false alarms {rate}");
    }

    #[test]
    fn gross_regressions_are_shown_within_six_looks() {
        let mut rng = Rng::new(43);
        for _ in 0..200 {
            let mut s = SequentialT::default();
            for _ in 0..6 {
                s.observe(0.66 + 0.06 * rng.normal());
            }
            assert!(
                s.max_e_value_above(0.0) >= 400.0,
                "{}",
                s.max_e_value_above(0.0)
            );
        }
    }
}

//! Traffic steps → ALB weights, and the plan of a run given the weights already live.
//!
//! The canary's share is a percentage, and the two target groups' weights are that share and
//! its complement (`10 %` → stable 90, canary 10), always within the ALB's 0–999 and never
//! both 0. A run starts by reading the live weights, so a re-run after a cancelled job
//! continues from the step it reached (or restores first, with `resume: restart`).

use std::time::Duration;

use crate::duration::human;

/// The ALB's largest target-group weight (moto accepts 1000; AWS does not).
pub const MAX_WEIGHT: u16 = 999;

/// One traffic step: the canary's share and how long to watch it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub percent: u8,
    pub duration: Duration,
}

/// The weights of the stable and canary target groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weights {
    pub stable: u16,
    pub canary: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeightsError {
    #[error(
        "weights stable={stable} canary={canary} are out of range: each must be 0 to {MAX_WEIGHT}"
    )]
    OutOfRange { stable: u16, canary: u16 },
    #[error("weights stable=0 canary=0 would send traffic nowhere: one must be above 0")]
    BothZero,
}

impl Weights {
    /// All traffic to the stable group: the rollback.
    pub const STABLE: Weights = Weights {
        stable: 100,
        canary: 0,
    };

    /// The weights that give the canary `percent` % of the traffic.
    pub fn for_percent(percent: u8) -> Weights {
        let canary = u16::from(percent.min(100));
        Weights {
            stable: 100 - canary,
            canary,
        }
    }

    pub fn validate(self) -> Result<Weights, WeightsError> {
        if self.stable > MAX_WEIGHT || self.canary > MAX_WEIGHT {
            return Err(WeightsError::OutOfRange {
                stable: self.stable,
                canary: self.canary,
            });
        }
        if self.stable == 0 && self.canary == 0 {
            return Err(WeightsError::BothZero);
        }
        Ok(self)
    }

    /// The canary's share in whole percent (weights set by hand need not sum to 100).
    pub fn canary_percent(self) -> u8 {
        let total = u32::from(self.stable) + u32::from(self.canary);
        if total == 0 {
            return 0;
        }
        let p = (u32::from(self.canary) * 100 + total / 2) / total;
        u8::try_from(p.min(100)).unwrap_or(100)
    }
}

/// `10,25,50,100` (each watched for `default_duration`) or `10:5m, 25:10m, 50:10m, 100`.
/// Shares must rise strictly, each from 1 to 100.
pub fn parse_steps(raw: &str, default_duration: Duration) -> Result<Vec<Step>, String> {
    const VALID: &str = "canary percentages from 1 to 100, strictly increasing, separated by commas, each optionally with a duration: 10,25,50,100 or 10:5m,50:10m,100";
    let mut steps: Vec<Step> = Vec::new();
    for part in raw
        .split([',', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (pct, dur) = match part.split_once(':') {
            Some((p, d)) => (p.trim(), Some(d.trim())),
            None => (part, None),
        };
        let percent = pct
            .trim_end_matches('%')
            .parse::<u8>()
            .ok()
            .filter(|p| (1..=100).contains(p))
            .ok_or_else(|| {
                format!("step '{part}' is not a percentage from 1 to 100; expected {VALID}")
            })?;
        let duration = match dur {
            None => default_duration,
            Some(d) => crate::duration::parse_duration(d)
                .ok_or_else(|| format!("step '{part}' has a duration '{d}' that is not like 30s, 5m or 1h; expected {VALID}"))?,
        };
        if let Some(last) = steps.last()
            && percent <= last.percent
        {
            return Err(format!(
                "step {percent} does not rise above the step before it ({}); expected {VALID}",
                last.percent
            ));
        }
        steps.push(Step { percent, duration });
    }
    if steps.is_empty() {
        return Err(format!("no steps; expected {VALID}"));
    }
    Ok(steps)
}

/// What a run does given the weights it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Put all traffic back on stable before the first step.
    pub restore_first: bool,
    /// The steps still to walk (the first may be the share already live).
    pub steps: Vec<Step>,
    /// The canary already has all traffic: a previous run promoted it.
    pub already_promoted: bool,
    /// For the log: why this plan.
    pub note: String,
}

impl Plan {
    /// What a dry run would do: restore stable first or not, walk the steps, judge every
    /// `interval`.
    pub fn dry_run(&self, interval: Duration) -> String {
        let steps: Vec<String> = self
            .steps
            .iter()
            .map(|s| format!("{} % for {}", s.percent, human(s.duration)))
            .collect();
        format!(
            "dry run: would {}walk {} and judge every {}; no traffic moved",
            if self.restore_first {
                "restore stable to 100 %, then "
            } else {
                ""
            },
            if steps.is_empty() {
                "no steps".to_string()
            } else {
                steps.join(", ")
            },
            human(interval)
        )
    }
}

/// How to treat a canary share that is already live when the run starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resume {
    /// Go on from the live share (a re-run after a cancelled job).
    Continue,
    /// All traffic back to stable, then start from the first step.
    Restart,
}

pub fn plan(steps: &[Step], live: Weights, resume: Resume) -> Plan {
    let live_pct = live.canary_percent();
    if live_pct == 0 {
        return Plan {
            restore_first: live != Weights::STABLE && live.canary != 0,
            steps: steps.to_vec(),
            already_promoted: false,
            note: "the canary has no traffic: starting from the first step".into(),
        };
    }
    match resume {
        Resume::Restart => Plan {
            restore_first: true,
            steps: steps.to_vec(),
            already_promoted: false,
            note: format!(
                "the canary has {live_pct} % of the traffic: restoring stable to 100 % and starting over (resume: restart)"
            ),
        },
        Resume::Continue if live.stable == 0 => Plan {
            restore_first: false,
            steps: Vec::new(),
            already_promoted: true,
            note: "the canary already has all the traffic: a previous run promoted it".into(),
        },
        Resume::Continue => {
            let rest: Vec<Step> = steps
                .iter()
                .copied()
                .filter(|s| s.percent >= live_pct)
                .collect();
            Plan {
                restore_first: false,
                note: format!(
                    "the canary has {live_pct} % of the traffic: continuing with {} (resume: continue)",
                    rest.iter()
                        .map(|s| format!("{} %", s.percent))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                steps: rest,
                already_promoted: false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: Duration = Duration::from_secs(60);

    fn s(percent: u8, secs: u64) -> Step {
        Step {
            percent,
            duration: Duration::from_secs(secs),
        }
    }

    #[test]
    fn weights_for_each_percent_are_valid_and_sum_to_100() {
        for p in 0..=100u8 {
            let w = Weights::for_percent(p).validate().unwrap();
            assert_eq!(w.stable + w.canary, 100);
            assert_eq!(w.canary_percent(), p);
        }
        assert_eq!(
            Weights::for_percent(10),
            Weights {
                stable: 90,
                canary: 10
            }
        );
        assert_eq!(
            Weights::for_percent(100),
            Weights {
                stable: 0,
                canary: 100
            }
        );
    }

    #[test]
    fn invalid_weights_are_refused() {
        assert_eq!(
            Weights {
                stable: 0,
                canary: 0
            }
            .validate(),
            Err(WeightsError::BothZero)
        );
        assert!(matches!(
            Weights {
                stable: 1000,
                canary: 0
            }
            .validate(),
            Err(WeightsError::OutOfRange { .. })
        ));
        assert!(
            Weights {
                stable: 999,
                canary: 1
            }
            .validate()
            .is_ok()
        );
        assert_eq!(
            Weights {
                stable: 3,
                canary: 1
            }
            .canary_percent(),
            25
        );
        assert_eq!(
            Weights {
                stable: 0,
                canary: 0
            }
            .canary_percent(),
            0
        );
    }

    #[test]
    fn steps_parse_in_both_forms() {
        assert_eq!(
            parse_steps("10,25,50,100", M).unwrap(),
            vec![s(10, 60), s(25, 60), s(50, 60), s(100, 60)]
        );
        assert_eq!(
            parse_steps("5%: 30s, 50:2m\n100", M).unwrap(),
            vec![s(5, 30), s(50, 120), s(100, 60)]
        );
    }

    #[test]
    fn malformed_steps_say_what_is_valid() {
        for (raw, says) in [
            ("", "no steps"),
            ("10,abc", "'abc'"),
            ("0,50", "'0'"),
            ("10,150", "'150'"),
            ("50,25", "does not rise"),
            ("10,10", "does not rise"),
            ("10:soon", "'soon'"),
        ] {
            let e = parse_steps(raw, M).unwrap_err();
            assert!(
                e.contains(says) && e.contains("strictly increasing"),
                "{raw}: {e}"
            );
        }
    }

    #[test]
    fn what_a_dry_run_would_do() {
        let steps = vec![s(10, 60), s(50, 300)];
        // (name, live weights, resume, the dry run says)
        let table: &[(&str, Weights, Resume, &str)] = &[
            (
                "from the start",
                Weights::STABLE,
                Resume::Continue,
                "dry run: would walk 10 % for 1m, 50 % for 5m and judge every 30s; no traffic moved",
            ),
            (
                "restarting",
                Weights::for_percent(10),
                Resume::Restart,
                "dry run: would restore stable to 100 %, then walk 10 % for 1m, 50 % for 5m and judge every 30s; no traffic moved",
            ),
            (
                "continuing",
                Weights::for_percent(50),
                Resume::Continue,
                "dry run: would walk 50 % for 5m and judge every 30s; no traffic moved",
            ),
            (
                "already promoted",
                Weights::for_percent(100),
                Resume::Continue,
                "dry run: would walk no steps and judge every 30s; no traffic moved",
            ),
        ];
        for (name, live, resume, want) in table {
            assert_eq!(
                plan(&steps, *live, *resume).dry_run(Duration::from_secs(30)),
                *want,
                "{name}"
            );
        }
    }

    #[test]
    fn plans_by_live_weights() {
        let steps = vec![s(10, 60), s(25, 60), s(50, 60), s(100, 60)];
        let table: &[(Weights, Resume, bool, &[u8], bool)] = &[
            (
                Weights::STABLE,
                Resume::Continue,
                false,
                &[10, 25, 50, 100],
                false,
            ),
            (
                Weights {
                    stable: 1,
                    canary: 0,
                },
                Resume::Continue,
                false,
                &[10, 25, 50, 100],
                false,
            ),
            (
                Weights::for_percent(25),
                Resume::Continue,
                false,
                &[25, 50, 100],
                false,
            ),
            (
                Weights::for_percent(30),
                Resume::Continue,
                false,
                &[50, 100],
                false,
            ),
            (
                Weights::for_percent(25),
                Resume::Restart,
                true,
                &[10, 25, 50, 100],
                false,
            ),
            (
                Weights::for_percent(100),
                Resume::Continue,
                false,
                &[],
                true,
            ),
            (
                Weights::for_percent(100),
                Resume::Restart,
                true,
                &[10, 25, 50, 100],
                false,
            ),
        ];
        for (live, resume, restore, rest, promoted) in table {
            let p = plan(&steps, *live, *resume);
            let pcts: Vec<u8> = p.steps.iter().map(|s| s.percent).collect();
            assert_eq!(
                (p.restore_first, pcts.as_slice(), p.already_promoted),
                (*restore, *rest, *promoted),
                "{live:?} {resume:?}: {}",
                p.note
            );
        }
    }
}

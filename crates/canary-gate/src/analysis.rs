//! What one analysis gathers and how it ends, shared by both ways canary-gate runs a canary:
//! traffic it moves itself ([`crate::run`]) and ECS's own CANARY/LINEAR deployments
//! ([`crate::ecs_native`]). [`action_for`] is what the gate does with a verdict.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context as _, anyhow};
use gantry_toolkit::{Runner, Signal, Stop, StopReason};

use crate::config::{Config, OnInconclusive};
use crate::duration::human;
use crate::judge::{Decision, Interval, Samples, Verdict, judge};
use crate::metrics::{CloudWatch, interval_from, queries_for};
use crate::outputs::Outcome;
use crate::policy::{MetricQuery, Policy, ProbeSpec, Source};
use crate::probe::{self, ProbeResult};
use crate::sources::{Datadog, Prometheus, Web, Window};
use crate::steps::Weights;
use crate::summary::WeightChange;
use crate::webhooks::{self, Event, Moment, Webhooks};

/// What the gate does after a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Go on: keep watching the step, then the next one.
    Continue,
    /// Promote the canary.
    Promote,
    /// Put all traffic back on stable.
    RollBack,
    /// Leave the traffic as it is and fail the step, for a person (or a re-run) to decide.
    Hold,
}

/// Where the analysis is when a verdict comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// During a step, with more looks or steps to come.
    Step,
    /// After the last look: the analysis is over.
    End,
}

/// What the gate does for the judge's `decision` at a look: a rollback verdict rolls back at
/// once, wherever the analysis is; any other verdict goes on until the end, where a promote
/// verdict promotes and an inconclusive one does what `on_inconclusive` says.
pub fn action_for(decision: Decision, on_inconclusive: OnInconclusive, at: At) -> Action {
    match (decision, at, on_inconclusive) {
        (Decision::Rollback, _, _) => Action::RollBack,
        (Decision::Promote | Decision::Inconclusive, At::Step, _) => Action::Continue,
        (Decision::Promote, At::End, _) => Action::Promote,
        (Decision::Inconclusive, At::End, OnInconclusive::Promote) => Action::Promote,
        (Decision::Inconclusive, At::End, OnInconclusive::Rollback) => Action::RollBack,
        (Decision::Inconclusive, At::End, OnInconclusive::Hold) => Action::Hold,
    }
}

/// How many looks a span (a step, the probe window) gets at one every `interval`: at least one.
pub fn looks(span: Duration, interval: Duration) -> u128 {
    (span.as_millis() / interval.as_millis().max(1)).max(1)
}

/// The canary's planned share at every look of a canary that walks `steps` from the start
/// (the judge's known horizon, [`crate::judge::Samples::horizon`]); `None` for a run that
/// continues a canary already under way (`resumed`), whose earlier looks this run did not
/// see: its horizon is open. The 100 % step is the promotion, not a look.
pub fn horizon(steps: &[crate::steps::Step], interval: Duration, resumed: bool) -> Option<Vec<u8>> {
    if resumed {
        return None;
    }
    let planned: Vec<u8> = steps
        .iter()
        .filter(|s| s.percent < 100)
        .flat_map(|s| {
            let n = usize::try_from(looks(s.duration, interval)).unwrap_or(usize::MAX);
            std::iter::repeat_n(s.percent, n)
        })
        .collect();
    (!planned.is_empty()).then_some(planned)
}

/// A warning when the policy reads the ALB's metrics, which it publishes once a minute, more
/// often than that: most windows would be empty.
pub fn sparse_alb_windows(interval: Duration, policy: &Policy) -> Option<String> {
    let reads_alb = policy
        .metrics
        .iter()
        .any(|m| matches!(m.source, Source::Alb { .. }));
    (interval < Duration::from_secs(60) && reads_alb).then(|| {
        format!(
            "interval {} is shorter than a minute, but the ALB publishes its metrics once a minute: most windows will be empty",
            human(interval)
        )
    })
}

/// How a canary run that stopped early (`why`) ends, once it tried to put all traffic back on
/// stable (`restore_error` when that failed) and then, either way, to roll back the canary
/// service (`service_error` when that failed): the reason, and the canary's final share, which
/// stays `share` when stable could not be restored.
pub fn after_halt(
    why: &str,
    restore_error: Option<&str>,
    service_error: Option<&str>,
    share: u8,
) -> (String, u8) {
    match restore_error {
        Some(e) => {
            let service = match service_error {
                Some(s) => format!("; {s}"),
                None => "; the canary service was scaled to 0".to_owned(),
            };
            (
                format!("{why}: restoring stable FAILED ({e}): set the weights by hand{service}"),
                share,
            )
        }
        None => {
            let service = service_error.map(|e| format!("; {e}")).unwrap_or_default();
            (format!("{why}: stable restored to 100 %{service}"), 0)
        }
    }
}

/// Everything observed during the run, kept for the outputs and the summary whatever happens.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) started: Instant,
    pub(crate) samples: Samples,
    pub(crate) weights: Vec<WeightChange>,
}

impl Session {
    pub(crate) fn log_weight(&mut self, w: Weights, why: impl Into<String>) {
        self.weights.push(WeightChange {
            at_secs: self.started.elapsed().as_secs(),
            canary_percent: w.canary_percent(),
            why: why.into(),
        });
    }
}

/// What ended the watch early.
pub(crate) enum Halt {
    Signal(Signal),
    Deadline,
    Error(anyhow::Error),
}

impl From<StopReason> for Halt {
    fn from(reason: StopReason) -> Halt {
        match reason {
            StopReason::Signal(signal) => Halt::Signal(signal),
            StopReason::Deadline { .. } => Halt::Deadline,
        }
    }
}

impl Halt {
    /// Why the watch ended, for the reason output (`timeout`: the run's overall deadline).
    pub(crate) fn why(&self, timeout: Duration) -> String {
        match self {
            Halt::Signal(s) => format!("cancelled by {s}"),
            Halt::Deadline => format!("the timeout of {} ran out", human(timeout)),
            Halt::Error(e) => format!("the analysis failed ({e:#})"),
        }
    }
}

/// The outcome and, when the step must fail, why.
pub(crate) type Done = (Outcome, Option<String>);

/// Gathers one interval of every metric.
pub(crate) struct Evidence<'a, C> {
    pub(crate) config: &'a Config,
    pub(crate) cloudwatch: Option<&'a C>,
    /// The target groups as (baseline, canary): the config's, or with the roles exchanged when
    /// ECS's own blue/green has the traffic on the input's canary group.
    pub(crate) alb: Option<crate::config::AlbTarget>,
    /// The `prometheus`, `datadog` and `web` sources, connected (secrets read and masked,
    /// SigV4 credentials set up) before anything changed; `None`: connect at the look.
    pub(crate) sources: Option<&'a crate::sources::Live>,
}

impl<C: CloudWatch> Evidence<'_, C> {
    pub(crate) async fn collect(&self, percent: u8) -> anyhow::Result<Vec<(String, Interval)>> {
        // The Prometheus, Datadog and web sources: their secrets read from the environment and
        // masked before any request; SigV4 with the run's AWS credentials.
        if let Some(sources) = self.sources {
            return self.collect_from(percent, sources).await;
        }
        let sources = crate::sources::Live::from_process(&self.config.policy).await?;
        self.collect_from(percent, &sources).await
    }

    /// [`Evidence::collect`] with `sources` for the `prometheus`, `datadog` and `web` metrics.
    pub(crate) async fn collect_from<S: Prometheus + Datadog + Web>(
        &self,
        percent: u8,
        sources: &S,
    ) -> anyhow::Result<Vec<(String, Interval)>> {
        let policy = &self.config.policy;
        let mut out = Vec::new();

        // CloudWatch: one call for every metric, over the last interval shifted by the delay
        // CloudWatch needs to publish it, aligned to whole minutes.
        let mut queries: Vec<MetricQuery> = Vec::new();
        let mut spans = Vec::new();
        for m in &policy.metrics {
            let q = queries_for(m, self.alb.as_ref());
            spans.push((queries.len(), q.len()));
            queries.extend(q);
        }
        let values = match (self.cloudwatch, queries.is_empty()) {
            (Some(cw), false) => {
                let end = align(
                    SystemTime::now() - self.config.metrics_delay,
                    self.config.interval,
                );
                let start = end - self.config.interval;
                cw.values(&queries, start, end).await?
            }
            _ => Vec::new(),
        };

        // Probes: each distinct probe once per look, canary and baseline at the same time.
        let mut results: HashMap<String, ProbeResult> = HashMap::new();
        for m in &policy.metrics {
            let Source::Probe(spec) = &m.source else {
                continue;
            };
            let mut urls = vec![spec.url.clone()];
            urls.extend(spec.baseline_url.clone());
            let handles: Vec<_> = urls
                .iter()
                .filter(|u| !results.contains_key(&probe_key(spec, u)))
                .map(|u| {
                    let (spec, url) = (spec.clone(), u.clone());
                    (
                        probe_key(&spec, &url),
                        tokio::task::spawn_blocking(move || probe::run(&spec, &url)),
                    )
                })
                .collect();
            for (key, handle) in handles {
                let result = handle.await.context("a probe thread failed")?;
                results.insert(key, result);
            }
        }

        // Prometheus, Datadog and web: the window of one interval that ends metrics-delay ago,
        // every query of a source at once.
        let window = Window {
            end: SystemTime::now()
                .checked_sub(self.config.metrics_delay)
                .unwrap_or(SystemTime::UNIX_EPOCH),
            interval: self.config.interval,
        };
        let read = crate::sources::read(sources, &policy.metrics, &window, percent).await?;

        for ((m, (at, len)), own) in policy.metrics.iter().zip(spans).zip(read) {
            let interval = match (own, &m.source) {
                (Some(own), _) => own,
                (None, Source::Probe(spec)) => {
                    let obs = |url: &str| {
                        let r = results
                            .get(&probe_key(spec, url))
                            .cloned()
                            .unwrap_or_default();
                        if m.kind.is_count() {
                            r.as_counts()
                        } else {
                            r.as_latency(&spec.statistic)
                        }
                    };
                    Interval {
                        percent,
                        canary: obs(&spec.url),
                        baseline: spec.baseline_url.as_deref().map(obs),
                    }
                }
                (None, _) => {
                    interval_from(m, percent, values.get(at..at + len).unwrap_or_default())
                }
            };
            out.push((m.name.clone(), interval));
        }
        Ok(out)
    }
}

fn probe_key(spec: &ProbeSpec, url: &str) -> String {
    format!(
        "{} {url} {:?} {} {} {:?}",
        spec.method, spec.expect_status, spec.requests, spec.concurrency, spec.timeout
    )
}

/// Down to a multiple of the period (whole minutes for periods of a minute or more):
/// CloudWatch's periods start there.
fn align(t: SystemTime, period: Duration) -> SystemTime {
    let step = if period >= Duration::from_secs(60) {
        60
    } else {
        period.as_secs().max(1)
    };
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => SystemTime::UNIX_EPOCH + Duration::from_secs(d.as_secs() - d.as_secs() % step),
        Err(_) => t,
    }
}

/// The pre-rollout hooks, before the run changes anything: a no (or SIGTERM, or the deadline,
/// while they are called) stops the run with an error, nothing changed. Not called for a run
/// that continues a rollout under way (`Moment::Start { continuing: true }`).
pub(crate) async fn pre_rollout(
    runner: &Runner,
    hooks: &Webhooks,
    cancel: &Stop,
    event: Event,
) -> anyhow::Result<()> {
    let names = hooks.names_due(Moment::Start { continuing: false });
    if names.is_empty() {
        return Ok(());
    }
    if !hooks.any_due(event.moment) {
        runner.info(&format!(
            "pre-rollout hooks not called ({}): this run continues a rollout already under way, and they were called when it started",
            names.join(", ")
        ));
        return Ok(());
    }
    runner.info(&format!("pre-rollout hooks: {}", names.join(", ")));
    tokio::select! {
        asked = hooks.ask(&event) => asked.map_err(|no| anyhow!(
            "{no}: the run stopped before changing anything; fix what the hook checks (or the hook) and re-run"
        )),
        reason = cancel.wait() => Err(anyhow!(
            "{} while the pre-rollout hooks were called: the run stopped before changing anything",
            match reason {
                StopReason::Signal(signal) => format!("cancelled by {signal}"),
                StopReason::Deadline { .. } => "the timeout ran out".to_owned(),
            }
        )),
    }
}

/// The verdict that rolls back because a rollout hook said no: the metrics as judged so far.
pub(crate) fn refused(no: &webhooks::No, samples: &Samples, config: &Config) -> Verdict {
    Verdict {
        decision: Decision::Rollback,
        reason: format!("{no}: a failing rollout hook fails the analysis"),
        metrics: judge(samples, &config.policy).metrics,
    }
}

/// The event of a look: the canary's share and the verdict so far.
pub(crate) fn look_event(percent: Option<u8>, last: Option<&Verdict>) -> Event {
    Event {
        moment: Moment::Look,
        canary_percent: percent,
        decision: last.map(|v| v.decision),
        reason: last.map(|v| v.reason.clone()).unwrap_or_default(),
        canary_task_definition: None,
        baseline_task_definition: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_gets_whole_looks_and_at_least_one() {
        let s = Duration::from_secs;
        // (name, span, interval, looks)
        let table: &[(&str, Duration, Duration, u128)] = &[
            ("five minutes a minute apart", s(300), s(60), 5),
            ("a part look is not taken", s(150), s(60), 2),
            ("shorter than the interval", s(30), s(60), 1),
            ("a probe window of 0 s: one round", s(0), s(60), 1),
            ("an interval of 0", s(3), Duration::ZERO, 3000),
        ];
        for (name, span, interval, want) in table {
            assert_eq!(looks(*span, *interval), *want, "{name}");
        }
    }

    #[test]
    fn sparse_alb_windows_are_warned_of() {
        let alb = crate::policy::parse(
            "metrics:\n  errors: {source: alb, kind: error-rate, max: 0.05}\n",
        )
        .unwrap();
        let probe = crate::policy::parse(
            "metrics:\n  health: {source: probe, kind: success-rate, url: 'http://127.0.0.1:9/', min: 0.9}\n",
        )
        .unwrap();
        let s = Duration::from_secs;
        // (name, interval, policy, warned)
        let table: &[(&str, Duration, &Policy, bool)] = &[
            ("ALB metrics every 30 s", s(30), &alb, true),
            ("ALB metrics every minute", s(60), &alb, false),
            ("probes every 10 s", s(10), &probe, false),
        ];
        for (name, interval, policy, warned) in table {
            let got = sparse_alb_windows(*interval, policy);
            assert_eq!(got.is_some(), *warned, "{name}: {got:?}");
        }
        assert_eq!(
            sparse_alb_windows(s(30), &alb).as_deref(),
            Some(
                "interval 30s is shorter than a minute, but the ALB publishes its metrics once a minute: most windows will be empty"
            )
        );
    }

    #[test]
    fn a_run_stopped_early_ends_on_stable_when_it_can() {
        // (name, restore error, service error, share before, reason, final share)
        type Case<'a> = (&'a str, Option<&'a str>, Option<&'a str>, u8, &'a str, u8);
        let table: &[Case] = &[
            (
                "restored",
                None,
                None,
                25,
                "cancelled by SIGTERM: stable restored to 100 %",
                0,
            ),
            (
                "restored, the canary service not scaled down",
                None,
                Some("scaling canary service 'c' to 0: denied"),
                25,
                "cancelled by SIGTERM: stable restored to 100 %; scaling canary service 'c' to 0: denied",
                0,
            ),
            (
                "not restored: the canary keeps its share",
                Some("throttled"),
                None,
                25,
                "cancelled by SIGTERM: restoring stable FAILED (throttled): set the weights by hand; the canary service was scaled to 0",
                25,
            ),
            (
                "neither",
                Some("throttled"),
                Some("scaling canary service 'c' to 0: denied"),
                25,
                "cancelled by SIGTERM: restoring stable FAILED (throttled): set the weights by hand; scaling canary service 'c' to 0: denied",
                25,
            ),
        ];
        for (name, restore, service, share, reason, left) in table {
            assert_eq!(
                after_halt("cancelled by SIGTERM", *restore, *service, *share),
                ((*reason).to_owned(), *left),
                "{name}"
            );
        }
    }

    #[test]
    fn what_the_gate_does_with_a_verdict() {
        use Action::{Continue, Hold, Promote, RollBack};
        use Decision as D;
        use OnInconclusive as On;
        // (name, decision, on-inconclusive, where, action)
        let table: &[(&str, Decision, OnInconclusive, At, Action)] = &[
            (
                "rollback mid-step: at once",
                D::Rollback,
                On::Promote,
                At::Step,
                RollBack,
            ),
            (
                "rollback at the end",
                D::Rollback,
                On::Hold,
                At::End,
                RollBack,
            ),
            (
                "promote mid-step: the steps go on",
                D::Promote,
                On::Rollback,
                At::Step,
                Continue,
            ),
            (
                "inconclusive mid-step: the steps go on",
                D::Inconclusive,
                On::Rollback,
                At::Step,
                Continue,
            ),
            (
                "inconclusive mid-step, even on-inconclusive hold",
                D::Inconclusive,
                On::Hold,
                At::Step,
                Continue,
            ),
            (
                "promote at the end",
                D::Promote,
                On::Rollback,
                At::End,
                Promote,
            ),
            (
                "inconclusive at the end, on-inconclusive promote",
                D::Inconclusive,
                On::Promote,
                At::End,
                Promote,
            ),
            (
                "inconclusive at the end, on-inconclusive rollback",
                D::Inconclusive,
                On::Rollback,
                At::End,
                RollBack,
            ),
            (
                "inconclusive at the end, on-inconclusive hold",
                D::Inconclusive,
                On::Hold,
                At::End,
                Hold,
            ),
        ];
        for (name, decision, on_inconclusive, at, want) in table {
            assert_eq!(
                action_for(*decision, *on_inconclusive, *at),
                *want,
                "{name}"
            );
        }
    }

    #[test]
    fn the_horizon_is_the_steps_looks_unless_resumed() {
        use crate::steps::Step;
        let step = |percent, secs| Step {
            percent,
            duration: Duration::from_secs(secs),
        };
        let steps = [step(10, 120), step(50, 60), step(100, 60)];
        let minute = Duration::from_secs(60);
        assert_eq!(horizon(&steps, minute, false), Some(vec![10, 10, 50]));
        assert_eq!(horizon(&steps, minute, true), None);
        assert_eq!(horizon(&[step(100, 60)], minute, false), None);
    }
}

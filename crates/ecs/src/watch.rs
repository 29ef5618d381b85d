//! Watching the deployment we created, by its id, not "the service".
//!
//! [`Watcher`] is a pure state machine over DescribeServices snapshots: it decides success only
//! when our deployment is PRIMARY and COMPLETED, runs as many tasks as desired, and the service
//! runs our task definition; a circuit breaker FAILED (whether ECS then rolled back or not), a
//! deployment nobody could place, and our deployment replaced by another are failures with the
//! reason. Events are reported once each, oldest first.
//!
//! [`PollSchedule`] decides when to look again: fast at first (1 s, 2 s, 3 s: a healthy
//! small service finishes in seconds), then every 4 s ± 15 % jitter, which keeps a watch at about 15
//! DescribeServices calls a minute (under 20) and reacts to a failure within 5 s; throttling
//! doubles the wait up to 30 s. [`watch`] runs both against an [`Ecs`].

use std::collections::HashSet;
use std::time::Duration;

use tokio::time::Instant;

use gantry_toolkit::Signal;

use crate::api::{
    DeploymentStatus, Ecs, EcsError, RolloutState, ServiceDeploymentInfo, ServiceSnapshot,
};
use crate::log::Log;
use crate::scope::Scope;
use crate::taskdef::short_name;

/// Why a deployment did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureKind {
    /// rolloutState FAILED. `ecs_rollback`: ECS already started a deployment of this task
    /// definition to roll back.
    CircuitBreaker { ecs_rollback: Option<String> },
    /// No task of ours started within the pending timeout.
    Stuck,
    /// Another deployment became PRIMARY while ours was in progress.
    Replaced { by: String, task_definition: String },
    /// Our deployment is gone from the service, which now runs `task_definition` (empty when
    /// the service itself is gone).
    Gone { task_definition: String },
    /// The deployment completed, but the check run after it (a smoke test task) failed.
    CheckFailed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Watching,
    Succeeded,
    Failed(Failure),
}

/// What one observation brought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// New service events, oldest first.
    pub events: Vec<String>,
    /// A progress line, when it differs from the last one.
    pub progress: Option<String>,
    pub verdict: Verdict,
}

#[derive(Debug, Clone)]
pub struct Watcher {
    deployment_id: String,
    task_definition: String,
    seen_events: HashSet<String>,
    ever_running: bool,
    pending_timeout: Duration,
    last_progress: String,
    last_event: Option<String>,
    /// The last event that names our deployment (ECS's reason survives there after the
    /// deployment itself is gone).
    last_event_about_ours: Option<String>,
    lifecycle: Option<Lifecycle>,
}

/// Following a blue/green (or linear, canary) deployment's lifecycle stages through the
/// service deployment APIs.
#[derive(Debug, Clone)]
struct Lifecycle {
    /// Epoch milliseconds: the service deployment is the newest created after this.
    after_ms: i64,
    arn: Option<String>,
    last: String,
}

/// How often (every n-th DescribeServices poll, from the fourth, about 10 s in) the lifecycle
/// stage is read: about once a minute, which keeps a blue/green watch under 20 calls a minute
/// even in its fast first minute (blue/green deployments take minutes: the bake time alone).
pub const LIFECYCLE_EVERY: u32 = 13;

impl Watcher {
    /// Watches deployment `deployment_id` of `task_definition` (an ARN). `known_events`: ids
    /// of events that were there before the deployment (not printed again).
    pub fn new(
        deployment_id: &str,
        task_definition: &str,
        known_events: impl IntoIterator<Item = String>,
        pending_timeout: Duration,
    ) -> Watcher {
        Watcher {
            deployment_id: deployment_id.to_owned(),
            task_definition: task_definition.to_owned(),
            seen_events: known_events.into_iter().collect(),
            ever_running: false,
            pending_timeout,
            last_progress: String::new(),
            last_event: None,
            last_event_about_ours: None,
            lifecycle: None,
        }
    }

    /// Also follow the lifecycle stages of the service deployment created after `after_ms`
    /// (epoch milliseconds): for strategies other than rolling.
    pub fn follow_lifecycle(mut self, after_ms: i64) -> Watcher {
        self.lifecycle = Some(Lifecycle {
            after_ms,
            arn: None,
            last: String::new(),
        });
        self
    }

    /// A line when the service deployment's stage or status changed since the last one.
    pub fn lifecycle_step(&mut self, info: &ServiceDeploymentInfo) -> Option<String> {
        let l = self.lifecycle.as_mut()?;
        let line = match (&info.lifecycle_stage, &info.status_reason) {
            (Some(stage), None) => format!("lifecycle stage {stage} ({})", info.status),
            (Some(stage), Some(r)) => format!("lifecycle stage {stage} ({}: {r})", info.status),
            (None, _) => format!("service deployment {}", info.status),
        };
        (line != l.last).then(|| {
            l.last = line.clone();
            line
        })
    }

    pub fn deployment_id(&self) -> &str {
        &self.deployment_id
    }

    pub fn task_definition(&self) -> &str {
        &self.task_definition
    }

    /// One snapshot, `elapsed` after the deployment started.
    pub fn observe(&mut self, snap: &ServiceSnapshot, elapsed: Duration) -> Step {
        let mut events = Vec::new();
        for e in snap.events.iter().rev() {
            if self.seen_events.insert(e.id.clone()) {
                events.push(e.message.clone());
            }
        }
        if let Some(last) = events.last() {
            self.last_event = Some(last.clone());
        }
        if let Some(about) = events
            .iter()
            .rev()
            .find(|e| e.contains(&self.deployment_id))
        {
            self.last_event_about_ours = Some(about.clone());
        }
        let mut step = Step {
            events,
            progress: None,
            verdict: Verdict::Watching,
        };
        let ours = snap.deployment(&self.deployment_id);
        let primary = snap.primary();
        let Some(d) = ours else {
            let (by, td) = primary
                .map(|p| (p.id.clone(), p.task_definition.clone()))
                .unwrap_or_default();
            let td = if td.is_empty() {
                snap.task_definition.clone()
            } else {
                td
            };
            step.verdict = Verdict::Failed(Failure {
                kind: FailureKind::Gone {
                    task_definition: td.clone(),
                },
                reason: format!(
                    "deployment {} is no longer in the service, which now runs {} (deployment {by}){}",
                    self.deployment_id,
                    short_name(&td),
                    self.last_event_about_ours
                        .as_ref()
                        .map(|e| format!("; ECS said: {e}"))
                        .unwrap_or_default()
                ),
            });
            return step;
        };
        if d.running > 0 {
            self.ever_running = true;
        }
        let state = match &d.rollout_state {
            Some(RolloutState::InProgress) => "IN_PROGRESS".to_owned(),
            Some(RolloutState::Completed) => "COMPLETED".to_owned(),
            Some(RolloutState::Failed) => "FAILED".to_owned(),
            Some(RolloutState::Other(s)) => s.clone(),
            None => "-".to_owned(),
        };
        let progress = format!(
            "deployment {}: {state}, running {}/{}, pending {}, failed tasks {}",
            self.deployment_id, d.running, d.desired, d.pending, d.failed_tasks
        );
        if progress != self.last_progress {
            self.last_progress = progress.clone();
            step.progress = Some(progress);
        }
        if d.rollout_state == Some(RolloutState::Failed) {
            let ecs_rollback = primary
                .filter(|p| p.id != d.id && p.task_definition != self.task_definition)
                .map(|p| p.task_definition.clone());
            let ecs_reason = d
                .rollout_reason
                .clone()
                .unwrap_or_else(|| "the deployment circuit breaker stopped it".into());
            let reason = match &ecs_rollback {
                Some(td) => format!(
                    "deployment {} FAILED: {ecs_reason} (ECS is rolling back to {})",
                    d.id,
                    short_name(td)
                ),
                None => format!("deployment {} FAILED: {ecs_reason}", d.id),
            };
            step.verdict = Verdict::Failed(Failure {
                kind: FailureKind::CircuitBreaker { ecs_rollback },
                reason,
            });
            return step;
        }
        if d.status != DeploymentStatus::Primary
            && let Some(p) = primary.filter(|p| p.id != d.id)
        {
            step.verdict = Verdict::Failed(Failure {
                kind: FailureKind::Replaced {
                    by: p.id.clone(),
                    task_definition: p.task_definition.clone(),
                },
                reason: format!(
                    "deployment {} of {} replaced ours ({}) before it completed",
                    p.id,
                    short_name(&p.task_definition),
                    d.id
                ),
            });
            return step;
        }
        let completed = d.rollout_state == Some(RolloutState::Completed)
            // Without a rollout state (old ECS answers), a lone PRIMARY with all tasks is done.
            || (d.rollout_state.is_none() && snap.deployments.len() == 1);
        if completed
            && d.status == DeploymentStatus::Primary
            && d.running == d.desired
            && snap.task_definition == self.task_definition
        {
            step.verdict = Verdict::Succeeded;
            return step;
        }
        if !self.ever_running && d.desired > 0 && elapsed >= self.pending_timeout {
            step.verdict = Verdict::Failed(Failure {
                kind: FailureKind::Stuck,
                reason: format!(
                    "no task of deployment {} started in {} s (pending {}, failed tasks {}){}",
                    d.id,
                    self.pending_timeout.as_secs(),
                    d.pending,
                    d.failed_tasks,
                    self.last_event
                        .as_ref()
                        .map(|e| format!("; last event: {e}"))
                        .unwrap_or_default()
                ),
            });
        }
        step
    }
}

/// When to poll next: see the module docs.
#[derive(Debug, Clone, Default)]
pub struct PollSchedule {
    polls: u32,
    throttled: u32,
}

/// The steady interval between polls (before jitter).
pub const STEADY_INTERVAL: Duration = Duration::from_secs(4);

impl PollSchedule {
    /// The wait before the next poll; `jitter` in `[0, 1)` spreads it by ±15 %.
    pub fn next_delay(&mut self, jitter: f64) -> Duration {
        let base_ms: u64 = match self.polls {
            0 => 1000,
            1 => 2000,
            2 => 3000,
            _ => 4000,
        };
        self.polls = self.polls.saturating_add(1);
        let base_ms = (base_ms << self.throttled.min(3)).min(30_000);
        let factor = 0.85 + 0.3 * jitter.clamp(0.0, 1.0);
        Duration::from_millis((base_ms as f64 * factor) as u64)
    }

    /// The last call was throttled: wait longer from now on (until a call succeeds).
    pub fn throttled(&mut self) {
        self.throttled = self.throttled.saturating_add(1);
    }

    pub fn succeeded(&mut self) {
        self.throttled = 0;
    }
}

/// How a watch ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchOutcome {
    Succeeded,
    Failed(Failure),
    /// The deadline passed first.
    TimedOut(String),
    /// The runner cancelled the job (this is the signal that ended the watch).
    Cancelled(Signal),
    /// An AWS call failed while watching (not throttling or the network, which are waited
    /// out): what ECS does with the deployment is not known, so it is treated as failed.
    Errored(String),
}

impl WatchOutcome {
    /// Why the deployment did not succeed, for the log and the reason; `None` when it did.
    pub fn failure(&self) -> Option<String> {
        match self {
            WatchOutcome::Succeeded => None,
            WatchOutcome::Failed(f) => Some(f.reason.clone()),
            WatchOutcome::TimedOut(why) => Some(format!("timed out: {why}")),
            WatchOutcome::Cancelled(signal) => {
                Some(format!("cancelled by {signal} during the rollout"))
            }
            WatchOutcome::Errored(error) => {
                Some(format!("watching the deployment failed: {error}"))
            }
        }
    }
}

/// When the watch of a deployment must end, at `now`, for a run that must end at `deadline`:
/// at two thirds of the time left, so that a rollback always has the last third.
pub fn deadline(now: Instant, run_deadline: Instant) -> Instant {
    now + run_deadline.saturating_duration_since(now) * 2 / 3
}

/// Polls the scope's service until `watcher` decides, the scope's deadline passes, or more than
/// `signals_seen` signals arrived. Events and progress go to the scope's log. Throttling and
/// network errors are waited out (with a longer wait); other errors end the watch.
pub async fn watch<E: Ecs>(
    scope: Scope<'_, E>,
    watcher: &mut Watcher,
    signals_seen: u32,
) -> Result<WatchOutcome, EcsError> {
    let Scope {
        ecs,
        cluster,
        service,
        deadline,
        stop: cancel,
        log,
    } = scope;
    let start = Instant::now();
    let mut schedule = PollSchedule::default();
    let mut polls: u32 = 0;
    // The UpdateService answer was the first look: the first poll waits.
    let first = schedule.next_delay(rand::random::<f64>());
    if let Some(signal) = cancel
        .sleep_unless_signalled_beyond(
            first.min(deadline.saturating_duration_since(start)),
            signals_seen,
        )
        .await
    {
        return Ok(WatchOutcome::Cancelled(signal));
    }
    loop {
        if cancel.signals() > signals_seen
            && let Some(signal) = cancel.signal()
        {
            return Ok(WatchOutcome::Cancelled(signal));
        }
        // A call in flight races the cancellation: the SDK may retry a slow answer for minutes,
        // and a cancelled job has about 10 s before the runner kills it.
        let described = tokio::select! {
            biased;
            (signal, _) = cancel.signalled_beyond(signals_seen) => {
                return Ok(WatchOutcome::Cancelled(signal));
            }
            described = ecs.describe_service(cluster, service) => described,
        };
        match described {
            Ok(Some(snap)) => {
                schedule.succeeded();
                let step = watcher.observe(&snap, start.elapsed());
                for e in &step.events {
                    log.event(e);
                }
                if let Some(p) = &step.progress {
                    log.info(p);
                }
                polls += 1;
                if polls % LIFECYCLE_EVERY == 4 {
                    let current = snap.current_service_deployment.clone();
                    tokio::select! {
                        biased;
                        (signal, _) = cancel.signalled_beyond(signals_seen) => {
                            return Ok(WatchOutcome::Cancelled(signal));
                        }
                        () = follow_lifecycle(ecs, cluster, service, current, watcher, log) => {}
                    }
                }
                match step.verdict {
                    Verdict::Watching => {}
                    Verdict::Succeeded => return Ok(WatchOutcome::Succeeded),
                    Verdict::Failed(f) => return Ok(WatchOutcome::Failed(f)),
                }
            }
            Ok(None) => {
                return Ok(WatchOutcome::Failed(Failure {
                    kind: FailureKind::Gone {
                        task_definition: String::new(),
                    },
                    reason: format!("service {service} was deleted from cluster {cluster}"),
                }));
            }
            Err(e) if e.is_transient() => {
                schedule.throttled();
                log.info(&format!("waiting out a transient error: {e}"));
            }
            Err(e) => return Err(e),
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(WatchOutcome::TimedOut(format!(
                "deployment {} did not complete in time ({} s of watching; {})",
                watcher.deployment_id(),
                start.elapsed().as_secs(),
                if watcher.last_progress.is_empty() {
                    "no progress seen".to_owned()
                } else {
                    watcher.last_progress.clone()
                }
            )));
        }
        let delay = schedule
            .next_delay(rand::random::<f64>())
            .min(deadline - now);
        if let Some(signal) = cancel
            .sleep_unless_signalled_beyond(delay, signals_seen)
            .await
        {
            return Ok(WatchOutcome::Cancelled(signal));
        }
    }
}

/// Reads and reports the lifecycle stage, when the watcher follows one. Informational: the
/// verdict stays with DescribeServices, so an error here is reported and the watch goes on.
async fn follow_lifecycle<E: Ecs>(
    ecs: &E,
    cluster: &str,
    service: &str,
    current: Option<String>,
    watcher: &mut Watcher,
    log: &Log<'_>,
) {
    let Some(l) = &watcher.lifecycle else {
        return;
    };
    // DescribeServices names the current service deployment; ListServiceDeployments (one more
    // call) is the fallback.
    let arn = match (&l.arn, current) {
        (Some(arn), _) => arn.clone(),
        (None, Some(arn)) => {
            log.info(&format!("service deployment {arn}"));
            if let Some(l) = watcher.lifecycle.as_mut() {
                l.arn = Some(arn.clone());
            }
            arn
        }
        (None, None) => match ecs
            .latest_service_deployment(cluster, service, l.after_ms)
            .await
        {
            Ok(Some(arn)) => {
                log.info(&format!("service deployment {arn}"));
                if let Some(l) = watcher.lifecycle.as_mut() {
                    l.arn = Some(arn.clone());
                }
                arn
            }
            Ok(None) => return,
            Err(e) => {
                log.info(&format!("cannot list service deployments: {e}"));
                return;
            }
        },
    };
    match ecs.describe_service_deployment(&arn).await {
        Ok(Some(info)) => {
            if let Some(line) = watcher.lifecycle_step(&info) {
                log.mark(&line);
            }
        }
        Ok(None) => {}
        Err(e) => log.info(&format!("cannot describe service deployment {arn}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Controller, Deployment, ServiceEvent, Strategy};

    const OLD: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:4";
    const NEW: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:5";
    const OTHER: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:6";

    fn dep(
        id: &str,
        status: &str,
        td: &str,
        running: i32,
        pending: i32,
        state: &str,
    ) -> Deployment {
        Deployment {
            id: id.into(),
            status: match status {
                "PRIMARY" => DeploymentStatus::Primary,
                _ => DeploymentStatus::Active,
            },
            task_definition: td.into(),
            desired: 2,
            running,
            pending,
            failed_tasks: 0,
            rollout_state: Some(match state {
                "COMPLETED" => RolloutState::Completed,
                "FAILED" => RolloutState::Failed,
                _ => RolloutState::InProgress,
            }),
            rollout_reason: (state == "FAILED")
                .then(|| "ECS deployment circuit breaker: tasks failed to start.".into()),
            created_at_ms: None,
        }
    }

    fn snap(td: &str, deployments: Vec<Deployment>, events: &[(&str, &str)]) -> ServiceSnapshot {
        ServiceSnapshot {
            load_balancers: Vec::new(),
            traffic_shift: Vec::new(),
            shift_step: None,
            propagate_tags: None,
            enable_ecs_managed_tags: false,
            alarms: None,
            arn: "arn:svc".into(),
            name: "api".into(),
            status: "ACTIVE".into(),
            task_definition: td.into(),
            desired: 2,
            running: deployments.iter().map(|d| d.running).sum(),
            pending: 0,
            controller: Controller::Ecs,
            strategy: Strategy::Rolling,
            circuit_breaker: None,
            bake_time_minutes: None,
            current_service_deployment: None,
            launch_type: None,
            network: None,
            deployments,
            // newest first, as ECS answers
            events: events
                .iter()
                .rev()
                .map(|(id, m)| ServiceEvent {
                    id: (*id).into(),
                    created_at_ms: None,
                    message: (*m).into(),
                })
                .collect(),
        }
    }

    /// Feeds snapshots 1 s apart; returns every step.
    fn run(snaps: &[ServiceSnapshot], pending_timeout: u64) -> Vec<Step> {
        let mut w = Watcher::new(
            "ours",
            NEW,
            ["e0".to_owned()],
            Duration::from_secs(pending_timeout),
        );
        snaps
            .iter()
            .enumerate()
            .map(|(i, s)| w.observe(s, Duration::from_secs(i as u64)))
            .collect()
    }

    fn last_verdict(steps: &[Step]) -> &Verdict {
        &steps.last().unwrap().verdict
    }

    #[test]
    fn healthy_rollout_succeeds_only_at_the_end() {
        let steps = run(
            &[
                snap(
                    NEW,
                    vec![
                        dep("ours", "PRIMARY", NEW, 0, 2, "IN_PROGRESS"),
                        dep("old", "ACTIVE", OLD, 2, 0, "COMPLETED"),
                    ],
                    &[("e0", "old"), ("e1", "has started 2 tasks")],
                ),
                snap(
                    NEW,
                    vec![
                        dep("ours", "PRIMARY", NEW, 1, 1, "IN_PROGRESS"),
                        dep("old", "ACTIVE", OLD, 2, 0, "COMPLETED"),
                    ],
                    &[("e0", "old"), ("e1", "has started 2 tasks")],
                ),
                // COMPLETED but not all running yet: keep watching
                snap(
                    NEW,
                    vec![dep("ours", "PRIMARY", NEW, 1, 1, "COMPLETED")],
                    &[("e1", "has started 2 tasks")],
                ),
                snap(
                    NEW,
                    vec![dep("ours", "PRIMARY", NEW, 2, 0, "COMPLETED")],
                    &[
                        ("e1", "has started 2 tasks"),
                        ("e2", "reached a steady state"),
                    ],
                ),
            ],
            300,
        );
        assert!(steps[..3].iter().all(|s| s.verdict == Verdict::Watching));
        assert_eq!(last_verdict(&steps), &Verdict::Succeeded);
        let events: Vec<String> = steps.iter().flat_map(|s| s.events.clone()).collect();
        assert_eq!(
            events,
            vec!["has started 2 tasks", "reached a steady state"]
        );
        assert!(
            steps[1]
                .progress
                .as_deref()
                .unwrap()
                .contains("running 1/2")
        );
    }

    #[test]
    fn completed_but_service_runs_another_task_definition_is_not_success() {
        let steps = run(
            &[snap(
                OLD,
                vec![dep("ours", "PRIMARY", NEW, 2, 0, "COMPLETED")],
                &[],
            )],
            300,
        );
        assert_eq!(last_verdict(&steps), &Verdict::Watching);
    }

    #[test]
    fn circuit_breaker_failed_without_ecs_rollback() {
        let steps = run(
            &[
                snap(
                    NEW,
                    vec![
                        dep("ours", "PRIMARY", NEW, 0, 2, "IN_PROGRESS"),
                        dep("old", "ACTIVE", OLD, 2, 0, "COMPLETED"),
                    ],
                    &[("e1", "(task a) failed container health checks.")],
                ),
                snap(
                    NEW,
                    vec![
                        dep("ours", "PRIMARY", NEW, 0, 0, "FAILED"),
                        dep("old", "ACTIVE", OLD, 2, 0, "COMPLETED"),
                    ],
                    &[("e1", "(task a) failed container health checks.")],
                ),
            ],
            300,
        );
        let Verdict::Failed(f) = last_verdict(&steps) else {
            panic!("{steps:?}")
        };
        assert_eq!(f.kind, FailureKind::CircuitBreaker { ecs_rollback: None });
        assert!(
            f.reason.contains("circuit breaker: tasks failed to start"),
            "{}",
            f.reason
        );
        assert_eq!(
            steps[0].events,
            vec!["(task a) failed container health checks."]
        );
    }

    #[test]
    fn circuit_breaker_with_ecs_rollback_is_a_failure_with_ecs_reason() {
        let steps = run(
            &[snap(
                OLD,
                vec![
                    dep("rb", "PRIMARY", OLD, 0, 2, "IN_PROGRESS"),
                    dep("ours", "ACTIVE", NEW, 0, 0, "FAILED"),
                ],
                &[("e3", "rolling back")],
            )],
            300,
        );
        let Verdict::Failed(f) = last_verdict(&steps) else {
            panic!()
        };
        assert_eq!(
            f.kind,
            FailureKind::CircuitBreaker {
                ecs_rollback: Some(OLD.into())
            }
        );
        assert!(
            f.reason.contains("ECS is rolling back to api:4"),
            "{}",
            f.reason
        );
    }

    #[test]
    fn ecs_rollback_finished_and_ours_removed_is_never_success() {
        // The anchors' bug: the service is steady and COMPLETED, but on the old revision.
        let steps = run(
            &[snap(
                OLD,
                vec![dep("rb", "PRIMARY", OLD, 2, 0, "COMPLETED")],
                &[],
            )],
            300,
        );
        let Verdict::Failed(f) = last_verdict(&steps) else {
            panic!()
        };
        assert_eq!(
            f.kind,
            FailureKind::Gone {
                task_definition: OLD.into()
            }
        );
        assert!(f.reason.contains("now runs api:4"), "{}", f.reason);
        // ECS's reason survives in the events
        let steps = run(
            &[snap(
                OLD,
                vec![dep("rb", "PRIMARY", OLD, 2, 0, "COMPLETED")],
                &[
                    (
                        "e5",
                        "(service api) deployment ours deployment failed: tasks failed to start.",
                    ),
                    ("e6", "has reached a steady state"),
                ],
            )],
            300,
        );
        let Verdict::Failed(f) = last_verdict(&steps) else {
            panic!()
        };
        assert!(
            f.reason.ends_with(
                "ECS said: (service api) deployment ours deployment failed: tasks failed to start."
            ),
            "{}",
            f.reason
        );
    }

    #[test]
    fn tasks_stuck_pending_fail_after_the_pending_timeout() {
        let pending = || {
            snap(
                NEW,
                vec![
                    dep("ours", "PRIMARY", NEW, 0, 2, "IN_PROGRESS"),
                    dep("old", "ACTIVE", OLD, 2, 0, "COMPLETED"),
                ],
                &[("e1", "was unable to place a task")],
            )
        };
        let steps = run(&[pending(), pending(), pending(), pending()], 3);
        assert!(steps[..3].iter().all(|s| s.verdict == Verdict::Watching));
        let Verdict::Failed(f) = last_verdict(&steps) else {
            panic!()
        };
        assert_eq!(f.kind, FailureKind::Stuck);
        assert!(
            f.reason.contains("last event: was unable to place a task"),
            "{}",
            f.reason
        );
        // a task that ran once is not "stuck pending"
        let mut running = pending();
        running.deployments[0].running = 1;
        let steps = run(&[running, pending(), pending(), pending()], 3);
        assert_eq!(last_verdict(&steps), &Verdict::Watching);
    }

    #[test]
    fn tasks_failing_health_checks_are_reported_until_the_breaker_trips() {
        let mut failing = snap(
            NEW,
            vec![
                dep("ours", "PRIMARY", NEW, 0, 2, "IN_PROGRESS"),
                dep("old", "ACTIVE", OLD, 2, 0, "COMPLETED"),
            ],
            &[("e1", "(task a) failed container health checks.")],
        );
        failing.deployments[0].failed_tasks = 1;
        let mut more = failing.clone();
        more.deployments[0].failed_tasks = 3;
        more.events.insert(
            0,
            ServiceEvent {
                id: "e2".into(),
                created_at_ms: None,
                message: "(task b) failed container health checks.".into(),
            },
        );
        let steps = run(&[failing, more], 300);
        assert_eq!(last_verdict(&steps), &Verdict::Watching);
        assert!(
            steps[1]
                .progress
                .as_deref()
                .unwrap()
                .contains("failed tasks 3")
        );
        assert_eq!(
            steps[1].events,
            vec!["(task b) failed container health checks."]
        );
    }

    #[test]
    fn replaced_by_someone_elses_deployment() {
        let steps = run(
            &[snap(
                OTHER,
                vec![
                    dep("theirs", "PRIMARY", OTHER, 0, 2, "IN_PROGRESS"),
                    dep("ours", "ACTIVE", NEW, 1, 0, "IN_PROGRESS"),
                ],
                &[],
            )],
            300,
        );
        let Verdict::Failed(f) = last_verdict(&steps) else {
            panic!()
        };
        assert_eq!(
            f.kind,
            FailureKind::Replaced {
                by: "theirs".into(),
                task_definition: OTHER.into()
            }
        );
        assert!(f.reason.contains("api:6 replaced ours"), "{}", f.reason);
    }

    #[test]
    fn lifecycle_stages_are_reported_once_each() {
        let info = |stage: &str, status: &str| ServiceDeploymentInfo {
            arn: "arn:sd".into(),
            status: status.into(),
            lifecycle_stage: Some(stage.into()),
            status_reason: None,
        };
        let mut plain = Watcher::new("ours", NEW, [], Duration::from_secs(300));
        assert_eq!(plain.lifecycle_step(&info("SCALE_UP", "IN_PROGRESS")), None);
        let mut w = plain.follow_lifecycle(0);
        let lines: Vec<Option<String>> = [
            info("SCALE_UP", "IN_PROGRESS"),
            info("SCALE_UP", "IN_PROGRESS"),
            info("BAKE_TIME", "IN_PROGRESS"),
            info("CLEAN_UP", "SUCCESSFUL"),
        ]
        .iter()
        .map(|i| w.lifecycle_step(i))
        .collect();
        assert_eq!(
            lines,
            vec![
                Some("lifecycle stage SCALE_UP (IN_PROGRESS)".to_owned()),
                None,
                Some("lifecycle stage BAKE_TIME (IN_PROGRESS)".to_owned()),
                Some("lifecycle stage CLEAN_UP (SUCCESSFUL)".to_owned()),
            ]
        );
    }

    #[test]
    fn why_a_watch_failed() {
        let failed = WatchOutcome::Failed(Failure {
            kind: FailureKind::Stuck,
            reason: "no task started".into(),
        });
        // (name, outcome, the failure)
        let table: &[(&str, WatchOutcome, Option<&str>)] = &[
            ("succeeded", WatchOutcome::Succeeded, None),
            (
                "failed: the watcher's reason",
                failed,
                Some("no task started"),
            ),
            (
                "timed out",
                WatchOutcome::TimedOut("2 of 3 running".into()),
                Some("timed out: 2 of 3 running"),
            ),
            (
                "cancelled",
                WatchOutcome::Cancelled(Signal::Terminate),
                Some("cancelled by SIGTERM during the rollout"),
            ),
        ];
        for (name, outcome, want) in table {
            assert_eq!(outcome.failure().as_deref(), *want, "{name}");
        }
    }

    #[test]
    fn the_watch_leaves_a_third_of_the_time_to_the_rollback() {
        let now = Instant::now();
        let s = Duration::from_secs;
        // (name, time left, the watch's share)
        let table: &[(&str, Option<Duration>, Duration)] = &[
            ("15 minutes", Some(s(900)), s(600)),
            ("3 seconds", Some(s(3)), s(2)),
            ("nothing left", Some(s(0)), s(0)),
            ("already past", None, s(0)),
        ];
        for (name, left, want) in table {
            let run_deadline = match left {
                Some(left) => now + *left,
                None => now.checked_sub(s(10)).unwrap_or(now),
            };
            assert_eq!(deadline(now, run_deadline) - now, *want, "{name}");
        }
    }

    #[test]
    fn poll_schedule_is_fast_first_then_steady_and_under_20_a_minute() {
        let mut s = PollSchedule::default();
        let first: Vec<u64> = (0..8)
            .map(|_| s.next_delay(0.5).as_millis() as u64)
            .collect();
        assert_eq!(first, vec![1000, 2000, 3000, 4000, 4000, 4000, 4000, 4000]);
        // worst case (shortest jitter): calls in the first minute, and over ten
        for minutes in [1, 10] {
            let mut s = PollSchedule::default();
            let mut t = 0u64;
            let mut calls = 0;
            while t < minutes * 60_000 {
                t += s.next_delay(0.0).as_millis() as u64;
                calls += 1;
            }
            assert!(calls <= 20 * minutes, "{calls} calls in {minutes} min");
        }
        // worst case (longest jitter) reaction time stays under 5 s
        let mut s = PollSchedule::default();
        for _ in 0..20 {
            assert!(s.next_delay(0.999) <= Duration::from_secs(5));
        }
        s.throttled();
        s.throttled();
        assert_eq!(s.next_delay(0.5), Duration::from_secs(16));
        s.succeeded();
        assert_eq!(s.next_delay(0.5), STEADY_INTERVAL);
    }
}

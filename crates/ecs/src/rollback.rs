//! Going back: to the last task definition that *completed* a deployment before we started
//! (read from the service's deployments then, not "revision − 1", which may never have run or
//! may be the broken one), and waiting until the service runs it again.
//!
//! The decisions are pure: the last good revision ([`last_good`]), whether and where to roll
//! back after a deployment did not succeed ([`decide`], for ECS's and CodeDeploy's deployments
//! alike), where CodeDeploy went back to ([`rolled_back_to`]), whether ECS already rolls back
//! ([`ecs_rolling_back`]), how long a rollback may take ([`deadline`]) and whether a failed
//! revision may go ([`may_deregister`]). [`rollback()`] is the effect. How a run words a
//! rollback it skipped, and how it ends after one, is the tool's.

use std::time::Duration;

use tokio::time::Instant;

use crate::api::{Deployment, DeploymentStatus, Ecs, RolloutState, ServiceSnapshot, ServiceUpdate};
use crate::deploy::deploy;
use crate::error::Error;
use crate::scope::Scope;
use crate::taskdef::short_name;
use crate::watch::{FailureKind, WatchOutcome, Watcher, watch};

/// The task definition of the last deployment that completed, as the service was before we
/// changed it: the PRIMARY deployment if it COMPLETED, else a COMPLETED one still ACTIVE (the
/// service was mid-deployment or on a FAILED one). `None` when nothing completed.
pub fn last_good(before: &ServiceSnapshot) -> Option<String> {
    let completed = |d: &&crate::api::Deployment| d.rollout_state == Some(RolloutState::Completed);
    if let Some(p) = before
        .deployments
        .iter()
        .filter(completed)
        .find(|d| d.status == DeploymentStatus::Primary)
    {
        return Some(p.task_definition.clone());
    }
    if let Some(d) = before.deployments.iter().find(completed) {
        return Some(d.task_definition.clone());
    }
    // Answers without rollout states: a service with one deployment that runs all its tasks.
    match before.deployments.as_slice() {
        [only]
            if only.rollout_state.is_none()
                && only.running == only.desired
                && !only.task_definition.is_empty() =>
        {
            Some(only.task_definition.clone())
        }
        _ => None,
    }
}

/// How the watch of our deployment ended, as far as a rollback is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Watched<'a> {
    /// ECS ran the deployment (rolling update, blue/green, linear, canary) and the watch came
    /// to this.
    Ecs(&'a WatchOutcome),
    /// CodeDeploy ran it and it did not succeed. `ended`: CodeDeploy ended it itself (failed
    /// or stopped; it rolls back by itself when the deployment group enables that); else it
    /// may still run (the watch timed out, was cancelled or lost track of it).
    CodeDeploy { ended: bool },
}

/// What to do about a deployment that did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rollback {
    /// It succeeded: nothing to undo.
    NotNeeded,
    /// ECS: deploy this revision again; when ECS already rolls back to it, watch that instead.
    To(String),
    /// CodeDeploy: stop the deployment with automatic rollback, then see what the service runs.
    StopDeployment,
    /// CodeDeploy ended the deployment itself: nothing to stop; see what the service runs.
    Ended,
    /// Leave the service as it is.
    Skip(Skip),
}

/// Why the service is left as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// Another deployment took the service after ours: a rollback would undo it, not ours.
    Replaced,
    /// The run was asked not to roll back.
    NotAsked,
    /// No deployment of the service completed before ours: no revision is known to be good.
    NoLastGood,
    /// The last good revision is the one that failed.
    LastGoodFailed(String),
}

/// Whether and where to roll back after our deployment of `failed` (an ARN), given how its
/// watch ended, whether the run rolls back at all, and the last good revision before it
/// ([`last_good`]). An ECS deployment goes back to the last good revision, unless another
/// deployment than ECS's own rollback took the service, nothing is known to be good, or the
/// last good one is the one that failed. A CodeDeploy deployment still running is stopped with
/// automatic rollback (CodeDeploy knows where back is); one CodeDeploy ended needs nothing.
pub fn decide(
    watched: Watched<'_>,
    rollback_on_failure: bool,
    last_good: Option<&str>,
    failed: &str,
) -> Rollback {
    match watched {
        Watched::Ecs(WatchOutcome::Succeeded) => Rollback::NotNeeded,
        Watched::Ecs(outcome) if replaced(outcome, last_good) => Rollback::Skip(Skip::Replaced),
        Watched::Ecs(_) if !rollback_on_failure => Rollback::Skip(Skip::NotAsked),
        Watched::Ecs(_) => match last_good {
            None => Rollback::Skip(Skip::NoLastGood),
            Some(target) if target == failed => {
                Rollback::Skip(Skip::LastGoodFailed(target.to_owned()))
            }
            Some(target) => Rollback::To(target.to_owned()),
        },
        Watched::CodeDeploy { ended: true } => Rollback::Ended,
        Watched::CodeDeploy { ended: false } if !rollback_on_failure => {
            Rollback::Skip(Skip::NotAsked)
        }
        Watched::CodeDeploy { ended: false } => Rollback::StopDeployment,
    }
}

/// Whether a deployment other than ECS's own rollback to the last good revision took the
/// service from ours: it is someone else's, and a rollback would undo it.
pub fn replaced(outcome: &WatchOutcome, last_good: Option<&str>) -> bool {
    match outcome {
        WatchOutcome::Failed(f) => match &f.kind {
            FailureKind::Replaced { .. } => true,
            FailureKind::Gone { task_definition } => {
                !task_definition.is_empty() && Some(task_definition.as_str()) != last_good
            }
            _ => false,
        },
        _ => false,
    }
}

/// Where the service went back to after our CodeDeploy deployment of `failed` did not succeed:
/// the revision it runs now, unless that is still ours (or unknown).
pub fn rolled_back_to<'a>(running: &'a str, failed: &str) -> Option<&'a str> {
    (running != failed && !running.is_empty()).then_some(running)
}

/// ECS's own rollback (the circuit breaker's) to `target`, when the service's PRIMARY
/// deployment is one that has not failed: watched instead of starting a second deployment on
/// top of it.
pub fn ecs_rolling_back<'a>(now: &'a ServiceSnapshot, target: &str) -> Option<&'a Deployment> {
    now.primary()
        .filter(|p| p.task_definition == target && p.rollout_state != Some(RolloutState::Failed))
}

/// When a rollback must end, at `now`, for a run that must end at `run_deadline`: then, or a
/// few seconds from now when that is later, since the rollback is what makes the service safe
/// again.
pub fn deadline(now: Instant, run_deadline: Instant) -> Instant {
    run_deadline.max(now + Duration::from_secs(5))
}

/// Whether a failed revision may be deregistered: never one the service still uses in any of
/// its deployments, nor the last good one.
pub fn may_deregister(arn: &str, now: &ServiceSnapshot, last_good: Option<&str>) -> bool {
    now.task_definition != arn
        && now.deployments.iter().all(|d| d.task_definition != arn)
        && last_good != Some(arn)
}

/// How a rollback went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollbackResult {
    pub deployment_id: String,
    pub task_definition: String,
    pub outcome: WatchOutcome,
    /// ECS had already started this rollback (circuit breaker); we only watched it.
    pub by_ecs: bool,
}

/// How long one call of a rollback may take before it is given up (DescribeServices: the
/// service as last seen stands in) or sent again (UpdateService). A rollback is the stop path:
/// the runner kills a cancelled job about 10 s after its first signal, and the SDK would wait a
/// slow answer out for minutes.
pub const STOP_PATH_CALL: Duration = Duration::from_secs(2);

/// Rolls the scope's service back to `target` and watches it until the scope's deadline, or
/// until more than `signals_seen` signals arrived (the first signal may be why we roll back).
/// `known` is the service as last seen, for when DescribeServices does not answer within
/// [`STOP_PATH_CALL`]: UpdateService is then sent within a few seconds whatever ECS's API does
/// (without it, DescribeServices is waited for).
pub async fn rollback<E: Ecs>(
    scope: Scope<'_, E>,
    target: &str,
    pending_timeout: Duration,
    signals_seen: u32,
    known: Option<&ServiceSnapshot>,
) -> Result<RollbackResult, Error> {
    let Scope {
        ecs,
        cluster,
        service,
        deadline,
        log,
        ..
    } = scope;
    // `fresh`: DescribeServices answered; else the service as last seen stands in, which
    // cannot tell whether ECS is rolling back by itself, so the rollback is deployed.
    let (described, fresh) = match known {
        Some(known) => {
            match tokio::time::timeout(STOP_PATH_CALL, ecs.describe_service(cluster, service)).await
            {
                Ok(Err(e)) if !e.is_transient() => (Err(e), true),
                Ok(Ok(now)) => (Ok(now), true),
                Ok(Err(_)) | Err(_) => {
                    log.info(
                        "DescribeServices did not answer at once: rolling back from the service as last seen",
                    );
                    (Ok(Some(known.clone())), false)
                }
            }
        }
        None => (ecs.describe_service(cluster, service).await, true),
    };
    let Some(now) = described? else {
        return Err(Error::ServiceMissing {
            cluster: cluster.to_owned(),
            service: service.to_owned(),
        });
    };
    let (mut watcher, by_ecs) = match ecs_rolling_back(&now, target).filter(|_| fresh) {
        Some(p) => {
            log.mark(&format!(
                "ECS is already rolling back to {} (deployment {}): watching it",
                short_name(target),
                p.id
            ));
            let known = now.events.iter().map(|e| e.id.clone());
            (Watcher::new(&p.id, target, known, pending_timeout), true)
        }
        None => {
            log.mark(&format!("rollback started: to {}", short_name(target)));
            let update = ServiceUpdate {
                cluster: cluster.to_owned(),
                service: service.to_owned(),
                task_definition: Some(target.to_owned()),
                ..ServiceUpdate::default()
            };
            // Sent again when it does not answer in time: an UpdateService to the revision the
            // service already has starts nothing new.
            let watcher = loop {
                match tokio::time::timeout(
                    STOP_PATH_CALL,
                    deploy(ecs, &now, &update, pending_timeout),
                )
                .await
                {
                    Ok(started) => break started?,
                    Err(_) if Instant::now() + STOP_PATH_CALL < deadline => {
                        log.info("UpdateService did not answer in time: sending it again");
                    }
                    Err(_) => {
                        return Err(crate::api::EcsError::Api {
                            operation: "UpdateService",
                            code: None,
                            message: format!(
                                "no answer within {} s before the deadline",
                                STOP_PATH_CALL.as_secs()
                            ),
                        }
                        .into());
                    }
                }
            };
            (watcher, false)
        }
    };
    log.info(&format!(
        "watching rollback deployment {}",
        watcher.deployment_id()
    ));
    let outcome = watch(scope, &mut watcher, signals_seen).await?;
    Ok(RollbackResult {
        deployment_id: watcher.deployment_id().to_owned(),
        task_definition: target.to_owned(),
        outcome,
        by_ecs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Controller, Strategy};
    use crate::watch::Failure;

    fn dep(
        id: &str,
        status: DeploymentStatus,
        td: &str,
        state: Option<RolloutState>,
    ) -> Deployment {
        Deployment {
            id: id.into(),
            status,
            task_definition: td.into(),
            desired: 2,
            running: 2,
            pending: 0,
            failed_tasks: 0,
            rollout_state: state,
            rollout_reason: None,
            created_at_ms: None,
        }
    }

    fn svc(td: &str, deployments: Vec<Deployment>) -> ServiceSnapshot {
        ServiceSnapshot {
            load_balancers: Vec::new(),
            traffic_shift: Vec::new(),
            shift_step: None,
            propagate_tags: None,
            enable_ecs_managed_tags: false,
            alarms: None,
            arn: String::new(),
            name: "api".into(),
            status: "ACTIVE".into(),
            task_definition: td.into(),
            desired: 2,
            running: 2,
            pending: 0,
            controller: Controller::Ecs,
            strategy: Strategy::Rolling,
            circuit_breaker: None,
            bake_time_minutes: None,
            current_service_deployment: None,
            launch_type: None,
            network: None,
            deployments,
            events: vec![],
        }
    }

    #[test]
    fn last_good_is_the_completed_deployment_not_revision_minus_one() {
        use DeploymentStatus::*;
        // api:7 runs and completed; api:8 was registered by someone but never deployed.
        let s = svc(
            "api:7",
            vec![dep("a", Primary, "api:7", Some(RolloutState::Completed))],
        );
        assert_eq!(last_good(&s).as_deref(), Some("api:7"));
        // the service is on a FAILED api:9 (no ECS rollback); api:6 completed before it
        let s = svc(
            "api:9",
            vec![
                dep("b", Primary, "api:9", Some(RolloutState::Failed)),
                dep("a", Active, "api:6", Some(RolloutState::Completed)),
            ],
        );
        assert_eq!(last_good(&s).as_deref(), Some("api:6"));
        // mid-deployment of api:10 over a completed api:6
        let s = svc(
            "api:10",
            vec![
                dep("c", Primary, "api:10", Some(RolloutState::InProgress)),
                dep("a", Active, "api:6", Some(RolloutState::Completed)),
            ],
        );
        assert_eq!(last_good(&s).as_deref(), Some("api:6"));
        // nothing ever completed
        let s = svc(
            "api:1",
            vec![dep("a", Primary, "api:1", Some(RolloutState::InProgress))],
        );
        assert_eq!(last_good(&s), None);
    }

    fn failed(kind: FailureKind) -> WatchOutcome {
        WatchOutcome::Failed(Failure {
            kind,
            reason: "failed".into(),
        })
    }

    #[test]
    fn whether_and_where_to_roll_back() {
        use Rollback::{Ended, NotNeeded, StopDeployment, To};
        const NEW: &str = "api:8";
        let breaker = failed(FailureKind::CircuitBreaker { ecs_rollback: None });
        let breaker_ecs_rolled_back = failed(FailureKind::CircuitBreaker {
            ecs_rollback: Some("ecs-svc/2".into()),
        });
        let stuck = failed(FailureKind::Stuck);
        let replaced_by_someone = failed(FailureKind::Replaced {
            by: "ecs-svc/9".into(),
            task_definition: "api:9".into(),
        });
        let gone_to_last_good = failed(FailureKind::Gone {
            task_definition: "api:7".into(),
        });
        let gone_elsewhere = failed(FailureKind::Gone {
            task_definition: "api:9".into(),
        });
        let gone_with_the_service = failed(FailureKind::Gone {
            task_definition: String::new(),
        });
        let timed_out = WatchOutcome::TimedOut("1 of 2 running".into());
        let cancelled = WatchOutcome::Cancelled(gantry_toolkit::Signal::Terminate);
        let ecs = Watched::Ecs;
        // (name, watched, rollback on failure, last good, expected)
        type Case<'a> = (&'a str, Watched<'a>, bool, Option<&'a str>, Rollback);
        let table: &[Case] = &[
            (
                "succeeded",
                ecs(&WatchOutcome::Succeeded),
                true,
                Some("api:7"),
                NotNeeded,
            ),
            (
                "circuit breaker",
                ecs(&breaker),
                true,
                Some("api:7"),
                To("api:7".into()),
            ),
            (
                "ECS already rolls back: to the same revision (its rollback is watched)",
                ecs(&breaker_ecs_rolled_back),
                true,
                Some("api:7"),
                To("api:7".into()),
            ),
            (
                "stuck",
                ecs(&stuck),
                true,
                Some("api:7"),
                To("api:7".into()),
            ),
            (
                "timed out",
                ecs(&timed_out),
                true,
                Some("api:7"),
                To("api:7".into()),
            ),
            (
                "cancelled",
                ecs(&cancelled),
                true,
                Some("api:7"),
                To("api:7".into()),
            ),
            (
                "ECS's rollback took the service: not someone else's",
                ecs(&gone_to_last_good),
                true,
                Some("api:7"),
                To("api:7".into()),
            ),
            (
                "the service itself is gone: not someone else's",
                ecs(&gone_with_the_service),
                true,
                Some("api:7"),
                To("api:7".into()),
            ),
            (
                "replaced by a newer deployment",
                ecs(&replaced_by_someone),
                true,
                Some("api:7"),
                Rollback::Skip(Skip::Replaced),
            ),
            (
                "replaced, even when not asked to roll back",
                ecs(&replaced_by_someone),
                false,
                Some("api:7"),
                Rollback::Skip(Skip::Replaced),
            ),
            (
                "gone to another revision than the last good one",
                ecs(&gone_elsewhere),
                true,
                Some("api:7"),
                Rollback::Skip(Skip::Replaced),
            ),
            (
                "gone, and nothing was good: someone else's",
                ecs(&gone_to_last_good),
                true,
                None,
                Rollback::Skip(Skip::Replaced),
            ),
            (
                "not asked to",
                ecs(&breaker),
                false,
                Some("api:7"),
                Rollback::Skip(Skip::NotAsked),
            ),
            (
                "nothing completed before",
                ecs(&breaker),
                true,
                None,
                Rollback::Skip(Skip::NoLastGood),
            ),
            (
                "the last good one is the one that failed",
                ecs(&breaker),
                true,
                Some(NEW),
                Rollback::Skip(Skip::LastGoodFailed(NEW.into())),
            ),
            (
                "CodeDeploy still runs it",
                Watched::CodeDeploy { ended: false },
                true,
                Some("api:7"),
                StopDeployment,
            ),
            (
                "CodeDeploy still runs it, nothing known to be good: CodeDeploy knows",
                Watched::CodeDeploy { ended: false },
                true,
                None,
                StopDeployment,
            ),
            (
                "CodeDeploy still runs it, not asked to stop",
                Watched::CodeDeploy { ended: false },
                false,
                Some("api:7"),
                Rollback::Skip(Skip::NotAsked),
            ),
            (
                "CodeDeploy ended it",
                Watched::CodeDeploy { ended: true },
                true,
                Some("api:7"),
                Ended,
            ),
            (
                "CodeDeploy ended it, not asked to roll back",
                Watched::CodeDeploy { ended: true },
                false,
                None,
                Ended,
            ),
        ];
        for (name, watched, asked, good, want) in table {
            assert_eq!(&decide(*watched, *asked, *good, NEW), want, "{name}");
        }
    }

    #[test]
    fn where_codedeploy_went_back_to() {
        // (name, what the service runs, back on)
        let table: &[(&str, &str, Option<&str>)] = &[
            ("the previous revision", "api:7", Some("api:7")),
            ("still ours", "api:8", None),
            ("unknown", "", None),
        ];
        for (name, running, want) in table {
            assert_eq!(rolled_back_to(running, "api:8"), *want, "{name}");
        }
    }

    #[test]
    fn whether_ecs_already_rolls_back() {
        use DeploymentStatus::*;
        // (name, deployments, ECS's rollback deployment)
        let table: &[(&str, Vec<Deployment>, Option<&str>)] = &[
            (
                "primary on the target, in progress",
                vec![
                    dep("r", Primary, "api:7", Some(RolloutState::InProgress)),
                    dep("b", Active, "api:8", Some(RolloutState::Failed)),
                ],
                Some("r"),
            ),
            (
                "primary on the target, completed",
                vec![dep("r", Primary, "api:7", Some(RolloutState::Completed))],
                Some("r"),
            ),
            (
                "primary on the target, without a rollout state",
                vec![dep("r", Primary, "api:7", None)],
                Some("r"),
            ),
            (
                "primary on the target but failed",
                vec![dep("r", Primary, "api:7", Some(RolloutState::Failed))],
                None,
            ),
            (
                "primary on another revision",
                vec![dep("b", Primary, "api:8", Some(RolloutState::Failed))],
                None,
            ),
            (
                "the target only active",
                vec![
                    dep("b", Primary, "api:8", Some(RolloutState::InProgress)),
                    dep("a", Active, "api:7", Some(RolloutState::Completed)),
                ],
                None,
            ),
        ];
        for (name, deployments, want) in table {
            let now = svc("api:7", deployments.clone());
            assert_eq!(
                ecs_rolling_back(&now, "api:7").map(|d| d.id.as_str()),
                *want,
                "{name}"
            );
        }
    }

    #[test]
    fn a_rollback_may_outlive_the_deadline_by_a_few_seconds() {
        let now = Instant::now();
        let s = Duration::from_secs;
        // (name, time left of the run, the rollback's time)
        let table: &[(&str, Duration, Duration)] = &[
            ("plenty left", s(300), s(300)),
            ("a moment left", s(1), s(5)),
            ("none left", s(0), s(5)),
        ];
        for (name, left, want) in table {
            assert_eq!(deadline(now, now + *left) - now, *want, "{name}");
        }
    }

    #[test]
    fn never_deregisters_a_revision_that_runs() {
        use DeploymentStatus::*;
        let s = svc(
            "api:7",
            vec![
                dep("a", Primary, "api:7", Some(RolloutState::InProgress)),
                dep("b", Active, "api:8", Some(RolloutState::Failed)),
            ],
        );
        assert!(!may_deregister("api:7", &s, None));
        assert!(!may_deregister("api:8", &s, None));
        assert!(!may_deregister("api:9", &s, Some("api:9")));
        assert!(may_deregister("api:9", &s, Some("api:7")));
    }
}

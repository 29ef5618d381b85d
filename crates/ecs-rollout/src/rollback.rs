//! Going back: to the last task definition that *completed* a deployment before we started
//! (read from the service's deployments then, not "revision − 1", which may never have run or
//! may be the broken one), and waiting until the service runs it again.

use std::time::Duration;

use crate::deploy::deploy;
use crate::ecs::{DeploymentStatus, Ecs, RolloutState, ServiceSnapshot, ServiceUpdate};
use crate::error::RolloutError;
use crate::scope::Scope;
use crate::taskdef::short_name;
use crate::watch::{WatchOutcome, Watcher, watch};

/// The task definition of the last deployment that completed, as the service was before we
/// changed it: the PRIMARY deployment if it COMPLETED, else a COMPLETED one still ACTIVE (the
/// service was mid-deployment or on a FAILED one). `None` when nothing completed.
pub fn last_good(before: &ServiceSnapshot) -> Option<String> {
    let completed = |d: &&crate::ecs::Deployment| d.rollout_state == Some(RolloutState::Completed);
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

/// Rolls the scope's service back to `target` and watches it until the scope's deadline, or
/// until more than `signals_seen` signals arrived (the first signal may be why we roll back).
pub async fn rollback<E: Ecs>(
    scope: Scope<'_, E>,
    target: &str,
    pending_timeout: Duration,
    signals_seen: u32,
) -> Result<RollbackResult, RolloutError> {
    let Scope {
        ecs,
        cluster,
        service,
        log,
        ..
    } = scope;
    let Some(now) = ecs.describe_service(cluster, service).await? else {
        return Err(RolloutError::ServiceMissing {
            cluster: cluster.to_owned(),
            service: service.to_owned(),
        });
    };
    // ECS's own rollback (circuit breaker with rollback) to the same revision: watch it rather
    // than start a second deployment on top of it.
    let ecs_rollback = now
        .primary()
        .filter(|p| p.task_definition == target && p.rollout_state != Some(RolloutState::Failed));
    let (mut watcher, by_ecs) = match ecs_rollback {
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
            (deploy(ecs, &now, &update, pending_timeout).await?, false)
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
    use crate::ecs::{Controller, Deployment, Strategy};

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

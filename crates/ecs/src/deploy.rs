//! Starting a deployment: find the service and check that UpdateService can deploy it
//! ([`current_service`], [`check_deployable`]), send UpdateService, and find the deployment ECS
//! created for it (by id), which is what [`crate::watch()`] follows ([`deploy()`]).
//!
//! The strategy is the service's own (ecspresso chooses the same way): a rolling update and
//! ECS native blue/green, CANARY and LINEAR all start with UpdateService and show up as a new
//! PRIMARY deployment; ECS runs the strategy (bake time included). For those other than rolling
//! the watch also follows the lifecycle stages of the service deployment
//! (ListServiceDeployments, DescribeServiceDeployments). CODE_DEPLOY services are refused here
//! (they are deployed through a CodeDeploy deployment: [`crate::codedeploy`]), EXTERNAL always.

use std::collections::HashSet;
use std::time::Duration;

use crate::api::{Controller, DeploymentStatus, Ecs, ServiceSnapshot, ServiceUpdate, Strategy};
use crate::error::Error;
use crate::watch::Watcher;

/// The service as it is now, after checking the cluster and that UpdateService can deploy it
/// ([`check_deployable`]).
pub async fn current_service<E: Ecs>(
    ecs: &E,
    cluster: &str,
    service: &str,
) -> Result<ServiceSnapshot, Error> {
    let snap = described_service(ecs, cluster, service).await?;
    check_deployable(&snap)?;
    Ok(snap)
}

/// The service as it is now, after checking the cluster (whatever deploys it).
pub async fn described_service<E: Ecs>(
    ecs: &E,
    cluster: &str,
    service: &str,
) -> Result<ServiceSnapshot, Error> {
    if !ecs.cluster_exists(cluster).await? {
        return Err(Error::ClusterMissing {
            cluster: cluster.to_owned(),
        });
    }
    let Some(snap) = ecs.describe_service(cluster, service).await? else {
        return Err(Error::ServiceMissing {
            cluster: cluster.to_owned(),
            service: service.to_owned(),
        });
    };
    Ok(snap)
}

/// How ECS will roll the service, for messages.
pub fn describe_strategy(snap: &ServiceSnapshot) -> String {
    if snap.controller == Controller::CodeDeploy {
        return "CodeDeploy blue/green".to_owned();
    }
    match &snap.strategy {
        Strategy::Rolling => "rolling update".to_owned(),
        Strategy::BlueGreen => match snap.bake_time_minutes {
            Some(m) => format!("ECS blue/green, bake time {m} min"),
            None => "ECS blue/green".to_owned(),
        },
        Strategy::Other(s) => s.clone(),
    }
}

/// Refuses services whose deployments UpdateService cannot start and [`crate::watch()`] cannot
/// follow: EXTERNAL and CODE_DEPLOY controllers, and controllers or strategies unknown here.
pub fn check_deployable(snap: &ServiceSnapshot) -> Result<(), Error> {
    let service = snap.name.clone();
    match &snap.controller {
        Controller::Ecs => {}
        Controller::External => return Err(Error::ExternalController { service }),
        Controller::CodeDeploy => return Err(Error::CodeDeployController { service }),
        Controller::Other(what) => {
            return Err(Error::UnknownController {
                service,
                what: what.clone(),
            });
        }
    }
    match &snap.strategy {
        Strategy::Rolling | Strategy::BlueGreen => Ok(()),
        // LINEAR and CANARY roll like blue/green as far as deployments go; watch them the same.
        Strategy::Other(s) if s == "LINEAR" || s == "CANARY" => Ok(()),
        Strategy::Other(what) => Err(Error::UnknownController {
            service,
            what: what.clone(),
        }),
    }
}

/// Sends the update and returns a [`Watcher`] for the deployment it started. `before` is the
/// service as it was just before (its events are not reported again).
pub async fn deploy<E: Ecs>(
    ecs: &E,
    before: &ServiceSnapshot,
    update: &ServiceUpdate,
    pending_timeout: Duration,
) -> Result<Watcher, Error> {
    let task_definition = update
        .task_definition
        .clone()
        .unwrap_or_else(|| before.task_definition.clone());
    let started_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_millis()).ok());
    let after = ecs.update_service(update).await?;
    let id =
        new_deployment(before, &after, &task_definition).ok_or_else(|| Error::NoDeployment {
            task_definition: task_definition.clone(),
        })?;
    let known = before
        .events
        .iter()
        .chain(after.events.iter())
        .map(|e| e.id.clone());
    let watcher = Watcher::new(&id, &task_definition, known, pending_timeout);
    if before.strategy == Strategy::Rolling {
        return Ok(watcher);
    }
    // Blue/green (and linear, canary) report their lifecycle stages through the service
    // deployment of this update: the newest created since just before it (a margin for clocks).
    Ok(watcher.follow_lifecycle(started_ms.unwrap_or(0).saturating_sub(5_000)))
}

/// The deployment UpdateService started: PRIMARY, of our task definition, not there before.
pub fn new_deployment(
    before: &ServiceSnapshot,
    after: &ServiceSnapshot,
    task_definition: &str,
) -> Option<String> {
    let old: HashSet<&str> = before.deployments.iter().map(|d| d.id.as_str()).collect();
    after
        .deployments
        .iter()
        .find(|d| {
            d.status == DeploymentStatus::Primary
                && d.task_definition == task_definition
                && !old.contains(d.id.as_str())
        })
        .map(|d| d.id.clone())
}

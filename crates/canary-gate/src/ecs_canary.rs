//! [`CanaryService`] on ECS: the new task definition runs as a small canary service beside the
//! stable one, and promotion rolls the stable service to it — both with `gantry-ecs` (deploy by
//! id, watch until really done, roll back to the last good revision), as ecs-rollout does.
//!
//! - [`EcsCanaryService::prepare`]: checks both services (they exist, UpdateService can deploy
//!   them; an error names the input: [`service_error`]), resolves the new task definition to its ARN (default: the canary service's own),
//!   rolls the canary service to it with `canary-desired-count` tasks and waits until that
//!   deployment completed, before any traffic moves. A canary that never gets healthy is
//!   scaled back to 0 and the run fails with no traffic moved.
//! - [`EcsCanaryService::promote`]: rolls the stable service to the canary's task definition
//!   and watches it; on failure, timeout or SIGTERM it is rolled back to its last
//!   good revision and promote fails (the run then puts traffic on stable). On success the
//!   canary service is scaled to 0 and the run returns all traffic to the stable group.
//! - [`EcsCanaryService::rollback`]: scales the canary service to 0 (traffic is already back
//!   on stable, which was never touched).
//!
//! A stable service on ECS's own CANARY or LINEAR strategy is rolled the same way here
//! (gantry-ecs's watch follows its lifecycle stages). Without a canary service, such a deployment is
//! judged in place instead: see [`crate::ecs_native`].

use std::sync::Mutex;
use std::time::Duration;

use gantry_ecs::Log;
use gantry_ecs::Scope;
use gantry_ecs::rollback::last_good;
use gantry_ecs::taskdef::short_name;
use gantry_ecs::watch::WatchOutcome;
use gantry_ecs::{Ecs, ServiceSnapshot, ServiceUpdate};
use gantry_toolkit::Stop;
use tokio::time::Instant;

use crate::canary_service::{CanaryService, CanaryServiceError};
use crate::config::EcsTarget;

/// How long a new deployment may keep tasks PENDING before the watch calls it stuck.
pub(crate) const PENDING_TIMEOUT: Duration = Duration::from_secs(300);

/// What the run learnt about the services, for the outputs.
#[derive(Debug, Default, Clone)]
struct State {
    /// The canary's task definition (ARN), once resolved.
    task_definition: Option<String>,
    /// The stable service as it was before we touched anything.
    stable_before: Option<String>,
    /// The stable service's task definition when the run ended.
    stable_now: Option<String>,
}

pub struct EcsCanaryService<'a, E> {
    ecs: E,
    target: EcsTarget,
    /// The canary service's name (`target.canary_service`).
    canary_service: String,
    log: Log<'a>,
    cancel: Stop,
    /// Each ECS rollout (canary, stable, rollback) gets at most this long.
    rollout_timeout: Duration,
    state: Mutex<State>,
}

impl<E> std::fmt::Debug for EcsCanaryService<'_, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EcsCanaryService")
            .field("target", &self.target)
            .field("state", &self.state.lock().map(|s| s.clone()).ok())
            .finish_non_exhaustive()
    }
}

impl<'a, E: Ecs> EcsCanaryService<'a, E> {
    /// `canary_service`: the canary service's name (the target's, which has one).
    pub fn new(
        ecs: E,
        target: EcsTarget,
        canary_service: String,
        log: Log<'a>,
        cancel: Stop,
        rollout_timeout: Duration,
    ) -> Self {
        EcsCanaryService {
            ecs,
            target,
            canary_service,
            log,
            cancel,
            rollout_timeout,
            state: Mutex::new(State::default()),
        }
    }

    /// The stable service's task definition when the run ended (empty when unknown).
    pub fn stable_task_definition(&self) -> String {
        let s = self.state();
        s.stable_now.or(s.stable_before).unwrap_or_default()
    }

    /// The stable service's task definition before the run touched it (empty when unknown).
    pub fn previous_task_definition(&self) -> String {
        self.state().stable_before.unwrap_or_default()
    }

    /// The canary's task definition ARN (empty before `prepare` resolved it).
    pub fn canary_task_definition(&self) -> String {
        self.state().task_definition.unwrap_or_default()
    }

    fn state(&self) -> State {
        self.state.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn update_state(&self, f: impl FnOnce(&mut State)) {
        if let Ok(mut s) = self.state.lock() {
            f(&mut s);
        }
    }

    /// An ECS step on `service` of the target's cluster, with a rollout's time from now.
    fn scope<'s>(&'s self, service: &'s str) -> Scope<'s, E> {
        Scope {
            ecs: &self.ecs,
            cluster: &self.target.cluster,
            service,
            deadline: Instant::now() + self.rollout_timeout,
            stop: &self.cancel,
            log: &self.log,
        }
    }

    /// The service `input` names, as it is now, checked as [`gantry_ecs::deploy::current_service`]
    /// checks it.
    async fn service(
        &self,
        input: &str,
        name: &str,
    ) -> Result<ServiceSnapshot, CanaryServiceError> {
        gantry_ecs::deploy::current_service(&self.ecs, &self.target.cluster, name)
            .await
            .map_err(|e| CanaryServiceError(service_error(input, name, e)))
    }

    async fn resolve(&self, task_definition: &str) -> Result<String, CanaryServiceError> {
        resolve_task_definition(&self.ecs, task_definition)
            .await
            .map_err(CanaryServiceError)
    }

    /// Rolls `service` to `task_definition` (with `desired` tasks when given) and watches the
    /// deployment until it completed or failed.
    async fn roll(
        &self,
        before: &ServiceSnapshot,
        task_definition: &str,
        desired: Option<i32>,
    ) -> Result<WatchOutcome, CanaryServiceError> {
        let service = before.name.clone();
        let update = ServiceUpdate {
            cluster: self.target.cluster.clone(),
            service: service.clone(),
            task_definition: Some(task_definition.to_owned()),
            desired_count: desired,
            // Same revision (a canary scaled to 0 that runs it again): UpdateService would
            // start no deployment to watch.
            force_new_deployment: before.task_definition == task_definition,
            ..ServiceUpdate::default()
        };
        let seen = self.cancel.signals();
        let mut watcher = gantry_ecs::deploy(&self.ecs, before, &update, PENDING_TIMEOUT)
            .await
            .map_err(|e| CanaryServiceError(format!("deploying service '{service}': {e}")))?;
        gantry_ecs::watch(self.scope(&service), &mut watcher, seen)
            .await
            .map_err(|e| CanaryServiceError(format!("watching service '{service}': {e}")))
    }

    async fn scale_canary_to_zero(&self) -> Result<(), CanaryServiceError> {
        let update = ServiceUpdate {
            cluster: self.target.cluster.clone(),
            service: self.canary_service.clone(),
            desired_count: Some(0),
            ..ServiceUpdate::default()
        };
        self.ecs.update_service(&update).await.map_err(|e| {
            CanaryServiceError(format!(
                "scaling canary service '{}' to 0: {e}: set its desired count to 0 by hand",
                self.canary_service
            ))
        })?;
        self.log.mark(&format!(
            "canary service {} scaled to 0",
            self.canary_service
        ));
        Ok(())
    }
}

/// `family:revision` or an ARN (input `task-definition`) → the ARN ECS reports in deployments.
pub(crate) async fn resolve_task_definition<E: Ecs>(
    ecs: &E,
    task_definition: &str,
) -> Result<String, String> {
    let def = ecs
        .describe_task_definition(task_definition)
        .await
        .map_err(|e| {
            format!(
                "input 'task-definition' is '{task_definition}', which ECS cannot describe ({e}): register it first, or check the family and revision"
            )
        })?;
    def["taskDefinitionArn"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| {
            format!("DescribeTaskDefinition answered without an ARN for '{task_definition}'")
        })
}

/// Why the service `name` (input `input`) cannot be deployed, in canary-gate's words:
/// [`gantry_ecs::Error`] names the cluster and the service; this names the input that gave
/// them and what to do.
pub fn service_error(input: &str, name: &str, e: gantry_ecs::Error) -> String {
    use gantry_ecs::Error as E;
    match e {
        E::ClusterMissing { cluster } => format!(
            "input 'cluster': cluster '{cluster}' does not exist in this account and region: check the name and aws-region"
        ),
        E::ServiceMissing { cluster, service } => format!(
            "input '{input}': service '{service}' does not exist in cluster '{cluster}' (or is INACTIVE): create it first, or check the name"
        ),
        E::CodeDeployController { service } => format!(
            "input '{input}': service '{service}' uses the CODE_DEPLOY deployment controller, which canary-gate does not drive: deploy it with ecs-rollout (which creates a CodeDeploy deployment) or with CodeDeploy"
        ),
        e @ (E::ExternalController { .. } | E::UnknownController { .. }) => {
            format!("input '{input}': {e}")
        }
        other => format!("service '{name}': {other}"),
    }
}

/// Why a watch did not succeed, in words.
pub(crate) fn failure(outcome: &WatchOutcome) -> String {
    match outcome {
        WatchOutcome::Succeeded => "it succeeded".into(),
        WatchOutcome::Failed(f) => f.reason.clone(),
        WatchOutcome::TimedOut(why) => format!("timed out: {why}"),
        WatchOutcome::Cancelled(why) => format!("cancelled by {why}"),
        WatchOutcome::Errored(error) => format!("watching it failed: {error}"),
    }
}

impl<E: Ecs> CanaryService for EcsCanaryService<'_, E> {
    fn describe(&self) -> String {
        format!(
            "ECS canary service {} beside {} in cluster {}",
            self.canary_service, self.target.stable_service, self.target.cluster
        )
    }

    async fn prepare(&self) -> Result<(), CanaryServiceError> {
        // Both services first: nothing changes unless both can be deployed.
        let stable = self
            .service("stable-service", &self.target.stable_service)
            .await?;
        let canary = self.service("canary-service", &self.canary_service).await?;
        let task_definition = match &self.target.task_definition {
            Some(td) => self.resolve(td).await?,
            None => canary.task_definition.clone(),
        };
        self.update_state(|s| {
            s.task_definition = Some(task_definition.clone());
            s.stable_before = Some(stable.task_definition.clone());
        });
        self.log.mark(&format!(
            "canary service {}: {} with {} task(s); stable {} runs {} ({})",
            canary.name,
            short_name(&task_definition),
            self.target.canary_desired_count,
            stable.name,
            short_name(&stable.task_definition),
            gantry_ecs::deploy::describe_strategy(&stable)
        ));
        // A re-run that continues a canary finds it already up: do not restart its tasks
        // under live traffic.
        let up = canary.task_definition == task_definition
            && canary.desired == self.target.canary_desired_count
            && canary.running == canary.desired
            && canary.deployments.len() == 1;
        if up {
            self.log
                .info("the canary service already runs it: not redeployed");
            return Ok(());
        }
        let outcome = self
            .roll(
                &canary,
                &task_definition,
                Some(self.target.canary_desired_count),
            )
            .await?;
        if outcome == WatchOutcome::Succeeded {
            return Ok(());
        }
        let why = failure(&outcome);
        let scaled = match self.scale_canary_to_zero().await {
            Ok(()) => "scaled back to 0".to_string(),
            Err(e) => e.0,
        };
        Err(CanaryServiceError(format!(
            "canary service '{}' did not become healthy on {} ({why}); {scaled}; no traffic moved",
            self.canary_service,
            short_name(&task_definition)
        )))
    }

    async fn promote(&self) -> Result<(), CanaryServiceError> {
        let Some(task_definition) = self.state().task_definition else {
            return Err(CanaryServiceError(
                "the canary service was never prepared".into(),
            ));
        };
        let before = self
            .service("stable-service", &self.target.stable_service)
            .await?;
        let good = last_good(&before);
        self.log.mark(&format!(
            "promoting: rolling stable service {} to {}",
            before.name,
            short_name(&task_definition)
        ));
        let outcome = self.roll(&before, &task_definition, None).await?;
        if outcome != WatchOutcome::Succeeded {
            let why = failure(&outcome);
            let back = match good {
                Some(target) => {
                    let rolled = gantry_ecs::rollback(
                        self.scope(&before.name),
                        &target,
                        PENDING_TIMEOUT,
                        self.cancel.signals(),
                        Some(&before),
                    )
                    .await;
                    self.update_state(|s| s.stable_now = Some(target.clone()));
                    match rolled {
                        Ok(r) if r.outcome == WatchOutcome::Succeeded => {
                            format!("rolled back to {}", short_name(&target))
                        }
                        Ok(r) => format!(
                            "its rollback to {} did not complete ({})",
                            short_name(&target),
                            failure(&r.outcome)
                        ),
                        Err(e) => format!("its rollback to {} failed: {e}", short_name(&target)),
                    }
                }
                None => "no earlier revision ever completed, so it was not rolled back".into(),
            };
            return Err(CanaryServiceError(format!(
                "stable service '{}' did not roll to {} ({why}); {back}",
                before.name,
                short_name(&task_definition)
            )));
        }
        self.update_state(|s| s.stable_now = Some(task_definition.clone()));
        self.scale_canary_to_zero().await
    }

    async fn rollback(&self) -> Result<(), CanaryServiceError> {
        self.scale_canary_to_zero().await
    }

    fn promotes_into_stable(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_errors_name_canary_gates_inputs() {
        let missing = || gantry_ecs::Error::ServiceMissing {
            cluster: "prod".into(),
            service: "api-canary".into(),
        };
        // (name, input, error, message)
        let table: Vec<(&str, &str, gantry_ecs::Error, &str)> = vec![
            (
                "no such cluster",
                "stable-service",
                gantry_ecs::Error::ClusterMissing {
                    cluster: "prod".into(),
                },
                "input 'cluster': cluster 'prod' does not exist in this account and region: check the name and aws-region",
            ),
            (
                "no such canary service",
                "canary-service",
                missing(),
                "input 'canary-service': service 'api-canary' does not exist in cluster 'prod' (or is INACTIVE): create it first, or check the name",
            ),
            (
                "CodeDeploy",
                "stable-service",
                gantry_ecs::Error::CodeDeployController {
                    service: "api".into(),
                },
                "input 'stable-service': service 'api' uses the CODE_DEPLOY deployment controller, which canary-gate does not drive: deploy it with ecs-rollout (which creates a CodeDeploy deployment) or with CodeDeploy",
            ),
            (
                "an external controller",
                "stable-service",
                gantry_ecs::Error::ExternalController {
                    service: "api".into(),
                },
                "input 'stable-service': service 'api' uses the EXTERNAL deployment controller",
            ),
            (
                "ECS failed",
                "stable-service",
                gantry_ecs::Error::Ecs(gantry_ecs::EcsError::Api {
                    operation: "DescribeServices",
                    code: None,
                    message: "timeout".into(),
                }),
                "service 'api': DescribeServices failed: timeout",
            ),
        ];
        for (name, input, e, want) in table {
            let got = service_error(input, "api", e);
            assert!(got.starts_with(want), "{name}: {got}");
            assert!(!got.contains("input 'service'"), "{name}: {got}");
        }
    }
}

//! The boundary to the ECS side of a canary: running the new task definition as a canary
//! service beside the stable one, and what promotion and rollback do to the services.
//!
//! This crate shifts ALB traffic and judges; the ECS work stands on `gantry-ecs` (the ECS model
//! ecs-rollout stands on too) and plugs in here: [`crate::ecs_canary::EcsCanaryService`] when the `cluster` input is set,
//! else [`NoCanaryService`] (traffic only, the services are left as the deploy job set them).
//!
//! What an ECS implementation does:
//! - [`CanaryService::prepare`]: create or update the canary service with the new task
//!   definition and a small desired count, registered with the canary target group, and wait
//!   until its tasks are healthy (before any traffic moves).
//! - [`CanaryService::promote`]: roll the stable service to the new task definition (with
//!   gantry-ecs's deploy, watch and rollback, by deployment id), then scale the canary to 0. The
//!   run then returns the traffic to the stable group.
//! - [`CanaryService::rollback`]: scale the canary service to 0 (traffic has already been
//!   given back to the stable group).
//! - A service on ECS's own canary or linear deployment strategy needs no canary service: ECS
//!   shifts the traffic and canary-gate only judges its deployment ([`crate::ecs_native`]).

/// The ECS side of a canary. Methods are called after the traffic decision. An error from
/// `promote` fails the step; when the promotion goes into the stable service (which is then
/// back on its last good revision) traffic goes to stable and `rollback` runs, otherwise the
/// traffic stays on the canary (it is healthy).
#[allow(async_fn_in_trait)]
pub trait CanaryService {
    /// A short description for the log and the summary.
    fn describe(&self) -> String;
    /// Bring up the canary before any traffic moves.
    async fn prepare(&self) -> Result<(), CanaryServiceError>;
    /// The canary passed.
    async fn promote(&self) -> Result<(), CanaryServiceError>;
    /// The canary failed; traffic is back on stable.
    async fn rollback(&self) -> Result<(), CanaryServiceError>;
    /// Whether, after `promote`, the stable group runs the new version (so traffic goes back
    /// to it) or the canary group keeps all traffic.
    fn promotes_into_stable(&self) -> bool;
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CanaryServiceError(pub String);

/// Traffic only: the target groups' services are managed elsewhere.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoCanaryService;

impl CanaryService for NoCanaryService {
    fn describe(&self) -> String {
        "no canary service: traffic only".into()
    }

    async fn prepare(&self) -> Result<(), CanaryServiceError> {
        Ok(())
    }

    async fn promote(&self) -> Result<(), CanaryServiceError> {
        Ok(())
    }

    async fn rollback(&self) -> Result<(), CanaryServiceError> {
        Ok(())
    }

    fn promotes_into_stable(&self) -> bool {
        false
    }
}

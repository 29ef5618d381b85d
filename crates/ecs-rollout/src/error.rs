//! The tool's errors: each says what went wrong and what to do, naming the input where one is
//! to blame. [`gantry_ecs`]'s errors name only AWS resources; the `From` impls here turn those
//! that ecs-rollout has more to say about into its own variants.

use gantry_ecs::EcsError;
use gantry_ecs::codedeploy::CdError;
use gantry_ecs::taskdef::TaskDefError;

use crate::render::RenderError;

#[derive(Debug, thiserror::Error)]
pub enum RolloutError {
    #[error(transparent)]
    Ecs(EcsError),
    /// What [`gantry_ecs::Error`] says as it is (its variants not mapped below).
    #[error(transparent)]
    Service(gantry_ecs::Error),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    TaskDefinition(TaskDefError),
    #[error(
        "input 'cluster': cluster '{0}' does not exist in this account and region: check the name and aws-region"
    )]
    ClusterMissing(String),
    #[error(
        "input 'service': service '{service}' does not exist in cluster '{cluster}' (or is INACTIVE): create it first, or check the name"
    )]
    ServiceMissing { cluster: String, service: String },
    #[error(
        "service '{service}' uses the EXTERNAL deployment controller: its tasks are placed by a third-party controller through task sets, which ecs-rollout does not drive; deploy it with that controller"
    )]
    ExternalController { service: String },
    #[error(transparent)]
    CodeDeploy(#[from] CdError),
    #[error(
        "service '{service}' uses the CODE_DEPLOY controller but has no load balancer with a container name and port, which CodeDeploy's AppSpec needs: attach the load balancer to the service"
    )]
    CodeDeployNoLoadBalancer { service: String },
    #[error(
        "service '{service}' uses deployment controller or strategy '{what}', which ecs-rollout does not know"
    )]
    UnknownController { service: String, what: String },
    #[error(
        "input 'verify': {0}; nothing was registered or deployed: create them or fix the task definition (or set verify: false)"
    )]
    Verify(String),
    #[error("the pre-deploy task failed, so the service was not touched: {0}")]
    PreDeploy(String),
    #[error("input 'rollback-image-tag': {0}")]
    RollbackImage(String),
    #[error("cancelled by {0} before the service was changed")]
    CancelledBeforeDeploy(gantry_toolkit::Signal),
    #[error("the deadline (timeout-seconds) passed before the service was changed: {0}")]
    DeadlineBeforeDeploy(String),
}

impl From<TaskDefError> for RolloutError {
    fn from(e: TaskDefError) -> Self {
        RolloutError::TaskDefinition(e)
    }
}

impl From<EcsError> for RolloutError {
    fn from(e: EcsError) -> Self {
        match e {
            EcsError::TaskDefinition(e) => e.into(),
            other => RolloutError::Ecs(other),
        }
    }
}

/// The cluster and service as the inputs name them, and the controllers ecs-rollout does not
/// drive, in ecs-rollout's words.
impl From<gantry_ecs::Error> for RolloutError {
    fn from(e: gantry_ecs::Error) -> Self {
        use gantry_ecs::Error as E;
        match e {
            E::Ecs(e) => e.into(),
            E::ClusterMissing { cluster } => RolloutError::ClusterMissing(cluster),
            E::ServiceMissing { cluster, service } => {
                RolloutError::ServiceMissing { cluster, service }
            }
            E::ExternalController { service } => RolloutError::ExternalController { service },
            E::UnknownController { service, what } => {
                RolloutError::UnknownController { service, what }
            }
            other => RolloutError::Service(other),
        }
    }
}

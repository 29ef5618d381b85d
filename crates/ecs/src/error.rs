//! What can stop a deploy, a watch or a rollback before it starts or while it runs. Each error
//! names the AWS resources it is about (cluster, service, task definition, deployment), never a
//! tool's inputs: a tool that has more to say (which input names the service, what to do) maps
//! the variant to its own message.

use crate::api::EcsError;

/// A service that cannot be deployed as asked, or an ECS call that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An ECS call failed.
    #[error(transparent)]
    Ecs(#[from] EcsError),
    /// DescribeClusters does not know the cluster (or it is not ACTIVE).
    #[error("cluster '{cluster}' does not exist in this account and region")]
    ClusterMissing { cluster: String },
    /// DescribeServices does not know the service, or it is INACTIVE.
    #[error("service '{service}' does not exist in cluster '{cluster}' (or is INACTIVE)")]
    ServiceMissing { cluster: String, service: String },
    /// The service's tasks are placed through task sets by a third-party controller.
    #[error(
        "service '{service}' uses the EXTERNAL deployment controller: its tasks are placed by a third-party controller through task sets, which gantry does not drive; deploy it with that controller"
    )]
    ExternalController { service: String },
    /// The service is deployed through CodeDeploy ([`crate::codedeploy`]), not UpdateService.
    #[error(
        "service '{service}' uses the CODE_DEPLOY deployment controller: it is deployed through a CodeDeploy deployment, not UpdateService"
    )]
    CodeDeployController { service: String },
    /// A deployment controller or strategy that did not exist when this was written.
    #[error(
        "service '{service}' uses deployment controller or strategy '{what}', which gantry does not know"
    )]
    UnknownController { service: String, what: String },
    /// UpdateService answered, but no new PRIMARY deployment of the task definition is in it.
    #[error(
        "UpdateService answered without a new deployment of {task_definition}: ECS started nothing to watch"
    )]
    NoDeployment { task_definition: String },
}

/// A CodeDeploy call failed (here, apart from [`crate::codedeploy`], so that the modules that
/// report errors do not depend on the one that makes the calls).
#[derive(Debug, thiserror::Error)]
#[error("CodeDeploy {operation} failed: {message}")]
pub struct CdError {
    /// The CodeDeploy operation (`CreateDeployment`, `GetDeployment`, `StopDeployment`).
    pub operation: &'static str,
    /// What AWS (or the network) said.
    pub message: String,
}

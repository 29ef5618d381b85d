//! What gantry asks of ECS and ECR: two narrow traits ([`Ecs`], [`Ecr`]) over gantry's own
//! types ([`ServiceSnapshot`], [`ServiceUpdate`], task definition JSON, ...), and their
//! implementations over the AWS SDK clients ([`SdkEcs`], [`SdkEcr`]).
//!
//! Every decision (render, watch, rollback target) works on the types here, never on SDK types,
//! so it is tested with plain values, and every tool can run it over any implementation.

use std::future::Future;

use serde_json::Value;

use crate::taskdef::TaskDefError;

mod client;

pub use client::{SdkEcr, SdkEcs};

/// How the service's deployments are controlled (`deploymentController.type`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Controller {
    Ecs,
    CodeDeploy,
    External,
    Other(String),
}

/// How an ECS-controlled service rolls (`deploymentConfiguration.strategy`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Strategy {
    Rolling,
    BlueGreen,
    Other(String),
}

/// The deployment circuit breaker of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CircuitBreaker {
    pub enable: bool,
    pub rollback: bool,
}

/// `PRIMARY`, `ACTIVE` or `INACTIVE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeploymentStatus {
    Primary,
    Active,
    Inactive,
    Other(String),
}

/// `rolloutState` of a deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RolloutState {
    InProgress,
    Completed,
    Failed,
    Other(String),
}

/// One deployment of a service, as DescribeServices shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    pub id: String,
    pub status: DeploymentStatus,
    pub task_definition: String,
    pub desired: i32,
    pub running: i32,
    pub pending: i32,
    pub failed_tasks: i32,
    pub rollout_state: Option<RolloutState>,
    pub rollout_reason: Option<String>,
    /// Milliseconds since the epoch.
    pub created_at_ms: Option<i64>,
}

/// One service event (newest first in DescribeServices).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceEvent {
    pub id: String,
    pub created_at_ms: Option<i64>,
    pub message: String,
}

/// What DescribeServices says about a service at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceSnapshot {
    pub arn: String,
    pub name: String,
    pub status: String,
    pub task_definition: String,
    pub desired: i32,
    pub running: i32,
    pub pending: i32,
    pub controller: Controller,
    pub strategy: Strategy,
    pub circuit_breaker: Option<CircuitBreaker>,
    pub bake_time_minutes: Option<i32>,
    pub launch_type: Option<String>,
    /// `awsvpcConfiguration` of the service, reused by one-off tasks: (subnets, security
    /// groups, assign public IP).
    pub network: Option<(Vec<String>, Vec<String>, bool)>,
    pub deployments: Vec<Deployment>,
    pub events: Vec<ServiceEvent>,
    /// `currentServiceDeployment`: the ARN for the service deployment APIs.
    pub current_service_deployment: Option<String>,
    /// The service's load balancers as (container name, container port), for CodeDeploy's
    /// AppSpec.
    pub load_balancers: Vec<(String, i32)>,
    /// The target groups and listener rule ECS's own blue/green, CANARY and LINEAR
    /// strategies shift traffic between (`loadBalancers[].advancedConfiguration`).
    pub traffic_shift: Vec<TrafficShift>,
    /// `canaryConfiguration` / `linearConfiguration`: (percent, bake minutes) per step.
    pub shift_step: Option<(f64, Option<i32>)>,
    /// `propagateTags` (`SERVICE`, `TASK_DEFINITION`, `NONE`), when DescribeServices says.
    pub propagate_tags: Option<String>,
    /// `enableECSManagedTags`.
    pub enable_ecs_managed_tags: bool,
    /// `deploymentConfiguration.alarms`, when the service has any.
    pub alarms: Option<DeploymentAlarms>,
}

/// CloudWatch alarms ECS watches during a deployment (`deploymentConfiguration.alarms`); with
/// `rollback`, ECS rolls the deployment back by itself when one of them goes to ALARM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentAlarms {
    pub names: Vec<String>,
    pub enable: bool,
    pub rollback: bool,
}

/// One load balancer of a service on ECS's native blue/green, CANARY or LINEAR strategy: ECS
/// moves the production listener rule's weights between the two target groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrafficShift {
    pub target_group: String,
    pub alternate_target_group: String,
    pub production_listener_rule: Option<String>,
}

impl ServiceSnapshot {
    pub fn deployment(&self, id: &str) -> Option<&Deployment> {
        self.deployments.iter().find(|d| d.id == id)
    }
    pub fn primary(&self) -> Option<&Deployment> {
        self.deployments
            .iter()
            .find(|d| d.status == DeploymentStatus::Primary)
    }
}

/// What to change with UpdateService.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceUpdate {
    pub cluster: String,
    pub service: String,
    pub task_definition: Option<String>,
    pub desired_count: Option<i32>,
    pub force_new_deployment: bool,
    pub circuit_breaker: Option<CircuitBreaker>,
    /// `propagateTags`: `SERVICE`, `TASK_DEFINITION` or `NONE`; `None`: keep the service's.
    pub propagate_tags: Option<String>,
    /// `enableECSManagedTags`; `None`: keep the service's.
    pub enable_ecs_managed_tags: Option<bool>,
    /// `deploymentConfiguration.alarms`; `None`: keep the service's.
    pub alarms: Option<DeploymentAlarms>,
}

/// A one-off task (RunTask) with a command override for one container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRun {
    pub cluster: String,
    pub task_definition: String,
    pub container: String,
    pub command: Vec<String>,
    pub launch_type: Option<String>,
    pub network: Option<(Vec<String>, Vec<String>, bool)>,
    pub started_by: String,
}

/// A task as DescribeTasks shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskSnapshot {
    pub arn: String,
    pub last_status: String,
    pub stopped_reason: Option<String>,
    /// (name, exit code, reason)
    pub containers: Vec<(String, Option<i32>, Option<String>)>,
}

/// A service deployment (the service deployment APIs: ListServiceDeployments,
/// DescribeServiceDeployments), which carries the blue/green lifecycle stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceDeploymentInfo {
    pub arn: String,
    /// PENDING, IN_PROGRESS, SUCCESSFUL, STOPPED, ROLLBACK_IN_PROGRESS, ROLLBACK_SUCCESSFUL, …
    pub status: String,
    /// PRE_SCALE_UP, SCALE_UP, TEST_TRAFFIC_SHIFT, PRODUCTION_TRAFFIC_SHIFT, BAKE_TIME, …
    pub lifecycle_stage: Option<String>,
    pub status_reason: Option<String>,
}

/// An ECS or ECR call failed, or its task definition could not be converted.
#[derive(Debug, thiserror::Error)]
pub enum EcsError {
    #[error("{operation} failed: {message}")]
    Api {
        operation: &'static str,
        code: Option<String>,
        message: String,
    },
    #[error(transparent)]
    TaskDefinition(#[from] TaskDefError),
}

impl EcsError {
    /// Errors worth waiting out instead of failing the rollout: throttling and the network.
    pub fn is_transient(&self) -> bool {
        match self {
            EcsError::Api { code, message, .. } => {
                code.as_deref().is_some_and(|c| {
                    c.contains("Throttling")
                        || c == "TooManyRequestsException"
                        || c == "RequestLimitExceeded"
                        || c == "ServerException"
                }) || message.contains("dispatch failure")
                    || message.contains("timeout")
            }
            EcsError::TaskDefinition(_) => false,
        }
    }
}

fn api_error<E, R>(operation: &'static str, e: aws_sdk_ecs::error::SdkError<E, R>) -> EcsError
where
    E: aws_sdk_ecs::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let code = e
        .as_service_error()
        .and_then(|s| s.code())
        .map(str::to_owned);
    // A service error reads best as AWS wrote it; anything else (network, timeout) with its
    // chain of causes and what to check.
    let message = gantry_aws_setup::sdk_error::explain(&e);
    EcsError::Api {
        operation,
        code,
        message,
    }
}

/// What gantry's tools need from ECS. Implemented over the SDK ([`SdkEcs`]); tests can
/// implement it over anything.
pub trait Ecs: Send + Sync {
    /// `None` when the cluster exists but the service does not (or is INACTIVE).
    fn describe_service(
        &self,
        cluster: &str,
        service: &str,
    ) -> impl Future<Output = Result<Option<ServiceSnapshot>, EcsError>> + Send;
    fn cluster_exists(&self, cluster: &str) -> impl Future<Output = Result<bool, EcsError>> + Send;
    /// The task definition as RegisterTaskDefinition JSON plus its read-only fields and tags.
    fn describe_task_definition(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Value, EcsError>> + Send;
    /// Registers `def` (RegisterTaskDefinition JSON) and returns the new ARN.
    fn register_task_definition(
        &self,
        def: &Value,
    ) -> impl Future<Output = Result<String, EcsError>> + Send;
    fn deregister_task_definition(
        &self,
        arn: &str,
    ) -> impl Future<Output = Result<(), EcsError>> + Send;
    /// Revisions of a family, newest first (ACTIVE only).
    fn list_task_definitions(
        &self,
        family: &str,
    ) -> impl Future<Output = Result<Vec<String>, EcsError>> + Send;
    fn update_service(
        &self,
        update: &ServiceUpdate,
    ) -> impl Future<Output = Result<ServiceSnapshot, EcsError>> + Send;
    fn run_task(&self, run: &TaskRun) -> impl Future<Output = Result<String, EcsError>> + Send;
    fn describe_task(
        &self,
        cluster: &str,
        arn: &str,
    ) -> impl Future<Output = Result<Option<TaskSnapshot>, EcsError>> + Send;
    /// Stops a task (a one-off task its caller gives up on).
    fn stop_task(
        &self,
        cluster: &str,
        arn: &str,
        reason: &str,
    ) -> impl Future<Output = Result<(), EcsError>> + Send;
    /// The ARN of the newest service deployment created at or after `after_ms` (epoch
    /// milliseconds). Implementations without the service deployment APIs answer `None`.
    fn latest_service_deployment(
        &self,
        _cluster: &str,
        _service: &str,
        _after_ms: i64,
    ) -> impl Future<Output = Result<Option<String>, EcsError>> + Send {
        async { Ok(None) }
    }
    /// One service deployment by ARN.
    fn describe_service_deployment(
        &self,
        _arn: &str,
    ) -> impl Future<Output = Result<Option<ServiceDeploymentInfo>, EcsError>> + Send {
        async { Ok(None) }
    }
    /// Sets one tag on a resource (TagResource), e.g. what a re-run must remember.
    fn tag_resource(
        &self,
        _arn: &str,
        _key: &str,
        _value: &str,
    ) -> impl Future<Output = Result<(), EcsError>> + Send {
        async {
            Err(EcsError::Api {
                operation: "TagResource",
                code: None,
                message: "not available here".into(),
            })
        }
    }
    /// One tag of a resource (ListTagsForResource), `None` when it has none by that key.
    fn resource_tag(
        &self,
        _arn: &str,
        _key: &str,
    ) -> impl Future<Output = Result<Option<String>, EcsError>> + Send {
        async { Ok(None) }
    }
    /// StopServiceDeployment: with `rollback`, ECS undoes the deployment itself (traffic back
    /// to the previous revision); otherwise it aborts it where it is.
    fn stop_service_deployment(
        &self,
        _arn: &str,
        _rollback: bool,
    ) -> impl Future<Output = Result<(), EcsError>> + Send {
        async {
            Err(EcsError::Api {
                operation: "StopServiceDeployment",
                code: None,
                message: "not available here".into(),
            })
        }
    }
}

/// What gantry's tools need from ECR: does an image tag exist (a rollback by image tag).
pub trait Ecr: Send + Sync {
    fn tag_exists(
        &self,
        registry_id: Option<&str>,
        repository: &str,
        tag: &str,
    ) -> impl Future<Output = Result<bool, EcsError>> + Send;
}

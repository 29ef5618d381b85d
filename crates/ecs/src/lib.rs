//! `gantry-ecs`: the ECS model that gantry's ECS tools, `ecs-rollout` and `canary-gate`, stand
//! on. It knows services, task definitions and deployments; the tools know their inputs, what
//! to deploy and what to report.
//!
//! - **Effects behind narrow traits** ([`api`]): [`Ecs`] and [`Ecr`] over gantry's own types
//!   ([`ServiceSnapshot`], [`ServiceUpdate`], task definition JSON), implemented over the AWS
//!   SDK by [`SdkEcs`] and [`SdkEcr`]; [`codedeploy::CodeDeploy`] for CODE_DEPLOY services.
//! - **Task definitions** as RegisterTaskDefinition JSON ([`taskdef`]), what a new one changes
//!   ([`diff`]), container image references ([`image`]).
//! - **Deploy by id** ([`deploy()`]): UpdateService, then the deployment it started, found by
//!   its id, after [`deploy::current_service`] checked that UpdateService can deploy the
//!   service. The strategy (rolling, blue/green, CANARY, LINEAR) is the service's own.
//! - **Watch until really done** ([`watch()`], [`watch::Watcher`]): success only when our
//!   deployment is PRIMARY and COMPLETED, runs as many tasks as desired, and the service runs
//!   our task definition, never after ECS rolled back; polls adaptively, ≤ 20 DescribeServices
//!   calls a minute ([`watch::PollSchedule`]).
//! - **Roll back to the last good revision** ([`rollback()`], [`rollback::last_good`]): the
//!   last that *completed* a deployment before we touched the service, not "revision − 1";
//!   [`rollback::decide`] says whether and where.
//! - **Service deployments** ([`service_deployment`]): where ECS's own blue/green, CANARY and
//!   LINEAR deployments are, and waiting for the rollback StopServiceDeployment asks for.
//! - **One context** per step ([`Scope`]: client, cluster, service, deadline, the run's
//!   [`gantry_toolkit::Stop`], the [`Log`]).
//!
//! Errors ([`Error`], [`EcsError`], [`codedeploy::CdError`], [`taskdef::TaskDefError`]) name
//! AWS resources (cluster, service, task definition, deployment), never a tool's inputs: a tool
//! maps them to its own message where it has something to add (which input names the service,
//! what to do about it).
//!
//! Rolling a service to a task definition, and back to its last good revision when the
//! deployment does not succeed:
//!
//! ```no_run
//! use std::time::Duration;
//! use gantry_ecs::{Log, Scope, ServiceUpdate, rollback::last_good, watch::WatchOutcome};
//! use gantry_toolkit::Stop;
//!
//! # async fn roll(ecs: &gantry_ecs::SdkEcs) -> Result<(), gantry_ecs::Error> {
//! let (cluster, service) = ("prod", "api-stable");
//! let before = gantry_ecs::deploy::current_service(ecs, cluster, service).await?;
//! let good = last_good(&before);
//! let update = ServiceUpdate {
//!     cluster: cluster.into(),
//!     service: service.into(),
//!     task_definition: Some("arn:aws:ecs:eu-west-1:123456789012:task-definition/api:42".into()),
//!     ..ServiceUpdate::default()
//! };
//! let pending_timeout = Duration::from_secs(300);
//! let mut watcher = gantry_ecs::deploy(ecs, &before, &update, pending_timeout).await?;
//! let (stop, log) = (Stop::never(), Log::new(None));
//! let scope = Scope {
//!     ecs,
//!     cluster,
//!     service,
//!     deadline: tokio::time::Instant::now() + Duration::from_secs(600),
//!     stop: &stop,
//!     log: &log,
//! };
//! let outcome = gantry_ecs::watch(scope, &mut watcher, 0).await?;
//! if outcome != WatchOutcome::Succeeded {
//!     if let Some(target) = good {
//!         let back = gantry_ecs::rollback(scope, &target, pending_timeout, 0, Some(&before)).await?;
//!         assert_eq!(back.task_definition, target);
//!     }
//! }
//! # Ok(()) }
//! ```

pub mod api;
pub mod codedeploy;
pub mod deploy;
pub mod diff;
pub mod error;
/// Image references, from their own crate (tools without the AWS SDK use them too).
pub use gantry_image_ref as image;
pub mod log;
pub mod rollback;
pub mod scope;
pub mod service_deployment;
pub mod taskdef;
pub mod verify;
pub mod watch;

pub use api::{
    CircuitBreaker, Controller, Deployment, DeploymentAlarms, DeploymentStatus, Ecr, Ecs, EcsError,
    RolloutState, SdkEcr, SdkEcs, ServiceDeploymentInfo, ServiceEvent, ServiceSnapshot,
    ServiceUpdate, Strategy, TaskRun, TaskSnapshot, TrafficShift,
};
pub use deploy::deploy;
pub use error::Error;
pub use log::Log;
pub use rollback::rollback;
pub use scope::Scope;
pub use watch::watch;

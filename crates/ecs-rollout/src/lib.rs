//! `ecs-rollout`: register a task definition, roll the ECS service, watch the deployment we
//! created until it is really done, and roll back automatically when it is not.
//!
//! What it does differently from amazon-ecs-deploy-task-definition and ecspresso:
//! - **It never reports success after ECS rolled back.** It follows *our* deployment by id and
//!   succeeds only when that deployment is PRIMARY and COMPLETED, runs as many tasks as desired,
//!   and the service runs our task definition ([`watch::Watcher`]).
//! - **It rolls back to the last task definition that completed a deployment** (read from the
//!   service before we touched it), not to "revision − 1" ([`rollback::last_good`]), on
//!   failure, timeout, and the runner's cancellation ([`gantry_toolkit::Stop`]).
//! - **It polls adaptively**: fast first, then every 4 s with jitter, ≤ 20 DescribeServices
//!   calls a minute, throttling waited out ([`watch::PollSchedule`]).
//! - **Bad input fails before anything changes**: inputs ([`config`]), then the cluster,
//!   service, controller, containers and task definition JSON, all checked before a revision
//!   is registered or the service updated.
//!
//! Layers: inputs → [`config::Config`]; pure decisions over the tool's own types
//! ([`plan::task_definition`], [`plan::is_noop`] and the rest of [`plan`], [`render`], [`gantry_ecs::diff`],
//! [`mod@watch`], [`rollback::decide`], [`rollback::last_good`], [`pre_deploy::judge`]); effects
//! behind [`gantry_ecs::Ecs`] / [`gantry_ecs::Ecr`] ([`gantry_ecs::SdkEcs`] over the AWS SDK) and
//! [`codedeploy::CodeDeploy`]. [`run`] only strings them together: it fetches what a decision
//! needs and acts on what it decides. Other tools (canary-gate) reuse [`deploy::deploy`],
//! [`watch::watch`] and [`rollback::rollback`] over any [`gantry_ecs::Ecs`].
//!
//! Rolling a service from another tool (what canary-gate does with its stable service):
//!
//! ```no_run
//! use std::time::Duration;
//! use gantry_ecs::ServiceUpdate;
//! use ecs_rollout::{outputs::Log, rollback::last_good, watch::WatchOutcome};
//! use gantry_toolkit::Stop;
//!
//! # async fn roll(ecs: &gantry_ecs::SdkEcs) -> Result<(), ecs_rollout::RolloutError> {
//! let (cluster, service) = ("prod", "api-stable");
//! let before = ecs_rollout::run::current_service(ecs, cluster, service).await?;
//! let good = last_good(&before);
//! let update = ServiceUpdate {
//!     cluster: cluster.into(),
//!     service: service.into(),
//!     task_definition: Some("arn:aws:ecs:eu-west-1:123456789012:task-definition/api:42".into()),
//!     ..ServiceUpdate::default()
//! };
//! let pending_timeout = Duration::from_secs(300);
//! let mut watcher = ecs_rollout::deploy(ecs, &before, &update, pending_timeout).await?;
//! let (stop, log) = (Stop::never(), Log::new(None));
//! let scope = ecs_rollout::Scope {
//!     ecs,
//!     cluster,
//!     service,
//!     deadline: tokio::time::Instant::now() + Duration::from_secs(600),
//!     stop: &stop,
//!     log: &log,
//! };
//! let outcome = ecs_rollout::watch(scope, &mut watcher, 0).await?;
//! if outcome != WatchOutcome::Succeeded {
//!     if let Some(target) = good {
//!         let back = ecs_rollout::rollback(scope, &target, pending_timeout, 0).await?;
//!         assert_eq!(back.task_definition, target);
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! Native blue/green (and linear, canary) services are deployed with UpdateService like rolling
//! ones and judged on their deployment the same way; their lifecycle stages (SCALE_UP, …,
//! BAKE_TIME, CLEAN_UP) are read from the service deployment APIs and reported as they change.
//! CODE_DEPLOY services are deployed through CodeDeploy: the new revision goes into an AppSpec,
//! the CodeDeploy deployment is followed with GetDeployment and stopped with automatic rollback
//! when it fails, times out or the run is cancelled ([`codedeploy`]).

pub mod codedeploy;
pub mod config;
pub mod deploy;
pub mod error;
pub mod outputs;
pub mod plan;
pub mod pre_deploy;
pub mod render;
pub mod rollback;
pub mod run;
pub mod scope;
pub mod watch;

pub use deploy::deploy;
pub use error::RolloutError;
pub use rollback::rollback;
pub use scope::Scope;
pub use watch::watch;

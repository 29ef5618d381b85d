//! `ecs-rollout`: register a task definition, roll the ECS service, watch the deployment we
//! created until it is really done, and roll back automatically when it is not.
//!
//! What it does differently from amazon-ecs-deploy-task-definition and ecspresso:
//! - **It never reports success after ECS rolled back.** It follows *our* deployment by id and
//!   succeeds only when that deployment is PRIMARY and COMPLETED, runs as many tasks as desired,
//!   and the service runs our task definition ([`gantry_ecs::watch::Watcher`]).
//! - **It rolls back to the last task definition that completed a deployment** (read from the
//!   service before we touched it), not to "revision − 1"
//!   ([`gantry_ecs::rollback::last_good`]), on failure, timeout, and the runner's cancellation
//!   ([`gantry_toolkit::Stop`]).
//! - **It polls adaptively**: fast first, then every 4 s with jitter, ≤ 20 DescribeServices
//!   calls a minute, throttling waited out ([`gantry_ecs::watch::PollSchedule`]).
//! - **Bad input fails before anything changes**: inputs ([`config`]), then the cluster,
//!   service, controller, containers and task definition JSON, all checked before a revision
//!   is registered or the service updated.
//!
//! Layers: inputs → [`config::Config`]; pure decisions over the tool's own types
//! ([`plan::task_definition`], [`plan::is_noop`] and the rest of [`plan`], [`render`],
//! [`outcome`], [`pre_deploy::judge`]); the ECS model, its decisions and its effects
//! ([`gantry_ecs`]: the task definition diff, [`gantry_ecs::watch::Watcher`],
//! [`gantry_ecs::rollback::decide`], [`gantry_ecs::rollback::last_good`], behind
//! [`gantry_ecs::Ecs`] / [`gantry_ecs::Ecr`] and [`gantry_ecs::codedeploy::CodeDeploy`] over the
//! AWS SDK). [`run`] only strings them together: it fetches what a decision needs and acts on
//! what it decides. canary-gate stands on the same [`gantry_ecs`]; neither tool imports the
//! other.
//!
//! Native blue/green (and linear, canary) services are deployed with UpdateService like rolling
//! ones and judged on their deployment the same way; their lifecycle stages (SCALE_UP, …,
//! BAKE_TIME, CLEAN_UP) are read from the service deployment APIs and reported as they change.
//! CODE_DEPLOY services are deployed through CodeDeploy: the new revision goes into an AppSpec,
//! the CodeDeploy deployment is followed with GetDeployment and stopped with automatic rollback
//! when it fails, times out or the run is cancelled ([`run::codedeploy`]).

pub mod config;
pub mod error;
pub mod outcome;
pub mod outputs;
pub mod plan;
pub mod pre_deploy;
pub mod render;
pub mod run;

pub use error::RolloutError;

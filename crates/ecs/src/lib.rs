//! `gantry-ecs`: the ECS model that gantry's ECS tools (ecs-rollout, canary-gate) stand on.
//!
//! - [`api`]: the narrow [`Ecs`] and [`Ecr`] traits over gantry's own types (service
//!   snapshots, deployments, updates, one-off tasks), and their SDK clients.
//! - [`taskdef`]: task definitions as RegisterTaskDefinition JSON; [`diff`]: what a new one
//!   changes; [`image`]: container image references.
//!
//! Errors name AWS resources (clusters, services, task definitions, deployments), never a
//! tool's inputs: a tool maps them to its own words where it has something to add.

pub mod api;
pub mod diff;
pub mod image;
pub mod taskdef;

pub use api::{
    CircuitBreaker, Controller, Deployment, DeploymentStatus, Ecr, Ecs, EcsError, RolloutState,
    SdkEcr, SdkEcs, ServiceDeploymentInfo, ServiceEvent, ServiceSnapshot, ServiceUpdate, Strategy,
    TaskRun, TaskSnapshot, TrafficShift,
};

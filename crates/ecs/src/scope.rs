//! What every ECS step shares: the client, the service it acts on, the deadline the step must
//! keep, the run's cancellation and its log. One value, passed whole, instead of the same six
//! arguments in a row of every step ([`crate::watch()`], [`crate::rollback()`], ...).

use gantry_toolkit::Stop;
use tokio::time::Instant;

use crate::log::Log;

/// One ECS service as a step of a run acts on it.
#[derive(Debug)]
pub struct Scope<'a, E> {
    /// The ECS client.
    pub ecs: &'a E,
    /// The cluster (name or ARN).
    pub cluster: &'a str,
    /// The service (name or ARN).
    pub service: &'a str,
    /// When the step must have ended.
    pub deadline: Instant,
    /// The run's cancellation (the signals; the deadline above is the step's own).
    pub stop: &'a Stop,
    /// Where the step says what it does.
    pub log: &'a Log<'a>,
}

// By hand: a derive would ask `E: Clone`, and the client is only borrowed.
impl<E> Clone for Scope<'_, E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E> Copy for Scope<'_, E> {}

impl<'a, E> Scope<'a, E> {
    /// The same scope with another deadline: a step that must end sooner (the watch, with time
    /// left for a rollback), or a rollback that gets a few seconds more.
    #[must_use]
    pub fn until(self, deadline: Instant) -> Scope<'a, E> {
        Scope { deadline, ..self }
    }

    /// The same scope on another service of the cluster (a canary service beside the stable
    /// one).
    #[must_use]
    pub fn on(self, service: &'a str) -> Scope<'a, E> {
        Scope { service, ..self }
    }
}

//! [`Log`]: where the ECS steps say what they do. It prints through the runner (when there is
//! one) and remembers the moments that matter with the seconds since the start, so a tool can
//! put that timeline in its job summary.
//!
//! It is a log, not the runner's outputs: a tool's outputs and summary stay the tool's.

use std::sync::Mutex;
use std::time::Duration;

use gantry_toolkit::Runner;
use tokio::time::Instant;

/// Prints through the runner (when there is one) and keeps a timeline of the moments that
/// matter, with the seconds since the start.
#[derive(Debug)]
pub struct Log<'a> {
    runner: Option<&'a Runner>,
    start: Instant,
    timeline: Mutex<Vec<(Duration, String)>>,
}

impl<'a> Log<'a> {
    /// A log that starts now; `None`: print nothing, only keep the timeline (tests).
    pub fn new(runner: Option<&'a Runner>) -> Log<'a> {
        Log {
            runner,
            start: Instant::now(),
            timeline: Mutex::new(Vec::new()),
        }
    }

    /// The time since the log started.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// A line of progress (printed, not in the timeline).
    pub fn info(&self, message: &str) {
        if let Some(r) = self.runner {
            r.info(message);
        }
    }

    /// A service event: printed and in the timeline.
    pub fn event(&self, message: &str) {
        self.info(&format!("event: {message}"));
        self.push(message);
    }

    /// A step of ours: printed and in the timeline.
    pub fn mark(&self, message: &str) {
        self.info(message);
        self.push(message);
    }

    /// A warning: printed as one (an annotation on a runner) and in the timeline.
    pub fn warning(&self, message: &str) {
        if let Some(r) = self.runner {
            r.warning(message);
        }
        self.push(&format!("warning: {message}"));
    }

    fn push(&self, message: &str) {
        if let Ok(mut t) = self.timeline.lock() {
            t.push((self.start.elapsed(), message.to_owned()));
        }
    }

    /// The events, steps and warnings so far, with the time since the start of each.
    pub fn timeline(&self) -> Vec<(Duration, String)> {
        self.timeline.lock().map(|t| t.clone()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timeline_keeps_events_steps_and_warnings_not_progress() {
        let log = Log::new(None);
        log.info("running 1/2");
        log.event("has started 2 tasks");
        log.mark("deployment ecs-svc/1 started");
        log.warning("kept api:5");
        let lines: Vec<String> = log.timeline().into_iter().map(|(_, m)| m).collect();
        assert_eq!(
            lines,
            [
                "has started 2 tasks",
                "deployment ecs-svc/1 started",
                "warning: kept api:5"
            ]
        );
    }
}

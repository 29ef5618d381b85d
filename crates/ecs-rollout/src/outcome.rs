//! How a run ends after its deployment did not succeed (pure): the reason when the service is
//! left as it is ([`skipped`]), the status and reason after a rollback ([`after_rollback`]), and
//! whether the revision the run registered goes ([`deregister`]). Whether and where to roll
//! back is [`gantry_ecs::rollback::decide`]'s; the words and the outputs' status are the
//! tool's, and some name its inputs.

use gantry_ecs::rollback::{RollbackResult, Skip};
use gantry_ecs::taskdef::short_name;
use gantry_ecs::watch::WatchOutcome;

use crate::outputs::Status;

/// The run's reason, after the `failure`, for an ECS deployment left as it is.
pub fn skipped(skip: &Skip, failure: &str) -> String {
    match skip {
        Skip::Replaced => {
            format!("{failure}; no rollback: the newer deployment owns the service now")
        }
        Skip::NotAsked => format!("{failure}; no rollback (rollback-on-failure: false)"),
        Skip::NoLastGood => format!(
            "{failure}; no rollback: no deployment of this service completed before ours, so there is no known good task definition"
        ),
        Skip::LastGoodFailed(target) => format!(
            "{failure}; no rollback: the last good task definition is the one that failed ({})",
            short_name(target)
        ),
    }
}

/// How the run ends after its deployment failed with `failure` and it rolled back: rolled
/// back (the reason stays the failure) when the rollback deployment completed, else failed,
/// saying what became of the rollback.
pub fn after_rollback(failure: &str, rollback: &RollbackResult) -> (Status, String) {
    let target = short_name(&rollback.task_definition);
    match &rollback.outcome {
        WatchOutcome::Succeeded => (Status::RolledBack, failure.to_owned()),
        WatchOutcome::Failed(f) => (
            Status::Failed,
            format!(
                "{failure}; the rollback to {target} failed too: {}",
                f.reason
            ),
        ),
        WatchOutcome::TimedOut(why) => (
            Status::Failed,
            format!("{failure}; the rollback to {target} did not complete in time: {why}"),
        ),
        WatchOutcome::Cancelled(signal) => (
            Status::Failed,
            format!(
                "{failure}; rollback to {target} started (deployment {}) but not watched to the end: {signal}",
                rollback.deployment_id
            ),
        ),
        WatchOutcome::Errored(error) => (
            Status::Failed,
            format!(
                "{failure}; rollback to {target} started (deployment {}) but watching it failed: {error}",
                rollback.deployment_id
            ),
        ),
    }
}

/// Whether to deregister the revision the run deployed, once the run ended with `status`:
/// only after a deployment that did not succeed and was watched to its end, when asked to,
/// and only a revision the run registered itself.
pub fn deregister(status: Status, watched: bool, asked: bool, registered: bool) -> bool {
    status != Status::Succeeded && watched && asked && registered
}

#[cfg(test)]
mod tests {
    use super::*;
    use gantry_ecs::watch::{Failure, FailureKind};

    fn failed(kind: FailureKind) -> WatchOutcome {
        WatchOutcome::Failed(Failure {
            kind,
            reason: "failed".into(),
        })
    }

    #[test]
    fn why_the_service_is_left_as_it_is() {
        // (name, skip, reason)
        let table: &[(&str, Skip, &str)] = &[
            (
                "replaced",
                Skip::Replaced,
                "x; no rollback: the newer deployment owns the service now",
            ),
            (
                "not asked",
                Skip::NotAsked,
                "x; no rollback (rollback-on-failure: false)",
            ),
            (
                "nothing good",
                Skip::NoLastGood,
                "x; no rollback: no deployment of this service completed before ours, so there is no known good task definition",
            ),
            (
                "the failed one",
                Skip::LastGoodFailed("arn:aws:ecs:r:1:task-definition/api:8".into()),
                "x; no rollback: the last good task definition is the one that failed (api:8)",
            ),
        ];
        for (name, skip, want) in table {
            assert_eq!(skipped(skip, "x"), *want, "{name}");
        }
    }

    #[test]
    fn how_the_run_ends_after_the_rollback() {
        let rb = |outcome| RollbackResult {
            deployment_id: "ecs-svc/3".into(),
            task_definition: "arn:aws:ecs:r:1:task-definition/api:7".into(),
            outcome,
            by_ecs: false,
        };
        // (name, the rollback's outcome, status, reason)
        let table: &[(&str, WatchOutcome, Status, &str)] = &[
            (
                "completed",
                WatchOutcome::Succeeded,
                Status::RolledBack,
                "x",
            ),
            (
                "failed too",
                failed(FailureKind::Stuck),
                Status::Failed,
                "x; the rollback to api:7 failed too: failed",
            ),
            (
                "too slow",
                WatchOutcome::TimedOut("1 of 2".into()),
                Status::Failed,
                "x; the rollback to api:7 did not complete in time: 1 of 2",
            ),
            (
                "cancelled again",
                WatchOutcome::Cancelled(gantry_toolkit::Signal::Interrupt),
                Status::Failed,
                "x; rollback to api:7 started (deployment ecs-svc/3) but not watched to the end: SIGINT",
            ),
        ];
        for (name, outcome, status, reason) in table {
            assert_eq!(
                after_rollback("x", &rb(outcome.clone())),
                (*status, (*reason).to_owned()),
                "{name}"
            );
        }
    }

    #[test]
    fn only_a_failed_revision_the_run_registered_is_deregistered_when_asked() {
        use Status::{Failed, RolledBack, Succeeded};
        // (name, status, watched, asked, registered, deregister)
        let table: &[(&str, Status, bool, bool, bool, bool)] = &[
            ("rolled back", RolledBack, true, true, true, true),
            ("failed", Failed, true, true, true, true),
            ("succeeded", Succeeded, true, true, true, false),
            ("not watched", Failed, false, true, true, false),
            ("not asked", RolledBack, true, false, true, false),
            (
                "not ours: an existing revision",
                RolledBack,
                true,
                true,
                false,
                false,
            ),
        ];
        for (name, status, watched, asked, registered, want) in table {
            assert_eq!(
                deregister(*status, *watched, *asked, *registered),
                *want,
                "{name}"
            );
        }
    }
}

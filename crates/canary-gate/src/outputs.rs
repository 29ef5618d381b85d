//! The run's result → output values. Pure: the caller writes them through the runner.

use serde::Serialize;

use crate::judge::{Decision, MetricVerdict};

/// Outputs, in the order of `action.yml`.
pub const OUTPUTS: &[&str] = &[
    "decision",
    "reason",
    "final-weight",
    "rollback",
    "verdicts",
    "stable-task-definition",
    "canary-task-definition",
    "previous-task-definition",
];

/// What a run came to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub decision: Decision,
    pub reason: String,
    /// The canary's share of traffic when the run ended, in percent (0 in probe mode).
    pub final_weight: u8,
    pub verdicts: Vec<MetricVerdict>,
}

impl Outcome {
    /// Whether the caller should roll back (the probe-mode signal; in canary mode traffic is
    /// already back on stable when this is true).
    pub fn rollback(&self) -> bool {
        self.decision != Decision::Promote
    }
}

/// `stable_task_definition` and `canary_task_definition`: what the ECS services run when the
/// run ended; `previous_task_definition`: what the stable service ran before (all empty when
/// canary-gate shifted traffic only).
pub fn values(
    o: &Outcome,
    stable_task_definition: &str,
    canary_task_definition: &str,
    previous_task_definition: &str,
) -> Vec<(&'static str, String)> {
    vec![
        ("decision", o.decision.as_str().to_string()),
        ("reason", o.reason.clone()),
        ("final-weight", o.final_weight.to_string()),
        ("rollback", o.rollback().to_string()),
        (
            "verdicts",
            serde_json::to_string(&o.verdicts).unwrap_or_else(|_| "[]".into()),
        ),
        ("stable-task-definition", stable_task_definition.to_string()),
        ("canary-task-definition", canary_task_definition.to_string()),
        (
            "previous-task-definition",
            previous_task_definition.to_string(),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_follow_the_declared_outputs() {
        let o = Outcome {
            decision: Decision::Rollback,
            reason: "r".into(),
            final_weight: 0,
            verdicts: Vec::new(),
        };
        let names: Vec<&str> = values(&o, "", "", "").iter().map(|(n, _)| *n).collect();
        assert_eq!(names, OUTPUTS);
        assert_eq!(values(&o, "", "", "")[3].1, "true");
        assert_eq!(values(&o, "", "", "")[4].1, "[]");
    }
}

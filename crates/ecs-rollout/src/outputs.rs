//! What the run reports: the outputs and the job summary with its timeline (the moments
//! [`gantry_ecs::Log`] remembered as the run went).

use std::time::Duration;

use gantry_toolkit::Summary;

use gantry_ecs::diff::Change;
use gantry_ecs::taskdef::short_name;

/// Outputs, in the order of `action.yml`.
pub const OUTPUTS: &[&str] = &[
    "task-definition-arn",
    "previous-task-definition-arn",
    "deployment-id",
    "status",
    "reason",
    "duration-seconds",
    "last-good-task-definition-arn",
];

/// How the run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Succeeded,
    /// `wait: false`: the deployment started and nobody watched it; not known to succeed.
    Started,
    /// The deployment failed and the service is back on the previous task definition.
    RolledBack,
    /// The deployment failed and the service is not known to be back (or nothing was
    /// deployed: bad input, failed pre-deploy task).
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Succeeded => "succeeded",
            Status::Started => "started",
            Status::RolledBack => "rolled-back",
            Status::Failed => "failed",
        }
    }
}

/// The result of a run, for outputs and summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub cluster: String,
    pub service: String,
    pub status: Status,
    pub reason: String,
    pub task_definition_arn: String,
    pub previous_task_definition_arn: String,
    /// The task definition of the last deployment that completed before this run (what a
    /// rollback goes back to); empty when none is known.
    pub last_good_task_definition_arn: String,
    pub deployment_id: String,
    /// The rollback's deployment and task definition, when one ran.
    pub rollback: Option<(String, String)>,
    pub duration: Duration,
    pub dry_run: bool,
}

impl Report {
    /// A run on `service` of `cluster` (as the inputs name them) that has deployed nothing
    /// yet, with the service on `previous`.
    pub fn new(cluster: &str, service: &str, previous: &str, dry_run: bool) -> Report {
        Report {
            cluster: cluster.to_owned(),
            service: service.to_owned(),
            status: Status::Succeeded,
            reason: String::new(),
            task_definition_arn: String::new(),
            previous_task_definition_arn: previous.to_owned(),
            last_good_task_definition_arn: String::new(),
            deployment_id: String::new(),
            rollback: None,
            duration: Duration::ZERO,
            dry_run,
        }
    }

    /// A run that stopped with an error (`reason`) and reported nothing else.
    pub fn failed(
        cluster: &str,
        service: &str,
        reason: String,
        duration: Duration,
        dry_run: bool,
    ) -> Report {
        Report {
            status: Status::Failed,
            reason,
            duration,
            ..Report::new(cluster, service, "", dry_run)
        }
    }

    /// The deployment started and, as `wait: false` asks, is not watched.
    pub fn started(&mut self, duration: Duration) {
        self.status = Status::Started;
        self.reason = "deployment started; not watched (wait: false)".to_owned();
        self.duration = duration;
    }

    /// How the step ends: `Ok` when the run succeeded, else the error it fails with (the
    /// reason, and where a rollback went).
    pub fn result(&self) -> Result<(), String> {
        match self.status {
            Status::Succeeded | Status::Started => Ok(()),
            Status::RolledBack => Err(format!(
                "{} (rolled back to {})",
                self.reason,
                self.rollback
                    .as_ref()
                    .map(|(_, td)| short_name(td))
                    .unwrap_or("?")
            )),
            Status::Failed => Err(self.reason.clone()),
        }
    }

    pub fn outputs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("task-definition-arn", self.task_definition_arn.clone()),
            (
                "previous-task-definition-arn",
                self.previous_task_definition_arn.clone(),
            ),
            ("deployment-id", self.deployment_id.clone()),
            ("status", self.status.as_str().to_owned()),
            ("reason", self.reason.clone()),
            (
                "duration-seconds",
                format!("{}", self.duration.as_secs_f64().round()),
            ),
            (
                "last-good-task-definition-arn",
                self.last_good_task_definition_arn.clone(),
            ),
        ]
    }
}

/// The job summary: result, task definitions, the diff, and the timeline.
pub fn summary(report: &Report, diff: &[Change], timeline: &[(Duration, String)]) -> Summary {
    let mut s = Summary::new();
    let icon = match report.status {
        Status::Succeeded => "✅",
        Status::Started => "▶️",
        Status::RolledBack => "↩️",
        Status::Failed => "❌",
    };
    s.heading(
        3,
        &format!(
            "{icon} ecs-rollout {}: {}/{}{}",
            report.status.as_str(),
            report.cluster,
            report.service,
            if report.dry_run { " (dry run)" } else { "" }
        ),
    );
    if !report.reason.is_empty() {
        s.paragraph(&gantry_toolkit::summary::escape_html(&report.reason));
    }
    let mut rows = vec![
        vec![
            "task definition".to_owned(),
            short_name(&report.task_definition_arn).to_owned(),
        ],
        vec![
            "previous".to_owned(),
            short_name(&report.previous_task_definition_arn).to_owned(),
        ],
        vec!["deployment".to_owned(), report.deployment_id.clone()],
    ];
    if let Some((id, td)) = &report.rollback {
        rows.push(vec![
            "rollback".to_owned(),
            format!("{} (deployment {id})", short_name(td)),
        ]);
    }
    rows.push(vec![
        "duration".to_owned(),
        format!("{} s", report.duration.as_secs_f64().round()),
    ]);
    s.table(["", ""], rows);
    if !diff.is_empty() {
        let text: Vec<String> = diff.iter().map(ToString::to_string).collect();
        s.details(
            "Task definition changes",
            &format!("\n\n```diff\n{}\n```\n", text.join("\n")),
        );
    }
    if !timeline.is_empty() {
        let rows: Vec<Vec<String>> = timeline
            .iter()
            .map(|(t, m)| vec![format!("+{:.1} s", t.as_secs_f64()), m.clone()])
            .collect();
        s.heading(4, "Timeline");
        s.table(["time", "what happened"], rows);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn how_the_step_ends() {
        let report = |status, rollback: Option<&str>| Report {
            status,
            reason: "deployment x FAILED".into(),
            rollback: rollback.map(|td| ("ecs-svc/2".to_owned(), td.to_owned())),
            ..Report::new("prod", "api", "api:4", false)
        };
        // (name, report, result)
        let table: &[(&str, Report, Result<(), &str>)] = &[
            ("succeeded", report(Status::Succeeded, None), Ok(())),
            (
                "failed",
                report(Status::Failed, None),
                Err("deployment x FAILED"),
            ),
            (
                "failed after a rollback that did not complete",
                report(
                    Status::Failed,
                    Some("arn:aws:ecs:r:1:task-definition/api:4"),
                ),
                Err("deployment x FAILED"),
            ),
            (
                "rolled back",
                report(
                    Status::RolledBack,
                    Some("arn:aws:ecs:r:1:task-definition/api:4"),
                ),
                Err("deployment x FAILED (rolled back to api:4)"),
            ),
            (
                "rolled back, the revision unknown",
                report(Status::RolledBack, None),
                Err("deployment x FAILED (rolled back to ?)"),
            ),
        ];
        for (name, r, want) in table {
            assert_eq!(r.result(), want.map_err(str::to_owned), "{name}");
        }
        let failed = Report::failed("prod", "api", "no".into(), Duration::from_secs(3), true);
        assert_eq!(
            (failed.status, failed.reason.as_str(), failed.dry_run),
            (Status::Failed, "no", true)
        );
        assert_eq!(
            failed.outputs()[..3],
            [
                ("task-definition-arn", String::new()),
                ("previous-task-definition-arn", String::new()),
                ("deployment-id", String::new()),
            ]
        );
    }

    #[test]
    fn outputs_in_order_and_summary_with_timeline() {
        let r = Report {
            cluster: "prod".into(),
            service: "api".into(),
            status: Status::RolledBack,
            reason: "deployment x FAILED: circuit breaker".into(),
            task_definition_arn: "arn:aws:ecs:r:1:task-definition/api:5".into(),
            previous_task_definition_arn: "arn:aws:ecs:r:1:task-definition/api:4".into(),
            last_good_task_definition_arn: "arn:aws:ecs:r:1:task-definition/api:4".into(),
            deployment_id: "ecs-svc/1".into(),
            rollback: Some((
                "ecs-svc/2".into(),
                "arn:aws:ecs:r:1:task-definition/api:4".into(),
            )),
            duration: Duration::from_secs(42),
            dry_run: false,
        };
        let names: Vec<&str> = r.outputs().iter().map(|(n, _)| *n).collect();
        assert_eq!(names, OUTPUTS);
        assert_eq!(r.outputs()[3].1, "rolled-back");
        let s = summary(
            &r,
            &[],
            &[(Duration::from_millis(1500), "registered api:5".into())],
        );
        let md = s.as_str();
        assert!(md.contains("rolled-back: prod/api"), "{md}");
        assert!(md.contains("api:4 (deployment ecs-svc/2)"), "{md}");
        assert!(md.contains("+1.5 s"), "{md}");
    }
}

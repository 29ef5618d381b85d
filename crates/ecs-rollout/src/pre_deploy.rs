//! The pre-deploy task (database migrations and the like): one task of the *new* task
//! definition with a command override, run to its end before the service is touched. Every
//! essential container must exit 0; anything else stops the deploy.

use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use gantry_ecs::Scope;
use gantry_ecs::{Ecs, EcsError, ServiceSnapshot, TaskRun, TaskSnapshot};

/// Where a container's logs go, from its `logConfiguration` (awslogs only; other drivers are
/// named as they are).
pub fn log_location(def: &Value, container: &str, task_arn: &str, region: &str) -> String {
    let c = def
        .get("containerDefinitions")
        .and_then(Value::as_array)
        .and_then(|cs| {
            cs.iter()
                .find(|c| c.get("name").and_then(Value::as_str) == Some(container))
        });
    let Some(log) = c.and_then(|c| c.get("logConfiguration")) else {
        return format!("container {container} has no logConfiguration: its output is not kept");
    };
    let driver = log.get("logDriver").and_then(Value::as_str).unwrap_or("?");
    if driver != "awslogs" {
        return format!("log driver {driver} (see its destination)");
    }
    let opt = |k: &str| {
        log.pointer(&format!("/options/{k}"))
            .and_then(Value::as_str)
    };
    let group = opt("awslogs-group").unwrap_or("?");
    let region = opt("awslogs-region").unwrap_or(region);
    let task_id = task_arn.rsplit('/').next().unwrap_or(task_arn);
    match opt("awslogs-stream-prefix") {
        Some(prefix) => format!(
            "CloudWatch Logs ({region}) group {group}, stream {prefix}/{container}/{task_id}"
        ),
        None => format!("CloudWatch Logs ({region}) group {group}"),
    }
}

/// Names of the essential containers (`essential` defaults to true).
pub fn essential_containers(def: &Value) -> Vec<String> {
    def.get("containerDefinitions")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .filter(|c| c.get("essential").and_then(Value::as_bool).unwrap_or(true))
                .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The verdict on a STOPPED task: `Err(reason)` unless every essential container it reports
/// exited 0.
pub fn judge(task: &TaskSnapshot, essential: &[String]) -> Result<(), String> {
    let mut checked = 0;
    for (name, code, reason) in &task.containers {
        if !essential.iter().any(|e| e == name) {
            continue;
        }
        checked += 1;
        match code {
            Some(0) => {}
            Some(n) => {
                return Err(format!(
                    "essential container {name} exited with code {n}{}",
                    reason
                        .as_ref()
                        .map(|r| format!(" ({r})"))
                        .unwrap_or_default()
                ));
            }
            None => {
                return Err(format!(
                    "essential container {name} has no exit code (it never ran?): {}",
                    task.stopped_reason
                        .clone()
                        .or_else(|| reason.clone())
                        .unwrap_or_else(|| "no reason given".into())
                ));
            }
        }
    }
    if checked == 0 {
        return Err(format!(
            "the task reports none of its essential containers ({}): {}",
            essential.join(", "),
            task.stopped_reason.as_deref().unwrap_or("no reason given")
        ));
    }
    Ok(())
}

/// When the pre-deploy task must have stopped, started at `now`: `timeout` later, and never
/// after the run's own deadline.
pub fn deadline(now: Instant, timeout: Duration, run_deadline: Instant) -> Instant {
    (now + timeout).min(run_deadline)
}

/// A one-off task of a deploy (the pre-deploy task before it, the smoke test after it): what it
/// is for (in messages) and the input that bounds its time, which revision, its JSON (for the
/// essential containers and the log location), the container and its command, and the region
/// (for the log link).
#[derive(Debug, Clone, Copy)]
pub struct PreDeployTask<'a> {
    /// `pre-deploy task`, `smoke test`.
    pub purpose: &'a str,
    /// The input named when it runs out of time.
    pub timeout_input: &'a str,
    pub task_definition: &'a str,
    pub definition: &'a Value,
    pub container: &'a str,
    pub command: &'a [String],
    pub region: &'a str,
}

/// Runs the task in the scope's cluster, with the network and launch type of `service`, and
/// waits for it to stop, until the scope's deadline. `Err` carries the reason the deploy must
/// stop.
pub async fn run_pre_deploy<E: Ecs>(
    scope: Scope<'_, E>,
    service: &ServiceSnapshot,
    task: &PreDeployTask<'_>,
) -> Result<(), String> {
    let Scope {
        ecs,
        cluster,
        deadline,
        stop: cancel,
        log,
        ..
    } = scope;
    let PreDeployTask {
        purpose,
        timeout_input,
        task_definition,
        definition: def,
        container,
        command,
        region,
    } = *task;
    let run = TaskRun {
        cluster: cluster.to_owned(),
        task_definition: task_definition.to_owned(),
        container: container.to_owned(),
        command: command.to_vec(),
        launch_type: service.launch_type.clone(),
        network: service.network.clone(),
        started_by: "gantry-ecs-rollout".to_owned(),
    };
    let arn = ecs
        .run_task(&run)
        .await
        .map_err(|e: EcsError| e.to_string())?;
    log.mark(&format!(
        "{purpose} {} started: {} {}",
        arn.rsplit('/').next().unwrap_or(&arn),
        container,
        command.join(" ")
    ));
    log.info(&format!(
        "{purpose} logs: {}",
        log_location(def, container, &arn, region)
    ));
    let essential = essential_containers(def);
    let mut delay = Duration::from_secs(1);
    loop {
        match ecs.describe_task(cluster, &arn).await {
            Ok(Some(task)) if task.last_status == "STOPPED" => {
                let verdict = judge(&task, &essential);
                match &verdict {
                    Ok(()) => log.mark(&format!("{purpose} exited 0")),
                    Err(e) => log.mark(&format!("{purpose} failed: {e}")),
                }
                return verdict.map_err(|e| {
                    format!("{e}; logs: {}", log_location(def, container, &arn, region))
                });
            }
            Ok(Some(_)) => {}
            Ok(None) => return Err(format!("task {arn} disappeared from the cluster")),
            Err(e) if e.is_transient() => log.info(&format!("waiting out: {e}")),
            Err(e) => return Err(e.to_string()),
        }
        let now = Instant::now();
        let why = if now >= deadline {
            Some(format!("did not stop in time ({timeout_input})"))
        } else {
            cancel
                .sleep(delay.min(deadline - now))
                .await
                .map(|signal| format!("was cancelled by {signal}"))
        };
        if let Some(why) = why {
            // Leave no migration running unattended after the run gave up on it.
            let stopped = ecs
                .stop_task(cluster, &arn, &format!("gantry ecs-rollout: the run {why}"))
                .await;
            let what = match stopped {
                Ok(()) => "it was stopped".to_owned(),
                Err(e) => format!("stopping it failed ({e}): it may still run"),
            };
            return Err(format!("{purpose} {arn} {why}; {what}"));
        }
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn task(containers: Vec<(&str, Option<i32>)>) -> TaskSnapshot {
        TaskSnapshot {
            arn: "arn:aws:ecs:r:1:task/c/abc".into(),
            last_status: "STOPPED".into(),
            stopped_reason: Some("Essential container in task exited".into()),
            containers: containers
                .into_iter()
                .map(|(n, c)| (n.to_owned(), c, None))
                .collect(),
        }
    }

    #[test]
    fn essential_containers_must_exit_zero() {
        let essential = vec!["app".to_owned()];
        assert!(
            judge(
                &task(vec![("app", Some(0)), ("sidecar", Some(1))]),
                &essential
            )
            .is_ok()
        );
        let e = judge(&task(vec![("app", Some(2))]), &essential).unwrap_err();
        assert!(e.contains("app exited with code 2"), "{e}");
        let e = judge(&task(vec![("app", None)]), &essential).unwrap_err();
        assert!(e.contains("no exit code"), "{e}");
        let e = judge(&task(vec![("other", Some(0))]), &essential).unwrap_err();
        assert!(e.contains("none of its essential containers"), "{e}");
    }

    #[test]
    fn the_task_has_its_timeout_within_the_run() {
        let now = Instant::now();
        let s = Duration::from_secs;
        // (name, pre-deploy timeout, time left of the run, the task's time)
        let table: &[(&str, Duration, Duration, Duration)] = &[
            ("its own timeout first", s(600), s(900), s(600)),
            ("the run ends first", s(600), s(300), s(300)),
            ("both at once", s(60), s(60), s(60)),
        ];
        for (name, timeout, left, want) in table {
            assert_eq!(deadline(now, *timeout, now + *left) - now, *want, "{name}");
        }
    }

    #[test]
    fn awslogs_location() {
        let def = json!({"containerDefinitions": [{"name": "app", "logConfiguration": {
            "logDriver": "awslogs", "options": {"awslogs-group": "/ecs/api", "awslogs-stream-prefix": "ecs"}}},
            {"name": "bare"}]});
        assert_eq!(
            log_location(&def, "app", "arn:aws:ecs:r:1:task/c/abc123", "eu-west-1"),
            "CloudWatch Logs (eu-west-1) group /ecs/api, stream ecs/app/abc123"
        );
        assert!(log_location(&def, "bare", "t", "r").contains("no logConfiguration"));
        assert_eq!(essential_containers(&def), vec!["app", "bare"]);
    }
}

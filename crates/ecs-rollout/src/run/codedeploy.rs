//! The run's CODE_DEPLOY path: the CreateDeployment the inputs ask for ([`request`]), then the
//! deployment followed to its end and, when it does not succeed, stopped with automatic
//! rollback ([`run`]). The CodeDeploy model, its watcher and the stop are
//! [`gantry_ecs::codedeploy`]'s.

use std::time::Duration;

use gantry_ecs::codedeploy::{
    self, CdDecision, CdRequest, CdStatus, CdWatcher, CodeDeploy, appspec, default_application,
    default_deployment_group,
};
use gantry_ecs::rollback::{self, Rollback, Watched};
use gantry_ecs::taskdef::short_name;
use gantry_ecs::{Ecs, Scope, watch};
use tokio::time::Instant;

use crate::config::{CodeDeployInputs, Config};
use crate::error::RolloutError;
use crate::outputs::{Report, Status};
use crate::plan::ServiceSettings;

/// Consecutive failed reads while watching before the deployment is given up (and stopped).
const MAX_READ_ERRORS: u32 = 5;

/// The revision a CodeDeploy deployment brings, and where its load balancer sends traffic.
#[derive(Debug, Clone, Copy)]
pub struct NewRevision<'a> {
    pub task_definition: &'a str,
    pub container: &'a str,
    pub port: i32,
}

/// The CreateDeployment of `revision` for `service` of `cluster` (names or ARNs): the
/// application and deployment group given, else AWS's default names, and the AppSpec with the
/// hooks given.
pub fn request(
    cluster: &str,
    service: &str,
    inputs: &CodeDeployInputs,
    revision: &NewRevision<'_>,
) -> CdRequest {
    let cluster = cluster.rsplit('/').next().unwrap_or(cluster);
    let service = service.rsplit('/').next().unwrap_or(service);
    CdRequest {
        application: inputs
            .application
            .clone()
            .unwrap_or_else(|| default_application(cluster, service)),
        deployment_group: inputs
            .deployment_group
            .clone()
            .unwrap_or_else(|| default_deployment_group(cluster, service)),
        appspec: appspec(
            revision.task_definition,
            revision.container,
            revision.port,
            &inputs.hooks,
        ),
        description: format!("ecs-rollout: {}", short_name(revision.task_definition)),
    }
}

/// Deploys the new revision to the scope's CODE_DEPLOY service: CreateDeployment, watch it until
/// two thirds of the time left, then (failure, timeout, signal) StopDeployment with automatic
/// rollback. Fills in and returns `report`.
pub async fn run<C: CodeDeploy, E: Ecs>(
    cd: &C,
    scope: Scope<'_, E>,
    config: &Config,
    revision: &NewRevision<'_>,
    mut report: Report,
) -> Result<Report, RolloutError> {
    let Scope {
        ecs,
        deadline,
        stop: cancel,
        log,
        ..
    } = scope;
    let new_arn = revision.task_definition;
    let request = request(
        &config.cluster,
        &config.service,
        &config.codedeploy,
        revision,
    );
    let settings = ServiceSettings::of(config);
    if config.smoke_test_command.is_some() {
        log.warning("smoke-test-command does not apply to CODE_DEPLOY services (use the AppSpec hooks, codedeploy-appspec-hooks): ignored");
    }
    if !settings.is_empty() {
        log.warning(
            "desired-count, force-new-deployment, circuit-breaker, propagate-tags and enable-ecs-managed-tags do not apply to CODE_DEPLOY services: ignored",
        );
    }
    let id = cd.create_deployment(&request).await?;
    report.deployment_id = id.clone();
    log.mark(&format!(
        "CodeDeploy deployment {id} of {} started (application {}, deployment group {})",
        short_name(new_arn),
        request.application,
        request.deployment_group
    ));
    if !config.wait {
        report.started(log.elapsed());
        return Ok(report);
    }

    let watch_deadline = watch::deadline(Instant::now(), deadline);
    let mut watcher = CdWatcher::new();
    let mut delay = Duration::from_millis(500);
    let mut errors = 0u32;
    let (failure, still_running) = loop {
        // A failing read does not end the watch at once (the SDK retried it already); a run of
        // them does, and then the deployment is stopped like on a timeout.
        let seen = match cd.get_deployment(&id).await {
            Ok(d) => match service_task_definition(ecs, config).await {
                Ok(running) => Ok((d, running)),
                Err(e) => Err(e.to_string()),
            },
            Err(e) => Err(e.to_string()),
        };
        let (d, running) = match seen {
            Ok(seen) => {
                errors = 0;
                seen
            }
            Err(e) if errors < MAX_READ_ERRORS => {
                errors += 1;
                log.warning(&format!("waiting out an error: {e}"));
                if let Some(signal) = cancel.sleep(Duration::from_secs(2)).await {
                    break (format!("cancelled by {signal} during the rollout"), true);
                }
                continue;
            }
            Err(e) => {
                break (
                    format!("cannot follow CodeDeploy deployment {id}: {e}"),
                    true,
                );
            }
        };
        let (note, decision) = watcher.observe(&d, &running, new_arn);
        if let Some(note) = note {
            log.event(&note);
        }
        match decision {
            CdDecision::Succeeded => {
                log.mark(&format!(
                    "CodeDeploy deployment {id} succeeded: the service runs {}",
                    short_name(new_arn)
                ));
                report.reason = format!("{} is running", short_name(new_arn));
                report.duration = log.elapsed();
                return Ok(report);
            }
            CdDecision::Failed(why) => break (why, false),
            CdDecision::Wait => {}
        }
        let left = watch_deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            let status = watcher.last_status().map_or("unknown", CdStatus::as_str);
            break (
                format!("timed out: CodeDeploy deployment {id} is still {status}"),
                true,
            );
        }
        if let Some(signal) = cancel.sleep(delay.min(left)).await {
            break (format!("cancelled by {signal} during the rollout"), true);
        }
        delay = (delay * 2).min(Duration::from_secs(4));
    };
    log.mark(&failure);
    report.status = Status::Failed;
    report.reason = failure.clone();
    let watched = Watched::CodeDeploy {
        ended: !still_running,
    };
    // CodeDeploy knows where back is: no last good revision is needed.
    match rollback::decide(watched, config.rollback_on_failure, None, new_arn) {
        Rollback::Skip(_) => {
            report.reason = format!(
                "{failure}; not stopped (rollback-on-failure: false): CodeDeploy deployment {id} goes on"
            );
            report.duration = log.elapsed();
            return Ok(report);
        }
        Rollback::StopDeployment => {
            if let Some(why) = codedeploy::stop(cd, &id, cancel, deadline, log).await? {
                report.reason = format!("{failure}; {why}");
                report.duration = log.elapsed();
                return Ok(report);
            }
        }
        // CodeDeploy ended it (the others are ECS's): nothing to stop.
        Rollback::Ended | Rollback::NotNeeded | Rollback::To(_) => {}
    }
    let running = service_task_definition(ecs, config).await?;
    if let Some(back) = rollback::rolled_back_to(&running, new_arn) {
        log.mark(&format!(
            "CodeDeploy rolled back: the service runs {}",
            short_name(back)
        ));
        report.status = Status::RolledBack;
        report.rollback = Some((id, back.to_owned()));
    } else {
        report.reason = format!(
            "{failure}; the service still runs {}: enable automatic rollback on the deployment group, or roll back with mode: rollback",
            short_name(new_arn)
        );
    }
    report.duration = log.elapsed();
    Ok(report)
}

async fn service_task_definition<E: Ecs>(ecs: &E, config: &Config) -> Result<String, RolloutError> {
    Ok(ecs
        .describe_service(&config.cluster, &config.service)
        .await?
        .map(|s| s.task_definition)
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    const OURS: &str = "arn:aws:ecs:us-east-1:1:task-definition/api:2";

    #[test]
    fn the_create_deployment_request() {
        let revision = NewRevision {
            task_definition: OURS,
            container: "web",
            port: 8080,
        };
        let named = CodeDeployInputs {
            application: Some("app".into()),
            deployment_group: Some("group".into()),
            hooks: vec![("AfterAllowTraffic".into(), "check".into())],
        };
        // (name, cluster, service, inputs, application, deployment group, hooks)
        type Case<'a> = (
            &'a str,
            &'a str,
            &'a str,
            CodeDeployInputs,
            &'a str,
            &'a str,
            bool,
        );
        let table: &[Case] = &[
            (
                "AWS's default names",
                "prod",
                "api",
                CodeDeployInputs::default(),
                "AppECS-prod-api",
                "DgpECS-prod-api",
                false,
            ),
            (
                "default names from ARNs",
                "arn:aws:ecs:us-east-1:1:cluster/prod",
                "arn:aws:ecs:us-east-1:1:service/prod/api",
                CodeDeployInputs::default(),
                "AppECS-prod-api",
                "DgpECS-prod-api",
                false,
            ),
            ("names given", "prod", "api", named, "app", "group", true),
        ];
        for (name, cluster, service, inputs, app, group, hooks) in table {
            let r = request(cluster, service, inputs, &revision);
            assert_eq!(
                (r.application.as_str(), r.deployment_group.as_str()),
                (*app, *group),
                "{name}"
            );
            assert_eq!(
                r.appspec,
                appspec(OURS, "web", 8080, &inputs.hooks),
                "{name}"
            );
            assert_eq!(r.appspec.contains("Hooks"), *hooks, "{name}");
            assert_eq!(r.description, "ecs-rollout: api:2", "{name}");
        }
    }
}

//! The CODE_DEPLOY controller: a service whose deployments CodeDeploy runs (blue/green through
//! task sets and a load balancer). ecs-rollout registers the task definition as for any
//! service, then creates a CodeDeploy deployment whose AppSpec points at it ([`appspec`]),
//! follows it with GetDeployment ([`CdWatcher`], pure) and, on failure, timeout or a signal,
//! stops it with `autoRollbackEnabled` so that CodeDeploy itself moves the traffic back.
//!
//! Effects are behind [`CodeDeploy`] ([`SdkCodeDeploy`] over the AWS SDK).

use std::future::Future;
use std::time::Duration;

use gantry_toolkit::Stop;
use tokio::time::Instant;

use crate::config::{CodeDeployInputs, Config};
pub use crate::error::CdError;
use crate::error::RolloutError;
use crate::outputs::{Log, Report, Status};
use crate::plan::ServiceSettings;
use crate::rollback::{self, Rollback, Watched};
use crate::scope::Scope;
use crate::watch;
use gantry_ecs::Ecs;
use gantry_ecs::taskdef::short_name;

use serde_json::{Value, json};

/// AWS's deploy action names them so; we default to the same.
pub fn default_application(cluster: &str, service: &str) -> String {
    format!("AppECS-{cluster}-{service}")
}

/// See [`default_application`].
pub fn default_deployment_group(cluster: &str, service: &str) -> String {
    format!("DgpECS-{cluster}-{service}")
}

/// The AppSpec content (JSON, which CodeDeploy reads as YAML too) for an ECS deployment.
pub fn appspec(
    task_definition: &str,
    container_name: &str,
    container_port: i32,
    hooks: &[(String, String)],
) -> String {
    let mut spec = json!({
        "version": 0.0,
        "Resources": [{
            "TargetService": {
                "Type": "AWS::ECS::Service",
                "Properties": {
                    "TaskDefinition": task_definition,
                    "LoadBalancerInfo": {
                        "ContainerName": container_name,
                        "ContainerPort": container_port,
                    }
                }
            }
        }]
    });
    if !hooks.is_empty() {
        spec["Hooks"] = Value::Array(
            hooks
                .iter()
                .map(|(event, function)| json!({ event.as_str(): function }))
                .collect(),
        );
    }
    spec.to_string()
}

/// `status` of a CodeDeploy deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CdStatus {
    Created,
    Queued,
    InProgress,
    Baking,
    Ready,
    Succeeded,
    Failed,
    Stopped,
    Other(String),
}

impl CdStatus {
    pub fn parse(s: &str) -> CdStatus {
        match s {
            "Created" => CdStatus::Created,
            "Queued" => CdStatus::Queued,
            "InProgress" => CdStatus::InProgress,
            "Baking" => CdStatus::Baking,
            "Ready" => CdStatus::Ready,
            "Succeeded" => CdStatus::Succeeded,
            "Failed" => CdStatus::Failed,
            "Stopped" => CdStatus::Stopped,
            other => CdStatus::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            CdStatus::Created => "Created",
            CdStatus::Queued => "Queued",
            CdStatus::InProgress => "InProgress",
            CdStatus::Baking => "Baking",
            CdStatus::Ready => "Ready",
            CdStatus::Succeeded => "Succeeded",
            CdStatus::Failed => "Failed",
            CdStatus::Stopped => "Stopped",
            CdStatus::Other(s) => s,
        }
    }
}

/// What GetDeployment says at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CdDeployment {
    pub status: CdStatus,
    /// `errorInformation` as `CODE: message`, when CodeDeploy gave one.
    pub error: Option<String>,
}

/// What to do after one observation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CdDecision {
    Wait,
    Succeeded,
    /// CodeDeploy ended the deployment without success (it rolls back by itself when the
    /// deployment group or our request enables automatic rollback).
    Failed(String),
}

/// Follows one CodeDeploy deployment: reports status changes once, decides when it is over.
#[derive(Debug, Default)]
pub struct CdWatcher {
    last: Option<CdStatus>,
}

impl CdWatcher {
    pub fn new() -> Self {
        Self::default()
    }

    /// The status last seen, for timeout messages.
    pub fn last_status(&self) -> Option<&CdStatus> {
        self.last.as_ref()
    }

    /// Success needs both CodeDeploy's Succeeded and the service on our task definition: a
    /// deployment that CodeDeploy calls done while the service runs something else is not ours.
    pub fn observe(
        &mut self,
        d: &CdDeployment,
        service_task_definition: &str,
        ours: &str,
    ) -> (Option<String>, CdDecision) {
        let changed = self.last.as_ref() != Some(&d.status);
        self.last = Some(d.status.clone());
        let note = changed.then(|| format!("CodeDeploy deployment status: {}", d.status.as_str()));
        let why = |what: &str| match &d.error {
            Some(e) => format!("CodeDeploy deployment {what}: {e}"),
            None => format!("CodeDeploy deployment {what} (no error information)"),
        };
        let decision = match &d.status {
            CdStatus::Succeeded if service_task_definition == ours => CdDecision::Succeeded,
            // CodeDeploy may report success a moment before the service shows the new
            // revision; the deadline ends the wait if it never does.
            CdStatus::Succeeded => CdDecision::Wait,
            CdStatus::Failed => CdDecision::Failed(why("failed")),
            CdStatus::Stopped => CdDecision::Failed(why("was stopped")),
            _ => CdDecision::Wait,
        };
        (note, decision)
    }
}

/// What CreateDeployment needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CdRequest {
    pub application: String,
    pub deployment_group: String,
    pub appspec: String,
    pub description: String,
}

/// The CodeDeploy calls ecs-rollout makes.
pub trait CodeDeploy: Send + Sync {
    fn create_deployment(
        &self,
        request: &CdRequest,
    ) -> impl Future<Output = Result<String, CdError>> + Send;
    fn get_deployment(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<CdDeployment, CdError>> + Send;
    /// Stops the deployment and asks CodeDeploy to roll it back.
    fn stop_deployment(&self, id: &str) -> impl Future<Output = Result<(), CdError>> + Send;
}

/// [`CodeDeploy`] over the AWS SDK.
#[derive(Debug, Clone)]
pub struct SdkCodeDeploy {
    client: aws_sdk_codedeploy::Client,
}

impl SdkCodeDeploy {
    pub fn new(client: aws_sdk_codedeploy::Client) -> Self {
        SdkCodeDeploy { client }
    }
}

fn cd_error<E, R>(operation: &'static str, e: aws_sdk_codedeploy::error::SdkError<E, R>) -> CdError
where
    E: aws_sdk_codedeploy::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    CdError {
        operation,
        message: gantry_aws_setup::sdk_error::explain(&e),
    }
}

impl CodeDeploy for SdkCodeDeploy {
    async fn create_deployment(&self, request: &CdRequest) -> Result<String, CdError> {
        use aws_sdk_codedeploy::types::{AppSpecContent, RevisionLocation, RevisionLocationType};
        let revision = RevisionLocation::builder()
            .revision_type(RevisionLocationType::AppSpecContent)
            .app_spec_content(
                AppSpecContent::builder()
                    .content(request.appspec.clone())
                    .build(),
            )
            .build();
        let out = self
            .client
            .create_deployment()
            .application_name(&request.application)
            .deployment_group_name(&request.deployment_group)
            .revision(revision)
            .description(&request.description)
            .send()
            .await
            .map_err(|e| cd_error("CreateDeployment", e))?;
        out.deployment_id()
            .map(str::to_owned)
            .ok_or_else(|| CdError {
                operation: "CreateDeployment",
                message: "no deployment id in the answer".to_owned(),
            })
    }

    async fn get_deployment(&self, id: &str) -> Result<CdDeployment, CdError> {
        let out = self
            .client
            .get_deployment()
            .deployment_id(id)
            .send()
            .await
            .map_err(|e| cd_error("GetDeployment", e))?;
        let info = out.deployment_info();
        let status = info
            .and_then(|i| i.status())
            .map(|s| CdStatus::parse(s.as_str()))
            .unwrap_or_else(|| CdStatus::Other(String::new()));
        let error = info.and_then(|i| i.error_information()).and_then(|e| {
            let message = e.message().unwrap_or_default();
            let code = e.code().map(|c| c.as_str()).unwrap_or_default();
            match (code.is_empty(), message.is_empty()) {
                (true, true) => None,
                (false, true) => Some(code.to_owned()),
                (true, false) => Some(message.to_owned()),
                (false, false) => Some(format!("{code}: {message}")),
            }
        });
        Ok(CdDeployment { status, error })
    }

    async fn stop_deployment(&self, id: &str) -> Result<(), CdError> {
        self.client
            .stop_deployment()
            .deployment_id(id)
            .auto_rollback_enabled(true)
            .send()
            .await
            .map_err(|e| cd_error("StopDeployment", e))?;
        Ok(())
    }
}

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
    let settings = ServiceSettings {
        desired_count: config.desired_count,
        force_new_deployment: config.force_new_deployment,
        circuit_breaker: config.circuit_breaker.wanted(),
    };
    if !settings.is_empty() {
        log.warning(
            "desired-count, force-new-deployment and circuit-breaker do not apply to CODE_DEPLOY services: ignored",
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
        report.reason = "deployment started; not watched (wait: false)".to_owned();
        report.duration = log.elapsed();
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
            if let Some(why) = stop(cd, &id, cancel, deadline, log).await? {
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

/// StopDeployment with automatic rollback, then waits (within the run's time) until CodeDeploy
/// says the deployment stopped while it moves the traffic back. A further signal stops the
/// waiting (CodeDeploy goes on) so the outputs get written. `Some(why)` when the run cannot
/// know where the service is.
async fn stop<C: CodeDeploy>(
    cd: &C,
    id: &str,
    cancel: &Stop,
    deadline: Instant,
    log: &Log<'_>,
) -> Result<Option<String>, RolloutError> {
    if let Err(e) = cd.stop_deployment(id).await {
        return Ok(Some(format!("stopping it failed: {e}")));
    }
    log.mark(&format!(
        "stopped CodeDeploy deployment {id} with automatic rollback"
    ));
    let end = rollback::deadline(Instant::now(), deadline);
    let signals = cancel.signals();
    loop {
        let d = cd.get_deployment(id).await?;
        if matches!(d.status, CdStatus::Stopped | CdStatus::Failed) {
            return Ok(None);
        }
        if Instant::now() >= end {
            return Ok(Some(format!(
                "CodeDeploy deployment {id} was asked to stop but is still {}",
                d.status.as_str()
            )));
        }
        if let Some(signal) = cancel
            .sleep_unless_signalled_beyond(Duration::from_millis(500), signals)
            .await
        {
            return Ok(Some(format!(
                "CodeDeploy deployment {id} was asked to stop and roll back but not watched to the end: {signal}"
            )));
        }
    }
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
    const OLD: &str = "arn:aws:ecs:us-east-1:1:task-definition/api:1";

    fn d(status: &str, error: Option<&str>) -> CdDeployment {
        CdDeployment {
            status: CdStatus::parse(status),
            error: error.map(str::to_owned),
        }
    }

    #[test]
    fn decisions_over_codedeploy_states() {
        let table: &[(&str, Option<&str>, &str, CdDecision)] = &[
            ("Created", None, OLD, CdDecision::Wait),
            ("Queued", None, OLD, CdDecision::Wait),
            ("InProgress", None, OLD, CdDecision::Wait),
            ("Baking", None, OURS, CdDecision::Wait),
            ("Ready", None, OURS, CdDecision::Wait),
            ("Succeeded", None, OURS, CdDecision::Succeeded),
            ("Succeeded", None, OLD, CdDecision::Wait),
            (
                "Failed",
                Some("HEALTH_CONSTRAINTS: tasks failed"),
                OLD,
                CdDecision::Failed(
                    "CodeDeploy deployment failed: HEALTH_CONSTRAINTS: tasks failed".into(),
                ),
            ),
            (
                "Failed",
                None,
                OLD,
                CdDecision::Failed("CodeDeploy deployment failed (no error information)".into()),
            ),
            (
                "Stopped",
                Some("DEPLOYMENT_STOPPED: by user"),
                OLD,
                CdDecision::Failed(
                    "CodeDeploy deployment was stopped: DEPLOYMENT_STOPPED: by user".into(),
                ),
            ),
            ("Mystery", None, OLD, CdDecision::Wait),
        ];
        for (status, error, service_td, want) in table {
            let mut w = CdWatcher::new();
            let (_, got) = w.observe(&d(status, *error), service_td, OURS);
            assert_eq!(&got, want, "{status} {error:?} {service_td}");
        }
    }

    #[test]
    fn status_changes_are_reported_once() {
        let mut w = CdWatcher::new();
        let seen: Vec<Option<String>> = ["Created", "Created", "InProgress", "InProgress"]
            .iter()
            .map(|s| w.observe(&d(s, None), OLD, OURS).0)
            .collect();
        assert_eq!(
            seen,
            vec![
                Some("CodeDeploy deployment status: Created".into()),
                None,
                Some("CodeDeploy deployment status: InProgress".into()),
                None
            ]
        );
        assert_eq!(w.last_status(), Some(&CdStatus::InProgress));
    }

    #[test]
    fn appspec_names_task_definition_load_balancer_and_hooks() {
        let hooks = vec![("AfterAllowTraffic".to_owned(), "check-api".to_owned())];
        let spec: Value = serde_json::from_str(&appspec(OURS, "web", 8080, &hooks)).unwrap();
        let props = &spec["Resources"][0]["TargetService"]["Properties"];
        assert_eq!(props["TaskDefinition"], OURS);
        assert_eq!(props["LoadBalancerInfo"]["ContainerName"], "web");
        assert_eq!(props["LoadBalancerInfo"]["ContainerPort"], 8080);
        assert_eq!(spec["Hooks"][0]["AfterAllowTraffic"], "check-api");
        let plain: Value = serde_json::from_str(&appspec(OURS, "web", 80, &[])).unwrap();
        assert!(plain.get("Hooks").is_none());
    }

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

    #[test]
    fn defaults_follow_aws_deploy_action() {
        assert_eq!(default_application("prod", "api"), "AppECS-prod-api");
        assert_eq!(default_deployment_group("prod", "api"), "DgpECS-prod-api");
    }
}

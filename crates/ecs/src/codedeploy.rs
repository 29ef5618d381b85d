//! The CODE_DEPLOY controller: a service whose deployments CodeDeploy runs (blue/green through
//! task sets and a load balancer). Its new revision goes into a CodeDeploy deployment whose
//! AppSpec points at the task definition ([`appspec`]); the deployment is followed with
//! GetDeployment ([`CdWatcher`], pure) and, on failure, timeout or a signal, stopped with
//! `autoRollbackEnabled` so that CodeDeploy itself moves the traffic back ([`stop`]).
//!
//! Effects are behind [`CodeDeploy`] ([`SdkCodeDeploy`] over the AWS SDK). Which application
//! and deployment group a run names, and what it reports, are the tool's.

use std::future::Future;
use std::time::Duration;

use gantry_toolkit::Stop;
use serde_json::{Value, json};
use tokio::time::Instant;

pub use crate::error::CdError;
use crate::log::Log;
use crate::rollback;

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

/// The CodeDeploy calls gantry makes.
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

/// StopDeployment `id` with automatic rollback, then waits (until [`rollback::deadline`] of
/// `deadline`) until CodeDeploy says the deployment stopped while it moves the traffic back. A
/// further signal stops the waiting (CodeDeploy goes on) so the caller can report. `Some(why)`
/// when the caller cannot know where the service is.
pub async fn stop<C: CodeDeploy>(
    cd: &C,
    id: &str,
    cancel: &Stop,
    deadline: Instant,
    log: &Log<'_>,
) -> Result<Option<String>, CdError> {
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
    fn defaults_follow_aws_deploy_action() {
        assert_eq!(default_application("prod", "api"), "AppECS-prod-api");
        assert_eq!(default_deployment_group("prod", "api"), "DgpECS-prod-api");
    }
}

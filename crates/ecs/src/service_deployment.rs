//! ECS's service deployments (the service deployment APIs: ListServiceDeployments,
//! DescribeServiceDeployments, StopServiceDeployment), which carry what DescribeServices does
//! not: the lifecycle stage of a blue/green, CANARY or LINEAR deployment, and whether ECS
//! stopped or rolled it back. Where one is ([`phase`], pure), how ECS's rollback of a stopped
//! one ended ([`rollback_ended`], pure), and waiting for that rollback after
//! [`crate::Ecs::stop_service_deployment`] ([`wait_rolled_back`]).

use std::time::Duration;

use crate::api::{Ecs, ServiceDeploymentInfo};

/// How long [`wait_rolled_back`] waits for ECS to report the rollback of a stopped deployment.
pub const ROLLBACK_WAIT: Duration = Duration::from_secs(300);

/// Where a service deployment is, from DescribeServiceDeployments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    InProgress {
        stage: Option<String>,
    },
    Succeeded,
    /// ECS stopped it or rolled it back (by itself or at our request): status and reason.
    Ended {
        status: String,
        reason: String,
    },
}

pub fn phase(info: &ServiceDeploymentInfo) -> Phase {
    match info.status.as_str() {
        "SUCCESSFUL" => Phase::Succeeded,
        "STOPPED"
        | "STOP_REQUESTED"
        | "ROLLBACK_REQUESTED"
        | "ROLLBACK_IN_PROGRESS"
        | "ROLLBACK_SUCCESSFUL"
        | "ROLLBACK_FAILED" => Phase::Ended {
            status: info.status.clone(),
            reason: info
                .status_reason
                .clone()
                .unwrap_or_else(|| "no reason given".into()),
        },
        _ => Phase::InProgress {
            stage: info.lifecycle_stage.clone(),
        },
    }
}

/// ECS's rollback of a stopped service deployment of `service`, once it ended: what
/// happened; `None` while it goes on.
pub fn rollback_ended(info: &ServiceDeploymentInfo, service: &str) -> Option<String> {
    match info.status.as_str() {
        "ROLLBACK_SUCCESSFUL" | "STOPPED" => Some(format!(
            "ECS rolled {service} back ({}): all traffic on the previous revision",
            info.status
        )),
        "ROLLBACK_FAILED" => Some(format!(
            "ECS's rollback of {service} FAILED ({}): check the service",
            info.status_reason.as_deref().unwrap_or_default()
        )),
        _ => None,
    }
}

/// Polls the stopped service deployment `arn` of `service` until ECS reports the rollback done
/// (or failed), for at most [`ROLLBACK_WAIT`]; what happened, in words.
pub async fn wait_rolled_back<E: Ecs>(ecs: &E, arn: &str, service: &str) -> String {
    let until = tokio::time::Instant::now() + ROLLBACK_WAIT;
    while tokio::time::Instant::now() < until {
        if let Ok(Some(info)) = ecs.describe_service_deployment(arn).await
            && let Some(ended) = rollback_ended(&info, service)
        {
            return ended;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    format!("ECS is still rolling {service} back after 5 min: check the service")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_ecs_rollback_ended() {
        // (name, status, what happened)
        let table: &[(&str, &str, Option<&str>)] = &[
            (
                "rolled back",
                "ROLLBACK_SUCCESSFUL",
                Some(
                    "ECS rolled api back (ROLLBACK_SUCCESSFUL): all traffic on the previous revision",
                ),
            ),
            (
                "stopped",
                "STOPPED",
                Some("ECS rolled api back (STOPPED): all traffic on the previous revision"),
            ),
            (
                "the rollback failed",
                "ROLLBACK_FAILED",
                Some("ECS's rollback of api FAILED (alarm): check the service"),
            ),
            ("still rolling back", "ROLLBACK_IN_PROGRESS", None),
            ("asked to stop", "STOP_REQUESTED", None),
        ];
        for (name, status, want) in table {
            let info = ServiceDeploymentInfo {
                arn: "a".into(),
                status: (*status).into(),
                lifecycle_stage: None,
                status_reason: Some("alarm".into()),
            };
            assert_eq!(rollback_ended(&info, "api").as_deref(), *want, "{name}");
        }
    }

    #[test]
    fn service_deployment_statuses_map_to_phases() {
        let info = |status: &str| ServiceDeploymentInfo {
            arn: "a".into(),
            status: status.into(),
            lifecycle_stage: Some("BAKE_TIME".into()),
            status_reason: Some("alarm".into()),
        };
        assert_eq!(phase(&info("SUCCESSFUL")), Phase::Succeeded);
        assert_eq!(
            phase(&info("IN_PROGRESS")),
            Phase::InProgress {
                stage: Some("BAKE_TIME".into())
            }
        );
        for s in [
            "STOPPED",
            "ROLLBACK_IN_PROGRESS",
            "ROLLBACK_SUCCESSFUL",
            "ROLLBACK_FAILED",
        ] {
            assert_eq!(
                phase(&info(s)),
                Phase::Ended {
                    status: s.into(),
                    reason: "alarm".into()
                }
            );
        }
    }
}

//! [`Ecs`] and [`Ecr`] over the AWS SDK: requests built from gantry's types, answers read into
//! them.

use std::sync::{Arc, Mutex, PoisonError};

use aws_sdk_ecs::types as sdk;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::AfterDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use serde_json::Value;

use super::*;
use crate::taskdef;

/// [`Ecs`] over the AWS SDK.
#[derive(Debug, Clone)]
pub struct SdkEcs {
    client: aws_sdk_ecs::Client,
}

impl SdkEcs {
    pub fn new(client: aws_sdk_ecs::Client) -> Self {
        SdkEcs { client }
    }
}

/// Keeps the body of the answer to the one request it is attached to.
#[derive(Debug, Clone, Default)]
struct KeepBody(Arc<Mutex<Option<Vec<u8>>>>);

impl KeepBody {
    fn take(&self) -> Option<Vec<u8>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

impl Intercept for KeepBody {
    fn name(&self) -> &'static str {
        "KeepBody"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // A non-streaming answer is read whole before it is deserialized.
        if let Some(bytes) = context.response().body().bytes() {
            *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(bytes.to_vec());
        }
        Ok(())
    }
}

fn millis(t: Option<&aws_smithy_types::DateTime>) -> Option<i64> {
    t.and_then(|t| t.to_millis().ok())
}

fn snapshot(s: &sdk::Service) -> ServiceSnapshot {
    let controller = match s.deployment_controller().map(|c| c.r#type().as_str()) {
        None | Some("ECS") => Controller::Ecs,
        Some("CODE_DEPLOY") => Controller::CodeDeploy,
        Some("EXTERNAL") => Controller::External,
        Some(other) => Controller::Other(other.to_owned()),
    };
    let config = s.deployment_configuration();
    let strategy = match config.and_then(|c| c.strategy()).map(|s| s.as_str()) {
        None | Some("ROLLING") => Strategy::Rolling,
        Some("BLUE_GREEN") => Strategy::BlueGreen,
        Some(other) => Strategy::Other(other.to_owned()),
    };
    let circuit_breaker = config
        .and_then(|c| c.deployment_circuit_breaker())
        .map(|cb| CircuitBreaker {
            enable: cb.enable(),
            rollback: cb.rollback(),
        });
    let network = s
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration())
        .map(|a| {
            (
                a.subnets().to_vec(),
                a.security_groups().to_vec(),
                a.assign_public_ip()
                    .is_some_and(|p| p == &sdk::AssignPublicIp::Enabled),
            )
        });
    ServiceSnapshot {
        arn: s.service_arn().unwrap_or_default().to_owned(),
        name: s.service_name().unwrap_or_default().to_owned(),
        status: s.status().unwrap_or_default().to_owned(),
        task_definition: s.task_definition().unwrap_or_default().to_owned(),
        desired: s.desired_count(),
        running: s.running_count(),
        pending: s.pending_count(),
        controller,
        strategy,
        circuit_breaker,
        alarms: config.and_then(|c| c.alarms()).map(|a| DeploymentAlarms {
            names: a.alarm_names().to_vec(),
            enable: a.enable(),
            rollback: a.rollback(),
        }),
        bake_time_minutes: config.and_then(|c| c.bake_time_in_minutes()),
        current_service_deployment: s.current_service_deployment().map(str::to_owned),
        launch_type: s.launch_type().map(|l| l.as_str().to_owned()),
        network,
        load_balancers: s
            .load_balancers()
            .iter()
            .filter_map(|lb| Some((lb.container_name()?.to_owned(), lb.container_port()?)))
            .collect(),
        traffic_shift: s
            .load_balancers()
            .iter()
            .filter_map(|lb| {
                let advanced = lb.advanced_configuration()?;
                Some(TrafficShift {
                    target_group: lb.target_group_arn()?.to_owned(),
                    alternate_target_group: advanced.alternate_target_group_arn()?.to_owned(),
                    production_listener_rule: advanced
                        .production_listener_rule()
                        .map(str::to_owned),
                })
            })
            .collect(),
        shift_step: config.and_then(|c| {
            c.canary_configuration()
                .and_then(|k| Some((k.canary_percent()?, k.canary_bake_time_in_minutes())))
                .or_else(|| {
                    c.linear_configuration()
                        .and_then(|l| Some((l.step_percent()?, l.step_bake_time_in_minutes())))
                })
        }),
        propagate_tags: s.propagate_tags().map(|p| p.as_str().to_owned()),
        enable_ecs_managed_tags: s.enable_ecs_managed_tags(),
        deployments: s
            .deployments()
            .iter()
            .map(|d| Deployment {
                id: d.id().unwrap_or_default().to_owned(),
                status: match d.status().unwrap_or_default() {
                    "PRIMARY" => DeploymentStatus::Primary,
                    "ACTIVE" => DeploymentStatus::Active,
                    "INACTIVE" => DeploymentStatus::Inactive,
                    other => DeploymentStatus::Other(other.to_owned()),
                },
                task_definition: d.task_definition().unwrap_or_default().to_owned(),
                desired: d.desired_count(),
                running: d.running_count(),
                pending: d.pending_count(),
                failed_tasks: d.failed_tasks(),
                rollout_state: d.rollout_state().map(|r| match r.as_str() {
                    "IN_PROGRESS" => RolloutState::InProgress,
                    "COMPLETED" => RolloutState::Completed,
                    "FAILED" => RolloutState::Failed,
                    other => RolloutState::Other(other.to_owned()),
                }),
                rollout_reason: d.rollout_state_reason().map(str::to_owned),
                created_at_ms: millis(d.created_at()),
            })
            .collect(),
        events: s
            .events()
            .iter()
            .map(|e| ServiceEvent {
                id: e.id().unwrap_or_default().to_owned(),
                created_at_ms: millis(e.created_at()),
                message: e.message().unwrap_or_default().to_owned(),
            })
            .collect(),
    }
}

impl Ecs for SdkEcs {
    async fn describe_service(
        &self,
        cluster: &str,
        service: &str,
    ) -> Result<Option<ServiceSnapshot>, EcsError> {
        let out = self
            .client
            .describe_services()
            .cluster(cluster)
            .services(service)
            .send()
            .await
            .map_err(|e| api_error("DescribeServices", e))?;
        Ok(out
            .services()
            .iter()
            .find(|s| s.status() != Some("INACTIVE"))
            .map(snapshot))
    }

    async fn cluster_exists(&self, cluster: &str) -> Result<bool, EcsError> {
        let out = self
            .client
            .describe_clusters()
            .clusters(cluster)
            .send()
            .await
            .map_err(|e| api_error("DescribeClusters", e))?;
        Ok(out
            .clusters()
            .iter()
            .any(|c| c.status() == Some("ACTIVE") || c.status().is_none()))
    }

    async fn describe_task_definition(&self, name: &str) -> Result<Value, EcsError> {
        // The answer's JSON is kept as ECS wrote it: the SDK's types would drop what they do
        // not model (see `taskdef`).
        let body = KeepBody::default();
        self.client
            .describe_task_definition()
            .task_definition(name)
            .include(sdk::TaskDefinitionField::Tags)
            .customize()
            .interceptor(body.clone())
            .send()
            .await
            .map_err(|e| api_error("DescribeTaskDefinition", e))?;
        let Some(bytes) = body.take() else {
            return Err(EcsError::Api {
                operation: "DescribeTaskDefinition",
                code: None,
                message: format!("no answer body for task definition {name}"),
            });
        };
        let answer = serde_json::from_slice(&bytes).map_err(|e| EcsError::Api {
            operation: "DescribeTaskDefinition",
            code: None,
            message: format!("the answer is not JSON: {e}"),
        })?;
        Ok(taskdef::from_describe(answer)?)
    }

    async fn register_task_definition(&self, def: &Value) -> Result<String, EcsError> {
        // The SDK signs, retries and routes the request; its body is the task definition's
        // JSON as rendered, put in place of the one the SDK serialized (from the family alone)
        // just before signing.
        let body = taskdef::register_body(def)?;
        let family = taskdef::family(def).unwrap_or_default().to_owned();
        let out = self
            .client
            .register_task_definition()
            .family(family)
            .customize()
            .mutate_request(move |request| {
                request
                    .headers_mut()
                    .insert("content-length", body.len().to_string());
                *request.body_mut() = aws_smithy_types::body::SdkBody::from(body.clone());
            })
            .send()
            .await
            .map_err(|e| api_error("RegisterTaskDefinition", e))?;
        Ok(out
            .task_definition()
            .and_then(|t| t.task_definition_arn())
            .unwrap_or_default()
            .to_owned())
    }

    async fn deregister_task_definition(&self, arn: &str) -> Result<(), EcsError> {
        self.client
            .deregister_task_definition()
            .task_definition(arn)
            .send()
            .await
            .map_err(|e| api_error("DeregisterTaskDefinition", e))?;
        Ok(())
    }

    async fn list_task_definitions(&self, family: &str) -> Result<Vec<String>, EcsError> {
        let mut arns = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let out = self
                .client
                .list_task_definitions()
                .family_prefix(family)
                .status(sdk::TaskDefinitionStatus::Active)
                .sort(sdk::SortOrder::Desc)
                .set_next_token(next.take())
                .send()
                .await
                .map_err(|e| api_error("ListTaskDefinitions", e))?;
            arns.extend(out.task_definition_arns().iter().cloned());
            match out.next_token() {
                Some(t) if !t.is_empty() && arns.len() < 1000 => next = Some(t.to_owned()),
                _ => break,
            }
        }
        // The prefix also matches longer family names; keep this family only.
        arns.retain(|a| taskdef::family_of(a) == family);
        arns.sort_by_key(|a| std::cmp::Reverse(taskdef::revision_of(a)));
        Ok(arns)
    }

    async fn update_service(&self, update: &ServiceUpdate) -> Result<ServiceSnapshot, EcsError> {
        let mut req = self
            .client
            .update_service()
            .cluster(&update.cluster)
            .service(&update.service)
            .set_task_definition(update.task_definition.clone())
            .set_desired_count(update.desired_count)
            .force_new_deployment(update.force_new_deployment)
            .set_propagate_tags(
                update
                    .propagate_tags
                    .as_deref()
                    .map(sdk::PropagateTags::from),
            )
            .set_enable_ecs_managed_tags(update.enable_ecs_managed_tags);
        if update.circuit_breaker.is_some() || update.alarms.is_some() {
            // UpdateService's deploymentConfiguration is one value: what is not sent may be
            // reset, so the service's own (strategy, percents, bake time…) is sent back with
            // only the asked-for parts changed.
            let current = self
                .client
                .describe_services()
                .cluster(&update.cluster)
                .services(&update.service)
                .send()
                .await
                .map_err(|e| api_error("DescribeServices", e))?
                .services()
                .iter()
                .find(|s| s.status() != Some("INACTIVE"))
                .and_then(|s| s.deployment_configuration().cloned());
            let mut config =
                current.unwrap_or_else(|| sdk::DeploymentConfiguration::builder().build());
            if let Some(cb) = update.circuit_breaker {
                config.deployment_circuit_breaker = Some(
                    sdk::DeploymentCircuitBreaker::builder()
                        .enable(cb.enable)
                        .rollback(cb.rollback)
                        .build(),
                );
            }
            if let Some(alarms) = &update.alarms {
                config.alarms = Some(
                    sdk::DeploymentAlarms::builder()
                        .set_alarm_names(Some(alarms.names.clone()))
                        .enable(alarms.enable)
                        .rollback(alarms.rollback)
                        .build()
                        .map_err(|e| EcsError::Api {
                            operation: "UpdateService",
                            code: None,
                            message: format!("deployment alarms: {e}"),
                        })?,
                );
            }
            req = req.deployment_configuration(config);
        }
        let out = req
            .send()
            .await
            .map_err(|e| api_error("UpdateService", e))?;
        out.service().map(snapshot).ok_or(EcsError::Api {
            operation: "UpdateService",
            code: None,
            message: "the answer holds no service".into(),
        })
    }

    async fn run_task(&self, run: &TaskRun) -> Result<String, EcsError> {
        let overrides = sdk::TaskOverride::builder()
            .container_overrides(
                sdk::ContainerOverride::builder()
                    .name(&run.container)
                    .set_command(Some(run.command.clone()))
                    .build(),
            )
            .build();
        let mut req = self
            .client
            .run_task()
            .cluster(&run.cluster)
            .task_definition(&run.task_definition)
            .count(1)
            .started_by(&run.started_by)
            .overrides(overrides);
        if let Some(l) = &run.launch_type {
            req = req.launch_type(sdk::LaunchType::from(l.as_str()));
        }
        if let Some((subnets, groups, public)) = &run.network {
            let vpc = sdk::AwsVpcConfiguration::builder()
                .set_subnets(Some(subnets.clone()))
                .set_security_groups(Some(groups.clone()))
                .assign_public_ip(if *public {
                    sdk::AssignPublicIp::Enabled
                } else {
                    sdk::AssignPublicIp::Disabled
                })
                .build()
                .map_err(|e| EcsError::Api {
                    operation: "RunTask",
                    code: None,
                    message: e.to_string(),
                })?;
            req = req.network_configuration(
                sdk::NetworkConfiguration::builder()
                    .awsvpc_configuration(vpc)
                    .build(),
            );
        }
        let out = req.send().await.map_err(|e| api_error("RunTask", e))?;
        if let Some(task) = out.tasks().first() {
            return Ok(task.task_arn().unwrap_or_default().to_owned());
        }
        let reasons: Vec<String> = out
            .failures()
            .iter()
            .map(|f| {
                format!(
                    "{} ({})",
                    f.reason().unwrap_or("?"),
                    f.detail().unwrap_or("")
                )
            })
            .collect();
        Err(EcsError::Api {
            operation: "RunTask",
            code: None,
            message: format!("no task started: {}", reasons.join("; ")),
        })
    }

    async fn describe_task(
        &self,
        cluster: &str,
        arn: &str,
    ) -> Result<Option<TaskSnapshot>, EcsError> {
        let out = self
            .client
            .describe_tasks()
            .cluster(cluster)
            .tasks(arn)
            .send()
            .await
            .map_err(|e| api_error("DescribeTasks", e))?;
        Ok(out.tasks().first().map(|t| TaskSnapshot {
            arn: t.task_arn().unwrap_or_default().to_owned(),
            last_status: t.last_status().unwrap_or_default().to_owned(),
            stopped_reason: t.stopped_reason().map(str::to_owned),
            containers: t
                .containers()
                .iter()
                .map(|c| {
                    (
                        c.name().unwrap_or_default().to_owned(),
                        c.exit_code(),
                        c.reason().map(str::to_owned),
                    )
                })
                .collect(),
        }))
    }

    async fn tag_resource(&self, arn: &str, key: &str, value: &str) -> Result<(), EcsError> {
        self.client
            .tag_resource()
            .resource_arn(arn)
            .tags(sdk::Tag::builder().key(key).value(value).build())
            .send()
            .await
            .map_err(|e| api_error("TagResource", e))?;
        Ok(())
    }

    async fn resource_tag(&self, arn: &str, key: &str) -> Result<Option<String>, EcsError> {
        let out = self
            .client
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(|e| api_error("ListTagsForResource", e))?;
        Ok(out
            .tags()
            .iter()
            .find(|t| t.key() == Some(key))
            .and_then(|t| t.value().map(str::to_owned)))
    }

    async fn stop_task(&self, cluster: &str, arn: &str, reason: &str) -> Result<(), EcsError> {
        self.client
            .stop_task()
            .cluster(cluster)
            .task(arn)
            .reason(reason)
            .send()
            .await
            .map_err(|e| api_error("StopTask", e))?;
        Ok(())
    }

    async fn latest_service_deployment(
        &self,
        cluster: &str,
        service: &str,
        after_ms: i64,
    ) -> Result<Option<String>, EcsError> {
        self.list_service_deployments(cluster, service, after_ms)
            .await
    }

    async fn describe_service_deployment(
        &self,
        arn: &str,
    ) -> Result<Option<ServiceDeploymentInfo>, EcsError> {
        self.describe_service_deployments(arn).await
    }

    async fn stop_service_deployment(&self, arn: &str, rollback: bool) -> Result<(), EcsError> {
        let stop_type = if rollback {
            sdk::StopServiceDeploymentStopType::Rollback
        } else {
            sdk::StopServiceDeploymentStopType::Abort
        };
        self.client
            .stop_service_deployment()
            .service_deployment_arn(arn)
            .stop_type(stop_type)
            .send()
            .await
            .map_err(|e| api_error("StopServiceDeployment", e))?;
        Ok(())
    }
}

impl SdkEcs {
    async fn list_service_deployments(
        &self,
        cluster: &str,
        service: &str,
        after_ms: i64,
    ) -> Result<Option<String>, EcsError> {
        let out = self
            .client
            .list_service_deployments()
            .cluster(cluster)
            .service(service)
            .created_at(
                sdk::CreatedAt::builder()
                    .after(aws_smithy_types::DateTime::from_millis(after_ms))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| api_error("ListServiceDeployments", e))?;
        Ok(out
            .service_deployments()
            .iter()
            .max_by_key(|d| millis(d.created_at()))
            .and_then(|d| d.service_deployment_arn())
            .map(str::to_owned))
    }

    async fn describe_service_deployments(
        &self,
        arn: &str,
    ) -> Result<Option<ServiceDeploymentInfo>, EcsError> {
        let out = self
            .client
            .describe_service_deployments()
            .service_deployment_arns(arn)
            .send()
            .await
            .map_err(|e| api_error("DescribeServiceDeployments", e))?;
        Ok(out
            .service_deployments()
            .first()
            .map(|d| ServiceDeploymentInfo {
                arn: d.service_deployment_arn().unwrap_or(arn).to_owned(),
                status: d
                    .status()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
                lifecycle_stage: d.lifecycle_stage().map(|s| s.as_str().to_owned()),
                status_reason: d.status_reason().map(str::to_owned),
            }))
    }
}

/// [`Ecr`] over the AWS SDK.
#[derive(Debug, Clone)]
pub struct SdkEcr {
    client: aws_sdk_ecr::Client,
}

impl SdkEcr {
    pub fn new(client: aws_sdk_ecr::Client) -> Self {
        SdkEcr { client }
    }
}

impl Ecr for SdkEcr {
    async fn tag_exists(
        &self,
        registry_id: Option<&str>,
        repository: &str,
        tag: &str,
    ) -> Result<bool, EcsError> {
        let result = self
            .client
            .describe_images()
            .set_registry_id(registry_id.map(str::to_owned))
            .repository_name(repository)
            .image_ids(
                aws_sdk_ecr::types::ImageIdentifier::builder()
                    .image_tag(tag)
                    .build(),
            )
            .send()
            .await;
        match result {
            Ok(out) => Ok(!out.image_details().is_empty()),
            Err(e) => {
                let code = e
                    .as_service_error()
                    .and_then(aws_sdk_ecr::error::ProvideErrorMetadata::code)
                    .map(str::to_owned);
                if code.as_deref() == Some("ImageNotFoundException") {
                    return Ok(false);
                }
                Err(EcsError::Api {
                    operation: "DescribeImages",
                    code,
                    message: gantry_aws_setup::sdk_error::explain(&e),
                })
            }
        }
    }
}

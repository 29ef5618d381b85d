//! CODE_DEPLOY services: the `ecs-rollout` binary against real moto, with the ECS rollout
//! driver playing CodeDeploy's engine (moto's CodeDeploy deployments never progress). Each test
//! has its own cluster, application and deployment group.
// Needs the local services of scripts/services (scripts/test enables the feature).
#![cfg(feature = "local-services")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Output};

use crate::common;
use aws_sdk_codedeploy::types as cd;
use aws_sdk_ecs::types as ecs;

use common::{cancel_once, printed, rt};
use gantry_testkit::ToolJob;
use gantry_testkit::ecs_driver::{CodeDeployScenario, EcsDriver};

struct Fixture {
    driver: &'static EcsDriver,
    ecs: aws_sdk_ecs::Client,
    codedeploy: aws_sdk_codedeploy::Client,
    cluster: String,
    service: String,
    family: String,
    application: String,
    group: String,
    job: ToolJob,
}

impl Fixture {
    /// A cluster with a CODE_DEPLOY service `web` behind a load balancer (container `app`, port
    /// 8080) running `family:1`, and CodeDeploy application + deployment group named as AWS's
    /// deploy action expects (`AppECS-<cluster>-<service>`, `DgpECS-<cluster>-<service>`), or
    /// `custom` names.
    fn new(test: &str, custom: bool) -> Fixture {
        let driver = EcsDriver::shared();
        let creds = aws_sdk_ecs::config::Credentials::new("testing", "testing", None, None, "t");
        let ecs_conf = aws_sdk_ecs::Config::builder()
            .behavior_version(aws_sdk_ecs::config::BehaviorVersion::latest())
            .region(aws_sdk_ecs::config::Region::new("us-east-1"))
            .endpoint_url(driver.url())
            .credentials_provider(creds.clone())
            .build();
        let cd_conf = aws_sdk_codedeploy::Config::builder()
            .behavior_version(aws_sdk_codedeploy::config::BehaviorVersion::latest())
            .region(aws_sdk_codedeploy::config::Region::new("us-east-1"))
            .endpoint_url(driver.url())
            .credentials_provider(creds)
            .build();
        let cluster = format!("cd-{test}");
        let service = "web".to_owned();
        let (application, group) = if custom {
            (format!("app-{test}"), format!("group-{test}"))
        } else {
            (
                format!("AppECS-{cluster}-{service}"),
                format!("DgpECS-{cluster}-{service}"),
            )
        };
        let f = Fixture {
            driver,
            ecs: aws_sdk_ecs::Client::from_conf(ecs_conf),
            codedeploy: aws_sdk_codedeploy::Client::from_conf(cd_conf),
            cluster,
            service,
            family: format!("web-cd-{test}"),
            application,
            group,
            job: ToolJob::new(env!("CARGO_BIN_EXE_ecs-rollout")),
        };
        let td = f.register("v1");
        rt().block_on(async {
            f.ecs
                .create_cluster()
                .cluster_name(&f.cluster)
                .send()
                .await
                .unwrap();
            f.ecs
                .create_service()
                .cluster(&f.cluster)
                .service_name(&f.service)
                .task_definition(&td)
                .desired_count(1)
                .deployment_controller(
                    ecs::DeploymentController::builder()
                        .r#type(ecs::DeploymentControllerType::CodeDeploy)
                        .build()
                        .unwrap(),
                )
                .load_balancers(
                    ecs::LoadBalancer::builder()
                        .target_group_arn(
                            "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/1",
                        )
                        .container_name("app")
                        .container_port(8080)
                        .build(),
                )
                .send()
                .await
                .unwrap();
            f.codedeploy
                .create_application()
                .application_name(&f.application)
                .compute_platform(cd::ComputePlatform::Ecs)
                .send()
                .await
                .unwrap();
            f.codedeploy
                .create_deployment_group()
                .application_name(&f.application)
                .deployment_group_name(&f.group)
                .service_role_arn("arn:aws:iam::123456789012:role/codedeploy")
                .ecs_services(
                    cd::EcsService::builder()
                        .cluster_name(&f.cluster)
                        .service_name(&f.service)
                        .build(),
                )
                .send()
                .await
                .unwrap();
        });
        f
    }

    fn register(&self, tag: &str) -> String {
        rt().block_on(async {
            let out = self
                .ecs
                .register_task_definition()
                .family(&self.family)
                .container_definitions(
                    ecs::ContainerDefinition::builder()
                        .name("app")
                        .image(format!(
                            "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:{tag}"
                        ))
                        .memory(256)
                        .port_mappings(ecs::PortMapping::builder().container_port(8080).build())
                        .build(),
                )
                .send()
                .await
                .unwrap();
            out.task_definition()
                .unwrap()
                .task_definition_arn()
                .unwrap()
                .to_owned()
        })
    }

    fn td(&self, revision: u32) -> String {
        format!(
            "arn:aws:ecs:us-east-1:123456789012:task-definition/{}:{revision}",
            self.family
        )
    }

    fn image(&self, tag: &str) -> String {
        format!("123456789012.dkr.ecr.us-east-1.amazonaws.com/web:{tag}")
    }

    fn service_td(&self) -> String {
        rt().block_on(async {
            self.ecs
                .describe_services()
                .cluster(&self.cluster)
                .services(&self.service)
                .send()
                .await
                .unwrap()
                .services()[0]
                .task_definition()
                .unwrap_or_default()
                .to_owned()
        })
    }

    fn deployments(&self) -> Vec<String> {
        rt().block_on(async {
            self.codedeploy
                .list_deployments()
                .application_name(&self.application)
                .deployment_group_name(&self.group)
                .send()
                .await
                .unwrap()
                .deployments()
                .to_vec()
        })
    }

    fn deployment(&self, id: &str) -> cd::DeploymentInfo {
        rt().block_on(async {
            self.codedeploy
                .get_deployment()
                .deployment_id(id)
                .send()
                .await
                .unwrap()
                .deployment_info()
                .unwrap()
                .clone()
        })
    }

    fn command(&self, inputs: &[(&str, &str)]) -> Command {
        let mut cmd = self.job.command(self.job.temp());
        for (k, v) in self.driver.aws_env() {
            cmd.env(k, v);
        }
        // These tests are about the rollout: what the task definitions refer to (roles,
        // images in moto's ECR) is not set up, so `verify` is off unless a test asks for it.
        ToolJob::inputs(
            &mut cmd,
            &[
                ("cluster", &self.cluster),
                ("service", &self.service),
                ("verify", "false"),
            ],
        );
        ToolJob::inputs(&mut cmd, inputs);
        cmd
    }

    fn run(&self, inputs: &[(&str, &str)]) -> Output {
        ToolJob::run(&mut self.command(inputs))
    }

    fn output(&self, name: &str) -> String {
        self.job
            .output(name)
            .unwrap_or_else(|| panic!("no output {name}: {:?}", self.job.outputs()))
    }
}

#[test]
fn codedeploy_service_is_deployed_through_an_appspec_and_runs_the_new_revision() {
    let f = Fixture::new("ok", false);
    f.driver.codedeploy_scenario(
        &f.application,
        &f.group,
        &[CodeDeployScenario::Succeeds { after: 1.5 }],
    );
    let out = f.run(&[("image-ref", &f.image("v2"))]);
    let text = printed(&out);
    assert!(out.status.success(), "{text}");
    assert_eq!(f.output("status"), "succeeded");
    assert_eq!(f.output("task-definition-arn"), f.td(2));
    assert_eq!(f.service_td(), f.td(2));
    let ids = f.deployments();
    assert_eq!(ids.len(), 1);
    assert_eq!(f.output("deployment-id"), ids[0]);
    assert!(
        text.contains("CodeDeploy deployment status: InProgress"),
        "{text}"
    );
    // the AppSpec names our revision and the service's load balancer container and port
    let info = f.deployment(&ids[0]);
    let content = info
        .revision()
        .and_then(|r| r.app_spec_content())
        .and_then(|c| c.content())
        .unwrap();
    let spec: serde_json::Value = serde_json::from_str(content).unwrap();
    let props = &spec["Resources"][0]["TargetService"]["Properties"];
    assert_eq!(props["TaskDefinition"], f.td(2));
    assert_eq!(props["LoadBalancerInfo"]["ContainerName"], "app");
    assert_eq!(props["LoadBalancerInfo"]["ContainerPort"], 8080);
}

#[test]
fn custom_application_group_and_hooks_are_used() {
    let f = Fixture::new("custom", true);
    let out = f.run(&[
        ("image-ref", &f.image("v2")),
        ("codedeploy-application", &f.application),
        ("codedeploy-deployment-group", &f.group),
        ("codedeploy-appspec-hooks", "AfterAllowTraffic=check-web"),
    ]);
    assert!(out.status.success(), "{}", printed(&out));
    let ids = f.deployments();
    assert_eq!(ids.len(), 1);
    let info = f.deployment(&ids[0]);
    let content = info
        .revision()
        .and_then(|r| r.app_spec_content())
        .and_then(|c| c.content())
        .unwrap()
        .to_owned();
    assert!(
        content.contains("\"AfterAllowTraffic\":\"check-web\""),
        "{content}"
    );
    assert_eq!(f.service_td(), f.td(2));
}

#[test]
fn failing_codedeploy_deployment_reports_rolled_back_with_its_reason() {
    let f = Fixture::new("fails", false);
    f.driver.codedeploy_scenario(
        &f.application,
        &f.group,
        &[CodeDeployScenario::Fails {
            after: 1.0,
            code: "HEALTH_CONSTRAINTS".into(),
            reason: "too many tasks failed health checks".into(),
        }],
    );
    let out = f.run(&[("image-ref", &f.image("v2"))]);
    assert!(!out.status.success(), "{}", printed(&out));
    assert_eq!(f.output("status"), "rolled-back", "{}", printed(&out));
    let reason = f.output("reason");
    assert!(
        reason.contains("HEALTH_CONSTRAINTS: too many tasks failed health checks"),
        "{reason}"
    );
    assert_eq!(f.service_td(), f.td(1));
}

#[test]
fn sigterm_stops_the_codedeploy_deployment_with_rollback() {
    let f = Fixture::new("sigterm", false);
    f.driver.codedeploy_scenario(
        &f.application,
        &f.group,
        &[CodeDeployScenario::Slow { after: 60.0 }],
    );
    let out = cancel_once(&mut f.command(&[("image-ref", &f.image("v2"))]), || {
        !f.deployments().is_empty()
    });
    assert_eq!(f.output("status"), "rolled-back", "{}", printed(&out));
    assert!(
        f.output("reason").contains("cancelled by SIGTERM"),
        "{}",
        f.output("reason")
    );
    let info = f.deployment(&f.deployments()[0]);
    assert_eq!(info.status(), Some(&cd::DeploymentStatus::Stopped));
    assert_eq!(f.service_td(), f.td(1));
}

#[test]
fn timeout_stops_the_codedeploy_deployment() {
    let f = Fixture::new("timeout", false);
    f.driver.codedeploy_scenario(
        &f.application,
        &f.group,
        &[CodeDeployScenario::Slow { after: 60.0 }],
    );
    let out = f.run(&[("image-ref", &f.image("v2")), ("timeout-seconds", "3")]);
    assert!(!out.status.success());
    assert_eq!(f.output("status"), "rolled-back", "{}", printed(&out));
    assert!(
        f.output("reason").contains("timed out"),
        "{}",
        f.output("reason")
    );
    let info = f.deployment(&f.deployments()[0]);
    assert_eq!(info.status(), Some(&cd::DeploymentStatus::Stopped));
    assert_eq!(f.service_td(), f.td(1));
}

#[test]
fn bad_codedeploy_inputs_fail_before_anything_changes() {
    let f = Fixture::new("bad", false);
    let cases: &[(&str, &str, &str)] = &[
        (
            "codedeploy-application",
            "has space",
            "input 'codedeploy-application' has invalid value 'has space'",
        ),
        (
            "codedeploy-deployment-group",
            &"g".repeat(101),
            "input 'codedeploy-deployment-group'",
        ),
        (
            "codedeploy-appspec-hooks",
            "BeforeDance=fn",
            "BeforeInstall, AfterInstall",
        ),
        (
            "codedeploy-appspec-hooks",
            "AfterAllowTraffic",
            "input 'codedeploy-appspec-hooks' has invalid value 'AfterAllowTraffic'",
        ),
    ];
    for (name, value, expected) in cases {
        let out = f.run(&[("image-ref", &f.image("v2")), (name, value)]);
        assert!(!out.status.success(), "{name}={value}");
        let text = printed(&out);
        assert!(text.contains(expected), "{name}={value}: {text}");
    }
    // a deployment group that does not exist: CodeDeploy's error, nothing deployed
    let out = f.run(&[
        ("image-ref", &f.image("v2")),
        ("codedeploy-deployment-group", "nope"),
    ]);
    assert!(!out.status.success());
    assert!(
        printed(&out).contains("CreateDeployment"),
        "{}",
        printed(&out)
    );
    assert!(f.deployments().is_empty());
    assert_eq!(f.service_td(), f.td(1));
}

#[test]
fn codedeploy_service_without_a_load_balancer_is_refused_before_registering() {
    let f = Fixture::new("nolb", false);
    let td = f.register("v1b");
    rt().block_on(async {
        f.ecs
            .create_service()
            .cluster(&f.cluster)
            .service_name("bare")
            .task_definition(&td)
            .desired_count(1)
            .deployment_controller(
                ecs::DeploymentController::builder()
                    .r#type(ecs::DeploymentControllerType::CodeDeploy)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    });
    let out = f.run(&[("service", "bare"), ("image-ref", &f.image("v2"))]);
    assert!(!out.status.success());
    assert!(
        printed(&out).contains("has no load balancer with a container name and port"),
        "{}",
        printed(&out)
    );
    let revisions = rt().block_on(async {
        f.ecs
            .list_task_definitions()
            .family_prefix(&f.family)
            .send()
            .await
            .unwrap()
            .task_definition_arns()
            .len()
    });
    assert_eq!(revisions, 2);
}

#[test]
fn wait_false_returns_with_the_codedeploy_deployment_id() {
    let f = Fixture::new("nowait", false);
    f.driver.codedeploy_scenario(
        &f.application,
        &f.group,
        &[CodeDeployScenario::Slow { after: 30.0 }],
    );
    let out = f.run(&[("image-ref", &f.image("v2")), ("wait", "false")]);
    assert!(out.status.success(), "{}", printed(&out));
    assert_eq!(f.output("status"), "started");
    assert!(
        f.output("reason").contains("not watched"),
        "{}",
        f.output("reason")
    );
    let ids = f.deployments();
    assert_eq!(f.output("deployment-id"), ids[0]);
    assert_ne!(
        f.deployment(&ids[0]).status(),
        Some(&cd::DeploymentStatus::Succeeded)
    );
}

//! ecs-rollout through a real workflow runner (act): the action's JavaScript shim runs the
//! binary against moto driven by the ECS rollout driver. A first job deploys; a second deploys a
//! broken image, which fails its circuit breaker and is rolled back to the first job's version.
// Needs the local services of scripts/services (scripts/test enables the feature).
#![cfg(feature = "local-services")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::time::{Duration, Instant};

use aws_sdk_ecs::types as ecs;
use gantry_testkit::ecs_driver::{EcsDriver, Scenario};
use gantry_testkit::{Act, GitRepo};

const IMAGE: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/api";

#[test]
fn a_workflow_deploys_and_a_broken_deploy_is_rolled_back() {
    let driver = EcsDriver::shared();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let conf = aws_sdk_ecs::Config::builder()
        .behavior_version(aws_sdk_ecs::config::BehaviorVersion::latest())
        .region(aws_sdk_ecs::config::Region::new("us-east-1"))
        .endpoint_url(driver.url())
        .credentials_provider(aws_sdk_ecs::config::Credentials::new(
            "AKIDEXAMPLEACT",
            "act-secret",
            None,
            None,
            "test",
        ))
        .build();
    let client = aws_sdk_ecs::Client::from_conf(conf);
    let describe = || {
        rt.block_on(async {
            client
                .describe_services()
                .cluster("act-cluster")
                .services("api")
                .send()
                .await
                .unwrap()
                .services()[0]
                .clone()
        })
    };
    rt.block_on(async {
        client
            .create_cluster()
            .cluster_name("act-cluster")
            .send()
            .await
            .unwrap();
        client
            .register_task_definition()
            .family("act-api")
            .container_definitions(
                ecs::ContainerDefinition::builder()
                    .name("app")
                    .image(format!("{IMAGE}:v1"))
                    .memory(256)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        client
            .create_service()
            .cluster("act-cluster")
            .service_name("api")
            .task_definition("act-api:1")
            .desired_count(2)
            .launch_type(ecs::LaunchType::Fargate)
            .send()
            .await
            .unwrap();
    });
    // The images the workflow deploys were pushed by a build, as in a pipeline: the action
    // verifies them before registering anything.
    let ecr = aws_sdk_ecr::Client::from_conf(
        aws_sdk_ecr::Config::builder()
            .behavior_version(aws_sdk_ecr::config::BehaviorVersion::latest())
            .region(aws_sdk_ecr::config::Region::new("us-east-1"))
            .endpoint_url(driver.url())
            .credentials_provider(aws_sdk_ecr::config::Credentials::new(
                "AKIDEXAMPLEACT",
                "act-secret",
                None,
                None,
                "test",
            ))
            .build(),
    );
    rt.block_on(async {
        let _ = ecr
            .create_repository()
            .repository_name("team/api")
            .send()
            .await;
        for tag in ["v2", "broken"] {
            let manifest = serde_json::json!({
                "schemaVersion": 2,
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 2,
                           "digest": format!("sha256:{}", "b".repeat(64))},
                "layers": []
            });
            let _ = ecr
                .put_image()
                .repository_name("team/api")
                .image_tag(tag)
                .image_manifest(manifest.to_string())
                .send()
                .await;
        }
    });
    let start = Instant::now();
    while describe().deployments()[0].rollout_state()
        != Some(&ecs::DeploymentRolloutState::Completed)
    {
        assert!(start.elapsed() < Duration::from_secs(20));
        std::thread::sleep(Duration::from_millis(100));
    }
    // the first job's deployment is healthy, the second job's fails
    driver.scenario(
        "act-cluster",
        "api",
        &[
            Scenario::Healthy { after: 1.0 },
            Scenario::Failing { after: 2.0 },
        ],
    );

    let repo = GitRepo::new();
    repo.install_action(
        "ecs-rollout",
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/deploy.yml"),
    );
    repo.commit("feat: deploy");
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_ecs-rollout"))
        .parent()
        .unwrap();
    let run = Act::new(repo.path(), ".github/workflows/deploy.yml")
        .event("push")
        .env("GANTRY_BIN_DIR", bin_dir)
        .envs(driver.aws_env())
        .run();
    let report = run.report();
    assert_eq!(
        run.job_result("deploy").as_deref(),
        Some("success"),
        "{report}"
    );
    assert_eq!(
        run.output("deploy", "rollout", "status").as_deref(),
        Some("succeeded"),
        "{report}"
    );
    let v2 = "arn:aws:ecs:us-east-1:123456789012:task-definition/act-api:2";
    assert_eq!(
        run.output("deploy", "rollout", "task-definition-arn")
            .as_deref(),
        Some(v2),
        "{report}"
    );
    assert_eq!(
        run.output("broken", "report", "status").as_deref(),
        Some("rolled-back"),
        "{report}"
    );
    assert_eq!(
        run.output("broken", "report", "outcome").as_deref(),
        Some("failure"),
        "{report}"
    );
    assert_eq!(
        run.output("broken", "report", "previous").as_deref(),
        Some(v2),
        "{report}"
    );
    // the service ends on the first job's version
    let s = describe();
    assert_eq!(s.task_definition(), Some(v2));
    assert_eq!(s.deployments().len(), 1, "{s:?}");
}

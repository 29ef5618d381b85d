//! ECS on the rollout driver's moto, for the tests that run the ECS side: a client, a cluster
//! with task definition revisions, and waiting until a service settles.

use std::time::{Duration, Instant};

use aws_sdk_ecs::types as ecs;

/// An ECS client on `url` (the ECS driver's moto).
pub fn client(url: &str) -> aws_sdk_ecs::Client {
    let creds = aws_sdk_ecs::config::Credentials::new("testing", "testing", None, None, "t");
    let conf = aws_sdk_ecs::Config::builder()
        .behavior_version(aws_sdk_ecs::config::BehaviorVersion::latest())
        .region(aws_sdk_ecs::config::Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(creds)
        .build();
    aws_sdk_ecs::Client::from_conf(conf)
}

/// Creates `cluster` and registers one revision of `family` per image tag (`family:1`, …, one
/// container `app`); returns their ARNs in order.
pub async fn cluster_with_revisions(
    client: &aws_sdk_ecs::Client,
    cluster: &str,
    family: &str,
    tags: &[&str],
) -> Vec<String> {
    client
        .create_cluster()
        .cluster_name(cluster)
        .send()
        .await
        .unwrap();
    let mut arns = Vec::new();
    for tag in tags {
        let out = client
            .register_task_definition()
            .family(family)
            .container_definitions(
                ecs::ContainerDefinition::builder()
                    .name("app")
                    .image(format!("registry.example/api:{tag}"))
                    .memory(256)
                    .essential(true)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        arns.push(
            out.task_definition()
                .unwrap()
                .task_definition_arn()
                .unwrap()
                .to_owned(),
        );
    }
    arns
}

pub async fn service(client: &aws_sdk_ecs::Client, cluster: &str, name: &str) -> ecs::Service {
    client
        .describe_services()
        .cluster(cluster)
        .services(name)
        .send()
        .await
        .unwrap()
        .services()[0]
        .clone()
}

/// Waits until the service's only deployment completed.
pub async fn wait_until_settled(
    client: &aws_sdk_ecs::Client,
    cluster: &str,
    name: &str,
) -> ecs::Service {
    let start = Instant::now();
    loop {
        let s = service(client, cluster, name).await;
        let d = s.deployments();
        if d.len() == 1 && d[0].rollout_state() == Some(&ecs::DeploymentRolloutState::Completed) {
            return s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "service {name} never settled: {s:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

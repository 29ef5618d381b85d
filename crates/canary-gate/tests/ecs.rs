//! The `canary-gate` binary with the ECS side: a canary service beside the stable one in moto,
//! made to progress by the ECS rollout driver (`gantry_testkit::ecs_driver`), and the ALB in
//! the shared AWS emulator. The canary and baseline answer from real HTTP servers on loopback,
//! so the test decides whether the canary passes. Weights are read while the binary runs.
// Needs the local services of scripts/services (scripts/test enables the feature).
#![cfg(feature = "local-services")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use std::process::Output;
use std::time::Duration;

use aws_sdk_ecs::types as ecs;
use gantry_testkit::ecs_driver::{EcsDriver, Scenario};
use gantry_testkit::{Services, ToolJob};
use support::{
    Alb, HttpServer, alb, elb, rule_weights, spawn_with_inputs, success_policy, text, unique,
};

struct Fixture {
    driver: &'static EcsDriver,
    ecs: aws_sdk_ecs::Client,
    cluster: String,
    family: String,
    v1: String,
    v2: String,
}

impl Fixture {
    /// A cluster with `stable` (2 tasks) and `canary` (0 tasks), both on `family:1`, and
    /// `family:2` registered: the new version.
    async fn new(prefix: &str) -> Fixture {
        let driver = EcsDriver::shared();
        let client = support::ecs::client(driver.url());
        let name = unique(prefix);
        let cluster = format!("c-{name}");
        let family = format!("api-{name}");
        let arns =
            support::ecs::cluster_with_revisions(&client, &cluster, &family, &["v1", "v2"]).await;
        let f = Fixture {
            driver,
            ecs: client,
            cluster,
            family,
            v1: arns[0].clone(),
            v2: arns[1].clone(),
        };
        for (service, count) in [("stable", 2), ("canary", 0)] {
            f.ecs
                .create_service()
                .cluster(&f.cluster)
                .service_name(service)
                .task_definition(&f.v1)
                .desired_count(count)
                .launch_type(ecs::LaunchType::Fargate)
                .send()
                .await
                .unwrap();
            f.wait_until_settled(service).await;
        }
        f
    }

    async fn service(&self, name: &str) -> ecs::Service {
        support::ecs::service(&self.ecs, &self.cluster, name).await
    }

    async fn wait_until_settled(&self, name: &str) -> ecs::Service {
        support::ecs::wait_until_settled(&self.ecs, &self.cluster, name).await
    }

    fn inputs(&self, a: &Alb, canary: &HttpServer, baseline: &HttpServer) -> Vec<(String, String)> {
        let policy = success_policy(canary, baseline);
        [
            ("listener-arn", a.listener.clone()),
            ("rule-arn", a.rule.clone()),
            ("stable-target-group", a.stable.clone()),
            ("canary-target-group", a.canary.clone()),
            ("policy", policy),
            ("steps", "25,50,100".into()),
            ("step-duration", "1s".into()),
            ("interval", "500ms".into()),
            ("metrics-delay", "0s".into()),
            ("cluster", self.cluster.clone()),
            ("stable-service", "stable".into()),
            ("canary-service", "canary".into()),
            ("task-definition", format!("{}:2", self.family)),
            ("canary-desired-count", "2".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// Runs the binary to the end (ELBv2 on the shared emulator, ECS on the driver) while
    /// recording every distinct (stable, canary) weight pair and the canary service's running
    /// count at the moment the canary first got traffic.
    async fn run(&self, tool: &ToolJob, a: &Alb, inputs: &[(String, String)]) -> Run {
        self.run_with(tool, a, inputs, false).await
    }

    /// [`Fixture::run`], sending SIGTERM (the runner cancelling the job) once the canary has
    /// traffic when `sigterm` is set.
    async fn run_with(
        &self,
        tool: &ToolJob,
        a: &Alb,
        inputs: &[(String, String)],
        sigterm: bool,
    ) -> Run {
        let client = elb().await;
        let mut cmd = tool.command(tool.temp());
        for (k, v) in Services::get().aws_env() {
            cmd.env(k, v);
        }
        cmd.env("AWS_ENDPOINT_URL_ECS", self.driver.url());
        let mut child = spawn_with_inputs(cmd, inputs);
        let mut seen: Vec<(i32, i32)> = Vec::new();
        let mut canary_when_shifted = None;
        loop {
            let w = weights(&client, a).await;
            if seen.last() != Some(&w) {
                if w.1 > 0 && canary_when_shifted.is_none() {
                    let s = self.service("canary").await;
                    canary_when_shifted = Some((
                        s.task_definition().unwrap_or_default().to_owned(),
                        s.running_count(),
                    ));
                }
                seen.push(w);
                if sigterm && w.1 > 0 {
                    let kill = std::process::Command::new("kill")
                        .arg("-TERM")
                        .arg(child.id().to_string())
                        .status()
                        .unwrap();
                    assert!(kill.success());
                }
            }
            if child.try_wait().unwrap().is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let out = child.wait_with_output().unwrap();
        let w = weights(&client, a).await;
        if seen.last() != Some(&w) {
            seen.push(w);
        }
        Run {
            out,
            seen,
            canary_when_shifted,
        }
    }
}

struct Run {
    out: Output,
    seen: Vec<(i32, i32)>,
    /// (task definition, running tasks) of the canary service when traffic first moved.
    canary_when_shifted: Option<(String, i32)>,
}

/// (stable, canary) weights of the rule.
async fn weights(client: &aws_sdk_elasticloadbalancingv2::Client, a: &Alb) -> (i32, i32) {
    let raw = rule_weights(client, &a.rule).await;
    let get = |tg: &str| raw.iter().find(|(arn, _)| arn == tg).map_or(0, |(_, w)| *w);
    (get(&a.stable), get(&a.canary))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_healthy_canary_service_is_promoted_into_the_stable_service() {
    let f = Fixture::new("cep").await;
    let a = alb("cep");
    let (canary, baseline) = (HttpServer::start(), HttpServer::start());
    let tool = ToolJob::new(env!("CARGO_BIN_EXE_canary-gate"));
    let run = f.run(&tool, &a, &f.inputs(&a, &canary, &baseline)).await;
    let printed = text(&run.out);
    assert!(run.out.status.success(), "{printed}");
    // The canary service ran the new version with its tasks up before any traffic moved.
    assert_eq!(
        run.canary_when_shifted,
        Some((f.v2.clone(), 2)),
        "{printed}"
    );
    assert_eq!(
        run.seen,
        vec![(1, 0), (75, 25), (50, 50), (100, 0)],
        "{printed}"
    );
    let stable = f.wait_until_settled("stable").await;
    assert_eq!(stable.task_definition(), Some(f.v2.as_str()), "{printed}");
    assert_eq!(stable.desired_count(), 2);
    let canary_service = f.service("canary").await;
    assert_eq!(canary_service.desired_count(), 0, "{printed}");
    assert_eq!(tool.output("decision").as_deref(), Some("promote"));
    assert_eq!(tool.output("final-weight").as_deref(), Some("0"));
    assert_eq!(
        tool.output("stable-task-definition").as_deref(),
        Some(f.v2.as_str())
    );
    assert_eq!(
        tool.output("canary-task-definition").as_deref(),
        Some(f.v2.as_str())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_canary_service_is_rolled_back_and_scaled_to_zero() {
    let f = Fixture::new("cer").await;
    let a = alb("cer");
    let (canary, baseline) = (HttpServer::start(), HttpServer::start());
    canary.set_status(503);
    let tool = ToolJob::new(env!("CARGO_BIN_EXE_canary-gate"));
    let run = f.run(&tool, &a, &f.inputs(&a, &canary, &baseline)).await;
    let printed = text(&run.out);
    assert!(!run.out.status.success(), "{printed}");
    assert_eq!(run.seen, vec![(1, 0), (75, 25), (100, 0)], "{printed}");
    let stable = f.service("stable").await;
    assert_eq!(stable.task_definition(), Some(f.v1.as_str()), "{printed}");
    assert_eq!(
        stable.deployments().len(),
        1,
        "stable untouched: {stable:?}"
    );
    assert_eq!(f.service("canary").await.desired_count(), 0, "{printed}");
    assert_eq!(tool.output("decision").as_deref(), Some("rollback"));
    assert_eq!(
        tool.output("stable-task-definition").as_deref(),
        Some(f.v1.as_str())
    );
}

/// Every ECS input with a bad value (or a contradiction): the message names the input, the
/// value and what is valid, and no AWS endpoint (a loopback server counting requests) is called.
#[test]
fn bad_ecs_inputs_are_refused_before_any_aws_call() {
    let aws = HttpServer::start();
    let base: Vec<(&str, &str)> = vec![
        (
            "listener-arn",
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/1/2",
        ),
        (
            "stable-target-group",
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/s/1",
        ),
        (
            "canary-target-group",
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/c/2",
        ),
        (
            "policy",
            "metrics: {e: {source: alb, kind: error-rate, max: 0.05}}",
        ),
        ("cluster", "prod"),
        ("stable-service", "api"),
        ("canary-service", "api-canary"),
    ];
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "cluster",
            "prod cluster",
            &["'cluster'", "prod cluster", "ECS cluster name"],
        ),
        (
            "cluster",
            "arn:aws:ecs:us-east-1:1:service/x",
            &["'cluster'", "arn:aws:ecs:us-east-1:1:service/x", "cluster/"],
        ),
        (
            "stable-service",
            "api/v2",
            &["'stable-service'", "api/v2", "ECS service name"],
        ),
        (
            "canary-service",
            "api!",
            &["'canary-service'", "api!", "ECS service name"],
        ),
        (
            "canary-service",
            "api",
            &["'canary-service'", "api", "other than stable-service"],
        ),
        (
            "task-definition",
            "api",
            &["'task-definition'", "api", "family:revision"],
        ),
        (
            "task-definition",
            "api:0",
            &["'task-definition'", "api:0", "family:revision"],
        ),
        (
            "task-definition",
            "arn:aws:ecs:us-east-1:1:service/api:3",
            &["'task-definition'", "task-definition/api:42"],
        ),
        (
            "canary-desired-count",
            "0",
            &["'canary-desired-count'", "0", "from 1 to 10"],
        ),
        (
            "canary-desired-count",
            "50",
            &["'canary-desired-count'", "50", "from 1 to 10"],
        ),
        (
            "canary-desired-count",
            "two",
            &["'canary-desired-count'", "two", "from 1 to 10"],
        ),
    ];
    let run = |inputs: &[(&str, &str)]| {
        let tool = ToolJob::new(env!("CARGO_BIN_EXE_canary-gate"));
        let mut cmd = tool.command(tool.temp());
        for (k, v) in Services::get().aws_env() {
            cmd.env(k, v);
        }
        cmd.env("AWS_ENDPOINT_URL", aws.url(""));
        cmd.env("AWS_ENDPOINT_URL_ECS", aws.url(""));
        ToolJob::inputs(&mut cmd, inputs);
        ToolJob::run(&mut cmd)
    };
    for (input, value, says) in cases {
        let mut inputs: Vec<(&str, &str)> =
            base.iter().filter(|(k, _)| k != input).copied().collect();
        inputs.push((input, value));
        let out = run(&inputs);
        let printed = text(&out);
        assert!(!out.status.success(), "{input}={value} passed:\n{printed}");
        for s in *says {
            assert!(
                printed.contains(s),
                "{input}={value}: wanted {s:?} in\n{printed}"
            );
        }
    }
    // Contradictions: a service without a cluster, a cluster without services, ECS in probe mode.
    let without = |name: &str| -> Vec<(&str, &str)> {
        base.iter().filter(|(k, _)| *k != name).copied().collect()
    };
    let printed = text(&run(&without("cluster")));
    assert!(
        printed.contains("'stable-service' is set but 'cluster' is empty"),
        "{printed}"
    );
    // No canary service means judging ECS's own canary, which needs the new task definition.
    let printed = text(&run(&without("canary-service")));
    assert!(
        printed.contains("'canary-service' and 'task-definition' are both empty"),
        "{printed}"
    );
    let printed = text(&run(&[
        ("mode", "probe"),
        (
            "policy",
            "metrics: {p: {source: probe, kind: success-rate, url: 'http://127.0.0.1:1/', min: 1}}",
        ),
        ("cluster", "prod"),
    ]));
    assert!(
        printed.contains("'cluster' is set but mode is 'probe'"),
        "{printed}"
    );
    assert_eq!(aws.requests(), 0, "no AWS call before the inputs are valid");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stable_service_that_fails_to_take_the_new_version_is_rolled_back_with_traffic() {
    let f = Fixture::new("cef").await;
    let a = alb("cef");
    let (canary, baseline) = (HttpServer::start(), HttpServer::start());
    // The promotion's deployment of the stable service fails its health checks.
    f.driver
        .scenario(&f.cluster, "stable", &[Scenario::Failing { after: 1.0 }]);
    let tool = ToolJob::new(env!("CARGO_BIN_EXE_canary-gate"));
    let run = f.run(&tool, &a, &f.inputs(&a, &canary, &baseline)).await;
    let printed = text(&run.out);
    assert!(!run.out.status.success(), "{printed}");
    assert_eq!(run.seen.last(), Some(&(100, 0)), "{printed}");
    let stable = f.wait_until_settled("stable").await;
    assert_eq!(stable.task_definition(), Some(f.v1.as_str()), "{printed}");
    assert_eq!(f.service("canary").await.desired_count(), 0, "{printed}");
    assert_eq!(tool.output("decision").as_deref(), Some("rollback"));
    let reason = tool.output("reason").unwrap();
    assert!(reason.contains("the canary passed, but"), "{reason}");
    assert!(reason.contains("stable restored to 100 %"), "{reason}");
    assert_eq!(
        tool.output("stable-task-definition").as_deref(),
        Some(f.v1.as_str())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_while_shifting_restores_stable_and_scales_the_canary_to_zero() {
    let f = Fixture::new("ces").await;
    let a = alb("ces");
    let (canary, baseline) = (HttpServer::start(), HttpServer::start());
    let mut inputs = f.inputs(&a, &canary, &baseline);
    for (k, v) in &mut inputs {
        if k == "step-duration" {
            *v = "1m".into();
        }
    }
    let tool = ToolJob::new(env!("CARGO_BIN_EXE_canary-gate"));
    let run = f.run_with(&tool, &a, &inputs, true).await;
    let printed = text(&run.out);
    assert!(!run.out.status.success(), "{printed}");
    assert_eq!(run.seen, vec![(1, 0), (75, 25), (100, 0)], "{printed}");
    assert_eq!(f.service("canary").await.desired_count(), 0, "{printed}");
    assert_eq!(
        f.service("stable").await.task_definition(),
        Some(f.v1.as_str())
    );
    assert!(
        tool.output("reason")
            .unwrap()
            .contains("cancelled by SIGTERM: stable restored to 100 %"),
        "{printed}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_while_the_stable_service_takes_the_canary_rolls_it_back() {
    let f = Fixture::new("cep").await;
    let a = alb("cep");
    let (canary, baseline) = (HttpServer::start(), HttpServer::start());
    // The promotion's deployment of the stable service takes a while; the job is cancelled
    // in the middle of it.
    f.driver
        .scenario(&f.cluster, "stable", &[Scenario::Healthy { after: 30.0 }]);
    let tool = ToolJob::new(env!("CARGO_BIN_EXE_canary-gate"));
    let mut cmd = tool.command(tool.temp());
    for (k, v) in Services::get().aws_env() {
        cmd.env(k, v);
    }
    cmd.env("AWS_ENDPOINT_URL_ECS", f.driver.url());
    let child = spawn_with_inputs(cmd, &f.inputs(&a, &canary, &baseline));
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while f.service("stable").await.deployments()[0].task_definition() != Some(f.v2.as_str()) {
        assert!(std::time::Instant::now() < deadline, "no promotion started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let kill = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    let printed = text(&out);
    assert!(!out.status.success(), "{printed}");
    let stable = f.wait_until_settled("stable").await;
    assert_eq!(stable.task_definition(), Some(f.v1.as_str()), "{printed}");
    assert_eq!(weights(&elb().await, &a).await, (100, 0), "{printed}");
    assert_eq!(f.service("canary").await.desired_count(), 0, "{printed}");
    assert_eq!(tool.output("decision").as_deref(), Some("rollback"));
    let reason = tool.output("reason").unwrap();
    assert!(reason.contains("cancelled by SIGTERM"), "{reason}");
    assert!(reason.contains("stable restored to 100 %"), "{reason}");
}

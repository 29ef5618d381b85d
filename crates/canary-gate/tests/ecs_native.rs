//! The `canary-gate` binary judging ECS's own CANARY deployment (no canary service): the
//! service, its ALB and the production listener rule all live in the ECS driver's moto, and the
//! driver shifts the rule's weights the way ECS's CANARY strategy does. canary-gate starts the
//! deployment, judges the new revision (a real HTTP server on loopback) against the live one,
//! and lets ECS finish or stops it with StopServiceDeployment (ROLLBACK). Weights are read while
//! the binary runs.
// Needs the local services of scripts/services (scripts/test enables the feature).
#![cfg(feature = "local-services")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use std::process::Output;
use std::time::{Duration, Instant};

use aws_sdk_ecs::types as ecs;
use gantry_testkit::ToolJob;
use gantry_testkit::ecs_driver::{EcsDriver, Scenario};
use support::{
    Alb, HttpServer, alb_in, rule_weights, spawn_with_inputs, success_policy, text, unique,
};

struct Fixture {
    driver: &'static EcsDriver,
    ecs: aws_sdk_ecs::Client,
    elb: aws_sdk_elasticloadbalancingv2::Client,
    alb: Alb,
    cluster: String,
    family: String,
    /// `family:1`, `family:2`, `family:3` ARNs.
    revisions: Vec<String>,
}

const SERVICE: &str = "api";

impl Fixture {
    /// A cluster with service `api` (2 tasks, `family:1`) behind the ALB rule, on ECS's CANARY
    /// strategy (20 %) between the `stable` group (all traffic) and the `canary` group.
    async fn new(prefix: &str, strategy: ecs::DeploymentStrategy) -> Fixture {
        let driver = EcsDriver::shared();
        let alb = alb_in(prefix, driver.aws_env());
        let client = support::ecs::client(driver.url());
        let creds = aws_sdk_elasticloadbalancingv2::config::Credentials::new(
            "testing", "testing", None, None, "t",
        );
        let elb_conf = aws_sdk_elasticloadbalancingv2::Config::builder()
            .behavior_version(aws_sdk_elasticloadbalancingv2::config::BehaviorVersion::latest())
            .region(aws_sdk_elasticloadbalancingv2::config::Region::new(
                "us-east-1",
            ))
            .endpoint_url(driver.url())
            .credentials_provider(creds)
            .build();
        let elb = aws_sdk_elasticloadbalancingv2::Client::from_conf(elb_conf);
        // ECS's blue/green needs a weighted forward between the two groups on the rule.
        use aws_sdk_elasticloadbalancingv2::types as lb;
        elb.modify_rule()
            .rule_arn(&alb.rule)
            .actions(
                lb::Action::builder()
                    .r#type(lb::ActionTypeEnum::Forward)
                    .forward_config(
                        lb::ForwardActionConfig::builder()
                            .target_groups(
                                lb::TargetGroupTuple::builder()
                                    .target_group_arn(&alb.stable)
                                    .weight(100)
                                    .build(),
                            )
                            .target_groups(
                                lb::TargetGroupTuple::builder()
                                    .target_group_arn(&alb.canary)
                                    .weight(0)
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let name = unique(prefix);
        let cluster = format!("c-{name}");
        let family = format!("api-{name}");
        let revisions =
            support::ecs::cluster_with_revisions(&client, &cluster, &family, &["v1", "v2", "v3"])
                .await;
        client
            .create_service()
            .cluster(&cluster)
            .service_name(SERVICE)
            .task_definition(&revisions[0])
            .desired_count(2)
            .launch_type(ecs::LaunchType::Fargate)
            .load_balancers(
                ecs::LoadBalancer::builder()
                    .target_group_arn(&alb.stable)
                    .container_name("app")
                    .container_port(80)
                    .advanced_configuration(
                        ecs::AdvancedConfiguration::builder()
                            .alternate_target_group_arn(&alb.canary)
                            .production_listener_rule(&alb.rule)
                            .role_arn("arn:aws:iam::123456789012:role/ecs-infrastructure")
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let config = ecs::DeploymentConfiguration::builder().strategy(strategy.clone());
        let config = match strategy {
            ecs::DeploymentStrategy::Linear => config.linear_configuration(
                ecs::LinearConfiguration::builder()
                    .step_percent(25.0)
                    .step_bake_time_in_minutes(1)
                    .build(),
            ),
            _ => config.canary_configuration(
                ecs::CanaryConfiguration::builder()
                    .canary_percent(20.0)
                    .canary_bake_time_in_minutes(1)
                    .build(),
            ),
        };
        client
            .update_service()
            .cluster(&cluster)
            .service(SERVICE)
            .deployment_configuration(config.bake_time_in_minutes(0).build())
            .send()
            .await
            .unwrap();
        let f = Fixture {
            driver,
            ecs: client,
            elb,
            alb,
            cluster,
            family,
            revisions,
        };
        f.wait_until_settled().await;
        f
    }

    async fn wait_until_settled(&self) -> ecs::Service {
        support::ecs::wait_until_settled(&self.ecs, &self.cluster, SERVICE).await
    }

    /// (stable group, canary group) weights of the rule, in the inputs' terms.
    async fn weights(&self) -> (i32, i32) {
        let raw = rule_weights(&self.elb, &self.alb.rule).await;
        let get = |tg: &str| raw.iter().find(|(arn, _)| arn == tg).map_or(0, |(_, w)| *w);
        (get(&self.alb.stable), get(&self.alb.canary))
    }

    fn inputs(
        &self,
        revision: usize,
        new: &HttpServer,
        live: &HttpServer,
    ) -> Vec<(String, String)> {
        let policy = success_policy(new, live);
        [
            ("listener-arn", self.alb.listener.clone()),
            ("rule-arn", self.alb.rule.clone()),
            ("stable-target-group", self.alb.stable.clone()),
            ("canary-target-group", self.alb.canary.clone()),
            ("policy", policy),
            ("interval", "500ms".into()),
            ("metrics-delay", "0s".into()),
            ("cluster", self.cluster.clone()),
            ("stable-service", SERVICE.into()),
            ("task-definition", format!("{}:{revision}", self.family)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// Runs the binary to the end (everything on the driver's moto), recording every distinct
    /// weight pair; sends `signal` (`TERM`: the runner cancelling the job, `KILL`: the runner
    /// dying) once it has seen that many distinct weight pairs (2: the first shift).
    async fn run(
        &self,
        tool: &ToolJob,
        inputs: &[(String, String)],
        signal: Option<(&str, usize)>,
    ) -> Run {
        let mut cmd = tool.command(tool.temp());
        for (k, v) in self.driver.aws_env() {
            cmd.env(k, v);
        }
        cmd.env("AWS_ENDPOINT_URL_CLOUDWATCH", driver_cloudwatch_endpoint());
        let mut child = spawn_with_inputs(cmd, inputs);
        let mut seen: Vec<(i32, i32)> = Vec::new();
        let mut killed = false;
        loop {
            let w = self.weights().await;
            if seen.last() != Some(&w) {
                seen.push(w);
            }
            if let Some((signal, _)) = signal.filter(|(_, after)| seen.len() >= *after && !killed) {
                let kill = std::process::Command::new("kill")
                    .arg(format!("-{signal}"))
                    .arg(child.id().to_string())
                    .status()
                    .unwrap();
                assert!(kill.success());
                killed = true;
            }
            if child.try_wait().unwrap().is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let out = child.wait_with_output().unwrap();
        let w = self.weights().await;
        if seen.last() != Some(&w) {
            seen.push(w);
        }
        Run { out, seen }
    }

    /// How many calls of `op` the driver saw for this fixture's cluster.
    fn calls(&self, op: &str) -> usize {
        self.driver
            .requests()
            .iter()
            .filter(|(_, o, c)| o == op && c == &self.cluster)
            .count()
    }
}

struct Run {
    out: Output,
    seen: Vec<(i32, i32)>,
}

/// The CBOR translator in front of the ECS driver's moto, whose CloudWatch alarms the driver
/// reads as ECS does.
fn driver_cloudwatch_endpoint() -> String {
    static PROXY: std::sync::OnceLock<support::cbor_proxy::CborProxy> = std::sync::OnceLock::new();
    PROXY
        .get_or_init(|| support::cbor_proxy::CborProxy::start(EcsDriver::shared().url()))
        .url
        .clone()
}

fn driver_cloudwatch() -> aws_sdk_cloudwatch::Client {
    let conf = aws_sdk_cloudwatch::Config::builder()
        .behavior_version(aws_sdk_cloudwatch::config::BehaviorVersion::latest())
        .region(aws_sdk_cloudwatch::config::Region::new("us-east-1"))
        .endpoint_url(driver_cloudwatch_endpoint())
        .credentials_provider(aws_sdk_cloudwatch::config::Credentials::new(
            "testing", "testing", None, None, "t",
        ))
        .build();
    aws_sdk_cloudwatch::Client::from_conf(conf)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_healthy_ecs_canary_is_judged_and_ecs_finishes_it() {
    let f = Fixture::new("nat", ecs::DeploymentStrategy::Canary).await;
    let (new, live) = (HttpServer::start(), HttpServer::start());
    f.driver
        .scenario(&f.cluster, SERVICE, &[Scenario::Healthy { after: 12.0 }]);
    let tool = ToolJob::new(env!("CARGO_BIN_EXE_canary-gate"));
    let run = f.run(&tool, &f.inputs(2, &new, &live), None).await;
    let printed = text(&run.out);
    assert!(run.out.status.success(), "{printed}");
    // ECS moved the weights (canary-gate never does here): 20 %, then all traffic.
    assert_eq!(run.seen, vec![(100, 0), (80, 20), (0, 100)], "{printed}");
    assert!(new.requests() > 0 && live.requests() > 0, "{printed}");
    let service = f.wait_until_settled().await;
    assert_eq!(service.task_definition(), Some(f.revisions[1].as_str()));
    assert_eq!(tool.output("decision").as_deref(), Some("promote"));
    assert_eq!(tool.output("final-weight").as_deref(), Some("100"));
    assert_eq!(
        tool.output("stable-task-definition").as_deref(),
        Some(f.revisions[1].as_str())
    );
    assert_eq!(
        tool.output("previous-task-definition").as_deref(),
        Some(f.revisions[0].as_str())
    );
    let reason = tool.output("reason").unwrap();
    assert!(reason.contains("ECS finished the deployment"), "{reason}");
    assert!(printed.contains("(20 % steps, 1 min bake)"), "{printed}");
    assert_eq!(f.calls("StopServiceDeployment"), 0, "{printed}");
    assert!(tool.summary().contains("mermaid"), "{}", tool.summary());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_ecs_canary_is_stopped_with_a_rollback_and_the_next_deploy_swaps_roles() {
    let f = Fixture::new("nar", ecs::DeploymentStrategy::Canary).await;
    let (new, live) = (HttpServer::start(), HttpServer::start());
    // First a good deployment: all traffic ends on the `canary` group, which is now live.
    f.driver
        .scenario(&f.cluster, SERVICE, &[Scenario::Healthy { after: 12.0 }]);
    let tool = ToolJob::new(env!("CARGO_BIN_EXE_canary-gate"));
    let run = f.run(&tool, &f.inputs(2, &new, &live), None).await;
    assert!(run.out.status.success(), "{}", text(&run.out));
    assert_eq!(f.weights().await, (0, 100));

    // Then a bad one: ECS shifts 20 % to the `stable` group (green now), canary-gate stops it.
    new.set_status(503);
    f.driver
        .scenario(&f.cluster, SERVICE, &[Scenario::Healthy { after: 30.0 }]);
    let tool = ToolJob::new(env!("CARGO_BIN_EXE_canary-gate"));
    let started = Instant::now();
    let run = f.run(&tool, &f.inputs(3, &new, &live), None).await;
    let printed = text(&run.out);
    assert!(!run.out.status.success(), "{printed}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "stopped at the first bad look, not at the end of ECS's canary: {printed}"
    );
    let live_group = f.alb.canary.split(":targetgroup/").nth(1).unwrap();
    assert!(
        printed.contains(&format!("from {live_group} (live: the baseline)")),
        "{printed}"
    );
    // The 20 % on green lasts one look at most, which the test's polling may miss under load;
    // canary-gate's log says what it judged.
    assert!(
        run.seen == vec![(0, 100), (20, 80), (0, 100)] || run.seen == vec![(0, 100)],
        "{:?}: {printed}",
        run.seen
    );
    // canary-gate judges from the traffic-shift stage on; under load its first look can come
    // before the driver moved the 20 % (the bad revision fails its probes either way).
    assert!(
        printed.contains("lifecycle stage PRODUCTION_TRAFFIC_SHIFT, new revision at 20 %")
            || printed.contains("lifecycle stage PRODUCTION_TRAFFIC_SHIFT, new revision at 0 %"),
        "{printed}"
    );
    assert_eq!(f.calls("StopServiceDeployment"), 1, "{printed}");
    let service = f.wait_until_settled().await;
    assert_eq!(service.task_definition(), Some(f.revisions[1].as_str()));
    assert_eq!(tool.output("decision").as_deref(), Some("rollback"));
    assert_eq!(tool.output("final-weight").as_deref(), Some("0"));
    assert_eq!(
        tool.output("stable-task-definition").as_deref(),
        Some(f.revisions[1].as_str())
    );
    let reason = tool.output("reason").unwrap();
    assert!(
        reason.contains("ECS rolled api back (ROLLBACK_SUCCESSFUL)"),
        "{reason}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_during_an_ecs_linear_deployment_rolls_it_back() {
    let f = Fixture::new("nas", ecs::DeploymentStrategy::Linear).await;
    let (new, live) = (HttpServer::start(), HttpServer::start());
    f.driver
        .scenario(&f.cluster, SERVICE, &[Scenario::Healthy { after: 60.0 }]);
    let tool = ToolJob::new(env!("CARGO_BIN_EXE_canary-gate"));
    let run = f
        .run(&tool, &f.inputs(2, &new, &live), Some(("TERM", 2)))
        .await;
    let printed = text(&run.out);
    assert!(!run.out.status.success(), "{printed}");
    assert_eq!(run.seen, vec![(100, 0), (75, 25), (100, 0)], "{printed}");
    assert_eq!(f.calls("StopServiceDeployment"), 1, "{printed}");
    let service = f.wait_until_settled().await;
    assert_eq!(service.task_definition(), Some(f.revisions[0].as_str()));
    let reason = tool.output("reason").unwrap();
    assert!(reason.starts_with("cancelled by SIGTERM"), "{reason}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_runner_leaves_ecs_to_roll_back_on_the_policys_alarms() {
    let f = Fixture::new("nal", ecs::DeploymentStrategy::Canary).await;
    let (new, live) = (HttpServer::start(), HttpServer::start());
    let cloudwatch = driver_cloudwatch();
    // The team's own deployment alarm, watched without rollback: it stays on the service.
    let team = unique("team");
    cloudwatch
        .put_metric_alarm()
        .alarm_name(&team)
        .comparison_operator(aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold)
        .threshold(1.0)
        .evaluation_periods(1)
        .namespace("Team")
        .metric_name("Errors")
        .statistic(aws_sdk_cloudwatch::types::Statistic::Sum)
        .period(60)
        .send()
        .await
        .unwrap();
    let mut config = f
        .wait_until_settled()
        .await
        .deployment_configuration()
        .cloned()
        .unwrap();
    config.alarms = Some(
        ecs::DeploymentAlarms::builder()
            .alarm_names(&team)
            .enable(true)
            .rollback(false)
            .build()
            .unwrap(),
    );
    f.ecs
        .update_service()
        .cluster(&f.cluster)
        .service(SERVICE)
        .deployment_configuration(config)
        .send()
        .await
        .unwrap();
    f.driver
        .scenario(&f.cluster, SERVICE, &[Scenario::Healthy { after: 40.0 }]);
    let mut inputs = f.inputs(2, &new, &live);
    for (k, v) in &mut inputs {
        if k == "interval" {
            // a CloudWatch period, now that the policy reads CloudWatch
            *v = "1s".into();
        }
        if k == "policy" {
            v.push_str(
                "  errors: {source: alb, kind: error-rate, max: 0.05}\n  latency: {source: alb, kind: latency, max-ratio: 1.5}\n",
            );
        }
    }
    // The runner dies (SIGKILL) once ECS has shifted the canary's 20 %.
    let tool = ToolJob::new(env!("CARGO_BIN_EXE_canary-gate"));
    let died = f.run(&tool, &inputs, Some(("KILL", 2))).await;
    let printed = text(&died.out);
    assert_eq!(died.seen, vec![(100, 0), (80, 20)], "{printed}");
    let ours = format!("gantry-canary-gate/{}/{SERVICE}/errors-max", f.cluster);
    assert!(
        printed.contains(&format!("when any of these alarms is in ALARM: {ours}")),
        "{printed}"
    );
    assert!(printed.contains("judged by this run only: 'success' (a probe: only the run sends it), 'latency' (no min or max"), "{printed}");

    // The alarm watches the new revision's group, at the policy's threshold.
    let alarms = cloudwatch
        .describe_alarms()
        .alarm_names(&ours)
        .send()
        .await
        .unwrap();
    let alarm = &alarms.metric_alarms()[0];
    assert_eq!(alarm.threshold(), Some(0.05));
    let green = f.alb.canary.split(':').next_back().unwrap();
    let watched: Vec<&str> = alarm
        .metrics()
        .iter()
        .filter_map(|q| q.metric_stat()?.metric()?.dimensions().first()?.value())
        .collect();
    assert_eq!(watched, [green, green], "{alarm:?}");
    // Attached beside the team's, with rollback; the strategy and its percents kept.
    let service = f
        .ecs
        .describe_services()
        .cluster(&f.cluster)
        .services(SERVICE)
        .send()
        .await
        .unwrap()
        .services()[0]
        .clone();
    let config = service.deployment_configuration().unwrap();
    let attached = config.alarms().unwrap();
    assert_eq!(attached.alarm_names(), [team.clone(), ours.clone()]);
    assert!(attached.enable() && attached.rollback());
    assert_eq!(config.strategy(), Some(&ecs::DeploymentStrategy::Canary));
    assert_eq!(
        config
            .canary_configuration()
            .and_then(|c| c.canary_percent()),
        Some(20.0)
    );
    assert_eq!(service.task_definition(), Some(f.revisions[1].as_str()));

    // Nobody judges now; the alarm fires and ECS rolls back by itself.
    cloudwatch
        .set_alarm_state()
        .alarm_name(&ours)
        .state_value(aws_sdk_cloudwatch::types::StateValue::Alarm)
        .state_reason("5xx above 5 %")
        .send()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while f.weights().await != (100, 0) {
        assert!(
            Instant::now() < deadline,
            "ECS did not roll back on the alarm"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let service = f.wait_until_settled().await;
    assert_eq!(service.task_definition(), Some(f.revisions[0].as_str()));
    assert_eq!(
        f.calls("StopServiceDeployment"),
        0,
        "ECS rolled back, not the runner"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_service_without_ecs_canary_or_the_inputs_groups_is_refused_before_any_change() {
    // Rolling strategy: nothing to judge without a canary service.
    let f = Fixture::new("nan", ecs::DeploymentStrategy::Rolling).await;
    let (new, live) = (HttpServer::start(), HttpServer::start());
    let before = f.calls("UpdateService");
    let tool = ToolJob::new(env!("CARGO_BIN_EXE_canary-gate"));
    let run = f.run(&tool, &f.inputs(2, &new, &live), None).await;
    let printed = text(&run.out);
    assert!(!run.out.status.success(), "{printed}");
    assert!(
        printed.contains("'canary-service' is empty") && printed.contains("CANARY or LINEAR"),
        "{printed}"
    );
    assert_eq!(
        f.calls("UpdateService"),
        before,
        "nothing deployed: {printed}"
    );

    // CANARY, but the inputs name a target group the service does not shift to.
    let f = Fixture::new("nag", ecs::DeploymentStrategy::Canary).await;
    let mut inputs = f.inputs(2, &new, &live);
    for (k, v) in &mut inputs {
        if k == "canary-target-group" {
            v.clone_from(&f.alb.other);
        }
    }
    let before = f.calls("UpdateService");
    let tool = ToolJob::new(env!("CARGO_BIN_EXE_canary-gate"));
    let run = f.run(&tool, &inputs, None).await;
    let printed = text(&run.out);
    assert!(!run.out.status.success(), "{printed}");
    assert!(
        printed.contains("not between 'stable-target-group' and 'canary-target-group'"),
        "{printed}"
    );
    assert_eq!(
        f.calls("UpdateService"),
        before,
        "nothing deployed: {printed}"
    );
    assert_eq!(run.seen, vec![(100, 0)], "{printed}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rerun_after_the_runner_died_judges_the_deployment_in_progress() {
    let f = Fixture::new("naa", ecs::DeploymentStrategy::Linear).await;
    let (new, live) = (HttpServer::start(), HttpServer::start());
    f.driver
        .scenario(&f.cluster, SERVICE, &[Scenario::Healthy { after: 24.0 }]);
    let updates = f.calls("UpdateService");
    // The runner dies (SIGKILL: no cleanup) once ECS's linear steps give the new revision
    // 75 %: from the weights alone, the new revision would now look like the baseline.
    let tool = ToolJob::new(env!("CARGO_BIN_EXE_canary-gate"));
    let died = f
        .run(&tool, &f.inputs(2, &new, &live), Some(("KILL", 4)))
        .await;
    assert!(!died.out.status.success(), "{}", text(&died.out));
    assert_eq!(died.seen.last(), Some(&(25, 75)), "{}", text(&died.out));
    assert_eq!(f.calls("UpdateService"), updates + 1);
    // The re-run finds our deployment in progress and judges it instead of starting another,
    // with the roles the first run left on the service.
    let tool = ToolJob::new(env!("CARGO_BIN_EXE_canary-gate"));
    let run = f.run(&tool, &f.inputs(2, &new, &live), None).await;
    let printed = text(&run.out);
    assert!(run.out.status.success(), "{printed}");
    assert!(
        printed.contains("already in progress (a re-run)"),
        "{printed}"
    );
    let baseline = f.alb.stable.split(":targetgroup/").nth(1).unwrap();
    assert!(
        printed.contains(&format!("from {baseline} (live: the baseline)")),
        "{printed}"
    );
    assert_eq!(
        f.calls("UpdateService"),
        updates + 1,
        "no second deployment: {printed}"
    );
    assert_eq!(run.seen.last(), Some(&(0, 100)), "{printed}");
    let service = f.wait_until_settled().await;
    assert_eq!(service.task_definition(), Some(f.revisions[1].as_str()));
    assert_eq!(tool.output("decision").as_deref(), Some("promote"));
    assert_eq!(
        tool.output("previous-task-definition").as_deref(),
        Some(f.revisions[0].as_str())
    );
    // A third run: ECS is done, nothing to judge, nothing deployed.
    let tool = ToolJob::new(env!("CARGO_BIN_EXE_canary-gate"));
    let again = f.run(&tool, &f.inputs(2, &new, &live), None).await;
    assert!(again.out.status.success(), "{}", text(&again.out));
    assert_eq!(f.calls("UpdateService"), updates + 1);
    assert!(
        tool.output("reason").unwrap().contains("already runs"),
        "{}",
        text(&again.out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dry_run_names_what_it_would_do_and_deploys_nothing() {
    let f = Fixture::new("nad", ecs::DeploymentStrategy::Canary).await;
    let (new, live) = (HttpServer::start(), HttpServer::start());
    let mut inputs = f.inputs(2, &new, &live);
    inputs.push(("dry-run".into(), "true".into()));
    let updates = f.calls("UpdateService");
    let tool = ToolJob::new(env!("CARGO_BIN_EXE_canary-gate"));
    let run = f.run(&tool, &inputs, None).await;
    let printed = text(&run.out);
    assert!(run.out.status.success(), "{printed}");
    assert_eq!(f.calls("UpdateService"), updates, "{printed}");
    assert_eq!(run.seen, vec![(100, 0)], "{printed}");
    let reason = tool.output("reason").unwrap();
    assert!(
        reason.starts_with("dry run: would deploy") && reason.contains("ECS CANARY"),
        "{reason}"
    );
}

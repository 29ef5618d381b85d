//! The `ecs-rollout` binary as a runner runs it, against real moto driven by the ECS rollout
//! driver (`gantry_testkit::ecs_driver`), which plays AWS's deployment engine: healthy, failing,
//! ECS-initiated rollback, stuck, slow, throttled. Each test has its own cluster.
// Needs the local services of scripts/services (scripts/test enables the feature).
#![cfg(feature = "local-services")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common;
use aws_sdk_ecs::types as ecs;

use common::{cancel_once, printed, rt, spawn_until};
use gantry_testkit::ToolJob;
use gantry_testkit::ecs_driver::{EcsDriver, Scenario};

const REGISTRY: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
const SECRET_KEY: &str = "tEsT-s3cr3t-4ccess-k3y-never-printed";

struct Fixture {
    driver: &'static EcsDriver,
    ecs: aws_sdk_ecs::Client,
    ecr: aws_sdk_ecr::Client,
    cluster: String,
    service: String,
    family: String,
    repo: String,
    job: ToolJob,
}

impl Fixture {
    /// A cluster with service `api` (2 tasks) that completed a deployment of `family:1`
    /// (image `<repo>:v1`), under names unique to `test`.
    fn new(test: &str) -> Fixture {
        let driver = EcsDriver::shared();
        let creds =
            aws_sdk_ecs::config::Credentials::new("testing", SECRET_KEY, None, None, "test");
        let ecs_conf = aws_sdk_ecs::Config::builder()
            .behavior_version(aws_sdk_ecs::config::BehaviorVersion::latest())
            .region(aws_sdk_ecs::config::Region::new("us-east-1"))
            .endpoint_url(driver.url())
            .credentials_provider(creds.clone())
            .build();
        let ecr_conf = aws_sdk_ecr::Config::builder()
            .behavior_version(aws_sdk_ecr::config::BehaviorVersion::latest())
            .region(aws_sdk_ecr::config::Region::new("us-east-1"))
            .endpoint_url(driver.url())
            .credentials_provider(creds)
            .build();
        let f = Fixture {
            driver,
            ecs: aws_sdk_ecs::Client::from_conf(ecs_conf),
            ecr: aws_sdk_ecr::Client::from_conf(ecr_conf),
            cluster: format!("c-{test}"),
            service: "api".into(),
            family: format!("api-{test}"),
            repo: format!("team/api-{test}"),
            job: ToolJob::new(env!("CARGO_BIN_EXE_ecs-rollout")),
        };
        rt().block_on(async {
            f.ecs
                .create_cluster()
                .cluster_name(&f.cluster)
                .send()
                .await
                .unwrap();
        });
        let td = f.register("v1");
        rt().block_on(async {
            f.ecs
                .create_service()
                .cluster(&f.cluster)
                .service_name(&f.service)
                .task_definition(&td)
                .desired_count(2)
                .launch_type(ecs::LaunchType::Fargate)
                .send()
                .await
                .unwrap();
        });
        f.wait_until_runs(&td);
        f
    }

    fn image(&self, tag: &str) -> String {
        format!("{REGISTRY}/{}:{tag}", self.repo)
    }

    /// Registers a revision running `<repo>:tag`; returns its ARN.
    fn register(&self, tag: &str) -> String {
        rt().block_on(async {
            let out = self
                .ecs
                .register_task_definition()
                .family(&self.family)
                .execution_role_arn("arn:aws:iam::123456789012:role/api-exec")
                .tags(ecs::Tag::builder().key("team").value("payments").build())
                .container_definitions(
                    ecs::ContainerDefinition::builder()
                        .name("app")
                        .image(self.image(tag))
                        .memory(256)
                        .essential(true)
                        .environment(
                            ecs::KeyValuePair::builder()
                                .name("LOG")
                                .value("info")
                                .build(),
                        )
                        .log_configuration(
                            ecs::LogConfiguration::builder()
                                .log_driver(ecs::LogDriver::Awslogs)
                                .options("awslogs-group", "/ecs/api")
                                .options("awslogs-stream-prefix", "ecs")
                                .build()
                                .unwrap(),
                        )
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

    fn service(&self) -> ecs::Service {
        rt().block_on(async {
            self.ecs
                .describe_services()
                .cluster(&self.cluster)
                .services(&self.service)
                .send()
                .await
                .unwrap()
                .services()[0]
                .clone()
        })
    }

    fn revisions(&self) -> usize {
        rt().block_on(async {
            self.ecs
                .list_task_definitions()
                .family_prefix(&self.family)
                .send()
                .await
                .unwrap()
                .task_definition_arns()
                .len()
        })
    }

    /// Waits until the service's only deployment is COMPLETED on `td`.
    fn wait_until_runs(&self, td: &str) {
        let start = Instant::now();
        loop {
            let s = self.service();
            let d = s.deployments();
            if d.len() == 1
                && d[0].task_definition() == Some(td)
                && d[0].rollout_state() == Some(&ecs::DeploymentRolloutState::Completed)
                && s.task_definition() == Some(td)
            {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "service never ran {td}: {s:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn push_tag(&self, tag: &str) {
        rt().block_on(async {
            let _ = self
                .ecr
                .create_repository()
                .repository_name(&self.repo)
                .send()
                .await;
            let manifest = serde_json::json!({
                "schemaVersion": 2,
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 2, "digest": format!("sha256:{}", "a".repeat(64))},
                "layers": []
            });
            self.ecr
                .put_image()
                .repository_name(&self.repo)
                .image_tag(tag)
                .image_manifest(manifest.to_string())
                .send()
                .await
                .unwrap();
        });
    }

    fn command(&self, inputs: &[(&str, &str)]) -> Command {
        let mut cmd = self.job.command(self.job.temp());
        for (k, v) in self.driver.aws_env() {
            cmd.env(k, v);
        }
        cmd.env("AWS_SECRET_ACCESS_KEY", SECRET_KEY);
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
        let out = ToolJob::run(&mut self.command(inputs));
        // masked for the runner (`::add-mask::` is how), and never printed otherwise
        let printed = String::from_utf8_lossy(&out.stdout);
        let leaked = printed
            .lines()
            .any(|l| l.contains(SECRET_KEY) && !l.starts_with("::add-mask::"));
        assert!(!leaked, "the secret key was printed:\n{printed}");
        out
    }

    fn output(&self, name: &str) -> String {
        self.job
            .output(name)
            .unwrap_or_else(|| panic!("no output {name}: {:?}", self.job.outputs()))
    }

    /// Deployments started on this cluster (CreateService and UpdateService each make one).
    fn update_calls(&self) -> usize {
        self.driver
            .transitions()
            .iter()
            .filter(|t| t.cluster == self.cluster && t.state == "IN_PROGRESS")
            .count()
    }
}

#[test]
fn deploy_succeeds_and_reports_the_new_revision() {
    let f = Fixture::new("ok");
    let out = f.run(&[
        ("image-ref", &f.image("v2")),
        ("environment", "LOG=debug"),
        ("circuit-breaker", "rollback"),
    ]);
    assert!(out.status.success(), "{}", printed(&out));
    assert_eq!(f.output("status"), "succeeded");
    assert_eq!(f.output("task-definition-arn"), f.td(2));
    assert_eq!(f.output("previous-task-definition-arn"), f.td(1));
    assert!(f.output("deployment-id").starts_with("ecs-svc/"));
    f.wait_until_runs(&f.td(2));
    let text = printed(&out);
    assert!(text.contains("~ containerDefinitions[app].image"), "{text}");
    assert!(text.contains("has reached a steady state"), "{text}");
    let summary = f.job.summary();
    assert!(
        summary.contains("succeeded") && summary.contains("Timeline"),
        "{summary}"
    );
    insta::assert_snapshot!(gantry_testkit::redact::redact_with(
        &summary,
        &[
            (&f.cluster, "[cluster]"),
            (&f.service, "[service]"),
            (&f.family, "[family]"),
            (&f.repo, "[repository]"),
        ]
    ));
    // roles and tags carried over
    let td = rt().block_on(async {
        f.ecs
            .describe_task_definition()
            .task_definition(f.td(2))
            .include(ecs::TaskDefinitionField::Tags)
            .send()
            .await
            .unwrap()
    });
    assert_eq!(
        td.task_definition().unwrap().execution_role_arn(),
        Some("arn:aws:iam::123456789012:role/api-exec")
    );
    assert_eq!(td.tags()[0].value(), Some("payments"));
}

#[test]
fn failure_rolls_back_to_the_last_good_revision_not_revision_minus_one() {
    let f = Fixture::new("fail");
    // revision 2 exists but never ran: "revision − 1" would pick it
    f.register("v2-never-deployed");
    f.driver
        .scenario(&f.cluster, &f.service, &[Scenario::Failing { after: 2.0 }]);
    let out = f.run(&[
        ("image-ref", &f.image("v3-broken")),
        ("deregister-failed", "true"),
    ]);
    assert!(!out.status.success(), "{}", printed(&out));
    assert_eq!(f.output("status"), "rolled-back", "{}", printed(&out));
    assert_eq!(f.output("task-definition-arn"), f.td(3));
    assert_eq!(f.output("previous-task-definition-arn"), f.td(1));
    assert!(
        f.output("reason").contains("circuit breaker"),
        "{}",
        f.output("reason")
    );
    f.wait_until_runs(&f.td(1));
    let text = printed(&out);
    assert!(text.contains("failed container health checks"), "{text}");
    assert!(
        text.contains("rollback completed: the service runs"),
        "{text}"
    );
    // the failed revision was deregistered; the good one never
    let status = |arn: String| {
        rt().block_on(async {
            f.ecs
                .describe_task_definition()
                .task_definition(arn)
                .send()
                .await
                .unwrap()
                .task_definition()
                .unwrap()
                .status()
                .unwrap()
                .clone()
        })
    };
    assert_eq!(status(f.td(3)), ecs::TaskDefinitionStatus::Inactive);
    assert_eq!(status(f.td(1)), ecs::TaskDefinitionStatus::Active);
}

#[test]
fn ecs_initiated_rollback_is_a_failure_with_ecs_reason() {
    let f = Fixture::new("ecsrb");
    f.driver
        .scenario(&f.cluster, &f.service, &[Scenario::Rollback { after: 1.5 }]);
    let out = f.run(&[
        ("image-ref", &f.image("v2")),
        ("circuit-breaker", "rollback"),
    ]);
    assert!(!out.status.success());
    assert_eq!(f.output("status"), "rolled-back", "{}", printed(&out));
    assert!(
        f.output("reason")
            .contains("ECS deployment circuit breaker"),
        "{}",
        f.output("reason")
    );
    assert!(
        printed(&out).contains("ECS is already rolling back"),
        "{}",
        printed(&out)
    );
    f.wait_until_runs(&f.td(1));
}

#[test]
fn an_aws_error_after_the_update_rolls_back_and_reports_both() {
    let f = Fixture::new("awserror");
    f.driver
        .scenario(&f.cluster, &f.service, &[Scenario::Slow { after: 30.0 }]);
    let child = spawn_until(&mut f.command(&[("image-ref", &f.image("v2"))]), || {
        f.update_calls() >= 2
    });
    // Our deployment runs: the next poll fails as a call without permission would.
    f.driver.fail_calls(
        &f.cluster,
        1,
        0,
        &["DescribeServices"],
        "AccessDeniedException",
    );
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success(), "{}", printed(&out));
    assert_eq!(f.output("status"), "rolled-back", "{}", printed(&out));
    let reason = f.output("reason");
    assert!(
        reason.contains("watching the deployment failed") && reason.contains("AccessDenied"),
        "{reason}"
    );
    // the outputs are filled in, and the service is back on the last good revision
    assert_eq!(f.output("task-definition-arn"), f.td(2));
    assert_eq!(f.output("last-good-task-definition-arn"), f.td(1));
    assert!(f.output("deployment-id").starts_with("ecs-svc/"));
    f.wait_until_runs(&f.td(1));
}

#[test]
fn sigterm_while_a_call_hangs_rolls_back_within_five_seconds() {
    let f = Fixture::new("hang");
    f.driver
        .scenario(&f.cluster, &f.service, &[Scenario::Slow { after: 60.0 }]);
    let start = Instant::now();
    let mut child = spawn_until(&mut f.command(&[("image-ref", &f.image("v2"))]), || {
        f.update_calls() >= 2
    });
    // ECS stops answering promptly: the watch's next DescribeServices (and the rollback's)
    // take 30 s each.
    let epoch = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64()
    };
    let slow_from = epoch();
    f.driver
        .slow_calls(&f.cluster, 2, 0, &["DescribeServices"], 30.0);
    let in_flight = || {
        f.driver
            .requests()
            .iter()
            .any(|(t, op, c)| *t >= slow_from && op == "DescribeServices" && *c == f.cluster)
    };
    while !in_flight() {
        assert!(start.elapsed() < Duration::from_secs(60), "no poll");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(300));
    let term_at = epoch();
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    // The rollback's UpdateService goes out within 5 s of the signal.
    let rollback_at = loop {
        let update = f
            .driver
            .requests()
            .into_iter()
            .find(|(t, op, c)| *t >= term_at && op == "UpdateService" && *c == f.cluster);
        if let Some((t, _, _)) = update {
            break t;
        }
        if epoch() - term_at > 20.0 {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("no rollback UpdateService:\n{}", printed(&out));
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        rollback_at - term_at <= 5.0,
        "the rollback's UpdateService came {:.1} s after SIGTERM",
        rollback_at - term_at
    );
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    eprintln!(
        "SIGTERM to the rollback's UpdateService: {:.2} s\n{}",
        rollback_at - term_at,
        printed(&out)
    );
}

#[test]
fn sigterm_during_the_watch_rolls_back() {
    let f = Fixture::new("sigterm");
    f.driver
        .scenario(&f.cluster, &f.service, &[Scenario::Pending]);
    // wait until our deployment exists, then cancel like the runner does
    let out = cancel_once(&mut f.command(&[("image-ref", &f.image("v2"))]), || {
        f.update_calls() >= 2
    });
    assert_eq!(f.output("status"), "rolled-back", "{}", printed(&out));
    assert!(
        f.output("reason").contains("cancelled by SIGTERM"),
        "{}",
        f.output("reason")
    );
    f.wait_until_runs(&f.td(1));
}

#[test]
fn timeout_rolls_back() {
    let f = Fixture::new("timeout");
    f.driver
        .scenario(&f.cluster, &f.service, &[Scenario::Slow { after: 120.0 }]);
    let start = Instant::now();
    let out = f.run(&[("image-ref", &f.image("v2")), ("timeout-seconds", "9")]);
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "took {:?}",
        start.elapsed()
    );
    assert_eq!(f.output("status"), "rolled-back", "{}", printed(&out));
    assert!(
        f.output("reason").starts_with("timed out"),
        "{}",
        f.output("reason")
    );
    f.wait_until_runs(&f.td(1));
}

#[test]
fn stuck_pending_fails_after_the_pending_timeout_and_rolls_back() {
    let f = Fixture::new("stuck");
    f.driver
        .scenario(&f.cluster, &f.service, &[Scenario::Pending]);
    let out = f.run(&[
        ("image-ref", &f.image("v2")),
        ("pending-timeout-seconds", "3"),
    ]);
    assert_eq!(f.output("status"), "rolled-back", "{}", printed(&out));
    assert!(
        f.output("reason").contains("no task of deployment"),
        "{}",
        f.output("reason")
    );
    assert!(
        f.output("reason").contains("unable to place a task"),
        "{}",
        f.output("reason")
    );
}

#[test]
fn rollback_by_image_tag_checks_ecr_and_redeploys_that_revision() {
    let f = Fixture::new("bytag");
    f.push_tag("v1");
    let out = f.run(&[("image-ref", &f.image("v2"))]);
    assert_eq!(f.output("status"), "succeeded", "{}", printed(&out));
    f.wait_until_runs(&f.td(2));

    // a tag that is not in ECR: refused before anything changes
    let out = f.run(&[("mode", "rollback"), ("rollback-image-tag", "v0-missing")]);
    assert!(!out.status.success());
    assert!(
        printed(&out).contains("tag 'v0-missing' does not exist in ECR repository"),
        "{}",
        printed(&out)
    );
    assert_eq!(f.output("status"), "failed");
    assert_eq!(f.service().task_definition(), Some(f.td(2).as_str()));

    let out = f.run(&[("mode", "rollback"), ("rollback-image-tag", "v1")]);
    assert!(out.status.success(), "{}", printed(&out));
    assert_eq!(f.output("status"), "succeeded");
    assert_eq!(
        f.output("task-definition-arn"),
        f.td(1),
        "revision 1 runs v1: no new revision"
    );
    assert_eq!(f.output("previous-task-definition-arn"), f.td(2));
    f.wait_until_runs(&f.td(1));
    assert_eq!(f.revisions(), 2);
}

#[test]
fn rollback_by_task_definition() {
    let f = Fixture::new("bytd");
    let out = f.run(&[("image-ref", &f.image("v2"))]);
    assert!(out.status.success(), "{}", printed(&out));
    let short = format!("{}:1", f.family);
    let out = f.run(&[("mode", "rollback"), ("rollback-task-definition", &short)]);
    assert!(out.status.success(), "{}", printed(&out));
    f.wait_until_runs(&f.td(1));
}

#[test]
fn dry_run_prints_the_diff_and_changes_nothing() {
    let f = Fixture::new("dry");
    let calls = f.update_calls();
    let out = f.run(&[
        ("image-ref", &f.image("v9")),
        ("dry-run", "true"),
        ("cpu", "512"),
    ]);
    assert!(out.status.success(), "{}", printed(&out));
    let text = printed(&out);
    assert!(
        text.contains(&format!(
            "~ containerDefinitions[app].image: \"{}\" → \"{}\"",
            f.image("v1"),
            f.image("v9")
        )),
        "{text}"
    );
    assert!(text.contains("+ cpu: \"512\""), "{text}");
    assert_eq!(f.revisions(), 1);
    assert_eq!(f.update_calls(), calls);
    assert!(f.output("reason").starts_with("dry run"));
}

#[test]
fn failing_pre_deploy_task_stops_before_the_service_is_touched() {
    let f = Fixture::new("pre");
    f.driver.task_outcomes(&f.cluster, &[(3, 0.5)]);
    let calls = f.update_calls();
    let out = f.run(&[
        ("image-ref", &f.image("v2")),
        ("pre-deploy-command", "bin/migrate --yes"),
    ]);
    assert!(!out.status.success());
    let text = printed(&out);
    assert!(
        text.contains("the pre-deploy task failed, so the service was not touched"),
        "{text}"
    );
    assert!(text.contains("exited with code 3"), "{text}");
    assert!(text.contains("group /ecs/api, stream ecs/app/"), "{text}");
    assert_eq!(f.update_calls(), calls);
    assert_eq!(f.service().task_definition(), Some(f.td(1).as_str()));

    // and a migration that exits 0 lets the deploy go on
    f.driver.task_outcomes(&f.cluster, &[(0, 0.5)]);
    let out = f.run(&[
        ("image-ref", &f.image("v2")),
        ("pre-deploy-command", "[\"bin/migrate\"]"),
    ]);
    assert!(out.status.success(), "{}", printed(&out));
    assert!(printed(&out).contains("pre-deploy task exited 0"));
}

#[test]
fn service_tags_labels_and_environment_files_reach_ecs() {
    let f = Fixture::new("options");
    let out = f.run(&[
        ("image-ref", &f.image("v2")),
        ("propagate-tags", "SERVICE"),
        ("enable-ecs-managed-tags", "true"),
        (
            "docker-labels",
            "com.example.team=payments\ncom.example.secret=hunter2",
        ),
        ("environment-files", "arn:aws:s3:::cfg-bucket/api/prod.env"),
    ]);
    assert!(out.status.success(), "{}", printed(&out));
    let text = printed(&out);
    assert!(
        !text.contains("hunter2"),
        "a label value was printed:\n{text}"
    );
    assert!(
        text.contains("dockerLabels.com.example.secret: value #"),
        "{text}"
    );
    let service = f.service();
    assert_eq!(
        service.propagate_tags(),
        Some(&ecs::PropagateTags::Service),
        "{service:?}"
    );
    assert!(service.enable_ecs_managed_tags());
    let sent = f
        .driver
        .registered_task_definitions()
        .into_iter()
        .find(|r| r.arn == f.td(2))
        .unwrap()
        .sent;
    let app = &sent["containerDefinitions"][0];
    assert_eq!(app["dockerLabels"]["com.example.team"], "payments");
    assert_eq!(
        app["environmentFiles"],
        serde_json::json!([{"value": "arn:aws:s3:::cfg-bucket/api/prod.env", "type": "s3"}])
    );
}

#[test]
fn a_failing_smoke_test_rolls_the_deploy_back() {
    let f = Fixture::new("smoke");
    f.driver.task_outcomes(&f.cluster, &[(1, 0.5)]);
    let out = f.run(&[
        ("image-ref", &f.image("v2")),
        (
            "smoke-test-command",
            "bin/smoke --url http://localhost:8080/health",
        ),
    ]);
    assert!(!out.status.success(), "{}", printed(&out));
    let text = printed(&out);
    assert_eq!(f.output("status"), "rolled-back", "{text}");
    assert!(
        f.output("reason").contains("the smoke test failed") && text.contains("exited with code 1"),
        "{text}"
    );
    assert!(text.contains("smoke test logs: CloudWatch Logs"), "{text}");
    f.wait_until_runs(&f.td(1));

    // one that exits 0 lets the deploy stand
    f.driver.task_outcomes(&f.cluster, &[(0, 0.5)]);
    let out = f.run(&[
        ("image-ref", &f.image("v3")),
        ("smoke-test-command", "[\"bin/smoke\"]"),
    ]);
    assert!(out.status.success(), "{}", printed(&out));
    assert!(
        printed(&out).contains("smoke test exited 0"),
        "{}",
        printed(&out)
    );
    assert_eq!(f.output("status"), "succeeded");
    f.wait_until_runs(&f.td(3));
}

#[test]
fn throttling_is_waited_out() {
    let f = Fixture::new("throttle");
    // the first DescribeServices (the service check) passes, the watch's next 3 are
    // throttled, and the SDK does not retry them (max attempts 1): the watch waits them out
    f.driver.throttle(&f.cluster, 3, 1, &["DescribeServices"]);
    let out = f.run(&[("image-ref", &f.image("v2")), ("aws-max-attempts", "1")]);
    assert!(out.status.success(), "{}", printed(&out));
    assert_eq!(f.output("status"), "succeeded");
    assert!(
        printed(&out).contains("waiting out a transient error"),
        "{}",
        printed(&out)
    );
}

#[test]
fn bad_input_fails_before_anything_is_registered_or_updated() {
    let f = Fixture::new("bad");
    let calls = f.update_calls();
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("cluster", "c-nope")], "cluster 'c-nope' does not exist"),
        (
            &[("service", "nope")],
            "service 'nope' does not exist in cluster",
        ),
        (
            &[("images", "web=reg.io/web:v1")],
            "names container 'web', which is not in task definition",
        ),
        (
            &[("image-ref", "Reg.io/UPPER:v1")],
            "input 'image-ref' has invalid value 'Reg.io/UPPER:v1'",
        ),
        (
            &[("task-definition", "broken.json")],
            "input 'task-definition'",
        ),
    ];
    for (inputs, expected) in cases {
        let out = f.run(inputs);
        assert!(!out.status.success(), "{inputs:?}");
        let text = printed(&out);
        assert!(text.contains(expected), "{inputs:?}: {text}");
    }
    assert_eq!(f.revisions(), 1);
    assert_eq!(f.update_calls(), calls);
}

#[test]
fn external_controller_is_refused() {
    let f = Fixture::new("external");
    rt().block_on(async {
        f.ecs
            .create_service()
            .cluster(&f.cluster)
            .service_name("ext")
            .task_definition(f.td(1))
            .desired_count(1)
            .deployment_controller(
                ecs::DeploymentController::builder()
                    .r#type(ecs::DeploymentControllerType::External)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    });
    let out = f.run(&[("service", "ext"), ("image-ref", &f.image("v2"))]);
    assert!(!out.status.success());
    assert!(
        printed(&out).contains("uses the EXTERNAL deployment controller"),
        "{}",
        printed(&out)
    );
    assert_eq!(f.revisions(), 1);
}

#[test]
fn replaced_by_a_newer_deployment_fails_without_undoing_it() {
    let f = Fixture::new("replaced");
    f.driver
        .scenario(&f.cluster, &f.service, &[Scenario::Pending]);
    let theirs = f.register("v3-someone-else");
    let mut cmd = f.command(&[("image-ref", &f.image("v2"))]);
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while f.update_calls() < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no deployment started"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // someone else deploys while ours is stuck
    rt().block_on(async {
        f.ecs
            .update_service()
            .cluster(&f.cluster)
            .service(&f.service)
            .task_definition(&theirs)
            .send()
            .await
            .unwrap();
    });
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert_eq!(f.output("status"), "failed", "{}", printed(&out));
    let reason = f.output("reason");
    // seen while both run ("replaced ours"), or after theirs completed and ours is gone
    assert!(
        (reason.contains("replaced ours") || reason.contains("is no longer in the service"))
            && reason.contains("no rollback: the newer deployment owns the service now"),
        "{reason}"
    );
    f.wait_until_runs(&theirs);
}

#[test]
fn blue_green_service_is_deployed_and_its_lifecycle_stages_followed() {
    let f = Fixture::new("bluegreen");
    rt().block_on(async {
        f.ecs
            .update_service()
            .cluster(&f.cluster)
            .service(&f.service)
            .deployment_configuration(
                ecs::DeploymentConfiguration::builder()
                    .strategy(ecs::DeploymentStrategy::BlueGreen)
                    .bake_time_in_minutes(0)
                    .build(),
            )
            .send()
            .await
            .unwrap();
    });
    f.driver
        .scenario(&f.cluster, &f.service, &[Scenario::Healthy { after: 16.0 }]);
    let out = f.run(&[("image-ref", &f.image("v2"))]);
    assert!(out.status.success(), "{}", printed(&out));
    let text = printed(&out);
    assert!(text.contains("(ECS blue/green, bake time 0 min)"), "{text}");
    assert!(text.contains("service deployment arn:aws:ecs:us-east-1:123456789012:service-deployment/c-bluegreen/api/"), "{text}");
    // which stage is seen depends on when the poll lands; one is, while in progress
    assert!(
        [
            "PRE_SCALE_UP",
            "SCALE_UP",
            "TEST_TRAFFIC_SHIFT",
            "PRODUCTION_TRAFFIC_SHIFT",
            "BAKE_TIME"
        ]
        .iter()
        .any(|stage| text.contains(&format!("lifecycle stage {stage} (IN_PROGRESS)"))),
        "{text}"
    );
    assert!(
        f.job.summary().contains("lifecycle stage"),
        "{}",
        f.job.summary()
    );
    f.wait_until_runs(&f.td(2));
}

#[test]
fn a_pre_deploy_task_that_runs_too_long_is_stopped_and_nothing_deployed() {
    let f = Fixture::new("prelong");
    f.driver.task_outcomes(&f.cluster, &[(0, 120.0)]);
    let calls = f.update_calls();
    let out = f.run(&[
        ("image-ref", &f.image("v2")),
        ("pre-deploy-command", "bin/migrate"),
        ("pre-deploy-timeout-seconds", "2"),
    ]);
    assert!(!out.status.success());
    let text = printed(&out);
    assert!(
        text.contains("did not stop in time (pre-deploy-timeout-seconds); it was stopped"),
        "{text}"
    );
    assert_eq!(f.update_calls(), calls);
    assert_eq!(f.output("status"), "failed");
}

#[test]
fn no_rollback_when_asked_not_to_or_when_nothing_ever_completed() {
    // rollback-on-failure: false leaves the failed deployment in place
    let f = Fixture::new("norb");
    f.driver
        .scenario(&f.cluster, &f.service, &[Scenario::Failing { after: 1.5 }]);
    let out = f.run(&[
        ("image-ref", &f.image("v2")),
        ("rollback-on-failure", "false"),
    ]);
    assert!(!out.status.success());
    assert_eq!(f.output("status"), "failed", "{}", printed(&out));
    assert!(
        f.output("reason")
            .contains("no rollback (rollback-on-failure: false)")
    );
    assert_eq!(f.service().task_definition(), Some(f.td(2).as_str()));

    // a service whose first deployment never completed has no known good version
    let cluster = "c-nevergood";
    f.driver.scenario(
        cluster,
        "api",
        &[Scenario::Pending, Scenario::Failing { after: 1.5 }],
    );
    rt().block_on(async {
        f.ecs
            .create_cluster()
            .cluster_name(cluster)
            .send()
            .await
            .unwrap();
        f.ecs
            .create_service()
            .cluster(cluster)
            .service_name("api")
            .task_definition(f.td(1))
            .desired_count(1)
            .launch_type(ecs::LaunchType::Fargate)
            .send()
            .await
            .unwrap();
    });
    let out = f.run(&[("cluster", cluster), ("image-ref", &f.image("v3"))]);
    assert_eq!(f.output("status"), "failed", "{}", printed(&out));
    assert!(
        f.output("reason")
            .contains("no deployment of this service completed before ours"),
        "{}",
        f.output("reason")
    );
}

#[test]
fn wait_false_returns_once_the_deployment_started() {
    let f = Fixture::new("nowait");
    f.driver
        .scenario(&f.cluster, &f.service, &[Scenario::Slow { after: 30.0 }]);
    let start = Instant::now();
    let out = f.run(&[("image-ref", &f.image("v2")), ("wait", "false")]);
    assert!(out.status.success(), "{}", printed(&out));
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(f.output("status"), "started");
    assert!(f.output("reason").contains("not watched (wait: false)"));
    assert!(f.output("deployment-id").starts_with("ecs-svc/"));
}

#[test]
fn deploys_a_task_definition_file_whole_and_refuses_one_that_is_not() {
    let f = Fixture::new("file");
    let def = serde_json::json!({
        "taskDefinition": {
            "family": f.family,
            "revision": 9,
            "status": "ACTIVE",
            "executionRoleArn": "arn:aws:iam::123456789012:role/api-exec",
            "containerDefinitions": [{
                "name": "app",
                "image": f.image("from-file"),
                "memory": 256,
                "environment": [{"name": "MODE", "value": "file"}]
            }]
        },
        "tags": [{"key": "team", "value": "payments"}]
    });
    std::fs::write(f.job.temp().join("taskdef.json"), def.to_string()).unwrap();
    let out = f.run(&[
        ("task-definition", "taskdef.json"),
        ("environment", "EXTRA=1"),
    ]);
    assert!(out.status.success(), "{}", printed(&out));
    assert_eq!(f.output("task-definition-arn"), f.td(2));
    f.wait_until_runs(&f.td(2));

    // What ECS takes and gantry does not model is carried all the same (it used to be refused).
    let mut exec = def.clone();
    exec["taskDefinition"]["containerDefinitions"][0]["linuxParameters"] =
        serde_json::json!({"initProcessEnabled": true});
    std::fs::write(f.job.temp().join("exec.json"), exec.to_string()).unwrap();
    let out = f.run(&[("task-definition", "exec.json")]);
    assert!(out.status.success(), "{}", printed(&out));
    assert_eq!(f.output("task-definition-arn"), f.td(3));
    f.wait_until_runs(&f.td(3));
    let sent = f
        .driver
        .registered_task_definitions()
        .into_iter()
        .find(|r| r.arn == f.td(3))
        .unwrap();
    assert_eq!(
        sent.sent["containerDefinitions"][0]["linuxParameters"],
        serde_json::json!({"initProcessEnabled": true})
    );

    // A file that is not a task definition is refused before anything is registered.
    let mut bad = def.clone();
    bad["taskDefinition"]["containerDefinitions"][0]
        .as_object_mut()
        .unwrap()
        .remove("name");
    std::fs::write(f.job.temp().join("bad.json"), bad.to_string()).unwrap();
    let out = f.run(&[("task-definition", "bad.json")]);
    assert!(!out.status.success());
    assert!(
        printed(&out).contains(
            "'bad.json' is not valid task definition JSON: containerDefinitions[0] has no 'name'"
        ),
        "{}",
        printed(&out)
    );
    assert_eq!(f.revisions(), 3);
}

#[test]
fn verify_refuses_what_does_not_exist_before_registering_anything() {
    let f = Fixture::new("verify");
    macro_rules! client {
        ($sdk:ident) => {
            $sdk::Client::from_conf(
                $sdk::Config::builder()
                    .behavior_version($sdk::config::BehaviorVersion::latest())
                    .region($sdk::config::Region::new("us-east-1"))
                    .endpoint_url(f.driver.url())
                    .credentials_provider($sdk::config::Credentials::new(
                        "testing", "testing", None, None, "test",
                    ))
                    .build(),
            )
        };
    }
    let iam = client!(aws_sdk_iam);
    let ssm = client!(aws_sdk_ssm);
    let secrets = client!(aws_sdk_secretsmanager);
    let logs = client!(aws_sdk_cloudwatchlogs);
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let secret_arn = rt().block_on(async {
        for role in ["verify-exec", "verify-task"] {
            iam.create_role()
                .role_name(role)
                .assume_role_policy_document(trust)
                .send()
                .await
                .unwrap();
        }
        ssm.put_parameter()
            .name("/verify/token")
            .value("not-printed")
            .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
            .send()
            .await
            .unwrap();
        logs.create_log_group()
            .log_group_name("/ecs/verify")
            .send()
            .await
            .unwrap();
        secrets
            .create_secret()
            .name("verify/db")
            .secret_string("not-printed")
            .send()
            .await
            .unwrap()
            .arn()
            .unwrap()
            .to_owned()
    });
    f.push_tag("v2");
    let def = |image: &str, exec: &str, param: &str, group: &str| {
        serde_json::json!({
            "family": f.family,
            "executionRoleArn": format!("arn:aws:iam::123456789012:role/{exec}"),
            "taskRoleArn": "arn:aws:iam::123456789012:role/verify-task",
            "containerDefinitions": [{
                "name": "app",
                "image": f.image(image),
                "memory": 256,
                "secrets": [
                    {"name": "TOKEN", "valueFrom": param},
                    {"name": "DB", "valueFrom": format!("{secret_arn}:password::")}
                ],
                "logConfiguration": {"logDriver": "awslogs", "options": {
                    "awslogs-group": group, "awslogs-region": "us-east-1", "awslogs-stream-prefix": "app"
                }}
            }]
        })
    };
    let run = |file: &str, def: serde_json::Value| {
        std::fs::write(f.job.temp().join(file), def.to_string()).unwrap();
        f.run(&[("task-definition", file), ("verify", "true")])
    };
    // Everything it refers to exists: verified, then deployed.
    let out = run(
        "good.json",
        def("v2", "verify-exec", "/verify/token", "/ecs/verify"),
    );
    assert!(out.status.success(), "{}", printed(&out));
    assert!(
        printed(&out).contains("verify: the 6 image(s)"),
        "{}",
        printed(&out)
    );
    f.wait_until_runs(&f.td(2));
    // Each missing resource stops the run before any RegisterTaskDefinition, naming the
    // container, the field and the resource.
    let cases = [
        (
            def("v404", "verify-exec", "/verify/token", "/ecs/verify"),
            format!("container 'app' image: image {} does not exist", f.image("v404")),
        ),
        (
            def("v2", "verify-exec", "/verify/missing", "/ecs/verify"),
            "container 'app' secrets[TOKEN].valueFrom: SSM parameter /verify/missing does not exist".to_owned(),
        ),
        (
            def("v2", "no-such-role", "/verify/token", "/ecs/verify"),
            "executionRoleArn: IAM role no-such-role does not exist".to_owned(),
        ),
        (
            def("v2", "verify-exec", "/verify/token", "/ecs/missing"),
            "container 'app' logConfiguration.options.awslogs-group: log group /ecs/missing does not exist".to_owned(),
        ),
    ];
    for (i, (definition, says)) in cases.into_iter().enumerate() {
        let out = run(&format!("bad{i}.json"), definition);
        assert!(!out.status.success(), "{}", printed(&out));
        assert!(printed(&out).contains(&says), "{says}:\n{}", printed(&out));
        assert!(
            printed(&out).contains("input 'verify'"),
            "{}",
            printed(&out)
        );
        assert_eq!(f.revisions(), 2, "case {i} registered something");
        assert!(!printed(&out).contains("not-printed"));
    }
}

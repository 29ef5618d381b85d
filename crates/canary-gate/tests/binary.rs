//! The `canary-gate` binary as a runner runs it: inputs in `INPUT_*`, outputs and summary in
//! the runner's files; the ALB in the AWS emulator, and the canary and baseline as real HTTP
//! servers on loopback that the test makes fail or slow down. The weights are read from the
//! emulator while the binary runs, so every step is checked.
// Needs the local services of scripts/services (scripts/test enables the feature).
#![cfg(feature = "local-services")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use gantry_testkit::fault_proxy::{Fault, FaultProxy};
use gantry_testkit::{Services, ToolJob};
use support::{Alb, HttpServer, alb, elb, rule_weights, success_policy, text};

const SECRET: &str = "cgS3cr3tK3yN0tR3al0123456789";

fn job() -> ToolJob {
    ToolJob::new(env!("CARGO_BIN_EXE_canary-gate"))
}

/// The step's command with the AWS emulator's environment (and a recognisable secret key).
fn command(tool: &ToolJob) -> Command {
    let mut cmd = tool.command(tool.temp());
    for (k, v) in Services::get().aws_env() {
        cmd.env(k, v);
    }
    cmd.env("AWS_SECRET_ACCESS_KEY", SECRET);
    cmd
}

fn alb_inputs(a: &Alb) -> Vec<(&'static str, String)> {
    vec![
        ("listener-arn", a.listener.clone()),
        ("rule-arn", a.rule.clone()),
        ("stable-target-group", a.stable.clone()),
        ("canary-target-group", a.canary.clone()),
    ]
}

/// [`success_policy`] plus the probe's average latency, at most 1 s.
fn probe_policy(canary: &HttpServer, baseline: &HttpServer) -> String {
    format!(
        "{}  latency:
    source: probe
    kind: latency
    url: {}
    baseline-url: {}
    requests: 10
    concurrency: 2
    max: 1.0
",
        success_policy(canary, baseline),
        canary.url("/"),
        baseline.url("/"),
    )
}

/// Runs the binary to the end while recording every distinct weight pair of the rule.
async fn run_watching(
    tool: &ToolJob,
    a: &Alb,
    inputs: &[(&str, String)],
) -> (Output, Vec<(i32, i32)>) {
    let client = elb().await;
    let mut cmd = command(tool);
    let pairs: Vec<(&str, &str)> = inputs
        .iter()
        .filter(|(k, _)| !k.starts_with("__"))
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    ToolJob::inputs(&mut cmd, &pairs);
    if let Some((_, url)) = inputs.iter().find(|(k, _)| *k == "__cloudwatch") {
        cmd.env("AWS_ENDPOINT_URL_CLOUDWATCH", url);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut seen: Vec<(i32, i32)> = Vec::new();
    loop {
        let w = weights(&client, a).await;
        if seen.last() != Some(&w) {
            seen.push(w);
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
    (out, seen)
}

/// (stable, canary) weights of the rule.
async fn weights(client: &aws_sdk_elasticloadbalancingv2::Client, a: &Alb) -> (i32, i32) {
    let raw = rule_weights(client, &a.rule).await;
    let get = |arn: &str| {
        raw.iter()
            .find(|(t, _)| t == arn)
            .map(|(_, w)| *w)
            .unwrap_or(0)
    };
    (get(&a.stable), get(&a.canary))
}

fn assert_secret_masked(printed: &str) {
    for line in printed.lines() {
        if line.starts_with("::add-mask::") {
            continue;
        }
        assert!(!line.contains(SECRET), "secret leaked: {line}");
    }
}

#[test]
fn action_contract_lists_every_input_and_output() {
    let out = Command::new(env!("CARGO_BIN_EXE_canary-gate"))
        .arg("--action-contract")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["inputs"]["steps"]["default"], "10,25,50,100");
    assert_eq!(v["inputs"]["timeout-seconds"]["default"], "7200");
    assert!(
        v["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o == "verdicts")
    );
}

/// Every input with a bad value: the message names the input, the value and what is valid,
/// and the AWS endpoint (a loopback server counting requests) is never called.
#[test]
fn bad_inputs_are_refused_before_any_aws_call() {
    let aws = HttpServer::start();
    let a = Alb {
        listener: "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/1/2".into(),
        rule: "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/1/2/3"
            .into(),
        stable: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/s/1".into(),
        canary: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/c/2".into(),
        other: String::new(),
    };
    let policy = "metrics: {errors: {source: alb, kind: error-rate, max: 0.05, max-ratio: 1.5}}";
    let base: Vec<(&str, String)> = {
        let mut v = alb_inputs(&a);
        v.push(("policy", policy.into()));
        v.push(("metrics-delay", "0s".into()));
        v
    };
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "mode",
            "blue-green",
            &["'mode'", "blue-green", "canary, probe"],
        ),
        ("policy", "metrics: [", &["'policy'", "not valid YAML"]),
        (
            "policy",
            "metrics: {e: {source: alb, kind: cpu, max: 1}}",
            &["'policy'", "metrics.e.kind", "cpu", "error-rate, latency"],
        ),
        (
            "policy",
            "metrics: {e: {source: alb, kind: error-rate, min: 0.5, max: 0.1}}",
            &["metrics.e.min", "at most max"],
        ),
        (
            "policy",
            "metrics: {e: {source: probe, kind: success-rate, url: 'ftp://x/', min: 1}}",
            &["metrics.e.url", "ftp://x/", "http:// or https://"],
        ),
        (
            "policy-file",
            "missing.yml",
            &["'policy-file'", "missing.yml", "cannot be read"],
        ),
        (
            "listener-arn",
            "my-listener",
            &["'listener-arn'", "my-listener", "listener ARN"],
        ),
        (
            "rule-arn",
            "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/x/1",
            &["'rule-arn'", "listener-rule ARN"],
        ),
        (
            "stable-target-group",
            "tg-1",
            &["'stable-target-group'", "tg-1", "targetgroup ARN"],
        ),
        (
            "canary-target-group",
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/s/1",
            &["'canary-target-group'", "other than stable-target-group"],
        ),
        (
            "steps",
            "10,5,100",
            &["'steps'", "10,5,100", "strictly increasing"],
        ),
        ("steps", "10,1000", &["'steps'", "1000", "from 1 to 100"]),
        ("steps", "ten", &["'steps'", "ten", "percentage"]),
        (
            "step-duration",
            "soon",
            &["'step-duration'", "soon", "duration"],
        ),
        (
            "step-duration",
            "30s",
            &["lasts 30s", "shorter than 'interval' 1m"],
        ),
        ("interval", "0s", &["'interval'", "0s", "duration"]),
        (
            "interval",
            "90s",
            &["'interval'", "1m30s", "CloudWatch period"],
        ),
        ("window", "forever", &["'window'", "forever", "duration"]),
        (
            "metrics-delay",
            "-1m",
            &["'metrics-delay'", "-1m", "duration"],
        ),
        (
            "on-inconclusive",
            "panic",
            &["'on-inconclusive'", "panic", "rollback, hold, promote"],
        ),
        (
            "resume",
            "maybe",
            &["'resume'", "maybe", "continue, restart"],
        ),
        ("timeout", "1s", &["'timeout'", "1s", "raise the timeout"]),
        ("dry-run", "yes", &["'dry-run'", "yes", "true"]),
        (
            "deployment-alarms",
            "on",
            &["'deployment-alarms'", "on", "true"],
        ),
        ("aws-region", "moon-1", &["aws-region", "moon-1"]),
        ("aws-max-attempts", "many", &["aws-max-attempts", "many"]),
        (
            "aws-retry-mode",
            "fast",
            &["aws-retry-mode", "fast", "standard, adaptive"],
        ),
        (
            "aws-attempt-timeout-seconds",
            "x",
            &["aws-attempt-timeout-seconds", "x"],
        ),
        (
            "aws-connect-timeout-seconds",
            "-5",
            &["aws-connect-timeout-seconds", "-5"],
        ),
        (
            "webhooks",
            "not: a list",
            &["'webhooks'", "not a valid YAML list of hooks"],
        ),
        (
            "webhooks",
            "- {name: a, type: later, url: 'https://hooks.example.com/S3cretPath0001/x'}",
            &[
                "input 'webhooks': hook #1 'a'",
                "'type' is 'later'",
                "pre-rollout, rollout, confirm-promotion",
            ],
        ),
        (
            "webhooks",
            "- {name: a, type: rollback, url: 'hooks.example.com/S3cretPath0001/x'}",
            &["'webhooks'", "'url' is not valid", "http:// or https://"],
        ),
        (
            "webhooks",
            "- {name: a, type: rollback, url: 'https://h.example/S3cretPath0001'}\n- {name: a, type: failure, url: 'https://h.example/S3cretPath0001'}",
            &["hook #2 'a'", "same name"],
        ),
        (
            "webhooks",
            "- {name: 'a/b', type: rollback, url: 'https://h.example/S3cretPath0001'}",
            &["'name' is 'a/b'", "letters, digits"],
        ),
        (
            "webhooks",
            "- {name: a, type: rollback, url: 'https://h.example/S3cretPath0001', timeout: 1h}",
            &["'timeout' is '1h'", "from 1s to 5m"],
        ),
        (
            "webhooks",
            "- {name: a, type: rollback, url: 'https://h.example/S3cretPath0001', format: email}",
            &["'format' is 'email'", "json, slack, teams"],
        ),
        (
            "webhooks",
            "- {name: approve, type: confirm-promotion, url: 'https://h.example/S3cretPath0001', format: slack}",
            &["'format' is 'slack'", "is a gate"],
        ),
        (
            "webhooks",
            "- {name: a, type: rollback, url: 'https://h.example/S3cretPath0001', colour: red}",
            &["'webhooks'", "unknown field"],
        ),
        (
            "webhook-secret",
            "short-k3y",
            &["'webhook-secret'", "at least 16 characters"],
        ),
        ("role-to-assume", "admin", &["role-to-assume", "admin"]),
        // Without role-to-assume these are contradictions, named as such.
        ("role-session-name", "deploy", &["role-session-name"]),
        ("role-duration-seconds", "60", &["role-duration-seconds"]),
        ("audience", "sts", &["audience"]),
    ];
    for (input, value, says) in cases {
        let tool = job();
        let mut cmd = command(&tool);
        cmd.env("AWS_ENDPOINT_URL", aws.url(""));
        let mut inputs: Vec<(&str, &str)> = base
            .iter()
            .filter(|(k, _)| k != input && !(*input == "policy-file" && *k == "policy"))
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        inputs.push((input, value));
        ToolJob::inputs(&mut cmd, &inputs);
        let out = ToolJob::run(&mut cmd);
        let printed = text(&out);
        assert!(!out.status.success(), "{input}={value} passed:\n{printed}");
        for s in *says {
            assert!(
                printed.contains(s),
                "{input}={value}: wanted {s:?} in\n{printed}"
            );
        }
        assert_secret_masked(&printed);
        // A webhook's URL (its path may be a credential) and the webhook secret are never shown.
        for line in printed.lines().filter(|l| !l.starts_with("::add-mask::")) {
            assert!(
                !line.contains("S3cretPath0001") && !line.contains("short-k3y"),
                "{input}={value}: a webhook secret is shown: {line}"
            );
        }
    }
    assert_eq!(aws.requests(), 0, "no AWS call before the inputs are valid");

    // Probe mode refuses ALB inputs and ALB metrics.
    let tool = job();
    let mut cmd = command(&tool);
    ToolJob::inputs(&mut cmd, &[("mode", "probe"), ("policy", policy)]);
    let printed = text(&ToolJob::run(&mut cmd));
    assert!(
        printed.contains("source 'alb' but mode is 'probe'"),
        "{printed}"
    );
}

#[test]
fn probe_mode_gate_passes_a_healthy_service() {
    let server = HttpServer::start();
    let tool = job();
    let mut cmd = command(&tool);
    let policy = format!(
        "metrics:
  success: {{source: probe, kind: success-rate, url: '{0}', requests: 40, concurrency: 4, min: 0.95}}
  latency: {{source: probe, kind: latency, statistic: average, url: '{0}', requests: 40, concurrency: 4, max: 2.0}}",
        server.url("/health")
    );
    ToolJob::inputs(&mut cmd, &[("mode", "probe"), ("policy", &policy)]);
    let out = ToolJob::run(&mut cmd);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(tool.output("decision").as_deref(), Some("promote"));
    assert_eq!(tool.output("rollback").as_deref(), Some("false"));
    assert_eq!(server.requests(), 40, "one batch shared by both metrics");
    let verdicts: serde_json::Value =
        serde_json::from_str(&tool.output("verdicts").unwrap()).unwrap();
    assert_eq!(verdicts[0]["status"], "pass");
    assert_eq!(verdicts[0]["canary"], 1.0);
    let summary = tool.summary();
    assert!(summary.contains("canary-gate: promote"), "{summary}");
    assert!(summary.contains("```mermaid"), "{summary}");
}

#[test]
fn probe_mode_performance_gate_fails_a_slow_service() {
    let server = HttpServer::start();
    server.set_delay(Duration::from_millis(300));
    let tool = job();
    let mut cmd = command(&tool);
    let policy = format!(
        "metrics:
  latency: {{source: probe, kind: latency, statistic: average, url: '{}', requests: 4, concurrency: 4, max: 0.2}}",
        server.url("/")
    );
    ToolJob::inputs(&mut cmd, &[("mode", "probe"), ("policy", &policy)]);
    let out = ToolJob::run(&mut cmd);
    assert!(!out.status.success());
    assert_eq!(tool.output("decision").as_deref(), Some("rollback"));
    assert!(
        tool.output("reason")
            .unwrap()
            .contains("above the maximum 200 ms"),
        "{:?}",
        tool.output("reason")
    );
}

/// Post-deploy monitoring: healthy at first, then an error spike above 5 % during the window
/// ends the watch early with the rollback signal.
#[test]
fn probe_mode_monitoring_window_signals_rollback_on_an_error_spike() {
    let server = HttpServer::start();
    let tool = job();
    let mut cmd = command(&tool);
    let policy = format!(
        "metrics:
  errors: {{source: probe, kind: success-rate, url: '{}', requests: 20, concurrency: 2, min: 0.95}}",
        server.url("/")
    );
    ToolJob::inputs(
        &mut cmd,
        &[
            ("mode", "probe"),
            ("policy", &policy),
            ("window", "20s"),
            ("interval", "300ms"),
        ],
    );
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    server.fail_every(3);
    let started = std::time::Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "the spike ended the window early"
    );
    assert!(!out.status.success(), "{}", text(&out));
    assert_eq!(tool.output("rollback").as_deref(), Some("true"));
    assert_eq!(tool.output("decision").as_deref(), Some("rollback"));
    assert!(
        tool.output("reason")
            .unwrap()
            .contains("below the minimum 95.00 %")
    );
}

fn canary_inputs(a: &Alb, policy: String) -> Vec<(&'static str, String)> {
    let mut v = alb_inputs(a);
    v.extend([
        ("policy", policy),
        ("steps", "10,25,50,100".to_string()),
        ("step-duration", "1s".to_string()),
        ("interval", "500ms".to_string()),
        ("metrics-delay", "0s".to_string()),
    ]);
    v
}

#[tokio::test(flavor = "multi_thread")]
async fn a_healthy_canary_is_promoted_step_by_step() {
    let a = alb("cgp");
    let (canary, baseline) = (HttpServer::start(), HttpServer::start());
    let tool = job();
    let (out, seen) = run_watching(
        &tool,
        &a,
        &canary_inputs(&a, probe_policy(&canary, &baseline)),
    )
    .await;
    let printed = text(&out);
    assert!(out.status.success(), "{printed}");
    assert_eq!(
        seen,
        vec![(1, 0), (90, 10), (75, 25), (50, 50), (0, 100)],
        "{printed}"
    );
    assert_eq!(tool.output("decision").as_deref(), Some("promote"));
    assert_eq!(tool.output("final-weight").as_deref(), Some("100"));
    assert_eq!(tool.output("rollback").as_deref(), Some("false"));
    let summary = tool.summary();
    assert!(summary.contains("xychart-beta"), "{summary}");
    assert!(summary.contains("| 10 | step 10 %"), "{summary}");
    // Latencies are measured on this machine: their chart lines vary, the rest does not.
    let mut in_latency = false;
    let stable: Vec<String> = summary
        .lines()
        .map(|line| {
            if line.starts_with("### ") {
                in_latency = line == "### latency";
            }
            if in_latency && line.trim_start().starts_with("line [") {
                "    line [measured latencies]".to_owned()
            } else {
                line.to_owned()
            }
        })
        .collect();
    insta::assert_snapshot!(gantry_testkit::redact::redact(&stable.join("\n")));
    assert_secret_masked(&printed);
    assert_secret_masked(&summary);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_canary_is_rolled_back_at_once() {
    let a = alb("cgr");
    let (canary, baseline) = (HttpServer::start(), HttpServer::start());
    canary.set_status(503);
    let tool = job();
    let (out, seen) = run_watching(
        &tool,
        &a,
        &canary_inputs(&a, probe_policy(&canary, &baseline)),
    )
    .await;
    assert!(!out.status.success(), "{}", text(&out));
    assert_eq!(seen, vec![(1, 0), (90, 10), (100, 0)], "{}", text(&out));
    assert_eq!(tool.output("decision").as_deref(), Some("rollback"));
    assert_eq!(tool.output("final-weight").as_deref(), Some("0"));
    let reason = tool.output("reason").unwrap();
    assert!(
        reason.contains("success: success-rate is 0.00 %"),
        "{reason}"
    );
    assert!(reason.contains("stable restored to 100 %"), "{reason}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rerun_continues_from_the_live_step_and_dry_run_moves_nothing() {
    let a = alb("cgc");
    let client = elb().await;
    let (canary, baseline) = (HttpServer::start(), HttpServer::start());
    let target = canary_gate::config::AlbTarget {
        listener_arn: a.listener.clone(),
        rule_arn: Some(a.rule.clone()),
        stable_target_group: a.stable.clone(),
        canary_target_group: a.canary.clone(),
    };
    use canary_gate::traffic::Traffic as _;
    canary_gate::traffic::ElbTraffic::new(client.clone(), target)
        .set_weights(canary_gate::steps::Weights::for_percent(25))
        .await
        .unwrap();

    let tool = job();
    let mut inputs = canary_inputs(&a, probe_policy(&canary, &baseline));
    inputs.push(("dry-run", "true".into()));
    let (out, seen) = run_watching(&tool, &a, &inputs).await;
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(seen, vec![(75, 25)]);
    let reason = tool.output("reason").unwrap();
    assert!(
        reason.contains("would walk 25 % for 1s, 50 % for 1s, 100 % for 1s"),
        "{reason}"
    );
    assert_eq!(canary.requests(), 0, "a dry run sends no probes");

    inputs.pop();
    let (out, seen) = run_watching(&tool, &a, &inputs).await;
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(seen, vec![(75, 25), (50, 50), (0, 100)]);
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_during_shifting_restores_stable() {
    // Through the proxy with no fault injected: every call reaches the load balancer as is.
    let run = Proxied::start("cgs", |inputs| {
        inputs.retain(|(k, _)| *k != "step-duration");
        inputs.push(("step-duration", "1m".into()));
    })
    .await;
    let (out, _, tool, a, client) = run.cancel();
    assert!(!out.status.success());
    assert_eq!(weights(&client, &a).await, (100, 0));
    assert_eq!(tool.output("decision").as_deref(), Some("rollback"));
    assert!(
        tool.output("reason")
            .unwrap()
            .contains("cancelled by SIGTERM: stable restored to 100 %")
    );
}

/// A canary run whose load balancer API goes through a fault proxy, started and watched until
/// the canary has its first 10 %: the ALB, the proxy, the job, the running binary.
struct Proxied {
    a: Alb,
    client: aws_sdk_elasticloadbalancingv2::Client,
    proxy: FaultProxy,
    tool: ToolJob,
    child: std::process::Child,
    /// What the run probes, up while it runs.
    _probed: (HttpServer, HttpServer),
}

impl Proxied {
    async fn start(prefix: &str, change: impl FnOnce(&mut Vec<(&'static str, String)>)) -> Proxied {
        let a = alb(prefix);
        let client = elb().await;
        let (canary, baseline) = (HttpServer::start(), HttpServer::start());
        let proxy = FaultProxy::start(&Services::get().moto_url());
        let tool = job();
        let mut inputs = canary_inputs(&a, probe_policy(&canary, &baseline));
        change(&mut inputs);
        let mut cmd = command(&tool);
        cmd.env("AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2", proxy.url());
        let pairs: Vec<(&str, &str)> = inputs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        ToolJob::inputs(&mut cmd, &pairs);
        let child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while weights(&client, &a).await != (90, 10) {
            assert!(
                std::time::Instant::now() < deadline,
                "the canary never got 10 %"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Proxied {
            a,
            client,
            proxy,
            tool,
            child,
            _probed: (canary, baseline),
        }
    }

    /// SIGTERM (the runner cancelling the job), then the run's end: its output, printed.
    fn cancel(
        self,
    ) -> (
        Output,
        String,
        ToolJob,
        Alb,
        aws_sdk_elasticloadbalancingv2::Client,
    ) {
        let kill = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(kill.success());
        let out = self.child.wait_with_output().unwrap();
        let printed = text(&out);
        (out, printed, self.tool, self.a, self.client)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn restoring_stable_is_tried_again_when_the_load_balancer_fails() {
    // One attempt per call, so each failure is one failed try of ours.
    let run = Proxied::start("cgr", |inputs| {
        inputs.retain(|(k, _)| *k != "step-duration");
        inputs.push(("step-duration", "1m".into()));
        inputs.push(("aws-max-attempts", "1".into()));
    })
    .await;
    // The next two calls (the restore's first two tries) fail as a throttled or broken API would.
    run.proxy.inject([Fault::Status(500), Fault::Status(503)]);
    let (out, text, tool, a, client) = run.cancel();
    assert!(!out.status.success(), "{text}");
    assert_eq!(weights(&client, &a).await, (100, 0), "{text}");
    assert!(
        text.contains("restoring stable failed (try 1 of 5)"),
        "{text}"
    );
    assert!(
        text.contains("restoring stable failed (try 2 of 5)"),
        "{text}"
    );
    assert!(
        tool.output("reason")
            .unwrap()
            .contains("cancelled by SIGTERM: stable restored to 100 %"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_while_promoting_lets_the_call_in_flight_land_then_restores_stable() {
    let run = Proxied::start("cgq", |inputs| {
        inputs.retain(|(k, _)| *k != "steps");
        inputs.push(("steps", "10,100".into()));
    })
    .await;
    // No load balancer call while the step is judged: the next one is the promotion's, held
    // 1.5 s as a slow API would hold it; the job is cancelled while it is in flight.
    let before = run.proxy.requests().len();
    run.proxy
        .inject([Fault::Delay(Duration::from_millis(1500))]);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while run.proxy.requests().len() == before {
        assert!(std::time::Instant::now() < deadline, "no promotion started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (out, printed, tool, a, client) = run.cancel();
    assert!(!out.status.success(), "{printed}");
    // The held call landed (it was not dropped to land later), then stable got it all back.
    assert!(
        printed
            .contains("SIGTERM came while promoting: the weight change in flight was let finish"),
        "{printed}"
    );
    assert_eq!(weights(&client, &a).await, (100, 0), "{printed}");
    assert_eq!(
        tool.output("decision").as_deref(),
        Some("rollback"),
        "{printed}"
    );
    assert!(
        tool.output("reason")
            .unwrap()
            .starts_with("cancelled by SIGTERM: stable restored to 100 %"),
        "{printed}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_rule_is_an_error_before_traffic_moves() {
    let a = alb("cgn");
    let client = elb().await;
    let tool = job();
    let mut inputs = canary_inputs(
        &a,
        "metrics: {e: {source: alb, kind: error-rate, max: 0.1}}".into(),
    );
    inputs.retain(|(k, _)| !matches!(*k, "rule-arn" | "interval" | "step-duration"));
    inputs.push(("rule-arn", format!("{}9", a.rule)));
    let mut cmd = command(&tool);
    let pairs: Vec<(&str, &str)> = inputs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    ToolJob::inputs(&mut cmd, &pairs);
    let out = ToolJob::run(&mut cmd);
    let printed = text(&out);
    assert!(!out.status.success());
    assert!(
        printed.contains("listener rule") && printed.contains("check the rule-arn input"),
        "{printed}"
    );
    assert_eq!(weights(&client, &a).await, (1, 0));
}

/// Publishes ALB-shaped metrics for both target groups every 100 ms, as the ALB would, until
/// dropped; `canary_errors` per tick of 5 canary requests.
struct AlbPublisher {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl AlbPublisher {
    async fn start(a: &Alb, canary_errors: f64) -> AlbPublisher {
        use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
        let cw = support::cloudwatch().await;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let lb = canary_gate::metrics::load_balancer_dimension(&a.listener);
        let groups = [
            (
                canary_gate::metrics::target_group_dimension(&a.canary),
                5.0,
                canary_errors,
            ),
            (
                canary_gate::metrics::target_group_dimension(&a.stable),
                45.0,
                0.0,
            ),
        ];
        let flag = stop.clone();
        tokio::spawn(async move {
            while !flag.load(std::sync::atomic::Ordering::SeqCst) {
                let now = aws_smithy_types::DateTime::from(std::time::SystemTime::now());
                let mut put = cw
                    .put_metric_data()
                    .namespace(canary_gate::metrics::ALB_NAMESPACE);
                for (tg, requests, errors) in &groups {
                    for (metric, value) in [
                        ("RequestCount", *requests),
                        ("HTTPCode_Target_5XX_Count", *errors),
                        ("TargetResponseTime", 0.1),
                    ] {
                        put = put.metric_data(
                            MetricDatum::builder()
                                .metric_name(metric)
                                .timestamp(now)
                                .value(value)
                                .dimensions(
                                    Dimension::builder().name("TargetGroup").value(tg).build(),
                                )
                                .dimensions(
                                    Dimension::builder().name("LoadBalancer").value(&lb).build(),
                                )
                                .build(),
                        );
                    }
                }
                put.send().await.unwrap();
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        // Windows end a second behind now and are a second long: let two fill up first.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        AlbPublisher { stop }
    }
}

impl Drop for AlbPublisher {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

fn alb_metric_inputs(a: &Alb) -> Vec<(&'static str, String)> {
    let mut v = alb_inputs(a);
    v.extend([
        (
            "policy",
            "min-requests: 20
metrics:
  errors: {source: alb, kind: error-rate, max: 0.05, max-ratio: 1.5}
  latency: {source: alb, kind: latency, statistic: average, max: 1.0}"
                .to_string(),
        ),
        ("steps", "10,25,50,100".to_string()),
        ("step-duration", "2s".to_string()),
        ("interval", "1s".to_string()),
        ("metrics-delay", "1s".to_string()),
    ]);
    v
}

/// The whole canary judged on the ALB's CloudWatch metrics (published by the test, read by the
/// binary through the CBOR translator in front of the emulator).
#[tokio::test(flavor = "multi_thread")]
async fn alb_metrics_from_cloudwatch_promote_a_healthy_canary() {
    let a = alb("cgwp");
    let _publisher = AlbPublisher::start(&a, 0.0).await;
    let tool = job();
    let mut inputs = alb_metric_inputs(&a);
    inputs.push(("aws-max-attempts", "2".into()));
    let (out, seen) = run_watching_cw(&tool, &a, &inputs).await;
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        seen,
        vec![(1, 0), (90, 10), (75, 25), (50, 50), (0, 100)],
        "{}",
        text(&out)
    );
    let verdicts: serde_json::Value =
        serde_json::from_str(&tool.output("verdicts").unwrap()).unwrap();
    assert_eq!(verdicts[0]["status"], "pass", "{verdicts}");
    assert!(
        verdicts[0]["canary-requests"].as_u64().unwrap() >= 20,
        "{verdicts}"
    );
    assert!(
        (verdicts[1]["canary"].as_f64().unwrap() - 0.1).abs() < 1e-9,
        "{verdicts}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn alb_metrics_from_cloudwatch_roll_back_an_erroring_canary() {
    let a = alb("cgwr");
    let _publisher = AlbPublisher::start(&a, 2.0).await;
    let tool = job();
    let (out, seen) = run_watching_cw(&tool, &a, &alb_metric_inputs(&a)).await;
    assert!(!out.status.success(), "{}", text(&out));
    assert_eq!(seen, vec![(1, 0), (90, 10), (100, 0)], "{}", text(&out));
    let reason = tool.output("reason").unwrap();
    assert!(
        reason.contains("errors: error-rate is 40.00 %, above the maximum 5.00 %"),
        "{reason}"
    );
}

/// [`run_watching`] with CloudWatch reached through the CBOR translator.
async fn run_watching_cw(
    tool: &ToolJob,
    a: &Alb,
    inputs: &[(&str, String)],
) -> (Output, Vec<(i32, i32)>) {
    let mut inputs = inputs.to_vec();
    inputs.push(("__cloudwatch", support::cloudwatch_endpoint()));
    run_watching(tool, a, &inputs).await
}

/// Too little traffic for min-requests: by default stable gets everything back; with
/// `on-inconclusive: hold` the weights stay where the last step left them.
#[tokio::test(flavor = "multi_thread")]
async fn an_inconclusive_analysis_restores_or_holds() {
    let a = alb("cgi");
    let (canary, baseline) = (HttpServer::start(), HttpServer::start());
    let policy =
        probe_policy(&canary, &baseline).replace("min-requests: 10", "min-requests: 100000");
    let tool = job();
    let inputs = canary_inputs(&a, policy);
    let (out, seen) = run_watching(&tool, &a, &inputs).await;
    assert!(!out.status.success());
    assert_eq!(seen, vec![(1, 0), (90, 10), (75, 25), (50, 50), (100, 0)]);
    assert_eq!(tool.output("decision").as_deref(), Some("inconclusive"));
    let reason = tool.output("reason").unwrap();
    assert!(
        reason.contains("fewer than min-requests 100000"),
        "{reason}"
    );
    assert!(reason.contains("(on-inconclusive: rollback)"), "{reason}");

    let b = alb("cgh");
    let mut inputs = canary_inputs(
        &b,
        probe_policy(&canary, &baseline).replace("min-requests: 10", "min-requests: 100000"),
    );
    inputs.push(("on-inconclusive", "hold".into()));
    let (out, seen) = run_watching(&tool, &b, &inputs).await;
    assert!(!out.status.success());
    assert_eq!(seen, vec![(1, 0), (90, 10), (75, 25), (50, 50)]);
    assert_eq!(tool.output("final-weight").as_deref(), Some("50"));
    assert!(
        tool.output("reason")
            .unwrap()
            .contains("re-run to continue")
    );
}

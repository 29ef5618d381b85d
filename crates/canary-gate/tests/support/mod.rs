//! Test support: an ALB in the AWS emulator (made with boto3 from the tools venv, a real client
//! of the real emulator), SDK clients on it, and a real HTTP server on loopback that a test can
//! tell to fail or slow down.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod cbor_proxy;
pub mod ecs;

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::time::Duration;

use gantry_testkit::Services;
use gantry_testkit::http::{FakeHttp, Response};
use gantry_toolkit::{Env, Runner};

/// ARNs of a fresh ALB setup: a listener whose default action and rule forward to `stable`.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Alb {
    pub listener: String,
    pub rule: String,
    pub stable: String,
    pub canary: String,
    /// A third target group, not in any rule.
    pub other: String,
}

/// Starts the step `cmd` with `inputs`, its output piped for the assertions.
pub fn spawn_with_inputs(
    mut cmd: std::process::Command,
    inputs: &[(String, String)],
) -> std::process::Child {
    let pairs: Vec<(&str, &str)> = inputs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    gantry_testkit::ToolJob::inputs(&mut cmd, &pairs);
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// stdout and stderr of a finished step, for assertion messages.
pub fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A policy with one probe metric: the success rate of `canary` against `baseline`, 10
/// requests a look, at least 90 % and no worse than the baseline.
pub fn success_policy(canary: &HttpServer, baseline: &HttpServer) -> String {
    format!(
        "min-requests: 10
metrics:
  success:
    source: probe
    kind: success-rate
    url: {}
    baseline-url: {}
    requests: 10
    concurrency: 2
    min: 0.9
    max-ratio: 1
",
        canary.url("/"),
        baseline.url("/"),
    )
}

/// A name no other test (of any helper) uses: ALB names are at most 32 characters.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}{}{}{}",
        std::process::id() % 10_000,
        N.fetch_add(1, Ordering::SeqCst),
        nanos % 10_000
    )
}

pub fn alb(prefix: &str) -> Alb {
    alb_in(prefix, Services::get().aws_env())
}

/// [`alb`] in the emulator that `aws_env` points at (the ECS driver's moto, for ECS's own
/// traffic shifting).
pub fn alb_in(prefix: &str, aws_env: Vec<(String, String)>) -> Alb {
    let services = Services::get();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/alb.py");
    let out = std::process::Command::new(services.python())
        .arg(script)
        .arg(unique(prefix))
        .envs(aws_env)
        .output()
        .expect("run the ALB setup script");
    assert!(
        out.status.success(),
        "ALB setup failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

pub async fn aws() -> gantry_aws_setup::AwsContext {
    let env = Env::from_iter(Services::get().aws_env());
    let settings = gantry_aws_setup::AwsSettings::from_env("canary-gate-test", &env).unwrap();
    let (runner, _) = Runner::captured(env);
    gantry_aws_setup::load(settings, Arc::new(runner))
        .await
        .unwrap()
}

pub async fn elb() -> aws_sdk_elasticloadbalancingv2::Client {
    let aws = aws().await;
    let mut conf = aws_sdk_elasticloadbalancingv2::config::Builder::from(&aws.config);
    if let Some(url) = aws.endpoint_for("ELASTIC_LOAD_BALANCING_V2") {
        conf = conf.endpoint_url(url);
    }
    aws_sdk_elasticloadbalancingv2::Client::from_conf(conf.build())
}

/// The CBOR translator in front of the emulator, one per test process.
pub fn cloudwatch_endpoint() -> String {
    static PROXY: std::sync::OnceLock<cbor_proxy::CborProxy> = std::sync::OnceLock::new();
    PROXY
        .get_or_init(|| cbor_proxy::CborProxy::start(&Services::get().moto_url()))
        .url
        .clone()
}

/// A CloudWatch client on the emulator, through the CBOR translator.
pub async fn cloudwatch() -> aws_sdk_cloudwatch::Client {
    let aws = aws().await;
    let conf =
        aws_sdk_cloudwatch::config::Builder::from(&aws.config).endpoint_url(cloudwatch_endpoint());
    aws_sdk_cloudwatch::Client::from_conf(conf.build())
}

/// The (target group ARN, weight) pairs of a rule's forward action, as ELBv2 reports them.
pub async fn rule_weights(
    client: &aws_sdk_elasticloadbalancingv2::Client,
    rule: &str,
) -> Vec<(String, i32)> {
    let out = client
        .describe_rules()
        .rule_arns(rule)
        .send()
        .await
        .unwrap();
    let action = out.rules()[0]
        .actions()
        .iter()
        .find(|a| {
            a.r#type() == Some(&aws_sdk_elasticloadbalancingv2::types::ActionTypeEnum::Forward)
        })
        .unwrap()
        .clone();
    match action.forward_config() {
        Some(c) if !c.target_groups().is_empty() => c
            .target_groups()
            .iter()
            .map(|t| {
                (
                    t.target_group_arn().unwrap().to_string(),
                    t.weight().unwrap_or(1),
                )
            })
            .collect(),
        _ => vec![(action.target_group_arn().unwrap().to_string(), 1)],
    }
}

/// A real HTTP/1.1 server on 127.0.0.1 ([`FakeHttp`]: a thread per request) that answers every
/// request with the status and after the delay it is told, or fails every n-th request with 500.
#[derive(Debug)]
pub struct HttpServer {
    pub port: u16,
    status: Arc<AtomicU16>,
    delay_ms: Arc<AtomicU64>,
    fail_every: Arc<AtomicU64>,
    requests: Arc<AtomicU64>,
    server: FakeHttp,
}

impl HttpServer {
    pub fn start() -> HttpServer {
        let status = Arc::new(AtomicU16::new(200));
        let delay_ms = Arc::new(AtomicU64::new(0));
        let fail_every = Arc::new(AtomicU64::new(0));
        let requests = Arc::new(AtomicU64::new(0));
        let server = {
            let (status, delay_ms, fail_every, requests) = (
                status.clone(),
                delay_ms.clone(),
                fail_every.clone(),
                requests.clone(),
            );
            FakeHttp::start(move |_| {
                let n = requests.fetch_add(1, Ordering::SeqCst) + 1;
                std::thread::sleep(Duration::from_millis(delay_ms.load(Ordering::SeqCst)));
                let every = fail_every.load(Ordering::SeqCst);
                let code = if every > 0 && n.is_multiple_of(every) {
                    500
                } else {
                    status.load(Ordering::SeqCst)
                };
                Response::text(code, "ok\n")
            })
        };
        let port = server
            .url()
            .rsplit_once(':')
            .and_then(|(_, port)| port.parse().ok())
            .unwrap();
        HttpServer {
            port,
            status,
            delay_ms,
            fail_every,
            requests,
            server,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    pub fn set_status(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    pub fn set_delay(&self, delay: Duration) {
        self.delay_ms
            .store(delay.as_millis() as u64, Ordering::SeqCst);
    }

    /// Every n-th request answers 500 (0: none).
    pub fn fail_every(&self, n: u64) {
        self.fail_every.store(n, Ordering::SeqCst);
    }

    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }
}

//! aws-setup against the real AWS emulator (moto, started by `scripts/services start`).
// Needs the local services of scripts/services (scripts/test enables the feature).
#![cfg(feature = "local-services")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use gantry_aws_setup::{AwsSettings, load};
use gantry_testkit::Services;
use gantry_testkit::fault_proxy::{Fault, FaultProxy};
use gantry_testkit::http::{FakeHttp, Response};
use gantry_toolkit::capture::Capture;
use gantry_toolkit::{Env, Runner};

fn runner(pairs: Vec<(String, String)>) -> (Arc<Runner>, Capture) {
    let env: Env = pairs.into_iter().collect();
    let (runner, printed) = Runner::captured(env);
    (Arc::new(runner), printed)
}

/// The emulator's endpoint and keys, on a runner (so masks are printed as commands).
fn moto_env() -> Vec<(String, String)> {
    let mut env = Services::get().aws_env();
    env.push(("GITHUB_ACTIONS".into(), "true".into()));
    env
}

fn set(pairs: &mut Vec<(String, String)>, key: &str, value: &str) {
    pairs.retain(|(k, _)| k != key);
    pairs.push((key.into(), value.into()));
}

fn unset(pairs: &mut Vec<(String, String)>, key: &str) {
    pairs.retain(|(k, _)| k != key);
}

async fn identity(pairs: Vec<(String, String)>) -> (gantry_aws_setup::CallerIdentity, String) {
    let (runner, printed) = runner(pairs);
    let settings = AwsSettings::from_env("ecs-rollout", runner.env()).unwrap();
    let aws = load(settings, runner.clone()).await.unwrap();
    let who = aws.caller_identity().await.unwrap();
    (who, printed.contents())
}

#[tokio::test]
async fn endpoint_override_reaches_the_emulator_and_keys_are_masked() {
    let (who, printed) = identity(moto_env()).await;
    assert_eq!(who.account, "123456789012");
    // Static keys from the environment are masked before any request.
    assert!(printed.contains("::add-mask::testing"), "{printed}");
}

#[tokio::test]
async fn per_service_endpoint_wins_over_a_dead_global_endpoint() {
    let mut env = moto_env();
    let moto = Services::get().moto_url();
    // Port 9 (discard) is closed on loopback: only the per-service override can answer.
    set(&mut env, "AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    set(&mut env, "AWS_ENDPOINT_URL_STS", &moto);
    set(&mut env, "INPUT_AWS-MAX-ATTEMPTS", "1");
    let (who, _) = identity(env).await;
    assert_eq!(who.account, "123456789012");
}

/// A GitHub OIDC token endpoint on loopback: answers every request with a token and records
/// the request line and headers.
struct OidcServer {
    url: String,
    server: FakeHttp,
}

impl OidcServer {
    /// The head (request line and headers) of every request so far.
    fn seen(&self) -> Vec<String> {
        self.server
            .requests()
            .iter()
            .map(|r| {
                let mut head = format!("{} {} {}\r\n", r.method, r.path, r.version);
                for (name, value) in &r.headers {
                    head.push_str(&format!("{name}: {value}\r\n"));
                }
                head
            })
            .collect()
    }
}

const JWT: &str =
    "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmdhbnRyeSJ9.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg";

fn oidc_server() -> OidcServer {
    let server = FakeHttp::start(|_| Response::json(200, &serde_json::json!({ "value": JWT })));
    let url = format!("{}/_apis/token?api-version=2.0", server.url());
    OidcServer { url, server }
}

#[tokio::test]
async fn role_to_assume_goes_through_sts_with_a_github_oidc_token() {
    let oidc = oidc_server();
    let mut env = moto_env();
    // No long-lived keys: the web identity is the only way in.
    unset(&mut env, "AWS_ACCESS_KEY_ID");
    unset(&mut env, "AWS_SECRET_ACCESS_KEY");
    set(&mut env, "ACTIONS_ID_TOKEN_REQUEST_URL", &oidc.url);
    set(
        &mut env,
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "runner-request-token",
    );
    set(
        &mut env,
        "INPUT_ROLE-TO-ASSUME",
        "arn:aws:iam::123456789012:role/gantry-deploy",
    );
    set(&mut env, "GITHUB_RUN_ID", "4242");

    let (who, printed) = identity(env).await;
    assert_eq!(
        who.arn,
        "arn:aws:sts::123456789012:assumed-role/gantry-deploy/gantry-ecs-rollout-4242"
    );

    let seen = oidc.seen();
    assert_eq!(seen.len(), 1, "one token request: {seen:?}");
    let request = seen[0].to_ascii_lowercase();
    assert!(
        request.starts_with("get /_apis/token?api-version=2.0&audience=sts.amazonaws.com "),
        "{request}"
    );
    assert!(
        request.contains("authorization: bearer runner-request-token"),
        "{request}"
    );

    // The OIDC token and the session credentials are masked, line by line, before use.
    assert!(printed.contains(&format!("::add-mask::{JWT}")), "{printed}");
    let masks = printed.matches("::add-mask::").count();
    assert!(
        masks >= 4,
        "token, key id, secret and session token masked:\n{printed}"
    );
}

#[tokio::test]
async fn role_to_assume_without_oidc_chains_from_the_base_keys() {
    let mut env = moto_env();
    set(
        &mut env,
        "INPUT_ROLE-TO-ASSUME",
        "arn:aws:iam::123456789012:role/chained",
    );
    set(&mut env, "INPUT_ROLE-SESSION-NAME", "chain-test");
    let (who, _) = identity(env).await;
    assert_eq!(
        who.arn,
        "arn:aws:sts::123456789012:assumed-role/chained/chain-test"
    );
}

#[tokio::test]
async fn retries_follow_max_attempts_and_requests_carry_gantrys_user_agent() {
    let proxy = FaultProxy::start(&Services::get().moto_url());
    let mut env = moto_env();
    set(&mut env, "AWS_ENDPOINT_URL", &proxy.url());
    set(&mut env, "INPUT_AWS-MAX-ATTEMPTS", "3");

    // Two server errors then the real emulator: the third attempt succeeds.
    proxy.inject([Fault::Status(500), Fault::Drop]);
    let (who, _) = identity(env.clone()).await;
    assert_eq!(who.account, "123456789012");
    let requests = proxy.requests();
    assert_eq!(requests.len(), 3, "{requests:#?}");
    let agent = requests[2]
        .header("user-agent")
        .unwrap_or_default()
        .to_string()
        + " "
        + requests[2].header("x-amz-user-agent").unwrap_or_default();
    assert!(
        agent.contains(&format!(
            "app/gantry-ecs-rollout-{}",
            env!("CARGO_PKG_VERSION")
        )),
        "{agent}"
    );

    // One attempt only: the same fault is final.
    set(&mut env, "INPUT_AWS-MAX-ATTEMPTS", "1");
    proxy.inject([Fault::Status(500)]);
    let (runner, _) = runner(env);
    let settings = AwsSettings::from_env("ecs-rollout", runner.env()).unwrap();
    let aws = load(settings, runner.clone()).await.unwrap();
    let err = aws.caller_identity().await.unwrap_err().to_string();
    assert!(err.contains("sts:GetCallerIdentity"), "{err}");
    assert_eq!(proxy.requests().len(), 4);
}

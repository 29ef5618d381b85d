//! The `canary-gate` binary calling its webhooks: the receiver is a real HTTP server on
//! loopback that the test controls (it answers yes, no, or fails, per hook), the ALB is in the
//! AWS emulator and the ECS services on the ECS driver, as in the other binary tests. What is
//! checked is what the receiver got (the documented JSON, Slack and Teams shapes, each body's
//! HMAC, verified here with the `hmac` crate), what AWS shows afterwards (weights, calls), and
//! that neither the webhook secret nor a URL's path is ever printed.
// Needs the local services of scripts/services (scripts/test enables the feature).
#![cfg(feature = "local-services")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use std::process::{Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_ecs::types as ecs;
use gantry_testkit::ecs_driver::{EcsDriver, Scenario};
use gantry_testkit::http::{FakeHttp, Request, Response};
use gantry_testkit::{Services, ToolJob};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use support::{Alb, HttpServer, alb, alb_in, elb, rule_weights, success_policy, text, unique};

/// The part of every hook URL that stands for an incoming-webhook credential.
const SECRET_PATH: &str = "T0001-B0002-S3cretHookPath";
/// `webhook-secret`.
const WEBHOOK_SECRET: &str = "whsec-0123456789-abcdef-s3cret";

/// The hooks' receiver. A hook's URL is `/h/<SECRET_PATH>/<name>/<answer>`, and `answer` says
/// how it answers: `yes` 202, `no` 403, `down` 500, `unhappy` 503, `later` 403 twice then 200,
/// `tired` 200 twice then, after 400 ms, 500.
fn receiver() -> FakeHttp {
    FakeHttp::start(|r| {
        let answer = r.route().rsplit('/').next().unwrap_or_default().to_owned();
        match answer.as_str() {
            "yes" => Response::text(202, "accepted"),
            "no" => Response::text(403, "no"),
            "down" => Response::text(500, "down"),
            "unhappy" => Response::text(503, "smoke test failed"),
            "later" if r.seen < 2 => Response::text(403, "not yet"),
            "later" => Response::text(200, "go"),
            "tired" if r.seen < 2 => Response::text(200, "started"),
            "tired" => {
                // Slow enough for the test to see the weights of the look it fails.
                std::thread::sleep(Duration::from_millis(400));
                Response::text(500, "overloaded")
            }
            _ => Response::text(404, "no such hook"),
        }
    })
}

fn hook_url(server: &FakeHttp, name: &str, answer: &str) -> String {
    format!("{}/h/{SECRET_PATH}/{name}/{answer}", server.url())
}

/// The requests hook `name` got, in order.
fn calls(server: &FakeHttp, name: &str) -> Vec<Request> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.route().split('/').nth(3) == Some(name))
        .collect()
}

/// The body is signed with [`WEBHOOK_SECRET`] as GitHub signs its webhooks.
fn assert_signed(r: &Request) {
    let mut mac = Hmac::<Sha256>::new_from_slice(WEBHOOK_SECRET.as_bytes()).unwrap();
    mac.update(&r.body);
    let want = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(
        r.header("X-Gantry-Signature-256"),
        Some(want.as_str()),
        "{} is not signed right",
        r.text()
    );
    assert_eq!(r.method, "POST");
    assert_eq!(r.header("Content-Type"), Some("application/json"));
}

/// Neither the webhook secret nor a hook URL's path shows in what the step printed (but for
/// the `::add-mask::` commands that hide them), its summary or its outputs.
fn assert_nothing_leaks(printed: &str, tool: &ToolJob) {
    let outputs: String = tool
        .outputs()
        .into_iter()
        .map(|(k, v)| format!("{k}={v}\n"))
        .collect();
    for (what, text) in [
        ("the log", printed),
        ("the summary", &tool.summary()),
        ("the outputs", &outputs),
    ] {
        for line in text.lines().filter(|l| !l.starts_with("::add-mask::")) {
            assert!(
                !line.contains(SECRET_PATH) && !line.contains(WEBHOOK_SECRET),
                "a webhook secret shows in {what}: {line}"
            );
        }
    }
    assert!(
        printed.contains(&format!("::add-mask::{WEBHOOK_SECRET}")),
        "the secret is not masked: {printed}"
    );
}

/// The canary's inputs on `a`, judged by probes of `canary` against `baseline`, with `hooks`
/// (YAML) signed with [`WEBHOOK_SECRET`].
fn inputs(
    a: &Alb,
    canary: &HttpServer,
    baseline: &HttpServer,
    steps: &str,
    hooks: String,
) -> Vec<(&'static str, String)> {
    vec![
        ("listener-arn", a.listener.clone()),
        ("rule-arn", a.rule.clone()),
        ("stable-target-group", a.stable.clone()),
        ("canary-target-group", a.canary.clone()),
        ("policy", success_policy(canary, baseline)),
        ("steps", steps.to_owned()),
        ("step-duration", "1s".to_owned()),
        ("interval", "500ms".to_owned()),
        ("metrics-delay", "0s".to_owned()),
        ("webhooks", hooks),
        ("webhook-secret", WEBHOOK_SECRET.to_owned()),
    ]
}

/// The run's GitHub context: what `repository`, `sha` and `run_url` come from.
const GITHUB_ENV: &[(&str, &str)] = &[
    ("GITHUB_SERVER_URL", "https://github.com"),
    ("GITHUB_REPOSITORY", "acme/shop"),
    ("GITHUB_RUN_ID", "4242"),
    ("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567"),
];

/// Runs the binary to the end (`env` on top of the AWS emulator's) while recording every
/// distinct (stable, canary) weight pair of the rule.
async fn run_watching(
    tool: &ToolJob,
    a: &Alb,
    inputs: &[(&str, String)],
    env: &[(&str, String)],
) -> (Output, Vec<(i32, i32)>) {
    let client = elb().await;
    let mut cmd = tool.command(tool.temp());
    for (k, v) in Services::get().aws_env() {
        cmd.env(k, v);
    }
    for (k, v) in GITHUB_ENV {
        cmd.env(k, v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let pairs: Vec<(&str, &str)> = inputs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    ToolJob::inputs(&mut cmd, &pairs);
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
    let get = |tg: &str| raw.iter().find(|(arn, _)| arn == tg).map_or(0, |(_, w)| *w);
    (get(&a.stable), get(&a.canary))
}

/// A confirm-promotion hook that keeps saying no: the canary stays at its last step (never
/// 100 %), the hook is asked every interval, and at the deadline stable gets all traffic back;
/// the rollback notification says why.
#[tokio::test(flavor = "multi_thread")]
async fn a_confirm_promotion_hook_that_says_no_holds_the_weights_until_the_deadline_then_rolls_back()
 {
    let a = alb("whc");
    let (canary, baseline, hooks) = (HttpServer::start(), HttpServer::start(), receiver());
    let yaml = format!(
        "- {{name: approve, type: confirm-promotion, url: '{}', timeout: 2s}}\n\
         - {{name: oncall, type: rollback, url: '{}'}}\n\
         - {{name: party, type: promotion, url: '{}'}}\n",
        hook_url(&hooks, "approve", "no"),
        hook_url(&hooks, "oncall", "yes"),
        hook_url(&hooks, "party", "yes"),
    );
    let mut inputs = inputs(&a, &canary, &baseline, "25,100", yaml);
    // Enough evidence or not, the analysis would promote: the hook alone holds it.
    inputs.push(("on-inconclusive", "promote".into()));
    inputs.push(("timeout-seconds", "6".into()));
    let tool = ToolJob::new(env!("CARGO_BIN_EXE_canary-gate"));
    let started = Instant::now();
    let (out, seen) = run_watching(&tool, &a, &inputs, &[]).await;
    let printed = text(&out);
    assert!(!out.status.success(), "{printed}");
    assert!(started.elapsed() >= Duration::from_secs(5), "{printed}");
    assert_eq!(seen, vec![(1, 0), (75, 25), (100, 0)], "{printed}");
    assert_eq!(tool.output("decision").as_deref(), Some("rollback"));
    assert_eq!(tool.output("final-weight").as_deref(), Some("0"));
    let reason = tool.output("reason").unwrap();
    assert!(
        reason.starts_with("the timeout of 6s ran out while the promotion waited for confirmation (confirm-promotion hook 'approve' answered HTTP 403 (no)): stable restored to 100 %"),
        "{reason}"
    );
    assert!(
        printed.contains("the promotion is held at 25 %; asking again in 500ms"),
        "{printed}"
    );

    let asked = calls(&hooks, "approve");
    assert!(asked.len() >= 4, "asked every interval: {}", asked.len());
    for r in &asked {
        assert_signed(r);
        assert_eq!(r.header("X-Gantry-Event"), Some("confirm-promotion"));
        assert_eq!(r.header("X-Gantry-Hook"), Some("approve"));
        let body = r.json();
        assert_eq!(body["event"], "confirm-promotion", "{body}");
        assert_eq!(body["phase"], "waiting-promotion", "{body}");
        assert_eq!(
            body["weights"],
            json!({"stable": 75, "canary": 25}),
            "{body}"
        );
    }
    let told = calls(&hooks, "oncall");
    assert_eq!(told.len(), 1, "{printed}");
    assert_signed(&told[0]);
    let body = told[0].json();
    assert_eq!(body["event"], "rollback", "{body}");
    assert_eq!(body["type"], "rollback", "{body}");
    assert_eq!(body["phase"], "failed", "{body}");
    assert_eq!(body["decision"], "rollback", "{body}");
    assert_eq!(
        body["weights"],
        json!({"stable": 100, "canary": 0}),
        "{body}"
    );
    assert_eq!(body["reason"], reason.as_str(), "{body}");
    assert_eq!(body["canary"]["target_group"], a.canary.as_str(), "{body}");
    assert_eq!(body["target"]["rule_arn"], a.rule.as_str(), "{body}");
    assert!(calls(&hooks, "party").is_empty(), "nothing was promoted");
    assert_nothing_leaks(&printed, &tool);
}

/// A confirm-promotion hook that says yes at the third ask: the canary is promoted then, and
/// the notifications arrive in their three shapes, all signed; a receiver that answers 500 is
/// tried three times and only warned of.
#[tokio::test(flavor = "multi_thread")]
async fn a_promotion_waits_for_its_confirmation_and_is_told_in_json_slack_and_teams() {
    let a = alb("whp");
    let (canary, baseline, hooks) = (HttpServer::start(), HttpServer::start(), receiver());
    let yaml = format!(
        "- {{name: approve, type: confirm-promotion, url: '{}'}}\n\
         - {{name: chat, type: promotion, url: '{}', format: slack, metadata: {{team: payments}}}}\n\
         - {{name: channel, type: post-rollout, url: '{}', format: teams}}\n\
         - {{name: audit, type: promotion, url: '{}', metadata: {{ticket: CHG-1, attempt: 2}}}}\n\
         - {{name: flaky, type: promotion, url: '{}', timeout: 2s}}\n\
         - {{name: oncall, type: rollback, url: '{}'}}\n",
        hook_url(&hooks, "approve", "later"),
        hook_url(&hooks, "chat", "yes"),
        hook_url(&hooks, "channel", "yes"),
        hook_url(&hooks, "audit", "yes"),
        hook_url(&hooks, "flaky", "down"),
        hook_url(&hooks, "oncall", "yes"),
    );
    let mut inputs = inputs(&a, &canary, &baseline, "25,100", yaml);
    inputs.push(("on-inconclusive", "promote".into()));
    let tool = ToolJob::new(env!("CARGO_BIN_EXE_canary-gate"));
    let (out, seen) = run_watching(&tool, &a, &inputs, &[]).await;
    let printed = text(&out);
    assert!(out.status.success(), "{printed}");
    assert_eq!(seen, vec![(1, 0), (75, 25), (0, 100)], "{printed}");
    assert_eq!(tool.output("decision").as_deref(), Some("promote"));
    assert_eq!(calls(&hooks, "approve").len(), 3, "{printed}");
    assert!(
        printed.contains("the confirm-promotion hooks said yes: promoting"),
        "{printed}"
    );

    let one = |name: &str| {
        let got = calls(&hooks, name);
        assert_eq!(got.len(), 1, "{name}: {printed}");
        assert_signed(&got[0]);
        assert_eq!(got[0].header("X-Gantry-Event"), Some("promotion"));
        assert_eq!(got[0].header("X-Gantry-Hook"), Some(name));
        got[0].json()
    };
    let audit = one("audit");
    assert_eq!(audit["version"], 1, "{audit}");
    assert_eq!(audit["event"], "promotion", "{audit}");
    assert_eq!(audit["name"], "audit", "{audit}");
    assert_eq!(audit["phase"], "succeeded", "{audit}");
    assert_eq!(audit["mode"], "canary", "{audit}");
    assert_eq!(audit["decision"], "promote", "{audit}");
    assert_eq!(
        audit["weights"],
        json!({"stable": 0, "canary": 100}),
        "{audit}"
    );
    assert_eq!(audit["metadata"], json!({"ticket": "CHG-1", "attempt": 2}));
    assert_eq!(audit["repository"], "acme/shop", "{audit}");
    assert_eq!(
        audit["run_url"], "https://github.com/acme/shop/actions/runs/4242",
        "{audit}"
    );
    assert_eq!(audit["target"]["listener_arn"], a.listener.as_str());
    assert_eq!(audit["baseline"]["target_group"], a.stable.as_str());
    assert!(
        audit["timestamp"].as_str().unwrap().ends_with('Z'),
        "{audit}"
    );
    assert_eq!(audit["reason"], tool.output("reason").unwrap().as_str());

    let slack = one("chat");
    let text_line = slack["text"].as_str().unwrap();
    assert!(text_line.starts_with("Promoted: "), "{slack}");
    assert_eq!(slack["blocks"][0]["type"], "header", "{slack}");
    let fields: Vec<String> = slack["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| b["fields"].as_array().cloned().unwrap_or_default())
        .map(|f| f["text"].as_str().unwrap().to_owned())
        .collect();
    for field in [
        "*Decision*\npromote",
        "*Canary traffic*\n100 %",
        "*team*\npayments",
    ] {
        assert!(fields.iter().any(|f| f == field), "{field:?} in {slack}");
    }
    assert!(
        slack
            .to_string()
            .contains("<https://github.com/acme/shop/actions/runs/4242|View the run>"),
        "{slack}"
    );

    let teams = one("channel");
    assert_eq!(teams["type"], "message", "{teams}");
    let card = &teams["attachments"][0];
    assert_eq!(
        card["contentType"], "application/vnd.microsoft.card.adaptive",
        "{teams}"
    );
    assert_eq!(card["content"]["type"], "AdaptiveCard", "{teams}");
    assert!(
        card["content"]["body"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("Promoted: "),
        "{teams}"
    );
    let facts = card["content"]["body"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "FactSet")
        .unwrap()["facts"]
        .clone();
    assert!(
        facts
            .as_array()
            .unwrap()
            .contains(&json!({"title": "Decision", "value": "promote"})),
        "{teams}"
    );
    assert_eq!(
        card["content"]["actions"][0]["url"],
        "https://github.com/acme/shop/actions/runs/4242"
    );

    // The receiver that fails: three tries, then a warning; the run still succeeded.
    assert_eq!(calls(&hooks, "flaky").len(), 3, "{printed}");
    assert!(
        printed.contains("::warning::promotion hook 'flaky' answered HTTP 500 (down): the promotion notification was not delivered (the outcome stands)"),
        "{printed}"
    );
    assert!(calls(&hooks, "oncall").is_empty(), "no rollback was told");
    assert_nothing_leaks(&printed, &tool);
}

/// A rollout hook starts every look; when it answers 500 the canary is rolled back at once,
/// as on a failing critical metric, and the reason names the hook.
#[tokio::test(flavor = "multi_thread")]
async fn a_rollout_hook_that_fails_rolls_the_canary_back() {
    let a = alb("whr");
    let (canary, baseline, hooks) = (HttpServer::start(), HttpServer::start(), receiver());
    let yaml = format!(
        "- {{name: load, type: rollout, url: '{}', metadata: {{cmd: 'hey -z 1m'}}}}\n\
         - {{name: oncall, type: rollback, url: '{}', format: slack}}\n",
        hook_url(&hooks, "load", "tired"),
        hook_url(&hooks, "oncall", "yes"),
    );
    let inputs = inputs(&a, &canary, &baseline, "10,25,50,100", yaml);
    let tool = ToolJob::new(env!("CARGO_BIN_EXE_canary-gate"));
    let (out, seen) = run_watching(&tool, &a, &inputs, &[]).await;
    let printed = text(&out);
    assert!(!out.status.success(), "{printed}");
    // Two looks at 10 % (the hook said yes), the first at 25 % (it said no): back to stable.
    assert_eq!(
        seen,
        vec![(1, 0), (90, 10), (75, 25), (100, 0)],
        "{printed}"
    );
    assert_eq!(tool.output("decision").as_deref(), Some("rollback"));
    let reason = tool.output("reason").unwrap();
    assert!(
        reason.starts_with("rollout hook 'load' answered HTTP 500 (overloaded): a failing rollout hook fails the analysis; stable restored to 100 %"),
        "{reason}"
    );
    let looks = calls(&hooks, "load");
    assert_eq!(looks.len(), 3, "{printed}");
    for r in &looks {
        assert_signed(r);
    }
    let first = looks[0].json();
    assert_eq!(first["event"], "rollout", "{first}");
    assert_eq!(first["phase"], "progressing", "{first}");
    assert_eq!(
        first["weights"],
        json!({"stable": 90, "canary": 10}),
        "{first}"
    );
    assert_eq!(first["decision"], Value::Null, "{first}");
    assert_eq!(first["metadata"], json!({"cmd": "hey -z 1m"}), "{first}");
    assert_eq!(looks[2].json()["weights"]["canary"], 25);
    let told = calls(&hooks, "oncall");
    assert_eq!(told.len(), 1, "{printed}");
    let slack = told[0].json();
    assert!(
        slack["text"].as_str().unwrap().starts_with("Rolled back: ")
            && slack["text"]
                .as_str()
                .unwrap()
                .contains("rollout hook 'load' answered HTTP 500"),
        "{slack}"
    );
    assert_nothing_leaks(&printed, &tool);
}

/// A loopback stand-in for the load balancer API that forwards every call to the emulator and
/// records its action (`Action=` of the query protocol).
fn elb_recorder() -> (FakeHttp, Arc<Mutex<Vec<String>>>) {
    let upstream = Services::get().moto_url().trim_end_matches('/').to_owned();
    let actions = Arc::new(Mutex::new(Vec::new()));
    let seen = actions.clone();
    let server = FakeHttp::start(move |r| {
        if let Some(action) = r
            .text()
            .split('&')
            .find_map(|kv| kv.strip_prefix("Action="))
        {
            seen.lock().unwrap().push(action.to_owned());
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut request = agent.post(format!("{upstream}{}", r.path));
        for (k, v) in &r.headers {
            let k = k.to_ascii_lowercase();
            if !matches!(
                k.as_str(),
                "host" | "content-length" | "connection" | "transfer-encoding" | "expect"
            ) {
                request = request.header(k.as_str(), v.as_str());
            }
        }
        let mut answer = request.send(&r.body[..]).unwrap();
        let status = answer.status().as_u16();
        let content_type = answer
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("text/xml")
            .to_owned();
        let body = answer.body_mut().read_to_vec().unwrap();
        Response {
            status,
            headers: vec![("Content-Type".to_owned(), content_type)],
            body,
        }
    });
    (server, actions)
}

/// A pre-rollout hook that says no stops the run before anything changes: no ModifyRule, the
/// weights as they were, no probe sent; the failure notification says why.
#[tokio::test(flavor = "multi_thread")]
async fn a_pre_rollout_hook_that_says_no_changes_nothing() {
    let a = alb("whn");
    let (canary, baseline, hooks) = (HttpServer::start(), HttpServer::start(), receiver());
    let (recorder, actions) = elb_recorder();
    let yaml = format!(
        "- {{name: smoke, type: pre-rollout, url: '{}'}}\n\
         - {{name: oncall, type: failure, url: '{}', format: teams}}\n\
         - {{name: audit, type: post-rollout, url: '{}'}}\n\
         - {{name: rolled, type: rollback, url: '{}'}}\n",
        hook_url(&hooks, "smoke", "unhappy"),
        hook_url(&hooks, "oncall", "yes"),
        hook_url(&hooks, "audit", "yes"),
        hook_url(&hooks, "rolled", "yes"),
    );
    let inputs = inputs(&a, &canary, &baseline, "10,25,50,100", yaml);
    let tool = ToolJob::new(env!("CARGO_BIN_EXE_canary-gate"));
    let env = [("AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2", recorder.url())];
    let (out, seen) = run_watching(&tool, &a, &inputs, &env).await;
    let printed = text(&out);
    assert!(!out.status.success(), "{printed}");
    assert!(
        printed.contains("pre-rollout hook 'smoke' answered HTTP 503 (smoke test failed): the run stopped before changing anything"),
        "{printed}"
    );
    assert_eq!(seen, vec![(1, 0)], "{printed}");
    let actions = actions.lock().unwrap().clone();
    assert!(!actions.is_empty(), "the recorder saw no call");
    assert!(
        actions.iter().all(|a| a.starts_with("Describe")),
        "only reads: {actions:?}"
    );
    assert_eq!(canary.requests() + baseline.requests(), 0, "no probe sent");
    let smoke = calls(&hooks, "smoke");
    assert_eq!(smoke.len(), 1);
    assert_signed(&smoke[0]);
    let body = smoke[0].json();
    assert_eq!(body["event"], "pre-rollout", "{body}");
    assert_eq!(body["phase"], "starting", "{body}");
    assert_eq!(
        body["weights"],
        json!({"stable": 100, "canary": 0}),
        "{body}"
    );

    let audit = calls(&hooks, "audit");
    assert_eq!(audit.len(), 1, "{printed}");
    let body = audit[0].json();
    assert_eq!(body["event"], "failure", "{body}");
    assert_eq!(body["type"], "post-rollout", "{body}");
    assert_eq!(body["phase"], "failed", "{body}");
    assert_eq!(body["decision"], Value::Null, "{body}");
    assert!(
        body["reason"]
            .as_str()
            .unwrap()
            .starts_with("pre-rollout hook 'smoke' answered HTTP 503"),
        "{body}"
    );
    let teams = calls(&hooks, "oncall");
    assert_eq!(teams.len(), 1, "{printed}");
    assert_eq!(
        teams[0].json()["attachments"][0]["content"]["body"][0]["text"]
            .as_str()
            .unwrap()
            .split(':')
            .next(),
        Some("Failed")
    );
    assert!(
        calls(&hooks, "rolled").is_empty(),
        "nothing was rolled back"
    );
    assert_nothing_leaks(&printed, &tool);
}

/// The same with the ECS services: the canary service is not deployed (no UpdateService or any
/// other change on the cluster), stable is untouched, no traffic moved.
#[tokio::test(flavor = "multi_thread")]
async fn a_pre_rollout_hook_that_says_no_leaves_the_ecs_services_alone() {
    let driver = EcsDriver::shared();
    let client = support::ecs::client(driver.url());
    let name = unique("whe");
    let (cluster, family) = (format!("c-{name}"), format!("api-{name}"));
    let revisions =
        support::ecs::cluster_with_revisions(&client, &cluster, &family, &["v1", "v2"]).await;
    for (service, count) in [("stable", 2), ("canary", 0)] {
        client
            .create_service()
            .cluster(&cluster)
            .service_name(service)
            .task_definition(&revisions[0])
            .desired_count(count)
            .launch_type(ecs::LaunchType::Fargate)
            .send()
            .await
            .unwrap();
        support::ecs::wait_until_settled(&client, &cluster, service).await;
    }
    let a = alb("whe");
    let (canary, baseline, hooks) = (HttpServer::start(), HttpServer::start(), receiver());
    let yaml = format!(
        "- {{name: smoke, type: pre-rollout, url: '{}'}}\n",
        hook_url(&hooks, "smoke", "no")
    );
    let mut inputs = inputs(&a, &canary, &baseline, "25,50,100", yaml);
    inputs.extend([
        ("cluster", cluster.clone()),
        ("stable-service", "stable".into()),
        ("canary-service", "canary".into()),
        ("task-definition", format!("{family}:2")),
    ]);
    let tool = ToolJob::new(env!("CARGO_BIN_EXE_canary-gate"));
    let env = [("AWS_ENDPOINT_URL_ECS", driver.url().to_owned())];
    let (out, seen) = run_watching(&tool, &a, &inputs, &env).await;
    let printed = text(&out);
    assert!(!out.status.success(), "{printed}");
    assert!(
        printed.contains("pre-rollout hook 'smoke' answered HTTP 403 (no)"),
        "{printed}"
    );
    assert_eq!(seen, vec![(1, 0)], "{printed}");
    let changes: Vec<String> = driver
        .requests()
        .into_iter()
        .filter(|(_, op, c)| {
            *c == cluster && !op.starts_with("Describe") && !op.starts_with("List")
        })
        .map(|(_, op, _)| op)
        .collect();
    // The setup's own calls come before the run; none of them is an UpdateService.
    assert!(
        !changes.iter().any(|op| op == "UpdateService"),
        "{changes:?}\n{printed}"
    );
    let canary_service = support::ecs::service(&client, &cluster, "canary").await;
    assert_eq!(canary_service.desired_count(), 0);
    assert_eq!(
        canary_service.task_definition(),
        Some(revisions[0].as_str())
    );
    let stable = support::ecs::service(&client, &cluster, "stable").await;
    assert_eq!(stable.task_definition(), Some(revisions[0].as_str()));
    assert_eq!(stable.deployments().len(), 1);
    assert_nothing_leaks(&printed, &tool);
}

/// Service `api` of a new cluster on the ECS driver, on ECS's own CANARY strategy (20 %)
/// between the two groups of an ALB rule in the driver's moto (all traffic on `stable`), with
/// `family:1` live and `family:2` registered: (ALB, ECS client, cluster, family, revisions).
async fn native_service(prefix: &str) -> (Alb, aws_sdk_ecs::Client, String, String, Vec<String>) {
    use aws_sdk_elasticloadbalancingv2::types as lb;
    let driver = EcsDriver::shared();
    let a = alb_in(prefix, driver.aws_env());
    let client = support::ecs::client(driver.url());
    let elb_conf = aws_sdk_elasticloadbalancingv2::Config::builder()
        .behavior_version(aws_sdk_elasticloadbalancingv2::config::BehaviorVersion::latest())
        .region(aws_sdk_elasticloadbalancingv2::config::Region::new(
            "us-east-1",
        ))
        .endpoint_url(driver.url())
        .credentials_provider(aws_sdk_elasticloadbalancingv2::config::Credentials::new(
            "testing", "testing", None, None, "t",
        ))
        .build();
    let elb = aws_sdk_elasticloadbalancingv2::Client::from_conf(elb_conf);
    let group = |arn: &str, weight: i32| {
        lb::TargetGroupTuple::builder()
            .target_group_arn(arn)
            .weight(weight)
            .build()
    };
    elb.modify_rule()
        .rule_arn(&a.rule)
        .actions(
            lb::Action::builder()
                .r#type(lb::ActionTypeEnum::Forward)
                .forward_config(
                    lb::ForwardActionConfig::builder()
                        .target_groups(group(&a.stable, 100))
                        .target_groups(group(&a.canary, 0))
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let name = unique(prefix);
    let (cluster, family) = (format!("c-{name}"), format!("api-{name}"));
    let revisions =
        support::ecs::cluster_with_revisions(&client, &cluster, &family, &["v1", "v2"]).await;
    client
        .create_service()
        .cluster(&cluster)
        .service_name("api")
        .task_definition(&revisions[0])
        .desired_count(2)
        .launch_type(ecs::LaunchType::Fargate)
        .load_balancers(
            ecs::LoadBalancer::builder()
                .target_group_arn(&a.stable)
                .container_name("app")
                .container_port(80)
                .advanced_configuration(
                    ecs::AdvancedConfiguration::builder()
                        .alternate_target_group_arn(&a.canary)
                        .production_listener_rule(&a.rule)
                        .role_arn("arn:aws:iam::123456789012:role/ecs-infrastructure")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    client
        .update_service()
        .cluster(&cluster)
        .service("api")
        .deployment_configuration(
            ecs::DeploymentConfiguration::builder()
                .strategy(ecs::DeploymentStrategy::Canary)
                .canary_configuration(
                    ecs::CanaryConfiguration::builder()
                        .canary_percent(20.0)
                        .canary_bake_time_in_minutes(1)
                        .build(),
                )
                .bake_time_in_minutes(0)
                .build(),
        )
        .send()
        .await
        .unwrap();
    support::ecs::wait_until_settled(&client, &cluster, "api").await;
    (a, client, cluster, family, revisions)
}

/// And with ECS's own CANARY deployment: no UpdateService (the deployment never starts), no
/// baseline tag, the service on its revision.
#[tokio::test(flavor = "multi_thread")]
async fn a_pre_rollout_hook_that_says_no_starts_no_ecs_deployment() {
    let driver = EcsDriver::shared();
    let (a, client, cluster, family, revisions) = native_service("whd").await;
    let updates_before = driver
        .requests()
        .iter()
        .filter(|(_, op, c)| op == "UpdateService" && *c == cluster)
        .count();

    let (new, live, hooks) = (HttpServer::start(), HttpServer::start(), receiver());
    let yaml = format!(
        "- {{name: smoke, type: pre-rollout, url: '{}'}}\n- {{name: told, type: failure, url: '{}'}}\n",
        hook_url(&hooks, "smoke", "down"),
        hook_url(&hooks, "told", "yes"),
    );
    let inputs = native_inputs(&a, &new, &live, &cluster, &family, yaml);
    let tool = ToolJob::new(env!("CARGO_BIN_EXE_canary-gate"));
    let cmd = on_driver(&tool, driver);
    let out = support::spawn_with_inputs(cmd, &inputs)
        .wait_with_output()
        .unwrap();
    let printed = text(&out);
    assert!(!out.status.success(), "{printed}");
    assert!(
        printed.contains("pre-rollout hook 'smoke' answered HTTP 500 (down): the run stopped before changing anything"),
        "{printed}"
    );
    let calls_of = |op: &str| {
        driver
            .requests()
            .iter()
            .filter(|(_, o, c)| o == op && *c == cluster)
            .count()
    };
    assert_eq!(calls_of("UpdateService"), updates_before, "{printed}");
    assert_eq!(calls_of("TagResource"), 0, "{printed}");
    let service = support::ecs::service(&client, &cluster, "api").await;
    assert_eq!(service.task_definition(), Some(revisions[0].as_str()));
    assert_eq!(service.deployments().len(), 1);
    assert_eq!(new.requests() + live.requests(), 0, "no probe sent");
    assert_eq!(calls(&hooks, "told").len(), 1, "{printed}");
    assert_nothing_leaks(&printed, &tool);
}

/// A rollout hook that says no while ECS's own CANARY deployment runs: canary-gate stops the
/// deployment with a rollback (StopServiceDeployment), and the service stays on its revision.
#[tokio::test(flavor = "multi_thread")]
async fn a_rollout_hook_that_says_no_stops_ecs_own_deployment() {
    let driver = EcsDriver::shared();
    let (a, client, cluster, family, revisions) = native_service("whx").await;
    driver.scenario(&cluster, "api", &[Scenario::Healthy { after: 30.0 }]);
    let (new, live, hooks) = (HttpServer::start(), HttpServer::start(), receiver());
    let yaml = format!(
        "- {{name: load, type: rollout, url: '{}'}}\n",
        hook_url(&hooks, "load", "down")
    );
    let inputs = native_inputs(&a, &new, &live, &cluster, &family, yaml);
    let tool = ToolJob::new(env!("CARGO_BIN_EXE_canary-gate"));
    let cmd = on_driver(&tool, driver);
    let started = Instant::now();
    let out = support::spawn_with_inputs(cmd, &inputs)
        .wait_with_output()
        .unwrap();
    let printed = text(&out);
    assert!(!out.status.success(), "{printed}");
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "stopped at the first look, not at the end of ECS's canary: {printed}"
    );
    assert_eq!(tool.output("decision").as_deref(), Some("rollback"));
    let reason = tool.output("reason").unwrap();
    assert!(
        reason.starts_with("rollout hook 'load' answered HTTP 500 (down): a failing rollout hook fails the analysis"),
        "{reason}"
    );
    assert!(
        driver
            .requests()
            .iter()
            .any(|(_, op, c)| op == "StopServiceDeployment" && *c == cluster),
        "{printed}"
    );
    let service = support::ecs::wait_until_settled(&client, &cluster, "api").await;
    assert_eq!(service.task_definition(), Some(revisions[0].as_str()));
    assert_eq!(calls(&hooks, "load").len(), 1, "{printed}");
    assert_nothing_leaks(&printed, &tool);
}

/// Inputs that cannot hold together are refused before any AWS call: a confirm-promotion hook
/// with ECS's own deployment (which cannot be paused) or in probe mode (nothing to promote).
#[test]
fn a_confirm_promotion_hook_that_could_not_hold_anything_is_refused() {
    let aws = HttpServer::start();
    let hooks = format!(
        "- {{name: approve, type: confirm-promotion, url: 'https://bot.example/{SECRET_PATH}'}}"
    );
    let run = |inputs: &[(&str, &str)]| {
        let tool = ToolJob::new(env!("CARGO_BIN_EXE_canary-gate"));
        let mut cmd = tool.command(tool.temp());
        for (k, v) in Services::get().aws_env() {
            cmd.env(k, v);
        }
        cmd.env("AWS_ENDPOINT_URL", aws.url(""));
        ToolJob::inputs(&mut cmd, inputs);
        let out = ToolJob::run(&mut cmd);
        let printed = text(&out);
        assert!(!out.status.success(), "{printed}");
        for line in printed.lines().filter(|l| !l.starts_with("::add-mask::")) {
            assert!(!line.contains(SECRET_PATH), "{line}");
        }
        printed
    };
    let native = run(&[
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
        ("task-definition", "api:3"),
        ("webhooks", &hooks),
    ]);
    assert!(
        native.contains("webhook 'approve' is a confirm-promotion hook, but without 'canary-service' ECS's own CANARY or LINEAR deployment shifts the traffic, and it cannot be paused"),
        "{native}"
    );
    let probe = run(&[
        ("mode", "probe"),
        (
            "policy",
            "metrics: {p: {source: probe, kind: success-rate, url: 'http://127.0.0.1:1/', min: 1}}",
        ),
        ("webhooks", &hooks),
    ]);
    assert!(
        probe.contains("but mode is 'probe', which promotes nothing"),
        "{probe}"
    );
    assert_eq!(aws.requests(), 0, "no AWS call before the inputs are valid");
}

/// Probe mode: the pre-rollout and rollout hooks start the window and each round, and the gate's
/// end is told: a failing gate is a `rollback`.
#[test]
fn a_probe_gate_calls_its_hooks_and_tells_how_it_ended() {
    let (server, hooks) = (HttpServer::start(), receiver());
    server.set_status(500);
    let yaml = format!(
        "- {{name: warm, type: pre-rollout, url: '{}'}}\n\
         - {{name: round, type: rollout, url: '{}'}}\n\
         - {{name: oncall, type: rollback, url: '{}', format: slack}}\n",
        hook_url(&hooks, "warm", "yes"),
        hook_url(&hooks, "round", "yes"),
        hook_url(&hooks, "oncall", "yes"),
    );
    let policy = format!(
        "metrics:\n  ok: {{source: probe, kind: success-rate, url: '{}', requests: 5, min: 0.9}}\n",
        server.url("/health")
    );
    let tool = ToolJob::new(env!("CARGO_BIN_EXE_canary-gate"));
    let mut cmd = tool.command(tool.temp());
    for (k, v) in GITHUB_ENV {
        cmd.env(k, v);
    }
    ToolJob::inputs(
        &mut cmd,
        &[
            ("mode", "probe"),
            ("policy", &policy),
            ("webhooks", &yaml),
            ("webhook-secret", WEBHOOK_SECRET),
        ],
    );
    let out = ToolJob::run(&mut cmd);
    let printed = text(&out);
    assert!(!out.status.success(), "{printed}");
    assert_eq!(tool.output("decision").as_deref(), Some("rollback"));
    let (warm, round, oncall) = (
        calls(&hooks, "warm"),
        calls(&hooks, "round"),
        calls(&hooks, "oncall"),
    );
    assert_eq!(
        (warm.len(), round.len(), oncall.len()),
        (1, 1, 1),
        "{printed}"
    );
    assert_eq!(round[0].json()["weights"], Value::Null);
    assert_eq!(round[0].json()["mode"], "probe");
    assert!(
        oncall[0].json()["text"]
            .as_str()
            .unwrap()
            .starts_with("Rolled back: probe gate"),
        "{}",
        oncall[0].text()
    );
    for r in warm.iter().chain(&round).chain(&oncall) {
        assert_signed(r);
    }
    assert_nothing_leaks(&printed, &tool);
}

/// The inputs of a judgement of ECS's own CANARY deployment of `api` (revision 2 of `family`)
/// with the probes of `new` and `live` and the hooks of `yaml`.
fn native_inputs(
    a: &Alb,
    new: &HttpServer,
    live: &HttpServer,
    cluster: &str,
    family: &str,
    yaml: String,
) -> Vec<(String, String)> {
    [
        ("listener-arn", a.listener.clone()),
        ("rule-arn", a.rule.clone()),
        ("stable-target-group", a.stable.clone()),
        ("canary-target-group", a.canary.clone()),
        ("policy", success_policy(new, live)),
        ("interval", "500ms".into()),
        ("metrics-delay", "0s".into()),
        ("cluster", cluster.to_owned()),
        ("stable-service", "api".into()),
        ("task-definition", format!("{family}:2")),
        ("webhooks", yaml),
        ("webhook-secret", WEBHOOK_SECRET.into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// The binary's command with AWS (ELBv2, ECS) on the ECS driver.
fn on_driver(tool: &ToolJob, driver: &EcsDriver) -> std::process::Command {
    let mut cmd = tool.command(tool.temp());
    for (k, v) in driver.aws_env() {
        cmd.env(k, v);
    }
    cmd
}

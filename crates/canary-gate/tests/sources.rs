//! The `prometheus`, `datadog` and `web` metric sources, through the `canary-gate` binary in
//! probe mode (a window of looks that judges two series against each other, no traffic moved):
//! - Prometheus: a real `prometheus` server (Debian's package, started by the test) scraping a
//!   target the test serves, whose counters the test advances (`local-services`);
//! - Datadog: a loopback stand-in of the metrics query API (there is no local Datadog), which
//!   checks the keys and the request's shape;
//! - web: loopback JSON endpoints that require a header whose value the step has in its env;
//! - Amazon Managed Prometheus: a loopback stand-in that checks the SigV4 signature as AWS
//!   does, by signing the request it received again with the same credentials and time.
//!
//! The step gets AWS settings (a region and example keys) because every non-probe source
//! currently makes the run set up AWS; no AWS call is made.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use gantry_testkit::ToolJob;
use gantry_testkit::http::{FakeHttp, Request, Response, closed_port};
use serde_json::{Value, json};

use crate::support::text;

/// AWS's documented example keys (no account's).
const ACCESS_KEY: &str = "AKIDEXAMPLE";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn job() -> ToolJob {
    ToolJob::new(env!("CARGO_BIN_EXE_canary-gate"))
}

/// Runs a probe-mode step with `policy` over `window`, one look every `interval`, windows
/// ending `delay` before each look, and `env` added to the step's environment.
fn step(
    tool: &ToolJob,
    policy: &str,
    (window, interval, delay): (&str, &str, &str),
    env: &[(&str, &str)],
) -> Output {
    let mut cmd = tool.command(tool.temp());
    for (k, v) in [
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_CONFIG_FILE", "/dev/null"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
    ] {
        cmd.env(k, v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    ToolJob::inputs(
        &mut cmd,
        &[
            ("mode", "probe"),
            ("policy", policy),
            ("window", window),
            ("interval", interval),
            ("metrics-delay", delay),
        ],
    );
    ToolJob::run(&mut cmd)
}

/// `secret` is registered with `::add-mask::` and appears nowhere else: not in the log, the
/// outputs or the summary.
fn assert_masked(tool: &ToolJob, out: &Output, secret: &str) {
    let printed = text(out);
    assert!(
        printed
            .lines()
            .any(|l| l == format!("::add-mask::{secret}")),
        "{secret} was not masked:\n{printed}"
    );
    for line in printed.lines().filter(|l| !l.starts_with("::add-mask::")) {
        assert!(!line.contains(secret), "a secret is shown: {line}");
    }
    assert!(
        !tool.summary().contains(secret),
        "the summary shows a secret"
    );
    for (name, value) in tool.outputs() {
        assert!(!value.contains(secret), "output {name} shows a secret");
    }
}

fn verdicts(tool: &ToolJob) -> Value {
    serde_json::from_str(&tool.output("verdicts").unwrap()).unwrap()
}

/// Percent-decoding of a query parameter (`+` is a space, as forms have it).
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| s.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (escaped, bytes[i]) {
            (Some(b), _) => {
                out.push(b);
                i += 3;
            }
            (None, b'+') => {
                out.push(b' ');
                i += 1;
            }
            (None, b) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

// ---- Prometheus: a real server ----------------------------------------------------------

#[cfg(feature = "local-services")]
mod prometheus_server {
    use super::*;
    use gantry_testkit::prometheus::{Prometheus, Target};

    /// Serves both versions' counters and advances them 10 times a second: 50 requests a
    /// tick each (500 a second), the baseline failing 1 % of them and the canary
    /// `canary_factor` times as many; and a latency histogram's sum and count (100 ms each).
    struct Traffic {
        target: Arc<Target>,
        stop: Arc<std::sync::atomic::AtomicBool>,
        thread: Option<std::thread::JoinHandle<()>>,
    }

    impl Traffic {
        fn start(canary_factor: u64) -> Traffic {
            let target = Arc::new(Target::start());
            let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let tick = {
                let target = Arc::clone(&target);
                move |n: u64| {
                    for (version, factor) in [("canary", canary_factor), ("baseline", 1)] {
                        // One error in 100 requests for the baseline: one every other tick.
                        let errors = if n.is_multiple_of(2) { factor } else { 0 };
                        target.add(
                            &format!(r#"http_requests_total{{version="{version}",code="500"}}"#),
                            errors as f64,
                        );
                        target.add(
                            &format!(r#"http_requests_total{{version="{version}",code="200"}}"#),
                            (50 - errors) as f64,
                        );
                        target.add(
                            &format!(r#"http_request_duration_seconds_sum{{version="{version}"}}"#),
                            5.0,
                        );
                        target.add(
                            &format!(
                                r#"http_request_duration_seconds_count{{version="{version}"}}"#
                            ),
                            50.0,
                        );
                    }
                }
            };
            tick(0);
            let thread = {
                let stop = Arc::clone(&stop);
                std::thread::spawn(move || {
                    // Bounded: at most 10 minutes of ticks.
                    for n in 1..6000u64 {
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(100));
                        tick(n);
                    }
                })
            };
            Traffic {
                target,
                stop,
                thread: Some(thread),
            }
        }
    }

    impl Drop for Traffic {
        fn drop(&mut self) {
            self.stop.store(true, Ordering::SeqCst);
            if let Some(t) = self.thread.take() {
                let _ = t.join();
            }
        }
    }

    fn policy(url: &str) -> String {
        format!(
            r#"metrics:
  errors:
    source: prometheus
    kind: error-rate
    url: {url}
    errors-query: sum(increase(http_requests_total{{code=~"5..",{{{{selector}}}}}}[{{{{interval}}}}]))
    requests-query: sum(increase(http_requests_total{{{{{{selector}}}}}}[{{{{interval}}}}]))
    canary-selector: version="canary"
    baseline-selector: version="baseline"
    max-ratio: 1.5
  latency:
    source: prometheus
    kind: latency
    url: {url}
    query: sum(rate(http_request_duration_seconds_sum{{{{{{selector}}}}}}[{{{{interval}}}}])) / sum(rate(http_request_duration_seconds_count{{{{{{selector}}}}}}[{{{{interval}}}}]))
    requests-query: sum(increase(http_request_duration_seconds_count{{{{{{selector}}}}}}[{{{{interval}}}}]))
    canary-selector: version="canary"
    baseline-selector: version="baseline"
    max: 0.5
    critical: false
"#
        )
    }

    /// A server that has scraped both versions for longer than one interval.
    fn scraped(traffic: &Traffic) -> Prometheus {
        let prometheus = Prometheus::start(&[&traffic.target.address()]);
        prometheus.wait_for(
            r#"http_requests_total{version="canary",code="500"}"#,
            Duration::from_secs(30),
        );
        std::thread::sleep(Duration::from_secs(6));
        prometheus
    }

    #[test]
    fn a_healthy_canary_on_prometheus_passes_and_the_summary_shows_queries_and_values() {
        let traffic = Traffic::start(1);
        let prometheus = scraped(&traffic);
        let tool = job();
        let out = step(&tool, &policy(&prometheus.url()), ("25s", "5s", "1s"), &[]);
        let printed = text(&out);
        assert!(out.status.success(), "{printed}");
        assert_eq!(
            tool.output("decision").as_deref(),
            Some("promote"),
            "{printed}"
        );
        let v = verdicts(&tool);
        assert_eq!(v[0]["metric"], "errors");
        assert_eq!(v[0]["status"], "pass", "{v}");
        let (canary, baseline) = (
            v[0]["canary"].as_f64().unwrap(),
            v[0]["baseline"].as_f64().unwrap(),
        );
        assert!(
            (0.005..0.02).contains(&canary),
            "canary error rate {canary}"
        );
        assert!(
            (0.005..0.02).contains(&baseline),
            "baseline error rate {baseline}"
        );
        // About 500 requests a second on each side, 5 s a look, 5 looks.
        let requests = v[0]["canary-requests"].as_u64().unwrap();
        assert!(
            (10_000..15_000).contains(&requests),
            "{requests} canary requests"
        );
        assert_eq!(v[1]["status"], "pass", "{v}");
        let latency = v[1]["canary"].as_f64().unwrap();
        assert!((0.09..0.11).contains(&latency), "latency {latency}");

        let summary = tool.summary();
        for query in [
            r#"# canary errors
sum(increase(http_requests_total{code=~"5..",version="canary"}[{{interval}}]))"#,
            r#"# baseline requests
sum(increase(http_requests_total{version="baseline"}[{{interval}}]))"#,
            r#"# canary value
sum(rate(http_request_duration_seconds_sum{version="canary"}[{{interval}}])) / sum(rate(http_request_duration_seconds_count{version="canary"}[{{interval}}]))"#,
        ] {
            assert!(summary.contains(query), "no {query} in\n{summary}");
        }
        assert!(summary.contains("errors: queries and values"), "{summary}");
        assert!(
            summary.contains(
                "| look | canary % | canary errors / requests | baseline errors / requests |"
            ),
            "{summary}"
        );
        // Each look's counts: a few errors out of about 2 500 requests.
        let rows: Vec<&str> = summary
            .lines()
            .filter(|l| l.starts_with("| 1 | 0 | ") || l.starts_with("| 5 | 0 | "))
            .collect();
        assert!(rows.len() >= 2, "{summary}");
        assert!(summary.contains("| 1 | 0 | 100 ms | 100 ms |"), "{summary}");
    }

    #[test]
    fn a_canary_with_three_times_the_errors_is_rolled_back() {
        let traffic = Traffic::start(3);
        let prometheus = scraped(&traffic);
        let tool = job();
        let out = step(&tool, &policy(&prometheus.url()), ("25s", "5s", "1s"), &[]);
        let printed = text(&out);
        assert!(!out.status.success(), "{printed}");
        assert_eq!(
            tool.output("decision").as_deref(),
            Some("rollback"),
            "{printed}"
        );
        let reason = tool.output("reason").unwrap();
        assert!(reason.contains("errors: error-rate is"), "{reason}");
        let v = verdicts(&tool);
        assert_eq!(v[0]["status"], "fail", "{v}");
        let (canary, baseline) = (
            v[0]["canary"].as_f64().unwrap(),
            v[0]["baseline"].as_f64().unwrap(),
        );
        assert!(
            canary > 2.0 * baseline && canary < 4.0 * baseline,
            "canary {canary} against baseline {baseline}"
        );
        let summary = tool.summary();
        assert!(summary.contains("canary-gate: rollback"), "{summary}");
        assert!(
            summary.contains(
                r#"sum(increase(http_requests_total{code=~"5..",version="canary"}[{{interval}}]))"#
            ),
            "{summary}"
        );
        // The traffic still reads as it was sent.
        assert!(
            traffic
                .target
                .get(r#"http_requests_total{version="canary",code="500"}"#)
                > 0.0
        );
    }
}

// ---- Prometheus: errors and secrets, no server needed ------------------------------------

#[test]
fn a_prometheus_that_does_not_answer_is_an_error_naming_the_metric_and_the_url() {
    let port = closed_port();
    let tool = job();
    let policy = format!(
        "metrics:\n  up:\n    source: prometheus\n    url: http://127.0.0.1:{port}\n    query: up\n    max: 1\n"
    );
    let out = step(&tool, &policy, ("0s", "1s", "0s"), &[]);
    let printed = text(&out);
    assert!(!out.status.success(), "{printed}");
    assert!(
        printed.contains(&format!(
            "metric 'up' (source prometheus): GET http://127.0.0.1:{port}/api/v1/query failed"
        )) && printed.contains("check metrics.up.url"),
        "{printed}"
    );
}

#[test]
fn a_secret_variable_that_is_not_set_stops_the_step_before_any_request() {
    let server = FakeHttp::start(|_| Response::json(200, &json!({})));
    let tool = job();
    let policy = format!(
        "metrics:\n  up:\n    source: prometheus\n    url: {}\n    auth: bearer\n    bearer-token-env: PROM_TOKEN\n    query: up\n    max: 1\n",
        server.url()
    );
    let out = step(&tool, &policy, ("0s", "1s", "0s"), &[]);
    let printed = text(&out);
    assert!(!out.status.success(), "{printed}");
    assert!(
        printed.contains("metric 'up' (source prometheus): metrics.up.bearer-token-env names the environment variable PROM_TOKEN, which is not set"),
        "{printed}"
    );
    assert!(server.requests().is_empty());
}

/// A stand-in of Prometheus's query API that answers `value` for every query and records the
/// requests (for the headers a real server would not show).
fn prometheus_stand_in(value: &'static str) -> FakeHttp {
    FakeHttp::start(move |r| {
        if r.route() != "/api/v1/query" {
            return Response::text(404, "not found");
        }
        Response::json(
            200,
            &json!({"status": "success", "data": {"resultType": "vector",
                "result": [{"metric": {}, "value": [now_secs(), value]}]}}),
        )
    })
}

#[test]
fn bearer_and_basic_credentials_come_from_the_environment_and_are_masked() {
    let server = prometheus_stand_in("0.2");
    let token = "prom-t0ken-0123456789";
    let tool = job();
    let policy = format!(
        "metrics:
  bearer:
    source: prometheus
    url: {0}
    auth: bearer
    bearer-token-env: PROM_TOKEN
    query: up
    max: 1
  basic:
    source: prometheus
    url: {0}
    auth: basic
    username-env: PROM_USER
    password-env: PROM_PASSWORD
    query: up
    max: 1
",
        server.url()
    );
    let out = step(
        &tool,
        &policy,
        ("0s", "1s", "0s"),
        &[
            ("PROM_TOKEN", token),
            ("PROM_USER", "gantry-reader"),
            ("PROM_PASSWORD", "prom-passw0rd-0123456789"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let auth: Vec<String> = server
        .requests()
        .iter()
        .filter_map(|r| r.header("authorization").map(str::to_string))
        .collect();
    assert!(auth.contains(&format!("Bearer {token}")), "{auth:?}");
    // base64("gantry-reader:prom-passw0rd-0123456789")
    let basic = "Basic Z2FudHJ5LXJlYWRlcjpwcm9tLXBhc3N3MHJkLTAxMjM0NTY3ODk=";
    assert!(auth.iter().any(|a| a == basic), "{auth:?}");
    assert_masked(&tool, &out, token);
    assert_masked(&tool, &out, "prom-passw0rd-0123456789");
    assert_masked(&tool, &out, basic.trim_start_matches("Basic "));
}

// ---- Amazon Managed Prometheus: SigV4 ------------------------------------------------------

/// `20150830T123600Z` → that time.
fn amz_date(s: &str) -> SystemTime {
    let n = |a: usize, b: usize| s[a..b].parse::<i64>().unwrap();
    let (y, m, d) = (n(0, 4), n(4, 6), n(6, 8));
    let (hh, mm, ss) = (n(9, 11), n(11, 13), n(13, 15));
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    SystemTime::UNIX_EPOCH + Duration::from_secs((days * 86_400 + hh * 3600 + mm * 60 + ss) as u64)
}

/// Checks a request's SigV4 signature as AWS would: signs the received method, URL and
/// `accept` header again with the same keys, region, service and time, and compares.
fn signature_ok(r: &Request, base: &str, region: &str) -> Result<(), String> {
    let date = r.header("x-amz-date").ok_or("no x-amz-date")?;
    let got = r.header("authorization").ok_or("no authorization")?;
    let credentials =
        aws_credential_types::Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "test");
    let url = format!("{base}{}", r.path);
    let accept = r.header("accept").unwrap_or_default();
    let want = canary_gate::sources::sigv4::sign_request(
        &canary_gate::sources::sigv4::Unsigned {
            method: &r.method,
            url: &url,
            headers: &[("accept", accept)],
            body: b"",
        },
        &credentials,
        region,
        "aps",
        amz_date(date),
    )?;
    let want = want
        .iter()
        .find(|(k, _)| k == "authorization")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    if want == got {
        Ok(())
    } else {
        Err(format!("signature mismatch: got {got}, want {want}"))
    }
}

#[test]
fn amazon_managed_prometheus_queries_are_signed_with_the_runs_credentials() {
    let failures = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let base = Arc::new(std::sync::Mutex::new(String::new()));
    let server = {
        let (failures, base) = (Arc::clone(&failures), Arc::clone(&base));
        FakeHttp::start(move |r| {
            let base = base.lock().unwrap().clone();
            match signature_ok(r, &base, "us-west-2") {
                Ok(()) => Response::json(
                    200,
                    &json!({"status": "success", "data": {"resultType": "vector",
                        "result": [{"metric": {}, "value": [now_secs(), "0.25"]}]}}),
                ),
                Err(e) => {
                    failures.lock().unwrap().push(e.clone());
                    Response::json(403, &json!({"message": e}))
                }
            }
        })
    };
    *base.lock().unwrap() = server.url();
    let tool = job();
    let policy = format!(
        "metrics:\n  p99:\n    source: prometheus\n    kind: latency\n    url: {}/workspaces/ws-1\n    auth: sigv4\n    region: us-west-2\n    query: histogram_quantile(0.99, sum by (le) (rate(x_bucket[{{{{interval}}}}])))\n    max: 0.5\n",
        server.url()
    );
    let out = step(&tool, &policy, ("0s", "1s", "0s"), &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        failures.lock().unwrap().is_empty(),
        "{:?}",
        failures.lock().unwrap()
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.route(), "/workspaces/ws-1/api/v1/query");
    assert_eq!(
        decode(r.query("query").unwrap()),
        "histogram_quantile(0.99, sum by (le) (rate(x_bucket[1s])))"
    );
    let auth = r.header("authorization").unwrap();
    assert!(
        auth.starts_with(&format!("AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/"))
            && auth.contains(
                "/us-west-2/aps/aws4_request, SignedHeaders=accept;host;x-amz-date, Signature="
            ),
        "{auth}"
    );
    assert_eq!(verdicts(&tool)[0]["canary"], 0.25);
}

// ---- Datadog: a loopback stand-in ------------------------------------------------------------

const DD_KEY: &str = "dd-api-k3y-0123456789abcdef";
const DD_APP: &str = "dd-app-k3y-0123456789abcdef";

/// A stand-in of Datadog's `GET /api/v1/query` (there is no local Datadog): it refuses other
/// keys with 403 as Datadog does, and answers each query with two points that add up to 1 000
/// requests a look per side, 10 errors for the baseline and `canary_errors` for the canary.
fn datadog_stand_in(canary_errors: u64) -> FakeHttp {
    FakeHttp::start(move |r| {
        if r.route() != "/api/v1/query" {
            return Response::json(404, &json!({"errors": ["Not found"]}));
        }
        if r.header("DD-API-KEY") != Some(DD_KEY) || r.header("DD-APPLICATION-KEY") != Some(DD_APP)
        {
            return Response::json(403, &json!({"errors": ["Forbidden"]}));
        }
        let query = decode(r.query("query").unwrap_or_default());
        let from: u64 = r.query("from").and_then(|v| v.parse().ok()).unwrap_or(0);
        let to: u64 = r.query("to").and_then(|v| v.parse().ok()).unwrap_or(0);
        let canary = query.contains("version:canary");
        let total = if query.contains(".errors") {
            if canary { canary_errors } else { 10 }
        } else {
            1000
        };
        let first = total / 2;
        Response::json(
            200,
            &json!({"status": "ok", "res_type": "time_series", "query": query,
                "series": [{"metric": "trace.http.request", "scope": "service:web",
                    "pointlist": [[from * 1000, first as f64], [(to * 1000).saturating_sub(1), (total - first) as f64]]}]}),
        )
    })
}

fn datadog_policy(url: &str) -> String {
    format!(
        "metrics:
  errors:
    source: datadog
    url: {url}
    kind: error-rate
    api-key-env: MY_DD_API_KEY
    errors-query: sum:trace.http.request.errors{{service:web,{{{{selector}}}}}}.as_count()
    requests-query: sum:trace.http.request.hits{{service:web,{{{{selector}}}}}}.as_count()
    canary-selector: version:canary
    baseline-selector: version:stable
    max-ratio: 1.5
"
    )
}

#[test]
fn datadog_queries_carry_the_keys_and_the_window_and_a_healthy_canary_passes() {
    let server = datadog_stand_in(10);
    let tool = job();
    let before = now_secs();
    let out = step(
        &tool,
        &datadog_policy(&server.url()),
        ("3s", "1s", "0s"),
        &[("MY_DD_API_KEY", DD_KEY), ("DD_APP_KEY", DD_APP)],
    );
    let printed = text(&out);
    assert!(out.status.success(), "{printed}");
    assert_eq!(tool.output("decision").as_deref(), Some("promote"));
    let requests = server.requests();
    assert_eq!(requests.len(), 3 * 4, "3 looks, 4 queries each");
    let queries: std::collections::BTreeSet<String> = requests
        .iter()
        .map(|r| decode(r.query("query").unwrap()))
        .collect();
    assert_eq!(
        queries.into_iter().collect::<Vec<_>>(),
        [
            "sum:trace.http.request.errors{service:web,version:canary}.as_count()",
            "sum:trace.http.request.errors{service:web,version:stable}.as_count()",
            "sum:trace.http.request.hits{service:web,version:canary}.as_count()",
            "sum:trace.http.request.hits{service:web,version:stable}.as_count()",
        ]
    );
    for r in &requests {
        assert_eq!(r.method, "GET");
        assert_eq!(r.header("DD-API-KEY"), Some(DD_KEY));
        assert_eq!(r.header("DD-APPLICATION-KEY"), Some(DD_APP));
        let from: u64 = r.query("from").unwrap().parse().unwrap();
        let to: u64 = r.query("to").unwrap().parse().unwrap();
        assert_eq!(to - from, 1, "one interval: {}", r.path);
        assert!(
            to >= before && to <= now_secs(),
            "the window ends now: {}",
            r.path
        );
    }
    let v = verdicts(&tool);
    assert_eq!(
        (v[0]["canary-requests"].as_u64(), v[0]["status"].as_str()),
        (Some(3000), Some("pass"))
    );
    let summary = tool.summary();
    assert!(
        summary.contains("| 1 | 0 | 10 / 1000 | 10 / 1000 |"),
        "{summary}"
    );
    assert!(
        summary.contains("sum:trace.http.request.errors{service:web,version:canary}.as_count()"),
        "{summary}"
    );
    assert_masked(&tool, &out, DD_KEY);
    assert_masked(&tool, &out, DD_APP);
}

#[test]
fn datadog_rolls_back_a_canary_with_four_times_the_errors() {
    let server = datadog_stand_in(40);
    let tool = job();
    let out = step(
        &tool,
        &datadog_policy(&server.url()),
        ("5s", "1s", "0s"),
        &[("MY_DD_API_KEY", DD_KEY), ("DD_APP_KEY", DD_APP)],
    );
    assert!(!out.status.success(), "{}", text(&out));
    assert_eq!(tool.output("decision").as_deref(), Some("rollback"));
    let v = verdicts(&tool);
    assert_eq!(v[0]["status"], "fail");
    assert_eq!(v[0]["canary"], 0.04);
    assert_eq!(v[0]["baseline"], 0.01);
}

#[test]
fn datadog_refusing_the_keys_says_which_variables_to_check() {
    let server = datadog_stand_in(10);
    let tool = job();
    let out = step(
        &tool,
        &datadog_policy(&server.url()),
        ("0s", "1s", "0s"),
        &[
            ("MY_DD_API_KEY", "wr0ng-k3y-0123456789"),
            ("DD_APP_KEY", DD_APP),
        ],
    );
    let printed = text(&out);
    assert!(!out.status.success(), "{printed}");
    assert!(
        printed.contains("metric 'errors' (source datadog):")
            && printed.contains("answered 403: Datadog refused the keys; check MY_DD_API_KEY (an API key) and DD_APP_KEY"),
        "{printed}"
    );
    assert_masked(&tool, &out, "wr0ng-k3y-0123456789");
}

// ---- web: loopback JSON endpoints ------------------------------------------------------------

const WEB_AUTH: &str = "Bearer web-s3cret-0123456789";

/// A JSON endpoint that wants `Authorization: WEB_AUTH` and answers
/// `{"data": {"p99": …, "served": 500}}` with `p99` around `p99` (a small deterministic
/// jitter, so per-look ratios vary as real ones do).
fn latency_endpoint(p99: f64) -> FakeHttp {
    let n = Arc::new(AtomicU64::new(0));
    FakeHttp::start(move |r| {
        if r.header("authorization") != Some(WEB_AUTH) {
            return Response::json(401, &json!({"error": "unauthorized"}));
        }
        let k = n.fetch_add(1, Ordering::SeqCst);
        let jitter = [0.0, 0.01, -0.008, 0.004, -0.003][(k % 5) as usize];
        Response::json(
            200,
            &json!({"data": {"p99": p99 * (1.0 + jitter), "served": 500}}),
        )
    })
}

#[test]
fn web_endpoints_give_values_by_json_path_with_headers_from_the_environment() {
    let (canary, baseline) = (latency_endpoint(0.1), latency_endpoint(0.1));
    let tool = job();
    let policy = format!(
        "metrics:
  p99:
    source: web
    kind: latency
    url: {}/stats
    baseline-url: {}/stats
    headers: {{Authorization: WEB_AUTH}}
    json-path: data.p99
    requests-json-path: $.data.served
    max: 0.5
    max-ratio: 1.5
",
        canary.url(),
        baseline.url()
    );
    let out = step(
        &tool,
        &policy,
        ("3s", "1s", "0s"),
        &[("WEB_AUTH", WEB_AUTH)],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(tool.output("decision").as_deref(), Some("promote"));
    assert_eq!(canary.requests().len(), 3);
    assert_eq!(baseline.requests().len(), 3);
    assert!(
        canary
            .requests()
            .iter()
            .all(|r| r.method == "GET" && r.route() == "/stats")
    );
    let v = verdicts(&tool);
    assert_eq!(v[0]["canary-requests"], 1500);
    let p99 = v[0]["canary"].as_f64().unwrap();
    assert!((0.099..0.102).contains(&p99), "{p99}");
    let summary = tool.summary();
    assert!(
        summary.contains(&format!("GET {}/stats", canary.url())),
        "{summary}"
    );
    assert!(summary.contains("value: $.data.p99"), "{summary}");
    assert!(
        summary.contains("Authorization from $WEB_AUTH"),
        "{summary}"
    );
    assert_masked(&tool, &out, WEB_AUTH);
}

#[test]
fn web_posts_the_window_and_rolls_back_on_counts() {
    let counts = |errors: u64| {
        FakeHttp::start(move |r| {
            if r.header("authorization") != Some(WEB_AUTH) {
                return Response::json(401, &json!({"error": "unauthorized"}));
            }
            Response::json(
                200,
                &json!({"window": r.json(), "errors": errors, "requests": 1000}),
            )
        })
    };
    let (canary, baseline) = (counts(30), counts(10));
    let tool = job();
    let policy = format!(
        r#"metrics:
  errors:
    source: web
    kind: error-rate
    url: {}/errors
    baseline-url: {}/errors
    method: POST
    body: '{{"from": {{{{start}}}}, "to": {{{{end}}}}, "step": "{{{{interval}}}}"}}'
    headers: {{Authorization: WEB_AUTH}}
    errors-json-path: $.errors
    requests-json-path: $.requests
    max-ratio: 1.5
"#,
        canary.url(),
        baseline.url()
    );
    let out = step(
        &tool,
        &policy,
        ("5s", "1s", "0s"),
        &[("WEB_AUTH", WEB_AUTH)],
    );
    assert!(!out.status.success(), "{}", text(&out));
    assert_eq!(tool.output("decision").as_deref(), Some("rollback"));
    let r = &canary.requests()[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.header("content-type"), Some("application/json"));
    let body = r.json();
    assert_eq!(body["step"], "1s");
    assert_eq!(
        body["to"].as_u64().unwrap() - body["from"].as_u64().unwrap(),
        1
    );
    let v = verdicts(&tool);
    assert_eq!(
        (v[0]["canary"].as_f64(), v[0]["baseline"].as_f64()),
        (Some(0.03), Some(0.01))
    );
    assert_masked(&tool, &out, WEB_AUTH);
}

#[test]
fn a_web_answer_without_the_path_says_so() {
    let server = FakeHttp::start(|_| Response::json(200, &json!({"data": {"p50": 1}})));
    let tool = job();
    let policy = format!(
        "metrics:\n  p99:\n    source: web\n    url: {}/stats\n    json-path: data.p99\n    max: 1\n",
        server.url()
    );
    let out = step(&tool, &policy, ("0s", "1s", "0s"), &[]);
    let printed = text(&out);
    assert!(!out.status.success(), "{printed}");
    assert!(
        printed.contains("metric 'p99' (source web): the answer of")
            && printed.contains("$.data.p99 matched nothing in the answer"),
        "{printed}"
    );
}

// ---- the README ------------------------------------------------------------------------------

/// Every policy in the README's "The policy" section parses.
#[test]
fn the_readme_policies_parse() {
    let readme = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../actions/canary-gate/README.md"
    ))
    .unwrap();
    let section = readme
        .split("\n## The policy\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .unwrap();
    let policies: Vec<&str> = section
        .split("```yaml\n")
        .skip(1)
        .filter_map(|block| block.split("\n```").next())
        .filter(|yaml| !yaml.trim_start().starts_with("env:"))
        .collect();
    assert_eq!(policies.len(), 2, "{section}");
    for yaml in policies {
        if let Err(e) = canary_gate::policy::parse(yaml) {
            panic!("{e}\n{yaml}");
        }
    }
}

//! [`gantry_github::Client`] against an HTTP server on loopback: what it sends, how it retries,
//! what it gives back.

use std::time::Duration;

use gantry_github::{Client, ClientOptions, Method, RetryPolicy};
use gantry_testkit::http::{FakeHttp, Response, closed_port};
use serde_json::json;

const TOKEN: &str = "ghs_s3cret";

fn client(url: &str) -> Client {
    let mut options = ClientOptions::new(url, TOKEN, "acme/shop", "gantry-test/1.0");
    options.retry = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(5),
        rate_limit_wait: Duration::from_millis(5),
        max_wait: Duration::from_secs(5),
    };
    options.timeout = Duration::from_secs(10);
    Client::new(options).unwrap()
}

#[test]
fn sends_github_s_headers_and_a_json_body() {
    let server = FakeHttp::start(|_| {
        Response::json(201, &json!({"id": 7})).header("Link", "<x?page=2>; rel=\"next\"")
    });
    let client = client(&server.url());
    let url = client.repo_url("releases");
    let reply = client
        .send(Method::Post, &url, Some(&json!({"tag_name": "v1.0.0"})))
        .unwrap();
    assert_eq!((reply.status, reply.attempts), (201, 1));
    assert_eq!(reply.json::<serde_json::Value>().unwrap()["id"], 7);
    assert_eq!(reply.link.as_deref(), Some("<x?page=2>; rel=\"next\""));
    let requests = server.requests();
    let request = &requests[0];
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/repos/acme/shop/releases")
    );
    assert_eq!(request.header("authorization"), Some("Bearer ghs_s3cret"));
    assert_eq!(
        request.header("accept"),
        Some("application/vnd.github+json")
    );
    assert_eq!(request.header("x-github-api-version"), Some("2022-11-28"));
    assert_eq!(request.header("user-agent"), Some("gantry-test/1.0"));
    assert_eq!(request.json()["tag_name"], "v1.0.0");

    for method in [Method::Get, Method::Patch, Method::Put, Method::Delete] {
        client.send(method, &url, None).unwrap();
    }
    let methods: Vec<String> = server.requests().into_iter().map(|r| r.method).collect();
    assert_eq!(methods, ["POST", "GET", "PATCH", "PUT", "DELETE"]);
}

#[test]
fn server_errors_and_rate_limits_are_retried_then_answered() {
    let server = FakeHttp::start(|request| match request.seen {
        0 => Response::json(502, &json!({"message": "Bad Gateway"})),
        1 => Response::json(403, &json!({"message": "API rate limit exceeded"}))
            .header("x-ratelimit-remaining", "0")
            .header("retry-after", "0"),
        _ => Response::json(200, &json!([])),
    });
    let client = client(&server.url());
    let reply = client
        .send(Method::Get, &client.repo_url("tags"), None)
        .unwrap();
    assert_eq!((reply.status, reply.attempts), (200, 3));
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn final_answers_come_back_as_they_are() {
    let server = FakeHttp::start(|request| match request.route() {
        "/repos/acme/shop/a" => Response::json(404, &json!({"message": "Not Found"})),
        "/repos/acme/shop/b" => Response::json(503, &json!({"message": "Unavailable"})),
        _ => Response::json(429, &json!({"message": "slow down"})).header("retry-after", "3600"),
    });
    let client = client(&server.url());
    // 404 is final: one try.
    let reply = client
        .send(Method::Get, &client.repo_url("a"), None)
        .unwrap();
    assert_eq!(
        (reply.status, reply.attempts, reply.message()),
        (404, 1, "Not Found".to_owned())
    );
    // 503 every time: the policy's three tries, then the last answer.
    let reply = client
        .send(Method::Get, &client.repo_url("b"), None)
        .unwrap();
    assert_eq!((reply.status, reply.attempts), (503, 3));
    // A rate limit longer than the longest wait: at once.
    let reply = client
        .send(Method::Get, &client.repo_url("c"), None)
        .unwrap();
    assert_eq!((reply.status, reply.attempts), (429, 1));
    assert!(reply.is_rate_limited());
    assert_eq!(reply.rate_limit_wait(), Some(3600));
    assert_eq!(server.requests().len(), 5);
}

#[test]
fn no_answer_is_a_transport_error_after_the_tries() {
    let client = client(&format!("http://127.0.0.1:{}", closed_port()));
    let error = client
        .send(Method::Get, &client.repo_url("tags"), None)
        .unwrap_err();
    assert_eq!(error.attempts, 3);
    assert!(!error.message.is_empty());
    assert!(!error.message.contains(TOKEN), "{error}");
}

/// [`gantry_github::GitHubClient`]: the tool's `User-Agent`, and each final answer as the
/// error that says what to change.
#[tokio::test]
async fn the_async_client_sends_the_tool_s_user_agent_and_says_what_to_change() {
    use gantry_github::{GitHubClient, GitHubError};
    let server = FakeHttp::start(|request| match request.route() {
        "/repos/acme/shop/ok" => Response::json(200, &json!({"n": 1})),
        "/repos/acme/shop/missing" => Response::json(404, &json!({"message": "Not Found"})),
        _ => Response::json(
            403,
            &json!({"message": "Resource not accessible by integration"}),
        ),
    });
    let github = GitHubClient::new(&server.url(), TOKEN, "acme/shop", "gantry-some-tool/9.9")
        .unwrap()
        .with_retry(RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        });
    let value: serde_json::Value = github
        .required(Method::Get, "ok".to_owned(), None, "read it".to_owned())
        .await
        .unwrap();
    assert_eq!(value["n"], 1);
    let missing: Option<serde_json::Value> = github
        .json(
            Method::Get,
            "missing".to_owned(),
            None,
            "read it".to_owned(),
            true,
        )
        .await
        .unwrap();
    assert_eq!(missing, None);
    let error = github
        .required::<serde_json::Value>(
            Method::Get,
            "missing".to_owned(),
            None,
            "read it".to_owned(),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, GitHubError::NotFound { .. }), "{error:?}");
    assert!(error.to_string().contains("acme/shop"), "{error}");
    for (method, permission) in [
        (Method::Get, "contents: read"),
        (Method::Post, "contents: write"),
    ] {
        let error = github
            .required::<serde_json::Value>(method, "denied".to_owned(), None, "do it".to_owned())
            .await
            .unwrap_err();
        assert_eq!(error.status(), Some(403));
        let text = error.to_string();
        assert!(text.contains(&format!("`{permission}`")), "{text}");
        assert!(
            text.contains("Resource not accessible by integration"),
            "{text}"
        );
    }
    let agents: Vec<Option<String>> = server
        .requests()
        .iter()
        .map(|r| r.header("user-agent").map(str::to_owned))
        .collect();
    assert_eq!(agents.len(), 5);
    assert!(
        agents
            .iter()
            .all(|a| a.as_deref() == Some("gantry-some-tool/9.9")),
        "{agents:?}"
    );
}

//! OIDC token requests against a real HTTP server on loopback (no mocks).
#![cfg(feature = "oidc")]
// Helpers here are test code too: a panic is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use gantry_testkit::http::{FakeHttp, Request, Response, closed_port};
use gantry_toolkit::oidc::{OidcError, OidcOptions, request_id_token_with};
use gantry_toolkit::{Env, Runner};

/// What the server saw of one request.
#[derive(Debug)]
struct Seen {
    request_line: String,
    request: Request,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.request.header(name)
    }
}

/// Every request `server` saw so far, in order.
fn seen(server: &FakeHttp) -> Vec<Seen> {
    server
        .requests()
        .into_iter()
        .map(|request| Seen {
            request_line: format!("{} {} {}", request.method, request.path, request.version),
            request,
        })
        .collect()
}

/// Serve one scripted `(status, body)` per request, in order (past the end: 500); the base URL
/// and the server, which sees every request.
fn serve(responses: Vec<(u16, &'static str)>) -> (String, FakeHttp) {
    let next = AtomicUsize::new(0);
    let server = FakeHttp::start(move |_| {
        let Some(&(status, body)) = responses.get(next.fetch_add(1, Ordering::SeqCst)) else {
            return Response::text(500, "no scripted answer left");
        };
        Response {
            status,
            headers: vec![("Content-Type".to_owned(), "application/json".to_owned())],
            body: body.as_bytes().to_vec(),
        }
    });
    (server.url(), server)
}

fn env(url: &str) -> Env {
    Env::from_iter([
        ("ACTIONS_ID_TOKEN_REQUEST_URL", url),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "request-bearer-123"),
        ("GITHUB_ACTIONS", "true"),
        // Must be ignored for loopback.
        ("HTTP_PROXY", "http://127.0.0.1:9"),
    ])
}

fn fast() -> OidcOptions {
    OidcOptions {
        timeout: Duration::from_secs(5),
        attempts: 3,
        backoff: Duration::from_millis(10),
    }
}

/// The first request the server saw.
fn first(server: &FakeHttp) -> Seen {
    seen(server)
        .into_iter()
        .next()
        .expect("the server saw no request")
}

#[test]
fn requests_token_with_audience_and_bearer() {
    let (base, server) = serve(vec![(200, r#"{"count":1,"value":"eyJ.header.sig"}"#)]);
    let url = format!("{base}/_apis/token?api-version=2.0");
    let token = request_id_token_with(&env(&url), Some("sts.amazonaws.com"), &fast()).unwrap();
    assert_eq!(token, "eyJ.header.sig");
    let seen = first(&server);
    assert_eq!(
        seen.request_line,
        "GET /_apis/token?api-version=2.0&audience=sts.amazonaws.com HTTP/1.1"
    );
    assert_eq!(
        seen.header("Authorization"),
        Some("Bearer request-bearer-123")
    );
    assert_eq!(seen.header("Accept"), Some("application/json"));
}

#[test]
fn url_without_query_and_encoded_audience() {
    let (base, server) = serve(vec![(200, r#"{"value":"t"}"#)]);
    let url = format!("{base}/token");
    request_id_token_with(&env(&url), Some("api://my app"), &fast()).unwrap();
    assert_eq!(
        first(&server).request_line,
        "GET /token?audience=api%3A%2F%2Fmy%20app HTTP/1.1"
    );
}

#[test]
fn no_audience_keeps_the_url() {
    let (base, server) = serve(vec![(200, r#"{"value":"t"}"#)]);
    let url = format!("{base}/token?api-version=2.0");
    request_id_token_with(&env(&url), None, &fast()).unwrap();
    assert_eq!(
        first(&server).request_line,
        "GET /token?api-version=2.0 HTTP/1.1"
    );
}

#[test]
fn server_error_is_retried() {
    let (base, server) = serve(vec![
        (500, r#"{"message":"oops"}"#),
        (503, ""),
        (200, r#"{"value":"third-time"}"#),
    ]);
    let url = format!("{base}/token?api-version=2.0");
    let token = request_id_token_with(&env(&url), Some("aud"), &fast()).unwrap();
    assert_eq!(token, "third-time");
    let seen = seen(&server);
    assert_eq!(seen.len(), 3, "{seen:?}");
    for seen in seen {
        assert!(seen.request_line.contains("audience=aud"));
    }
}

#[test]
fn persistent_server_error_reports_status_body_and_attempts() {
    let (base, _server) = serve(vec![(502, "bad gateway"), (502, "bad gateway")]);
    let options = OidcOptions {
        attempts: 2,
        ..fast()
    };
    let err = request_id_token_with(&env(&format!("{base}/t")), None, &options).unwrap_err();
    assert!(
        matches!(&err, OidcError::Status { status: 502, attempts: 2, body } if body == "bad gateway"),
        "{err:?}"
    );
}

#[test]
fn forbidden_is_not_retried_and_says_what_to_do() {
    let (base, server) = serve(vec![
        (403, r#"{"message":"Forbidden"}"#),
        (200, r#"{"value":"x"}"#),
    ]);
    let err = request_id_token_with(&env(&format!("{base}/t")), Some("a"), &fast()).unwrap_err();
    assert!(
        matches!(
            err,
            OidcError::Status {
                status: 403,
                attempts: 1,
                ..
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains("HTTP 403"), "{message}");
    assert!(message.contains(r#"{"message":"Forbidden"}"#), "{message}");
    assert!(
        message.contains("permissions: id-token: write"),
        "{message}"
    );
    assert_eq!(seen(&server).len(), 1, "403 was retried");
}

#[test]
fn connection_refused_is_retried_then_reported() {
    let port = closed_port();
    let url = format!("http://127.0.0.1:{port}/t");
    let err = request_id_token_with(&env(&url), None, &fast()).unwrap_err();
    assert!(
        matches!(err, OidcError::Transport { attempts: 3, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains(&url), "{err}");
}

#[test]
fn response_without_value_is_an_error() {
    let (base, _server) = serve(vec![(200, r#"{"count":0}"#)]);
    let err = request_id_token_with(&env(&format!("{base}/t")), None, &fast()).unwrap_err();
    assert!(matches!(err, OidcError::InvalidResponse { .. }), "{err:?}");
}

#[test]
fn missing_environment_says_to_add_the_permission() {
    let err = request_id_token_with(&Env::new(), None, &fast()).unwrap_err();
    assert!(
        matches!(
            err,
            OidcError::MissingEnv {
                var: "ACTIONS_ID_TOKEN_REQUEST_URL"
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("permissions: id-token: write"),
        "{err}"
    );
    let only_url = Env::new().with("ACTIONS_ID_TOKEN_REQUEST_URL", "http://127.0.0.1:1/t");
    let err = request_id_token_with(&only_url, None, &fast()).unwrap_err();
    assert!(
        matches!(
            err,
            OidcError::MissingEnv {
                var: "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
            }
        ),
        "{err:?}"
    );
}

#[test]
fn runner_masks_the_token_before_returning_it() {
    let (base, _server) = serve(vec![(200, r#"{"value":"eyJhbGciOi.payload.signature"}"#)]);
    let (runner, out) = Runner::captured(env(&format!("{base}/t?api-version=2.0")));
    let token = runner
        .id_token_with(Some("sts.amazonaws.com"), &fast())
        .unwrap();
    assert_eq!(out.contents(), "::add-mask::eyJhbGciOi.payload.signature\n");
    runner.info(&format!("token={token}"));
    assert!(out.contents().ends_with("token=***\n"));
}

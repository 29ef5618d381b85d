//! HTTP probes against a real HTTP server on loopback that the test tells to fail or slow down.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use std::time::Duration;

use canary_gate::policy::{ProbeSpec, Statistic};
use canary_gate::probe::run;
use gantry_testkit::http::closed_port;
use support::HttpServer;

fn spec(requests: u32, concurrency: u32) -> ProbeSpec {
    ProbeSpec {
        url: String::new(),
        baseline_url: None,
        method: "GET".into(),
        expect_status: vec![200],
        requests,
        concurrency,
        timeout: Duration::from_secs(2),
        statistic: Statistic::Average,
    }
}

#[test]
fn a_healthy_server_passes_every_request() {
    let server = HttpServer::start();
    let r = run(&spec(20, 4), &server.url("/health"));
    assert_eq!((r.requests, r.failures), (20, 0));
    assert_eq!(r.latencies.len(), 20);
    assert_eq!(server.requests(), 20);
    assert_eq!(r.success_rate(), 1.0);
}

#[test]
fn wrong_statuses_count_as_failures_and_say_why() {
    let server = HttpServer::start();
    server.fail_every(4);
    let r = run(&spec(20, 1), &server.url("/"));
    assert_eq!((r.requests, r.failures), (20, 5));
    assert!((r.success_rate() - 0.75).abs() < 1e-12);
    let why = r.first_failure.unwrap();
    assert!(why.contains("status 500, expected 200"), "{why}");
    let mut accept = spec(5, 1);
    accept.expect_status = vec![503];
    server.fail_every(0);
    server.set_status(503);
    assert_eq!(run(&accept, &server.url("/")).failures, 0);
}

#[test]
fn latency_is_measured_and_timeouts_fail() {
    let server = HttpServer::start();
    server.set_delay(Duration::from_millis(150));
    let r = run(&spec(4, 4), &server.url("/"));
    let avg = r.as_latency(&Statistic::Average).value.unwrap();
    assert!((0.15..1.0).contains(&avg), "{avg}");
    let mut short = spec(2, 2);
    short.timeout = Duration::from_millis(50);
    let r = run(&short, &server.url("/"));
    assert_eq!(r.failures, 2);
    assert!(r.latencies.is_empty());
}

#[test]
fn a_closed_port_fails_every_request() {
    let port = closed_port();
    let r = run(&spec(3, 1), &format!("http://127.0.0.1:{port}/"));
    assert_eq!((r.requests, r.failures), (3, 3));
}

//! A real Prometheus server for a test (Debian's `prometheus`, installed by `scripts/setup`),
//! and a scrape target the test controls.
//!
//! [`Prometheus::start`] writes a configuration that scrapes the given targets every second,
//! starts `prometheus` on a free loopback port with its data in a temporary directory, waits
//! until it is ready, and stops it (by its own PID) when dropped. [`Target`] is a loopback HTTP
//! server answering `/metrics` in Prometheus's text format with the counters the test sets
//! and advances. A missing `prometheus` binary panics with "run scripts/setup": a test that
//! needs the server never skips.
//!
//! ```no_run
//! use gantry_testkit::prometheus::{Prometheus, Target};
//!
//! let target = Target::start();
//! target.add(r#"http_requests_total{version="canary"}"#, 100.0);
//! let prometheus = Prometheus::start(&[&target.address()]);
//! prometheus.wait_for(r#"http_requests_total{version="canary"}"#, std::time::Duration::from_secs(20));
//! let url = prometheus.url(); // http://127.0.0.1:PORT, for the tool's policy
//! # let _ = url;
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::RUN_SETUP;
use crate::http::{FakeHttp, Response};

/// The `prometheus` binary: `GANTRY_PROMETHEUS`, else Debian's `/usr/bin/prometheus`. Panics
/// with "run scripts/setup" when it is not an executable file.
pub fn binary() -> PathBuf {
    let (path, from) = match std::env::var_os("GANTRY_PROMETHEUS").filter(|v| !v.is_empty()) {
        Some(p) => (PathBuf::from(p), "GANTRY_PROMETHEUS from the environment"),
        None => (
            PathBuf::from("/usr/bin/prometheus"),
            "the Debian package's path: GANTRY_PROMETHEUS is not set",
        ),
    };
    let runs = Command::new(&path)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !runs {
        panic!(
            "prometheus is not installed: {} ({from}) does not run: {RUN_SETUP} (it installs the Debian package prometheus)",
            path.display()
        );
    }
    path
}

/// A running Prometheus server, stopped when dropped.
pub struct Prometheus {
    child: Child,
    port: u16,
    /// The configuration, data and log: removed after the server stops.
    _dir: tempfile::TempDir,
}

impl fmt::Debug for Prometheus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prometheus")
            .field("pid", &self.child.id())
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

/// Waits until the server at `port` answers `/-/ready`.
fn wait_ready(child: &mut Child, port: u16) -> Result<(), String> {
    let deadline = Instant::now() + READY;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("prometheus exited with {status}"));
        }
        if let Ok((200, _)) = get(port, "/-/ready") {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("not ready on port {port} within {READY:?}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// How long the server gets to become ready.
const READY: Duration = Duration::from_secs(60);

impl Prometheus {
    /// Starts a server that scrapes `targets` (`host:port`, path `/metrics`) every second, as
    /// job `test`.
    pub fn start(targets: &[&str]) -> Prometheus {
        let bin = binary();
        let dir = tempfile::tempdir().expect("a temporary directory for prometheus");
        let list: Vec<String> = targets.iter().map(|t| format!("'{t}'")).collect();
        let config = format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: test\n    static_configs:\n      - targets: [{}]\n",
            list.join(", ")
        );
        let config_path = dir.path().join("prometheus.yml");
        std::fs::write(&config_path, config)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", config_path.display()));
        // A port that was free a moment ago; a lost race shows as an early exit, tried again.
        let mut last_log = String::new();
        for _ in 0..3 {
            let port = free_port();
            let log_path = dir.path().join("prometheus.log");
            let log = std::fs::File::create(&log_path)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", log_path.display()));
            let err = log.try_clone().expect("a second handle on the log file");
            let mut child = Command::new(&bin)
                .arg(format!("--config.file={}", config_path.display()))
                .arg(format!(
                    "--storage.tsdb.path={}",
                    dir.path().join("data").display()
                ))
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                .current_dir(dir.path())
                .stdin(Stdio::null())
                .stdout(log)
                .stderr(err)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
            match wait_ready(&mut child, port) {
                Ok(()) => {
                    return Prometheus {
                        child,
                        port,
                        _dir: dir,
                    };
                }
                Err(why) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    last_log = format!(
                        "{why}\n--- prometheus log ---\n{}",
                        std::fs::read_to_string(&log_path).unwrap_or_default()
                    );
                }
            }
        }
        panic!("prometheus did not become ready: {last_log}");
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The answer of an instant query now, as JSON.
    pub fn query(&self, promql: &str) -> serde_json::Value {
        let path = format!("/api/v1/query?query={}", encode(promql));
        match get(self.port, &path) {
            Ok((200, body)) => serde_json::from_str(&body).unwrap_or_else(|e| {
                panic!("prometheus answered {promql:?} with non-JSON ({e}): {body}")
            }),
            Ok((status, body)) => panic!("prometheus answered {promql:?} with {status}: {body}"),
            Err(e) => panic!("prometheus did not answer {promql:?}: {e}"),
        }
    }

    /// Waits until `promql` returns at least one sample (the targets were scraped), panicking
    /// after `timeout`.
    pub fn wait_for(&self, promql: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let answer = self.query(promql);
            let found = answer["data"]["result"]
                .as_array()
                .is_some_and(|r| !r.is_empty());
            if found {
                return;
            }
            if Instant::now() > deadline {
                panic!("prometheus has no sample of {promql} after {timeout:?}: {answer}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        // Its own child, by PID.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A scrape target: `/metrics` in Prometheus's text format, with the series the test sets.
/// Series are written as Prometheus prints them, `name{label="value",…}`; a name ending in
/// `_total` is a counter, any other a gauge.
pub struct Target {
    series: Arc<Mutex<BTreeMap<String, f64>>>,
    server: FakeHttp,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("url", &self.server.url())
            .finish_non_exhaustive()
    }
}

impl Target {
    /// Starts serving, with no series yet.
    pub fn start() -> Target {
        let series: Arc<Mutex<BTreeMap<String, f64>>> = Arc::default();
        let server = {
            let series = Arc::clone(&series);
            FakeHttp::start(move |request| {
                if request.route() != "/metrics" {
                    return Response::text(404, "only /metrics here");
                }
                let series = series.lock().unwrap_or_else(PoisonError::into_inner);
                Response::text(200, &exposition(&series))
                    .header("Content-Type", "text/plain; version=0.0.4")
            })
        };
        Target { series, server }
    }

    /// `127.0.0.1:PORT`, for a scrape configuration.
    pub fn address(&self) -> String {
        self.server.url().trim_start_matches("http://").to_string()
    }

    /// Sets a series.
    pub fn set(&self, series: &str, value: f64) {
        self.lock().insert(series.to_string(), value);
    }

    /// Adds `delta` to a series (from 0).
    pub fn add(&self, series: &str, delta: f64) {
        *self.lock().entry(series.to_string()).or_insert(0.0) += delta;
    }

    /// A series' value now.
    pub fn get(&self, series: &str) -> f64 {
        self.lock().get(series).copied().unwrap_or_default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, f64>> {
        self.series.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The text format: a `# TYPE` line per metric name, then its samples.
fn exposition(series: &BTreeMap<String, f64>) -> String {
    let mut by_name: BTreeMap<&str, Vec<(&str, f64)>> = BTreeMap::new();
    for (s, v) in series {
        let name = s.split('{').next().unwrap_or(s);
        by_name.entry(name).or_default().push((s, *v));
    }
    let mut out = String::new();
    for (name, samples) in by_name {
        let kind = if name.ends_with("_total") {
            "counter"
        } else {
            "gauge"
        };
        out.push_str(&format!("# TYPE {name} {kind}\n"));
        for (s, v) in samples {
            out.push_str(&format!("{s} {v}\n"));
        }
    }
    out
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free loopback port: {e}"))
}

/// Percent-encodes all but the unreserved bytes.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// GET `path` from 127.0.0.1:`port` with HTTP/1.0: (status, body).
fn get(port: u16, path: &str) -> Result<(u16, String), String> {
    let timeout = Duration::from_secs(5);
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nAccept: application/json\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no HTTP status in {head:?}"))?;
    Ok((status, body.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_types_counters_and_gauges() {
        let series: BTreeMap<String, f64> = [
            (r#"http_requests_total{code="200"}"#.to_string(), 3.0),
            (r#"http_requests_total{code="500"}"#.to_string(), 1.0),
            ("queue_depth".to_string(), 2.5),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            exposition(&series),
            "# TYPE http_requests_total counter\nhttp_requests_total{code=\"200\"} 3\nhttp_requests_total{code=\"500\"} 1\n# TYPE queue_depth gauge\nqueue_depth 2.5\n"
        );
    }
}

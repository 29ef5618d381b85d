//! Metric sources beyond AWS: [`prometheus`] (Prometheus and Amazon Managed Prometheus),
//! [`datadog`] (Datadog's metrics query API) and [`web`] (any endpoint that answers JSON).
//! They feed the same judge as the ALB, CloudWatch and probe sources: each look reads the
//! window of one `interval` that ends `metrics-delay` before now, and each metric becomes one
//! [`Interval`] with the canary's and the baseline's numbers (see [`crate::policy`] for the
//! policy fields, the placeholders and what each query must return).
//!
//! The layers, as elsewhere in canary-gate:
//! - pure: which requests a metric needs for a look ([`prometheus::requests`],
//!   [`datadog::requests`], [`web::requests`], with the placeholders of
//!   [`crate::policy::template`] filled), how an answer becomes a number
//!   ([`prometheus::parse`], [`datadog::parse`], [`web::numbers`]) and how the numbers become
//!   an interval ([`observation`]);
//! - effects behind narrow traits, [`Prometheus`], [`Datadog`] and [`Web`], which
//!   [`read`] dispatches to; [`Live`] implements them over HTTP, with the secrets the policy
//!   names ([`Secrets`]: read from the environment and registered with the runner's masking
//!   before any request) and, for SigV4, the run's AWS credentials ([`sigv4`]).
//!
//! Errors name the metric and the source and say what to do.

pub mod datadog;
pub mod http;
pub mod prometheus;
pub mod sigv4;
pub mod web;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, SystemTime};

use gantry_toolkit::{Env, MASK};

use crate::judge::{Interval, Observation};
use crate::policy::{Kind, MetricSpec, Policy, PrometheusAuth, Source};

/// The window one look reads: `interval` long, ending at `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub end: SystemTime,
    pub interval: Duration,
}

impl Window {
    /// The window's start (the epoch for a window that would start before it).
    pub fn start(&self) -> SystemTime {
        self.end
            .checked_sub(self.interval)
            .unwrap_or(SystemTime::UNIX_EPOCH)
    }

    /// The values of the look's placeholders: `interval` (a PromQL duration), `start` and
    /// `end` (Unix seconds).
    pub fn placeholders(&self) -> [(&'static str, String); 3] {
        let secs = |t: SystemTime| {
            t.duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or_default()
                .to_string()
        };
        [
            (
                "interval",
                crate::policy::template::promql_duration(self.interval),
            ),
            ("start", secs(self.start())),
            ("end", secs(self.end)),
        ]
    }
}

/// Which group a request reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Side {
    Canary,
    Baseline,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Canary => "canary",
            Side::Baseline => "baseline",
        }
    }
}

/// A source that could not be read: the metric, the source, what happened and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("metric '{metric}' (source {origin}): {message}")]
pub struct SourceError {
    pub metric: String,
    /// `prometheus`, `datadog` or `web`.
    pub origin: &'static str,
    pub message: String,
}

impl SourceError {
    pub fn new(metric: &str, origin: &'static str, message: impl Into<String>) -> SourceError {
        SourceError {
            metric: metric.to_string(),
            origin,
            message: message.into(),
        }
    }
}

/// One side's numbers as read: bad events and requests for `error-rate`, a value (and
/// optionally requests) otherwise. `None`: no data.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Reads {
    pub errors: Option<f64>,
    pub requests: Option<f64>,
    pub value: Option<f64>,
}

/// The observation of one side: for counts, the bad events and requests rounded to whole
/// events (`increase()` extrapolates), no data counting as 0, and never more bad events than
/// requests; for values, the value, with the requests when a query gives them and otherwise
/// one per interval that has a value (so `min-requests` counts intervals).
/// Runs `one` on every request at once (a thread each): the answers in order, or the first
/// error (`failed` names a request whose thread did not return).
pub(crate) fn all_at_once<R: Sync, T: Send>(
    requests: &[R],
    one: impl Fn(&R) -> Result<T, SourceError> + Sync,
    failed: impl Fn(&R) -> SourceError,
) -> Result<Vec<T>, SourceError> {
    let one = &one;
    std::thread::scope(|scope| {
        let handles: Vec<_> = requests
            .iter()
            .map(|r| scope.spawn(move || one(r)))
            .collect();
        handles
            .into_iter()
            .zip(requests)
            .map(|(h, r)| h.join().unwrap_or_else(|_| Err(failed(r))))
            .collect()
    })
}

pub fn observation(kind: Kind, reads: Reads) -> Observation {
    let count = |x: Option<f64>| x.map(|v| v.max(0.0).round() as u64).unwrap_or(0);
    if kind.is_count() {
        let requests = count(reads.requests);
        Observation {
            bad: count(reads.errors).min(requests),
            requests,
            value: None,
        }
    } else {
        Observation {
            bad: 0,
            requests: match reads.requests {
                Some(_) => count(reads.requests),
                None => u64::from(reads.value.is_some()),
            },
            value: reads.value,
        }
    }
}

/// Instant queries to a Prometheus-compatible server.
#[allow(async_fn_in_trait)]
pub trait Prometheus {
    /// The number of each request, in order (`None`: no data), or the first error.
    async fn instant(
        &self,
        requests: &[prometheus::Request],
    ) -> Result<Vec<Option<f64>>, SourceError>;
}

/// Datadog's metrics query API.
#[allow(async_fn_in_trait)]
pub trait Datadog {
    /// The number of each request, in order (`None`: no data), or the first error.
    async fn query(&self, requests: &[datadog::Request]) -> Result<Vec<Option<f64>>, SourceError>;
}

/// JSON endpoints.
#[allow(async_fn_in_trait)]
pub trait Web {
    /// The numbers each request's paths pick out of its answer, in order, or the first error.
    async fn fetch(&self, requests: &[web::Request]) -> Result<Vec<Reads>, SourceError>;
}

/// The interval of every `prometheus`, `datadog` and `web` metric of `metrics` for the look
/// over `window` (`None` for the metrics of other sources), in the order of `metrics`. All
/// the requests of a source go out at once.
pub async fn read<S: Prometheus + Datadog + Web>(
    sources: &S,
    metrics: &[MetricSpec],
    window: &Window,
    percent: u8,
) -> Result<Vec<Option<Interval>>, SourceError> {
    let mut prom = Vec::new();
    let mut dd = Vec::new();
    let mut webs = Vec::new();
    for m in metrics {
        match &m.source {
            Source::Prometheus(spec) => prom.extend(prometheus::requests(m, spec, window)),
            Source::Datadog(spec) => dd.extend(datadog::requests(m, spec, window)),
            Source::Web(spec) => webs.extend(web::requests(m, spec, window)),
            _ => {}
        }
    }
    // (metric, side) → the side's numbers.
    let mut reads: BTreeMap<(String, Side), Reads> = BTreeMap::new();
    let mut put = |metric: &str, side: Side, part: &str, value: Option<f64>| {
        let r = reads.entry((metric.to_string(), side)).or_default();
        match part {
            "errors" => r.errors = value,
            "requests" => r.requests = value,
            _ => r.value = value,
        }
    };
    if !prom.is_empty() {
        for (r, v) in prom.iter().zip(sources.instant(&prom).await?) {
            put(&r.metric, r.side, r.part, v);
        }
    }
    if !dd.is_empty() {
        for (r, v) in dd.iter().zip(sources.query(&dd).await?) {
            put(&r.metric, r.side, r.part, v);
        }
    }
    if !webs.is_empty() {
        for (r, v) in webs.iter().zip(sources.fetch(&webs).await?) {
            reads.insert((r.metric.clone(), r.side), v);
        }
    }
    Ok(metrics
        .iter()
        .map(|m| {
            if !matches!(
                m.source,
                Source::Prometheus(_) | Source::Datadog(_) | Source::Web(_)
            ) {
                return None;
            }
            let side = |s: Side| {
                reads
                    .get(&(m.name.clone(), s))
                    .map(|r| observation(m.kind, *r))
            };
            Some(Interval {
                percent,
                canary: side(Side::Canary).unwrap_or_default(),
                baseline: m
                    .source
                    .has_baseline()
                    .then(|| side(Side::Baseline))
                    .flatten(),
            })
        })
        .collect())
}

/// A secret a policy names: the metric, its source, the field and the environment variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRef {
    pub metric: String,
    pub origin: &'static str,
    pub field: String,
    pub var: String,
}

/// Every environment variable the policy reads a secret from.
pub fn secret_refs(policy: &Policy) -> Vec<SecretRef> {
    let mut out = Vec::new();
    for m in &policy.metrics {
        let mut add = |origin: &'static str, field: &str, var: &str| {
            out.push(SecretRef {
                metric: m.name.clone(),
                origin,
                field: field.to_string(),
                var: var.to_string(),
            });
        };
        match &m.source {
            Source::Prometheus(p) => match &p.auth {
                PrometheusAuth::Bearer { token_env } => {
                    add("prometheus", "bearer-token-env", token_env);
                }
                PrometheusAuth::Basic {
                    username_env,
                    password_env,
                } => {
                    add("prometheus", "username-env", username_env);
                    add("prometheus", "password-env", password_env);
                }
                PrometheusAuth::None | PrometheusAuth::SigV4 { .. } => {}
            },
            Source::Datadog(d) => {
                add("datadog", "api-key-env", &d.api_key_env);
                add("datadog", "application-key-env", &d.application_key_env);
            }
            Source::Web(w) => {
                for (header, var) in &w.headers {
                    add("web", &format!("headers.{header}"), var);
                }
            }
            _ => {}
        }
    }
    out
}

/// The secrets a policy names, read from the environment. `Debug` shows the names only.
#[derive(Clone, Default)]
pub struct Secrets {
    values: BTreeMap<String, String>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.values.keys()).finish()
    }
}

impl Secrets {
    /// Reads every secret of `policy` from `env` and hands each to `mask` (the runner's
    /// [`gantry_toolkit::Runner::add_mask`]) before returning, so none can be printed before
    /// it is masked. A variable that is unset or empty is an error that names the metric, the
    /// field and the variable.
    pub fn read(policy: &Policy, env: &Env, mask: &dyn Fn(&str)) -> Result<Secrets, SourceError> {
        let mut values = BTreeMap::new();
        for r in secret_refs(policy) {
            let value = env.get(&r.var).map(str::trim).unwrap_or_default();
            if value.is_empty() {
                return Err(SourceError::new(
                    &r.metric,
                    r.origin,
                    format!(
                        "metrics.{}.{} names the environment variable {}, which is {}: give it to the step from a secret (env: {{{}: ${{{{ secrets.… }}}}}})",
                        r.metric,
                        r.field,
                        r.var,
                        if env.get(&r.var).is_some() {
                            "empty"
                        } else {
                            "not set"
                        },
                        r.var
                    ),
                ));
            }
            mask(value);
            values.insert(r.var.clone(), value.to_string());
        }
        // The encoded form of basic credentials is as good as the password.
        for m in &policy.metrics {
            if let Source::Prometheus(p) = &m.source
                && let PrometheusAuth::Basic {
                    username_env,
                    password_env,
                } = &p.auth
                && let (Some(u), Some(pw)) = (values.get(username_env), values.get(password_env))
            {
                let header = http::basic_auth(u, pw);
                mask(header.trim_start_matches("Basic "));
            }
        }
        Ok(Secrets { values })
    }

    /// The value of `var`, which [`Secrets::read`] read; an error naming the metric otherwise.
    pub fn require(
        &self,
        var: &str,
        metric: &str,
        origin: &'static str,
    ) -> Result<&str, SourceError> {
        self.values.get(var).map(String::as_str).ok_or_else(|| {
            SourceError::new(
                metric,
                origin,
                format!("the secret in {var} was not read before the request (a bug: the run reads every secret the policy names first)"),
            )
        })
    }

    /// `text` with every secret replaced by `***`, for messages that quote an answer.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        let mut secrets: Vec<&String> = self.values.values().collect();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        for s in secrets {
            out = out.replace(s.as_str(), MASK);
        }
        out
    }
}

/// The sources over HTTP, with the secrets read and masked and, for `auth: sigv4`, the run's
/// AWS credentials.
#[derive(Debug, Clone, Default)]
pub struct Live {
    secrets: Secrets,
    signing: Option<sigv4::AwsSigning>,
}

impl Live {
    /// Reads the policy's secrets from `env`, each handed to `mask` (the runner's `add_mask`)
    /// before anything is sent. `signing`: the run's AWS credentials, for `auth: sigv4`.
    pub fn connect(
        policy: &Policy,
        env: &Env,
        mask: &dyn Fn(&str),
        signing: Option<sigv4::AwsSigning>,
    ) -> Result<Live, SourceError> {
        Ok(Live {
            secrets: Secrets::read(policy, env, mask)?,
            signing,
        })
    }

    /// [`Live::connect`] with the process's environment, masking each secret with the
    /// runner's `::add-mask::` command the first time this process reads it, and for
    /// `auth: sigv4` the run's AWS credentials ([`sigv4::AwsSigning::for_process`]). For the
    /// run loops, which hold the policy but not the runner.
    pub async fn from_process(policy: &Policy) -> Result<Live, SourceError> {
        let sigv4 = policy.needs_aws_credentials();
        if secret_refs(policy).is_empty() && !sigv4 {
            return Ok(Live::default());
        }
        let env = Env::from_process();
        static MASKED: OnceLock<Mutex<BTreeSet<String>>> = OnceLock::new();
        let runner = Arc::new(gantry_toolkit::Runner::builder(env.clone()).build());
        let mask = |secret: &str| {
            let mut masked = MASKED
                .get_or_init(Default::default)
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if masked.insert(secret.to_string()) {
                runner.add_mask(secret);
            }
        };
        let secrets = Secrets::read(policy, &env, &mask)?;
        let signing = if sigv4 {
            let metric = policy
                .metrics
                .iter()
                .find(|m| {
                    matches!(
                        &m.source,
                        Source::Prometheus(p) if matches!(p.auth, PrometheusAuth::SigV4 { .. })
                    )
                })
                .map(|m| m.name.as_str())
                .unwrap_or_default();
            Some(
                sigv4::AwsSigning::for_process(&env, runner.clone())
                    .await
                    .map_err(|e| SourceError::new(metric, "prometheus", e))?,
            )
        } else {
            None
        };
        Ok(Live { secrets, signing })
    }
}

impl Prometheus for Live {
    async fn instant(
        &self,
        requests: &[prometheus::Request],
    ) -> Result<Vec<Option<f64>>, SourceError> {
        let sigv4 = requests
            .iter()
            .find(|r| matches!(r.auth, PrometheusAuth::SigV4 { .. }));
        let aws = match (sigv4, &self.signing) {
            (None, _) => None,
            (Some(_), Some(signing)) => Some((
                signing.credentials().await.map_err(|e| {
                    SourceError::new(
                        sigv4.map(|r| r.metric.as_str()).unwrap_or_default(),
                        "prometheus",
                        format!("{e}; auth: sigv4 signs with them"),
                    )
                })?,
                signing.region().map(str::to_string),
            )),
            (Some(r), None) => {
                return Err(SourceError::new(
                    &r.metric,
                    "prometheus",
                    "auth: sigv4 signs with the run's AWS credentials, but this run has none: give the step aws-region and credentials (role-to-assume, or keys)",
                ));
            }
        };
        let (requests, secrets) = (requests.to_vec(), self.secrets.clone());
        let metric = requests
            .first()
            .map(|r| r.metric.clone())
            .unwrap_or_default();
        tokio::task::spawn_blocking(move || {
            let cx = prometheus::Context {
                secrets: &secrets,
                aws: aws.as_ref().map(|(c, region)| (c, region.as_deref())),
            };
            prometheus::query_all(&requests, cx)
        })
        .await
        .map_err(|e| {
            SourceError::new(&metric, "prometheus", format!("the query task failed: {e}"))
        })?
    }
}

impl Datadog for Live {
    async fn query(&self, requests: &[datadog::Request]) -> Result<Vec<Option<f64>>, SourceError> {
        let (requests, secrets) = (requests.to_vec(), self.secrets.clone());
        let metric = requests
            .first()
            .map(|r| r.metric.clone())
            .unwrap_or_default();
        tokio::task::spawn_blocking(move || datadog::query_all(&requests, &secrets))
            .await
            .map_err(|e| {
                SourceError::new(&metric, "datadog", format!("the query task failed: {e}"))
            })?
    }
}

impl Web for Live {
    async fn fetch(&self, requests: &[web::Request]) -> Result<Vec<Reads>, SourceError> {
        let (requests, secrets) = (requests.to_vec(), self.secrets.clone());
        let metric = requests
            .first()
            .map(|r| r.metric.clone())
            .unwrap_or_default();
        tokio::task::spawn_blocking(move || web::fetch_all(&requests, &secrets))
            .await
            .map_err(|e| {
                SourceError::new(&metric, "web", format!("the request task failed: {e}"))
            })?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::parse;

    #[test]
    fn observations_round_counts_and_count_values() {
        let r = |errors, requests, value| Reads {
            errors,
            requests,
            value,
        };
        // (name, kind, reads, bad, requests, value)
        type Case<'a> = (&'a str, Kind, Reads, u64, u64, Option<f64>);
        let table: &[Case] = &[
            (
                "extrapolated counts round",
                Kind::ErrorRate,
                r(Some(2.6), Some(99.7), None),
                3,
                100,
                None,
            ),
            (
                "no error series: 0 errors",
                Kind::ErrorRate,
                r(None, Some(50.0), None),
                0,
                50,
                None,
            ),
            (
                "never more errors than requests",
                Kind::ErrorRate,
                r(Some(12.0), Some(10.0), None),
                10,
                10,
                None,
            ),
            (
                "no data at all",
                Kind::ErrorRate,
                r(None, None, None),
                0,
                0,
                None,
            ),
            (
                "a value counts one request",
                Kind::Latency,
                r(None, None, Some(0.2)),
                0,
                1,
                Some(0.2),
            ),
            (
                "no value, no request",
                Kind::Value,
                r(None, None, None),
                0,
                0,
                None,
            ),
            (
                "a requests query counts them",
                Kind::Latency,
                r(None, Some(480.4), Some(0.2)),
                0,
                480,
                Some(0.2),
            ),
        ];
        for (name, kind, reads, bad, requests, value) in table {
            let o = observation(*kind, *reads);
            assert_eq!(
                (o.bad, o.requests, o.value),
                (*bad, *requests, *value),
                "{name}"
            );
        }
    }

    /// Sources that answer from tables and record what they were asked.
    #[derive(Default)]
    struct Fake {
        asked: Mutex<Vec<String>>,
        fail: bool,
    }

    impl Prometheus for Fake {
        async fn instant(
            &self,
            requests: &[prometheus::Request],
        ) -> Result<Vec<Option<f64>>, SourceError> {
            let mut asked = self.asked.lock().unwrap();
            Ok(requests
                .iter()
                .map(|r| {
                    asked.push(format!("prometheus {}", r.query));
                    match (r.side, r.part) {
                        (Side::Canary, "errors") => Some(6.0),
                        (Side::Baseline, "errors") => None,
                        _ => Some(300.0),
                    }
                })
                .collect())
        }
    }

    impl Datadog for Fake {
        async fn query(
            &self,
            requests: &[datadog::Request],
        ) -> Result<Vec<Option<f64>>, SourceError> {
            if self.fail {
                return Err(SourceError::new(&requests[0].metric, "datadog", "down"));
            }
            let mut asked = self.asked.lock().unwrap();
            Ok(requests
                .iter()
                .map(|r| {
                    asked.push(format!("datadog {}", r.query));
                    Some(0.25)
                })
                .collect())
        }
    }

    impl Web for Fake {
        async fn fetch(&self, requests: &[web::Request]) -> Result<Vec<Reads>, SourceError> {
            let mut asked = self.asked.lock().unwrap();
            Ok(requests
                .iter()
                .map(|r| {
                    asked.push(format!("web {}", r.url));
                    Reads {
                        value: Some(if r.side == Side::Canary { 7.0 } else { 5.0 }),
                        ..Reads::default()
                    }
                })
                .collect())
        }
    }

    #[test]
    fn a_look_dispatches_each_source_and_builds_intervals_in_policy_order() {
        let p = parse(
            r#"
metrics:
  lb: {source: alb, kind: error-rate, max: 0.1}
  errors:
    source: prometheus
    kind: error-rate
    url: http://prom:9090
    errors-query: e{{{selector}}}[{{interval}}]
    requests-query: r{{{selector}}}
    canary-selector: v="c"
    baseline-selector: v="b"
    max-ratio: 2
  p99:
    source: datadog
    kind: latency
    query: avg:lat{*}
    max: 1
  depth:
    source: web
    url: https://c.example/d?to={{end}}
    baseline-url: https://b.example/d
    json-path: d
    max-difference: 3
"#,
        )
        .unwrap();
        let window = Window {
            end: SystemTime::UNIX_EPOCH + Duration::from_secs(1_000),
            interval: Duration::from_secs(30),
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let fake = Fake::default();
        let got = rt.block_on(read(&fake, &p.metrics, &window, 25)).unwrap();
        assert_eq!(got[0], None, "the ALB's metrics are CloudWatch's");
        let obs = |bad, requests, value| Observation {
            bad,
            requests,
            value,
        };
        assert_eq!(
            got[1],
            Some(Interval {
                percent: 25,
                canary: obs(6, 300, None),
                baseline: Some(obs(0, 300, None)),
            })
        );
        assert_eq!(
            got[2],
            Some(Interval {
                percent: 25,
                canary: obs(0, 1, Some(0.25)),
                baseline: None,
            })
        );
        assert_eq!(
            got[3],
            Some(Interval {
                percent: 25,
                canary: obs(0, 1, Some(7.0)),
                baseline: Some(obs(0, 1, Some(5.0))),
            })
        );
        assert_eq!(
            *fake.asked.lock().unwrap(),
            [
                r#"prometheus e{v="c"}[30s]"#,
                r#"prometheus r{v="c"}"#,
                r#"prometheus e{v="b"}[30s]"#,
                r#"prometheus r{v="b"}"#,
                "datadog avg:lat{*}",
                "web https://c.example/d?to=1000",
                "web https://b.example/d",
            ]
        );
        let failing = Fake {
            fail: true,
            ..Fake::default()
        };
        let e = rt
            .block_on(read(&failing, &p.metrics, &window, 25))
            .unwrap_err();
        assert_eq!(e.to_string(), "metric 'p99' (source datadog): down");
    }

    const SECRET_POLICY: &str = r#"
metrics:
  errors:
    source: prometheus
    kind: error-rate
    url: http://prom:9090
    auth: basic
    username-env: PROM_USER
    password-env: PROM_PASSWORD
    errors-query: x{{{selector}}}
    requests-query: y{{{selector}}}
    canary-selector: v="c"
    max: 0.1
  dd:
    source: datadog
    query: avg:x{*}
    api-key-env: MY_DD_KEY
    max: 1
  hook:
    source: web
    url: https://x.example/stats
    headers: {Authorization: WEB_AUTH}
    json-path: a.b
    max: 1
"#;

    #[test]
    fn secrets_are_read_from_the_named_variables_and_masked_first() {
        let p = parse(SECRET_POLICY).unwrap();
        let vars: Vec<String> = secret_refs(&p).into_iter().map(|r| r.var).collect();
        assert_eq!(
            vars,
            [
                "PROM_USER",
                "PROM_PASSWORD",
                "MY_DD_KEY",
                "DD_APP_KEY",
                "WEB_AUTH"
            ]
        );
        let env = Env::new()
            .with("PROM_USER", "alice")
            .with("PROM_PASSWORD", "pw-0123456789")
            .with("MY_DD_KEY", "ddkey-0123456789")
            .with("DD_APP_KEY", "ddapp-0123456789")
            .with("WEB_AUTH", "Bearer web-0123456789");
        let masked = Mutex::new(Vec::new());
        let secrets =
            Secrets::read(&p, &env, &|s| masked.lock().unwrap().push(s.to_string())).unwrap();
        let masked = masked.into_inner().unwrap();
        assert_eq!(
            masked,
            [
                "alice",
                "pw-0123456789",
                "ddkey-0123456789",
                "ddapp-0123456789",
                "Bearer web-0123456789",
                "YWxpY2U6cHctMDEyMzQ1Njc4OQ==",
            ]
        );
        assert_eq!(
            secrets.require("WEB_AUTH", "hook", "web"),
            Ok("Bearer web-0123456789")
        );
        assert_eq!(
            secrets.scrub("key ddkey-0123456789 in Bearer web-0123456789"),
            "key *** in ***"
        );
        assert!(!format!("{secrets:?}").contains("0123456789"));
    }

    #[test]
    fn a_missing_secret_names_the_metric_field_and_variable() {
        let p = parse(SECRET_POLICY).unwrap();
        let env = Env::new()
            .with("PROM_USER", "alice")
            .with("PROM_PASSWORD", "");
        let e = Secrets::read(&p, &env, &|_| {}).unwrap_err().to_string();
        assert_eq!(
            e,
            "metric 'errors' (source prometheus): metrics.errors.password-env names the environment variable PROM_PASSWORD, which is empty: give it to the step from a secret (env: {PROM_PASSWORD: ${{ secrets.… }}})"
        );
    }
}

//! HTTP probes: a batch of requests to one URL, `concurrency` at a time, each checked for an
//! expected status and timed to the end of the body. A transport error or timeout is a failed
//! request like a wrong status. The batch becomes one interval of the probe's metrics:
//! failures over requests for `success-rate`, the statistic of the latencies for `latency`.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::judge::Observation;
use crate::policy::{ProbeSpec, Statistic};

/// What one batch of requests came to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProbeResult {
    pub requests: u64,
    pub failures: u64,
    /// Seconds, of every request that got a response (in completion order).
    pub latencies: Vec<f64>,
    /// The first failure, for the log.
    pub first_failure: Option<String>,
}

impl ProbeResult {
    pub fn success_rate(&self) -> f64 {
        if self.requests == 0 {
            return 0.0;
        }
        1.0 - self.failures as f64 / self.requests as f64
    }

    /// The counts as an observation of a success-rate metric.
    pub fn as_counts(&self) -> Observation {
        Observation {
            bad: self.failures,
            requests: self.requests,
            value: None,
        }
    }

    /// The latencies summarised by `statistic`, as an observation of a latency metric.
    pub fn as_latency(&self, statistic: &Statistic) -> Observation {
        Observation {
            bad: 0,
            requests: self.requests,
            value: summarise(&self.latencies, statistic),
        }
    }
}

/// The average or the nearest-rank percentile.
pub fn summarise(values: &[f64], statistic: &Statistic) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    match statistic {
        Statistic::Average => Some(values.iter().sum::<f64>() / values.len() as f64),
        Statistic::Percentile(p) => {
            let mut sorted = values.to_vec();
            sorted.sort_by(f64::total_cmp);
            let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
            sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
        }
    }
}

/// Sends the probe's requests to `url`; blocking (run it on a blocking thread).
pub fn run(spec: &ProbeSpec, url: &str) -> ProbeResult {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(spec.timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .user_agent(concat!("gantry-canary-gate/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let result = Mutex::new(ProbeResult::default());
    let next = std::sync::atomic::AtomicU32::new(0);
    std::thread::scope(|scope| {
        for _ in 0..spec.concurrency {
            scope.spawn(|| {
                while next.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < spec.requests {
                    let (ok, latency, failure) = one(&agent, spec, url);
                    if let Ok(mut r) = result.lock() {
                        r.requests += 1;
                        if !ok {
                            r.failures += 1;
                            if r.first_failure.is_none() {
                                r.first_failure = failure;
                            }
                        }
                        if let Some(l) = latency {
                            r.latencies.push(l);
                        }
                    }
                }
            });
        }
    });
    result.into_inner().unwrap_or_default()
}

/// One request: (as expected, seconds to the end of the body, why it failed).
fn one(agent: &ureq::Agent, spec: &ProbeSpec, url: &str) -> (bool, Option<f64>, Option<String>) {
    let start = Instant::now();
    let response = match spec.method.as_str() {
        "POST" => agent.post(url).send_empty(),
        "PUT" => agent.put(url).send_empty(),
        "PATCH" => agent.patch(url).send_empty(),
        "DELETE" => agent.delete(url).call(),
        "HEAD" => agent.head(url).call(),
        "OPTIONS" => agent.options(url).call(),
        _ => agent.get(url).call(),
    };
    match response {
        Ok(mut resp) => {
            let status = resp.status().as_u16();
            // Read the body: the response is not complete (nor timed) until it arrives.
            let body = resp.body_mut().read_to_vec();
            let elapsed = secs(start.elapsed());
            if let Err(e) = body {
                return (
                    false,
                    Some(elapsed),
                    Some(format!("{url}: reading the body failed: {e}")),
                );
            }
            if spec.expect_status.contains(&status) {
                (true, Some(elapsed), None)
            } else {
                let expected: Vec<String> = spec.expect_status.iter().map(u16::to_string).collect();
                (
                    false,
                    Some(elapsed),
                    Some(format!(
                        "{url}: status {status}, expected {}",
                        expected.join(" or ")
                    )),
                )
            }
        }
        Err(e) => (false, None, Some(format!("{url}: {e}"))),
    }
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(summarise(&v, &Statistic::Percentile(99.0)), Some(99.0));
        assert_eq!(summarise(&v, &Statistic::Percentile(50.0)), Some(50.0));
        assert_eq!(summarise(&v, &Statistic::Average), Some(50.5));
        assert_eq!(summarise(&[], &Statistic::Average), None);
        assert_eq!(summarise(&[3.0], &Statistic::Percentile(1.0)), Some(3.0));
    }
}

//! When to try a GitHub request again, and how long to wait first: one policy for every tool.
//!
//! Retried: transport errors, 408, 5xx, and rate limits (429, or 403 with `retry-after`,
//! `x-ratelimit-remaining: 0`, or a "rate limit" message: GitHub's secondary limits). A rate
//! limit waits what GitHub asks (`retry-after`, else until `x-ratelimit-reset`, else
//! [`RetryPolicy::rate_limit_wait`], GitHub's "at least one minute"); a wait longer than
//! [`RetryPolicy::max_wait`] is not worth holding a job for, so the answer is kept as the
//! error at once. Anything else (401, a plain 403, 404, 422) is final: retrying cannot change it.

use std::time::Duration;

/// How a client retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included (at least 1).
    pub max_attempts: u32,
    /// The wait before the second try after a 5xx or a transport error; doubled each time.
    pub base_delay: Duration,
    /// The wait on a rate limit that gives no time (GitHub: "at least one minute").
    pub rate_limit_wait: Duration,
    /// The longest single wait; a rate limit that asks for more is an error at once.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_secs(1),
            rate_limit_wait: Duration::from_secs(60),
            max_wait: Duration::from_secs(120),
        }
    }
}

/// What an answer says about rate limits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateHints {
    /// `retry-after`, in seconds.
    pub retry_after: Option<u64>,
    /// `x-ratelimit-remaining`.
    pub remaining: Option<u64>,
    /// `x-ratelimit-reset`, seconds since the epoch.
    pub reset: Option<u64>,
}

impl RateHints {
    /// The seconds GitHub asks to wait, at `now` (seconds since the epoch), when it says.
    pub fn wait_secs(&self, now: u64) -> Option<u64> {
        match (self.retry_after, self.remaining, self.reset) {
            (Some(secs), _, _) => Some(secs),
            (None, Some(0), Some(reset)) => Some(reset.saturating_sub(now).max(1)),
            _ => None,
        }
    }
}

/// What to do after one try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Keep the answer (success, or an error not worth retrying).
    Done,
    /// Try again after the wait.
    Retry(Duration),
    /// Worth retrying but out of tries or the wait is too long: keep the answer as an error.
    GiveUp,
}

/// Whether an answer is a rate limit: 429, or 403 with rate-limit headers or message.
pub fn is_rate_limited(status: u16, hints: &RateHints, message: &str) -> bool {
    status == 429
        || (status == 403
            && (hints.retry_after.is_some()
                || hints.remaining == Some(0)
                || message.to_ascii_lowercase().contains("rate limit")))
}

/// What to do after try number `attempt` (1-based) got `status` (`None`: no answer, a
/// transport error) with `message` (GitHub's, for secondary rate limits), at `now` (seconds
/// since the epoch).
pub fn retry_decision(
    status: Option<u16>,
    hints: &RateHints,
    message: &str,
    attempt: u32,
    policy: &RetryPolicy,
    now: u64,
) -> RetryDecision {
    let backoff = || {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        policy
            .base_delay
            .saturating_mul(factor)
            .min(policy.max_wait)
    };
    let wait = match status {
        None => backoff(),
        Some(status) if is_rate_limited(status, hints, message) => {
            let wait = hints
                .wait_secs(now)
                .map_or(policy.rate_limit_wait, Duration::from_secs);
            if wait > policy.max_wait {
                return RetryDecision::GiveUp;
            }
            wait
        }
        Some(status) if status == 408 || status >= 500 => backoff(),
        Some(_) => return RetryDecision::Done,
    };
    if attempt >= policy.max_attempts {
        RetryDecision::GiveUp
    } else {
        RetryDecision::Retry(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(100),
            rate_limit_wait: Duration::from_secs(60),
            max_wait: Duration::from_secs(120),
        }
    }

    const NOW: u64 = 1_000_000;

    #[test]
    fn decisions() {
        let none = RateHints::default();
        let after = |secs| RateHints {
            retry_after: Some(secs),
            ..RateHints::default()
        };
        let exhausted = |reset| RateHints {
            retry_after: None,
            remaining: Some(0),
            reset: Some(reset),
        };
        let retry = |ms| RetryDecision::Retry(Duration::from_millis(ms));
        // (status, hints, message, attempt, decision)
        let cases: Vec<(Option<u16>, RateHints, &str, u32, RetryDecision)> = vec![
            // Server errors and transport errors back off, doubling, within the tries.
            (Some(500), none.clone(), "", 1, retry(100)),
            (Some(502), none.clone(), "", 2, retry(200)),
            (Some(503), none.clone(), "", 3, RetryDecision::GiveUp),
            (Some(408), none.clone(), "", 1, retry(100)),
            (None, none.clone(), "connection refused", 1, retry(100)),
            (
                None,
                none.clone(),
                "connection refused",
                3,
                RetryDecision::GiveUp,
            ),
            // Final answers.
            (Some(200), none.clone(), "", 1, RetryDecision::Done),
            (Some(201), none.clone(), "", 1, RetryDecision::Done),
            (
                Some(401),
                none.clone(),
                "Bad credentials",
                1,
                RetryDecision::Done,
            ),
            (
                Some(403),
                none.clone(),
                "Resource not accessible",
                1,
                RetryDecision::Done,
            ),
            (Some(404), none.clone(), "Not Found", 1, RetryDecision::Done),
            (
                Some(422),
                none.clone(),
                "Validation Failed",
                1,
                RetryDecision::Done,
            ),
            // Rate limits wait what GitHub says.
            (Some(403), after(3), "", 1, retry(3000)),
            (Some(429), after(0), "", 1, retry(0)),
            (Some(403), exhausted(NOW + 30), "", 1, retry(30_000)),
            // A reset already past still waits a second.
            (Some(403), exhausted(NOW - 5), "", 1, retry(1000)),
            // Resets in an hour: not worth holding the job.
            (
                Some(403),
                exhausted(NOW + 3600),
                "",
                1,
                RetryDecision::GiveUp,
            ),
            (Some(429), after(3600), "", 1, RetryDecision::GiveUp),
            // Secondary limits say so only in the message.
            (
                Some(403),
                none.clone(),
                "You have exceeded a secondary rate limit",
                1,
                retry(60_000),
            ),
            (Some(429), none.clone(), "", 1, retry(60_000)),
            (Some(429), none.clone(), "", 3, RetryDecision::GiveUp),
        ];
        for (status, hints, message, attempt, decision) in cases {
            assert_eq!(
                retry_decision(status, &hints, message, attempt, &policy(), NOW),
                decision,
                "{status:?} {hints:?} {message:?} attempt {attempt}"
            );
        }
    }

    #[test]
    fn rate_limits_are_recognized() {
        let none = RateHints::default();
        let remaining = RateHints {
            remaining: Some(0),
            ..RateHints::default()
        };
        let cases = [
            (429, &none, "", true),
            (403, &remaining, "", true),
            (403, &none, "API rate limit exceeded", true),
            (403, &none, "Resource not accessible by integration", false),
            (500, &remaining, "", false),
        ];
        for (status, hints, message, limited) in cases {
            assert_eq!(
                is_rate_limited(status, hints, message),
                limited,
                "{status} {message}"
            );
        }
    }
}

//! [`wait_healthy`]: poll an application until it runs a commit, fails to, the follow's
//! timeout passes, or the run must stop.
//!
//! - The first read asks for a refresh (`refresh=normal`), so Argo CD looks at the repository
//!   now rather than at its next reconciliation (every 3 minutes by default). While Argo CD has
//!   not seen the commit, every [`WaitOptions::refresh_every`]th read asks again (a repository
//!   mirror may lag, or the push landed after the first refresh). Once it has, reads do not
//!   ask: the controller updates sync and health from the cluster by itself.
//! - With [`WaitOptions::sync`], an application without automated sync that Argo CD sees
//!   `OutOfSync` on the commit is asked to sync once (to its own target revision: the branch,
//!   which holds the commit). A sync refused because an operation is running is asked again
//!   at a later read.
//! - No answer and 5xx (after the client's retries) are waited out; other errors end the wait.
//! - A line is logged when the state changes, not at every read.
//! - Each call races the [`Stop`] (signal or overall deadline) and the follow's own timeout, so
//!   neither waits for a request to finish.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};

use gantry_toolkit::Stop;
use gantry_toolkit::stop::StopReason;

use super::follow::{Decision, Failure, Waiting, decide, short};
use super::{ArgoCd, ArgoCdError, Refresh};

/// How [`wait_healthy`] polls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitOptions {
    /// The wait between two reads (at least 10 ms).
    pub poll_interval: Duration,
    /// While Argo CD has not seen the commit, every this many reads asks for a refresh (the
    /// first read always does).
    pub refresh_every: u32,
    /// How long to follow; past it the outcome is [`Outcome::TimedOut`]. Leave the run's
    /// deadline room for a revert after it.
    pub timeout: Duration,
    /// Ask Argo CD to sync an application that has no automated sync.
    pub sync: bool,
}

impl Default for WaitOptions {
    /// Every 5 s, a refresh every 30 s until Argo CD sees the commit, 10 minutes, no sync.
    fn default() -> Self {
        WaitOptions {
            poll_interval: Duration::from_secs(5),
            refresh_every: 6,
            timeout: Duration::from_secs(600),
            sync: false,
        }
    }
}

/// The last thing a follow saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// No read answered yet.
    Nothing,
    /// The application's state.
    State(Waiting),
    /// The last read got no answer, or a 5xx (the message).
    Error(String),
}

impl fmt::Display for Seen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Seen::Nothing => f.write_str("no answer from Argo CD yet"),
            Seen::State(waiting) => waiting.fmt(f),
            Seen::Error(message) => f.write_str(message),
        }
    }
}

/// How a follow ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The application runs `revision` (the commit, or a later one that contains it) and is
    /// `Healthy`.
    Healthy {
        revision: String,
        /// Reads made.
        polls: u32,
        /// From the first read to the last.
        waited: Duration,
    },
    /// Argo CD ran the commit, or tried to, and it failed.
    Failed {
        reason: Failure,
        polls: u32,
        waited: Duration,
    },
    /// [`WaitOptions::timeout`] passed first.
    TimedOut {
        last: Seen,
        polls: u32,
        waited: Duration,
    },
    /// The run must stop (a signal, or the run's deadline).
    Stopped { reason: StopReason, last: Seen },
}

impl Outcome {
    /// Why the application does not run the commit, for the revert's message and the log;
    /// `None` when it does.
    pub fn failure(&self) -> Option<String> {
        match self {
            Outcome::Healthy { .. } => None,
            Outcome::Failed { reason, .. } => Some(reason.to_string()),
            Outcome::TimedOut { last, waited, .. } => Some(format!(
                "Argo CD did not run the commit within {} s: {last}",
                waited.as_secs()
            )),
            Outcome::Stopped { reason, last } => {
                Some(format!("stopped following Argo CD: {reason} ({last})"))
            }
        }
    }
}

/// Follows `application` until it runs `commit` (see the module's documentation).
///
/// `contains(revision)` says whether `revision` (a full SHA Argo CD reports) is `commit` or a
/// later commit that has it in its history (`git merge-base --is-ancestor`); it should fetch
/// when it does not know the revision, since its answer for a revision is kept. `log` gets one
/// line per change of state.
///
/// # Errors
/// An error that waiting will not cure: the token refused (401), the account not allowed
/// (403), the application not found (404), a sync refused for a reason other than a running
/// operation.
pub async fn wait_healthy<A: ArgoCd>(
    argocd: &A,
    application: &str,
    commit: &str,
    options: &WaitOptions,
    stop: &Stop,
    mut contains: impl FnMut(&str) -> bool,
    mut log: impl FnMut(&str),
) -> Result<Outcome, ArgoCdError> {
    let start = Instant::now();
    let end = start + options.timeout;
    let interval = options.poll_interval.max(Duration::from_millis(10));
    let mut known: HashMap<String, bool> = HashMap::new();
    let mut ours = move |revision: &str| {
        *known
            .entry(revision.to_owned())
            .or_insert_with(|| contains(revision))
    };
    let mut say = {
        let mut last_line = String::new();
        move |line: String| {
            if line != last_line {
                log(&line);
                last_line = line;
            }
        }
    };
    say(format!(
        "following Argo CD application {application} until it runs {} (for up to {} s)",
        short(commit),
        options.timeout.as_secs()
    ));

    let mut polls: u32 = 0;
    let mut last = Seen::Nothing;
    let mut refreshed = false;
    let mut since_refresh: u32 = 0;
    let mut seen = false;
    let mut sync_asked = false;
    loop {
        // Reads 1, 1 + N, 1 + 2N, ... while Argo CD has not seen the commit.
        let refresh = (!refreshed || (!seen && since_refresh + 1 >= options.refresh_every.max(1)))
            .then_some(Refresh::Normal);
        polls += 1;
        let read = match bounded(stop, end, argocd.application(application, refresh)).await {
            Bounded::Done(read) => read,
            Bounded::Stopped(reason) => return Ok(Outcome::Stopped { reason, last }),
            Bounded::TimedOut => return Ok(timed_out(last, polls, start)),
        };
        match read {
            Ok(app) => {
                if refresh.is_some() {
                    refreshed = true;
                    since_refresh = 0;
                } else {
                    since_refresh += 1;
                }
                seen = seen || app.compared_revisions().into_iter().any(&mut ours);
                match decide(&app, commit, &mut ours) {
                    Decision::Healthy { revision } => {
                        say(format!(
                            "Argo CD application {application}: {}",
                            Decision::Healthy {
                                revision: revision.clone()
                            }
                        ));
                        return Ok(Outcome::Healthy {
                            revision,
                            polls,
                            waited: start.elapsed(),
                        });
                    }
                    Decision::Failed(reason) => {
                        say(format!("Argo CD application {application}: {reason}"));
                        return Ok(Outcome::Failed {
                            reason,
                            polls,
                            waited: start.elapsed(),
                        });
                    }
                    Decision::Waiting(waiting) => {
                        say(format!("Argo CD application {application}: {waiting}"));
                        let out_of_sync = matches!(waiting, Waiting::OutOfSync { .. });
                        last = Seen::State(waiting);
                        if options.sync && out_of_sync && !sync_asked && !app.automated_sync() {
                            match bounded(stop, end, argocd.sync(application, None)).await {
                                Bounded::Done(Ok(())) => {
                                    sync_asked = true;
                                    say(format!(
                                        "asked Argo CD to sync application {application} (to its target revision)"
                                    ));
                                }
                                Bounded::Done(Err(e))
                                    if e.is_operation_in_progress() || e.is_transient() =>
                                {
                                    say(format!("{e}; asking again later"));
                                }
                                Bounded::Done(Err(e)) => return Err(e),
                                Bounded::Stopped(reason) => {
                                    return Ok(Outcome::Stopped { reason, last });
                                }
                                Bounded::TimedOut => return Ok(timed_out(last, polls, start)),
                            }
                        }
                    }
                }
            }
            Err(e) if e.is_transient() => {
                let message = e.to_string();
                say(format!("{message}; reading again"));
                last = Seen::Error(message);
            }
            Err(e) => return Err(e),
        }
        let now = Instant::now();
        if now >= end {
            return Ok(timed_out(last, polls, start));
        }
        if let Err(reason) = stop.race(tokio::time::sleep(interval.min(end - now))).await {
            return Ok(Outcome::Stopped { reason, last });
        }
        if Instant::now() >= end {
            return Ok(timed_out(last, polls, start));
        }
    }
}

fn timed_out(last: Seen, polls: u32, start: Instant) -> Outcome {
    Outcome::TimedOut {
        last,
        polls,
        waited: start.elapsed(),
    }
}

enum Bounded<T> {
    Done(T),
    Stopped(StopReason),
    TimedOut,
}

/// `work`, unless the run must stop or the follow's time is up first.
async fn bounded<F: Future>(stop: &Stop, end: Instant, work: F) -> Bounded<F::Output> {
    let end = tokio::time::Instant::from_std(end);
    match stop.race(tokio::time::timeout_at(end, work)).await {
        Ok(Ok(out)) => Bounded::Done(out),
        Ok(Err(_elapsed)) => Bounded::TimedOut,
        Err(reason) => Bounded::Stopped(reason),
    }
}

#[cfg(test)]
#[path = "wait_tests.rs"]
mod tests;

//! When a run must stop: one overall deadline (input `timeout-seconds`) and the runner's
//! cancellation. A cancelled job gets SIGINT, then SIGTERM a few seconds later, then SIGKILL;
//! both signals are caught here and only recorded.
//!
//! Nothing is cut in the middle of a write. The run asks [`Stop::check`] before each write
//! (CHANGELOG, tag, push, release) and before each fetch, and races the GitHub API call against
//! [`Stop::wait`]: once stopped, it does no further write and says which writes were done and
//! which were not, so a re-run on the same commit finishes the release (every write is
//! idempotent). A git command already running is let finish: its transfers give up on their
//! own when stalled (`http.lowSpeedTime`).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

/// No signal received.
const NONE: u8 = 0;
const SIGTERM: u8 = 1;
const SIGINT: u8 = 2;

/// How often [`Stop::wait`] looks at the clock and the signals.
const POLL: Duration = Duration::from_millis(50);

/// Why a run stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// The process received this signal (`SIGTERM`, `SIGINT`).
    Signal(&'static str),
    /// The deadline passed (the limit given).
    Deadline(Duration),
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopReason::Signal(name) => write!(f, "{name} received (the job was cancelled)"),
            StopReason::Deadline(limit) => write!(
                f,
                "the deadline of {} s passed (input 'timeout-seconds')",
                limit.as_secs()
            ),
        }
    }
}

/// The run stopped before `next`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stopped before {next}: {reason}")]
pub struct Stopped {
    /// Why.
    pub reason: StopReason,
    /// What was about to be done.
    pub next: String,
}

/// The deadline and the signals of one run. Clones share them.
#[derive(Debug, Clone)]
pub struct Stop {
    deadline: Instant,
    limit: Duration,
    signal: Arc<AtomicU8>,
}

impl Stop {
    /// A deadline `limit` after `started`, without catching signals (for tests and libraries).
    pub fn new(started: Instant, limit: Duration) -> Stop {
        Stop {
            deadline: started + limit,
            limit,
            signal: Arc::new(AtomicU8::new(NONE)),
        }
    }

    /// [`Stop::new`], and SIGTERM and SIGINT are caught from now on (on a thread of their own
    /// with a small tokio runtime) instead of ending the process.
    ///
    /// # Errors
    /// The handlers could not be installed.
    pub fn install(started: Instant, limit: Duration) -> std::io::Result<Stop> {
        use tokio::signal::unix::{SignalKind, signal};
        let stop = Stop::new(started, limit);
        let flag = Arc::clone(&stop.signal);
        let (ready, installed) = std::sync::mpsc::channel::<std::io::Result<()>>();
        std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = ready.send(Err(e));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let (mut term, mut int) = match (
                        signal(SignalKind::terminate()),
                        signal(SignalKind::interrupt()),
                    ) {
                        (Ok(term), Ok(int)) => (term, int),
                        (Err(e), _) | (_, Err(e)) => {
                            let _ = ready.send(Err(e));
                            return;
                        }
                    };
                    let _ = ready.send(Ok(()));
                    loop {
                        let received = tokio::select! {
                            _ = term.recv() => SIGTERM,
                            _ = int.recv() => SIGINT,
                        };
                        // The first signal is the reason; a later one changes nothing.
                        let _ = flag.compare_exchange(
                            NONE,
                            received,
                            Ordering::SeqCst,
                            Ordering::SeqCst,
                        );
                    }
                });
            })?;
        // Only once the handlers are in place is the process safe from the default action.
        installed.recv().map_err(|_| {
            std::io::Error::other("the signal thread ended before installing the handlers")
        })??;
        Ok(stop)
    }

    /// The overall limit.
    pub fn limit(&self) -> Duration {
        self.limit
    }

    /// Why the run must stop, if it must.
    pub fn reason(&self) -> Option<StopReason> {
        match self.signal.load(Ordering::SeqCst) {
            SIGTERM => return Some(StopReason::Signal("SIGTERM")),
            SIGINT => return Some(StopReason::Signal("SIGINT")),
            _ => {}
        }
        (Instant::now() >= self.deadline).then_some(StopReason::Deadline(self.limit))
    }

    /// Ok unless the run must stop; `next` says what would have been done.
    ///
    /// # Errors
    /// [`Stopped`] once a signal came or the deadline passed.
    pub fn check(&self, next: &str) -> Result<(), Stopped> {
        match self.reason() {
            None => Ok(()),
            Some(reason) => Err(Stopped {
                reason,
                next: next.to_owned(),
            }),
        }
    }

    /// Resolves when the run must stop (to race an API call against).
    pub async fn wait(&self) -> StopReason {
        loop {
            if let Some(reason) = self.reason() {
                return reason;
            }
            let left = self.deadline.saturating_duration_since(Instant::now());
            tokio::time::sleep(left.min(POLL)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_stops_and_names_the_input() {
        let stop = Stop::new(Instant::now(), Duration::from_secs(60));
        assert_eq!(stop.check("the tag"), Ok(()));
        let past = Stop::new(
            Instant::now().checked_sub(Duration::from_secs(2)).unwrap(),
            Duration::from_secs(1),
        );
        let e = past.check("pushing tag v1.0.0").unwrap_err();
        assert_eq!(e.reason, StopReason::Deadline(Duration::from_secs(1)));
        assert_eq!(
            e.to_string(),
            "stopped before pushing tag v1.0.0: the deadline of 1 s passed (input 'timeout-seconds')"
        );
    }

    #[test]
    fn a_recorded_signal_stops_and_the_first_one_counts() {
        let stop = Stop::new(Instant::now(), Duration::from_secs(60));
        stop.signal.store(SIGINT, Ordering::SeqCst);
        assert_eq!(stop.reason(), Some(StopReason::Signal("SIGINT")));
        assert!(
            stop.check("x")
                .unwrap_err()
                .to_string()
                .contains("SIGINT received")
        );
    }
}

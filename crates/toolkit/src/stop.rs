//! When a tool must stop: the runner's cancellation and one overall deadline, as one value that
//! every tool polls ([`Stop::check`]) or awaits ([`Stop::wait`], [`Stop::race`],
//! [`Stop::sleep`]).
//!
//! How a job is cancelled: the runner sends SIGINT to the step's process tree, then SIGTERM a
//! few seconds later, then kills it (Linux, macOS). On Windows it sends Ctrl-C, then
//! Ctrl-Break, to the step's console, then kills it. [`Stop::install`] catches all of these, on a
//! thread of its own with a small tokio runtime, so that it works for synchronous tools and
//! for any runtime a tool builds, and so that a signal that arrives before the tool's first
//! `await` is not lost. A caught signal only records itself: the tool decides what to undo.
//!
//! Signals are counted, because the tools act on the first and the second one differently:
//! ecs-rollout rolls back on the first and stops waiting for the rollback on the second
//! (the kill is seconds away), so [`Stop::signals`] and [`Stop::signalled_beyond`] exist.
//!
//! The platform-specific parts are the two `listen` functions at the bottom, each behind
//! `cfg`. `scripts/test` checks the crate for a Windows target too, so a Windows-only compile
//! error shows on Linux.
//!
//! ```
//! use std::time::Duration;
//! use gantry_toolkit::stop::{Signal, Stop, StopReason};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let (stop, handle) = Stop::manual(Some(Duration::from_secs(600)));
//! assert!(stop.check("pushing the tag").is_ok());
//! handle.signal(Signal::Terminate);
//! let stopped = stop.check("pushing the tag").unwrap_err();
//! assert_eq!(stopped.reason, StopReason::Signal(Signal::Terminate));
//! assert_eq!(stopped.to_string(), "stopped before pushing the tag: SIGTERM received (the job was cancelled)");
//! // Anything awaited through the stop ends at once now.
//! assert!(stop.race(std::future::pending::<()>()).await.is_err());
//! # }
//! ```

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

/// A cancellation signal, named as the platform names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Signal {
    /// SIGTERM (Unix): the runner's second, last-chance signal.
    Terminate,
    /// SIGINT (Unix): the runner's first signal, or Ctrl-C in a terminal.
    Interrupt,
    /// Ctrl-C (Windows): the runner's first event.
    CtrlC,
    /// Ctrl-Break (Windows): the runner's second event.
    CtrlBreak,
    /// The console window is closing (Windows).
    CtrlClose,
    /// The system is shutting down (Windows services).
    CtrlShutdown,
}

impl Signal {
    /// The name users know: `SIGTERM`, `SIGINT`, `Ctrl-C`, `Ctrl-Break`, ...
    pub fn name(self) -> &'static str {
        match self {
            Signal::Terminate => "SIGTERM",
            Signal::Interrupt => "SIGINT",
            Signal::CtrlC => "Ctrl-C",
            Signal::CtrlBreak => "Ctrl-Break",
            Signal::CtrlClose => "Ctrl-Close",
            Signal::CtrlShutdown => "Ctrl-Shutdown",
        }
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a run must stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// The process received this signal (the first one, when there were several).
    Signal(Signal),
    /// The overall deadline passed.
    Deadline {
        /// The limit that was set.
        limit: Duration,
        /// The input that set it (`timeout-seconds`), when one did.
        input: Option<&'static str>,
    },
}

impl StopReason {
    /// The signal, when a signal is the reason.
    pub fn signal(&self) -> Option<Signal> {
        match self {
            StopReason::Signal(s) => Some(*s),
            StopReason::Deadline { .. } => None,
        }
    }
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopReason::Signal(s) => write!(f, "{s} received (the job was cancelled)"),
            StopReason::Deadline { limit, input } => {
                write!(f, "the deadline of {} passed", seconds(*limit))?;
                match input {
                    Some(name) => write!(f, " (input '{name}')"),
                    None => Ok(()),
                }
            }
        }
    }
}

fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
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

/// What the signal side has seen: how many signals, the first and the latest.
#[derive(Debug, Clone, Copy, Default)]
struct Seen {
    count: u32,
    first: Option<Signal>,
    latest: Option<Signal>,
}

/// The deadline and the signals of one run. Clones share the signals.
#[derive(Debug, Clone)]
pub struct Stop {
    deadline: Option<(Instant, Duration)>,
    input: Option<&'static str>,
    rx: watch::Receiver<Seen>,
    // Keeps the channel open when nothing else does (`never`, `after`), so `changed()` waits
    // instead of failing.
    _tx: Arc<watch::Sender<Seen>>,
}

/// Delivers signals to a [`Stop`] by hand: the platform listener, and tests.
#[derive(Debug, Clone)]
pub struct StopHandle(Arc<watch::Sender<Seen>>);

impl StopHandle {
    /// Records `signal` as if the process had received it.
    pub fn signal(&self, signal: Signal) {
        self.0.send_modify(|seen| {
            seen.count = seen.count.saturating_add(1);
            seen.first.get_or_insert(signal);
            seen.latest = Some(signal);
        });
    }
}

impl Stop {
    /// No deadline, no signals: never stops (libraries' callers that have nothing to stop).
    pub fn never() -> Stop {
        Stop::manual(None).0
    }

    /// A deadline `limit` from now, no signals.
    pub fn after(limit: Duration) -> Stop {
        Stop::manual(Some(limit)).0
    }

    /// A deadline `limit` from now (none with `None`) and signals delivered by the handle.
    pub fn manual(limit: Option<Duration>) -> (Stop, StopHandle) {
        let (tx, rx) = watch::channel(Seen::default());
        let tx = Arc::new(tx);
        let stop = Stop {
            deadline: limit.map(|limit| (deadline_after(limit), limit)),
            input: None,
            rx,
            _tx: Arc::clone(&tx),
        };
        (stop, StopHandle(tx))
    }

    /// A deadline `limit` from now (none with `None`), and this platform's cancellation signals
    /// caught from now on instead of ending the process (SIGTERM and SIGINT on Unix; Ctrl-C, Ctrl-Break,
    /// Ctrl-Close and Ctrl-Shutdown on Windows). Call it once, first thing in `main`.
    ///
    /// # Errors
    /// The handlers could not be installed (the process keeps the default behaviour).
    pub fn install(limit: Option<Duration>) -> std::io::Result<Stop> {
        let (stop, handle) = Stop::manual(limit);
        let (ready, installed) = std::sync::mpsc::channel::<std::io::Result<()>>();
        std::thread::Builder::new()
            .name("gantry-signals".into())
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
                runtime.block_on(listen(handle, ready));
            })?;
        // Only once the handlers are in place is the process safe from the default action.
        installed.recv().map_err(|_| {
            std::io::Error::other("the signal thread ended before installing the handlers")
        })??;
        Ok(stop)
    }

    /// Names the input that set the deadline, for the messages (`timeout-seconds`).
    #[must_use]
    pub fn with_input(mut self, input: &'static str) -> Stop {
        self.input = Some(input);
        self
    }

    /// The overall limit, when there is one.
    pub fn limit(&self) -> Option<Duration> {
        self.deadline.map(|(_, limit)| limit)
    }

    /// When the deadline passes, when there is one.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline.map(|(at, _)| at)
    }

    /// The time left before the deadline (zero once it passed; `None` without one).
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|(at, _)| at.saturating_duration_since(Instant::now()))
    }

    /// The first signal received, if any.
    pub fn signal(&self) -> Option<Signal> {
        self.rx.borrow().first
    }

    /// How many signals were received.
    pub fn signals(&self) -> u32 {
        self.rx.borrow().count
    }

    /// Why the run must stop, if it must: a signal first, then the deadline.
    pub fn reason(&self) -> Option<StopReason> {
        if let Some(signal) = self.signal() {
            return Some(StopReason::Signal(signal));
        }
        self.deadline_reason()
    }

    fn deadline_reason(&self) -> Option<StopReason> {
        let (at, limit) = self.deadline?;
        (Instant::now() >= at).then_some(StopReason::Deadline {
            limit,
            input: self.input,
        })
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

    /// Resolves when the run must stop, at once if it already must.
    pub async fn wait(&self) -> StopReason {
        let signal = async {
            let (signal, _) = self.signalled_beyond(0).await;
            StopReason::Signal(signal)
        };
        let deadline = async {
            match self.deadline {
                Some((at, limit)) => {
                    tokio::time::sleep_until(at.into()).await;
                    StopReason::Deadline {
                        limit,
                        input: self.input,
                    }
                }
                None => std::future::pending().await,
            }
        };
        // Biased: a signal that already arrived wins over a deadline that also passed.
        tokio::select! {
            biased;
            reason = signal => reason,
            reason = deadline => reason,
        }
    }

    /// Runs `work` unless the run must stop first; `work` is dropped (cancelled) then.
    ///
    /// # Errors
    /// The [`StopReason`] when a signal came or the deadline passed before `work` finished.
    pub async fn race<F: Future>(&self, work: F) -> Result<F::Output, StopReason> {
        if let Some(reason) = self.reason() {
            return Err(reason);
        }
        tokio::select! {
            biased;
            reason = self.wait() => Err(reason),
            out = work => Ok(out),
        }
    }

    /// Resolves once more than `seen` signals were received, with the latest signal and the
    /// count; at once if there already were.
    pub async fn signalled_beyond(&self, seen: u32) -> (Signal, u32) {
        let mut rx = self.rx.clone();
        loop {
            let now = *rx.borrow_and_update();
            if now.count > seen
                && let Some(latest) = now.latest
            {
                return (latest, now.count);
            }
            if rx.changed().await.is_err() {
                // Cannot happen while `self` holds a sender; never resolve rather than spin.
                std::future::pending::<()>().await;
            }
        }
    }

    /// Sleeps `delay`, or less when more than `seen` signals arrive (the latest is returned).
    /// The deadline does not cut it short: callers that sleep toward the deadline bound the
    /// delay with [`Stop::remaining`].
    pub async fn sleep_unless_signalled_beyond(
        &self,
        delay: Duration,
        seen: u32,
    ) -> Option<Signal> {
        tokio::select! {
            biased;
            (signal, _) = self.signalled_beyond(seen) => Some(signal),
            () = tokio::time::sleep(delay) => None,
        }
    }

    /// Sleeps `delay` unless a signal arrives (or has arrived): then returns the signal early.
    pub async fn sleep(&self, delay: Duration) -> Option<Signal> {
        self.sleep_unless_signalled_beyond(delay, 0).await
    }
}

/// `limit` from now; a limit too large to represent means no practical deadline (a century).
fn deadline_after(limit: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(limit)
        .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 3600))
}

/// SIGTERM and SIGINT, for as long as the process lives.
#[cfg(unix)]
async fn listen(handle: StopHandle, ready: std::sync::mpsc::Sender<std::io::Result<()>>) {
    use tokio::signal::unix::{SignalKind, signal};
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
            _ = term.recv() => Signal::Terminate,
            _ = int.recv() => Signal::Interrupt,
        };
        handle.signal(received);
    }
}

/// The console control events a runner (or a closing console) sends, for as long as the process
/// lives. Handling Ctrl-Close and Ctrl-Shutdown gives the tool the few seconds Windows allows
/// before it ends the process.
#[cfg(windows)]
async fn listen(handle: StopHandle, ready: std::sync::mpsc::Sender<std::io::Result<()>>) {
    use tokio::signal::windows::{ctrl_break, ctrl_c, ctrl_close, ctrl_shutdown};
    let installed =
        (|| Ok::<_, std::io::Error>((ctrl_c()?, ctrl_break()?, ctrl_close()?, ctrl_shutdown()?)))();
    let (mut c, mut brk, mut close, mut shutdown) = match installed {
        Ok(all) => all,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let _ = ready.send(Ok(()));
    loop {
        let received = tokio::select! {
            _ = c.recv() => Signal::CtrlC,
            _ = brk.recv() => Signal::CtrlBreak,
            _ = close.recv() => Signal::CtrlClose,
            _ = shutdown.recv() => Signal::CtrlShutdown,
        };
        handle.signal(received);
    }
}

/// Neither Unix nor Windows (no release target is): the portable Ctrl-C only.
#[cfg(not(any(unix, windows)))]
async fn listen(handle: StopHandle, ready: std::sync::mpsc::Sender<std::io::Result<()>>) {
    let _ = ready.send(Ok(()));
    while tokio::signal::ctrl_c().await.is_ok() {
        handle.signal(Signal::Interrupt);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_as_sentences() {
        let table = [
            (
                StopReason::Signal(Signal::Terminate),
                "SIGTERM received (the job was cancelled)",
            ),
            (
                StopReason::Signal(Signal::CtrlBreak),
                "Ctrl-Break received (the job was cancelled)",
            ),
            (
                StopReason::Deadline {
                    limit: Duration::from_secs(600),
                    input: Some("timeout-seconds"),
                },
                "the deadline of 600 s passed (input 'timeout-seconds')",
            ),
            (
                StopReason::Deadline {
                    limit: Duration::from_millis(1500),
                    input: None,
                },
                "the deadline of 1.5 s passed",
            ),
        ];
        for (reason, text) in table {
            assert_eq!(reason.to_string(), text);
        }
    }

    #[test]
    fn the_deadline_stops_and_names_its_input() {
        let stop = Stop::after(Duration::from_secs(60)).with_input("timeout-seconds");
        assert_eq!(stop.check("the tag"), Ok(()));
        let past = Stop::after(Duration::ZERO).with_input("timeout-seconds");
        let e = past.check("pushing tag v1.0.0").unwrap_err();
        assert_eq!(
            e.to_string(),
            "stopped before pushing tag v1.0.0: the deadline of 0 s passed (input 'timeout-seconds')"
        );
        assert_eq!(past.remaining(), Some(Duration::ZERO));
        assert_eq!(Stop::never().remaining(), None);
        assert_eq!(Stop::never().reason(), None);
    }

    #[test]
    fn the_first_signal_is_the_reason_and_every_one_counts() {
        let (stop, handle) = Stop::manual(Some(Duration::ZERO));
        // A passed deadline is the reason until a signal comes.
        assert!(matches!(stop.reason(), Some(StopReason::Deadline { .. })));
        handle.signal(Signal::Interrupt);
        handle.signal(Signal::Terminate);
        assert_eq!(stop.reason(), Some(StopReason::Signal(Signal::Interrupt)));
        assert_eq!(stop.signal(), Some(Signal::Interrupt));
        assert_eq!(stop.signals(), 2);
        // Clones share the signals.
        assert_eq!(stop.clone().signals(), 2);
    }

    #[test]
    fn an_unrepresentable_limit_is_no_deadline_in_practice() {
        let stop = Stop::after(Duration::MAX);
        assert_eq!(stop.reason(), None);
        assert!(
            stop.remaining()
                .is_some_and(|left| left > Duration::from_secs(3600))
        );
    }

    #[tokio::test]
    async fn a_signal_interrupts_a_sleep_and_a_second_one_is_told_apart() {
        let (stop, handle) = Stop::manual(None);
        let sleeping = stop.clone();
        let task = tokio::spawn(async move { sleeping.sleep(Duration::from_secs(30)).await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        handle.signal(Signal::Terminate);
        assert_eq!(task.await.ok().flatten(), Some(Signal::Terminate));
        // One signal seen: a sleep waiting for a second one runs its course.
        assert_eq!(
            stop.sleep_unless_signalled_beyond(Duration::from_millis(5), 1)
                .await,
            None
        );
        let waiting = stop.clone();
        let task = tokio::spawn(async move {
            waiting
                .sleep_unless_signalled_beyond(Duration::from_secs(30), 1)
                .await
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        handle.signal(Signal::Interrupt);
        assert_eq!(task.await.ok().flatten(), Some(Signal::Interrupt));
    }

    #[tokio::test]
    async fn race_returns_the_work_or_the_reason() {
        let stop = Stop::after(Duration::from_millis(30));
        assert_eq!(stop.race(async { 7 }).await, Ok(7));
        let started = Instant::now();
        let cut = stop.race(tokio::time::sleep(Duration::from_secs(30))).await;
        assert!(matches!(cut, Err(StopReason::Deadline { .. })), "{cut:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
        // Once stopped, work is not even started.
        let (stop, handle) = Stop::manual(None);
        handle.signal(Signal::CtrlC);
        assert_eq!(
            stop.race(async { 7 }).await,
            Err(StopReason::Signal(Signal::CtrlC))
        );
        assert_eq!(stop.wait().await, StopReason::Signal(Signal::CtrlC));
    }

    #[tokio::test]
    async fn without_a_deadline_or_signal_wait_never_resolves() {
        let stop = Stop::never();
        let waited = tokio::time::timeout(Duration::from_millis(30), stop.wait()).await;
        assert!(waited.is_err());
    }
}

//! Cancellation: the runner cancels a job with SIGINT, then SIGTERM (then SIGKILL a few seconds
//! later). The first signal turns a watch into a rollback; a second one stops waiting for the
//! rollback (it keeps going in ECS) so the outputs are written before the kill.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

/// A cheap, cloneable view of "have we been told to stop", and how many times.
#[derive(Debug, Clone)]
pub struct Cancel {
    rx: watch::Receiver<(u32, &'static str)>,
    // Keeps the channel open for `Cancel::never` and `Cancel::manual`.
    _tx: Option<Arc<watch::Sender<(u32, &'static str)>>>,
}

/// Fires a [`Cancel`] by hand (tests, and callers that have their own signal handling).
#[derive(Debug, Clone)]
pub struct CancelHandle(Arc<watch::Sender<(u32, &'static str)>>);

impl CancelHandle {
    pub fn cancel(&self, why: &'static str) {
        self.0.send_modify(|(n, w)| {
            *n += 1;
            *w = why;
        });
    }
}

impl Cancel {
    /// Never fires.
    pub fn never() -> Cancel {
        Cancel::manual().0
    }

    /// Fires when the handle says so.
    pub fn manual() -> (Cancel, CancelHandle) {
        let (tx, rx) = watch::channel((0, ""));
        let tx = Arc::new(tx);
        (
            Cancel {
                rx,
                _tx: Some(tx.clone()),
            },
            CancelHandle(tx),
        )
    }

    /// Fires on SIGTERM and SIGINT. Must be called inside a tokio runtime.
    pub fn on_signals() -> std::io::Result<Cancel> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        let (cancel, handle) = Cancel::manual();
        tokio::spawn(async move {
            loop {
                let why = tokio::select! {
                    _ = term.recv() => "SIGTERM",
                    _ = int.recv() => "SIGINT",
                };
                handle.cancel(why);
            }
        });
        Ok(cancel)
    }

    /// The signal that fired, if any.
    pub fn reason(&self) -> Option<String> {
        let (n, why) = *self.rx.borrow();
        (n > 0).then(|| why.to_owned())
    }

    /// How many signals arrived.
    pub fn count(&self) -> u32 {
        self.rx.borrow().0
    }

    /// Sleeps `delay`; returns early with the signal's name if one arrives (or arrived) since
    /// this call started and the count went above `after`.
    pub async fn sleep_unless_more_than(&self, delay: Duration, after: u32) -> Option<String> {
        let mut rx = self.rx.clone();
        let fired = |rx: &watch::Receiver<(u32, &'static str)>| {
            let (n, why) = *rx.borrow();
            (n > after).then(|| why.to_owned())
        };
        if let Some(w) = fired(&rx) {
            return Some(w);
        }
        let sleep = tokio::time::sleep(delay);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                () = &mut sleep => return None,
                changed = rx.changed() => {
                    if changed.is_err() {
                        (&mut sleep).await;
                        return None;
                    }
                    if let Some(w) = fired(&rx) {
                        return Some(w);
                    }
                }
            }
        }
    }

    /// Sleeps `delay` unless a signal arrives (or has arrived).
    pub async fn sleep(&self, delay: Duration) -> Option<String> {
        self.sleep_unless_more_than(delay, 0).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn manual_cancel_interrupts_a_sleep() {
        let (cancel, handle) = Cancel::manual();
        assert_eq!(cancel.reason(), None);
        let c = cancel.clone();
        let t = tokio::spawn(async move { c.sleep(Duration::from_secs(30)).await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        handle.cancel("SIGTERM");
        assert_eq!(t.await.unwrap().as_deref(), Some("SIGTERM"));
        assert_eq!(cancel.count(), 1);
        // a second signal is counted apart
        assert_eq!(
            cancel
                .sleep_unless_more_than(Duration::from_millis(5), 1)
                .await,
            None
        );
        handle.cancel("SIGINT");
        assert_eq!(
            cancel
                .sleep_unless_more_than(Duration::from_secs(5), 1)
                .await
                .as_deref(),
            Some("SIGINT")
        );
    }

    #[tokio::test]
    async fn never_sleeps_the_full_time() {
        let c = Cancel::never();
        assert_eq!(c.sleep(Duration::from_millis(5)).await, None);
    }
}

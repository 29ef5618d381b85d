//! The wait loop against a scripted [`ArgoCd`]: which reads refresh, when a sync is asked, what
//! is logged, how it ends. The client against a loopback Argo CD is tested in client_tests.rs
//! and tests/argocd.rs.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gantry_toolkit::Stop;
use gantry_toolkit::stop::{Signal, StopReason};
use serde_json::{Value, json};

use super::super::app::{Application, HealthCode};
use super::super::error::{Action, AppRef};
use super::*;

const C: &str = "cccccccccccccccccccccccccccccccccccccccc";
const OLD: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

fn app(revision: &str, sync: &str, health: &str, automated: bool) -> Application {
    let policy: Value = if automated {
        json!({"automated": {}})
    } else {
        json!({})
    };
    serde_json::from_value(json!({
        "metadata": {"name": "api"},
        "spec": {"syncPolicy": policy},
        "status": {"sync": {"status": sync, "revision": revision}, "health": {"status": health}}
    }))
    .unwrap()
}

fn app_ref() -> AppRef {
    AppRef {
        name: "api".to_owned(),
        namespace: None,
        project: None,
    }
}

fn unavailable() -> ArgoCdError {
    ArgoCdError::Status {
        action: Action::Read,
        app: app_ref(),
        status: 503,
        message: "upstream connect error".to_owned(),
        attempts: 4,
    }
}

type Answer = Result<Application, ArgoCdError>;

/// Answers reads from a script (the last answer repeats) and records every call.
#[derive(Default)]
struct Scripted {
    reads: Mutex<VecDeque<Answer>>,
    last: Mutex<Option<Answer>>,
    refreshes: Mutex<Vec<Option<Refresh>>>,
    syncs: Mutex<Vec<Option<String>>>,
    sync_answers: Mutex<VecDeque<Result<(), ArgoCdError>>>,
    delay: Option<Duration>,
}

impl Scripted {
    fn new(script: impl IntoIterator<Item = Answer>) -> Arc<Scripted> {
        Arc::new(Scripted {
            reads: Mutex::new(script.into_iter().collect()),
            ..Scripted::default()
        })
    }

    fn refreshes(&self) -> Vec<bool> {
        self.refreshes
            .lock()
            .unwrap()
            .iter()
            .map(Option::is_some)
            .collect()
    }
}

impl ArgoCd for Arc<Scripted> {
    async fn application(
        &self,
        _name: &str,
        refresh: Option<Refresh>,
    ) -> Result<Application, ArgoCdError> {
        self.refreshes.lock().unwrap().push(refresh);
        if let Some(delay) = self.delay {
            tokio::time::sleep(delay).await;
        }
        let next = self.reads.lock().unwrap().pop_front();
        let mut last = self.last.lock().unwrap();
        if let Some(next) = next {
            *last = Some(next);
        }
        last.clone().expect("a script with at least one answer")
    }

    async fn sync(&self, _name: &str, revision: Option<&str>) -> Result<(), ArgoCdError> {
        self.syncs.lock().unwrap().push(revision.map(str::to_owned));
        self.sync_answers
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or(Ok(()))
    }
}

fn fast(timeout_ms: u64) -> WaitOptions {
    WaitOptions {
        poll_interval: Duration::from_millis(10),
        refresh_every: 3,
        timeout: Duration::from_millis(timeout_ms),
        sync: false,
    }
}

/// Runs a follow of C; the outcome and the lines logged.
async fn follow(
    argocd: &Arc<Scripted>,
    options: &WaitOptions,
    stop: &Stop,
) -> (Result<Outcome, ArgoCdError>, Vec<String>) {
    let mut lines = Vec::new();
    let outcome = wait_healthy(
        argocd,
        "api",
        C,
        options,
        stop,
        |revision: &str| revision == C,
        |line: &str| lines.push(line.to_owned()),
    )
    .await;
    (outcome, lines)
}

#[tokio::test]
async fn logs_a_line_per_change_of_state() {
    let argocd = Scripted::new(
        [
            vec![Ok(app(OLD, "Synced", "Healthy", true)); 3],
            vec![Ok(app(C, "OutOfSync", "Healthy", true)); 2],
            vec![Ok(app(C, "Synced", "Progressing", true)); 2],
            vec![Ok(app(C, "Synced", "Healthy", true))],
        ]
        .concat(),
    );
    let (outcome, lines) = follow(&argocd, &fast(10_000), &Stop::never()).await;
    let Ok(Outcome::Healthy {
        revision, polls, ..
    }) = outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!((revision.as_str(), polls), (C, 8));
    assert_eq!(
        lines,
        [
            "following Argo CD application api until it runs ccccccc (for up to 10 s)",
            "Argo CD application api: Argo CD has not seen commit ccccccc yet (it compares with aaaaaaa)",
            "Argo CD application api: Argo CD has not synced ccccccc yet (OutOfSync)",
            "Argo CD application api: synced to ccccccc, health Progressing",
            "Argo CD application api: synced to ccccccc and Healthy",
        ]
    );
    assert!(argocd.syncs.lock().unwrap().is_empty());
}

#[tokio::test]
async fn refreshes_first_then_every_nth_read_until_argo_cd_sees_the_commit() {
    let argocd = Scripted::new(
        [
            vec![Ok(app(OLD, "Synced", "Healthy", true)); 7],
            vec![Ok(app(C, "OutOfSync", "Healthy", true)); 4],
            vec![Ok(app(C, "Synced", "Healthy", true))],
        ]
        .concat(),
    );
    let (outcome, _) = follow(&argocd, &fast(10_000), &Stop::never()).await;
    assert!(
        matches!(outcome, Ok(Outcome::Healthy { polls: 12, .. })),
        "{outcome:?}"
    );
    // refresh_every = 3: reads 1, 4, 7 refresh; from read 8 on Argo CD has seen the commit.
    let mut expected = vec![false; 12];
    for read in [1, 4, 7] {
        expected[read - 1] = true;
    }
    assert_eq!(argocd.refreshes(), expected);
}

#[tokio::test]
async fn no_answer_and_5xx_are_waited_out_and_the_refresh_is_asked_again() {
    let argocd = Scripted::new([Err(unavailable()), Ok(app(C, "Synced", "Healthy", true))]);
    let (outcome, lines) = follow(&argocd, &fast(10_000), &Stop::never()).await;
    assert!(
        matches!(outcome, Ok(Outcome::Healthy { polls: 2, .. })),
        "{outcome:?}"
    );
    assert_eq!(argocd.refreshes(), [true, true]);
    assert!(
        lines[1].starts_with("Argo CD answered HTTP 503") && lines[1].ends_with("; reading again"),
        "{lines:?}"
    );
}

#[tokio::test]
async fn an_error_waiting_will_not_cure_ends_the_follow() {
    let argocd = Scripted::new([Err(ArgoCdError::Unauthorized {
        action: Action::Read,
        app: app_ref(),
        message: "no session information".to_owned(),
    })]);
    let (outcome, _) = follow(&argocd, &fast(10_000), &Stop::never()).await;
    assert!(
        matches!(outcome, Err(ArgoCdError::Unauthorized { .. })),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn degraded_on_the_commit_fails() {
    let argocd = Scripted::new([
        Ok(app(C, "Synced", "Progressing", true)),
        Ok(app(C, "Synced", "Degraded", true)),
    ]);
    let (outcome, _) = follow(&argocd, &fast(10_000), &Stop::never()).await;
    let Ok(Outcome::Failed { reason, polls, .. }) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(*polls, 2);
    assert!(matches!(reason, Failure::Degraded { revision, .. } if revision == C));
    assert_eq!(
        outcome.unwrap().failure().unwrap(),
        "Argo CD reports the application Degraded at ccccccc: no message"
    );
}

#[tokio::test]
async fn the_timeout_ends_it_with_the_last_state() {
    let argocd = Scripted::new([Ok(app(C, "Synced", "Progressing", true))]);
    let started = Instant::now();
    let (outcome, lines) = follow(&argocd, &fast(150), &Stop::never()).await;
    let Ok(Outcome::TimedOut {
        last: Seen::State(Waiting::Health { health, .. }),
        polls,
        waited,
    }) = &outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(*health, HealthCode::Progressing);
    assert!(*polls > 2 && *waited >= Duration::from_millis(150));
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(lines.len(), 2, "one line per change: {lines:?}");
    assert!(outcome.unwrap().failure().unwrap().starts_with(
        "Argo CD did not run the commit within 0 s: synced to ccccccc, health Progressing"
    ));
}

#[tokio::test]
async fn the_timeout_cuts_a_slow_read() {
    let argocd = Arc::new(Scripted {
        reads: Mutex::new([Ok(app(C, "Synced", "Healthy", true))].into()),
        delay: Some(Duration::from_secs(30)),
        ..Scripted::default()
    });
    let started = Instant::now();
    let (outcome, _) = follow(&argocd, &fast(100), &Stop::never()).await;
    assert!(
        matches!(
            outcome,
            Ok(Outcome::TimedOut {
                last: Seen::Nothing,
                polls: 1,
                ..
            })
        ),
        "{outcome:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_signal_stops_it_during_a_read() {
    let argocd = Arc::new(Scripted {
        reads: Mutex::new([Ok(app(C, "Synced", "Healthy", true))].into()),
        delay: Some(Duration::from_secs(30)),
        ..Scripted::default()
    });
    let (stop, handle) = Stop::manual(None);
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        handle.signal(Signal::Terminate);
    });
    let started = Instant::now();
    let (outcome, _) = follow(&argocd, &fast(60_000), &stop).await;
    let Ok(Outcome::Stopped { reason, last }) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(*reason, StopReason::Signal(Signal::Terminate));
    assert_eq!(*last, Seen::Nothing);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        outcome
            .unwrap()
            .failure()
            .unwrap()
            .contains("SIGTERM received")
    );
}

#[tokio::test]
async fn the_runs_deadline_stops_it_between_reads() {
    let argocd = Scripted::new([Ok(app(OLD, "Synced", "Healthy", true))]);
    let stop = Stop::after(Duration::from_millis(100));
    let (outcome, _) = follow(&argocd, &fast(60_000), &stop).await;
    assert!(
        matches!(
            outcome,
            Ok(Outcome::Stopped {
                reason: StopReason::Deadline { .. },
                last: Seen::State(Waiting::NotSeen { .. })
            })
        ),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_sync_is_asked_once_for_an_application_without_automated_sync() {
    let argocd = Scripted::new(
        [
            vec![Ok(app(C, "OutOfSync", "Healthy", false)); 3],
            vec![Ok(app(C, "Synced", "Healthy", false))],
        ]
        .concat(),
    );
    let options = WaitOptions {
        sync: true,
        ..fast(10_000)
    };
    let (outcome, lines) = follow(&argocd, &options, &Stop::never()).await;
    assert!(
        matches!(outcome, Ok(Outcome::Healthy { .. })),
        "{outcome:?}"
    );
    assert_eq!(*argocd.syncs.lock().unwrap(), [None::<String>]);
    assert!(
        lines
            .contains(&"asked Argo CD to sync application api (to its target revision)".to_owned()),
        "{lines:?}"
    );
}

#[tokio::test]
async fn no_sync_is_asked_without_the_option_or_of_an_automated_application() {
    for (automated, sync) in [(false, false), (true, true)] {
        let argocd = Scripted::new([
            Ok(app(C, "OutOfSync", "Healthy", automated)),
            Ok(app(C, "Synced", "Healthy", automated)),
        ]);
        let options = WaitOptions {
            sync,
            ..fast(10_000)
        };
        let (outcome, _) = follow(&argocd, &options, &Stop::never()).await;
        assert!(
            matches!(outcome, Ok(Outcome::Healthy { .. })),
            "{outcome:?}"
        );
        assert!(
            argocd.syncs.lock().unwrap().is_empty(),
            "{automated} {sync}"
        );
    }
}

#[tokio::test]
async fn a_sync_refused_while_an_operation_runs_is_asked_again() {
    let argocd = Scripted::new(
        [
            vec![Ok(app(C, "OutOfSync", "Healthy", false)); 3],
            vec![Ok(app(C, "Synced", "Healthy", false))],
        ]
        .concat(),
    );
    argocd
        .sync_answers
        .lock()
        .unwrap()
        .push_back(Err(ArgoCdError::Rejected {
            action: Action::Sync,
            app: app_ref(),
            status: 400,
            message: "another operation is already in progress".to_owned(),
        }));
    let options = WaitOptions {
        sync: true,
        ..fast(10_000)
    };
    let (outcome, lines) = follow(&argocd, &options, &Stop::never()).await;
    assert!(
        matches!(outcome, Ok(Outcome::Healthy { .. })),
        "{outcome:?}"
    );
    assert_eq!(argocd.syncs.lock().unwrap().len(), 2);
    assert!(
        lines
            .iter()
            .any(|l| l.ends_with("wait for it to end; asking again later")),
        "{lines:?}"
    );
}

#[tokio::test]
async fn a_sync_the_account_may_not_do_ends_the_follow() {
    let argocd = Scripted::new([Ok(app(C, "OutOfSync", "Healthy", false))]);
    argocd
        .sync_answers
        .lock()
        .unwrap()
        .push_back(Err(ArgoCdError::Forbidden {
            action: Action::Sync,
            app: app_ref(),
            message: "permission denied".to_owned(),
        }));
    let options = WaitOptions {
        sync: true,
        ..fast(10_000)
    };
    let (outcome, _) = follow(&argocd, &options, &Stop::never()).await;
    assert!(
        matches!(
            outcome,
            Err(ArgoCdError::Forbidden {
                action: Action::Sync,
                ..
            })
        ),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn git_is_asked_once_per_revision() {
    let later = "dddddddddddddddddddddddddddddddddddddddd";
    let argocd = Scripted::new(
        [
            vec![Ok(app(OLD, "Synced", "Healthy", true)); 3],
            vec![Ok(app(later, "Synced", "Progressing", true)); 3],
            vec![Ok(app(later, "Synced", "Healthy", true))],
        ]
        .concat(),
    );
    let mut asked = Vec::new();
    let outcome = wait_healthy(
        &argocd,
        "api",
        C,
        &fast(10_000),
        &Stop::never(),
        |revision: &str| {
            asked.push(revision.to_owned());
            revision == later
        },
        |_: &str| {},
    )
    .await;
    assert!(
        matches!(&outcome, Ok(Outcome::Healthy { revision, .. }) if revision == later),
        "{outcome:?}"
    );
    assert_eq!(asked, [OLD, later]);
}

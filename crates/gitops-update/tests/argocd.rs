//! Following Argo CD: the client and the wait loop against gantry-testkit's loopback Argo CD
//! stand-in (Argo CD needs a cluster; none runs here), whose controller reads the branch of a
//! real git repository. Whether a revision contains the commit is asked of git, as the tool
//! does.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use gantry_testkit::GitRepo;
use gantry_testkit::argocd::{App, ArgoStandIn};
use gantry_toolkit::Stop;
use gantry_toolkit::stop::{Signal, StopReason};
use gitops_update::argocd::{
    ArgoCdError, Client, ClientOptions, Failure, HealthCode, Outcome, RetryPolicy, Seen,
    WaitOptions, Waiting, wait_healthy,
};

const TOKEN: &str = "gantry-argocd-token";
const KUSTOMIZATION: &str = "apps/api/kustomization.yaml";

/// A GitOps repository whose `main` Argo CD deployed (api `v1`), and the stand-in serving
/// application `api` from `apps/api`.
struct Fixture {
    repo: GitRepo,
    argocd: ArgoStandIn,
    base: String,
}

impl Fixture {
    fn new(app: impl FnOnce(App) -> App) -> Fixture {
        Fixture::with_base("v1", app)
    }

    fn with_base(tag: &str, app: impl FnOnce(App) -> App) -> Fixture {
        let repo = GitRepo::new();
        let base = repo.commit_files(
            &[
                (KUSTOMIZATION, &kustomization(tag)),
                ("apps/web/kustomization.yaml", &kustomization("w1")),
            ],
            "deploy api and web",
        );
        let argocd = ArgoStandIn::start(TOKEN);
        argocd.add_app(app(App::new("api", repo.path(), "main").path("apps/api")));
        Fixture { repo, argocd, base }
    }

    /// Sets api's tag and commits: the commit gitops-update pushed.
    fn set_tag(&self, tag: &str) -> String {
        self.repo.commit_files(
            &[(KUSTOMIZATION, &kustomization(tag))],
            &format!("api {tag}"),
        )
    }

    fn client(&self) -> Client {
        client(&self.argocd.url(), TOKEN)
    }
}

fn kustomization(tag: &str) -> String {
    format!("resources:\n- deployment.yaml\nimages:\n- name: api\n  newTag: {tag}\n")
}

fn client(url: &str, token: &str) -> Client {
    Client::new(ClientOptions {
        timeout: Duration::from_secs(5),
        retry: RetryPolicy {
            attempts: 2,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
        },
        ..ClientOptions::new(url, token)
    })
    .unwrap()
}

fn options() -> WaitOptions {
    WaitOptions {
        poll_interval: Duration::from_millis(50),
        refresh_every: 3,
        timeout: Duration::from_secs(20),
        sync: false,
    }
}

/// `git merge-base --is-ancestor commit revision`, as the tool asks git.
fn contains(repo: &Path, commit: &str, revision: &str) -> bool {
    Command::new("git")
        .args(["merge-base", "--is-ancestor", commit, revision])
        .current_dir(repo)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .status()
        .unwrap()
        .success()
}

/// Follows `commit` on a runtime of its own; the outcome and the lines logged.
fn follow(
    client: &Client,
    repo: &Path,
    commit: &str,
    options: &WaitOptions,
    stop: &Stop,
) -> (Result<Outcome, ArgoCdError>, Vec<String>) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut lines = Vec::new();
    let repo: PathBuf = repo.to_path_buf();
    let outcome = runtime.block_on(wait_healthy(
        client,
        "api",
        commit,
        options,
        stop,
        |revision: &str| contains(&repo, commit, revision),
        |line: &str| lines.push(line.to_owned()),
    ));
    // A request cut short by the stop still runs on the blocking pool: do not wait for it.
    runtime.shutdown_background();
    (outcome, lines)
}

fn short(sha: &str) -> &str {
    &sha[..7]
}

#[test]
fn an_automated_application_runs_the_commit() {
    let fx = Fixture::new(|app| app);
    let commit = fx.set_tag("v2");
    let (outcome, lines) = follow(
        &fx.client(),
        fx.repo.path(),
        &commit,
        &options(),
        &Stop::never(),
    );
    let Ok(Outcome::Healthy {
        revision, polls, ..
    }) = &outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(revision, &commit);
    assert_eq!(*polls, 4);
    let c = short(&commit);
    assert_eq!(
        lines,
        [
            format!("following Argo CD application api until it runs {c} (for up to 20 s)"),
            format!("Argo CD application api: Argo CD has not synced {c} yet (OutOfSync)"),
            format!(
                "Argo CD application api: a sync operation to {c} is Running: waiting for healthy state of apps/Deployment"
            ),
            format!(
                "Argo CD application api: synced to {c}, health Progressing: Deployment api/api: Waiting for rollout to finish: 0 of 1 updated replicas are available..."
            ),
            format!("Argo CD application api: synced to {c} and Healthy"),
        ]
    );
    let reads = fx.argocd.reads("api");
    assert_eq!(reads[0].query("refresh"), Some("normal"));
    assert!(reads[1..].iter().all(|r| r.query("refresh").is_none()));
    assert!(fx.argocd.syncs("api").is_empty());
    assert_eq!(fx.argocd.app("api").live.as_deref(), Some(commit.as_str()));
}

#[test]
fn a_commit_that_degrades_the_application_fails() {
    let fx = Fixture::new(|app| app.degraded_when("newTag: v2-broken").progressing_reads(2));
    let commit = fx.set_tag("v2-broken");
    let (outcome, _) = follow(
        &fx.client(),
        fx.repo.path(),
        &commit,
        &options(),
        &Stop::never(),
    );
    let Ok(Outcome::Failed {
        reason: Failure::Degraded { revision, message },
        ..
    }) = &outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(revision, &commit);
    assert_eq!(
        message,
        "Deployment api/api: Deployment \"api\" exceeded its progress deadline"
    );
    assert_eq!(
        outcome.unwrap().failure().unwrap(),
        format!(
            "Argo CD reports the application Degraded at {}: Deployment api/api: Deployment \"api\" exceeded its progress deadline",
            short(&commit)
        )
    );
}

#[test]
fn a_sync_that_fails_to_apply_fails() {
    let fx = Fixture::new(|app| app.sync_fails_when("newTag: INVALID"));
    let commit = fx.set_tag("INVALID");
    let (outcome, _) = follow(
        &fx.client(),
        fx.repo.path(),
        &commit,
        &options(),
        &Stop::never(),
    );
    let Ok(Outcome::Failed {
        reason: Failure::SyncFailed {
            revision, message, ..
        },
        ..
    }) = &outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(revision, &commit);
    assert!(
        message.starts_with("one or more objects failed to apply"),
        "{message}"
    );
}

#[test]
fn the_old_revision_degraded_is_not_the_commits_failure() {
    // Deployed and Degraded before the commit; the commit fixes it.
    let fx = Fixture::with_base("v1-broken", |app| app.degraded_when("newTag: v1-broken"));
    assert_eq!(fx.argocd.app("api").health, "Degraded");
    let commit = fx.set_tag("v2");
    let (outcome, lines) = follow(
        &fx.client(),
        fx.repo.path(),
        &commit,
        &options(),
        &Stop::never(),
    );
    assert!(
        matches!(&outcome, Ok(Outcome::Healthy { revision, .. }) if revision == &commit),
        "{outcome:?}"
    );
    assert!(
        lines[1].ends_with(&format!(
            "Argo CD has not synced {} yet (OutOfSync)",
            short(&commit)
        )),
        "{lines:?}"
    );
}

#[test]
fn a_later_commit_on_the_branch_contains_the_commit() {
    let fx = Fixture::new(|app| app);
    let commit = fx.set_tag("v2");
    // Someone pushed again (another application's files) before Argo CD refreshed.
    let later = fx.repo.commit_files(
        &[("apps/web/kustomization.yaml", &kustomization("w2"))],
        "web w2",
    );
    let (outcome, _) = follow(
        &fx.client(),
        fx.repo.path(),
        &commit,
        &options(),
        &Stop::never(),
    );
    assert!(
        matches!(&outcome, Ok(Outcome::Healthy { revision, .. }) if revision == &later),
        "{outcome:?}"
    );
    // The stand-in deployed the later commit: it holds ours.
    assert_eq!(fx.argocd.app("api").live.as_deref(), Some(later.as_str()));
}

#[test]
fn a_commit_that_leaves_the_applications_files_alone_is_synced_at_once() {
    let fx = Fixture::new(|app| app);
    let commit = fx.repo.commit_files(
        &[("apps/web/kustomization.yaml", &kustomization("w2"))],
        "web w2",
    );
    let (outcome, _) = follow(
        &fx.client(),
        fx.repo.path(),
        &commit,
        &options(),
        &Stop::never(),
    );
    assert!(
        matches!(&outcome, Ok(Outcome::Healthy { revision, polls: 1, .. }) if revision == &commit),
        "{outcome:?}"
    );
    // Nothing was deployed: the live revision is still the base.
    assert_eq!(fx.argocd.app("api").live.as_deref(), Some(fx.base.as_str()));
}

#[test]
fn a_push_after_the_first_refresh_is_seen_at_a_later_refresh() {
    let fx = Fixture::new(|app| app);
    // The commit exists, but main does not have it yet (the push is late).
    fx.repo.switch_new("pending");
    let commit = fx.set_tag("v2");
    fx.repo.checkout("main");
    let options = WaitOptions {
        poll_interval: Duration::from_millis(100),
        ..options()
    };
    let path = fx.repo.path().to_path_buf();
    let (outcome, lines) = std::thread::scope(|scope| {
        scope.spawn(|| {
            let deadline = Instant::now() + Duration::from_secs(10);
            // The controller's count: the first read has been answered (the server records a
            // request before answering it).
            while fx.argocd.app("api").reads == 0 {
                assert!(Instant::now() < deadline, "no read");
                std::thread::sleep(Duration::from_millis(2));
            }
            let pushed = Command::new("git")
                .args(["update-ref", "refs/heads/main", &commit])
                .current_dir(&path)
                .status()
                .unwrap();
            assert!(pushed.success());
        });
        follow(
            &fx.client(),
            fx.repo.path(),
            &commit,
            &options,
            &Stop::never(),
        )
    });
    assert!(
        matches!(&outcome, Ok(Outcome::Healthy { .. })),
        "{outcome:?}"
    );
    assert!(
        lines[1].ends_with(&format!(
            "Argo CD has not seen commit {} yet (it compares with {})",
            short(&commit),
            short(&fx.base)
        )),
        "{lines:?}"
    );
    // refresh_every = 3: reads 1 and 4 refresh; read 4 sees the commit, and then none does.
    let refreshed: Vec<bool> = fx
        .argocd
        .reads("api")
        .iter()
        .map(|r| r.query("refresh").is_some())
        .collect();
    assert_eq!(refreshed[..4], [true, false, false, true], "{refreshed:?}");
    assert!(refreshed[4..].iter().all(|r| !r), "{refreshed:?}");
}

#[test]
fn an_application_without_automated_sync_is_synced_when_asked() {
    let fx = Fixture::new(App::manual);
    let commit = fx.set_tag("v2");
    let options = WaitOptions {
        sync: true,
        ..options()
    };
    let (outcome, lines) = follow(
        &fx.client(),
        fx.repo.path(),
        &commit,
        &options,
        &Stop::never(),
    );
    assert!(
        matches!(&outcome, Ok(Outcome::Healthy { revision, .. }) if revision == &commit),
        "{outcome:?}"
    );
    let syncs = fx.argocd.syncs("api");
    assert_eq!(syncs.len(), 1);
    assert_eq!(syncs[0].header("content-type"), Some("application/json"));
    assert_eq!(syncs[0].json()["prune"], false);
    assert!(syncs[0].json().get("revision").is_none());
    assert!(
        lines
            .iter()
            .any(|l| l == "asked Argo CD to sync application api (to its target revision)"),
        "{lines:?}"
    );
}

#[test]
fn an_application_without_automated_sync_times_out_unless_asked() {
    let fx = Fixture::new(App::manual);
    let commit = fx.set_tag("v2");
    let options = WaitOptions {
        timeout: Duration::from_millis(400),
        ..options()
    };
    let (outcome, _) = follow(
        &fx.client(),
        fx.repo.path(),
        &commit,
        &options,
        &Stop::never(),
    );
    let Ok(Outcome::TimedOut {
        last: Seen::State(Waiting::OutOfSync {
            automated: false, ..
        }),
        ..
    }) = &outcome
    else {
        panic!("{outcome:?}")
    };
    assert!(
        outcome
            .unwrap()
            .failure()
            .unwrap()
            .ends_with("(OutOfSync; the application has no automated sync)")
    );
    assert!(fx.argocd.syncs("api").is_empty());
}

#[test]
fn a_rollout_that_never_ends_times_out_progressing() {
    let fx = Fixture::new(|app| app.progressing_reads(u32::MAX));
    let commit = fx.set_tag("v2");
    let options = WaitOptions {
        timeout: Duration::from_millis(500),
        ..options()
    };
    let (outcome, _) = follow(
        &fx.client(),
        fx.repo.path(),
        &commit,
        &options,
        &Stop::never(),
    );
    assert!(
        matches!(
            &outcome,
            Ok(Outcome::TimedOut {
                last: Seen::State(Waiting::Health {
                    health: HealthCode::Progressing,
                    ..
                }),
                ..
            })
        ),
        "{outcome:?}"
    );
}

#[test]
fn sigterm_stops_the_follow_during_a_slow_read() {
    let fx = Fixture::new(|app| app);
    let commit = fx.set_tag("v2");
    fx.argocd.delay(Duration::from_millis(1500));
    let (stop, handle) = Stop::manual(None);
    let started = Instant::now();
    let (outcome, _) = std::thread::scope(|scope| {
        scope.spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            handle.signal(Signal::Terminate);
        });
        follow(&fx.client(), fx.repo.path(), &commit, &options(), &stop)
    });
    assert!(
        matches!(
            outcome,
            Ok(Outcome::Stopped {
                reason: StopReason::Signal(Signal::Terminate),
                last: Seen::Nothing
            })
        ),
        "{outcome:?}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(1200),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn an_unavailable_server_is_waited_out() {
    let fx = Fixture::new(|app| app);
    let commit = fx.set_tag("v2");
    // Two tries per read: the first read fails, the second read's first try too.
    fx.argocd.fail_next(503, 3);
    let (outcome, lines) = follow(
        &fx.client(),
        fx.repo.path(),
        &commit,
        &options(),
        &Stop::never(),
    );
    assert!(
        matches!(&outcome, Ok(Outcome::Healthy { .. })),
        "{outcome:?}"
    );
    assert!(
        lines[1].starts_with("Argo CD answered HTTP 503 when asked to read application api (2 tries): upstream connect error")
            && lines[1].ends_with("; reading again"),
        "{lines:?}"
    );
    // The read that failed asked for a refresh; so did the next.
    let reads = fx.argocd.reads("api");
    assert!(
        reads[..4]
            .iter()
            .all(|r| r.query("refresh") == Some("normal")),
        "{reads:?}"
    );
}

#[test]
fn a_wrong_token_or_an_unknown_application_ends_the_follow_at_once() {
    let fx = Fixture::new(|app| app);
    let commit = fx.set_tag("v2");
    let wrong = client(&fx.argocd.url(), "not-the-token");
    let (outcome, _) = follow(&wrong, fx.repo.path(), &commit, &options(), &Stop::never());
    let error = outcome.unwrap_err();
    assert!(
        matches!(error, ArgoCdError::Unauthorized { .. }),
        "{error:?}"
    );
    assert!(!error.to_string().contains("not-the-token"));

    fx.argocd.update("api", |app| app.name = "web".to_owned());
    let (outcome, _) = follow(
        &fx.client(),
        fx.repo.path(),
        &commit,
        &options(),
        &Stop::never(),
    );
    let error = outcome.unwrap_err();
    assert!(matches!(error, ArgoCdError::Forbidden { .. }), "{error:?}");
    // Neither was retried.
    assert_eq!(fx.argocd.requests().len(), 2);
}

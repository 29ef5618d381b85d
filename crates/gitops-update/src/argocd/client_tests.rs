//! The client against the loopback Argo CD stand-in (gantry-testkit's `argocd`), and against a
//! bare fake server for answers Argo CD would not give (a page, a redirect, a token echoed).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gantry_testkit::GitRepo;
use gantry_testkit::argocd::{App, ArgoStandIn};
use gantry_testkit::http::{FakeHttp, Response, closed_port};

use super::super::app::{HealthCode, Phase, SyncCode};
use super::*;

const TOKEN: &str = "argocd-token-s3cr3t";

fn options(server: &str, token: &str) -> ClientOptions {
    ClientOptions {
        timeout: Duration::from_secs(5),
        retry: RetryPolicy {
            attempts: 3,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
        },
        ..ClientOptions::new(server, token)
    }
}

fn client(server: &str, token: &str) -> Client {
    Client::new(options(server, token)).unwrap()
}

/// A repository with one kustomization, and a stand-in serving application `api` from it.
fn deployed(app: impl FnOnce(App) -> App) -> (GitRepo, ArgoStandIn) {
    let repo = GitRepo::new();
    repo.commit_files(
        &[(
            "apps/api/kustomization.yaml",
            "images:\n- name: api\n  newTag: v1\n",
        )],
        "api v1",
    );
    let argocd = ArgoStandIn::start(TOKEN);
    argocd.add_app(app(App::new("api", repo.path(), "main").path("apps/api")));
    (repo, argocd)
}

#[test]
fn reads_an_application_with_refresh_namespace_and_project() {
    let (repo, argocd) = deployed(|app| app.namespace("team").project("shop"));
    let head = repo.head();
    let client = Client::new(ClientOptions {
        app_namespace: Some("team".to_owned()),
        project: Some("shop".to_owned()),
        ..options(&format!("{}/", argocd.url()), TOKEN)
    })
    .unwrap();
    let app = client
        .get_application("api", Some(Refresh::Normal))
        .unwrap();
    assert_eq!(app.metadata.name, "api");
    assert_eq!(app.metadata.namespace, "team");
    assert_eq!(app.spec.project, "shop");
    assert!(app.automated_sync());
    assert_eq!(app.status.sync.status, SyncCode::Synced);
    assert_eq!(app.compared_revisions(), [head.as_str()]);
    assert_eq!(app.status.health.status, HealthCode::Healthy);
    assert!(app.status.reconciled_at.is_some());
    let read = &argocd.reads("api")[0];
    assert_eq!(read.query("refresh"), Some("normal"));
    assert_eq!(read.query("appNamespace"), Some("team"));
    assert_eq!(read.query("project"), Some("shop"));
    assert_eq!(
        read.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(read.header("accept"), Some("application/json"));
    assert!(
        read.header("user-agent")
            .is_some_and(|ua| ua.starts_with("gantry-gitops-update/"))
    );
    // Without refresh, no refresh parameter.
    client.get_application("api", None).unwrap();
    assert_eq!(argocd.reads("api")[1].query("refresh"), None);
}

#[test]
fn reads_a_degraded_application_with_its_resources() {
    let (_repo, argocd) = deployed(|app| app.degraded_when("newTag: v1"));
    let app = client(&argocd.url(), TOKEN)
        .get_application("api", None)
        .unwrap();
    assert_eq!(app.status.health.status, HealthCode::Degraded);
    assert_eq!(
        app.resources_with(&HealthCode::Degraded),
        ["Deployment api/api: Deployment \"api\" exceeded its progress deadline"]
    );
}

#[test]
fn a_sync_is_sent_as_argo_cd_accepts_it() {
    let (repo, argocd) = deployed(App::manual);
    repo.commit_files(
        &[(
            "apps/api/kustomization.yaml",
            "images:\n- name: api\n  newTag: v2\n",
        )],
        "api v2",
    );
    let client = client(&argocd.url(), TOKEN);
    client.request_sync("api", None).unwrap();
    let sync = &argocd.syncs("api")[0];
    // Exactly application/json: Argo CD refuses `; charset=utf-8` with 415.
    assert_eq!(sync.header("content-type"), Some("application/json"));
    assert_eq!(
        sync.json(),
        serde_json::json!({"name": "api", "prune": false, "dryRun": false})
    );
    // The next read shows it running (and requested, until it ends).
    let app = client.get_application("api", None).unwrap();
    assert!(app.operation.is_some(), "{app:?}");
    let state = app.status.operation_state.unwrap();
    assert_eq!(state.phase, Phase::Running);
    assert_eq!(state.revisions(), [repo.head().as_str()]);

    // A second sync while the first runs.
    let busy = client.request_sync("api", None).unwrap_err();
    assert!(busy.is_operation_in_progress(), "{busy}");
    assert!(!busy.is_transient());
    let app = client.get_application("api", None).unwrap();
    assert!(app.operation.is_none(), "{app:?}");
    let state = app.status.operation_state.unwrap();
    assert_eq!(state.phase, Phase::Succeeded);
    assert_eq!(app.status.health.status, HealthCode::Progressing);
}

#[test]
fn a_sync_to_another_revision_of_an_automated_application_is_refused() {
    let (repo, argocd) = deployed(|app| app);
    let error = client(&argocd.url(), TOKEN)
        .request_sync("api", Some(&repo.head()))
        .unwrap_err();
    assert!(
        matches!(&error, ArgoCdError::Rejected { status: 400, message, .. }
            if message.contains("auto-sync currently set to main")),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("do not ask for another revision")
    );
}

#[test]
fn a_wrong_token_is_401_and_never_shown() {
    let (_repo, argocd) = deployed(|app| app);
    let wrong = "wrong-t0ken-value";
    let error = client(&argocd.url(), wrong)
        .get_application("api", None)
        .unwrap_err();
    assert!(
        matches!(&error, ArgoCdError::Unauthorized { message, .. } if message.starts_with("invalid session")),
        "{error:?}"
    );
    assert!(error.to_string().contains("generate-token"), "{error}");
    assert!(!format!("{error} {error:?}").contains(wrong));
    // Not retried.
    assert_eq!(argocd.requests().len(), 1);
}

#[test]
fn an_unknown_application_is_403_without_a_project_and_404_with_one() {
    let (_repo, argocd) = deployed(|app| app.project("shop"));
    let error = client(&argocd.url(), TOKEN)
        .get_application("web", None)
        .unwrap_err();
    assert!(
        matches!(
            error,
            ArgoCdError::Forbidden {
                action: Action::Read,
                ..
            }
        ),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(
        text.contains("`applications, get` on `*/web`") && text.contains("answers 403, not 404"),
        "{text}"
    );

    let with_project = Client::new(ClientOptions {
        project: Some("shop".to_owned()),
        ..options(&argocd.url(), TOKEN)
    })
    .unwrap();
    let error = with_project.get_application("web", None).unwrap_err();
    assert!(
        matches!(&error, ArgoCdError::NotFound { argocd_answer: true, message, .. }
            if message == "applications.argoproj.io \"web\" not found"),
        "{error:?}"
    );
    // An application of another project is not found in this one.
    let other = Client::new(ClientOptions {
        project: Some("default".to_owned()),
        ..options(&argocd.url(), TOKEN)
    })
    .unwrap();
    assert!(matches!(
        other.get_application("api", None),
        Err(ArgoCdError::NotFound { .. })
    ));
    // In another namespace.
    let elsewhere = Client::new(ClientOptions {
        app_namespace: Some("team".to_owned()),
        ..options(&argocd.url(), TOKEN)
    })
    .unwrap();
    assert!(matches!(
        elsewhere.get_application("api", None),
        Err(ArgoCdError::Forbidden { .. })
    ));
}

#[test]
fn an_account_without_sync_gets_403_naming_the_policy() {
    let (_repo, argocd) = deployed(|app| app.manual().forbid("sync").project("shop"));
    let error = client(&argocd.url(), TOKEN)
        .request_sync("api", None)
        .unwrap_err();
    let text = error.to_string();
    assert!(
        matches!(
            error,
            ArgoCdError::Forbidden {
                action: Action::Sync,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        text.contains("permission denied: applications, sync, shop/api")
            && text.contains("`applications, sync`"),
        "{text}"
    );
}

#[test]
fn a_5xx_is_retried_until_an_answer() {
    let (_repo, argocd) = deployed(|app| app);
    argocd.fail_next(503, 2);
    let app = client(&argocd.url(), TOKEN)
        .get_application("api", Some(Refresh::Normal))
        .unwrap();
    assert_eq!(app.metadata.name, "api");
    assert_eq!(argocd.reads("api").len(), 3);

    argocd.fail_next(502, 5);
    let error = client(&argocd.url(), TOKEN)
        .get_application("api", None)
        .unwrap_err();
    assert!(
        matches!(
            &error,
            ArgoCdError::Status {
                status: 502,
                attempts: 3,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_transient());
    assert!(error.to_string().contains("(3 tries)"), "{error}");
}

#[test]
fn a_slow_server_times_out_and_a_refresh_is_not_retried() {
    let (_repo, argocd) = deployed(|app| app);
    argocd.delay(Duration::from_millis(600));
    let slow = Client::new(ClientOptions {
        timeout: Duration::from_millis(150),
        ..options(&argocd.url(), TOKEN)
    })
    .unwrap();
    let started = Instant::now();
    let error = slow.get_application("api", None).unwrap_err();
    assert!(
        matches!(
            error,
            ArgoCdError::Transport {
                timed_out: true,
                attempts: 3,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_transient());
    let error = slow
        .get_application("api", Some(Refresh::Normal))
        .unwrap_err();
    assert!(
        matches!(
            error,
            ArgoCdError::Transport {
                timed_out: true,
                attempts: 1,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn no_server_is_a_transport_error_after_the_retries() {
    let server = format!("http://127.0.0.1:{}", closed_port());
    let error = client(&server, TOKEN)
        .get_application("api", None)
        .unwrap_err();
    assert!(
        matches!(
            &error,
            ArgoCdError::Transport {
                timed_out: false,
                attempts: 3,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().starts_with(&format!(
        "no answer from Argo CD at {server} when asked to read application api (3 tries): "
    )));
}

#[test]
fn answers_from_something_else_than_argo_cd() {
    let server = FakeHttp::start(|request| match request.route() {
        "/api/v1/applications/page" => Response::text(200, "<html><body>Argo CD</body></html>")
            .header("Content-Type", "text/html"),
        "/api/v1/applications/list" => Response::json(200, &serde_json::json!({"items": []})),
        "/api/v1/applications/moved" => Response::empty(308).header(
            "Location",
            "https://argocd.example.com/api/v1/applications/moved",
        ),
        _ => Response::text(404, "404 page not found"),
    });
    let client = client(&server.url(), TOKEN);
    let error = client.get_application("gone", None).unwrap_err();
    assert!(
        matches!(
            error,
            ArgoCdError::NotFound {
                argocd_answer: false,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("check the Argo CD URL"),
        "{error}"
    );
    let error = client.get_application("page", None).unwrap_err();
    assert!(
        matches!(&error, ArgoCdError::Decode { message, .. }
            if message.contains("'<html><body>Argo CD</body></html>'") && message.contains("check the Argo CD URL")),
        "{error:?}"
    );
    let error = client.get_application("list", None).unwrap_err();
    assert!(
        matches!(&error, ArgoCdError::Decode { message, .. } if message.contains("names application ''")),
        "{error:?}"
    );
    let error = client.get_application("moved", None).unwrap_err();
    assert!(
        matches!(&error, ArgoCdError::Status { status: 308, message, .. }
            if message.contains("redirects to https://argocd.example.com/")),
        "{error:?}"
    );
}

#[test]
fn the_token_is_never_in_an_error_or_debug_output() {
    // A server that echoes the token in every way it can.
    let server = FakeHttp::start(|request| {
        let auth = request
            .header("authorization")
            .unwrap_or_default()
            .to_owned();
        match request.route() {
            "/api/v1/applications/a401" => Response::json(
                401,
                &serde_json::json!({"code": 16, "message": format!("invalid session: {auth}")}),
            ),
            "/api/v1/applications/a403" => Response::json(
                403,
                &serde_json::json!({"code": 7, "error": format!("denied for {auth}")}),
            ),
            "/api/v1/applications/a500" => Response::text(500, &format!("panic: {auth}")),
            "/api/v1/applications/a200" => Response::text(200, &format!("not json {auth}")),
            "/api/v1/applications/a302" => {
                Response::empty(302).header("Location", &format!("https://x/?t={auth}"))
            }
            _ => Response::json(
                400,
                &serde_json::json!({"code": 9, "message": format!("bad {auth}")}),
            ),
        }
    });
    let client = client(&server.url(), &format!("Bearer {TOKEN}"));
    let mut errors = Vec::new();
    for name in ["a401", "a403", "a500", "a200", "a302", "a400"] {
        errors.push(client.get_application(name, None).unwrap_err());
    }
    errors.push(client.request_sync("a400", Some(TOKEN)).unwrap_err());
    for error in &errors {
        let shown = format!("{error} | {error:?}");
        assert!(!shown.contains(TOKEN), "{shown}");
        assert!(shown.contains("***"), "{shown}");
    }
    let options = options(&server.url(), TOKEN);
    assert!(!format!("{options:?}").contains(TOKEN));
    assert!(!format!("{client:?}").contains(TOKEN));
    // The token is sent without the `Bearer ` the user pasted.
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
}

#[test]
fn settings_are_checked_before_any_request() {
    let cases: &[(&str, &str, &str)] = &[
        ("argocd.example.com", TOKEN, "must start with https://"),
        ("https://", TOKEN, "needs a host"),
        (
            "https://user:pw@argocd.example.com",
            TOKEN,
            "holds credentials",
        ),
        ("https://argocd.example.com?x=1", TOKEN, "query"),
        ("https://argocd.example.com", "", "non-empty API token"),
        ("https://argocd.example.com", "two words", "without spaces"),
    ];
    for (server, token, fragment) in cases {
        let error = Client::new(ClientOptions::new(*server, *token)).unwrap_err();
        let text = error.to_string();
        assert!(text.contains(fragment), "{server} {token}: {text}");
        assert!(!text.contains("pw@"), "{text}");
    }
    let client = Client::new(ClientOptions::new(
        " https://example.com/argocd/api/v1/ ",
        "Bearer abc",
    ))
    .unwrap();
    assert_eq!(client.server(), "https://example.com/argocd");
    let error = client.get_application("bad/name", None).unwrap_err();
    assert!(
        matches!(error, ArgoCdError::Setup { .. }) && error.to_string().contains("'bad/name'"),
        "{error}"
    );
    assert!(client.get_application("", None).is_err());

    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pem");
    let error = Client::new(ClientOptions {
        ca_file: Some(missing.clone()),
        ..ClientOptions::new("https://argocd.example.com", TOKEN)
    })
    .unwrap_err();
    assert!(error.to_string().contains("cannot read it"), "{error}");
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "no certificate here\n").unwrap();
    let error = Client::new(ClientOptions {
        ca_file: Some(empty),
        ..ClientOptions::new("https://argocd.example.com", TOKEN)
    })
    .unwrap_err();
    assert!(
        error.to_string().contains("holds no certificate"),
        "{error}"
    );
}

/// A TLS server (`openssl s_server`) with a certificate a throwaway CA signed for 127.0.0.1:
/// the CA file is trusted, and without it the certificate is not.
#[test]
fn a_ca_file_is_trusted_and_without_it_the_private_ca_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let server = TlsServer::start(dir.path());
    let url = format!("https://127.0.0.1:{}", server.port);

    let untrusted = client(&url, TOKEN)
        .get_application("api", None)
        .unwrap_err();
    assert!(
        matches!(&untrusted, ArgoCdError::Transport { message, .. }
            if message.to_ascii_lowercase().contains("certificate")),
        "{untrusted:?}"
    );

    let trusted = Client::new(ClientOptions {
        ca_file: Some(dir.path().join("ca.pem")),
        ..options(&url, TOKEN)
    })
    .unwrap();
    // `s_server -www` answers any GET with an HTML status page: the handshake succeeded.
    let error = trusted.get_application("api", None).unwrap_err();
    assert!(matches!(error, ArgoCdError::Decode { .. }), "{error:?}");
}

/// `openssl s_server` on loopback, killed (by its id) on drop.
struct TlsServer {
    child: Child,
    port: u16,
}

impl TlsServer {
    fn start(dir: &Path) -> TlsServer {
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(dir)
                .output()
                .unwrap_or_else(|e| {
                    panic!("this test needs the openssl command (run scripts/setup): {e}")
                });
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=gantry test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ]);
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ]);
        std::fs::write(
            dir.join("server.ext"),
            "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            "server.ext",
            "-out",
            "server.pem",
        ]);
        let port = closed_port();
        let child = Command::new("openssl")
            .args([
                "s_server",
                "-accept",
                &format!("127.0.0.1:{port}"),
                "-cert",
                "server.pem",
                "-key",
                "server.key",
                "-www",
                "-quiet",
            ])
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = TlsServer { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "openssl s_server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! [`ArgoStandIn`]: a loopback stand-in for Argo CD's application API, for the tools that follow
//! an Argo CD application after pushing to a GitOps repository.
//!
//! Argo CD cannot run here: it needs a Kubernetes cluster (its controller, repo server and API
//! server are Kubernetes workloads, and an application's health is its resources' health in a
//! cluster). So this is a stand-in, not a real part. It serves the two calls a follow makes, as
//! Argo CD's REST API (grpc-gateway) answers them:
//! - `GET /api/v1/applications/{name}` (`refresh`, `appNamespace`, `project`), answering an
//!   `Application` with `status.sync` (`status`, `revision`), `status.health`,
//!   `status.operationState` (`phase`, `message`, `operation.sync.revision`,
//!   `syncResult.revision`), `status.resources[].health`, the top-level `operation` while one is
//!   requested or running, and `status.reconciledAt`;
//! - `POST /api/v1/applications/{name}/sync` (`revision`, `prune`, `appNamespace`, `project`),
//!   which records an operation.
//!
//! It keeps to what Argo CD does where a client can get it wrong: a missing or wrong bearer
//! token is 401 (`no session information`, `invalid session: ...`); an unknown application is
//! 403 `permission denied` when no project is given (Argo CD hides which applications exist)
//! and 404 when one is, as is an application of another project; an RBAC action the test
//! denies ([`App::forbid`]) is 403; a POST whose `Content-Type` is not exactly
//! `application/json` is 415 (`--api-content-types`); a second sync while an operation runs is
//! 400 `another operation is already in progress`; a sync to another revision than the target
//! of an application with automated sync is 400. Errors are `{"error", "code", "message"}` with
//! the gRPC code.
//!
//! Its controller reads a real git repository: each read of an application is one step of it.
//! A read with `refresh` makes it compare with the tracked branch's head (`git rev-parse`), as
//! a refresh does (without one, it does not notice new commits, as Argo CD between its
//! periodic reconciliations; [`App::notices_without_refresh`] changes that). Then, one step a
//! read: `OutOfSync` → (automated sync, or a sync asked) an operation `Running` → `Succeeded`
//! with the live revision moved and health `Progressing` → `Healthy`, or `Degraded` when the
//! deployed revision's files hold the marker the test chose ([`App::degraded_when`]), or the
//! operation `Failed` when they hold another ([`App::sync_fails_when`]). A revision whose
//! files under the application's path do not differ from the live one is `Synced` at once, as
//! Argo CD compares manifests rather than commits.
//!
//! Not modelled: a cluster, manifests rendered (kustomize, Helm), resource trees, the
//! reconciliation timer, self-heal, retries of failed syncs, hooks and waves, sync windows,
//! multi-source applications, projects' restrictions, SSO sessions, the watch stream, and the
//! refresh's wait for the controller (a refresh here is done when the answer is sent).
//! Faults are injected by the test: [`ArgoStandIn::fail_next`] answers the next requests with
//! a status, [`ArgoStandIn::delay`] answers every request late.
//!
//! ```no_run
//! use gantry_testkit::GitRepo;
//! use gantry_testkit::argocd::{App, ArgoStandIn};
//!
//! let repo = GitRepo::new();
//! repo.commit_files(&[("apps/api/kustomization.yaml", "images: []\n")], "base");
//! let argocd = ArgoStandIn::start("token");
//! argocd.add_app(App::new("api", repo.path(), "main").path("apps/api").degraded_when(":broken"));
//! // the tool under test: server argocd.url(), token "token", application "api"
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::http::{FakeHttp, Request, Response};

/// Argo CD's own namespace, where applications are unless told otherwise.
pub const ARGOCD_NAMESPACE: &str = "argocd";

/// The message of a running sync operation.
const RUNNING: &str = "waiting for healthy state of apps/Deployment";

/// The subject the stand-in's token belongs to, in its RBAC messages.
const SUBJECT: &str = "gantry";

/// One application: how the test set it up, and the stand-in controller's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    pub name: String,
    /// `metadata.namespace` (`argocd` unless set).
    pub namespace: String,
    /// `spec.project` (`default` unless set).
    pub project: String,
    /// The git repository it deploys from (a work tree or a bare repository).
    pub repo: PathBuf,
    /// `spec.source.targetRevision`: the branch it tracks.
    pub branch: String,
    /// `spec.source.path`.
    pub path: String,
    /// `spec.syncPolicy.automated` is set.
    pub automated: bool,
    /// Reads notice new commits without a refresh (as if Argo CD reconciled at every read).
    pub notices_without_refresh: bool,
    /// Reads spent `Progressing` after a sync before the health is decided.
    pub progressing_reads: u32,
    /// A deployed revision whose files hold this text makes the application `Degraded`.
    pub degraded_marker: Option<String>,
    /// A sync to a revision whose files hold this text ends `Failed`.
    pub sync_fail_marker: Option<String>,
    /// RBAC actions the token's account lacks on it (`get`, `sync`).
    pub forbidden: Vec<String>,

    /// `status.sync.revision`: what the controller compares with.
    pub compared: Option<String>,
    /// The revision running in the (imaginary) cluster.
    pub live: Option<String>,
    /// `status.health.status`.
    pub health: String,
    /// The operation requested, running or last finished.
    pub operation: Option<Op>,
    /// Reads left in `Progressing`.
    pub progressing_left: u32,
    /// The revision automated sync last tried (it does not try one twice).
    pub auto_synced: Option<String>,
    /// Revisions synced, oldest first (`status.history`).
    pub history: Vec<String>,
    /// Reads of the application that reached the controller.
    pub reads: u32,
}

/// An operation on an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Op {
    /// The resolved revision.
    pub revision: String,
    /// `Running`, `Succeeded`, `Failed`.
    pub phase: String,
    pub message: String,
    /// The controller picked it up (until then only the top-level `operation` shows it).
    pub started: bool,
    /// Asked through the API (else automated sync).
    pub by_api: bool,
}

impl Op {
    fn in_progress(&self) -> bool {
        !self.started || self.phase == "Running"
    }
}

impl App {
    /// An application tracking `branch` of the repository at `repo`, path `.`, in project
    /// `default`, automated sync, one read `Progressing` after a sync. It starts deployed at
    /// the branch's head (`Synced`, `Healthy`, or `Degraded` if that head holds the
    /// degraded marker) unless [`App::live_at`] says otherwise.
    pub fn new(name: &str, repo: &Path, branch: &str) -> App {
        App {
            name: name.to_owned(),
            namespace: ARGOCD_NAMESPACE.to_owned(),
            project: "default".to_owned(),
            repo: repo.to_path_buf(),
            branch: branch.to_owned(),
            path: ".".to_owned(),
            automated: true,
            notices_without_refresh: false,
            progressing_reads: 1,
            degraded_marker: None,
            sync_fail_marker: None,
            forbidden: Vec::new(),
            compared: None,
            live: None,
            health: "Healthy".to_owned(),
            operation: None,
            progressing_left: 0,
            auto_synced: None,
            history: Vec::new(),
            reads: 0,
        }
    }

    /// In namespace `namespace` (applications in any namespace).
    #[must_use]
    pub fn namespace(mut self, namespace: &str) -> App {
        self.namespace = namespace.to_owned();
        self
    }

    /// In project `project`.
    #[must_use]
    pub fn project(mut self, project: &str) -> App {
        self.project = project.to_owned();
        self
    }

    /// Deploys the files under `path` of the repository.
    #[must_use]
    pub fn path(mut self, path: &str) -> App {
        self.path = path.to_owned();
        self
    }

    /// No automated sync: it stays `OutOfSync` until a sync is asked.
    #[must_use]
    pub fn manual(mut self) -> App {
        self.automated = false;
        self
    }

    /// Notices new commits at every read, not only on a refresh.
    #[must_use]
    pub fn notices_without_refresh(mut self) -> App {
        self.notices_without_refresh = true;
        self
    }

    /// `reads` reads `Progressing` after each sync (`u32::MAX`: for ever).
    #[must_use]
    pub fn progressing_reads(mut self, reads: u32) -> App {
        self.progressing_reads = reads;
        self
    }

    /// `Degraded` once a revision whose files (under the path) hold `marker` is deployed.
    #[must_use]
    pub fn degraded_when(mut self, marker: &str) -> App {
        self.degraded_marker = Some(marker.to_owned());
        self
    }

    /// A sync to a revision whose files (under the path) hold `marker` ends `Failed`.
    #[must_use]
    pub fn sync_fails_when(mut self, marker: &str) -> App {
        self.sync_fail_marker = Some(marker.to_owned());
        self
    }

    /// The token's account lacks `applications, <action>` (`get`, `sync`) on it.
    #[must_use]
    pub fn forbid(mut self, action: &str) -> App {
        self.forbidden.push(action.to_owned());
        self
    }

    /// Starts deployed (and compared) at `revision` instead of the branch's head.
    #[must_use]
    pub fn live_at(mut self, revision: &str) -> App {
        self.live = Some(revision.to_owned());
        self.compared = Some(revision.to_owned());
        self
    }

    fn git(&self, args: &[&str]) -> Option<String> {
        let out = Command::new("git")
            .args(args)
            .current_dir(&self.repo)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("LC_ALL", "C")
            .output()
            .unwrap_or_else(|e| panic!("cannot run git (is it installed?): {e}"));
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    /// The commit `rev` names, if any.
    fn resolve(&self, rev: &str) -> Option<String> {
        self.git(&["rev-parse", "--verify", "-q", &format!("{rev}^{{commit}}")])
    }

    fn head(&self) -> String {
        self.resolve(&self.branch).unwrap_or_else(|| {
            panic!(
                "the Argo CD stand-in's application {} tracks branch {}, which {} does not have",
                self.name,
                self.branch,
                self.repo.display()
            )
        })
    }

    /// The files of `revision` under the path hold `marker`.
    fn holds(&self, revision: &str, marker: Option<&String>) -> bool {
        let Some(marker) = marker else { return false };
        self.git(&["grep", "-q", "-F", "-e", marker, revision, "--", &self.path])
            .is_some()
    }

    /// The files under the path are the same at both revisions.
    fn same_files(&self, a: &str, b: &str) -> bool {
        a == b
            || self
                .git(&["diff", "--quiet", a, b, "--", &self.path])
                .is_some()
    }

    fn sync_status(&self) -> &'static str {
        match (&self.compared, &self.live) {
            (None, _) => "Unknown",
            (Some(compared), Some(live)) if self.same_files(compared, live) => "Synced",
            _ => "OutOfSync",
        }
    }

    fn settle_health(&mut self) {
        let live = self.live.clone().unwrap_or_default();
        self.health = if self.holds(&live, self.degraded_marker.as_ref()) {
            "Degraded"
        } else {
            "Healthy"
        }
        .to_owned();
    }

    /// One step of the controller, at a read (`refresh`: the read asked for one).
    fn step(&mut self, refresh: bool) {
        self.reads += 1;
        let before = self.compared.clone();
        if refresh || self.notices_without_refresh || self.compared.is_none() {
            self.compared = Some(self.head());
        }
        if self.compared != before {
            // This read shows the comparison; the operations start at the next.
            return;
        }
        if let Some(op) = self.operation.as_mut().filter(|op| op.in_progress()) {
            if !op.started {
                op.started = true;
                op.message = RUNNING.to_owned();
                return;
            }
            let revision = op.revision.clone();
            if self.holds(&revision, self.sync_fail_marker.as_ref()) {
                let message = format!(
                    "one or more objects failed to apply, reason: Deployment.apps \"{}\" is invalid: spec.template.spec.containers[0].image: Invalid value",
                    self.name
                );
                if let Some(op) = self.operation.as_mut() {
                    op.phase = "Failed".to_owned();
                    op.message = message;
                }
                return;
            }
            if let Some(op) = self.operation.as_mut() {
                op.phase = "Succeeded".to_owned();
                op.message = "successfully synced (all tasks run)".to_owned();
            }
            self.live = Some(revision.clone());
            self.history.push(revision);
            self.progressing_left = self.progressing_reads;
            if self.progressing_left == 0 {
                self.settle_health();
            } else {
                self.health = "Progressing".to_owned();
            }
            return;
        }
        if self.automated
            && self.sync_status() == "OutOfSync"
            && self.auto_synced != self.compared
            && let Some(compared) = self.compared.clone()
        {
            // The controller starts the operation it initiates at once.
            self.auto_synced = Some(compared.clone());
            self.operation = Some(Op {
                revision: compared,
                phase: "Running".to_owned(),
                message: RUNNING.to_owned(),
                started: true,
                by_api: false,
            });
            return;
        }
        if self.health == "Progressing" {
            self.progressing_left = self.progressing_left.saturating_sub(1);
            if self.progressing_left == 0 {
                self.settle_health();
            }
        }
    }

    /// The application as Argo CD's API answers it.
    fn json(&self, version: u64) -> Value {
        let now = rfc3339(SystemTime::now());
        let source = json!({
            "repoURL": format!("file://{}", self.repo.display()),
            "path": self.path,
            "targetRevision": self.branch,
        });
        let destination = json!({
            "server": "https://kubernetes.default.svc",
            "namespace": self.name,
        });
        let sync = self.sync_status();
        let mut resource_health = json!({ "status": self.health });
        match self.health.as_str() {
            "Degraded" => {
                resource_health["message"] = json!(format!(
                    "Deployment \"{}\" exceeded its progress deadline",
                    self.name
                ));
            }
            "Progressing" => {
                resource_health["message"] = json!(
                    "Waiting for rollout to finish: 0 of 1 updated replicas are available..."
                );
            }
            _ => {}
        }
        let mut status = json!({
            "sync": {
                "status": sync,
                "comparedTo": { "source": source, "destination": destination },
            },
            "health": { "status": self.health, "lastTransitionTime": now },
            "resources": [{
                "group": "apps", "version": "v1", "kind": "Deployment",
                "namespace": self.name, "name": self.name,
                "status": sync, "health": resource_health,
            }, {
                "version": "v1", "kind": "Service",
                "namespace": self.name, "name": self.name,
                "status": sync, "health": { "status": "Healthy" },
            }],
            "history": self.history.iter().enumerate().map(|(i, revision)| json!({
                "id": i, "revision": revision, "deployedAt": now, "source": source,
            })).collect::<Vec<_>>(),
            "reconciledAt": now,
            "observedAt": now,
            "sourceType": "Kustomize",
            "summary": {},
            "controllerNamespace": ARGOCD_NAMESPACE,
        });
        if let Some(compared) = &self.compared {
            status["sync"]["revision"] = json!(compared);
        }
        let mut app = json!({
            "metadata": {
                "name": self.name,
                "namespace": self.namespace,
                "resourceVersion": version.to_string(),
                "generation": version,
                "creationTimestamp": "2024-01-01T00:00:00Z",
            },
            "spec": {
                "project": self.project,
                "source": source,
                "destination": destination,
                "syncPolicy": if self.automated {
                    json!({ "automated": { "prune": false, "selfHeal": false } })
                } else {
                    json!({})
                },
            },
            "status": status,
        });
        if let Some(op) = &self.operation {
            let initiated = if op.by_api {
                json!({ "username": SUBJECT })
            } else {
                json!({ "automated": true })
            };
            let operation = json!({
                "sync": { "revision": op.revision, "prune": false },
                "initiatedBy": initiated,
                "retry": {},
            });
            if op.in_progress() {
                app["operation"] = operation.clone();
            }
            if op.started {
                let mut state = json!({
                    "operation": operation,
                    "phase": op.phase,
                    "message": op.message,
                    "startedAt": now,
                });
                if op.phase != "Running" {
                    state["finishedAt"] = json!(now);
                    state["syncResult"] = json!({
                        "revision": op.revision, "source": source, "resources": [],
                    });
                }
                app["status"]["operationState"] = state;
            }
        }
        app
    }
}

#[derive(Debug, Default)]
struct State {
    apps: Vec<App>,
    /// Answers for the next requests, whatever they ask.
    faults: Vec<(u16, Value)>,
    delay: Duration,
    version: u64,
}

#[derive(Debug)]
struct Shared {
    token: String,
    state: Mutex<State>,
}

/// The stand-in, on `127.0.0.1` until dropped.
#[derive(Debug)]
pub struct ArgoStandIn {
    http: FakeHttp,
    shared: Arc<Shared>,
}

impl ArgoStandIn {
    /// A stand-in that accepts `token` as `Authorization: Bearer <token>`, with no application.
    pub fn start(token: &str) -> ArgoStandIn {
        let shared = Arc::new(Shared {
            token: token.to_owned(),
            state: Mutex::new(State::default()),
        });
        let handler = Arc::clone(&shared);
        let http = FakeHttp::start(move |request| handler.answer(request));
        ArgoStandIn { http, shared }
    }

    /// `http://127.0.0.1:PORT`: Argo CD's URL.
    pub fn url(&self) -> String {
        self.http.url()
    }

    /// Adds (or replaces) an application; it starts compared and deployed at its branch's head
    /// unless [`App::live_at`] set a revision.
    pub fn add_app(&self, mut app: App) -> &Self {
        if app.live.is_none() {
            let head = app.head();
            app.live = Some(head.clone());
            app.compared = Some(head);
        }
        app.settle_health();
        let mut state = lock(&self.shared.state);
        state
            .apps
            .retain(|a| !(a.name == app.name && a.namespace == app.namespace));
        state.apps.push(app);
        self
    }

    /// The application `name` as it is now (the first of that name in any namespace).
    pub fn app(&self, name: &str) -> App {
        lock(&self.shared.state)
            .apps
            .iter()
            .find(|a| a.name == name)
            .cloned()
            .unwrap_or_else(|| panic!("the Argo CD stand-in has no application {name}"))
    }

    /// Changes the application `name` (scripted states: set `health`, `compared`, ...).
    pub fn update(&self, name: &str, change: impl FnOnce(&mut App)) {
        let mut state = lock(&self.shared.state);
        let app = state
            .apps
            .iter_mut()
            .find(|a| a.name == name)
            .unwrap_or_else(|| panic!("the Argo CD stand-in has no application {name}"));
        change(app);
    }

    /// Answers the next `count` requests with `status` (gRPC code 14, `Unavailable`), before
    /// looking at them.
    pub fn fail_next(&self, status: u16, count: usize) {
        let body = json!({
            "error": "upstream connect error or disconnect/reset before headers",
            "code": 14,
            "message": "upstream connect error or disconnect/reset before headers",
        });
        lock(&self.shared.state)
            .faults
            .extend(std::iter::repeat_n((status, body), count));
    }

    /// Answers every request `delay` late (zero: on time).
    pub fn delay(&self, delay: Duration) {
        lock(&self.shared.state).delay = delay;
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.http.requests()
    }

    /// The reads (`GET`) of application `name` so far.
    pub fn reads(&self, name: &str) -> Vec<Request> {
        let route = format!("/api/v1/applications/{name}");
        self.requests()
            .into_iter()
            .filter(|r| r.method == "GET" && r.route() == route)
            .collect()
    }

    /// The sync requests (`POST .../sync`) of application `name` so far.
    pub fn syncs(&self, name: &str) -> Vec<Request> {
        let route = format!("/api/v1/applications/{name}/sync");
        self.requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.route() == route)
            .collect()
    }
}

impl Shared {
    fn answer(&self, request: &Request) -> Response {
        let delay = lock(&self.state).delay;
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
        let mut state = lock(&self.state);
        if !state.faults.is_empty() {
            let (status, body) = state.faults.remove(0);
            return Response::json(status, &body);
        }
        match request.header("authorization") {
            None => return error(401, 16, "no session information"),
            Some(value) if value != format!("Bearer {}", self.token) => {
                return error(
                    401,
                    16,
                    "invalid session: token signature is invalid: signature is invalid",
                );
            }
            Some(_) => {}
        }
        let route = request.route();
        let Some(rest) = route.strip_prefix("/api/v1/applications/") else {
            return error(404, 5, "Not Found");
        };
        match (request.method.as_str(), rest.split_once('/')) {
            ("GET", None) => read(&mut state, rest, request),
            ("POST", Some((name, "sync"))) => {
                // Argo CD's --api-content-types: exactly application/json for non-GET requests.
                let content_type = request.header("content-type").unwrap_or_default();
                if !content_type.eq_ignore_ascii_case("application/json") {
                    return Response::text(415, "Invalid content type\n");
                }
                sync(&mut state, name, &request.json())
            }
            _ => error(404, 5, "Not Found"),
        }
    }
}

/// Argo CD's error body for gRPC `code`.
fn error(status: u16, code: u8, message: &str) -> Response {
    Response::json(
        status,
        &json!({ "error": message, "code": code, "message": message }),
    )
}

/// The application, as Argo CD's server finds it and checks access: 403 for one that does not
/// exist without a project (so as not to reveal which exist), 404 with one.
fn find<'a>(
    state: &'a mut State,
    name: &str,
    namespace: Option<&str>,
    project: Option<&str>,
) -> Result<&'a mut App, Response> {
    let namespace = namespace
        .filter(|n| !n.is_empty())
        .unwrap_or(ARGOCD_NAMESPACE);
    let project = project.filter(|p| !p.is_empty());
    let not_found = || {
        error(
            404,
            5,
            &format!("applications.argoproj.io \"{name}\" not found"),
        )
    };
    let denied = || error(403, 7, "permission denied");
    let Some(app) = state
        .apps
        .iter_mut()
        .find(|a| a.name == name && a.namespace == namespace)
    else {
        return Err(if project.is_some() {
            not_found()
        } else {
            denied()
        });
    };
    if app.forbidden.iter().any(|a| a == "get") {
        return Err(if project.is_some() {
            not_found()
        } else {
            denied()
        });
    }
    if project.is_some_and(|p| p != app.project) {
        return Err(not_found());
    }
    Ok(app)
}

fn read(state: &mut State, name: &str, request: &Request) -> Response {
    let refresh = request
        .query("refresh")
        .is_some_and(|r| r == "normal" || r == "hard");
    state.version += 1;
    let version = state.version;
    match find(
        state,
        name,
        request.query("appNamespace"),
        request.query("project"),
    ) {
        Ok(app) => {
            app.step(refresh);
            Response::json(200, &app.json(version))
        }
        Err(response) => response,
    }
}

fn sync(state: &mut State, name: &str, body: &Value) -> Response {
    let text = |key: &str| body.get(key).and_then(Value::as_str);
    state.version += 1;
    let version = state.version;
    let app = match find(state, name, text("appNamespace"), text("project")) {
        Ok(app) => app,
        Err(response) => return response,
    };
    if app.forbidden.iter().any(|a| a == "sync") {
        return error(
            403,
            7,
            &format!(
                "permission denied: applications, sync, {}/{}, sub: {SUBJECT}, iat: 2024-01-01T00:00:00Z",
                app.project, app.name
            ),
        );
    }
    let revision = text("revision").filter(|r| !r.is_empty());
    if app.automated
        && let Some(revision) = revision
        && revision != app.branch
        && body.get("dryRun").and_then(Value::as_bool) != Some(true)
    {
        return error(
            400,
            9,
            &format!(
                "Cannot sync to {revision}: auto-sync currently set to {}",
                app.branch
            ),
        );
    }
    if app.operation.as_ref().is_some_and(Op::in_progress) {
        return error(400, 9, "another operation is already in progress");
    }
    let resolved = match revision {
        Some(revision) => match app.resolve(revision) {
            Some(sha) => sha,
            None => {
                return error(
                    400,
                    9,
                    &format!(
                        "rpc error: code = Unknown desc = unable to resolve '{revision}' to a commit SHA"
                    ),
                );
            }
        },
        None => app.head(),
    };
    app.operation = Some(Op {
        revision: resolved,
        phase: "Running".to_owned(),
        message: String::new(),
        started: false,
        by_api: true,
    });
    Response::json(200, &app.json(version))
}

/// `2024-01-01T00:00:00Z`.
fn rfc3339(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil_from_days.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_704_067_200 + 86_400 * 59 + 3723);
        assert_eq!(rfc3339(t), "2024-02-29T01:02:03Z");
    }
}

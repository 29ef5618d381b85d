//! [`ArgoCdError`]: what went wrong talking to Argo CD, and what to change.
//!
//! Every message says what was being done and, for the answers a user can fix (401, 403, 404),
//! what to check. No message holds the token: the client removes it from any text a server
//! sends back before it is kept.

/// What was being done when Argo CD answered with an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `GET /api/v1/applications/{name}`.
    Read,
    /// `POST /api/v1/applications/{name}/sync`.
    Sync,
}

impl Action {
    /// The RBAC action Argo CD checks (`applications, get` / `applications, sync`).
    pub fn rbac(self) -> &'static str {
        match self {
            Action::Read => "get",
            Action::Sync => "sync",
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Sync => "sync",
        }
    }
}

/// Which application a request was about, for the messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppRef {
    /// The application's name.
    pub name: String,
    /// `appNamespace`, when given.
    pub namespace: Option<String>,
    /// `project`, when given.
    pub project: Option<String>,
}

impl std::fmt::Display for AppRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{ns}/{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

impl AppRef {
    /// `<project>/<name>` (`<project>/<namespace>/<name>` outside Argo CD's namespace): the
    /// object of an RBAC policy line; `*` for an unknown project.
    fn rbac_object(&self) -> String {
        let project = self.project.as_deref().unwrap_or("*");
        match &self.namespace {
            Some(ns) => format!("{project}/{ns}/{}", self.name),
            None => format!("{project}/{}", self.name),
        }
    }
}

/// A failed call to Argo CD's API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ArgoCdError {
    /// The settings cannot make a client (URL, token, CA file).
    #[error("{setting}: {reason}")]
    Setup {
        /// The setting (`the Argo CD server URL`, `the CA file /path`).
        setting: String,
        reason: String,
    },
    /// 401: the token was refused.
    #[error(
        "Argo CD refused the token when asked to {verb} application {app} (HTTP 401: {message}): check the Argo CD token: it must be an API token (`argocd account generate-token --account <name>`) of an account with the apiKey capability, not expired or revoked, for this Argo CD server",
        verb = .action.verb()
    )]
    Unauthorized {
        action: Action,
        app: AppRef,
        message: String,
    },
    /// 403: the account may not, or (without a project) the application does not exist.
    #[error("{}", forbidden(.action, .app, .message))]
    Forbidden {
        action: Action,
        app: AppRef,
        message: String,
    },
    /// 404: no such application (in that namespace and project), or not Argo CD's API.
    #[error("{}", not_found(.action, .app, .message, *.argocd_answer))]
    NotFound {
        action: Action,
        app: AppRef,
        message: String,
        /// The answer was Argo CD's JSON error (else some other server answered: a wrong URL).
        argocd_answer: bool,
    },
    /// 400 (or 409/412): Argo CD refused the request as it stands.
    #[error("{}", rejected(.action, .app, .message))]
    Rejected {
        action: Action,
        app: AppRef,
        status: u16,
        message: String,
    },
    /// Another status, after the retries for those worth retrying.
    #[error(
        "Argo CD answered HTTP {status} when asked to {verb} application {app}{tries}: {message}",
        verb = .action.verb(),
        tries = attempts_text(*.attempts)
    )]
    Status {
        action: Action,
        app: AppRef,
        status: u16,
        message: String,
        attempts: u32,
    },
    /// No answer, after the retries.
    #[error(
        "no answer from Argo CD at {server} when asked to {verb} application {app}{tries}: {message}",
        verb = .action.verb(),
        tries = attempts_text(*.attempts)
    )]
    Transport {
        action: Action,
        app: AppRef,
        server: String,
        message: String,
        attempts: u32,
        /// The request timed out (rather than failing to connect, say).
        timed_out: bool,
    },
    /// A success whose body is not an application.
    #[error(
        "Argo CD's answer to {verb} application {app} is not an application: {message}",
        verb = .action.verb()
    )]
    Decode {
        action: Action,
        app: AppRef,
        message: String,
    },
}

impl ArgoCdError {
    /// Worth asking again later: no answer, or a 5xx / 408 / 429 after the client's own
    /// retries. A follow keeps polling through these.
    pub fn is_transient(&self) -> bool {
        match self {
            ArgoCdError::Transport { .. } => true,
            ArgoCdError::Status { status, .. } => retryable_status(*status),
            _ => false,
        }
    }

    /// A sync refused because an operation is already running on the application
    /// ("another operation is already in progress"): ask again once it ended.
    pub fn is_operation_in_progress(&self) -> bool {
        matches!(self, ArgoCdError::Rejected { message, .. }
            if message.contains("another operation is already in progress"))
    }

    /// The HTTP status, when there was an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            ArgoCdError::Unauthorized { .. } => Some(401),
            ArgoCdError::Forbidden { .. } => Some(403),
            ArgoCdError::NotFound { .. } => Some(404),
            ArgoCdError::Rejected { status, .. } | ArgoCdError::Status { status, .. } => {
                Some(*status)
            }
            ArgoCdError::Setup { .. }
            | ArgoCdError::Transport { .. }
            | ArgoCdError::Decode { .. } => None,
        }
    }
}

/// 408, 429 and 5xx: a busy or restarting server, a proxy in the way.
pub(crate) fn retryable_status(status: u16) -> bool {
    status == 408 || status == 429 || (500..600).contains(&status)
}

fn attempts_text(attempts: u32) -> String {
    if attempts > 1 {
        format!(" ({attempts} tries)")
    } else {
        String::new()
    }
}

fn forbidden(action: &Action, app: &AppRef, message: &str) -> String {
    let verb = action.verb();
    if message.contains("sync window") {
        return format!(
            "Argo CD refused to {verb} application {app} (HTTP 403: {message}): a sync window of the application's project forbids syncs now; wait for the window to open, or sync it by hand"
        );
    }
    let mut text = format!(
        "Argo CD refused to {verb} application {app} (HTTP 403: {message}): the token's account needs `applications, {rbac}` on `{object}` in Argo CD's RBAC (argocd-rbac-cm: `p, role:<role>, applications, {rbac}, {object}, allow`, the role granted to the account)",
        rbac = action.rbac(),
        object = app.rbac_object(),
    );
    if *action == Action::Sync {
        text.push_str(" and `applications, get`");
    }
    if app.project.is_none() {
        text.push_str(
            ". Argo CD also answers 403, not 404, for an application that does not exist when no project is given: check the application's name and its namespace (an application outside Argo CD's own namespace needs its namespace), or give the project to get a 404 for a missing application",
        );
    }
    text
}

fn not_found(action: &Action, app: &AppRef, message: &str, argocd_answer: bool) -> String {
    let verb = action.verb();
    if !argocd_answer {
        return format!(
            "the server answered HTTP 404 when asked to {verb} application {app}, and not as Argo CD's API does ({message}): check the Argo CD URL (the server's address, with its --rootpath when it has one, without /api/v1)"
        );
    }
    let mut text = format!(
        "Argo CD has no application {} (HTTP 404: {message}): check the application's name",
        app.name
    );
    match &app.namespace {
        Some(ns) => text.push_str(&format!(
            ", its namespace ({ns}; Argo CD must list it in `application.namespaces`)"
        )),
        None => text.push_str(
            " and its namespace (an application outside Argo CD's own namespace needs its namespace)",
        ),
    }
    if let Some(project) = &app.project {
        text.push_str(&format!(" and its project ({project})"));
    }
    text
}

fn rejected(action: &Action, app: &AppRef, message: &str) -> String {
    let verb = action.verb();
    let hint = if message.contains("another operation is already in progress") {
        ": an operation is already running on it; wait for it to end"
    } else if message.contains("auto-sync currently set to") {
        ": the application syncs automatically to its target revision; do not ask for another revision"
    } else if message.to_ascii_lowercase().contains("content type") {
        ": the request's Content-Type was refused (Argo CD's --api-content-types)"
    } else {
        ""
    };
    format!("Argo CD refused to {verb} application {app}: {message}{hint}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(namespace: Option<&str>, project: Option<&str>) -> AppRef {
        AppRef {
            name: "api".to_owned(),
            namespace: namespace.map(str::to_owned),
            project: project.map(str::to_owned),
        }
    }

    #[test]
    fn messages_say_what_to_check() {
        let cases: Vec<(ArgoCdError, &[&str])> = vec![
            (
                ArgoCdError::Unauthorized {
                    action: Action::Read,
                    app: app(None, None),
                    message: "no session information".to_owned(),
                },
                &[
                    "HTTP 401: no session information",
                    "generate-token",
                    "apiKey",
                ],
            ),
            (
                ArgoCdError::Forbidden {
                    action: Action::Read,
                    app: app(None, None),
                    message: "permission denied".to_owned(),
                },
                &[
                    "`applications, get` on `*/api`",
                    "answers 403, not 404",
                    "give the project",
                ],
            ),
            (
                ArgoCdError::Forbidden {
                    action: Action::Sync,
                    app: app(Some("team"), Some("shop")),
                    message: "permission denied: applications, sync, shop/team/api".to_owned(),
                },
                &[
                    "`applications, sync` on `shop/team/api`",
                    "and `applications, get`",
                ],
            ),
            (
                ArgoCdError::Forbidden {
                    action: Action::Sync,
                    app: app(None, Some("shop")),
                    message: "cannot sync: blocked by sync window".to_owned(),
                },
                &["a sync window of the application's project forbids syncs now"],
            ),
            (
                ArgoCdError::NotFound {
                    action: Action::Read,
                    app: app(Some("team"), Some("shop")),
                    message: "applications.argoproj.io \"api\" not found".to_owned(),
                    argocd_answer: true,
                },
                &[
                    "no application api",
                    "its namespace (team;",
                    "its project (shop)",
                ],
            ),
            (
                ArgoCdError::NotFound {
                    action: Action::Read,
                    app: app(None, None),
                    message: "<html>404</html>".to_owned(),
                    argocd_answer: false,
                },
                &["not as Argo CD's API does", "check the Argo CD URL"],
            ),
            (
                ArgoCdError::Rejected {
                    action: Action::Sync,
                    app: app(None, None),
                    status: 400,
                    message: "another operation is already in progress".to_owned(),
                },
                &["wait for it to end"],
            ),
        ];
        for (error, fragments) in cases {
            let text = error.to_string();
            for fragment in fragments {
                assert!(text.contains(fragment), "{fragment:?} not in {text}");
            }
        }
    }

    #[test]
    fn transient_and_in_progress() {
        let status = |status| ArgoCdError::Status {
            action: Action::Read,
            app: app(None, None),
            status,
            message: String::new(),
            attempts: 4,
        };
        assert!(status(503).is_transient());
        assert!(status(429).is_transient());
        assert!(!status(415).is_transient());
        let busy = ArgoCdError::Rejected {
            action: Action::Sync,
            app: app(None, None),
            status: 400,
            message: "another operation is already in progress".to_owned(),
        };
        assert!(busy.is_operation_in_progress() && !busy.is_transient());
        assert_eq!(busy.status(), Some(400));
        assert!(status(503).to_string().contains("(4 tries)"));
    }
}

//! [`decide`]: does an Argo CD application run a commit yet, has it failed to, or is it still on
//! its way? A pure function of the application as read, the commit, and the caller's answer to
//! "does this revision contain the commit?" (the commit itself, or a later commit of the
//! branch: git knows, the caller asks it).
//!
//! The rules, in order:
//! 1. The last operation `Failed` or `Error` on a revision that contains the commit: **failed**
//!    (Argo CD keeps an operation it will retry `Running`, so these are final). A failed
//!    operation on an older revision is not ours and says nothing.
//! 2. An operation `Running` or `Terminating`, or requested and not started: **waiting**.
//! 3. Argo CD compares with a revision that does not contain the commit: **waiting** (it has
//!    not seen the commit yet). Whatever the health then (even `Degraded`), it is the old
//!    revision's.
//! 4. It compares with a revision that does, and the status is `OutOfSync` or `Unknown`:
//!    **waiting** (the live state is still the old revision's; its health is not ours).
//! 5. `Synced` with it: health `Healthy` is **healthy**; `Degraded` is **failed**; anything
//!    else (`Progressing`, `Suspended`, `Missing`, `Unknown`) is **waiting**.

use std::fmt;

use super::app::{Application, HealthCode, Phase, SyncCode};

/// What [`decide`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Not there yet, and why.
    Waiting(Waiting),
    /// Synced to `revision` (the commit, or a later one that contains it) and `Healthy`.
    Healthy {
        /// The revision Argo CD runs.
        revision: String,
    },
    /// Argo CD ran the commit, or tried to, and it failed.
    Failed(Failure),
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decision::Waiting(waiting) => waiting.fmt(f),
            Decision::Healthy { revision } => {
                write!(f, "synced to {} and Healthy", short(revision))
            }
            Decision::Failed(failure) => failure.fmt(f),
        }
    }
}

/// Why the application does not run the commit yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Waiting {
    /// Argo CD compares with revisions that do not contain the commit (or with none yet).
    NotSeen {
        /// The commit followed.
        commit: String,
        /// The revision Argo CD compares with (the first, for several sources).
        compared: Option<String>,
        /// The application's error conditions (`ComparisonError: ...`).
        errors: Vec<String>,
    },
    /// An operation is `Running` or `Terminating`.
    Operation {
        phase: Phase,
        /// Its revision, when known.
        revision: Option<String>,
        message: Option<String>,
    },
    /// A sync was requested and the controller has not started it yet.
    Requested {
        /// Its revision (`None`: the application's target revision).
        revision: Option<String>,
    },
    /// Argo CD sees `revision` (which contains the commit) and the live state differs.
    OutOfSync {
        revision: String,
        /// The application syncs by itself.
        automated: bool,
    },
    /// Argo CD cannot compare the live state with `revision` (sync status `Unknown`).
    SyncUnknown {
        revision: String,
        status: SyncCode,
        /// The application's error conditions (`ComparisonError: ...`).
        errors: Vec<String>,
    },
    /// Synced to `revision`, and the health is neither `Healthy` nor `Degraded`.
    Health {
        revision: String,
        health: HealthCode,
        /// The application's message and its resources in that state.
        message: Option<String>,
    },
}

impl fmt::Display for Waiting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Waiting::NotSeen {
                commit,
                compared,
                errors,
            } => {
                write!(f, "Argo CD has not seen commit {} yet", short(commit))?;
                match compared {
                    Some(revision) => write!(f, " (it compares with {})", short(revision))?,
                    None => f.write_str(" (it has compared no revision yet)")?,
                }
                with_errors(f, errors)
            }
            Waiting::Operation {
                phase,
                revision,
                message,
            } => {
                f.write_str("a sync operation")?;
                if let Some(revision) = revision {
                    write!(f, " to {}", short(revision))?;
                }
                write!(f, " is {phase}")?;
                with_message(f, message.as_deref())
            }
            Waiting::Requested { revision } => match revision {
                Some(revision) => write!(
                    f,
                    "a sync to {} is requested and not started yet",
                    short(revision)
                ),
                None => f.write_str("a sync is requested and not started yet"),
            },
            Waiting::OutOfSync {
                revision,
                automated,
            } => {
                write!(
                    f,
                    "Argo CD has not synced {} yet (OutOfSync",
                    short(revision)
                )?;
                if !automated {
                    f.write_str("; the application has no automated sync")?;
                }
                f.write_str(")")
            }
            Waiting::SyncUnknown {
                revision,
                status,
                errors,
            } => {
                write!(
                    f,
                    "Argo CD cannot compare the live state with {} (sync status {status})",
                    short(revision)
                )?;
                with_errors(f, errors)
            }
            Waiting::Health {
                revision,
                health,
                message,
            } => {
                write!(f, "synced to {}, health {health}", short(revision))?;
                with_message(f, message.as_deref())
            }
        }
    }
}

/// Why the commit failed to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Synced to `revision`, and the application is `Degraded`.
    Degraded {
        revision: String,
        /// The application's message and its degraded resources.
        message: String,
    },
    /// The sync operation to `revision` ended `Failed` or `Error`.
    SyncFailed {
        phase: Phase,
        revision: String,
        message: String,
    },
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Degraded { revision, message } => write!(
                f,
                "Argo CD reports the application Degraded at {}: {message}",
                short(revision)
            ),
            Failure::SyncFailed {
                phase,
                revision,
                message,
            } => write!(
                f,
                "Argo CD's sync to {} ended {phase}: {message}",
                short(revision)
            ),
        }
    }
}

/// Whether `app` runs `commit`. `contains(revision)` says whether `revision` (a full SHA, as
/// Argo CD reports them) is `commit` or a later commit that has it in its history; it is not
/// asked about `commit` itself.
pub fn decide(app: &Application, commit: &str, contains: &mut dyn FnMut(&str) -> bool) -> Decision {
    let mut ours = |revision: &str| revision.eq_ignore_ascii_case(commit) || contains(revision);

    // 1 and 2: the last operation, and one requested.
    if let Some(op) = &app.status.operation_state {
        let revisions = op.revisions();
        if op.phase.failed()
            && let Some(revision) = revisions.iter().find(|r| ours(r))
        {
            return Decision::Failed(Failure::SyncFailed {
                phase: op.phase.clone(),
                revision: (*revision).to_owned(),
                message: text(op.message.as_deref()).unwrap_or_else(|| "no message".to_owned()),
            });
        }
        if op.phase.in_progress() {
            return Decision::Waiting(Waiting::Operation {
                phase: op.phase.clone(),
                revision: revisions.first().map(|r| (*r).to_owned()),
                message: text(op.message.as_deref()),
            });
        }
    }
    if let Some(op) = &app.operation {
        let revision = op.sync.as_ref().and_then(|s| {
            s.revision
                .as_deref()
                .or(s.revisions.first().map(String::as_str))
                .and_then(|r| text(Some(r)))
        });
        return Decision::Waiting(Waiting::Requested { revision });
    }

    // 3: has Argo CD seen the commit?
    let compared = app.compared_revisions();
    let Some(revision) = compared.iter().find(|r| ours(r)).map(|r| (*r).to_owned()) else {
        return Decision::Waiting(Waiting::NotSeen {
            commit: commit.to_owned(),
            compared: compared.first().map(|r| (*r).to_owned()),
            errors: app.error_conditions(),
        });
    };

    // 4: is the live state the commit's?
    match &app.status.sync.status {
        SyncCode::Synced => {}
        SyncCode::OutOfSync => {
            return Decision::Waiting(Waiting::OutOfSync {
                revision,
                automated: app.automated_sync(),
            });
        }
        status => {
            return Decision::Waiting(Waiting::SyncUnknown {
                revision,
                status: status.clone(),
                errors: app.error_conditions(),
            });
        }
    }

    // 5: its health.
    let health = &app.status.health.status;
    match health {
        HealthCode::Healthy => Decision::Healthy { revision },
        HealthCode::Degraded => Decision::Failed(Failure::Degraded {
            revision,
            message: health_message(app, health).unwrap_or_else(|| "no message".to_owned()),
        }),
        other => Decision::Waiting(Waiting::Health {
            revision,
            health: other.clone(),
            message: health_message(app, health),
        }),
    }
}

/// The application's health message and up to three of its resources in that state.
fn health_message(app: &Application, health: &HealthCode) -> Option<String> {
    let mut parts: Vec<String> = text(app.status.health.message.as_deref())
        .into_iter()
        .collect();
    let resources = app.resources_with(health);
    let more = resources.len().saturating_sub(3);
    parts.extend(resources.into_iter().take(3));
    if more > 0 {
        parts.push(format!("and {more} more"));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn text(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

fn with_message(f: &mut fmt::Formatter<'_>, message: Option<&str>) -> fmt::Result {
    match message {
        Some(message) => write!(f, ": {message}"),
        None => Ok(()),
    }
}

fn with_errors(f: &mut fmt::Formatter<'_>, errors: &[String]) -> fmt::Result {
    if errors.is_empty() {
        Ok(())
    } else {
        write!(f, "; {}", errors.join("; "))
    }
}

/// The first 7 characters of a SHA; anything else as it is.
pub fn short(revision: &str) -> &str {
    if revision.len() == 40 && revision.bytes().all(|b| b.is_ascii_hexdigit()) {
        &revision[..7]
    } else {
        revision
    }
}

#[cfg(test)]
#[path = "follow_tests.rs"]
mod tests;

//! [`Application`]: the parts of Argo CD's `Application` (as `GET /api/v1/applications/{name}`
//! answers it) that following a commit reads.
//!
//! Only the fields used are named. Every field may be absent or `null` (Argo CD omits empty
//! fields, and older servers lack newer ones), and every status code a newer Argo CD may add is
//! kept as `Other`, so an answer never fails to decode for what it leaves out.
//!
//! Field names and values are Argo CD's (`pkg/apis/application/v1alpha1/types.go`, and
//! gitops-engine's health and operation codes).

use std::fmt;

use serde::{Deserialize, Deserializer};

/// An Argo CD application: what it is told to deploy, and what its controller observed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Application {
    #[serde(deserialize_with = "nullable")]
    pub metadata: Metadata,
    #[serde(deserialize_with = "nullable")]
    pub spec: Spec,
    /// The operation requested and not finished yet (a sync asked for through the API or by
    /// automated sync). Argo CD clears it when the operation completes.
    pub operation: Option<Operation>,
    #[serde(deserialize_with = "nullable")]
    pub status: Status,
}

impl Application {
    /// The application syncs by itself: `spec.syncPolicy.automated` is set and not disabled
    /// (`enabled: false`, Argo CD 3.1+).
    pub fn automated_sync(&self) -> bool {
        self.spec
            .sync_policy
            .as_ref()
            .and_then(|p| p.automated.as_ref())
            .is_some_and(|a| a.enabled != Some(false))
    }

    /// The revisions Argo CD last compared the live state with: `status.sync.revision`, or
    /// `status.sync.revisions` for a multi-source application (empty ones left out).
    pub fn compared_revisions(&self) -> Vec<&str> {
        revisions(
            self.status.sync.revision.as_deref(),
            &self.status.sync.revisions,
        )
    }

    /// The resources whose health is `health`, as `Kind namespace/name: message`.
    pub fn resources_with(&self, health: &HealthCode) -> Vec<String> {
        self.status
            .resources
            .iter()
            .filter(|r| r.health.as_ref().is_some_and(|h| &h.status == health))
            .map(Resource::describe)
            .collect()
    }

    /// The messages of the error conditions (`ComparisonError`, `InvalidSpecError`,
    /// `SyncError`, ...: every condition whose type ends with `Error`).
    pub fn error_conditions(&self) -> Vec<String> {
        self.status
            .conditions
            .iter()
            .filter(|c| c.kind.ends_with("Error"))
            .map(|c| format!("{}: {}", c.kind, c.message.trim()))
            .collect()
    }
}

/// `metadata`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Metadata {
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    #[serde(deserialize_with = "nullable")]
    pub namespace: String,
}

/// `spec`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Spec {
    /// The project (`default` when empty).
    #[serde(deserialize_with = "nullable")]
    pub project: String,
    pub sync_policy: Option<SyncPolicy>,
}

/// `spec.syncPolicy`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct SyncPolicy {
    pub automated: Option<Automated>,
}

/// `spec.syncPolicy.automated`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Automated {
    /// `false` turns automated sync off while keeping its settings (Argo CD 3.1+).
    pub enabled: Option<bool>,
}

/// `status`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Status {
    #[serde(deserialize_with = "nullable")]
    pub sync: SyncStatus,
    #[serde(deserialize_with = "nullable")]
    pub health: Health,
    /// The last (or current) operation.
    pub operation_state: Option<OperationState>,
    /// When the controller last compared the application (RFC 3339).
    pub reconciled_at: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub conditions: Vec<Condition>,
    #[serde(deserialize_with = "nullable")]
    pub resources: Vec<Resource>,
}

/// `status.sync`: how the live state compares with the revision Argo CD resolved.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct SyncStatus {
    #[serde(deserialize_with = "nullable")]
    pub status: SyncCode,
    /// The commit compared with (single-source applications).
    pub revision: Option<String>,
    /// The commits compared with, one per source (multi-source applications).
    #[serde(deserialize_with = "nullable")]
    pub revisions: Vec<String>,
}

/// `status.health`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Health {
    #[serde(deserialize_with = "nullable")]
    pub status: HealthCode,
    pub message: Option<String>,
}

/// `status.operationState`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OperationState {
    #[serde(deserialize_with = "nullable")]
    pub phase: Phase,
    pub message: Option<String>,
    /// The operation as requested.
    #[serde(deserialize_with = "nullable")]
    pub operation: Operation,
    /// What the sync did, once it did something.
    pub sync_result: Option<SyncResult>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

impl OperationState {
    /// The revisions the operation is about: what it synced (`syncResult`), else what was
    /// requested (`operation.sync`).
    pub fn revisions(&self) -> Vec<&str> {
        if let Some(result) = &self.sync_result {
            let synced = revisions(result.revision.as_deref(), &result.revisions);
            if !synced.is_empty() {
                return synced;
            }
        }
        match &self.operation.sync {
            Some(sync) => revisions(sync.revision.as_deref(), &sync.revisions),
            None => Vec::new(),
        }
    }
}

/// An operation (`operation`, `status.operationState.operation`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Operation {
    pub sync: Option<SyncOperation>,
}

/// `operation.sync`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct SyncOperation {
    /// Empty: the application's target revision.
    pub revision: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub revisions: Vec<String>,
}

/// `status.operationState.syncResult`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct SyncResult {
    pub revision: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub revisions: Vec<String>,
}

/// `status.conditions[]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Condition {
    /// `ComparisonError`, `SyncError`, `OrphanedResourceWarning`, ...
    #[serde(rename = "type", deserialize_with = "nullable")]
    pub kind: String,
    #[serde(deserialize_with = "nullable")]
    pub message: String,
}

/// `status.resources[]`: one managed resource. Argo CD's API fills in `health` even when the
/// controller keeps it in the resource tree (`resourceHealthSource: appTree`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Resource {
    #[serde(deserialize_with = "nullable")]
    pub kind: String,
    #[serde(deserialize_with = "nullable")]
    pub namespace: String,
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    pub health: Option<Health>,
}

impl Resource {
    /// `Deployment shop/api: Deployment "api" exceeded its progress deadline`.
    fn describe(&self) -> String {
        let mut text = self.kind.clone();
        text.push(' ');
        if !self.namespace.is_empty() {
            text.push_str(&self.namespace);
            text.push('/');
        }
        text.push_str(&self.name);
        if let Some(message) = self
            .health
            .as_ref()
            .and_then(|h| h.message.as_deref())
            .map(str::trim)
            .filter(|m| !m.is_empty())
        {
            text.push_str(": ");
            text.push_str(message);
        }
        text
    }
}

fn revisions<'a>(single: Option<&'a str>, many: &'a [String]) -> Vec<&'a str> {
    single
        .into_iter()
        .chain(many.iter().map(String::as_str))
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .collect()
}

/// A code Argo CD sends as a string: the known ones by name, anything else kept.
macro_rules! status_code {
    ($(#[$doc:meta])* $name:ident, default $default:ident, { $($(#[$vdoc:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
        #[serde(from = "Option<String>")]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
            /// A code this version does not know, as sent.
            Other(String),
        }

        impl $name {
            /// The code as Argo CD spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => stringify!($variant),)+
                    $name::Other(other) => other,
                }
            }
        }

        impl Default for $name {
            fn default() -> Self {
                $name::$default
            }
        }

        impl From<Option<String>> for $name {
            fn from(value: Option<String>) -> Self {
                match value.as_deref().map(str::trim) {
                    $(Some(stringify!($variant)) => $name::$variant,)+
                    None | Some("") => $name::$default,
                    Some(other) => $name::Other(other.to_owned()),
                }
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Some(value.to_owned()).into()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

status_code!(
    /// `status.sync.status`.
    SyncCode, default Unknown, {
        /// The live state matches the compared revision.
        Synced,
        /// It does not (yet).
        OutOfSync,
        /// Argo CD could not compare (see the application's conditions).
        Unknown,
    }
);

status_code!(
    /// `status.health.status` (and a resource's).
    HealthCode, default Unknown, {
        Healthy,
        /// Not healthy yet, still may be (a rollout in progress).
        Progressing,
        /// Failed, or cannot become healthy (a Deployment past its progress deadline).
        Degraded,
        /// Paused (a suspended CronJob, a paused rollout).
        Suspended,
        /// Not in the cluster (yet).
        Missing,
        Unknown,
    }
);

status_code!(
    /// `status.operationState.phase`. Argo CD keeps a failed operation that it will retry
    /// `Running` (with "Retrying attempt #n" in its message), so `Failed` and `Error` are final.
    Phase, default Running, {
        Running,
        Terminating,
        Failed,
        Error,
        Succeeded,
    }
);

impl Phase {
    /// The operation is still going (`Running`, `Terminating`).
    pub fn in_progress(&self) -> bool {
        matches!(self, Phase::Running | Phase::Terminating)
    }

    /// The operation ended without doing what it was asked (`Failed`, `Error`).
    pub fn failed(&self) -> bool {
        matches!(self, Phase::Failed | Phase::Error)
    }
}

/// `null` reads as the default, as an absent field does.
fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

//! Argo CD's application API: read an application's sync and health until it runs a commit.
//!
//! After gitops-update pushes a commit to the GitOps repository, Argo CD deploys it: it notices
//! the new commit (on a refresh, a webhook, or its periodic reconciliation, every 3 minutes by
//! default), compares the live state with it (`OutOfSync`), syncs it (automated sync, or a sync
//! asked through the API), and the application's health goes `Progressing` while the workloads
//! roll out, then `Healthy`, or `Degraded` (a Deployment past its progress deadline, say).
//!
//! - [`Application`]: what is read of an application, tolerant of absent fields.
//! - [`ArgoCd`]: the two calls made (read an application, ask for a sync), implemented by
//!   [`Client`] over Argo CD's REST API, and by fakes in tests.
//! - [`follow::decide`]: the pure decision. Given an application, the commit and whether a
//!   revision contains the commit, is it [`Decision::Healthy`], [`Decision::Failed`], or still
//!   [`Decision::Waiting`] (and for what)?
//! - [`wait::wait_healthy`]: polls until healthy, failed, timed out or stopped; asks for a
//!   sync when the application has no automated sync and the caller wants one; logs a line
//!   only when the state changes.
//!
//! ```no_run
//! use std::time::Duration;
//! use gantry_toolkit::Stop;
//! use gitops_update::argocd::{Client, ClientOptions, Outcome, WaitOptions, wait_healthy};
//!
//! # async fn example(commit: &str) -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::new(ClientOptions::new("https://argocd.example.com", "token"))?;
//! let options = WaitOptions { timeout: Duration::from_secs(300), ..WaitOptions::default() };
//! let stop = Stop::after(Duration::from_secs(600));
//! // Whether a revision Argo CD reports contains the commit: the caller asks git
//! // (`git merge-base --is-ancestor <commit> <revision>`).
//! let mut contains = |revision: &str| revision == commit;
//! let mut log = |line: &str| eprintln!("{line}");
//! match wait_healthy(&client, "api", commit, &options, &stop, &mut contains, &mut log).await? {
//!     Outcome::Healthy { revision, .. } => eprintln!("running {revision}"),
//!     other => eprintln!("revert: {}", other.failure().unwrap_or_default()),
//! }
//! # Ok(())
//! # }
//! ```

pub mod app;
pub mod client;
pub mod error;
pub mod follow;
pub mod wait;

use std::future::Future;

pub use app::{Application, HealthCode, Phase, SyncCode};
pub use client::{Client, ClientOptions, RetryPolicy};
pub use error::{Action, AppRef, ArgoCdError};
pub use follow::{Decision, Failure, Waiting, decide};
pub use wait::{Outcome, Seen, WaitOptions, wait_healthy};

/// `refresh=` of a read: have Argo CD look at the repository again before answering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresh {
    /// Compare with the branch's latest commit, using the manifest cache.
    Normal,
    /// As `Normal`, and regenerate the manifests (drop the caches).
    Hard,
}

impl Refresh {
    /// The query value.
    pub fn as_str(self) -> &'static str {
        match self {
            Refresh::Normal => "normal",
            Refresh::Hard => "hard",
        }
    }
}

/// The calls gitops-update makes to Argo CD.
pub trait ArgoCd {
    /// The application `name` (in the namespace and project the implementation was set up
    /// with), after a refresh when `refresh` is given.
    fn application(
        &self,
        name: &str,
        refresh: Option<Refresh>,
    ) -> impl Future<Output = Result<Application, ArgoCdError>> + Send;

    /// Asks Argo CD to sync `name` to `revision` (`None`: the application's own target
    /// revision, the branch it tracks). Returns once the operation is recorded.
    fn sync(
        &self,
        name: &str,
        revision: Option<&str>,
    ) -> impl Future<Output = Result<(), ArgoCdError>> + Send;
}

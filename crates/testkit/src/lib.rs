//! Test support for gantry's tools, used as a dev-dependency by every crate.
//!
//! * [`Services`]: finds the real local services and tools started by
//!   `scripts/services start` and installed by `scripts/setup`, checks that
//!   they answer, and **panics with a message that says how to start them**
//!   when they don't. A test that needs a service never skips silently.
//! * [`GitRepo`]: a throwaway git repository with a fixed identity and
//!   deterministic dates, so commit SHAs are reproducible.
//! * [`Act`] / [`run_act`]: run a workflow with nektos/act on the host
//!   (`-P ubuntu-latest=-self-hosted`), offline, and read job results and step
//!   outputs from its JSON log.
//! * [`http::FakeHttp`]: an HTTP server on loopback that answers with a test's handler and
//!   records every request, for the web services no local real part can play.
//! * [`ecs_driver::EcsDriver`]: moto in-process behind `scripts/ecs-driver.py`, a stand-in for
//!   AWS's ECS rollout engine (moto's deployments never progress): scenarios per service
//!   (healthy, slow, failing, ECS rollback, stuck pending), one-off task exit codes,
//!   throttling, and a log of every call. One per test process.
//! * [`prometheus::Prometheus`]: a real Prometheus server started for one test, scraping a
//!   [`prometheus::Target`] whose counters the test advances.
//!
//! ```no_run
//! use gantry_testkit::{GitRepo, Services};
//!
//! let services = Services::get();
//! let endpoint = services.moto_url(); // panics with "start it with 'scripts/services start'" when down
//! let repo = GitRepo::new();
//! repo.write("README.md", "hello\n");
//! let sha = repo.commit("feat: first");
//! # let _ = (endpoint, sha);
//! ```

// Panicking with a clear message is this crate's purpose: a test that needs a
// service or a tool that is missing must fail loudly, never pass or skip. The
// workspace denies panic/expect outside tests; here they are the API.
#![allow(clippy::panic, clippy::expect_used)]

mod act;
pub mod action_contract;
pub mod argocd;
pub mod docker_build;
pub mod ecs_driver;
pub mod fault_proxy;
mod git;
pub mod github_releases;
pub mod http;
mod probe;
pub mod prometheus;
pub mod redact;
mod services;
mod tool_job;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub use act::{Act, ActRun, StepOutput, run_act};
pub use git::GitRepo;
pub use github_releases::{Delivery, ReleasesStandIn};
pub use services::Services;
pub use tool_job::ToolJob;

/// How a test asks a person to start the services.
pub const START_SERVICES: &str =
    "start it with 'scripts/services start' (or run the full suite with scripts/test)";

/// How a test asks a person to install the tools.
pub const RUN_SETUP: &str = "run scripts/setup";

/// The workspace root: the nearest directory, walking up from the crate under
/// test (`CARGO_MANIFEST_DIR` at run time, else this crate's own), whose
/// `Cargo.toml` has a `[workspace]` table.
pub fn workspace_root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let start = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
        find_workspace_root(&start).unwrap_or_else(|| {
            panic!(
                "no Cargo.toml with a [workspace] table in {} or any parent directory",
                start.display()
            )
        })
    })
}

fn find_workspace_root(start: &Path) -> Option<PathBuf> {
    start.ancestors().find_map(|dir| {
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).ok()?;
        manifest
            .lines()
            .any(|l| l.trim() == "[workspace]")
            .then(|| dir.to_path_buf())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_root_has_the_workspace_manifest() {
        let root = workspace_root();
        let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
        assert!(manifest.contains("[workspace]"));
        assert!(root.join("crates/testkit").is_dir());
    }

    #[test]
    fn workspace_root_is_found_from_a_nested_directory() {
        let nested = workspace_root().join("crates/testkit/src");
        assert_eq!(
            find_workspace_root(&nested).as_deref(),
            Some(workspace_root())
        );
        assert_eq!(find_workspace_root(Path::new("/")), None);
    }
}

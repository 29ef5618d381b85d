//! semantic-version: the next version of a repository (or of each package of a monorepo) from
//! its Conventional Commits, with release notes, tags and a GitHub release.
//!
//! Layers: inputs → `config`; pure decisions in [`conventional`], [`rules`], [`analyze`],
//! [`version`], [`tag_format`], [`notes`]; effects in [`git`] and [`github`]; [`gantry_toolkit::Stop`] is the run's deadline and cancellation.

pub mod analyze;
pub mod commit;
pub mod config;
pub mod conventional;
pub mod git;
pub mod github;
pub mod maintenance;
pub mod notes;
pub mod outputs;
pub mod propose;
pub mod release;
pub mod release_files;
pub mod release_plan;
pub mod release_pr;
pub mod report;
pub mod rules;
pub mod run;
pub mod tag_format;
pub mod version;
pub mod version_files;

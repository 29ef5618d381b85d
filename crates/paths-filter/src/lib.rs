//! paths-filter: which filters (services) of a monorepo have changed files.
//!
//! Layers: inputs → [`config`]; pure decisions in [`filter`], [`matching`], [`base`],
//! [`list_format`]; effects in [`git`] and [`github`].

pub mod base;
pub mod change;
pub mod config;
mod fast_hash;
pub mod filter;
pub mod git;
pub mod github;
pub mod list_format;
pub mod matching;
pub mod outputs;
pub mod run;

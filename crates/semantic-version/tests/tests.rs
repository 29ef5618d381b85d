//! The integration tests of semantic-version.
//! One test binary for the crate: one link of it and its dependencies, and one place to
//! see every test module (`cargo test -p <crate> --test tests <module>::` runs one).
// Test code: a panic is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod action_e2e;
mod analyzer;
mod binary;
mod git_repos;
mod github_api;
mod notes;
mod release_pr;
mod versions;

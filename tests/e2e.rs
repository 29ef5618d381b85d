//! The workspace-level tests: actions, workflows in act, the binary bootstrap, the release.
//! One test binary for the crate: one link of it and its dependencies, and one place to
//! see every test module (`cargo test -p gantry-e2e --test e2e <module>::` runs one).
// Test code: a panic is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod act_smoke;
mod action_contract;
mod bootstrap;
mod gitops_pipeline;
mod pipelines;
mod release;
mod source;

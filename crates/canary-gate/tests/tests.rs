//! The integration tests of canary-gate.
//! One test binary for the crate: one link of it and its dependencies, and one place to
//! see every test module (`cargo test -p <crate> --test tests <module>::` runs one).
// Test code: a panic is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

mod action_e2e;
mod binary;
mod ecs;
mod ecs_native;
mod metrics;
mod probe;
mod sources;
mod traffic;
mod webhooks;

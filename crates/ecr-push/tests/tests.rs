//! The integration tests of ecr-push.
//! One test binary for the crate: one link of it and its dependencies, and one place to
//! see every test module (`cargo test -p <crate> --test tests <module>::` runs one).
// Test code: a panic is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

mod action_e2e;
mod build;
mod build_secrets;
mod cancel;
mod copy;
mod faults;
mod inputs;
mod promote;
mod push;
mod registry;
mod repository;
mod scan_gate;

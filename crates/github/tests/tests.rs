//! The integration tests of gantry-github.
//! One test binary for the crate (`cargo test -p gantry-github --test tests <module>::` runs one).
// Test code: a panic is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod client;
mod pulls;

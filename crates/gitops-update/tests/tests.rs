//! gitops-update's integration tests, one binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod argocd;
mod binary;
mod corpus;
mod follow;
mod pull_request;

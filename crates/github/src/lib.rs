//! The GitHub REST API as gantry's tools call it: one [`Client`] on one HTTP stack (ureq,
//! synchronous and small: paths-filter's binary must stay under 5 MB), with one retry policy
//! ([`retry`]) and the texts every tool shows the same way ([`text`]).
//!
//! The client knows HTTP, GitHub's headers, rate limits and retries; it does not know what a
//! tool asks for. Each tool keeps its own calls (pull request files, tags, releases), because
//! what to tell a user on a 403 depends on what the tool was doing. What several tools ask for
//! the same way lives here: [`GitHubClient`] runs the client's calls on tokio's blocking pool
//! for async tools and turns every failed answer into a [`GitHubError`] that says what to
//! change, and [`pulls`] opens, updates and labels the pull requests a tool proposes.
//!
//! Why ureq and not octocrab: the tools need a dozen routes, not octocrab's typed surface,
//! and octocrab brings hyper, tower and an async runtime into a binary that has none. The
//! responses are read with serde structs that name only the fields a tool uses.

pub mod calls;
pub mod client;
pub mod error;
pub mod pulls;
pub mod repository;
pub mod retry;
pub mod text;

pub use calls::{CONTENTS_READ, CONTENTS_WRITE, GitHubClient};
pub use client::{API_VERSION, Client, ClientOptions, DEFAULT_API_URL, Method, Reply, Transport};
pub use error::{GitHubError, SetupError};
pub use pulls::{Label, PULL_REQUESTS_WRITE, PullRef, PullRequest, Pulls};
pub use repository::Repository;
pub use retry::{RateHints, RetryDecision, RetryPolicy, is_rate_limited, retry_decision};

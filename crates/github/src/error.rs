//! Why a client cannot be set up.

/// The client cannot be set up from what it was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    /// `GITHUB_REPOSITORY` is not `owner/name`.
    #[error("the repository {value:?} is not `owner/name`: check GITHUB_REPOSITORY")]
    InvalidRepository {
        /// The value.
        value: String,
    },
    /// `GITHUB_API_URL` cannot be used.
    #[error("the GitHub API URL {value:?} is not usable: {reason}; check GITHUB_API_URL")]
    InvalidApiUrl {
        /// The value.
        value: String,
        /// Why.
        reason: String,
    },
    /// The token cannot be sent in a header.
    #[error(
        "the GitHub token is empty or contains spaces, line breaks or other characters a token never has: check the `token` input"
    )]
    InvalidToken,
    /// The proxy URL is not valid.
    #[error("the proxy {value:?} is not a valid URL: {reason}")]
    InvalidProxy {
        /// The value, its credentials hidden.
        value: String,
        /// Why.
        reason: String,
    },
}

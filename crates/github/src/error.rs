//! Why a client cannot be set up ([`SetupError`]), and how a call fails ([`GitHubError`]), in
//! words that say what to change.

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

/// A GitHub operation failed.
#[derive(Debug, thiserror::Error)]
pub enum GitHubError {
    /// The client cannot be set up (repository, API URL, token or proxy).
    #[error(transparent)]
    Setup(#[from] SetupError),
    /// 401.
    #[error(
        "GitHub refused the token (401 {message}) when asked to {action}: it is missing, expired or revoked; pass `${{{{ github.token }}}}` or a valid token in the `token` input"
    )]
    Unauthorized {
        /// What was being done.
        action: String,
        /// GitHub's message.
        message: String,
    },
    /// 403 that is not a rate limit.
    #[error("GitHub denied the request to {action} (403 {message}): {hint}")]
    Forbidden {
        /// What was being done.
        action: String,
        /// GitHub's message.
        message: String,
        /// The permission needed (`contents: write`), or what else to change.
        hint: String,
    },
    /// 404.
    #[error(
        "GitHub answered 404 ({message}) when asked to {action}: check that the repository {repository} exists and that the token can see it (a private repository looks missing to a token without access)"
    )]
    NotFound {
        /// What was being done.
        action: String,
        /// GitHub's message.
        message: String,
        /// `owner/name`.
        repository: String,
    },
    /// 422.
    #[error("GitHub refused to {action} (422 {message})")]
    Unprocessable {
        /// What was being done.
        action: String,
        /// GitHub's message and its errors.
        message: String,
    },
    /// Rate limited, and waiting longer than allowed.
    #[error(
        "GitHub's rate limit stopped the request to {action} after {attempts} attempt(s) ({status} {message}){reset}"
    )]
    RateLimited {
        /// What was being done.
        action: String,
        /// 403 or 429.
        status: u16,
        /// GitHub's message.
        message: String,
        /// Tries made.
        attempts: u32,
        /// `; it resets at … ` or empty.
        reset: String,
    },
    /// Any other answer (5xx after the retries, 4xx not listed above).
    #[error(
        "GitHub answered {status} ({message}) when asked to {action}, after {attempts} attempt(s)"
    )]
    Status {
        /// What was being done.
        action: String,
        /// The HTTP status.
        status: u16,
        /// GitHub's message.
        message: String,
        /// Tries made.
        attempts: u32,
    },
    /// No answer at all.
    #[error("cannot reach GitHub to {action} after {attempts} attempt(s): {message}")]
    Transport {
        /// What was being done.
        action: String,
        /// The underlying error.
        message: String,
        /// Tries made.
        attempts: u32,
    },
    /// An answer that could not be read.
    #[error("unexpected answer from GitHub when asked to {action}: {message}")]
    Decode {
        /// What was being done.
        action: String,
        /// What was wrong.
        message: String,
    },
    /// A pull request from the branch into the base is already open (422 on create).
    #[error(
        "GitHub refused to open a pull request from {head} into {base}: one is already open (422 {message}); update that pull request instead of opening another, or close it and run again"
    )]
    PullExists {
        /// Its head branch.
        head: String,
        /// Its base branch.
        base: String,
        /// GitHub's message.
        message: String,
    },
    /// The release tag exists at another commit.
    #[error(
        "tag {tag} already exists on GitHub at commit {existing}, not at {wanted}: a release tag is never moved; delete the tag if it is wrong, or release from the commit it marks"
    )]
    TagConflict {
        /// The tag.
        tag: String,
        /// The commit it marks.
        existing: String,
        /// The commit it was meant to mark.
        wanted: String,
    },
}

impl GitHubError {
    /// The HTTP status of an answer GitHub gave, when it was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            GitHubError::Unauthorized { .. } => Some(401),
            GitHubError::Forbidden { .. } => Some(403),
            GitHubError::NotFound { .. } => Some(404),
            GitHubError::Unprocessable { .. } | GitHubError::PullExists { .. } => Some(422),
            GitHubError::RateLimited { status, .. } | GitHubError::Status { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }
}

//! A commit as read from git: the one type shared by the git reader and the analyzers.

/// One commit of the range being released, oldest first in a range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    /// Full SHA.
    pub sha: String,
    /// Parent SHAs; two or more for a merge commit.
    pub parents: Vec<String>,
    /// The first line of the message.
    pub subject: String,
    /// The rest of the message after the first line (may be empty), without the blank line.
    pub body: String,
    pub author_name: String,
    /// Commit time, seconds since the epoch (for notes and ordering, never for decisions).
    pub timestamp: i64,
}

impl Commit {
    /// The whole message, as git stores it: subject, a blank line, the body.
    pub fn message(&self) -> String {
        if self.body.is_empty() {
            self.subject.clone()
        } else {
            format!("{}\n\n{}", self.subject, self.body)
        }
    }

    pub fn is_merge(&self) -> bool {
        self.parents.len() > 1
    }

    pub fn short_sha(&self) -> &str {
        self.sha.get(..7).unwrap_or(&self.sha)
    }
}

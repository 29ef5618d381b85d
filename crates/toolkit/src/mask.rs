//! Secret masking.
//!
//! The runner hides a value in the log once it has seen `::add-mask::value`. We print that
//! command, and we also replace the value ourselves in everything we print afterwards: if the
//! command is lost (printed to a stream the runner does not parse, or by nektos/act which masks
//! less), the secret still never reaches the log through this crate.

use crate::command::escape_data;

/// What a masked value is replaced with (the same as the runner).
pub const MASK: &str = "***";

/// The set of secrets registered so far.
#[derive(Debug, Clone, Default)]
pub struct Masker {
    /// Kept sorted longest first, so that a secret containing another secret is replaced whole.
    secrets: Vec<String>,
}

impl Masker {
    /// An empty masker.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Register a secret and return the `::add-mask::` lines to print, one per non-blank line
    /// of the secret.
    ///
    /// The runner masks line by line: a multi-line secret (a PEM key) registered as one value
    /// would leave its lines visible when printed one at a time. Lines are trimmed of `\r` so
    /// that a CRLF secret masks the same text as an LF one. Blank lines are skipped: masking
    /// whitespace would make the whole log unreadable and protects nothing.
    pub fn add(&mut self, secret: &str) -> Vec<String> {
        let mut commands = Vec::new();
        for line in secret.split('\n') {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() {
                continue;
            }
            commands.push(format!("::add-mask::{}", escape_data(line)));
            if !self.secrets.iter().any(|s| s == line) {
                self.secrets.push(line.to_owned());
            }
        }
        self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        commands
    }

    /// `text` with every registered secret replaced by [`MASK`].
    #[must_use]
    pub fn mask(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), MASK);
            }
        }
        out
    }

    /// True when no secret has been registered.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_returns_one_command_per_line() {
        let mut m = Masker::new();
        let cmds = m.add("line1\r\nline2%\n\n  \nline3");
        assert_eq!(
            cmds,
            vec![
                "::add-mask::line1",
                "::add-mask::line2%25",
                "::add-mask::line3"
            ]
        );
        assert_eq!(m.mask("a line1 b line2% c line3"), "a *** b *** c ***");
    }

    #[test]
    fn empty_secret_adds_nothing() {
        let mut m = Masker::new();
        assert!(m.add("").is_empty());
        assert!(m.add(" \r\n").is_empty());
        assert!(m.is_empty());
        assert_eq!(m.mask("text"), "text");
    }

    #[test]
    fn longer_secret_wins_over_its_prefix() {
        let mut m = Masker::new();
        m.add("abc");
        m.add("abcdef");
        assert_eq!(m.mask("xabcdefx abc"), "x***x ***");
    }
}

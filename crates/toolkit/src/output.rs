//! Where step outputs go.

use crate::env::Env;
use crate::file_command::FileCommandError;

/// How [`Runner::set_output`](crate::Runner::set_output) delivers outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputMode {
    /// Append to the file in `GITHUB_OUTPUT` (inside a runner). Logs and workflow commands go
    /// to stdout, like @actions/core.
    File,
    /// Print `name=value` lines on stdout (the heredoc form for values with line breaks, so
    /// [`parse_file_command`](crate::parse_file_command) reads them back). Logs go to stderr so
    /// stdout stays parseable.
    Plain,
    /// Collect outputs and print one JSON object on stdout at
    /// [`Runner::finish`](crate::Runner::finish) (a tool's `--json` flag). Logs go to stderr.
    Json,
}

impl OutputMode {
    /// [`OutputMode::File`] when `GITHUB_OUTPUT` is set, else [`OutputMode::Plain`].
    #[must_use]
    pub fn detect(env: &Env) -> Self {
        if env.get_non_empty("GITHUB_OUTPUT").is_some() {
            Self::File
        } else {
            Self::Plain
        }
    }

    /// [`OutputMode::Json`] when `json` (the tool's `--json` flag), else [`OutputMode::detect`].
    #[must_use]
    pub fn detect_with_json(env: &Env, json: bool) -> Self {
        if json { Self::Json } else { Self::detect(env) }
    }
}

/// An output that cannot be delivered.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// Invalid name or value, or the output file cannot be written.
    #[error(transparent)]
    File(#[from] FileCommandError),
    /// Printing to stdout failed (plain and JSON modes).
    #[error(
        "cannot print output '{name}' to stdout: {source}; check that stdout is open (a closed pipe?)"
    )]
    Write {
        /// The output, or `*` for the JSON object.
        name: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A structured output cannot be turned into JSON.
    #[error(
        "cannot serialize output '{name}' as JSON: {source}; this is a bug in the tool, please report it"
    )]
    Serialize {
        /// The output.
        name: String,
        /// The underlying error.
        source: serde_json::Error,
    },
    /// JSON mode printed its object already.
    #[error(
        "output '{name}' was set after the JSON outputs were printed; this is a bug in the tool, set every output before finish()"
    )]
    AfterFinish {
        /// The output.
        name: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detect() {
        assert_eq!(OutputMode::detect(&Env::new()), OutputMode::Plain);
        assert_eq!(
            OutputMode::detect(&Env::new().with("GITHUB_OUTPUT", "")),
            OutputMode::Plain
        );
        let runner = Env::new().with("GITHUB_OUTPUT", "/tmp/out");
        assert_eq!(OutputMode::detect(&runner), OutputMode::File);
        assert_eq!(
            OutputMode::detect_with_json(&runner, true),
            OutputMode::Json
        );
        assert_eq!(
            OutputMode::detect_with_json(&runner, false),
            OutputMode::File
        );
    }
}

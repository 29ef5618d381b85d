//! File commands: outputs, exported variables, state and PATH entries, appended to the files the
//! runner names in `GITHUB_OUTPUT`, `GITHUB_ENV`, `GITHUB_STATE` and `GITHUB_PATH`.
//!
//! Values use the heredoc form `name<<DELIM\nvalue\nDELIM\n` with a fresh random delimiter for
//! every value: a value that could guess the delimiter could end itself early and append
//! arbitrary outputs or variables (`LD_PRELOAD`, `NODE_OPTIONS`). That is why `::set-output` is
//! gone (CVE-2020-15228), and why a name or value that contains the delimiter is refused rather
//! than written.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Every delimiter starts with this, like @actions/core's.
pub const DELIMITER_PREFIX: &str = "ghadelimiter_";

/// Which file command a value is written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileCommand {
    /// Step outputs (`GITHUB_OUTPUT`).
    Output,
    /// Variables for later steps of the job (`GITHUB_ENV`).
    Env,
    /// State for this action's `post:` step (`GITHUB_STATE`).
    State,
    /// Directories prepended to `PATH` for later steps (`GITHUB_PATH`).
    Path,
}

impl FileCommand {
    /// The variable holding the file's path.
    #[must_use]
    pub fn env_var(self) -> &'static str {
        match self {
            Self::Output => "GITHUB_OUTPUT",
            Self::Env => "GITHUB_ENV",
            Self::State => "GITHUB_STATE",
            Self::Path => "GITHUB_PATH",
        }
    }

    /// What one entry is called in messages.
    #[must_use]
    pub fn what(self) -> &'static str {
        match self {
            Self::Output => "output",
            Self::Env => "environment variable",
            Self::State => "state",
            Self::Path => "path",
        }
    }
}

/// A value that cannot be written, or a file that cannot be appended to.
#[derive(Debug, thiserror::Error)]
pub enum FileCommandError {
    /// Empty names cannot be read back.
    #[error("cannot write an {} with an empty name to {}: give it a name", .command.what(), .command.env_var())]
    EmptyName {
        /// Where it was going.
        command: FileCommand,
    },
    /// A name that would be parsed as something else (line breaks, `=`, `<<`).
    #[error("cannot write {} '{}' to {}: the name contains {reason}; use a name made of letters, digits, '-' and '_'", .command.what(), .name.escape_debug(), .command.env_var())]
    InvalidName {
        /// Where it was going.
        command: FileCommand,
        /// The rejected name.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The name contains the delimiter.
    #[error("cannot write {} '{name}' to {}: the name contains the delimiter '{delimiter}'; use a different name", .command.what(), .command.env_var())]
    DelimiterInName {
        /// Where it was going.
        command: FileCommand,
        /// The rejected name.
        name: String,
        /// The delimiter it collided with.
        delimiter: String,
    },
    /// The value contains the delimiter.
    #[error(
        "cannot write {} '{name}' to {}: its value contains the delimiter '{delimiter}' chosen to end it, \
         which only happens when a value was crafted to inject more lines; check where the value comes from",
        .command.what(), .command.env_var()
    )]
    DelimiterInValue {
        /// Where it was going.
        command: FileCommand,
        /// The name of the value.
        name: String,
        /// The delimiter it collided with.
        delimiter: String,
    },
    /// A `GITHUB_PATH` entry must be one line.
    #[error("cannot add '{}' to GITHUB_PATH: the path contains a line break; use a directory path without line breaks", .path.escape_debug())]
    PathContainsNewline {
        /// The rejected path.
        path: String,
    },
    /// The file's variable is not set but a file was required.
    #[error("{} is not set, so {} '{name}' cannot be written: run inside a GitHub Actions job, or set {} to a file path", .command.env_var(), .command.what(), .command.env_var())]
    NotConfigured {
        /// Which file was needed.
        command: FileCommand,
        /// The name of the value.
        name: String,
    },
    /// Appending failed.
    #[error("cannot append to {} ({}): {source}; check that the file exists and is writable", .path.display(), .command.env_var())]
    Io {
        /// Which file.
        command: FileCommand,
        /// Its path.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The operating system's random source failed.
    #[error(
        "cannot generate a random delimiter: {source}; the system random number source is unavailable"
    )]
    Random {
        /// The underlying error.
        source: getrandom::Error,
    },
}

/// `bytes` random bytes as lower-case hex.
///
/// # Errors
/// When the operating system's random source fails.
pub fn random_hex(bytes: usize) -> Result<String, getrandom::Error> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf)?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// A fresh delimiter: `ghadelimiter_` + 16 random bytes in hex.
///
/// # Errors
/// When the operating system's random source fails.
pub fn random_delimiter() -> Result<String, getrandom::Error> {
    Ok(format!("{DELIMITER_PREFIX}{}", random_hex(16)?))
}

/// Check `name` for use in `command`.
///
/// # Errors
/// When the name is empty or contains a line break, `=` or `<<`.
pub fn validate_name(command: FileCommand, name: &str) -> Result<(), FileCommandError> {
    let reason = if name.is_empty() {
        return Err(FileCommandError::EmptyName { command });
    } else if name.contains(['\n', '\r']) {
        "a line break"
    } else if name.contains('=') {
        "'='"
    } else if name.contains("<<") {
        "'<<'"
    } else {
        return Ok(());
    };
    Err(FileCommandError::InvalidName {
        command,
        name: name.to_owned(),
        reason,
    })
}

/// The heredoc entry for `name` = `value`, ending in a newline.
///
/// # Errors
/// When the name is invalid, or the name or value contains `delimiter`.
pub fn format_key_value(
    command: FileCommand,
    name: &str,
    value: &str,
    delimiter: &str,
) -> Result<String, FileCommandError> {
    validate_name(command, name)?;
    if name.contains(delimiter) {
        return Err(FileCommandError::DelimiterInName {
            command,
            name: name.to_owned(),
            delimiter: delimiter.to_owned(),
        });
    }
    // The random tail first: std looks for a needle of up to 32 bytes many bytes at a time,
    // for a longer one byte by byte, which shows on values of megabytes.
    let tail = delimiter
        .get(delimiter.len().saturating_sub(32)..)
        .unwrap_or(delimiter);
    if value.contains(tail) && value.contains(delimiter) {
        return Err(FileCommandError::DelimiterInValue {
            command,
            name: name.to_owned(),
            delimiter: delimiter.to_owned(),
        });
    }
    Ok(format!("{name}<<{delimiter}\n{value}\n{delimiter}\n"))
}

/// Append a heredoc entry to the file at `path`.
///
/// # Errors
/// See [`format_key_value`]; also when the file cannot be appended to.
pub fn append_key_value(
    command: FileCommand,
    path: &Path,
    name: &str,
    value: &str,
    delimiter: &str,
) -> Result<(), FileCommandError> {
    let entry = format_key_value(command, name, value, delimiter)?;
    append(command, path, &entry)
}

/// Append one directory to the `GITHUB_PATH` file at `path`.
///
/// # Errors
/// When `dir` contains a line break, or the file cannot be appended to.
pub fn append_path(path: &Path, dir: &str) -> Result<(), FileCommandError> {
    if dir.contains(['\n', '\r']) {
        return Err(FileCommandError::PathContainsNewline {
            path: dir.to_owned(),
        });
    }
    append(FileCommand::Path, path, &format!("{dir}\n"))
}

/// Append `content` with one write, so that entries written concurrently (by us or a child
/// process) are not interleaved. The file is created if missing, which keeps local runs with a
/// fresh `GITHUB_OUTPUT=out.txt` simple.
pub(crate) fn append(
    command: FileCommand,
    path: &Path,
    content: &str,
) -> Result<(), FileCommandError> {
    let io = |source| FileCommandError::Io {
        command,
        path: path.to_owned(),
        source,
    };
    let mut file = OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(io)?;
    file.write_all(content.as_bytes()).map_err(io)
}

/// A file command file that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid file command at line {line}: {reason}")]
pub struct FileCommandParseError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// Parse the contents of a `GITHUB_OUTPUT`/`GITHUB_ENV`/`GITHUB_STATE` file (or of a tool's
/// stdout in plain output mode) into `(name, value)` pairs, in order, duplicates kept.
///
/// It follows the runner (Linux): lines split on `\n` only (so a `\r` in a value survives),
/// blank lines between entries are skipped, `name=value` when `=` comes before any `<<`,
/// otherwise `name<<DELIM` followed by value lines up to a line equal to `DELIM`.
///
/// # Errors
/// When a line is neither form, a name or delimiter is empty, or a delimiter is never closed.
pub fn parse_file_command(text: &str) -> Result<Vec<(String, String)>, FileCommandParseError> {
    let mut entries = Vec::new();
    let mut lines = text.split('\n').enumerate().map(|(i, l)| (i + 1, l));
    while let Some((number, line)) = lines.next() {
        if line.is_empty() {
            continue;
        }
        let err = |reason: String| FileCommandParseError {
            line: number,
            reason,
        };
        let equals = line.find('=');
        let heredoc = line.find("<<");
        match (equals, heredoc) {
            (Some(eq), h) if h.is_none_or(|h| eq < h) => {
                let (name, value) = (&line[..eq], &line[eq + 1..]);
                if name.is_empty() {
                    return Err(err(format!("empty name in '{line}'")));
                }
                entries.push((name.to_owned(), value.to_owned()));
            }
            (_, Some(h)) => {
                let (name, delimiter) = (&line[..h], &line[h + 2..]);
                if name.is_empty() {
                    return Err(err(format!("empty name in '{line}'")));
                }
                if delimiter.is_empty() {
                    return Err(err(format!("empty delimiter in '{line}'")));
                }
                let mut value: Vec<&str> = Vec::new();
                loop {
                    match lines.next() {
                        Some((_, l)) if l == delimiter => break,
                        Some((_, l)) => value.push(l),
                        None => {
                            return Err(err(format!(
                                "no line '{delimiter}' closes the value of '{name}'"
                            )));
                        }
                    }
                }
                entries.push((name.to_owned(), value.join("\n")));
            }
            _ => {
                return Err(err(format!(
                    "expected 'name=value' or 'name<<DELIMITER', found '{line}'"
                )));
            }
        }
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiter_shape() {
        let d = random_delimiter().unwrap();
        let hex = d.strip_prefix(DELIMITER_PREFIX).unwrap();
        assert_eq!(hex.len(), 32);
        assert!(
            hex.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(d, random_delimiter().unwrap());
    }

    #[test]
    fn format_exact() {
        assert_eq!(
            format_key_value(FileCommand::Output, "a", "x\ny", "D").unwrap(),
            "a<<D\nx\ny\nD\n"
        );
    }

    #[test]
    fn rejects_bad_names() {
        let f = |name: &str| format_key_value(FileCommand::Env, name, "v", "D");
        assert!(matches!(f(""), Err(FileCommandError::EmptyName { .. })));
        for name in ["a\nb", "a\rb", "a=b", "a<<b"] {
            assert!(
                matches!(f(name), Err(FileCommandError::InvalidName { .. })),
                "{name:?}"
            );
        }
        assert!(matches!(
            f("xDx"),
            Err(FileCommandError::DelimiterInName { .. })
        ));
        let err = format_key_value(FileCommand::Output, "n", "aDb", "D").unwrap_err();
        assert!(matches!(err, FileCommandError::DelimiterInValue { .. }));
        assert!(err.to_string().contains("output 'n'"));
        assert!(err.to_string().contains("GITHUB_OUTPUT"));
    }

    #[test]
    fn parse_both_forms() {
        let text = "a=1\n\nb<<EOF\nline1\n\nline3\nEOF\nc=x=y<<z\nd<<E\nE\n";
        assert_eq!(
            parse_file_command(text).unwrap(),
            vec![
                ("a".to_owned(), "1".to_owned()),
                ("b".to_owned(), "line1\n\nline3".to_owned()),
                ("c".to_owned(), "x=y<<z".to_owned()),
                ("d".to_owned(), String::new()),
            ]
        );
    }

    #[test]
    fn parse_keeps_carriage_returns() {
        assert_eq!(
            parse_file_command("a<<D\nx\r\ny\r\nD\n").unwrap(),
            vec![("a".to_owned(), "x\r\ny\r".to_owned())]
        );
    }

    #[test]
    fn parse_errors() {
        assert_eq!(
            parse_file_command("ok=1\nb<<EOF\nvalue\n").unwrap_err(),
            FileCommandParseError {
                line: 2,
                reason: "no line 'EOF' closes the value of 'b'".into()
            }
        );
        assert!(parse_file_command("=x").is_err());
        assert!(parse_file_command("<<D\nD").is_err());
        assert!(parse_file_command("a<<\n").is_err());
        assert!(parse_file_command("garbage").is_err());
    }

    #[test]
    fn path_rejects_newline() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("path");
        assert!(matches!(
            append_path(&file, "/a\n/b"),
            Err(FileCommandError::PathContainsNewline { .. })
        ));
        append_path(&file, "/opt/bin").unwrap();
        append_path(&file, "/opt/other bin").unwrap();
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            "/opt/bin\n/opt/other bin\n"
        );
    }

    #[test]
    fn io_error_names_file_and_variable() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no/such/dir/out");
        let err = append_key_value(FileCommand::Output, &missing, "a", "b", "D").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("GITHUB_OUTPUT"), "{msg}");
        assert!(msg.contains("no/such/dir/out"), "{msg}");
    }
}

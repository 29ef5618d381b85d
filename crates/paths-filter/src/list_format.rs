//! The `list-files` input: how a filter's matching files are written to `<filter>_files`.
//!
//! Byte-for-byte dorny/paths-filter (`src/list-format/*.ts`, `main.ts`), except where its
//! output is wrong, which only happens for names containing line breaks or characters outside
//! Unicode's basic plane:
//! - `csv` and `shell` test "only safe characters" with a multi-line regex (`/^[...]+$/m`), so a
//!   name with a line break passes unquoted as soon as ONE of its lines is safe: `a\n$(x)` is
//!   printed raw, which breaks the CSV record and lets a shell run `$(x)`. We test the whole
//!   name, so such names are quoted.
//! - `escape` backslash-escapes a newline, which a shell reads as a line continuation and
//!   deletes; we put the newline in single quotes (`'\n'`) so the name survives.
//! - `escape` works on UTF-16 units in JavaScript, so it splits an emoji into two escaped
//!   halves that Node then writes as two U+FFFD; we escape the whole character.

use std::fmt;
use std::str::FromStr;

/// The `list-files` values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ListFormat {
    /// No `_files` output.
    #[default]
    None,
    /// Comma-separated; a name is quoted (`"`, inner `"` doubled) unless made only of safe
    /// characters.
    Csv,
    /// A JSON array of strings.
    Json,
    /// Space-separated shell words, quoted only where needed.
    Shell,
    /// Space-separated shell words, every unsafe character backslash-escaped.
    Escape,
}

impl ListFormat {
    pub const VALID: &'static str = "none, csv, json, shell, escape";

    pub fn as_str(self) -> &'static str {
        match self {
            ListFormat::None => "none",
            ListFormat::Csv => "csv",
            ListFormat::Json => "json",
            ListFormat::Shell => "shell",
            ListFormat::Escape => "escape",
        }
    }
}

impl fmt::Display for ListFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown `list-files` value; the message lists the valid ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid list format '{value}': valid values are {valid}", valid = ListFormat::VALID)]
pub struct ParseListFormatError {
    pub value: String,
}

impl FromStr for ListFormat {
    type Err = ParseListFormatError;

    /// Case-insensitive, as dorny lower-cases the input.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_lowercase().as_str() {
            "none" => Ok(ListFormat::None),
            "csv" => Ok(ListFormat::Csv),
            "json" => Ok(ListFormat::Json),
            "shell" => Ok(ListFormat::Shell),
            "escape" => Ok(ListFormat::Escape),
            _ => Err(ParseListFormatError {
                value: s.to_string(),
            }),
        }
    }
}

/// Formats a filter's matching paths. `None` gives an empty string (dorny then writes no
/// `_files` output at all; that decision belongs to the caller).
pub fn format(paths: &[&str], format: ListFormat) -> String {
    if format == ListFormat::None {
        return String::new();
    }
    let (open, separator, close) = format.frame();
    let mut out = String::from(open);
    for (i, path) in paths.iter().enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        format.write_element(path, &mut out);
    }
    out.push_str(close);
    out
}

impl ListFormat {
    /// What a list starts with, has between two paths, and ends with: a list is these around
    /// [`ListFormat::write_element`] of each path (so the same paths in many lists are
    /// escaped once).
    #[must_use]
    pub fn frame(self) -> (&'static str, &'static str, &'static str) {
        match self {
            ListFormat::None => ("", "", ""),
            ListFormat::Csv => ("", ",", ""),
            ListFormat::Json => ("[", ",", "]"),
            ListFormat::Shell | ListFormat::Escape => ("", " ", ""),
        }
    }

    /// Appends `path` as one element of a list (nothing for `None`).
    pub fn write_element(self, path: &str, out: &mut String) {
        match self {
            ListFormat::None => {}
            ListFormat::Csv => out.push_str(&csv_escape(path)),
            // JSON.stringify and serde_json escape strings identically (`"`, `\`, control
            // characters as \b \f \n \r \t or \u00xx; nothing else).
            ListFormat::Json => json_string(path, out),
            ListFormat::Shell => out.push_str(&shell_escape(path)),
            ListFormat::Escape => out.push_str(&backslash_escape(path)),
        }
    }
}

/// Appends `text` as a JSON string, quotes included (serde_json's escaping).
pub fn json_string(text: &str, out: &mut String) {
    // Most paths need no escaping: only `"`, `\` and control characters do.
    if !needs_json_escape(text.as_bytes()) {
        out.reserve(text.len() + 2);
        out.push('"');
        out.push_str(text);
        out.push('"');
        return;
    }
    out.push_str(&serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned()));
}

/// Whether `bytes` hold a `"`, a `\` or a control character, eight bytes at a time: per
/// byte, `x ^ c` has a zero byte where `x` is `c`, and `x - 0x20` borrows into its top bit
/// where `x` is below `0x20` (the lowest such byte is always seen, so "any" is exact).
fn needs_json_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const TOPS: u64 = 0x8080_8080_8080_8080;
    let zero = |x: u64| x.wrapping_sub(ONES) & !x;
    let mut found = 0;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(word);
        let x = u64::from_le_bytes(eight);
        found |= zero(x ^ (ONES * u64::from(b'"')))
            | zero(x ^ (ONES * u64::from(b'\\')))
            | (x.wrapping_sub(ONES * 0x20) & !x);
    }
    found & TOPS != 0
        || words
            .remainder()
            .iter()
            .any(|&b| b == b'"' || b == b'\\' || b < 0x20)
}

/// dorny's safe set for `shell` and `escape`: `[a-zA-Z0-9,._+:@%/-]`.
fn is_shell_safe(c: char) -> bool {
    c.is_ascii_alphanumeric() || ",._+:@%/-".contains(c)
}

/// dorny's safe set for `csv`: the shell set without the comma.
fn is_csv_safe(c: char) -> bool {
    c != ',' && is_shell_safe(c)
}

/// JavaScript's `\s` (ECMAScript WhiteSpace and LineTerminator), which dorny uses.
fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// A name as a CSV field: unchanged if empty or only safe characters, else in double quotes
/// with inner double quotes doubled (RFC 4180).
pub fn csv_escape(value: &str) -> String {
    if value.is_empty() || value.chars().all(is_csv_safe) {
        return value.to_string();
    }
    format!("\"{}\"", value.replace('"', "\"\""))
}

/// A name as one shell word, as readable as possible: unchanged if only safe characters; in
/// single quotes if it has no `'`; in double quotes if its only unsafe characters are `'`
/// and whitespace; otherwise split at each `'`, each part escaped this way, joined by `\'`.
pub fn shell_escape(value: &str) -> String {
    if value.is_empty() || value.chars().all(is_shell_safe) {
        return value.to_string();
    }
    if value.contains('\'') {
        if value
            .chars()
            .all(|c| is_shell_safe(c) || c == '\'' || is_js_space(c))
        {
            return format!("\"{value}\"");
        }
        return value
            .split('\'')
            .map(shell_escape)
            .collect::<Vec<_>>()
            .join("\\'");
    }
    format!("'{value}'")
}

/// A name as one shell word with every unsafe character preceded by `\` (a newline, which a
/// backslash would delete, is single-quoted instead).
pub fn backslash_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 2);
    for c in value.chars() {
        if c == '\n' {
            out.push_str("'\n'");
        } else {
            if !is_shell_safe(c) {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The word-at-a-time check agrees with a byte-at-a-time one for every byte, at every
    /// place of a word and of the tail, next to any other byte.
    #[test]
    fn json_escape_check_sees_every_byte_that_needs_it() {
        let naive = |bytes: &[u8]| bytes.iter().any(|&b| b == b'"' || b == b'\\' || b < 0x20);
        for len in [1, 7, 8, 9, 16, 21] {
            for at in 0..len {
                for b in 0..=255u8 {
                    for fill in [b'a', 0x7f, 0x80, 0xff, b'!', b'#', b'[', b']'] {
                        let mut bytes = vec![fill; len];
                        bytes[at] = b;
                        assert_eq!(needs_json_escape(&bytes), naive(&bytes), "{bytes:?}");
                    }
                }
            }
        }
    }
}

//! Workflow commands: the `::name key=value::message` lines the runner reads from a step's output.
//!
//! The runner splits its input on line breaks and on `::`/`,`/`=`, so anything we print inside a
//! command must be escaped, or a message containing a newline ends the command early and the rest
//! is read as an arbitrary new command (or lost).

use std::fmt;

/// Escape a command's message (the text after the second `::`).
///
/// `%` first, so that the escapes we introduce are not escaped again.
#[must_use]
pub fn escape_data(data: &str) -> String {
    data.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property value: like [`escape_data`], plus `:` and `,` which separate properties.
#[must_use]
pub fn escape_property(value: &str) -> String {
    escape_data(value).replace(':', "%3A").replace(',', "%2C")
}

/// Reverse of [`escape_data`].
#[must_use]
pub fn unescape_data(data: &str) -> String {
    data.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%25", "%")
}

/// Reverse of [`escape_property`].
#[must_use]
pub fn unescape_property(value: &str) -> String {
    unescape_data(&value.replace("%3A", ":").replace("%2C", ","))
}

/// One workflow command, e.g. `::error file=a.rs,line=3::message`.
///
/// `Display` produces the escaped line (without the trailing newline).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorkflowCommand {
    /// Command name, e.g. `error`, `add-mask`, `group`.
    pub name: String,
    /// Properties in the order they are printed. Values are unescaped here.
    pub properties: Vec<(String, String)>,
    /// The message, unescaped here.
    pub message: String,
}

impl WorkflowCommand {
    /// A command without properties.
    #[must_use]
    pub fn new(name: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            properties: Vec::new(),
            message: message.into(),
        }
    }

    /// Add a property. Properties with an empty value are not printed, like @actions/core.
    #[must_use]
    pub fn property(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.properties.push((key.into(), value.into()));
        self
    }

    /// Parse a line printed by [`WorkflowCommand`]'s `Display` (or by any action), unescaping
    /// properties and message. Returns `None` when the line is not a workflow command.
    ///
    /// Tests use it to read annotations and groups back from captured output.
    #[must_use]
    pub fn parse(line: &str) -> Option<Self> {
        let line = line.trim_end_matches(['\r', '\n']);
        let rest = line.strip_prefix("::")?;
        let end = rest.find("::")?;
        let (head, message) = (&rest[..end], &rest[end + 2..]);
        let (name, props) = match head.split_once(' ') {
            Some((name, props)) => (name, props),
            None => (head, ""),
        };
        if name.is_empty() {
            return None;
        }
        let properties = props
            .split(',')
            .filter(|p| !p.is_empty())
            .filter_map(|p| {
                let (k, v) = p.split_once('=')?;
                Some((k.to_owned(), unescape_property(v)))
            })
            .collect();
        Some(Self {
            name: name.to_owned(),
            properties,
            message: unescape_data(message),
        })
    }

    /// Value of property `key`, if present.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

impl fmt::Display for WorkflowCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "::{}", self.name)?;
        let mut first = true;
        for (key, value) in self.properties.iter().filter(|(_, v)| !v.is_empty()) {
            f.write_str(if first { " " } else { "," })?;
            first = false;
            write!(f, "{key}={}", escape_property(value))?;
        }
        write!(f, "::{}", escape_data(&self.message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_data_exact() {
        assert_eq!(escape_data("100%"), "100%25");
        assert_eq!(escape_data("a\r\nb"), "a%0D%0Ab");
        assert_eq!(escape_data("%0A"), "%250A");
        assert_eq!(escape_data("a:b,c"), "a:b,c");
    }

    #[test]
    fn escape_property_exact() {
        assert_eq!(
            escape_property("C:\\dir\\a,b%\r\n"),
            "C%3A\\dir\\a%2Cb%25%0D%0A"
        );
        assert_eq!(escape_property("%3A"), "%253A");
    }

    #[test]
    fn unescape_round_trips() {
        for s in ["", "a", "%", "%25", "a\r\nb:c,d%0A", "::x::", "%3A%2C"] {
            assert_eq!(unescape_data(&escape_data(s)), s);
            assert_eq!(unescape_property(&escape_property(s)), s);
        }
    }

    #[test]
    fn display_formats_properties_and_skips_empty() {
        let cmd = WorkflowCommand::new("error", "bad\nthing")
            .property("file", "src/a,b.rs")
            .property("title", "")
            .property("line", "3");
        assert_eq!(
            cmd.to_string(),
            "::error file=src/a%2Cb.rs,line=3::bad%0Athing"
        );
        assert_eq!(
            WorkflowCommand::new("endgroup", "").to_string(),
            "::endgroup::"
        );
    }

    #[test]
    fn parse_round_trips() {
        let cmd = WorkflowCommand::new("warning", "50% done: a,b\r\n")
            .property("title", "t: 1,2")
            .property("file", "x.rs");
        let parsed = WorkflowCommand::parse(&cmd.to_string()).unwrap();
        assert_eq!(parsed, cmd);
        assert_eq!(parsed.get("title"), Some("t: 1,2"));
        assert_eq!(WorkflowCommand::parse("plain text"), None);
        assert_eq!(WorkflowCommand::parse("::nope"), None);
        assert_eq!(
            WorkflowCommand::parse("::group::name\n").unwrap().message,
            "name"
        );
    }
}

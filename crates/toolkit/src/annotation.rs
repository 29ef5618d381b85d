//! Annotations: `::error`, `::warning` and `::notice` commands, shown on the run page and, with
//! a file and line, next to the code in a pull request.

use crate::command::WorkflowCommand;

/// Severity of an annotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnnotationLevel {
    /// `::error`: fails nothing by itself, but is shown in red.
    Error,
    /// `::warning`.
    Warning,
    /// `::notice`.
    Notice,
}

impl AnnotationLevel {
    /// The command name.
    #[must_use]
    pub fn command(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Notice => "notice",
        }
    }
}

/// Where an annotation points and its title. All optional; build with the setters.
///
/// ```
/// # use gantry_toolkit::{AnnotationLevel, AnnotationProperties};
/// let props = AnnotationProperties::new().title("Bad filter").file("filters.yaml").line(3);
/// assert_eq!(
///     props.command(AnnotationLevel::Error, "unknown key").to_string(),
///     "::error title=Bad filter,file=filters.yaml,line=3::unknown key"
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnnotationProperties {
    /// Title shown above the message.
    pub title: Option<String>,
    /// Path relative to the repository root.
    pub file: Option<String>,
    /// First line (1-based).
    pub start_line: Option<u32>,
    /// Last line.
    pub end_line: Option<u32>,
    /// First column (1-based). The runner ignores columns when the annotation spans lines.
    pub start_column: Option<u32>,
    /// Last column.
    pub end_column: Option<u32>,
}

impl AnnotationProperties {
    /// No properties.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Set the title.
    #[must_use]
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Set the file.
    #[must_use]
    pub fn file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }

    /// Set the first line.
    #[must_use]
    pub fn line(mut self, line: u32) -> Self {
        self.start_line = Some(line);
        self
    }

    /// Set the last line.
    #[must_use]
    pub fn end_line(mut self, line: u32) -> Self {
        self.end_line = Some(line);
        self
    }

    /// Set the first column.
    #[must_use]
    pub fn col(mut self, col: u32) -> Self {
        self.start_column = Some(col);
        self
    }

    /// Set the last column.
    #[must_use]
    pub fn end_column(mut self, col: u32) -> Self {
        self.end_column = Some(col);
        self
    }

    /// The command for an annotation of `level` with these properties, in @actions/core's
    /// property order: title, file, line, endLine, col, endColumn.
    #[must_use]
    pub fn command(&self, level: AnnotationLevel, message: &str) -> WorkflowCommand {
        let num = |n: Option<u32>| n.map(|n| n.to_string());
        let properties = [
            ("title", self.title.clone()),
            ("file", self.file.clone()),
            ("line", num(self.start_line)),
            ("endLine", num(self.end_line)),
            ("col", num(self.start_column)),
            ("endColumn", num(self.end_column)),
        ];
        let mut command = WorkflowCommand::new(level.command(), message);
        for (key, value) in properties {
            if let Some(value) = value {
                command = command.property(key, value);
            }
        }
        command
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_properties_in_order() {
        let props = AnnotationProperties::new()
            .end_column(9)
            .col(2)
            .end_line(5)
            .line(4)
            .file("src/a:b,c.rs")
            .title("T: 1, 2");
        assert_eq!(
            props
                .command(AnnotationLevel::Warning, "50% of\nlines")
                .to_string(),
            "::warning title=T%3A 1%2C 2,file=src/a%3Ab%2Cc.rs,line=4,endLine=5,col=2,endColumn=9::50%25 of%0Alines"
        );
    }

    #[test]
    fn no_properties() {
        assert_eq!(
            AnnotationProperties::new()
                .command(AnnotationLevel::Notice, "hi")
                .to_string(),
            "::notice::hi"
        );
        assert_eq!(
            AnnotationProperties::new()
                .command(AnnotationLevel::Error, "")
                .to_string(),
            "::error::"
        );
    }
}

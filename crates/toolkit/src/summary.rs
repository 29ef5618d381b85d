//! The job summary: markdown appended to the file in `GITHUB_STEP_SUMMARY`, rendered on the
//! run's page (tables, `<details>` and mermaid charts render there).
//!
//! Text given to [`Summary::heading`], [`Summary::paragraph`], list items and `<details>`
//! bodies is markdown on purpose (tools want bold and links). What would break the structure is
//! escaped: table cells (`|` and line breaks), the `<summary>` of a details block (HTML), code
//! fences (a longer fence when the code contains backticks), link text and targets.
//!
//! When `GITHUB_STEP_SUMMARY` is not set (a plain CLI run) writing is a no-op that returns
//! `Ok(false)`: the same facts are in the log and outputs, and printing a markdown document into
//! a terminal helps nobody.

use std::fmt;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::env::Env;

/// The variable naming the summary file.
pub const STEP_SUMMARY_VAR: &str = "GITHUB_STEP_SUMMARY";

/// GitHub rejects a step summary over 1 MiB (and shows an error instead of it).
pub const MAX_SUMMARY_BYTES: u64 = 1024 * 1024;

/// A summary that cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum SummaryError {
    /// Appending failed.
    #[error("cannot append the job summary to {} (GITHUB_STEP_SUMMARY): {source}; check that the file exists and is writable", .path.display())]
    Io {
        /// The summary file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The step's summary would exceed GitHub's limit.
    #[error(
        "the job summary would be {size} bytes, over GitHub's limit of {MAX_SUMMARY_BYTES} bytes per step; shorten it (put long lists in an artifact or a collapsed <details> with fewer rows)"
    )]
    TooLarge {
        /// The size the file would have had.
        size: u64,
    },
}

/// A markdown document built piece by piece, then appended to the step summary.
///
/// ```
/// # use gantry_toolkit::Summary;
/// let mut s = Summary::new();
/// s.heading(2, "Changed services")
///     .table(["service", "reason"], [["api", "src/api/main.rs | lib"]]);
/// assert!(s.as_str().contains(r"src/api/main.rs \| lib"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    buf: String,
}

impl Summary {
    /// An empty summary.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The markdown so far.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.buf
    }

    /// True when nothing was added.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Forget everything added so far.
    pub fn clear(&mut self) -> &mut Self {
        self.buf.clear();
        self
    }

    /// Append text as is (no separator, no escaping).
    pub fn raw(&mut self, markdown: &str) -> &mut Self {
        self.buf.push_str(markdown);
        self
    }

    /// A heading; `level` is clamped to 1..=6, line breaks become spaces.
    pub fn heading(&mut self, level: u8, text: &str) -> &mut Self {
        let hashes = "#".repeat(usize::from(level.clamp(1, 6)));
        let text = one_line(text);
        self.block(&format!("{hashes} {text}"))
    }

    /// A paragraph of markdown.
    pub fn paragraph(&mut self, markdown: &str) -> &mut Self {
        self.block(markdown.trim_end())
    }

    /// A table. Rows shorter than the widest row or header are padded with empty cells. Cells
    /// are escaped with [`escape_table_cell`]; a table with neither header nor rows adds
    /// nothing.
    pub fn table<H, R, C>(&mut self, header: H, rows: R) -> &mut Self
    where
        H: IntoIterator,
        H::Item: AsRef<str>,
        R: IntoIterator,
        R::Item: IntoIterator<Item = C>,
        C: AsRef<str>,
    {
        let header: Vec<String> = header
            .into_iter()
            .map(|c| escape_table_cell(c.as_ref()))
            .collect();
        let rows: Vec<Vec<String>> = rows
            .into_iter()
            .map(|r| {
                r.into_iter()
                    .map(|c| escape_table_cell(c.as_ref()))
                    .collect()
            })
            .collect();
        let width = rows
            .iter()
            .map(Vec::len)
            .chain([header.len()])
            .max()
            .unwrap_or(0);
        if width == 0 {
            return self;
        }
        let line = |cells: &[String]| {
            let mut s = String::from("|");
            for i in 0..width {
                let cell = cells.get(i).map(String::as_str).unwrap_or_default();
                s.push(' ');
                s.push_str(cell);
                s.push_str(if cell.is_empty() { "|" } else { " |" });
            }
            s
        };
        let mut table = line(&header);
        table.push('\n');
        table.push('|');
        table.push_str(&" --- |".repeat(width));
        for row in &rows {
            table.push('\n');
            table.push_str(&line(row));
        }
        self.block(&table)
    }

    /// A collapsed `<details>` block. The summary line is HTML-escaped; `body` is markdown
    /// (blank lines around it make GitHub render it as markdown inside the HTML block).
    pub fn details(&mut self, summary: &str, body: &str) -> &mut Self {
        let summary = escape_html(&one_line(summary));
        self.block(&format!(
            "<details><summary>{summary}</summary>\n\n{}\n\n</details>",
            body.trim_end()
        ))
    }

    /// A fenced code block. The fence is longer than any run of backticks in `code`, so code
    /// containing ``` cannot end the block.
    pub fn code_block(&mut self, lang: &str, code: &str) -> &mut Self {
        let longest = longest_run(code, '`');
        let fence = "`".repeat((longest + 1).max(3));
        let lang: String = lang
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '`')
            .collect();
        self.block(&format!(
            "{fence}{lang}\n{}\n{fence}",
            code.trim_end_matches(['\n', '\r'])
        ))
    }

    /// A mermaid chart (rendered as a diagram by GitHub).
    pub fn mermaid(&mut self, chart: &str) -> &mut Self {
        self.code_block("mermaid", chart)
    }

    /// A bulleted list; extra lines of an item are indented so they stay in the item.
    pub fn list<I>(&mut self, items: I) -> &mut Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let lines: Vec<String> = items
            .into_iter()
            .map(|item| list_item("- ", item.as_ref()))
            .collect();
        if lines.is_empty() {
            return self;
        }
        self.block(&lines.join("\n"))
    }

    /// A numbered list.
    pub fn ordered_list<I>(&mut self, items: I) -> &mut Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let lines: Vec<String> = items
            .into_iter()
            .enumerate()
            .map(|(i, item)| list_item(&format!("{}. ", i + 1), item.as_ref()))
            .collect();
        if lines.is_empty() {
            return self;
        }
        self.block(&lines.join("\n"))
    }

    /// A paragraph holding one link (see [`markdown_link`]).
    pub fn link(&mut self, text: &str, url: &str) -> &mut Self {
        self.block(&markdown_link(text, url))
    }

    /// A block quote.
    pub fn quote(&mut self, markdown: &str) -> &mut Self {
        let quoted: Vec<String> = markdown
            .trim_end()
            .lines()
            .map(|l| format!("> {l}").trim_end().to_owned())
            .collect();
        self.block(&quoted.join("\n"))
    }

    /// A horizontal rule.
    pub fn separator(&mut self) -> &mut Self {
        self.block("---")
    }

    /// Append the summary to the file in `GITHUB_STEP_SUMMARY`. Returns `Ok(false)` without
    /// doing anything when the variable is unset or the summary is empty.
    ///
    /// # Errors
    /// When the file cannot be appended to, or would exceed [`MAX_SUMMARY_BYTES`].
    pub fn write(&self, env: &Env) -> Result<bool, SummaryError> {
        append_summary(env, &self.buf)
    }

    /// Every block ends with a blank line, so the next one never continues it (a `---` right
    /// after a paragraph line would turn the paragraph into a heading).
    fn block(&mut self, markdown: &str) -> &mut Self {
        self.buf.push_str(markdown);
        self.buf.push_str("\n\n");
        self
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.buf)
    }
}

/// Append `markdown` to the summary file named in `env`; `Ok(false)` when unset or empty.
pub(crate) fn append_summary(env: &Env, markdown: &str) -> Result<bool, SummaryError> {
    let Some(path) = env.get_non_empty(STEP_SUMMARY_VAR) else {
        return Ok(false);
    };
    if markdown.is_empty() {
        return Ok(false);
    }
    let path = Path::new(path);
    let io = |source| SummaryError::Io {
        path: path.to_owned(),
        source,
    };
    let existing = match std::fs::metadata(path) {
        Ok(meta) => meta.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
        Err(e) => return Err(io(e)),
    };
    let size = existing.saturating_add(markdown.len() as u64);
    if size > MAX_SUMMARY_BYTES {
        return Err(SummaryError::TooLarge { size });
    }
    let mut file = OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(io)?;
    file.write_all(markdown.as_bytes()).map_err(io)?;
    Ok(true)
}

/// Escape text for a markdown table cell: `|` becomes `\|`, line breaks become `<br>`.
#[must_use]
pub fn escape_table_cell(text: &str) -> String {
    text.trim()
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('|', "\\|")
        .replace('\n', "<br>")
}

/// Escape text for use inside HTML (`&`, `<`, `>`, `"`, `'`).
#[must_use]
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `[text](url)` with `\`, `[` and `]` escaped in the text and characters that would end the
/// target (space, parentheses, angle brackets, line breaks) percent-encoded in the url. Usable
/// inline, e.g. in a table cell.
#[must_use]
pub fn markdown_link(text: &str, url: &str) -> String {
    let mut t = String::with_capacity(text.len());
    for c in one_line(text).chars() {
        if matches!(c, '\\' | '[' | ']') {
            t.push('\\');
        }
        t.push(c);
    }
    let mut u = String::with_capacity(url.len());
    for c in url.trim().chars() {
        match c {
            ' ' => u.push_str("%20"),
            '(' => u.push_str("%28"),
            ')' => u.push_str("%29"),
            '<' => u.push_str("%3C"),
            '>' => u.push_str("%3E"),
            '\n' => u.push_str("%0A"),
            '\r' => u.push_str("%0D"),
            c => u.push(c),
        }
    }
    format!("[{t}]({u})")
}

fn one_line(text: &str) -> String {
    text.split(['\r', '\n'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn list_item(marker: &str, item: &str) -> String {
    let indent = " ".repeat(marker.len());
    let mut out = String::new();
    for (i, line) in item.trim_end().lines().enumerate() {
        if i == 0 {
            out.push_str(marker);
            out.push_str(line);
        } else {
            out.push('\n');
            if !line.trim().is_empty() {
                out.push_str(&indent);
                out.push_str(line);
            }
        }
    }
    if out.is_empty() {
        out.push_str(marker.trim_end());
    }
    out
}

fn longest_run(text: &str, ch: char) -> usize {
    let (mut best, mut current) = (0, 0);
    for c in text.chars() {
        current = if c == ch { current + 1 } else { 0 };
        best = best.max(current);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use insta::assert_snapshot;

    #[test]
    fn full_document() {
        let mut s = Summary::new();
        s.heading(1, "Deploy\nreport")
            .paragraph("Rolled **api** to `v1.2.3`.")
            .table(
                ["service", "status", "notes"],
                [
                    vec!["api", "ok", "a | b"],
                    vec!["web", "failed", "line1\nline2\r\nline3"],
                    vec!["worker"],
                ],
            )
            .details("Logs <raw> & \"more\"", "```\nlog line\n```")
            .code_block("yaml", "a: 1\n")
            .mermaid("graph LR\n  a --> b")
            .list(["one", "two\nmore"])
            .ordered_list(["first", "second"])
            .link("the [run]", "https://github.com/o/r/actions/runs/1 (x)")
            .quote("note\nsecond")
            .separator()
            .heading(9, "deep");
        assert_snapshot!(s.as_str(), @r#"
        # Deploy report

        Rolled **api** to `v1.2.3`.

        | service | status | notes |
        | --- | --- | --- |
        | api | ok | a \| b |
        | web | failed | line1<br>line2<br>line3 |
        | worker | | |

        <details><summary>Logs &lt;raw&gt; &amp; &quot;more&quot;</summary>

        ```
        log line
        ```

        </details>

        ```yaml
        a: 1
        ```

        ```mermaid
        graph LR
          a --> b
        ```

        - one
        - two
          more

        1. first
        2. second

        [the \[run\]](https://github.com/o/r/actions/runs/1%20%28x%29)

        > note
        > second

        ---

        ###### deep
        "#);
    }

    #[test]
    fn code_fence_outgrows_backticks_in_code() {
        let mut s = Summary::new();
        s.code_block("md", "````\ninner\n````");
        assert_snapshot!(s.as_str(), @r"
        `````md
        ````
        inner
        ````
        `````
        ");
    }

    #[test]
    fn empty_table_and_lists_add_nothing() {
        let mut s = Summary::new();
        s.table(Vec::<&str>::new(), Vec::<Vec<&str>>::new())
            .list(Vec::<&str>::new())
            .ordered_list(Vec::<String>::new());
        assert!(s.is_empty());
    }

    #[test]
    fn table_without_header_row_gets_empty_header() {
        let mut s = Summary::new();
        s.table(Vec::<&str>::new(), [["a", "b"]]);
        assert_snapshot!(s.as_str(), @r"
        | | |
        | --- | --- |
        | a | b |
        ");
    }

    #[test]
    fn escapes() {
        assert_eq!(escape_table_cell(" a|b\r\nc "), r"a\|b<br>c");
        assert_eq!(
            escape_html("<a href='x'>&</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;"
        );
        assert_eq!(markdown_link("a]b", "u v"), r"[a\]b](u%20v)");
    }

    #[test]
    fn write_appends_or_skips() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("summary.md");
        let mut s = Summary::new();
        s.paragraph("hello");
        assert!(!s.write(&Env::new()).unwrap());
        let env = Env::new().with(STEP_SUMMARY_VAR, file.to_str().unwrap());
        assert!(s.write(&env).unwrap());
        assert!(s.write(&env).unwrap());
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            "hello\n\nhello\n\n"
        );
        assert!(!Summary::new().write(&env).unwrap());
    }

    #[test]
    fn write_refuses_over_limit() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("summary.md");
        std::fs::write(&file, "x".repeat(1024 * 1024 - 3)).unwrap();
        let env = Env::new().with(STEP_SUMMARY_VAR, file.to_str().unwrap());
        let mut s = Summary::new();
        s.paragraph("ab");
        let err = s.write(&env).unwrap_err();
        assert!(matches!(err, SummaryError::TooLarge { size } if size == 1024 * 1024 + 1));
        assert!(err.to_string().contains("shorten it"));
    }
}

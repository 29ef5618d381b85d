//! Version files: the files of a repository that carry its version, set to the new release's
//! version with every other byte unchanged.
//!
//! What each [`Format`] updates:
//!
//! | format | file name | fields |
//! |---|---|---|
//! | [`Format::CargoToml`] | `Cargo.toml` | `package.version`, `workspace.package.version`; a `version.workspace = true` is left alone (reported in [`Bumped::inherited`]) |
//! | [`Format::CargoLock`] | `Cargo.lock` | `version` of the `[[package]]` entries without `source` (path packages) named in [`BumpContext::cargo_packages`] |
//! | [`Format::PackageJson`] | `package.json` | top-level `version` |
//! | [`Format::PackageLock`] | `package-lock.json` | top-level `version`, and `packages[""].version` (lockfileVersion 2 and 3) |
//! | [`Format::Pyproject`] | `pyproject.toml` | `project.version` (PEP 621), `tool.poetry.version` |
//! | [`Format::HelmChart`] | `Chart.yaml` | top-level `version`, and `appVersion` (when asked, and when present) |
//! | [`Format::Plain`] | `VERSION`, `VERSION.txt`, `version.txt` | the whole file |
//! | [`Format::Marker`] | any other file | the first version on each line with `x-gantry-version`, every version between `x-gantry-version-start` and `x-gantry-version-end` lines |
//!
//! A `v` prefix is kept where the format allows one (`Chart.yaml`, `VERSION`, marked lines); the
//! new version is written as given, prerelease and build metadata included (`2.0.0-rc.1`).
//!
//! Why spans and not re-serialisation: a parser locates each field and reports the byte range of
//! its value in the original text, and only those bytes are replaced. Parsing into a value and
//! printing it again (serde_json, a YAML emitter) rewrites indentation, key order, quoting,
//! comments, anchors and line endings, so the release commit's diff would show far more than the
//! version, and `git blame` would lose the file's history. Here the diff of a version file is
//! exactly the version, whatever the file looks like: CRLF, tabs, comments next to the value,
//! literal TOML strings, quoted YAML, a UTF-8 byte order mark. A field whose value cannot be
//! replaced that way (written with escapes, a YAML block scalar) is an error, not a rewrite.
//!
//! A field that is missing, or whose value is not a semantic version (`version = "latest"`), is
//! an error that names the file, the field and what was found, and says what to do: gantry never
//! guesses where a version goes.
//!
//! The core ([`bump`]) is pure; [`bump_file`] is the one helper that reads and writes a file.

mod json;
mod text;
mod toml;
mod yaml;

#[cfg(test)]
mod check;
#[cfg(test)]
mod corpus_tests;
#[cfg(test)]
mod error_tests;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::Path;

use semver::Version;

/// The kind of a version file, which decides the fields that are updated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `Cargo.toml`: `package.version` and `workspace.package.version`.
    CargoToml,
    /// `Cargo.lock`: the path packages named in [`BumpContext::cargo_packages`].
    CargoLock,
    /// `package.json`: top-level `version`.
    PackageJson,
    /// `package-lock.json`: top-level `version` and `packages[""].version`.
    PackageLock,
    /// `pyproject.toml`: `project.version` and `tool.poetry.version`.
    Pyproject,
    /// Helm `Chart.yaml`: `version`, and `appVersion` when `app_version` is true and the chart
    /// has one (`appVersion` is optional in a chart).
    HelmChart {
        /// Also set `appVersion` (keeping its quotes and its `v` prefix).
        app_version: bool,
    },
    /// A file whose whole content is the version (`VERSION`), optionally `v`-prefixed.
    Plain,
    /// Any other file: the lines marked with `x-gantry-version`.
    Marker,
}

impl Format {
    /// A short name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Format::CargoToml => "Cargo.toml",
            Format::CargoLock => "Cargo.lock",
            Format::PackageJson => "package.json",
            Format::PackageLock => "package-lock.json",
            Format::Pyproject => "pyproject.toml",
            Format::HelmChart { .. } => "Helm Chart.yaml",
            Format::Plain => "plain version file",
            Format::Marker => "x-gantry-version marker",
        }
    }
}

/// The format of a file from its name (the last component of `path`, `/` or `\` separated):
/// `Cargo.toml`, `Cargo.lock`, `package.json`, `package-lock.json`, `pyproject.toml`,
/// `Chart.yaml` (with `appVersion`), `VERSION` / `VERSION.txt` / `version.txt`; any other
/// name is [`Format::Marker`].
pub fn format_of(path: &str) -> Format {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    match name {
        "Cargo.toml" => Format::CargoToml,
        "Cargo.lock" => Format::CargoLock,
        "package.json" => Format::PackageJson,
        "package-lock.json" => Format::PackageLock,
        "pyproject.toml" => Format::Pyproject,
        "Chart.yaml" => Format::HelmChart { app_version: true },
        "VERSION" | "VERSION.txt" | "version.txt" => Format::Plain,
        _ => Format::Marker,
    }
}

/// What [`bump`] needs beyond the file itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BumpContext {
    /// For `Cargo.lock`: the names of the workspace members whose version changes (the packages
    /// whose `Cargo.toml` is bumped, including those that inherit `workspace.package.version`).
    /// Their `[[package]]` entries without a `source` get the new version.
    pub cargo_packages: BTreeSet<String>,
}

/// One field that [`bump`] set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The field, as in the error messages: `package.version`, `packages[""].version`,
    /// `package[name = "foo"].version`, `appVersion`, `line 12` (markers and plain files).
    pub field: String,
    /// The 1-based line of the value.
    pub line: usize,
    /// The version that was there (without a `v` prefix).
    pub old: Version,
}

/// The result of [`bump`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bumped {
    /// The new content: the input with only the version bytes replaced.
    pub content: String,
    /// The fields set, in file order. Empty only for a `Cargo.toml` whose version is inherited
    /// from the workspace (see [`Bumped::inherited`]): the caller decides whether that is fine.
    pub changes: Vec<Change>,
    /// Fields left alone because they inherit the version: `package.version` of a member with
    /// `version.workspace = true`.
    pub inherited: Vec<String>,
}

impl Bumped {
    /// Whether any byte changed (false when the file already had the new version everywhere,
    /// or when it only inherits the version).
    pub fn changed(&self, original: &str) -> bool {
        self.content != original
    }
}

/// Why a version file cannot be updated. Each names the file and the field, and says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VersionFileError {
    #[error("{file}: no `{field}` (read as {format}); {hint}")]
    Missing {
        file: String,
        format: &'static str,
        field: String,
        hint: String,
    },
    #[error(
        "{file}:{line}: `{field}` is {found}, which is not a semantic version \
         (MAJOR.MINOR.PATCH, such as 1.2.3 or 2.0.0-rc.1); set it to the current version, \
         or drop this file from the version files"
    )]
    NotSemver {
        file: String,
        line: usize,
        field: String,
        /// The value as written in the file (quotes included).
        found: String,
    },
    #[error(
        "{file}: `project.version` is dynamic (`project.dynamic` lists \"version\") and \
         `tool.poetry.version` is absent, so the version is set elsewhere (the build backend \
         reads it from a file or a git tag): list that file instead, marking its version line \
         with `x-gantry-version`, or drop {file} from the version files"
    )]
    DynamicVersion { file: String },
    #[error("{file}:{line}: `{field}` is {found}, which cannot be replaced in place: {why}")]
    Unsupported {
        file: String,
        line: usize,
        field: String,
        found: String,
        why: &'static str,
    },
    #[error("{file}:{line}: not valid {format}: {message}; fix the file first")]
    Syntax {
        file: String,
        format: &'static str,
        line: usize,
        message: String,
    },
    #[error(
        "{file}: no line has an `x-gantry-version` marker; add the marker in a comment on the \
         version's line (`version = \"1.2.3\" # x-gantry-version`), or between \
         `x-gantry-version-start` and `x-gantry-version-end` lines"
    )]
    NoMarker { file: String },
    #[error(
        "{file}:{line}: the `{marker}` line has no version (MAJOR.MINOR.PATCH) on it; put the \
         marker on the line that holds the version"
    )]
    MarkerWithoutVersion {
        file: String,
        line: usize,
        marker: &'static str,
    },
    #[error("{file}:{line}: `{marker}` has no matching `{expected}`; {hint}")]
    UnbalancedBlock {
        file: String,
        line: usize,
        marker: &'static str,
        expected: &'static str,
        hint: &'static str,
    },
    #[error(
        "{file}: no package names were given for Cargo.lock; name the workspace members whose \
         version changes"
    )]
    NoCargoPackages { file: String },
    #[error(
        "{file}: no path package `{package}` (a `[[package]]` without `source`); run \
         `cargo update --workspace` so the lock file lists the workspace members, or drop \
         `{package}` from the packages whose version changes"
    )]
    MissingLockPackage { file: String, package: String },
    #[error("{file}: cannot {action}: {source}")]
    Io {
        file: String,
        action: &'static str,
        #[source]
        source: std::io::Error,
    },
}

/// `content` with the version fields of `format` set to `new`, every other byte unchanged.
///
/// `path` names the file in errors (and nowhere else). A UTF-8 byte order mark is kept.
pub fn bump(
    path: &str,
    format: Format,
    content: &str,
    new: &Version,
    ctx: &BumpContext,
) -> Result<Bumped, VersionFileError> {
    let (bom, body) = match content.strip_prefix('\u{feff}') {
        Some(body) => ("\u{feff}", body),
        None => ("", content),
    };
    let file = Source { path, text: body };
    let found = match format {
        Format::CargoToml => toml::cargo_toml(&file)?,
        Format::CargoLock => toml::cargo_lock(&file, &ctx.cargo_packages)?,
        Format::Pyproject => toml::pyproject(&file)?,
        Format::PackageJson => json::package_json(&file, false)?,
        Format::PackageLock => json::package_json(&file, true)?,
        Format::HelmChart { app_version } => yaml::helm_chart(&file, app_version)?,
        Format::Plain => text::plain(&file)?,
        Format::Marker => text::marker(&file)?,
    };
    let new_text = new.to_string();
    let mut slots = found.slots;
    slots.sort_by_key(|slot| slot.text.start);
    // The same bytes can be reached twice (a YAML alias of the version's anchor).
    slots.dedup_by_key(|slot| slot.text.clone());
    let mut out = String::with_capacity(content.len() + 16 * slots.len());
    out.push_str(bom);
    let mut changes = Vec::with_capacity(slots.len());
    let mut at = 0;
    for slot in slots {
        let (version_range, old) = file.version_in(&slot)?;
        if version_range.start < at {
            continue;
        }
        out.push_str(file.slice(at..version_range.start));
        out.push_str(&new_text);
        at = version_range.end;
        changes.push(Change {
            field: slot.field,
            line: file.line_of(slot.raw.start),
            old,
        });
    }
    out.push_str(file.slice(at..body.len()));
    Ok(Bumped {
        content: out,
        changes,
        inherited: found.inherited,
    })
}

/// Reads `path`, bumps it with [`bump`] (the format from [`format_of`] unless given), and writes
/// it back when a byte changed. For a dry run, call [`bump`] on the content instead.
pub fn bump_file(
    path: &Path,
    format: Option<Format>,
    new: &Version,
    ctx: &BumpContext,
) -> Result<Bumped, VersionFileError> {
    let name = path.display().to_string();
    let format = format.unwrap_or_else(|| format_of(&name));
    let io = |action, source| VersionFileError::Io {
        file: name.clone(),
        action,
        source,
    };
    let content = std::fs::read_to_string(path).map_err(|e| io("read it", e))?;
    let bumped = bump(&name, format, &content, new, ctx)?;
    if bumped.changed(&content) {
        std::fs::write(path, &bumped.content).map_err(|e| io("write it", e))?;
    }
    Ok(bumped)
}

/// The file being bumped: its name for messages and its text (without a byte order mark).
struct Source<'a> {
    path: &'a str,
    text: &'a str,
}

/// A field found by a format's parser.
#[derive(Debug, Clone)]
struct Slot {
    /// The field's name for messages and [`Change::field`].
    field: String,
    /// The value as written, quotes included (for messages and the line number).
    raw: Range<usize>,
    /// The bytes of the value's text inside `raw`: the version, with a `v` prefix if allowed.
    text: Range<usize>,
    /// Whether a `v` / `V` prefix is allowed (and kept).
    allow_prefix: bool,
}

/// What a format's parser found.
#[derive(Debug, Default)]
struct Found {
    slots: Vec<Slot>,
    inherited: Vec<String>,
}

impl<'a> Source<'a> {
    /// The text in `range`; empty if the range is not in the text (never, for parser spans).
    fn slice(&self, range: Range<usize>) -> &'a str {
        self.text.get(range).unwrap_or_default()
    }

    /// The 1-based line of a byte offset.
    fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        1 + self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
    }

    fn file(&self) -> String {
        self.path.to_owned()
    }

    /// The range of the version itself inside a slot (after any `v` prefix) and its value.
    fn version_in(&self, slot: &Slot) -> Result<(Range<usize>, Version), VersionFileError> {
        let text = self.slice(slot.text.clone());
        let prefix = match text.as_bytes().first() {
            Some(b'v' | b'V') if slot.allow_prefix => 1,
            _ => 0,
        };
        match Version::parse(&text[prefix..]) {
            Ok(version) => Ok((slot.text.start + prefix..slot.text.end, version)),
            Err(_) => Err(self.not_semver(&slot.field, slot.raw.clone())),
        }
    }

    fn not_semver(&self, field: &str, raw: Range<usize>) -> VersionFileError {
        VersionFileError::NotSemver {
            file: self.file(),
            line: self.line_of(raw.start),
            field: field.to_owned(),
            found: shown(self.slice(raw)),
        }
    }

    fn unsupported(&self, field: &str, raw: Range<usize>, why: &'static str) -> VersionFileError {
        VersionFileError::Unsupported {
            file: self.file(),
            line: self.line_of(raw.start),
            field: field.to_owned(),
            found: shown(self.slice(raw)),
            why,
        }
    }

    fn missing(&self, format: Format, field: &str, hint: &str) -> VersionFileError {
        VersionFileError::Missing {
            file: self.file(),
            format: format.name(),
            field: field.to_owned(),
            hint: hint.to_owned(),
        }
    }

    fn syntax(&self, format: &'static str, line: usize, message: &str) -> VersionFileError {
        VersionFileError::Syntax {
            file: self.file(),
            format,
            line,
            message: message.trim().to_owned(),
        }
    }

    /// A slot for a quoted (or plain) string value: `raw` is the whole value as written, `open`
    /// and `close` the lengths of its delimiters, `decoded` the parsed value. Errors when the
    /// written text is not the value (escapes, folded lines): it cannot be replaced in place.
    fn string_slot(
        &self,
        field: &str,
        raw: Range<usize>,
        (open, close): (usize, usize),
        decoded: &str,
        allow_prefix: bool,
    ) -> Result<Slot, VersionFileError> {
        let inner = raw.start.saturating_add(open)..raw.end.saturating_sub(close);
        let written = self.text.get(inner.clone()).unwrap_or_default();
        // A TOML multi-line string drops the newline right after its opening quotes.
        let skipped = written.len() - written.trim_start_matches(['\r', '\n']).len();
        if inner.start > inner.end || written.get(skipped..) != Some(decoded) || skipped > 2 {
            return Err(self.unsupported(
                field,
                raw,
                "it is written with escapes or over several lines; write it as a plain quoted \
                 version",
            ));
        }
        Ok(Slot {
            field: field.to_owned(),
            raw,
            text: inner.start + skipped..inner.end,
            allow_prefix,
        })
    }
}

/// A value as written, for messages: in backticks, shortened if long, or `empty`.
fn shown(raw: &str) -> String {
    let raw = raw.trim();
    if raw.is_empty() {
        return "empty".to_owned();
    }
    let mut short: String = raw.chars().take(60).collect();
    if short.len() < raw.len() {
        short.push('…');
    }
    format!("`{}`", short.replace('\n', "\\n").replace('\r', "\\r"))
}

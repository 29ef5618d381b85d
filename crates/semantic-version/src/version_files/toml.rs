//! `Cargo.toml`, `Cargo.lock` and `pyproject.toml`, located with `toml_edit`'s spans.
//!
//! `toml_edit::Document` (the parsed, not the mutable one) keeps the byte range of every value in
//! the original text; only the string's contents inside its quotes are replaced, so the quote
//! style (`"…"`, `'…'`, `"""…"""`), the spacing and the comments around it stay as written.

use std::collections::BTreeSet;
use std::ops::Range;

use toml_edit::{Document, Item, TableLike, Value};

use super::{Format, Found, Slot, Source, VersionFileError};

fn parse<'a>(file: &Source<'a>) -> Result<Document<&'a str>, VersionFileError> {
    Document::parse(file.text).map_err(|e| {
        let offset = e.span().map_or(0, |span| span.start);
        file.syntax("TOML", file.line_of(offset), e.message())
    })
}

/// `table.key` as a table (a `[table]`, a dotted key or an inline table).
fn table<'d>(parent: &'d dyn TableLike, key: &str) -> Option<&'d dyn TableLike> {
    parent.get(key).and_then(Item::as_table_like)
}

/// The byte range of an item, or an empty range at the start when the parser gave none.
fn span_of(item: &Item) -> Range<usize> {
    item.span().unwrap_or(0..0)
}

/// A string value's slot, or an error showing what the value is.
fn string_slot(file: &Source, field: &str, item: &Item) -> Result<Slot, VersionFileError> {
    let raw = span_of(item);
    match item {
        Item::Value(Value::String(s)) => {
            let written = file.slice(raw.clone());
            let quote = if written.starts_with("\"\"\"") || written.starts_with("'''") {
                3
            } else {
                1
            };
            file.string_slot(field, raw, (quote, quote), s.value(), false)
        }
        _ => Err(file.not_semver(field, raw)),
    }
}

/// `{ workspace = true }` or `version.workspace = true`.
fn inherits(item: &Item) -> bool {
    item.as_table_like()
        .and_then(|t| t.get("workspace"))
        .and_then(Item::as_bool)
        == Some(true)
}

/// `package.version` and `workspace.package.version`; an inherited `package.version` is left
/// alone. At least one of them must be there.
pub(super) fn cargo_toml(file: &Source) -> Result<Found, VersionFileError> {
    let doc = parse(file)?;
    let root = doc.as_table();
    let mut found = Found::default();
    let workspace_version = table(root, "workspace")
        .and_then(|w| table(w, "package"))
        .and_then(|p| p.get("version"));
    if let Some(version) = workspace_version {
        found
            .slots
            .push(string_slot(file, "workspace.package.version", version)?);
    }
    if let Some(version) = table(root, "package").and_then(|p| p.get("version")) {
        if inherits(version) {
            found.inherited.push("package.version".to_owned());
        } else {
            found
                .slots
                .push(string_slot(file, "package.version", version)?);
        }
    }
    if found.slots.is_empty() && found.inherited.is_empty() {
        let hint = if root.contains_key("workspace") && !root.contains_key("package") {
            "a virtual workspace root carries the version in `[workspace.package] version`, \
             which its members inherit with `version.workspace = true`"
        } else {
            "add `version = \"…\"` under `[package]` (Cargo's default 0.0.0 is not a release \
             version), or drop this file from the version files"
        };
        return Err(file.missing(Format::CargoToml, "package.version", hint));
    }
    Ok(found)
}

/// The `version` of each `[[package]]` without `source` whose `name` is in `packages`; every
/// name must be found.
pub(super) fn cargo_lock(
    file: &Source,
    packages: &BTreeSet<String>,
) -> Result<Found, VersionFileError> {
    if packages.is_empty() {
        return Err(VersionFileError::NoCargoPackages { file: file.file() });
    }
    let doc = parse(file)?;
    let mut found = Found::default();
    let mut seen = BTreeSet::new();
    let entries = doc
        .as_table()
        .get("package")
        .and_then(Item::as_array_of_tables);
    for entry in entries.into_iter().flat_map(|a| a.iter()) {
        let Some(name) = entry.get("name").and_then(Item::as_str) else {
            continue;
        };
        if entry.contains_key("source") || !packages.contains(name) {
            continue;
        }
        let field = format!("package[name = {name:?}].version");
        let Some(version) = entry.get("version") else {
            return Err(file.missing(
                Format::CargoLock,
                &field,
                "run `cargo update --workspace` to regenerate the lock file",
            ));
        };
        found.slots.push(string_slot(file, &field, version)?);
        seen.insert(name);
    }
    if let Some(package) = packages.iter().find(|p| !seen.contains(p.as_str())) {
        return Err(VersionFileError::MissingLockPackage {
            file: file.file(),
            package: package.clone(),
        });
    }
    Ok(found)
}

/// `project.version` (PEP 621) and `tool.poetry.version`: either or both; neither is an error,
/// which says the version is dynamic when `project.dynamic` lists it.
pub(super) fn pyproject(file: &Source) -> Result<Found, VersionFileError> {
    let doc = parse(file)?;
    let root = doc.as_table();
    let mut found = Found::default();
    let project = table(root, "project");
    if let Some(version) = project.and_then(|p| p.get("version")) {
        found
            .slots
            .push(string_slot(file, "project.version", version)?);
    }
    let poetry = table(root, "tool").and_then(|t| table(t, "poetry"));
    if let Some(version) = poetry.and_then(|p| p.get("version")) {
        found
            .slots
            .push(string_slot(file, "tool.poetry.version", version)?);
    }
    if found.slots.is_empty() {
        let dynamic = project
            .and_then(|p| p.get("dynamic"))
            .and_then(Item::as_array)
            .is_some_and(|a| a.iter().any(|v| v.as_str() == Some("version")));
        if dynamic {
            return Err(VersionFileError::DynamicVersion { file: file.file() });
        }
        let field = if poetry.is_some() && project.is_none() {
            "tool.poetry.version"
        } else {
            "project.version"
        };
        return Err(file.missing(
            Format::Pyproject,
            field,
            "add `version = \"…\"` under `[project]` (or `[tool.poetry]`), or drop this file \
             from the version files",
        ));
    }
    Ok(found)
}

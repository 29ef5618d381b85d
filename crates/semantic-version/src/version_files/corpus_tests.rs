//! The corpus: real version files (tests/fixtures/version-files, listed in its index.json with
//! where each came from) bumped to new versions. In each, only version lines change, each of
//! them only in its version, and another parser reads the new version in every field.

use std::collections::BTreeSet;
use std::path::Path;

use semver::Version;
use serde::Deserialize;

use super::check::{assert_only_versions, fields_by_other_parser};
use super::{BumpContext, Format, bump, format_of};

#[derive(Deserialize)]
struct Index {
    files: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    /// The fixture, relative to the corpus directory.
    file: String,
    /// The file name it is bumped under (which picks the format).
    #[serde(rename = "as")]
    as_name: String,
    /// Where it came from.
    origin: String,
    /// `bump`, `inherited` or `error: <part of the message>`.
    expect: String,
    #[serde(default)]
    cargo_packages: Vec<String>,
}

fn corpus_dir() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/version-files"
    ))
}

/// Checks one corpus file; the failures, as messages.
fn check(entry: &Entry, new: &Version) -> Result<(), String> {
    let path = corpus_dir().join(&entry.file);
    let before = std::fs::read_to_string(&path).map_err(|e| format!("read: {e}"))?;
    let format = format_of(&entry.as_name);
    let ctx = BumpContext {
        cargo_packages: entry.cargo_packages.iter().cloned().collect(),
    };
    let result = bump(&entry.file, format, &before, new, &ctx);
    match (entry.expect.as_str(), result) {
        ("bump", Ok(bumped)) => {
            if bumped.changes.is_empty() {
                return Err("no field changed".to_owned());
            }
            let lines = assert_only_versions(&before, &bumped.content, new);
            let mut reported: Vec<usize> = bumped.changes.iter().map(|c| c.line).collect();
            reported.dedup();
            if lines != reported {
                return Err(format!("changed lines {lines:?}, reported {reported:?}"));
            }
            let old = fields_by_other_parser(format, &before, &ctx);
            let now = fields_by_other_parser(format, &bumped.content, &ctx);
            if format != Format::Marker && now.len() != bumped.changes.len() {
                return Err(format!("fields {now:?}, changes {:?}", bumped.changes));
            }
            for ((field, value), change) in now.iter().zip(&bumped.changes) {
                if *value != new.to_string() {
                    return Err(format!("{field} reads {value:?} after the bump"));
                }
                let was = old
                    .iter()
                    .find(|(f, _)| f == field)
                    .map(|(_, v)| v.as_str());
                if was != Some(change.old.to_string().as_str()) {
                    return Err(format!("{field} was {was:?}, reported {}", change.old));
                }
            }
            Ok(())
        }
        ("inherited", Ok(bumped)) => {
            if bumped.content != before || !bumped.changes.is_empty() || bumped.inherited.is_empty()
            {
                return Err(format!("expected no change, got {:?}", bumped.changes));
            }
            Ok(())
        }
        (expect, Err(error)) if expect.starts_with("error: ") => {
            let message = error.to_string();
            let part = &expect["error: ".len()..];
            if message.contains(part) && message.contains(&entry.file) {
                Ok(())
            } else {
                Err(format!(
                    "the error {message:?} lacks {part:?} or the file name"
                ))
            }
        }
        (expect, Ok(_)) => Err(format!("bumped, expected {expect}")),
        (expect, Err(error)) => Err(format!("expected {expect}, got: {error}")),
    }
}

#[test]
fn every_corpus_file_changes_only_in_its_versions() {
    let index: Index =
        serde_json::from_str(&std::fs::read_to_string(corpus_dir().join("index.json")).unwrap())
            .unwrap();
    assert!(
        index.files.len() >= 30,
        "the corpus has {} files",
        index.files.len()
    );
    let mut failures = Vec::new();
    for new in ["97.3.1-rc.2", "100.0.0", "0.0.1+build.7"] {
        let new = Version::parse(new).unwrap();
        for entry in &index.files {
            // A panic inside the line check is a failure of this file too.
            let result = std::panic::catch_unwind(|| check(entry, &new))
                .unwrap_or_else(|_| Err("the line check failed (see above)".to_owned()));
            if let Err(why) = result {
                failures.push(format!(
                    "{} ({}), to {new}: {why}",
                    entry.file, entry.origin
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every fixture is listed, and every format the corpus can hold is there.
    let listed: BTreeSet<&str> = index.files.iter().map(|e| e.file.as_str()).collect();
    let mut on_disk = Vec::new();
    let mut dirs = vec![corpus_dir().to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let relative = path.strip_prefix(corpus_dir()).unwrap();
                on_disk.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    for file in &on_disk {
        assert!(
            file == "index.json" || listed.contains(file.as_str()),
            "{file} is not in index.json"
        );
    }
    let formats: BTreeSet<&str> = index
        .files
        .iter()
        .map(|e| format_of(&e.as_name).name())
        .collect();
    for format in [
        Format::CargoToml,
        Format::CargoLock,
        Format::PackageJson,
        Format::PackageLock,
        Format::Pyproject,
        Format::Plain,
    ] {
        assert!(
            formats.contains(format.name()),
            "no {} in the corpus",
            format.name()
        );
    }
}

//! Results → output values. Pure: the caller writes them through the runner.
//!
//! dorny/paths-filter's outputs, in its order (`<filter>`, `<filter>_count`, `<filter>_files`,
//! then `changes`), plus what a matrix needs: `<filter>_dirs`, `matrix`, and `result-file`
//! for lists too big for an output.

use std::collections::BTreeSet;

use std::io::Write;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::change::{Change, ChangeStatus};
use crate::list_format::{ListFormat, format};
use crate::matching::{FileMatch, FilterResult, Side};

/// One file a filter matched, as the filter saw it: the old path of a rename is a deletion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MatchedFile<'a> {
    pub path: &'a str,
    #[serde(serialize_with = "status_name")]
    pub status: ChangeStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_path: Option<&'a str>,
}

fn status_name<S: Serializer>(status: &ChangeStatus, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(status.as_str())
}

impl<'a> MatchedFile<'a> {
    /// A change as a filter sees its new path.
    pub fn of(change: &'a Change) -> Self {
        MatchedFile {
            path: &change.path,
            status: change.status,
            previous_path: change.previous_path.as_deref(),
        }
    }

    /// One match of a filter: the new path of its change, or the old path of a rename, which
    /// the filter saw as deleted.
    pub fn from_match(m: &FileMatch, changes: &'a [Change]) -> Option<Self> {
        let change = changes.get(m.change)?;
        Some(match m.side {
            Side::New => MatchedFile::of(change),
            Side::Old => MatchedFile {
                path: change.previous_path.as_deref()?,
                status: ChangeStatus::Deleted,
                previous_path: None,
            },
        })
    }
}

/// One filter's outcome: its name, the files it matched in input order (read from the
/// evaluation's matches on demand, not copied), and their directories.
#[derive(Debug, Clone)]
pub struct Outcome<'a> {
    pub name: &'a str,
    matches: &'a [FileMatch],
    changes: &'a [Change],
    pub dirs: Vec<String>,
}

impl<'a> Outcome<'a> {
    pub fn new(name: &'a str, matches: &'a [FileMatch], changes: &'a [Change]) -> Self {
        let mut outcome = Outcome {
            name,
            matches,
            changes,
            dirs: Vec::new(),
        };
        outcome.dirs = dirs(outcome.files());
        outcome
    }

    pub fn count(&self) -> usize {
        self.matches.len()
    }

    pub fn changed(&self) -> bool {
        !self.matches.is_empty()
    }

    pub fn files(&self) -> impl Iterator<Item = MatchedFile<'a>> + 'a {
        let changes = self.changes;
        self.matches
            .iter()
            .filter_map(move |m| MatchedFile::from_match(m, changes))
    }
}

/// Pairs each filter result with the changes it points into.
pub fn outcomes<'a>(results: &'a [FilterResult], changes: &'a [Change]) -> Vec<Outcome<'a>> {
    results
        .iter()
        .map(|r| Outcome::new(&r.name, &r.files, changes))
        .collect()
}

/// Outputs that are ours, not a filter's; a filter with one of these names would overwrite it.
pub const FIXED_OUTPUTS: &[&str] = &["changes", "matrix", "result-file", "compared"];

/// Suffixes of per-filter outputs.
const SUFFIXES: &[&str] = &["", "_count", "_files", "_dirs"];

/// Every output the binary can write for these filter names, for the contract test and the
/// collision check.
pub fn output_names(filters: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = FIXED_OUTPUTS.iter().map(|s| s.to_string()).collect();
    for f in filters {
        names.extend(SUFFIXES.iter().map(|s| format!("{f}{s}")));
    }
    names
}

/// Filter names that would write the same output twice (`changes`, or `a_count` beside `a`),
/// or that the runner cannot take as an output name.
pub fn check_filter_names(filters: &[&str]) -> Result<(), String> {
    for f in filters {
        if f.contains(['\n', '\r', '=']) || f.contains("<<") {
            return Err(format!(
                "filter name '{}' cannot be an output name (it contains a line break, '=' or '<<'); rename the filter",
                f.escape_debug()
            ));
        }
        if FIXED_OUTPUTS.contains(f) {
            return Err(format!(
                "filter name '{f}' is also an output of paths-filter; rename the filter (reserved: {})",
                FIXED_OUTPUTS.join(", ")
            ));
        }
    }
    let mut seen = std::collections::HashMap::new();
    for f in filters {
        for suffix in SUFFIXES {
            let output = format!("{f}{suffix}");
            if let Some(other) = seen.insert(output.clone(), *f)
                && other != *f
            {
                return Err(format!(
                    "filters '{other}' and '{f}' both write output '{output}'; rename one of them"
                ));
            }
        }
    }
    Ok(())
}

/// The directories of changed files: each file's parent (`.` for the repository root),
/// sorted, once each.
pub fn dirs<'a>(files: impl Iterator<Item = MatchedFile<'a>>) -> Vec<String> {
    let set: BTreeSet<&str> = files
        .map(|c| match c.path.rfind('/') {
            Some(i) => &c.path[..i],
            None => ".",
        })
        .collect();
    set.into_iter().map(str::to_string).collect()
}

/// The output values, and the names of the ones left out because they exceed `max_size`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct OutputValues {
    pub values: Vec<(String, String)>,
    pub oversized: Vec<Oversized>,
}

impl OutputValues {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An output left unset because its value is larger than `max-output-size`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Oversized {
    pub name: String,
    /// Its size in bytes, or `None` when building it was stopped at the limit.
    pub size: Option<usize>,
}

/// Every output value in a `Vec` (for tests and small results; [`emit`] streams).
pub fn build(outcomes: &[Outcome<'_>], list_files: ListFormat, max_size: usize) -> OutputValues {
    let mut values = Vec::new();
    let oversized = emit(outcomes, list_files, max_size, |name, value| {
        values.push((name.to_string(), value.to_string()));
        Ok::<(), std::convert::Infallible>(())
    })
    .unwrap_or_else(|never| match never {});
    OutputValues { values, oversized }
}

/// Hands each output to `sink` as soon as it is built, so only one filter's values are in
/// memory at a time: dorny's outputs in its order (`<f>`, `<f>_count`, `<f>_files`), then
/// `<f>_dirs`, then `changes` and `matrix`. Returns the outputs left out for their size.
pub fn emit<E>(
    outcomes: &[Outcome<'_>],
    list_files: ListFormat,
    max_size: usize,
    mut sink: impl FnMut(&str, &str) -> Result<(), E>,
) -> Result<Vec<Oversized>, E> {
    let mut oversized = Vec::new();
    let mut put = |name: String, value: &str, oversized: &mut Vec<Oversized>| {
        if value.len() > max_size {
            oversized.push(Oversized {
                name,
                size: Some(value.len()),
            });
            Ok(())
        } else {
            sink(&name, value)
        }
    };
    let mut changed: Vec<&str> = Vec::new();
    for o in outcomes {
        put(o.name.to_string(), bool_str(o.changed()), &mut oversized)?;
        put(
            format!("{}_count", o.name),
            &o.count().to_string(),
            &mut oversized,
        )?;
        if list_files != ListFormat::None {
            let paths: Vec<&str> = o.files().map(|c| c.path).collect();
            put(
                format!("{}_files", o.name),
                &format(&paths, list_files),
                &mut oversized,
            )?;
        }
        let dirs = serde_json::to_string(&o.dirs).unwrap_or_default();
        put(format!("{}_dirs", o.name), &dirs, &mut oversized)?;
        if o.changed() {
            changed.push(o.name);
        }
    }
    let changes = serde_json::to_string(&changed).unwrap_or_default();
    put("changes".into(), &changes, &mut oversized)?;
    match matrix(outcomes, list_files, max_size) {
        Some(matrix) => put("matrix".into(), &matrix, &mut oversized)?,
        None => oversized.push(Oversized {
            name: "matrix".into(),
            size: None,
        }),
    }
    Ok(oversized)
}

fn bool_str(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

/// One job of the matrix: a changed filter.
#[derive(Serialize)]
struct MatrixEntry<'a> {
    filter: &'a str,
    count: usize,
    dirs: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    files: Option<Vec<&'a str>>,
}

/// `{"include": [...]}` of the changed filters, or `None` as soon as it grows past `max_size`
/// (it would not be set anyway, and building it in full could take a lot of memory).
fn matrix(outcomes: &[Outcome<'_>], list_files: ListFormat, max_size: usize) -> Option<String> {
    let mut out = Bounded {
        buf: Vec::new(),
        limit: max_size,
    };
    out.buf.extend_from_slice(b"{\"include\":[");
    let mut first = true;
    for o in outcomes.iter().filter(|o| o.changed()) {
        if !first {
            out.buf.push(b',');
        }
        first = false;
        let entry = MatrixEntry {
            filter: o.name,
            count: o.count(),
            dirs: &o.dirs,
            files: (list_files != ListFormat::None).then(|| o.files().map(|f| f.path).collect()),
        };
        serde_json::to_writer(&mut out, &entry).ok()?;
    }
    out.buf.extend_from_slice(b"]}");
    String::from_utf8(out.buf).ok()
}

/// A buffer that refuses to grow past `limit`.
struct Bounded {
    buf: Vec<u8>,
    limit: usize,
}

impl Write for Bounded {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.buf.len() + data.len() > self.limit {
            return Err(std::io::Error::other("over max-output-size"));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Writes everything, whatever its size, as JSON to `out` (the file named by `result-file`):
/// `{"compared", "filters": {name: {"changed", "count", "files": [{"path", "status",
/// "previous_path"?}], "dirs"}}}`. Streamed: nothing is built in memory first.
pub fn write_result_document(
    out: impl Write,
    outcomes: &[Outcome<'_>],
    compared: &str,
) -> serde_json::Result<()> {
    serde_json::to_writer(
        out,
        &ResultDocument {
            compared,
            filters: Filters(outcomes),
        },
    )
}

#[derive(Serialize)]
struct ResultDocument<'a> {
    compared: &'a str,
    filters: Filters<'a>,
}

struct Filters<'a>(&'a [Outcome<'a>]);

impl Serialize for Filters<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for o in self.0 {
            map.serialize_entry(
                o.name,
                &FilterDocument {
                    changed: o.changed(),
                    count: o.count(),
                    files: Files(o),
                    dirs: &o.dirs,
                },
            )?;
        }
        map.end()
    }
}

#[derive(Serialize)]
struct FilterDocument<'a> {
    changed: bool,
    count: usize,
    files: Files<'a, 'a>,
    dirs: &'a [String],
}

/// A filter's files, serialized as they are read.
struct Files<'o, 'a>(&'o Outcome<'a>);

impl Serialize for Files<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.files())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::change::ChangeStatus;

    /// Matches of every change's new path.
    fn all(changes: &[Change]) -> Vec<FileMatch> {
        (0..changes.len())
            .map(|change| FileMatch {
                change,
                side: Side::New,
            })
            .collect()
    }

    #[test]
    fn dorny_outputs_in_order_plus_dirs_and_matrix() {
        let changes = [
            Change::new("services/api/main.rs", ChangeStatus::Modified),
            Change::new("README.md", ChangeStatus::Added),
        ];
        let matches = all(&changes);
        let outcomes = [
            Outcome::new("api", &matches, &changes),
            Outcome::new("web", &[], &changes),
        ];
        let out = build(&outcomes, ListFormat::Json, 1 << 20);
        let names: Vec<&str> = out.values.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "api",
                "api_count",
                "api_files",
                "api_dirs",
                "web",
                "web_count",
                "web_files",
                "web_dirs",
                "changes",
                "matrix"
            ]
        );
        assert_eq!(out.get("api"), Some("true"));
        assert_eq!(out.get("web"), Some("false"));
        assert_eq!(out.get("api_count"), Some("2"));
        assert_eq!(out.get("api_dirs"), Some(r#"[".","services/api"]"#));
        assert_eq!(out.get("web_files"), Some("[]"));
        assert_eq!(out.get("changes"), Some(r#"["api"]"#));
        assert_eq!(
            out.get("matrix"),
            Some(
                r#"{"include":[{"filter":"api","count":2,"dirs":[".","services/api"],"files":["services/api/main.rs","README.md"]}]}"#
            )
        );
    }

    #[test]
    fn no_files_outputs_without_list_files() {
        let out = build(&[Outcome::new("x", &[], &[])], ListFormat::None, 1 << 20);
        assert_eq!(out.get("x_files"), None);
        assert_eq!(out.get("matrix"), Some(r#"{"include":[]}"#));
    }

    #[test]
    fn oversized_values_are_left_out_and_reported() {
        let changes: Vec<Change> = (0..200)
            .map(|i| Change::new(format!("src/file-{i:04}.rs"), ChangeStatus::Added))
            .collect();
        let matches = all(&changes);
        let outcome = Outcome::new("big", &matches, &changes);
        let out = build(&[outcome], ListFormat::Json, 1024);
        assert_eq!(out.get("big_files"), None);
        assert_eq!(out.get("big"), Some("true"));
        assert_eq!(
            out.oversized,
            [
                Oversized {
                    name: "big_files".into(),
                    size: Some(200 * 18 + 199 + 2)
                },
                Oversized {
                    name: "matrix".into(),
                    size: None
                }
            ]
        );
    }

    #[test]
    fn result_document_streams_every_file_with_its_status() {
        let changes = [Change::renamed("old/a.rs", "new/a.rs")];
        let matches = [
            FileMatch {
                change: 0,
                side: Side::New,
            },
            FileMatch {
                change: 0,
                side: Side::Old,
            },
        ];
        let outcome = Outcome::new("x", &matches, &changes);
        let mut buf = Vec::new();
        write_result_document(&mut buf, &[outcome], "git diff a..b").unwrap();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            r#"{"compared":"git diff a..b","filters":{"x":{"changed":true,"count":2,"files":[{"path":"new/a.rs","status":"renamed","previous_path":"old/a.rs"},{"path":"old/a.rs","status":"deleted"}],"dirs":["new","old"]}}}"#
        );
    }

    #[test]
    fn colliding_and_reserved_filter_names_are_refused() {
        assert!(check_filter_names(&["api", "web"]).is_ok());
        assert_eq!(
            check_filter_names(&["a", "a_count"]).unwrap_err(),
            "filters 'a' and 'a_count' both write output 'a_count'; rename one of them"
        );
        assert!(
            check_filter_names(&["changes"])
                .unwrap_err()
                .starts_with("filter name 'changes' is also an output of paths-filter")
        );
        assert!(
            check_filter_names(&["a=b"])
                .unwrap_err()
                .contains("'a=b' cannot be an output name")
        );
    }
}

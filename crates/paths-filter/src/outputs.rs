//! Results → output values. Pure: the caller writes them through the runner.
//!
//! dorny/paths-filter's outputs, in its order (`<filter>`, `<filter>_count`, `<filter>_files`,
//! then `changes`), plus what a matrix needs: `<filter>_dirs`, `matrix`, and `result-file`
//! for lists too big for an output.
//!
//! Speed: many filters list the same files (dorny's `[dir/**, '!**/*.md']` lists nearly every
//! file), so each file is written once, as a list element and as a result file entry
//! ([`Texts`]), and each list is copies of those pieces, files that follow each other in one
//! copy. A list's size is known before it is built: one over `max-output-size` is not built.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{IoSlice, Write};

use serde::Serialize;
use serde::Serializer;

use crate::change::{Change, ChangeStatus};
use crate::list_format::{ListFormat, json_string};
use crate::matching::{FileMatch, FilterResult, FilterSlots, Side};

mod texts;

pub use texts::Texts;
use texts::slot;

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
        Self::from_slot(slot(m), changes)
    }

    /// [`MatchedFile::from_match`] of a [`FilterSlots`](crate::matching::FilterSlots) slot.
    fn from_slot(slot: usize, changes: &'a [Change]) -> Option<Self> {
        let change = changes.get(slot / 2)?;
        let side = if slot.is_multiple_of(2) {
            Side::New
        } else {
            Side::Old
        };
        Some(match side {
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
    /// The files, as matches or as slots (one of the two is empty).
    matches: &'a [FileMatch],
    slots: &'a [u32],
    changes: &'a [Change],
    pub dirs: Vec<String>,
}

impl<'a> Outcome<'a> {
    pub fn new(name: &'a str, matches: &'a [FileMatch], changes: &'a [Change]) -> Self {
        let mut outcome = Outcome {
            name,
            matches,
            slots: &[],
            changes,
            dirs: Vec::new(),
        };
        outcome.dirs = dirs(outcome.files());
        outcome
    }

    /// [`Outcome::new`] with the directories read from `texts` (made for `changes`): no path
    /// is looked at again.
    pub fn with_texts(
        name: &'a str,
        matches: &'a [FileMatch],
        changes: &'a [Change],
        texts: &Texts,
        seen: &mut Vec<bool>,
    ) -> Self {
        let mut outcome = Outcome {
            name,
            matches,
            slots: &[],
            changes,
            dirs: Vec::new(),
        };
        outcome.dirs = outcome.dirs_from(texts, seen);
        outcome
    }

    /// [`Outcome::with_texts`] of a filter's [`FilterSlots`] slots.
    pub fn with_slots(
        name: &'a str,
        slots: &'a [u32],
        changes: &'a [Change],
        texts: &Texts,
        seen: &mut Vec<bool>,
    ) -> Self {
        let mut outcome = Outcome {
            name,
            matches: &[],
            slots,
            changes,
            dirs: Vec::new(),
        };
        outcome.dirs = outcome.dirs_from(texts, seen);
        outcome
    }

    /// The directories of the files, read from `texts`.
    fn dirs_from(&self, texts: &Texts, seen: &mut Vec<bool>) -> Vec<String> {
        seen.clear();
        seen.resize(texts.dirs.len(), false);
        // Files listed one after the other are mostly in one directory.
        let mut last = u32::MAX;
        for slot in self.slot_list() {
            if let Some(&dir) = texts.dir.get(slot)
                && dir != last
                && let Some(seen) = seen.get_mut(dir as usize)
            {
                *seen = true;
                last = dir;
            }
        }
        texts
            .dirs
            .iter()
            .zip(seen.iter())
            .filter(|(_, seen)| **seen)
            .map(|(dir, _)| dir.clone())
            .collect()
    }

    pub fn count(&self) -> usize {
        self.matches.len() + self.slots.len()
    }

    pub fn changed(&self) -> bool {
        self.count() > 0
    }

    pub fn files(&self) -> impl Iterator<Item = MatchedFile<'a>> + 'a {
        let changes = self.changes;
        self.slot_list()
            .filter_map(move |slot| MatchedFile::from_slot(slot, changes))
    }

    /// The files as [`Texts`] slots, in order.
    fn slot_list(&self) -> impl Iterator<Item = usize> + Clone + 'a {
        let matches: &'a [FileMatch] = self.matches;
        let slots: &'a [u32] = self.slots;
        matches
            .iter()
            .map(slot)
            .chain(slots.iter().map(|&s| s as usize))
    }
}

/// Pairs each filter result with the changes it points into.
pub fn outcomes<'a>(results: &'a [FilterResult], changes: &'a [Change]) -> Vec<Outcome<'a>> {
    results
        .iter()
        .map(|r| Outcome::new(&r.name, &r.files, changes))
        .collect()
}

/// [`outcomes`] with the directories read from `texts` (made for `changes`).
pub fn outcomes_with<'a>(
    results: &'a [FilterResult],
    changes: &'a [Change],
    texts: &Texts,
) -> Vec<Outcome<'a>> {
    let mut seen = Vec::new();
    results
        .iter()
        .map(|r| Outcome::with_texts(&r.name, &r.files, changes, texts, &mut seen))
        .collect()
}

/// [`outcomes_with`] of results as [`FilterSlots`].
pub fn outcomes_with_slots<'a>(
    results: &'a [FilterSlots],
    changes: &'a [Change],
    texts: &Texts,
) -> Vec<Outcome<'a>> {
    let mut seen = Vec::new();
    results
        .iter()
        .map(|r| Outcome::with_slots(&r.name, &r.slots, changes, texts, &mut seen))
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

/// [`emit_with`] the texts of the outcomes' changes.
pub fn emit<E>(
    outcomes: &[Outcome<'_>],
    list_files: ListFormat,
    max_size: usize,
    sink: impl FnMut(&str, &str) -> Result<(), E>,
) -> Result<Vec<Oversized>, E> {
    emit_with(outcomes, &Texts::of(outcomes, list_files), max_size, sink)
}

/// Hands each output to `sink` as soon as it is built, so only one filter's values are in
/// memory at a time: dorny's outputs in its order (`<f>`, `<f>_count`, `<f>_files`), then
/// `<f>_dirs`, then `changes` and `matrix`. Returns the outputs left out for their size (a
/// list that would be too large is not built). `texts` are those of the outcomes' changes,
/// and say how files are listed.
pub fn emit_with<E>(
    outcomes: &[Outcome<'_>],
    texts: &Texts,
    max_size: usize,
    sink: impl FnMut(&str, &str) -> Result<(), E>,
) -> Result<Vec<Oversized>, E> {
    emit_with_matrix(
        outcomes,
        texts,
        max_size,
        || matrix(outcomes, texts, max_size),
        sink,
    )
}

/// [`emit_with`], the value of `matrix` given by `matrix` (the [`matrix_value`] of the same
/// outcomes, texts and size; made elsewhere, on another thread, while the others are set).
pub fn emit_with_matrix<E>(
    outcomes: &[Outcome<'_>],
    texts: &Texts,
    max_size: usize,
    matrix: impl FnOnce() -> Option<String>,
    mut sink: impl FnMut(&str, &str) -> Result<(), E>,
) -> Result<Vec<Oversized>, E> {
    let list_files = texts.list_files;
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
    let mut value = String::new();
    for o in outcomes {
        put(o.name.to_string(), bool_str(o.changed()), &mut oversized)?;
        put(
            format!("{}_count", o.name),
            &o.count().to_string(),
            &mut oversized,
        )?;
        if list_files != ListFormat::None {
            let name = format!("{}_files", o.name);
            let (open, _, close) = list_files.frame();
            let slots = || o.slot_list();
            let size = texts.elements.list_len(slots(), (open, close));
            if size > max_size {
                oversized.push(Oversized {
                    name,
                    size: Some(size),
                });
            } else {
                value.clear();
                value.reserve(size);
                let _ = texts.elements.write_list(slots(), (open, close), |text| {
                    value.push_str(text);
                    Ok::<(), ()>(())
                });
                put(name, &value, &mut oversized)?;
            }
        }
        value.clear();
        dirs_json(&o.dirs, &mut value);
        put(format!("{}_dirs", o.name), &value, &mut oversized)?;
        if o.changed() {
            changed.push(o.name);
        }
    }
    let changes = serde_json::to_string(&changed).unwrap_or_default();
    put("changes".into(), &changes, &mut oversized)?;
    match matrix() {
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

/// Appends directories as a JSON array.
fn dirs_json(dirs: &[String], out: &mut String) {
    out.push('[');
    for (i, dir) in dirs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_string(dir, out);
    }
    out.push(']');
}

/// The value of the `matrix` output, `None` when it is larger than `max_size` (see
/// [`emit_with_matrix`]).
pub fn matrix_value(outcomes: &[Outcome<'_>], texts: &Texts, max_size: usize) -> Option<String> {
    matrix(outcomes, texts, max_size)
}

/// `{"include": [...]}` of the changed filters (`{"filter", "count", "dirs", "files"}`, the
/// files only with `list-files`), or `None` when it is larger than `max_size` without its
/// closing `]}` (it would not be set anyway, and building it in full could take a lot of
/// memory).
fn matrix(outcomes: &[Outcome<'_>], texts: &Texts, max_size: usize) -> Option<String> {
    let list = texts.list_files != ListFormat::None;
    // The list elements are JSON strings for `json` (and `none`); otherwise each file is
    // written here.
    let json_elements = texts.list_files == ListFormat::Json;
    let mut entries = Vec::new();
    let mut size = r#"{"include":["#.len();
    for o in outcomes.iter().filter(|o| o.changed()) {
        let mut entry = String::new();
        entry.push_str(r#"{"filter":"#);
        json_string(o.name, &mut entry);
        let _ = write!(entry, r#","count":{},"dirs":"#, o.count());
        dirs_json(&o.dirs, &mut entry);
        let files = if !list {
            0
        } else if json_elements {
            r#","files":"#.len() + texts.elements.list_len(o.slot_list(), ("[", "]"))
        } else {
            entry.push_str(r#","files":["#);
            for (i, file) in o.files().enumerate() {
                if i > 0 {
                    entry.push(',');
                }
                json_string(file.path, &mut entry);
                if size + entry.len() > max_size {
                    return None;
                }
            }
            entry.push(']');
            0
        };
        size += usize::from(!entries.is_empty()) + entry.len() + files + 1;
        if size > max_size {
            return None;
        }
        entries.push((o, entry));
    }
    let mut out = String::with_capacity(size + 2);
    out.push_str(r#"{"include":["#);
    for (i, (o, entry)) in entries.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(entry);
        if list && json_elements {
            out.push_str(r#","files":"#);
            let _ = texts
                .elements
                .write_list(o.slot_list(), ("[", "]"), |text| {
                    out.push_str(text);
                    Ok::<(), ()>(())
                });
        }
        out.push('}');
    }
    out.push_str("]}");
    Some(out)
}

/// Writes everything, whatever its size, as JSON to `out` (the file named by `result-file`):
/// `{"compared", "filters": {name: {"changed", "count", "files": [{"path", "status",
/// "previous_path"?}], "dirs"}}}`. Streamed: nothing is built in memory first.
pub fn write_result_document(
    out: impl Write,
    outcomes: &[Outcome<'_>],
    compared: &str,
) -> serde_json::Result<()> {
    write_result_document_with(
        out,
        outcomes,
        &Texts::of(outcomes, ListFormat::None),
        compared,
    )
}

/// [`write_result_document`] from the texts of the outcomes' changes: each file's entry is a
/// copy of its text.
pub fn write_result_document_with(
    mut out: impl Write,
    outcomes: &[Outcome<'_>],
    texts: &Texts,
    compared: &str,
) -> serde_json::Result<()> {
    let mut head = String::new();
    head.push_str(r#"{"compared":"#);
    json_string(compared, &mut head);
    head.push_str(r#","filters":{"#);
    for (i, o) in outcomes.iter().enumerate() {
        if i > 0 {
            head.push(',');
        }
        json_string(o.name, &mut head);
        let _ = write!(
            head,
            r#":{{"changed":{},"count":{},"files":"#,
            o.changed(),
            o.count()
        );
        out.write_all(head.as_bytes())
            .map_err(serde_json::Error::io)?;
        head.clear();
        texts
            .entries
            .write_list(o.slot_list(), ("[", "]"), |text| {
                out.write_all(text.as_bytes())
            })
            .map_err(serde_json::Error::io)?;
        head.push_str(r#","dirs":"#);
        dirs_json(&o.dirs, &mut head);
        head.push('}');
    }
    head.push_str("}}");
    out.write_all(head.as_bytes())
        .map_err(serde_json::Error::io)
}

/// How many pieces go to one `writev` (Linux's `IOV_MAX`).
const SLICES: usize = 1024;

/// [`write_result_document_with`] in few large writes: the pieces of `texts` go to `out`
/// from where they are (`write_vectored`), not copied through a buffer first; for the file
/// named by `result-file`, which is as large as every list together.
pub fn write_result_document_vectored(
    out: &mut impl Write,
    outcomes: &[Outcome<'_>],
    texts: &Texts,
    compared: &str,
) -> serde_json::Result<()> {
    // The text before each filter's list (the last one closes the document).
    let mut between = Vec::with_capacity(outcomes.len() + 1);
    let mut head = String::new();
    head.push_str(r#"{"compared":"#);
    json_string(compared, &mut head);
    head.push_str(r#","filters":{"#);
    for (i, o) in outcomes.iter().enumerate() {
        if i > 0 {
            head.push(',');
        }
        json_string(o.name, &mut head);
        let _ = write!(
            head,
            r#":{{"changed":{},"count":{},"files":"#,
            o.changed(),
            o.count()
        );
        between.push(std::mem::take(&mut head));
        head.push_str(r#","dirs":"#);
        dirs_json(&o.dirs, &mut head);
        head.push('}');
    }
    head.push_str("}}");
    between.push(head);
    let mut slices: Vec<IoSlice<'_>> = Vec::with_capacity(SLICES);
    for (i, before) in between.iter().enumerate() {
        slices.push(IoSlice::new(before.as_bytes()));
        let Some(o) = outcomes.get(i) else {
            continue;
        };
        texts
            .entries
            .write_list(o.slot_list(), ("[", "]"), |text| {
                slices.push(IoSlice::new(text.as_bytes()));
                if slices.len() < SLICES {
                    return Ok(());
                }
                write_all_vectored(out, &mut slices)
            })
            .map_err(serde_json::Error::io)?;
    }
    write_all_vectored(out, &mut slices).map_err(serde_json::Error::io)
}

/// `write_all` for `slices`, which it empties (`Write::write_all_vectored` is not stable).
fn write_all_vectored(out: &mut impl Write, all: &mut Vec<IoSlice<'_>>) -> std::io::Result<()> {
    let mut slices = all.as_mut_slice();
    IoSlice::advance_slices(&mut slices, 0);
    while !slices.is_empty() {
        match out.write_vectored(slices) {
            Ok(0) => return Err(std::io::Error::from(std::io::ErrorKind::WriteZero)),
            Ok(n) => IoSlice::advance_slices(&mut slices, n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    all.clear();
    Ok(())
}

#[cfg(test)]
mod tests;

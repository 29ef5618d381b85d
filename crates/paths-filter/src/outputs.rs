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

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io::Write;

use serde::Serialize;
use serde::Serializer;

use crate::change::{Change, ChangeStatus};
use crate::list_format::{ListFormat, json_string};
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

    /// [`Outcome::new`] with the directories read from `texts` (made for `changes`): no path
    /// is looked at again.
    pub fn with_texts(
        name: &'a str,
        matches: &'a [FileMatch],
        changes: &'a [Change],
        texts: &Texts,
        seen: &mut Vec<bool>,
    ) -> Self {
        seen.clear();
        seen.resize(texts.dirs.len(), false);
        for m in matches {
            if let Some(&dir) = texts.dir.get(slot(m))
                && let Some(seen) = seen.get_mut(dir as usize)
            {
                *seen = true;
            }
        }
        let dirs = texts
            .dirs
            .iter()
            .zip(seen.iter())
            .filter(|(_, seen)| **seen)
            .map(|(dir, _)| dir.clone())
            .collect();
        Outcome {
            name,
            matches,
            changes,
            dirs,
        }
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

/// A match's place in [`Texts`]: two per change, its new path and its old path.
fn slot(m: &FileMatch) -> usize {
    2 * m.change + usize::from(m.side == Side::Old)
}

/// What the outputs of every filter repeat, written once per run rather than once per filter
/// that lists it: each path as a result file entry (`{"path":…,"status":…}`) and as an
/// element of a `list-files` list, each after its separator (`,`, or ` ` for `shell` and
/// `escape`), and its directory. A list is then copies of these pieces, and files listed one
/// after the other whose pieces are too are one copy.
#[derive(Debug, Default)]
pub struct Texts {
    list_files: ListFormat,
    /// Per slot ([`slot`]): `,` and the result file entry; empty when the slot has no path
    /// (the old side of a change that is not a rename or copy).
    entries: Pieces,
    /// Per slot: the separator and the path as an element of a `list_files` list (for
    /// `none`, of a JSON list: what the matrix lists).
    elements: Pieces,
    /// Per slot: its directory, an index into `dirs` (`u32::MAX` for no path).
    dir: Vec<u32>,
    /// The directories of the paths, sorted, once each (`.` for the top).
    dirs: Vec<String>,
}

/// Texts one after the other, and where each is.
#[derive(Debug, Default)]
struct Pieces {
    text: String,
    at: Vec<(usize, usize)>,
}

impl Pieces {
    fn with_capacity(pieces: usize, text: usize) -> Pieces {
        Pieces {
            text: String::with_capacity(text),
            at: Vec::with_capacity(pieces),
        }
    }

    /// Ends the piece written since the last call.
    fn end_piece(&mut self) {
        let start = self.at.last().map_or(0, |&(_, end)| end);
        self.at.push((start, self.text.len()));
    }

    /// The length of the list of the pieces `slots` between `open` and `close`: the pieces
    /// less the first one's separator (pieces of no path are skipped).
    fn list_len(&self, slots: impl Iterator<Item = usize>, (open, close): (&str, &str)) -> usize {
        let len: usize = slots
            .filter_map(|i| self.at.get(i))
            .map(|(start, end)| end - start)
            .sum();
        open.len() + len.saturating_sub(1) + close.len()
    }

    /// Writes the list of the pieces `slots` through `write`, between `open` and `close`:
    /// runs of pieces that follow each other in `text` are written at once.
    fn write_list<E>(
        &self,
        slots: impl Iterator<Item = usize>,
        (open, close): (&str, &str),
        mut write: impl FnMut(&str) -> Result<(), E>,
    ) -> Result<(), E> {
        write(open)?;
        let mut first = true;
        let mut run: Option<(usize, usize)> = None;
        let mut flush = |(start, end): (usize, usize), first: &mut bool| {
            // The first piece of the list goes without its separator (one ASCII byte).
            let start = if std::mem::take(first) {
                start + 1
            } else {
                start
            };
            write(self.text.get(start..end).unwrap_or_default())
        };
        for (start, end) in slots.filter_map(|i| self.at.get(i).copied()) {
            if start == end {
                continue;
            }
            run = match run {
                Some((run_start, run_end)) if run_end == start => Some((run_start, end)),
                Some(done) => {
                    flush(done, &mut first)?;
                    Some((start, end))
                }
                None => Some((start, end)),
            };
        }
        if let Some(done) = run {
            flush(done, &mut first)?;
        }
        write(close)
    }
}

impl Texts {
    /// The texts of every path of `changes`, for lists in `list_files`.
    pub fn new<'c>(changes: &'c [Change], list_files: ListFormat) -> Texts {
        let slots = 2 * changes.len();
        let text = changes.iter().map(|c| c.path.len()).sum::<usize>();
        let mut texts = Texts {
            list_files,
            entries: Pieces::with_capacity(slots, text + changes.len() * 32),
            elements: Pieces::with_capacity(slots, text + changes.len() * 4),
            dir: Vec::with_capacity(slots),
            dirs: Vec::new(),
        };
        let (_, separator, _) = list_files.frame();
        let separator = if list_files == ListFormat::None {
            ","
        } else {
            separator
        };
        // Directories get ids as they are met (git lists paths in order, so the last one is
        // usually the one), then are sorted.
        let mut ids: HashMap<&'c str, u32> = HashMap::new();
        let mut last: Option<(&'c str, u32)> = None;
        let mut dir_id = |path: &'c str| -> u32 {
            let dir = match path.rfind('/') {
                Some(i) => &path[..i],
                None => ".",
            };
            if let Some((last_dir, id)) = last
                && last_dir == dir
            {
                return id;
            }
            let next = u32::try_from(ids.len()).unwrap_or(u32::MAX);
            let id = *ids.entry(dir).or_insert(next);
            last = Some((dir, id));
            id
        };
        for change in changes {
            let sides = [
                Some((
                    change.path.as_str(),
                    change.status,
                    change.previous_path.as_deref(),
                )),
                change
                    .previous_path
                    .as_deref()
                    .map(|old| (old, ChangeStatus::Deleted, None)),
            ];
            for side in sides {
                if let Some((path, status, previous)) = side {
                    let text = &mut texts.entries.text;
                    text.push_str(r#",{"path":"#);
                    let json_at = text.len();
                    json_string(path, text);
                    let json = json_at..text.len();
                    text.push_str(r#","status":""#);
                    text.push_str(status.as_str());
                    text.push('"');
                    if let Some(previous) = previous {
                        text.push_str(r#","previous_path":"#);
                        json_string(previous, text);
                    }
                    text.push('}');
                    let elements = &mut texts.elements.text;
                    elements.push_str(separator);
                    match list_files {
                        // The JSON string is in the entry already.
                        ListFormat::None | ListFormat::Json => {
                            elements.push_str(texts.entries.text.get(json).unwrap_or_default());
                        }
                        format => format.write_element(path, elements),
                    }
                    texts.dir.push(dir_id(path));
                } else {
                    texts.dir.push(u32::MAX);
                }
                texts.entries.end_piece();
                texts.elements.end_piece();
            }
        }
        let mut dirs: Vec<(&str, u32)> = ids.into_iter().collect();
        dirs.sort_unstable();
        let mut sorted = vec![0u32; dirs.len()];
        for (rank, (_, id)) in dirs.iter().enumerate() {
            if let Some(place) = sorted.get_mut(*id as usize) {
                *place = u32::try_from(rank).unwrap_or(u32::MAX);
            }
        }
        for id in &mut texts.dir {
            if let Some(&rank) = sorted.get(*id as usize) {
                *id = rank;
            }
        }
        texts.dirs = dirs.into_iter().map(|(dir, _)| dir.to_owned()).collect();
        texts
    }

    /// The texts of the changes the outcomes point into (all point into the same ones).
    fn of(outcomes: &[Outcome<'_>], list_files: ListFormat) -> Texts {
        match outcomes.first() {
            Some(o) => Texts::new(o.changes, list_files),
            None => Texts::default(),
        }
    }
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
            let slots = || o.matches.iter().map(slot);
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
    match matrix(outcomes, texts, max_size) {
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
            r#","files":"#.len()
                + texts
                    .elements
                    .list_len(o.matches.iter().map(slot), ("[", "]"))
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
                .write_list(o.matches.iter().map(slot), ("[", "]"), |text| {
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
            .write_list(o.matches.iter().map(slot), ("[", "]"), |text| {
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

    /// The outputs as they were written before [`Texts`]: serde and `list_format::format`
    /// for each filter on its own.
    mod reference {
        use super::super::*;
        use crate::list_format::format;

        #[derive(Serialize)]
        struct MatrixEntry<'a> {
            filter: &'a str,
            count: usize,
            dirs: &'a [String],
            #[serde(skip_serializing_if = "Option::is_none")]
            files: Option<Vec<&'a str>>,
        }

        pub fn files(o: &Outcome<'_>, list_files: ListFormat) -> String {
            let paths: Vec<&str> = o.files().map(|c| c.path).collect();
            format(&paths, list_files)
        }

        pub fn matrix(outcomes: &[Outcome<'_>], list_files: ListFormat) -> String {
            let entries: Vec<MatrixEntry<'_>> = outcomes
                .iter()
                .filter(|o| o.changed())
                .map(|o| MatrixEntry {
                    filter: o.name,
                    count: o.count(),
                    dirs: &o.dirs,
                    files: (list_files != ListFormat::None)
                        .then(|| o.files().map(|f| f.path).collect()),
                })
                .collect();
            format!(
                r#"{{"include":{}}}"#,
                serde_json::to_string(&entries).unwrap()
            )
        }

        #[derive(Serialize)]
        struct Filter<'a> {
            changed: bool,
            count: usize,
            files: Vec<MatchedFile<'a>>,
            dirs: &'a [String],
        }

        pub fn result_document(outcomes: &[Outcome<'_>], compared: &str) -> String {
            let mut filters = String::new();
            for (i, o) in outcomes.iter().enumerate() {
                if i > 0 {
                    filters.push(',');
                }
                let filter = Filter {
                    changed: o.changed(),
                    count: o.count(),
                    files: o.files().collect(),
                    dirs: &o.dirs,
                };
                filters.push_str(&serde_json::to_string(o.name).unwrap());
                filters.push(':');
                filters.push_str(&serde_json::to_string(&filter).unwrap());
            }
            format!(
                r#"{{"compared":{},"filters":{{{filters}}}}}"#,
                serde_json::to_string(compared).unwrap()
            )
        }
    }

    /// Lists made of [`Texts`] pieces are byte for byte those made for each filter on its own:
    /// names that need escaping in every format, renames (both sides, in listing order),
    /// copies, a match of an old side that does not exist, and sizes around the limit.
    #[test]
    fn lists_from_texts_equal_lists_made_one_by_one() {
        let odd = [
            "README.md",
            "a b/c,d.txt",
            "quote\"d/back\\slash",
            "new\nline/tab\tand\u{1}",
            "café/ünï.rs",
            "emoji/😀 x$(y)",
            "it's/\"both\" 'kinds'",
            "src/main.rs",
            "src/lib.rs",
        ];
        let mut changes: Vec<Change> = odd
            .iter()
            .map(|p| Change::new(*p, ChangeStatus::Modified))
            .collect();
        changes.push(Change::renamed("z/old name.rs", "b/new\"name.rs"));
        changes.push(Change {
            path: "copy/of main.rs".into(),
            status: ChangeStatus::Copied,
            previous_path: Some("src/main.rs".into()),
        });
        changes.push(Change::new("x", ChangeStatus::Deleted));
        let new = |change| FileMatch {
            change,
            side: Side::New,
        };
        let old = |change| FileMatch {
            change,
            side: Side::Old,
        };
        let every: Vec<FileMatch> = (0..changes.len()).map(new).collect();
        let mut with_old = every.clone();
        with_old.push(old(9));
        with_old.push(old(0)); // no such path: not listed
        let listing = crate::change::Listing::git_no_renames(&changes);
        let mut listed = with_old.clone();
        listed.sort_by_key(|m| listing.rank(m.change, m.side));
        let some = vec![new(1), new(2), new(5), new(8), old(9), new(10)];
        let olds = vec![old(9)];
        let sets: [(&str, &[FileMatch]); 6] = [
            ("every", &every),
            ("with \"old\"", &with_old),
            ("listed", &listed),
            ("some", &some),
            ("old-only", &olds),
            ("none", &[]),
        ];
        let outcomes: Vec<Outcome<'_>> = sets
            .iter()
            .map(|(name, matches)| Outcome::new(name, matches, &changes))
            .collect();
        for list_files in [
            ListFormat::None,
            ListFormat::Csv,
            ListFormat::Json,
            ListFormat::Shell,
            ListFormat::Escape,
        ] {
            let texts = Texts::new(&changes, list_files);
            let fast = outcomes_with(&[], &changes, &texts);
            assert!(fast.is_empty());
            for o in &outcomes {
                let with = Outcome::with_texts(o.name, o.matches, &changes, &texts, &mut vec![]);
                assert_eq!(with.dirs, o.dirs, "{}", o.name);
            }
            for max_size in [1 << 20, 1024, 100, 300] {
                let got = build(&outcomes, list_files, max_size);
                let mut want = Vec::new();
                let mut oversized = Vec::new();
                let mut put = |name: String, value: String| {
                    if value.len() > max_size {
                        oversized.push(Oversized {
                            name,
                            size: Some(value.len()),
                        });
                    } else {
                        want.push((name, value));
                    }
                };
                let mut changed = vec![];
                for o in &outcomes {
                    put(o.name.to_string(), o.changed().to_string());
                    put(format!("{}_count", o.name), o.count().to_string());
                    if list_files != ListFormat::None {
                        put(format!("{}_files", o.name), reference::files(o, list_files));
                    }
                    put(
                        format!("{}_dirs", o.name),
                        serde_json::to_string(&o.dirs).unwrap(),
                    );
                    if o.changed() {
                        changed.push(o.name);
                    }
                }
                put("changes".into(), serde_json::to_string(&changed).unwrap());
                let matrix = reference::matrix(&outcomes, list_files);
                if matrix.len() - 2 > max_size {
                    oversized.push(Oversized {
                        name: "matrix".into(),
                        size: None,
                    });
                } else {
                    put("matrix".into(), matrix);
                }
                assert_eq!(got.values, want, "{list_files} {max_size}");
                assert_eq!(got.oversized, oversized, "{list_files} {max_size}");
            }
            let mut doc = Vec::new();
            write_result_document_with(&mut doc, &outcomes, &texts, "git diff \"a\"..b").unwrap();
            assert_eq!(
                String::from_utf8(doc).unwrap(),
                reference::result_document(&outcomes, "git diff \"a\"..b"),
                "{list_files}"
            );
        }
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

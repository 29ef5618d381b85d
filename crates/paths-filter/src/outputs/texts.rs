//! [`Texts`]: each changed path written once, as a result file entry and as a list element,
//! so that every list is copies of these pieces.

use super::Outcome;
use crate::change::{Change, ChangeStatus};
use crate::fast_hash::FastMap;
use crate::list_format::{ListFormat, json_string};
use crate::matching::{FileMatch, Side};

/// A match's place in [`Texts`]: two per change, its new path and its old path.
pub(super) fn slot(m: &FileMatch) -> usize {
    2 * m.change + usize::from(m.side == Side::Old)
}

/// What the outputs of every filter repeat, written once per run rather than once per filter
/// that lists it: each path as a result file entry (`{"path":…,"status":…}`) and as an
/// element of a `list-files` list, each after its separator (`,`, or ` ` for `shell` and
/// `escape`), and its directory. A list is then copies of these pieces, and files listed one
/// after the other whose pieces are too are one copy.
#[derive(Debug, Default)]
pub struct Texts {
    pub(super) list_files: ListFormat,
    /// Per slot ([`slot`]): `,` and the result file entry; empty when the slot has no path
    /// (the old side of a change that is not a rename or copy).
    pub(super) entries: Pieces,
    /// Per slot: the separator and the path as an element of a `list_files` list (for
    /// `none`, of a JSON list: what the matrix lists).
    pub(super) elements: Pieces,
    /// Per slot: its directory, an index into `dirs` (`u32::MAX` for no path).
    pub(super) dir: Vec<u32>,
    /// The directories of the paths, sorted, once each (`.` for the top).
    pub(super) dirs: Vec<String>,
}

/// Texts one after the other, and where each begins and ends: piece `i` is
/// `text[bounds[i]..bounds[i + 1]]` (each begins where the one before ends).
#[derive(Debug, Default)]
pub(super) struct Pieces {
    text: String,
    bounds: Vec<usize>,
}

impl Pieces {
    fn with_capacity(pieces: usize, text: usize) -> Pieces {
        let mut bounds = Vec::with_capacity(pieces + 1);
        bounds.push(0);
        Pieces {
            text: String::with_capacity(text),
            bounds,
        }
    }

    /// Ends the piece written since the last call.
    fn end_piece(&mut self) {
        self.bounds.push(self.text.len());
    }

    /// Where piece `i` is in `text`.
    fn at(&self, i: usize) -> Option<(usize, usize)> {
        match self.bounds.get(i..i + 2)? {
            &[start, end] => Some((start, end)),
            _ => None,
        }
    }

    /// The length of the list of the pieces `slots` between `open` and `close`: the pieces
    /// less the first one's separator (pieces of no path are skipped).
    pub(super) fn list_len(
        &self,
        slots: impl Iterator<Item = usize>,
        (open, close): (&str, &str),
    ) -> usize {
        let len: usize = slots
            .filter_map(|i| self.at(i))
            .map(|(start, end)| end - start)
            .sum();
        open.len() + len.saturating_sub(1) + close.len()
    }

    /// Writes the list of the pieces `slots` through `write`, between `open` and `close`:
    /// runs of pieces that follow each other in `text` are written at once.
    pub(super) fn write_list<'t, E>(
        &'t self,
        slots: impl Iterator<Item = usize>,
        (open, close): (&'t str, &'t str),
        mut write: impl FnMut(&'t str) -> Result<(), E>,
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
        for (start, end) in slots.filter_map(|i| self.at(i)) {
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
    pub fn new(changes: &[Change], list_files: ListFormat) -> Texts {
        let slots = 2 * changes.len();
        let text = changes.iter().map(|c| c.path.len()).sum::<usize>();
        let mut texts = Texts {
            list_files,
            // Room for every path without escapes, and the old paths of a few renames.
            entries: Pieces::with_capacity(slots, text + text / 8 + changes.len() * 40),
            elements: Pieces::with_capacity(slots, text + text / 8 + changes.len() * 4),
            dir: Vec::with_capacity(slots),
            dirs: Vec::new(),
        };
        let (_, separator, _) = list_files.frame();
        let separator = if list_files == ListFormat::None {
            ","
        } else {
            separator
        };
        let mut dirs = DirIds::default();
        for change in changes {
            texts.side(
                &change.path,
                change.status,
                change.previous_path.as_deref(),
                separator,
                &mut dirs,
            );
            match change.previous_path.as_deref() {
                Some(old) => texts.side(old, ChangeStatus::Deleted, None, separator, &mut dirs),
                None => {
                    texts.dir.push(u32::MAX);
                    texts.entries.end_piece();
                    texts.elements.end_piece();
                }
            }
        }
        let (sorted, names) = dirs.sorted();
        for id in &mut texts.dir {
            if let Some(&rank) = sorted.get(*id as usize) {
                *id = rank;
            }
        }
        texts.dirs = names;
        texts
    }

    /// The pieces of one path of a change (its status as the filter sees that path).
    fn side<'c>(
        &mut self,
        path: &'c str,
        status: ChangeStatus,
        previous: Option<&str>,
        separator: &str,
        dirs: &mut DirIds<'c>,
    ) {
        let entry = &mut self.entries.text;
        entry.push_str(r#",{"path":"#);
        let json_at = entry.len();
        json_string(path, entry);
        let json_end = entry.len();
        entry.push_str(r#","status":""#);
        entry.push_str(status.as_str());
        match previous {
            Some(previous) => {
                entry.push_str(r#"","previous_path":"#);
                json_string(previous, entry);
                entry.push('}');
            }
            None => entry.push_str(r#""}"#),
        }
        let element = &mut self.elements.text;
        element.push_str(separator);
        match self.list_files {
            // The JSON string is in the entry already.
            ListFormat::None | ListFormat::Json => {
                element.push_str(entry.get(json_at..json_end).unwrap_or_default());
            }
            format => format.write_element(path, element),
        }
        self.entries.end_piece();
        self.elements.end_piece();
        self.dir.push(dirs.id(path));
    }

    /// The texts of the changes the outcomes point into (all point into the same ones).
    pub(super) fn of(outcomes: &[Outcome<'_>], list_files: ListFormat) -> Texts {
        match outcomes.first() {
            Some(o) => Texts::new(o.changes, list_files),
            None => Texts::default(),
        }
    }
}

/// Directories numbered as they are met (git lists paths in order, so the last one is
/// usually the one), then ranked in sorted order.
#[derive(Default)]
struct DirIds<'c> {
    ids: FastMap<&'c str, u32>,
    last: Option<(&'c str, u32)>,
}

impl<'c> DirIds<'c> {
    /// The number of the directory of `path` (`.` for the top).
    fn id(&mut self, path: &'c str) -> u32 {
        let dir = match path.as_bytes().iter().rposition(|&b| b == b'/') {
            Some(i) => &path[..i],
            None => ".",
        };
        if let Some((last, id)) = self.last
            && last == dir
        {
            return id;
        }
        let next = u32::try_from(self.ids.len()).unwrap_or(u32::MAX);
        let id = *self.ids.entry(dir).or_insert(next);
        self.last = Some((dir, id));
        id
    }

    /// For each number, its directory's rank in sorted order; and the directories, sorted.
    fn sorted(self) -> (Vec<u32>, Vec<String>) {
        let mut dirs: Vec<(&str, u32)> = self.ids.into_iter().collect();
        dirs.sort_unstable();
        let mut rank = vec![0u32; dirs.len()];
        for (r, (_, id)) in dirs.iter().enumerate() {
            if let Some(place) = rank.get_mut(*id as usize) {
                *place = u32::try_from(r).unwrap_or(u32::MAX);
            }
        }
        (
            rank,
            dirs.into_iter().map(|(dir, _)| dir.to_owned()).collect(),
        )
    }
}

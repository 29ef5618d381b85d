//! From the places a form wants changed ([`Slot`]s) to the new text: each scalar is replaced in
//! its own bytes, each added line or entry is inserted at one offset, and nothing else moves.
//! Changes reached only through an alias are refused (they would change the anchor's other
//! uses too); a value that is already right is not touched.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use granit_parser::ScalarStyle;

use super::scalar::{plain_is_string, render, render_new};
use super::tree::{At, NodeId, Tree};
use super::{Change, EditError, Edited};

/// What to do at one place.
#[derive(Debug)]
pub(super) enum Op {
    /// Replace a scalar's value. `requote`: also rewrite a plain value that already reads
    /// `value` but that YAML resolves to a non-string (Helm reads `tag: 1.10` as 1.1).
    Set {
        at: At,
        value: String,
        requote: bool,
    },
    /// Insert `text` at byte `offset`, inside the collection `owner` (`None`: the document).
    Insert {
        owner: Option<At>,
        offset: usize,
        text: String,
    },
}

/// One place to change, and how to report it.
#[derive(Debug)]
pub(super) struct Slot {
    pub(super) op: Op,
    pub(super) field: String,
    pub(super) old: Option<String>,
    pub(super) new: String,
}

impl Slot {
    /// Set the scalar at `at` to `value`.
    pub(super) fn set(tree: &Tree<'_>, at: &At, field: impl Into<String>, value: &str) -> Slot {
        Slot {
            op: Op::Set {
                at: at.clone(),
                value: value.to_owned(),
                requote: false,
            },
            field: field.into(),
            old: tree.str(at).map(str::to_owned),
            new: value.to_owned(),
        }
    }

    /// Like [`Slot::set`], also quoting a plain value that is already `value` but is not a
    /// string for YAML.
    pub(super) fn set_string(
        tree: &Tree<'_>,
        at: &At,
        field: impl Into<String>,
        value: &str,
    ) -> Slot {
        let mut slot = Slot::set(tree, at, field, value);
        if let Op::Set { requote, .. } = &mut slot.op {
            *requote = true;
        }
        slot
    }
}

fn unsupported(tree: &Tree<'_>, id: NodeId, field: &str, why: impl Into<String>) -> EditError {
    EditError::Unsupported {
        line: tree.line_at(id),
        field: field.to_owned(),
        why: why.into(),
    }
}

/// Where the value of a key written with nothing after its `:` goes: just after the `:`.
fn after_colon(tree: &Tree<'_>, byte: usize) -> Option<usize> {
    let rest = tree.text.get(byte..)?;
    let skipped = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    rest[skipped..]
        .starts_with(':')
        .then_some(byte + skipped + 1)
}

/// The bytes of a block scalar's (`|`, `>-`, …) only line, when the scalar holds one line and
/// `new` can take its place: Argo CD and go-yaml write long strings (`kustomize.images`) as
/// `>-` followed by the string on the next line. `None` when it holds more than one line (a
/// folded scalar's lines join with spaces, so that is not one reference) or `new` cannot be a
/// block scalar's line.
fn block_line(tree: &Tree<'_>, at: &At, new: &str) -> Option<Range<usize>> {
    let span = tree.node(at.id).span.clone();
    let raw = tree.text.get(span.clone())?;
    let end = raw.find('\n').unwrap_or(raw.len());
    let line = raw[..end].trim_end_matches([' ', '\t', '\r']);
    let single = raw[end..].chars().all(char::is_whitespace);
    let value = tree.str(at)?;
    let writable = !new.is_empty()
        && !new.starts_with([' ', '\t'])
        && !new.ends_with([' ', '\t'])
        && !new.chars().any(char::is_control);
    (single && writable && !line.is_empty() && value == line)
        .then(|| span.start..span.start + line.len())
}

/// The new text, with the slots applied.
pub(super) fn apply(tree: &Tree<'_>, slots: Vec<Slot>) -> Result<Edited, EditError> {
    // Nodes that some slot reaches where they are written: changing them is what was asked.
    let direct: HashSet<NodeId> = slots
        .iter()
        .filter_map(|slot| match &slot.op {
            Op::Set { at, .. }
            | Op::Insert {
                owner: Some(at), ..
            } => at.via.is_empty().then_some(at.id),
            Op::Insert { owner: None, .. } => None,
        })
        .collect();
    let through_alias = |at: &At, field: &str| -> Result<(), EditError> {
        match at.via.last() {
            Some(&alias) if !direct.contains(&at.id) => {
                let name = tree.source(alias).trim_start_matches('*');
                let anchor = tree.at(alias, vec![]).id;
                Err(EditError::Unsupported {
                    line: tree.line_at(alias),
                    field: field.to_owned(),
                    why: format!(
                        "it is reached through the alias `*{name}`, which stands for `&{name}` \
                         at line {}; changing it there would also change every other place that \
                         uses `&{name}`. Write the value here instead of the alias, or set it \
                         where `&{name}` is defined",
                        tree.line_at(anchor)
                    ),
                })
            }
            _ => Ok(()),
        }
    };
    let mut set: HashMap<NodeId, String> = HashMap::new();
    // (bytes replaced, new bytes, change); inserts have an empty range.
    let mut edits: Vec<(Range<usize>, String, Change)> = Vec::new();
    for slot in slots {
        match slot.op {
            Op::Set { at, value, requote } => {
                if let Some(earlier) = set.get(&at.id) {
                    if *earlier == value {
                        continue;
                    }
                    return Err(unsupported(
                        tree,
                        at.id,
                        &slot.field,
                        format!(
                            "the value is shared (through an anchor) with a place that gets \
                             `{earlier}`, and this one would get `{value}`; write them apart"
                        ),
                    ));
                }
                set.insert(at.id, value.clone());
                let Some((_, style)) = tree.scalar(&at) else {
                    return Err(unsupported(
                        tree,
                        at.id,
                        &slot.field,
                        "it is a mapping or a list, not a string; write the reference as a string",
                    ));
                };
                let current = tree.str(&at).unwrap_or("");
                let null = tree.is_null(&at);
                let misread =
                    requote && style == ScalarStyle::Plain && !null && !plain_is_string(current);
                if current == value && !misread {
                    continue;
                }
                through_alias(&at, &slot.field)?;
                let in_flow = tree.in_flow(at.id);
                let span = tree.node(at.id).span.clone();
                let (range, bytes) = if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded)
                {
                    let Some(line) = block_line(tree, &at, &value) else {
                        return Err(unsupported(
                            tree,
                            at.id,
                            &slot.field,
                            "it is a block scalar (`|` or `>`) over several lines; write it as a \
                             plain or quoted scalar",
                        ));
                    };
                    (line, value.clone())
                } else if span.is_empty() {
                    // `key:` with nothing after it: the value goes after the colon.
                    let Some(at_colon) = after_colon(tree, span.start) else {
                        return Err(unsupported(
                            tree,
                            at.id,
                            &slot.field,
                            "it is an empty node without a `key:` before it; write a value there",
                        ));
                    };
                    (
                        at_colon..at_colon,
                        format!(" {}", render_new(&value, in_flow)),
                    )
                } else {
                    match render(style, &value, in_flow) {
                        Some(bytes) => (span, bytes),
                        None => {
                            return Err(unsupported(
                                tree,
                                at.id,
                                &slot.field,
                                "it cannot be written in its style; write it as a plain or \
                                 quoted scalar",
                            ));
                        }
                    }
                };
                let change = Change {
                    line: tree.line(range.start),
                    field: slot.field,
                    old: slot.old,
                    new: slot.new,
                };
                edits.push((range, bytes, change));
            }
            Op::Insert {
                owner,
                offset,
                text,
            } => {
                if let Some(owner) = &owner {
                    through_alias(owner, &slot.field)?;
                }
                let line = tree.line(offset) + usize::from(text.starts_with(['\r', '\n']));
                let change = Change {
                    line,
                    field: slot.field,
                    old: slot.old,
                    new: slot.new,
                };
                edits.push((offset..offset, text, change));
            }
        }
    }
    // Stable: inserts at one offset stay in the order they were planned.
    edits.sort_by_key(|(range, ..)| (range.start, range.end));
    let mut out = String::with_capacity(tree.text.len() + 64);
    let mut at = 0;
    let mut changes = Vec::with_capacity(edits.len());
    for (range, bytes, change) in edits {
        if range.start < at {
            return Err(EditError::Unsupported {
                line: change.line,
                field: change.field,
                why: "two changes overlap; this file needs to be edited by hand".to_owned(),
            });
        }
        out.push_str(&tree.text[at..range.start]);
        out.push_str(&bytes);
        at = range.end;
        changes.push(change);
    }
    out.push_str(&tree.text[at..]);
    Ok(Edited { text: out, changes })
}

/// Where and what to insert so that a mapping gets `key: value`: in a block mapping, a line with
/// the mapping's indentation after the line of the first of `after` that the mapping has (or
/// after its last entry); in a flow mapping, `, key: value` after that entry's value.
pub(super) fn insert_key(
    tree: &Tree<'_>,
    map: &At,
    after: &[&str],
    key: &str,
    value: &str,
) -> Result<(usize, String), EditError> {
    let entries = tree.raw_entries(map);
    let node = tree.node(map.id);
    let key_text = |id: NodeId| tree.scalar(&tree.at(id, vec![])).map(|(t, _)| t.to_owned());
    let after_value = after
        .iter()
        .find_map(|k| {
            entries
                .iter()
                .find(|(kid, _)| key_text(*kid).as_deref() == Some(*k))
        })
        .or(entries.last())
        .map(|&(_, v)| v);
    if node.flow {
        let entry = format!("{key}: {}", render_new(value, true));
        return Ok(match after_value {
            Some(v) if !tree.node(v).span.is_empty() => {
                (tree.node(v).span.end, format!(", {entry}"))
            }
            Some(_) => (node.span.end.saturating_sub(1), format!(", {entry}")),
            None => (node.span.start + 1, entry),
        });
    }
    let Some(&(first_key, _)) = entries.first() else {
        return Err(EditError::Unsupported {
            line: tree.line_at(map.id),
            field: key.to_owned(),
            why: "the mapping has no entries to align a new one with".to_owned(),
        });
    };
    let indent = " ".repeat(tree.column(tree.node(first_key).span.start));
    let end = after_value.map_or(node.span.end, |v| tree.node(v).span.end);
    let (offset, needs_eol) = tree.after_line(end);
    let eol = tree.eol();
    let line = format!("{indent}{key}: {}", render_new(value, false));
    Ok(if needs_eol {
        (offset, format!("{eol}{line}"))
    } else {
        (offset, format!("{line}{eol}"))
    })
}

//! A YAML node tree with byte spans, built from granit-parser's events.
//!
//! granit-parser reports each event with a span whose `byte_range` is in bytes of the input
//! (its `Marker::index` counts characters, so it is never used here). The tree keeps, for every
//! node, the bytes it was written with; the forms walk it with [`At`], which remembers the
//! aliases it went through, so that a change reached through an alias can be refused.
//!
//! Spans as the parser gives them, and as they are kept:
//! - a scalar: its text, with its quotes, without its tag or anchor; a block scalar (`|`, `>`)
//!   covers its content only (trailing indentation of the next line trimmed here);
//! - an empty (null) value: an empty span at the end of its key, before the `:`;
//! - a flow collection: from its opening to its closing bracket;
//! - a block collection: from its first child to the end of its last child (computed here; the
//!   parser's end event sits at the next token).

use std::collections::HashMap;
use std::ops::Range;

use granit_parser::{Event, Options, Parser, ScalarStyle, StructureStyle};

use super::EditError;

pub(super) type NodeId = usize;

#[derive(Debug)]
pub(super) enum Kind {
    Scalar { value: String, style: ScalarStyle },
    Map { entries: Vec<(NodeId, NodeId)> },
    Seq { items: Vec<NodeId> },
    Alias { anchor: usize },
}

#[derive(Debug)]
pub(super) struct Node {
    pub(super) kind: Kind,
    pub(super) span: Range<usize>,
    /// A collection written in flow style (`{…}`, `[…]`).
    pub(super) flow: bool,
    pub(super) parent: Option<NodeId>,
}

/// One document of the stream.
#[derive(Debug)]
pub(super) struct Doc {
    pub(super) root: NodeId,
    /// Whether the document ends with an explicit `...`.
    pub(super) explicit_end: bool,
}

/// A node as reached from a document's root: `id` is never an alias; `via` holds the alias
/// nodes followed on the way (empty: the node is where it is written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct At {
    pub(super) id: NodeId,
    pub(super) via: Vec<NodeId>,
}

#[derive(Debug)]
pub(super) struct Tree<'t> {
    pub(super) text: &'t str,
    nodes: Vec<Node>,
    pub(super) docs: Vec<Doc>,
    /// Anchor id → the node that defines it.
    anchors: HashMap<usize, NodeId>,
    /// Byte offset of the start of every line.
    line_starts: Vec<usize>,
}

fn syntax(text: &str, byte: Option<usize>, line: usize, message: impl Into<String>) -> EditError {
    let line = byte.map_or(line, |b| line_of(text, b));
    EditError::Syntax {
        line,
        message: message.into(),
    }
}

fn line_of(text: &str, byte: usize) -> usize {
    text.as_bytes()
        .iter()
        .take(byte)
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

impl<'t> Tree<'t> {
    /// Parses the whole stream; a syntax error anywhere is reported with its line.
    pub(super) fn parse(text: &'t str) -> Result<Tree<'t>, EditError> {
        let mut tree = Tree {
            text,
            nodes: Vec::new(),
            docs: Vec::new(),
            anchors: HashMap::new(),
            line_starts: std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect(),
        };
        // Open collections, with the key waiting for its value (mappings).
        let mut stack: Vec<(NodeId, Option<NodeId>)> = Vec::new();
        let mut root: Option<NodeId> = None;
        // Comments are not needed; and with comment events (the `comments` feature, which
        // another crate of the build may turn on), a run of more than 96 comment lines at some
        // places is refused as "too many buffered comments".
        let mut options = Options::default();
        options.set_emit_comments(false);
        for next in Parser::new_from_str_with_options(text, options) {
            let (event, span) = next
                .map_err(|e| syntax(text, e.marker().byte_offset(), e.marker().line(), e.info()))?;
            let range = span.byte_range().ok_or_else(|| {
                syntax(
                    text,
                    None,
                    span.start.line(),
                    "the YAML parser reported no byte offsets",
                )
            })?;
            match event {
                Event::DocumentStart(..) => root = None,
                Event::DocumentEnd => {
                    if let Some(root) = root.take() {
                        tree.docs.push(Doc {
                            root,
                            explicit_end: !range.is_empty(),
                        });
                    }
                }
                Event::Scalar(value, style, anchor, _) => {
                    let mut range = range;
                    if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
                        // The parser's span runs to the next token: keep the content's lines.
                        let raw = text.get(range.clone()).unwrap_or_default();
                        range.end = range.start + raw.trim_end_matches([' ', '\t']).len();
                    }
                    let id = tree.push(
                        Kind::Scalar {
                            value: value.into_owned(),
                            style,
                        },
                        range,
                        false,
                        anchor,
                    );
                    tree.attach(id, &mut stack, &mut root);
                }
                Event::Alias(anchor) => {
                    let id = tree.push(Kind::Alias { anchor }, range, false, 0);
                    tree.attach(id, &mut stack, &mut root);
                }
                Event::MappingStart(style, anchor, _) => {
                    let flow = style == StructureStyle::Flow;
                    let id = tree.push(Kind::Map { entries: vec![] }, range, flow, anchor);
                    stack.push((id, None));
                }
                Event::SequenceStart(style, anchor, _) => {
                    let flow = style == StructureStyle::Flow;
                    let id = tree.push(Kind::Seq { items: vec![] }, range, flow, anchor);
                    stack.push((id, None));
                }
                Event::MappingEnd | Event::SequenceEnd => {
                    let Some((id, _)) = stack.pop() else {
                        return Err(syntax(text, Some(range.start), 0, "unbalanced collection"));
                    };
                    let end = if tree.nodes[id].flow {
                        range.end
                    } else {
                        tree.children(id)
                            .last()
                            .map_or(tree.nodes[id].span.start, |&c| tree.nodes[c].span.end)
                    };
                    tree.nodes[id].span.end = end.max(tree.nodes[id].span.start);
                    tree.attach(id, &mut stack, &mut root);
                }
                _ => {}
            }
        }
        Ok(tree)
    }

    fn push(&mut self, kind: Kind, span: Range<usize>, flow: bool, anchor: usize) -> NodeId {
        let id = self.nodes.len();
        self.nodes.push(Node {
            kind,
            span,
            flow,
            parent: None,
        });
        if anchor != 0 {
            self.anchors.insert(anchor, id);
        }
        id
    }

    fn attach(
        &mut self,
        id: NodeId,
        stack: &mut [(NodeId, Option<NodeId>)],
        root: &mut Option<NodeId>,
    ) {
        let Some((parent, pending)) = stack.last_mut() else {
            *root = Some(id);
            return;
        };
        self.nodes[id].parent = Some(*parent);
        match &mut self.nodes[*parent].kind {
            Kind::Map { entries } => match pending.take() {
                Some(key) => entries.push((key, id)),
                None => *pending = Some(id),
            },
            Kind::Seq { items } => items.push(id),
            Kind::Scalar { .. } | Kind::Alias { .. } => {}
        }
    }

    /// The children of a collection in written order (keys and values of a mapping).
    fn children(&self, id: NodeId) -> Vec<NodeId> {
        match &self.nodes[id].kind {
            Kind::Map { entries } => entries.iter().flat_map(|&(k, v)| [k, v]).collect(),
            Kind::Seq { items } => items.clone(),
            _ => vec![],
        }
    }

    pub(super) fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    /// The node `id` stands for (following an alias), reached through `via`.
    pub(super) fn at(&self, id: NodeId, mut via: Vec<NodeId>) -> At {
        let mut id = id;
        while let Kind::Alias { anchor } = self.nodes[id].kind {
            match self.anchors.get(&anchor) {
                Some(&target) if target != id => {
                    via.push(id);
                    id = target;
                }
                _ => break,
            }
        }
        At { id, via }
    }

    fn child(&self, parent: &At, id: NodeId) -> At {
        self.at(id, parent.via.clone())
    }

    /// The root of document `doc`.
    pub(super) fn root(&self, doc: usize) -> At {
        self.at(self.docs[doc].root, vec![])
    }

    pub(super) fn is_map(&self, at: &At) -> bool {
        matches!(self.nodes[at.id].kind, Kind::Map { .. })
    }

    pub(super) fn is_seq(&self, at: &At) -> bool {
        matches!(self.nodes[at.id].kind, Kind::Seq { .. })
    }

    /// A scalar's value (`None` for collections); a null is `Some("~")` or `Some("")` here.
    pub(super) fn scalar(&self, at: &At) -> Option<(&str, ScalarStyle)> {
        match &self.nodes[at.id].kind {
            Kind::Scalar { value, style } => Some((value, *style)),
            _ => None,
        }
    }

    /// A scalar's value, `None` for a collection or a null (`~`, `null`, or nothing). A block
    /// scalar's final line breaks are left out (`|` holding `v1` reads `v1`, not `v1\n`).
    pub(super) fn str(&self, at: &At) -> Option<&str> {
        let (value, style) = self.scalar(at)?;
        match style {
            ScalarStyle::Literal | ScalarStyle::Folded => Some(value.trim_end_matches('\n')),
            _ => (!self.is_null(at) || style != ScalarStyle::Plain).then_some(value),
        }
    }

    /// Whether the node is a plain null: `~`, `null`, or nothing at all.
    pub(super) fn is_null(&self, at: &At) -> bool {
        match &self.nodes[at.id].kind {
            Kind::Scalar {
                value,
                style: ScalarStyle::Plain,
            } => {
                self.nodes[at.id].span.is_empty()
                    || matches!(value.as_str(), "~" | "null" | "Null" | "NULL")
            }
            _ => false,
        }
    }

    /// A mapping's entries as written (merge keys not followed), as (key, value).
    pub(super) fn own_entries(&self, at: &At) -> Vec<(At, At)> {
        match &self.nodes[at.id].kind {
            Kind::Map { entries } => entries
                .iter()
                .map(|&(k, v)| (self.child(at, k), self.child(at, v)))
                .collect(),
            _ => vec![],
        }
    }

    /// A mapping's entries as written, as node ids (aliases not followed): where they are in
    /// the text.
    pub(super) fn raw_entries(&self, at: &At) -> Vec<(NodeId, NodeId)> {
        match &self.nodes[at.id].kind {
            Kind::Map { entries } => entries.clone(),
            _ => vec![],
        }
    }

    /// A sequence's items as written, as node ids (aliases not followed).
    pub(super) fn raw_items(&self, at: &At) -> Vec<NodeId> {
        match &self.nodes[at.id].kind {
            Kind::Seq { items } => items.clone(),
            _ => vec![],
        }
    }

    /// A mapping's entries with `<<` merge keys resolved (own keys first, then merged keys that
    /// the mapping does not set itself), as (key text, key, value).
    pub(super) fn entries(&self, at: &At) -> Vec<(String, At, At)> {
        let mut out: Vec<(String, At, At)> = Vec::new();
        let mut merges = Vec::new();
        for (key, value) in self.own_entries(at) {
            match self.scalar(&key) {
                Some(("<<", ScalarStyle::Plain)) => merges.push(value),
                Some((text, _)) => out.push((text.to_owned(), key, value)),
                None => {}
            }
        }
        for merge in merges {
            let sources = if self.is_seq(&merge) {
                self.items(&merge)
            } else {
                vec![merge]
            };
            for source in sources {
                for (text, key, value) in self.entries(&source) {
                    if !out.iter().any(|(t, ..)| *t == text) {
                        out.push((text, key, value));
                    }
                }
            }
        }
        out
    }

    /// The entry `key` of a mapping, as (key, value).
    pub(super) fn entry(&self, at: &At, key: &str) -> Option<(At, At)> {
        self.entries(at)
            .into_iter()
            .find(|(text, ..)| text == key)
            .map(|(_, k, v)| (k, v))
    }

    /// The value at `key` of a mapping.
    pub(super) fn get(&self, at: &At, key: &str) -> Option<At> {
        self.entry(at, key).map(|(_, v)| v)
    }

    /// The value at `key` when it is a non-null scalar.
    pub(super) fn get_str(&self, at: &At, key: &str) -> Option<&str> {
        self.get(at, key).and_then(|v| self.str(&v))
    }

    /// The value at a path of keys.
    pub(super) fn path(&self, at: &At, keys: &[&str]) -> Option<At> {
        keys.iter()
            .try_fold(at.clone(), |at, key| self.get(&at, key))
    }

    /// A sequence's items (empty for anything else).
    pub(super) fn items(&self, at: &At) -> Vec<At> {
        match &self.nodes[at.id].kind {
            Kind::Seq { items } => items.iter().map(|&i| self.child(at, i)).collect(),
            _ => vec![],
        }
    }

    /// The keys of a mapping, for error messages.
    pub(super) fn keys(&self, at: &At) -> Vec<String> {
        self.entries(at).into_iter().map(|(t, ..)| t).collect()
    }

    /// Whether the node is an item or value of a flow collection.
    pub(super) fn in_flow(&self, id: NodeId) -> bool {
        self.nodes[id].parent.is_some_and(|p| self.nodes[p].flow)
    }

    /// The anchor's written text (`*name`) of an alias node.
    pub(super) fn source(&self, id: NodeId) -> &str {
        self.text.get(self.nodes[id].span.clone()).unwrap_or("")
    }

    /// Every scalar's span and value (tests check that only scalars' bytes change).
    #[cfg(test)]
    pub(super) fn scalars(&self) -> Vec<(Range<usize>, &str)> {
        self.nodes
            .iter()
            .filter_map(|n| match &n.kind {
                Kind::Scalar {
                    value,
                    style: ScalarStyle::Literal | ScalarStyle::Folded,
                } => Some((n.span.clone(), value.trim_end_matches('\n'))),
                Kind::Scalar { value, .. } => Some((n.span.clone(), value.as_str())),
                _ => None,
            })
            .collect()
    }

    /// 1-based line of a byte offset.
    pub(super) fn line(&self, byte: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= byte)
    }

    /// 1-based line where a node starts.
    pub(super) fn line_at(&self, id: NodeId) -> usize {
        self.line(self.nodes[id].span.start)
    }

    /// The number of characters between the start of the line and `byte` (a BOM not counted).
    pub(super) fn column(&self, byte: usize) -> usize {
        let start = self.line_starts[self.line(byte) - 1];
        let prefix = self.text.get(start..byte).unwrap_or("");
        prefix.trim_start_matches('\u{feff}').chars().count()
    }

    /// The line ending of the file: `\r\n` when its first line ends so.
    pub(super) fn eol(&self) -> &'static str {
        match self.text.find('\n') {
            Some(i) if i > 0 && self.text.as_bytes()[i - 1] == b'\r' => "\r\n",
            _ => "\n",
        }
    }

    /// Where a line inserted after the line holding `byte` starts, and whether a line ending
    /// has to be written first (the file's last line has none).
    pub(super) fn after_line(&self, byte: usize) -> (usize, bool) {
        if byte > 0 && self.text.as_bytes().get(byte - 1) == Some(&b'\n') {
            return (byte, false);
        }
        match self.text.get(byte..).and_then(|rest| rest.find('\n')) {
            Some(i) => (byte + i + 1, false),
            None => (self.text.len(), true),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value_text<'a>(tree: &'a Tree<'_>, at: &At) -> &'a str {
        &tree.text[tree.node(at.id).span.clone()]
    }

    #[test]
    fn spans_are_bytes() {
        let text = "\u{feff}a: é\r\nb:\r\n  c: \"x\"\r\n";
        let tree = Tree::parse(text).unwrap();
        let root = tree.root(0);
        let b = tree.get(&root, "b").unwrap();
        let c = tree.get(&b, "c").unwrap();
        assert_eq!(value_text(&tree, &c), "\"x\"");
        assert_eq!(tree.str(&c), Some("x"));
        assert_eq!(tree.line_at(c.id), 3);
        assert_eq!(tree.column(tree.node(c.id).span.start), 5);
        assert_eq!(
            tree.column(tree.node(tree.entry(&root, "a").unwrap().0.id).span.start),
            0
        );
        assert_eq!(tree.eol(), "\r\n");
        assert_eq!(tree.get_str(&root, "a"), Some("é"));
    }

    #[test]
    fn block_collections_end_at_their_last_child() {
        let text = "a:\n  b: 1\n  c: |-\n    x\n  # tail\nd: 2\n";
        let tree = Tree::parse(text).unwrap();
        let a = tree.get(&tree.root(0), "a").unwrap();
        let end = tree.node(a.id).span.end;
        assert_eq!(&text[..end], "a:\n  b: 1\n  c: |-\n    x\n");
        assert_eq!(tree.after_line(end), (end, false));
    }

    #[test]
    fn aliases_and_merge_keys() {
        let text = "base: &b {image: x, tag: 1}\nc:\n  <<: *b\n  tag: 2\nd: *b\n";
        let tree = Tree::parse(text).unwrap();
        let root = tree.root(0);
        let c = tree.get(&root, "c").unwrap();
        assert!(c.via.is_empty());
        let image = tree.get(&c, "image").unwrap();
        assert_eq!(image.via.len(), 1);
        assert_eq!(tree.get_str(&c, "tag"), Some("2"));
        let d = tree.get(&root, "d").unwrap();
        assert_eq!(tree.source(d.via[0]), "*b");
        assert_eq!(tree.keys(&c), ["tag", "image"]);
    }

    #[test]
    fn nulls() {
        let tree = Tree::parse("a:\nb: ~\nc: ''\nd: null\n").unwrap();
        let root = tree.root(0);
        for key in ["a", "b", "d"] {
            assert!(tree.is_null(&tree.get(&root, key).unwrap()), "{key}");
            assert_eq!(tree.get_str(&root, key), None);
        }
        assert_eq!(tree.get_str(&root, "c"), Some(""));
    }

    #[test]
    fn long_runs_of_comments() {
        // Real values files (opentelemetry-demo's) have a hundred comment lines in a row.
        let comments = "# a comment\n".repeat(300);
        let text = format!("a:\n  b: 1\n{comments}  c: 2\n{comments}d:\n{comments}- x\n");
        let tree = Tree::parse(&text).unwrap();
        let a = tree.get(&tree.root(0), "a").unwrap();
        assert_eq!(tree.get_str(&a, "c"), Some("2"));
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let err = Tree::parse("a: 1\nb: [1, 2\n").unwrap_err();
        assert!(
            matches!(err, EditError::Syntax { line, .. } if line >= 2),
            "{err:?}"
        );
    }
}

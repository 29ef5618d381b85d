//! Writing what is added (an Argo CD parameter, a `kustomize.images` string, the mapping that
//! holds them) in the style of the collection it is added to: block entries with the
//! collection's indentation and dash style, or flow entries after the last one.

use super::EditError;
use super::scalar::render_new;
use super::tree::{At, Tree};

/// A small YAML value to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Yaml {
    /// A string, quoted when YAML would read it as something else.
    Str(String),
    /// Written as it is (`true`).
    Raw(&'static str),
    Map(Vec<(String, Yaml)>),
    Seq(Vec<Yaml>),
}

impl Yaml {
    pub(super) fn str(s: impl Into<String>) -> Yaml {
        Yaml::Str(s.into())
    }

    fn flow(&self) -> String {
        match self {
            Yaml::Str(s) => render_new(s, true),
            Yaml::Raw(s) => (*s).to_owned(),
            Yaml::Map(entries) => {
                let entries: Vec<String> = entries
                    .iter()
                    .map(|(k, v)| format!("{}: {}", render_new(k, true), v.flow()))
                    .collect();
                format!("{{{}}}", entries.join(", "))
            }
            Yaml::Seq(items) => {
                let items: Vec<String> = items.iter().map(Yaml::flow).collect();
                format!("[{}]", items.join(", "))
            }
        }
    }

    fn scalar_or_empty(&self) -> Option<String> {
        match self {
            Yaml::Str(s) => Some(render_new(s, false)),
            Yaml::Raw(s) => Some((*s).to_owned()),
            Yaml::Map(m) if m.is_empty() => Some("{}".to_owned()),
            Yaml::Seq(s) if s.is_empty() => Some("[]".to_owned()),
            _ => None,
        }
    }

    /// Block lines of a mapping's entries or a sequence's items, at column `indent`; nested
    /// collections two columns deeper.
    fn block(&self, indent: usize, eol: &str) -> String {
        let pad = " ".repeat(indent);
        let mut out = String::new();
        match self {
            Yaml::Map(entries) => {
                for (key, value) in entries {
                    let key = render_new(key, false);
                    match value.scalar_or_empty() {
                        Some(v) => out.push_str(&format!("{pad}{key}: {v}{eol}")),
                        None => {
                            out.push_str(&format!("{pad}{key}:{eol}"));
                            out.push_str(&value.block(indent + 2, eol));
                        }
                    }
                }
            }
            Yaml::Seq(items) => {
                for item in items {
                    out.push_str(&item_lines(item, indent, 1, eol));
                }
            }
            Yaml::Str(_) | Yaml::Raw(_) => {
                out.push_str(&format!("{pad}{}{eol}", self.flow()));
            }
        }
        out
    }
}

/// A sequence item as block lines: `-` at column `dash`, `gap` spaces, then the item.
pub(super) fn item_lines(item: &Yaml, dash: usize, gap: usize, eol: &str) -> String {
    let head = format!("{}-{}", " ".repeat(dash), " ".repeat(gap));
    match item.scalar_or_empty() {
        Some(v) => format!("{head}{v}{eol}"),
        None => {
            let content = dash + 1 + gap;
            let lines = item.block(content, eol);
            format!("{head}{}", &lines[content..])
        }
    }
}

/// `lines` to insert after the line holding byte `end`, with a line ending moved to the front
/// when that line is the file's last and has none.
fn after(tree: &Tree<'_>, end: usize, lines: String) -> (usize, String) {
    let (offset, needs_eol) = tree.after_line(end);
    if needs_eol {
        let eol = tree.eol();
        (
            offset,
            format!("{eol}{}", lines.trim_end_matches(['\r', '\n'])),
        )
    } else {
        (offset, lines)
    }
}

fn unsupported(tree: &Tree<'_>, at: &At, field: &str, why: &str) -> EditError {
    EditError::Unsupported {
        line: tree.line_at(at.id),
        field: field.to_owned(),
        why: why.to_owned(),
    }
}

/// Where and what to insert to add `item` at the end of the sequence `list`.
pub(super) fn append_item(
    tree: &Tree<'_>,
    list: &At,
    item: &Yaml,
    field: &str,
) -> Result<(usize, String), EditError> {
    let node = tree.node(list.id);
    let items = tree.raw_items(list);
    if node.flow {
        return Ok(match items.last() {
            Some(&last) => (tree.node(last).span.end, format!(", {}", item.flow())),
            None => (node.span.start + 1, item.flow()),
        });
    }
    let (Some(&first), Some(&last)) = (items.first(), items.last()) else {
        return Err(unsupported(
            tree,
            list,
            field,
            "it is not a list; write it as one",
        ));
    };
    let start = tree.node(first).span.start;
    let content = tree.column(start);
    let trimmed = tree.text[..start].trim_end_matches([' ', '\t']);
    let (dash, gap) = if trimmed.ends_with('-') {
        let dash = tree.column(trimmed.len() - 1);
        (dash, content.saturating_sub(dash + 1).max(1))
    } else {
        (content.saturating_sub(2), 1)
    };
    let lines = item_lines(item, dash, gap, tree.eol());
    Ok(after(tree, tree.node(last).span.end, lines))
}

/// Where and what to insert to add `key: value` at the end of the mapping `map`.
pub(super) fn add_entry(
    tree: &Tree<'_>,
    map: &At,
    key: &str,
    value: &Yaml,
    field: &str,
) -> Result<(usize, String), EditError> {
    let node = tree.node(map.id);
    let entries = tree.raw_entries(map);
    if node.flow {
        let entry = format!("{}: {}", render_new(key, true), value.flow());
        return Ok(match entries.last() {
            Some(&(_, v)) if !tree.node(v).span.is_empty() => {
                (tree.node(v).span.end, format!(", {entry}"))
            }
            Some(_) => (node.span.end.saturating_sub(1), format!(", {entry}")),
            None => (node.span.start + 1, entry),
        });
    }
    let Some(&(first_key, _)) = entries.first() else {
        return Err(unsupported(
            tree,
            map,
            field,
            "it is not a mapping; write it as one",
        ));
    };
    let indent = tree.column(tree.node(first_key).span.start);
    let lines = Yaml::Map(vec![(key.to_owned(), value.clone())]).block(indent, tree.eol());
    Ok(after(tree, node.span.end, lines))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param(name: &str, value: &str) -> Yaml {
        Yaml::Map(vec![
            ("name".to_owned(), Yaml::str(name)),
            ("value".to_owned(), Yaml::str(value)),
            ("forceString".to_owned(), Yaml::Raw("true")),
        ])
    }

    fn insert(text: &str, (offset, added): (usize, String)) -> String {
        format!("{}{added}{}", &text[..offset], &text[offset..])
    }

    #[test]
    fn block_and_flow() {
        let v = Yaml::Map(vec![(
            "parameters".to_owned(),
            Yaml::Seq(vec![param("image.tag", "1.0")]),
        )]);
        assert_eq!(
            v.block(2, "\n"),
            "  parameters:\n    - name: image.tag\n      value: \"1.0\"\n      forceString: true\n"
        );
        assert_eq!(
            v.flow(),
            "{parameters: [{name: image.tag, value: \"1.0\", forceString: true}]}"
        );
    }

    #[test]
    fn appends_in_the_lists_style() {
        for (text, expected) in [
            (
                "p:\n  -   name: a\n      value: b\np2: x\n",
                "p:\n  -   name: a\n      value: b\n  -   name: t\n      value: v\n      forceString: true\np2: x\n",
            ),
            (
                "p:\n- name: a",
                "p:\n- name: a\n- name: t\n  value: v\n  forceString: true",
            ),
            (
                "p: [{name: a}]\n",
                "p: [{name: a}, {name: t, value: v, forceString: true}]\n",
            ),
            ("p: []\n", "p: [{name: t, value: v, forceString: true}]\n"),
        ] {
            let tree = Tree::parse(text).unwrap();
            let list = tree.get(&tree.root(0), "p").unwrap();
            let added = append_item(&tree, &list, &param("t", "v"), "p").unwrap();
            assert_eq!(insert(text, added), expected);
        }
    }

    #[test]
    fn adds_entries() {
        for (text, expected) in [
            (
                "source:\n  chart: x\n  helm:\n    valueFiles: [a]\nz: 1\n",
                "source:\n  chart: x\n  helm:\n    valueFiles: [a]\n    parameters:\n      - name: t\n        value: v\n        forceString: true\nz: 1\n",
            ),
            (
                "helm: {a: 1}\n",
                "helm: {a: 1, parameters: [{name: t, value: v, forceString: true}]}\n",
            ),
        ] {
            let tree = Tree::parse(text).unwrap();
            let root = tree.root(0);
            let helm = tree
                .path(&root, &["source", "helm"])
                .or_else(|| tree.get(&root, "helm"))
                .unwrap();
            let value = Yaml::Seq(vec![param("t", "v")]);
            let added = add_entry(&tree, &helm, "parameters", &value, "p").unwrap();
            assert_eq!(insert(text, added), expected);
        }
    }
}

//! A kustomization's `images:` entries: `name` (the image as the manifests name it), `newName`,
//! `newTag`, `digest`.

use super::apply::{Op, Slot, insert_key};
use super::emit::{Yaml, append_item, item_lines};
use super::names::{new_repository, same};
use super::tree::{At, Tree};
use super::{Current, EditError, Target};

/// One `images:` entry.
#[derive(Debug)]
struct Entry {
    at: At,
    name: Option<String>,
    new_name: Option<String>,
}

impl Entry {
    /// The repository the entry gives the manifests' images.
    fn produces(&self) -> Option<&str> {
        self.new_name.as_deref().or(self.name.as_deref())
    }

    fn label(&self) -> &str {
        self.name.as_deref().unwrap_or("?")
    }
}

/// The kustomization's document: the first with `kind: Kustomization` or `Component`, else the
/// first document; `None` for an empty file.
fn root(tree: &Tree<'_>) -> Option<(usize, At)> {
    let roots: Vec<(usize, At)> = (0..tree.docs.len()).map(|d| (d, tree.root(d))).collect();
    roots
        .iter()
        .find(|(_, root)| {
            matches!(
                tree.get_str(root, "kind"),
                Some("Kustomization" | "Component")
            )
        })
        .or(roots.first())
        .cloned()
}

fn entries(tree: &Tree<'_>, images: &At) -> Vec<Entry> {
    tree.items(images)
        .into_iter()
        .filter(|item| tree.is_map(item))
        .map(|at| Entry {
            name: tree.get_str(&at, "name").map(str::to_owned),
            new_name: tree.get_str(&at, "newName").map(str::to_owned),
            at,
        })
        .collect()
}

fn matching<'e>(entries: &'e [Entry], target: &Target) -> Vec<&'e Entry> {
    let new_repo = new_repository(&target.new);
    entries
        .iter()
        .filter(|e| {
            e.name.as_deref().is_some_and(|n| same(n, &target.name))
                || e.new_name.as_deref().is_some_and(|n| same(n, &new_repo))
        })
        .collect()
}

fn not_found(entries: &[Entry], target: &Target) -> EditError {
    let names: Vec<&str> = entries.iter().map(Entry::label).collect();
    EditError::NotFound(format!(
        "the kustomization has no `images` entry named `{}` (it has: {}); check `image`",
        target.name,
        if names.is_empty() {
            "none".to_owned()
        } else {
            names.join(", ")
        }
    ))
}

/// The changes that make the kustomization give `target.name` the new reference.
pub(super) fn plan(tree: &Tree<'_>, target: &Target) -> Result<Vec<Slot>, EditError> {
    let Some((doc, root)) = root(tree) else {
        return append_images(tree, None, target).map(|slot| vec![slot]);
    };
    if tree.is_null(&root) {
        return append_images(tree, None, target).map(|slot| vec![slot]);
    }
    if !tree.is_map(&root) {
        return Err(EditError::Syntax {
            line: tree.line_at(root.id),
            message: "the kustomization is not a mapping".to_owned(),
        });
    }
    let Some((images_key, images)) = tree.entry(&root, "images") else {
        return append_images(tree, Some((doc, &root)), target).map(|slot| vec![slot]);
    };
    let all = entries(tree, &images);
    let matched = matching(&all, target);
    if matched.is_empty() {
        return append_entry(tree, &images_key, &images, target).map(|slot| vec![slot]);
    }
    let new = &target.new;
    let new_repo = new_repository(new);
    let mut slots = Vec::new();
    for entry in matched {
        let field = |key: &str| format!("images[{}].{key}", entry.label());
        if entry.produces().is_none_or(|p| !same(p, &new_repo)) {
            match tree.get(&entry.at, "newName") {
                Some(at) => slots.push(Slot::set(tree, &at, field("newName"), &new_repo)),
                None => slots.push(insert(
                    tree,
                    entry,
                    &["name"],
                    "newName",
                    &new_repo,
                    &field,
                )?),
            }
        }
        if let Some(tag) = &new.tag {
            match tree.get(&entry.at, "newTag") {
                Some(at) => slots.push(Slot::set(tree, &at, field("newTag"), tag)),
                None => {
                    slots.push(insert(
                        tree,
                        entry,
                        &["newName", "name"],
                        "newTag",
                        tag,
                        &field,
                    )?);
                }
            }
        }
        match (&new.digest, tree.get(&entry.at, "digest")) {
            (Some(digest), Some(at)) => slots.push(Slot::set(tree, &at, field("digest"), digest)),
            (Some(digest), None) => slots.push(insert(
                tree,
                entry,
                &["newTag", "newName", "name"],
                "digest",
                digest,
                &field,
            )?),
            // A digest left from before would keep pinning the old image.
            (None, Some(at)) if tree.str(&at).is_some_and(|d| !d.is_empty()) => {
                slots.push(Slot::set(tree, &at, field("digest"), ""));
            }
            (None, _) => {}
        }
    }
    Ok(slots)
}

fn insert(
    tree: &Tree<'_>,
    entry: &Entry,
    after: &[&str],
    key: &str,
    value: &str,
    field: &dyn Fn(&str) -> String,
) -> Result<Slot, EditError> {
    let (offset, text) = insert_key(tree, &entry.at, after, key, value)?;
    Ok(Slot {
        op: Op::Insert {
            owner: Some(entry.at.clone()),
            offset,
            text,
        },
        field: field(key),
        old: None,
        new: value.to_owned(),
    })
}

/// A new entry, its keys in kustomize's order.
fn new_entry(target: &Target) -> Yaml {
    let new = &target.new;
    let new_repo = new_repository(new);
    let mut keys = vec![("name".to_owned(), Yaml::str(target.name.clone()))];
    if !same(&target.name, &new_repo) {
        keys.push(("newName".to_owned(), Yaml::str(new_repo)));
    }
    if let Some(tag) = &new.tag {
        keys.push(("newTag".to_owned(), Yaml::str(tag.clone())));
    }
    if let Some(digest) = &new.digest {
        keys.push(("digest".to_owned(), Yaml::str(digest.clone())));
    }
    Yaml::Map(keys)
}

fn entry_slot(target: &Target, owner: Option<&At>, offset: usize, text: String) -> Slot {
    Slot {
        op: Op::Insert {
            owner: owner.cloned(),
            offset,
            text,
        },
        field: format!("images[{}]", target.name),
        old: None,
        new: target.new.to_string(),
    }
}

/// A new entry at the end of `images:`, written like the entries before it.
fn append_entry(
    tree: &Tree<'_>,
    images_key: &At,
    images: &At,
    target: &Target,
) -> Result<Slot, EditError> {
    let field = format!("images[{}]", target.name);
    if tree.is_seq(images) {
        let (offset, text) = append_item(tree, images, &new_entry(target), &field)?;
        return Ok(entry_slot(target, Some(images), offset, text));
    }
    if tree.is_null(images) && tree.node(images.id).span.is_empty() {
        // `images:` with nothing: the entries go on the lines below it.
        let key = tree.node(images_key.id).span.clone();
        let indent = tree.column(key.start);
        let (offset, needs_eol) = tree.after_line(key.end);
        let eol = tree.eol();
        let lines = item_lines(&new_entry(target), indent, 1, eol);
        let text = if needs_eol {
            format!("{eol}{}", lines.trim_end_matches(['\r', '\n']))
        } else {
            lines
        };
        return Ok(entry_slot(target, Some(images), offset, text));
    }
    Err(unsupported_images(tree, images))
}

fn unsupported_images(tree: &Tree<'_>, images: &At) -> EditError {
    EditError::Unsupported {
        line: tree.line_at(images.id),
        field: "images".to_owned(),
        why: "it is not a list of entries (`- name: …`); write it as one".to_owned(),
    }
}

/// An `images:` block with the entry, at the end of the kustomization.
fn append_images(
    tree: &Tree<'_>,
    root: Option<(usize, &At)>,
    target: &Target,
) -> Result<Slot, EditError> {
    let eol = tree.eol();
    let text = tree.text;
    let (indent, offset) = match root {
        Some((doc, root)) => {
            if tree.node(root.id).flow {
                return Err(EditError::Unsupported {
                    line: tree.line_at(root.id),
                    field: "images".to_owned(),
                    why: "the kustomization is a flow mapping (`{…}`); add `images:` by hand"
                        .to_owned(),
                });
            }
            let first_key = tree.raw_entries(root).first().map(|&(k, _)| k);
            let indent = first_key.map_or(0, |k| tree.column(tree.node(k).span.start));
            let last_doc = doc + 1 == tree.docs.len() && !tree.docs[doc].explicit_end;
            let offset = if last_doc {
                text.len()
            } else {
                tree.after_line(tree.node(root.id).span.end).0
            };
            (indent, offset)
        }
        None => (0, text.len()),
    };
    let needs_eol = offset > 0 && !text[..offset].ends_with('\n');
    let mut block = String::new();
    if needs_eol {
        block.push_str(eol);
    }
    block.push_str(&format!("{}images:{eol}", " ".repeat(indent)));
    block.push_str(&item_lines(&new_entry(target), indent, 1, eol));
    Ok(entry_slot(target, root.map(|(_, r)| r), offset, block))
}

/// The reference the first matching entry gives: `newName` (or `name`), `newTag`, `digest`.
pub(super) fn read(tree: &Tree<'_>, target: &Target) -> Result<Current, EditError> {
    let images = root(tree)
        .filter(|(_, root)| tree.is_map(root))
        .and_then(|(_, root)| tree.get(&root, "images"));
    let all = images.map(|i| entries(tree, &i)).unwrap_or_default();
    let Some(entry) = matching(&all, target).into_iter().next() else {
        return Err(not_found(&all, target));
    };
    let get = |key: &str| {
        tree.get_str(&entry.at, key)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    Ok(Current {
        repository: entry.produces().map(str::to_owned),
        tag: get("newTag"),
        digest: get("digest"),
    })
}

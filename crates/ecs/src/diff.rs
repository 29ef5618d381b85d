//! What a new task definition changes compared with what runs now (pure), for `dry-run` and the
//! job summary. Paths name containers and variables by name, not by index, so a reordered list
//! is not reported as a change of every element.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::taskdef::strip_read_only;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Added {
        path: String,
        new: String,
    },
    Removed {
        path: String,
        old: String,
    },
    Changed {
        path: String,
        old: String,
        new: String,
    },
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::Added { path, new } => write!(f, "+ {path}: {new}"),
            Change::Removed { path, old } => write!(f, "- {path}: {old}"),
            Change::Changed { path, old, new } => write!(f, "~ {path}: {old} → {new}"),
        }
    }
}

/// Lists whose elements carry a unique `name` (containers, environment, secrets, ...).
fn keyed(items: &[Value]) -> Option<Vec<(String, &Value)>> {
    let mut out = Vec::new();
    for i in items {
        let name = i.get("name").and_then(Value::as_str)?;
        if out.iter().any(|(n, _)| n == name) {
            return None;
        }
        out.push((name.to_owned(), i));
    }
    Some(out)
}

fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&p, x, out);
            }
        }
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_object) => {
            match keyed(items) {
                Some(named) => {
                    for (name, x) in named {
                        // The name is in the path already.
                        let mut rest = x.clone();
                        if let Some(m) = rest.as_object_mut() {
                            m.remove("name");
                        }
                        let path = format!("{prefix}[{name}]");
                        if rest.as_object().is_some_and(|m| m.is_empty()) {
                            out.insert(path, x.to_string());
                        } else {
                            flatten(&path, &rest, out);
                        }
                    }
                }
                None => {
                    for (i, x) in items.iter().enumerate() {
                        flatten(&format!("{prefix}[{i}]"), x, out);
                    }
                }
            }
        }
        Value::Array(items) if items.is_empty() => {}
        other => {
            out.insert(prefix.to_owned(), other.to_string());
        }
    }
}

/// The changes from `old` to `new`, read-only fields ignored, sorted by path.
pub fn diff(old: &Value, new: &Value) -> Vec<Change> {
    let mut a = BTreeMap::new();
    let mut b = BTreeMap::new();
    flatten("", &strip_read_only(old), &mut a);
    flatten("", &strip_read_only(new), &mut b);
    let mut changes = Vec::new();
    for (path, old) in &a {
        match b.get(path) {
            None => changes.push(Change::Removed {
                path: path.clone(),
                old: old.clone(),
            }),
            Some(new) if new != old => changes.push(Change::Changed {
                path: path.clone(),
                old: old.clone(),
                new: new.clone(),
            }),
            Some(_) => {}
        }
    }
    for (path, new) in &b {
        if !a.contains_key(path) {
            changes.push(Change::Added {
                path: path.clone(),
                new: new.clone(),
            });
        }
    }
    changes.sort_by(|x, y| path_of(x).cmp(path_of(y)));
    changes
}

fn path_of(c: &Change) -> &str {
    match c {
        Change::Added { path, .. }
        | Change::Removed { path, .. }
        | Change::Changed { path, .. } => path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_containers_and_variables() {
        let old = json!({"family": "api", "revision": 3, "containerDefinitions": [
            {"name": "api", "image": "r/api:v1", "environment": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}
        ]});
        let new = json!({"family": "api", "containerDefinitions": [
            {"name": "api", "image": "r/api:v2", "environment": [{"name": "B", "value": "2"}, {"name": "C", "value": "3"}]}
        ]});
        let lines: Vec<String> = diff(&old, &new).iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            vec![
                "- containerDefinitions[api].environment[A].value: \"1\"",
                "+ containerDefinitions[api].environment[C].value: \"3\"",
                "~ containerDefinitions[api].image: \"r/api:v1\" → \"r/api:v2\"",
            ]
        );
    }

    #[test]
    fn same_definition_no_changes() {
        let v = json!({"family": "api", "containerDefinitions": [{"name": "a", "image": "x"}]});
        assert!(diff(&v, &v).is_empty());
    }
}

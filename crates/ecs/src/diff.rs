//! What a new task definition changes compared with what runs now (pure but for the key of
//! [`conceal`]), for `dry-run` and the job summary. Paths name containers and variables by
//! name, not by index, so a reordered list is not reported as a change of every element.
//!
//! Values that may be secret never appear: environment values, secret references
//! (`secrets[].valueFrom`, `logConfiguration.secretOptions`, `repositoryCredentials`) and docker
//! labels are shown by name, with a short hash that tells whether two of them are equal
//! ([`conceal`]).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::Value;
use sha2::{Digest as _, Sha256};

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
            Change::Changed { path, old, new } if is_concealed(old) && is_concealed(new) => {
                write!(f, "~ {path}: changed ({old} → {new})")
            }
            Change::Changed { path, old, new } => write!(f, "~ {path}: {old} → {new}"),
        }
    }
}

/// Whether the value at `path` (a [`diff`] path) may be secret: an environment value, a secret
/// reference, a docker label.
pub fn is_sensitive(path: &str) -> bool {
    let leaf = path.rsplit('.').next().unwrap_or(path);
    (path.contains(".environment[") && leaf == "value")
        || (path.contains(".secrets[") && leaf == "valueFrom")
        || path.contains(".secretOptions[")
        || path.contains(".dockerLabels.")
        || path.contains(".repositoryCredentials.")
}

/// How a value that may be secret is shown: `value #1a2b3c4d`, a hash of it under a key drawn
/// once per run. Two equal values show the same hash in one run; the hash says nothing of the
/// value (a short value cannot be guessed back from it), and nothing across runs.
pub fn conceal(value: &str) -> String {
    static KEY: OnceLock<[u8; 32]> = OnceLock::new();
    let key = KEY.get_or_init(rand::random);
    let digest = Sha256::new()
        .chain_update(key)
        .chain_update(value.as_bytes())
        .finalize();
    format!("value #{}", hex::encode(&digest[..4]))
}

fn is_concealed(shown: &str) -> bool {
    shown.starts_with("value #")
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
                            // `{"name": ...}` alone: the name is all there is to show.
                            out.insert(path, format!("{{\"name\":{}}}", Value::String(name)));
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
        other if is_sensitive(prefix) => {
            out.insert(prefix.to_owned(), conceal(&other.to_string()));
        }
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
                format!(
                    "- containerDefinitions[api].environment[A].value: {}",
                    conceal("\"1\"")
                ),
                format!(
                    "+ containerDefinitions[api].environment[C].value: {}",
                    conceal("\"3\"")
                ),
                "~ containerDefinitions[api].image: \"r/api:v1\" → \"r/api:v2\"".to_owned(),
            ]
        );
    }

    #[test]
    fn values_that_may_be_secret_are_shown_as_names_and_hashes() {
        let old = json!({"family": "api", "containerDefinitions": [{
            "name": "api", "image": "r/api:v1",
            "environment": [{"name": "DB_URL", "value": "postgres://u:hunter2@db/app"}],
            "secrets": [{"name": "TOKEN", "valueFrom": "arn:aws:ssm:us-east-1:1:parameter/old"}],
            "dockerLabels": {"team.owner": "s3cr3t-label"},
            "repositoryCredentials": {"credentialsParameter": "arn:aws:secretsmanager:us-east-1:1:secret:reg"},
            "logConfiguration": {"logDriver": "splunk", "secretOptions": [
                {"name": "splunk-token", "valueFrom": "arn:aws:ssm:us-east-1:1:parameter/splunk"}
            ]}
        }]});
        let mut new = old.clone();
        let c = &mut new["containerDefinitions"][0];
        c["environment"][0]["value"] = json!("postgres://u:hunter3@db/app");
        c["secrets"][0]["valueFrom"] = json!("arn:aws:ssm:us-east-1:1:parameter/new");
        c["dockerLabels"]["team.owner"] = json!("other-label");
        c["repositoryCredentials"]["credentialsParameter"] =
            json!("arn:aws:secretsmanager:us-east-1:1:secret:other");
        c["logConfiguration"]["secretOptions"][0]["valueFrom"] =
            json!("arn:aws:ssm:us-east-1:1:parameter/x");
        let shown: Vec<String> = diff(&old, &new).iter().map(ToString::to_string).collect();
        assert_eq!(shown.len(), 5, "{shown:#?}");
        let text = shown.join("\n");
        for secret in ["hunter", "parameter/", "label", "secret:", "splunk\""] {
            assert!(!text.contains(secret), "{secret} shown:\n{text}");
        }
        for line in &shown {
            assert!(line.contains(": changed (value #"), "{line}");
        }
        assert!(text.contains("environment[DB_URL].value"), "{text}");
        // equal values, equal hashes; different ones, different hashes
        assert_eq!(conceal("a"), conceal("a"));
        assert_ne!(conceal("a"), conceal("b"));
        // names and other fields are shown as they are
        for (path, sensitive) in [
            ("containerDefinitions[api].environment[A].value", true),
            ("containerDefinitions[api].environment[0].name", false),
            ("containerDefinitions[api].secrets[T].valueFrom", true),
            ("containerDefinitions[api].dockerLabels.x", true),
            ("containerDefinitions[api].image", false),
            (
                "containerDefinitions[api].logConfiguration.options.awslogs-group",
                false,
            ),
        ] {
            assert_eq!(is_sensitive(path), sensitive, "{path}");
        }
    }

    #[test]
    fn same_definition_no_changes() {
        let v = json!({"family": "api", "containerDefinitions": [{"name": "a", "image": "x"}]});
        assert!(diff(&v, &v).is_empty());
    }
}

//! Task definitions as RegisterTaskDefinition JSON (the shape of `aws ecs
//! register-task-definition --cli-input-json`, camelCase): their names, the fields ECS reports
//! but does not take back, and what their containers are.
//!
//! gantry works on this JSON, not on SDK types, because a task definition given as a file is
//! JSON and because a JSON diff ([`crate::diff`]) is what a person reads. [`sdk`] converts it to
//! and from the SDK's types for DescribeTaskDefinition and RegisterTaskDefinition.

use serde_json::Value;

pub mod sdk;

pub use sdk::{TaskDefError, validate};

/// Fields DescribeTaskDefinition returns that RegisterTaskDefinition refuses.
pub const READ_ONLY: &[&str] = &[
    "taskDefinitionArn",
    "revision",
    "status",
    "requiresAttributes",
    "compatibilities",
    "registeredAt",
    "registeredBy",
    "deregisteredAt",
];

/// `family` of `arn:…:task-definition/family:3` or `family:3`.
pub fn family_of(arn: &str) -> &str {
    let name = arn.rsplit('/').next().unwrap_or(arn);
    name.split(':').next().unwrap_or(name)
}

/// `3` of `…/family:3`; 0 when there is none.
pub fn revision_of(arn: &str) -> u64 {
    arn.rsplit(':')
        .next()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

/// `family:3` of an ARN, for messages.
pub fn short_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// The task definition without its read-only fields: what RegisterTaskDefinition takes.
pub fn strip_read_only(def: &Value) -> Value {
    let mut out = def.clone();
    if let Some(m) = out.as_object_mut() {
        for key in READ_ONLY {
            m.remove(*key);
        }
    }
    out
}

/// The `family` the task definition JSON names.
pub fn family(def: &Value) -> Option<&str> {
    def.get("family").and_then(Value::as_str)
}

/// The `containerDefinitions` list; `None` when there is none.
pub fn containers(def: &Value) -> Option<&Vec<Value>> {
    def.get("containerDefinitions").and_then(Value::as_array)
}

/// The container names of a task definition, in order.
pub fn container_names(def: &Value) -> Vec<String> {
    containers(def)
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The image of `container`.
pub fn image_of<'a>(def: &'a Value, container: &str) -> Option<&'a str> {
    containers(def)?
        .iter()
        .find(|c| c.get("name").and_then(Value::as_str) == Some(container))?
        .get("image")?
        .as_str()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_of_arns() {
        let arn = "arn:aws:ecs:us-east-1:123:task-definition/web-api:12";
        assert_eq!(family_of(arn), "web-api");
        assert_eq!(revision_of(arn), 12);
        assert_eq!(short_name(arn), "web-api:12");
        assert_eq!(family_of("web:3"), "web");
    }

    #[test]
    fn containers_and_read_only_fields() {
        let def = json!({
            "taskDefinitionArn": "arn:aws:ecs:us-east-1:1:task-definition/api:4",
            "family": "api",
            "revision": 4,
            "containerDefinitions": [
                {"name": "api", "image": "reg.io/api:v1"},
                {"name": "sidecar"}
            ]
        });
        assert_eq!(container_names(&def), ["api", "sidecar"]);
        assert_eq!(image_of(&def, "api"), Some("reg.io/api:v1"));
        assert_eq!(image_of(&def, "sidecar"), None);
        assert_eq!(family(&def), Some("api"));
        let stripped = strip_read_only(&def);
        assert!(stripped.get("taskDefinitionArn").is_none() && stripped.get("revision").is_none());
        assert_eq!(stripped["family"], "api");
        assert!(container_names(&json!({"family": "x"})).is_empty());
    }
}

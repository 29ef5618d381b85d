//! Task definitions as ECS's own JSON (the shape of `aws ecs register-task-definition
//! --cli-input-json`, camelCase), end to end: the JSON DescribeTaskDefinition answers is what is
//! rendered, diffed and sent back to RegisterTaskDefinition, byte for byte but for what is
//! changed. No field is converted through a hand-kept list, so every field ECS takes, today's
//! and those it adds later, reaches the new revision; a key ECS does not know is ECS's to
//! refuse, and its message is shown.
//!
//! Two things are done to the JSON, as `aws ecs register-task-definition --cli-input-json`
//! users do by hand and amazon-ecs-deploy-task-definition does: the fields ECS reports but does
//! not take back ([`READ_ONLY`]) are dropped, and the tags DescribeTaskDefinition answers beside
//! the task definition are put in it. Empty lists and `null`s are sent as they are: ECS reads
//! them as the CLI sends them.

use gantry_toolkit::json_kind;
use serde_json::Value;

/// A task definition that is not one (checked before anything is registered). The messages
/// name the field, never a tool's input.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TaskDefError {
    /// The JSON does not have the shape RegisterTaskDefinition takes.
    #[error("the task definition is not valid: {0}")]
    Invalid(String),
}

fn invalid(message: impl Into<String>) -> TaskDefError {
    TaskDefError::Invalid(message.into())
}

/// Checks what every task definition has, before anything is registered: an object with a
/// `family` and a non-empty `containerDefinitions` list of objects, each with a `name` (and an
/// `image` that is a string, when there is one). Everything else is left to ECS.
///
/// # Errors
/// [`TaskDefError::Invalid`], naming the field.
pub fn validate(def: &Value) -> Result<(), TaskDefError> {
    let m = def
        .as_object()
        .ok_or_else(|| invalid("it is not a JSON object"))?;
    match m.get("family") {
        Some(Value::String(f)) if !f.trim().is_empty() => {}
        Some(Value::String(_)) | None => return Err(invalid("it has no 'family'")),
        Some(other) => {
            return Err(invalid(format!(
                "'family' is {}, not a string",
                json_kind(other)
            )));
        }
    }
    let containers = match m.get("containerDefinitions") {
        Some(Value::Array(cs)) if !cs.is_empty() => cs,
        Some(Value::Array(_)) | None => {
            return Err(invalid("it has no 'containerDefinitions'"));
        }
        Some(other) => {
            return Err(invalid(format!(
                "'containerDefinitions' is {}, not a list",
                json_kind(other)
            )));
        }
    };
    for (i, c) in containers.iter().enumerate() {
        let c = c.as_object().ok_or_else(|| {
            invalid(format!(
                "containerDefinitions[{i}] is {}, not an object",
                json_kind(c)
            ))
        })?;
        match c.get("name") {
            Some(Value::String(v)) if !v.trim().is_empty() => {}
            _ => {
                return Err(invalid(format!(
                    "containerDefinitions[{i}] has no 'name' (a non-empty string)"
                )));
            }
        }
        // An empty image is a template's ("" until a deploy fills it in): ECS refuses what is
        // still empty when it is registered.
        if let Some(image) = c.get("image")
            && !image.is_string()
        {
            return Err(invalid(format!(
                "containerDefinitions[{i}].image is {}, not a string",
                json_kind(image)
            )));
        }
    }
    Ok(())
}

/// The task definition in a DescribeTaskDefinition answer (`{"taskDefinition": …, "tags":
/// […]}`), with the answer's `tags` in it when there are any (RegisterTaskDefinition takes
/// them there).
///
/// # Errors
/// The answer has no `taskDefinition` object.
pub fn from_describe(mut answer: Value) -> Result<Value, TaskDefError> {
    let Some(Value::Object(mut def)) = answer.get_mut("taskDefinition").map(Value::take) else {
        return Err(invalid(
            "DescribeTaskDefinition answered with no taskDefinition",
        ));
    };
    if let Some(Value::Array(tags)) = answer.get_mut("tags").map(Value::take)
        && !tags.is_empty()
    {
        def.insert("tags".to_owned(), Value::Array(tags));
    }
    Ok(Value::Object(def))
}

/// The body of a RegisterTaskDefinition request for `def`: the JSON itself, without the
/// fields only ECS sets ([`READ_ONLY`]).
///
/// # Errors
/// See [`validate`].
pub fn register_body(def: &Value) -> Result<Vec<u8>, TaskDefError> {
    validate(def)?;
    serde_json::to_vec(&strip_read_only(def)).map_err(|e| invalid(e.to_string()))
}

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

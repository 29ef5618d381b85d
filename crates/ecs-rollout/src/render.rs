//! Render the new task definition (pure): start from a base (the service's current revision, a
//! file, or an ARN), apply the [`Changes`] the inputs ask for, strip the read-only fields. Roles,
//! tags and every field not named by an input are kept as they are. What a task definition is
//! (its read-only fields, containers, images) is [`gantry_ecs::taskdef`]'s; which container an
//! input applies to, and the errors that name the input, are the tool's and are here.

use serde_json::{Map, Value, json};

use crate::config::Changes;
use gantry_ecs::taskdef::{self, container_names, strip_read_only};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RenderError {
    #[error(
        "input '{input}' names container '{name}', which is not in task definition {family}: its containers are {available}"
    )]
    NoSuchContainer {
        input: &'static str,
        name: String,
        family: String,
        available: String,
    },
    #[error(
        "task definition {family} has several containers ({available}): set input 'container' to say which one '{input}' applies to"
    )]
    Ambiguous {
        input: &'static str,
        family: String,
        available: String,
    },
    #[error("the task definition has no containerDefinitions list")]
    NoContainers,
}

fn containers(def: &Value) -> Result<&Vec<Value>, RenderError> {
    taskdef::containers(def).ok_or(RenderError::NoContainers)
}

fn family(def: &Value) -> String {
    taskdef::family(def).unwrap_or("?").to_owned()
}

/// The container that single-container inputs (`image-ref`, `environment`, `secrets`,
/// `command`, `log-configuration`, `pre-deploy-command`) apply to: the `container` input, else
/// the only container, else the only essential one.
pub fn target_container(
    def: &Value,
    chosen: Option<&str>,
    input: &'static str,
) -> Result<String, RenderError> {
    let names = container_names(def);
    if let Some(name) = chosen {
        if names.iter().any(|n| n == name) {
            return Ok(name.to_owned());
        }
        return Err(RenderError::NoSuchContainer {
            input: "container",
            name: name.to_owned(),
            family: family(def),
            available: names.join(", "),
        });
    }
    if let [only] = names.as_slice() {
        return Ok(only.clone());
    }
    let essential: Vec<&Value> = containers(def)?
        .iter()
        .filter(|c| c.get("essential").and_then(Value::as_bool).unwrap_or(true))
        .collect();
    if let [only] = essential.as_slice()
        && let Some(n) = only.get("name").and_then(Value::as_str)
    {
        return Ok(n.to_owned());
    }
    Err(RenderError::Ambiguous {
        input,
        family: family(def),
        available: names.join(", "),
    })
}

fn container_mut<'a>(def: &'a mut Value, name: &str) -> Option<&'a mut Map<String, Value>> {
    def.get_mut("containerDefinitions")?
        .as_array_mut()?
        .iter_mut()
        .find(|c| c.get("name").and_then(Value::as_str) == Some(name))?
        .as_object_mut()
}

/// Sets `list[name=…]`'s value (`value_key`), adding it when absent; order kept.
fn upsert(list: &mut Value, name: &str, value_key: &str, value: &str) {
    if !list.is_array() {
        *list = Value::Array(Vec::new());
    }
    let Some(items) = list.as_array_mut() else {
        return;
    };
    if let Some(item) = items
        .iter_mut()
        .find(|i| i.get("name").and_then(Value::as_str) == Some(name))
    {
        item[value_key] = Value::String(value.to_owned());
    } else {
        items.push(json!({"name": name, value_key: value}));
    }
}

/// The new task definition: `base` without read-only fields, with `changes` applied.
pub fn render(base: &Value, changes: &Changes) -> Result<Value, RenderError> {
    let mut def = strip_read_only(base);
    let names = container_names(&def);
    for (name, image) in &changes.images {
        let Some(c) = container_mut(&mut def, name) else {
            return Err(RenderError::NoSuchContainer {
                input: "images",
                name: name.clone(),
                family: family(base),
                available: names.join(", "),
            });
        };
        c.insert("image".into(), Value::String(image.to_string()));
    }
    let single = |input: &'static str| target_container(base, changes.container.as_deref(), input);
    if let Some(image) = &changes.image {
        let target = single("image-ref")?;
        if let Some(c) = container_mut(&mut def, &target) {
            c.insert("image".into(), Value::String(image.to_string()));
        }
    }
    let per_container: [(&'static str, bool); 6] = [
        ("environment", !changes.environment.is_empty()),
        ("secrets", !changes.secrets.is_empty()),
        ("docker-labels", !changes.docker_labels.is_empty()),
        ("environment-files", !changes.environment_files.is_empty()),
        ("command", changes.command.is_some()),
        ("log-configuration", changes.log_configuration.is_some()),
    ];
    if let Some((input, _)) = per_container.iter().find(|(_, set)| *set) {
        let target = single(input)?;
        if let Some(c) = container_mut(&mut def, &target) {
            for (k, v) in &changes.environment {
                upsert(c.entry("environment").or_insert(Value::Null), k, "value", v);
            }
            for (k, v) in &changes.secrets {
                upsert(c.entry("secrets").or_insert(Value::Null), k, "valueFrom", v);
            }
            if !changes.docker_labels.is_empty() {
                let labels = c.entry("dockerLabels").or_insert(Value::Null);
                if !labels.is_object() {
                    *labels = json!({});
                }
                if let Some(labels) = labels.as_object_mut() {
                    for (k, v) in &changes.docker_labels {
                        labels.insert(k.clone(), Value::String(v.clone()));
                    }
                }
            }
            if !changes.environment_files.is_empty() {
                let files = c.entry("environmentFiles").or_insert(Value::Null);
                if !files.is_array() {
                    *files = json!([]);
                }
                if let Some(files) = files.as_array_mut() {
                    for arn in &changes.environment_files {
                        let file = json!({"value": arn, "type": "s3"});
                        if !files.iter().any(|f| f.get("value") == file.get("value")) {
                            files.push(file);
                        }
                    }
                }
            }
            if let Some(cmd) = &changes.command {
                c.insert("command".into(), json!(cmd));
            }
            if let Some(l) = &changes.log_configuration {
                c.insert("logConfiguration".into(), l.clone());
            }
        }
    }
    if let Some(m) = def.as_object_mut() {
        if let Some(cpu) = &changes.cpu {
            m.insert("cpu".into(), Value::String(cpu.clone()));
        }
        if let Some(mem) = &changes.memory {
            m.insert("memory".into(), Value::String(mem.clone()));
        }
    }
    Ok(def)
}

#[cfg(test)]
mod tests {
    use super::*;
    use gantry_ecs::image::ImageRef;
    use gantry_ecs::taskdef::READ_ONLY;

    fn current() -> Value {
        json!({
            "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/api:4",
            "family": "api",
            "revision": 4,
            "status": "ACTIVE",
            "compatibilities": ["EC2", "FARGATE"],
            "requiresAttributes": [{"name": "ecs.capability.execution-role-awslogs"}],
            "registeredAt": "2026-01-01T00:00:00Z",
            "registeredBy": "arn:aws:iam::123456789012:role/ci",
            "taskRoleArn": "arn:aws:iam::123456789012:role/api-task",
            "executionRoleArn": "arn:aws:iam::123456789012:role/api-exec",
            "networkMode": "awsvpc",
            "cpu": "256",
            "memory": "512",
            "tags": [{"key": "team", "value": "payments"}],
            "containerDefinitions": [
                {"name": "api", "image": "reg.io/api:v1", "essential": true,
                 "environment": [{"name": "LOG", "value": "info"}]},
                {"name": "sidecar", "image": "reg.io/envoy:1", "essential": false}
            ]
        })
    }

    #[test]
    fn strips_read_only_fields_and_keeps_roles_and_tags() {
        let out = render(&current(), &Changes::default()).unwrap();
        for key in READ_ONLY {
            assert!(out.get(key).is_none(), "{key} kept");
        }
        assert_eq!(
            out["taskRoleArn"],
            "arn:aws:iam::123456789012:role/api-task"
        );
        assert_eq!(
            out["executionRoleArn"],
            "arn:aws:iam::123456789012:role/api-exec"
        );
        assert_eq!(out["tags"][0]["value"], "payments");
    }

    #[test]
    fn sets_images_env_secrets_command_and_sizes() {
        let changes = Changes {
            images: vec![("sidecar".into(), ImageRef::parse("reg.io/envoy:2").unwrap())],
            image: Some(ImageRef::parse("reg.io/api:v2").unwrap()),
            environment: vec![("LOG".into(), "debug".into()), ("NEW".into(), "1".into())],
            secrets: vec![("DB".into(), "arn:aws:ssm:us-east-1:1:parameter/db".into())],
            command: Some(vec!["serve".into()]),
            cpu: Some("512".into()),
            ..Changes::default()
        };
        let out = render(&current(), &changes).unwrap();
        let api = &out["containerDefinitions"][0];
        assert_eq!(api["image"], "reg.io/api:v2");
        assert_eq!(
            api["environment"],
            json!([{"name": "LOG", "value": "debug"}, {"name": "NEW", "value": "1"}])
        );
        assert_eq!(
            api["secrets"][0]["valueFrom"],
            "arn:aws:ssm:us-east-1:1:parameter/db"
        );
        assert_eq!(api["command"], json!(["serve"]));
        assert_eq!(out["containerDefinitions"][1]["image"], "reg.io/envoy:2");
        assert_eq!(out["cpu"], "512");
        assert_eq!(out["memory"], "512");
    }

    #[test]
    fn docker_labels_are_set_and_environment_files_added_once() {
        let mut base = current();
        base["containerDefinitions"][0]["dockerLabels"] = json!({"team": "a", "keep": "1"});
        base["containerDefinitions"][0]["environmentFiles"] =
            json!([{"value": "arn:aws:s3:::cfg/base.env", "type": "s3"}]);
        // (name, base, labels, files, labels after, files after)
        type Case = (
            &'static str,
            Value,
            Vec<(String, String)>,
            Vec<String>,
            Value,
            Value,
        );
        let table: &[Case] = &[
            (
                "set and kept",
                base.clone(),
                vec![("team".into(), "b".into()), ("new".into(), "x".into())],
                vec![
                    "arn:aws:s3:::cfg/base.env".into(),
                    "arn:aws:s3:::cfg/prod.env".into(),
                ],
                json!({"team": "b", "keep": "1", "new": "x"}),
                json!([
                    {"value": "arn:aws:s3:::cfg/base.env", "type": "s3"},
                    {"value": "arn:aws:s3:::cfg/prod.env", "type": "s3"}
                ]),
            ),
            (
                "a container with none",
                current(),
                vec![("team".into(), "b".into())],
                vec!["arn:aws:s3:::cfg/prod.env".into()],
                json!({"team": "b"}),
                json!([{"value": "arn:aws:s3:::cfg/prod.env", "type": "s3"}]),
            ),
        ];
        for (name, base, labels, files, want_labels, want_files) in table {
            let changes = Changes {
                container: Some("api".into()),
                docker_labels: labels.clone(),
                environment_files: files.clone(),
                ..Changes::default()
            };
            let out = render(base, &changes).unwrap();
            let api = &out["containerDefinitions"][0];
            assert_eq!(&api["dockerLabels"], want_labels, "{name}");
            assert_eq!(&api["environmentFiles"], want_files, "{name}");
            // the other container is untouched
            assert_eq!(
                out["containerDefinitions"][1], base["containerDefinitions"][1],
                "{name}"
            );
        }
    }

    #[test]
    fn unknown_container_names_the_input_and_the_containers() {
        let changes = Changes {
            images: vec![("web".into(), ImageRef::parse("x:1").unwrap())],
            ..Changes::default()
        };
        let e = render(&current(), &changes).unwrap_err().to_string();
        assert!(
            e.contains("'images'") && e.contains("'web'") && e.contains("api, sidecar"),
            "{e}"
        );
        let changes = Changes {
            container: Some("db".into()),
            image: Some(ImageRef::parse("x:1").unwrap()),
            ..Changes::default()
        };
        let e = render(&current(), &changes).unwrap_err().to_string();
        assert!(e.contains("'container'") && e.contains("'db'"), "{e}");
    }

    #[test]
    fn single_container_inputs_pick_the_only_essential_container() {
        assert_eq!(
            target_container(&current(), None, "image-ref").unwrap(),
            "api"
        );
        let mut two = current();
        two["containerDefinitions"][1]["essential"] = json!(true);
        let e = target_container(&two, None, "image-ref")
            .unwrap_err()
            .to_string();
        assert!(e.contains("set input 'container'"), "{e}");
    }
}

//! What a run deploys (pure): which task definition to register or to reuse, and how it goes
//! back by image tag. Over the tool's own types (task definition JSON, [`Changes`],
//! [`ImageRef`]), never over SDK types or input strings; [`crate::run`] fetches what these need
//! and acts on what they decide.

use serde_json::Value;

use crate::config::Changes;
use crate::diff::{Change, diff};
use crate::error::RolloutError;
use crate::image::ImageRef;
use crate::render::{image_of, render, target_container};
use crate::taskdef;

/// Where the new task definition starts, with what was fetched for it.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// The changes rendered over this JSON: the running revision, or a file.
    Render(&'a Value),
    /// An existing revision (`name` as given, `definition` as described): deployed as it is
    /// when no change is asked for, else the base the changes are rendered over.
    Revision {
        name: &'a str,
        definition: &'a Value,
    },
    /// A revision deployed as it is, whatever the changes: where a rollback goes.
    AsItIs { arn: &'a str, definition: &'a Value },
}

/// The revision the service runs.
#[derive(Debug, Clone, Copy)]
pub struct Running<'a> {
    pub arn: &'a str,
    pub definition: &'a Value,
}

/// What the run deploys.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTaskDefinition {
    /// The task definition (rendered, or the reused revision's as described).
    pub definition: Value,
    /// The revision to deploy as it is; `None`: register `definition` first.
    pub reuse: Option<String>,
    /// How `definition` differs from the running revision.
    pub diff: Vec<Change>,
}

/// The ARN a described revision reports, else its name as given.
pub fn arn_of(definition: &Value, name: &str) -> String {
    definition
        .get("taskDefinitionArn")
        .and_then(Value::as_str)
        .unwrap_or(name)
        .to_owned()
}

/// Which task definition to deploy, and whether it must be registered: the source, rendered
/// with `changes` unless it is deployed as it is; a render that differs in nothing from the
/// running revision deploys that revision instead of a copy of it. A named container must
/// exist even when nothing else changes, and what will be registered must convert completely
/// (checked before anything is registered, dry run included).
pub fn task_definition(
    source: Source<'_>,
    changes: &Changes,
    running: Running<'_>,
) -> Result<NewTaskDefinition, RolloutError> {
    let (definition, reuse) = match source {
        Source::Render(base) => (render(base, changes)?, None),
        Source::Revision { name, definition } if changes.is_empty() => {
            (definition.clone(), Some(arn_of(definition, name)))
        }
        Source::Revision { definition, .. } => (render(definition, changes)?, None),
        Source::AsItIs { arn, definition } => (definition.clone(), Some(arn.to_owned())),
    };
    if let Some(c) = &changes.container {
        target_container(&definition, Some(c), "container")?;
    }
    let diff = diff(running.definition, &definition);
    let reuse = match reuse {
        None if diff.is_empty() => Some(running.arn.to_owned()),
        other => other,
    };
    if reuse.is_none() {
        taskdef::validate(&definition)?;
    }
    Ok(NewTaskDefinition {
        definition,
        reuse,
        diff,
    })
}

/// Going back by image tag: the container, and its image with the tag, which must exist in
/// the private ECR repository `repository` of registry `account` before anything is deployed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retag {
    pub container: String,
    pub account: String,
    pub repository: String,
    pub tag: String,
    /// The container's image with `tag`.
    pub image: ImageRef,
}

/// The image to go back to: the running revision's `container` (default: its only, or only
/// essential, container) with `tag`. Only an image in a private ECR registry qualifies: the tag
/// is checked there first.
pub fn retag(running: &Value, container: Option<&str>, tag: &str) -> Result<Retag, RolloutError> {
    let container = target_container(running, container, "rollback-image-tag")?;
    let image = image_of(running, &container).unwrap_or_default();
    let Some(parsed) = ImageRef::parse(image) else {
        return Err(RolloutError::RollbackImage(format!(
            "container {container} runs '{image}', which is not an image reference ecs-rollout can re-tag"
        )));
    };
    let Some((account, _)) = parsed.ecr() else {
        return Err(RolloutError::RollbackImage(format!(
            "container {container} runs '{image}', which is not in a private ECR registry, so the tag cannot be checked before deploying: roll back with rollback-task-definition"
        )));
    };
    Ok(Retag {
        account: account.to_owned(),
        repository: parsed.repository.clone(),
        tag: tag.to_owned(),
        image: parsed.with_tag(tag),
        container,
    })
}

impl Retag {
    /// The error when ECR does not have the tag.
    pub fn missing(&self) -> RolloutError {
        RolloutError::RollbackImage(format!(
            "tag '{}' does not exist in ECR repository {} (registry {}): nothing was deployed; check the tag (ecr-push outputs it)",
            self.tag, self.repository, self.account
        ))
    }

    /// Whether `definition` runs exactly the image to go back to in the container: such a
    /// revision is the version as it was, environment included, and is redeployed as it is.
    pub fn is_run_by(&self, definition: &Value) -> bool {
        image_of(definition, &self.container) == Some(self.image.to_string().as_str())
    }

    /// When no revision runs the image: the running revision with the container's image
    /// swapped (what is rendered and registered).
    pub fn changes(&self) -> Changes {
        Changes {
            images: vec![(self.container.clone(), self.image.clone())],
            ..Changes::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const RUNNING: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:4";
    const OLDER: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:2";
    const ECR: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/api";

    fn def(arn: &str, image: &str) -> Value {
        json!({
            "taskDefinitionArn": arn,
            "family": "api",
            "revision": taskdef::revision_of(arn),
            "status": "ACTIVE",
            "containerDefinitions": [
                {"name": "api", "image": image, "essential": true},
                {"name": "sidecar", "image": "reg.io/envoy:1", "essential": false}
            ]
        })
    }

    fn image(text: &str) -> Option<ImageRef> {
        Some(ImageRef::parse(text).unwrap())
    }

    #[test]
    fn which_task_definition_to_deploy() {
        let running = def(RUNNING, "reg.io/api:v1");
        let older = def(OLDER, "reg.io/api:v0");
        let file = json!({"family": "api", "containerDefinitions": [
            {"name": "api", "image": "reg.io/api:v1", "essential": true},
            {"name": "sidecar", "image": "reg.io/envoy:1", "essential": false}]});
        let none = Changes::default();
        let v2 = Changes {
            image: image("reg.io/api:v2"),
            ..Changes::default()
        };
        let only_container = Changes {
            container: Some("api".into()),
            ..Changes::default()
        };
        // (name, source, changes, expected: reused revision (None: register), the new image,
        // changed paths)
        type Case<'a> = (
            &'a str,
            Source<'a>,
            &'a Changes,
            Option<&'a str>,
            &'a str,
            &'a [&'a str],
        );
        let image_path = "containerDefinitions[api].image";
        let table: &[Case] = &[
            (
                "the running revision with a change: registered",
                Source::Render(&running),
                &v2,
                None,
                "reg.io/api:v2",
                &[image_path],
            ),
            (
                "the running revision unchanged: deployed as it is, not copied",
                Source::Render(&running),
                &none,
                Some(RUNNING),
                "reg.io/api:v1",
                &[],
            ),
            (
                "a container named, nothing else: the running revision",
                Source::Render(&running),
                &only_container,
                Some(RUNNING),
                "reg.io/api:v1",
                &[],
            ),
            (
                "a file equal to the running revision: the running revision",
                Source::Render(&file),
                &none,
                Some(RUNNING),
                "reg.io/api:v1",
                &[],
            ),
            (
                "a file with a change: registered",
                Source::Render(&file),
                &v2,
                None,
                "reg.io/api:v2",
                &[image_path],
            ),
            (
                "an existing revision without changes: deployed as it is",
                Source::Revision {
                    name: "api:2",
                    definition: &older,
                },
                &none,
                Some(OLDER),
                "reg.io/api:v0",
                &[image_path],
            ),
            (
                "an existing revision with changes: the base of a new one",
                Source::Revision {
                    name: "api:2",
                    definition: &older,
                },
                &v2,
                None,
                "reg.io/api:v2",
                &[image_path],
            ),
            (
                "a revision to go back to: as it is",
                Source::AsItIs {
                    arn: OLDER,
                    definition: &older,
                },
                &none,
                Some(OLDER),
                "reg.io/api:v0",
                &[image_path],
            ),
            (
                "the running revision as it is",
                Source::AsItIs {
                    arn: RUNNING,
                    definition: &running,
                },
                &none,
                Some(RUNNING),
                "reg.io/api:v1",
                &[],
            ),
        ];
        for (name, source, changes, reuse, new_image, paths) in table {
            let running = Running {
                arn: RUNNING,
                definition: &running,
            };
            let got = task_definition(*source, changes, running).unwrap();
            let changed: Vec<&str> = got
                .diff
                .iter()
                .map(|c| match c {
                    Change::Added { path, .. }
                    | Change::Removed { path, .. }
                    | Change::Changed { path, .. } => path.as_str(),
                })
                .collect();
            assert_eq!(
                (
                    got.reuse.as_deref(),
                    image_of(&got.definition, "api"),
                    changed.as_slice()
                ),
                (*reuse, Some(*new_image), *paths),
                "{name}"
            );
        }
    }

    #[test]
    fn what_cannot_be_deployed_is_refused() {
        let running = def(RUNNING, "reg.io/api:v1");
        let unregistrable = json!({"family": "api", "containerDefinitions": [
            {"name": "api", "image": "reg.io/api:v1", "essential": true, "bogus": 1}]});
        let db = Changes {
            container: Some("db".into()),
            ..Changes::default()
        };
        let web_image = Changes {
            images: vec![("web".into(), ImageRef::parse("x:1").unwrap())],
            ..Changes::default()
        };
        // (name, source, changes, the error says)
        let table: &[(&str, Source, &Changes, &str)] = &[
            (
                "a named container that is not there, even with nothing else set",
                Source::Render(&running),
                &db,
                "input 'container' names container 'db'",
            ),
            (
                "a change to a container that is not there",
                Source::Render(&running),
                &web_image,
                "input 'images' names container 'web'",
            ),
            (
                "what would be registered does not convert",
                Source::Render(&unregistrable),
                &Changes::default(),
                "bogus",
            ),
        ];
        for (name, source, changes, says) in table {
            let running = Running {
                arn: RUNNING,
                definition: &running,
            };
            let e = task_definition(*source, changes, running)
                .unwrap_err()
                .to_string();
            assert!(e.contains(says), "{name}: {e}");
        }
    }

    #[test]
    fn the_arn_a_revision_reports_else_its_name() {
        let table: &[(&str, Value, &str, &str)] = &[
            ("described", def(OLDER, "x"), "api:2", OLDER),
            (
                "no ARN in the answer",
                json!({"family": "api"}),
                "api:2",
                "api:2",
            ),
        ];
        for (name, definition, given, want) in table {
            assert_eq!(arn_of(definition, given), *want, "{name}");
        }
    }

    #[test]
    fn going_back_by_image_tag() {
        let ecr = def(RUNNING, &format!("{ECR}:v3"));
        let hub = def(RUNNING, "nginx:1.27");
        let bad = def(RUNNING, "Not An Image");
        // (name, running, container, Ok(retagged image) or Err(the error says))
        type Case<'a> = (&'a str, &'a Value, Option<&'a str>, Result<String, &'a str>);
        let table: &[Case] = &[
            (
                "the only essential container's ECR image",
                &ecr,
                None,
                Ok(format!("{ECR}:v1")),
            ),
            (
                "a named container",
                &ecr,
                Some("api"),
                Ok(format!("{ECR}:v1")),
            ),
            (
                "a container that is not there",
                &ecr,
                Some("db"),
                Err("names container 'db'"),
            ),
            (
                "not in ECR: the tag cannot be checked",
                &hub,
                None,
                Err("not in a private ECR registry"),
            ),
            (
                "not an image reference",
                &bad,
                None,
                Err("not an image reference ecs-rollout can re-tag"),
            ),
        ];
        for (name, running, container, want) in table {
            match (retag(running, *container, "v1"), want) {
                (Ok(r), Ok(image)) => {
                    assert_eq!(r.image.to_string(), *image, "{name}");
                    assert_eq!(
                        (
                            r.container.as_str(),
                            r.account.as_str(),
                            r.repository.as_str()
                        ),
                        ("api", "123456789012", "team/api"),
                        "{name}"
                    );
                }
                (Err(e), Err(says)) => assert!(e.to_string().contains(says), "{name}: {e}"),
                (got, _) => panic!("{name}: {got:?}"),
            }
        }
    }

    #[test]
    fn a_retag_finds_its_revision_or_renders_one() {
        let r = retag(&def(RUNNING, &format!("{ECR}:v3")), None, "v1").unwrap();
        // (name, revision, runs the image)
        let table: &[(&str, Value, bool)] = &[
            ("runs the tag", def(OLDER, &format!("{ECR}:v1")), true),
            ("runs another tag", def(OLDER, &format!("{ECR}:v2")), false),
            (
                "runs the tag in another container",
                json!({"containerDefinitions": [{"name": "worker", "image": format!("{ECR}:v1")}]}),
                false,
            ),
        ];
        for (name, revision, want) in table {
            assert_eq!(r.is_run_by(revision), *want, "{name}");
        }
        let rendered = render(&def(RUNNING, &format!("{ECR}:v3")), &r.changes()).unwrap();
        assert_eq!(
            image_of(&rendered, "api").map(str::to_owned),
            Some(format!("{ECR}:v1"))
        );
        assert!(r.missing().to_string().contains(
            "tag 'v1' does not exist in ECR repository team/api (registry 123456789012)"
        ));
    }
}

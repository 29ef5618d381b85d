//! `verify`: what a task definition refers to, checked before it is registered (ecspresso's
//! `verify`). Every image exists (ECR by DescribeImages, other registries by a manifest HEAD),
//! every secret a container reads exists (Secrets Manager or SSM Parameter Store), the task and
//! execution roles exist, and every awslogs log group exists or is created by the agent
//! (`awslogs-create-group`). A missing resource names the container, the field and the
//! resource; a resource that cannot be checked (no permission, another region, a private
//! registry's credentials) is said so and does not stop the deploy.
//!
//! [`references`] reads the task definition (pure); [`verify`] asks a [`Resources`] about each.

use std::future::Future;

use serde_json::Value;

use crate::image::ImageRef;

mod sdk;

pub use sdk::SdkResources;

/// Something a task definition needs to exist in AWS or a registry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Resource {
    /// A container image.
    Image(String),
    /// A secret: a Secrets Manager ARN (a JSON key or version suffix dropped).
    SecretsManager(String),
    /// An SSM parameter, by name or ARN.
    Parameter(String),
    /// An IAM role, by name (the last part of its ARN).
    Role(String),
    /// A CloudWatch Logs log group.
    LogGroup(String),
}

impl std::fmt::Display for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Resource::Image(i) => write!(f, "image {i}"),
            Resource::SecretsManager(s) => write!(f, "Secrets Manager secret {s}"),
            Resource::Parameter(p) => write!(f, "SSM parameter {p}"),
            Resource::Role(r) => write!(f, "IAM role {r}"),
            Resource::LogGroup(g) => write!(f, "log group {g}"),
        }
    }
}

/// Where a task definition refers to a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The container, or `None` for the task's own fields (roles).
    pub container: Option<String>,
    /// The field, e.g. `image`, `secrets[DB_PASSWORD].valueFrom`, `executionRoleArn`.
    pub field: String,
    pub resource: Resource,
    /// Why it is not checked, when it cannot be (a region other than the deploy's).
    pub unchecked: Option<String>,
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.container {
            Some(c) => write!(f, "container '{c}' {}: {}", self.field, self.resource),
            None => write!(f, "{}: {}", self.field, self.resource),
        }
    }
}

/// The region an ARN names (`arn:aws:ssm:eu-west-1:…`).
fn arn_region(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    (parts.next() == Some("arn")).then_some(())?;
    parts.nth(2).filter(|r| !r.is_empty())
}

/// The resource a secret's `valueFrom` names: Secrets Manager for its ARNs (without the
/// `:json-key:version-stage:version-id` suffix ECS allows), else SSM (an ARN or a name).
fn secret_source(value_from: &str) -> Resource {
    if value_from.starts_with("arn:") && value_from.split(':').nth(2) == Some("secretsmanager") {
        let id: Vec<&str> = value_from.split(':').take(7).collect();
        Resource::SecretsManager(id.join(":"))
    } else {
        Resource::Parameter(value_from.to_owned())
    }
}

/// Every resource `def` refers to, in order: the roles, then per container its image, secrets
/// (and log driver secret options) and awslogs log group. `region` is the deploy's: a resource
/// in another region is listed as unchecked. Image fields that are empty or templated (`{{`,
/// `${`, `<…>`) are not images yet and are left out.
pub fn references(def: &Value, region: &str) -> Vec<Reference> {
    let mut out = Vec::new();
    let other_region = |r: Option<&str>| {
        r.filter(|r| *r != region)
            .map(|r| format!("in {r}, not the deploy's region {region}"))
    };
    for field in ["taskRoleArn", "executionRoleArn"] {
        if let Some(role) = def
            .get(field)
            .and_then(Value::as_str)
            .filter(|r| !r.is_empty())
        {
            let name = role.rsplit('/').next().unwrap_or(role);
            out.push(Reference {
                container: None,
                field: field.to_owned(),
                resource: Resource::Role(name.to_owned()),
                unchecked: None,
            });
        }
    }
    let containers = def
        .get("containerDefinitions")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for c in containers {
        let name = c
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned();
        let mut push = |field: String, resource: Resource, unchecked: Option<String>| {
            out.push(Reference {
                container: Some(name.clone()),
                field,
                resource,
                unchecked,
            });
        };
        if let Some(image) = c.get("image").and_then(Value::as_str)
            && let Some(parsed) = ImageRef::parse(image)
        {
            push(
                "image".to_owned(),
                Resource::Image(image.to_owned()),
                other_region(parsed.ecr().map(|(_, region)| region)),
            );
        }
        let secrets = c.get("secrets").and_then(Value::as_array);
        let options = c
            .pointer("/logConfiguration/secretOptions")
            .and_then(Value::as_array);
        for (list, field) in [
            (secrets, "secrets"),
            (options, "logConfiguration.secretOptions"),
        ] {
            for s in list.map(Vec::as_slice).unwrap_or_default() {
                let (Some(secret), Some(from)) = (
                    s.get("name").and_then(Value::as_str),
                    s.get("valueFrom").and_then(Value::as_str),
                ) else {
                    continue;
                };
                push(
                    format!("{field}[{secret}].valueFrom"),
                    secret_source(from),
                    other_region(arn_region(from)),
                );
            }
        }
        let log = c.get("logConfiguration");
        if log.and_then(|l| l.get("logDriver")).and_then(Value::as_str) == Some("awslogs") {
            let option = |key: &str| {
                log.and_then(|l| l.pointer(&format!("/options/{key}")))
                    .and_then(Value::as_str)
            };
            let creates = option("awslogs-create-group") == Some("true");
            if let Some(group) = option("awslogs-group").filter(|_| !creates) {
                push(
                    "logConfiguration.options.awslogs-group".to_owned(),
                    Resource::LogGroup(group.to_owned()),
                    other_region(option("awslogs-region")),
                );
            }
        }
    }
    out
}

/// Whether a resource exists, as far as it could be told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    Yes,
    No,
    /// It could not be told (why: no permission, an error, a registry that needs credentials).
    Unknown(String),
}

/// What [`verify`] asks: one lookup per resource.
pub trait Resources: Send + Sync {
    fn exists(&self, resource: &Resource) -> impl Future<Output = Found> + Send;
}

/// What [`verify`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verification {
    /// References to resources that do not exist.
    pub missing: Vec<Reference>,
    /// References that were not checked, and why.
    pub unchecked: Vec<(Reference, String)>,
    /// How many references were checked and found.
    pub found: usize,
}

impl Verification {
    /// The error for the missing resources, one line each; `None` when none is missing.
    pub fn error(&self) -> Option<String> {
        (!self.missing.is_empty()).then(|| {
            let lines: Vec<String> = self
                .missing
                .iter()
                .map(|r| format!("{r} does not exist"))
                .collect();
            lines.join("; ")
        })
    }
}

/// Checks every reference of `def` (see [`references`]); each resource is asked about once.
pub async fn verify<R: Resources>(def: &Value, region: &str, resources: &R) -> Verification {
    let mut result = Verification::default();
    let mut asked: Vec<(Resource, Found)> = Vec::new();
    for reference in references(def, region) {
        if let Some(why) = reference.unchecked.clone() {
            result.unchecked.push((reference, why));
            continue;
        }
        let found = match asked.iter().find(|(r, _)| *r == reference.resource) {
            Some((_, found)) => found.clone(),
            None => {
                let found = resources.exists(&reference.resource).await;
                asked.push((reference.resource.clone(), found.clone()));
                found
            }
        };
        match found {
            Found::Yes => result.found += 1,
            Found::No => result.missing.push(reference),
            Found::Unknown(why) => result.unchecked.push((reference, why)),
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def() -> Value {
        json!({
            "family": "api",
            "taskRoleArn": "arn:aws:iam::123456789012:role/service-role/api-task",
            "executionRoleArn": "ecsTaskExecutionRole",
            "containerDefinitions": [{
                "name": "app",
                "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:v1",
                "secrets": [
                    {"name": "DB", "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:password::"},
                    {"name": "TOKEN", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/api/token"},
                    {"name": "PLAIN", "valueFrom": "/api/plain"},
                    {"name": "AWAY", "valueFrom": "arn:aws:ssm:eu-west-1:123456789012:parameter/x"}
                ],
                "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/api", "awslogs-region": "us-east-1"}}
            }, {
                "name": "router",
                "image": "{{ must_env `IMAGE` }}",
                "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/router", "awslogs-create-group": "true"}}
            }, {
                "name": "proxy",
                "image": "public.ecr.aws/nginx/nginx:1.27",
                "logConfiguration": {"logDriver": "splunk", "secretOptions": [{"name": "splunk-token", "valueFrom": "splunk/token"}]}
            }]
        })
    }

    #[test]
    fn references_name_the_container_the_field_and_the_resource() {
        let refs: Vec<String> = references(&def(), "us-east-1")
            .iter()
            .map(|r| {
                let mut s = r.to_string();
                if let Some(why) = &r.unchecked {
                    s.push_str(&format!(" (unchecked: {why})"));
                }
                s
            })
            .collect();
        assert_eq!(
            refs,
            [
                "taskRoleArn: IAM role api-task",
                "executionRoleArn: IAM role ecsTaskExecutionRole",
                "container 'app' image: image 123456789012.dkr.ecr.us-east-1.amazonaws.com/api:v1",
                "container 'app' secrets[DB].valueFrom: Secrets Manager secret arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf",
                "container 'app' secrets[TOKEN].valueFrom: SSM parameter arn:aws:ssm:us-east-1:123456789012:parameter/api/token",
                "container 'app' secrets[PLAIN].valueFrom: SSM parameter /api/plain",
                "container 'app' secrets[AWAY].valueFrom: SSM parameter arn:aws:ssm:eu-west-1:123456789012:parameter/x (unchecked: in eu-west-1, not the deploy's region us-east-1)",
                "container 'app' logConfiguration.options.awslogs-group: log group /ecs/api",
                "container 'proxy' image: image public.ecr.aws/nginx/nginx:1.27",
                "container 'proxy' logConfiguration.secretOptions[splunk-token].valueFrom: SSM parameter splunk/token",
            ]
        );
    }

    struct Known(Vec<Resource>, std::sync::Mutex<usize>);

    impl Resources for Known {
        async fn exists(&self, resource: &Resource) -> Found {
            *self.1.lock().unwrap() += 1;
            match resource {
                Resource::Image(i) if i.starts_with("public.ecr.aws") => {
                    Found::Unknown("no answer".into())
                }
                r if self.0.contains(r) => Found::Yes,
                _ => Found::No,
            }
        }
    }

    #[tokio::test]
    async fn missing_resources_are_errors_and_unknown_ones_are_not() {
        let mut d = def();
        // the same secret twice: asked once
        d["containerDefinitions"][1]["secrets"] =
            json!([{"name": "AGAIN", "valueFrom": "/api/plain"}]);
        let known = Known(
            vec![
                Resource::Role("api-task".into()),
                Resource::Image("123456789012.dkr.ecr.us-east-1.amazonaws.com/api:v1".into()),
                Resource::SecretsManager(
                    "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf".into(),
                ),
                Resource::Parameter("/api/plain".into()),
                Resource::LogGroup("/ecs/api".into()),
                Resource::Parameter("splunk/token".into()),
            ],
            std::sync::Mutex::new(0),
        );
        let v = verify(&d, "us-east-1", &known).await;
        let missing: Vec<String> = v.missing.iter().map(ToString::to_string).collect();
        assert_eq!(
            missing,
            [
                "executionRoleArn: IAM role ecsTaskExecutionRole",
                "container 'app' secrets[TOKEN].valueFrom: SSM parameter arn:aws:ssm:us-east-1:123456789012:parameter/api/token",
            ]
        );
        assert_eq!(v.unchecked.len(), 2, "{:?}", v.unchecked);
        assert_eq!(v.found, 7);
        assert_eq!(*known.1.lock().unwrap(), 9, "each resource asked once");
        assert!(
            v.error()
                .unwrap()
                .contains("IAM role ecsTaskExecutionRole does not exist")
        );
        assert_eq!(Verification::default().error(), None);
    }
}

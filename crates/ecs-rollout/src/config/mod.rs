//! Inputs → a validated [`Config`]. Every error names the input, the value and what is valid,
//! and nothing is asked of AWS (let alone changed) before all inputs are valid.

use std::path::{Path, PathBuf};
use std::time::Duration;

use gantry_toolkit::input::{InputError, Inputs};
use serde_json::Value;

use gantry_ecs::CircuitBreaker;
use gantry_ecs::image::{IMAGE_HELP, ImageRef, is_valid_tag};

mod inputs;

pub use inputs::INPUTS;

/// Where the new task definition starts from.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskDefSource {
    /// The one the service runs now (the default).
    Service,
    /// A JSON file (RegisterTaskDefinition input, or DescribeTaskDefinition output), already
    /// read and parsed.
    File { path: PathBuf, json: Value },
    /// An existing revision, `family:3` or its ARN: deployed as it is unless something is set.
    Existing(String),
}

/// What to deploy in `rollback` mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RollbackTarget {
    TaskDefinition(String),
    ImageTag(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Deploy,
    Rollback,
}

/// Where a service's tasks take their tags from (`propagateTags`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropagateTags {
    Service,
    TaskDefinition,
    None,
}

impl PropagateTags {
    /// ECS's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            PropagateTags::Service => "SERVICE",
            PropagateTags::TaskDefinition => "TASK_DEFINITION",
            PropagateTags::None => "NONE",
        }
    }
}

/// What the circuit-breaker input asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CircuitBreakerSetting {
    /// Leave the service's setting as it is.
    Keep,
    Set(CircuitBreaker),
}

impl CircuitBreakerSetting {
    /// The circuit breaker to set on the service; `None`: keep the service's.
    pub fn wanted(self) -> Option<CircuitBreaker> {
        match self {
            CircuitBreakerSetting::Keep => None,
            CircuitBreakerSetting::Set(cb) => Some(cb),
        }
    }
}

/// Changes to the containers of the task definition (pure data for [`crate::render`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    /// Container the single-container inputs apply to; `None`: the only (or only essential)
    /// container.
    pub container: Option<String>,
    /// `(container, image)` from `images`.
    pub images: Vec<(String, ImageRef)>,
    /// From `image-ref`, for [`Changes::container`].
    pub image: Option<ImageRef>,
    pub environment: Vec<(String, String)>,
    pub secrets: Vec<(String, String)>,
    pub docker_labels: Vec<(String, String)>,
    /// S3 object ARNs of `.env` files, from `environment-files`.
    pub environment_files: Vec<String>,
    pub command: Option<Vec<String>>,
    pub log_configuration: Option<Value>,
    pub cpu: Option<String>,
    pub memory: Option<String>,
}

impl Changes {
    /// Nothing to change (the `container` input alone changes nothing).
    pub fn is_empty(&self) -> bool {
        self.images.is_empty()
            && self.image.is_none()
            && self.environment.is_empty()
            && self.secrets.is_empty()
            && self.docker_labels.is_empty()
            && self.environment_files.is_empty()
            && self.command.is_none()
            && self.log_configuration.is_none()
            && self.cpu.is_none()
            && self.memory.is_none()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub cluster: String,
    pub service: String,
    pub mode: Mode,
    pub source: TaskDefSource,
    pub changes: Changes,
    pub desired_count: Option<i32>,
    pub force_new_deployment: bool,
    pub circuit_breaker: CircuitBreakerSetting,
    /// `None`: keep the service's.
    pub propagate_tags: Option<PropagateTags>,
    /// `None`: keep the service's.
    pub enable_ecs_managed_tags: Option<bool>,
    /// The one-off task after a completed deployment.
    pub smoke_test_command: Option<Vec<String>>,
    pub wait: bool,
    /// One deadline for the whole run, rollback included.
    pub timeout: Duration,
    pub pending_timeout: Duration,
    pub rollback_on_failure: bool,
    pub rollback_target: Option<RollbackTarget>,
    pub pre_deploy_command: Option<Vec<String>>,
    pub pre_deploy_timeout: Duration,
    pub deregister_failed: bool,
    pub dry_run: bool,
    /// Check what the task definition refers to before registering it.
    pub verify: bool,
    /// CODE_DEPLOY services only: application and deployment group (None: AWS's
    /// `AppECS-<cluster>-<service>` / `DgpECS-<cluster>-<service>`) and AppSpec hooks.
    pub codedeploy: CodeDeployInputs,
}

/// The `codedeploy-*` inputs, used only when the service has the CODE_DEPLOY controller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CodeDeployInputs {
    pub application: Option<String>,
    pub deployment_group: Option<String>,
    /// (lifecycle event, Lambda function name or ARN), in the order given.
    pub hooks: Vec<(String, String)>,
}

/// The AppSpec lifecycle events an ECS deployment can hook a Lambda function to.
pub const APPSPEC_HOOKS: &[&str] = &[
    "BeforeInstall",
    "AfterInstall",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AfterAllowTraffic",
];

/// A CodeDeploy application or deployment group name: 1 to 100 printable characters, no spaces.
fn codedeploy_name(inputs: &Inputs, name: &str) -> Result<Option<String>, InputError> {
    let Some(v) = inputs.get(name) else {
        return Ok(None);
    };
    if v.len() > 100 || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(InputError::invalid(
            name,
            &v,
            "a CodeDeploy name of 1 to 100 characters without spaces",
        ));
    }
    Ok(Some(v))
}

fn lambda_ok(v: &str) -> bool {
    if v.starts_with("arn:") {
        v.contains(":lambda:") && !v.contains(char::is_whitespace)
    } else {
        !v.is_empty()
            && v.len() <= 140
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_:".contains(c))
    }
}

fn codedeploy_inputs(inputs: &Inputs) -> Result<CodeDeployInputs, InputError> {
    let expected = format!(
        "lines EVENT=FUNCTION, EVENT one of {} and FUNCTION a Lambda function name or ARN",
        APPSPEC_HOOKS.join(", ")
    );
    let hooks = pairs(inputs, "codedeploy-appspec-hooks", lambda_ok, &expected)?;
    if let Some((k, v)) = hooks
        .iter()
        .find(|(k, _)| !APPSPEC_HOOKS.contains(&k.as_str()))
    {
        return Err(InputError::invalid(
            "codedeploy-appspec-hooks",
            format!("{k}={v}"),
            expected,
        ));
    }
    Ok(CodeDeployInputs {
        application: codedeploy_name(inputs, "codedeploy-application")?,
        deployment_group: codedeploy_name(inputs, "codedeploy-deployment-group")?,
        hooks,
    })
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(
        "input 'task-definition': cannot read '{path}': {error}: give a JSON file in the workspace, an ARN, or family:revision"
    )]
    File { path: String, error: String },
    #[error("input 'task-definition': '{path}' is not valid task definition JSON: {error}")]
    Json { path: String, error: String },
    #[error("conflicting inputs: {0}")]
    Conflict(String),
}

fn name_ok(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Cluster and service: a name (letters, digits, `-`, `_`) or an ARN.
fn resource(inputs: &Inputs, name: &str, what: &str) -> Result<String, InputError> {
    let value = inputs.get_required(name)?;
    let ok = if value.starts_with("arn:") {
        value.contains(&format!(":{what}/")) && !value.contains(char::is_whitespace)
    } else {
        name_ok(&value)
    };
    if !ok {
        return Err(InputError::invalid(
            name,
            &value,
            format!("an ECS {what} name (letters, digits, '-' and '_', up to 255) or its ARN"),
        ));
    }
    Ok(value)
}

/// The longest any of the `*-seconds` inputs may be: a GitHub-hosted job's own limit.
const MAX_SECONDS: u64 = 6 * 3600;

/// A `*-seconds` input, from 1 to [`MAX_SECONDS`]; `None` when empty and without a default.
fn seconds(inputs: &Inputs, name: &str) -> Result<Option<Duration>, InputError> {
    let expected = format!("a whole number of seconds from 1 to {MAX_SECONDS}");
    Ok(inputs
        .get_number_if_set(name, 1..=MAX_SECONDS, &expected)?
        .map(Duration::from_secs))
}

/// An S3 object ARN of a `.env` file, what ECS takes in `environmentFiles`
/// (`arn:<partition>:s3:::<bucket>/<key>.env`).
fn is_env_file_arn(arn: &str) -> bool {
    let Some(rest) = arn
        .strip_prefix("arn:")
        .and_then(|r| r.split_once(":s3:::"))
        .filter(|(partition, _)| partition.starts_with("aws"))
        .map(|(_, rest)| rest)
    else {
        return false;
    };
    rest.split_once('/')
        .is_some_and(|(bucket, key)| !bucket.is_empty() && key.len() > 4 && key.ends_with(".env"))
        && !arn.chars().any(char::is_whitespace)
}

/// The `NAME=value` inputs whose values may be secret: their errors show names only.
const VALUES_NOT_SHOWN: &[&str] = &["environment", "secrets", "docker-labels"];

/// `NAME=value` lines.
fn pairs(
    inputs: &Inputs,
    name: &str,
    valid: impl Fn(&str) -> bool,
    expected: &str,
) -> Result<Vec<(String, String)>, InputError> {
    let mut out: Vec<(String, String)> = Vec::new();
    let conceal = VALUES_NOT_SHOWN.contains(&name);
    for (n, line) in inputs.get_multiline(name).into_iter().enumerate() {
        // A value that may be secret is not shown: the name (`NAME=…`), or the line's number.
        let Some((k, v)) = line.split_once('=') else {
            let shown = if conceal {
                format!("line {} (no '=')", n + 1)
            } else {
                line.clone()
            };
            return Err(InputError::invalid(name, &shown, expected));
        };
        let (k, v) = (k.trim(), v.trim());
        let shown = if conceal {
            format!("{k}=…")
        } else {
            line.clone()
        };
        if k.is_empty() || !valid(v) {
            return Err(InputError::invalid(name, &shown, expected));
        }
        if out.iter().any(|(seen, _)| seen == k) {
            return Err(InputError::invalid(
                name,
                &shown,
                format!("{expected}; '{k}' is given twice"),
            ));
        }
        out.push((k.to_owned(), v.to_owned()));
    }
    Ok(out)
}

/// A command: a JSON array of strings, or words separated by spaces.
fn command(inputs: &Inputs, name: &str) -> Result<Option<Vec<String>>, InputError> {
    let Some(raw) = inputs.get(name) else {
        return Ok(None);
    };
    let expected = "a JSON array of strings such as [\"npm\", \"run\", \"migrate\"], or words separated by spaces";
    let words: Vec<String> = if raw.starts_with('[') {
        serde_json::from_str::<Vec<String>>(&raw).map_err(|e| InputError::Invalid {
            name: name.to_owned(),
            value: raw.clone(),
            expected: expected.to_owned(),
            detail: Some(e.to_string()),
        })?
    } else {
        raw.split_whitespace().map(str::to_owned).collect()
    };
    if words.is_empty() || words.iter().any(String::is_empty) {
        return Err(InputError::invalid(name, raw, expected));
    }
    Ok(Some(words))
}

fn task_size(inputs: &Inputs, name: &str, what: &str) -> Result<Option<String>, InputError> {
    let Some(v) = inputs.get(name) else {
        return Ok(None);
    };
    let ok = v.parse::<u32>().is_ok_and(|n| n > 0)
        || v.strip_suffix(" vCPU")
            .or_else(|| v.strip_suffix(" vcpu"))
            .or_else(|| v.strip_suffix(" GB"))
            .is_some_and(|n| n.parse::<f64>().is_ok_and(|x| x > 0.0));
    if !ok {
        return Err(InputError::invalid(
            name,
            v,
            format!("{what}, such as 512 or '0.5 vCPU' / '1 GB'"),
        ));
    }
    Ok(Some(v))
}

/// A secret's `valueFrom`: a Secrets Manager or SSM ARN, or an SSM parameter name.
fn secret_source_ok(v: &str) -> bool {
    if v.starts_with("arn:") {
        (v.contains(":secretsmanager:") || v.contains(":ssm:")) && !v.contains(char::is_whitespace)
    } else {
        !v.is_empty()
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || "/_.-".contains(c))
    }
}

impl Config {
    /// `workspace` is where a relative `task-definition` file is looked for.
    pub fn from_inputs(inputs: &Inputs, workspace: &Path) -> Result<Config, ConfigError> {
        let cluster = resource(inputs, "cluster", "cluster")?;
        let service = resource(inputs, "service", "service")?;
        let mode = inputs.get_choice(
            "mode",
            &[("deploy", Mode::Deploy), ("rollback", Mode::Rollback)],
        )?;

        let source = match inputs.get("task-definition") {
            None => TaskDefSource::Service,
            Some(v) if v.starts_with("arn:") => {
                if !v.contains(":task-definition/") || gantry_ecs::taskdef::revision_of(&v) == 0 {
                    return Err(InputError::invalid(
                        "task-definition",
                        &v,
                        "a task definition ARN with a revision (arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:N), family:N, or a JSON file",
                    )
                    .into());
                }
                TaskDefSource::Existing(v)
            }
            Some(v) => {
                let path = workspace.join(&v);
                let looks_like_revision = v
                    .split_once(':')
                    .is_some_and(|(f, r)| name_ok(f) && r.parse::<u64>().is_ok_and(|n| n > 0));
                if looks_like_revision && !path.exists() {
                    TaskDefSource::Existing(v)
                } else {
                    let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::File {
                        path: v.clone(),
                        error: e.to_string(),
                    })?;
                    let json =
                        parse_task_definition_file(&text).map_err(|error| ConfigError::Json {
                            path: v.clone(),
                            error,
                        })?;
                    TaskDefSource::File { path, json }
                }
            }
        };

        let container = inputs.get("container");
        if let Some(c) = &container
            && !name_ok(c)
        {
            return Err(InputError::invalid(
                "container",
                c,
                "a container name from the task definition (letters, digits, '-' and '_')",
            )
            .into());
        }
        let mut images = Vec::new();
        for (name, image) in pairs(
            inputs,
            "images",
            |v| !v.is_empty(),
            "one `container=image` a line, such as `web=123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v1.2.3`",
        )? {
            let Some(r) = ImageRef::parse(&image) else {
                return Err(InputError::invalid(
                    "images",
                    format!("{name}={image}"),
                    format!("`container=image` with {IMAGE_HELP}"),
                )
                .into());
            };
            images.push((name, r));
        }
        let image = match inputs.get("image-ref") {
            None => None,
            Some(v) => Some(
                ImageRef::parse(&v)
                    .ok_or_else(|| InputError::invalid("image-ref", &v, IMAGE_HELP))?,
            ),
        };
        if image.is_some()
            && let Some(c) = &container
            && images.iter().any(|(n, _)| n == c)
        {
            return Err(ConfigError::Conflict(format!(
                "'image-ref' and 'images' both set the image of container '{c}'"
            )));
        }
        let environment = pairs(inputs, "environment", |_| true, "one `NAME=value` a line")?;
        if let Some((bad, _)) = environment
            .iter()
            .find(|(k, _)| !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        {
            return Err(InputError::invalid(
                "environment",
                bad,
                "variable names of letters, digits and '_' in `NAME=value` lines",
            )
            .into());
        }
        let secrets = pairs(
            inputs,
            "secrets",
            secret_source_ok,
            "one `NAME=source` a line, the source a Secrets Manager or SSM parameter ARN (arn:aws:secretsmanager:… / arn:aws:ssm:…) or an SSM parameter name",
        )?;
        let log_configuration = match inputs.get("log-configuration") {
            None => None,
            Some(raw) => {
                let v: Value = serde_json::from_str(&raw).map_err(|e| InputError::Invalid {
                    name: "log-configuration".into(),
                    value: raw.clone(),
                    expected: "a JSON object such as {\"logDriver\": \"awslogs\", \"options\": {\"awslogs-group\": \"/ecs/api\"}}".into(),
                    detail: Some(e.to_string()),
                })?;
                serde_json::from_value::<LogConfigurationShape>(v.clone()).map_err(|e| {
                    InputError::Invalid {
                        name: "log-configuration".into(),
                        value: raw.clone(),
                        expected: "a JSON object with logDriver, options and secretOptions".into(),
                        detail: Some(e.to_string()),
                    }
                })?;
                Some(v)
            }
        };
        let docker_labels = pairs(
            inputs,
            "docker-labels",
            |_| true,
            "one `KEY=value` a line, such as `com.example.team=payments`",
        )?;
        let environment_files = inputs
            .get_multiline("environment-files")
            .into_iter()
            .map(|arn| {
                if is_env_file_arn(&arn) {
                    Ok(arn)
                } else {
                    Err(InputError::invalid(
                        "environment-files",
                        &arn,
                        "one S3 object ARN of a .env file a line, such as arn:aws:s3:::my-bucket/api/prod.env",
                    ))
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        let changes = Changes {
            container,
            images,
            image,
            environment,
            secrets,
            docker_labels,
            environment_files,
            command: command(inputs, "command")?,
            log_configuration,
            cpu: task_size(inputs, "cpu", "task CPU units")?,
            memory: task_size(inputs, "memory", "task memory in MiB")?,
        };

        let desired_count =
            inputs.parse_with("desired-count", "a whole number from 0 to 10000", |v| {
                v.parse::<i32>().map_err(|e| e.to_string()).and_then(|n| {
                    if (0..=10_000).contains(&n) {
                        Ok(n)
                    } else {
                        Err(String::new())
                    }
                })
            })?;
        let force_new_deployment = inputs.get_required_bool("force-new-deployment")?;
        let circuit_breaker = inputs.get_choice(
            "circuit-breaker",
            &[
                ("keep", CircuitBreakerSetting::Keep),
                (
                    "rollback",
                    CircuitBreakerSetting::Set(CircuitBreaker {
                        enable: true,
                        rollback: true,
                    }),
                ),
                (
                    "on",
                    CircuitBreakerSetting::Set(CircuitBreaker {
                        enable: true,
                        rollback: false,
                    }),
                ),
                (
                    "off",
                    CircuitBreakerSetting::Set(CircuitBreaker {
                        enable: false,
                        rollback: false,
                    }),
                ),
            ],
        )?;
        let wait = inputs.get_required_bool("wait")?;
        let timeout = seconds(inputs, "timeout-seconds")?
            .ok_or_else(|| InputError::missing("timeout-seconds"))?;
        let pending_timeout = seconds(inputs, "pending-timeout-seconds")?
            .ok_or_else(|| InputError::missing("pending-timeout-seconds"))?;
        let rollback_on_failure = inputs.get_required_bool("rollback-on-failure")?;
        let pre_deploy_command = command(inputs, "pre-deploy-command")?;
        let smoke_test_command = command(inputs, "smoke-test-command")?;
        let propagate_tags = inputs.get_enum(
            "propagate-tags",
            &[
                ("SERVICE", PropagateTags::Service),
                ("TASK_DEFINITION", PropagateTags::TaskDefinition),
                ("NONE", PropagateTags::None),
            ],
        )?;
        let enable_ecs_managed_tags = inputs.get_bool("enable-ecs-managed-tags")?;
        // Unset, 10 minutes or the run's deadline if that is shorter (which is why the input
        // table gives it no default); set, it must fit in the deadline.
        let pre_deploy_timeout = seconds(inputs, "pre-deploy-timeout-seconds")?
            .unwrap_or_else(|| Duration::from_secs(600).min(timeout));
        let deregister_failed = inputs.get_required_bool("deregister-failed")?;
        let dry_run = inputs.get_required_bool("dry-run")?;
        let verify = inputs.get_required_bool("verify")?;

        let by_td = inputs.get("rollback-task-definition");
        let by_tag = inputs.get("rollback-image-tag");
        if let Some(td) = &by_td {
            let ok = (td.starts_with("arn:")
                && td.contains(":task-definition/")
                && gantry_ecs::taskdef::revision_of(td) > 0)
                || td
                    .split_once(':')
                    .is_some_and(|(f, r)| name_ok(f) && r.parse::<u64>().is_ok_and(|n| n > 0));
            if !ok {
                return Err(InputError::invalid(
                    "rollback-task-definition",
                    td,
                    "family:revision or a task definition ARN with a revision",
                )
                .into());
            }
        }
        if let Some(tag) = &by_tag
            && !is_valid_tag(tag)
        {
            return Err(InputError::invalid(
                "rollback-image-tag",
                tag,
                "an image tag of letters, digits, '_', '.' and '-' (up to 128), such as v1.4.2 or sha-1a2b3c4",
            )
            .into());
        }
        let rollback_target = match (mode, by_td, by_tag) {
            (Mode::Rollback, Some(td), None) => Some(RollbackTarget::TaskDefinition(td)),
            (Mode::Rollback, None, Some(tag)) => Some(RollbackTarget::ImageTag(tag)),
            (Mode::Rollback, None, None) => {
                return Err(ConfigError::Conflict(
                    "mode 'rollback' needs 'rollback-task-definition' or 'rollback-image-tag'"
                        .into(),
                ));
            }
            (Mode::Rollback, Some(_), Some(_)) => {
                return Err(ConfigError::Conflict(
                    "give either 'rollback-task-definition' or 'rollback-image-tag', not both"
                        .into(),
                ));
            }
            (Mode::Deploy, None, None) => None,
            (Mode::Deploy, _, _) => {
                return Err(ConfigError::Conflict(
                    "'rollback-task-definition' and 'rollback-image-tag' need mode 'rollback'"
                        .into(),
                ));
            }
        };
        if mode == Mode::Rollback
            && (!changes.is_empty()
                || source != TaskDefSource::Service
                || pre_deploy_command.is_some())
        {
            return Err(ConfigError::Conflict(
                "mode 'rollback' redeploys a previous version: leave task-definition, images, image-ref, environment, secrets, command, log-configuration, cpu, memory and pre-deploy-command empty".into(),
            ));
        }
        if pre_deploy_timeout > timeout {
            return Err(ConfigError::Conflict(format!(
                "'pre-deploy-timeout-seconds' ({}) is longer than 'timeout-seconds' ({}), the deadline of the whole run",
                pre_deploy_timeout.as_secs(),
                timeout.as_secs()
            )));
        }
        let codedeploy = codedeploy_inputs(inputs)?;
        Ok(Config {
            cluster,
            service,
            mode,
            source,
            changes,
            desired_count,
            force_new_deployment,
            circuit_breaker,
            propagate_tags,
            enable_ecs_managed_tags,
            smoke_test_command,
            wait,
            timeout,
            pending_timeout,
            rollback_on_failure,
            rollback_target,
            pre_deploy_command,
            pre_deploy_timeout,
            deregister_failed,
            dry_run,
            verify,
            codedeploy,
        })
    }
}

/// A task definition file: RegisterTaskDefinition input, or DescribeTaskDefinition output
/// (`{"taskDefinition": {...}, "tags": [...]}`), checked as [`gantry_ecs::taskdef::validate`]
/// checks what is registered.
pub fn parse_task_definition_file(text: &str) -> Result<Value, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let v = if v.get("taskDefinition").is_some() {
        gantry_ecs::taskdef::from_describe(v)
    } else {
        Ok(v)
    };
    let invalid = |gantry_ecs::taskdef::TaskDefError::Invalid(why)| why;
    let v = v.map_err(invalid)?;
    gantry_ecs::taskdef::validate(&v).map_err(invalid)?;
    Ok(v)
}

/// What the input `log-configuration` must look like (ECS's `logConfiguration`): checked here,
/// before anything is registered, because the value is the user's and a typo in it would
/// otherwise reach ECS only after the other inputs were acted on.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)] // read only to check the shape
struct LogConfigurationShape {
    log_driver: String,
    #[serde(default)]
    options: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    secret_options: Vec<SecretOptionShape>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)] // read only to check the shape
struct SecretOptionShape {
    name: String,
    value_from: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use gantry_toolkit::Env;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let mut env = Env::new();
        for (k, v) in pairs {
            env.set(gantry_toolkit::input_env_name(k), *v);
        }
        Config::from_inputs(
            &Inputs::from_env(&env).with_specs(INPUTS.iter().copied()),
            Path::new("/nonexistent"),
        )
    }

    fn err(pairs: &[(&str, &str)]) -> String {
        match config(pairs) {
            Ok(c) => panic!("expected an error, got {c:?}"),
            Err(e) => e.to_string(),
        }
    }

    const BASE: &[(&str, &str)] = &[("cluster", "prod"), ("service", "api")];

    #[test]
    fn codedeploy_inputs_are_parsed_and_checked() {
        let c = config(&with(&[
            ("codedeploy-application", "AppECS-prod-api"),
            ("codedeploy-deployment-group", "DgpECS-prod-api"),
            (
                "codedeploy-appspec-hooks",
                "BeforeAllowTraffic=check\nAfterAllowTraffic=arn:aws:lambda:us-east-1:1:function:smoke",
            ),
        ]))
        .unwrap();
        assert_eq!(c.codedeploy.application.as_deref(), Some("AppECS-prod-api"));
        assert_eq!(
            c.codedeploy.deployment_group.as_deref(),
            Some("DgpECS-prod-api")
        );
        assert_eq!(c.codedeploy.hooks.len(), 2);
        assert_eq!(
            c.codedeploy.hooks[0],
            ("BeforeAllowTraffic".into(), "check".into())
        );
        assert_eq!(
            config(BASE).unwrap().codedeploy,
            CodeDeployInputs::default()
        );
        for (name, value, expected) in [
            ("codedeploy-application", "my app", "without spaces"),
            ("codedeploy-deployment-group", "tab\tname", "without spaces"),
            (
                "codedeploy-appspec-hooks",
                "Nope=fn",
                "EVENT one of BeforeInstall",
            ),
            (
                "codedeploy-appspec-hooks",
                "AfterInstall=bad fn",
                "Lambda function name or ARN",
            ),
            (
                "codedeploy-appspec-hooks",
                "AfterInstall=arn:aws:s3:::x",
                "Lambda function",
            ),
        ] {
            let e = err(&with(&[(name, value)]));
            assert!(
                e.contains(name) && e.contains(expected),
                "{name}={value}: {e}"
            );
        }
    }

    fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        let mut v = BASE.to_vec();
        v.extend_from_slice(extra);
        v
    }

    #[test]
    fn the_circuit_breaker_to_set() {
        let on = CircuitBreaker {
            enable: true,
            rollback: true,
        };
        // (name, setting, what is set on the service)
        let table: &[(&str, CircuitBreakerSetting, Option<CircuitBreaker>)] = &[
            ("keep the service's", CircuitBreakerSetting::Keep, None),
            ("set", CircuitBreakerSetting::Set(on), Some(on)),
            (
                "set off",
                CircuitBreakerSetting::Set(CircuitBreaker::default()),
                Some(CircuitBreaker::default()),
            ),
        ];
        for (name, setting, want) in table {
            assert_eq!(setting.wanted(), *want, "{name}");
        }
    }

    #[test]
    fn defaults() {
        let c = config(BASE).unwrap();
        assert_eq!(c.mode, Mode::Deploy);
        assert_eq!(c.source, TaskDefSource::Service);
        assert!(c.wait && c.rollback_on_failure && !c.dry_run && !c.deregister_failed);
        assert_eq!(c.timeout, Duration::from_secs(900));
        assert_eq!(c.circuit_breaker, CircuitBreakerSetting::Keep);
        assert!(c.changes.is_empty());
    }

    #[test]
    fn images_and_image_ref() {
        let c = config(&with(&[
            ("images", "web=reg.io/web:v2\nworker = reg.io/worker:v2"),
            ("image-ref", "reg.io/app:v3"),
            ("container", "app"),
            ("environment", "A=1\nB=x=y"),
            ("command", "[\"serve\", \"--port\", \"80\"]"),
        ]))
        .unwrap();
        assert_eq!(c.changes.images.len(), 2);
        assert_eq!(c.changes.images[1].0, "worker");
        assert_eq!(c.changes.image.unwrap().tag.as_deref(), Some("v3"));
        assert_eq!(c.changes.environment[1], ("B".into(), "x=y".into()));
        assert_eq!(c.changes.command.unwrap(), vec!["serve", "--port", "80"]);
    }

    #[test]
    fn bad_values_name_the_input_the_value_and_what_is_valid() {
        type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
        let cases: &[Case] = &[
            (&[("service", "api")], "cluster", "required"),
            (&[("cluster", "c")], "service", "required"),
            (
                &with(&[("cluster", "my cluster")]),
                "'my cluster'",
                "ECS cluster name",
            ),
            (
                &with(&[("mode", "redeploy")]),
                "'redeploy'",
                "deploy, rollback",
            ),
            (&with(&[("images", "web")]), "'web'", "container=image"),
            (
                &with(&[("images", "web=Bad Image")]),
                "web=Bad Image",
                "image reference",
            ),
            (
                &with(&[("image-ref", "reg.io/app:")]),
                "'reg.io/app:'",
                "image reference",
            ),
            (
                &with(&[("environment", "1-A=x")]),
                "'1-A'",
                "letters, digits",
            ),
            (
                &with(&[("secrets", "DB=plain text")]),
                "'DB=…'",
                "Secrets Manager",
            ),
            (
                &with(&[("command", "[1, 2]")]),
                "command",
                "JSON array of strings",
            ),
            (
                &with(&[("log-configuration", "{\"options\": {}}")]),
                "log-configuration",
                "logDriver",
            ),
            (&with(&[("cpu", "lots")]), "'lots'", "task CPU units"),
            (&with(&[("desired-count", "-1")]), "'-1'", "from 0 to 10000"),
            (&with(&[("force-new-deployment", "yes")]), "'yes'", "true"),
            (
                &with(&[("circuit-breaker", "maybe")]),
                "'maybe'",
                "keep, rollback, on, off",
            ),
            (
                &with(&[("timeout-seconds", "0")]),
                "timeout-seconds",
                "from 1 to",
            ),
            (
                &with(&[("task-definition", "arn:aws:ecs:us-east-1:1:service/x")]),
                "task-definition",
                "ARN with a revision",
            ),
            (
                &with(&[("task-definition", "missing.json")]),
                "task-definition",
                "cannot read 'missing.json'",
            ),
            (
                &with(&[("mode", "rollback")]),
                "rollback-task-definition",
                "rollback-image-tag",
            ),
            (
                &with(&[("mode", "rollback"), ("rollback-image-tag", "v1 2")]),
                "'v1 2'",
                "image tag",
            ),
            (
                &with(&[("rollback-image-tag", "v1")]),
                "rollback-image-tag",
                "mode 'rollback'",
            ),
            (
                &with(&[
                    ("mode", "rollback"),
                    ("rollback-image-tag", "v1"),
                    ("image-ref", "a:b"),
                ]),
                "rollback",
                "leave task-definition",
            ),
            (
                &with(&[("service", "api/v2")]),
                "'api/v2'",
                "ECS service name",
            ),
            (
                &with(&[("container", "web app")]),
                "'web app'",
                "container name",
            ),
            (
                // a line without `=` may be a pasted value: only its number is shown
                &with(&[("environment", "hunter2")]),
                "'line 1 (no '=')'",
                "`NAME=value`",
            ),
            (
                &with(&[("environment", "TOKEN=hunter2\nTOKEN=hunter3")]),
                "'TOKEN=…'",
                "'TOKEN' is given twice",
            ),
            (
                &with(&[("secrets", "DB=not-a-source hunter2")]),
                "'DB=…'",
                "Secrets Manager or SSM parameter ARN",
            ),
            (&with(&[("memory", "-5")]), "'-5'", "task memory in MiB"),
            (
                &with(&[("docker-labels", "team=payments\nhunter2")]),
                "'line 2 (no '=')'",
                "`KEY=value`",
            ),
            (
                &with(&[("environment-files", "s3://cfg/prod.env")]),
                "'s3://cfg/prod.env'",
                "S3 object ARN of a .env file",
            ),
            (
                &with(&[("environment-files", "arn:aws:s3:::cfg/prod.txt")]),
                "'arn:aws:s3:::cfg/prod.txt'",
                "S3 object ARN of a .env file",
            ),
            (
                &with(&[("propagate-tags", "ALL")]),
                "'ALL'",
                "SERVICE, TASK_DEFINITION, NONE",
            ),
            (
                &with(&[("enable-ecs-managed-tags", "yes")]),
                "'yes'",
                "true",
            ),
            (
                &with(&[("smoke-test-command", "[\"curl\", 1]")]),
                "smoke-test-command",
                "JSON array of strings",
            ),
            (&with(&[("verify", "maybe")]), "'maybe'", "true"),
            (&with(&[("wait", "maybe")]), "'maybe'", "true"),
            (
                &with(&[("pending-timeout-seconds", "x")]),
                "'x'",
                "whole number of seconds",
            ),
            (&with(&[("rollback-on-failure", "2")]), "'2'", "true"),
            (&with(&[("deregister-failed", "y")]), "'y'", "true"),
            (&with(&[("dry-run", "on")]), "'on'", "true"),
            (
                &with(&[("pre-deploy-command", "[\"a\", ")]),
                "pre-deploy-command",
                "JSON array of strings",
            ),
            (
                &with(&[("pre-deploy-timeout-seconds", "0")]),
                "pre-deploy-timeout-seconds",
                "from 1 to",
            ),
            (
                &with(&[("mode", "rollback"), ("rollback-task-definition", "api")]),
                "'api'",
                "family:revision",
            ),
            (
                &with(&[("pre-deploy-timeout-seconds", "1000")]),
                "pre-deploy-timeout-seconds",
                "timeout-seconds",
            ),
        ];
        for (inputs, value, valid) in cases {
            let e = err(inputs);
            assert!(e.contains(value) && e.contains(valid), "{inputs:?}: {e}");
            assert!(!e.contains("hunter"), "a value is shown: {e}");
        }
    }

    #[test]
    fn task_definition_file_is_validated_before_any_call() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("bad.json"), "{\"family\": \"x\", ").unwrap();
        std::fs::write(
            dir.path().join("nocontainers.json"),
            "{\"family\": \"x\", \"containerDefinitions\": []}",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("described.json"),
            r#"{"taskDefinition": {"family": "x", "revision": 3, "containerDefinitions": [{"name": "web", "image": "nginx"}]}, "tags": [{"key": "team", "value": "a"}]}"#,
        )
        .unwrap();
        let run = |file: &str| {
            let env = Env::from_iter([
                ("INPUT_CLUSTER", "c"),
                ("INPUT_SERVICE", "s"),
                ("INPUT_TASK-DEFINITION", file),
            ]);
            Config::from_inputs(
                &Inputs::from_env(&env).with_specs(INPUTS.iter().copied()),
                dir.path(),
            )
        };
        let e = run("bad.json").unwrap_err().to_string();
        assert!(
            e.contains("'bad.json' is not valid task definition JSON"),
            "{e}"
        );
        let e = run("nocontainers.json").unwrap_err().to_string();
        assert!(e.contains("containerDefinitions"), "{e}");
        let c = run("described.json").unwrap();
        let TaskDefSource::File { json, .. } = c.source else {
            panic!("a file source")
        };
        assert_eq!(json["tags"][0]["key"], "team");
        assert_eq!(
            run("web:7").unwrap().source,
            TaskDefSource::Existing("web:7".into())
        );
    }
}

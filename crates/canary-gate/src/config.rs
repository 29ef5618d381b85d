//! Inputs → a validated [`Config`]. Every error names the input, the value and what is valid,
//! and nothing runs (no AWS call, no probe) before all inputs and the policy are valid.

use std::path::Path;
use std::time::Duration;

use gantry_toolkit::InputSpec;
use gantry_toolkit::input::{InputError, Inputs};

use crate::duration::{human, is_cloudwatch_period, parse_duration};
use crate::policy::{self, Policy, PolicyError, Source};
use crate::steps::{self, Resume, Step};
use crate::webhooks::{self, Hook, Kind, Secret, WebhookError};

/// Every input of the action but the AWS ones ([`gantry_aws_setup::AWS_INPUTS`], which follow
/// it), declared once ([`gantry_toolkit::spec`]): the CLI flags, the defaults of empty inputs and
/// `--action-contract` come from here, and the contract test holds `action.yml` and the README to
/// it. The flagged inputs come first, in `--help` order.
pub const INPUTS: &[InputSpec] = &[
    InputSpec::new(
        "mode",
        "Operation: `canary` shifts ALB traffic in steps and judges canary against baseline; \
         `probe` shifts nothing and judges probes (and CloudWatch metrics) against thresholds: \
         staging health checks, performance gates, post-deploy monitoring.",
    )
    .default("canary")
    .flag("canary (shift traffic) or probe (no traffic, thresholds only)."),
    InputSpec::new(
        "policy",
        "The policy as YAML: metrics (source alb, cloudwatch, prometheus, datadog, web or \
         probe), thresholds, comparisons with the baseline, critical flags, min-requests, alpha. \
         See the README.",
    )
    .flag("The policy, as YAML."),
    InputSpec::new(
        "policy-file",
        "A file with the policy, relative to the workspace (instead of `policy`).",
    )
    .flag("A file with the policy."),
    InputSpec::new(
        "listener-arn",
        "Canary mode: the ALB listener whose rule (or default action) forwards to the two \
         target groups.",
    )
    .flag("The ALB listener."),
    InputSpec::new(
        "rule-arn",
        "Canary mode: the listener rule to shift; empty for the listener's default action.",
    )
    .flag("The listener rule; empty for the listener's default action."),
    InputSpec::new(
        "stable-target-group",
        "Canary mode: ARN of the stable (baseline) target group.",
    )
    .flag("The stable (baseline) target group."),
    InputSpec::new(
        "canary-target-group",
        "Canary mode: ARN of the canary target group.",
    )
    .flag("The canary target group."),
    InputSpec::new(
        "cluster",
        "Canary mode with ECS: the cluster of the stable and canary services; empty to shift \
         traffic only.",
    )
    .flag("The ECS cluster of the two services (empty: traffic only)."),
    InputSpec::new(
        "stable-service",
        "Canary mode with ECS: the service behind the stable target group; rolled to the \
         canary's task definition on promote.",
    )
    .flag("The ECS service behind the stable target group."),
    InputSpec::new(
        "canary-service",
        "Canary mode with ECS: the service behind the canary target group; runs the new task \
         definition while judged, scaled to 0 at the end. Empty: `stable-service` uses ECS's \
         own CANARY or LINEAR strategy, and canary-gate deploys `task-definition` to it and \
         judges that deployment (StopServiceDeployment ROLLBACK on a bad verdict).",
    )
    .flag("The ECS service behind the canary target group."),
    InputSpec::new(
        "task-definition",
        "Canary mode with ECS: the new task definition (ARN or `family:revision`); default the \
         canary service's current one. Required without `canary-service`.",
    )
    .flag("The new task definition (ARN or family:revision)."),
    InputSpec::new(
        "canary-desired-count",
        "Canary mode with ECS: tasks of the canary service while it is judged (1 to 10).",
    )
    .default("1")
    .flag("Tasks of the canary service while it is judged."),
    InputSpec::new(
        "deployment-alarms",
        "ECS's own CANARY or LINEAR deployment (no `canary-service`): put the policy's `min` / \
         `max` of its critical CloudWatch and ALB metrics as CloudWatch alarms and attach them \
         to the deployment with rollback, so that ECS rolls back by itself if the runner is \
         lost. Needs cloudwatch:PutMetricAlarm.",
    )
    .default("true")
    .flag("Attach the policy's thresholds as ECS deployment alarms."),
    InputSpec::new(
        "steps",
        "Canary percentages, strictly increasing from 1 to 100, e.g. `10,25,50,100` or with a \
         duration each `10:5m,50:10m,100`.",
    )
    .default("10,25,50,100")
    .flag("Canary percentages, e.g. 10,25,50,100 or 10:5m,50:10m,100."),
    InputSpec::new(
        "step-duration",
        "How long each step is watched when `steps` gives no duration.",
    )
    .default("5m")
    .flag("How long each step is watched."),
    InputSpec::new(
        "interval",
        "How often the evidence is read and judged (whole minutes with CloudWatch metrics).",
    )
    .default("1m")
    .flag("How often the evidence is read and judged."),
    InputSpec::new(
        "window",
        "Probe mode: how long to keep probing (`0s`: one round of requests).",
    )
    .default("0s")
    .flag("Probe mode: how long to watch (0s: one round)."),
    InputSpec::new(
        "metrics-delay",
        "How far behind now each CloudWatch window ends, for metrics to be published.",
    )
    .default("1m")
    .flag("How far behind now CloudWatch windows end."),
    InputSpec::new(
        "on-inconclusive",
        "When the analysis ends without enough traffic: `rollback` (restore stable), `hold` \
         (leave the weights, fail) or `promote`.",
    )
    .default("rollback")
    .flag("rollback, hold or promote."),
    InputSpec::new(
        "resume",
        "When the canary already has traffic at the start (a re-run): `continue` from that step \
         or `restart` from stable.",
    )
    .default("continue")
    .flag("continue or restart."),
    InputSpec::new(
        "timeout-seconds",
        "Overall deadline, in seconds; on expiry stable gets all traffic back.",
    )
    .default("7200")
    .flag("Overall deadline, in seconds."),
    InputSpec::new(
        "timeout",
        "Deprecated: use `timeout-seconds`. The overall deadline as a duration (`2h`, `90m`).",
    )
    .flag("Deprecated: use --timeout-seconds."),
    InputSpec::new(
        "dry-run",
        "Read the weights and print the plan; move no traffic, send no probes.",
    )
    .default("false")
    .flag("Plan and print, move no traffic."),
    InputSpec::new(
        "webhooks",
        "Webhooks as a YAML list of `{name, type, url, timeout, format, metadata}`: `type` \
         `pre-rollout` (before anything changes; a non-2xx stops the run), `rollout` (every \
         look; a non-2xx rolls back), `confirm-promotion` (asked every interval until it answers \
         2xx; the deadline rolls back), `promotion`, `rollback`, `failure` or `post-rollout` \
         (notifications); `format` json, slack or teams. Pass URLs from secrets. See the README.",
    )
    .flag("Webhooks, as YAML."),
    InputSpec::new(
        "webhook-secret",
        "Signs every webhook body: `X-Gantry-Signature-256: sha256=<hex HMAC-SHA256 of the \
         body>`, as GitHub signs its webhooks. At least 16 characters; pass it from a secret.",
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Shift ALB traffic in steps and judge canary against baseline.
    Canary,
    /// No traffic shifting: probes (and CloudWatch metrics) over a window, judged against
    /// the policy's thresholds: staging health checks, performance gates, post-deploy watch.
    Probe,
}

/// What to do when the analysis ends without enough evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnInconclusive {
    /// Restore stable to all traffic (the safe default) and fail the step.
    Rollback,
    /// Leave the weights as they are and fail the step, for a person (or a re-run) to decide.
    Hold,
    /// Promote anyway (no failure was seen, only too little traffic).
    Promote,
}

/// The listener rule (or the listener's default action) and its two target groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlbTarget {
    pub listener_arn: String,
    pub rule_arn: Option<String>,
    pub stable_target_group: String,
    pub canary_target_group: String,
}

impl AlbTarget {
    /// The same rule with the two groups' roles exchanged: ECS's own blue/green swaps which
    /// group is live with every deployment.
    pub fn swapped(&self) -> AlbTarget {
        AlbTarget {
            stable_target_group: self.canary_target_group.clone(),
            canary_target_group: self.stable_target_group.clone(),
            ..self.clone()
        }
    }
}

/// The ECS side: either a canary service beside the stable one, which canary-gate runs itself
/// (see [`crate::canary_service`]), or — with no canary service — the stable service's own
/// CANARY or LINEAR deployment, which canary-gate starts and judges (see [`crate::ecs_native`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcsTarget {
    pub cluster: String,
    pub stable_service: String,
    /// `None`: judge ECS's own CANARY/LINEAR deployment of the stable service.
    pub canary_service: Option<String>,
    /// The new task definition (ARN or `family:revision`); `None`: the canary service's own.
    /// Always set when there is no canary service.
    pub task_definition: Option<String>,
    pub canary_desired_count: i32,
}

/// The most canary tasks: a canary is a small sample, not a second fleet.
pub const MAX_CANARY_TASKS: i32 = 10;

/// The longest overall deadline: 72 hours, the longest a self-hosted runner's job may run.
pub const MAX_TIMEOUT_SECONDS: u64 = 72 * 3600;

#[derive(Debug, Clone)]
pub struct Config {
    pub mode: Mode,
    pub policy: Policy,
    pub alb: Option<AlbTarget>,
    pub ecs: Option<EcsTarget>,
    pub steps: Vec<Step>,
    pub interval: Duration,
    pub window: Duration,
    pub metrics_delay: Duration,
    pub on_inconclusive: OnInconclusive,
    pub resume: Resume,
    pub timeout: Duration,
    /// The input that set `timeout`: `timeout-seconds`, or the deprecated `timeout`.
    pub timeout_input: &'static str,
    /// Inputs given under an old name, said as warnings by the run.
    pub deprecations: Vec<String>,
    pub dry_run: bool,
    pub deployment_alarms: bool,
    /// The `webhooks` input, checked (see [`crate::webhooks`]).
    pub webhooks: Vec<Hook>,
    /// `webhook-secret`: signs every webhook body.
    pub webhook_secret: Option<Secret>,
}

impl Config {
    /// Whether any metric comes from CloudWatch (the ALB's or a custom one).
    pub fn needs_cloudwatch(&self) -> bool {
        self.policy
            .metrics
            .iter()
            .any(|m| m.source.reads_cloudwatch())
    }

    /// Whether the run talks to AWS at all.
    pub fn needs_aws(&self) -> bool {
        self.mode == Mode::Canary || self.needs_cloudwatch() || self.policy.needs_aws_credentials()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("input '{input}': {error}")]
    Policy {
        input: &'static str,
        #[source]
        error: PolicyError,
    },
    #[error(
        "input 'policy-file' is '{path}', which cannot be read ({error}): give a path relative to the workspace"
    )]
    PolicyFile { path: String, error: String },
    #[error("conflicting inputs: {0}")]
    Conflict(String),
    #[error("input 'webhooks': {0}")]
    Webhooks(#[source] WebhookError),
}

/// A duration input with a default in the input table (or `timeout`, read only when given).
fn duration_input(
    inputs: &Inputs,
    name: &str,
    min: Duration,
    max: Duration,
) -> Result<Duration, InputError> {
    let raw = inputs.get_required(name)?;
    match parse_duration(&raw) {
        Some(d) if d >= min && d <= max => Ok(d),
        _ => Err(InputError::invalid(
            name,
            raw,
            format!(
                "a duration from {} to {}, such as 30s, 5m or 1h30m",
                human(min),
                human(max)
            ),
        )),
    }
}

/// `arn:<partition>:elasticloadbalancing:<region>:<account>:<kind>/...`.
fn check_arn(input: &str, value: &str, kind: &str, example: &str) -> Result<(), InputError> {
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "elasticloadbalancing"
        && !parts[3].is_empty()
        && !parts[4].is_empty()
        && parts[5].starts_with(&format!("{kind}/"))
        && !value.contains(char::is_whitespace);
    if ok {
        Ok(())
    } else {
        Err(InputError::invalid(
            input,
            value,
            format!("an Elastic Load Balancing {kind} ARN, such as {example}"),
        ))
    }
}

/// A cluster or service: a name (letters, digits, `-`, `_`, up to 255) or an ECS ARN.
fn check_ecs_name(input: &str, value: &str, kind: &str) -> Result<(), InputError> {
    let name_ok = |n: &str| {
        !n.is_empty()
            && n.len() <= 255
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    let ok = match value.strip_prefix("arn:") {
        Some(rest) => {
            let parts: Vec<&str> = rest.splitn(5, ':').collect();
            parts.len() == 5
                && parts[0].starts_with("aws")
                && parts[1] == "ecs"
                && parts[4].starts_with(&format!("{kind}/"))
                && !value.contains(char::is_whitespace)
        }
        None => name_ok(value),
    };
    if ok {
        Ok(())
    } else {
        Err(InputError::invalid(
            input,
            value,
            format!(
                "an ECS {kind} name (letters, digits, '-' and '_', up to 255) or its ARN (arn:aws:ecs:<region>:<account>:{kind}/...)"
            ),
        ))
    }
}

/// `family:revision` or a task definition ARN.
pub fn check_task_definition(input: &str, value: &str) -> Result<(), InputError> {
    let family_revision = |s: &str| {
        s.rsplit_once(':').is_some_and(|(family, rev)| {
            !family.is_empty()
                && family.len() <= 255
                && family
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                && rev.parse::<u32>().is_ok_and(|r| r > 0)
        })
    };
    let ok = match value.strip_prefix("arn:") {
        Some(rest) => {
            let parts: Vec<&str> = rest.splitn(5, ':').collect();
            parts.len() == 5
                && parts[0].starts_with("aws")
                && parts[1] == "ecs"
                && parts[4]
                    .strip_prefix("task-definition/")
                    .is_some_and(family_revision)
        }
        None => family_revision(value),
    };
    if ok {
        Ok(())
    } else {
        Err(InputError::invalid(
            input,
            value,
            "a task definition as family:revision (such as api:42) or its ARN (arn:aws:ecs:<region>:<account>:task-definition/api:42)",
        ))
    }
}

impl Config {
    /// `workspace` is where a relative `policy-file` starts.
    pub fn from_inputs(inputs: &Inputs, workspace: &Path) -> Result<Config, ConfigError> {
        let mode =
            inputs.get_choice("mode", &[("canary", Mode::Canary), ("probe", Mode::Probe)])?;
        let default_min = match mode {
            Mode::Canary => policy::DEFAULT_MIN_REQUESTS,
            Mode::Probe => 1,
        };
        let policy = match (inputs.get("policy"), inputs.get("policy-file")) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::Conflict(
                    "both 'policy' and 'policy-file' are set: give the policy one way".into(),
                ));
            }
            (Some(yaml), None) => {
                policy::parse_with_default(&yaml, default_min).map_err(|error| {
                    ConfigError::Policy {
                        input: "policy",
                        error,
                    }
                })?
            }
            (None, Some(path)) => {
                let text = std::fs::read_to_string(workspace.join(&path)).map_err(|e| {
                    ConfigError::PolicyFile {
                        path: path.clone(),
                        error: e.to_string(),
                    }
                })?;
                policy::parse_with_default(&text, default_min).map_err(|error| {
                    ConfigError::Policy {
                        input: "policy-file",
                        error,
                    }
                })?
            }
            (None, None) => return Err(InputError::missing("policy").into()),
        };

        let step_duration = duration_input(
            inputs,
            "step-duration",
            Duration::from_secs(1),
            Duration::from_secs(24 * 3600),
        )?;
        let steps_raw = inputs.get_required("steps")?;
        let steps = steps::parse_steps(&steps_raw, step_duration)
            .map_err(|e| InputError::invalid("steps", &steps_raw, e))?;
        let interval = duration_input(
            inputs,
            "interval",
            Duration::from_millis(100),
            Duration::from_secs(3600),
        )?;
        let window = duration_input(
            inputs,
            "window",
            Duration::ZERO,
            Duration::from_secs(24 * 3600),
        )?;
        let metrics_delay = duration_input(
            inputs,
            "metrics-delay",
            Duration::ZERO,
            Duration::from_secs(3600),
        )?;
        let on_inconclusive = inputs.get_choice(
            "on-inconclusive",
            &[
                ("rollback", OnInconclusive::Rollback),
                ("hold", OnInconclusive::Hold),
                ("promote", OnInconclusive::Promote),
            ],
        )?;
        let resume = inputs.get_choice(
            "resume",
            &[("continue", Resume::Continue), ("restart", Resume::Restart)],
        )?;
        let mut deprecations = Vec::new();
        let (timeout, timeout_input) = match inputs.given("timeout") {
            // The old name, a duration, keeps working for a while.
            Some(_) if inputs.given("timeout-seconds").is_some() => {
                return Err(ConfigError::Conflict(
                    "both 'timeout' (deprecated) and 'timeout-seconds' are set: keep 'timeout-seconds'"
                        .into(),
                ));
            }
            Some(_) => {
                let timeout = duration_input(
                    inputs,
                    "timeout",
                    Duration::from_secs(1),
                    Duration::from_secs(MAX_TIMEOUT_SECONDS),
                )?;
                deprecations.push(format!(
                    "input 'timeout' is deprecated: use 'timeout-seconds: {}' instead",
                    timeout.as_secs().max(1)
                ));
                (timeout, "timeout")
            }
            None => {
                let seconds = inputs.get_number(
                    "timeout-seconds",
                    1..=MAX_TIMEOUT_SECONDS,
                    &format!(
                        "a whole number of seconds from 1 to {MAX_TIMEOUT_SECONDS} (72 hours)"
                    ),
                )?;
                (Duration::from_secs(seconds), "timeout-seconds")
            }
        };
        let dry_run = inputs.get_required_bool("dry-run")?;
        let deployment_alarms = inputs.get_required_bool("deployment-alarms")?;
        let hooks = match inputs.get("webhooks") {
            Some(yaml) => webhooks::parse(&yaml).map_err(ConfigError::Webhooks)?,
            None => Vec::new(),
        };
        let webhook_secret = match inputs.get("webhook-secret") {
            // The value is a secret: never in the message.
            Some(raw) => Some(Secret::parse(&raw).ok_or_else(|| {
                InputError::invalid(
                    "webhook-secret",
                    "***",
                    format!(
                        "a key of at least {} characters without line breaks (such as the output of `openssl rand -hex 32`)",
                        webhooks::MIN_SECRET_LEN
                    ),
                )
            })?),
            None => None,
        };

        let alb_inputs = [
            "listener-arn",
            "rule-arn",
            "stable-target-group",
            "canary-target-group",
        ];
        let alb = match mode {
            Mode::Probe => {
                if let Some(name) = alb_inputs.iter().find(|n| inputs.get(n).is_some()) {
                    return Err(ConfigError::Conflict(format!(
                        "'{name}' is set but mode is 'probe', which shifts no traffic: remove it or use mode: canary"
                    )));
                }
                if let Some(m) = policy
                    .metrics
                    .iter()
                    .find(|m| matches!(m.source, Source::Alb { .. }))
                {
                    return Err(ConfigError::Conflict(format!(
                        "metric '{}' has source 'alb' but mode is 'probe', which has no canary target group: use source probe or cloudwatch, or mode: canary",
                        m.name
                    )));
                }
                None
            }
            Mode::Canary => {
                let listener_arn = inputs.get_required("listener-arn")?;
                check_arn(
                    "listener-arn",
                    &listener_arn,
                    "listener",
                    "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2",
                )?;
                let rule_arn = inputs.get("rule-arn");
                if let Some(rule) = &rule_arn {
                    check_arn(
                        "rule-arn",
                        rule,
                        "listener-rule",
                        "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee",
                    )?;
                }
                let tg_example = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-canary/73e2d6bc24d8a067";
                let stable = inputs.get_required("stable-target-group")?;
                check_arn("stable-target-group", &stable, "targetgroup", tg_example)?;
                let canary = inputs.get_required("canary-target-group")?;
                check_arn("canary-target-group", &canary, "targetgroup", tg_example)?;
                if stable == canary {
                    return Err(InputError::invalid(
                        "canary-target-group",
                        canary,
                        "a target group other than stable-target-group",
                    )
                    .into());
                }
                Some(AlbTarget {
                    listener_arn,
                    rule_arn,
                    stable_target_group: stable,
                    canary_target_group: canary,
                })
            }
        };

        // Not `canary-desired-count`: it has a default, which the action always passes.
        let ecs_inputs = [
            "cluster",
            "stable-service",
            "canary-service",
            "task-definition",
        ];
        let ecs = match (mode, inputs.get("cluster")) {
            (Mode::Probe, _) => {
                if let Some(name) = ecs_inputs.iter().find(|n| inputs.get(n).is_some()) {
                    return Err(ConfigError::Conflict(format!(
                        "'{name}' is set but mode is 'probe', which runs no canary service: remove it or use mode: canary"
                    )));
                }
                None
            }
            (Mode::Canary, None) => {
                if let Some(name) = ecs_inputs[1..].iter().find(|n| inputs.get(n).is_some()) {
                    return Err(ConfigError::Conflict(format!(
                        "'{name}' is set but 'cluster' is empty: give the ECS cluster too, or remove '{name}' to shift traffic only"
                    )));
                }
                None
            }
            (Mode::Canary, Some(cluster)) => {
                check_ecs_name("cluster", &cluster, "cluster")?;
                let stable_service = inputs.get_required("stable-service")?;
                check_ecs_name("stable-service", &stable_service, "service")?;
                let canary_service = inputs.get("canary-service");
                if let Some(canary_service) = &canary_service {
                    check_ecs_name("canary-service", canary_service, "service")?;
                    if *canary_service == stable_service {
                        return Err(InputError::invalid(
                            "canary-service",
                            canary_service,
                            "a service other than stable-service",
                        )
                        .into());
                    }
                }
                let task_definition = inputs.get("task-definition");
                if let Some(td) = &task_definition {
                    check_task_definition("task-definition", td)?;
                }
                if canary_service.is_none() && task_definition.is_none() {
                    return Err(ConfigError::Conflict(format!(
                        "'canary-service' and 'task-definition' are both empty: give 'canary-service' to run the new version as a canary service beside '{stable_service}', or 'task-definition' to deploy it to '{stable_service}' with ECS's own CANARY or LINEAR strategy, judged by canary-gate"
                    )));
                }
                let canary_desired_count = inputs.get_number(
                    "canary-desired-count",
                    1..=MAX_CANARY_TASKS.unsigned_abs().into(),
                    &format!("a whole number of canary tasks from 1 to {MAX_CANARY_TASKS}"),
                )?;
                let canary_desired_count =
                    i32::try_from(canary_desired_count).unwrap_or(MAX_CANARY_TASKS);
                Some(EcsTarget {
                    cluster,
                    stable_service,
                    canary_service,
                    task_definition,
                    canary_desired_count,
                })
            }
        };

        // A confirm-promotion hook holds the weights until it says yes: only a canary whose
        // traffic canary-gate moves can be held.
        if let Some(hook) = hooks.iter().find(|h| h.kind == Kind::ConfirmPromotion) {
            let why = match (&mode, &ecs) {
                (Mode::Probe, _) => {
                    Some("mode is 'probe', which promotes nothing: remove it, or use mode: canary")
                }
                (Mode::Canary, Some(e)) if e.canary_service.is_none() => Some(
                    "without 'canary-service' ECS's own CANARY or LINEAR deployment shifts the traffic, and it cannot be paused before the promotion: remove the hook, or give 'canary-service' so that canary-gate moves the traffic itself",
                ),
                _ => None,
            };
            if let Some(why) = why {
                return Err(ConfigError::Conflict(format!(
                    "webhook '{}' is a confirm-promotion hook, but {why}",
                    hook.name
                )));
            }
        }

        let short_step = match mode {
            Mode::Canary => steps.iter().find(|s| s.duration < interval),
            Mode::Probe => None,
        };
        if let Some(short) = short_step {
            return Err(ConfigError::Conflict(format!(
                "step {} % lasts {}, shorter than 'interval' {}: every step needs at least one look; lengthen 'step-duration' or shorten 'interval'",
                short.percent,
                human(short.duration),
                human(interval)
            )));
        }
        let cloudwatch = policy.metrics.iter().any(|m| m.source.reads_cloudwatch());
        if cloudwatch && !is_cloudwatch_period(interval) {
            return Err(InputError::invalid(
                "interval",
                human(interval),
                "a CloudWatch period when the policy reads CloudWatch metrics: 1s, 5s, 10s, 30s or whole minutes (ALB metrics are published per minute: use 1m or more for them)",
            )
            .into());
        }
        let planned: Duration = match mode {
            Mode::Canary => steps.iter().map(|s| s.duration).sum(),
            Mode::Probe => window,
        };
        if planned + metrics_delay > timeout {
            return Err(ConfigError::Conflict(format!(
                "the analysis takes {} but '{timeout_input}' is {}: raise the timeout or shorten the steps",
                human(planned + metrics_delay),
                human(timeout)
            )));
        }

        Ok(Config {
            mode,
            policy,
            alb,
            ecs,
            steps,
            interval,
            window,
            metrics_delay,
            on_inconclusive,
            resume,
            timeout,
            timeout_input,
            deprecations,
            dry_run,
            deployment_alarms,
            webhooks: hooks,
            webhook_secret,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gantry_toolkit::Env;

    /// A probe-mode config from these inputs (names as in action.yml), with the input table.
    fn probe_config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let policy = "metrics:\n  health: {source: probe, kind: success-rate, url: 'http://127.0.0.1:9/', min: 0.9}\n";
        let mut env = Env::from_iter([("INPUT_MODE", "probe"), ("INPUT_POLICY", policy)]);
        for (name, value) in pairs {
            env.set(gantry_toolkit::input_env_name(name), *value);
        }
        let inputs = Inputs::from_env(&env).with_specs(INPUTS.iter().copied());
        Config::from_inputs(&inputs, Path::new("."))
    }

    #[test]
    fn timeout_seconds_is_the_deadline_and_the_old_timeout_still_works_with_a_warning() {
        let config = probe_config(&[]).unwrap();
        assert_eq!(
            (config.timeout, config.timeout_input),
            (Duration::from_secs(7200), "timeout-seconds")
        );
        assert!(config.deprecations.is_empty());

        let config = probe_config(&[("timeout-seconds", "600")]).unwrap();
        assert_eq!(config.timeout, Duration::from_secs(600));

        let config = probe_config(&[("timeout", "90m")]).unwrap();
        assert_eq!(
            (config.timeout, config.timeout_input),
            (Duration::from_secs(5400), "timeout")
        );
        assert_eq!(
            config.deprecations,
            ["input 'timeout' is deprecated: use 'timeout-seconds: 5400' instead"]
        );

        let both = probe_config(&[("timeout", "90m"), ("timeout-seconds", "600")]).unwrap_err();
        assert_eq!(
            both.to_string(),
            "conflicting inputs: both 'timeout' (deprecated) and 'timeout-seconds' are set: keep 'timeout-seconds'"
        );
        let bad = probe_config(&[("timeout-seconds", "2h")]).unwrap_err();
        assert_eq!(
            bad.to_string(),
            "input 'timeout-seconds' has invalid value '2h': expected a whole number of seconds from 1 to 259200 (72 hours)"
        );
        let short = probe_config(&[("timeout-seconds", "1"), ("window", "10s")]).unwrap_err();
        assert!(
            short
                .to_string()
                .contains("but 'timeout-seconds' is 1s: raise the timeout"),
            "{short}"
        );
    }

    #[test]
    fn webhooks_and_their_secret_are_checked_without_showing_them() {
        let hooks = "- {name: oncall, type: rollback, url: 'https://hooks.example.com/T1/B2/s3cretpath', format: slack}";
        let config = probe_config(&[
            ("webhooks", hooks),
            ("webhook-secret", "a-long-enough-key-0123"),
        ])
        .unwrap();
        assert_eq!(config.webhooks.len(), 1);
        assert_eq!(config.webhooks[0].name, "oncall");
        assert!(config.webhook_secret.is_some());
        assert!(probe_config(&[]).unwrap().webhooks.is_empty());

        let short = probe_config(&[("webhook-secret", "short-s3cret")]).unwrap_err();
        assert_eq!(
            short.to_string(),
            "input 'webhook-secret' has invalid value '***': expected a key of at least 16 characters without line breaks (such as the output of `openssl rand -hex 32`)"
        );
        let bad = probe_config(&[(
            "webhooks",
            "- {name: x, type: later, url: 'https://h/s3cretpath'}",
        )])
        .unwrap_err()
        .to_string();
        assert!(
            bad.starts_with("input 'webhooks': hook #1 'x': 'type' is 'later'"),
            "{bad}"
        );
        let confirm = probe_config(&[(
            "webhooks",
            "- {name: approve, type: confirm-promotion, url: 'https://h/approve'}",
        )])
        .unwrap_err()
        .to_string();
        assert_eq!(
            confirm,
            "conflicting inputs: webhook 'approve' is a confirm-promotion hook, but mode is 'probe', which promotes nothing: remove it, or use mode: canary"
        );
    }
}

//! Inputs → validated AWS settings. Pure: reads an injected environment, touches no network.

use std::collections::BTreeMap;
use std::time::Duration;

use gantry_toolkit::{Env, InputSpec};

use crate::error::SettingsError;

/// Inputs every AWS tool accepts, in the kebab-case form used in `action.yml`.
pub mod input {
    pub const REGION: &str = "aws-region";
    pub const ROLE_TO_ASSUME: &str = "role-to-assume";
    pub const ROLE_SESSION_NAME: &str = "role-session-name";
    pub const ROLE_DURATION_SECONDS: &str = "role-duration-seconds";
    pub const AUDIENCE: &str = "audience";
    pub const RETRY_MODE: &str = "aws-retry-mode";
    pub const MAX_ATTEMPTS: &str = "aws-max-attempts";
    pub const ATTEMPT_TIMEOUT_SECONDS: &str = "aws-attempt-timeout-seconds";
    pub const CONNECT_TIMEOUT_SECONDS: &str = "aws-connect-timeout-seconds";
}

/// The AWS inputs of every AWS tool, declared once ([`gantry_toolkit::spec`]): each tool's
/// table is followed by this one, and each tool's `action.yml` carries these words. No input has
/// a default here: an empty one falls back to the standard AWS variables and the SDK's settings
/// (see [`AwsSettings::from_inputs`]).
pub const AWS_INPUTS: &[InputSpec] = &[
    InputSpec::new(
        input::REGION,
        "AWS region. Default `AWS_REGION`, then `AWS_DEFAULT_REGION`.",
    )
    .flag("AWS region."),
    InputSpec::new(
        input::ROLE_TO_ASSUME,
        "IAM role ARN to assume, with the job's OIDC token when `id-token: write` is granted.",
    ),
    InputSpec::new(
        input::ROLE_SESSION_NAME,
        "Session name for the assumed role.",
    ),
    InputSpec::new(
        input::ROLE_DURATION_SECONDS,
        "Lifetime of the assumed role's session, 900 to 43200 seconds (default 3600).",
    ),
    InputSpec::new(
        input::AUDIENCE,
        "Audience of the OIDC token (default `sts.amazonaws.com`).",
    ),
    InputSpec::new(
        input::RETRY_MODE,
        "AWS SDK retry mode: `standard` or `adaptive`.",
    ),
    InputSpec::new(
        input::MAX_ATTEMPTS,
        "AWS SDK attempts per call, 1 to 20 (default 5).",
    ),
    InputSpec::new(
        input::ATTEMPT_TIMEOUT_SECONDS,
        "Timeout of one AWS call attempt, in seconds (default 60).",
    ),
    InputSpec::new(
        input::CONNECT_TIMEOUT_SECONDS,
        "Connect timeout of AWS calls, in seconds (default 10).",
    ),
];

/// The audience GitHub's OIDC token must carry for `sts:AssumeRoleWithWebIdentity`
/// (the same default as aws-actions/configure-aws-credentials).
pub const DEFAULT_AUDIENCE: &str = "sts.amazonaws.com";
pub const DEFAULT_ROLE_DURATION: Duration = Duration::from_secs(3600);
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(60);
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Services whose endpoint can be overridden one by one with `AWS_ENDPOINT_URL_<SERVICE>`.
/// The suffix is the SDK's service id upper-cased with spaces as `_` (the AWS convention).
pub const SERVICES: &[&str] = &[
    "ECS",
    "ECR",
    "ECR_PUBLIC",
    "STS",
    "CLOUDWATCH",
    "CLOUDWATCH_LOGS",
    "ELASTIC_LOAD_BALANCING_V2",
    "CODEDEPLOY",
    "IAM",
    "SSM",
    "SECRETS_MANAGER",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryMode {
    Standard,
    Adaptive,
}

/// How the tool gets credentials; decided from the inputs and what the runner offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    /// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (/ `AWS_SESSION_TOKEN`) in the environment.
    Static(StaticKeys),
    /// The SDK's default chain: profiles, container and instance roles.
    DefaultChain,
}

#[derive(Clone, PartialEq, Eq)]
pub struct StaticKeys {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for StaticKeys {
    // Never let a Debug print of settings leak a key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticKeys").finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRole {
    pub role_arn: String,
    pub session_name: String,
    pub duration: Duration,
    pub audience: String,
}

/// Everything needed to build an `SdkConfig`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsSettings {
    /// The tool's name (`ecs-rollout`), used in the user agent and the default session name.
    pub tool: String,
    pub region: String,
    /// `AWS_ENDPOINT_URL`: all services, e.g. the local emulator.
    pub endpoint_url: Option<String>,
    /// `AWS_ENDPOINT_URL_<SERVICE>`, keyed by the upper-case suffix; wins over `endpoint_url`.
    pub service_endpoints: BTreeMap<String, String>,
    pub credentials: CredentialSource,
    pub assume_role: Option<AssumeRole>,
    pub retry_mode: RetryMode,
    pub max_attempts: u32,
    pub attempt_timeout: Duration,
    pub connect_timeout: Duration,
}

impl AwsSettings {
    /// Reads the AWS inputs (see [`input`]) with the standard AWS environment variables as
    /// fallbacks, and validates all of them before anything talks to AWS.
    pub fn from_env(tool: &str, env: &Env) -> Result<Self, SettingsError> {
        Self::from_inputs(tool, &gantry_toolkit::Inputs::from_env(env), env)
    }

    /// Like [`AwsSettings::from_env`], reading the inputs through `inputs`, so that a tool's CLI
    /// flags (input overrides such as `--aws-region`) count as they do for its other inputs.
    pub fn from_runner(tool: &str, runner: &gantry_toolkit::Runner) -> Result<Self, SettingsError> {
        Self::from_inputs(tool, runner.inputs(), runner.env())
    }

    /// The AWS inputs from `inputs`; the standard AWS variables from `env`.
    pub fn from_inputs(
        tool: &str,
        inputs: &gantry_toolkit::Inputs,
        env: &Env,
    ) -> Result<Self, SettingsError> {
        let get = |name: &str| inputs.get(name);

        let region = match get(input::REGION)
            .or_else(|| non_empty(env, "AWS_REGION"))
            .or_else(|| non_empty(env, "AWS_DEFAULT_REGION"))
        {
            Some(region) => validate_region(&region)?,
            None => return Err(SettingsError::MissingRegion),
        };

        let endpoint_url = match non_empty(env, "AWS_ENDPOINT_URL") {
            Some(url) => Some(validate_endpoint("AWS_ENDPOINT_URL", &url)?),
            None => None,
        };
        let mut service_endpoints = BTreeMap::new();
        for service in SERVICES {
            let var = format!("AWS_ENDPOINT_URL_{service}");
            if let Some(url) = non_empty(env, &var) {
                service_endpoints.insert((*service).to_string(), validate_endpoint(&var, &url)?);
            }
        }

        let credentials = match (
            non_empty(env, "AWS_ACCESS_KEY_ID"),
            non_empty(env, "AWS_SECRET_ACCESS_KEY"),
        ) {
            (Some(access_key_id), Some(secret_access_key)) => {
                CredentialSource::Static(StaticKeys {
                    access_key_id,
                    secret_access_key,
                    session_token: non_empty(env, "AWS_SESSION_TOKEN"),
                })
            }
            (Some(_), None) => {
                return Err(SettingsError::HalfStaticKeys {
                    present: "AWS_ACCESS_KEY_ID",
                    missing: "AWS_SECRET_ACCESS_KEY",
                });
            }
            (None, Some(_)) => {
                return Err(SettingsError::HalfStaticKeys {
                    present: "AWS_SECRET_ACCESS_KEY",
                    missing: "AWS_ACCESS_KEY_ID",
                });
            }
            (None, None) => CredentialSource::DefaultChain,
        };

        let assume_role = match get(input::ROLE_TO_ASSUME) {
            None => None,
            Some(role) => {
                let role_arn = validate_role_arn(&role)?;
                let session_name = match get(input::ROLE_SESSION_NAME) {
                    Some(name) => validate_session_name(&name)?,
                    None => default_session_name(tool, env),
                };
                let duration = match get(input::ROLE_DURATION_SECONDS) {
                    Some(raw) => Duration::from_secs(parse_in_range(
                        input::ROLE_DURATION_SECONDS,
                        &raw,
                        900,
                        43_200,
                        "whole seconds from 900 (15 minutes) to 43200 (12 hours)",
                    )?),
                    None => DEFAULT_ROLE_DURATION,
                };
                let audience = get(input::AUDIENCE).unwrap_or_else(|| DEFAULT_AUDIENCE.into());
                Some(AssumeRole {
                    role_arn,
                    session_name,
                    duration,
                    audience,
                })
            }
        };
        if assume_role.is_none() {
            for name in [
                input::ROLE_SESSION_NAME,
                input::ROLE_DURATION_SECONDS,
                input::AUDIENCE,
            ] {
                if let Some(value) = get(name) {
                    return Err(SettingsError::Conflict {
                        input: name,
                        value,
                        reason: "it only applies together with 'role-to-assume'",
                    });
                }
            }
        }

        let retry_mode = match get(input::RETRY_MODE).or_else(|| non_empty(env, "AWS_RETRY_MODE")) {
            None => RetryMode::Standard,
            Some(raw) => match raw.as_str() {
                "standard" => RetryMode::Standard,
                "adaptive" => RetryMode::Adaptive,
                _ => {
                    return Err(SettingsError::Invalid {
                        input: input::RETRY_MODE.into(),
                        value: raw,
                        expected: "one of standard, adaptive",
                    });
                }
            },
        };
        let max_attempts =
            match get(input::MAX_ATTEMPTS).or_else(|| non_empty(env, "AWS_MAX_ATTEMPTS")) {
                None => DEFAULT_MAX_ATTEMPTS,
                Some(raw) => parse_in_range(
                    input::MAX_ATTEMPTS,
                    &raw,
                    1,
                    20,
                    "a whole number from 1 to 20 (1 means no retries)",
                )? as u32,
            };
        let attempt_timeout = match get(input::ATTEMPT_TIMEOUT_SECONDS) {
            None => DEFAULT_ATTEMPT_TIMEOUT,
            Some(raw) => Duration::from_secs(parse_in_range(
                input::ATTEMPT_TIMEOUT_SECONDS,
                &raw,
                1,
                900,
                "whole seconds from 1 to 900",
            )?),
        };
        let connect_timeout = match get(input::CONNECT_TIMEOUT_SECONDS) {
            None => DEFAULT_CONNECT_TIMEOUT,
            Some(raw) => Duration::from_secs(parse_in_range(
                input::CONNECT_TIMEOUT_SECONDS,
                &raw,
                1,
                120,
                "whole seconds from 1 to 120",
            )?),
        };

        Ok(Self {
            tool: tool.to_string(),
            region,
            endpoint_url,
            service_endpoints,
            credentials,
            assume_role,
            retry_mode,
            max_attempts,
            attempt_timeout,
            connect_timeout,
        })
    }

    /// The endpoint a client for `service` (an entry of [`SERVICES`]) must use, if overridden.
    pub fn endpoint_for(&self, service: &str) -> Option<&str> {
        self.service_endpoints
            .get(&service.to_ascii_uppercase())
            .or(self.endpoint_url.as_ref())
            .map(String::as_str)
    }
}

fn non_empty(env: &Env, var: &str) -> Option<String> {
    env.get(var)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`, `us-isob-east-1`: lower-case
/// words joined by `-`, ending in a number. Catches typos such as `us-east1` or `US-EAST-1`
/// before a request goes to a host that does not exist.
fn validate_region(raw: &str) -> Result<String, SettingsError> {
    let parts: Vec<&str> = raw.split('-').collect();
    let ok = parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if ok {
        Ok(raw.to_string())
    } else {
        Err(SettingsError::Invalid {
            input: input::REGION.into(),
            value: raw.to_string(),
            expected: "an AWS region code such as us-east-1 or eu-west-2",
        })
    }
}

fn validate_endpoint(var: &str, raw: &str) -> Result<String, SettingsError> {
    let rest = raw
        .strip_prefix("http://")
        .or_else(|| raw.strip_prefix("https://"));
    match rest {
        Some(host)
            if !host.is_empty() && !host.starts_with('/') && !raw.contains(char::is_whitespace) =>
        {
            Ok(raw.trim_end_matches('/').to_string())
        }
        _ => Err(SettingsError::Invalid {
            input: var.into(),
            value: raw.to_string(),
            expected: "an http:// or https:// URL with a host, e.g. http://127.0.0.1:5000",
        }),
    }
}

/// `arn:<partition>:iam::<12-digit account>:role/<path/name>`.
fn validate_role_arn(raw: &str) -> Result<String, SettingsError> {
    let parts: Vec<&str> = raw.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && matches!(
            parts[1],
            "aws" | "aws-cn" | "aws-us-gov" | "aws-iso" | "aws-iso-b"
        )
        && parts[2] == "iam"
        && parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && parts[5]
            .strip_prefix("role/")
            .is_some_and(|n| !n.is_empty());
    if ok {
        Ok(raw.to_string())
    } else {
        Err(SettingsError::Invalid {
            input: input::ROLE_TO_ASSUME.into(),
            value: raw.to_string(),
            expected: "an IAM role ARN such as arn:aws:iam::123456789012:role/deploy",
        })
    }
}

/// STS allows 2–64 characters of `[\w+=,.@-]`.
fn validate_session_name(raw: &str) -> Result<String, SettingsError> {
    let ok = (2..=64).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b));
    if ok {
        Ok(raw.to_string())
    } else {
        Err(SettingsError::Invalid {
            input: input::ROLE_SESSION_NAME.into(),
            value: raw.to_string(),
            expected: "2 to 64 characters of letters, digits and _+=,.@-",
        })
    }
}

/// `gantry-<tool>-<run id>` so CloudTrail shows which workflow run made a change.
fn default_session_name(tool: &str, env: &Env) -> String {
    let run = env
        .get("GITHUB_RUN_ID")
        .filter(|id| id.bytes().all(|b| b.is_ascii_digit()) && !id.is_empty())
        .unwrap_or("local");
    let mut name = format!("gantry-{tool}-{run}");
    name.truncate(64);
    name
}

fn parse_in_range(
    input: &str,
    raw: &str,
    min: u64,
    max: u64,
    expected: &'static str,
) -> Result<u64, SettingsError> {
    match raw.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(SettingsError::Invalid {
            input: input.into(),
            value: raw.to_string(),
            expected,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_inputs_declare_every_input_once_and_only_the_region_has_a_flag() {
        let names: Vec<&str> = AWS_INPUTS.iter().map(|spec| spec.name).collect();
        assert_eq!(
            names,
            [
                input::REGION,
                input::ROLE_TO_ASSUME,
                input::ROLE_SESSION_NAME,
                input::ROLE_DURATION_SECONDS,
                input::AUDIENCE,
                input::RETRY_MODE,
                input::MAX_ATTEMPTS,
                input::ATTEMPT_TIMEOUT_SECONDS,
                input::CONNECT_TIMEOUT_SECONDS,
            ]
        );
        let flagged: Vec<&str> = AWS_INPUTS
            .iter()
            .filter(|spec| spec.flag.is_some())
            .map(|spec| spec.name)
            .collect();
        assert_eq!(flagged, [input::REGION]);
        assert!(AWS_INPUTS.iter().all(|spec| spec.default.is_none()));
    }
}

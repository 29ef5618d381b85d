//! Inputs → a validated [`Config`]. Every error names the input, the value and what is valid,
//! and nothing talks to AWS, the registry or Docker before all inputs are valid.
//!
//! One module per concern: the input table ([`INPUTS`]), the tag rules, the mode and the
//! inputs of one mode only, the build, the image a promote or copy starts from, the registry
//! and its endpoint, the repository's settings, and the scan gate.

mod build;
mod inputs;
mod mode;
mod registry;
mod repository;
mod scan;
mod source;
mod tag_rules;

use std::path::Path;
use std::time::Duration;

use gantry_aws_setup::{AwsSettings, SettingsError};
use gantry_toolkit::input::{InputError, Inputs};
use semver::Version;

pub use build::{BuildSecret, SecretSource};
pub use build::{BuildSpec, CacheSpec};
pub use inputs::INPUTS;
pub use mode::{MODES, Mode};
pub use registry::RegistryEndpoint;
pub use repository::validate_repository;
pub use scan::ScanGate;
pub use source::{SourceRepository, ecr_host};

use crate::repository::RepositorySettings;
use crate::tags::{self, GitInfo, TagError};

#[derive(Debug)]
pub struct Config {
    pub repository: String,
    /// Account ids; the first is the registry pushed to. Empty: the caller's own account.
    pub registry_ids: Vec<String>,
    pub registry_endpoint: Option<RegistryEndpoint>,
    pub mode: Mode,
    pub tags: Vec<String>,
    /// Repositories of the same registry that blobs are mounted from before uploading.
    pub mount_from: Vec<String>,
    pub create_repository: bool,
    pub update_repository: bool,
    /// Input `lifecycle-preview`: report which images the lifecycle policy expires today.
    pub lifecycle_preview: bool,
    pub repository_settings: RepositorySettings,
    pub scan: Option<ScanGate>,
    pub force: bool,
    pub dry_run: bool,
    pub max_concurrency: usize,
    pub push_retries: u32,
    pub timeout: Duration,
    pub version: Option<Version>,
    /// `None` only in mode `build-only` without a region: it talks to no AWS.
    pub aws: Option<AwsSettings>,
}

impl Config {
    /// The AWS region (empty in a `build-only` run without one).
    pub fn region(&self) -> &str {
        self.aws
            .as_ref()
            .map(|a| a.region.as_str())
            .unwrap_or_default()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Aws(#[from] SettingsError),
    #[error("input 'tags': {0}")]
    Tags(#[from] TagError),
    #[error("conflicting inputs: {0}")]
    Conflict(String),
}

fn invalid(name: &str, value: &str, expected: &str) -> ConfigError {
    InputError::invalid(name, value, expected).into()
}

fn invalid_because(name: &str, value: &str, expected: &str, detail: String) -> ConfigError {
    InputError::Invalid {
        name: name.to_string(),
        value: value.to_string(),
        expected: expected.to_string(),
        detail: Some(detail),
    }
    .into()
}

impl Config {
    /// `workspace` is where relative paths start; `git` is what the tag rules see; `env` holds
    /// the AWS settings' variables (which may not come from inputs).
    pub fn from_inputs(
        inputs: &Inputs,
        env: &gantry_toolkit::Env,
        workspace: &Path,
        git: &GitInfo,
    ) -> Result<Config, ConfigError> {
        // Mode login needs no repository: it opens the whole registry.
        let login = inputs.get("mode").as_deref() == Some("login");
        let repository = match inputs.get("repository") {
            None if login => String::new(),
            None => return Err(InputError::missing("repository").into()),
            Some(repository) => {
                validate_repository("repository", &repository)?;
                repository
            }
        };
        let mode = mode::mode(inputs, workspace, env)?;

        let registry_ids = registry::registry_ids(inputs)?;
        let registry_endpoint = registry::registry_endpoint(inputs)?;

        let (rules, options) = tag_rules::tag_rules(inputs)?;
        let version = options.version.clone();

        let tags = match mode {
            Mode::Login => Vec::new(),
            _ => tags::compute_tags(&rules, git, &options)?,
        };

        let mut mount_from = Vec::new();
        for repo in inputs.get_list("mount-from") {
            validate_repository("mount-from", &repo)?;
            mount_from.push(repo);
        }

        let repository_settings = repository::repository_settings(inputs)?;
        let scan = scan::scan_gate(inputs)?;
        let max_concurrency = inputs.get_number(
            "max-concurrency",
            1..=32,
            "a whole number of parallel uploads from 1 to 32",
        )? as usize;
        let push_retries = inputs.get_number(
            "push-retries",
            0..=20,
            "a whole number of retries from 0 to 20",
        )? as u32;
        let timeout = Duration::from_secs(inputs.get_number(
            "timeout-seconds",
            10..=21_600,
            "whole seconds from 10 to 21600 (6 hours, the longest a job runs)",
        )?);
        let force = inputs.get_required_bool("force")?;
        let dry_run = inputs.get_required_bool("dry-run")?;
        let create_repository = inputs.get_required_bool("create-repository")?;
        let update_repository = inputs.get_required_bool("update-repository")?;
        let lifecycle_preview = inputs.get_required_bool("lifecycle-preview")?;
        let aws = match (AwsSettings::from_inputs("ecr-push", inputs, env), &mode) {
            (Ok(aws), _) => Some(aws),
            // A build-only run talks to no AWS: a region is not needed.
            (Err(SettingsError::MissingRegion), Mode::BuildOnly(_)) => None,
            (Err(e), _) => return Err(e.into()),
        };
        Ok(Config {
            repository,
            registry_ids,
            registry_endpoint,
            mode,
            tags,
            mount_from,
            create_repository,
            update_repository,
            lifecycle_preview,
            repository_settings,
            scan,
            force,
            dry_run,
            max_concurrency,
            push_retries,
            timeout,
            version,
            aws,
        })
    }
}

/// `KEY=VALUE` lines; an error shows the key only. Build-arg names are shell-like identifiers; label keys are
/// reverse-DNS-ish (`org.opencontainers.image.title`).
fn key_values(
    inputs: &Inputs,
    name: &str,
    identifier: bool,
) -> Result<Vec<(String, String)>, ConfigError> {
    let mut out = Vec::new();
    for line in inputs.get_multiline(name) {
        let expected = if identifier {
            "one KEY=VALUE a line, KEY a letter or `_` then letters, digits or `_`"
        } else {
            "one key=value a line, key of letters, digits, `.`, `-`, `_`"
        };
        let Some((key, value)) = line.split_once('=') else {
            return Err(invalid(name, &line, expected));
        };
        let key = key.trim();
        // A message names the key, never the value (a build argument or label may be private).
        let shown = format!("{key}=…");
        let ok = if identifier {
            key.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        } else {
            !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        };
        if !ok {
            return Err(invalid(name, &shown, expected));
        }
        out.push((key.to_string(), value.to_string()));
    }
    Ok(out)
}

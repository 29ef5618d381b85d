//! Input `mode`, the inputs each mode needs, and the inputs of one mode that another refuses.

use std::path::{Path, PathBuf};

use gantry_toolkit::input::Inputs;

use super::build::{BuildSpec, build_spec};
use super::source::{SourceRepository, parse_source};
use super::{ConfigError, invalid};
use crate::image::ImageSelector;

/// What the run does with the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Build with Docker, then push the saved image over the registry API.
    Build(BuildSpec),
    /// Build with Docker and report; push nothing, talk to no AWS (pull requests).
    BuildOnly(BuildSpec),
    /// Log in only: the registry and the masked Docker credentials as outputs.
    Login,
    /// Push an OCI image layout directory or a `docker save` tarball.
    Push { image_path: PathBuf },
    /// Add tags to an image already in the repository, by ECR's API (no pull, no push); or,
    /// when `from` names another registry or repository, copy it here over the registry API.
    Promote {
        source: ImageSelector,
        from: Option<SourceRepository>,
    },
}

impl Mode {
    pub fn name(&self) -> &'static str {
        match self {
            Mode::Build(_) => "build",
            Mode::BuildOnly(_) => "build-only",
            Mode::Login => "login",
            Mode::Push { .. } => "push",
            Mode::Promote { .. } => "promote",
        }
    }

    /// Whether the mode builds with Docker.
    pub fn build_spec(&self) -> Option<&BuildSpec> {
        match self {
            Mode::Build(spec) | Mode::BuildOnly(spec) => Some(spec),
            _ => None,
        }
    }
}

/// The spellings of input `mode`.
pub const MODES: &str = "one of build, build-only, push, promote, login";

/// Input `mode` with what it needs (`workspace`: where relative paths start; `env`: `PATH`, to
/// find the docker CLI, and the variables of build secrets).
pub(super) fn mode(
    inputs: &Inputs,
    workspace: &Path,
    env: &gantry_toolkit::Env,
) -> Result<Mode, ConfigError> {
    let mode_name = inputs.get_required("mode")?;
    let mode = match mode_name.as_str() {
        "build" => Mode::Build(build_spec(inputs, workspace, env)?),
        "build-only" => Mode::BuildOnly(build_spec(inputs, workspace, env)?),
        "login" => Mode::Login,
        "push" => {
            let raw = inputs.get("image-path").ok_or_else(|| {
                ConfigError::Conflict(
                    "mode 'push' needs input 'image-path': an OCI image layout directory or a `docker save` tarball".into(),
                )
            })?;
            let path = workspace.join(&raw);
            if !path.exists() {
                return Err(invalid(
                    "image-path",
                    &raw,
                    "an existing OCI image layout directory or `docker save` tarball",
                ));
            }
            Mode::Push { image_path: path }
        }
        "promote" => {
            let raw = inputs.get("source").ok_or_else(|| {
                ConfigError::Conflict(
                    "mode 'promote' needs input 'source': the tag or sha256 digest of an image in the repository".into(),
                )
            })?;
            let (source, from) = parse_source(&raw)?;
            Mode::Promote { source, from }
        }
        _ => return Err(invalid("mode", &mode_name, MODES)),
    };
    if mode.build_spec().is_none() {
        for name in [
            "build-args",
            "target",
            "platforms",
            "labels",
            "dockerfile",
            "secrets",
            "ssh",
        ] {
            if inputs.get(name).is_some() {
                return Err(ConfigError::Conflict(format!(
                    "input '{name}' only applies to modes 'build' and 'build-only', and mode is '{}'",
                    mode.name()
                )));
            }
        }
    }
    if !matches!(mode, Mode::Push { .. }) && inputs.get("image-path").is_some() {
        return Err(ConfigError::Conflict(format!(
            "input 'image-path' only applies to mode 'push', and mode is '{}'",
            mode.name()
        )));
    }
    if !matches!(mode, Mode::Promote { .. }) && inputs.get("source").is_some() {
        return Err(ConfigError::Conflict(format!(
            "input 'source' only applies to mode 'promote', and mode is '{}'",
            mode.name()
        )));
    }
    Ok(mode)
}

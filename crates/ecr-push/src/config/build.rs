//! The inputs of mode `build`: context, Dockerfile, arguments, platforms, labels, the docker CLI
//! and the build cache.

use std::path::{Path, PathBuf};

use gantry_toolkit::input::Inputs;

use super::repository::validate_repository;
use super::{ConfigError, invalid, invalid_because, key_values};
use crate::tags;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildSpec {
    pub context: PathBuf,
    pub dockerfile: PathBuf,
    pub build_args: Vec<(String, String)>,
    pub target: Option<String>,
    pub platforms: Vec<String>,
    /// Extra labels; the OCI labels (source, revision, version, created) are added by the run.
    pub labels: Vec<(String, String)>,
    pub provenance: bool,
    /// Build cache kept in ECR, if asked for.
    pub cache: Option<CacheSpec>,
    /// Also log in to ECR Public for the build's pulls from `public.ecr.aws`.
    pub login_public: bool,
    /// The docker CLI to run.
    pub docker: String,
}

/// A build cache kept in an ECR repository under one tag. The tag moves with every build, so
/// the repository must be mutable: by default the image's own repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheSpec {
    /// `None`: the image's repository.
    pub repository: Option<String>,
    pub tag: String,
}

/// Whether `docker` names an executable: a path, or a command in one of `PATH`'s directories.
fn docker_exists(docker: &str, path_var: Option<&str>) -> bool {
    let is_exe = |p: &Path| p.is_file();
    if docker.contains('/') {
        return is_exe(Path::new(docker));
    }
    path_var
        .unwrap_or_default()
        .split(':')
        .filter(|d| !d.is_empty())
        .any(|d| is_exe(&Path::new(d).join(docker)))
}

pub(super) fn build_spec(
    inputs: &Inputs,
    workspace: &Path,
    path_var: Option<&str>,
) -> Result<BuildSpec, ConfigError> {
    let context_raw = inputs.get_required("context")?;
    let context = workspace.join(&context_raw);
    if !context.is_dir() {
        return Err(invalid(
            "context",
            &context_raw,
            "an existing directory, relative to the workspace, to send to the build",
        ));
    }
    let dockerfile = match inputs.get("dockerfile") {
        Some(raw) => {
            let path = workspace.join(&raw);
            if !path.is_file() {
                return Err(invalid(
                    "dockerfile",
                    &raw,
                    "an existing file, relative to the workspace",
                ));
            }
            path
        }
        None => {
            let path = context.join("Dockerfile");
            if !path.is_file() {
                return Err(invalid(
                    "dockerfile",
                    "",
                    &format!(
                        "a Dockerfile: there is none at {} (the default); give its path",
                        path.display()
                    ),
                ));
            }
            path
        }
    };
    let build_args = key_values(inputs, "build-args", true)?;
    let labels = key_values(inputs, "labels", false)?;
    let target = match inputs.get("target") {
        None => None,
        Some(t) => {
            let ok = t
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
            if !ok {
                return Err(invalid(
                    "target",
                    &t,
                    "a build stage name (letters, digits, `_`, `.`, `-`)",
                ));
            }
            Some(t)
        }
    };
    let mut platforms = Vec::new();
    for p in inputs.get_list("platforms") {
        if !valid_platform(&p) {
            return Err(invalid(
                "platforms",
                &p,
                "platforms as os/arch[/variant], comma-separated, such as linux/amd64,linux/arm64",
            ));
        }
        platforms.push(p);
    }
    let docker = inputs.get_required("docker")?;
    if !docker_exists(&docker, path_var) {
        return Err(invalid(
            "docker",
            &docker,
            "the Docker CLI: a command on PATH or a path to an executable file",
        ));
    }
    let cache = match (inputs.get("cache-tag"), inputs.get("cache-repository")) {
        (None, None) => None,
        (None, Some(_)) => {
            return Err(ConfigError::Conflict(
                "input 'cache-repository' only applies together with 'cache-tag'".into(),
            ));
        }
        (Some(tag), repository) => {
            tags::validate_tag(&tag).map_err(|detail| {
                invalid_because(
                    "cache-tag",
                    &tag,
                    "a tag for the build cache, such as buildcache",
                    detail,
                )
            })?;
            if let Some(r) = &repository {
                validate_repository("cache-repository", r)?;
            }
            Some(CacheSpec { repository, tag })
        }
    };
    Ok(BuildSpec {
        context,
        dockerfile,
        build_args,
        target,
        platforms,
        labels,
        provenance: inputs.get_required_bool("provenance")?,
        cache,
        login_public: inputs.get_required_bool("login-public")?,
        docker,
    })
}

fn valid_platform(p: &str) -> bool {
    let parts: Vec<&str> = p.split('/').collect();
    (2..=3).contains(&parts.len())
        && parts.iter().all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms() {
        for ok in ["linux/amd64", "linux/arm64/v8", "windows/amd64"] {
            assert!(valid_platform(ok), "{ok}");
        }
        for bad in ["linux", "linux/", "Linux/amd64", "linux/amd64/v8/x"] {
            assert!(!valid_platform(bad), "{bad}");
        }
    }
}

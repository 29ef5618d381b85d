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
    /// BuildKit secrets (`--secret`).
    pub secrets: Vec<BuildSecret>,
    /// BuildKit SSH forwards (`--ssh`), as given: `default`, `<id>` or `<id>=<path>[,<path>]`.
    pub ssh: Vec<String>,
    /// `--no-cache`: build every step again.
    pub no_cache: bool,
    /// `--pull`: pull newer base images.
    pub pull: bool,
}

/// One BuildKit secret: `RUN --mount=type=secret,id=<id>` sees it; it is in no layer, no
/// history and no log.
#[derive(Clone, PartialEq, Eq)]
pub struct BuildSecret {
    pub id: String,
    pub source: SecretSource,
}

/// Where a secret's value comes from. `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// An environment variable: its name and (masked before any print) its value.
    Env { name: String, value: String },
    /// A file, relative to the workspace.
    File(PathBuf),
}

impl std::fmt::Debug for SecretSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretSource::Env { name, .. } => write!(f, "Env({name})"),
            SecretSource::File(path) => write!(f, "File({})", path.display()),
        }
    }
}

impl BuildSecret {
    /// The `--secret` argument: names and paths only, never the value (docker reads the
    /// variable from its own environment).
    pub fn arg(&self) -> String {
        match &self.source {
            SecretSource::Env { name, .. } => format!("id={},env={name}", self.id),
            SecretSource::File(path) => format!("id={},src={}", self.id, path.display()),
        }
    }
}

impl std::fmt::Debug for BuildSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the value.
        f.write_str(&self.arg())
    }
}

const SECRET_EXPECTED: &str = "one secret a line: `id=<id>,env=<VARIABLE>` or `id=<id>,src=<file>`, the id of letters, digits, `_`, `.`, `-`";

fn is_id(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// Input `secrets`; `env` holds the variables named by `env=`. A message shows the line, never
/// a variable's value (a line holds names and paths only).
fn build_secrets(
    inputs: &Inputs,
    workspace: &Path,
    env: &gantry_toolkit::Env,
) -> Result<Vec<BuildSecret>, ConfigError> {
    let mut out: Vec<BuildSecret> = Vec::new();
    for line in inputs.get_multiline("secrets") {
        let mut id = None;
        let mut source = None;
        for part in line.split(',') {
            let Some((key, value)) = part.split_once('=') else {
                return Err(invalid("secrets", &line, SECRET_EXPECTED));
            };
            match (key.trim(), value.trim()) {
                ("id", v) if is_id(v) && id.is_none() => id = Some(v.to_string()),
                ("env", v) if source.is_none() => {
                    let variable_ok = v
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                        && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                    if !variable_ok {
                        return Err(invalid("secrets", &line, SECRET_EXPECTED));
                    }
                    let Some(value) = env.get_non_empty(v) else {
                        return Err(invalid_because(
                            "secrets",
                            &line,
                            SECRET_EXPECTED,
                            format!(
                                "environment variable {v} is not set or empty: give it in the step's `env:`"
                            ),
                        ));
                    };
                    source = Some(SecretSource::Env {
                        name: v.to_string(),
                        value: value.to_string(),
                    });
                }
                ("src", v) if source.is_none() && !v.is_empty() => {
                    let path = workspace.join(v);
                    if !path.is_file() {
                        return Err(invalid_because(
                            "secrets",
                            &line,
                            SECRET_EXPECTED,
                            format!("{} is not a file", path.display()),
                        ));
                    }
                    source = Some(SecretSource::File(path));
                }
                _ => return Err(invalid("secrets", &line, SECRET_EXPECTED)),
            }
        }
        let (Some(id), Some(source)) = (id, source) else {
            return Err(invalid("secrets", &line, SECRET_EXPECTED));
        };
        if out.iter().any(|s| s.id == id) {
            return Err(invalid_because(
                "secrets",
                &line,
                SECRET_EXPECTED,
                format!("secret id '{id}' is given twice"),
            ));
        }
        out.push(BuildSecret { id, source });
    }
    Ok(out)
}

const SSH_EXPECTED: &str = "one a line: `default` (the agent at SSH_AUTH_SOCK) or `<id>=<key or socket path>[,<path>]`, the id of letters, digits, `_`, `.`, `-`";

/// Input `ssh`: what BuildKit forwards to `RUN --mount=type=ssh`.
fn build_ssh(
    inputs: &Inputs,
    workspace: &Path,
    env: &gantry_toolkit::Env,
) -> Result<Vec<String>, ConfigError> {
    let mut out = Vec::new();
    for line in inputs.get_multiline("ssh") {
        let (id, paths) = match line.split_once('=') {
            Some((id, paths)) => (id.trim(), Some(paths)),
            None => (line.trim(), None),
        };
        if !is_id(id) {
            return Err(invalid("ssh", &line, SSH_EXPECTED));
        }
        match paths {
            None => {
                if env.get_non_empty("SSH_AUTH_SOCK").is_none() {
                    return Err(invalid_because(
                        "ssh",
                        &line,
                        SSH_EXPECTED,
                        "SSH_AUTH_SOCK is not set: start an agent (such as webfactory/ssh-agent) or give a key path".into(),
                    ));
                }
                out.push(id.to_string());
            }
            Some(paths) => {
                let mut full = Vec::new();
                for p in paths.split(',') {
                    let path = workspace.join(p.trim());
                    if p.trim().is_empty() || !path.exists() {
                        return Err(invalid_because(
                            "ssh",
                            &line,
                            SSH_EXPECTED,
                            format!("{} does not exist", path.display()),
                        ));
                    }
                    full.push(path.display().to_string());
                }
                out.push(format!("{id}={}", full.join(",")));
            }
        }
    }
    Ok(out)
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
    env: &gantry_toolkit::Env,
) -> Result<BuildSpec, ConfigError> {
    let path_var = env.get("PATH");
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
        secrets: build_secrets(inputs, workspace, env)?,
        ssh: build_ssh(inputs, workspace, env)?,
        no_cache: inputs.get_required_bool("no-cache")?,
        pull: inputs.get_required_bool("pull")?,
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

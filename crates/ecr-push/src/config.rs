//! Inputs → a validated [`Config`]. Every error names the input, the value and what is valid,
//! and nothing talks to AWS, the registry or Docker before all inputs are valid.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use gantry_aws_setup::{AwsSettings, SettingsError};
use gantry_toolkit::InputSpec;
use gantry_toolkit::input::{InputError, Inputs};
use semver::Version;

use crate::image::ImageSelector;
use crate::repository::{Encryption, Lifecycle, RepositorySettings, TagMutability};
use crate::scan::Severity;
use crate::tags::{self, GitInfo, RULE_SPELLINGS, TagError, TagOptions, TagRule};

/// Every input of the action but the AWS ones ([`gantry_aws_setup::AWS_INPUTS`], which follow
/// it), declared once ([`gantry_toolkit::spec`]): the CLI flags, the defaults of empty inputs and
/// `--action-contract` come from here, and the contract test holds `action.yml` and the README to
/// it. The flagged inputs come first, in `--help` order.
pub const INPUTS: &[InputSpec] = &[
    InputSpec::new(
        "repository",
        "The ECR repository, such as `team/api`. Required.",
    )
    .required()
    .flag("The ECR repository."),
    InputSpec::new(
        "mode",
        "`build` (Docker build, then push), `push` (an OCI layout directory or `docker save` \
         tarball) or `promote` (add tags to an image already in ECR, no pull).",
    )
    .default("build")
    .flag("build, push or promote."),
    InputSpec::new(
        "tags",
        "Tag rules, comma-separated or one a line: `sha`, `semver`, `dev`, `branch`, `pr`, \
         `latest`, `raw:<tag>`.",
    )
    .default("sha, semver, pr")
    .flag("Tag rules: sha, semver, dev, branch, pr, latest, raw:<tag>."),
    InputSpec::new(
        "version",
        "The version for the `semver` rule (such as semantic-version's output); default a \
         `vX.Y.Z` tag ref.",
    )
    .flag_named(
        "image-version",
        "The version for the semver rule (`--version` prints the tool's).",
    ),
    InputSpec::new(
        "image-path",
        "OCI image layout directory or `docker save` tarball to push (mode push).",
    )
    .flag("OCI image layout directory or `docker save` tarball (mode push)."),
    InputSpec::new(
        "source",
        "Tag or `sha256:` digest of the image to promote (mode promote); or a whole ECR image \
         `<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>` (or `@sha256:…`) to copy \
         from another account, region or repository.",
    )
    .flag("Tag or digest of the image to promote (mode promote)."),
    InputSpec::new(
        "context",
        "Build context directory (mode build), relative to the workspace.",
    )
    .default(".")
    .flag("Build context (mode build)."),
    InputSpec::new(
        "dockerfile",
        "Dockerfile (mode build), relative to the workspace. Default `<context>/Dockerfile`.",
    )
    .flag("Dockerfile (mode build)."),
    InputSpec::new(
        "registry-endpoint",
        "Reach the registry API here instead of `<account>.dkr.ecr.<region>.amazonaws.com`: a \
         mirror, or a local registry in tests. Plain `http://` only on loopback.",
    )
    .flag("Registry API endpoint instead of ECR's (tests, mirrors)."),
    InputSpec::new(
        "registry-ids",
        "AWS account ids, comma-separated; the first is pushed to, all are logged in for the \
         build. Default the caller's account.",
    )
    .flag("Account ids; the first is pushed to."),
    InputSpec::new(
        "create-repository",
        "Create the repository when it does not exist.",
    )
    .default("false")
    .flag("Create the repository when missing."),
    InputSpec::new(
        "dry-run",
        "Validate, log in, read the repository and the image, and report; change nothing.",
    )
    .default("false")
    .flag("Compute and print everything, change nothing."),
    InputSpec::new(
        "semver-floating",
        "With `semver`, also tag `vX.Y` and `vX` (never for prereleases).",
    )
    .default("false"),
    InputSpec::new(
        "sha-length",
        "Characters of the commit sha in `sha-` and `dev-` tags (7 to 40).",
    )
    .default("7"),
    InputSpec::new(
        "build-args",
        "Build arguments, one `KEY=VALUE` a line (mode build).",
    ),
    InputSpec::new("target", "Build stage to stop at (mode build)."),
    InputSpec::new(
        "platforms",
        "Platforms such as `linux/amd64,linux/arm64` (mode build; several need docker buildx).",
    ),
    InputSpec::new(
        "labels",
        "Extra image labels, one `key=value` a line; the OCI source, revision, version and \
         created labels are always set.",
    ),
    InputSpec::new(
        "provenance",
        "Attach buildx provenance attestations (off: ECR would list them as extra untagged \
         images).",
    )
    .default("false"),
    InputSpec::new(
        "cache-tag",
        "Keep the build cache in ECR under this tag (mode build): a registry cache in ECR's \
         accepted form with buildx (`image-manifest=true,oci-mediatypes=true`), else an inline \
         cache in the image, also tagged as the cache.",
    ),
    InputSpec::new(
        "cache-repository",
        "Repository of the build cache; default the image's. The cache tag moves, so it must \
         have mutable tags.",
    ),
    InputSpec::new(
        "login-public",
        "Also log in to ECR Public (mode build), so the build pulls `public.ecr.aws` base \
         images with the account's rate limits instead of anonymous ones.",
    )
    .default("false"),
    InputSpec::new(
        "force",
        "Build even when an image for this commit's tag already exists.",
    )
    .default("false"),
    InputSpec::new(
        "docker",
        "The Docker CLI to run (a command on PATH or a path).",
    )
    .default("docker"),
    InputSpec::new(
        "mount-from",
        "Repositories of the same registry to mount blobs from before uploading them.",
    ),
    InputSpec::new(
        "update-repository",
        "Apply the repository settings below to an existing repository (otherwise differences \
         are only reported).",
    )
    .default("false"),
    InputSpec::new(
        "image-tag-mutability",
        "`immutable` or `mutable`, for a repository ecr-push creates or updates.",
    )
    .default("immutable"),
    InputSpec::new(
        "scan-on-push",
        "Scan images on push, for a repository ecr-push creates or updates.",
    )
    .default("true"),
    InputSpec::new(
        "encryption",
        "`AES256` or `KMS`, for a repository ecr-push creates (ECR cannot change it later).",
    )
    .default("AES256"),
    InputSpec::new(
        "kms-key",
        "KMS key ARN or alias with encryption KMS; default the AWS-managed key.",
    ),
    InputSpec::new(
        "lifecycle-keep-last",
        "Lifecycle rule: keep the last N images (0: no such rule).",
    )
    .default("10"),
    InputSpec::new(
        "lifecycle-expire-untagged-days",
        "Lifecycle rule: expire untagged images after N days (0: no such rule).",
    )
    .default("7"),
    InputSpec::new(
        "repository-tags",
        "AWS resource tags for the repository, one `key=value` a line.",
    ),
    InputSpec::new(
        "scan-severity-threshold",
        "Fail when the image's scan has findings at or above this severity: `informational`, \
         `low`, `medium`, `high`, `critical`; empty or `none` for no gate.",
    ),
    InputSpec::new(
        "scan-timeout-seconds",
        "How long to wait for scan findings.",
    )
    .default("600"),
    InputSpec::new("max-concurrency", "Parallel blob uploads (1 to 32).").default("4"),
    InputSpec::new(
        "push-retries",
        "Retries of each registry request on connection errors and 5xx answers, with \
         exponential backoff.",
    )
    .default("5"),
    InputSpec::new("timeout-seconds", "The whole run's deadline.").default("1800"),
];

/// What the run does with the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Build with Docker, then push the saved image over the registry API.
    Build(BuildSpec),
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
            Mode::Push { .. } => "push",
            Mode::Promote { .. } => "promote",
        }
    }
}

/// The repository an image is copied from: another account, region or repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRepository {
    pub account: String,
    pub region: String,
    pub repository: String,
}

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

/// Where the registry's HTTP API is reached instead of `<account>.dkr.ecr.<region>.amazonaws.com`:
/// a local registry in tests, or a mirror. Plain `http` only on loopback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryEndpoint {
    /// `host[:port]`, as used in image references.
    pub host: String,
    pub insecure: bool,
}

/// The scan gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanGate {
    pub threshold: Severity,
    pub timeout: Duration,
}

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
    pub repository_settings: RepositorySettings,
    pub scan: Option<ScanGate>,
    pub force: bool,
    pub dry_run: bool,
    pub max_concurrency: usize,
    pub push_retries: u32,
    pub timeout: Duration,
    pub version: Option<Version>,
    pub aws: AwsSettings,
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
        let repository = inputs.get_required("repository")?;
        validate_repository("repository", &repository)?;

        let mut registry_ids = Vec::new();
        for id in inputs.get_list("registry-ids") {
            if id.len() != 12 || !id.chars().all(|c| c.is_ascii_digit()) {
                return Err(invalid(
                    "registry-ids",
                    &id,
                    "AWS account ids of 12 digits, comma-separated (the first is pushed to)",
                ));
            }
            if !registry_ids.contains(&id) {
                registry_ids.push(id);
            }
        }
        let registry_endpoint = match inputs.get("registry-endpoint") {
            None => None,
            Some(raw) => Some(parse_endpoint(&raw)?),
        };

        let version = match inputs.get("version") {
            None => None,
            Some(raw) => Some(
                Version::parse(raw.strip_prefix('v').unwrap_or(&raw)).map_err(|e| {
                    invalid_because(
                        "version",
                        &raw,
                        "a semantic version such as 1.2.3 or v1.2.3-rc.1",
                        e.to_string(),
                    )
                })?,
            ),
        };
        let mut rules = Vec::new();
        for text in inputs.get_list("tags") {
            rules.push(TagRule::parse(&text).map_err(|detail| {
                invalid_because(
                    "tags",
                    &text,
                    &format!("rules among {RULE_SPELLINGS}"),
                    detail,
                )
            })?);
        }
        let sha_length = inputs.get_number(
            "sha-length",
            7..=40,
            "a whole number of characters from 7 to 40",
        )? as usize;
        let options = TagOptions {
            version: version.clone(),
            semver_floating: inputs.get_required_bool("semver-floating")?,
            sha_length,
        };

        let mode_name = inputs.get_required("mode")?;
        let mode = match mode_name.as_str() {
            "build" => Mode::Build(build_spec(inputs, workspace, env.get("PATH"))?),
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
            _ => return Err(invalid("mode", &mode_name, "one of build, push, promote")),
        };
        if !matches!(mode, Mode::Build(_)) {
            for name in ["build-args", "target", "platforms", "labels", "dockerfile"] {
                if inputs.get(name).is_some() {
                    return Err(ConfigError::Conflict(format!(
                        "input '{name}' only applies to mode 'build', and mode is '{}'",
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
        let tags = tags::compute_tags(&rules, git, &options)?;

        let mut mount_from = Vec::new();
        for repo in inputs.get_list("mount-from") {
            validate_repository("mount-from", &repo)?;
            mount_from.push(repo);
        }

        let repository_settings = repository_settings(inputs)?;
        let scan = match inputs.get("scan-severity-threshold") {
            None => None,
            Some(raw) if raw.eq_ignore_ascii_case("none") => None,
            Some(raw) => Some(ScanGate {
                threshold: Severity::parse(&raw).ok_or_else(|| {
                    invalid(
                        "scan-severity-threshold",
                        &raw,
                        "one of none, informational, low, medium, high, critical (any case)",
                    )
                })?,
                timeout: Duration::from_secs(inputs.get_number(
                    "scan-timeout-seconds",
                    1..=3600,
                    "whole seconds from 1 to 3600",
                )?),
            }),
        };
        if scan.is_none() {
            inputs.get_number(
                "scan-timeout-seconds",
                1..=3600,
                "whole seconds from 1 to 3600",
            )?;
        }
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
        let aws = AwsSettings::from_inputs("ecr-push", inputs, env)?;
        Ok(Config {
            repository,
            registry_ids,
            registry_endpoint,
            mode,
            tags,
            mount_from,
            create_repository,
            update_repository,
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

/// ECR repository names: 2 to 256 characters, lower-case components of letters and digits
/// joined by `.`, `_` or `-`, separated by `/` (`team/api`).
pub fn validate_repository(input: &str, name: &str) -> Result<(), ConfigError> {
    let component_ok = |c: &str| {
        !c.is_empty()
            && c.split(['.', '_', '-']).all(|part| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit())
            })
    };
    let ok = (2..=256).contains(&name.len()) && name.split('/').all(component_ok);
    if ok {
        Ok(())
    } else {
        Err(invalid(
            input,
            name,
            "an ECR repository name: 2 to 256 characters, lower-case letters and digits, words joined by `.`, `_` or `-`, paths by `/` (such as `team/api`)",
        ))
    }
}

fn parse_endpoint(raw: &str) -> Result<RegistryEndpoint, ConfigError> {
    let expected = "a URL such as https://mirror.example.com or http://127.0.0.1:5000 (plain http only on loopback), without a path";
    let (insecure, rest) = if let Some(rest) = raw.strip_prefix("https://") {
        (false, rest)
    } else if let Some(rest) = raw.strip_prefix("http://") {
        (true, rest)
    } else {
        return Err(invalid("registry-endpoint", raw, expected));
    };
    let host = rest.trim_end_matches('/');
    let valid_host = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !valid_host {
        return Err(invalid("registry-endpoint", raw, expected));
    }
    if insecure && !is_loopback(host) {
        return Err(invalid_because(
            "registry-endpoint",
            raw,
            expected,
            "plain http would send the registry password in clear over the network".into(),
        ));
    }
    Ok(RegistryEndpoint {
        host: host.to_string(),
        insecure,
    })
}

fn is_loopback(host: &str) -> bool {
    let name = if let Some(v6) = host.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    name == "localhost"
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

const SOURCE_EXPECTED: &str = "a tag or sha256 digest in the repository, or an ECR image <account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag> (or @sha256:<digest>) to copy from";

/// `source`: a tag or digest of the repository, or a whole ECR image reference.
fn parse_source(raw: &str) -> Result<(ImageSelector, Option<SourceRepository>), ConfigError> {
    let Some((host, rest)) = raw.split_once('/') else {
        return Ok((parse_selector(raw)?, None));
    };
    let bad = |detail: &str| invalid_because("source", raw, SOURCE_EXPECTED, detail.to_string());
    let (account, region) =
        ecr_host(host).ok_or_else(|| bad("the registry is not an ECR registry"))?;
    let (repository, selector) = if let Some((repo, digest)) = rest.split_once('@') {
        (repo, parse_selector(digest)?)
    } else if let Some((repo, tag)) = rest.rsplit_once(':') {
        (repo, parse_selector(tag)?)
    } else {
        return Err(bad("it has neither a :tag nor an @digest"));
    };
    validate_repository("source", repository)?;
    Ok((
        selector,
        Some(SourceRepository {
            account,
            region,
            repository: repository.to_string(),
        }),
    ))
}

/// `(account, region)` of `<account>.dkr.ecr.<region>.amazonaws.com[.cn]`.
pub fn ecr_host(host: &str) -> Option<(String, String)> {
    let rest = host
        .strip_suffix(".amazonaws.com")
        .or_else(|| host.strip_suffix(".amazonaws.com.cn"))?;
    let (account, rest) = rest.split_once(".dkr.ecr.")?;
    let valid_region = !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    (account.len() == 12 && account.chars().all(|c| c.is_ascii_digit()) && valid_region)
        .then(|| (account.to_string(), rest.to_string()))
}

fn parse_selector(raw: &str) -> Result<ImageSelector, ConfigError> {
    if let Some(hex) = raw.strip_prefix("sha256:") {
        if hex.len() == 64
            && hex
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        {
            return Ok(ImageSelector::Digest(raw.to_string()));
        }
        return Err(invalid(
            "source",
            raw,
            "a tag, or a digest sha256:<64 lower-case hex digits>",
        ));
    }
    tags::validate_tag(raw).map_err(|detail| {
        invalid_because(
            "source",
            raw,
            "a tag, or a digest sha256:<64 lower-case hex digits>",
            detail,
        )
    })?;
    Ok(ImageSelector::Tag(raw.to_string()))
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

fn build_spec(
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

/// `KEY=VALUE` lines. Build-arg names are shell-like identifiers; label keys are
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
            return Err(invalid(name, &line, expected));
        }
        out.push((key.to_string(), value.to_string()));
    }
    Ok(out)
}

fn repository_settings(inputs: &Inputs) -> Result<RepositorySettings, ConfigError> {
    let raw = inputs.get_required("image-tag-mutability")?;
    let mutability = match raw.to_ascii_lowercase().as_str() {
        "immutable" => TagMutability::Immutable,
        "mutable" => TagMutability::Mutable,
        _ => {
            return Err(invalid(
                "image-tag-mutability",
                &raw,
                "one of immutable, mutable",
            ));
        }
    };
    let kms_key = inputs.get("kms-key");
    let raw = inputs.get_required("encryption")?;
    let encryption = match raw.to_ascii_uppercase().as_str() {
        "AES256" => Encryption::Aes256,
        "KMS" => Encryption::Kms(kms_key.clone()),
        _ => return Err(invalid("encryption", &raw, "one of AES256, KMS")),
    };
    if kms_key.is_some() && encryption == Encryption::Aes256 {
        return Err(ConfigError::Conflict(
            "input 'kms-key' only applies with encryption 'KMS'".into(),
        ));
    }
    let keep_last = inputs.get_number(
        "lifecycle-keep-last",
        0..=10_000,
        "a whole number of images to keep from 1 to 10000, or 0 for no such rule",
    )? as u32;
    let expire_untagged_days = inputs.get_number(
        "lifecycle-expire-untagged-days",
        0..=3650,
        "a whole number of days from 1 to 3650, or 0 for no such rule",
    )? as u32;
    let mut tags = BTreeMap::new();
    for (k, v) in key_values(inputs, "repository-tags", false).map_err(|e| match e {
        ConfigError::Input(InputError::Invalid { value, .. }) => invalid(
            "repository-tags",
            &value,
            "one key=value a line (AWS resource tags)",
        ),
        other => other,
    })? {
        if k.len() > 128 || v.len() > 256 {
            return Err(invalid(
                "repository-tags",
                &format!("{k}={v}"),
                "keys of at most 128 and values of at most 256 characters",
            ));
        }
        tags.insert(k, v);
    }
    Ok(RepositorySettings {
        tag_mutability: mutability,
        scan_on_push: inputs.get_required_bool("scan-on-push")?,
        encryption,
        lifecycle: Lifecycle {
            keep_last: (keep_last > 0).then_some(keep_last),
            expire_untagged_days: (expire_untagged_days > 0).then_some(expire_untagged_days),
        },
        tags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_endpoints() {
        for (raw, host, insecure) in [
            ("http://127.0.0.1:5000", "127.0.0.1:5000", true),
            ("http://localhost:5000/", "localhost:5000", true),
            ("http://[::1]:5000", "[::1]:5000", true),
            ("https://mirror.example.com", "mirror.example.com", false),
        ] {
            let e = parse_endpoint(raw).unwrap();
            assert_eq!((e.host.as_str(), e.insecure), (host, insecure), "{raw}");
        }
        for raw in [
            "http://10.0.0.1:5000",
            "http://mirror.example.com",
            "ftp://x",
            "https://x/path",
            "mirror.example.com",
        ] {
            assert!(parse_endpoint(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn ecr_hosts() {
        assert_eq!(
            ecr_host("123456789012.dkr.ecr.eu-west-1.amazonaws.com"),
            Some(("123456789012".into(), "eu-west-1".into()))
        );
        assert_eq!(
            ecr_host("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"),
            Some(("123456789012".into(), "cn-north-1".into()))
        );
        assert_eq!(ecr_host("12345.dkr.ecr.eu-west-1.amazonaws.com"), None);
        assert_eq!(ecr_host("public.ecr.aws"), None);
        assert_eq!(ecr_host("ghcr.io"), None);
    }

    #[test]
    fn sources() {
        let digest = format!("sha256:{}", "a".repeat(64));
        assert_eq!(
            parse_source("v1").unwrap(),
            (ImageSelector::Tag("v1".into()), None)
        );
        assert_eq!(
            parse_source(&digest).unwrap(),
            (ImageSelector::Digest(digest.clone()), None)
        );
        let (selector, from) = parse_source(&format!(
            "111111111111.dkr.ecr.us-west-2.amazonaws.com/team/api@{digest}"
        ))
        .unwrap();
        assert_eq!(selector, ImageSelector::Digest(digest));
        assert_eq!(
            from,
            Some(SourceRepository {
                account: "111111111111".into(),
                region: "us-west-2".into(),
                repository: "team/api".into(),
            })
        );
        let (selector, _) =
            parse_source("111111111111.dkr.ecr.us-west-2.amazonaws.com/api:v2").unwrap();
        assert_eq!(selector, ImageSelector::Tag("v2".into()));
        assert!(parse_source("sha256:ABC").is_err());
        assert!(parse_source("111111111111.dkr.ecr.us-west-2.amazonaws.com/API:v2").is_err());
    }

    #[test]
    fn repository_names() {
        for ok in ["api", "team/api", "a.b_c-d/e2", "ab"] {
            assert!(validate_repository("repository", ok).is_ok(), "{ok}");
        }
        for bad in ["a", "Api", "team//api", "team/", "-api", "api-", "a b"] {
            assert!(validate_repository("repository", bad).is_err(), "{bad}");
        }
    }

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

//! Inputs → a validated [`Config`]. Every error names the input, the value and what is valid,
//! and nothing runs (no fetch, no commit, no API call) before all inputs are valid.

use std::path::{Path, PathBuf};
use std::time::Duration;

use gantry_image_ref::{IMAGE_HELP, ImageRef};
use gantry_toolkit::input::{InputError, Inputs};

use crate::edit::HelmPaths;
pub use crate::plan::FormChoice;

mod inputs;
pub use inputs::INPUTS;

/// The longest `timeout-seconds`: a GitHub-hosted job's own limit (6 hours).
pub const MAX_TIMEOUT_SECONDS: u64 = 6 * 60 * 60;

/// The most pushes tried against concurrent updates.
pub const MAX_PUSH_ATTEMPTS: u64 = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Update,
    Rollback,
}

/// `push`: how the change is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Push {
    Branch,
    PullRequest,
    None,
}

/// `render-check`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenderCheck {
    /// `kubectl kustomize` on the changed kustomizations and `render-paths`.
    Auto,
    None,
    /// A command (program and arguments, no shell).
    Command(Vec<String>),
}

/// What the run sets (update) or where it goes back to (rollback with `rollback-to`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wanted {
    /// The whole reference.
    Reference(ImageRef),
    /// Rollback: the version before the last gitops-update commit of the image.
    Previous,
}

/// Following Argo CD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgoCdSettings {
    pub server: String,
    pub token: String,
    pub application: String,
    pub app_namespace: Option<String>,
    pub sync: bool,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub files: Vec<String>,
    pub form: FormChoice,
    /// The image as the files name it.
    pub image: String,
    pub container: Option<String>,
    pub helm_paths: HelmPaths,
    pub wanted: Wanted,
    pub allow_missing: bool,
    pub render: RenderCheck,
    pub render_paths: Vec<String>,
    pub mode: Mode,
    pub push: Push,
    pub branch: Option<String>,
    pub remote: String,
    pub pull_request_branch: String,
    pub token: Option<String>,
    pub repository: Option<String>,
    pub commit_message: String,
    pub source_commit: Option<String>,
    /// `(name, email)`.
    pub author: (String, String),
    pub push_attempts: u32,
    pub argocd: Option<ArgoCdSettings>,
    pub revert_on_failure: bool,
    pub working_directory: PathBuf,
    pub dry_run: bool,
    pub timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("conflicting inputs: {0}")]
    Conflict(String),
}

fn invalid(name: &str, value: &str, expected: &str) -> ConfigError {
    InputError::invalid(name, value, expected).into()
}

/// A branch name git accepts (`git check-ref-format --branch`), checked without git.
pub fn valid_branch(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(['-', '/', '.'])
        && !name.ends_with(['/', '.'])
        && !name.ends_with(".lock")
        && !name.contains("..")
        && !name.contains("//")
        && !name.contains("@{")
        && name != "@"
        && !name
            .chars()
            .any(|c| c.is_control() || " ~^:?*[\\".contains(c))
        && !name.split('/').any(|part| part.starts_with('.'))
}

/// `helm-paths`: `role=path` pairs.
pub fn parse_helm_paths(pairs: &[String]) -> Result<HelmPaths, String> {
    const EXPECTED: &str = "`role=dotted.path` pairs with roles repository, tag, digest or image, such as `repository=image.repository,tag=image.tag`";
    let mut paths = HelmPaths::default();
    for pair in pairs {
        let Some((role, path)) = pair.split_once('=') else {
            return Err(EXPECTED.to_owned());
        };
        let path = path.trim();
        let valid_path = !path.is_empty()
            && path
                .split('.')
                .all(|key| !key.is_empty() && !key.contains(char::is_whitespace));
        if !valid_path {
            return Err(EXPECTED.to_owned());
        }
        let slot = match role.trim() {
            "repository" => &mut paths.repository,
            "tag" => &mut paths.tag,
            "digest" => &mut paths.digest,
            "image" => &mut paths.image,
            _ => return Err(EXPECTED.to_owned()),
        };
        if slot.replace(path.to_owned()).is_some() {
            return Err(format!("each role once; {EXPECTED}"));
        }
    }
    if paths.image.is_some() && (paths.repository.is_some() || paths.tag.is_some()) {
        return Err(format!(
            "`image` (one repo:tag string) or `repository`/`tag`, not both; {EXPECTED}"
        ));
    }
    if paths == HelmPaths::default() {
        return Err(EXPECTED.to_owned());
    }
    Ok(paths)
}

/// `commit-author`: `Name <email>`.
pub fn parse_author(raw: &str) -> Option<(String, String)> {
    let (name, rest) = raw.split_once('<')?;
    let email = rest.strip_suffix('>')?;
    let name = name.trim();
    let valid = !name.is_empty()
        && email.contains('@')
        && !email.contains(['<', '>', ' '])
        && !name.contains(['<', '>', '\n']);
    valid.then(|| (name.to_owned(), email.to_owned()))
}

/// The reference to set from `image-ref`, `image`, `tag` and `digest`.
fn wanted_reference(inputs: &Inputs) -> Result<Option<ImageRef>, ConfigError> {
    let tag = inputs.get("tag");
    if let Some(tag) = &tag
        && !gantry_image_ref::is_valid_tag(tag)
    {
        return Err(invalid(
            "tag",
            tag,
            "a tag of letters, digits, '_', '.' and '-' (at most 128, not starting with '.' or '-'), such as v1.2.3 or sha-4f2a9c1",
        ));
    }
    let digest = inputs.get("digest");
    if let Some(digest) = &digest
        && ImageRef::parse(&format!("x@{digest}")).is_none()
    {
        return Err(invalid(
            "digest",
            digest,
            "sha256: and 64 lower-case hex digits",
        ));
    }
    let base = match inputs.get("image-ref") {
        Some(raw) => Some(ImageRef::parse(&raw).ok_or_else(|| invalid("image-ref", &raw, IMAGE_HELP))?),
        None => match inputs.get("image") {
            Some(raw) if tag.is_some() || digest.is_some() => Some(
                ImageRef::parse(&raw)
                    .filter(|r| r.tag.is_none() && r.digest.is_none())
                    .ok_or_else(|| {
                        invalid(
                            "image",
                            &raw,
                            "an image repository without tag or digest, such as 123456789012.dkr.ecr.us-east-1.amazonaws.com/api or nginx",
                        )
                    })?,
            ),
            _ => None,
        },
    };
    Ok(base.map(|mut reference| {
        if tag.is_some() {
            reference.tag = tag;
        }
        if digest.is_some() {
            reference.digest = digest;
        }
        reference
    }))
}

impl Config {
    /// `workspace` is where relative paths start (`GITHUB_WORKSPACE`, else the current dir);
    /// `github_sha` is the runner's `GITHUB_SHA`.
    pub fn from_inputs(
        inputs: &Inputs,
        workspace: &Path,
        github_sha: Option<&str>,
    ) -> Result<Config, ConfigError> {
        let files = inputs.get_list("files");
        if files.is_empty() {
            return Err(InputError::missing("files").into());
        }
        for file in &files {
            if Path::new(file).is_absolute() || file.split(['/', '\\']).any(|part| part == "..") {
                return Err(invalid(
                    "files",
                    file,
                    "paths or globs inside the repository, relative to the working directory (no `..`, not absolute)",
                ));
            }
        }
        let form = inputs.get_choice(
            "form",
            &[
                ("auto", FormChoice::Auto),
                ("kustomize", FormChoice::Kustomize),
                ("helm", FormChoice::Helm),
                ("manifest", FormChoice::Manifest),
                ("argocd", FormChoice::ArgoCd),
            ],
        )?;
        let mode = inputs.get_choice(
            "mode",
            &[("update", Mode::Update), ("rollback", Mode::Rollback)],
        )?;
        let reference = wanted_reference(inputs)?;
        let wanted = match (mode, reference, inputs.get("rollback-to")) {
            (Mode::Update, Some(reference), None) => {
                if reference.tag.is_none() && reference.digest.is_none() {
                    return Err(invalid(
                        "image-ref",
                        &reference.to_string(),
                        "a reference with a tag or a digest (or give `tag` or `digest`)",
                    ));
                }
                Wanted::Reference(reference)
            }
            (Mode::Update, None, None) => {
                return Err(invalid(
                    "image-ref",
                    "",
                    "the reference to set, such as 123456789012.dkr.ecr.us-east-1.amazonaws.com/api:v1.2.3 (or `image` with `tag` or `digest`)",
                ));
            }
            (Mode::Update, _, Some(_)) => {
                return Err(ConfigError::Conflict(
                    "'rollback-to' is for mode: rollback; set the new reference with image-ref (or tag) in mode: update".into(),
                ));
            }
            (Mode::Rollback, Some(reference), None) => Wanted::Reference(reference),
            (Mode::Rollback, reference, Some(raw)) => {
                Wanted::Reference(rollback_reference(&raw, reference, inputs.get("image"))?)
            }
            (Mode::Rollback, None, None) => Wanted::Previous,
        };
        let image = match (inputs.get("image"), &wanted) {
            (Some(image), _) => {
                let parsed = ImageRef::parse(&image)
                    .filter(|r| r.tag.is_none() && r.digest.is_none())
                    .ok_or_else(|| {
                        invalid(
                            "image",
                            &image,
                            "an image repository without tag or digest, such as 123456789012.dkr.ecr.us-east-1.amazonaws.com/api or nginx",
                        )
                    })?;
                parsed.to_string()
            }
            (None, Wanted::Reference(reference)) => repository_of(reference),
            (None, Wanted::Previous) => {
                return Err(invalid(
                    "image",
                    "",
                    "the image to roll back, as the files name it (with mode: rollback and no rollback-to)",
                ));
            }
        };
        let container = inputs.get("container");
        let helm_paths = parse_helm_paths(&inputs.get_list("helm-paths")).map_err(|expected| {
            invalid(
                "helm-paths",
                &inputs.get("helm-paths").unwrap_or_default(),
                &expected,
            )
        })?;
        let allow_missing = inputs.get_required_bool("allow-missing")?;
        let render = match inputs.get_required("render-check")?.as_str() {
            "auto" => RenderCheck::Auto,
            "none" => RenderCheck::None,
            command => {
                let words: Vec<String> = command.split_whitespace().map(str::to_owned).collect();
                // No shell runs it: a pipe or a redirection would reach the program as words.
                if words
                    .iter()
                    .any(|w| ["|", "||", "&&", ";", ">", ">>", "<", "&"].contains(&w.as_str()))
                {
                    return Err(invalid(
                        "render-check",
                        command,
                        "auto, none, or one command with its arguments (run without a shell: put a pipeline in a script and name the script)",
                    ));
                }
                RenderCheck::Command(words)
            }
        };
        let render_paths = inputs.get_multiline("render-paths");
        let push = inputs.get_choice(
            "push",
            &[
                ("branch", Push::Branch),
                ("pull-request", Push::PullRequest),
                ("none", Push::None),
            ],
        )?;
        let branch = inputs.get("branch");
        if let Some(branch) = &branch
            && !valid_branch(branch)
        {
            return Err(invalid(
                "branch",
                branch,
                "a branch name git accepts, such as main or envs/production",
            ));
        }
        let remote = inputs.get_required("remote")?;
        if remote.starts_with('-') || remote.contains(char::is_whitespace) {
            return Err(invalid(
                "remote",
                &remote,
                "the name of a git remote, such as origin",
            ));
        }
        let pull_request_branch = inputs.get_required("pull-request-branch")?;
        let sample = crate::plan::pull_request_branch(&pull_request_branch, "main", "api");
        if !valid_branch(&sample) {
            return Err(invalid(
                "pull-request-branch",
                &pull_request_branch,
                "a branch name git accepts, with ${branch} and ${image} if wanted, such as gitops-update/${branch}/${image}",
            ));
        }
        let token = inputs.get("token");
        if token
            .as_deref()
            .is_some_and(|t| t.contains(|c: char| c.is_whitespace() || c.is_control()))
        {
            return Err(invalid(
                "token",
                "***",
                "a GitHub token, without spaces or line breaks",
            ));
        }
        let repository = inputs.get("repository");
        if let Some(repository) = &repository
            && !is_repository(repository)
        {
            return Err(invalid(
                "repository",
                repository,
                "owner/name of a GitHub repository, such as octo/gitops",
            ));
        }
        let commit_message = inputs.get_required("commit-message")?;
        if commit_message.contains('\n') || commit_message.trim().is_empty() {
            return Err(invalid(
                "commit-message",
                &commit_message,
                "one line, such as `deploy(${image}): ${tag}`",
            ));
        }
        let source_commit = inputs
            .get("source-commit")
            .or_else(|| github_sha.map(str::to_owned));
        if let Some(source) = &source_commit
            && !(source.len() >= 7
                && source.len() <= 64
                && source.chars().all(|c| c.is_ascii_hexdigit()))
        {
            return Err(invalid(
                "source-commit",
                source,
                "a commit SHA (7 to 64 hex digits)",
            ));
        }
        let raw_author = inputs.get_required("commit-author")?;
        let author = parse_author(&raw_author).ok_or_else(|| {
            invalid(
                "commit-author",
                &raw_author,
                "`Name <email>`, such as `Deploy Bot <deploy@example.com>`",
            )
        })?;
        let push_attempts = inputs.get_number(
            "push-attempts",
            1..=MAX_PUSH_ATTEMPTS,
            &format!("a whole number from 1 to {MAX_PUSH_ATTEMPTS}"),
        )?;
        let push_attempts = u32::try_from(push_attempts).unwrap_or(1);
        let argocd = argocd_settings(inputs)?;
        let revert_on_failure = inputs.get_required_bool("revert-on-failure")?;
        let working_directory = inputs.get_directory("working-directory", workspace)?;
        let dry_run = inputs.get_required_bool("dry-run")?;
        let timeout = inputs.get_number(
            "timeout-seconds",
            1..=MAX_TIMEOUT_SECONDS,
            &format!("a whole number of seconds from 1 to {MAX_TIMEOUT_SECONDS}"),
        )?;
        let config = Config {
            files,
            form,
            image,
            container,
            helm_paths,
            wanted,
            allow_missing,
            render,
            render_paths,
            mode,
            push,
            branch,
            remote,
            pull_request_branch,
            token,
            repository,
            commit_message,
            source_commit,
            author,
            push_attempts,
            argocd,
            revert_on_failure,
            working_directory,
            dry_run,
            timeout: Duration::from_secs(timeout),
        };
        config.check_conflicts()?;
        Ok(config)
    }

    fn check_conflicts(&self) -> Result<(), ConfigError> {
        if self.push == Push::PullRequest && !self.dry_run && self.token.is_none() {
            return Err(invalid(
                "token",
                "",
                "a GitHub token with contents: write and pull-requests: write, because push is pull-request (or dry-run: true)",
            ));
        }
        if self.argocd.is_some() && self.push == Push::None {
            return Err(ConfigError::Conflict(
                "'argocd-server' is set but 'push' is none: Argo CD only sees what is pushed; use push: branch (or pull-request)".into(),
            ));
        }
        if self.container.is_some()
            && self.form != FormChoice::Manifest
            && self.form != FormChoice::Auto
        {
            return Err(ConfigError::Conflict(
                "'container' matches the containers of manifests: use it with form: manifest (or auto)".into(),
            ));
        }
        Ok(())
    }
}

/// `rollback-to`: a whole reference, or a tag or digest of the image.
fn rollback_reference(
    raw: &str,
    reference: Option<ImageRef>,
    image: Option<String>,
) -> Result<ImageRef, ConfigError> {
    const EXPECTED: &str = "a tag (v1.2.2), a digest (sha256:…) or a whole reference (repo:v1.2.2)";
    if raw.contains('/') || raw.contains(':') && !raw.starts_with("sha256:") {
        return ImageRef::parse(raw)
            .filter(|r| r.tag.is_some() || r.digest.is_some())
            .ok_or_else(|| invalid("rollback-to", raw, EXPECTED));
    }
    let base = match (reference, image) {
        (Some(reference), _) => ImageRef {
            tag: None,
            digest: None,
            ..reference
        },
        (None, Some(image)) => ImageRef::parse(&image)
            .ok_or_else(|| invalid("image", &image, "an image repository without tag or digest"))?,
        (None, None) => {
            return Err(invalid(
                "image",
                "",
                "the image whose tag `rollback-to` names (or give rollback-to as a whole reference)",
            ));
        }
    };
    let parsed = if raw.starts_with("sha256:") {
        ImageRef::parse(&format!("{base}@{raw}"))
    } else {
        ImageRef::parse(&format!("{base}:{raw}"))
    };
    parsed.ok_or_else(|| invalid("rollback-to", raw, EXPECTED))
}

/// `registry/repository` of a reference, without tag and digest.
pub fn repository_of(reference: &ImageRef) -> String {
    ImageRef {
        tag: None,
        digest: None,
        ..reference.clone()
    }
    .to_string()
}

fn is_repository(raw: &str) -> bool {
    let mut parts = raw.split('/');
    let valid = |p: &str| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    };
    matches!((parts.next(), parts.next(), parts.next()), (Some(o), Some(n), None) if valid(o) && valid(n))
}

fn argocd_settings(inputs: &Inputs) -> Result<Option<ArgoCdSettings>, ConfigError> {
    // Checked whether or not Argo CD is followed: a typo is never ignored.
    let sync = inputs.get_required_bool("argocd-sync")?;
    let Some(server) = inputs.get("argocd-server") else {
        for name in ["argocd-application", "argocd-app-namespace"] {
            if inputs.get(name).is_some() {
                return Err(ConfigError::Conflict(format!(
                    "'{name}' is set without 'argocd-server': give Argo CD's URL to follow the application, or remove it"
                )));
            }
        }
        return Ok(None);
    };
    let url_ok = (server.starts_with("https://") || server.starts_with("http://"))
        && server.len() > "https://".len()
        && !server.contains(char::is_whitespace);
    if !url_ok {
        return Err(invalid(
            "argocd-server",
            &server,
            "Argo CD's URL, such as https://argocd.example.com",
        ));
    }
    let token = inputs.get("argocd-token").ok_or_else(|| {
        invalid(
            "argocd-token",
            "",
            "an Argo CD API token, because argocd-server is set",
        )
    })?;
    if token.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return Err(invalid(
            "argocd-token",
            "***",
            "an Argo CD API token, without spaces or line breaks",
        ));
    }
    let application = inputs.get("argocd-application").ok_or_else(|| {
        invalid(
            "argocd-application",
            "",
            "the name of the Argo CD application, because argocd-server is set",
        )
    })?;
    let dns_label = |s: &str| {
        !s.is_empty()
            && s.len() <= 253
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-.".contains(c))
            && !s.starts_with(['-', '.'])
            && !s.ends_with(['-', '.'])
    };
    if !dns_label(&application) {
        return Err(invalid(
            "argocd-application",
            &application,
            "an application name: lower-case letters, digits, '-' and '.'",
        ));
    }
    let app_namespace = inputs.get("argocd-app-namespace");
    if let Some(ns) = &app_namespace
        && !dns_label(ns)
    {
        return Err(invalid(
            "argocd-app-namespace",
            ns,
            "a Kubernetes namespace: lower-case letters, digits and '-'",
        ));
    }
    Ok(Some(ArgoCdSettings {
        server: server.trim_end_matches('/').to_owned(),
        token,
        application,
        app_namespace,
        sync,
    }))
}

#[cfg(test)]
mod tests;

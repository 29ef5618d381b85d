//! Inputs → a validated [`Config`]. Every error names the input, the value and what is valid,
//! and nothing runs (no git fetch, no tag, no API call) before all inputs are valid.

use std::path::{Path, PathBuf};

use gantry_toolkit::InputSpec;
use gantry_toolkit::input::{InputError, Inputs};
use indexmap::IndexMap;
use semver::Version;

use crate::rules::ReleaseRules;
use crate::tag_format::TagFormat;
use crate::version::PreMajor;

/// Every input of the action, declared once ([`gantry_toolkit::spec`]): the CLI flags, the
/// defaults of empty inputs and `--action-contract` come from here, and the contract test holds
/// `action.yml` and the README to it. The flagged inputs come first, in `--help` order.
pub const INPUTS: &[InputSpec] = &[
    InputSpec::new(
        "token",
        "Token for the GitHub release (contents write). Not needed with dry-run or \
         create-release false.",
    )
    .flag("GitHub token (for the release); better given as INPUT_TOKEN."),
    InputSpec::new(
        "working-directory",
        "The repository directory, relative to the workspace. Default the workspace.",
    )
    .flag("The repository directory."),
    InputSpec::new(
        "tag-format",
        "Release tag format; `${version}` exactly once.",
    )
    .default("v${version}")
    .flag("Release tag format, with `${version}` once."),
    InputSpec::new(
        "release-branches",
        "Branches that make releases, one a line or comma-separated; empty: the repository's default branch (from the event), `main` and `master`.",
    )
    .flag("Branches that release, one a line."),
    InputSpec::new(
        "prerelease-branches",
        "Prerelease channels, one `branch=identifier` a line (`develop=beta` gives \
         `1.3.0-beta.4`).",
    )
    .flag("`branch=identifier` lines, e.g. `develop=beta`."),
    InputSpec::new(
        "maintenance-branches",
        "Maintenance branches, one a line or comma-separated: named like their line (`1.x`, \
         `1.2.x`) or `branch=line` (`release/1=1.x`). They release fixes of an older line, only \
         inside it.",
    )
    .flag("Maintenance branches: `1.x`, `1.2.x` or `branch=line`."),
    InputSpec::new(
        "release-rules",
        "Extra release rules, a YAML list of `{type, scope, release}` (release major, minor, \
         patch or none).",
    )
    .flag("Release rules (YAML list of {type, scope, release})."),
    InputSpec::new(
        "use-pr-title",
        "For merge commits, use the pull-request title instead of the merged commits.",
    )
    .default("false")
    .flag("Use the pull-request title of merge commits."),
    InputSpec::new(
        "first-release",
        "The version of the first release when no tag exists.",
    )
    .default("1.0.0")
    .flag("Version of the first release."),
    InputSpec::new(
        "bump-minor-pre-major",
        "While 0.x, a breaking change bumps the minor.",
    )
    .default("false")
    .flag("While 0.x, breaking changes bump the minor."),
    InputSpec::new(
        "bump-patch-for-minor-pre-major",
        "While 0.x, a feature bumps the patch.",
    )
    .default("false")
    .flag("While 0.x, features bump the patch."),
    InputSpec::new(
        "packages",
        "Monorepo packages, YAML `name → {paths, tag-format}`; outputs are then also \
         `<package>-<output>`.",
    )
    .flag("Monorepo packages (YAML: name → {paths, tag-format})."),
    InputSpec::new(
        "changelog",
        "A file to prepend the release notes to (such as CHANGELOG.md). Empty for none.",
    )
    .flag("CHANGELOG file to prepend the notes to."),
    InputSpec::new(
        "mode",
        "`direct`: release on the push. `release-pr`: open or update a release pull request \
         (version files and CHANGELOG bumped, notes as its body); merging it releases.",
    )
    .default("direct")
    .flag("direct or release-pr."),
    InputSpec::new(
        "release-pr-branch",
        "release-pr mode: the pull request's branch; `${branch}` is the release branch.",
    )
    .default("gantry-release/${branch}")
    .flag("The release pull request's branch."),
    InputSpec::new(
        "release-pr-title",
        "release-pr mode: the pull request's title; `${tag}` the tags, `${version}` the \
         versions.",
    )
    .default("release: ${tag}")
    .flag("The release pull request's title."),
    InputSpec::new(
        "release-pr-per-package",
        "release-pr mode with `packages`: one pull request per package instead of one for all.",
    )
    .default("false")
    .flag("One release pull request per package."),
    InputSpec::new(
        "version-files",
        "Files whose version the release sets, one a line or comma-separated, relative to the \
         working directory: Cargo.toml, Cargo.lock, package.json, package-lock.json, \
         pyproject.toml, Chart.yaml, VERSION, or any file with an `x-gantry-version` marker. \
         With `packages`, give `version-files` per package instead.",
    )
    .flag("Files whose version the release sets."),
    InputSpec::new(
        "chart-app-version",
        "Set a Helm Chart.yaml's `appVersion` too (not only its `version`).",
    )
    .default("false")
    .flag("Set Chart.yaml's appVersion too."),
    InputSpec::new(
        "commit-changelog",
        "direct mode: commit the CHANGELOG and version files in a release commit on the \
         branch, which the tag then marks (needs a push to the branch).",
    )
    .default("false")
    .flag("Commit CHANGELOG and version files before tagging."),
    InputSpec::new("create-tag", "Create and push the annotated release tag.")
        .default("true")
        .flag("Create and push the annotated tag."),
    InputSpec::new(
        "create-release",
        "Create the GitHub release (needs create-tag and the token).",
    )
    .default("true")
    .flag("Create the GitHub release."),
    InputSpec::new(
        "floating-tags",
        "Move the floating `vX` and `vX.Y` tags to the release.",
    )
    .default("false")
    .flag("Move the floating vX and vX.Y tags."),
    InputSpec::new(
        "dry-run",
        "Compute and print everything, write nothing (no write access needed).",
    )
    .default("false")
    .flag("Compute and print everything, write nothing."),
    InputSpec::new(
        "initial-fetch-depth",
        "Commits fetched first into a shallow clone to find the last release; doubled until \
         found.",
    )
    .default("100")
    .flag("Commits fetched first into a shallow clone."),
    InputSpec::new(
        "repository",
        "owner/name for the links of the notes; default GITHUB_REPOSITORY, else the origin \
         remote's URL.",
    )
    .flag("owner/name for the links of the notes (else GITHUB_REPOSITORY, else the remote)."),
    InputSpec::new(
        "timeout-seconds",
        "Deadline of the whole run; past it (or on SIGTERM) no further write starts and what \
         was done is reported.",
    )
    .default("600")
    .flag("The whole run's deadline, in seconds."),
];

/// The longest `timeout-seconds`: a GitHub-hosted job's own limit (6 hours).
pub const MAX_TIMEOUT_SECONDS: u64 = 6 * 60 * 60;

/// The most commits fetched first into a shallow clone, whatever the input says.
const MAX_INITIAL_FETCH_DEPTH: u64 = 100_000;

/// One package of a monorepo (or the whole repository when `packages` is empty).
#[derive(Debug, Clone)]
pub struct Package {
    /// Empty for the whole repository (outputs without a prefix).
    pub name: String,
    /// Only commits touching these paths count; empty means every commit.
    pub paths: Vec<String>,
    pub tag_format: TagFormat,
    /// The format as written, for messages.
    pub tag_format_raw: String,
    /// The files whose version its release sets, relative to the working directory.
    pub version_files: Vec<PathBuf>,
}

/// How a release is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// On the push to a release branch.
    Direct,
    /// Through a release pull request, on its merge.
    ReleasePr,
}

/// The release pull request's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleasePr {
    /// `${branch}` is the release branch.
    pub branch: String,
    pub title: String,
    pub per_package: bool,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub token: Option<String>,
    pub working_directory: PathBuf,
    pub tag_format: TagFormat,
    pub release_branches: Vec<String>,
    /// `(branch, prerelease identifier)`.
    pub prerelease_branches: Vec<(String, String)>,
    pub maintenance_branches: Vec<crate::maintenance::MaintenanceBranch>,
    pub rules: ReleaseRules,
    pub use_pr_title: bool,
    pub first_release: Version,
    pub pre_major: PreMajor,
    /// One entry without a name when `packages` is empty.
    pub packages: Vec<Package>,
    pub changelog: Option<PathBuf>,
    pub mode: Mode,
    pub release_pr: ReleasePr,
    pub chart_app_version: bool,
    pub commit_changelog: bool,
    pub create_tag: bool,
    pub create_release: bool,
    pub floating_tags: bool,
    pub dry_run: bool,
    pub initial_fetch_depth: u32,
    /// `owner/name` for the links of the notes (else `GITHUB_REPOSITORY`, else the remote).
    pub repository: Option<String>,
    /// The whole run's deadline.
    pub timeout: std::time::Duration,
}

impl Config {
    /// Whether outputs are per package (`<package>-<output>`).
    pub fn monorepo(&self) -> bool {
        self.packages.iter().any(|p| !p.name.is_empty())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("input 'tag-format': {0}")]
    TagFormat(#[source] crate::tag_format::TagFormatError),
    #[error("input 'release-rules': {0}")]
    Rules(#[source] crate::rules::RulesError),
    #[error("input 'packages': {0}")]
    Packages(String),
    #[error("conflicting inputs: {0}")]
    Conflict(String),
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PackageSpec {
    #[serde(default)]
    paths: Paths,
    #[serde(rename = "tag-format")]
    tag_format: Option<String>,
    #[serde(rename = "version-files", default)]
    version_files: Paths,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(untagged)]
enum Paths {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl Config {
    /// `workspace` is where relative paths start (`GITHUB_WORKSPACE`, else the current dir).
    pub fn from_inputs(inputs: &Inputs, workspace: &Path) -> Result<Config, ConfigError> {
        let token = inputs.get("token");
        if token
            .as_deref()
            .is_some_and(|t| t.contains(|c: char| c.is_whitespace() || c.is_control()))
        {
            // The value is a secret: never in the message.
            return Err(InputError::invalid(
                "token",
                "***",
                "a GitHub token, without spaces or line breaks",
            )
            .into());
        }
        let working_directory = inputs.get_directory("working-directory", workspace)?;
        let tag_format_raw = inputs.get_required("tag-format")?;
        let tag_format = TagFormat::parse(&tag_format_raw).map_err(ConfigError::TagFormat)?;

        let release_branches = inputs.get_list("release-branches");
        for b in &release_branches {
            check_branch("release-branches", b)?;
        }
        let mut prerelease_branches = Vec::new();
        for line in inputs.get_multiline("prerelease-branches") {
            let Some((branch, id)) = line.split_once('=') else {
                return Err(InputError::invalid(
                    "prerelease-branches",
                    &line,
                    "one `branch=identifier` a line, such as `develop=beta`",
                )
                .into());
            };
            let (branch, id) = (branch.trim(), id.trim());
            check_branch("prerelease-branches", branch)?;
            let valid_id = !id.is_empty()
                && id.split('.').all(|part| {
                    !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                })
                && !id.chars().all(|c| c.is_ascii_digit() || c == '.');
            if !valid_id {
                return Err(InputError::invalid(
                    "prerelease-branches",
                    &line,
                    "an identifier of letters, digits and `-` (not only digits) after `=`, such as `develop=beta`",
                )
                .into());
            }
            if crate::release_plan::release_branches(&release_branches, None)
                .iter()
                .any(|b| b == branch)
            {
                return Err(ConfigError::Conflict(format!(
                    "branch '{branch}' is in both 'release-branches' and 'prerelease-branches'"
                )));
            }
            prerelease_branches.push((branch.to_string(), id.to_string()));
        }

        let raw_maintenance = inputs.get_list("maintenance-branches");
        let maintenance_branches =
            crate::maintenance::parse_branches(&raw_maintenance).map_err(|(entry, expected)| {
                InputError::invalid("maintenance-branches", entry, expected)
            })?;
        for m in &maintenance_branches {
            check_branch("maintenance-branches", &m.branch)?;
            // Without `release-branches`, main and master release (and the default branch).
            let releases = release_branches.contains(&m.branch)
                || (release_branches.is_empty()
                    && crate::release_plan::DEFAULT_RELEASE_BRANCHES.contains(&m.branch.as_str()));
            if releases || prerelease_branches.iter().any(|(b, _)| *b == m.branch) {
                return Err(ConfigError::Conflict(format!(
                    "branch '{}' is in 'maintenance-branches' and is a release or prerelease branch ('release-branches' empty: main and master): one kind a branch",
                    m.branch
                )));
            }
        }

        let rules = ReleaseRules::parse(&inputs.get("release-rules").unwrap_or_default())
            .map_err(ConfigError::Rules)?;
        let use_pr_title = inputs.get_required_bool("use-pr-title")?;
        let raw = inputs.get_required("first-release")?;
        let first_release = match Version::parse(raw.trim_start_matches('v')) {
            Ok(v) if v != Version::new(0, 0, 0) && v.pre.is_empty() => v,
            _ => {
                return Err(InputError::invalid(
                    "first-release",
                    &raw,
                    "a version MAJOR.MINOR.PATCH above 0.0.0, without prerelease, such as 1.0.0 or 0.1.0",
                )
                .into());
            }
        };
        let pre_major = PreMajor {
            bump_minor_pre_major: inputs.get_required_bool("bump-minor-pre-major")?,
            bump_patch_for_minor_pre_major: inputs
                .get_required_bool("bump-patch-for-minor-pre-major")?,
        };
        let changelog = inputs.get("changelog").map(|c| {
            let p = PathBuf::from(&c);
            if p.is_absolute() {
                p
            } else {
                working_directory.join(p)
            }
        });
        let mode = inputs.get_choice(
            "mode",
            &[("direct", Mode::Direct), ("release-pr", Mode::ReleasePr)],
        )?;
        let release_pr = ReleasePr {
            branch: inputs.get_required("release-pr-branch")?,
            title: inputs.get_required("release-pr-title")?,
            per_package: inputs.get_required_bool("release-pr-per-package")?,
        };
        check_branch(
            "release-pr-branch",
            &crate::release_pr::branch_name(&release_pr.branch, "main"),
        )?;
        if !release_pr.title.contains("${tag}") && !release_pr.title.contains("${version}") {
            return Err(InputError::invalid(
                "release-pr-title",
                &release_pr.title,
                "a title with `${tag}` or `${version}`, such as `release: ${tag}`",
            )
            .into());
        }
        let chart_app_version = inputs.get_required_bool("chart-app-version")?;
        let commit_changelog = inputs.get_required_bool("commit-changelog")?;
        let version_files: Vec<PathBuf> = inputs
            .get_list("version-files")
            .into_iter()
            .map(PathBuf::from)
            .collect();
        let create_tag = inputs.get_required_bool("create-tag")?;
        let create_release = inputs.get_required_bool("create-release")?;
        let floating_tags = inputs.get_required_bool("floating-tags")?;
        let dry_run = inputs.get_required_bool("dry-run")?;
        let initial_fetch_depth = inputs.get_number(
            "initial-fetch-depth",
            1..=MAX_INITIAL_FETCH_DEPTH,
            &format!("a whole number of commits from 1 to {MAX_INITIAL_FETCH_DEPTH}"),
        )?;
        let initial_fetch_depth = u32::try_from(initial_fetch_depth).unwrap_or(u32::MAX);
        let repository = match inputs.get("repository") {
            None => None,
            Some(raw) if is_repository(&raw) => Some(raw),
            Some(raw) => {
                return Err(InputError::invalid(
                    "repository",
                    &raw,
                    "owner/name of a GitHub repository, such as octo/app",
                )
                .into());
            }
        };
        let timeout = inputs.get_number(
            "timeout-seconds",
            1..=MAX_TIMEOUT_SECONDS,
            &format!("a whole number of seconds from 1 to {MAX_TIMEOUT_SECONDS}"),
        )?;
        let timeout = std::time::Duration::from_secs(timeout);
        let packages = match inputs.get("packages") {
            None => vec![Package {
                name: String::new(),
                paths: Vec::new(),
                tag_format: tag_format.clone(),
                tag_format_raw: tag_format_raw.clone(),
                version_files,
            }],
            Some(_) if !version_files.is_empty() => {
                return Err(ConfigError::Conflict(
                    "'version-files' is set with 'packages': give each package its own `version-files` in 'packages'".into(),
                ));
            }
            Some(yaml) => parse_packages(&yaml)?,
        };
        if mode == Mode::ReleasePr && !create_tag {
            return Err(ConfigError::Conflict(
                "'mode' is release-pr but 'create-tag' is false: merging the pull request releases by tagging its merge commit; set create-tag: true".into(),
            ));
        }
        if mode == Mode::ReleasePr
            && changelog.is_none()
            && packages.iter().all(|p| p.version_files.is_empty())
        {
            return Err(ConfigError::Conflict(
                "'mode' is release-pr but there is nothing for its commit to change: set 'changelog' or 'version-files' (GitHub opens no pull request without a change)".into(),
            ));
        }
        if commit_changelog
            && changelog.is_none()
            && packages.iter().all(|p| p.version_files.is_empty())
        {
            return Err(ConfigError::Conflict(
                "'commit-changelog' is true but there is nothing to commit: set 'changelog' or 'version-files'".into(),
            ));
        }
        if mode == Mode::ReleasePr && commit_changelog {
            return Err(ConfigError::Conflict(
                "'commit-changelog' is for direct mode: in release-pr mode the pull request carries the CHANGELOG; remove commit-changelog".into(),
            ));
        }
        if mode == Mode::ReleasePr && !dry_run && token.is_none() {
            return Err(InputError::invalid(
                "token",
                "",
                "a GitHub token with contents: write and pull-requests: write, because mode is release-pr (or dry-run: true)",
            )
            .into());
        }

        if create_release && !create_tag {
            return Err(ConfigError::Conflict(
                "'create-release' is true but 'create-tag' is false: a release needs its tag; set create-release: false or create-tag: true".into(),
            ));
        }
        if floating_tags && !create_tag {
            return Err(ConfigError::Conflict(
                "'floating-tags' is true but 'create-tag' is false; set create-tag: true".into(),
            ));
        }
        if create_release && !dry_run && token.is_none() {
            return Err(InputError::invalid(
                "token",
                "",
                "a GitHub token with contents: write, because create-release is true (or set create-release: false, or dry-run: true)",
            )
            .into());
        }

        Ok(Config {
            token,
            working_directory,
            tag_format,
            release_branches,
            prerelease_branches,
            maintenance_branches,
            rules,
            use_pr_title,
            first_release,
            pre_major,
            packages,
            changelog,
            mode,
            release_pr,
            chart_app_version,
            commit_changelog,
            create_tag,
            create_release,
            floating_tags,
            dry_run,
            initial_fetch_depth,
            repository,
            timeout,
        })
    }
}

/// `owner/name`: GitHub's characters for both (letters, digits, `-`, `_`, `.`), nothing else.
pub fn is_repository(value: &str) -> bool {
    let part = |p: &str| {
        !p.is_empty()
            && p != "."
            && p != ".."
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
    };
    matches!(value.split_once('/'), Some((owner, name)) if part(owner) && part(name))
}

fn check_branch(input: &str, branch: &str) -> Result<(), InputError> {
    if branch.is_empty()
        || branch.starts_with('-')
        || branch.contains(|c: char| c.is_whitespace() || c.is_control() || c == '=')
    {
        return Err(InputError::invalid(
            input,
            branch,
            "branch names, one a line or comma-separated, not starting with '-' and without spaces",
        ));
    }
    Ok(())
}

/// `name: {paths: [..], tag-format: ..}` for each package.
fn parse_packages(yaml: &str) -> Result<Vec<Package>, ConfigError> {
    let specs: IndexMap<String, PackageSpec> = serde_saphyr::from_str(yaml).map_err(|e| {
        ConfigError::Packages(format!(
            "'{}' is not a mapping of package names to {{paths, tag-format}} ({e}); for example `api: {{paths: [services/api], tag-format: 'api-v${{version}}'}}`",
            yaml.lines().next().unwrap_or("")
        ))
    })?;
    if specs.is_empty() {
        return Err(ConfigError::Packages(
            "no packages; leave the input empty to version the whole repository".into(),
        ));
    }
    let mut out = Vec::new();
    for (name, spec) in specs {
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        {
            return Err(ConfigError::Packages(format!(
                "package name '{name}' cannot be part of an output name; use letters, digits, '-', '_' and '.'"
            )));
        }
        let paths = match spec.paths {
            Paths::None => Vec::new(),
            Paths::One(p) => vec![p],
            Paths::Many(p) => p,
        };
        if paths.is_empty() || paths.iter().any(|p| p.trim().is_empty()) {
            return Err(ConfigError::Packages(format!(
                "package '{name}' needs `paths`: a path or a list of paths of the repository"
            )));
        }
        let raw = spec
            .tag_format
            .unwrap_or_else(|| format!("{name}-v${{version}}"));
        let tag_format = TagFormat::parse(&raw)
            .map_err(|e| ConfigError::Packages(format!("package '{name}': {e}")))?;
        let version_files = match spec.version_files {
            Paths::None => Vec::new(),
            Paths::One(p) => vec![PathBuf::from(p)],
            Paths::Many(p) => p.into_iter().map(PathBuf::from).collect(),
        };
        out.push(Package {
            name,
            paths,
            tag_format,
            tag_format_raw: raw,
            version_files,
        });
    }
    for (i, a) in out.iter().enumerate() {
        for b in &out[i + 1..] {
            if a.tag_format_raw == b.tag_format_raw {
                return Err(ConfigError::Packages(format!(
                    "packages '{}' and '{}' have the same tag-format '{}'; give each its own",
                    a.name, b.name, a.tag_format_raw
                )));
            }
        }
    }
    Ok(out)
}

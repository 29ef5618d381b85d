//! Inputs → a validated [`Config`]. Every error names the input, the value and what is valid,
//! and nothing runs (no git fetch, no API call) before all inputs are valid.

use std::path::{Path, PathBuf};

use gantry_toolkit::InputSpec;
use gantry_toolkit::input::{InputError, Inputs};

use crate::filter::{FilterError, FilterOptions, FilterSet, NegationMode};
use crate::list_format::ListFormat;
use crate::matching::PredicateQuantifier;

/// Every input of the action, declared once ([`gantry_toolkit::spec`]): the CLI flags, the
/// defaults of empty inputs and `--action-contract` come from here, and the contract test holds
/// `action.yml` and the README to it. The flagged inputs come first, in `--help` order.
pub const INPUTS: &[InputSpec] = &[
    InputSpec::new(
        "filters",
        "Filters as YAML (inline) or the path of a YAML file: each filter name maps to globs, \
         lists of globs, or change types (`added|modified: globs`).",
    )
    .required()
    .flag("Filters: YAML (inline) or the path of a YAML file."),
    InputSpec::new(
        "base",
        "The branch, tag or SHA to compare with; `HEAD` compares uncommitted changes. Default: \
         decided by the event (see the README).",
    )
    .flag("Compare with this branch, tag or SHA; `HEAD` for uncommitted changes."),
    InputSpec::new(
        "ref",
        "The branch, tag or SHA to inspect. Default the checked-out HEAD.",
    )
    .flag("The commit to inspect (default: the checked-out HEAD)."),
    InputSpec::new(
        "list-files",
        "Also output each filter's files: none, csv, json, shell or escape.",
    )
    .default("none")
    .flag("none, csv, json, shell or escape."),
    InputSpec::new(
        "predicate-quantifier",
        "some: a file matches a filter if it matches any rule; every: if it matches all; \
         some-with-excludes: any rule, but a ! rule excludes (dorny v4).",
    )
    .default("some")
    .flag("some, every or some-with-excludes."),
    InputSpec::new(
        "negation",
        "or: a `!glob` rule matches every file the glob does not (dorny/paths-filter); exclude: \
         `!glob` removes files matched by earlier rules, in order, like .gitignore.",
    )
    .default("or")
    .flag("or (like dorny/paths-filter) or exclude (`!pattern` removes files, in order)."),
    InputSpec::new(
        "working-directory",
        "The repository directory, relative to the workspace. Default the workspace.",
    )
    .flag("The repository directory."),
    InputSpec::new(
        "initial-fetch-depth",
        "Commits fetched first when a shallow clone lacks the merge base; doubled until found.",
    )
    .default("100")
    .flag("Commits fetched first when a shallow clone lacks the merge base."),
    InputSpec::new(
        "max-output-size",
        "Largest output value in bytes; a larger one is left unset and is in the result file.",
    )
    .default("1048576")
    .flag("Largest output value in bytes; larger ones are only in the result file."),
    InputSpec::new(
        "token",
        "Token for the GitHub API, used to list a pull request's files. Empty: git is used for \
         pull requests too.",
    ),
];

/// The most git commits fetched while looking for a merge base, whatever the input says.
const MAX_INITIAL_FETCH_DEPTH: u64 = 100_000;

#[derive(Debug)]
pub struct Config {
    /// Empty when not given: pull requests are then compared with git, not the API.
    pub token: Option<String>,
    pub working_directory: PathBuf,
    pub ref_: Option<String>,
    pub base: Option<String>,
    pub filters: FilterSet,
    /// Where the filters came from, for messages: `inline` or the file path.
    pub filters_source: String,
    pub list_files: ListFormat,
    pub initial_fetch_depth: u64,
    pub quantifier: PredicateQuantifier,
    pub negation: NegationMode,
    /// An output value larger than this is not set; it is in the result file instead.
    pub max_output_size: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("input 'filters': {0}")]
    Filters(#[source] FilterError),
    #[error(
        "input 'filters' names the file '{path}', which cannot be read ({reason}); give inline YAML or a path relative to 'working-directory'"
    )]
    FiltersFile { path: String, reason: String },
}

impl Config {
    /// `workspace` is where relative paths start (`GITHUB_WORKSPACE`, else the current dir).
    pub fn from_inputs(inputs: &Inputs, workspace: &Path) -> Result<Config, ConfigError> {
        let token = inputs.get("token");
        let working_directory = inputs.get_directory("working-directory", workspace)?;
        let list_files = inputs.get_choice(
            "list-files",
            &[
                ("none", ListFormat::None),
                ("csv", ListFormat::Csv),
                ("json", ListFormat::Json),
                ("shell", ListFormat::Shell),
                ("escape", ListFormat::Escape),
            ],
        )?;
        let quantifier = inputs.get_choice(
            "predicate-quantifier",
            &[
                ("some", PredicateQuantifier::Some),
                ("every", PredicateQuantifier::Every),
                ("some-with-excludes", PredicateQuantifier::SomeWithExcludes),
            ],
        )?;
        let negation = inputs.get_choice(
            "negation",
            &[("or", NegationMode::Or), ("exclude", NegationMode::Exclude)],
        )?;
        let initial_fetch_depth = inputs.get_number(
            "initial-fetch-depth",
            1..=MAX_INITIAL_FETCH_DEPTH,
            &format!("a whole number of commits from 1 to {MAX_INITIAL_FETCH_DEPTH}"),
        )?;
        let max_output_size = inputs.get_number(
            "max-output-size",
            1024..=u64::MAX,
            "a number of bytes, at least 1024",
        )?;
        let max_output_size = usize::try_from(max_output_size).unwrap_or(usize::MAX);

        let raw_filters = inputs.get_required("filters")?;
        let (yaml, filters_source) = read_filters(&raw_filters, &working_directory)?;
        let filters =
            FilterSet::parse(&yaml, &FilterOptions { negation }).map_err(ConfigError::Filters)?;

        let ref_ = revision(inputs, "ref")?;
        let base = revision(inputs, "base")?;
        Ok(Config {
            token,
            working_directory,
            ref_,
            base,
            filters,
            filters_source,
            list_files,
            initial_fetch_depth,
            quantifier,
            negation,
            max_output_size,
        })
    }
}

/// A branch, tag, full ref or SHA. One that starts with `-` would be read by git as an option
/// (`--upload-pack=...` runs a command), so it is refused here, before git ever sees it.
fn revision(inputs: &Inputs, name: &str) -> Result<Option<String>, InputError> {
    let Some(value) = inputs.get(name) else {
        return Ok(None);
    };
    if value.starts_with('-') || value.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return Err(InputError::invalid(
            name,
            &value,
            "a branch, tag, full ref (refs/...) or commit SHA, without spaces and not starting with '-'",
        ));
    }
    Ok(Some(value))
}

/// Like dorny/paths-filter: a single line that is not a YAML mapping names a file. A line that
/// looks like a file path (ends in `.yml`/`.yaml`) but does not exist is an error rather than
/// being parsed as YAML, which would fail with a confusing message.
fn read_filters(raw: &str, dir: &Path) -> Result<(String, String), ConfigError> {
    let single_line = !raw.contains('\n');
    let looks_like_path = single_line && !raw.contains(": ") && !raw.trim_end().ends_with(':');
    if !looks_like_path {
        return Ok((raw.to_string(), "inline".into()));
    }
    let path = dir.join(raw);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok((text, raw.to_string())),
        Err(e) => Err(ConfigError::FiltersFile {
            path: raw.to_string(),
            reason: match e.kind() {
                std::io::ErrorKind::NotFound => "no such file".to_string(),
                _ => e.to_string(),
            },
        }),
    }
}

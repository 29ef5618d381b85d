//! Inputs → a validated [`Config`]. Every error names the input, the value and what is valid,
//! and nothing runs (no git fetch, no API call) before all inputs are valid.

use std::path::{Path, PathBuf};

use gantry_toolkit::input::{InputError, Inputs};

use crate::filter::{FilterError, FilterOptions, FilterSet, NegationMode};
use crate::list_format::ListFormat;
use crate::matching::PredicateQuantifier;

/// Every input of the action, with the default the binary uses when it is empty. The
/// `action.yml` must declare the same (checked by the contract test).
pub const INPUTS: &[(&str, Option<&str>)] = &[
    ("token", None),
    ("working-directory", None),
    ("ref", None),
    ("base", None),
    ("filters", None),
    ("list-files", Some("none")),
    ("initial-fetch-depth", Some("100")),
    ("predicate-quantifier", Some("some")),
    ("negation", Some("or")),
    ("max-output-size", Some("1048576")),
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
    #[error(
        "input 'working-directory' is '{0}', which is not a directory: give a path inside the checkout"
    )]
    WorkingDirectory(String),
}

impl Config {
    /// `workspace` is where relative paths start (`GITHUB_WORKSPACE`, else the current dir).
    pub fn from_inputs(inputs: &Inputs, workspace: &Path) -> Result<Config, ConfigError> {
        let token = inputs.get("token");
        let working_directory = match inputs.get("working-directory") {
            None => workspace.to_path_buf(),
            Some(dir) => {
                let path = workspace.join(&dir);
                if !path.is_dir() {
                    return Err(ConfigError::WorkingDirectory(dir));
                }
                path
            }
        };
        let list_files = inputs
            .get_enum(
                "list-files",
                &[
                    ("none", ListFormat::None),
                    ("csv", ListFormat::Csv),
                    ("json", ListFormat::Json),
                    ("shell", ListFormat::Shell),
                    ("escape", ListFormat::Escape),
                ],
            )?
            .unwrap_or(ListFormat::None);
        let quantifier = inputs
            .get_enum(
                "predicate-quantifier",
                &[
                    ("some", PredicateQuantifier::Some),
                    ("every", PredicateQuantifier::Every),
                    ("some-with-excludes", PredicateQuantifier::SomeWithExcludes),
                ],
            )?
            .unwrap_or(PredicateQuantifier::Some);
        let negation = inputs
            .get_enum(
                "negation",
                &[("or", NegationMode::Or), ("exclude", NegationMode::Exclude)],
            )?
            .unwrap_or(NegationMode::Or);
        let initial_fetch_depth = match inputs.get("initial-fetch-depth") {
            None => 100,
            Some(raw) => match raw.parse::<u64>() {
                Ok(n) if (1..=MAX_INITIAL_FETCH_DEPTH).contains(&n) => n,
                _ => {
                    return Err(InputError::invalid(
                        "initial-fetch-depth",
                        &raw,
                        format!("a whole number of commits from 1 to {MAX_INITIAL_FETCH_DEPTH}"),
                    )
                    .into());
                }
            },
        };
        let max_output_size = match inputs.get("max-output-size") {
            None => 1_048_576,
            Some(raw) => match raw.parse::<usize>() {
                Ok(n) if n >= 1024 => n,
                _ => {
                    return Err(InputError::invalid(
                        "max-output-size",
                        &raw,
                        "a number of bytes, at least 1024",
                    )
                    .into());
                }
            },
        };

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

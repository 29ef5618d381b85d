//! Action inputs (`with:` in a workflow), read from `INPUT_*` variables.
//!
//! The runner names the variable `INPUT_` + the input name upper-cased with spaces replaced by
//! `_`; hyphens are kept (`list-files` is `INPUT_LIST-FILES`, which a shell cannot even
//! reference). Composite actions get no `INPUT_*` at all unless their `action.yml` maps them
//! explicitly, which is why every gantry action does.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::env::Env;

/// How many characters of a bad value an error message shows. Inputs can be whole YAML
/// documents; the message must stay readable in an annotation.
const MAX_SHOWN_VALUE: usize = 200;

/// The valid spellings of a boolean input, from the YAML 1.2 core schema (what @actions/core
/// accepts). `yes`, `on` and `1` are YAML 1.1 and are rejected: a typo should not silently
/// become `false`.
pub const BOOLEAN_SPELLINGS: &str = "true, True, TRUE, false, False, FALSE";

/// The environment variable the runner sets for input `name`.
///
/// Also exported as `gantry_toolkit::input_env_name`.
///
/// ```
/// assert_eq!(gantry_toolkit::input::env_name("list-files"), "INPUT_LIST-FILES");
/// assert_eq!(gantry_toolkit::input_env_name("list files"), "INPUT_LIST_FILES");
/// ```
#[must_use]
pub fn env_name(name: &str) -> String {
    format!("INPUT_{}", name.replace(' ', "_").to_uppercase())
}

/// An input that is missing or does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// A required input is unset or blank.
    #[error(
        "input '{name}' is required but was not supplied: set it under `with:` in the workflow step \
         (or set {env_var} when running outside GitHub Actions)"
    )]
    Missing {
        /// The input's name as written in `action.yml`.
        name: String,
        /// The variable it is read from.
        env_var: String,
    },
    /// The input is set to something that is not valid.
    #[error(
        "input '{name}' has invalid value '{shown}': expected {expected}{detail}",
        shown = shorten(value),
        detail = detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default()
    )]
    Invalid {
        /// The input's name as written in `action.yml`.
        name: String,
        /// The value as read (after trimming).
        value: String,
        /// What would have been valid, e.g. `one of none, csv, json`.
        expected: String,
        /// Why the value was rejected, when the parser says more than "invalid".
        detail: Option<String>,
    },
    /// A directory input names no directory.
    #[error(
        "input '{name}' is '{value}', which is not a directory: give a path inside the checkout"
    )]
    NotADirectory {
        /// The input's name as written in `action.yml`.
        name: String,
        /// The value as read.
        value: String,
    },
}

impl InputError {
    /// An [`InputError::Invalid`] without detail.
    #[must_use]
    pub fn invalid(
        name: impl Into<String>,
        value: impl Into<String>,
        expected: impl Into<String>,
    ) -> Self {
        Self::Invalid {
            name: name.into(),
            value: value.into(),
            expected: expected.into(),
            detail: None,
        }
    }

    /// An [`InputError::Missing`] for input `name`.
    #[must_use]
    pub fn missing(name: impl Into<String>) -> Self {
        let name = name.into();
        Self::Missing {
            env_var: env_name(&name),
            name,
        }
    }

    /// The name of the input at fault.
    #[must_use]
    pub fn name(&self) -> &str {
        match self {
            Self::Missing { name, .. }
            | Self::Invalid { name, .. }
            | Self::NotADirectory { name, .. } => name,
        }
    }
}

fn shorten(value: &str) -> String {
    match value.char_indices().nth(MAX_SHOWN_VALUE) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value.to_owned(),
    }
}

/// One input of a tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputSpec {
    /// The kebab-case name, as in `action.yml` (`list-files`, read from `INPUT_LIST-FILES`).
    pub name: &'static str,
    /// The `action.yml` description, word for word (line breaks and runs of spaces aside).
    pub description: &'static str,
    /// The value an empty input takes; `action.yml` declares the same.
    pub default: Option<&'static str>,
    /// `required: true` in `action.yml`: empty is an error.
    pub required: bool,
    /// The CLI flag standing in for `INPUT_<NAME>`, when the input has one.
    pub flag: Option<Flag>,
}

/// The CLI flag of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag {
    /// `--<long>`; the input's name unless the name would clash (`--version`).
    pub long: &'static str,
    /// One line of help; `--help` adds ` [input: <name>]`.
    pub help: &'static str,
}

impl InputSpec {
    /// An optional input without a default or a flag.
    pub const fn new(name: &'static str, description: &'static str) -> InputSpec {
        InputSpec {
            name,
            description,
            default: None,
            required: false,
            flag: None,
        }
    }

    /// The default an empty input takes.
    #[must_use]
    pub const fn default(mut self, value: &'static str) -> InputSpec {
        self.default = Some(value);
        self
    }

    /// Required: empty is an error.
    #[must_use]
    pub const fn required(mut self) -> InputSpec {
        self.required = true;
        self
    }

    /// A CLI flag `--<name>` with this help.
    #[must_use]
    pub const fn flag(self, help: &'static str) -> InputSpec {
        self.flag_named(self.name, help)
    }

    /// A CLI flag with another name than the input's (`--image-version` for `version`).
    #[must_use]
    pub const fn flag_named(mut self, long: &'static str, help: &'static str) -> InputSpec {
        self.flag = Some(Flag { long, help });
        self
    }
}

/// Options for [`Inputs::get_with`], mirroring @actions/core's `InputOptions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputOptions {
    /// Error when the input is unset or blank.
    pub required: bool,
    /// Trim leading and trailing whitespace (on by default, like the runner's own tools).
    pub trim: bool,
}

impl Default for InputOptions {
    fn default() -> Self {
        Self {
            required: false,
            trim: true,
        }
    }
}

/// Read access to the inputs of one step.
///
/// Values come from `INPUT_*` in the [`Env`], except where an override is given: a tool run as
/// a plain CLI passes its clap flags through [`Inputs::with_overrides`], so the same parsing
/// and validation applies to both.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    env: Env,
    /// Keyed by environment variable name, so `list files` and `list_files` meet like they do
    /// on the runner.
    overrides: BTreeMap<String, String>,
    /// The tool's input table ([`crate::spec`]): defaults for empty inputs, and the names that
    /// exist. Empty: any name, no defaults (tests and libraries that read bare `INPUT_*`).
    specs: Arc<[InputSpec]>,
}

impl Inputs {
    /// Inputs as set in `env`.
    #[must_use]
    pub fn from_env(env: &Env) -> Self {
        Self {
            env: env.clone(),
            overrides: BTreeMap::new(),
            specs: Arc::from([]),
        }
    }

    /// The tool's input table: an empty input takes its default, and reading a name the table
    /// lacks is a bug that fails the tool's tests (a debug assertion).
    #[must_use]
    pub fn with_specs(mut self, specs: impl IntoIterator<Item = InputSpec>) -> Self {
        self.specs = specs.into_iter().collect();
        self
    }

    /// The table's entry for `name`, if the inputs have a table.
    fn spec(&self, name: &str) -> Option<&InputSpec> {
        if self.specs.is_empty() {
            return None;
        }
        let spec = self.specs.iter().find(|s| s.name == name);
        debug_assert!(
            spec.is_some(),
            "input '{name}' is not in the tool's input table: a typo, or declare it there"
        );
        spec
    }

    /// Values that take precedence over `INPUT_*`, keyed by input name (e.g. from clap flags).
    #[must_use]
    pub fn with_overrides<I, K, V>(mut self, overrides: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<String>,
    {
        for (name, value) in overrides {
            self.overrides.insert(env_name(name.as_ref()), value.into());
        }
        self
    }

    /// One override, applied only when `value` is `Some` (an optional clap flag).
    #[must_use]
    pub fn with_override(mut self, name: &str, value: Option<impl Into<String>>) -> Self {
        if let Some(value) = value {
            self.overrides.insert(env_name(name), value.into());
        }
        self
    }

    /// The raw value, untrimmed; the table's default when unset or blank; else `None`.
    #[must_use]
    pub fn raw(&self, name: &str) -> Option<&str> {
        let var = env_name(name);
        let given = self
            .overrides
            .get(&var)
            .map(String::as_str)
            .or_else(|| self.env.get(&var));
        match (given, self.spec(name).and_then(|s| s.default)) {
            (Some(value), Some(default)) if value.trim().is_empty() => Some(default),
            (None, default) => default,
            (given, _) => given,
        }
    }

    /// The trimmed value as the user gave it, or `None` when unset or blank: never the
    /// table's default. For a deprecated input and its replacement, to tell which one was set.
    #[must_use]
    pub fn given(&self, name: &str) -> Option<String> {
        let _ = self.spec(name);
        let var = env_name(name);
        self.overrides
            .get(&var)
            .map(String::as_str)
            .or_else(|| self.env.get(&var))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }

    /// The trimmed value, or `None` when unset or blank.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<String> {
        self.raw(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }

    /// The trimmed value, or [`InputError::Missing`] when unset or blank.
    ///
    /// # Errors
    /// When the input is unset or blank.
    pub fn get_required(&self, name: &str) -> Result<String, InputError> {
        self.get(name).ok_or_else(|| InputError::missing(name))
    }

    /// A directory input (`working-directory`): `base` joined with the value, or `base` itself
    /// when the input is empty.
    ///
    /// # Errors
    /// [`InputError::NotADirectory`] when the joined path is not a directory.
    pub fn get_directory(&self, name: &str, base: &Path) -> Result<PathBuf, InputError> {
        let Some(dir) = self.get(name) else {
            return Ok(base.to_path_buf());
        };
        let path = base.join(&dir);
        if path.is_dir() {
            Ok(path)
        } else {
            Err(InputError::NotADirectory {
                name: name.to_owned(),
                value: dir,
            })
        }
    }

    /// The value with explicit [`InputOptions`]. An empty value is `None`; with `trim: false` a
    /// whitespace-only value is returned as is.
    ///
    /// # Errors
    /// When `options.required` and the input is unset or blank.
    pub fn get_with(
        &self,
        name: &str,
        options: InputOptions,
    ) -> Result<Option<String>, InputError> {
        let value = self
            .raw(name)
            .map(|v| if options.trim { v.trim() } else { v });
        let value = value.filter(|v| !v.is_empty()).map(str::to_owned);
        if options.required && value.as_deref().is_none_or(|v| v.trim().is_empty()) {
            return Err(InputError::missing(name));
        }
        Ok(value)
    }

    /// A boolean (YAML 1.2 core schema), or `None` when unset.
    ///
    /// # Errors
    /// When the value is not one of [`BOOLEAN_SPELLINGS`].
    pub fn get_bool(&self, name: &str) -> Result<Option<bool>, InputError> {
        self.get(name).map(|v| parse_bool(name, &v)).transpose()
    }

    /// A boolean with a default for when it is unset.
    ///
    /// # Errors
    /// When the value is not one of [`BOOLEAN_SPELLINGS`].
    pub fn get_bool_or(&self, name: &str, default: bool) -> Result<bool, InputError> {
        Ok(self.get_bool(name)?.unwrap_or(default))
    }

    /// A required boolean.
    ///
    /// # Errors
    /// When unset, or not one of [`BOOLEAN_SPELLINGS`].
    pub fn get_required_bool(&self, name: &str) -> Result<bool, InputError> {
        self.get_bool(name)?
            .ok_or_else(|| InputError::missing(name))
    }

    /// One entry per non-blank line, each trimmed (like @actions/core `getMultilineInput`).
    #[must_use]
    pub fn get_multiline(&self, name: &str) -> Vec<String> {
        split_clean(self.raw(name).unwrap_or_default(), &['\n'])
    }

    /// A list written either one per line or comma-separated (or both), each entry trimmed,
    /// blanks dropped. For inputs like `services: api, web`.
    #[must_use]
    pub fn get_list(&self, name: &str) -> Vec<String> {
        split_clean(self.raw(name).unwrap_or_default(), &['\n', ','])
    }

    /// One of a fixed set of spellings, each mapped to a value; `None` when unset.
    ///
    /// ```
    /// # use gantry_toolkit::{Env, Inputs};
    /// #[derive(Debug, Clone, Copy, PartialEq)]
    /// enum Format { Csv, Json }
    /// let inputs = Inputs::from_env(&Env::from_iter([("INPUT_FORMAT", "xml")]));
    /// let err = inputs.get_enum("format", &[("csv", Format::Csv), ("json", Format::Json)]).unwrap_err();
    /// assert_eq!(err.to_string(), "input 'format' has invalid value 'xml': expected one of csv, json");
    /// ```
    ///
    /// # Errors
    /// When the value is not one of the spellings (matched exactly, case-sensitive).
    pub fn get_enum<T: Clone>(
        &self,
        name: &str,
        choices: &[(&str, T)],
    ) -> Result<Option<T>, InputError> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        choices
            .iter()
            .find(|(spelling, _)| *spelling == value)
            .map(|(_, v)| Some(v.clone()))
            .ok_or_else(|| InputError::invalid(name, value, one_of(choices.iter().map(|c| c.0))))
    }

    /// One of a fixed set of spellings, for an input whose table entry has a default (so it is
    /// never empty): the default is written once, in the table.
    ///
    /// # Errors
    /// When the value is not one of the spellings, or the input is empty and has no default.
    pub fn get_choice<T: Clone>(&self, name: &str, choices: &[(&str, T)]) -> Result<T, InputError> {
        self.get_enum(name, choices)?
            .ok_or_else(|| InputError::missing(name))
    }

    /// A whole number in `range`, for an input whose table entry has a default (or that is
    /// required): `expected` says what is valid (`whole seconds from 1 to 3600`).
    ///
    /// # Errors
    /// When the value is not a number in `range`, or the input is empty and has no default.
    pub fn get_number(
        &self,
        name: &str,
        range: std::ops::RangeInclusive<u64>,
        expected: &str,
    ) -> Result<u64, InputError> {
        self.get_number_if_set(name, range, expected)?
            .ok_or_else(|| InputError::missing(name))
    }

    /// [`Inputs::get_number`] for an optional input: `None` when empty.
    ///
    /// # Errors
    /// When the value is not a number in `range`.
    pub fn get_number_if_set(
        &self,
        name: &str,
        range: std::ops::RangeInclusive<u64>,
        expected: &str,
    ) -> Result<Option<u64>, InputError> {
        let Some(raw) = self.get(name) else {
            return Ok(None);
        };
        match raw.parse::<u64>() {
            Ok(n) if range.contains(&n) => Ok(Some(n)),
            _ => Err(InputError::invalid(name, &raw, expected)),
        }
    }

    /// Parse the trimmed value with `parse`; `None` when unset. On failure the error names the
    /// input, the value, `expected` and the parser's own message.
    ///
    /// ```
    /// # use gantry_toolkit::{Env, Inputs};
    /// let inputs = Inputs::from_env(&Env::from_iter([("INPUT_TIMEOUT", "ten")]));
    /// let err = inputs.parse_with("timeout", "a whole number of seconds", |v| v.parse::<u64>()).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "input 'timeout' has invalid value 'ten': expected a whole number of seconds (invalid digit found in string)"
    /// );
    /// ```
    ///
    /// # Errors
    /// When `parse` fails.
    pub fn parse_with<T, E: Display>(
        &self,
        name: &str,
        expected: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<Option<T>, InputError> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        match parse(&value) {
            Ok(parsed) => Ok(Some(parsed)),
            Err(e) => Err(InputError::Invalid {
                name: name.to_owned(),
                value,
                expected: expected.to_owned(),
                detail: Some(e.to_string()).filter(|d| !d.is_empty()),
            }),
        }
    }
}

/// Parse a boolean input value (YAML 1.2 core schema).
///
/// # Errors
/// When `value` is not one of [`BOOLEAN_SPELLINGS`].
pub fn parse_bool(name: &str, value: &str) -> Result<bool, InputError> {
    match value {
        "true" | "True" | "TRUE" => Ok(true),
        "false" | "False" | "FALSE" => Ok(false),
        _ => Err(InputError::invalid(
            name,
            value,
            format!("one of {BOOLEAN_SPELLINGS}"),
        )),
    }
}

/// `one of a, b, c`, for [`InputError::Invalid::expected`].
#[must_use]
pub fn one_of<I>(choices: I) -> String
where
    I: IntoIterator,
    I::Item: Display,
{
    let list: Vec<String> = choices.into_iter().map(|c| c.to_string()).collect();
    format!("one of {}", list.join(", "))
}

fn split_clean(value: &str, separators: &[char]) -> Vec<String> {
    value
        .split(separators)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(pairs: &[(&str, &str)]) -> Inputs {
        Inputs::from_env(&pairs.iter().copied().collect())
    }

    #[test]
    fn directories_are_joined_to_the_base_and_must_exist() {
        let base = std::env::temp_dir();
        let sub = tempfile_dir(&base);
        let name = sub.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(
            inputs(&[])
                .get_directory("working-directory", &base)
                .unwrap(),
            base
        );
        let i = inputs(&[("INPUT_WORKING-DIRECTORY", &name)]);
        assert_eq!(i.get_directory("working-directory", &base).unwrap(), sub);
        let i = inputs(&[("INPUT_WORKING-DIRECTORY", "no/such/dir")]);
        let error = i.get_directory("working-directory", &base).unwrap_err();
        assert_eq!(error.name(), "working-directory");
        assert_eq!(
            error.to_string(),
            "input 'working-directory' is 'no/such/dir', which is not a directory: give a path inside the checkout"
        );
        let _ = std::fs::remove_dir(&sub);
    }

    fn tempfile_dir(base: &Path) -> PathBuf {
        let dir = base.join(format!("gantry-input-dir-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn env_names_keep_hyphens() {
        assert_eq!(env_name("list files"), "INPUT_LIST_FILES");
        assert_eq!(env_name("list-files"), "INPUT_LIST-FILES");
        assert_eq!(env_name("Token"), "INPUT_TOKEN");
        assert_eq!(env_name("a b-c_d"), "INPUT_A_B-C_D");
    }

    #[test]
    fn hyphenated_input_is_not_read_from_underscored_var() {
        let i = inputs(&[("INPUT_LIST_FILES", "csv")]);
        assert_eq!(i.get("list-files"), None);
        assert_eq!(i.get("list files").as_deref(), Some("csv"));
        assert_eq!(i.get("list_files").as_deref(), Some("csv"));
    }

    #[test]
    fn values_are_trimmed_unless_asked() {
        let i = inputs(&[("INPUT_NAME", "  value \n"), ("INPUT_BLANK", " \t ")]);
        assert_eq!(i.get("name").as_deref(), Some("value"));
        assert_eq!(i.raw("name"), Some("  value \n"));
        let untrimmed = InputOptions {
            trim: false,
            ..InputOptions::default()
        };
        assert_eq!(
            i.get_with("name", untrimmed).unwrap().as_deref(),
            Some("  value \n")
        );
        assert_eq!(i.get("blank"), None);
        assert_eq!(
            i.get_with("blank", untrimmed).unwrap().as_deref(),
            Some(" \t ")
        );
    }

    #[test]
    fn required_and_empty_is_an_error_naming_the_input() {
        let i = inputs(&[("INPUT_EMPTY", ""), ("INPUT_BLANK", "   ")]);
        for name in ["empty", "blank", "missing"] {
            let err = i.get_required(name).unwrap_err();
            assert_eq!(err.name(), name);
            assert!(
                err.to_string()
                    .contains(&format!("input '{name}' is required"))
            );
        }
        let required_untrimmed = InputOptions {
            required: true,
            trim: false,
        };
        assert!(i.get_with("blank", required_untrimmed).is_err());
        assert_eq!(
            i.get_required("missing").unwrap_err().to_string(),
            "input 'missing' is required but was not supplied: set it under `with:` in the \
             workflow step (or set INPUT_MISSING when running outside GitHub Actions)"
        );
    }

    #[test]
    fn every_valid_boolean_spelling() {
        for (value, expected) in [
            ("true", true),
            ("True", true),
            ("TRUE", true),
            ("false", false),
            ("False", false),
            ("FALSE", false),
            ("  true\n", true),
        ] {
            let i = inputs(&[("INPUT_FLAG", value)]);
            assert_eq!(i.get_bool("flag").unwrap(), Some(expected), "{value:?}");
        }
    }

    #[test]
    fn invalid_boolean_spellings_name_input_value_and_valid_values() {
        for value in ["yes", "on", "1", "tRue", "no", "off", "0", "y"] {
            let i = inputs(&[("INPUT_DRY-RUN", value)]);
            let err = i.get_bool("dry-run").unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "input 'dry-run' has invalid value '{value}': expected one of true, True, \
                     TRUE, false, False, FALSE"
                )
            );
        }
    }

    #[test]
    fn bool_defaults_and_required() {
        let i = inputs(&[("INPUT_EMPTY", "")]);
        assert_eq!(i.get_bool("empty").unwrap(), None);
        assert!(i.get_bool_or("empty", true).unwrap());
        assert!(!i.get_bool_or("missing", false).unwrap());
        assert!(matches!(
            i.get_required_bool("missing"),
            Err(InputError::Missing { .. })
        ));
    }

    #[test]
    fn multiline_trims_and_drops_blank_lines() {
        let i = inputs(&[("INPUT_FILES", "\n  a.txt \r\n\n b c \n\t\nd,e\n")]);
        assert_eq!(i.get_multiline("files"), vec!["a.txt", "b c", "d,e"]);
        assert_eq!(i.get_list("files"), vec!["a.txt", "b c", "d", "e"]);
        assert!(i.get_multiline("missing").is_empty());
    }

    #[test]
    fn list_accepts_commas_and_newlines() {
        let i = inputs(&[("INPUT_SERVICES", "api, web,,\n worker \n")]);
        assert_eq!(i.get_list("services"), vec!["api", "web", "worker"]);
    }

    #[test]
    fn enum_error_lists_choices() {
        let choices = [
            ("none", 0),
            ("csv", 1),
            ("json", 2),
            ("shell", 3),
            ("escape", 4),
        ];
        let i = inputs(&[("INPUT_LIST-FILES", "xml"), ("INPUT_OK", " json ")]);
        assert_eq!(
            i.get_enum("list-files", &choices).unwrap_err().to_string(),
            "input 'list-files' has invalid value 'xml': expected one of none, csv, json, shell, escape"
        );
        assert_eq!(i.get_enum("ok", &choices).unwrap(), Some(2));
        assert_eq!(i.get_enum("missing", &choices).unwrap(), None);
    }

    #[test]
    fn parse_with_reports_detail() {
        let i = inputs(&[("INPUT_N", "x"), ("INPUT_M", "7")]);
        let err = i
            .parse_with("n", "a number", |v| v.parse::<u8>())
            .unwrap_err();
        assert_eq!(
            err,
            InputError::Invalid {
                name: "n".into(),
                value: "x".into(),
                expected: "a number".into(),
                detail: Some("invalid digit found in string".into()),
            }
        );
        assert_eq!(
            i.parse_with("m", "a number", |v| v.parse::<u8>()).unwrap(),
            Some(7)
        );
        assert_eq!(
            i.parse_with("missing", "a number", |v| v.parse::<u8>())
                .unwrap(),
            None
        );
    }

    #[test]
    fn long_values_are_shortened_in_messages() {
        let long = "x".repeat(500);
        let err = InputError::invalid("f", long.clone(), "short");
        let shown = err.to_string();
        assert!(shown.len() < 300, "{shown}");
        assert!(shown.contains('…'));
        assert!(matches!(err, InputError::Invalid { value, .. } if value == long));
    }

    #[test]
    fn overrides_win_over_env() {
        let i = inputs(&[("INPUT_LIST-FILES", "csv"), ("INPUT_OTHER", "env")])
            .with_overrides([("list-files", "json")])
            .with_override("other", None::<String>)
            .with_override("new one", Some("x"));
        assert_eq!(i.get("list-files").as_deref(), Some("json"));
        assert_eq!(i.get("other").as_deref(), Some("env"));
        assert_eq!(i.get("new one").as_deref(), Some("x"));
    }
}

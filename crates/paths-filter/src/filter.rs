//! The `filters` input: a YAML mapping of filter names to rules, compiled once into a matcher
//! for all filters together (see [`crate::matching`] for evaluation).
//!
//! The syntax is dorny/paths-filter's, so a workflow can switch by changing only `uses:`:
//!
//! ```yaml
//! shared: &shared          # anchors and aliases work, nested lists are flattened
//!   - common/**
//! api:
//!   - *shared
//!   - services/api/**      # a glob (picomatch syntax with dotfiles matching)
//!   - added|modified:      # a mapping of `|`-separated change types to globs
//!       - openapi/**
//! docs: docs/**            # a single glob
//! ```
//!
//! Where dorny silently accepts nonsense, this module rejects it with an error that names the
//! filter, the value and what is valid: null or numeric rules, empty filters, unknown change
//! types (dorny's rule then never matches), invalid globs (picomatch then never matches).

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::change::ChangeStatus;

mod compile;

use compile::Builder;
pub(crate) use compile::{Compiled, GlobTarget, NameTest, ProgramEntry, TargetedGlobs};

/// What a rule may be, for error messages.
const EXPECTED_RULE: &str =
    "expected a glob string, a list of globs, or a mapping of change types to globs";
/// What a change-type mapping value may be, for error messages.
const EXPECTED_GLOBS: &str = "expected a glob string or a list of glob strings";

/// A bad `filters` input. Every variant names the filter (when there is one), the offending
/// value and what would be valid, because the user fixes it by reading this message alone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error("filters: invalid YAML: {message}")]
    Yaml { message: String },
    #[error("filters: the top level must be a mapping of filter names to rules, found {found}")]
    NotAMapping { found: String },
    #[error("filters: no filters are defined: expected a mapping of filter names to rules")]
    NoFilters,
    #[error("filters: filter #{index} has an empty name: every filter needs a name")]
    EmptyName { index: usize },
    #[error("filters: filter #{index} has {found} as its name: expected a string")]
    InvalidName { index: usize, found: String },
    #[error("filter '{filter}' has no rules: {EXPECTED_RULE}")]
    EmptyFilter { filter: String },
    #[error("filter '{filter}': {at} is {found}: {expected}")]
    InvalidRule {
        filter: String,
        at: String,
        found: String,
        expected: &'static str,
    },
    #[error(
        "filter '{filter}': {at}: unknown change type '{change_type}' in '{key}': valid change types are {valid}"
    )]
    UnknownChangeType {
        filter: String,
        at: String,
        key: String,
        change_type: String,
        valid: String,
    },
    #[error(
        "filter '{filter}': {at}: '{key}' names no change type: use one or more of {valid} joined by '|'"
    )]
    NoChangeType {
        filter: String,
        at: String,
        key: String,
        valid: String,
    },
    #[error("filter '{filter}': {at}: '{key}' has no globs: {EXPECTED_GLOBS}")]
    NoGlobs {
        filter: String,
        at: String,
        key: String,
    },
    #[error("filter '{filter}': {at}: invalid glob '{glob}': {reason}")]
    InvalidGlob {
        filter: String,
        at: String,
        glob: String,
        reason: String,
    },
}

/// How a `!pattern` rule combines with the others under the `some` quantifier.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NegationMode {
    /// dorny-compatible (the default): `!pat` is a rule of its own that matches every file
    /// NOT matching `pat`, ORed with the other rules. So `[src/**, '!**/*.md']` matches
    /// nearly every file — the behaviour dorny's users keep tripping on, kept for drop-in use.
    #[default]
    Or,
    /// Opt-in, like `.gitignore`: rules apply in order; a plain rule adds the files it
    /// matches, a `!pat` rule removes the files matched so far, a later plain rule can add
    /// them back. A filter with only `!` rules matches nothing.
    Exclude,
}

impl NegationMode {
    pub const VALID: &'static str = "or, exclude";

    pub fn as_str(self) -> &'static str {
        match self {
            NegationMode::Or => "or",
            NegationMode::Exclude => "exclude",
        }
    }
}

impl fmt::Display for NegationMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown negation mode; the message lists the valid ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid negation mode '{value}': valid values are {valid}", valid = NegationMode::VALID)]
pub struct ParseNegationModeError {
    pub value: String,
}

impl FromStr for NegationMode {
    type Err = ParseNegationModeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "or" => Ok(NegationMode::Or),
            "exclude" => Ok(NegationMode::Exclude),
            _ => Err(ParseNegationModeError {
                value: s.to_string(),
            }),
        }
    }
}

/// Options that change how filters are read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FilterOptions {
    pub negation: NegationMode,
}

/// A set of change types, as a bit mask over [`ChangeStatus::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StatusSet(u8);

impl StatusSet {
    fn bit(status: ChangeStatus) -> u8 {
        let index = ChangeStatus::ALL
            .iter()
            .position(|s| *s == status)
            .unwrap_or_default();
        1 << index
    }

    pub(crate) fn contains(self, status: ChangeStatus) -> bool {
        self.0 & Self::bit(status) != 0
    }
}

/// One pattern of a rule: an index into the compiled patterns, and whether it is `!`-negated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Item {
    pub(crate) pattern: u32,
    pub(crate) negated: bool,
}

/// One rule as dorny builds it: a glob string, or one change-type key with its globs (ORed).
#[derive(Debug, Clone)]
pub(crate) struct Rule {
    /// `None`: any change type.
    pub(crate) statuses: Option<StatusSet>,
    pub(crate) items: Vec<Item>,
}

#[derive(Debug, Clone)]
pub(crate) struct FilterDef {
    pub(crate) name: String,
    pub(crate) rules: Vec<Rule>,
    /// Any `!` pattern among the rules (such filters must look at every file).
    pub(crate) has_negation: bool,
}

/// Parsed and compiled filters, in definition order.
#[derive(Debug, Clone)]
pub struct FilterSet {
    pub(crate) filters: Vec<FilterDef>,
    pub(crate) options: FilterOptions,
    pub(crate) compiled: Compiled,
}

impl FilterSet {
    /// Parses the `filters` YAML and compiles every glob. Definition order is kept: it is
    /// the order of the `changes` output (dorny's JavaScript object puts numeric-looking
    /// names first; we do not).
    pub fn parse(yaml: &str, options: &FilterOptions) -> Result<FilterSet, FilterError> {
        let doc: Yaml = serde_saphyr::from_str(yaml).map_err(|e| FilterError::Yaml {
            message: e.to_string(),
        })?;
        let entries = match doc {
            Yaml::Map(entries) => entries,
            Yaml::Null => return Err(FilterError::NoFilters),
            other => {
                return Err(FilterError::NotAMapping {
                    found: other.describe(),
                });
            }
        };
        if entries.is_empty() {
            return Err(FilterError::NoFilters);
        }
        let mut builder = Builder::default();
        let mut filters = Vec::with_capacity(entries.len());
        for (index, (key, value)) in entries.into_iter().enumerate() {
            let name = match key.scalar_text() {
                Some(name) if name.is_empty() => {
                    return Err(FilterError::EmptyName { index: index + 1 });
                }
                Some(name) => name,
                None => {
                    return Err(FilterError::InvalidName {
                        index: index + 1,
                        found: key.describe(),
                    });
                }
            };
            if value == Yaml::Null {
                // `api:` with nothing after it.
                return Err(FilterError::EmptyFilter { filter: name });
            }
            let mut reader = RuleReader {
                filter: &name,
                builder: &mut builder,
                rules: vec![],
            };
            reader.item(value)?;
            let rules = reader.rules;
            if rules.is_empty() {
                return Err(FilterError::EmptyFilter { filter: name });
            }
            let has_negation = rules.iter().flat_map(|r| &r.items).any(|i| i.negated);
            filters.push(FilterDef {
                name,
                rules,
                has_negation,
            });
        }
        Ok(FilterSet {
            filters,
            options: *options,
            compiled: builder.finish()?,
        })
    }

    /// Filter names in definition order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.filters.iter().map(|f| f.name.as_str())
    }

    /// Number of filters.
    pub fn len(&self) -> usize {
        self.filters.len()
    }

    /// Never true for a parsed set (an empty `filters` input is an error); for completeness.
    pub fn is_empty(&self) -> bool {
        self.filters.is_empty()
    }

    /// The options the set was parsed with.
    pub fn options(&self) -> FilterOptions {
        self.options
    }
}

/// Walks one filter's YAML value into dorny's flat list of rules.
struct RuleReader<'a> {
    filter: &'a str,
    builder: &'a mut Builder,
    rules: Vec<Rule>,
}

impl RuleReader<'_> {
    fn at(&self) -> String {
        format!("rule {}", self.rules.len() + 1)
    }

    fn invalid(&self, at: String, found: &Yaml, expected: &'static str) -> FilterError {
        FilterError::InvalidRule {
            filter: self.filter.to_string(),
            at,
            found: found.describe(),
            expected,
        }
    }

    /// A rule value: a glob, a list (flattened at any depth, as YAML aliases nest lists), or
    /// a mapping of change types to globs.
    fn item(&mut self, value: Yaml) -> Result<(), FilterError> {
        match value {
            Yaml::Seq(items) => {
                for item in items {
                    self.item(item)?;
                }
                Ok(())
            }
            Yaml::Str(text) => {
                let at = self.at();
                let item = self.glob(&text, &at)?;
                self.rules.push(Rule {
                    statuses: None,
                    items: vec![item],
                });
                Ok(())
            }
            Yaml::Map(entries) => {
                for (key, globs) in entries {
                    self.status_rule(key, globs)?;
                }
                Ok(())
            }
            other => Err(self.invalid(self.at(), &other, EXPECTED_RULE)),
        }
    }

    fn status_rule(&mut self, key: Yaml, globs: Yaml) -> Result<(), FilterError> {
        let at = self.at();
        let Some(key) = key.scalar_text() else {
            return Err(self.invalid(at, &key, EXPECTED_RULE));
        };
        let mut mask = 0u8;
        // dorny splits on `|`, trims, drops empty names and lower-cases.
        for name in key.split('|').map(str::trim).filter(|n| !n.is_empty()) {
            let status = ChangeStatus::from_str(&name.to_lowercase()).map_err(|()| {
                FilterError::UnknownChangeType {
                    filter: self.filter.to_string(),
                    at: at.clone(),
                    key: key.clone(),
                    change_type: name.to_string(),
                    valid: ChangeStatus::valid_names(),
                }
            })?;
            mask |= StatusSet::bit(status);
        }
        if mask == 0 {
            return Err(FilterError::NoChangeType {
                filter: self.filter.to_string(),
                at,
                key,
                valid: ChangeStatus::valid_names(),
            });
        }
        let at = format!("{at} ('{key}')");
        let mut texts = vec![];
        self.glob_list(globs, &at, &mut texts)?;
        if texts.is_empty() {
            return Err(FilterError::NoGlobs {
                filter: self.filter.to_string(),
                at: self.at(),
                key,
            });
        }
        let mut items = vec![];
        for (n, text) in texts.iter().enumerate() {
            let where_ = if texts.len() == 1 {
                at.clone()
            } else {
                format!("{at} glob {}", n + 1)
            };
            items.push(self.glob(text, &where_)?);
        }
        self.rules.push(Rule {
            statuses: Some(StatusSet(mask)),
            items,
        });
        Ok(())
    }

    fn glob_list(&self, value: Yaml, at: &str, out: &mut Vec<String>) -> Result<(), FilterError> {
        match value {
            Yaml::Str(text) => {
                out.push(text);
                Ok(())
            }
            Yaml::Seq(items) => {
                for item in items {
                    self.glob_list(item, at, out)?;
                }
                Ok(())
            }
            other => Err(self.invalid(at.to_string(), &other, EXPECTED_GLOBS)),
        }
    }

    fn glob(&mut self, text: &str, at: &str) -> Result<Item, FilterError> {
        let parsed = gantry_glob::parse(text).map_err(|e| FilterError::InvalidGlob {
            filter: self.filter.to_string(),
            at: at.to_string(),
            glob: text.to_string(),
            reason: e.to_string(),
        })?;
        let pattern = self.builder.pattern(&parsed);
        if !parsed.negated {
            self.builder.literal(&parsed, pattern);
        }
        Ok(Item {
            pattern,
            negated: parsed.negated,
        })
    }
}

/// A YAML value with mapping order kept (serde-saphyr resolves anchors and aliases).
#[derive(Debug, Clone, PartialEq)]
enum Yaml {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Yaml>),
    Map(Vec<(Yaml, Yaml)>),
}

impl Yaml {
    /// How the value reads in an error message ("null", "the number 5", ...).
    fn describe(&self) -> String {
        match self {
            Yaml::Null => "null".to_string(),
            Yaml::Bool(b) => format!("the boolean {b}"),
            Yaml::Int(i) => format!("the number {i}"),
            Yaml::Float(f) => format!("the number {f}"),
            Yaml::Str(s) => format!("the string '{s}'"),
            Yaml::Seq(_) => "a list".to_string(),
            Yaml::Map(_) => "a mapping".to_string(),
        }
    }

    /// A mapping key as text: YAML (like js-yaml) allows scalar keys of any type.
    fn scalar_text(&self) -> Option<String> {
        match self {
            Yaml::Str(s) => Some(s.clone()),
            Yaml::Bool(b) => Some(b.to_string()),
            Yaml::Int(i) => Some(i.to_string()),
            Yaml::Float(f) => Some(f.to_string()),
            Yaml::Null => Some("null".to_string()),
            Yaml::Seq(_) | Yaml::Map(_) => None,
        }
    }
}

impl<'de> Deserialize<'de> for Yaml {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(YamlVisitor)
    }
}

struct YamlVisitor;

impl<'de> Visitor<'de> for YamlVisitor {
    type Value = Yaml;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Yaml, E> {
        Ok(Yaml::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Yaml, E> {
        Ok(Yaml::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Yaml, D::Error> {
        Yaml::deserialize(d)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Yaml, E> {
        Ok(Yaml::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Yaml, E> {
        Ok(Yaml::Int(i128::from(v)))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Yaml, E> {
        Ok(Yaml::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Yaml, E> {
        Ok(Yaml::Int(i128::from(v)))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Yaml, E> {
        Ok(i128::try_from(v).map_or(Yaml::Float(v as f64), Yaml::Int))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Yaml, E> {
        Ok(Yaml::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Yaml, E> {
        Ok(Yaml::Str(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Yaml, E> {
        Ok(Yaml::Str(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Yaml, A::Error> {
        let mut items = vec![];
        while let Some(item) = seq.next_element::<Yaml>()? {
            items.push(item);
        }
        Ok(Yaml::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Yaml, A::Error> {
        let mut entries = vec![];
        while let Some((k, v)) = map.next_entry::<Yaml, Yaml>()? {
            entries.push((k, v));
        }
        Ok(Yaml::Map(entries))
    }
}

//! Which bump a conventional commit asks for: the default rules and the user's `release-rules`.
//!
//! Defaults (Conventional Commits 1.0 + the usual `perf`/`revert`): a breaking change → major;
//! `feat` → minor; `fix`, `perf`, `revert` → patch; every other type → no release.
//!
//! User rules come from the `release-rules` input, a YAML or JSON list of
//! `{type, scope?, breaking?, release}`. The first user rule that matches a commit decides;
//! when none matches, the defaults do. Matching:
//! - `type` (required) and `scope` are exact or use `*` as a wildcard (`api-*`, `*`), ignoring
//!   letter case. A commit with a comma-separated scope (`feat(api,cli): …`) matches a rule when
//!   any of its scopes does. A rule with a scope never matches a commit without one.
//! - A rule matches breaking commits only when it says `breaking: true`, and non-breaking
//!   commits otherwise. So `{type: docs, release: patch}` cannot turn `docs!: …` into a patch:
//!   breaking changes stay major unless a rule says so explicitly (semantic-release's rule
//!   `{type: docs, release: patch}` does downgrade a breaking docs commit).
//! - `release` is `major`, `minor`, `patch` or `none` (`false` is accepted as `none`, as
//!   semantic-release's configurations write it).

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use crate::conventional::Conventional;

/// A version bump, ordered: `None < Patch < Minor < Major`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bump {
    #[default]
    None,
    Patch,
    Minor,
    Major,
}

impl Bump {
    /// `none`, `patch`, `minor`, `major` (the `bump` output's values).
    pub fn as_str(self) -> &'static str {
        match self {
            Bump::None => "none",
            Bump::Patch => "patch",
            Bump::Minor => "minor",
            Bump::Major => "major",
        }
    }
}

impl fmt::Display for Bump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The valid `release` values, for error messages.
pub const RELEASE_VALUES: &str = "major, minor, patch, none";
/// The valid keys of a rule, for error messages.
pub const RULE_KEYS: &str = "type, scope, breaking, release";

impl FromStr for Bump {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "major" => Ok(Bump::Major),
            "minor" => Ok(Bump::Minor),
            "patch" => Ok(Bump::Patch),
            "none" => Ok(Bump::None),
            _ => Err(format!(
                "`{s}` is not a release type; valid: {RELEASE_VALUES}"
            )),
        }
    }
}

/// An exact value or a pattern with `*` wildcards, compared ignoring ASCII case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern(String);

impl Pattern {
    pub fn new(pattern: &str) -> Self {
        Pattern(pattern.trim().to_ascii_lowercase())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn matches(&self, value: &str) -> bool {
        wildcard_match(self.0.as_bytes(), value.to_ascii_lowercase().as_bytes())
    }
}

/// `*` matches any run of characters (including none); everything else matches itself.
fn wildcard_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&b| b == b'*')
}

/// One user rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseRule {
    pub r#type: Pattern,
    pub scope: Option<Pattern>,
    /// `true`: matches breaking commits only; `false` (the default): non-breaking only.
    pub breaking: bool,
    pub release: Bump,
}

impl ReleaseRule {
    pub fn matches(&self, commit: &Conventional) -> bool {
        if self.breaking != commit.breaking || !self.r#type.matches(&commit.r#type) {
            return false;
        }
        match &self.scope {
            None => true,
            Some(p) => commit.scopes().any(|s| p.matches(s)),
        }
    }
}

/// Which rule decided a commit's bump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleSource {
    /// The user rule at this index (0-based) of `release-rules`.
    User(usize),
    /// The built-in defaults.
    Default,
}

/// User rules (first match wins) over the defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReleaseRules {
    pub user: Vec<ReleaseRule>,
}

impl ReleaseRules {
    /// The defaults only.
    pub fn defaults() -> Self {
        ReleaseRules::default()
    }

    /// Parses the `release-rules` input (YAML or JSON; empty means defaults only).
    pub fn parse(input: &str) -> Result<Self, RulesError> {
        if input.trim().is_empty() {
            return Ok(Self::defaults());
        }
        let doc: Value = serde_saphyr::from_str(input).map_err(|e| RulesError::Syntax {
            message: e.to_string(),
        })?;
        let items = match doc {
            Value::Null => return Ok(Self::defaults()),
            Value::Array(items) => items,
            other => {
                return Err(RulesError::NotAList {
                    found: kind_of(&other),
                });
            }
        };
        let user = items
            .iter()
            .enumerate()
            .map(|(index, item)| rule_from_value(index, item))
            .collect::<Result<_, _>>()?;
        Ok(ReleaseRules { user })
    }

    /// The bump for one commit.
    pub fn bump_for(&self, commit: &Conventional) -> Bump {
        self.decide(commit).0
    }

    /// The bump for one commit and which rule gave it.
    pub fn decide(&self, commit: &Conventional) -> (Bump, RuleSource) {
        if let Some((i, rule)) = self
            .user
            .iter()
            .enumerate()
            .find(|(_, r)| r.matches(commit))
        {
            return (rule.release, RuleSource::User(i));
        }
        (default_bump(commit), RuleSource::Default)
    }
}

/// The built-in rules.
pub fn default_bump(commit: &Conventional) -> Bump {
    if commit.breaking {
        return Bump::Major;
    }
    match commit.r#type.as_str() {
        "feat" => Bump::Minor,
        "fix" | "perf" | "revert" => Bump::Patch,
        _ => Bump::None,
    }
}

/// A bad `release-rules` input. Messages name the rule (1-based, as a person counts), the key,
/// and what is valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error("release-rules is not valid YAML or JSON: {message}")]
    Syntax { message: String },
    #[error(
        "release-rules must be a list of rules like `- {{type: docs, release: patch}}`, found {found}"
    )]
    NotAList { found: String },
    #[error("release-rules: rule {number} must be a mapping with keys {RULE_KEYS}, found {found}", number = index + 1)]
    NotAMapping { index: usize, found: String },
    #[error("release-rules: rule {number} has unknown key `{key}`; valid keys: {RULE_KEYS}", number = index + 1)]
    UnknownKey { index: usize, key: String },
    #[error("release-rules: rule {number} has no `{key}` (required keys: type, release)", number = index + 1)]
    MissingKey { index: usize, key: &'static str },
    #[error("release-rules: rule {number} has an empty `type` (use `*` to match every type)", number = index + 1)]
    EmptyType { index: usize },
    #[error("release-rules: rule {number} has an empty `scope` (leave the key out to match any scope)", number = index + 1)]
    EmptyScope { index: usize },
    #[error("release-rules: rule {number}: `release: {value}` is not valid; valid values: {RELEASE_VALUES}", number = index + 1)]
    InvalidRelease { index: usize, value: String },
    #[error("release-rules: rule {number}: `{key}` must be {expected}, found {found}", number = index + 1)]
    InvalidValue {
        index: usize,
        key: &'static str,
        expected: &'static str,
        found: String,
    },
}

fn kind_of(v: &Value) -> String {
    match v {
        Value::Null => "nothing".to_string(),
        Value::Bool(b) => format!("the boolean `{b}`"),
        Value::Number(n) => format!("the number `{n}`"),
        Value::String(s) => format!("the string `{s}`"),
        Value::Array(_) => "a list".to_string(),
        Value::Object(_) => "a mapping".to_string(),
    }
}

fn rule_from_value(index: usize, item: &Value) -> Result<ReleaseRule, RulesError> {
    let Value::Object(map) = item else {
        return Err(RulesError::NotAMapping {
            index,
            found: kind_of(item),
        });
    };
    if let Some(key) = map
        .keys()
        .find(|k| !["type", "scope", "breaking", "release"].contains(&k.as_str()))
    {
        return Err(RulesError::UnknownKey {
            index,
            key: key.clone(),
        });
    }
    let string = |key: &'static str| -> Result<Option<String>, RulesError> {
        match map.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
            // YAML reads `type: 1` as a number; a scope may well be numeric.
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(other) => Err(RulesError::InvalidValue {
                index,
                key,
                expected: "a string",
                found: kind_of(other),
            }),
        }
    };

    let r#type = string("type")?.ok_or(RulesError::MissingKey { index, key: "type" })?;
    if r#type.is_empty() {
        return Err(RulesError::EmptyType { index });
    }
    let scope = match string("scope")? {
        Some(s) if s.is_empty() => return Err(RulesError::EmptyScope { index }),
        other => other,
    };
    let breaking = match map.get("breaking") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(RulesError::InvalidValue {
                index,
                key: "breaking",
                expected: "true or false",
                found: kind_of(other),
            });
        }
    };
    let release = match map.get("release") {
        None => {
            return Err(RulesError::MissingKey {
                index,
                key: "release",
            });
        }
        Some(Value::Bool(false)) => Bump::None,
        Some(Value::String(s)) => s.parse().map_err(|_| RulesError::InvalidRelease {
            index,
            value: s.clone(),
        })?,
        Some(other) => {
            return Err(RulesError::InvalidRelease {
                index,
                value: other.to_string(),
            });
        }
    };
    Ok(ReleaseRule {
        r#type: Pattern::new(&r#type),
        scope: scope.as_deref().map(Pattern::new),
        breaking,
        release,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        let cases = [
            ("api-*", "api-v2", true),
            ("api-*", "api-", true),
            ("api-*", "web", false),
            ("*", "", true),
            ("a*b*c", "axxbyyc", true),
            ("a*b*c", "axxbyy", false),
            ("feat", "FEAT", true),
            ("*-core", "lib-core", true),
        ];
        for (p, t, want) in cases {
            assert_eq!(Pattern::new(p).matches(t), want, "{p} vs {t}");
        }
    }
}

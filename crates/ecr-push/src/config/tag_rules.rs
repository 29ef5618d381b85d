//! Inputs `tags`, `version`, `sha-length` and `semver-floating`: the tag rules and what they
//! need.

use gantry_toolkit::input::Inputs;
use semver::Version;

use super::{ConfigError, invalid_because};
use crate::tags::{RULE_SPELLINGS, TagOptions, TagRule};

/// The rules of input `tags`, and their options (input `version` among them).
pub(super) fn tag_rules(inputs: &Inputs) -> Result<(Vec<TagRule>, TagOptions), ConfigError> {
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
        version,
        semver_floating: inputs.get_required_bool("semver-floating")?,
        sha_length,
    };
    Ok((rules, options))
}

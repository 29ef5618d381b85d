//! `package.json` and `package-lock.json`, located with `jsonc-parser`'s AST ranges.
//!
//! jsonc-parser (dprint's) reports the byte range of every value; only the string's contents
//! inside its quotes are replaced, so indentation (spaces or tabs), key order, line endings and
//! the trailing newline stay as npm or a person wrote them. The parser runs in strict JSON mode:
//! npm reads these files with `JSON.parse`.

use jsonc_parser::ast::{Object, ObjectProp, Value};
use jsonc_parser::common::Ranged;
use jsonc_parser::{CollectOptions, ParseOptions, parse_to_ast};

use super::{Format, Found, Slot, Source, VersionFileError};

/// Plain JSON: everything that jsonc-parser allows beyond it is off.
fn strict() -> ParseOptions {
    ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    }
}

/// Every property named `name` of `object` (JSON allows duplicates; `JSON.parse` keeps the last,
/// so all of them are set).
fn props<'o, 'a>(
    object: &'o Object<'a>,
    name: &'o str,
) -> impl Iterator<Item = &'o ObjectProp<'a>> {
    object
        .properties
        .iter()
        .filter(move |p| p.name.as_str() == name)
}

fn slot(file: &Source, field: &str, value: &Value) -> Result<Slot, VersionFileError> {
    let range = value.range();
    let raw = range.start..range.end;
    match value {
        Value::StringLit(s) => file.string_slot(field, raw, (1, 1), &s.value, false),
        _ => Err(file.not_semver(field, raw)),
    }
}

/// The top-level `version`; for a lock file also `packages[""].version`. At least one must be
/// there.
pub(super) fn package_json(file: &Source, lock: bool) -> Result<Found, VersionFileError> {
    let format = if lock {
        Format::PackageLock
    } else {
        Format::PackageJson
    };
    let collect = CollectOptions::default();
    let parsed = parse_to_ast(file.text, &collect, &strict())
        .map_err(|e| file.syntax("JSON", e.line_display(), &e.kind().to_string()))?;
    let Some(Value::Object(root)) = parsed.value else {
        return Err(file.syntax("JSON", 1, "the top level is not an object"));
    };
    let mut found = Found::default();
    for prop in props(&root, "version") {
        found.slots.push(slot(file, "version", &prop.value)?);
    }
    if lock {
        let root_package = props(&root, "packages")
            .filter_map(|p| p.value.as_object())
            .flat_map(|packages| props(packages, ""))
            .filter_map(|p| p.value.as_object());
        for package in root_package {
            for prop in props(package, "version") {
                found
                    .slots
                    .push(slot(file, "packages[\"\"].version", &prop.value)?);
            }
        }
    }
    if found.slots.is_empty() {
        let hint = if lock {
            "npm writes it from package.json's `version`: set that and run `npm install \
             --package-lock-only`, or drop this file from the version files"
        } else {
            "add `\"version\": \"…\"` at the top level, or drop this file from the version files"
        };
        return Err(file.missing(format, "version", hint));
    }
    Ok(found)
}

//! Helm `Chart.yaml`, located with `granit-parser`'s event spans.
//!
//! granit-parser is the YAML event parser under serde-saphyr (already in the build); each event
//! comes with a span that has byte offsets (its `Marker::index` counts characters, so only
//! `byte_range` is used, which is right for non-ASCII files too). Only the scalar's text inside
//! its quotes is replaced: quoting, a `v` prefix, comments, anchors and aliases stay as written.
//! A version reached through an alias (`appVersion: *version`) is set at its anchor.

use std::collections::HashMap;
use std::ops::Range;

use granit_parser::{Event, Options, Parser, ScalarStyle, Span};

use super::{Format, Found, Slot, Source, VersionFileError};

const FORMAT: &str = "YAML";

/// A scalar as the parser reported it.
struct Scalar {
    raw: Range<usize>,
    style: ScalarStyle,
    value: String,
}

fn slot(file: &Source, field: &str, scalar: &Scalar) -> Result<Slot, VersionFileError> {
    let delimiters = match scalar.style {
        ScalarStyle::Plain => (0, 0),
        ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => (1, 1),
        _ => {
            return Err(file.unsupported(
                field,
                scalar.raw.clone(),
                "it is a block scalar (`|` or `>`); write it as a plain or quoted scalar",
            ));
        }
    };
    file.string_slot(field, scalar.raw.clone(), delimiters, &scalar.value, true)
}

fn bytes(file: &Source, span: &Span) -> Result<Range<usize>, VersionFileError> {
    span.byte_range().ok_or_else(|| {
        file.syntax(
            FORMAT,
            span.start.line(),
            "the YAML parser reported no byte offsets",
        )
    })
}

/// The top-level `version`, and `appVersion` when `app_version` is set and the chart has one.
/// Only the first document is read (a chart has one).
pub(super) fn helm_chart(file: &Source, app_version: bool) -> Result<Found, VersionFileError> {
    let mut found = Found::default();
    // Scalars that carry an anchor, by anchor id, for aliases used as a version.
    let mut anchored: HashMap<usize, Scalar> = HashMap::new();
    // Collection nesting: 1 inside the root mapping.
    let mut depth = 0usize;
    // At depth 1: whether the next node is a key; and the field whose value comes next.
    let mut expect_key = true;
    let mut pending: Option<&'static str> = None;
    let mut has_version = false;
    // The whole stream first: a syntax error anywhere is reported as such.
    // Comments are not needed; with comment events (granit-parser's `comments` feature, which
    // another crate of the build turns on), a run of more than 96 comment lines at some places
    // is refused as "too many buffered comments".
    let mut options = Options::default();
    options.set_emit_comments(false);
    let events = Parser::new_from_str_with_options(file.text, options)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file.syntax(FORMAT, e.marker().line(), &e.info()))?;
    // A collection given as a version: its field and where it starts.
    let mut collection: Option<(&'static str, usize)> = None;
    for (event, span) in events {
        match event {
            Event::DocumentEnd | Event::StreamEnd => break,
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                if depth == 0 && !matches!(event, Event::MappingStart(..)) {
                    return Err(file.syntax(
                        FORMAT,
                        span.start.line(),
                        "the top level is not a mapping",
                    ));
                }
                if depth == 1
                    && let Some(field) = pending.take()
                {
                    collection = Some((field, bytes(file, &span)?.start));
                }
                depth += 1;
            }
            Event::MappingEnd | Event::SequenceEnd => {
                depth = depth.saturating_sub(1);
                match depth {
                    0 => break,
                    1 => expect_key = !expect_key,
                    _ => {}
                }
                if let Some((field, start)) = collection.take_if(|_| depth == 1) {
                    return Err(file.not_semver(field, start..bytes(file, &span)?.end));
                }
            }
            Event::Scalar(value, style, anchor, _) => {
                let scalar = Scalar {
                    raw: bytes(file, &span)?,
                    style,
                    value: value.into_owned(),
                };
                if depth == 0 {
                    return Err(file.syntax(
                        FORMAT,
                        span.start.line(),
                        "the top level is not a mapping",
                    ));
                }
                if depth == 1 {
                    if expect_key {
                        pending = match scalar.value.as_str() {
                            "version" => Some("version"),
                            "appVersion" if app_version => Some("appVersion"),
                            _ => None,
                        };
                    } else if let Some(field) = pending.take() {
                        has_version |= field == "version";
                        found.slots.push(slot(file, field, &scalar)?);
                    }
                    expect_key = !expect_key;
                }
                if anchor != 0 {
                    anchored.insert(anchor, scalar);
                }
            }
            Event::Alias(id) if depth == 1 => {
                if let Some(field) = pending.take().filter(|_| !expect_key) {
                    has_version |= field == "version";
                    match anchored.get(&id) {
                        Some(scalar) => found.slots.push(slot(file, field, scalar)?),
                        None => return Err(file.not_semver(field, bytes(file, &span)?)),
                    }
                }
                expect_key = !expect_key;
            }
            _ => {}
        }
    }
    if !has_version {
        return Err(file.missing(
            Format::HelmChart { app_version },
            "version",
            "Helm requires a top-level `version: 1.2.3` in Chart.yaml; add it, or drop this \
             file from the version files",
        ));
    }
    Ok(found)
}

//! Plain `VERSION` files and `x-gantry-version` markers in any other file.
//!
//! A marked line has its first semantic-version-looking text replaced; between
//! `x-gantry-version-start` and `x-gantry-version-end` lines, every one. Versions are found by a
//! small scanner (`MAJOR.MINOR.PATCH`, then an optional `-prerelease` and `+build`), each
//! candidate checked with the `semver` crate.
//!
//! Text right after a version can be read as part of it, as semver's grammar allows:
//! `demo-1.2.3-linux.tar.gz` has the version `1.2.3-linux.tar.gz` (a prerelease), and
//! `1.2.3+build.5.tar.gz` has build metadata `build.5.tar.gz`. Mark lines where the version
//! stands apart (`--version 1.2.3`, `/v1.2.3/`, `demo-1.2.3.tar.gz`, `1.2.3-x86_64-…`).

use std::ops::Range;

use super::{Found, Slot, Source, VersionFileError};

/// The marker of a single line.
pub const MARKER: &str = "x-gantry-version";
/// The line that opens a block whose every version is set.
pub const BLOCK_START: &str = "x-gantry-version-start";
/// The line that closes the block.
pub const BLOCK_END: &str = "x-gantry-version-end";

/// The whole file is the version, `v`-prefixed or not; surrounding white space (the trailing
/// newline) is kept.
pub(super) fn plain(file: &Source) -> Result<Found, VersionFileError> {
    let text = file.text;
    let start = text.len() - text.trim_start().len();
    let end = text.trim_end().len().max(start);
    let field = "version";
    if start == end {
        return Err(file.not_semver(field, 0..text.len()));
    }
    Ok(Found {
        slots: vec![Slot {
            field: field.to_owned(),
            raw: start..end,
            text: start..end,
            allow_prefix: true,
        }],
        inherited: Vec::new(),
    })
}

/// The versions on marked lines and in marked blocks.
pub(super) fn marker(file: &Source) -> Result<Found, VersionFileError> {
    let mut found = Found::default();
    let mut marked = false;
    // The line and byte offset of an open block's start line.
    let mut block: Option<(usize, usize)> = None;
    let mut block_versions = 0usize;
    let mut offset = 0usize;
    for (index, line) in file.text.split_inclusive('\n').enumerate() {
        let number = index + 1;
        let line_start = offset;
        offset += line.len();
        let field = format!("line {number}");
        let push = |found: &mut Found, range: Range<usize>| {
            let range = line_start + range.start..line_start + range.end;
            found.slots.push(Slot {
                field: field.clone(),
                raw: range.clone(),
                text: range,
                allow_prefix: false,
            });
        };
        if line.contains(BLOCK_END) {
            if block.take().is_none() {
                return Err(unbalanced(file, number, BLOCK_END, BLOCK_START));
            }
            if block_versions == 0 {
                return Err(VersionFileError::MarkerWithoutVersion {
                    file: file.file(),
                    line: number,
                    marker: BLOCK_END,
                });
            }
            marked = true;
        } else if line.contains(BLOCK_START) {
            if let Some((open, _)) = block {
                return Err(unbalanced(file, open, BLOCK_START, BLOCK_END));
            }
            block = Some((number, line_start));
            block_versions = 0;
        } else if block.is_some() {
            for range in versions(line) {
                block_versions += 1;
                push(&mut found, range);
            }
        } else if line.contains(MARKER) {
            let Some(range) = versions(line).next() else {
                return Err(VersionFileError::MarkerWithoutVersion {
                    file: file.file(),
                    line: number,
                    marker: MARKER,
                });
            };
            push(&mut found, range);
            marked = true;
        }
    }
    if let Some((open, _)) = block {
        return Err(unbalanced(file, open, BLOCK_START, BLOCK_END));
    }
    if !marked {
        return Err(VersionFileError::NoMarker { file: file.file() });
    }
    Ok(found)
}

fn unbalanced(
    file: &Source,
    line: usize,
    marker: &'static str,
    expected: &'static str,
) -> VersionFileError {
    VersionFileError::UnbalancedBlock {
        file: file.file(),
        line,
        marker,
        expected,
        hint: "a block is an `x-gantry-version-start` line, the lines with versions, then an \
               `x-gantry-version-end` line; blocks do not nest",
    }
}

/// The byte ranges of the semantic versions in `text`, in order: `MAJOR.MINOR.PATCH` with an
/// optional `-prerelease` and `+build`, not inside a longer dotted number (`1.2.3.4`) or a
/// word (`abc1.2.3`). A `v` prefix (`v1.2.3`) is not part of the range, so it is kept.
pub fn versions(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let bytes = text.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        while at < bytes.len() {
            let start = at;
            if let Some(end) = candidate(bytes, start) {
                at = end;
                return Some(start..end);
            }
            at += 1;
            // After a number that is not a version, skip the rest of its run, so that
            // `1.2.3.4` gives nothing rather than `2.3.4`.
            if bytes[start].is_ascii_digit() {
                while at < bytes.len() && (bytes[at].is_ascii_alphanumeric() || bytes[at] == b'.') {
                    at += 1;
                }
            }
        }
        None
    })
}

/// A version that starts at `start`, its end if it is one.
fn candidate(bytes: &[u8], start: usize) -> Option<usize> {
    let before = start.checked_sub(1).and_then(|i| bytes.get(i)).copied();
    if !bytes.get(start)?.is_ascii_digit() {
        return None;
    }
    // `v1.2.3` and `V1.2.3` are versions with a prefix; `go1.2.3`, `x1.2.3`, `1_2.3.4` are not.
    if let Some(b) = before {
        let prefix = matches!(b, b'v' | b'V')
            && !start
                .checked_sub(2)
                .and_then(|i| bytes.get(i))
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_');
        if (b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_')) && !prefix {
            return None;
        }
    }
    let mut end = start;
    for part in 0..3 {
        if part > 0 {
            if bytes.get(end) != Some(&b'.') {
                return None;
            }
            end += 1;
        }
        let digits = bytes[end..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits == 0 {
            return None;
        }
        end += digits;
    }
    // `1.2.3.4`, `1.2.3_4` and `1.2.3x` are not versions; `1.2.3.tar.gz` has one.
    let next = bytes.get(end + 1);
    let dotted = bytes.get(end) == Some(&b'.') && next.is_some_and(u8::is_ascii_digit)
        || bytes.get(end) == Some(&b'_') && next.is_some_and(u8::is_ascii_alphanumeric);
    if dotted || bytes.get(end).is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    let core_end = end;
    for sigil in [b'-', b'+'] {
        if bytes.get(end) == Some(&sigil) {
            let ident = bytes[end + 1..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'))
                .count();
            // A trailing `.` or `-` ends a sentence or a name (`1.2.3-`), not the version.
            let trimmed = bytes[end + 1..end + 1 + ident]
                .iter()
                .rposition(u8::is_ascii_alphanumeric)
                .map_or(0, |i| i + 1);
            if trimmed > 0 {
                end += 1 + trimmed;
            }
        }
    }
    // Whatever the scanner took must be a version for `semver`, and not the start of a longer
    // word (`1.2.3-x86_64-linux` is 1.2.3 then `-x86_64-linux`); else the core alone.
    let text = std::str::from_utf8(&bytes[start..end]).ok()?;
    if bytes.get(end) != Some(&b'_') && semver::Version::parse(text).is_ok() {
        return Some(end);
    }
    let core = std::str::from_utf8(&bytes[start..core_end]).ok()?;
    semver::Version::parse(core).ok().map(|_| core_end)
}

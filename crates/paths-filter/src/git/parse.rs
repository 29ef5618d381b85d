//! git's `-z` output read into changes: `--name-status` (renames and copies with both paths)
//! and plain path lists, byte for byte, with paths that are not UTF-8 counted.

use super::*;

/// What [`Git::diff_from_merge_base`] found: the merge-base and the changes since it.
pub(super) type QuickDiff = Option<(String, Parsed)>;

/// Changes read from git, and how many paths were not UTF-8.
#[derive(Debug, Default)]
pub(super) struct Parsed {
    pub(super) changes: Vec<Change>,
    pub(super) lossy: usize,
    /// The order `git diff --no-renames` would list the paths in (for a diff; the changes
    /// added after it, such as untracked files, come after).
    pub(super) listing: Listing,
}

pub(super) fn path_string(bytes: &[u8]) -> (String, bool) {
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_owned(), false),
        Err(_) => (String::from_utf8_lossy(bytes).into_owned(), true),
    }
}

/// NUL-separated paths (`ls-tree -z --name-only`, `ls-files -z`), each as a change `status`.
pub(super) fn paths_as(reader: &mut impl BufRead, status: ChangeStatus) -> Result<Parsed, String> {
    let mut parsed = Parsed::default();
    let mut field = Vec::with_capacity(256);
    while next_field(reader, &mut field)? {
        if field.is_empty() {
            continue;
        }
        let (path, lossy) = path_string(&field);
        parsed.lossy += usize::from(lossy);
        parsed.changes.push(Change::new(path, status));
    }
    Ok(parsed)
}

/// Read `git diff --name-status -z` output: `<status>\0<path>\0`, or for renames and copies
/// `R<score>\0<old>\0<new>\0`. Paths may contain any byte but NUL (newlines included); bytes
/// that are not UTF-8 are replaced with U+FFFD.
///
/// # Errors
/// An unknown status letter or a truncated record.
pub fn parse_name_status(mut output: &[u8]) -> Result<Vec<Change>, GitError> {
    parse(&mut output).map(|p| p.changes).map_err(|detail| {
        GitError::Repo(RepoError::Parse {
            args: "diff --name-status -z".to_owned(),
            detail,
        })
    })
}

/// [`parse_name_status`] over a reader, record by record.
pub(super) fn parse(reader: &mut impl BufRead) -> Result<Parsed, String> {
    let mut parsed = Parsed::default();
    let mut status = Vec::with_capacity(8);
    let mut field = Vec::with_capacity(256);
    while next_field(reader, &mut status)? {
        let Some(&letter) = status.first() else {
            // The terminator after the last record; anything after it is an error.
            while next_field(reader, &mut field)? {
                if !field.is_empty() {
                    return Err("an empty status in the middle of the output".to_owned());
                }
            }
            break;
        };
        let mut next_path = |lossy_count: &mut usize| -> Result<String, String> {
            if next_field(reader, &mut field)? && !field.is_empty() {
                let (path, lossy) = path_string(&field);
                *lossy_count += usize::from(lossy);
                Ok(path)
            } else {
                Err(format!(
                    "status {:?} is not followed by a path",
                    String::from_utf8_lossy(&status)
                ))
            }
        };
        let lossy = &mut parsed.lossy;
        let change = match letter {
            b'A' => Change::new(next_path(lossy)?, ChangeStatus::Added),
            b'D' => Change::new(next_path(lossy)?, ChangeStatus::Deleted),
            b'M' => Change::new(next_path(lossy)?, ChangeStatus::Modified),
            b'T' => Change::new(next_path(lossy)?, ChangeStatus::TypeChange),
            b'U' => Change::new(next_path(lossy)?, ChangeStatus::Unmerged),
            b'R' | b'C' => {
                let from = next_path(lossy)?;
                let to = next_path(lossy)?;
                let mut change = Change::renamed(from, to);
                if letter == b'C' {
                    change.status = ChangeStatus::Copied;
                }
                change
            }
            _ => {
                return Err(format!(
                    "unknown status {:?}",
                    String::from_utf8_lossy(&status)
                ));
            }
        };
        parsed.changes.push(change);
    }
    parsed.listing = Listing::git_no_renames(&parsed.changes);
    Ok(parsed)
}

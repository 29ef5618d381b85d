//! git's `-z` output read into changes: `--name-status` (renames and copies with both paths)
//! and plain path lists, byte for byte, with paths that are not UTF-8 counted.
//!
//! Speed: a field is read where it lies in the reader's buffer (only one cut by the end of the
//! buffer is copied), and each path is copied once, into its `String`.

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

/// The NUL-terminated fields of `-z` output, each handed out as a slice of the reader's
/// buffer when it lies there whole (else of a copy).
struct Fields<'r, R> {
    reader: &'r mut R,
    /// A field cut by the end of the buffer, gathered here.
    carry: Vec<u8>,
}

impl<'r, R: BufRead> Fields<'r, R> {
    fn new(reader: &'r mut R) -> Self {
        Fields {
            reader,
            carry: Vec::new(),
        }
    }

    /// `read(field)` for the next field (without its NUL); `None` at the end of the output.
    /// The last field may lack its NUL.
    fn next<T>(&mut self, read: impl FnOnce(&[u8]) -> T) -> Result<Option<T>, String> {
        self.carry.clear();
        loop {
            let buf = match self.reader.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(format!("cannot read the output: {e}")),
            };
            if buf.is_empty() {
                return Ok((!self.carry.is_empty()).then(|| read(&self.carry)));
            }
            match find_nul(buf) {
                Some(end) => {
                    let value = if self.carry.is_empty() {
                        read(&buf[..end])
                    } else {
                        self.carry.extend_from_slice(&buf[..end]);
                        read(&self.carry)
                    };
                    self.reader.consume(end + 1);
                    return Ok(Some(value));
                }
                None => {
                    let len = buf.len();
                    self.carry.extend_from_slice(buf);
                    self.reader.consume(len);
                }
            }
        }
    }
}

/// The first NUL in `bytes`, eight bytes at a time.
fn find_nul(bytes: &[u8]) -> Option<usize> {
    const LOW: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for word in &mut words {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(word);
        let v = u64::from_le_bytes(eight);
        // A zero byte sets its high bit here (bytes above it may too; the lowest is exact).
        let zero = v.wrapping_sub(LOW) & !v & HIGH;
        if zero != 0 {
            return Some(at + (zero.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| b == 0)
        .map(|i| at + i)
}

/// NUL-separated paths (`ls-tree -z --name-only`, `ls-files -z`), each as a change `status`.
pub(super) fn paths_as(reader: &mut impl BufRead, status: ChangeStatus) -> Result<Parsed, String> {
    let mut parsed = Parsed::default();
    let mut fields = Fields::new(reader);
    while let Some(path) = fields.next(|field| (!field.is_empty()).then(|| path_string(field)))? {
        if let Some((path, lossy)) = path {
            parsed.lossy += usize::from(lossy);
            parsed.changes.push(Change::new(path, status));
        }
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

/// What a status field says: one path of this status, two (renames and copies), the empty
/// field that ends the output, or something else.
enum Status {
    One(ChangeStatus),
    Two(ChangeStatus),
    End,
    Unknown(String),
}

fn status_of(field: &[u8]) -> Status {
    match field.first() {
        None => Status::End,
        Some(b'A') => Status::One(ChangeStatus::Added),
        Some(b'D') => Status::One(ChangeStatus::Deleted),
        Some(b'M') => Status::One(ChangeStatus::Modified),
        Some(b'T') => Status::One(ChangeStatus::TypeChange),
        Some(b'U') => Status::One(ChangeStatus::Unmerged),
        Some(b'R') => Status::Two(ChangeStatus::Renamed),
        Some(b'C') => Status::Two(ChangeStatus::Copied),
        Some(_) => Status::Unknown(String::from_utf8_lossy(field).into_owned()),
    }
}

/// [`parse_name_status`] over a reader, record by record.
pub(super) fn parse(reader: &mut impl BufRead) -> Result<Parsed, String> {
    let mut parsed = Parsed::default();
    let mut fields = Fields::new(reader);
    // The status field, kept for a message about its record.
    let mut letters = Vec::with_capacity(8);
    while let Some(status) = fields.next(|field| {
        letters.clear();
        letters.extend_from_slice(field);
        status_of(field)
    })? {
        let mut next_path = |lossy_count: &mut usize| -> Result<String, String> {
            match fields.next(|field| (!field.is_empty()).then(|| path_string(field)))? {
                Some(Some((path, lossy))) => {
                    *lossy_count += usize::from(lossy);
                    Ok(path)
                }
                _ => Err(format!(
                    "status {:?} is not followed by a path",
                    String::from_utf8_lossy(&letters)
                )),
            }
        };
        let lossy = &mut parsed.lossy;
        let change = match status {
            Status::One(status) => Change::new(next_path(lossy)?, status),
            Status::Two(status) => {
                let from = next_path(lossy)?;
                let to = next_path(lossy)?;
                let mut change = Change::renamed(from, to);
                change.status = status;
                change
            }
            Status::End => {
                // The terminator after the last record; anything after it is an error.
                while let Some(empty) = fields.next(<[u8]>::is_empty)? {
                    if !empty {
                        return Err("an empty status in the middle of the output".to_owned());
                    }
                }
                break;
            }
            Status::Unknown(status) => return Err(format!("unknown status {status:?}")),
        };
        parsed.changes.push(change);
    }
    parsed.listing = Listing::git_no_renames(&parsed.changes);
    Ok(parsed)
}

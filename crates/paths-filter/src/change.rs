//! A changed file and how it changed: the one type shared by the sources of changes (git, the
//! GitHub API) and the filters.

use std::fmt;
use std::str::FromStr;

/// How a file changed. The names are dorny/paths-filter's (and the GitHub API's) plus
/// `typechange` (`git diff` status `T`: a file became a symlink or the reverse).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChangeStatus {
    Added,
    Copied,
    Deleted,
    Modified,
    Renamed,
    TypeChange,
    Unmerged,
}

impl ChangeStatus {
    pub const ALL: [ChangeStatus; 7] = [
        ChangeStatus::Added,
        ChangeStatus::Copied,
        ChangeStatus::Deleted,
        ChangeStatus::Modified,
        ChangeStatus::Renamed,
        ChangeStatus::TypeChange,
        ChangeStatus::Unmerged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeStatus::Added => "added",
            ChangeStatus::Copied => "copied",
            ChangeStatus::Deleted => "deleted",
            ChangeStatus::Modified => "modified",
            ChangeStatus::Renamed => "renamed",
            ChangeStatus::TypeChange => "typechange",
            ChangeStatus::Unmerged => "unmerged",
        }
    }

    /// The valid names, for error messages.
    pub fn valid_names() -> String {
        ChangeStatus::ALL.map(ChangeStatus::as_str).join(", ")
    }
}

impl fmt::Display for ChangeStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ChangeStatus {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ChangeStatus::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or(())
    }
}

/// One changed file. For a rename or copy, `path` is the new path and `previous_path` the old.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Change {
    pub path: String,
    pub status: ChangeStatus,
    pub previous_path: Option<String>,
}

impl Change {
    pub fn new(path: impl Into<String>, status: ChangeStatus) -> Self {
        Change {
            path: path.into(),
            status,
            previous_path: None,
        }
    }

    pub fn renamed(from: impl Into<String>, to: impl Into<String>) -> Self {
        Change {
            path: to.into(),
            status: ChangeStatus::Renamed,
            previous_path: Some(from.into()),
        }
    }
}

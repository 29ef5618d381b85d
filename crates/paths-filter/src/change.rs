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
/// A rename is one change with two paths: [`Side::New`] and [`Side::Old`].
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

/// Which path of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// `Change::path` (for renames and copies, the new path).
    New,
    /// `Change::previous_path` of a rename, seen as deleted.
    Old,
}

/// The order in which a source lists the paths of its changes, when that is not the order of
/// the changes themselves (each change's path, then the old path of a rename).
///
/// dorny/paths-filter lists what `git diff --no-renames` prints: git's path order, with a
/// rename as two entries, the deleted old path where it sorts and the added new path where it
/// sorts. We run git with rename detection (for the `renamed` change type and
/// `previous_path`), where git prints the rename once, where the new path sorts, and the
/// rest in the same order as without it; [`Listing::git_no_renames`] puts the old paths back
/// where `--no-renames` would print them. The GitHub API lists a rename as the new path
/// directly followed by the old one, as dorny does: the default, change order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    /// `ranks[2 * change + side]`: the place of that path in the list, for the first
    /// `ranks.len() / 2` changes; the changes after those are listed after them, in order.
    /// Empty: change order.
    ranks: Vec<u32>,
}

impl Listing {
    /// The order of `git diff --no-renames` for `changes` as `git diff -M` listed them: paths
    /// in git's order (byte order of the whole path, which is the order of git's trees and
    /// index), each old path of a rename in its place among them. The default (change order)
    /// when there is no rename, or when the new paths are not in byte order (a
    /// `diff.orderFile` setting reorders git's output; where the old paths go is then unknown,
    /// and a rename stays listed as new path, then old path).
    #[must_use]
    pub fn git_no_renames(changes: &[Change]) -> Listing {
        let mut olds: Vec<(&str, usize)> = changes
            .iter()
            .enumerate()
            .filter_map(|(i, c)| match (c.status, &c.previous_path) {
                (ChangeStatus::Renamed, Some(old)) => Some((old.as_str(), i)),
                _ => None,
            })
            .collect();
        if olds.is_empty() {
            return Listing::default();
        }
        let sorted = changes
            .windows(2)
            .all(|w| w[0].path.as_bytes() <= w[1].path.as_bytes());
        if !sorted {
            return Listing::default();
        }
        olds.sort_unstable();
        // Merge the old paths into the new ones, both in byte order. (A path cannot be both:
        // with rename detection only a deleted path becomes an old path.)
        let mut ranks = vec![u32::MAX; 2 * changes.len()];
        let mut next = 0u32;
        let mut olds = olds.into_iter().peekable();
        for (i, change) in changes.iter().enumerate() {
            while let Some(&(old, at)) = olds.peek() {
                if old.as_bytes() >= change.path.as_bytes() {
                    break;
                }
                ranks[2 * at + 1] = next;
                next += 1;
                olds.next();
            }
            ranks[2 * i] = next;
            next += 1;
        }
        for (_, at) in olds {
            ranks[2 * at + 1] = next;
            next += 1;
        }
        Listing { ranks }
    }

    /// True when the list is in change order (nothing to reorder).
    #[must_use]
    pub fn is_change_order(&self) -> bool {
        self.ranks.is_empty()
    }

    /// The place of a change's path in the list, for sorting: smaller comes first.
    #[must_use]
    pub fn rank(&self, change: usize, side: Side) -> usize {
        let slot = 2 * change + usize::from(side == Side::Old);
        match self.ranks.get(slot) {
            Some(&rank) => rank as usize,
            None => slot,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every (change, side) of `changes` that exists, in `listing` order, as paths.
    fn listed<'a>(listing: &Listing, changes: &'a [Change]) -> Vec<&'a str> {
        let mut entries: Vec<(usize, &str)> = Vec::new();
        for (i, c) in changes.iter().enumerate() {
            entries.push((listing.rank(i, Side::New), &c.path));
            if c.status == ChangeStatus::Renamed
                && let Some(old) = &c.previous_path
            {
                entries.push((listing.rank(i, Side::Old), old));
            }
        }
        entries.sort_unstable();
        entries.into_iter().map(|(_, p)| p).collect()
    }

    #[test]
    fn old_paths_of_renames_go_where_git_no_renames_lists_them() {
        // As `git diff -M` lists them: the renames where the new path sorts.
        let changes = [
            Change::new("a.txt", ChangeStatus::Modified),
            Change::renamed("z/old.rs", "b/new.rs"),
            Change::new("c", ChangeStatus::Added),
            Change::renamed("a.txt.orig", "d/moved"),
            Change::renamed("lib/x", "lib/x-y"),
            Change::new("lib/x.z", ChangeStatus::Deleted),
        ];
        let listing = Listing::git_no_renames(&changes);
        assert!(!listing.is_change_order());
        assert_eq!(
            listed(&listing, &changes),
            [
                "a.txt",
                "a.txt.orig",
                "b/new.rs",
                "c",
                "d/moved",
                "lib/x",
                "lib/x-y",
                "lib/x.z",
                "z/old.rs"
            ]
        );
    }

    #[test]
    fn without_renames_or_out_of_path_order_the_changes_give_the_order() {
        let plain = [
            Change::new("b", ChangeStatus::Added),
            Change::new("a", ChangeStatus::Deleted),
        ];
        assert!(Listing::git_no_renames(&plain).is_change_order());
        // A copy keeps its source: it is one path.
        let copy = [Change {
            path: "b".into(),
            status: ChangeStatus::Copied,
            previous_path: Some("a".into()),
        }];
        assert!(Listing::git_no_renames(&copy).is_change_order());
        // diff.orderFile put `b` first: the rename stays new path, then old path.
        let ordered = [
            Change::renamed("z", "b"),
            Change::new("a", ChangeStatus::Added),
        ];
        let listing = Listing::git_no_renames(&ordered);
        assert!(listing.is_change_order());
        assert_eq!(listed(&listing, &ordered), ["b", "z", "a"]);
    }

    #[test]
    fn changes_past_the_listing_come_after_it_in_order() {
        let changes = [
            Change::renamed("b", "a"),
            Change::new("c", ChangeStatus::Added),
        ];
        let listing = Listing::git_no_renames(&changes);
        // Untracked files appended after the diff (base: HEAD) are not part of git's list.
        let mut more = changes.to_vec();
        more.push(Change::new("0-untracked", ChangeStatus::Added));
        assert_eq!(listed(&listing, &more), ["a", "b", "c", "0-untracked"]);
    }
}

//! Which changed files each filter matches: a pure function of the compiled
//! [`FilterSet`](crate::filter::FilterSet) and the list of changes.
//!
//! Speed: the patterns of all filters are compiled together, so each path is matched once, not
//! once per filter. Most globs hang off their literal directory (`services/api/**`,
//! `docs/*.md`; see [`crate::filter`]), and globs that need more are cut at their last `/`
//! where they can be (`apps/*/config/*.json`): what applies to the files of a directory is
//! gathered once per directory (its plan: the patterns all its files match, the file name
//! tests, the few whole-path tests), and as git lists paths in order, consecutive paths share
//! it. Filters made only of positive rules (the usual case) are then updated from the matched
//! pattern ids alone; filters that need more (a `!` rule, or the `every` quantifier) are
//! evaluated in full, but once per signature (the patterns a change's paths match, and its
//! change type), which the files of a directory or of an extension share: dorny's
//! `[dir/**, '!**/*.md']` costs a lookup per file, not an evaluation; and a directory
//! remembers the signatures of its files by what their tests hit, so most files cost their
//! file name tests and no more. Large lists are split over a few threads, and each filter's
//! list is then made in one allocation, in input order ([`FilterSlots`]: four bytes a file).
//!
//! Change types (see [`Side`]): a rule that names a change type sees each change as follows.
//! - `renamed` (with its previous path): a rule asking for `renamed` sees one renamed file and
//!   matches if its globs match the new OR the old path (moving a file into or out of a
//!   directory both concern it); it is reported under the new path. Every other rule — plain
//!   globs included — sees the rename as `deleted` of the old path plus `added` of the new
//!   path, so `deleted: src/**` sees a file leaving `src/`, and a plain `src/**` reports the
//!   old path. This is what dorny does (it runs `git diff --no-renames`), so counts agree.
//! - `copied`: a rule asking for `copied` sees it (new path only: the source did not change);
//!   other rules see `added` of the new path.
//! - `typechange` (file ↔ symlink): a rule asking for `typechange` sees it; other rules see
//!   `modified` (dorny has no such status and its status-tagged rules never match these).
//! - Plain globs (no change type) match any status.

use std::fmt;
use std::str::FromStr;

/// Which path of a change matched.
pub use crate::change::Side;
use crate::change::{Change, ChangeStatus, Listing};

mod evaluate;
mod paths;

/// How a filter's rules combine for one file (dorny's `predicate-quantifier` input).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PredicateQuantifier {
    /// A file matches if at least one rule matches it (dorny's default).
    #[default]
    Some,
    /// A file matches only if every rule matches it, change type included (so `!` rules
    /// subtract: `[src/**, '!**/*.md']`).
    Every,
    /// dorny v4.0.3: a file matches if a positive pattern matches it and no `!` pattern of a
    /// rule whose change type applies matches it; an exclusion is final, whatever the order.
    SomeWithExcludes,
}

impl PredicateQuantifier {
    pub const VALID: &'static str = "some, every, some-with-excludes";

    pub fn as_str(self) -> &'static str {
        match self {
            PredicateQuantifier::Some => "some",
            PredicateQuantifier::Every => "every",
            PredicateQuantifier::SomeWithExcludes => "some-with-excludes",
        }
    }
}

impl fmt::Display for PredicateQuantifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown quantifier; the message lists the valid ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid predicate quantifier '{value}': valid values are {valid}",
    valid = PredicateQuantifier::VALID
)]
pub struct ParsePredicateQuantifierError {
    pub value: String,
}

impl FromStr for PredicateQuantifier {
    type Err = ParsePredicateQuantifierError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "some" => Ok(PredicateQuantifier::Some),
            "every" => Ok(PredicateQuantifier::Every),
            "some-with-excludes" => Ok(PredicateQuantifier::SomeWithExcludes),
            _ => Err(ParsePredicateQuantifierError {
                value: s.to_string(),
            }),
        }
    }
}

/// One matching file of a filter: an index into the evaluated changes and which of its paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileMatch {
    pub change: usize,
    pub side: Side,
}

impl FileMatch {
    /// The matching path (`None` only for an index that is not in `changes`).
    pub fn path<'a>(&self, changes: &'a [Change]) -> Option<&'a str> {
        let change = changes.get(self.change)?;
        match self.side {
            Side::New => Some(change.path.as_str()),
            Side::Old => change.previous_path.as_deref(),
        }
    }

    /// The status this file has for the filter's outputs: the old side of a rename is
    /// `deleted`; otherwise the change's own status.
    pub fn status(&self, changes: &[Change]) -> Option<ChangeStatus> {
        let change = changes.get(self.change)?;
        Some(match self.side {
            Side::Old => ChangeStatus::Deleted,
            Side::New => change.status,
        })
    }
}

/// The files one filter matched, in input order (for one change: new path, then old path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterResult {
    pub name: String,
    pub files: Vec<FileMatch>,
}

impl FilterResult {
    /// The filter's `true`/`false` output.
    pub fn matched(&self) -> bool {
        !self.files.is_empty()
    }

    /// The filter's `_count` output.
    pub fn count(&self) -> usize {
        self.files.len()
    }

    /// The matching paths, for the `_files` output.
    pub fn paths<'a>(&self, changes: &'a [Change]) -> Vec<&'a str> {
        self.files.iter().filter_map(|f| f.path(changes)).collect()
    }

    /// Puts the files in the order the source listed them (see [`Listing`]); evaluation
    /// gives them in change order.
    pub fn sort_by_listing(&mut self, listing: &Listing) {
        if !listing.is_change_order() {
            self.files
                .sort_unstable_by_key(|m| listing.rank(m.change, m.side));
        }
    }
}

/// The files one filter matched, in input order, each as a slot: `2 * change` for the new
/// path of the change at that index, `2 * change + 1` for its old path (see
/// [`FilterSet::evaluate_slots`](crate::filter::FilterSet::evaluate_slots)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterSlots {
    pub name: String,
    pub slots: Vec<u32>,
}

impl FilterSlots {
    /// [`FilterResult::sort_by_listing`] for slots.
    pub fn sort_by_listing(&mut self, listing: &Listing) {
        if !listing.is_change_order() {
            self.slots.sort_unstable_by_key(|&slot| {
                let side = if slot.is_multiple_of(2) {
                    Side::New
                } else {
                    Side::Old
                };
                listing.rank(slot as usize / 2, side)
            });
        }
    }
}

/// A synthetic monorepo workload for benchmarks: `changes` modified files spread over
/// `filters` services (`services/svc{i % filters}/src/file{i}.rs`) and one filter per service
/// (`svc{j}: services/svc{j}/**`). Returns the filters YAML and the changes.
pub fn synthetic_workload(changes: usize, filters: usize) -> (String, Vec<Change>) {
    let filters = filters.max(1);
    let mut yaml = String::with_capacity(filters * 32);
    for j in 0..filters {
        yaml.push_str(&format!("svc{j}: services/svc{j}/**\n"));
    }
    let list = (0..changes)
        .map(|i| {
            Change::new(
                format!("services/svc{}/src/file{i}.rs", i % filters),
                ChangeStatus::Modified,
            )
        })
        .collect();
    (yaml, list)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::{FilterOptions, FilterSet, NegationMode};
    use gantry_glob::picomatch_table::TABLE;

    fn quote(s: &str) -> String {
        format!("'{}'", s.replace('\'', "''"))
    }

    fn parse(yaml: &str, negation: NegationMode) -> FilterSet {
        FilterSet::parse(yaml, &FilterOptions { negation })
            .unwrap_or_else(|e| panic!("{e}\n{yaml}"))
    }

    fn distinct<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
        let mut seen = std::collections::HashSet::new();
        items.filter(|i| seen.insert(*i)).collect()
    }

    /// Every row of the glob table at once: each pattern a filter of one set, each path a
    /// change of one list, in several orders. This is what the directory cache of
    /// `matched_patterns` sees in a real run (single-path tests never reuse it).
    #[test]
    fn table_rows_hold_when_evaluated_together() {
        let patterns = distinct(TABLE.iter().map(|r| r.0));
        let yaml: String = patterns
            .iter()
            .enumerate()
            .map(|(i, p)| format!("f{i}: {}\n", quote(p)))
            .collect();
        let set = parse(&yaml, NegationMode::Or);
        let mut paths = distinct(TABLE.iter().map(|r| r.1));
        for order in 0..3 {
            match order {
                1 => paths.sort_unstable(),
                2 => paths.reverse(),
                _ => {}
            }
            let changes: Vec<Change> = paths
                .iter()
                .map(|p| Change::new(*p, ChangeStatus::Modified))
                .collect();
            let results = set.evaluate(&changes, PredicateQuantifier::Some);
            let mut wrong = vec![];
            for &(pattern, path, want) in TABLE {
                let f = patterns
                    .iter()
                    .position(|p| *p == pattern)
                    .unwrap_or_default();
                let c = paths.iter().position(|p| *p == path).unwrap_or_default();
                let got = results[f].files.iter().any(|m| m.change == c);
                if got != want {
                    wrong.push(format!("{pattern:?} on {path:?}: expected {want}"));
                }
            }
            assert!(wrong.is_empty(), "order {order}:\n{}", wrong.join("\n"));
        }
    }

    /// Past a few `**/name` globs they go to the `GlobSet` instead: same answers either way.
    #[test]
    fn many_file_name_globs_match_the_same() {
        for count in [3, 40] {
            let yaml: String = (0..count)
                .map(|i| format!("f{i}: ['**/*.e{i}', 'x/**/y{i}*']\n"))
                .collect();
            let set = parse(&yaml, NegationMode::Or);
            let changes: Vec<Change> = ["a.e1", "d/b.e2", "d/e/c.e1x", "d/.e1", "x/y1z", "x/q/y2"]
                .iter()
                .map(|p| Change::new(*p, ChangeStatus::Modified))
                .collect();
            let results = set.evaluate(&changes, PredicateQuantifier::Some);
            let f = |i: usize| results[i].paths(&changes);
            assert_eq!(f(1), ["a.e1", "d/.e1", "x/y1z"], "{count}");
            assert_eq!(f(2), ["d/b.e2", "x/q/y2"], "{count}");
            assert_eq!(f(0), Vec::<&str>::new(), "{count}");
        }
    }

    /// A monorepo's worth of paths and every kind of pattern: evaluating the whole list at
    /// once gives what evaluating each change on its own gives (no state leaks from path to
    /// path), renames included.
    #[test]
    fn evaluating_together_equals_evaluating_one_by_one() {
        let yaml = "\
a: 'svc/a/**'
b: ['svc/b/**', '!**/*.md']
c: 'svc/*/src/**'
d: ['svc/a/src/*.rs', 'svc/ab/**']
e: '**/*.md'
f: ['README.md', 'svc/a', 'svc']
g: '@(svc|lib)/a/**'
h: 'svc/a/+(x|y)/**'
i: 'lib/**/deep/*'
j: ['svc/**', '!svc/a/**', 'svc/a/src/keep.rs']
k: 'svc/a/**/*.txt'
l: 'svc/a/**/'
m: 'lib/*'
n:
  - renamed: 'svc/b/**'
  - deleted: 'lib/**'
o: ['*.md', 'svc/a/?', 'svc/*/x', 'lib/a/*.r*']
p: ['**/x', '**/*.t*t', '!svc/*.md']
";
        let dirs = [
            "",
            "svc",
            "svc/a",
            "svc/a/src",
            "svc/a/src/x",
            "svc/a/x",
            "svc/a/y/z",
            "svc/ab",
            "svc/ab/src",
            "svc/b",
            "svc/b/src",
            "svc/b/docs",
            "lib",
            "lib/a",
            "lib/q/deep",
            "lib/q/deep/er",
            "other",
            "svca",
            "svc/a.d",
        ];
        let names = ["README.md", "keep.rs", "m.rs", "n.txt", "x", ".hidden", "a"];
        let mut changes = vec![];
        for dir in dirs {
            for name in names {
                let path = if dir.is_empty() {
                    name.to_owned()
                } else {
                    format!("{dir}/{name}")
                };
                changes.push(Change::new(path, ChangeStatus::Modified));
            }
        }
        changes.push(Change::renamed("lib/a/m.rs", "svc/b/src/m.rs"));
        changes.push(Change::renamed("svc/b/x", "other/x"));
        changes.push(Change::new("svc", ChangeStatus::Added));
        changes.push(Change::new("svc/a", ChangeStatus::Deleted));
        for negation in [NegationMode::Or, NegationMode::Exclude] {
            let set = parse(yaml, negation);
            for quantifier in [
                PredicateQuantifier::Some,
                PredicateQuantifier::Every,
                PredicateQuantifier::SomeWithExcludes,
            ] {
                for order in 0..3 {
                    let mut changes = changes.clone();
                    match order {
                        1 => changes.sort_by(|a, b| a.path.cmp(&b.path)),
                        2 => changes.reverse(),
                        _ => {}
                    }
                    let together = set.evaluate(&changes, quantifier);
                    for threads in [2, 3, 7, 1000] {
                        assert_eq!(
                            set.evaluate_on(&changes, quantifier, threads),
                            together,
                            "{threads} threads"
                        );
                    }
                    let mut alone: Vec<FilterResult> = set
                        .names()
                        .map(|name| FilterResult {
                            name: name.to_owned(),
                            files: vec![],
                        })
                        .collect();
                    for (i, change) in changes.iter().enumerate() {
                        let one = set.evaluate(std::slice::from_ref(change), quantifier);
                        for (all, r) in alone.iter_mut().zip(one) {
                            all.files.extend(r.files.iter().map(|m| FileMatch {
                                change: i,
                                side: m.side,
                            }));
                        }
                    }
                    assert_eq!(together, alone, "{negation} {quantifier} order {order}");
                    assert!(together.iter().any(FilterResult::matched));
                }
            }
        }
    }

    /// Slots are the matches, packed: the same files, in the same order, renames included.
    #[test]
    fn slots_are_the_matches() {
        let yaml =
            "a: 'svc/**'\nb: ['**', '!**/*.md']\nc:\n  - renamed: 'lib/**'\n  - deleted: '**'\n";
        let mut changes: Vec<Change> = (0..30_000)
            .map(|i| {
                Change::new(
                    format!("svc/d{}/f{i}.{}", i % 7, ["rs", "md"][i % 2]),
                    ChangeStatus::Modified,
                )
            })
            .collect();
        changes.push(Change::renamed("lib/old.rs", "svc/new.rs"));
        changes.push(Change::new("lib/gone.md", ChangeStatus::Deleted));
        for negation in [NegationMode::Or, NegationMode::Exclude] {
            let set = parse(yaml, negation);
            let matches = set.evaluate(&changes, PredicateQuantifier::Some);
            let slots = set
                .evaluate_slots(&changes, PredicateQuantifier::Some)
                .unwrap();
            assert_eq!(matches.len(), slots.len());
            for (m, s) in matches.iter().zip(&slots) {
                assert_eq!(m.name, s.name);
                let packed: Vec<u32> = m
                    .files
                    .iter()
                    .map(|f| (2 * f.change + usize::from(f.side == Side::Old)) as u32)
                    .collect();
                assert_eq!(packed, s.slots, "{negation} {}", m.name);
            }
        }
    }
}

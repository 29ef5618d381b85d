//! Which changed files each filter matches: a pure function of the compiled [`FilterSet`] and
//! the list of changes.
//!
//! Speed: every pattern of every filter is in ONE `globset::GlobSet`, so each path is matched
//! once (`matches_into`), not once per filter. Filters made only of positive rules (the usual
//! case) are then updated from the matched pattern ids alone; only filters that need to see
//! every file (a `!` rule, or the `every` quantifier) are evaluated per file.
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

use crate::change::{Change, ChangeStatus};
use crate::filter::{FilterSet, GlobTarget, NegationMode, ProgramEntry, Rule, Scratch};

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

/// Which path of a change matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// `Change::path` (for renames and copies, the new path).
    New,
    /// `Change::previous_path` of a rename, seen as deleted.
    Old,
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
}

/// Which of a change's paths a rule looks at, once change types are taken into account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Probe {
    /// The rule does not apply to this side.
    Skip,
    New,
    Old,
    /// A rule asking for `renamed`: the new or the old path.
    Either,
}

fn probe(rule: &Rule, change: &Change, side: Side) -> Probe {
    let rename = change.status == ChangeStatus::Renamed && change.previous_path.is_some();
    let Some(set) = rule.statuses else {
        return match (side, rename) {
            (Side::New, _) => Probe::New,
            (Side::Old, true) => Probe::Old,
            (Side::Old, false) => Probe::Skip,
        };
    };
    let yes = |ok: bool, p: Probe| if ok { p } else { Probe::Skip };
    match (change.status, side) {
        (ChangeStatus::Renamed, Side::New) if rename => {
            if set.contains(ChangeStatus::Renamed) {
                Probe::Either
            } else {
                yes(set.contains(ChangeStatus::Added), Probe::New)
            }
        }
        (ChangeStatus::Renamed, Side::Old) if rename => yes(
            !set.contains(ChangeStatus::Renamed) && set.contains(ChangeStatus::Deleted),
            Probe::Old,
        ),
        (_, Side::Old) => Probe::Skip,
        (ChangeStatus::Renamed, Side::New) => yes(
            set.contains(ChangeStatus::Renamed) || set.contains(ChangeStatus::Added),
            Probe::New,
        ),
        (ChangeStatus::Copied, Side::New) => yes(
            set.contains(ChangeStatus::Copied) || set.contains(ChangeStatus::Added),
            Probe::New,
        ),
        (ChangeStatus::TypeChange, Side::New) => yes(
            set.contains(ChangeStatus::TypeChange) || set.contains(ChangeStatus::Modified),
            Probe::New,
        ),
        (status, Side::New) => yes(set.contains(status), Probe::New),
    }
}

/// Buffers reused from path to path.
#[derive(Default)]
struct MatchScratch {
    glob_hits: Vec<usize>,
    /// The path's characters, filled on first use by a program.
    chars: Vec<char>,
    program: Scratch,
}

fn run_program(entry: &ProgramEntry, path: &str, scratch: &mut MatchScratch) -> bool {
    if !path.starts_with(entry.prefix.as_str()) {
        return false;
    }
    if scratch.chars.is_empty() {
        scratch.chars.extend(path.chars());
    }
    entry
        .program
        .is_match_chars(&scratch.chars, &mut scratch.program)
}

/// Pattern ids matched by the current change's paths, as generation stamps (no clearing).
struct Stamps {
    new: Vec<u32>,
    old: Vec<u32>,
    generation: u32,
}

impl Stamps {
    fn hit(&self, probe: Probe, id: u32) -> bool {
        let id = id as usize;
        let new = || self.new.get(id) == Some(&self.generation);
        let old = || self.old.get(id) == Some(&self.generation);
        match probe {
            Probe::Skip => false,
            Probe::New => new(),
            Probe::Old => old(),
            Probe::Either => new() || old(),
        }
    }
}

impl FilterSet {
    /// Evaluates every filter against `changes`; one result per filter, in definition order.
    pub fn evaluate(
        &self,
        changes: &[Change],
        quantifier: PredicateQuantifier,
    ) -> Vec<FilterResult> {
        let compiled = &self.compiled;
        let filters = &self.filters;
        // "Simple" filters (only positive globs, any quantifier but `every`) are decided from
        // the matched pattern ids alone. Other filters are evaluated in full, but only for
        // files that hit one of their positive globs — except "open" filters, which can match
        // a file that hits nothing (a `!` rule ORed under `some`, or `every` over rules that
        // all have a `!` glob); those are evaluated for every file.
        let simple: Vec<bool> = filters
            .iter()
            .map(|f| !f.has_negation && quantifier != PredicateQuantifier::Every)
            .collect();
        let open: Vec<usize> = filters
            .iter()
            .enumerate()
            .filter(|(_, f)| match (quantifier, self.options.negation) {
                (PredicateQuantifier::Some, NegationMode::Or) => f.has_negation,
                (PredicateQuantifier::Every, _) => {
                    f.rules.iter().all(|r| r.items.iter().any(|i| i.negated))
                }
                _ => false,
            })
            .map(|(i, _)| i)
            .collect();
        // Postings: pattern id → (filter, rule) for every positive glob.
        let mut counts = vec![0u32; compiled.patterns + 1];
        for item in filters.iter().flat_map(|f| &f.rules).flat_map(|r| &r.items) {
            if !item.negated {
                counts[item.pattern as usize + 1] += 1;
            }
        }
        for i in 1..counts.len() {
            counts[i] += counts[i - 1];
        }
        let mut fill = counts.clone();
        let mut postings = vec![(0u32, 0u32); counts.last().copied().unwrap_or(0) as usize];
        for (f, filter) in filters.iter().enumerate() {
            for (r, rule) in filter.rules.iter().enumerate() {
                for item in rule.items.iter().filter(|i| !i.negated) {
                    let slot = &mut fill[item.pattern as usize];
                    postings[*slot as usize] = (f as u32, r as u32);
                    *slot += 1;
                }
            }
        }
        let postings_of = |id: u32| {
            let id = id as usize;
            &postings[counts[id] as usize..counts[id + 1] as usize]
        };

        let mut results: Vec<FilterResult> = filters
            .iter()
            .map(|f| FilterResult {
                name: f.name.clone(),
                files: vec![],
            })
            .collect();
        let mut stamps = Stamps {
            new: vec![0; compiled.patterns],
            old: vec![0; compiled.patterns],
            generation: 0,
        };
        let mut scratch = MatchScratch::default();
        let mut ids_new: Vec<u32> = Vec::new();
        let mut ids_old: Vec<u32> = Vec::new();
        // Per-filter state for the current change: bit 1 = new side matched, bit 2 = old side
        // matched, bit 4 = needs a full evaluation.
        let mut marks = vec![0u8; filters.len()];
        let mut touched: Vec<u32> = Vec::new();

        for (ci, change) in changes.iter().enumerate() {
            stamps.generation = stamps.generation.wrapping_add(1);
            if stamps.generation == 0 {
                stamps.new.iter_mut().for_each(|s| *s = 0);
                stamps.old.iter_mut().for_each(|s| *s = 0);
                stamps.generation = 1;
            }
            self.matched_patterns(&change.path, &mut scratch, &mut ids_new);
            for &id in &ids_new {
                stamps.new[id as usize] = stamps.generation;
            }
            let renamed_from = match (change.status, &change.previous_path) {
                (ChangeStatus::Renamed, Some(old)) => Some(old.as_str()),
                _ => None,
            };
            ids_old.clear();
            if let Some(old) = renamed_from {
                self.matched_patterns(old, &mut scratch, &mut ids_old);
                for &id in &ids_old {
                    stamps.old[id as usize] = stamps.generation;
                }
            }

            let mut mark = |f: u32, bit: u8| {
                let m = &mut marks[f as usize];
                if *m == 0 {
                    touched.push(f);
                }
                *m |= bit;
            };
            for &id in &ids_new {
                for &(f, r) in postings_of(id) {
                    if !simple[f as usize] {
                        mark(f, 4);
                        continue;
                    }
                    let rule = &filters[f as usize].rules[r as usize];
                    if matches!(probe(rule, change, Side::New), Probe::New | Probe::Either) {
                        mark(f, 1);
                    }
                }
            }
            for &id in &ids_old {
                for &(f, r) in postings_of(id) {
                    if !simple[f as usize] {
                        mark(f, 4);
                        continue;
                    }
                    let rule = &filters[f as usize].rules[r as usize];
                    if probe(rule, change, Side::New) == Probe::Either {
                        mark(f, 1);
                    }
                    if probe(rule, change, Side::Old) == Probe::Old {
                        mark(f, 2);
                    }
                }
            }
            for &f in &open {
                mark(f as u32, 4);
            }
            for &f in &touched {
                let mut bits = std::mem::take(&mut marks[f as usize]);
                if bits & 4 != 0 {
                    let rules = &filters[f as usize].rules;
                    if self.file_matches(rules, change, Side::New, &stamps, quantifier) {
                        bits |= 1;
                    }
                    if renamed_from.is_some()
                        && self.file_matches(rules, change, Side::Old, &stamps, quantifier)
                    {
                        bits |= 2;
                    }
                }
                let files = &mut results[f as usize].files;
                if bits & 1 != 0 {
                    files.push(FileMatch {
                        change: ci,
                        side: Side::New,
                    });
                }
                if bits & 2 != 0 {
                    files.push(FileMatch {
                        change: ci,
                        side: Side::Old,
                    });
                }
            }
            touched.clear();
        }
        results
    }

    /// Ids of the patterns (without their `!`) that match `path`.
    fn matched_patterns(&self, path: &str, scratch: &mut MatchScratch, out: &mut Vec<u32>) {
        let compiled = &self.compiled;
        out.clear();
        scratch.chars.clear();
        let mut hits = std::mem::take(&mut scratch.glob_hits);
        compiled.globset.matches_into(path, &mut hits);
        for &hit in &hits {
            match compiled.glob_target.get(hit) {
                Some(GlobTarget::Pattern(id)) => out.push(*id),
                Some(GlobTarget::Program(index)) => {
                    if let Some(entry) = compiled.programs.get(*index as usize)
                        && run_program(entry, path, scratch)
                    {
                        out.push(entry.pattern);
                    }
                }
                None => {}
            }
        }
        scratch.glob_hits = hits;
        for entry in compiled.programs.iter().filter(|e| !e.gated) {
            if run_program(entry, path, scratch) {
                out.push(entry.pattern);
            }
        }
        if let Some(ids) = compiled.literal.get(path) {
            out.extend_from_slice(ids);
        }
    }

    /// Full evaluation of one filter for one side of a change.
    fn file_matches(
        &self,
        rules: &[Rule],
        change: &Change,
        side: Side,
        stamps: &Stamps,
        quantifier: PredicateQuantifier,
    ) -> bool {
        // dorny's rule predicate: its change type applies and one of its globs matches (a
        // `!` glob "matches" every path its body does not match).
        let rule_matches = |rule: &Rule| {
            let p = probe(rule, change, side);
            p != Probe::Skip
                && rule
                    .items
                    .iter()
                    .any(|item| stamps.hit(p, item.pattern) != item.negated)
        };
        match (quantifier, self.options.negation) {
            (PredicateQuantifier::Every, _) => rules.iter().all(rule_matches),
            (PredicateQuantifier::Some, NegationMode::Or) => rules.iter().any(rule_matches),
            (PredicateQuantifier::Some, NegationMode::Exclude) => {
                // In order, like .gitignore: the last pattern that matches decides.
                let mut included = false;
                for rule in rules {
                    let p = probe(rule, change, side);
                    if p == Probe::Skip {
                        continue;
                    }
                    for item in &rule.items {
                        if stamps.hit(p, item.pattern) {
                            included = !item.negated;
                        }
                    }
                }
                included
            }
            (PredicateQuantifier::SomeWithExcludes, _) => {
                let mut included = false;
                for rule in rules {
                    let p = probe(rule, change, side);
                    if p == Probe::Skip {
                        continue;
                    }
                    for item in &rule.items {
                        if stamps.hit(p, item.pattern) {
                            if item.negated {
                                return false;
                            }
                            included = true;
                        }
                    }
                }
                included
            }
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

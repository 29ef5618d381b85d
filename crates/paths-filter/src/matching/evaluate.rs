//! The evaluation itself: the plan made once per filter set, the patterns of each path (from
//! its directory's plan, see [`super::paths`]), and the verdicts per signature (see the parent
//! module's notes on speed).

use super::paths::{PathMatcher, split};
use super::{FileMatch, FilterResult, FilterSlots, PredicateQuantifier, Side};
use crate::change::{Change, ChangeStatus};
use crate::fast_hash::FastMap;
use crate::filter::{FilterSet, NegationMode, Rule};

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

/// What [`FilterSet::evaluate`] works out once, before looking at any change.
struct Plan {
    quantifier: PredicateQuantifier,
    /// Filters decided by which patterns matched alone (only positive globs, not `every`).
    simple: Vec<bool>,
    /// Filters that can match a file that hits none of their patterns.
    open: Vec<usize>,
    /// `postings[counts[id]..counts[id + 1]]`: the (filter, rule) of every positive use of
    /// pattern `id`.
    counts: Vec<u32>,
    postings: Vec<(u32, u32)>,
}

impl Plan {
    fn new(set: &FilterSet, quantifier: PredicateQuantifier) -> Plan {
        let compiled = &set.compiled;
        let filters = &set.filters;
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
            .filter(|(_, f)| match (quantifier, set.options.negation) {
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
        Plan {
            quantifier,
            simple,
            open,
            counts,
            postings,
        }
    }

    fn postings_of(&self, id: u32) -> &[(u32, u32)] {
        let id = id as usize;
        match (self.counts.get(id), self.counts.get(id + 1)) {
            (Some(&from), Some(&to)) => &self.postings[from as usize..to as usize],
            _ => &[],
        }
    }
}

/// Changes per thread below which another thread does not pay for itself.
const CHANGES_PER_THREAD: usize = 10_000;

/// Most threads evaluation uses (GitHub's runners have 4 cores).
const MAX_THREADS: usize = 4;

/// How many threads to evaluate `changes` changes with.
fn threads_for(changes: usize) -> usize {
    if changes < 2 * CHANGES_PER_THREAD {
        return 1;
    }
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    cores
        .min(MAX_THREADS)
        .min(changes / CHANGES_PER_THREAD)
        .max(1)
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

/// The verdicts of every filter for a list of changes.
struct Signatures {
    /// Per change: its verdicts (an index into `verdicts`).
    of: Vec<u32>,
    /// (filter, bits) of every filter that lists the change: bit 1 its new path, bit 2 its
    /// old path.
    verdicts: Vec<Vec<(u32, u8)>>,
}

/// What evaluating one change needs, kept from change to change.
struct Verdicts {
    stamps: Stamps,
    /// Per filter, for the change: bit 1 = new side matched, bit 2 = old side matched, bit 4
    /// = needs a full evaluation.
    marks: Vec<u8>,
    /// The filters with marks.
    touched: Vec<u32>,
}

impl Verdicts {
    /// (filter, bits) of every filter that lists `change`, whose new path matches the patterns
    /// `ids_new` and old path (of a rename) `ids_old`: bit 1 its new path, bit 2 its old path.
    fn evaluate(
        &mut self,
        set: &FilterSet,
        plan: &Plan,
        change: &Change,
        ids_new: &[u32],
        ids_old: &[u32],
    ) -> Vec<(u32, u8)> {
        let filters = &set.filters;
        let (simple, open) = (&plan.simple, &plan.open);
        let stamps = &mut self.stamps;
        stamps.generation = stamps.generation.wrapping_add(1);
        if stamps.generation == 0 {
            stamps.new.iter_mut().for_each(|s| *s = 0);
            stamps.old.iter_mut().for_each(|s| *s = 0);
            stamps.generation = 1;
        }
        for &id in ids_new {
            stamps.new[id as usize] = stamps.generation;
        }
        for &id in ids_old {
            stamps.old[id as usize] = stamps.generation;
        }
        let (marks, touched) = (&mut self.marks, &mut self.touched);
        let mut mark = |f: u32, bit: u8| {
            let m = &mut marks[f as usize];
            if *m == 0 {
                touched.push(f);
            }
            *m |= bit;
        };
        for &id in ids_new {
            for &(f, r) in plan.postings_of(id) {
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
        for &id in ids_old {
            for &(f, r) in plan.postings_of(id) {
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
        for &f in open {
            mark(f as u32, 4);
        }
        let renamed = change.status == ChangeStatus::Renamed && change.previous_path.is_some();
        let mut verdicts = Vec::new();
        for &f in self.touched.iter() {
            let mut bits = std::mem::take(&mut self.marks[f as usize]);
            if bits & 4 != 0 {
                let rules = &filters[f as usize].rules;
                if set.file_matches(rules, change, Side::New, &self.stamps, plan.quantifier) {
                    bits |= 1;
                }
                if renamed
                    && set.file_matches(rules, change, Side::Old, &self.stamps, plan.quantifier)
                {
                    bits |= 2;
                }
            }
            if bits & 3 != 0 {
                verdicts.push((f, bits & 3));
            }
        }
        self.touched.clear();
        verdicts
    }
}

impl FilterSet {
    /// Evaluates every filter against `changes`; one result per filter, in definition order.
    pub fn evaluate(
        &self,
        changes: &[Change],
        quantifier: PredicateQuantifier,
    ) -> Vec<FilterResult> {
        self.evaluate_on(changes, quantifier, threads_for(changes.len()))
    }

    /// [`FilterSet::evaluate`] on `threads` threads.
    ///
    /// What every filter makes of a change depends only on the patterns its paths match and
    /// on its change type, and most changes share these with others (the files of one
    /// directory, or of one extension): each such signature is evaluated once, for the first
    /// change that has it. The changes are split into chunks, one per thread, each giving
    /// every change's verdicts; then each filter's list is made in one allocation of the
    /// size the verdicts say, in input order, so the result does not depend on threads.
    pub(super) fn evaluate_on(
        &self,
        changes: &[Change],
        quantifier: PredicateQuantifier,
        threads: usize,
    ) -> Vec<FilterResult> {
        let parts = self.parts(changes, quantifier, threads);
        self.filters
            .iter()
            .zip(self.lists(&parts, |change, side| FileMatch { change, side }))
            .map(|(filter, files)| FilterResult {
                name: filter.name.clone(),
                files,
            })
            .collect()
    }

    /// [`FilterSet::evaluate`] with each file as its [`FilterSlots`] slot, four bytes rather
    /// than sixteen (dorny's `[dir/**, '!**/*.md']` lists nearly every file in every filter);
    /// `None` for more changes than slots can number.
    pub fn evaluate_slots(
        &self,
        changes: &[Change],
        quantifier: PredicateQuantifier,
    ) -> Option<Vec<FilterSlots>> {
        if changes.len() >= (u32::MAX / 2) as usize {
            return None;
        }
        let parts = self.parts(changes, quantifier, threads_for(changes.len()));
        let slot = |change: usize, side: Side| {
            u32::try_from(2 * change + usize::from(side == Side::Old)).unwrap_or(u32::MAX)
        };
        Some(
            self.filters
                .iter()
                .zip(self.lists(&parts, slot))
                .map(|(filter, slots)| FilterSlots {
                    name: filter.name.clone(),
                    slots,
                })
                .collect(),
        )
    }

    /// The verdicts of every change, on `threads` threads (a chunk of the changes each).
    fn parts(
        &self,
        changes: &[Change],
        quantifier: PredicateQuantifier,
        threads: usize,
    ) -> Vec<Signatures> {
        let plan = Plan::new(self, quantifier);
        let chunk = changes.len().div_ceil(threads.max(1)).max(1);
        if threads <= 1 {
            return vec![self.signatures(&plan, changes)];
        }
        std::thread::scope(|scope| {
            let plan = &plan;
            // A chunk whose thread cannot start is evaluated here, in its turn.
            let others: Vec<_> = changes
                .chunks(chunk)
                .skip(1)
                .map(|part| {
                    let thread = std::thread::Builder::new()
                        .spawn_scoped(scope, move || self.signatures(plan, part));
                    (part, thread.ok())
                })
                .collect();
            let first = changes.chunks(chunk).next().unwrap_or_default();
            let mut parts = vec![self.signatures(plan, first)];
            for (part, thread) in others {
                parts.push(match thread.map(|t| t.join()) {
                    Some(Ok(signatures)) => signatures,
                    Some(Err(panic)) => std::panic::resume_unwind(panic),
                    None => self.signatures(plan, part),
                });
            }
            parts
        })
    }

    /// Each filter's list, in input order (for one change, new path then old path), each
    /// file as `file(change, side)`, in one allocation of the size the verdicts say.
    fn lists<T>(&self, parts: &[Signatures], file: impl Fn(usize, Side) -> T) -> Vec<Vec<T>> {
        // How many files each filter lists.
        let mut counts = vec![0usize; self.filters.len()];
        for part in parts {
            let mut uses = vec![0usize; part.verdicts.len()];
            for &v in &part.of {
                uses[v as usize] += 1;
            }
            for (verdicts, n) in part.verdicts.iter().zip(uses) {
                for &(f, bits) in verdicts {
                    counts[f as usize] += n * bits.count_ones() as usize;
                }
            }
        }
        let mut lists: Vec<Vec<T>> = counts.into_iter().map(Vec::with_capacity).collect();
        let mut change = 0;
        for part in parts {
            for &v in &part.of {
                for &(f, bits) in &part.verdicts[v as usize] {
                    let files = &mut lists[f as usize];
                    if bits & 1 != 0 {
                        files.push(file(change, Side::New));
                    }
                    if bits & 2 != 0 {
                        files.push(file(change, Side::Old));
                    }
                }
                change += 1;
            }
        }
        lists
    }

    /// The verdicts of every filter for each of `changes`, by signature (see
    /// [`FilterSet::evaluate_on`]).
    fn signatures(&self, plan: &Plan, changes: &[Change]) -> Signatures {
        let compiled = &self.compiled;
        let mut state = Verdicts {
            stamps: Stamps {
                new: vec![0; compiled.patterns],
                old: vec![0; compiled.patterns],
                generation: 0,
            },
            marks: vec![0u8; self.filters.len()],
            touched: Vec::new(),
        };
        let mut paths = PathMatcher::new(compiled);
        let (mut hits, mut ids_new, mut ids_old) = (Vec::new(), Vec::new(), Vec::new());
        let mut out = Signatures {
            of: Vec::with_capacity(changes.len()),
            verdicts: Vec::new(),
        };
        // Signature: the change type, then the patterns of the new path, a separator, those
        // of the old path (of a rename). Neighbours (the files of a directory) often share
        // it: the last one is tried before the map, and each directory remembers those of
        // its files by what they hit.
        let mut known: FastMap<Vec<u32>, u32> = FastMap::default();
        let mut key: Vec<u32> = Vec::new();
        let mut last: Vec<u32> = Vec::new();
        let mut last_id = 0u32;
        for change in changes {
            let renamed = change.status == ChangeStatus::Renamed;
            let old = change.previous_path.as_deref().filter(|_| renamed);
            let kind = ChangeStatus::ALL
                .iter()
                .position(|s| *s == change.status)
                .and_then(|k| u32::try_from(k).ok())
                .unwrap_or_default()
                | u32::from(change.previous_path.is_some()) << 8;
            let (dir, name) = split(&change.path);
            let dir_plan = paths.plan_of(dir);
            paths.hits(dir_plan, &change.path, name, &mut hits);
            if old.is_none()
                && let Some(id) = paths.remembered(dir_plan, kind, &hits)
            {
                out.of.push(id);
                continue;
            }
            paths.ids(dir_plan, &hits, &mut ids_new);
            ids_old.clear();
            if let Some(old) = old {
                let (old_dir, old_name) = split(old);
                let old_plan = paths.plan_of(old_dir);
                paths.hits(old_plan, old, old_name, &mut hits);
                paths.ids(old_plan, &hits, &mut ids_old);
            }
            key.clear();
            key.push(kind);
            key.extend_from_slice(&ids_new);
            key.push(u32::MAX);
            key.extend_from_slice(&ids_old);
            if key != last || out.of.is_empty() {
                last_id = match known.get(key.as_slice()) {
                    Some(&id) => id,
                    None => {
                        let id = u32::try_from(out.verdicts.len()).unwrap_or(u32::MAX);
                        out.verdicts
                            .push(state.evaluate(self, plan, change, &ids_new, &ids_old));
                        known.insert(key.clone(), id);
                        id
                    }
                };
                std::mem::swap(&mut last, &mut key);
            }
            if old.is_none() {
                paths.remember(dir_plan, kind, &hits, last_id);
            }
            out.of.push(last_id);
        }
        out
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

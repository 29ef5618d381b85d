//! Which patterns a path matches, worked out per directory: the rules of the directories a
//! path is in, and the cut globs whose directory part matches its directory, are gathered
//! once for all the files of that directory (a [`DirPlan`]). A file then costs its file name
//! tests and the few tests that need its whole path; and since what a file matches follows
//! from what those tests hit, the verdicts found for one file of a directory are kept for the
//! next file there that hits the same (see [`DirPlan`]'s memo).

use gantry_glob::{NameGlob, Scratch};

use crate::fast_hash::FastMap;
use crate::filter::{Compiled, GlobTarget, NameTest, ProgramEntry, TargetedGlobs};

/// How many (change type, hits) a directory remembers verdicts for; past that, the caller's
/// own lookup by signature serves.
const MEMO: usize = 32;

/// A file name test of a [`DirPlan`].
#[derive(Clone, Copy)]
enum Name<'c> {
    Glob(&'c NameGlob),
    Cut(&'c NameTest),
}

/// What the files of one directory are matched with.
#[derive(Default)]
pub(super) struct DirPlan<'c> {
    /// The patterns every file of the directory matches (`dir/**` of the directory or one
    /// above), sorted, once each.
    fixed: Vec<u32>,
    /// File name tests: the directory's `dir/*.x`, every `**/*.x`, and the cut globs whose
    /// directory part matches; each with what a hit stands for.
    names: Vec<(Name<'c>, GlobTarget)>,
    /// Globs that need the whole path (of the directories above, and those anchored nowhere).
    globs: Vec<&'c TargetedGlobs>,
    /// Programs to run on the whole path: those gated by a directory above, and the others.
    programs: Vec<&'c ProgramEntry>,
    /// Some whole path of the exact rules is in the directory.
    exact: bool,
    /// Verdicts found for files of the directory: (change type, hits, verdicts id).
    memo: Vec<(u32, Vec<u32>, u32)>,
}

/// The plans of the directories met so far (one per thread), and buffers reused from path to
/// path.
pub(super) struct PathMatcher<'c> {
    compiled: &'c Compiled,
    plans: Vec<DirPlan<'c>>,
    index: FastMap<String, u32>,
    /// The plan of the top (the paths without a `/`).
    top: Option<u32>,
    /// The directory of the last plan asked for, and that plan.
    last: Option<(String, u32)>,
    glob_hits: Vec<usize>,
    cuts: Vec<u32>,
    /// The path's characters, filled on first use by a program.
    chars: Vec<char>,
    program: Scratch,
}

/// A path's directory (`None` for the top: the path has no `/`) and file name.
pub(super) fn split(path: &str) -> (Option<&str>, &str) {
    match path.as_bytes().iter().rposition(|&b| b == b'/') {
        Some(slash) => (Some(&path[..slash]), &path[slash + 1..]),
        None => (None, path),
    }
}

impl<'c> PathMatcher<'c> {
    pub(super) fn new(compiled: &'c Compiled) -> Self {
        PathMatcher {
            compiled,
            plans: Vec::new(),
            index: FastMap::default(),
            top: None,
            last: None,
            glob_hits: Vec::new(),
            cuts: Vec::new(),
            chars: Vec::new(),
            program: Scratch::default(),
        }
    }

    /// The plan of `dir` (a path's directory, no trailing `/`; `None` for the top), made
    /// the first time it is met: git lists paths in order, so it is usually the last one.
    pub(super) fn plan_of(&mut self, dir: Option<&str>) -> u32 {
        let Some(dir) = dir else {
            if let Some(plan) = self.top {
                return plan;
            }
            let plan = u32::try_from(self.plans.len()).unwrap_or(u32::MAX);
            let made = self.make(None);
            self.plans.push(made);
            self.top = Some(plan);
            return plan;
        };
        if let Some((last, plan)) = &self.last
            && last == dir
        {
            return *plan;
        }
        let plan = match self.index.get(dir) {
            Some(&plan) => plan,
            None => {
                let plan = u32::try_from(self.plans.len()).unwrap_or(u32::MAX);
                let made = self.make(Some(dir));
                self.plans.push(made);
                self.index.insert(dir.to_owned(), plan);
                plan
            }
        };
        match &mut self.last {
            Some((last, at)) => {
                last.clear();
                last.push_str(dir);
                *at = plan;
            }
            None => self.last = Some((dir.to_owned(), plan)),
        }
        plan
    }

    fn make(&mut self, dir: Option<&str>) -> DirPlan<'c> {
        let compiled = self.compiled;
        let mut plan = DirPlan::default();
        self.cuts.clear();
        let add_target = |plan: &mut DirPlan<'c>, target: GlobTarget| match target {
            GlobTarget::Pattern(id) => plan.fixed.push(id),
            GlobTarget::Program(index) => {
                if let Some(entry) = compiled.programs.get(index as usize) {
                    plan.programs.push(entry);
                }
            }
        };
        // The directory and those above it (the top has none: its paths are under nothing;
        // nor has the empty directory of `/x`).
        if let Some(dir) = dir.filter(|d| !d.is_empty() && !compiled.dirs.is_empty()) {
            let bytes = dir.as_bytes();
            for end in (1..=bytes.len()).filter(|&end| end == bytes.len() || bytes[end] == b'/') {
                let Some(rules) = compiled.dirs.get(&dir[..end]) else {
                    continue;
                };
                for &target in &rules.under {
                    add_target(&mut plan, target);
                }
                if let Some(globs) = &rules.globs {
                    plan.globs.push(globs);
                }
                if let Some(cut) = &rules.cut {
                    let from = self.cuts.len();
                    cut.for_dir(Some(dir), &mut self.glob_hits, &mut self.cuts);
                    for &at in &self.cuts[from..] {
                        if let Some((test, id)) = cut.names.get(at as usize) {
                            plan.names.push((Name::Cut(test), GlobTarget::Pattern(*id)));
                        }
                    }
                }
            }
        }
        // The directory's own file name rules and exact paths (`""` holds the top's).
        let own = match dir {
            None => compiled.dirs.get(""),
            Some("") => None,
            Some(dir) => compiled.dirs.get(dir),
        };
        if let Some(rules) = own {
            plan.names
                .extend(rules.names.iter().map(|(glob, t)| (Name::Glob(glob), *t)));
            plan.exact = rules.has_exact;
        }
        plan.names.extend(
            compiled
                .any_names
                .iter()
                .map(|(glob, t)| (Name::Glob(glob), *t)),
        );
        if let Some(cut) = &compiled.cut {
            self.cuts.clear();
            cut.for_dir(dir, &mut self.glob_hits, &mut self.cuts);
            for &at in &self.cuts {
                if let Some((test, id)) = cut.names.get(at as usize) {
                    plan.names.push((Name::Cut(test), GlobTarget::Pattern(*id)));
                }
            }
        }
        if !compiled.globset.is_empty() {
            plan.globs.push(&compiled.globset);
        }
        plan.programs
            .extend(compiled.programs.iter().filter(|e| !e.gated));
        plan.fixed.sort_unstable();
        plan.fixed.dedup();
        plan
    }

    /// What the tests of `plan` hit for `path` (whose file name is `name`), into `out`:
    /// pattern ids, in the plan's order (an id may repeat).
    pub(super) fn hits(&mut self, plan: u32, path: &str, name: &str, out: &mut Vec<u32>) {
        out.clear();
        self.chars.clear();
        let compiled = self.compiled;
        let Some(plan) = self.plans.get(plan as usize) else {
            return;
        };
        let mut hit =
            |target: GlobTarget, chars: &mut Vec<char>, program: &mut Scratch| match target {
                GlobTarget::Pattern(id) => out.push(id),
                GlobTarget::Program(index) => {
                    if let Some(entry) = compiled.programs.get(index as usize)
                        && run_program(entry, path, chars, program)
                    {
                        out.push(entry.pattern);
                    }
                }
            };
        for &(test, target) in &plan.names {
            let matched = match test {
                Name::Glob(glob) => glob.is_match(name),
                Name::Cut(test) => test.is_match(name),
            };
            if matched {
                hit(target, &mut self.chars, &mut self.program);
            }
        }
        for globs in &plan.globs {
            globs.matches_into(path, &mut self.glob_hits);
            for &h in &self.glob_hits {
                if let Some(&target) = globs.targets.get(h) {
                    hit(target, &mut self.chars, &mut self.program);
                }
            }
        }
        if plan.exact
            && let Some(targets) = compiled.exact.get(path)
        {
            for &target in targets {
                hit(target, &mut self.chars, &mut self.program);
            }
        }
        for entry in &plan.programs {
            if run_program(entry, path, &mut self.chars, &mut self.program) {
                out.push(entry.pattern);
            }
        }
    }

    /// The patterns a path of `plan` matches, given its `hits`: sorted, once each.
    pub(super) fn ids(&self, plan: u32, hits: &[u32], out: &mut Vec<u32>) {
        out.clear();
        if let Some(plan) = self.plans.get(plan as usize) {
            out.extend_from_slice(&plan.fixed);
        }
        out.extend_from_slice(hits);
        out.sort_unstable();
        out.dedup();
    }

    /// The verdicts found for a file of `plan` of change type `kind` that hit `hits`.
    pub(super) fn remembered(&self, plan: u32, kind: u32, hits: &[u32]) -> Option<u32> {
        let plan = self.plans.get(plan as usize)?;
        // Short lists (most files hit nothing but their directory's rules): compared in
        // place rather than by `memcmp`.
        plan.memo
            .iter()
            .find(|(k, h, _)| {
                *k == kind && h.len() == hits.len() && h.iter().zip(hits).all(|(a, b)| a == b)
            })
            .map(|&(_, _, verdicts)| verdicts)
    }

    /// Keeps `verdicts` for the files of `plan` of change type `kind` that hit `hits`.
    pub(super) fn remember(&mut self, plan: u32, kind: u32, hits: &[u32], verdicts: u32) {
        if let Some(plan) = self.plans.get_mut(plan as usize)
            && plan.memo.len() < MEMO
        {
            plan.memo.push((kind, hits.to_vec(), verdicts));
        }
    }
}

fn run_program(
    entry: &ProgramEntry,
    path: &str,
    chars: &mut Vec<char>,
    scratch: &mut Scratch,
) -> bool {
    if !path.starts_with(entry.prefix.as_str()) {
        return false;
    }
    if chars.is_empty() {
        chars.extend(path.chars());
    }
    entry.program.is_match_chars(chars, scratch)
}

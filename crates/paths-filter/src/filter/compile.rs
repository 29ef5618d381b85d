//! The patterns of all filters compiled together: each distinct glob once, filed under the
//! literal directory it is anchored at ([`Shape`]), so that a path only meets the globs of
//! the directories it is in. Globs that need more than their directory are cut at their last
//! `/` where they can be ([`gantry_glob::Cut`]): their directory part is then looked at once
//! per directory and only their file name part once per path (see [`crate::matching`]).

use std::collections::HashMap;

use gantry_glob::{Cut, CutDir, CutName, Glob, NameGlob, Program, Shape};
use globset::{GlobBuilder, GlobMatcher, GlobSet, GlobSetBuilder};

use super::FilterError;
use crate::fast_hash::FastMap;

/// What a glob (or a directory rule) stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GlobTarget {
    /// A hit means the pattern matches.
    Pattern(u32),
    /// A hit means the program (index into `programs`) may match and must be run.
    Program(u32),
}

/// A pattern matched by a [`Program`].
#[derive(Debug, Clone)]
pub(crate) struct ProgramEntry {
    pub(crate) pattern: u32,
    pub(crate) program: Program,
    /// Every matching path starts with this text.
    pub(crate) prefix: String,
    /// A directory rule decides when to run it (else it runs for every path).
    pub(crate) gated: bool,
}

/// Globs that need the whole path, and what each stands for.
#[derive(Debug, Clone)]
pub(crate) struct TargetedGlobs {
    pub(crate) set: GlobSet,
    pub(crate) targets: Vec<GlobTarget>,
    /// Every path one of the globs matches ends with one of these (`None`: no such text).
    pub(crate) suffixes: Option<Vec<String>>,
}

impl TargetedGlobs {
    fn new(
        globs: Vec<(globset::Glob, String)>,
        targets: Vec<GlobTarget>,
    ) -> Result<Self, FilterError> {
        let suffixes = globs
            .iter()
            .all(|(_, suffix)| !suffix.is_empty())
            .then(|| globs.iter().map(|(_, suffix)| suffix.clone()).collect());
        Ok(TargetedGlobs {
            set: build_set(globs.into_iter().map(|(glob, _)| glob).collect())?,
            targets,
            suffixes,
        })
    }

    /// The indices of the globs that match `path` into `hits`.
    pub(crate) fn matches_into(&self, path: &str, hits: &mut Vec<usize>) {
        if let Some(suffixes) = &self.suffixes
            && !suffixes.iter().any(|s| path.ends_with(s.as_str()))
        {
            hits.clear();
            return;
        }
        self.set.matches_into(path, hits);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}

/// A file name test: literal text and `*`, or a glob of the name alone.
#[derive(Debug, Clone)]
pub(crate) enum NameTest {
    Star(NameGlob),
    Glob(GlobMatcher),
}

impl NameTest {
    pub(crate) fn is_match(&self, name: &str) -> bool {
        match self {
            NameTest::Star(glob) => glob.is_match(name),
            NameTest::Glob(glob) => glob.is_match(name),
        }
    }
}

/// Globs cut at their last `/`: their directory parts, looked at once per directory, and
/// their file name parts, looked at for the paths of the directories that matched.
#[derive(Debug, Clone)]
pub(crate) struct CutGlobs {
    /// The directory globs, and for each the cut glob (index into `names`) it belongs to.
    dirs: GlobSet,
    owners: Vec<u32>,
    /// The cut globs for any directory (`**/…`), the top included, and for the top only.
    any_dir: Vec<u32>,
    top: Vec<u32>,
    /// Each cut glob's file name test and the pattern it stands for.
    pub(crate) names: Vec<(NameTest, u32)>,
}

impl CutGlobs {
    /// The cut globs whose directory part `dir` (`None`: the top) matches, into `out`, in
    /// order and once each.
    pub(crate) fn for_dir(&self, dir: Option<&str>, hits: &mut Vec<usize>, out: &mut Vec<u32>) {
        let from = out.len();
        match dir {
            None => out.extend_from_slice(&self.top),
            Some(dir) => {
                if !self.dirs.is_empty() {
                    self.dirs.matches_into(dir, hits);
                    out.extend(hits.iter().filter_map(|&h| self.owners.get(h).copied()));
                }
            }
        }
        out.extend_from_slice(&self.any_dir);
        out[from..].sort_unstable();
        let mut kept = from;
        for i in from..out.len() {
            if i == from || out[i] != out[kept - 1] {
                out[kept] = out[i];
                kept += 1;
            }
        }
        out.truncate(kept);
    }
}

/// A [`Cut`] with its globs built.
struct BuiltCut {
    dir: BuiltDir,
    name: NameTest,
}

enum BuiltDir {
    Top,
    Any,
    Globs(Vec<globset::Glob>),
}

impl BuiltCut {
    /// `None` when globset refuses a part (the whole glob is then matched instead).
    fn new(cut: Cut) -> Option<BuiltCut> {
        let dir = match cut.dir {
            CutDir::Top => BuiltDir::Top,
            CutDir::Any => BuiltDir::Any,
            CutDir::Globs(texts) => BuiltDir::Globs(
                texts
                    .iter()
                    .map(|t| build_glob(t))
                    .collect::<Option<Vec<_>>>()?,
            ),
        };
        let name = match cut.name {
            CutName::Star(glob) => NameTest::Star(glob),
            CutName::Glob(text) => NameTest::Glob(build_glob(&text)?.compile_matcher()),
        };
        Some(BuiltCut { dir, name })
    }
}

/// [`CutGlobs`] being collected.
#[derive(Default)]
struct CutBuilder {
    dirs: Vec<globset::Glob>,
    owners: Vec<u32>,
    any_dir: Vec<u32>,
    top: Vec<u32>,
    names: Vec<(NameTest, u32)>,
}

impl CutBuilder {
    fn add(&mut self, cut: BuiltCut, pattern: u32) {
        let index = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push((cut.name, pattern));
        match cut.dir {
            BuiltDir::Top => self.top.push(index),
            BuiltDir::Any => self.any_dir.push(index),
            BuiltDir::Globs(globs) => {
                for glob in globs {
                    self.dirs.push(glob);
                    self.owners.push(index);
                }
            }
        }
    }

    fn finish(self) -> Result<Option<CutGlobs>, FilterError> {
        if self.names.is_empty() {
            return Ok(None);
        }
        Ok(Some(CutGlobs {
            dirs: build_set(self.dirs)?,
            owners: self.owners,
            any_dir: self.any_dir,
            top: self.top,
            names: self.names,
        }))
    }
}

/// What applies to the paths under one directory (see [`Shape`]).
#[derive(Debug, Clone, Default)]
pub(crate) struct DirRules {
    /// Every path under the directory matches (`dir/**`; the gates of programs).
    pub(crate) under: Vec<GlobTarget>,
    /// File name globs of the paths directly in the directory (`dir/*.txt`).
    pub(crate) names: Vec<(NameGlob, GlobTarget)>,
    /// Globs anchored at the directory that need the whole path (`dir/**/x/**`).
    pub(crate) globs: Option<TargetedGlobs>,
    /// Globs anchored at the directory, cut at their last `/` (`dir/*/x`, `dir/**/*.ts`).
    pub(crate) cut: Option<CutGlobs>,
    /// Some key of [`Compiled::exact`] is a path directly in this directory.
    pub(crate) has_exact: bool,
}

/// All patterns of all filters, deduplicated and compiled so that each path costs a few
/// lookups: most globs are anchored at a literal directory and are only looked at for the
/// paths under it; the rest share one `GlobSet`.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    /// Number of distinct patterns; pattern ids are `0..patterns`.
    pub(crate) patterns: usize,
    /// The globs with no literal directory (`**/*.md`), and what each stands for (a
    /// pattern may need several globs).
    pub(crate) globset: TargetedGlobs,
    /// The globs with no literal directory that could be cut at their last `/`.
    pub(crate) cut: Option<CutGlobs>,
    /// File name globs of every path (`**/*.md`), when there are few (else in `globset`).
    pub(crate) any_names: Vec<(NameGlob, GlobTarget)>,
    /// Directory (no trailing `/`; `""` for the top) → its rules.
    pub(crate) dirs: FastMap<String, DirRules>,
    /// Whole paths: globs without wildcards, and picomatch's "a path equal to the pattern
    /// text matches".
    pub(crate) exact: FastMap<String, Vec<GlobTarget>>,
    /// Patterns globset cannot express.
    pub(crate) programs: Vec<ProgramEntry>,
}

/// Collects the distinct patterns of all filters and their compiled form.
#[derive(Default)]
pub(super) struct Builder {
    ids: HashMap<String, u32>,
    /// Globs with their required suffix ([`gantry_glob::Printed::required_suffix`]).
    globs: Vec<(globset::Glob, String)>,
    glob_target: Vec<GlobTarget>,
    any_names: Vec<(NameGlob, (globset::Glob, String), GlobTarget)>,
    cut: CutBuilder,
    dirs: HashMap<String, DirBuilder>,
    exact: FastMap<String, Vec<GlobTarget>>,
    programs: Vec<ProgramEntry>,
}

/// More `**/name` globs than this go to the `GlobSet`, which looks up extensions in a table
/// instead of trying each glob.
const MAX_ANY_NAMES: usize = 16;

#[derive(Default)]
struct DirBuilder {
    under: Vec<GlobTarget>,
    names: Vec<(NameGlob, GlobTarget)>,
    globs: Vec<(globset::Glob, String)>,
    targets: Vec<GlobTarget>,
    cut: CutBuilder,
    has_exact: bool,
}

/// globset options that give picomatch's `*` and `?` (never across `/`).
fn build_glob(text: &str) -> Option<globset::Glob> {
    GlobBuilder::new(text)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .ok()
}

fn build_set(globs: Vec<globset::Glob>) -> Result<GlobSet, FilterError> {
    let mut set = GlobSetBuilder::new();
    for g in globs {
        set.add(g);
    }
    set.build().map_err(|e| FilterError::Yaml {
        message: format!("internal error compiling globs: {e}"),
    })
}

impl Builder {
    /// Interns one glob (without its `!`), compiling it the first time it is seen.
    pub(super) fn pattern(&mut self, glob: &Glob) -> u32 {
        if let Some(id) = self.ids.get(&glob.body_text) {
            return *id;
        }
        let id = u32::try_from(self.ids.len()).unwrap_or(u32::MAX);
        self.ids.insert(glob.body_text.clone(), id);
        // Our printer only emits syntax globset accepts; should globset ever refuse one, the
        // pattern still works through the (slower) program.
        type Built = (Shape, Option<(globset::Glob, String)>, Option<BuiltCut>);
        let built: Option<Vec<Built>> = gantry_glob::to_globset(glob).and_then(|printed| {
            printed
                .into_iter()
                .map(|p| match p.shape {
                    Shape::Exact(_) | Shape::Under(_) | Shape::Name { .. } => {
                        Some((p.shape, None, None))
                    }
                    Shape::AnyName(_) | Shape::In(_) | Shape::Anywhere => {
                        let suffix = p.required_suffix();
                        let cut = match p.shape {
                            Shape::AnyName(_) => None,
                            _ => p.cut().and_then(BuiltCut::new),
                        };
                        Some((p.shape, Some((build_glob(&p.text)?, suffix)), cut))
                    }
                })
                .collect()
        });
        let target = GlobTarget::Pattern(id);
        match built {
            Some(globs) => {
                for (shape, glob, cut) in globs {
                    match (shape, glob, cut) {
                        (Shape::Exact(path), _, _) => self.exact_path(path, target),
                        (Shape::Under(dir), _, _) => {
                            self.dirs.entry(dir).or_default().under.push(target);
                        }
                        (Shape::Name { dir, name }, _, _) => {
                            self.dirs.entry(dir).or_default().names.push((name, target));
                        }
                        (Shape::AnyName(name), Some(g), _) => {
                            self.any_names.push((name, g, target));
                        }
                        (Shape::In(dir), _, Some(cut)) => {
                            self.dirs.entry(dir).or_default().cut.add(cut, id);
                        }
                        (Shape::In(dir), Some(g), None) => {
                            let rules = self.dirs.entry(dir).or_default();
                            rules.globs.push(g);
                            rules.targets.push(target);
                        }
                        (_, _, Some(cut)) => self.cut.add(cut, id),
                        (_, Some(g), None) => {
                            self.globs.push(g);
                            self.glob_target.push(target);
                        }
                        (_, None, None) => {}
                    }
                }
            }
            None => {
                // Programs are slow next to globset; the pattern's literal directory says
                // which paths one is worth running for.
                let prefix = gantry_glob::required_prefix(glob);
                let index = u32::try_from(self.programs.len()).unwrap_or(u32::MAX);
                let gate = prefix.rfind('/').filter(|&slash| slash > 0);
                if let Some(slash) = gate {
                    self.dirs
                        .entry(prefix[..slash].to_owned())
                        .or_default()
                        .under
                        .push(GlobTarget::Program(index));
                }
                self.programs.push(ProgramEntry {
                    pattern: id,
                    program: Program::compile(glob),
                    prefix,
                    gated: gate.is_some(),
                });
            }
        }
        id
    }

    /// A path that matches `target` as a whole.
    fn exact_path(&mut self, path: String, target: GlobTarget) {
        let dir = path.rsplit_once('/').map_or("", |(dir, _)| dir);
        if let Some(rules) = self.dirs.get_mut(dir) {
            rules.has_exact = true;
        } else {
            self.dirs.insert(
                dir.to_owned(),
                DirBuilder {
                    has_exact: true,
                    ..DirBuilder::default()
                },
            );
        }
        let targets = self.exact.entry(path).or_default();
        if !targets.contains(&target) {
            targets.push(target);
        }
    }

    /// Registers picomatch's "a path equal to the pattern text matches" for a positive use.
    pub(super) fn literal(&mut self, glob: &Glob, id: u32) {
        let special = glob
            .body_text
            .chars()
            .any(|c| "*?[]{}()!|+@\"\\".contains(c))
            || glob.body_text.starts_with("./");
        if special {
            self.exact_path(glob.body_text.clone(), GlobTarget::Pattern(id));
        }
    }

    pub(super) fn finish(mut self) -> Result<Compiled, FilterError> {
        let mut any_names = Vec::with_capacity(self.any_names.len());
        if self.any_names.len() > MAX_ANY_NAMES {
            for (_, g, target) in self.any_names {
                self.globs.push(g);
                self.glob_target.push(target);
            }
        } else {
            any_names.extend(self.any_names.into_iter().map(|(name, _, t)| (name, t)));
        }
        let globset = TargetedGlobs::new(self.globs, self.glob_target)?;
        let mut dirs = FastMap::default();
        dirs.reserve(self.dirs.len());
        for (dir, rules) in self.dirs {
            let globs = if rules.globs.is_empty() {
                None
            } else {
                Some(TargetedGlobs::new(rules.globs, rules.targets)?)
            };
            dirs.insert(
                dir,
                DirRules {
                    under: rules.under,
                    names: rules.names,
                    globs,
                    cut: rules.cut.finish()?,
                    has_exact: rules.has_exact,
                },
            );
        }
        Ok(Compiled {
            patterns: self.ids.len(),
            globset,
            cut: self.cut.finish()?,
            any_names,
            dirs,
            exact: self.exact,
            programs: self.programs,
        })
    }
}

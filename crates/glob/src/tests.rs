//! Every row of the picomatch table through both engines, through the public API only.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::picomatch_table as table;
use crate::{Glob, Program, Shape, parse, to_globset};

fn decide(glob: &Glob, path: &str, inner: bool) -> bool {
    let inner = inner || (!glob.negated && path == glob.body_text);
    inner != glob.negated
}

fn by_program(pattern: &str, path: &str) -> bool {
    let glob = parse(pattern).unwrap();
    decide(&glob, path, Program::compile(&glob).is_match(path))
}

fn by_globset(pattern: &str, path: &str) -> Option<bool> {
    let glob = parse(pattern).unwrap();
    let printed = to_globset(&glob)?;
    let inner = printed.iter().any(|p| {
        let t = &p.text;
        let by_glob = ::globset::GlobBuilder::new(t)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .unwrap_or_else(|e| panic!("{pattern} printed as {t}: {e}"))
            .compile_matcher()
            .is_match(path);
        // The shape is only ever a shortcut: it must agree with the glob.
        let under = |dir: &str| path.starts_with(&format!("{dir}/"));
        // As `matching` reads a path: its directory (`None`: the top) and file name.
        let (parent, name) = match path.rsplit_once('/') {
            Some((parent, name)) => (Some(parent), name),
            None => (None, path),
        };
        let by_shape = match &p.shape {
            Shape::Exact(exact) => Some(path == exact),
            Shape::Under(dir) => Some(under(dir)),
            Shape::Name { dir, name: glob } => Some(
                parent.map_or(dir.is_empty(), |parent| !dir.is_empty() && parent == dir)
                    && glob.is_match(name),
            ),
            Shape::AnyName(glob) => Some(glob.is_match(name)),
            Shape::In(dir) => (!under(dir)).then_some(false),
            Shape::Anywhere => None,
        };
        if let Some(by_shape) = by_shape {
            assert_eq!(
                by_shape, by_glob,
                "{pattern} ({t}, {:?}) on {path}",
                p.shape
            );
        }
        by_glob
    });
    Some(decide(&glob, path, inner))
}

/// Both engines agree with the table on every row, so whichever one a pattern lands on,
/// the result is the same.
#[test]
fn both_engines_follow_the_table() {
    let mut wrong = vec![];
    for &(pattern, path, want) in table::TABLE {
        if by_program(pattern, path) != want {
            wrong.push(format!("program: {pattern:?} on {path:?} should be {want}"));
        }
        if let Some(got) = by_globset(pattern, path)
            && got != want
        {
            wrong.push(format!("globset: {pattern:?} on {path:?} should be {want}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Every path a printed glob matches ends with its required suffix, on every row.
#[test]
fn printed_globs_match_only_paths_with_their_required_suffix() {
    for &(pattern, path, _) in table::TABLE {
        let Some(printed) = to_globset(&parse(pattern).unwrap()) else {
            continue;
        };
        for p in printed {
            let matches = ::globset::GlobBuilder::new(&p.text)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .unwrap()
                .compile_matcher()
                .is_match(path);
            let suffix = p.required_suffix();
            assert!(
                !matches || path.ends_with(&suffix),
                "{pattern} ({}) matches {path} without {suffix:?}",
                p.text
            );
        }
    }
}

/// A printed glob cut at its last `/` matches, on every row, exactly the paths whose
/// directory matches the directory part and whose file name matches the name part.
#[test]
fn cut_globs_match_like_the_whole_glob() {
    let matcher = |text: &str| {
        ::globset::GlobBuilder::new(text)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .unwrap()
            .compile_matcher()
    };
    let mut cut = 0;
    for &(pattern, path, _) in table::TABLE {
        let Some(printed) = to_globset(&parse(pattern).unwrap()) else {
            continue;
        };
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        for p in printed {
            let Some(c) = p.cut() else {
                continue;
            };
            cut += 1;
            let by_dir = match &c.dir {
                crate::CutDir::Top => !path.contains('/'),
                crate::CutDir::Any => true,
                crate::CutDir::Globs(globs) => {
                    path.contains('/') && globs.iter().any(|g| matcher(g).is_match(dir))
                }
            };
            let by_name = match &c.name {
                crate::CutName::Star(glob) => glob.is_match(name),
                crate::CutName::Glob(glob) => matcher(glob).is_match(name),
            };
            assert_eq!(
                by_dir && by_name,
                matcher(&p.text).is_match(path),
                "{pattern} ({}, {c:?}) on {path}",
                p.text
            );
        }
    }
    assert!(cut > 100, "{cut}");
}

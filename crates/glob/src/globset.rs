//! The fast path: a [`Glob`] printed as globset globs, each with the [`Shape`] of the paths it
//! can match.

use crate::{Class, Glob, Gs, Node, Seq};

/// At most this many brace/class variants per pattern go to globset; more use the program.
const MAX_VARIANTS: usize = 64;

#[derive(Clone, Copy)]
enum Flat<'a> {
    Lit(char),
    Any,
    Star,
    Gs(Gs),
    Class(&'a Class),
}

/// Where the paths a printed glob matches can be, so that most globs never reach a
/// `GlobSet`: a monorepo's filters are mostly `dir/**` and `dir/*.ext`, and a path only needs
/// the globs of the directories it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// No wildcard: matches exactly this path.
    Exact(String),
    /// `dir/**`: matches every path under `dir/`.
    Under(String),
    /// `dir/*.txt` (`dir` may be `""`, the top): matches the paths directly in `dir` whose
    /// file name matches.
    Name {
        /// The directory, without a trailing `/`.
        dir: String,
        /// What the file name must match.
        name: NameGlob,
    },
    /// `**/*.md`: matches every path whose file name matches.
    AnyName(NameGlob),
    /// Matches only paths under `dir/`, and needs the glob to tell which.
    In(String),
    /// No literal directory to anchor it (`*/src/**`).
    Anywhere,
}

/// A file name pattern made of literal text and `*` (any run of characters; a file name has
/// no `/`), matched without a regex: `*.txt`, `Dockerfile*`, `*_test.*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameGlob {
    /// The literal text between the stars: one more piece than there are stars.
    pub(crate) pieces: Vec<String>,
}

impl NameGlob {
    /// Whether the file name `name` (no `/`) matches.
    pub fn is_match(&self, name: &str) -> bool {
        let [first, middle @ .., last] = self.pieces.as_slice() else {
            return self.pieces.first().is_some_and(|only| only == name);
        };
        if middle.is_empty() {
            // One star (`*.md`, `Dockerfile*`): a prefix and a suffix that do not overlap.
            let (name, first, last) = (name.as_bytes(), first.as_bytes(), last.as_bytes());
            return name.len() >= first.len() + last.len()
                && same(&name[..first.len()], first)
                && same(&name[name.len() - last.len()..], last);
        }
        let Some(rest) = name.strip_prefix(first.as_str()) else {
            return false;
        };
        let Some(mut rest) = rest.strip_suffix(last.as_str()) else {
            return false;
        };
        // With stars only, taking each piece where it first occurs never loses a match.
        for piece in middle {
            match rest.find(piece.as_str()) {
                Some(at) => rest = &rest[at + piece.len()..],
                None => return false,
            }
        }
        true
    }
}

impl Printed {
    /// Text that every path the glob matches ends with (its literal text after the last
    /// wildcard; empty when it ends with one): a path without it need not be tried.
    #[must_use]
    pub fn required_suffix(&self) -> String {
        let mut suffix = String::new();
        // A leading `**/` may match nothing, its slash included.
        let text = self.text.strip_prefix("**/").unwrap_or(&self.text);
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => suffix.extend(chars.next()),
                '*' | '?' => suffix.clear(),
                '[' => {
                    // A class as `print_class` writes it: no `]` inside.
                    chars.by_ref().find(|&c| c == ']');
                    suffix.clear();
                }
                c => suffix.push(c),
            }
        }
        suffix
    }
}

/// `a == b` for the short texts of file names, last byte first (where names differ most:
/// `.ts` and `.md`), without a call to `memcmp`.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().rev().zip(b.iter().rev()).all(|(x, y)| x == y)
}

/// `start` followed by `rest` as a [`NameGlob`], if that is all it is.
fn name_glob(start: &str, rest: &[Flat<'_>]) -> Option<NameGlob> {
    let mut pieces = vec![start.to_owned()];
    for flat in rest {
        match flat {
            Flat::Lit('/') => return None,
            Flat::Lit(c) => pieces.last_mut()?.push(*c),
            Flat::Star => pieces.push(String::new()),
            _ => return None,
        }
    }
    (pieces.len() > 1).then_some(NameGlob { pieces })
}

/// One globset glob of a pattern: its text in globset's syntax, and its [`Shape`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Printed {
    /// The glob in globset's syntax, for a `globset::GlobBuilder` with
    /// `literal_separator(true)` (picomatch's `*` and `?` never cross `/`) and
    /// `backslash_escape(true)`.
    pub text: String,
    /// Where the paths it matches can be. [`Shape::Exact`], [`Shape::Under`], [`Shape::Name`]
    /// and [`Shape::AnyName`] match exactly the paths the glob does, so the glob need not be
    /// built; [`Shape::In`] only narrows them to a directory and [`Shape::Anywhere`] not at all.
    pub shape: Shape,
}

/// Globset globs whose union is exactly this glob's body (negation and the "path equals the
/// pattern text" rule aside, see the crate docs), or `None` when globset cannot express it:
/// the caller then compiles a [`Program`](crate::Program).
pub fn to_globset(glob: &Glob) -> Option<Vec<Printed>> {
    let mut variants: Vec<Vec<Flat<'_>>> = vec![];
    for alt in &glob.alts {
        variants.extend(expand(alt)?);
        if variants.len() > MAX_VARIANTS {
            return None;
        }
    }
    let printed = |variant: &[Flat<'_>]| {
        Some(Printed {
            text: print_variant(variant)?,
            shape: shape(variant),
        })
    };
    let mut out = vec![];
    for variant in &variants {
        out.push(printed(variant)?);
        if let Some((Flat::Gs(Gs::Suffix), before)) = variant.split_last() {
            // picomatch: `dir/**` also matches `dir`.
            out.push(printed(before)?);
        }
    }
    Some(out)
}

/// The [`Shape`] of a variant that [`print_variant`] accepts.
fn shape(variant: &[Flat<'_>]) -> Shape {
    let literal: String = variant
        .iter()
        .map_while(|flat| match flat {
            Flat::Lit(c) => Some(*c),
            _ => None,
        })
        .collect();
    let rest = &variant[literal.chars().count()..];
    match rest {
        [] => Shape::Exact(literal),
        [Flat::Gs(Gs::Suffix)] if !literal.is_empty() => Shape::Under(literal),
        // `a/**/b`: the `/**/` begins with the slash that ends the directory.
        [Flat::Gs(Gs::Middle), ..] if !literal.is_empty() => Shape::In(literal),
        [Flat::Gs(Gs::Prefix), name @ ..] if literal.is_empty() => {
            name_glob("", name).map_or(Shape::Anywhere, Shape::AnyName)
        }
        _ => {
            // A leading `/` never matches (git paths are relative): no shortcut for it.
            let (dir, start) = match literal.rfind('/') {
                Some(0) => return Shape::Anywhere,
                Some(slash) => (&literal[..slash], &literal[slash + 1..]),
                None => ("", literal.as_str()),
            };
            match name_glob(start, rest) {
                Some(name) => Shape::Name {
                    dir: dir.to_owned(),
                    name,
                },
                None if dir.is_empty() => Shape::Anywhere,
                None => Shape::In(dir.to_owned()),
            }
        }
    }
}

fn expand(seq: &Seq) -> Option<Vec<Vec<Flat<'_>>>> {
    let mut variants: Vec<Vec<Flat<'_>>> = vec![Vec::with_capacity(seq.len())];
    for node in seq {
        // A node with one reading (most of them) extends every variant in place.
        let single = match node {
            Node::Lit(c) => Some(Flat::Lit(*c)),
            Node::Any => Some(Flat::Any),
            Node::Star => Some(Flat::Star),
            Node::Globstar(kind) if *kind != Gs::Bare => Some(Flat::Gs(*kind)),
            Node::Class(class) if class.literal.is_none() => Some(Flat::Class(class)),
            _ => None,
        };
        if let Some(flat) = single {
            for variant in &mut variants {
                variant.push(flat);
            }
            continue;
        }
        let options: Vec<Vec<Flat<'_>>> = match node {
            Node::Lit(c) => vec![vec![Flat::Lit(*c)]],
            Node::Any => vec![vec![Flat::Any]],
            Node::Star => vec![vec![Flat::Star]],
            Node::Globstar(Gs::Bare) => return None,
            Node::Globstar(kind) => vec![vec![Flat::Gs(*kind)]],
            Node::Class(class) => {
                let mut options = vec![vec![Flat::Class(class)]];
                if let Some(literal) = &class.literal {
                    options.push(literal.chars().map(Flat::Lit).collect());
                }
                options
            }
            Node::Alt(alts) => {
                let mut options = vec![];
                for alt in alts {
                    options.extend(expand(alt)?);
                    if options.len() > MAX_VARIANTS {
                        return None;
                    }
                }
                options
            }
            Node::Repeat { .. } | Node::Negate { .. } => return None,
        };
        let mut next = Vec::with_capacity(variants.len() * options.len());
        for variant in &variants {
            for option in &options {
                let mut v = variant.clone();
                v.extend_from_slice(option);
                next.push(v);
            }
        }
        if next.len() > MAX_VARIANTS {
            return None;
        }
        variants = next;
    }
    Some(variants)
}

fn print_variant(variant: &[Flat<'_>]) -> Option<String> {
    let mut s = String::new();
    let last = variant.len().saturating_sub(1);
    for (i, flat) in variant.iter().enumerate() {
        match flat {
            Flat::Lit(c) => {
                if matches!(
                    c,
                    '*' | '?' | '[' | ']' | '{' | '}' | '\\' | ',' | '!' | '^'
                ) {
                    s.push('\\');
                }
                s.push(*c);
            }
            Flat::Any => s.push('?'),
            Flat::Star => s.push('*'),
            Flat::Gs(Gs::Whole) if variant.len() == 1 => s.push_str("**"),
            Flat::Gs(Gs::Prefix) if i == 0 => s.push_str("**/"),
            Flat::Gs(Gs::Middle) if i > 0 => s.push_str("/**/"),
            Flat::Gs(Gs::Suffix) if i == last && i > 0 => s.push_str("/**"),
            Flat::Gs(_) => return None,
            Flat::Class(class) => print_class(class, &mut s)?,
        }
    }
    // globset reads `/**/` at the very end, or a lone `**/`, differently: keep those exact.
    if s.ends_with("**/") && s.len() > 3 || s == "**/" {
        return None;
    }
    Some(s)
}

fn print_class(class: &Class, s: &mut String) -> Option<()> {
    let awkward = |c: char| matches!(c, '[' | ']' | '\\' | '-' | '!' | '^');
    let mut body = String::new();
    let mut dash = false;
    for &(lo, hi) in &class.ranges {
        if lo == hi && lo == '-' {
            dash = true;
        } else if awkward(lo) || awkward(hi) {
            return None;
        } else if lo == hi {
            body.push(lo);
        } else {
            body.push(lo);
            body.push('-');
            body.push(hi);
        }
    }
    if body.is_empty() {
        return None;
    }
    s.push('[');
    if class.negated {
        s.push('!');
        body.push('/');
    }
    s.push_str(&body);
    if dash {
        s.push('-');
    }
    s.push(']');
    Some(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::parse;

    #[test]
    fn globset_is_used_where_it_can_express_the_pattern() {
        // Groups without repetition or negation expand into several globs.
        for plain in [
            "src/**",
            "**/*.md",
            "*.{js,ts}",
            "a/**/b",
            "[abc].txt",
            "{a,b}/**",
            "@(a|b)",
            "src/(a|b)/x",
        ] {
            assert!(to_globset(&parse(plain).unwrap()).is_some(), "{plain}");
        }
        for complex in ["!(a|b)", "*(a|b)", "x+(a)", "[0-9]+", "{**/a,b}", "a/[!]x]"] {
            assert!(to_globset(&parse(complex).unwrap()).is_none(), "{complex}");
        }
    }

    #[test]
    fn dir_globstar_also_matches_the_dir() {
        let printed = to_globset(&parse("services/api/**").unwrap()).unwrap();
        assert_eq!(
            printed,
            vec![
                Printed {
                    text: "services/api/**".to_string(),
                    shape: Shape::Under("services/api".to_string())
                },
                Printed {
                    text: "services/api".to_string(),
                    shape: Shape::Exact("services/api".to_string())
                }
            ]
        );
    }

    #[test]
    fn shapes_anchor_globs_at_their_literal_directory() {
        let shapes = |pattern: &str| -> Vec<Shape> {
            to_globset(&parse(pattern).unwrap())
                .unwrap()
                .into_iter()
                .map(|p| p.shape)
                .collect()
        };
        let s = |text: &str| text.to_string();
        let name = |dir: &str, pieces: &[&str]| Shape::Name {
            dir: s(dir),
            name: NameGlob {
                pieces: pieces.iter().map(|p| s(p)).collect(),
            },
        };
        let any = |pieces: &[&str]| {
            Shape::AnyName(NameGlob {
                pieces: pieces.iter().map(|p| s(p)).collect(),
            })
        };
        assert_eq!(
            shapes("other/svc1/*.txt"),
            [name("other/svc1", &["", ".txt"])]
        );
        assert_eq!(shapes("a/b/x*y*z"), [name("a/b", &["x", "y", "z"])]);
        assert_eq!(shapes("*.md"), [name("", &["", ".md"])]);
        assert_eq!(shapes("**/*.md"), [any(&["", ".md"])]);
        assert_eq!(shapes("**/Dockerfile*"), [any(&["Dockerfile", ""])]);
        assert_eq!(shapes("a/?.md"), [Shape::In(s("a"))]);
        assert_eq!(shapes("a/**/b"), [Shape::In(s("a"))]);
        assert_eq!(shapes("a/b/**/c/*"), [Shape::In(s("a/b"))]);
        assert_eq!(shapes("a/*/c"), [Shape::In(s("a"))]);
        assert_eq!(shapes("**/a/*.md"), [Shape::Anywhere]);
        assert_eq!(shapes("?.md"), [Shape::Anywhere]);
        assert_eq!(shapes("a*/b"), [Shape::Anywhere]);
        assert_eq!(shapes("README.md"), [Shape::Exact(s("README.md"))]);
        assert_eq!(
            shapes("{a,b/c}/**"),
            [
                Shape::Under(s("a")),
                Shape::Exact(s("a")),
                Shape::Under(s("b/c")),
                Shape::Exact(s("b/c"))
            ]
        );
        assert_eq!(
            shapes("src/[ab]/x"),
            [Shape::In(s("src")), Shape::Exact(s("src/[ab]/x"))]
        );
    }

    #[test]
    fn required_suffixes_are_the_literal_text_after_the_last_wildcard() {
        let suffixes = |pattern: &str| -> Vec<String> {
            to_globset(&parse(pattern).unwrap())
                .unwrap()
                .iter()
                .map(Printed::required_suffix)
                .collect()
        };
        assert_eq!(suffixes("apps/*/config/*.json"), [".json"]);
        assert_eq!(suffixes("apps/svc0[0-4]/src/**/*.tsx"), [".tsx"]);
        assert_eq!(suffixes("a/**/b"), ["/b"]);
        assert_eq!(suffixes("**/foo"), ["foo"]);
        assert_eq!(suffixes("**/*.md"), [".md"]);
        assert_eq!(suffixes("src/**"), ["", "src"]);
        assert_eq!(suffixes("a/[xy]"), ["", "a/[xy]"]);
        assert_eq!(suffixes("a/*.\\*x"), [".*x"]);
        assert_eq!(suffixes("*.{js,ts}"), [".js", ".ts"]);
        assert_eq!(suffixes("x/?"), [""]);
    }

    /// The star-only name matcher agrees with globset on every name over a small alphabet.
    #[test]
    fn name_globs_match_like_globset() {
        let alphabet = ['a', 'b', '.'];
        let mut names = vec![String::new()];
        for len in 1..=4 {
            let mut next = vec![];
            for name in names.iter().filter(|n| n.chars().count() == len - 1) {
                for c in alphabet {
                    next.push(format!("{name}{c}"));
                }
            }
            names.extend(next);
        }
        for pattern in [
            "*", "*a", "a*", "*.a", "a*b", "*a*", "a*a", "*ab*a", "a*b*a", "ab*ba", "*.*", "a**b",
            ".*", "*.",
        ] {
            let glob = parse(&format!("d/{pattern}")).unwrap();
            let printed = to_globset(&glob).unwrap();
            let [
                Printed {
                    text,
                    shape: Shape::Name { name, .. },
                },
            ] = printed.as_slice()
            else {
                panic!("{pattern}: {printed:?}");
            };
            let matcher = ::globset::GlobBuilder::new(text)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .unwrap()
                .compile_matcher();
            for n in &names {
                assert_eq!(
                    name.is_match(n),
                    matcher.is_match(format!("d/{n}")),
                    "{pattern} on {n:?}"
                );
            }
        }
    }
}

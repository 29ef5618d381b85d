//! Glob syntax of picomatch (with `{dot: true}`), the matcher dorny/paths-filter uses.
//!
//! [`parse`] reads one pattern into a [`Glob`]: whether it is negated, its text, and a small
//! tree of its syntax. Two engines match that tree, and they agree on every row of the
//! picomatch table (this crate's tests run each row through both):
//! - [`to_globset`] prints each brace-expanded variant in globset's syntax (the fast path:
//!   one `GlobSet` for every pattern of every filter). Each [`Printed`] glob comes with its
//!   [`Shape`], where the paths it matches can be, so that most globs are only looked at for
//!   the paths under their literal directory, and file names such as `dir/*.txt` are matched
//!   by a [`NameGlob`] without a regex.
//! - [`Program`] compiles the tree to a tiny backtracking program for what globset cannot
//!   express: extglobs (`@(a|b)`, `?(a)`, `*(a)`, `+(a)`, `!(a)`), `(a|b)` groups, `[...]+`,
//!   globstars inside groups. `!(...)` needs a negative lookahead, which the `regex` crate
//!   does not have; the program implements picomatch's lookahead semantics directly.
//!   [`required_prefix`] tells which paths a program is worth running for.
//!
//! Either engine answers for the glob's body. A [`Glob`] matches a path when the engine does
//! or, unless it is negated, when the path equals [`Glob::body_text`]; a negated glob matches
//! the paths its body does not. A pattern is rejected with a [`GlobError`] whose text tells
//! the user what is valid.
//!
//! Why our own parser rather than handing the text to `globset`: picomatch and globset
//! disagree on enough inputs that a drop-in cannot pass patterns through unchanged.
//!
//! picomatch behaviours reproduced here (each one checked against picomatch 2.3.1 and 4.0.7):
//! - `*` and `?` never cross `/`; `**` crosses only as a whole path segment (`a/**b` is `a/*b`).
//! - `dir/**` also matches `dir` itself, but only when `/**` ends the pattern outside any group.
//! - `**/x` matches `x`; `a/**/b` matches `a/b`.
//! - A pattern matches a path equal to its own text (`file[1].txt` matches that file name).
//! - `[abc]` without regex characters inside also matches the literal text `[abc]`.
//! - `{a}` (no comma) is the literal text `{a}`; `{1..3}` is the character class `[1-3]`
//!   (picomatch sorts the ends as strings, so `{1..10}` is `[1-10]`, i.e. `0` or `1`).
//! - Leading `!` negates, `!!` does not (parity); `!(` is an extglob, not a negation.
//! - A leading `./` is ignored; `"..."` quotes make their content literal.
//! - Outside the plain fast path (a pattern with `/`, brackets, braces, parens, quotes or a
//!   leading `*`/`!`), a top-level `|` separates alternatives: `src/a|b` matches `b`.
//! - `!(alts)` at the end of a pattern means "the rest is not one of alts"; in the middle it
//!   means "the rest does not start with one of alts" (`a/!(b)/c` does not match `a/bb/c`).
//!
//! Deliberate differences (documented for the README's migration table):
//! - `[!abc]` is a negated class (as in bash, git and globset). picomatch without its `posix`
//!   option reads it as the class `!`, `a`, `b`, `c`.
//! - Invalid globs are errors. picomatch silently compiles them to a regex that never matches.
//! - Regex syntax that picomatch passes through inside parentheses (`(?=..)`, `a+` inside a
//!   group, `\d`) is read as literal glob text; a `+` directly after `]`, `)` or `}` is the
//!   one-or-more quantifier, as in picomatch.
//! - `.` and `..` path segments get no special treatment: git never produces them.

#![warn(missing_docs)]

mod cut;
mod globset;
mod parse;
mod program;

#[cfg(any(test, feature = "test-util"))]
#[doc(hidden)]
pub mod picomatch_table;
#[cfg(test)]
mod tests;

pub use cut::{Cut, CutDir, CutName};
pub use globset::{NameGlob, Printed, Shape, to_globset};
pub use parse::{GlobError, parse};
pub use program::{Program, Scratch, required_prefix};

/// A parsed glob (see [`parse`]).
#[derive(Debug, Clone)]
pub struct Glob {
    /// A leading `!` (odd count) negates the whole pattern.
    pub negated: bool,
    /// The pattern without its negation prefix; a path equal to it matches (picomatch).
    pub body_text: String,
    /// Top-level alternatives (a top-level `|` outside picomatch's fast path).
    pub(crate) alts: Vec<Seq>,
}

pub(crate) type Seq = Vec<Node>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    Lit(char),
    /// `?`: one character other than `/`.
    Any,
    /// `*`: any run of characters other than `/`.
    Star,
    Globstar(Gs),
    Class(Class),
    Alt(Vec<Seq>),
    /// `?(..)` (0..=1), `*(..)` (0..), `+(..)` (1..), and `[..]+` / `(..)+`.
    Repeat {
        alts: Vec<Seq>,
        min_one: bool,
        max_one: bool,
    },
    /// `!(..)`: see the crate docs.
    Negate {
        alts: Vec<Seq>,
        cross_slash: bool,
        look: Look,
    },
}

/// Where a `**` stands decides what it matches (picomatch's regex for each case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gs {
    /// The whole pattern is `**`: anything.
    Whole,
    /// `**/` at the start: nothing, or any directories.
    Prefix,
    /// `/**/` in the middle (both slashes included): `/` or `/any/`.
    Middle,
    /// `/**` at the end (slash included): end of path, or `/` and anything.
    Suffix,
    /// Anywhere else where picomatch keeps a globstar (inside groups): anything.
    Bare,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Look {
    /// `!(a)` ends the pattern: the rest of the path is not `a`.
    End,
    /// The rest of the path does not start with `a`.
    Prefix,
    /// `!(*.x).ext`: the rest does not start with `a` followed by `.ext`.
    Rest(Seq),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Class {
    pub negated: bool,
    pub ranges: Vec<(char, char)>,
    /// picomatch also matches the bracket text literally when it has no regex characters.
    pub literal: Option<String>,
}

impl Class {
    fn matches(&self, c: char) -> bool {
        let inside = self.ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi);
        // picomatch adds `/` to a negated class, so a negated class never matches `/`.
        if self.negated {
            !inside && c != '/'
        } else {
            inside
        }
    }
}

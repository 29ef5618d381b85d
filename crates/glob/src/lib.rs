//! Glob syntax of picomatch (with `{dot: true}`), the matcher dorny/paths-filter uses.
//!
//! Why our own parser rather than handing the text to `globset`: picomatch and globset
//! disagree on enough inputs that a drop-in cannot pass patterns through unchanged. We parse
//! picomatch's syntax into a small tree ([`Node`]), then either
//! - print each brace-expanded variant in globset's syntax (the fast path, one `GlobSet` for
//!   every pattern of every filter), or
//! - compile the tree to a tiny backtracking program ([`Program`]) for what globset cannot
//!   express: extglobs (`@(a|b)`, `?(a)`, `*(a)`, `+(a)`, `!(a)`), `(a|b)` groups, `[...]+`,
//!   globstars inside groups. `!(...)` needs a negative lookahead, which the `regex` crate
//!   does not have; the program implements picomatch's lookahead semantics directly.
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

use std::fmt;

#[cfg(any(test, feature = "test-util"))]
pub mod picomatch_table;

/// Why a glob was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GlobError {
    Empty,
    NothingAfterNegation,
    InvalidRange(char, char),
    UnknownPosixClass(String),
    TooLong(usize),
}

impl fmt::Display for GlobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GlobError::Empty => f.write_str("a glob must not be empty"),
            GlobError::NothingAfterNegation => {
                f.write_str("a negation '!' must be followed by a glob")
            }
            GlobError::InvalidRange(lo, hi) => write!(
                f,
                "invalid range '{lo}-{hi}' in a character class: the start is after the end"
            ),
            GlobError::UnknownPosixClass(name) => write!(
                f,
                "unknown POSIX class '[:{name}:]': valid classes are {}",
                POSIX_CLASSES.map(|(n, _)| n).join(", ")
            ),
            GlobError::TooLong(len) => write!(
                f,
                "the glob is {len} characters long: the maximum is {MAX_LENGTH}"
            ),
        }
    }
}

/// picomatch's limit on pattern length.
const MAX_LENGTH: usize = 65536;

/// A parsed glob.
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
    /// `!(..)`: see the module docs.
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

const POSIX_CLASSES: [(&str, &[(char, char)]); 14] = [
    ("alnum", &[('a', 'z'), ('A', 'Z'), ('0', '9')]),
    ("alpha", &[('a', 'z'), ('A', 'Z')]),
    ("ascii", &[('\x00', '\x7f')]),
    ("blank", &[(' ', ' '), ('\t', '\t')]),
    ("cntrl", &[('\x00', '\x1f'), ('\x7f', '\x7f')]),
    ("digit", &[('0', '9')]),
    ("graph", &[('\x21', '\x7e')]),
    ("lower", &[('a', 'z')]),
    ("print", &[('\x20', '\x7e')]),
    ("punct", &[('!', '/'), (':', '@'), ('[', '`'), ('{', '~')]),
    ("space", &[(' ', ' '), ('\t', '\r')]),
    ("upper", &[('A', 'Z')]),
    ("word", &[('A', 'Z'), ('a', 'z'), ('0', '9'), ('_', '_')]),
    ("xdigit", &[('A', 'F'), ('a', 'f'), ('0', '9')]),
];

/// Characters that make picomatch treat a bracket expression as a class only.
const REGEX_CHARS: &str = "-*+?.^${}(|)[]";

/// Parses one glob as picomatch does with `{dot: true}`.
pub fn parse(text: &str) -> Result<Glob, GlobError> {
    if text.is_empty() {
        return Err(GlobError::Empty);
    }
    let chars: Vec<char> = text.chars().collect();
    if chars.len() > MAX_LENGTH {
        return Err(GlobError::TooLong(chars.len()));
    }
    let mut start = 0;
    let mut negated = false;
    if chars[0] == '!' && !is_extglob_open(&chars, 0) {
        let mut count = 1;
        start = 1;
        while start < chars.len() && chars[start] == '!' && !is_extglob_open(&chars, start) {
            count += 1;
            start += 1;
        }
        negated = count % 2 == 1;
        if start == chars.len() {
            return Err(GlobError::NothingAfterNegation);
        }
    }
    let body_text: String = chars[start..].iter().collect();
    if chars[start..].starts_with(&['.', '/']) {
        start += 2;
    }
    // picomatch's fast path (no `/`, brackets, braces, parens, quotes, no leading `*`/`!`)
    // reads `|` literally; the full parser turns a top-level `|` into an alternation.
    let fast = !(matches!(chars[0], '*' | '!')
        || chars
            .iter()
            .any(|c| matches!(c, '/' | '{' | '[' | '(' | ')' | ']' | '}' | '"')));
    let mut parser = Parser {
        chars: &chars,
        i: start,
        fast,
    };
    let alts = parser.alternatives(Ctx::Top)?.alts;
    Ok(Glob {
        negated,
        body_text,
        alts,
    })
}

/// `c(` opens an extglob for `c` in `?*+@!`, unless it is regex syntax `(?`.
fn is_extglob_open(chars: &[char], i: usize) -> bool {
    if !matches!(chars.get(i), Some('?' | '*' | '+' | '@' | '!')) {
        return false;
    }
    if chars.get(i + 1) != Some(&'(') {
        return false;
    }
    if chars.get(i + 2) != Some(&'?') {
        return true;
    }
    // `!(?x` is still a negated extglob unless it is a lookaround `(?!`, `(?=`, ...
    chars[i] == '!' && !matches!(chars.get(i + 3), Some('!' | '=' | '<' | ':'))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Top,
    Brace,
    Paren,
}

/// The token before the current one, as far as `**` cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prior {
    /// Start of the pattern (or of a top-level `|` alternative).
    Bos,
    /// A `/`; `first` if it is the pattern's first character, `after_star` if a star precedes.
    Slash {
        first: bool,
        after_star: bool,
    },
    /// `{`, `,`, `(`, `|` inside a group: picomatch keeps a globstar there.
    GroupStart,
    Star,
    Other,
}

struct Parsed {
    alts: Vec<Seq>,
    comma: bool,
    raw: String,
}

struct Unclosed;

struct Parser<'a> {
    chars: &'a [char],
    i: usize,
    fast: bool,
}

impl Parser<'_> {
    fn peek(&self, n: usize) -> Option<char> {
        self.chars.get(self.i + n).copied()
    }

    /// Parses alternatives up to the closing character of `ctx` (consumed). At the top level
    /// this never fails; in a group, reaching the end is `Unclosed`, which the caller turns
    /// into a literal opening character (as picomatch does).
    fn alternatives(&mut self, ctx: Ctx) -> Result<Parsed, GlobError> {
        match self.group(ctx)? {
            Ok(parsed) => Ok(parsed),
            Err(Unclosed) => Ok(Parsed {
                alts: vec![],
                comma: false,
                raw: String::new(),
            }),
        }
    }

    fn group(&mut self, ctx: Ctx) -> Result<Result<Parsed, Unclosed>, GlobError> {
        let begin = self.i;
        let mut alts: Vec<Seq> = vec![];
        let mut seq: Seq = vec![];
        let mut comma = false;
        let mut prior = if ctx == Ctx::Top {
            Prior::Bos
        } else {
            Prior::GroupStart
        };
        // Only the pattern's very first `/` counts as "first" (picomatch: after `bos`).
        let pattern_start = if ctx == Ctx::Top { self.i } else { usize::MAX };
        while let Some(c) = self.peek(0) {
            // Group terminators and separators.
            match (ctx, c) {
                (Ctx::Brace, '}') | (Ctx::Paren, ')') => {
                    let raw: String = self.chars[begin..self.i].iter().collect();
                    self.i += 1;
                    alts.push(seq);
                    return Ok(Ok(Parsed { alts, comma, raw }));
                }
                (Ctx::Brace, ',') => {
                    self.i += 1;
                    comma = true;
                    alts.push(std::mem::take(&mut seq));
                    prior = Prior::GroupStart;
                    continue;
                }
                (Ctx::Top, '|') if !self.fast => {
                    self.i += 1;
                    alts.push(std::mem::take(&mut seq));
                    prior = Prior::Bos;
                    continue;
                }
                (Ctx::Brace | Ctx::Paren, '|') => {
                    self.i += 1;
                    alts.push(std::mem::take(&mut seq));
                    prior = Prior::GroupStart;
                    continue;
                }
                _ => {}
            }
            prior = self.node(c, ctx, prior, pattern_start, &mut seq)?;
        }
        if ctx == Ctx::Top {
            alts.push(seq);
            let raw: String = self.chars[begin..].iter().collect();
            Ok(Ok(Parsed { alts, comma, raw }))
        } else {
            Ok(Err(Unclosed))
        }
    }

    /// Parses one token starting with `c` and appends it to `seq`; returns the new prior.
    fn node(
        &mut self,
        c: char,
        ctx: Ctx,
        prior: Prior,
        pattern_start: usize,
        seq: &mut Seq,
    ) -> Result<Prior, GlobError> {
        if self.fast {
            self.i += 1;
            return Ok(match c {
                '\\' => {
                    self.escaped(seq);
                    Prior::Other
                }
                '?' => {
                    seq.push(Node::Any);
                    Prior::Other
                }
                '*' => {
                    while self.peek(0) == Some('*') {
                        self.i += 1;
                    }
                    seq.push(Node::Star);
                    Prior::Star
                }
                _ => {
                    seq.push(Node::Lit(c));
                    Prior::Other
                }
            });
        }
        if is_extglob_open(self.chars, self.i) {
            return self.extglob(c, seq);
        }
        match c {
            '\\' => {
                self.i += 1;
                if self.peek(0) == Some('/') {
                    // picomatch drops the backslash and reads `/` as a separator.
                    return Ok(self.slash(prior, pattern_start, seq));
                }
                self.escaped(seq);
                Ok(Prior::Other)
            }
            '/' => Ok(self.slash(prior, pattern_start, seq)),
            '?' => {
                self.i += 1;
                seq.push(Node::Any);
                Ok(Prior::Other)
            }
            '*' => self.star(ctx, prior, seq),
            '[' => {
                self.i += 1;
                if !self.chars[self.i..].contains(&']') {
                    seq.push(Node::Lit('['));
                    return Ok(Prior::Other);
                }
                match self.class()? {
                    Some(class) => {
                        seq.push(Node::Class(class));
                        self.plus_quantifier(seq);
                    }
                    None => seq.push(Node::Lit('[')),
                }
                Ok(Prior::Other)
            }
            '{' => {
                let open = self.i;
                self.i += 1;
                match self.group(Ctx::Brace)? {
                    Err(Unclosed) => {
                        self.i = open + 1;
                        seq.push(Node::Lit('{'));
                    }
                    Ok(parsed) => {
                        seq.extend(brace_nodes(parsed)?);
                        self.plus_quantifier(seq);
                    }
                }
                Ok(Prior::Other)
            }
            '(' => {
                let open = self.i;
                self.i += 1;
                match self.group(Ctx::Paren)? {
                    Err(Unclosed) => {
                        self.i = open + 1;
                        seq.push(Node::Lit('('));
                    }
                    Ok(parsed) => {
                        seq.push(Node::Alt(parsed.alts));
                        self.plus_quantifier(seq);
                    }
                }
                Ok(Prior::Other)
            }
            '"' => {
                self.i += 1;
                while let Some(q) = self.peek(0) {
                    self.i += 1;
                    if q == '"' {
                        break;
                    }
                    seq.push(Node::Lit(q));
                }
                Ok(Prior::Other)
            }
            _ => {
                self.i += 1;
                seq.push(Node::Lit(c));
                Ok(Prior::Other)
            }
        }
    }

    fn escaped(&mut self, seq: &mut Seq) {
        match self.peek(0) {
            Some(next) => {
                self.i += 1;
                seq.push(Node::Lit(next));
            }
            None => seq.push(Node::Lit('\\')),
        }
    }

    fn slash(&mut self, prior: Prior, pattern_start: usize, seq: &mut Seq) -> Prior {
        let first = self.i == pattern_start;
        self.i += 1;
        seq.push(Node::Lit('/'));
        Prior::Slash {
            first,
            after_star: matches!(prior, Prior::Star),
        }
    }

    /// `+` right after a class or group is picomatch's (regex) one-or-more quantifier.
    fn plus_quantifier(&mut self, seq: &mut Seq) {
        if self.peek(0) != Some('+') || is_extglob_open(self.chars, self.i) {
            return;
        }
        if let Some(last) = seq.pop() {
            self.i += 1;
            let alts = match last {
                Node::Alt(alts) => alts,
                other => vec![vec![other]],
            };
            seq.push(Node::Repeat {
                alts,
                min_one: true,
                max_one: false,
            });
        }
    }

    fn star(&mut self, ctx: Ctx, prior: Prior, seq: &mut Seq) -> Result<Prior, GlobError> {
        let mut run = 0;
        while self.peek(run) == Some('*') {
            run += 1;
        }
        // Leave a trailing `*(` to be read as an extglob.
        if run > 1 && is_extglob_open(self.chars, self.i + run - 1) {
            run -= 1;
        }
        self.i += run;
        if run != 2 {
            seq.push(Node::Star);
            return Ok(Prior::Star);
        }
        let segment_start = matches!(prior, Prior::Bos | Prior::Slash { .. } | Prior::GroupStart);
        let next = self.peek(0);
        let group_end = match ctx {
            Ctx::Top => false,
            Ctx::Brace => matches!(next, Some('}' | ',' | '|')),
            Ctx::Paren => matches!(next, Some(')' | '|')),
        };
        if !segment_start || !(next.is_none() || next == Some('/') || group_end) {
            seq.push(Node::Star);
            return Ok(Prior::Star);
        }
        // picomatch collapses `**/**` runs into one globstar.
        while self.chars[self.i..].starts_with(&['/', '*', '*'])
            && matches!(self.peek(3), None | Some('/'))
        {
            self.i += 3;
        }
        let next = self.peek(0);
        let kind = match (prior, next) {
            (Prior::Bos, None) => Gs::Whole,
            (
                Prior::Slash {
                    first: false,
                    after_star: false,
                },
                None,
            ) => Gs::Suffix,
            (Prior::Slash { first: false, .. }, Some('/')) => {
                self.i += 1;
                Gs::Middle
            }
            (Prior::Bos, Some('/')) => {
                self.i += 1;
                Gs::Prefix
            }
            _ => Gs::Bare,
        };
        if matches!(kind, Gs::Suffix | Gs::Middle) {
            // The slash before belongs to the globstar.
            seq.pop();
        }
        seq.push(Node::Globstar(kind));
        Ok(match kind {
            Gs::Middle | Gs::Prefix => Prior::Slash {
                first: false,
                after_star: false,
            },
            _ => Prior::Star,
        })
    }

    fn extglob(&mut self, c: char, seq: &mut Seq) -> Result<Prior, GlobError> {
        let open = self.i;
        self.i += 2;
        let parsed = match self.group(Ctx::Paren)? {
            Ok(parsed) => parsed,
            Err(Unclosed) => {
                self.i = open + 1;
                seq.push(Node::Lit(c));
                return Ok(Prior::Other);
            }
        };
        let node = match c {
            '@' => Node::Alt(parsed.alts),
            '?' => Node::Repeat {
                alts: parsed.alts,
                min_one: false,
                max_one: true,
            },
            '*' => Node::Repeat {
                alts: parsed.alts,
                min_one: false,
                max_one: false,
            },
            '+' => Node::Repeat {
                alts: parsed.alts,
                min_one: true,
                max_one: false,
            },
            _ => {
                let rest = &self.chars[self.i..];
                let cross_slash = parsed.raw.chars().count() > 1 && parsed.raw.contains('/');
                let look = if rest.iter().all(|&r| r == ')') || cross_slash {
                    Look::End
                } else if parsed.raw.contains('*') && is_dot_extension(rest) {
                    let mut sub = Parser {
                        chars: rest,
                        i: 0,
                        fast: false,
                    };
                    let alts = sub.alternatives(Ctx::Top)?.alts;
                    Look::Rest(vec![Node::Alt(alts)])
                } else {
                    Look::Prefix
                };
                Node::Negate {
                    alts: parsed.alts,
                    cross_slash,
                    look,
                }
            }
        };
        seq.push(node);
        Ok(Prior::Other)
    }

    /// A bracket expression; `self.i` is just after `[`. `None` (with `self.i` unchanged)
    /// when no `]` closes it: the `[` is then a literal character.
    fn class(&mut self) -> Result<Option<Class>, GlobError> {
        let content_start = self.i;
        let mut negated = false;
        if matches!(self.peek(0), Some('!' | '^')) {
            negated = true;
            self.i += 1;
        }
        let mut ranges: Vec<(char, char)> = vec![];
        let mut first = true;
        while let Some(c) = self.peek(0) {
            if c == ']' && !first {
                break;
            }
            first = false;
            self.i += 1;
            let lo = match c {
                '\\' => match self.peek(0) {
                    Some(e) => {
                        self.i += 1;
                        e
                    }
                    None => '\\',
                },
                '[' if self.peek(0) == Some(':') => {
                    let rest: String = self.chars[self.i + 1..].iter().collect();
                    if let Some(end) = rest.find(":]") {
                        let name = &rest[..end];
                        let set = POSIX_CLASSES
                            .iter()
                            .find(|(n, _)| *n == name)
                            .ok_or_else(|| GlobError::UnknownPosixClass(name.to_string()))?;
                        ranges.extend_from_slice(set.1);
                        self.i += 1 + name.chars().count() + 2;
                        continue;
                    }
                    '['
                }
                other => other,
            };
            if self.peek(0) == Some('-') && !matches!(self.peek(1), Some(']') | None) {
                self.i += 1;
                let mut hi = self.peek(0).unwrap_or('-');
                self.i += 1;
                if hi == '\\'
                    && let Some(e) = self.peek(0)
                {
                    hi = e;
                    self.i += 1;
                }
                if hi < lo {
                    return Err(GlobError::InvalidRange(lo, hi));
                }
                ranges.push((lo, hi));
            } else {
                ranges.push((lo, lo));
            }
        }
        if self.peek(0) != Some(']') {
            self.i = content_start;
            return Ok(None);
        }
        let content: String = self.chars[content_start..self.i].iter().collect();
        self.i += 1; // `]`
        let literal =
            (!content.chars().any(|c| REGEX_CHARS.contains(c))).then(|| format!("[{content}]"));
        Ok(Some(Class {
            negated,
            ranges,
            literal,
        }))
    }
}

/// picomatch's `/^\.[^\\/.]+$/` test on what follows a `!(...)`.
fn is_dot_extension(rest: &[char]) -> bool {
    rest.len() > 1 && rest[0] == '.' && rest[1..].iter().all(|c| !matches!(c, '\\' | '/' | '.'))
}

/// What a closed `{...}` stands for.
fn brace_nodes(parsed: Parsed) -> Result<Seq, GlobError> {
    if parsed.comma {
        return Ok(vec![Node::Alt(parsed.alts)]);
    }
    if parsed.raw.contains("..") && parsed.alts.len() == 1 {
        // picomatch's expandRange: sort the ends as strings and build `[a-b]`.
        let mut ends: Vec<&str> = parsed.raw.split("..").filter(|s| !s.is_empty()).collect();
        ends.sort_unstable();
        let class_text: Vec<char> = format!("{}]", ends.join("-")).chars().collect();
        let mut sub = Parser {
            chars: &class_text,
            i: 0,
            fast: false,
        };
        return Ok(match sub.class() {
            Ok(Some(mut class)) => {
                class.literal = None;
                vec![Node::Class(class)]
            }
            _ => ends.join("..").chars().map(Node::Lit).collect(),
        });
    }
    // No comma: picomatch keeps the braces as literal text around the content.
    let mut seq = vec![Node::Lit('{')];
    let mut alts = parsed.alts;
    if alts.len() == 1 {
        seq.extend(alts.pop().unwrap_or_default());
    } else {
        seq.push(Node::Alt(alts));
    }
    seq.push(Node::Lit('}'));
    Ok(seq)
}

// ---------------------------------------------------------------------------------------
// globset translation
// ---------------------------------------------------------------------------------------

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
    Name { dir: String, name: NameGlob },
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
    pieces: Vec<String>,
}

impl NameGlob {
    /// `name` is a file name (no `/`).
    pub fn is_match(&self, name: &str) -> bool {
        let [first, middle @ .., last] = self.pieces.as_slice() else {
            return self.pieces.first().is_some_and(|only| only == name);
        };
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
    pub text: String,
    pub shape: Shape,
}

/// Globset globs whose union is exactly this glob's body, or `None` when globset cannot
/// express it (the caller then compiles a [`Program`]).
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

// ---------------------------------------------------------------------------------------
// Backtracking program for what globset cannot express
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Inst {
    Char(char),
    /// Any character except `/`.
    AnyNoSlash,
    /// Any character.
    AnyChar,
    Class(usize),
    /// Try both targets.
    Split(usize, usize),
    Jmp(usize),
    /// Succeeds only at the end of the path.
    End,
    /// A `!(...)` lookahead: succeeds when the sub-program does NOT match here.
    NotAhead(usize),
    Match,
}

#[derive(Debug, Clone)]
struct Lookahead {
    program: Program,
    /// The sub-program must consume the rest of the path (else any prefix will do).
    to_end: bool,
}

/// Buffers reused across [`Program`] runs.
#[derive(Debug, Default)]
pub struct Scratch {
    visited: Vec<bool>,
    stack: Vec<(usize, usize)>,
}

/// The literal text every path matching `glob` starts with (for a cheap pre-check before
/// running a [`Program`]).
pub fn required_prefix(glob: &Glob) -> String {
    let [seq] = glob.alts.as_slice() else {
        return String::new();
    };
    let mut prefix = String::new();
    for node in seq {
        match node {
            Node::Lit(c) => prefix.push(*c),
            Node::Globstar(Gs::Middle) => {
                prefix.push('/');
                break;
            }
            _ => break,
        }
    }
    prefix
}

/// A compiled glob (or `!(...)` body) run by a backtracking search that remembers visited
/// (instruction, position) pairs, so it is linear in program size × path length.
#[derive(Debug, Clone)]
pub struct Program {
    insts: Vec<Inst>,
    classes: Vec<Class>,
    lookaheads: Vec<Lookahead>,
}

impl Program {
    pub fn compile(glob: &Glob) -> Program {
        let mut program = Program {
            insts: vec![],
            classes: vec![],
            lookaheads: vec![],
        };
        program.alts(&glob.alts);
        program.insts.push(Inst::Match);
        program
    }

    fn alts(&mut self, alts: &[Seq]) {
        let Some((last, init)) = alts.split_last() else {
            return;
        };
        let mut jumps = vec![];
        for alt in init {
            let split = self.insts.len();
            self.insts.push(Inst::Split(split + 1, 0));
            self.seq(alt);
            jumps.push(self.insts.len());
            self.insts.push(Inst::Jmp(0));
            let next = self.insts.len();
            self.insts[split] = Inst::Split(split + 1, next);
        }
        self.seq(last);
        let end = self.insts.len();
        for j in jumps {
            self.insts[j] = Inst::Jmp(end);
        }
    }

    /// `inst*`: zero or more of one instruction.
    fn many(&mut self, inst: Inst) {
        let split = self.insts.len();
        self.insts.push(Inst::Split(split + 1, split + 3));
        self.insts.push(inst);
        self.insts.push(Inst::Jmp(split));
    }

    fn seq(&mut self, seq: &[Node]) {
        for node in seq {
            self.node(node);
        }
    }

    fn node(&mut self, node: &Node) {
        match node {
            Node::Lit(c) => self.insts.push(Inst::Char(*c)),
            Node::Any => self.insts.push(Inst::AnyNoSlash),
            Node::Star => self.many(Inst::AnyNoSlash),
            Node::Globstar(Gs::Whole | Gs::Bare) => self.many(Inst::AnyChar),
            Node::Globstar(Gs::Prefix) => {
                // `(?:^|/|.*/)` at the start: nothing, or anything ending in `/`.
                let split = self.insts.len();
                self.insts.push(Inst::Split(split + 1, 0));
                self.many(Inst::AnyChar);
                self.insts.push(Inst::Char('/'));
                let after = self.insts.len();
                self.insts[split] = Inst::Split(split + 1, after);
            }
            Node::Globstar(Gs::Middle) => {
                // `/` or `/.*/`
                self.insts.push(Inst::Char('/'));
                let split = self.insts.len();
                self.insts.push(Inst::Split(split + 1, 0));
                self.many(Inst::AnyChar);
                self.insts.push(Inst::Char('/'));
                let after = self.insts.len();
                self.insts[split] = Inst::Split(split + 1, after);
            }
            Node::Globstar(Gs::Suffix) => {
                // end of path, or `/` then anything
                let split = self.insts.len();
                self.insts.push(Inst::Split(split + 1, 0));
                self.insts.push(Inst::Char('/'));
                self.many(Inst::AnyChar);
                let jmp = self.insts.len();
                self.insts.push(Inst::Jmp(0));
                let end_check = self.insts.len();
                self.insts.push(Inst::End);
                let after = self.insts.len();
                self.insts[split] = Inst::Split(split + 1, end_check);
                self.insts[jmp] = Inst::Jmp(after);
            }
            Node::Class(class) => match &class.literal {
                Some(literal) => {
                    let alts = vec![
                        vec![Node::Class(Class {
                            literal: None,
                            ..class.clone()
                        })],
                        literal.chars().map(Node::Lit).collect(),
                    ];
                    self.alts(&alts);
                }
                None => {
                    self.classes.push(class.clone());
                    self.insts.push(Inst::Class(self.classes.len() - 1));
                }
            },
            Node::Alt(alts) => self.alts(alts),
            Node::Repeat {
                alts,
                min_one,
                max_one,
            } => {
                if *min_one {
                    self.alts(alts);
                }
                if *max_one {
                    let split = self.insts.len();
                    self.insts.push(Inst::Split(split + 1, 0));
                    self.alts(alts);
                    let after = self.insts.len();
                    self.insts[split] = Inst::Split(split + 1, after);
                } else {
                    let split = self.insts.len();
                    self.insts.push(Inst::Split(split + 1, 0));
                    self.alts(alts);
                    self.insts.push(Inst::Jmp(split));
                    let after = self.insts.len();
                    self.insts[split] = Inst::Split(split + 1, after);
                }
            }
            Node::Negate {
                alts,
                cross_slash,
                look,
            } => {
                let mut sub = Program {
                    insts: vec![],
                    classes: vec![],
                    lookaheads: vec![],
                };
                sub.alts(alts);
                if let Look::Rest(rest) = look {
                    sub.seq(rest);
                }
                sub.insts.push(Inst::Match);
                self.lookaheads.push(Lookahead {
                    program: sub,
                    to_end: *look == Look::End,
                });
                self.insts.push(Inst::NotAhead(self.lookaheads.len() - 1));
                self.many(if *cross_slash {
                    Inst::AnyChar
                } else {
                    Inst::AnyNoSlash
                });
            }
        }
    }

    /// Whole-path match.
    #[cfg(test)]
    fn is_match(&self, path: &str) -> bool {
        let chars: Vec<char> = path.chars().collect();
        self.is_match_chars(&chars, &mut Scratch::default())
    }

    /// Whole-path match on the path's characters, reusing `scratch` between calls.
    pub fn is_match_chars(&self, path: &[char], scratch: &mut Scratch) -> bool {
        self.run(path, 0, true, scratch)
    }

    fn run(&self, text: &[char], start: usize, to_end: bool, scratch: &mut Scratch) -> bool {
        let width = text.len() + 1;
        let mut visited = std::mem::take(&mut scratch.visited);
        visited.clear();
        visited.resize(self.insts.len() * width, false);
        let mut stack = std::mem::take(&mut scratch.stack);
        stack.clear();
        stack.push((0usize, start));
        let found = self.search(text, to_end, width, &mut visited, &mut stack);
        scratch.visited = visited;
        scratch.stack = stack;
        found
    }

    fn search(
        &self,
        text: &[char],
        to_end: bool,
        width: usize,
        visited: &mut [bool],
        stack: &mut Vec<(usize, usize)>,
    ) -> bool {
        let mut sub_scratch: Option<Scratch> = None;
        while let Some((pc, pos)) = stack.pop() {
            let key = pc * width + pos;
            if visited[key] {
                continue;
            }
            visited[key] = true;
            let Some(inst) = self.insts.get(pc) else {
                continue;
            };
            match inst {
                Inst::Match => {
                    if !to_end || pos == text.len() {
                        return true;
                    }
                }
                Inst::Char(c) => {
                    if text.get(pos) == Some(c) {
                        stack.push((pc + 1, pos + 1));
                    }
                }
                Inst::AnyNoSlash => {
                    if text.get(pos).is_some_and(|&c| c != '/') {
                        stack.push((pc + 1, pos + 1));
                    }
                }
                Inst::AnyChar => {
                    if pos < text.len() {
                        stack.push((pc + 1, pos + 1));
                    }
                }
                Inst::Class(i) => {
                    if text
                        .get(pos)
                        .is_some_and(|&c| self.classes.get(*i).is_some_and(|cl| cl.matches(c)))
                    {
                        stack.push((pc + 1, pos + 1));
                    }
                }
                Inst::Split(a, b) => {
                    stack.push((*b, pos));
                    stack.push((*a, pos));
                }
                Inst::Jmp(a) => stack.push((*a, pos)),
                Inst::End => {
                    if pos == text.len() {
                        stack.push((pc + 1, pos));
                    }
                }
                Inst::NotAhead(i) => {
                    let sub = sub_scratch.get_or_insert_with(Scratch::default);
                    let ahead = self
                        .lookaheads
                        .get(*i)
                        .is_some_and(|l| l.program.run(text, pos, l.to_end, sub));
                    if !ahead {
                        stack.push((pc + 1, pos));
                    }
                }
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    use crate::picomatch_table as table;

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
            let by_glob = globset::GlobBuilder::new(t)
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
            let matcher = globset::GlobBuilder::new(text)
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

    #[test]
    fn errors() {
        assert_eq!(parse("").unwrap_err(), GlobError::Empty);
        assert_eq!(parse("!").unwrap_err(), GlobError::NothingAfterNegation);
        assert_eq!(
            parse("[z-a]").unwrap_err(),
            GlobError::InvalidRange('z', 'a')
        );
        assert_eq!(
            parse("[[:nope:]]").unwrap_err(),
            GlobError::UnknownPosixClass("nope".into())
        );
        assert_eq!(
            parse(&"a".repeat(MAX_LENGTH + 1)).unwrap_err(),
            GlobError::TooLong(MAX_LENGTH + 1)
        );
    }

    #[test]
    fn pathological_patterns_stay_fast() {
        // Backtracking is bounded by (instructions × path length).
        let pattern = "@(a|a)*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
        let path = "a".repeat(200);
        assert!(!by_program(pattern, &path));
    }
}

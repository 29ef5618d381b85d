//! Syntax → tree: picomatch's glob syntax read into the [`Glob`] tree the two engines share.

use std::fmt;

use crate::{Class, Glob, Gs, Look, Node, Seq};

/// Why a glob was rejected. Its text (`Display`) names the fault and what is valid, for the
/// user to read as the reason after the glob itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GlobError {
    /// The pattern is empty.
    Empty,
    /// The pattern is only `!`s.
    NothingAfterNegation,
    /// A character class range whose start comes after its end (`[z-a]`).
    InvalidRange(char, char),
    /// `[:name:]` inside a class names no POSIX class.
    UnknownPosixClass(String),
    /// The pattern has more characters (this many) than picomatch's limit.
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

impl std::error::Error for GlobError {}

/// picomatch's limit on pattern length, in characters.
const MAX_LENGTH: usize = 65536;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}

//! The engine for what globset cannot express: a [`Glob`] compiled to a small backtracking
//! program.

use crate::{Class, Glob, Gs, Look, Node, Seq};

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

/// Buffers reused across [`Program`] runs: one per thread of matching, passed to every
/// [`Program::is_match_chars`].
#[derive(Debug, Default)]
pub struct Scratch {
    visited: Vec<bool>,
    stack: Vec<(usize, usize)>,
}

/// The literal text every path matching `glob`'s body starts with, for a cheap pre-check
/// before running a [`Program`] (`""` when there is none). Up to its last `/` it is the
/// directory the paths are under: `src/**/!(*.md)` gives `src/`.
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
/// (instruction, position) pairs, so it is linear in program size × path length. It matches
/// every glob [`parse`](crate::parse) accepts, but is slower than globset: use it for what
/// [`to_globset`](crate::to_globset) cannot express.
///
/// It answers for the glob's body: the negation and the "path equals the pattern text" rule
/// are the caller's (see the crate docs).
#[derive(Debug, Clone)]
pub struct Program {
    insts: Vec<Inst>,
    classes: Vec<Class>,
    lookaheads: Vec<Lookahead>,
}

impl Program {
    /// Compiles the body of `glob`.
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

    /// Whole-path match (with fresh buffers: see [`Program::is_match_chars`] for many paths).
    pub fn is_match(&self, path: &str) -> bool {
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
    use super::*;
    use crate::parse;

    #[test]
    fn pathological_patterns_stay_fast() {
        // Backtracking is bounded by (instructions × path length).
        let program = Program::compile(&parse("@(a|a)*a*a*a*a*a*a*a*a*a*a*a*a*a*b").unwrap());
        assert!(!program.is_match(&"a".repeat(200)));
    }
}

//! A printed glob cut at its last `/`, for matching the paths of one directory: the directory
//! part is looked at once per directory, the file name part once per path.
//!
//! A path matches the printed glob exactly when its directory matches [`Cut::dir`] and its
//! file name matches [`Cut::name`]: in globset's syntax with `literal_separator(true)`, a
//! file name part without `**` cannot match a `/`, so the path's last `/` is the glob's.
//! When that `/` ends a `/**/`, the directory may also be the one before it (`src/**/*.ts`
//! matches `src/a.ts`).

use crate::globset::{NameGlob, Printed};

/// What the directory of a path (without a trailing `/`; `""` for the top) must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CutDir {
    /// The top of the repository: the path has no `/`.
    Top,
    /// Any directory, the top included (`**/name`).
    Any,
    /// A directory that one of these globs matches (globset's syntax, as [`Printed::text`]).
    Globs(Vec<String>),
}

/// What the file name of a path must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CutName {
    /// Literal text and `*` only, matched without a regex.
    Star(NameGlob),
    /// Any other name glob, in globset's syntax.
    Glob(String),
}

/// A printed glob as a directory part and a file name part (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cut {
    /// What the path's directory must match.
    pub dir: CutDir,
    /// What the path's file name must match.
    pub name: CutName,
}

impl Printed {
    /// The glob cut at its last `/` (see [`Cut`]); `None` when its file name part has a
    /// globstar or is empty, which the whole path must be matched for.
    #[must_use]
    pub fn cut(&self) -> Option<Cut> {
        let text = self.text.as_str();
        let mut last_slash = None;
        let mut chars = text.char_indices();
        while let Some((at, c)) = chars.next() {
            match c {
                '\\' => {
                    chars.next();
                }
                // A class as `print_class` writes it: no `]` inside. A negated one holds a
                // `/` so as never to match one; any other class with a `/` is a separator
                // of its own, and the glob is not cut.
                '[' => {
                    let start = at + 1;
                    let end = chars
                        .by_ref()
                        .find(|&(_, c)| c == ']')
                        .map_or(text.len(), |(end, _)| end);
                    let body = &text[start..end];
                    if !body.starts_with('!') && body.contains('/') {
                        return None;
                    }
                }
                '/' => last_slash = Some(at),
                _ => {}
            }
        }
        let (dir, name) = match last_slash {
            Some(at) => (Some(&text[..at]), &text[at + 1..]),
            None => (None, text),
        };
        if name.is_empty() || name.contains("**") {
            return None;
        }
        let dir = match dir {
            None => CutDir::Top,
            Some("**") => CutDir::Any,
            Some("") => return None,
            Some(dir) => match dir.strip_suffix("/**") {
                // `before/**/name`: `name` directly in `before`, or below it.
                Some(before) if !before.is_empty() => {
                    CutDir::Globs(vec![dir.to_owned(), before.to_owned()])
                }
                Some(_) => return None,
                None => CutDir::Globs(vec![dir.to_owned()]),
            },
        };
        Some(Cut {
            dir,
            name: star_name(name).map_or_else(|| CutName::Glob(name.to_owned()), CutName::Star),
        })
    }
}

/// A file name glob in globset's syntax as a [`NameGlob`], when it has only literal text and
/// `*`.
fn star_name(text: &str) -> Option<NameGlob> {
    let mut pieces = vec![String::new()];
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => pieces.last_mut()?.push(chars.next()?),
            '*' => pieces.push(String::new()),
            '?' | '[' | ']' | '{' | '}' => return None,
            c => pieces.last_mut()?.push(c),
        }
    }
    Some(NameGlob { pieces })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::{parse, to_globset};

    fn cuts(pattern: &str) -> Vec<Option<Cut>> {
        to_globset(&parse(pattern).unwrap())
            .unwrap()
            .iter()
            .map(Printed::cut)
            .collect()
    }

    fn star(pieces: &[&str]) -> CutName {
        CutName::Star(NameGlob {
            pieces: pieces.iter().map(|p| (*p).to_owned()).collect(),
        })
    }

    fn globs(dirs: &[&str]) -> CutDir {
        CutDir::Globs(dirs.iter().map(|d| (*d).to_owned()).collect())
    }

    #[test]
    fn globs_are_cut_at_their_last_separator() {
        assert_eq!(
            cuts("apps/*/config/*.json"),
            [Some(Cut {
                dir: globs(&["apps/*/config"]),
                name: star(&["", ".json"]),
            })]
        );
        assert_eq!(
            cuts("apps/svc0[0-4]/src/**/*.tsx")[0],
            Some(Cut {
                dir: globs(&["apps/svc0[0-4]/src/**", "apps/svc0[0-4]/src"]),
                name: star(&["", ".tsx"]),
            })
        );
        assert_eq!(
            cuts("**/a/?.md"),
            [Some(Cut {
                dir: globs(&["**/a"]),
                name: CutName::Glob("?.md".to_owned()),
            })]
        );
        assert_eq!(
            cuts("**/x?"),
            [Some(Cut {
                dir: CutDir::Any,
                name: CutName::Glob("x?".to_owned()),
            })]
        );
        assert_eq!(
            cuts("?.md"),
            [Some(Cut {
                dir: CutDir::Top,
                name: CutName::Glob("?.md".to_owned()),
            })]
        );
        assert_eq!(
            cuts("a/[!x]"),
            [
                Some(Cut {
                    dir: globs(&["a"]),
                    name: CutName::Glob("[!x/]".to_owned()),
                }),
                Some(Cut {
                    dir: globs(&["a"]),
                    name: star(&["[!x]"]),
                })
            ]
        );
        assert_eq!(cuts("a/**")[0], None);
        // A class that matches `/`; its literal reading is cut where the `/` is.
        assert_eq!(
            cuts("a[/]c"),
            [
                None,
                Some(Cut {
                    dir: globs(&["a\\["]),
                    name: star(&["]c"]),
                })
            ]
        );
        assert_eq!(
            cuts("a/b**")[0].as_ref().map(|c| &c.dir),
            Some(&globs(&["a"]))
        );
    }
}

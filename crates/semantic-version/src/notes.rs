//! Release notes in markdown, and prepending them to a CHANGELOG. Pure: the date, links and
//! tags are given; nothing reads a clock, git or the network.
//!
//! ```text
//! ## [1.3.0](https://github.com/o/r/compare/v1.2.0...v1.3.0) (2024-05-01)
//!
//! ### ⚠ BREAKING CHANGES
//! ...
//! ### Features
//!
//! * **api:** add paging ([#123](…/pull/123)) ([abc1234](…/commit/abc1234…)), closes [#12](…/issues/12)
//! ```
//!
//! Sections, in order: BREAKING CHANGES, Features, Bug Fixes, Performance Improvements, Reverts,
//! then the types of [`NotesOptions::extra_types`] in the given order, then any other type
//! that caused a bump through a user rule (so the notes explain every release). Only commits
//! that count appear (reverted pairs do not). Within a section, entries are ordered by scope
//! (unscoped first), then as committed. A first release (no previous tag) has no compare link.

use std::fmt::Write as _;

use semver::Version;

use crate::analyze::{Analysis, AnalyzedCommit};
use crate::conventional::{Conventional, IssueRef, RefAction};
use crate::rules::Bump;

/// Where links point: `{server_url}/{repository}/…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoLinks {
    /// `https://github.com` (`GITHUB_SERVER_URL`).
    pub server_url: String,
    /// `owner/name` (`GITHUB_REPOSITORY`).
    pub repository: String,
}

impl RepoLinks {
    /// The links of a git remote's URL: `https://host/owner/name(.git)`,
    /// `ssh://git@host[:port]/owner/name.git`, `git@host:owner/name.git`, `git://host/…`
    /// give `https://host` (an `http(s)` URL keeps its scheme and port) and `owner/name`.
    /// `None` for local paths and `file://` URLs, and for paths that are not `owner/name`.
    pub fn from_remote(url: &str) -> Option<RepoLinks> {
        let url = url.trim();
        let (server, path) = match url.split_once("://") {
            Some((scheme, rest)) => {
                let scheme = scheme.to_ascii_lowercase();
                let (authority, path) = rest.split_once('/')?;
                let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
                match scheme.as_str() {
                    "http" | "https" => (format!("{scheme}://{host_port}"), path),
                    "ssh" | "git" | "git+ssh" | "ssh+git" => {
                        let host = host_port.split(':').next().unwrap_or(host_port);
                        (format!("https://{host}"), path)
                    }
                    _ => return None,
                }
            }
            None => {
                // scp-like `[user@]host:path`: a colon before any slash.
                let (authority, path) = url.split_once(':')?;
                if authority.contains('/') || authority.is_empty() {
                    return None;
                }
                let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
                (format!("https://{host}"), path)
            }
        };
        let path = path.trim_matches('/');
        let path = path.strip_suffix(".git").unwrap_or(path);
        let mut parts = path.rsplit('/');
        let name = parts.next()?;
        let owner = parts.next()?;
        let repository = format!("{owner}/{name}");
        crate::config::is_repository(&repository).then_some(RepoLinks {
            server_url: server,
            repository,
        })
    }

    /// `{server}/{owner/name}`; `None` when the repository is unknown (a CLI run without
    /// `GITHUB_REPOSITORY` or a remote), so that notes show plain text, not broken links.
    fn base(&self, repository: Option<&str>) -> Option<String> {
        let repository = repository.unwrap_or(&self.repository).trim_matches('/');
        (!repository.is_empty())
            .then(|| format!("{}/{repository}", self.server_url.trim_end_matches('/')))
    }

    pub fn commit_url(&self, sha: &str) -> Option<String> {
        Some(format!("{}/commit/{sha}", self.base(None)?))
    }

    pub fn pull_url(&self, number: u64) -> Option<String> {
        Some(format!("{}/pull/{number}", self.base(None)?))
    }

    /// An issue of this repository or of `repository` (`owner/name`).
    pub fn issue_url(&self, repository: Option<&str>, number: u64) -> Option<String> {
        Some(format!("{}/issues/{number}", self.base(repository)?))
    }

    /// `{server}/{repo}/compare/{previous}...{tag}`.
    pub fn compare_url(&self, previous_tag: &str, tag: &str) -> Option<String> {
        Some(format!(
            "{}/compare/{previous_tag}...{tag}",
            self.base(None)?
        ))
    }
}

/// `[text](url)`, or the text alone when there is no URL.
fn link(text: &str, url: Option<String>) -> String {
    match url {
        Some(url) => format!("[{text}]({url})"),
        None => text.to_string(),
    }
}

/// What the notes show besides the default sections.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotesOptions {
    /// More types to show, in order (`docs`, `refactor`, …); titles come from
    /// [`section_title`].
    pub extra_types: Vec<String>,
}

/// The inputs of [`release_notes`].
#[derive(Debug, Clone, Copy)]
pub struct NotesInput<'a> {
    pub analysis: &'a Analysis,
    pub links: &'a RepoLinks,
    pub version: &'a Version,
    pub tag: &'a str,
    /// The previous release's tag; `None` for the first release (no compare link).
    pub previous_tag: Option<&'a str>,
    /// The release date as it should appear (`2024-05-01`); empty leaves it out.
    pub date: &'a str,
    pub options: &'a NotesOptions,
}

const DEFAULT_SECTIONS: [&str; 4] = ["feat", "fix", "perf", "revert"];

/// The section title of a type: the usual Conventional Commits titles, else the type itself
/// with an upper-case first letter.
pub fn section_title(r#type: &str) -> String {
    let known = match r#type {
        "feat" => "Features",
        "fix" => "Bug Fixes",
        "perf" => "Performance Improvements",
        "revert" => "Reverts",
        "docs" => "Documentation",
        "style" => "Styles",
        "refactor" => "Code Refactoring",
        "test" => "Tests",
        "build" => "Build System",
        "ci" => "Continuous Integration",
        "chore" => "Miscellaneous Chores",
        other => {
            let mut chars = other.chars();
            return chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or_default();
        }
    };
    known.to_string()
}

/// The release notes of one release, ending with a newline.
pub fn release_notes(input: &NotesInput<'_>) -> String {
    let mut out = String::new();
    let links = input.links;
    let date = if input.date.trim().is_empty() {
        String::new()
    } else {
        format!(" ({})", input.date.trim())
    };
    match input.previous_tag {
        Some(prev) => {
            let title = link(
                &input.version.to_string(),
                links.compare_url(prev, input.tag),
            );
            let _ = writeln!(out, "## {title}{date}");
        }
        None => {
            let _ = writeln!(out, "## {}{date}", input.version);
        }
    }

    let entries: Vec<(&AnalyzedCommit, &Conventional)> = input
        .analysis
        .counted()
        .filter_map(|c| c.conventional.as_ref().map(|conv| (c, conv)))
        .collect();

    // BREAKING CHANGES
    let mut breaking: Vec<(&AnalyzedCommit, &Conventional)> = entries
        .iter()
        .copied()
        .filter(|(_, c)| c.breaking)
        .collect();
    sort_by_scope(&mut breaking);
    if !breaking.is_empty() {
        out.push_str("\n### ⚠ BREAKING CHANGES\n\n");
        for (commit, conv) in breaking {
            for text in &conv.breaking_descriptions {
                let _ = writeln!(
                    out,
                    "* {}{} ({})",
                    scope_prefix(conv),
                    indent_continuation(text),
                    commit_link(links, commit)
                );
            }
        }
    }

    // Type sections.
    let mut types: Vec<String> = DEFAULT_SECTIONS.iter().map(|s| s.to_string()).collect();
    for t in &input.options.extra_types {
        let t = t.trim().to_ascii_lowercase();
        if !t.is_empty() && !types.contains(&t) {
            types.push(t);
        }
    }
    for (commit, conv) in &entries {
        if commit.bump > Bump::None && !types.contains(&conv.r#type) {
            types.push(conv.r#type.clone());
        }
    }
    for t in &types {
        let mut section: Vec<(&AnalyzedCommit, &Conventional)> = entries
            .iter()
            .copied()
            .filter(|(_, c)| &c.r#type == t)
            .collect();
        if section.is_empty() {
            continue;
        }
        sort_by_scope(&mut section);
        let _ = write!(out, "\n### {}\n\n", section_title(t));
        for (commit, conv) in section {
            let _ = writeln!(out, "{}", entry(links, commit, conv));
        }
    }
    out
}

/// One bullet: `* **scope:** description ([#123](…)) ([abc1234](…)), closes [#12](…)`.
fn entry(links: &RepoLinks, commit: &AnalyzedCommit, conv: &Conventional) -> String {
    let mut line = format!("* {}{}", scope_prefix(conv), conv.description_without_pr());
    if let Some(pr) = conv.pull_request {
        let _ = write!(line, " ({})", link(&format!("#{pr}"), links.pull_url(pr)));
    }
    let _ = write!(line, " ({})", commit_link(links, commit));
    for (action, word) in [(RefAction::Closes, "closes"), (RefAction::Refs, "refs")] {
        let refs: Vec<String> = conv
            .references
            .iter()
            .filter(|r| r.action == action)
            .map(|r| issue_link(links, r))
            .collect();
        if !refs.is_empty() {
            let _ = write!(line, ", {word} {}", refs.join(", "));
        }
    }
    line
}

fn scope_prefix(conv: &Conventional) -> String {
    conv.scope
        .as_deref()
        .map(|s| format!("**{s}:** "))
        .unwrap_or_default()
}

fn commit_link(links: &RepoLinks, commit: &AnalyzedCommit) -> String {
    link(commit.short_sha(), links.commit_url(&commit.sha))
}

fn issue_link(links: &RepoLinks, r: &IssueRef) -> String {
    let text = match &r.repository {
        Some(repo) => format!("{repo}#{}", r.number),
        None => format!("#{}", r.number),
    };
    link(&text, links.issue_url(r.repository.as_deref(), r.number))
}

/// Continuation lines indented so that markdown keeps them in the list item.
fn indent_continuation(text: &str) -> String {
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        if i > 0 {
            out.push('\n');
            if !line.is_empty() {
                out.push_str("  ");
            }
        }
        out.push_str(line);
    }
    out
}

fn sort_by_scope(entries: &mut [(&AnalyzedCommit, &Conventional)]) {
    entries.sort_by(|a, b| a.1.scope.cmp(&b.1.scope));
}

/// The result of [`prepend_changelog`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepended {
    pub text: String,
    /// The version's section was already there: `text` is the existing file unchanged.
    pub already_present: bool,
}

/// Puts `notes` above the newest section of a CHANGELOG, below its `# Changelog` title and
/// introduction. A new file gets the title. Idempotent: if a `## ` heading for the same version
/// exists, the file is returned unchanged with [`Prepended::already_present`].
pub fn prepend_changelog(existing: &str, notes: &str) -> Prepended {
    let notes = notes.trim_end();
    let version = notes.lines().next().and_then(heading_version);
    let lines: Vec<&str> = existing.lines().collect();

    let mut in_fence = false;
    let mut first_section = None;
    for (i, line) in lines.iter().enumerate() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        if let Some(v) = heading_version(line) {
            if version.is_some_and(|want| want == v) {
                return Prepended {
                    text: existing.to_string(),
                    already_present: true,
                };
            }
            first_section.get_or_insert(i);
        }
    }

    let text = if existing.trim().is_empty() {
        format!("# Changelog\n\n{notes}\n")
    } else if let Some(at) = first_section {
        let head = lines[..at].join("\n");
        let tail = lines[at..].join("\n");
        let head = head.trim_end();
        if head.is_empty() {
            format!("{notes}\n\n{tail}\n")
        } else {
            format!("{head}\n\n{notes}\n\n{tail}\n")
        }
    } else {
        format!("{}\n\n{notes}\n", existing.trim_end())
    };
    Prepended {
        text,
        already_present: false,
    }
}

/// The version of a `## [1.2.3](…) (…)` or `## 1.2.3 (…)` heading (also `#` and `###`, as other
/// tools write them).
fn heading_version(line: &str) -> Option<&str> {
    let rest = line.strip_prefix('#')?.trim_start_matches('#');
    let rest = rest.strip_prefix(' ')?.trim_start();
    let v = match rest.strip_prefix('[') {
        Some(r) => r.split(']').next()?,
        None => rest.split_whitespace().next()?,
    };
    let v = v.trim().trim_start_matches(['v', 'V']);
    v.starts_with(|c: char| c.is_ascii_digit()).then_some(v)
}

//! Conventional Commits 1.0 messages: header, body, footers, breaking changes, `Release-As`,
//! reverts, merge subjects, pull-request and issue references. Pure: text in, values out.
//!
//! Decisions (each one is tested in `tests/analyzer.rs` and listed in `RULES.md`):
//! - The header is `type(scope)!: description`. The type is one ASCII word (letters, digits, `-`,
//!   `_`, starting with a letter), compared case-insensitively and returned lower-cased. A space
//!   MUST follow the colon (spec item 1): `feat:x` is not conventional, it is listed as unparseable.
//! - The scope is everything between balanced parentheses (`feat(api(v2)): x` has scope
//!   `api(v2)`); `feat(): x` is valid and has no scope. `!` must stand directly before the colon:
//!   `feat(api)!: x` is breaking, `feat!(api): x` is not conventional.
//! - Footers follow spec items 8–10: `Token: value` or `Token #value`, where a token is one word
//!   with `-` for spaces, or `BREAKING CHANGE`. A value runs until the next token line. The footer
//!   section is the trailing run of paragraphs that each begin with a footer line; a paragraph
//!   that does not begin with one ends the body, except right after a `BREAKING CHANGE` footer,
//!   whose description may span paragraphs. So `Note: …` followed by prose stays body text.
//! - `BREAKING CHANGE` / `BREAKING-CHANGE` tokens are recognised in any letter case (as
//!   conventional-changelog does); the words anywhere else in the body do not make a change
//!   breaking.
//! - Carriage returns (`\r\n` and lone `\r`) are line ends; trailing whitespace is ignored.

use std::fmt;

use semver::Version;

/// A message that follows Conventional Commits (or git's own `Revert "…"` form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conventional {
    /// Lower-cased type: `feat`, `fix`, … (`revert` for git's `Revert "…"` subjects).
    pub r#type: String,
    /// The scope without parentheses; `None` when absent or empty.
    pub scope: Option<String>,
    /// `!` before the colon, or a `BREAKING CHANGE` / `BREAKING-CHANGE` footer.
    pub breaking: bool,
    /// What breaks: the values of the breaking footers in order, or the description when only
    /// `!` marks the change. Empty when not breaking.
    pub breaking_descriptions: Vec<String>,
    /// The text after `: ` (for git reverts: the reverted header, without quotes).
    pub description: String,
    /// Paragraphs between the header and the footers, joined by blank lines; may be empty.
    pub body: String,
    /// Footers in message order.
    pub footers: Vec<Footer>,
    /// A valid `Release-As: x.y.z` footer (a leading `v` is allowed). An invalid one makes
    /// [`parse`] return [`NotConventional::InvalidReleaseAs`].
    pub release_as: Option<Version>,
    /// Set when the commit reverts another one.
    pub revert: Option<Revert>,
    /// `123` from a trailing `(#123)` in the description (GitHub's squash-merge subjects).
    pub pull_request: Option<u64>,
    /// Issue references from footers and body lines (`Closes #12`, `Refs: #1, #2`).
    pub references: Vec<IssueRef>,
}

impl Conventional {
    /// The description without a trailing ` (#123)` pull-request suffix.
    pub fn description_without_pr(&self) -> &str {
        match self.pull_request {
            Some(_) => split_pr_suffix(&self.description).0,
            None => &self.description,
        }
    }

    /// The scope split on commas (`feat(api, cli): …` has two), trimmed, empty parts dropped.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    /// Footers whose token equals `token` ignoring case.
    pub fn footers_named<'a>(&'a self, token: &'a str) -> impl Iterator<Item = &'a Footer> {
        self.footers
            .iter()
            .filter(move |f| f.token.eq_ignore_ascii_case(token))
    }
}

/// One footer: `Token: value` or `Token #value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Footer {
    /// As written (`BREAKING CHANGE`, `Co-authored-by`, …).
    pub token: String,
    pub separator: FooterSeparator,
    /// The value; continuation lines are joined with `\n` (and blank lines kept for a
    /// multi-paragraph breaking-change description). For `Token #value` the `#` is not included.
    pub value: String,
}

impl Footer {
    /// `BREAKING CHANGE` or `BREAKING-CHANGE`, any letter case.
    pub fn is_breaking(&self) -> bool {
        is_breaking_token(&self.token)
    }
}

impl fmt::Display for Footer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.separator {
            FooterSeparator::Colon => write!(f, "{}: {}", self.token, self.value),
            FooterSeparator::Hash => write!(f, "{} #{}", self.token, self.value),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FooterSeparator {
    /// `Token: value`
    Colon,
    /// `Token #value`
    Hash,
}

/// What a revert commit names as reverted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revert {
    /// The reverted header (`feat: thing` from `Revert "feat: thing"` or `revert: feat: thing`).
    pub header: Option<String>,
    /// The (possibly abbreviated) SHA from `This reverts commit <sha>.`, lower-cased.
    pub sha: Option<String>,
}

/// An issue or pull request referenced by a commit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IssueRef {
    pub action: RefAction,
    /// `owner/repo` for a cross-repository reference, `None` for this repository.
    pub repository: Option<String>,
    pub number: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefAction {
    /// `Closes`, `Fixes`, `Resolves` (and their other tenses).
    Closes,
    /// `Refs`, `References`, `Related`, `See`.
    Refs,
}

/// Why a message is not a conventional commit. Not an error for the tool: such commits are
/// counted and listed in the summary, merges are skipped; only [`Self::InvalidReleaseAs`] is bad
/// input that the caller reports.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotConventional {
    #[error("empty commit message")]
    Empty,
    /// A merge subject (`Merge pull request #12 from …`, `Merge branch 'x'`): not a change of
    /// its own; the merged commits carry the information.
    #[error("merge commit: {0}")]
    Merge(Merge),
    #[error("{0}")]
    Malformed(Malformed),
    /// The message is conventional, but its `Release-As` footer is not a semantic version.
    #[error("invalid `Release-As: {value}` footer: {reason} (expected a version such as 2.0.0)")]
    InvalidReleaseAs { value: String, reason: String },
}

/// A recognised merge subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merge {
    pub kind: MergeKind,
    /// `12` from `Merge pull request #12 from org/branch`.
    pub pull_request: Option<u64>,
    /// The merged branch, tag or commit as written (`org/branch`, `feature-x`).
    pub source: Option<String>,
}

impl fmt::Display for Merge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            MergeKind::PullRequest => "pull request",
            MergeKind::Branch => "branch",
            MergeKind::RemoteTrackingBranch => "remote-tracking branch",
            MergeKind::Tag => "tag",
            MergeKind::Commit => "commit",
        };
        match (self.pull_request, &self.source) {
            (Some(n), _) => write!(f, "{what} #{n}"),
            (None, Some(s)) => write!(f, "{what} {s}"),
            (None, None) => f.write_str(what),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeKind {
    PullRequest,
    Branch,
    RemoteTrackingBranch,
    Tag,
    Commit,
}

/// What is wrong with a header, in words a summary can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Malformed {
    #[error("no `type: description` header (no colon)")]
    NoColon,
    #[error(
        "the type must be one word of letters, digits, `-` or `_`, directly followed by `(scope)`, `!` or `:`"
    )]
    InvalidType,
    #[error("the scope's `(` is never closed")]
    UnclosedScope,
    #[error("`!` must stand directly before the colon (`feat(scope)!: …`)")]
    MisplacedBang,
    #[error("a space must follow the colon (`feat: x`, not `feat:x`)")]
    MissingSpaceAfterColon,
    #[error("the description after `: ` is empty")]
    EmptyDescription,
}

/// Parses one commit message (subject, blank line, body — as [`crate::commit::Commit::message`]
/// gives it).
pub fn parse(message: &str) -> Result<Conventional, NotConventional> {
    let parsed = parse_lenient(message)?;
    match parsed.release_as_error {
        Some((value, reason)) => Err(NotConventional::InvalidReleaseAs { value, reason }),
        None => Ok(parsed.commit),
    }
}

/// A parse that keeps the commit when only its `Release-As` footer is invalid (the analyzer
/// needs both: the bump still counts if a newer `Release-As` supersedes the bad one).
#[derive(Debug, Clone)]
pub(crate) struct Lenient {
    pub(crate) commit: Conventional,
    pub(crate) release_as_error: Option<(String, String)>,
}

pub(crate) fn parse_lenient(message: &str) -> Result<Lenient, NotConventional> {
    let text = normalize(message);
    let mut lines = text.lines().map(str::trim_end).skip_while(|l| l.is_empty());
    let Some(first) = lines.next() else {
        return Err(NotConventional::Empty);
    };
    let header = first.trim();
    let rest: Vec<&str> = lines.collect();

    if let Some(merge) = merge_subject(header) {
        return Err(NotConventional::Merge(merge));
    }

    if let Some(reverted) = git_revert_subject(header) {
        let (body, footers) = split_body_and_footers(&rest);
        let (inner, pull_request) = reverted;
        let commit = Conventional {
            r#type: "revert".to_string(),
            scope: None,
            breaking: false,
            breaking_descriptions: Vec::new(),
            description: inner.to_string(),
            references: references(&body, &footers, pull_request),
            revert: Some(Revert {
                header: Some(inner.to_string()),
                sha: reverted_sha(&body, &footers),
            }),
            body,
            release_as: None,
            footers,
            pull_request,
        };
        return Ok(finish_release_as(commit));
    }

    let h = parse_header(header).map_err(NotConventional::Malformed)?;
    let (body, footers) = split_body_and_footers(&rest);

    let mut breaking_descriptions: Vec<String> = footers
        .iter()
        .filter(|f| f.is_breaking())
        .map(|f| f.value.clone())
        .collect();
    let breaking = h.bang || !breaking_descriptions.is_empty();
    if h.bang && breaking_descriptions.is_empty() {
        breaking_descriptions.push(h.description.to_string());
    }

    let pull_request = split_pr_suffix(h.description).1;
    let revert = (h.r#type == "revert").then(|| Revert {
        header: Some(strip_quotes(h.description).to_string()),
        sha: reverted_sha(&body, &footers),
    });
    let commit = Conventional {
        r#type: h.r#type,
        scope: h.scope.map(str::to_string),
        breaking,
        breaking_descriptions,
        description: h.description.to_string(),
        references: references(&body, &footers, pull_request),
        body,
        footers,
        release_as: None,
        revert,
        pull_request,
    };
    Ok(finish_release_as(commit))
}

fn finish_release_as(mut commit: Conventional) -> Lenient {
    let mut release_as_error = None;
    for footer in commit
        .footers
        .iter()
        .filter(|f| f.token.eq_ignore_ascii_case("release-as"))
    {
        match parse_release_as(&footer.value) {
            Ok(v) => commit.release_as = Some(v),
            Err(reason) => {
                release_as_error.get_or_insert((footer.value.trim().to_string(), reason));
            }
        }
    }
    if release_as_error.is_some() {
        commit.release_as = None;
    }
    Lenient {
        commit,
        release_as_error,
    }
}

/// `2.0.0`, `v2.0.0`, `2.0.0-rc.1`; anything else is an error with semver's reason.
fn parse_release_as(value: &str) -> Result<Version, String> {
    let v = value.trim();
    let v = v.strip_prefix(['v', 'V']).unwrap_or(v);
    if v.is_empty() {
        return Err("the value is empty".to_string());
    }
    Version::parse(v).map_err(|e| e.to_string())
}

/// `\r\n` and lone `\r` become `\n` (callers trim line ends); borrowed when there is no `\r`.
fn normalize(message: &str) -> std::borrow::Cow<'_, str> {
    if message.contains('\r') {
        std::borrow::Cow::Owned(message.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        std::borrow::Cow::Borrowed(message)
    }
}

struct Header<'a> {
    r#type: String,
    scope: Option<&'a str>,
    bang: bool,
    description: &'a str,
}

fn parse_header(header: &str) -> Result<Header<'_>, Malformed> {
    if !header.contains(':') {
        return Err(Malformed::NoColon);
    }
    let bytes = header.as_bytes();
    let mut i = 0;
    while i < bytes.len()
        && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'-' || bytes[i] == b'_')
    {
        i += 1;
    }
    if i == 0 || !bytes[0].is_ascii_alphabetic() {
        return Err(Malformed::InvalidType);
    }
    let r#type = header[..i].to_ascii_lowercase();

    let mut scope = None;
    if bytes.get(i) == Some(&b'(') {
        let mut depth = 0usize;
        let mut close = None;
        for (j, &b) in bytes.iter().enumerate().skip(i) {
            match b {
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        close = Some(j);
                        break;
                    }
                }
                _ => {}
            }
        }
        let close = close.ok_or(Malformed::UnclosedScope)?;
        let inner = header[i + 1..close].trim();
        scope = (!inner.is_empty()).then_some(inner);
        i = close + 1;
    }

    let mut bang = false;
    if bytes.get(i) == Some(&b'!') {
        bang = true;
        i += 1;
    }
    match bytes.get(i) {
        Some(b':') => i += 1,
        _ if bang => return Err(Malformed::MisplacedBang),
        _ => return Err(Malformed::InvalidType),
    }
    match bytes.get(i) {
        None => return Err(Malformed::EmptyDescription),
        Some(b' ') | Some(b'\t') => {}
        Some(_) => return Err(Malformed::MissingSpaceAfterColon),
    }
    let description = header[i..].trim();
    if description.is_empty() {
        return Err(Malformed::EmptyDescription);
    }
    Ok(Header {
        r#type,
        scope,
        bang,
        description,
    })
}

/// git's and GitHub's/GitLab's merge subjects.
fn merge_subject(header: &str) -> Option<Merge> {
    let rest = header.strip_prefix("Merge ")?;
    if let Some(pr) = rest.strip_prefix("pull request #") {
        let digits: String = pr.chars().take_while(char::is_ascii_digit).collect();
        let number = digits.parse().ok()?;
        let source = pr[digits.len()..]
            .trim_start()
            .strip_prefix("from ")
            .map(|s| s.trim().to_string());
        return Some(Merge {
            kind: MergeKind::PullRequest,
            pull_request: Some(number),
            source,
        });
    }
    let kinds = [
        ("remote-tracking branch ", MergeKind::RemoteTrackingBranch),
        ("branches ", MergeKind::Branch),
        ("branch ", MergeKind::Branch),
        ("tag ", MergeKind::Tag),
        ("commit ", MergeKind::Commit),
    ];
    for (prefix, kind) in kinds {
        if let Some(what) = rest.strip_prefix(prefix) {
            let source = what
                .strip_prefix('\'')
                .and_then(|s| s.split_once('\''))
                .map(|(name, _)| name.to_string());
            return Some(Merge {
                kind,
                pull_request: None,
                source,
            });
        }
    }
    None
}

/// `Revert "feat: thing"` (git's default), optionally followed by ` (#13)` (a squash merge of
/// the revert): the reverted header and the revert's own pull request.
fn git_revert_subject(header: &str) -> Option<(&str, Option<u64>)> {
    let rest = header.strip_prefix("Revert ")?.trim_start();
    let quoted = rest.strip_prefix('"')?;
    let (inner, after) = match quoted.rfind('"') {
        Some(end) => (&quoted[..end], quoted[end + 1..].trim()),
        None => (quoted, ""),
    };
    let pull_request = split_pr_suffix(&format!("x {after}")).1;
    Some((inner.trim(), pull_request))
}

fn strip_quotes(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
}

/// Splits `thing (#123)` into (`thing`, Some(123)).
pub(crate) fn split_pr_suffix(description: &str) -> (&str, Option<u64>) {
    let trimmed = description.trim_end();
    let Some(open) = trimmed
        .strip_suffix(')')
        .and_then(|s| s.rfind("(#").map(|i| (s, i)))
    else {
        return (description, None);
    };
    let (without_paren, at) = open;
    let digits = &without_paren[at + 2..];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return (description, None);
    }
    match digits.parse() {
        Ok(n) => (trimmed[..at].trim_end(), Some(n)),
        Err(_) => (description, None),
    }
}

/// `This reverts commit <sha>` anywhere in the body or footers.
fn reverted_sha(body: &str, footers: &[Footer]) -> Option<String> {
    let footer_text: Vec<String> = footers.iter().map(Footer::to_string).collect();
    std::iter::once(body)
        .chain(footer_text.iter().map(String::as_str))
        .find_map(|text| {
            let lower = text.to_ascii_lowercase();
            let at = lower.find("this reverts commit ")?;
            let hex: String = lower[at + "this reverts commit ".len()..]
                .chars()
                .take_while(char::is_ascii_hexdigit)
                .collect();
            (hex.len() >= 4).then_some(hex)
        })
}

fn is_breaking_token(token: &str) -> bool {
    token.eq_ignore_ascii_case("BREAKING CHANGE") || token.eq_ignore_ascii_case("BREAKING-CHANGE")
}

/// If `line` begins a footer: (token, separator, value).
fn footer_line(line: &str) -> Option<(&str, FooterSeparator, &str)> {
    for breaking in ["BREAKING CHANGE", "BREAKING-CHANGE"] {
        if let Some(head) = line.get(..breaking.len())
            && head.eq_ignore_ascii_case(breaking)
            && let Some(value) = colon_value(&line[breaking.len()..])
        {
            return Some((head, FooterSeparator::Colon, value));
        }
    }
    let bytes = line.as_bytes();
    if !bytes.first()?.is_ascii_alphanumeric() {
        return None;
    }
    let end = bytes
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || *b == b'-'))
        .unwrap_or(bytes.len());
    let (token, after) = line.split_at(end);
    if let Some(value) = colon_value(after) {
        return Some((token, FooterSeparator::Colon, value));
    }
    let value = after.strip_prefix(" #")?;
    (!value.is_empty() && !value.starts_with(' ')).then_some((token, FooterSeparator::Hash, value))
}

/// `: value` or a bare `:` at the end of the line.
fn colon_value(after: &str) -> Option<&str> {
    let rest = after.strip_prefix(':')?;
    if rest.is_empty() {
        Some("")
    } else if rest.starts_with([' ', '\t']) {
        Some(rest.trim_start())
    } else {
        None
    }
}

/// Splits the lines after the header into the body and the footers (see the module docs).
fn split_body_and_footers(lines: &[&str]) -> (String, Vec<Footer>) {
    let paragraphs: Vec<&[&str]> = lines
        .split(|l| l.trim().is_empty())
        .filter(|p| !p.is_empty())
        .collect();
    let starts_footer = |p: &[&str]| p.first().is_some_and(|l| footer_line(l).is_some());
    // After the paragraph, is the last footer token a breaking one (its value may go on)?
    let ends_open_breaking = |p: &[&str]| {
        p.iter()
            .rev()
            .find_map(|l| footer_line(l))
            .is_some_and(|(t, _, _)| is_breaking_token(t))
    };

    let mut start = paragraphs.len();
    'candidates: for s in 0..paragraphs.len() {
        if !starts_footer(paragraphs[s]) {
            continue;
        }
        let mut open_breaking = false;
        for p in &paragraphs[s..] {
            if starts_footer(p) {
                open_breaking = ends_open_breaking(p);
            } else if !open_breaking {
                continue 'candidates;
            }
        }
        start = s;
        break;
    }

    let mut body = String::new();
    for (i, p) in paragraphs[..start].iter().enumerate() {
        for (j, line) in p.iter().enumerate() {
            if i > 0 || j > 0 {
                body.push_str(if j == 0 { "\n\n" } else { "\n" });
            }
            body.push_str(line);
        }
    }

    let mut footers: Vec<Footer> = Vec::new();
    for p in &paragraphs[start..] {
        for (j, line) in p.iter().enumerate() {
            if let Some((token, separator, value)) = footer_line(line) {
                footers.push(Footer {
                    token: token.to_string(),
                    separator,
                    value: value.to_string(),
                });
            } else if let Some(last) = footers.last_mut() {
                if last.value.is_empty() {
                    last.value.push_str(line.trim_start());
                } else {
                    last.value.push_str(if j == 0 { "\n\n" } else { "\n" });
                    last.value.push_str(line);
                }
            }
        }
    }
    (body, footers)
}

const CLOSE_ACTIONS: [&str; 9] = [
    "close", "closes", "closed", "fix", "fixes", "fixed", "resolve", "resolves", "resolved",
];
const REF_TOKENS: [&str; 6] = ["refs", "ref", "references", "related", "related-to", "see"];

/// Issue references: footers named by an action (`Closes #12`, `Fixes: #1, org/repo#2`) or a
/// reference token (`Refs: #1`), and body lines that begin with an action (`Fixes #3`).
/// `exclude` (the commit's own pull request) is not listed.
fn references(body: &str, footers: &[Footer], exclude: Option<u64>) -> Vec<IssueRef> {
    let mut out: Vec<IssueRef> = Vec::new();
    let mut push = |action: RefAction, text: &str, bare_first: bool| {
        scan_issue_numbers(text, bare_first, |repository, number| {
            if repository.is_none() && Some(number) == exclude {
                return;
            }
            if !out
                .iter()
                .any(|o| o.repository.as_deref() == repository && o.number == number)
            {
                out.push(IssueRef {
                    action,
                    repository: repository.map(str::to_string),
                    number,
                });
            }
        });
    };
    let is_one_of = |word: &str, list: &[&str]| list.iter().any(|w| w.eq_ignore_ascii_case(word));
    for f in footers {
        let bare_first = f.separator == FooterSeparator::Hash;
        if is_one_of(&f.token, &CLOSE_ACTIONS) {
            push(RefAction::Closes, &f.value, bare_first);
        } else if is_one_of(&f.token, &REF_TOKENS) {
            push(RefAction::Refs, &f.value, bare_first);
        }
    }
    for line in body.lines() {
        let line = line.trim_start();
        let end = line
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(line.len());
        if end > 0 && is_one_of(&line[..end], &CLOSE_ACTIONS) {
            let rest = line[end..].trim_start_matches(':');
            if rest.starts_with(' ') {
                push(RefAction::Closes, rest, false);
            }
        }
    }
    out
}

/// `#12`, `org/repo#3` in a comma/space separated list; other words end the list. With
/// `bare_first` the first word is a number without `#` (the value of a `Closes #12` footer).
fn scan_issue_numbers(text: &str, bare_first: bool, mut found: impl FnMut(Option<&str>, u64)) {
    let words = text
        .split([',', ' ', '\t', '\n'])
        .map(str::trim)
        .filter(|w| !w.is_empty());
    for (i, word) in words.enumerate() {
        if word.eq_ignore_ascii_case("and") {
            continue;
        }
        let word = word.trim_end_matches(['.', ';', ')']);
        let split = if i == 0 && bare_first {
            Some(("", word))
        } else {
            word.split_once('#')
        };
        let Some((repo, number)) = split else {
            break;
        };
        let Ok(number) = number.parse::<u64>() else {
            break;
        };
        let valid_repo = repo.is_empty()
            || (repo.split('/').count() == 2
                && repo
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b)));
        if !valid_repo {
            break;
        }
        found((!repo.is_empty()).then_some(repo), number);
    }
}

/// Recognises a merge subject without parsing the rest (for callers that only need to know).
pub fn merge_info(subject: &str) -> Option<Merge> {
    merge_subject(subject.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pr_suffix() {
        assert_eq!(split_pr_suffix("thing (#123)"), ("thing", Some(123)));
        assert_eq!(split_pr_suffix("thing (#x)"), ("thing (#x)", None));
        assert_eq!(split_pr_suffix("thing"), ("thing", None));
        assert_eq!(split_pr_suffix("(#1)"), ("", Some(1)));
    }

    #[test]
    fn footer_lines() {
        assert_eq!(
            footer_line("Closes #12"),
            Some(("Closes", FooterSeparator::Hash, "12"))
        );
        assert_eq!(footer_line("https://example.com"), None);
        assert_eq!(footer_line("- item: x"), None);
        assert_eq!(
            footer_line("breaking change: x"),
            Some(("breaking change", FooterSeparator::Colon, "x"))
        );
    }
}

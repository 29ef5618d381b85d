//! What the tool reads from git's output and checks of what it gives git: pure functions, tested
//! in `tests`.

use std::io::BufRead;

use super::*;

/// The `for-each-ref` / `ls-remote` pattern for tags starting with `prefix`.
pub(super) fn tag_pattern(prefix: &str) -> Result<String, GitError> {
    if prefix.is_empty() {
        return Ok("refs/tags/".to_owned());
    }
    // The prefix is the start of a tag name, so the rules for names apply to it, but for its
    // end (`api-v` is fine, `api/` would be too). A glob character has no place in either.
    if prefix.starts_with('-')
        || prefix
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || "~^:?*[\\".contains(c))
        || prefix.contains("..")
        || prefix.contains("@{")
    {
        return Err(GitError::InvalidTagName {
            name: prefix.to_owned(),
            reason: "a tag prefix must not start with '-' nor contain spaces, control characters, '..', '@{' or any of ~^:?*[\\",
        });
    }
    Ok(format!("refs/tags/{prefix}*"))
}

/// Refuse what git could read as an option, or what cannot be a revision.
pub(super) fn check_rev(what: &'static str, rev: &str) -> Result<(), GitError> {
    Ok(cli::check_rev(what, rev)?)
}

/// The rules of `git check-ref-format` for `refs/tags/<name>`.
///
/// # Errors
/// [`GitError::InvalidTagName`] naming the rule broken.
pub fn check_tag_name(name: &str) -> Result<(), GitError> {
    let reason = if name.is_empty() {
        Some("it is empty")
    } else if name.starts_with('-') {
        Some("it starts with '-'")
    } else if name == "@" {
        Some("it is '@'")
    } else if name
        .chars()
        .any(|c| c.is_control() || c == ' ' || c == '\u{7f}' || "~^:?*[\\".contains(c))
    {
        Some("it contains a space, a control character or one of ~^:?*[\\")
    } else if name.contains("..") {
        Some("it contains '..'")
    } else if name.contains("@{") {
        Some("it contains '@{'")
    } else if name.contains("//") || name.starts_with('/') || name.ends_with('/') {
        Some("it has an empty path component")
    } else if name.ends_with('.') {
        Some("it ends with '.'")
    } else if name
        .split('/')
        .any(|part| part.starts_with('.') || part.ends_with(".lock"))
    {
        Some("a component starts with '.' or ends with '.lock'")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(GitError::InvalidTagName {
            name: name.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

/// A path relative to the top of the work tree as a pathspec (`.` and `./x` as git reads
/// them from the top); `:(…)` magic passes as given.
pub(super) fn top_pathspec(path: &str) -> String {
    if path.starts_with(':') {
        return path.to_owned();
    }
    let mut path = path;
    while let Some(rest) = path.strip_prefix("./") {
        path = rest.trim_start_matches('/');
    }
    if path == "." {
        path = "";
    }
    format!(":(top){path}")
}

pub(super) fn abbrev(sha: &str) -> &str {
    if is_hex(sha) && sha.len() > 7 {
        &sha[..7]
    } else {
        sha
    }
}

pub(super) fn utf8(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// `for-each-ref` lines in [`TAG_FORMAT`]: `(name, commit)` in git's order, and the indexes
/// of tags of tags that this git did not peel to the end.
pub(super) type TagLines = (Vec<(String, Option<String>)>, Vec<usize>);

pub(super) fn parse_tag_lines(reader: &mut impl BufRead) -> Result<TagLines, String> {
    let mut tags = Vec::new();
    let mut nested = Vec::new();
    let mut line = Vec::with_capacity(160);
    loop {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("cannot read the output: {e}"))?;
        if read == 0 {
            break;
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        if line.is_empty() {
            continue;
        }
        let mut fields = line.split(|b| *b == 0);
        let (Some(refname), Some(kind), Some(object), Some(peeled_kind), Some(peeled)) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        ) else {
            return Err(format!(
                "a tag line with fewer than 5 fields: {:?}",
                String::from_utf8_lossy(&line)
            ));
        };
        let name = utf8(refname.strip_prefix(b"refs/tags/").unwrap_or(refname));
        let commit = match (kind, peeled_kind) {
            (b"commit", _) => Some(utf8(object)),
            (b"tag", b"commit") => Some(utf8(peeled)),
            (b"tag", b"tag") => {
                nested.push(tags.len());
                None
            }
            _ => None,
        };
        tags.push((name, commit));
    }
    Ok((tags, nested))
}

/// `git ls-remote --tags` output: `(name, commit)` for tags starting with `prefix`
/// (a pattern without its `*`), annotated tags peeled (`^{}` lines).
pub(super) fn parse_ls_remote(stdout: &[u8], ref_prefix: &str) -> Vec<(String, String)> {
    let mut order: Vec<String> = Vec::new();
    let mut commits: HashMap<String, String> = HashMap::new();
    for line in String::from_utf8_lossy(stdout).lines() {
        let Some((sha, reference)) = line.split_once('\t') else {
            continue;
        };
        if !reference.starts_with(ref_prefix) {
            continue;
        }
        let Some(name) = reference.strip_prefix("refs/tags/") else {
            continue;
        };
        let sha = sha.trim().to_ascii_lowercase();
        match name.strip_suffix("^{}") {
            Some(name) => {
                commits.insert(name.to_owned(), sha);
            }
            None => {
                if !commits.contains_key(name) {
                    order.push(name.to_owned());
                    commits.insert(name.to_owned(), sha);
                } else if !order.iter().any(|n| n == name) {
                    order.push(name.to_owned());
                }
            }
        }
    }
    order
        .into_iter()
        .filter_map(|name| commits.remove(&name).map(|sha| (name, sha)))
        .collect()
}

/// `git log -z` in [`LOG_FORMAT`], newest first as git prints it.
pub(super) fn parse_log(reader: &mut impl BufRead) -> Result<Vec<Commit>, String> {
    let mut commits = Vec::new();
    let mut fields: [Vec<u8>; LOG_FIELDS] = Default::default();
    for field in &mut fields {
        field.reserve(256);
    }
    loop {
        if !next_field(reader, &mut fields[0])? {
            break;
        }
        if fields[0].is_empty() {
            // A stray NUL between records; nothing else may follow it.
            continue;
        }
        for (index, field) in fields.iter_mut().enumerate().skip(1) {
            if !next_field(reader, field)? {
                return Err(format!(
                    "commit {} is cut short after {index} of {LOG_FIELDS} fields",
                    String::from_utf8_lossy(&fields[0])
                ));
            }
        }
        commits.push(commit_from_fields(&fields)?);
    }
    Ok(commits)
}

pub(super) fn commit_from_fields(fields: &[Vec<u8>; LOG_FIELDS]) -> Result<Commit, String> {
    let [sha, parents, author, time, message] = fields;
    let sha = utf8(sha);
    if !is_hex(&sha) {
        return Err(format!("{sha:?} is not a commit SHA"));
    }
    let parents = std::str::from_utf8(parents)
        .map_err(|_| format!("the parents of {sha} are not text"))?
        .split_ascii_whitespace()
        .map(str::to_owned)
        .collect();
    let timestamp = std::str::from_utf8(time)
        .ok()
        .and_then(|t| t.trim().parse::<i64>().ok())
        .ok_or_else(|| {
            format!(
                "the commit time of {sha} is not a number: {:?}",
                String::from_utf8_lossy(time)
            )
        })?;
    let (subject, body) = split_message(message);
    Ok(Commit {
        sha,
        parents,
        subject,
        body,
        author_name: utf8(author),
        timestamp,
    })
}

/// A raw message as subject (its first line) and body (the rest, without the blank lines
/// that separate it, trailing whitespace trimmed). Carriage returns at line ends are dropped
/// from the subject.
pub(super) fn split_message(message: &[u8]) -> (String, String) {
    let (first, rest) = match message.iter().position(|b| *b == b'\n') {
        Some(newline) => (&message[..newline], &message[newline + 1..]),
        None => (message, &[][..]),
    };
    let subject = utf8(first.trim_ascii_end());
    let start = rest
        .iter()
        .position(|b| !matches!(b, b'\n' | b'\r'))
        .unwrap_or(rest.len());
    let body = utf8(rest[start..].trim_ascii_end());
    (subject, body)
}

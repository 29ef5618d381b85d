//! Image tags from rules, in the spirit of docker/metadata-action, and the registry's rules for
//! a tag. Pure: the GitHub context comes in as a [`GitInfo`].
//!
//! Rules (input `tags`, one a line or comma-separated):
//! - `sha`: `sha-<short sha>` (the immutable tag every image gets).
//! - `semver`: `v<version>` when a version is known (input `version`, or a `vX.Y.Z` tag ref);
//!   with `semver-floating` also `vX.Y` and `vX` for stable versions (never for prereleases,
//!   which must not move a floating tag).
//! - `dev`: `dev-<short sha>` for anything that is not a tag (branches, pull requests).
//! - `branch`: the branch name sanitized to a valid tag, for branch pushes.
//! - `pr`: `pr-<number>` for pull-request events.
//! - `raw:<tag>`: the tag as written.
//! - `latest`: `latest`, only when this rule is listed (production pipelines should deploy
//!   immutable tags, never `latest`).

use semver::Version;

/// The longest tag a registry accepts (OCI distribution spec and ECR).
pub const MAX_TAG_LEN: usize = 128;

/// One tag rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagRule {
    Sha,
    Semver,
    Dev,
    Branch,
    PullRequest,
    Raw(String),
    Latest,
}

/// The spellings of [`TagRule`], for messages.
pub const RULE_SPELLINGS: &str = "sha, semver, dev, branch, pr, latest, raw:<tag>";

impl TagRule {
    /// Parses one rule. `raw:` tags are checked with [`validate_tag`].
    pub fn parse(text: &str) -> Result<TagRule, String> {
        Ok(match text {
            "sha" => TagRule::Sha,
            "semver" => TagRule::Semver,
            "dev" => TagRule::Dev,
            "branch" => TagRule::Branch,
            "pr" => TagRule::PullRequest,
            "latest" => TagRule::Latest,
            _ => match text.strip_prefix("raw:") {
                Some(tag) => {
                    let tag = tag.trim();
                    validate_tag(tag)?;
                    TagRule::Raw(tag.to_string())
                }
                None => return Err(format!("unknown rule '{text}'")),
            },
        })
    }
}

/// What a run is building, from the GitHub context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitRef {
    Branch(String),
    Tag(String),
    PullRequest(u64),
    /// No ref, or one of another kind.
    Other,
}

/// The facts tag rules need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitInfo {
    /// The full commit sha (for pull requests, the head commit when the payload has it).
    pub sha: Option<String>,
    pub git_ref: GitRef,
}

impl GitInfo {
    /// From `GITHUB_REF`, `GITHUB_SHA` and, for pull requests, the event payload's head sha
    /// (`GITHUB_SHA` is then a merge commit that exists nowhere else).
    pub fn from_context(
        git_ref: Option<&str>,
        sha: Option<&str>,
        pr_head_sha: Option<&str>,
    ) -> GitInfo {
        let git_ref = match git_ref {
            Some(r) => {
                if let Some(b) = r.strip_prefix("refs/heads/") {
                    GitRef::Branch(b.to_string())
                } else if let Some(t) = r.strip_prefix("refs/tags/") {
                    GitRef::Tag(t.to_string())
                } else if let Some(n) = r
                    .strip_prefix("refs/pull/")
                    .and_then(|rest| rest.split('/').next())
                    .and_then(|n| n.parse().ok())
                {
                    GitRef::PullRequest(n)
                } else {
                    GitRef::Other
                }
            }
            None => GitRef::Other,
        };
        let sha = match (&git_ref, pr_head_sha) {
            (GitRef::PullRequest(_), Some(head)) => Some(head.to_string()),
            _ => sha.map(str::to_string),
        };
        GitInfo { sha, git_ref }
    }
}

/// Options of the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagOptions {
    /// From input `version`; else a `vX.Y.Z` tag ref is used.
    pub version: Option<Version>,
    /// Also `vX.Y` and `vX` for stable versions.
    pub semver_floating: bool,
    /// Characters of the sha in `sha-` and `dev-` tags.
    pub sha_length: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    #[error(
        "tag rule '{rule}' needs the commit sha, which is unknown: run inside GitHub Actions (GITHUB_SHA) or use raw:<tag>"
    )]
    NoSha { rule: &'static str },
    #[error("tag '{tag}' made by rule '{rule}' is not a valid tag: {reason}")]
    Invalid {
        rule: String,
        tag: String,
        reason: String,
    },
    #[error(
        "tag rule '{rule}' makes tag '{tag}' from {git_ref}, and {reason}: refused before anything is pushed, so that it cannot overwrite or be mistaken for that tag"
    )]
    Reserved {
        rule: String,
        tag: String,
        git_ref: String,
        reason: &'static str,
    },
    #[error(
        "no tag rule produced a tag for this event (rules: {rules}; ref: {git_ref}): add `sha` or a raw:<tag> rule"
    )]
    NoTags { rules: String, git_ref: String },
}

/// Checks one tag against the registry's rules: 1 to 128 characters, the first a letter, digit
/// or `_`, the rest letters, digits, `_`, `.` or `-`.
pub fn validate_tag(tag: &str) -> Result<(), String> {
    if tag.is_empty() {
        return Err("a tag cannot be empty".into());
    }
    if tag.len() > MAX_TAG_LEN {
        return Err(format!(
            "a tag has at most {MAX_TAG_LEN} characters, this one has {}",
            tag.len()
        ));
    }
    let mut chars = tag.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    if !first_ok {
        return Err("a tag starts with a letter, a digit or `_`".into());
    }
    if let Some(bad) = tag
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
    {
        return Err(format!(
            "'{bad}' is not allowed: use letters, digits, `_`, `.` and `-` ([A-Za-z0-9_][A-Za-z0-9._-]{{0,127}})"
        ));
    }
    Ok(())
}

/// A branch name as a tag: characters a tag cannot hold become `-`, leading `.`/`-` are
/// dropped, cut to 128 characters (`feature/Login` → `feature-Login`).
pub fn sanitize_branch(branch: &str) -> String {
    let replaced: String = branch
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = replaced.trim_start_matches(['.', '-']);
    trimmed.chars().take(MAX_TAG_LEN).collect()
}

/// The version a tag ref names: `v1.2.3` or `1.2.3` (or a monorepo's `api-v1.2.3`? no: only
/// a whole-ref version, so that an unrelated tag never becomes a version).
pub fn version_of_tag(tag: &str) -> Option<Version> {
    Version::parse(tag.strip_prefix('v').unwrap_or(tag)).ok()
}

/// Why `tag` is reserved for the rule that owns its shape, or `None`: release-shaped tags
/// (`vX.Y.Z` with any prerelease, `X.Y.Z`, `vX`, `vX.Y`) come only from `semver`, `sha-…` only
/// from `sha`, and `latest` only from `latest`. Lifecycle rules and deploys rely on those
/// shapes (a release tag is never expired; `sha-` names one commit).
pub fn reserved(tag: &str) -> Option<&'static str> {
    if tag == "latest" {
        return Some("'latest' comes only from the `latest` rule");
    }
    if tag.starts_with("sha-") {
        return Some("'sha-…' tags come only from the `sha` rule");
    }
    let numbers = |s: &str| {
        let parts: Vec<&str> = s.split('.').collect();
        parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
            .then_some(parts.len())
    };
    let release = match tag.strip_prefix('v') {
        Some(rest) => Version::parse(rest).is_ok() || matches!(numbers(rest), Some(1..=3)),
        None => Version::parse(tag).is_ok() || numbers(tag) == Some(3),
    };
    release
        .then_some("release-shaped tags (vX.Y.Z, X.Y.Z, vX, vX.Y) come only from the `semver` rule")
}

fn describe_ref(git_ref: &GitRef) -> String {
    match git_ref {
        GitRef::Branch(b) => format!("branch {b}"),
        GitRef::Tag(t) => format!("tag {t}"),
        GitRef::PullRequest(n) => format!("pull request {n}"),
        GitRef::Other => "none".into(),
    }
}

/// The tags the rules give for `git`, in rule order, without duplicates. A `branch`, `pr` or
/// `raw:` rule that makes a tag [`reserved`] for another rule is an error.
pub fn compute_tags(
    rules: &[TagRule],
    git: &GitInfo,
    options: &TagOptions,
) -> Result<Vec<String>, TagError> {
    let short = |rule: &'static str| -> Result<String, TagError> {
        let sha = git.sha.as_deref().ok_or(TagError::NoSha { rule })?;
        Ok(sha.chars().take(options.sha_length).collect())
    };
    let mut tags: Vec<(String, String)> = Vec::new();
    for rule in rules {
        match rule {
            TagRule::Sha => tags.push(("sha".into(), format!("sha-{}", short("sha")?))),
            TagRule::Dev => {
                if !matches!(git.git_ref, GitRef::Tag(_)) {
                    tags.push(("dev".into(), format!("dev-{}", short("dev")?)));
                }
            }
            TagRule::Semver => {
                let version = options.version.clone().or(match &git.git_ref {
                    GitRef::Tag(t) => version_of_tag(t),
                    _ => None,
                });
                if let Some(v) = version {
                    tags.push(("semver".into(), format!("v{v}")));
                    if options.semver_floating && v.pre.is_empty() {
                        tags.push(("semver".into(), format!("v{}.{}", v.major, v.minor)));
                        tags.push(("semver".into(), format!("v{}", v.major)));
                    }
                }
            }
            TagRule::Branch => {
                if let GitRef::Branch(b) = &git.git_ref {
                    tags.push(("branch".into(), sanitize_branch(b)));
                }
            }
            TagRule::PullRequest => {
                if let GitRef::PullRequest(n) = &git.git_ref {
                    tags.push(("pr".into(), format!("pr-{n}")));
                }
            }
            TagRule::Raw(t) => tags.push((format!("raw:{t}"), t.clone())),
            TagRule::Latest => tags.push(("latest".into(), "latest".into())),
        }
    }
    let mut out: Vec<String> = Vec::new();
    for (rule, tag) in tags {
        validate_tag(&tag).map_err(|reason| TagError::Invalid {
            rule: rule.clone(),
            tag: tag.clone(),
            reason,
        })?;
        let owned = matches!(rule.as_str(), "sha" | "semver" | "dev" | "latest");
        if !owned && let Some(reason) = reserved(&tag) {
            return Err(TagError::Reserved {
                rule,
                tag,
                git_ref: describe_ref(&git.git_ref),
                reason,
            });
        }
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    if out.is_empty() {
        return Err(TagError::NoTags {
            rules: rules.iter().map(rule_name).collect::<Vec<_>>().join(", "),
            git_ref: describe_ref(&git.git_ref),
        });
    }
    Ok(out)
}

fn rule_name(rule: &TagRule) -> String {
    match rule {
        TagRule::Sha => "sha".into(),
        TagRule::Semver => "semver".into(),
        TagRule::Dev => "dev".into(),
        TagRule::Branch => "branch".into(),
        TagRule::PullRequest => "pr".into(),
        TagRule::Raw(t) => format!("raw:{t}"),
        TagRule::Latest => "latest".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

    fn opts() -> TagOptions {
        TagOptions {
            version: None,
            semver_floating: false,
            sha_length: 7,
        }
    }

    fn rules(text: &str) -> Vec<TagRule> {
        text.split(',')
            .map(|r| TagRule::parse(r.trim()).unwrap())
            .collect()
    }

    #[test]
    fn tags_by_event_table() {
        type Case<'a> = (
            &'a str,
            Option<&'a str>,
            Option<&'a str>,
            &'a str,
            bool,
            &'a [&'a str],
        );
        let cases: &[Case] = &[
            // (GITHUB_REF, PR head sha, version input, rules, floating, expected)
            (
                "refs/heads/main",
                None,
                None,
                "sha",
                false,
                &["sha-0123456"],
            ),
            (
                "refs/heads/main",
                None,
                None,
                "sha, semver, pr",
                false,
                &["sha-0123456"],
            ),
            (
                "refs/tags/v1.2.3",
                None,
                None,
                "sha, semver",
                true,
                &["sha-0123456", "v1.2.3", "v1.2", "v1"],
            ),
            (
                "refs/tags/v1.2.3-rc.1",
                None,
                None,
                "semver",
                true,
                &["v1.2.3-rc.1"],
            ),
            ("refs/tags/1.0.0", None, None, "semver", false, &["v1.0.0"]),
            (
                "refs/heads/main",
                None,
                Some("2.0.0"),
                "semver, sha",
                false,
                &["v2.0.0", "sha-0123456"],
            ),
            (
                "refs/heads/feature/Login_x",
                None,
                None,
                "dev, branch",
                false,
                &["dev-0123456", "feature-Login_x"],
            ),
            (
                "refs/tags/v1.0.0",
                None,
                None,
                "dev, semver",
                false,
                &["v1.0.0"],
            ),
            (
                "refs/pull/42/merge",
                Some("fedcba9876543210fedcba9876543210fedcba98"),
                None,
                "sha, pr, branch",
                false,
                &["sha-fedcba9", "pr-42"],
            ),
            (
                "refs/heads/main",
                None,
                None,
                "sha, raw:prod, latest, sha",
                false,
                &["sha-0123456", "prod", "latest"],
            ),
        ];
        for (git_ref, head, version, rule_text, floating, expected) in cases {
            let git = GitInfo::from_context(Some(git_ref), Some(SHA), *head);
            let options = TagOptions {
                version: version.map(|v| Version::parse(v).unwrap()),
                semver_floating: *floating,
                ..opts()
            };
            let tags = compute_tags(&rules(rule_text), &git, &options).unwrap();
            assert_eq!(&tags, expected, "{git_ref} {rule_text}");
        }
    }

    #[test]
    fn reserved_tags_table() {
        for (tag, reserved_for) in [
            ("v1.2.3", Some("semver")),
            ("v1.2.3-rc.1", Some("semver")),
            ("1.2.3", Some("semver")),
            ("v1", Some("semver")),
            ("v1.2", Some("semver")),
            ("sha-0123456", Some("sha")),
            ("latest", Some("latest")),
            ("main", None),
            ("1.2", None),
            ("2024", None),
            ("v1.2.3.4", None),
            ("version-1", None),
            ("vnext", None),
            ("release-1.2.3", None),
            ("Latest", None),
            ("pr-12", None),
            ("shaky", None),
        ] {
            let got = reserved(tag);
            match reserved_for {
                Some(rule) => assert!(
                    got.is_some_and(|r| r.contains(&format!("`{rule}` rule"))),
                    "{tag}: {got:?}"
                ),
                None => assert_eq!(got, None, "{tag}"),
            }
        }
    }

    #[test]
    fn rules_that_would_make_a_reserved_tag_are_refused_naming_rule_and_ref() {
        for (git_ref, rule_text, rule, tag) in [
            ("refs/heads/v1.2.3", "sha, branch", "branch", "v1.2.3"),
            ("refs/heads/release/v2", "branch", "branch", "release-v2"),
            ("refs/heads/v2", "branch", "branch", "v2"),
            ("refs/heads/latest", "branch", "branch", "latest"),
            ("refs/heads/sha-deadbee", "branch", "branch", "sha-deadbee"),
            ("refs/heads/main", "raw:v1.0", "raw:v1.0", "v1.0"),
            ("refs/heads/main", "raw:1.0.0", "raw:1.0.0", "1.0.0"),
            ("refs/heads/main", "raw:latest", "raw:latest", "latest"),
            ("refs/heads/main", "raw:sha-abc", "raw:sha-abc", "sha-abc"),
        ] {
            let git = GitInfo::from_context(Some(git_ref), Some(SHA), None);
            let result = compute_tags(&rules(rule_text), &git, &opts());
            if tag == "release-v2" {
                // Not release-shaped: a branch tag like any other.
                assert_eq!(result.unwrap(), [tag], "{git_ref}");
                continue;
            }
            let err = result.unwrap_err();
            assert!(
                matches!(&err, TagError::Reserved { rule: r, tag: t, .. } if r == rule && t == tag),
                "{git_ref} {rule_text}: {err:?}"
            );
            let text = err.to_string();
            let branch = git_ref.trim_start_matches("refs/heads/");
            assert!(text.contains(&format!("'{rule}'")), "{text}");
            assert!(text.contains(&format!("branch {branch}")), "{text}");
        }
        // The rules that own the shapes still make them.
        let git = GitInfo::from_context(Some("refs/tags/v1.2.3"), Some(SHA), None);
        let tags = compute_tags(
            &rules("sha, semver, latest"),
            &git,
            &TagOptions {
                semver_floating: true,
                ..opts()
            },
        )
        .unwrap();
        assert_eq!(tags, ["sha-0123456", "v1.2.3", "v1.2", "v1", "latest"]);
    }

    #[test]
    fn latest_only_when_asked() {
        let git = GitInfo::from_context(Some("refs/tags/v3.0.0"), Some(SHA), None);
        let tags = compute_tags(&rules("sha, semver"), &git, &opts()).unwrap();
        assert!(!tags.contains(&"latest".to_string()));
    }

    #[test]
    fn no_tags_is_an_error_naming_rules_and_ref() {
        let git = GitInfo::from_context(Some("refs/heads/main"), Some(SHA), None);
        let err = compute_tags(&rules("pr, semver"), &git, &opts()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no tag rule produced a tag for this event (rules: pr, semver; ref: branch main): add `sha` or a raw:<tag> rule"
        );
    }

    #[test]
    fn sha_rule_without_sha_is_an_error() {
        let git = GitInfo::from_context(None, None, None);
        let err = compute_tags(&rules("sha"), &git, &opts()).unwrap_err();
        assert!(matches!(err, TagError::NoSha { rule: "sha" }));
    }

    #[test]
    fn tag_validation_table() {
        let long = "a".repeat(128);
        let too_long = "a".repeat(129);
        for (tag, ok) in [
            ("v1.2.3", true),
            ("_x", true),
            (long.as_str(), true),
            ("sha-abc", true),
            ("", false),
            (too_long.as_str(), false),
            (".hidden", false),
            ("-dash", false),
            ("a/b", false),
            ("a:b", false),
            ("tag with space", false),
            ("ünï", false),
        ] {
            assert_eq!(validate_tag(tag).is_ok(), ok, "{tag:?}");
        }
    }

    #[test]
    fn branch_sanitizing_table() {
        for (branch, tag) in [
            ("main", "main"),
            ("feature/login", "feature-login"),
            ("-x/.y", "x-.y"),
            ("déjà vu", "d-j--vu"),
        ] {
            assert_eq!(sanitize_branch(branch), tag);
        }
        let long = format!("f/{}", "b".repeat(300));
        assert_eq!(sanitize_branch(&long).len(), MAX_TAG_LEN);
    }

    #[test]
    fn rule_parsing() {
        assert_eq!(
            TagRule::parse("raw:prod").unwrap(),
            TagRule::Raw("prod".into())
        );
        assert!(
            TagRule::parse("raw:bad tag")
                .unwrap_err()
                .contains("not allowed")
        );
        assert_eq!(
            TagRule::parse("nightly").unwrap_err(),
            "unknown rule 'nightly'"
        );
    }
}

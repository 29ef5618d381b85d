//! The `tag-format` input: how a version becomes a tag name (`v${version}`, `api-v${version}`)
//! and back, and the floating major/minor tags derived from it (`v1`, `v1.2`, `api-v1`).

use semver::Version;

const PLACEHOLDER: &str = "${version}";

/// A validated tag format: a prefix and a suffix around the version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagFormat {
    prefix: String,
    suffix: String,
}

/// A bad `tag-format` input; messages name the input and what is valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagFormatError {
    #[error(
        "tag-format `{format}` must contain `${{version}}` exactly once (for example `v${{version}}` or `api-v${{version}}`), found it {count} times"
    )]
    Placeholder { format: String, count: usize },
    #[error(
        "tag-format `{format}` has an unknown placeholder `{placeholder}`; the only placeholder is `${{version}}`"
    )]
    UnknownPlaceholder { format: String, placeholder: String },
    #[error("tag-format `{format}` would not make a valid git tag name: {reason}")]
    InvalidRefName {
        format: String,
        reason: &'static str,
    },
}

/// How one tag relates to a format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagMatch {
    /// A release tag of this format.
    Version(Version),
    /// A floating tag of this format (`v1`, `v1.2`): not a release, not counted as invalid.
    Floating,
    /// Prefix and suffix match, but the middle is not a semantic version (`v1.2.x`, `v01.0.0`).
    NotSemver,
    /// Another format's tag (another package's, or unrelated).
    OtherFormat,
}

/// The result of reading many tags with one format.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagScan {
    /// `(tag, version)` of every release tag, in input order.
    pub versions: Vec<(String, Version)>,
    /// Tags that have the format's prefix and suffix but no valid version (for the summary).
    pub not_semver: Vec<String>,
    /// Floating tags of the format.
    pub floating: usize,
    /// Tags of other formats.
    pub other: usize,
}

impl TagFormat {
    /// Parses the `tag-format` input.
    pub fn parse(format: &str) -> Result<Self, TagFormatError> {
        let count = format.matches(PLACEHOLDER).count();
        if count != 1 {
            return Err(TagFormatError::Placeholder {
                format: format.to_string(),
                count,
            });
        }
        let (prefix, suffix) = format.split_once(PLACEHOLDER).unwrap_or((format, ""));
        for part in [prefix, suffix] {
            if let Some(at) = part.find("${") {
                let placeholder = part[at..]
                    .find('}')
                    .map_or(&part[at..], |end| &part[at..=at + end]);
                return Err(TagFormatError::UnknownPlaceholder {
                    format: format.to_string(),
                    placeholder: placeholder.to_string(),
                });
            }
        }
        check_ref_parts(prefix, suffix).map_err(|reason| TagFormatError::InvalidRefName {
            format: format.to_string(),
            reason,
        })?;
        Ok(TagFormat {
            prefix: prefix.to_string(),
            suffix: suffix.to_string(),
        })
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn suffix(&self) -> &str {
        &self.suffix
    }

    /// The tag of a version: `v1.2.3`.
    pub fn format(&self, version: &Version) -> String {
        format!("{}{version}{}", self.prefix, self.suffix)
    }

    /// The version of a tag of this format; `None` for anything else.
    pub fn parse_tag(&self, tag: &str) -> Option<Version> {
        match self.classify(tag) {
            TagMatch::Version(v) => Some(v),
            _ => None,
        }
    }

    /// How a tag relates to this format.
    pub fn classify(&self, tag: &str) -> TagMatch {
        let Some(middle) = tag
            .strip_prefix(self.prefix.as_str())
            .and_then(|t| t.strip_suffix(self.suffix.as_str()))
        else {
            return TagMatch::OtherFormat;
        };
        if let Ok(v) = Version::parse(middle) {
            return TagMatch::Version(v);
        }
        let numeric = |s: &str| {
            !s.is_empty()
                && s.bytes().all(|b| b.is_ascii_digit())
                && (s == "0" || !s.starts_with('0'))
        };
        let parts: Vec<&str> = middle.split('.').collect();
        if (1..=2).contains(&parts.len()) && parts.iter().all(|p| numeric(p)) {
            return TagMatch::Floating;
        }
        // With an empty prefix, `api-v1.0.0` is another package's tag, not a bad version.
        if self.prefix.is_empty() && !middle.starts_with(|c: char| c.is_ascii_digit()) {
            return TagMatch::OtherFormat;
        }
        TagMatch::NotSemver
    }

    /// Reads many tags at once.
    pub fn scan<'a>(&self, tags: impl IntoIterator<Item = &'a str>) -> TagScan {
        let mut scan = TagScan::default();
        for tag in tags {
            match self.classify(tag) {
                TagMatch::Version(v) => scan.versions.push((tag.to_string(), v)),
                TagMatch::NotSemver => scan.not_semver.push(tag.to_string()),
                TagMatch::Floating => scan.floating += 1,
                TagMatch::OtherFormat => scan.other += 1,
            }
        }
        scan
    }

    /// The floating major tag: `v1`, `api-v1`.
    pub fn major_tag(&self, version: &Version) -> String {
        format!("{}{}{}", self.prefix, version.major, self.suffix)
    }

    /// The floating minor tag: `v1.2`, `api-v1.2`.
    pub fn minor_tag(&self, version: &Version) -> String {
        format!(
            "{}{}.{}{}",
            self.prefix, version.major, version.minor, self.suffix
        )
    }
}

impl Default for TagFormat {
    /// `v${version}`.
    fn default() -> Self {
        TagFormat {
            prefix: "v".to_string(),
            suffix: String::new(),
        }
    }
}

/// git's rules for ref names (`git check-ref-format`) that a prefix or suffix can break; the
/// version between them is always valid.
fn check_ref_parts(prefix: &str, suffix: &str) -> Result<(), &'static str> {
    let whole = format!("{prefix}1.0.0{suffix}");
    if whole.chars().any(|c| c.is_ascii_control() || c == ' ') {
        return Err("spaces and control characters are not allowed");
    }
    if whole.chars().any(|c| "~^:?*[\\".contains(c)) {
        return Err("the characters ~ ^ : ? * [ \\ are not allowed");
    }
    if whole.contains("..") || whole.contains("@{") || whole.contains("//") {
        return Err("`..`, `@{` and `//` are not allowed");
    }
    if whole.starts_with(['-', '/', '.']) {
        return Err("a tag cannot begin with `-`, `/` or `.`");
    }
    if whole.ends_with(['/', '.']) || whole.ends_with(".lock") {
        return Err("a tag cannot end with `/`, `.` or `.lock`");
    }
    if whole
        .split('/')
        .any(|c| c.starts_with('.') || c.ends_with(".lock"))
    {
        return Err("no part between slashes may begin with `.` or end with `.lock`");
    }
    Ok(())
}

//! Maintenance branches (`maintenance-branches`): a branch that releases fixes for an older line,
//! as semantic-release's `1.x` / `1.2.x` branches do. A line is a major (`1.x`: `>=1.0.0
//! <2.0.0`) or a minor (`1.2.x`: `>=1.2.0 <1.3.0`); the branch is named like its line, or
//! `name=line` when it is not (`release/1=1.x`).
//!
//! The rules, all pure here and carried out by `run`:
//! - the next version starts from the highest release of the line merged into the branch, and
//!   must stay in the line: a commit that would leave it (a breaking change on `1.x`, a feature
//!   on `1.2.x`, a `Release-As` outside it) is an error that names the commit;
//! - it must stay below the line's releases made elsewhere (on `1.x` while `main` released
//!   `1.5.0`, `1.5.0` and above are `main`'s): the tag would collide or go backwards;
//! - floating tags move only to the highest release of their own line ([`floating_tags`]): a
//!   `1.4.3` never takes `v1` from a `1.5.0`, and never touches `v2`;
//! - the GitHub release is "latest" only when it is the highest stable version ([`is_latest`]).

use semver::Version;

use crate::analyze::Analysis;
use crate::rules::Bump;
use crate::tag_format::TagFormat;
use crate::version::cmp_precedence;

/// A maintenance line: a major (`1.x`) or a minor of a major (`1.2.x`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    pub major: u64,
    pub minor: Option<u64>,
}

impl Line {
    /// `1.x`, `1.2.x` (also `1.X`, `1.*`).
    pub fn parse(raw: &str) -> Option<Line> {
        let parts: Vec<&str> = raw.trim().split('.').collect();
        let wildcard = |p: &str| matches!(p, "x" | "X" | "*");
        let number = |p: &str| {
            (!p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse::<u64>().ok())
                .flatten()
        };
        match parts.as_slice() {
            [major, x] if wildcard(x) => Some(Line {
                major: number(major)?,
                minor: None,
            }),
            [major, minor, x] if wildcard(x) => Some(Line {
                major: number(major)?,
                minor: Some(number(minor)?),
            }),
            _ => None,
        }
    }

    /// Whether `v` (stable or not) belongs to the line.
    pub fn contains(&self, v: &Version) -> bool {
        v.major == self.major && self.minor.is_none_or(|m| v.minor == m)
    }

    /// The bump that leaves the line: major for `1.x`, minor (or major) for `1.2.x`.
    fn leaving_bump(&self) -> Bump {
        if self.minor.is_some() {
            Bump::Minor
        } else {
            Bump::Major
        }
    }
}

impl std::fmt::Display for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.minor {
            None => write!(f, "{}.x (>={0}.0.0 <{}.0.0)", self.major, self.major + 1),
            Some(m) => write!(f, "{}.{m}.x (>={0}.{m}.0 <{0}.{}.0)", self.major, m + 1),
        }
    }
}

/// A branch of `maintenance-branches`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaintenanceBranch {
    pub branch: String,
    pub line: Line,
}

/// The `maintenance-branches` entries (`1.x`, `1.2.x`, `name=1.x`); an error is the entry and
/// what would be valid.
pub fn parse_branches(entries: &[String]) -> Result<Vec<MaintenanceBranch>, (String, String)> {
    let mut out: Vec<MaintenanceBranch> = Vec::new();
    for entry in entries {
        let (branch, line) = match entry.split_once('=') {
            Some((b, l)) => (b.trim(), l.trim()),
            None => (entry.trim(), entry.trim()),
        };
        let invalid = |expected: String| (entry.clone(), expected);
        let line = Line::parse(line).ok_or_else(|| {
            invalid(
                "a line as the branch name (`1.x`, `1.2.x`) or `branch=line` (`release/1=1.x`)"
                    .into(),
            )
        })?;
        if branch.is_empty() {
            return Err(invalid("`branch=line`, with the branch's name".into()));
        }
        if let Some(other) = out.iter().find(|m| m.line == line) {
            return Err(invalid(format!(
                "one branch a line: '{}' is line {line} already",
                other.branch
            )));
        }
        out.push(MaintenanceBranch {
            branch: branch.to_owned(),
            line,
        });
    }
    Ok(out)
}

/// Why `next` cannot be released from the maintenance branch of `line`: it leaves the line
/// (naming the commits that take it out), or the line's releases made elsewhere (`elsewhere`:
/// versions of tags not merged into the branch) are at or above it. `None` when it may be.
pub fn out_of_line(
    line: &Line,
    next: &Version,
    analysis: &Analysis,
    elsewhere: &[Version],
) -> Option<String> {
    if !line.contains(next) {
        let mut culprits: Vec<String> = analysis
            .counted()
            .filter(|c| c.bump >= line.leaving_bump())
            .map(|c| format!("{} \"{}\"", c.short_sha(), c.subject))
            .collect();
        if let Some(r) = &analysis.release_as
            && !line.contains(&r.version)
        {
            culprits.push(format!(
                "{} (Release-As: {})",
                r.sha.get(..7).unwrap_or(&r.sha),
                r.version
            ));
        }
        return Some(format!(
            "{next} is outside maintenance line {line}, because of {}: a maintenance branch releases only inside its line; revert the commit, or release it from a newer line",
            if culprits.is_empty() {
                "the commits since the last release".to_owned()
            } else {
                culprits.join(", ")
            }
        ));
    }
    let newer = elsewhere
        .iter()
        .filter(|v| v.pre.is_empty() && line.contains(v) && cmp_precedence(v, next).is_ge())
        .max_by(|a, b| cmp_precedence(a, b))?;
    Some(format!(
        "{next} is not below {newer}, which another branch released in line {line}: a maintenance release must stay below the line's newer releases; merge that release into this branch, or make this one a fix of an older line"
    ))
}

/// The floating tags (`vX`, `vX.Y`) that `released` takes: each only when `released` is the
/// highest stable version of its major (of its minor) among `all` (every release tag, every
/// branch), so that a fix of an older line never takes a tag from a newer release.
pub fn floating_tags(format: &TagFormat, released: &Version, all: &[Version]) -> Vec<String> {
    if !released.pre.is_empty() {
        return Vec::new();
    }
    let highest = |same: &dyn Fn(&Version) -> bool| {
        !all.iter()
            .any(|v| v.pre.is_empty() && same(v) && cmp_precedence(v, released).is_gt())
    };
    let mut tags = Vec::new();
    if highest(&|v| v.major == released.major) {
        tags.push(format.major_tag(released));
    }
    if highest(&|v| v.major == released.major && v.minor == released.minor) {
        tags.push(format.minor_tag(released));
    }
    tags
}

/// Whether the release of `released` is GitHub's "latest": a stable version above every other
/// stable one in `all` (GitHub would otherwise mark a fix of an older line latest).
pub fn is_latest(released: &Version, all: &[Version]) -> bool {
    released.pre.is_empty()
        && !all
            .iter()
            .any(|v| v.pre.is_empty() && cmp_precedence(v, released).is_gt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::{AnalyzeOptions, analyze};
    use crate::commit::Commit;
    use crate::rules::ReleaseRules;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn lines_parse_and_contain() {
        // (raw, line, inside, outside)
        type Case<'a> = (
            &'a str,
            Option<(u64, Option<u64>)>,
            &'a [&'a str],
            &'a [&'a str],
        );
        let table: &[Case] = &[
            (
                "1.x",
                Some((1, None)),
                &["1.0.0", "1.9.3", "1.2.0-rc.1"],
                &["2.0.0", "0.9.0"],
            ),
            (
                "1.2.x",
                Some((1, Some(2))),
                &["1.2.0", "1.2.9"],
                &["1.3.0", "1.1.9", "2.2.0"],
            ),
            ("2.X", Some((2, None)), &["2.5.0"], &["3.0.0"]),
            ("1.*", Some((1, None)), &["1.1.1"], &[]),
            ("1", None, &[], &[]),
            ("x.1", None, &[], &[]),
            ("1.2.3", None, &[], &[]),
            ("v1.x", None, &[], &[]),
            ("1..x", None, &[], &[]),
        ];
        for (raw, want, inside, outside) in table {
            let line = Line::parse(raw);
            assert_eq!(line.map(|l| (l.major, l.minor)), *want, "{raw}");
            let Some(line) = line else { continue };
            for s in *inside {
                assert!(line.contains(&v(s)), "{raw} contains {s}");
            }
            for s in *outside {
                assert!(!line.contains(&v(s)), "{raw} does not contain {s}");
            }
        }
        assert_eq!(
            Line::parse("1.2.x").unwrap().to_string(),
            "1.2.x (>=1.2.0 <1.3.0)"
        );
        assert_eq!(
            Line::parse("1.x").unwrap().to_string(),
            "1.x (>=1.0.0 <2.0.0)"
        );
    }

    #[test]
    fn branches_are_a_line_or_a_name_and_a_line() {
        let parsed = parse_branches(&["1.x".into(), "release/0.9 = 0.9.x".into()]).unwrap();
        assert_eq!(parsed[0].branch, "1.x");
        assert_eq!(parsed[1].branch, "release/0.9");
        assert_eq!(parsed[1].line, Line::parse("0.9.x").unwrap());
        // (entries, the entry named, expected contains)
        let bad: &[(&[&str], &str, &str)] = &[
            (&["legacy"], "legacy", "a line as the branch name"),
            (&["legacy=1"], "legacy=1", "`branch=line`"),
            (&["=1.x"], "=1.x", "with the branch's name"),
            (
                &["1.x", "v1=1.x"],
                "v1=1.x",
                "'1.x' is line 1.x (>=1.0.0 <2.0.0) already",
            ),
        ];
        for (entries, entry, want) in bad {
            let entries: Vec<String> = entries.iter().map(|e| e.to_string()).collect();
            let (got, expected) = parse_branches(&entries).unwrap_err();
            assert_eq!(got, *entry);
            assert!(expected.contains(want), "{entries:?}: {expected}");
        }
    }

    fn analysis(messages: &[&str]) -> Analysis {
        let commits: Vec<Commit> = messages
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let (subject, body) = m.split_once("\n\n").unwrap_or((m, ""));
                Commit {
                    sha: format!("{i}{}", "a".repeat(39)),
                    parents: vec!["p".repeat(40)],
                    subject: subject.to_owned(),
                    body: body.to_owned(),
                    author_name: "a".into(),
                    timestamp: 0,
                }
            })
            .collect();
        analyze(
            &commits,
            &ReleaseRules::default(),
            &AnalyzeOptions::default(),
        )
        .unwrap()
    }

    #[test]
    fn a_release_must_stay_in_its_line_and_below_the_lines_newer_releases() {
        let major = Line::parse("1.x").unwrap();
        let minor = Line::parse("1.4.x").unwrap();
        // (name, line, next, commits, released elsewhere, error contains; None: allowed)
        type Case<'a> = (
            &'a str,
            Line,
            &'a str,
            &'a [&'a str],
            &'a [&'a str],
            Option<&'a str>,
        );
        let table: &[Case] = &[
            (
                "a fix on 1.x",
                major,
                "1.4.3",
                &["fix: x"],
                &["2.1.0"],
                None,
            ),
            (
                "a feature on 1.x",
                major,
                "1.5.0",
                &["feat: y"],
                &["2.0.0"],
                None,
            ),
            (
                "a breaking change leaves 1.x",
                major,
                "2.0.0",
                &["fix: x", "feat!: drop the v1 API"],
                &[],
                Some(
                    "2.0.0 is outside maintenance line 1.x (>=1.0.0 <2.0.0), because of 1aaaaaa \"feat!: drop the v1 API\"",
                ),
            ),
            (
                "a feature leaves 1.4.x",
                minor,
                "1.5.0",
                &["feat: y"],
                &[],
                Some("because of 0aaaaaa \"feat: y\""),
            ),
            (
                "a Release-As outside the line",
                major,
                "3.0.0",
                &["chore: bump\n\nRelease-As: 3.0.0"],
                &[],
                Some("0aaaaaa (Release-As: 3.0.0)"),
            ),
            (
                "main released 1.5.0 in the same line",
                major,
                "1.5.0",
                &["feat: y"],
                &["1.5.0", "1.4.9"],
                Some("1.5.0 is not below 1.5.0, which another branch released in line 1.x"),
            ),
            (
                "a prerelease elsewhere does not count",
                major,
                "1.5.0",
                &["feat: y"],
                &["1.6.0-rc.1"],
                None,
            ),
        ];
        for (name, line, next, commits, elsewhere, want) in table {
            let elsewhere: Vec<Version> = elsewhere.iter().map(|s| v(s)).collect();
            let got = out_of_line(line, &v(next), &analysis(commits), &elsewhere);
            match (want, got) {
                (None, None) => {}
                (Some(want), Some(got)) => assert!(got.contains(want), "{name}: {got}"),
                (want, got) => panic!("{name}: want {want:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn floating_tags_and_latest_stay_with_the_newest_line() {
        let format = TagFormat::parse("v${version}").unwrap();
        let all: Vec<Version> = ["1.4.2", "1.5.0", "2.0.0", "2.1.0", "3.0.0-rc.1"]
            .iter()
            .map(|s| v(s))
            .collect();
        // (name, released, tags it takes, latest)
        let table: &[(&str, &str, &[&str], bool)] = &[
            ("a fix of 1.4 while 1.5 exists", "1.4.3", &["v1.4"], false),
            ("a fix of 1.5: v1 and v1.5", "1.5.1", &["v1", "v1.5"], false),
            ("the newest line", "2.1.1", &["v2", "v2.1"], true),
            ("a prerelease takes none", "3.0.0-rc.2", &[], false),
        ];
        for (name, released, tags, latest) in table {
            assert_eq!(floating_tags(&format, &v(released), &all), *tags, "{name}");
            assert_eq!(is_latest(&v(released), &all), *latest, "{name}");
        }
    }
}

//! Results → output values. Pure: the caller writes them through the runner.
//!
//! One repository: the [`FIXED_OUTPUTS`]. Monorepo (`packages`): every fixed output per package
//! as `<package>-<output>`, and the fixed outputs summarise the run: `released` (any package),
//! `skip` / `deploy-all` (any package's commits), `commits` / `commit-count` (every package's,
//! a commit touching two packages once), `notes` (every package's,
//! one after the other), `notes-file` (the first released package's); `version`, `tag`, … are
//! empty there because they belong to one package.

use crate::analyze::{Analysis, AnalyzedCommit};
use crate::version::VersionPlan;

/// What one package (or the whole repository) came to.
#[derive(Debug, Clone)]
pub struct PackageResult {
    /// Empty for the whole repository.
    pub package: String,
    pub plan: VersionPlan,
    /// The release tag (or, without a release, the last release's tag).
    pub tag: String,
    pub previous_tag: String,
    pub notes: String,
    pub notes_file: String,
    pub commit_count: usize,
    pub dev_tag: String,
    pub analysis: Analysis,
    /// Tags of the format that are not semantic versions.
    pub not_semver: Vec<String>,
    pub tag_format: String,
    /// The floating tags (`vX`, `vX.Y`) the release takes: those no newer release holds.
    pub floating: Vec<String>,
    /// The release is the highest stable version: GitHub's latest.
    pub latest: bool,
    /// `mode: release-pr`: the release pull request that proposes this release, or whose
    /// merge this run released.
    pub release_pr: Option<PrRef>,
    /// `mode: release-pr` holds the release for its pull request: nothing released this run.
    pub held: bool,
}

/// A release pull request, for the outputs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrRef {
    pub number: u64,
    pub url: String,
}

impl PackageResult {
    /// Whether this run released it (a release pull request only proposes).
    pub fn released(&self) -> bool {
        self.plan.released && !self.held
    }
}

/// Outputs that are ours, in the order of `action.yml`.
pub const FIXED_OUTPUTS: &[&str] = &[
    "version",
    "previous-version",
    "tag",
    "previous-tag",
    "bump",
    "released",
    "prerelease",
    "major",
    "minor",
    "patch",
    "notes",
    "notes-file",
    "commits",
    "commit-count",
    "dev-tag",
    "skip",
    "deploy-all",
    "release-pr",
    "release-pr-url",
];

fn bool_str(b: bool) -> String {
    if b { "true" } else { "false" }.to_string()
}

/// The fixed outputs of one result, in [`FIXED_OUTPUTS`] order.
pub fn of_result(r: &PackageResult) -> Vec<(&'static str, String)> {
    let opt = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_default();
    vec![
        (
            "version",
            r.plan
                .version
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
        ),
        (
            "previous-version",
            r.plan
                .previous
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
        ),
        ("tag", r.tag.clone()),
        ("previous-tag", r.previous_tag.clone()),
        ("bump", r.plan.bump.as_str().to_string()),
        ("released", bool_str(r.released())),
        ("prerelease", bool_str(r.plan.prerelease)),
        ("major", opt(r.plan.major())),
        ("minor", opt(r.plan.minor())),
        ("patch", opt(r.plan.patch())),
        ("notes", r.notes.clone()),
        ("notes-file", r.notes_file.clone()),
        (
            "commits",
            commits_json(&r.analysis.commits.iter().collect::<Vec<_>>()),
        ),
        ("commit-count", r.commit_count.to_string()),
        ("dev-tag", r.dev_tag.clone()),
        ("skip", bool_str(r.analysis.skip_ci)),
        ("deploy-all", bool_str(r.analysis.deploy_all)),
        (
            "release-pr",
            r.release_pr
                .as_ref()
                .map(|p| p.number.to_string())
                .unwrap_or_default(),
        ),
        (
            "release-pr-url",
            r.release_pr
                .as_ref()
                .map(|p| p.url.clone())
                .unwrap_or_default(),
        ),
    ]
}

/// The most commits the `commits` output lists (the newest): a step output is limited to
/// 1 MB, and a first release may analyse 100,000 commits. `commit-count` counts them all.
pub const MAX_COMMITS_LISTED: usize = 500;

/// The `commits` output: a JSON list, oldest first, of the commits analysed (the newest
/// [`MAX_COMMITS_LISTED`]), each `{sha, type, scope, subject, breaking, bump, counted}`;
/// `type` and `scope` are null for a commit that is not conventional, `bump` is what the rules
/// give it, `counted` whether it takes part in the release (false for a reverted pair, a
/// merge whose commits are analysed, a message that is not conventional).
pub fn commits_json(commits: &[&AnalyzedCommit]) -> String {
    let skip = commits.len().saturating_sub(MAX_COMMITS_LISTED);
    let list: Vec<serde_json::Value> = commits[skip..]
        .iter()
        .map(|c| {
            let cc = c.conventional.as_ref();
            serde_json::json!({
                "sha": c.sha,
                "type": cc.map(|cc| cc.r#type.as_str()),
                "scope": cc.and_then(|cc| cc.scope.as_deref()),
                "subject": c.subject,
                "breaking": cc.is_some_and(|cc| cc.breaking),
                "bump": c.bump.as_str(),
                "counted": c.counts(),
            })
        })
        .collect();
    serde_json::Value::Array(list).to_string()
}

/// Every output, in order: per package then the fixed ones in monorepo mode.
pub fn values(results: &[PackageResult], monorepo: bool) -> Vec<(String, String)> {
    if !monorepo {
        return results
            .first()
            .map(|r| {
                of_result(r)
                    .into_iter()
                    .map(|(n, v)| (n.to_string(), v))
                    .collect()
            })
            .unwrap_or_default();
    }
    let mut out = Vec::new();
    for r in results {
        for (name, value) in of_result(r) {
            out.push((format!("{}-{name}", r.package), value));
        }
    }
    let released: Vec<&PackageResult> = results.iter().filter(|r| r.released()).collect();
    let pr = results.iter().find_map(|r| r.release_pr.as_ref());
    for name in FIXED_OUTPUTS {
        let value = match *name {
            "released" => bool_str(!released.is_empty()),
            "skip" => bool_str(results.iter().any(|r| r.analysis.skip_ci)),
            "deploy-all" => bool_str(results.iter().any(|r| r.analysis.deploy_all)),
            "commits" | "commit-count" => {
                let mut seen = std::collections::HashSet::new();
                let all: Vec<&AnalyzedCommit> = results
                    .iter()
                    .flat_map(|r| r.analysis.commits.iter())
                    .filter(|c| seen.insert(c.sha.as_str()))
                    .collect();
                if *name == "commits" {
                    commits_json(&all)
                } else {
                    all.len().to_string()
                }
            }
            "notes" => released
                .iter()
                .map(|r| r.notes.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
            "notes-file" => released
                .first()
                .map(|r| r.notes_file.clone())
                .unwrap_or_default(),
            "dev-tag" => results
                .first()
                .map(|r| r.dev_tag.clone())
                .unwrap_or_default(),
            "bump" => "none".to_string(),
            "prerelease" => bool_str(released.iter().any(|r| r.plan.prerelease)),
            "release-pr" => pr.map(|p| p.number.to_string()).unwrap_or_default(),
            "release-pr-url" => pr.map(|p| p.url.clone()).unwrap_or_default(),
            _ => String::new(),
        };
        out.push(((*name).to_string(), value));
    }
    out
}

/// Package names whose outputs would collide with ours or with each other's.
pub fn check_package_names(names: &[&str]) -> Result<(), String> {
    for (i, a) in names.iter().enumerate() {
        for suffix in FIXED_OUTPUTS {
            let out = format!("{a}-{suffix}");
            if FIXED_OUTPUTS.contains(&out.as_str()) {
                return Err(format!(
                    "package '{a}' would write output '{out}', which is also a fixed output; rename the package"
                ));
            }
            for b in &names[i + 1..] {
                if FIXED_OUTPUTS.iter().any(|s| format!("{b}-{s}") == out) {
                    return Err(format!(
                        "packages '{a}' and '{b}' both write output '{out}'; rename one of them"
                    ));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{MAX_COMMITS_LISTED, check_package_names, commits_json};
    use crate::analyze::{AnalyzedCommit, CommitStatus};
    use crate::rules::Bump;

    #[test]
    fn the_commits_list_keeps_the_newest_and_stays_small() {
        let commits: Vec<AnalyzedCommit> = (0..MAX_COMMITS_LISTED + 100)
            .map(|i| AnalyzedCommit {
                sha: format!("{i:040}"),
                subject: format!("commit {i}"),
                conventional: None,
                bump: Bump::None,
                rule: None,
                status: CommitStatus::Unparseable,
            })
            .collect();
        let refs: Vec<&AnalyzedCommit> = commits.iter().collect();
        let list: serde_json::Value = serde_json::from_str(&commits_json(&refs)).unwrap();
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), MAX_COMMITS_LISTED);
        assert_eq!(list[0]["subject"], "commit 100");
        assert_eq!(
            list[MAX_COMMITS_LISTED - 1]["subject"],
            format!("commit {}", MAX_COMMITS_LISTED + 99)
        );
        assert_eq!(list[0]["type"], serde_json::Value::Null);
        assert_eq!(list[0]["counted"], false);
    }

    #[test]
    fn package_names_that_would_collide_are_refused() {
        assert!(check_package_names(&["api", "web"]).is_ok());
        let e = check_package_names(&["previous"]).unwrap_err();
        assert!(e.contains("previous-version"), "{e}");
        let e = check_package_names(&["a", "a-previous"]).unwrap_err();
        assert!(e.contains("a-previous-version"), "{e}");
    }
}

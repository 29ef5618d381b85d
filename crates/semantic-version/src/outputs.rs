//! Results → output values. Pure: the caller writes them through the runner.
//!
//! One repository: the [`FIXED_OUTPUTS`]. Monorepo (`packages`): every fixed output per package
//! as `<package>-<output>`, and the fixed outputs summarise the run: `released` (any package),
//! `skip` / `deploy-all` (any package's commits), `commits` (all), `notes` (every package's,
//! one after the other), `notes-file` (the first released package's); `version`, `tag`, … are
//! empty there because they belong to one package.

use crate::analyze::Analysis;
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
    "dev-tag",
    "skip",
    "deploy-all",
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
        ("released", bool_str(r.plan.released)),
        ("prerelease", bool_str(r.plan.prerelease)),
        ("major", opt(r.plan.major())),
        ("minor", opt(r.plan.minor())),
        ("patch", opt(r.plan.patch())),
        ("notes", r.notes.clone()),
        ("notes-file", r.notes_file.clone()),
        ("commits", r.commit_count.to_string()),
        ("dev-tag", r.dev_tag.clone()),
        ("skip", bool_str(r.analysis.skip_ci)),
        ("deploy-all", bool_str(r.analysis.deploy_all)),
    ]
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
    let released: Vec<&PackageResult> = results.iter().filter(|r| r.plan.released).collect();
    for name in FIXED_OUTPUTS {
        let value = match *name {
            "released" => bool_str(!released.is_empty()),
            "skip" => bool_str(results.iter().any(|r| r.analysis.skip_ci)),
            "deploy-all" => bool_str(results.iter().any(|r| r.analysis.deploy_all)),
            "commits" => results
                .iter()
                .map(|r| r.commit_count)
                .sum::<usize>()
                .to_string(),
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
    use super::check_package_names;

    #[test]
    fn package_names_that_would_collide_are_refused() {
        assert!(check_package_names(&["api", "web"]).is_ok());
        let e = check_package_names(&["previous"]).unwrap_err();
        assert!(e.contains("previous-version"), "{e}");
        let e = check_package_names(&["a", "a-previous"]).unwrap_err();
        assert!(e.contains("a-previous-version"), "{e}");
    }
}

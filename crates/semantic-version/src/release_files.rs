//! The files a release changes: each released package's version files set to its version and
//! its notes prepended to the CHANGELOG. What goes into the release pull request's commit
//! (`mode: release-pr`) and into the release commit of `commit-changelog: true`.
//!
//! Pure over a reader of the files at the released commit ([`release_files`]); the commit is
//! made by [`crate::git::Git::commit_files`].

use std::collections::{BTreeMap, BTreeSet};

use semver::Version;

use crate::git::ChangedFile;
use crate::notes::prepend_changelog;
use crate::version_files::{BumpContext, Format, bump, format_of};

/// One released package's part: its version, its notes, its version files (paths from the
/// repository's root).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageRelease {
    pub version: Version,
    pub notes: String,
    pub version_files: Vec<String>,
}

/// The changed files of a release, in path order: `read` gives a file's content at the commit
/// released (`None`: no such file). `changelog` is the CHANGELOG's path from the root, when
/// one is kept; a package's notes go into it in the order given. A version file that is missing
/// or has no version is an error naming it; a file that would not change is left out.
pub fn release_files(
    releases: &[PackageRelease],
    changelog: Option<&str>,
    chart_app_version: bool,
    read: impl Fn(&str) -> Result<Option<Vec<u8>>, String>,
) -> Result<Vec<ChangedFile>, String> {
    let text = |path: &str| -> Result<Option<String>, String> {
        match read(path)? {
            None => Ok(None),
            Some(bytes) => String::from_utf8(bytes)
                .map(Some)
                .map_err(|_| format!("{path}: not UTF-8 text, so its version cannot be set")),
        }
    };
    let mut changed: BTreeMap<String, (String, String)> = BTreeMap::new();
    // Cargo.lock is done last: it needs the packages whose Cargo.toml changed.
    let mut locks: Vec<(&str, &Version)> = Vec::new();
    let mut cargo = BumpContext::default();
    for release in releases {
        for path in &release.version_files {
            let format = match format_of(path) {
                Format::HelmChart { .. } => Format::HelmChart {
                    app_version: chart_app_version,
                },
                Format::CargoLock => {
                    locks.push((path, &release.version));
                    continue;
                }
                other => other,
            };
            let original = match changed.get(path) {
                Some((_, now)) => now.clone(),
                None => text(path)?.ok_or_else(|| {
                    format!(
                        "{path}: not in the repository at the released commit; check `version-files` (paths are relative to the working directory)"
                    )
                })?,
            };
            let bumped = bump(
                path,
                format,
                &original,
                &release.version,
                &BumpContext::default(),
            )
            .map_err(|e| e.to_string())?;
            if format == Format::CargoToml {
                cargo.cargo_packages.extend(cargo_names(&original, &bumped));
            }
            let first = changed
                .get(path)
                .map_or_else(|| original.clone(), |(first, _)| first.clone());
            changed.insert(path.clone(), (first, bumped.content));
        }
    }
    for (path, version) in locks {
        let original = text(path)?.ok_or_else(|| {
            format!("{path}: not in the repository at the released commit; check `version-files`")
        })?;
        let context = BumpContext {
            cargo_packages: lock_members(&original, &cargo.cargo_packages),
        };
        let bumped = bump(path, Format::CargoLock, &original, version, &context)
            .map_err(|e| e.to_string())?;
        changed.insert(path.to_owned(), (original, bumped.content));
    }
    if let Some(path) = changelog {
        let mut now = text(path)?.unwrap_or_default();
        let first = now.clone();
        for release in releases {
            now = prepend_changelog(&now, &release.notes).text;
        }
        changed.insert(path.to_owned(), (first, now));
    }
    Ok(changed
        .into_iter()
        .filter(|(_, (first, now))| first != now)
        .map(|(path, (_, now))| ChangedFile {
            path,
            content: now.into_bytes(),
        })
        .collect())
}

/// The packages a Cargo.toml's bump concerns, for its Cargo.lock: its `package.name`, and
/// when it sets `workspace.package.version`, the marker `*` with the old version (the members
/// that inherit it are the lock's path packages at that version).
fn cargo_names(original: &str, bumped: &crate::version_files::Bumped) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let Ok(doc) = original.parse::<toml_edit::DocumentMut>() else {
        return names;
    };
    if let Some(name) = doc
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
    {
        names.insert(name.to_owned());
    }
    for change in &bumped.changes {
        if change.field == "workspace.package.version" {
            names.insert(format!("*{}", change.old));
        }
    }
    names
}

/// The lock's path packages (no `source`) that `wanted` names, `*<version>` standing for every
/// path package at that version (the members inheriting the workspace's version).
fn lock_members(lock: &str, wanted: &BTreeSet<String>) -> BTreeSet<String> {
    let inherited: Vec<&str> = wanted.iter().filter_map(|w| w.strip_prefix('*')).collect();
    let mut out: BTreeSet<String> = wanted
        .iter()
        .filter(|w| !w.starts_with('*'))
        .cloned()
        .collect();
    let Ok(doc) = lock.parse::<toml_edit::DocumentMut>() else {
        return out;
    };
    let packages = doc
        .get("package")
        .and_then(|p| p.as_array_of_tables())
        .into_iter()
        .flat_map(|a| a.iter());
    for p in packages {
        let version = p
            .get("version")
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        if p.get("source").is_none()
            && inherited.contains(&version)
            && let Some(name) = p.get("name").and_then(|n| n.as_str())
        {
            out.insert(name.to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORKSPACE: &str = "[workspace]\nmembers = [\"api\", \"cli\"]\n\n[workspace.package]\nversion = \"1.2.3\" # the release sets this\nedition = \"2024\"\n";
    const MEMBER: &str = "[package]\nname = \"api\"\nversion.workspace = true\n";
    const LOCK: &str = "version = 4\n\n[[package]]\nname = \"api\"\nversion = \"1.2.3\"\n\n[[package]]\nname = \"cli\"\nversion = \"1.2.3\"\n\n[[package]]\nname = \"serde\"\nversion = \"1.2.3\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
    const PACKAGE_JSON: &str =
        "{\n  \"name\": \"web\",\n  \"version\": \"1.2.3\",\n  \"private\": true\n}\n";
    const CHART: &str =
        "apiVersion: v2\nname: shop\nversion: 1.2.3 # chart\nappVersion: \"v1.2.3\"\n";

    fn read(path: &str) -> Result<Option<Vec<u8>>, String> {
        Ok(match path {
            "Cargo.toml" => Some(WORKSPACE),
            "api/Cargo.toml" => Some(MEMBER),
            "Cargo.lock" => Some(LOCK),
            "web/package.json" => Some(PACKAGE_JSON),
            "charts/shop/Chart.yaml" => Some(CHART),
            "CHANGELOG.md" => Some("# Changelog\n\n## 1.2.3\n\n* old\n"),
            _ => None,
        }
        .map(|s| s.as_bytes().to_vec()))
    }

    fn release(files: &[&str]) -> PackageRelease {
        PackageRelease {
            version: Version::parse("1.3.0").unwrap(),
            notes: "## 1.3.0\n\n* new\n".into(),
            version_files: files.iter().map(|f| (*f).to_owned()).collect(),
        }
    }

    /// The lines of `after` that differ from `before`, as (before, after).
    fn diff(before: &str, after: &[u8]) -> Vec<(String, String)> {
        let after = String::from_utf8(after.to_vec()).unwrap();
        assert_eq!(before.lines().count(), after.lines().count());
        before
            .lines()
            .zip(after.lines())
            .filter(|(a, b)| a != b)
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect()
    }

    #[test]
    fn a_workspace_an_npm_package_and_a_chart_change_only_their_version_lines() {
        let files = [
            "Cargo.toml",
            "api/Cargo.toml",
            "Cargo.lock",
            "web/package.json",
            "charts/shop/Chart.yaml",
        ];
        let changed = release_files(&[release(&files)], Some("CHANGELOG.md"), true, read).unwrap();
        let paths: Vec<&str> = changed.iter().map(|f| f.path.as_str()).collect();
        // The member inherits its version: unchanged, left out.
        assert_eq!(
            paths,
            [
                "CHANGELOG.md",
                "Cargo.lock",
                "Cargo.toml",
                "charts/shop/Chart.yaml",
                "web/package.json"
            ]
        );
        let of = |p: &str| &changed.iter().find(|f| f.path == p).unwrap().content;
        assert_eq!(
            diff(WORKSPACE, of("Cargo.toml")),
            [(
                "version = \"1.2.3\" # the release sets this".into(),
                "version = \"1.3.0\" # the release sets this".into()
            )]
        );
        // Both members (at the workspace's old version), never the registry's serde.
        assert_eq!(
            diff(LOCK, of("Cargo.lock")),
            [
                ("version = \"1.2.3\"".into(), "version = \"1.3.0\"".into()),
                ("version = \"1.2.3\"".into(), "version = \"1.3.0\"".into())
            ]
        );
        assert_eq!(
            diff(PACKAGE_JSON, of("web/package.json")),
            [(
                "  \"version\": \"1.2.3\",".into(),
                "  \"version\": \"1.3.0\",".into()
            )]
        );
        assert_eq!(
            diff(CHART, of("charts/shop/Chart.yaml")),
            [
                (
                    "version: 1.2.3 # chart".into(),
                    "version: 1.3.0 # chart".into()
                ),
                (
                    "appVersion: \"v1.2.3\"".into(),
                    "appVersion: \"v1.3.0\"".into()
                )
            ]
        );
        assert!(
            String::from_utf8_lossy(of("CHANGELOG.md"))
                .starts_with("# Changelog\n\n## 1.3.0\n\n* new\n\n## 1.2.3")
        );
        // Without appVersion asked, the chart's appVersion stays.
        let changed =
            release_files(&[release(&["charts/shop/Chart.yaml"])], None, false, read).unwrap();
        assert_eq!(diff(CHART, &changed[0].content).len(), 1);
    }

    #[test]
    fn a_missing_or_versionless_file_is_an_error_naming_it() {
        let err = release_files(&[release(&["nope/package.json"])], None, false, read).unwrap_err();
        assert!(
            err.contains("nope/package.json: not in the repository"),
            "{err}"
        );
        let err = release_files(&[release(&["CHANGELOG.md"])], None, false, read).unwrap_err();
        assert!(err.contains("CHANGELOG.md"), "{err}");
    }
}

//! Checks shared by the table tests and the corpus test: a line diff that allows only versions
//! to change, and the version fields as other parsers read them.

use semver::Version;

use super::{BumpContext, Format};

pub(super) fn v(s: &str) -> Version {
    Version::parse(s).unwrap()
}

fn is_version_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+')
}

/// The version in `x` that covers byte `i` (or ends at it): its start and end.
fn version_at(x: &[u8], i: usize) -> Option<(usize, usize)> {
    let run_end = i + x[i..].iter().take_while(|b| is_version_byte(**b)).count();
    let mut s = i;
    while s > 0 && is_version_byte(x[s - 1]) {
        s -= 1;
    }
    // The rightmost number start whose longest semantic version reaches `i`.
    (s..=i.min(x.len().saturating_sub(1)))
        .rev()
        .filter(|&s| x[s].is_ascii_digit() && (s == 0 || !x[s - 1].is_ascii_digit()))
        .find_map(|s| {
            (s + 5..=run_end)
                .rev()
                .filter(|&e| {
                    e >= i
                        && !x
                            .get(e)
                            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
                })
                .find(|&e| std::str::from_utf8(&x[s..e]).is_ok_and(|t| Version::parse(t).is_ok()))
                .map(|e| (s, e))
        })
}

/// `after` is `before` with only versions replaced by `new`: the same lines (terminators
/// included), and in each line that differs, every difference is a whole semantic version of
/// `before` replaced by `new` (a `v` prefix, quotes and the rest of the line unchanged).
/// Returns the changed lines (1-based).
pub(super) fn assert_only_versions(before: &str, after: &str, new: &Version) -> Vec<usize> {
    let a: Vec<&str> = before.split_inclusive('\n').collect();
    let b: Vec<&str> = after.split_inclusive('\n').collect();
    assert_eq!(a.len(), b.len(), "the number of lines changed");
    let new = new.to_string();
    let mut changed = Vec::new();
    for (n, (x, y)) in a.iter().zip(&b).enumerate() {
        if x == y {
            continue;
        }
        changed.push(n + 1);
        let (mut x, mut y) = (x.as_bytes(), y.as_bytes());
        loop {
            let i = x.iter().zip(y).take_while(|(p, q)| p == q).count();
            if i == x.len() && i == y.len() {
                break;
            }
            let Some((s, e)) = version_at(x, i) else {
                panic!(
                    "line {}: {:?} differs from {:?} outside a version",
                    n + 1,
                    String::from_utf8_lossy(x),
                    String::from_utf8_lossy(y)
                );
            };
            assert!(
                y[s..].starts_with(new.as_bytes()),
                "line {}: {:?} is not {new} at byte {s}",
                n + 1,
                String::from_utf8_lossy(y)
            );
            (x, y) = (&x[e..], &y[s + new.len()..]);
        }
    }
    changed
}

/// The version fields of `content` as another parser reads them (toml_edit's mutable document,
/// serde_json, serde-saphyr), with a `v` prefix removed where the format keeps one; markers
/// give none. Inherited Cargo.toml versions (tables) are skipped.
pub(super) fn fields_by_other_parser(
    format: Format,
    content: &str,
    ctx: &BumpContext,
) -> Vec<(String, String)> {
    let content = content.strip_prefix('\u{feff}').unwrap_or(content);
    let mut fields = Vec::new();
    let mut push = |field: &str, value: Option<&str>| {
        if let Some(value) = value {
            fields.push((field.to_owned(), value.to_owned()));
        }
    };
    match format {
        Format::CargoToml | Format::CargoLock | Format::Pyproject => {
            let doc: toml_edit::DocumentMut = content.parse().unwrap();
            let get = |path: &[&str]| {
                let mut item = doc.as_item();
                for key in path {
                    item = item.get(key)?;
                }
                item.as_str()
            };
            match format {
                Format::CargoToml => {
                    push(
                        "workspace.package.version",
                        get(&["workspace", "package", "version"]),
                    );
                    push("package.version", get(&["package", "version"]));
                }
                Format::Pyproject => {
                    push("project.version", get(&["project", "version"]));
                    push("tool.poetry.version", get(&["tool", "poetry", "version"]));
                }
                _ => {
                    let packages = doc["package"].as_array_of_tables().unwrap();
                    for package in packages.iter() {
                        let name = package["name"].as_str().unwrap();
                        if ctx.cargo_packages.contains(name) && !package.contains_key("source") {
                            push(name, package["version"].as_str());
                        }
                    }
                }
            }
        }
        Format::PackageJson | Format::PackageLock => {
            let json: serde_json::Value = serde_json::from_str(content).unwrap();
            push("version", json["version"].as_str());
            if format == Format::PackageLock {
                push(
                    "packages[\"\"].version",
                    json["packages"][""]["version"].as_str(),
                );
            }
        }
        Format::HelmChart { app_version } => {
            #[derive(serde::Deserialize)]
            struct Chart {
                version: String,
                #[serde(rename = "appVersion")]
                app_version: Option<String>,
            }
            // Whole-line comments dropped: serde-saphyr's parser refuses a long run of them
            // (the case the tool itself must carry).
            let uncommented: String = content
                .lines()
                .filter(|l| !l.trim_start().starts_with('#'))
                .map(|l| format!("{l}\n"))
                .collect();
            let chart: Chart = serde_saphyr::from_str(&uncommented).unwrap();
            push("version", Some(chart.version.trim_start_matches('v')));
            if app_version {
                push(
                    "appVersion",
                    chart
                        .app_version
                        .as_deref()
                        .map(|v| v.trim_start_matches('v')),
                );
            }
        }
        Format::Plain => push(
            "version",
            Some(content.trim().trim_start_matches(['v', 'V'])),
        ),
        Format::Marker => {}
    }
    fields
}

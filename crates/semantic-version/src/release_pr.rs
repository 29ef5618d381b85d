//! Release pull requests (`mode: release-pr`), as release-please makes them: each push to a
//! release branch opens or updates one pull request whose commit bumps the version files and the
//! CHANGELOG and whose body is the release notes; merging it releases.
//!
//! The pull request carries what it releases in its body, so that the run after the merge
//! needs nothing but the pull request: a marker comment names each package's version and tag,
//! and the notes sit between two more markers (edited notes are released as edited). Labels are
//! release-please's (`autorelease: pending` until released, then `autorelease: tagged`), so
//! automations written for it keep working.
//!
//! Everything here is pure: the body and its markers, the title, the branch name, and
//! [`next`], which decides from the pull requests of the release branch whether this run
//! releases a merged one or proposes (opening, updating or reopening one).

use serde::{Deserialize, Serialize};

use crate::github::PullRequest;

/// The label of a release pull request not released yet.
pub const PENDING: &str = "autorelease: pending";
/// The label once its release is tagged.
pub const TAGGED: &str = "autorelease: tagged";

const MARKER: &str = "<!-- gantry-release ";
const NOTES_START: &str = "<!-- gantry-notes";
const NOTES_END: &str = "<!-- /gantry-notes -->";

/// One release a pull request proposes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposed {
    /// Empty for the whole repository.
    pub package: String,
    pub version: String,
    pub tag: String,
    /// The release notes (markdown), read from between the notes markers.
    #[serde(skip)]
    pub notes: String,
}

#[derive(Serialize, Deserialize)]
struct Marker {
    releases: Vec<Proposed>,
}

/// `${branch}` of `template` replaced by the base branch: the release pull request's branch.
pub fn branch_name(template: &str, base: &str) -> String {
    template.replace("${branch}", base)
}

/// The title: `template` with `${tag}` the tags (`v1.3.0`, or `api-v1.3.0, web-v0.2.0`) and
/// `${version}` the versions.
pub fn title(template: &str, releases: &[Proposed]) -> String {
    let join = |f: fn(&Proposed) -> &str| releases.iter().map(f).collect::<Vec<_>>().join(", ");
    template
        .replace("${tag}", &join(|r| r.tag.as_str()))
        .replace("${version}", &join(|r| r.version.as_str()))
}

/// The body: the marker, a line on what merging does, each package's notes between markers.
pub fn body(releases: &[Proposed], base: &str) -> String {
    let marker = serde_json::to_string(&Marker {
        releases: releases.to_vec(),
    })
    .unwrap_or_default();
    let tags: Vec<&str> = releases.iter().map(|r| r.tag.as_str()).collect();
    let mut out = format!(
        "{MARKER}{marker} -->\nMerging this pull request releases **{}**: the merge commit is tagged and the GitHub release is created with the notes below (edit them here to change them). Until then every push to `{base}` updates it.\n",
        tags.join("**, **")
    );
    for r in releases {
        let name = if r.package.is_empty() {
            String::new()
        } else {
            format!(" package={}", r.package)
        };
        out.push_str(&format!(
            "\n---\n{NOTES_START}{name} -->\n{}\n{NOTES_END}\n",
            r.notes.trim_end()
        ));
    }
    out
}

/// The releases a pull request body proposes, with their notes; why not when its marker is
/// missing or broken.
pub fn parse_body(body: &str) -> Result<Vec<Proposed>, String> {
    let start = body
        .find(MARKER)
        .ok_or("its body has no `<!-- gantry-release … -->` marker")?;
    let rest = &body[start + MARKER.len()..];
    let end = rest
        .find("-->")
        .ok_or("its `gantry-release` marker is not closed")?;
    let marker: Marker = serde_json::from_str(rest[..end].trim())
        .map_err(|e| format!("its `gantry-release` marker is not valid: {e}"))?;
    let mut releases = marker.releases;
    for r in &mut releases {
        r.notes = notes_of(body, &r.package)
            .ok_or_else(|| format!("its body has no notes for {}", r.tag))?;
    }
    if releases.is_empty() {
        return Err("its `gantry-release` marker names no release".into());
    }
    Ok(releases)
}

fn notes_of(body: &str, package: &str) -> Option<String> {
    let open = if package.is_empty() {
        format!("{NOTES_START} -->")
    } else {
        format!("{NOTES_START} package={package} -->")
    };
    let start = body.find(&open)? + open.len();
    let len = body[start..].find(NOTES_END)?;
    // GitHub stores bodies edited in its web editor with CRLF line ends.
    Some(
        body[start..start + len]
            .replace("\r\n", "\n")
            .trim()
            .to_owned()
            + "\n",
    )
}

/// What this run does on the release branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// A merged release pull request, still pending, whose merge commit is in this branch:
    /// tag its merge commit and release what it proposes.
    Release {
        number: u64,
        merge_commit: String,
        releases: Vec<Proposed>,
    },
    /// Propose the next release: update the open pull request, reopen the newest closed
    /// (unmerged) one, or open one.
    Propose(Existing),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    Open(u64),
    Reopen(u64),
    None,
}

/// [`Next`] from the pull requests of the release branch (`pulls`, any order);
/// `merged_here` says whether a commit is in the branch's history.
pub fn next(pulls: &[PullRequest], merged_here: impl Fn(&str) -> bool) -> Result<Next, String> {
    let mut pulls: Vec<&PullRequest> = pulls.iter().collect();
    pulls.sort_by_key(|p| std::cmp::Reverse(p.number));
    let merged = pulls.iter().find(|p| {
        p.merged()
            && p.has_label(PENDING)
            && p.merge_commit_sha.as_deref().is_some_and(&merged_here)
    });
    if let Some(p) = merged {
        let releases = parse_body(p.body.as_deref().unwrap_or_default())
            .map_err(|e| format!("release pull request #{} was merged, but {e}: restore the body, or remove its label `{PENDING}` and release by hand", p.number))?;
        return Ok(Next::Release {
            number: p.number,
            merge_commit: p.merge_commit_sha.clone().unwrap_or_default(),
            releases,
        });
    }
    if let Some(open) = pulls.iter().find(|p| p.state == "open") {
        return Ok(Next::Propose(Existing::Open(open.number)));
    }
    // Never merged and closed: reopened (a closed one keeps its discussion), not duplicated.
    Ok(Next::Propose(
        match pulls.iter().find(|p| !p.merged() && p.has_label(PENDING)) {
            Some(p) => Existing::Reopen(p.number),
            None => Existing::None,
        },
    ))
}

/// The message of the release commit: Conventional (`chore(release)`, no bump), naming the
/// releases.
pub fn commit_message(releases: &[Proposed]) -> String {
    let tags: Vec<&str> = releases.iter().map(|r| r.tag.as_str()).collect();
    format!("chore(release): {}", tags.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::{Label, PullRef};

    fn proposed(package: &str, version: &str, tag: &str) -> Proposed {
        Proposed {
            package: package.into(),
            version: version.into(),
            tag: tag.into(),
            notes: format!("## {version}\n\n### Bug Fixes\n\n* a fix of {tag}\n"),
        }
    }

    fn pr(
        number: u64,
        state: &str,
        merged: Option<&str>,
        labels: &[&str],
        body: &str,
    ) -> PullRequest {
        PullRequest {
            number,
            state: state.into(),
            title: "release".into(),
            body: Some(body.into()),
            merged_at: merged.map(|_| "2026-12-07T10:00:00Z".into()),
            merge_commit_sha: merged.map(str::to_owned),
            html_url: String::new(),
            head: PullRef {
                reference: "gantry-release/main".into(),
                sha: "h".into(),
            },
            base: PullRef {
                reference: "main".into(),
                sha: String::new(),
            },
            labels: labels
                .iter()
                .map(|l| Label {
                    name: (*l).to_owned(),
                })
                .collect(),
        }
    }

    #[test]
    fn the_body_carries_what_it_releases_and_its_notes() {
        let single = vec![proposed("", "1.3.0", "v1.3.0")];
        let body = body(&single, "main");
        assert!(body.contains("releases **v1.3.0**"), "{body}");
        assert_eq!(parse_body(&body).unwrap(), single);
        let mono = vec![
            proposed("api", "1.3.0", "api-v1.3.0"),
            proposed("web", "0.2.1", "web-v0.2.1"),
        ];
        let text = body_of(&mono);
        assert_eq!(parse_body(&text).unwrap(), mono);
        // Notes edited in GitHub's editor (CRLF, a line added) are released as edited.
        let edited = text.replace(
            "* a fix of api-v1.3.0\n",
            "* a fix of api-v1.3.0\r\n* and a word\r\n",
        );
        assert_eq!(
            parse_body(&edited).unwrap()[0].notes,
            "## 1.3.0\n\n### Bug Fixes\n\n* a fix of api-v1.3.0\n* and a word\n"
        );
        // (body, error contains)
        let bad: &[(&str, &str)] = &[
            ("just text", "no `<!-- gantry-release"),
            ("<!-- gantry-release {\"releases\": [] -->", "not valid"),
            (
                "<!-- gantry-release {\"releases\": []} -->",
                "names no release",
            ),
            (
                "<!-- gantry-release {\"releases\": [{\"package\":\"\",\"version\":\"1.0.0\",\"tag\":\"v1.0.0\"}]} -->",
                "no notes for v1.0.0",
            ),
        ];
        for (b, want) in bad {
            let err = parse_body(b).unwrap_err();
            assert!(err.contains(want), "{b}: {err}");
        }
    }

    fn body_of(releases: &[Proposed]) -> String {
        body(releases, "main")
    }

    #[test]
    fn titles_and_branches() {
        let mono = vec![
            proposed("api", "1.3.0", "api-v1.3.0"),
            proposed("web", "0.2.1", "web-v0.2.1"),
        ];
        assert_eq!(
            title("release: ${tag}", &mono),
            "release: api-v1.3.0, web-v0.2.1"
        );
        assert_eq!(
            title(
                "chore: release ${version}",
                &[proposed("", "2.0.0", "v2.0.0")]
            ),
            "chore: release 2.0.0"
        );
        assert_eq!(
            branch_name("gantry-release/${branch}", "main"),
            "gantry-release/main"
        );
        assert_eq!(
            commit_message(&mono),
            "chore(release): api-v1.3.0, web-v0.2.1"
        );
    }

    #[test]
    fn what_the_run_does_with_the_release_branch_pull_requests() {
        let good = body_of(&[proposed("", "1.3.0", "v1.3.0")]);
        let here = |sha: &str| sha != "elsewhere";
        // (name, pull requests, next)
        let table: Vec<(&str, Vec<PullRequest>, Result<Next, &str>)> = vec![
            ("none yet", vec![], Ok(Next::Propose(Existing::None))),
            (
                "one open",
                vec![pr(3, "open", None, &[PENDING], &good)],
                Ok(Next::Propose(Existing::Open(3))),
            ),
            (
                "merged and pending: release it",
                vec![
                    pr(3, "closed", Some("m3"), &[PENDING], &good),
                    pr(2, "closed", Some("m2"), &[TAGGED], &good),
                ],
                Ok(Next::Release {
                    number: 3,
                    merge_commit: "m3".into(),
                    releases: vec![proposed("", "1.3.0", "v1.3.0")],
                }),
            ),
            (
                "merged and tagged, a new one is open",
                vec![
                    pr(2, "closed", Some("m2"), &[TAGGED], &good),
                    pr(4, "open", None, &[PENDING], &good),
                ],
                Ok(Next::Propose(Existing::Open(4))),
            ),
            (
                "closed without merging: reopen the newest",
                vec![
                    pr(2, "closed", None, &[PENDING], &good),
                    pr(5, "closed", None, &[PENDING], &good),
                ],
                Ok(Next::Propose(Existing::Reopen(5))),
            ),
            (
                "a merge commit not in this branch is not ours to tag",
                vec![pr(3, "closed", Some("elsewhere"), &[PENDING], &good)],
                Ok(Next::Propose(Existing::None)),
            ),
            (
                "merged with its body emptied",
                vec![pr(3, "closed", Some("m3"), &[PENDING], "")],
                Err("release pull request #3 was merged, but its body has no"),
            ),
        ];
        for (name, pulls, want) in table {
            match (next(&pulls, here), want) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{name}"),
                (Err(got), Err(want)) => assert!(got.contains(want), "{name}: {got}"),
                (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
            }
        }
    }
}

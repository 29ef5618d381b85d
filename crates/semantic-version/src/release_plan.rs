//! The decisions of one run, as pure functions over what git and the inputs showed: which
//! channel the branch releases on, which tags are the base of the next version, which tag the
//! version gets, whether a commit would be released twice, whether a shallow clone must be
//! completed, and which writes the release makes, in order. `run` gathers the facts and
//! carries these out.

use std::path::Path;

use semver::Version;

use crate::maintenance::{Line, MaintenanceBranch};
use crate::tag_format::TagFormat;
use crate::version::{VersionPlan, cmp_precedence};

/// What a branch releases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelKind {
    /// A release branch: stable versions.
    Stable,
    /// A prerelease branch: `X.Y.Z-<identifier>.N`.
    Prerelease(String),
    /// A maintenance branch: stable versions inside its line only.
    Maintenance(Line),
    /// Any other branch, a tag or a detached HEAD: a dev build, nothing released.
    Dev,
}

/// The branch the run is on, from the runner's variables: `GITHUB_HEAD_REF` on a pull request
/// (where `GITHUB_REF_NAME` is `N/merge`), else `GITHUB_REF_NAME` when `GITHUB_REF` is a branch.
pub fn branch_ref_name(
    head_ref: Option<&str>,
    git_ref: Option<&str>,
    ref_name: Option<&str>,
) -> Option<String> {
    if let Some(head_ref) = head_ref.filter(|h| !h.is_empty()) {
        return Some(head_ref.to_owned());
    }
    match git_ref {
        Some(r) if r.starts_with("refs/heads/") => ref_name.map(str::to_owned),
        _ => None,
    }
}

/// The release branches when `release-branches` is empty: the conventional names.
pub const DEFAULT_RELEASE_BRANCHES: [&str; 2] = ["main", "master"];

/// The branches that release: the input's (`configured`) when given; otherwise the repository's
/// default branch (`default_branch`, from the event payload) and [`DEFAULT_RELEASE_BRANCHES`],
/// so a repository whose default branch is `trunk` or `develop` releases from it.
pub fn release_branches(configured: &[String], default_branch: Option<&str>) -> Vec<String> {
    if !configured.is_empty() {
        return configured.to_vec();
    }
    let mut branches: Vec<String> = default_branch
        .filter(|b| !b.is_empty())
        .map(str::to_owned)
        .into_iter()
        .collect();
    for name in DEFAULT_RELEASE_BRANCHES {
        if !branches.iter().any(|b| b == name) {
            branches.push(name.to_owned());
        }
    }
    branches
}

/// Why a run is a dev build, for the log and the summary: the branch is none of the branches
/// that release.
pub fn dev_build_reason(
    branch: Option<&str>,
    release_branches: &[String],
    prerelease_branches: &[(String, String)],
    maintenance_branches: &[MaintenanceBranch],
) -> String {
    let Some(branch) = branch else {
        return "a detached HEAD (no branch) is a dev build: nothing is released".to_owned();
    };
    let list = |names: Vec<&str>| {
        if names.is_empty() {
            "none".to_owned()
        } else {
            names.join(", ")
        }
    };
    format!(
        "branch '{branch}' is a dev build: nothing is released, because it is not a release branch ({}), a prerelease branch ({}) nor a maintenance branch ({}); set `release-branches`, `prerelease-branches` or `maintenance-branches` to release from it",
        release_branches.join(", "),
        list(
            prerelease_branches
                .iter()
                .map(|(b, _)| b.as_str())
                .collect()
        ),
        list(
            maintenance_branches
                .iter()
                .map(|m| m.branch.as_str())
                .collect()
        ),
    )
}

/// The channel of `branch` (`None`: detached) given the release, maintenance and prerelease
/// branches (in that order, when a name is in two lists).
pub fn channel_of(
    release_branches: &[String],
    prerelease_branches: &[(String, String)],
    maintenance_branches: &[MaintenanceBranch],
    branch: Option<&str>,
) -> ChannelKind {
    let Some(branch) = branch else {
        return ChannelKind::Dev;
    };
    if release_branches.iter().any(|b| b == branch) {
        return ChannelKind::Stable;
    }
    if let Some(m) = maintenance_branches.iter().find(|m| m.branch == branch) {
        return ChannelKind::Maintenance(m.line);
    }
    match prerelease_branches.iter().find(|(b, _)| b == branch) {
        Some((_, id)) => ChannelKind::Prerelease(id.clone()),
        None => ChannelKind::Dev,
    }
}

/// The release tags the next version starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base<'a> {
    /// This channel's tags at HEAD itself: this commit's release (a re-run).
    pub at_head: Vec<&'a (String, Version)>,
    /// The highest stable release below HEAD.
    pub last: Option<&'a (String, Version)>,
}

/// The base of the next version among the `versions` merged into `head`; `commit_of` gives
/// each tag's commit. Tags at HEAD are this commit's own release, so the base is below them;
/// of this channel only, because a stable release may mark the commit of a prerelease. On a
/// maintenance branch the base is the highest release of its line.
pub fn release_base<'a>(
    versions: &'a [(String, Version)],
    commit_of: impl Fn(&str) -> &'a str,
    head: &str,
    channel: &ChannelKind,
) -> Base<'a> {
    let channel_id = match channel {
        ChannelKind::Prerelease(id) => Some(id.as_str()),
        _ => None,
    };
    let at_head = versions
        .iter()
        .filter(|(t, v)| {
            commit_of(t) == head
                && match channel_id {
                    None => v.pre.is_empty(),
                    Some(id) => v.pre.as_str().split('.').next() == Some(id),
                }
        })
        .collect();
    let line = match channel {
        ChannelKind::Maintenance(line) => Some(line),
        _ => None,
    };
    let last = versions
        .iter()
        .filter(|(t, v)| {
            v.pre.is_empty() && commit_of(t) != head && line.is_none_or(|l| l.contains(v))
        })
        .max_by(|a, b| cmp_precedence(&a.1, &b.1));
    Base { at_head, last }
}

/// The channel `id`'s newest prerelease below HEAD and above the last stable release
/// (`last`): the commits since it decide whether a new prerelease number is due.
pub fn newest_prerelease<'a>(
    versions: &'a [(String, Version)],
    commit_of: impl Fn(&str) -> &'a str,
    head: &str,
    id: &str,
    last: Option<&Version>,
) -> Option<&'a (String, Version)> {
    versions
        .iter()
        .filter(|(t, v)| {
            commit_of(t) != head
                && v.pre.as_str().split('.').next() == Some(id)
                && last.is_none_or(|l| cmp_precedence(v, l).is_gt())
        })
        .max_by(|a, b| cmp_precedence(&a.1, &b.1))
}

/// The `tag` output: the new release's tag; without a release the last release's tag (or the
/// version's, before any); nothing for a dev build.
pub fn release_tag(plan: &VersionPlan, format: &TagFormat, last_tag: Option<&str>) -> String {
    match (&plan.version, plan.released, &plan.dev_tag) {
        (Some(v), true, None) => format.format(v),
        (Some(v), false, None) => last_tag.map_or_else(|| format.format(v), str::to_owned),
        _ => String::new(),
    }
}

/// The tags this commit is already released as, when the commits now give another one
/// (`tag`): a commit is released once. `None` when there is no conflict.
pub fn released_twice(at_head: &[&(String, Version)], released: bool, tag: &str) -> Option<String> {
    if at_head.is_empty() || !released || at_head.iter().any(|(t, _)| t == tag) {
        return None;
    }
    Some(
        at_head
            .iter()
            .map(|(t, _)| t.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    )
}

/// Why a shallow clone must be completed: the remote has a release tag (not a prerelease) of
/// a higher version than any that the clone's history reaches (`merged`: the tags merged
/// into HEAD), and the clone cannot tell whether it is merged. `None` when it is complete
/// enough. Both lists are `(tag, commit)`.
pub fn higher_release_unseen(
    format: &TagFormat,
    merged: &[(String, String)],
    remote: &[(String, String)],
) -> Option<String> {
    let highest = |tags: &[(String, String)]| {
        format
            .scan(tags.iter().map(|(n, _)| n.as_str()))
            .versions
            .into_iter()
            .filter(|(_, v)| v.pre.is_empty())
            .max_by(|a, b| cmp_precedence(&a.1, &b.1))
    };
    let (tag, version) = highest(remote)?;
    if merged.iter().any(|(name, _)| *name == tag) {
        return None;
    }
    match highest(merged) {
        None => Some(format!(
            "{tag} is on the remote, but the shallow history reaches no release tag"
        )),
        Some((near, near_version)) if cmp_precedence(&version, &near_version).is_gt() => {
            Some(format!(
                "{tag} is on the remote and higher than {near}, the release tag the shallow history reaches"
            ))
        }
        Some(_) => None,
    }
}

/// One write of the release, in the order they are done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Prepend the notes to the CHANGELOG.
    Changelog,
    /// Create the annotated release tag.
    Tag,
    /// Move `vX` and `vX.Y`.
    Floating,
    /// Push the tags.
    Push,
    /// Create the GitHub release.
    Release,
}

/// What the inputs ask the release to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteOptions {
    /// `changelog` is set.
    pub changelog: bool,
    /// `create-tag`.
    pub create_tag: bool,
    /// `floating-tags`.
    pub floating_tags: bool,
    /// `create-release`.
    pub create_release: bool,
    /// The repository has the remote to push to.
    pub has_remote: bool,
}

/// One write: the step, for the package result at `index`, whose version is `version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planned<'a> {
    /// The index of the package's result.
    pub index: usize,
    /// The released version.
    pub version: &'a Version,
    /// The write.
    pub step: Step,
}

impl Planned<'_> {
    /// What the step does and, once done, what it did (for the half-done report).
    pub fn describe(&self, tag: &str, changelog: Option<&Path>, remote: &str) -> (String, String) {
        let version = self.version;
        let changelog = changelog
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        match self.step {
            Step::Changelog => (
                format!("prepending {version} to {changelog}"),
                format!("{version} prepended to {changelog}"),
            ),
            Step::Tag => (format!("creating tag {tag}"), format!("tag {tag} created")),
            Step::Floating => (
                format!("moving the floating tags of {tag}"),
                format!("floating tags of {tag} moved"),
            ),
            Step::Push => (
                format!("pushing {tag} to {remote}"),
                format!("{tag} pushed to {remote}"),
            ),
            Step::Release => (
                format!("creating the GitHub release {tag}"),
                format!("GitHub release {tag} created"),
            ),
        }
    }
}

/// Every write of the run, in order: for each released package (`releases`: its index and
/// version), the CHANGELOG, the tag, the floating tags (stable versions only), the push (when
/// there is a remote), the GitHub release (after the push, so never without a remote). Without
/// `create-tag` only the CHANGELOG is written: a release needs its tag.
pub fn plan_writes<'a>(
    options: WriteOptions,
    releases: &[(usize, &'a Version)],
) -> Vec<Planned<'a>> {
    let mut steps = Vec::new();
    for &(index, version) in releases {
        let mut add = |step| {
            steps.push(Planned {
                index,
                version,
                step,
            });
        };
        if options.changelog {
            add(Step::Changelog);
        }
        if !options.create_tag {
            continue;
        }
        add(Step::Tag);
        if options.floating_tags && version.pre.is_empty() {
            add(Step::Floating);
        }
        if options.has_remote {
            add(Step::Push);
        }
        // The release names a tag that must be on the remote: none without one.
        if options.create_release && options.has_remote {
            add(Step::Release);
        }
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Bump;
    use crate::version::PlanReason;

    fn v(text: &str) -> Version {
        Version::parse(text).unwrap()
    }

    #[test]
    fn the_branch_comes_from_the_head_ref_or_a_branch_ref() {
        let cases = [
            (
                Some("feature/x"),
                Some("refs/pull/3/merge"),
                Some("3/merge"),
                Some("feature/x"),
            ),
            (
                Some(""),
                Some("refs/heads/main"),
                Some("main"),
                Some("main"),
            ),
            (
                None,
                Some("refs/heads/release/1.x"),
                Some("release/1.x"),
                Some("release/1.x"),
            ),
            (None, Some("refs/tags/v1.0.0"), Some("v1.0.0"), None),
            (None, None, Some("main"), None),
        ];
        for (head_ref, git_ref, ref_name, branch) in cases {
            assert_eq!(
                branch_ref_name(head_ref, git_ref, ref_name).as_deref(),
                branch,
                "{head_ref:?} {git_ref:?}"
            );
        }
    }

    #[test]
    fn branches_map_to_channels() {
        let release = vec!["main".to_owned(), "master".to_owned()];
        let pre = vec![
            ("beta".to_owned(), "beta".to_owned()),
            ("next".to_owned(), "rc".to_owned()),
        ];
        let cases = [
            (Some("main"), ChannelKind::Stable),
            (Some("master"), ChannelKind::Stable),
            (Some("beta"), ChannelKind::Prerelease("beta".to_owned())),
            (Some("next"), ChannelKind::Prerelease("rc".to_owned())),
            (Some("trunk"), ChannelKind::Dev),
            (Some("Main"), ChannelKind::Dev),
            (None, ChannelKind::Dev),
            (
                Some("1.x"),
                ChannelKind::Maintenance(crate::maintenance::Line::parse("1.x").unwrap()),
            ),
            (
                Some("release/0.9"),
                ChannelKind::Maintenance(crate::maintenance::Line::parse("0.9.x").unwrap()),
            ),
            (Some("2.x"), ChannelKind::Dev),
        ];
        let maintenance =
            crate::maintenance::parse_branches(&["1.x".into(), "release/0.9=0.9.x".into()])
                .unwrap();
        for (branch, channel) in cases {
            assert_eq!(
                channel_of(&release, &pre, &maintenance, branch),
                channel,
                "{branch:?}"
            );
        }
    }

    #[test]
    fn the_default_branch_releases_unless_release_branches_are_given() {
        let list = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
        let cases = [
            (list(&[]), None, list(&["main", "master"])),
            (list(&[]), Some("trunk"), list(&["trunk", "main", "master"])),
            (list(&[]), Some("main"), list(&["main", "master"])),
            (list(&[]), Some(""), list(&["main", "master"])),
            (list(&["release"]), Some("trunk"), list(&["release"])),
            (list(&["develop", "main"]), None, list(&["develop", "main"])),
        ];
        for (configured, default_branch, branches) in cases {
            assert_eq!(
                release_branches(&configured, default_branch),
                branches,
                "{configured:?} {default_branch:?}"
            );
        }
    }

    #[test]
    fn a_dev_build_says_why() {
        let release = vec!["trunk".to_owned(), "main".to_owned()];
        let pre = vec![("next".to_owned(), "rc".to_owned())];
        let maintenance = crate::maintenance::parse_branches(&["1.x".into()]).unwrap();
        let cases = [
            (
                Some("feature/x"),
                vec![],
                vec![],
                "branch 'feature/x' is a dev build: nothing is released, because it is not a release branch (trunk, main), a prerelease branch (none) nor a maintenance branch (none)",
            ),
            (
                Some("develop"),
                pre.clone(),
                maintenance.clone(),
                "not a release branch (trunk, main), a prerelease branch (next) nor a maintenance branch (1.x)",
            ),
            (
                None,
                vec![],
                vec![],
                "a detached HEAD (no branch) is a dev build",
            ),
        ];
        for (branch, prerelease, maintenance, fragment) in cases {
            let reason = dev_build_reason(branch, &release, &prerelease, &maintenance);
            assert!(reason.contains(fragment), "{branch:?}: {reason}");
        }
    }

    const HEAD: &str = "head";

    /// Tags with their versions, and tags with their commits.
    type Tags = (Vec<(String, Version)>, Vec<(String, String)>);

    fn tags(list: &[(&str, &str)]) -> Tags {
        let versions = list
            .iter()
            .map(|(t, _)| ((*t).to_owned(), v(t.trim_start_matches('v'))))
            .collect();
        let commits = list
            .iter()
            .map(|(t, c)| ((*t).to_owned(), (*c).to_owned()))
            .collect();
        (versions, commits)
    }

    #[test]
    fn the_base_is_below_this_commit_s_own_release() {
        // (tags with their commits, channel, tags at head, last release)
        type Case<'a> = (
            Vec<(&'a str, &'a str)>,
            ChannelKind,
            Vec<&'a str>,
            Option<&'a str>,
        );
        let cases: Vec<Case> = vec![
            (vec![], ChannelKind::Stable, vec![], None),
            (
                vec![("v1.0.0", "a"), ("v1.2.0", "b"), ("v1.1.0", "c")],
                ChannelKind::Stable,
                vec![],
                Some("v1.2.0"),
            ),
            // A re-run: v1.2.0 marks HEAD, so the base is v1.0.0.
            (
                vec![("v1.0.0", "a"), ("v1.2.0", HEAD)],
                ChannelKind::Stable,
                vec!["v1.2.0"],
                Some("v1.0.0"),
            ),
            // A prerelease never is the base.
            (
                vec![("v1.0.0", "a"), ("v2.0.0-beta.1", "b")],
                ChannelKind::Stable,
                vec![],
                Some("v1.0.0"),
            ),
            // On the beta channel, the beta prerelease at HEAD is this commit's; a stable
            // release at HEAD is not (it may mark a prerelease's commit).
            (
                vec![
                    ("v1.0.0", HEAD),
                    ("v1.1.0-beta.1", HEAD),
                    ("v1.1.0-rc.1", HEAD),
                ],
                ChannelKind::Prerelease("beta".to_owned()),
                vec!["v1.1.0-beta.1"],
                None,
            ),
            // A maintenance branch of 1.x starts from its line's highest release, even when
            // a 2.x release was merged into it (a back-merge).
            (
                vec![("v1.4.2", "a"), ("v2.0.0", "b"), ("v1.3.0", "c")],
                ChannelKind::Maintenance(crate::maintenance::Line::parse("1.x").unwrap()),
                vec![],
                Some("v1.4.2"),
            ),
            (
                vec![("v1.4.2", "a"), ("v1.5.0", "b")],
                ChannelKind::Maintenance(crate::maintenance::Line::parse("1.4.x").unwrap()),
                vec![],
                Some("v1.4.2"),
            ),
        ];
        for (list, channel, at_head, last) in cases {
            let (versions, commits) = tags(&list);
            let commit_of = |tag: &str| {
                commits
                    .iter()
                    .find(|(t, _)| t == tag)
                    .map_or("", |(_, c)| c.as_str())
            };
            let base = release_base(&versions, commit_of, HEAD, &channel);
            let names: Vec<&str> = base.at_head.iter().map(|(t, _)| t.as_str()).collect();
            assert_eq!(names, at_head, "{list:?}");
            assert_eq!(base.last.map(|(t, _)| t.as_str()), last, "{list:?}");
        }
    }

    #[test]
    fn the_newest_prerelease_of_the_channel_above_the_last_release() {
        let (versions, commits) = tags(&[
            ("v1.0.0", "a"),
            ("v1.1.0-beta.1", "b"),
            ("v1.1.0-beta.2", "c"),
            ("v1.1.0-rc.1", "d"),
            ("v0.9.0-beta.9", "e"),
            ("v1.1.0-beta.3", HEAD),
        ]);
        let commit_of = |tag: &str| {
            commits
                .iter()
                .find(|(t, _)| t == tag)
                .map_or("", |(_, c)| c.as_str())
        };
        let last = v("1.0.0");
        let cases = [
            ("beta", Some(&last), Some("v1.1.0-beta.2")),
            ("rc", Some(&last), Some("v1.1.0-rc.1")),
            ("alpha", Some(&last), None),
            ("beta", None, Some("v1.1.0-beta.2")),
        ];
        for (id, last, newest) in cases {
            assert_eq!(
                newest_prerelease(&versions, commit_of, HEAD, id, last).map(|(t, _)| t.as_str()),
                newest,
                "{id} {last:?}"
            );
        }
    }

    fn plan(version: Option<&str>, released: bool, dev_tag: Option<&str>) -> VersionPlan {
        VersionPlan {
            released,
            version: version.map(v),
            previous: None,
            bump: Bump::None,
            prerelease: false,
            dev_tag: dev_tag.map(str::to_owned),
            reason: PlanReason::NothingToRelease,
        }
    }

    #[test]
    fn the_tag_output() {
        let format = TagFormat::parse("v${version}").unwrap();
        let cases = [
            (plan(Some("1.2.0"), true, None), Some("v1.1.0"), "v1.2.0"),
            (plan(Some("1.1.0"), false, None), Some("v1.1.0"), "v1.1.0"),
            (plan(Some("0.1.0"), false, None), None, "v0.1.0"),
            (
                plan(Some("1.2.0-dev.3"), true, Some("dev-abc1234")),
                Some("v1.1.0"),
                "",
            ),
            (plan(None, false, None), None, ""),
        ];
        for (plan, last_tag, tag) in cases {
            assert_eq!(release_tag(&plan, &format, last_tag), tag, "{plan:?}");
        }
    }

    #[test]
    fn a_commit_is_released_once() {
        let at = (String::from("v1.2.0"), v("1.2.0"));
        let also = (String::from("v1.2.1"), v("1.2.1"));
        type Case<'a> = (Vec<&'a (String, Version)>, bool, &'a str, Option<&'a str>);
        let cases: Vec<Case> = vec![
            (vec![], true, "v1.3.0", None),
            (vec![&at], true, "v1.2.0", None),
            (vec![&at], false, "v1.3.0", None),
            (vec![&at], true, "v1.3.0", Some("v1.2.0")),
            (vec![&at, &also], true, "v1.3.0", Some("v1.2.0, v1.2.1")),
        ];
        for (at_head, released, tag, conflict) in cases {
            assert_eq!(
                released_twice(&at_head, released, tag).as_deref(),
                conflict,
                "{tag}"
            );
        }
    }

    #[test]
    fn a_shallow_clone_is_completed_when_a_higher_release_is_unseen() {
        let format = TagFormat::parse("v${version}").unwrap();
        let list = |names: &[&str]| -> Vec<(String, String)> {
            names
                .iter()
                .map(|n| ((*n).to_owned(), "c".to_owned()))
                .collect()
        };
        let cases = [
            (vec![], vec![], None),
            (vec!["v1.0.0"], vec!["v1.0.0"], None),
            (vec![], vec!["v1.0.0"], Some("reaches no release tag")),
            (
                vec!["v1.0.0"],
                vec!["v1.0.0", "v2.0.0"],
                Some("higher than v1.0.0"),
            ),
            (vec!["v2.0.0"], vec!["v1.0.0", "v2.0.0"], None),
            // A higher prerelease is not a release.
            (vec!["v1.0.0"], vec!["v1.0.0", "v2.0.0-rc.1"], None),
            // Lower than what the history reaches: nothing to fetch.
            (vec!["v3.0.0"], vec!["v2.0.0"], None),
        ];
        for (merged, remote, why) in cases {
            let found = higher_release_unseen(&format, &list(&merged), &list(&remote));
            match (found.as_deref(), why) {
                (None, None) => {}
                (Some(text), Some(fragment)) => assert!(text.contains(fragment), "{text}"),
                (found, _) => panic!("{merged:?} {remote:?}: {found:?}"),
            }
        }
    }

    #[test]
    fn the_writes_of_a_release_in_order() {
        let stable = v("1.2.0");
        let pre = v("1.3.0-beta.1");
        let all = WriteOptions {
            changelog: true,
            create_tag: true,
            floating_tags: true,
            create_release: true,
            has_remote: true,
        };
        use Step::*;
        type Case<'a> = (WriteOptions, Vec<(usize, &'a Version)>, Vec<(usize, Step)>);
        let cases: Vec<Case> = vec![
            (all, vec![], vec![]),
            (
                all,
                vec![(0, &stable)],
                vec![
                    (0, Changelog),
                    (0, Tag),
                    (0, Floating),
                    (0, Push),
                    (0, Release),
                ],
            ),
            // A prerelease does not move vX / vX.Y.
            (
                all,
                vec![(1, &pre)],
                vec![(1, Changelog), (1, Tag), (1, Push), (1, Release)],
            ),
            // No remote: the tags stay local and no release names them.
            (
                WriteOptions {
                    changelog: false,
                    has_remote: false,
                    ..all
                },
                vec![(0, &stable), (2, &pre)],
                vec![(0, Tag), (0, Floating), (2, Tag)],
            ),
            // No tag, no release: the CHANGELOG only.
            (
                WriteOptions {
                    create_tag: false,
                    ..all
                },
                vec![(0, &stable)],
                vec![(0, Changelog)],
            ),
            (
                WriteOptions {
                    floating_tags: false,
                    create_release: false,
                    ..all
                },
                vec![(0, &stable)],
                vec![(0, Changelog), (0, Tag), (0, Push)],
            ),
        ];
        for (options, releases, steps) in cases {
            let planned: Vec<(usize, Step)> = plan_writes(options, &releases)
                .into_iter()
                .map(|p| (p.index, p.step))
                .collect();
            assert_eq!(planned, steps, "{options:?} {releases:?}");
        }
    }

    #[test]
    fn steps_describe_what_they_do_and_did() {
        let version = v("1.2.0");
        let planned = |step| Planned {
            index: 0,
            version: &version,
            step,
        };
        let changelog = Path::new("CHANGELOG.md");
        let cases = [
            (
                Step::Changelog,
                "prepending 1.2.0 to CHANGELOG.md",
                "1.2.0 prepended to CHANGELOG.md",
            ),
            (Step::Tag, "creating tag v1.2.0", "tag v1.2.0 created"),
            (
                Step::Floating,
                "moving the floating tags of v1.2.0",
                "floating tags of v1.2.0 moved",
            ),
            (
                Step::Push,
                "pushing v1.2.0 to origin",
                "v1.2.0 pushed to origin",
            ),
            (
                Step::Release,
                "creating the GitHub release v1.2.0",
                "GitHub release v1.2.0 created",
            ),
        ];
        for (step, doing, did) in cases {
            assert_eq!(
                planned(step).describe("v1.2.0", Some(changelog), "origin"),
                (doing.to_owned(), did.to_owned())
            );
        }
    }
}

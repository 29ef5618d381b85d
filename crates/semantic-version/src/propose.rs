//! `mode: release-pr`, carried out: on a push to a release branch, either release the release
//! pull request that was just merged, or open / update the one for the next release. The
//! decisions are [`crate::release_pr`]'s; this module does the git and GitHub work.
//!
//! Idempotent: the release commit is the same for the same commit (see
//! [`crate::git::Git::commit_files`]), so a re-run pushes nothing new and finds its pull
//! request to update; a create that loses a race against a concurrent run (GitHub: "a pull
//! request already exists") updates the winner's instead. A run whose commit is no longer the
//! branch's head stops before writing: the newer push's run proposes the newer release.

use std::path::Path;

use anyhow::{Context as _, anyhow};
use semver::Version;

use crate::config::Package;
use crate::git::ChangedFile;
use crate::github::{GitHubClient, GitHubError, PullRequest, Pulls, USER_AGENT};
use crate::notes::RepoLinks;
use crate::outputs::{PackageResult, PrRef};
use crate::release::{Run, compute, publish_all, short};
use crate::release_files::{PackageRelease, release_files};
use crate::release_plan::ChannelKind;
use crate::release_pr::{self, Existing, Next, PENDING, Proposed, TAGGED};
use crate::report::report;

/// Release pull request mode after the versions were computed at HEAD (`results`, one per
/// package): releases a merged pull request, or proposes the next release.
pub(crate) fn release_pr(
    run: &Run<'_>,
    mut results: Vec<PackageResult>,
    channel: &ChannelKind,
    links: &RepoLinks,
    date: &str,
) -> anyhow::Result<()> {
    let Run {
        runner,
        config,
        context,
        git,
        head,
        ..
    } = *run;
    let base = git
        .current_branch(context.ref_name.as_deref())
        .context("cannot read the current branch")?
        .context("release-pr mode runs on a branch, not a detached HEAD")?;
    let groups = groups(&config.packages, config.release_pr.per_package);
    let repository = context
        .repository
        .clone()
        .context("GITHUB_REPOSITORY is not set: the release pull request needs owner/name")?;
    let token = config.token.clone().unwrap_or_default();
    let client = GitHubClient::new(&context.api_url, &token, &repository, USER_AGENT)?;
    let mut released: Vec<PackageResult> = Vec::new();
    for (suffix, names) in &groups {
        let branch = format!(
            "{}{suffix}",
            release_pr::branch_name(&config.release_pr.branch, &base)
        );
        // A dry run without a token cannot read the pull requests: it shows the proposal.
        let pulls = if config.dry_run && token.is_empty() {
            Vec::new()
        } else {
            block_on(run, client.pulls_from(&branch, &base))?
                .with_context(|| format!("cannot list the pull requests of {branch}"))?
        };
        let next = release_pr::next(&pulls, |sha| git.is_ancestor(sha, head).unwrap_or(false))
            .map_err(|e| anyhow!(e))?;
        match next {
            Next::Release {
                number,
                merge_commit,
                releases,
            } => {
                runner.info(&format!(
                    "release pull request #{number} was merged as {}: releasing it",
                    short(&merge_commit)
                ));
                let at_merge = Run {
                    head: &merge_commit,
                    ..*run
                };
                let mut done = Vec::new();
                for proposed in &releases {
                    let package = config
                        .packages
                        .iter()
                        .find(|p| p.name == proposed.package)
                        .with_context(|| format!("pull request #{number} releases package '{}', which 'packages' does not name", proposed.package))?;
                    let mut r = compute(&at_merge, package, channel, links, date)?;
                    // What the pull request proposed, and its reviewers read, is released.
                    let version = Version::parse(&proposed.version).map_err(|e| {
                        anyhow!(
                            "pull request #{number} proposes version '{}': {e}",
                            proposed.version
                        )
                    })?;
                    r.plan.version = Some(version);
                    r.plan.released = true;
                    r.plan.prerelease = false;
                    r.tag.clone_from(&proposed.tag);
                    r.notes.clone_from(&proposed.notes);
                    r.release_pr = Some(pr_ref(number, &pulls));
                    done.push(r);
                }
                // The pull request committed the CHANGELOG: only tags and releases here.
                let options = crate::config::Config {
                    changelog: None,
                    ..config.clone()
                };
                let at_merge = Run {
                    config: &options,
                    ..at_merge
                };
                report(&at_merge, &mut done, None)?;
                publish_all(&at_merge, &done)?;
                block_on(run, client.set_labels(number, &[TAGGED], &[PENDING]))?.with_context(
                    || format!("released, but cannot relabel pull request #{number} `{TAGGED}`"),
                )?;
                released.extend(done);
            }
            Next::Propose(existing) => {
                // A version already tagged (this commit's release, on a re-run) is done.
                let mut mine: Vec<&PackageResult> = Vec::new();
                for r in results
                    .iter()
                    .filter(|r| names.contains(&r.package) && r.plan.released)
                {
                    if git.tag_exists(&r.tag)?.is_none() {
                        mine.push(r);
                    }
                }
                // Whatever happens below, this run releases none of them: the merge will.
                let held: Vec<String> = mine.iter().map(|r| r.package.clone()).collect();
                for r in results.iter_mut().filter(|r| held.contains(&r.package)) {
                    r.held = true;
                }
                let mine: Vec<&PackageResult> = results
                    .iter()
                    .filter(|r| held.contains(&r.package))
                    .collect();
                if mine.is_empty() {
                    runner.info(&format!(
                        "nothing to release on {base}: no release pull request to open"
                    ));
                    continue;
                }
                let Some(pr) = propose(run, &client, &base, &branch, existing, &mine)? else {
                    continue;
                };
                let proposed: Vec<String> = mine.iter().map(|r| r.package.clone()).collect();
                for r in results.iter_mut().filter(|r| proposed.contains(&r.package)) {
                    r.release_pr = Some(pr.clone());
                }
            }
        }
    }
    if !released.is_empty() {
        return Ok(());
    }
    report(run, &mut results, None)
}

/// Opens, updates or reopens the pull request proposing `results` from `branch` into `base`.
fn propose(
    run: &Run<'_>,
    client: &GitHubClient,
    base: &str,
    branch: &str,
    existing: Existing,
    results: &[&PackageResult],
) -> anyhow::Result<Option<PrRef>> {
    let Run {
        runner,
        config,
        git,
        head,
        ..
    } = *run;
    let proposed: Vec<Proposed> = results
        .iter()
        .map(|r| Proposed {
            package: r.package.clone(),
            version: r
                .plan
                .version
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            tag: r.tag.clone(),
            notes: r.notes.clone(),
        })
        .collect();
    let files = changed_files(run, results)?;
    if config.dry_run {
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        runner.info(&format!(
            "dry-run: would propose {} from {branch} into {base}, changing {}",
            release_pr::title(&config.release_pr.title, &proposed),
            paths.join(", ")
        ));
        return Ok(None);
    }
    let message = release_pr::commit_message(&proposed);
    let commit = git.commit_files(head, &files, &message)?;
    // A newer push's run proposes the newer release; this one must not overwrite it.
    match git.remote_branch(base)? {
        Some(tip) if tip == head => {}
        tip => {
            runner.notice(&format!(
                "{base} is at {} on {}, not at this commit {}: the newer commit's run updates the release pull request; nothing was written",
                tip.as_deref().map_or("nothing", short),
                git.remote(),
                short(head)
            ));
            return Ok(None);
        }
    }
    git.push_branch(&commit, branch, true)?;
    let title = release_pr::title(&config.release_pr.title, &proposed);
    let body = release_pr::body(&proposed, base);
    let pr = ensure_pull(run, client, base, branch, existing, &title, &body)?;
    block_on(run, client.set_labels(pr.number, &[PENDING], &[]))?
        .with_context(|| format!("cannot label pull request #{} `{PENDING}`", pr.number))?;
    runner.info(&format!(
        "release pull request #{}: {}",
        pr.number, pr.html_url
    ));
    Ok(Some(PrRef {
        number: pr.number,
        url: pr.html_url,
    }))
}

/// The pull request from `branch` with `title` and `body`: the open one updated, the newest
/// closed one reopened, or a new one; a create that finds one already open (a concurrent
/// run) updates that one.
fn ensure_pull(
    run: &Run<'_>,
    client: &GitHubClient,
    base: &str,
    branch: &str,
    existing: Existing,
    title: &str,
    body: &str,
) -> anyhow::Result<PullRequest> {
    let update = |number: u64, state: Option<&'static str>| {
        block_on(
            run,
            client.update_pull(number, Some(title), Some(body), state),
        )
    };
    match existing {
        Existing::Open(n) => return Ok(update(n, None)??),
        Existing::Reopen(n) => match update(n, Some("open"))? {
            Ok(pr) => return Ok(pr),
            Err(e) => run.runner.warning(&format!(
                "cannot reopen release pull request #{n} ({e}): opening a new one"
            )),
        },
        Existing::None => {}
    }
    match block_on(run, client.create_pull(branch, base, title, body))? {
        Ok(pr) => Ok(pr),
        Err(GitHubError::PullExists { .. }) => {
            let pulls = block_on(run, client.pulls_from(branch, base))??;
            let open = pulls.iter().find(|p| p.state == "open").context(
                "GitHub says a pull request is open from the release branch, but lists none",
            )?;
            Ok(update(open.number, None)??)
        }
        Err(e) => Err(e.into()),
    }
}

/// The files of the release commit of `results`: version files and the CHANGELOG, read at HEAD.
fn changed_files(run: &Run<'_>, results: &[&PackageResult]) -> anyhow::Result<Vec<ChangedFile>> {
    let Run {
        config, git, head, ..
    } = *run;
    let mut releases = Vec::new();
    for r in results {
        let package = config.packages.iter().find(|p| p.name == r.package);
        let mut version_files = Vec::new();
        for path in package
            .map(|p| p.version_files.as_slice())
            .unwrap_or_default()
        {
            version_files.push(git.repo_path(path)?);
        }
        releases.push(PackageRelease {
            version: r
                .plan
                .version
                .clone()
                .unwrap_or_else(|| Version::new(0, 0, 0)),
            notes: r.notes.clone(),
            version_files,
        });
    }
    let changelog = match &config.changelog {
        Some(path) => {
            let relative = path.strip_prefix(&config.working_directory).unwrap_or(path);
            Some(git.repo_path(Path::new(relative))?)
        }
        None => None,
    };
    release_files(
        &releases,
        changelog.as_deref(),
        config.chart_app_version,
        |p| git.file_at(head, p).map_err(|e| e.to_string()),
    )
    .map_err(|e| anyhow!(e))
}

/// `commit-changelog: true` in direct mode: the release commit (CHANGELOG and version files) on
/// top of HEAD is pushed to `branch` as a fast-forward, then the tags mark it and the releases
/// name it. A re-run on the same commit makes the same release commit and finds it released.
pub(crate) fn commit_then_publish(
    run: &Run<'_>,
    results: &[PackageResult],
    branch: Option<&str>,
) -> anyhow::Result<()> {
    let Run {
        runner,
        config,
        git,
        head,
        ..
    } = *run;
    let branch = branch.context(
        "commit-changelog needs a branch to push the release commit to, not a detached HEAD",
    )?;
    let released: Vec<&PackageResult> = results
        .iter()
        .filter(|r| r.released() && r.dev_tag.is_empty())
        .collect();
    let files = changed_files(run, &released)?;
    let proposed: Vec<Proposed> = released
        .iter()
        .map(|r| Proposed {
            package: r.package.clone(),
            version: String::new(),
            tag: r.tag.clone(),
            notes: String::new(),
        })
        .collect();
    let commit = git.commit_files(head, &files, &release_pr::commit_message(&proposed))?;
    match git.push_branch(&commit, branch, false) {
        Ok(()) => runner.info(&format!(
            "release commit {} pushed to {branch}",
            short(&commit)
        )),
        // A re-run: the branch moved on from the release commit, which the tag marks already.
        Err(e) => match released.first() {
            Some(r) if git.remote_tag_commit(&r.tag)?.as_deref() == Some(commit.as_str()) => {
                runner.info(&format!(
                    "release commit {} is on {branch} already, tagged {}",
                    short(&commit),
                    r.tag
                ));
            }
            _ => {
                return Err(anyhow::Error::new(e).context(format!(
                    "cannot push the release commit to {branch} (the branch moved on, or is protected): nothing was tagged; re-run on the new head"
                )));
            }
        },
    }
    let options = crate::config::Config {
        changelog: None,
        ..config.clone()
    };
    publish_all(
        &Run {
            config: &options,
            head: &commit,
            ..*run
        },
        results,
    )
}

/// The pull requests of a run: one for every package (suffix empty), or one per package
/// (suffix `--<package>`), each with the package names it covers.
fn groups(packages: &[Package], per_package: bool) -> Vec<(String, Vec<String>)> {
    if per_package && packages.len() > 1 {
        packages
            .iter()
            .map(|p| (format!("--{}", p.name), vec![p.name.clone()]))
            .collect()
    } else {
        vec![(
            String::new(),
            packages.iter().map(|p| p.name.clone()).collect(),
        )]
    }
}

fn pr_ref(number: u64, pulls: &[PullRequest]) -> PrRef {
    PrRef {
        number,
        url: pulls
            .iter()
            .find(|p| p.number == number)
            .map(|p| p.html_url.clone())
            .unwrap_or_default(),
    }
}

/// Runs a GitHub call to its end unless the run must stop first.
fn block_on<F: std::future::Future>(run: &Run<'_>, call: F) -> anyhow::Result<F::Output> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let out = rt.block_on(run.stop.race(call));
    rt.shutdown_background();
    out.map_err(|reason| anyhow!("{reason}: stopped while talking to GitHub; re-run the job to finish (what is done is found in place)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_pull_request_for_all_packages_or_one_each() {
        let package = |name: &str| Package {
            name: name.into(),
            paths: vec![name.into()],
            tag_format: crate::tag_format::TagFormat::parse("${version}").unwrap(),
            tag_format_raw: String::new(),
            version_files: Vec::new(),
        };
        let two = [package("api"), package("web")];
        assert_eq!(
            groups(&two, false),
            [(String::new(), vec!["api".to_string(), "web".to_string()])]
        );
        assert_eq!(
            groups(&two, true),
            [
                ("--api".to_string(), vec!["api".to_string()]),
                ("--web".to_string(), vec!["web".to_string()])
            ]
        );
        let whole = [package("")];
        assert_eq!(groups(&whole, true), [(String::new(), vec![String::new()])]);
    }
}

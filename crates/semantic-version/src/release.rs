//! A release, once the inputs are read and the branch's channel is known: the version of each
//! package from its tags and commits ([`compute`]), and the release's writes, one after the
//! other ([`publish_all`]: the CHANGELOG, the tag, the floating tags, one atomic push, the
//! GitHub release). [`Run`] is what every step reads. `run` (direct mode) and `propose`
//! (release pull requests) both stand on it.

use anyhow::Context as _;
use gantry_toolkit::{GithubContext, Runner, Stop};
use semver::Version;

use crate::analyze::{AnalyzeOptions, analyze};
use crate::config::{Config, Package};
use crate::git::{Git, LocalTag};
use crate::github::{GitHubClient, ReleaseOutcome, ReleaseSpec, USER_AGENT, ensure_release};
use crate::maintenance::{floating_tags, is_latest, out_of_line};
use crate::notes::{NotesInput, NotesOptions, RepoLinks, prepend_changelog, release_notes};
use crate::outputs::PackageResult;
use crate::release_plan::{
    Base, ChannelKind, Planned, Step, WriteOptions, higher_release_unseen, newest_prerelease,
    plan_writes, release_base, release_tag, released_twice,
};
use crate::version::{Channel, VersionInput, next_version};

/// What every step of one run reads: the runner, the inputs, the job's context, the repository,
/// the commit being released and when to stop. One value instead of the same six arguments.
#[derive(Clone, Copy)]
pub(crate) struct Run<'a> {
    pub(crate) runner: &'a Runner,
    pub(crate) config: &'a Config,
    pub(crate) context: &'a GithubContext,
    pub(crate) git: &'a Git,
    pub(crate) head: &'a str,
    pub(crate) stop: &'a Stop,
}

pub(crate) fn compute(
    run: &Run<'_>,
    package: &Package,
    channel_kind: &ChannelKind,
    links: &RepoLinks,
    date: &str,
) -> anyhow::Result<PackageResult> {
    let Run {
        runner,
        config,
        git,
        head,
        ..
    } = *run;
    let label = if package.name.is_empty() {
        String::new()
    } else {
        format!("package '{}': ", package.name)
    };
    let prefix = package.tag_format.prefix().to_string();
    // The remote's release tags, on every branch: known in a shallow clone, whose local tags
    // are only those of the history fetched.
    let mut remote_tags: Vec<(String, String)> = Vec::new();
    if git
        .is_shallow()
        .context("cannot tell whether the clone is shallow")?
    {
        let mut history = git
            .ensure_history(head, &prefix, config.initial_fetch_depth)
            .context("cannot complete the history of the shallow clone")?;
        if !history.complete
            && let Some(reason) = higher_release_unseen(
                &package.tag_format,
                &git.tags_merged_into(head, &prefix)
                    .context("cannot list the tags")?,
                &history.remote,
            )
        {
            // The history reaches the nearest release tag; a higher version further down
            // (or on another branch: only the whole history can tell) would be the last
            // release. Fetch it all and look again.
            runner.info(&format!("{label}{reason}: fetching the whole history"));
            git.unshallow()
                .context("cannot complete the history of the shallow clone")?;
            history = git
                .ensure_history(head, &prefix, config.initial_fetch_depth)
                .context("cannot complete the history of the shallow clone")?;
        }
        for w in &history.warnings {
            runner.warning(&format!("{label}{w}"));
        }
        for note in git.take_notes() {
            runner.info(&note);
        }
        remote_tags = history.remote;
    }
    let tags = git
        .tags_merged_into(head, &prefix)
        .context("cannot list the tags")?;
    let scan = package
        .tag_format
        .scan(tags.iter().map(|(n, _)| n.as_str()));
    let commits_of: std::collections::HashMap<&str, &str> =
        tags.iter().map(|(n, c)| (n.as_str(), c.as_str())).collect();
    let commit_of = |tag: &str| commits_of.get(tag).copied().unwrap_or_default();
    let Base { at_head, last } = release_base(&scan.versions, commit_of, head, channel_kind);
    let (last_tag, last_version) = match last {
        Some((t, v)) => (Some(t.clone()), Some(v.clone())),
        None => (None, None),
    };
    let from = last_tag.as_deref().map(|t| commit_of(t).to_string());
    let commits = git
        .commits(from.as_deref(), head, &package.paths)
        .context("cannot read the commits")?;
    let analysis = analyze(
        &commits,
        &config.rules,
        &AnalyzeOptions {
            use_pr_title: config.use_pr_title,
        },
    )
    .map_err(|e| anyhow::anyhow!("{label}{e}"))?;
    for s in &analysis.superseded_release_as {
        runner.warning(&format!(
            "{label}commit {} has an invalid Release-As footer `{}` ({}), superseded by a newer one",
            short(&s.sha),
            s.value,
            s.reason
        ));
    }

    // Every release tag of the format, on every branch: the local ones and, in a shallow
    // clone, the remote's names (the tags of other branches are not fetched with their
    // commits, but their versions are taken).
    let everywhere = || -> anyhow::Result<Vec<(String, Version)>> {
        let mut all = git.all_tags(&prefix).context("cannot list the tags")?;
        all.extend(remote_tags.iter().cloned());
        all.sort();
        all.dedup_by(|a, b| a.0 == b.0);
        Ok(package
            .tag_format
            .scan(all.iter().map(|(n, _)| n.as_str()))
            .versions)
    };
    let channel = match channel_kind {
        ChannelKind::Stable | ChannelKind::Maintenance(_) => Channel::Stable,
        ChannelKind::Dev => Channel::Dev {
            commits_since_release: commits.len() as u64,
            short_sha: short(head).to_string(),
        },
        ChannelKind::Prerelease(id) => {
            // Numbers already used on any branch, not only below HEAD, are taken.
            let existing: Vec<Version> = everywhere()?
                .into_iter()
                .filter(|(t, _)| !at_head.iter().any(|(h, _)| h == t))
                .map(|(_, v)| v)
                .collect();
            let newest_pre =
                newest_prerelease(&scan.versions, commit_of, head, id, last_version.as_ref());
            let releasable_since_last_prerelease = match newest_pre {
                None => None,
                Some((t, _)) => {
                    let since = git
                        .commits(Some(commit_of(t)), head, &package.paths)
                        .context("cannot read the commits")?;
                    let a = analyze(
                        &since,
                        &config.rules,
                        &AnalyzeOptions {
                            use_pr_title: config.use_pr_title,
                        },
                    )
                    .map_err(|e| anyhow::anyhow!("{label}{e}"))?;
                    Some(a.is_releasable())
                }
            };
            Channel::Prerelease {
                identifier: id.clone(),
                existing,
                releasable_since_last_prerelease,
            }
        }
    };
    let plan = next_version(&VersionInput {
        last_release: last_version.clone(),
        bump: analysis.bump,
        release_as: analysis.release_as.as_ref().map(|r| r.version.clone()),
        first_release: config.first_release.clone(),
        pre_major: config.pre_major,
        channel,
    })
    .map_err(|e| anyhow::anyhow!("{label}{e}"))?;

    // What the release does to the other lines: its own line's bounds on a maintenance
    // branch, the floating tags it may take, whether it is GitHub's latest.
    let (mut floating, mut latest) = (Vec::new(), false);
    if let (Some(version), true, None) = (&plan.version, plan.released, &plan.dev_tag) {
        let all: Vec<Version> = everywhere()?.into_iter().map(|(_, v)| v).collect();
        if let ChannelKind::Maintenance(line) = channel_kind {
            let merged: Vec<&Version> = scan.versions.iter().map(|(_, v)| v).collect();
            let elsewhere: Vec<Version> = all
                .iter()
                .filter(|v| !merged.contains(v))
                .cloned()
                .collect();
            if let Some(why) = out_of_line(line, version, &analysis, &elsewhere) {
                anyhow::bail!("{label}{why}");
            }
        }
        floating = floating_tags(&package.tag_format, version, &all);
        latest = is_latest(version, &all);
    }
    let tag = release_tag(&plan, &package.tag_format, last_tag.as_deref());
    if let Some(released_as) = released_twice(&at_head, plan.released, &tag) {
        anyhow::bail!(
            "{label}this commit is already released as {released_as}, but its commits now give {tag}: a commit is released once; push a new commit to release again"
        );
    }
    if plan.released && config.create_tag && plan.dev_tag.is_none() {
        // Before anything is written: a tag of this name at another commit is a clear error.
        // With commit-changelog the tag marks the release commit on top of HEAD (a re-run).
        if let Some(existing) = git.tag_exists(&tag).context("cannot read the tags")?
            && existing != head
            && !(config.commit_changelog
                && git
                    .resolve_commit(&format!("{existing}^"))
                    .ok()
                    .flatten()
                    .as_deref()
                    == Some(head))
        {
            anyhow::bail!(
                "{label}tag {tag} already exists at commit {} (not this commit {}): it was released from another branch or the history was rewritten; delete that tag or merge its commit",
                short(&existing),
                short(head)
            );
        }
    }
    let notes = match (&plan.version, plan.released) {
        (Some(version), true) => release_notes(&NotesInput {
            analysis: &analysis,
            links,
            version,
            tag: if plan.dev_tag.is_some() { head } else { &tag },
            previous_tag: last_tag.as_deref(),
            date,
            options: &NotesOptions::default(),
        }),
        _ => String::new(),
    };
    let not_semver = scan.not_semver.clone();
    Ok(PackageResult {
        package: package.name.clone(),
        dev_tag: plan.dev_tag.clone().unwrap_or_default(),
        plan,
        tag,
        previous_tag: last_tag.unwrap_or_default(),
        notes,
        notes_file: String::new(),
        commit_count: commits.len(),
        analysis,
        not_semver,
        tag_format: package.tag_format_raw.clone(),
        floating,
        latest,
        release_pr: None,
        held: false,
    })
}

/// The release's writes, one after the other. Before each, [`Stop::check`]; the API call is
/// raced against [`Stop::wait`]. When one fails or the run stops, the error says which writes
/// were done and which were not: a re-run on the same commit finds the done ones in place
/// (each is idempotent) and does the rest.
pub(crate) fn publish_all(run: &Run<'_>, results: &[PackageResult]) -> anyhow::Result<()> {
    let Run {
        runner,
        config,
        git,
        stop,
        ..
    } = *run;
    let has_remote = git
        .remote_url()
        .context("cannot read the remote")?
        .is_some();
    let options = WriteOptions {
        changelog: config.changelog.is_some(),
        create_tag: config.create_tag,
        floating_tags: config.floating_tags,
        create_release: config.create_release,
        has_remote,
    };
    let releases: Vec<(usize, &Version)> = results
        .iter()
        .enumerate()
        .filter(|(_, r)| r.plan.released && r.dev_tag.is_empty())
        .filter_map(|(index, r)| r.plan.version.as_ref().map(|v| (index, v)))
        .collect();
    let steps = plan_writes(options, &releases);
    let describe = |planned: &Planned<'_>| {
        planned.describe(
            &results[planned.index].tag,
            config.changelog.as_deref(),
            git.remote(),
        )
    };
    let mut done: Vec<String> = Vec::new();
    let mut floating: Vec<String> = Vec::new();
    for (index, planned) in steps.iter().enumerate() {
        let (doing, did) = describe(planned);
        let attempt = match stop.check(&doing) {
            Err(stopped) => Err(anyhow::Error::new(stopped)),
            Ok(()) => write_step(run, &results[planned.index], planned, &mut floating),
        };
        match attempt {
            Ok(()) => done.push(did),
            Err(e) => {
                let not_done: Vec<String> = steps[index..].iter().map(|p| describe(p).0).collect();
                return Err(e.context(half_done(&done, &not_done)));
            }
        }
    }
    if !config.create_tag {
        return Ok(());
    }
    if !has_remote {
        for r in results
            .iter()
            .filter(|r| r.plan.released && r.dev_tag.is_empty())
        {
            runner.warning(&format!(
                "no remote '{}': tag {} is only in the local repository",
                git.remote(),
                r.tag
            ));
        }
    }
    Ok(())
}

/// A stop before any write.
pub(crate) fn stopped_early(stopped: gantry_toolkit::Stopped) -> anyhow::Error {
    anyhow::anyhow!("{stopped}; nothing was written: re-run the job to release")
}

/// What was written and what was not, for an error in the middle of the release.
fn half_done(done: &[String], not_done: &[String]) -> String {
    if done.is_empty() {
        return format!(
            "nothing was written (not done: {}); re-run the job to release",
            not_done.join(", ")
        );
    }
    format!(
        "the release is half done: done: {}; not done: {}; re-run the job on this commit to finish (what is done is found in place and not written twice)",
        done.join(", "),
        not_done.join(", ")
    )
}

fn write_step(
    run: &Run<'_>,
    r: &PackageResult,
    planned: &Planned<'_>,
    floating: &mut Vec<String>,
) -> anyhow::Result<()> {
    let Run {
        runner,
        config,
        context,
        git,
        head,
        stop,
    } = *run;
    let version = planned.version;
    match planned.step {
        Step::Changelog => {
            let Some(path) = &config.changelog else {
                return Ok(());
            };
            let existing = match std::fs::read_to_string(path) {
                Ok(text) => text,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot read {}", path.display()));
                }
            };
            let prepended = prepend_changelog(&existing, &r.notes);
            if prepended.already_present {
                runner.info(&format!("{} already has {version}", path.display()));
            } else {
                std::fs::write(path, prepended.text)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                runner.info(&format!("{version} prepended to {}", path.display()));
            }
        }
        Step::Tag => {
            let message = format!("{}\n\n{}", r.tag, r.notes);
            let outcome = git
                .create_annotated_tag(&r.tag, head, &message)
                .with_context(|| format!("cannot create tag {}", r.tag))?;
            runner.info(&match outcome {
                LocalTag::AlreadyThere => format!("tag {} already marks this commit", r.tag),
                _ => format!("tag {} created at {}", r.tag, short(head)),
            });
        }
        Step::Floating => {
            floating.clear();
            if r.floating.is_empty() {
                runner.info(&format!(
                    "no floating tag moves to {}: newer releases hold them",
                    r.tag
                ));
            }
            for name in r.floating.clone() {
                git.set_floating_tag(&name, head)
                    .with_context(|| format!("cannot move tag {name}"))?;
                floating.push(name);
            }
        }
        Step::Push => {
            // One atomic push: the remote gets the version tag and its floating tags, or none.
            let names: Vec<&str> = floating.iter().map(String::as_str).collect();
            git.push_release(&r.tag, &names)
                .with_context(|| format!("cannot push tag {}", r.tag))?;
            floating.clear();
            runner.info(&format!("pushed {} to {}", r.tag, git.remote()));
        }
        Step::Release => {
            // GitHub creates a missing tag at the default branch's head: release only a tag
            // the remote has at this commit, and name the commit too.
            match git
                .remote_tag_commit(&r.tag)
                .with_context(|| format!("cannot check tag {} on {}", r.tag, git.remote()))?
            {
                Some(commit) if commit == head => {}
                Some(commit) => anyhow::bail!(
                    "tag {} is at commit {} on {}, not at this commit {}: no release was created",
                    r.tag,
                    short(&commit),
                    git.remote(),
                    short(head)
                ),
                None => anyhow::bail!(
                    "tag {} is not on {} after the push: no release was created",
                    r.tag,
                    git.remote()
                ),
            }
            let token = config.token.clone().unwrap_or_default();
            let repository = context
                .repository
                .clone()
                .context("GITHUB_REPOSITORY is not set: the release needs owner/name")?;
            let spec = ReleaseSpec {
                tag: r.tag.clone(),
                name: r.tag.clone(),
                body: r.notes.clone(),
                prerelease: r.plan.prerelease,
                draft: false,
                // GitHub would mark a fix of an older line latest, by date.
                make_latest: r
                    .plan
                    .version
                    .as_ref()
                    .filter(|v| v.pre.is_empty())
                    .map(|_| r.latest),
                target_commitish: Some(head.to_owned()),
            };
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("cannot start the async runtime")?;
            let outcome = rt.block_on(async {
                tokio::select! {
                    outcome = async {
                        let client = GitHubClient::new(&context.api_url, &token, &repository, USER_AGENT)?;
                        ensure_release(&client, &spec).await
                    } => Ok(outcome),
                    reason = stop.wait() => Err(reason),
                }
            });
            // A request still running on the blocking pool must not hold the stop: the
            // runtime is dropped without waiting for it.
            rt.shutdown_background();
            let outcome = match outcome {
                Ok(outcome) => outcome,
                Err(reason) => anyhow::bail!(
                    "stopped while creating the GitHub release {}: {reason}; the request may have reached GitHub, so the release may or may not exist",
                    r.tag
                ),
            };
            let outcome =
                outcome.with_context(|| format!("cannot create the release {}", r.tag))?;
            let (verb, release) = match &outcome {
                ReleaseOutcome::AlreadyThere(_) => ("already there", outcome.release()),
                _ => ("published", outcome.release()),
            };
            runner.info(&format!("release {} {verb}: {}", r.tag, release.html_url));
        }
    }
    Ok(())
}

pub(crate) fn short(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

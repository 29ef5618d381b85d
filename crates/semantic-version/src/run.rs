//! One run of the tool: inputs → tags and commits (git) → analysis → next version → notes →
//! outputs and summary; then, unless `dry-run`, the CHANGELOG, the tags and the GitHub release.
//! The only module that strings the layers together.
//!
//! Tags are made with git (`git tag -a`, then one atomic `git push`), not the GitHub API: the
//! checkout already has the commit and the credentials `actions/checkout` persisted, the tag is
//! then visible to the rest of the job at once (a later `git describe`, a build that reads the
//! tag), it works with any git remote, and the API path would need a second round trip per tag
//! and leave the local clone without the tag. The GitHub release is made with the API
//! (octocrab); it needs the token.

use std::path::PathBuf;

use anyhow::Context as _;
use gantry_toolkit::{GithubContext, Runner, Summary};
use semver::Version;

use crate::analyze::{AnalyzeOptions, analyze};
use crate::config::{Config, Package};
use crate::git::{Git, LocalTag};
use crate::github::{GitHubClient, ReleaseOutcome, ReleaseSpec, ensure_release};
use crate::notes::{NotesInput, NotesOptions, RepoLinks, prepend_changelog, release_notes};
use crate::outputs::{self, PackageResult};
use crate::rules::Bump;
use crate::version::{Channel, PlanReason, VersionInput, cmp_precedence, next_version};

pub fn run(runner: &Runner) -> anyhow::Result<()> {
    // Masked before anything could print it.
    let _ = runner.get_secret_input("token");
    let context = GithubContext::from_env(runner.env());
    let workspace = match &context.workspace {
        Some(dir) => PathBuf::from(dir),
        None => std::env::current_dir().context("cannot read the current directory")?,
    };
    let config = Config::from_inputs(runner.inputs(), &workspace)?;
    if config.monorepo() {
        let names: Vec<&str> = config.packages.iter().map(|p| p.name.as_str()).collect();
        outputs::check_package_names(&names)
            .map_err(|e| anyhow::anyhow!("input 'packages': {e}"))?;
    }

    let git = Git::new(&config.working_directory);
    let head = git
        .head_sha()
        .context("cannot read the commit to release")?;
    let ref_name = branch_ref_name(&context);
    let branch = git
        .current_branch(ref_name.as_deref())
        .context("cannot read the current branch")?;
    let channel_kind = channel_of(&config, branch.as_deref());
    runner.info(&format!(
        "releasing {} on {} ({})",
        short(&head),
        branch.as_deref().unwrap_or("a detached HEAD"),
        match &channel_kind {
            ChannelKind::Stable => "release branch".to_string(),
            ChannelKind::Prerelease(id) => format!("prerelease channel '{id}'"),
            ChannelKind::Dev => "dev build".to_string(),
        }
    ));
    let links = RepoLinks {
        server_url: context.server_url.clone(),
        repository: context
            .repository
            .clone()
            .or_else(|| repository_of(git.remote_url().ok().flatten().as_deref()?))
            .unwrap_or_default(),
    };
    let date = today();

    let mut results = Vec::new();
    for package in &config.packages {
        let result = compute(
            runner,
            &config,
            &git,
            package,
            &head,
            &channel_kind,
            &links,
            &date,
        )?;
        results.push(result);
    }

    // Files first, so that the output naming one always names a complete file.
    let notes_dir = notes_dir(runner)?;
    for r in &mut results {
        let file = notes_dir.join(if r.package.is_empty() {
            format!("{}-notes.md", step_id(runner))
        } else {
            format!("{}-{}-notes.md", step_id(runner), r.package)
        });
        std::fs::write(&file, &r.notes)
            .with_context(|| format!("cannot write {}", file.display()))?;
        r.notes_file = file.to_string_lossy().into_owned();
    }
    for (name, value) in outputs::values(&results, config.monorepo()) {
        runner.set_output(&name, &value)?;
    }
    let mut summary = Summary::new();
    summary_of(&mut summary, &results, config.dry_run);
    runner.write_summary(&summary)?;

    if config.dry_run {
        runner.info("dry-run: no CHANGELOG, tag or release written");
        return Ok(());
    }
    for r in results
        .iter()
        .filter(|r| r.plan.released && r.dev_tag.is_empty())
    {
        publish(runner, &config, &context, &git, &head, r)?;
    }
    Ok(())
}

/// `GITHUB_REF_NAME` when it names a branch (on `pull_request` it is `N/merge`: the head
/// branch is then `GITHUB_HEAD_REF`).
fn branch_ref_name(context: &GithubContext) -> Option<String> {
    if let Some(head_ref) = context.head_ref.as_deref().filter(|h| !h.is_empty()) {
        return Some(head_ref.to_string());
    }
    match context.git_ref.as_deref() {
        Some(r) if r.starts_with("refs/heads/") => context.ref_name.clone(),
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum ChannelKind {
    Stable,
    Prerelease(String),
    Dev,
}

fn channel_of(config: &Config, branch: Option<&str>) -> ChannelKind {
    let Some(branch) = branch else {
        return ChannelKind::Dev;
    };
    if config.release_branches.iter().any(|b| b == branch) {
        return ChannelKind::Stable;
    }
    match config.prerelease_branches.iter().find(|(b, _)| b == branch) {
        Some((_, id)) => ChannelKind::Prerelease(id.clone()),
        None => ChannelKind::Dev,
    }
}

#[allow(clippy::too_many_arguments)]
fn compute(
    runner: &Runner,
    config: &Config,
    git: &Git,
    package: &Package,
    head: &str,
    channel_kind: &ChannelKind,
    links: &RepoLinks,
    date: &str,
) -> anyhow::Result<PackageResult> {
    let label = if package.name.is_empty() {
        String::new()
    } else {
        format!("package '{}': ", package.name)
    };
    let prefix = package.tag_format.prefix().to_string();
    if git
        .is_shallow()
        .context("cannot tell whether the clone is shallow")?
    {
        let history = git
            .ensure_history(head, &prefix, config.initial_fetch_depth)
            .context("cannot complete the history of the shallow clone")?;
        for w in &history.warnings {
            runner.warning(&format!("{label}{w}"));
        }
        for note in git.take_notes() {
            runner.info(&note);
        }
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
    // Tags at HEAD itself are this commit's release (a re-run): the base is below them.
    // Of this channel only: a stable release may mark the commit of a prerelease.
    let channel_id = match channel_kind {
        ChannelKind::Prerelease(id) => Some(id.as_str()),
        _ => None,
    };
    let at_head: Vec<&(String, Version)> = scan
        .versions
        .iter()
        .filter(|(t, v)| {
            commit_of(t) == head
                && match channel_id {
                    None => v.pre.is_empty(),
                    Some(id) => v.pre.as_str().split('.').next() == Some(id),
                }
        })
        .collect();
    let last = scan
        .versions
        .iter()
        .filter(|(t, v)| v.pre.is_empty() && commit_of(t) != head)
        .max_by(|a, b| cmp_precedence(&a.1, &b.1));
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

    let channel = match channel_kind {
        ChannelKind::Stable => Channel::Stable,
        ChannelKind::Dev => Channel::Dev {
            commits_since_release: commits.len() as u64,
            short_sha: short(head).to_string(),
        },
        ChannelKind::Prerelease(id) => {
            // Numbers already used on any branch, not only below HEAD, are taken.
            let everywhere = git.all_tags(&prefix).context("cannot list the tags")?;
            let existing: Vec<Version> = package
                .tag_format
                .scan(everywhere.iter().map(|(n, _)| n.as_str()))
                .versions
                .into_iter()
                .filter(|(t, _)| !at_head.iter().any(|(h, _)| h == t))
                .map(|(_, v)| v)
                .collect();
            // The channel's newest prerelease above the last stable release, below HEAD.
            let newest_pre = scan
                .versions
                .iter()
                .filter(|(t, v)| {
                    commit_of(t) != head
                        && v.pre.as_str().split('.').next() == Some(id.as_str())
                        && last_version
                            .as_ref()
                            .is_none_or(|l| cmp_precedence(v, l).is_gt())
                })
                .max_by(|a, b| cmp_precedence(&a.1, &b.1));
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

    let tag = match (&plan.version, plan.released, &plan.dev_tag) {
        (Some(v), true, None) => package.tag_format.format(v),
        (Some(v), false, None) => last_tag
            .clone()
            .unwrap_or_else(|| package.tag_format.format(v)),
        _ => String::new(),
    };
    if !at_head.is_empty() && plan.released && !at_head.iter().any(|(t, _)| *t == tag) {
        anyhow::bail!(
            "{label}this commit is already released as {}, but its commits now give {tag}: a commit is released once; push a new commit to release again",
            at_head
                .iter()
                .map(|(t, _)| t.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if plan.released && config.create_tag && plan.dev_tag.is_none() {
        // Before anything is written: a tag of this name at another commit is a clear error.
        if let Some(existing) = git.tag_exists(&tag).context("cannot read the tags")?
            && existing != head
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
    })
}

fn publish(
    runner: &Runner,
    config: &Config,
    context: &GithubContext,
    git: &Git,
    head: &str,
    r: &PackageResult,
) -> anyhow::Result<()> {
    let Some(version) = &r.plan.version else {
        return Ok(());
    };
    if let Some(path) = &config.changelog {
        let existing = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
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
    if !config.create_tag {
        return Ok(());
    }
    let message = format!("{}\n\n{}", r.tag, r.notes);
    let outcome = git
        .create_annotated_tag(&r.tag, head, &message)
        .with_context(|| format!("cannot create tag {}", r.tag))?;
    runner.info(&match outcome {
        LocalTag::AlreadyThere => format!("tag {} already marks this commit", r.tag),
        _ => format!("tag {} created at {}", r.tag, short(head)),
    });
    let mut floating = Vec::new();
    if config.floating_tags && r.plan.released && version.pre.is_empty() {
        let format = crate::tag_format::TagFormat::parse(&r.tag_format)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        for name in [format.major_tag(version), format.minor_tag(version)] {
            git.set_floating_tag(&name, head)
                .with_context(|| format!("cannot move tag {name}"))?;
            floating.push(name);
        }
    }
    let has_remote = git
        .remote_url()
        .context("cannot read the remote")?
        .is_some();
    if has_remote {
        git.push_tags(&[r.tag.as_str()], false)
            .with_context(|| format!("cannot push tag {}", r.tag))?;
        let names: Vec<&str> = floating.iter().map(String::as_str).collect();
        git.push_tags(&names, true)
            .context("cannot push the floating tags")?;
        runner.info(&format!("pushed {} to {}", r.tag, git.remote()));
    } else {
        runner.warning(&format!(
            "no remote '{}': tag {} is only in the local repository",
            git.remote(),
            r.tag
        ));
    }
    if config.create_release {
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
            make_latest: None,
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        let outcome = rt.block_on(async {
            let client = GitHubClient::new(&context.api_url, &token, &repository)?;
            ensure_release(&client, &spec).await
        });
        let outcome = outcome.with_context(|| format!("cannot create the release {}", r.tag))?;
        let (verb, release) = match &outcome {
            ReleaseOutcome::AlreadyThere(_) => ("already there", outcome.release()),
            _ => ("published", outcome.release()),
        };
        runner.info(&format!("release {} {verb}: {}", r.tag, release.html_url));
    }
    Ok(())
}

/// `owner/name` from a remote URL (`https://github.com/owner/name.git`,
/// `git@github.com:owner/name.git`), for links outside a runner.
fn repository_of(url: &str) -> Option<String> {
    if !url.contains("://") && !url.contains('@') || url.starts_with("file:") {
        return None;
    }
    let path = url.trim_end_matches('/').trim_end_matches(".git");
    let mut parts = path.rsplit(['/', ':']);
    let name = parts.next().filter(|n| !n.is_empty())?;
    let owner = parts.next().filter(|o| !o.is_empty())?;
    Some(format!("{owner}/{name}"))
}

fn short(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

fn step_id(runner: &Runner) -> String {
    runner
        .env()
        .get_non_empty("GITHUB_ACTION")
        .unwrap_or("local")
        .replace(
            |c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '_',
            "_",
        )
        + &format!("-{}", std::process::id())
}

fn notes_dir(runner: &Runner) -> anyhow::Result<PathBuf> {
    let dir = runner
        .env()
        .get_non_empty("RUNNER_TEMP")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
        .join("gantry-semantic-version");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

/// Today's date (UTC) as `YYYY-MM-DD`, from the system clock (civil-from-days).
fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn summary_of(summary: &mut Summary, results: &[PackageResult], dry_run: bool) {
    summary.heading(2, "semantic-version");
    if dry_run {
        summary.paragraph("Dry run: nothing was written.");
    }
    for r in results {
        if !r.package.is_empty() {
            summary.heading(3, &format!("Package `{}`", r.package));
        }
        let v = |v: &Option<Version>| v.as_ref().map_or("—".to_string(), ToString::to_string);
        let reason = match r.plan.reason {
            PlanReason::FirstRelease => "first release",
            PlanReason::Bump => "commits since the last release",
            PlanReason::ReleaseAs => "Release-As footer",
            PlanReason::NothingToRelease => "nothing to release",
            PlanReason::NothingNewSincePrerelease => "nothing new since the last prerelease",
            PlanReason::DevBuild => "dev build",
        };
        summary.table(
            ["", "value"],
            [
                vec!["version".to_string(), format!("`{}`", v(&r.plan.version))],
                vec!["previous".to_string(), format!("`{}`", v(&r.plan.previous))],
                vec!["tag".to_string(), r.tag.clone()],
                vec!["bump".to_string(), r.plan.bump.as_str().to_string()],
                vec!["released".to_string(), r.plan.released.to_string()],
                vec!["why".to_string(), reason.to_string()],
                vec!["commits".to_string(), r.commit_count.to_string()],
            ],
        );
        let rows: Vec<Vec<String>> = r
            .analysis
            .commits
            .iter()
            .map(|c| {
                let (ty, scope) = c.conventional.as_ref().map_or_else(
                    || (String::new(), String::new()),
                    |cc| (cc.r#type.clone(), cc.scope.clone().unwrap_or_default()),
                );
                vec![
                    format!("`{}`", c.short_sha()),
                    ty,
                    scope,
                    if c.counts() {
                        c.bump.as_str().to_string()
                    } else {
                        format!("{} (not counted)", Bump::None.as_str())
                    },
                    c.subject.clone(),
                ]
            })
            .collect();
        if !rows.is_empty() {
            summary.table(["sha", "type", "scope", "bump", "subject"], rows);
        }
        if !r.analysis.unparseable.is_empty() {
            let body = r
                .analysis
                .unparseable
                .iter()
                .map(|u| format!("- `{}` {}: {}", short(&u.sha), u.subject, u.reason))
                .collect::<Vec<_>>()
                .join("\n");
            summary.details(
                &format!(
                    "{} commits are not Conventional Commits (not counted)",
                    r.analysis.unparseable.len()
                ),
                &body,
            );
        }
        if !r.not_semver.is_empty() {
            summary.paragraph(&format!(
                "{} tags match `{}` but are not semantic versions (skipped).",
                r.not_semver.len(),
                r.tag_format
            ));
        }
        if !r.notes.is_empty() {
            summary.details("Release notes", &r.notes);
        }
    }
}

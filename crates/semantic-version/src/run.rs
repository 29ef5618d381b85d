//! One run of the tool: inputs → tags and commits (git) → analysis → next version → notes →
//! outputs and summary; then, unless `dry-run`, the CHANGELOG, the tags and the GitHub release.
//! The only module that strings the layers together. Every fetch and write first asks
//! [`Stop`] (deadline, SIGTERM); a stop or a failure in the middle of the release is reported
//! with what was written and what was not.
//!
//! Tags are made with git (`git tag -a`, then one atomic `git push`), not the GitHub API: the
//! checkout already has the commit and the credentials `actions/checkout` persisted, the tag is
//! then visible to the rest of the job at once (a later `git describe`, a build that reads the
//! tag), it works with any git remote, and the API path would need a second round trip per tag
//! and leave the local clone without the tag. The GitHub release is made with the API
//! (gantry-github); it needs the token. The decisions are [`crate::release_plan`]'s.

use anyhow::Context as _;
use gantry_toolkit::{EventPayload, GithubContext, Runner, Stop};

use crate::config::{Config, Mode};
use crate::git::Git;
use crate::notes::RepoLinks;
use crate::outputs;
use crate::release::{Run, compute, publish_all, short, stopped_early};
use crate::release_plan::{
    ChannelKind, branch_ref_name, channel_of, dev_build_reason, release_branches,
};
use crate::report::report;

pub fn run(runner: &Runner) -> anyhow::Result<()> {
    // Masked before anything could print it.
    let _ = runner.get_secret_input("token");
    let context = GithubContext::from_env(runner.env());
    let workspace = context
        .workspace_dir()
        .context("cannot read the current directory")?;
    let config = Config::from_inputs(runner.inputs(), &workspace)?;
    if config.monorepo() {
        let names: Vec<&str> = config.packages.iter().map(|p| p.name.as_str()).collect();
        outputs::check_package_names(&names)
            .map_err(|e| anyhow::anyhow!("input 'packages': {e}"))?;
    }

    // From here on a cancelled job (SIGTERM, SIGINT) or the deadline stops the run before its
    // next write (see `stop`).
    let stop = Stop::install(Some(config.timeout))
        .context("cannot listen for the runner's cancellation")?
        .with_input("timeout-seconds");
    let git = Git::new(&config.working_directory).with_stop(stop.clone());
    let head = git
        .head_sha()
        .context("cannot read the commit to release")?;
    let ref_name = branch_ref_name(
        context.head_ref.as_deref(),
        context.git_ref.as_deref(),
        context.ref_name.as_deref(),
    );
    let branch = git
        .current_branch(ref_name.as_deref())
        .context("cannot read the current branch")?;
    // The repository's default branch releases unless `release-branches` says otherwise.
    let event = EventPayload::from_env(runner.env()).context("cannot read the event payload")?;
    let default_branch = event
        .as_ref()
        .and_then(|e| e.raw.pointer("/repository/default_branch"))
        .and_then(|v| v.as_str());
    let release_branches = release_branches(&config.release_branches, default_branch);
    let channel_kind = channel_of(
        &release_branches,
        &config.prerelease_branches,
        &config.maintenance_branches,
        branch.as_deref(),
    );
    let dev_reason = (channel_kind == ChannelKind::Dev).then(|| {
        dev_build_reason(
            branch.as_deref(),
            &release_branches,
            &config.prerelease_branches,
            &config.maintenance_branches,
        )
    });
    if let Some(reason) = &dev_reason {
        runner.notice(reason);
    }
    runner.info(&format!(
        "releasing {} on {} ({})",
        short(&head),
        branch.as_deref().unwrap_or("a detached HEAD"),
        match &channel_kind {
            ChannelKind::Stable => "release branch".to_string(),
            ChannelKind::Prerelease(id) => format!("prerelease channel '{id}'"),
            ChannelKind::Maintenance(line) => format!("maintenance line {line}"),
            ChannelKind::Dev => "dev build".to_string(),
        }
    ));
    // The repository of the links: the input, else the runner's, else the remote's (with its
    // host, unless the runner names the server).
    let repository = config
        .repository
        .clone()
        .or_else(|| context.repository.clone());
    let links = match repository {
        Some(repository) => RepoLinks {
            server_url: context.server_url.clone(),
            repository,
        },
        None => match git
            .remote_url()
            .ok()
            .flatten()
            .and_then(|url| RepoLinks::from_remote(&url))
        {
            Some(mut links) => {
                if runner.env().get_non_empty("GITHUB_SERVER_URL").is_some() {
                    links.server_url.clone_from(&context.server_url);
                }
                links
            }
            None => {
                runner.info(
                    "the repository is unknown (no input 'repository', GITHUB_REPOSITORY or GitHub remote): the notes have no links",
                );
                RepoLinks {
                    server_url: context.server_url.clone(),
                    repository: String::new(),
                }
            }
        },
    };
    let date = today();
    let run = Run {
        runner,
        config: &config,
        context: &context,
        git: &git,
        head: &head,
        stop: &stop,
    };

    let mut results = Vec::new();
    for package in &config.packages {
        let what = if package.name.is_empty() {
            "computing the version".to_string()
        } else {
            format!("computing the version of package '{}'", package.name)
        };
        stop.check(&what).map_err(stopped_early)?;
        let result =
            compute(&run, package, &channel_kind, &links, &date).map_err(|e| {
                match stop.reason() {
                    Some(reason) => e.context(format!(
                        "{reason}: nothing was written; re-run the job to release"
                    )),
                    None => e,
                }
            })?;
        results.push(result);
    }

    if config.mode == Mode::ReleasePr && channel_kind != ChannelKind::Dev {
        return crate::propose::release_pr(&run, results, &channel_kind, &links, &date);
    }
    report(&run, &mut results, dev_reason.as_deref())?;
    if config.dry_run {
        runner.info("dry-run: no CHANGELOG, tag or release written");
        return Ok(());
    }
    if config.commit_changelog && results.iter().any(|r| r.released() && r.dev_tag.is_empty()) {
        return crate::propose::commit_then_publish(&run, &results, branch.as_deref());
    }
    publish_all(&run, &results)
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

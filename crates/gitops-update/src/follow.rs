//! After the push: follow Argo CD until the application runs the commit and is Healthy; when
//! it is Degraded, its sync fails, the follow's time runs out or the run is cancelled, undo the
//! commit (a new commit on the branch's tip that sets the files back, so nothing anyone pushed
//! since is lost) or close the pull request.

use std::time::Duration;

use gantry_toolkit::GithubContext;

use crate::argocd::{self, Client, ClientOptions, WaitOptions};
use crate::config::{ArgoCdSettings, Config, Push};
use crate::edit::Target;
use crate::effects::Effects;
use crate::git::{Git, PushError};
use crate::plan;
use crate::render::Render;
use crate::report::{Followed, Outcome};
use crate::update::changed_files;

/// The share of the time left that following may take: the rest is kept for the undo.
const FOLLOW_SHARE: f64 = 2.0 / 3.0;

/// How long to follow, and how often to read, for `remaining` of the run: reads every 5 s, or
/// 20 reads in all on a short deadline.
pub fn follow_timing(remaining: Option<Duration>) -> (Duration, Duration) {
    let remaining = remaining.unwrap_or(Duration::from_secs(600));
    let follow = remaining.mul_f64(FOLLOW_SHARE);
    let poll = (follow / 20).clamp(Duration::from_millis(100), Duration::from_secs(5));
    (follow, poll)
}

pub async fn follow_and_undo<G: Git, R: Render>(
    config: &Config,
    effects: &Effects<'_, G, R>,
    context: &GithubContext,
    settings: &ArgoCdSettings,
    commit: &str,
    target: &Target,
    outcome: &mut Outcome,
) {
    let failure = match follow(effects, settings, commit, &outcome.branch).await {
        Ok(followed) if followed.healthy => {
            outcome.followed = Some(followed);
            return;
        }
        Ok(followed) => {
            let reason = followed.detail.clone();
            outcome.followed = Some(followed);
            reason
        }
        Err(error) => {
            outcome.followed = Some(Followed {
                health: "unknown".to_owned(),
                detail: error.to_string(),
                healthy: false,
            });
            format!("cannot follow Argo CD: {error}")
        }
    };
    if !config.revert_on_failure {
        outcome.failure = Some(format!(
            "{failure}; the commit stays (revert-on-failure is false)"
        ));
        return;
    }
    effects.runner.warning(&format!(
        "{failure}: undoing commit {}",
        &commit[..commit.len().min(12)]
    ));
    let undone = match (&config.push, &outcome.pull_request) {
        (Push::PullRequest, Some((number, _))) => close_pull(config, context, *number).await,
        _ => undo_commit(config, effects, commit, target, outcome, &failure),
    };
    outcome.failure = Some(match undone {
        Ok(what) => {
            outcome.reverted = Some(what.clone());
            format!("{failure}; undone by {what}")
        }
        Err(error) => format!(
            "{failure}; undoing it failed too: {error:#}. The commit is still on {}: revert it by hand (or run gitops-update with mode: rollback)",
            outcome.branch
        ),
    });
}

/// Wait until the application runs `commit`; what it came to.
async fn follow<G: Git, R: Render>(
    effects: &Effects<'_, G, R>,
    settings: &ArgoCdSettings,
    commit: &str,
    branch: &str,
) -> Result<Followed, argocd::ArgoCdError> {
    let client = Client::new(ClientOptions {
        app_namespace: settings.app_namespace.clone(),
        ..ClientOptions::new(&settings.server, &settings.token)
    })?;
    let (timeout, poll_interval) = follow_timing(effects.stop.remaining());
    let options = WaitOptions {
        timeout,
        poll_interval,
        sync: settings.sync,
        ..WaitOptions::default()
    };
    let git = effects.git;
    // A revision Argo CD reports may be newer than the clone: fetch once, then ask git.
    let contains = |revision: &str| {
        revision == commit
            || git.contains(revision, commit).unwrap_or(false)
            || (git.fetch(branch, false).is_ok() && git.contains(revision, commit).unwrap_or(false))
    };
    let log = |line: &str| effects.runner.info(&format!("Argo CD: {line}"));
    let waited = argocd::wait_healthy(
        &client,
        &settings.application,
        commit,
        &options,
        effects.stop,
        contains,
        log,
    )
    .await?;
    Ok(match &waited {
        argocd::Outcome::Healthy {
            revision, waited, ..
        } => Followed {
            health: "Healthy".to_owned(),
            detail: format!(
                "`{}` runs {} (after {} s).",
                settings.application,
                &revision[..revision.len().min(12)],
                waited.as_secs()
            ),
            healthy: true,
        },
        argocd::Outcome::Failed { .. } => Followed {
            health: "Degraded".to_owned(),
            detail: waited.failure().unwrap_or_default(),
            healthy: false,
        },
        argocd::Outcome::TimedOut { .. } => Followed {
            health: "timed out".to_owned(),
            detail: waited.failure().unwrap_or_default(),
            healthy: false,
        },
        argocd::Outcome::Stopped { .. } => Followed {
            health: "stopped".to_owned(),
            detail: waited.failure().unwrap_or_default(),
            healthy: false,
        },
    })
}

async fn close_pull(
    config: &Config,
    context: &GithubContext,
    number: u64,
) -> anyhow::Result<String> {
    let client = crate::pulls::client(config, context)?;
    crate::pulls::close(&client, number).await?;
    Ok(format!("closing pull request #{number}"))
}

/// A commit on the branch's tip that sets the files back as they were before `commit`; pushed
/// against concurrent updates as the update was. Runs even when the run was stopped: leaving a
/// failing version deployed is worse than the seconds it takes.
fn undo_commit<G: Git, R: Render>(
    config: &Config,
    effects: &Effects<'_, G, R>,
    commit: &str,
    target: &Target,
    outcome: &Outcome,
    reason: &str,
) -> anyhow::Result<String> {
    let git = effects.git.unstoppable();
    let files: Vec<String> = outcome
        .prepared
        .updates
        .iter()
        .map(|u| u.path.clone())
        .collect();
    let previous = outcome.prepared.previous.clone().map(|new| Target {
        new,
        ..target.clone()
    });
    let reference = previous
        .as_ref()
        .map_or_else(|| target.new.clone(), |t| t.new.clone());
    let subject = plan::commit_message(
        &config.commit_message,
        &config.image,
        &target.new,
        config.source_commit.as_deref(),
        None,
    );
    let subject = subject.lines().next().unwrap_or_default();
    let message = plan::commit_message(
        &format!("Revert \"{subject}\""),
        &config.image,
        &reference,
        config.source_commit.as_deref(),
        Some(commit),
    )
    .replacen("\n\n", &format!("\n\nArgo CD: {reason}\n\n"), 1);
    for _ in 0..config.push_attempts {
        let tip = git.fetch(&outcome.branch, false)?;
        let contents = git.read_all(&tip, &files)?;
        let fallback = previous.clone().unwrap_or_else(|| target.clone());
        let undone = crate::update::undo(&outcome.prepared.updates, &contents, &fallback)?;
        if undone.is_empty() {
            return Ok(format!("nothing (the files no longer had {})", target.new));
        }
        let revert = git.commit(&tip, &changed_files(&undone), &message)?;
        match git.push(&revert, &outcome.branch, false) {
            Ok(()) => return Ok(revert),
            Err(PushError::Raced { .. }) => continue,
            Err(PushError::Failed(error)) => return Err(error.into()),
        }
    }
    anyhow::bail!(
        "{} kept moving: the revert lost {} races",
        outcome.branch,
        config.push_attempts
    )
}

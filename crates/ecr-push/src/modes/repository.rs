//! The step before every mode: the repository as asked for against the one that exists
//! ([`crate::repository::plan`]), created or updated when the inputs say so.

use anyhow::Context as _;
use gantry_toolkit::Runner;

use crate::config::Config;
use crate::ecr::Ecr;
use crate::lifecycle;
use crate::outputs::Outcome;
use crate::plan::{self, RepositoryAction};
use crate::repository::{self, ObservedRepository};

/// Reads the repository, creates or updates it as the inputs ask, and returns it as it is now
/// (`None` on a dry run that would create it).
pub async fn ensure(
    runner: &Runner,
    ecr: &impl Ecr,
    config: &Config,
    account: &str,
    outcome: &mut Outcome,
) -> anyhow::Result<Option<ObservedRepository>> {
    let _group = runner.group("Repository");
    let observed = ecr
        .describe_repository(account, &config.repository)
        .await
        .context("cannot read the repository")?;
    let repo_plan = repository::plan(
        &config.repository,
        account,
        &config.repository_settings,
        observed.as_ref(),
        config.create_repository,
        config.update_repository,
    )?;
    match plan::repository_action(repo_plan, config.dry_run) {
        RepositoryAction::WouldCreate => {
            let note = format!("dry run: repository {} would be created", config.repository);
            runner.info(&note);
            outcome.notes.push(note);
            Ok(None)
        }
        RepositoryAction::Create(settings) => {
            let created = ecr
                .create_repository(account, &config.repository, &settings)
                .await
                .context("cannot create the repository")?;
            let note = format!(
                "created repository {} (tags {}, scan on push {}, encryption {})",
                config.repository,
                settings.tag_mutability.as_str(),
                settings.scan_on_push,
                settings.encryption
            );
            runner.info(&note);
            outcome.notes.push(note);
            Ok(Some(created))
        }
        RepositoryAction::Keep { differences, warn } => {
            let Some(observed) = observed else {
                return Ok(None);
            };
            report(runner, config, &differences, warn, outcome);
            show_lifecycle_diff(runner, config, &observed, false);
            Ok(Some(observed))
        }
        RepositoryAction::Update {
            differences,
            changes,
        } => {
            let Some(observed) = observed else {
                return Ok(None);
            };
            report(runner, config, &differences, false, outcome);
            show_lifecycle_diff(runner, config, &observed, true);
            for change in &changes {
                ecr.apply(account, &observed, change)
                    .await
                    .context("cannot update the repository")?;
            }
            outcome
                .notes
                .push(format!("applied {} repository change(s)", changes.len()));
            // Mutability as it is now.
            Ok(ecr.describe_repository(account, &config.repository).await?)
        }
    }
}

/// Reports each difference between the repository and the inputs: a warning when it stays.
fn report(
    runner: &Runner,
    config: &Config,
    differences: &[String],
    warn: bool,
    outcome: &mut Outcome,
) {
    for difference in differences {
        let text = format!("repository {}: {difference}", config.repository);
        if warn {
            runner.warning(&format!(
                "{text} (left as is; set input 'update-repository: true' to apply)"
            ));
        } else {
            runner.info(&text);
        }
        outcome.notes.push(text);
    }
}

/// Prints the lifecycle policy change (`-` the repository's, `+` the inputs') when the two
/// differ: the one being applied, or the one `update-repository` would apply.
fn show_lifecycle_diff(
    runner: &Runner,
    config: &Config,
    observed: &ObservedRepository,
    applying: bool,
) {
    let want = config.repository_settings.lifecycle.policy();
    if want.as_ref() == observed.lifecycle_policy.as_ref() {
        return;
    }
    let head = if applying {
        "lifecycle policy change being applied"
    } else if config.update_repository {
        "lifecycle policy change that update-repository would apply (dry run)"
    } else {
        "lifecycle policy change that 'update-repository: true' would apply"
    };
    runner.info(&format!(
        "repository {}: {head}:\n{}",
        config.repository,
        lifecycle::diff(observed.lifecycle_policy.as_ref(), want.as_ref())
    ));
}

/// Input `lifecycle-preview`: which images the lifecycle policy in effect would expire today
/// (the repository's after the repository step; on a dry run with `update-repository`, the one
/// it would apply). Reads only: nothing is expired, and ECR's own lifecycle preview (which
/// moto lacks) is not started.
pub async fn preview(
    runner: &Runner,
    ecr: &impl Ecr,
    config: &Config,
    account: &str,
    observed: Option<&ObservedRepository>,
) -> anyhow::Result<lifecycle::Preview> {
    let _group = runner.group("Lifecycle preview");
    let Some(observed) = observed else {
        return Ok(lifecycle::Preview::NoRepository);
    };
    let desired = config.repository_settings.lifecycle.policy();
    let policy = if config.dry_run && config.update_repository {
        desired.as_ref()
    } else {
        observed.lifecycle_policy.as_ref()
    };
    let images = ecr
        .list_images(account, &config.repository)
        .await
        .context("cannot list the repository's images for the lifecycle preview")?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let preview = lifecycle::preview(policy, &images, now);
    if let lifecycle::Preview::Evaluated { images, expiring } = &preview {
        runner.info(&format!(
            "lifecycle preview: {} of {images} images would expire today",
            expiring.len()
        ));
        for row in expiring {
            runner.info(&format!(
                "  {} [{}] pushed {} days ago: {}",
                row.digest,
                row.tags.join(", "),
                row.age_days,
                row.rule
            ));
        }
    }
    Ok(preview)
}

//! The step before every mode: the repository as asked for against the one that exists
//! ([`crate::repository::plan`]), created or updated when the inputs say so.

use anyhow::Context as _;
use gantry_toolkit::Runner;

use crate::config::Config;
use crate::ecr::Ecr;
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

//! The step before every mode: the repository as asked for against the one that exists
//! ([`crate::repository::plan`]), created or updated when the inputs say so.

use anyhow::Context as _;
use gantry_toolkit::Runner;

use crate::config::Config;
use crate::ecr::Ecr;
use crate::outputs::Outcome;
use crate::repository::{ObservedRepository, RepositoryPlan, plan};

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
    let repo_plan = plan(
        &config.repository,
        account,
        &config.repository_settings,
        observed.as_ref(),
        config.create_repository,
        config.update_repository,
    )?;
    match repo_plan {
        RepositoryPlan::Create(settings) => {
            if config.dry_run {
                let note = format!("dry run: repository {} would be created", config.repository);
                runner.info(&note);
                outcome.notes.push(note);
                return Ok(None);
            }
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
        RepositoryPlan::Existing {
            differences,
            changes,
        } => {
            let Some(observed) = observed else {
                return Ok(None);
            };
            for difference in &differences {
                let text = format!("repository {}: {difference}", config.repository);
                if changes.is_empty() {
                    runner.warning(&format!(
                        "{text} (left as is; set input 'update-repository: true' to apply)"
                    ));
                } else {
                    runner.info(&text);
                }
                outcome.notes.push(text);
            }
            if !config.dry_run {
                for change in &changes {
                    ecr.apply(account, &observed, change)
                        .await
                        .context("cannot update the repository")?;
                }
                if !changes.is_empty() {
                    outcome
                        .notes
                        .push(format!("applied {} repository change(s)", changes.len()));
                    // Mutability as it is now.
                    return Ok(ecr.describe_repository(account, &config.repository).await?);
                }
            }
            Ok(Some(observed))
        }
    }
}

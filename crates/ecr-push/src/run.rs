//! One run: inputs → config → AWS (login) → the repository step → the mode's flow (build, push,
//! promote or copy, [`crate::modes`]: the image pushed by digest, its tags left pending) → the
//! scan gate → the tags → outputs and summary. The only module that strings the layers
//! together; it decides nothing itself.
//!
//! Tags are written last, after the scan gate: an image that fails the gate is in the
//! repository by digest only, with no new tag (a promote writes no PutImage).
//!
//! Cancellation: the run has one deadline (`timeout-seconds`) and stops on SIGTERM or Ctrl-C
//! (how the runner cancels a job). As tags are written last, a run stopped at any point leaves
//! no tag naming an incomplete image: at most blobs and untagged manifests, which the "expire
//! untagged" lifecycle rule removes, and which a re-run reuses.

use std::sync::Arc;

use anyhow::{Context as _, anyhow};
use gantry_toolkit::{Event, GithubContext, Runner, Stop};

use crate::config::{Config, Mode};
use crate::ecr::{Ecr, SdkEcr};
use crate::login;
use crate::modes::{self, Session};
use crate::outputs::{self, Outcome};
use crate::plan::{self, Flow, GateFailure};
use crate::tags::GitInfo;

pub fn run(runner: &Arc<Runner>) -> anyhow::Result<()> {
    let context = GithubContext::from_env(runner.env());
    let event = runner
        .event()
        .context("cannot read the event payload (GITHUB_EVENT_PATH)")?;
    let pr_head = event.as_ref().and_then(|e| match &e.event {
        Event::PullRequest(pr) => pr.pull_request.head.sha.clone(),
        _ => None,
    });
    let git = GitInfo::from_context(
        context.git_ref.as_deref(),
        context.sha.as_deref(),
        pr_head.as_deref(),
    );
    let workspace = context
        .workspace_dir()
        .context("cannot read the current directory")?;
    // Every input is checked here, before anything talks to AWS, the registry or Docker.
    let config = Config::from_inputs(runner.inputs(), runner.env(), &workspace, &git)?;
    let stop = Stop::install(Some(config.timeout))
        .context("cannot listen for the runner's cancellation")?
        .with_input("timeout-seconds");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let (outcome, failure) = runtime.block_on(async {
        let work = async {
            match &config.mode {
                // No AWS at all: a pull request's build.
                Mode::BuildOnly(spec) => {
                    let mut outcome = Outcome {
                        mode: config.mode.name().to_string(),
                        repository: config.repository.clone(),
                        tags: config.tags.clone(),
                        dry_run: config.dry_run,
                        ..Outcome::default()
                    };
                    modes::build::build_only(runner, &config, spec, &context, &mut outcome).await?;
                    Ok((outcome, None))
                }
                _ => execute(runner, &config, &context).await,
            }
        };
        match stop.race(work).await {
            Ok(outcome) => outcome,
            Err(reason) => Err(anyhow!(
                "ecr-push stopped: {reason}; no tag was written for an incomplete image"
            )),
        }
    })?;
    for (name, value) in outputs::values(&outcome) {
        runner.set_output(name, &value)?;
    }
    runner.write_summary(&outputs::summary(&outcome))?;
    match failure {
        // The outputs and the summary above still tell what the scan found.
        Some(failure) => Err(failure.into()),
        None => Ok(()),
    }
}

async fn execute(
    runner: &Arc<Runner>,
    config: &Config,
    context: &GithubContext,
) -> anyhow::Result<(Outcome, Option<GateFailure>)> {
    runner.info(&format!(
        "ecr-push: {} {} with tags {}",
        config.mode.name(),
        config.repository,
        config.tags.join(", ")
    ));
    let settings = config
        .aws
        .clone()
        .context("no AWS region: give input 'aws-region' or set AWS_REGION")?;
    let aws = gantry_aws_setup::load(settings, runner.clone())
        .await
        .context("cannot set up AWS")?;
    let ecr = SdkEcr::new(&aws);
    let account = match plan::target_account(&config.registry_ids) {
        Some(id) => id.to_string(),
        None => {
            aws.caller_identity()
                .await
                .context("cannot tell which AWS account to push to: give input 'registry-ids'")?
                .account
        }
    };
    let registry = login::registry_host(&account, config.region());
    let mut outcome = Outcome {
        mode: config.mode.name().to_string(),
        registry: registry.clone(),
        repository: config.repository.clone(),
        tags: config.tags.clone(),
        dry_run: config.dry_run,
        ..Outcome::default()
    };

    // Login: one token opens every registry the credentials may use.
    let credentials = {
        let _group = runner.group("Log in to ECR");
        let data = ecr.authorization().await.context("cannot log in to ECR")?;
        let credentials = login::credentials(runner, &data)?;
        runner.info(&format!(
            "logged in to {registry} as {}",
            credentials.username
        ));
        credentials
    };
    if config.mode == Mode::Login {
        // Only the login: the password is masked already (login::credentials).
        outcome.login = Some(credentials);
        return Ok((outcome, None));
    }

    // Repository.
    let observed = modes::repository::ensure(runner, &ecr, config, &account, &mut outcome).await?;
    let immutable = plan::tags_immutable(observed.as_ref(), &config.repository_settings);
    if config.lifecycle_preview {
        outcome.lifecycle_preview = Some(
            modes::repository::preview(runner, &ecr, config, &account, observed.as_ref()).await?,
        );
    }

    let session = Session {
        runner,
        config,
        aws: &aws,
        ecr: &ecr,
        account: &account,
        registry: &registry,
        credentials: &credentials,
        immutable,
    };
    // The image by digest; what ECR scans (single-platform images, so for an index each image
    // it lists) and the tags left to write.
    let staging = match plan::flow(&config.mode, &account, config.region(), &config.repository) {
        Flow::Copy { from, source } => {
            modes::copy::run(&session, from, source, &mut outcome).await?
        }
        Flow::Promote(source) => modes::promote::run(&session, source, &mut outcome).await?,
        Flow::Push(image_path) => modes::push::run(&session, image_path, &mut outcome).await?,
        Flow::Build(spec) => modes::build::run(&session, spec, context, &mut outcome).await?,
        // Handled above.
        Flow::BuildOnly(_) | Flow::Login => modes::Staging::nothing(),
    };

    let failure = modes::scan::gate(
        &session,
        observed.as_ref(),
        &staging.scan_targets,
        &mut outcome,
    )
    .await?;
    match &failure {
        // Only an image that passed gets its tags.
        None => modes::write_pending(&session, staging.pending, &mut outcome).await?,
        Some(_) => {
            let note = format!(
                "no tag was written: the image is in the repository as {} only",
                outcome.digest
            );
            runner.warning(&note);
            outcome.notes.push(note);
            outcome.gate_failed = true;
        }
    }
    Ok((outcome, failure))
}

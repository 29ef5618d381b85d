//! One run of the tool: inputs → config → (AWS) service and task definitions → render → dry-run
//! diff, or register → pre-deploy task → deploy → watch → rollback when it failed → outputs and
//! summary. The only module that strings the layers together; what to do at each step is
//! decided elsewhere ([`crate::plan`], [`gantry_ecs::rollback::decide`], [`crate::outcome`]),
//! here it is only done, with [`gantry_ecs`]'s deploy, watch and rollback. A CODE_DEPLOY
//! service goes through [`codedeploy`].
//!
//! One deadline (`timeout-seconds`) covers the whole run: the watch of our deployment ends at
//! two thirds of it, so that a rollback always has the last third to complete.

use std::sync::Arc;

use anyhow::Context as _;
use gantry_aws_setup::AwsSettings;
use gantry_toolkit::{GithubContext, Runner};
use serde_json::Value;
use tokio::time::Instant;

use gantry_ecs::codedeploy::{CodeDeploy, SdkCodeDeploy};
use gantry_ecs::deploy::{deploy, describe_strategy, described_service};
use gantry_ecs::diff::Change;
use gantry_ecs::rollback::{self, Rollback, Watched, last_good, may_deregister, rollback};
use gantry_ecs::taskdef::{family_of, short_name};
use gantry_ecs::verify::{self, Resources};
use gantry_ecs::watch::{self, Failure, FailureKind, WatchOutcome, watch};
use gantry_ecs::{Ecr, Ecs, Log, Scope, SdkEcr, SdkEcs, ServiceSnapshot, ServiceUpdate};
use gantry_toolkit::Stop;

use crate::config::{Changes, Config, Mode, RollbackTarget, TaskDefSource};
use crate::error::RolloutError;
use crate::outcome;
use crate::outputs::{Report, Status, summary};
use crate::plan::{self, NewTaskDefinition, Route, Running, ServiceSettings, Source};
use crate::pre_deploy::{self, PreDeployTask, run_pre_deploy};
use crate::render::target_container;

pub mod codedeploy;

/// The binary's entry: parse and validate everything, then run on a tokio runtime.
pub fn run(runner: Arc<Runner>) -> anyhow::Result<()> {
    let context = GithubContext::from_env(runner.env());
    let workspace = context
        .workspace_dir()
        .context("cannot read the current directory")?;
    let config = Config::from_inputs(runner.inputs(), &workspace)?;
    let settings = AwsSettings::from_runner("ecs-rollout", &runner)?;
    // From here on a cancellation is recorded, not fatal: it becomes a rollback.
    let stop = Stop::install(Some(config.timeout))
        .context("cannot listen for the runner's cancellation")?
        .with_input("timeout-seconds");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(run_async(runner, config, settings, stop))
}

async fn run_async(
    runner: Arc<Runner>,
    config: Config,
    settings: AwsSettings,
    cancel: Stop,
) -> anyhow::Result<()> {
    let region = settings.region.clone();
    let aws = gantry_aws_setup::load(settings, runner.clone()).await?;
    let mut ecs_conf = aws_sdk_ecs::config::Builder::from(&aws.config);
    if let Some(url) = aws.endpoint_for("ECS") {
        ecs_conf = ecs_conf.endpoint_url(url);
    }
    let mut ecr_conf = aws_sdk_ecr::config::Builder::from(&aws.config);
    if let Some(url) = aws.endpoint_for("ECR") {
        ecr_conf = ecr_conf.endpoint_url(url);
    }
    let ecs = SdkEcs::new(aws_sdk_ecs::Client::from_conf(ecs_conf.build()));
    let ecr = SdkEcr::new(aws_sdk_ecr::Client::from_conf(ecr_conf.build()));
    let mut cd_conf = aws_sdk_codedeploy::config::Builder::from(&aws.config);
    if let Some(url) = aws.endpoint_for("CODEDEPLOY") {
        cd_conf = cd_conf.endpoint_url(url);
    }
    let codedeploy = SdkCodeDeploy::new(aws_sdk_codedeploy::Client::from_conf(cd_conf.build()));
    let resources = sdk_resources(&aws);
    let log = Log::new(Some(&runner));
    let deadline = cancel
        .deadline()
        .map_or_else(|| Instant::now() + config.timeout, Instant::from_std);

    let scope = Scope {
        ecs: &ecs,
        cluster: &config.cluster,
        service: &config.service,
        deadline,
        stop: &cancel,
        log: &log,
    };
    let result = execute(scope, &ecr, &codedeploy, &resources, &config, &region).await;
    let (report, changes) = match result {
        Ok(done) => done,
        Err(e) => {
            let report = Report::failed(
                &config.cluster,
                &config.service,
                gantry_toolkit::error_chain(&e),
                log.elapsed(),
                config.dry_run,
            );
            finish(&runner, &report, &[], &log)?;
            return Err(e.into());
        }
    };
    finish(&runner, &report, &changes, &log)?;
    report
        .result()
        .map_err(|reason| anyhow::anyhow!("{reason}"))
}

fn finish(
    runner: &Runner,
    report: &Report,
    changes: &[Change],
    log: &Log<'_>,
) -> anyhow::Result<()> {
    for (name, value) in report.outputs() {
        runner.set_output(name, &value)?;
    }
    runner.write_summary(&summary(report, changes, &log.timeline()))?;
    Ok(())
}

/// Everything after the inputs, on the scope's service until its deadline: returns the report
/// (and the task definition diff), or an error when the run stopped before the service was
/// changed.
pub async fn execute<E: Ecs, R: Ecr, C: CodeDeploy, V: Resources>(
    scope: Scope<'_, E>,
    ecr: &R,
    codedeploy: &C,
    resources: &V,
    config: &Config,
    region: &str,
) -> Result<(Report, Vec<Change>), RolloutError> {
    let Scope {
        ecs,
        deadline,
        stop: cancel,
        log,
        ..
    } = scope;
    let before = described_service(ecs, &config.cluster, &config.service).await?;
    let route = plan::route(&before, &config.service)?;
    log.info(&format!(
        "service {}/{} runs {} ({} of {} tasks running; {})",
        config.cluster,
        config.service,
        short_name(&before.task_definition),
        before.running,
        before.desired,
        describe_strategy(&before)
    ));
    let current = ecs
        .describe_task_definition(&before.task_definition)
        .await?;

    let NewTaskDefinition {
        definition: new_def,
        reuse: existing_arn,
        diff: changes,
    } = new_task_definition(ecs, ecr, config, &before, &current, log).await?;
    log_changes(log, &before.task_definition, &changes);
    if config.verify && config.mode == Mode::Deploy {
        check_references(scope, resources, &new_def, region).await?;
    }
    // Checked before anything changes: the container the smoke test runs in.
    let smoke_container = match (&config.smoke_test_command, config.mode) {
        (Some(_), Mode::Deploy) => Some(target_container(
            &new_def,
            config.changes.container.as_deref(),
            "smoke-test-command",
        )?),
        _ => None,
    };
    let mut report = Report {
        task_definition_arn: existing_arn.clone().unwrap_or_default(),
        last_good_task_definition_arn: last_good(&before).unwrap_or_default(),
        ..Report::new(
            &config.cluster,
            &config.service,
            &before.task_definition,
            config.dry_run,
        )
    };
    if config.dry_run {
        report.reason = format!(
            "dry run: {} change(s) to the task definition; nothing registered or deployed",
            changes.len()
        );
        log.info(&report.reason);
        report.duration = log.elapsed();
        return Ok((report, changes));
    }
    plan::go_ahead(cancel.signal(), false, "")?;

    let (new_arn, registered) = match existing_arn {
        Some(arn) => (arn, false),
        None => {
            let arn = ecs.register_task_definition(&new_def).await?;
            log.mark(&format!("registered {}", short_name(&arn)));
            (arn, true)
        }
    };
    report.task_definition_arn = new_arn.clone();

    if let Some(command) = &config.pre_deploy_command {
        let container = target_container(
            &new_def,
            config.changes.container.as_deref(),
            "pre-deploy-command",
        )?;
        let pre_deadline =
            pre_deploy::deadline(Instant::now(), config.pre_deploy_timeout, deadline);
        let task = PreDeployTask {
            purpose: "pre-deploy task",
            timeout_input: "pre-deploy-timeout-seconds",
            task_definition: &new_arn,
            definition: &new_def,
            container: &container,
            command,
            region,
        };
        run_pre_deploy(scope.until(pre_deadline), &before, &task)
            .await
            .map_err(RolloutError::PreDeploy)?;
    }
    plan::go_ahead(cancel.signal(), Instant::now() >= deadline, &new_arn)?;

    let settings = ServiceSettings::of(config);
    if plan::is_noop(&new_arn, &before, &settings) {
        report.reason = format!(
            "service already runs {}: nothing to deploy",
            short_name(&new_arn)
        );
        report.deployment_id = before.primary().map(|p| p.id.clone()).unwrap_or_default();
        log.info(&report.reason);
        report.duration = log.elapsed();
        return Ok((report, changes));
    }

    let good = last_good(&before);
    let mut report = match route {
        Route::CodeDeploy { container, port } => {
            let revision = codedeploy::NewRevision {
                task_definition: &new_arn,
                container: &container,
                port,
            };
            codedeploy::run(codedeploy, scope, config, &revision, report).await?
        }
        Route::Ecs => {
            let update = plan::update(
                &config.cluster,
                &config.service,
                &new_arn,
                &before,
                &settings,
            );
            let smoke = smoke_container
                .as_deref()
                .zip(config.smoke_test_command.as_deref())
                .map(|(container, command)| PreDeployTask {
                    purpose: "smoke test",
                    timeout_input: "timeout-seconds",
                    task_definition: &new_arn,
                    definition: &new_def,
                    container,
                    command,
                    region,
                });
            roll(
                scope,
                config,
                &before,
                &update,
                good.as_deref(),
                smoke,
                report,
            )
            .await?
        }
    };
    if outcome::deregister(
        report.status,
        config.wait,
        config.deregister_failed,
        registered,
    ) {
        deregister_failed(ecs, config, &new_arn, good.as_deref(), log).await;
        report.duration = log.elapsed();
    }
    Ok((report, changes))
}

/// Deploys `update` to the scope's ECS-controlled service, watches the deployment (unless told
/// not to) and, when it did not succeed, rolls back as [`rollback::decide`] says. Fills in and
/// returns `report`.
async fn roll<E: Ecs>(
    scope: Scope<'_, E>,
    config: &Config,
    before: &ServiceSnapshot,
    update: &ServiceUpdate,
    good: Option<&str>,
    smoke: Option<PreDeployTask<'_>>,
    mut report: Report,
) -> Result<Report, RolloutError> {
    let Scope {
        ecs,
        deadline,
        stop: cancel,
        log,
        ..
    } = scope;
    let new_arn = update.task_definition.as_deref().unwrap_or_default();
    if let Some(p) = plan::superseded(before) {
        log.warning(&format!(
            "deployment {} of {} is still in progress: ours replaces it",
            p.id,
            short_name(&p.task_definition)
        ));
    }
    let mut watcher = deploy(ecs, before, update, config.pending_timeout).await?;
    report.deployment_id = watcher.deployment_id().to_owned();
    log.mark(&format!(
        "deployment {} of {} started ({})",
        watcher.deployment_id(),
        short_name(new_arn),
        describe_strategy(before)
    ));
    if !config.wait {
        report.started(log.elapsed());
        return Ok(report);
    }

    let watch_deadline = watch::deadline(Instant::now(), deadline);
    // From here on the service has our deployment: an error is a failed deployment to roll
    // back, not a reason to leave it running.
    let mut outcome = match watch(scope.until(watch_deadline), &mut watcher, 0).await {
        Ok(outcome) => outcome,
        Err(e) => WatchOutcome::Errored(e.to_string()),
    };
    if outcome == WatchOutcome::Succeeded
        && let Some(task) = smoke
    {
        log.mark(&format!(
            "deployment {} completed: running the smoke test",
            watcher.deployment_id()
        ));
        // As the watch: a third of the time left stays for a rollback.
        let smoke_deadline = watch::deadline(Instant::now(), deadline);
        if let Err(e) = run_pre_deploy(scope.until(smoke_deadline), before, &task).await {
            outcome = WatchOutcome::Failed(Failure {
                kind: FailureKind::CheckFailed,
                reason: format!("the smoke test failed: {e}"),
            });
        }
    }
    let Some(failure) = outcome.failure() else {
        log.mark(&format!(
            "deployment {} completed: the service runs {}",
            watcher.deployment_id(),
            short_name(new_arn)
        ));
        report.reason = format!("{} is running", short_name(new_arn));
        report.duration = log.elapsed();
        return Ok(report);
    };
    log.mark(&failure);
    report.status = Status::Failed;
    report.reason = failure.clone();

    match rollback::decide(
        Watched::Ecs(&outcome),
        config.rollback_on_failure,
        good,
        new_arn,
    ) {
        Rollback::To(target) => {
            let signals = cancel.signals();
            let rollback_scope = scope.until(rollback::deadline(Instant::now(), deadline));
            let rb = match rollback(
                rollback_scope,
                &target,
                config.pending_timeout,
                signals,
                Some(before),
            )
            .await
            {
                Ok(rb) => rb,
                Err(e) => {
                    // Both errors, and the outputs of what was deployed.
                    report.reason = format!(
                        "{failure}; the rollback to {} failed: {e}",
                        short_name(&target)
                    );
                    log.mark(&report.reason);
                    report.duration = log.elapsed();
                    return Ok(report);
                }
            };
            report.rollback = Some((rb.deployment_id.clone(), rb.task_definition.clone()));
            (report.status, report.reason) = outcome::after_rollback(&failure, &rb);
            if report.status == Status::RolledBack {
                log.mark(&format!(
                    "rollback completed: the service runs {} again",
                    short_name(&target)
                ));
            }
        }
        Rollback::Skip(skip) => report.reason = outcome::skipped(&skip, &failure),
        // Not after a failed ECS deployment: the first is for a success, the others are
        // CodeDeploy's.
        Rollback::NotNeeded | Rollback::StopDeployment | Rollback::Ended => {}
    }
    report.duration = log.elapsed();
    Ok(report)
}

/// `verify`: what `definition` refers to exists, or the error naming each that does not (see
/// [`gantry_ecs::verify`]). What cannot be checked is a warning.
async fn check_references<E: Ecs, V: Resources>(
    scope: Scope<'_, E>,
    resources: &V,
    definition: &Value,
    region: &str,
) -> Result<(), RolloutError> {
    let Scope {
        stop: cancel, log, ..
    } = scope;
    let checked = cancel
        .race(verify::verify(definition, region, resources))
        .await
        .map_err(|reason| match reason {
            gantry_toolkit::StopReason::Signal(signal) => {
                RolloutError::CancelledBeforeDeploy(signal)
            }
            other => RolloutError::DeadlineBeforeDeploy(other.to_string()),
        })?;
    for (reference, why) in &checked.unchecked {
        log.warning(&format!("verify: not checked: {reference} ({why})"));
    }
    if let Some(missing) = checked.error() {
        return Err(RolloutError::Verify(missing));
    }
    log.info(&format!(
        "verify: the {} image(s), secret(s), role(s) and log group(s) it refers to exist",
        checked.found
    ));
    Ok(())
}

/// The clients `verify` asks, in the deploy's region (endpoints as configured).
fn sdk_resources(aws: &gantry_aws_setup::AwsContext) -> verify::SdkResources {
    macro_rules! client {
        ($sdk:ident, $service:literal) => {{
            let mut conf = $sdk::config::Builder::from(&aws.config);
            if let Some(url) = aws.endpoint_for($service) {
                conf = conf.endpoint_url(url);
            }
            $sdk::Client::from_conf(conf.build())
        }};
    }
    verify::SdkResources {
        ecr: client!(aws_sdk_ecr, "ECR"),
        iam: client!(aws_sdk_iam, "IAM"),
        secrets: client!(aws_sdk_secretsmanager, "SECRETS_MANAGER"),
        ssm: client!(aws_sdk_ssm, "SSM"),
        logs: client!(aws_sdk_cloudwatchlogs, "CLOUDWATCH_LOGS"),
    }
}

/// What the new task definition changes against the `running` one, line by line.
fn log_changes(log: &Log<'_>, running: &str, changes: &[Change]) {
    if changes.is_empty() {
        log.info(&format!(
            "the task definition is the same as {}",
            short_name(running)
        ));
        return;
    }
    log.info(&format!(
        "task definition changes against {}:",
        short_name(running)
    ));
    for c in changes {
        log.info(&c.to_string());
    }
}

async fn deregister_failed<E: Ecs>(
    ecs: &E,
    config: &Config,
    arn: &str,
    good: Option<&str>,
    log: &Log<'_>,
) {
    match ecs.describe_service(&config.cluster, &config.service).await {
        Ok(Some(now)) if may_deregister(arn, &now, good) => {
            match ecs.deregister_task_definition(arn).await {
                Ok(()) => log.mark(&format!("deregistered the failed {}", short_name(arn))),
                Err(e) => log.warning(&format!("could not deregister {}: {e}", short_name(arn))),
            }
        }
        Ok(_) => log.warning(&format!(
            "kept {}: the service still uses it",
            short_name(arn)
        )),
        Err(e) => log.warning(&format!("kept {}: {e}", short_name(arn))),
    }
}

/// The task definition to deploy: fetches what the inputs name (a revision, the revision that
/// runs a rollback's image tag) and leaves the choice to [`plan::task_definition`].
async fn new_task_definition<E: Ecs, R: Ecr>(
    ecs: &E,
    ecr: &R,
    config: &Config,
    before: &ServiceSnapshot,
    current: &Value,
    log: &Log<'_>,
) -> Result<NewTaskDefinition, RolloutError> {
    let running = Running {
        arn: &before.task_definition,
        definition: current,
    };
    // Filled by the arm that fetches them; the source borrows them.
    let (fetched, arn, retagged): (Value, String, Changes);
    let (source, changes) = match (config.mode, config.rollback_target.as_ref()) {
        (Mode::Rollback, Some(RollbackTarget::TaskDefinition(td))) => {
            fetched = ecs.describe_task_definition(td).await?;
            arn = plan::arn_of(&fetched, td);
            let source = Source::AsItIs {
                arn: &arn,
                definition: &fetched,
            };
            (source, &config.changes)
        }
        (Mode::Rollback, Some(RollbackTarget::ImageTag(tag))) => {
            match by_image_tag(ecs, ecr, config, current, tag, log).await? {
                ByTag::Revision(found, def) => {
                    (arn, fetched) = (found, def);
                    let source = Source::AsItIs {
                        arn: &arn,
                        definition: &fetched,
                    };
                    (source, &config.changes)
                }
                ByTag::Retagged(changes) => {
                    retagged = *changes;
                    (Source::Render(current), &retagged)
                }
            }
        }
        (Mode::Rollback, None) => {
            let source = Source::AsItIs {
                arn: &before.task_definition,
                definition: current,
            };
            (source, &config.changes)
        }
        (Mode::Deploy, _) => match &config.source {
            TaskDefSource::Service => (Source::Render(current), &config.changes),
            TaskDefSource::File { json, .. } => (Source::Render(json), &config.changes),
            TaskDefSource::Existing(td) => {
                fetched = ecs.describe_task_definition(td).await?;
                let source = Source::Revision {
                    name: td,
                    definition: &fetched,
                };
                (source, &config.changes)
            }
        },
    };
    plan::task_definition(source, changes, running)
}

/// A rollback by image tag: a revision that runs the image, or the changes that make one.
enum ByTag {
    Revision(String, Value),
    Retagged(Box<Changes>),
}

/// Rollback by image tag: the target container's image with `tag`, checked in ECR first; the
/// newest ACTIVE revision that runs exactly that image when there is one (the version as it
/// was, environment included), else the current revision with the image swapped.
async fn by_image_tag<E: Ecs, R: Ecr>(
    ecs: &E,
    ecr: &R,
    config: &Config,
    current: &Value,
    tag: &str,
    log: &Log<'_>,
) -> Result<ByTag, RolloutError> {
    let retag = plan::retag(current, config.changes.container.as_deref(), tag)?;
    if !ecr
        .tag_exists(Some(&retag.account), &retag.repository, tag)
        .await?
    {
        return Err(retag.missing());
    }
    let wanted = retag.image.to_string();
    log.info(&format!("{wanted} exists in ECR"));
    let family = family_of(
        current
            .get("family")
            .and_then(Value::as_str)
            .unwrap_or_default(),
    )
    .to_owned();
    for arn in ecs
        .list_task_definitions(&family)
        .await?
        .into_iter()
        .take(50)
    {
        let def = ecs.describe_task_definition(&arn).await?;
        if retag.is_run_by(&def) {
            log.info(&format!(
                "{} runs {wanted}: redeploying it",
                short_name(&arn)
            ));
            return Ok(ByTag::Revision(arn, def));
        }
    }
    log.info(&format!(
        "no revision of {family} runs {wanted}: registering one from the current revision"
    ));
    Ok(ByTag::Retagged(Box::new(retag.changes())))
}

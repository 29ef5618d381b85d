//! One run of the tool: inputs → config (everything validated) → AWS clients and the metric
//! sources → the mode (`canary_mode`: steps of traffic, each watched interval by interval and
//! judged, then promote, roll back or report inconclusive; `probe_mode`; `ecs_native`) →
//! outputs and summary. The only module that strings the layers together.
//!
//! Webhooks ([`crate::webhooks`]) are called by the modes: `pre-rollout` before the run changes
//! anything (a no is an error, nothing changed), `rollout` at the start of every look (a no is a
//! rollback verdict), `confirm-promotion` when the analysis would promote (the weights held and
//! the evidence still judged until every hook says yes; the deadline rolls back), and the
//! notifications once the outputs and the summary are written (a failure is a warning).
//!
//! Safety: a rollback puts all traffic on the stable group in one call, at the first look
//! that shows a failure. SIGTERM or Ctrl-C (the runner cancelling the job) and the overall
//! deadline (`timeout-seconds`) do the same before the tool exits, so a cancelled job never
//! leaves a canary with traffic it has not earned.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, anyhow};
use gantry_aws_setup::AwsSettings;
use gantry_toolkit::{Runner, Stop};

use crate::analysis::{Done, Evidence, Session};
use crate::canary_mode::canary_mode;
use crate::canary_service::{CanaryService, NoCanaryService};
use crate::config::{Config, Mode};
use crate::ecs_canary::EcsCanaryService;
use crate::ecs_native::{Native, NativeOutputs};
use crate::judge::Samples;
use crate::metrics::SdkCloudWatch;
use crate::outputs;
use crate::probe_mode::probe_mode;
use crate::summary;
use crate::traffic::ElbTraffic;
use crate::webhooks::{self, Context as HookContext, End, Event, Moment, UreqDeliver, Webhooks};

pub fn run(runner: Arc<Runner>) -> anyhow::Result<()> {
    let context = runner.context();
    let workspace = context
        .workspace_dir()
        .context("cannot read the current directory")?;
    // Secrets first, masked before anything (an input error included) could print them: the
    // webhook secret, and the URLs of the hooks (Slack's and Teams' are credentials).
    let _ = runner.get_secret_input("webhook-secret");
    let mut masked = Vec::new();
    if let Some(raw) = runner.inputs().raw("webhooks") {
        masked = webhooks::secret_parts(raw);
        for part in &masked {
            runner.add_mask(part);
        }
    }
    let config = Config::from_inputs(runner.inputs(), &workspace)?;
    for hook in &config.webhooks {
        for part in webhooks::secret_parts(hook.url.expose()) {
            if !masked.contains(&part) {
                runner.add_mask(&part);
            }
        }
    }
    // AWS settings are validated with the other inputs, before anything is sent.
    let settings = if config.needs_aws() {
        Some(AwsSettings::from_runner("canary-gate", &runner)?)
    } else {
        None
    };
    // From here on a cancellation is recorded, not fatal: it restores stable traffic.
    for deprecation in &config.deprecations {
        runner.warning(deprecation);
    }
    let hooks = Webhooks::new(
        config.webhooks.clone(),
        config.webhook_secret.clone(),
        hook_context(&config, &context),
        Arc::new(UreqDeliver),
    );
    let stop = Stop::install(Some(config.timeout))
        .context("cannot listen for the runner's cancellation")?
        .with_input(config.timeout_input);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(execute(runner, config, settings, stop, hooks))
}

/// What every webhook payload says about the run: the target as the inputs name it, the
/// repository, the commit and this run's page.
fn hook_context(config: &Config, context: &gantry_toolkit::GithubContext) -> HookContext {
    HookContext {
        mode: match config.mode {
            Mode::Canary => "canary",
            Mode::Probe => "probe",
        },
        cluster: config.ecs.as_ref().map(|e| e.cluster.clone()),
        service: config.ecs.as_ref().map(|e| e.stable_service.clone()),
        canary_service: config.ecs.as_ref().and_then(|e| e.canary_service.clone()),
        listener_arn: config.alb.as_ref().map(|a| a.listener_arn.clone()),
        rule_arn: config.alb.as_ref().and_then(|a| a.rule_arn.clone()),
        stable_target_group: config.alb.as_ref().map(|a| a.stable_target_group.clone()),
        canary_target_group: config.alb.as_ref().map(|a| a.canary_target_group.clone()),
        repository: context.repository.clone(),
        sha: context.sha.clone(),
        run_url: context.run_url(),
    }
}

/// How long the notifications at the end may take, all of them, tries included.
const NOTIFY_BUDGET: std::time::Duration = std::time::Duration::from_secs(30);
/// The same after SIGTERM: the runner kills a cancelled job seconds later.
const NOTIFY_BUDGET_CANCELLED: std::time::Duration = std::time::Duration::from_secs(4);

async fn execute(
    runner: Arc<Runner>,
    config: Config,
    settings: Option<AwsSettings>,
    cancel: Stop,
    hooks: Webhooks,
) -> anyhow::Result<()> {
    let mut session = Session {
        started: Instant::now(),
        samples: Samples::default(),
        weights: Vec::new(),
    };
    if config.dry_run && !hooks.is_empty() {
        runner.info("dry run: no webhook is called");
    }
    // (stable, canary, previous stable) task definitions when canary-gate ran the ECS side.
    let mut ecs_outputs = NativeOutputs::default();
    let result = analyse(
        &runner,
        &config,
        settings,
        &cancel,
        &hooks,
        &mut session,
        &mut ecs_outputs,
    )
    .await;
    let task_definition = |td: &str| (!td.is_empty()).then(|| td.to_owned());
    let (outcome, failure) = match result {
        Ok(done) => done,
        Err(error) => {
            if !config.dry_run {
                let event = Event {
                    moment: Moment::End(End::Failed),
                    canary_percent: match config.mode {
                        Mode::Canary => session.weights.last().map(|w| w.canary_percent),
                        Mode::Probe => None,
                    },
                    decision: None,
                    reason: runner.mask(&format!("{error:#}")),
                    canary_task_definition: task_definition(&ecs_outputs.canary),
                    baseline_task_definition: task_definition(&ecs_outputs.previous),
                };
                notify(&runner, &hooks, &cancel, &event).await;
            }
            return Err(error);
        }
    };
    for (name, value) in outputs::values(
        &outcome,
        &ecs_outputs.stable,
        &ecs_outputs.canary,
        &ecs_outputs.previous,
    ) {
        runner.set_output(name, &value)?;
    }
    let summary = summary::render(
        &outcome,
        &config.policy,
        &session.samples,
        &session.weights,
        config.dry_run,
    );
    runner.write_summary(&summary)?;
    // Last: the outcome is settled and written, and a slow receiver cannot change it.
    if let Some(end) = End::of(
        outcome.decision,
        failure.is_some(),
        outcome.final_weight,
        config.mode == Mode::Canary,
        config.dry_run,
    ) {
        let event = Event {
            moment: Moment::End(end),
            canary_percent: (config.mode == Mode::Canary).then_some(outcome.final_weight),
            decision: Some(outcome.decision),
            reason: runner.mask(&outcome.reason),
            canary_task_definition: task_definition(&ecs_outputs.canary),
            baseline_task_definition: task_definition(&ecs_outputs.previous),
        };
        notify(&runner, &hooks, &cancel, &event).await;
    }
    match failure {
        Some(message) => Err(anyhow!(message)),
        None => Ok(()),
    }
}

/// The notifications of the end: logged when delivered, a warning when not; never an error.
async fn notify(runner: &Runner, hooks: &Webhooks, cancel: &Stop, event: &Event) {
    if !hooks.any_due(event.moment) {
        return;
    }
    let budget = if cancel.signal().is_some() {
        NOTIFY_BUDGET_CANCELLED
    } else {
        NOTIFY_BUDGET
    };
    for sent in hooks.notify(event, budget).await {
        match sent {
            Ok(line) => runner.info(&line),
            Err(warning) => runner.warning(&warning),
        }
    }
}

/// Everything between valid inputs and the outcome: AWS, the mode, the ECS side.
async fn analyse(
    runner: &Arc<Runner>,
    config: &Config,
    settings: Option<AwsSettings>,
    cancel: &Stop,
    hooks: &Webhooks,
    session: &mut Session,
    ecs_outputs: &mut NativeOutputs,
) -> anyhow::Result<Done> {
    let aws = match settings {
        Some(s) => Some(gantry_aws_setup::load(s, runner.clone()).await?),
        None => None,
    };
    let cloudwatch = aws
        .as_ref()
        .filter(|_| config.needs_cloudwatch())
        .map(|aws| {
            let mut conf = aws_sdk_cloudwatch::config::Builder::from(&aws.config);
            if let Some(url) = aws.endpoint_for("CLOUDWATCH") {
                conf = conf.endpoint_url(url);
            }
            SdkCloudWatch::new(aws_sdk_cloudwatch::Client::from_conf(conf.build()))
        });
    // The metric sources' secrets are read, masked and checked before anything changes: a
    // missing one stops the run here, not at the first look after traffic moved.
    let sources = crate::sources::Live::connect(
        &config.policy,
        runner.env(),
        &|secret| runner.add_mask(secret),
        aws.as_ref()
            .and_then(|a| crate::sources::sigv4::AwsSigning::from_sdk_config(&a.config)),
    )
    .map_err(|e| anyhow!("input 'policy': {e}"))?;
    let evidence = Evidence {
        config,
        cloudwatch: cloudwatch.as_ref(),
        alb: config.alb.clone(),
        sources: Some(&sources),
    };
    match config.mode {
        Mode::Probe => probe_mode(cancel, runner, config, hooks, &evidence, session).await,
        Mode::Canary => {
            let (Some(aws), Some(target)) = (aws.as_ref(), config.alb.clone()) else {
                return Err(anyhow!("canary mode needs the ALB inputs and AWS settings"));
            };
            let mut conf = aws_sdk_elasticloadbalancingv2::config::Builder::from(&aws.config);
            if let Some(url) = aws.endpoint_for("ELASTIC_LOAD_BALANCING_V2") {
                conf = conf.endpoint_url(url);
            }
            let traffic = ElbTraffic::new(
                aws_sdk_elasticloadbalancingv2::Client::from_conf(conf.build()),
                target,
            );
            traffic.check_target_groups().await?;
            let Some(target) = config.ecs.clone() else {
                return canary_mode(
                    cancel,
                    runner,
                    config,
                    hooks,
                    &traffic,
                    &NoCanaryService,
                    &evidence,
                    session,
                )
                .await;
            };
            let mut conf = aws_sdk_ecs::config::Builder::from(&aws.config);
            if let Some(url) = aws.endpoint_for("ECS") {
                conf = conf.endpoint_url(url);
            }
            let ecs = gantry_ecs::SdkEcs::new(aws_sdk_ecs::Client::from_conf(conf.build()));
            let log = gantry_ecs::Log::new(Some(runner));
            match target.canary_service.clone() {
                Some(canary_service) => {
                    let service = EcsCanaryService::new(
                        ecs,
                        target,
                        canary_service,
                        log,
                        cancel.clone(),
                        config.timeout,
                    );
                    runner.info(&service.describe());
                    let done = canary_mode(
                        cancel, runner, config, hooks, &traffic, &service, &evidence, session,
                    )
                    .await;
                    *ecs_outputs = NativeOutputs {
                        stable: service.stable_task_definition(),
                        canary: service.canary_task_definition(),
                        previous: service.previous_task_definition(),
                    };
                    done
                }
                None => {
                    let Some(alb) = config.alb.as_ref() else {
                        return Err(anyhow!("canary mode needs the ALB inputs"));
                    };
                    let native = Native {
                        runner,
                        config,
                        target: &target,
                        alb,
                        traffic: &traffic,
                        ecs: &ecs,
                        cloudwatch: cloudwatch.as_ref(),
                        sources: Some(&sources),
                        log: &log,
                        rollout_cancel: cancel,
                        hooks,
                    };
                    let (done, outputs) = native.run(cancel, session).await?;
                    *ecs_outputs = outputs;
                    Ok(done)
                }
            }
        }
    }
}

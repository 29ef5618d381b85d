//! Judging ECS's own CANARY or LINEAR deployment of a service (no separate canary service).
//!
//! ECS moves the production listener rule's weights between the service's two target groups
//! (`loadBalancers[].advancedConfiguration`): the group that has the traffic runs the live
//! revision (the baseline, "blue"), the other one gets the new revision ("green"). canary-gate
//! never moves those weights. It starts the deployment (UpdateService through gantry-ecs's
//! `deploy`), reads the weights ECS set at every look, judges green against blue on the same
//! evidence and policy as in canary mode, and acts on that one service deployment:
//!
//! - a rollback verdict, a hard threshold breached, SIGTERM or the timeout: StopServiceDeployment
//!   with stop type ROLLBACK at once, so ECS puts all traffic back on blue and the previous
//!   revision stays; when ECS refuses (the deployment has just finished), gantry-ecs's rollback
//!   deploys the previous revision again;
//! - promote: ECS carries on, and the run waits until the deployment is SUCCESSFUL;
//! - inconclusive: wait while ECS still shifts; once all traffic is on green (nothing left to
//!   compare), follow `on-inconclusive` — `promote` lets ECS finish, `rollback` and `hold` roll
//!   back (ECS cannot pause a deployment, so holding it is not possible).
//!
//! Webhooks ([`crate::webhooks`]): `pre-rollout` before anything changes (the baseline tag, the
//! alarms, the deployment), not on a re-run that adopts the deployment in progress; `rollout` at
//! every look until the verdict lets ECS finish, a no stopping the deployment like a rollback
//! verdict. `confirm-promotion` is refused with the inputs: ECS cannot be paused before it
//! shifts the rest.
//!
//! A deployment that ECS stops or rolls back by itself (circuit breaker, alarms) is reported as a
//! rollback with ECS's reason. A re-run while our deployment is still in progress judges that
//! deployment instead of starting another; a re-run after it finished reports the promotion.

use std::time::{Duration, SystemTime};

use anyhow::{Context as _, anyhow, bail};
use gantry_ecs::rollback::last_good;
use gantry_ecs::service_deployment::{Phase, phase, wait_rolled_back};
use gantry_ecs::taskdef::short_name;
use gantry_ecs::watch::WatchOutcome;
use gantry_ecs::{
    DeploymentAlarms, Ecs, Log, RolloutState, Scope, ServiceSnapshot, ServiceUpdate, Strategy,
    TrafficShift,
};
use gantry_toolkit::Runner;

use crate::alarms::{self, AlarmPlan, Alarms};
use crate::config::{AlbTarget, Config, EcsTarget, OnInconclusive};
use crate::duration::human;
use crate::ecs_canary::{PENDING_TIMEOUT, service_error};
use crate::judge::{Decision, Verdict, judge};
use crate::metrics::CloudWatch;
use crate::outputs::Outcome;
use gantry_toolkit::Stop;

use crate::analysis::{Action, At, Done, Evidence, Halt, Session, action_for};
use crate::steps::Weights;
use crate::traffic::{ElbTraffic, Traffic};
use crate::webhooks::{Event, Moment, Webhooks};

/// The service tag that remembers which target group is the baseline of the deployment in
/// progress, for a re-run.
pub const BASELINE_TAG: &str = "gantry:canary-gate-baseline";

/// Whether ECS shifts the traffic itself (CANARY, LINEAR), so canary-gate judges the service
/// deployment instead of running a canary service.
pub fn shifts_traffic_itself(strategy: &Strategy) -> bool {
    matches!(strategy, Strategy::Other(s) if s == "CANARY" || s == "LINEAR")
}

/// Checks that the service shifts traffic between exactly the two target groups of the inputs
/// (in either order: ECS swaps their roles with every deployment) on the input's rule.
pub fn check_traffic_shift(shifts: &[TrafficShift], alb: &AlbTarget) -> Result<(), String> {
    let inputs = [&alb.stable_target_group, &alb.canary_target_group];
    let matching = shifts
        .iter()
        .find(|s| inputs.contains(&&s.target_group) && inputs.contains(&&s.alternate_target_group));
    let Some(shift) = matching else {
        let found: Vec<String> = shifts
            .iter()
            .map(|s| format!("{} and {}", s.target_group, s.alternate_target_group))
            .collect();
        return Err(format!(
            "the service shifts traffic between {}, not between 'stable-target-group' and 'canary-target-group' ({} and {}): give the service's targetGroupArn and advancedConfiguration.alternateTargetGroupArn",
            if found.is_empty() {
                "no target groups (it has no load balancer with an advancedConfiguration)"
                    .to_string()
            } else {
                found.join("; ")
            },
            alb.stable_target_group,
            alb.canary_target_group
        ));
    };
    match (&shift.production_listener_rule, &alb.rule_arn) {
        (Some(theirs), Some(ours)) if theirs != ours => Err(format!(
            "the service's production listener rule is {theirs}, but 'rule-arn' is {ours}: give the rule ECS shifts (advancedConfiguration.productionListenerRule)"
        )),
        _ => Ok(()),
    }
}

/// Which of the input groups is live: ECS swaps the roles with every deployment, so the group
/// with more traffic before the deployment is the baseline. `true` when that is the input's
/// `canary-target-group`.
pub fn roles_swapped(live: Weights) -> bool {
    live.canary > live.stable
}

/// Which input group is the baseline: the one the first run left on the service as a tag
/// (`remembered`, for a re-run of the deployment in progress, which the weights cannot tell once
/// the new revision has most of the traffic), else the one with the traffic. `true` when that
/// is the input's `canary-target-group`.
pub fn baseline_swapped(remembered: Option<&str>, alb: &AlbTarget, live: Weights) -> bool {
    match remembered {
        Some(tg) if tg == alb.canary_target_group => true,
        Some(tg) if tg == alb.stable_target_group => false,
        _ => roles_swapped(live),
    }
}

/// What a run finds the service doing with the new revision when it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// The service runs it alone, its deployment no longer in progress: a previous run
    /// promoted it.
    Promoted,
    /// Its deployment is in progress (a re-run): judge that deployment, start no other.
    Adopt,
    /// Deploy it.
    Deploy,
}

/// What to do about `task_definition` (an ARN) on `service` as it is at the start.
pub fn start(service: &ServiceSnapshot, task_definition: &str) -> Start {
    let primary = service.primary();
    let ours = primary.is_some_and(|d| d.task_definition == task_definition);
    let in_progress = primary.is_some_and(|d| {
        d.rollout_state
            .as_ref()
            .is_none_or(|r| *r == RolloutState::InProgress)
    });
    match (ours, in_progress) {
        (true, true) => Start::Adopt,
        (true, false) if service.deployments.len() == 1 => Start::Promoted,
        _ => Start::Deploy,
    }
}

/// The revision a re-run's deployment of `task_definition` replaces: the other revision the
/// service still deploys, else the last that completed a deployment (empty when none).
pub fn previous_revision(service: &ServiceSnapshot, task_definition: &str) -> String {
    service
        .deployments
        .iter()
        .find(|d| d.task_definition != task_definition)
        .map(|d| d.task_definition.clone())
        .or_else(|| last_good(service))
        .unwrap_or_default()
}

/// Whether ECS is done shifting traffic to the new revision (`green` % of it, at lifecycle
/// stage `stage`): all of it, or the stages after the shift. Then nothing is left to compare.
pub fn shifting_done(green: u8, stage: Option<&str>) -> bool {
    green >= 100 || matches!(stage, Some("BAKE_TIME" | "CLEAN_UP"))
}

/// Whether both revisions serve traffic, so that a look's evidence compares them.
pub fn both_serve(green: u8) -> bool {
    (1..100).contains(&green)
}

/// The reason of a promotion: the verdict's, and ECS finished deploying `task_definition`.
pub fn promoted_reason(verdict: &Verdict, task_definition: &str) -> String {
    match verdict.decision {
        Decision::Promote => format!(
            "{}; ECS finished the deployment of {}",
            verdict.reason,
            short_name(task_definition)
        ),
        _ => format!(
            "promote (on-inconclusive: promote): {}; ECS finished the deployment of {}",
            verdict.reason,
            short_name(task_definition)
        ),
    }
}

/// Why the run rolls the deployment back on `verdict`: its reason, and for an inconclusive
/// one what `on_inconclusive` made of it (hold cannot pause an ECS deployment).
pub fn rollback_why(verdict: &Verdict, on_inconclusive: OnInconclusive) -> String {
    match verdict.decision {
        Decision::Inconclusive => format!(
            "{} (on-inconclusive: {})",
            verdict.reason,
            match on_inconclusive {
                OnInconclusive::Hold => "hold, which cannot pause an ECS deployment: rolled back",
                _ => "rollback",
            }
        ),
        _ => verdict.reason.clone(),
    }
}

/// What to do with the running service deployment after a look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Let ECS carry on.
    Continue,
    /// Keep judging: not enough evidence yet and ECS still shifts.
    Wait,
    /// Stop the deployment and roll it back now.
    RollBack,
}

/// The pure rule, the gate's [`action_for`] on ECS's deployment: a rollback verdict rolls back
/// at once; promote lets ECS continue; inconclusive waits while ECS still shifts
/// (`shifting_done` false), and once all traffic is on the new revision follows
/// `on-inconclusive` (hold cannot hold an ECS deployment: it rolls back).
pub fn effect(decision: Decision, shifting_done: bool, on_inconclusive: OnInconclusive) -> Effect {
    let at = if shifting_done { At::End } else { At::Step };
    match action_for(decision, on_inconclusive, at) {
        Action::RollBack => Effect::RollBack,
        // ECS cannot pause a deployment: holding it is rolling it back.
        Action::Hold => Effect::RollBack,
        Action::Promote => Effect::Continue,
        // A promote verdict lets ECS go on at any look; anything else keeps judging.
        Action::Continue if decision == Decision::Promote => Effect::Continue,
        Action::Continue => Effect::Wait,
    }
}

/// The task definitions the run leaves behind, for the outputs.
#[derive(Debug, Default, Clone)]
pub struct NativeOutputs {
    /// The service's task definition when the run ended.
    pub stable: String,
    /// The new task definition that was judged.
    pub canary: String,
    /// The service's task definition before the run.
    pub previous: String,
}

/// How the watch of the deployment ended.
enum Ended {
    /// ECS finished the deployment; the verdict allowed it.
    Finished(Verdict),
    /// The verdict says roll back.
    Judged(Verdict),
    /// ECS stopped or rolled back the deployment itself.
    ByEcs { status: String, reason: String },
}

/// Everything the run needs to talk to.
pub(crate) struct Native<'a, E, C> {
    pub runner: &'a Runner,
    pub config: &'a Config,
    pub target: &'a EcsTarget,
    pub alb: &'a AlbTarget,
    pub traffic: &'a ElbTraffic,
    pub ecs: &'a E,
    pub cloudwatch: Option<&'a C>,
    /// The metric sources, connected before anything changed.
    pub sources: Option<&'a crate::sources::Live>,
    pub log: &'a Log<'a>,
    /// The run's cancellation, for the rollback watch.
    pub rollout_cancel: &'a Stop,
    /// `pre-rollout` before the deployment starts, `rollout` at every look.
    pub hooks: &'a Webhooks,
}

impl<E: Ecs, C: CloudWatch + Alarms> Native<'_, E, C> {
    /// Starts (or adopts) the deployment, judges it, and promotes or rolls back.
    pub(crate) async fn run(
        &self,
        cancel: &Stop,
        session: &mut Session,
    ) -> anyhow::Result<(Done, NativeOutputs)> {
        let cluster = &self.target.cluster;
        let service_name = &self.target.stable_service;
        let service = gantry_ecs::deploy::current_service(self.ecs, cluster, service_name)
            .await
            .map_err(|e| anyhow!(service_error("stable-service", service_name, e)))?;
        if !shifts_traffic_itself(&service.strategy) {
            bail!(
                "'canary-service' is empty, so canary-gate would judge ECS's own CANARY or LINEAR deployment of '{service_name}', but it deploys with {}: give 'canary-service' to run a canary service beside it, or set its deploymentConfiguration.strategy to CANARY or LINEAR",
                gantry_ecs::deploy::describe_strategy(&service)
            );
        }
        check_traffic_shift(&service.traffic_shift, self.alb)
            .map_err(|e| anyhow!("service '{service_name}': {e}"))?;
        let requested = self
            .target
            .task_definition
            .as_deref()
            .context("'task-definition' is required without 'canary-service'")?;
        let task_definition = crate::ecs_canary::resolve_task_definition(self.ecs, requested)
            .await
            .map_err(|e| anyhow!(e))?;

        // Roles: the group with the traffic is blue (the baseline). A re-run of a deployment in
        // progress cannot tell from the weights (LINEAR past half gives green the most), so the
        // first run leaves the baseline on the service as a tag.
        let live = self.traffic.weights().await?;
        let start = start(&service, &task_definition);
        let remembered = if start == Start::Adopt {
            self.ecs
                .resource_tag(&service.arn, BASELINE_TAG)
                .await
                .ok()
                .flatten()
        } else {
            None
        };
        let swapped = baseline_swapped(remembered.as_deref(), self.alb, live);
        let (traffic, alb) = if swapped {
            (self.traffic.swapped(), self.alb.swapped())
        } else {
            (self.traffic.clone(), self.alb.clone())
        };
        let alb_baseline = alb.stable_target_group.clone();
        let alarm_prefix = alarms::prefix(cluster, service_name);
        let alarm_plan = alarms::plan(&self.config.policy, &alb, &alarm_prefix);
        let green_live = if swapped {
            Weights {
                stable: live.canary,
                canary: live.stable,
            }
        } else {
            live
        };
        session.log_weight(green_live, "found at start");
        self.runner.info(&format!(
            "ECS {} shifts {service_name}'s traffic from {} (live: the baseline) to {} (the new revision, {}); canary-gate judges and acts on the service deployment",
            strategy_name(&service),
            short_tg(&alb.stable_target_group),
            short_tg(&alb.canary_target_group),
            short_name(&task_definition)
        ));
        if !self.config.steps.is_empty() {
            self.runner.info(
                "'steps' and 'step-duration' do not apply: ECS's canaryConfiguration or linearConfiguration decides the steps",
            );
        }
        let mut outputs = NativeOutputs {
            stable: service.task_definition.clone(),
            canary: task_definition.clone(),
            previous: service.task_definition.clone(),
        };
        let evidence = Evidence {
            config: self.config,
            cloudwatch: self.cloudwatch,
            alb: Some(alb),
            sources: self.sources,
        };

        if self.config.dry_run {
            let alarms = if self.config.deployment_alarms && !alarm_plan.alarms.is_empty() {
                let names: Vec<&str> = alarm_plan.alarms.iter().map(|a| a.name.as_str()).collect();
                format!(", with deployment alarms {}", names.join(", "))
            } else {
                String::new()
            };
            let reason = format!(
                "dry run: would deploy {} to {service_name} with ECS {}{alarms} and judge every {}; nothing changed",
                short_name(&task_definition),
                strategy_name(&service),
                human(self.config.interval)
            );
            self.runner.info(&reason);
            return Ok((
                (outcome(Decision::Inconclusive, reason, 0, None), None),
                outputs,
            ));
        }

        let arn = if start == Start::Promoted {
            let reason = format!(
                "promote: {service_name} already runs {} (a previous run promoted it)",
                short_name(&task_definition)
            );
            self.runner.info(&reason);
            outputs.previous = String::new();
            return Ok((
                (outcome(Decision::Promote, reason, 100, None), None),
                outputs,
            ));
        } else if start == Start::Adopt {
            crate::analysis::pre_rollout(
                self.runner,
                self.hooks,
                cancel,
                Event::at(Moment::Start { continuing: true }),
            )
            .await?;
            outputs.previous = previous_revision(&service, &task_definition);
            self.log.mark(&format!(
                "judging the deployment of {} already in progress (a re-run)",
                short_name(&task_definition)
            ));
            self.deployment_arn(&service, 0).await?
        } else {
            // Before anything changes: the tag, the alarms, the deployment.
            crate::analysis::pre_rollout(
                self.runner,
                self.hooks,
                cancel,
                Event {
                    canary_percent: Some(green_live.canary_percent()),
                    baseline_task_definition: Some(service.task_definition.clone()),
                    canary_task_definition: Some(task_definition.clone()),
                    ..Event::at(Moment::Start { continuing: false })
                },
            )
            .await?;
            // Before the deployment: a runner that dies mid-shift leaves the roles behind.
            if let Err(e) = self
                .ecs
                .tag_resource(&service.arn, BASELINE_TAG, &alb_baseline)
                .await
            {
                self.runner.warning(&format!(
                    "cannot tag {service_name} with its baseline target group ({e}): a re-run while ECS shifts may mistake the groups once the new revision has more than half the traffic; allow ecs:TagResource"
                ));
            }
            let alarms = self
                .put_alarms(&service, &alarm_plan, &alarm_prefix)
                .await?;
            let started_ms = epoch_ms().saturating_sub(5_000);
            let update = ServiceUpdate {
                cluster: cluster.clone(),
                service: service_name.clone(),
                task_definition: Some(task_definition.clone()),
                alarms,
                ..ServiceUpdate::default()
            };
            gantry_ecs::deploy(self.ecs, &service, &update, PENDING_TIMEOUT)
                .await
                .map_err(|e| anyhow!("deploying {service_name}: {e}"))?;
            self.log.mark(&format!(
                "deployment of {} to {service_name} started",
                short_name(&task_definition)
            ));
            let after = gantry_ecs::deploy::current_service(self.ecs, cluster, service_name)
                .await
                .map_err(|e| anyhow!(service_error("stable-service", service_name, e)))?;
            self.deployment_arn(&after, started_ms).await?
        };
        self.runner
            .info(&format!("judging service deployment {arn}"));

        let watched = {
            let watch = self.watch(&arn, &traffic, &evidence, session);
            tokio::select! {
                ended = watch => ended.map_err(Halt::Error),
                reason = cancel.wait() => Err(Halt::from(reason)),
            }
        };
        let done = match watched {
            Ok(Ended::Finished(verdict)) => {
                let reason = promoted_reason(&verdict, &task_definition);
                session.log_weight(Weights::for_percent(100), "promoted: ECS finished");
                outputs.stable = task_definition.clone();
                (outcome(Decision::Promote, reason, 100, Some(verdict)), None)
            }
            Ok(Ended::ByEcs { status, reason }) => {
                let green = green_percent(&traffic).await.unwrap_or(0);
                let reason = format!(
                    "ECS ended the deployment of {} itself ({status}: {reason}); {service_name} stays on {}",
                    short_name(&task_definition),
                    short_name(&outputs.previous)
                );
                outputs.stable = outputs.previous.clone();
                let verdict = judge(&session.samples, &self.config.policy);
                (
                    outcome(Decision::Rollback, reason.clone(), green, Some(verdict)),
                    Some(reason),
                )
            }
            Ok(Ended::Judged(verdict)) => {
                let why = rollback_why(&verdict, self.config.on_inconclusive);
                let (result, green) = self
                    .roll_back(&arn, &outputs.previous, &traffic, session, &why)
                    .await;
                outputs.stable = outputs.previous.clone();
                let reason = format!("{why}; {result}");
                (
                    outcome(Decision::Rollback, reason.clone(), green, Some(verdict)),
                    Some(reason),
                )
            }
            Err(stop) => {
                let why = stop.why(self.config.timeout);
                let (result, green) = self
                    .roll_back(&arn, &outputs.previous, &traffic, session, &why)
                    .await;
                outputs.stable = outputs.previous.clone();
                let reason = format!("{why}: {result}");
                let verdict = judge(&session.samples, &self.config.policy);
                (
                    outcome(Decision::Rollback, reason.clone(), green, Some(verdict)),
                    Some(reason),
                )
            }
        };
        Ok((done, outputs))
    }

    /// Puts the plan's alarms in CloudWatch and returns the service's deployment alarms with
    /// them attached (`None`: leave the service's as they are), saying what ECS will watch
    /// without the runner and what only the run judges.
    async fn put_alarms(
        &self,
        service: &ServiceSnapshot,
        plan: &AlarmPlan,
        prefix: &str,
    ) -> anyhow::Result<Option<DeploymentAlarms>> {
        if !self.config.deployment_alarms {
            self.runner.info(
                "deployment-alarms is false: if the runner is lost, ECS finishes the shift unjudged",
            );
            return Ok(None);
        }
        let (Some(cloudwatch), false) = (self.cloudwatch, plan.alarms.is_empty()) else {
            self.runner.warning(
                "no deployment alarm: the policy has no min or max on a critical ALB or CloudWatch metric, so if the runner is lost ECS finishes the shift unjudged",
            );
            return Ok(None);
        };
        for alarm in &plan.alarms {
            cloudwatch.put_alarm(alarm).await.map_err(|e| {
                anyhow!(
                    "putting CloudWatch alarm {}: {e}; allow cloudwatch:PutMetricAlarm, or set 'deployment-alarms: false' to deploy without them",
                    alarm.name
                )
            })?;
        }
        let names: Vec<String> = plan.alarms.iter().map(|a| a.name.clone()).collect();
        self.runner.info(&format!(
            "ECS rolls {} back by itself, runner or not, when any of these alarms is in ALARM: {}",
            self.target.stable_service,
            names.join(", ")
        ));
        if !plan.unwatched.is_empty() {
            self.runner.info(&format!(
                "judged by this run only: {}",
                plan.unwatched.join(", ")
            ));
        }
        Ok(alarms::attach(service.alarms.as_ref(), &names, prefix))
    }

    /// Looks every interval: ECS's progress, the weights it set, the evidence and the verdict.
    async fn watch(
        &self,
        arn: &str,
        traffic: &ElbTraffic,
        evidence: &Evidence<'_, C>,
        session: &mut Session,
    ) -> anyhow::Result<Ended> {
        let mut last_green: Option<u8> = None;
        let mut promoted: Option<Verdict> = None;
        let mut last_stage = None;
        let mut last_verdict: Option<Verdict> = None;
        loop {
            // The rollout hooks start every look while the new revision is judged.
            if promoted.is_none()
                && let Err(no) = self
                    .hooks
                    .ask(&crate::analysis::look_event(
                        last_green,
                        last_verdict.as_ref(),
                    ))
                    .await
            {
                return Ok(Ended::Judged(crate::analysis::refused(
                    &no,
                    &session.samples,
                    self.config,
                )));
            }
            tokio::time::sleep(self.config.interval).await;
            let info = match self.ecs.describe_service_deployment(arn).await {
                Ok(Some(info)) => info,
                Ok(None) => bail!("ECS does not know service deployment {arn}"),
                Err(e) if e.is_transient() => {
                    self.runner
                        .warning(&format!("ECS did not answer ({e}); looking again"));
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let green = green_percent(traffic).await?;
            let now = phase(&info);
            if let Phase::InProgress { stage: Some(stage) } = &now
                && last_stage.as_ref() != Some(stage)
            {
                self.log.mark(&format!(
                    "lifecycle stage {stage}, new revision at {green} %"
                ));
                last_stage = Some(stage.clone());
            }
            if last_green != Some(green) {
                session.log_weight(Weights::for_percent(green), "set by ECS");
                last_green = Some(green);
            }
            match now {
                Phase::Ended { status, reason } => return Ok(Ended::ByEcs { status, reason }),
                Phase::Succeeded => {
                    let verdict = promoted
                        .take()
                        .unwrap_or_else(|| judge(&session.samples, &self.config.policy));
                    return Ok(
                        match effect(verdict.decision, true, self.config.on_inconclusive) {
                            Effect::RollBack => Ended::Judged(verdict),
                            Effect::Continue | Effect::Wait => Ended::Finished(verdict),
                        },
                    );
                }
                Phase::InProgress { .. } => {}
            }
            if promoted.is_some() {
                // Decided: ECS finishes at its own pace (bake time); nothing left to compare.
                continue;
            }
            let shifting_done = shifting_done(green, last_stage.as_deref());
            if both_serve(green) {
                for (name, interval) in evidence.collect(green).await? {
                    session.samples.push(&name, interval);
                }
            }
            let verdict = judge(&session.samples, &self.config.policy);
            if both_serve(green) {
                self.runner.info(&format!("  {}", verdict.reason));
            }
            match effect(verdict.decision, shifting_done, self.config.on_inconclusive) {
                Effect::RollBack => return Ok(Ended::Judged(verdict)),
                Effect::Continue if shifting_done => {
                    self.runner.info(&format!(
                        "all traffic on the new revision; waiting for ECS to finish ({})",
                        verdict.decision.as_str()
                    ));
                    promoted = Some(verdict);
                }
                Effect::Continue | Effect::Wait => last_verdict = Some(verdict),
            }
        }
    }

    /// StopServiceDeployment (ROLLBACK), watched until ECS reports it rolled back; when ECS
    /// refuses, gantry-ecs's rollback to the previous revision. Returns what happened and the
    /// new revision's share of traffic afterwards.
    async fn roll_back(
        &self,
        arn: &str,
        previous: &str,
        traffic: &ElbTraffic,
        session: &mut Session,
        why: &str,
    ) -> (String, u8) {
        let service = &self.target.stable_service;
        let result = match self.ecs.stop_service_deployment(arn, true).await {
            Ok(()) => {
                self.log.mark(&format!(
                    "StopServiceDeployment (ROLLBACK) for {service}: {why}"
                ));
                wait_rolled_back(self.ecs, arn, service).await
            }
            Err(stop_error) if !previous.is_empty() => {
                self.log.warning(&format!(
                    "ECS did not stop the deployment ({stop_error}); deploying {} again",
                    short_name(previous)
                ));
                let scope = Scope {
                    ecs: self.ecs,
                    cluster: &self.target.cluster,
                    service,
                    deadline: tokio::time::Instant::now()
                        + self.config.timeout.max(Duration::from_secs(60)),
                    stop: self.rollout_cancel,
                    log: self.log,
                };
                match gantry_ecs::rollback(
                    scope,
                    previous,
                    PENDING_TIMEOUT,
                    self.rollout_cancel.signals(),
                    None,
                )
                .await
                {
                    Ok(r) if r.outcome == WatchOutcome::Succeeded => {
                        format!("{service} rolled back to {}", short_name(previous))
                    }
                    Ok(r) => format!(
                        "the rollback of {service} to {} did not complete ({}): check the service",
                        short_name(previous),
                        crate::ecs_canary::failure(&r.outcome)
                    ),
                    Err(e) => format!(
                        "rolling {service} back to {} FAILED ({e}): roll it back by hand",
                        short_name(previous)
                    ),
                }
            }
            Err(stop_error) => format!(
                "stopping the deployment FAILED ({stop_error}) and no earlier revision is known: stop it by hand (aws ecs stop-service-deployment --stop-type ROLLBACK)"
            ),
        };
        let green = green_percent(traffic).await.unwrap_or(0);
        session.log_weight(Weights::for_percent(green), "rolled back");
        (result, green)
    }

    /// The service deployment to judge: DescribeServices names it; else the newest one since
    /// `after_ms`.
    async fn deployment_arn(
        &self,
        service: &ServiceSnapshot,
        after_ms: i64,
    ) -> anyhow::Result<String> {
        if let Some(arn) = &service.current_service_deployment {
            return Ok(arn.clone());
        }
        self.ecs
            .latest_service_deployment(&self.target.cluster, &service.name, after_ms)
            .await?
            .with_context(|| {
                format!(
                    "ECS names no service deployment for {}: canary-gate needs the service deployment APIs to judge ECS's own canary",
                    service.name
                )
            })
    }
}

fn outcome(
    decision: Decision,
    reason: String,
    final_weight: u8,
    verdict: Option<Verdict>,
) -> Outcome {
    Outcome {
        decision,
        reason,
        final_weight,
        verdicts: verdict.map(|v| v.metrics).unwrap_or_default(),
    }
}

/// The new revision's share of the traffic, in percent.
async fn green_percent(traffic: &ElbTraffic) -> anyhow::Result<u8> {
    Ok(traffic.weights().await?.canary_percent())
}

fn short_tg(arn: &str) -> &str {
    arn.split(":targetgroup/").nth(1).unwrap_or(arn)
}

fn strategy_name(service: &ServiceSnapshot) -> String {
    let name = gantry_ecs::deploy::describe_strategy(service);
    match service.shift_step {
        Some((percent, Some(bake))) => format!("{name} ({percent} % steps, {bake} min bake)"),
        Some((percent, None)) => format!("{name} ({percent} % steps)"),
        None => name,
    }
}

fn epoch_ms() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use gantry_ecs::{Controller, Deployment, DeploymentStatus};

    fn alb(rule: Option<&str>) -> AlbTarget {
        AlbTarget {
            listener_arn: "l".into(),
            rule_arn: rule.map(str::to_owned),
            stable_target_group: "tg-a".into(),
            canary_target_group: "tg-b".into(),
        }
    }

    fn shift(a: &str, b: &str, rule: Option<&str>) -> TrafficShift {
        TrafficShift {
            target_group: a.into(),
            alternate_target_group: b.into(),
            production_listener_rule: rule.map(str::to_owned),
        }
    }

    #[test]
    fn only_canary_and_linear_shift_traffic_themselves() {
        assert!(shifts_traffic_itself(&Strategy::Other("CANARY".into())));
        assert!(shifts_traffic_itself(&Strategy::Other("LINEAR".into())));
        assert!(!shifts_traffic_itself(&Strategy::Rolling));
        assert!(!shifts_traffic_itself(&Strategy::BlueGreen));
    }

    #[test]
    fn the_service_must_shift_between_the_input_groups_in_either_order() {
        assert!(check_traffic_shift(&[shift("tg-a", "tg-b", Some("r"))], &alb(Some("r"))).is_ok());
        assert!(check_traffic_shift(&[shift("tg-b", "tg-a", None)], &alb(Some("r"))).is_ok());
        let other = check_traffic_shift(&[shift("tg-a", "tg-c", None)], &alb(None)).unwrap_err();
        assert!(other.contains("tg-a and tg-c"), "{other}");
        let none = check_traffic_shift(&[], &alb(None)).unwrap_err();
        assert!(
            none.contains("no load balancer with an advancedConfiguration"),
            "{none}"
        );
        let rule = check_traffic_shift(&[shift("tg-a", "tg-b", Some("r1"))], &alb(Some("r2")))
            .unwrap_err();
        assert!(
            rule.contains("r1") && rule.contains("'rule-arn' is r2"),
            "{rule}"
        );
    }

    #[test]
    fn the_group_with_the_traffic_is_the_baseline() {
        assert!(!roles_swapped(Weights {
            stable: 100,
            canary: 0
        }));
        assert!(roles_swapped(Weights {
            stable: 0,
            canary: 100
        }));
        assert!(!roles_swapped(Weights {
            stable: 1,
            canary: 0
        }));
    }

    #[test]
    fn verdicts_map_to_effects_on_the_service_deployment() {
        use Decision as D;
        use OnInconclusive::{Hold, Promote, Rollback};
        // (name, decision, shifting done, on-inconclusive, effect)
        let table: &[(&str, Decision, bool, OnInconclusive, Effect)] = &[
            (
                "rollback while shifting",
                D::Rollback,
                false,
                Promote,
                Effect::RollBack,
            ),
            (
                "rollback after shifting",
                D::Rollback,
                true,
                Promote,
                Effect::RollBack,
            ),
            (
                "promote while shifting",
                D::Promote,
                false,
                Rollback,
                Effect::Continue,
            ),
            (
                "promote after shifting",
                D::Promote,
                true,
                Hold,
                Effect::Continue,
            ),
            (
                "inconclusive while shifting",
                D::Inconclusive,
                false,
                Rollback,
                Effect::Wait,
            ),
            (
                "inconclusive while shifting, on-inconclusive hold",
                D::Inconclusive,
                false,
                Hold,
                Effect::Wait,
            ),
            (
                "inconclusive while shifting, on-inconclusive promote",
                D::Inconclusive,
                false,
                Promote,
                Effect::Wait,
            ),
            (
                "inconclusive after shifting, on-inconclusive rollback",
                D::Inconclusive,
                true,
                Rollback,
                Effect::RollBack,
            ),
            (
                "inconclusive after shifting, on-inconclusive hold: ECS cannot hold",
                D::Inconclusive,
                true,
                Hold,
                Effect::RollBack,
            ),
            (
                "inconclusive after shifting, on-inconclusive promote",
                D::Inconclusive,
                true,
                Promote,
                Effect::Continue,
            ),
        ];
        for (name, decision, done, on_inconclusive, want) in table {
            assert_eq!(effect(*decision, *done, *on_inconclusive), *want, "{name}");
        }
    }

    const OURS: &str = "arn:aws:ecs:us-east-1:1:task-definition/api:8";
    const LIVE: &str = "arn:aws:ecs:us-east-1:1:task-definition/api:7";

    fn dep(id: &str, primary: bool, td: &str, state: Option<RolloutState>) -> Deployment {
        Deployment {
            id: id.into(),
            status: if primary {
                DeploymentStatus::Primary
            } else {
                DeploymentStatus::Active
            },
            task_definition: td.into(),
            desired: 2,
            running: 2,
            pending: 0,
            failed_tasks: 0,
            rollout_state: state,
            rollout_reason: None,
            created_at_ms: None,
        }
    }

    fn service(deployments: Vec<Deployment>) -> ServiceSnapshot {
        ServiceSnapshot {
            arn: "arn:aws:ecs:us-east-1:1:service/prod/api".into(),
            name: "api".into(),
            status: "ACTIVE".into(),
            task_definition: deployments
                .first()
                .map(|d| d.task_definition.clone())
                .unwrap_or_default(),
            desired: 2,
            running: 2,
            pending: 0,
            controller: Controller::Ecs,
            strategy: Strategy::Other("CANARY".into()),
            circuit_breaker: None,
            bake_time_minutes: None,
            launch_type: None,
            network: None,
            deployments,
            events: vec![],
            current_service_deployment: None,
            load_balancers: vec![],
            traffic_shift: vec![],
            shift_step: None,
            propagate_tags: None,
            enable_ecs_managed_tags: false,
            alarms: None,
        }
    }

    fn verdict(decision: Decision) -> Verdict {
        Verdict {
            decision,
            reason: format!("{}: because", decision.as_str()),
            metrics: vec![],
        }
    }

    #[test]
    fn the_baseline_is_the_remembered_group_else_the_live_one() {
        let live_on_stable = Weights::STABLE;
        let live_on_canary = Weights::for_percent(100);
        let linear_past_half = Weights::for_percent(70);
        // (name, remembered tag, live weights, swapped)
        let table: &[(&str, Option<&str>, Weights, bool)] = &[
            (
                "nothing remembered, stable live",
                None,
                live_on_stable,
                false,
            ),
            (
                "nothing remembered, canary live",
                None,
                live_on_canary,
                true,
            ),
            (
                "remembered stable, past half on the new revision",
                Some("tg-a"),
                linear_past_half,
                false,
            ),
            (
                "remembered canary, whatever the weights",
                Some("tg-b"),
                live_on_stable,
                true,
            ),
            (
                "a tag for another group: the weights",
                Some("tg-x"),
                live_on_canary,
                true,
            ),
        ];
        for (name, remembered, live, want) in table {
            assert_eq!(
                baseline_swapped(*remembered, &alb(None), *live),
                *want,
                "{name}"
            );
        }
    }

    #[test]
    fn what_a_run_finds_at_the_start() {
        use RolloutState::{Completed, Failed, InProgress};
        // (name, deployments, start)
        let table: &[(&str, Vec<Deployment>, Start)] = &[
            (
                "the service runs another revision",
                vec![dep("a", true, LIVE, Some(Completed))],
                Start::Deploy,
            ),
            (
                "ours in progress: a re-run",
                vec![
                    dep("b", true, OURS, Some(InProgress)),
                    dep("a", false, LIVE, Some(Completed)),
                ],
                Start::Adopt,
            ),
            (
                "ours without a rollout state: in progress",
                vec![dep("b", true, OURS, None)],
                Start::Adopt,
            ),
            (
                "ours completed, alone: promoted before",
                vec![dep("b", true, OURS, Some(Completed))],
                Start::Promoted,
            ),
            (
                "ours completed, another still draining",
                vec![
                    dep("b", true, OURS, Some(Completed)),
                    dep("a", false, LIVE, Some(Completed)),
                ],
                Start::Deploy,
            ),
            (
                "ours alone, no longer in progress, even failed",
                vec![dep("b", true, OURS, Some(Failed))],
                Start::Promoted,
            ),
            (
                "ours failed, ECS rolling back",
                vec![
                    dep("b", true, OURS, Some(Failed)),
                    dep("a", false, LIVE, Some(InProgress)),
                ],
                Start::Deploy,
            ),
            ("no deployment", vec![], Start::Deploy),
        ];
        for (name, deployments, want) in table {
            assert_eq!(start(&service(deployments.clone()), OURS), *want, "{name}");
        }
    }

    #[test]
    fn the_revision_a_rerun_replaces() {
        use RolloutState::{Completed, InProgress};
        // (name, deployments, previous)
        let table: &[(&str, Vec<Deployment>, &str)] = &[
            (
                "the other revision still deployed",
                vec![
                    dep("b", true, OURS, Some(InProgress)),
                    dep("a", false, LIVE, Some(Completed)),
                ],
                LIVE,
            ),
            (
                "only ours: the last good one",
                vec![dep("b", true, OURS, Some(Completed))],
                OURS,
            ),
            (
                "only ours, nothing completed",
                vec![dep("b", true, OURS, Some(InProgress))],
                "",
            ),
        ];
        for (name, deployments, want) in table {
            assert_eq!(
                previous_revision(&service(deployments.clone()), OURS),
                *want,
                "{name}"
            );
        }
    }

    #[test]
    fn when_the_shift_is_done_and_both_serve() {
        // (name, green %, stage, shifting done, both serve)
        let table: &[(&str, u8, Option<&str>, bool, bool)] = &[
            ("not started", 0, Some("SCALE_UP"), false, false),
            (
                "shifting",
                10,
                Some("PRODUCTION_TRAFFIC_SHIFT"),
                false,
                true,
            ),
            ("no stage known", 50, None, false, true),
            ("all traffic on green", 100, None, true, false),
            ("baking at 99 %", 99, Some("BAKE_TIME"), true, true),
            ("cleaning up", 100, Some("CLEAN_UP"), true, false),
        ];
        for (name, green, stage, done, both) in table {
            assert_eq!(
                (shifting_done(*green, *stage), both_serve(*green)),
                (*done, *both),
                "{name}"
            );
        }
    }

    #[test]
    fn reasons_of_a_promotion_and_a_rollback() {
        use OnInconclusive::{Hold, Promote, Rollback};
        // (name, decision, on-inconclusive, promoted reason, rollback why)
        let table: &[(&str, Decision, OnInconclusive, &str, &str)] = &[
            (
                "promote",
                Decision::Promote,
                Rollback,
                "promote: because; ECS finished the deployment of api:8",
                "promote: because",
            ),
            (
                "inconclusive, promoted",
                Decision::Inconclusive,
                Promote,
                "promote (on-inconclusive: promote): inconclusive: because; ECS finished the deployment of api:8",
                "inconclusive: because (on-inconclusive: rollback)",
            ),
            (
                "inconclusive, hold",
                Decision::Inconclusive,
                Hold,
                "promote (on-inconclusive: promote): inconclusive: because; ECS finished the deployment of api:8",
                "inconclusive: because (on-inconclusive: hold, which cannot pause an ECS deployment: rolled back)",
            ),
            (
                "rollback",
                Decision::Rollback,
                Hold,
                "promote (on-inconclusive: promote): rollback: because; ECS finished the deployment of api:8",
                "rollback: because",
            ),
        ];
        for (name, decision, on_inconclusive, promoted, why) in table {
            let v = verdict(*decision);
            assert_eq!(promoted_reason(&v, OURS), *promoted, "{name}");
            assert_eq!(rollback_why(&v, *on_inconclusive), *why, "{name}");
        }
    }

    #[test]
    fn percents_of_weights() {
        let percent = |canary, total| {
            Weights {
                stable: total - canary,
                canary,
            }
            .canary_percent()
        };
        assert_eq!(percent(10, 100), 10);
        assert_eq!(percent(1, 3), 33);
        assert_eq!(percent(0, 0), 0);
        assert_eq!(percent(999, 999), 100);
    }
}

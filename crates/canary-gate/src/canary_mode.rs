//! Canary mode: steps of traffic on the ALB listener rule, each watched interval by interval
//! and judged, then the promotion (held by `confirm-promotion` hooks) or the rollback. Stable
//! gets all traffic back at the first failure, on SIGTERM and at the timeout
//! ([`canary_mode`]; [`crate::run`] calls it).

use anyhow::anyhow;
use gantry_toolkit::{Runner, Stop};

use crate::analysis::{
    Action, At, Done, Evidence, Halt, Session, action_for, after_halt, horizon, look_event, looks,
    pre_rollout, refused, sparse_alb_windows,
};
use crate::canary_service::CanaryService;
use crate::config::Config;
use crate::duration::human;
use crate::judge::{Decision, Verdict, judge};
use crate::metrics::CloudWatch;
use crate::outputs::Outcome;
use crate::steps::{Weights, plan};
use crate::traffic::Traffic;
use crate::webhooks::{Event, Moment, Webhooks};

#[allow(clippy::too_many_arguments)]
pub(crate) async fn canary_mode<T: Traffic, S: CanaryService, C: CloudWatch>(
    cancel: &Stop,
    runner: &Runner,
    config: &Config,
    hooks: &Webhooks,
    traffic: &T,
    service: &S,
    evidence: &Evidence<'_, C>,
    session: &mut Session,
) -> anyhow::Result<Done> {
    if let Some(warning) = sparse_alb_windows(config.interval, &config.policy) {
        runner.warning(&warning);
    }
    let live = traffic.weights().await?;
    let plan = plan(&config.steps, live, config.resume);
    runner.info(&format!(
        "live weights: stable {} canary {}; {}",
        live.stable, live.canary, plan.note
    ));
    // Walking every step from the start fixes the looks: error-rate comparisons spend their
    // budget over them; a run that continues mid-way keeps the anytime-valid tests.
    let resumed = live.canary_percent() != 0 && !plan.restore_first;
    session.samples.horizon = horizon(&plan.steps, config.interval, resumed);
    session.log_weight(live, "found at start");
    if config.dry_run {
        let reason = plan.dry_run(config.interval);
        runner.info(&reason);
        return Ok((
            Outcome {
                decision: Decision::Inconclusive,
                reason,
                final_weight: live.canary_percent(),
                verdicts: Vec::new(),
            },
            None,
        ));
    }
    if plan.already_promoted {
        let reason = "promote: the canary already has all the traffic (a previous run promoted it)"
            .to_string();
        return Ok((
            Outcome {
                decision: Decision::Promote,
                reason,
                final_weight: 100,
                verdicts: Vec::new(),
            },
            None,
        ));
    }
    // Before anything changes (the restore of a restart included).
    let continuing = live.canary_percent() > 0 && !plan.restore_first;
    pre_rollout(
        runner,
        hooks,
        cancel,
        Event {
            canary_percent: Some(live.canary_percent()),
            ..Event::at(Moment::Start { continuing })
        },
    )
    .await?;
    // Stable first when restarting: the canary service may be redeployed next, and its
    // tasks should not be replaced under live traffic.
    if plan.restore_first {
        traffic.set_weights(Weights::STABLE).await?;
        session.log_weight(Weights::STABLE, "restored before starting");
    }
    service
        .prepare()
        .await
        .map_err(|e| anyhow!("preparing the canary service: {e}"))?;

    // What a confirm-promotion hook last answered while it held the promotion, for the reason
    // when the deadline (or a signal) ends the wait.
    let held = std::cell::RefCell::new(None::<String>);
    let stopped = {
        let watch = watch_steps(
            runner,
            config,
            hooks,
            traffic,
            evidence,
            session,
            &plan.steps,
            &held,
        );
        tokio::select! {
            verdict = watch => Ok(verdict),
            reason = cancel.wait() => Err(Halt::from(reason)),
        }
    };
    let stop = match stopped {
        // A signal between the last look and the decision: the job is cancelled, nothing is
        // promoted.
        Ok(Ok(verdict)) => match cancel.signal() {
            Some(signal) => Halt::Signal(signal),
            None => match decide(runner, config, traffic, service, session, verdict, cancel).await?
            {
                Decided::Done(done) => return Ok(done),
                Decided::Halted(halt) => halt,
            },
        },
        Ok(Err(error)) => Halt::Error(error),
        Err(stop) => stop,
    };
    // Traffic first, then words: whatever ended the watch early, the canary loses its share.
    let before = session.weights.last().map_or(0, |w| w.canary_percent);
    let restored = restore_stable(runner, traffic).await;
    let why = match (held.take(), &stop) {
        (Some(no), Halt::Signal(_) | Halt::Deadline) => format!(
            "{} while the promotion waited for confirmation ({no})",
            stop.why(config.timeout)
        ),
        _ => stop.why(config.timeout),
    };
    if restored.is_ok() {
        session.log_weight(Weights::STABLE, why.clone());
    }
    // The canary service goes to 0 even when the weights could not be restored: what it
    // serves then fails over instead of running a version that was not promoted.
    let service_error = service.rollback().await.err().map(|e| e.to_string());
    let restore_error = restored.err().map(|e| e.to_string());
    let (reason, final_weight) = after_halt(
        &why,
        restore_error.as_deref(),
        service_error.as_deref(),
        before,
    );
    let verdict = judge(&session.samples, &config.policy);
    Ok((
        Outcome {
            decision: Decision::Rollback,
            reason: reason.clone(),
            final_weight,
            verdicts: verdict.metrics,
        },
        Some(reason),
    ))
}

/// How many times stable's 100 % is tried when setting the weights fails (throttling, the
/// network), waiting 1, 2, 4, then 8 s between tries: a canary must not keep its share for the
/// want of one call, and 15 s of tries fit in the time a cancelled job has.
const RESTORE_TRIES: u32 = 5;

/// All traffic back on stable, tried [`RESTORE_TRIES`] times.
async fn restore_stable<T: Traffic>(runner: &Runner, traffic: &T) -> anyhow::Result<()> {
    let mut wait = std::time::Duration::from_secs(1);
    for attempt in 1..=RESTORE_TRIES {
        match traffic.set_weights(Weights::STABLE).await {
            // Read back: a change that was in flight when the run stopped may land after ours.
            Ok(()) => match traffic.weights().await {
                Ok(w) if w.canary != 0 && attempt < RESTORE_TRIES => {
                    runner.warning(&format!(
                        "after restoring stable the canary has {} % (a change in flight landed later); setting stable again",
                        w.canary_percent()
                    ));
                }
                _ => return Ok(()),
            },
            Err(e) if attempt < RESTORE_TRIES => {
                runner.warning(&format!(
                    "restoring stable failed (try {attempt} of {RESTORE_TRIES}): {e}; trying again in {} s",
                    wait.as_secs()
                ));
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            Err(e) => {
                return Err(anyhow!("{e} ({RESTORE_TRIES} tries)"));
            }
        }
    }
    Ok(())
}

/// Walks the steps, judging after every interval; returns at the first rollback verdict or
/// with the verdict after the last step. Every look starts with the rollout hooks (a no rolls
/// back); a verdict that would promote waits for the confirm-promotion hooks.
#[allow(clippy::too_many_arguments)]
async fn watch_steps<T: Traffic, C: CloudWatch>(
    runner: &Runner,
    config: &Config,
    hooks: &Webhooks,
    traffic: &T,
    evidence: &Evidence<'_, C>,
    session: &mut Session,
    steps: &[crate::steps::Step],
    held: &std::cell::RefCell<Option<String>>,
) -> anyhow::Result<Verdict> {
    let mut last: Option<Verdict> = None;
    let mut percent = 0;
    for step in steps {
        let weights = Weights::for_percent(step.percent);
        if step.percent == 100 {
            // All traffic on the canary leaves no baseline to compare with: 100 % is the
            // promotion, decided below.
            break;
        }
        traffic.set_weights(weights).await?;
        session.log_weight(weights, format!("step {} %", step.percent));
        percent = step.percent;
        runner.info(&format!(
            "canary at {} % for {}",
            step.percent,
            human(step.duration)
        ));
        for _ in 0..looks(step.duration, config.interval) {
            if let Err(no) = hooks
                .ask(&look_event(Some(step.percent), last.as_ref()))
                .await
            {
                return Ok(refused(&no, &session.samples, config));
            }
            tokio::time::sleep(config.interval).await;
            for (name, interval) in evidence.collect(step.percent).await? {
                session.samples.push(&name, interval);
            }
            let verdict = judge(&session.samples, &config.policy);
            runner.info(&format!("  {}", verdict.reason));
            if action_for(verdict.decision, config.on_inconclusive, At::Step) == Action::RollBack {
                return Ok(verdict);
            }
            last = Some(verdict);
        }
    }
    let verdict = judge(&session.samples, &config.policy);
    if action_for(verdict.decision, config.on_inconclusive, At::End) != Action::Promote
        || !hooks.any_due(Moment::Promotion)
    {
        return Ok(verdict);
    }
    confirm_promotion(
        runner, config, hooks, evidence, session, percent, verdict, held,
    )
    .await
}

/// The analysis would promote: asks the confirm-promotion hooks, and while one says no holds
/// the weights at `percent` and asks again every interval, judging the evidence (and calling
/// the rollout hooks) meanwhile, as Flagger does. Returns the verdict to act on: the promoting
/// one once every hook said yes, or a later one that no longer promotes. The overall deadline
/// (the caller's) ends the wait with a rollback.
#[allow(clippy::too_many_arguments)]
async fn confirm_promotion<C: CloudWatch>(
    runner: &Runner,
    config: &Config,
    hooks: &Webhooks,
    evidence: &Evidence<'_, C>,
    session: &mut Session,
    percent: u8,
    mut verdict: Verdict,
    held: &std::cell::RefCell<Option<String>>,
) -> anyhow::Result<Verdict> {
    runner.info(&format!(
        "the analysis would promote; asking the confirm-promotion hooks: {}",
        hooks.names_due(Moment::Promotion).join(", ")
    ));
    loop {
        let event = Event {
            canary_percent: Some(percent),
            decision: Some(verdict.decision),
            reason: verdict.reason.clone(),
            ..Event::at(Moment::Promotion)
        };
        match hooks.ask(&event).await {
            Ok(()) => {
                held.replace(None);
                runner.info("the confirm-promotion hooks said yes: promoting");
                return Ok(verdict);
            }
            Err(no) => {
                runner.info(&format!(
                    "{no}: the promotion is held at {percent} %; asking again in {}",
                    human(config.interval)
                ));
                held.replace(Some(no.to_string()));
            }
        }
        if let Err(no) = hooks.ask(&look_event(Some(percent), Some(&verdict))).await {
            held.replace(None);
            return Ok(refused(&no, &session.samples, config));
        }
        tokio::time::sleep(config.interval).await;
        for (name, interval) in evidence.collect(percent).await? {
            session.samples.push(&name, interval);
        }
        let now = judge(&session.samples, &config.policy);
        runner.info(&format!("  {}", now.reason));
        if action_for(now.decision, config.on_inconclusive, At::End) != Action::Promote {
            held.replace(None);
            return Ok(now);
        }
        verdict = now;
    }
}

/// How long a weight change in flight when a signal comes may still take before the restore
/// that follows it: a call dropped in flight may land after that restore.
const IN_FLIGHT_GRACE: std::time::Duration = std::time::Duration::from_secs(4);

/// What the decision came to: done, or a signal during the promotion's traffic move, after
/// which stable gets the traffic back as when the watch is cancelled.
enum Decided {
    Done(Done),
    Halted(Halt),
}

/// Runs `work` to the end, unless a signal beyond the `seen` ones comes first: then `work`
/// still gets [`IN_FLIGHT_GRACE`] to finish (a call is not dropped in flight if it can be
/// helped) and the signal is returned with what it gave, if anything.
async fn finish_unless_signalled<F: std::future::Future>(
    cancel: &Stop,
    seen: u32,
    work: F,
) -> (Option<F::Output>, Option<gantry_toolkit::Signal>) {
    tokio::pin!(work);
    tokio::select! {
        biased;
        out = &mut work => (Some(out), None),
        (signal, _) = cancel.signalled_beyond(seen) => {
            let out = tokio::time::timeout(IN_FLIGHT_GRACE, &mut work).await.ok();
            (out, Some(signal))
        }
    }
}

/// Acts on the verdict: traffic, then the service. Signals are listened for throughout: an
/// ECS promotion's watch answers them itself (the stable service goes back to its last good
/// revision); a traffic-only promotion lets its weight change in flight finish and then
/// hands back to the caller, which restores stable.
async fn decide<T: Traffic, S: CanaryService>(
    runner: &Runner,
    config: &Config,
    traffic: &T,
    service: &S,
    session: &mut Session,
    verdict: Verdict,
    cancel: &Stop,
) -> anyhow::Result<Decided> {
    let Verdict {
        decision,
        reason,
        metrics,
    } = verdict;
    let seen = cancel.signals();
    let promote = |reason: String| async move {
        service
            .promote()
            .await
            .map_err(|e| anyhow!("promoting the canary service: {e}"))?;
        if service.promotes_into_stable() {
            // All traffic back on the stable service, which now runs the canary's revision:
            // the same move a signal would ask for.
            traffic.set_weights(Weights::STABLE).await?;
            return anyhow::Ok(Ok((Weights::STABLE, reason)));
        }
        let w = Weights::for_percent(100);
        match finish_unless_signalled(cancel, seen, traffic.set_weights(w)).await {
            (_, Some(signal)) => {
                runner.warning(&format!(
                    "{signal} came while promoting: the weight change in flight was let finish; stable gets the traffic back"
                ));
                Ok(Err(Halt::Signal(signal)))
            }
            (moved, None) => {
                moved.ok_or_else(|| anyhow!("the promotion's weight change did not finish"))??;
                Ok(Ok((w, reason)))
            }
        }
    };
    match action_for(decision, config.on_inconclusive, At::End) {
        Action::Promote => {
            let (reason, why) = if decision == Decision::Inconclusive {
                (
                    format!("promote (on-inconclusive: promote): {reason}"),
                    "promoted (inconclusive)",
                )
            } else {
                (reason, "promoted")
            };
            let (w, reason) = match promote(reason).await {
                Ok(Ok(done)) => done,
                Ok(Err(halt)) => return Ok(Decided::Halted(halt)),
                Err(e) => {
                    return promotion_failed(traffic, service, session, metrics, e)
                        .await
                        .map(Decided::Done);
                }
            };
            session.log_weight(w, why);
            Ok(Decided::Done((
                Outcome {
                    decision: Decision::Promote,
                    reason,
                    final_weight: w.canary_percent(),
                    verdicts: metrics,
                },
                None,
            )))
        }
        Action::Hold => {
            if let Some(warning) = sparse_alb_windows(config.interval, &config.policy) {
                runner.warning(&warning);
            }
            let live = traffic.weights().await?;
            let reason = format!(
                "{reason}; weights held at {} % canary (on-inconclusive: hold): re-run to continue, or re-run with resume: restart",
                live.canary_percent()
            );
            runner.warning(&reason);
            Ok(Decided::Done((
                Outcome {
                    decision,
                    reason: reason.clone(),
                    final_weight: live.canary_percent(),
                    verdicts: metrics,
                },
                Some(reason),
            )))
        }
        // After the last look nothing continues: the safe side is stable.
        Action::RollBack | Action::Continue => {
            restore_stable(runner, traffic).await?;
            session.log_weight(Weights::STABLE, decision.as_str());
            service.rollback().await.map_err(|e| {
                anyhow!("rolling back the canary service (traffic is already on stable): {e}")
            })?;
            let reason = if decision == Decision::Inconclusive {
                format!("{reason}; stable restored to 100 % (on-inconclusive: rollback)")
            } else {
                format!("{reason}; stable restored to 100 %")
            };
            Ok(Decided::Done((
                Outcome {
                    decision,
                    reason: reason.clone(),
                    final_weight: 0,
                    verdicts: metrics,
                },
                Some(reason),
            )))
        }
    }
}

/// The canary passed but promoting it failed. When promotion goes into the stable service
/// (which has been rolled back to its last good revision by now), all traffic goes back
/// to stable and the canary service is scaled to 0, as in a rollback. Otherwise the traffic
/// stays where it is (the canary is healthy) and the step fails.
async fn promotion_failed<T: Traffic, S: CanaryService>(
    traffic: &T,
    service: &S,
    session: &mut Session,
    metrics: Vec<crate::judge::MetricVerdict>,
    error: anyhow::Error,
) -> anyhow::Result<Done> {
    if !service.promotes_into_stable() {
        return Err(error);
    }
    traffic.set_weights(Weights::STABLE).await?;
    session.log_weight(Weights::STABLE, "promotion failed");
    let scaled = match service.rollback().await {
        Ok(()) => String::new(),
        Err(e) => format!("; {e}"),
    };
    let reason = format!("the canary passed, but {error:#}; stable restored to 100 %{scaled}");
    Ok((
        Outcome {
            decision: Decision::Rollback,
            reason: reason.clone(),
            final_weight: 0,
            verdicts: metrics,
        },
        Some(reason),
    ))
}

//! Probe mode: no traffic moves; rounds of HTTP probes (and the other sources) over the window
//! are judged on the policy, and anything but a promotion fails the step ([`probe_mode`];
//! [`crate::run`] calls it).

use gantry_toolkit::{Runner, Stop, StopReason};

use crate::analysis::{
    Action, At, Done, Evidence, Session, action_for, look_event, looks, pre_rollout, refused,
};
use crate::config::Config;
use crate::duration::human;
use crate::judge::{Decision, Verdict, judge};
use crate::metrics::CloudWatch;
use crate::outputs::Outcome;
use crate::webhooks::{Event, Moment, Webhooks};

/// Probe mode: rounds of probes (and CloudWatch reads) over the window, judged on the policy.
pub(crate) async fn probe_mode<C: CloudWatch>(
    cancel: &Stop,
    runner: &Runner,
    config: &Config,
    hooks: &Webhooks,
    evidence: &Evidence<'_, C>,
    session: &mut Session,
) -> anyhow::Result<Done> {
    if config.dry_run {
        let reason = format!(
            "dry run: would check {} metric(s) over {}",
            config.policy.metrics.len(),
            human(config.window)
        );
        runner.info(&reason);
        return Ok((
            Outcome {
                decision: Decision::Inconclusive,
                reason,
                final_weight: 0,
                verdicts: Vec::new(),
            },
            None,
        ));
    }
    pre_rollout(
        runner,
        hooks,
        cancel,
        Event::at(Moment::Start { continuing: false }),
    )
    .await?;
    let rounds = looks(config.window, config.interval);
    // The window fixes the looks: one group, a single test at its end for error counts.
    session.samples.horizon = Some(vec![50; usize::try_from(rounds).unwrap_or(usize::MAX)]);
    let watch = async {
        let mut verdict = judge(&session.samples, &config.policy);
        for round in 0..rounds {
            if round > 0 {
                tokio::time::sleep(config.interval).await;
            }
            let last = (round > 0).then_some(&verdict);
            if let Err(no) = hooks.ask(&look_event(None, last)).await {
                verdict = refused(&no, &session.samples, config);
                break;
            }
            for (name, interval) in evidence.collect(0).await? {
                session.samples.push(&name, interval);
            }
            verdict = judge(&session.samples, &config.policy);
            runner.info(&format!("round {}/{rounds}: {}", round + 1, verdict.reason));
            if action_for(verdict.decision, config.on_inconclusive, At::Step) == Action::RollBack {
                break;
            }
        }
        anyhow::Ok(verdict)
    };
    let verdict = tokio::select! {
        v = watch => v?,
        stopped = cancel.wait() => {
            let reason = match stopped {
                StopReason::Signal(why) => format!("cancelled by {why} during the window: treat as failed"),
                StopReason::Deadline { .. } => format!("the timeout of {} ran out during the window", human(config.timeout)),
            };
            let v = judge(&session.samples, &config.policy);
            return Ok((Outcome { decision: Decision::Rollback, reason: reason.clone(), final_weight: 0, verdicts: v.metrics }, Some(reason)));
        }
    };
    let Verdict {
        decision,
        reason,
        metrics,
    } = verdict;
    // Probe mode moves no traffic: anything but a promotion fails the step with the verdict.
    let (decision, failure) = match action_for(decision, config.on_inconclusive, At::End) {
        Action::Promote => (Decision::Promote, None),
        Action::RollBack | Action::Hold | Action::Continue => (decision, Some(reason.clone())),
    };
    Ok((
        Outcome {
            decision,
            reason,
            final_weight: 0,
            verdicts: metrics,
        },
        failure,
    ))
}

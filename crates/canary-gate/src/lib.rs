//! `canary-gate`: shift traffic to a canary in steps, judge it against the baseline with
//! anytime-valid statistics, and promote or roll back — or, in probe mode, gate a deploy on
//! HTTP probes alone.
//!
//! ## What a run does
//!
//! 1. [`config`]: every input and the [`policy`] file are validated first; an error names the
//!    input (or the policy field), the value and what is valid. Nothing talks to AWS before.
//! 2. [`traffic`]: reads the live weights of the ALB listener rule's forward action over the
//!    stable and canary target groups, and [`steps::plan`] decides where to start (a re-run
//!    continues from the live step, or restores and restarts).
//! 3. For each step below 100 %, [`steps::Weights::for_percent`] sets the split (always within
//!    0–999, never both 0) and, every `interval`, the evidence is read — [`metrics`] from
//!    CloudWatch (the ALB's target-group metrics for canary and baseline, custom metrics) and
//!    [`probe`] from HTTP probes — and [`judge::judge`] rules on the whole history.
//! 4. A failing critical metric puts all traffic back on the stable group at once. After the
//!    last step the canary is promoted (100 %), or an inconclusive analysis (too little traffic)
//!    is handled as `on-inconclusive` says ([`analysis::action_for`] decides what every
//!    verdict does). SIGTERM and the timeout restore stable.
//! 5. [`outputs`] and the job [`summary`] (verdict table, a mermaid chart per metric, weights).
//!
//! [`run`] strings these together; everything else is pure or behind a narrow trait
//! ([`traffic::Traffic`], [`metrics::CloudWatch`], [`canary_service::CanaryService`],
//! [`webhooks::Deliver`]).
//!
//! [`webhooks`] are called where Flagger calls them: `pre-rollout` before the run changes
//! anything, `rollout` at every look, `confirm-promotion` before the promotion (held until it
//! says yes or the deadline), and `promotion` / `rollback` / `failure` notifications at the end.
//!
//! ## The statistics, in short
//!
//! Looking at the data after every interval with a test built for one look inflates false
//! rollbacks (28 % of healthy canaries with 24 looks at 5 %, in the Monte Carlo test). Every
//! comparison here is an **e-process**: a nonnegative supermartingale under "the canary is
//! within tolerance", so by Ville's inequality `P(sup_t E_t ≥ 1/α) ≤ α` over any number of looks:
//!
//! - error counts: a mixture SPRT on the canary's share of each interval's errors, conditional
//!   on their total ([`stats::sprt`]);
//! - latency and other values: a sequential t-test on the per-interval canary/baseline
//!   log-ratio or difference ([`stats::sequential_t`]), or without the normal assumption a
//!   betting test whose confidence sequence on the ratio the summary shows
//!   ([`stats::confidence_sequence`]).
//!
//! `alpha` is split across the critical metrics that compare with the baseline, so the whole
//! analysis rolls back a canary within every tolerance with probability at most `alpha`. The
//! module docs of [`stats`] give the derivations and the assumptions each test rests on;
//! the Monte Carlo tests there show the type-I error staying under `alpha` where repeated
//! single-look tests exceed it, and the power on real regressions.
//!
//! ## The ECS services
//!
//! With `cluster`, `stable-service` and `canary-service`, canary-gate also runs the ECS side
//! ([`ecs_canary::EcsCanaryService`], on [`gantry_ecs`]'s deploy, watch and rollback, as
//! ecs-rollout is): the canary service gets the new task definition and becomes healthy before
//! any traffic moves; promotion rolls the stable service to it, scales the canary to 0 and gives
//! stable all traffic again; rollback, SIGTERM and the timeout put traffic on stable and scale
//! the canary to 0. canary-gate does not depend on ecs-rollout.
//!
//! Without `canary-service`, the stable service must use ECS's own CANARY or LINEAR strategy
//! ([`ecs_native`]): canary-gate deploys `task-definition` to it, reads the weights ECS sets on
//! the production listener rule at every look (the group that had the traffic is the
//! baseline; ECS swaps the roles with every deployment), judges the new revision against the
//! live one, and on a rollback verdict, SIGTERM or the timeout stops the service deployment with
//! StopServiceDeployment (ROLLBACK); a promote lets ECS finish and waits for it.

pub mod alarms;
pub mod analysis;
mod canary_mode;
pub mod canary_service;
pub mod config;
pub mod duration;
pub mod ecs_canary;
pub mod ecs_native;
pub mod judge;
pub mod metrics;
pub mod outputs;
pub mod policy;
pub mod probe;
mod probe_mode;
pub mod run;
pub mod sources;
pub mod stats;
pub mod steps;
pub mod summary;
pub mod traffic;
pub mod webhooks;

//! `canary-gate`: the binary. On a runner it reads `INPUT_*`; as a CLI the flags below stand
//! in for them and outputs print as `name=value` (or one JSON object with `--json`).

use std::process::ExitCode;
use std::sync::Arc;

use canary_gate::config::INPUTS;
use canary_gate::outputs::OUTPUTS;
use clap::Parser;
use gantry_aws_setup::AWS_INPUTS;
use gantry_toolkit::{CommonFlags, run};

/// Shift ALB traffic to a canary in steps, judge it against the baseline with anytime-valid
/// statistics, and promote or roll back; or gate on HTTP probes alone (mode probe).
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// canary (shift traffic) or probe (no traffic, thresholds only). [input: mode]
    #[arg(long)]
    mode: Option<String>,
    /// The policy, as YAML. [input: policy]
    #[arg(long)]
    policy: Option<String>,
    /// A file with the policy. [input: policy-file]
    #[arg(long)]
    policy_file: Option<String>,
    /// The ALB listener. [input: listener-arn]
    #[arg(long)]
    listener_arn: Option<String>,
    /// The listener rule; empty for the listener's default action. [input: rule-arn]
    #[arg(long)]
    rule_arn: Option<String>,
    /// The stable (baseline) target group. [input: stable-target-group]
    #[arg(long)]
    stable_target_group: Option<String>,
    /// The canary target group. [input: canary-target-group]
    #[arg(long)]
    canary_target_group: Option<String>,
    /// The ECS cluster of the two services (empty: traffic only). [input: cluster]
    #[arg(long)]
    cluster: Option<String>,
    /// The ECS service behind the stable target group. [input: stable-service]
    #[arg(long)]
    stable_service: Option<String>,
    /// The ECS service behind the canary target group. [input: canary-service]
    #[arg(long)]
    canary_service: Option<String>,
    /// The new task definition (ARN or family:revision). [input: task-definition]
    #[arg(long)]
    task_definition: Option<String>,
    /// Tasks of the canary service while it is judged. [input: canary-desired-count]
    #[arg(long)]
    canary_desired_count: Option<String>,
    /// Canary percentages, e.g. 10,25,50,100 or 10:5m,50:10m,100. [input: steps]
    #[arg(long)]
    steps: Option<String>,
    /// How long each step is watched. [input: step-duration]
    #[arg(long)]
    step_duration: Option<String>,
    /// How often the evidence is read and judged. [input: interval]
    #[arg(long)]
    interval: Option<String>,
    /// Probe mode: how long to watch (0s: one round). [input: window]
    #[arg(long)]
    window: Option<String>,
    /// How far behind now CloudWatch windows end. [input: metrics-delay]
    #[arg(long)]
    metrics_delay: Option<String>,
    /// rollback, hold or promote. [input: on-inconclusive]
    #[arg(long)]
    on_inconclusive: Option<String>,
    /// continue or restart. [input: resume]
    #[arg(long)]
    resume: Option<String>,
    /// Overall deadline. [input: timeout]
    #[arg(long)]
    timeout: Option<String>,
    /// Plan and print, move no traffic. [input: dry-run]
    #[arg(long)]
    dry_run: Option<String>,
    /// AWS region. [input: aws-region]
    #[arg(long)]
    aws_region: Option<String>,
    #[command(flatten)]
    common: CommonFlags,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Some(builder) = cli
        .common
        .runner_builder("canary-gate", &[INPUTS, AWS_INPUTS], OUTPUTS)
    else {
        return ExitCode::SUCCESS; // `--action-contract` printed the contract
    };
    let runner = Arc::new(
        builder
            .input_override("mode", cli.mode)
            .input_override("policy", cli.policy)
            .input_override("policy-file", cli.policy_file)
            .input_override("listener-arn", cli.listener_arn)
            .input_override("rule-arn", cli.rule_arn)
            .input_override("stable-target-group", cli.stable_target_group)
            .input_override("canary-target-group", cli.canary_target_group)
            .input_override("cluster", cli.cluster)
            .input_override("stable-service", cli.stable_service)
            .input_override("canary-service", cli.canary_service)
            .input_override("task-definition", cli.task_definition)
            .input_override("canary-desired-count", cli.canary_desired_count)
            .input_override("steps", cli.steps)
            .input_override("step-duration", cli.step_duration)
            .input_override("interval", cli.interval)
            .input_override("window", cli.window)
            .input_override("metrics-delay", cli.metrics_delay)
            .input_override("on-inconclusive", cli.on_inconclusive)
            .input_override("resume", cli.resume)
            .input_override("timeout", cli.timeout)
            .input_override("dry-run", cli.dry_run)
            .input_override("aws-region", cli.aws_region)
            .build(),
    );
    let inner = runner.clone();
    run(&runner, move |_| canary_gate::run::run(inner))
}

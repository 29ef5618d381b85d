//! `ecs-rollout`: the binary. On a runner it reads `INPUT_*`; as a CLI the flags below stand in
//! for them and outputs print as `name=value` (or one JSON object with `--json`).

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use ecs_rollout::config::INPUTS;
use ecs_rollout::outputs::OUTPUTS;
use gantry_aws_setup::AWS_INPUTS;
use gantry_toolkit::{CommonFlags, run};

/// Register a task definition, roll the ECS service, watch it, roll back automatically.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// The ECS cluster. [input: cluster]
    #[arg(long)]
    cluster: Option<String>,
    /// The ECS service. [input: service]
    #[arg(long)]
    service: Option<String>,
    /// deploy or rollback. [input: mode]
    #[arg(long)]
    mode: Option<String>,
    /// A JSON file, an ARN or family:revision; default the service's. [input: task-definition]
    #[arg(long)]
    task_definition: Option<String>,
    /// The container single-container inputs apply to. [input: container]
    #[arg(long)]
    container: Option<String>,
    /// `container=image` lines. [input: images]
    #[arg(long)]
    images: Option<String>,
    /// One image for the container. [input: image-ref]
    #[arg(long)]
    image_ref: Option<String>,
    /// `NAME=value` lines. [input: environment]
    #[arg(long)]
    environment: Option<String>,
    /// `NAME=source` lines. [input: secrets]
    #[arg(long)]
    secrets: Option<String>,
    /// The container's command. [input: command]
    #[arg(long)]
    command: Option<String>,
    /// logConfiguration JSON. [input: log-configuration]
    #[arg(long)]
    log_configuration: Option<String>,
    /// Task CPU. [input: cpu]
    #[arg(long)]
    cpu: Option<String>,
    /// Task memory. [input: memory]
    #[arg(long)]
    memory: Option<String>,
    /// Desired task count. [input: desired-count]
    #[arg(long)]
    desired_count: Option<String>,
    /// [input: force-new-deployment]
    #[arg(long)]
    force_new_deployment: Option<String>,
    /// keep, rollback, on, off. [input: circuit-breaker]
    #[arg(long)]
    circuit_breaker: Option<String>,
    /// Watch the deployment to its end. [input: wait]
    #[arg(long)]
    wait: Option<String>,
    /// Deadline of the whole run. [input: timeout-seconds]
    #[arg(long)]
    timeout_seconds: Option<String>,
    /// [input: pending-timeout-seconds]
    #[arg(long)]
    pending_timeout_seconds: Option<String>,
    /// [input: rollback-on-failure]
    #[arg(long)]
    rollback_on_failure: Option<String>,
    /// [input: rollback-task-definition]
    #[arg(long)]
    rollback_task_definition: Option<String>,
    /// [input: rollback-image-tag]
    #[arg(long)]
    rollback_image_tag: Option<String>,
    /// [input: pre-deploy-command]
    #[arg(long)]
    pre_deploy_command: Option<String>,
    /// [input: pre-deploy-timeout-seconds]
    #[arg(long)]
    pre_deploy_timeout_seconds: Option<String>,
    /// [input: deregister-failed]
    #[arg(long)]
    deregister_failed: Option<String>,
    /// Print the diff, change nothing. [input: dry-run]
    #[arg(long)]
    dry_run: Option<String>,
    /// [input: aws-region]
    #[arg(long)]
    aws_region: Option<String>,
    #[command(flatten)]
    common: CommonFlags,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Some(builder) = cli
        .common
        .runner_builder("ecs-rollout", &[INPUTS, AWS_INPUTS], OUTPUTS)
    else {
        return ExitCode::SUCCESS; // `--action-contract` printed the contract
    };
    let runner = Arc::new(
        builder
            .input_override("cluster", cli.cluster)
            .input_override("service", cli.service)
            .input_override("mode", cli.mode)
            .input_override("task-definition", cli.task_definition)
            .input_override("container", cli.container)
            .input_override("images", cli.images)
            .input_override("image-ref", cli.image_ref)
            .input_override("environment", cli.environment)
            .input_override("secrets", cli.secrets)
            .input_override("command", cli.command)
            .input_override("log-configuration", cli.log_configuration)
            .input_override("cpu", cli.cpu)
            .input_override("memory", cli.memory)
            .input_override("desired-count", cli.desired_count)
            .input_override("force-new-deployment", cli.force_new_deployment)
            .input_override("circuit-breaker", cli.circuit_breaker)
            .input_override("wait", cli.wait)
            .input_override("timeout-seconds", cli.timeout_seconds)
            .input_override("pending-timeout-seconds", cli.pending_timeout_seconds)
            .input_override("rollback-on-failure", cli.rollback_on_failure)
            .input_override("rollback-task-definition", cli.rollback_task_definition)
            .input_override("rollback-image-tag", cli.rollback_image_tag)
            .input_override("pre-deploy-command", cli.pre_deploy_command)
            .input_override("pre-deploy-timeout-seconds", cli.pre_deploy_timeout_seconds)
            .input_override("deregister-failed", cli.deregister_failed)
            .input_override("dry-run", cli.dry_run)
            .input_override("aws-region", cli.aws_region)
            .build(),
    );
    run(&runner, |_| ecs_rollout::run::run(runner.clone()))
}

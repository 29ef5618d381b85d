//! `ecs-rollout`: the binary. On a runner it reads `INPUT_*`; as a CLI the flags of its input
//! table ([`ecs_rollout::config::INPUTS`]) stand in for them, and outputs print as `name=value`
//! (or one JSON object with `--json`).

use std::process::ExitCode;
use std::sync::Arc;

use ecs_rollout::config::INPUTS;
use ecs_rollout::outputs::OUTPUTS;
use gantry_aws_setup::AWS_INPUTS;
use gantry_toolkit::{Tool, run};

const TOOL: Tool = Tool {
    name: "ecs-rollout",
    about: "Register a task definition, roll the ECS service, watch it, roll back automatically.",
    version: env!("CARGO_PKG_VERSION"),
    inputs: &[INPUTS, AWS_INPUTS],
    outputs: OUTPUTS,
};

fn main() -> ExitCode {
    let Some(runner) = TOOL.runner() else {
        return ExitCode::SUCCESS; // `--action-contract` printed the contract
    };
    let runner = Arc::new(runner);
    run(&runner, |_| ecs_rollout::run::run(runner.clone()))
}

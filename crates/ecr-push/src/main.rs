//! `ecr-push`: the binary. On a runner it reads `INPUT_*`; as a CLI the flags of its input
//! table ([`ecr_push::config::INPUTS`]) stand in for them, and outputs print as `name=value`
//! (or one JSON object with `--json`).

use std::process::ExitCode;
use std::sync::Arc;

use ecr_push::config::INPUTS;
use ecr_push::outputs::OUTPUTS;
use gantry_aws_setup::AWS_INPUTS;
use gantry_toolkit::{Tool, run};

const TOOL: Tool = Tool {
    name: "ecr-push",
    about: "Build, tag, push and promote container images in Amazon ECR.",
    version: env!("CARGO_PKG_VERSION"),
    inputs: &[INPUTS, AWS_INPUTS],
    outputs: OUTPUTS,
};

fn main() -> ExitCode {
    let Some(runner) = TOOL.runner() else {
        return ExitCode::SUCCESS; // `--action-contract` printed the contract
    };
    let runner = Arc::new(runner);
    run(&runner, |_| ecr_push::run::run(&runner))
}

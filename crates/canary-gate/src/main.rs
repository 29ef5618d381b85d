//! `canary-gate`: the binary. On a runner it reads `INPUT_*`; as a CLI the flags of its input
//! table ([`canary_gate::config::INPUTS`]) stand in for them, and outputs print as `name=value`
//! (or one JSON object with `--json`).

use std::process::ExitCode;
use std::sync::Arc;

use canary_gate::config::INPUTS;
use canary_gate::outputs::OUTPUTS;
use gantry_aws_setup::AWS_INPUTS;
use gantry_toolkit::{Tool, run};

const TOOL: Tool = Tool {
    name: "canary-gate",
    about: "Shift traffic in steps, judge canary against baseline, promote or roll back.",
    version: env!("CARGO_PKG_VERSION"),
    inputs: &[INPUTS, AWS_INPUTS],
    outputs: OUTPUTS,
};

fn main() -> ExitCode {
    let Some(runner) = TOOL.runner() else {
        return ExitCode::SUCCESS; // `--action-contract` printed the contract
    };
    let runner = Arc::new(runner);
    let inner = runner.clone();
    run(&runner, move |_| canary_gate::run::run(inner))
}

//! `paths-filter`: the binary. On a runner it reads `INPUT_*`; as a CLI the flags of its input
//! table ([`paths_filter::config::INPUTS`]) stand in for them, and outputs print as
//! `name=value` (or one JSON object with `--json`).

use std::process::ExitCode;

use gantry_toolkit::{Tool, run};
use paths_filter::config::INPUTS;
use paths_filter::outputs::FIXED_OUTPUTS;

const TOOL: Tool = Tool {
    name: "paths-filter",
    about: "Which services of a monorepo changed: a drop-in for dorny/paths-filter that is right on every event.",
    version: env!("CARGO_PKG_VERSION"),
    inputs: &[INPUTS],
    outputs: FIXED_OUTPUTS,
};

fn main() -> ExitCode {
    let Some(runner) = TOOL.runner() else {
        return ExitCode::SUCCESS; // `--action-contract` printed the contract
    };
    run(&runner, paths_filter::run::run)
}

//! `semantic-version`: the binary. On a runner it reads `INPUT_*`; as a CLI the flags of its input
//! table ([`semantic_version::config::INPUTS`]) stand in for them, and outputs print as `name=value`
//! (or one JSON object with `--json`).

use std::process::ExitCode;

use gantry_toolkit::{Tool, run};
use semantic_version::config::INPUTS;
use semantic_version::outputs::FIXED_OUTPUTS;

const TOOL: Tool = Tool {
    name: "semantic-version",
    about: "The next version from Conventional Commits; release notes, tags and GitHub releases.",
    version: env!("CARGO_PKG_VERSION"),
    inputs: &[INPUTS],
    outputs: FIXED_OUTPUTS,
};

fn main() -> ExitCode {
    let Some(runner) = TOOL.runner() else {
        return ExitCode::SUCCESS; // `--action-contract` printed the contract
    };
    run(&runner, semantic_version::run::run)
}

//! `gitops-update`: the binary. On a runner it reads `INPUT_*`; as a CLI the flags of its input
//! table ([`gitops_update::config::INPUTS`]) stand in for them, and outputs print as `name=value`
//! (or one JSON object with `--json`).

use std::process::ExitCode;

use gantry_toolkit::{Tool, run};
use gitops_update::config::INPUTS;
use gitops_update::report::OUTPUTS;

const TOOL: Tool = Tool {
    name: "gitops-update",
    about: "Set an image's reference in Kubernetes manifests (kustomize, Helm values, manifests, Argo CD Applications), commit and push it, and follow Argo CD.",
    version: env!("CARGO_PKG_VERSION"),
    inputs: &[INPUTS],
    outputs: OUTPUTS,
};

fn main() -> ExitCode {
    let Some(runner) = TOOL.runner() else {
        return ExitCode::SUCCESS; // `--action-contract` printed the contract
    };
    run(&runner, gitops_update::run::run)
}

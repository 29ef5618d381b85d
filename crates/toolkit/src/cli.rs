//! The two ends of a tool's `main`: the flags every binary shares ([`CommonFlags`]), and one
//! place that turns a result into an exit code, an `::error::` annotation and a summary line
//! ([`run`]).

use std::error::Error;
use std::process::ExitCode;

use crate::env::Env;
use crate::runner::{Runner, RunnerBuilder};

/// The flags of every tool's binary besides its inputs': `--json` and the hidden
/// `--action-contract`. Each tool's `Cli` flattens them (`#[command(flatten)]`) as its last field.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct CommonFlags {
    /// Print outputs as one JSON object instead of `name=value` lines.
    #[arg(long)]
    pub json: bool,
    /// Print the inputs and outputs this binary uses, as JSON (for the action contract test).
    #[arg(long, hide = true)]
    pub action_contract: bool,
}

impl CommonFlags {
    /// The start of a tool's `main`, after its `Cli` (which flattens these flags last, so
    /// `--help` lists them after the tool's own) is parsed.
    ///
    /// With `--action-contract`: prints [`action_contract_json`] of `inputs` (the slices one
    /// after the other, e.g. the tool's own and `gantry_aws_setup::AWS_INPUTS`) and `outputs`,
    /// and returns `None`: `main` exits with success and reads nothing. Otherwise: a builder
    /// over the process environment, named `tool`, in JSON mode with `--json`, to which `main`
    /// adds its flags' input overrides.
    #[must_use]
    pub fn runner_builder(
        self,
        tool: &str,
        inputs: &[&[(&str, Option<&str>)]],
        outputs: &[&str],
    ) -> Option<RunnerBuilder> {
        if self.action_contract {
            println!(
                "{}",
                action_contract_json(inputs.iter().copied().flatten(), outputs)
            );
            return None;
        }
        Some(
            Runner::builder(Env::from_process())
                .tool_name(tool)
                .json_output(self.json),
        )
    }
}

/// Run a tool's main function and decide the exit code.
///
/// On success the outputs are finished ([`Runner::finish`], which prints them in JSON mode)
/// and the exit code is 0. On error, the error and its chain of causes are reported with
/// [`Runner::set_failed`] (masked, escaped) and the exit code is 1. It never calls
/// `process::exit`, so destructors (log groups, temporary files) run.
///
/// The error type can be anything convertible into `Box<dyn Error + Send + Sync>`: a
/// `thiserror` enum, `Box<dyn Error>`, a `String`, or `anyhow::Error`.
///
/// ```
/// use gantry_toolkit::{Env, Runner, run};
/// let (runner, out) = Runner::captured(Env::new().with("GITHUB_ACTIONS", "true"));
/// let code = run(&runner, |r| -> Result<(), String> {
///     r.set_output("changed", "true").map_err(|e| e.to_string())?;
///     Err("no filters given".into())
/// });
/// assert_eq!(code, std::process::ExitCode::FAILURE);
/// assert!(out.contents().contains("::error::no filters given"));
/// ```
pub fn run<E>(runner: &Runner, main: impl FnOnce(&Runner) -> Result<(), E>) -> ExitCode
where
    E: Into<Box<dyn Error + Send + Sync + 'static>>,
{
    let result = main(runner).map_err(Into::into);
    let finished = runner.finish();
    let result = result.and_then(|()| finished.map_err(Into::into));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            runner.set_failed(&error_chain(error.as_ref()));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, `outer: cause: root`. A cause whose text is already
/// part of the message (`#[error("... {0}")]` plus `#[source]`) is not repeated.
#[must_use]
pub fn error_chain(error: &(dyn Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !text.is_empty() && !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

/// What a tool's binary says it reads and writes, printed by its hidden `--action-contract`
/// flag: `{"inputs": {name: default or null}, "outputs": [names]}`. The action contract test
/// compares it with the tool's `action.yml` and README, so the three cannot drift apart.
/// `inputs` is any sequence of `(name, default)`: one slice, or several chained.
#[must_use]
pub fn action_contract_json<'a>(
    inputs: impl IntoIterator<Item = &'a (&'a str, Option<&'a str>)>,
    outputs: &[&str],
) -> String {
    let inputs: serde_json::Map<String, serde_json::Value> = inputs
        .into_iter()
        .map(|(name, default)| ((*name).to_owned(), (*default).into()))
        .collect();
    serde_json::json!({ "inputs": inputs, "outputs": outputs }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_contract_lists_inputs_with_defaults_and_outputs() {
        assert_eq!(
            action_contract_json(
                &[("filters", None), ("list-files", Some("none"))],
                &["changes"]
            ),
            r#"{"inputs":{"filters":null,"list-files":"none"},"outputs":["changes"]}"#
        );
    }

    #[test]
    fn action_contract_chains_several_input_lists() {
        let own: &[(&str, Option<&str>)] = &[("mode", Some("build"))];
        let aws: &[(&str, Option<&str>)] = &[("aws-region", None)];
        assert_eq!(
            action_contract_json([own, aws].into_iter().flatten(), &[]),
            r#"{"inputs":{"aws-region":null,"mode":"build"},"outputs":[]}"#
        );
    }

    /// The tool's own about.
    #[derive(Debug, clap::Parser)]
    struct Cli {
        #[arg(long)]
        mode: Option<String>,
        #[command(flatten)]
        common: CommonFlags,
    }

    #[test]
    fn common_flags_flatten_into_a_tool_cli() {
        use clap::{CommandFactory, Parser};
        Cli::command().debug_assert();
        let cli = Cli::parse_from(["tool", "--json", "--mode", "push"]);
        assert!(cli.common.json);
        assert!(!cli.common.action_contract);
        assert!(
            Cli::parse_from(["tool", "--action-contract"])
                .common
                .action_contract
        );
        // Hidden: the contract is for the test suite, not for users.
        let help = Cli::command().render_long_help().to_string();
        assert!(help.contains("--json") && !help.contains("--action-contract"));
        assert!(help.starts_with("The tool's own about"), "{help}");
        assert!(!help.contains("The flags of every tool"), "{help}");
    }

    #[test]
    fn without_action_contract_a_named_json_builder_is_returned() {
        let flags = CommonFlags {
            json: true,
            action_contract: false,
        };
        let builder = flags.runner_builder("paths-filter", &[&[("filters", None)]], &[]);
        let debug = format!("{builder:?}");
        assert!(
            debug.contains("paths-filter") && debug.contains("Json"),
            "{debug}"
        );
    }

    #[derive(Debug, thiserror::Error)]
    #[error("cannot deploy")]
    struct Outer(#[source] Middle);

    #[derive(Debug, thiserror::Error)]
    #[error("service api: {0}")]
    struct Middle(#[source] Root);

    #[derive(Debug, thiserror::Error)]
    #[error("timed out")]
    struct Root;

    #[test]
    fn chain_skips_repeated_causes() {
        assert_eq!(
            error_chain(&Outer(Middle(Root))),
            "cannot deploy: service api: timed out"
        );
    }
}

//! A tool's inputs, declared once.
//!
//! Each tool keeps one table of [`InputSpec`]s: the name, the description and the default that
//! its `action.yml` must carry, whether it is required, and for the inputs a person types on a
//! terminal, the CLI flag and its short help. From that table come:
//!
//! - the CLI ([`Tool::command`]): one `--flag <VALUE>` per input that has a flag, in table
//!   order, then `--json`, `--help`, `--version` and the hidden `--action-contract`;
//! - the inputs the tool reads ([`Tool::runner`]): the flags given on the command line win over
//!   `INPUT_*`, and an input left empty takes the table's default, so no default is written
//!   twice ([`crate::Inputs::get`]); reading a name that is not in the table fails the tool's
//!   tests (a debug assertion);
//! - the contract ([`Tool::contract_json`]) that the action contract test compares with
//!   `action.yml` (names, defaults, required, descriptions) and the README tables.
//!
//! ```
//! use gantry_toolkit::spec::{InputSpec, Tool};
//!
//! const INPUTS: &[InputSpec] = &[
//!     InputSpec::new("filters", "Filters as YAML.").required().flag("Filters as YAML."),
//!     InputSpec::new("list-files", "none, csv or json.").default("none").flag("none, csv or json."),
//!     InputSpec::new("token", "Token for the GitHub API."),
//! ];
//! const TOOL: Tool = Tool {
//!     name: "paths-filter",
//!     about: "Which services changed.",
//!     version: "1.0.0",
//!     inputs: &[INPUTS],
//!     outputs: &["changes"],
//! };
//! let help = TOOL.command().render_help().to_string();
//! assert!(help.contains("--list-files <LIST_FILES>"));
//! assert!(help.contains("none, csv or json. [input: list-files]"));
//! assert!(!help.contains("--token")); // no flag: INPUT_TOKEN only
//!
//! let runner = TOOL
//!     .runner_from(["paths-filter", "--filters", "api: api/**"], gantry_toolkit::Env::new())
//!     .unwrap()
//!     .unwrap()
//!     .build();
//! assert_eq!(runner.inputs().get("filters").as_deref(), Some("api: api/**"));
//! assert_eq!(runner.inputs().get("list-files").as_deref(), Some("none")); // the default
//! ```

use std::ffi::OsString;

use clap::{Arg, ArgAction, Command};

use crate::env::Env;
pub use crate::input::{Flag, InputSpec};
use crate::runner::{Runner, RunnerBuilder};

/// A tool's binary: its name, `--help` text, version, input tables and outputs.
#[derive(Debug, Clone, Copy)]
pub struct Tool {
    /// The kebab-case name of the tool, its crate, binary and action folder.
    pub name: &'static str,
    /// The first line of `--help`.
    pub about: &'static str,
    /// `--version` (the binary's `CARGO_PKG_VERSION`).
    pub version: &'static str,
    /// The tool's own table first, then shared ones (`gantry_aws_setup::AWS_INPUTS`).
    pub inputs: &'static [&'static [InputSpec]],
    /// Every output the tool can write (paths-filter's per-filter outputs aside).
    pub outputs: &'static [&'static str],
}

/// The arg ids of `--json` and `--action-contract`; inputs' ids are `input <name>` ([`arg_id`]),
/// so that an input named like clap's own arguments (`version`, `help`) cannot clash with them.
const JSON: &str = "json";
const CONTRACT: &str = "action-contract";

fn arg_id(spec: &InputSpec) -> String {
    format!("input {}", spec.name)
}

impl Tool {
    /// Every input, the tool's own first.
    pub fn specs(&self) -> impl Iterator<Item = &'static InputSpec> + '_ {
        self.inputs.iter().flat_map(|table| table.iter())
    }

    /// The clap command: a flag per input that has one, then `--json` and the hidden
    /// `--action-contract`.
    pub fn command(&self) -> Command {
        let mut command = Command::new(self.name)
            .version(self.version)
            .about(self.about);
        for spec in self.specs() {
            if let Some(flag) = spec.flag {
                command = command.arg(
                    Arg::new(arg_id(spec))
                        .long(flag.long)
                        .value_name(flag.long.to_uppercase().replace('-', "_"))
                        .help(if flag.help.is_empty() {
                            format!("[input: {}]", spec.name)
                        } else {
                            format!("{} [input: {}]", flag.help, spec.name)
                        }),
                );
            }
        }
        command
            .arg(
                Arg::new(JSON)
                    .long("json")
                    .action(ArgAction::SetTrue)
                    .help("Print outputs as one JSON object instead of `name=value` lines"),
            )
            .arg(
                Arg::new(CONTRACT)
                    .long("action-contract")
                    .action(ArgAction::SetTrue)
                    .hide(true)
                    .help("Print the inputs and outputs this binary uses, as JSON (for the action contract test)"),
            )
    }

    /// The start of a tool's `main`: parses the process's arguments (printing help, version or
    /// a usage error and exiting, as clap does). With `--action-contract`, prints
    /// [`Tool::contract_json`] and returns `None`; otherwise the runner over the process
    /// environment, with the flags given as input overrides.
    #[must_use]
    pub fn runner(&self) -> Option<Runner> {
        let matches = self.command().get_matches();
        self.builder(&matches, Env::from_process())
            .map(RunnerBuilder::build)
    }

    /// [`Tool::runner`] over given arguments and environment, as a builder (tests).
    ///
    /// # Errors
    /// The arguments do not parse (clap's error, with its usage text).
    pub fn runner_from<I, T>(&self, args: I, env: Env) -> Result<Option<RunnerBuilder>, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let matches = self.command().try_get_matches_from(args)?;
        Ok(self.builder(&matches, env))
    }

    fn builder(&self, matches: &clap::ArgMatches, env: Env) -> Option<RunnerBuilder> {
        if matches.get_flag(CONTRACT) {
            println!("{}", self.contract_json());
            return None;
        }
        let overrides = self
            .specs()
            .filter(|spec| spec.flag.is_some())
            .filter_map(|spec| {
                matches
                    .get_one::<String>(&arg_id(spec))
                    .map(|value| (spec.name, value.clone()))
            });
        Some(
            Runner::builder(env)
                .tool_name(self.name)
                .json_output(matches.get_flag(JSON))
                .input_specs(self.specs().copied())
                .input_overrides(overrides),
        )
    }

    /// What the binary says it reads and writes, printed by `--action-contract`:
    /// `{"inputs": {name: {"default", "required", "description"}}, "outputs": [names]}`. The
    /// action contract test compares it with the tool's `action.yml` and README.
    #[must_use]
    pub fn contract_json(&self) -> String {
        let inputs: serde_json::Map<String, serde_json::Value> = self
            .specs()
            .map(|spec| {
                (
                    spec.name.to_owned(),
                    serde_json::json!({
                        "default": spec.default,
                        "required": spec.required,
                        "description": spec.description,
                    }),
                )
            })
            .collect();
        serde_json::json!({ "inputs": inputs, "outputs": self.outputs }).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWN: &[InputSpec] = &[
        InputSpec::new("mode", "build or push.")
            .default("build")
            .flag("build or push."),
        InputSpec::new("version", "The image's version.")
            .flag_named("image-version", "The version."),
        InputSpec::new("token", "A token.").required(),
    ];
    const SHARED: &[InputSpec] = &[InputSpec::new("aws-region", "The region.").flag("AWS region.")];
    const TOOL: Tool = Tool {
        name: "ecr-push",
        about: "Push images.",
        version: "9.9.9",
        inputs: &[OWN, SHARED],
        outputs: &["digest"],
    };

    #[test]
    fn the_command_is_well_formed_and_lists_flags_in_table_order() {
        TOOL.command().debug_assert();
        let help = TOOL.command().render_long_help().to_string();
        let flags: Vec<&str> = help
            .lines()
            .filter_map(|l| l.trim_start().strip_prefix("--"))
            .collect();
        assert_eq!(
            flags,
            [
                "mode <MODE>",
                "image-version <IMAGE_VERSION>",
                "aws-region <AWS_REGION>",
                "json"
            ],
            "{help}"
        );
        assert!(help.starts_with("Push images."), "{help}");
        assert!(help.contains("The version. [input: version]"), "{help}");
        assert!(!help.contains("action-contract"), "hidden: {help}");
    }

    #[test]
    fn flags_become_overrides_and_empty_inputs_take_the_default() {
        let env = Env::from_iter([("INPUT_MODE", "push"), ("INPUT_TOKEN", " t ")]);
        let builder = TOOL
            .runner_from(
                ["ecr-push", "--image-version", "1.2.3", "--json"],
                env.clone(),
            )
            .unwrap()
            .unwrap();
        let runner = builder.build();
        let inputs = runner.inputs();
        assert_eq!(inputs.get("version").as_deref(), Some("1.2.3"));
        assert_eq!(inputs.get("mode").as_deref(), Some("push"), "INPUT_MODE");
        assert_eq!(inputs.get("token").as_deref(), Some("t"));
        assert_eq!(runner.output_mode(), crate::OutputMode::Json);
        // A flag wins over INPUT_*; an empty input falls back to the table's default.
        let runner = TOOL
            .runner_from(
                ["ecr-push", "--mode", "build"],
                Env::from_iter([("INPUT_MODE", "push")]),
            )
            .unwrap()
            .unwrap()
            .build();
        assert_eq!(runner.inputs().get("mode").as_deref(), Some("build"));
        let runner = TOOL
            .runner_from(["ecr-push"], Env::from_iter([("INPUT_MODE", "  ")]))
            .unwrap()
            .unwrap()
            .build();
        assert_eq!(runner.inputs().get("mode").as_deref(), Some("build"));
        assert_eq!(runner.inputs().get("aws-region"), None);
    }

    /// Reading or overriding an input the table does not declare is a bug the tool's tests
    /// catch (debug builds).
    #[test]
    #[should_panic(expected = "not in the tool's input table")]
    fn reading_an_undeclared_input_fails_in_tests() {
        let runner = TOOL
            .runner_from(["ecr-push"], Env::new())
            .unwrap()
            .unwrap()
            .build();
        let _ = runner.inputs().get("moed");
    }

    #[test]
    #[should_panic(expected = "not in the tool's input table")]
    fn overriding_an_undeclared_input_fails_in_tests() {
        let _ = TOOL
            .runner_from(["ecr-push"], Env::new())
            .unwrap()
            .unwrap()
            .input_override("moed", Some("push"))
            .build();
    }

    #[test]
    fn an_unknown_flag_is_a_usage_error() {
        let err = TOOL
            .runner_from(["ecr-push", "--moed", "x"], Env::new())
            .unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::UnknownArgument);
    }

    #[test]
    fn the_contract_lists_every_input_with_its_declaration() {
        assert!(
            TOOL.runner_from(["ecr-push", "--action-contract"], Env::new())
                .unwrap()
                .is_none()
        );
        let contract: serde_json::Value = serde_json::from_str(&TOOL.contract_json()).unwrap();
        assert_eq!(
            contract,
            serde_json::json!({
                "inputs": {
                    "mode": {"default": "build", "required": false, "description": "build or push."},
                    "version": {"default": null, "required": false, "description": "The image's version."},
                    "token": {"default": null, "required": true, "description": "A token."},
                    "aws-region": {"default": null, "required": false, "description": "The region."},
                },
                "outputs": ["digest"],
            })
        );
    }
}

//! The GitHub Actions runner contract for gantry's tools: the Rust equivalent of
//! `@actions/core`.
//!
//! Everything is read from an injected [`Env`] and printed through a [`Runner`], never from
//! `std::env` or to `println!` deep in the code, so a test can describe a whole job as a list of
//! variables and capture every byte a tool prints.
//!
//! - Inputs: [`Inputs`] (`INPUT_<NAME>`, trimmed; YAML 1.2 booleans; lists; enums), with
//!   overrides from CLI flags.
//! - Outputs, variables, state, PATH: [`Runner::set_output`], [`Runner::export_variable`],
//!   [`Runner::save_state`], [`Runner::add_path`] (heredoc with a random delimiter per value);
//!   outside a runner outputs are printed as `name=value` or one JSON object ([`OutputMode`]).
//! - Logs: [`Runner::info`], [`Runner::debug`], annotations ([`Runner::error`],
//!   [`Runner::annotate`]), groups closed by a guard ([`Runner::group`]), masking
//!   ([`Runner::add_mask`], [`Runner::get_secret_input`]).
//! - The job summary: [`Summary`]. The triggering event: [`EventPayload`]. The job's context:
//!   [`GithubContext`]. OIDC tokens (feature `oidc`): [`Runner::id_token`].
//! - When to stop: [`Stop`], the runner's cancellation (SIGINT/SIGTERM, Ctrl-C/Ctrl-Break)
//!   and one overall deadline.
//! - The end of `main`: [`run`].
//!
//! A tool's `main`: its inputs are declared once, in a table ([`spec`]), from which come the
//! CLI flags (falling back to `INPUT_*`), the defaults of empty inputs and the hidden
//! `--action-contract`; outputs go to `GITHUB_OUTPUT` on a runner, else to stdout as
//! `name=value`, or as JSON with `--json`:
//!
//! ```no_run
//! use std::process::ExitCode;
//! use gantry_toolkit::{InputSpec, Tool, run};
//!
//! const INPUTS: &[InputSpec] = &[
//!     InputSpec::new("filters", "Filters as YAML.").required().flag("Filters, as YAML."),
//!     InputSpec::new("dry-run", "Change nothing.").default("false").flag("Change nothing."),
//! ];
//! const TOOL: Tool = Tool {
//!     name: "paths-filter",
//!     about: "Which services changed.",
//!     version: env!("CARGO_PKG_VERSION"),
//!     inputs: &[INPUTS],
//!     outputs: &["filters"],
//! };
//!
//! fn main() -> ExitCode {
//!     let Some(runner) = TOOL.runner() else {
//!         return ExitCode::SUCCESS; // --action-contract printed the contract
//!     };
//!     run(&runner, |r| -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//!         let filters = r.inputs().get_required("filters")?;
//!         let dry_run = r.inputs().get_required_bool("dry-run")?; // "false" when empty
//!         r.set_output("filters", &filters)?;
//!         Ok(())
//!     })
//! }
//! ```
//!
//! A whole job described by hand, as in a test:
//!
//! ```
//! use gantry_toolkit::{Env, Runner, run, parse_file_command};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let output_file = dir.path().join("output");
//! let env = Env::from_iter([
//!     ("GITHUB_ACTIONS", "true"),
//!     ("GITHUB_OUTPUT", output_file.to_str().unwrap_or_default()),
//!     ("INPUT_SERVICES", "api, web"),
//!     ("INPUT_DRY-RUN", "true"),
//!     ("INPUT_TOKEN", "s3cr3t"),
//! ]);
//! let (runner, printed) = Runner::captured(env);
//!
//! let code = run(&runner, |r| -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//!     let services = r.inputs().get_list("services");
//!     let dry_run = r.inputs().get_bool_or("dry-run", false)?;
//!     let token = r.get_required_secret_input("token")?;
//!     let _group = r.group("Plan");
//!     r.info(&format!("deploying {services:?} (dry run: {dry_run}) with {token}"));
//!     r.set_output("services", &services.join("\n"))?;
//!     Ok(())
//! });
//!
//! assert_eq!(code, std::process::ExitCode::SUCCESS);
//! let outputs = parse_file_command(&std::fs::read_to_string(&output_file)?)?;
//! assert_eq!(outputs, vec![("services".to_owned(), "api\nweb".to_owned())]);
//! assert!(printed.contents().contains("with ***"));
//! # Ok(())
//! # }
//! ```

pub mod annotation;
pub mod capture;
pub mod cli;
pub mod command;
pub mod context;
pub mod env;
pub mod event;
pub mod file_command;
pub mod input;
pub mod mask;
#[cfg(feature = "oidc")]
pub mod oidc;
pub mod output;
pub mod runner;
pub mod spec;
pub mod stop;
pub mod summary;
#[cfg(feature = "test-util")]
pub mod testing;

pub use annotation::{AnnotationLevel, AnnotationProperties};
pub use capture::Capture;
pub use cli::{error_chain, run};
pub use command::{
    WorkflowCommand, escape_data, escape_property, unescape_data, unescape_property,
};
pub use context::GithubContext;
pub use env::{Env, is_github_actions};
pub use event::{Event, EventError, EventPayload, json_kind};
pub use file_command::{FileCommand, FileCommandError, FileCommandParseError, parse_file_command};
pub use input::{
    BOOLEAN_SPELLINGS, InputError, InputOptions, Inputs, env_name as input_env_name, one_of,
    parse_bool,
};
pub use mask::{MASK, Masker};
pub use output::{OutputError, OutputMode};
pub use runner::{DelimiterSource, GroupGuard, Runner, RunnerBuilder};
pub use spec::{Flag, InputSpec, Tool};
pub use stop::{Signal, Stop, StopHandle, StopReason, Stopped};
pub use summary::{Summary, SummaryError};

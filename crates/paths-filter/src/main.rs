//! `paths-filter`: the binary. On a runner it reads `INPUT_*`; as a CLI the flags below stand
//! in for them and outputs print as `name=value` (or one JSON object with `--json`).

use std::process::ExitCode;

use clap::Parser;
use gantry_toolkit::{CommonFlags, run};
use paths_filter::config::INPUTS;
use paths_filter::outputs::FIXED_OUTPUTS;

/// Which filters (services) of a repository have changed files.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Filters: YAML (inline) or the path of a YAML file. [input: filters]
    #[arg(long)]
    filters: Option<String>,
    /// Compare with this branch, tag or SHA; `HEAD` for uncommitted changes. [input: base]
    #[arg(long)]
    base: Option<String>,
    /// The commit to inspect (default: the checked-out HEAD). [input: ref]
    #[arg(long = "ref")]
    ref_: Option<String>,
    /// none, csv, json, shell or escape. [input: list-files]
    #[arg(long)]
    list_files: Option<String>,
    /// some, every or some-with-excludes. [input: predicate-quantifier]
    #[arg(long)]
    predicate_quantifier: Option<String>,
    /// or (like dorny/paths-filter) or exclude (`!pattern` removes files, in order). [input: negation]
    #[arg(long)]
    negation: Option<String>,
    /// The repository directory. [input: working-directory]
    #[arg(long)]
    working_directory: Option<String>,
    /// Commits fetched first when a shallow clone lacks the merge base. [input: initial-fetch-depth]
    #[arg(long)]
    initial_fetch_depth: Option<String>,
    /// Largest output value in bytes; larger ones are only in the result file. [input: max-output-size]
    #[arg(long)]
    max_output_size: Option<String>,
    #[command(flatten)]
    common: CommonFlags,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Some(builder) = cli
        .common
        .runner_builder("paths-filter", &[INPUTS], FIXED_OUTPUTS)
    else {
        return ExitCode::SUCCESS; // `--action-contract` printed the contract
    };
    let runner = builder
        .input_override("filters", cli.filters)
        .input_override("base", cli.base)
        .input_override("ref", cli.ref_)
        .input_override("list-files", cli.list_files)
        .input_override("predicate-quantifier", cli.predicate_quantifier)
        .input_override("negation", cli.negation)
        .input_override("working-directory", cli.working_directory)
        .input_override("initial-fetch-depth", cli.initial_fetch_depth)
        .input_override("max-output-size", cli.max_output_size)
        .build();
    run(&runner, paths_filter::run::run)
}

//! One run of the tool: inputs, plan, changes, filters, outputs, summary. The only module that
//! strings the layers together.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use gantry_toolkit::{EventPayload, GithubContext, Runner, Stop, Summary};

use crate::base::{self, BaseInputs, ChangeSource};
use crate::config::Config;
use crate::git::{Git, detect_changes};
use crate::github::{GitHubClient, PullRequestFiles, USER_AGENT};
use crate::outputs::{self, Outcome};

/// How many files of each filter the job summary shows.
const SUMMARY_FILES: usize = 5;

pub fn run(runner: &Runner) -> anyhow::Result<()> {
    // Masked before anything could print it.
    let _ = runner.get_secret_input("token");
    let context = GithubContext::from_env(runner.env());
    let workspace = match &context.workspace {
        Some(dir) => PathBuf::from(dir),
        None => std::env::current_dir().context("cannot read the current directory")?,
    };
    let config = Config::from_inputs(runner.inputs(), &workspace)?;
    let names: Vec<&str> = config.filters.names().collect();
    outputs::check_filter_names(&names).map_err(|e| anyhow::anyhow!("input 'filters': {e}"))?;

    // A cancelled job stops before its next fetch instead of dying in the middle of one.
    let stop = Stop::install(None).context("cannot listen for the runner's cancellation")?;
    let event = EventPayload::from_env(runner.env()).context("cannot read the event payload")?;
    let git = Git::new(&config.working_directory).with_stop(stop.clone());
    let base_inputs = BaseInputs {
        base: config.base.clone(),
        ref_: config.ref_.clone(),
        token_present: config.token.is_some(),
        // The payload names the default branch on a runner: ask git only when it does not.
        default_branch: match event
            .as_ref()
            .and_then(|e| e.raw.pointer("/repository/default_branch"))
        {
            Some(_) => None,
            None => git.default_branch().ok().flatten(),
        },
        current_ref: runner
            .env()
            .get_non_empty("GITHUB_REF")
            .map(str::to_owned)
            .or_else(|| git.current_branch().ok().flatten()),
    };
    let plan = base::plan(event.as_ref(), &base_inputs)?;
    runner.info(&format!("{} ({})", plan.source, plan.reason));

    let github = match (&plan.source, &config.token, &context.repository) {
        (ChangeSource::PullRequestApi { .. }, Some(token), Some(repository)) => Some(
            GitHubClient::new(gantry_github::ClientOptions::new(
                context.api_url.clone(),
                token.clone(),
                repository.clone(),
                USER_AGENT,
            ))
            .context("cannot set up the GitHub API client")?,
        ),
        _ => None,
    };
    let depth = u32::try_from(config.initial_fetch_depth).unwrap_or(u32::MAX);
    let detected = detect_changes(
        &plan,
        &git,
        github.as_ref().map(|g| g as &dyn PullRequestFiles),
        depth,
    )?;
    detected.report(runner);

    let mut results = config
        .filters
        .evaluate(&detected.changes, config.quantifier);
    for result in &mut results {
        result.sort_by_listing(&detected.listing);
    }
    let outcomes = outputs::outcomes(&results, &detected.changes);

    stop.check("writing the outputs")?;
    // The file first, so that the output naming it always names a complete file.
    let result_file = write_result_file(runner, &outcomes, &detected.compared)?;
    let oversized = outputs::emit(
        &outcomes,
        config.list_files,
        config.max_output_size,
        |name, value| runner.set_output(name, value),
    )?;
    runner.set_output("compared", &detected.compared)?;
    runner.set_output("result-file", &result_file.to_string_lossy())?;
    for o in &oversized {
        let size = o
            .size
            .map_or_else(|| "larger than that".to_string(), |s| format!("{s} bytes"));
        runner.warning(&format!(
            "output '{}' is not set: it would be {size}, over max-output-size ({} bytes); read it from the JSON file named by the output 'result-file'",
            o.name, config.max_output_size
        ));
    }

    let mut summary = Summary::new();
    summary_of(
        &mut summary,
        &outcomes,
        &detected.compared,
        &plan.reason,
        &detected.warnings,
    );
    runner.write_summary(&summary)?;
    Ok(())
}

/// The full result as JSON in `RUNNER_TEMP` (or the system temp dir), one file per step.
fn write_result_file(
    runner: &Runner,
    outcomes: &[Outcome<'_>],
    compared: &str,
) -> anyhow::Result<PathBuf> {
    let dir = runner
        .env()
        .get_non_empty("RUNNER_TEMP")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
        .join("gantry-paths-filter");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let step = runner
        .env()
        .get_non_empty("GITHUB_ACTION")
        .unwrap_or("local")
        .replace(
            |c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '_',
            "_",
        );
    let path = dir.join(format!("{step}-{}.json", std::process::id()));
    let file =
        std::fs::File::create(&path).with_context(|| format!("cannot write {}", path.display()))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
    outputs::write_result_document(&mut out, outcomes, compared)
        .and_then(|()| out.flush().map_err(serde_json::Error::io))
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

fn summary_of(
    summary: &mut Summary,
    outcomes: &[Outcome<'_>],
    compared: &str,
    reason: &str,
    warnings: &[String],
) {
    let changed = outcomes.iter().filter(|o| o.changed()).count();
    summary.heading(2, "paths-filter").paragraph(&format!(
        "{changed} of {} filters changed. Compared: `{compared}` ({reason}).",
        outcomes.len()
    ));
    let rows: Vec<Vec<String>> = outcomes
        .iter()
        .map(|o| {
            let mut first: Vec<String> = o
                .files()
                .take(SUMMARY_FILES)
                .map(|f| format!("`{}`", f.path))
                .collect();
            if o.count() > SUMMARY_FILES {
                first.push(format!("… {} more", o.count() - SUMMARY_FILES));
            }
            vec![
                o.name.to_string(),
                if o.changed() { "**yes**" } else { "no" }.to_string(),
                o.count().to_string(),
                first.join(", "),
            ]
        })
        .collect();
    summary.table(["filter", "changed", "files", "first files"], rows);
    if !warnings.is_empty() {
        summary.details("Warnings", &warnings.join("\n\n"));
    }
}

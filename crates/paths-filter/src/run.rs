//! One run of the tool: inputs, plan, changes, filters, outputs, summary. The only module that
//! strings the layers together.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use gantry_toolkit::{EventPayload, GithubContext, OutputError, Runner, Stop, Summary};

use crate::base::{self, BaseInputs, ChangeSource};
use crate::config::Config;
use crate::git::{Git, detect_changes};
use crate::github::{GitHubClient, PullRequestFiles, USER_AGENT};
use crate::outputs::{self, Outcome};

/// How many files of each filter the job summary shows.
const SUMMARY_FILES: usize = 5;

/// Changes from which the outputs' texts and the result file are written on threads of their
/// own (below, a thread costs more than it saves).
const PARALLEL_CHANGES: usize = 4096;

pub fn run(runner: &Runner) -> anyhow::Result<()> {
    // Masked before anything could print it.
    let _ = runner.get_secret_input("token");
    let context = GithubContext::from_env(runner.env());
    let workspace = context
        .workspace_dir()
        .context("cannot read the current directory")?;
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
        // The payload names the default branch on a runner; else git is asked, below, only
        // if the decision needs it.
        default_branch: None,
        current_ref: runner
            .env()
            .get_non_empty("GITHUB_REF")
            .map(str::to_owned)
            .or_else(|| git.current_branch().ok().flatten()),
    };
    let payload_names_default = event
        .as_ref()
        .and_then(|e| e.raw.pointer("/repository/default_branch"))
        .is_some();
    let plan = base::plan_asking(event.as_ref(), &base_inputs, || {
        if payload_names_default {
            None
        } else {
            git.default_branch().ok().flatten()
        }
    })?;
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

    // The texts the outputs are made of need only the changes: they are written while the
    // filters are evaluated.
    let parallel = detected.changes.len() >= PARALLEL_CHANGES;
    // Each filter's files as slots (four bytes a file), or as matches for more changes than
    // slots can number.
    let (mut evaluated, texts) = beside(
        parallel,
        || outputs::Texts::new(&detected.changes, config.list_files),
        || {
            let (filters, changes) = (&config.filters, &detected.changes);
            match filters.evaluate_slots(changes, config.quantifier) {
                Some(slots) => (slots, Vec::new()),
                None => (Vec::new(), filters.evaluate(changes, config.quantifier)),
            }
        },
    );
    let (slots, results) = &mut evaluated;
    for result in slots.iter_mut() {
        result.sort_by_listing(&detected.listing);
    }
    for result in results.iter_mut() {
        result.sort_by_listing(&detected.listing);
    }
    let mut outcomes = outputs::outcomes_with_slots(slots, &detected.changes, &texts);
    outcomes.extend(outputs::outcomes_with(results, &detected.changes, &texts));

    stop.check("writing the outputs")?;
    // The result file is written (first, or while the outputs are); the output naming it is
    // set once it is complete.
    let (result_path, result_file) = create_result_file(runner)?;
    // The result file, then the matrix, on a thread of their own while the outputs of the
    // filters are set here.
    let (emitted, written) = beside_until(
        parallel,
        || {
            let written = write_result_file(
                &result_path,
                &result_file,
                &outcomes,
                &texts,
                &detected.compared,
            );
            let matrix = outputs::matrix_value(&outcomes, &texts, config.max_output_size);
            (written, matrix)
        },
        |other| {
            let mut batch = Batch::new(runner);
            let mut written = None;
            let oversized = outputs::emit_with_matrix(
                &outcomes,
                &texts,
                config.max_output_size,
                || {
                    let (w, matrix) = other();
                    written = Some(w);
                    matrix
                },
                |name, value| batch.set(name, value),
            );
            let written = written.unwrap_or_else(|| other().0);
            (oversized.map(|oversized| (oversized, batch)), written)
        },
    );
    written?;
    let (oversized, mut batch) = emitted?;
    batch.set("compared", &detected.compared)?;
    batch.set("result-file", &result_path.to_string_lossy())?;
    batch.flush()?;
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
    // The run ends here, and the process with it: its memory goes back to the system at once,
    // which is cheaper than freeing every path, list and text one by one (tens of thousands of
    // allocations, and megabytes unmapped page by page).
    std::mem::forget(outcomes);
    std::mem::forget(evaluated);
    std::mem::forget(texts);
    std::mem::forget(detected);
    Ok(())
}

/// Outputs handed to the runner a batch at a time: one write for many small ones (a run sets
/// four per filter). A large value goes on its own, not copied.
struct Batch<'r> {
    runner: &'r Runner,
    pending: Vec<(String, String)>,
    bytes: usize,
}

impl<'r> Batch<'r> {
    /// How many bytes of values are held before they are written.
    const BYTES: usize = 1 << 16;

    fn new(runner: &'r Runner) -> Self {
        Batch {
            runner,
            pending: Vec::new(),
            bytes: 0,
        }
    }

    /// Sets `name` to `value`, now or with the next batch (outputs keep their order).
    fn set(&mut self, name: &str, value: &str) -> Result<(), OutputError> {
        if value.len() >= Self::BYTES {
            self.flush()?;
            return self.runner.set_output(name, value);
        }
        self.pending.push((name.to_owned(), value.to_owned()));
        self.bytes += name.len() + value.len();
        if self.bytes >= Self::BYTES {
            self.flush()?;
        }
        Ok(())
    }

    /// Sets the outputs held.
    fn flush(&mut self) -> Result<(), OutputError> {
        let pending = std::mem::take(&mut self.pending);
        self.bytes = 0;
        self.runner
            .set_outputs(pending.iter().map(|(n, v)| (n.as_str(), v.as_str())))
    }
}

/// `here()`, and with `parallel` meanwhile `there()` on a thread of its own (after `here()`,
/// should no thread start); without, `there()` then `here()`.
fn beside<A: Send, B>(
    parallel: bool,
    there: impl Fn() -> A + Sync,
    here: impl FnOnce() -> B,
) -> (B, A) {
    if !parallel {
        let theirs = there();
        return (here(), theirs);
    }
    std::thread::scope(|scope| {
        let thread = std::thread::Builder::new().spawn_scoped(scope, &there).ok();
        let mine = here();
        let theirs = match thread.map(std::thread::ScopedJoinHandle::join) {
            Some(Ok(theirs)) => theirs,
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None => there(),
        };
        (mine, theirs)
    })
}

/// `here(other)`, and with `parallel` meanwhile `there()` on a thread of its own (without,
/// `there()` first); `other()` gives `there`'s value, waiting for the thread (or making it
/// then, should no thread start). Its value is given once: a later call makes it again.
fn beside_until<A: Send, B>(
    parallel: bool,
    there: impl Fn() -> A + Sync,
    here: impl FnOnce(&mut dyn FnMut() -> A) -> B,
) -> B {
    if !parallel {
        let mut theirs = Some(there());
        return here(&mut || theirs.take().unwrap_or_else(&there));
    }
    std::thread::scope(|scope| {
        let mut thread = std::thread::Builder::new().spawn_scoped(scope, &there).ok();
        here(
            &mut || match thread.take().map(std::thread::ScopedJoinHandle::join) {
                Some(Ok(theirs)) => theirs,
                Some(Err(panic)) => std::panic::resume_unwind(panic),
                None => there(),
            },
        )
    })
}

/// The file for the full result as JSON in `RUNNER_TEMP` (or the system temp dir), one per
/// step, created (so that a directory or file that cannot be made stops the run before any
/// output is set).
fn create_result_file(runner: &Runner) -> anyhow::Result<(PathBuf, std::fs::File)> {
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
    Ok((path, file))
}

/// Writes the full result to `file` (at `path`).
fn write_result_file(
    path: &Path,
    file: &std::fs::File,
    outcomes: &[Outcome<'_>],
    texts: &outputs::Texts,
    compared: &str,
) -> anyhow::Result<()> {
    let mut out = file;
    outputs::write_result_document_vectored(&mut out, outcomes, texts, compared)
        .with_context(|| format!("cannot write {}", path.display()))
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

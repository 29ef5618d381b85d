//! A fake runner for tests of gantry's tools (feature `test-util`): a temporary directory with
//! empty `GITHUB_OUTPUT`, `GITHUB_ENV`, `GITHUB_STATE`, `GITHUB_PATH` and
//! `GITHUB_STEP_SUMMARY` files, a captured stdout/stderr, and readers for all of them.
//!
//! ```
//! use gantry_toolkit::testing::TestRunner;
//! let t = TestRunner::new([("INPUT_NAME", "world")]).unwrap();
//! let name = t.runner.inputs().get_required("name").unwrap();
//! t.runner.set_output("greeting", &format!("hello\n{name}")).unwrap();
//! assert_eq!(t.output("greeting").unwrap().as_deref(), Some("hello\nworld"));
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::capture::Capture;
use crate::command::WorkflowCommand;
use crate::env::Env;
use crate::file_command::{FileCommand, FileCommandParseError, parse_file_command};
use crate::runner::{Runner, RunnerBuilder};
use crate::summary::STEP_SUMMARY_VAR;

/// Reading back what a tool wrote failed.
#[derive(Debug, thiserror::Error)]
pub enum TestRunnerError {
    /// A file could not be created or read.
    #[error("cannot use {}: {source}", .path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A file command file does not parse: the tool wrote it badly.
    #[error("{} does not parse: {source}", .command.env_var())]
    Parse {
        /// Which file.
        command: FileCommand,
        /// The parse error.
        source: FileCommandParseError,
    },
}

/// A [`Runner`] wired to temporary files and a [`Capture`], as inside a GitHub Actions job.
#[derive(Debug)]
pub struct TestRunner {
    /// The runner to hand to the code under test.
    pub runner: Runner,
    /// Everything printed to stdout and stderr, interleaved.
    pub output: Capture,
    env: Env,
    dir: tempfile::TempDir,
}

impl TestRunner {
    /// A runner with `GITHUB_ACTIONS=true`, `RUNNER_TEMP` and the file command variables
    /// pointing into a fresh temporary directory, plus `vars` (which win).
    ///
    /// # Errors
    /// When the temporary directory or files cannot be created.
    pub fn new<I, K, V>(vars: I) -> Result<Self, TestRunnerError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Self::with_builder(vars, |b| b)
    }

    /// Like [`TestRunner::new`], with a hook to customise the builder (tool name, output
    /// mode, input overrides). The builder's writers are replaced by the capture.
    ///
    /// # Errors
    /// When the temporary directory or files cannot be created.
    pub fn with_builder<I, K, V>(
        vars: I,
        customize: impl FnOnce(RunnerBuilder) -> RunnerBuilder,
    ) -> Result<Self, TestRunnerError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let dir = tempfile::tempdir().map_err(|source| TestRunnerError::Io {
            path: std::env::temp_dir(),
            source,
        })?;
        let mut env = Env::new().with("GITHUB_ACTIONS", "true");
        env.set("RUNNER_TEMP", dir.path().display().to_string());
        for (var, file) in [
            ("GITHUB_OUTPUT", "output"),
            ("GITHUB_ENV", "env"),
            ("GITHUB_STATE", "state"),
            ("GITHUB_PATH", "path"),
            (STEP_SUMMARY_VAR, "summary.md"),
        ] {
            let path = dir.path().join(file);
            std::fs::write(&path, "").map_err(|source| TestRunnerError::Io {
                path: path.clone(),
                source,
            })?;
            env.set(var, path.display().to_string());
        }
        env.extend(vars);
        let output = Capture::new();
        let runner = customize(Runner::builder(env.clone()))
            .stdout(output.clone())
            .stderr(output.clone())
            .build();
        Ok(Self {
            runner,
            output,
            env,
            dir,
        })
    }

    /// The environment the runner was built with.
    #[must_use]
    pub fn env(&self) -> &Env {
        &self.env
    }

    /// The temporary directory (also `RUNNER_TEMP`).
    #[must_use]
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// All outputs; when one is set twice the last value wins, as on the runner.
    ///
    /// # Errors
    /// When the file cannot be read or does not parse.
    pub fn outputs(&self) -> Result<BTreeMap<String, String>, TestRunnerError> {
        Ok(self.entries(FileCommand::Output)?.into_iter().collect())
    }

    /// One output.
    ///
    /// # Errors
    /// When the file cannot be read or does not parse.
    pub fn output(&self, name: &str) -> Result<Option<String>, TestRunnerError> {
        Ok(self.outputs()?.remove(name))
    }

    /// Variables exported with `export_variable`.
    ///
    /// # Errors
    /// When the file cannot be read or does not parse.
    pub fn exported_env(&self) -> Result<BTreeMap<String, String>, TestRunnerError> {
        Ok(self.entries(FileCommand::Env)?.into_iter().collect())
    }

    /// State saved with `save_state`.
    ///
    /// # Errors
    /// When the file cannot be read or does not parse.
    pub fn state(&self) -> Result<BTreeMap<String, String>, TestRunnerError> {
        Ok(self.entries(FileCommand::State)?.into_iter().collect())
    }

    /// Directories added with `add_path`, in order.
    ///
    /// # Errors
    /// When the file cannot be read.
    pub fn paths(&self) -> Result<Vec<String>, TestRunnerError> {
        Ok(self
            .read(FileCommand::Path.env_var())?
            .lines()
            .map(str::to_owned)
            .collect())
    }

    /// The job summary markdown.
    ///
    /// # Errors
    /// When the file cannot be read.
    pub fn summary(&self) -> Result<String, TestRunnerError> {
        self.read(STEP_SUMMARY_VAR)
    }

    /// Everything printed so far.
    #[must_use]
    pub fn printed(&self) -> String {
        self.output.contents()
    }

    /// The workflow commands printed so far (annotations, groups, masks), unescaped.
    #[must_use]
    pub fn commands(&self) -> Vec<WorkflowCommand> {
        self.output
            .lines()
            .iter()
            .filter_map(|l| WorkflowCommand::parse(l))
            .collect()
    }

    /// The entries of a file command file, in order, duplicates kept.
    ///
    /// # Errors
    /// When the file cannot be read or does not parse.
    pub fn entries(&self, command: FileCommand) -> Result<Vec<(String, String)>, TestRunnerError> {
        let text = self.read(command.env_var())?;
        parse_file_command(&text).map_err(|source| TestRunnerError::Parse { command, source })
    }

    fn read(&self, var: &str) -> Result<String, TestRunnerError> {
        let path = PathBuf::from(self.env.get(var).unwrap_or_default());
        std::fs::read_to_string(&path).map_err(|source| TestRunnerError::Io { path, source })
    }
}

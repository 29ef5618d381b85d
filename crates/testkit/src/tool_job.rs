//! A tool's binary run the way a runner runs a step: a clean environment, `INPUT_*` inputs,
//! and fresh `GITHUB_OUTPUT` / `GITHUB_STEP_SUMMARY` files to read back.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::action_contract::input_env_name;

/// Temporary runner files for one tool binary; every [`ToolJob::command`] starts a new step.
#[derive(Debug)]
pub struct ToolJob {
    dir: tempfile::TempDir,
    binary: PathBuf,
}

impl ToolJob {
    /// `binary` is usually `env!("CARGO_BIN_EXE_<tool>")`.
    pub fn new(binary: impl Into<PathBuf>) -> ToolJob {
        ToolJob {
            dir: tempfile::tempdir().expect("a temporary directory"),
            binary: binary.into(),
        }
    }

    /// A file of the job's temporary directory (`output`, `summary`, or the test's own).
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The job's temporary directory: `HOME` and `RUNNER_TEMP` of every step.
    pub fn temp(&self) -> &Path {
        self.dir.path()
    }

    /// The binary as a step in `workdir` on a runner: an empty environment but for `PATH`,
    /// `HOME`, `GITHUB_ACTIONS`, `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY` (both emptied now),
    /// `GITHUB_WORKSPACE`, `RUNNER_TEMP`, and no global or system git configuration. Add the
    /// step's own variables and inputs to it.
    pub fn command(&self, workdir: &Path) -> Command {
        for f in ["output", "summary"] {
            std::fs::write(self.file(f), "")
                .unwrap_or_else(|e| panic!("cannot reset the {f} file: {e}"));
        }
        let mut cmd = Command::new(&self.binary);
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.temp())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_OUTPUT", self.file("output"))
            .env("GITHUB_STEP_SUMMARY", self.file("summary"))
            .env("GITHUB_WORKSPACE", workdir)
            .env("RUNNER_TEMP", self.temp())
            .current_dir(workdir);
        // What any Windows process needs to start git and resolve names (the runner sets them).
        if cfg!(windows) {
            for key in [
                "SystemRoot",
                "windir",
                "TEMP",
                "TMP",
                "USERPROFILE",
                "PATHEXT",
                "ComSpec",
            ] {
                if let Some(value) = std::env::var_os(key) {
                    cmd.env(key, value);
                }
            }
        }
        cmd
    }

    /// Sets inputs by their `action.yml` names (`list-files` → `INPUT_LIST-FILES`).
    pub fn inputs(cmd: &mut Command, inputs: &[(&str, &str)]) {
        for (name, value) in inputs {
            cmd.env(input_env_name(name), value);
        }
    }

    /// Runs `cmd` to the end.
    pub fn run(cmd: &mut Command) -> Output {
        cmd.output()
            .unwrap_or_else(|e| panic!("cannot run {:?}: {e}", cmd.get_program()))
    }

    /// The outputs the last step wrote, in order.
    pub fn outputs(&self) -> Vec<(String, String)> {
        let text = std::fs::read_to_string(self.file("output")).unwrap_or_default();
        gantry_toolkit::parse_file_command(&text)
            .unwrap_or_else(|e| panic!("GITHUB_OUTPUT does not parse: {e}\n{text}"))
    }

    /// One output of the last step.
    pub fn output(&self, name: &str) -> Option<String> {
        self.outputs()
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// The job summary the last step wrote.
    pub fn summary(&self) -> String {
        std::fs::read_to_string(self.file("summary")).unwrap_or_default()
    }
}

//! The runner's files: step outputs (file or JSON mode), environment variables, state and
//! `PATH`, each value written under a fresh random delimiter.

use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use super::Runner;
use crate::file_command::{
    self, FileCommand, FileCommandError, append_key_value, format_key_value, validate_name,
};
use crate::output::{OutputError, OutputMode};

impl Runner {
    /// Set step output `name` (see [`OutputMode`] for where it goes). Not masked: outputs are
    /// data for the next step, not log text.
    ///
    /// # Errors
    /// On an invalid name, a delimiter collision, or when the output cannot be written.
    pub fn set_output(&self, name: &str, value: &str) -> Result<(), OutputError> {
        self.deliver_output(name, value, || Value::String(value.to_owned()))
    }

    /// Set several step outputs, in order, as [`Runner::set_output`] would one by one; in file
    /// mode with one write to `GITHUB_OUTPUT` for all of them rather than opening the file for
    /// each (for a tool that sets many small outputs).
    ///
    /// # Errors
    /// See [`Runner::set_output`]. The outputs before the one that fails are set.
    pub fn set_outputs<'v>(
        &self,
        outputs: impl IntoIterator<Item = (&'v str, &'v str)>,
    ) -> Result<(), OutputError> {
        if self.mode != OutputMode::File {
            for (name, value) in outputs {
                self.set_output(name, value)?;
            }
            return Ok(());
        }
        let mut entries = String::new();
        let mut failed = None;
        let mut path = None;
        for (name, value) in outputs {
            let entry = validate_name(FileCommand::Output, name)
                .and_then(|()| {
                    self.file_for(FileCommand::Output).ok_or_else(|| {
                        FileCommandError::NotConfigured {
                            command: FileCommand::Output,
                            name: name.to_owned(),
                        }
                    })
                })
                .and_then(|file| {
                    path = Some(file);
                    let delimiter = self.new_delimiter()?;
                    format_key_value(FileCommand::Output, name, value, &delimiter)
                });
            match entry {
                Ok(entry) => entries.push_str(&entry),
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        if let Some(path) = path
            && !entries.is_empty()
        {
            file_command::append(FileCommand::Output, path, &entries)?;
        }
        match failed {
            Some(e) => Err(e.into()),
            None => Ok(()),
        }
    }

    /// Set an output from structured data: a JSON string in file and plain modes (what
    /// `fromJSON()` reads), a nested value in JSON mode (so `--json | jq` sees structure).
    ///
    /// # Errors
    /// See [`Runner::set_output`]; also when `value` cannot be serialized.
    pub fn set_output_json<T: Serialize + ?Sized>(
        &self,
        name: &str,
        value: &T,
    ) -> Result<(), OutputError> {
        let serialize = |source| OutputError::Serialize {
            name: name.to_owned(),
            source,
        };
        let json = serde_json::to_value(value).map_err(serialize)?;
        let text = serde_json::to_string(&json).map_err(serialize)?;
        self.deliver_output(name, &text, || json)
    }

    fn deliver_output(
        &self,
        name: &str,
        text: &str,
        json: impl FnOnce() -> Value,
    ) -> Result<(), OutputError> {
        validate_name(FileCommand::Output, name)?;
        match self.mode {
            OutputMode::File => {
                let path = self.file_for(FileCommand::Output).ok_or_else(|| {
                    FileCommandError::NotConfigured {
                        command: FileCommand::Output,
                        name: name.to_owned(),
                    }
                })?;
                let delimiter = self.new_delimiter()?;
                append_key_value(FileCommand::Output, path, name, text, &delimiter)?;
            }
            OutputMode::Plain => {
                let line = if text.contains(['\n', '\r']) {
                    let delimiter = self.new_delimiter()?;
                    format_key_value(FileCommand::Output, name, text, &delimiter)?
                } else {
                    format!("{name}={text}\n")
                };
                let mut io = self.lock();
                io.stdout
                    .write_all(line.as_bytes())
                    .and_then(|()| io.stdout.flush())
                    .map_err(|source| OutputError::Write {
                        name: name.to_owned(),
                        source,
                    })?;
            }
            OutputMode::Json => {
                let mut io = self.lock();
                if io.json_printed {
                    return Err(OutputError::AfterFinish {
                        name: name.to_owned(),
                    });
                }
                io.json.insert(name.to_owned(), json());
            }
        }
        Ok(())
    }

    /// Print the collected outputs in JSON mode (once) and flush both streams. Call it at the
    /// end of `main`; [`run`](crate::run) does.
    ///
    /// # Errors
    /// When stdout cannot be written.
    pub fn finish(&self) -> Result<(), OutputError> {
        let mut io = self.lock();
        let write_err = |source| OutputError::Write {
            name: "*".to_owned(),
            source,
        };
        if self.mode == OutputMode::Json && !io.json_printed {
            io.json_printed = true;
            let object = Value::Object(std::mem::take(&mut io.json));
            let text =
                serde_json::to_string_pretty(&object).map_err(|source| OutputError::Serialize {
                    name: "*".to_owned(),
                    source,
                })?;
            writeln!(io.stdout, "{text}").map_err(write_err)?;
        }
        io.stdout.flush().map_err(write_err)?;
        let _ = io.stderr.flush();
        Ok(())
    }

    /// Set an environment variable for the following steps of the job (`GITHUB_ENV`). It does
    /// not change this process's environment: pass it explicitly to child processes.
    /// Outside a runner (no `GITHUB_ENV`) it only validates and logs a debug line.
    ///
    /// # Errors
    /// On an invalid name, a delimiter collision, or when the file cannot be written.
    pub fn export_variable(&self, name: &str, value: &str) -> Result<(), FileCommandError> {
        self.key_value(FileCommand::Env, name, value)
    }

    /// Save state for this action's `post:` step (`GITHUB_STATE`), read there with
    /// [`Runner::get_state`]. Outside a runner it only validates and logs a debug line.
    ///
    /// # Errors
    /// On an invalid name, a delimiter collision, or when the file cannot be written.
    pub fn save_state(&self, name: &str, value: &str) -> Result<(), FileCommandError> {
        self.key_value(FileCommand::State, name, value)
    }

    /// State saved by the main step, as the runner passes it to the `post:` step
    /// (`STATE_<name>`).
    #[must_use]
    pub fn get_state(&self, name: &str) -> Option<String> {
        self.env.get(&format!("STATE_{name}")).map(str::to_owned)
    }

    /// Prepend `dir` to `PATH` for the following steps (`GITHUB_PATH`). Like
    /// [`Runner::export_variable`], it does not change this process's `PATH`.
    ///
    /// # Errors
    /// When `dir` contains a line break, or the file cannot be written.
    pub fn add_path(&self, dir: &str) -> Result<(), FileCommandError> {
        match self.file_for(FileCommand::Path) {
            Some(path) => file_command::append_path(path, dir),
            None if dir.contains(['\n', '\r']) => Err(FileCommandError::PathContainsNewline {
                path: dir.to_owned(),
            }),
            None => {
                self.debug(&format!(
                    "GITHUB_PATH is not set; '{dir}' is not added to PATH"
                ));
                Ok(())
            }
        }
    }

    fn key_value(
        &self,
        command: FileCommand,
        name: &str,
        value: &str,
    ) -> Result<(), FileCommandError> {
        let delimiter = self.new_delimiter()?;
        match self.file_for(command) {
            Some(path) => append_key_value(command, path, name, value, &delimiter),
            None => {
                format_key_value(command, name, value, &delimiter)?;
                self.debug(&format!(
                    "{} is not set; {} '{name}' is not saved",
                    command.env_var(),
                    command.what()
                ));
                Ok(())
            }
        }
    }

    fn file_for(&self, command: FileCommand) -> Option<&Path> {
        self.env.get_non_empty(command.env_var()).map(Path::new)
    }

    fn new_delimiter(&self) -> Result<String, FileCommandError> {
        (self.delimiter)().map_err(|source| FileCommandError::Random { source })
    }
}

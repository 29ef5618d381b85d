//! [`Runner`]: one step's view of the runner contract, built from an [`Env`] and the writers
//! everything is printed to.

use std::fmt;
use std::io::{self, Write};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::{Map, Value};

use crate::annotation::{AnnotationLevel, AnnotationProperties};
use crate::capture::Capture;
use crate::command::WorkflowCommand;
use crate::context::GithubContext;
use crate::env::Env;
use crate::event::{EventError, EventPayload};
use crate::file_command::{random_delimiter, random_hex};
use crate::input::{InputError, InputSpec, Inputs};
use crate::mask::Masker;
use crate::output::OutputMode;
use crate::summary::{Summary, SummaryError, append_summary, escape_html};

mod files;

/// Produces the delimiter for each heredoc value. The default is
/// [`random_delimiter`]; tests inject a fixed one to force a collision.
pub type DelimiterSource = Arc<dyn Fn() -> Result<String, getrandom::Error> + Send + Sync>;

type Writer = Box<dyn Write + Send>;

/// Everything printed goes through here, under one lock, so lines from several threads never
/// interleave and the masker sees every message.
struct Io {
    stdout: Writer,
    stderr: Writer,
    masker: Masker,
    json: Map<String, Value>,
    json_printed: bool,
}

/// One step's connection to the runner: inputs, outputs, logs, annotations, masking.
///
/// All methods take `&self` (state is behind a mutex), so a [`GroupGuard`] can be held while
/// logging, and a `Runner` can be shared across threads or tasks (it is `Send + Sync`).
///
/// Logging methods never fail: a log line that cannot be written (closed stdout) is dropped,
/// like a terminal that went away. Methods that deliver results (outputs, variables, summary)
/// return errors.
pub struct Runner {
    env: Env,
    inputs: Inputs,
    mode: OutputMode,
    tool_name: Option<String>,
    delimiter: DelimiterSource,
    io: Mutex<Io>,
}

impl fmt::Debug for Runner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runner")
            .field("mode", &self.mode)
            .field("tool_name", &self.tool_name)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Runner`]; every part has a default suited to `main`.
pub struct RunnerBuilder {
    env: Env,
    stdout: Option<Writer>,
    stderr: Option<Writer>,
    mode: Option<OutputMode>,
    tool_name: Option<String>,
    delimiter: Option<DelimiterSource>,
    overrides: Vec<(String, String)>,
    specs: Vec<InputSpec>,
}

impl fmt::Debug for RunnerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunnerBuilder")
            .field("mode", &self.mode)
            .field("tool_name", &self.tool_name)
            .finish_non_exhaustive()
    }
}

impl RunnerBuilder {
    /// Where stdout goes (default: the process's stdout).
    #[must_use]
    pub fn stdout(mut self, writer: impl Write + Send + 'static) -> Self {
        self.stdout = Some(Box::new(writer));
        self
    }

    /// Where stderr goes (default: the process's stderr).
    #[must_use]
    pub fn stderr(mut self, writer: impl Write + Send + 'static) -> Self {
        self.stderr = Some(Box::new(writer));
        self
    }

    /// Force an output mode (default: [`OutputMode::detect`]).
    #[must_use]
    pub fn output_mode(mut self, mode: OutputMode) -> Self {
        self.mode = Some(mode);
        self
    }

    /// Use [`OutputMode::Json`] when `json` is true (a tool's `--json` flag); otherwise keep
    /// the mode chosen so far (default: detected).
    #[must_use]
    pub fn json_output(mut self, json: bool) -> Self {
        if json {
            self.mode = Some(OutputMode::Json);
        }
        self
    }

    /// The tool's name, used in the failure line of the job summary.
    #[must_use]
    pub fn tool_name(mut self, name: impl Into<String>) -> Self {
        self.tool_name = Some(name.into());
        self
    }

    /// Replace the delimiter generator (tests only: a fixed delimiter defeats its purpose).
    #[must_use]
    pub fn delimiter_source(
        mut self,
        source: impl Fn() -> Result<String, getrandom::Error> + Send + Sync + 'static,
    ) -> Self {
        self.delimiter = Some(Arc::new(source));
        self
    }

    /// Input values that win over `INPUT_*` (see [`Inputs::with_overrides`]).
    #[must_use]
    pub fn input_overrides<I, K, V>(mut self, overrides: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.overrides
            .extend(overrides.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// The tool's input table ([`crate::spec`]): defaults, and the names that exist.
    #[must_use]
    pub fn input_specs(mut self, specs: impl IntoIterator<Item = InputSpec>) -> Self {
        self.specs.extend(specs);
        self
    }

    /// One input override, applied when `value` is `Some` (an optional clap flag).
    #[must_use]
    pub fn input_override(mut self, name: &str, value: Option<impl Into<String>>) -> Self {
        if let Some(value) = value {
            self.overrides.push((name.to_owned(), value.into()));
        }
        self
    }

    /// Build the runner.
    #[must_use]
    pub fn build(self) -> Runner {
        let mode = self.mode.unwrap_or_else(|| OutputMode::detect(&self.env));
        // An override of an input the table lacks would be silently ignored: a bug in the tool.
        debug_assert!(
            self.specs.is_empty()
                || self
                    .overrides
                    .iter()
                    .all(|(name, _)| self.specs.iter().any(|s| s.name == name)),
            "an input override names an input that is not in the tool's input table"
        );
        let inputs = Inputs::from_env(&self.env)
            .with_overrides(self.overrides)
            .with_specs(self.specs);
        Runner {
            inputs,
            mode,
            tool_name: self.tool_name,
            delimiter: self.delimiter.unwrap_or_else(|| Arc::new(random_delimiter)),
            io: Mutex::new(Io {
                stdout: self.stdout.unwrap_or_else(|| Box::new(io::stdout())),
                stderr: self.stderr.unwrap_or_else(|| Box::new(io::stderr())),
                masker: Masker::new(),
                json: Map::new(),
                json_printed: false,
            }),
            env: self.env,
        }
    }
}

impl Runner {
    /// The runner for `main`: the process environment, stdout and stderr, output mode
    /// detected from `GITHUB_OUTPUT`. Use [`Runner::builder`] to choose JSON mode or a name.
    #[must_use]
    pub fn from_process() -> Self {
        Self::builder(Env::from_process()).build()
    }

    /// Start building a runner over `env`.
    #[must_use]
    pub fn builder(env: Env) -> RunnerBuilder {
        RunnerBuilder {
            env,
            stdout: None,
            stderr: None,
            mode: None,
            tool_name: None,
            delimiter: None,
            overrides: Vec::new(),
            specs: Vec::new(),
        }
    }

    /// A runner over `env` whose stdout and stderr both go to the returned [`Capture`], in the
    /// order a terminal would show them.
    #[must_use]
    pub fn captured(env: Env) -> (Self, Capture) {
        let capture = Capture::new();
        let runner = Self::builder(env)
            .stdout(capture.clone())
            .stderr(capture.clone())
            .build();
        (runner, capture)
    }

    /// The environment this runner reads.
    #[must_use]
    pub fn env(&self) -> &Env {
        &self.env
    }

    /// The step's inputs (values are not masked: use [`Runner::get_secret_input`] for secrets).
    #[must_use]
    pub fn inputs(&self) -> &Inputs {
        &self.inputs
    }

    /// How outputs are delivered.
    #[must_use]
    pub fn output_mode(&self) -> OutputMode {
        self.mode
    }

    /// The tool name given to the builder.
    #[must_use]
    pub fn tool_name(&self) -> Option<&str> {
        self.tool_name.as_deref()
    }

    /// `GITHUB_ACTIONS=true`.
    #[must_use]
    pub fn is_github_actions(&self) -> bool {
        self.env.is_github_actions()
    }

    /// `RUNNER_DEBUG=1`.
    #[must_use]
    pub fn is_debug(&self) -> bool {
        self.env.is_debug()
    }

    /// The `GITHUB_*`/`RUNNER_*` context.
    #[must_use]
    pub fn context(&self) -> GithubContext {
        GithubContext::from_env(&self.env)
    }

    /// The triggering event, `None` outside a runner (see [`EventPayload::from_env`]).
    ///
    /// # Errors
    /// When the payload cannot be read or parsed.
    pub fn event(&self) -> Result<Option<EventPayload>, EventError> {
        EventPayload::from_env(&self.env)
    }

    // ---- masking -------------------------------------------------------------------------

    /// Register a secret: print `::add-mask::` for each of its lines, and replace it with
    /// `***` in everything this runner prints from now on.
    ///
    /// Outside a runner (a terminal) the `::add-mask::` lines are not printed: nothing would
    /// act on them, and printing them would show the secret. The secret is still replaced by
    /// `***` in this runner's own output.
    pub fn add_mask(&self, secret: &str) {
        let speaks = self.speaks_workflow_commands();
        let mut io = self.lock();
        let commands = io.masker.add(secret);
        if !speaks {
            return;
        }
        let stream = io.log_stream(self.mode);
        for command in commands {
            let _ = writeln!(stream, "{command}");
        }
        let _ = stream.flush();
    }

    /// `text` with every registered secret replaced by `***`.
    #[must_use]
    pub fn mask(&self, text: &str) -> String {
        self.lock().masker.mask(text)
    }

    /// A secret input (a token): masked before it is returned, so it cannot be printed first.
    #[must_use]
    pub fn get_secret_input(&self, name: &str) -> Option<String> {
        if let Some(raw) = self.inputs.raw(name) {
            self.add_mask(raw.trim());
        }
        self.inputs.get(name)
    }

    /// A required secret input.
    ///
    /// # Errors
    /// When the input is unset or blank.
    pub fn get_required_secret_input(&self, name: &str) -> Result<String, InputError> {
        self.get_secret_input(name)
            .ok_or_else(|| InputError::missing(name))
    }

    // ---- logging -------------------------------------------------------------------------

    /// Print a log line (masked). Lines that would be read as workflow commands (untrusted text
    /// such as commit messages starting with `::`) are printed between `::stop-commands::`
    /// markers, so the runner shows them instead of executing them.
    pub fn info(&self, message: &str) {
        let mut io = self.lock();
        let text = io.masker.mask(message);
        let text = neutralize_commands(&text);
        io.write_log(self.mode, &text);
    }

    /// Print a `::debug::` line, only when `RUNNER_DEBUG=1` (off, the runner hides them anyway,
    /// and outside a runner they are noise).
    pub fn debug(&self, message: &str) {
        if self.env.is_debug() {
            self.command(WorkflowCommand::new("debug", message));
        }
    }

    /// An `::error::` annotation.
    pub fn error(&self, message: &str) {
        self.annotate(
            AnnotationLevel::Error,
            message,
            &AnnotationProperties::new(),
        );
    }

    /// A `::warning::` annotation.
    pub fn warning(&self, message: &str) {
        self.annotate(
            AnnotationLevel::Warning,
            message,
            &AnnotationProperties::new(),
        );
    }

    /// A `::notice::` annotation.
    pub fn notice(&self, message: &str) {
        self.annotate(
            AnnotationLevel::Notice,
            message,
            &AnnotationProperties::new(),
        );
    }

    /// An annotation with a title and/or a position in a file.
    pub fn annotate(
        &self,
        level: AnnotationLevel,
        message: &str,
        properties: &AnnotationProperties,
    ) {
        self.command(properties.command(level, message));
    }

    /// True on a runner (`GITHUB_ACTIONS=true`, or outputs going to `GITHUB_OUTPUT`): workflow
    /// commands are understood. Otherwise the tool is a CLI on a terminal and prints plain
    /// lines instead.
    #[must_use]
    pub fn speaks_workflow_commands(&self) -> bool {
        self.mode == OutputMode::File || self.env.is_github_actions()
    }

    /// Print any workflow command; message and property values are masked, then escaped.
    /// Outside a runner, annotations become `error: file:line: message` lines, a group its
    /// name, and commands that only steer the runner's log print nothing.
    pub fn command(&self, command: WorkflowCommand) {
        let speaks = self.speaks_workflow_commands();
        let mut io = self.lock();
        let masked = WorkflowCommand {
            message: io.masker.mask(&command.message),
            properties: command
                .properties
                .into_iter()
                .map(|(k, v)| {
                    let v = io.masker.mask(&v);
                    (k, v)
                })
                .collect(),
            name: command.name,
        };
        if speaks {
            io.write_log(self.mode, &masked.to_string());
        } else if let Some(line) = plain_line(&masked) {
            io.write_log(self.mode, &line);
        }
    }

    /// Start a collapsible group; it ends when the guard is dropped.
    pub fn group(&self, name: &str) -> GroupGuard<'_> {
        self.start_group(name);
        GroupGuard::new(self)
    }

    /// Run `f` inside a group.
    pub fn in_group<R>(&self, name: &str, f: impl FnOnce() -> R) -> R {
        let _group = self.group(name);
        f()
    }

    /// Print `::group::name` (prefer [`Runner::group`], which cannot forget the end).
    pub fn start_group(&self, name: &str) {
        self.command(WorkflowCommand::new("group", name));
    }

    /// Print `::endgroup::`.
    pub fn end_group(&self) {
        self.command(WorkflowCommand::new("endgroup", ""));
    }

    /// Turn echoing of workflow commands in the log on or off (`::echo::on|off`).
    pub fn set_command_echo(&self, on: bool) {
        self.command(WorkflowCommand::new("echo", if on { "on" } else { "off" }));
    }

    // ---- summary and failure -------------------------------------------------------------

    /// Append `summary` to the job summary, with registered secrets masked (the runner would
    /// not mask a file we write). `Ok(false)` when `GITHUB_STEP_SUMMARY` is unset.
    ///
    /// # Errors
    /// When the file cannot be written or would exceed GitHub's size limit.
    pub fn write_summary(&self, summary: &Summary) -> Result<bool, SummaryError> {
        let masked = self.mask(summary.as_str());
        append_summary(&self.env, &masked)
    }

    /// Report a failure: an `::error::` annotation with `message`, and one line in the job
    /// summary. The exit code is the caller's business (see [`run`](crate::run)).
    pub fn set_failed(&self, message: &str) {
        self.error(message);
        let line = message
            .split(['\r', '\n'])
            .filter(|l| !l.trim().is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let who = self
            .tool_name
            .as_deref()
            .map_or_else(String::new, |name| format!("{} ", escape_html(name)));
        let markdown = format!(":x: **{who}failed:** {}\n\n", escape_html(&line));
        if let Err(e) = append_summary(&self.env, &self.mask(&markdown)) {
            self.debug(&format!(
                "the failure was not added to the job summary: {e}"
            ));
        }
    }

    // ---- OIDC ----------------------------------------------------------------------------

    /// Request a GitHub OIDC token for `audience` (e.g. `sts.amazonaws.com`) and mask it
    /// before returning it. See [`crate::oidc::request_id_token`].
    ///
    /// # Errors
    /// See [`crate::oidc::OidcError`].
    #[cfg(feature = "oidc")]
    pub fn id_token(&self, audience: Option<&str>) -> Result<String, crate::oidc::OidcError> {
        self.id_token_with(audience, &crate::oidc::OidcOptions::default())
    }

    /// [`Runner::id_token`] with explicit timeout and retry settings.
    ///
    /// # Errors
    /// See [`crate::oidc::OidcError`].
    #[cfg(feature = "oidc")]
    pub fn id_token_with(
        &self,
        audience: Option<&str>,
        options: &crate::oidc::OidcOptions,
    ) -> Result<String, crate::oidc::OidcError> {
        let token = crate::oidc::request_id_token_with(&self.env, audience, options)?;
        self.add_mask(&token);
        Ok(token)
    }

    fn lock(&self) -> MutexGuard<'_, Io> {
        self.io.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Io {
    /// Inside a runner (file mode) logs share stdout with the commands, like @actions/core;
    /// in plain and JSON modes stdout carries the outputs, so logs go to stderr (the runner
    /// reads workflow commands from both).
    fn log_stream(&mut self, mode: OutputMode) -> &mut Writer {
        match mode {
            OutputMode::File => &mut self.stdout,
            OutputMode::Plain | OutputMode::Json => &mut self.stderr,
        }
    }

    fn write_log(&mut self, mode: OutputMode, text: &str) {
        let stream = self.log_stream(mode);
        let _ = writeln!(stream, "{text}");
        let _ = stream.flush();
    }
}

/// What a person at a terminal should see for a workflow command, if anything.
fn plain_line(command: &WorkflowCommand) -> Option<String> {
    let property = |key: &str| {
        command
            .properties
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    match command.name.as_str() {
        "error" | "warning" | "notice" => {
            let mut line = format!("{}: ", command.name);
            if let Some(title) = property("title") {
                line.push_str(&format!("{title}: "));
            }
            if let Some(file) = property("file") {
                line.push_str(file);
                if let Some(l) = property("line") {
                    line.push_str(&format!(":{l}"));
                }
                line.push_str(": ");
            }
            line.push_str(&command.message);
            Some(line)
        }
        "debug" => Some(format!("debug: {}", command.message)),
        "group" => Some(format!("» {}", command.message)),
        _ => None,
    }
}

/// Wrap `text` in `::stop-commands::` when one of its lines would be read as a command.
fn neutralize_commands(text: &str) -> String {
    if !text.lines().any(|l| l.trim_start().starts_with("::")) {
        return text.to_owned();
    }
    match random_hex(16) {
        Ok(token) => format!("::stop-commands::{token}\n{text}\n::{token}::"),
        // No randomness: break the `::` prefix itself (a zero-width space between the colons).
        Err(_) => text
            .lines()
            .map(|l| match l.trim_start().strip_prefix("::") {
                Some(rest) => format!(":\u{200b}:{rest}"),
                None => l.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// Closes its group when dropped, so a `?` or early `return` inside a group cannot leave the
/// rest of the log folded into it.
#[derive(Debug)]
#[must_use = "the group ends when this guard is dropped; bind it with `let _group = ...`"]
pub struct GroupGuard<'a> {
    runner: &'a Runner,
}

impl<'a> GroupGuard<'a> {
    pub(crate) fn new(runner: &'a Runner) -> Self {
        Self { runner }
    }
}

impl Drop for GroupGuard<'_> {
    fn drop(&mut self) {
        self.runner.end_group();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runner(pairs: &[(&str, &str)]) -> (Runner, Capture) {
        Runner::captured(pairs.iter().copied().collect())
    }

    #[test]
    fn debug_only_with_runner_debug_1() {
        let (r, out) = runner(&[]);
        r.debug("hidden");
        assert_eq!(out.contents(), "");
        let (r, out) = runner(&[("RUNNER_DEBUG", "true"), ("GITHUB_ACTIONS", "true")]);
        r.debug("hidden");
        assert_eq!(out.contents(), "");
        let (r, out) = runner(&[("RUNNER_DEBUG", "1"), ("GITHUB_ACTIONS", "true")]);
        r.debug("shown\nhere");
        assert_eq!(out.contents(), "::debug::shown%0Ahere\n");
        // A terminal gets a plain line.
        let (r, out) = runner(&[("RUNNER_DEBUG", "1")]);
        r.debug("shown");
        assert_eq!(out.contents(), "debug: shown\n");
    }

    #[test]
    fn outside_a_runner_commands_become_plain_lines_and_masks_stay_silent() {
        let (r, out) = runner(&[]);
        r.add_mask("s3cret");
        r.annotate(
            AnnotationLevel::Error,
            "bad value s3cret",
            &AnnotationProperties::new()
                .title("Input")
                .file("a.yml")
                .line(3),
        );
        r.warning("careful");
        {
            let _g = r.group("Step");
            r.info("inside");
        }
        assert_eq!(
            out.contents(),
            "error: Input: a.yml:3: bad value ***\nwarning: careful\n» Step\ninside\n"
        );
    }

    #[test]
    fn info_neutralizes_command_lines() {
        let (r, out) = runner(&[]);
        r.info("plain line");
        assert_eq!(out.contents(), "plain line\n");
        out.clear();
        r.info("commit message\n  ::add-mask::x");
        let lines = out.lines();
        assert_eq!(lines.len(), 4);
        let token = lines[0].strip_prefix("::stop-commands::").unwrap();
        assert_eq!(token.len(), 32);
        assert_eq!(lines[1], "commit message");
        assert_eq!(lines[2], "  ::add-mask::x");
        assert_eq!(lines[3], format!("::{token}::"));
    }

    #[test]
    fn echo_command() {
        let (r, out) = runner(&[("GITHUB_ACTIONS", "true")]);
        r.set_command_echo(true);
        r.set_command_echo(false);
        assert_eq!(out.contents(), "::echo::on\n::echo::off\n");
        let (r, out) = runner(&[]);
        r.set_command_echo(true);
        assert_eq!(out.contents(), "");
    }

    #[test]
    fn logs_go_to_stdout_in_file_mode_and_stderr_otherwise() {
        for (mode, on_stdout) in [
            (OutputMode::File, true),
            (OutputMode::Plain, false),
            (OutputMode::Json, false),
        ] {
            let (stdout, stderr) = (Capture::new(), Capture::new());
            let r = Runner::builder(Env::new())
                .stdout(stdout.clone())
                .stderr(stderr.clone())
                .output_mode(mode)
                .build();
            r.info("log");
            r.warning("warn");
            let (logs, other) = if on_stdout {
                (&stdout, &stderr)
            } else {
                (&stderr, &stdout)
            };
            // File mode is a runner; the others, without GITHUB_ACTIONS, a terminal.
            let warning = if on_stdout {
                "::warning::warn"
            } else {
                "warning: warn"
            };
            assert_eq!(logs.contents(), format!("log\n{warning}\n"), "{mode:?}");
            assert_eq!(other.contents(), "", "{mode:?}");
        }
    }

    #[test]
    fn get_state_reads_state_prefix() {
        let (r, _) = runner(&[("STATE_pid", "42")]);
        assert_eq!(r.get_state("pid").as_deref(), Some("42"));
        assert_eq!(r.get_state("other"), None);
    }

    #[test]
    fn file_commands_outside_runner_validate_and_do_nothing() {
        let (r, out) = runner(&[]);
        r.export_variable("A", "1").unwrap();
        r.save_state("s", "1").unwrap();
        r.add_path("/bin").unwrap();
        assert!(r.export_variable("", "1").is_err());
        assert!(r.save_state("a\nb", "1").is_err());
        assert!(r.add_path("/a\n/b").is_err());
        assert_eq!(out.contents(), "");
    }

    #[test]
    fn json_output_flag_selects_json_mode() {
        let file_env = Env::new().with("GITHUB_OUTPUT", "/tmp/x");
        let mode = |json| {
            Runner::builder(file_env.clone())
                .json_output(json)
                .build()
                .output_mode()
        };
        assert_eq!(mode(true), OutputMode::Json);
        assert_eq!(mode(false), OutputMode::File);
    }

    #[test]
    fn runner_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Runner>();
    }
}

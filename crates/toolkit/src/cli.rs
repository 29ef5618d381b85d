//! The end of a tool's `main`: one place that turns a result into an exit code, an `::error::`
//! annotation and a summary line ([`run`]). The start is [`crate::spec::Tool::runner`].

use std::error::Error;
use std::process::ExitCode;

use crate::runner::Runner;

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

#[cfg(test)]
mod tests {
    use super::*;

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

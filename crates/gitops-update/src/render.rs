//! The render check: the edited manifests must still render, and carry the new reference,
//! before anything is committed. `kubectl kustomize` (kustomize built into kubectl) for
//! kustomizations, or the user's command; both run in a checkout of the new commit, so they see
//! exactly what would be pushed.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use gantry_toolkit::Stop;

/// How long a render may take: kustomize renders a large overlay in well under a second.
const RENDER_TIMEOUT: Duration = Duration::from_secs(120);

/// Why a render failed.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(
        "cannot run `{program}`: {source}; install kubectl (it has kustomize built in) on the runner, or set render-check: none"
    )]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("`{command}` failed ({status}):\n{stderr}")]
    Failed {
        command: String,
        status: String,
        stderr: String,
    },
    #[error("`{command}` took longer than {seconds} s and was stopped")]
    TimedOut { command: String, seconds: u64 },
    #[error("the run was stopped ({0}) while rendering")]
    Stopped(String),
}

/// Renders manifests; behind a trait so that the run's tests can see what was asked.
pub trait Render {
    /// The output of rendering the kustomization in `dir` (relative to `root`).
    fn kustomize(&self, root: &Path, dir: &str) -> Result<String, RenderError>;
    /// The output of the user's `command` run in `root`.
    fn command(&self, root: &Path, command: &[String]) -> Result<String, RenderError>;
}

/// Renders with the programs on the runner.
#[derive(Debug, Clone)]
pub struct Programs {
    stop: Stop,
    kubectl: String,
}

impl Programs {
    pub fn new(stop: Stop) -> Programs {
        Programs {
            stop,
            kubectl: "kubectl".to_owned(),
        }
    }

    /// Use this kubectl (tests use the one on PATH; a runner may have it elsewhere).
    #[must_use]
    pub fn with_kubectl(mut self, kubectl: impl Into<String>) -> Programs {
        self.kubectl = kubectl.into();
        self
    }

    fn run(&self, root: &Path, program: &str, args: &[&str]) -> Result<String, RenderError> {
        let shown = std::iter::once(program)
            .chain(args.iter().copied())
            .collect::<Vec<_>>()
            .join(" ");
        let mut child = Command::new(program)
            .args(args)
            .current_dir(root)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| RenderError::Spawn {
                program: program.to_owned(),
                source,
            })?;
        // The output is read on threads so that a large render cannot fill the pipe and hang.
        let stdout = child.stdout.take().map(read_on_thread);
        let stderr = child.stderr.take().map(read_on_thread);
        let started = std::time::Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().map_err(|source| RenderError::Spawn {
                program: program.to_owned(),
                source,
            })? {
                break status;
            }
            if let Err(stopped) = self.stop.check("render") {
                let _ = child.kill();
                let _ = child.wait();
                return Err(RenderError::Stopped(stopped.to_string()));
            }
            if started.elapsed() > RENDER_TIMEOUT {
                let _ = child.kill();
                let _ = child.wait();
                return Err(RenderError::TimedOut {
                    command: shown,
                    seconds: RENDER_TIMEOUT.as_secs(),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let stdout = stdout.and_then(|t| t.join().ok()).unwrap_or_default();
        let stderr = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
        if !status.success() {
            return Err(RenderError::Failed {
                command: shown,
                status: status.to_string(),
                stderr: String::from_utf8_lossy(&stderr).trim().to_owned(),
            });
        }
        Ok(String::from_utf8_lossy(&stdout).into_owned())
    }
}

fn read_on_thread(
    mut pipe: impl std::io::Read + Send + 'static,
) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

impl Render for Programs {
    fn kustomize(&self, root: &Path, dir: &str) -> Result<String, RenderError> {
        self.run(root, &self.kubectl, &["kustomize", dir])
    }

    fn command(&self, root: &Path, command: &[String]) -> Result<String, RenderError> {
        let Some((program, args)) = command.split_first() else {
            return Ok(String::new());
        };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.run(root, program, &args)
    }
}

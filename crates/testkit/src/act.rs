//! Running workflows with nektos/act on the host, offline.

use std::ffi::OsString;
use std::io::Read;
#[cfg(unix)]
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::{RUN_SETUP, Services};

/// Runner labels mapped to the host (`-P LABEL=-self-hosted`).
pub const HOST_LABELS: &[&str] = &["ubuntu-latest", "ubuntu-24.04", "ubuntu-22.04"];

/// Variables of the test process that act and the steps it runs keep; every
/// other variable is dropped so that a developer's shell (AWS profiles,
/// tokens, an outer runner's `GITHUB_*`) cannot leak into a workflow.
const KEPT_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "LANG",
    "LC_ALL",
    "TZ",
    "TMPDIR",
    "CARGO_HOME",
    "RUSTUP_HOME",
    "CARGO_TARGET_DIR",
];

/// A workflow run with act on this machine.
///
/// What act (0.2.89) needs here, found by experiment:
/// * `-P ubuntu-latest=-self-hosted`: jobs run on the host, no container,
///   no image pull, no Docker needed.
/// * The working directory should be a git repository: act takes
///   `GITHUB_REPOSITORY` from the `origin` remote's URL (`nektos/act` when
///   there is none) and `GITHUB_SHA`/`GITHUB_REF` from HEAD, except where
///   the event says otherwise: for `push` (and `create`,
///   `workflow_dispatch`) `GITHUB_REF` is the payload's `ref` and, when the
///   payload has `"deleted": false` (real payloads do), `GITHUB_SHA` is its
///   `after`; for `pull_request` `GITHUB_REF` is `refs/pull/<number>/merge`.
///   Point a webhook example at the repository before using it.
/// * Each job gets an empty workspace under the action cache path: a job
///   that needs the repository's files (`uses: ./local/action`) must start
///   with `- uses: actions/checkout@v4`, which act performs offline by copying
///   the working directory (not cloning).
/// * Remote actions (`owner/repo/path@ref`) are cloned from GitHub, which is
///   unreachable: map them to local directories with
///   [`Act::local_repository`].
/// * `--no-cache-server`: otherwise act starts a cache server on a
///   non-loopback address (and fails without one).
/// * Steps inherit act's environment; composite actions get `INPUT_*`
///   variables from act even without an `env:` mapping (the real runner does
///   not set them: test the mapping separately).
///
/// Runs with `--json` so that [`ActRun`] can report job results and step
/// outputs.
#[derive(Debug, Clone)]
pub struct Act {
    workdir: PathBuf,
    workflow: PathBuf,
    event: String,
    event_path: Option<PathBuf>,
    event_json: Option<serde_json::Value>,
    env: Vec<(OsString, OsString)>,
    args: Vec<OsString>,
    timeout: Duration,
}

impl Act {
    /// act in `workdir` (usually a [`crate::GitRepo`]) for the `workflow`
    /// file (relative to `workdir` or absolute), event `push`.
    pub fn new(workdir: impl AsRef<Path>, workflow: impl AsRef<Path>) -> Act {
        Act {
            workdir: workdir.as_ref().to_path_buf(),
            workflow: workflow.as_ref().to_path_buf(),
            event: "push".to_string(),
            event_path: None,
            event_json: None,
            env: Vec::new(),
            args: Vec::new(),
            timeout: Duration::from_secs(300),
        }
    }

    /// The event name (`push`, `pull_request`, `workflow_dispatch`, …).
    pub fn event(mut self, name: &str) -> Act {
        self.event = name.to_string();
        self
    }

    /// The event payload file (`GITHUB_EVENT_PATH`). For `pull_request` it
    /// needs a top-level `number` (act builds `GITHUB_REF` from it).
    pub fn event_path(mut self, path: impl AsRef<Path>) -> Act {
        self.event_path = Some(path.as_ref().to_path_buf());
        self.event_json = None;
        self
    }

    /// The event payload as JSON, written to a temporary file for the run
    /// (e.g. from [`Services::webhook_example`]).
    pub fn event_json(mut self, payload: serde_json::Value) -> Act {
        self.event_json = Some(payload);
        self.event_path = None;
        self
    }

    /// An environment variable for act and every step.
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Act {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Environment variables for act and every step.
    pub fn envs<K, V>(mut self, vars: impl IntoIterator<Item = (K, V)>) -> Act
    where
        K: Into<OsString>,
        V: Into<OsString>,
    {
        self.env
            .extend(vars.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// A secret (`--secret NAME=VALUE`).
    pub fn secret(self, name: &str, value: &str) -> Act {
        self.arg("--secret").arg(format!("{name}={value}"))
    }

    /// A `workflow_dispatch` input (`--input NAME=VALUE`).
    pub fn input(self, name: &str, value: &str) -> Act {
        self.arg("--input").arg(format!("{name}={value}"))
    }

    /// Serve the remote action or reusable workflow `owner/repo@ref` from a
    /// local directory (`--local-repository`), e.g.
    /// `local_repository("gantry-actions/gantry@v1", workspace_root())` makes
    /// `uses: gantry-actions/gantry/actions/paths-filter@v1` read
    /// `actions/paths-filter/action.yml` from this checkout.
    pub fn local_repository(self, spec: &str, dir: impl AsRef<Path>) -> Act {
        self.arg("--local-repository")
            .arg(format!("{spec}={}", dir.as_ref().display()))
    }

    /// Any other act argument (e.g. `-j JOB`, `--matrix k:v`).
    pub fn arg(mut self, arg: impl Into<OsString>) -> Act {
        self.args.push(arg.into());
        self
    }

    /// Other act arguments.
    pub fn args<A: Into<OsString>>(mut self, args: impl IntoIterator<Item = A>) -> Act {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// The deadline of the whole run (default 300 s); past it act and its
    /// steps are killed and the test panics with the log so far.
    pub fn timeout(mut self, timeout: Duration) -> Act {
        self.timeout = timeout;
        self
    }

    /// The command line that [`Act::run`] executes (without the environment).
    fn command(&self, act: &Path, cache: &Path, event_path: Option<&Path>) -> Command {
        let mut cmd = Command::new(act);
        cmd.current_dir(&self.workdir)
            .arg(&self.event)
            .arg("-W")
            .arg(&self.workflow);
        if let Some(p) = event_path {
            cmd.arg("--eventpath").arg(p);
        }
        for label in HOST_LABELS {
            cmd.arg("-P").arg(format!("{label}=-self-hosted"));
        }
        cmd.arg("--action-cache-path")
            .arg(cache)
            .args([
                "--no-cache-server",
                "--action-offline-mode",
                "--pull=false",
                "--json",
            ])
            .args(&self.args);
        cmd
    }

    /// Runs act and waits for it; panics only when act cannot run or the
    /// deadline passes (a failing workflow is a normal [`ActRun`]).
    pub fn run(self) -> ActRun {
        let act = Services::get().act();
        let tmp = tempfile::Builder::new()
            .prefix("gantry-act-")
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create a temporary directory: {e}"));
        let event_path = match (&self.event_json, &self.event_path) {
            (Some(json), _) => {
                let p = tmp.path().join("event.json");
                std::fs::write(&p, json.to_string())
                    .unwrap_or_else(|e| panic!("cannot write {}: {e}", p.display()));
                Some(p)
            }
            (None, Some(p)) => Some(p.clone()),
            (None, None) => None,
        };
        let mut cmd = self.command(&act, &tmp.path().join("cache"), event_path.as_deref());
        cmd.env_clear();
        for key in KEPT_ENV {
            if let Some(v) = std::env::var_os(key) {
                cmd.env(key, v);
            }
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // Its own process group, so a timeout kills the steps too (act runs on Unix only).
        #[cfg(unix)]
        cmd.process_group(0);
        let shown = format!("{cmd:?}");
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {} ({e}): {RUN_SETUP}", act.display()));
        let stdout = drain(child.stdout.take());
        let stderr = drain(child.stderr.take());
        let status = wait_until(&mut child, Instant::now() + self.timeout);
        let run = ActRun {
            status: status.unwrap_or_else(|| {
                if cfg!(unix) {
                    let _ = Command::new("kill")
                        .args(["-KILL", "--", &format!("-{}", child.id())])
                        .status();
                }
                let _ = child.kill();
                child
                    .wait()
                    .unwrap_or_else(|e| panic!("cannot wait for act: {e}"))
            }),
            stdout: join(stdout),
            stderr: join(stderr),
            command: shown,
        };
        if status.is_none() {
            panic!(
                "act did not finish within {:?}; killed.\n{}",
                self.timeout,
                run.report()
            );
        }
        run
    }
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn join(handle: JoinHandle<String>) -> String {
    handle.join().unwrap_or_default()
}

fn wait_until(child: &mut Child, deadline: Instant) -> Option<ExitStatus> {
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() >= deadline => return None,
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => panic!("cannot wait for act: {e}"),
        }
    }
}

/// [`Act::new`]`(workdir, workflow).event(event).event_path(..).envs(..).args(..).run()`.
pub fn run_act(
    workdir: impl AsRef<Path>,
    workflow: impl AsRef<Path>,
    event: &str,
    event_path: Option<&Path>,
    extra_env: &[(&str, &str)],
    extra_args: &[&str],
) -> ActRun {
    let mut act = Act::new(workdir, workflow)
        .event(event)
        .envs(extra_env.iter().copied())
        .args(extra_args.iter().copied());
    if let Some(p) = event_path {
        act = act.event_path(p);
    }
    act.run()
}

/// A value a step wrote to `GITHUB_OUTPUT`, as act logged it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepOutput {
    /// The job's id (`jobs.<id>`).
    pub job: String,
    /// The step's id; inside a composite action `outer/inner`.
    pub step: String,
    /// The output's name.
    pub name: String,
    /// The output's value.
    pub value: String,
}

/// The result of a finished act run. `stdout` is act's JSON log (one object
/// a line); [`ActRun::log`] renders it for people.
#[derive(Debug, Clone)]
pub struct ActRun {
    /// act's exit status: success when every job succeeded.
    pub status: ExitStatus,
    /// act's stdout: JSON log lines.
    pub stdout: String,
    /// act's stderr.
    pub stderr: String,
    /// The command that ran, for messages.
    pub command: String,
}

impl ActRun {
    /// Every job succeeded.
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// Panics with the log unless every job succeeded.
    #[track_caller]
    pub fn assert_success(&self) -> &Self {
        if !self.success() {
            panic!("the workflow failed ({}).\n{}", self.status, self.report());
        }
        self
    }

    /// Panics with the log unless act failed.
    #[track_caller]
    pub fn assert_failure(&self) -> &Self {
        if self.success() {
            panic!(
                "the workflow succeeded, a failure was expected.\n{}",
                self.report()
            );
        }
        self
    }

    /// The JSON log lines, parsed (lines that are not JSON are skipped).
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(serde_json::Value::is_object)
            .collect()
    }

    /// The log as people read it: `[workflow/job] message` lines.
    pub fn log(&self) -> String {
        let mut out = String::new();
        for e in self.events() {
            let msg = e["msg"].as_str().unwrap_or_default().trim_end_matches('\n');
            match e["job"].as_str() {
                Some(job) if e["raw_output"] == true => {
                    for line in msg.lines() {
                        out.push_str(&format!("[{job}]   | {line}\n"));
                    }
                }
                Some(job) => out.push_str(&format!("[{job}] {msg}\n")),
                None => out.push_str(&format!("{msg}\n")),
            }
        }
        out
    }

    /// Every step output, in order.
    pub fn outputs(&self) -> Vec<StepOutput> {
        self.events()
            .into_iter()
            .filter(|e| e["command"] == "set-output")
            .map(|e| StepOutput {
                job: e["jobID"].as_str().unwrap_or_default().to_string(),
                step: e["stepID"]
                    .as_array()
                    .map(|ids| {
                        ids.iter()
                            .filter_map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join("/")
                    })
                    .unwrap_or_default(),
                name: e["name"].as_str().unwrap_or_default().to_string(),
                value: e["arg"].as_str().unwrap_or_default().to_string(),
            })
            .collect()
    }

    /// The last value of output `name` of step `step` (`outer/inner` inside
    /// a composite action) in job `job`.
    pub fn output(&self, job: &str, step: &str, name: &str) -> Option<String> {
        self.outputs()
            .into_iter()
            .rev()
            .find(|o| o.job == job && o.step == step && o.name == name)
            .map(|o| o.value)
    }

    /// `success` or `failure` for job `job` (the last matrix leg's when the
    /// job has a matrix); `None` when it did not run.
    pub fn job_result(&self, job: &str) -> Option<String> {
        self.events()
            .into_iter()
            .rev()
            .find(|e| e["jobID"] == job && e["jobResult"].is_string())
            .and_then(|e| e["jobResult"].as_str().map(str::to_string))
    }

    /// Everything the steps of job `job` printed.
    pub fn printed(&self, job: &str) -> String {
        self.events()
            .into_iter()
            .filter(|e| e["jobID"] == job && e["raw_output"] == true)
            .filter_map(|e| e["msg"].as_str().map(str::to_string))
            .collect()
    }

    /// The command, status, log and stderr, for failure messages.
    pub fn report(&self) -> String {
        format!(
            "command: {}\nstatus: {}\n--- act log ---\n{}--- act stderr ---\n{}",
            self.command,
            self.status,
            self.log(),
            self.stderr
        )
    }
}

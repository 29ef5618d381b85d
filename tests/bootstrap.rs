//! The binary bootstrap every action runs (`scripts/action-shim.js`): release assets served by
//! a loopback HTTP server, built with the release workflow's own `scripts/release-assets` from
//! the `gantry-probe` fixture binary, in a fake checkout of gantry (the shim, `dist/checksums.txt`,
//! an action folder). A good asset is verified, cached and run; a checksum mismatch fails hard
//! and runs nothing; a missing asset falls back to a source build with a warning; a second run
//! uses the tool cache and downloads nothing. The root action's install path is the same code.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use gantry_testkit::{Act, GitRepo, workspace_root};
use tempfile::TempDir;

const VERSION: &str = "9.9.9";
const TOOL: &str = "gantry-probe";

/// A release download server on loopback: serves files by URL path (404 for anything else) and
/// records the path of every request.
struct Server {
    base: String,
    files: Arc<Mutex<HashMap<String, Vec<u8>>>>,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!(
            "http://{}/releases/download",
            listener.local_addr().unwrap()
        );
        let files: Arc<Mutex<HashMap<String, Vec<u8>>>> = Arc::default();
        let requests: Arc<Mutex<Vec<String>>> = Arc::default();
        let (served, seen) = (files.clone(), requests.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                loop {
                    let mut header = String::new();
                    match reader.read_line(&mut header) {
                        Ok(0) | Err(_) => break,
                        Ok(_) if header.trim().is_empty() => break,
                        Ok(_) => {}
                    }
                }
                let path = request_line
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or_default()
                    .to_string();
                seen.lock().unwrap().push(path.clone());
                let body = served.lock().unwrap().get(&path).cloned();
                let _ = match body {
                    Some(body) => write!(
                        stream,
                        "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                    .and_then(|()| stream.write_all(&body)),
                    None => stream.write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nNot Found",
                    ),
                };
            }
        });
        Server {
            base,
            files,
            requests,
        }
    }

    fn serve(&self, asset: &str, body: Vec<u8>) {
        let path = format!("/releases/download/v{VERSION}/{asset}");
        self.files.lock().unwrap().insert(path, body);
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

/// This machine as a runner describes it (RUNNER_OS, RUNNER_ARCH) and as assets name it.
fn host() -> (&'static str, &'static str, String) {
    let (runner_os, os) = match std::env::consts::OS {
        "linux" => ("Linux", "linux"),
        "macos" => ("macOS", "macos"),
        other => panic!("the bootstrap tests run on Linux or macOS, not {other}"),
    };
    let (runner_arch, arch) = match std::env::consts::ARCH {
        "x86_64" => ("X64", "x64"),
        "aarch64" => ("ARM64", "arm64"),
        other => panic!("the bootstrap tests run on x86_64 or aarch64, not {other}"),
    };
    (runner_os, runner_arch, format!("{os}-{arch}"))
}

fn probe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_gantry-probe"))
}

fn asset_name() -> String {
    format!("{TOOL}-{VERSION}-{}.gz", host().2)
}

fn sh(command: &mut Command) -> String {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        out.status.success(),
        "{command:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The host's release of the probe, packed once per test process (gzip -9 of a debug binary
/// takes a while): the asset's bytes and the checksums file.
fn host_release() -> &'static (Vec<u8>, String) {
    static RELEASE: std::sync::OnceLock<(Vec<u8>, String)> = std::sync::OnceLock::new();
    RELEASE.get_or_init(|| {
        let dir = TempDir::new().unwrap();
        let assets = dir.path().join("assets");
        let release_assets = workspace_root().join("scripts/release-assets");
        sh(Command::new(&release_assets)
            .args(["pack", VERSION, &host().2])
            .arg(probe().parent().unwrap())
            .arg(&assets)
            .arg(TOOL));
        let checksums = sh(Command::new(&release_assets)
            .args([
                "checksums",
                VERSION,
                &format!("v{VERSION}"),
                "gantry-actions/gantry",
            ])
            .arg(&assets));
        (std::fs::read(assets.join(asset_name())).unwrap(), checksums)
    })
}

/// What one run of the shim did.
#[derive(Debug)]
struct Run {
    success: bool,
    stdout: String,
    stderr: String,
    outputs: String,
}

impl Run {
    fn report(&self) -> String {
        format!(
            "success: {}\n--- stdout\n{}\n--- stderr\n{}\n--- outputs\n{}",
            self.success, self.stdout, self.stderr, self.outputs
        )
    }

    fn assert_probe_ran(&self) {
        assert!(self.success, "{}", self.report());
        assert!(
            self.outputs.starts_with("greeting<<") && self.outputs.contains("\nhello bootstrap\n"),
            "the probe wrote no greeting:\n{}",
            self.report()
        );
    }
}

/// A fake checkout of gantry at a release commit, its release on the server, a tool cache.
struct Fixture {
    dir: TempDir,
    server: Server,
    runs: std::cell::Cell<usize>,
}

impl Fixture {
    /// The checkout with the shim and the probe's action folder, the assets packed by
    /// `scripts/release-assets` and served, and `dist/checksums.txt` as the release commits it.
    fn released() -> Self {
        let f = Self::unreleased();
        let (asset, checksums) = host_release();
        f.write_checksums(checksums);
        f.server.serve(&asset_name(), asset.clone());
        f
    }

    /// A checkout that is not a release commit: no dist/checksums.txt.
    fn unreleased() -> Self {
        let f = Fixture {
            dir: TempDir::new().unwrap(),
            server: Server::start(),
            runs: std::cell::Cell::new(0),
        };
        let root = workspace_root();
        let checkout = f.checkout();
        for (from, to) in [
            ("scripts/action-shim.js", "scripts/action-shim.js"),
            ("scripts/install-binaries", "scripts/install-binaries"),
            (
                "tests/fixtures/bootstrap/index.js",
                "actions/probe/index.js",
            ),
        ] {
            std::fs::create_dir_all(checkout.join(to).parent().unwrap()).unwrap();
            std::fs::copy(root.join(from), checkout.join(to)).unwrap();
        }
        f
    }

    fn checkout(&self) -> PathBuf {
        self.dir.path().join("gantry")
    }

    fn write_checksums(&self, text: &str) {
        let dist = self.checkout().join("dist");
        std::fs::create_dir_all(&dist).unwrap();
        std::fs::write(dist.join("checksums.txt"), text).unwrap();
    }

    fn tool_cache(&self) -> PathBuf {
        self.dir.path().join("toolcache")
    }

    fn cached_binary(&self) -> PathBuf {
        self.tool_cache()
            .join("gantry")
            .join(VERSION)
            .join(host().2)
            .join(TOOL)
    }

    /// Runs `program args` as the runner runs an action: a runner's environment with nothing
    /// of this process's GITHUB_*, RUNNER_*, INPUT_* or GANTRY_* leaking in, plus `env`.
    fn run(&self, program: &str, args: &[&Path], env: &[(&str, OsString)]) -> Run {
        self.runs.set(self.runs.get() + 1);
        let outputs = self
            .dir
            .path()
            .join(format!("github-output-{}", self.runs.get()));
        std::fs::write(&outputs, "").unwrap();
        let (runner_os, runner_arch, _) = host();
        let mut command = Command::new(program);
        command.args(args);
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            if ["GITHUB_", "RUNNER_", "INPUT_", "GANTRY_"]
                .iter()
                .any(|p| key.starts_with(p))
            {
                command.env_remove(key.as_ref());
            }
        }
        command
            .env("RUNNER_OS", runner_os)
            .env("RUNNER_ARCH", runner_arch)
            .env("RUNNER_TOOL_CACHE", self.tool_cache())
            .env("RUNNER_TEMP", self.dir.path().join("runner-temp"))
            .env("GANTRY_RELEASE_BASE_URL", &self.server.base)
            .env("GITHUB_OUTPUT", &outputs)
            .env("INPUT_MESSAGE", "hello bootstrap");
        for (key, value) in env {
            command.env(key, value);
        }
        let out = command.output().unwrap_or_else(|e| {
            panic!("cannot run {program} ({e}): the actions' bootstrap tests need node on PATH")
        });
        Run {
            success: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            outputs: std::fs::read_to_string(&outputs).unwrap(),
        }
    }

    /// The probe's action, as the runner runs `actions/probe` (node index.js).
    fn run_action(&self, env: &[(&str, OsString)]) -> Run {
        let index = self.checkout().join("actions/probe/index.js");
        self.run("node", &[&index], env)
    }

    /// A source build that copies the probe binary where the build must leave it, and leaves
    /// a marker so that the test knows it ran.
    fn build_command_env(&self) -> Vec<(&'static str, OsString)> {
        vec![
            (
                "GANTRY_BUILD_COMMAND",
                r#"test "$GANTRY_BUILD_TOOLS" = gantry-probe && mkdir -p "$GANTRY_BUILD_OUT" && cp "$TEST_PROBE" "$GANTRY_BUILD_OUT/" && echo built > "$TEST_BUILD_MARKER""#.into(),
            ),
            ("TEST_PROBE", probe().into()),
            ("TEST_BUILD_MARKER", self.build_marker().into()),
        ]
    }

    fn build_marker(&self) -> PathBuf {
        self.dir.path().join("source-build-ran")
    }
}

#[test]
fn a_good_asset_is_verified_cached_and_run_and_the_second_run_downloads_nothing() {
    let f = Fixture::released();

    let first = f.run_action(&[]);
    first.assert_probe_ran();
    assert_eq!(
        f.server.requests(),
        [format!("/releases/download/v{VERSION}/{}", asset_name())],
        "one download of the asset:\n{}",
        first.report()
    );
    assert!(
        first.stdout.contains("verified (sha256 "),
        "{}",
        first.report()
    );
    assert!(!first.stdout.contains("::warning"), "{}", first.report());
    assert_eq!(
        std::fs::read(f.cached_binary()).unwrap(),
        std::fs::read(probe()).unwrap(),
        "the tool cache holds the unpacked binary"
    );

    let second = f.run_action(&[]);
    second.assert_probe_ran();
    assert_eq!(
        f.server.requests().len(),
        1,
        "the second run downloaded again:\n{}",
        second.report()
    );
    assert!(
        second.stdout.contains("from the tool cache"),
        "{}",
        second.report()
    );
    assert!(!f.build_marker().exists());
}

#[test]
fn a_checksum_mismatch_fails_hard_and_runs_nothing() {
    let f = Fixture::released();
    // The server hands out a different program under the asset's name. Were it run, it would
    // leave a marker file.
    let marker = f.dir.path().join("impostor-ran");
    let impostor = f.dir.path().join("impostor");
    std::fs::write(
        &impostor,
        format!("#!/bin/sh\ntouch '{}'\n", marker.display()),
    )
    .unwrap();
    let packed = f.dir.path().join("impostor.gz");
    sh(Command::new("sh")
        .args(["-c", r#"gzip -9 -n -c "$1" > "$2""#, "sh"])
        .arg(&impostor)
        .arg(&packed));
    f.server
        .serve(&asset_name(), std::fs::read(&packed).unwrap());
    let expected = std::fs::read_to_string(f.checkout().join("dist/checksums.txt"))
        .unwrap()
        .lines()
        .find(|l| l.ends_with(&format!("  {}", asset_name())))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let actual = sh(Command::new("sha256sum").arg(&packed))
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();

    let run = f.run_action(&f.build_command_env());
    assert!(!run.success, "a mismatch must fail:\n{}", run.report());
    let error = run
        .stdout
        .lines()
        .find(|l| l.starts_with("::error"))
        .unwrap_or_else(|| panic!("no ::error annotation:\n{}", run.report()));
    for needle in [
        "checksum mismatch",
        asset_name().as_str(),
        expected.as_str(),
        actual.as_str(),
        "not run",
    ] {
        assert!(error.contains(needle), "'{needle}' missing from: {error}");
    }
    assert!(!marker.exists(), "the mismatching download was run");
    assert!(
        !f.cached_binary().exists(),
        "the mismatching download was cached"
    );
    assert!(
        !f.build_marker().exists(),
        "a mismatch is not a reason to build from source"
    );
    assert!(
        !run.outputs.contains("greeting"),
        "nothing may run:\n{}",
        run.report()
    );
}

#[test]
fn a_missing_asset_falls_back_to_a_source_build_with_a_warning() {
    let f = Fixture::released();
    f.server.files.lock().unwrap().clear();

    let run = f.run_action(&f.build_command_env());
    run.assert_probe_ran();
    let warning = run
        .stdout
        .lines()
        .find(|l| l.starts_with("::warning"))
        .unwrap_or_else(|| panic!("no ::warning annotation:\n{}", run.report()));
    assert!(
        warning.contains("building gantry-probe from source") && warning.contains("HTTP 404"),
        "{warning}"
    );
    assert!(f.build_marker().exists(), "the source build did not run");
    assert_eq!(f.server.requests().len(), 1);
    assert!(
        !f.cached_binary().exists(),
        "a source build is not a release binary: it must not enter the tool cache"
    );
}

#[test]
fn a_platform_the_release_has_no_binary_for_builds_from_source_without_downloading() {
    let f = Fixture::released();
    // The release lists the host's platform only.
    let other_arch = if host().1 == "X64" { "ARM64" } else { "X64" };
    let mut env = f.build_command_env();
    env.push(("RUNNER_ARCH", other_arch.into()));

    let run = f.run_action(&env);
    run.assert_probe_ran();
    assert!(
        run.stdout.contains("::warning") && run.stdout.contains("has no gantry-probe binary for"),
        "{}",
        run.report()
    );
    assert!(f.server.requests().is_empty(), "{:?}", f.server.requests());
}

#[test]
fn a_checkout_without_checksums_builds_from_source() {
    let f = Fixture::unreleased();
    let run = f.run_action(&f.build_command_env());
    run.assert_probe_ran();
    assert!(
        run.stdout.contains("::warning") && run.stdout.contains("not a release commit"),
        "{}",
        run.report()
    );
    assert!(f.server.requests().is_empty());
}

#[test]
fn a_failing_source_build_fails_with_what_to_do() {
    let f = Fixture::unreleased();
    let run = f.run_action(&[("GANTRY_BUILD_COMMAND", "exit 3".into())]);
    assert!(!run.success, "{}", run.report());
    assert!(
        run.stdout
            .contains("could not build gantry-probe from source (GANTRY_BUILD_COMMAND exited 3)")
            && run.stdout.contains("set GANTRY_BIN_DIR"),
        "{}",
        run.report()
    );
}

#[test]
fn a_tampered_cache_entry_is_replaced_by_a_verified_download() {
    let f = Fixture::released();
    f.run_action(&[]).assert_probe_ran();
    std::fs::write(f.cached_binary(), "#!/bin/sh\nexit 0\n").unwrap();

    let run = f.run_action(&[]);
    run.assert_probe_ran();
    assert!(
        run.stdout.contains("does not match the release checksum"),
        "{}",
        run.report()
    );
    assert_eq!(f.server.requests().len(), 2, "downloaded again");
    assert_eq!(
        std::fs::read(f.cached_binary()).unwrap(),
        std::fs::read(probe()).unwrap()
    );
}

#[test]
fn an_explicit_binary_directory_comes_first_and_downloads_nothing() {
    let f = Fixture::released();
    let run = f.run_action(&[("GANTRY_BIN_DIR", probe().parent().unwrap().into())]);
    run.assert_probe_ran();
    assert!(f.server.requests().is_empty());
    assert!(!f.cached_binary().exists());

    let empty = f.dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let run = f.run_action(&[("GANTRY_BIN_DIR", empty.clone().into())]);
    assert!(!run.success);
    assert!(
        run.stdout.contains("GANTRY_BIN_DIR is '") && run.stdout.contains("holds no gantry-probe"),
        "{}",
        run.report()
    );
}

#[test]
fn a_malformed_checksums_file_is_an_error_naming_the_line() {
    let f = Fixture::released();
    f.write_checksums("# version: 9.9.9\n# tag: v9.9.9\n# repository: a/b\nnot a checksum\n");
    let run = f.run_action(&f.build_command_env());
    assert!(!run.success);
    assert!(
        run.stdout.contains("checksums.txt line 4 is not"),
        "{}",
        run.report()
    );
    assert!(f.server.requests().is_empty());
}

/// The root action (`node scripts/action-shim.js`, also behind `scripts/install-binaries`):
/// every tool of the release into the tool cache, that directory on GITHUB_PATH and in the
/// `bin-dir` output; again from the cache without a download.
#[test]
fn the_root_action_installs_the_release_binaries_on_path() {
    let f = Fixture::released();
    let path_file = f.dir.path().join("github-path");
    std::fs::write(&path_file, "").unwrap();
    let env = [("GITHUB_PATH", path_file.clone().into_os_string())];
    let cache_dir = f.cached_binary().parent().unwrap().to_path_buf();

    let install = f.run(
        "bash",
        &[&f.checkout().join("scripts/install-binaries")],
        &env,
    );
    assert!(install.success, "{}", install.report());
    assert_eq!(
        install.outputs,
        format!("bin-dir={}\n", cache_dir.display()),
        "{}",
        install.report()
    );
    assert_eq!(
        std::fs::read_to_string(&path_file).unwrap(),
        format!("{}\n", cache_dir.display())
    );
    assert_eq!(f.server.requests().len(), 1);
    let contract = sh(Command::new(cache_dir.join(TOOL)).arg("--action-contract"));
    assert!(contract.contains("\"message\""), "{contract}");

    // What the runner runs for the root action.yml.
    let again = f.run(
        "node",
        &[&f.checkout().join("scripts/action-shim.js")],
        &env,
    );
    assert!(again.success, "{}", again.report());
    assert!(again.stdout.contains("from the tool cache"));
    assert_eq!(
        f.server.requests().len(),
        1,
        "the second install downloaded"
    );
}

#[test]
fn the_root_action_takes_its_bin_dir_input_as_it_is() {
    let f = Fixture::released();
    let path_file = f.dir.path().join("github-path");
    std::fs::write(&path_file, "").unwrap();
    let dir = probe().parent().unwrap().to_path_buf();
    let shim = f.checkout().join("scripts/action-shim.js");

    let run = f.run(
        "node",
        &[&shim],
        &[
            ("GITHUB_PATH", path_file.clone().into()),
            ("INPUT_BIN-DIR", format!("  {}  ", dir.display()).into()),
        ],
    );
    assert!(run.success, "{}", run.report());
    assert_eq!(run.outputs, format!("bin-dir={}\n", dir.display()));
    assert_eq!(
        std::fs::read_to_string(&path_file).unwrap(),
        format!("{}\n", dir.display())
    );
    assert!(f.server.requests().is_empty());

    let missing = f.dir.path().join("no-such-dir");
    let run = f.run(
        "node",
        &[&shim],
        &[("INPUT_BIN-DIR", missing.clone().into())],
    );
    assert!(!run.success);
    assert!(
        run.stdout.contains(&format!(
            "input 'bin-dir' is '{}', which is not a directory",
            missing.display()
        )),
        "{}",
        run.report()
    );
}

/// The root action.yml runs the same bootstrap with the runner's own node.
#[test]
fn the_root_action_runs_the_shim() {
    let text = std::fs::read_to_string(workspace_root().join("action.yml")).unwrap();
    assert!(text.contains("using: node24"), "{text}");
    assert!(text.contains("main: scripts/action-shim.js"), "{text}");
}

/// `@main` between releases still holds the last release's checksums: it runs that release's
/// binaries and says so; release tags, floating or not, run quietly.
#[test]
fn a_ref_that_is_not_a_release_is_told_which_release_it_runs() {
    let f = Fixture::released();
    for quiet in ["v9", "v9.9", "v9.9.9"] {
        let run = f.run_action(&[("GITHUB_ACTION_REF", quiet.into())]);
        run.assert_probe_ran();
        assert!(
            !run.stdout.contains("::warning"),
            "{quiet}: {}",
            run.report()
        );
    }
    let run = f.run_action(&[("GITHUB_ACTION_REF", "main".into())]);
    run.assert_probe_ran();
    assert!(
        run.stdout.contains(
            "::warning title=gantry::gantry@main is not a release: it runs the binaries of v9.9.9"
        ),
        "{}",
        run.report()
    );
    assert_eq!(f.server.requests().len(), 1, "one download, then the cache");
}

/// The root action.yml in a real workflow runner (act): `uses: ./` downloads and verifies the
/// release binaries, and a later `run:` step finds them on PATH.
#[test]
fn the_root_action_puts_the_binaries_on_path_in_a_workflow() {
    let f = Fixture::released();
    let root = workspace_root();
    let repo = GitRepo::new();
    repo.write(
        "action.yml",
        std::fs::read(root.join("action.yml")).unwrap(),
    )
    .write(
        "scripts/action-shim.js",
        std::fs::read(root.join("scripts/action-shim.js")).unwrap(),
    )
    .write(
        "dist/checksums.txt",
        std::fs::read(f.checkout().join("dist/checksums.txt")).unwrap(),
    )
    .write(
        ".github/workflows/root-action.yml",
        std::fs::read(root.join("tests/fixtures/bootstrap/root-action.yml")).unwrap(),
    );
    repo.commit("ci: root action");

    let run = Act::new(repo.path(), ".github/workflows/root-action.yml")
        .event("push")
        .env("GANTRY_RELEASE_BASE_URL", &f.server.base)
        .run();
    run.assert_success();
    let found = run
        .output("install", "probe", "found")
        .unwrap_or_else(|| panic!("no output found:\n{}", run.report()));
    let bin_dir = run.output("install", "probe", "bin-dir").unwrap();
    assert_eq!(
        Path::new(&found).parent().unwrap(),
        Path::new(&bin_dir),
        "{}",
        run.report()
    );
    // act keeps its own tool cache (RUNNER_TOOL_CACHE) in the run's temporary directory.
    assert!(
        bin_dir.ends_with(&format!("/tool_cache/gantry/{VERSION}/{}", host().2)),
        "{bin_dir}"
    );
    assert_eq!(
        f.server.requests(),
        [format!("/releases/download/v{VERSION}/{}", asset_name())]
    );
}

/// Windows assets carry `.exe` in both names (`<tool>-<version>-windows-x64.exe.gz`, the binary
/// inside `….exe`), and the cached binary is `<tool>.exe`: the shim and `scripts/release-assets`
/// agree. (The probe is this host's binary under a Windows name; only the names are at stake.)
#[test]
fn windows_assets_and_cache_entries_carry_exe() {
    let f = Fixture::unreleased();
    let bins = f.dir.path().join("windows-bin");
    std::fs::create_dir_all(&bins).unwrap();
    std::fs::copy(probe(), bins.join(format!("{TOOL}.exe"))).unwrap();
    let assets = f.dir.path().join("assets");
    let release_assets = workspace_root().join("scripts/release-assets");
    sh(Command::new(&release_assets)
        .args(["pack", VERSION, "windows-x64"])
        .arg(&bins)
        .arg(&assets)
        .arg(TOOL));
    f.write_checksums(&sh(Command::new(&release_assets)
        .args(["checksums", VERSION, &format!("v{VERSION}"), "a/b"])
        .arg(&assets)));
    let asset = format!("{TOOL}-{VERSION}-windows-x64.exe.gz");
    f.server
        .serve(&asset, std::fs::read(assets.join(&asset)).unwrap());

    let env = [
        ("RUNNER_OS", OsString::from("Windows")),
        ("RUNNER_ARCH", OsString::from("X64")),
    ];
    let run = f.run_action(&env);
    run.assert_probe_ran();
    assert_eq!(
        f.server.requests(),
        [format!("/releases/download/v{VERSION}/{asset}")]
    );
    let cached = f
        .tool_cache()
        .join(format!("gantry/{VERSION}/windows-x64/{TOOL}.exe"));
    assert!(cached.exists(), "{}", run.report());
    f.run_action(&env).assert_probe_ran();
    assert_eq!(
        f.server.requests().len(),
        1,
        "the cache serves the second run"
    );
}

/// Without GANTRY_BUILD_COMMAND the source build is cargo, for the tool's binary in this
/// checkout's workspace, into RUNNER_TEMP. (A stand-in `cargo` first on PATH records its
/// arguments and leaves the probe where cargo would.)
#[test]
fn the_default_source_build_is_cargo_for_the_tool() {
    let f = Fixture::unreleased();
    let fake = f.dir.path().join("fake-cargo");
    std::fs::create_dir_all(&fake).unwrap();
    let args_file = f.dir.path().join("cargo-args");
    let script = format!(
        "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\nwhile [ \"$1\" != --target-dir ]; do shift; done\nmkdir -p \"$2/release\" && cp '{}' \"$2/release/\"\n",
        args_file.display(),
        probe().display()
    );
    let cargo = fake.join("cargo");
    std::fs::write(&cargo, script).unwrap();
    sh(Command::new("chmod").arg("+x").arg(&cargo));
    let path = std::env::join_paths(
        std::iter::once(fake.clone())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();

    let run = f.run_action(&[("PATH", path)]);
    run.assert_probe_ran();
    let args = std::fs::read_to_string(&args_file).unwrap();
    let manifest = f.checkout().join("Cargo.toml");
    let target = f.dir.path().join("runner-temp/gantry-build");
    let expected = [
        "build",
        "--release",
        "--locked",
        "--workspace",
        "--bin",
        TOOL,
        "--manifest-path",
        manifest.to_str().unwrap(),
        "--target-dir",
        target.to_str().unwrap(),
    ];
    assert_eq!(args.lines().collect::<Vec<_>>(), expected);
}

/// The runner cancels a step by signalling the node process: the shim passes SIGTERM on to the
/// tool (which stops cleanly) and exits with the tool's status, instead of dying and orphaning it.
#[test]
fn sigterm_to_the_action_reaches_the_tool() {
    let f = Fixture::unreleased();
    let bins = f.dir.path().join("trap-bin");
    std::fs::create_dir_all(&bins).unwrap();
    let started = f.dir.path().join("started");
    let stopped = f.dir.path().join("stopped");
    let tool = bins.join(TOOL);
    std::fs::write(
        &tool,
        format!(
            "#!/bin/sh\ntrap 'echo TERM > \"{}\"; exit 7' TERM\ntouch \"{}\"\nwhile :; do sleep 0.05; done\n",
            stopped.display(),
            started.display()
        ),
    )
    .unwrap();
    sh(Command::new("chmod").arg("+x").arg(&tool));

    let mut child = Command::new("node")
        .arg(f.checkout().join("actions/probe/index.js"))
        .env("GANTRY_BIN_DIR", &bins)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("node");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !started.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the tool never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    sh(Command::new("kill").args(["-TERM", &child.id().to_string()]));
    let status = child.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(7),
        "the tool's exit status passes through"
    );
    assert_eq!(std::fs::read_to_string(&stopped).unwrap(), "TERM\n");
}

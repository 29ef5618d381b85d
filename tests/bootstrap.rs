//! The binary bootstrap every action runs (`actions/shim.js`): release assets served by the
//! loopback stand-in of GitHub's asset host, packed with the release workflow's own
//! `scripts/release-assets` from the `gantry-probe` fixture binary (released under the name
//! `paths-filter`, since the shim runs only gantry's five tools), in a fake checkout of gantry
//! (the shim, `dist/checksums.txt`, an action folder).
//!
//! A good asset is verified, cached and run from a private copy; a second run uses the cache.
//! A listed asset that is wrong, missing, short or too long fails hard: nothing runs and nothing
//! is built. Only a platform the release does not list, or a checkout that is no release,
//! builds from source, and that build sees none of the job's secrets. A swapped cache file is
//! never run and a symlinked cache directory is not used. The root action is the same code.
// Needs the local services of scripts/services (scripts/test enables the feature); Unix only.
#![cfg(all(unix, feature = "local-services"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use gantry_testkit::{Act, Delivery, GitRepo, ReleasesStandIn, workspace_root};
use tempfile::TempDir;

const VERSION: &str = "9.9.9";
const TAG: &str = "v9.9.9";
/// The probe binary is released under this tool's name.
const TOOL: &str = "paths-filter";
const REPOSITORY: &str = "gantry-actions/gantry";

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

fn download_path(asset: &str) -> String {
    format!("/{REPOSITORY}/releases/download/{TAG}/{asset}")
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
        let bins = dir.path().join("bins");
        std::fs::create_dir_all(&bins).unwrap();
        std::fs::copy(probe(), bins.join(TOOL)).unwrap();
        let assets = dir.path().join("assets");
        let release_assets = workspace_root().join("scripts/release-assets");
        sh(Command::new(&release_assets)
            .args(["pack", VERSION, &host().2])
            .arg(&bins)
            .arg(&assets)
            .arg(TOOL));
        let checksums = sh(Command::new(&release_assets)
            .args(["checksums", VERSION, TAG, REPOSITORY])
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

    /// The file the probe ran from, as it says.
    fn ran_from(&self) -> PathBuf {
        let line = self
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix("gantry-probe runs from "))
            .unwrap_or_else(|| {
                panic!(
                    "the probe did not say where it ran from:\n{}",
                    self.report()
                )
            });
        PathBuf::from(line)
    }

    fn error(&self) -> &str {
        self.stdout
            .lines()
            .find(|l| l.starts_with("::error"))
            .unwrap_or_else(|| panic!("no ::error annotation:\n{}", self.report()))
    }
}

/// A fake checkout of gantry at a release commit, its release on the stand-in, a tool cache.
struct Fixture {
    dir: TempDir,
    server: ReleasesStandIn,
    runs: std::cell::Cell<usize>,
}

impl Fixture {
    /// The checkout with the shim and the probe's action folder, the assets packed by
    /// `scripts/release-assets` and served, and `dist/checksums.txt` as the release commits it.
    fn released() -> Self {
        let f = Self::unreleased();
        let (asset, checksums) = host_release();
        f.write_checksums(checksums);
        f.server.publish(TAG, vec![(asset_name(), asset.clone())]);
        f
    }

    /// A checkout that is not a release commit: no dist/checksums.txt.
    fn unreleased() -> Self {
        let f = Fixture {
            dir: TempDir::new().unwrap(),
            server: ReleasesStandIn::start(REPOSITORY, "unused"),
            runs: std::cell::Cell::new(0),
        };
        let root = workspace_root();
        let checkout = f.checkout();
        for (from, to) in [
            ("actions/shim.js", "actions/shim.js"),
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
            .env("GANTRY_RELEASE_BASE_URL", self.server.download_base())
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
    /// A source build that copies the probe binary where the build must leave it, and leaves
    /// a marker so that the test knows it ran. The paths are in the command itself: a source
    /// build sees only the allow-listed environment.
    fn build_command_env(&self) -> Vec<(&'static str, OsString)> {
        vec![(
            "GANTRY_BUILD_COMMAND",
            format!(
                r#"test "$GANTRY_BUILD_TOOLS" = {TOOL} && mkdir -p "$GANTRY_BUILD_OUT" && cp '{}' "$GANTRY_BUILD_OUT/{TOOL}" && echo built > '{}'"#,
                probe().display(),
                self.build_marker().display()
            )
            .into(),
        )]
    }

    fn build_marker(&self) -> PathBuf {
        self.dir.path().join("source-build-ran")
    }

    fn runner_temp(&self) -> PathBuf {
        self.dir.path().join("runner-temp")
    }

    /// The private directories the shim made in RUNNER_TEMP that are still there.
    fn private_dirs(&self) -> Vec<PathBuf> {
        let Ok(entries) = std::fs::read_dir(self.runner_temp()) else {
            return Vec::new();
        };
        entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("gantry-") && n != "gantry-build")
            })
            .collect()
    }
}

#[test]
fn a_good_asset_is_verified_cached_and_run_from_a_private_copy_and_the_second_run_downloads_nothing()
 {
    let f = Fixture::released();

    let first = f.run_action(&[]);
    first.assert_probe_ran();
    assert_eq!(
        f.server.downloads(),
        [download_path(&asset_name())],
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
    // What ran is a copy in a directory of its own under RUNNER_TEMP, not the cache's file,
    // and it is gone once the tool is done.
    let ran = first.ran_from();
    assert!(
        ran.starts_with(f.runner_temp()) && ran != f.cached_binary(),
        "{}",
        ran.display()
    );
    assert!(f.private_dirs().is_empty(), "{:?}", f.private_dirs());

    let second = f.run_action(&[]);
    second.assert_probe_ran();
    assert_eq!(
        f.server.downloads().len(),
        1,
        "the second run downloaded again:\n{}",
        second.report()
    );
    assert!(
        second.stdout.contains("from the tool cache, verified"),
        "{}",
        second.report()
    );
    assert_ne!(second.ran_from(), f.cached_binary());
    assert!(!f.build_marker().exists());
}

/// The shim writes the copy that runs into a fresh directory that only this user can enter.
#[test]
fn the_private_copy_lives_in_a_directory_only_this_user_can_enter() {
    use std::os::unix::fs::PermissionsExt;
    let f = Fixture::released();
    let install = f.run("node", &[&f.checkout().join("actions/shim.js")], &[]);
    assert!(install.success, "{}", install.report());
    let dirs = f.private_dirs();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    let meta = std::fs::symlink_metadata(&dirs[0]).unwrap();
    assert!(meta.is_dir() && !meta.file_type().is_symlink());
    assert_eq!(meta.permissions().mode() & 0o777, 0o700);
    assert_eq!(
        std::fs::read(dirs[0].join(TOOL)).unwrap(),
        std::fs::read(probe()).unwrap()
    );
}

/// Builds an executable shell script that, if ever run, leaves `marker`; packed like an asset.
fn impostor(f: &Fixture, marker: &Path) -> (PathBuf, Vec<u8>) {
    let impostor = f.dir.path().join("impostor");
    std::fs::write(
        &impostor,
        format!("#!/bin/sh\ntouch '{}'\n", marker.display()),
    )
    .unwrap();
    sh(Command::new("chmod").arg("+x").arg(&impostor));
    let packed = f.dir.path().join("impostor.gz");
    sh(Command::new("sh")
        .args(["-c", r#"gzip -9 -n -c "$1" > "$2""#, "sh"])
        .arg(&impostor)
        .arg(&packed));
    (impostor, std::fs::read(&packed).unwrap())
}

#[test]
fn a_checksum_mismatch_fails_hard_and_runs_nothing() {
    let f = Fixture::released();
    // The host hands out a different program under the asset's name.
    let marker = f.dir.path().join("impostor-ran");
    let (_, packed) = impostor(&f, &marker);
    f.server.put_asset(TAG, &asset_name(), packed.clone());
    let expected = std::fs::read_to_string(f.checkout().join("dist/checksums.txt"))
        .unwrap()
        .lines()
        .find(|l| l.ends_with(&format!("  {}", asset_name())))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let packed_file = f.dir.path().join("served.gz");
    std::fs::write(&packed_file, &packed).unwrap();
    let actual = sh(Command::new("sha256sum").arg(&packed_file))
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();

    let run = f.run_action(&f.build_command_env());
    assert!(!run.success, "a mismatch must fail:\n{}", run.report());
    let error = run.error();
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
    assert!(!run.outputs.contains("greeting"), "{}", run.report());
}

/// A platform the checksums list must download: a 404 there is a broken release or mirror,
/// never a reason to build from source on the runner.
#[test]
fn a_listed_asset_that_answers_404_fails_hard_naming_it() {
    let f = Fixture::released();
    f.server.clear_assets(TAG);

    let run = f.run_action(&f.build_command_env());
    assert!(!run.success, "{}", run.report());
    let error = run.error();
    assert!(
        error.contains(&format!("release asset {}", asset_name()))
            && error.contains("HTTP 404")
            && error.contains("lists it for this platform"),
        "{error}"
    );
    assert!(!f.build_marker().exists(), "a listed asset never builds");
    assert!(!run.outputs.contains("greeting"));
    assert_eq!(f.server.downloads().len(), 1, "a 404 is not retried");
}

/// The connection closes before the declared length: retried, then a hard failure naming the
/// asset; nothing is unpacked, cached, run or built.
#[test]
fn a_short_read_of_a_listed_asset_fails_hard_naming_it() {
    let f = Fixture::released();
    f.server.set_delivery(Delivery::Truncated);

    let run = f.run_action(&f.build_command_env());
    assert!(!run.success, "{}", run.report());
    let error = run.error();
    assert!(
        error.contains(&format!("cannot download release asset {}", asset_name()))
            && error.contains("after 3 attempts")
            && (error.contains("short read") || error.contains("broke off")),
        "{error}"
    );
    assert_eq!(f.server.downloads().len(), 3, "{:?}", f.server.downloads());
    assert!(!f.build_marker().exists());
    assert!(!f.cached_binary().exists());
    assert!(!run.outputs.contains("greeting"));
}

/// More bytes than a binary can be are refused while they stream in: whether the host
/// declares the length or sends chunks without one.
#[test]
fn an_over_long_download_is_refused_while_streaming() {
    let f = Fixture::released();
    let (asset, _) = host_release();
    let cap = (asset.len() / 2).to_string();
    for delivery in [Delivery::Whole, Delivery::Chunked] {
        f.server.set_delivery(delivery);
        let mut env = f.build_command_env();
        env.push(("GANTRY_MAX_ASSET_BYTES", cap.clone().into()));
        let run = f.run_action(&env);
        assert!(!run.success, "{delivery:?}: {}", run.report());
        let error = run.error();
        assert!(
            error.contains(&format!("release asset {}", asset_name()))
                && error.contains("more than a gantry binary can be"),
            "{delivery:?}: {error}"
        );
        assert!(!f.build_marker().exists());
        assert!(!f.cached_binary().exists());
    }
    // The setting only lowers the cap: a huge value keeps the built-in one and the asset runs.
    f.server.set_delivery(Delivery::Whole);
    f.run_action(&[("GANTRY_MAX_ASSET_BYTES", "999999999999".into())])
        .assert_probe_ran();
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
        run.stdout.contains("::warning") && run.stdout.contains("has no paths-filter binary for"),
        "{}",
        run.report()
    );
    assert!(
        f.server.downloads().is_empty(),
        "{:?}",
        f.server.downloads()
    );
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
    assert!(f.server.downloads().is_empty());
    // The build's output is copied, not run where the build left it.
    assert!(run.ran_from().starts_with(f.runner_temp()));
    assert!(
        !run.ran_from()
            .starts_with(f.runner_temp().join("gantry-build"))
    );
}

/// A source build runs code from hundreds of crates' build scripts: it sees the allow-listed
/// environment (PATH, HOME, ...) and none of the job's inputs, tokens or cloud keys.
#[test]
fn a_source_build_cannot_see_the_jobs_secrets() {
    let f = Fixture::unreleased();
    let seen = f.dir.path().join("build-env");
    let mut env = f.build_command_env();
    let command = format!(
        "env > '{}' && {}",
        seen.display(),
        env[0].1.to_str().unwrap()
    );
    env[0].1 = command.into();
    let secrets = [
        ("INPUT_TOKEN", "ghs_input_token_value"),
        ("GITHUB_TOKEN", "ghs_github_token_value"),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "oidc_request_token_value"),
        ("ACTIONS_RUNTIME_TOKEN", "runtime_token_value"),
        ("AWS_SECRET_ACCESS_KEY", "aws_secret_value"),
        ("AWS_SESSION_TOKEN", "aws_session_value"),
    ];
    for (k, v) in secrets {
        env.push((k, v.into()));
    }
    let run = f.run_action(&env);
    run.assert_probe_ran();
    let dumped = std::fs::read_to_string(&seen).unwrap();
    assert!(
        dumped.contains("PATH=") && dumped.contains("GANTRY_BUILD_OUT="),
        "{dumped}"
    );
    for (name, value) in secrets {
        assert!(
            !dumped.contains(name) && !dumped.contains(value),
            "the source build saw {name}:\n{dumped}"
        );
    }
    // Nor the rest of the job: its outputs file, the runner's variables.
    for name in ["GITHUB_OUTPUT=", "RUNNER_TEMP=", "INPUT_MESSAGE="] {
        assert!(
            !dumped.contains(name),
            "the source build saw {name}:\n{dumped}"
        );
    }
    // The tool itself still gets its inputs.
    assert!(run.outputs.contains("hello bootstrap"));
}

#[test]
fn a_failing_source_build_fails_with_what_to_do() {
    let f = Fixture::unreleased();
    let run = f.run_action(&[("GANTRY_BUILD_COMMAND", "exit 3".into())]);
    assert!(!run.success, "{}", run.report());
    assert!(
        run.stdout
            .contains("could not build paths-filter from source (GANTRY_BUILD_COMMAND exited 3)")
            && run.stdout.contains("set GANTRY_BIN_DIR"),
        "{}",
        run.report()
    );
}

/// Someone swaps the cached binary for another program: the shim hashes what it read, finds
/// the difference, downloads and verifies again, and runs only the verified bytes.
#[test]
fn a_swapped_cache_file_is_never_run_and_is_replaced() {
    let f = Fixture::released();
    f.run_action(&[]).assert_probe_ran();
    let marker = f.dir.path().join("swapped-ran");
    let (impostor, _) = impostor(&f, &marker);
    std::fs::copy(&impostor, f.cached_binary()).unwrap();

    let run = f.run_action(&[]);
    run.assert_probe_ran();
    assert!(
        run.stdout.contains("does not match the release checksum"),
        "{}",
        run.report()
    );
    assert!(!marker.exists(), "the swapped file ran");
    assert_eq!(f.server.downloads().len(), 2, "downloaded again");
    assert_eq!(
        std::fs::read(f.cached_binary()).unwrap(),
        std::fs::read(probe()).unwrap()
    );
}

/// The cache directory gantry owns is a symbolic link (to a directory someone else prepared):
/// it is not read from nor written to; the binary is downloaded, verified and run anyway.
#[test]
fn a_symlinked_cache_directory_is_not_used() {
    let f = Fixture::released();
    let elsewhere = f.dir.path().join("prepared-elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let marker = f.dir.path().join("planted-ran");
    let (impostor, _) = impostor(&f, &marker);
    std::fs::copy(&impostor, elsewhere.join(TOOL)).unwrap();
    let cache_dir = f.cached_binary().parent().unwrap().to_path_buf();
    std::fs::create_dir_all(cache_dir.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &cache_dir).unwrap();

    let run = f.run_action(&[]);
    run.assert_probe_ran();
    assert!(
        run.stdout.contains("not using the tool cache")
            && run.stdout.contains("is a symbolic link"),
        "{}",
        run.report()
    );
    assert!(!marker.exists(), "the planted file ran");
    assert_eq!(f.server.downloads().len(), 1);
    assert_eq!(
        std::fs::read(elsewhere.join(TOOL)).unwrap(),
        std::fs::read(&impostor).unwrap(),
        "nothing was written through the link"
    );
}

/// A runner whose umask is 002 makes the cache directories group-writable: the shim takes
/// those bits away from its own directories instead of refusing the cache forever.
#[test]
fn a_group_writable_cache_directory_of_ours_is_tightened_and_used() {
    use std::os::unix::fs::PermissionsExt;
    let f = Fixture::released();
    f.run_action(&[]).assert_probe_ran();
    let cache_dir = f.cached_binary().parent().unwrap().to_path_buf();
    std::fs::set_permissions(&cache_dir, std::fs::Permissions::from_mode(0o775)).unwrap();

    let run = f.run_action(&[]);
    run.assert_probe_ran();
    assert!(
        !run.stdout.contains("not using the tool cache"),
        "{}",
        run.report()
    );
    assert!(
        run.stdout.contains("from the tool cache, verified"),
        "{}",
        run.report()
    );
    let mode = std::fs::metadata(&cache_dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o755);
    assert_eq!(f.server.downloads().len(), 1);
}

#[test]
fn an_explicit_binary_directory_comes_first_and_downloads_nothing() {
    let f = Fixture::released();
    let bins = f.dir.path().join("explicit");
    std::fs::create_dir_all(&bins).unwrap();
    std::fs::copy(probe(), bins.join(TOOL)).unwrap();
    let run = f.run_action(&[("GANTRY_BIN_DIR", bins.clone().into())]);
    run.assert_probe_ran();
    assert_eq!(run.ran_from(), bins.join(TOOL));
    assert!(f.server.downloads().is_empty());
    assert!(!f.cached_binary().exists());

    let empty = f.dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let run = f.run_action(&[("GANTRY_BIN_DIR", empty.clone().into())]);
    assert!(!run.success);
    assert!(
        run.stdout.contains("GANTRY_BIN_DIR is '") && run.stdout.contains("holds no paths-filter"),
        "{}",
        run.report()
    );
}

/// What the checksums file must say, each bad form with the line or field it names.
#[test]
fn a_malformed_checksums_file_is_an_error_naming_what_is_wrong() {
    let table = [
        (
            "# version: 9.9.9\n# tag: v9.9.9\n# repository: a/b\nnot a checksum\n",
            "checksums.txt line 4 is not",
        ),
        (
            "# version: latest\n# tag: vlatest\n# repository: a/b\n",
            "names version 'latest', which is not a semantic version",
        ),
        (
            "# version: 9.9.9\n# tag: v9.9.8\n# repository: a/b\n",
            "names tag 'v9.9.8' for version 9.9.9",
        ),
        (
            "# version: 9.9.9\n# tag: v9.9.9\n# repository: ../../evil\n",
            "names repository '../../evil', which is not owner/name",
        ),
    ];
    let f = Fixture::released();
    for (text, needle) in table {
        f.write_checksums(text);
        let run = f.run_action(&f.build_command_env());
        assert!(!run.success, "{text}");
        assert!(run.error().contains(needle), "{needle}: {}", run.report());
        assert!(f.server.downloads().is_empty());
        assert!(!f.build_marker().exists());
    }
}

/// Only gantry's own five tools run: an action (or `install-binaries`) naming anything else is
/// refused before anything is read or fetched.
#[test]
fn only_the_five_tools_are_run_or_installed() {
    let f = Fixture::released();
    let index = f.checkout().join("actions/probe/index.js");
    std::fs::write(
        &index,
        "\"use strict\";\nrequire(\"../shim.js\").run(\"../../bin/sh\");\n",
    )
    .unwrap();
    let run = f.run_action(&[]);
    assert!(!run.success);
    assert!(
        run.error().contains("'../../bin/sh' is not a gantry tool: valid tools are paths-filter, semantic-version, ecr-push, ecs-rollout, canary-gate, gitops-update"),
        "{}",
        run.report()
    );
    let install = f.run(
        "bash",
        &[
            &f.checkout().join("scripts/install-binaries"),
            Path::new("gantry-probe"),
        ],
        &[],
    );
    assert!(!install.success);
    assert!(
        install
            .error()
            .contains("'gantry-probe' is not a gantry tool"),
        "{}",
        install.report()
    );
    assert!(f.server.downloads().is_empty());
}

/// The root action (`node actions/shim.js`, also behind `scripts/install-binaries`): every
/// tool of the release, verified, into a private directory on GITHUB_PATH and in the `bin-dir`
/// output; again from the cache without a download.
#[test]
fn the_root_action_installs_the_release_binaries_on_path() {
    let f = Fixture::released();
    let path_file = f.dir.path().join("github-path");
    std::fs::write(&path_file, "").unwrap();
    let env = [("GITHUB_PATH", path_file.clone().into_os_string())];

    let install = f.run(
        "bash",
        &[&f.checkout().join("scripts/install-binaries")],
        &env,
    );
    assert!(install.success, "{}", install.report());
    let dirs = f.private_dirs();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    let bin_dir = &dirs[0];
    assert_eq!(
        install.outputs,
        format!("bin-dir={}\n", bin_dir.display()),
        "{}",
        install.report()
    );
    assert_eq!(
        std::fs::read_to_string(&path_file).unwrap(),
        format!("{}\n", bin_dir.display())
    );
    assert_eq!(f.server.downloads().len(), 1);
    let contract = sh(Command::new(bin_dir.join(TOOL)).arg("--action-contract"));
    assert!(contract.contains("\"message\""), "{contract}");

    // What the runner runs for the root action.yml.
    let again = f.run("node", &[&f.checkout().join("actions/shim.js")], &env);
    assert!(again.success, "{}", again.report());
    assert!(again.stdout.contains("from the tool cache, verified"));
    assert_eq!(
        f.server.downloads().len(),
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
    let shim = f.checkout().join("actions/shim.js");

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
    assert!(f.server.downloads().is_empty());

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
    assert!(text.contains("main: actions/shim.js"), "{text}");
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
        "actions/shim.js",
        std::fs::read(root.join("actions/shim.js")).unwrap(),
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
        .env("GANTRY_RELEASE_BASE_URL", f.server.download_base())
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
    // A private directory in the job's RUNNER_TEMP, not the tool cache.
    assert!(
        Path::new(&bin_dir)
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("gantry-")),
        "{bin_dir}"
    );
    assert!(!bin_dir.contains("tool_cache"), "{bin_dir}");
    assert_eq!(f.server.downloads(), [download_path(&asset_name())]);
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
        .args(["checksums", VERSION, TAG, REPOSITORY])
        .arg(&assets)));
    let asset = format!("{TOOL}-{VERSION}-windows-x64.exe.gz");
    f.server.publish(
        TAG,
        vec![(asset.clone(), std::fs::read(assets.join(&asset)).unwrap())],
    );

    let env = [
        ("RUNNER_OS", OsString::from("Windows")),
        ("RUNNER_ARCH", OsString::from("X64")),
    ];
    let run = f.run_action(&env);
    run.assert_probe_ran();
    assert_eq!(f.server.downloads(), [download_path(&asset)]);
    let cached = f
        .tool_cache()
        .join(format!("gantry/{VERSION}/windows-x64/{TOOL}.exe"));
    assert!(cached.exists(), "{}", run.report());
    assert!(run.ran_from().ends_with(format!("{TOOL}.exe")));
    f.run_action(&env).assert_probe_ran();
    assert_eq!(
        f.server.downloads().len(),
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
        "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\nwhile [ \"$1\" != --target-dir ]; do shift; done\nmkdir -p \"$2/release\" && cp '{}' \"$2/release/{TOOL}\"\n",
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

    let run = f.run_action(&[("PATH", path), ("INPUT_TOKEN", "secret".into())]);
    run.assert_probe_ran();
    let args = std::fs::read_to_string(&args_file).unwrap();
    let manifest = f.checkout().join("Cargo.toml");
    let target = f.runner_temp().join("gantry-build");
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

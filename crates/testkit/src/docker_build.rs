//! What a test needs to run `docker build` with `RUN` steps on this machine's engine: nothing
//! can be pulled, so the base image is the host's own `dash` and C library, imported once;
//! and the engine has no bridge network, so builds run with `--network=none`.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::Services;

/// The base image's name.
pub const SHELL_IMAGE: &str = "gantry-test/sh:1";

/// Imports [`SHELL_IMAGE`] (once per test process): `/bin/sh` (the host's dash), the C library
/// it needs, and an empty `/run/secrets` for BuildKit secret mounts. Its name.
pub fn shell_base_image() -> &'static str {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("a temporary directory: {e}"));
        let root = dir.path().join("root");
        for (from, to) in [
            ("/bin/dash", "bin/sh"),
            (
                "/lib/x86_64-linux-gnu/libc.so.6",
                "lib/x86_64-linux-gnu/libc.so.6",
            ),
            ("/lib64/ld-linux-x86-64.so.2", "lib64/ld-linux-x86-64.so.2"),
        ] {
            let to = root.join(to);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent)
                    .unwrap_or_else(|e| panic!("cannot create {}: {e}", parent.display()));
            }
            std::fs::copy(from, &to)
                .unwrap_or_else(|e| panic!("this test needs {from} (x86_64 Linux): {e}"));
        }
        std::fs::create_dir_all(root.join("run/secrets"))
            .unwrap_or_else(|e| panic!("cannot create run/secrets: {e}"));
        let tar = dir.path().join("base.tar");
        let status = Command::new("tar")
            .arg("-C")
            .arg(&root)
            .arg("-cf")
            .arg(&tar)
            .arg(".")
            .status()
            .unwrap_or_else(|e| panic!("cannot run tar: {e}"));
        assert!(status.success(), "tar failed for the base image");
        let out = Services::get()
            .docker_command()
            .arg("import")
            .arg(&tar)
            .arg(SHELL_IMAGE)
            .output()
            .unwrap_or_else(|e| panic!("cannot run docker import: {e}"));
        assert!(
            out.status.success(),
            "docker import: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
    SHELL_IMAGE
}

/// A `docker` in `dir` that is the real CLI with `--network=none` after `build`; `before_build`
/// (shell lines) runs first when the command is `build`. Its path.
pub fn docker_without_network(dir: &Path, before_build: &str) -> PathBuf {
    let docker = Services::get().docker().display().to_string();
    let path = dir.join("docker-net-none");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\nif [ \"$1\" = build ]; then\n{before_build}shift\nexec {docker} build --network=none \"$@\"\nfi\nexec {docker} \"$@\"\n"
        ),
    )
    .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("cannot make {} executable: {e}", path.display()));
    path
}

//! Shared parts of the ecr-push integration tests: a job running the binary against moto (ECR's
//! API) and the local registry (the data plane), OCI layouts made on the spot, and direct
//! clients to check what the tool did.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use ecr_push::image::{OCI_CONFIG, OCI_INDEX, OCI_LAYER_GZIP, OCI_MANIFEST, sha256_digest};
use ecr_push::push::{OciRegistry, Registry};
use gantry_testkit::{Services, ToolJob};

pub const SHA: &str = "0123456789abcdef0123456789abcdef01234567";
/// moto's password for its default account (`<account>-auth-token`).
pub const MOTO_PASSWORD: &str = "123456789012-auth-token";
pub const ACCOUNT: &str = "123456789012";

/// A repository name no other test (or helper sharing moto) uses.
pub fn unique_repo(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "gantry-test/{prefix}-{}-{}-{}",
        std::process::id(),
        nanos % 1_000_000_000,
        N.fetch_add(1, Ordering::SeqCst)
    )
}

pub struct Job {
    pub tool: ToolJob,
    pub workspace: tempfile::TempDir,
}

impl Job {
    pub fn new() -> Job {
        Job {
            tool: ToolJob::new(env!("CARGO_BIN_EXE_ecr-push")),
            workspace: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.workspace.path()
    }

    /// The binary as a step with moto as AWS, the local registry as the data plane, on a push
    /// to `main` of commit [`SHA`].
    pub fn command(&self) -> Command {
        let services = Services::get();
        let mut cmd = self.tool.command(self.workspace.path());
        for (k, v) in services.aws_env() {
            cmd.env(k, v);
        }
        cmd.env("GITHUB_SHA", SHA)
            .env("GITHUB_REF", "refs/heads/main")
            .env("GITHUB_REF_NAME", "main")
            .env("GITHUB_REPOSITORY", "octo/app")
            .env("GITHUB_SERVER_URL", "https://github.com")
            .env(
                "INPUT_REGISTRY-ENDPOINT",
                format!("http://{}", services.registry()),
            );
        cmd
    }

    pub fn run(&self, inputs: &[(&str, &str)]) -> Output {
        let mut cmd = self.command();
        ToolJob::inputs(&mut cmd, inputs);
        ToolJob::run(&mut cmd)
    }

    pub fn output(&self, name: &str) -> String {
        self.tool
            .output(name)
            .unwrap_or_else(|| panic!("no output {name}: {:?}", self.tool.outputs()))
    }
}

pub fn printed(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Asserts success and returns what was printed.
pub fn ok(out: &Output) -> String {
    let text = printed(out);
    assert!(out.status.success(), "the run failed:\n{text}");
    text
}

/// Asserts failure and returns what was printed.
pub fn failed(out: &Output) -> String {
    let text = printed(out);
    assert!(!out.status.success(), "the run should have failed:\n{text}");
    text
}

/// Deterministic pseudo-random bytes (xorshift), so a layout is the same for the same seed.
pub fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

fn write_blob(dir: &Path, data: &[u8]) -> (String, usize) {
    let digest = sha256_digest(data);
    let path = dir
        .join("blobs/sha256")
        .join(digest.trim_start_matches("sha256:"));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, data).unwrap();
    (digest, data.len())
}

/// One image manifest (config + `layers` blobs of `size` bytes) written into the layout at
/// `dir`; returns (digest, size, bytes) of the manifest.
pub fn write_image(
    dir: &Path,
    seed: u64,
    layers: usize,
    size: usize,
    arch: &str,
) -> (String, usize) {
    let mut descriptors = Vec::new();
    let mut diff_ids = Vec::new();
    for i in 0..layers {
        let data = bytes(seed * 1000 + i as u64, size);
        let (digest, len) = write_blob(dir, &data);
        diff_ids.push(digest.clone());
        descriptors
            .push(serde_json::json!({"mediaType": OCI_LAYER_GZIP, "digest": digest, "size": len}));
    }
    let config = serde_json::json!({
        "architecture": arch, "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "config": {"Labels": {"seed": seed.to_string()}}
    });
    let (cdigest, clen) = write_blob(dir, config.to_string().as_bytes());
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": cdigest, "size": clen},
        "layers": descriptors,
    });
    write_blob(dir, manifest.to_string().as_bytes())
}

fn write_index_json(dir: &Path, entries: Vec<serde_json::Value>) {
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let index =
        serde_json::json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries});
    std::fs::write(dir.join("index.json"), index.to_string()).unwrap();
}

/// An OCI layout of one image; returns its manifest digest.
pub fn layout(dir: &Path, seed: u64, layers: usize, size: usize) -> String {
    let (digest, len) = write_image(dir, seed, layers, size, "amd64");
    write_index_json(
        dir,
        vec![serde_json::json!({"mediaType": OCI_MANIFEST, "digest": digest, "size": len})],
    );
    digest
}

/// An OCI layout of a two-platform index; returns the index digest.
pub fn multiarch_layout(dir: &Path, seed: u64) -> String {
    let mut entries = Vec::new();
    for (i, arch) in ["amd64", "arm64"].iter().enumerate() {
        let (digest, len) = write_image(dir, seed + i as u64, 2, 1000, arch);
        entries.push(serde_json::json!({
            "mediaType": OCI_MANIFEST, "digest": digest, "size": len,
            "platform": {"os": "linux", "architecture": arch}
        }));
    }
    let index =
        serde_json::json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries});
    let (digest, len) = write_blob(dir, index.to_string().as_bytes());
    write_index_json(
        dir,
        vec![serde_json::json!({"mediaType": OCI_INDEX, "digest": digest, "size": len})],
    );
    digest
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The digest a tag names in the local registry, read directly (not through the tool).
pub fn registry_digest(repository: &str, tag: &str) -> Option<String> {
    let registry = Services::get().registry();
    runtime().block_on(async {
        let r = OciRegistry::connect(
            &registry,
            repository,
            true,
            None,
            std::time::Duration::from_secs(30),
            1,
            0,
        )
        .await
        .unwrap();
        r.manifest_digest(tag).await.unwrap()
    })
}

/// An ECR client on moto.
pub fn ecr() -> aws_sdk_ecr::Client {
    let url = Services::get().moto_url();
    let conf = aws_sdk_ecr::Config::builder()
        .behavior_version(aws_sdk_ecr::config::BehaviorVersion::latest())
        .region(aws_sdk_ecr::config::Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(aws_sdk_ecr::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .build();
    aws_sdk_ecr::Client::from_conf(conf)
}

/// Creates `name` in moto directly.
pub fn create_repo(name: &str, immutable: bool) {
    let ecr = ecr();
    runtime().block_on(async {
        ecr.create_repository()
            .repository_name(name)
            .image_tag_mutability(if immutable {
                aws_sdk_ecr::types::ImageTagMutability::Immutable
            } else {
                aws_sdk_ecr::types::ImageTagMutability::Mutable
            })
            .send()
            .await
            .unwrap();
    });
}

pub fn layout_dir(job: &Job, name: &str) -> PathBuf {
    let dir = job.path().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

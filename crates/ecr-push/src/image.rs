//! An image ready to push: its blobs (files on disk) and its manifests (bytes), children before
//! parents, so that pushing in order never references something the registry does not have.

use std::path::PathBuf;

use sha2::{Digest as _, Sha256};

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

/// A blob in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    pub digest: String,
    pub size: u64,
    pub path: PathBuf,
}

/// A manifest or an index, as bytes (their digest is of these exact bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub digest: String,
    pub media_type: String,
    pub bytes: Vec<u8>,
    /// `os/arch[/variant]` for the entries of an index.
    pub platform: Option<String>,
}

/// An image or a multi-platform index with everything it references.
#[derive(Debug)]
pub struct Image {
    /// Unique by digest.
    pub blobs: Vec<Blob>,
    /// Children first; the last one is the root that tags point at.
    pub manifests: Vec<Manifest>,
    /// Keeps files extracted from a tarball alive while the image is pushed.
    pub workdir: Option<tempfile::TempDir>,
}

impl Image {
    pub fn root(&self) -> Option<&Manifest> {
        self.manifests.last()
    }

    pub fn blob_bytes(&self) -> u64 {
        self.blobs.iter().map(|b| b.size).sum()
    }

    pub fn platforms(&self) -> Vec<String> {
        self.manifests
            .iter()
            .filter_map(|m| m.platform.clone())
            .collect()
    }
}

/// `sha256:<hex>` of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Whether a media type names an index (a list of manifests).
pub fn is_index(media_type: &str) -> bool {
    media_type == OCI_INDEX || media_type == DOCKER_LIST
}

/// A manifest's media type: its own `mediaType` field, else guessed from its shape.
pub fn media_type_of(json: &serde_json::Value) -> String {
    if let Some(m) = json.get("mediaType").and_then(|m| m.as_str()) {
        return m.to_string();
    }
    if json.get("manifests").is_some() {
        OCI_INDEX.to_string()
    } else {
        OCI_MANIFEST.to_string()
    }
}

/// An image in a repository, by tag or by digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSelector {
    Tag(String),
    Digest(String),
}

impl std::fmt::Display for ImageSelector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImageSelector::Tag(t) => write!(f, ":{t}"),
            ImageSelector::Digest(d) => write!(f, "@{d}"),
        }
    }
}

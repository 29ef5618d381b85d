//! Reading an image from a registry for a copy: its manifests (an index and the manifests it
//! lists, or one manifest) and the descriptors of its blobs, without downloading a blob.

use std::path::PathBuf;

use crate::image::{Blob, Image, Manifest, is_index};
use crate::push::{Registry, RegistryError};

#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error("image {0} is not in the source repository")]
    Missing(String),
    #[error("manifest {digest} of the source is not valid: {reason}")]
    Invalid { digest: String, reason: String },
}

fn descriptors(json: &serde_json::Value, key: &str) -> Vec<serde_json::Value> {
    match json.get(key) {
        Some(serde_json::Value::Array(items)) => items.clone(),
        Some(one @ serde_json::Value::Object(_)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

fn field(d: &serde_json::Value, digest: &str) -> Result<(String, u64), RemoteError> {
    let invalid = |reason: &str| RemoteError::Invalid {
        digest: digest.to_string(),
        reason: reason.to_string(),
    };
    let d_digest = d
        .get("digest")
        .and_then(|v| v.as_str())
        .ok_or_else(|| invalid("a descriptor without digest"))?;
    let size = d
        .get("size")
        .and_then(|v| v.as_u64())
        .ok_or_else(|| invalid("a descriptor without size"))?;
    Ok((d_digest.to_string(), size))
}

/// The image `reference` (tag or digest) names in `registry`'s repository.
pub async fn read_remote<R: Registry>(registry: &R, reference: &str) -> Result<Image, RemoteError> {
    let root = registry
        .get_manifest(reference)
        .await?
        .ok_or_else(|| RemoteError::Missing(reference.to_string()))?;
    let mut manifests = Vec::new();
    let mut blobs: Vec<Blob> = Vec::new();
    let add_blobs = |manifest: &Manifest, blobs: &mut Vec<Blob>| -> Result<(), RemoteError> {
        let json: serde_json::Value =
            serde_json::from_slice(&manifest.bytes).map_err(|e| RemoteError::Invalid {
                digest: manifest.digest.clone(),
                reason: e.to_string(),
            })?;
        for d in descriptors(&json, "config")
            .into_iter()
            .chain(descriptors(&json, "layers"))
        {
            let (digest, size) = field(&d, &manifest.digest)?;
            if !blobs.iter().any(|b| b.digest == digest) {
                blobs.push(Blob {
                    digest,
                    size,
                    path: PathBuf::new(),
                });
            }
        }
        Ok(())
    };
    if is_index(&root.media_type) {
        let json: serde_json::Value =
            serde_json::from_slice(&root.bytes).map_err(|e| RemoteError::Invalid {
                digest: root.digest.clone(),
                reason: e.to_string(),
            })?;
        for d in descriptors(&json, "manifests") {
            let (digest, _) = field(&d, &root.digest)?;
            let mut child = registry
                .get_manifest(&digest)
                .await?
                .ok_or_else(|| RemoteError::Missing(digest.clone()))?;
            child.platform = d.get("platform").and_then(|p| {
                let os = p.get("os")?.as_str()?;
                let arch = p.get("architecture")?.as_str()?;
                Some(match p.get("variant").and_then(|v| v.as_str()) {
                    Some(v) => format!("{os}/{arch}/{v}"),
                    None => format!("{os}/{arch}"),
                })
            });
            if is_index(&child.media_type) {
                return Err(RemoteError::Invalid {
                    digest: child.digest,
                    reason: "an index inside an index is not copied".into(),
                });
            }
            add_blobs(&child, &mut blobs)?;
            manifests.push(child);
        }
    } else {
        add_blobs(&root, &mut blobs)?;
    }
    manifests.push(root);
    Ok(Image {
        blobs,
        manifests,
        workdir: None,
    })
}

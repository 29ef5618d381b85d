//! Reading an OCI image layout directory (`oci-layout`, `index.json`, `blobs/<alg>/<hex>`), as
//! written by `docker buildx --output type=oci`, `skopeo copy ... oci:dir`, or `docker save` on
//! Docker 25 and later.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::image::{Blob, Image, Manifest, OCI_INDEX, is_index, media_type_of, sha256_digest};

#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    #[error("{path} is not an OCI image layout: {reason}")]
    NotLayout { path: String, reason: String },
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not valid: {reason}")]
    Invalid { path: String, reason: String },
}

fn read(path: &Path) -> Result<Vec<u8>, LayoutError> {
    std::fs::read(path).map_err(|source| LayoutError::Read {
        path: path.display().to_string(),
        source,
    })
}

fn invalid(path: &Path, reason: impl Into<String>) -> LayoutError {
    LayoutError::Invalid {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

/// A descriptor as found in an index or manifest.
#[derive(Debug, Clone)]
struct Descriptor {
    media_type: Option<String>,
    digest: String,
    size: u64,
    platform: Option<String>,
}

fn descriptor(value: &serde_json::Value, at: &Path) -> Result<Descriptor, LayoutError> {
    let digest = value
        .get("digest")
        .and_then(|d| d.as_str())
        .ok_or_else(|| invalid(at, "a descriptor has no digest"))?;
    let hex = digest
        .strip_prefix("sha256:")
        .ok_or_else(|| invalid(at, format!("digest '{digest}' is not sha256")))?;
    if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(invalid(at, format!("digest '{digest}' is malformed")));
    }
    let size = value
        .get("size")
        .and_then(|s| s.as_u64())
        .ok_or_else(|| invalid(at, format!("descriptor {digest} has no size")))?;
    let platform = value.get("platform").and_then(|p| {
        let os = p.get("os")?.as_str()?;
        let arch = p.get("architecture")?.as_str()?;
        Some(match p.get("variant").and_then(|v| v.as_str()) {
            Some(v) => format!("{os}/{arch}/{v}"),
            None => format!("{os}/{arch}"),
        })
    });
    Ok(Descriptor {
        media_type: value
            .get("mediaType")
            .and_then(|m| m.as_str())
            .map(str::to_string),
        digest: digest.to_string(),
        size,
        platform,
    })
}

/// Reads the layout at `dir`. Its `index.json` must name one image (or one index); entries
/// for several platforms are pushed as one new index.
pub fn read_layout(dir: &Path) -> Result<Image, LayoutError> {
    let not_layout = |reason: &str| LayoutError::NotLayout {
        path: dir.display().to_string(),
        reason: reason.to_string(),
    };
    if !dir.join("oci-layout").is_file() {
        return Err(not_layout("it has no `oci-layout` file"));
    }
    let index_path = dir.join("index.json");
    if !index_path.is_file() {
        return Err(not_layout("it has no `index.json`"));
    }
    let index: serde_json::Value = serde_json::from_slice(&read(&index_path)?)
        .map_err(|e| invalid(&index_path, e.to_string()))?;
    let entries = index
        .get("manifests")
        .and_then(|m| m.as_array())
        .ok_or_else(|| invalid(&index_path, "it has no `manifests` list"))?;
    let mut roots: Vec<Descriptor> = Vec::new();
    for entry in entries {
        let d = descriptor(entry, &index_path)?;
        // Docker 25+ lists the same image once per tag: one image.
        if !roots.iter().any(|r| r.digest == d.digest) {
            roots.push(d);
        }
    }
    let mut reader = Reader {
        dir: dir.to_path_buf(),
        blobs: Vec::new(),
        seen: BTreeSet::new(),
        manifests: Vec::new(),
    };
    match roots.as_slice() {
        [] => return Err(invalid(&index_path, "it lists no image")),
        [root] => reader.visit(root, 0)?,
        many if many.iter().all(|d| d.platform.is_some()) => {
            for d in many {
                reader.visit(d, 1)?;
            }
            let manifests: Vec<serde_json::Value> = entries
                .iter()
                .map(|e| {
                    let mut e = e.clone();
                    if let Some(obj) = e.as_object_mut() {
                        obj.remove("annotations");
                    }
                    e
                })
                .collect();
            let bytes = serde_json::to_vec(&serde_json::json!({
                "schemaVersion": 2,
                "mediaType": OCI_INDEX,
                "manifests": manifests,
            }))
            .map_err(|e| invalid(&index_path, e.to_string()))?;
            reader.manifests.push(Manifest {
                digest: sha256_digest(&bytes),
                media_type: OCI_INDEX.to_string(),
                bytes,
                platform: None,
            });
        }
        many => {
            return Err(invalid(
                &index_path,
                format!(
                    "it lists {} different images without platforms; a layout to push holds one image or one multi-platform index",
                    many.len()
                ),
            ));
        }
    }
    Ok(Image {
        blobs: reader.blobs,
        manifests: reader.manifests,
        workdir: None,
    })
}

struct Reader {
    dir: PathBuf,
    blobs: Vec<Blob>,
    seen: BTreeSet<String>,
    manifests: Vec<Manifest>,
}

impl Reader {
    fn blob_path(&self, digest: &str) -> PathBuf {
        let (alg, hex) = digest.split_once(':').unwrap_or(("sha256", digest));
        self.dir.join("blobs").join(alg).join(hex)
    }

    fn visit(&mut self, d: &Descriptor, depth: usize) -> Result<(), LayoutError> {
        if depth > 4 {
            return Err(invalid(&self.dir, "indexes nest deeper than 4 levels"));
        }
        let path = self.blob_path(&d.digest);
        let bytes = read(&path)?;
        if bytes.len() as u64 != d.size || sha256_digest(&bytes) != d.digest {
            return Err(invalid(
                &path,
                format!("its content does not match descriptor {}", d.digest),
            ));
        }
        let json: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| invalid(&path, e.to_string()))?;
        let media_type = d.media_type.clone().unwrap_or_else(|| media_type_of(&json));
        if self.manifests.iter().any(|m| m.digest == d.digest) {
            return Ok(());
        }
        if is_index(&media_type) {
            let children = json
                .get("manifests")
                .and_then(|m| m.as_array())
                .ok_or_else(|| invalid(&path, "an index without `manifests`"))?;
            for child in children {
                let child = descriptor(child, &path)?;
                self.visit(&child, depth + 1)?;
            }
        } else {
            let config = json
                .get("config")
                .ok_or_else(|| invalid(&path, "a manifest without `config`"))?;
            self.blob(descriptor(config, &path)?)?;
            for layer in json
                .get("layers")
                .and_then(|l| l.as_array())
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                self.blob(descriptor(layer, &path)?)?;
            }
        }
        self.manifests.push(Manifest {
            digest: d.digest.clone(),
            media_type,
            bytes,
            platform: d.platform.clone(),
        });
        Ok(())
    }

    fn blob(&mut self, d: Descriptor) -> Result<(), LayoutError> {
        if !self.seen.insert(d.digest.clone()) {
            return Ok(());
        }
        let path = self.blob_path(&d.digest);
        let size = std::fs::metadata(&path)
            .map_err(|source| LayoutError::Read {
                path: path.display().to_string(),
                source,
            })?
            .len();
        if size != d.size {
            return Err(invalid(
                &path,
                format!("it has {size} bytes, its descriptor says {}", d.size),
            ));
        }
        self.blobs.push(Blob {
            digest: d.digest,
            size,
            path,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::OCI_MANIFEST;

    fn blob(dir: &Path, data: &[u8]) -> serde_json::Value {
        let digest = sha256_digest(data);
        let path = dir.join("blobs/sha256").join(&digest[7..]);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, data).unwrap();
        serde_json::json!({"digest": digest, "size": data.len()})
    }

    fn image(dir: &Path, tag: &str, arch: &str) -> serde_json::Value {
        let layer = blob(dir, format!("layer {tag}").as_bytes());
        let shared = blob(dir, b"shared layer");
        let config = blob(dir, format!("config {tag}").as_bytes());
        let manifest = serde_json::json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": config, "layers": [layer, shared]
        });
        let mut d = blob(dir, manifest.to_string().as_bytes());
        d["mediaType"] = OCI_MANIFEST.into();
        d["platform"] = serde_json::json!({"os": "linux", "architecture": arch});
        d
    }

    fn write_index(dir: &Path, entries: Vec<serde_json::Value>) {
        std::fs::write(dir.join("oci-layout"), "{}").unwrap();
        std::fs::write(
            dir.join("index.json"),
            serde_json::json!({"schemaVersion": 2, "manifests": entries}).to_string(),
        )
        .unwrap();
    }

    #[test]
    fn one_image() {
        let dir = tempfile::tempdir().unwrap();
        let mut d = image(dir.path(), "a", "amd64");
        d.as_object_mut().unwrap().remove("platform");
        write_index(dir.path(), vec![d.clone()]);
        let img = read_layout(dir.path()).unwrap();
        assert_eq!(img.manifests.len(), 1);
        assert_eq!(img.root().unwrap().digest, d["digest"].as_str().unwrap());
        assert_eq!(img.blobs.len(), 3);
    }

    #[test]
    fn the_same_image_listed_twice_is_one_image() {
        let dir = tempfile::tempdir().unwrap();
        let mut d = image(dir.path(), "a", "amd64");
        d.as_object_mut().unwrap().remove("platform");
        let mut tagged = d.clone();
        tagged["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": "v1"});
        write_index(dir.path(), vec![d, tagged]);
        assert_eq!(read_layout(dir.path()).unwrap().manifests.len(), 1);
    }

    #[test]
    fn platform_entries_become_one_index_after_their_manifests() {
        let dir = tempfile::tempdir().unwrap();
        let a = image(dir.path(), "a", "amd64");
        let b = image(dir.path(), "b", "arm64");
        write_index(dir.path(), vec![a, b]);
        let img = read_layout(dir.path()).unwrap();
        assert_eq!(img.manifests.len(), 3);
        assert_eq!(img.root().unwrap().media_type, OCI_INDEX);
        assert_eq!(img.platforms(), vec!["linux/amd64", "linux/arm64"]);
        // The shared layer once.
        assert_eq!(img.blobs.len(), 5);
    }

    #[test]
    fn bad_layouts_say_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_layout(dir.path()).unwrap_err().to_string();
        assert!(err.contains("no `oci-layout`"), "{err}");

        let mut a = image(dir.path(), "a", "amd64");
        let mut b = image(dir.path(), "b", "arm64");
        a.as_object_mut().unwrap().remove("platform");
        b.as_object_mut().unwrap().remove("platform");
        write_index(dir.path(), vec![a.clone(), b]);
        let err = read_layout(dir.path()).unwrap_err().to_string();
        assert!(err.contains("2 different images"), "{err}");

        // A blob whose size does not match its descriptor.
        let path = dir
            .path()
            .join("blobs/sha256")
            .join(&a["digest"].as_str().unwrap()[7..]);
        std::fs::write(&path, b"tampered").unwrap();
        write_index(dir.path(), vec![a]);
        let err = read_layout(dir.path()).unwrap_err().to_string();
        assert!(err.contains("does not match"), "{err}");
    }
}

//! Reading a `docker save` tarball. Docker 25 and later write an OCI image layout inside the
//! tarball, read with [`crate::layout`]; older engines (such as Debian's 20.10) write the
//! legacy format (`manifest.json`, a config, uncompressed `layer.tar`s), converted here into an
//! OCI image: the config as is, each layer gzip-compressed (deterministically, so the same
//! image gives the same blobs and a re-push moves nothing).

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use sha2::{Digest as _, Sha256};

use crate::image::{
    Blob, Image, Manifest, OCI_CONFIG, OCI_LAYER_GZIP, OCI_MANIFEST, sha256_digest,
};
use crate::layout::{LayoutError, read_layout};

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("cannot unpack {path}: {source}")]
    Unpack {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a `docker save` tarball: {reason}")]
    Invalid { path: String, reason: String },
    #[error(transparent)]
    Layout(#[from] LayoutError),
}

/// Unpacks `tarball` under `parent` and reads the image in it.
pub fn read_archive(tarball: &Path, parent: &Path) -> Result<Image, ArchiveError> {
    let unpack = |source| ArchiveError::Unpack {
        path: tarball.display().to_string(),
        source,
    };
    let dir = tempfile::Builder::new()
        .prefix("ecr-push-image-")
        .tempdir_in(parent)
        .map_err(unpack)?;
    let file = File::open(tarball).map_err(unpack)?;
    let mut archive = tar::Archive::new(BufReader::new(file));
    // `unpack` refuses paths that leave the directory.
    archive.unpack(dir.path()).map_err(unpack)?;
    let mut image = if dir.path().join("oci-layout").is_file() {
        read_layout(dir.path())?
    } else {
        read_legacy(tarball, dir.path())?
    };
    image.workdir = Some(dir);
    Ok(image)
}

fn read_legacy(tarball: &Path, dir: &Path) -> Result<Image, ArchiveError> {
    let invalid = |reason: String| ArchiveError::Invalid {
        path: tarball.display().to_string(),
        reason,
    };
    let io = |source| ArchiveError::Unpack {
        path: tarball.display().to_string(),
        source,
    };
    let manifest_path = dir.join("manifest.json");
    let text = std::fs::read(&manifest_path)
        .map_err(|_| invalid("it has neither `oci-layout` nor `manifest.json`".into()))?;
    let entries: Vec<serde_json::Value> =
        serde_json::from_slice(&text).map_err(|e| invalid(format!("manifest.json: {e}")))?;
    let entry = match entries.as_slice() {
        [one] => one,
        [] => return Err(invalid("manifest.json lists no image".into())),
        many => {
            return Err(invalid(format!(
                "manifest.json lists {} images: save one image per tarball",
                many.len()
            )));
        }
    };
    let config_name = entry
        .get("Config")
        .and_then(|c| c.as_str())
        .ok_or_else(|| invalid("manifest.json has no Config".into()))?;
    let config_path =
        safe_join(dir, config_name).ok_or_else(|| invalid(format!("bad path {config_name}")))?;
    let config_bytes = std::fs::read(&config_path).map_err(io)?;
    let config_digest = sha256_digest(&config_bytes);
    let mut blobs = vec![Blob {
        digest: config_digest.clone(),
        size: config_bytes.len() as u64,
        path: config_path,
    }];
    let blob_dir = dir.join("ecr-push-blobs");
    std::fs::create_dir_all(&blob_dir).map_err(io)?;
    let mut layers = Vec::new();
    for layer in entry
        .get("Layers")
        .and_then(|l| l.as_array())
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let name = layer
            .as_str()
            .ok_or_else(|| invalid("a layer name is not a string".into()))?;
        let source = safe_join(dir, name).ok_or_else(|| invalid(format!("bad path {name}")))?;
        let blob = compress_layer(&source, &blob_dir).map_err(io)?;
        layers.push(serde_json::json!({
            "mediaType": OCI_LAYER_GZIP,
            "digest": blob.digest,
            "size": blob.size,
        }));
        if !blobs.iter().any(|b| b.digest == blob.digest) {
            blobs.push(blob);
        }
    }
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": { "mediaType": OCI_CONFIG, "digest": config_digest, "size": config_bytes.len() },
        "layers": layers,
    });
    let bytes = serde_json::to_vec(&manifest).map_err(|e| invalid(e.to_string()))?;
    Ok(Image {
        blobs,
        manifests: vec![Manifest {
            digest: sha256_digest(&bytes),
            media_type: OCI_MANIFEST.to_string(),
            bytes,
            platform: None,
        }],
        workdir: None,
    })
}

fn safe_join(dir: &Path, name: &str) -> Option<PathBuf> {
    let rel = Path::new(name);
    rel.components()
        .all(|c| matches!(c, std::path::Component::Normal(_)))
        .then(|| dir.join(rel))
}

/// Gzips `source` into `dir`, hashing the compressed bytes on the way.
fn compress_layer(source: &Path, dir: &Path) -> std::io::Result<Blob> {
    struct Hashing<W> {
        inner: W,
        hash: Sha256,
        size: u64,
    }
    impl<W: Write> Write for Hashing<W> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let n = self.inner.write(buf)?;
            self.hash.update(&buf[..n]);
            self.size += n as u64;
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.inner.flush()
        }
    }
    let tmp = tempfile::NamedTempFile::new_in(dir)?;
    let out = Hashing {
        inner: std::io::BufWriter::new(tmp.reopen()?),
        hash: Sha256::new(),
        size: 0,
    };
    // No name and a zero mtime in the gzip header: the same layer always compresses to the
    // same bytes.
    let mut encoder = flate2::GzBuilder::new().write(out, Compression::default());
    let mut input = BufReader::new(File::open(source)?);
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            break;
        }
        encoder.write_all(&buf[..n])?;
    }
    let mut out = encoder.finish()?;
    out.flush()?;
    let digest = format!("sha256:{}", hex::encode(out.hash.finalize_reset()));
    let path = dir.join(digest.trim_start_matches("sha256:"));
    tmp.persist(&path).map_err(|e| e.error)?;
    Ok(Blob {
        digest,
        size: out.size,
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tarball in the legacy `docker save` format: manifest.json, a config, one layer.
    fn legacy_tarball(dir: &Path, layers: &[&[u8]]) -> PathBuf {
        let path = dir.join("image.tar");
        let mut tar = tar::Builder::new(File::create(&path).unwrap());
        let mut add = |name: &str, data: &[u8]| {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            tar.append_data(&mut header, name, data).unwrap();
        };
        let config =
            br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
        let config_name = format!("{}.json", &sha256_digest(config)[7..]);
        add(&config_name, config);
        let mut names = Vec::new();
        for (i, layer) in layers.iter().enumerate() {
            let name = format!("l{i}/layer.tar");
            add(&name, layer);
            names.push(name);
        }
        let manifest =
            serde_json::json!([{"Config": config_name, "RepoTags": ["x:1"], "Layers": names}]);
        add("manifest.json", manifest.to_string().as_bytes());
        tar.finish().unwrap();
        path
    }

    #[test]
    fn legacy_tarballs_become_the_same_oci_image_every_time() {
        let dir = tempfile::tempdir().unwrap();
        let tarball = legacy_tarball(dir.path(), &[b"layer one", b"layer two", b"layer one"]);
        let first = read_archive(&tarball, dir.path()).unwrap();
        let second = read_archive(&tarball, dir.path()).unwrap();
        assert_eq!(first.root().unwrap().digest, second.root().unwrap().digest);
        // Config and two distinct layers.
        assert_eq!(first.blobs.len(), 3);
        let manifest: serde_json::Value =
            serde_json::from_slice(&first.root().unwrap().bytes).unwrap();
        assert_eq!(manifest["layers"].as_array().unwrap().len(), 3);
        assert_eq!(manifest["layers"][0]["mediaType"], OCI_LAYER_GZIP);
        // The compressed layer is what its digest says.
        let layer = &first.blobs[1];
        assert_eq!(
            sha256_digest(&std::fs::read(&layer.path).unwrap()),
            layer.digest
        );
        let mut decoded = Vec::new();
        flate2::read::GzDecoder::new(File::open(&layer.path).unwrap())
            .read_to_end(&mut decoded)
            .unwrap();
        assert_eq!(decoded, b"layer one");
    }

    #[test]
    fn not_an_image() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.tar");
        let mut tar = tar::Builder::new(File::create(&path).unwrap());
        let mut header = tar::Header::new_gnu();
        header.set_size(2);
        header.set_cksum();
        tar.append_data(&mut header, "hello.txt", &b"hi"[..])
            .unwrap();
        tar.finish().unwrap();
        let err = read_archive(&path, dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("neither `oci-layout` nor `manifest.json`"),
            "{err}"
        );
        let err = read_archive(&dir.path().join("missing.tar"), dir.path())
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot unpack"), "{err}");
    }

    #[test]
    fn paths_leaving_the_tarball_are_refused() {
        assert!(safe_join(Path::new("/x"), "../etc/passwd").is_none());
        assert!(safe_join(Path::new("/x"), "/etc/passwd").is_none());
        assert!(safe_join(Path::new("/x"), "a/layer.tar").is_some());
    }
}

//! Pushing an [`Image`] over the registry HTTP API: blobs in parallel (skipped when the
//! registry has them, mounted from another repository where possible, uploaded otherwise),
//! then manifests by digest, children first, and only then the tags. A tag therefore never
//! names an image whose parts are not all in place. The two steps are apart ([`stage_from`],
//! then [`write_tags`]) so that the scan gate stands between them: an image that fails it is
//! in the registry by digest only. Every request is retried with exponential
//! backoff on connection errors and 5xx/429 answers.
//!
//! The registry sits behind the narrow [`Registry`] trait; [`OciRegistry`] implements it with
//! `oci-client` (uploads, mounts, manifests) plus plain HEAD requests for "does it exist"
//! (`oci-client` has no blob HEAD).

use std::cell::RefCell;
use std::future::Future;
use std::time::Duration;

use futures::{StreamExt as _, TryStreamExt as _};

use crate::image::{Blob, Image, Manifest};
use crate::plan::{TagAction, TagConflict, tag_action};

mod oci;
pub use oci::OciRegistry;

/// A registry request that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation} {target}: {message}")]
pub struct RegistryError {
    pub operation: &'static str,
    pub target: String,
    pub message: String,
    /// A connection error, a timeout or a 5xx/429 answer: worth another attempt.
    pub retryable: bool,
}

/// The registry operations a push needs, for one repository.
#[allow(async_fn_in_trait)]
pub trait Registry {
    async fn blob_exists(&self, digest: &str) -> Result<bool, RegistryError>;
    /// `Ok(false)` when the registry would not mount it (then the blob is uploaded).
    async fn mount_blob(&self, digest: &str, from: &str) -> Result<bool, RegistryError>;
    async fn upload_blob(&self, blob: &Blob, data: BlobData) -> Result<(), RegistryError>;
    /// `reference` is a tag or a digest.
    async fn put_manifest(&self, reference: &str, manifest: &Manifest)
    -> Result<(), RegistryError>;
    /// The digest a tag (or digest) names now, `None` when it does not exist.
    async fn manifest_digest(&self, reference: &str) -> Result<Option<String>, RegistryError>;
    /// The manifest a tag or digest names, `None` when it does not exist.
    async fn get_manifest(&self, reference: &str) -> Result<Option<Manifest>, RegistryError>;
}

/// A blob's content for an upload: in memory, a file streamed from disk, or a download from
/// another registry streamed through (its digest is checked by the receiving registry).
#[derive(Debug)]
pub enum BlobData {
    Bytes(Vec<u8>),
    File(std::path::PathBuf),
    Download(reqwest::Response),
}

/// Where the bytes of a blob to upload come from.
#[allow(async_fn_in_trait)]
pub trait BlobSource {
    /// `stream`: the blob is large; a source that can should hand a file rather than bytes.
    async fn read(&self, blob: &Blob, stream: bool) -> Result<BlobData, RegistryError>;
}

/// Blobs in files ([`Blob::path`]): an OCI layout, an unpacked tarball.
#[derive(Debug, Clone, Copy, Default)]
pub struct Files;

impl BlobSource for Files {
    async fn read(&self, blob: &Blob, stream: bool) -> Result<BlobData, RegistryError> {
        if stream {
            return Ok(BlobData::File(blob.path.clone()));
        }
        let path = blob.path.clone();
        let error = |message: String| RegistryError {
            operation: "read blob",
            target: blob.path.display().to_string(),
            message,
            retryable: false,
        };
        tokio::task::spawn_blocking(move || std::fs::read(path))
            .await
            .map_err(|e| error(e.to_string()))?
            .map(BlobData::Bytes)
            .map_err(|e| error(e.to_string()))
    }
}

/// Blobs above this size are streamed from their file instead of read into memory.
pub const STREAM_ABOVE: u64 = 32 << 20;

#[derive(Debug, Clone)]
pub struct PushOptions {
    pub concurrency: usize,
    pub retries: u32,
    /// The first retry's delay; doubled each time, at most 10 s.
    pub backoff: Duration,
    /// Repositories of the same registry to mount blobs from.
    pub mount_from: Vec<String>,
    /// The repository's tags are immutable: a tag that names another image is an error, found
    /// before anything is uploaded.
    pub immutable: bool,
    /// Blobs larger than this are streamed ([`STREAM_ABOVE`]), so memory stays bounded
    /// whatever the layer sizes.
    pub stream_above: u64,
}

/// What a push did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushReport {
    pub digest: String,
    pub blobs_uploaded: usize,
    pub bytes_uploaded: u64,
    pub blobs_existing: usize,
    pub blobs_mounted: usize,
    pub manifests_pushed: usize,
    pub tags_pushed: Vec<String>,
    /// Tags that already named this image.
    pub tags_unchanged: Vec<String>,
    /// Requests that were retried.
    pub retries: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error("the image has no manifest")]
    Empty,
    #[error(
        "tag '{tag}' already names image {existing} in this immutable repository, not {digest}: use a new tag (an immutable tag never moves), or build the same image"
    )]
    TagImmutable {
        tag: String,
        existing: String,
        digest: String,
    },
}

/// The errors that were retried, for the log.
#[derive(Debug, Default)]
pub struct Retried(RefCell<Vec<String>>);

impl Retried {
    pub fn count(&self) -> usize {
        self.0.borrow().len()
    }

    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.borrow_mut())
    }
}

/// Runs `f` until it succeeds, fails for good, or `retries` retries are used.
pub async fn with_retries<T, F, Fut>(
    retries: u32,
    backoff: Duration,
    counter: &Retried,
    mut f: F,
) -> Result<T, RegistryError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RegistryError>>,
{
    let mut attempt = 0u32;
    loop {
        match f().await {
            Ok(v) => return Ok(v),
            Err(e) if e.retryable && attempt < retries => {
                attempt += 1;
                counter.0.borrow_mut().push(format!(
                    "{} {} ({}): retried",
                    e.operation, e.target, e.message
                ));
                let factor = 1u32 << (attempt - 1).min(10);
                let delay = backoff.saturating_mul(factor).min(Duration::from_secs(10));
                // Jitter from the clock: parallel uploads that failed together do not retry
                // together.
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.subsec_nanos())
                    .unwrap_or(0);
                let jitter = delay.mul_f64(f64::from(nanos % 1000) / 4000.0);
                tokio::time::sleep(delay + jitter).await;
            }
            Err(mut e) => {
                if attempt > 0 {
                    e.message = format!("{} (after {} retries)", e.message, attempt);
                }
                return Err(e);
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BlobOutcome {
    Existing,
    Mounted,
    Uploaded,
}

/// Pushes `image` (its blobs in files) and tags it. `log` receives one line per step worth
/// showing.
pub async fn push<R: Registry>(
    registry: &R,
    image: &Image,
    tags: &[String],
    options: &PushOptions,
    log: &dyn Fn(String),
) -> Result<PushReport, PushError> {
    push_from(registry, image, tags, options, &Files, log).await
}

/// [`stage_from`] with the blobs in files.
pub async fn stage<R: Registry>(
    registry: &R,
    image: &Image,
    tags: &[String],
    options: &PushOptions,
    log: &dyn Fn(String),
) -> Result<Staged, PushError> {
    stage_from(registry, image, tags, options, &Files, log).await
}

/// [`push`], reading blobs to upload from `source` (files, or another registry when copying).
pub async fn push_from<R: Registry, S: BlobSource>(
    registry: &R,
    image: &Image,
    tags: &[String],
    options: &PushOptions,
    source: &S,
    log: &dyn Fn(String),
) -> Result<PushReport, PushError> {
    let staged = stage_from(registry, image, tags, options, source, log).await?;
    write_tags(registry, staged, options, log).await
}

/// An image pushed by digest whose tags are not written yet: every blob and manifest is in
/// place, nothing names it but its digest. [`write_tags`] finishes the push; dropping it
/// leaves an untagged image (which the "expire untagged" lifecycle rule removes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staged {
    /// The push so far (`tags_pushed` still empty).
    pub report: PushReport,
    /// The root manifest the tags will name.
    pub root: Manifest,
    /// The tags to write: new, or moving in a mutable repository.
    pub tags_to_push: Vec<String>,
}

/// Everything of [`push_from`] but the tags: the tags are checked (read-only), then blobs,
/// then manifests by digest, children first.
pub async fn stage_from<R: Registry, S: BlobSource>(
    registry: &R,
    image: &Image,
    tags: &[String],
    options: &PushOptions,
    source: &S,
    log: &dyn Fn(String),
) -> Result<Staged, PushError> {
    let root = image.root().ok_or(PushError::Empty)?;
    let retries = Retried::default();

    // Tags first, read-only: an immutable tag naming another image stops the push before a
    // byte is uploaded; tags already naming this image are left alone ([`tag_action`]).
    let mut tags_to_push = Vec::new();
    let mut tags_unchanged = Vec::new();
    for tag in tags {
        let current = with_retries(options.retries, options.backoff, &retries, || {
            registry.manifest_digest(tag)
        })
        .await?;
        match tag_action(tag, current.as_deref(), &root.digest, options.immutable) {
            Ok(TagAction::AlreadyThere(_)) => tags_unchanged.push(tag.clone()),
            Ok(TagAction::Add(_) | TagAction::Move { .. }) => tags_to_push.push(tag.clone()),
            Err(TagConflict { existing, .. }) => {
                return Err(PushError::TagImmutable {
                    tag: tag.clone(),
                    existing,
                    digest: root.digest.clone(),
                });
            }
        }
    }

    // The first blob that fails for good stops the others (dropping their uploads).
    let outcomes: Vec<(BlobOutcome, u64)> = futures::stream::iter(image.blobs.iter())
        .map(|blob| {
            let retries = &retries;
            async move {
                let exists = with_retries(options.retries, options.backoff, retries, || {
                    registry.blob_exists(&blob.digest)
                })
                .await?;
                if exists {
                    return Ok::<_, RegistryError>((BlobOutcome::Existing, 0));
                }
                for from in &options.mount_from {
                    let mounted = with_retries(options.retries, options.backoff, retries, || {
                        registry.mount_blob(&blob.digest, from)
                    })
                    .await?;
                    if mounted {
                        return Ok((BlobOutcome::Mounted, 0));
                    }
                }
                with_retries(options.retries, options.backoff, retries, || async {
                    let data = source.read(blob, blob.size > options.stream_above).await?;
                    registry.upload_blob(blob, data).await
                })
                .await?;
                Ok((BlobOutcome::Uploaded, blob.size))
            }
        })
        .buffer_unordered(options.concurrency.max(1))
        .try_collect()
        .await?;
    let mut report = PushReport {
        digest: root.digest.clone(),
        ..PushReport::default()
    };
    for outcome in outcomes {
        match outcome {
            (BlobOutcome::Existing, _) => report.blobs_existing += 1,
            (BlobOutcome::Mounted, _) => report.blobs_mounted += 1,
            (BlobOutcome::Uploaded, bytes) => {
                report.blobs_uploaded += 1;
                report.bytes_uploaded += bytes;
            }
        }
    }
    log(format!(
        "blobs: {} uploaded ({} bytes), {} already there, {} mounted",
        report.blobs_uploaded, report.bytes_uploaded, report.blobs_existing, report.blobs_mounted
    ));

    // Manifests by digest, children first: the index after the manifests it lists.
    for manifest in &image.manifests {
        let exists = with_retries(options.retries, options.backoff, &retries, || {
            registry.manifest_digest(&manifest.digest)
        })
        .await?
        .is_some();
        if !exists {
            with_retries(options.retries, options.backoff, &retries, || {
                registry.put_manifest(&manifest.digest, manifest)
            })
            .await?;
            report.manifests_pushed += 1;
        }
    }
    report.tags_unchanged = tags_unchanged;
    report.retries = retries.count();
    for line in retries.take() {
        log(line);
    }
    Ok(Staged {
        report,
        root: root.clone(),
        tags_to_push,
    })
}

/// Writes the tags of a [`Staged`] push: the last step, once nothing stands in the way (the
/// scan gate has passed).
pub async fn write_tags<R: Registry>(
    registry: &R,
    staged: Staged,
    options: &PushOptions,
    log: &dyn Fn(String),
) -> Result<PushReport, PushError> {
    let Staged {
        mut report,
        root,
        tags_to_push,
    } = staged;
    let retries = Retried::default();
    for tag in &tags_to_push {
        with_retries(options.retries, options.backoff, &retries, || {
            registry.put_manifest(tag, &root)
        })
        .await?;
        log(format!("tagged {tag} → {}", root.digest));
    }
    report.tags_pushed = tags_to_push;
    report.retries += retries.count();
    for line in retries.take() {
        log(line);
    }
    Ok(report)
}

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
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::OciDistributionError;
use oci_client::secrets::RegistryAuth;
use oci_client::{Reference, RegistryOperation};

use crate::image::{Blob, DOCKER_LIST, DOCKER_MANIFEST, Image, Manifest, OCI_INDEX, OCI_MANIFEST};
use crate::login::Credentials;
use crate::plan::{TagAction, TagConflict, tag_action};

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

/// [`Registry`] over `oci-client`, for one repository of one registry.
#[derive(Clone)]
pub struct OciRegistry {
    client: oci_client::Client,
    http: reqwest::Client,
    host: String,
    repository: String,
    scheme: &'static str,
    basic: Option<Credentials>,
}

impl std::fmt::Debug for OciRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OciRegistry")
            .field("host", &self.host)
            .field("repository", &self.repository)
            .finish_non_exhaustive()
    }
}

const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json";

fn classify(operation: &'static str, target: &str, e: OciDistributionError) -> RegistryError {
    let retryable = match &e {
        OciDistributionError::RequestError(_) => true,
        OciDistributionError::ServerError { code, .. } => {
            *code >= 500 || *code == 429 || *code == 408
        }
        _ => false,
    };
    RegistryError {
        operation,
        target: target.to_string(),
        message: e.to_string(),
        retryable,
    }
}

fn http_error(operation: &'static str, target: &str, e: &reqwest::Error) -> RegistryError {
    RegistryError {
        operation,
        target: target.to_string(),
        message: format!("{e}"),
        retryable: true,
    }
}

fn status_error(
    operation: &'static str,
    target: &str,
    status: reqwest::StatusCode,
) -> RegistryError {
    let code = status.as_u16();
    RegistryError {
        operation,
        target: target.to_string(),
        message: format!("the registry answered {status}"),
        retryable: code >= 500 || code == 429 || code == 408,
    }
}

impl OciRegistry {
    /// Connects to `host` (`insecure`: plain http, loopback only, checked by the config) and
    /// authenticates with `credentials` when the registry asks for them.
    pub async fn connect(
        host: &str,
        repository: &str,
        insecure: bool,
        credentials: Option<Credentials>,
        timeout: Duration,
        concurrency: usize,
        retries: u32,
    ) -> Result<OciRegistry, RegistryError> {
        let protocol = if insecure {
            ClientProtocol::Http
        } else {
            ClientProtocol::Https
        };
        let scheme = if insecure { "http" } else { "https" };
        let client = oci_client::Client::new(ClientConfig {
            protocol,
            // ECR mishandles chunked uploads of more than one chunk (it discards later
            // PATCH bodies); one POST and one PUT per blob also makes fewer round trips.
            use_monolithic_push: true,
            max_concurrent_upload: concurrency.max(1),
            connect_timeout: Some(Duration::from_secs(10)),
            read_timeout: Some(timeout),
            ..ClientConfig::default()
        });
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(timeout)
            .build()
            .map_err(|e| http_error("connect", host, &e))?;
        let registry = OciRegistry {
            client,
            http,
            host: host.to_string(),
            repository: repository.to_string(),
            scheme,
            basic: None,
        };
        // Does the registry ask for credentials? Only then are they sent: an anonymous
        // registry given credentials makes oci-client re-probe /v2/ before every request.
        let probe = format!("{scheme}://{host}/v2/");
        let counter = Retried::default();
        let answer = with_retries(retries, Duration::from_millis(200), &counter, || async {
            let answer = registry
                .http
                .get(&probe)
                .send()
                .await
                .map_err(|e| http_error("probe", &probe, &e))?;
            let status = answer.status();
            if status.is_server_error() || status.as_u16() == 429 {
                return Err(status_error("probe", &probe, status));
            }
            Ok(answer)
        })
        .await?;
        let wants_auth = answer.status() == reqwest::StatusCode::UNAUTHORIZED;
        if !wants_auth && !answer.status().is_success() {
            return Err(status_error("probe", &probe, answer.status()));
        }
        let mut registry = registry;
        if wants_auth {
            let Some(creds) = credentials else {
                return Err(RegistryError {
                    operation: "probe",
                    target: probe,
                    message: "the registry asks for credentials and none were obtained".into(),
                    retryable: false,
                });
            };
            let auth = RegistryAuth::Basic(creds.username.clone(), creds.password.clone());
            let reference = registry.reference(None);
            for op in [RegistryOperation::Push, RegistryOperation::Pull] {
                registry
                    .client
                    .auth(&reference, &auth, op)
                    .await
                    .map_err(|e| classify("authenticate", host, e))?;
            }
            registry.basic = Some(creds);
        }
        Ok(registry)
    }

    fn reference(&self, tag_or_digest: Option<&str>) -> Reference {
        match tag_or_digest {
            Some(d) if d.starts_with("sha256:") => {
                Reference::with_digest(self.host.clone(), self.repository.clone(), d.to_string())
            }
            Some(t) => {
                Reference::with_tag(self.host.clone(), self.repository.clone(), t.to_string())
            }
            None => Reference::with_tag(
                self.host.clone(),
                self.repository.clone(),
                "latest".to_string(),
            ),
        }
    }

    fn with_auth(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.basic {
            Some(c) => request.basic_auth(&c.username, Some(&c.password)),
            None => request,
        }
    }

    fn url(&self, kind: &str, reference: &str) -> String {
        format!(
            "{}://{}/v2/{}/{kind}/{reference}",
            self.scheme, self.host, self.repository
        )
    }
}

impl Registry for OciRegistry {
    async fn blob_exists(&self, digest: &str) -> Result<bool, RegistryError> {
        let url = self.url("blobs", digest);
        let answer = self
            .with_auth(self.http.head(&url))
            .send()
            .await
            .map_err(|e| http_error("HEAD blob", &url, &e))?;
        let status = answer.status();
        if status.is_success() {
            Ok(true)
        } else if status.is_server_error() || status.as_u16() == 429 {
            Err(status_error("HEAD blob", &url, status))
        } else {
            // 404, or a registry that wants another kind of auth for HEAD: upload it.
            Ok(false)
        }
    }

    async fn mount_blob(&self, digest: &str, from: &str) -> Result<bool, RegistryError> {
        let source = Reference::with_tag(self.host.clone(), from.to_string(), "latest".into());
        match self
            .client
            .mount_blob(&self.reference(None), &source, digest)
            .await
        {
            Ok(()) => Ok(true),
            Err(e) => {
                let e = classify("mount blob", digest, e);
                if e.retryable { Err(e) } else { Ok(false) }
            }
        }
    }

    async fn upload_blob(&self, blob: &Blob, data: BlobData) -> Result<(), RegistryError> {
        match data {
            BlobData::Bytes(data) => {
                self.client
                    .push_blob(&self.reference(None), &data, &blob.digest)
                    .await
                    .map_err(|e| classify("upload blob", &blob.digest, e))?;
                Ok(())
            }
            BlobData::File(path) => self.upload_stream(blob, Self::file_body(&path)?).await,
            BlobData::Download(answer) => {
                let body = reqwest::Body::wrap_stream(answer.bytes_stream());
                self.upload_stream(blob, body).await
            }
        }
    }

    async fn put_manifest(
        &self,
        reference: &str,
        manifest: &Manifest,
    ) -> Result<(), RegistryError> {
        let content_type =
            reqwest::header::HeaderValue::from_str(&manifest.media_type).map_err(|e| {
                RegistryError {
                    operation: "push manifest",
                    target: reference.to_string(),
                    message: e.to_string(),
                    retryable: false,
                }
            })?;
        self.client
            .push_manifest_raw(
                &self.reference(Some(reference)),
                manifest.bytes.clone(),
                content_type,
            )
            .await
            .map_err(|e| classify("push manifest", reference, e))?;
        Ok(())
    }

    async fn manifest_digest(&self, reference: &str) -> Result<Option<String>, RegistryError> {
        let url = self.url("manifests", reference);
        let answer = self
            .with_auth(self.http.head(&url).header("Accept", MANIFEST_ACCEPT))
            .send()
            .await
            .map_err(|e| http_error("HEAD manifest", &url, &e))?;
        let status = answer.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(status_error("HEAD manifest", &url, status));
        }
        match answer
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
        {
            Some(d) => Ok(Some(d.to_string())),
            None if reference.starts_with("sha256:") => Ok(Some(reference.to_string())),
            None => Err(RegistryError {
                operation: "HEAD manifest",
                target: url,
                message: "the registry did not say the digest (Docker-Content-Digest)".into(),
                retryable: false,
            }),
        }
    }

    async fn get_manifest(&self, reference: &str) -> Result<Option<Manifest>, RegistryError> {
        self.fetch_manifest(reference).await
    }
}

impl OciRegistry {
    async fn fetch_manifest(&self, reference: &str) -> Result<Option<Manifest>, RegistryError> {
        let url = self.url("manifests", reference);
        let answer = self
            .with_auth(self.http.get(&url).header("Accept", MANIFEST_ACCEPT))
            .send()
            .await
            .map_err(|e| http_error("GET manifest", &url, &e))?;
        let status = answer.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(status_error("GET manifest", &url, status));
        }
        let header_type = answer
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or(v).trim().to_string());
        let bytes = answer
            .bytes()
            .await
            .map_err(|e| http_error("GET manifest", &url, &e))?
            .to_vec();
        let json: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| RegistryError {
                operation: "GET manifest",
                target: url.clone(),
                message: format!("not JSON: {e}"),
                retryable: false,
            })?;
        let media_type = header_type
            .filter(|t| is_manifest_type(t))
            .unwrap_or_else(|| crate::image::media_type_of(&json));
        Ok(Some(Manifest {
            digest: crate::image::sha256_digest(&bytes),
            media_type,
            bytes,
            platform: None,
        }))
    }
}

impl OciRegistry {
    /// The body of a file, read in 1 MiB chunks by a thread at most 4 chunks ahead of the
    /// upload; the thread ends when the upload is dropped.
    fn file_body(path: &std::path::Path) -> Result<reqwest::Body, RegistryError> {
        use futures::SinkExt as _;
        let file = std::fs::File::open(path).map_err(|e| RegistryError {
            operation: "read blob",
            target: path.display().to_string(),
            message: e.to_string(),
            retryable: false,
        })?;
        let (mut tx, rx) = futures::channel::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
        std::thread::spawn(move || {
            use std::io::Read as _;
            let mut file = std::io::BufReader::new(file);
            loop {
                let mut chunk = vec![0u8; 1 << 20];
                let item = match file.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => {
                        chunk.truncate(n);
                        Ok(chunk)
                    }
                    Err(e) => Err(e),
                };
                let failed = item.is_err();
                if futures::executor::block_on(tx.send(item)).is_err() || failed {
                    break;
                }
            }
        });
        Ok(reqwest::Body::wrap_stream(rx))
    }

    /// A monolithic upload (POST, then one PUT) with a streamed body: memory stays bounded for
    /// layers of any size. (oci-client takes a blob as one slice; it handles the smaller
    /// blobs.)
    async fn upload_stream(&self, blob: &Blob, body: reqwest::Body) -> Result<(), RegistryError> {
        let start = format!(
            "{}://{}/v2/{}/blobs/uploads/",
            self.scheme, self.host, self.repository
        );
        let answer = self
            .with_auth(self.http.post(&start))
            .header(reqwest::header::CONTENT_LENGTH, 0)
            .send()
            .await
            .map_err(|e| http_error("start upload", &start, &e))?;
        if answer.status() != reqwest::StatusCode::ACCEPTED {
            return Err(status_error("start upload", &start, answer.status()));
        }
        let location = answer
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| RegistryError {
                operation: "start upload",
                target: start.clone(),
                message: "the registry gave no upload location".into(),
                retryable: false,
            })?;
        let bad_url = |e: String| RegistryError {
            operation: "start upload",
            target: start.clone(),
            message: e,
            retryable: false,
        };
        let mut url = reqwest::Url::parse(&start)
            .and_then(|base| base.join(location))
            .map_err(|e| bad_url(e.to_string()))?;
        url.query_pairs_mut().append_pair("digest", &blob.digest);

        let shown = url.to_string();
        let answer = self
            .with_auth(self.http.put(url))
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .header(reqwest::header::CONTENT_LENGTH, blob.size)
            .body(body)
            .send()
            .await
            .map_err(|e| http_error("upload blob", &shown, &e))?;
        if answer.status() != reqwest::StatusCode::CREATED {
            return Err(status_error("upload blob", &blob.digest, answer.status()));
        }
        Ok(())
    }
}

impl BlobSource for OciRegistry {
    /// Downloads a blob (following ECR's redirect to S3, which gets no credentials). A large
    /// one is streamed through to the upload (the receiving registry checks the digest); a
    /// small one is checked against its digest here.
    async fn read(&self, blob: &Blob, stream: bool) -> Result<BlobData, RegistryError> {
        let url = self.url("blobs", &blob.digest);
        let answer = self
            .with_auth(self.http.get(&url))
            .send()
            .await
            .map_err(|e| http_error("GET blob", &url, &e))?;
        let status = answer.status();
        if !status.is_success() {
            return Err(status_error("GET blob", &url, status));
        }
        if stream {
            return Ok(BlobData::Download(answer));
        }
        let data = answer
            .bytes()
            .await
            .map_err(|e| http_error("GET blob", &url, &e))?
            .to_vec();
        if crate::image::sha256_digest(&data) != blob.digest {
            return Err(RegistryError {
                operation: "GET blob",
                target: url,
                message: "the bytes do not match the digest (retrying)".into(),
                retryable: true,
            });
        }
        Ok(BlobData::Bytes(data))
    }
}

/// Whether a media type is one this tool pushes.
pub fn is_manifest_type(media_type: &str) -> bool {
    [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST].contains(&media_type)
}

//! [`OciRegistry`]: the [`Registry`] and [`BlobSource`] of one repository of one registry,
//! over `oci-client` (uploads, mounts, manifests) plus plain HEAD requests for "does it
//! exist" (`oci-client` has no blob HEAD).

use std::time::Duration;

use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::OciDistributionError;
use oci_client::secrets::RegistryAuth;
use oci_client::{Reference, RegistryOperation};

use super::{BlobData, BlobSource, Registry, RegistryError, Retried, with_retries};
use crate::image::{Blob, DOCKER_LIST, DOCKER_MANIFEST, Manifest, OCI_INDEX, OCI_MANIFEST};
use crate::login::Credentials;

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
fn is_manifest_type(media_type: &str) -> bool {
    [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST].contains(&media_type)
}

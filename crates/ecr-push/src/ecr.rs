//! ECR's control plane behind a narrow trait, [`Ecr`], and its implementation over the AWS SDK,
//! [`SdkEcr`]. Everything above it works with the tool's own types.

use std::collections::BTreeMap;

use aws_sdk_ecr::types::{
    EncryptionConfiguration, EncryptionType, ImageIdentifier, ImageScanningConfiguration,
    ImageTagMutability, ScanStatus, Tag,
};

use crate::image::ImageSelector;
use crate::repository::{
    Change, Encryption, ObservedRepository, RepositorySettings, TagMutability,
};
use crate::scan::{Finding, ScanReport, ScanState};

/// A failed ECR call: which operation, and the SDK's whole error chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ECR {operation} failed: {message}")]
pub struct EcrError {
    pub operation: &'static str,
    pub message: String,
}

/// A request the SDK could not even build (a bad field): its causes, no AWS call was made.
fn build_error(operation: &'static str, e: aws_sdk_ecr::error::BuildError) -> EcrError {
    EcrError {
        operation,
        message: gantry_aws_setup::sdk_error::causes(&e),
    }
}

fn sdk_error<E, R>(operation: &'static str, e: aws_sdk_ecr::error::SdkError<E, R>) -> EcrError
where
    E: aws_sdk_ecr::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    EcrError {
        operation,
        message: gantry_aws_setup::sdk_error::explain(&e),
    }
}

/// One registry's credentials from GetAuthorizationToken, still encoded.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthorizationData {
    /// base64 of `AWS:<password>`: a secret.
    pub token: String,
    /// `https://<account>.dkr.ecr.<region>.amazonaws.com`.
    pub proxy_endpoint: String,
}

impl std::fmt::Debug for AuthorizationData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizationData")
            .field("proxy_endpoint", &self.proxy_endpoint)
            .finish_non_exhaustive()
    }
}

/// An image as `BatchGetImage` returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcrImage {
    /// The digest ECR reports (see [`crate::promote`] on moto's differing digests).
    pub digest: String,
    pub manifest: String,
    pub media_type: Option<String>,
}

/// How a `PutImage` ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutOutcome {
    Tagged,
    /// The same manifest already has this tag.
    AlreadyTagged,
    /// The repository is immutable and the tag names another image.
    TagImmutable(String),
}

/// The ECR operations ecr-push uses.
#[allow(async_fn_in_trait)]
pub trait Ecr {
    /// One token for the caller: it opens every registry the principal may use (ECR
    /// deprecated `registryIds`; the token is the same for each account).
    async fn authorization(&self) -> Result<AuthorizationData, EcrError>;
    async fn describe_repository(
        &self,
        registry_id: &str,
        name: &str,
    ) -> Result<Option<ObservedRepository>, EcrError>;
    async fn create_repository(
        &self,
        registry_id: &str,
        name: &str,
        settings: &RepositorySettings,
    ) -> Result<ObservedRepository, EcrError>;
    async fn apply(
        &self,
        registry_id: &str,
        repository: &ObservedRepository,
        change: &Change,
    ) -> Result<(), EcrError>;
    async fn get_image(
        &self,
        registry_id: &str,
        repository: &str,
        selector: &ImageSelector,
    ) -> Result<Option<EcrImage>, EcrError>;
    async fn put_image(
        &self,
        registry_id: &str,
        repository: &str,
        image: &EcrImage,
        tag: &str,
    ) -> Result<PutOutcome, EcrError>;
    async fn scan_state(
        &self,
        registry_id: &str,
        repository: &str,
        digest: &str,
    ) -> Result<ScanState, EcrError>;
    /// Every image of the repository with its tags and push time (DescribeImages), for the
    /// lifecycle preview.
    async fn list_images(
        &self,
        registry_id: &str,
        repository: &str,
    ) -> Result<Vec<crate::lifecycle::Image>, EcrError>;
    /// StartImageScan (for a repository without scan on push). `Ok(false)` when ECR refuses
    /// because the image was scanned today already (its limit).
    async fn start_scan(
        &self,
        registry_id: &str,
        repository: &str,
        digest: &str,
    ) -> Result<bool, EcrError>;
}

/// [`Ecr`] over the AWS SDK client.
#[derive(Debug, Clone)]
pub struct SdkEcr {
    client: aws_sdk_ecr::Client,
}

impl SdkEcr {
    pub fn new(context: &gantry_aws_setup::AwsContext) -> SdkEcr {
        Self::in_region(context, None)
    }

    /// A client for another region (a copy's source), with the same credentials.
    pub fn in_region(context: &gantry_aws_setup::AwsContext, region: Option<&str>) -> SdkEcr {
        let mut conf = aws_sdk_ecr::config::Builder::from(&context.config);
        if let Some(url) = context.endpoint_for("ECR") {
            conf = conf.endpoint_url(url);
        }
        if let Some(region) = region {
            conf = conf.region(aws_sdk_ecr::config::Region::new(region.to_string()));
        }
        SdkEcr {
            client: aws_sdk_ecr::Client::from_conf(conf.build()),
        }
    }
}

/// The accepted manifest media types for BatchGetImage: everything a registry stores, so
/// ECR never converts a manifest (a converted manifest has another digest).
const ACCEPTED_MEDIA_TYPES: &[&str] = &[
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v1+json",
];

fn identifier(selector: &ImageSelector) -> ImageIdentifier {
    match selector {
        ImageSelector::Tag(t) => ImageIdentifier::builder().image_tag(t).build(),
        ImageSelector::Digest(d) => ImageIdentifier::builder().image_digest(d).build(),
    }
}

fn observed(repo: &aws_sdk_ecr::types::Repository) -> ObservedRepository {
    let encryption = match repo.encryption_configuration() {
        Some(e) if e.encryption_type() != &EncryptionType::Aes256 => {
            Encryption::Kms(e.kms_key().map(str::to_string))
        }
        _ => Encryption::Aes256,
    };
    ObservedRepository {
        arn: repo.repository_arn().unwrap_or_default().to_string(),
        uri: repo.repository_uri().unwrap_or_default().to_string(),
        registry_id: repo.registry_id().unwrap_or_default().to_string(),
        tag_mutability: match repo.image_tag_mutability() {
            Some(ImageTagMutability::Immutable) => TagMutability::Immutable,
            _ => TagMutability::Mutable,
        },
        scan_on_push: repo
            .image_scanning_configuration()
            .is_some_and(|c| c.scan_on_push()),
        encryption,
        lifecycle_policy: None,
        tags: BTreeMap::new(),
    }
}

fn mutability(m: TagMutability) -> ImageTagMutability {
    match m {
        TagMutability::Mutable => ImageTagMutability::Mutable,
        TagMutability::Immutable => ImageTagMutability::Immutable,
    }
}

impl Ecr for SdkEcr {
    async fn authorization(&self) -> Result<AuthorizationData, EcrError> {
        let out = self
            .client
            .get_authorization_token()
            .send()
            .await
            .map_err(|e| sdk_error("GetAuthorizationToken", e))?;
        let data = out.authorization_data().first().ok_or_else(|| EcrError {
            operation: "GetAuthorizationToken",
            message: "the answer has no authorization data".into(),
        })?;
        Ok(AuthorizationData {
            token: data.authorization_token().unwrap_or_default().to_string(),
            proxy_endpoint: data.proxy_endpoint().unwrap_or_default().to_string(),
        })
    }

    async fn list_images(
        &self,
        registry_id: &str,
        repository: &str,
    ) -> Result<Vec<crate::lifecycle::Image>, EcrError> {
        let mut pages = self
            .client
            .describe_images()
            .registry_id(registry_id)
            .repository_name(repository)
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sdk_error("DescribeImages", e))?;
            for detail in page.image_details() {
                out.push(crate::lifecycle::Image {
                    digest: detail.image_digest().unwrap_or_default().to_string(),
                    tags: detail.image_tags().to_vec(),
                    pushed_at: detail.image_pushed_at().map_or(0, |t| t.secs()),
                });
            }
        }
        Ok(out)
    }

    async fn describe_repository(
        &self,
        registry_id: &str,
        name: &str,
    ) -> Result<Option<ObservedRepository>, EcrError> {
        let out = match self
            .client
            .describe_repositories()
            .registry_id(registry_id)
            .repository_names(name)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                if e.as_service_error()
                    .is_some_and(|s| s.is_repository_not_found_exception())
                {
                    return Ok(None);
                }
                return Err(sdk_error("DescribeRepositories", e));
            }
        };
        let Some(repo) = out.repositories().first() else {
            return Ok(None);
        };
        let mut observed = observed(repo);
        observed.lifecycle_policy = match self
            .client
            .get_lifecycle_policy()
            .registry_id(registry_id)
            .repository_name(name)
            .send()
            .await
        {
            Ok(out) => out
                .lifecycle_policy_text()
                .and_then(|t| serde_json::from_str(t).ok()),
            Err(e) => {
                if e.as_service_error()
                    .is_some_and(|s| s.is_lifecycle_policy_not_found_exception())
                {
                    None
                } else {
                    return Err(sdk_error("GetLifecyclePolicy", e));
                }
            }
        };
        let tags = self
            .client
            .list_tags_for_resource()
            .resource_arn(&observed.arn)
            .send()
            .await
            .map_err(|e| sdk_error("ListTagsForResource", e))?;
        observed.tags = tags
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        Ok(Some(observed))
    }

    async fn create_repository(
        &self,
        registry_id: &str,
        name: &str,
        settings: &RepositorySettings,
    ) -> Result<ObservedRepository, EcrError> {
        let encryption = match &settings.encryption {
            Encryption::Aes256 => EncryptionConfiguration::builder()
                .encryption_type(EncryptionType::Aes256)
                .build(),
            Encryption::Kms(key) => EncryptionConfiguration::builder()
                .encryption_type(EncryptionType::Kms)
                .set_kms_key(key.clone())
                .build(),
        }
        .map_err(|e| build_error("CreateRepository", e))?;
        let mut tags = Vec::new();
        for (k, v) in &settings.tags {
            tags.push(
                Tag::builder()
                    .key(k)
                    .value(v)
                    .build()
                    .map_err(|e| build_error("CreateRepository", e))?,
            );
        }
        let out = self
            .client
            .create_repository()
            .registry_id(registry_id)
            .repository_name(name)
            .image_tag_mutability(mutability(settings.tag_mutability))
            .image_scanning_configuration(
                ImageScanningConfiguration::builder()
                    .scan_on_push(settings.scan_on_push)
                    .build(),
            )
            .encryption_configuration(encryption)
            .set_tags((!tags.is_empty()).then_some(tags))
            .send()
            .await
            .map_err(|e| sdk_error("CreateRepository", e))?;
        let repo = out.repository().ok_or_else(|| EcrError {
            operation: "CreateRepository",
            message: "the answer has no repository".into(),
        })?;
        let mut observed = observed(repo);
        if let Some(policy) = settings.lifecycle.policy() {
            self.apply(
                registry_id,
                &observed,
                &Change::PutLifecyclePolicy(policy.clone()),
            )
            .await?;
            observed.lifecycle_policy = Some(policy);
        }
        observed.tags = settings.tags.clone();
        Ok(observed)
    }

    async fn apply(
        &self,
        registry_id: &str,
        repository: &ObservedRepository,
        change: &Change,
    ) -> Result<(), EcrError> {
        let name = repository
            .uri
            .split_once('/')
            .map(|(_, n)| n.to_string())
            .unwrap_or_default();
        match change {
            Change::SetTagMutability(m) => {
                self.client
                    .put_image_tag_mutability()
                    .registry_id(registry_id)
                    .repository_name(&name)
                    .image_tag_mutability(mutability(*m))
                    .send()
                    .await
                    .map_err(|e| sdk_error("PutImageTagMutability", e))?;
            }
            Change::SetScanOnPush(on) => {
                self.client
                    .put_image_scanning_configuration()
                    .registry_id(registry_id)
                    .repository_name(&name)
                    .image_scanning_configuration(
                        ImageScanningConfiguration::builder()
                            .scan_on_push(*on)
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(|e| sdk_error("PutImageScanningConfiguration", e))?;
            }
            Change::PutLifecyclePolicy(policy) => {
                self.client
                    .put_lifecycle_policy()
                    .registry_id(registry_id)
                    .repository_name(&name)
                    .lifecycle_policy_text(policy.to_string())
                    .send()
                    .await
                    .map_err(|e| sdk_error("PutLifecyclePolicy", e))?;
            }
            Change::DeleteLifecyclePolicy => {
                self.client
                    .delete_lifecycle_policy()
                    .registry_id(registry_id)
                    .repository_name(&name)
                    .send()
                    .await
                    .map_err(|e| sdk_error("DeleteLifecyclePolicy", e))?;
            }
            Change::TagResource(tags) => {
                let mut list = Vec::new();
                for (k, v) in tags {
                    list.push(
                        Tag::builder()
                            .key(k)
                            .value(v)
                            .build()
                            .map_err(|e| build_error("TagResource", e))?,
                    );
                }
                self.client
                    .tag_resource()
                    .resource_arn(&repository.arn)
                    .set_tags(Some(list))
                    .send()
                    .await
                    .map_err(|e| sdk_error("TagResource", e))?;
            }
        }
        Ok(())
    }

    async fn get_image(
        &self,
        registry_id: &str,
        repository: &str,
        selector: &ImageSelector,
    ) -> Result<Option<EcrImage>, EcrError> {
        let mut request = self
            .client
            .batch_get_image()
            .registry_id(registry_id)
            .repository_name(repository)
            .image_ids(identifier(selector));
        for media_type in ACCEPTED_MEDIA_TYPES {
            request = request.accepted_media_types(*media_type);
        }
        let out = request
            .send()
            .await
            .map_err(|e| sdk_error("BatchGetImage", e))?;
        Ok(out.images().first().map(|image| EcrImage {
            digest: image
                .image_id()
                .and_then(|id| id.image_digest())
                .unwrap_or_default()
                .to_string(),
            manifest: image.image_manifest().unwrap_or_default().to_string(),
            media_type: image.image_manifest_media_type().map(str::to_string),
        }))
    }

    async fn put_image(
        &self,
        registry_id: &str,
        repository: &str,
        image: &EcrImage,
        tag: &str,
    ) -> Result<PutOutcome, EcrError> {
        match self
            .client
            .put_image()
            .registry_id(registry_id)
            .repository_name(repository)
            .image_manifest(&image.manifest)
            .set_image_manifest_media_type(image.media_type.clone())
            .image_tag(tag)
            .send()
            .await
        {
            Ok(_) => Ok(PutOutcome::Tagged),
            Err(e) => match e.as_service_error() {
                Some(s) if s.is_image_already_exists_exception() => Ok(PutOutcome::AlreadyTagged),
                Some(s) if s.is_image_tag_already_exists_exception() => Ok(
                    PutOutcome::TagImmutable(gantry_aws_setup::sdk_error::explain(&e)),
                ),
                _ => Err(sdk_error("PutImage", e)),
            },
        }
    }

    async fn scan_state(
        &self,
        registry_id: &str,
        repository: &str,
        digest: &str,
    ) -> Result<ScanState, EcrError> {
        let out = match self
            .client
            .describe_image_scan_findings()
            .registry_id(registry_id)
            .repository_name(repository)
            .image_id(ImageIdentifier::builder().image_digest(digest).build())
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                if e.as_service_error().is_some_and(|s| {
                    s.is_scan_not_found_exception() || s.is_image_not_found_exception()
                }) {
                    return Ok(ScanState::NotFound);
                }
                return Err(sdk_error("DescribeImageScanFindings", e));
            }
        };
        let status = out.image_scan_status();
        match status.and_then(|s| s.status()) {
            Some(ScanStatus::Complete) => {}
            Some(ScanStatus::Failed) | Some(ScanStatus::UnsupportedImage) => {
                return Ok(ScanState::Failed(
                    status
                        .and_then(|s| s.description())
                        .unwrap_or("the scan failed")
                        .to_string(),
                ));
            }
            _ => return Ok(ScanState::InProgress),
        }
        let mut report = ScanReport::default();
        if let Some(findings) = out.image_scan_findings() {
            if let Some(counts) = findings.finding_severity_counts() {
                for (sev, n) in counts {
                    report
                        .counts
                        .insert(sev.as_str().to_string(), u64::try_from(*n).unwrap_or(0));
                }
            }
            for f in findings.findings() {
                let package = f
                    .attributes()
                    .iter()
                    .find(|a| a.key() == "package_name")
                    .and_then(|a| a.value())
                    .unwrap_or_default();
                report.findings.push(Finding {
                    name: f.name().unwrap_or_default().to_string(),
                    severity: f
                        .severity()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                    package: package.to_string(),
                    uri: f.uri().unwrap_or_default().to_string(),
                });
            }
        }
        Ok(ScanState::Complete(report))
    }

    async fn start_scan(
        &self,
        registry_id: &str,
        repository: &str,
        digest: &str,
    ) -> Result<bool, EcrError> {
        match self
            .client
            .start_image_scan()
            .registry_id(registry_id)
            .repository_name(repository)
            .image_id(ImageIdentifier::builder().image_digest(digest).build())
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) => {
                if e.as_service_error()
                    .is_some_and(|s| s.is_limit_exceeded_exception())
                {
                    Ok(false)
                } else {
                    Err(sdk_error("StartImageScan", e))
                }
            }
        }
    }
}

/// ECR Public's registry, where public base images are pulled from.
pub const PUBLIC_REGISTRY: &str = "public.ecr.aws";

/// Logging in to ECR Public (`ecr-public:GetAuthorizationToken`), for builds that pull base
/// images from `public.ecr.aws` with an account's higher rate limits.
#[allow(async_fn_in_trait)]
pub trait EcrPublic {
    async fn authorization(&self) -> Result<AuthorizationData, EcrError>;
}

/// [`EcrPublic`] over the AWS SDK. ECR Public's API lives in us-east-1 only.
#[derive(Debug, Clone)]
pub struct SdkEcrPublic {
    client: aws_sdk_ecrpublic::Client,
}

impl SdkEcrPublic {
    pub fn new(context: &gantry_aws_setup::AwsContext) -> SdkEcrPublic {
        let mut conf = aws_sdk_ecrpublic::config::Builder::from(&context.config)
            .region(aws_sdk_ecrpublic::config::Region::new("us-east-1"));
        if let Some(url) = context.endpoint_for("ECR_PUBLIC") {
            conf = conf.endpoint_url(url);
        }
        SdkEcrPublic {
            client: aws_sdk_ecrpublic::Client::from_conf(conf.build()),
        }
    }
}

impl EcrPublic for SdkEcrPublic {
    async fn authorization(&self) -> Result<AuthorizationData, EcrError> {
        let out = self
            .client
            .get_authorization_token()
            .send()
            .await
            .map_err(|e| sdk_error("ecr-public GetAuthorizationToken", e))?;
        let token = out
            .authorization_data()
            .and_then(|d| d.authorization_token())
            .ok_or_else(|| EcrError {
                operation: "ecr-public GetAuthorizationToken",
                message: "the answer has no authorization data".into(),
            })?;
        Ok(AuthorizationData {
            token: token.to_string(),
            proxy_endpoint: format!("https://{PUBLIC_REGISTRY}"),
        })
    }
}

// ---- waiting for a scan ------------------------------------------------------------------

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(transparent)]
    Ecr(#[from] EcrError),
    #[error(
        "no scan result for {digest} after {seconds} s: raise input 'scan-timeout-seconds', or check that the repository scans on push"
    )]
    Timeout { digest: String, seconds: u64 },
    #[error("the scan of {digest} failed: {reason}")]
    Failed { digest: String, reason: String },
}

/// Polls until the scan of `digest` is complete. A missing scan is started once: at once when
/// the repository does not scan on push, else after 10 s without one appearing.
pub async fn wait_for_scan<E: Ecr>(
    ecr: &E,
    registry_id: &str,
    repository: &str,
    digest: &str,
    scan_on_push: bool,
    timeout: std::time::Duration,
    log: &dyn Fn(String),
) -> Result<ScanReport, ScanError> {
    let grace = if scan_on_push {
        std::time::Duration::from_secs(10)
    } else {
        std::time::Duration::ZERO
    };
    let start = tokio::time::Instant::now();
    let mut started = false;
    let mut delay = std::time::Duration::from_millis(500);
    loop {
        match ecr.scan_state(registry_id, repository, digest).await? {
            ScanState::Complete(report) => return Ok(report),
            ScanState::Failed(reason) => {
                return Err(ScanError::Failed {
                    digest: digest.to_string(),
                    reason,
                });
            }
            ScanState::NotFound if !started && start.elapsed() >= grace => {
                started = true;
                if ecr.start_scan(registry_id, repository, digest).await? {
                    log(format!("no scan of {digest} yet: started one"));
                }
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                continue;
            }
            ScanState::NotFound | ScanState::InProgress => {}
        }
        if start.elapsed() + delay > timeout {
            return Err(ScanError::Timeout {
                digest: digest.to_string(),
                seconds: timeout.as_secs(),
            });
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(std::time::Duration::from_secs(10));
    }
}

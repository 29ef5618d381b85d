//! [`Resources`] over the AWS SDK (ECR, IAM, Secrets Manager, SSM, CloudWatch Logs) and, for
//! images in other registries, a manifest HEAD through `oci-client` (anonymous: a registry that
//! wants credentials answers "unknown", not "missing").

use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::secrets::RegistryAuth;

use super::{Found, Resource, Resources};
use crate::image::ImageRef;

/// The clients [`verify`](super::verify) asks, all in the deploy's region.
#[derive(Debug, Clone)]
pub struct SdkResources {
    pub ecr: aws_sdk_ecr::Client,
    pub iam: aws_sdk_iam::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
}

/// What an SDK error means for a lookup: `not_found` codes are [`Found::No`], anything else
/// (no permission, throttling, the network) is [`Found::Unknown`] with AWS's words.
fn answer<T, E, R>(
    operation: &str,
    result: Result<T, aws_smithy_runtime_api::client::result::SdkError<E, R>>,
    not_found: &[&str],
    found: impl FnOnce(&T) -> bool,
) -> Found
where
    E: aws_sdk_ecr::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match result {
        Ok(out) => {
            if found(&out) {
                Found::Yes
            } else {
                Found::No
            }
        }
        Err(e) => {
            let code = e
                .as_service_error()
                .and_then(|s| s.code())
                .unwrap_or_default();
            if not_found.contains(&code) {
                Found::No
            } else {
                Found::Unknown(format!(
                    "{operation}: {}",
                    gantry_aws_setup::sdk_error::explain(&e)
                ))
            }
        }
    }
}

impl SdkResources {
    async fn image(&self, text: &str) -> Found {
        let Some(image) = ImageRef::parse(text) else {
            return Found::Unknown("not an image reference".into());
        };
        if let Some((account, _)) = image.ecr() {
            let mut id = aws_sdk_ecr::types::ImageIdentifier::builder();
            id = match (&image.digest, &image.tag) {
                (Some(d), _) => id.image_digest(d),
                (None, t) => id.image_tag(t.as_deref().unwrap_or("latest")),
            };
            let result = self
                .ecr
                .describe_images()
                .registry_id(account)
                .repository_name(&image.repository)
                .image_ids(id.build())
                .send()
                .await;
            return answer(
                "DescribeImages",
                result,
                &["ImageNotFoundException", "RepositoryNotFoundException"],
                |out| !out.image_details().is_empty(),
            );
        }
        registry_has(&image).await
    }
}

/// A manifest HEAD for `image` in its registry (Docker Hub when it names none).
async fn registry_has(image: &ImageRef) -> Found {
    let text = image.to_string();
    let Ok(reference) = text.parse::<oci_client::Reference>() else {
        return Found::Unknown(format!(
            "{text} is not a reference the registry client reads"
        ));
    };
    let host = reference.resolve_registry().to_owned();
    // Plain HTTP only for a registry on this machine (a local registry, as in tests).
    let loopback = ["127.0.0.1", "localhost", "[::1]"]
        .iter()
        .any(|h| host == *h || host.starts_with(&format!("{h}:")));
    let client = oci_client::Client::new(ClientConfig {
        protocol: if loopback {
            ClientProtocol::HttpsExcept(vec![host.clone()])
        } else {
            ClientProtocol::Https
        },
        ..ClientConfig::default()
    });
    match client
        .fetch_manifest_digest(&reference, &RegistryAuth::Anonymous)
        .await
    {
        Ok(_) => Found::Yes,
        Err(oci_client::errors::OciDistributionError::ImageManifestNotFoundError(_)) => Found::No,
        Err(oci_client::errors::OciDistributionError::ServerError { code: 404, .. }) => Found::No,
        Err(e) => Found::Unknown(format!("{host}: {e}")),
    }
}

impl Resources for SdkResources {
    async fn exists(&self, resource: &Resource) -> Found {
        match resource {
            Resource::Image(image) => self.image(image).await,
            Resource::SecretsManager(id) => answer(
                "DescribeSecret",
                self.secrets.describe_secret().secret_id(id).send().await,
                &["ResourceNotFoundException"],
                |_| true,
            ),
            Resource::Parameter(name) => answer(
                "GetParameter",
                self.ssm.get_parameter().name(name).send().await,
                &["ParameterNotFound"],
                |_| true,
            ),
            Resource::Role(name) => answer(
                "GetRole",
                self.iam.get_role().role_name(name).send().await,
                &["NoSuchEntity"],
                |_| true,
            ),
            Resource::LogGroup(group) => answer(
                "DescribeLogGroups",
                self.logs
                    .describe_log_groups()
                    .log_group_name_prefix(group)
                    .send()
                    .await,
                &[],
                |out| {
                    out.log_groups()
                        .iter()
                        .any(|g| g.log_group_name() == Some(group))
                },
            ),
        }
    }
}

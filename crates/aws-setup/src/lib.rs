//! One place that gives every gantry tool its AWS configuration.
//!
//! ```no_run
//! # async fn example(runner: std::sync::Arc<gantry_toolkit::Runner>) -> Result<(), Box<dyn std::error::Error>> {
//! // Validate every input first; then build the config, which sends no request yet.
//! let settings = gantry_aws_setup::AwsSettings::from_env("ecs-rollout", runner.env())?;
//! let aws = gantry_aws_setup::load(settings, runner.clone()).await?;
//! let mut ecs = aws_sdk_sts::config::Builder::from(&aws.config);
//! if let Some(url) = aws.endpoint_for("STS") {
//!     ecs = ecs.endpoint_url(url);
//! }
//! # Ok(()) }
//! ```
//!
//! What it decides, in order:
//! - **Region**: input `aws-region`, then `AWS_REGION`, then `AWS_DEFAULT_REGION`; none is an
//!   error (GitHub-hosted runners have no instance metadata to ask).
//! - **Endpoints**: `AWS_ENDPOINT_URL` for every service (how tests reach the local emulator) and
//!   `AWS_ENDPOINT_URL_<SERVICE>` for one service, which wins. Tools apply the per-service value
//!   with [`AwsContext::endpoint_for`] because the SDK ignores per-service variables once a
//!   global endpoint is set programmatically.
//! - **Credentials**: with `role-to-assume` and the runner's OIDC variables present
//!   (`permissions: id-token: write`), `sts:AssumeRoleWithWebIdentity` with a fresh GitHub token
//!   at every refresh, no long-lived keys. With `role-to-assume` but no OIDC, the role is assumed
//!   with the base credentials (role chaining). Otherwise the keys in the environment, or the
//!   SDK's default chain. Every credential is masked in the log the moment it is known.
//! - **Retries and timeouts**: `aws-retry-mode` (`standard`, `adaptive`), `aws-max-attempts`,
//!   per-attempt and connect timeouts.
//! - **User agent**: `app/gantry-<tool>-<version>`, so CloudTrail and support cases can tell
//!   gantry's calls apart.

mod credentials;
mod error;
pub mod sdk_error;
mod settings;

use std::sync::Arc;

use aws_config::sts::AssumeRoleProvider;
use aws_config::{AppName, BehaviorVersion, ConfigLoader, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use aws_types::region::Region;
use gantry_toolkit::{Env, Runner};

pub use credentials::{GithubOidcWebIdentity, Masked};
pub use error::{SettingsError, SetupError};
pub use settings::{
    AWS_INPUTS, AssumeRole, AwsSettings, CredentialSource, DEFAULT_AUDIENCE, RetryMode, SERVICES,
    StaticKeys, input,
};

/// A ready SDK configuration plus the settings it came from.
#[derive(Debug, Clone)]
pub struct AwsContext {
    pub config: SdkConfig,
    pub settings: AwsSettings,
}

/// Who the credentials belong to, as STS sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerIdentity {
    pub account: String,
    pub arn: String,
    pub user_id: String,
}

impl AwsContext {
    /// The endpoint override for `service` (an entry of [`SERVICES`], e.g. `"ECS"`), if any.
    pub fn endpoint_for(&self, service: &str) -> Option<&str> {
        self.settings.endpoint_for(service)
    }

    pub fn sts(&self) -> aws_sdk_sts::Client {
        let mut conf = aws_sdk_sts::config::Builder::from(&self.config);
        if let Some(url) = self.endpoint_for("STS") {
            conf = conf.endpoint_url(url);
        }
        aws_sdk_sts::Client::from_conf(conf.build())
    }

    /// `sts:GetCallerIdentity`: proves the credentials work before a tool changes anything,
    /// and gives the account id ECR registries are named after.
    pub async fn caller_identity(&self) -> Result<CallerIdentity, SetupError> {
        let out = self
            .sts()
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| SetupError::Identity(sdk_error::explain(&e)))?;
        Ok(CallerIdentity {
            account: out.account.unwrap_or_default(),
            arn: out.arn.unwrap_or_default(),
            user_id: out.user_id.unwrap_or_default(),
        })
    }
}

/// Builds the SDK configuration. Sends no request: credentials are fetched on first use, and
/// masked through `masker` as soon as they exist.
pub async fn load(settings: AwsSettings, runner: Arc<Runner>) -> Result<AwsContext, SetupError> {
    let base = base_loader(&settings)?;

    let base_credentials: SharedCredentialsProvider = match &settings.credentials {
        CredentialSource::Static(keys) => {
            runner.add_mask(&keys.access_key_id);
            runner.add_mask(&keys.secret_access_key);
            if let Some(token) = &keys.session_token {
                runner.add_mask(token);
            }
            SharedCredentialsProvider::new(Credentials::new(
                keys.access_key_id.clone(),
                keys.secret_access_key.clone(),
                keys.session_token.clone(),
                None,
                "Environment",
            ))
        }
        CredentialSource::DefaultChain => SharedCredentialsProvider::new(
            aws_config::default_provider::credentials::DefaultCredentialsChain::builder()
                .region(Region::new(settings.region.clone()))
                .build()
                .await,
        ),
    };

    let credentials: SharedCredentialsProvider = match &settings.assume_role {
        None => SharedCredentialsProvider::new(Masked::new(base_credentials, runner.clone())),
        Some(role) if oidc_available(runner.env()) => {
            // AssumeRoleWithWebIdentity is unsigned: its STS client needs no credentials.
            let sts_config = base_loader(&settings)?.no_credentials().load().await;
            let mut sts = aws_sdk_sts::config::Builder::from(&sts_config);
            if let Some(url) = settings.endpoint_for("STS") {
                sts = sts.endpoint_url(url);
            }
            let provider = GithubOidcWebIdentity::new(
                aws_sdk_sts::Client::from_conf(sts.build()),
                role.clone(),
                runner.clone(),
            );
            SharedCredentialsProvider::new(Masked::new(provider, runner.clone()))
        }
        Some(role) => {
            let mut sts_loader =
                base_loader(&settings)?.credentials_provider(base_credentials.clone());
            if let Some(url) = settings.endpoint_for("STS") {
                sts_loader = sts_loader.endpoint_url(url);
            }
            let sts_config = sts_loader.load().await;
            let provider = AssumeRoleProvider::builder(role.role_arn.clone())
                .session_name(role.session_name.clone())
                .session_length(role.duration)
                .configure(&sts_config)
                .build_from_provider(base_credentials)
                .await;
            SharedCredentialsProvider::new(Masked::new(provider, runner.clone()))
        }
    };

    let config = base.credentials_provider(credentials).load().await;
    Ok(AwsContext { config, settings })
}

fn oidc_available(env: &Env) -> bool {
    [
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    ]
    .iter()
    .all(|var| env.get(var).is_some_and(|v| !v.trim().is_empty()))
}

fn base_loader(settings: &AwsSettings) -> Result<ConfigLoader, SetupError> {
    let app = AppName::new(format!(
        "gantry-{}-{}",
        settings.tool,
        env!("CARGO_PKG_VERSION")
    ))
    .map_err(|_| SetupError::BadToolName(settings.tool.clone()))?;
    let retry = match settings.retry_mode {
        RetryMode::Standard => RetryConfig::standard(),
        RetryMode::Adaptive => RetryConfig::adaptive(),
    }
    .with_max_attempts(settings.max_attempts);
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(settings.connect_timeout)
        .operation_attempt_timeout(settings.attempt_timeout)
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(settings.region.clone()))
        .retry_config(retry)
        .timeout_config(timeouts)
        .app_name(app);
    if let Some(url) = &settings.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    Ok(loader)
}

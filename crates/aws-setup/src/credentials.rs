//! Credential providers: GitHub OIDC web identity, and a wrapper that masks every credential
//! before the SDK can hand it to anything that might print it.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{
    self, ProvideCredentials, error::CredentialsError, future::ProvideCredentials as CredsFuture,
};
use gantry_toolkit::Runner;

use crate::settings::AssumeRole;

/// Masks every credential a provider returns, each time it returns one (refreshes included).
#[derive(Debug)]
pub struct Masked<P> {
    inner: P,
    runner: Arc<Runner>,
}

impl<P> Masked<P> {
    pub fn new(inner: P, runner: Arc<Runner>) -> Self {
        Self { inner, runner }
    }
}

impl<P: ProvideCredentials> ProvideCredentials for Masked<P> {
    fn provide_credentials<'a>(&'a self) -> CredsFuture<'a>
    where
        Self: 'a,
    {
        CredsFuture::new(async move {
            let creds = self.inner.provide_credentials().await?;
            self.runner.add_mask(creds.access_key_id());
            self.runner.add_mask(creds.secret_access_key());
            if let Some(token) = creds.session_token() {
                self.runner.add_mask(token);
            }
            Ok(creds)
        })
    }
}

/// `sts:AssumeRoleWithWebIdentity` with a GitHub OIDC token, fetched anew at every refresh:
/// GitHub's tokens live minutes, role sessions an hour or more, and a long deploy outlives both.
#[derive(Debug)]
pub struct GithubOidcWebIdentity {
    sts: aws_sdk_sts::Client,
    role: AssumeRole,
    runner: Arc<Runner>,
}

impl GithubOidcWebIdentity {
    pub fn new(sts: aws_sdk_sts::Client, role: AssumeRole, runner: Arc<Runner>) -> Self {
        Self { sts, role, runner }
    }

    async fn fetch(&self) -> provider::Result {
        let runner = self.runner.clone();
        let audience = self.role.audience.clone();
        // The runner masks the token (a bearer credential for the role) before returning it.
        let token = tokio::task::spawn_blocking(move || runner.id_token(Some(&audience)))
            .await
            .map_err(CredentialsError::provider_error)?
            .map_err(CredentialsError::not_loaded)?;

        let out = self
            .sts
            .assume_role_with_web_identity()
            .role_arn(&self.role.role_arn)
            .role_session_name(&self.role.session_name)
            .duration_seconds(i32::try_from(self.role.duration.as_secs()).unwrap_or(3600))
            .web_identity_token(token)
            .send()
            .await
            .map_err(|e| {
                CredentialsError::provider_error(format!(
                    "sts:AssumeRoleWithWebIdentity for {} failed: {}; check the role's trust policy \
                     allows this repository's OIDC subject and audience '{}'",
                    self.role.role_arn,
                    crate::sdk_error::explain(&e),
                    self.role.audience
                ))
            })?;
        let c = out.credentials.ok_or_else(|| {
            CredentialsError::provider_error(
                "sts:AssumeRoleWithWebIdentity returned no credentials",
            )
        })?;
        let expiry = SystemTime::try_from(c.expiration)
            .unwrap_or_else(|_| SystemTime::now() + Duration::from_secs(900));
        Ok(Credentials::new(
            c.access_key_id,
            c.secret_access_key,
            Some(c.session_token),
            Some(expiry),
            "GithubOidcWebIdentity",
        ))
    }
}

impl ProvideCredentials for GithubOidcWebIdentity {
    fn provide_credentials<'a>(&'a self) -> CredsFuture<'a>
    where
        Self: 'a,
    {
        CredsFuture::new(self.fetch())
    }
}

//! AWS Signature Version 4 for requests the SDK does not send: the queries of a `prometheus`
//! metric with `auth: sigv4` (Amazon Managed Prometheus, service `aps`). The signing is the
//! `aws-sigv4` crate's, the one the SDK itself signs with. The credentials are the run's: the
//! SDK configuration `gantry_aws_setup` builds from the step's AWS inputs and environment
//! (static keys, the default chain, or `role-to-assume` through GitHub's OIDC token), with
//! every credential masked in the log when it is fetched. [`AwsSigning::from_sdk_config`] takes
//! them from a configuration the run built; [`AwsSigning::for_process`] builds that
//! configuration once per process from the step's inputs, for the run loops that do not hold
//! the run's own.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

/// The service name Amazon Managed Prometheus signs for.
pub const APS: &str = "aps";

/// Credentials are fetched again this long before they expire.
const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(300);

/// The run's AWS credentials and region, for signing. Clones share one cache, so a role's
/// credentials are fetched once, not at every look.
#[derive(Clone)]
pub struct AwsSigning {
    provider: SharedCredentialsProvider,
    region: Option<String>,
    cache: Arc<Mutex<Option<Credentials>>>,
}

impl std::fmt::Debug for AwsSigning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsSigning")
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl AwsSigning {
    /// `region`: the run's, for metrics whose policy and URL name none.
    pub fn new(provider: SharedCredentialsProvider, region: Option<String>) -> AwsSigning {
        AwsSigning {
            provider,
            region,
            cache: Arc::new(Mutex::new(None)),
        }
    }

    /// The credentials and region of an SDK configuration (`None` without credentials).
    pub fn from_sdk_config(config: &aws_types::SdkConfig) -> Option<AwsSigning> {
        Some(AwsSigning::new(
            config.credentials_provider()?,
            config.region().map(|r| r.as_ref().to_string()),
        ))
    }

    /// The run's credentials from the step's AWS inputs and environment (`aws-region`,
    /// `role-to-assume`, `AWS_*` …), read as `gantry_aws_setup` reads them for the run's own
    /// clients, and masked through `runner`. Built once per process: a role is assumed once,
    /// and its credentials are cached until shortly before they expire.
    pub async fn for_process(
        env: &gantry_toolkit::Env,
        runner: Arc<gantry_toolkit::Runner>,
    ) -> Result<AwsSigning, String> {
        static SIGNING: OnceLock<AwsSigning> = OnceLock::new();
        if let Some(s) = SIGNING.get() {
            return Ok(s.clone());
        }
        let settings = gantry_aws_setup::AwsSettings::from_env("canary-gate", env)
            .map_err(|e| format!("auth: sigv4 signs with the run's AWS credentials, but the step's AWS settings are not usable: {e}"))?;
        let aws = gantry_aws_setup::load(settings, runner)
            .await
            .map_err(|e| format!("auth: sigv4 signs with the run's AWS credentials, which could not be set up: {e}"))?;
        let signing = AwsSigning::from_sdk_config(&aws.config).ok_or_else(|| {
            "auth: sigv4 signs with the run's AWS credentials, but the AWS configuration has none".to_string()
        })?;
        Ok(SIGNING.get_or_init(|| signing).clone())
    }

    /// The run's region.
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// Credentials to sign with: the cached ones while they are good for 5 more minutes.
    pub async fn credentials(&self) -> Result<Credentials, String> {
        let fresh = |c: &Credentials| {
            c.expiry()
                .is_none_or(|e| e > SystemTime::now() + REFRESH_BEFORE_EXPIRY)
        };
        let cached = self
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(c) = cached.filter(fresh) {
            return Ok(c);
        }
        let c = self.provider.provide_credentials().await.map_err(|e| {
            format!(
                "the run's AWS credentials could not be loaded: {}",
                gantry_aws_setup::sdk_error::causes(&e)
            )
        })?;
        *self.cache.lock().unwrap_or_else(PoisonError::into_inner) = Some(c.clone());
        Ok(c)
    }
}

/// A request as it will be sent, before signing.
#[derive(Debug, Clone, Copy)]
pub struct Unsigned<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
}

/// The headers that sign a request (`x-amz-date`, `authorization`, and `x-amz-security-token`
/// with temporary credentials), to add to it as they are. `url` must be the URL sent, query
/// string included, and `headers` the other headers that are sent and should be signed. The
/// `host` header is signed from the URL's authority (with its port, when it has one), as the
/// HTTP client sends it.
pub fn sign_request(
    request: &Unsigned<'_>,
    credentials: &Credentials,
    region: &str,
    service: &str,
    time: SystemTime,
) -> Result<Vec<(String, String)>, String> {
    let Unsigned {
        method,
        url,
        headers,
        body,
    } = *request;
    let identity: Identity = credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| format!("SigV4 parameters: {e}"))?
        .into();
    let request = SignableRequest::new(
        method,
        url,
        headers.iter().copied(),
        SignableBody::Bytes(body),
    )
    .map_err(|e| format!("SigV4 cannot sign {method} {url}: {e}"))?;
    let (instructions, _signature) = sign(request, &params)
        .map_err(|e| format!("SigV4 signing failed: {e}"))?
        .into_parts();
    Ok(instructions
        .headers()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example_credentials(token: Option<&str>) -> Credentials {
        // AWS's documented example keys (the SigV4 test suite's), not a real account's.
        Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            token.map(str::to_string),
            None,
            "test",
        )
    }

    fn at_20150830t123600z() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_440_938_160)
    }

    /// AWS's SigV4 test suite, case `get-vanilla`: `GET /` to example.amazonaws.com, service
    /// `service`, us-east-1, 2015-08-30T12:36:00Z, whose published signature is this one.
    #[test]
    fn the_signature_is_aws_published_one_for_get_vanilla() {
        let headers = sign_request(
            &Unsigned {
                method: "GET",
                url: "https://example.amazonaws.com/",
                headers: &[],
                body: b"",
            },
            &example_credentials(None),
            "us-east-1",
            "service",
            at_20150830t123600z(),
        )
        .unwrap();
        let get = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("x-amz-date"), Some("20150830T123600Z"));
        assert_eq!(
            get("authorization"),
            Some(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
            )
        );
        assert_eq!(get("x-amz-security-token"), None);
    }

    /// An Amazon Managed Prometheus query: scope `…/us-west-2/aps/aws4_request`, the host and
    /// date signed (and the session token, with temporary credentials); the signature depends
    /// on the query string.
    #[test]
    fn an_amp_query_signs_host_date_and_token_for_aps() {
        let url = "https://aps-workspaces.us-west-2.amazonaws.com/workspaces/ws-1/api/v1/query?query=sum%28up%29&time=1440938160.000";
        let sign_with = |url: &str, token: Option<&str>| {
            sign_request(
                &Unsigned {
                    method: "GET",
                    url,
                    headers: &[("accept", "application/json")],
                    body: b"",
                },
                &example_credentials(token),
                "us-west-2",
                APS,
                at_20150830t123600z(),
            )
            .unwrap()
        };
        let headers = sign_with(url, Some("session-token"));
        let auth = headers
            .iter()
            .find(|(k, _)| k == "authorization")
            .map(|(_, v)| v.clone())
            .unwrap();
        assert!(
            auth.starts_with(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-west-2/aps/aws4_request, SignedHeaders=accept;host;x-amz-date;x-amz-security-token, Signature="
            ),
            "{auth}"
        );
        let signature = auth.rsplit('=').next().unwrap();
        assert_eq!(signature.len(), 64);
        assert!(signature.chars().all(|c| c.is_ascii_hexdigit()));
        assert!(
            headers
                .iter()
                .any(|(k, v)| k == "x-amz-security-token" && v == "session-token")
        );
        let other = sign_with(&url.replace("sum%28up%29", "up"), Some("session-token"));
        assert_ne!(headers, other, "the query string is signed");
    }
}

//! AWS SDK errors in words a workflow log can show.
//!
//! The SDK's `DisplayErrorContext` ends with the whole error's `Debug` form (connector
//! internals, nested structs), which buries the one line that matters. [`explain`] keeps AWS's
//! own words for service errors (`Code: message`), follows the chain of causes for everything
//! else, and says what to check when AWS was never reached.

use std::error::Error;
use std::fmt::Debug;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// One line for an SDK error: `Code: message` from AWS, or the causes joined by `: ` with a
/// hint when the request never got an answer.
pub fn explain<E, R>(e: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + Error + 'static,
    R: Debug,
{
    match e {
        SdkError::ServiceError(s) if s.err().code().is_some() => format!(
            "{}: {}",
            s.err().code().unwrap_or_default(),
            s.err().message().unwrap_or("no message")
        ),
        SdkError::DispatchFailure(d) if d.is_timeout() => format!(
            "{}; no answer in time: check the network and the timeouts (aws-attempt-timeout-seconds, aws-connect-timeout-seconds)",
            causes(e)
        ),
        SdkError::DispatchFailure(_) => format!(
            "{}; AWS was not reached: check the network, the region and any AWS_ENDPOINT_URL",
            causes(e)
        ),
        SdkError::TimeoutError(_) => format!(
            "{}; no answer in time: raise aws-attempt-timeout-seconds or check the network",
            causes(e)
        ),
        _ => causes(e),
    }
}

/// The error and its sources, each once, joined by `: ` (no `Debug` forms).
pub fn causes(e: &dyn Error) -> String {
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut next = e.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        // Wrappers often repeat their source's text; say it once.
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = cause.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Layer>>);

    impl std::fmt::Display for Layer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl Error for Layer {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            self.1.as_deref().map(|l| l as &(dyn Error + 'static))
        }
    }

    #[test]
    fn causes_are_joined_once_each_without_debug_forms() {
        let e = Layer(
            "dispatch failure",
            Some(Box::new(Layer(
                "io error",
                Some(Box::new(Layer(
                    "Connection refused (os error 111)",
                    Some(Box::new(Layer("Connection refused (os error 111)", None))),
                ))),
            ))),
        );
        assert_eq!(
            causes(&e),
            "dispatch failure: io error: Connection refused (os error 111)"
        );
    }

    /// A real SDK call to a closed port: one line that says what to check, and none of the
    /// connector's Debug internals the SDK's own display appends.
    #[test]
    fn an_unreachable_endpoint_reads_as_one_line_with_what_to_check() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("runtime: {e}"));
        let conf = aws_sdk_sts::Config::builder()
            .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
            .region(aws_sdk_sts::config::Region::new("us-east-1"))
            .endpoint_url("http://127.0.0.1:9")
            .credentials_provider(aws_credential_types::Credentials::new(
                "AKIDEXAMPLE",
                "secret",
                None,
                None,
                "test",
            ))
            .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled())
            .build();
        let client = aws_sdk_sts::Client::from_conf(conf);
        let Err(e) = rt.block_on(client.get_caller_identity().send()) else {
            panic!("port 9 answered");
        };
        let text = explain(&e);
        assert!(text.starts_with("dispatch failure"), "{text}");
        assert!(text.contains("Connection refused"), "{text}");
        assert!(text.contains("AWS was not reached"), "{text}");
        assert!(!text.contains("DispatchFailure("), "{text}");
        assert!(!text.contains('\n'), "{text}");
    }
}

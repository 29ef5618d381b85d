//! Errors of AWS setup. Each names the input or variable to fix.

/// A bad or missing input, found before anything talks to AWS.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SettingsError {
    #[error(
        "no AWS region: set the 'aws-region' input (or AWS_REGION in the job's env), e.g. aws-region: us-east-1"
    )]
    MissingRegion,
    #[error("input '{input}' has invalid value '{value}': expected {expected}")]
    Invalid {
        input: String,
        value: String,
        expected: &'static str,
    },
    #[error("input '{input}' is set to '{value}' but {reason}")]
    Conflict {
        input: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("{present} is set but {missing} is not: set both, or neither and use 'role-to-assume'")]
    HalfStaticKeys {
        present: &'static str,
        missing: &'static str,
    },
}

/// Building the SDK config failed after the settings were valid.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error("the tool name '{0}' cannot be used in an AWS user agent; use letters, digits and -")]
    BadToolName(String),
    #[error("could not check the AWS identity with sts:GetCallerIdentity: {0}")]
    Identity(String),
}

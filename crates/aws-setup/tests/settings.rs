//! Inputs → settings: every input has a bad value that is refused with a message naming it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use gantry_aws_setup::{AwsSettings, CredentialSource, RetryMode, SettingsError};
use gantry_toolkit::Env;

fn env(pairs: &[(&str, &str)]) -> Env {
    let mut all = vec![("AWS_REGION", "eu-west-1")];
    all.extend_from_slice(pairs);
    Env::from_iter(all)
}

fn err(pairs: &[(&str, &str)]) -> String {
    AwsSettings::from_env("ecs-rollout", &env(pairs))
        .unwrap_err()
        .to_string()
}

#[test]
fn defaults() {
    let s = AwsSettings::from_env("ecs-rollout", &env(&[])).unwrap();
    assert_eq!(s.region, "eu-west-1");
    assert_eq!(s.endpoint_url, None);
    assert_eq!(s.credentials, CredentialSource::DefaultChain);
    assert_eq!(s.assume_role, None);
    assert_eq!(s.retry_mode, RetryMode::Standard);
    assert_eq!(s.max_attempts, 5);
    assert_eq!(s.attempt_timeout, Duration::from_secs(60));
}

#[test]
fn region_precedence_input_then_aws_region_then_default_region() {
    let e = Env::from_iter([
        ("INPUT_AWS-REGION", " us-west-2 "),
        ("AWS_REGION", "eu-west-1"),
        ("AWS_DEFAULT_REGION", "ap-south-1"),
    ]);
    assert_eq!(AwsSettings::from_env("t", &e).unwrap().region, "us-west-2");
    let e = Env::from_iter([("AWS_DEFAULT_REGION", "ap-south-1")]);
    assert_eq!(AwsSettings::from_env("t", &e).unwrap().region, "ap-south-1");
    for ok in [
        "us-gov-west-1",
        "cn-north-1",
        "eu-central-2",
        "us-isob-east-1",
    ] {
        let e = Env::from_iter([("AWS_REGION", ok)]);
        assert_eq!(AwsSettings::from_env("t", &e).unwrap().region, ok);
    }
}

#[test]
fn missing_region_says_which_input_to_set() {
    let e = Env::from_iter([("AWS_ACCESS_KEY_ID", "a")]);
    assert_eq!(
        AwsSettings::from_env("t", &e).unwrap_err(),
        SettingsError::MissingRegion
    );
    assert!(
        SettingsError::MissingRegion
            .to_string()
            .contains("'aws-region'")
    );
}

#[test]
fn bad_values_name_the_input_the_value_and_what_is_valid() {
    let role = (
        "INPUT_ROLE-TO-ASSUME",
        "arn:aws:iam::123456789012:role/deploy",
    );
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("INPUT_AWS-REGION", "us-east1")],
            "input 'aws-region' has invalid value 'us-east1': expected an AWS region code",
        ),
        (
            vec![("INPUT_AWS-REGION", "US-EAST-1")],
            "input 'aws-region' has invalid value 'US-EAST-1'",
        ),
        (
            vec![("AWS_ENDPOINT_URL", "localhost:5000")],
            "input 'AWS_ENDPOINT_URL' has invalid value 'localhost:5000': expected an http:// or https:// URL",
        ),
        (
            vec![("AWS_ENDPOINT_URL_ECS", "ftp://x")],
            "input 'AWS_ENDPOINT_URL_ECS' has invalid value 'ftp://x'",
        ),
        (
            vec![("INPUT_ROLE-TO-ASSUME", "deploy")],
            "input 'role-to-assume' has invalid value 'deploy': expected an IAM role ARN",
        ),
        (
            vec![("INPUT_ROLE-TO-ASSUME", "arn:aws:iam::1234:role/x")],
            "input 'role-to-assume' has invalid value 'arn:aws:iam::1234:role/x'",
        ),
        (
            vec![("INPUT_ROLE-TO-ASSUME", "arn:aws:iam::123456789012:user/x")],
            "input 'role-to-assume' has invalid value",
        ),
        (
            vec![role, ("INPUT_ROLE-SESSION-NAME", "has space")],
            "input 'role-session-name' has invalid value 'has space': expected 2 to 64 characters",
        ),
        (
            vec![role, ("INPUT_ROLE-DURATION-SECONDS", "60")],
            "input 'role-duration-seconds' has invalid value '60': expected whole seconds from 900",
        ),
        (
            vec![role, ("INPUT_ROLE-DURATION-SECONDS", "1h")],
            "input 'role-duration-seconds' has invalid value '1h'",
        ),
        (
            vec![("INPUT_AWS-RETRY-MODE", "legacy")],
            "input 'aws-retry-mode' has invalid value 'legacy': expected one of standard, adaptive",
        ),
        (
            vec![("AWS_RETRY_MODE", "fast")],
            "input 'aws-retry-mode' has invalid value 'fast'",
        ),
        (
            vec![("INPUT_AWS-MAX-ATTEMPTS", "0")],
            "input 'aws-max-attempts' has invalid value '0': expected a whole number from 1 to 20",
        ),
        (
            vec![("INPUT_AWS-MAX-ATTEMPTS", "-3")],
            "input 'aws-max-attempts' has invalid value '-3'",
        ),
        (
            vec![("INPUT_AWS-ATTEMPT-TIMEOUT-SECONDS", "0")],
            "input 'aws-attempt-timeout-seconds' has invalid value '0'",
        ),
        (
            vec![("INPUT_AWS-CONNECT-TIMEOUT-SECONDS", "abc")],
            "input 'aws-connect-timeout-seconds' has invalid value 'abc'",
        ),
        (
            vec![("INPUT_ROLE-SESSION-NAME", "deploy")],
            "input 'role-session-name' is set to 'deploy' but it only applies together with 'role-to-assume'",
        ),
        (
            vec![("INPUT_AUDIENCE", "sts")],
            "input 'audience' is set to 'sts' but it only applies together with 'role-to-assume'",
        ),
        (
            vec![("AWS_ACCESS_KEY_ID", "AKIA")],
            "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not",
        ),
        (
            vec![("AWS_SECRET_ACCESS_KEY", "x")],
            "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not",
        ),
    ];
    for (pairs, want) in cases {
        let got = err(&pairs);
        assert!(
            got.starts_with(want),
            "for {pairs:?}\n got: {got}\nwant: {want}"
        );
    }
}

#[test]
fn role_settings_and_default_session_name() {
    let s = AwsSettings::from_env(
        "ecs-rollout",
        &env(&[
            (
                "INPUT_ROLE-TO-ASSUME",
                "arn:aws:iam::123456789012:role/deploy",
            ),
            ("GITHUB_RUN_ID", "987"),
        ]),
    )
    .unwrap();
    let role = s.assume_role.unwrap();
    assert_eq!(role.session_name, "gantry-ecs-rollout-987");
    assert_eq!(role.duration, Duration::from_secs(3600));
    assert_eq!(role.audience, "sts.amazonaws.com");
}

#[test]
fn per_service_endpoint_wins_over_the_global_one() {
    let s = AwsSettings::from_env(
        "t",
        &env(&[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000/"),
            ("AWS_ENDPOINT_URL_ECS", "http://127.0.0.1:6000"),
        ]),
    )
    .unwrap();
    assert_eq!(s.endpoint_for("ECS"), Some("http://127.0.0.1:6000"));
    assert_eq!(s.endpoint_for("ecr"), Some("http://127.0.0.1:5000"));
}

#[test]
fn static_keys_never_show_in_debug_output() {
    let s = AwsSettings::from_env(
        "t",
        &env(&[
            ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "very-secret"),
        ]),
    )
    .unwrap();
    let debug = format!("{s:?}");
    assert!(
        !debug.contains("very-secret") && !debug.contains("AKIAEXAMPLE"),
        "{debug}"
    );
}

#[test]
fn a_cli_flag_override_counts_like_the_input() {
    // `--aws-region` reaches the runner as an input override, not as INPUT_AWS-REGION.
    let e = Env::from_iter([
        ("INPUT_AWS-REGION", "eu-west-1"),
        ("AWS_REGION", "eu-west-1"),
    ]);
    let runner = gantry_toolkit::Runner::builder(e)
        .input_override("aws-region", Some("ap-northeast-2"))
        .input_override("aws-max-attempts", Some("0"))
        .build();
    let err = AwsSettings::from_runner("t", &runner)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("aws-max-attempts") && err.contains("'0'"),
        "{err}"
    );
    let runner = gantry_toolkit::Runner::builder(Env::from_iter([("AWS_REGION", "eu-west-1")]))
        .input_override("aws-region", Some("ap-northeast-2"))
        .build();
    assert_eq!(
        AwsSettings::from_runner("t", &runner).unwrap().region,
        "ap-northeast-2"
    );
}

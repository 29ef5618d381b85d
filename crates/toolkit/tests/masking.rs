//! A secret read from inputs or registered with add_mask never reaches the log unmasked.
// Helpers here are test code too: a panic is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use gantry_toolkit::{
    AnnotationLevel, AnnotationProperties, Capture, Env, OutputMode, Runner, Summary, run,
};

const TOKEN: &str = "ghp_S3cr3tT0ken:with,special%chars";

fn assert_only_in_add_mask(printed: &str, secret_line: &str) {
    for line in printed.lines() {
        if line.starts_with("::add-mask::") {
            continue;
        }
        assert!(
            !line.contains(secret_line),
            "secret {secret_line:?} printed unmasked in line {line:?}\n--- all output ---\n{printed}"
        );
        // The escaped form must not leak either.
        assert!(
            !line.contains(&gantry_toolkit::escape_data(secret_line)),
            "escaped secret printed in {line:?}"
        );
        assert!(
            !line.contains(&gantry_toolkit::escape_property(secret_line)),
            "escaped secret printed in {line:?}"
        );
    }
}

#[test]
fn secret_input_is_masked_everywhere_it_is_printed() {
    let dir = tempfile::tempdir().unwrap();
    let summary_file = dir.path().join("summary.md");
    let env = Env::from_iter([
        ("INPUT_TOKEN", format!("  {TOKEN}\n")),
        ("RUNNER_DEBUG", "1".to_owned()),
        ("GITHUB_ACTIONS", "true".to_owned()),
        (
            "GITHUB_STEP_SUMMARY",
            summary_file.to_str().unwrap().to_owned(),
        ),
    ]);
    let (runner, out) = Runner::captured(env);

    let token = runner.get_required_secret_input("token").unwrap();
    assert_eq!(token, TOKEN);

    runner.info(&format!("using token {token}"));
    runner.debug(&format!("debug {token}"));
    runner.error(&format!("error {token}"));
    runner.warning(&format!("warning {token}"));
    runner.notice(&format!("notice {token}"));
    runner.annotate(
        AnnotationLevel::Error,
        &format!("msg {token}"),
        &AnnotationProperties::new()
            .title(format!("title {token}"))
            .file(format!("{token}.rs"))
            .line(1),
    );
    {
        let _g = runner.group(&format!("group {token}"));
        runner.info(&format!("::error::{token}"));
    }
    let mut summary = Summary::new();
    summary.paragraph(&format!("token {token}"));
    runner.write_summary(&summary).unwrap();
    let code = run(&runner, |_| Err(format!("failed with {token}")));
    assert_eq!(code, std::process::ExitCode::FAILURE);

    let printed = out.contents();
    assert_eq!(
        printed.lines().next(),
        Some(format!("::add-mask::{}", gantry_toolkit::escape_data(TOKEN)).as_str()),
        "the mask is registered before anything else is printed"
    );
    assert_only_in_add_mask(&printed, TOKEN);
    assert!(printed.contains("using token ***"), "{printed}");
    assert!(
        printed.contains("::error title=title ***,file=***.rs,line=1::msg ***"),
        "{printed}"
    );
    let summary_text = std::fs::read_to_string(&summary_file).unwrap();
    assert!(!summary_text.contains(TOKEN), "{summary_text}");
    assert!(summary_text.contains("token ***"), "{summary_text}");
    assert!(summary_text.contains("failed with ***"), "{summary_text}");
}

#[test]
fn multi_line_secret_is_masked_line_by_line() {
    let key = "-----BEGIN KEY-----\r\nAAAAline1\r\n\r\nBBBBline2\r\n-----END KEY-----\r\n";
    let (runner, out) = Runner::captured(
        Env::new()
            .with("GITHUB_ACTIONS", "true")
            .with("INPUT_KEY", key),
    );
    let value = runner.get_secret_input("key").unwrap();
    runner.info(&value);
    runner.info("second line alone: BBBBline2");
    let printed = out.contents();
    let masks: Vec<&str> = printed
        .lines()
        .filter(|l| l.starts_with("::add-mask::"))
        .collect();
    assert_eq!(
        masks,
        vec![
            "::add-mask::-----BEGIN KEY-----",
            "::add-mask::AAAAline1",
            "::add-mask::BBBBline2",
            "::add-mask::-----END KEY-----",
        ]
    );
    for line in ["AAAAline1", "BBBBline2", "-----BEGIN KEY-----"] {
        assert_only_in_add_mask(&printed, line);
    }
    assert!(printed.contains("second line alone: ***"));
}

#[test]
fn add_mask_applies_to_later_messages_only_and_outputs_are_not_masked() {
    let stdout = Capture::new();
    let stderr = Capture::new();
    let runner = Runner::builder(Env::new().with("GITHUB_ACTIONS", "true"))
        .stdout(stdout.clone())
        .stderr(stderr.clone())
        .output_mode(OutputMode::Plain)
        .build();
    runner.add_mask("hunter2");
    runner.info("password is hunter2");
    runner.set_output("password", "hunter2").unwrap();
    assert_eq!(stderr.contents(), "::add-mask::hunter2\npassword is ***\n");
    assert_eq!(stdout.contents(), "password=hunter2\n");
    assert_eq!(runner.mask("x hunter2 y"), "x *** y");
}

#[test]
fn empty_secret_input_registers_nothing() {
    let (runner, out) = Runner::captured(Env::new().with("INPUT_TOKEN", "   "));
    assert_eq!(runner.get_secret_input("token"), None);
    assert!(runner.get_required_secret_input("token").is_err());
    assert_eq!(out.contents(), "");
}

#[test]
fn secret_from_cli_override_is_masked_too() {
    let capture = Capture::new();
    let runner = Runner::builder(
        Env::new()
            .with("GITHUB_ACTIONS", "true")
            .with("INPUT_TOKEN", "from-env"),
    )
    .stdout(capture.clone())
    .stderr(capture.clone())
    .input_override("token", Some("from-flag"))
    .build();
    assert_eq!(
        runner.get_secret_input("token").as_deref(),
        Some("from-flag")
    );
    runner.info("from-flag");
    assert_eq!(capture.contents(), "::add-mask::from-flag\n***\n");
}

/// On a terminal nothing acts on `::add-mask::`, and printing it would show the secret: the
/// command is not printed, and the secret is still replaced in everything the tool prints.
#[test]
fn outside_a_runner_the_mask_command_itself_is_not_printed() {
    let (runner, out) = Runner::captured(Env::new().with("INPUT_TOKEN", "t0ps3cret"));
    let token = runner.get_required_secret_input("token").unwrap();
    runner.info(&format!("token {token}"));
    runner.warning(&format!("token {token}"));
    assert_eq!(out.contents(), "token ***\nwarning: token ***\n");
}

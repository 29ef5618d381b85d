//! Outputs, variables, state and PATH written through a Runner and read back with
//! `parse_file_command`, in every output mode.
// Helpers here are test code too: a panic is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use gantry_toolkit::{
    Capture, Env, FileCommandError, OutputError, OutputMode, Runner, parse_file_command,
};

struct Job {
    _dir: tempfile::TempDir,
    output: PathBuf,
    env_file: PathBuf,
    state: PathBuf,
    path: PathBuf,
    env: Env,
}

fn job() -> Job {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name);
    let (output, env_file, state, path) = (p("output"), p("env"), p("state"), p("path"));
    let env = Env::from_iter([
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_OUTPUT", output.to_str().unwrap()),
        ("GITHUB_ENV", env_file.to_str().unwrap()),
        ("GITHUB_STATE", state.to_str().unwrap()),
        ("GITHUB_PATH", path.to_str().unwrap()),
    ]);
    Job {
        _dir: dir,
        output,
        env_file,
        state,
        path,
        env,
    }
}

fn read_back(path: &Path) -> Vec<(String, String)> {
    parse_file_command(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Values that break naive writers: each must come back byte for byte.
const TRICKY: &[(&str, &str)] = &[
    ("simple", "value"),
    ("multi", "line 1\nline 2\n\nline 4"),
    ("crlf", "a\r\nb\r\n"),
    ("empty", ""),
    ("heredoc-lookalike", "x<<EOF\ny\nEOF\nz=1"),
    ("delimiter-text", "ghadelimiter_\nghadelimiter_0123"),
    ("trailing-newline", "v\n"),
    ("leading-newline", "\nv"),
    ("equals", "a=b=c"),
    ("unicode", "déjà vu ✓"),
    ("percent", "%0A%25"),
];

#[test]
fn outputs_round_trip_through_github_output() {
    let job = job();
    let (runner, printed) = Runner::captured(job.env.clone());
    assert_eq!(runner.output_mode(), OutputMode::File);
    for (name, value) in TRICKY {
        runner.set_output(name, value).unwrap();
    }
    assert_eq!(read_back(&job.output), pairs(TRICKY));
    assert_eq!(
        printed.contents(),
        "",
        "file mode prints nothing for outputs"
    );
}

#[test]
fn several_outputs_at_once_are_what_they_are_one_by_one() {
    for mode in [OutputMode::File, OutputMode::Plain, OutputMode::Json] {
        let (one, all) = (job(), job());
        let runner = |job: &Job| {
            let printed = Capture::new();
            let runner = Runner::builder(job.env.clone())
                .stdout(printed.clone())
                .output_mode(mode)
                .build();
            (runner, printed)
        };
        let (by_one, printed_one) = runner(&one);
        for (name, value) in TRICKY {
            by_one.set_output(name, value).unwrap();
        }
        by_one.finish().unwrap();
        let (at_once, printed_all) = runner(&all);
        at_once.set_outputs(TRICKY.iter().copied()).unwrap();
        at_once.finish().unwrap();
        if mode == OutputMode::File {
            assert_eq!(read_back(&all.output), pairs(TRICKY));
        }
        let shape = |text: String| text.replace(|c: char| c.is_ascii_hexdigit(), "x");
        assert_eq!(
            shape(printed_all.contents()),
            shape(printed_one.contents()),
            "{mode:?}"
        );
    }
    // The outputs before a bad one are set; the bad one fails as on its own.
    let job = job();
    let (runner, _) = Runner::captured(job.env.clone());
    let err = runner
        .set_outputs([("a", "1"), ("b=c", "2"), ("d", "3")])
        .unwrap_err();
    assert!(
        matches!(err, OutputError::File(FileCommandError::InvalidName { .. })),
        "{err}"
    );
    assert_eq!(read_back(&job.output), pairs(&[("a", "1")]));
}

#[test]
fn file_format_is_heredoc_with_a_fresh_random_delimiter_each_time() {
    let job = job();
    let (runner, _) = Runner::captured(job.env.clone());
    runner.set_output("a", "1").unwrap();
    runner.set_output("b", "2").unwrap();
    let text = std::fs::read_to_string(&job.output).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 6, "{text}");
    let d1 = lines[0].strip_prefix("a<<").unwrap();
    let d2 = lines[3].strip_prefix("b<<").unwrap();
    for d in [d1, d2] {
        let hex = d.strip_prefix("ghadelimiter_").unwrap();
        assert_eq!(hex.len(), 32);
        assert!(hex.bytes().all(|b| b.is_ascii_hexdigit()));
    }
    assert_ne!(d1, d2);
    assert_eq!(text, format!("a<<{d1}\n1\n{d1}\nb<<{d2}\n2\n{d2}\n"));
}

#[test]
fn env_and_state_use_the_same_format() {
    let job = job();
    let (runner, _) = Runner::captured(job.env.clone());
    for (name, value) in TRICKY {
        runner.export_variable(name, value).unwrap();
        runner.save_state(name, value).unwrap();
    }
    assert_eq!(read_back(&job.env_file), pairs(TRICKY));
    assert_eq!(read_back(&job.state), pairs(TRICKY));
}

#[test]
fn add_path_appends_one_line_each() {
    let job = job();
    let (runner, _) = Runner::captured(job.env.clone());
    runner.add_path("/opt/tool/bin").unwrap();
    runner.add_path("/home/x/with space").unwrap();
    assert!(matches!(
        runner.add_path("/a\n/b"),
        Err(FileCommandError::PathContainsNewline { .. })
    ));
    assert_eq!(
        std::fs::read_to_string(&job.path).unwrap(),
        "/opt/tool/bin\n/home/x/with space\n"
    );
}

fn collide(delimiter: &'static str) -> impl Fn() -> Result<String, getrandom::Error> {
    move || Ok(delimiter.to_owned())
}

#[test]
fn delimiter_in_value_is_an_error_and_nothing_is_written() {
    let job = job();
    let runner = Runner::builder(job.env.clone())
        .stdout(Capture::new())
        .delimiter_source(collide("ghadelimiter_fixed"))
        .build();
    let attack = "x\nghadelimiter_fixed\nINJECTED=1";
    for result in [
        runner.set_output("out", attack).map_err(|e| match e {
            OutputError::File(f) => f,
            other => panic!("unexpected {other:?}"),
        }),
        runner.export_variable("VAR", attack),
        runner.save_state("st", attack),
    ] {
        let err = result.unwrap_err();
        assert!(
            matches!(&err, FileCommandError::DelimiterInValue { delimiter, .. } if delimiter == "ghadelimiter_fixed"),
            "{err:?}"
        );
        assert!(err.to_string().contains("contains the delimiter"), "{err}");
    }
    for file in [&job.output, &job.env_file, &job.state] {
        assert!(!file.exists() || std::fs::read_to_string(file).unwrap().is_empty());
    }
}

#[test]
fn delimiter_in_name_is_an_error() {
    let job = job();
    let runner = Runner::builder(job.env.clone())
        .delimiter_source(collide("D"))
        .build();
    let err = runner.export_variable("aDb", "v").unwrap_err();
    assert!(
        matches!(err, FileCommandError::DelimiterInName { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("environment variable 'aDb'"),
        "{err}"
    );
}

#[test]
fn invalid_names_are_errors_in_every_mode() {
    for mode in [OutputMode::File, OutputMode::Plain, OutputMode::Json] {
        let job = job();
        let runner = Runner::builder(job.env.clone())
            .stdout(Capture::new())
            .output_mode(mode)
            .build();
        for name in ["", "a\nb", "a=b", "a<<b"] {
            assert!(
                matches!(runner.set_output(name, "v"), Err(OutputError::File(_))),
                "{mode:?} {name:?}"
            );
        }
    }
}

#[test]
fn file_mode_without_github_output_is_an_error_that_says_so() {
    let runner = Runner::builder(Env::new())
        .output_mode(OutputMode::File)
        .build();
    let err = runner.set_output("a", "1").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("GITHUB_OUTPUT is not set, so output 'a' cannot be written"),
        "{err}"
    );
}

#[test]
fn plain_mode_prints_parseable_lines_on_stdout_and_logs_on_stderr() {
    let (stdout, stderr) = (Capture::new(), Capture::new());
    let runner = Runner::builder(Env::new())
        .stdout(stdout.clone())
        .stderr(stderr.clone())
        .build();
    assert_eq!(runner.output_mode(), OutputMode::Plain);
    runner.info("working");
    for (name, value) in TRICKY {
        runner.set_output(name, value).unwrap();
    }
    runner.finish().unwrap();
    let text = stdout.contents();
    assert!(
        text.starts_with("simple=value\nmulti<<ghadelimiter_"),
        "{text}"
    );
    assert!(text.contains("\nempty=\n"), "{text}");
    assert!(text.contains("\nequals=a=b=c\n"), "{text}");
    assert_eq!(parse_file_command(&text).unwrap(), pairs(TRICKY));
    assert_eq!(stderr.contents(), "working\n");
}

#[test]
fn json_mode_prints_one_object_at_finish() {
    let (stdout, stderr) = (Capture::new(), Capture::new());
    let runner = Runner::builder(job().env)
        .stdout(stdout.clone())
        .stderr(stderr.clone())
        .output_mode(OutputMode::Json)
        .build();
    runner.set_output("b", "2\nlines").unwrap();
    runner.set_output("a", "1").unwrap();
    runner
        .set_output_json("matrix", &serde_json::json!({"service": ["api", "web"]}))
        .unwrap();
    runner.info("log line");
    assert_eq!(stdout.contents(), "", "nothing before finish");
    runner.finish().unwrap();
    runner.finish().unwrap();
    let printed: serde_json::Value = serde_json::from_str(&stdout.contents()).unwrap();
    assert_eq!(
        printed,
        serde_json::json!({"a": "1", "b": "2\nlines", "matrix": {"service": ["api", "web"]}})
    );
    assert_eq!(stderr.contents(), "log line\n");
    assert!(matches!(
        runner.set_output("late", "x"),
        Err(OutputError::AfterFinish { .. })
    ));
}

#[test]
fn json_mode_with_no_outputs_prints_an_empty_object() {
    let stdout = Capture::new();
    let runner = Runner::builder(Env::new())
        .stdout(stdout.clone())
        .output_mode(OutputMode::Json)
        .build();
    runner.finish().unwrap();
    assert_eq!(stdout.contents(), "{}\n");
}

#[test]
fn structured_output_is_a_json_string_in_file_mode() {
    let job = job();
    let (runner, _) = Runner::captured(job.env.clone());
    runner
        .set_output_json(
            "matrix",
            &serde_json::json!({"include": [{"service": "api"}]}),
        )
        .unwrap();
    assert_eq!(
        read_back(&job.output),
        pairs(&[("matrix", r#"{"include":[{"service":"api"}]}"#)])
    );
}

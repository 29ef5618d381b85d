//! The `paths-filter` binary as a runner runs it: inputs in `INPUT_*`, outputs and summary in
//! the runner's files, over real git repositories.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

use gantry_testkit::{GitRepo, ToolJob};

const TOKEN: &str = "ghs_n0tAr3alT0kenButSecret";

struct Job {
    tool: ToolJob,
    repo: GitRepo,
}

impl Job {
    fn new() -> Job {
        let repo = GitRepo::new();
        repo.write("services/api/main.rs", "fn main() {}\n");
        repo.write("services/web/index.ts", "export {}\n");
        repo.write("README.md", "# repo\n");
        repo.commit("feat: start");
        repo.git(["branch", "-M", "main"]);
        Job {
            tool: ToolJob::new(env!("CARGO_BIN_EXE_paths-filter")),
            repo,
        }
    }

    /// Runs the binary in the repository with these inputs (input names as in action.yml).
    fn run(&self, inputs: &[(&str, &str)]) -> Output {
        let mut cmd = self.tool.command(self.repo.path());
        cmd.env("GITHUB_REF", "refs/heads/main")
            .env("INPUT_TOKEN", TOKEN);
        ToolJob::inputs(&mut cmd, inputs);
        ToolJob::run(&mut cmd)
    }

    fn outputs(&self) -> Vec<(String, String)> {
        self.tool.outputs()
    }

    fn output(&self, name: &str) -> Option<String> {
        self.tool.output(name)
    }
}

/// The token appears only in its own `::add-mask::` command, which is printed first.
fn assert_token_masked(printed: &str) {
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(
        lines.first().copied(),
        Some(format!("::add-mask::{TOKEN}").as_str())
    );
    for line in &lines[1..] {
        assert!(!line.contains(TOKEN), "token leaked: {line}");
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const FILTERS: &str = "api: services/api/**\nweb: services/web/**\n";

#[test]
fn outputs_and_summary_on_a_runner() {
    let job = Job::new();
    job.repo.write("services/api/users.rs", "// users\n");
    job.repo.commit("feat(api): users");
    let out = job.run(&[
        ("filters", FILTERS),
        ("base", "HEAD~1"),
        ("list-files", "csv"),
    ]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(job.output("api").as_deref(), Some("true"));
    assert_eq!(job.output("web").as_deref(), Some("false"));
    assert_eq!(
        job.output("api_files").as_deref(),
        Some("services/api/users.rs")
    );
    assert_eq!(job.output("changes").as_deref(), Some(r#"["api"]"#));
    let result_file = job.output("result-file").unwrap();
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(result_file).unwrap()).unwrap();
    assert_eq!(doc["filters"]["api"]["files"][0]["status"], "added");
    let summary = job.tool.summary();
    assert!(
        summary.contains("| api | **yes** | 1 | `services/api/users.rs` |"),
        "{summary}"
    );
    insta::assert_snapshot!(gantry_testkit::redact::redact(&summary));
    assert_token_masked(&stdout(&out));
    assert!(!summary.contains(TOKEN));
}

#[test]
fn a_newline_in_a_file_name_cannot_inject_an_output() {
    let job = Job::new();
    job.repo.write("services/api/evil\nweb=true\nx", "boom\n");
    job.repo.commit("feat(api): a hostile file name");
    let out = job.run(&[
        ("filters", FILTERS),
        ("base", "HEAD~1"),
        ("list-files", "json"),
    ]);
    assert!(out.status.success(), "{}", stdout(&out));
    let names: Vec<String> = job.outputs().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names.iter().filter(|n| *n == "web").count(), 1, "{names:?}");
    assert_eq!(job.output("web").as_deref(), Some("false"));
    assert_eq!(
        job.output("api_files").as_deref(),
        Some(r#"["services/api/evil\nweb=true\nx"]"#)
    );
}

/// Each bad input fails before anything runs: the message names the input, the value and what
/// is valid, and no output is written.
#[test]
fn every_input_has_a_bad_value_that_is_refused_clearly() {
    let job = Job::new();
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("list-files", "xml")],
            "input 'list-files' has invalid value 'xml': expected one of none, csv, json, shell, escape",
        ),
        (
            &[("predicate-quantifier", "all")],
            "input 'predicate-quantifier' has invalid value 'all': expected one of some, every, some-with-excludes",
        ),
        (
            &[("negation", "gitignore")],
            "input 'negation' has invalid value 'gitignore': expected one of or, exclude",
        ),
        (
            &[("initial-fetch-depth", "0")],
            "input 'initial-fetch-depth' has invalid value '0': expected a whole number of commits from 1 to 100000",
        ),
        (
            &[("initial-fetch-depth", "ten")],
            "input 'initial-fetch-depth' has invalid value 'ten'",
        ),
        (
            &[("max-output-size", "12")],
            "input 'max-output-size' has invalid value '12': expected a number of bytes, at least 1024",
        ),
        (
            &[("working-directory", "no/such/dir")],
            "input 'working-directory' is 'no/such/dir', which is not a directory",
        ),
        (&[("filters", "")], "input 'filters' is required"),
        (
            &[("filters", "missing.yml")],
            "input 'filters' names the file 'missing.yml', which cannot be read (no such file)",
        ),
        (&[("filters", "api: ~")], "filter 'api'"),
        (&[("filters", "api: 42")], "filter 'api'"),
        (
            &[("filters", "api:\n  - wrongtype: '**'")],
            "unknown change type 'wrongtype'",
        ),
        (
            &[("filters", "api: 'src/[z-a].rs'")],
            "invalid glob 'src/[z-a].rs'",
        ),
        (
            &[("filters", "changes: '**'")],
            "filter name 'changes' is also an output of paths-filter",
        ),
        (
            &[("filters", "a: '**'\na_count: '**'")],
            "filters 'a' and 'a_count' both write output 'a_count'",
        ),
        (
            &[("filters", FILTERS), ("base", "no-such-branch")],
            "no-such-branch",
        ),
        (
            &[("ref", "--upload-pack=touch /tmp/x")],
            "input 'ref' has invalid value '--upload-pack=touch /tmp/x': expected a branch, tag",
        ),
        (
            &[("base", "main branch")],
            "input 'base' has invalid value 'main branch'",
        ),
    ];
    for (inputs, want) in cases {
        let mut all = vec![("filters", FILTERS)];
        all.retain(|(k, _)| !inputs.iter().any(|(n, _)| n == k));
        all.extend_from_slice(inputs);
        let out = job.run(&all);
        let printed = stdout(&out);
        assert!(!out.status.success(), "{inputs:?} should fail:\n{printed}");
        let error = printed
            .lines()
            .find(|l| l.starts_with("::error"))
            .unwrap_or_else(|| panic!("{inputs:?}: no ::error:: line in\n{printed}"));
        let error = error.replace("%0A", "\n").replace("%25", "%");
        assert!(
            error.contains(want),
            "{inputs:?}\n got: {error}\nwant: {want}"
        );
        assert!(
            job.outputs().is_empty(),
            "{inputs:?} wrote outputs: {:?}",
            job.outputs()
        );
        assert_token_masked(&printed);
    }
}

#[test]
fn filters_from_a_file_relative_to_the_working_directory() {
    let job = Job::new();
    std::fs::create_dir_all(job.repo.path().join(".github")).unwrap();
    std::fs::write(job.repo.path().join(".github/filters.yml"), FILTERS).unwrap();
    job.repo.write("services/web/app.ts", "// app\n");
    job.repo.commit("feat(web): app");
    let out = job.run(&[("filters", ".github/filters.yml"), ("base", "HEAD~1")]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(job.output("changes").as_deref(), Some(r#"["web"]"#));
}

#[test]
fn as_a_cli_it_prints_name_value_lines_and_no_workflow_commands() {
    let job = Job::new();
    job.repo.write("services/api/x.rs", "\n");
    job.repo.commit("feat(api): x");
    let out = Command::new(env!("CARGO_BIN_EXE_paths-filter"))
        .args(["--filters", FILTERS, "--base", "HEAD~1"])
        .env_remove("GITHUB_OUTPUT")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_EVENT_PATH")
        .env("INPUT_TOKEN", TOKEN)
        .current_dir(job.repo.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.lines().any(|l| l == "api=true"), "{text}");
    assert!(text.lines().any(|l| l == "web=false"), "{text}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("::") && !stderr.contains(TOKEN),
        "{stderr}"
    );
    let _ = Path::new("");
}

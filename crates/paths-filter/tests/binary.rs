//! The `paths-filter` binary as a runner runs it: inputs in `INPUT_*`, outputs and summary in
//! the runner's files, over real git repositories.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

use gantry_testkit::{GitRepo, ToolJob};
use serde_json::Value;

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

// ---- the order of the file list --------------------------------------------------------------

/// The paths `git diff --no-renames --name-only -z base head` prints in `repo`: dorny's file
/// list, in its order.
fn git_no_renames(repo: &GitRepo, base: &str, head: &str) -> Vec<String> {
    let out = repo.git_output(["diff", "--no-renames", "--name-only", "-z", base, head]);
    assert!(out.status.success(), "{out:?}");
    out.stdout
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8(p.to_vec()).unwrap())
        .collect()
}

/// How many renames `git diff -M` finds in `repo` (so a test knows it is about renames).
fn git_renames(repo: &GitRepo, base: &str, head: &str) -> usize {
    repo.git(["diff", "-M", "--name-status", base, head])
        .lines()
        .filter(|l| l.starts_with('R'))
        .count()
}

/// A `list-files: json` output as a list.
fn json_list(job: &Job, name: &str) -> Vec<String> {
    let value = job
        .output(name)
        .unwrap_or_else(|| panic!("no output {name}: {:?}", job.outputs()));
    serde_json::from_str(&value).unwrap()
}

/// The result file of the last run.
fn result_document(job: &Job) -> Value {
    let path = job.output("result-file").unwrap();
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Content git pairs with nothing else: a rename keeps it, so git finds the rename by it.
/// (Lines that differ only in a name are not enough: git's similarity hashes short lines
/// into few buckets.)
fn unique_content(tag: &str) -> String {
    // FNV-1a of the tag, then one step of a 64-bit LCG per line.
    let mut x = tag.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let mut text = format!("{tag}\n");
    for _ in 0..16 {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        text.push_str(&format!("{x:016x} {:016x}\n", x.rotate_left(29)));
    }
    text
}

/// Renames whose old path sorts before, after and right next to the new one: each file is
/// listed where `git diff --no-renames` lists it, the old path as deleted and the new path as
/// renamed (with `previous_path`) in the result file, in every output that lists files.
#[test]
fn files_are_listed_in_git_no_renames_order_when_git_finds_renames() {
    let job = Job::new();
    let repo = &job.repo;
    let moves = [
        ("src/old_name.rs", "lib/new_name.rs"),
        ("services/web/legacy/config.toml", "config.toml"),
        ("README.md", "zz/README.md"),
        ("lib/util.rs", "lib/util/mod.rs"),
        ("services/api/v1.rs", "services/api/v1/mod.rs"),
    ];
    for (old, _) in moves {
        repo.write(old, unique_content(old));
    }
    repo.write("docs/old-guide.md", "old guide\n");
    let base = repo.commit("chore: files to move");
    for (old, new) in moves {
        repo.remove(old);
        repo.write(new, unique_content(old));
    }
    repo.remove("docs/old-guide.md");
    repo.write("docs/new.md", "new\n");
    repo.write("services/api/main.rs", "fn main() { changed() }\n");
    repo.write("lib/util-extra.rs", "// extra\n");
    let head = repo.commit("refactor: move files");
    assert_eq!(git_renames(repo, &base, &head), moves.len());
    let want = git_no_renames(repo, &base, &head);

    let filters =
        "all: '**'\nsrc: ['src/**', 'lib/**']\napi: services/api/**\nmoved:\n  - renamed: '**'\n";
    let out = job.run(&[
        ("filters", filters),
        ("base", &base),
        ("list-files", "json"),
    ]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(json_list(&job, "all_files"), want);
    let under = |dirs: &[&str]| -> Vec<String> {
        want.iter()
            .filter(|p| dirs.iter().any(|d| p.starts_with(d)))
            .cloned()
            .collect()
    };
    assert_eq!(json_list(&job, "src_files"), under(&["src/", "lib/"]));
    assert_eq!(json_list(&job, "api_files"), under(&["services/api/"]));
    // A `renamed` rule sees one renamed file, under its new path.
    let new_paths: Vec<&str> = moves.iter().map(|(_, new)| *new).collect();
    let mut moved = new_paths.clone();
    moved.sort_unstable();
    assert_eq!(json_list(&job, "moved_files"), moved);

    // The result file and the matrix list the same files in the same order; rename detection
    // still gives the new path's status and previous path.
    let doc = result_document(&job);
    let files = doc["filters"]["all"]["files"].as_array().unwrap();
    let paths: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(paths, want);
    for (old, new) in moves {
        let entry = |path: &str| files.iter().find(|f| f["path"] == path).unwrap();
        assert_eq!(entry(new)["status"], "renamed", "{new}");
        assert_eq!(entry(new)["previous_path"], old, "{new}");
        assert_eq!(entry(old)["status"], "deleted", "{old}");
    }
    let matrix: Value = serde_json::from_str(&job.output("matrix").unwrap()).unwrap();
    assert_eq!(matrix["include"][0]["filter"], "all");
    assert_eq!(matrix["include"][0]["files"], serde_json::json!(want));
    assert_eq!(
        job.output("all_count").as_deref(),
        Some(want.len().to_string().as_str())
    );
}

/// A real history: the files changed in yargs from v15.4.1 to v16.0.0 (21 renames, most of
/// them of a file next to its new name), replayed with made-up contents in a repository
/// where each rename keeps its content. The list is the one git printed for the real
/// history with `--no-renames`, and the one it prints for the replay.
#[test]
fn a_real_history_with_renames_is_listed_in_git_no_renames_order() {
    let fixture = include_str!("fixtures/yargs-v15.4.1-v16.0.0.txt");
    let mut sections: Vec<Vec<Vec<&str>>> = Vec::new();
    for line in fixture.lines().filter(|l| !l.starts_with('#')) {
        if line.starts_with('[') {
            sections.push(Vec::new());
        } else if let Some(section) = sections.last_mut() {
            section.push(line.split('\t').collect());
        }
    }
    let [renames, no_renames] = sections.as_slice() else {
        panic!("two sections expected");
    };
    let real_order: Vec<String> = no_renames.iter().map(|r| r[1].to_owned()).collect();

    let job = Job::new();
    let repo = &job.repo;
    for record in renames {
        match record.as_slice() {
            ["A", _] => {}
            [_, path] => {
                repo.write(path, unique_content(&format!("{path} before")));
            }
            [_, old, _] => {
                repo.write(old, unique_content(old));
            }
            _ => panic!("{record:?}"),
        }
    }
    let base = repo.commit("v15.4.1");
    for record in renames {
        match record.as_slice() {
            ["D", path] => {
                repo.remove(path);
            }
            [_, path] => {
                repo.write(path, unique_content(&format!("{path} after")));
            }
            [_, old, new] => {
                repo.remove(old);
                repo.write(new, unique_content(old));
            }
            _ => panic!("{record:?}"),
        }
    }
    let head = repo.commit("v16.0.0");
    let real_renames = renames.iter().filter(|r| r[0].starts_with('R')).count();
    assert_eq!(real_renames, 21);
    assert_eq!(git_renames(repo, &base, &head), real_renames);
    assert_eq!(git_no_renames(repo, &base, &head), real_order);

    let out = job.run(&[
        ("filters", "all: '**'\ntests: test/**\n"),
        ("base", &base),
        ("list-files", "json"),
    ]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(json_list(&job, "all_files"), real_order);
    let tests: Vec<String> = real_order
        .iter()
        .filter(|p| p.starts_with("test/"))
        .cloned()
        .collect();
    assert_eq!(json_list(&job, "tests_files"), tests);
    let doc = result_document(&job);
    let renamed = doc["filters"]["all"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "renamed")
        .count();
    assert_eq!(renamed, real_renames);
}

/// Thousands of files (past `run::PARALLEL_CHANGES`): the outputs' texts and the result file
/// are written on threads of their own, and give what a small run gives, in git's order.
#[test]
fn a_large_change_lists_every_file_in_every_output() {
    let job = Job::new();
    let repo = &job.repo;
    for i in 0..4200 {
        let dir = ["services/api", "services/web", "docs", "libs/a b"][i % 4];
        let ext = if i % 3 == 0 { "md" } else { "rs" };
        repo.write(format!("{dir}/f{i}.{ext}"), format!("{i}\n"));
    }
    let base = repo.rev_parse("HEAD");
    let head = repo.commit("feat: a lot");
    let want = git_no_renames(repo, &base, &head);
    assert_eq!(want.len(), 4200);
    let out = job.run(&[
        (
            "filters",
            "all: '**'\napi:\n  - services/api/**\n  - '!**/*.md'\n",
        ),
        ("base", &base),
        ("list-files", "json"),
    ]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(json_list(&job, "all_files"), want);
    // dorny's meaning of `!`: everything but the docs outside services/api.
    let api: Vec<String> = want
        .iter()
        .filter(|p| p.starts_with("services/api/") || !p.ends_with(".md"))
        .cloned()
        .collect();
    assert_eq!(json_list(&job, "api_files"), api);
    assert_eq!(
        job.output("api_count").as_deref(),
        Some(api.len().to_string().as_str())
    );
    let dirs: Vec<String> = serde_json::from_str(&job.output("all_dirs").unwrap()).unwrap();
    assert_eq!(dirs, ["docs", "libs/a b", "services/api", "services/web"]);
    let doc = result_document(&job);
    for (name, files) in [("all", &want), ("api", &api)] {
        let listed: Vec<&str> = doc["filters"][name]["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                assert_eq!(f["status"], "added");
                f["path"].as_str().unwrap()
            })
            .collect();
        assert_eq!(listed, *files, "{name}");
        assert_eq!(doc["filters"][name]["count"], files.len());
    }
    let matrix: Value = serde_json::from_str(&job.output("matrix").unwrap()).unwrap();
    assert_eq!(matrix["include"][0]["files"], serde_json::json!(want));
}

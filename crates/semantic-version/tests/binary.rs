//! The `semantic-version` binary as a runner runs it: inputs in `INPUT_*`, outputs and summary
//! in the runner's files, over real git repositories (with a bare repository as `origin`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

use gantry_testkit::{GitRepo, ToolJob};

const TOKEN: &str = "ghs_n0tAr3alT0kenButSecret";

struct Job {
    tool: ToolJob,
    repo: GitRepo,
    origin: GitRepo,
}

impl Job {
    /// A repository on `main` with one commit, `subject`, and a bare `origin`.
    fn new(subject: &str) -> Job {
        let repo = GitRepo::new();
        repo.write("README.md", "# repo\n");
        repo.commit(subject);
        let origin = GitRepo::bare();
        repo.set_remote("origin", &origin.path().to_string_lossy());
        Job {
            tool: ToolJob::new(env!("CARGO_BIN_EXE_semantic-version")),
            repo,
            origin,
        }
    }

    /// The binary as a step on the runner, in `dir`; no GitHub release (no network in tests).
    fn command(&self, dir: &Path) -> Command {
        let mut cmd = self.tool.command(dir);
        cmd.env("INPUT_CREATE-RELEASE", "false");
        cmd
    }

    fn commit(&self, message: &str) -> String {
        let n = self.repo.git(["rev-list", "--count", "HEAD"]);
        self.repo
            .write(format!("file-{}.txt", n.trim()), message.as_bytes());
        self.repo.commit(message)
    }

    /// Runs the binary in the repository with these inputs (input names as in action.yml).
    /// The GitHub release is off unless an input turns it on (no network in tests).
    fn run(&self, inputs: &[(&str, &str)]) -> Output {
        let mut cmd = self.command(self.repo.path());
        cmd.env("GITHUB_REPOSITORY", "octo/app")
            .env("GITHUB_SERVER_URL", "https://github.com")
            .env("GITHUB_REF", "refs/heads/main")
            .env("GITHUB_REF_NAME", "main")
            .env("INPUT_TOKEN", TOKEN);
        ToolJob::inputs(&mut cmd, inputs);
        ToolJob::run(&mut cmd)
    }

    fn outputs(&self) -> Vec<(String, String)> {
        self.tool.outputs()
    }

    fn output(&self, name: &str) -> String {
        self.outputs()
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
            .unwrap_or_else(|| panic!("no output {name}: {:?}", self.outputs()))
    }

    fn tags(&self) -> Vec<String> {
        lines(&self.repo.git(["tag", "--list"]))
    }

    fn origin_tags(&self) -> Vec<String> {
        lines(&self.origin.git(["tag", "--list"]))
    }
}

fn lines(s: &str) -> Vec<String> {
    s.lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
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

#[test]
fn first_release_is_1_0_0_and_is_tagged_and_pushed() {
    let job = Job::new("feat: start");
    job.commit("fix: a bug");
    job.commit("not a conventional commit");
    let out = job.run(&[]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(job.output("version"), "1.0.0");
    assert_eq!(job.output("tag"), "v1.0.0");
    assert_eq!(job.output("previous-version"), "");
    assert_eq!(job.output("released"), "true");
    assert_eq!(job.output("bump"), "major");
    assert_eq!(job.output("commits"), "3");
    assert_eq!(job.tags(), ["v1.0.0"]);
    assert_eq!(job.origin_tags(), ["v1.0.0"]);
    let kind = job.repo.git(["cat-file", "-t", "v1.0.0"]);
    assert_eq!(kind.trim(), "tag", "annotated");
    let notes = job.output("notes");
    assert!(notes.contains("### Features"), "{notes}");
    assert!(notes.contains("### Bug Fixes"), "{notes}");
    let file = std::fs::read_to_string(job.output("notes-file")).unwrap();
    assert_eq!(file, notes);
    let summary = job.tool.summary();
    assert!(
        summary.contains("| sha | type | scope | bump | subject |"),
        "{summary}"
    );
    assert!(summary.contains("not a conventional commit"), "{summary}");
    assert!(summary.contains("not Conventional Commits"), "{summary}");
    assert_token_masked(&stdout(&out));
    assert!(!summary.contains(TOKEN));
}

#[test]
fn first_release_input_sets_the_first_version() {
    let job = Job::new("feat: start");
    let out = job.run(&[("first-release", "0.1.0"), ("dry-run", "true")]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(job.output("version"), "0.1.0");
}

fn released_job() -> Job {
    let job = Job::new("feat: start");
    job.repo.git(["tag", "-a", "v1.2.3", "-m", "v1.2.3"]);
    job
}

#[test]
fn feat_fix_and_breaking_bump_minor_patch_and_major() {
    for (messages, version, bump) in [
        (&["fix: one", "docs: two"][..], "1.2.4", "patch"),
        (&["fix: one", "feat(api): two"][..], "1.3.0", "minor"),
        (&["feat!: drop the old API"][..], "2.0.0", "major"),
        (
            &["fix: one\n\nBREAKING CHANGE: the config moved"][..],
            "2.0.0",
            "major",
        ),
    ] {
        let job = released_job();
        for m in messages {
            job.commit(m);
        }
        let out = job.run(&[("dry-run", "true")]);
        assert!(out.status.success(), "{}", stdout(&out));
        assert_eq!(job.output("version"), version, "{messages:?}");
        assert_eq!(job.output("bump"), bump, "{messages:?}");
        assert_eq!(job.output("previous-version"), "1.2.3");
        assert_eq!(job.output("previous-tag"), "v1.2.3");
        assert_eq!(job.output("released"), "true");
        let (major, minor, patch) = {
            let v: Vec<&str> = version.split('.').collect();
            (v[0].to_string(), v[1].to_string(), v[2].to_string())
        };
        assert_eq!(
            (
                job.output("major"),
                job.output("minor"),
                job.output("patch")
            ),
            (major, minor, patch)
        );
    }
}

#[test]
fn nothing_to_release_keeps_the_last_version() {
    let job = released_job();
    job.commit("docs: readme");
    job.commit("chore: tidy [skip ci]");
    let out = job.run(&[]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(job.output("released"), "false");
    assert_eq!(job.output("bump"), "none");
    assert_eq!(job.output("version"), "1.2.3");
    assert_eq!(job.output("skip"), "true");
    assert_eq!(job.output("deploy-all"), "false");
    assert_eq!(job.tags(), ["v1.2.3"]);
}

#[test]
fn dry_run_writes_no_tag_and_no_changelog() {
    let job = released_job();
    job.commit("feat: more [deploy-all]");
    let out = job.run(&[
        ("dry-run", "true"),
        ("create-release", "true"),
        ("token", ""),
        ("changelog", "CHANGELOG.md"),
        ("floating-tags", "true"),
    ]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(job.output("version"), "1.3.0");
    assert_eq!(job.output("deploy-all"), "true");
    assert_eq!(job.tags(), ["v1.2.3"]);
    assert!(job.origin_tags().is_empty());
    assert!(!job.repo.path().join("CHANGELOG.md").exists());
}

#[test]
fn tag_creation_then_a_rerun_is_idempotent() {
    let job = released_job();
    job.commit("feat: more");
    let inputs = [("changelog", "CHANGELOG.md"), ("floating-tags", "true")];
    let out = job.run(&inputs);
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(job.output("tag"), "v1.3.0");
    let first = job.outputs();
    assert_eq!(job.tags(), ["v1", "v1.2.3", "v1.3", "v1.3.0"]);
    assert_eq!(job.origin_tags(), ["v1", "v1.3", "v1.3.0"]);
    let changelog = std::fs::read_to_string(job.repo.path().join("CHANGELOG.md")).unwrap();
    assert!(changelog.contains("1.3.0"), "{changelog}");

    // The job re-run: same outputs, nothing new, success.
    let out = job.run(&inputs);
    assert!(out.status.success(), "{}", stdout(&out));
    let strip = |o: Vec<(String, String)>| {
        o.into_iter()
            .filter(|(n, _)| n != "notes-file")
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(job.outputs()), strip(first));
    assert_eq!(job.tags(), ["v1", "v1.2.3", "v1.3", "v1.3.0"]);
    let again = std::fs::read_to_string(job.repo.path().join("CHANGELOG.md")).unwrap();
    assert_eq!(again, changelog);
}

#[test]
fn a_tag_of_the_next_version_at_another_commit_is_a_clear_error() {
    let job = released_job();
    job.repo.git(["switch", "-q", "-c", "other"]);
    job.commit("feat: elsewhere");
    job.repo.git(["tag", "-a", "v1.3.0", "-m", "v1.3.0"]);
    job.repo.git(["switch", "-q", "main"]);
    job.commit("feat: here");
    let out = job.run(&[]);
    assert!(!out.status.success());
    let printed = stdout(&out);
    assert!(
        printed.contains("::error") && printed.contains("v1.3.0 already exists at commit"),
        "{printed}"
    );
    assert!(job.outputs().is_empty());
}

#[test]
fn feature_branches_are_dev_builds() {
    let job = released_job();
    job.repo.git(["switch", "-q", "-c", "feature/x"]);
    job.commit("feat: wip");
    // No GITHUB_REF: the branch comes from git.
    let out = ToolJob::run(&mut job.command(job.repo.path()));
    assert!(out.status.success(), "{}", stdout(&out));
    let head = job.repo.head();
    assert_eq!(job.output("dev-tag"), format!("dev-{}", &head[..7]));
    assert_eq!(job.output("released"), "false");
    assert_eq!(job.tags(), ["v1.2.3"]);
}

#[test]
fn prerelease_branches_number_their_prereleases() {
    let job = released_job();
    job.repo.git(["switch", "-q", "-c", "develop"]);
    job.commit("feat: beta feature");
    // No GITHUB_REF: the branch comes from git.
    let run = |job: &Job| {
        let mut cmd = job.command(job.repo.path());
        ToolJob::inputs(&mut cmd, &[("prerelease-branches", "develop=beta")]);
        ToolJob::run(&mut cmd)
    };
    let out = run(&job);
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(job.output("version"), "1.3.0-beta.1");
    assert_eq!(job.output("prerelease"), "true");
    assert_eq!(job.tags(), ["v1.2.3", "v1.3.0-beta.1"]);
    // A re-run of the same commit keeps beta.1.
    let out = run(&job);
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(job.output("version"), "1.3.0-beta.1");
    assert_eq!(job.tags(), ["v1.2.3", "v1.3.0-beta.1"]);
    job.commit("fix: beta fix");
    let out = run(&job);
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(job.output("version"), "1.3.0-beta.2");
    assert_eq!(job.tags(), ["v1.2.3", "v1.3.0-beta.1", "v1.3.0-beta.2"]);
}

#[test]
fn monorepo_packages_have_their_own_outputs() {
    let job = Job::new("chore: start");
    job.repo.write("services/api/main.rs", "fn main() {}\n");
    job.repo.commit("feat(api): first api");
    job.repo.write("services/web/index.ts", "export {}\n");
    job.repo.commit("fix(web): first web");
    job.repo.git(["tag", "-a", "web-v2.0.0", "-m", "web"]);
    job.repo.write("services/web/index.ts", "export {};\n");
    job.repo.commit("fix(web): second web");
    let packages =
        "api: {paths: [services/api], tag-format: 'api-v${version}'}\nweb: {paths: services/web}\n";
    let out = job.run(&[("packages", packages), ("dry-run", "true")]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(job.output("api-version"), "1.0.0");
    assert_eq!(job.output("api-tag"), "api-v1.0.0");
    assert_eq!(job.output("api-commits"), "1");
    assert_eq!(job.output("web-version"), "2.0.1");
    assert_eq!(job.output("web-previous-tag"), "web-v2.0.0");
    assert_eq!(job.output("released"), "true");
    assert_eq!(job.output("version"), "");
}

#[test]
fn every_bad_input_is_an_error_naming_it_and_writes_no_output() {
    let cases: &[(&str, &str)] = &[
        ("tag-format", "release"),
        ("tag-format", "v${version}-${other}"),
        ("release-branches", "-main"),
        ("prerelease-branches", "develop"),
        ("prerelease-branches", "develop=be ta"),
        ("release-rules", "- {type: docs, relase: patch}"),
        ("release-rules", "not: a list"),
        ("use-pr-title", "yes"),
        ("first-release", "1.0"),
        ("first-release", "0.0.0"),
        ("bump-minor-pre-major", "1"),
        ("bump-patch-for-minor-pre-major", "on"),
        ("packages", "api: {paths: [a], tag-format: api}"),
        ("packages", "api: {pathz: [a]}"),
        ("packages", "- a list"),
        ("create-tag", "nope"),
        ("create-release", "maybe"),
        ("floating-tags", "2"),
        ("dry-run", "y"),
        ("initial-fetch-depth", "0"),
        ("initial-fetch-depth", "many"),
        ("working-directory", "no/such/dir"),
        ("token", "ghs_n0tAr3alT0kenButSecret\nsecond line"),
    ];
    let job = released_job();
    job.commit("feat: more");
    for (name, value) in cases {
        let out = job.run(&[(name, value)]);
        let printed = stdout(&out);
        assert!(!out.status.success(), "{name}={value} accepted: {printed}");
        let error = printed
            .lines()
            .find(|l| l.starts_with("::error"))
            .unwrap_or_else(|| panic!("{name}={value}: no ::error:: in {printed}"));
        assert!(
            error.contains(name),
            "{name}={value}: the error does not name the input: {error}"
        );
        assert!(job.outputs().is_empty(), "{name}={value}: outputs written");
        assert_eq!(job.tags(), ["v1.2.3"]);
        if *name != "token" {
            assert_token_masked(&printed);
        } else {
            // A multi-line secret is masked line by line; no other line shows any of it.
            for line in printed.lines().filter(|l| !l.starts_with("::add-mask::")) {
                assert!(
                    !line.contains(TOKEN) && !line.contains("second line"),
                    "token leaked: {line}"
                );
            }
        }
    }
}

#[test]
fn conflicting_inputs_are_errors() {
    let job = released_job();
    for inputs in [
        &[("create-tag", "false"), ("create-release", "true")][..],
        &[("create-tag", "false"), ("floating-tags", "true")][..],
        &[("create-release", "true"), ("token", "")][..],
        &[("prerelease-branches", "main=beta")][..],
    ] {
        let out = job.run(inputs);
        assert!(!out.status.success(), "{inputs:?}");
        assert!(stdout(&out).contains("::error"), "{inputs:?}");
        assert!(job.outputs().is_empty());
    }
}

#[test]
fn a_repository_without_commits_is_a_clear_error() {
    let job = Job::new("feat: start");
    let empty = GitRepo::new();
    let out = ToolJob::run(&mut job.command(empty.path()));
    assert!(!out.status.success());
    assert!(stdout(&out).contains("::error"), "{}", stdout(&out));
    assert!(job.outputs().is_empty());
}

#[test]
fn action_contract_lists_inputs_and_outputs() {
    let out = Command::new(env!("CARGO_BIN_EXE_semantic-version"))
        .arg("--action-contract")
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["inputs"]["tag-format"], "v${version}");
    assert!(doc["inputs"]["token"].is_null());
    assert_eq!(doc["outputs"][0], "version");
}

/// One request: method, path, authorization header, JSON body.
type Recorded = (String, String, String, serde_json::Value);

/// GitHub's release endpoints on loopback: releases kept in memory, every request recorded as
/// `(method, path, authorization, body)`.
struct FakeReleases {
    url: String,
    requests: std::sync::Arc<std::sync::Mutex<Vec<Recorded>>>,
}

impl FakeReleases {
    fn start() -> FakeReleases {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = std::sync::Arc::clone(&requests);
        std::thread::spawn(move || {
            let mut releases: Vec<serde_json::Value> = Vec::new();
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    continue;
                }
                let mut parts = line.split_whitespace();
                let method = parts.next().unwrap_or_default().to_string();
                let path = parts.next().unwrap_or_default().to_string();
                let (mut length, mut auth) = (0usize, String::new());
                loop {
                    let mut header = String::new();
                    reader.read_line(&mut header).unwrap();
                    let header = header.trim_end();
                    if header.is_empty() {
                        break;
                    }
                    let (name, value) = header.split_once(':').unwrap();
                    match name.to_ascii_lowercase().as_str() {
                        "content-length" => length = value.trim().parse().unwrap(),
                        "authorization" => auth = value.trim().to_string(),
                        _ => {}
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                let body: serde_json::Value =
                    serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
                log.lock()
                    .unwrap()
                    .push((method.clone(), path.clone(), auth, body.clone()));
                let (status, reply) = if method == "POST" && path.ends_with("/releases") {
                    let release = serde_json::json!({
                        "id": releases.len() + 1,
                        "tag_name": body["tag_name"],
                        "name": body["name"],
                        "body": body["body"],
                        "draft": body["draft"].as_bool().unwrap_or(false),
                        "prerelease": body["prerelease"].as_bool().unwrap_or(false),
                        "html_url": format!("https://github.com/octo/app/releases/tag/{}", body["tag_name"].as_str().unwrap_or_default()),
                    });
                    releases.push(release.clone());
                    (201, release)
                } else if method == "GET" && path.contains("/releases/tags/") {
                    let tag = path.rsplit('/').next().unwrap_or_default();
                    match releases.iter().find(|r| r["tag_name"] == tag) {
                        Some(r) => (200, r.clone()),
                        None => (404, serde_json::json!({"message": "Not Found"})),
                    }
                } else if method == "GET" && path.contains("/releases") {
                    (200, serde_json::Value::Array(releases.clone()))
                } else {
                    (404, serde_json::json!({"message": "Not Found"}))
                };
                let text = reply.to_string();
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                    text.len()
                );
            }
        });
        FakeReleases { url, requests }
    }
}

#[test]
fn the_github_release_is_created_once_with_the_notes() {
    let github = FakeReleases::start();
    let job = released_job();
    job.commit("feat: shiny");
    let inputs = [("create-release", "true")];
    let run = |job: &Job| {
        let mut cmd = job.command(job.repo.path());
        cmd.env("GITHUB_REPOSITORY", "octo/app")
            .env("GITHUB_API_URL", &github.url)
            .env("GITHUB_REF", "refs/heads/main")
            .env("GITHUB_REF_NAME", "main")
            .env("INPUT_TOKEN", TOKEN);
        ToolJob::inputs(&mut cmd, &inputs);
        ToolJob::run(&mut cmd)
    };
    let out = run(&job);
    assert!(out.status.success(), "{}", stdout(&out));
    assert_token_masked(&stdout(&out));
    let posts: Vec<_> = github
        .requests
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.0 == "POST")
        .cloned()
        .collect();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert!(
        posts[0].1.ends_with("/repos/octo/app/releases"),
        "{posts:?}"
    );
    assert!(posts[0].2.contains(TOKEN));
    assert_eq!(posts[0].3["tag_name"], "v1.3.0");
    assert_eq!(
        posts[0].3["body"].as_str(),
        Some(job.output("notes").as_str())
    );
    assert_eq!(job.origin_tags(), ["v1.3.0"]);

    // Re-run: the release exists with the same notes; nothing is written.
    let out = run(&job);
    assert!(out.status.success(), "{}", stdout(&out));
    let writes = github
        .requests
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.0 != "GET")
        .count();
    assert_eq!(writes, 1);
}

#[test]
fn a_shallow_clone_is_deepened_to_the_last_release() {
    let job = released_job();
    for i in 0..30 {
        job.commit(&format!("docs: page {i}"));
    }
    job.commit("fix: after the release");
    let clone_dir = tempfile::tempdir().unwrap();
    let clone = clone_dir.path().join("clone");
    let status = Command::new("git")
        .args(["clone", "-q", "--depth", "1", "--no-tags"])
        .arg(format!("file://{}", job.repo.path().display()))
        .arg(&clone)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .status()
        .unwrap();
    assert!(status.success());
    let mut cmd = job.command(&clone);
    cmd.env("GITHUB_REF", "refs/heads/main")
        .env("GITHUB_REF_NAME", "main");
    ToolJob::inputs(
        &mut cmd,
        &[("dry-run", "true"), ("initial-fetch-depth", "4")],
    );
    let out = ToolJob::run(&mut cmd);
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(job.output("previous-version"), "1.2.3");
    assert_eq!(job.output("version"), "1.2.4");
    assert_eq!(job.output("commits"), "31");
}

/// A prerelease number used on another branch is taken: two branches of the same channel
/// never both publish `1.3.0-beta.1`.
#[test]
fn prerelease_numbers_used_on_another_branch_are_not_issued_again() {
    let job = released_job();
    let base = job.repo.head();
    // No GITHUB_REF: the branch comes from git.
    let run = |job: &Job| {
        let mut cmd = job.command(job.repo.path());
        ToolJob::inputs(
            &mut cmd,
            &[("prerelease-branches", "develop=beta\nnext=beta")],
        );
        ToolJob::run(&mut cmd)
    };
    job.repo.git(["switch", "-q", "-c", "develop"]);
    job.commit("feat: on develop");
    let out = run(&job);
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(job.output("version"), "1.3.0-beta.1");

    job.repo.git(["switch", "-q", "-c", "next", base.as_str()]);
    job.commit("feat: on next");
    let out = run(&job);
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(job.output("version"), "1.3.0-beta.2");
}

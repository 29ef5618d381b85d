//! The `semantic-version` binary as a runner runs it: inputs in `INPUT_*`, outputs and summary
//! in the runner's files, over real git repositories (with a bare repository as `origin`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

use gantry_testkit::http::{FakeHttp, Request, Response};
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
    assert_eq!(job.output("commit-count"), "3");
    let commits: serde_json::Value = serde_json::from_str(&job.output("commits")).unwrap();
    let commits = commits.as_array().unwrap();
    assert_eq!(commits.len(), 3);
    assert_eq!(commits[0]["type"], "feat");
    assert_eq!(commits[0]["subject"], "feat: start");
    assert_eq!(commits[0]["scope"], serde_json::Value::Null);
    assert_eq!(commits[0]["breaking"], false);
    assert_eq!(commits[0]["counted"], true);
    assert_eq!(commits[1]["type"], "fix");
    assert_eq!(commits[1]["sha"].as_str().unwrap().len(), 40);
    assert_eq!(commits[2]["type"], serde_json::Value::Null);
    assert_eq!(commits[2]["counted"], false);
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
    assert!(
        summary.contains("1 commit is not a Conventional Commit"),
        "{summary}"
    );
    insta::assert_snapshot!(gantry_testkit::redact::redact(&summary));
    assert_token_masked(&stdout(&out));
    assert!(!summary.contains(TOKEN));
}

/// The repository's default branch releases, whatever its name; another branch is a dev build
/// that says why.
#[test]
fn the_default_branch_releases_and_a_dev_build_says_why() {
    let run_on = |branch: &str, release_branches: &str| {
        let job = released_job();
        job.repo.git(["checkout", "-q", "-b", branch]);
        job.commit("feat: on the branch");
        let event = job.repo.path().join("event.json");
        std::fs::write(
            &event,
            r#"{"ref": "refs/heads/x", "repository": {"default_branch": "trunk", "full_name": "octo/app"}}"#,
        )
        .unwrap();
        let mut cmd = job.command(job.repo.path());
        cmd.env("GITHUB_REPOSITORY", "octo/app")
            .env("GITHUB_EVENT_NAME", "push")
            .env("GITHUB_EVENT_PATH", &event)
            .env("GITHUB_REF", format!("refs/heads/{branch}"))
            .env("GITHUB_REF_NAME", branch);
        ToolJob::inputs(
            &mut cmd,
            &[("release-branches", release_branches), ("dry-run", "true")],
        );
        let out = ToolJob::run(&mut cmd);
        assert!(out.status.success(), "{}", stdout(&out));
        (job, stdout(&out))
    };
    let (job, printed) = run_on("trunk", "");
    assert_eq!(job.output("released"), "true", "{printed}");
    assert_eq!(job.output("version"), "1.3.0", "{printed}");
    assert!(!printed.contains("dev build"), "{printed}");

    // Configured otherwise: trunk is then a dev build, and says so.
    let (job, printed) = run_on("trunk", "main");
    assert_eq!(job.output("released"), "false", "{printed}");
    assert!(
        printed.contains(
            "::notice::branch 'trunk' is a dev build: nothing is released, because it is not a release branch (main)"
        ),
        "{printed}"
    );
    assert!(job.tool.summary().contains("Dev build: branch 'trunk'"));

    let (job, printed) = run_on("feature/x", "");
    assert_eq!(job.output("released"), "false", "{printed}");
    assert!(
        printed.contains("not a release branch (trunk, main, master)"),
        "{printed}"
    );
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
    assert_eq!(job.output("api-commit-count"), "1");
    let api: serde_json::Value = serde_json::from_str(&job.output("api-commits")).unwrap();
    assert_eq!(api[0]["scope"], "api");
    // The run's list: every package's commits, each once.
    assert_eq!(job.output("commit-count"), "2");
    let all: serde_json::Value = serde_json::from_str(&job.output("commits")).unwrap();
    let subjects: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["subject"].as_str().unwrap())
        .collect();
    assert_eq!(subjects, ["feat(api): first api", "fix(web): second web"]);
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
        ("maintenance-branches", "legacy"),
        ("maintenance-branches", "1.x, v1=1.x"),
        ("maintenance-branches", "-1.x=1.x"),
        ("maintenance-branches", "main=1.x"),
        ("mode", "pr"),
        ("release-pr-branch", "-release"),
        ("release-pr-title", "release"),
        ("release-pr-per-package", "sometimes"),
        ("chart-app-version", "yes"),
        ("commit-changelog", "1"),
        ("commit-changelog", "true"),
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
        ("timeout-seconds", "0"),
        ("timeout-seconds", "ten"),
        ("timeout-seconds", "99999"),
        ("repository", "octo"),
        ("repository", "octo/app/extra"),
        ("repository", "octo/a pp"),
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
        &[("mode", "release-pr")][..],
        &[
            ("mode", "release-pr"),
            ("changelog", "C.md"),
            ("create-tag", "false"),
            ("create-release", "false"),
        ][..],
        &[
            ("mode", "release-pr"),
            ("changelog", "C.md"),
            ("commit-changelog", "true"),
        ][..],
        &[
            ("version-files", "VERSION"),
            ("packages", "api: {paths: [api]}"),
        ][..],
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
    assert_eq!(doc["inputs"]["tag-format"]["default"], "v${version}");
    assert!(doc["inputs"]["token"]["default"].is_null());
    assert_eq!(doc["inputs"]["token"]["required"], false);
    assert_eq!(doc["outputs"][0], "version");
}

/// GitHub's release endpoints on loopback: releases kept in memory, every request recorded.
struct FakeReleases {
    url: String,
    server: FakeHttp,
    /// While set, a `POST …/releases` is recorded, then left unanswered for this many
    /// milliseconds (or until set to 0) and answered 504 without creating the release (a slow
    /// GitHub that loses the request).
    stall_posts_ms: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl FakeReleases {
    fn start() -> FakeReleases {
        let stall_posts_ms = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let stall = std::sync::Arc::clone(&stall_posts_ms);
        let releases = std::sync::Mutex::new(Vec::<serde_json::Value>::new());
        let server = FakeHttp::start(move |request| {
            let (method, path) = (request.method.as_str(), request.path.as_str());
            let stall_ms = stall.load(std::sync::atomic::Ordering::SeqCst);
            if method == "POST" && stall_ms > 0 {
                // Until the time is up or the test ends the stall.
                let until = std::time::Instant::now() + std::time::Duration::from_millis(stall_ms);
                while std::time::Instant::now() < until
                    && stall.load(std::sync::atomic::Ordering::SeqCst) > 0
                {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                return Response::json(504, &serde_json::json!({"message": "stalled"}));
            }
            let mut releases = releases.lock().unwrap();
            let (status, reply) = if method == "POST" && path.ends_with("/releases") {
                let body = request.json();
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
            Response::json(status, &reply)
        });
        FakeReleases {
            url: server.url(),
            server,
            stall_posts_ms,
        }
    }

    /// The requests of `method` so far.
    fn requests(&self, method: &str) -> Vec<Request> {
        self.server
            .requests()
            .into_iter()
            .filter(|r| r.method == method)
            .collect()
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
    let posts = github.requests("POST");
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert!(
        posts[0].path.ends_with("/repos/octo/app/releases"),
        "{posts:?}"
    );
    assert!(
        posts[0]
            .header("authorization")
            .unwrap_or_default()
            .contains(TOKEN)
    );
    assert_eq!(posts[0].json()["tag_name"], "v1.3.0");
    // Named by commit, so GitHub can never put a missing tag at the default branch's head.
    let head = job.repo.git(["rev-parse", "HEAD"]);
    assert_eq!(
        posts[0].json()["target_commitish"].as_str(),
        Some(head.trim())
    );
    assert_eq!(
        posts[0].json()["body"].as_str(),
        Some(job.output("notes").as_str())
    );
    assert_eq!(job.origin_tags(), ["v1.3.0"]);

    // Re-run: the release exists with the same notes; nothing is written.
    let out = run(&job);
    assert!(out.status.success(), "{}", stdout(&out));
    let writes = github
        .server
        .requests()
        .iter()
        .filter(|r| r.method != "GET")
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
    assert_eq!(job.output("commit-count"), "31");
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

// ---- deadline and SIGTERM --------------------------------------------------------------------

/// The binary with the GitHub release on, against `github`.
fn release_command(job: &Job, github: &FakeReleases, inputs: &[(&str, &str)]) -> Command {
    let mut cmd = job.command(job.repo.path());
    cmd.env("GITHUB_REPOSITORY", "octo/app")
        .env("GITHUB_API_URL", &github.url)
        .env("GITHUB_REF", "refs/heads/main")
        .env("GITHUB_REF_NAME", "main")
        .env("INPUT_TOKEN", TOKEN)
        .env("INPUT_CREATE-RELEASE", "true");
    ToolJob::inputs(&mut cmd, inputs);
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    cmd
}

fn posts(github: &FakeReleases) -> usize {
    github.requests("POST").len()
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !done() {
        assert!(
            std::time::Instant::now() < until,
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

fn sigterm(child: &std::process::Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn error_line(printed: &str) -> String {
    printed
        .lines()
        .find(|l| l.starts_with("::error"))
        .unwrap_or_else(|| panic!("no ::error:: in {printed}"))
        .to_string()
}

/// SIGTERM while GitHub is slow to create the release: the run stops at once, says the tag is
/// pushed and the release is not done; a re-run on the same commit creates only the release.
#[test]
fn sigterm_during_the_release_reports_the_half_done_release_and_a_rerun_finishes_it() {
    let github = FakeReleases::start();
    let job = released_job();
    job.commit("feat: shiny");
    github
        .stall_posts_ms
        .store(60_000, std::sync::atomic::Ordering::SeqCst);
    let started = std::time::Instant::now();
    let child = release_command(&job, &github, &[]).spawn().unwrap();
    wait_for("the release request", || posts(&github) == 1);
    sigterm(&child);
    let out = child.wait_with_output().unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "the run waited for GitHub instead of stopping"
    );
    assert!(!out.status.success());
    let printed = stdout(&out);
    assert_token_masked(&printed);
    let error = error_line(&printed);
    for part in [
        "the release is half done",
        "done: tag v1.3.0 created, v1.3.0 pushed to origin",
        "not done: creating the GitHub release v1.3.0",
        "re-run the job on this commit to finish",
        "SIGTERM received",
    ] {
        assert!(error.contains(part), "{part:?} missing in {error}");
    }
    assert_eq!(job.origin_tags(), ["v1.3.0"]);

    github
        .stall_posts_ms
        .store(0, std::sync::atomic::Ordering::SeqCst);
    let out = release_command(&job, &github, &[]).output().unwrap();
    let printed = stdout(&out);
    assert!(out.status.success(), "{printed}");
    assert!(
        printed.contains("tag v1.3.0 already marks this commit"),
        "{printed}"
    );
    assert_eq!(job.output("version"), "1.3.0");
    assert_eq!(posts(&github), 2, "the lost request, then the release");
    assert_eq!(job.origin_tags(), ["v1.3.0"]);
}

/// The deadline passing while GitHub does not answer ends the run with the same report.
#[test]
fn the_deadline_stops_a_release_that_github_does_not_answer() {
    let github = FakeReleases::start();
    let job = released_job();
    job.commit("fix: small");
    github
        .stall_posts_ms
        .store(60_000, std::sync::atomic::Ordering::SeqCst);
    let started = std::time::Instant::now();
    let out = release_command(&job, &github, &[("timeout-seconds", "6")])
        .output()
        .unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert!(!out.status.success());
    let error = error_line(&stdout(&out));
    for part in [
        "the deadline of 6 s passed (input 'timeout-seconds')",
        "v1.2.4 pushed to origin",
        "not done: creating the GitHub release v1.2.4",
    ] {
        assert!(error.contains(part), "{part:?} missing in {error}");
    }
}

/// SIGTERM during a slow fetch (an `upload-pack` that sleeps): the run stops before its first
/// write; no tag anywhere, no output.
#[test]
fn sigterm_during_a_fetch_stops_before_anything_is_written() {
    let job = released_job();
    for i in 0..5 {
        job.commit(&format!("docs: page {i}"));
    }
    job.commit("feat: after the release");
    let dir = tempfile::tempdir().unwrap();
    let clone = dir.path().join("clone");
    let status = Command::new("git")
        .args(["clone", "-q", "--depth", "1", "--no-tags"])
        .arg(format!("file://{}", job.repo.path().display()))
        .arg(&clone)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .status()
        .unwrap();
    assert!(status.success());
    let marker = dir.path().join("fetching");
    let script = dir.path().join("slow-upload-pack");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ntouch '{}'\nsleep 2\nexec git-upload-pack \"$@\"\n",
            marker.display()
        ),
    )
    .unwrap();
    Command::new("chmod")
        .arg("755")
        .arg(&script)
        .status()
        .unwrap();
    let status = Command::new("git")
        .current_dir(&clone)
        .args(["config", "remote.origin.uploadpack"])
        .arg(&script)
        .status()
        .unwrap();
    assert!(status.success());

    let mut cmd = job.command(&clone);
    cmd.env("GITHUB_REF", "refs/heads/main")
        .env("GITHUB_REF_NAME", "main")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    wait_for("the fetch", || marker.exists());
    sigterm(&child);
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    let error = error_line(&stdout(&out));
    assert!(error.contains("SIGTERM received"), "{error}");
    assert!(error.contains("nothing was written"), "{error}");
    assert!(job.outputs().is_empty());
    let tags = Command::new("git")
        .current_dir(&clone)
        .args(["tag", "--list"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&tags.stdout).contains("v1.3.0"));
    assert_eq!(job.tags(), ["v1.2.3"], "nothing pushed to origin");
}

// ---- shallow clones --------------------------------------------------------------------------

/// `git clone <args> file://<origin> <dir>/clone`.
fn clone_of(origin: &Path, args: &[&str]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let clone = dir.path().join("clone");
    let status = Command::new("git")
        .arg("clone")
        .arg("-q")
        .args(args)
        .arg(format!("file://{}", origin.display()))
        .arg(&clone)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .status()
        .unwrap();
    assert!(status.success());
    (dir, clone)
}

/// A prerelease tag on another branch is not in a shallow single-branch clone of `develop`;
/// its number is still taken (from the remote's tag list).
#[test]
fn a_shallow_clone_numbers_prereleases_after_those_of_other_branches() {
    let job = released_job();
    let base = job.repo.head();
    job.repo.git(["switch", "-q", "-c", "next"]);
    for n in 1..=3 {
        job.commit(&format!("feat: next {n}"));
        job.repo
            .git(["tag", "-a", &format!("v1.3.0-beta.{n}"), "-m", "beta"]);
    }
    job.repo
        .git(["switch", "-q", "-c", "develop", base.as_str()]);
    job.commit("feat: on develop");
    job.repo.git(["switch", "-q", "main"]);
    let (_dir, clone) = clone_of(
        job.repo.path(),
        &[
            "--depth",
            "1",
            "--no-tags",
            "--single-branch",
            "--branch",
            "develop",
        ],
    );
    let mut cmd = job.command(&clone);
    cmd.env("GITHUB_REF", "refs/heads/develop")
        .env("GITHUB_REF_NAME", "develop");
    ToolJob::inputs(
        &mut cmd,
        &[("prerelease-branches", "develop=beta"), ("dry-run", "true")],
    );
    let out = ToolJob::run(&mut cmd);
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(job.output("previous-version"), "1.2.3");
    assert_eq!(job.output("version"), "1.3.0-beta.4");
    assert_eq!(job.output("commit-count"), "1");
    // The other branch's tags were not fetched (their commits are not in the clone).
    let tags = Command::new("git")
        .current_dir(&clone)
        .args(["tag", "--list"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&tags.stdout).trim(), "v1.2.3");
}

/// v2.0.0 sits below v1.5.0 (a backport tagged later on a newer commit): deepening stops at
/// v1.5.0, the remote shows a higher release, the whole history is fetched and v2.0.0 is the
/// last release.
#[test]
fn a_higher_release_below_the_nearest_tag_unshallows_the_clone() {
    let job = Job::new("feat: start");
    job.commit("feat!: the big one");
    job.repo.git(["tag", "-a", "v2.0.0", "-m", "v2.0.0"]);
    for i in 0..12 {
        job.commit(&format!("docs: page {i}"));
    }
    job.commit("fix: backported");
    job.repo.git(["tag", "-a", "v1.5.0", "-m", "v1.5.0"]);
    for i in 0..3 {
        job.commit(&format!("docs: more {i}"));
    }
    job.commit("fix: after both");
    let (_dir, clone) = clone_of(job.repo.path(), &["--depth", "1", "--no-tags"]);
    let mut cmd = job.command(&clone);
    cmd.env("GITHUB_REF", "refs/heads/main")
        .env("GITHUB_REF_NAME", "main");
    ToolJob::inputs(
        &mut cmd,
        &[("dry-run", "true"), ("initial-fetch-depth", "2")],
    );
    let out = ToolJob::run(&mut cmd);
    let printed = stdout(&out);
    assert!(out.status.success(), "{printed}");
    assert!(
        printed.contains("v2.0.0 is on the remote and higher than v1.5.0"),
        "{printed}"
    );
    assert!(printed.contains("--unshallow"), "{printed}");
    assert_eq!(job.output("previous-version"), "2.0.0");
    assert_eq!(job.output("version"), "2.0.1");
    let shallow = Command::new("git")
        .current_dir(&clone)
        .args(["rev-parse", "--is-shallow-repository"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&shallow.stdout).trim(), "false");
}

/// On a prerelease branch the nearest tag is the channel's prerelease; the stable release
/// below it is found too (the clone is completed), so the numbering continues from it.
#[test]
fn a_shallow_clone_reaching_only_a_prerelease_finds_the_release_below() {
    let job = released_job();
    job.repo.git(["switch", "-q", "-c", "develop"]);
    for i in 0..6 {
        job.commit(&format!("docs: page {i}"));
    }
    job.commit("feat: beta one");
    job.repo.git(["tag", "-a", "v1.3.0-beta.1", "-m", "beta"]);
    job.commit("fix: after beta one");
    let (_dir, clone) = clone_of(
        job.repo.path(),
        &["--depth", "1", "--no-tags", "--branch", "develop"],
    );
    let mut cmd = job.command(&clone);
    cmd.env("GITHUB_REF", "refs/heads/develop")
        .env("GITHUB_REF_NAME", "develop");
    ToolJob::inputs(
        &mut cmd,
        &[
            ("prerelease-branches", "develop=beta"),
            ("dry-run", "true"),
            ("initial-fetch-depth", "1"),
        ],
    );
    let out = ToolJob::run(&mut cmd);
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(job.output("previous-version"), "1.2.3");
    assert_eq!(job.output("version"), "1.3.0-beta.2");
}

// ---- links without a runner's repository -----------------------------------------------------

/// Outside a runner (no GITHUB_REPOSITORY) the notes link to the repository of the `origin`
/// remote, in its https and ssh forms, or of the `repository` input, which wins.
#[test]
fn notes_link_to_the_remote_or_the_repository_input_outside_a_runner() {
    let job = released_job();
    let sha = job.commit("feat: linked");
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case] = &[
        (
            "https://github.com/acme/shop.git",
            &[],
            "https://github.com/acme/shop",
        ),
        (
            "git@github.com:acme/shop.git",
            &[],
            "https://github.com/acme/shop",
        ),
        (
            "ssh://git@ghe.example.com:2222/acme/shop.git",
            &[],
            "https://ghe.example.com/acme/shop",
        ),
        (
            "git@github.com:acme/shop.git",
            &[("repository", "octo/app")],
            "https://github.com/octo/app",
        ),
        (
            job.origin.path().to_str().unwrap(),
            &[("repository", "octo/app")],
            "https://github.com/octo/app",
        ),
    ];
    for (remote, inputs, base) in cases {
        job.repo.git(["remote", "set-url", "origin", remote]);
        let mut cmd = job.command(job.repo.path());
        cmd.env("GITHUB_REF", "refs/heads/main")
            .env("GITHUB_REF_NAME", "main");
        let mut all = vec![("dry-run", "true")];
        all.extend_from_slice(inputs);
        ToolJob::inputs(&mut cmd, &all);
        let out = ToolJob::run(&mut cmd);
        assert!(out.status.success(), "{remote}: {}", stdout(&out));
        let notes = job.output("notes");
        assert!(
            notes.contains(&format!("{base}/commit/{sha}")),
            "{remote} {inputs:?}: {notes}"
        );
        assert!(
            notes.contains(&format!("{base}/compare/v1.2.3...v1.3.0")),
            "{remote} {inputs:?}: {notes}"
        );
    }

    // A local remote and no input: plain text, no broken links.
    let path = job.origin.path().to_str().unwrap().to_owned();
    job.repo.git(["remote", "set-url", "origin", path.as_str()]);
    let mut cmd = job.command(job.repo.path());
    ToolJob::inputs(&mut cmd, &[("dry-run", "true")]);
    let out = ToolJob::run(&mut cmd);
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(stdout(&out).contains("the notes have no links"));
    assert!(!job.output("notes").contains("/commit/"));
}

// ---- maintenance branches ----------------------------------------------------------------------

#[test]
fn a_maintenance_branch_releases_a_fix_of_its_line_without_touching_the_newer_one() {
    let github = FakeReleases::start();
    let job = released_job();
    let floating = [("floating-tags", "true")];
    // v1.2.3 was pushed by an earlier release; 1.x is cut from it.
    job.repo.git(["push", "-q", "origin", "v1.2.3"]);
    job.repo.git(["branch", "1.x"]);
    job.commit("feat!: the new API");
    let out = job.run(&floating);
    assert!(out.status.success(), "{}", stdout(&out));
    job.commit("feat: more of it");
    let out = job.run(&floating);
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(job.output("version"), "2.1.0");
    let at = |tag: &str| job.origin.git(["rev-parse", &format!("{tag}^{{commit}}")]);
    let v2 = at("v2");
    assert_eq!(v2, at("v2.1.0"));

    job.repo.git(["switch", "-q", "1.x"]);
    let fix = job.commit("fix: backport the leak fix");
    let on_1x = |job: &Job| {
        let mut cmd = release_command(
            job,
            &github,
            &[("maintenance-branches", "1.x"), ("floating-tags", "true")],
        );
        cmd.env("GITHUB_REF", "refs/heads/1.x")
            .env("GITHUB_REF_NAME", "1.x");
        ToolJob::run(&mut cmd)
    };
    let out = on_1x(&job);
    let printed = stdout(&out);
    assert!(out.status.success(), "{printed}");
    assert!(
        printed.contains("maintenance line 1.x (>=1.0.0 <2.0.0)"),
        "{printed}"
    );
    assert_eq!(job.output("version"), "1.2.4");
    assert_eq!(job.output("previous-version"), "1.2.3");
    // v1 and v1.2 move to the fix; v2 and v2.1 stay where main put them.
    assert_eq!(at("v1.2.4"), fix.trim());
    assert_eq!(at("v1"), fix.trim());
    assert_eq!(at("v1.2"), fix.trim());
    assert_eq!(at("v2"), v2);
    // GitHub would otherwise mark the newest by date latest.
    let posts = github.requests("POST");
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(posts[0].json()["tag_name"], "v1.2.4");
    assert_eq!(posts[0].json()["make_latest"], "false");

    // A breaking change cannot be released from 1.x: the error names it; nothing is written.
    let breaking = job.commit("feat!: a 2.x change on the 1.x branch");
    let before = job.origin_tags();
    let out = on_1x(&job);
    let printed = stdout(&out);
    assert!(!out.status.success(), "{printed}");
    let error = error_line(&printed);
    assert!(
        error.contains("2.0.0 is outside maintenance line 1.x (>=1.0.0 <2.0.0), because of"),
        "{error}"
    );
    assert!(
        error.contains(&format!(
            "{} \"feat!: a 2.x change on the 1.x branch\"",
            &breaking.trim()[..7]
        )),
        "{error}"
    );
    assert_eq!(job.origin_tags(), before);
    assert_eq!(github.requests("POST").len(), 1);
}

#[test]
fn a_maintenance_release_stays_below_the_lines_newer_releases() {
    let job = released_job();
    job.repo.git(["branch", "1.x"]);
    job.commit("feat: 1.3 on main");
    let out = job.run(&[]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(job.output("version"), "1.3.0");
    job.repo.git(["switch", "-q", "1.x"]);
    job.commit("feat: a feature on 1.x");
    let mut cmd = job.command(job.repo.path());
    cmd.env("GITHUB_REF", "refs/heads/1.x")
        .env("GITHUB_REF_NAME", "1.x");
    ToolJob::inputs(&mut cmd, &[("maintenance-branches", "1.x")]);
    let out = ToolJob::run(&mut cmd);
    let printed = stdout(&out);
    assert!(!out.status.success(), "{printed}");
    assert!(
        error_line(&printed)
            .contains("1.3.0 is not below 1.3.0, which another branch released in line 1.x"),
        "{printed}"
    );
    assert_eq!(job.origin_tags(), ["v1.3.0"]);
}

// ---- release commits ---------------------------------------------------------------------------

#[test]
fn commit_changelog_tags_a_release_commit_with_the_changelog_and_version_files() {
    let job = released_job();
    job.repo.write("VERSION", "1.2.3\n");
    job.repo.write(
        "web/package.json",
        "{\n    \"name\": \"web\",\n    \"version\": \"1.2.3\"\n}\n",
    );
    job.commit("feat: the feature");
    job.repo
        .git(["push", "-q", "origin", "HEAD:refs/heads/main"]);
    let head = job.repo.git(["rev-parse", "HEAD"]);
    let inputs = [
        ("commit-changelog", "true"),
        ("changelog", "CHANGELOG.md"),
        ("version-files", "VERSION, web/package.json"),
    ];
    let out = job.run(&inputs);
    let printed = stdout(&out);
    assert!(out.status.success(), "{printed}");
    assert_eq!(job.output("version"), "1.3.0");
    let origin = |args: &[&str]| job.origin.git(args);
    let release = origin(&["rev-parse", "main"]);
    // The tag marks the release commit, a child of the released commit.
    assert_eq!(origin(&["rev-parse", "v1.3.0^{commit}"]), release);
    assert_eq!(origin(&["rev-parse", "main^"]), head);
    assert_eq!(
        origin(&["log", "-1", "--format=%s", "main"]),
        "chore(release): v1.3.0"
    );
    assert_eq!(origin(&["show", "main:VERSION"]), "1.3.0");
    assert_eq!(
        origin(&["diff", "main^", "main", "--", "web/package.json"])
            .lines()
            .filter(|l| l.starts_with('+') || l.starts_with('-'))
            .filter(|l| !l.starts_with("+++") && !l.starts_with("---"))
            .collect::<Vec<_>>(),
        ["-    \"version\": \"1.2.3\"", "+    \"version\": \"1.3.0\""]
    );
    assert!(origin(&["show", "main:CHANGELOG.md"]).contains("## [1.3.0]"));
    // The checkout is untouched; a re-run of the job finds the release done.
    assert_eq!(job.repo.git(["rev-parse", "HEAD"]), head);
    let out = job.run(&inputs);
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(origin(&["rev-parse", "main"]), release);
    assert_eq!(job.output("version"), "1.3.0");
}

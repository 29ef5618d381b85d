//! Every event end to end, plan → git, on real repositories: upstream repositories built with
//! `GitRepo`, pushed to a bare "remote", and cloned the way actions/checkout does it (shallow,
//! single-branch, detached on a pull request's merge commit) over `file://`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

use gantry_testkit::GitRepo;
use gantry_toolkit::EventPayload;
use paths_filter::base::{BaseInputs, ChangeSource, Plan, plan};
use paths_filter::change::{Change, ChangeStatus, Side};
use paths_filter::git::{
    DetectError, Detected, Git, GitError, MAX_DEEPEN_ROUNDS, RepoError, detect_changes,
};
use serde_json::{Value, json};
use tempfile::TempDir;

const ZERO: &str = "0000000000000000000000000000000000000000";

// ---- helpers -----------------------------------------------------------------------------

/// git with no system or global configuration, for setting up clones.
fn git_at(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("LC_ALL", "C")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?} in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn url(bare: &GitRepo) -> String {
    format!("file://{}", bare.path().display())
}

/// A repository to build history in, with a bare "origin" to push to.
fn upstream() -> (GitRepo, GitRepo) {
    let bare = GitRepo::bare();
    let repo = GitRepo::new();
    repo.set_remote("origin", &url(&bare));
    (repo, bare)
}

fn push(repo: &GitRepo, refspecs: &[&str]) {
    let mut args = vec!["push", "-q", "-f", "origin"];
    args.extend_from_slice(refspecs);
    repo.git(args);
}

/// `git clone <args> file://<bare>` into a new directory.
fn clone(bare: &GitRepo, args: &[&str]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut all = vec!["clone", "-q"];
    all.extend_from_slice(args);
    let url = url(bare);
    all.push(&url);
    all.push(".");
    git_at(dir.path(), &all);
    dir
}

/// What actions/checkout does for a pull request: fetch one commit (`--depth=1`) into
/// `refs/remotes/pull/1/merge` and check it out detached.
fn checkout_commit(bare: &GitRepo, sha: &str) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git_at(d, &["init", "-q", "-b", "main"]);
    git_at(d, &["remote", "add", "origin", &url(bare)]);
    let refspec = format!("+{sha}:refs/remotes/pull/1/merge");
    git_at(
        d,
        &["fetch", "-q", "--no-tags", "--depth=1", "origin", &refspec],
    );
    git_at(
        d,
        &[
            "-c",
            "advice.detachedHead=false",
            "checkout",
            "-q",
            "--detach",
            "refs/remotes/pull/1/merge",
        ],
    );
    dir
}

fn event(name: &str, payload: Value) -> EventPayload {
    EventPayload::from_value(name, payload).unwrap()
}

fn no_inputs() -> BaseInputs {
    BaseInputs::default()
}

fn base(b: &str) -> BaseInputs {
    BaseInputs {
        base: Some(b.to_owned()),
        ..BaseInputs::default()
    }
}

/// plan → git, without a GitHub client.
fn run(
    dir: &Path,
    event: Option<EventPayload>,
    inputs: BaseInputs,
    depth: u32,
) -> (Plan, Detected) {
    let plan = plan(event.as_ref(), &inputs).unwrap();
    let git = Git::new(dir);
    let detected = detect_changes(&plan, &git, None, depth)
        .unwrap_or_else(|e| panic!("{plan:?}\nfailed: {e}"));
    (plan, detected)
}

/// Changes as sorted `status path` lines (`renamed old -> new`).
fn lines(changes: &[Change]) -> Vec<String> {
    let mut lines: Vec<String> = changes
        .iter()
        .map(|c| match &c.previous_path {
            Some(p) => format!("{} {p} -> {}", c.status, c.path),
            None => format!("{} {}", c.status, c.path),
        })
        .collect();
    lines.sort();
    lines
}

fn push_payload(git_ref: &str, before: &str, after: &str) -> Value {
    json!({
        "ref": git_ref,
        "before": before,
        "after": after,
        "created": before == ZERO,
        "deleted": after == ZERO,
        "forced": false,
        "repository": {"full_name": "acme/shop", "default_branch": "main"},
    })
}

/// A history in which `commits` commits each change one file under `dir`.
fn commits(repo: &GitRepo, dir: &str, n: usize) -> String {
    let mut last = String::new();
    for i in 0..n {
        let content = format!("{dir} number {i}\n");
        last = repo.commit_files(
            &[(&format!("{dir}/{i}.txt"), &content)],
            &format!("{dir} {i}"),
        );
    }
    last
}

// ---- push ---------------------------------------------------------------------------------

#[test]
fn push_to_the_default_branch_compares_with_before_in_a_depth_1_clone() {
    let (repo, bare) = upstream();
    repo.commit_files(
        &[("svc/api/main.rs", "1"), ("svc/web/index.html", "1")],
        "one",
    );
    let before = repo.head();
    repo.commit_files(&[("svc/api/main.rs", "2")], "two");
    repo.commit_files(&[("svc/db/schema.sql", "1")], "three");
    push(&repo, &["main"]);
    let clone = clone(&bare, &["--depth=1"]);

    let (plan, detected) = run(
        clone.path(),
        Some(event(
            "push",
            push_payload("refs/heads/main", &before, &repo.head()),
        )),
        no_inputs(),
        10,
    );
    assert!(
        matches!(plan.source, ChangeSource::GitRange { .. }),
        "{plan:?}"
    );
    assert_eq!(
        lines(&detected.changes),
        ["added svc/db/schema.sql", "modified svc/api/main.rs"]
    );
    assert!(detected.warnings.is_empty(), "{:?}", detected.warnings);
    assert!(
        detected.compared.starts_with("git diff "),
        "{}",
        detected.compared
    );
}

#[test]
fn first_push_of_a_branch_in_a_shallow_single_branch_clone_finds_the_merge_base() {
    let (repo, bare) = upstream();
    commits(&repo, "base", 5);
    repo.switch_new("feature");
    commits(&repo, "svc/api", 15);
    repo.checkout("main");
    commits(&repo, "svc/web", 12);
    push(&repo, &["main", "feature"]);
    let clone = clone(
        &bare,
        &["--depth=1", "--single-branch", "--branch", "feature"],
    );
    let refs = git_at(clone.path(), &["for-each-ref", "--format=%(refname)"]);
    assert!(!refs.contains("refs/remotes/origin/main"), "{refs}");

    let head = git_at(clone.path(), &["rev-parse", "HEAD"]);
    let (plan, detected) = run(
        clone.path(),
        Some(event(
            "push",
            push_payload("refs/heads/feature", ZERO, &head),
        )),
        no_inputs(),
        2,
    );
    assert_eq!(
        plan.source,
        ChangeSource::GitMergeBase {
            base: "main".to_owned(),
            head: "HEAD".to_owned()
        }
    );
    let want: Vec<String> = (0..15).map(|i| format!("added svc/api/{i}.txt")).collect();
    let mut want = want;
    want.sort();
    assert_eq!(lines(&detected.changes), want);
    assert!(
        detected
            .notes
            .iter()
            .any(|n| n.starts_with("fetched base main")),
        "{:?}",
        detected.notes
    );
    assert!(
        detected.notes.iter().any(|n| n.starts_with("deepening")),
        "{:?}",
        detected.notes
    );
    // The base branch landed where later steps can use it, even in a single-branch clone.
    git_at(
        clone.path(),
        &["rev-parse", "--verify", "refs/remotes/origin/main"],
    );
}

#[test]
fn first_push_of_the_default_branch_lists_every_file() {
    let (repo, bare) = upstream();
    repo.commit_files(&[("a.txt", "1"), ("svc/api/x.rs", "1")], "one");
    repo.commit_files(&[("svc/web/y.ts", "1")], "two");
    push(&repo, &["main"]);
    let clone = clone(&bare, &["--depth=1"]);
    let (plan, detected) = run(
        clone.path(),
        Some(event(
            "push",
            push_payload("refs/heads/main", ZERO, &repo.head()),
        )),
        no_inputs(),
        10,
    );
    assert!(
        matches!(plan.source, ChangeSource::AllFiles { .. }),
        "{plan:?}"
    );
    assert_eq!(
        lines(&detected.changes),
        ["added a.txt", "added svc/api/x.rs", "added svc/web/y.ts"]
    );
}

/// Rewrite `branch` to one new commit on `onto`, force-push it, and make the remote forget
/// the old commits.
fn force_push(repo: &GitRepo, bare: &GitRepo, branch: &str, onto: &str, file: &str) -> String {
    repo.checkout(branch);
    repo.git(["reset", "-q", "--hard", onto]);
    let after = repo.commit_files(&[(file, "rewritten")], "rewritten");
    push(repo, &[branch]);
    bare.git(["reflog", "expire", "--expire=now", "--all"]);
    bare.git(["gc", "-q", "--prune=now"]);
    after
}

#[test]
fn force_push_whose_before_is_gone_falls_back_to_the_merge_base_with_a_warning() {
    let (repo, bare) = upstream();
    repo.commit_files(&[("a.txt", "1")], "one");
    let fork_point = repo.head();
    repo.commit_files(&[("main.txt", "1")], "main two");
    repo.checkout(&fork_point).switch_new("feature");
    repo.commit_files(&[("svc/old/x.txt", "1")], "old work");
    let before = repo.commit_files(&[("svc/old/y.txt", "1")], "more old work");
    push(&repo, &["main", "feature"]);
    // The local repository still has `before`: forget it there too after the rewrite.
    let after = force_push(&repo, &bare, "feature", &fork_point, "svc/new/z.txt");
    let clone = clone(
        &bare,
        &["--depth=1", "--single-branch", "--branch", "feature"],
    );
    let mut payload = push_payload("refs/heads/feature", &before, &after);
    payload["forced"] = json!(true);

    let (plan, detected) = run(
        clone.path(),
        Some(event("push", payload)),
        base("feature"),
        5,
    );
    assert!(
        matches!(&plan.source, ChangeSource::GitRange { if_before_missing: Some(f), .. }
            if matches!(**f, ChangeSource::GitMergeBase { .. })),
        "{plan:?}"
    );
    assert_eq!(lines(&detected.changes), ["added svc/new/z.txt"]);
    assert!(
        detected
            .warnings
            .iter()
            .any(|w| w.contains("no longer in the history") && w.contains(&before[..7])),
        "{:?}",
        detected.warnings
    );
}

#[test]
fn force_push_to_the_default_branch_whose_before_is_gone_compares_the_last_commit() {
    let (repo, bare) = upstream();
    repo.commit_files(&[("a.txt", "1")], "one");
    let one = repo.head();
    repo.commit_files(&[("b.txt", "1")], "two");
    let before = repo.commit_files(&[("c.txt", "1")], "three");
    push(&repo, &["main"]);
    repo.git(["checkout", "-q", "-b", "tmp"]);
    let after = force_push(&repo, &bare, "main", &one, "svc/rewritten.txt");
    let clone = clone(&bare, &["--depth=1"]);
    let (_, detected) = run(
        clone.path(),
        Some(event(
            "push",
            push_payload("refs/heads/main", &before, &after),
        )),
        no_inputs(),
        5,
    );
    assert_eq!(lines(&detected.changes), ["added svc/rewritten.txt"]);
    assert_eq!(detected.warnings.len(), 1, "{:?}", detected.warnings);
    assert!(
        detected.notes.iter().any(|n| n.contains("by 1 commit")),
        "the parent of a depth-1 HEAD is fetched: {:?}",
        detected.notes
    );
}

#[test]
fn a_deleted_branch_has_no_changes() {
    let (repo, _bare) = upstream();
    repo.commit_files(&[("a.txt", "1")], "one");
    let (plan, detected) = run(
        repo.path(),
        Some(event(
            "push",
            push_payload("refs/heads/gone", &repo.head(), ZERO),
        )),
        no_inputs(),
        10,
    );
    assert_eq!(plan.source, ChangeSource::NoChanges);
    assert!(detected.changes.is_empty());
}

// ---- tags --------------------------------------------------------------------------------

#[test]
fn a_tag_push_compares_with_the_previous_tag_in_a_shallow_tag_clone() {
    let (repo, bare) = upstream();
    repo.commit_files(&[("svc/api/a.rs", "1"), ("svc/web/b.ts", "1")], "one");
    repo.tag_annotated("v1.0.0", "first release");
    repo.commit_files(&[("svc/api/a.rs", "2")], "two");
    commits(&repo, "docs", 8);
    repo.commit_files(&[("svc/db/c.sql", "1")], "three");
    let tagged = repo.tag("v1.1.0");
    push(&repo, &["main", "--tags"]);
    let clone = clone(&bare, &["--depth=1", "--branch", "v1.1.0"]);
    assert_eq!(git_at(clone.path(), &["tag", "-l"]), "v1.1.0");

    let (plan, detected) = run(
        clone.path(),
        Some(event(
            "push",
            push_payload("refs/tags/v1.1.0", ZERO, &tagged),
        )),
        no_inputs(),
        2,
    );
    assert_eq!(
        plan.source,
        ChangeSource::PreviousTag {
            head: "HEAD".to_owned()
        }
    );
    let mut want = vec![
        "added svc/db/c.sql".to_owned(),
        "modified svc/api/a.rs".to_owned(),
    ];
    want.extend((0..8).map(|i| format!("added docs/{i}.txt")));
    want.sort();
    assert_eq!(lines(&detected.changes), want);
    assert!(
        detected.compared.contains("v1.0.0"),
        "{}",
        detected.compared
    );
}

#[test]
fn the_first_tag_lists_every_file_and_a_moved_tag_compares_with_its_old_commit() {
    let (repo, bare) = upstream();
    repo.commit_files(&[("a.txt", "1")], "one");
    repo.commit_files(&[("b.txt", "1")], "two");
    let first = repo.tag("v0.1.0");
    push(&repo, &["main", "--tags"]);
    let clone1 = clone(&bare, &["--depth=1", "--branch", "v0.1.0"]);
    let (_, detected) = run(
        clone1.path(),
        Some(event(
            "push",
            push_payload("refs/tags/v0.1.0", ZERO, &first),
        )),
        no_inputs(),
        2,
    );
    assert_eq!(lines(&detected.changes), ["added a.txt", "added b.txt"]);

    // Move the tag one commit on.
    repo.commit_files(&[("c.txt", "1")], "three");
    repo.git(["tag", "-f", "v0.1.0"]);
    push(&repo, &["main", "--tags"]);
    let clone2 = clone(&bare, &["--depth=1", "--branch", "v0.1.0"]);
    let (plan, detected) = run(
        clone2.path(),
        Some(event(
            "push",
            push_payload("refs/tags/v0.1.0", &first, &repo.head()),
        )),
        no_inputs(),
        2,
    );
    assert!(
        matches!(plan.source, ChangeSource::GitRange { .. }),
        "{plan:?}"
    );
    assert_eq!(lines(&detected.changes), ["added c.txt"]);
}

// ---- pull requests -----------------------------------------------------------------------

struct PullRequest {
    bare: GitRepo,
    _repo: GitRepo,
    base_sha: String,
    head_sha: String,
    merge_sha: String,
}

/// main: one → two; feature from one: adds svc/api/new.rs, renames svc/web/a.ts; main then
/// changes other.txt (not part of the PR); refs/pull/1/merge is the test merge commit.
fn pull_request_repo() -> PullRequest {
    let (repo, bare) = upstream();
    repo.commit_files(
        &[
            ("svc/web/a.ts", "export const a = 1;\n"),
            ("other.txt", "1"),
        ],
        "one",
    );
    let one = repo.head();
    repo.switch_new("feature");
    repo.commit_files(&[("svc/api/new.rs", "fn main() {}\n")], "api");
    repo.git(["mv", "svc/web/a.ts", "svc/web/b.ts"]);
    let head_sha = repo.commit("rename");
    repo.checkout("main");
    repo.commit_files(&[("other.txt", "2")], "main moves on");
    let base_sha = repo.head();
    repo.switch_new("merge");
    let merge_sha = repo.merge("feature", "Merge feature into main");
    push(&repo, &["main", "feature", "merge:refs/pull/1/merge"]);
    let _ = one;
    PullRequest {
        bare,
        _repo: repo,
        base_sha,
        head_sha,
        merge_sha,
    }
}

fn pr_payload(pr: &PullRequest) -> Value {
    json!({
        "action": "synchronize",
        "number": 1,
        "pull_request": {
            "number": 1,
            "changed_files": 2,
            "base": {"ref": "main", "sha": pr.base_sha},
            "head": {"ref": "feature", "sha": pr.head_sha},
        },
        "repository": {"full_name": "acme/shop", "default_branch": "main"},
    })
}

const PR_FILES: [&str; 2] = [
    "added svc/api/new.rs",
    "renamed svc/web/a.ts -> svc/web/b.ts",
];

#[test]
fn pull_request_without_a_token_on_the_depth_1_merge_commit() {
    let pr = pull_request_repo();
    let checkout = checkout_commit(&pr.bare, &pr.merge_sha);
    for name in [
        "pull_request",
        "pull_request_review",
        "pull_request_review_comment",
    ] {
        let (plan, detected) = run(
            checkout.path(),
            Some(event(name, pr_payload(&pr))),
            no_inputs(),
            1,
        );
        assert_eq!(
            plan.source,
            ChangeSource::GitMergeBase {
                base: pr.base_sha.clone(),
                head: "HEAD".to_owned()
            },
            "{name}"
        );
        assert_eq!(lines(&detected.changes), PR_FILES, "{name}");
    }
}

#[test]
fn pull_request_checked_out_at_its_head_compares_with_the_merge_base() {
    let pr = pull_request_repo();
    // A workflow that checks out the PR head instead of the merge commit: a two-dot diff
    // against base.sha would also show main's change to other.txt, reversed.
    let checkout = checkout_commit(&pr.bare, &pr.head_sha);
    let (_, detected) = run(
        checkout.path(),
        Some(event("pull_request", pr_payload(&pr))),
        no_inputs(),
        1,
    );
    assert_eq!(lines(&detected.changes), PR_FILES);
}

#[test]
fn pull_request_target_without_a_token_fetches_the_head_commit() {
    let pr = pull_request_repo();
    // pull_request_target runs on the base branch.
    let checkout = clone(&pr.bare, &["--depth=1", "--branch", "main"]);
    let (plan, detected) = run(
        checkout.path(),
        Some(event("pull_request_target", pr_payload(&pr))),
        no_inputs(),
        1,
    );
    assert_eq!(
        plan.source,
        ChangeSource::GitMergeBase {
            base: pr.base_sha.clone(),
            head: pr.head_sha.clone()
        }
    );
    assert_eq!(lines(&detected.changes), PR_FILES);
    assert!(
        detected
            .notes
            .iter()
            .any(|n| n.contains(&format!("fetched head {}", &pr.head_sha[..7]))),
        "{:?}",
        detected.notes
    );
}

/// A fake API that is never complete: the plan's git fallback must take over.
struct CappedApi;

impl paths_filter::github::PullRequestFiles for CappedApi {
    fn pull_request_files(
        &self,
        _number: u64,
        expected: Option<u64>,
    ) -> Result<paths_filter::github::PrFiles, paths_filter::github::GitHubError> {
        Ok(paths_filter::github::PrFiles::Truncated {
            received: 1,
            expected,
            reason: "it listed 1 of 2 files".to_owned(),
        })
    }
}

#[test]
fn pull_request_with_a_token_falls_back_to_git_when_the_api_is_short() {
    let pr = pull_request_repo();
    let checkout = checkout_commit(&pr.bare, &pr.merge_sha);
    let inputs = BaseInputs {
        token_present: true,
        ..BaseInputs::default()
    };
    let plan = plan(Some(&event("pull_request", pr_payload(&pr))), &inputs).unwrap();
    assert!(matches!(
        plan.source,
        ChangeSource::PullRequestApi { number: 1, .. }
    ));
    let detected = detect_changes(&plan, &Git::new(checkout.path()), Some(&CappedApi), 1).unwrap();
    assert_eq!(lines(&detected.changes), PR_FILES);
    assert!(
        detected.warnings[0].contains("cannot list all files of pull request #1"),
        "{:?}",
        detected.warnings
    );
    // And without any client, git is used too.
    let detected = detect_changes(&plan, &Git::new(checkout.path()), None, 1).unwrap();
    assert_eq!(lines(&detected.changes), PR_FILES);
}

// ---- merge queue, runs, dispatches, schedules ---------------------------------------------

#[test]
fn merge_group_compares_the_queue_commit_with_base_sha() {
    let (repo, bare) = upstream();
    repo.commit_files(&[("a.txt", "1")], "one");
    let base_sha = repo.head();
    repo.switch_new("gh-readonly-queue/main/pr-2-abc");
    repo.commit_files(&[("svc/api/pr1.rs", "1")], "PR 1 (ahead in the queue)");
    let head_sha = repo.commit_files(&[("svc/web/pr2.ts", "1")], "PR 2");
    push(&repo, &["main", "gh-readonly-queue/main/pr-2-abc"]);
    let checkout = checkout_commit(&bare, &head_sha);
    let payload = json!({
        "action": "checks_requested",
        "merge_group": {
            "head_sha": head_sha,
            "head_ref": "refs/heads/gh-readonly-queue/main/pr-2-abc",
            "base_sha": base_sha,
            "base_ref": "refs/heads/main",
        },
        "repository": {"default_branch": "main"},
    });
    let (_, detected) = run(
        checkout.path(),
        Some(event("merge_group", payload)),
        no_inputs(),
        1,
    );
    assert_eq!(
        lines(&detected.changes),
        ["added svc/api/pr1.rs", "added svc/web/pr2.ts"]
    );
}

#[test]
fn dispatch_and_schedule_on_the_default_branch_compare_the_last_commit_first_parent() {
    let (repo, bare) = upstream();
    repo.commit_files(&[("a.txt", "1")], "one");
    repo.switch_new("topic");
    repo.commit_files(&[("svc/api/x.rs", "1")], "topic 1");
    repo.commit_files(&[("svc/api/y.rs", "1")], "topic 2");
    repo.checkout("main");
    repo.commit_files(&[("main.txt", "1")], "main two");
    repo.merge("topic", "Merge topic");
    push(&repo, &["main", "topic"]);
    let clone = clone(&bare, &["--depth=1"]);
    let repository = json!({"default_branch": "main"});
    let on_main = BaseInputs {
        current_ref: Some("refs/heads/main".to_owned()),
        ..BaseInputs::default()
    };
    for (name, payload) in [
        (
            "workflow_dispatch",
            json!({"ref": "refs/heads/main", "repository": repository}),
        ),
        (
            "schedule",
            json!({"schedule": "0 3 * * *", "repository": repository}),
        ),
        (
            "repository_dispatch",
            json!({"branch": "main", "repository": repository}),
        ),
    ] {
        let (plan, detected) = run(clone.path(), Some(event(name, payload)), on_main.clone(), 1);
        assert!(
            matches!(plan.source, ChangeSource::LastCommit { .. }),
            "{name}: {plan:?}"
        );
        // The merge commit against its first parent: what the merge brought in.
        assert_eq!(
            lines(&detected.changes),
            ["added svc/api/x.rs", "added svc/api/y.rs"],
            "{name}"
        );
    }
}

#[test]
fn workflow_dispatch_on_another_branch_compares_with_the_default_branch() {
    let (repo, bare) = upstream();
    repo.commit_files(&[("a.txt", "1")], "one");
    repo.switch_new("topic");
    repo.commit_files(&[("svc/api/x.rs", "1")], "topic");
    repo.checkout("main");
    repo.commit_files(&[("main.txt", "1")], "main two");
    push(&repo, &["main", "topic"]);
    let clone = clone(
        &bare,
        &["--depth=1", "--single-branch", "--branch", "topic"],
    );
    let payload =
        json!({"ref": "refs/heads/topic", "inputs": {}, "repository": {"default_branch": "main"}});
    let (_, detected) = run(
        clone.path(),
        Some(event("workflow_dispatch", payload)),
        no_inputs(),
        1,
    );
    assert_eq!(lines(&detected.changes), ["added svc/api/x.rs"]);
}

#[test]
fn workflow_run_compares_the_triggering_runs_commit() {
    let pr = pull_request_repo();
    // workflow_run jobs run on the default branch.
    let checkout = clone(&pr.bare, &["--depth=1", "--branch", "main"]);
    let payload = json!({
        "action": "completed",
        "workflow_run": {
            "event": "pull_request",
            "head_sha": pr.head_sha,
            "head_branch": "feature",
            "pull_requests": [{"number": 1, "base": {"ref": "main", "sha": pr.base_sha},
                               "head": {"ref": "feature", "sha": pr.head_sha}}],
            "head_repository": {"full_name": "acme/shop"},
        },
        "repository": {"full_name": "acme/shop", "default_branch": "main"},
    });
    let (_, detected) = run(
        checkout.path(),
        Some(event("workflow_run", payload)),
        no_inputs(),
        1,
    );
    assert_eq!(lines(&detected.changes), PR_FILES);
}

// ---- base: HEAD ---------------------------------------------------------------------------

#[test]
fn base_head_lists_uncommitted_changes_including_untracked_files() {
    let repo = GitRepo::new();
    repo.commit_files(
        &[
            ("keep.txt", "k"),
            ("mod.txt", "m"),
            ("gone.txt", "g"),
            ("old.txt", "same content for the rename\n"),
            (".gitignore", "*.log\n"),
        ],
        "one",
    );
    repo.write("mod.txt", "changed, not staged");
    repo.remove("gone.txt");
    repo.git(["mv", "old.txt", "new.txt"]);
    repo.write("staged.txt", "s");
    repo.git(["add", "staged.txt"]);
    repo.write("untracked one.txt", "u");
    repo.write("sub/deep/u.txt", "u");
    repo.write("build.log", "ignored");
    // From a subdirectory: paths are still relative to the top of the work tree.
    let (plan, detected) = run(
        &repo.path().join("sub"),
        Some(event("push", push_payload("refs/heads/main", ZERO, ZERO))),
        base("HEAD"),
        1,
    );
    assert_eq!(plan.source, ChangeSource::WorkingTree { untracked: true });
    assert_eq!(
        lines(&detected.changes),
        [
            "added staged.txt",
            "added sub/deep/u.txt",
            "added untracked one.txt",
            "deleted gone.txt",
            "modified mod.txt",
            "renamed old.txt -> new.txt",
        ]
    );
}

/// Every path of the changes (the old path of a rename too) in the order they are listed.
fn listed(detected: &Detected) -> Vec<&str> {
    let mut entries = Vec::new();
    for (i, c) in detected.changes.iter().enumerate() {
        entries.push((detected.listing.rank(i, Side::New), c.path.as_str()));
        if let (ChangeStatus::Renamed, Some(old)) = (c.status, &c.previous_path) {
            entries.push((detected.listing.rank(i, Side::Old), old.as_str()));
        }
    }
    entries.sort_unstable();
    entries.into_iter().map(|(_, path)| path).collect()
}

#[test]
fn base_head_lists_files_as_git_diff_no_renames_head_then_the_untracked_ones() {
    let repo = GitRepo::new();
    repo.commit_files(
        &[
            ("b.txt", "b\n"),
            ("z-old.txt", "a file long enough for git to follow it\n"),
        ],
        "one",
    );
    repo.git(["mv", "z-old.txt", "a-new.txt"]);
    repo.write("b.txt", "changed\n");
    repo.write("0-untracked.txt", "u\n");
    let (_, detected) = run(repo.path(), None, base("HEAD"), 1);
    assert_eq!(
        lines(&detected.changes),
        [
            "added 0-untracked.txt",
            "modified b.txt",
            "renamed z-old.txt -> a-new.txt"
        ]
    );
    let git = repo.git(["diff", "--no-renames", "--name-only", "HEAD"]);
    let mut want: Vec<&str> = git.lines().collect();
    assert_eq!(want, ["a-new.txt", "b.txt", "z-old.txt"]);
    want.push("0-untracked.txt");
    assert_eq!(listed(&detected), want);
}

#[test]
fn working_tree_marks_conflicts_as_unmerged() {
    let repo = GitRepo::new();
    repo.commit_files(&[("f.txt", "base\n")], "one");
    repo.switch_new("other");
    repo.commit_files(&[("f.txt", "theirs\n")], "theirs");
    repo.checkout("main");
    repo.commit_files(&[("f.txt", "ours\n")], "ours");
    let out = repo.git_output(["merge", "-q", "other"]);
    assert!(!out.status.success(), "the merge must conflict");
    let changes = Git::new(repo.path()).working_tree_changes(false).unwrap();
    assert_eq!(lines(&changes), ["unmerged f.txt"]);
}

#[test]
fn working_tree_of_a_repository_without_commits() {
    let repo = GitRepo::new();
    repo.write("a.txt", "a").write("b.txt", "b");
    repo.git(["add", "a.txt"]);
    let changes = Git::new(repo.path()).working_tree_changes(true).unwrap();
    assert_eq!(lines(&changes), ["added a.txt", "added b.txt"]);
}

// ---- file names, renames, type changes ----------------------------------------------------

// Names Windows cannot hold (quotes, newlines, tabs, backslashes) and a symbolic link: Unix only.
#[cfg(unix)]
mod odd_names {
    use super::*;
    use paths_filter::change::ChangeStatus;
    use paths_filter::git::parse_name_status;

    const ODD_NAMES: [&str; 9] = [
        "with space.txt",
        "quote\"d.txt",
        "it's.txt",
        "café/ü.txt",
        "new\nline.txt",
        "tab\there.txt",
        "-dash.txt",
        "back\\slash.txt",
        "日本語/ファイル.md",
    ];

    #[test]
    fn renames_type_changes_and_odd_file_names_come_through_exactly() {
        let (repo, bare) = upstream();
        repo.commit_files(
            &[
                ("old dir/moved.txt", "content that is renamed unchanged\n"),
                ("svc/link-me.txt", "a regular file first\n"),
                ("svc/delete-me.txt", "x\n"),
            ],
            "one",
        );
        let before = repo.head();
        for name in ODD_NAMES {
            repo.write(name, "odd\n");
        }
        repo.git(["mv", "old dir", "new dir"]);
        repo.remove("svc/link-me.txt");
        std::os::unix::fs::symlink("../old-target", repo.path().join("svc/link-me.txt")).unwrap();
        repo.remove("svc/delete-me.txt");
        let after = repo.commit("odd");
        push(&repo, &["main"]);
        let clone = clone(&bare, &["--depth=1"]);

        let (_, detected) = run(
            clone.path(),
            Some(event(
                "push",
                push_payload("refs/heads/main", &before, &after),
            )),
            no_inputs(),
            1,
        );
        let mut want: Vec<String> = ODD_NAMES.iter().map(|n| format!("added {n}")).collect();
        want.push("deleted svc/delete-me.txt".to_owned());
        want.push("renamed old dir/moved.txt -> new dir/moved.txt".to_owned());
        want.push("typechange svc/link-me.txt".to_owned());
        want.sort();
        assert_eq!(lines(&detected.changes), want);
        // A newline in a name is one change, never two.
        assert_eq!(detected.changes.len(), ODD_NAMES.len() + 3);
        let renamed = detected
            .changes
            .iter()
            .find(|c| c.status == ChangeStatus::Renamed)
            .unwrap();
        assert_eq!(renamed.previous_path.as_deref(), Some("old dir/moved.txt"));
    }

    #[test]
    fn parse_matches_real_git_output_byte_for_byte() {
        let repo = GitRepo::new();
        repo.commit_files(&[("a", "1")], "one");
        for name in ODD_NAMES {
            repo.write(name, "x");
        }
        repo.commit("two");
        let out = repo
            .git_output(["diff", "--name-status", "-z", "-M", "HEAD~1", "HEAD"])
            .stdout;
        let parsed = parse_name_status(&out).unwrap();
        assert_eq!(parsed.len(), ODD_NAMES.len());
        for name in ODD_NAMES {
            assert!(
                parsed.contains(&Change::new(name, ChangeStatus::Added)),
                "{name:?}"
            );
        }
    }
}

// ---- shallow clones: deepening, bounded ---------------------------------------------------

#[test]
fn deepening_doubles_until_a_distant_merge_base_is_found() {
    let (repo, bare) = upstream();
    commits(&repo, "root", 2);
    repo.switch_new("topic");
    commits(&repo, "svc/api", 3);
    repo.checkout("main");
    commits(&repo, "main", 60);
    push(&repo, &["main", "topic"]);
    let clone = clone(
        &bare,
        &["--depth=1", "--single-branch", "--branch", "topic"],
    );
    let (_, detected) = run(clone.path(), None, base("main"), 4);
    assert_eq!(
        lines(&detected.changes),
        [
            "added svc/api/0.txt",
            "added svc/api/1.txt",
            "added svc/api/2.txt"
        ]
    );
    let deepened: Vec<_> = detected
        .notes
        .iter()
        .filter(|n| n.starts_with("deepening"))
        .collect();
    // 4 (main's fetch) + 4 + 8 + 16 + 32 reaches 60 commits back.
    assert!(
        (2..=MAX_DEEPEN_ROUNDS as usize).contains(&deepened.len()),
        "{:?}",
        detected.notes
    );
    assert!(deepened[0].contains("by 4 commits") && deepened[1].contains("by 8 commits"));
    assert!(!detected.notes.iter().any(|n| n.contains("--unshallow")));
}

#[test]
fn deepening_is_bounded_when_the_histories_are_unrelated() {
    let (repo, bare) = upstream();
    commits(&repo, "main", 70);
    repo.git(["checkout", "-q", "--orphan", "island"]);
    repo.git(["rm", "-q", "-r", "--cached", "."]);
    for i in 0..70 {
        repo.remove(format!("main/{i}.txt"));
    }
    commits(&repo, "island", 3);
    push(&repo, &["main", "island"]);
    let clone = clone(
        &bare,
        &["--depth=1", "--single-branch", "--branch", "island"],
    );

    let (_, detected) = run(clone.path(), None, base("main"), 1);
    assert!(
        detected.notes.len() <= MAX_DEEPEN_ROUNDS as usize + 2,
        "bounded: {:?}",
        detected.notes
    );
    assert!(
        detected.notes.last().unwrap().contains("--unshallow"),
        "the last resort is the whole history: {:?}",
        detected.notes
    );
    assert!(
        detected
            .warnings
            .iter()
            .any(|w| w.contains("no common history")),
        "{:?}",
        detected.warnings
    );
    // Compared tree to tree: main's files are gone, the island's added.
    assert_eq!(detected.changes.len(), 73, "{:?}", lines(&detected.changes));
    assert_eq!(
        git_at(clone.path(), &["rev-parse", "--is-shallow-repository"]),
        "false"
    );
}

#[test]
fn a_full_clone_never_fetches() {
    let (repo, _bare) = upstream();
    commits(&repo, "a", 3);
    repo.switch_new("topic");
    commits(&repo, "b", 2);
    // The upstream repository itself: complete, and its remote is never contacted.
    let (_, detected) = run(repo.path(), None, base("main"), 1);
    assert_eq!(lines(&detected.changes), ["added b/0.txt", "added b/1.txt"]);
    assert!(detected.notes.is_empty(), "{:?}", detected.notes);
}

#[test]
fn head_is_the_checked_out_commit_not_the_remotes_head() {
    let (repo, bare) = upstream();
    commits(&repo, "a", 2);
    repo.switch_new("topic");
    commits(&repo, "b", 2);
    push(&repo, &["main", "topic"]);
    // A full `git clone` has refs/remotes/origin/HEAD -> origin/main.
    let clone = clone(&bare, &[]);
    git_at(clone.path(), &["checkout", "-q", "topic"]);
    git_at(
        clone.path(),
        &["rev-parse", "--verify", "refs/remotes/origin/HEAD"],
    );
    let payload = json!({"ref": "refs/heads/topic", "repository": {"default_branch": "main"}});
    let (_, detected) = run(
        clone.path(),
        Some(event("workflow_dispatch", payload)),
        no_inputs(),
        1,
    );
    assert_eq!(lines(&detected.changes), ["added b/0.txt", "added b/1.txt"]);
    assert!(detected.notes.is_empty(), "{:?}", detected.notes);
}

// ---- errors ------------------------------------------------------------------------------

#[test]
fn a_base_that_exists_nowhere_is_an_error_naming_it() {
    let (repo, _bare) = upstream();
    repo.commit_files(&[("a.txt", "1")], "one");
    push(&repo, &["main"]);
    let missing = "1234567890123456789012345678901234567890";
    let plan = plan(None, &base(missing)).unwrap();
    let error = detect_changes(&plan, &Git::new(repo.path()), None, 1).unwrap_err();
    assert!(
        matches!(
            &error,
            DetectError::Git(GitError::RevisionNotFound { what: "base", .. })
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains(missing), "{error}");

    let plan = paths_filter::base::plan(None, &base("no-such-branch")).unwrap();
    let error = detect_changes(&plan, &Git::new(repo.path()), None, 1).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("base 'no-such-branch' is not in the repository"),
        "{error}"
    );
}

#[test]
fn a_base_that_looks_like_an_option_is_refused() {
    let repo = GitRepo::new();
    repo.commit_files(&[("a.txt", "1")], "one");
    let plan = plan(None, &base("--upload-pack=touch pwned")).unwrap();
    let error = detect_changes(&plan, &Git::new(repo.path()), None, 1).unwrap_err();
    assert!(
        matches!(
            error,
            DetectError::Git(GitError::Repo(RepoError::InvalidRevision { .. }))
        ),
        "{error:?}"
    );
    assert!(!repo.path().join("pwned").exists());
}

#[test]
fn a_shallow_clone_whose_remote_is_gone_says_how_to_get_the_history() {
    let (repo, bare) = upstream();
    commits(&repo, "a", 3);
    repo.switch_new("topic");
    commits(&repo, "b", 3);
    push(&repo, &["main", "topic"]);
    let clone = clone(
        &bare,
        &["--depth=1", "--no-single-branch", "--branch", "topic"],
    );
    git_at(
        clone.path(),
        &[
            "remote",
            "set-url",
            "origin",
            "file:///nonexistent/gantry.git",
        ],
    );
    let plan = plan(None, &base("main")).unwrap();
    let error = detect_changes(&plan, &Git::new(clone.path()), None, 1).unwrap_err();
    assert!(
        matches!(
            &error,
            DetectError::Git(GitError::Repo(RepoError::FetchFailed { .. }))
        ),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.starts_with(
            "could not fetch from 'origin' while deepening the shallow clone by 1 commit"
        ) && message.contains("fetch-depth: 0"),
        "{message}"
    );
}

#[test]
fn not_a_repository_says_what_to_check() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan(None, &base("main")).unwrap();
    let error = detect_changes(&plan, &Git::new(dir.path()), None, 1).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("is not a git repository: check the `working-directory` input"),
        "{error}"
    );
}

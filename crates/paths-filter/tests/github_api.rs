//! The pull request files API against testkit's HTTP server on loopback: pagination, the 3,000-file cap (detected, never silent), renames, retries and
//! errors, and the fall back to git on a real repository when the API stops short.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use gantry_github::ClientOptions;
use gantry_testkit::GitRepo;
use gantry_testkit::http::{FakeHttp, Request, Response, closed_port};
use gantry_toolkit::EventPayload;
use paths_filter::base::{BaseInputs, ChangeSource, plan};
use paths_filter::change::{Change, ChangeStatus};
use paths_filter::git::{Git, detect_changes};
use paths_filter::github::{
    API_FILE_CAP, GitHubClient, GitHubError, MAX_PAGES, PER_PAGE, PrFiles, PullRequestFiles,
    RetryPolicy, USER_AGENT,
};
use serde_json::{Value, json};

const TOKEN: &str = "s3cret-token";

// ---- the server ----------------------------------------------------------------------------

/// A whole-number query parameter of a request.
fn number(request: &Request, name: &str) -> Option<usize> {
    request.query(name).and_then(|v| v.parse().ok())
}

/// testkit's loopback server, with a handler that also gets how many earlier requests asked
/// for the same path, and a client for it.
struct Server(FakeHttp);

impl Server {
    fn start(handler: impl Fn(&Request, usize) -> Response + Send + Sync + 'static) -> Server {
        Server(FakeHttp::start(move |request| {
            handler(request, request.seen)
        }))
    }

    fn url(&self) -> String {
        self.0.url()
    }

    fn requests(&self) -> Vec<Request> {
        self.0.requests()
    }

    fn client(&self) -> GitHubClient {
        let mut options = ClientOptions::new(self.url(), TOKEN, "acme/shop", USER_AGENT);
        options.retry = fast_retry(4);
        options.timeout = Duration::from_secs(10);
        GitHubClient::new(options).unwrap()
    }
}

fn fast_retry(attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts: attempts,
        base_delay: Duration::from_millis(5),
        rate_limit_wait: Duration::from_millis(5),
        max_wait: Duration::from_millis(50),
    }
}

// ---- a pull request's files ------------------------------------------------------------------

/// File `i` of a generated pull request, cycling through every status.
fn entry(i: usize) -> Value {
    let name = format!("svc/s{}/file {i}.txt", i % 7);
    match i % 6 {
        0 => json!({"filename": name, "status": "added", "additions": 1}),
        1 => json!({"filename": name, "status": "removed"}),
        2 => json!({"filename": name, "status": "modified", "patch": "@@ -1 +1 @@"}),
        3 => {
            json!({"filename": name, "status": "renamed", "previous_filename": format!("old/{i}.txt")})
        }
        4 => {
            json!({"filename": name, "status": "copied", "previous_filename": format!("src/{i}.txt")})
        }
        _ => json!({"filename": name, "status": "changed"}),
    }
}

fn expected(i: usize) -> Change {
    let e = entry(i);
    let path = e["filename"].as_str().unwrap().to_owned();
    let previous = e["previous_filename"].as_str().map(str::to_owned);
    let status = match i % 6 {
        0 => ChangeStatus::Added,
        1 => ChangeStatus::Deleted,
        3 => ChangeStatus::Renamed,
        4 => ChangeStatus::Copied,
        _ => ChangeStatus::Modified,
    };
    Change {
        path,
        status,
        previous_path: previous,
    }
}

/// GitHub's behavior for a pull request of `total` files: pages of `per_page`, at most 3,000
/// files in all, a `Link` header with `next` while there is more to list, and
/// `GET /pulls/{n}` with the true count.
fn github_like(
    total: usize,
    files: impl Fn(usize) -> Value + Send + Sync + 'static,
) -> impl Fn(&Request, usize) -> Response + Send + Sync + 'static {
    move |request, _| {
        if request.path == "/repos/acme/shop/pulls/7" {
            return Response::json(200, &json!({"number": 7, "changed_files": total}));
        }
        assert!(
            request.path.starts_with("/repos/acme/shop/pulls/7/files?"),
            "{}",
            request.path
        );
        let per_page = number(request, "per_page").unwrap_or(30);
        let page = number(request, "page").unwrap_or(1);
        let listed = total.min(API_FILE_CAP);
        let start = (page - 1) * per_page;
        let end = (start + per_page).min(listed);
        let body: Vec<Value> = (start..end.max(start)).map(&files).collect();
        let last_page = listed.div_ceil(per_page);
        let mut reply = Response::json(200, &Value::Array(body));
        let link = |p: usize, rel: &str| {
            format!(
                "<http://elsewhere.invalid/repos/acme/shop/pulls/7/files?per_page={per_page}&page={p}>; rel=\"{rel}\""
            )
        };
        let mut links = Vec::new();
        if page < last_page {
            links.push(link(page + 1, "next"));
            links.push(link(last_page, "last"));
        }
        if page > 1 {
            links.push(link(1, "first"));
            links.push(link(page - 1, "prev"));
        }
        if !links.is_empty() {
            reply = reply.header("Link", &links.join(", "));
        }
        reply
    }
}

#[test]
fn lists_every_page_with_renames_copies_and_the_right_headers() {
    let server = Server::start(github_like(250, entry));
    let files = server.client().pull_request_files(7, Some(250)).unwrap();
    let PrFiles::Complete { changes, warnings } = files else {
        panic!("{files:?}");
    };
    assert_eq!(changes, (0..250).map(expected).collect::<Vec<_>>());
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        changes[3],
        Change::renamed("old/3.txt", "svc/s3/file 3.txt")
    );

    let requests = server.requests();
    let paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/repos/acme/shop/pulls/7/files?per_page=100&page=1",
            "/repos/acme/shop/pulls/7/files?per_page=100&page=2",
            "/repos/acme/shop/pulls/7/files?per_page=100&page=3",
        ],
        "the next page comes from the API URL, never from the Link header's host"
    );
    let first = &requests[0];
    assert_eq!(
        first.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(first.header("accept"), Some("application/vnd.github+json"));
    assert_eq!(first.header("x-github-api-version"), Some("2022-11-28"));
    assert!(
        first
            .header("user-agent")
            .unwrap()
            .starts_with("gantry-paths-filter/"),
        "{first:?}"
    );
}

#[test]
fn a_pull_request_of_3500_files_capped_at_3000_is_reported_as_truncated() {
    let server = Server::start(github_like(3500, entry));
    let files = server.client().pull_request_files(7, Some(3500)).unwrap();
    assert_eq!(
        files,
        PrFiles::Truncated {
            received: 3000,
            expected: Some(3500),
            reason: "it listed 3000 of 3500 files; it stops at 3000".to_owned(),
        }
    );
    let requests = server.requests();
    assert_eq!(
        requests.len(),
        30 + 1,
        "30 pages, then the pull request itself"
    );
    assert_eq!(requests[30].path, "/repos/acme/shop/pulls/7");
}

#[test]
fn at_the_cap_without_a_count_the_pull_request_is_asked() {
    // 3,500 files, the payload has no changed_files: still detected.
    let server = Server::start(github_like(3500, entry));
    let files = server.client().pull_request_files(7, None).unwrap();
    assert!(
        matches!(
            files,
            PrFiles::Truncated {
                received: 3000,
                expected: Some(3500),
                ..
            }
        ),
        "{files:?}"
    );
    // Exactly 3,000 files is complete.
    let server = Server::start(github_like(3000, entry));
    let files = server.client().pull_request_files(7, None).unwrap();
    assert!(
        matches!(&files, PrFiles::Complete { changes, .. } if changes.len() == 3000),
        "{files:?}"
    );
}

#[test]
fn a_stale_payload_count_is_checked_against_the_pull_request() {
    // The payload said 120 files; a push since removed some: 90 listed, 90 now. Complete.
    let server = Server::start(github_like(90, entry));
    let files = server.client().pull_request_files(7, Some(120)).unwrap();
    assert!(
        matches!(&files, PrFiles::Complete { changes, .. } if changes.len() == 90),
        "{files:?}"
    );
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn a_full_last_page_without_a_next_link_ends_the_listing() {
    let server = Server::start(github_like(200, entry));
    let files = server.client().pull_request_files(7, Some(200)).unwrap();
    assert!(matches!(&files, PrFiles::Complete { changes, .. } if changes.len() == 200));
    assert_eq!(server.requests().len(), 2, "no request for an empty page 3");
}

#[test]
fn without_link_headers_a_short_page_ends_the_listing() {
    let server = Server::start(|request, _| {
        let page = number(request, "page").unwrap();
        let n = if page == 1 { PER_PAGE } else { 7 };
        let body: Vec<Value> = (0..n).map(|i| entry((page - 1) * PER_PAGE + i)).collect();
        Response::json(200, &Value::Array(body))
    });
    let files = server.client().pull_request_files(7, None).unwrap();
    assert!(matches!(&files, PrFiles::Complete { changes, .. } if changes.len() == 107));
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn a_server_that_never_stops_is_not_followed_forever() {
    let server = Server::start(|request, _| {
        let page = number(request, "page").unwrap();
        let body: Vec<Value> = (0..PER_PAGE).map(|i| entry(page * PER_PAGE + i)).collect();
        Response::json(200, &Value::Array(body))
            .header("Link", "<http://x/?page=999>; rel=\"next\"")
    });
    let files = server.client().pull_request_files(7, None).unwrap();
    assert!(
        matches!(&files, PrFiles::Truncated { received, .. } if *received == MAX_PAGES as usize * PER_PAGE),
        "{files:?}"
    );
    assert_eq!(server.requests().len(), MAX_PAGES as usize);
}

#[test]
fn a_500_then_200_is_retried() {
    let server = Server::start(|request, seen| {
        if number(request, "page") == Some(1) && seen == 0 {
            return Response::json(500, &json!({"message": "Server Error"}));
        }
        github_like(5, entry)(request, seen)
    });
    let files = server.client().pull_request_files(7, Some(5)).unwrap();
    assert!(matches!(&files, PrFiles::Complete { changes, .. } if changes.len() == 5));
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].path, requests[1].path);
}

#[test]
fn rate_limits_are_retried_after_the_time_asked() {
    let server = Server::start(|request, seen| match seen {
        0 => Response::json(429, &json!({"message": "slow down"})).header("Retry-After", "0"),
        1 => Response::json(403, &json!({"message": "API rate limit exceeded"}))
            .header("X-RateLimit-Remaining", "0")
            .header("Retry-After", "0"),
        _ => github_like(3, entry)(request, seen),
    });
    let files = server.client().pull_request_files(7, Some(3)).unwrap();
    assert!(matches!(&files, PrFiles::Complete { changes, .. } if changes.len() == 3));
    assert_eq!(server.requests().len(), 3);

    // A limit that resets later than the client waits fails at once, saying so.
    let server = Server::start(|_, _| {
        Response::json(429, &json!({"message": "slow down"})).header("Retry-After", "3600")
    });
    let error = server.client().pull_request_files(7, None).unwrap_err();
    assert!(
        matches!(
            error,
            GitHubError::RateLimited {
                wait_secs: 3600,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn persistent_server_errors_give_up_after_the_bounded_attempts() {
    let server = Server::start(|_, _| Response::json(502, &json!({"message": "Bad Gateway"})));
    let error = server.client().pull_request_files(7, None).unwrap_err();
    assert!(
        matches!(
            &error,
            GitHubError::Status {
                status: 502,
                attempts: 4,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(server.requests().len(), 4);
    assert!(error.to_string().contains("Bad Gateway"), "{error}");
}

#[test]
fn refusals_say_what_to_check_and_are_not_retried() {
    for (status, needle) in [
        (401, "check the `token` input"),
        (403, "`pull-requests: read`"),
        (404, "check GITHUB_REPOSITORY and the pull request number"),
    ] {
        let server = Server::start(move |_, _| {
            Response::json(
                status,
                &json!({"message": "no", "documentation_url": "https://docs"}),
            )
        });
        let error = server.client().pull_request_files(7, None).unwrap_err();
        let message = error.to_string();
        assert!(message.contains(needle), "{status}: {message}");
        assert!(
            !message.contains(TOKEN),
            "{status}: the token leaked: {message}"
        );
        assert_eq!(server.requests().len(), 1, "{status} is not retried");
    }
}

#[test]
fn a_diff_too_large_to_list_is_truncated_not_an_error() {
    let server = Server::start(|_, _| {
        Response::json(
            422,
            &json!({"message": "Sorry, the diff exceeded the maximum number of files"}),
        )
    });
    let files = server.client().pull_request_files(7, Some(9000)).unwrap();
    assert!(
        matches!(&files, PrFiles::Truncated { received: 0, expected: Some(9000), reason } if reason.contains("HTTP 422")),
        "{files:?}"
    );
}

#[test]
fn unexpected_bodies_and_unknown_statuses() {
    let server = Server::start(|_, _| Response::json(200, &json!({"message": "not a list"})));
    let error = server.client().pull_request_files(7, None).unwrap_err();
    assert!(
        matches!(error, GitHubError::InvalidResponse { .. }),
        "{error:?}"
    );

    let server = Server::start(|_, _| {
        Response::json(200, &json!([{"filename": "a", "status": "teleported"}]))
    });
    let files = server.client().pull_request_files(7, None).unwrap();
    let PrFiles::Complete { changes, warnings } = files else {
        panic!("{files:?}")
    };
    assert_eq!(changes, [Change::new("a", ChangeStatus::Modified)]);
    assert!(warnings[0].contains("teleported"), "{warnings:?}");
}

#[test]
fn an_unreachable_api_is_a_transport_error_after_retries() {
    let mut options = ClientOptions::new(
        format!("http://127.0.0.1:{}", closed_port()),
        TOKEN,
        "acme/shop",
        USER_AGENT,
    );
    options.retry = fast_retry(2);
    let error = GitHubClient::new(options)
        .unwrap()
        .pull_request_files(7, None)
        .unwrap_err();
    assert!(
        matches!(error, GitHubError::Transport { attempts: 2, .. }),
        "{error:?}"
    );
}

// ---- the 3,000 cap, end to end: API → git on a real repository ------------------------------

fn git_at(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_3500_file_pull_request_falls_back_to_git_with_a_warning() {
    const FILES: usize = 3500;
    let name = |i: usize| format!("svc/s{}/f{i:04}.txt", i % 50);
    // The repository: main, a PR adding 3,500 files, its test merge commit.
    let bare = GitRepo::bare();
    let repo = GitRepo::new();
    repo.set_remote("origin", &format!("file://{}", bare.path().display()));
    repo.commit_files(&[("README.md", "hi\n")], "one");
    let base_sha = repo.head();
    repo.switch_new("big");
    for i in 0..FILES {
        repo.write(name(i), format!("{i}\n"));
    }
    let head_sha = repo.commit("3,500 files");
    repo.checkout("main").switch_new("merge");
    let merge_sha = repo.merge("big", "Merge big into main");
    repo.git([
        "push",
        "-q",
        "origin",
        "main",
        "big",
        "merge:refs/pull/7/merge",
    ]);
    // actions/checkout of the merge commit, depth 1.
    let checkout = tempfile::tempdir().unwrap();
    let d = checkout.path();
    git_at(d, &["init", "-q"]);
    git_at(
        d,
        &[
            "remote",
            "add",
            "origin",
            &format!("file://{}", bare.path().display()),
        ],
    );
    git_at(
        d,
        &[
            "fetch",
            "-q",
            "--depth=1",
            "origin",
            &format!("+{merge_sha}:refs/remotes/pull/7/merge"),
        ],
    );
    git_at(
        d,
        &[
            "-c",
            "advice.detachedHead=false",
            "checkout",
            "-q",
            "--detach",
            "refs/remotes/pull/7/merge",
        ],
    );

    // The API: the same files, capped at 3,000.
    let server = Server::start(github_like(
        FILES,
        move |i| json!({"filename": name(i), "status": "added"}),
    ));
    let payload = json!({
        "action": "synchronize",
        "number": 7,
        "pull_request": {
            "number": 7,
            "changed_files": FILES,
            "base": {"ref": "main", "sha": base_sha},
            "head": {"ref": "big", "sha": head_sha},
        },
        "repository": {"full_name": "acme/shop", "default_branch": "main"},
    });
    let event = EventPayload::from_value("pull_request", payload).unwrap();
    let inputs = BaseInputs {
        token_present: true,
        ..BaseInputs::default()
    };
    let plan = plan(Some(&event), &inputs).unwrap();
    assert!(
        matches!(
            &plan.source,
            ChangeSource::PullRequestApi {
                number: 7,
                expected_files: Some(3500),
                fallback: Some(_)
            }
        ),
        "{plan:?}"
    );
    let client = server.client();
    let detected = detect_changes(&plan, &Git::new(d), Some(&client), 10).unwrap();

    assert_eq!(detected.changes.len(), FILES);
    let mut paths: Vec<&str> = detected.changes.iter().map(|c| c.path.as_str()).collect();
    paths.sort_unstable();
    let mut want: Vec<String> = (0..FILES).map(name).collect();
    want.sort();
    assert_eq!(paths, want);
    assert!(
        detected
            .changes
            .iter()
            .all(|c| c.status == ChangeStatus::Added)
    );
    assert_eq!(detected.warnings.len(), 1, "{:?}", detected.warnings);
    assert!(
        detected.warnings[0].contains("it listed 3000 of 3500 files")
            && detected.warnings[0].contains("the 3500 changed files come from git instead"),
        "{}",
        detected.warnings[0]
    );
    assert!(
        detected.compared.starts_with("git diff "),
        "{}",
        detected.compared
    );
}

#[test]
fn a_truncated_listing_without_a_checkout_says_to_add_one() {
    let server = Server::start(github_like(3500, entry));
    let event = EventPayload::from_value(
        "pull_request",
        json!({"number": 7, "pull_request": {"number": 7, "changed_files": 3500,
               "base": {"ref": "main", "sha": "1111111111111111111111111111111111111111"}}}),
    )
    .unwrap();
    let inputs = BaseInputs {
        token_present: true,
        ..BaseInputs::default()
    };
    let plan = plan(Some(&event), &inputs).unwrap();
    let nowhere = tempfile::tempdir().unwrap();
    let client = server.client();
    let error = detect_changes(&plan, &Git::new(nowhere.path()), Some(&client), 10).unwrap_err();
    assert!(
        error.to_string().contains("add actions/checkout"),
        "{error}"
    );
}

#[test]
fn a_complete_api_listing_is_used_as_is() {
    let server = Server::start(github_like(12, entry));
    let event = EventPayload::from_value(
        "pull_request",
        json!({"number": 7, "pull_request": {"number": 7, "changed_files": 12}}),
    )
    .unwrap();
    let inputs = BaseInputs {
        token_present: true,
        ..BaseInputs::default()
    };
    let plan = plan(Some(&event), &inputs).unwrap();
    // No git repository needed at all.
    let nowhere = tempfile::tempdir().unwrap();
    let client = server.client();
    let detected = detect_changes(&plan, &Git::new(nowhere.path()), Some(&client), 10).unwrap();
    assert_eq!(detected.changes, (0..12).map(expected).collect::<Vec<_>>());
    assert_eq!(
        detected.compared,
        "pull request #7: 12 files from the GitHub API"
    );
}

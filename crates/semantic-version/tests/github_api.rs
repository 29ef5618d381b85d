#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `semantic_version::github` against a GitHub written here: testkit's HTTP server on loopback
//! with a handler that keeps refs, tag objects and releases like GitHub's REST
//! API does, records every request, and answers with injected faults when told to.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gantry_testkit::http::{self, FakeHttp, Response, closed_port};

use semantic_version::github::{
    FloatingOutcome, GitHub, GitHubClient, GitHubError, ReleaseOutcome, ReleaseSpec, RetryPolicy,
    TagOutcome, USER_AGENT, ensure_floating_tag, ensure_release, ensure_tag, tag_commit,
};
use serde_json::{Value, json};

const COMMIT: &str = "1111111111111111111111111111111111111111";
const OTHER: &str = "2222222222222222222222222222222222222222";
const REPO: &str = "/repos/acme/shop/";

#[derive(Debug, Clone)]
struct Request {
    method: String,
    path: String,
    body: Value,
    authorization: Option<String>,
}

#[derive(Debug, Clone)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

fn answer(status: u16, body: Value) -> Answer {
    Answer {
        status,
        headers: Vec::new(),
        body,
    }
}

/// An injected answer for the next request with `method` whose path contains `path`;
/// with `apply`, the request is also carried out (a write that happened but whose answer
/// was lost).
#[derive(Debug, Clone)]
struct Fault {
    method: &'static str,
    path: &'static str,
    answer: Answer,
    apply: bool,
}

#[derive(Debug, Default)]
struct State {
    /// `refs/tags/x` → (sha, type)
    refs: HashMap<String, (String, String)>,
    /// tag object sha → (name, target sha, target type)
    tags: HashMap<String, (String, String, String)>,
    releases: Vec<Value>,
    next: u64,
    faults: VecDeque<Fault>,
    requests: Vec<Request>,
}

impl State {
    fn new_sha(&mut self) -> String {
        self.next += 1;
        format!("{:040x}", 0xabc0_0000 + self.next)
    }

    fn handle(&mut self, request: &Request) -> Answer {
        if let Some(index) = self
            .faults
            .iter()
            .position(|f| f.method == request.method && request.path.contains(f.path))
        {
            let fault = self.faults.remove(index).unwrap();
            if fault.apply {
                self.route(request);
            }
            return fault.answer;
        }
        self.route(request)
    }

    fn route(&mut self, request: &Request) -> Answer {
        let not_found = || answer(404, json!({"message": "Not Found"}));
        let Some(at) = request.path.find(REPO) else {
            return not_found();
        };
        let rest = decode(&request.path[at + REPO.len()..]);
        let body = &request.body;
        match (request.method.as_str(), rest.as_str()) {
            ("GET", r) if r.starts_with("git/ref/tags/") => {
                let full = format!("refs/{}", &r["git/ref/".len()..]);
                match self.refs.get(&full) {
                    Some((sha, kind)) => answer(
                        200,
                        json!({"ref": full, "node_id": "x", "url": "u",
                               "object": {"sha": sha, "type": kind, "url": "u"}}),
                    ),
                    None => not_found(),
                }
            }
            ("GET", r) if r.starts_with("git/tags/") => {
                match self.tags.get(&r["git/tags/".len()..]) {
                    Some((name, target, kind)) => answer(
                        200,
                        json!({"sha": &r["git/tags/".len()..], "tag": name, "message": "m",
                               "object": {"sha": target, "type": kind, "url": "u"}}),
                    ),
                    None => not_found(),
                }
            }
            ("POST", "git/tags") => {
                let sha = self.new_sha();
                let name = body["tag"].as_str().unwrap().to_owned();
                let target = body["object"].as_str().unwrap().to_owned();
                let kind = body["type"].as_str().unwrap().to_owned();
                self.tags
                    .insert(sha.clone(), (name.clone(), target.clone(), kind));
                answer(
                    201,
                    json!({"sha": sha, "tag": name, "message": body["message"],
                           "object": {"sha": target, "type": "commit"}}),
                )
            }
            ("POST", "git/refs") => {
                let full = body["ref"].as_str().unwrap().to_owned();
                let sha = body["sha"].as_str().unwrap().to_owned();
                if self.refs.contains_key(&full) {
                    return answer(422, json!({"message": "Reference already exists"}));
                }
                let kind = if self.tags.contains_key(&sha) {
                    "tag"
                } else {
                    "commit"
                };
                self.refs
                    .insert(full.clone(), (sha.clone(), kind.to_owned()));
                answer(
                    201,
                    json!({"ref": full, "object": {"sha": sha, "type": kind}}),
                )
            }
            ("PATCH", r) if r.starts_with("git/refs/tags/") => {
                let full = format!("refs/{}", &r["git/refs/".len()..]);
                let sha = body["sha"].as_str().unwrap().to_owned();
                if !self.refs.contains_key(&full) {
                    return answer(422, json!({"message": "Reference does not exist"}));
                }
                if body["force"] != json!(true) {
                    return answer(422, json!({"message": "Update is not a fast forward"}));
                }
                let kind = if self.tags.contains_key(&sha) {
                    "tag"
                } else {
                    "commit"
                };
                self.refs
                    .insert(full.clone(), (sha.clone(), kind.to_owned()));
                answer(
                    200,
                    json!({"ref": full, "object": {"sha": sha, "type": kind}}),
                )
            }
            ("GET", r) if r.starts_with("releases/tags/") => {
                let tag = &r["releases/tags/".len()..];
                self.releases
                    .iter()
                    .find(|rel| rel["tag_name"] == tag && rel["draft"] == false)
                    .map_or_else(not_found, |rel| answer(200, rel.clone()))
            }
            ("GET", "releases?per_page=100") => answer(
                200,
                Value::Array(self.releases.iter().rev().cloned().collect()),
            ),
            ("POST", "releases") => {
                if self
                    .releases
                    .iter()
                    .any(|rel| rel["tag_name"] == body["tag_name"])
                {
                    return answer(
                        422,
                        json!({"message": "Validation Failed", "errors": [
                            {"resource": "Release", "code": "already_exists", "field": "tag_name"}]}),
                    );
                }
                self.next += 1;
                let release = json!({
                    "id": self.next, "tag_name": body["tag_name"], "name": body["name"],
                    "body": body["body"], "draft": body["draft"], "prerelease": body["prerelease"],
                    "html_url": format!("https://github.com/acme/shop/releases/tag/{}", body["tag_name"].as_str().unwrap()),
                });
                self.releases.push(release.clone());
                answer(201, release)
            }
            ("PATCH", r) if r.starts_with("releases/") => {
                let id: u64 = r["releases/".len()..].parse().unwrap();
                let Some(release) = self.releases.iter_mut().find(|rel| rel["id"] == id) else {
                    return not_found();
                };
                for field in ["name", "body", "draft", "prerelease"] {
                    if let Some(value) = body.get(field) {
                        release[field] = value.clone();
                    }
                }
                answer(200, release.clone())
            }
            _ => not_found(),
        }
    }
}

fn decode(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

struct FakeGitHub {
    server: FakeHttp,
    state: Arc<Mutex<State>>,
}

impl FakeGitHub {
    fn start() -> FakeGitHub {
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        let server = FakeHttp::start(move |request| serve(request, &shared));
        FakeGitHub { server, state }
    }

    fn url(&self) -> String {
        self.server.url()
    }

    fn client(&self) -> GitHubClient {
        self.client_at(&self.url())
    }

    fn client_at(&self, url: &str) -> GitHubClient {
        GitHubClient::new(url, "test-token", "acme/shop", USER_AGENT)
            .unwrap()
            .with_retry(RetryPolicy {
                max_attempts: 3,
                base_delay: Duration::from_millis(5),
                rate_limit_wait: Duration::from_millis(5),
                max_wait: Duration::from_secs(5),
            })
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap())
    }

    fn fault(&self, method: &'static str, path: &'static str, answer: Answer, apply: bool) {
        self.with(|s| {
            s.faults.push_back(Fault {
                method,
                path,
                answer,
                apply,
            })
        });
    }

    /// An annotated tag `name` at `commit`, as GitHub would hold it.
    fn seed_annotated(&self, name: &str, commit: &str) {
        self.with(|s| {
            let sha = s.new_sha();
            s.tags.insert(
                sha.clone(),
                (name.to_owned(), commit.to_owned(), "commit".to_owned()),
            );
            s.refs
                .insert(format!("refs/tags/{name}"), (sha, "tag".to_owned()));
        });
    }

    fn seed_lightweight(&self, name: &str, commit: &str) {
        self.with(|s| {
            s.refs.insert(
                format!("refs/tags/{name}"),
                (commit.to_owned(), "commit".to_owned()),
            );
        });
    }

    fn requests(&self) -> Vec<Request> {
        self.with(|s| s.requests.clone())
    }

    /// `METHOD path-after-the-repository` of every request, in order.
    fn calls(&self) -> Vec<String> {
        self.requests()
            .iter()
            .map(|r| {
                let rest = r.path.split(REPO).nth(1).unwrap_or(&r.path);
                format!("{} {rest}", r.method)
            })
            .collect()
    }

    fn writes(&self) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter(|c| !c.starts_with("GET "))
            .collect()
    }
}

/// One request through the model: recorded, then a fault or the model's answer.
fn serve(request: &http::Request, state: &Mutex<State>) -> Response {
    assert!(
        request.header("transfer-encoding").is_none(),
        "chunked request bodies are not expected"
    );
    let request = Request {
        method: request.method.clone(),
        path: request.path.clone(),
        body: request.json(),
        authorization: request.header("authorization").map(str::to_owned),
    };
    let answer = {
        let mut state = state.lock().unwrap();
        state.requests.push(request.clone());
        state.handle(&request)
    };
    answer.headers.iter().fold(
        Response::json(answer.status, &answer.body),
        |response, (name, value)| response.header(name, value),
    )
}

fn spec(tag: &str, body: &str) -> ReleaseSpec {
    ReleaseSpec {
        tag: tag.to_owned(),
        name: tag.to_owned(),
        body: body.to_owned(),
        prerelease: false,
        draft: false,
        make_latest: None,
        target_commitish: None,
    }
}

#[tokio::test]
async fn a_release_creates_the_tag_object_the_ref_and_the_release() {
    let github = FakeGitHub::start();
    let client = github.client();

    let outcome = ensure_tag(&client, "v1.2.0", COMMIT, "# 1.2.0\n\n* feat")
        .await
        .unwrap();
    let TagOutcome::Created { tag_object } = outcome else {
        panic!("{outcome:?}");
    };
    let release = ensure_release(&client, &spec("v1.2.0", "## Features\n\n* a"))
        .await
        .unwrap();
    assert!(matches!(release, ReleaseOutcome::Created(_)), "{release:?}");
    assert_eq!(release.release().tag_name, "v1.2.0");
    assert!(release.release().html_url.ends_with("/releases/tag/v1.2.0"));

    assert_eq!(
        github.calls(),
        [
            "GET git/ref/tags/v1.2.0",
            "POST git/tags",
            "POST git/refs",
            "GET releases/tags/v1.2.0",
            "GET releases?per_page=100",
            "POST releases",
        ]
    );
    let requests = github.requests();
    assert_eq!(
        requests[1].body,
        json!({"tag": "v1.2.0", "message": "# 1.2.0\n\n* feat", "object": COMMIT, "type": "commit"})
    );
    assert_eq!(
        requests[2].body,
        json!({"ref": "refs/tags/v1.2.0", "sha": tag_object})
    );
    assert_eq!(
        requests[5].body,
        json!({"tag_name": "v1.2.0", "name": "v1.2.0", "body": "## Features\n\n* a",
               "draft": false, "prerelease": false})
    );
    assert!(
        requests
            .iter()
            .all(|r| r.authorization.as_deref() == Some("Bearer test-token")),
        "{requests:?}"
    );
    assert_eq!(
        tag_commit(&client, "v1.2.0").await.unwrap().as_deref(),
        Some(COMMIT)
    );

    // A rerun of the same job writes nothing.
    let before = github.writes().len();
    assert_eq!(
        ensure_tag(&client, "v1.2.0", COMMIT, "# 1.2.0\n\n* feat")
            .await
            .unwrap(),
        TagOutcome::AlreadyThere
    );
    let again = ensure_release(&client, &spec("v1.2.0", "## Features\n\n* a"))
        .await
        .unwrap();
    assert!(
        matches!(again, ReleaseOutcome::AlreadyThere(_)),
        "{again:?}"
    );
    assert_eq!(github.writes().len(), before);
}

#[tokio::test]
async fn a_tag_already_at_this_commit_writes_nothing() {
    let github = FakeGitHub::start();
    github.seed_annotated("v1.2.0", COMMIT);
    github.seed_lightweight("v1.1.0", COMMIT);
    let client = github.client();
    assert_eq!(
        ensure_tag(&client, "v1.2.0", COMMIT, "notes")
            .await
            .unwrap(),
        TagOutcome::AlreadyThere
    );
    assert_eq!(
        ensure_tag(&client, "v1.1.0", &COMMIT.to_uppercase(), "notes")
            .await
            .unwrap(),
        TagOutcome::AlreadyThere
    );
    let calls = github.calls();
    assert_eq!(calls.len(), 3, "{calls:?}");
    assert!(calls[1].starts_with("GET git/tags/"), "{calls:?}");
    assert!(github.writes().is_empty(), "{calls:?}");
}

#[tokio::test]
async fn a_tag_at_another_commit_is_an_error_and_writes_nothing() {
    let github = FakeGitHub::start();
    github.seed_annotated("v1.2.0", OTHER);
    let client = github.client();
    let error = ensure_tag(&client, "v1.2.0", COMMIT, "notes")
        .await
        .unwrap_err();
    assert!(matches!(error, GitHubError::TagConflict { .. }), "{error}");
    let message = error.to_string();
    assert!(
        message.contains(OTHER) && message.contains(COMMIT),
        "{message}"
    );
    assert!(message.contains("never moved"), "{message}");
    assert!(github.writes().is_empty(), "{:?}", github.calls());
}

#[tokio::test]
async fn floating_tags_are_created_and_moved_with_force() {
    let github = FakeGitHub::start();
    github.seed_annotated("v1", OTHER);
    let client = github.client();

    assert_eq!(
        ensure_floating_tag(&client, "v1", COMMIT).await.unwrap(),
        FloatingOutcome::Moved {
            from: OTHER.to_owned()
        }
    );
    assert_eq!(
        ensure_floating_tag(&client, "v1.2", COMMIT).await.unwrap(),
        FloatingOutcome::Created
    );
    assert_eq!(github.writes(), ["PATCH git/refs/tags/v1", "POST git/refs"]);
    let requests = github.requests();
    let patch = requests.iter().find(|r| r.method == "PATCH").unwrap();
    assert_eq!(patch.body, json!({"sha": COMMIT, "force": true}));
    let post = requests.iter().find(|r| r.method == "POST").unwrap();
    assert_eq!(post.body, json!({"ref": "refs/tags/v1.2", "sha": COMMIT}));

    // Again: nothing moves.
    assert_eq!(
        ensure_floating_tag(&client, "v1", COMMIT).await.unwrap(),
        FloatingOutcome::AlreadyThere
    );
    assert_eq!(github.writes().len(), 2);
}

#[tokio::test]
async fn a_server_error_is_retried_then_succeeds() {
    let github = FakeGitHub::start();
    github.fault(
        "GET",
        "git/ref/tags/v1.0.0",
        answer(500, json!({"message": "Server Error"})),
        false,
    );
    github.fault("POST", "git/tags", answer(502, Value::Null), false);
    let client = github.client();
    let outcome = ensure_tag(&client, "v1.0.0", COMMIT, "notes")
        .await
        .unwrap();
    assert!(matches!(outcome, TagOutcome::Created { .. }), "{outcome:?}");
    assert_eq!(
        github.calls(),
        [
            "GET git/ref/tags/v1.0.0",
            "GET git/ref/tags/v1.0.0",
            "POST git/tags",
            "POST git/tags",
            "POST git/refs",
        ]
    );
}

#[tokio::test]
async fn server_errors_are_retried_a_bounded_number_of_times() {
    let github = FakeGitHub::start();
    for _ in 0..5 {
        github.fault(
            "GET",
            "git/ref/",
            answer(503, json!({"message": "Unavailable"})),
            false,
        );
    }
    let result = ensure_tag(&github.client(), "v1.0.0", COMMIT, "notes").await;
    let Err(error) = result else {
        panic!("{result:?} {:?}", github.calls());
    };
    assert!(
        matches!(
            error,
            GitHubError::Status {
                status: 503,
                attempts: 3,
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("Unavailable"), "{error}");
    assert_eq!(github.calls().len(), 3);
}

#[tokio::test]
async fn a_write_that_happened_before_its_error_is_settled_by_reading_again() {
    let github = FakeGitHub::start();
    // The ref is created but the answer is lost: the retry meets "Reference already exists".
    github.fault("POST", "git/refs", answer(502, Value::Null), true);
    let client = github.client();
    let outcome = ensure_tag(&client, "v1.0.0", COMMIT, "notes")
        .await
        .unwrap();
    assert_eq!(outcome, TagOutcome::AlreadyThere);
    assert_eq!(
        tag_commit(&client, "v1.0.0").await.unwrap().as_deref(),
        Some(COMMIT)
    );
    // The same for a release.
    github.fault("POST", "releases", answer(500, Value::Null), true);
    let release = ensure_release(&client, &spec("v1.0.0", "notes"))
        .await
        .unwrap();
    assert!(
        matches!(release, ReleaseOutcome::AlreadyThere(_)),
        "{release:?}"
    );
    assert_eq!(github.with(|s| s.releases.len()), 1);
}

#[tokio::test]
async fn forbidden_says_which_permission_the_token_needs() {
    let github = FakeGitHub::start();
    github.fault(
        "POST",
        "git/tags",
        answer(
            403,
            json!({"message": "Resource not accessible by integration"}),
        ),
        false,
    );
    let error = ensure_tag(&github.client(), "v1.0.0", COMMIT, "notes")
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, GitHubError::Forbidden { .. }), "{message}");
    assert!(message.contains("contents: write"), "{message}");
    assert!(message.contains("permissions"), "{message}");
    assert!(
        message.contains("Resource not accessible by integration"),
        "{message}"
    );
    assert_eq!(
        github.writes(),
        ["POST git/tags"],
        "a plain 403 is not retried"
    );
}

#[tokio::test]
async fn a_ruleset_is_named_instead_of_the_permission() {
    let github = FakeGitHub::start();
    github.fault(
        "POST",
        "git/refs",
        answer(403, json!({"message": "Repository rule violations found\n\nCannot create ref due to creations being restricted."})),
        false,
    );
    let error = ensure_tag(&github.client(), "v1.0.0", COMMIT, "notes")
        .await
        .unwrap_err();
    assert!(error.to_string().contains("ruleset"), "{error}");
}

#[tokio::test]
async fn a_secondary_rate_limit_is_waited_out() {
    let github = FakeGitHub::start();
    github.fault(
        "POST",
        "releases",
        Answer {
            status: 403,
            headers: vec![("retry-after".to_owned(), "0".to_owned())],
            body: json!({"message": "You have exceeded a secondary rate limit."}),
        },
        false,
    );
    github.fault(
        "POST",
        "releases",
        answer(429, json!({"message": "Too Many Requests"})),
        false,
    );
    let release = ensure_release(&github.client(), &spec("v1.0.0", "notes"))
        .await
        .unwrap();
    assert!(matches!(release, ReleaseOutcome::Created(_)), "{release:?}");
    assert_eq!(
        github.writes(),
        ["POST releases", "POST releases", "POST releases"]
    );
}

#[tokio::test]
async fn a_rate_limit_reset_far_away_is_an_error_at_once() {
    let github = FakeGitHub::start();
    let reset = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    github.fault(
        "GET",
        "git/ref/",
        Answer {
            status: 403,
            headers: vec![
                ("x-ratelimit-remaining".to_owned(), "0".to_owned()),
                ("x-ratelimit-reset".to_owned(), reset.to_string()),
            ],
            body: json!({"message": "API rate limit exceeded"}),
        },
        false,
    );
    let error = tag_commit(&github.client(), "v1").await.unwrap_err();
    assert!(matches!(error, GitHubError::RateLimited { .. }), "{error}");
    assert!(error.to_string().contains("resets in"), "{error}");
    assert_eq!(github.calls().len(), 1);
}

#[tokio::test]
async fn unauthorized_not_found_and_unprocessable_say_what_to_change() {
    let github = FakeGitHub::start();
    github.fault(
        "GET",
        "git/ref/",
        answer(401, json!({"message": "Bad credentials"})),
        false,
    );
    let error = tag_commit(&github.client(), "v1").await.unwrap_err();
    assert!(matches!(error, GitHubError::Unauthorized { .. }), "{error}");
    assert!(error.to_string().contains("github.token"), "{error}");

    github.fault(
        "POST",
        "git/tags",
        answer(404, json!({"message": "Not Found"})),
        false,
    );
    let error = ensure_tag(&github.client(), "v1.0.0", COMMIT, "x")
        .await
        .unwrap_err();
    assert!(matches!(error, GitHubError::NotFound { .. }), "{error}");
    assert!(error.to_string().contains("acme/shop"), "{error}");

    github.fault(
        "POST",
        "git/tags",
        answer(422, json!({"message": "Object does not exist"})),
        false,
    );
    let error = ensure_tag(&github.client(), "v1.0.1", COMMIT, "x")
        .await
        .unwrap_err();
    assert!(
        matches!(error, GitHubError::Unprocessable { .. }),
        "{error}"
    );
    assert!(
        error.to_string().contains("Object does not exist"),
        "{error}"
    );
}

#[tokio::test]
async fn releases_with_other_contents_are_updated_and_drafts_found_and_published() {
    let github = FakeGitHub::start();
    let client = github.client();
    let draft = ReleaseSpec {
        draft: true,
        ..spec("v2.0.0", "first notes")
    };
    let created = ensure_release(&client, &draft).await.unwrap();
    assert!(matches!(created, ReleaseOutcome::Created(_)), "{created:?}");
    // A draft is not found by its tag, only in the list.
    let again = ensure_release(&client, &draft).await.unwrap();
    assert!(
        matches!(again, ReleaseOutcome::AlreadyThere(_)),
        "{again:?}"
    );
    let published = ensure_release(&client, &spec("v2.0.0", "better notes"))
        .await
        .unwrap();
    let ReleaseOutcome::Updated(release) = published else {
        panic!("{published:?}");
    };
    assert!(!release.draft);
    assert_eq!(release.body.as_deref(), Some("better notes"));
    assert_eq!(github.writes(), ["POST releases", "PATCH releases/1"]);
    let patch = github
        .requests()
        .into_iter()
        .find(|r| r.method == "PATCH")
        .unwrap();
    assert_eq!(
        patch.body,
        json!({"name": "v2.0.0", "body": "better notes", "draft": false, "prerelease": false})
    );
    // Asking for a draft again does not unpublish it.
    let kept = ensure_release(
        &client,
        &ReleaseSpec {
            draft: true,
            ..spec("v2.0.0", "better notes")
        },
    )
    .await
    .unwrap();
    assert!(matches!(kept, ReleaseOutcome::AlreadyThere(_)), "{kept:?}");
    assert_eq!(github.writes().len(), 2);
}

#[tokio::test]
async fn an_enterprise_api_path_is_kept_and_tag_names_are_encoded() {
    let github = FakeGitHub::start();
    let client = github.client_at(&format!("{}/api/v3/", github.url()));
    let outcome = ensure_tag(&client, "pkg/v1.0.0+build.1", COMMIT, "x")
        .await
        .unwrap();
    assert!(matches!(outcome, TagOutcome::Created { .. }), "{outcome:?}");
    let paths: Vec<String> = github.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths[0],
        "/api/v3/repos/acme/shop/git/ref/tags/pkg/v1.0.0%2Bbuild.1"
    );
    assert!(
        paths
            .iter()
            .all(|p| p.starts_with("/api/v3/repos/acme/shop/")),
        "{paths:?}"
    );
    assert!(github.with(|s| s.refs.contains_key("refs/tags/pkg/v1.0.0+build.1")));
}

#[tokio::test]
async fn an_unreachable_api_is_a_transport_error_after_the_retries() {
    let github = FakeGitHub::start();
    let client = github.client_at(&format!("http://127.0.0.1:{}", closed_port()));
    let error = client.get_ref("v1").await.unwrap_err();
    assert!(
        matches!(error, GitHubError::Transport { attempts: 3, .. }),
        "{error}"
    );
}

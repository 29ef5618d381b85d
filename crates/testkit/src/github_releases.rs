//! A loopback stand-in for GitHub's releases: the REST API (`/repos/{owner}/{repo}/releases`,
//! assets, uploads) and the public asset host (`/{owner}/{repo}/releases/download/{tag}/{name}`).
//!
//! There is no local GitHub, so this is a stand-in, not a real part. It keeps to what GitHub
//! documents and what the release depends on: drafts are listed only to an authenticated caller
//! and their assets are not downloadable from the public host; an upload URL is a URI template
//! (`.../assets{?name,label}`); a second release with the same tag, or a second asset with the
//! same name, is refused with 422; a published release's assets are served by name. Faults are
//! injected by the test: [`ReleasesStandIn::fail_upload`] answers one upload with HTTP 500,
//! [`ReleasesStandIn::fail_next`] answers the next request with any status and body.
//!
//! It also serves the repository's pull requests and their labels (`/pulls`, `/pulls/{n}`,
//! `/issues/{n}/labels`), as a release pull-request mode uses them: one open pull request per
//! head and base (a second is refused with GitHub's 422 "A pull request already exists for
//! owner:branch."), a `head` filter that needs the owner (`owner:branch`; a bare branch name
//! is ignored, as GitHub ignores it), newest first, pages with a `Link` header, labels created
//! on first use and matched ignoring case. The stand-in knows no git: a head's commit is what
//! the test set with [`ReleasesStandIn::set_branch_sha`]. What a maintainer does on github.com
//! the test does with [`ReleasesStandIn::merge_pull`] and [`ReleasesStandIn::close_pull`];
//! [`ReleasesStandIn::forbid_reopen`] plays a head branch that was force-pushed after closing.
//!
//! ```no_run
//! let standin = gantry_testkit::ReleasesStandIn::start("owner/repo", "token");
//! // GITHUB_API_URL=standin.api_url(); the actions' GANTRY_RELEASE_BASE_URL=standin.download_base()
//! assert!(standin.releases().is_empty());
//! ```

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use serde_json::{Value, json};

/// One release as the stand-in holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub id: u64,
    pub tag_name: String,
    pub name: String,
    pub body: String,
    pub draft: bool,
    pub prerelease: bool,
    pub target_commitish: String,
    pub assets: Vec<Asset>,
}

/// One uploaded asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    pub id: u64,
    pub name: String,
    pub bytes: Vec<u8>,
}

/// How the public asset host sends a file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Delivery {
    /// With its `Content-Length`, whole.
    #[default]
    Whole,
    /// In chunks, without a `Content-Length` (a size cap must then hold while streaming).
    Chunked,
    /// Redirected (as github.com redirects to its storage host) to a host that declares the
    /// whole file's `Content-Length`, sends its first half and closes: a short read.
    Truncated,
}

/// One pull request as the stand-in holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    /// Its number (counted from 1).
    pub number: u64,
    /// `open` or `closed` (a merged pull request is closed).
    pub state: String,
    pub title: String,
    /// `None` when created without one (GitHub's `null`).
    pub body: Option<String>,
    /// The head branch, without the owner.
    pub head: String,
    /// The head's commit: from [`ReleasesStandIn::set_branch_sha`], else forty zeros.
    pub head_sha: String,
    /// The base branch.
    pub base: String,
    /// Its labels' names, in the order added.
    pub labels: Vec<String>,
    pub merged: bool,
    /// Set by [`ReleasesStandIn::merge_pull`].
    pub merge_commit_sha: Option<String>,
}

impl PullRequest {
    /// It carries label `name` (ignoring case, as GitHub's label names do).
    pub fn has_label(&self, name: &str) -> bool {
        self.labels.iter().any(|l| same_label(l, name))
    }
}

/// A commit the stand-in knows nothing about.
const NO_SHA: &str = "0000000000000000000000000000000000000000";

#[derive(Debug, Default)]
struct State {
    delivery: Delivery,
    next_id: u64,
    releases: Vec<Release>,
    uploads_seen: usize,
    fail_upload: Option<usize>,
    requests: Vec<String>,
    /// Answers for the next requests, whatever they ask.
    fail_next: VecDeque<(u16, Value)>,
    /// In creation order.
    pulls: Vec<PullRequest>,
    /// The repository's labels, as first spelled.
    labels: Vec<String>,
    /// Branch → commit, as the test set them (and merges moved them).
    branches: HashMap<String, String>,
    /// Pull requests whose reopening is refused.
    not_reopenable: HashSet<u64>,
}

/// The stand-in, serving on `127.0.0.1` until dropped.
pub struct ReleasesStandIn {
    base: String,
    repository: String,
    state: Arc<Mutex<State>>,
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
}

impl ReleasesStandIn {
    /// Serves the releases of `repository` (`owner/name`) to callers holding `token`.
    pub fn start(repository: &str, token: &str) -> Self {
        let server = Arc::new(
            tiny_http::Server::http("127.0.0.1:0")
                .unwrap_or_else(|e| panic!("cannot bind the releases stand-in: {e}")),
        );
        let port = server
            .server_addr()
            .to_ip()
            .map(|a| a.port())
            .unwrap_or_else(|| panic!("the releases stand-in has no IP address"));
        let base = format!("http://127.0.0.1:{port}");
        let state = Arc::new(Mutex::new(State {
            next_id: 1,
            ..State::default()
        }));
        let thread = {
            let (server, state) = (Arc::clone(&server), Arc::clone(&state));
            let (base, repository, token) = (base.clone(), repository.to_owned(), token.to_owned());
            std::thread::spawn(move || {
                for request in server.incoming_requests() {
                    serve(request, &state, &base, &repository, &token);
                }
            })
        };
        ReleasesStandIn {
            base,
            repository: repository.to_owned(),
            state,
            server,
            thread: Some(thread),
        }
    }

    /// `GITHUB_API_URL` for the release script.
    pub fn api_url(&self) -> String {
        format!("{}/api", self.base)
    }

    /// `GANTRY_RELEASE_BASE_URL` for the actions: where published assets are downloaded.
    pub fn download_base(&self) -> String {
        format!("{}/{}/releases/download", self.base, self.repository)
    }

    /// The `n`th upload from now (1 is the next) answers HTTP 500 and stores nothing.
    pub fn fail_upload(&self, n: usize) {
        let mut state = lock(&self.state);
        state.fail_upload = Some(state.uploads_seen + n);
    }

    /// How the public asset host sends files from now on.
    pub fn set_delivery(&self, delivery: Delivery) {
        lock(&self.state).delivery = delivery;
    }

    /// A published release `tag` holding `assets` (name, bytes), as if the release had run.
    pub fn publish(&self, tag: &str, assets: Vec<(String, Vec<u8>)>) {
        let mut state = lock(&self.state);
        let id = state.next_id;
        let assets = assets
            .into_iter()
            .enumerate()
            .map(|(i, (name, bytes))| Asset {
                id: id + 1 + i as u64,
                name,
                bytes,
            })
            .collect::<Vec<_>>();
        state.next_id += 1 + assets.len() as u64;
        state.releases.push(Release {
            id,
            tag_name: tag.to_owned(),
            name: tag.to_owned(),
            body: String::new(),
            draft: false,
            prerelease: false,
            target_commitish: String::new(),
            assets,
        });
    }

    /// Replaces (or adds) asset `name` of release `tag`.
    pub fn put_asset(&self, tag: &str, name: &str, bytes: Vec<u8>) {
        let mut state = lock(&self.state);
        let id = state.next_id;
        state.next_id += 1;
        let release = state
            .releases
            .iter_mut()
            .find(|r| r.tag_name == tag)
            .unwrap_or_else(|| panic!("the stand-in has no release {tag}"));
        release.assets.retain(|a| a.name != name);
        release.assets.push(Asset {
            id,
            name: name.to_owned(),
            bytes,
        });
    }

    /// Removes every asset of release `tag`.
    pub fn clear_assets(&self, tag: &str) {
        let mut state = lock(&self.state);
        if let Some(release) = state.releases.iter_mut().find(|r| r.tag_name == tag) {
            release.assets.clear();
        }
    }

    /// The paths asked of the public asset host, in order.
    pub fn downloads(&self) -> Vec<String> {
        let prefix = format!("GET /{}/releases/download/", self.repository);
        self.requests()
            .into_iter()
            .filter_map(|r| {
                r.strip_prefix("GET ")
                    .filter(|_| r.starts_with(&prefix))
                    .map(str::to_owned)
            })
            .collect()
    }

    /// Every release, drafts included, newest first.
    pub fn releases(&self) -> Vec<Release> {
        lock(&self.state).releases.iter().rev().cloned().collect()
    }

    /// The release with `tag`, if any.
    pub fn release(&self, tag: &str) -> Option<Release> {
        self.releases().into_iter().find(|r| r.tag_name == tag)
    }

    /// Every request so far, as `METHOD path`.
    pub fn requests(&self) -> Vec<String> {
        lock(&self.state).requests.clone()
    }

    /// The next request (whatever it asks, token or not) is answered with `status` and the
    /// JSON `body`, and changes nothing; calls queue up, one per request.
    pub fn fail_next(&self, status: u16, body: Value) {
        lock(&self.state).fail_next.push_back((status, body));
    }

    /// Branch `branch` is at commit `sha` (the stand-in knows no git): a pull request opened
    /// from it gets this head, and, as on GitHub, the open ones from it follow it.
    pub fn set_branch_sha(&self, branch: &str, sha: &str) {
        let mut state = lock(&self.state);
        state.branches.insert(branch.to_owned(), sha.to_owned());
        for pull in state
            .pulls
            .iter_mut()
            .filter(|p| p.state == "open" && p.head == branch)
        {
            pull.head_sha = sha.to_owned();
        }
    }

    /// Every pull request, newest first.
    pub fn pulls(&self) -> Vec<PullRequest> {
        lock(&self.state).pulls.iter().rev().cloned().collect()
    }

    /// Pull request `number`, if any.
    pub fn pull(&self, number: u64) -> Option<PullRequest> {
        lock(&self.state)
            .pulls
            .iter()
            .find(|p| p.number == number)
            .cloned()
    }

    /// What a maintainer's merge of open pull request `number` does: closed, merged, with
    /// `merge_commit_sha`, which the base branch now points at.
    pub fn merge_pull(&self, number: u64, merge_commit_sha: &str) {
        let mut state = lock(&self.state);
        let pull = open_pull(&mut state, number);
        pull.state = "closed".to_owned();
        pull.merged = true;
        pull.merge_commit_sha = Some(merge_commit_sha.to_owned());
        let base = pull.base.clone();
        state.branches.insert(base, merge_commit_sha.to_owned());
    }

    /// What a maintainer's "Close pull request" does to open pull request `number`: closed,
    /// not merged.
    pub fn close_pull(&self, number: u64) {
        let mut state = lock(&self.state);
        open_pull(&mut state, number).state = "closed".to_owned();
    }

    /// Reopening pull request `number` is refused from now on, as GitHub refuses it once the
    /// head branch was force-pushed after the pull request was closed (422 "state cannot be
    /// changed. The {branch} branch was force-pushed or recreated.").
    pub fn forbid_reopen(&self, number: u64) {
        lock(&self.state).not_reopenable.insert(number);
    }
}

fn open_pull(state: &mut State, number: u64) -> &mut PullRequest {
    let pull = state
        .pulls
        .iter_mut()
        .find(|p| p.number == number)
        .unwrap_or_else(|| panic!("the stand-in has no pull request #{number}"));
    if pull.state != "open" {
        panic!("pull request #{number} is not open (it is {})", pull.state);
    }
    pull
}

impl std::fmt::Debug for ReleasesStandIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReleasesStandIn")
            .field("base", &self.base)
            .field("repository", &self.repository)
            .finish_non_exhaustive()
    }
}

impl Drop for ReleasesStandIn {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

fn release_json(r: &Release, base: &str, repository: &str) -> Value {
    json!({
        "id": r.id,
        "tag_name": r.tag_name,
        "name": r.name,
        "body": r.body,
        "draft": r.draft,
        "prerelease": r.prerelease,
        "target_commitish": r.target_commitish,
        "upload_url": format!("{base}/uploads/repos/{repository}/releases/{}/assets{{?name,label}}", r.id),
        "assets": r.assets.iter().map(|a| asset_json(a, base, repository)).collect::<Vec<_>>(),
    })
}

fn asset_json(a: &Asset, base: &str, repository: &str) -> Value {
    json!({
        "id": a.id,
        "name": a.name,
        "size": a.bytes.len(),
        "state": "uploaded",
        "url": format!("{base}/api/repos/{repository}/releases/assets/{}", a.id),
    })
}

enum Reply {
    Json(u16, Value),
    /// 200 with a `Link` header.
    Page(Value, String),
    Bytes(Vec<u8>),
    Download(Vec<u8>, Delivery),
    Status(u16, &'static str),
}

fn serve(
    mut request: tiny_http::Request,
    state: &Mutex<State>,
    base: &str,
    repository: &str,
    token: &str,
) {
    let method = request.method().as_str().to_owned();
    let url = request.url().to_owned();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let authorized = request
        .headers()
        .iter()
        .any(|h| h.field.equiv("Authorization") && h.value.as_str() == format!("Bearer {token}"));
    let mut body = Vec::new();
    let read = request.as_reader().read_to_end(&mut body);
    let reply = match read {
        Err(_) => Reply::Status(400, "cannot read the request body"),
        Ok(_) => {
            let mut state = lock(state);
            state.requests.push(format!("{method} {path}"));
            let call = Call {
                method: &method,
                path,
                query,
                body: &body,
                authorized,
            };
            route(&mut state, &call, base, repository)
        }
    };
    let _ = match reply {
        Reply::Json(status, value) => request.respond(
            tiny_http::Response::from_string(value.to_string())
                .with_status_code(status)
                .with_header(header("Content-Type", "application/json")),
        ),
        Reply::Page(value, link) => request.respond(
            tiny_http::Response::from_string(value.to_string())
                .with_header(header("Content-Type", "application/json"))
                .with_header(header("Link", &link)),
        ),
        Reply::Bytes(bytes) => request.respond(
            tiny_http::Response::from_data(bytes)
                .with_header(header("Content-Type", "application/octet-stream")),
        ),
        Reply::Download(bytes, Delivery::Whole) => request.respond(
            tiny_http::Response::from_data(bytes)
                .with_header(header("Content-Type", "application/octet-stream")),
        ),
        Reply::Download(bytes, Delivery::Chunked) => request.respond(tiny_http::Response::new(
            tiny_http::StatusCode(200),
            vec![header("Content-Type", "application/octet-stream")],
            std::io::Cursor::new(bytes),
            None,
            None,
        )),
        Reply::Download(bytes, Delivery::Truncated) => {
            // As github.com does, redirect to the storage host: here one that declares the
            // whole length, sends half and closes the connection (a short read).
            let location = truncating_host(bytes);
            request
                .respond(tiny_http::Response::empty(302).with_header(header("Location", &location)))
        }
        Reply::Status(status, message) => request.respond(
            tiny_http::Response::from_string(json!({ "message": message }).to_string())
                .with_status_code(status),
        ),
    };
}

/// Serves `bytes` once, cut short, from a listener of its own; returns its URL.
fn truncating_host(bytes: Vec<u8>) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap_or_else(|e| panic!("cannot bind the truncating host: {e}"));
    let url = match listener.local_addr() {
        Ok(addr) => format!("http://{addr}/asset"),
        Err(e) => panic!("the truncating host has no address: {e}"),
    };
    std::thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else {
            return;
        };
        // The request head, up to its blank line.
        let mut reader = BufReader::new(match stream.try_clone() {
            Ok(s) => s,
            Err(_) => return,
        });
        let mut line = String::new();
        while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line.trim() != "" {
            line.clear();
        }
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            bytes.len()
        );
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(&bytes[..bytes.len() / 2]);
        let _ = stream.shutdown(std::net::Shutdown::Both);
    });
    url
}

fn header(name: &str, value: &str) -> tiny_http::Header {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes())
        .unwrap_or_else(|()| panic!("bad header {name}"))
}

/// One request, as [`route`] reads it.
struct Call<'a> {
    method: &'a str,
    path: &'a str,
    query: &'a str,
    body: &'a [u8],
    /// It carried the stand-in's token.
    authorized: bool,
}

fn route(state: &mut State, call: &Call<'_>, base: &str, repository: &str) -> Reply {
    let Call {
        method,
        path,
        query,
        body,
        authorized,
    } = *call;
    if let Some((status, body)) = state.fail_next.pop_front() {
        return Reply::Json(status, body);
    }
    let api = format!("/api/repos/{repository}/releases");
    let uploads = format!("/uploads/repos/{repository}/releases/");
    let download = format!("/{repository}/releases/download/");
    // The public asset host: published releases only, no token needed.
    if let Some(rest) = path.strip_prefix(&download) {
        return match (method, rest.split_once('/')) {
            ("GET", Some((tag, name))) => state
                .releases
                .iter()
                .filter(|r| !r.draft && r.tag_name == tag)
                .flat_map(|r| &r.assets)
                .find(|a| a.name == name)
                .map_or(Reply::Status(404, "Not Found"), |a| {
                    Reply::Download(a.bytes.clone(), state.delivery)
                }),
            _ => Reply::Status(404, "Not Found"),
        };
    }
    if !authorized {
        return Reply::Status(401, "Bad credentials");
    }
    if let Some(rest) = path.strip_prefix(&format!("/api/repos/{repository}/"))
        && (rest == "pulls" || rest.starts_with("pulls/") || rest.starts_with("issues/"))
    {
        let site = Site { base, repository };
        return route_pulls(state, call, rest, &site);
    }
    if let Some(rest) = path.strip_prefix(&uploads) {
        let Some(id) = rest
            .strip_suffix("/assets")
            .and_then(|id| id.parse::<u64>().ok())
        else {
            return Reply::Status(404, "Not Found");
        };
        let Some(name) = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("name="))
            .filter(|n| !n.is_empty())
        else {
            return Reply::Status(422, "name is missing");
        };
        state.uploads_seen += 1;
        if state.fail_upload == Some(state.uploads_seen) {
            return Reply::Status(500, "Internal Server Error (injected by the test)");
        }
        let asset_id = state.next_id;
        let Some(release) = state.releases.iter_mut().find(|r| r.id == id) else {
            return Reply::Status(404, "Not Found");
        };
        if release.assets.iter().any(|a| a.name == name) {
            return Reply::Status(422, "already_exists");
        }
        let asset = Asset {
            id: asset_id,
            name: name.to_owned(),
            bytes: body.to_vec(),
        };
        let json = asset_json(&asset, base, repository);
        release.assets.push(asset);
        state.next_id += 1;
        return Reply::Json(201, json);
    }
    let Some(rest) = path.strip_prefix(&api) else {
        return Reply::Status(404, "Not Found");
    };
    match (method, rest) {
        ("GET", "") => {
            let page_of = |key: &str, default: usize| {
                query
                    .split('&')
                    .find_map(|kv| kv.strip_prefix(key))
                    .and_then(|v| v.parse::<usize>().ok())
                    .unwrap_or(default)
            };
            let (per_page, page) = (page_of("per_page=", 30), page_of("page=", 1).max(1));
            let all: Vec<Value> = state
                .releases
                .iter()
                .rev()
                .skip(per_page * (page - 1))
                .take(per_page)
                .map(|r| release_json(r, base, repository))
                .collect();
            Reply::Json(200, Value::Array(all))
        }
        ("POST", "") => {
            let Ok(spec) = serde_json::from_slice::<Value>(body) else {
                return Reply::Status(400, "Problems parsing JSON");
            };
            let tag = spec["tag_name"].as_str().unwrap_or_default().to_owned();
            if tag.is_empty() || state.releases.iter().any(|r| r.tag_name == tag) {
                return Reply::Status(422, "Validation Failed: tag_name already_exists");
            }
            let release = Release {
                id: state.next_id,
                tag_name: tag.clone(),
                name: spec["name"].as_str().unwrap_or(&tag).to_owned(),
                body: spec["body"].as_str().unwrap_or_default().to_owned(),
                draft: spec["draft"].as_bool().unwrap_or(false),
                prerelease: spec["prerelease"].as_bool().unwrap_or(false),
                target_commitish: spec["target_commitish"]
                    .as_str()
                    .unwrap_or("main")
                    .to_owned(),
                assets: Vec::new(),
            };
            state.next_id += 1;
            let json = release_json(&release, base, repository);
            state.releases.push(release);
            Reply::Json(201, json)
        }
        (_, rest) => {
            let rest = rest.trim_start_matches('/');
            if let Some(asset_id) = rest
                .strip_prefix("assets/")
                .and_then(|id| id.parse::<u64>().ok())
            {
                return match method {
                    "GET" => state
                        .releases
                        .iter()
                        .flat_map(|r| &r.assets)
                        .find(|a| a.id == asset_id)
                        .map_or(Reply::Status(404, "Not Found"), |a| {
                            Reply::Bytes(a.bytes.clone())
                        }),
                    _ => Reply::Status(405, "Method Not Allowed"),
                };
            }
            let Some(index) = rest
                .parse::<u64>()
                .ok()
                .and_then(|id| state.releases.iter().position(|r| r.id == id))
            else {
                return Reply::Status(404, "Not Found");
            };
            match method {
                "GET" => Reply::Json(200, release_json(&state.releases[index], base, repository)),
                "DELETE" => {
                    state.releases.remove(index);
                    Reply::Status(204, "")
                }
                "PATCH" => {
                    let Ok(spec) = serde_json::from_slice::<Value>(body) else {
                        return Reply::Status(400, "Problems parsing JSON");
                    };
                    let release = &mut state.releases[index];
                    if let Some(draft) = spec["draft"].as_bool() {
                        release.draft = draft;
                    }
                    if let Some(tag) = spec["tag_name"].as_str() {
                        release.tag_name = tag.to_owned();
                    }
                    if let Some(target) = spec["target_commitish"].as_str() {
                        release.target_commitish = target.to_owned();
                    }
                    Reply::Json(200, release_json(release, base, repository))
                }
                _ => Reply::Status(405, "Method Not Allowed"),
            }
        }
    }
}

/// Where the stand-in serves: for the URLs in its answers.
struct Site<'a> {
    base: &'a str,
    repository: &'a str,
}

impl Site<'_> {
    fn owner(&self) -> &str {
        self.repository
            .split_once('/')
            .map_or(self.repository, |(owner, _)| owner)
    }
}

/// GitHub's label names ignore case.
fn same_label(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

/// `text` with its `%XX` escapes decoded (and `+` as a space, in a query).
fn percent_decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (escaped, bytes[i]) {
            (Some(byte), _) => {
                out.push(byte);
                i += 3;
            }
            (None, b'+') if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            (None, byte) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Query parameter `key`, decoded.
fn query_param(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(k, true) == key).then(|| percent_decode(v, true))
    })
}

/// GitHub's 422 for a rule of the pull request resource.
fn validation_failed(error: Value) -> Reply {
    Reply::Json(
        422,
        json!({
            "message": "Validation Failed",
            "errors": [error],
            "documentation_url": "https://docs.github.com/rest/pulls/pulls",
            "status": "422",
        }),
    )
}

/// The 422 GitHub gives for a rule stated in words.
fn custom_failure(field: Option<&str>, message: &str) -> Reply {
    let mut error = json!({ "resource": "PullRequest", "code": "custom", "message": message });
    if let Some(field) = field {
        error["field"] = json!(field);
    }
    validation_failed(error)
}

/// A timestamp that orders as the pull requests do.
fn timestamp(number: u64) -> String {
    format!(
        "2024-01-01T{:02}:{:02}:{:02}Z",
        (number / 3600) % 24,
        (number / 60) % 60,
        number % 60
    )
}

fn label_json(state: &State, name: &str, site: &Site<'_>) -> Value {
    let id = state
        .labels
        .iter()
        .position(|l| l == name)
        .map_or(0, |i| i as u64 + 1);
    json!({
        "id": id,
        "node_id": format!("LA_{id}"),
        "url": format!("{}/api/repos/{}/labels/{}", site.base, site.repository, name.replace(' ', "%20")),
        "name": name,
        "color": "ededed",
        "default": false,
        "description": null,
    })
}

fn branch_json(branch: &str, sha: &str, site: &Site<'_>) -> Value {
    json!({
        "label": format!("{}:{branch}", site.owner()),
        "ref": branch,
        "sha": sha,
        "repo": { "full_name": site.repository, "name": site.repository.split_once('/').map_or("", |(_, n)| n) },
    })
}

/// A pull request as GitHub shows it; `detail`: as its own page does (with `merged`), not as
/// the list does.
fn pull_json(state: &State, p: &PullRequest, site: &Site<'_>, detail: bool) -> Value {
    let (base, repository) = (site.base, site.repository);
    let base_sha = state.branches.get(&p.base).map_or(NO_SHA, String::as_str);
    let closed = p.state == "closed";
    let mut value = json!({
        "url": format!("{base}/api/repos/{repository}/pulls/{}", p.number),
        "id": 1000 + p.number,
        "node_id": format!("PR_{}", p.number),
        "html_url": format!("{base}/{repository}/pull/{}", p.number),
        "issue_url": format!("{base}/api/repos/{repository}/issues/{}", p.number),
        "number": p.number,
        "state": p.state,
        "locked": false,
        "title": p.title,
        "user": { "login": "github-actions[bot]", "type": "Bot" },
        "body": p.body,
        "labels": p.labels.iter().map(|l| label_json(state, l, site)).collect::<Vec<_>>(),
        "created_at": timestamp(p.number),
        "updated_at": timestamp(p.number),
        "closed_at": if closed { json!(timestamp(p.number)) } else { Value::Null },
        "merged_at": if p.merged { json!(timestamp(p.number)) } else { Value::Null },
        "merge_commit_sha": p.merge_commit_sha,
        "head": branch_json(&p.head, &p.head_sha, site),
        "base": branch_json(&p.base, base_sha, site),
        "draft": false,
    });
    if detail {
        value["merged"] = json!(p.merged);
    }
    value
}

/// `/repos/{owner}/{repo}/pulls…` and `/repos/{owner}/{repo}/issues/{n}/labels…`; `rest` is
/// the path after `/repos/{owner}/{repo}/`.
fn route_pulls(state: &mut State, call: &Call<'_>, rest: &str, site: &Site<'_>) -> Reply {
    let parts: Vec<&str> = rest.split('/').collect();
    match (call.method, parts.as_slice()) {
        ("GET", ["pulls"]) => list_pulls(state, call.query, site),
        ("POST", ["pulls"]) => create_pull(state, call.body, site),
        (method, ["pulls", number]) => {
            let Some(index) = number
                .parse::<u64>()
                .ok()
                .and_then(|n| state.pulls.iter().position(|p| p.number == n))
            else {
                return Reply::Status(404, "Not Found");
            };
            match method {
                "GET" => Reply::Json(200, pull_json(state, &state.pulls[index], site, true)),
                "PATCH" => update_pull(state, index, call.body, site),
                _ => Reply::Status(405, "Method Not Allowed"),
            }
        }
        (method, ["issues", number, "labels", name @ ..]) if name.len() <= 1 => {
            let Some(index) = number
                .parse::<u64>()
                .ok()
                .and_then(|n| state.pulls.iter().position(|p| p.number == n))
            else {
                return Reply::Status(404, "Not Found");
            };
            match (method, name) {
                ("GET", []) => Reply::Json(200, labels_json(state, index, site)),
                ("POST", []) => add_labels(state, index, call.body, site),
                ("DELETE", [name]) => {
                    let name = percent_decode(name, false);
                    let labels = &mut state.pulls[index].labels;
                    let Some(at) = labels.iter().position(|l| same_label(l, &name)) else {
                        return Reply::Json(
                            404,
                            json!({
                                "message": "Label does not exist",
                                "documentation_url": "https://docs.github.com/rest/issues/labels#remove-a-label-from-an-issue",
                                "status": "404",
                            }),
                        );
                    };
                    labels.remove(at);
                    Reply::Json(200, labels_json(state, index, site))
                }
                _ => Reply::Status(405, "Method Not Allowed"),
            }
        }
        _ => Reply::Status(404, "Not Found"),
    }
}

fn labels_json(state: &State, index: usize, site: &Site<'_>) -> Value {
    Value::Array(
        state.pulls[index]
            .labels
            .iter()
            .map(|l| label_json(state, l, site))
            .collect(),
    )
}

/// `GET /pulls`: `state` (open, closed, all), `head` (`owner:branch`), `base`, `direction`,
/// `per_page` (30, at most 100), `page`; newest first.
fn list_pulls(state: &State, query: &str, site: &Site<'_>) -> Reply {
    let wanted = query_param(query, "state").unwrap_or_else(|| "open".to_owned());
    if !["open", "closed", "all"].contains(&wanted.as_str()) {
        return validation_failed(json!({
            "resource": "PullRequest", "field": "state", "code": "invalid",
        }));
    }
    // GitHub ignores a head without its owner; another owner's branch (a fork) is not here.
    let head = query_param(query, "head").and_then(|head| {
        head.split_once(':')
            .map(|(owner, branch)| (owner.to_owned(), branch.to_owned()))
    });
    let base = query_param(query, "base");
    let ascending = query_param(query, "direction").as_deref() == Some("asc");
    let per_page = query_param(query, "per_page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(30)
        .clamp(1, 100);
    let page = query_param(query, "page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let mut matching: Vec<&PullRequest> = state
        .pulls
        .iter()
        .filter(|p| wanted == "all" || p.state == wanted)
        .filter(|p| {
            head.as_ref().is_none_or(|(owner, branch)| {
                owner.eq_ignore_ascii_case(site.owner()) && &p.head == branch
            })
        })
        .filter(|p| base.as_ref().is_none_or(|b| &p.base == b))
        .collect();
    if !ascending {
        matching.reverse();
    }
    let items: Vec<Value> = matching
        .iter()
        .skip(per_page * (page - 1))
        .take(per_page)
        .map(|p| pull_json(state, p, site, false))
        .collect();
    let last = matching.len().div_ceil(per_page).max(1);
    if page < last {
        let others: Vec<&str> = query
            .split('&')
            .filter(|kv| !kv.is_empty() && !kv.starts_with("page="))
            .collect();
        let url = |n: usize| {
            let mut query = others.clone();
            let page = format!("page={n}");
            query.push(&page);
            format!(
                "<{}/api/repos/{}/pulls?{}>",
                site.base,
                site.repository,
                query.join("&")
            )
        };
        let link = format!(
            "{}; rel=\"next\", {}; rel=\"last\"",
            url(page + 1),
            url(last)
        );
        return Reply::Page(Value::Array(items), link);
    }
    Reply::Json(200, Value::Array(items))
}

/// `POST /pulls` {title, head, base, body}.
fn create_pull(state: &mut State, body: &[u8], site: &Site<'_>) -> Reply {
    let Ok(spec) = serde_json::from_slice::<Value>(body) else {
        return Reply::Status(400, "Problems parsing JSON");
    };
    for field in ["title", "head", "base"] {
        if spec[field].as_str().is_none_or(|v| v.trim().is_empty()) {
            return validation_failed(json!({
                "resource": "PullRequest", "field": field, "code": "missing_field",
            }));
        }
    }
    let text = |field: &str| spec[field].as_str().unwrap_or_default().to_owned();
    let (title, base) = (text("title"), text("base"));
    let head = match text("head").split_once(':') {
        None => text("head"),
        Some((owner, branch)) if owner.eq_ignore_ascii_case(site.owner()) => branch.to_owned(),
        // A fork's branch: the stand-in has no forks.
        Some(_) => {
            return validation_failed(json!({
                "resource": "PullRequest", "field": "head", "code": "invalid",
            }));
        }
    };
    let head_sha = state
        .branches
        .get(&head)
        .cloned()
        .unwrap_or_else(|| NO_SHA.to_owned());
    let same_commit = state.branches.get(&base).is_some_and(|b| *b == head_sha);
    if head == base || same_commit {
        return custom_failure(None, &format!("No commits between {base} and {head}"));
    }
    if state
        .pulls
        .iter()
        .any(|p| p.state == "open" && p.head == head && p.base == base)
    {
        return custom_failure(
            None,
            &format!("A pull request already exists for {}:{head}.", site.owner()),
        );
    }
    let number = state.pulls.last().map_or(1, |p| p.number + 1);
    let pull = PullRequest {
        number,
        state: "open".to_owned(),
        title,
        body: spec["body"].as_str().map(str::to_owned),
        head,
        head_sha,
        base,
        labels: Vec::new(),
        merged: false,
        merge_commit_sha: None,
    };
    let json = pull_json(state, &pull, site, true);
    state.pulls.push(pull);
    Reply::Json(201, json)
}

/// `PATCH /pulls/{n}` {title, body, state, base}: checked whole before anything changes.
fn update_pull(state: &mut State, index: usize, body: &[u8], site: &Site<'_>) -> Reply {
    let Ok(spec) = serde_json::from_slice::<Value>(body) else {
        return Reply::Status(400, "Problems parsing JSON");
    };
    let current = &state.pulls[index];
    let base = spec["base"].as_str().unwrap_or(&current.base).to_owned();
    match spec["state"].as_str() {
        None | Some("closed") => {}
        Some("open") if current.state == "open" => {}
        Some("open") => {
            if current.merged {
                return custom_failure(
                    Some("state"),
                    "state cannot be changed. The pull request has been merged.",
                );
            }
            if state.not_reopenable.contains(&current.number) {
                return custom_failure(
                    Some("state"),
                    &format!(
                        "state cannot be changed. The {} branch was force-pushed or recreated.",
                        current.head
                    ),
                );
            }
            if state.pulls.iter().any(|p| {
                p.number != current.number
                    && p.state == "open"
                    && p.head == current.head
                    && p.base == base
            }) {
                return custom_failure(
                    Some("state"),
                    &format!(
                        "A pull request already exists for {}:{}.",
                        site.owner(),
                        current.head
                    ),
                );
            }
        }
        Some(_) => {
            return validation_failed(json!({
                "resource": "PullRequest", "field": "state", "code": "invalid",
            }));
        }
    }
    let reopened = spec["state"].as_str() == Some("open") && current.state == "closed";
    let head_sha = state.branches.get(&current.head).cloned();
    let pull = &mut state.pulls[index];
    if let Some(title) = spec["title"].as_str() {
        pull.title = title.to_owned();
    }
    match &spec["body"] {
        Value::String(text) => pull.body = Some(text.clone()),
        Value::Null if spec.get("body").is_some() => pull.body = None,
        _ => {}
    }
    pull.base = base;
    if let Some(wanted) = spec["state"].as_str()
        && !pull.merged
    {
        pull.state = wanted.to_owned();
    }
    if reopened && let Some(sha) = head_sha {
        pull.head_sha = sha;
    }
    Reply::Json(200, pull_json(state, &state.pulls[index], site, true))
}

/// `POST /issues/{n}/labels` {labels: [names or {name}]} (or the bare list): adds, creating
/// the repository's labels it lacks; the issue's labels.
fn add_labels(state: &mut State, index: usize, body: &[u8], site: &Site<'_>) -> Reply {
    let Ok(spec) = serde_json::from_slice::<Value>(body) else {
        return Reply::Status(400, "Problems parsing JSON");
    };
    let list = match &spec {
        Value::Array(items) => items.as_slice(),
        Value::Object(_) => spec["labels"].as_array().map_or(&[][..], Vec::as_slice),
        _ => &[],
    };
    let names: Option<Vec<String>> = list
        .iter()
        .map(|item| {
            item.as_str()
                .or_else(|| item["name"].as_str())
                .map(str::to_owned)
                .filter(|n| !n.trim().is_empty())
        })
        .collect();
    let Some(names) = names.filter(|n| !n.is_empty()) else {
        return validation_failed(json!({
            "resource": "Label", "field": "labels", "code": "invalid",
        }));
    };
    for name in names {
        let known = state.labels.iter().find(|l| same_label(l, &name)).cloned();
        let name = known.unwrap_or_else(|| {
            state.labels.push(name.clone());
            name
        });
        let labels = &mut state.pulls[index].labels;
        if !labels.iter().any(|l| same_label(l, &name)) {
            labels.push(name);
        }
    }
    Reply::Json(200, labels_json(state, index, site))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead as _, BufReader, Read as _, Write as _};

    const TOKEN: &str = "test-token";

    /// One answer: status, headers (names lowercased), JSON body (`Null` when empty).
    struct Answer {
        status: u16,
        headers: Vec<(String, String)>,
        body: Value,
    }

    impl Answer {
        fn header(&self, name: &str) -> Option<&str> {
            self.headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        }

        fn message(&self) -> String {
            let errors = self.body["errors"]
                .as_array()
                .map(|e| {
                    e.iter()
                        .filter_map(|e| e["message"].as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default();
            format!("{} {errors}", self.body["message"].as_str().unwrap_or(""))
        }
    }

    /// A raw HTTP/1.1 exchange, so the test depends on no client library.
    fn call_as(
        standin: &ReleasesStandIn,
        token: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        let address = standin.base.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let request = format!(
            "{method} /api/repos/acme/shop/{path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).unwrap();
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let status = line.split(' ').nth(1).unwrap().parse().unwrap();
        let mut headers = Vec::new();
        loop {
            line.clear();
            reader.read_line(&mut line).unwrap();
            if line.trim().is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').unwrap();
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
        let length: usize = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .map_or(0, |(_, v)| v.parse().unwrap());
        let mut bytes = vec![0; length];
        reader.read_exact(&mut bytes).unwrap();
        Answer {
            status,
            headers,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    fn call(standin: &ReleasesStandIn, method: &str, path: &str, body: Option<Value>) -> Answer {
        call_as(standin, TOKEN, method, path, body)
    }

    fn create(standin: &ReleasesStandIn, head: &str, base: &str, title: &str) -> Answer {
        call(
            standin,
            "POST",
            "pulls",
            Some(json!({"title": title, "head": head, "base": base, "body": "notes"})),
        )
    }

    fn numbers(answer: &Answer) -> Vec<u64> {
        answer
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["number"].as_u64().unwrap())
            .collect()
    }

    #[test]
    fn a_pull_request_is_created_once_per_open_head() {
        let standin = ReleasesStandIn::start("acme/shop", TOKEN);
        let sha = "a".repeat(40);
        standin.set_branch_sha("release", &sha);

        let created = create(&standin, "release", "main", "chore: release 1.2.0");
        assert_eq!(created.status, 201, "{}", created.body);
        let pull = &created.body;
        assert_eq!(pull["number"], 1);
        assert_eq!(pull["state"], "open");
        assert_eq!(pull["title"], "chore: release 1.2.0");
        assert_eq!(pull["body"], "notes");
        assert_eq!(pull["head"]["ref"], "release");
        assert_eq!(pull["head"]["sha"], json!(sha));
        assert_eq!(pull["head"]["label"], "acme:release");
        assert_eq!(pull["base"]["ref"], "main");
        assert_eq!(pull["labels"], json!([]));
        assert_eq!(pull["merged_at"], Value::Null);
        assert_eq!(pull["merge_commit_sha"], Value::Null);
        assert_eq!(pull["merged"], false);
        assert!(
            pull["html_url"]
                .as_str()
                .unwrap()
                .ends_with("/acme/shop/pull/1")
        );

        // The same head and base, open: GitHub's 422, nothing stored.
        for head in ["release", "acme:release"] {
            let again = create(&standin, head, "main", "other");
            assert_eq!(again.status, 422);
            assert_eq!(again.body["message"], "Validation Failed");
            assert_eq!(
                again.body["errors"][0],
                json!({"resource": "PullRequest", "code": "custom",
                       "message": "A pull request already exists for acme:release."})
            );
        }
        assert_eq!(standin.pulls().len(), 1);

        // Another base is another pull request; head == base, a missing title, a fork's head
        // are refused.
        assert_eq!(create(&standin, "release", "v1", "t").status, 201);
        let same = create(&standin, "main", "main", "t");
        assert_eq!(same.status, 422);
        assert!(same.message().contains("No commits between main and main"));
        let untitled = call(
            &standin,
            "POST",
            "pulls",
            Some(json!({"head": "x", "base": "main"})),
        );
        assert_eq!(untitled.status, 422);
        assert_eq!(untitled.body["errors"][0]["code"], "missing_field");
        assert_eq!(untitled.body["errors"][0]["field"], "title");
        assert_eq!(create(&standin, "someone:x", "main", "t").status, 422);
        let garbled = call_as(&standin, TOKEN, "POST", "pulls", None);
        assert_eq!(garbled.status, 400);

        // Once closed, the head may have a new one.
        standin.close_pull(1);
        assert_eq!(create(&standin, "release", "main", "again").status, 201);
        let held = standin.pulls();
        assert_eq!(held.iter().map(|p| p.number).collect::<Vec<_>>(), [3, 2, 1]);
        assert_eq!(held[2].state, "closed");
        assert!(!held[2].merged);
        assert!(held.iter().all(|p| p.head_sha == sha));
    }

    #[test]
    fn the_list_filters_by_owner_head_base_and_state_newest_first() {
        let standin = ReleasesStandIn::start("acme/shop", TOKEN);
        for (head, base) in [("release", "main"), ("feature", "main"), ("release", "v1")] {
            assert_eq!(create(&standin, head, base, "t").status, 201);
        }
        standin.merge_pull(1, &"m".repeat(40));
        assert_eq!(create(&standin, "release", "main", "t").status, 201);
        standin.close_pull(2);

        let list = |query: &str| call(&standin, "GET", &format!("pulls?{query}"), None);
        // Open by default.
        assert_eq!(numbers(&list("")), [4, 3]);
        assert_eq!(numbers(&list("state=all")), [4, 3, 2, 1]);
        assert_eq!(numbers(&list("state=closed")), [2, 1]);
        assert_eq!(numbers(&list("state=all&direction=asc")), [1, 2, 3, 4]);
        assert_eq!(
            numbers(&list("state=all&head=acme:release&base=main")),
            [4, 1]
        );
        // Encoded as a client encodes it.
        assert_eq!(
            numbers(&list("state=all&head=acme%3Arelease&base=main")),
            [4, 1]
        );
        assert_eq!(numbers(&list("state=all&head=acme:release")), [4, 3, 1]);
        // Another owner's branch is a fork's: none here. A bare branch name is ignored.
        assert_eq!(
            numbers(&list("state=all&head=other:release")),
            [] as [u64; 0]
        );
        assert_eq!(numbers(&list("state=all&head=release")), [4, 3, 2, 1]);
        assert_eq!(list("state=merged").status, 422);

        // The merged one reads as merged in the list (no `merged` there) and on its own.
        let all = list("state=all&head=acme:release&base=main");
        let merged = &all.body[1];
        assert_eq!(merged["state"], "closed");
        assert_eq!(merged["merge_commit_sha"], json!("m".repeat(40)));
        assert!(merged["merged_at"].is_string());
        assert!(merged.get("merged").is_none());
        let one = call(&standin, "GET", "pulls/1", None);
        assert_eq!(one.body["merged"], true);
        // No commit set for the branch: forty zeros.
        assert_eq!(one.body["head"]["sha"], NO_SHA);
        assert_eq!(one.body["base"]["sha"], json!("m".repeat(40)));
        assert_eq!(call(&standin, "GET", "pulls/9", None).status, 404);
        assert_eq!(call(&standin, "GET", "pulls/x", None).status, 404);

        // Pages, with GitHub's Link header while there are more.
        let first = list("state=all&per_page=3");
        assert_eq!(numbers(&first), [4, 3, 2]);
        let link = first.header("link").unwrap();
        assert!(
            link.contains("/api/repos/acme/shop/pulls?state=all&per_page=3&page=2>; rel=\"next\""),
            "{link}"
        );
        assert!(link.contains("page=2>; rel=\"last\""), "{link}");
        let second = list("state=all&per_page=3&page=2");
        assert_eq!(numbers(&second), [1]);
        assert_eq!(second.header("link"), None);
        assert_eq!(
            numbers(&list("state=all&per_page=3&page=3")),
            [] as [u64; 0]
        );
    }

    #[test]
    fn a_patch_changes_the_fields_given_and_reopens_as_github_does() {
        let standin = ReleasesStandIn::start("acme/shop", TOKEN);
        assert_eq!(create(&standin, "release", "main", "old").status, 201);
        let patch =
            |n: u64, body: Value| call(&standin, "PATCH", &format!("pulls/{n}"), Some(body));

        let changed = patch(1, json!({"title": "new"}));
        assert_eq!(changed.status, 200);
        assert_eq!(changed.body["title"], "new");
        assert_eq!(changed.body["body"], "notes");
        let changed = patch(1, json!({"body": "more notes"}));
        assert_eq!(changed.body["title"], "new");
        assert_eq!(changed.body["body"], "more notes");

        // Close, then reopen; the head follows its branch when reopened.
        assert_eq!(patch(1, json!({"state": "closed"})).body["state"], "closed");
        standin.set_branch_sha("release", &"b".repeat(40));
        assert_eq!(standin.pull(1).unwrap().head_sha, NO_SHA);
        let reopened = patch(1, json!({"state": "open", "title": "again"}));
        assert_eq!(reopened.status, 200, "{}", reopened.body);
        assert_eq!(reopened.body["state"], "open");
        assert_eq!(reopened.body["title"], "again");
        assert_eq!(reopened.body["head"]["sha"], json!("b".repeat(40)));
        // An open one follows its branch as it moves.
        standin.set_branch_sha("release", &"c".repeat(40));
        assert_eq!(standin.pull(1).unwrap().head_sha, "c".repeat(40));

        // Not while another is open from the same head into the same base.
        standin.close_pull(1);
        assert_eq!(create(&standin, "release", "main", "second").status, 201);
        let refused = patch(1, json!({"state": "open"}));
        assert_eq!(refused.status, 422);
        assert!(
            refused.message().contains("A pull request already exists"),
            "{}",
            refused.message()
        );
        standin.close_pull(2);

        // Not once the head was force-pushed; nothing changed by the refused request.
        standin.forbid_reopen(1);
        let refused = patch(1, json!({"state": "open", "title": "ignored"}));
        assert_eq!(refused.status, 422);
        assert_eq!(refused.body["errors"][0]["field"], "state");
        assert_eq!(
            refused.body["errors"][0]["message"],
            "state cannot be changed. The release branch was force-pushed or recreated."
        );
        assert_eq!(standin.pull(1).unwrap().title, "again");
        assert_eq!(standin.pull(1).unwrap().state, "closed");

        // Never once merged; its title may still change.
        assert_eq!(create(&standin, "release", "main", "third").status, 201);
        standin.merge_pull(3, &"d".repeat(40));
        let refused = patch(3, json!({"state": "open"}));
        assert_eq!(refused.status, 422);
        assert!(
            refused.message().contains("merged"),
            "{}",
            refused.message()
        );
        let retitled = patch(3, json!({"title": "released", "state": "closed"}));
        assert_eq!(retitled.status, 200);
        assert_eq!(retitled.body["title"], "released");
        assert_eq!(retitled.body["merged"], true);
        let merged = standin.pull(3).unwrap();
        assert!(merged.merged);
        assert_eq!(merged.merge_commit_sha, Some("d".repeat(40)));

        assert_eq!(patch(1, json!({"state": "merged"})).status, 422);
        assert_eq!(patch(7, json!({"title": "x"})).status, 404);
    }

    #[test]
    fn labels_are_added_and_removed_by_encoded_name() {
        let standin = ReleasesStandIn::start("acme/shop", TOKEN);
        assert_eq!(create(&standin, "release", "main", "t").status, 201);
        let names = |answer: &Answer| {
            answer
                .body
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["name"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        };

        let added = call(
            &standin,
            "POST",
            "issues/1/labels",
            Some(json!({"labels": ["autorelease: pending", "type/release"]})),
        );
        assert_eq!(added.status, 200, "{}", added.body);
        assert_eq!(names(&added), ["autorelease: pending", "type/release"]);
        // Again, in another case and in GitHub's other shapes: nothing doubles.
        let again = call(
            &standin,
            "POST",
            "issues/1/labels",
            Some(json!({"labels": [{"name": "Autorelease: Pending"}]})),
        );
        assert_eq!(names(&again), ["autorelease: pending", "type/release"]);
        let bare = call(&standin, "POST", "issues/1/labels", Some(json!(["extra"])));
        assert_eq!(
            names(&bare),
            ["autorelease: pending", "type/release", "extra"]
        );
        assert_eq!(
            call(
                &standin,
                "POST",
                "issues/1/labels",
                Some(json!({"labels": []}))
            )
            .status,
            422
        );
        assert_eq!(
            call(
                &standin,
                "POST",
                "issues/9/labels",
                Some(json!({"labels": ["x"]}))
            )
            .status,
            404
        );

        // The name is one encoded path segment.
        let removed = call(
            &standin,
            "DELETE",
            "issues/1/labels/autorelease%3A%20pending",
            None,
        );
        assert_eq!(removed.status, 200, "{}", removed.body);
        assert_eq!(names(&removed), ["type/release", "extra"]);
        let removed = call(&standin, "DELETE", "issues/1/labels/type%2Frelease", None);
        assert_eq!(names(&removed), ["extra"]);
        let missing = call(
            &standin,
            "DELETE",
            "issues/1/labels/autorelease%3A%20pending",
            None,
        );
        assert_eq!(missing.status, 404);
        assert_eq!(missing.body["message"], "Label does not exist");

        let listed = call(&standin, "GET", "issues/1/labels", None);
        assert_eq!(names(&listed), ["extra"]);
        let pull = standin.pull(1).unwrap();
        assert_eq!(pull.labels, ["extra"]);
        assert!(pull.has_label("EXTRA"));
        let read = call(&standin, "GET", "pulls/1", None);
        assert_eq!(read.body["labels"][0]["name"], "extra");
    }

    #[test]
    fn the_token_is_checked_and_faults_are_injected() {
        let standin = ReleasesStandIn::start("acme/shop", TOKEN);
        assert_eq!(call_as(&standin, "wrong", "GET", "pulls", None).status, 401);
        let message = "GitHub Actions is not permitted to create or approve pull requests.";
        standin.fail_next(403, json!({"message": message}));
        let refused = create(&standin, "release", "main", "t");
        assert_eq!(refused.status, 403);
        assert_eq!(refused.body["message"], message);
        assert!(
            standin.pulls().is_empty(),
            "a failed request stores nothing"
        );
        assert_eq!(create(&standin, "release", "main", "t").status, 201);
        assert_eq!(
            standin.requests(),
            [
                "GET /api/repos/acme/shop/pulls",
                "POST /api/repos/acme/shop/pulls",
                "POST /api/repos/acme/shop/pulls",
            ]
        );
    }

    #[test]
    fn escapes_are_decoded() {
        assert_eq!(percent_decode("a%3A%20b%2Fc", false), "a: b/c");
        assert_eq!(percent_decode("a+b", false), "a+b");
        assert_eq!(percent_decode("a+b", true), "a b");
        assert_eq!(percent_decode("r%C3%A9gl%C3%A9", false), "réglé");
        assert_eq!(percent_decode("100%", false), "100%");
        assert_eq!(percent_decode("%zz%4", false), "%zz%4");
        assert_eq!(
            query_param("a=1&head=o%3Ab&x", "head").as_deref(),
            Some("o:b")
        );
        assert_eq!(query_param("a=1&x", "x").as_deref(), Some(""));
        assert_eq!(query_param("a=1", "b"), None);
    }
}

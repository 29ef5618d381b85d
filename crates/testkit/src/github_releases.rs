//! A loopback stand-in for GitHub's releases: the REST API (`/repos/{owner}/{repo}/releases`,
//! assets, uploads) and the public asset host (`/{owner}/{repo}/releases/download/{tag}/{name}`).
//!
//! There is no local GitHub, so this is a stand-in, not a real part. It keeps to what GitHub
//! documents and what the release depends on: drafts are listed only to an authenticated caller
//! and their assets are not downloadable from the public host; an upload URL is a URI template
//! (`.../assets{?name,label}`); a second release with the same tag, or a second asset with the
//! same name, is refused with 422; a published release's assets are served by name. Faults are
//! injected by the test: [`ReleasesStandIn::fail_upload`] answers one upload with HTTP 500.
//!
//! ```no_run
//! let standin = gantry_testkit::ReleasesStandIn::start("owner/repo", "token");
//! // GITHUB_API_URL=standin.api_url(); the actions' GANTRY_RELEASE_BASE_URL=standin.download_base()
//! assert!(standin.releases().is_empty());
//! ```

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

#[derive(Debug, Default)]
struct State {
    delivery: Delivery,
    next_id: u64,
    releases: Vec<Release>,
    uploads_seen: usize,
    fail_upload: Option<usize>,
    requests: Vec<String>,
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

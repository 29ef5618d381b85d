//! [`FakeHttp`]: one HTTP server on loopback for the tests that need a web service no local
//! real part can play (GitHub's REST API, an OIDC token endpoint, a health check, a registry's
//! token endpoint). The test gives a handler; the server records every request and answers
//! each one on a thread of its own, so a handler may sleep to play a slow server.
//!
//! ```
//! use gantry_testkit::http::{FakeHttp, Response};
//!
//! let server = FakeHttp::start(|request| match request.seen {
//!     0 => Response::json(503, &serde_json::json!({"message": "try again"})),
//!     _ => Response::text(200, "ok").header("x-served", "yes"),
//! });
//! let url = format!("{}/health?x=1", server.url());
//! # let _ = url;
//! assert!(server.requests().is_empty());
//! ```

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use serde_json::Value;

/// One request as the server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path with its query, as sent (`/repos/o/r/pulls/1/files?page=2`).
    pub path: String,
    /// The protocol of the request line (`HTTP/1.1`).
    pub version: String,
    /// The headers, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// How many earlier requests had the same method and path: a handler answers the first
    /// try with a fault and the retry with the real answer.
    pub seen: usize,
}

impl Request {
    /// The first header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The path without its query.
    pub fn route(&self) -> &str {
        self.path
            .split_once('?')
            .map_or(&self.path, |(route, _)| route)
    }

    /// Query parameter `name`, as sent.
    pub fn query(&self, name: &str) -> Option<&str> {
        let (_, query) = self.path.split_once('?')?;
        query.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (key == name).then_some(value)
        })
    }

    /// The body as JSON; `Value::Null` when empty or not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// What the server answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status.
    pub status: u16,
    /// Headers besides `Content-Length`.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// `body` as `application/json`.
    pub fn json(status: u16, body: &Value) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".to_owned(), "application/json".to_owned())],
            body: body.to_string().into_bytes(),
        }
    }

    /// `body` as `text/plain`.
    pub fn text(status: u16, body: &str) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".to_owned(), "text/plain".to_owned())],
            body: body.as_bytes().to_vec(),
        }
    }

    /// An empty body.
    pub fn empty(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// With one more header.
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

type Handler = dyn Fn(&Request) -> Response + Send + Sync;

/// The server, on `127.0.0.1` until dropped.
pub struct FakeHttp {
    url: String,
    requests: Arc<Mutex<Vec<Request>>>,
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
}

impl FakeHttp {
    /// Serve every request with `handler`.
    pub fn start(handler: impl Fn(&Request) -> Response + Send + Sync + 'static) -> FakeHttp {
        let server = Arc::new(
            tiny_http::Server::http("127.0.0.1:0")
                .unwrap_or_else(|e| panic!("cannot bind a loopback HTTP server: {e}")),
        );
        let port = server
            .server_addr()
            .to_ip()
            .map(|a| a.port())
            .unwrap_or_else(|| panic!("the loopback HTTP server has no IP address"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let thread = {
            let (server, requests) = (Arc::clone(&server), Arc::clone(&requests));
            std::thread::spawn(move || {
                for incoming in server.incoming_requests() {
                    let (requests, handler) = (Arc::clone(&requests), Arc::clone(&handler));
                    std::thread::spawn(move || serve(incoming, &requests, &*handler));
                }
            })
        };
        FakeHttp {
            url: format!("http://127.0.0.1:{port}"),
            requests,
            server,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`, no trailing `/`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Every request so far, in the order they arrived.
    pub fn requests(&self) -> Vec<Request> {
        lock(&self.requests).clone()
    }

    /// Forget the requests so far.
    pub fn clear_requests(&self) {
        lock(&self.requests).clear();
    }
}

impl fmt::Debug for FakeHttp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeHttp")
            .field("url", &self.url)
            .field("requests", &lock(&self.requests).len())
            .finish_non_exhaustive()
    }
}

impl Drop for FakeHttp {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A port on loopback that nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap_or_else(|e| panic!("cannot bind a loopback port: {e}"));
    listener
        .local_addr()
        .unwrap_or_else(|e| panic!("a bound port has no address: {e}"))
        .port()
}

fn serve(mut incoming: tiny_http::Request, requests: &Mutex<Vec<Request>>, handler: &Handler) {
    let mut body = Vec::new();
    let _ = incoming.as_reader().read_to_end(&mut body);
    let method = incoming.method().as_str().to_owned();
    let path = incoming.url().to_owned();
    let version = format!("HTTP/{}", incoming.http_version());
    let headers = incoming
        .headers()
        .iter()
        .map(|h| {
            (
                h.field.as_str().as_str().to_owned(),
                h.value.as_str().to_owned(),
            )
        })
        .collect();
    let request = {
        let mut all = lock(requests);
        let seen = all
            .iter()
            .filter(|r| r.method == method && r.path == path)
            .count();
        let request = Request {
            method,
            path,
            version,
            headers,
            body,
            seen,
        };
        all.push(request.clone());
        request
    };
    let answer = handler(&request);
    let mut response = tiny_http::Response::from_data(answer.body).with_status_code(answer.status);
    for (name, value) in &answer.headers {
        if let Ok(header) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
            response.add_header(header);
        }
    }
    let _ = incoming.respond(response);
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead as _, BufReader, Write as _};

    /// A raw HTTP/1.1 exchange, so the test depends on no client library.
    fn exchange(url: &str, request: &str) -> String {
        let address = url.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut reader = BufReader::new(stream);
        let mut out = String::new();
        let mut line = String::new();
        let mut length = 0;
        while reader.read_line(&mut line).unwrap() > 0 {
            if line.to_ascii_lowercase().starts_with("content-length:") {
                length = line[15..].trim().parse().unwrap();
            }
            out.push_str(&line);
            if line == "\r\n" {
                break;
            }
            line.clear();
        }
        let mut body = vec![0; length];
        std::io::Read::read_exact(&mut reader, &mut body).unwrap();
        out.push_str(&String::from_utf8_lossy(&body));
        out
    }

    #[test]
    fn records_requests_and_counts_repeats() {
        let server = FakeHttp::start(|request| match request.seen {
            0 => Response::text(503, "again"),
            _ => Response::json(201, &serde_json::json!({"route": request.route()}))
                .header("X-Test", "1"),
        });
        let post = |body: &str| {
            exchange(
                &server.url(),
                &format!(
                    "POST /a/b?page=2&x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                ),
            )
        };
        let first = post("{\"n\":1}");
        assert!(first.starts_with("HTTP/1.1 503"), "{first}");
        assert!(first.ends_with("again"), "{first}");
        let second = post("{\"n\":2}");
        assert!(second.starts_with("HTTP/1.1 201"), "{second}");
        assert!(second.contains("X-Test: 1"), "{second}");
        assert!(second.ends_with(r#"{"route":"/a/b"}"#), "{second}");
        let requests = server.requests();
        assert_eq!(requests.len(), 2);
        assert_eq!((requests[0].seen, requests[1].seen), (0, 1));
        assert_eq!(requests[1].method, "POST");
        assert_eq!(requests[1].version, "HTTP/1.1");
        assert_eq!(requests[1].query("page"), Some("2"));
        assert_eq!(requests[1].query("x"), Some(""));
        assert_eq!(requests[1].query("y"), None);
        assert_eq!(requests[1].header("authorization"), Some("Bearer t"));
        assert_eq!(requests[1].json()["n"], 2);
        server.clear_requests();
        assert!(server.requests().is_empty());
    }

    #[test]
    fn a_closed_port_refuses() {
        let port = closed_port();
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
    }
}

//! A loopback HTTP/1.1 proxy in front of a real service that injects faults on request: an
//! error status, a connection closed without an answer, or a delay. Everything else is forwarded to the
//! real service unchanged, so a test sees real behaviour plus exactly the faults it asked for.
//!
//! It answers one request per connection (`Connection: close`), which every HTTP client
//! handles, and records each request's method, path and headers for assertions.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// What to do with the next request instead of forwarding it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status and a short body, without forwarding.
    Status(u16),
    /// Read the request, then close the connection without a byte of answer.
    Drop,
    /// Hold the request this long, then forward it: a slow API whose call still lands.
    Delay(Duration),
}

/// One request as the proxy received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The fault injected for it, if any.
    pub fault: Option<Fault>,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Default)]
struct State {
    faults: VecDeque<Fault>,
    requests: Vec<RecordedRequest>,
}

/// The proxy; stops accepting when dropped.
#[derive(Debug)]
pub struct FaultProxy {
    addr: std::net::SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl FaultProxy {
    /// Listens on 127.0.0.1 (a free port) and forwards to `upstream` (`host:port` or an
    /// `http://host:port` URL).
    pub fn start(upstream: &str) -> FaultProxy {
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (state2, stop2) = (state.clone(), stop.clone());
        thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (state, upstream) = (state2.clone(), upstream.clone());
                thread::spawn(move || {
                    let _ = handle(conn, &upstream, &state);
                });
            }
        });
        FaultProxy { addr, state, stop }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Queue faults for the next requests, in order; later requests are forwarded.
    pub fn inject(&self, faults: impl IntoIterator<Item = Fault>) {
        self.lock().faults.extend(faults);
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
    }
}

fn handle(conn: TcpStream, upstream: &str, state: &Mutex<State>) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line)? == 0 {
        return Ok(());
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            break;
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;

    let fault = {
        let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
        let fault = s.faults.pop_front();
        s.requests.push(RecordedRequest {
            method: method.clone(),
            path: path.clone(),
            headers: headers.clone(),
            fault: fault.clone(),
        });
        fault
    };
    let mut conn = conn;
    match fault {
        Some(Fault::Drop) => {
            conn.shutdown(Shutdown::Both)?;
        }
        Some(Fault::Status(code)) => {
            let body = format!("fault injected by gantry's test proxy: {code}\n");
            write!(
                conn,
                "HTTP/1.1 {code} Injected\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            )?;
        }
        Some(Fault::Delay(_)) | None => {
            if let Some(Fault::Delay(hold)) = fault {
                thread::sleep(hold);
            }
            let mut up = TcpStream::connect(upstream)?;
            write!(up, "{method} {path} HTTP/1.1\r\n")?;
            for (k, v) in &headers {
                if k != "connection" {
                    write!(up, "{k}: {v}\r\n")?;
                }
            }
            write!(up, "connection: close\r\n\r\n")?;
            up.write_all(&body)?;
            let mut response = Vec::new();
            up.read_to_end(&mut response)?;
            conn.write_all(&response)?;
        }
    }
    conn.flush()
}

//! Quick, std-only health checks: one HTTP/1.1 GET over TCP or a unix socket.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::time::Duration;

/// Short: the services run on this machine and answer in milliseconds.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(3);

/// GET `path` from `authority` (`host:port`) and return the status code.
pub(crate) fn http_get_tcp(authority: &str, path: &str) -> Result<u16, String> {
    let addrs: Vec<_> = authority
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {authority}: {e}"))?
        .collect();
    let mut last = format!("{authority} resolves to no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, TIMEOUT) {
            Ok(stream) => {
                stream
                    .set_read_timeout(Some(TIMEOUT))
                    .and_then(|()| stream.set_write_timeout(Some(TIMEOUT)))
                    .map_err(|e| e.to_string())?;
                return request(stream, authority, path);
            }
            Err(e) => last = format!("cannot connect to {addr}: {e}"),
        }
    }
    Err(last)
}

/// GET `path` over the unix socket at `socket` and return the status code.
#[cfg(unix)]
pub(crate) fn http_get_unix(socket: &str, path: &str) -> Result<u16, String> {
    let stream =
        UnixStream::connect(socket).map_err(|e| format!("cannot connect to {socket}: {e}"))?;
    stream
        .set_read_timeout(Some(TIMEOUT))
        .and_then(|()| stream.set_write_timeout(Some(TIMEOUT)))
        .map_err(|e| e.to_string())?;
    request(stream, "localhost", path)
}

/// The Docker engine the tests use listens on a unix socket: elsewhere there is none.
#[cfg(not(unix))]
pub(crate) fn http_get_unix(socket: &str, _path: &str) -> Result<u16, String> {
    Err(format!(
        "cannot connect to {socket}: unix sockets are Unix-only"
    ))
}

fn request(mut stream: impl Read + Write, host: &str, path: &str) -> Result<u16, String> {
    let req = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(req.as_bytes())
        .map_err(|e| format!("GET {path}: cannot send: {e}"))?;
    // The status line is all we need; read until it is complete.
    let mut head = Vec::with_capacity(64);
    let mut buf = [0u8; 256];
    while !head.windows(2).any(|w| w == b"\r\n") {
        let n = stream
            .read(&mut buf)
            .map_err(|e| format!("GET {path}: no answer: {e}"))?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
        if head.len() > 4096 {
            break;
        }
    }
    let line = String::from_utf8_lossy(&head);
    let line = line.lines().next().unwrap_or_default();
    let mut parts = line.split_whitespace();
    match (parts.next(), parts.next().map(str::parse::<u16>)) {
        (Some(v), Some(Ok(code))) if v.starts_with("HTTP/") => Ok(code),
        _ => Err(format!("GET {path}: not an HTTP answer: {line:?}")),
    }
}

/// `http://host:port/anything` -> `host:port`.
pub(crate) fn authority(url: &str) -> Result<&str, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{url:?} is not an http:// URL"))?;
    let auth = rest.split('/').next().unwrap_or_default();
    if auth.is_empty() {
        return Err(format!("{url:?} has no host"));
    }
    Ok(auth)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn authority_of_urls() {
        assert_eq!(
            authority("http://127.0.0.1:5000").unwrap(),
            "127.0.0.1:5000"
        );
        assert_eq!(authority("http://h:1/x/y").unwrap(), "h:1");
        assert!(authority("https://h:1").is_err());
        assert!(authority("http://").is_err());
    }

    #[test]
    fn reads_the_status_of_a_tiny_server() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = [0u8; 1024];
            let n = s.read(&mut buf).unwrap();
            assert!(String::from_utf8_lossy(&buf[..n]).starts_with("GET /v2/ HTTP/1.1\r\n"));
            s.write_all(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n")
                .unwrap();
        });
        assert_eq!(http_get_tcp(&addr, "/v2/").unwrap(), 401);
        server.join().unwrap();
    }

    #[test]
    fn a_closed_port_is_an_error() {
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let err = http_get_tcp(&format!("127.0.0.1:{port}"), "/").unwrap_err();
        assert!(err.contains("cannot connect"), "{err}");
    }
}

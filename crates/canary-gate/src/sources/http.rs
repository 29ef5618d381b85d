//! The HTTP the `prometheus`, `datadog` and `web` sources share: one blocking request with a
//! timeout, no redirects (a redirect would carry the credentials elsewhere), statuses read
//! rather than raised, and the query-string encoding SigV4 signs.

use std::time::Duration;

use base64::Engine as _;

/// A response: status and body (at most 10 MB, ureq's limit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// canary-gate's HTTP client for everything it calls but AWS (sources, webhooks): the whole
/// request within `timeout`, statuses read rather than raised, no redirects.
pub fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .user_agent(concat!("gantry-canary-gate/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

/// Sends one request. Errors are transport errors (no connection, timeout, unreadable body);
/// any status is an [`Answer`].
pub fn send(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Option<&str>,
    timeout: Duration,
) -> Result<Answer, String> {
    let agent = agent(timeout);
    let response = if method == "POST" {
        let mut request = agent.post(url);
        for (k, v) in headers {
            request = request.header(k.as_str(), v.as_str());
        }
        request.send(body.unwrap_or_default())
    } else {
        let mut request = agent.get(url);
        for (k, v) in headers {
            request = request.header(k.as_str(), v.as_str());
        }
        request.call()
    };
    let mut response = response.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .read_to_string()
        .map_err(|e| format!("reading the answer failed: {e}"))?;
    Ok(Answer { status, body })
}

/// `k=v&k=v` with every byte but SigV4's unreserved ones (`A-Z a-z 0-9 - _ . ~`)
/// percent-encoded, so the server reads back exactly what was signed.
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encodes every byte but the unreserved ones.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `Basic base64(user:password)`.
pub fn basic_auth(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// The start of a body for a message: one line, at most 200 characters.
pub fn excerpt(body: &str) -> String {
    let line: String = body
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    if body.trim().chars().count() > 200 {
        format!("{line}…")
    } else {
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_encode_all_but_unreserved_bytes() {
        assert_eq!(
            query_string(&[("query", r#"sum(x{a="b c",d=~"5.."})"#), ("time", "1.5")]),
            "query=sum%28x%7Ba%3D%22b%20c%22%2Cd%3D~%225..%22%7D%29&time=1.5"
        );
        assert_eq!(encode("a+b/é"), "a%2Bb%2F%C3%A9");
    }

    #[test]
    fn basic_auth_and_excerpts() {
        assert_eq!(
            basic_auth("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(excerpt("  a\nb  "), "a b");
        assert_eq!(excerpt(&"x".repeat(300)).chars().count(), 201);
    }
}

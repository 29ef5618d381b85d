//! What of GitHub's answers a tool shows, and how paths and links are read and written.

use serde::Deserialize;
use serde_json::Value;

/// How much of an answer is quoted in an error.
pub const MAX_MESSAGE_SHOWN: usize = 1000;

/// GitHub's `message` (and the `errors` of a 422) from an error body, else the body itself,
/// shortened; "no message" for an empty body.
pub fn error_message(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct ErrorJson {
        #[serde(default)]
        message: Option<String>,
        #[serde(default)]
        errors: Vec<Value>,
    }
    match serde_json::from_slice::<ErrorJson>(body) {
        Ok(ErrorJson {
            message: Some(message),
            errors,
        }) => {
            let details: Vec<String> = errors
                .iter()
                .map(|e| match e {
                    Value::String(s) => s.clone(),
                    Value::Object(o) => o
                        .get("message")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                        .or_else(|| o.get("code").and_then(Value::as_str).map(str::to_owned))
                        .unwrap_or_else(|| e.to_string()),
                    other => other.to_string(),
                })
                .collect();
            if details.is_empty() {
                shorten(&message)
            } else {
                shorten(&format!("{message}: {}", details.join("; ")))
            }
        }
        _ => {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            if text.is_empty() {
                "no message".to_owned()
            } else {
                shorten(text)
            }
        }
    }
}

/// `text` cut at [`MAX_MESSAGE_SHOWN`] characters, with `…` when cut.
pub fn shorten(text: &str) -> String {
    match text.char_indices().nth(MAX_MESSAGE_SHOWN) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// Percent-encode a path segment such as a tag name (`#`, `%`, `+`, … would change the
/// route); `/` stays, because GitHub's ref routes take it as is.
pub fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// True when a `Link` header has a `rel="next"` entry. Only the fact is used: callers build
/// the next URL from the API URL, so the token is never sent to a host a response names.
pub fn has_next(link: &str) -> bool {
    link.split(',').any(|part| {
        part.split(';').skip(1).any(|param| {
            let param = param.trim();
            param == "rel=\"next\"" || param == "rel=next"
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_give_github_s_message() {
        let cases: &[(&str, &str)] = &[
            (
                r#"{"message":"Reference already exists","documentation_url":"x"}"#,
                "Reference already exists",
            ),
            (
                r#"{"message":"Validation Failed","errors":[{"resource":"Release","code":"already_exists","field":"tag_name"}]}"#,
                "Validation Failed: already_exists",
            ),
            (
                r#"{"message":"Validation Failed","errors":["one", {"message":"two"}, 3]}"#,
                "Validation Failed: one; two; 3",
            ),
            ("", "no message"),
            ("  \n", "no message"),
            ("<html>bad gateway</html>", "<html>bad gateway</html>"),
        ];
        for (body, message) in cases {
            assert_eq!(error_message(body.as_bytes()), *message, "{body}");
        }
        let long = "x".repeat(MAX_MESSAGE_SHOWN + 5);
        assert_eq!(
            error_message(long.as_bytes()).chars().count(),
            MAX_MESSAGE_SHOWN + 1
        );
    }

    #[test]
    fn paths_are_percent_encoded() {
        let cases = [
            ("v1.0.0", "v1.0.0"),
            ("pkg/v1.0.0+build.1", "pkg/v1.0.0%2Bbuild.1"),
            ("a#b%c", "a%23b%25c"),
            ("é", "%C3%A9"),
            ("a b?", "a%20b%3F"),
        ];
        for (path, encoded) in cases {
            assert_eq!(encode_path(path), encoded, "{path}");
        }
    }

    #[test]
    fn link_headers_say_whether_there_is_a_next_page() {
        let cases = [
            (
                r#"<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=5>; rel="last""#,
                true,
            ),
            ("<https://api.github.com/x?page=2>; rel=next", true),
            (
                r#"<https://api.github.com/x?page=1>; rel="prev", <https://api.github.com/x?page=1>; rel="first""#,
                false,
            ),
            ("", false),
            ("rel=\"next\"", false),
        ];
        for (link, next) in cases {
            assert_eq!(has_next(link), next, "{link}");
        }
    }
}

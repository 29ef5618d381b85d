//! How a new value is written into a scalar's bytes: in the scalar's own style, except that a
//! plain scalar whose new value YAML would read as something other than a string (`1.10`,
//! `true`, `null`, `0x1F`, `1e3`, `2024-01-15`) is written double-quoted.
//!
//! The resolvers of YAML 1.1 and 1.2 are both taken into account: Helm and the Kubernetes tools
//! read YAML with go-yaml, where `yes`, `on`, `0777` and `1_000` are not strings either.

use granit_parser::ScalarStyle;

/// Whether a plain scalar with this text is a string for YAML 1.1 and 1.2 alike.
pub(super) fn plain_is_string(s: &str) -> bool {
    !(is_null(s) || is_bool(s) || is_number(s) || is_timestamp(s) || matches!(s, "=" | "<<"))
}

fn is_null(s: &str) -> bool {
    matches!(s, "" | "~" | "null" | "Null" | "NULL")
}

fn is_bool(s: &str) -> bool {
    matches!(
        s,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
            | "on"
            | "On"
            | "ON"
            | "off"
            | "Off"
            | "OFF"
    )
}

fn all(s: &str, f: impl Fn(char) -> bool) -> bool {
    !s.is_empty() && s.chars().all(f)
}

/// Integers and floats of either schema: `12`, `-1`, `0x1F`, `0o17`, `0777`, `0b101`, `1_000`,
/// `1.10`, `.5`, `1.`, `1e3`, `6.8523015e+5`, `190:20:30` (sexagesimal), `.inf`, `.NaN`.
fn is_number(s: &str) -> bool {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let lower = unsigned.to_ascii_lowercase();
    if matches!(lower.as_str(), ".inf" | ".nan") {
        return true;
    }
    if let Some(hex) = lower.strip_prefix("0x") {
        return all(hex, |c| c.is_ascii_hexdigit() || c == '_');
    }
    if let Some(oct) = lower.strip_prefix("0o") {
        return all(oct, |c| ('0'..='7').contains(&c) || c == '_');
    }
    if let Some(bin) = lower.strip_prefix("0b") {
        return all(bin, |c| c == '0' || c == '1' || c == '_');
    }
    if unsigned.contains(':') {
        return unsigned.starts_with(|c: char| c.is_ascii_digit())
            && unsigned
                .split(':')
                .all(|part| all(part, |c| c.is_ascii_digit() || c == '_' || c == '.'));
    }
    let (mantissa, exponent) = match lower.split_once('e') {
        Some((m, e)) => (m, Some(e)),
        None => (lower.as_str(), None),
    };
    if let Some(e) = exponent {
        let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
        if !all(digits, |c| c.is_ascii_digit()) {
            return false;
        }
    }
    mantissa.chars().any(|c| c.is_ascii_digit())
        && mantissa.chars().filter(|&c| c == '.').count() <= 1
        && all(mantissa, |c| c.is_ascii_digit() || c == '_' || c == '.')
        && !mantissa.starts_with('_')
}

/// A YAML 1.1 timestamp: `2001-12-14`, `2001-12-14t21:59:43.10-05:00`, `2001-12-14 21:59:43`.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    if !(digits(0..4) && b.get(4) == Some(&b'-')) {
        return false;
    }
    // month: 1 or 2 digits, then '-', then the day: 1 or 2 digits.
    let month_len = if digits(5..7) {
        2
    } else if digits(5..6) {
        1
    } else {
        return false;
    };
    let after_month = 5 + month_len;
    if b.get(after_month) != Some(&b'-') {
        return false;
    }
    let day_start = after_month + 1;
    let day_len = if digits(day_start..day_start + 2) {
        2
    } else if digits(day_start..day_start + 1) {
        1
    } else {
        return false;
    };
    match b.get(day_start + day_len) {
        None => true,
        Some(b'T' | b't' | b' ' | b'\t') => b
            .get(day_start + day_len + 1)
            .is_some_and(u8::is_ascii_digit),
        Some(_) => false,
    }
}

/// Whether `s` can be written as a plain scalar and be read back as the same string.
pub(super) fn can_be_plain(s: &str, in_flow: bool) -> bool {
    plain_is_string(s)
        && !s.starts_with([
            '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%',
            '@', '`', ' ', '\t',
        ])
        && !s.ends_with([' ', '\t', ':'])
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.contains(":\t")
        && !s.contains("\t#")
        && !s.chars().any(|c| c.is_control() || c == '\u{feff}')
        && !(in_flow && s.contains([',', '[', ']', '{', '}']))
}

/// `s` as a double-quoted scalar.
pub(super) fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || c == '\u{feff}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `s` as a single-quoted scalar (`'` doubled).
pub(super) fn single_quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The bytes that replace a scalar written in `style` so that it reads `value`; `None` for a
/// block scalar (the caller refuses those).
pub(super) fn render(style: ScalarStyle, value: &str, in_flow: bool) -> Option<String> {
    match style {
        ScalarStyle::Plain => Some(render_new(value, in_flow)),
        ScalarStyle::SingleQuoted if !value.chars().any(char::is_control) => {
            Some(single_quoted(value))
        }
        ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => Some(double_quoted(value)),
        _ => None,
    }
}

/// A new value (an added key's): plain when it reads back as the same string, else quoted.
pub(super) fn render_new(value: &str, in_flow: bool) -> String {
    if can_be_plain(value, in_flow) {
        value.to_owned()
    } else {
        double_quoted(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_strings() {
        for s in [
            "",
            "~",
            "null",
            "NULL",
            "true",
            "False",
            "yes",
            "Y",
            "on",
            "OFF",
            "1",
            "-1",
            "+12",
            "1.10",
            "1.0",
            ".5",
            "1.",
            "1e3",
            "1E3",
            "6.8523015e+5",
            "0x1F",
            "0o17",
            "0777",
            "0b101",
            "1_000",
            "190:20:30",
            ".inf",
            "-.Inf",
            ".NaN",
            "2024-01-15",
            "2024-1-5",
            "2001-12-14t21:59:43.10-05:00",
            "2001-12-14 21:59:43",
            "=",
            "<<",
        ] {
            assert!(!plain_is_string(s), "{s:?} is not a string in YAML");
            assert!(!can_be_plain(s, false), "{s:?} must be quoted");
        }
    }

    #[test]
    fn strings() {
        for s in [
            "v1",
            "1.2.3",
            "v1.10",
            "sha-abc123",
            "latest",
            "1.0-alpine",
            "nginx:1.27",
            "reg.io:5000/app:v1",
            "2024-01-15-abc",
            "20240115",
            "e3",
            "1e",
            "0x",
            "_1",
            "1.2e3.4",
            "main",
            "yes-please",
            "nope",
            "app@sha256:abc",
            "1_0a",
        ] {
            // "20240115" is an integer.
            let expected = s != "20240115";
            assert_eq!(plain_is_string(s), expected, "{s:?}");
        }
        assert!(can_be_plain("reg.io:5000/app:v1", true));
        assert!(!can_be_plain("a, b", true));
        assert!(can_be_plain("a,b", false));
        for s in [
            "a: b", "a #b", "-a", "*x", "&x", "!x", "'x", "\"x", "x:", " x", "x ", "@x",
        ] {
            assert!(!can_be_plain(s, false), "{s:?}");
        }
    }

    #[test]
    fn quoting() {
        assert_eq!(double_quoted(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(double_quoted("a\tb\u{1}"), "\"a\\tb\\u0001\"");
        assert_eq!(double_quoted("é"), "\"é\"");
        assert_eq!(single_quoted("it's"), "'it''s'");
        assert_eq!(
            render(ScalarStyle::Plain, "1.10", false).unwrap(),
            "\"1.10\""
        );
        assert_eq!(render(ScalarStyle::Plain, "v1.10", false).unwrap(), "v1.10");
        assert_eq!(
            render(ScalarStyle::SingleQuoted, "1.10", false).unwrap(),
            "'1.10'"
        );
        assert_eq!(
            render(ScalarStyle::DoubleQuoted, "v2", false).unwrap(),
            "\"v2\""
        );
        assert_eq!(render(ScalarStyle::Literal, "v2", false), None);
        assert_eq!(render(ScalarStyle::Folded, "v2", false), None);
    }
}

//! Placeholders in queries, URLs and bodies: `{{name}}`, with optional spaces inside the
//! braces (`{{ selector }}`). A name is a letter followed by letters, digits, `-` or `_`.
//!
//! PromQL puts label matchers in braces, so a placeholder often sits inside a pair of them:
//! `http_requests_total{{{selector}}}` is `{` + `{{selector}}` + `}`. The scan takes the
//! leftmost `{{` that starts a well-formed placeholder, so that reads as intended. Anything
//! else in braces (`{code=~"5.."}`, `{{` not followed by a name and `}}`) is plain text.

use std::time::Duration;

/// One placeholder found in a text: its byte range (braces included) and its name.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Found<'a> {
    start: usize,
    end: usize,
    name: &'a str,
}

fn scan(text: &str) -> Vec<Found<'_>> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(offset) = text.get(i..).and_then(|rest| rest.find("{{")) {
        let open = i + offset;
        let inner_start = open + 2;
        let placeholder = text.get(inner_start..).and_then(|rest| {
            let close = rest.find("}}")?;
            let name = rest.get(..close)?.trim();
            is_name(name).then_some((name, inner_start + close + 2))
        });
        match placeholder {
            Some((name, end)) => {
                out.push(Found {
                    start: open,
                    end,
                    name,
                });
                i = end;
            }
            // `{{{x}}}`: the next `{{` may start one.
            None => i = open + 1,
        }
    }
    out
}

fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The names of the placeholders in `text`, in order (repeats included).
pub fn names(text: &str) -> Vec<&str> {
    scan(text).into_iter().map(|f| f.name).collect()
}

/// Whether `text` holds the placeholder `name`.
pub fn uses(text: &str, name: &str) -> bool {
    names(text).contains(&name)
}

/// The first placeholder of `text` that is not in `allowed`.
pub fn unknown<'a>(text: &'a str, allowed: &[&str]) -> Option<&'a str> {
    names(text).into_iter().find(|n| !allowed.contains(n))
}

/// `text` with each placeholder named in `values` replaced by its value; placeholders not
/// named there are left as they are (a later step fills them). Values are inserted as they
/// are: a value is never scanned for placeholders itself.
pub fn fill(text: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for f in scan(text) {
        if let Some((_, value)) = values.iter().find(|(n, _)| *n == f.name) {
            out.push_str(text.get(last..f.start).unwrap_or_default());
            out.push_str(value);
            last = f.end;
        }
    }
    out.push_str(text.get(last..).unwrap_or_default());
    out
}

/// A duration as PromQL writes it: `1h`, `5m`, `30s`, `1500ms`, in the largest unit that
/// divides it. This is what `{{interval}}` becomes in every source.
pub fn promql_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms == 0 {
        return "0s".into();
    }
    if !ms.is_multiple_of(1000) {
        return format!("{ms}ms");
    }
    let s = ms / 1000;
    if s.is_multiple_of(3600) {
        format!("{}h", s / 3600)
    } else if s.is_multiple_of(60) {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_fill_inside_label_braces_and_leave_the_rest() {
        // (name, template, values, filled)
        type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)], &'a str);
        let sel: &[(&str, &str)] = &[("selector", r#"version="canary""#)];
        let table: &[Case] = &[
            (
                "selector among other matchers",
                r#"sum(rate(http_requests_total{code=~"5..",{{selector}}}[1m]))"#,
                sel,
                r#"sum(rate(http_requests_total{code=~"5..",version="canary"}[1m]))"#,
            ),
            (
                "selector as the only matchers: three braces",
                "sum(up{{{selector}}})",
                sel,
                r#"sum(up{version="canary"})"#,
            ),
            (
                "spaces inside the braces",
                "x{ {{ selector }} }",
                sel,
                r#"x{ version="canary" }"#,
            ),
            (
                "an unfilled placeholder stays for later",
                "increase(x{{{selector}}}[{{interval}}])",
                sel,
                r#"increase(x{version="canary"}[{{interval}}])"#,
            ),
            (
                "both, and repeated",
                "a{{{selector}}}[{{interval}}] / b{{{selector}}}[{{interval}}]",
                &[("selector", "v=\"1\""), ("interval", "1m")],
                "a{v=\"1\"}[1m] / b{v=\"1\"}[1m]",
            ),
            (
                "datadog tags",
                "sum:trace.errors{service:web,{{selector}}}.as_count()",
                &[("selector", "version:canary")],
                "sum:trace.errors{service:web,version:canary}.as_count()",
            ),
            (
                "a value is not scanned again",
                "{{selector}}",
                &[("selector", "{{interval}}")],
                "{{interval}}",
            ),
            (
                "braces that are no placeholder",
                "{{ not a name }} {{1x}} {{",
                sel,
                "{{ not a name }} {{1x}} {{",
            ),
            (
                "non-ASCII text around it",
                "é{{selector}}ü",
                &[("selector", "ß")],
                "éßü",
            ),
        ];
        for (name, template, values, want) in table {
            assert_eq!(fill(template, values), *want, "{name}");
        }
    }

    #[test]
    fn names_and_unknown_placeholders() {
        let q = "x{{{selector}}}[{{ interval }}] {{Selector}} {{start}}";
        assert_eq!(names(q), ["selector", "interval", "Selector", "start"]);
        assert!(uses(q, "interval"));
        assert!(!uses("x{a=\"b\"}", "selector"));
        assert_eq!(unknown(q, &["selector", "interval"]), Some("Selector"));
        assert_eq!(
            unknown(q, &["selector", "interval", "Selector", "start"]),
            None
        );
    }

    #[test]
    fn durations_are_written_as_promql_reads_them() {
        let table = [
            (Duration::from_secs(60), "1m"),
            (Duration::from_secs(90), "90s"),
            (Duration::from_secs(7200), "2h"),
            (Duration::from_millis(1500), "1500ms"),
            (Duration::from_secs(5), "5s"),
            (Duration::ZERO, "0s"),
        ];
        for (d, want) in table {
            assert_eq!(promql_duration(d), want, "{d:?}");
        }
    }
}

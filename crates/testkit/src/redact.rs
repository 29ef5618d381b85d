//! What changes from run to run in a tool's job summary, replaced by a stable word, so that a
//! summary can be an insta snapshot: commit SHAs, image digests, loopback ports, temporary
//! paths, account ids, ECS and CodeDeploy deployment ids, dates, times and durations. A test adds the values it knows (a
//! repository's SHAs, a cluster's name) with [`redact_with`].
//!
//! ```
//! let summary = "| `4c3f0a9` | deployed in 12.4 s to 127.0.0.1:4566 |";
//! assert_eq!(
//!     gantry_testkit::redact::redact_with(summary, &[("4c3f0a9", "[head]")]),
//!     "| `[head]` | deployed in [duration] to 127.0.0.1:[port] |"
//! );
//! ```

use std::sync::OnceLock;

use regex::Regex;

/// The patterns, in the order they apply (longer shapes first, so a digest is not taken for
/// a SHA).
fn rules() -> &'static [(Regex, &'static str)] {
    static RULES: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    RULES.get_or_init(|| {
        [
            (r"sha256:[0-9a-f]{64}", "sha256:[digest]"),
            (r"\b[0-9a-f]{40}\b", "[sha]"),
            (r"(127\.0\.0\.1|localhost):\d+", "$1:[port]"),
            // ECS deployment ids, CodeDeploy deployment ids.
            (r"\becs-svc/\d+", "ecs-svc/[id]"),
            (r"\bd-[A-Z0-9]{9}\b", "d-[id]"),
            // gantry_ecs::diff::conceal: keyed per run.
            (r"value #[0-9a-f]{8}\b", "value #[hash]"),
            (r"(/tmp|/var/folders)/[^\s`|)\]]+", "[tmp]"),
            (r"\b\d{12}\b", "[account]"),
            (
                r"\b\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:?\d{2})?)?",
                "[date]",
            ),
            (r"\b\d{2}:\d{2}:\d{2}\b", "[time]"),
            (r"\b(\d+m ?)?\d+s\b", "[duration]"),
            (r"\b\d+(\.\d+)?\s?(ms|s|min)\b", "[duration]"),
        ]
        .into_iter()
        .map(|(pattern, word)| {
            let regex =
                Regex::new(pattern).unwrap_or_else(|e| panic!("redaction pattern {pattern}: {e}"));
            (regex, word)
        })
        .collect()
    })
}

/// `text` with what changes between runs replaced (see the module).
pub fn redact(text: &str) -> String {
    redact_with(text, &[])
}

/// [`redact`], after replacing each `known` value (longest first) by its word.
pub fn redact_with(text: &str, known: &[(&str, &str)]) -> String {
    let mut known = known.to_vec();
    known.sort_by_key(|(value, _)| std::cmp::Reverse(value.len()));
    let mut out = text.to_owned();
    for (value, word) in known {
        if !value.is_empty() {
            out = out.replace(value, word);
        }
    }
    for (regex, word) in rules() {
        out = regex.replace_all(&out, *word).into_owned();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_changes_between_runs_is_replaced() {
        let sha = "0123456789abcdef0123456789abcdef01234567";
        let digest = format!("sha256:{}", "ab".repeat(32));
        let cases = [
            (format!("commit {sha}"), "commit [sha]".to_owned()),
            (
                format!("image@{digest}"),
                "image@sha256:[digest]".to_owned(),
            ),
            (
                "http://127.0.0.1:54321/x".to_owned(),
                "http://127.0.0.1:[port]/x".to_owned(),
            ),
            (
                "wrote /tmp/.tmpAb12/notes.md".to_owned(),
                "wrote [tmp]".to_owned(),
            ),
            ("| /tmp/x | y |".to_owned(), "| [tmp] | y |".to_owned()),
            (
                "arn:aws:ecs:us-east-1:123456789012:service/c/s".to_owned(),
                "arn:aws:ecs:us-east-1:[account]:service/c/s".to_owned(),
            ),
            (
                "released 2026-12-07".to_owned(),
                "released [date]".to_owned(),
            ),
            ("at 2026-12-07T12:01:02Z".to_owned(), "at [date]".to_owned()),
            ("at 12:01:02".to_owned(), "at [time]".to_owned()),
            (
                "deployment ecs-svc/4587114888 of".to_owned(),
                "deployment ecs-svc/[id] of".to_owned(),
            ),
            (
                "CodeDeploy d-ABCDEF123 failed".to_owned(),
                "CodeDeploy d-[id] failed".to_owned(),
            ),
            (
                "took 12.4 s, 80ms, 3s, 1m 05s".to_owned(),
                "took [duration], [duration], [duration], [duration]".to_owned(),
            ),
            // Kept: versions, counts, revision numbers, short words.
            (
                "v1.2.3 (3 files, revision 12)".to_owned(),
                "v1.2.3 (3 files, revision 12)".to_owned(),
            ),
        ];
        for (text, redacted) in cases {
            assert_eq!(redact(&text), redacted, "{text}");
        }
    }

    #[test]
    fn known_values_first_longest_first() {
        assert_eq!(
            redact_with(
                "abc1234 and abc1234567",
                &[("abc1234", "[a]"), ("abc1234567", "[b]")]
            ),
            "[a] and [b]"
        );
    }
}

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Table-driven tests of the Conventional Commits parser, the release rules and the analyzer.

use semantic_version::analyze::{
    Analysis, AnalyzeError, AnalyzeOptions, CommitStatus, MergeHandling, analyze,
};
use semantic_version::commit::Commit;
use semantic_version::conventional::{
    FooterSeparator, Malformed, MergeKind, NotConventional, RefAction, parse,
};
use semantic_version::rules::{Bump, ReleaseRules, RuleSource, RulesError};

// ---------------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------------

/// A one-line rendering of a parse result, so that tables stay readable.
fn show(message: &str) -> String {
    match parse(message) {
        Ok(c) => {
            let mut s = c.r#type.clone();
            if let Some(scope) = &c.scope {
                s += &format!("({scope})");
            }
            if c.breaking {
                s += "!";
            }
            s += &format!(": {}", c.description);
            if let Some(pr) = c.pull_request {
                s += &format!(" pr={pr}");
            }
            if let Some(v) = &c.release_as {
                s += &format!(" release-as={v}");
            }
            if let Some(r) = &c.revert {
                s += &format!(
                    " revert=[{}|{}]",
                    r.header.as_deref().unwrap_or("-"),
                    r.sha.as_deref().unwrap_or("-")
                );
            }
            s
        }
        Err(NotConventional::Malformed(m)) => format!("ERR {m:?}"),
        Err(NotConventional::Merge(m)) => format!("MERGE {:?} {m}", m.kind),
        Err(NotConventional::Empty) => "EMPTY".to_string(),
        Err(NotConventional::InvalidReleaseAs { value, .. }) => format!("BAD-RELEASE-AS {value}"),
    }
}

#[test]
fn headers() {
    let table = [
        // Types, scopes, case.
        ("feat: add x", "feat: add x"),
        ("fix(parser): y", "fix(parser): y"),
        ("FEAT: upper-case type", "feat: upper-case type"),
        ("Fix(Api): mixed case", "fix(Api): mixed case"),
        ("build-deps: hyphen in type", "build-deps: hyphen in type"),
        ("feat(): empty scope", "feat: empty scope"),
        ("feat( ): blank scope", "feat: blank scope"),
        (
            "feat(api(v2)): nested parens",
            "feat(api(v2)): nested parens",
        ),
        ("feat(api, cli): list", "feat(api, cli): list"),
        ("feat(api: x", "ERR UnclosedScope"),
        ("feat (api): space before scope", "ERR InvalidType"),
        // `!`
        ("feat!: drop node 8", "feat!: drop node 8"),
        ("feat(api)!: remove v1", "feat(api)!: remove v1"),
        ("feat!(api): bang before scope", "ERR MisplacedBang"),
        ("feat !: space before bang", "ERR InvalidType"),
        ("feat!!: two bangs", "ERR MisplacedBang"),
        ("fixup! feat: autosquash", "ERR MisplacedBang"),
        // Colon and space (spec item 1: a space is REQUIRED after the colon).
        ("feat:x", "ERR MissingSpaceAfterColon"),
        ("feat:", "ERR EmptyDescription"),
        ("feat: ", "ERR EmptyDescription"),
        ("feat:  two spaces", "feat: two spaces"),
        ("feat:\ttab", "feat: tab"),
        ("feat : space before colon", "ERR InvalidType"),
        ("Add a feature", "ERR NoColon"),
        ("Update README: typo", "ERR InvalidType"),
        ("✨ feat: gitmoji", "ERR InvalidType"),
        ("1feat: digit first", "ERR InvalidType"),
        // Whitespace and line ends.
        ("  feat: leading spaces", "feat: leading spaces"),
        ("feat: trailing spaces   ", "feat: trailing spaces"),
        ("feat: crlf\r\n", "feat: crlf"),
        ("\n\nfeat: leading blank lines", "feat: leading blank lines"),
        ("", "EMPTY"),
        ("\n \n", "EMPTY"),
        // Squash-merge subjects.
        ("feat: thing (#123)", "feat: thing (#123) pr=123"),
        ("fix(ui): thing (#7)  ", "fix(ui): thing (#7) pr=7"),
        ("fix: not a pr (#abc)", "fix: not a pr (#abc)"),
        // Merge subjects are recognised, not conventional.
        (
            "Merge pull request #12 from org/branch",
            "MERGE PullRequest pull request #12",
        ),
        ("Merge branch 'x'", "MERGE Branch branch x"),
        (
            "Merge branch 'main' into feature",
            "MERGE Branch branch main",
        ),
        (
            "Merge remote-tracking branch 'origin/main'",
            "MERGE RemoteTrackingBranch remote-tracking branch origin/main",
        ),
        ("Merge tag 'v1.0.0'", "MERGE Tag tag v1.0.0"),
        ("Merge: not git's form", "merge: not git's form"),
        // Reverts.
        (
            "Revert \"feat: thing\"\n\nThis reverts commit abcdef1234567890.",
            "revert: feat: thing revert=[feat: thing|abcdef1234567890]",
        ),
        (
            "Revert \"feat: thing (#12)\" (#13)\n\nThis reverts commit ABC1234.",
            "revert: feat: thing (#12) pr=13 revert=[feat: thing (#12)|abc1234]",
        ),
        (
            "revert: feat(api): thing\n\nThis reverts commit 0123abc.",
            "revert: feat(api): thing revert=[feat(api): thing|0123abc]",
        ),
        (
            "revert: \"feat: quoted\"",
            "revert: \"feat: quoted\" revert=[feat: quoted|-]",
        ),
        (
            "Revert \"Revert \"feat: x\"\"\n\nThis reverts commit 1234567.",
            "revert: Revert \"feat: x\" revert=[Revert \"feat: x\"|1234567]",
        ),
        // Release-As.
        (
            "chore: release 2.0.0\n\nRelease-As: 2.0.0",
            "chore: release 2.0.0 release-as=2.0.0",
        ),
        (
            "chore: r\n\nrelease-as: v2.1.0",
            "chore: r release-as=2.1.0",
        ),
        (
            "chore: r\n\nRELEASE-AS: 3.0.0-rc.1",
            "chore: r release-as=3.0.0-rc.1",
        ),
        ("chore: r\n\nRelease-As: 2.0", "BAD-RELEASE-AS 2.0"),
        ("chore: r\n\nRelease-As: next", "BAD-RELEASE-AS next"),
        ("chore: r\n\nRelease-As:", "BAD-RELEASE-AS "),
    ];
    let mut failures = Vec::new();
    for (message, want) in table {
        let got = show(message);
        if got != want {
            failures.push(format!("{message:?}\n   want {want}\n    got {got}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn malformed_reasons_read_well() {
    let e = parse("feat:x").unwrap_err();
    assert_eq!(
        e.to_string(),
        "a space must follow the colon (`feat: x`, not `feat:x`)"
    );
    assert_eq!(
        e,
        NotConventional::Malformed(Malformed::MissingSpaceAfterColon)
    );
    let e = parse("chore: r\n\nRelease-As: 2.0").unwrap_err();
    assert!(
        e.to_string().contains("invalid `Release-As: 2.0` footer"),
        "{e}"
    );
}

/// (message, breaking, breaking descriptions, body, footers as `token|value`)
#[test]
fn bodies_and_footers() {
    type Row = (
        &'static str,
        bool,
        &'static [&'static str],
        &'static str,
        &'static [&'static str],
    );
    let table: &[Row] = &[
        ("fix: a", false, &[], "", &[]),
        ("fix: a\n\nbody line", false, &[], "body line", &[]),
        (
            "fix: a\n\nSome body.\n\nBREAKING CHANGE: the API changed",
            true,
            &["the API changed"],
            "Some body.",
            &["BREAKING CHANGE|the API changed"],
        ),
        (
            "fix: a\n\nBREAKING-CHANGE: hyphenated token",
            true,
            &["hyphenated token"],
            "",
            &["BREAKING-CHANGE|hyphenated token"],
        ),
        (
            "fix: a\n\nbreaking change: any letter case",
            true,
            &["any letter case"],
            "",
            &["breaking change|any letter case"],
        ),
        // `BREAKING CHANGE` in prose is not a footer.
        (
            "fix: a\n\nThis undoes the BREAKING CHANGE: of 1.2.",
            false,
            &[],
            "This undoes the BREAKING CHANGE: of 1.2.",
            &[],
        ),
        (
            "fix: a\n\nBREAKING CHANGE without a colon",
            false,
            &[],
            "BREAKING CHANGE without a colon",
            &[],
        ),
        (
            "fix: a\n\nBREAKING CHANGES: plural is not the token",
            false,
            &[],
            "BREAKING CHANGES: plural is not the token",
            &[],
        ),
        // Multiple breaking footers.
        (
            "feat: a\n\nBREAKING CHANGE: first\nBREAKING-CHANGE: second",
            true,
            &["first", "second"],
            "",
            &["BREAKING CHANGE|first", "BREAKING-CHANGE|second"],
        ),
        // `!` alone: the description describes the break; a footer overrides it.
        ("feat!: drop node 8", true, &["drop node 8"], "", &[]),
        (
            "feat!: drop node 8\n\nBREAKING CHANGE: node 8 is end-of-life",
            true,
            &["node 8 is end-of-life"],
            "",
            &["BREAKING CHANGE|node 8 is end-of-life"],
        ),
        // Multi-line values: continuation lines, and paragraphs after a breaking footer.
        (
            "fix: a\n\nBREAKING CHANGE: the key\n  `foo` was renamed\nRefs: #1",
            true,
            &["the key\n  `foo` was renamed"],
            "",
            &["BREAKING CHANGE|the key\n  `foo` was renamed", "Refs|#1"],
        ),
        (
            "feat: a\n\nBREAKING CHANGE: x\n\nMore about it.\n\nCloses #12",
            true,
            &["x\n\nMore about it."],
            "",
            &["BREAKING CHANGE|x\n\nMore about it.", "Closes|12"],
        ),
        (
            "feat: a\n\nBREAKING CHANGE:\n  on the next line",
            true,
            &["on the next line"],
            "",
            &["BREAKING CHANGE|on the next line"],
        ),
        // Body lines that look like footers stay body when prose follows them.
        (
            "fix: a\n\nNote: this looks like a footer.\n\nMore body.",
            false,
            &[],
            "Note: this looks like a footer.\n\nMore body.",
            &[],
        ),
        (
            "fix: a\n\nNote: looks like a footer.\n\nprose\n\nRefs: #1",
            false,
            &[],
            "Note: looks like a footer.\n\nprose",
            &["Refs|#1"],
        ),
        // A paragraph that starts with prose is body, even with trailer-like lines in it.
        (
            "fix: a\n\nSome text.\nAcked-by: x",
            false,
            &[],
            "Some text.\nAcked-by: x",
            &[],
        ),
        // Footers separated by blank lines.
        (
            "fix: a\n\nbody\n\nCo-authored-by: A <a@example.com>\n\nSigned-off-by: B <b@example.com>",
            false,
            &[],
            "body",
            &[
                "Co-authored-by|A <a@example.com>",
                "Signed-off-by|B <b@example.com>",
            ],
        ),
        // URLs are not footers.
        (
            "fix: a\n\nhttps://example.com/x",
            false,
            &[],
            "https://example.com/x",
            &[],
        ),
        // CRLF and trailing whitespace.
        (
            "feat: a  \r\n\r\nbody  \r\n\r\nBREAKING CHANGE: y  \r\n",
            true,
            &["y"],
            "body",
            &["BREAKING CHANGE|y"],
        ),
    ];
    for (message, breaking, descriptions, body, footers) in table {
        let c = parse(message).unwrap_or_else(|e| panic!("{message:?}: {e}"));
        assert_eq!(c.breaking, *breaking, "breaking of {message:?}");
        assert_eq!(
            c.breaking_descriptions, *descriptions,
            "descriptions of {message:?}"
        );
        assert_eq!(c.body, *body, "body of {message:?}");
        let got: Vec<String> = c
            .footers
            .iter()
            .map(|f| format!("{}|{}", f.token, f.value))
            .collect();
        assert_eq!(got, *footers, "footers of {message:?}");
    }
}

#[test]
fn footer_separators_and_display() {
    let c = parse("fix: a\n\nCloses #12\nReviewed-by: Z").unwrap();
    assert_eq!(c.footers[0].separator, FooterSeparator::Hash);
    assert_eq!(c.footers[0].to_string(), "Closes #12");
    assert_eq!(c.footers[1].separator, FooterSeparator::Colon);
    assert_eq!(c.footers_named("reviewed-by").count(), 1);
}

/// (message, references as `action repo#n`)
#[test]
fn issue_references() {
    let table: &[(&str, &[&str])] = &[
        ("fix: a\n\nCloses #12", &["closes #12"]),
        (
            "fix: a\n\nFixes: #1, #2 and #3",
            &["closes #1", "closes #2", "closes #3"],
        ),
        ("fix: a\n\nRefs: #1, #2", &["refs #1", "refs #2"]),
        ("fix: a\n\nResolves org/repo#5", &["closes org/repo#5"]),
        ("fix: a\n\nFixed it.\nFixes #3", &["closes #3"]),
        ("fix: a\n\nFixed the bug in #4 quickly", &[]),
        // The squash subject's own pull request is not a reference.
        (
            "feat: thing (#123)\n\nCloses #123\nCloses #9",
            &["closes #9"],
        ),
        ("fix: a\n\nCloses #7\nFixes #7", &["closes #7"]),
    ];
    for (message, want) in table {
        let c = parse(message).unwrap();
        let got: Vec<String> = c
            .references
            .iter()
            .map(|r| {
                let action = match r.action {
                    RefAction::Closes => "closes",
                    RefAction::Refs => "refs",
                };
                let repo = r.repository.as_deref().unwrap_or("");
                format!("{action} {repo}#{}", r.number)
            })
            .collect();
        assert_eq!(got, *want, "{message:?}");
    }
}

#[test]
fn scopes_and_header_helpers() {
    let c = parse("docs(api, cli,): x (#5)").unwrap();
    assert_eq!(c.scopes().collect::<Vec<_>>(), ["api", "cli"]);
    assert_eq!(c.description_without_pr(), "x");
    let m = parse("Merge pull request #12 from org/branch").unwrap_err();
    let NotConventional::Merge(m) = m else {
        panic!()
    };
    assert_eq!(m.kind, MergeKind::PullRequest);
    assert_eq!(m.source.as_deref(), Some("org/branch"));
}

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

fn bump_of(rules: &ReleaseRules, message: &str) -> Bump {
    rules.bump_for(&parse(message).unwrap())
}

#[test]
fn default_rules() {
    let rules = ReleaseRules::defaults();
    let table = [
        ("feat: x", Bump::Minor),
        ("fix: x", Bump::Patch),
        ("perf: x", Bump::Patch),
        ("revert: feat: x", Bump::Patch),
        ("Revert \"feat: x\"", Bump::Patch),
        ("docs: x", Bump::None),
        ("chore: x", Bump::None),
        ("refactor: x", Bump::None),
        ("style: x", Bump::None),
        ("test: x", Bump::None),
        ("build: x", Bump::None),
        ("ci: x", Bump::None),
        ("FEAT: x", Bump::Minor),
        ("Fix: x", Bump::Patch),
        ("feat!: x", Bump::Major),
        ("fix(api)!: x", Bump::Major),
        ("docs!: x", Bump::Major),
        ("chore: x\n\nBREAKING CHANGE: y", Bump::Major),
        ("chore: x\n\nBREAKING-CHANGE: y", Bump::Major),
        ("fix: x\n\nmentions BREAKING CHANGE: in prose", Bump::Patch),
    ];
    for (message, want) in table {
        assert_eq!(bump_of(&rules, message), want, "{message:?}");
    }
}

#[test]
fn user_rules() {
    let rules = ReleaseRules::parse(
        "
- {type: docs, scope: README, release: patch}
- {type: refactor, scope: 'api-*', release: minor}
- {type: refactor, release: patch}
- {type: feat, scope: internal, release: none}
- {type: '*', scope: experimental, breaking: true, release: minor}
- {type: chore, release: false}
",
    )
    .unwrap();
    let table = [
        ("docs(readme): x", Bump::Patch),
        ("docs(guide): x", Bump::None),
        ("docs: x", Bump::None),
        ("refactor(api-v2): x", Bump::Minor),
        ("refactor(api): x", Bump::Patch),
        ("refactor: x", Bump::Patch),
        ("refactor(web, api-core): x", Bump::Minor),
        ("feat(internal): x", Bump::None),
        ("feat: x", Bump::Minor),
        // A rule without `breaking: true` never downgrades a breaking change.
        ("feat(internal)!: x", Bump::Major),
        ("docs(README)!: x", Bump::Major),
        ("feat(experimental)!: x", Bump::Minor),
        ("fix(experimental): x\n\nBREAKING CHANGE: y", Bump::Minor),
        ("chore: x", Bump::None),
        ("fix: x", Bump::Patch),
    ];
    for (message, want) in table {
        assert_eq!(bump_of(&rules, message), want, "{message:?}");
    }
    let (_, source) = rules.decide(&parse("refactor: x").unwrap());
    assert_eq!(source, RuleSource::User(2));
    let (_, source) = rules.decide(&parse("fix: x").unwrap());
    assert_eq!(source, RuleSource::Default);
}

#[test]
fn user_rules_from_json() {
    let rules = ReleaseRules::parse(
        r#"[{"type": "docs", "release": "patch"}, {"type": "ci", "release": false}]"#,
    )
    .unwrap();
    assert_eq!(bump_of(&rules, "docs: x"), Bump::Patch);
    assert_eq!(bump_of(&rules, "ci: x"), Bump::None);
    assert_eq!(ReleaseRules::parse("").unwrap(), ReleaseRules::defaults());
    assert_eq!(ReleaseRules::parse("~").unwrap(), ReleaseRules::defaults());
}

#[test]
fn bad_rules() {
    let table: &[(&str, &str)] = &[
        (
            "- {type: docs, scop: README, release: patch}",
            "release-rules: rule 1 has unknown key `scop`; valid keys: type, scope, breaking, release",
        ),
        (
            "- {type: docs, release: patch}\n- {type: feat, release: huge}",
            "release-rules: rule 2: `release: huge` is not valid; valid values: major, minor, patch, none",
        ),
        (
            "- {type: '', release: patch}",
            "release-rules: rule 1 has an empty `type` (use `*` to match every type)",
        ),
        (
            "- {scope: api, release: patch}",
            "release-rules: rule 1 has no `type` (required keys: type, release)",
        ),
        (
            "- {type: docs}",
            "release-rules: rule 1 has no `release` (required keys: type, release)",
        ),
        (
            "- {type: docs, release: true}",
            "release-rules: rule 1: `release: true` is not valid; valid values: major, minor, patch, none",
        ),
        (
            "- {type: docs, release: patch, breaking: maybe}",
            "release-rules: rule 1: `breaking` must be true or false, found the string `maybe`",
        ),
        (
            "- {type: [a], release: patch}",
            "release-rules: rule 1: `type` must be a string, found a list",
        ),
        (
            "- {type: docs, scope: '', release: patch}",
            "release-rules: rule 1 has an empty `scope` (leave the key out to match any scope)",
        ),
        (
            "- docs",
            "release-rules: rule 1 must be a mapping with keys type, scope, breaking, release, found the string `docs`",
        ),
        (
            "docs: patch",
            "release-rules must be a list of rules like `- {type: docs, release: patch}`, found a mapping",
        ),
    ];
    for (input, want) in table {
        let err = ReleaseRules::parse(input).unwrap_err();
        assert_eq!(err.to_string(), *want, "{input:?}");
    }
    assert!(matches!(
        ReleaseRules::parse("- {type: : }"),
        Err(RulesError::Syntax { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Analyzer
// ---------------------------------------------------------------------------------------------

/// A distinct 40-hex SHA per number (its 7-character abbreviation is unique too).
fn sha(n: u8) -> String {
    format!("{n:02x}").repeat(20)
}

fn commit(n: u8, parents: &[u8], message: &str) -> Commit {
    let (subject, body) = match message.split_once('\n') {
        Some((s, rest)) => (s.to_string(), rest.trim_start_matches('\n').to_string()),
        None => (message.to_string(), String::new()),
    };
    Commit {
        sha: sha(n),
        parents: parents.iter().map(|&p| sha(p)).collect(),
        subject,
        body,
        author_name: "A U Thor".to_string(),
        timestamp: 1_700_000_000 + i64::from(n),
    }
}

/// A linear history, oldest first; the first commit's parent (0xff) is outside the range.
fn linear(messages: &[&str]) -> Vec<Commit> {
    messages
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let n = u8::try_from(i + 1).unwrap();
            let parent = if i == 0 { 0xff } else { n - 1 };
            commit(n, &[parent], m)
        })
        .collect()
}

fn run(commits: &[Commit]) -> Analysis {
    analyze(
        commits,
        &ReleaseRules::defaults(),
        &AnalyzeOptions::default(),
    )
    .unwrap()
}

fn run_pr_title(commits: &[Commit]) -> Analysis {
    let options = AnalyzeOptions { use_pr_title: true };
    analyze(commits, &ReleaseRules::defaults(), &options).unwrap()
}

#[test]
fn bump_is_the_highest_of_the_range() {
    let table: &[(&[&str], Bump)] = &[
        (&[], Bump::None),
        (&["docs: a", "chore: b"], Bump::None),
        (&["docs: a", "fix: b"], Bump::Patch),
        (&["fix: a", "perf: b", "feat: c"], Bump::Minor),
        (&["feat: a", "fix!: b", "fix: c"], Bump::Major),
        (&["chore: a\n\nBREAKING CHANGE: gone"], Bump::Major),
        (&["feat:missing space", "fix: b"], Bump::Patch),
        (&["FEAT(API): shouting"], Bump::Minor),
        (&["WIP", "fix typo"], Bump::None),
    ];
    for (messages, want) in table {
        assert_eq!(run(&linear(messages)).bump, *want, "{messages:?}");
    }
}

#[test]
fn unparseable_commits_are_listed_not_errors() {
    let a = run(&linear(&["feat:x", "Update stuff", "fix: ok"]));
    assert_eq!(a.bump, Bump::Patch);
    let listed: Vec<(&str, &str)> = a
        .unparseable
        .iter()
        .map(|u| (u.subject.as_str(), u.reason.as_str()))
        .collect();
    assert_eq!(
        listed,
        [
            (
                "feat:x",
                "a space must follow the colon (`feat: x`, not `feat:x`)"
            ),
            ("Update stuff", "no `type: description` header (no colon)"),
        ]
    );
    assert_eq!(a.commits[0].status, CommitStatus::Unparseable);
    assert!(a.commits[2].counts());
}

#[test]
fn revert_in_range_cancels_both() {
    let commits = linear(&[
        "feat: a",
        &format!("Revert \"feat: a\"\n\nThis reverts commit {}.", sha(1)),
        "docs: c",
    ]);
    let a = run(&commits);
    assert_eq!(a.bump, Bump::None);
    assert_eq!(a.reverted.len(), 1);
    assert_eq!(a.reverted[0].revert, sha(2));
    assert_eq!(a.reverted[0].reverted, sha(1));
    assert_eq!(
        a.commits[0].status,
        CommitStatus::RevertedBy { sha: sha(2) }
    );
    assert_eq!(
        a.commits[1].status,
        CommitStatus::RevertsInRange { target: sha(1) }
    );
    assert_eq!(
        a.commits[0].bump,
        Bump::Minor,
        "the rule's bump is kept for the summary"
    );
    assert_eq!(a.commits[0].effective_bump(), Bump::None);
}

#[test]
fn revert_variants() {
    let abbreviated = format!("revert: feat: a\n\nThis reverts commit {}.", &sha(1)[..7]);
    let outside = format!("Revert \"feat: old\"\n\nThis reverts commit {}.", sha(0xee));
    let table: &[(Vec<String>, Bump, usize)] = &[
        // Abbreviated SHA.
        (vec!["feat: a".into(), abbreviated.clone()], Bump::None, 1),
        // Target outside the range: the revert counts as a patch.
        (vec!["docs: a".into(), outside.clone()], Bump::Patch, 0),
        // No SHA: the reverted header names the target.
        (
            vec!["feat: a".into(), "revert: feat: a".into()],
            Bump::None,
            1,
        ),
        (
            vec!["feat: a".into(), "Revert \"feat: a\"".into()],
            Bump::None,
            1,
        ),
        // No SHA and no matching subject: counts.
        (
            vec!["docs: a".into(), "revert: feat: gone".into()],
            Bump::Patch,
            0,
        ),
        // Other commits still count.
        (
            vec![
                "fix: b".into(),
                "feat: a".into(),
                format!("revert: feat: a\n\nThis reverts commit {}.", sha(2)),
            ],
            Bump::Patch,
            1,
        ),
        // Reverting a revert restores the original.
        (
            vec![
                "feat: a".into(),
                format!("Revert \"feat: a\"\n\nThis reverts commit {}.", sha(1)),
                format!(
                    "Revert \"Revert \"feat: a\"\"\n\nThis reverts commit {}.",
                    sha(2)
                ),
            ],
            Bump::Minor,
            1,
        ),
        // A breaking change reverted in range does not make a major.
        (
            vec![
                "feat!: a".into(),
                format!("revert: feat!: a\n\nThis reverts commit {}.", sha(1)),
            ],
            Bump::None,
            1,
        ),
    ];
    for (messages, bump, pairs) in table {
        let messages: Vec<&str> = messages.iter().map(String::as_str).collect();
        let a = run(&linear(&messages));
        assert_eq!(a.bump, *bump, "{messages:?}");
        assert_eq!(a.reverted.len(), *pairs, "{messages:?}");
    }
}

#[test]
fn revert_with_user_rule() {
    let rules = ReleaseRules::parse("- {type: revert, release: none}").unwrap();
    let commits = linear(&[&format!(
        "Revert \"feat: old\"\n\nThis reverts commit {}.",
        sha(0xee)
    )]);
    let a = analyze(&commits, &rules, &AnalyzeOptions::default()).unwrap();
    assert_eq!(a.bump, Bump::None);
}

/// main: 1 ─ 2 ─────── 5 (merge of PR #7: 3, 4)
///            └ 3 ─ 4 ┘
fn merged_pr(pr_body: &str) -> Vec<Commit> {
    vec![
        commit(1, &[0xff], "fix: on main"),
        commit(2, &[1], "docs: on main"),
        commit(3, &[2], "wip"),
        commit(4, &[3], "feat(api): paging"),
        commit(
            5,
            &[2, 4],
            &format!("Merge pull request #7 from org/paging\n\n{pr_body}"),
        ),
    ]
}

#[test]
fn merge_commits_are_skipped_and_merged_commits_analysed() {
    let a = run(&merged_pr("feat!: new paging API"));
    assert_eq!(
        a.bump,
        Bump::Minor,
        "the merged feat counts, the PR title does not"
    );
    assert_eq!(a.commits[4].status, CommitStatus::Merge);
    assert_eq!(a.merges.len(), 1);
    assert_eq!(a.merges[0].pull_request, Some(7));
    assert_eq!(a.merges[0].handling, MergeHandling::MergedCommitsAnalysed);
    // `wip` is unparseable; the merge is not.
    assert_eq!(a.unparseable.len(), 1);
    assert_eq!(a.unparseable[0].subject, "wip");
}

#[test]
fn merge_subjects_without_two_parents_are_merges_too() {
    let a = run(&linear(&["Merge branch 'main' into feature", "fix: a"]));
    assert!(a.unparseable.is_empty());
    assert_eq!(a.merges.len(), 1);
    assert_eq!(a.bump, Bump::Patch);
}

#[test]
fn use_pr_title_counts_the_title_instead_of_the_merged_commits() {
    let a = run_pr_title(&merged_pr("feat!: new paging API\n\nLonger description."));
    assert_eq!(a.bump, Bump::Major);
    let merge = &a.commits[4];
    assert!(merge.counts());
    let title = merge.conventional.as_ref().unwrap();
    assert_eq!(title.description, "new paging API");
    assert_eq!(title.pull_request, Some(7));
    assert_eq!(title.body, "Longer description.");
    assert_eq!(a.merges[0].handling, MergeHandling::PullRequestTitle);
    for i in [2, 3] {
        assert_eq!(
            a.commits[i].status,
            CommitStatus::CoveredByPullRequest { merge: sha(5) },
            "commit {i}"
        );
    }
    assert!(a.unparseable.is_empty(), "`wip` is covered by the title");
    assert!(
        a.commits[0].counts() && a.commits[1].counts(),
        "direct commits on main count"
    );
}

#[test]
fn use_pr_title_falls_back_when_the_title_is_not_conventional() {
    let a = run_pr_title(&merged_pr("Add paging"));
    assert_eq!(a.bump, Bump::Minor, "the merged feat(api) counts");
    assert_eq!(a.merges[0].handling, MergeHandling::MergedCommitsAnalysed);
    assert_eq!(a.commits[4].status, CommitStatus::Merge);
}

#[test]
fn use_pr_title_reads_gitlab_and_conventional_merge_subjects() {
    let gitlab = vec![
        commit(1, &[0xff], "docs: a"),
        commit(2, &[1], "wip"),
        commit(
            3,
            &[1, 2],
            "Merge branch 'paging' into 'main'\n\nfix: paging off by one\n\nSee merge request group/proj!12",
        ),
    ];
    let a = run_pr_title(&gitlab);
    assert_eq!(a.bump, Bump::Patch);
    assert_eq!(a.merges[0].handling, MergeHandling::PullRequestTitle);

    let custom = vec![
        commit(1, &[0xff], "docs: a"),
        commit(2, &[1], "chore: wip"),
        commit(3, &[1, 2], "feat: paging (#9)"),
    ];
    let a = run_pr_title(&custom);
    assert_eq!(a.bump, Bump::Minor);
    assert_eq!(a.merges[0].pull_request, Some(9));
    // Without the option the merge's own subject is skipped.
    assert_eq!(run(&custom).bump, Bump::None);
}

#[test]
fn use_pr_title_skips_nested_merges() {
    // main: 1 ─ 6 (merge PR #8 of 2..5); the PR branch merged main's 1 into itself at 4.
    let commits = vec![
        commit(1, &[0xff], "docs: a"),
        commit(2, &[1], "feat: x"),
        commit(3, &[0xff], "chore: side"),
        commit(4, &[2, 3], "Merge branch 'side'"),
        commit(5, &[4], "fix: y"),
        commit(
            6,
            &[1, 5],
            "Merge pull request #8 from org/x\n\nperf: faster",
        ),
    ];
    let a = run_pr_title(&commits);
    assert_eq!(a.bump, Bump::Patch, "only the title counts");
    let nested = a.merges.iter().find(|m| m.sha == sha(4)).unwrap();
    assert_eq!(nested.handling, MergeHandling::Nested);
    assert_eq!(
        a.commits[4].status,
        CommitStatus::CoveredByPullRequest { merge: sha(6) }
    );
}

#[test]
fn reverting_a_merge_in_range_cancels_what_it_merged() {
    let mut commits = merged_pr("feat: paging");
    commits.push(commit(
        6,
        &[5],
        &format!(
            "Revert \"Merge pull request #7 from org/paging\"\n\nThis reverts commit {}, reversing\nchanges made to {}.",
            sha(5),
            sha(2)
        ),
    ));
    for a in [run(&commits), run_pr_title(&commits)] {
        assert_eq!(a.bump, Bump::Patch, "only `fix: on main` is left");
        assert_eq!(
            a.commits[3].status,
            CommitStatus::RevertedBy { sha: sha(6) }
        );
        assert_eq!(a.reverted.len(), 1);
    }
}

#[test]
fn release_as() {
    let a = run(&linear(&["chore: a\n\nRelease-As: 2.0.0", "fix: b"]));
    let ra = a.release_as.unwrap();
    assert_eq!(ra.version.to_string(), "2.0.0");
    assert_eq!(ra.sha, sha(1));
    assert!(run(&linear(&["chore: a\n\nRelease-As: 2.0.0"])).is_releasable());

    // The newest wins.
    let a = run(&linear(&[
        "chore: a\n\nRelease-As: 2.0.0",
        "chore: b\n\nRelease-As: 3.0.0",
    ]));
    assert_eq!(a.release_as.unwrap().version.to_string(), "3.0.0");

    // The newest is invalid: bad input, with a way out.
    let err = analyze(
        &linear(&[
            "chore: a\n\nRelease-As: 2.0.0",
            "chore: b\n\nRelease-As: 3.0",
        ]),
        &ReleaseRules::defaults(),
        &AnalyzeOptions::default(),
    )
    .unwrap_err();
    let AnalyzeError::InvalidReleaseAs {
        sha: bad, value, ..
    } = &err;
    assert_eq!((bad.as_str(), value.as_str()), (sha(2).as_str(), "3.0"));
    assert!(err.to_string().contains("push a newer commit"), "{err}");

    // An older invalid one is superseded by a newer valid one, and its commit still counts.
    let a = run(&linear(&[
        "feat: a\n\nRelease-As: 3.0",
        "chore: b\n\nRelease-As: 3.0.0",
    ]));
    assert_eq!(a.release_as.unwrap().version.to_string(), "3.0.0");
    assert_eq!(a.superseded_release_as.len(), 1);
    assert_eq!(a.bump, Bump::Minor);

    // A reverted Release-As does not count.
    let a = run(&linear(&[
        "chore: a\n\nRelease-As: 9.0.0",
        &format!("revert: chore: a\n\nThis reverts commit {}.", sha(1)),
    ]));
    assert_eq!(a.release_as, None);
}

#[test]
fn directives() {
    let table: &[(&[&str], bool, bool)] = &[
        (&["fix: a"], false, false),
        (&["fix: a [skip ci]"], true, false),
        (&["fix: a", "docs: b\n\n[CI SKIP]"], true, false),
        (&["chore: [no ci] x"], true, false),
        (&["chore: [skip actions] x"], true, false),
        (&["chore: [actions skip] x"], true, false),
        (&["chore: x\n\n\nskip-checks: true"], true, false),
        (&["chore: x\n\nskip-checks: false"], false, false),
        (&["feat: a [deploy-all]"], false, true),
        (&["Update stuff [deploy-all] [skip ci]"], true, true),
        (&["fix: skip ci without brackets"], false, false),
    ];
    for (messages, skip, deploy_all) in table {
        let a = run(&linear(messages));
        assert_eq!(
            (a.skip_ci, a.deploy_all),
            (*skip, *deploy_all),
            "{messages:?}"
        );
    }
    // A reverted commit is not released, so its directive does not count.
    let a = run(&linear(&[
        "feat: a [deploy-all]",
        &format!(
            "Revert \"feat: a [deploy-all]\"\n\nThis reverts commit {}.",
            sha(1)
        ),
    ]));
    assert!(!a.deploy_all);
}

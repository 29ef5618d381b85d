#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Release notes and CHANGELOG prepending, as inline snapshots.

use insta::assert_snapshot;
use semantic_version::analyze::{Analysis, AnalyzeOptions, analyze};
use semantic_version::commit::Commit;
use semantic_version::notes::{
    NotesInput, NotesOptions, RepoLinks, prepend_changelog, release_notes, section_title,
};
use semantic_version::rules::ReleaseRules;
use semver::Version;

fn sha(n: u8) -> String {
    format!("{n:02x}").repeat(20)
}

fn linear(messages: &[&str]) -> Vec<Commit> {
    messages
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let n = u8::try_from(i + 1).unwrap();
            let (subject, body) = match m.split_once('\n') {
                Some((s, rest)) => (s.to_string(), rest.trim_start_matches('\n').to_string()),
                None => (m.to_string(), String::new()),
            };
            Commit {
                sha: sha(n),
                parents: vec![if i == 0 { sha(0xff) } else { sha(n - 1) }],
                subject,
                body,
                author_name: "A U Thor".to_string(),
                timestamp: 0,
            }
        })
        .collect()
}

fn links() -> RepoLinks {
    RepoLinks {
        server_url: "https://github.com/".to_string(),
        repository: "acme/shop".to_string(),
    }
}

fn notes_with(
    analysis: &Analysis,
    version: &str,
    tag: &str,
    previous: Option<&str>,
    options: &NotesOptions,
) -> String {
    release_notes(&NotesInput {
        analysis,
        links: &links(),
        version: &Version::parse(version).unwrap(),
        tag,
        previous_tag: previous,
        date: "2024-05-01",
        options,
    })
}

fn analysis(messages: &[&str], rules: &ReleaseRules) -> Analysis {
    analyze(&linear(messages), rules, &AnalyzeOptions::default()).unwrap()
}

#[test]
fn sections_links_and_references() {
    let a = analysis(
        &[
            "feat(api): add paging (#123)\n\nCloses #12",
            "fix: crash on empty cart\n\nFixes #3, #4\nRefs: other/repo#9",
            "docs: typo",
            "perf(db): index orders",
            "feat!: drop the v1 endpoints\n\nBREAKING CHANGE: the /v1 endpoints are gone;\nuse /v2.",
            "Revert \"fix: old thing\"\n\nThis reverts commit eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee.",
            "chore: bump deps",
            "feat: a",
            &format!("revert: feat: a\n\nThis reverts commit {}.", sha(8)),
            "Update stuff",
        ],
        &ReleaseRules::defaults(),
    );
    let notes = notes_with(
        &a,
        "1.3.0",
        "v1.3.0",
        Some("v1.2.0"),
        &NotesOptions::default(),
    );
    assert_snapshot!(notes, @r#"
    ## [1.3.0](https://github.com/acme/shop/compare/v1.2.0...v1.3.0) (2024-05-01)

    ### ⚠ BREAKING CHANGES

    * the /v1 endpoints are gone;
      use /v2. ([0505050](https://github.com/acme/shop/commit/0505050505050505050505050505050505050505))

    ### Features

    * drop the v1 endpoints ([0505050](https://github.com/acme/shop/commit/0505050505050505050505050505050505050505))
    * **api:** add paging ([#123](https://github.com/acme/shop/pull/123)) ([0101010](https://github.com/acme/shop/commit/0101010101010101010101010101010101010101)), closes [#12](https://github.com/acme/shop/issues/12)

    ### Bug Fixes

    * crash on empty cart ([0202020](https://github.com/acme/shop/commit/0202020202020202020202020202020202020202)), closes [#3](https://github.com/acme/shop/issues/3), [#4](https://github.com/acme/shop/issues/4), refs [other/repo#9](https://github.com/other/repo/issues/9)

    ### Performance Improvements

    * **db:** index orders ([0404040](https://github.com/acme/shop/commit/0404040404040404040404040404040404040404))

    ### Reverts

    * fix: old thing ([0606060](https://github.com/acme/shop/commit/0606060606060606060606060606060606060606))
    "#);
}

#[test]
fn first_release_has_no_compare_link() {
    let a = analysis(&["feat: first"], &ReleaseRules::defaults());
    let notes = notes_with(&a, "1.0.0", "v1.0.0", None, &NotesOptions::default());
    assert_snapshot!(notes, @r#"
    ## 1.0.0 (2024-05-01)

    ### Features

    * first ([0101010](https://github.com/acme/shop/commit/0101010101010101010101010101010101010101))
    "#);
}

#[test]
fn extra_sections_and_rule_released_types() {
    let rules = ReleaseRules::parse("- {type: refactor, release: patch}").unwrap();
    let a = analysis(
        &[
            "docs(readme): explain setup",
            "refactor(core): split module",
            "ci: cache builds",
            "fix(ui): align button",
            "fix: unscoped fix",
            "fix(api): api fix",
        ],
        &rules,
    );
    let options = NotesOptions {
        extra_types: vec!["docs".to_string(), "CI".to_string()],
    };
    let notes = notes_with(&a, "2.0.1", "api-v2.0.1", Some("api-v2.0.0"), &options);
    assert_snapshot!(notes, @r#"
    ## [2.0.1](https://github.com/acme/shop/compare/api-v2.0.0...api-v2.0.1) (2024-05-01)

    ### Bug Fixes

    * unscoped fix ([0505050](https://github.com/acme/shop/commit/0505050505050505050505050505050505050505))
    * **api:** api fix ([0606060](https://github.com/acme/shop/commit/0606060606060606060606060606060606060606))
    * **ui:** align button ([0404040](https://github.com/acme/shop/commit/0404040404040404040404040404040404040404))

    ### Documentation

    * **readme:** explain setup ([0101010](https://github.com/acme/shop/commit/0101010101010101010101010101010101010101))

    ### Continuous Integration

    * cache builds ([0303030](https://github.com/acme/shop/commit/0303030303030303030303030303030303030303))

    ### Code Refactoring

    * **core:** split module ([0202020](https://github.com/acme/shop/commit/0202020202020202020202020202020202020202))
    "#);
}

#[test]
fn section_titles() {
    assert_eq!(section_title("perf"), "Performance Improvements");
    assert_eq!(section_title("deps"), "Deps");
    assert_eq!(section_title(""), "");
}

const NOTES_130: &str = "## [1.3.0](https://github.com/acme/shop/compare/v1.2.0...v1.3.0) (2024-05-01)\n\n### Features\n\n* x ([0101010](https://github.com/acme/shop/commit/0101010101010101010101010101010101010101))\n";

#[test]
fn prepend_to_a_changelog() {
    let existing = "# Changelog\n\nAll notable changes are here.\n\n## [1.2.0](https://github.com/acme/shop/compare/v1.1.0...v1.2.0) (2024-04-01)\n\n### Bug Fixes\n\n* y\n";
    let out = prepend_changelog(existing, NOTES_130);
    assert!(!out.already_present);
    assert_snapshot!(out.text, @r#"
    # Changelog

    All notable changes are here.

    ## [1.3.0](https://github.com/acme/shop/compare/v1.2.0...v1.3.0) (2024-05-01)

    ### Features

    * x ([0101010](https://github.com/acme/shop/commit/0101010101010101010101010101010101010101))

    ## [1.2.0](https://github.com/acme/shop/compare/v1.1.0...v1.2.0) (2024-04-01)

    ### Bug Fixes

    * y
    "#);

    // Idempotent.
    let again = prepend_changelog(&out.text, NOTES_130);
    assert!(again.already_present);
    assert_eq!(again.text, out.text);
}

#[test]
fn prepend_to_new_and_unusual_changelogs() {
    let new = prepend_changelog("", NOTES_130);
    assert_snapshot!(new.text, @r#"
    # Changelog

    ## [1.3.0](https://github.com/acme/shop/compare/v1.2.0...v1.3.0) (2024-05-01)

    ### Features

    * x ([0101010](https://github.com/acme/shop/commit/0101010101010101010101010101010101010101))
    "#);

    let title_only = prepend_changelog("# Changelog\n", NOTES_130);
    assert_snapshot!(title_only.text, @r#"
    # Changelog

    ## [1.3.0](https://github.com/acme/shop/compare/v1.2.0...v1.3.0) (2024-05-01)

    ### Features

    * x ([0101010](https://github.com/acme/shop/commit/0101010101010101010101010101010101010101))
    "#);

    // No title: the notes go above the newest section; `v`-prefixed headings are recognised.
    let untitled = prepend_changelog("## v1.2.0\n\n* y\n", NOTES_130);
    assert_snapshot!(untitled.text, @r#"
    ## [1.3.0](https://github.com/acme/shop/compare/v1.2.0...v1.3.0) (2024-05-01)

    ### Features

    * x ([0101010](https://github.com/acme/shop/commit/0101010101010101010101010101010101010101))

    ## v1.2.0

    * y
    "#);
    assert!(
        prepend_changelog("# Changelog\n\n## v1.3.0 (2024-05-01)\n", NOTES_130).already_present
    );

    // A heading inside a code block is not a section.
    let fenced = prepend_changelog("# Changelog\n\n```\n## 1.3.0\n```\n", NOTES_130);
    assert!(!fenced.already_present);
}

/// A CLI run that knows no repository (no `GITHUB_REPOSITORY`, no remote) gets plain text,
/// not links such as `https://github.com//commit/…`.
#[test]
fn unknown_repository_gives_plain_text_not_broken_links() {
    let analysis = analysis(
        &["feat(api): users (#12)\n\nCloses #7", "fix: crash"],
        &ReleaseRules::defaults(),
    );
    let notes = release_notes(&NotesInput {
        analysis: &analysis,
        links: &RepoLinks {
            server_url: "https://github.com".to_string(),
            repository: String::new(),
        },
        version: &Version::parse("1.1.0").unwrap(),
        tag: "v1.1.0",
        previous_tag: Some("v1.0.0"),
        date: "2024-05-01",
        options: &NotesOptions::default(),
    });
    assert!(
        !notes.contains("](") && !notes.contains("github.com"),
        "{notes}"
    );
    assert!(notes.starts_with("## 1.1.0 (2024-05-01)"), "{notes}");
    assert!(notes.contains("* **api:** users (#12) (0101010"), "{notes}");
    assert!(notes.contains(", closes #7"), "{notes}");
}

#[test]
fn links_come_from_a_remote_url_in_every_form() {
    let cases: &[(&str, Option<(&str, &str)>)] = &[
        (
            "https://github.com/acme/shop.git",
            Some(("https://github.com", "acme/shop")),
        ),
        (
            "https://github.com/acme/shop",
            Some(("https://github.com", "acme/shop")),
        ),
        (
            "https://x-access-token@github.com/acme/shop/",
            Some(("https://github.com", "acme/shop")),
        ),
        (
            "http://ghe.local:8080/acme/shop.git",
            Some(("http://ghe.local:8080", "acme/shop")),
        ),
        (
            "git@github.com:acme/shop.git",
            Some(("https://github.com", "acme/shop")),
        ),
        (
            "github.com:acme/shop",
            Some(("https://github.com", "acme/shop")),
        ),
        (
            "ssh://git@ghe.example.com:2222/acme/shop.git",
            Some(("https://ghe.example.com", "acme/shop")),
        ),
        (
            "git://github.com/acme/shop.git",
            Some(("https://github.com", "acme/shop")),
        ),
        ("/srv/git/shop.git", None),
        ("file:///srv/git/acme/shop.git", None),
        ("../shop", None),
        ("https://github.com/shop", None),
        ("git@github.com:shop", None),
    ];
    for (url, want) in cases {
        let got = RepoLinks::from_remote(url);
        let got = got
            .as_ref()
            .map(|l| (l.server_url.as_str(), l.repository.as_str()));
        assert_eq!(got, *want, "{url}");
    }
}

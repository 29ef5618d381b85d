use super::*;

fn log(output: &[u8]) -> Result<Vec<Commit>, String> {
    parse_log(&mut &output[..])
}

#[test]
fn log_records_become_commits() {
    let out = b"aaaa\0bbbb cccc\0Ann\x001700000000\0feat(api)!: add\r\n\n\nbody one\n\nBREAKING CHANGE: x\n\n\0\
                bbbb\0\0Bob\x001600000000\0fix: one line\n\0";
    let commits = log(out).unwrap();
    assert_eq!(commits.len(), 2);
    assert_eq!(commits[0].sha, "aaaa");
    assert_eq!(commits[0].parents, ["bbbb", "cccc"]);
    assert!(commits[0].is_merge());
    assert_eq!(commits[0].author_name, "Ann");
    assert_eq!(commits[0].timestamp, 1_700_000_000);
    assert_eq!(commits[0].subject, "feat(api)!: add");
    assert_eq!(commits[0].body, "body one\n\nBREAKING CHANGE: x");
    assert_eq!(commits[1].parents, Vec::<String>::new());
    assert_eq!(commits[1].subject, "fix: one line");
    assert_eq!(commits[1].body, "");
}

#[test]
fn empty_log_is_no_commits() {
    assert_eq!(log(b"").unwrap(), vec![]);
}

#[test]
fn cut_or_garbled_log_records_are_errors() {
    for bad in [
        &b"aaaa\0\0Ann\0"[..],
        b"aaaa\0\0Ann\0never\0msg\0",
        b"not-a-sha\0\0Ann\x001\0msg\0",
    ] {
        assert!(log(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn invalid_utf8_in_messages_is_replaced() {
    let commits = log(b"abcd\0\0Ren\xe9\x001\0caf\xe9: x\0").unwrap();
    assert_eq!(commits[0].author_name, "Ren\u{fffd}");
    assert_eq!(commits[0].subject, "caf\u{fffd}: x");
}

#[test]
fn messages_split_into_subject_and_body() {
    for (message, subject, body) in [
        ("feat: a", "feat: a", ""),
        ("feat: a\n", "feat: a", ""),
        ("feat: a\nsecond line", "feat: a", "second line"),
        ("feat: a\r\n\r\nbody\r\n", "feat: a", "body"),
        ("\nafter an empty subject", "", "after an empty subject"),
        ("", "", ""),
    ] {
        assert_eq!(
            split_message(message.as_bytes()),
            (subject.to_owned(), body.to_owned()),
            "{message:?}"
        );
    }
}

#[test]
fn tag_lines_peel_annotated_tags_and_skip_non_commits() {
    let out = b"refs/tags/v1.0.0\0commit\0aaaa\0\0\n\
                refs/tags/v1.1.0\0tag\0tttt\0commit\0bbbb\n\
                refs/tags/tree\0tree\0eeee\0\0\n\
                refs/tags/old-git\0tag\0uuuu\0tag\0vvvv\n";
    let (tags, nested) = parse_tag_lines(&mut &out[..]).unwrap();
    assert_eq!(
        tags,
        [
            ("v1.0.0".to_owned(), Some("aaaa".to_owned())),
            ("v1.1.0".to_owned(), Some("bbbb".to_owned())),
            ("tree".to_owned(), None),
            ("old-git".to_owned(), None),
        ]
    );
    assert_eq!(nested, [3]);
    assert!(parse_tag_lines(&mut &b"refs/tags/x\0commit\n"[..]).is_err());
}

#[test]
fn ls_remote_peels_and_filters_by_prefix() {
    let out = b"1111\trefs/tags/v1.0.0\n2222\trefs/tags/v1.0.0^{}\n3333\trefs/tags/v1.1.0\n4444\trefs/tags/api-v1.0.0\n";
    assert_eq!(
        parse_ls_remote(out, "refs/tags/v"),
        [
            ("v1.0.0".to_owned(), "2222".to_owned()),
            ("v1.1.0".to_owned(), "3333".to_owned())
        ]
    );
    assert_eq!(parse_ls_remote(out, "refs/tags/").len(), 3);
}

#[test]
fn tag_patterns() {
    assert_eq!(tag_pattern("").unwrap(), "refs/tags/");
    assert_eq!(tag_pattern("v").unwrap(), "refs/tags/v*");
    assert_eq!(tag_pattern("api/v").unwrap(), "refs/tags/api/v*");
    for bad in ["-v", "v*", "a b", "x..", "v[", "v\n"] {
        assert!(tag_pattern(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn tag_names_follow_check_ref_format() {
    for good in [
        "v1.2.3",
        "api-v1.0.0",
        "pkg/v1.0.0-beta.1",
        "v1.0.0+build.5",
        "v1",
    ] {
        assert!(check_tag_name(good).is_ok(), "{good:?}");
    }
    for bad in [
        "", "-v1", "@", "v 1", "v1~", "v1^", "a:b", "v?", "v*", "v[", "a\\b", "a..b", "a@{b",
        "a//b", "/a", "a/", "a.", ".a", "a/.b", "a.lock", "a\tb",
    ] {
        assert!(check_tag_name(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn revisions_that_look_like_options_are_refused() {
    for bad in ["", "-x", "--upload-pack=touch /tmp/x", "a b", "a\nb"] {
        assert!(check_rev("head", bad).is_err(), "{bad:?}");
    }
    for good in ["main", "refs/heads/a/b", "HEAD~1", "v1.0.0", "HEAD"] {
        assert!(check_rev("head", good).is_ok(), "{good:?}");
    }
}

#[test]
fn credentials_are_removed_from_urls() {
    for (url, clean) in [
        (
            "https://x-access-token:ghs_secret@github.com/o/r.git",
            "https://github.com/o/r.git",
        ),
        ("https://ghp_token@github.com/o/r", "https://github.com/o/r"),
        ("https://github.com/o/r", "https://github.com/o/r"),
        ("ssh://git:pw@host/o/r", "ssh://git@host/o/r"),
        ("git@github.com:o/r.git", "git@github.com:o/r.git"),
        ("file:///tmp/a@b/repo", "file:///tmp/a@b/repo"),
    ] {
        assert_eq!(without_credentials(url), clean, "{url}");
    }
}

#[test]
fn pathspecs_are_rooted_at_the_top() {
    assert_eq!(top_pathspec("services/api"), ":(top)services/api");
    assert_eq!(top_pathspec(":(exclude)docs"), ":(exclude)docs");
    assert_eq!(top_pathspec("."), ":(top)");
    assert_eq!(top_pathspec("./"), ":(top)");
    assert_eq!(top_pathspec("./services/api/"), ":(top)services/api/");
}

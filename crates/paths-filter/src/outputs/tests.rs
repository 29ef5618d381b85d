//! The outputs: their names and order, values left out for their size, the result file, and
//! lists made of [`Texts`] pieces against lists made for each filter on its own.

use super::*;
use crate::change::ChangeStatus;

/// Matches of every change's new path.
fn all(changes: &[Change]) -> Vec<FileMatch> {
    (0..changes.len())
        .map(|change| FileMatch {
            change,
            side: Side::New,
        })
        .collect()
}

#[test]
fn dorny_outputs_in_order_plus_dirs_and_matrix() {
    let changes = [
        Change::new("services/api/main.rs", ChangeStatus::Modified),
        Change::new("README.md", ChangeStatus::Added),
    ];
    let matches = all(&changes);
    let outcomes = [
        Outcome::new("api", &matches, &changes),
        Outcome::new("web", &[], &changes),
    ];
    let out = build(&outcomes, ListFormat::Json, 1 << 20);
    let names: Vec<&str> = out.values.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "api",
            "api_count",
            "api_files",
            "api_dirs",
            "web",
            "web_count",
            "web_files",
            "web_dirs",
            "changes",
            "matrix"
        ]
    );
    assert_eq!(out.get("api"), Some("true"));
    assert_eq!(out.get("web"), Some("false"));
    assert_eq!(out.get("api_count"), Some("2"));
    assert_eq!(out.get("api_dirs"), Some(r#"[".","services/api"]"#));
    assert_eq!(out.get("web_files"), Some("[]"));
    assert_eq!(out.get("changes"), Some(r#"["api"]"#));
    assert_eq!(
        out.get("matrix"),
        Some(
            r#"{"include":[{"filter":"api","count":2,"dirs":[".","services/api"],"files":["services/api/main.rs","README.md"]}]}"#
        )
    );
}

#[test]
fn no_files_outputs_without_list_files() {
    let out = build(&[Outcome::new("x", &[], &[])], ListFormat::None, 1 << 20);
    assert_eq!(out.get("x_files"), None);
    assert_eq!(out.get("matrix"), Some(r#"{"include":[]}"#));
}

#[test]
fn oversized_values_are_left_out_and_reported() {
    let changes: Vec<Change> = (0..200)
        .map(|i| Change::new(format!("src/file-{i:04}.rs"), ChangeStatus::Added))
        .collect();
    let matches = all(&changes);
    let outcome = Outcome::new("big", &matches, &changes);
    let out = build(&[outcome], ListFormat::Json, 1024);
    assert_eq!(out.get("big_files"), None);
    assert_eq!(out.get("big"), Some("true"));
    assert_eq!(
        out.oversized,
        [
            Oversized {
                name: "big_files".into(),
                size: Some(200 * 18 + 199 + 2)
            },
            Oversized {
                name: "matrix".into(),
                size: None
            }
        ]
    );
}

#[test]
fn result_document_streams_every_file_with_its_status() {
    let changes = [Change::renamed("old/a.rs", "new/a.rs")];
    let matches = [
        FileMatch {
            change: 0,
            side: Side::New,
        },
        FileMatch {
            change: 0,
            side: Side::Old,
        },
    ];
    let outcome = Outcome::new("x", &matches, &changes);
    let mut buf = Vec::new();
    write_result_document(&mut buf, &[outcome], "git diff a..b").unwrap();
    assert_eq!(
        String::from_utf8(buf).unwrap(),
        r#"{"compared":"git diff a..b","filters":{"x":{"changed":true,"count":2,"files":[{"path":"new/a.rs","status":"renamed","previous_path":"old/a.rs"},{"path":"old/a.rs","status":"deleted"}],"dirs":["new","old"]}}}"#
    );
}

/// The outputs as they were written before [`Texts`]: serde and `list_format::format`
/// for each filter on its own.
mod reference {
    use super::super::*;
    use crate::list_format::format;

    #[derive(Serialize)]
    struct MatrixEntry<'a> {
        filter: &'a str,
        count: usize,
        dirs: &'a [String],
        #[serde(skip_serializing_if = "Option::is_none")]
        files: Option<Vec<&'a str>>,
    }

    pub fn files(o: &Outcome<'_>, list_files: ListFormat) -> String {
        let paths: Vec<&str> = o.files().map(|c| c.path).collect();
        format(&paths, list_files)
    }

    pub fn matrix(outcomes: &[Outcome<'_>], list_files: ListFormat) -> String {
        let entries: Vec<MatrixEntry<'_>> = outcomes
            .iter()
            .filter(|o| o.changed())
            .map(|o| MatrixEntry {
                filter: o.name,
                count: o.count(),
                dirs: &o.dirs,
                files: (list_files != ListFormat::None)
                    .then(|| o.files().map(|f| f.path).collect()),
            })
            .collect();
        format!(
            r#"{{"include":{}}}"#,
            serde_json::to_string(&entries).unwrap()
        )
    }

    #[derive(Serialize)]
    struct Filter<'a> {
        changed: bool,
        count: usize,
        files: Vec<MatchedFile<'a>>,
        dirs: &'a [String],
    }

    pub fn result_document(outcomes: &[Outcome<'_>], compared: &str) -> String {
        let mut filters = String::new();
        for (i, o) in outcomes.iter().enumerate() {
            if i > 0 {
                filters.push(',');
            }
            let filter = Filter {
                changed: o.changed(),
                count: o.count(),
                files: o.files().collect(),
                dirs: &o.dirs,
            };
            filters.push_str(&serde_json::to_string(o.name).unwrap());
            filters.push(':');
            filters.push_str(&serde_json::to_string(&filter).unwrap());
        }
        format!(
            r#"{{"compared":{},"filters":{{{filters}}}}}"#,
            serde_json::to_string(compared).unwrap()
        )
    }
}

/// Lists made of [`Texts`] pieces are byte for byte those made for each filter on its own:
/// names that need escaping in every format, renames (both sides, in listing order),
/// copies, a match of an old side that does not exist, and sizes around the limit.
#[test]
fn lists_from_texts_equal_lists_made_one_by_one() {
    let odd = [
        "README.md",
        "a b/c,d.txt",
        "quote\"d/back\\slash",
        "new\nline/tab\tand\u{1}",
        "café/ünï.rs",
        "emoji/😀 x$(y)",
        "it's/\"both\" 'kinds'",
        "src/main.rs",
        "src/lib.rs",
    ];
    let mut changes: Vec<Change> = odd
        .iter()
        .map(|p| Change::new(*p, ChangeStatus::Modified))
        .collect();
    changes.push(Change::renamed("z/old name.rs", "b/new\"name.rs"));
    changes.push(Change {
        path: "copy/of main.rs".into(),
        status: ChangeStatus::Copied,
        previous_path: Some("src/main.rs".into()),
    });
    changes.push(Change::new("x", ChangeStatus::Deleted));
    let new = |change| FileMatch {
        change,
        side: Side::New,
    };
    let old = |change| FileMatch {
        change,
        side: Side::Old,
    };
    let every: Vec<FileMatch> = (0..changes.len()).map(new).collect();
    let mut with_old = every.clone();
    with_old.push(old(9));
    with_old.push(old(0)); // no such path: not listed
    let listing = crate::change::Listing::git_no_renames(&changes);
    let mut listed = with_old.clone();
    listed.sort_by_key(|m| listing.rank(m.change, m.side));
    let some = vec![new(1), new(2), new(5), new(8), old(9), new(10)];
    let olds = vec![old(9)];
    let sets: [(&str, &[FileMatch]); 6] = [
        ("every", &every),
        ("with \"old\"", &with_old),
        ("listed", &listed),
        ("some", &some),
        ("old-only", &olds),
        ("none", &[]),
    ];
    let outcomes: Vec<Outcome<'_>> = sets
        .iter()
        .map(|(name, matches)| Outcome::new(name, matches, &changes))
        .collect();
    for list_files in [
        ListFormat::None,
        ListFormat::Csv,
        ListFormat::Json,
        ListFormat::Shell,
        ListFormat::Escape,
    ] {
        let texts = Texts::new(&changes, list_files);
        let fast = outcomes_with(&[], &changes, &texts);
        assert!(fast.is_empty());
        for o in &outcomes {
            let with = Outcome::with_texts(o.name, o.matches, &changes, &texts, &mut vec![]);
            assert_eq!(with.dirs, o.dirs, "{}", o.name);
        }
        for max_size in [1 << 20, 1024, 100, 300] {
            let got = build(&outcomes, list_files, max_size);
            let mut want = Vec::new();
            let mut oversized = Vec::new();
            let mut put = |name: String, value: String| {
                if value.len() > max_size {
                    oversized.push(Oversized {
                        name,
                        size: Some(value.len()),
                    });
                } else {
                    want.push((name, value));
                }
            };
            let mut changed = vec![];
            for o in &outcomes {
                put(o.name.to_string(), o.changed().to_string());
                put(format!("{}_count", o.name), o.count().to_string());
                if list_files != ListFormat::None {
                    put(format!("{}_files", o.name), reference::files(o, list_files));
                }
                put(
                    format!("{}_dirs", o.name),
                    serde_json::to_string(&o.dirs).unwrap(),
                );
                if o.changed() {
                    changed.push(o.name);
                }
            }
            put("changes".into(), serde_json::to_string(&changed).unwrap());
            let matrix = reference::matrix(&outcomes, list_files);
            if matrix.len() - 2 > max_size {
                oversized.push(Oversized {
                    name: "matrix".into(),
                    size: None,
                });
            } else {
                put("matrix".into(), matrix);
            }
            assert_eq!(got.values, want, "{list_files} {max_size}");
            assert_eq!(got.oversized, oversized, "{list_files} {max_size}");
        }
        let mut doc = Vec::new();
        write_result_document_with(&mut doc, &outcomes, &texts, "git diff \"a\"..b").unwrap();
        assert_eq!(
            String::from_utf8(doc).unwrap(),
            reference::result_document(&outcomes, "git diff \"a\"..b"),
            "{list_files}"
        );
    }
}

/// The result file written from where its pieces are, in batches of `writev`, is the
/// one written through a buffer, byte for byte.
#[test]
fn result_document_written_vectored_is_the_same() {
    let mut changes: Vec<Change> = (0..5000)
        .map(|i| Change::new(format!("d{}/f{i}.rs", i % 3), ChangeStatus::Modified))
        .collect();
    changes.push(Change::renamed("old/\"q\".rs", "new/q.rs"));
    let every = all(&changes);
    let odd: Vec<FileMatch> = every
        .iter()
        .copied()
        .filter(|m| m.change % 2 == 1)
        .collect();
    let renamed = [
        FileMatch {
            change: 5000,
            side: Side::New,
        },
        FileMatch {
            change: 5000,
            side: Side::Old,
        },
    ];
    let texts = Texts::new(&changes, ListFormat::Json);
    let sets: [&[FileMatch]; 4] = [&every, &[], &odd, &renamed];
    let outcomes: Vec<Outcome<'_>> = sets
        .iter()
        .enumerate()
        .map(|(i, m)| {
            Outcome::with_texts(["a", "b", "c", "d"][i], m, &changes, &texts, &mut vec![])
        })
        .collect();
    for outcomes in [&outcomes[..], &outcomes[..1], &[]] {
        let mut buffered = Vec::new();
        write_result_document_with(&mut buffered, outcomes, &texts, "x").unwrap();
        let mut vectored = Vec::new();
        write_result_document_vectored(&mut vectored, outcomes, &texts, "x").unwrap();
        assert_eq!(
            String::from_utf8(vectored).unwrap(),
            String::from_utf8(buffered).unwrap()
        );
    }
}

#[test]
fn colliding_and_reserved_filter_names_are_refused() {
    assert!(check_filter_names(&["api", "web"]).is_ok());
    assert_eq!(
        check_filter_names(&["a", "a_count"]).unwrap_err(),
        "filters 'a' and 'a_count' both write output 'a_count'; rename one of them"
    );
    assert!(
        check_filter_names(&["changes"])
            .unwrap_err()
            .starts_with("filter name 'changes' is also an output of paths-filter")
    );
    assert!(
        check_filter_names(&["a=b"])
            .unwrap_err()
            .contains("'a=b' cannot be an output name")
    );
}

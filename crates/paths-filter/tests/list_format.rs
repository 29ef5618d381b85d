#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Exact `<filter>_files` strings for every `list-files` format. Rows that dorny produces
//! identically say nothing; rows where gantry deliberately differs say what dorny prints.

use paths_filter::list_format::{ListFormat, backslash_escape, csv_escape, format, shell_escape};

const NAMES: &[&str] = &[
    "file.txt",
    "path/to/file.txt",
    "file with space",
    "file, with comma",
    "file \" with double quote",
    "file'with quote",
    "'leading-quote",
    "file'with $quote",
    "$var",
    "a`b`",
    "ünïcödé/日本.txt",
    "",
];

#[test]
fn csv_escaping() {
    let table: &[(&str, &str)] = &[
        ("file.txt", "file.txt"),
        ("path/to/file.txt", "path/to/file.txt"),
        ("a-b_c+d:e@f%g.h", "a-b_c+d:e@f%g.h"),
        ("file with space", "\"file with space\""),
        ("file, with comma", "\"file, with comma\""),
        (
            "file \" with double quote",
            "\"file \"\" with double quote\"",
        ),
        ("file'with quote", "\"file'with quote\""),
        ("$var", "\"$var\""),
        ("a`b`", "\"a`b`\""),
        ("ünï.txt", "\"ünï.txt\""),
        ("😀", "\"😀\""),
        ("", ""),
        // dorny prints `a\nb` raw (its safe-character test is per line); quoted here.
        ("a\nb", "\"a\nb\""),
        ("a\r\nb,c", "\"a\r\nb,c\""),
    ];
    for (input, want) in table {
        assert_eq!(csv_escape(input), *want, "{input:?}");
    }
}

#[test]
fn shell_escaping() {
    let table: &[(&str, &str)] = &[
        ("file.txt", "file.txt"),
        ("path/to/file.txt", "path/to/file.txt"),
        ("a,b", "a,b"),
        ("file with space", "'file with space'"),
        ("$var", "'$var'"),
        ("file\"name", "'file\"name'"),
        ("a`b`", "'a`b`'"),
        ("file'with quote", "\"file'with quote\""),
        ("file'with $quote", "file\\''with $quote'"),
        ("'file-leading-quote", "\"'file-leading-quote\""),
        ("'$x", "\\''$x'"),
        ("a'b'c", "\"a'b'c\""),
        ("ünï.txt", "'ünï.txt'"),
        ("", ""),
        // JavaScript's \s includes no-break space and other Unicode spaces.
        ("it's\u{a0}here", "\"it's\u{a0}here\""),
        // dorny prints these raw (one line is "safe"), letting a shell run `$(x)`: quoted here.
        ("a\n$(x)", "'a\n$(x)'"),
        ("ok\nfine", "'ok\nfine'"),
        ("it's\nfine", "\"it's\nfine\""),
    ];
    for (input, want) in table {
        assert_eq!(shell_escape(input), *want, "{input:?}");
    }
}

#[test]
fn backslash_escaping() {
    let table: &[(&str, &str)] = &[
        ("file.txt", "file.txt"),
        ("path/to/file.txt", "path/to/file.txt"),
        ("a,b+c:d@e%f-g_h", "a,b+c:d@e%f-g_h"),
        ("file with space", "file\\ with\\ space"),
        ("file'with quote\"", "file\\'with\\ quote\\\""),
        ("$var", "\\$var"),
        ("a`b`", "a\\`b\\`"),
        ("ünï", "\\ün\\ï"),
        ("", ""),
        // dorny emits two U+FFFD for an emoji (it escapes UTF-16 halves); whole char here.
        ("😀", "\\😀"),
        // dorny emits `a\<newline>b`, which a shell reads as `ab`; the newline is quoted here.
        ("a\nb", "a'\n'b"),
        ("tab\there", "tab\\\there"),
    ];
    for (input, want) in table {
        assert_eq!(backslash_escape(input), *want, "{input:?}");
    }
}

#[test]
fn joined_outputs() {
    let paths = ["src/a.rs", "dir with space/b c.rs", "q\"uote'.txt", "x,y"];
    assert_eq!(format(&paths, ListFormat::None), "");
    assert_eq!(
        format(&paths, ListFormat::Csv),
        "src/a.rs,\"dir with space/b c.rs\",\"q\"\"uote'.txt\",\"x,y\""
    );
    assert_eq!(
        format(&paths, ListFormat::Json),
        "[\"src/a.rs\",\"dir with space/b c.rs\",\"q\\\"uote'.txt\",\"x,y\"]"
    );
    assert_eq!(
        format(&paths, ListFormat::Shell),
        "src/a.rs 'dir with space/b c.rs' 'q\"uote'\\'.txt x,y"
    );
    assert_eq!(
        format(&paths, ListFormat::Escape),
        "src/a.rs dir\\ with\\ space/b\\ c.rs q\\\"uote\\'.txt x,y"
    );
    for f in [ListFormat::Csv, ListFormat::Shell, ListFormat::Escape] {
        assert_eq!(format(&[], f), "", "{f}");
        assert_eq!(format(&["only"], f), "only", "{f}");
    }
    assert_eq!(format(&[], ListFormat::Json), "[]");
}

/// JSON.stringify's exact output: control characters as short escapes or lower-case
/// `\u00xx`, `/` and non-ASCII unescaped.
#[test]
fn json_matches_json_stringify() {
    let paths = [
        "a/b",
        "tab\t",
        "nl\n",
        "cr\r",
        "bs\\",
        "bell\u{7}",
        "del\u{7f}",
        "é😀",
        "\u{2028}",
    ];
    assert_eq!(
        format(&paths, ListFormat::Json),
        "[\"a/b\",\"tab\\t\",\"nl\\n\",\"cr\\r\",\"bs\\\\\",\"bell\\u0007\",\"del\u{7f}\",\"é😀\",\"\u{2028}\"]"
    );
}

#[test]
fn every_sample_name_round_trips_through_sh() {
    // The shell and escape formats must give back the exact names when a POSIX shell splits
    // them into words. Skipped if no `sh` is available.
    let Ok(sh) = which_sh() else { return };
    let names: Vec<&str> = NAMES
        .iter()
        .copied()
        .filter(|n| !n.is_empty())
        .chain(["a\nb", "x'y\nz $w"])
        .collect();
    for f in [ListFormat::Shell, ListFormat::Escape] {
        let line = format(&names, f);
        let out = std::process::Command::new(&sh)
            .arg("-c")
            .arg(format!("for w in {line}; do printf '%s\\0' \"$w\"; done"))
            .output()
            .unwrap();
        let words: Vec<String> = out
            .stdout
            .split(|b| *b == 0)
            .filter(|w| !w.is_empty())
            .map(|w| String::from_utf8(w.to_vec()).unwrap())
            .collect();
        assert_eq!(words, names, "{f}: {line}");
    }
}

fn which_sh() -> Result<String, ()> {
    ["/bin/sh", "/usr/bin/sh"]
        .iter()
        .find(|p| std::path::Path::new(p).exists())
        .map(|p| p.to_string())
        .ok_or(())
}

#[test]
fn list_format_names() {
    for (text, f) in [
        ("none", ListFormat::None),
        ("csv", ListFormat::Csv),
        ("json", ListFormat::Json),
        ("shell", ListFormat::Shell),
        ("escape", ListFormat::Escape),
    ] {
        assert_eq!(text.parse::<ListFormat>().unwrap(), f);
        assert_eq!(f.to_string(), text);
    }
    // dorny lower-cases the input.
    assert_eq!("JSON".parse::<ListFormat>().unwrap(), ListFormat::Json);
    assert_eq!(
        "yaml".parse::<ListFormat>().unwrap_err().to_string(),
        "invalid list format 'yaml': valid values are none, csv, json, shell, escape"
    );
    assert_eq!(ListFormat::default(), ListFormat::None);
}

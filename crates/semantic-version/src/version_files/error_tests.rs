//! Bad input: each error names the file, the field and the value found, on one line.

use super::check::v;
use super::tests::names;
use super::{BumpContext, VersionFileError, bump, format_of};

/// Bad input: (path, content, context, what the message must contain).
#[test]
fn bad_input_names_the_file_the_field_and_the_value() {
    let none = BumpContext::default();
    let ab = names(&["a", "b"]);
    let cases: &[(&str, &str, &BumpContext, &[&str])] = &[
        (
            "a/Cargo.toml",
            "[package]\nname = \"a\"\n",
            &none,
            &["a/Cargo.toml", "`package.version`", "add `version"],
        ),
        (
            "a/Cargo.toml",
            "[package]\nname = \"a\"\nversion = \"latest\"\n",
            &none,
            &[
                "a/Cargo.toml:3",
                "`package.version`",
                "`\"latest\"`",
                "not a semantic version",
            ],
        ),
        (
            "a/Cargo.toml",
            "[package]\nversion = 1\n",
            &none,
            &["a/Cargo.toml:2", "`package.version`", "`1`"],
        ),
        (
            "a/Cargo.toml",
            "[package]\nversion = \"v1.2.3\"\n",
            &none,
            &["`package.version`", "`\"v1.2.3\"`"],
        ),
        (
            "a/Cargo.toml",
            "[package]\nversion = \"\\u0031.2.3\"\n",
            &none,
            &["a/Cargo.toml:2", "`package.version`", "escapes"],
        ),
        (
            "Cargo.toml",
            "[workspace]\nmembers = []\n",
            &none,
            &["Cargo.toml", "`package.version`", "[workspace.package]"],
        ),
        (
            "Cargo.toml",
            "[workspace.package]\nversion = \"1.2\"\n",
            &none,
            &["Cargo.toml:2", "`workspace.package.version`", "`\"1.2\"`"],
        ),
        (
            "Cargo.toml",
            "[package\nversion = \"1.2.3\"\n",
            &none,
            &["Cargo.toml:1", "not valid TOML", "unclosed table"],
        ),
        (
            "Cargo.lock",
            "version = 4\n",
            &none,
            &["Cargo.lock", "no package names"],
        ),
        (
            "Cargo.lock",
            "[[package]]\nname = \"a\"\nversion = \"0.1.0\"\n",
            &ab,
            &["Cargo.lock", "`b`", "cargo update"],
        ),
        (
            "Cargo.lock",
            "[[package]]\nname = \"a\"\nversion = \"x\"\n[[package]]\nname = \"b\"\nversion = \"0.1.0\"\n",
            &ab,
            &["Cargo.lock:3", "`package[name = \"a\"].version`", "`\"x\"`"],
        ),
        (
            "package.json",
            "{\"name\": \"a\"}\n",
            &none,
            &["package.json", "`version`", "add `\"version\""],
        ),
        (
            "package.json",
            "{\n  \"version\": \"latest\"\n}\n",
            &none,
            &["package.json:2", "`version`", "`\"latest\"`"],
        ),
        (
            "package.json",
            "{\"version\": 1.2}\n",
            &none,
            &["package.json:1", "`version`", "`1.2`"],
        ),
        (
            "package.json",
            "{\"version\": \"1.2.3\",}\n",
            &none,
            &["package.json:1", "not valid JSON", "Trailing commas"],
        ),
        (
            "package.json",
            "// c\n{\"version\": \"1.2.3\"}\n",
            &none,
            &["package.json", "not valid JSON"],
        ),
        (
            "package.json",
            "[]\n",
            &none,
            &["package.json", "not an object"],
        ),
        (
            "package-lock.json",
            "{\"lockfileVersion\": 3, \"packages\": {\"\": {}}}\n",
            &none,
            &["package-lock.json", "`version`", "npm install"],
        ),
        (
            "package-lock.json",
            "{\"version\": \"1.2.3\", \"packages\": {\"\": {\"version\": \"next\"}}}\n",
            &none,
            &[
                "package-lock.json:1",
                "`packages[\"\"].version`",
                "`\"next\"`",
            ],
        ),
        (
            "pyproject.toml",
            "[project]\nname = \"a\"\ndynamic = [\"version\", \"readme\"]\n",
            &none,
            &["pyproject.toml", "dynamic", "x-gantry-version"],
        ),
        (
            "pyproject.toml",
            "[project]\nname = \"a\"\n",
            &none,
            &["pyproject.toml", "`project.version`"],
        ),
        (
            "pyproject.toml",
            "[tool.poetry]\nname = \"a\"\n",
            &none,
            &["pyproject.toml", "`tool.poetry.version`"],
        ),
        (
            "pyproject.toml",
            "[project]\nversion = \"latest\"\n",
            &none,
            &["pyproject.toml:2", "`project.version`", "`\"latest\"`"],
        ),
        (
            "pyproject.toml",
            "[tool.poetry]\nversion = \"1.0.0.dev1\"\n",
            &none,
            &[
                "pyproject.toml:2",
                "`tool.poetry.version`",
                "`\"1.0.0.dev1\"`",
            ],
        ),
        (
            "pyproject.toml",
            "[project\n",
            &none,
            &["pyproject.toml", "not valid TOML"],
        ),
        (
            "Chart.yaml",
            "apiVersion: v2\nname: a\n",
            &none,
            &["Chart.yaml", "`version`", "Helm requires"],
        ),
        (
            "Chart.yaml",
            "name: a\nversion: latest\n",
            &none,
            &["Chart.yaml:2", "`version`", "`latest`"],
        ),
        (
            "Chart.yaml",
            "name: a\nversion: 0.1.0\nappVersion: \"1.16\"\n",
            &none,
            &["Chart.yaml:3", "`appVersion`", "`\"1.16\"`"],
        ),
        (
            "Chart.yaml",
            "version:\n  - 1.2.3\n",
            &none,
            &["Chart.yaml:2", "`version`"],
        ),
        (
            "Chart.yaml",
            "version: |\n  1.2.3\n",
            &none,
            &["Chart.yaml:2", "`version`", "block scalar"],
        ),
        (
            "Chart.yaml",
            "version: \"\\x31.2.3\"\n",
            &none,
            &["Chart.yaml:1", "`version`", "escapes"],
        ),
        (
            "Chart.yaml",
            "version: [1.2.3\n",
            &none,
            &["Chart.yaml", "not valid YAML"],
        ),
        (
            "Chart.yaml",
            "- version: 1.2.3\n",
            &none,
            &["Chart.yaml", "not a mapping"],
        ),
        (
            "VERSION",
            "latest\n",
            &none,
            &["VERSION:1", "`version`", "`latest`"],
        ),
        ("VERSION", "\n", &none, &["VERSION:1", "`version`", "empty"]),
        (
            "src/lib.rs",
            "const V: &str = \"1.2.3\";\n",
            &none,
            &["src/lib.rs", "no line has an `x-gantry-version` marker"],
        ),
        (
            "src/lib.rs",
            "\n// x-gantry-version\nconst V: &str = \"1.2.3\";\n",
            &none,
            &["src/lib.rs:2", "no version"],
        ),
        (
            "README.md",
            "<!-- x-gantry-version-start -->\n1.2.3\n",
            &none,
            &["README.md:1", "`x-gantry-version-end`"],
        ),
        (
            "README.md",
            "1.2.3\n<!-- x-gantry-version-end -->\n",
            &none,
            &["README.md:2", "`x-gantry-version-start`"],
        ),
        (
            "README.md",
            "<!-- x-gantry-version-start -->\nnone\n<!-- x-gantry-version-end -->\n",
            &none,
            &["README.md:3", "no version"],
        ),
    ];
    for (path, content, ctx, expected) in cases {
        let format = format_of(path);
        let error = match bump(path, format, content, &v("1.3.0"), ctx) {
            Ok(bumped) => panic!("{path}: {content:?} bumped to {:?}", bumped.content),
            Err(error) => error,
        };
        let message = error.to_string();
        for part in *expected {
            assert!(
                message.contains(part),
                "{path}: {content:?}: {message:?} lacks {part:?}"
            );
        }
        assert!(!message.contains('\n'), "one line: {message:?}");
    }
}

#[test]
fn the_io_helper_writes_only_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("Cargo.toml");
    std::fs::write(&path, "[package]\nname = \"a\"\nversion = \"0.1.0\"\n").unwrap();
    let bumped = super::bump_file(&path, None, &v("0.2.0"), &BumpContext::default()).unwrap();
    assert_eq!(bumped.changes.len(), 1);
    assert_eq!(bumped.changes[0].old, v("0.1.0"));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "[package]\nname = \"a\"\nversion = \"0.2.0\"\n"
    );
    let missing = super::bump_file(
        &dir.path().join("VERSION"),
        None,
        &v("0.2.0"),
        &BumpContext::default(),
    );
    assert!(
        matches!(missing, Err(VersionFileError::Io { .. })),
        "{missing:?}"
    );
}

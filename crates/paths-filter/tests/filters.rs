#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Filter semantics: globs (picomatch with `{dot: true}`, as dorny/paths-filter), the YAML
//! syntax, change types, quantifiers, negation modes, renames — and every error message.

use gantry_glob::picomatch_table;
use paths_filter::change::{Change, ChangeStatus};
use paths_filter::filter::{FilterError, FilterOptions, FilterSet, NegationMode};
use paths_filter::matching::{
    FileMatch, FilterResult, PredicateQuantifier, Side, synthetic_workload,
};

use ChangeStatus::{Added, Copied, Deleted, Modified, Renamed, TypeChange};
use PredicateQuantifier::{Every, Some as AnyRule, SomeWithExcludes};

const OR: FilterOptions = FilterOptions {
    negation: NegationMode::Or,
};
const EXCLUDE: FilterOptions = FilterOptions {
    negation: NegationMode::Exclude,
};

fn set(yaml: &str, options: FilterOptions) -> FilterSet {
    FilterSet::parse(yaml, &options).unwrap_or_else(|e| panic!("{e}\n--- yaml:\n{yaml}"))
}

fn modified(paths: &[&str]) -> Vec<Change> {
    paths.iter().map(|p| Change::new(*p, Modified)).collect()
}

/// The matching paths of filter `name`.
fn paths_of<'a>(results: &[FilterResult], changes: &'a [Change], name: &str) -> Vec<&'a str> {
    results
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no filter {name}"))
        .paths(changes)
}

fn matching(
    yaml: &str,
    options: FilterOptions,
    q: PredicateQuantifier,
    changes: &[Change],
    name: &str,
) -> Vec<String> {
    let results = set(yaml, options).evaluate(changes, q);
    paths_of(&results, changes, name)
        .into_iter()
        .map(String::from)
        .collect()
}

fn yaml_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn glob_matches(pattern: &str, path: &str) -> bool {
    let yaml = format!("f: {}\n", yaml_quote(pattern));
    let changes = modified(&[path]);
    set(&yaml, OR).evaluate(&changes, AnyRule)[0].matched()
}

// ---------------------------------------------------------------------------------------
// Globs
// ---------------------------------------------------------------------------------------

/// Every row of the shared table (checked against picomatch 4.0.7 and 2.3.1), through the
/// public API.
#[test]
fn picomatch_table() {
    let mut wrong = vec![];
    for &(pattern, path, want) in picomatch_table::TABLE {
        if glob_matches(pattern, path) != want {
            wrong.push(format!("{pattern:?} on {path:?}: expected {want}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The behaviours dorny's README and issues rely on, spelled out.
#[test]
fn glob_semantics_table() {
    let table: &[(&str, &str, bool, &str)] = &[
        (
            "**/*.js",
            ".test/.test.js",
            true,
            "dotfiles and dot-directories match",
        ),
        ("*", ".gitignore", true, "dotfiles match *"),
        ("docs/*", "docs/.hidden", true, "dotfiles match dir/*"),
        ("**", "a/.b/c", true, "** matches everything"),
        ("*", "a/b", false, "* does not cross /"),
        ("src/*.js", "src/a/b.js", false, "* does not cross /"),
        ("a?c", "a/c", false, "? does not match /"),
        ("src/**", "src/a/b/c.rs", true, "** crosses /"),
        ("src/**", "src", true, "dir/** matches dir itself"),
        ("src/**/*", "src", false, "dir/**/* does not match dir"),
        ("src/**", "srcx/a", false, "dir/** is anchored at a segment"),
        ("**/foo", "foo", true, "**/ matches zero directories"),
        ("a/**/b", "a/b", true, "/**/ matches zero directories"),
        ("a/**b", "a/x/b", false, "** inside a segment is *"),
        ("*.{js,ts}", "a.ts", true, "braces"),
        (
            "{src,lib}/**/*.{js,ts}",
            "lib/a/b.ts",
            true,
            "several braces",
        ),
        ("{a,{b,c}}", "c", true, "nested braces"),
        ("{a}", "{a}", true, "braces without a comma are literal"),
        ("file{1..3}", "file2", true, "brace range"),
        ("[abc].txt", "b.txt", true, "class"),
        ("[a-c]x", "bx", true, "class range"),
        ("[[:digit:]]x", "1x", true, "POSIX class"),
        (
            "[!a]x",
            "bx",
            true,
            "[!..] negates (picomatch: does not, see table)",
        ),
        (
            "file[12].txt",
            "file[12].txt",
            true,
            "a pattern matches its own text",
        ),
        ("./src/*", "src/a", true, "leading ./ is ignored"),
        ("\\*x", "*x", true, "escaped star"),
        ("@(a|b).js", "a.js", true, "extglob @()"),
        ("@(a|b).js", "c.js", false, "extglob @()"),
        ("?(a|b).js", ".js", true, "extglob ?()"),
        ("?(a|b).js", "ab.js", false, "extglob ?()"),
        ("+(a|b).js", "abab.js", true, "extglob +()"),
        ("*(a|b).js", ".js", true, "extglob *()"),
        ("!(*.md)", "a.txt", true, "extglob !()"),
        ("!(*.md)", "README.md", false, "extglob !()"),
        (
            "!(*.md)",
            "dir/a.txt",
            false,
            "!() without / stays in one segment",
        ),
        (
            "!(**/*.tsx|**/*.less)",
            "src/server.py",
            true,
            "!() with / crosses segments",
        ),
        (
            "!(**/*.tsx|**/*.less)",
            "src/ui.tsx",
            false,
            "!() with / crosses segments",
        ),
        ("*.!(js|ts)", "a.json", true, "!() after text"),
        (
            "a/!(b)/c",
            "a/bb/c",
            false,
            "!() mid-pattern: the rest must not START with b",
        ),
        ("a/!(b)/c", "a/x/c", true, "!() mid-pattern"),
        (
            "!(*.ts).js",
            "a.tsx.js",
            true,
            "!(*...).ext looks at the extension too",
        ),
        ("src/(a|b)/x", "src/b/x", true, "parenthesised alternatives"),
        ("v[0-9]+/**", "v12/a", true, "+ after a class repeats it"),
        (
            "src/a|b",
            "b",
            true,
            "top-level | outside picomatch's fast path",
        ),
        ("a|b", "a|b", true, "| in a fast-path pattern is literal"),
        (
            "sp ace/ünï😀/*",
            "sp ace/ünï😀/x y.txt",
            true,
            "spaces and unicode",
        ),
        ("!src/**", "lib/a", true, "! negates the whole pattern"),
        ("!!src/**", "src/a", true, "!! cancels out"),
    ];
    let mut wrong = vec![];
    for &(pattern, path, want, why) in table {
        if glob_matches(pattern, path) != want {
            wrong.push(format!("{pattern:?} on {path:?}: expected {want} ({why})"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

// ---------------------------------------------------------------------------------------
// YAML syntax
// ---------------------------------------------------------------------------------------

#[test]
fn single_glob_list_and_change_type_mapping() {
    let yaml = "
single: src/**/*.js
list:
  - src/**/*.js
  - test/**/*.js
typed:
  - added|modified: 'src/**'
";
    let changes = vec![
        Change::new("src/app/module/file.js", Modified),
        Change::new("test/test.js", Added),
        Change::new("src/gone.js", Deleted),
    ];
    let results = set(yaml, OR).evaluate(&changes, AnyRule);
    assert_eq!(
        paths_of(&results, &changes, "single"),
        ["src/app/module/file.js", "src/gone.js"]
    );
    assert_eq!(
        paths_of(&results, &changes, "list"),
        ["src/app/module/file.js", "test/test.js", "src/gone.js"]
    );
    assert_eq!(
        paths_of(&results, &changes, "typed"),
        ["src/app/module/file.js"]
    );
}

#[test]
fn anchors_and_aliases_are_flattened_at_any_depth() {
    let yaml = "
shared: &shared
  - common/**
  - config/**
more: &more
  - *shared
  - - lib/**
api:
  - *more
  - services/api/**
typed:
  - modified: *more
";
    let changes = modified(&[
        "config/settings.yml",
        "lib/x.rs",
        "services/api/a.rs",
        "other",
    ]);
    let results = set(yaml, OR).evaluate(&changes, AnyRule);
    assert_eq!(
        paths_of(&results, &changes, "api"),
        ["config/settings.yml", "lib/x.rs", "services/api/a.rs"]
    );
    assert_eq!(
        paths_of(&results, &changes, "typed"),
        ["config/settings.yml", "lib/x.rs"]
    );
    assert_eq!(
        paths_of(&results, &changes, "shared"),
        ["config/settings.yml"]
    );
}

#[test]
fn definition_order_is_kept_even_for_numeric_names() {
    // dorny's JavaScript object would list "10" and "2" first, in numeric order.
    let yaml = "zeta: '**'\n10: '**'\nalpha: '**'\n2: '**'\ntrue: '**'\n";
    let s = set(yaml, OR);
    assert_eq!(
        s.names().collect::<Vec<_>>(),
        ["zeta", "10", "alpha", "2", "true"]
    );
    let changes = modified(&["x"]);
    let names: Vec<String> = s
        .evaluate(&changes, AnyRule)
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, ["zeta", "10", "alpha", "2", "true"]);
    assert_eq!(s.len(), 5);
    assert!(!s.is_empty());
}

#[test]
fn change_type_keys_are_trimmed_and_case_insensitive_like_dorny() {
    let yaml = "f:\n  - ' Added | MODIFIED ': '**'\n  - added|: x/**\n";
    let changes = vec![
        Change::new("a", Added),
        Change::new("b", Modified),
        Change::new("c", Deleted),
        Change::new("x/d", Added),
    ];
    assert_eq!(
        matching(yaml, OR, AnyRule, &changes, "f"),
        ["a", "b", "x/d"]
    );
}

#[test]
fn a_mapping_with_several_change_types_is_several_rules() {
    let yaml = "f:\n  - added: 'new/**'\n    deleted: 'old/**'\n";
    let changes = vec![
        Change::new("new/a", Added),
        Change::new("new/b", Deleted),
        Change::new("old/c", Deleted),
        Change::new("old/d", Added),
    ];
    assert_eq!(
        matching(yaml, OR, AnyRule, &changes, "f"),
        ["new/a", "old/c"]
    );
    // Under `every`, each key is its own rule, so no file can satisfy both.
    assert!(matching(yaml, OR, Every, &changes, "f").is_empty());
}

#[test]
fn each_file_appears_once_per_filter_in_input_order() {
    let yaml = "f: ['src/**', 'src/*.rs', '**/*.rs']\n";
    let changes = modified(&["src/b.rs", "lib/a.rs", "src/a.rs", "docs/x.md"]);
    let results = set(yaml, OR).evaluate(&changes, AnyRule);
    assert_eq!(
        results[0].files,
        [0, 1, 2].map(|change| FileMatch {
            change,
            side: Side::New
        })
    );
    assert_eq!(results[0].count(), 3);
    assert!(results[0].matched());
}

#[test]
fn filters_sharing_patterns_are_independent() {
    let yaml = "a: ['**/*.md', 'a/**']\nb: ['**/*.md']\nc: ['!**/*.md']\n";
    let changes = modified(&["a/x.rs", "README.md", "b/y.rs"]);
    let results = set(yaml, OR).evaluate(&changes, AnyRule);
    assert_eq!(paths_of(&results, &changes, "a"), ["a/x.rs", "README.md"]);
    assert_eq!(paths_of(&results, &changes, "b"), ["README.md"]);
    assert_eq!(paths_of(&results, &changes, "c"), ["a/x.rs", "b/y.rs"]);
}

// ---------------------------------------------------------------------------------------
// Quantifiers and negation
// ---------------------------------------------------------------------------------------

/// dorny's README example for `predicate-quantifier: every`.
#[test]
fn every_requires_all_rules() {
    let yaml = "backend:\n  - 'pkg/a/b/c/**'\n  - '!**/*.jpeg'\n  - '!**/*.md'\n";
    let changes = modified(&[
        "pkg/a/b/c/some-class.ts",
        "pkg/a/b/c/src/main/some-class.ts",
        "pkg/x/y/z/some-class.ts",
        "pkg/x/y/z/some-pic.jpeg",
        "pkg/a/b/c/some-pics.jpeg",
        "pkg/a/b/c/src/main/some-docs.md",
    ]);
    assert_eq!(
        matching(yaml, OR, Every, &changes, "backend"),
        [
            "pkg/a/b/c/some-class.ts",
            "pkg/a/b/c/src/main/some-class.ts"
        ]
    );
}

#[test]
fn every_counts_change_types_too() {
    let yaml = "f:\n  - 'src/**'\n  - added: '**/*.rs'\n";
    let changes = vec![
        Change::new("src/a.rs", Added),
        Change::new("src/b.rs", Modified),
    ];
    assert_eq!(matching(yaml, OR, Every, &changes, "f"), ["src/a.rs"]);
}

/// dorny's default: a `!` glob is a rule of its own, ORed ("matches nearly everything").
#[test]
fn or_negation_is_dorny_compatible() {
    let yaml = "src:\n  - 'src/**'\n  - '!**/*.md'\n";
    let changes = modified(&["src/README.md", "other/file.txt", "other/x.md"]);
    assert_eq!(
        matching(yaml, OR, AnyRule, &changes, "src"),
        ["src/README.md", "other/file.txt"]
    );
    // Several `!` rules: any file not matching one of them matches (dorny issue #45).
    let yaml = "backend:\n  - '!**/*.tsx'\n  - '!**/*.less'\n";
    let changes = modified(&["a.tsx", "b.less", "c.py"]);
    assert_eq!(
        matching(yaml, OR, AnyRule, &changes, "backend"),
        ["a.tsx", "b.less", "c.py"]
    );
    // The workaround dorny documents: one negated extglob. Inside a group picomatch does
    // not let `**/` match zero directories, so files at the root are NOT excluded.
    let yaml = "backend: '!(**/*.tsx|**/*.less)'\n";
    let changes = modified(&["src/a.tsx", "src/b.less", "src/c.py", "root.tsx"]);
    assert_eq!(
        matching(yaml, OR, AnyRule, &changes, "backend"),
        ["src/c.py", "root.tsx"]
    );
}

/// A status-tagged list is ONE rule whose globs are ORed (dorny's createRuleItem).
#[test]
fn or_negation_inside_a_change_type_list() {
    let yaml = "src:\n  - added|modified: ['src/**', '!**/*.md']\n";
    let changes = vec![
        Change::new("src/README.md", Added),
        Change::new("other/file.txt", Added),
        Change::new("src/index.ts", Deleted),
    ];
    assert_eq!(
        matching(yaml, OR, AnyRule, &changes, "src"),
        ["src/README.md", "other/file.txt"]
    );
}

#[test]
fn exclude_mode_is_ordered_like_gitignore() {
    let yaml = "
mobile:
  - 'mobile/**'
  - '!mobile/**/*.md'
  - '!mobile/.config/**'
  - '.github/workflows/test_mobile.yml'
reinclude:
  - 'src/**'
  - '!**/*.md'
  - 'src/docs/**'
excluded_first:
  - '!**/*.md'
  - 'src/**'
only_negations:
  - '!**/*.md'
";
    let changes = modified(&[
        "mobile/main.kt",
        "mobile/README.md",
        "mobile/.config/lint.json",
        ".github/workflows/test_mobile.yml",
        "backend/main.go",
        "src/docs/guide.md",
        "src/README.md",
        "src/index.ts",
    ]);
    let results = set(yaml, EXCLUDE).evaluate(&changes, AnyRule);
    assert_eq!(
        paths_of(&results, &changes, "mobile"),
        ["mobile/main.kt", ".github/workflows/test_mobile.yml"]
    );
    // A later positive rule re-includes, as in .gitignore.
    assert_eq!(
        paths_of(&results, &changes, "reinclude"),
        ["src/docs/guide.md", "src/index.ts"]
    );
    // Order matters: an exclusion only removes what came before it.
    assert_eq!(
        paths_of(&results, &changes, "excluded_first"),
        ["src/docs/guide.md", "src/README.md", "src/index.ts"]
    );
    assert!(paths_of(&results, &changes, "only_negations").is_empty());
}

#[test]
fn exclude_mode_respects_change_types_of_exclusions() {
    let yaml = "src:\n  - 'src/**'\n  - deleted: '!src/generated/**'\n";
    let changes = vec![
        Change::new("src/generated/api.ts", Deleted),
        Change::new("src/generated/api.ts", Modified),
    ];
    let results = set(yaml, EXCLUDE).evaluate(&changes, AnyRule);
    assert_eq!(
        results[0].files,
        [FileMatch {
            change: 1,
            side: Side::New
        }]
    );
}

/// dorny v4.0.3's `some-with-excludes`, its own test cases.
#[test]
fn some_with_excludes_is_dorny_v4() {
    let yaml = "
exclude_first:
  - '!**/*.md'
  - 'src/**'
exclude_last:
  - 'src/**'
  - '!**/*.md'
final:
  - 'src/**'
  - '!**/*.md'
  - 'src/docs/**'
none:
  - '!**/*.md'
extglob:
  - '!(**/*.tsx|**/*.less)'
";
    let changes = modified(&[
        "src/index.ts",
        "src/README.md",
        "src/docs/guide.md",
        "src/ui.tsx",
    ]);
    let results = set(yaml, OR).evaluate(&changes, SomeWithExcludes);
    assert_eq!(
        paths_of(&results, &changes, "exclude_first"),
        ["src/index.ts", "src/ui.tsx"]
    );
    assert_eq!(
        paths_of(&results, &changes, "exclude_last"),
        ["src/index.ts", "src/ui.tsx"]
    );
    // An exclusion is final: `src/docs/**` does not bring the markdown file back.
    assert_eq!(
        paths_of(&results, &changes, "final"),
        ["src/index.ts", "src/ui.tsx"]
    );
    assert!(paths_of(&results, &changes, "none").is_empty());
    // `!(...)` is an include pattern, not an exclusion.
    assert_eq!(
        paths_of(&results, &changes, "extglob"),
        ["src/index.ts", "src/README.md", "src/docs/guide.md"]
    );
}

#[test]
fn some_with_excludes_with_change_types() {
    let yaml = "
docs: &docs
  - '!**/*.md'
src:
  - added|modified: 'src/**'
  - added|modified: *docs
";
    let changes = vec![
        Change::new("src/index.ts", Added),
        Change::new("src/README.md", Added),
        Change::new("src/legacy.ts", Deleted),
    ];
    assert_eq!(
        matching(yaml, OR, SomeWithExcludes, &changes, "src"),
        ["src/index.ts"]
    );
}

#[test]
fn quantifier_names() {
    for (text, q) in [
        ("some", AnyRule),
        ("every", Every),
        ("some-with-excludes", SomeWithExcludes),
    ] {
        assert_eq!(text.parse::<PredicateQuantifier>().unwrap(), q);
        assert_eq!(q.to_string(), text);
    }
    assert_eq!(
        "all"
            .parse::<PredicateQuantifier>()
            .unwrap_err()
            .to_string(),
        "invalid predicate quantifier 'all': valid values are some, every, some-with-excludes"
    );
    assert_eq!(PredicateQuantifier::default(), AnyRule);
    assert_eq!(
        "exclude".parse::<NegationMode>().unwrap(),
        NegationMode::Exclude
    );
    assert_eq!("or".parse::<NegationMode>().unwrap(), NegationMode::Or);
    assert_eq!(
        "gitignore".parse::<NegationMode>().unwrap_err().to_string(),
        "invalid negation mode 'gitignore': valid values are or, exclude"
    );
    assert_eq!(NegationMode::default(), NegationMode::Or);
}

// ---------------------------------------------------------------------------------------
// Renames, copies, type changes
// ---------------------------------------------------------------------------------------

#[test]
fn a_rename_is_deleted_plus_added_for_rules_not_asking_for_renamed() {
    let yaml = "
plain: 'src/**'
lib: 'lib/**'
deleted:
  - deleted: 'src/**'
added:
  - added: 'lib/**'
modified:
  - modified: '**'
";
    let changes = vec![Change::renamed("src/a.rs", "lib/a.rs")];
    let results = set(yaml, OR).evaluate(&changes, AnyRule);
    let old = [FileMatch {
        change: 0,
        side: Side::Old,
    }];
    let new = [FileMatch {
        change: 0,
        side: Side::New,
    }];
    assert_eq!(results[0].files, old, "plain glob sees the old path leave");
    assert_eq!(results[0].paths(&changes), ["src/a.rs"]);
    assert_eq!(results[1].files, new);
    assert_eq!(results[2].files, old);
    assert_eq!(results[3].files, new);
    assert!(results[4].files.is_empty());
    assert_eq!(old[0].status(&changes), Some(Deleted));
    assert_eq!(new[0].status(&changes), Some(Renamed));
}

#[test]
fn a_rename_is_listed_under_both_paths_like_dorny() {
    // dorny runs `git diff --no-renames`: a rename is two files, added and deleted.
    let changes = vec![
        Change::renamed("src/a.rs", "src/b.rs"),
        Change::new("z", Added),
    ];
    let results = set("all: '**'\n", OR).evaluate(&changes, AnyRule);
    assert_eq!(results[0].paths(&changes), ["src/b.rs", "src/a.rs", "z"]);
    assert_eq!(results[0].count(), 3);
}

#[test]
fn renamed_rules_match_either_path_and_report_the_new_one() {
    let yaml = "
into:
  - renamed: 'lib/**'
out_of:
  - renamed: 'src/**'
elsewhere:
  - renamed: 'docs/**'
";
    let changes = vec![Change::renamed("src/a.rs", "lib/a.rs")];
    let results = set(yaml, OR).evaluate(&changes, AnyRule);
    let new = [FileMatch {
        change: 0,
        side: Side::New,
    }];
    assert_eq!(results[0].files, new);
    assert_eq!(results[1].files, new);
    assert!(results[2].files.is_empty());
    assert_eq!(results[1].paths(&changes), ["lib/a.rs"]);
}

#[test]
fn renames_under_every_and_negations() {
    let changes = vec![Change::renamed("src/a.rs", "lib/a.rs")];
    // `every`: the old side is a deleted src file, the new side an added lib file.
    let yaml = "f:\n  - 'src/**'\n  - deleted: '**/*.rs'\n";
    let results = set(yaml, OR).evaluate(&changes, Every);
    assert_eq!(
        results[0].files,
        [FileMatch {
            change: 0,
            side: Side::Old
        }]
    );
    // Exclude mode: the new path is excluded, the old one is not.
    let yaml = "f:\n  - '**'\n  - '!lib/**'\n";
    let results = set(yaml, EXCLUDE).evaluate(&changes, AnyRule);
    assert_eq!(results[0].paths(&changes), ["src/a.rs"]);
}

#[test]
fn copies_and_type_changes() {
    let copy = Change {
        path: "lib/b.rs".into(),
        status: Copied,
        previous_path: Some("src/a.rs".into()),
    };
    let changes = vec![copy, Change::new("bin/tool", TypeChange)];
    let yaml = "
copied:
  - copied: '**'
added:
  - added: '**'
source:
  - added|copied: 'src/**'
typechange:
  - typechange: '**'
modified:
  - modified: '**'
plain: '**'
";
    let results = set(yaml, OR).evaluate(&changes, AnyRule);
    assert_eq!(paths_of(&results, &changes, "copied"), ["lib/b.rs"]);
    assert_eq!(paths_of(&results, &changes, "added"), ["lib/b.rs"]);
    assert!(
        paths_of(&results, &changes, "source").is_empty(),
        "the copy source did not change"
    );
    assert_eq!(paths_of(&results, &changes, "typechange"), ["bin/tool"]);
    assert_eq!(paths_of(&results, &changes, "modified"), ["bin/tool"]);
    assert_eq!(
        paths_of(&results, &changes, "plain"),
        ["lib/b.rs", "bin/tool"]
    );
}

// ---------------------------------------------------------------------------------------
// Scale (a correctness check on the benchmark workload, not a timing)
// ---------------------------------------------------------------------------------------

#[test]
fn synthetic_workload_matches_one_service_per_file() {
    let (yaml, changes) = synthetic_workload(2_000, 50);
    let s = set(&yaml, OR);
    assert_eq!(s.len(), 50);
    for q in [AnyRule, Every, SomeWithExcludes] {
        let results = s.evaluate(&changes, q);
        assert!(results.iter().all(|r| r.count() == 40), "{q}");
        assert_eq!(results[7].paths(&changes)[0], "services/svc7/src/file7.rs");
    }
}

// ---------------------------------------------------------------------------------------
// Errors: each names the filter, the value and what is valid
// ---------------------------------------------------------------------------------------

fn error(yaml: &str) -> String {
    match FilterSet::parse(yaml, &OR) {
        Ok(_) => panic!("accepted:\n{yaml}"),
        Err(e) => e.to_string(),
    }
}

const RULES: &str =
    "expected a glob string, a list of globs, or a mapping of change types to globs";
const VALID: &str = "added, copied, deleted, modified, renamed, typechange, unmerged";

#[test]
fn error_messages() {
    let cases: Vec<(&str, String)> = vec![
        (
            "api:\n  - a/**\n  - b/**\n  -\n",
            format!("filter 'api': rule 3 is null: {RULES}"),
        ),
        (
            "api:\n  - 5\n",
            format!("filter 'api': rule 1 is the number 5: {RULES}"),
        ),
        (
            "api: [a, 1.5]\n",
            format!("filter 'api': rule 2 is the number 1.5: {RULES}"),
        ),
        (
            "api: true\n",
            format!("filter 'api': rule 1 is the boolean true: {RULES}"),
        ),
        (
            "api:\n  -\n  - a/**\n",
            format!("filter 'api': rule 1 is null: {RULES}"),
        ),
        ("api:\n", format!("filter 'api' has no rules: {RULES}")),
        ("api: []\n", format!("filter 'api' has no rules: {RULES}")),
        ("api: {}\n", format!("filter 'api' has no rules: {RULES}")),
        (
            "api:\n  - updated|added: '**'\n",
            format!(
                "filter 'api': rule 1: unknown change type 'updated' in 'updated|added': valid change types are {VALID}"
            ),
        ),
        (
            "api:\n  - a\n  - removed: '**'\n",
            format!(
                "filter 'api': rule 2: unknown change type 'removed' in 'removed': valid change types are {VALID}"
            ),
        ),
        (
            "api:\n  - ' | ': '**'\n",
            format!(
                "filter 'api': rule 1: ' | ' names no change type: use one or more of {VALID} joined by '|'"
            ),
        ),
        (
            "api:\n  - added: []\n",
            "filter 'api': rule 1: 'added' has no globs: expected a glob string or a list of glob strings"
                .to_string(),
        ),
        (
            "api:\n  - added: [a, null]\n",
            "filter 'api': rule 1 ('added') is null: expected a glob string or a list of glob strings"
                .to_string(),
        ),
        (
            "api:\n  - added: 7\n",
            "filter 'api': rule 1 ('added') is the number 7: expected a glob string or a list of glob strings"
                .to_string(),
        ),
        (
            "api:\n  - added: {x: y}\n",
            "filter 'api': rule 1 ('added') is a mapping: expected a glob string or a list of glob strings"
                .to_string(),
        ),
        (
            "api:\n  - ok/**\n  - 'src/[z-a].rs'\n",
            "filter 'api': rule 2: invalid glob 'src/[z-a].rs': invalid range 'z-a' in a character class: the start is after the end"
                .to_string(),
        ),
        (
            "api:\n  - modified: [a, '[[:nope:]]']\n",
            "filter 'api': rule 1 ('modified') glob 2: invalid glob '[[:nope:]]': unknown POSIX class '[:nope:]': valid classes are alnum, alpha, ascii, blank, cntrl, digit, graph, lower, print, punct, space, upper, word, xdigit"
                .to_string(),
        ),
        (
            "api: ''\n",
            "filter 'api': rule 1: invalid glob '': a glob must not be empty".to_string(),
        ),
        (
            "api: '!'\n",
            "filter 'api': rule 1: invalid glob '!': a negation '!' must be followed by a glob"
                .to_string(),
        ),
        (
            "- a\n- b\n",
            "filters: the top level must be a mapping of filter names to rules, found a list"
                .to_string(),
        ),
        (
            "src/**\n",
            "filters: the top level must be a mapping of filter names to rules, found the string 'src/**'"
                .to_string(),
        ),
        (
            "",
            "filters: no filters are defined: expected a mapping of filter names to rules"
                .to_string(),
        ),
        (
            "# only a comment\n",
            "filters: no filters are defined: expected a mapping of filter names to rules"
                .to_string(),
        ),
        (
            "{}\n",
            "filters: no filters are defined: expected a mapping of filter names to rules"
                .to_string(),
        ),
        (
            "a: x\n'': y\n",
            "filters: filter #2 has an empty name: every filter needs a name".to_string(),
        ),
        (
            "a: x\n[1, 2]: y\n",
            "filters: filter #2 has a list as its name: expected a string".to_string(),
        ),
    ];
    let mut wrong = vec![];
    for (yaml, want) in &cases {
        let got = error(yaml);
        if &got != want {
            wrong.push(format!("yaml {yaml:?}\n  got:  {got}\n  want: {want}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn yaml_errors_are_reported_with_their_cause() {
    for yaml in ["a: [unclosed\n", "a: x\na: y\n", "a: *nope\n"] {
        match FilterSet::parse(yaml, &OR) {
            Err(FilterError::Yaml { message }) => {
                assert!(!message.is_empty());
                assert!(error(yaml).starts_with("filters: invalid YAML: "), "{yaml}");
            }
            other => panic!("{yaml:?}: {other:?}"),
        }
    }
}

#[test]
fn error_values_carry_structured_fields() {
    assert_eq!(
        FilterSet::parse("api:\n  - x: '**'\n", &OR).unwrap_err(),
        FilterError::UnknownChangeType {
            filter: "api".into(),
            at: "rule 1".into(),
            key: "x".into(),
            change_type: "x".into(),
            valid: VALID.into(),
        }
    );
}

//! Table tests of [`edit`](super::edit), [`read`](super::read) and [`detect`](super::detect),
//! and the byte-level checks the corpus tests share: a file changes only inside the values of
//! the references (or, where an entry or key is added, by whole added lines).

use std::ops::Range;

use gantry_image_ref::ImageRef;

use super::tree::Tree;
use super::*;

// ---------------------------------------------------------------------------------------------
// Byte-level differences.

/// One place where two texts differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Diff {
    /// Inside a scalar on both sides: the old and new scalars' values (`old` is `None` when a
    /// null written as nothing got a value).
    Value { old: Option<String>, new: String },
    /// Whole lines added, nothing removed.
    Lines(String),
    /// Anything else: the old and new bytes.
    Other { old: String, new: String },
}

/// The differing regions of two texts: lines compared by longest common subsequence, then, in
/// a run of changed lines, bytes by common prefix and suffix (line by line when the run has as
/// many lines on both sides).
pub(super) fn regions(old: &str, new: &str) -> Vec<(Range<usize>, Range<usize>)> {
    let a: Vec<&str> = old.split_inclusive('\n').collect();
    let b: Vec<&str> = new.split_inclusive('\n').collect();
    let offsets = |lines: &[&str]| {
        let mut out = vec![0];
        for l in lines {
            out.push(out.last().copied().unwrap_or(0) + l.len());
        }
        out
    };
    let (ao, bo) = (offsets(&a), offsets(&b));
    let mut p = 0;
    while p < a.len() && p < b.len() && a[p] == b[p] {
        p += 1;
    }
    let mut s = 0;
    while s < a.len() - p && s < b.len() - p && a[a.len() - 1 - s] == b[b.len() - 1 - s] {
        s += 1;
    }
    let (am, bm) = (&a[p..a.len() - s], &b[p..b.len() - s]);
    let (n, m) = (am.len(), bm.len());
    let mut lcs = vec![0u32; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[at(i, j)] = if am[i] == bm[j] {
                lcs[at(i + 1, j + 1)] + 1
            } else {
                lcs[at(i + 1, j)].max(lcs[at(i, j + 1)])
            };
        }
    }
    // Runs of changed lines: (old lines, new lines), indexes into am / bm.
    let mut hunks: Vec<(Range<usize>, Range<usize>)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    let mut open: Option<(usize, usize)> = None;
    while i < n || j < m {
        if i < n && j < m && am[i] == bm[j] {
            if let Some((i0, j0)) = open.take() {
                hunks.push((i0..i, j0..j));
            }
            i += 1;
            j += 1;
        } else {
            open.get_or_insert((i, j));
            if j < m && (i == n || lcs[at(i, j + 1)] >= lcs[at(i + 1, j)]) {
                j += 1;
            } else {
                i += 1;
            }
        }
    }
    if let Some((i0, j0)) = open {
        hunks.push((i0..n, j0..m));
    }
    let mut out = Vec::new();
    for (li, lj) in hunks {
        let pairs: Vec<(Range<usize>, Range<usize>)> = if li.len() == lj.len() {
            li.clone()
                .zip(lj.clone())
                .map(|(x, y)| (ao[p + x]..ao[p + x + 1], bo[p + y]..bo[p + y + 1]))
                .collect()
        } else if !li.is_empty() && li.len() < lj.len() {
            // Lines changed and lines added: pair each old line with the new line that makes
            // the fewest bytes differ; the new lines left over are additions.
            align(&am[li.clone()], &bm[lj.clone()])
                .into_iter()
                .map(|(x, ys)| {
                    let x = x.map_or(ao[p + li.start]..ao[p + li.start], |x| {
                        ao[p + li.start + x]..ao[p + li.start + x + 1]
                    });
                    (x, bo[p + lj.start + ys.start]..bo[p + lj.start + ys.end])
                })
                .collect()
        } else {
            vec![(
                ao[p + li.start]..ao[p + li.end],
                bo[p + lj.start]..bo[p + lj.end],
            )]
        };
        for (ra, rb) in pairs {
            if ra.is_empty() {
                out.push((ra, rb));
                continue;
            }
            let (x, y) = (&old[ra.clone()], &new[rb.clone()]);
            if x == y {
                continue;
            }
            let mut pre = x.bytes().zip(y.bytes()).take_while(|(c, d)| c == d).count();
            while !(x.is_char_boundary(pre) && y.is_char_boundary(pre)) {
                pre -= 1;
            }
            let max_suf = x.len().min(y.len()) - pre;
            let mut suf = x
                .bytes()
                .rev()
                .zip(y.bytes().rev())
                .take(max_suf)
                .take_while(|(c, d)| c == d)
                .count();
            while !(x.is_char_boundary(x.len() - suf) && y.is_char_boundary(y.len() - suf)) {
                suf -= 1;
            }
            out.push((ra.start + pre..ra.end - suf, rb.start + pre..rb.end - suf));
        }
    }
    out
}

/// The bytes that differ between two lines once their common prefix and suffix are set aside.
fn cost(a: &str, b: &str) -> usize {
    let pre = a.bytes().zip(b.bytes()).take_while(|(c, d)| c == d).count();
    let max = a.len().min(b.len()) - pre;
    let suf = a
        .bytes()
        .rev()
        .zip(b.bytes().rev())
        .take(max)
        .take_while(|(c, d)| c == d)
        .count();
    a.len() + b.len() - 2 * (pre + suf)
}

/// Aligns `old` lines (fewer) with `new` lines: every old line is paired with one new line, in
/// order, with the fewest differing bytes; the rest are added lines. Returns (old line, new
/// lines): `(Some(i), j..j + 1)` for a pair, `(None, j..k)` for added lines.
fn align(old: &[&str], new: &[&str]) -> Vec<(Option<usize>, Range<usize>)> {
    let (n, m) = (old.len(), new.len());
    let inf = usize::MAX / 4;
    // best[i][j]: the cost of aligning old[..i] with new[..j].
    let mut best = vec![vec![inf; m + 1]; n + 1];
    best[0][0] = 0;
    for j in 1..=m {
        best[0][j] = best[0][j - 1] + new[j - 1].len();
        for i in 1..=n.min(j) {
            best[i][j] = (best[i][j - 1] + new[j - 1].len())
                .min(best[i - 1][j - 1] + cost(old[i - 1], new[j - 1]));
        }
    }
    let mut steps = Vec::new();
    let (mut i, mut j) = (n, m);
    while j > 0 {
        if i > 0 && best[i][j] == best[i - 1][j - 1] + cost(old[i - 1], new[j - 1]) {
            steps.push((Some(i - 1), j - 1..j));
            i -= 1;
        } else {
            steps.push((None, j - 1..j));
        }
        j -= 1;
    }
    steps.reverse();
    // Added lines next to each other are one addition.
    let mut out: Vec<(Option<usize>, Range<usize>)> = Vec::new();
    for (x, ys) in steps {
        match out.last_mut() {
            Some((None, last)) if x.is_none() && last.end == ys.start => last.end = ys.end,
            _ => out.push((x, ys)),
        }
    }
    out
}

/// The smallest scalar of `tree` whose span holds `range`.
fn scalar_around<'a>(tree: &'a Tree<'_>, range: &Range<usize>) -> Option<(Range<usize>, &'a str)> {
    tree.scalars()
        .into_iter()
        .filter(|(span, _)| span.start <= range.start && range.end <= span.end)
        .min_by_key(|(span, _)| span.len())
}

/// What changed between two texts, classified.
pub(super) fn differences(old: &str, new: &str) -> Vec<Diff> {
    let old_tree = Tree::parse(old).unwrap();
    let new_tree = Tree::parse(new).unwrap_or_else(|e| panic!("new text is not YAML: {e}\n{new}"));
    regions(old, new)
        .into_iter()
        .map(|(ra, rb)| {
            let whole_lines = ra.is_empty()
                && (rb.start == 0 || new.as_bytes()[rb.start - 1] == b'\n')
                && (new[rb.clone()].ends_with('\n') || rb.end == new.len());
            // An empty old region is inside a scalar when it is strictly inside its span
            // (between quotes); at a span's edge it is an insertion next to it.
            let old_scalar = scalar_around(&old_tree, &ra)
                .filter(|(span, _)| !ra.is_empty() || (span.start < ra.start && ra.end < span.end));
            let new_scalar = scalar_around(&new_tree, &rb);
            match (old_scalar, new_scalar) {
                (Some((_, o)), Some((_, n))) => Diff::Value {
                    old: Some(o.to_owned()),
                    new: n.to_owned(),
                },
                // A null written as nothing (`tag:`) that got a value.
                (None, Some((span, n))) if ra.is_empty() && !whole_lines && span.end == rb.end => {
                    Diff::Value {
                        old: None,
                        new: n.to_owned(),
                    }
                }
                _ if whole_lines => Diff::Lines(new[rb].to_owned()),
                _ => Diff::Other {
                    old: old[ra].to_owned(),
                    new: new[rb].to_owned(),
                },
            }
        })
        .collect()
}

/// The number of documents of a YAML stream.
pub(super) fn documents(text: &str) -> usize {
    Tree::parse(text).unwrap().docs.len()
}

/// Edits, and checks what every edit must satisfy: bytes change only inside the reported
/// values (or by added lines/entries when a change adds something); the result is YAML with as
/// many documents; editing again changes nothing.
fn run(text: &str, form: &Form, target: &Target) -> Edited {
    let edited = edit(text, form, target).unwrap_or_else(|e| panic!("edit failed: {e}\n{text}"));
    let adds = edited.changes.iter().any(|c| c.old.is_none());
    let news: Vec<&str> = edited.changes.iter().map(|c| c.new.as_str()).collect();
    for diff in differences(text, &edited.text) {
        match &diff {
            Diff::Value { new, .. } => assert!(
                news.contains(&new.as_str()) || adds,
                "{diff:?} is not a reported change ({:?})\n{}",
                edited.changes,
                edited.text
            ),
            Diff::Lines(_) | Diff::Other { .. } => {
                assert!(adds, "{diff:?} changes more than values\n{}", edited.text);
            }
        }
    }
    // (An empty file, no document, gets one.)
    assert_eq!(
        documents(&edited.text),
        documents(text).max(1),
        "{}",
        edited.text
    );
    let again = edit(&edited.text, form, target).unwrap();
    assert_eq!(again.changes, [], "editing again changes\n{}", edited.text);
    assert_eq!(again.text, edited.text);
    edited
}

fn target(name: &str, new: &str) -> Target {
    Target {
        name: name.to_owned(),
        container: None,
        new: ImageRef::parse(new).unwrap_or_else(|| panic!("{new} is not a reference")),
    }
}

fn in_container(container: &str, name: &str, new: &str) -> Target {
    Target {
        container: Some(container.to_owned()),
        ..target(name, new)
    }
}

fn digest(c: char) -> String {
    format!("sha256:{}", c.to_string().repeat(64))
}

fn helm(
    repository: Option<&str>,
    tag: Option<&str>,
    digest: Option<&str>,
    image: Option<&str>,
) -> Form {
    Form::Helm(HelmPaths {
        repository: repository.map(str::to_owned),
        tag: tag.map(str::to_owned),
        digest: digest.map(str::to_owned),
        image: image.map(str::to_owned),
    })
}

fn tag_path() -> Form {
    helm(None, Some("image.tag"), None, None)
}

fn repo_and_tag() -> Form {
    helm(Some("image.repository"), Some("image.tag"), None, None)
}

/// (case, input, form, target, expected output)
type Case = (&'static str, String, Form, Target, String);

fn check_cases(cases: Vec<Case>) {
    for (case, input, form, target, expected) in cases {
        let edited = run(&input, &form, &target);
        assert_eq!(edited.text, expected, "case {case}:\n{}", edited.text);
        if expected != input {
            assert!(
                !edited.changes.is_empty(),
                "case {case}: no change reported"
            );
        }
        // What was set can be read back.
        let current =
            read(&edited.text, &form, &target).unwrap_or_else(|e| panic!("case {case}: {e}"));
        if let Some(tag) = &target.new.tag {
            assert_eq!(current.tag.as_ref(), Some(tag), "case {case}: {current:?}");
        }
        if let Some(d) = &target.new.digest {
            assert_eq!(current.digest.as_ref(), Some(d), "case {case}: {current:?}");
        }
        // (A Helm or Argo CD form given only a tag path reads no repository.)
        if let Some(repository) = current.repository {
            assert!(
                names::same(&repository, &names::new_repository(&target.new)),
                "case {case}: read {repository}, set {}",
                target.new
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The byte-level helpers themselves.

#[test]
fn regions_are_minimal() {
    assert_eq!(regions("a: v1\nb: x\n", "a: v2\nb: x\n"), [(4..5, 4..5)]);
    assert_eq!(
        regions("a: 1\nb: 2\n", "a: 1\nc: 3\nb: 2\n"),
        [(5..5, 5..10)]
    );
    assert_eq!(
        regions("x: é1\ny: é1\n", "x: é2\ny: é2\n"),
        [(5..6, 5..6), (12..13, 12..13)]
    );
    assert_eq!(regions("same", "same"), []);
    let diffs = differences("a: v1 # c\nb: [x]\n", "a: \"1.10\" # c\nb: [x]\n");
    assert_eq!(
        diffs,
        [Diff::Value {
            old: Some("v1".to_owned()),
            new: "1.10".to_owned()
        }]
    );
    assert_eq!(
        differences("a: v1\n", "a: v1\n# added\n"),
        [Diff::Lines("# added\n".to_owned())]
    );
    assert!(matches!(
        differences("a: v1\nb: 2\n", "a: v1\nb: 3 # x\n")[..],
        [Diff::Other { .. }]
    ));
    // A changed line next to added lines.
    assert_eq!(
        differences(
            "a:\n  name: a\n  newTag: v1\nx: 1\n",
            "a:\n  name: a\n  newName: b\n  newTag: v2\n  digest: d\nx: 1\n"
        ),
        [
            Diff::Lines("  newName: b\n".to_owned()),
            Diff::Value {
                old: Some("v1".to_owned()),
                new: "v2".to_owned()
            },
            Diff::Lines("  digest: d\n".to_owned()),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// kustomize

const KUSTOMIZATION: &str = "\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml # the app
images:
  - name: api
    newName: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/api
    newTag: v1.0.0 # pinned
  - name: nginx
    newTag: \"1.25\"
  - name: gcr.io/team/worker
    newTag: 'w1'
";

fn replace(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from:?} not in the text");
    text.replacen(from, to, 1)
}

#[test]
fn kustomize_edits() {
    let ecr = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/api";
    let k = KUSTOMIZATION;
    let d = digest('a');
    check_cases(vec![
        (
            "newTag, comment kept",
            k.to_owned(),
            Form::Kustomize,
            target("api", &format!("{ecr}:v1.1.0")),
            replace(k, "newTag: v1.0.0 # pinned", "newTag: v1.1.0 # pinned"),
        ),
        (
            "double-quoted stays double-quoted",
            k.to_owned(),
            Form::Kustomize,
            target("nginx", "nginx:1.27"),
            replace(k, "newTag: \"1.25\"", "newTag: \"1.27\""),
        ),
        (
            "Docker Hub's names are one",
            k.to_owned(),
            Form::Kustomize,
            target("docker.io/library/nginx", "docker.io/library/nginx:1.27"),
            replace(k, "newTag: \"1.25\"", "newTag: \"1.27\""),
        ),
        (
            "single-quoted stays single-quoted, a name with a registry",
            k.to_owned(),
            Form::Kustomize,
            target("gcr.io/team/worker", "gcr.io/team/worker:w2"),
            replace(k, "newTag: 'w1'", "newTag: 'w2'"),
        ),
        (
            "matched by newName",
            k.to_owned(),
            Form::Kustomize,
            target("something-else", &format!("{ecr}:v2")),
            replace(k, "newTag: v1.0.0 # pinned", "newTag: v2 # pinned"),
        ),
        (
            "newName changed",
            k.to_owned(),
            Form::Kustomize,
            target("api", "ghcr.io/team/api:v2"),
            replace(
                &replace(k, ecr, "ghcr.io/team/api"),
                "newTag: v1.0.0",
                "newTag: v2",
            ),
        ),
        (
            "newName added after name",
            k.to_owned(),
            Form::Kustomize,
            target("nginx", "reg.io/nginx:1.27"),
            replace(
                k,
                "  - name: nginx\n    newTag: \"1.25\"",
                "  - name: nginx\n    newName: reg.io/nginx\n    newTag: \"1.27\"",
            ),
        ),
        (
            "a tag YAML would read as a number is quoted",
            k.to_owned(),
            Form::Kustomize,
            target("api", &format!("{ecr}:1.10")),
            replace(k, "newTag: v1.0.0", "newTag: \"1.10\""),
        ),
        (
            "digest added after newTag; newTag left",
            k.to_owned(),
            Form::Kustomize,
            target("api", &format!("{ecr}@{d}")),
            replace(
                k,
                "newTag: v1.0.0 # pinned\n",
                &format!("newTag: v1.0.0 # pinned\n    digest: {d}\n"),
            ),
        ),
        (
            "tag and digest",
            k.to_owned(),
            Form::Kustomize,
            target("nginx", &format!("nginx:1.27@{d}")),
            replace(
                k,
                "newTag: \"1.25\"\n",
                &format!("newTag: \"1.27\"\n    digest: {d}\n"),
            ),
        ),
        (
            "entry appended in the entries' style",
            k.to_owned(),
            Form::Kustomize,
            target("redis", "reg.io/redis:7"),
            format!("{k}  - name: redis\n    newName: reg.io/redis\n    newTag: \"7\"\n"),
        ),
    ]);
}

#[test]
fn kustomize_keys_and_entries_are_added() {
    let d = digest('b');
    check_cases(vec![
        (
            "newTag added",
            "images:\n- name: app\n".to_owned(),
            Form::Kustomize,
            target("app", "app:v1"),
            "images:\n- name: app\n  newTag: v1\n".to_owned(),
        ),
        (
            "newTag added after newName, before a comment line and the next entry",
            "images:\n- name: app\n  newName: reg.io/app\n  # next\n- name: b\n  newTag: x\n".to_owned(),
            Form::Kustomize,
            target("app", "reg.io/app:v1"),
            "images:\n- name: app\n  newName: reg.io/app\n  newTag: v1\n  # next\n- name: b\n  newTag: x\n"
                .to_owned(),
        ),
        (
            "dash style kept: `-   name`",
            "images:\n-   name: a\n    newTag: x\n".to_owned(),
            Form::Kustomize,
            target("b", "b:v1"),
            "images:\n-   name: a\n    newTag: x\n-   name: b\n    newTag: v1\n".to_owned(),
        ),
        (
            "no images: a block at the end",
            "resources:\n- a.yaml\n".to_owned(),
            Form::Kustomize,
            target("app", "reg.io/app:v1"),
            "resources:\n- a.yaml\nimages:\n- name: app\n  newName: reg.io/app\n  newTag: v1\n".to_owned(),
        ),
        (
            "no images, no newline at the end",
            "resources:\n- a.yaml".to_owned(),
            Form::Kustomize,
            target("app", "app:v1"),
            "resources:\n- a.yaml\nimages:\n- name: app\n  newTag: v1\n".to_owned(),
        ),
        (
            "no images, CRLF",
            "resources:\r\n- a.yaml\r\n".to_owned(),
            Form::Kustomize,
            target("app", "app:v1"),
            "resources:\r\n- a.yaml\r\nimages:\r\n- name: app\r\n  newTag: v1\r\n".to_owned(),
        ),
        (
            "empty file",
            String::new(),
            Form::Kustomize,
            target("app", "app:v1"),
            "images:\n- name: app\n  newTag: v1\n".to_owned(),
        ),
        (
            "`images:` with nothing",
            "images:\nresources: []\n".to_owned(),
            Form::Kustomize,
            target("app", "app:v1"),
            "images:\n- name: app\n  newTag: v1\nresources: []\n".to_owned(),
        ),
        (
            "last entry without a final newline",
            "images:\n- name: a\n  newTag: x".to_owned(),
            Form::Kustomize,
            target("a", &format!("a@{d}")),
            format!("images:\n- name: a\n  newTag: x\n  digest: {d}"),
        ),
        (
            "entry appended without a final newline",
            "images:\n- name: a\n  newTag: x".to_owned(),
            Form::Kustomize,
            target("b", "b:y"),
            // (`y` is a boolean in YAML 1.1.)
            "images:\n- name: a\n  newTag: x\n- name: b\n  newTag: \"y\"".to_owned(),
        ),
    ]);
}

#[test]
fn kustomize_flow_style() {
    let d = digest('c');
    check_cases(vec![
        (
            "value in a flow mapping",
            "images: [{name: a, newTag: v1}, {name: b, newTag: v1}]\n".to_owned(),
            Form::Kustomize,
            target("b", "b:v2"),
            "images: [{name: a, newTag: v1}, {name: b, newTag: v2}]\n".to_owned(),
        ),
        (
            "key added in a flow mapping",
            "images: [{name: a, newTag: v1}]\n".to_owned(),
            Form::Kustomize,
            target("a", &format!("a:v1@{d}")),
            format!("images: [{{name: a, newTag: v1, digest: {d}}}]\n"),
        ),
        (
            "entry added to a flow sequence",
            "images: [{name: a, newTag: v1}]\n".to_owned(),
            Form::Kustomize,
            target("b", "b:2.0"),
            "images: [{name: a, newTag: v1}, {name: b, newTag: \"2.0\"}]\n".to_owned(),
        ),
        (
            "entry added to an empty flow sequence",
            "images: []\n".to_owned(),
            Form::Kustomize,
            target("b", "reg.io/b:v2"),
            "images: [{name: b, newName: reg.io/b, newTag: v2}]\n".to_owned(),
        ),
        (
            "flow entry over lines",
            "images:\n  - {name: a,\n     newTag: v1}\n".to_owned(),
            Form::Kustomize,
            target("a", "a:v2"),
            "images:\n  - {name: a,\n     newTag: v2}\n".to_owned(),
        ),
    ]);
}

#[test]
fn one_line_block_scalars() {
    check_cases(vec![
        (
            "folded, strip",
            "images:\n- name: a\n  newTag: >-\n    v1\n- name: b\n".to_owned(),
            Form::Kustomize,
            target("a", "a:v2"),
            "images:\n- name: a\n  newTag: >-\n    v2\n- name: b\n".to_owned(),
        ),
        (
            "literal, clip, CRLF, at the end of the file",
            "image:\r\n  tag: |\r\n    v1\r\n".to_owned(),
            tag_path(),
            target("a", "a:1.0"),
            "image:\r\n  tag: |\r\n    1.0\r\n".to_owned(),
        ),
        (
            "as Argo CD writes long kustomize images",
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nspec:\n  source:\n    kustomize:\n      images:\n        - >-\n          ghcr.io/org/app=ghcr.io/org/app:2.2.0\n        - >-\n          ghcr.io/org/web=ghcr.io/org/web:2.2.0\n".to_owned(),
            Form::ArgoCd(HelmPaths::default()),
            target("ghcr.io/org/web", "ghcr.io/org/web:2.3.0"),
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nspec:\n  source:\n    kustomize:\n      images:\n        - >-\n          ghcr.io/org/app=ghcr.io/org/app:2.2.0\n        - >-\n          ghcr.io/org/web=ghcr.io/org/web:2.3.0\n".to_owned(),
        ),
    ]);
}

#[test]
fn kustomize_digests() {
    let (old, new) = (digest('a'), digest('b'));
    check_cases(vec![
        (
            "digest replaced, newTag left when only a digest is given",
            format!("images:\n- name: a\n  newTag: v1\n  digest: {old}\n"),
            Form::Kustomize,
            target("a", &format!("a@{new}")),
            format!("images:\n- name: a\n  newTag: v1\n  digest: {new}\n"),
        ),
        (
            "a tag without digest empties the old digest",
            format!("images:\n- name: a\n  newTag: v1\n  digest: {old}\n"),
            Form::Kustomize,
            target("a", "a:v2"),
            "images:\n- name: a\n  newTag: v2\n  digest: \"\"\n".to_owned(),
        ),
    ]);
}

#[test]
fn kustomize_preserves_the_rest_of_the_file() {
    let text = "\u{feff}# généré à la main\r\nimages:\r\n\t# tab-indented comment\r\n- name: app   # the API\r\n  newTag:    v1    # keep\r\nlabels: {app: \"ü\"}\r\n";
    let edited = run(text, &Form::Kustomize, &target("app", "app:v2"));
    assert_eq!(
        edited.text,
        text.replace("newTag:    v1 ", "newTag:    v2 ")
    );
    assert_eq!(
        edited.changes,
        [Change {
            line: 5,
            field: "images[app].newTag".to_owned(),
            old: Some("v1".to_owned()),
            new: "v2".to_owned(),
        }]
    );
    // An added key keeps CRLF and the entry's indentation.
    let edited = run(text, &Form::Kustomize, &target("app", "reg.io/app:v2"));
    assert!(edited.text.starts_with('\u{feff}'));
    assert!(
        edited.text.contains(
            "- name: app   # the API\r\n  newName: reg.io/app\r\n  newTag:    v2    # keep\r\n"
        ),
        "{}",
        edited.text
    );
    assert_eq!(edited.changes.len(), 2);
    assert_eq!(edited.changes[0].line, 5);
    assert_eq!(edited.changes[0].old, None);
}

#[test]
fn kustomize_reads() {
    let current = read(KUSTOMIZATION, &Form::Kustomize, &target("api", "x:v1")).unwrap();
    assert_eq!(
        current,
        Current {
            repository: Some("123456789012.dkr.ecr.eu-west-1.amazonaws.com/api".to_owned()),
            tag: Some("v1.0.0".to_owned()),
            digest: None,
        }
    );
    let current = read(KUSTOMIZATION, &Form::Kustomize, &target("nginx", "x:v1")).unwrap();
    assert_eq!(current.repository.as_deref(), Some("nginx"));
    assert_eq!(current.tag.as_deref(), Some("1.25"));
    let err = read(KUSTOMIZATION, &Form::Kustomize, &target("redis", "x:v1")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the kustomization has no `images` entry named `redis` (it has: api, nginx, \
         gcr.io/team/worker); check `image`"
    );
}

#[test]
fn kustomize_refusals() {
    for (case, text, why) in [
        (
            "block scalar over two lines",
            "images:\n- name: a\n  newTag: |\n    v1\n    v2\n",
            "block scalar (`|` or `>`) over several lines",
        ),
        (
            "alias to a value used elsewhere",
            "x-tag: &t v1\nimages:\n- name: a\n  newTag: *t\n",
            "alias `*t`",
        ),
        ("images is a mapping", "images:\n  a: b\n", "not a list"),
    ] {
        match edit(text, &Form::Kustomize, &target("a", "a:v2")) {
            Err(e @ EditError::Unsupported { .. }) => {
                assert!(e.to_string().contains(why), "{case}: {e}");
            }
            other => panic!("{case}: {other:?}"),
        }
    }
    let err = edit("images: [a\n", &Form::Kustomize, &target("a", "a:v2")).unwrap_err();
    assert!(matches!(err, EditError::Syntax { .. }), "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// helm

const VALUES: &str = "\
# Default values for api. 日本語 comments are fine.
replicaCount: 2
image:
  repository: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/api
  pullPolicy: IfNotPresent
  # Overrides the image tag whose default is the chart appVersion.
  tag: \"v1.0.0\"
sidecar:
  image:
    repository: envoyproxy/envoy
    tag: v1.29.0
";

#[test]
fn helm_edits() {
    let ecr = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/api";
    let v = VALUES;
    let d = digest('d');
    check_cases(vec![
        (
            "tag, quotes kept",
            v.to_owned(),
            repo_and_tag(),
            target("api", &format!("{ecr}:v1.1.0")),
            replace(v, "tag: \"v1.0.0\"", "tag: \"v1.1.0\""),
        ),
        (
            "the other image's paths",
            v.to_owned(),
            helm(
                Some("sidecar.image.repository"),
                Some("sidecar.image.tag"),
                None,
                None,
            ),
            target("envoyproxy/envoy", "envoyproxy/envoy:v1.30.1"),
            replace(v, "tag: v1.29.0", "tag: v1.30.1"),
        ),
        (
            "repository changed",
            v.to_owned(),
            repo_and_tag(),
            target(ecr, "ghcr.io/team/api:v2"),
            replace(&replace(v, ecr, "ghcr.io/team/api"), "\"v1.0.0\"", "\"v2\""),
        ),
        (
            "a number-like tag is quoted",
            v.to_owned(),
            helm(None, Some("sidecar.image.tag"), None, None),
            target("envoyproxy/envoy", "envoyproxy/envoy:1.10"),
            replace(v, "tag: v1.29.0", "tag: \"1.10\""),
        ),
        (
            "plain 1.0 becomes quoted 1.10",
            "image:\n  tag: 1.0\n".to_owned(),
            tag_path(),
            target("app", "app:1.10"),
            "image:\n  tag: \"1.10\"\n".to_owned(),
        ),
        (
            "plain 1.10 that Helm reads as 1.1 is quoted even when equal",
            "image:\n  tag: 1.10\n".to_owned(),
            tag_path(),
            target("app", "app:1.10"),
            "image:\n  tag: \"1.10\"\n".to_owned(),
        ),
        (
            "single quotes",
            "image:\n  tag: 'v1'\n".to_owned(),
            tag_path(),
            target("app", "app:v2"),
            "image:\n  tag: 'v2'\n".to_owned(),
        ),
        (
            "empty tag",
            "image:\n  tag:\n  pullPolicy: Always\n".to_owned(),
            tag_path(),
            target("app", "app:v2"),
            "image:\n  tag: v2\n  pullPolicy: Always\n".to_owned(),
        ),
        (
            "empty tag with a comment",
            "image:\n  tag: # set by CI\n".to_owned(),
            tag_path(),
            target("app", "app:v2"),
            "image:\n  tag: v2 # set by CI\n".to_owned(),
        ),
        (
            "quoted empty tag",
            "image:\n  tag: \"\"\n".to_owned(),
            tag_path(),
            target("app", "app:v2"),
            "image:\n  tag: \"v2\"\n".to_owned(),
        ),
        (
            "whole image string, Docker Hub spelling kept",
            "web:\n  image: docker.io/library/nginx:1.25 # web\n".to_owned(),
            helm(None, None, None, Some("web.image")),
            target("nginx", "nginx:1.27"),
            "web:\n  image: docker.io/library/nginx:1.27 # web\n".to_owned(),
        ),
        (
            "whole image string with a registry port",
            "image: \"localhost:5000/app:v1\"\n".to_owned(),
            helm(None, None, None, Some("image")),
            target("localhost:5000/app", "localhost:5000/app:v2"),
            "image: \"localhost:5000/app:v2\"\n".to_owned(),
        ),
        (
            "digest set",
            "image:\n  tag: v1\n  digest: \"\"\n".to_owned(),
            helm(None, Some("image.tag"), Some("image.digest"), None),
            target("app", &format!("app:v2@{d}")),
            format!("image:\n  tag: v2\n  digest: \"{d}\"\n"),
        ),
        (
            "old digest emptied",
            format!("image:\n  tag: v1\n  digest: {d}\n"),
            helm(None, Some("image.tag"), Some("image.digest"), None),
            target("app", "app:v2"),
            "image:\n  tag: v2\n  digest: \"\"\n".to_owned(),
        ),
        (
            "the digest beside the tag is emptied",
            format!("controller:\n  image:\n    image: ingress-nginx/controller\n    tag: v1.11.0\n    digest: {d}\n"),
            helm(Some("controller.image.image"), Some("controller.image.tag"), None, None),
            target("ingress-nginx/controller", "ingress-nginx/controller:v1.12.0"),
            "controller:\n  image:\n    image: ingress-nginx/controller\n    tag: v1.12.0\n    digest: \"\"\n".to_owned(),
        ),
        (
            "the digest beside the tag is set",
            "image:\n  tag: v1\n  digest:\n".to_owned(),
            tag_path(),
            target("app", &format!("app:v2@{d}")),
            format!("image:\n  tag: v2\n  digest: {d}\n"),
        ),
        (
            "indexes and escaped dots in paths",
            "apps:\n- name: a\n  images:\n    app.io/main: {tag: v1}\n".to_owned(),
            helm(None, Some(r"apps[0].images.app\.io/main.tag"), None, None),
            target("app", "app:v2"),
            "apps:\n- name: a\n  images:\n    app.io/main: {tag: v2}\n".to_owned(),
        ),
        (
            "registry kept apart, same registry",
            "image:\n  registry: docker.io\n  repository: bitnami/nginx\n  tag: 1.25.0\n"
                .to_owned(),
            repo_and_tag(),
            target("bitnami/nginx", "docker.io/bitnami/nginx:1.27.0"),
            "image:\n  registry: docker.io\n  repository: bitnami/nginx\n  tag: 1.27.0\n"
                .to_owned(),
        ),
        (
            "registry kept apart, another repository on the same registry",
            "image:\n  registry: ghcr.io\n  repository: team/api\n  tag: v1\n".to_owned(),
            repo_and_tag(),
            target("ghcr.io/team/api", "ghcr.io/team/api2:v2"),
            "image:\n  registry: ghcr.io\n  repository: team/api2\n  tag: v2\n".to_owned(),
        ),
        (
            "anchor changed where it is written, aliases follow",
            "image:\n  tag: &tag v1\nsidecar:\n  tag: *tag\n".to_owned(),
            tag_path(),
            target("app", "app:v2"),
            "image:\n  tag: &tag v2\nsidecar:\n  tag: *tag\n".to_owned(),
        ),
        (
            "CRLF and tabs in comments",
            "image:\r\n  tag: v1\t# tab\r\n".to_owned(),
            tag_path(),
            target("app", "app:v2"),
            "image:\r\n  tag: v2\t# tab\r\n".to_owned(),
        ),
    ]);
}

#[test]
fn helm_refusals() {
    let v = VALUES;
    let ecr = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/api";
    // The wrong image of a many-image file is never changed.
    let err = edit(
        v,
        &helm(
            Some("sidecar.image.repository"),
            Some("sidecar.image.tag"),
            None,
            None,
        ),
        &target("api", &format!("{ecr}:v2")),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`sidecar.image.repository` is `envoyproxy/envoy`, another image than `api`: the paths \
         name the values of another image. Name the paths of `api`'s values, or check `image`"
    );
    let err = edit(
        v,
        &helm(None, Some("image.tagg"), None, None),
        &target("api", "api:v2"),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the values file has no `image.tagg`: `image` has no `tagg` (it has: repository, \
         pullPolicy, tag); check the Helm path"
    );
    let err = edit(
        v,
        &helm(None, Some("api.image.tag"), None, None),
        &target("api", "api:v2"),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("the top level has no `api`"),
        "{err}"
    );
    let err = edit(
        "image:\n  registry: docker.io\n  repository: bitnami/nginx\n",
        &repo_and_tag(),
        &target("bitnami/nginx", "ghcr.io/bitnami/nginx:1"),
    )
    .unwrap_err();
    assert!(err.to_string().contains("`image.registry`"), "{err}");
    let err = edit(
        "image:\n  tag: v1\n",
        &tag_path(),
        &target("app", &format!("app@{}", digest('e'))),
    )
    .unwrap_err();
    assert!(
        matches!(&err, EditError::NotFound(m) if m.contains("name a digest (or image) path")),
        "{err}"
    );
    for (case, text, why) in [
        (
            "block scalar over two lines",
            "image:\n  tag: >-\n    v1\n    v2\n",
            "several lines",
        ),
        (
            "alias only",
            "tags:\n  main: &t v1\nimage:\n  tag: *t\n",
            "alias `*t`",
        ),
        (
            "merged from an anchor",
            "base: &b {tag: v1}\nimage:\n  <<: *b\n",
            "alias `*b`",
        ),
        ("a mapping", "image:\n  tag: {a: 1}\n", "not a string"),
    ] {
        match edit(text, &tag_path(), &target("app", "app:v2")) {
            Err(e @ EditError::Unsupported { .. }) => {
                assert!(e.to_string().contains(why), "{case}: {e}")
            }
            other => panic!("{case}: {other:?}"),
        }
    }
}

#[test]
fn helm_reads() {
    let ecr = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/api";
    let current = read(VALUES, &repo_and_tag(), &target(ecr, "x:v1")).unwrap();
    // A repository that names another image is not read.
    let err = read(VALUES, &repo_and_tag(), &target("api", "x:v1")).unwrap_err();
    assert!(err.to_string().contains("another image"), "{err}");
    assert_eq!(
        current,
        Current {
            repository: Some("123456789012.dkr.ecr.eu-west-1.amazonaws.com/api".to_owned()),
            tag: Some("v1.0.0".to_owned()),
            digest: None,
        }
    );
    let current = read(
        "image:\n  registry: docker.io\n  repository: bitnami/nginx\n  tag: 1.25\n",
        &repo_and_tag(),
        &target("bitnami/nginx", "x:v1"),
    )
    .unwrap();
    assert_eq!(
        current.repository.as_deref(),
        Some("docker.io/bitnami/nginx")
    );
    assert_eq!(current.tag.as_deref(), Some("1.25"));
}

// ---------------------------------------------------------------------------------------------
// manifests

const MANIFESTS: &str = "\
# Source: api/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      initContainers:
        - name: migrate
          image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:v1.0.0
      containers:
        - name: api
          image: \"123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:v1.0.0\"
          ports: [{containerPort: 8080}]
        - name: proxy
          image: envoyproxy/envoy:v1.29.0
---
# a comment between documents
apiVersion: v1
kind: Service
metadata: {name: api}
spec:
  ports: [{port: 80}]
...
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: report
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: report
            image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:v1.0.0
";

#[test]
fn manifest_edits() {
    let ecr = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/api";
    let m = MANIFESTS;
    let d = digest('f');
    check_cases(vec![
        (
            "every container of every workload",
            m.to_owned(),
            Form::Manifest,
            target("api", &format!("{ecr}:v1.1.0")),
            m.replace(&format!("{ecr}:v1.0.0"), &format!("{ecr}:v1.1.0")),
        ),
        (
            "by container name",
            m.to_owned(),
            Form::Manifest,
            in_container("proxy", "envoyproxy/envoy", "envoyproxy/envoy:v1.30.0"),
            replace(m, "envoy:v1.29.0", "envoy:v1.30.0"),
        ),
        (
            "with a digest",
            m.to_owned(),
            Form::Manifest,
            target("envoyproxy/envoy", &format!("envoyproxy/envoy:v1.30.0@{d}")),
            replace(m, "envoy:v1.29.0", &format!("envoy:v1.30.0@{d}")),
        ),
        (
            "Docker Hub spelling kept",
            "kind: Pod\nspec:\n  containers:\n  - name: web\n    image: docker.io/library/nginx:1.25\n".to_owned(),
            Form::Manifest,
            target("nginx", "nginx:1.27"),
            "kind: Pod\nspec:\n  containers:\n  - name: web\n    image: docker.io/library/nginx:1.27\n".to_owned(),
        ),
        (
            "index.docker.io matches nginx",
            "kind: Pod\nspec:\n  containers:\n  - name: web\n    image: index.docker.io/library/nginx\n".to_owned(),
            Form::Manifest,
            target("nginx", "nginx:1.27"),
            "kind: Pod\nspec:\n  containers:\n  - name: web\n    image: index.docker.io/library/nginx:1.27\n".to_owned(),
        ),
        (
            "a registry port is not a tag",
            "kind: Pod\nspec:\n  containers:\n  - {name: a, image: localhost:5000/app}\n  - {name: b, image: 'localhost:5000/app:v1'}\n"
                .to_owned(),
            Form::Manifest,
            target("localhost:5000/app", "localhost:5000/app:v2"),
            "kind: Pod\nspec:\n  containers:\n  - {name: a, image: localhost:5000/app:v2}\n  - {name: b, image: 'localhost:5000/app:v2'}\n"
                .to_owned(),
        ),
        (
            "the new repository replaces the old",
            "kind: StatefulSet\nspec:\n  template:\n    spec:\n      containers:\n      - name: db\n        image: postgres:15\n"
                .to_owned(),
            Form::Manifest,
            target("postgres", "reg.io/mirror/postgres:16"),
            "kind: StatefulSet\nspec:\n  template:\n    spec:\n      containers:\n      - name: db\n        image: reg.io/mirror/postgres:16\n"
                .to_owned(),
        ),
        (
            "List items, Rollout, DaemonSet, Job, ReplicaSet",
            "apiVersion: v1\nkind: List\nitems:\n- kind: Rollout\n  apiVersion: argoproj.io/v1alpha1\n  spec:\n    template:\n      spec:\n        containers: [{name: a, image: app:v1}]\n- kind: DaemonSet\n  spec: {template: {spec: {containers: [{name: a, image: app:v1}]}}}\n- kind: Job\n  spec: {template: {spec: {containers: [{name: a, image: app:v1}]}}}\n- kind: ReplicaSet\n  spec: {template: {spec: {ephemeralContainers: [{name: a, image: app:v1}]}}}\n"
                .to_owned(),
            Form::Manifest,
            target("app", "app:v2"),
            "apiVersion: v1\nkind: List\nitems:\n- kind: Rollout\n  apiVersion: argoproj.io/v1alpha1\n  spec:\n    template:\n      spec:\n        containers: [{name: a, image: app:v2}]\n- kind: DaemonSet\n  spec: {template: {spec: {containers: [{name: a, image: app:v2}]}}}\n- kind: Job\n  spec: {template: {spec: {containers: [{name: a, image: app:v2}]}}}\n- kind: ReplicaSet\n  spec: {template: {spec: {ephemeralContainers: [{name: a, image: app:v2}]}}}\n"
                .to_owned(),
        ),
        (
            "one anchor for two containers",
            "kind: Pod\nspec:\n  initContainers:\n  - name: init\n    image: &img app:v1\n  containers:\n  - name: main\n    image: *img\n"
                .to_owned(),
            Form::Manifest,
            target("app", "app:v2"),
            "kind: Pod\nspec:\n  initContainers:\n  - name: init\n    image: &img app:v2\n  containers:\n  - name: main\n    image: *img\n"
                .to_owned(),
        ),
    ]);
    let edited = run(m, &Form::Manifest, &target("api", &format!("{ecr}:v1.1.0")));
    let fields: Vec<(usize, &str)> = edited
        .changes
        .iter()
        .map(|c| (c.line, c.field.as_str()))
        .collect();
    assert_eq!(
        fields,
        [
            (11, "Deployment/api initContainers[migrate].image"),
            (14, "Deployment/api containers[api].image"),
            (38, "CronJob/report containers[report].image"),
        ]
    );
    assert_eq!(
        edited.changes[0].old.as_deref(),
        Some(format!("{ecr}:v1.0.0").as_str())
    );
}

#[test]
fn manifest_not_found_and_refusals() {
    let err = edit(MANIFESTS, &Form::Manifest, &target("web", "web:v2")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no container in the file uses the image `web` (it has: \
         123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:v1.0.0, envoyproxy/envoy:v1.29.0); \
         name the container with `container`, or check `image`"
    );
    let err = edit(
        MANIFESTS,
        &Form::Manifest,
        &in_container("web", "web", "web:v2"),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("no container in the file is named `web` (it has: migrate ("),
        "{err}"
    );
    let err = edit(
        "kind: ConfigMap\ndata: {}\n",
        &Form::Manifest,
        &target("web", "web:v2"),
    )
    .unwrap_err();
    assert!(
        err.to_string().starts_with("the file has no workload"),
        "{err}"
    );
    let err = edit(
        "kind: Pod\nspec:\n  containers:\n  - name: a\n    image: |\n      app:v1\n      more\n",
        &Form::Manifest,
        &target("app", "app:v2"),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 6: Pod containers[a].image: it is a block scalar (`|` or `>`) over several lines; \
         write it as a plain or quoted scalar"
    );
    // An anchor defined in one container and used by another is changed only when both match.
    let shared = "kind: Pod\nspec:\n  containers:\n  - name: a\n    image: &i app:v1\n  - name: b\n    image: *i\n";
    let err = edit(shared, &Form::Manifest, &in_container("b", "app", "app:v2")).unwrap_err();
    assert!(err.to_string().contains("alias `*i`"), "{err}");
    assert!(edit(shared, &Form::Manifest, &in_container("a", "app", "app:v2")).is_ok());
}

#[test]
fn manifest_reads() {
    let current = read(
        MANIFESTS,
        &Form::Manifest,
        &target("envoyproxy/envoy", "x:v1"),
    )
    .unwrap();
    assert_eq!(
        current,
        Current {
            repository: Some("envoyproxy/envoy".to_owned()),
            tag: Some("v1.29.0".to_owned()),
            digest: None,
        }
    );
    let current = read(
        MANIFESTS,
        &Form::Manifest,
        &in_container("migrate", "x", "x:v1"),
    )
    .unwrap();
    assert_eq!(current.tag.as_deref(), Some("v1.0.0"));
}

// ---------------------------------------------------------------------------------------------
// Argo CD

const APPLICATIONS: &str = "\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: api
spec:
  source:
    repoURL: https://github.com/org/charts
    path: charts/api
    helm:
      parameters:
        - name: image.repository
          value: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/api
        - name: image.tag
          value: \"v1.0.0\"
          forceString: true
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: worker
spec:
  source:
    helm:
      parameters:
        - {name: image.repository, value: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/worker}
        - {name: image.tag, value: w1}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
spec:
  sources:
    - repoURL: https://github.com/org/config
      kustomize:
        images:
          - nginx:1.25
          - api=123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:v1.0.0
";

fn argo() -> Form {
    Form::ArgoCd(HelmPaths {
        repository: Some("image.repository".to_owned()),
        tag: Some("image.tag".to_owned()),
        digest: None,
        image: None,
    })
}

#[test]
fn argocd_edits() {
    let ecr = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/api";
    let a = APPLICATIONS;
    let d = digest('1');
    check_cases(vec![
        (
            "helm parameter and kustomize image of the same image; the worker is left",
            a.to_owned(),
            argo(),
            target("api", &format!("{ecr}:v1.1.0")),
            replace(
                &replace(a, "\"v1.0.0\"", "\"v1.1.0\""),
                &format!("api={ecr}:v1.0.0"),
                &format!("api={ecr}:v1.1.0"),
            ),
        ),
        (
            "flow parameters",
            a.to_owned(),
            argo(),
            target(
                "123456789012.dkr.ecr.eu-west-1.amazonaws.com/worker",
                "123456789012.dkr.ecr.eu-west-1.amazonaws.com/worker:1.0",
            ),
            replace(a, "value: w1}", "value: \"1.0\"}"),
        ),
        (
            "kustomize image without `name=`",
            a.to_owned(),
            argo(),
            target("nginx", &format!("nginx:1.27@{d}")),
            replace(a, "- nginx:1.25", &format!("- nginx:1.27@{d}")),
        ),
        (
            "kustomize image that gets a new repository gets `name=`",
            a.to_owned(),
            argo(),
            target("nginx", "reg.io/nginx:1.27"),
            replace(a, "- nginx:1.25", "- nginx=reg.io/nginx:1.27"),
        ),
        (
            "ApplicationSet template",
            "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nspec:\n  template:\n    spec:\n      source:\n        helm:\n          parameters:\n          - name: image.tag\n            value: v1\n".to_owned(),
            Form::ArgoCd(HelmPaths { tag: Some("image.tag".to_owned()), ..HelmPaths::default() }),
            target("app", "app:v2"),
            "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nspec:\n  template:\n    spec:\n      source:\n        helm:\n          parameters:\n          - name: image.tag\n            value: v2\n".to_owned(),
        ),
        (
            "parameter without a value",
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nspec:\n  source:\n    helm:\n      parameters:\n      - name: image.tag\n".to_owned(),
            Form::ArgoCd(HelmPaths { tag: Some("image.tag".to_owned()), ..HelmPaths::default() }),
            target("app", "app:v2"),
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nspec:\n  source:\n    helm:\n      parameters:\n      - name: image.tag\n        value: v2\n".to_owned(),
        ),
    ]);
    let edited = run(a, &argo(), &target("api", &format!("{ecr}:v1.1.0")));
    let fields: Vec<&str> = edited.changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            // (Several applications in the file: each field says whose it is.)
            "Application/api spec.source.helm.parameters[image.tag]",
            "Application/web spec.sources[0].kustomize.images[api]",
        ]
    );
}

fn application(source: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: app\nspec:\n  project: default\n{source}"
    )
}

#[test]
fn argocd_values_object_and_added_parameters() {
    let d = digest('2');
    let tag_only = Form::ArgoCd(HelmPaths {
        tag: Some("image.tag".to_owned()),
        ..HelmPaths::default()
    });
    let with_digest = Form::ArgoCd(HelmPaths {
        tag: Some("image.tag".to_owned()),
        digest: Some("image.digest".to_owned()),
        ..HelmPaths::default()
    });
    check_cases(vec![
        (
            "valuesObject",
            application(
                "  source:\n    chart: app\n    helm:\n      valuesObject:\n        image:\n          repository: reg.io/app\n          tag: v1 # here\n",
            ),
            argo(),
            target("reg.io/app", "reg.io/app:v2"),
            application(
                "  source:\n    chart: app\n    helm:\n      valuesObject:\n        image:\n          repository: reg.io/app\n          tag: v2 # here\n",
            ),
        ),
        (
            "a parameter added to the parameters",
            application(
                "  source:\n    chart: app\n    helm:\n      parameters:\n      - name: replicas\n        value: \"2\"\n  destination: {}\n",
            ),
            tag_only.clone(),
            target("app", "app:1.0"),
            application(
                "  source:\n    chart: app\n    helm:\n      parameters:\n      - name: replicas\n        value: \"2\"\n      - name: image.tag\n        value: \"1.0\"\n        forceString: true\n  destination: {}\n",
            ),
        ),
        (
            "parameters added to helm",
            application("  source:\n    chart: app\n    helm:\n      releaseName: x\n"),
            tag_only.clone(),
            target("app", "app:v2"),
            application(
                "  source:\n    chart: app\n    helm:\n      releaseName: x\n      parameters:\n        - name: image.tag\n          value: v2\n          forceString: true\n",
            ),
        ),
        (
            "helm added to a chart source",
            application("  source:\n    chart: app\n    targetRevision: 1.0.0\n"),
            tag_only,
            target("app", "app:v2"),
            application(
                "  source:\n    chart: app\n    targetRevision: 1.0.0\n    helm:\n      parameters:\n        - name: image.tag\n          value: v2\n          forceString: true\n",
            ),
        ),
        (
            "a named parameter missing beside one that is there",
            application(
                "  source:\n    helm:\n      parameters:\n      - {name: image.tag, value: v1}\n",
            ),
            with_digest,
            target("app", &format!("app:v2@{d}")),
            application(&format!(
                "  source:\n    helm:\n      parameters:\n      - {{name: image.tag, value: v2}}\n      - name: image.digest\n        value: {d}\n        forceString: true\n"
            )),
        ),
        (
            "a kustomize image added",
            application(
                "  source:\n    path: overlays/prod\n    kustomize:\n      images:\n      - other:1\n",
            ),
            Form::ArgoCd(HelmPaths::default()),
            target("app", "reg.io/app:v2"),
            application(
                "  source:\n    path: overlays/prod\n    kustomize:\n      images:\n      - other:1\n      - app=reg.io/app:v2\n",
            ),
        ),
        (
            "kustomize images added",
            application("  source:\n    kustomize:\n      namePrefix: x-\n"),
            Form::ArgoCd(HelmPaths::default()),
            target("app", "app:v2"),
            application(
                "  source:\n    kustomize:\n      namePrefix: x-\n      images:\n        - app:v2\n",
            ),
        ),
    ]);
    // Two sources could take the parameters: none is guessed.
    let two = application("  sources:\n  - chart: a\n  - chart: b\n");
    let err = edit(&two, &argo(), &target("app", "app:v2")).unwrap_err();
    assert!(
        err.to_string()
            .contains("2 sources could take the parameters"),
        "{err}"
    );
    // A source whose values (or parameters) name another image gets nothing.
    for source in [
        "  source:\n    chart: x\n    helm:\n      valuesObject:\n        image: {repository: other, tag: v1}\n      parameters: []\n",
        "  source:\n    chart: x\n    helm:\n      parameters: [{name: image.repository, value: other}]\n",
    ] {
        let err = edit(&application(source), &argo(), &target("app", "app:v2")).unwrap_err();
        assert!(matches!(err, EditError::NotFound(_)), "{err}");
    }
}

#[test]
fn argocd_not_found_and_reads() {
    let err = edit(APPLICATIONS, &argo(), &target("redis", "redis:7")).unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with("no source of the Application sets the image `redis`"),
        "{message}"
    );
    assert!(
        message.contains("spec.sources[0].kustomize.images: nginx, api"),
        "{message}"
    );
    let current = read(APPLICATIONS, &argo(), &target("nginx", "x:1")).unwrap();
    assert_eq!(current.repository.as_deref(), Some("nginx"));
    assert_eq!(current.tag.as_deref(), Some("1.25"));
    let current = read(APPLICATIONS, &argo(), &target("api", "x:1")).unwrap();
    assert_eq!(current.tag.as_deref(), Some("v1.0.0"));
    let err = edit("kind: Deployment\n", &argo(), &target("api", "api:v2")).unwrap_err();
    assert!(err.to_string().contains("no Argo CD Application"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// detect

#[test]
fn detects_forms() {
    for (file, text, expected) in [
        ("kustomization.yaml", "", Some(FormKind::Kustomize)),
        (
            "overlays/prod/kustomization.yml",
            "resources: []",
            Some(FormKind::Kustomize),
        ),
        ("base/Kustomization", "{}", Some(FormKind::Kustomize)),
        (
            "k.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n",
            Some(FormKind::Kustomize),
        ),
        (
            "c.yaml",
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n",
            Some(FormKind::Kustomize),
        ),
        ("app.yaml", APPLICATIONS, Some(FormKind::ArgoCd)),
        ("all.yaml", MANIFESTS, Some(FormKind::Manifest)),
        (
            "list.yaml",
            "kind: List\nitems:\n- kind: Deployment\n  spec: {template: {spec: {containers: []}}}\n",
            Some(FormKind::Manifest),
        ),
        (
            "svc.yaml",
            "---\nkind: Service\n---\nkind: Pod\nspec: {}\n",
            Some(FormKind::Manifest),
        ),
        ("values.yaml", VALUES, None),
        (
            "k.yaml",
            "kind: Kustomization\nresources: []\n",
            Some(FormKind::Kustomize),
        ),
        (
            "flux.yaml",
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n",
            None,
        ),
        ("cm.yaml", "kind: ConfigMap\n", None),
        (
            "rollout.yaml",
            "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nspec: {template: {spec: {}}}\n",
            Some(FormKind::Manifest),
        ),
        (
            "app.yaml",
            "apiVersion: example.com/v1\nkind: Application\n",
            None,
        ),
        ("bad.yaml", "a: [", None),
        ("tpl.yaml", "image: {{ .Values.image }}\n  x: [", None),
    ] {
        assert_eq!(detect(file, text), expected, "{file}: {text}");
    }
}

#[test]
fn syntax_errors_name_the_line() {
    let err = edit(
        "image:\n  tag: v1\n  x: [\n",
        &tag_path(),
        &target("a", "a:v2"),
    )
    .unwrap_err();
    assert!(
        matches!(err, EditError::Syntax { line: 3.., .. }),
        "{err:?}"
    );
}

#[test]
fn changes_are_only_the_references_bytes_in_a_large_file() {
    // Values with many images, anchors, comments, non-ASCII text: one tag changes.
    let mut text = String::from("\u{feff}# Größe: ünïcödé — 値\r\n");
    for i in 0..50 {
        text.push_str(&format!(
            "svc{i}:\r\n  image:\r\n    repository: reg.io/svc{i} # «{i}»\r\n    tag: \"v{i}\"\r\n  labels: {{a: &l{i} x, b: *l{i}}}\r\n"
        ));
    }
    let form = helm(
        Some("svc42.image.repository"),
        Some("svc42.image.tag"),
        None,
        None,
    );
    let edited = run(&text, &form, &target("reg.io/svc42", "reg.io/svc42:1.0"));
    assert_eq!(edited.text, text.replace("tag: \"v42\"", "tag: \"1.0\""));
    assert_eq!(
        differences(&text, &edited.text),
        [Diff::Value {
            old: Some("v42".to_owned()),
            new: "1.0".to_owned()
        }]
    );
    assert_eq!(edited.changes.len(), 1);
    assert_eq!(edited.changes[0].line, 2 + 42 * 5 + 3);
}

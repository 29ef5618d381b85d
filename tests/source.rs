//! Checks over the workspace's source, read as syntax (syn):
//!
//! - Unix-only APIs stay behind `cfg(unix)`. A `tokio::signal::unix` outside a `cfg(unix)` item
//!   compiles on Linux and macOS and breaks the Windows build, which only the release workflow
//!   used to see. `scripts/test` also checks the workspace for a Windows target; this test names
//!   the offending line, whatever the target.
//! - No import circle between the modules of a crate: a circle means two files that cannot be
//!   read, tested or moved apart (a shared piece belongs in a module of its own).
// Test code: a panic is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use syn::spanned::Spanned;
use syn::visit::Visit;

/// The Unix-only paths that must sit under `cfg(unix)`.
const UNIX_ONLY: &[&str] = &["tokio :: signal :: unix", "std :: os :: unix"];

/// Whether `attrs` hold a cfg that holds only on Unix: `cfg(unix)`, `cfg(target_family =
/// "unix")`, or an `all(..)` with one of those in it.
fn unix_only(attrs: &[syn::Attribute]) -> bool {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("cfg"))
        .filter_map(|a| a.parse_args::<syn::Meta>().ok())
        .any(|meta| holds_only_on_unix(&meta))
}

fn holds_only_on_unix(meta: &syn::Meta) -> bool {
    match meta {
        syn::Meta::Path(path) => path.is_ident("unix"),
        syn::Meta::NameValue(nv) => {
            nv.path.is_ident("target_family")
                && matches!(&nv.value, syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) if s.value() == "unix")
        }
        syn::Meta::List(list) if list.path.is_ident("all") => list
            .parse_args_with(
                syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated,
            )
            .is_ok_and(|terms| terms.iter().any(holds_only_on_unix)),
        syn::Meta::List(_) => false,
    }
}

/// The lines where a Unix-only path is used outside a `cfg(unix)` item, statement or block.
#[derive(Default)]
struct Finder {
    depth_unix: usize,
    found: Vec<(usize, String)>,
}

impl Finder {
    fn check(&mut self, tokens: String, line: usize) {
        if self.depth_unix > 0 {
            return;
        }
        for path in UNIX_ONLY {
            if tokens.contains(path) {
                self.found.push((line, path.replace(' ', "")));
            }
        }
    }

    fn scoped(&mut self, attrs: &[syn::Attribute], visit: impl FnOnce(&mut Self)) {
        let unix = unix_only(attrs);
        self.depth_unix += usize::from(unix);
        visit(self);
        self.depth_unix -= usize::from(unix);
    }
}

impl<'ast> Visit<'ast> for Finder {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs: &[syn::Attribute] = match item {
            syn::Item::Const(i) => &i.attrs,
            syn::Item::Enum(i) => &i.attrs,
            syn::Item::Fn(i) => &i.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Mod(i) => &i.attrs,
            syn::Item::Static(i) => &i.attrs,
            syn::Item::Struct(i) => &i.attrs,
            syn::Item::Trait(i) => &i.attrs,
            syn::Item::Type(i) => &i.attrs,
            syn::Item::Use(i) => &i.attrs,
            syn::Item::Macro(i) => &i.attrs,
            _ => &[],
        };
        self.scoped(attrs, |f| syn::visit::visit_item(f, item));
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let line = item.span().start().line;
        self.check(quote_tokens(&item.tree), line);
    }

    fn visit_field(&mut self, field: &'ast syn::Field) {
        self.scoped(&field.attrs, |f| syn::visit::visit_field(f, field));
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        self.scoped(&item.attrs, |f| syn::visit::visit_impl_item_fn(f, item));
    }

    fn visit_stmt(&mut self, stmt: &'ast syn::Stmt) {
        let attrs: &[syn::Attribute] = match stmt {
            syn::Stmt::Local(l) => &l.attrs,
            syn::Stmt::Macro(m) => &m.attrs,
            syn::Stmt::Expr(syn::Expr::Block(b), _) => &b.attrs,
            syn::Stmt::Expr(syn::Expr::Call(c), _) => &c.attrs,
            syn::Stmt::Expr(syn::Expr::MethodCall(c), _) => &c.attrs,
            _ => &[],
        };
        self.scoped(attrs, |f| syn::visit::visit_stmt(f, stmt));
    }

    fn visit_expr_block(&mut self, block: &'ast syn::ExprBlock) {
        self.scoped(&block.attrs, |f| syn::visit::visit_expr_block(f, block));
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let line = path.span().start().line;
        self.check(quote_tokens(path), line);
    }

    // Macro bodies (`tokio::select!`, `format!`) are tokens, not syntax: read them as text.
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let line = mac.span().start().line;
        self.check(mac.tokens.to_string(), line);
        syn::visit::visit_macro(self, mac);
    }
}

fn quote_tokens(node: &impl quote::ToTokens) -> String {
    node.to_token_stream().to_string()
}

/// Every Unix-only use outside `cfg(unix)` in `source`, as `line: path`.
fn findings(source: &str) -> Vec<String> {
    let file = syn::parse_file(source).expect("the workspace's Rust files parse");
    if unix_only(&file.attrs) {
        return Vec::new();
    }
    let mut finder = Finder::default();
    finder.visit_file(&file);
    finder
        .found
        .into_iter()
        .map(|(line, path)| format!("line {line}: {path}"))
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            if !matches!(
                name,
                "target" | "fixtures" | ".git" | ".tools" | ".services"
            ) {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

#[test]
fn unix_only_apis_are_used_only_under_cfg_unix() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("crates"), &mut files);
    rust_files(&root.join("tests"), &mut files);
    assert!(files.len() > 50, "found only {} Rust files", files.len());
    let mut bad = Vec::new();
    for file in &files {
        let source = std::fs::read_to_string(file).unwrap();
        for finding in findings(&source) {
            bad.push(format!(
                "{}: {finding}",
                file.strip_prefix(root).unwrap_or(file).display()
            ));
        }
    }
    assert!(
        bad.is_empty(),
        "Unix-only APIs outside a #[cfg(unix)] item (they break the Windows build):\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_check_finds_what_is_not_gated_and_passes_what_is() {
    let table: &[(&str, &[&str])] = &[
        (
            "fn f() { use tokio::signal::unix::{signal, SignalKind}; }",
            &["line 1: tokio::signal::unix"],
        ),
        (
            "#[cfg(unix)]\nfn f() { use tokio::signal::unix::signal; }",
            &[],
        ),
        (
            "#[cfg(all(unix, not(target_os = \"macos\")))]\nfn f() { use tokio::signal::unix::signal; }",
            &[],
        ),
        (
            "#[cfg(any(unix, windows))]\nfn f() { let _ = tokio::signal::unix::signal; }",
            &["line 2: tokio::signal::unix"],
        ),
        (
            "fn f() {\n    #[cfg(unix)]\n    {\n        let _ = tokio::signal::unix::signal;\n    }\n}",
            &[],
        ),
        (
            "fn f() {\n    #[cfg(unix)]\n    cmd.process_group(0);\n    use std::os::unix::fs::PermissionsExt;\n}",
            &["line 4: std::os::unix"],
        ),
        (
            "async fn f() { tokio::select! { _ = tokio::signal::unix::signal(k) => {} } }",
            &["line 1: tokio::signal::unix"],
        ),
        ("#![cfg(unix)]\nuse std::os::unix::net::UnixStream;", &[]),
        (
            "struct S {\n    #[cfg(unix)]\n    term: tokio::signal::unix::Signal,\n}",
            &[],
        ),
    ];
    for (source, want) in table {
        assert_eq!(findings(source), *want, "{source}");
    }
}

/// The top-level modules of `crate::...` paths used in `source` outside `#[cfg(test)]` items.
fn crate_modules_used(source: &str) -> std::collections::BTreeSet<String> {
    #[derive(Default)]
    struct Uses {
        modules: std::collections::BTreeSet<String>,
    }
    impl Uses {
        fn take(&mut self, tokens: &str) {
            let mut rest = tokens;
            while let Some(at) = rest.find("crate ::") {
                let after = rest[at + "crate ::".len()..].trim_start();
                let name: String = after
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    self.modules.insert(name);
                }
                rest = &rest[at + "crate ::".len()..];
            }
            // `use crate::{a, b::C}`: every name at the top of the group.
            if let Some(group) = tokens.trim().strip_prefix("crate :: {") {
                for part in group.trim_end_matches('}').split(',') {
                    let name: String = part
                        .trim()
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() && name != "self" {
                        self.modules.insert(name);
                    }
                }
            }
        }
    }
    impl<'ast> Visit<'ast> for Uses {
        fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
            let is_test = item.attrs.iter().any(|a| {
                a.path().is_ident("cfg")
                    && a.parse_args::<syn::Meta>()
                        .is_ok_and(|m| m.path().is_ident("test"))
            });
            if !is_test {
                syn::visit::visit_item_mod(self, item);
            }
        }
        fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
            self.take(&quote_tokens(&item.tree));
        }
        fn visit_path(&mut self, path: &'ast syn::Path) {
            self.take(&quote_tokens(path));
            syn::visit::visit_path(self, path);
        }
        fn visit_macro(&mut self, mac: &'ast syn::Macro) {
            self.take(&mac.tokens.to_string());
        }
    }
    let file = syn::parse_file(source).expect("the workspace's Rust files parse");
    let mut uses = Uses::default();
    uses.visit_file(&file);
    uses.modules
}

/// The circles among `edges` (module → modules it uses), each as its modules in order.
fn circles(
    edges: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
) -> Vec<Vec<String>> {
    // Tarjan's strongly connected components; a component of two or more is a circle.
    struct Walk<'a> {
        edges: &'a std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
        index: std::collections::BTreeMap<&'a str, usize>,
        low: std::collections::BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(w: &mut Walk<'a>, v: &'a str) {
        let i = w.index.len();
        w.index.insert(v, i);
        w.low.insert(v, i);
        w.stack.push(v);
        for next in w.edges.get(v).into_iter().flatten() {
            let next = next.as_str();
            if !w.edges.contains_key(next) {
                continue;
            }
            if !w.index.contains_key(next) {
                visit(w, next);
                let low = w.low[v].min(w.low[next]);
                w.low.insert(v, low);
            } else if w.stack.contains(&next) {
                let low = w.low[v].min(w.index[next]);
                w.low.insert(v, low);
            }
        }
        if w.low[v] == w.index[v] {
            let mut component = Vec::new();
            while let Some(top) = w.stack.pop() {
                component.push(top.to_owned());
                if top == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                w.found.push(component);
            }
        }
    }
    let mut walk = Walk {
        edges,
        index: Default::default(),
        low: Default::default(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !walk.index.contains_key(v.as_str()) {
            visit(&mut walk, v);
        }
    }
    walk.found
}

#[test]
fn no_crate_has_an_import_circle_between_its_modules() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates");
    let mut bad = Vec::new();
    for krate in std::fs::read_dir(&root).unwrap() {
        let src = krate.unwrap().path().join("src");
        if !src.is_dir() {
            continue;
        }
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        let mut edges: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
            Default::default();
        for file in &files {
            let rel = file.strip_prefix(&src).unwrap();
            let top = rel
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_owned();
            if top == "lib" || top == "main" {
                continue;
            }
            let used = crate_modules_used(&std::fs::read_to_string(file).unwrap());
            let entry = edges.entry(top.clone()).or_default();
            entry.extend(used.into_iter().filter(|m| *m != top));
        }
        for circle in circles(&edges) {
            let krate = src.parent().and_then(Path::file_name).unwrap_or_default();
            bad.push(format!(
                "crates/{}: {}",
                krate.display(),
                circle.join(" <-> ")
            ));
        }
    }
    assert!(
        bad.is_empty(),
        "import circles between modules:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_circle_check_finds_a_circle_and_passes_a_chain() {
    let edges = |pairs: &[(&str, &[&str])]| {
        pairs
            .iter()
            .map(|(m, uses)| (m.to_string(), uses.iter().map(|u| u.to_string()).collect()))
            .collect()
    };
    assert_eq!(
        circles(&edges(&[
            ("config", &["policy"]),
            ("policy", &["steps"]),
            ("steps", &["config"])
        ])),
        [vec![
            "config".to_owned(),
            "policy".to_owned(),
            "steps".to_owned()
        ]]
    );
    assert!(
        circles(&edges(&[
            ("run", &["config", "judge"]),
            ("config", &["judge"]),
            ("judge", &[])
        ]))
        .is_empty()
    );
    assert_eq!(
        crate_modules_used(
            "use crate::{config::Config, judge};\nfn f() { crate::steps::plan(); }\n#[cfg(test)]\nmod tests { use crate::run; }"
        )
        .into_iter()
        .collect::<Vec<_>>(),
        ["config", "judge", "steps"]
    );
}

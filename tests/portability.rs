//! Unix-only APIs stay behind `cfg(unix)`.
//!
//! A `tokio::signal::unix` outside a `cfg(unix)` item compiles on Linux and macOS and breaks the
//! Windows build, which only the release workflow used to see. `scripts/test` also checks the
//! workspace for a Windows target; this test names the offending line, whatever the target.
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

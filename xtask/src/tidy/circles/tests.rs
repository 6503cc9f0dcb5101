//! The scanner and the circle finder on small crates written as strings.

use super::*;

fn path(s: &str) -> ModPath {
    if s.is_empty() {
        Vec::new()
    } else {
        s.split("::").map(str::to_owned).collect()
    }
}

fn mentioned(module: &str, text: &str) -> Vec<String> {
    mentions(&path(module), text)
        .into_iter()
        .map(|m| m.path.join("::"))
        .collect()
}

/// Each circle as "its files: its edges".
fn shown(found: &[Circle]) -> Vec<String> {
    found
        .iter()
        .map(|c| {
            let edges: Vec<String> = c
                .edges
                .iter()
                .map(|e| format!("{}:{} → {}", e.from, e.line, e.to))
                .collect();
            format!("{}: {}", c.files.join(" "), edges.join(", "))
        })
        .collect()
}

fn files(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(f, t)| ((*f).to_owned(), (*t).to_owned()))
        .collect()
}

#[test]
fn files_map_to_modules() {
    assert_eq!(module_of("lib.rs"), Some(path("")));
    assert_eq!(module_of("main.rs"), Some(path("")));
    assert_eq!(module_of("web.rs"), Some(path("web")));
    assert_eq!(module_of("pages/mod.rs"), Some(path("pages")));
    assert_eq!(module_of("pages/auth.rs"), Some(path("pages::auth")));
    assert_eq!(module_of("a/b/c.rs"), Some(path("a::b::c")));
    assert_eq!(module_of("a/lib.rs"), Some(path("a::lib")));
    assert_eq!(module_of("bin/tool.rs"), None);
    assert_eq!(module_of("snapshots/x.snap"), None);
}

#[test]
fn crate_paths_in_code_and_in_use_trees() {
    let text = "use crate::a::X;\n\
                use crate::{b::{self, Y}, c::d::*, e as f};\n\
                fn g() { crate::h::i(); let x = crate::j::K::new(); }\n";
    assert_eq!(
        mentioned("m", text),
        ["a::X", "b", "b::Y", "c::d", "e", "h::i", "j::K::new"]
    );
}

#[test]
fn super_and_self_resolve_from_the_module() {
    let text = "use super::{x, y::Z};\nfn f() { super::super::w::v(); self::child::g(); }";
    assert_eq!(
        mentioned("a::b", text),
        ["a::x", "a::y::Z", "w::v", "a::b::child::g"]
    );
    // `super` from a top-level module is the root; above the root is nothing.
    assert_eq!(mentioned("a", "use super::q;"), ["q"]);
    assert!(mentioned("a", "fn f() { super::super::q(); }").is_empty());
}

#[test]
fn declared_children_and_imported_modules_are_names_in_scope() {
    let text = "use crate::pages;\nmod auth;\nuse auth::Form;\n\
                fn f() { auth::login(); pages::public::search(); other::thing(); }";
    assert_eq!(
        mentioned("web", text),
        [
            "pages",
            "web::auth::Form",
            "web::auth::login",
            "pages::public::search"
        ]
    );
}

#[test]
fn inline_modules_have_their_own_super() {
    let text = "mod inner { use super::x; fn f() { super::super::y::z(); } }\nuse crate::w;";
    assert_eq!(mentioned("a::b", text), ["a::b::x", "w", "a::y::z"]);
}

#[test]
fn comments_literals_and_test_items_are_not_read() {
    let text = r####"
        // use crate::a;
        /* crate::b /* nested crate::c */ crate::d */
        //! crate::e
        const S: &str = "crate::f \" crate::g";
        const R: &str = r#"crate::h "quoted" crate::i"#;
        const C: char = '"'; const D: char = '\''; fn l<'a>(x: &'a str) {}
        #[cfg(test)]
        mod tests { use crate::j; use super::*; }
        #[cfg(test)]
        #[allow(dead_code)]
        fn helper() -> [u8; 2] { crate::k::f() }
        #[cfg(test)] use crate::l;
        fn real() { crate::m::n(); }
    "####;
    assert_eq!(mentioned("z", text), ["m::n"]);
    assert!(mentioned("z", "#![cfg(test)]\nuse crate::a;").is_empty());
}

#[test]
fn macro_and_method_paths_are_not_starts() {
    let text = "macro_rules! m { () => { $crate::x::y() } }\n\
                fn f(v: V) { v.iter::<u8>(); v.auth::<T>(); crate::q::r!(); }";
    assert_eq!(mentioned("z", text), ["q::r"]);
}

#[test]
fn tarjan_finds_every_circle_and_nothing_else() {
    // 0 → 1 → 2 → 0; 3 ↔ 4; 5 → 0 (into a circle, not in it); 6 alone; 7 → 7.
    let successors = vec![
        vec![1],
        vec![2],
        vec![0],
        vec![4],
        vec![3],
        vec![0],
        vec![],
        vec![7],
    ];
    assert_eq!(
        strongly_connected(&successors),
        vec![vec![0, 1, 2], vec![3, 4], vec![7]]
    );
    assert!(strongly_connected(&[vec![1], vec![2], vec![]]).is_empty());
    assert!(strongly_connected(&[]).is_empty());
    // Two circles sharing a node are one component.
    assert_eq!(
        strongly_connected(&[vec![1, 2], vec![0], vec![0]]),
        vec![vec![0, 1, 2]]
    );
}

#[test]
fn paths_count_for_the_closest_module_that_is_a_file() {
    let crate_files = files(&[
        ("lib.rs", "mod a; mod b; pub use a::A;"),
        (
            "a.rs",
            "use crate::b::c::Deep; use crate::b::Thing::Variant;",
        ),
        ("b/mod.rs", "mod c;"),
        ("b/c.rs", "pub struct Deep;"),
    ]);
    let graph = dependencies(&crate_files);
    assert_eq!(
        graph[&path("a")].keys().collect::<Vec<_>>(),
        [&path("b"), &path("b::c")]
    );
    assert!(!graph.contains_key(&path("")), "the root is left out");
}

#[test]
fn a_circle_is_found_with_its_files_and_lines() {
    let crate_files = files(&[
        (
            "lib.rs",
            "mod errors; mod web; mod lockout; mod pages; use crate::web::X;",
        ),
        (
            "errors.rs",
            "//! Errors.\n\nfn f() { crate::web::client(); }",
        ),
        ("web.rs", "use crate::errors::page;"),
        ("lockout.rs", "use crate::pages::minutes;"),
        ("pages/mod.rs", "mod auth; fn routes() { auth::login(); }"),
        (
            "pages/auth.rs",
            "use super::layout;\nfn login() { crate::lockout::admit(); }",
        ),
        ("calm.rs", "use crate::web::Y; use crate::pages::auth::Z;"),
    ]);
    assert_eq!(
        shown(&circles(&crate_files)),
        [
            "errors.rs web.rs: errors.rs:3 → web.rs, web.rs:1 → errors.rs",
            "lockout.rs pages/mod.rs pages/auth.rs: lockout.rs:1 → pages/mod.rs, \
             pages/mod.rs:1 → pages/auth.rs, pages/auth.rs:2 → lockout.rs",
        ]
    );
}

#[test]
fn a_parent_and_its_children_alone_make_no_circle() {
    // The parent declares, re-exports and routes to its children; the children use the
    // parent's helpers and each other one way.
    let crate_files = files(&[
        ("lib.rs", "mod pages;"),
        (
            "pages/mod.rs",
            "mod a; mod b; pub use a::A; fn r() { b::f(); }\nfn helper() {}",
        ),
        ("pages/a.rs", "use super::helper; use super::b::g;"),
        ("pages/b.rs", "use super::*; fn f() { super::helper(); }"),
    ]);
    assert!(circles(&crate_files).is_empty());
}

//! The import-circle check: which module of a crate depends on which, read from its
//! sources by a small scanner, and the circles among them (Tarjan's strongly connected
//! components). Compiled for the tests only.
//!
//! A file names another module through `crate::…`, `super::…` and `self::…` paths, and
//! through names it brought in scope: a child it declares (`mod child;` then `child::f`)
//! and a module it imported (`use crate::pages;` then `pages::auth::f`). Each path counts
//! for the closest module that is a file (`crate::pages::auth::login` is `pages/auth.rs`,
//! `crate::errors::Error::Busy` is `errors.rs`). Comments, string and character literals,
//! and items under `#[cfg(test)]` are not read.
//!
//! Not every edge makes a circle:
//! - the crate root (`lib.rs`, `main.rs`) declares and wires everything: edges from and to
//!   it are left out;
//! - a child using what its parent (or any ancestor) holds, like `use super::{layout,
//!   redirect}` from `pages/auth.rs`, is how a `mod.rs` shares its helpers with its
//!   children: left out;
//! - a parent using its child's items (`pages/mod.rs` routing to `auth::login`) counts, but
//!   declaring the child (`mod auth;`) does not. With child→ancestor edges left out, a
//!   parent and its children alone never make a circle; a circle through a parent needs a
//!   module outside it that uses the parent while the parent's subtree uses that module
//!   (`lockout.rs` → `pages/mod.rs` → `pages/auth.rs` → `lockout.rs`).

use std::collections::{BTreeMap, BTreeSet};

/// A module inside its crate as its path segments; the crate root is empty.
pub(super) type ModPath = Vec<String>;

/// The module a file under `src/` holds (its path relative to `src/`, with `/`):
/// `a/b.rs` and `a/b/mod.rs` are `a::b`, `lib.rs` and `main.rs` the root; `None` for what
/// is not a module of the crate (not a `.rs` file, or a binary under `bin/`).
pub(super) fn module_of(relative: &str) -> Option<ModPath> {
    let stem = relative.strip_suffix(".rs")?;
    let mut parts: ModPath = stem.split('/').map(str::to_owned).collect();
    if parts.len() > 1 && parts[0] == "bin" {
        return None;
    }
    if parts.len() == 1 && (parts[0] == "lib" || parts[0] == "main") {
        parts.clear();
    } else if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    Some(parts)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Ident(String),
    /// `::`
    PathSep,
    Punct(char),
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    line: usize,
}

impl Token {
    fn is(&self, c: char) -> bool {
        self.tok == Tok::Punct(c)
    }

    fn ident(&self) -> Option<&str> {
        match &self.tok {
            Tok::Ident(s) => Some(s),
            _ => None,
        }
    }
}

/// Skips a string's body from just after its opening quote; returns the index after the
/// closing quote.
fn skip_string(c: &[char], mut i: usize, line: &mut usize) -> usize {
    while i < c.len() {
        match c[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            '\n' => {
                *line += 1;
                i += 1;
            }
            _ => i += 1,
        }
    }
    i
}

/// Skips a raw string's body (`r##"…"##`) from just after its opening quote.
fn skip_raw_string(c: &[char], mut i: usize, hashes: usize, line: &mut usize) -> usize {
    while i < c.len() {
        if c[i] == '"' && (1..=hashes).all(|k| c.get(i + k) == Some(&'#')) {
            return i + 1 + hashes;
        }
        if c[i] == '\n' {
            *line += 1;
        }
        i += 1;
    }
    i
}

/// The tokens of a source that matter for paths: identifiers, `::` and punctuation, each
/// with its line. Comments, strings, characters and numbers are dropped.
fn tokenize(text: &str) -> Vec<Token> {
    let c: Vec<char> = text.chars().collect();
    let at = |k: usize| c.get(k).copied().unwrap_or('\0');
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if ch == '/' && at(i + 1) == '/' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && at(i + 1) == '*' {
            let mut depth = 1;
            i += 2;
            while i < c.len() && depth > 0 {
                if c[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                } else {
                    if c[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
        } else if ch == '"' {
            i = skip_string(&c, i + 1, &mut line);
        } else if ch == '\'' {
            if at(i + 1) == '\\' {
                // An escaped character: '\n', '\'', '\u{1F600}'.
                i += 3;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if at(i + 2) == '\'' {
                i += 3;
            } else {
                // A lifetime or a label: its name follows as an identifier.
                i += 1;
            }
        } else if ch.is_alphabetic() || ch == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            let word: String = c[start..i].iter().collect();
            if matches!(word.as_str(), "r" | "br" | "cr") && matches!(at(i), '#' | '"') {
                let mut hashes = 0;
                while at(i + hashes) == '#' {
                    hashes += 1;
                }
                if at(i + hashes) == '"' {
                    i = skip_raw_string(&c, i + hashes + 1, hashes, &mut line);
                    continue;
                }
                if word == "r" && hashes == 1 {
                    // A raw identifier (r#type): the identifier follows.
                    i += 1;
                    continue;
                }
            }
            out.push(Token {
                tok: Tok::Ident(word),
                line,
            });
        } else if ch.is_ascii_digit() {
            while i < c.len()
                && (c[i].is_alphanumeric()
                    || c[i] == '_'
                    || (c[i] == '.' && at(i + 1).is_ascii_digit()))
            {
                i += 1;
            }
        } else if ch == ':' && at(i + 1) == ':' {
            out.push(Token {
                tok: Tok::PathSep,
                line,
            });
            i += 2;
        } else {
            out.push(Token {
                tok: Tok::Punct(ch),
                line,
            });
            i += 1;
        }
    }
    out
}

/// Whether `tokens[i..]` spell `words` (identifiers and one-character punctuation).
fn spells(tokens: &[Token], i: usize, words: &[&str]) -> bool {
    words.iter().enumerate().all(|(k, w)| {
        tokens.get(i + k).is_some_and(|t| match &t.tok {
            Tok::Ident(s) => s == w,
            Tok::Punct(p) => w.len() == 1 && w.starts_with(*p),
            Tok::PathSep => *w == "::",
        })
    })
}

/// The index after the bracketed group opening at `i` (`[…]`, `(…)`, `{…}`).
fn after_group(tokens: &[Token], i: usize) -> usize {
    let mut depth = 0usize;
    let mut k = i;
    while k < tokens.len() {
        if tokens[k].is('(') || tokens[k].is('[') || tokens[k].is('{') {
            depth += 1;
        } else if tokens[k].is(')') || tokens[k].is(']') || tokens[k].is('}') {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                return k + 1;
            }
        }
        k += 1;
    }
    k
}

/// The index after the item starting at `i`: its `;` or `,` at depth 0, the end of its
/// first `{…}` block at depth 0, or the closing bracket of the group it is the last of.
fn after_item(tokens: &[Token], i: usize) -> usize {
    let mut depth = 0usize;
    let mut k = i;
    while k < tokens.len() {
        let t = &tokens[k];
        if t.is('{') && depth == 0 {
            return after_group(tokens, k);
        } else if t.is('(') || t.is('[') || t.is('{') {
            depth += 1;
        } else if t.is(')') || t.is(']') || t.is('}') {
            if depth == 0 {
                return k;
            }
            depth -= 1;
        } else if (t.is(';') || t.is(',')) && depth == 0 {
            return k + 1;
        }
        k += 1;
    }
    k
}

const CFG_TEST: &[&str] = &["#", "[", "cfg", "(", "test", ")", "]"];

/// The tokens without the items under `#[cfg(test)]` (a whole file under `#![cfg(test)]`
/// has none).
fn without_test_items(tokens: Vec<Token>) -> Vec<Token> {
    let mut inner = vec!["#", "!"];
    inner.extend_from_slice(&CFG_TEST[1..]);
    if (0..tokens.len()).any(|i| spells(&tokens, i, &inner)) {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        if spells(&tokens, i, CFG_TEST) {
            let mut k = i + CFG_TEST.len();
            // Further attributes of the same item.
            while spells(&tokens, k, &["#", "["]) {
                k = after_group(&tokens, k + 1);
            }
            i = after_item(&tokens, k);
        } else {
            out.push(tokens[i].clone());
            i += 1;
        }
    }
    out
}

/// One leaf of a `use` tree: its path as written (`self` inside a group folded into its
/// parent) and the name it binds (none for a glob or `as _`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct UseLeaf {
    path: Vec<String>,
    binding: Option<String>,
}

/// Parses the `use` tree at `*i` under `prefix`, leaving `*i` after it.
fn use_tree(tokens: &[Token], i: &mut usize, prefix: &[String], out: &mut Vec<UseLeaf>) {
    let mut path = prefix.to_vec();
    if tokens.get(*i).is_some_and(|t| t.tok == Tok::PathSep) {
        // `::name`: an external crate.
        path.push("::".to_owned());
        *i += 1;
    }
    while let Some(t) = tokens.get(*i) {
        if let Some(name) = t.ident() {
            path.push(name.to_owned());
            *i += 1;
            if tokens.get(*i).is_some_and(|t| t.tok == Tok::PathSep) {
                *i += 1;
                continue;
            }
            if path.len() > 1 && path.last().is_some_and(|s| s == "self") {
                path.pop();
            }
            let mut binding = path.last().cloned();
            if tokens.get(*i).and_then(Token::ident) == Some("as") {
                binding = tokens
                    .get(*i + 1)
                    .and_then(Token::ident)
                    .filter(|a| *a != "_")
                    .map(str::to_owned);
                *i += 2;
            }
            out.push(UseLeaf { path, binding });
            return;
        } else if t.is('*') {
            *i += 1;
            out.push(UseLeaf {
                path,
                binding: None,
            });
            return;
        } else if t.is('{') {
            *i += 1;
            while let Some(t) = tokens.get(*i) {
                if t.is('}') {
                    *i += 1;
                    break;
                }
                if t.is(',') {
                    *i += 1;
                    continue;
                }
                let before = *i;
                use_tree(tokens, i, &path, out);
                if *i == before {
                    *i += 1;
                }
            }
            return;
        } else {
            return;
        }
    }
}

/// A path a file names, resolved to the module path it starts from in the crate (not yet
/// cut to the closest module that is a file), with the line it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Mention {
    pub(super) path: ModPath,
    pub(super) line: usize,
}

/// Resolves a path written in module `scope` to a path from the crate root, through
/// `crate`, `super`, `self` and the file's `aliases`; `None` for a path into another crate
/// or a name the scanner does not know (a glob's, a local type's).
fn resolve(
    scope: &ModPath,
    segments: &[String],
    aliases: &BTreeMap<String, ModPath>,
) -> Option<ModPath> {
    let first = segments.first()?;
    let (mut base, mut rest) = match first.as_str() {
        "crate" => (ModPath::new(), &segments[1..]),
        "self" => (scope.clone(), &segments[1..]),
        "super" => (scope.clone(), segments),
        name => (aliases.get(name)?.clone(), &segments[1..]),
    };
    while rest.first().is_some_and(|s| s == "super") {
        base.pop()?;
        rest = &rest[1..];
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

/// Every path into the crate that the file of `module` names outside its tests.
pub(super) fn mentions(module: &ModPath, text: &str) -> Vec<Mention> {
    let tokens = without_test_items(tokenize(text));
    // Inline modules (`mod name { … }`) open scopes of their own, for `super` and `self`.
    let mut scope = module.clone();
    let mut open: Vec<usize> = Vec::new();
    let mut depth = 0usize;
    let mut declared: Vec<(String, ModPath)> = Vec::new();
    let mut uses: Vec<(ModPath, UseLeaf, usize)> = Vec::new();
    let mut paths: Vec<(ModPath, Vec<String>, usize)> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        if t.is('{') {
            depth += 1;
        } else if t.is('}') {
            depth = depth.saturating_sub(1);
            if open.last() == Some(&depth) {
                open.pop();
                scope.pop();
            }
        } else if t.ident() == Some("mod") {
            if let Some(name) = tokens.get(i + 1).and_then(Token::ident) {
                if tokens.get(i + 2).is_some_and(|t| t.is(';')) {
                    let mut child = scope.clone();
                    child.push(name.to_owned());
                    declared.push((name.to_owned(), child));
                } else if tokens.get(i + 2).is_some_and(|t| t.is('{')) {
                    scope.push(name.to_owned());
                    open.push(depth);
                    depth += 1;
                    i += 3;
                    continue;
                }
            }
        } else if t.ident() == Some("use") {
            let line = t.line;
            let mut leaves = Vec::new();
            i += 1;
            use_tree(&tokens, &mut i, &[], &mut leaves);
            uses.extend(leaves.into_iter().map(|l| (scope.clone(), l, line)));
            continue;
        } else if let Some(name) = t.ident() {
            let starts = i == 0
                || !(tokens[i - 1].tok == Tok::PathSep
                    || tokens[i - 1].is('.')
                    || tokens[i - 1].is('$'));
            let continues = tokens.get(i + 1).is_some_and(|t| t.tok == Tok::PathSep)
                && tokens.get(i + 2).and_then(Token::ident).is_some();
            if starts && continues {
                let mut segments = vec![name.to_owned()];
                let mut k = i + 1;
                while tokens.get(k).is_some_and(|t| t.tok == Tok::PathSep) {
                    let Some(next) = tokens.get(k + 1).and_then(Token::ident) else {
                        break;
                    };
                    segments.push(next.to_owned());
                    k += 2;
                }
                paths.push((scope.clone(), segments, t.line));
                i = k;
                continue;
            }
        }
        i += 1;
    }

    // Names in scope: declared children first (a `use` may start from one), then what the
    // `use`s bind.
    let mut aliases: BTreeMap<String, ModPath> = declared.into_iter().collect();
    let mut out = Vec::new();
    let mut bound = Vec::new();
    for (scope, leaf, line) in &uses {
        if let Some(path) = resolve(scope, &leaf.path, &aliases) {
            if let Some(name) = &leaf.binding {
                bound.push((name.clone(), path.clone()));
            }
            out.push(Mention { path, line: *line });
        }
    }
    aliases.extend(bound);
    for (scope, segments, line) in &paths {
        if let Some(path) = resolve(scope, segments, &aliases) {
            out.push(Mention { path, line: *line });
        }
    }
    out
}

/// The longest prefix of `path` that is one of `modules` (the root if none is).
fn closest(path: &[String], modules: &BTreeSet<ModPath>) -> ModPath {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| modules.contains(p))
        .unwrap_or_default()
}

/// The strongly connected components of a graph (nodes `0..successors.len()`) that are
/// circles: more than one node, or one node with an edge to itself. Each component sorted,
/// the components in order of their first node (Tarjan's algorithm).
pub(super) fn strongly_connected(successors: &[Vec<usize>]) -> Vec<Vec<usize>> {
    struct State<'a> {
        successors: &'a [Vec<usize>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        found: Vec<Vec<usize>>,
    }

    fn visit(s: &mut State<'_>, v: usize) {
        s.index[v] = Some(s.next);
        s.low[v] = s.next;
        s.next += 1;
        s.stack.push(v);
        s.on_stack[v] = true;
        for &w in &s.successors[v] {
            match s.index[w] {
                None => {
                    visit(s, w);
                    s.low[v] = s.low[v].min(s.low[w]);
                }
                Some(iw) if s.on_stack[w] => s.low[v] = s.low[v].min(iw),
                Some(_) => {}
            }
        }
        if Some(s.low[v]) == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack[w] = false;
                component.push(w);
                if w == v {
                    break;
                }
            }
            if component.len() > 1 || s.successors[v].contains(&v) {
                component.sort_unstable();
                s.found.push(component);
            }
        }
    }

    let n = successors.len();
    let mut s = State {
        successors,
        index: vec![None; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        next: 0,
        found: Vec::new(),
    };
    for v in 0..n {
        if s.index[v].is_none() {
            visit(&mut s, v);
        }
    }
    s.found.sort();
    s.found
}

/// The file `from` uses the module in the file `to`, first at its `line`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Edge {
    pub(super) from: String,
    pub(super) line: usize,
    pub(super) to: String,
}

/// A circle: its files, and the dependencies between them that close it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Circle {
    pub(super) files: Vec<String>,
    pub(super) edges: Vec<Edge>,
}

/// The dependencies between the modules of one crate that count for circles (see the
/// module comment), each with the first line that makes it: `files` are (path relative to
/// `src/`, text).
pub(super) fn dependencies(
    files: &[(String, String)],
) -> BTreeMap<ModPath, BTreeMap<ModPath, usize>> {
    let modules: BTreeSet<ModPath> = files.iter().filter_map(|(f, _)| module_of(f)).collect();
    let mut graph: BTreeMap<ModPath, BTreeMap<ModPath, usize>> = BTreeMap::new();
    for (file, text) in files {
        let Some(from) = module_of(file) else {
            continue;
        };
        if from.is_empty() {
            continue;
        }
        let targets = graph.entry(from.clone()).or_default();
        for mention in mentions(&from, text) {
            let to = closest(&mention.path, &modules);
            if to.is_empty() || to == from || from.starts_with(&to) {
                continue;
            }
            let line = targets.entry(to).or_insert(mention.line);
            *line = (*line).min(mention.line);
        }
    }
    graph
}

/// The circles among the modules of one crate whose `files` are (path relative to `src/`,
/// text).
pub(super) fn circles(files: &[(String, String)]) -> Vec<Circle> {
    let graph = dependencies(files);
    let file_of: BTreeMap<ModPath, &str> = files
        .iter()
        .filter_map(|(f, _)| Some((module_of(f)?, f.as_str())))
        .collect();
    let nodes: Vec<&ModPath> = graph.keys().collect();
    let number: BTreeMap<&ModPath, usize> =
        nodes.iter().enumerate().map(|(k, m)| (*m, k)).collect();
    let successors: Vec<Vec<usize>> = nodes
        .iter()
        .map(|m| {
            graph[*m]
                .keys()
                .filter_map(|t| number.get(t).copied())
                .collect()
        })
        .collect();
    strongly_connected(&successors)
        .into_iter()
        .map(|component| {
            let members: BTreeSet<&ModPath> = component.iter().map(|&k| nodes[k]).collect();
            let name = |m: &ModPath| {
                file_of
                    .get(m)
                    .map_or_else(|| m.join("::"), |f| (*f).to_owned())
            };
            let mut edges = Vec::new();
            for &from in &members {
                for (to, line) in &graph[from] {
                    if members.contains(to) {
                        edges.push(Edge {
                            from: name(from),
                            line: *line,
                            to: name(to),
                        });
                    }
                }
            }
            Circle {
                files: members.iter().map(|m| name(m)).collect(),
                edges,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;

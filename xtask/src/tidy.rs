//! Invariants of the code base, checked as tests: what the domain core may depend on and
//! what it may never do; no import circle between the modules of a crate; no source file
//! over 800 lines.
//!
//! `cargo machete` (no unused dependency) and `cargo deny` (licenses, bans, sources) are
//! not tests here: `cargo xtask ci` runs them, and their own non-zero exit on a violation
//! fails it.

#[cfg(test)]
mod circles;

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    use super::circles;
    use crate::{cargo, root};

    /// The crates the core may depend on (normal dependencies, transitively): its three
    /// direct dependencies and what they pull in. Anything else fails the test; an IO
    /// crate (sea-orm, sqlx, poem, tokio, …) must never appear.
    const ALLOWED: &[&str] = &[
        "registry-core",
        "thiserror",
        "thiserror-impl",
        "proc-macro2",
        "quote",
        "syn",
        "unicode-ident",
        "time",
        "time-core",
        "time-macros",
        "deranged",
        "powerfmt",
        "num-conv",
        "rust_decimal",
        "arrayvec",
        "num-traits",
        "autocfg",
    ];

    const FORBIDDEN: &[&str] = &[
        "sea-orm",
        "sqlx",
        "poem",
        "tokio",
        "hyper",
        "reqwest",
        "mio",
        "libsqlite3-sys",
    ];

    #[test]
    fn the_core_depends_on_no_io_crate() {
        let output = cargo()
            .args([
                "tree",
                "-p",
                "registry-core",
                "-e",
                "normal",
                "--prefix",
                "none",
                "--format",
                "{p}",
            ])
            .output()
            .expect("cargo tree runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let crates: BTreeSet<String> = String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| line.split_whitespace().next())
            .map(str::to_owned)
            .collect();
        assert!(crates.contains("registry-core"), "{crates:?}");
        let forbidden: Vec<&String> = crates
            .iter()
            .filter(|c| FORBIDDEN.iter().any(|f| c.starts_with(f)))
            .collect();
        assert!(
            forbidden.is_empty(),
            "IO crates in registry-core: {forbidden:?}"
        );
        let unexpected: Vec<&String> = crates
            .iter()
            .filter(|c| !ALLOWED.contains(&c.as_str()))
            .collect();
        assert!(
            unexpected.is_empty(),
            "registry-core gained dependencies {unexpected:?}: the core's dependencies stay \
             thiserror, time and rust_decimal (update ALLOWED only for their own new \
             transitive dependencies)"
        );
    }

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("readable source directory") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    #[test]
    fn the_core_reads_no_clock_and_does_no_io() {
        let mut files = Vec::new();
        rust_files(&root().join("crates/registry-core/src"), &mut files);
        assert!(files.len() > 10);
        let banned = [
            "now_utc",
            "now_local",
            "SystemTime",
            "Instant::now",
            "std::fs",
            "std::net",
            "std::env",
            "std::process",
            "std::thread::sleep",
            "tokio",
        ];
        for file in files {
            let text = std::fs::read_to_string(&file).expect("readable source");
            for word in banned {
                assert!(
                    !text.contains(word),
                    "{} uses {word}: the core does no IO and takes the moment as a parameter",
                    file.display()
                );
            }
        }
    }

    #[test]
    fn every_module_says_what_it_is() {
        let mut files = Vec::new();
        for dir in ["crates", "xtask"] {
            rust_files(&root().join(dir), &mut files);
        }
        for file in files {
            let text = std::fs::read_to_string(&file).expect("readable source");
            let is_mod_rs_of_tests = file.components().any(|c| c.as_os_str() == "snapshots");
            if is_mod_rs_of_tests {
                continue;
            }
            assert!(
                text.trim_start().starts_with("//!"),
                "{} has no //! module comment",
                file.display()
            );
        }
    }

    /// The source directories whose modules make one crate each: `crates/*/src` and
    /// `xtask/src`.
    fn crate_sources() -> Vec<PathBuf> {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("crates"))
            .expect("a crates directory")
            .map(|entry| entry.expect("a directory entry").path().join("src"))
            .filter(|src| src.is_dir())
            .collect();
        dirs.push(root().join("xtask/src"));
        dirs.sort();
        dirs
    }

    /// The `.rs` files under `dir`, as (path relative to `dir` with `/`, text).
    fn sources_under(dir: &Path) -> Vec<(String, String)> {
        let mut files = Vec::new();
        rust_files(dir, &mut files);
        let mut sources: Vec<(String, String)> = files
            .into_iter()
            .map(|file| {
                let relative = file
                    .strip_prefix(dir)
                    .expect("a file under its directory")
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                let text = std::fs::read_to_string(&file).expect("readable source");
                (relative, text)
            })
            .collect();
        sources.sort();
        sources
    }

    /// The report of the circles of `crates`, each (name, its sources): empty when there
    /// is none.
    fn circles_report(crates: &[(String, Vec<(String, String)>)]) -> String {
        let mut report = String::new();
        for (name, files) in crates {
            for circle in circles::circles(files) {
                report.push_str(&format!("\n{name}: {}\n", circle.files.join(" · ")));
                for edge in circle.edges {
                    report.push_str(&format!(
                        "    {}:{} uses {}\n",
                        edge.from, edge.line, edge.to
                    ));
                }
            }
        }
        report
    }

    /// The audit actions `text` writes: the `x.y` literals between each `ctx.audit(` and
    /// its entity (an `if` may choose between two).
    fn audit_actions(text: &str) -> Vec<String> {
        let mut actions = Vec::new();
        for call in text.split("ctx.audit(").skip(1) {
            let head = call.split("Entity::").next().unwrap_or("");
            for literal in head.split('"').skip(1).step_by(2) {
                let parts: Vec<&str> = literal.split('.').collect();
                if parts.len() == 2
                    && parts.iter().all(|p| {
                        !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                    })
                {
                    actions.push(literal.to_owned());
                }
            }
        }
        actions
    }

    #[test]
    fn audit_actions_are_found_in_their_calls() {
        let text = "tx.audit(&ctx.audit(\n if a { \"account.reset_password\" } else { \"account.change_password\" },\n Entity::Account, 1, None, None, Some(Snapshot::default().with(\"x.y\", 1))))";
        assert_eq!(
            audit_actions(text),
            vec!["account.reset_password", "account.change_password"]
        );
    }

    /// 操作日志 shows every action in words: each one the core writes has its label in
    /// `read::audit::action_label` (a raw code like `account.change_password` on the page
    /// is a defect).
    #[test]
    fn every_audit_action_has_words() {
        let core = root().join("crates/registry-core/src");
        let labels = std::fs::read_to_string(core.join("read/audit.rs")).unwrap_or_default();
        let mut files = Vec::new();
        rust_files(&core, &mut files);
        let mut missing = Vec::new();
        let mut found = 0;
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            for action in audit_actions(&text) {
                found += 1;
                if !labels.contains(&format!("\"{action}\" =>")) {
                    missing.push(format!("{}: {action}", file.display()));
                }
            }
        }
        assert!(
            found > 20,
            "only {found} audit actions found: the scan is broken"
        );
        assert!(
            missing.is_empty(),
            "audit actions without words in read::audit::action_label:\n{}",
            missing.join("\n")
        );
    }

    #[test]
    fn the_circles_report_names_the_crate_files_and_lines() {
        let files = vec![
            ("lib.rs".to_owned(), "mod a; mod b;".to_owned()),
            ("a.rs".to_owned(), "use crate::b::f;".to_owned()),
            ("b.rs".to_owned(), "\nfn g() { crate::a::h(); }".to_owned()),
        ];
        let report = circles_report(&[("crates/x/src".to_owned(), files)]);
        assert_eq!(
            report,
            "\ncrates/x/src: a.rs · b.rs\n    a.rs:1 uses b.rs\n    b.rs:2 uses a.rs\n"
        );
        let calm = vec![("a.rs".to_owned(), "use crate::b::f;".to_owned())];
        assert!(circles_report(&[("crates/y/src".to_owned(), calm)]).is_empty());
    }

    /// No module of a crate depends on itself through other modules (see `circles` for
    /// what counts as a dependency). A circle is broken by moving what both sides need
    /// into a module of its own that depends on neither.
    #[test]
    fn no_import_circle_between_the_modules_of_a_crate() {
        let crates: Vec<(String, Vec<(String, String)>)> = crate_sources()
            .into_iter()
            .map(|src| {
                let name = src
                    .strip_prefix(root())
                    .unwrap_or(&src)
                    .display()
                    .to_string();
                let files = sources_under(&src);
                (name, files)
            })
            .collect();
        assert!(crates.len() > 5, "{crates:?}");
        let report = circles_report(&crates);
        assert!(
            report.is_empty(),
            "import circles between modules (each: its files, then every use inside the circle \
             at the first line that makes it):\n{report}"
        );
    }

    /// The longest a source file under `crates/*/src` may be.
    const MAX_LINES: usize = 800;

    /// The files of `files` (path, text) over `MAX_LINES` lines, with their line counts;
    /// migrations (files under a `migration/` folder) are exempt: each is one schema step.
    fn too_long(files: &[(String, String)]) -> Vec<(String, usize)> {
        files
            .iter()
            .filter(|(path, _)| !path.split('/').any(|part| part == "migration"))
            .map(|(path, text)| (path.clone(), text.lines().count()))
            .filter(|(_, lines)| *lines > MAX_LINES)
            .collect()
    }

    #[test]
    fn too_long_counts_lines_and_spares_migrations() {
        let lines = |n: usize| "x\n".repeat(n);
        let files = vec![
            ("crates/a/src/ok.rs".to_owned(), lines(800)),
            ("crates/a/src/long.rs".to_owned(), lines(801)),
            ("crates/a/src/migration/m1.rs".to_owned(), lines(2000)),
            ("crates/a/src/pages/longer.rs".to_owned(), lines(900)),
        ];
        assert_eq!(
            too_long(&files),
            [
                ("crates/a/src/long.rs".to_owned(), 801),
                ("crates/a/src/pages/longer.rs".to_owned(), 900)
            ]
        );
    }

    /// No source file under `crates/*/src` is over 800 lines: a longer one is split by
    /// what its parts are about.
    #[test]
    fn no_source_file_over_800_lines() {
        let mut files = Vec::new();
        for src in crate_sources() {
            if src.starts_with(root().join("crates")) {
                let name = src.strip_prefix(root()).unwrap_or(&src).to_path_buf();
                for (relative, text) in sources_under(&src) {
                    files.push((format!("{}/{relative}", name.display()), text));
                }
            }
        }
        assert!(files.len() > 50, "{} files", files.len());
        let long = too_long(&files);
        let list: Vec<String> = long
            .iter()
            .map(|(path, lines)| format!("{path}: {lines} lines"))
            .collect();
        assert!(
            long.is_empty(),
            "source files over {MAX_LINES} lines (migrations excepted):\n{}",
            list.join("\n")
        );
    }

    /// The `%field` of the log macros (`tracing::info!`, `warn!`, … and `info_span!`) in
    /// `text`: each as (line, the field). A `%` writes a value raw, so a newline or an
    /// escape sequence in it would start a forged line; `?` (or a plain `&str` field, which
    /// tracing writes with `Debug`) escapes it.
    fn displayed_log_fields(text: &str) -> Vec<(usize, String)> {
        let mut found = Vec::new();
        let mut rest = text;
        let mut offset = 0;
        while let Some(start) = rest.find("tracing::") {
            let call = &rest[start..];
            let Some(open) = call.find('(') else { break };
            let is_log = call[..open].ends_with('!');
            let end = call.find(");").map_or(call.len(), |e| e + 2);
            if is_log {
                let body = &call[open..end];
                let mut in_string = false;
                let mut previous = ' ';
                for (i, c) in body.char_indices() {
                    if c == '"' && previous != '\\' {
                        in_string = !in_string;
                    }
                    if c == '%' && !in_string {
                        let line = text[..offset + start + open + i].lines().count();
                        let field: String = body[i..]
                            .chars()
                            .take_while(|c| !matches!(c, ',' | ')'))
                            .collect();
                        found.push((line, field.trim().to_owned()));
                    }
                    previous = c;
                }
            }
            offset += start + end;
            rest = &rest[start + end..];
        }
        found
    }

    #[test]
    fn displayed_log_fields_are_found_outside_strings_only() {
        let text = "fn f() {\n    tracing::warn!(error = %e, \"50% done\");\n    tracing::info!(x = ?y, \"ok\");\n}";
        assert_eq!(displayed_log_fields(text), vec![(2, "%e".to_owned())]);
    }

    /// Every value is logged escaped: no log line of the server, the batch jobs or the CLI
    /// formats a field with `%` (a typed id is logged as its number: `person = id.get()`).
    #[test]
    fn no_log_line_writes_a_value_raw() {
        let mut offenders = Vec::new();
        for src in crate_sources() {
            for (relative, text) in sources_under(&src) {
                if relative == "tidy.rs" {
                    continue;
                }
                for (line, field) in displayed_log_fields(&text) {
                    offenders.push(format!("{}/{relative}:{line}: {field}", src.display()));
                }
            }
        }
        assert!(
            offenders.is_empty(),
            "log fields written raw (use `?value`):\n{}",
            offenders.join("\n")
        );
    }
}

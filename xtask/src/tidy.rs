//! Invariants of the code base, checked as tests: what the domain core may depend on and
//! what it may never do.

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

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

    fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
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
}

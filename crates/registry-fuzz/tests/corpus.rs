//! Replays every input of `corpus/<target>/` through its property: what fuzzing found
//! stays checked in every CI run, without a fuzzer.

use std::path::Path;

#[test]
fn every_corpus_input_keeps_its_property() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for (name, property) in registry_fuzz::TARGETS {
        let dir = root.join(name);
        let mut inputs = 0;
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            let outcome = std::panic::catch_unwind(|| property(&data));
            assert!(
                outcome.is_ok(),
                "{name}: {} broke the property",
                path.display()
            );
            inputs += 1;
        }
        assert!(inputs >= 5, "{name}: only {inputs} corpus inputs");
    }
}

//! The properties the fuzz targets in `fuzz/` check, on any input: the parsers of ID
//! numbers, credit codes and registration numbers, and the CSV and .xlsx importers' readers
//! and row checks, never panic, and what they accept is canonical (parsing it again gives
//! the same value). `cargo +nightly fuzz run <target>` explores; `tests/corpus.rs` replays
//! every input found so far (`corpus/<target>/`) in the ordinary test suite.

use registry_batch::table::Source;
use registry_core::credit_code::CreditCode;
use registry_core::cycle::{Cycles, RegistrationCycle};
use registry_core::exchange::{PassListChecker, is_blank};
use registry_core::registration_number::RegistrationNumber;
use registry_core::resident_id::ResidentId;
use time::Date;
use time::macros::date;

/// The day the properties are checked on.
const TODAY: Date = date!(2026 - 11 - 26);

/// A property checked on any input.
pub type Property = fn(&[u8]);

/// The targets, by name (the names of `fuzz/fuzz_targets/*.rs` and of `corpus/*`).
pub const TARGETS: [(&str, Property); 5] = [
    ("resident_id", resident_id),
    ("credit_code", credit_code),
    ("registration_number", registration_number),
    ("csv_import", csv_import),
    ("xlsx_import", xlsx_import),
];

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// An ID number: parsed or refused; a parsed one is canonical.
pub fn resident_id(data: &[u8]) {
    let input = text(data);
    if let Ok(id) = ResidentId::parse(&input, TODAY) {
        let again = ResidentId::parse_canonical(id.as_str());
        assert_eq!(again.as_ref().ok(), Some(&id), "{input:?}");
        assert_eq!(id.masked().chars().count(), 18);
    }
}

/// A unified social credit code: parsed or refused; a parsed one is canonical.
pub fn credit_code(data: &[u8]) {
    let input = text(data);
    if let Ok(code) = CreditCode::parse(&input) {
        assert_eq!(CreditCode::parse(code.as_str()).as_ref().ok(), Some(&code));
    }
}

/// A registration number: parsed or refused; a parsed one prints as it parses.
pub fn registration_number(data: &[u8]) {
    let input = text(data);
    if let Ok(number) = RegistrationNumber::parse(&input) {
        let printed = number.to_string();
        assert_eq!(RegistrationNumber::parse(&printed).ok(), Some(number));
    }
}

fn cycles() -> Cycles {
    let Ok(name) = registry_core::text::Text::parse("2025—2028", 40) else {
        return Cycles::default();
    };
    let cycle = RegistrationCycle::new(
        registry_core::ids::CycleId::new(1),
        name,
        date!(2025 - 01 - 01),
        date!(2028 - 12 - 31),
        registry_core::policy::Policy::default(),
    );
    match cycle {
        Ok(cycle) => Cycles::new(vec![cycle]).unwrap_or_default(),
        Err(_) => Cycles::default(),
    }
}

/// Checks records as a pass list, the way the importer does.
fn check_pass_list(records: Vec<registry_core::csv::Record>) {
    let Ok(catalogue) = registry_core::fixtures::review_items() else {
        return;
    };
    let cycles = cycles();
    let mut records = records.into_iter().filter(|r| !is_blank(r));
    let Some(header) = records.next() else {
        return;
    };
    let Ok(mut checker) = PassListChecker::new(&header) else {
        return;
    };
    for record in records {
        if let Ok(row) = checker.check(&record, &catalogue, &cycles, TODAY) {
            assert_eq!(row.line, record.line);
            assert!(!row.result.items.is_empty());
        }
    }
}

/// A CSV file (any bytes, any encoding) read and checked as a pass list.
pub fn csv_import(data: &[u8]) {
    if let Ok(records) = Source::new("list.csv", data.to_vec()).read_all() {
        check_pass_list(records);
    }
}

/// An .xlsx file (any bytes) read and checked as a pass list.
pub fn xlsx_import(data: &[u8]) {
    if let Ok(records) = Source::new("list.xlsx", data.to_vec()).read_all() {
        check_pass_list(records);
    }
}

//! The properties the fuzz targets in `fuzz/` check, on any input: the parsers of ID
//! numbers, credit codes and registration numbers, and the CSV and .xlsx importers' readers
//! and row checks, never panic, and what they accept is canonical (parsing it again gives
//! the same value). The readers keep their limits: read within limits small enough for
//! fuzzed inputs to reach ([`tiny_limits`]), what they give fits them and is what the
//! default limits give; CSV reads as the core's CSV reader reads it. `cargo +nightly fuzz
//! run <target>` explores; `tests/corpus.rs` replays every input found so far
//! (`corpus/<target>/`, with hand-made ZIP bombs among them) in the ordinary test suite.

use registry_batch::table::{Format, Limits, ReadError, Source};
use registry_core::credit_code::CreditCode;
use registry_core::csv::Record;
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
fn check_pass_list(records: Vec<Record>) {
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

/// Limits that small fuzzed inputs reach: 8 rows, 4 columns, 16 characters, parts of a few
/// KiB, 8 shared strings, elements of 256 bytes.
pub fn tiny_limits() -> Limits {
    Limits {
        max_rows: 8,
        max_columns: 4,
        max_cell_chars: 16,
        max_file_bytes: 64 * 1024,
        max_csv_bytes: 4 * 1024,
        max_sheet_bytes: 16 * 1024,
        max_shared_strings_bytes: 4 * 1024,
        max_part_bytes: 4 * 1024,
        max_unpacked_bytes: 32 * 1024,
        max_parts: 16,
        max_compression_ratio: 200,
        max_shared_strings: 8,
        max_shared_string_bytes: 256,
        max_element_bytes: 256,
    }
}

/// The records with the empty fields beyond `columns` dropped (as a reader with that
/// column limit drops them).
fn within(records: &[Record], columns: usize) -> Vec<Record> {
    records
        .iter()
        .map(|r| Record {
            line: r.line,
            fields: r.fields.iter().take(columns).cloned().collect(),
        })
        .collect()
}

/// A file read within the tiny limits and the default ones: what the tiny read gives fits
/// its limits and is what the default read gives; an error that is not a limit is the same
/// in both (no limit came before it). Returns the default read.
fn read_both(name: &str, data: &[u8]) -> Result<Vec<Record>, ReadError> {
    let tiny = tiny_limits();
    let small = Source::with_limits(name, data.to_vec(), tiny).read_all();
    let full = Source::new(name, data.to_vec()).read_all();
    match &small {
        Ok(records) => {
            assert!(records.len() <= tiny.max_rows);
            for record in records {
                assert!(record.fields.len() <= tiny.max_columns);
                for field in &record.fields {
                    assert!(field.chars().count() <= tiny.max_cell_chars);
                }
            }
            let Ok(all) = &full else {
                panic!(
                    "{name}: read within the tiny limits, refused within the defaults: {full:?}"
                );
            };
            assert!(
                all.iter()
                    .all(|r| r.fields.iter().skip(tiny.max_columns).all(String::is_empty))
            );
            assert_eq!(&within(all, tiny.max_columns), records);
        }
        Err(e) if !e.is_limit() => assert_eq!(full.as_ref().err(), Some(e), "{name}"),
        Err(_) => {}
    }
    full
}

/// A CSV file (any bytes, any encoding) read and checked as a pass list; read as the
/// core's CSV reader reads it.
pub fn csv_import(data: &[u8]) {
    let read = read_both("list.csv", data);
    // (A ZIP archive is read as a workbook whatever its name.)
    let csv = Format::of("list.csv", data) == Format::Csv;
    if let (true, Ok(text)) = (csv, registry_batch::table::decode(data)) {
        let core: Result<Vec<Record>, _> = registry_core::csv::Records::new(&text).collect();
        match (&read, core) {
            (Ok(records), Ok(core)) => {
                assert_eq!(&within(&core, Limits::default().max_columns), records);
            }
            (Err(ReadError::Quote(line)), Err(e)) => assert_eq!(*line, e.line),
            (Err(e), _) => assert!(e.is_limit(), "{e:?}"),
            (Ok(_), Err(e)) => panic!("the core refuses what the reader read: {e:?}"),
        }
    }
    if let Ok(records) = read {
        check_pass_list(records);
    }
}

/// An .xlsx file (any bytes) read and checked as a pass list.
pub fn xlsx_import(data: &[u8]) {
    if let Ok(records) = read_both("list.xlsx", data) {
        check_pass_list(records);
    }
}

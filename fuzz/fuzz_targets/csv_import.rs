//! Fuzz target: `registry_fuzz::csv_import` on any bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| registry_fuzz::csv_import(data));

//! Fuzz target: `registry_fuzz::xlsx_import` on any bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| registry_fuzz::xlsx_import(data));

//! Fuzz target: `registry_fuzz::resident_id` on any bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| registry_fuzz::resident_id(data));

//! Fuzz target: `registry_fuzz::registration_number` on any bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| registry_fuzz::registration_number(data));

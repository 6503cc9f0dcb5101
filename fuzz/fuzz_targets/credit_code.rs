//! Fuzz target: `registry_fuzz::credit_code` on any bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| registry_fuzz::credit_code(data));

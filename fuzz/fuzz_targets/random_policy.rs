//! Fuzz target: see `rulebook_testing::fuzz::random_policy` for the property.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    rulebook_testing::fuzz::random_policy(data);
});

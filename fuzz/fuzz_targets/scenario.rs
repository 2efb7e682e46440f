//! A load-test scenario file: parsed and resolved (defaults filled, every value checked), or
//! refused with a message; never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mmo_loadtest::scenario::{Scenario, ScenarioFile};

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    if let Ok(file) = ScenarioFile::parse(text) {
        let _ = Scenario::resolve(file, None);
    }
});

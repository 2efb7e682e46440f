//! Every scenario file shipped in loadtest/scenarios/ parses and passes the checks.

use mmo_loadtest::scenario::ScenarioFile;
use mmo_loadtest::Scenario;

#[test]
fn shipped_scenarios_are_valid() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let file = ScenarioFile::load(&path).unwrap_or_else(|e| panic!("{e}"));
            let s = Scenario::resolve(file, Some(path.clone())).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(!s.default_thresholds, "{} names its thresholds", path.display());
            assert!(s.target.is_none(), "{}: shipped scenarios default to the in-process world", path.display());
            names.push(s.name);
        }
    }
    names.sort();
    assert_eq!(
        names,
        [
            "border-crossers",
            "capacity-websocket",
            "capacity-webtransport",
            "crowd50",
            "hotspot",
            "hotspot-cell",
            "smoke"
        ]
    );
}

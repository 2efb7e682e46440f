//! A short run against an in-process local world: about 20 bots for about 15 seconds, over both
//! transports, border-crossers among them. The JSON report must show every bot joined, round
//! trips measured and cell borders crossed; a threshold that cannot be met fails the run.

use mmo_loadtest::scenario::ScenarioFile;
use mmo_loadtest::{run, RunOptions, Scenario};
use serde_json::Value;
use std::process::Command;

const SCENARIO: &str = r#"
name = "short-run"
seed = 11
stages = [
  { duration = "3s", target = 20 },
  { duration = "10s", target = 20 },
  { duration = "2s", target = 0 },
]
thresholds = ["unexpected_disconnects == 0", "connect_failures == 0", "rtt_count > 0"]
transport_mix = { webtransport = 50, websocket = 50 }
behaviours = { border_crosser = 4, wander = 1, hotspot = 1, idle = 1, chatter = 1, fighter = 2 }

[bots]
chat_every = "2s"

[world]
# Smaller cells than the default 128 tiles: players start in the middle of the first cell, so
# border-crossers reach a border within a few seconds.
cell_tiles = 64
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_bots_over_both_transports_join_measure_and_cross_borders() {
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let scenario = Scenario::resolve(ScenarioFile::parse(SCENARIO).unwrap(), None).unwrap();
    let (_stop, shutdown) = tokio::sync::watch::channel(false);
    let report = run(&scenario, RunOptions::default(), shutdown).await.expect("the run completes");
    let dir = tempfile::tempdir().unwrap();
    let (json_path, html_path) = report.write(dir.path()).unwrap();

    // Check what a user reads: the JSON report.
    let json: Value = serde_json::from_str(&std::fs::read_to_string(json_path).unwrap()).unwrap();
    let metric = |name: &str| json["metrics"][name].as_f64().unwrap_or_else(|| panic!("metric {name} missing"));
    let bots = json["bots"].as_array().unwrap();
    assert_eq!(bots.len(), 20, "exactly 20 bots started (none replaced)");
    assert!(bots.iter().all(|b| b["joined"] == true), "every bot joined: {bots:#?}");
    assert_eq!(metric("connect_failures"), 0.0);
    assert_eq!(metric("unexpected_disconnects"), 0.0);
    assert_eq!(json["totals"]["disconnects_by_reason"]["Left"], 20, "every bot left when told to");
    for transport in ["webtransport", "websocket"] {
        assert_eq!(bots.iter().filter(|b| b["transport"] == transport).count(), 10, "{transport}");
    }

    // Round trips: ~20 per bot per second of play; the tick wait makes them about 25-75 ms.
    assert!(metric("rtt_count") > 20.0 * 10.0 * 10.0, "round trips recorded: {}", metric("rtt_count"));
    let p50 = metric("rtt_p50_ms");
    assert!(p50 > 1.0 && p50 < 1000.0, "median round trip {p50} ms");
    assert!(json["totals"]["counts"]["snapshots"].as_u64().unwrap() > 20 * 10 * 15);

    // Border-crossers crossed cell borders.
    let crossers: Vec<&Value> = bots.iter().filter(|b| b["behaviour"] == "border_crosser").collect();
    assert!(crossers.len() >= 6);
    let crossed = crossers.iter().filter(|b| b["cell_crossings"].as_u64().unwrap() >= 1).count();
    assert!(crossed * 2 >= crossers.len(), "{crossed} of {} border-crossers crossed a cell border", crossers.len());
    assert!(metric("cell_crossings") >= 3.0);
    // One zone in the local world today: a handoff would be a bug there.
    assert_eq!(metric("handoffs_seen"), 0.0);
    // Walking, jumping, falling, dying and respawning roll nobody back.
    assert_eq!(metric("rollbacks"), 0.0, "{:#}", json["rollbacks"]);
    assert_eq!(metric("rollback_max_s"), 0.0);
    assert_eq!(json["rollbacks"].as_array().map(Vec::len), Some(0));
    assert!(bots.iter().all(|b| b["rollbacks"] == 0), "per bot too");
    let gaps = bots.iter().flat_map(|b| b["first_gaps"].as_array().unwrap());
    let started = json["meta"]["started_unix_ms"].as_u64().unwrap();
    assert!(
        gaps.into_iter().all(|g| g["at_unix_ms"].as_u64().is_some_and(|at| at >= started)),
        "gaps carry their time"
    );

    // The timeline and the verdict.
    let timeline = json["timeline"].as_array().unwrap();
    assert!(timeline.len() >= 12, "about one sample a second");
    assert!(timeline.iter().any(|s| s["connected"] == 20));
    assert_eq!(json["passed"], true, "thresholds: {:#}", json["thresholds"]);
    assert_eq!(json["meta"]["scenario"]["transport_mix"], "webtransport=50,websocket=50");

    let html = std::fs::read_to_string(html_path).unwrap();
    assert!(html.contains("<svg") && html.contains("Bots over time") && !html.contains("<script"));
}

#[test]
fn an_impossible_threshold_fails_the_run_with_exit_code_99() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_loadtest"))
        .args(["--stage", "1s:4", "--stage", "3s:4", "--stage", "1s:0"])
        .args(["--transport-mix", "webtransport=1,websocket=1", "--behaviours", "border-crosser=1,idle=1"])
        .args(["--threshold", "rtt_p99_ms < 0", "--threshold", "connect_failures == 0", "--quiet"])
        .arg("--out")
        .arg(dir.path())
        .output()
        .expect("loadtest runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(99), "stdout:\n{stdout}\nstderr:\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("✗ rtt_p99_ms < 0"), "{stdout}");
    assert!(stdout.contains("✓ connect_failures == 0"), "{stdout}");
    assert!(stdout.contains("FAILED: 1 of 2"), "{stdout}");
    let json: Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(json["passed"], false);
    assert_eq!(json["thresholds"][0]["passed"], false);
    assert!(json["thresholds"][0]["actual"].as_f64().unwrap() > 0.0, "the round trip was measured");
}

#[test]
fn a_bad_scenario_value_exits_1_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "[bots]\nchat_every = \"100ms\"\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_loadtest")).arg("--scenario").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bots.chat_every"), "{stderr}");
}

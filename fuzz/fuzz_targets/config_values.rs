//! The values of command-line flags and environment variables that are parsed by hand (store
//! and hot-state specs, world sizes, host:port, token keys, load-test durations, stages,
//! thresholds, transport mixes and targets, public addresses): a value or an error message,
//! never a panic. The first byte picks the parser.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mmo_cluster::cli;
use mmo_loadtest::mix::{Mix, Transport};
use mmo_loadtest::stages::Stage;
use mmo_loadtest::threshold::Threshold;
use mmo_loadtest::{duration, scenario};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    match pick % 12 {
        0 => drop(cli::parse_store(text)),
        1 => drop(cli::parse_hot(text)),
        2 => {
            if let Ok((w, h)) = cli::parse_world_size(text) {
                assert!(w > 0 && h > 0, "a world of {w}x{h}");
            }
        }
        3 => drop(cli::parse_host_port(text)),
        4 => drop(cli::parse_token_key(text)),
        5 => drop(duration::parse(text)),
        6 => drop(text.parse::<Stage>()),
        7 => drop(text.parse::<Threshold>()),
        8 => drop(Mix::<Transport>::parse(text, "transports")),
        9 => drop(scenario::parse_target(text, pick & 0x80 != 0)),
        10 => drop(mmo_gateway::public::parse_public_url(text)),
        _ => drop(mmo_gateway::public::parse_public_quic(text)),
    }
});

//! The coordinator API's request bodies (move-cell, drain) and the events limit: accepted
//! within the world, or refused naming a field the route has.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mmo_coordinator::requests;
use mmo_world::WorldGeometry;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else { return };
    let world = WorldGeometry::default();
    match pick % 3 {
        0 => match requests::move_cell(body, &world) {
            Ok(m) => assert!(world.holds(m.cell), "{m:?} is in no cell of the world"),
            Err(bad) => assert!(["body", "cell", "zone"].contains(&bad.field), "{bad}"),
        },
        1 => {
            if let Err(bad) = requests::drain(body) {
                assert!(["body", "zone", "undo"].contains(&bad.field), "{bad}");
            }
        }
        _ => {
            let Ok(text) = std::str::from_utf8(body) else { return };
            match requests::events_limit(Some(text)) {
                Ok(n) => assert!((1..=requests::MAX_EVENTS).contains(&n)),
                Err(bad) => assert_eq!(bad.field, "limit"),
            }
        }
    }
});

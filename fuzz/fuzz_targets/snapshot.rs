//! A snapshot datagram as a client decodes it (bit-packed, protocol::snapshot::wire): refused
//! with a code, or accepted, re-encoded to the same snapshot, and, when it needs no baseline,
//! applied to an empty view (the client's rebuild refuses what does not fit, never panics).
#![no_main]
use libfuzzer_sys::fuzz_target;
use mmo_protocol::snapshot::wire;
use mmo_protocol::View;

fuzz_target!(|bytes: &[u8]| {
    match wire::decode(bytes) {
        Ok(snap) => {
            assert_eq!(wire::decode(&wire::encode(&snap)).as_ref(), Ok(&snap), "re-encoded differently");
            if snap.baseline.is_none() {
                if let Ok(view) = View::apply(None, &snap) {
                    assert_eq!(view.tick, snap.tick);
                }
            }
        }
        Err(e) => {
            let _ = e.code();
        }
    }
});

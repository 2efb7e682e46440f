//! A cell frame and a delta to it as they come off a zone link: the delta applies to the frame
//! or is refused, never panics; what it yields is a frame whose ids increase like the base's, and
//! which the delta between the two rebuilds.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mmo_cluster::net::codec;
use mmo_protocol::{CellFrame, CellFrameDelta};

fuzz_target!(|bytes: &[u8]| {
    let Ok((base, delta)) = codec::decode::<(CellFrame, CellFrameDelta)>(bytes) else { return };
    // The link drops a whole frame whose ids are not increasing (mmo_cluster::net::client).
    if !base.ids_increasing() {
        return;
    }
    let Ok(next) = delta.apply(&base) else { return };
    assert!(next.ids_increasing(), "a delta made a frame with ids out of order");
    if let Some(again) = CellFrameDelta::between(&base, &next) {
        assert_eq!(again.apply(&base).as_ref(), Ok(&next), "the delta between two frames rebuilds the second");
    }
});

//! A cell checkpoint as read back from hot state (Redis or redb): refused, or a checkpoint that
//! re-encodes to the same one.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mmo_cluster::checkpoint::{CellCheckpoint, CheckpointCodec};

fuzz_target!(|bytes: &[u8]| {
    if let Ok(cp) = CellCheckpoint::decode(bytes) {
        let again = cp.encode().expect("a decoded checkpoint re-encodes");
        assert_eq!(CellCheckpoint::decode(&again).as_ref(), Ok(&cp));
    }
});

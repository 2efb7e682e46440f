//! A zone link connection's bytes (length-prefixed bincode frames, `mmo_cluster::net`): what a
//! zone reads from a gateway or a peer (`ToZone`, first byte even) or a caller reads from a
//! zone (`FromZone`: replies, cell frames and cell-frame deltas; first byte odd). Each frame is
//! refused with a code or accepted and re-encoded to the same message.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mmo_cluster::net::codec::{self, MAX_MESSAGE};
use mmo_cluster::net::wire::{FromZone, ToZone};
use mmo_protocol::framing::FrameReader;
use serde::{de::DeserializeOwned, Serialize};
use std::fmt::Debug;

fn read_all<T: DeserializeOwned + Serialize + PartialEq + Debug>(bytes: &[u8]) {
    let mut reader = FrameReader::new(MAX_MESSAGE);
    reader.push(bytes);
    while let Ok(Some(frame)) = reader.next_frame() {
        match codec::decode::<T>(&frame) {
            Ok(msg) => {
                let again = codec::encode_framed(&msg).expect("an accepted message re-encodes");
                assert_eq!(codec::decode::<T>(&again[4..]).as_ref(), Ok(&msg));
            }
            Err(e) => {
                let _ = e.code();
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else { return };
    if pick % 2 == 0 {
        read_all::<ToZone>(bytes);
    } else {
        read_all::<FromZone>(bytes);
    }
});

//! A client's control message as one WebSocket message (the gateway decodes it whole): refused
//! with a code, or accepted and then re-encoded to the same message.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mmo_protocol::limits::MAX_CLIENT_CONTROL;
use mmo_protocol::{codec, ClientControl};

fuzz_target!(|bytes: &[u8]| {
    match codec::decode::<ClientControl>(bytes, MAX_CLIENT_CONTROL) {
        Ok(msg) => {
            let again = codec::encode(&msg, MAX_CLIENT_CONTROL).expect("an accepted message re-encodes");
            assert_eq!(codec::decode::<ClientControl>(&again, MAX_CLIENT_CONTROL).as_ref(), Ok(&msg));
        }
        Err(e) => {
            let _ = e.code();
        }
    }
});

//! A server control message as a client (the load tester, like the browser) decodes it:
//! refused, or accepted and then re-encoded to the same message.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mmo_protocol::limits::MAX_SERVER_CONTROL;
use mmo_protocol::{codec, ServerControl};

fuzz_target!(|bytes: &[u8]| {
    if let Ok(msg) = codec::decode::<ServerControl>(bytes, MAX_SERVER_CONTROL) {
        let again = codec::encode(&msg, MAX_SERVER_CONTROL).expect("an accepted message re-encodes");
        assert_eq!(codec::decode::<ServerControl>(&again, MAX_SERVER_CONTROL).as_ref(), Ok(&msg));
    }
});

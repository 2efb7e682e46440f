//! A client's datagram (an input frame) as the gateway decodes it: refused with a code, or
//! accepted and then re-encoded to the same message.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mmo_protocol::limits::MAX_CLIENT_DATAGRAM;
use mmo_protocol::{codec, ClientDatagram};

fuzz_target!(|bytes: &[u8]| {
    match codec::decode::<ClientDatagram>(bytes, MAX_CLIENT_DATAGRAM) {
        Ok(msg) => {
            let again = codec::encode(&msg, MAX_CLIENT_DATAGRAM).expect("an accepted datagram re-encodes");
            assert_eq!(codec::decode::<ClientDatagram>(&again, MAX_CLIENT_DATAGRAM).as_ref(), Ok(&msg));
        }
        Err(e) => {
            let _ = e.code();
        }
    }
});

//! Codec round trips, limits, and the golden vectors.

use mmo_protocol::codec::{decode, encode, CodecError};
use mmo_protocol::limits::{MAX_CLIENT_CONTROL, MAX_CLIENT_DATAGRAM};
use mmo_protocol::{ClientControl, ClientDatagram, ErrorCode, InputFrame, ServerControl};
use mmo_world::Tick;
use proptest::prelude::*;
use std::path::Path;

#[test]
fn committed_golden_files_match_this_build() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(mmo_protocol::golden::DIR);
    for (name, expected) in mmo_protocol::golden::files() {
        let committed = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
        assert!(
            committed == expected,
            "golden/{name} is stale: run `cargo run -p mmo-protocol --bin golden` and update browser-client to match"
        );
    }
}

#[test]
fn golden_messages_decode_to_their_values() {
    let golden = mmo_protocol::golden::messages();
    for m in golden["messages"].as_array().unwrap() {
        let hex = m["hex"].as_str().unwrap();
        let bytes: Vec<u8> =
            (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
        let value = match m["type"].as_str().unwrap() {
            "ClientControl" => serde_json::to_value(decode::<ClientControl>(&bytes, usize::MAX).unwrap()),
            "ServerControl" => serde_json::to_value(decode::<ServerControl>(&bytes, usize::MAX).unwrap()),
            "ClientDatagram" => serde_json::to_value(decode::<ClientDatagram>(&bytes, usize::MAX).unwrap()),
            "ServerDatagram" => serde_json::to_value(mmo_protocol::snapshot::wire::decode(&bytes).unwrap()),
            other => panic!("unknown type {other}"),
        }
        .unwrap();
        assert_eq!(value, m["value"], "{}", m["name"]);
    }
}

#[test]
fn unknown_variant_is_reported_as_unknown_kind() {
    let err = decode::<ClientControl>(&[9], MAX_CLIENT_CONTROL).unwrap_err();
    assert_eq!(err, CodecError::UnknownKind);
    assert_eq!(err.code(), ErrorCode::UnknownMessage);
}

#[test]
fn truncated_and_trailing_bytes_are_malformed() {
    let bytes = encode(&ClientControl::Login { name: "ada".into(), password: None }, MAX_CLIENT_CONTROL).unwrap();
    assert_eq!(
        decode::<ClientControl>(&bytes[..bytes.len() - 1], MAX_CLIENT_CONTROL).unwrap_err().code(),
        ErrorCode::MalformedMessage
    );
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(decode::<ClientControl>(&longer, MAX_CLIENT_CONTROL), Err(CodecError::TrailingBytes(1)));
}

#[test]
fn oversized_input_is_refused_before_decoding() {
    let bytes = vec![0u8; MAX_CLIENT_DATAGRAM + 1];
    assert_eq!(
        decode::<ClientDatagram>(&bytes, MAX_CLIENT_DATAGRAM),
        Err(CodecError::TooLarge { size: MAX_CLIENT_DATAGRAM + 1, limit: MAX_CLIENT_DATAGRAM })
    );
}

#[test]
fn hostile_length_prefix_does_not_allocate() {
    // Login with a string length claiming 2^32 bytes, in a 10-byte message.
    let bytes = [1u8, 252, 0, 0, 0, 1, b'a', b'b', b'c', b'd'];
    assert_eq!(decode::<ClientControl>(&bytes, MAX_CLIENT_CONTROL).unwrap_err().code(), ErrorCode::MalformedMessage);
}

proptest! {
    #[test]
    fn inputs_round_trip(seq: u32, ack: Option<u64>, buttons in proptest::collection::vec(any::<u8>(), 0..8)) {
        let msg = ClientDatagram::Input(InputFrame { seq, ack: ack.map(Tick), buttons });
        let bytes = encode(&msg, MAX_CLIENT_DATAGRAM).unwrap();
        prop_assert_eq!(decode::<ClientDatagram>(&bytes, MAX_CLIENT_DATAGRAM).unwrap(), msg);
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = decode::<ClientControl>(&bytes, MAX_CLIENT_CONTROL);
        let _ = decode::<ClientDatagram>(&bytes, MAX_CLIENT_DATAGRAM);
    }
}

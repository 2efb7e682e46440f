//! A session token as a client presents it (`Resume`): refused, or valid, and then only under
//! the key that issued it. The seeds hold tokens issued with `KEY`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mmo_store::token::{TokenError, TokenKey};
use std::time::{Duration, SystemTime};

const KEY: &[u8] = b"fuzzing key, thirty-two bytes ok";

fuzz_target!(|bytes: &[u8]| {
    let Ok(token) = std::str::from_utf8(bytes) else { return };
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600);
    let key = TokenKey::new(KEY).expect("key");
    if let Ok(name) = key.verify(token, now) {
        let other = TokenKey::new(b"another key, thirty-two bytes ok".as_slice()).expect("key");
        assert_eq!(other.verify(token, now), Err(TokenError::BadSignature), "valid under two keys");
        assert_eq!(key.verify(&key.issue(&name, now, Duration::from_secs(60)), now).as_deref(), Ok(name.as_str()));
    }
});

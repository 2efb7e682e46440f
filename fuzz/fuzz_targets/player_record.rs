//! A player record as read back from a durable store: corrupt (naming the player), or a record
//! of that player that re-encodes to the same record.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mmo_records::PlayerRecord;

fuzz_target!(|bytes: &[u8]| {
    match PlayerRecord::decode("ann", bytes) {
        Ok(record) => {
            assert_eq!(record.name, "ann");
            let again = record.encode().expect("a decoded record re-encodes");
            assert_eq!(PlayerRecord::decode("ann", &again).as_ref(), Ok(&record));
        }
        Err(e) => assert!(e.to_string().contains("ann"), "the error names the player: {e}"),
    }
});

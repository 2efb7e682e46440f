//! The durable player record (the saved character: what survives a logout) and its stored
//! encoding.
//!
//! Stored bytes are an envelope: the magic `MPR`, one format-version byte, then the record in
//! bincode (standard configuration). A record that does not decode (wrong magic, unknown format
//! version, garbled payload) is [`RecordError::Corrupt`] for that player, never a panic. A new
//! format gets a new version byte and a decoder for each version still stored.

use crate::item::Item;
use glam::IVec2;
use mmo_world::{CellId, ItemSerial};
use serde::{Deserialize, Serialize};

/// A player record that could not be encoded or decoded.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordError {
    /// The stored record of this player cannot be decoded (bad envelope, unknown format version,
    /// truncated or garbled payload).
    #[error("the stored record of player {name:?} is corrupt: {reason}")]
    Corrupt { name: String, reason: String },
    #[error("cannot encode: {0}")]
    Encode(String),
}

/// A player's durable state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlayerRecord {
    pub name: String,
    /// An argon2 PHC string (`mmo_store::accounts::hash_password`); `None` for a guest.
    pub credentials: Option<String>,
    /// Fixed-point world position (see `mmo_world::physics::SUB`).
    pub position: IVec2,
    /// The cell holding `position` when the record was taken.
    pub cell: CellId,
    pub hp: i32,
    pub xp: u64,
    pub level: u16,
    pub inventory: Vec<Item>,
    /// Grows with every change; a store refuses a save whose version is not newer than the
    /// stored one.
    pub version: u64,
}

impl PlayerRecord {
    /// A fresh character at `position` in `cell`, version 0 (a store's `create_account` takes it).
    pub fn new(name: impl Into<String>, credentials: Option<String>, position: IVec2, cell: CellId) -> Self {
        PlayerRecord {
            name: name.into(),
            credentials,
            position,
            cell,
            hp: 100,
            xp: 0,
            level: 1,
            inventory: Vec::new(),
            version: 0,
        }
    }

    /// Whether the inventory holds `serial`.
    pub fn holds(&self, serial: ItemSerial) -> bool {
        self.inventory.iter().any(|item| item.serial == serial)
    }

    /// Removes and returns the item with `serial`.
    pub fn take_item(&mut self, serial: ItemSerial) -> Option<Item> {
        let index = self.inventory.iter().position(|item| item.serial == serial)?;
        Some(self.inventory.remove(index))
    }

    /// The stored form: envelope and payload.
    pub fn encode(&self) -> Result<Vec<u8>, RecordError> {
        let mut bytes = Vec::with_capacity(64 + self.name.len() + 12 * self.inventory.len());
        bytes.extend_from_slice(MAGIC);
        bytes.push(FORMAT_V1);
        bincode::serde::encode_into_std_write(self, &mut bytes, bincode::config::standard())
            .map_err(|error| RecordError::Encode(error.to_string()))?;
        Ok(bytes)
    }

    /// Decodes the stored form of player `name`'s record; anything wrong is
    /// [`RecordError::Corrupt`] naming that player.
    pub fn decode(name: &str, bytes: &[u8]) -> Result<PlayerRecord, RecordError> {
        let corrupt = |reason: String| RecordError::Corrupt { name: name.to_owned(), reason };
        let Some(payload) = bytes.strip_prefix(MAGIC.as_slice()) else {
            return Err(corrupt("missing record envelope".into()));
        };
        let (&format, payload) = payload.split_first().ok_or_else(|| corrupt("truncated envelope".into()))?;
        if format != FORMAT_V1 {
            return Err(corrupt(format!("unknown record format {format}")));
        }
        let (record, used): (PlayerRecord, usize) =
            bincode::serde::decode_from_slice(payload, bincode::config::standard().with_limit::<MAX_RECORD>())
                .map_err(|error| corrupt(error.to_string()))?;
        if used != payload.len() {
            return Err(corrupt(format!("{} trailing bytes", payload.len() - used)));
        }
        if record.name != name {
            return Err(corrupt(format!("record holds player {:?}", record.name)));
        }
        Ok(record)
    }
}

const MAGIC: &[u8; 3] = b"MPR";
const FORMAT_V1: u8 = 1;
/// Decoding refuses records larger than this (a garbled length prefix must not allocate GBs).
const MAX_RECORD: usize = 1 << 20;

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> PlayerRecord {
        let mut record = PlayerRecord::new("ann", Some("$argon2id$x".into()), IVec2::new(512, -3), CellId::new(1, 0));
        record.inventory.push(Item { serial: ItemSerial(7), kind: 3, count: 2 });
        record.version = 9;
        record
    }

    #[test]
    fn round_trips() {
        let record = sample();
        assert_eq!(PlayerRecord::decode("ann", &record.encode().unwrap()).unwrap(), record);
    }

    #[test]
    fn garbage_is_corrupt_for_that_player() {
        for bytes in [&b""[..], b"xyz", b"MPR", b"MPR\x02abc", b"MPR\x01\xff\xff\xff\xff\xff"] {
            match PlayerRecord::decode("ann", bytes) {
                Err(RecordError::Corrupt { name, .. }) => assert_eq!(name, "ann"),
                other => panic!("{bytes:?} decoded to {other:?}"),
            }
        }
    }

    #[test]
    fn truncated_and_extended_records_are_corrupt() {
        let bytes = sample().encode().unwrap();
        assert!(matches!(PlayerRecord::decode("ann", &bytes[..bytes.len() - 1]), Err(RecordError::Corrupt { .. })));
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(PlayerRecord::decode("ann", &longer), Err(RecordError::Corrupt { .. })));
        assert!(matches!(PlayerRecord::decode("bob", &bytes), Err(RecordError::Corrupt { .. })));
    }
}

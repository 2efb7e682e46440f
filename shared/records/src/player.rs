//! The durable player record (the saved character: what survives a logout) and its stored
//! encoding.
//!
//! Stored bytes are an envelope: the magic `MPR`, one format-version byte, then the record in
//! bincode (standard configuration). A record that does not decode (wrong magic, unknown format
//! version, garbled payload) is [`RecordError::Corrupt`] for that player, never a panic. A new
//! format gets a new version byte and a decoder for each version still stored:
//! - format 1: the record without pickup receipts (read as a record with none);
//! - format 2 (written now): with [`PlayerRecord::picked`].

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
    /// Pickup receipts: the serials of the player's latest pickups, oldest first, at most
    /// [`PICKUP_RECEIPTS`] ([`record_pickup`] keeps them). A stored record listing a serial says
    /// that its pickup became durable, even once the item moved on (given, dropped); a cell
    /// restored from its checkpoint then does not put it back on the ground
    /// ([`crate::CellCheckpoint::resolve`]).
    pub picked: Vec<ItemSerial>,
}

/// How many pickup receipts a player keeps ([`PlayerRecord::picked`], oldest dropped first).
///
/// A receipt is needed while its pickup is listed in a cell checkpoint: `PICKED_KEEP_TICKS` in
/// `mmo-zone-core` (200 ticks, 10 s at 20 Hz; a cell migrating meanwhile restarts that count
/// on its new owner), so 64 suffice as long as nobody picks up more than 64 items within about
/// 10 s. Physics bounds where a player can be, not how many items lie there: at `RUN_SPEED`
/// (102 sub-units a tick, 0.4 tile) a player runs about 80 tiles in 200 ticks (falls at most
/// 1.25 tiles a tick, `MAX_FALL`), picking up what lies within 1 tile across and 2 tiles up or
/// down of its feet (`PICKUP_REACH`), so the ground it reaches in 10 s is bounded; but items on
/// the ground do not expire and may pile on one spot (NPCs killed where a player stands,
/// `/drop`s), and a player walking onto a pile picks it up whole in one tick. Fewer than 64
/// pickups in 10 s is thus an assumption about play, not a rule the zone enforces. Past it,
/// the oldest receipts are gone while their pickups are still checkpointed, and those pickups
/// are judged as before receipts existed (durable iff the picker's stored inventory holds the
/// item): an item among them that also left its picker before a zone death within those 10 s
/// comes back on the ground a second time.
pub const PICKUP_RECEIPTS: usize = 64;

/// Adds the receipt of a pickup of `serial` to `picked` (a [`PlayerRecord::picked`] or the
/// live player's copy), dropping the oldest past [`PICKUP_RECEIPTS`].
pub fn record_pickup(picked: &mut Vec<ItemSerial>, serial: ItemSerial) {
    picked.push(serial);
    if picked.len() > PICKUP_RECEIPTS {
        picked.drain(..picked.len() - PICKUP_RECEIPTS);
    }
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
            picked: Vec::new(),
        }
    }

    /// Whether the inventory holds `serial`.
    pub fn holds(&self, serial: ItemSerial) -> bool {
        self.inventory.iter().any(|item| item.serial == serial)
    }

    /// Whether the record lists a receipt for a pickup of `serial` ([`PlayerRecord::picked`]).
    pub fn picked_up(&self, serial: ItemSerial) -> bool {
        self.picked.contains(&serial)
    }

    /// Removes and returns the item with `serial`.
    pub fn take_item(&mut self, serial: ItemSerial) -> Option<Item> {
        let index = self.inventory.iter().position(|item| item.serial == serial)?;
        Some(self.inventory.remove(index))
    }

    /// The stored form: envelope and payload.
    pub fn encode(&self) -> Result<Vec<u8>, RecordError> {
        let mut bytes = Vec::with_capacity(64 + self.name.len() + 12 * self.inventory.len() + 9 * self.picked.len());
        bytes.extend_from_slice(MAGIC);
        bytes.push(FORMAT_V2);
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
        let record = match format {
            FORMAT_V1 => PlayerRecord::from(decode_payload::<PlayerRecordV1>(payload).map_err(corrupt)?),
            FORMAT_V2 => decode_payload::<PlayerRecord>(payload).map_err(corrupt)?,
            _ => return Err(corrupt(format!("unknown record format {format}"))),
        };
        if record.name != name {
            return Err(corrupt(format!("record holds player {:?}", record.name)));
        }
        Ok(record)
    }
}

/// The whole of `payload` as one `T`.
fn decode_payload<T: serde::de::DeserializeOwned>(payload: &[u8]) -> Result<T, String> {
    let (value, used): (T, usize) =
        bincode::serde::decode_from_slice(payload, bincode::config::standard().with_limit::<MAX_RECORD>())
            .map_err(|error| error.to_string())?;
    if used != payload.len() {
        return Err(format!("{} trailing bytes", payload.len() - used));
    }
    Ok(value)
}

/// A record as format 1 stored it: no pickup receipts. Never written any more.
#[derive(Deserialize)]
struct PlayerRecordV1 {
    name: String,
    credentials: Option<String>,
    position: IVec2,
    cell: CellId,
    hp: i32,
    xp: u64,
    level: u16,
    inventory: Vec<Item>,
    version: u64,
}

impl From<PlayerRecordV1> for PlayerRecord {
    fn from(v1: PlayerRecordV1) -> Self {
        let PlayerRecordV1 { name, credentials, position, cell, hp, xp, level, inventory, version } = v1;
        PlayerRecord { name, credentials, position, cell, hp, xp, level, inventory, version, picked: Vec::new() }
    }
}

const MAGIC: &[u8; 3] = b"MPR";
/// Records without pickup receipts (read, not written).
const FORMAT_V1: u8 = 1;
/// Records with pickup receipts.
const FORMAT_V2: u8 = 2;
/// Decoding refuses records larger than this (a garbled length prefix must not allocate GBs).
const MAX_RECORD: usize = 1 << 20;

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> PlayerRecord {
        let mut record = PlayerRecord::new("ann", Some("$argon2id$x".into()), IVec2::new(512, -3), CellId::new(1, 0));
        record.inventory.push(Item { serial: ItemSerial(7), kind: 3, count: 2 });
        record.version = 9;
        record.picked = vec![ItemSerial(4), ItemSerial(70_000)];
        record
    }

    #[test]
    fn round_trips() {
        let record = sample();
        let bytes = record.encode().unwrap();
        assert_eq!(&bytes[..4], b"MPR\x02", "written in format 2");
        assert_eq!(PlayerRecord::decode("ann", &bytes).unwrap(), record);
    }

    /// The bytes of a format 2 record, as this release writes them: a change to the stored
    /// record (a field added, removed or reordered, another encoding) must come with a new
    /// format version and a reader for these bytes, or records already stored stop loading.
    #[test]
    fn a_format_2_record_keeps_its_bytes() {
        assert_eq!(sample().encode().unwrap(), FORMAT_2_SAMPLE);
        assert_eq!(PlayerRecord::decode("ann", FORMAT_2_SAMPLE).unwrap(), sample());
    }

    #[rustfmt::skip]
    const FORMAT_2_SAMPLE: &[u8] = &[
        b'M', b'P', b'R', 2, // envelope, format 2
        3, b'a', b'n', b'n', // name
        1, 11, b'$', b'a', b'r', b'g', b'o', b'n', b'2', b'i', b'd', b'$', b'x', // credentials
        251, 0, 4, 5, // position (512, -3), zigzag varints
        1, 0, 0, // cell 1.0, depth 0
        200, // hp 100
        0, // xp
        1, // level
        1, 7, 3, 2, // inventory: serial 7, kind 3, count 2
        9, // version
        2, 4, 252, 112, 17, 1, 0, // receipts: serials 4 and 70,000 (a u32 varint)
    ];

    /// A record stored before pickup receipts existed (format 1, these bytes written by the
    /// release before them) still loads, with no receipts.
    #[test]
    fn a_format_1_record_loads_without_receipts() {
        let v1: &[u8] = &[
            b'M', b'P', b'R', 1, // envelope, format 1
            3, b'a', b'n', b'n', // name
            0,    // credentials: none
            0xfb, 0x00, 0x04, 0xfb, 0x00, 0x05, // position (512, 640), zigzag varints
            2, 1, 0,    // cell 2.1, depth 0
            0xc8, // hp 100
            0,    // xp
            1,    // level
            1, 7, 3, 1, // inventory: serial 7, kind 3, count 1
            9, // version
        ];
        let record = PlayerRecord::decode("ann", v1).unwrap();
        let mut expected = PlayerRecord::new("ann", None, IVec2::new(512, 640), CellId::new(2, 1));
        expected.inventory.push(Item::one(ItemSerial(7), 3));
        expected.version = 9;
        assert_eq!(record, expected);
        assert!(record.picked.is_empty());
        let again = record.encode().unwrap();
        assert_eq!(again[3], 2, "saved again in format 2");
        assert_eq!(PlayerRecord::decode("ann", &again).unwrap(), record);
        assert!(matches!(PlayerRecord::decode("ann", &v1[..v1.len() - 1]), Err(RecordError::Corrupt { .. })));
    }

    #[test]
    fn receipts_keep_the_latest_pickups() {
        let mut picked = Vec::new();
        for serial in 0..PICKUP_RECEIPTS as u64 + 6 {
            record_pickup(&mut picked, ItemSerial(serial));
        }
        assert_eq!(picked.len(), PICKUP_RECEIPTS);
        assert_eq!(picked.first(), Some(&ItemSerial(6)), "the oldest dropped first");
        assert_eq!(picked.last(), Some(&ItemSerial(PICKUP_RECEIPTS as u64 + 5)));
        let mut record = sample();
        record.picked = picked;
        assert!(record.picked_up(ItemSerial(6)) && !record.picked_up(ItemSerial(5)));
    }

    #[test]
    fn garbage_is_corrupt_for_that_player() {
        for bytes in [&b""[..], b"xyz", b"MPR", b"MPR\x03abc", b"MPR\x01\xff\xff\xff\xff\xff", b"MPR\x02\xff\xff"] {
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

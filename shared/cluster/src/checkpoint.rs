//! Cell checkpoints (plain data, defined in [`mmo_records::checkpoint`], re-exported here) and
//! their bytes in hot state: the zone link's codec ([`crate::net::codec`]), through
//! [`CheckpointCodec`].

use crate::net::codec::{self, WireError};
pub use mmo_records::checkpoint::*;

/// A checkpoint's bytes, as written to hot state: the zone link's encoding.
pub trait CheckpointCodec: Sized {
    /// The checkpoint's bytes.
    fn encode(&self) -> Result<Vec<u8>, WireError>;
    /// A checkpoint from its bytes; an error for bytes that are not one.
    fn decode(bytes: &[u8]) -> Result<Self, WireError>;
}

impl CheckpointCodec for CellCheckpoint {
    fn encode(&self) -> Result<Vec<u8>, WireError> {
        let mut framed = codec::encode_framed(self)?;
        framed.drain(..4);
        Ok(framed)
    }

    /// Also reads a checkpoint written before checkpoints carried items in escrow (as none),
    /// or the policy version too (as 0).
    fn decode(bytes: &[u8]) -> Result<CellCheckpoint, WireError> {
        codec::decode(bytes).or_else(|error| {
            let older = match codec::decode::<WithoutGives>(bytes) {
                Ok(WithoutGives { cell, tick, npcs, items, policy }) => (cell, tick, npcs, items, policy),
                Err(_) => match codec::decode::<Unversioned>(bytes) {
                    Ok(Unversioned { cell, tick, npcs, items }) => (cell, tick, npcs, items, 0),
                    Err(_) => return Err(error),
                },
            };
            let (cell, tick, npcs, items, policy) = older;
            Ok(CellCheckpoint { cell, tick, npcs, items, policy, gives: Vec::new() })
        })
    }
}

/// A checkpoint as written before checkpoints carried the policy version.
#[derive(serde::Serialize, serde::Deserialize)]
struct Unversioned {
    cell: mmo_world::CellId,
    tick: mmo_world::Tick,
    npcs: Vec<mmo_records::EntityRecord>,
    items: CellItems,
}

/// A checkpoint as written before checkpoints carried items in escrow.
#[derive(serde::Serialize, serde::Deserialize)]
struct WithoutGives {
    cell: mmo_world::CellId,
    tick: mmo_world::Tick,
    npcs: Vec<mmo_records::EntityRecord>,
    items: CellItems,
    policy: u16,
}

#[cfg(test)]
mod tests {
    use super::*;
    use glam::IVec2;
    use mmo_records::Item;
    use mmo_world::{CellId, ItemSerial, Tick};

    #[test]
    fn round_trips_and_refuses_junk() {
        let item = |serial| Item::one(ItemSerial(serial), 10);
        let cp = CellCheckpoint {
            cell: CellId::new(3, 1),
            tick: Tick(40),
            npcs: Vec::new(),
            items: CellItems {
                ground: vec![GroundRecord {
                    item: item(1),
                    pos: IVec2::ONE,
                    dropped_by: Some("ann".into()),
                    dropped_at: None,
                }],
                picked: vec![Picked { item: item(2), pos: IVec2::ZERO, by: "bob".into() }],
            },
            policy: 1,
            gives: vec![GiveRecord {
                id: mmo_records::GiveId { zone: mmo_world::ZoneId(2), run: 1, n: 1 },
                item: item(3),
                pos: IVec2::ONE,
                from: "ann".into(),
                to: "cy".into(),
            }],
        };
        assert_eq!(CellCheckpoint::decode(&cp.encode().unwrap()).unwrap(), cp);
        assert!(CellCheckpoint::decode(b"\xff\xff\xff").is_err());
        let (cell, tick, items) = (cp.cell, cp.tick, cp.items.clone());
        let without_gives = WithoutGives { cell, tick, npcs: Vec::new(), items: items.clone(), policy: 1 };
        let expected = CellCheckpoint { gives: Vec::new(), ..cp.clone() };
        assert_eq!(CellCheckpoint::decode(&bytes_of(&without_gives)).unwrap(), expected, "without items in escrow");
        let unversioned = Unversioned { cell, tick, npcs: Vec::new(), items };
        let expected = CellCheckpoint { policy: 0, gives: Vec::new(), ..cp };
        assert_eq!(CellCheckpoint::decode(&bytes_of(&unversioned)).unwrap(), expected, "without the policy version");
    }

    /// An older checkpoint's bytes, as they were written.
    fn bytes_of<T: serde::Serialize>(older: &T) -> Vec<u8> {
        let mut bytes = codec::encode_framed(older).unwrap();
        bytes.drain(..4);
        bytes
    }
}

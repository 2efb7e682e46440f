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

    /// Also reads a checkpoint written before checkpoints carried the policy version (as 0).
    fn decode(bytes: &[u8]) -> Result<CellCheckpoint, WireError> {
        codec::decode(bytes).or_else(|error| match codec::decode::<Unversioned>(bytes) {
            Ok(Unversioned { cell, tick, npcs, items }) => Ok(CellCheckpoint { cell, tick, npcs, items, policy: 0 }),
            Err(_) => Err(error),
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
        };
        assert_eq!(CellCheckpoint::decode(&cp.encode().unwrap()).unwrap(), cp);
        assert!(CellCheckpoint::decode(b"\xff\xff\xff").is_err());
        let older = Unversioned { cell: cp.cell, tick: cp.tick, npcs: Vec::new(), items: cp.items.clone() };
        let mut bytes = codec::encode_framed(&older).unwrap();
        bytes.drain(..4);
        assert_eq!(CellCheckpoint::decode(&bytes).unwrap(), CellCheckpoint { policy: 0, ..cp }, "an older checkpoint");
    }
}

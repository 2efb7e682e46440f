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

    fn decode(bytes: &[u8]) -> Result<CellCheckpoint, WireError> {
        codec::decode(bytes)
    }
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
        };
        assert_eq!(CellCheckpoint::decode(&cp.encode().unwrap()).unwrap(), cp);
        assert!(CellCheckpoint::decode(b"\xff\xff\xff").is_err());
    }
}

//! Newtype identifiers. Each prints short in `Debug` (`e42`, `z1`) so logs stay readable.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident($inner:ty), $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
        #[serde(transparent)]
        pub struct $name(pub $inner);

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(self, f)
            }
        }
    };
}

id_type!(
    /// A simulated thing: a player's avatar or an NPC. Unique across the cluster: the zone
    /// that creates an entity puts its own id in the high bits.
    EntityId(u64), "e"
);
id_type!(
    /// A zone server process.
    ZoneId(u32), "z"
);
id_type!(
    /// A gateway process.
    GatewayId(u32), "g"
);
/// One run of a gateway: its id and a number drawn at each start, so that a gateway restarted
/// under its id is told from the run before it (whose sessions died with it).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
pub struct GatewayRun {
    pub gateway: GatewayId,
    pub run: u64,
}

impl GatewayRun {
    /// A new run of `gateway`: a number from the clock and the process id.
    pub fn start(gateway: GatewayId) -> GatewayRun {
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
        GatewayRun { gateway, run: nanos ^ (u64::from(std::process::id()) << 40) }
    }
}

impl fmt::Debug for GatewayRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{:x}", self.gateway, self.run)
    }
}

impl fmt::Display for GatewayRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

id_type!(
    /// One client session on a gateway. It never changes while the client stays connected,
    /// whichever zone simulates the player.
    SessionId(u64), "s"
);
id_type!(
    /// An ownership or authority epoch: only ever grows (the registry revision of the write).
    Epoch(u64), "ep"
);

id_type!(
    /// The unique serial of one item: allocated by the durable store
    /// (`mmo_store::DurableStore::allocate_serials`), never reused.
    ItemSerial(u64), "i"
);

/// A block of item serials the store hands out at once: `start` up to `end`, `end` excluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SerialBlock {
    pub start: ItemSerial,
    pub end: ItemSerial,
}

impl SerialBlock {
    /// The `n` serials from `start` on.
    pub const fn from_start(start: u64, n: u64) -> Self {
        SerialBlock { start: ItemSerial(start), end: ItemSerial(start + n) }
    }

    /// How many serials the block holds.
    pub fn len(&self) -> u64 {
        self.end.0.saturating_sub(self.start.0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The serials, in order.
    pub fn iter(&self) -> impl Iterator<Item = ItemSerial> {
        (self.start.0..self.end.0).map(ItemSerial)
    }
}

impl EntityId {
    /// Bits of an entity id that hold the creating zone.
    const ZONE_SHIFT: u32 = 40;

    /// The `n`-th entity created by `zone`.
    pub fn new(zone: ZoneId, n: u64) -> Self {
        debug_assert!(n < 1 << Self::ZONE_SHIFT);
        EntityId((u64::from(zone.0) << Self::ZONE_SHIFT) | n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_serial_block_lists_its_serials_in_order() {
        let block = SerialBlock::from_start(5, 3);
        assert_eq!(block.len(), 3);
        assert_eq!(block.iter().collect::<Vec<_>>(), vec![ItemSerial(5), ItemSerial(6), ItemSerial(7)]);
        assert!(SerialBlock::from_start(9, 0).is_empty());
    }

    #[test]
    fn ids_print_short() {
        assert_eq!(format!("{:?} {}", ItemSerial(42), EntityId(7)), "i42 e7");
    }
}

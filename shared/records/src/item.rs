//! Items: one type for an item wherever it is (a player's inventory in play or in the durable
//! store, the ground of a cell, a checkpoint, a transfer). Its serial ([`ItemSerial`], allocated
//! by the durable store, never reused) is unique across the cluster, so a test can count items.

use mmo_world::ItemSerial;
use serde::{Deserialize, Serialize};

/// One item: a stack of `count` of `kind` under one serial. The zone simulates no stacks: every
/// item it creates is one piece ([`Item::one`]); a stack loaded from the store keeps its count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Item {
    pub serial: ItemSerial,
    pub kind: u16,
    pub count: u16,
}

impl Item {
    /// One piece of `kind` under `serial`.
    pub fn one(serial: ItemSerial, kind: u16) -> Self {
        Item { serial, kind, count: 1 }
    }
}

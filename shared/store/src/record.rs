//! The player record and the item type: plain data defined in `mmo_records` (the zone core
//! builds records without depending on the store), re-exported here.

pub use mmo_records::{Item, ItemSerial, PlayerRecord};

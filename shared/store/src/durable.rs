//! The durable store of player records: the trait every implementation passes the conformance
//! suite for, and the pure rules they share.

use crate::error::{Result, StoreError};
use crate::record::{ItemSerial, PlayerRecord};
use mmo_world::SerialBlock;
use std::future::Future;

/// What became of one save.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaveOutcome {
    /// The record is now the stored one.
    Written,
    /// Refused: the store holds a version at least as new (`stored`); nothing was changed.
    Stale { stored: u64 },
}

/// An item given from one player to another in the durable store: the two records after a
/// [`DurableStore::give_item`], as stored (each one version newer). (Not a handoff: that is
/// `mmo_records::Transfer`.)
/// The caller adopts them as its in-memory state, so its next save carries a newer version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemGiven {
    pub from: PlayerRecord,
    pub to: PlayerRecord,
}

/// Where player records live across restarts.
///
/// Versions: a save is written only if its `version` is greater than the stored record's
/// (or no record is stored), checked and written in one transaction, so a stale save (a slow
/// writer, a retried batch, a zone that lost its cells) never overwrites a newer record.
pub trait DurableStore: Send + Sync {
    /// The stored record, `None` if there is none, [`StoreError::Corrupt`] if it cannot be decoded.
    fn load(&self, name: &str) -> impl Future<Output = Result<Option<PlayerRecord>>> + Send;

    /// Writes `record` unless the stored version is at least as new.
    fn save(&self, record: &PlayerRecord) -> impl Future<Output = Result<SaveOutcome>> + Send;

    /// [`save`](Self::save) for many records at once (one transaction or round trip where the
    /// store allows it); one outcome per record, in order. A name may appear once.
    fn save_batch(&self, records: &[PlayerRecord]) -> impl Future<Output = Result<Vec<SaveOutcome>>> + Send;

    /// Stores `record` (a new character, see [`PlayerRecord::new`]) if no record has its name;
    /// [`StoreError::AlreadyExists`] otherwise.
    fn create_account(&self, record: &PlayerRecord) -> impl Future<Output = Result<()>> + Send;

    /// `n` fresh item serials: never returned before by any handle on the same store, and
    /// above every earlier range.
    fn allocate_serials(&self, n: u64) -> impl Future<Output = Result<SerialBlock>> + Send;

    /// Moves item `serial` from `from`'s inventory to `to`'s, atomically: both records are
    /// written (each version + 1) or neither. Fails with [`StoreError::ItemNotHeld`] if `from`
    /// does not hold it, [`StoreError::NotFound`] if either player has no record.
    fn give_item(&self, from: &str, to: &str, serial: ItemSerial) -> impl Future<Output = Result<ItemGiven>> + Send;
}

/// The version check every store applies: may `new` replace a stored record of version `stored`?
pub fn newer(new: u64, stored: Option<u64>) -> SaveOutcome {
    match stored {
        Some(stored) if new <= stored => SaveOutcome::Stale { stored },
        _ => SaveOutcome::Written,
    }
}

/// The pure part of a give: given both current records, the two records to write.
pub fn apply_give(mut from: PlayerRecord, mut to: PlayerRecord, serial: ItemSerial) -> Result<ItemGiven> {
    if from.name == to.name {
        return Err(StoreError::SelfGive { name: from.name, serial });
    }
    let item = from.take_item(serial).ok_or_else(|| StoreError::ItemNotHeld { name: from.name.clone(), serial })?;
    to.inventory.push(item);
    from.version += 1;
    to.version += 1;
    Ok(ItemGiven { from, to })
}

/// `NotFound` for a missing record.
pub(crate) fn found<T>(name: &str, record: Option<T>) -> Result<T> {
    record.ok_or_else(|| StoreError::NotFound { name: name.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Item;
    use glam::IVec2;
    use mmo_world::CellId;

    #[test]
    fn only_newer_versions_are_written() {
        assert_eq!(newer(1, None), SaveOutcome::Written);
        assert_eq!(newer(5, Some(4)), SaveOutcome::Written);
        assert_eq!(newer(4, Some(4)), SaveOutcome::Stale { stored: 4 });
        assert_eq!(newer(3, Some(4)), SaveOutcome::Stale { stored: 4 });
    }

    #[test]
    fn a_transfer_moves_exactly_one_item_and_bumps_both() {
        let mut a = PlayerRecord::new("a", None, IVec2::ZERO, CellId::new(0, 0));
        let b = PlayerRecord::new("b", None, IVec2::ZERO, CellId::new(0, 0));
        a.inventory =
            vec![Item { serial: ItemSerial(1), kind: 1, count: 1 }, Item { serial: ItemSerial(2), kind: 1, count: 5 }];
        let t = apply_give(a.clone(), b.clone(), ItemSerial(2)).unwrap();
        assert!(!t.from.holds(ItemSerial(2)) && t.to.holds(ItemSerial(2)) && t.from.holds(ItemSerial(1)));
        assert_eq!((t.from.version, t.to.version), (1, 1));
        assert!(matches!(apply_give(a.clone(), b, ItemSerial(9)), Err(StoreError::ItemNotHeld { .. })));
        assert!(matches!(apply_give(a.clone(), a, ItemSerial(1)), Err(StoreError::SelfGive { .. })));
    }
}

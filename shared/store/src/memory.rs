//! [`MemoryStore`]: the durable-store contract kept in process memory, for tests and a local
//! world that needs no persistence. Records are kept encoded, as a real store keeps them.

use crate::durable::{apply_give, found, newer, DurableStore, ItemGiven, SaveOutcome};
use crate::error::{Result, StoreError};
use crate::record::{ItemSerial, PlayerRecord};
use mmo_world::SerialBlock;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// An in-memory [`DurableStore`]; clones share the same records.
#[derive(Clone, Debug, Default)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    /// name -> (version, encoded record)
    players: HashMap<String, (u64, Vec<u8>)>,
    next_serial: u64,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Stores raw bytes as `name`'s record (bad-data tests).
    pub fn put_raw(&self, name: &str, version: u64, bytes: Vec<u8>) {
        self.lock().players.insert(name.to_owned(), (version, bytes));
    }
}

impl State {
    fn load(&self, name: &str) -> Result<Option<PlayerRecord>> {
        Ok(self.players.get(name).map(|(_, bytes)| PlayerRecord::decode(name, bytes)).transpose()?)
    }

    fn save(&mut self, record: &PlayerRecord) -> Result<SaveOutcome> {
        let outcome = newer(record.version, self.players.get(&record.name).map(|(v, _)| *v));
        if outcome == SaveOutcome::Written {
            self.players.insert(record.name.clone(), (record.version, record.encode()?));
        }
        Ok(outcome)
    }
}

impl DurableStore for MemoryStore {
    async fn load(&self, name: &str) -> Result<Option<PlayerRecord>> {
        self.lock().load(name)
    }

    async fn save(&self, record: &PlayerRecord) -> Result<SaveOutcome> {
        self.lock().save(record)
    }

    async fn save_batch(&self, records: &[PlayerRecord]) -> Result<Vec<SaveOutcome>> {
        let mut state = self.lock();
        records.iter().map(|record| state.save(record)).collect()
    }

    async fn create_account(&self, record: &PlayerRecord) -> Result<()> {
        let mut state = self.lock();
        if state.players.contains_key(&record.name) {
            return Err(StoreError::AlreadyExists { name: record.name.clone() });
        }
        state.players.insert(record.name.clone(), (record.version, record.encode()?));
        Ok(())
    }

    async fn allocate_serials(&self, n: u64) -> Result<SerialBlock> {
        let mut state = self.lock();
        let start = state.next_serial.max(1);
        state.next_serial = start + n;
        Ok(SerialBlock::from_start(start, n))
    }

    async fn give_item(&self, from: &str, to: &str, serial: ItemSerial) -> Result<ItemGiven> {
        let mut state = self.lock();
        let transfer = apply_give(found(from, state.load(from)?)?, found(to, state.load(to)?)?, serial)?;
        let (from_bytes, to_bytes) = (transfer.from.encode()?, transfer.to.encode()?);
        state.players.insert(from.to_owned(), (transfer.from.version, from_bytes));
        state.players.insert(to.to_owned(), (transfer.to.version, to_bytes));
        Ok(transfer)
    }
}

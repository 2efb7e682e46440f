//! [`RedbHot`]: the embedded hot state. Cell checkpoints and documents (parties) go to the
//! redb file of a [`RedbStore`] (so a restarted local world brings NPCs, ground items and
//! parties back); online sessions stay in memory, as they mean nothing after a restart.

use crate::error::{Result, StoreError};
use crate::hot::{Checkpoint, Doc, DocWrite, HotState, MemoryHot, OnlineSession};
use crate::redb_store::RedbStore;
use mmo_world::{CellId, GatewayId, GatewayRun, Tick};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use std::sync::Arc;
use std::time::Duration;

/// (x, y, depth) -> (tick, bytes)
const CHECKPOINTS: TableDefinition<(u16, u16, u8), (u64, &[u8])> = TableDefinition::new("checkpoints");
/// key -> (version, bytes)
const DOCS: TableDefinition<&str, (u64, &[u8])> = TableDefinition::new("docs");

/// [`HotState`] with checkpoints in redb and sessions in memory; clones share state.
#[derive(Clone, Debug)]
pub struct RedbHot {
    store: RedbStore,
    sessions: MemoryHot,
}

fn db_error(error: impl Into<redb::Error>) -> StoreError {
    StoreError::unavailable(error.into())
}

impl RedbHot {
    /// Hot state in the same file as `store`.
    pub fn new(store: RedbStore) -> RedbHot {
        RedbHot { store, sessions: MemoryHot::new() }
    }

    async fn blocking<T: Send + 'static>(&self, f: impl FnOnce(&Database) -> Result<T> + Send + 'static) -> Result<T> {
        let db: Arc<Database> = self.store.database();
        tokio::task::spawn_blocking(move || f(&db)).await.map_err(StoreError::unavailable)?
    }
}

fn key(cell: CellId) -> (u16, u16, u8) {
    (cell.x, cell.y, cell.depth)
}

impl HotState for RedbHot {
    async fn put_checkpoint(&self, cell: CellId, tick: Tick, bytes: Vec<u8>) -> Result<()> {
        self.blocking(move |db| {
            let mut txn = db.begin_write().map_err(db_error)?;
            // No fsync of its own: the next durable commit (a player save, which the zone makes
            // after the checkpoint of the same tick) persists it too.
            txn.set_durability(redb::Durability::None).map_err(StoreError::unavailable)?;
            {
                let mut table = txn.open_table(CHECKPOINTS).map_err(db_error)?;
                let kept = table.get(key(cell)).map_err(db_error)?.map(|guard| guard.value().0);
                if kept.is_some_and(|kept| kept >= tick.0) {
                    return Ok(());
                }
                table.insert(key(cell), (tick.0, bytes.as_slice())).map_err(db_error)?;
            }
            txn.commit().map_err(db_error)
        })
        .await
    }

    async fn latest_checkpoint(&self, cell: CellId) -> Result<Option<Checkpoint>> {
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(db_error)?;
            let table = match txn.open_table(CHECKPOINTS) {
                Ok(table) => table,
                Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
                Err(error) => return Err(db_error(error)),
            };
            let found = table.get(key(cell)).map_err(db_error)?;
            Ok(found.map(|guard| {
                let (tick, bytes) = guard.value();
                Checkpoint { cell, tick: Tick(tick), bytes: bytes.to_vec() }
            }))
        })
        .await
    }

    async fn claim_online(
        &self,
        name: &str,
        claimant: GatewayRun,
        ttl: Duration,
        replacing: Option<GatewayId>,
    ) -> Result<Option<GatewayId>> {
        self.sessions.claim_online(name, claimant, ttl, replacing).await
    }

    async fn set_online(&self, name: &str, holder: GatewayRun, ttl: Duration) -> Result<()> {
        self.sessions.set_online(name, holder, ttl).await
    }

    async fn set_offline(&self, name: &str) -> Result<()> {
        self.sessions.set_offline(name).await
    }

    async fn release_online(&self, name: &str, holder: GatewayRun) -> Result<bool> {
        self.sessions.release_online(name, holder).await
    }

    async fn online(&self) -> Result<Vec<OnlineSession>> {
        self.sessions.online().await
    }

    async fn online_holder(&self, name: &str) -> Result<Option<GatewayRun>> {
        self.sessions.online_holder(name).await
    }

    async fn docs(&self, keys: &[String]) -> Result<Vec<Option<Doc>>> {
        let keys = keys.to_vec();
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(db_error)?;
            let table = match txn.open_table(DOCS) {
                Ok(table) => table,
                Err(redb::TableError::TableDoesNotExist(_)) => return Ok(vec![None; keys.len()]),
                Err(error) => return Err(db_error(error)),
            };
            keys.iter()
                .map(|k| {
                    let found = table.get(k.as_str()).map_err(db_error)?;
                    Ok(found.map(|guard| {
                        let (version, bytes) = guard.value();
                        Doc { version, bytes: bytes.to_vec() }
                    }))
                })
                .collect()
        })
        .await
    }

    async fn swap_docs(&self, writes: &[DocWrite]) -> Result<bool> {
        let writes = writes.to_vec();
        self.blocking(move |db| {
            let txn = db.begin_write().map_err(db_error)?;
            {
                let mut table = txn.open_table(DOCS).map_err(db_error)?;
                for w in &writes {
                    let version = table.get(w.key.as_str()).map_err(db_error)?.map(|guard| guard.value().0);
                    if version != w.expected {
                        return Ok(false);
                    }
                }
                for w in &writes {
                    match &w.bytes {
                        Some(bytes) => {
                            let version = w.expected.unwrap_or(0) + 1;
                            table.insert(w.key.as_str(), (version, bytes.as_slice())).map_err(db_error)?;
                        }
                        None => {
                            table.remove(w.key.as_str()).map_err(db_error)?;
                        }
                    }
                }
            }
            txn.commit().map_err(db_error)?;
            Ok(true)
        })
        .await
    }
}

//! [`RedbStore`]: the embedded durable store (one redb file in a folder), the local world's
//! default. Every operation is one redb transaction: the version compare and the write happen
//! inside the same write transaction, and a commit is durable (fsync) before the call returns.

use crate::durable::{apply_give, found, newer, DurableStore, ItemGiven, SaveOutcome};
use crate::error::{Result, StoreError};
use crate::record::{ItemSerial, PlayerRecord};
use mmo_world::SerialBlock;
use redb::{Database, ReadableDatabase, ReadableTable, Table, TableDefinition};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// name -> (version, encoded record). The version sits outside the record so a corrupt record
/// can still be compared against (and replaced by a newer save).
const PLAYERS: TableDefinition<&str, (u64, &[u8])> = TableDefinition::new("players");
/// Counters: `next_serial`.
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const NEXT_SERIAL: &str = "next_serial";
/// The file a store keeps in its folder.
pub const FILE_NAME: &str = "players.redb";

/// A [`DurableStore`] in a redb file; clones share one database handle. Calls run on tokio's
/// blocking pool (redb is synchronous and commits fsync).
#[derive(Clone)]
pub struct RedbStore {
    db: Arc<Database>,
    path: PathBuf,
}

impl std::fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbStore").field("path", &self.path).finish()
    }
}

fn db_error(error: impl Into<redb::Error>) -> StoreError {
    StoreError::unavailable(error.into())
}

impl RedbStore {
    /// Opens (creating if needed) the store kept in folder `dir` (file `players.redb`).
    pub fn open(dir: impl AsRef<Path>) -> Result<RedbStore> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Unavailable(format!("creating {}: {e}", dir.display())))?;
        Self::open_file(dir.join(FILE_NAME))
    }

    /// Opens (creating if needed) the store in file `path`.
    pub fn open_file(path: impl Into<PathBuf>) -> Result<RedbStore> {
        let path = path.into();
        let db = Database::create(&path).map_err(db_error)?;
        let txn = db.begin_write().map_err(db_error)?;
        txn.open_table(PLAYERS).map_err(db_error)?;
        txn.open_table(META).map_err(db_error)?;
        txn.commit().map_err(db_error)?;
        tracing::debug!(path = %path.display(), "opened redb store");
        Ok(RedbStore { db: Arc::new(db), path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The shared database handle (for [`crate::RedbHot`], which keeps checkpoints in it).
    pub(crate) fn database(&self) -> Arc<Database> {
        self.db.clone()
    }

    /// Runs `f` on the blocking pool with the database.
    async fn blocking<T: Send + 'static>(&self, f: impl FnOnce(&Database) -> Result<T> + Send + 'static) -> Result<T> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || f(&db)).await.map_err(StoreError::unavailable)?
    }

    /// Stores raw bytes as `name`'s record (bad-data tests).
    pub async fn put_raw(&self, name: &str, version: u64, bytes: Vec<u8>) -> Result<()> {
        let name = name.to_owned();
        self.blocking(move |db| {
            write(db, |players, _| Ok(players.insert(name.as_str(), (version, bytes.as_slice())).map(drop)?))
        })
        .await
    }
}

/// One write transaction: `f` gets the two tables; commits if `f` succeeds.
fn write<T>(
    db: &Database,
    f: impl FnOnce(&mut Table<&str, (u64, &[u8])>, &mut Table<&str, u64>) -> Result<T>,
) -> Result<T> {
    let txn = db.begin_write().map_err(db_error)?;
    let value = {
        let mut players = txn.open_table(PLAYERS).map_err(db_error)?;
        let mut meta = txn.open_table(META).map_err(db_error)?;
        f(&mut players, &mut meta)?
    };
    txn.commit().map_err(db_error)?;
    Ok(value)
}

impl From<redb::StorageError> for StoreError {
    fn from(error: redb::StorageError) -> Self {
        db_error(error)
    }
}

fn get(players: &impl ReadableTable<&'static str, (u64, &'static [u8])>, name: &str) -> Result<Option<PlayerRecord>> {
    match players.get(name)? {
        None => Ok(None),
        Some(guard) => Ok(Some(PlayerRecord::decode(name, guard.value().1)?)),
    }
}

fn save_in(players: &mut Table<&str, (u64, &[u8])>, record: &PlayerRecord) -> Result<SaveOutcome> {
    let stored = players.get(record.name.as_str())?.map(|guard| guard.value().0);
    let outcome = newer(record.version, stored);
    if outcome == SaveOutcome::Written {
        players.insert(record.name.as_str(), (record.version, record.encode()?.as_slice()))?;
    }
    Ok(outcome)
}

impl DurableStore for RedbStore {
    async fn load(&self, name: &str) -> Result<Option<PlayerRecord>> {
        let name = name.to_owned();
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(db_error)?;
            get(&txn.open_table(PLAYERS).map_err(db_error)?, &name)
        })
        .await
    }

    async fn save(&self, record: &PlayerRecord) -> Result<SaveOutcome> {
        let record = record.clone();
        self.blocking(move |db| write(db, |players, _| save_in(players, &record))).await
    }

    async fn save_batch(&self, records: &[PlayerRecord]) -> Result<Vec<SaveOutcome>> {
        let records = records.to_vec();
        self.blocking(move |db| write(db, |players, _| records.iter().map(|r| save_in(players, r)).collect())).await
    }

    async fn create_account(&self, record: &PlayerRecord) -> Result<()> {
        let record = record.clone();
        self.blocking(move |db| {
            write(db, |players, _| {
                if players.get(record.name.as_str())?.is_some() {
                    return Err(StoreError::AlreadyExists { name: record.name.clone() });
                }
                players.insert(record.name.as_str(), (record.version, record.encode()?.as_slice()))?;
                Ok(())
            })
        })
        .await
    }

    async fn allocate_serials(&self, n: u64) -> Result<SerialBlock> {
        self.blocking(move |db| {
            write(db, |_, meta| {
                let start = meta.get(NEXT_SERIAL)?.map(|guard| guard.value()).unwrap_or(1);
                meta.insert(NEXT_SERIAL, start + n)?;
                Ok(SerialBlock::from_start(start, n))
            })
        })
        .await
    }

    async fn give_item(&self, from: &str, to: &str, serial: ItemSerial) -> Result<ItemGiven> {
        let (from, to) = (from.to_owned(), to.to_owned());
        self.blocking(move |db| {
            write(db, |players, _| {
                let transfer =
                    apply_give(found(&from, get(players, &from)?)?, found(&to, get(players, &to)?)?, serial)?;
                for record in [&transfer.from, &transfer.to] {
                    players.insert(record.name.as_str(), (record.version, record.encode()?.as_slice()))?;
                }
                Ok(transfer)
            })
        })
        .await
    }
}

//! [`AnyStore`]: the durable store a process was configured with, chosen at start-up from a
//! flag value (`--durable redb:PATH`, `redis://HOST:PORT`, `scylla://HOST:PORT/KEYSPACE`,
//! `memory`), so services hold one concrete type whichever store backs them.

use crate::durable::{DurableStore, ItemGiven, SaveOutcome};
use crate::error::Result;
use crate::memory::MemoryStore;
use crate::record::{ItemSerial, PlayerRecord};
use crate::redb_store::RedbStore;
use crate::redis_store::RedisStore;
use mmo_world::SerialBlock;
use std::path::PathBuf;

/// Where a durable store lives, parsed from a flag value ([`StoreSpec::parse`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreSpec {
    /// In memory, lost on exit (tests).
    Memory,
    /// A redb file in this folder (created if needed).
    Redb(PathBuf),
    /// A Redis URL (`redis://host:port/db`); keys start with `mmo:`.
    Redis(String),
    /// Scylla contact point and keyspace (`scylla://host:port/keyspace`); needs the `scylla`
    /// feature.
    Scylla { uri: String, keyspace: String },
}

/// A flag value that names no store.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("{value:?} is not a store: expected memory, redb:PATH, redis://HOST:PORT or scylla://HOST:PORT/KEYSPACE")]
pub struct BadStoreSpec {
    pub value: String,
}

impl StoreSpec {
    /// Parses `memory`, `redb:PATH`, `redis://…` (or `rediss://…`), `scylla://HOST:PORT/KEYSPACE`.
    pub fn parse(value: &str) -> Result<StoreSpec, BadStoreSpec> {
        let bad = || BadStoreSpec { value: value.to_owned() };
        if value == "memory" {
            return Ok(StoreSpec::Memory);
        }
        if let Some(path) = value.strip_prefix("redb:") {
            return if path.is_empty() { Err(bad()) } else { Ok(StoreSpec::Redb(path.into())) };
        }
        if value.starts_with("redis://") || value.starts_with("rediss://") {
            return Ok(StoreSpec::Redis(value.to_owned()));
        }
        if let Some(rest) = value.strip_prefix("scylla://") {
            let (uri, keyspace) = rest.split_once('/').ok_or_else(bad)?;
            let keyspace_ok = !keyspace.is_empty() && keyspace.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if uri.is_empty() || !keyspace_ok {
                return Err(bad());
            }
            return Ok(StoreSpec::Scylla { uri: uri.to_owned(), keyspace: keyspace.to_owned() });
        }
        Err(bad())
    }
}

impl std::str::FromStr for StoreSpec {
    type Err = BadStoreSpec;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        StoreSpec::parse(s)
    }
}

/// One of the durable stores, chosen at run time.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum AnyStore {
    Memory(MemoryStore),
    Redb(RedbStore),
    Redis(RedisStore),
    #[cfg(feature = "scylla")]
    Scylla(crate::ScyllaStore),
}

impl AnyStore {
    /// Opens (or connects to) the store `spec` names. Scylla without the `scylla` feature is
    /// [`StoreError::Unavailable`](crate::StoreError::Unavailable).
    pub async fn open(spec: &StoreSpec) -> Result<AnyStore> {
        Ok(match spec {
            StoreSpec::Memory => AnyStore::Memory(MemoryStore::new()),
            StoreSpec::Redb(dir) => {
                let dir = dir.clone();
                AnyStore::Redb(
                    tokio::task::spawn_blocking(move || RedbStore::open(dir))
                        .await
                        .map_err(crate::StoreError::unavailable)??,
                )
            }
            StoreSpec::Redis(url) => AnyStore::Redis(RedisStore::connect(url, "mmo:").await?),
            #[cfg(feature = "scylla")]
            StoreSpec::Scylla { uri, keyspace } => {
                AnyStore::Scylla(crate::ScyllaStore::connect(uri, keyspace, 1).await?)
            }
            #[cfg(not(feature = "scylla"))]
            StoreSpec::Scylla { .. } => {
                return Err(crate::StoreError::Unavailable(
                    "this build has no Scylla support (feature `scylla`)".into(),
                ))
            }
        })
    }
}

macro_rules! each {
    ($self:ident, $store:ident => $body:expr) => {
        match $self {
            AnyStore::Memory($store) => $body,
            AnyStore::Redb($store) => $body,
            AnyStore::Redis($store) => $body,
            #[cfg(feature = "scylla")]
            AnyStore::Scylla($store) => $body,
        }
    };
}

impl DurableStore for AnyStore {
    async fn load(&self, name: &str) -> Result<Option<PlayerRecord>> {
        each!(self, store => store.load(name).await)
    }

    async fn save(&self, record: &PlayerRecord) -> Result<SaveOutcome> {
        each!(self, store => store.save(record).await)
    }

    async fn save_batch(&self, records: &[PlayerRecord]) -> Result<Vec<SaveOutcome>> {
        each!(self, store => store.save_batch(records).await)
    }

    async fn create_account(&self, record: &PlayerRecord) -> Result<()> {
        each!(self, store => store.create_account(record).await)
    }

    async fn allocate_serials(&self, n: u64) -> Result<SerialBlock> {
        each!(self, store => store.allocate_serials(n).await)
    }

    async fn give_item(&self, from: &str, to: &str, serial: ItemSerial) -> Result<ItemGiven> {
        each!(self, store => store.give_item(from, to, serial).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_bad_ones_are_named() {
        assert_eq!(StoreSpec::parse("memory"), Ok(StoreSpec::Memory));
        assert_eq!(StoreSpec::parse("redb:/tmp/x"), Ok(StoreSpec::Redb("/tmp/x".into())));
        assert_eq!(StoreSpec::parse("redis://127.0.0.1:6379"), Ok(StoreSpec::Redis("redis://127.0.0.1:6379".into())));
        assert_eq!(
            StoreSpec::parse("scylla://10.0.0.1:9042/mmo"),
            Ok(StoreSpec::Scylla { uri: "10.0.0.1:9042".into(), keyspace: "mmo".into() })
        );
        for bad in ["", "redb:", "postgres://x", "scylla://h:1", "scylla://h:1/bad-ks", "REDIS://x"] {
            let error = StoreSpec::parse(bad).unwrap_err();
            assert!(error.to_string().contains(&format!("{bad:?}")), "{error}");
        }
    }

    #[tokio::test]
    async fn an_opened_store_keeps_records() {
        let dir = std::env::temp_dir().join(format!("mmo-any-{}", std::process::id()));
        let store = AnyStore::open(&StoreSpec::Redb(dir.clone())).await.unwrap();
        let record = PlayerRecord::new("ann", None, glam::IVec2::ZERO, mmo_world::CellId::new(0, 0));
        store.create_account(&record).await.unwrap();
        assert_eq!(store.load("ann").await.unwrap(), Some(record));
        drop(store);
        std::fs::remove_dir_all(dir).ok();
    }
}

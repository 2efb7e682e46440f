//! [`AnyHot`]: the hot state a process was configured with (`--hot`), so services hold one
//! concrete type whichever backs it. By default hot state lives beside the durable store: in
//! the same Redis, in the same redb file, or in memory; a Scylla deployment names its Redis.

use crate::any::{AnyStore, BadStoreSpec};
use crate::error::{Result, StoreError};
use crate::hot::{Checkpoint, Doc, DocWrite, HotState, MemoryHot, OnlineSession};
use crate::redb_hot::RedbHot;
use crate::redis_hot::RedisHot;
use mmo_world::{CellId, GatewayId, GatewayRun, Tick};
use std::time::Duration;

/// Where hot state lives, parsed from a flag value ([`HotSpec::parse`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum HotSpec {
    /// Beside the durable store (its Redis, its redb file, or memory).
    #[default]
    Durable,
    /// In memory, lost on exit (one process only).
    Memory,
    /// A Redis URL; keys start with `mmo:`.
    Redis(String),
}

impl HotSpec {
    /// Parses `durable`, `memory` or `redis://…` (`rediss://…`).
    pub fn parse(value: &str) -> std::result::Result<HotSpec, BadStoreSpec> {
        match value {
            "durable" => Ok(HotSpec::Durable),
            "memory" => Ok(HotSpec::Memory),
            _ if value.starts_with("redis://") || value.starts_with("rediss://") => {
                Ok(HotSpec::Redis(value.to_owned()))
            }
            _ => Err(BadStoreSpec { value: value.to_owned() }),
        }
    }
}

impl std::str::FromStr for HotSpec {
    type Err = BadStoreSpec;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        HotSpec::parse(s)
    }
}

/// One of the hot states, chosen at run time.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum AnyHot {
    Memory(MemoryHot),
    Redb(RedbHot),
    Redis(RedisHot),
}

impl AnyHot {
    /// Opens the hot state `spec` names; `durable` is the process's durable store (for
    /// [`HotSpec::Durable`]; a Scylla store has no hot state beside it, so that is an error).
    pub async fn open(spec: &HotSpec, durable: &AnyStore) -> Result<AnyHot> {
        Ok(match (spec, durable) {
            (HotSpec::Memory, _) | (HotSpec::Durable, AnyStore::Memory(_)) => AnyHot::Memory(MemoryHot::new()),
            (HotSpec::Redis(url), _) => AnyHot::Redis(RedisHot::connect(url, "mmo:").await?),
            (HotSpec::Durable, AnyStore::Redb(store)) => AnyHot::Redb(RedbHot::new(store.clone())),
            (HotSpec::Durable, AnyStore::Redis(store)) => {
                let (url, prefix) = store.location();
                AnyHot::Redis(RedisHot::connect(url, prefix).await?)
            }
            #[allow(unreachable_patterns)]
            (HotSpec::Durable, _) => {
                return Err(StoreError::Unavailable(
                    "this durable store keeps no hot state: name one with --hot".into(),
                ))
            }
        })
    }
}

macro_rules! each {
    ($self:ident, $hot:ident => $body:expr) => {
        match $self {
            AnyHot::Memory($hot) => $body,
            AnyHot::Redb($hot) => $body,
            AnyHot::Redis($hot) => $body,
        }
    };
}

impl HotState for AnyHot {
    async fn put_checkpoint(&self, cell: CellId, tick: Tick, bytes: Vec<u8>) -> Result<()> {
        each!(self, hot => hot.put_checkpoint(cell, tick, bytes).await)
    }

    async fn latest_checkpoint(&self, cell: CellId) -> Result<Option<Checkpoint>> {
        each!(self, hot => hot.latest_checkpoint(cell).await)
    }

    async fn claim_online(
        &self,
        name: &str,
        claimant: GatewayRun,
        ttl: Duration,
        replacing: Option<GatewayId>,
    ) -> Result<Option<GatewayId>> {
        each!(self, hot => hot.claim_online(name, claimant, ttl, replacing).await)
    }

    async fn set_online(&self, name: &str, holder: GatewayRun, ttl: Duration) -> Result<()> {
        each!(self, hot => hot.set_online(name, holder, ttl).await)
    }

    async fn set_offline(&self, name: &str) -> Result<()> {
        each!(self, hot => hot.set_offline(name).await)
    }

    async fn release_online(&self, name: &str, holder: GatewayRun) -> Result<bool> {
        each!(self, hot => hot.release_online(name, holder).await)
    }

    async fn online(&self) -> Result<Vec<OnlineSession>> {
        each!(self, hot => hot.online().await)
    }

    async fn online_holder(&self, name: &str) -> Result<Option<GatewayRun>> {
        each!(self, hot => hot.online_holder(name).await)
    }

    async fn docs(&self, keys: &[String]) -> Result<Vec<Option<Doc>>> {
        each!(self, hot => hot.docs(keys).await)
    }

    async fn swap_docs(&self, writes: &[DocWrite]) -> Result<bool> {
        each!(self, hot => hot.swap_docs(writes).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_bad_ones_are_named() {
        assert_eq!(HotSpec::parse("durable"), Ok(HotSpec::Durable));
        assert_eq!(HotSpec::parse("memory"), Ok(HotSpec::Memory));
        assert_eq!(HotSpec::parse("redis://127.0.0.1:1"), Ok(HotSpec::Redis("redis://127.0.0.1:1".into())));
        for bad in ["", "redb:/x", "Redis://x"] {
            assert!(HotSpec::parse(bad).unwrap_err().to_string().contains(&format!("{bad:?}")));
        }
    }

    #[tokio::test]
    async fn by_default_hot_state_lives_beside_the_durable_store() {
        let store = AnyStore::open(&crate::StoreSpec::Memory).await.unwrap();
        let hot = AnyHot::open(&HotSpec::Durable, &store).await.unwrap();
        assert!(matches!(hot, AnyHot::Memory(_)));
        hot.put_checkpoint(CellId::new(1, 2), Tick(5), vec![1]).await.unwrap();
        assert_eq!(hot.latest_checkpoint(CellId::new(1, 2)).await.unwrap().map(|c| c.tick), Some(Tick(5)));
    }
}

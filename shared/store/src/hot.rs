//! Hot state for failover: the latest checkpoint of each cell (written every N ticks by the
//! cell's owner, read by the zone that takes the cell over after its owner died), the set
//! of online players (each entry under a time to live its gateway refreshes), and small
//! versioned documents changed by compare-and-swap (parties: `mmo_gateway::party`).

use crate::error::Result;
use mmo_world::{CellId, GatewayId, GatewayRun, Tick};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::time::Instant;

/// A cell's state as of `tick`, opaque bytes in the zone's checkpoint format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub cell: CellId,
    pub tick: Tick,
    pub bytes: Vec<u8>,
}

/// A player who is online, and the gateway holding their session.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct OnlineSession {
    pub name: String,
    pub gateway: GatewayId,
}

/// A small document in hot state with its version, which every write raises by one (a new
/// document starts at 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Doc {
    pub version: u64,
    pub bytes: Vec<u8>,
}

/// One change of a [`HotState::swap_docs`]: `key` becomes `bytes` (`None` removes it) if it is
/// still at version `expected` (`None`: there is none). A removed document created again starts
/// at version 1: keys that may be removed must not be reused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocWrite {
    pub key: String,
    pub expected: Option<u64>,
    pub bytes: Option<Vec<u8>>,
}

/// Where checkpoints and online sessions live: Redis in production ([`crate::RedisHot`]),
/// memory in the local world ([`MemoryHot`]).
pub trait HotState: Send + Sync {
    /// Keeps `bytes` as `cell`'s checkpoint unless one of a later tick is already kept (a
    /// late write from a zone that lost the cell never replaces a newer checkpoint).
    fn put_checkpoint(&self, cell: CellId, tick: Tick, bytes: Vec<u8>) -> impl Future<Output = Result<()>> + Send;

    /// The newest checkpoint of `cell`.
    fn latest_checkpoint(&self, cell: CellId) -> impl Future<Output = Result<Option<Checkpoint>>> + Send;

    /// Marks `name` online at `claimant` (a gateway's run) for `ttl` unless another gateway has
    /// it online: `None` if it is now `claimant`'s (also when its gateway had it already, in
    /// this run or an earlier one), else the gateway holding it. A claim held by `replacing` (a
    /// gateway the caller knows is gone: its lease expired) is taken over. Atomic: of two
    /// gateways claiming one name at once, one gets it.
    fn claim_online(
        &self,
        name: &str,
        claimant: GatewayRun,
        ttl: Duration,
        replacing: Option<GatewayId>,
    ) -> impl Future<Output = Result<Option<GatewayId>>> + Send;

    /// Marks `name` online at `holder` for `ttl` (call again to refresh).
    fn set_online(&self, name: &str, holder: GatewayRun, ttl: Duration) -> impl Future<Output = Result<()>> + Send;

    /// Marks `name` offline (logout).
    fn set_offline(&self, name: &str) -> impl Future<Output = Result<()>> + Send;

    /// Marks `name` offline if `holder` (that very run of its gateway) still has it online (a
    /// zone releasing the claims of a gone gateway run's players once it saved them: a later
    /// run's claim of the name stays); true if it did. Atomic.
    fn release_online(&self, name: &str, holder: GatewayRun) -> impl Future<Output = Result<bool>> + Send;

    /// Everyone online now, sorted by name.
    fn online(&self) -> impl Future<Output = Result<Vec<OnlineSession>>> + Send;

    /// The gateway run that has `name` online now, if any (one key read, unlike
    /// [`Self::online`]).
    fn online_holder(&self, name: &str) -> impl Future<Output = Result<Option<GatewayRun>>> + Send;

    /// The documents at `keys`, in order (`None` where there is none).
    fn docs(&self, keys: &[String]) -> impl Future<Output = Result<Vec<Option<Doc>>>> + Send;

    /// Makes every write of `writes` if each key is still at its expected version, else none
    /// (someone changed one since it was read); true if it did. Atomic across the keys.
    fn swap_docs(&self, writes: &[DocWrite]) -> impl Future<Output = Result<bool>> + Send;
}

/// [`HotState::swap_docs`] on a map of documents (the in-memory and embedded hot states).
pub(crate) fn swap_in(docs: &mut HashMap<String, Doc>, writes: &[DocWrite]) -> bool {
    if writes.iter().any(|w| docs.get(&w.key).map(|d| d.version) != w.expected) {
        return false;
    }
    for w in writes {
        match &w.bytes {
            Some(bytes) => {
                let version = w.expected.unwrap_or(0) + 1;
                docs.insert(w.key.clone(), Doc { version, bytes: bytes.clone() });
            }
            None => {
                docs.remove(&w.key);
            }
        }
    }
    true
}

/// In-memory [`HotState`]; clones share state. Time to live uses tokio's clock, so tests
/// with a paused clock can expire sessions.
#[derive(Clone, Debug, Default)]
pub struct MemoryHot {
    state: Arc<Mutex<MemoryHotState>>,
}

#[derive(Debug, Default)]
struct MemoryHotState {
    checkpoints: HashMap<CellId, Checkpoint>,
    online: HashMap<String, (GatewayRun, Instant)>,
    docs: HashMap<String, Doc>,
}

impl MemoryHot {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, MemoryHotState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl HotState for MemoryHot {
    async fn put_checkpoint(&self, cell: CellId, tick: Tick, bytes: Vec<u8>) -> Result<()> {
        let mut state = self.lock();
        if state.checkpoints.get(&cell).is_none_or(|kept| kept.tick < tick) {
            state.checkpoints.insert(cell, Checkpoint { cell, tick, bytes });
        }
        Ok(())
    }

    async fn latest_checkpoint(&self, cell: CellId) -> Result<Option<Checkpoint>> {
        Ok(self.lock().checkpoints.get(&cell).cloned())
    }

    async fn claim_online(
        &self,
        name: &str,
        claimant: GatewayRun,
        ttl: Duration,
        replacing: Option<GatewayId>,
    ) -> Result<Option<GatewayId>> {
        let now = Instant::now();
        let mut state = self.lock();
        match state.online.get(name) {
            Some((holder, expires))
                if holder.gateway != claimant.gateway && Some(holder.gateway) != replacing && *expires > now =>
            {
                Ok(Some(holder.gateway))
            }
            _ => {
                state.online.insert(name.to_owned(), (claimant, now + ttl));
                Ok(None)
            }
        }
    }

    async fn set_online(&self, name: &str, holder: GatewayRun, ttl: Duration) -> Result<()> {
        self.lock().online.insert(name.to_owned(), (holder, Instant::now() + ttl));
        Ok(())
    }

    async fn set_offline(&self, name: &str) -> Result<()> {
        self.lock().online.remove(name);
        Ok(())
    }

    async fn release_online(&self, name: &str, holder: GatewayRun) -> Result<bool> {
        let mut state = self.lock();
        let held = state.online.get(name).is_some_and(|(run, expires)| *run == holder && *expires > Instant::now());
        if held {
            state.online.remove(name);
        }
        Ok(held)
    }

    async fn online(&self) -> Result<Vec<OnlineSession>> {
        let now = Instant::now();
        let mut state = self.lock();
        state.online.retain(|_, (_, expires)| *expires > now);
        let mut online: Vec<_> = state
            .online
            .iter()
            .map(|(name, (holder, _))| OnlineSession { name: name.clone(), gateway: holder.gateway })
            .collect();
        online.sort();
        Ok(online)
    }

    async fn online_holder(&self, name: &str) -> Result<Option<GatewayRun>> {
        let now = Instant::now();
        Ok(self.lock().online.get(name).filter(|(_, expires)| *expires > now).map(|(holder, _)| *holder))
    }

    async fn docs(&self, keys: &[String]) -> Result<Vec<Option<Doc>>> {
        let state = self.lock();
        Ok(keys.iter().map(|k| state.docs.get(k).cloned()).collect())
    }

    async fn swap_docs(&self, writes: &[DocWrite]) -> Result<bool> {
        Ok(swap_in(&mut self.lock().docs, writes))
    }
}

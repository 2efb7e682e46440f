//! Following the assignment table: an initial read of `cells/`, then an etcd watch from the
//! next revision. Writes made through this handle are applied at once as well (read your own
//! writes); a per-cell epoch check keeps an older change from overwriting a newer one, whichever
//! path delivers it first.

use super::{CellRecord, EtcdRegistry, Inner};
use crate::registry::{Assignment, AssignmentTable, RegistryError};
use etcd_client::{EventType, GetOptions, KeyValue, WatchOptions};
use mmo_world::{CellId, Epoch};
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tracing::{debug, warn};

/// One change to the table, at a revision.
pub(super) enum Change {
    Put(CellId, Assignment),
    Delete(CellId, i64),
}

impl Inner {
    /// Applies changes that are newer than what the table holds. `follower_revision` is set when
    /// the changes come from the watch (all changes up to it have been seen); a local write
    /// passes `None` and is skipped if the watch has already gone past it.
    pub(super) fn apply(&self, changes: Vec<Change>, follower_revision: Option<i64>) {
        let mut seen = self.seen.lock().expect("table lock");
        let seen_before = *seen;
        self.table.send_if_modified(|table| {
            let mut modified = false;
            for change in changes {
                match change {
                    Change::Put(cell, assignment) => {
                        let revision = super::revision(assignment.epoch);
                        let newer = table.get(&cell).is_none_or(|old| old.epoch < assignment.epoch);
                        if newer && (follower_revision.is_some() || revision > seen_before) {
                            Arc::make_mut(table).insert(cell, assignment);
                            modified = true;
                        }
                    }
                    Change::Delete(cell, revision) => {
                        let epoch = Epoch(u64::try_from(revision).unwrap_or(0));
                        if table.get(&cell).is_some_and(|old| old.epoch < epoch) {
                            Arc::make_mut(table).remove(&cell);
                            modified = true;
                        }
                    }
                }
            }
            modified
        });
        if let Some(revision) = follower_revision {
            *seen = (*seen).max(revision);
        }
    }

    /// Replaces the table by `table`, read at `revision`, if the follower has not seen that
    /// revision yet (every change it applied is then older and in `table`).
    pub(super) fn catch_up(&self, table: BTreeMap<CellId, Assignment>, revision: i64) {
        let mut seen = self.seen.lock().expect("table lock");
        if *seen < revision {
            self.install(&mut seen, table, revision);
        }
    }

    /// Replaces the whole table (after a reload); returns the revision it reflects.
    pub(super) fn replace(&self, table: BTreeMap<CellId, Assignment>, revision: i64) {
        let mut seen = self.seen.lock().expect("table lock");
        self.install(&mut seen, table, revision);
    }

    /// Makes `table`, read at `revision`, the table (`seen`: the locked follower revision).
    fn install(&self, seen: &mut i64, table: BTreeMap<CellId, Assignment>, revision: i64) {
        let table = Arc::new(table);
        self.table.send_if_modified(|current| {
            let changed = *current != table;
            *current = table;
            changed
        });
        *seen = revision;
    }
}

impl EtcdRegistry {
    /// Brings the followed table up to a fresh read of it, unless the follower is there already.
    pub(super) async fn catch_up_table(&self) -> Result<(), RegistryError> {
        let (table, revision) = self.read_table().await?;
        self.inner.catch_up(table, revision);
        Ok(())
    }

    /// Reads every assignment; returns the table and the revision it was read at.
    pub(super) async fn read_table(&self) -> Result<(BTreeMap<CellId, Assignment>, i64), RegistryError> {
        let mut client = self.client();
        let response = self.call(client.get(self.keys().cells(), Some(GetOptions::new().with_prefix()))).await?;
        let revision = response.header().map_or(0, |h| h.revision());
        let table = response.kvs().iter().filter_map(|kv| self.decode_cell(kv)).collect();
        Ok((table, revision))
    }

    pub(super) fn decode_cell(&self, kv: &KeyValue) -> Option<(CellId, Assignment)> {
        let Some(cell) = self.keys().parse_cell(kv.key()) else {
            warn!(key = %String::from_utf8_lossy(kv.key()), "not a cell key; ignored");
            return None;
        };
        match serde_json::from_slice::<CellRecord>(kv.value()) {
            Ok(record) => {
                let epoch = Epoch(u64::try_from(kv.mod_revision()).unwrap_or(0));
                Some((cell, Assignment::new(record.zone, epoch, record.previous)))
            }
            Err(error) => {
                warn!(%cell, %error, "malformed assignment; ignored");
                None
            }
        }
    }
}

/// Keeps an [`EtcdRegistry`]'s table (and so [`Registry::watch`](crate::Registry::watch)) up to
/// date. Returned by [`EtcdRegistry::connect`]; the caller runs it (spawns it, or selects on it)
/// for as long as it uses the registry's table, and drops it to stop.
#[must_use = "the assignment table only follows etcd while the follower runs"]
pub struct AssignmentFollower {
    pub(super) registry: EtcdRegistry,
    pub(super) revision: i64,
}

impl fmt::Debug for AssignmentFollower {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssignmentFollower").field("revision", &self.revision).finish_non_exhaustive()
    }
}

impl AssignmentFollower {
    /// Follows the table forever, rereading it after any break (etcd restart, compaction).
    pub async fn run(mut self) -> Infallible {
        let mut backoff = Duration::from_millis(100);
        loop {
            let Err(error) = self.follow().await;
            warn!(%error, revision = self.revision, "assignment watch broke; rereading the table");
            self.registry.inner.watch_breaks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            metrics::counter!("mmo_registry_watch_breaks_total").increment(1);
            tokio::time::sleep(backoff).await;
            match self.registry.read_table().await {
                Ok((table, revision)) => {
                    self.registry.inner.replace(table, revision);
                    self.revision = revision;
                    backoff = Duration::from_millis(100);
                }
                Err(error) => {
                    warn!(%error, "could not reread the assignment table");
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
    }

    async fn follow(&mut self) -> Result<Infallible, RegistryError> {
        let registry = &self.registry;
        let options = WatchOptions::new().with_prefix().with_start_revision(self.revision + 1);
        let mut client = registry.client();
        let mut stream = registry.call(client.watch(registry.keys().cells(), Some(options))).await?;
        loop {
            let Some(response) = stream.message().await.map_err(|e| RegistryError::Unavailable(e.to_string()))? else {
                return Err(RegistryError::Unavailable("watch stream ended".into()));
            };
            if response.canceled() {
                let reason = format!(
                    "watch canceled (compacted at {}): {}",
                    response.compact_revision(),
                    response.cancel_reason()
                );
                return Err(RegistryError::Unavailable(reason));
            }
            let mut changes = Vec::new();
            for event in response.events() {
                let Some(kv) = event.kv() else { continue };
                match event.event_type() {
                    EventType::Put => changes.extend(registry.decode_cell(kv).map(|(c, a)| Change::Put(c, a))),
                    EventType::Delete => {
                        if let Some(cell) = registry.keys().parse_cell(kv.key()) {
                            changes.push(Change::Delete(cell, kv.mod_revision()));
                        }
                    }
                }
            }
            let revision = response.header().map_or(self.revision, |h| h.revision()).max(self.revision);
            debug!(changes = changes.len(), revision, "assignments changed");
            registry.inner.apply(changes, Some(revision));
            self.revision = revision;
        }
    }
}

/// The table a fresh handle starts with.
pub(super) fn empty() -> AssignmentTable {
    Arc::default()
}

//! The registry on etcd (v3 API over plain http/2, `etcd-client`), one key prefix per world;
//! [`keys`] has the layout. Values are JSON so operators can read them with `etcdctl`.
//!
//! The epoch of an assignment is the etcd revision of its write (the cell key's
//! `mod_revision`): it only grows, across all cells and all writers. An elected coordinator
//! writes assignments with [`EtcdRegistry::assign_guarded`], a transaction that only applies
//! while the writer's leader key still exists with the `create_revision` it won with.

mod follow;
pub mod keys;
mod lease;

pub use follow::AssignmentFollower;
pub use keys::Keys;

use crate::records::{Event, GatewayInfo, LoadReport, ZoneInfo};
use crate::registry::{Assignment, AssignmentTable, Lease, LeaseId, Member, Registry, RegistryError, Reshaping};
use etcd_client::{
    Client, Compare, CompareOp, ConnectOptions, GetOptions, PutOptions, SortOrder, SortTarget, Txn, TxnOp,
};
use follow::Change;
use mmo_world::{CellId, Epoch, GatewayId, ZoneId};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::watch;
use tracing::{debug, info, warn};

/// How many events the log keeps; older ones are deleted now and then.
const EVENT_RETENTION: i64 = 1000;
/// Trim the log every this many events written through one handle.
const EVENT_TRIM_EVERY: u64 = 64;

/// HTTP/2 keep-alive pings to etcd: every 10 s while a stream is open, the connection dropped
/// after 5 s without an answer (etcd refuses pings more often than every 5 s).
const KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(10);
const KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(5);

/// Where and how to reach etcd.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EtcdConfig {
    /// Client URLs, e.g. `http://127.0.0.1:2379`.
    pub endpoints: Vec<String>,
    /// The world's name: its keys live under `/mmo/<world>/`.
    pub world: String,
    pub connect_timeout: Duration,
    /// Limit for each unary request (not for watches, keep-alives or campaigns).
    pub request_timeout: Duration,
}

impl EtcdConfig {
    pub fn new(endpoints: impl IntoIterator<Item = impl Into<String>>, world: impl Into<String>) -> Self {
        EtcdConfig {
            endpoints: endpoints.into_iter().map(Into::into).collect(),
            world: world.into(),
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(5),
        }
    }
}

/// A cell key's value; the epoch is not in it, it is the key's `mod_revision`. Fields a later
/// release adds are ignored (a rolling upgrade reads both).
#[derive(Serialize, Deserialize)]
pub(crate) struct CellRecord {
    pub zone: ZoneId,
    /// The owner this write took the cell from (see [`Assignment::previous`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<ZoneId>,
}

/// Proof of leadership for a guarded write: the leader key and the `create_revision` it was
/// won with. A write guarded by it fails once the key is gone (lease expired, resigned) or was
/// created again by someone else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaderGuard {
    pub key: String,
    pub create_revision: i64,
}

/// A handle on one world's registry in etcd. Cheap to clone; clones share one connection and
/// one assignment table.
#[derive(Clone)]
pub struct EtcdRegistry {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    keys: Keys,
    request_timeout: Duration,
    table: watch::Sender<AssignmentTable>,
    /// The revision up to which the follower has applied the watch.
    seen: Mutex<i64>,
    events_written: AtomicU64,
    /// Times the assignment watch broke and was started again.
    watch_breaks: AtomicU64,
}

impl fmt::Debug for EtcdRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EtcdRegistry").field("prefix", &self.inner.keys.prefix()).finish_non_exhaustive()
    }
}

impl EtcdRegistry {
    /// Connects, reads the assignment table, and returns the handle with the follower that keeps
    /// the table up to date (run it; see [`AssignmentFollower`]).
    pub async fn connect(config: EtcdConfig) -> Result<(EtcdRegistry, AssignmentFollower), RegistryError> {
        let keys = Keys::new(&config.world).map_err(RegistryError::Unavailable)?;
        // HTTP/2 pings no more often than etcd's server allows (`--grpc-keepalive-min-time`,
        // 5 s by default) and only while a stream is open: pinging every 2 s, a connection
        // with nothing else on it (a quiet watch: no lease keep-alive answers to reset etcd's
        // count) got GOAWAY `too_many_pings` and its watch broke every 8 s. A dead connection
        // is still found within 15 s, and a lease is counted lost by its own clock
        // (`lease.rs`), whatever the connection does.
        let options = ConnectOptions::new()
            .with_connect_timeout(config.connect_timeout)
            .with_keep_alive(KEEP_ALIVE_INTERVAL, KEEP_ALIVE_TIMEOUT)
            .with_keep_alive_while_idle(false);
        let connect = Client::connect(&config.endpoints, Some(options));
        let client = match tokio::time::timeout(config.connect_timeout, connect).await {
            Ok(Ok(client)) => client,
            Ok(Err(error)) => {
                return Err(RegistryError::Unavailable(format!("connecting to {:?}: {error}", config.endpoints)))
            }
            Err(_) => {
                return Err(RegistryError::Unavailable(format!("connecting to {:?} timed out", config.endpoints)))
            }
        };
        let registry = EtcdRegistry {
            inner: Arc::new(Inner {
                client,
                keys,
                request_timeout: config.request_timeout,
                table: watch::Sender::new(follow::empty()),
                seen: Mutex::new(0),
                events_written: AtomicU64::new(0),
                watch_breaks: AtomicU64::new(0),
            }),
        };
        let (table, revision) = registry.read_table().await?;
        registry.inner.replace(table, revision);
        info!(endpoints = ?config.endpoints, prefix = registry.keys().prefix(), revision, "registry connected to etcd");
        let follower = AssignmentFollower { registry: registry.clone(), revision };
        Ok((registry, follower))
    }

    /// How many times the assignment watch broke (and the table was read again) so far.
    pub fn watch_breaks(&self) -> u64 {
        self.inner.watch_breaks.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The etcd client (for the election API). Clones share the connection.
    pub fn client(&self) -> Client {
        self.inner.client.clone()
    }

    pub fn keys(&self) -> &Keys {
        &self.inner.keys
    }

    pub fn request_timeout(&self) -> Duration {
        self.inner.request_timeout
    }

    /// Runs one unary request with the request timeout.
    pub(crate) async fn call<T>(
        &self,
        request: impl Future<Output = Result<T, etcd_client::Error>>,
    ) -> Result<T, RegistryError> {
        self.call_for(None, request).await
    }

    /// Like [`call`](Self::call), reporting "lease not found" as that lease's expiry.
    pub(crate) async fn call_for<T>(
        &self,
        lease: Option<LeaseId>,
        request: impl Future<Output = Result<T, etcd_client::Error>>,
    ) -> Result<T, RegistryError> {
        match tokio::time::timeout(self.request_timeout(), request).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => match lease {
                Some(lease) if lease_not_found(&error) => Err(RegistryError::LeaseExpired(lease)),
                _ => Err(RegistryError::Unavailable(error.to_string())),
            },
            Err(_) => {
                Err(RegistryError::Unavailable(format!("etcd request timed out after {:?}", self.request_timeout())))
            }
        }
    }

    /// Makes `zone` the owner of `cell` if `guard` still holds: see [`LeaderGuard`]. Returns the
    /// new epoch, or [`RegistryError::NotLeader`] without writing.
    pub async fn assign_guarded(
        &self,
        cell: CellId,
        zone: ZoneId,
        guard: &LeaderGuard,
    ) -> Result<Epoch, RegistryError> {
        self.put_cell(cell, zone, Some(guard)).await
    }

    /// Makes `zone` the owner of `cell` (if `guard` holds), recording the owner it replaces: the
    /// write compares the cell's revision with the one that owner was read at, and reads the
    /// cell afresh and tries again when another write came between.
    async fn put_cell(&self, cell: CellId, zone: ZoneId, guard: Option<&LeaderGuard>) -> Result<Epoch, RegistryError> {
        let key = self.keys().cell(cell);
        let mut current = self.assignments().get(&cell).copied();
        for _ in 0..3 {
            let previous = current.map(|a| a.zone);
            let value = to_json(&CellRecord { zone, previous })?;
            let revision = current.map_or(0, |a| revision(a.epoch));
            let mut compares = vec![Compare::mod_revision(key.as_str(), CompareOp::Equal, revision)];
            if let Some(guard) = guard {
                compares.push(Compare::create_revision(guard.key.as_str(), CompareOp::Equal, guard.create_revision));
            }
            let txn = Txn::new().when(compares).and_then([TxnOp::put(key.as_str(), value, None)]);
            let mut client = self.client();
            let response = self.call(client.txn(txn)).await?;
            if response.succeeded() {
                let epoch = header_epoch(response.header())?;
                self.inner.apply(vec![Change::Put(cell, Assignment::new(zone, epoch, previous))], None);
                debug!(%cell, %zone, ?previous, %epoch, guarded = guard.is_some(), "cell assigned");
                return Ok(epoch);
            }
            if let Some(guard) = guard {
                if !self.still_leads(guard).await? {
                    warn!(%cell, %zone, leader_key = %guard.key, "guarded assignment refused: not the leader");
                    return Err(RegistryError::NotLeader { key: guard.key.clone() });
                }
            }
            // Written meanwhile (this handle's table lags): read the owner it replaces.
            let response = self.call(client.get(key.as_str(), None)).await?;
            current = response.kvs().first().and_then(|kv| self.decode_cell(kv)).map(|(_, a)| a);
        }
        Err(RegistryError::Unavailable(format!("cell {cell} kept changing while being assigned")))
    }

    /// Writes a split or a merge (see [`Reshaping`]) in one transaction, if every cell it
    /// replaces is still owned by its zone and, with a `guard`, this replica still leads.
    pub async fn reshape_guarded(
        &self,
        reshaping: &Reshaping,
        guard: Option<&LeaderGuard>,
    ) -> Result<Epoch, RegistryError> {
        let value = to_json(&CellRecord { zone: reshaping.zone, previous: Some(reshaping.zone) })?;
        // Each cell replaced still as this handle's table has it, owned by the zone.
        let table = self.assignments();
        let mut compares = Vec::new();
        for cell in &reshaping.gone {
            match table.get(cell) {
                Some(a) if a.zone == reshaping.zone => {
                    compares.push(Compare::mod_revision(self.keys().cell(*cell), CompareOp::Equal, revision(a.epoch)));
                }
                _ => return Err(RegistryError::NotOwned { cell: *cell, zone: reshaping.zone }),
            }
        }
        if let Some(guard) = guard {
            compares.push(Compare::create_revision(guard.key.as_str(), CompareOp::Equal, guard.create_revision));
        }
        let ops = reshaping
            .gone
            .iter()
            .map(|c| TxnOp::delete(self.keys().cell(*c), None))
            .chain(reshaping.made.iter().map(|c| TxnOp::put(self.keys().cell(*c), value.clone(), None)))
            .collect::<Vec<_>>();
        let mut client = self.client();
        let response = self.call(client.txn(Txn::new().when(compares).and_then(ops))).await?;
        if !response.succeeded() {
            if let Some(guard) = guard {
                if !self.still_leads(guard).await? {
                    return Err(RegistryError::NotLeader { key: guard.key.clone() });
                }
            }
            let table = self.assignments();
            let cell = *reshaping
                .gone
                .iter()
                .find(|c| table.get(c).is_none_or(|a| a.zone != reshaping.zone))
                .unwrap_or(&reshaping.gone[0]);
            return Err(RegistryError::NotOwned { cell, zone: reshaping.zone });
        }
        let epoch = header_epoch(response.header())?;
        let revision = revision(epoch);
        let changes = reshaping
            .gone
            .iter()
            .map(|c| Change::Delete(*c, revision))
            .chain(
                reshaping
                    .made
                    .iter()
                    .map(|c| Change::Put(*c, Assignment::new(reshaping.zone, epoch, Some(reshaping.zone)))),
            )
            .collect();
        self.inner.apply(changes, None);
        info!(gone = ?reshaping.gone, made = ?reshaping.made, zone = %reshaping.zone, %epoch, "cells reshaped");
        Ok(epoch)
    }

    /// Whether the leader key `guard` names is still the one this replica created.
    async fn still_leads(&self, guard: &LeaderGuard) -> Result<bool, RegistryError> {
        let mut client = self.client();
        let response = self.call(client.get(guard.key.as_str(), None)).await?;
        Ok(response.kvs().first().is_some_and(|kv| kv.create_revision() == guard.create_revision))
    }

    /// Puts `value` under `key` only if the key does not exist; returns whether it did not.
    async fn create(&self, key: String, value: String, lease: LeaseId) -> Result<bool, RegistryError> {
        let txn = Txn::new().when([Compare::version(key.as_str(), CompareOp::Equal, 0)]).and_then([TxnOp::put(
            key,
            value,
            Some(PutOptions::new().with_lease(lease.0)),
        )]);
        let mut client = self.client();
        Ok(self.call_for(Some(lease), client.txn(txn)).await?.succeeded())
    }

    async fn register(
        &self,
        member: Member,
        key: String,
        value: String,
        ttl: Duration,
    ) -> Result<Lease, RegistryError> {
        let asked = tokio::time::Instant::now();
        let (id, granted) = self.grant_lease(ttl).await?;
        match self.create(key, value, id).await {
            Ok(true) => {
                info!(?member, lease = %id, ttl = ?granted, "registered");
                Ok(Lease::new(id, granted, member, asked))
            }
            outcome => {
                self.revoke_lease(id).await.ok();
                outcome.and(Err(RegistryError::AlreadyRegistered(member)))
            }
        }
    }

    /// Every value under `prefix`, decoded; malformed ones are logged and skipped.
    async fn list<T: DeserializeOwned>(&self, prefix: String) -> Result<Vec<T>, RegistryError> {
        let mut client = self.client();
        let response = self.call(client.get(prefix, Some(GetOptions::new().with_prefix()))).await?;
        Ok(response.kvs().iter().filter_map(|kv| decode(kv.key(), kv.value())).collect())
    }

    async fn trim_events(&self) -> Result<(), RegistryError> {
        let mut client = self.client();
        let count = GetOptions::new().with_prefix().with_count_only();
        let total = self.call(client.get(self.keys().events(), Some(count))).await?.count();
        let excess = total - EVENT_RETENTION;
        if excess <= 0 {
            return Ok(());
        }
        // Keys start with the time, so the first ones by key are the oldest; at most 100 per
        // round (etcd caps a transaction's operations at 128 by default).
        let oldest = GetOptions::new().with_prefix().with_keys_only().with_limit(excess.min(100));
        let doomed = self.call(client.get(self.keys().events(), Some(oldest))).await?;
        let deletes: Vec<TxnOp> = doomed.kvs().iter().map(|kv| TxnOp::delete(kv.key().to_vec(), None)).collect();
        self.call(client.txn(Txn::new().and_then(deletes))).await?;
        Ok(())
    }
}

impl Registry for EtcdRegistry {
    async fn assign(&self, cell: CellId, zone: ZoneId) -> Result<Epoch, RegistryError> {
        self.put_cell(cell, zone, None).await
    }

    async fn reshape(&self, reshaping: &Reshaping) -> Result<Epoch, RegistryError> {
        self.reshape_guarded(reshaping, None).await
    }

    fn assignments(&self) -> AssignmentTable {
        self.inner.table.borrow().clone()
    }

    fn watch(&self) -> watch::Receiver<AssignmentTable> {
        self.inner.table.subscribe()
    }

    async fn catch_up(&self) -> Result<(), RegistryError> {
        self.catch_up_table().await
    }

    async fn register_zone(&self, info: ZoneInfo, ttl: Duration) -> Result<Lease, RegistryError> {
        let (member, key, value) = (Member::Zone(info.id), self.keys().zone(info.id), to_json(&info)?);
        self.register(member, key, value, ttl).await
    }

    async fn register_gateway(&self, info: GatewayInfo, ttl: Duration) -> Result<Lease, RegistryError> {
        let (member, key, value) = (Member::Gateway(info.id), self.keys().gateway(info.id), to_json(&info)?);
        self.register(member, key, value, ttl).await
    }

    async fn update_gateway(&self, lease: &Lease, info: GatewayInfo) -> Result<(), RegistryError> {
        let record = Member::Gateway(info.id);
        if lease.member() != record {
            return Err(RegistryError::NotItsLease { lease: lease.id(), member: lease.member(), record });
        }
        // Only over the record this lease wrote: once the lease is gone, so is the record.
        let key = self.keys().gateway(info.id);
        let put = TxnOp::put(key.as_str(), to_json(&info)?, Some(PutOptions::new().with_lease(lease.id().0)));
        let txn = Txn::new().when([Compare::lease(key.as_str(), CompareOp::Equal, lease.id().0)]).and_then([put]);
        let mut client = self.client();
        if self.call_for(Some(lease.id()), client.txn(txn)).await?.succeeded() {
            Ok(())
        } else {
            Err(RegistryError::LeaseExpired(lease.id()))
        }
    }

    async fn keep_alive(&self, lease: &Lease) -> Result<Infallible, RegistryError> {
        self.keep_lease_alive(lease.id(), lease.ttl(), Some(lease.validity())).await
    }

    async fn revoke(&self, lease: &Lease) -> Result<(), RegistryError> {
        self.revoke_lease(lease.id()).await
    }

    async fn zones(&self) -> Result<BTreeMap<ZoneId, ZoneInfo>, RegistryError> {
        Ok(self.list::<ZoneInfo>(self.keys().zones()).await?.into_iter().map(|z| (z.id, z)).collect())
    }

    async fn zone_runs(&self) -> Result<BTreeMap<ZoneId, Epoch>, RegistryError> {
        let mut client = self.client();
        let response = self.call(client.get(self.keys().zones(), Some(GetOptions::new().with_prefix()))).await?;
        Ok(response
            .kvs()
            .iter()
            .filter_map(|kv| {
                let info: ZoneInfo = decode(kv.key(), kv.value())?;
                Some((info.id, Epoch(u64::try_from(kv.create_revision()).ok()?)))
            })
            .collect())
    }

    async fn gateways(&self) -> Result<BTreeMap<GatewayId, GatewayInfo>, RegistryError> {
        Ok(self.list::<GatewayInfo>(self.keys().gateways()).await?.into_iter().map(|g| (g.id, g)).collect())
    }

    async fn report_load(&self, lease: &Lease, report: LoadReport) -> Result<(), RegistryError> {
        let Member::Zone(zone) = lease.member() else {
            return Err(RegistryError::NotAZoneLease { lease: lease.id(), member: lease.member() });
        };
        let options = PutOptions::new().with_lease(lease.id().0);
        let mut client = self.client();
        self.call_for(Some(lease.id()), client.put(self.keys().load(zone), to_json(&report)?, Some(options))).await?;
        Ok(())
    }

    async fn loads(&self) -> Result<BTreeMap<ZoneId, LoadReport>, RegistryError> {
        let mut client = self.client();
        let response = self.call(client.get(self.keys().loads(), Some(GetOptions::new().with_prefix()))).await?;
        let prefix = self.keys().loads();
        let zone_of = |key: &[u8]| std::str::from_utf8(key).ok()?.strip_prefix(&prefix)?.parse().ok().map(ZoneId);
        Ok(response.kvs().iter().filter_map(|kv| Some((zone_of(kv.key())?, decode(kv.key(), kv.value())?))).collect())
    }

    async fn set_draining(&self, zone: ZoneId, draining: bool) -> Result<(), RegistryError> {
        let mut client = self.client();
        if draining {
            self.call(client.put(self.keys().drain(zone), to_json(&CellRecord { zone, previous: None })?, None))
                .await?;
        } else {
            self.call(client.delete(self.keys().drain(zone), None)).await?;
        }
        info!(%zone, draining, "drain mark set");
        Ok(())
    }

    async fn draining(&self) -> Result<BTreeSet<ZoneId>, RegistryError> {
        Ok(self.list::<CellRecord>(self.keys().draining()).await?.into_iter().map(|r| r.zone).collect())
    }

    async fn log_event(&self, event: Event) -> Result<(), RegistryError> {
        let written = self.inner.events_written.fetch_add(1, Ordering::Relaxed);
        let key = self.keys().event(event.at_unix_ms, nonce(written));
        let mut client = self.client();
        self.call(client.put(key, to_json(&event)?, None)).await?;
        if written % EVENT_TRIM_EVERY == EVENT_TRIM_EVERY - 1 {
            if let Err(error) = self.trim_events().await {
                warn!(%error, "could not trim the event log");
            }
        }
        Ok(())
    }

    async fn events(&self, limit: usize) -> Result<Vec<Event>, RegistryError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        if limit == 0 {
            return Ok(Vec::new());
        }
        let newest =
            GetOptions::new().with_prefix().with_sort(SortTarget::Create, SortOrder::Descend).with_limit(limit);
        let mut client = self.client();
        let response = self.call(client.get(self.keys().events(), Some(newest))).await?;
        let mut events: Vec<Event> = response.kvs().iter().filter_map(|kv| decode(kv.key(), kv.value())).collect();
        events.reverse();
        Ok(events)
    }
}

/// Whether etcd answered that a lease does not exist (expired or revoked).
pub(crate) fn lease_not_found(error: &etcd_client::Error) -> bool {
    let text = error.to_string();
    text.contains("lease not found")
}

fn to_json<T: Serialize>(value: &T) -> Result<String, RegistryError> {
    serde_json::to_string(value)
        .map_err(|e| RegistryError::Malformed { key: String::from("(new value)"), reason: e.to_string() })
}

fn decode<T: DeserializeOwned>(key: &[u8], value: &[u8]) -> Option<T> {
    match serde_json::from_slice(value) {
        Ok(value) => Some(value),
        Err(error) => {
            warn!(key = %String::from_utf8_lossy(key), %error, "malformed registry value; ignored");
            None
        }
    }
}

/// The revision a write produced: its epoch.
/// The etcd revision an epoch is.
pub(super) fn revision(epoch: Epoch) -> i64 {
    i64::try_from(epoch.0).unwrap_or(i64::MAX)
}

fn header_epoch(header: Option<&etcd_client::ResponseHeader>) -> Result<Epoch, RegistryError> {
    let revision =
        header.map(|h| h.revision()).ok_or_else(|| RegistryError::Unavailable("etcd reply without header".into()))?;
    Ok(Epoch(u64::try_from(revision).unwrap_or(0)))
}

/// Makes event keys written in the same millisecond distinct across handles and processes.
fn nonce(sequence: u64) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(sequence);
    hasher.write_u32(std::process::id());
    hasher.write_u128(SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    hasher.finish()
}

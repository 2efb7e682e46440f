//! The registry: who is in the cluster (zones and gateways, each under a lease), who owns which
//! cell at which epoch, how loaded each zone is, and the log of rebalancing decisions.
//!
//! Two implementations: [`MemoryRegistry`](crate::MemoryRegistry) (the local world, fast tests) and
//! [`EtcdRegistry`](crate::etcd::EtcdRegistry) (production); the same conformance suite runs
//! against both (`tests/registry_conformance.rs`).
//!
//! Cell ownership: `cell -> {zone, epoch}`. Every write gets a new epoch from one counter that
//! only grows (the etcd revision of the write), so a newer assignment always carries a larger
//! epoch than any older one.
//!
//! Leases: a member registers with a time to live and must keep its lease alive
//! ([`Registry::keep_alive`]); when it stops (crash, freeze, partition), the lease expires and its
//! registration and load report disappear with it. That is how the coordinator learns that a
//! zone died.

use crate::records::{Event, GatewayInfo, LoadReport, ZoneInfo};
use mmo_world::{CellId, Epoch, GatewayId, ZoneId};
use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// The owner of a cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Assignment {
    pub zone: ZoneId,
    pub epoch: Epoch,
    /// The owner the write that gave the cell to `zone` took it from: the zone to hand it
    /// over, even to a zone whose table skipped some writes ([`crate::takeover`]). `None`: the
    /// cell had no owner (or the record predates previous owners). A cell a split or a merge
    /// made has its reshaping zone.
    pub previous: Option<ZoneId>,
}

impl Assignment {
    /// `zone` owns the cell since `epoch`, taken from `previous`.
    pub fn new(zone: ZoneId, epoch: Epoch, previous: Option<ZoneId>) -> Self {
        Assignment { zone, epoch, previous }
    }
}

/// All assignments, as of one registry revision.
pub type AssignmentTable = Arc<BTreeMap<CellId, Assignment>>;

/// A lease's id (the etcd lease id in the etcd registry).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LeaseId(pub i64);

impl fmt::Debug for LeaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "lease:{:x}", self.0)
    }
}

impl fmt::Display for LeaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Who holds a lease.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Member {
    Zone(ZoneId),
    Gateway(GatewayId),
}

/// A member's registration: it lasts while the member keeps it alive.
#[derive(Clone, Debug)]
pub struct Lease {
    id: LeaseId,
    ttl: Duration,
    member: Member,
    validity: LeaseValidity,
}

/// Two handles on the same registration are equal, whatever each knows of its validity.
impl PartialEq for Lease {
    fn eq(&self, other: &Self) -> bool {
        (self.id, self.ttl, self.member) == (other.id, other.ttl, other.member)
    }
}

impl Eq for Lease {}

/// Until when a lease is known to be valid, as its keep-alive last confirmed it (counted from
/// when that refresh was sent). Clones share it: a task that acts under the lease (the zone's
/// saver) asks [`LeaseValidity::held`] without waiting for the keep-alive loop to run, so a
/// process frozen past its TTL knows at once, when it wakes, that its lease may be gone.
#[derive(Clone, Debug)]
pub struct LeaseValidity(Arc<Mutex<Instant>>);

impl LeaseValidity {
    /// Valid until `until`.
    pub fn until(until: Instant) -> Self {
        LeaseValidity(Arc::new(Mutex::new(until)))
    }

    /// Whether the lease is still known to be valid now.
    pub fn held(&self) -> bool {
        Instant::now() < *self.0.lock().expect("lease validity lock")
    }

    /// The keep-alive confirmed the lease until `until`.
    pub(crate) fn extend(&self, until: Instant) {
        *self.0.lock().expect("lease validity lock") = until;
    }
}

impl Lease {
    /// A lease granted for `ttl`, asked for at `asked` (valid for a TTL from then at most).
    pub(crate) fn new(id: LeaseId, ttl: Duration, member: Member, asked: Instant) -> Self {
        Lease { id, ttl, member, validity: LeaseValidity::until(asked + ttl) }
    }

    /// How long the lease is known valid (kept up to date by [`Registry::keep_alive`]).
    pub fn validity(&self) -> &LeaseValidity {
        &self.validity
    }

    pub fn id(&self) -> LeaseId {
        self.id
    }

    /// The time to live the registry granted (etcd rounds up to whole seconds, at least its
    /// minimum of 2 s with default settings).
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub fn member(&self) -> Member {
        self.member
    }

    /// How often [`Registry::keep_alive`] refreshes: a third of the TTL, so two refreshes can
    /// be lost before the lease expires.
    pub fn refresh_interval(&self) -> Duration {
        (self.ttl / 3).max(Duration::from_millis(50))
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegistryError {
    #[error("registry unavailable: {0}")]
    Unavailable(String),
    /// The lease expired or was revoked: the member is no longer registered.
    #[error("{0} expired")]
    LeaseExpired(LeaseId),
    /// Another live lease already registers this member.
    #[error("{0:?} is already registered")]
    AlreadyRegistered(Member),
    /// The lease does not fit the call (a gateway's lease for a zone's load report).
    #[error("{lease} belongs to {member:?}, not to a zone")]
    NotAZoneLease { lease: LeaseId, member: Member },
    /// The lease registers another member than the record to write under it.
    #[error("{lease} registers {member:?}, not {record:?}")]
    NotItsLease { lease: LeaseId, member: Member, record: Member },
    /// A guarded write found that the writer no longer holds the leader key.
    #[error("not the leader (leader key {key} is gone or was re-created)")]
    NotLeader { key: String },
    /// A stored value could not be read back.
    #[error("malformed value at {key}: {reason}")]
    Malformed { key: String, reason: String },
    /// A split or a merge found a cell it replaces not owned by its zone (moved meanwhile):
    /// nothing was written.
    #[error("{cell} is not owned by {zone}: nothing reshaped")]
    NotOwned { cell: CellId, zone: ZoneId },
}

/// A split or a merge as the registry writes it: the cells `gone`, all owned by `zone`, are
/// replaced by the cells `made`, owned by `zone`, in one write (one epoch), so that everyone
/// following the table sees the old cells or the new ones, never both or neither.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reshaping {
    pub gone: Vec<CellId>,
    pub made: Vec<CellId>,
    pub zone: ZoneId,
}

impl Reshaping {
    /// `cell` split into its quarters.
    pub fn split(cell: CellId, zone: ZoneId) -> Self {
        Reshaping { gone: vec![cell], made: cell.quarters().to_vec(), zone }
    }

    /// The quarters of `cell` merged back into it.
    pub fn merge(cell: CellId, zone: ZoneId) -> Self {
        Reshaping { gone: cell.quarters().to_vec(), made: vec![cell], zone }
    }
}

/// Registers a member with `register`, waiting while its previous run still holds the
/// registration: a member restarted at once under the same id (a crash, `kill -9`, a
/// supervisor's restart) finds its old lease alive until it expires, within the lease's time to
/// live. Gives up with [`RegistryError::AlreadyRegistered`] after `ttl` and a second more: then
/// another live process holds the id.
pub async fn register_after_previous_run<F, Fut>(ttl: Duration, mut register: F) -> Result<Lease, RegistryError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Lease, RegistryError>>,
{
    let deadline = tokio::time::Instant::now() + ttl + Duration::from_secs(1);
    let mut waiting = false;
    loop {
        match register().await {
            Err(RegistryError::AlreadyRegistered(member)) if tokio::time::Instant::now() < deadline => {
                if !std::mem::replace(&mut waiting, true) {
                    tracing::info!(?member, "registered already: waiting for the previous run's lease to expire");
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            other => return other,
        }
    }
}

/// Where cluster membership, cell ownership, loads and decisions are kept.
pub trait Registry: Send + Sync {
    /// Makes `zone` the owner of `cell`; returns the new epoch. Unguarded: the local world's
    /// single coordinator and tests. Elected coordinators write through a guarded transaction
    /// instead ([`EtcdRegistry::assign_guarded`](crate::etcd::EtcdRegistry::assign_guarded)).
    fn assign(&self, cell: CellId, zone: ZoneId) -> impl Future<Output = Result<Epoch, RegistryError>> + Send;
    /// Writes a split or a merge (see [`Reshaping`]) if every cell it replaces is still owned by
    /// its zone ([`RegistryError::NotOwned`] otherwise); returns the new cells' epoch.
    /// Unguarded, as [`Registry::assign`].
    fn reshape(&self, reshaping: &Reshaping) -> impl Future<Output = Result<Epoch, RegistryError>> + Send;
    /// The current table.
    fn assignments(&self) -> AssignmentTable;
    /// Follows the table as it changes.
    fn watch(&self) -> watch::Receiver<AssignmentTable>;
    /// Brings the followed table up to the registry's current revision at least (a fresh
    /// read): a zone that just registered decides which cells to take from a table no older
    /// than its registration ([`crate::takeover`]).
    fn catch_up(&self) -> impl Future<Output = Result<(), RegistryError>> + Send;

    /// Registers a zone under a new lease of `ttl`. Fails with
    /// [`RegistryError::AlreadyRegistered`] while another live lease holds the same zone id.
    fn register_zone(&self, info: ZoneInfo, ttl: Duration)
        -> impl Future<Output = Result<Lease, RegistryError>> + Send;
    /// Registers a gateway under a new lease of `ttl`.
    fn register_gateway(
        &self,
        info: GatewayInfo,
        ttl: Duration,
    ) -> impl Future<Output = Result<Lease, RegistryError>> + Send;
    /// Rewrites a registered gateway's record under its `lease` (it started draining). Fails
    /// with [`RegistryError::NotItsLease`] for another member's lease, and with
    /// [`RegistryError::LeaseExpired`] once the lease is gone.
    fn update_gateway(
        &self,
        lease: &Lease,
        info: GatewayInfo,
    ) -> impl Future<Output = Result<(), RegistryError>> + Send;
    /// Keeps `lease` alive, refreshing it every [`Lease::refresh_interval`]; runs until the
    /// lease is lost and then returns why (the member must stop acting as registered: its
    /// cells are, or soon will be, someone else's). Spawn it or select on it.
    fn keep_alive(&self, lease: &Lease) -> impl Future<Output = Result<Infallible, RegistryError>> + Send;
    /// Ends a lease now, removing what was registered under it (a clean shutdown).
    fn revoke(&self, lease: &Lease) -> impl Future<Output = Result<(), RegistryError>> + Send;
    /// Zones with a live lease.
    fn zones(&self) -> impl Future<Output = Result<BTreeMap<ZoneId, ZoneInfo>, RegistryError>> + Send;
    /// Zones with a live lease, each with the revision its run registered at (in the epochs'
    /// order): a zone started again under its id registers at a later revision than every cell
    /// move written before, so a cell moved away from its previous run is known to have no live
    /// holder ([`crate::takeover`]).
    fn zone_runs(&self) -> impl Future<Output = Result<BTreeMap<ZoneId, Epoch>, RegistryError>> + Send;
    /// Gateways with a live lease.
    fn gateways(&self) -> impl Future<Output = Result<BTreeMap<GatewayId, GatewayInfo>, RegistryError>> + Send;

    /// Publishes a zone's load under its lease (replacing its previous report).
    fn report_load(&self, lease: &Lease, report: LoadReport) -> impl Future<Output = Result<(), RegistryError>> + Send;
    /// The latest report of every zone with a live lease.
    fn loads(&self) -> impl Future<Output = Result<BTreeMap<ZoneId, LoadReport>, RegistryError>> + Send;

    /// Marks a zone as draining (it gives all of its cells away) or clears the mark. Kept
    /// without a lease: the mark outlives coordinator failover and is cleared by an operator.
    fn set_draining(&self, zone: ZoneId, draining: bool) -> impl Future<Output = Result<(), RegistryError>> + Send;
    /// Zones marked as draining.
    fn draining(&self) -> impl Future<Output = Result<BTreeSet<ZoneId>, RegistryError>> + Send;

    /// Appends to the log of rebalancing decisions (bounded: the oldest entries go).
    fn log_event(&self, event: Event) -> impl Future<Output = Result<(), RegistryError>> + Send;
    /// The last `limit` events, oldest first.
    fn events(&self, limit: usize) -> impl Future<Output = Result<Vec<Event>, RegistryError>> + Send;
}

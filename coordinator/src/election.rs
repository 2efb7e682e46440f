//! Leader election among coordinator replicas, on etcd's election API
//! (`/mmo/<world>/election`).
//!
//! A round ([`Election::campaign`]):
//! 1. grant a lease and keep it alive *while* campaigning: etcd's `Campaign` call blocks until
//!    every older candidate's key is gone, which can take any time;
//! 2. when `Campaign` returns, confirm in a transaction that our leader key still exists with the
//!    `create_revision` (and lease) it was won with: etcd 3.4 can report leadership for a key
//!    whose lease has already expired (etcd#11051);
//! 3. the key's `create_revision` is the leader epoch. Every assignment the leader writes is a
//!    transaction guarded by that key ([`Election::assign_as_leader`]): once the key is gone
//!    (lease expired while the process was frozen or cut off, or resigned), the write is
//!    refused, so a deposed leader cannot write, whatever it believes.
//!
//! [`Election::hold`] keeps the lease alive after winning and returns when leadership is lost;
//! [`Election::run`] loops campaign and hold until shutdown and publishes the [`Role`] on a
//! watch channel ([`Election::role`]). Nothing is spawned: the caller drives `run`.

use mmo_cluster::etcd::{EtcdRegistry, LeaderGuard};
use mmo_cluster::{Event, EventKind, LeaseId, Registry, RegistryError, Reshaping};
use mmo_world::{unix_ms, CellId, Epoch, ZoneId};
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::sleep;
use tracing::{info, warn};

/// How a replica campaigns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElectionConfig {
    /// This replica's name, shown as the leader (e.g. the pod name).
    pub candidate: String,
    /// The lease's time to live: how long a dead or frozen leader keeps leadership at most.
    /// etcd counts whole seconds and raises short TTLs to its minimum (2 s by default).
    pub ttl: Duration,
}

/// Won leadership: the proof that guarded writes carry.
#[derive(Clone, PartialEq, Eq)]
pub struct Leadership {
    candidate: String,
    epoch: Epoch,
    guard: LeaderGuard,
    lease: LeaseId,
    ttl: Duration,
}

impl Leadership {
    /// The leader epoch: the `create_revision` of the leader key. Grows from leader to leader
    /// (etcd elects candidates in the order their keys were created), but a standby's key is
    /// created when it starts campaigning, so it says nothing about the revisions of the
    /// previous leader's writes: the guard, not the epoch, fences them.
    pub fn epoch(&self) -> Epoch {
        self.epoch
    }

    pub fn candidate(&self) -> &str {
        &self.candidate
    }

    pub fn guard(&self) -> &LeaderGuard {
        &self.guard
    }

    /// The TTL etcd granted the leader's lease.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub fn info(&self) -> LeaderInfo {
        LeaderInfo { candidate: self.candidate.clone(), epoch: self.epoch }
    }
}

impl fmt::Debug for Leadership {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Leadership({} at {}, {})", self.candidate, self.epoch, self.guard.key)
    }
}

/// Who leads, as seen from anywhere.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaderInfo {
    pub candidate: String,
    pub epoch: Epoch,
}

/// What this replica is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// Campaigning (or not started); `leader` is the last leader observed, if any.
    Standby {
        leader: Option<LeaderInfo>,
    },
    Leader(Leadership),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ElectionError {
    /// A guarded write was refused: the writer's leader key is gone or was re-created.
    #[error("not the leader")]
    NotLeader,
    /// Leadership ended (lease lost, leader key deleted).
    #[error("leadership lost: {0}")]
    Lost(String),
    #[error("election call failed: {0}")]
    Etcd(String),
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

/// One replica's side of the election.
pub struct Election {
    registry: EtcdRegistry,
    config: ElectionConfig,
    role: watch::Sender<Role>,
    /// The lease of a campaign in progress, to revoke when `run` is shut down mid-campaign.
    campaigning: Mutex<Option<LeaseId>>,
}

impl fmt::Debug for Election {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Election").field("config", &self.config).field("role", &*self.role.borrow()).finish()
    }
}

impl Election {
    pub fn new(registry: EtcdRegistry, config: ElectionConfig) -> Self {
        Election {
            registry,
            config,
            role: watch::Sender::new(Role::Standby { leader: None }),
            campaigning: Mutex::new(None),
        }
    }

    /// Follows this replica's role.
    pub fn role(&self) -> watch::Receiver<Role> {
        self.role.subscribe()
    }

    pub fn config(&self) -> &ElectionConfig {
        &self.config
    }

    /// Campaigns until this replica leads (see the module doc); publishes [`Role::Leader`].
    /// The caller must then [`hold`](Self::hold) the leadership, or it lapses after the TTL.
    pub async fn campaign(&self) -> Result<Leadership, ElectionError> {
        loop {
            let (lease, ttl) = self.registry.grant_lease(self.config.ttl).await?;
            *self.campaigning.lock().expect("campaign lock") = Some(lease);
            let outcome = tokio::select! {
                won = self.campaign_call(lease) => won,
                lost = self.registry.keep_lease_alive(lease, ttl, None) => {
                    let Err(error) = lost;
                    warn!(%lease, %error, "campaign lease lost while waiting; campaigning again");
                    continue;
                }
                never = self.observe_leaders() => match never {},
            };
            let confirmed = match outcome {
                Ok(key) => self.confirm(key, lease, ttl).await,
                Err(error) => Err(error),
            };
            match confirmed {
                Ok(leadership) => {
                    info!(candidate = %leadership.candidate, epoch = %leadership.epoch, key = %leadership.guard.key, "elected leader");
                    let event =
                        EventKind::LeaderElected { leader: leadership.candidate.clone(), epoch: leadership.epoch };
                    if let Err(error) = self.registry.log_event(Event { at_unix_ms: unix_ms(), kind: event }).await {
                        warn!(%error, "could not log the election");
                    }
                    // No await from here on: a caller that drops this future (shutdown) either
                    // finds the lease in `campaigning` to revoke, or gets the leadership.
                    *self.campaigning.lock().expect("campaign lock") = None;
                    self.role.send_replace(Role::Leader(leadership.clone()));
                    return Ok(leadership);
                }
                Err(ElectionError::NotLeader) => {
                    warn!(%lease, "campaign returned a key that is already gone (etcd#11051); campaigning again");
                    self.registry.revoke_lease(lease).await.ok();
                }
                Err(error) => {
                    self.registry.revoke_lease(lease).await.ok();
                    *self.campaigning.lock().expect("campaign lock") = None;
                    return Err(error);
                }
            }
        }
    }

    /// Keeps `leadership` alive; returns when it is lost (lease lost, key deleted), after
    /// publishing [`Role::Standby`].
    pub async fn hold(&self, leadership: &Leadership) -> ElectionError {
        let reason = tokio::select! {
            lost = self.registry.keep_lease_alive(leadership.lease, leadership.ttl, None) => {
                let Err(error) = lost;
                error.to_string()
            }
            deleted = self.key_deleted(&leadership.guard) => {
                let Err(error) = deleted;
                error.to_string()
            }
        };
        warn!(candidate = %leadership.candidate, epoch = %leadership.epoch, %reason, "leadership lost");
        self.step_down(leadership);
        // Make sure the key is gone, so the next leader does not wait for the TTL.
        self.registry.revoke_lease(leadership.lease).await.ok();
        ElectionError::Lost(reason)
    }

    /// Gives leadership up now: the lease is revoked, which deletes the leader key, and the next
    /// candidate wins at once.
    pub async fn resign(&self, leadership: &Leadership) -> Result<(), ElectionError> {
        self.step_down(leadership);
        self.registry.revoke_lease(leadership.lease).await?;
        info!(candidate = %leadership.candidate, epoch = %leadership.epoch, "resigned");
        Ok(())
    }

    /// Campaigns and holds leadership, again and again, until `shutdown` completes; resigns
    /// (or withdraws its candidacy) then.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut backoff = Duration::from_millis(200);
        loop {
            let leadership = tokio::select! {
                () = &mut shutdown => {
                    let lease = self.campaigning.lock().expect("campaign lock").take();
                    if let Some(lease) = lease {
                        self.registry.revoke_lease(lease).await.ok();
                    }
                    return;
                }
                won = self.campaign() => match won {
                    Ok(leadership) => leadership,
                    Err(error) => {
                        warn!(%error, ?backoff, "campaign failed; retrying");
                        tokio::select! { () = &mut shutdown => return, () = sleep(backoff) => {} }
                        backoff = (backoff * 2).min(Duration::from_secs(5));
                        continue;
                    }
                },
            };
            backoff = Duration::from_millis(200);
            tokio::select! {
                () = &mut shutdown => {
                    if let Err(error) = self.resign(&leadership).await {
                        warn!(%error, "could not resign; leadership lapses with the lease");
                    }
                    return;
                }
                lost = self.hold(&leadership) => info!(error = %lost, "campaigning again"),
            }
        }
    }

    /// Makes `zone` the owner of `cell` if `leadership` still holds; the new epoch, or
    /// [`ElectionError::NotLeader`] without writing.
    pub async fn assign_as_leader(
        &self,
        leadership: &Leadership,
        cell: CellId,
        zone: ZoneId,
    ) -> Result<Epoch, ElectionError> {
        match self.registry.assign_guarded(cell, zone, &leadership.guard).await {
            Ok(epoch) => Ok(epoch),
            Err(RegistryError::NotLeader { .. }) => Err(ElectionError::NotLeader),
            Err(error) => Err(error.into()),
        }
    }

    /// Writes a split or a merge if `leadership` still holds (see
    /// [`EtcdRegistry::reshape_guarded`](mmo_cluster::etcd::EtcdRegistry::reshape_guarded)).
    pub async fn reshape_as_leader(
        &self,
        leadership: &Leadership,
        reshaping: &Reshaping,
    ) -> Result<Epoch, ElectionError> {
        match self.registry.reshape_guarded(reshaping, Some(&leadership.guard)).await {
            Ok(epoch) => Ok(epoch),
            Err(RegistryError::NotLeader { .. }) => Err(ElectionError::NotLeader),
            Err(error) => Err(error.into()),
        }
    }

    /// The current leader according to etcd, if any.
    pub async fn leader(&self) -> Result<Option<LeaderInfo>, ElectionError> {
        current_leader(&self.registry).await
    }

    async fn campaign_call(&self, lease: LeaseId) -> Result<etcd_client::LeaderKey, ElectionError> {
        let mut election = self.registry.client().election_client();
        let mut response = election
            .campaign(self.registry.keys().election(), self.config.candidate.as_str(), lease.0)
            .await
            .map_err(|e| ElectionError::Etcd(e.to_string()))?;
        response.take_leader().ok_or_else(|| ElectionError::Etcd("campaign answer without a leader key".into()))
    }

    /// Step 2 of the module doc: is the key we won with still there, as we created it?
    async fn confirm(
        &self,
        key: etcd_client::LeaderKey,
        lease: LeaseId,
        ttl: Duration,
    ) -> Result<Leadership, ElectionError> {
        use etcd_client::{Compare, CompareOp, Txn, TxnOp};
        let guard = LeaderGuard { key: String::from_utf8_lossy(key.key()).into_owned(), create_revision: key.rev() };
        let txn = Txn::new()
            .when([
                Compare::create_revision(guard.key.as_str(), CompareOp::Equal, guard.create_revision),
                Compare::lease(guard.key.as_str(), CompareOp::Equal, lease.0),
            ])
            .and_then([TxnOp::get(guard.key.as_str(), None)]);
        let mut client = self.registry.client();
        let confirmed = tokio::time::timeout(self.registry.request_timeout(), client.txn(txn))
            .await
            .map_err(|_| ElectionError::Etcd("confirmation timed out".into()))?
            .map_err(|e| ElectionError::Etcd(e.to_string()))?;
        if !confirmed.succeeded() {
            return Err(ElectionError::NotLeader);
        }
        let epoch = Epoch(u64::try_from(guard.create_revision).unwrap_or(0));
        Ok(Leadership { candidate: self.config.candidate.clone(), epoch, guard, lease, ttl })
    }

    /// Publishes the leaders etcd reports while this replica is a standby.
    async fn observe_leaders(&self) -> Infallible {
        loop {
            let mut election = self.registry.client().election_client();
            match election.observe(self.registry.keys().election()).await {
                Ok(mut stream) => {
                    while let Ok(Some(response)) = stream.message().await {
                        if let Some(leader) = response.kv().and_then(leader_info) {
                            self.role.send_if_modified(|role| match role {
                                Role::Standby { leader: seen } if seen.as_ref() != Some(&leader) => {
                                    *seen = Some(leader);
                                    true
                                }
                                _ => false,
                            });
                        }
                    }
                }
                Err(error) => warn!(%error, "could not observe the election"),
            }
            sleep(Duration::from_millis(500)).await;
        }
    }

    /// Returns once the leader key is deleted or re-created.
    async fn key_deleted(&self, guard: &LeaderGuard) -> Result<Infallible, ElectionError> {
        use etcd_client::{EventType, WatchOptions};
        let mut from = guard.create_revision;
        loop {
            let mut client = self.registry.client();
            let options = WatchOptions::new().with_start_revision(from);
            if let Ok(mut stream) = client.watch(guard.key.as_str(), Some(options)).await {
                while let Ok(Some(response)) = stream.message().await {
                    if response.canceled() {
                        break;
                    }
                    for event in response.events() {
                        let Some(kv) = event.kv() else { continue };
                        from = from.max(kv.mod_revision() + 1);
                        let recreated = kv.create_revision() != guard.create_revision;
                        if event.event_type() == EventType::Delete || recreated {
                            return Err(ElectionError::Lost(format!("leader key {} deleted", guard.key)));
                        }
                    }
                }
            }
            // The watch broke (or history was compacted): check the key directly, then rewatch.
            let mut client = self.registry.client();
            if let Ok(Ok(now)) =
                tokio::time::timeout(self.registry.request_timeout(), client.get(guard.key.as_str(), None)).await
            {
                if now.kvs().first().is_none_or(|kv| kv.create_revision() != guard.create_revision) {
                    return Err(ElectionError::Lost(format!("leader key {} gone", guard.key)));
                }
                from = now.header().map_or(from, |h| h.revision() + 1);
            }
            sleep(Duration::from_millis(200)).await;
        }
    }

    fn step_down(&self, leadership: &Leadership) {
        self.role.send_if_modified(|role| match role {
            Role::Leader(current) if current.epoch == leadership.epoch => {
                *role = Role::Standby { leader: None };
                true
            }
            _ => false,
        });
    }
}

/// The current leader of the world's election, if any (for any process, candidate or not).
pub async fn current_leader(registry: &EtcdRegistry) -> Result<Option<LeaderInfo>, ElectionError> {
    let mut election = registry.client().election_client();
    match election.leader(registry.keys().election()).await {
        Ok(response) => Ok(response.kv().and_then(leader_info)),
        Err(error) if error.to_string().contains("no leader") => Ok(None),
        Err(error) => Err(ElectionError::Etcd(error.to_string())),
    }
}

fn leader_info(kv: &etcd_client::KeyValue) -> Option<LeaderInfo> {
    let epoch = Epoch(u64::try_from(kv.create_revision()).ok()?);
    Some(LeaderInfo { candidate: String::from_utf8_lossy(kv.value()).into_owned(), epoch })
}

//! How the coordinator writes a cell's new owner: [`RegistryWriter`] (a plain registry write, the
//! local world's sole coordinator and tests) or [`LeaderWriter`] (a transaction guarded by the
//! leader key on etcd, so a deposed leader cannot write).

use crate::election::{Election, ElectionError, Leadership};
use mmo_cluster::{Registry, RegistryError, Reshaping};
use mmo_world::{CellId, Epoch, ZoneId};
use std::future::Future;
use std::sync::Arc;
use tracing::info;

/// Why a write did not happen.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// This replica no longer leads: nothing was written.
    #[error("not the leader")]
    NotLeader,
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Election(ElectionError),
}

impl From<ElectionError> for WriteError {
    fn from(error: ElectionError) -> Self {
        match error {
            ElectionError::NotLeader | ElectionError::Lost(_) => WriteError::NotLeader,
            ElectionError::Registry(e) => WriteError::Registry(e),
            other => WriteError::Election(other),
        }
    }
}

/// Writes cell owners for the coordinator.
pub trait CellWriter: Send + Sync {
    /// Makes `to` the owner of `cell` (taken from `from`, or from nobody); returns the new
    /// epoch. `migration`: `from` is alive and hands the cell over (else `to` starts it afresh).
    fn write(
        &self,
        cell: CellId,
        from: Option<ZoneId>,
        to: ZoneId,
        migration: bool,
    ) -> impl Future<Output = Result<Epoch, WriteError>> + Send;

    /// Writes a split or a merge; returns the new cells' epoch.
    fn reshape(&self, reshaping: &Reshaping) -> impl Future<Output = Result<Epoch, WriteError>> + Send;
}

/// Plain registry writes: the local world's sole coordinator and tests. Zones learn the new
/// owner from the registry, as they do from an elected leader's writes.
#[derive(Debug)]
pub struct RegistryWriter<R> {
    registry: Arc<R>,
}

impl<R: Registry> RegistryWriter<R> {
    pub fn new(registry: Arc<R>) -> Self {
        RegistryWriter { registry }
    }
}

impl<R: Registry> CellWriter for RegistryWriter<R> {
    async fn write(
        &self,
        cell: CellId,
        from: Option<ZoneId>,
        to: ZoneId,
        migration: bool,
    ) -> Result<Epoch, WriteError> {
        let epoch = self.registry.assign(cell, to).await?;
        info!(%cell, ?from, %to, %epoch, migration, "cell assigned");
        Ok(epoch)
    }

    async fn reshape(&self, reshaping: &Reshaping) -> Result<Epoch, WriteError> {
        Ok(self.registry.reshape(reshaping).await?)
    }
}

/// Writes guarded by the leadership this replica won: refused ([`WriteError::NotLeader`]) once
/// the leader key is gone. Zones in other processes learn the new owner from the registry.
#[derive(Debug)]
pub struct LeaderWriter<'a> {
    election: &'a Election,
    leadership: Leadership,
}

impl<'a> LeaderWriter<'a> {
    pub fn new(election: &'a Election, leadership: Leadership) -> Self {
        LeaderWriter { election, leadership }
    }
}

impl CellWriter for LeaderWriter<'_> {
    async fn write(
        &self,
        cell: CellId,
        from: Option<ZoneId>,
        to: ZoneId,
        migration: bool,
    ) -> Result<Epoch, WriteError> {
        let epoch = self.election.assign_as_leader(&self.leadership, cell, to).await?;
        info!(%cell, ?from, %to, %epoch, migration, leader_epoch = %self.leadership.epoch(), "cell assigned as leader");
        Ok(epoch)
    }

    async fn reshape(&self, reshaping: &Reshaping) -> Result<Epoch, WriteError> {
        Ok(self.election.reshape_as_leader(&self.leadership, reshaping).await?)
    }
}

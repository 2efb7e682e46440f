//! The one way a coordinator is hosted, in the local world (`mmo-local`: in-memory registry, the
//! sole coordinator) and as its own process (`mmo-coordinator run`: etcd, elected among
//! replicas): [`CoordinatorHost::new`] makes the service, [`CoordinatorHost::api_routes`] gives
//! the operators' API and dashboard (served by the caller: on the coordinator's own listener, or
//! on the local world's gateway), [`CoordinatorHost::run`] runs the rebalancing loop in the role
//! the [`Candidacy`] gives it until shutdown.

use crate::api::{self, ApiState};
use crate::auth::ApiToken;
use crate::election::{Election, Role};
use crate::service::{Coordinator, LeaderView, ServiceConfig, ServiceHandle};
use crate::writer::{LeaderWriter, RegistryWriter};
use axum::Router;
use mmo_cluster::{Event, EventKind, Registry};
use mmo_world::{unix_ms, Epoch, WorldGeometry};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::watch;
use tracing::{info, warn, Instrument};

/// How this replica comes to lead.
#[derive(Debug)]
pub enum Candidacy {
    /// The only coordinator of the world (the local world): it leads from the start and writes
    /// plainly.
    Sole { name: String },
    /// One of several replicas (etcd): it leads while it holds the election's leader key and
    /// writes through transactions guarded by it; otherwise it stands by.
    Elected(Election),
}

/// A coordinator replica, ready to run.
#[derive(Debug)]
pub struct CoordinatorHost<R> {
    registry: Arc<R>,
    coordinator: Coordinator<R>,
    service: ServiceHandle,
    candidacy: Candidacy,
    geometry: WorldGeometry,
}

impl<R: Registry + 'static> CoordinatorHost<R> {
    pub fn new(registry: Arc<R>, config: ServiceConfig, candidacy: Candidacy) -> Self {
        let geometry = config.geometry;
        let (coordinator, service) = Coordinator::new(registry.clone(), config);
        CoordinatorHost { registry, coordinator, service, candidacy, geometry }
    }

    /// The service's handle (status, operators' moves).
    pub fn service(&self) -> ServiceHandle {
        self.service.clone()
    }

    /// `/api/state`, `/api/events`, `/api/move-cell`, `/api/drain`, and `/dashboard` when
    /// `client_dir` holds the built page; with `token`, moves and drains require it.
    pub fn api_routes(&self, client_dir: Option<PathBuf>, token: Option<ApiToken>) -> Router {
        let state =
            ApiState { registry: self.registry.clone(), service: self.service.clone(), geometry: self.geometry };
        api::routes(state, client_dir, token)
    }

    /// Runs until `shutdown`: leads (the policy's moves and operators' moves) while the
    /// candidacy gives it the lead, stands by (operators' moves refused, naming the leader)
    /// otherwise.
    pub async fn run(self, shutdown: watch::Receiver<bool>) {
        let CoordinatorHost { registry, mut coordinator, service, candidacy, .. } = self;
        match candidacy {
            Candidacy::Sole { name } => {
                service.set_leader(Some(LeaderView { name: name.clone(), epoch: Epoch(0) }));
                let elected = EventKind::LeaderElected { leader: name, epoch: Epoch(0) };
                if let Err(error) = registry.log_event(Event { at_unix_ms: unix_ms(), kind: elected }).await {
                    warn!(%error, "could not log the leader");
                }
                let writer = RegistryWriter::new(registry);
                if let Err(error) = coordinator.lead(&writer, stopped(shutdown)).await {
                    warn!(%error, "the coordinator stopped");
                }
            }
            Candidacy::Elected(election) => {
                let roles = drive(&election, &mut coordinator, &service, shutdown.clone());
                tokio::join!(election.run(stopped(shutdown)), roles);
            }
        }
        info!("coordinator stopped");
    }
}

/// Runs the service in the role the election gives this replica, until shutdown.
async fn drive<R: Registry>(
    election: &Election,
    coordinator: &mut Coordinator<R>,
    service: &ServiceHandle,
    shutdown: watch::Receiver<bool>,
) {
    let mut roles = election.role();
    while !*shutdown.borrow() {
        let role = roles.borrow_and_update().clone();
        let changed = role_changed(&roles, &shutdown);
        match role {
            Role::Leader(leadership) => {
                service.set_leader(Some(leadership.info().into()));
                let writer = LeaderWriter::new(election, leadership);
                let leading = coordinator.lead(&writer, changed).instrument(tracing::info_span!("leading"));
                if let Err(error) = leading.await {
                    warn!(%error, "stopped leading; standing by until the election notices");
                    coordinator.stand_by(role_changed(&roles, &shutdown)).await;
                }
            }
            Role::Standby { leader } => {
                service.set_leader(leader.map(Into::into));
                coordinator.stand_by(changed).await;
            }
        }
    }
}

/// Completes when the role changes or at shutdown.
fn role_changed(
    roles: &watch::Receiver<Role>,
    shutdown: &watch::Receiver<bool>,
) -> impl std::future::Future<Output = ()> {
    let (mut roles, mut shutdown) = (roles.clone(), shutdown.clone());
    async move {
        tokio::select! {
            _ = roles.changed() => {}
            _ = shutdown.wait_for(|s| *s) => {}
        }
    }
}

/// Completes at shutdown.
async fn stopped(mut shutdown: watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|s| *s).await;
}

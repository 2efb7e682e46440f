//! The one way a gateway is hosted, in the local world (`mmo-local`: in-memory registry, zones
//! in process) and as its own process (`mmo-gateway`: etcd, zone links over TLS):
//! [`GatewayHost::start`] makes the gateway on the listeners its caller bound, registers it under a lease (its address, its
//! WebTransport certificate, its zone-link certificate and the URLs clients connect to, which
//! the other gateways hand out while they drain) and reads the registry's zones once;
//! [`GatewayHost::run`] serves players until shutdown or until the lease is lost;
//! [`GatewayHost::drain_handle`] drains it before the shutdown (see [`crate::drain`]). What differs
//! between the modes is what the caller passes: the [`Registry`] and the [`ZoneConnector`].

use crate::server::{Gateway, GatewayConfig, GatewayError, Listeners};
use metrics_exporter_prometheus::PrometheusHandle;
use mmo_cluster::follow::{Follower, ZoneFollower};
use mmo_cluster::{
    register_after_previous_run, CertHash, GatewayInfo, Lease, Registry, RegistryError, ZoneConnector, ZoneDirectory,
};
use mmo_world::GatewayId;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::watch;
use tracing::{info, warn, Instrument};

/// Why a hosted gateway could not start or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    #[error("registry: {0}")]
    Registry(#[from] RegistryError),
    #[error("gateway {0} lost its lease; it stopped serving")]
    LeaseLost(GatewayId),
}

/// A gateway bound and registered, ready to run.
#[derive(Debug)]
pub struct GatewayHost<R> {
    id: GatewayId,
    registry: R,
    gateway: Gateway,
    lease: Lease,
    /// The record registered under the lease (rewritten once draining starts).
    info: GatewayInfo,
    zones: ZoneFollower,
}

impl<R: Registry + Clone + 'static> GatewayHost<R> {
    /// Makes the gateway on the caller's `listeners`, registers it under a lease of
    /// `lease_ttl`, and reads the registry's zones once, so it can place players as soon as this
    /// returns.
    pub async fn start(
        registry: R,
        config: GatewayConfig,
        listeners: Listeners,
        connector: ZoneConnector,
        metrics: Option<PrometheusHandle>,
        lease_ttl: Duration,
    ) -> Result<Self, HostError> {
        let (id, run, max_sessions) = (config.id, config.run, config.max_sessions);
        let directory = ZoneDirectory::default();
        let config = GatewayConfig { peers: Some(crate::peers::Peers::from_registry(registry.clone())), ..config };
        let gateway = Gateway::new(config, listeners, directory.clone(), registry.watch(), metrics)?;
        let public = gateway.public();
        let info = GatewayInfo {
            id,
            address: public.registry_address(gateway.http_addr()),
            webtransport_url: public.registered_webtransport_url(gateway.quic_addr()),
            websocket_url: public.registered_websocket_url(gateway.http_addr(), gateway.https()),
            cert_hash: gateway.cert_hash(),
            link_cert_hash: connector.identity().map(|i| i.hash()).unwrap_or_default(),
            capacity: u32::try_from(max_sessions).unwrap_or(u32::MAX),
            draining: false,
            run,
        };
        // Registered before following: zones accept the gateway's link certificate once they
        // see it in the registry.
        let lease =
            register_after_previous_run(lease_ttl, || registry.register_gateway(info.clone(), lease_ttl)).await?;
        info!(gateway = %id, http = %gateway.http_addr(), lease = %lease.id(), "gateway registered");
        let follower = Follower { connector, local: None, changes: None, trusted: None };
        let mut zones = ZoneFollower::new(directory, follower);
        zones.refresh(&registry).await;
        Ok(GatewayHost { id, registry, gateway, lease, info, zones })
    }

    /// Serves `routes` on the gateway's HTTP listener too (the local world's operator API).
    pub fn with_routes(mut self, routes: axum::Router) -> Self {
        self.gateway = self.gateway.with_routes(routes);
        self
    }

    pub fn http_addr(&self) -> SocketAddr {
        self.gateway.http_addr()
    }

    pub fn quic_addr(&self) -> SocketAddr {
        self.gateway.quic_addr()
    }

    /// Whether the HTTP listener speaks TLS (a real certificate was given).
    pub fn https(&self) -> bool {
        self.gateway.https()
    }

    /// Drains the gateway: no logins, players asked to move (see [`crate::drain`]).
    pub fn drain_handle(&self) -> crate::drain::DrainHandle {
        self.gateway.drain_handle()
    }

    /// The WebTransport certificate's SHA-256 (browsers pin it in development).
    pub fn cert_hash(&self) -> CertHash {
        self.gateway.cert_hash()
    }

    /// Serves until `shutdown` (then closes every session with `ShuttingDown` and revokes the
    /// lease) or until the lease is lost (then stops serving and returns the error). Everything
    /// it started has ended when it returns.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) -> Result<(), HostError> {
        let GatewayHost { id, registry, gateway, lease, info, zones } = self;
        let drain = gateway.drain_handle();
        let span = tracing::info_span!("gateway_host", gateway = %id);
        let (stop, stopped) = watch::channel(false);
        let follow = {
            let (registry, stopped) = (registry.clone(), stopped.clone());
            async move { zones.run(&registry, stopped).await }
        };
        let serve = gateway.run(stopped.clone());
        let kept = async {
            let lost = tokio::select! {
                lost = registry.keep_alive(&lease) => Some(match lost { Err(error) => error, Ok(never) => match never {} }),
                _ = shutdown.wait_for(|s| *s) => None,
            };
            let _ = stop.send(true);
            lost
        };
        // Once draining, the record says so: other draining gateways no longer send players here.
        let mark = async {
            let mut stopped = stopped.clone();
            let draining = tokio::select! {
                () = drain.started() => true,
                _ = stopped.wait_for(|s| *s) => false,
            };
            if draining {
                mark_draining(&registry, &lease, info).await;
            }
        };
        let (served, (), lost, ()) = async { tokio::join!(serve, follow, kept, mark) }.instrument(span).await;
        served?;
        if let Some(error) = lost {
            warn!(gateway = %id, %error, "lease lost: the gateway stopped");
            return Err(HostError::LeaseLost(id));
        }
        if let Err(error) = registry.revoke(&lease).await {
            warn!(gateway = %id, %error, "could not revoke the lease");
        }
        info!(gateway = %id, "gateway stopped and deregistered");
        Ok(())
    }
}

/// Rewrites the gateway's record as draining (a failure is logged: the gateway drains anyway,
/// and a draining peer may still name it for a while).
async fn mark_draining<R: Registry>(registry: &R, lease: &Lease, info: GatewayInfo) {
    let id = info.id;
    match registry.update_gateway(lease, GatewayInfo { draining: true, ..info }).await {
        Ok(()) => info!(gateway = %id, "marked draining in the registry"),
        Err(error) => warn!(gateway = %id, %error, "could not mark the gateway draining in the registry"),
    }
}

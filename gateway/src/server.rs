//! Binding and running a gateway: the HTTP listener, the WebTransport endpoint, the cell pump
//! and the sessions, all stopped by one shutdown signal.

use crate::cells::{run_pump, CellCache};
use crate::cert::{CertError, ServerCertificate};
use crate::http::{router, HttpState};
use crate::https::TlsListener;
use crate::public::PublicAddresses;
use crate::session;
use crate::state::GatewayState;
use crate::terrain::TerrainCache;
use crate::transport::accept::{Acceptor, AddressValidation};
use crate::transport::webtransport::{bind_udp, endpoint, EndpointError, WebTransportClient};
use metrics_exporter_prometheus::PrometheusHandle;
use mmo_cluster::registry::AssignmentTable;
use mmo_cluster::ZoneDirectory;
use mmo_protocol::{CellFrame, WorldInfo};
use mmo_world::{GatewayId, GatewayRun, Terrain};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tracing::{info, info_span, warn, Instrument};

/// How long shutdown waits for sessions to say goodbye.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(3);

/// The sockets a gateway serves on, bound by its caller (tests bind port 0 and read the
/// addresses back from the gateway).
#[derive(Debug)]
pub struct Listeners {
    /// The page, `/api/*`, the WebSocket fallback, `/metrics`, `/livez`, `/readyz`.
    pub http: TcpListener,
    /// WebTransport (QUIC).
    pub quic: std::net::UdpSocket,
}

impl Listeners {
    /// Binds both: TCP `http`, UDP `quic` (an IPv6 wildcard also serves IPv4) with large
    /// socket buffers.
    pub async fn bind(http: SocketAddr, quic: SocketAddr) -> Result<Self, GatewayError> {
        let tcp = TcpListener::bind(http).await.map_err(|source| GatewayError::Http { addr: http, source })?;
        Ok(Listeners { http: tcp, quic: bind_udp(quic)? })
    }
}

/// A gateway's settings.
#[derive(Clone, Debug)]
pub struct GatewayConfig {
    pub id: GatewayId,
    /// This start of the gateway (`GatewayRun::start`): registered with it, and held by its
    /// online claims, so that a gateway restarted under its id is told from its previous run.
    pub run: u64,
    /// Whether new QUIC connections prove their address with a Retry first.
    pub address_validation: AddressValidation,
    /// The built browser client to serve at `/`.
    pub client_dir: Option<PathBuf>,
    pub max_sessions: usize,
    /// How long a session may stay at the login form.
    pub login_timeout: std::time::Duration,
    /// How many start points new characters spread over (1: the middle of the world).
    pub start_points: u32,
    pub seed: u64,
    pub world: WorldInfo,
    /// The player store and the session-token key.
    pub accounts: crate::accounts::Accounts,
    /// Where the world's gateways mark who is online (shared by all of them: Redis).
    pub hot: mmo_store::AnyHot,
    /// The certificate of WebTransport and of HTTPS on the HTTP listener (`--tls-cert`,
    /// `--tls-key`); `None`: the self-signed development certificate, pinned by the page, and
    /// plain HTTP.
    pub certificate: Option<Arc<ServerCertificate>>,
    /// What players and the registry are told about where this gateway is.
    pub public: PublicAddresses,
    /// The world's other gateways, from the registry (`None` for a world of one gateway):
    /// where `/api/connect` sends clients while this one drains, and which gateways are gone
    /// (a name they held is free at once).
    pub peers: Option<crate::peers::Peers>,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GatewayError {
    #[error("cannot listen on TCP {addr}: {source}")]
    Http { addr: SocketAddr, source: std::io::Error },
    #[error(transparent)]
    WebTransport(#[from] EndpointError),
    #[error(transparent)]
    Certificate(#[from] CertError),
    #[error("cannot serve HTTPS with the certificate: {0}")]
    Https(rustls::Error),
}

/// The HTTP listener: plain TCP with the development certificate, TLS with a real one.
#[derive(Debug)]
enum HttpListener {
    Plain(TcpListener),
    Tls(TlsListener),
}

impl HttpListener {
    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        match self {
            HttpListener::Plain(tcp) => tcp.local_addr(),
            HttpListener::Tls(tls) => axum::serve::Listener::local_addr(tls),
        }
    }
}

/// A gateway with its sockets bound, ready to run.
pub struct Gateway {
    http: HttpListener,
    webtransport: Acceptor,
    state: Arc<GatewayState>,
    frames: mpsc::Receiver<Arc<CellFrame>>,
    /// The development certificate's hash, which the page pins; `None` with a real certificate.
    pinned_hash_hex: Option<String>,
    cert_hash: mmo_cluster::CertHash,
    public: PublicAddresses,
    client_dir: Option<PathBuf>,
    metrics: Option<PrometheusHandle>,
    /// Routes the embedding process adds (the local world's operator actions).
    extra_routes: Option<axum::Router>,
    /// The world's other gateways, named by `/api/connect` while this one drains.
    peers: Option<crate::peers::Peers>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway").field("id", &self.state.id).finish_non_exhaustive()
    }
}

impl Gateway {
    /// Makes the WebTransport endpoint on `listeners` with the configured certificate (or the
    /// development one), and HTTPS on the HTTP listener with a real certificate.
    pub fn new(
        config: GatewayConfig,
        listeners: Listeners,
        zones: ZoneDirectory,
        assignments: watch::Receiver<AssignmentTable>,
        metrics: Option<PrometheusHandle>,
    ) -> Result<Self, GatewayError> {
        let cert = match config.certificate {
            Some(cert) => cert,
            None => {
                let names = vec!["localhost".to_string(), "127.0.0.1".to_string(), "::1".to_string()];
                Arc::new(ServerCertificate::generate(&names)?)
            }
        };
        let http = if cert.pinned {
            HttpListener::Plain(listeners.http)
        } else {
            let tls = cert.server_config(&[b"http/1.1"]).map_err(GatewayError::Https)?;
            HttpListener::Tls(TlsListener::new(listeners.http, tls))
        };
        let webtransport = Acceptor::new(endpoint(listeners.quic, &cert)?, config.address_validation);
        let (cells, frames) = CellCache::new(config.id, zones, assignments, config.world.geometry);
        let terrain = TerrainCache::new(Terrain::new(config.seed, config.world.geometry));
        let start = crate::start::StartPoints::new(terrain.terrain(), config.world.geometry, config.start_points);
        let admission =
            crate::state::Admission { max_sessions: config.max_sessions, login_timeout: config.login_timeout, start };
        let me = GatewayRun { gateway: config.id, run: config.run };
        let parties = crate::party::Parties::new(config.hot.clone());
        let online = (crate::online::Online::new(config.hot, me, config.peers.clone()), parties);
        let state =
            Arc::new(GatewayState::new(config.id, config.world, cells, terrain, config.accounts, online, admission));
        Ok(Gateway {
            http,
            webtransport,
            state,
            frames,
            pinned_hash_hex: cert.pinned_hash_hex(),
            cert_hash: mmo_cluster::CertHash(cert.sha256()),
            public: config.public,
            client_dir: config.client_dir,
            metrics,
            extra_routes: None,
            peers: config.peers,
        })
    }

    /// Serves `routes` on the HTTP listener too, next to the gateway's own.
    pub fn with_routes(mut self, routes: axum::Router) -> Self {
        self.extra_routes = Some(routes);
        self
    }

    pub fn http_addr(&self) -> SocketAddr {
        self.http.local_addr().expect("bound listener")
    }

    /// The SHA-256 of the development certificate (64 hex digits), which browsers pin; `None`
    /// with a real certificate.
    pub fn pinned_hash_hex(&self) -> Option<&str> {
        self.pinned_hash_hex.as_deref()
    }

    /// What players and the registry are told about where this gateway is.
    pub fn public(&self) -> &PublicAddresses {
        &self.public
    }

    /// Whether the HTTP listener speaks TLS (a real certificate was given).
    pub fn https(&self) -> bool {
        matches!(self.http, HttpListener::Tls(_))
    }

    /// Drains this gateway (see [`crate::drain`]).
    pub fn drain_handle(&self) -> crate::drain::DrainHandle {
        crate::drain::DrainHandle::new(self.state.clone(), self.peers.clone())
    }

    /// The WebTransport certificate's SHA-256, as the registry keeps it.
    pub fn cert_hash(&self) -> mmo_cluster::CertHash {
        self.cert_hash
    }

    pub fn quic_addr(&self) -> SocketAddr {
        self.webtransport.local_addr().expect("bound endpoint")
    }

    /// Serves until `shutdown` turns true, then closes every session with `ShuttingDown`.
    pub async fn run(self, shutdown: watch::Receiver<bool>) -> Result<(), GatewayError> {
        let span = info_span!("gateway", gateway = %self.state.id);
        async move {
            let quic_port = self.quic_addr().port();
            let https = self.https();
            info!(http = %self.http_addr(), quic = %self.quic_addr(), "gateway listening");
            if self.peers.is_some() {
                self.state.online.inherit_previous_run().await;
            }
            let pump = tokio::spawn(run_pump(self.state.cells.clone(), self.frames, shutdown.clone()));
            let refresh = tokio::spawn(refresh_online(self.state.clone(), shutdown.clone()));
            let (abort, aborted) = watch::channel(false);
            let http_state = HttpState {
                abort: aborted,
                gateway: self.state.clone(),
                quic_port,
                pinned_hash_hex: self.pinned_hash_hex,
                public: self.public,
                https,
                peers: self.peers,
                metrics: self.metrics,
                shutdown: shutdown.clone(),
            };
            let app = router(http_state, self.client_dir);
            let app = match self.extra_routes {
                Some(extra) => extra.merge(app),
                None => app,
            };
            let http = tokio::spawn(serve_http(self.http, app, shutdown.clone()));
            let state = self.state.clone();
            accept_webtransport(self.webtransport, self.state, shutdown).await;
            let _ = http.await;
            // WebSocket sessions run outside the HTTP server's graceful shutdown: wait for them
            // too, so their last saves are done when the gateway returns; those that do not
            // close in time are dropped, and the gateway returns once they are gone.
            if tokio::time::timeout(DRAIN_TIMEOUT, state.sessions_closed()).await.is_err() {
                warn!("WebSocket sessions still open after the drain timeout; dropping them");
                let _ = abort.send(true);
                state.sessions_closed().await;
            }
            let _ = pump.await;
            let _ = refresh.await;
            info!("gateway stopped");
            Ok(())
        }
        .instrument(span)
        .await
    }
}

/// Serves `app` on the HTTP listener until `shutdown` ([`crate::http_serve`]).
async fn serve_http(listener: HttpListener, app: axum::Router, shutdown: watch::Receiver<bool>) {
    match listener {
        HttpListener::Plain(tcp) => {
            // Snapshots ride the WebSocket fallback: no Nagle delay on them.
            let tcp = axum::serve::ListenerExt::tap_io(tcp, |tcp| {
                let _ = tcp.set_nodelay(true);
            });
            crate::http_serve::serve(tcp, app, shutdown).await
        }
        HttpListener::Tls(tls) => crate::http_serve::serve(tls, app, shutdown).await,
    }
}

/// Refreshes this gateway's online marks until shutdown.
async fn refresh_online(state: Arc<GatewayState>, mut shutdown: watch::Receiver<bool>) {
    let mut every = tokio::time::interval(crate::online::REFRESH_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
        state.online.refresh(&state.names.all()).await;
    }
}

/// Accepts WebTransport sessions on `/play` until shutdown, then waits for them to close.
async fn accept_webtransport(mut server: Acceptor, state: Arc<GatewayState>, mut shutdown: watch::Receiver<bool>) {
    let mut sessions = JoinSet::new();
    loop {
        let request = tokio::select! {
            r = server.accept() => match r {
                Some(r) => r,
                None => break,
            },
            _ = shutdown.wait_for(|stop| *stop) => break,
            Some(_) = sessions.join_next(), if !sessions.is_empty() => continue,
        };
        let (state, shutdown) = (state.clone(), shutdown.clone());
        sessions.spawn(async move {
            if request.url.path() != "/play" {
                let _ = request.reject(axum::http::StatusCode::NOT_FOUND).await;
                return;
            }
            match request.ok().await {
                Ok(session) => session::serve(WebTransportClient::new(session), state, shutdown).await,
                Err(e) => warn!(error = %e, "WebTransport handshake failed"),
            }
        });
    }
    if tokio::time::timeout(DRAIN_TIMEOUT, async { while sessions.join_next().await.is_some() {} }).await.is_err() {
        warn!(left = sessions.len(), "sessions did not close in time; dropping them");
        sessions.shutdown().await;
    }
    server.close(0, b"shutdown");
}

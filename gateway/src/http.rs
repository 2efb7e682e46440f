//! The gateway's HTTP side (TCP, or TLS with a real certificate): the game page, how to
//! connect, the WebSocket fallback, and the operator endpoints `/livez`, `/readyz`, `/metrics`.
//! A draining gateway answers `/readyz` with 503, so load balancers send no more players, and
//! `/api/connect` with another gateway's connect info from the registry (503 when there is
//! none), so its clients move there.

use crate::peers::Peers;
use crate::public::PublicAddresses;
use crate::session;
use crate::state::GatewayState;
use crate::transport::websocket::{WebSocketClient, MAX_WS_MESSAGE};
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::PrometheusHandle;
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::watch;
use tower_http::services::{ServeDir, ServeFile};
use tracing::{debug, warn};

/// What the HTTP handlers need.
#[derive(Clone, Debug)]
pub struct HttpState {
    pub gateway: Arc<GatewayState>,
    pub quic_port: u16,
    /// The development certificate's hash the page pins; `None` with a real certificate.
    pub pinned_hash_hex: Option<String>,
    pub public: PublicAddresses,
    /// Whether the HTTP listener speaks TLS (WebSocket URLs are then `wss`).
    pub https: bool,
    /// The world's other gateways, named by `/api/connect` while draining; `None`: 503 then.
    pub peers: Option<Peers>,
    pub metrics: Option<PrometheusHandle>,
    pub shutdown: watch::Receiver<bool>,
    /// Turns true when shutdown stops waiting for WebSocket sessions to say goodbye: those still
    /// open are dropped then.
    pub abort: watch::Receiver<bool>,
}

/// The answer of `/api/connect`: this gateway's URLs, or while it drains another's; and the
/// world's other gateways that take players, where a client whose gateway stops answering
/// (killed: its `/api/connect` is gone with it) resumes its session.
#[derive(Debug, Serialize)]
struct ConnectInfo {
    protocol_version: u16,
    webtransport: Option<WebTransportInfo>,
    websocket: WebSocketInfo,
    others: Vec<PeerConnect>,
}

/// How to connect to another gateway directly.
#[derive(Debug, Serialize)]
struct PeerConnect {
    webtransport: Option<WebTransportInfo>,
    websocket: WebSocketInfo,
}

#[derive(Debug, Serialize)]
struct WebTransportInfo {
    url: String,
    /// `null` with a real certificate: the browser checks it against its CAs.
    cert_sha256_hex: Option<String>,
}

#[derive(Debug, Serialize)]
struct WebSocketInfo {
    /// Relative to the page's address (clients from before `url`).
    path: &'static str,
    /// Absolute: `ws://HOST:PORT/ws` (`wss://` over TLS).
    url: String,
}

impl ConnectInfo {
    /// Another gateway's connect info, from its registry record; its certificate hash is
    /// handed out to pin when this gateway's own is pinned (every gateway of a world has a
    /// development certificate, or none has).
    fn of_peer(peer: &mmo_cluster::GatewayInfo, pinned: bool, others: Vec<PeerConnect>) -> Self {
        let PeerConnect { webtransport, websocket } = PeerConnect::of(peer, pinned);
        ConnectInfo { protocol_version: mmo_protocol::PROTOCOL_VERSION, webtransport, websocket, others }
    }
}

impl PeerConnect {
    fn of(peer: &mmo_cluster::GatewayInfo, pinned: bool) -> Self {
        PeerConnect {
            webtransport: (!peer.webtransport_url.is_empty()).then(|| WebTransportInfo {
                url: peer.webtransport_url.clone(),
                cert_sha256_hex: pinned.then(|| peer.cert_hash.to_string()),
            }),
            websocket: WebSocketInfo { path: "/ws", url: peer.websocket_url.clone() },
        }
    }
}

/// The gateways other than this one that take players, to connect to directly (none without
/// a registry, or when it cannot be read).
async fn others(state: &HttpState) -> Vec<PeerConnect> {
    let Some(peers) = &state.peers else { return Vec::new() };
    match peers.others(state.gateway.id).await {
        Ok(others) => others.iter().map(|peer| PeerConnect::of(peer, state.pinned_hash_hex.is_some())).collect(),
        Err(error) => {
            warn!(gateway = %state.gateway.id, %error, "cannot read the other gateways");
            Vec::new()
        }
    }
}

/// Everyone online in the world (`[{"name": …, "gateway": …}]`, sorted by name); 503 while hot
/// state cannot be read.
async fn online(State(state): State<HttpState>) -> Response {
    match state.gateway.online.list().await {
        Ok(online) => {
            let rows: Vec<serde_json::Value> =
                online.iter().map(|s| serde_json::json!({ "name": s.name, "gateway": s.gateway.0 })).collect();
            Json(rows).into_response()
        }
        Err(error) => {
            (StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({ "error": error.to_string() }))).into_response()
        }
    }
}

/// The routes; the client's files from `client_dir` at `/` when given.
pub fn router(state: HttpState, client_dir: Option<PathBuf>) -> Router {
    let router = Router::new()
        .route("/api/connect", get(connect))
        .route("/api/online", get(online))
        .route("/ws", get(websocket))
        .route("/livez", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics));
    let router = match client_dir {
        Some(dir) => {
            let index = dir.join("index.html");
            router.fallback_service(ServeDir::new(dir).fallback(ServeFile::new(index)))
        }
        None => router,
    };
    router.with_state(state)
}

/// The host name the page was loaded from, without the port.
fn request_host(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
    match host.rfind(':') {
        Some(i) if !host[i..].contains(']') => host[..i].to_string(),
        _ => host.to_string(),
    }
}

/// The `Host` header as sent (with its port), else `fallback`.
fn request_authority(headers: &HeaderMap, fallback: &str) -> String {
    headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or(fallback).to_string()
}

async fn connect(State(state): State<HttpState>, headers: HeaderMap) -> Response {
    if state.gateway.drain.is_draining() {
        return elsewhere(&state).await;
    }
    let host = request_host(&headers);
    let authority = request_authority(&headers, &host);
    Json(ConnectInfo {
        protocol_version: mmo_protocol::PROTOCOL_VERSION,
        webtransport: Some(WebTransportInfo {
            url: state.public.webtransport_url(&host, state.quic_port),
            cert_sha256_hex: state.pinned_hash_hex.clone(),
        }),
        websocket: WebSocketInfo { path: "/ws", url: state.public.websocket_url(&authority, state.https) },
        others: others(&state).await,
    })
    .into_response()
}

/// The connect answer of a draining gateway: another gateway of the registry, else 503.
async fn elsewhere(state: &HttpState) -> Response {
    let Some(peers) = &state.peers else { return draining() };
    match peers.pick(state.gateway.id).await {
        Ok(Some(peer)) => {
            debug!(gateway = %state.gateway.id, to = %peer.id, "draining: a client is sent to another gateway");
            let pinned = state.pinned_hash_hex.is_some();
            let others = others(state).await.into_iter().filter(|o| o.websocket.url != peer.websocket_url).collect();
            Json(ConnectInfo::of_peer(&peer, pinned, others)).into_response()
        }
        Ok(None) => draining(),
        Err(error) => {
            warn!(gateway = %state.gateway.id, %error, "draining: cannot read the other gateways");
            draining()
        }
    }
}

/// The answer of a draining gateway that knows no other: try again elsewhere.
fn draining() -> Response {
    (StatusCode::SERVICE_UNAVAILABLE, "draining: connect through another gateway").into_response()
}

async fn websocket(State(state): State<HttpState>, upgrade: WebSocketUpgrade) -> Response {
    upgrade.max_message_size(MAX_WS_MESSAGE).on_upgrade(move |socket| async move {
        let mut abort = state.abort;
        tokio::select! {
            () = session::serve(WebSocketClient::new(socket), state.gateway, state.shutdown) => {}
            _ = abort.wait_for(|abort| *abort) => warn!("a WebSocket session did not close in time; dropped"),
        }
    })
}

async fn ready(State(state): State<HttpState>) -> Response {
    if state.gateway.drain.is_draining() {
        draining()
    } else if state.gateway.admission.start.cells().all(|cell| state.gateway.cells.owner(cell).is_some()) {
        (StatusCode::OK, "ready").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "no zone owns a start cell yet").into_response()
    }
}

async fn metrics(State(state): State<HttpState>) -> Response {
    match &state.metrics {
        Some(handle) => handle.render().into_response(),
        None => (StatusCode::NOT_FOUND, "metrics recorder not installed").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_without_port() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(request_host(&h), "127.0.0.1");
        h.insert(header::HOST, "[::1]:8080".parse().unwrap());
        assert_eq!(request_host(&h), "[::1]");
        h.insert(header::HOST, "localhost".parse().unwrap());
        assert_eq!(request_host(&h), "localhost");
        assert_eq!(request_authority(&h, "x"), "localhost");
        assert_eq!(request_authority(&HeaderMap::new(), "127.0.0.1"), "127.0.0.1");
    }

    #[test]
    fn a_peer_is_handed_out_with_its_own_urls_and_certificate() {
        let peer = mmo_cluster::GatewayInfo {
            id: mmo_world::GatewayId(2),
            address: "127.0.0.1:8081".into(),
            cert_hash: mmo_cluster::CertHash([0xab; 32]),
            link_cert_hash: mmo_cluster::CertHash::default(),
            capacity: 10,
            webtransport_url: "https://127.0.0.1:4434/play".into(),
            websocket_url: "ws://127.0.0.1:8081/ws".into(),
            draining: false,
            run: 0,
        };
        let json = serde_json::to_value(ConnectInfo::of_peer(&peer, true, Vec::new())).unwrap();
        assert_eq!(json["webtransport"]["url"], "https://127.0.0.1:4434/play");
        assert_eq!(json["webtransport"]["cert_sha256_hex"], "ab".repeat(32));
        assert_eq!(json["websocket"]["url"], "ws://127.0.0.1:8081/ws");
        assert_eq!(json["websocket"]["path"], "/ws");
        let json = serde_json::to_value(ConnectInfo::of_peer(&peer, false, Vec::new())).unwrap();
        assert!(json["webtransport"]["cert_sha256_hex"].is_null(), "a real certificate is not pinned");
        let old = mmo_cluster::GatewayInfo { webtransport_url: String::new(), ..peer };
        assert!(serde_json::to_value(ConnectInfo::of_peer(&old, true, Vec::new())).unwrap()["webtransport"].is_null());
    }
}

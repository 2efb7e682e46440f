//! What the multi-process tests share: where the service binaries are, bounded waits, and a
//! WebSocket login.

#![allow(dead_code)]

use mmo_loadtest::client::{Client, Event, Trust};
use mmo_protocol::{ClientControl, ErrorCode, ServerControl, PROTOCOL_VERSION};
use mmo_world::EntityId;
use std::path::PathBuf;
use std::time::Duration;

/// Bound on waiting for things that should happen within seconds (a hang must not stall CI).
pub const PATIENCE: Duration = Duration::from_secs(60);

/// Where `mmo-zone`, `mmo-gateway` and `mmo-coordinator` are: `$MMO_BIN_DIR`, else next to the
/// test's target directory (`cargo build --bins`).
pub fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("MMO_BIN_DIR") {
        return dir.into();
    }
    // target/<profile>/deps/<test> -> target/<profile>
    let exe = std::env::current_exe().expect("test executable");
    exe.parent().and_then(|d| d.parent()).expect("target directory").to_path_buf()
}

pub async fn within<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, f).await.unwrap_or_else(|_| panic!("{what}: nothing within {PATIENCE:?}"))
}

/// The WebSocket URL of a gateway whose play URL is `play`.
pub fn websocket_url(play: &str) -> String {
    let url = url::Url::parse(play).expect("play URL");
    format!("ws://{}:{}/ws", url.host_str().unwrap(), url.port().unwrap())
}

/// Logs in as guest `name` over WebSocket; the client and its entity, or the error code.
pub async fn login(ws: &str, name: &str) -> Result<(Client, EntityId), ErrorCode> {
    let mut client = Client::websocket(ws, &Trust::default()).await.expect("websocket");
    client.send_control(&ClientControl::Hello { version: PROTOCOL_VERSION }).await.unwrap();
    client.send_control(&ClientControl::Login { name: name.into(), password: None }).await.unwrap();
    loop {
        match client.recv().await.unwrap() {
            Event::Control(ServerControl::Joined { entity, .. }) => return Ok((client, entity)),
            Event::Control(ServerControl::Error { code }) => return Err(code),
            Event::Closed(code) => panic!("closed before joining: {code:?}"),
            _ => {}
        }
    }
}

/// Whether `/api/online` of the gateway at `play` lists at least `bots` load-test bots (the
/// world's players, on any gateway).
pub async fn bots_online(play: &url::Url, bots: usize) -> bool {
    let Ok(body) = mmo_loadtest::client::http_get(play, "/api/online", &Trust::default()).await else { return false };
    let rows: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap_or_default();
    rows.iter().filter(|r| r["name"].as_str().is_some_and(|n| n.starts_with("lt"))).count() >= bots
}

/// How many load-test bots `/api/online` of the gateway at `play` lists on `gateway`.
pub async fn bots_on(play: &url::Url, gateway: u64) -> usize {
    let Ok(body) = mmo_loadtest::client::http_get(play, "/api/online", &Trust::default()).await else { return 0 };
    let rows: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap_or_default();
    rows.iter()
        .filter(|r| r["name"].as_str().is_some_and(|n| n.starts_with("lt")) && r["gateway"].as_u64() == Some(gateway))
        .count()
}

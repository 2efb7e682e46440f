//! A zone runtime serving its link on a real socket, and what the link tests do with it.
#![allow(dead_code)] // Each test file uses its part.

use mmo_cluster::net::{self, LinkIdentity, LinkServer};
use mmo_cluster::{ZoneHandle, ZoneInfo};
use mmo_test_services::wait::wait_for;
use mmo_world::{TickClock, WorldGeometry, ZoneId};
use mmo_zone::core::ZoneConfig;
use mmo_zone::runtime::ZoneLinks;
use mmo_zone::ZoneRuntime;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

pub const ZONE: ZoneId = ZoneId(1);
/// Generous bound on waiting for something that should come within a few ticks (not a timed
/// assertion: a hang would otherwise stall CI).
pub const PATIENCE: Duration = Duration::from_secs(20);

pub struct Running {
    pub local: ZoneHandle,
    pub addr: SocketAddr,
    /// The zone's link certificate.
    pub identity: Arc<LinkIdentity>,
    /// A member the zone trusts (as if registered).
    pub member: Arc<LinkIdentity>,
    /// Whom the zone trusts.
    pub trusted: net::TrustedPeers,
    pub stop_server: watch::Sender<bool>,
    _stop_zone: watch::Sender<bool>,
}

impl Running {
    /// The zone as the registry has it.
    pub fn info(&self) -> ZoneInfo {
        ZoneInfo { id: ZONE, address: self.addr.to_string(), cert_hash: self.identity.hash(), capacity: 100 }
    }

    /// A remote handle of the trusted member.
    pub fn connect(&self) -> ZoneHandle {
        dial(&self.info(), &self.member)
    }
}

/// A remote handle to the zone registered as `info`, its link driven by a task of the test.
pub fn dial(info: &ZoneInfo, member: &LinkIdentity) -> ZoneHandle {
    let (handle, driver) = net::connect(info, member).unwrap();
    tokio::spawn(driver);
    handle
}

pub async fn start_zone() -> Running {
    let geometry = WorldGeometry::default();
    let (local, commands) = ZoneHandle::channel(ZONE, 1024);
    let config = ZoneConfig { zone: ZONE, seed: 7, geometry, npcs_per_cell: 0, npc_brain: Default::default() };
    let clock = TickClock { epoch_ms: 1_767_225_600_000, tick_ms: TickClock::DEFAULT_TICK_MS };
    let (stop_zone, zone_shutdown) = watch::channel(false);
    let ids = mmo_world::SerialBlock::from_start(1, 1 << 20);
    tokio::spawn(ZoneRuntime::new(config, ids, commands, clock, ZoneLinks::alone()).run(zone_shutdown));
    let identity = Arc::new(LinkIdentity::generate().unwrap());
    let member = Arc::new(LinkIdentity::generate().unwrap());
    let (stop_server, addr, trusted) =
        serve(local.clone(), "127.0.0.1:0".parse().unwrap(), &identity, &member).await.unwrap();
    Running { local, addr, identity, member, trusted, stop_server, _stop_zone: stop_zone }
}

/// Serves `zone`'s link on `addr` as `identity`, trusting `member`.
pub async fn serve(
    zone: ZoneHandle,
    addr: SocketAddr,
    identity: &Arc<LinkIdentity>,
    member: &LinkIdentity,
) -> Result<(watch::Sender<bool>, SocketAddr, net::TrustedPeers), net::BindError> {
    let server = LinkServer::bind(addr, identity.clone()).await?;
    server.trusted().set([member.hash()]);
    let (addr, trusted) = (server.local_addr(), server.trusted());
    let (stop, shutdown) = watch::channel(false);
    tokio::spawn(server.run(zone, shutdown));
    Ok((stop, addr, trusted))
}

pub async fn within<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, f).await.unwrap_or_else(|_| panic!("{what}: nothing within {PATIENCE:?}"))
}

/// The zone's report, once `remote` gets an answer (it is reconnecting, or not trusted yet).
pub async fn answered(what: &str, remote: &ZoneHandle) -> mmo_records::ZoneReport {
    wait_for(what, PATIENCE, || async { remote.inspect().await.ok() }).await
}

/// Serves the zone's link again on its address (after `stop_server`), retrying while the old
/// socket is released.
pub async fn serve_again(zone: &Running) -> watch::Sender<bool> {
    let (stop, addr, _) = within("rebinding", async {
        loop {
            match serve(zone.local.clone(), zone.addr, &zone.identity, &zone.member).await {
                Ok(served) => return served,
                Err(_) => tokio::task::yield_now().await,
            }
        }
    })
    .await;
    assert_eq!(addr, zone.addr);
    stop
}

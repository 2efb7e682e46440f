//! How a member reaches a zone it found in the registry: [`ZoneConnector::Tls`] dials the
//! zone's registered address over TLS (the multi-process mode, [`crate::net`]);
//! [`ZoneConnector::InProcess`] finds it among the zones hosted in the same process
//! ([`LocalZones`], the local world), optionally behind a simulated network latency. The rest of
//! a service (the zone runtime's links, the gateway's cell cache) only sees [`ZoneHandle`]s and
//! cannot tell the two apart.
//!
//! Nothing is spawned here: a connection that needs a task to carry its commands returns it as
//! a driver, which the caller runs ([`crate::follow::follow_zones`] keeps them in its own task set).

use crate::directory::ZoneDirectory;
use crate::link::{ZoneCommand, ZoneHandle};
use crate::net::tls::{LinkIdentity, TlsError};
use crate::records::ZoneInfo;
use futures::future::BoxFuture;
use futures::FutureExt;
use mmo_world::ZoneId;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// The address an in-process zone registers (there is no socket to name).
pub fn in_process_address(zone: ZoneId) -> String {
    format!("in-process:{zone}")
}

/// Commands on their way to a zone behind a simulated latency, at most.
const DELAYED_QUEUE: usize = 16 * 1024;

/// How a member reaches the zones it finds in the registry.
#[derive(Clone, Debug)]
pub enum ZoneConnector {
    /// Over TLS, presenting this member's link certificate and pinning the zone's.
    Tls(Arc<LinkIdentity>),
    /// In this process.
    InProcess(LocalZones),
}

/// Why a zone could not be reached.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// An in-process member found a zone that this process does not host.
    #[error("{0} is not hosted in this process")]
    NotInProcess(ZoneId),
}

/// A zone's handle, and the task that carries its commands (run it while the handle is used;
/// it ends when every clone of the handle is dropped).
pub struct Connection {
    pub handle: ZoneHandle,
    pub driver: Option<BoxFuture<'static, ()>>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").field("handle", &self.handle).field("driver", &self.driver.is_some()).finish()
    }
}

impl ZoneConnector {
    /// Reaches the zone registered as `info`.
    pub fn connect(&self, info: &ZoneInfo) -> Result<Connection, ConnectError> {
        match self {
            ZoneConnector::Tls(identity) => {
                let (handle, driver) = crate::net::connect(info, identity)?;
                Ok(Connection { handle, driver: Some(driver.boxed()) })
            }
            ZoneConnector::InProcess(local) => local.connect(info.id),
        }
    }

    /// This member's link certificate (none in process: nothing to present).
    pub fn identity(&self) -> Option<&Arc<LinkIdentity>> {
        match self {
            ZoneConnector::Tls(identity) => Some(identity),
            ZoneConnector::InProcess(_) => None,
        }
    }
}

/// The zones hosted in this process, by id: each zone host publishes its handle here when it
/// registers and withdraws it when it stops. Every clone sees the same set.
#[derive(Clone, Debug, Default)]
pub struct LocalZones {
    zones: ZoneDirectory,
    latency: Duration,
}

impl LocalZones {
    /// In-process zones whose commands to each other (and from gateways) arrive `latency`
    /// later, in order, as over a network between servers (zero: at once).
    pub fn with_latency(latency: Duration) -> Self {
        LocalZones { zones: ZoneDirectory::default(), latency }
    }

    /// Makes a zone of this process reachable.
    pub fn publish(&self, handle: ZoneHandle) {
        self.zones.insert(handle);
    }

    /// Makes a stopped zone unreachable.
    pub fn withdraw(&self, zone: ZoneId) {
        self.zones.remove(zone);
    }

    /// The handles of the zones hosted here (for the local world's operator handle).
    pub fn handles(&self) -> Vec<ZoneHandle> {
        self.zones.ids().into_iter().filter_map(|id| self.zones.get(id)).collect()
    }

    fn connect(&self, zone: ZoneId) -> Result<Connection, ConnectError> {
        let handle = self.zones.get(zone).ok_or(ConnectError::NotInProcess(zone))?;
        if self.latency.is_zero() {
            return Ok(Connection { handle, driver: None });
        }
        let (front, driver) = delayed(handle, self.latency);
        Ok(Connection { handle: front, driver: Some(driver.boxed()) })
    }
}

/// A handle whose commands reach `to` after `latency`, in the order they were sent, and the
/// driver that carries them. A full delay line holds the sender back (backpressure, as a full
/// zone queue does) and is counted in `mmo_link_delay_queue_full_total`.
fn delayed(to: ZoneHandle, latency: Duration) -> (ZoneHandle, impl Future<Output = ()> + Send + 'static) {
    let (front, mut commands) = ZoneHandle::channel(to.zone, DELAYED_QUEUE);
    let (timed_tx, mut timed) = mpsc::channel::<(Instant, ZoneCommand)>(DELAYED_QUEUE);
    let stamp = async move {
        while let Some(cmd) = commands.recv().await {
            let due = (Instant::now() + latency, cmd);
            let sent = match timed_tx.try_send(due) {
                Ok(()) => Ok(()),
                Err(mpsc::error::TrySendError::Full(due)) => {
                    metrics::counter!("mmo_link_delay_queue_full_total").increment(1);
                    timed_tx.send(due).await.map_err(drop)
                }
                Err(mpsc::error::TrySendError::Closed(_)) => Err(()),
            };
            if sent.is_err() {
                return;
            }
        }
    };
    let deliver = async move {
        while let Some((due, cmd)) = timed.recv().await {
            tokio::time::sleep_until(due).await;
            if to.send(cmd).await.is_err() {
                return;
            }
        }
    };
    (front, async move {
        tokio::join!(stamp, deliver);
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::ZoneCommand;
    use mmo_world::CellId;

    fn handle(zone: u32) -> (ZoneHandle, mpsc::Receiver<ZoneCommand>) {
        ZoneHandle::channel(ZoneId(zone), 8)
    }

    #[tokio::test]
    async fn an_in_process_zone_is_reached_directly_and_an_unknown_one_is_refused() {
        let local = LocalZones::default();
        let (h, mut rx) = handle(1);
        local.publish(h);
        let conn = local.connect(ZoneId(1)).unwrap();
        assert!(conn.driver.is_none(), "no latency: no task in between");
        conn.handle.send(ZoneCommand::PeerLost { zone: ZoneId(9) }).await.unwrap();
        assert!(matches!(rx.recv().await, Some(ZoneCommand::PeerLost { zone: ZoneId(9) })));
        assert!(matches!(local.connect(ZoneId(2)), Err(ConnectError::NotInProcess(ZoneId(2)))));
        local.withdraw(ZoneId(1));
        assert!(local.connect(ZoneId(1)).is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn commands_behind_latency_arrive_late_and_in_order() {
        let local = LocalZones::with_latency(Duration::from_millis(60));
        let (h, mut rx) = handle(1);
        local.publish(h);
        let conn = local.connect(ZoneId(1)).unwrap();
        let driver = tokio::spawn(conn.driver.expect("a delay line"));
        let start = Instant::now();
        for x in 0..3 {
            let cell = CellId::new(x, 0);
            conn.handle.send(ZoneCommand::OwnCell { cell, epoch: mmo_world::Epoch(1) }).await.unwrap();
        }
        for x in 0..3 {
            match rx.recv().await {
                Some(ZoneCommand::OwnCell { cell, .. }) => assert_eq!(cell, CellId::new(x, 0)),
                other => panic!("unexpected {other:?}"),
            }
        }
        assert!(start.elapsed() >= Duration::from_millis(60), "arrived after {:?}", start.elapsed());
        drop(conn.handle);
        driver.await.unwrap();
    }
}

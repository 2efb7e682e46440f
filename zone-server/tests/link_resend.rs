//! The peer messages that matter (here a kill credit) reach the zone exactly once across a
//! broken link connection: one sent while the connection is down, one written just before it
//! broke that the zone never read, and one the zone read whose acknowledgement was lost.
//! Between the remote handle and the zone runs a relay that can lose what crosses it one way
//! and then cut the connection, as a network that fails mid-message.

use mmo_cluster::{ZoneCommand, ZoneHandle, ZoneInfo};
use mmo_records::SessionRoute;
use mmo_records::{PeerMessage, ZoneReport};
use mmo_test_services::wait::wait_until;
use mmo_world::{CellId, EntityId, Epoch, GatewayId, SessionId, WorldGeometry, ZoneId};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

mod support;

use support::*;

/// Which way bytes cross the relay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Way {
    /// From the remote handle to the zone.
    ToZone,
    /// From the zone to the remote handle (replies, acknowledgements).
    FromZone,
}

/// A TCP relay in front of a zone's link.
struct Relay {
    addr: SocketAddr,
    /// The way whose bytes are lost, if any.
    losing: Arc<Mutex<Option<Way>>>,
    /// Bytes lost so far.
    lost: Arc<AtomicU64>,
    /// Bumped to cut every connection open.
    cuts: watch::Sender<u32>,
}

impl Relay {
    async fn to(target: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (losing, lost) = (Arc::new(Mutex::new(None)), Arc::new(AtomicU64::new(0)));
        let (cuts, cut) = watch::channel(0);
        let (l, n) = (losing.clone(), lost.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(zone) = TcpStream::connect(target).await else { continue };
                let (mut cut, losing, lost) = (cut.clone(), l.clone(), n.clone());
                cut.mark_unchanged();
                tokio::spawn(async move {
                    let ((from_client, to_client), (from_zone, to_zone)) = (client.into_split(), zone.into_split());
                    // Whichever ends first drops both sockets: the connection is cut.
                    tokio::select! {
                        _ = pump(from_client, to_zone, Way::ToZone, &losing, &lost) => {}
                        _ = pump(from_zone, to_client, Way::FromZone, &losing, &lost) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Relay { addr, losing, lost, cuts }
    }

    /// Loses what crosses `way` from now on.
    fn lose(&self, way: Way) {
        *self.losing.lock().unwrap() = Some(way);
    }

    /// Cuts every open connection; new ones pass everything.
    fn cut(&self) {
        *self.losing.lock().unwrap() = None;
        self.cuts.send_modify(|n| *n += 1);
    }
}

async fn pump(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    way: Way,
    losing: &Mutex<Option<Way>>,
    lost: &AtomicU64,
) {
    let mut buf = vec![0; 64 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if *losing.lock().unwrap() == Some(way) {
            lost.fetch_add(n as u64, Ordering::Relaxed);
            continue;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

/// A zone owning the whole world with a player on it, a remote handle to it (through `relay`
/// if given), and the player's entity.
async fn zone_with_player(through_relay: bool) -> (Running, Option<Relay>, ZoneHandle, EntityId) {
    let zone = start_zone().await;
    let relay = if through_relay { Some(Relay::to(zone.addr).await) } else { None };
    let info = ZoneInfo { address: relay.as_ref().map_or(zone.addr, |r| r.addr).to_string(), ..zone.info() };
    let remote = dial(&info, &zone.member);
    for cell in WorldGeometry::default().cells() {
        remote.send(ZoneCommand::OwnCell { cell, epoch: Epoch(5) }).await.unwrap();
    }
    let route = SessionRoute { gateway: GatewayId(3), session: SessionId(9) };
    let record = mmo_records::PlayerRecord::new("ada", None, glam::IVec2::ZERO, CellId::new(0, 0));
    let ada = within("join", remote.join(record, route)).await.unwrap().expect("joined").entity;
    (zone, relay, remote, ada)
}

fn xp_of(report: &ZoneReport, player: EntityId) -> Option<u32> {
    report.entities.iter().find(|e| e.id == player).map(|e| e.xp)
}

/// Ada's victim's zone credits her the kill.
fn credit(ada: EntityId) -> ZoneCommand {
    let msg = PeerMessage::Credit { entity: ada, xp: 50, victim: EntityId::new(ZoneId(2), 77) };
    ZoneCommand::Peer { from: ZoneId(2), msg, sent_us: 0 }
}

#[tokio::test]
async fn a_kill_credit_sent_while_the_link_is_down_is_delivered_once_it_is_back() {
    let (zone, _, remote, ada) = zone_with_player(false).await;
    let before = xp_of(&within("inspect", remote.inspect()).await.unwrap(), ada).expect("ada is simulated");

    zone.stop_server.send(true).unwrap();
    wait_until("the link is down", PATIENCE, || async { !remote.is_up() }).await;
    remote.send(credit(ada)).await.unwrap();

    let _stop = serve_again(&zone).await;
    let report = answered("inspect after reconnecting", &remote).await;
    assert_eq!(xp_of(&report, ada), Some(before + 50), "the credit came once, before the inspect sent after it");
}

#[tokio::test]
async fn a_kill_credit_written_just_before_the_connection_broke_is_sent_again() {
    let (_zone, relay, remote, ada) = zone_with_player(true).await;
    let relay = relay.expect("relay");
    let before = xp_of(&within("inspect", remote.inspect()).await.unwrap(), ada).expect("ada is simulated");

    // The credit leaves the remote handle but never reaches the zone; then the connection breaks.
    relay.lose(Way::ToZone);
    remote.send(credit(ada)).await.unwrap();
    wait_until("the credit lost on the way", PATIENCE, || async { relay.lost.load(Ordering::Relaxed) > 0 }).await;
    relay.cut();

    let report = answered("inspect after reconnecting", &remote).await;
    assert_eq!(xp_of(&report, ada), Some(before + 50), "the credit was sent again, once");
}

#[tokio::test]
async fn a_kill_credit_whose_acknowledgement_was_lost_counts_once() {
    let (zone, relay, remote, ada) = zone_with_player(true).await;
    let relay = relay.expect("relay");
    let before = xp_of(&within("inspect", remote.inspect()).await.unwrap(), ada).expect("ada is simulated");

    // The zone gets the credit, but nothing it says reaches the remote handle (not the
    // acknowledgement either); then the connection breaks, and the handle sends it again.
    relay.lose(Way::FromZone);
    remote.send(credit(ada)).await.unwrap();
    wait_until("the zone has the credit", PATIENCE, || async {
        zone.local.inspect().await.is_ok_and(|r| xp_of(&r, ada) == Some(before + 50))
    })
    .await;
    wait_until("the acknowledgement lost on the way", PATIENCE, || async { relay.lost.load(Ordering::Relaxed) > 0 })
        .await;
    relay.cut();

    let report = answered("inspect after reconnecting", &remote).await;
    assert_eq!(xp_of(&report, ada), Some(before + 50), "the credit sent again was not counted again");
}

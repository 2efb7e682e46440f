//! The zone link over TCP and TLS against a real zone runtime: a remote handle does what an
//! in-process one does (every command kind, replies, frame streams), a peer sending garbage is
//! dropped without harming anyone else, a member the zone does not trust and a zone that is not
//! the registered one are refused, and a broken connection comes back with its subscriptions
//! while commands keep coming. (The peer messages that matter across a broken connection:
//! `link_resend.rs`.)

use mmo_cluster::net::wire::FromZone;
use mmo_cluster::net::{self, LinkIdentity};
use mmo_cluster::{JoinRefused, SubscriberId, ZoneCommand, ZoneHandle, ZoneInfo};
use mmo_protocol::{CellEvent, CellFrame};
use mmo_records::{EntityRecord, PeerMessage, PlayerPart, RecordKind, SessionRoute};
use mmo_world::{Body, Buttons, CellId, EntityId, Epoch, GatewayId, SessionId, WorldGeometry, ZoneId};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

mod support;

use support::*;

/// The next frame that satisfies `pred`.
async fn frame_where(
    rx: &mut mpsc::Receiver<Arc<CellFrame>>,
    what: &str,
    pred: impl Fn(&CellFrame) -> bool,
) -> Arc<CellFrame> {
    within(what, async {
        loop {
            let frame = rx.recv().await.expect("stream open");
            if pred(&frame) {
                return frame;
            }
        }
    })
    .await
}

fn player_record(id: EntityId, pos: glam::IVec2, route: SessionRoute) -> EntityRecord {
    EntityRecord {
        id,
        authority_epoch: Epoch(3),
        body: Body { pos, ..Body::default() },
        hp: 40,
        max_hp: 100,
        facing_left: false,
        last_attack: None,
        last_hurt: None,
        died: None,
        kind: RecordKind::Player(PlayerPart {
            name: "bob".into(),
            xp: 12,
            items: Vec::new(),
            inputs: Default::default(),
            route: Some(route),
            persist: Default::default(),
            picked: Vec::new(),
        }),
    }
}

#[tokio::test]
async fn a_remote_handle_round_trips_every_command_kind() {
    let zone = start_zone().await;
    let remote = zone.connect();
    let geometry = WorldGeometry::default();

    for cell in geometry.cells() {
        remote.send(ZoneCommand::OwnCell { cell, epoch: Epoch(5) }).await.unwrap();
    }
    let report = within("inspect", remote.inspect()).await.unwrap();
    assert_eq!(report.zone, ZONE);
    assert_eq!(report.owned.len(), geometry.cell_count(), "every OwnCell arrived");

    let route = SessionRoute { gateway: GatewayId(3), session: SessionId(9) };
    let ada = within(
        "join",
        remote.join(mmo_records::PlayerRecord::new("ada", None, glam::IVec2::ZERO, CellId::new(0, 0)), route),
    )
    .await
    .unwrap()
    .expect("joined");
    let cell = ada.cell;
    let npcs = within("spawn", remote.spawn_npcs(cell, 3, None)).await.unwrap();
    assert_eq!(npcs.len(), 3);

    let (frames_tx, mut frames) = mpsc::channel(64);
    let me = SubscriberId::Gateway(GatewayId(3));
    remote.send(ZoneCommand::Subscribe { cell, subscriber: me, frames: frames_tx }).await.unwrap();
    let first = frame_where(&mut frames, "a frame with the player and the NPCs", |f| {
        f.entities.iter().any(|e| e.id == ada.entity) && npcs.iter().all(|n| f.entities.iter().any(|e| e.id == *n))
    })
    .await;
    assert_eq!((first.cell, first.zone), (cell, ZONE));

    remote.send(ZoneCommand::Input { entity: ada.entity, seq: 1, buttons: Buttons(Buttons::RIGHT) }).await.unwrap();
    frame_where(&mut frames, "the input applied", |f| {
        f.entities.iter().any(|e| e.id == ada.entity && e.last_input_seq == 1)
    })
    .await;

    let said = |f: &CellFrame, text: &str| {
        f.events
            .iter()
            .any(|e| matches!(e, CellEvent::Chat { from, text: t, .. } if *from == ada.entity && &**t == text))
    };
    remote.send(ZoneCommand::Chat { entity: ada.entity, text: "hello".into() }).await.unwrap();
    frame_where(&mut frames, "the chat", |f| said(f, "hello")).await;
    let msg = PeerMessage::Chat { entity: ada.entity, text: "from a peer".into() };
    remote.send(ZoneCommand::Peer { from: ZoneId(2), msg, sent_us: 0 }).await.unwrap();
    frame_where(&mut frames, "the peer's chat", |f| said(f, "from a peer")).await;

    remote.send(ZoneCommand::CellOwner { cell, zone: ZONE, epoch: Epoch(50) }).await.unwrap();
    remote.send(ZoneCommand::PeerLost { zone: ZoneId(2) }).await.unwrap();
    let report = within("inspect", remote.inspect()).await.unwrap();
    assert!(report.owned.contains(&(cell, Epoch(50))), "CellOwner raised the epoch");

    // A player restored under its own id, where it stood.
    let bob = EntityId::new(ZoneId(4), 77);
    let record = player_record(bob, ada.pos, route);
    let restored = within("restore", remote.restore(record)).await.unwrap().expect("restored");
    assert_eq!(restored.entity, bob);
    frame_where(&mut frames, "the restored player", |f| f.entities.iter().any(|e| e.id == bob && e.xp == 12)).await;

    within("leave, answered once saved", remote.leave_saved(ada.entity)).await.unwrap();
    let report = within("inspect", remote.inspect()).await.unwrap();
    assert!(!report.entities.iter().any(|e| e.id == ada.entity), "Leave removed the player");
    assert!(report.entities.iter().any(|e| e.id == bob));

    remote.send(ZoneCommand::Unsubscribe { cell, subscriber: me }).await.unwrap();
    let tick = within("inspect", remote.inspect()).await.unwrap().tick;
    wait_ticks(&remote, tick, 3).await;
    while frames.try_recv().is_ok() {}
    wait_ticks(&remote, tick, 6).await;
    assert!(frames.try_recv().is_err(), "no frame after unsubscribing");
    drop(zone.stop_server);
}

/// Waits (through the link) until the zone has run `n` ticks after `from`.
async fn wait_ticks(remote: &ZoneHandle, from: mmo_world::Tick, n: u64) {
    within("ticks", async {
        loop {
            let now = remote.inspect().await.unwrap().tick;
            if now.since(from) >= n {
                return;
            }
            tokio::task::yield_now().await;
        }
    })
    .await
}

#[tokio::test]
async fn a_peer_sending_garbage_is_dropped_and_nobody_else_notices() {
    let zone = start_zone().await;
    zone.local.send(ZoneCommand::OwnCell { cell: CellId::new(0, 0), epoch: Epoch(1) }).await.unwrap();
    let good = zone.connect();
    let (frames_tx, mut frames) = mpsc::channel(64);
    let cell = CellId::new(0, 0);
    good.send(ZoneCommand::Subscribe { cell, subscriber: SubscriberId::Zone(ZoneId(2)), frames: frames_tx })
        .await
        .unwrap();
    frame_where(&mut frames, "a frame before the garbage", |_| true).await;

    for junk in [&[3u8, 0, 0, 0, 0xff, 0xfe, 0xfd][..], &[0xff, 0xff, 0xff, 0x7f, 1, 2, 3][..]] {
        // Garbage instead of TLS: the zone ends the connection (`within` fails the test if not).
        let mut bad = tokio::net::TcpStream::connect(zone.addr).await.unwrap();
        bad.write_all(junk).await.unwrap();
        let _ = within("the server closing the non-TLS connection", bad.read_to_end(&mut Vec::new())).await;
        // Garbage from a trusted member, inside TLS: the zone ends that connection too.
        let mut bad = trusted_tls(&zone).await;
        bad.write_all(junk).await.unwrap();
        bad.flush().await.unwrap();
        let _ = within("the server closing the bad member's connection", bad.read_to_end(&mut Vec::new())).await;
    }

    let report = within("inspect", good.inspect()).await.expect("the good link still works");
    // A restore where the zone owns nothing is refused with its reason.
    let elsewhere = (WorldGeometry::default().cell_origin(CellId::new(1, 1)) + 2) << mmo_world::physics::SUB_SHIFT;
    let route = SessionRoute { gateway: GatewayId(3), session: SessionId(9) };
    let refused = within("restore", good.restore(player_record(EntityId::new(ZoneId(4), 1), elsewhere, route))).await;
    assert_eq!(refused.unwrap(), Err(JoinRefused::NotOwner));
    assert_eq!(report.owned, vec![(cell, Epoch(1))]);
    let last = frames.try_recv().ok().map(|f| f.tick);
    frame_where(&mut frames, "frames still flowing", |f| Some(f.tick) > last).await;
}

#[tokio::test]
async fn a_dropped_connection_is_re_established_with_its_subscriptions_under_a_stream_of_inputs() {
    let zone = start_zone().await;
    let cell = CellId::new(1, 1);
    zone.local.send(ZoneCommand::OwnCell { cell, epoch: Epoch(1) }).await.unwrap();
    let remote = zone.connect();
    let (frames_tx, mut frames) = mpsc::channel(64);
    remote
        .send(ZoneCommand::Subscribe { cell, subscriber: SubscriberId::Gateway(GatewayId(1)), frames: frames_tx })
        .await
        .unwrap();
    frame_where(&mut frames, "a first frame", |_| true).await;

    // Inputs keep coming all along (a busy gateway): they must not keep the link from
    // reconnecting (each one arriving while the link dials is dropped, the dial goes on).
    let flood = {
        let remote = remote.clone();
        tokio::spawn(async move {
            for seq in 0u32.. {
                let input = ZoneCommand::Input { entity: EntityId::new(ZONE, 1), seq, buttons: Buttons(0) };
                if remote.send(input).await.is_err() {
                    return;
                }
                tokio::task::yield_now().await;
            }
        })
    };

    // The server goes away (every connection dropped) and comes back on the same address.
    zone.stop_server.send(true).unwrap();
    let _stop = serve_again(&zone).await;

    let report = answered("inspect after reconnecting", &remote).await;
    // Frames published after the reconnection reach the old subscription.
    frame_where(&mut frames, "frames after reconnecting", |f| f.tick > report.tick).await;
    flood.abort();
}

#[tokio::test]
async fn frames_cross_the_link_as_deltas_to_a_current_peer_and_whole_to_an_older_one() {
    let zone = start_zone().await;
    let geometry = WorldGeometry::default();
    for cell in geometry.cells() {
        zone.local.send(ZoneCommand::OwnCell { cell, epoch: Epoch(5) }).await.unwrap();
    }
    let route = SessionRoute { gateway: GatewayId(3), session: SessionId(9) };
    let record = mmo_records::PlayerRecord::new("walker", None, glam::IVec2::ZERO, CellId::new(0, 0));
    let walker = within("join", zone.local.join(record, route)).await.unwrap().expect("joined");
    within("spawn", zone.local.spawn_npcs(walker.cell, 5, None)).await.unwrap();

    // The same cell followed in process and over the link, while the player walks.
    let subscribe = |handle: &ZoneHandle, gateway: u32| {
        let (tx, rx) = mpsc::channel(256);
        let cmd = ZoneCommand::Subscribe {
            cell: walker.cell,
            subscriber: SubscriberId::Gateway(GatewayId(gateway)),
            frames: tx,
        };
        (handle.clone(), cmd, rx)
    };
    let remote = zone.connect();
    let (mut in_process, mut over_link) = (subscribe(&zone.local, 1), subscribe(&remote, 2));
    in_process.0.send(in_process.1).await.unwrap();
    over_link.0.send(over_link.1).await.unwrap();
    // One input per frame over the link; each frame is compared with the in-process frame of
    // its tick (published first), until ten ticks were compared and the player moved.
    let mut local = std::collections::HashMap::new();
    let (mut compared, mut moved, mut last_pos, mut seq) = (0, false, None, 0);
    within("ten ticks compared while the player walks", async {
        while compared < 10 || !moved {
            seq += 1;
            let buttons = Buttons(if seq % 20 < 10 { Buttons::RIGHT } else { Buttons::LEFT | Buttons::JUMP });
            zone.local.send(ZoneCommand::Input { entity: walker.entity, seq, buttons }).await.unwrap();
            let frame = over_link.2.recv().await.expect("stream open");
            while let Ok(f) = in_process.2.try_recv() {
                local.insert(f.tick, f);
            }
            if let Some(same) = local.get(&frame.tick) {
                assert_eq!(*frame, **same, "tick {} over the link as in process", frame.tick);
                compared += 1;
            }
            let pos = frame.entities.iter().find(|e| e.id == walker.entity).map(|e| e.body.pos);
            moved |= last_pos.is_some() && pos != last_pos;
            last_pos = pos;
        }
    })
    .await;

    // A current peer gets a whole frame, then deltas; one of an older release (no ALPN) gets
    // whole frames only.
    for (alpn, wanted) in [(true, "deltas"), (false, "whole frames")] {
        let mut tls = raw_tls(&zone, alpn).await;
        let msg = mmo_cluster::net::wire::ToZone::Subscribe {
            cell: walker.cell,
            subscriber: SubscriberId::Gateway(GatewayId(if alpn { 4 } else { 5 })),
            stream: 1,
        };
        tls.write_all(&net::codec::encode_framed(&msg).unwrap()).await.unwrap();
        let kinds = within("six frames", async {
            let (mut reader, mut buf) = (mmo_protocol::framing::FrameReader::new(net::codec::MAX_MESSAGE), Vec::new());
            let mut kinds = Vec::new();
            while kinds.len() < 6 {
                if let Some(bytes) = reader.next_frame().unwrap() {
                    match net::codec::decode::<FromZone>(&bytes).unwrap() {
                        FromZone::Frame { .. } => kinds.push("whole"),
                        FromZone::FrameDelta { .. } => kinds.push("delta"),
                        _ => {}
                    }
                    continue;
                }
                buf.clear();
                assert!(tls.read_buf(&mut buf).await.unwrap() > 0, "connection open");
                reader.push(&buf);
            }
            kinds
        })
        .await;
        let expected: Vec<&str> =
            if alpn { vec!["whole", "delta", "delta", "delta", "delta", "delta"] } else { vec!["whole"; 6] };
        assert_eq!(kinds, expected, "{wanted}");
    }
}

/// A raw TLS connection as the trusted member, offering the current link version or (as a
/// peer of an older release) none.
async fn raw_tls(zone: &Running, alpn: bool) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let mut config = zone.member.client_config(zone.identity.hash()).unwrap();
    if !alpn {
        config.alpn_protocols.clear();
    }
    let tcp = tokio::net::TcpStream::connect(zone.addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from(net::tls::LINK_SERVER_NAME).unwrap();
    tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp).await.unwrap()
}

/// A raw TLS connection as the trusted member (to send what a remote handle never would).
async fn trusted_tls(zone: &Running) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let config = zone.member.client_config(zone.identity.hash()).unwrap();
    let tcp = tokio::net::TcpStream::connect(zone.addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from(net::tls::LINK_SERVER_NAME).unwrap();
    tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp).await.unwrap()
}

#[tokio::test]
async fn a_member_the_zone_does_not_trust_is_refused_until_it_registers() {
    let zone = start_zone().await;
    let stranger = LinkIdentity::generate().unwrap();
    let remote = dial(&zone.info(), &stranger);
    let refused = within("an answer to the stranger", remote.inspect()).await;
    assert!(refused.is_err(), "a member the zone does not trust gets no answer: {refused:?}");

    // Once trusted (as when it registers), the same handle gets through on a later attempt.
    zone.trusted.set([zone.member.hash(), stranger.hash()]);
    let report = answered("an answer once trusted", &remote).await;
    assert_eq!(report.zone, ZONE);
}

#[tokio::test]
async fn a_zone_that_is_not_the_registered_one_is_not_talked_to() {
    let zone = start_zone().await;
    // The registry names another certificate for this address: the link is not the zone's.
    let impostor = LinkIdentity::generate().unwrap();
    let registered = ZoneInfo { cert_hash: impostor.hash(), ..zone.info() };
    let remote = dial(&registered, &zone.member);
    let answer = within("an answer through the link", remote.inspect()).await;
    assert!(answer.is_err(), "nothing is sent to a zone presenting an unregistered certificate: {answer:?}");
    // The right certificate and another zone id at that address: refused as well.
    let other_id = ZoneInfo { id: ZoneId(2), ..zone.info() };
    let answer = within("an answer from the wrong zone", dial(&other_id, &zone.member).inspect()).await;
    assert!(answer.is_err(), "a zone welcoming as another id is not talked to: {answer:?}");
}

//! A gateway drained (SIGTERM in Kubernetes) while a player plays on it over WebTransport, with
//! a second gateway of the same world beside it: the drained one stops taking logins
//! (`/readyz` answers 503, a new session is closed with `Draining`), tells the player to
//! reconnect, and its `/api/connect` now names the second gateway (its absolute URLs and its
//! certificate hash); the player resumes its character there with its session token: same
//! name, same position, same items. The drain ends as soon as the
//! drained gateway has no session left. The registry marks the drained gateway, so a second
//! gateway draining meanwhile names nobody rather than sending its players back to it.

mod support;

use mmo_cluster::{CertHash, GatewayInfo, Registry};
use mmo_gateway::Listeners;
use mmo_local::{LocalWorld, LocalWorldConfig};
use mmo_protocol::{ErrorCode, InventoryItem, ServerControl};
use mmo_test_services::wait::wait_until;
use mmo_world::{Buttons, GatewayId};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use support::{connect_info, settle, Client, Event};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

/// The status line of `GET path` at `http`.
async fn status(http: SocketAddr, path: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(http).await.expect("http connect");
    let req = format!("GET {path} HTTP/1.1\r\nHost: {http}\r\nConnection: close\r\n\r\n");
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut resp = String::new();
    stream.read_to_string(&mut resp).await.unwrap();
    resp.lines().next().unwrap_or_default().to_string()
}

/// The next inventory the gateway sends.
async fn inventory(client: &mut Client) -> Vec<InventoryItem> {
    client
        .until(10, |e| match e {
            Event::Control(ServerControl::Inventory { items }) => Some(items.clone()),
            _ => None,
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drained_gateway_moves_its_player_to_another_gateway_with_its_character() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let (stop, shutdown) = watch::channel(false);
    let world = LocalWorld::start(LocalWorldConfig::for_tests(), None, shutdown.clone()).await.expect("world starts");
    let one = world.http_addr();
    let drain = world.drain_handle();
    let registry = world.registry().clone();
    let listeners = Listeners::bind("127.0.0.1:0".parse().unwrap(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let second = world.start_gateway(GatewayId(2), listeners).await.expect("second gateway starts");
    let two = second.http_addr();
    let (two_quic, two_cert) = (second.quic_addr(), second.cert_hash());
    let drain_two = second.drain_handle();
    let world_task = tokio::spawn(world.run(shutdown.clone()));
    let second_task = tokio::spawn(second.run(shutdown));

    // A player walks a little on gateway 1 and comes to rest.
    let info_one = connect_info(one).await;
    let mut player = Client::webtransport_with(&info_one).await;
    let Joined { token, name } = joined(player.join("mover").await);
    let items = inventory(&mut player).await;
    for _ in 0..10 {
        player.send_input(Buttons::RIGHT).await;
        player.snapshot().await;
    }
    let before = settle(&mut player).await;
    assert_eq!(status(one, "/readyz").await, "HTTP/1.1 200 OK");

    // Drained: no logins, the player is asked to move.
    let draining = tokio::spawn({
        let drain = drain.clone();
        async move {
            let started = Instant::now();
            drain.drain(Duration::from_secs(20)).await;
            started.elapsed()
        }
    });
    player.until(5, |e| matches!(e, Event::Control(ServerControl::Reconnect)).then_some(())).await;
    assert_eq!(status(one, "/readyz").await, "HTTP/1.1 503 Service Unavailable");
    let elsewhere = connect_info(one).await;
    assert_eq!(elsewhere.websocket.url.as_deref(), Some(format!("ws://{two}/ws").as_str()), "named: gateway 2");
    let wt = elsewhere.webtransport.as_ref().expect("gateway 2's WebTransport");
    assert_eq!(wt.url, format!("https://{two_quic}/play"));
    assert_eq!(wt.cert_sha256_hex.as_deref(), Some(two_cert.to_string().as_str()), "gateway 2's certificate to pin");
    let refused = ErrorCode::Draining.close_code();
    // Closed at once: before or after the client's control stream is open.
    match Client::try_webtransport_with(&info_one).await {
        Ok(mut newcomer) => assert_eq!(newcomer.closed(5).await, Some(refused), "a new session is refused"),
        Err(mmo_loadtest::client::ClientError::Refused(code)) => assert_eq!(code, refused, "a new session is refused"),
        Err(error) => assert!(error.to_string().contains(&format!("code={refused}")), "{error}"),
    }
    let mut newcomer = Client::websocket_at(one).await;
    assert_eq!(newcomer.closed(5).await, Some(refused), "also over WebSocket");
    assert_eq!(status(two, "/readyz").await, "HTTP/1.1 200 OK", "the other gateway takes players");

    // The player leaves gateway 1 and resumes where gateway 1 sent it, without a password.
    player.close().await;
    let mut player = Client::webtransport_with(&elsewhere).await;
    player.hello().await;
    let resumed = joined(player.resume(&token).await.expect("resumed on the second gateway"));
    assert_eq!(resumed.name, name);
    assert_eq!(inventory(&mut player).await, items, "same items");
    player.send_input(0).await;
    let after = player.snapshot().await.you.clone();
    assert_eq!(after.body.pos, before.body.pos, "back where it stood");
    assert_eq!((after.hp, after.xp, after.level), (before.hp, before.xp, before.level));

    let took = tokio::time::timeout(Duration::from_secs(25), draining).await.expect("drain ends").unwrap();
    assert!(took < Duration::from_secs(15), "the drain ended when the sessions were gone, after {took:?}");

    // Gateway 1 is marked draining; gateway 2 draining too has nowhere to send its players.
    let gateways = registry.gateways().await.unwrap();
    assert!(gateways[&GatewayId(1)].draining && !gateways[&GatewayId(2)].draining, "{gateways:?}");
    drain_two.start();
    wait_until("gateway 2 marked draining", Duration::from_secs(10), || async {
        registry.gateways().await.unwrap()[&GatewayId(2)].draining
    })
    .await;
    assert_eq!(status(two, "/api/connect").await, "HTTP/1.1 503 Service Unavailable", "gateway 1 is not named");

    let _ = stop.send(true);
    world_task.await.unwrap().expect("world stops cleanly");
    second_task.await.unwrap().expect("second gateway stops cleanly");
}

/// In a rolling restart the gateway drained next may not yet see the one restarted just before
/// (it registered a moment ago): its players would be answered 503 and have nowhere to go. A
/// drain begins only once another gateway takes players (or after half its timeout).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drain_waits_until_another_gateway_takes_players() {
    let (stop, shutdown) = watch::channel(false);
    let world = LocalWorld::start(LocalWorldConfig::for_tests(), None, shutdown.clone()).await.expect("world starts");
    let one = world.http_addr();
    let drain = world.drain_handle();
    let registry = world.registry().clone();
    let world_task = tokio::spawn(world.run(shutdown));
    let info_one = connect_info(one).await;
    let mut player = Client::webtransport_with(&info_one).await;
    joined(player.join("waiter").await);

    let draining = tokio::spawn(async move { drain.drain(Duration::from_secs(20)).await });
    // Alone in the world: the player keeps playing, gateway 1 keeps taking logins.
    for _ in 0..20 {
        player.send_input(0).await;
        player.snapshot().await;
    }
    assert!(
        tokio::time::timeout(
            Duration::from_secs(1),
            player.until(2, |e| matches!(e, Event::Control(ServerControl::Reconnect)).then_some(()))
        )
        .await
        .is_err(),
        "no Reconnect while no other gateway takes players"
    );
    assert_eq!(status(one, "/readyz").await, "HTTP/1.1 200 OK", "not draining yet");

    // Another gateway registers: the drain begins and names it.
    let other = GatewayInfo {
        id: GatewayId(2),
        address: "127.0.0.1:9".into(),
        cert_hash: CertHash::default(),
        link_cert_hash: CertHash::default(),
        capacity: 10,
        webtransport_url: "https://127.0.0.1:9/play".into(),
        websocket_url: "ws://127.0.0.1:9/ws".into(),
        draining: false,
        run: 1,
    };
    let _lease = registry.register_gateway(other, Duration::from_secs(30)).await.expect("gateway 2 registered");
    player.until(5, |e| matches!(e, Event::Control(ServerControl::Reconnect)).then_some(())).await;
    assert_eq!(status(one, "/readyz").await, "HTTP/1.1 503 Service Unavailable");
    assert_eq!(connect_info(one).await.websocket.url.as_deref(), Some("ws://127.0.0.1:9/ws"), "named: gateway 2");
    player.close().await;
    tokio::time::timeout(Duration::from_secs(25), draining).await.expect("drain ends").unwrap();

    let _ = stop.send(true);
    world_task.await.unwrap().expect("world stops cleanly");
}

struct Joined {
    token: String,
    name: String,
}

fn joined(msg: ServerControl) -> Joined {
    match msg {
        ServerControl::Joined { token, name, .. } => Joined { token, name },
        other => panic!("expected Joined, got {other:?}"),
    }
}

//! Bad input closes the offending session with a coded error; a bystander keeps playing.

mod support;

use mmo_protocol::{codec, ClientControl, ClientDatagram, ErrorCode, InputFrame, ServerControl};
use mmo_world::Buttons;
use support::{Client, Event, TestWorld};

#[derive(Clone, Copy, Debug)]
enum Via {
    WebTransport,
    WebSocket,
}

async fn connect(world: &TestWorld, via: Via) -> Client {
    match via {
        Via::WebTransport => Client::webtransport(world).await,
        Via::WebSocket => Client::websocket(world).await,
    }
}

/// Reads until the offending session closes: the coded errors seen and the close code.
async fn error_and_close(client: &mut Client) -> (Vec<ErrorCode>, Option<u32>) {
    client.errors_and_close(5).await
}

/// The bystander still gets tick-contiguous snapshots and still moves when it presses right.
async fn keeps_playing(b: &mut Client) {
    let first = b.snapshot().await;
    let mut last_tick = first.tick;
    let mut pos = first.you.body.pos;
    for _ in 0..15 {
        b.send_input(Buttons::RIGHT | Buttons::JUMP).await;
        let s = b.snapshot().await;
        assert!(s.tick > last_tick, "snapshot ticks go forward");
        last_tick = s.tick;
        pos = s.you.body.pos;
    }
    assert!(pos.x > first.you.body.pos.x, "the bystander still moves: from {:?} to {pos:?}", first.you.body.pos);
}

/// One kind of bad behaviour.
#[derive(Clone, Debug)]
enum Misbehave {
    Datagram(Vec<u8>),
    Control(Vec<u8>),
    /// Far more inputs than one per tick.
    Flood,
}

impl Misbehave {
    async fn on(&self, c: &mut Client) {
        match self {
            Misbehave::Datagram(bytes) => c.send_datagram_bytes(bytes).await,
            Misbehave::Control(bytes) => c.send_control_bytes(bytes).await,
            Misbehave::Flood => {
                for _ in 0..400 {
                    c.send_input(Buttons::LEFT).await;
                }
            }
        }
    }
}

/// Over each transport: one session misbehaves while another plays; the offender is closed
/// with `expected`, the bystander is unaffected.
async fn offender_closed_bystander_unaffected(expected: ErrorCode, login: bool, misbehave: Misbehave) {
    for via in [Via::WebTransport, Via::WebSocket] {
        let world = TestWorld::start().await;
        let mut bystander = connect(&world, via).await;
        bystander.join("bystander").await;
        let mut offender = connect(&world, via).await;
        if login {
            offender.join("offender").await;
        }
        misbehave.on(&mut offender).await;
        let (errors, code) = error_and_close(&mut offender).await;
        assert_eq!(code, Some(expected.close_code()), "{via:?}: close code for {expected:?} (errors seen {errors:?})");
        if matches!(via, Via::WebSocket) {
            assert_eq!(errors.last(), Some(&expected), "{via:?}: the coded error arrives before the close");
        }
        keeps_playing(&mut bystander).await;
        world.stop().await;
    }
}

fn encoded<T: serde::Serialize>(msg: &T) -> Vec<u8> {
    codec::encode(msg, usize::MAX).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_datagram() {
    // An Input whose sequence number is cut short.
    offender_closed_bystander_unaffected(ErrorCode::MalformedMessage, true, Misbehave::Datagram(vec![0, 0xfc, 1]))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn input_with_impossible_buttons() {
    let input = ClientDatagram::Input(InputFrame { seq: 1, ack: None, buttons: vec![0xff] });
    offender_closed_bystander_unaffected(ErrorCode::MalformedMessage, true, Misbehave::Datagram(encoded(&input))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_control_frame() {
    let huge = ClientControl::Chat { text: "x".repeat(5000) };
    offender_closed_bystander_unaffected(ErrorCode::FrameTooLarge, true, Misbehave::Control(encoded(&huge))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_message() {
    offender_closed_bystander_unaffected(ErrorCode::UnknownMessage, true, Misbehave::Control(vec![200, 1, 2])).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_protocol_version() {
    let hello = ClientControl::Hello { version: 999 };
    offender_closed_bystander_unaffected(ErrorCode::VersionMismatch, false, Misbehave::Control(encoded(&hello))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn input_flood() {
    offender_closed_bystander_unaffected(ErrorCode::InputFlood, true, Misbehave::Flood).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_before_hello_is_out_of_phase() {
    let login = ClientControl::Login { name: "early".into(), password: None };
    offender_closed_bystander_unaffected(ErrorCode::UnexpectedMessage, false, Misbehave::Control(encoded(&login)))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn taken_and_invalid_names_can_be_retried() {
    let world = TestWorld::start().await;
    let mut a = Client::websocket(&world).await;
    a.join("Ada").await;
    let mut b = Client::webtransport(&world).await;
    b.send_control(&ClientControl::Hello { version: mmo_protocol::PROTOCOL_VERSION }).await;
    for (name, expected) in [("ada", ErrorCode::NameTaken), ("no spaces", ErrorCode::NameInvalid)] {
        b.send_control(&ClientControl::Login { name: name.into(), password: None }).await;
        let code = b
            .until(5, |e| match e {
                Event::Control(ServerControl::Error { code }) => Some(*code),
                _ => None,
            })
            .await;
        assert_eq!(code, expected, "{name}");
    }
    b.send_control(&ClientControl::Login { name: "Bea".into(), password: None }).await;
    b.until(5, |e| matches!(e, Event::Control(ServerControl::Joined { .. })).then_some(())).await;
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_past_max_sessions_is_refused_with_server_full_and_the_others_play_on() {
    let config = mmo_local::LocalWorldConfig { max_sessions: 2, ..mmo_local::LocalWorldConfig::for_tests() };
    let world = TestWorld::start_with(config).await;
    let mut ann = Client::webtransport(&world).await;
    ann.join("ann").await;
    let mut bea = Client::websocket(&world).await;
    bea.join("bea").await;
    // The close can come before or after the WebTransport client opened its control stream.
    let info = support::connect_info(world.http).await;
    let code = match Client::try_webtransport_with(&info).await {
        Ok(mut third) => error_and_close(&mut third).await.1,
        Err(mmo_loadtest::client::ClientError::Refused(code)) => Some(code),
        Err(e) => panic!("a third WebTransport session: {e}"),
    };
    assert_eq!(code, Some(ErrorCode::ServerFull.close_code()), "a third session over WebTransport");
    let mut third = connect(&world, Via::WebSocket).await;
    let (_, code) = error_and_close(&mut third).await;
    assert_eq!(code, Some(ErrorCode::ServerFull.close_code()), "a third session over WebSocket");
    for player in [&mut ann, &mut bea] {
        // Read past the snapshots that queued while nobody read them: up to one that has
        // taken the player's newest input.
        player.send_input(0).await;
        while player.snapshot().await.you.last_input_seq < player.seq {}
        keeps_playing(player).await;
    }
    world.stop().await;
}

//! One bot: connects over its transport, says hello, logs in, then plays at the world's tick
//! rate until told to leave (a planned disconnect) or the session ends (an unexpected one).
//!
//! Each tick it sends the input due (with the previous ones repeated against loss, as the
//! browser does), acknowledging the newest snapshot it rebuilt; everything it receives goes
//! through its [`Tracker`] into the shared [`Recorder`].

use crate::behaviour::Brain;
use crate::client::{close_reason, Client, ClientError, Endpoints, Event, Traffic};
use crate::mix::{Behaviour, Transport};
use crate::recorder::{Recorder, SnapshotReport};
use crate::tracker::Tracker;
use crate::view::View;
use glam::IVec2;
use mmo_protocol::limits::MAX_INPUTS_PER_FRAME;
use mmo_protocol::{ClientControl, InputFrame, ServerControl, WorldInfo, PROTOCOL_VERSION};
use mmo_world::physics::SUB;
use mmo_world::{Body, Buttons};
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info_span, Instrument};

/// With no snapshot for this long, a bot gives up on its session (the gateway gives up on a
/// player missing from every cell stream after 5 s, and says why).
const SNAPSHOT_TIMEOUT: Duration = Duration::from_secs(8);
/// Inputs repeated in each frame besides the new one(s) (the browser resends recent inputs).
const REPEATED_INPUTS: usize = 2;

/// Who a bot is.
#[derive(Clone, Debug)]
pub struct BotSpec {
    pub index: u64,
    pub name: String,
    pub transport: Transport,
    pub behaviour: Behaviour,
    pub seed: u64,
}

/// Where and how bots connect; shared by all of them.
#[derive(Debug)]
pub struct BotContext {
    pub recorder: Arc<Recorder>,
    pub webtransport_url: Option<url::Url>,
    pub endpoints: Option<Arc<Endpoints>>,
    pub websocket_url: String,
    pub connect_timeout: Duration,
    /// Hotspot in tiles; `None`: the middle of the world.
    pub hotspot: Option<[i32; 2]>,
    pub chat_every: Duration,
}

/// What became of one bot, for the report.
#[derive(Clone, Debug, Serialize)]
pub struct BotSummary {
    pub index: u64,
    pub name: String,
    pub transport: Transport,
    pub behaviour: Behaviour,
    pub joined: bool,
    pub connect_ms: Option<f64>,
    pub snapshots: u64,
    pub snapshot_gaps: u64,
    pub cell_crossings: u64,
    pub handoffs_seen: u64,
    pub round_trips: u64,
    /// Where the bot last stood, in tiles (x, y; y grows downwards).
    pub last_position: Option<[f64; 2]>,
    /// `Left` for a planned leave, else the close reason or failure.
    pub end: String,
    pub traffic: TrafficSummary,
}

#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct TrafficSummary {
    pub msgs_out: u64,
    pub msgs_in: u64,
    pub bytes_out: u64,
    pub bytes_in: u64,
}

impl From<Traffic> for TrafficSummary {
    fn from(t: Traffic) -> Self {
        TrafficSummary { msgs_out: t.msgs_out, msgs_in: t.msgs_in, bytes_out: t.bytes_out, bytes_in: t.bytes_in }
    }
}

/// Runs one bot until `stop` or the end of its session.
pub async fn run(spec: BotSpec, ctx: Arc<BotContext>, stop: CancellationToken) -> BotSummary {
    let span =
        info_span!("bot", name = %spec.name, transport = spec.transport.name(), behaviour = spec.behaviour.name());
    async move {
        ctx.recorder.bot_started();
        let mut summary = BotSummary {
            index: spec.index,
            name: spec.name.clone(),
            transport: spec.transport,
            behaviour: spec.behaviour,
            joined: false,
            connect_ms: None,
            snapshots: 0,
            snapshot_gaps: 0,
            cell_crossings: 0,
            handoffs_seen: 0,
            round_trips: 0,
            last_position: None,
            end: String::new(),
            traffic: TrafficSummary::default(),
        };
        let started = Instant::now();
        let joined = tokio::select! {
            _ = stop.cancelled() => {
                summary.end = "StoppedWhileConnecting".into();
                return summary;
            }
            j = tokio::time::timeout(ctx.connect_timeout, join(&spec, &ctx)) => j,
        };
        let (client, world) = match joined {
            Ok(Ok(joined)) => joined,
            Ok(Err((reason, traffic))) => {
                debug!(%reason, "connect failed");
                ctx.recorder.connect_failed(&reason, traffic);
                summary.end = reason;
                return summary;
            }
            Err(_) => {
                ctx.recorder.connect_failed("ConnectTimeout", Traffic::default());
                summary.end = "ConnectTimeout".into();
                return summary;
            }
        };
        let took = started.elapsed();
        ctx.recorder.joined(took, client.traffic);
        summary.joined = true;
        summary.connect_ms = Some(took.as_secs_f64() * 1000.0);
        play(&spec, &ctx, client, world, stop, &mut summary).await;
        summary
    }
    .instrument(span)
    .await
}

type JoinFailure = (String, Traffic);

/// Connects, says hello and logs in; the failure reason on error.
async fn join(spec: &BotSpec, ctx: &BotContext) -> Result<(Client, WorldInfo), JoinFailure> {
    let failed = |reason: &str, c: &Client| (reason.to_string(), c.traffic);
    let mut client = match spec.transport {
        Transport::WebTransport => {
            let (Some(url), Some(endpoints)) = (&ctx.webtransport_url, &ctx.endpoints) else {
                return Err(("NoWebTransport".into(), Traffic::default()));
            };
            Client::webtransport(endpoints.client(), url).await
        }
        Transport::WebSocket => Client::websocket(&ctx.websocket_url).await,
    }
    .map_err(|e| {
        debug!(error = %e, "connect");
        ("ConnectError".to_string(), Traffic::default())
    })?;
    let sent = client.send_control(&ClientControl::Hello { version: PROTOCOL_VERSION }).await;
    sent.map_err(|_| failed("SendError", &client))?;
    let world = loop {
        match client.recv().await {
            Ok(Event::Control(ServerControl::Welcome { world, .. })) => break world,
            Ok(Event::Control(ServerControl::Error { code })) => return Err(failed(&format!("{code:?}"), &client)),
            Ok(Event::Closed(code)) => return Err(failed(&close_reason(code), &client)),
            Ok(_) => {}
            Err(_) => return Err(failed("ProtocolError", &client)),
        }
    };
    let sent = client.send_control(&ClientControl::Login { name: spec.name.clone(), password: None }).await;
    sent.map_err(|_| failed("SendError", &client))?;
    loop {
        match client.recv().await {
            Ok(Event::Control(ServerControl::Joined { .. })) => return Ok((client, world)),
            Ok(Event::Control(ServerControl::Error { code })) => return Err(failed(&format!("{code:?}"), &client)),
            Ok(Event::Closed(code)) => return Err(failed(&close_reason(code), &client)),
            Ok(_) => {}
            Err(_) => return Err(failed("ProtocolError", &client)),
        }
    }
}

/// The playing phase.
async fn play(
    spec: &BotSpec,
    ctx: &BotContext,
    mut client: Client,
    world: WorldInfo,
    stop: CancellationToken,
    summary: &mut BotSummary,
) {
    let geometry = world.geometry;
    let tick = Duration::from_millis(u64::from(world.clock.tick_ms.max(1)));
    let hotspot = ctx
        .hotspot
        .map(|[x, y]| IVec2::new(x, y))
        .unwrap_or_else(|| IVec2::new(geometry.width_tiles() / 2, geometry.height_tiles() / 2));
    let chat_every = (ctx.chat_every.as_millis() / tick.as_millis().max(1)) as u64;
    let mut brain = Brain::new(spec.behaviour, spec.seed, geometry, hotspot, chat_every);
    let mut tracker = Tracker::default();
    let mut view = View::default();
    let mut me: Option<Body> = None;
    let mut reported = client.traffic;
    let mut recent: VecDeque<u8> = VecDeque::with_capacity(MAX_INPUTS_PER_FRAME);
    let mut rtts = Vec::new();
    let t0 = tokio::time::Instant::now();
    let mut seq: u32 = 0;
    let mut last_snapshot = tokio::time::Instant::now();

    let ticker = tokio::time::sleep_until(t0);
    tokio::pin!(ticker);

    let (reason, planned, timed_out) = loop {
        tokio::select! {
            biased;
            _ = stop.cancelled() => break ("Left".to_string(), true, false),
            () = &mut ticker => {
                if last_snapshot.elapsed() > SNAPSHOT_TIMEOUT {
                    break ("SnapshotTimeout".to_string(), false, true);
                }
                // Every input due by now (more than one if the bot fell behind), one frame.
                let now = tokio::time::Instant::now();
                let due_now = ((now - t0).as_micros() / tick.as_micros()) as u32 + 1;
                let buttons = me.map_or(0, |body| brain.buttons(&body, &view));
                let sent_at = Instant::now();
                let mut new = 0;
                while seq < due_now {
                    tracker.input_sent(seq + 1, (t0 + tick * seq).into_std(), sent_at);
                    seq += 1;
                    new += 1;
                }
                for _ in 0..new.min(MAX_INPUTS_PER_FRAME) {
                    if recent.len() == MAX_INPUTS_PER_FRAME {
                        recent.pop_front();
                    }
                    recent.push_back(buttons);
                }
                let count = (new + REPEATED_INPUTS).min(recent.len());
                let frame = InputFrame {
                    seq,
                    ack: view.newest_tick(),
                    buttons: recent.iter().skip(recent.len() - count).copied().collect(),
                };
                if client.send_input(frame).await.is_err() {
                    break ("SendError".to_string(), false, false);
                }
                if buttons & Buttons::ATTACK != 0 {
                    ctx.recorder.event(|c| c.attacks += 1);
                }
                if let Some(line) = brain.chat(&spec.name) {
                    if client.send_control(&ClientControl::Chat { text: line }).await.is_err() {
                        break ("SendError".to_string(), false, false);
                    }
                    ctx.recorder.event(|c| c.chat_sent += 1);
                }
                ticker.as_mut().reset(t0 + tick * seq);
            }
            event = client.recv() => match event {
                Ok(Event::Snapshot(s)) => {
                    last_snapshot = tokio::time::Instant::now();
                    let missing_baseline = view.apply(&s).is_err();
                    me = Some(s.you.body);
                    rtts.clear();
                    let outcome = tracker.snapshot(s.tick, &s.you, Instant::now(), |c, r| rtts.push((c, r)));
                    summary.snapshots += 1;
                    summary.snapshot_gaps += u64::from(outcome.missed > 0);
                    summary.cell_crossings += u64::from(outcome.crossed_cell);
                    summary.handoffs_seen += u64::from(outcome.handed_off);
                    summary.round_trips += rtts.len() as u64;
                    let traffic = delta(client.traffic, &mut reported);
                    ctx.recorder.snapshot(SnapshotReport { outcome, traffic, missing_baseline }, &rtts);
                }
                Ok(Event::Control(ServerControl::Chat { .. })) => ctx.recorder.event(|c| c.chat_received += 1),
                Ok(Event::Control(ServerControl::Error { code })) => ctx.recorder.server_error(&format!("{code:?}")),
                // A draining gateway: the bot ends here (it does not resume elsewhere yet).
                Ok(Event::Control(ServerControl::Reconnect)) => break ("Reconnect".to_string(), false, false),
                Ok(Event::Control(_)) => {}
                Ok(Event::Closed(code)) => break (close_reason(code), false, false),
                Err(e) => {
                    debug!(error = %e, "protocol error");
                    ctx.recorder.event(|c| c.protocol_errors += 1);
                    break (protocol_reason(&e).to_string(), false, false);
                }
            },
        }
    };
    let traffic = client.traffic;
    if planned {
        client.close().await;
    }
    summary.end = reason.clone();
    summary.traffic = traffic.into();
    summary.last_position = me.map(|b| [f64::from(b.pos.x) / f64::from(SUB), f64::from(b.pos.y) / f64::from(SUB)]);
    ctx.recorder.ended(&reason, planned, timed_out, delta(traffic, &mut reported));
}

fn protocol_reason(e: &ClientError) -> &'static str {
    match e {
        ClientError::Decode(_) => "UndecodableMessage",
        ClientError::Frame(_) => "OversizedFrame",
        ClientError::UnknownChannel(_) => "UnknownChannel",
        _ => "ProtocolError",
    }
}

/// Traffic since the last report.
fn delta(now: Traffic, reported: &mut Traffic) -> Traffic {
    let d = Traffic {
        msgs_out: now.msgs_out - reported.msgs_out,
        msgs_in: now.msgs_in - reported.msgs_in,
        bytes_out: now.bytes_out - reported.bytes_out,
        bytes_in: now.bytes_in - reported.bytes_in,
    };
    *reported = now;
    d
}

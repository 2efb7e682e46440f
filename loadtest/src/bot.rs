//! One bot: connects over its transport, says hello, logs in, then plays at the world's tick
//! rate until told to leave (a planned disconnect) or the session ends (an unexpected one).
//! A draining gateway's `Reconnect` (or a close with `Draining`) is no end: the bot moves to
//! the gateway `/api/connect` names and resumes its character there ([`crate::session`]),
//! counted as a gateway move; one that cannot resume ends with `ResumeFailed`. So is a gateway
//! that stops answering (killed: the connection drops without a close code, or neither a
//! snapshot nor a `Stalled` notice comes for [`LOST_AFTER`]): the bot resumes elsewhere the
//! same way, counted also as a gateway loss, and how far its character stood from where it was
//! before is its rollback. Through a stall (the gateway's notices come, snapshots do not: its
//! zone died or is paused) the bot waits, as the browser does, until snapshots resume or the
//! gateway gives up on the player (it closes the session with `ZoneUnavailable`).
//!
//! Every snapshot's own position also goes through a [`RollbackWatch`], across gateway moves:
//! a jump of the character back to a place it held earlier (a zone killed and the character
//! restored from an older state) or beyond what physics allows is a rollback, counted per bot
//! and reported with its time to the [`Recorder`].
//!
//! Each tick it sends the input due (with the previous ones repeated against loss, as the
//! browser does), acknowledging the newest snapshot it rebuilt; everything it receives goes
//! through its [`Tracker`] into the shared [`Recorder`].

use crate::behaviour::Brain;
use crate::client::{close_reason, Client, ClientError, Endpoints, Event, GatewayRoute, Traffic, Trust};
use crate::mix::{Behaviour, Transport};
use crate::recorder::{MoveEvent, Recorder, RollbackEvent, SnapshotReport};
use crate::rollback::RollbackWatch;
use crate::session::{join, relocate, Joined};
use crate::tracker::Tracker;
use crate::view::SharedExtrapolations;
use glam::IVec2;
use mmo_protocol::limits::MAX_INPUTS_PER_FRAME;
use mmo_protocol::{ClientControl, ErrorCode, InputFrame, ServerControl};
use mmo_protocol::{EntityKind, View};
use mmo_world::physics::SUB;
use mmo_world::{Body, Buttons};
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, info_span, warn, Instrument};

/// Hearing nothing at all (no snapshot, no `Stalled` notice) for this long, a bot gives up on
/// its session.
const SNAPSHOT_TIMEOUT: Duration = Duration::from_secs(8);
/// Hearing nothing for this long, a bot takes its gateway for lost and resumes elsewhere
/// (once: a second time without a snapshot between ends the session at [`SNAPSHOT_TIMEOUT`]).
const LOST_AFTER: Duration = Duration::from_secs(4);
/// How long a leaving bot waits for the zone to apply its last inputs.
const SETTLE: Duration = Duration::from_secs(2);
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
    /// The run's target gateway, as its `/api/connect` described it.
    pub route: GatewayRoute,
    /// The run's target, asked where to go when the gateway a bot was on no longer answers.
    pub target: url::Url,
    pub endpoints: Option<Arc<Endpoints>>,
    /// Roots for gateways with CA-signed certificates.
    pub trust: Trust,
    pub connect_timeout: Duration,
    /// Hotspot in tiles; `None`: the middle of the world.
    pub hotspot: Option<[i32; 2]>,
    pub chat_every: Duration,
    /// Extrapolations shared by the bots' views.
    pub extrapolations: SharedExtrapolations,
    /// The HTTP bases of the world's other gateways, as the newest `/api/connect` answer named
    /// them: where a bot whose gateway and target no longer answer resumes.
    pub gateways: std::sync::Mutex<Vec<url::Url>>,
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
    /// Where the first few gaps were (the rest are only counted).
    pub first_gaps: Vec<GapSeen>,
    pub cell_crossings: u64,
    pub handoffs_seen: u64,
    /// Moves to another gateway (its gateway drained) with the session resumed there.
    pub gateway_moves: u64,
    /// The longest time without a snapshot across one of those moves.
    pub longest_move_outage_ms: Option<f64>,
    /// Of those moves, the ones because the gateway stopped answering (killed).
    pub gateway_losses: u64,
    /// The farthest the character stood, after a move, from where it was before (tiles).
    pub longest_rollback_tiles: Option<f64>,
    /// Jumps of the character's own position back to an earlier place or beyond physics
    /// ([`crate::rollback`]), across gateway moves too.
    pub rollbacks: u64,
    /// The most movement progress one of them lost (s); jumps to places never held add none.
    pub longest_rollback_s: Option<f64>,
    /// Snapshots that showed another avatar of this character (a second copy in the world,
    /// e.g. one its killed gateway left behind): never, if all is well.
    pub twins_seen: u64,
    pub round_trips: u64,
    /// Where the bot last stood, in tiles (x, y; y grows downwards).
    pub last_position: Option<[f64; 2]>,
    /// `Left` for a planned leave, else the close reason or failure.
    pub end: String,
    pub traffic: TrafficSummary,
}

/// Gaps kept per bot in [`BotSummary::first_gaps`].
const GAPS_KEPT: usize = 3;

/// A snapshot that came after skipped ticks: which, and where the player was then.
#[derive(Clone, Debug, Serialize)]
pub struct GapSeen {
    /// The tick of the snapshot after the gap.
    pub tick: u64,
    /// When that snapshot arrived (Unix milliseconds), to match a gap to a fault's time.
    pub at_unix_ms: u64,
    /// Ticks skipped before it.
    pub missed: u64,
    pub zone: u32,
    pub cell: String,
    /// The snapshot also showed a handoff to another zone.
    pub handed_off: bool,
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
            first_gaps: Vec::new(),
            cell_crossings: 0,
            handoffs_seen: 0,
            gateway_moves: 0,
            longest_move_outage_ms: None,
            gateway_losses: 0,
            longest_rollback_tiles: None,
            rollbacks: 0,
            longest_rollback_s: None,
            twins_seen: 0,
            round_trips: 0,
            last_position: None,
            end: String::new(),
            traffic: TrafficSummary::default(),
        };
        let started = Instant::now();
        let login = ClientControl::Login { name: spec.name.clone(), password: None };
        let joined = tokio::select! {
            _ = stop.cancelled() => {
                summary.end = "StoppedWhileConnecting".into();
                return summary;
            }
            j = join(&spec, &ctx, &ctx.route, &login) => j,
        };
        let joined = match joined {
            Ok(joined) => joined,
            Err((reason, traffic)) => {
                debug!(%reason, "connect failed");
                ctx.recorder.connect_failed(&reason, traffic);
                summary.end = reason;
                return summary;
            }
        };
        let took = started.elapsed();
        ctx.recorder.joined(took, joined.client.traffic);
        summary.joined = true;
        summary.connect_ms = Some(took.as_secs_f64() * 1000.0);
        play(&spec, &ctx, joined, stop, &mut summary).await;
        summary
    }
    .instrument(span)
    .await
}

/// What the playing loop does after one event.
enum Step {
    Go,
    /// The gateway drains (false) or stopped answering (true): move to another.
    Move(bool),
    /// The session ends: why, whether the bot left on purpose, whether snapshots stopped.
    End(String, bool, bool),
}

/// After a send failed: the gateway is gone, so move to another, unless this session is
/// already the move's and has not shown a snapshot yet (then the session is lost).
fn send_failed(lost_since_snapshot: bool) -> Step {
    if lost_since_snapshot {
        Step::End("SendError".to_string(), false, false)
    } else {
        Step::Move(true)
    }
}

/// The playing phase, across gateway moves.
async fn play(spec: &BotSpec, ctx: &BotContext, joined: Joined, stop: CancellationToken, summary: &mut BotSummary) {
    let Joined { mut client, world, mut token } = joined;
    let mut route = ctx.route.clone();
    let geometry = world.geometry;
    let tick = Duration::from_millis(u64::from(world.clock.tick_ms.max(1)));
    let hotspot = ctx
        .hotspot
        .map(|[x, y]| IVec2::new(x, y))
        .unwrap_or_else(|| IVec2::new(geometry.width_tiles() / 2, geometry.height_tiles() / 2));
    let chat_every = (ctx.chat_every.as_millis() / tick.as_millis().max(1)) as u64;
    let mut brain = Brain::new(spec.behaviour, spec.seed, geometry, hotspot, chat_every);
    let mut tracker = Tracker::default();
    // Kept across gateway moves: a rollback across one is a jump too.
    let mut positions = RollbackWatch::default();
    let mut zone: Option<u32> = None;
    let mut view = Arc::new(View::default());
    let mut me: Option<Body> = None;
    let mut reported = client.traffic;
    // The traffic of the sessions left behind on drained gateways.
    let mut earlier = Traffic::default();
    let mut recent: VecDeque<u8> = VecDeque::with_capacity(MAX_INPUTS_PER_FRAME);
    let mut rtts = Vec::new();
    let mut t0 = tokio::time::Instant::now();
    let mut seq: u32 = 0;
    let mut last_snapshot = tokio::time::Instant::now();
    // The last snapshot or `Stalled` notice: the gateway is alive.
    let mut last_heard = last_snapshot;
    // Set by a move until its first snapshot: when the last one before it came, and where the
    // character stood then.
    let mut moved_after: Option<(tokio::time::Instant, Option<Body>, bool)> = None;
    // A loss was taken since the last snapshot (a second one ends the session).
    let mut lost_since_snapshot = false;

    let ticker = tokio::time::sleep_until(t0);
    tokio::pin!(ticker);

    let draining = Some(ErrorCode::Draining.close_code());
    let (reason, planned, timed_out) = loop {
        let step = tokio::select! {
            biased;
            _ = stop.cancelled() => Step::End("Left".to_string(), true, false),
            () = &mut ticker => 'tick: {
                if last_heard.elapsed() > SNAPSHOT_TIMEOUT {
                    break 'tick Step::End("SnapshotTimeout".to_string(), false, true);
                }
                if last_heard.elapsed() > LOST_AFTER && !lost_since_snapshot {
                    break 'tick Step::Move(true);
                }
                // Every input due by now (more than one if the bot fell behind), one frame.
                let now = tokio::time::Instant::now();
                let due_now = ((now - t0).as_micros() / tick.as_micros()) as u32 + 1;
                let buttons = me.map_or(0, |body| brain.buttons(&body, &view));
                let sent_at = Instant::now();
                let mut new = 0;
                while seq < due_now {
                    tracker.input_sent(seq + 1, (t0 + tick * seq).into_std(), sent_at);
                    positions.input_sent(buttons);
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
                    ack: client.ack(),
                    buttons: recent.iter().skip(recent.len() - count).copied().collect(),
                };
                if client.send_input(frame).await.is_err() {
                    break 'tick send_failed(lost_since_snapshot);
                }
                if buttons & Buttons::ATTACK != 0 {
                    ctx.recorder.event(|c| c.attacks += 1);
                }
                if let Some(line) = brain.chat(&spec.name, me.as_ref(), &view) {
                    if client.send_control(&ClientControl::Chat { text: line }).await.is_err() {
                        break 'tick send_failed(lost_since_snapshot);
                    }
                    ctx.recorder.event(|c| c.chat_sent += 1);
                }
                ticker.as_mut().reset(t0 + tick * seq);
                Step::Go
            },
            event = client.recv() => match event {
                Ok(Event::Unrebuilt { tick, error }) => {
                    // Not shown to the player: like a lost snapshot (a gap if never rebuilt).
                    warn!(tick = tick.0, %error, "snapshot not rebuilt");
                    ctx.recorder.unusable_snapshot(delta(client.traffic, &mut reported));
                    Step::Go
                }
                Ok(Event::Snapshot(s)) => {
                    let now = tokio::time::Instant::now();
                    if let Some((before, stood, lost)) = moved_after.take() {
                        let ms = (now - before).as_secs_f64() * 1000.0;
                        let bot = spec.name.clone();
                        ctx.recorder.moved_back(MoveEvent { at_unix_ms: mmo_world::unix_ms(), bot, outage_ms: ms, lost });
                        summary.longest_move_outage_ms = Some(summary.longest_move_outage_ms.map_or(ms, |m| m.max(ms)));
                        if let Some(stood) = stood {
                            let [x0, y0] = tiles(stood);
                            let [x1, y1] = tiles(s.you.body);
                            let tiles = (x1 - x0).hypot(y1 - y0);
                            summary.longest_rollback_tiles = Some(summary.longest_rollback_tiles.map_or(tiles, |m| m.max(tiles)));
                        }
                    }
                    last_snapshot = now;
                    last_heard = now;
                    lost_since_snapshot = false;
                    if s.entities.values().any(|e| matches!(&e.kind, EntityKind::Player { name } if name.eq_ignore_ascii_case(&spec.name))) {
                        summary.twins_seen += 1;
                        warn!(tick = s.tick.0, "another avatar of this character is in view");
                    }
                    let you = &s.you;
                    me = Some(you.body);
                    rtts.clear();
                    let arrived = Instant::now();
                    let arrived_ms = mmo_world::unix_ms();
                    // A late snapshot is not where the character stands now.
                    if positions.last_tick().is_none_or(|t| s.tick > t) {
                        if let Some(r) = positions.observe(arrived, s.tick, you.body.pos, you.hp > 0, you.last_input_seq) {
                            summary.rollbacks += 1;
                            if let Some(secs) = r.seconds {
                                summary.longest_rollback_s = Some(summary.longest_rollback_s.map_or(secs, |m| m.max(secs)));
                            }
                            let from_zone = zone.unwrap_or(you.zone.0);
                            warn!(tick = s.tick.0, seconds = ?r.seconds, tiles = r.tiles, outage_s = r.outage_s, zone = you.zone.0, from_zone, "own position rolled back");
                            ctx.recorder.rollback(RollbackEvent {
                                at_unix_ms: arrived_ms,
                                bot: spec.name.clone(),
                                seconds: r.seconds,
                                tiles: r.tiles,
                                zone: you.zone.0,
                                from_zone,
                                outage_s: r.outage_s,
                            });
                        }
                        zone = Some(you.zone.0);
                    }
                    let outcome = tracker.snapshot(s.tick, you, arrived, |c, r| rtts.push((c, r)));
                    summary.snapshots += 1;
                    if outcome.missed > 0 {
                        summary.snapshot_gaps += 1;
                        let gap = GapSeen {
                            tick: s.tick.0,
                            at_unix_ms: arrived_ms,
                            missed: outcome.missed,
                            zone: you.zone.0,
                            cell: you.cell.to_string(),
                            handed_off: outcome.handed_off,
                        };
                        warn!(tick = gap.tick, missed = gap.missed, zone = gap.zone, cell = %gap.cell, "snapshot gap");
                        if summary.first_gaps.len() < GAPS_KEPT {
                            summary.first_gaps.push(gap);
                        }
                    }
                    summary.cell_crossings += u64::from(outcome.crossed_cell);
                    summary.handoffs_seen += u64::from(outcome.handed_off);
                    summary.round_trips += rtts.len() as u64;
                    let traffic = delta(client.traffic, &mut reported);
                    ctx.recorder.snapshot(SnapshotReport { outcome, traffic, in_view: s.entities.len() }, &rtts);
                    if s.tick >= view.tick {
                        view = s;
                    }
                    Step::Go
                }
                Ok(Event::Control(ServerControl::Chat { .. })) => {
                    ctx.recorder.event(|c| c.chat_received += 1);
                    Step::Go
                }
                Ok(Event::Control(ServerControl::Error { code })) => {
                    ctx.recorder.server_error(&format!("{code:?}"));
                    Step::Go
                }
                Ok(Event::Control(ServerControl::Reconnect)) => Step::Move(false),
                Ok(Event::Control(ServerControl::Stalled)) => {
                    last_heard = tokio::time::Instant::now();
                    ctx.recorder.event(|c| c.stall_notices += 1);
                    Step::Go
                }
                Ok(Event::Control(_)) => Step::Go,
                Ok(Event::Closed(code)) if code == draining => Step::Move(false),
                Ok(Event::Closed(None)) if !lost_since_snapshot => Step::Move(true),
                Ok(Event::Closed(code)) => Step::End(close_reason(code), false, false),
                Err(e) => {
                    debug!(error = %e, "protocol error");
                    ctx.recorder.event(|c| c.protocol_errors += 1);
                    Step::End(protocol_reason(&e).to_string(), false, false)
                }
            },
        };
        match step {
            Step::Go => {}
            Step::End(reason, planned, timed_out) => break (reason, planned, timed_out),
            Step::Move(lost) => {
                if lost {
                    warn!(from = %route.http, silent_ms = last_snapshot.elapsed().as_millis() as u64, "gateway lost; resuming elsewhere");
                    lost_since_snapshot = true;
                }
                // Leave the draining gateway first: it logs the player out (and saves it), so
                // the name is free for the resume elsewhere.
                let left = delta(client.traffic, &mut reported);
                earlier = earlier + client.traffic;
                client.close().await;
                let moved = tokio::select! {
                    _ = stop.cancelled() => Err(None),
                    moved = relocate(spec, ctx, &route, &token, lost) => moved.map_err(Some),
                };
                let (joined, to) = match moved {
                    Ok(moved) => moved,
                    Err(failure) => {
                        let (reason, planned) = match failure {
                            Some(why) => {
                                warn!(%why, from = %route.http, "could not resume on another gateway");
                                ("ResumeFailed".to_string(), false)
                            }
                            None => ("Left".to_string(), true),
                        };
                        summary.end = reason.clone();
                        summary.traffic = earlier.into();
                        summary.last_position = me.map(tiles);
                        ctx.recorder.ended(&reason, planned, false, left);
                        return;
                    }
                };
                info!(from = %route.http, to = %to.http, "moved to another gateway");
                ctx.recorder.moved(left, lost);
                summary.gateway_moves += 1;
                summary.gateway_losses += u64::from(lost);
                Joined { client, token, .. } = joined;
                route = to;
                reported = Traffic::default();
                // A new session: its inputs count from 1, its snapshots have no baseline yet.
                tracker.moved();
                positions.new_session();
                view = Arc::new(View::default());
                recent.clear();
                seq = 0;
                t0 = tokio::time::Instant::now();
                ticker.as_mut().reset(t0);
                moved_after = Some((last_snapshot, me, lost));
                last_snapshot = t0;
                last_heard = t0;
            }
        }
    };
    if planned {
        // The character's last position is the one its logout saves (a census compares them).
        if let Some(body) = settle(&mut client, seq).await {
            me = Some(body);
        }
    }
    let traffic = client.traffic;
    if planned {
        client.close().await;
    }
    summary.end = reason.clone();
    summary.traffic = (earlier + traffic).into();
    summary.last_position = me.map(tiles);
    ctx.recorder.ended(&reason, planned, timed_out, delta(traffic, &mut reported));
}

/// Before a planned leave: sends nothing more and waits (up to [`SETTLE`]) for a snapshot in
/// which the zone applied every input sent up to `sent` (a player moves only on its inputs);
/// that snapshot's body, if one came.
async fn settle(client: &mut Client, sent: u32) -> Option<Body> {
    let deadline = tokio::time::Instant::now() + SETTLE;
    loop {
        match tokio::time::timeout_at(deadline, client.recv()).await {
            Ok(Ok(Event::Snapshot(s))) if s.you.last_input_seq >= sent => return Some(s.you.body),
            Ok(Ok(Event::Closed(_))) | Ok(Err(_)) | Err(_) => return None,
            Ok(Ok(_)) => {}
        }
    }
}

/// A body's position in tiles.
fn tiles(body: Body) -> [f64; 2] {
    [f64::from(body.pos.x) / f64::from(SUB), f64::from(body.pos.y) / f64::from(SUB)]
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

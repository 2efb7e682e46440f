//! One client session, from hello to goodbye, over any [`Transport`].
//!
//! Phases: `Hello` (version check) -> `Login` (name, and a password for an account) or `Resume`
//! (a session token), checked against the player store ([`crate::accounts`]); errors here let
//! the client retry -> playing, from the player's saved record (the zone that owns the cell of
//! the saved position creates the avatar). `Joined` carries a fresh session token. At the end
//! the session logs the player out and waits (at most [`LEAVE_SAVE_TIMEOUT`]) until the zone has
//! saved the record before it frees the name, so a login right after reads the newest record. While playing, each completed tick of the cell cache produces one snapshot datagram
//! for this client, plus terrain and chat on the control stream; input datagrams go to the zone
//! simulating the player. Anything malformed, oversized, unknown, out of phase or flooding ends
//! this session alone, with a coded error.
//!
//! The player walks between zones without the session noticing: the frame holding the player's
//! entity names the zone simulating it, and inputs follow that zone from the next tick on (the
//! zone it left forwards what still reaches it).

use crate::held::in_transit;
use crate::rate::RateWindow;
use crate::state::GatewayState;
use crate::transport::{Inbound, Transport, TransportError};
use crate::view::ClientView;
use bytes::Bytes;
use glam::IVec2;
use mmo_cluster::peer::SessionRoute;
use mmo_cluster::{ZoneCommand, ZoneHandle};
use mmo_protocol::control::{validate_chat, validate_name};
use mmo_protocol::limits::{
    MAX_CLIENT_CONTROL, MAX_CLIENT_DATAGRAM, MAX_INPUTS_PER_FRAME, MAX_SERVER_CONTROL, MAX_SNAPSHOT_BYTES,
};
use mmo_protocol::{
    codec, CellEvent, ClientControl, ClientDatagram, ErrorCode, InputFrame, OwnState, ServerControl, ServerDatagram,
    PROTOCOL_VERSION,
};
use mmo_protocol::{CellFrame, EntityKind, EntityState, Snapshot};
use mmo_store::DurableStore;
use mmo_world::physics::SUB_SHIFT;
use mmo_world::{Buttons, CellId, EntityId, SessionId, Tick, ZoneId};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tracing::{debug, info, info_span, warn, Instrument};

/// Half the size of the area a client sees, in tiles (the viewport is about 80 x 45).
const VIEW_HALF: IVec2 = IVec2::new(48, 30);
/// Half the size of the area whose terrain the client is sent ahead of time.
const TERRAIN_HALF: IVec2 = IVec2::new(110, 70);
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// Messages per second a client may send (it sends 20 inputs a second).
const FLOOD_LIMIT: u32 = 150;
/// Chat lines per 5 seconds.
const CHAT_LIMIT: u32 = 5;
/// Ticks without seeing the player's entity before giving up on its zone.
const MISSING_TICKS: u32 = 100;
/// Ticks to wait for a dead zone's cells to get a new owner that takes the player back.
const ORPHAN_TICKS: u32 = 1200;
/// How long a resumed session waits for the old session of the same player to log out.
const RESUME_WAIT: Duration = Duration::from_secs(5);
/// How long a logout waits for the zone to save the player before freeing the name.
pub const LEAVE_SAVE_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    ClientLeft,
    Shutdown,
    Error(ErrorCode),
}

impl From<ErrorCode> for End {
    fn from(code: ErrorCode) -> Self {
        End::Error(code)
    }
}

impl From<TransportError> for End {
    fn from(e: TransportError) -> Self {
        match e {
            TransportError::FrameTooLarge { .. } => End::Error(ErrorCode::FrameTooLarge),
            TransportError::Framing(_) => End::Error(ErrorCode::MalformedMessage),
            TransportError::Closed | TransportError::Io(_) => End::ClientLeft,
        }
    }
}

/// Serves one client until it leaves, misbehaves or the gateway shuts down.
pub async fn serve<T: Transport>(mut transport: T, state: Arc<GatewayState>, shutdown: watch::Receiver<bool>) {
    let kind = transport.kind().label();
    let Some(slot) = state.open_session() else {
        metrics::counter!("mmo_gateway_disconnects_total", "reason" => "ServerFull").increment(1);
        transport.close(ErrorCode::ServerFull.close_code(), "server full").await;
        return;
    };
    let span = info_span!("session", session = %slot.id, transport = kind);
    async move {
        info!("session opened");
        let mut session = Session {
            id: slot.id,
            state: state.clone(),
            playing: None,
            flood: RateWindow::new(FLOOD_LIMIT, 1000, Instant::now()),
        };
        let end = session.run(&mut transport, shutdown).await;
        session.leave().await;
        let reason = match end {
            End::ClientLeft => "ClientLeft",
            End::Shutdown => "Shutdown",
            End::Error(code) => code_name(code),
        };
        metrics::counter!("mmo_gateway_disconnects_total", "reason" => reason).increment(1);
        info!(reason, "session closed");
        match end {
            End::ClientLeft => transport.close(0, "bye").await,
            End::Shutdown => {
                send_control(&mut transport, &ServerControl::Error { code: ErrorCode::ShuttingDown }).await.ok();
                transport.close(ErrorCode::ShuttingDown.close_code(), "shutting down").await
            }
            End::Error(code) => {
                send_control(&mut transport, &ServerControl::Error { code }).await.ok();
                transport.close(code.close_code(), code_name(code)).await
            }
        }
        drop(slot);
    }
    .instrument(span)
    .await
}

fn code_name(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::VersionMismatch => "VersionMismatch",
        ErrorCode::MalformedMessage => "MalformedMessage",
        ErrorCode::UnknownMessage => "UnknownMessage",
        ErrorCode::FrameTooLarge => "FrameTooLarge",
        ErrorCode::UnexpectedMessage => "UnexpectedMessage",
        ErrorCode::InputFlood => "InputFlood",
        ErrorCode::ChatFlood => "ChatFlood",
        ErrorCode::NameTaken => "NameTaken",
        ErrorCode::NameInvalid => "NameInvalid",
        ErrorCode::ChatInvalid => "ChatInvalid",
        ErrorCode::ServerFull => "ServerFull",
        ErrorCode::ZoneUnavailable => "ZoneUnavailable",
        ErrorCode::ShuttingDown => "ShuttingDown",
        ErrorCode::Internal => "Internal",
        ErrorCode::WrongPassword => "WrongPassword",
        ErrorCode::PasswordInvalid => "PasswordInvalid",
        ErrorCode::TokenInvalid => "TokenInvalid",
        ErrorCode::TokenExpired => "TokenExpired",
        ErrorCode::CharacterCorrupt => "CharacterCorrupt",
        ErrorCode::StoreUnavailable => "StoreUnavailable",
    }
}

async fn send_control<T: Transport>(t: &mut T, msg: &ServerControl) -> Result<(), End> {
    let bytes = codec::encode(msg, MAX_SERVER_CONTROL).map_err(|_| End::Error(ErrorCode::Internal))?;
    t.send_control(&bytes).await.map_err(End::from)
}

/// A logged-in player's part of the session.
#[derive(Debug)]
struct Playing {
    entity: EntityId,
    name: Arc<str>,
    zone: ZoneHandle,
    /// The next input sequence number to forward; older ones are repeats.
    next_seq: u32,
    ack: Option<Tick>,
    last_snapshot: Tick,
    interest: Vec<CellId>,
    terrain_sent: HashSet<CellId>,
    view: ClientView,
    last_event_tick: Tick,
    missing_ticks: u32,
    /// The player as last published, to re-create it if its zone dies.
    last_seen: Option<Seen>,
    chat: RateWindow,
    /// The inventory last sent to the client (`None`: not sent yet).
    inventory: Option<Vec<mmo_protocol::InventoryItem>>,
    /// The ground items in view last sent to the client, by serial.
    ground: Vec<mmo_protocol::GroundItem>,
}

/// The player's entity as a zone published it.
#[derive(Clone, Debug)]
struct Seen {
    state: EntityState,
    tick: Tick,
    zone: ZoneId,
}

struct Session {
    id: SessionId,
    state: Arc<GatewayState>,
    playing: Option<Playing>,
    flood: RateWindow,
}

impl Session {
    async fn run<T: Transport>(&mut self, t: &mut T, mut shutdown: watch::Receiver<bool>) -> End {
        let phases = async {
            self.hello(t).await?;
            self.login(t).await?;
            self.play(t).await
        };
        tokio::select! {
            end = phases => match end {
                Ok(()) => End::ClientLeft,
                Err(end) => end,
            },
            _ = shutdown.wait_for(|stop| *stop) => End::Shutdown,
        }
    }

    /// Receives the next control message, dropping datagrams (inputs before login are moot).
    async fn next_control<T: Transport>(&mut self, t: &mut T) -> Result<ClientControl, End> {
        loop {
            let inbound = t.recv().await?;
            if !self.flood.allow(Instant::now()) {
                return Err(ErrorCode::InputFlood.into());
            }
            match inbound {
                Inbound::Control(bytes) => return Ok(codec::decode(&bytes, MAX_CLIENT_CONTROL).map_err(|e| e.code())?),
                Inbound::Datagram(bytes) => {
                    codec::decode::<ClientDatagram>(&bytes, MAX_CLIENT_DATAGRAM).map_err(|e| e.code())?;
                }
            }
        }
    }

    async fn hello<T: Transport>(&mut self, t: &mut T) -> Result<(), End> {
        let msg = tokio::time::timeout(HELLO_TIMEOUT, self.next_control(t)).await.map_err(|_| End::ClientLeft)??;
        match msg {
            ClientControl::Hello { version } if version == PROTOCOL_VERSION => {
                let welcome =
                    ServerControl::Welcome { version: PROTOCOL_VERSION, session: self.id, world: self.state.world };
                send_control(t, &welcome).await
            }
            ClientControl::Hello { version } => {
                info!(client_version = version, "protocol version mismatch");
                Err(ErrorCode::VersionMismatch.into())
            }
            _ => Err(ErrorCode::UnexpectedMessage.into()),
        }
    }

    async fn login<T: Transport>(&mut self, t: &mut T) -> Result<(), End> {
        loop {
            let result = match self.next_control(t).await? {
                ClientControl::Login { name, password } => self.login_with(&name, password.as_deref()).await,
                ClientControl::Resume { token } => self.resume(&token).await,
                _ => return Err(ErrorCode::UnexpectedMessage.into()),
            };
            match result {
                Ok(playing) => {
                    let joined = ServerControl::Joined {
                        entity: playing.entity,
                        name: playing.name.to_string(),
                        zone: playing.zone.zone,
                        tick: self.state.cells.ticks().borrow().to_owned(),
                        token: self.state.accounts.issue_token(&playing.name),
                    };
                    info!(name = %playing.name, entity = %playing.entity, zone = %playing.zone.zone, "player joined");
                    self.playing = Some(playing);
                    return send_control(t, &joined).await;
                }
                Err(code) if !code.is_fatal() => {
                    metrics::counter!("mmo_gateway_login_refused_total", "reason" => code_name(code)).increment(1);
                    send_control(t, &ServerControl::Error { code }).await?
                }
                Err(code) => return Err(code.into()),
            }
        }
    }

    /// `Login`: claims the name, checks the password, loads (or creates) the character.
    async fn login_with(&mut self, name: &str, password: Option<&str>) -> Result<Playing, ErrorCode> {
        validate_name(name)?;
        if !self.state.names.claim(name) {
            return Err(ErrorCode::NameTaken);
        }
        if let Err(code) = self.state.online.claim(name).await {
            self.state.names.release(name);
            return Err(code);
        }
        let state = self.state.clone();
        let record = state.accounts.login(name, password, state.start_point(), state.start_cell()).await;
        self.join_claimed(name, record).await
    }

    /// `Resume`: the token names the character; waits for an old session of it to log out.
    async fn resume(&mut self, token: &str) -> Result<Playing, ErrorCode> {
        let name = self.state.accounts.verify_token(token)?;
        if !self.state.names.claim_within(&name, RESUME_WAIT).await {
            return Err(ErrorCode::NameTaken);
        }
        if let Err(code) = self.state.online.claim_within(&name, RESUME_WAIT).await {
            self.state.names.release(&name);
            return Err(code);
        }
        let record = self.state.accounts.resume(token).await;
        self.join_claimed(&name, record).await
    }

    /// With `name` claimed: creates the avatar from `record` on the zone owning the cell of its
    /// position (a new character: the start cell). Frees the name on failure.
    async fn join_claimed(
        &mut self,
        name: &str,
        record: Result<mmo_store::PlayerRecord, ErrorCode>,
    ) -> Result<Playing, ErrorCode> {
        let result = async {
            let record = record?;
            let name: Arc<str> = record.name.as_str().into();
            let cell = if record.version == 0 {
                self.state.start_cell()
            } else {
                self.state.world.geometry.cell_of_pos(record.position)
            };
            let zone = self.state.cells.owner(cell).ok_or(ErrorCode::ZoneUnavailable)?;
            let route = SessionRoute { gateway: self.state.id, session: self.id };
            let accepted = zone
                .join(record, route)
                .await
                .map_err(|_| ErrorCode::ZoneUnavailable)?
                .map_err(|_| ErrorCode::ZoneUnavailable)?;
            let interest = self.state.cells_around(accepted.pos, VIEW_HALF);
            self.state.cells.set_interest(self.id, &interest).await;
            Ok(Playing {
                entity: accepted.entity,
                name: name.clone(),
                zone,
                next_seq: 1,
                ack: None,
                last_snapshot: Tick(0),
                interest,
                terrain_sent: HashSet::new(),
                view: ClientView::default(),
                last_event_tick: Tick(0),
                missing_ticks: 0,
                last_seen: None,
                chat: RateWindow::new(CHAT_LIMIT, 5000, Instant::now()),
                inventory: None,
                ground: Vec::new(),
            })
        }
        .await;
        if result.is_err() {
            self.state.names.release(name);
            self.state.online.release(name).await;
        }
        result
    }

    async fn play<T: Transport>(&mut self, t: &mut T) -> Result<(), End> {
        let mut ticks = self.state.cells.ticks();
        loop {
            tokio::select! {
                inbound = t.recv() => {
                    let inbound = inbound?;
                    if !self.flood.allow(Instant::now()) {
                        warn!("input flood");
                        return Err(ErrorCode::InputFlood.into());
                    }
                    self.on_inbound(t, inbound).await?;
                }
                changed = ticks.changed() => {
                    if changed.is_err() {
                        return Err(ErrorCode::ShuttingDown.into());
                    }
                    let complete = *ticks.borrow_and_update();
                    self.on_tick(t, complete).await?;
                }
            }
        }
    }

    async fn on_inbound<T: Transport>(&mut self, t: &mut T, inbound: Inbound) -> Result<(), End> {
        let playing = self.playing.as_mut().expect("playing after login");
        match inbound {
            Inbound::Datagram(bytes) => {
                let ClientDatagram::Input(frame) = codec::decode(&bytes, MAX_CLIENT_DATAGRAM).map_err(|e| e.code())?;
                playing.on_input(frame)?;
            }
            Inbound::Control(bytes) => match codec::decode(&bytes, MAX_CLIENT_CONTROL).map_err(|e| e.code())? {
                ClientControl::Chat { text } => {
                    let refused = validate_chat(&text)
                        .err()
                        .or_else(|| (!playing.chat.allow(Instant::now())).then_some(ErrorCode::ChatFlood));
                    match refused {
                        Some(code) => send_control(t, &ServerControl::Error { code }).await?,
                        None => {
                            let _ =
                                playing.zone.try_send(ZoneCommand::Chat { entity: playing.entity, text: text.into() });
                        }
                    }
                }
                ClientControl::Hello { .. } | ClientControl::Login { .. } | ClientControl::Resume { .. } => {
                    return Err(ErrorCode::UnexpectedMessage.into())
                }
            },
        }
        Ok(())
    }

    /// Sends this client's snapshot of every complete tick since the last one (up to
    /// `complete`), then new terrain, inventory, ground items and chat.
    async fn on_tick<T: Transport>(&mut self, t: &mut T, complete: Tick) -> Result<(), End> {
        let state = self.state.clone();
        let playing = self.playing.as_mut().expect("playing after login");
        let held = state.cells.frames(&playing.interest);
        let budget = MAX_SNAPSHOT_BYTES.min(t.max_datagram());
        // Oldest first, so a session woken late still sends every tick. During a handoff the
        // entity is in the old zone's frame of one tick and the new zone's of the next; a tick
        // or two between them that no zone published (a late handoff) goes out as last seen.
        let mut newest = None;
        while let Some((own_frame, own)) = held.next_own(playing.entity, playing.last_snapshot, complete) {
            let seen = Seen { state: own.clone(), tick: own_frame.tick, zone: own_frame.zone };
            let last_seen = playing.last_seen.as_ref().map(|s| s.tick);
            for tick in in_transit(playing.last_snapshot, last_seen, seen.tick) {
                let last = playing.last_seen.clone().expect("in transit after a tick it was seen");
                metrics::counter!("mmo_gateway_in_transit_ticks_total").increment(1);
                send_snapshot(t, playing.snapshot(&state, tick, &last, &held.at(tick), budget), budget).await?;
            }
            let frames = held.at(seen.tick);
            send_snapshot(t, playing.snapshot(&state, seen.tick, &seen, &frames, budget), budget).await?;
            playing.last_snapshot = seen.tick;
            playing.last_seen = Some(seen);
            newest = Some((own_frame, own, frames));
        }
        let Some((own_frame, own, frames)) = newest else {
            playing.missing_ticks += 1;
            // Its zone left the registry (lease expired): wait for the new owner and restore.
            if state.cells.zone(playing.zone.zone).is_none() {
                if revive(&state, self.id, playing).await {
                    playing.missing_ticks = 0;
                    return Ok(());
                }
                if playing.missing_ticks > ORPHAN_TICKS {
                    warn!(entity = %playing.entity, "no zone took the player back after its zone died");
                    return Err(ErrorCode::ZoneUnavailable.into());
                }
                return Ok(());
            }
            if playing.missing_ticks > MISSING_TICKS {
                warn!(entity = %playing.entity, "player's entity missing from every cell stream");
                return Err(ErrorCode::ZoneUnavailable.into());
            }
            return Ok(());
        };
        playing.missing_ticks = 0;
        let tick = own_frame.tick;
        if own_frame.zone != playing.zone.zone {
            match state.cells.zone(own_frame.zone) {
                Some(zone) => {
                    debug!(from = %playing.zone.zone, to = %zone.zone, %tick, "player handed over; rerouting input");
                    metrics::counter!("mmo_gateway_reroutes_total").increment(1);
                    playing.zone = zone;
                }
                None => warn!(zone = %own_frame.zone, "player simulated by an unknown zone"),
            }
        }
        let inventory = (playing.inventory.as_ref() != Some(&own.items)).then(|| own.items.clone());
        let pos = own.body.pos;
        let ground = ground_in_view(&frames, tile_of(pos));
        let ground = (ground != playing.ground).then_some(ground);
        drop(frames);
        drop(held);
        if let Some(items) = inventory {
            playing.inventory = Some(items.clone());
            send_control(t, &ServerControl::Inventory { items }).await?;
        }
        if let Some(items) = ground {
            playing.ground = items.clone();
            send_control(t, &ServerControl::Ground { items }).await?;
        }

        let events = state.cells.events_since(&playing.interest, playing.last_event_tick);
        playing.last_event_tick = tick;
        for (_, event) in events {
            let CellEvent::Chat { name, text, .. } = event;
            send_control(t, &ServerControl::Chat { from: name.to_string(), text: text.to_string() }).await?;
        }

        let interest = state.cells_around(pos, VIEW_HALF);
        if interest != playing.interest {
            debug!(?interest, "interest changed");
            state.cells.set_interest(self.id, &interest).await;
            playing.interest = interest;
        }
        for cell in state.cells_around(pos, TERRAIN_HALF) {
            if playing.terrain_sent.insert(cell) {
                let rle = state.terrain.rle(cell).as_ref().clone();
                send_control(t, &ServerControl::Terrain { cell, rle }).await?;
            }
        }
        Ok(())
    }

    /// Takes the player out of the world (waiting for the zone to save it) and frees what the
    /// session held.
    async fn leave(&mut self) {
        if let Some(playing) = self.playing.take() {
            match tokio::time::timeout(LEAVE_SAVE_TIMEOUT, playing.zone.leave_saved(playing.entity)).await {
                Ok(Ok(())) => debug!(name = %playing.name, "player saved at logout"),
                Ok(Err(_)) => debug!(name = %playing.name, "logout forwarded; not waiting for its save"),
                Err(_) => warn!(name = %playing.name, "logout save not confirmed in time"),
            }
            self.state.names.release(&playing.name);
            self.state.online.release(&playing.name).await;
        }
        self.state.cells.set_interest(self.id, &[]).await;
    }
}

impl Playing {
    /// The snapshot of `tick`: the player as `seen` and the entities in view in `frames` (each
    /// cell's newest frame up to that tick), as a delta against the client's ack.
    fn snapshot(
        &mut self,
        state: &GatewayState,
        tick: Tick,
        seen: &Seen,
        frames: &[&CellFrame],
        budget: usize,
    ) -> Snapshot {
        let own = &seen.state;
        let tile = tile_of(own.body.pos);
        let mut others: Vec<_> = frames
            .iter()
            .flat_map(|f| f.entities.iter().map(move |e| (f.tick, e)))
            .filter(|(_, e)| e.id != self.entity)
            .filter(|(_, e)| {
                let d = tile_of(e.body.pos) - tile;
                d.x.abs() <= VIEW_HALF.x && d.y.abs() <= VIEW_HALF.y
            })
            .collect();
        // An entity in handoff can be in two frames (two ticks): keep its newest state.
        others.sort_by_key(|(t, e)| (e.id, std::cmp::Reverse(*t)));
        others.dedup_by_key(|(_, e)| e.id);
        let others: Vec<_> = others.into_iter().map(|(_, e)| e).collect();
        let you = OwnState {
            entity: own.id,
            last_input_seq: own.last_input_seq,
            body: own.body,
            hp: own.hp,
            max_hp: own.max_hp,
            xp: own.xp,
            level: own.level,
            pose: own.pose,
            cell: state.world.geometry.cell_of_pos(own.body.pos),
            zone: seen.zone,
        };
        self.view.build(tick, you, &others, self.ack, budget)
    }

    /// Forwards the inputs of `frame` not forwarded yet, oldest first.
    fn on_input(&mut self, frame: InputFrame) -> Result<(), ErrorCode> {
        if frame.buttons.len() > MAX_INPUTS_PER_FRAME || frame.buttons.iter().any(|b| b & !Buttons::ALL != 0) {
            return Err(ErrorCode::MalformedMessage);
        }
        if let Some(ack) = frame.ack {
            if ack <= self.last_snapshot && self.ack.is_none_or(|a| ack > a) {
                self.ack = Some(ack);
            }
        }
        let n = frame.buttons.len() as u32;
        for (i, &b) in frame.buttons.iter().enumerate() {
            let Some(seq) = frame.seq.checked_sub(n - 1 - i as u32) else { continue };
            if seq >= self.next_seq {
                let _ = self.zone.try_send(ZoneCommand::Input { entity: self.entity, seq, buttons: Buttons(b) });
                self.next_seq = seq + 1;
            }
        }
        Ok(())
    }
}

/// Re-creates the player on the new owner of the cell it was last seen in, once that cell has
/// an owner other than the dead zone; true when the new owner took it (inputs go there now).
async fn revive(state: &GatewayState, session: SessionId, playing: &mut Playing) -> bool {
    let Some(Seen { state: last, tick, .. }) = &playing.last_seen else { return false };
    let cell = state.world.geometry.cell_of_pos(last.body.pos);
    let Some(owner) = state.cells.owner(cell) else { return false };
    if owner.zone == playing.zone.zone {
        return false;
    }
    let epoch = state.cells.epoch(cell).unwrap_or_default();
    let route = SessionRoute { gateway: state.id, session };
    let EntityKind::Player { name } = &last.kind else { return false };
    let saved = match state.accounts.store().load(name).await {
        Ok(saved) => saved,
        Err(error) => {
            warn!(%error, player = %name, "stored record unreadable; the player comes back without items");
            None
        }
    };
    let Some(record) = crate::revive::record_from_state(last, *tick, route, epoch, saved.as_ref()) else {
        return false;
    };
    match owner.restore(record).await {
        Ok(Ok(accepted)) => {
            info!(entity = %accepted.entity, from = %playing.zone.zone, to = %owner.zone, %cell, "player restored after its zone died");
            metrics::counter!("mmo_gateway_players_restored_total").increment(1);
            playing.zone = owner;
            true
        }
        Ok(Err(refused)) => {
            debug!(%refused, to = %owner.zone, "new owner cannot take the player yet");
            false
        }
        Err(error) => {
            debug!(%error, to = %owner.zone, "new owner unreachable");
            false
        }
    }
}

/// Sends one snapshot datagram.
async fn send_snapshot<T: Transport>(t: &mut T, snapshot: Snapshot, budget: usize) -> Result<(), End> {
    let bytes =
        codec::encode(&ServerDatagram::Snapshot(snapshot), budget).map_err(|_| End::Error(ErrorCode::Internal))?;
    metrics::histogram!("mmo_gateway_snapshot_bytes").record(bytes.len() as f64);
    metrics::counter!("mmo_gateway_snapshot_bytes_total").increment(bytes.len() as u64);
    t.send_datagram(Bytes::from(bytes)).await.map_err(End::from)
}

/// The tile a position lies in.
fn tile_of(pos: IVec2) -> IVec2 {
    IVec2::new(pos.x >> SUB_SHIFT, pos.y >> SUB_SHIFT)
}

/// The ground items within view of `tile`, by serial, from `frames` (one per cell).
fn ground_in_view(frames: &[&CellFrame], tile: IVec2) -> Vec<mmo_protocol::GroundItem> {
    let mut items: Vec<mmo_protocol::GroundItem> = frames
        .iter()
        .flat_map(|f| &f.items)
        .filter(|g| {
            let d = tile_of(g.pos) - tile;
            d.x.abs() <= VIEW_HALF.x && d.y.abs() <= VIEW_HALF.y
        })
        .copied()
        .collect();
    items.sort_unstable_by_key(|g| g.serial);
    items.dedup_by_key(|g| g.serial);
    items
}

//! One client session, from hello to goodbye, over any [`Transport`].
//!
//! Phases: `Hello` (version check) -> `Login` (name, and a password for an account) or `Resume`
//! (a session token), checked against the player store ([`crate::accounts`]); errors here let
//! the client retry -> playing, from the player's saved record (the zone that owns the cell of
//! the saved position creates the avatar). `Joined` carries a fresh session token. At the end
//! the session logs the player out and waits (at most [`LEAVE_SAVE_TIMEOUT`]) until the zone has
//! saved the record before it frees the name, so a login right after reads the newest record.
//! Anything malformed, oversized, unknown, out of phase or flooding (more than
//! `FLOOD_LIMIT` messages a second) ends this session alone, with a coded error.
//!
//! A draining gateway ([`crate::drain`]) refuses new sessions and sessions still before
//! `Joined` with `Draining`, and sends playing ones `Reconnect` once; they play on until their
//! client leaves (to resume on another gateway) or the gateway stops.
//!
//! While playing, an input datagram goes to the zone simulating the player and its ack picks
//! the baseline of the next snapshot (`playing.rs`); a chat line goes to that zone or is
//! refused, the session staying (`chat.rs`). Each completed tick of the cell cache runs these
//! steps, in this order (`tick.rs`):
//!
//! 1. **Snapshots** (`snapshot.rs`): one datagram per held tick since the last snapshot, oldest
//!    first, each a delta against the acked baseline within the datagram budget, the player's
//!    own state exact (a short handoff hole: as last seen).
//! 2. **A missing player** (`route.rs`): no frame held it: wait, or if its zone died have the
//!    cell's new owner re-create it, or give up (`ZoneUnavailable`). The tick ends here.
//! 3. **Route** (`route.rs`): inputs follow the zone of the newest frame holding the player.
//! 4. **Items** (`items.rs`): the inventory, then the ground items in view, each when changed.
//! 5. **Chat** (`chat.rs`): lines said in the cells of interest since the last tick.
//! 6. **Interest** (`interest.rs`): the cells around the player, followed in the cell cache.
//! 7. **Terrain** (`interest.rs`): the cells coming near, once each.
//!
//! Half a second without a snapshot, and every half second after, the session sends `Stalled`
//! (`stall.rs`), so the client knows its gateway is alive while its world stalls.
//!
//! Party commands typed in chat (`/invite`, `/accept`, `/leave`, `/p`) are answered by the
//! gateway from the world's parties in hot state ([`crate::party`]); every half second the
//! session reads the player's party, reports its HP and level to it, and sends the client what
//! changed (`party.rs`).
//!
//! Every step but the I/O is a plain function or method on plain data, tested without a
//! transport; `tick.rs` and this module only call them and send what they return.

mod chat;
mod interest;
mod items;
mod party;
mod playing;
mod route;
mod snapshot;
mod stall;
mod tick;

use crate::rate::RateWindow;
use crate::state::GatewayState;
use crate::transport::{Inbound, Transport, TransportError};
use interest::VIEW_HALF;
use mmo_cluster::peer::SessionRoute;
use mmo_cluster::ZoneCommand;
use mmo_protocol::control::validate_name;
use mmo_protocol::limits::{MAX_CLIENT_CONTROL, MAX_CLIENT_DATAGRAM, MAX_SERVER_CONTROL};
use mmo_protocol::{codec, ClientControl, ClientDatagram, ErrorCode, ServerControl, PROTOCOL_VERSION};
use mmo_world::{SessionId, Tick};
use playing::Playing;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tracing::{debug, info, info_span, warn, Instrument};

const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// Messages per second a client may send (it sends 20 inputs a second).
const FLOOD_LIMIT: u32 = 150;
/// How long a resumed session waits for the old session of the same player to log out.
const RESUME_WAIT: Duration = Duration::from_secs(5);
/// How long a login keeps asking the owner of its cell while the cell is between owners (a
/// migration: the registry names the new owner a few ticks before it simulates the cell, or
/// longer while the old owner waits for a link to it).
const JOIN_PATIENCE: Duration = Duration::from_secs(3);
/// Between two of those asks.
const JOIN_RETRY: Duration = Duration::from_millis(50);
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
    if state.drain.is_draining() {
        metrics::counter!("mmo_gateway_disconnects_total", "reason" => "Draining").increment(1);
        transport.close(ErrorCode::Draining.close_code(), "draining").await;
        return;
    }
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
        ErrorCode::Draining => "Draining",
        ErrorCode::Timeout => "Timeout",
    }
}

async fn send_control<T: Transport>(t: &mut T, msg: &ServerControl) -> Result<(), End> {
    let bytes = codec::encode(msg, MAX_SERVER_CONTROL).map_err(|_| End::Error(ErrorCode::Internal))?;
    t.send_control(&bytes).await.map_err(End::from)
}

struct Session {
    id: SessionId,
    state: Arc<GatewayState>,
    playing: Option<Playing>,
    flood: RateWindow,
}

impl Session {
    async fn run<T: Transport>(&mut self, t: &mut T, mut shutdown: watch::Receiver<bool>) -> End {
        let login_by = tokio::time::Instant::now() + self.state.admission.login_timeout;
        let phases = async {
            self.hello(t).await?;
            self.login(t, login_by).await?;
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
        let msg = tokio::time::timeout(HELLO_TIMEOUT, self.next_control(t))
            .await
            .map_err(|_| End::from(ErrorCode::Timeout))??;
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

    /// Until the player is in: `Login` or `Resume`, again after a refusal that can pass, until
    /// `login_by` (a session idle at the login form holds a place among --max-sessions).
    async fn login<T: Transport>(&mut self, t: &mut T, login_by: tokio::time::Instant) -> Result<(), End> {
        let drain = self.state.drain.clone();
        loop {
            // Refused between messages only: a login under way finishes (or fails) whole (a
            // name claimed, an avatar made: nothing is left half done).
            let msg = tokio::select! {
                biased;
                () = drain.started() => return Err(ErrorCode::Draining.into()),
                // Before the deadline: a login that came in time is taken.
                msg = self.next_control(t) => msg?,
                () = tokio::time::sleep_until(login_by) => {
                    debug!("no login before the deadline");
                    return Err(ErrorCode::Timeout.into());
                }
            };
            let result = match msg {
                ClientControl::Login { name, password } => self.login_with(&name, password.as_deref()).await,
                ClientControl::Resume { token } => self.resume(&token).await,
                _ => return Err(ErrorCode::UnexpectedMessage.into()),
            };
            match result {
                Ok(playing) => {
                    let joined = ServerControl::Joined {
                        entity: playing.entity,
                        name: playing.name.to_string(),
                        zone: playing.route.zone.zone,
                        tick: self.state.cells.ticks().borrow().to_owned(),
                        token: self.state.accounts.issue_token(&playing.name),
                    };
                    info!(name = %playing.name, entity = %playing.entity, zone = %playing.route.zone.zone, "player joined");
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
        let (start, start_cell) = state.admission.start.for_name(name);
        let record = state.accounts.login(name, password, start, start_cell).await;
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
            let cell = self.state.cell_of_pos(record.position);
            let route = SessionRoute { gateway: self.state.id, session: self.id };
            let (zone, accepted) = self.join_owner(cell, record, route).await?;
            let interest = self.state.cells_around(accepted.pos, VIEW_HALF);
            self.state.cells.set_interest(self.id, &interest).await;
            Ok(Playing::new(
                accepted.entity,
                name.clone(),
                zone,
                (accepted.pos, interest),
                Instant::now(),
                self.state.extrapolations.clone(),
            ))
        }
        .await;
        if result.is_err() {
            self.state.names.release(name);
            self.state.online.release(name).await;
        }
        result
    }

    /// Creates the avatar on the owner of `cell`, asking again while the owner refuses it for
    /// not simulating the cell yet (for up to [`JOIN_PATIENCE`]).
    async fn join_owner(
        &self,
        cell: mmo_world::CellId,
        record: mmo_store::PlayerRecord,
        route: SessionRoute,
    ) -> Result<(mmo_cluster::ZoneHandle, mmo_cluster::JoinAccepted), ErrorCode> {
        let deadline = Instant::now() + JOIN_PATIENCE;
        loop {
            let refused = match self.state.cells.owner(cell) {
                Some(zone) => match zone.join(record.clone(), route).await {
                    Ok(Ok(accepted)) => return Ok((zone, accepted)),
                    Ok(Err(refused)) => format!("{refused:?} by {}", zone.zone),
                    Err(_) => format!("{} unreachable", zone.zone),
                },
                None => "no owner".to_string(),
            };
            if Instant::now() >= deadline {
                warn!(%cell, last = %refused, "no zone took the player in");
                return Err(ErrorCode::ZoneUnavailable);
            }
            debug!(%cell, %refused, "the cell's owner did not take the player in; asking again");
            tokio::time::sleep(JOIN_RETRY).await;
        }
    }

    async fn play<T: Transport>(&mut self, t: &mut T) -> Result<(), End> {
        // Both waits live as long as the session: made anew on every input, they would join
        // and leave the waiter lists every session shares, tens of thousands of times a second.
        let drain = self.state.drain.clone();
        let drain_started = drain.started();
        tokio::pin!(drain_started);
        let mut next_tick = Box::pin(next_tick(self.state.cells.ticks()));
        let mut asked_to_move = false;
        let mut stall = stall::Stall::new(tokio::time::Instant::now());
        let check_stall = tokio::time::sleep_until(stall.next_check());
        tokio::pin!(check_stall);
        let poll_party = tokio::time::sleep(Duration::ZERO);
        tokio::pin!(poll_party);
        loop {
            tokio::select! {
                () = &mut poll_party => {
                    let every = self.poll_party(t).await?;
                    poll_party.as_mut().reset(tokio::time::Instant::now() + every);
                }
                () = &mut drain_started, if !asked_to_move => {
                    asked_to_move = true;
                    info!("draining: the client is asked to reconnect elsewhere");
                    send_control(t, &ServerControl::Reconnect).await?;
                }
                inbound = t.recv() => {
                    let inbound = inbound?;
                    if !self.flood.allow(Instant::now()) {
                        warn!("input flood");
                        return Err(ErrorCode::InputFlood.into());
                    }
                    self.on_inbound(t, inbound).await?;
                }
                (ticks, complete) = &mut next_tick => {
                    let complete = complete.ok_or(ErrorCode::ShuttingDown)?;
                    next_tick.set(self::next_tick(ticks));
                    if self.on_tick(t, complete).await? {
                        stall.shown(tokio::time::Instant::now());
                    }
                }
                () = &mut check_stall => {
                    if stall.due(tokio::time::Instant::now()) {
                        metrics::counter!("mmo_gateway_stall_notices_total").increment(1);
                        send_control(t, &ServerControl::Stalled).await?;
                    }
                    check_stall.as_mut().reset(stall.next_check());
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
            Inbound::Control(bytes) => {
                let msg = codec::decode(&bytes, MAX_CLIENT_CONTROL).map_err(|e| e.code())?;
                if let ClientControl::Chat { text } = &msg {
                    if let Some(command) = party::command(text) {
                        return match playing.chat.admit(text, Instant::now()).and(command) {
                            Ok(command) => self.party_command(t, command).await,
                            Err(code) => send_control(t, &ServerControl::Error { code }).await,
                        };
                    }
                }
                if let Some(answer) = playing.on_control(msg, Instant::now())? {
                    send_control(t, &answer).await?;
                }
            }
        }
        Ok(())
    }

    /// Carries out a party command and answers it. What it changed reaches the client at once
    /// (a read right after), and the other members at their sessions' next read.
    async fn party_command<T: Transport>(&mut self, t: &mut T, command: party::PartyCommand) -> Result<(), End> {
        let name = self.playing.as_ref().expect("playing after login").name.clone();
        let parties = &self.state.parties;
        let now_ms = unix_ms();
        let notice = match command {
            party::PartyCommand::Invite(to) => Some(parties.invite(&name, &to, now_ms).await),
            party::PartyCommand::Accept => Some(parties.accept(&name, now_ms).await),
            party::PartyCommand::Leave => Some(parties.leave(&name).await),
            party::PartyCommand::Say(text) => parties.say(&name, &text).await,
        };
        info!(player = %name, ?notice, "party command");
        if let Some(notice) = notice {
            send_control(t, &ServerControl::PartyNotice { notice }).await?;
        }
        self.poll_party(t).await?;
        Ok(())
    }

    /// Reads the player's party, reports its HP and level to it, and sends the client what
    /// changed; how long until the next read.
    async fn poll_party<T: Transport>(&mut self, t: &mut T) -> Result<Duration, End> {
        let playing = self.playing.as_mut().expect("playing after login");
        let parties = &self.state.parties;
        let now_ms = unix_ms();
        let state = match parties.state(&playing.name).await {
            Ok(state) => state,
            Err(error) => {
                debug!(%error, "party not read");
                return Ok(party::POLL_ALONE_EVERY);
            }
        };
        if let (Some(party), Some(seen)) = (&state.party, playing.stream.last_seen()) {
            let s = &seen.state;
            parties.report(&playing.name, party, (s.hp, s.max_hp, u32::from(s.level)), now_ms).await;
        }
        for msg in playing.party.update(&playing.name, &state, now_ms) {
            send_control(t, &msg).await?;
        }
        if let Some(members) = playing.party.tell_zone(playing.route.zone.zone) {
            let _ = playing.route.zone.try_send(ZoneCommand::Party { entity: playing.entity, members });
        }
        Ok(if playing.party.in_party() { party::POLL_EVERY } else { party::POLL_ALONE_EVERY })
    }

    /// Takes the player out of the world (waiting for the zone to save it) and frees what the
    /// session held.
    async fn leave(&mut self) {
        if let Some(playing) = self.playing.take() {
            match tokio::time::timeout(LEAVE_SAVE_TIMEOUT, playing.route.zone.leave_saved(playing.entity)).await {
                Ok(Ok(())) => debug!(name = %playing.name, "player saved at logout"),
                Ok(Err(_)) => debug!(name = %playing.name, "logout forwarded; not waiting for its save"),
                Err(_) => warn!(name = %playing.name, "logout save not confirmed in time"),
            }
            self.state.parties.offline(&playing.name).await;
            self.state.names.release(&playing.name);
            self.state.online.release(&playing.name).await;
        }
        self.state.cells.set_interest(self.id, &[]).await;
    }
}

/// Now as Unix milliseconds (party documents are shared by every gateway of the world).
fn unix_ms() -> u64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
}

/// The next complete tick the cells announce (`None`: the gateway stops), and the receiver
/// back for the wait after it.
async fn next_tick(mut ticks: watch::Receiver<Tick>) -> (watch::Receiver<Tick>, Option<Tick>) {
    let tick = ticks.changed().await.ok().map(|()| *ticks.borrow_and_update());
    (ticks, tick)
}

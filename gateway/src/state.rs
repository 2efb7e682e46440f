//! What every session of a gateway shares.

use crate::accounts::Accounts;
use crate::cells::CellCache;
use crate::names::Names;
use crate::terrain::TerrainCache;
use mmo_protocol::WorldInfo;
use mmo_world::{GatewayId, SessionId};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

#[derive(Debug)]
pub struct GatewayState {
    pub id: GatewayId,
    pub world: WorldInfo,
    pub cells: Arc<CellCache>,
    pub terrain: TerrainCache,
    pub names: Names,
    /// Names online across the world's gateways.
    pub online: crate::online::Online,
    /// The world's parties.
    pub parties: crate::party::Parties,
    /// Player records and session tokens.
    pub accounts: Accounts,
    /// Whether the gateway is draining (no logins; players asked to move).
    pub drain: crate::drain::Drain,
    /// How many sessions it takes and where new characters start.
    pub admission: Admission,
    /// Extrapolations shared by the sessions' snapshot builders.
    pub extrapolations: crate::view::SharedExtrapolations,
    sessions: AtomicUsize,
    /// Woken whenever a session ends.
    session_ended: tokio::sync::Notify,
    next_session: AtomicU64,
}

/// Who gets in: sessions at most, how long one may wait at the login form, and where a new
/// character starts.
#[derive(Debug)]
pub struct Admission {
    pub max_sessions: usize,
    /// From its opening until it logs in (a session idle at the login form holds a place).
    pub login_timeout: std::time::Duration,
    pub start: crate::start::StartPoints,
}

/// The default of `--login-timeout-secs`.
pub const DEFAULT_LOGIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// The gateway's flag for how long a session may stay at the login form (`mmo-gateway` and
/// `mmo-local` both take it).
#[derive(clap::Args, Clone, Debug)]
pub struct LoginArgs {
    /// Seconds a connection may stay at the login form before it is closed with `Timeout` (it
    /// holds one of the --max-sessions places meanwhile); the page opens a new one by itself.
    #[arg(long, env = "MMO_LOGIN_TIMEOUT_SECS", default_value_t = DEFAULT_LOGIN_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub login_timeout_secs: u64,
}

impl LoginArgs {
    pub fn login_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.login_timeout_secs)
    }
}

/// A counted place among the gateway's sessions; gives it back when dropped.
#[derive(Debug)]
pub struct SessionSlot {
    pub id: SessionId,
    state: Arc<GatewayState>,
}

impl Drop for SessionSlot {
    fn drop(&mut self) {
        let now = self.state.sessions.fetch_sub(1, Ordering::Relaxed) - 1;
        metrics::gauge!("mmo_gateway_sessions").set(now as f64);
        self.state.session_ended.notify_waiters();
    }
}

impl GatewayState {
    pub fn new(
        id: GatewayId,
        world: WorldInfo,
        cells: Arc<CellCache>,
        terrain: TerrainCache,
        accounts: Accounts,
        (online, parties): (crate::online::Online, crate::party::Parties),
        admission: Admission,
    ) -> Self {
        GatewayState {
            id,
            world,
            cells,
            terrain,
            names: Names::default(),
            online,
            parties,
            accounts,
            drain: crate::drain::Drain::default(),
            admission,
            extrapolations: Default::default(),
            sessions: AtomicUsize::new(0),
            session_ended: tokio::sync::Notify::new(),
            next_session: AtomicU64::new(1),
        }
    }

    /// Resolves once no session is open (at shutdown, after sessions were told to close).
    pub async fn sessions_closed(&self) {
        loop {
            let ended = self.session_ended.notified();
            tokio::pin!(ended);
            ended.as_mut().enable();
            if self.sessions.load(Ordering::Relaxed) == 0 {
                return;
            }
            ended.await;
        }
    }

    /// Sessions open now.
    pub fn open_sessions(&self) -> usize {
        self.sessions.load(Ordering::Relaxed)
    }

    /// A new session id and its slot, or `None` when the gateway is full.
    pub fn open_session(self: &Arc<Self>) -> Option<SessionSlot> {
        let now = self.sessions.fetch_add(1, Ordering::Relaxed) + 1;
        let id = SessionId(self.next_session.fetch_add(1, Ordering::Relaxed));
        let slot = SessionSlot { id, state: self.clone() };
        metrics::gauge!("mmo_gateway_sessions").set(now as f64);
        (now <= self.admission.max_sessions).then_some(slot)
    }
}

impl GatewayState {
    /// The cells of the layout (quarters of split cells among them) overlapping the rectangle
    /// of `half` tiles around the fixed-point `pos`: whose frames a player there sees.
    pub fn cells_around(&self, pos: glam::IVec2, half: glam::IVec2) -> Vec<mmo_world::CellId> {
        let (min, max) = around(pos, half);
        self.cells.layout().cells_in_rect(min, max)
    }

    /// The cells of the grid overlapping the same rectangle: whose terrain a player there needs.
    pub fn grid_cells_around(&self, pos: glam::IVec2, half: glam::IVec2) -> Vec<mmo_world::CellId> {
        let (min, max) = around(pos, half);
        self.world.geometry.cells_in_rect(min, max)
    }

    /// The cell of the layout holding the fixed-point `pos`.
    pub fn cell_of_pos(&self, pos: glam::IVec2) -> mmo_world::CellId {
        self.cells.layout().cell_of_pos(pos)
    }
}

/// The tile rectangle of `half` tiles around the fixed-point `pos`.
fn around(pos: glam::IVec2, half: glam::IVec2) -> (glam::IVec2, glam::IVec2) {
    let shift = mmo_world::physics::SUB_SHIFT;
    let tile = glam::IVec2::new(pos.x >> shift, pos.y >> shift);
    (tile - half, tile + half)
}

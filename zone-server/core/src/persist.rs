//! Players' durable records: a player joins from its saved record, and the core hands the
//! runtime the records to save (no I/O here; the runtime passes them to the store's `Saver`).
//!
//! - [`ZoneCore::join_saved`]: the avatar takes the record's position (a new character, version
//!   0, starts at a spawn point instead), HP (a player saved dead comes back at full HP), XP,
//!   inventory and pickup receipts, and keeps its credentials and version.
//! - [`ZoneCore::take_saves`]: the records of players whose position, HP, XP or items changed
//!   since their last save, each one version newer (write-behind, every few ticks).
//! - [`ZoneCore::leave_saved`]: the final record of a player logging out (saved at once).
//!
//! Versions grow by one per record taken and travel with the player in handoffs
//! ([`mmo_records::Persistence`]), so whichever zone saves next writes a newer version.
//! An item's `count` is not simulated: items the zone creates are one piece (count 1), and an
//! item keeps the count it was loaded with.

use super::entities::{Entity, Role, SavedState};
use super::{rules, JoinError, ZoneCore};
use mmo_records::PlayerRecord;
use mmo_records::{Persistence, SessionRoute};
use mmo_world::{EntityId, GatewayId, WorldGeometry};
use std::sync::Arc;

/// The durable record of a player entity, one version newer than the last one taken.
pub(super) fn next_record(e: &mut Entity, geometry: &WorldGeometry) -> Option<PlayerRecord> {
    let saved = SavedState::of(e)?;
    let Role::Player(p) = &mut e.role else { return None };
    p.persist.version += 1;
    let record = PlayerRecord {
        name: p.name.to_string(),
        credentials: p.persist.credentials.as_deref().map(str::to_owned),
        position: e.body.pos,
        cell: geometry.cell_of_pos(e.body.pos),
        hp: if e.died.is_some() { 0 } else { i32::from(e.hp) },
        xp: u64::from(p.xp),
        level: rules::level(p.xp),
        inventory: p.items.clone(),
        version: p.persist.version,
        picked: p.picked.clone(),
    };
    p.saved = Some(saved);
    Some(record)
}

/// A player who logged out here through another zone (a forwarded leave): its final record,
/// and the gateway it played through (whose claim of its name a zone releases once it saved
/// it, if that gateway's run is gone).
#[derive(Clone, Debug, PartialEq)]
pub struct LoggedOut {
    pub record: PlayerRecord,
    pub gateway: Option<GatewayId>,
}

impl ZoneCore {
    /// Adds a player from its saved record, playing from `route` (see the module docs).
    pub fn join_saved(&mut self, record: PlayerRecord, route: Option<SessionRoute>) -> Result<EntityId, JoinError> {
        let pos = if record.version == 0 {
            // A new character: near the start point the gateway gave it.
            self.player_spawn(record.position.x >> mmo_world::physics::SUB_SHIFT).ok_or(JoinError::NoCell)?
        } else {
            record.position
        };
        let id = self.join_at(record.name.as_str().into(), route, pos)?;
        let entity = self.entities.get_mut(id).expect("just joined");
        if record.hp > 0 {
            entity.hp = u16::try_from(record.hp).unwrap_or(u16::MAX).min(entity.max_hp);
        }
        if let Role::Player(p) = &mut entity.role {
            p.xp = u32::try_from(record.xp).unwrap_or(u32::MAX);
            p.items = record.inventory;
            p.picked = record.picked;
            p.persist = Persistence { credentials: record.credentials.map(Into::into), version: record.version };
            p.saved = None;
        }
        Ok(id)
    }

    /// Players taken back from a zone that died before it answered their transfer: the runtime
    /// reads each one's stored record and hands it to [`ZoneCore::reconcile`].
    pub fn take_reconciles(&mut self) -> Vec<(EntityId, Arc<str>)> {
        std::mem::take(&mut self.reconciling)
    }

    /// A player taken back from a dead zone, and its stored record: if the dead zone saved it
    /// after taking it (a newer version than the copy taken back), the player goes on with the
    /// stored inventory, pickup receipts and experience (what it picked up, dropped or earned
    /// there, as durable as the dead zone left it), and saves from that version on.
    pub fn reconcile(&mut self, id: EntityId, stored: &PlayerRecord) {
        let Some(e) = self.entities.get_mut(id) else { return };
        let Role::Player(p) = &mut e.role else { return };
        if stored.version <= p.persist.version || *p.name != *stored.name {
            return;
        }
        tracing::info!(zone = %self.config.zone, player = %id, version = stored.version, items = stored.inventory.len(), "taken back from a dead zone: its stored record wins");
        p.items = stored.inventory.clone();
        p.picked = stored.picked.clone();
        p.xp = u32::try_from(stored.xp).unwrap_or(u32::MAX);
        p.persist.version = stored.version;
        p.saved = None;
        self.items.changed.push(id);
    }

    /// The records of the players simulated here that changed since they were last taken, each
    /// one version newer (players frozen in a transfer are saved by the zone they go to).
    pub fn take_saves(&mut self) -> Vec<PlayerRecord> {
        let geometry = self.config.geometry;
        self.entities
            .as_mut_slice()
            .iter_mut()
            .filter(|e| match &e.role {
                Role::Player(p) => p.saved != SavedState::of(e),
                Role::Npc(_) => false,
            })
            .filter_map(|e| next_record(e, &geometry))
            .collect()
    }

    /// The records of the players `ids` simulated here (inventory changes), one version newer.
    pub fn take_saves_of(&mut self, ids: &[EntityId]) -> Vec<PlayerRecord> {
        let geometry = self.config.geometry;
        let mut records = Vec::with_capacity(ids.len());
        for &id in ids {
            if let Some(record) = self.entities.get_mut(id).and_then(|e| next_record(e, &geometry)) {
                records.push(record);
            }
        }
        records
    }

    /// The record of every player simulated here, changed or not (shutdown).
    pub fn take_all_saves(&mut self) -> Vec<PlayerRecord> {
        let geometry = self.config.geometry;
        self.entities.as_mut_slice().iter_mut().filter_map(|e| next_record(e, &geometry)).collect()
    }

    /// Final records of players who logged out through another zone (their leave was forwarded
    /// here), to save at once.
    pub fn take_logged_out(&mut self) -> Vec<LoggedOut> {
        std::mem::take(&mut self.logged_out)
    }

    /// The players simulated here who play through `gateway` (their session's route): when it
    /// is gone, the runtime logs them out ([`ZoneCore::leave_saved`]).
    pub fn players_routed_through(&self, gateway: GatewayId) -> Vec<EntityId> {
        self.entities
            .as_slice()
            .iter()
            .filter(|e| matches!(&e.role, Role::Player(p) if p.route.is_some_and(|r| r.gateway == gateway)))
            .map(|e| e.id)
            .collect()
    }

    /// The players in transit through this zone who play through `gateway`, gone: frozen here
    /// in a transfer not answered yet, or accepted here and not started. Neither zone simulates
    /// them now, so [`Self::players_routed_through`] misses them; each gets a `Leave` that
    /// follows it (kept with the frozen copy, then forwarded to the destination or applied on
    /// its return; held for the arrival's first tick), and is logged out and saved wherever it
    /// lands ([`Self::take_logged_out`]). Their number.
    pub fn leave_in_transit(&mut self, gateway: GatewayId) -> usize {
        let through = |e: &&mmo_records::EntityRecord| matches!(&e.kind, mmo_records::RecordKind::Player(p) if p.route.is_some_and(|r| r.gateway == gateway));
        let frozen = self.handoff.frozen().filter(through).map(|e| e.id);
        let arriving = self.arrivals.iter().flat_map(|(_, t)| t.entities.iter()).filter(through).map(|e| e.id);
        let ids: Vec<EntityId> = frozen.chain(arriving).collect();
        for &entity in &ids {
            tracing::debug!(zone = %self.config.zone, %entity, %gateway, "player in transit logs out: its gateway is gone");
            self.deliver(mmo_records::PeerMessage::Leave { entity });
        }
        ids.len()
    }

    /// Removes a player logging out and returns its final record to save at once; `None` (and
    /// the leave forwarded) if `id` is not a player simulated here.
    pub fn leave_saved(&mut self, id: EntityId) -> Option<PlayerRecord> {
        if !self.entities.get(id).is_some_and(Entity::is_player) {
            self.deliver(mmo_records::PeerMessage::Leave { entity: id });
            return None;
        }
        self.gives_on_logout(id);
        let geometry = self.config.geometry;
        let mut entity = self.entities.remove(id)?;
        tracing::debug!(zone = %self.config.zone, %id, "player left");
        next_record(&mut entity, &geometry)
    }
}

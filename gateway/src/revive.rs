//! Zone death, seen from a gateway: a player whose zone died keeps its session; the gateway
//! re-creates the player on the cell's new owner ([`mmo_cluster::ZoneCommand::Restore`]) from
//! the last state the cell frames showed, under the same entity id, so the client sees no
//! change. Items, credentials and the save version come from the player's stored record
//! (inventory changes are saved as they happen, so the store has every item); what neither
//! carries (queued inputs, timers) starts afresh.

use mmo_protocol::cell::pose;
use mmo_protocol::{EntityKind, EntityState};
use mmo_records::{EntityRecord, InputRecord, Persistence, PlayerPart, RecordKind, SessionRoute};
use mmo_world::{Epoch, Tick};

/// The record a new owner re-creates a player from: its last published state, with the items,
/// credentials and version of `saved` (its stored record, if it could be read). `epoch` (the
/// cell's new ownership epoch, larger than any before) makes this copy win over any older one.
pub fn record_from_state(
    state: &EntityState,
    tick: Tick,
    route: SessionRoute,
    epoch: Epoch,
    saved: Option<&mmo_store::PlayerRecord>,
) -> Option<EntityRecord> {
    let EntityKind::Player { name } = &state.kind else { return None };
    let dead = state.pose & pose::DEAD != 0;
    Some(EntityRecord {
        id: state.id,
        authority_epoch: epoch,
        body: state.body,
        hp: state.hp,
        max_hp: state.max_hp,
        facing_left: state.pose & pose::FACING_LEFT != 0,
        last_attack: None,
        last_hurt: None,
        died: dead.then_some(tick),
        kind: RecordKind::Player(PlayerPart {
            name: name.clone(),
            xp: state.xp,
            items: saved.map(|r| r.inventory.clone()).unwrap_or_default(),
            inputs: InputRecord {
                queued: Vec::new(),
                newest_seen: Some(state.last_input_seq),
                last_applied: state.last_input_seq,
                last_buttons: Default::default(),
            },
            route: Some(route),
            persist: saved
                .map(|r| Persistence { credentials: r.credentials.as_deref().map(Into::into), version: r.version })
                .unwrap_or_default(),
        }),
    })
}

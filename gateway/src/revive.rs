//! Zone death, seen from a gateway: a player whose zone died keeps its session; the gateway
//! re-creates the player on the cell's new owner ([`mmo_cluster::ZoneCommand::Restore`]) from
//! the last state the cell frames showed, under the same entity id, so the client sees no
//! change. What frames do not carry (items, queued inputs, timers) starts afresh.

use mmo_cluster::peer::{EntityRecord, InputRecord, PlayerRecord, RecordKind, SessionRoute};
use mmo_protocol::cell::pose;
use mmo_protocol::{EntityKind, EntityState};
use mmo_world::{Epoch, Tick};

/// The record a new owner re-creates a player from: its last published state. `epoch` (the
/// cell's new ownership epoch, larger than any before) makes this copy win over any older one.
pub fn record_from_state(state: &EntityState, tick: Tick, route: SessionRoute, epoch: Epoch) -> Option<EntityRecord> {
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
        kind: RecordKind::Player(PlayerRecord {
            name: name.clone(),
            xp: state.xp,
            items: Vec::new(),
            inputs: InputRecord {
                queued: Vec::new(),
                newest_seen: Some(state.last_input_seq),
                last_applied: state.last_input_seq,
                last_buttons: Default::default(),
            },
            route: Some(route),
        }),
    })
}

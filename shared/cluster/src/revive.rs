//! Zone death, seen from a gateway: a player whose zone died keeps its session; the gateway
//! re-creates the player on the cell's new owner ([`crate::ZoneCommand::Restore`]) from
//! the last state the cell frames showed, under the same entity id, so the client sees no
//! change. Items, pickup receipts, credentials and the save version come from the player's
//! stored record (inventory changes are saved as they happen, so the store has every item; the
//! receipts outlive the new owner's saves, see [`mmo_records::PlayerRecord::picked`]); what
//! neither carries (queued inputs, timers) starts afresh. The version is fenced by the new
//! ownership epoch ([`Persistence::taken_over`]): the old owner, if it only paused, cannot
//! overwrite the new owner's saves when it wakes.

use mmo_protocol::cell::pose;
use mmo_protocol::{EntityKind, EntityState};
use mmo_records::{EntityRecord, InputRecord, Persistence, PlayerPart, RecordKind, SessionRoute};
use mmo_world::{Epoch, Tick};

/// The record a new owner re-creates a player from: its last published state, with the items,
/// pickup receipts, credentials and version of `saved` (its stored record, if it could be read).
/// `epoch` (the cell's new ownership epoch, larger than any before) makes this copy win over
/// any older one.
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
            // Fenced by the new epoch, so the dead (or only paused) owner's late saves lose.
            // Without a stored record nothing is fenced: version 0 cannot overwrite one.
            persist: saved
                .map(|r| Persistence::taken_over(r.credentials.as_deref().map(Into::into), r.version, epoch))
                .unwrap_or_default(),
            picked: saved.map(|r| r.picked.clone()).unwrap_or_default(),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use glam::IVec2;
    use mmo_store::{DurableStore, MemoryStore, PlayerRecord, SaveOutcome};
    use mmo_world::{Body, CellId, EntityId, GatewayId, ItemSerial, SessionId};

    fn shown(name: &str) -> EntityState {
        EntityState {
            id: EntityId(7),
            kind: EntityKind::Player { name: name.into() },
            body: Body::at(IVec2::new(640, 320)),
            hp: 90,
            max_hp: 100,
            pose: 0,
            xp: 40,
            level: 2,
            last_input_seq: 12,
            items: Vec::new(),
        }
    }

    /// The pickup receipts of the stored record go on with the revived player, so its next
    /// saves keep them (a restore of the dead zone's cells may read them after those saves).
    #[test]
    fn a_revived_player_keeps_its_stored_pickup_receipts() {
        let mut stored = PlayerRecord::new("ann", None, IVec2::new(640, 320), CellId::new(1, 0));
        stored.picked = vec![ItemSerial(41), ItemSerial(42)];
        let route = SessionRoute { gateway: GatewayId(1), session: SessionId(3) };
        let revived = record_from_state(&shown("ann"), Tick(500), route, Epoch(6), Some(&stored)).unwrap();
        let RecordKind::Player(part) = revived.kind else { panic!("a player") };
        assert_eq!(part.picked, stored.picked);
    }

    /// A zone paused past its lease (SIGSTOP) keeps the player's record in memory; its cells
    /// and the player are taken over meanwhile. Whatever it writes once it runs again is
    /// refused by the store as soon as the new owner saved once, and never refuses the new
    /// owner's saves (issue 15: one such write was accepted and then won over the new owner's).
    #[tokio::test]
    async fn a_deposed_owners_late_saves_never_win_over_the_new_owners() {
        let store = MemoryStore::new();
        let mut stored = PlayerRecord::new("ann", None, IVec2::new(640, 320), CellId::new(1, 0));
        stored.version = 9;
        stored.xp = 40;
        store.create_account(&stored).await.unwrap();
        // The old owner's next saves, from state it held before the pause.
        let late = |version: u64| PlayerRecord { version, xp: 10, ..stored.clone() };

        // The gateway revives the player on the cell's new owner, at a newer ownership epoch.
        let route = SessionRoute { gateway: GatewayId(1), session: SessionId(3) };
        let revived = record_from_state(&shown("ann"), Tick(500), route, Epoch(6), Some(&stored)).unwrap();
        let RecordKind::Player(part) = revived.kind else { panic!("a player") };
        let new_owner = |n: u64| PlayerRecord { version: part.persist.version + n, xp: 45, ..stored.clone() };

        // The old owner wakes first and writes its pending save.
        assert_eq!(store.save(&late(10)).await.unwrap(), SaveOutcome::Written, "nothing tells the store otherwise yet");
        // The new owner's saves win, and the old owner's later ones are refused.
        assert_eq!(store.save(&new_owner(1)).await.unwrap(), SaveOutcome::Written);
        assert!(matches!(store.save(&late(11)).await.unwrap(), SaveOutcome::Stale { .. }));
        assert_eq!(store.save(&new_owner(2)).await.unwrap(), SaveOutcome::Written);
        assert_eq!(store.load("ann").await.unwrap().unwrap().xp, 45);
    }
}

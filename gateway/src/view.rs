//! One client's view: builds each snapshot as a delta against the snapshot the client last
//! acknowledged, nearest entities first, within one datagram. Sans-IO.
//!
//! The builder remembers, per snapshot tick, what the client will know if that snapshot
//! arrives. An entity that does not fit in the budget is left as the baseline had it (or left
//! out if new), so the next snapshot catches up; nothing is ever lost by running out of room.

use glam::IVec2;
use mmo_protocol::codec::encoded_len;
use mmo_protocol::datagram::quantize;
use mmo_protocol::{EntityDelta, EntitySpawn, EntityState, OwnState, Snapshot};
use mmo_world::{EntityId, Tick};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::collections::VecDeque;

/// Snapshots remembered as possible baselines (3.2 s at 20 Hz).
const HISTORY: usize = 64;
/// Bytes reserved for the length prefixes of the two lists.
const LIST_OVERHEAD: usize = 6;

/// What the client knows of one entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Known {
    q: IVec2,
    hp: u16,
    pose: u8,
}

impl Known {
    fn of(e: &EntityState) -> Self {
        Known { q: quantize(e.body.pos), hp: e.hp, pose: e.pose }
    }
}

/// The per-client snapshot builder.
#[derive(Debug, Default)]
pub struct ClientView {
    history: VecDeque<(Tick, HashMap<EntityId, Known>)>,
}

impl ClientView {
    /// Builds the snapshot of `tick`. `others` are the entities in view (own entity excluded),
    /// `ack` the newest snapshot the client confirmed, `budget` the most bytes it may take.
    pub fn build(
        &mut self,
        tick: Tick,
        you: OwnState,
        others: &[&EntityState],
        ack: Option<Tick>,
        budget: usize,
    ) -> Snapshot {
        // Baselines older than the ack are no longer needed.
        if let Some(ack) = ack {
            while self.history.front().is_some_and(|(t, _)| *t < ack) {
                self.history.pop_front();
            }
        }
        let empty = HashMap::default();
        let (baseline, base) = match ack.and_then(|a| self.history.iter().find(|(t, _)| *t == a)) {
            Some((t, known)) => (Some(*t), known),
            None => (None, &empty),
        };

        let mut snapshot = Snapshot { tick, baseline, you, entities: Vec::new(), removed: Vec::new() };
        let mut size = encoded_len(&snapshot) + LIST_OVERHEAD;
        let mut known: HashMap<EntityId, Known> = HashMap::with_capacity_and_hasher(others.len(), Default::default());

        let in_view: HashSet<EntityId> = others.iter().map(|e| e.id).collect();
        let mut gone: Vec<EntityId> = base.keys().filter(|id| !in_view.contains(id)).copied().collect();
        gone.sort_unstable();
        for id in gone {
            let cost = encoded_len(&id);
            if size + cost > budget {
                // Still shown by the client; removed in a later snapshot.
                known.insert(id, base[&id]);
                continue;
            }
            size += cost;
            snapshot.removed.push(id);
        }

        let centre = snapshot.you.body.pos;
        let mut by_distance: Vec<&&EntityState> = others.iter().collect();
        by_distance.sort_by_key(|e| ((e.body.pos - centre).abs().element_sum(), e.id));
        for e in by_distance {
            let now = Known::of(e);
            let delta = match base.get(&e.id) {
                None => EntityDelta {
                    id: e.id,
                    spawn: Some(EntitySpawn { kind: e.kind.clone(), max_hp: e.max_hp }),
                    pos: Some(now.q),
                    hp: Some(now.hp),
                    pose: Some(now.pose),
                },
                Some(before) if *before == now => {
                    known.insert(e.id, now);
                    continue;
                }
                Some(before) => EntityDelta {
                    id: e.id,
                    spawn: None,
                    pos: (before.q != now.q).then_some(now.q - before.q),
                    hp: (before.hp != now.hp).then_some(now.hp),
                    pose: (before.pose != now.pose).then_some(now.pose),
                },
            };
            let cost = encoded_len(&delta);
            if size + cost > budget {
                if let Some(before) = base.get(&e.id) {
                    known.insert(e.id, *before);
                }
                continue;
            }
            size += cost;
            known.insert(e.id, now);
            snapshot.entities.push(delta);
        }

        self.history.push_back((tick, known));
        while self.history.len() > HISTORY {
            self.history.pop_front();
        }
        snapshot
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use mmo_protocol::codec::encode;
    use mmo_protocol::EntityKind;
    use mmo_world::{Body, CellId, ZoneId};
    use std::collections::HashMap;

    fn you(x: i32) -> OwnState {
        OwnState {
            entity: EntityId(1),
            last_input_seq: 0,
            body: Body::at(IVec2::new(x, 0)),
            hp: 100,
            max_hp: 100,
            xp: 0,
            level: 1,
            pose: 0,
            cell: CellId::new(0, 0),
            zone: ZoneId(1),
        }
    }

    /// An NPC at `x` (test fixture, also used by the other modules' tests).
    pub(crate) fn npc(id: u64, x: i32) -> EntityState {
        EntityState {
            id: EntityId(id),
            kind: EntityKind::Npc { species: 0 },
            body: Body::at(IVec2::new(x, 1000)),
            hp: 30,
            max_hp: 30,
            pose: 0,
            xp: 0,
            level: 1,
            last_input_seq: 0,
            items: Vec::new(),
        }
    }

    /// Applies snapshots the way the client does: onto the baseline the snapshot names.
    #[derive(Default)]
    struct Client {
        views: HashMap<Tick, HashMap<EntityId, (IVec2, u16)>>,
    }

    impl Client {
        fn apply(&mut self, s: &Snapshot) -> HashMap<EntityId, (IVec2, u16)> {
            let mut view = match s.baseline {
                None => HashMap::new(),
                Some(b) => self.views[&b].clone(),
            };
            for id in &s.removed {
                view.remove(id);
            }
            for d in &s.entities {
                let entry = view.entry(d.id).or_insert((IVec2::ZERO, 0));
                if d.spawn.is_some() {
                    entry.0 = d.pos.unwrap();
                } else if let Some(dp) = d.pos {
                    entry.0 += dp;
                }
                if let Some(hp) = d.hp {
                    entry.1 = hp;
                }
            }
            self.views.insert(s.tick, view.clone());
            view
        }
    }

    fn truth(others: &[EntityState]) -> HashMap<EntityId, (IVec2, u16)> {
        others.iter().map(|e| (e.id, (quantize(e.body.pos), e.hp))).collect()
    }

    #[test]
    fn deltas_against_acked_baseline_reconstruct_the_world() {
        let mut view = ClientView::default();
        let mut client = Client::default();
        let mut world: Vec<EntityState> = (0..20).map(|i| npc(100 + i, i as i32 * 300)).collect();
        let mut ack = None;
        for t in 0..50u64 {
            for (i, e) in world.iter_mut().enumerate() {
                e.body.pos.x += (i as i32 % 3) * 37;
                if t == 20 && i == 3 {
                    e.hp = 5;
                }
            }
            if t == 30 {
                world.remove(7);
                world.push(npc(999, 50));
            }
            let refs: Vec<&EntityState> = world.iter().collect();
            let s = view.build(Tick(t), you(0), &refs, ack, 1100);
            // Lose every third snapshot; the client only acks what it received.
            if t % 3 != 2 {
                assert_eq!(client.apply(&s), truth(&world), "tick {t}");
                ack = Some(Tick(t));
            }
        }
    }

    #[test]
    fn unchanged_entities_cost_nothing_after_the_ack() {
        let mut view = ClientView::default();
        let world: Vec<EntityState> = (0..10).map(|i| npc(i, i as i32 * 100)).collect();
        let refs: Vec<&EntityState> = world.iter().collect();
        let full = view.build(Tick(1), you(0), &refs, None, 1100);
        assert_eq!(full.entities.len(), 10);
        assert!(full.entities.iter().all(|d| d.spawn.is_some()));
        let delta = view.build(Tick(2), you(0), &refs, Some(Tick(1)), 1100);
        assert_eq!(delta.baseline, Some(Tick(1)));
        assert!(delta.entities.is_empty());
    }

    #[test]
    fn over_budget_sends_nearest_first_and_catches_up_later() {
        let mut view = ClientView::default();
        let mut client = Client::default();
        let world: Vec<EntityState> = (0..200).map(|i| npc(i, (200 - i as i32) * 500)).collect();
        let refs: Vec<&EntityState> = world.iter().collect();
        let first = view.build(Tick(1), you(0), &refs, None, 1100);
        let bytes = encode(&mmo_protocol::ServerDatagram::Snapshot(first.clone()), usize::MAX).unwrap();
        assert!(bytes.len() <= 1100, "snapshot is {} bytes", bytes.len());
        assert!(first.entities.len() < 200);
        // The nearest entity (highest id, smallest x) came first.
        assert_eq!(first.entities[0].id, EntityId(199));
        client.apply(&first);
        let mut ack = Some(Tick(1));
        let mut last = HashMap::new();
        for t in 2..30 {
            let s = view.build(Tick(t), you(0), &refs, ack, 1100);
            assert!(encode(&mmo_protocol::ServerDatagram::Snapshot(s.clone()), usize::MAX).unwrap().len() <= 1100);
            last = client.apply(&s);
            ack = Some(Tick(t));
        }
        assert_eq!(last, truth(&world), "every entity arrives within a few snapshots");
    }

    #[test]
    fn unknown_ack_gives_a_full_snapshot() {
        let mut view = ClientView::default();
        let world = [npc(5, 10)];
        let refs: Vec<&EntityState> = world.iter().collect();
        view.build(Tick(1), you(0), &refs, None, 1100);
        let s = view.build(Tick(2), you(0), &refs, Some(Tick(77)), 1100);
        assert_eq!(s.baseline, None);
        assert!(s.entities[0].spawn.is_some());
    }
}

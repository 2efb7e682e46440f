use super::*;
use mmo_protocol::limits::MAX_SNAPSHOT_BYTES;
use mmo_protocol::snapshot::wire::{decode, encode};
use mmo_protocol::EntityKind;
use mmo_world::physics::SUB;
use mmo_world::{Buttons, CellId, ZoneId};
use proptest::prelude::*;
use std::collections::HashMap as StdMap;

fn you(x: i32) -> OwnState {
    OwnState {
        entity: EntityId(1),
        body: Body { pos: glam::IVec2::new(x, 20 * SUB), vel: glam::IVec2::ZERO, on_ground: true },
        hp: 100,
        max_hp: 100,
        level: 1,
        cell: CellId::new(0, 0),
        zone: ZoneId(1),
        ..OwnState::default()
    }
}

/// An NPC at `x` (test fixture, also used by the other modules' tests).
pub(crate) fn npc(id: u64, x: i32) -> EntityState {
    EntityState {
        id: EntityId(id),
        kind: EntityKind::Npc { species: 0 },
        body: Body::at(glam::IVec2::new(x, 1000)),
        hp: 30,
        max_hp: 30,
        pose: 0,
        xp: 0,
        level: 1,
        last_input_seq: 0,
        items: Vec::new(),
    }
}

/// A client: decodes each datagram it receives and rebuilds views the way the browser does.
#[derive(Default)]
struct Client {
    views: StdMap<Tick, View>,
    newest: Option<Tick>,
}

impl Client {
    /// Receives a datagram; the view rebuilt, if its baseline is held.
    fn receive(&mut self, bytes: &[u8]) -> Option<&View> {
        let snap = decode(bytes).expect("the gateway's datagrams decode");
        let base = match snap.baseline {
            None => None,
            Some(b) => Some(self.views.get(&b)?),
        };
        let view = View::apply(base, &snap).expect("the gateway's snapshots apply");
        let tick = view.tick;
        self.views.insert(tick, view);
        self.newest = self.newest.max(Some(tick));
        self.views.get(&tick)
    }
}

/// Entities whose state in `view` differs from the truth, that it lacks, or that it holds
/// but are gone.
fn wrong(view: &View, truth: &[EntityState]) -> usize {
    let known: StdMap<EntityId, &mmo_protocol::snapshot::Known> = view.entities.values().map(|k| (k.id, k)).collect();
    let stale = truth
        .iter()
        .filter(|e| known.get(&e.id).is_none_or(|k| k.motion.body != e.body || k.hp != e.hp || k.pose != e.pose))
        .count();
    let gone = known.keys().filter(|id| !truth.iter().any(|e| e.id == **id)).count();
    stale + gone
}

/// A world of NPCs stepping on a flat floor under changing buttons, some coming and going.
struct World {
    entities: Vec<EntityState>,
    buttons: Vec<u8>,
}

impl World {
    fn new(n: usize, spread: i32) -> Self {
        let entities = (0..n)
            .map(|i| {
                let mut e = npc(100 + i as u64, (i as i32 * spread) % (200 * SUB));
                e.body =
                    Body { pos: glam::IVec2::new(e.body.pos.x, 20 * SUB), vel: glam::IVec2::ZERO, on_ground: true };
                e
            })
            .collect();
        World { entities, buttons: vec![0; n] }
    }

    fn step(&mut self, rng: &mut impl FnMut(u32) -> u32) {
        struct Floor;
        impl mmo_world::TileSource for Floor {
            fn tile(&self, _x: i32, y: i32) -> mmo_world::Tile {
                if y >= 20 {
                    mmo_world::Tile::Solid
                } else {
                    mmo_world::Tile::Empty
                }
            }
        }
        for (e, b) in self.entities.iter_mut().zip(&mut self.buttons) {
            if rng(10) == 0 {
                *b = [0, Buttons::LEFT, Buttons::RIGHT, Buttons::RIGHT | Buttons::JUMP][rng(4) as usize];
            }
            e.body = e.body.step(Buttons(*b), &Floor);
            match Buttons(*b).direction() {
                d if d < 0 => e.pose |= pose::FACING_LEFT,
                d if d > 0 => e.pose &= !pose::FACING_LEFT,
                _ => {}
            }
            if rng(50) == 0 {
                e.hp = e.hp.saturating_sub(1);
            }
        }
    }
}

fn rng_from(seed: u64) -> impl FnMut(u32) -> u32 {
    let mut s = mmo_world::rng::SplitMix64::new(seed);
    move |n| s.below(n)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Whatever is lost, every snapshot the client can rebuild gives exactly the view the
    /// gateway recorded for it, and with room enough the client is never out of date.
    #[test]
    fn the_client_rebuilds_exactly_the_view_the_gateway_recorded(
        seed in any::<u64>(), n in 1usize..60, loss in 0u32..40, soft in prop_oneof![Just(60usize), Just(120), Just(1100)]
    ) {
        let mut rng = rng_from(seed);
        let mut world = World::new(n, 3 * SUB + 77);
        let mut view = ClientView::with_soft_budget(soft);
        let mut client = Client::default();
        for t in 1..120u64 {
            world.step(&mut rng);
            // Entities beyond x = 150 tiles are out of view this tick.
            let others: Vec<&EntityState> = world.entities.iter().filter(|e| e.body.pos.x < 150 * SUB || t % 30 < 10).collect();
            let snap = view.build(Tick(t), you(0), &others, client.newest, MAX_SNAPSHOT_BYTES);
            let bytes = encode(&snap);
            prop_assert!(bytes.len() <= MAX_SNAPSHOT_BYTES);
            if rng(100) < loss {
                continue;
            }
            if let Some(rebuilt) = client.receive(&bytes) {
                prop_assert_eq!(Some(rebuilt), view.view_at(Tick(t)), "tick {}", t);
                if soft == 1100 && loss == 0 {
                    let truth: Vec<EntityState> = others.iter().map(|e| (*e).clone()).collect();
                    prop_assert_eq!(wrong(rebuilt, &truth), 0, "tick {}", t);
                }
            }
        }
    }
}

#[test]
fn walkers_and_standing_entities_cost_nothing_after_the_ack() {
    let mut view = ClientView::default();
    let mut client = Client::default();
    let mut world: Vec<EntityState> = (0..10).map(|i| npc(i + 2, i as i32 * 100)).collect();
    for (i, e) in world.iter_mut().enumerate() {
        e.body.on_ground = true;
        e.body.pos.y = 20 * SUB;
        if i % 2 == 0 {
            e.body.vel.x = mmo_world::physics::RUN_SPEED;
        }
    }
    let refs: Vec<&EntityState> = world.iter().collect();
    let full = view.build(Tick(1), you(0), &refs, None, MAX_SNAPSHOT_BYTES);
    assert_eq!(full.spawns.len(), 10);
    client.receive(&encode(&full)).unwrap();
    for t in 2..6 {
        for e in world.iter_mut() {
            e.body.pos.x += e.body.vel.x;
        }
        let refs: Vec<&EntityState> = world.iter().collect();
        let delta = view.build(Tick(t), you(0), &refs, client.newest, MAX_SNAPSHOT_BYTES);
        assert_eq!(delta.baseline, client.newest);
        assert!(delta.spawns.is_empty() && delta.updates.is_empty(), "tick {t}: {delta:?}");
        // Kind, tick, baseline, the player's input advance and nine flags, three list lengths.
        assert!(encode(&delta).len() <= 6, "tick {t}: {} bytes", encode(&delta).len());
        client.receive(&encode(&delta)).unwrap();
    }
}

#[test]
fn a_crowd_over_budget_gets_the_nearest_first_and_every_entity_within_four_ticks() {
    let mut view = ClientView::default();
    let mut client = Client::default();
    let mut rng = rng_from(7);
    let mut world = World::new(250, SUB / 2 + 3);
    let mut stale_for: StdMap<EntityId, u64> = StdMap::new();
    let mut longest = 0;
    for t in 1..200u64 {
        world.step(&mut rng);
        let refs: Vec<&EntityState> = world.entities.iter().collect();
        let snap = view.build(Tick(t), you(0), &refs, client.newest, MAX_SNAPSHOT_BYTES);
        if t == 1 {
            assert!(snap.spawns.len() < 250, "not all fit one datagram");
            let nearest = snap.spawns.iter().map(|s| s.motion.body.pos.x.abs()).max().unwrap();
            let left_out = world.entities.iter().filter(|e| !snap.spawns.iter().any(|s| s.id == e.id));
            assert!(left_out.map(|e| e.body.pos.x.abs()).min().unwrap() >= nearest, "nearest first");
        }
        let bytes = encode(&snap);
        assert!(bytes.len() <= MAX_SNAPSHOT_BYTES);
        let rebuilt = client.receive(&bytes).unwrap();
        if t > 20 {
            let known: StdMap<EntityId, _> = rebuilt.entities.values().map(|k| (k.id, k)).collect();
            for e in &world.entities {
                let ok = known.get(&e.id).is_some_and(|k| k.motion.body == e.body && k.hp == e.hp && k.pose == e.pose);
                let s = stale_for.entry(e.id).or_default();
                *s = if ok { 0 } else { *s + 1 };
                longest = longest.max(*s);
            }
        }
    }
    assert!(longest <= OVERDUE_TICKS + 1, "an entity stayed out of date for {longest} ticks");
}

#[test]
fn an_unknown_ack_gives_a_full_snapshot() {
    let mut view = ClientView::default();
    let world = [npc(5, 10)];
    let refs: Vec<&EntityState> = world.iter().collect();
    view.build(Tick(1), you(0), &refs, None, MAX_SNAPSHOT_BYTES);
    let s = view.build(Tick(2), you(0), &refs, Some(Tick(77)), MAX_SNAPSHOT_BYTES);
    assert_eq!(s.baseline, None);
    assert_eq!(s.spawns.len(), 1);
    assert_eq!(s.you.entity, Some(EntityId(1)), "the player's state whole");
}

#[test]
fn a_handle_is_not_reused_while_an_unacknowledged_view_holds_its_entity() {
    let mut view = ClientView::default();
    let (a, b) = (npc(10, 100), npc(20, 200));
    let first = view.build(Tick(1), you(0), &[&a], None, MAX_SNAPSHOT_BYTES);
    assert_eq!(first.spawns[0].handle, 0);
    // a leaves and b comes while tick 1 is not acknowledged: b must not take handle 0.
    let second = view.build(Tick(2), you(0), &[&b], None, MAX_SNAPSHOT_BYTES);
    assert_eq!(second.spawns.iter().map(|s| (s.id, s.handle)).collect::<Vec<_>>(), [(EntityId(20), 1)]);
    // Once the client acknowledged a view without a, its handle is free again.
    view.build(Tick(3), you(0), &[&b], Some(Tick(2)), MAX_SNAPSHOT_BYTES);
    let c = npc(30, 300);
    let fourth = view.build(Tick(4), you(0), &[&b, &c], Some(Tick(3)), MAX_SNAPSHOT_BYTES);
    assert_eq!(fourth.spawns.iter().map(|s| (s.id, s.handle)).collect::<Vec<_>>(), [(EntityId(30), 0)]);
}

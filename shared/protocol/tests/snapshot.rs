//! Snapshot datagrams: the bit layout round-trips, and hostile bytes are errors, never panics
//! or huge allocations.

use glam::IVec2;
use mmo_protocol::snapshot::wire::{decode, encode, encoded_len, SnapshotError};
use mmo_protocol::snapshot::{Hint, Motion, MotionDelta, OwnUpdate, Snapshot, Spawn, Update, View};
use mmo_protocol::{EntityKind, ErrorCode};
use mmo_world::{Body, CellId, EntityId, Tick, ZoneId};
use proptest::prelude::*;

fn hint() -> impl Strategy<Value = Hint> {
    (-1i8..=1, any::<bool>()).prop_map(|(dir, jump)| Hint { dir, jump })
}

fn vec2(max: i32) -> impl Strategy<Value = IVec2> {
    (-max..max, -max..max).prop_map(|(x, y)| IVec2::new(x, y))
}

fn delta() -> impl Strategy<Value = MotionDelta> {
    (prop_oneof![Just(IVec2::ZERO), vec2(1 << 20)], prop_oneof![Just(IVec2::ZERO), vec2(1000)], any::<bool>(), hint())
        .prop_map(|(pos, vel, on_ground, hint)| MotionDelta { pos, vel, on_ground, hint })
}

fn kind() -> impl Strategy<Value = EntityKind> {
    prop_oneof![
        any::<u8>().prop_map(|species| EntityKind::Npc { species }),
        "[a-zA-Zé_-]{3,16}".prop_map(|n| EntityKind::Player { name: n.into() })
    ]
}

fn spawn() -> impl Strategy<Value = Spawn> {
    (0u64..(1 << 53), kind(), any::<u16>(), vec2(1 << 22), vec2(4000), any::<bool>(), hint(), any::<u16>(), any::<u8>())
        .prop_map(|(id, kind, max_hp, pos, vel, on_ground, hint, hp, pose)| Spawn {
            handle: 0,
            id: EntityId(id),
            kind,
            max_hp,
            motion: Motion { body: Body { pos, vel, on_ground }, hint },
            hp,
            pose,
        })
}

fn update() -> impl Strategy<Value = Update> {
    (proptest::option::of(delta()), proptest::option::of(any::<u16>()), proptest::option::of(any::<u8>()))
        .prop_map(|(motion, hp, pose)| Update { handle: 0, motion, hp, pose })
}

fn own() -> impl Strategy<Value = OwnUpdate> {
    (
        proptest::option::of(0u64..(1 << 53)),
        any::<u32>(),
        proptest::option::of(delta()),
        proptest::option::of(any::<u16>()),
        proptest::option::of(any::<u32>()),
        proptest::option::of((any::<u16>(), any::<u16>(), any::<u8>())),
        proptest::option::of(any::<u32>()),
    )
        .prop_map(|(entity, input_advance, motion, hp, xp, cell, zone)| OwnUpdate {
            entity: entity.map(EntityId),
            input_advance,
            motion,
            hp,
            max_hp: hp.map(|h| h / 2),
            xp,
            level: hp,
            pose: hp.map(|h| h as u8),
            cell: cell.map(|(x, y, depth)| CellId { x, y, depth }),
            zone: zone.map(ZoneId),
        })
}

/// Ascending distinct handles for `n` items.
fn handles(n: usize) -> impl Strategy<Value = Vec<u16>> {
    proptest::collection::btree_set(any::<u16>(), n).prop_map(|s| s.into_iter().collect())
}

fn snapshot() -> impl Strategy<Value = Snapshot> {
    (
        1u64..(1 << 40),
        proptest::option::of(1u64..200),
        own(),
        proptest::collection::vec(spawn(), 0..6),
        proptest::collection::vec(update(), 0..20),
        0usize..10,
    )
        .prop_flat_map(|(tick, back, you, spawns, updates, removed)| {
            (handles(spawns.len()), handles(updates.len()), handles(removed)).prop_map(move |(sh, uh, removed)| {
                Snapshot {
                    tick: Tick(tick + 200),
                    baseline: back.map(|b| Tick(tick + 200 - b)),
                    you: you.clone(),
                    removed,
                    spawns: spawns.iter().zip(&sh).map(|(s, h)| Spawn { handle: *h, ..s.clone() }).collect(),
                    updates: updates.iter().zip(&uh).map(|(u, h)| Update { handle: *h, ..u.clone() }).collect(),
                }
            })
        })
}

proptest! {
    #[test]
    fn snapshots_round_trip_through_the_bit_layout(snap in snapshot()) {
        let bytes = encode(&snap);
        prop_assert_eq!(bytes.len(), encoded_len(&snap));
        prop_assert_eq!(decode(&bytes), Ok(snap));
    }

    #[test]
    fn any_bytes_decode_to_an_error_or_a_snapshot_that_applies_or_not_without_panicking(
        bytes in proptest::collection::vec(any::<u8>(), 0..300)
    ) {
        if let Ok(snap) = decode(&bytes) {
            let _ = View::apply(None, &snap);
        }
    }

    #[test]
    fn a_cut_snapshot_is_an_error(snap in snapshot(), cut in 1usize..8) {
        let bytes = encode(&snap);
        let cut = cut.min(bytes.len());
        // A shorter datagram cannot be read as the same snapshot.
        prop_assert_ne!(decode(&bytes[..bytes.len() - cut]).ok(), Some(snap));
    }
}

#[test]
fn wrong_kind_and_oversized_datagrams_name_their_code() {
    assert_eq!(decode(&[1, 0]).unwrap_err().code(), ErrorCode::UnknownMessage);
    assert_eq!(decode(&[0; 1101]).unwrap_err().code(), ErrorCode::FrameTooLarge);
    assert_eq!(decode(&[]).unwrap_err().code(), ErrorCode::MalformedMessage);
    // A list claiming 2^20 entries in a few bytes.
    let mut hostile = vec![0u8, 0b0000_0100, 0b0000_0000];
    hostile.extend([0, 0, 0, 0b0000_0001, 0xff]);
    assert!(matches!(decode(&hostile), Err(SnapshotError::Bits(_) | SnapshotError::OutOfRange(_))));
}

#[test]
fn a_delta_against_a_view_not_held_or_naming_unknown_handles_is_refused() {
    let (full, view) = mmo_protocol::golden::snapshot_sequence().remove(0);
    let mut later = Snapshot {
        tick: Tick(full.tick.0 + 1),
        baseline: Some(Tick(full.tick.0 - 5)),
        you: OwnUpdate::default(),
        removed: vec![],
        spawns: vec![],
        updates: vec![],
    };
    assert!(matches!(
        View::apply(Some(&view), &later),
        Err(mmo_protocol::snapshot::ApplyError::MissingBaseline { .. })
    ));
    later.baseline = Some(full.tick);
    later.removed = vec![3];
    assert_eq!(View::apply(Some(&view), &later), Err(mmo_protocol::snapshot::ApplyError::UnknownHandle(3)));
    later.removed = vec![];
    later.spawns = full.spawns.clone();
    assert_eq!(View::apply(Some(&view), &later), Err(mmo_protocol::snapshot::ApplyError::HandleInUse(0)));
    let largest = mmo_protocol::snapshot::MAX_HANDLES as u16;
    later.spawns[0].handle = largest;
    assert_eq!(View::apply(Some(&view), &later), Err(mmo_protocol::snapshot::ApplyError::HandleOutOfRange(largest)));
    later.spawns.truncate(1);
    later.spawns[0].handle = largest - 1;
    assert!(View::apply(Some(&view), &later).is_ok_and(|v| v.entities.get(&(largest - 1)).is_some()));
    later.spawns = vec![];
    later.updates = vec![Update {
        handle: 1,
        motion: Some(MotionDelta { pos: IVec2::new(1 << 25, 0), ..MotionDelta::default() }),
        hp: None,
        pose: None,
    }];
    assert_eq!(View::apply(Some(&view), &later), Err(mmo_protocol::snapshot::ApplyError::OutOfRange));
}

#[test]
fn views_are_extrapolated_at_most_max_extrapolation_ticks() {
    use mmo_protocol::snapshot::MAX_EXTRAPOLATION_TICKS;
    let (_, view) = mmo_protocol::golden::snapshot_sequence().remove(0);
    let ahead = |ticks: u64| view.advanced(Tick(view.tick.0 + ticks));
    let (stop, far) = (ahead(MAX_EXTRAPOLATION_TICKS), ahead(MAX_EXTRAPOLATION_TICKS + 30));
    assert_eq!((stop.you.body, &stop.entities), (far.you.body, &far.entities), "motion stops at the limit");
    assert!(view.entities.values().any(|k| k.motion.body.vel != IVec2::ZERO), "something moves");
    assert_ne!(stop.entities, ahead(MAX_EXTRAPOLATION_TICKS - 1).entities, "and moved until then");
}

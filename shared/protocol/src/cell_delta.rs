//! A cell frame as the change from an earlier frame of the same cell stream: what the networked
//! zone link sends between keyframes (`mmo_cluster::net`, when both ends speak link version 2).
//! The link is one ordered, lossless connection, so the base is always the frame sent before on
//! that stream; a new stream (or connection) starts with a whole frame.
//!
//! Per entity only the fields that changed travel (a player standing still changes only the
//! sequence number of its last input), and ids as the gap from the previous id in the list
//! (frames keep their entities sorted by id, so a gap takes a byte or two where an id takes
//! nine).

use crate::cell::{CellEvent, CellFrame, EntityKind, EntityState, GroundItem, InventoryItem};
use mmo_world::{Body, EntityId, Tick};
use serde::{Deserialize, Serialize};

/// What changed in one cell between the frame of tick `base` and the frame of tick `tick`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellFrameDelta {
    pub base: Tick,
    pub tick: Tick,
    /// Entities new or changed since `base`, in id order.
    pub changed: Vec<EntityChange>,
    /// Entities of `base` no longer in the cell, in id order, each as the gap from the previous
    /// one (the first from 0).
    pub removed: Vec<u64>,
    /// This tick's events (events are never carried over).
    pub events: Vec<CellEvent>,
    /// The ground items, if they changed.
    pub items: Option<Vec<GroundItem>>,
}

/// The fields of one entity that changed (all of them, `kind` included, for a new one).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityChange {
    /// The id as the gap from the previous change's id (the first from 0).
    pub id_gap: u64,
    pub kind: Option<EntityKind>,
    pub body: Option<Body>,
    pub hp: Option<u16>,
    pub max_hp: Option<u16>,
    pub pose: Option<u8>,
    pub xp: Option<u32>,
    pub level: Option<u16>,
    pub last_input_seq: Option<u32>,
    pub items: Option<Vec<InventoryItem>>,
}

/// Why a delta does not apply to the frame held.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeltaError {
    #[error("the delta is against tick {wanted}, the frame held is of tick {held}")]
    WrongBase { wanted: Tick, held: Tick },
    #[error("entity {0}: a change of an entity the frame held does not have, or a new entity without all its fields")]
    Unknown(EntityId),
    #[error("the delta's ids are not in increasing order")]
    Unsorted,
}

impl EntityChange {
    /// The fields of `now` that differ from `before` (all of them for a new entity).
    fn between(before: Option<&EntityState>, now: &EntityState) -> Option<EntityChange> {
        fn changed<T: Clone + PartialEq>(before: Option<&T>, now: &T) -> Option<T> {
            (before != Some(now)).then(|| now.clone())
        }
        let change = EntityChange {
            id_gap: 0,
            kind: changed(before.map(|b| &b.kind), &now.kind),
            body: changed(before.map(|b| &b.body), &now.body),
            hp: changed(before.map(|b| &b.hp), &now.hp),
            max_hp: changed(before.map(|b| &b.max_hp), &now.max_hp),
            pose: changed(before.map(|b| &b.pose), &now.pose),
            xp: changed(before.map(|b| &b.xp), &now.xp),
            level: changed(before.map(|b| &b.level), &now.level),
            last_input_seq: changed(before.map(|b| &b.last_input_seq), &now.last_input_seq),
            items: changed(before.map(|b| &b.items), &now.items),
        };
        (change != EntityChange::default()).then_some(change)
    }

    /// The entity `id` as `before` with these changes; a new one needs every field.
    fn apply(&self, id: EntityId, before: Option<&EntityState>) -> Result<EntityState, DeltaError> {
        fn field<T: Clone>(change: &Option<T>, old: Option<T>, id: EntityId) -> Result<T, DeltaError> {
            change.clone().or(old).ok_or(DeltaError::Unknown(id))
        }
        Ok(EntityState {
            id,
            kind: field(&self.kind, before.map(|b| b.kind.clone()), id)?,
            body: field(&self.body, before.map(|b| b.body), id)?,
            hp: field(&self.hp, before.map(|b| b.hp), id)?,
            max_hp: field(&self.max_hp, before.map(|b| b.max_hp), id)?,
            pose: field(&self.pose, before.map(|b| b.pose), id)?,
            xp: field(&self.xp, before.map(|b| b.xp), id)?,
            level: field(&self.level, before.map(|b| b.level), id)?,
            last_input_seq: field(&self.last_input_seq, before.map(|b| b.last_input_seq), id)?,
            items: field(&self.items, before.map(|b| b.items.clone()), id)?,
        })
    }
}

/// Ids as gaps from the previous one (the first from 0); `ids` must be increasing.
fn gaps(ids: impl Iterator<Item = EntityId>) -> impl Iterator<Item = u64> {
    let mut last = 0;
    ids.map(move |id| std::mem::replace(&mut last, id.0).abs_diff(id.0))
}

/// The ids of `gaps`, or `Unsorted` if two would be equal.
fn ids(gaps: impl Iterator<Item = u64>) -> Result<Vec<EntityId>, DeltaError> {
    let mut last: Option<u64> = None;
    gaps.map(|gap| {
        let id = match last {
            Some(_) if gap == 0 => return Err(DeltaError::Unsorted),
            Some(l) => l.checked_add(gap).ok_or(DeltaError::Unsorted)?,
            None => gap,
        };
        last = Some(id);
        Ok(EntityId(id))
    })
    .collect()
}

impl CellFrameDelta {
    /// The change from `base` to `next`; `None` when `next` is not a later frame of the same
    /// stream (another cell, zone or ownership epoch: a whole frame is needed).
    pub fn between(base: &CellFrame, next: &CellFrame) -> Option<CellFrameDelta> {
        let same_stream = (base.cell, base.zone, base.epoch) == (next.cell, next.zone, next.epoch);
        if !same_stream || next.tick <= base.tick {
            return None;
        }
        let (mut changed, mut removed) = (Vec::new(), Vec::new());
        let (mut old, mut new) = (base.entities.iter().peekable(), next.entities.iter().peekable());
        loop {
            match (old.peek(), new.peek()) {
                (Some(o), Some(n)) if o.id == n.id => {
                    changed.extend(EntityChange::between(Some(o), n).map(|c| (n.id, c)));
                    old.next();
                    new.next();
                }
                (Some(o), Some(n)) if o.id < n.id => {
                    removed.push(o.id);
                    old.next();
                }
                (Some(o), None) => {
                    removed.push(o.id);
                    old.next();
                }
                (_, Some(n)) => {
                    changed.extend(EntityChange::between(None, n).map(|c| (n.id, c)));
                    new.next();
                }
                (None, None) => break,
            }
        }
        let changed = gaps(changed.iter().map(|(id, _)| *id))
            .zip(changed.iter())
            .map(|(id_gap, (_, change))| EntityChange { id_gap, ..change.clone() })
            .collect();
        Some(CellFrameDelta {
            base: base.tick,
            tick: next.tick,
            changed,
            removed: gaps(removed.into_iter()).collect(),
            events: next.events.clone(),
            items: (base.items != next.items).then(|| next.items.clone()),
        })
    }

    /// The frame `base` becomes with this delta.
    pub fn apply(&self, base: &CellFrame) -> Result<CellFrame, DeltaError> {
        if base.tick != self.base {
            return Err(DeltaError::WrongBase { wanted: self.base, held: base.tick });
        }
        let changed_ids = ids(self.changed.iter().map(|c| c.id_gap))?;
        let removed = ids(self.removed.iter().copied())?;
        let mut changes = changed_ids.into_iter().zip(&self.changed).peekable();
        let mut entities = Vec::with_capacity(base.entities.len() + self.changed.len());
        for e in &base.entities {
            while let Some((id, change)) = changes.next_if(|(id, _)| *id < e.id) {
                entities.push(change.apply(id, None)?);
            }
            match changes.next_if(|(id, _)| *id == e.id) {
                Some((id, change)) => entities.push(change.apply(id, Some(e))?),
                None if removed.binary_search(&e.id).is_ok() => {}
                None => entities.push(e.clone()),
            }
        }
        for (id, change) in changes {
            entities.push(change.apply(id, None)?);
        }
        Ok(CellFrame {
            cell: base.cell,
            zone: base.zone,
            epoch: base.epoch,
            tick: self.tick,
            entities,
            events: self.events.clone(),
            items: self.items.clone().unwrap_or_else(|| base.items.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cell::EntityKind;
    use glam::IVec2;
    use mmo_world::{Body, CellId, Epoch, ItemSerial, ZoneId};
    use proptest::prelude::*;

    fn entity(id: u64, x: i32, hp: u16) -> EntityState {
        EntityState {
            id: EntityId(id),
            kind: EntityKind::Npc { species: 0 },
            body: Body::at(IVec2::new(x, 0)),
            hp,
            max_hp: 30,
            pose: 0,
            xp: 0,
            level: 1,
            last_input_seq: 0,
            items: Vec::new(),
        }
    }

    fn frame(tick: u64, entities: Vec<EntityState>, items: Vec<GroundItem>) -> CellFrame {
        CellFrame { items, ..CellFrame::new(CellId::new(1, 0), ZoneId(2), Epoch(3), Tick(tick), entities) }
    }

    /// A frame of up to 40 entities with ids below 60 (some far above: ids carry a zone's
    /// block), sorted, some of them moved, hurt or with another last input.
    fn frames() -> impl Strategy<Value = CellFrame> {
        (
            prop::collection::btree_map(
                prop_oneof![0u64..60, (1u64 << 40)..(1u64 << 40) + 3],
                (0i32..4, 28u16..31, 0u32..2),
                0..40,
            ),
            prop::collection::vec(0u64..5, 0..3),
        )
            .prop_map(|(entities, items)| {
                let entities = entities
                    .into_iter()
                    .map(|(id, (x, hp, seq))| EntityState { last_input_seq: seq, ..entity(id, x, hp) })
                    .collect();
                let items = items
                    .into_iter()
                    .map(|s| GroundItem { serial: ItemSerial(s), kind: 1, pos: IVec2::ZERO })
                    .collect();
                frame(0, entities, items)
            })
    }

    proptest! {
        #[test]
        fn applying_the_delta_between_two_frames_rebuilds_the_second(base in frames(), next in frames()) {
            let next = CellFrame { tick: Tick(1), events: vec![CellEvent::Chat { from: EntityId(1), name: "a".into(), text: "hi".into() }], ..next };
            let delta = CellFrameDelta::between(&base, &next).expect("a later frame of the stream");
            prop_assert_eq!(delta.apply(&base).unwrap(), next);
        }
    }

    #[test]
    fn only_what_changed_is_carried() {
        let base = frame(7, vec![entity(1, 0, 30), entity(2, 0, 30), entity(4, 0, 30)], vec![]);
        let next = frame(8, vec![entity(1, 0, 30), entity(2, 16, 30), entity(3, 0, 30)], vec![]);
        let delta = CellFrameDelta::between(&base, &next).unwrap();
        let gaps: Vec<u64> = delta.changed.iter().map(|c| c.id_gap).collect();
        assert_eq!((gaps, delta.removed.clone()), (vec![2, 1], vec![4]), "entities 2 and 3 changed, 4 left");
        let moved = &delta.changed[0];
        assert!(moved.body.is_some() && moved.kind.is_none() && moved.hp.is_none(), "only the body of 2: {moved:?}");
        assert!(delta.changed[1].kind.is_some(), "3 is new: all of it");
        assert_eq!(delta.items, None, "the ground did not change");
        assert_eq!(delta.apply(&base).unwrap(), next);
    }

    #[test]
    fn another_stream_or_an_older_frame_needs_a_whole_frame_and_a_wrong_base_is_refused() {
        let base = frame(7, vec![entity(1, 0, 30)], vec![]);
        let mut other = frame(8, vec![], vec![]);
        other.epoch = Epoch(4);
        assert!(CellFrameDelta::between(&base, &other).is_none(), "a new ownership epoch");
        assert!(CellFrameDelta::between(&base, &frame(7, vec![], vec![])).is_none(), "not later");
        let delta = CellFrameDelta::between(&base, &frame(9, vec![], vec![])).unwrap();
        assert_eq!(
            delta.apply(&frame(8, vec![], vec![])),
            Err(DeltaError::WrongBase { wanted: Tick(7), held: Tick(8) })
        );
        let twice = CellFrameDelta { removed: vec![1, 0], ..delta.clone() };
        assert_eq!(twice.apply(&base), Err(DeltaError::Unsorted));
        let unknown =
            CellFrameDelta { changed: vec![EntityChange { id_gap: 5, hp: Some(1), ..Default::default() }], ..delta };
        assert_eq!(unknown.apply(&base), Err(DeltaError::Unknown(EntityId(5))), "a change of nobody");
    }
}

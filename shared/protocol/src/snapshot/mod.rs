//! Snapshots: what the gateway sends each client each tick, and the view the client rebuilds
//! from them. Both ends run [`View::apply`] (the browser its TypeScript mirror in
//! `browser-client/src/snapshots.ts`), so the gateway knows exactly what each client holds.
//!
//! # What a snapshot carries
//! A snapshot is a delta against the view of a `baseline` tick the client acknowledged (or
//! against nothing: a full snapshot). The baseline is first extrapolated to the snapshot's
//! tick ([`motion`]: every body stepped with the shared physics); the snapshot then carries
//! only where the truth differs from that:
//! - entities are named by per-client **handles**, small integers the gateway assigns when an
//!   entity comes into view (the spawn names its global id once) and frees once the client has
//!   acknowledged it gone;
//! - an entity's update has a flag per field (motion, hp, pose); a motion update is the
//!   residual against the extrapolation, exact;
//! - the player's own state ([`OwnState`]) is rebuilt exactly every tick the same way.
//!
//! The bit layout is in [`wire`].

mod entities;
pub mod motion;
pub mod wire;

use crate::cell::EntityKind;
pub use entities::{Entities, MAX_HANDLES};
use glam::IVec2;
use mmo_world::{Body, CellId, EntityId, Tick, ZoneId};
pub use motion::{guess_hint, Extrapolations, Hint, Motion};
use serde::{Deserialize, Serialize};

/// A per-client entity handle.
pub type Handle = u16;

/// Largest coordinate (in sub-tile units) and speed a rebuilt body may have; a snapshot that
/// would go past them is refused, so hostile residuals cannot overflow the extrapolation.
pub const MAX_POS: i32 = 1 << 24;
pub const MAX_VEL: i32 = 1 << 12;
/// Most ticks a snapshot may be ahead of its baseline (both ends keep far fewer views), so a
/// hostile one cannot make the receiver extrapolate for ever.
pub const MAX_BASELINE_AGE: u64 = 256;
/// Most ticks a view is extrapolated: motion stops there, on both ends alike. A snapshot on an
/// older baseline (a client far behind) costs its sender and receiver at most this many steps
/// per entity; its residuals carry the rest.
pub const MAX_EXTRAPOLATION_TICKS: u64 = 8;

/// The player's own avatar, exact, for prediction and the HUD.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnState {
    pub entity: EntityId,
    /// The newest input the zone has applied.
    pub last_input_seq: u32,
    pub body: Body,
    pub hp: u16,
    pub max_hp: u16,
    pub xp: u32,
    pub level: u16,
    pub pose: u8,
    pub cell: CellId,
    /// The zone simulating the player (debug overlay).
    pub zone: ZoneId,
}

/// One snapshot as it travels. Lists are in ascending handle order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub tick: Tick,
    /// The tick of the view this one is a delta against; `None` for a full snapshot.
    pub baseline: Option<Tick>,
    pub you: OwnUpdate,
    /// Handles of entities no longer in view.
    pub removed: Vec<Handle>,
    /// Entities new to the client (a handle may be removed and spawned again in one snapshot).
    pub spawns: Vec<Spawn>,
    /// Changes to entities the baseline holds.
    pub updates: Vec<Update>,
}

/// The player's own state against the baseline's; `None` means unchanged.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnUpdate {
    pub entity: Option<EntityId>,
    /// How far `last_input_seq` moved (wrapping).
    pub input_advance: u32,
    pub motion: Option<MotionDelta>,
    pub hp: Option<u16>,
    pub max_hp: Option<u16>,
    pub xp: Option<u32>,
    pub level: Option<u16>,
    pub pose: Option<u8>,
    pub cell: Option<CellId>,
    pub zone: Option<ZoneId>,
}

/// Where a body is against where it was extrapolated to, and the hint to go on with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MotionDelta {
    pub pos: IVec2,
    pub vel: IVec2,
    pub on_ground: bool,
    pub hint: Hint,
}

impl MotionDelta {
    /// The delta that turns `predicted` into `truth` with `hint`.
    pub fn between(predicted: &Body, truth: &Body, hint: Hint) -> Self {
        MotionDelta { pos: truth.pos - predicted.pos, vel: truth.vel - predicted.vel, on_ground: truth.on_ground, hint }
    }

    fn apply(&self, predicted: Motion) -> Result<Motion, ApplyError> {
        let body = Body {
            pos: predicted.body.pos.wrapping_add(self.pos),
            vel: predicted.body.vel.wrapping_add(self.vel),
            on_ground: self.on_ground,
        };
        in_range(&body)?;
        Ok(Motion { body, hint: self.hint })
    }
}

fn in_range(b: &Body) -> Result<(), ApplyError> {
    let ok = |v: IVec2, max: i32| v.x.unsigned_abs() < max as u32 && v.y.unsigned_abs() < max as u32;
    if ok(b.pos, MAX_POS) && ok(b.vel, MAX_VEL) {
        Ok(())
    } else {
        Err(ApplyError::OutOfRange)
    }
}

/// An entity coming into view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spawn {
    pub handle: Handle,
    pub id: EntityId,
    pub kind: EntityKind,
    pub max_hp: u16,
    pub motion: Motion,
    pub hp: u16,
    pub pose: u8,
}

/// What changed about an entity the baseline holds; `None` means as extrapolated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Update {
    pub handle: Handle,
    pub motion: Option<MotionDelta>,
    pub hp: Option<u16>,
    pub pose: Option<u8>,
}

/// One other entity as the client knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Known {
    pub id: EntityId,
    pub kind: EntityKind,
    pub max_hp: u16,
    pub motion: Motion,
    pub hp: u16,
    pub pose: u8,
}

/// Everything a client knows at one snapshot tick.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct View {
    pub tick: Tick,
    pub you: OwnState,
    /// The hint the player's own body is extrapolated with.
    pub you_hint: Hint,
    pub entities: Entities,
}

/// A snapshot that does not fit the view it names.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApplyError {
    #[error("snapshot {tick} is a delta against {baseline}, which is not held")]
    MissingBaseline { tick: Tick, baseline: Tick },
    #[error("baseline {baseline} is not before the snapshot's tick {tick}, or too far before")]
    BaselineOutOfRange { tick: Tick, baseline: Tick },
    #[error("handle {0} is not in view")]
    UnknownHandle(Handle),
    #[error("handle {0} spawned while in use")]
    HandleInUse(Handle),
    #[error("handle {0} is past the largest a view may use")]
    HandleOutOfRange(Handle),
    #[error("a body goes out of range")]
    OutOfRange,
}

impl View {
    /// The view extrapolated to `tick` (every motion, the player's too, stepped ahead, at most
    /// [`MAX_EXTRAPOLATION_TICKS`]).
    pub fn advanced(&self, tick: Tick) -> View {
        self.advanced_with(tick, &mut Extrapolations::default())
    }

    /// [`View::advanced`], taking and keeping extrapolations in `memo`.
    pub fn advanced_with(&self, tick: Tick, memo: &mut Extrapolations) -> View {
        let ticks = tick.0.saturating_sub(self.tick.0).min(MAX_EXTRAPOLATION_TICKS);
        let mut next = self.clone();
        next.tick = tick;
        next.you.body = memo.advance(Motion { body: self.you.body, hint: self.you_hint }, ticks).body;
        for known in next.entities.values_mut() {
            known.motion = memo.advance(known.motion, ticks);
        }
        next
    }

    /// Rebuilds the view of `snap` from `base`, the view of its baseline (ignored for a full
    /// snapshot). The base is not changed.
    pub fn apply(base: Option<&View>, snap: &Snapshot) -> Result<View, ApplyError> {
        Self::apply_with(base, snap, &mut Extrapolations::default())
    }

    /// [`View::apply`], taking and keeping extrapolations in `memo`.
    pub fn apply_with(base: Option<&View>, snap: &Snapshot, memo: &mut Extrapolations) -> Result<View, ApplyError> {
        let start = match (snap.baseline, base) {
            (None, _) => View { tick: snap.tick, ..View::default() },
            (Some(b), _) if b >= snap.tick || snap.tick.0 - b.0 > MAX_BASELINE_AGE => {
                return Err(ApplyError::BaselineOutOfRange { tick: snap.tick, baseline: b })
            }
            (Some(b), Some(base)) if base.tick == b => base.advanced_with(snap.tick, memo),
            (Some(b), _) => return Err(ApplyError::MissingBaseline { tick: snap.tick, baseline: b }),
        };
        Self::apply_to(start, snap)
    }

    /// Rebuilds the view of `snap` from `start`: its baseline's view already advanced to the
    /// snapshot's tick, or an empty view of that tick for a full snapshot.
    pub fn apply_to(mut view: View, snap: &Snapshot) -> Result<View, ApplyError> {
        view.apply_own(&snap.you)?;
        for h in &snap.removed {
            view.entities.remove(h).ok_or(ApplyError::UnknownHandle(*h))?;
        }
        for s in &snap.spawns {
            in_range(&s.motion.body)?;
            if usize::from(s.handle) >= MAX_HANDLES {
                return Err(ApplyError::HandleOutOfRange(s.handle));
            }
            let known =
                Known { id: s.id, kind: s.kind.clone(), max_hp: s.max_hp, motion: s.motion, hp: s.hp, pose: s.pose };
            if view.entities.insert(s.handle, known).is_some() {
                return Err(ApplyError::HandleInUse(s.handle));
            }
        }
        for u in &snap.updates {
            let known = view.entities.get_mut(&u.handle).ok_or(ApplyError::UnknownHandle(u.handle))?;
            if let Some(d) = &u.motion {
                known.motion = d.apply(known.motion)?;
            }
            known.hp = u.hp.unwrap_or(known.hp);
            known.pose = u.pose.unwrap_or(known.pose);
        }
        Ok(view)
    }

    fn apply_own(&mut self, u: &OwnUpdate) -> Result<(), ApplyError> {
        let you = &mut self.you;
        if let Some(d) = &u.motion {
            let m = d.apply(Motion { body: you.body, hint: self.you_hint })?;
            you.body = m.body;
            self.you_hint = m.hint;
        }
        you.entity = u.entity.unwrap_or(you.entity);
        you.last_input_seq = you.last_input_seq.wrapping_add(u.input_advance);
        you.hp = u.hp.unwrap_or(you.hp);
        you.max_hp = u.max_hp.unwrap_or(you.max_hp);
        you.xp = u.xp.unwrap_or(you.xp);
        you.level = u.level.unwrap_or(you.level);
        you.pose = u.pose.unwrap_or(you.pose);
        you.cell = u.cell.unwrap_or(you.cell);
        you.zone = u.zone.unwrap_or(you.zone);
        Ok(())
    }
}

/// The update that turns `base` (the baseline's own state, extrapolated) into `now`, with
/// `hint` to extrapolate it by from here if its body moved off the extrapolation.
pub fn own_update(base: &OwnState, now: &OwnState, hint: Hint) -> OwnUpdate {
    fn changed<T: PartialEq>(a: T, b: T) -> Option<T> {
        (a != b).then_some(b)
    }
    OwnUpdate {
        entity: changed(base.entity, now.entity),
        input_advance: now.last_input_seq.wrapping_sub(base.last_input_seq),
        motion: (base.body != now.body).then(|| MotionDelta::between(&base.body, &now.body, hint)),
        hp: changed(base.hp, now.hp),
        max_hp: changed(base.max_hp, now.max_hp),
        xp: changed(base.xp, now.xp),
        level: changed(base.level, now.level),
        pose: changed(base.pose, now.pose),
        cell: changed(base.cell, now.cell),
        zone: changed(base.zone, now.zone),
    }
}

//! The snapshot datagram's bit layout (most significant bit first; `eg(k)` an exp-Golomb code
//! of order k, `seg(k)` its signed form, `var` a 6-bit length then that many bits, `?` a flag
//! bit then the field if set). Mirrored by `browser-client/src/protocol.ts`.
//!
//! ```text
//! datagram   = kind:8 (0 = snapshot) tick:var baseline? own removed spawns updates padding
//! baseline   = (tick - baseline - 1):eg(0)
//! own        = entity?:var input_advance:eg(1) motion?:delta hp?:eg(4) max_hp?:eg(4)
//!              xp?:eg(6) level?:eg(0) pose?:eg(4) cell?:(x:eg(4) y:eg(4) depth:eg(0)) zone?:var
//! removed    = count:eg(0) handle*          spawns = count:eg(0) (handle spawn)*
//! updates    = count:eg(0) (handle motion?:delta hp?:eg(4) pose?:eg(4))*
//! handle     = eg(0): the first absolute, each next one its gap to the previous minus one
//! id_zone    = entity id >> 40; id_n = its low 40 bits
//! spawn      = id_zone:eg(2) id_n:eg(10) player:1 (name_len:eg(3) utf8:8*n | species:8) max_hp:eg(4)
//!              x:seg(12) y:seg(12) vx:seg(4) vy:seg(4) on_ground:1 hint hp:eg(4) pose:eg(4)
//! delta      = (x:seg(2) y:seg(2))? (vx:seg(2) vy:seg(2))? on_ground:1 hint
//! hint       = dir:2 (0 none, 1 right, 2 left) jump:1
//! padding    = zero bits to the byte
//! ```

use super::{Handle, Hint, Motion, MotionDelta, OwnUpdate, Snapshot, Spawn, Update};
use crate::bits::{BitError, BitReader, BitSink, BitWriter};
use crate::cell::EntityKind;
use crate::limits::{MAX_SNAPSHOT_BYTES, NAME_CHARS};
use glam::IVec2;
use mmo_world::{Body, CellId, EntityId, Tick, ZoneId};

/// An entity id is its zone above this bit and a number below it, each coded on its own.
const ID_ZONE_SHIFT: u32 = 40;

/// The first byte of a snapshot datagram.
pub const KIND_SNAPSHOT: u8 = 0;

/// A snapshot datagram that cannot be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum SnapshotError {
    #[error("datagram of {size} bytes exceeds the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
    #[error("unknown datagram kind")]
    UnknownKind,
    #[error("malformed snapshot: {0}")]
    Bits(#[from] BitError),
    #[error("malformed snapshot: {0} out of range")]
    OutOfRange(&'static str),
}

impl SnapshotError {
    /// The code a peer is told when a datagram fails to decode.
    pub fn code(&self) -> crate::ErrorCode {
        match self {
            SnapshotError::TooLarge { .. } => crate::ErrorCode::FrameTooLarge,
            SnapshotError::UnknownKind => crate::ErrorCode::UnknownMessage,
            SnapshotError::Bits(_) | SnapshotError::OutOfRange(_) => crate::ErrorCode::MalformedMessage,
        }
    }
}

/// The datagram of `snap`.
pub fn encode(snap: &Snapshot) -> Vec<u8> {
    let mut w = BitWriter::with_capacity(crate::limits::MAX_SNAPSHOT_BYTES);
    write_snapshot(&mut w, snap);
    w.finish()
}

/// The bytes [`encode`] would produce, without producing them.
pub fn encoded_len(snap: &Snapshot) -> usize {
    encoded_bits(snap).div_ceil(8)
}

/// The bits of [`encode`]'s datagram before its padding.
pub fn encoded_bits(snap: &Snapshot) -> usize {
    let mut c = crate::bits::BitCounter::default();
    write_snapshot(&mut c, snap);
    c.bits
}

/// Reads one snapshot datagram of at most [`MAX_SNAPSHOT_BYTES`].
pub fn decode(bytes: &[u8]) -> Result<Snapshot, SnapshotError> {
    if bytes.len() > MAX_SNAPSHOT_BYTES {
        return Err(SnapshotError::TooLarge { size: bytes.len(), limit: MAX_SNAPSHOT_BYTES });
    }
    let mut r = BitReader::new(bytes);
    if r.get(8)? != u64::from(KIND_SNAPSHOT) {
        return Err(SnapshotError::UnknownKind);
    }
    let snap = read_snapshot(&mut r)?;
    r.finish()?;
    Ok(snap)
}

fn write_snapshot(w: &mut impl BitSink, s: &Snapshot) {
    w.put(u64::from(KIND_SNAPSHOT), 8);
    w.var(s.tick.0);
    opt(w, s.baseline, |w, b| w.eg(s.tick.0.saturating_sub(b.0 + 1), 0));
    write_own(w, &s.you);
    write_handles(w, s.removed.iter().copied(), |_, _| {});
    write_handles(w, s.spawns.iter().map(|s| s.handle), |w, i| write_spawn(w, &s.spawns[i]));
    write_handles(w, s.updates.iter().map(|u| u.handle), |w, i| write_update(w, &s.updates[i]));
}

/// An update without its handle.
pub fn write_update(w: &mut impl BitSink, u: &Update) {
    opt(w, u.motion.as_ref(), write_delta);
    opt(w, u.hp, |w, v| w.eg(v.into(), 4));
    opt(w, u.pose, |w, v| w.eg(v.into(), 4));
}

fn read_snapshot(r: &mut BitReader) -> Result<Snapshot, SnapshotError> {
    let tick = r.var()?;
    let baseline = match r.bit()? {
        false => None,
        true => Some(Tick(tick.checked_sub(r.eg(0)? + 1).ok_or(SnapshotError::OutOfRange("baseline"))?)),
    };
    let you = read_own(r)?;
    let removed = read_list(r, |_, h| Ok(h))?;
    let spawns = read_list(r, read_spawn)?;
    let updates = read_list(r, |r, handle| {
        Ok(Update {
            handle,
            motion: read_opt(r, read_delta)?,
            hp: read_opt(r, |r| small(r.eg(4)?, "hp"))?,
            pose: read_opt(r, |r| small(r.eg(4)?, "pose"))?,
        })
    })?;
    Ok(Snapshot { tick: Tick(tick), baseline, you, removed, spawns, updates })
}

/// The player's own update.
pub fn write_own(w: &mut impl BitSink, u: &OwnUpdate) {
    opt(w, u.entity, |w, e| w.var(e.0));
    w.eg(u.input_advance.into(), 1);
    opt(w, u.motion.as_ref(), write_delta);
    opt(w, u.hp, |w, v| w.eg(v.into(), 4));
    opt(w, u.max_hp, |w, v| w.eg(v.into(), 4));
    opt(w, u.xp, |w, v| w.eg(v.into(), 6));
    opt(w, u.level, |w, v| w.eg(v.into(), 0));
    opt(w, u.pose, |w, v| w.eg(v.into(), 4));
    opt(w, u.cell, |w, c| {
        w.eg(c.x.into(), 4);
        w.eg(c.y.into(), 4);
        w.eg(c.depth.into(), 0);
    });
    opt(w, u.zone, |w, z| w.var(z.0.into()));
}

fn read_own(r: &mut BitReader) -> Result<OwnUpdate, SnapshotError> {
    Ok(OwnUpdate {
        entity: read_opt(r, |r| Ok(EntityId(r.var()?)))?,
        input_advance: small(r.eg(1)?, "input advance")?,
        motion: read_opt(r, read_delta)?,
        hp: read_opt(r, |r| small(r.eg(4)?, "hp"))?,
        max_hp: read_opt(r, |r| small(r.eg(4)?, "max hp"))?,
        xp: read_opt(r, |r| small(r.eg(6)?, "xp"))?,
        level: read_opt(r, |r| small(r.eg(0)?, "level"))?,
        pose: read_opt(r, |r| small(r.eg(4)?, "pose"))?,
        cell: read_opt(r, |r| {
            Ok(CellId { x: small(r.eg(4)?, "cell")?, y: small(r.eg(4)?, "cell")?, depth: small(r.eg(0)?, "cell")? })
        })?,
        zone: read_opt(r, |r| Ok(ZoneId(small(r.var()?, "zone")?)))?,
    })
}

/// A spawn without its handle.
pub fn write_spawn(w: &mut impl BitSink, s: &Spawn) {
    w.eg(s.id.0 >> ID_ZONE_SHIFT, 2);
    w.eg(s.id.0 & ((1 << ID_ZONE_SHIFT) - 1), 10);
    match &s.kind {
        EntityKind::Player { name } => {
            w.bit(true);
            w.eg(name.len() as u64, 3);
            for b in name.bytes() {
                w.put(b.into(), 8);
            }
        }
        EntityKind::Npc { species } => {
            w.bit(false);
            w.put((*species).into(), 8);
        }
    }
    w.eg(s.max_hp.into(), 4);
    let b = &s.motion.body;
    w.seg(b.pos.x.into(), 12);
    w.seg(b.pos.y.into(), 12);
    w.seg(b.vel.x.into(), 4);
    w.seg(b.vel.y.into(), 4);
    w.bit(b.on_ground);
    write_hint(w, s.motion.hint);
    w.eg(s.hp.into(), 4);
    w.eg(s.pose.into(), 4);
}

fn read_spawn(r: &mut BitReader, handle: Handle) -> Result<Spawn, SnapshotError> {
    let zone = r.eg(2)?;
    if zone >= 1 << (64 - ID_ZONE_SHIFT) {
        return Err(SnapshotError::OutOfRange("entity id"));
    }
    let n = r.eg(10)?;
    if n >= 1 << ID_ZONE_SHIFT {
        return Err(SnapshotError::OutOfRange("entity id"));
    }
    let id = EntityId(zone << ID_ZONE_SHIFT | n);
    let kind = if r.bit()? {
        let len = r.eg(3)? as usize;
        if len > NAME_CHARS.end() * 4 || len * 8 > r.remaining() {
            return Err(SnapshotError::OutOfRange("name length"));
        }
        let bytes = (0..len).map(|_| r.get(8).map(|b| b as u8)).collect::<Result<Vec<u8>, _>>()?;
        let name = String::from_utf8(bytes).map_err(|_| SnapshotError::OutOfRange("name"))?;
        EntityKind::Player { name: name.into() }
    } else {
        EntityKind::Npc { species: r.get(8)? as u8 }
    };
    let max_hp = small(r.eg(4)?, "max hp")?;
    let pos = IVec2::new(small(r.seg(12)?, "x")?, small(r.seg(12)?, "y")?);
    let vel = IVec2::new(small(r.seg(4)?, "vx")?, small(r.seg(4)?, "vy")?);
    let body = Body { pos, vel, on_ground: r.bit()? };
    let motion = Motion { body, hint: read_hint(r)? };
    Ok(Spawn { handle, id, kind, max_hp, motion, hp: small(r.eg(4)?, "hp")?, pose: small(r.eg(4)?, "pose")? })
}

fn write_delta<W: BitSink>(w: &mut W, d: &MotionDelta) {
    for v in [d.pos, d.vel] {
        opt(w, (v != IVec2::ZERO).then_some(v), |w, v| {
            w.seg(v.x.into(), 2);
            w.seg(v.y.into(), 2);
        });
    }
    w.bit(d.on_ground);
    write_hint(w, d.hint);
}

fn read_delta(r: &mut BitReader) -> Result<MotionDelta, SnapshotError> {
    let pair = |r: &mut BitReader, what| -> Result<IVec2, SnapshotError> {
        let v = read_opt(r, |r| Ok(IVec2::new(small(r.seg(2)?, what)?, small(r.seg(2)?, what)?)))?;
        Ok(v.unwrap_or_default())
    };
    let pos = pair(r, "position residual")?;
    let vel = pair(r, "velocity residual")?;
    Ok(MotionDelta { pos, vel, on_ground: r.bit()?, hint: read_hint(r)? })
}

fn write_hint(w: &mut impl BitSink, h: Hint) {
    w.put(
        match h.dir {
            0 => 0,
            d if d > 0 => 1,
            _ => 2,
        },
        2,
    );
    w.bit(h.jump);
}

fn read_hint(r: &mut BitReader) -> Result<Hint, SnapshotError> {
    let dir = match r.get(2)? {
        0 => 0,
        1 => 1,
        2 => -1,
        _ => return Err(SnapshotError::OutOfRange("direction")),
    };
    Ok(Hint { dir, jump: r.bit()? })
}

/// A list in ascending handle order: its length, then each handle (gap-coded) and its item.
fn write_handles<W: BitSink>(
    w: &mut W,
    handles: impl ExactSizeIterator<Item = Handle>,
    mut item: impl FnMut(&mut W, usize),
) {
    w.eg(handles.len() as u64, 0);
    let mut next = 0u64;
    for (i, h) in handles.enumerate() {
        let h = u64::from(h);
        debug_assert!(h >= next, "handles ascend");
        w.eg(h - next, 0);
        next = h + 1;
        item(w, i);
    }
}

fn read_list<T>(
    r: &mut BitReader,
    mut item: impl FnMut(&mut BitReader, Handle) -> Result<T, SnapshotError>,
) -> Result<Vec<T>, SnapshotError> {
    let len = r.eg(0)? as usize;
    // Every entry takes at least a bit: a longer list than bits left is a lie.
    if len > r.remaining() {
        return Err(SnapshotError::OutOfRange("list length"));
    }
    let mut out = Vec::with_capacity(len);
    let mut next = 0u64;
    for _ in 0..len {
        let h = next + r.eg(0)?;
        let handle = Handle::try_from(h).map_err(|_| SnapshotError::OutOfRange("handle"))?;
        next = h + 1;
        out.push(item(r, handle)?);
    }
    Ok(out)
}

fn opt<W: BitSink, T>(w: &mut W, v: Option<T>, write: impl FnOnce(&mut W, T)) {
    w.bit(v.is_some());
    if let Some(v) = v {
        write(w, v);
    }
}

fn read_opt<T>(
    r: &mut BitReader,
    read: impl FnOnce(&mut BitReader) -> Result<T, SnapshotError>,
) -> Result<Option<T>, SnapshotError> {
    if r.bit()? {
        read(r).map(Some)
    } else {
        Ok(None)
    }
}

/// `v` in the field's type, or an error naming the field.
fn small<T: TryFrom<V>, V>(v: V, what: &'static str) -> Result<T, SnapshotError> {
    T::try_from(v).map_err(|_| SnapshotError::OutOfRange(what))
}

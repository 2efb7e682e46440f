/**
 * The snapshot datagram's bit layout, mirroring `shared/protocol/src/snapshot/wire.rs` (most
 * significant bit first; `eg(k)` an exp-Golomb code of order k, `seg(k)` its signed form, `var`
 * a 6-bit length then that many bits, `?` a flag bit then the field if set; see `bits.ts`).
 * The decoder enforces the same limits and ranges as the Rust one; what it refuses is a
 * `DecodeError` like any other undecodable message.
 *
 * ```text
 * datagram = kind:8 (0 = snapshot) tick:var baseline? own removed spawns updates padding
 * baseline = (tick - baseline - 1):eg(0)
 * own      = entity?:var input_advance:eg(1) motion?:delta hp?:eg(4) max_hp?:eg(4) xp?:eg(6)
 *            level?:eg(0) pose?:eg(4) cell?:(x:eg(4) y:eg(4) depth:eg(0)) zone?:var
 * removed  = count:eg(0) handle*        spawns = count:eg(0) (handle spawn)*
 * updates  = count:eg(0) (handle motion?:delta hp?:eg(4) pose?:eg(4))*
 * handle   = eg(0): the first absolute, each next one its gap to the previous minus one
 * id_zone  = entity id >> 40; id_n = its low 40 bits
 * spawn    = id_zone:eg(2) id_n:eg(10) player:1 (name_len:eg(3) utf8:8*n | species:8) max_hp:eg(4)
 *            x:seg(12) y:seg(12) vx:seg(4) vy:seg(4) on_ground:1 hint hp:eg(4) pose:eg(4)
 * delta    = (x:seg(2) y:seg(2))? (vx:seg(2) vy:seg(2))? on_ground:1 hint
 * hint     = dir:2 (0 none, 1 right, 2 left) jump:1
 * padding  = zero bits to the byte
 * ```
 */

import { BitReader, BitWriter } from './bits';
import { DecodeError, EncodeError } from './codec';
import { MAX_SNAPSHOT_BYTES, NAME_MAX_CHARS } from './limits';
import type { Hint, Motion } from './motion';
import type { Body, Vec2 } from './physics';
import type { EntityKind, Handle, MotionDelta, OwnUpdate, ServerDatagram, Snapshot, Spawn, Update } from './protocol';

/** The first byte of a snapshot datagram. */
export const KIND_SNAPSHOT = 0;

const U8 = 0xff;
const U16 = 0xffff;
const U32 = 0xffff_ffff;
const I32_MIN = -0x8000_0000;
const I32_MAX = 0x7fff_ffff;
/** Longest player name in UTF-8 bytes (`NAME_CHARS.end() * 4`). */
const MAX_NAME_BYTES = NAME_MAX_CHARS * 4;

function outOfRange(what: string): DecodeError {
  return new DecodeError('Malformed', `malformed message: ${what} out of range`);
}

/** `v` if it is at most `max` (an unsigned field of a narrower type), else an error naming it. */
function small(v: number, max: number, what: string): number {
  if (v > max) {
    throw outOfRange(what);
  }
  return v;
}

function smallI32(v: number, what: string): number {
  if (v < I32_MIN || v > I32_MAX) {
    throw outOfRange(what);
  }
  return v;
}

/** Checks a value before writing it as an unsigned field of at most `max`. */
function uint(v: number, max: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new EncodeError(`${what} value ${v} out of range`);
  }
  return v;
}

function int32(v: number, what: string): number {
  if (!Number.isInteger(v) || v < I32_MIN || v > I32_MAX) {
    throw new EncodeError(`${what} value ${v} out of range`);
  }
  return v;
}

function readOpt<T>(r: BitReader, read: (r: BitReader) => T): T | null {
  return r.bit() ? read(r) : null;
}

function writeOpt<T>(w: BitWriter, v: T | null, write: (w: BitWriter, v: T) => void): void {
  w.bit(v !== null);
  if (v !== null) {
    write(w, v);
  }
}

/** The datagram of `msg`; refuses one over the snapshot size limit. */
export function encodeServerDatagram(msg: ServerDatagram): Uint8Array {
  const w = new BitWriter();
  writeSnapshot(w, msg);
  const bytes = w.finish();
  if (bytes.length > MAX_SNAPSHOT_BYTES) {
    throw new EncodeError(`message of ${bytes.length} bytes exceeds the limit of ${MAX_SNAPSHOT_BYTES}`);
  }
  return bytes;
}

/** Reads one snapshot datagram, enforcing the limits and ranges `wire::decode` does. */
export function decodeServerDatagram(bytes: Uint8Array): ServerDatagram {
  if (bytes.length > MAX_SNAPSHOT_BYTES) {
    throw new DecodeError('TooLarge', `message of ${bytes.length} bytes exceeds the limit of ${MAX_SNAPSHOT_BYTES}`);
  }
  const r = new BitReader(bytes);
  if (r.get(8) !== KIND_SNAPSHOT) {
    throw new DecodeError('UnknownKind', 'unknown message kind');
  }
  const snap = readSnapshot(r);
  r.finish();
  return { type: 'Snapshot', ...snap };
}

function writeSnapshot(w: BitWriter, s: Snapshot): void {
  w.put(KIND_SNAPSHOT, 8);
  w.var(uint(s.tick, Number.MAX_SAFE_INTEGER, 'tick'));
  writeOpt(w, s.baseline, (w, b) => w.eg(Math.max(0, s.tick - uint(b, Number.MAX_SAFE_INTEGER, 'baseline') - 1), 0));
  writeOwn(w, s.you);
  writeHandles(w, s.removed, () => {});
  writeHandles(w, s.spawns.map((sp) => sp.handle), (w, i) => writeSpawn(w, s.spawns[i]));
  writeHandles(w, s.updates.map((u) => u.handle), (w, i) => writeUpdate(w, s.updates[i]));
}

/** An update without its handle. */
function writeUpdate(w: BitWriter, u: Update): void {
  writeOpt(w, u.motion, writeDelta);
  writeOpt(w, u.hp, (w, v) => w.eg(uint(v, U16, 'hp'), 4));
  writeOpt(w, u.pose, (w, v) => w.eg(uint(v, U8, 'pose'), 4));
}

function readSnapshot(r: BitReader): Snapshot {
  const tick = r.var();
  const baseline = readOpt(r, (r) => {
    const b = tick - (r.eg(0) + 1);
    if (b < 0) {
      throw outOfRange('baseline');
    }
    return b;
  });
  const you = readOwn(r);
  const removed = readList(r, (_, h) => h);
  const spawns = readList(r, readSpawn);
  const updates = readList(r, readUpdate);
  return { tick, baseline, you, removed, spawns, updates };
}

function readUpdate(r: BitReader, handle: Handle): Update {
  return {
    handle,
    motion: readOpt(r, readDelta),
    hp: readOpt(r, (r) => small(r.eg(4), U16, 'hp')),
    pose: readOpt(r, (r) => small(r.eg(4), U8, 'pose')),
  };
}

function writeOwn(w: BitWriter, u: OwnUpdate): void {
  writeOpt(w, u.entity, (w, e) => w.var(e));
  w.eg(uint(u.inputAdvance, U32, 'input advance'), 1);
  writeOpt(w, u.motion, writeDelta);
  writeOpt(w, u.hp, (w, v) => w.eg(uint(v, U16, 'hp'), 4));
  writeOpt(w, u.maxHp, (w, v) => w.eg(uint(v, U16, 'max hp'), 4));
  writeOpt(w, u.xp, (w, v) => w.eg(uint(v, U32, 'xp'), 6));
  writeOpt(w, u.level, (w, v) => w.eg(uint(v, U16, 'level'), 0));
  writeOpt(w, u.pose, (w, v) => w.eg(uint(v, U8, 'pose'), 4));
  writeOpt(w, u.cell, (w, c) => w.eg(uint(c.x, U16, 'cell'), 4).eg(uint(c.y, U16, 'cell'), 4).eg(uint(c.depth, U8, 'cell'), 0));
  writeOpt(w, u.zone, (w, z) => w.var(uint(z, U32, 'zone')));
}

function readOwn(r: BitReader): OwnUpdate {
  return {
    entity: readOpt(r, (r) => r.var()),
    inputAdvance: small(r.eg(1), U32, 'input advance'),
    motion: readOpt(r, readDelta),
    hp: readOpt(r, (r) => small(r.eg(4), U16, 'hp')),
    maxHp: readOpt(r, (r) => small(r.eg(4), U16, 'max hp')),
    xp: readOpt(r, (r) => small(r.eg(6), U32, 'xp')),
    level: readOpt(r, (r) => small(r.eg(0), U16, 'level')),
    pose: readOpt(r, (r) => small(r.eg(4), U8, 'pose')),
    cell: readOpt(r, (r) => ({ x: small(r.eg(4), U16, 'cell'), y: small(r.eg(4), U16, 'cell'), depth: small(r.eg(0), U8, 'cell') })),
    zone: readOpt(r, (r) => small(r.var(), U32, 'zone')),
  };
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/** An entity id is its zone above bit 40 and a number below it, each coded on its own. */
const ID_ZONE_UNIT = 2 ** 40;
/** Zones below this keep ids below 2^53, where numbers are exact. */
const ID_ZONES = 2 ** 13;

function writeSpawn(w: BitWriter, s: Spawn): void {
  const id = uint(s.id, Number.MAX_SAFE_INTEGER, 'entity id');
  const zone = Math.floor(id / ID_ZONE_UNIT);
  w.eg(zone, 2).eg(id - zone * ID_ZONE_UNIT, 10);
  if (s.kind.type === 'Player') {
    const name = utf8Encoder.encode(s.kind.name);
    w.bit(true).eg(name.length, 3);
    name.forEach((b) => w.put(b, 8));
  } else {
    w.bit(false).put(uint(s.kind.species, U8, 'species'), 8);
  }
  w.eg(uint(s.maxHp, U16, 'max hp'), 4);
  const b = s.motion.body;
  w.seg(int32(b.pos.x, 'x'), 12).seg(int32(b.pos.y, 'y'), 12);
  w.seg(int32(b.vel.x, 'vx'), 4).seg(int32(b.vel.y, 'vy'), 4);
  w.bit(b.onGround);
  writeHint(w, s.motion.hint);
  w.eg(uint(s.hp, U16, 'hp'), 4).eg(uint(s.pose, U8, 'pose'), 4);
}

function readSpawn(r: BitReader, handle: Handle): Spawn {
  const zone = r.eg(2);
  const n = r.eg(10);
  if (zone >= ID_ZONES || n >= ID_ZONE_UNIT) {
    throw outOfRange('entity id');
  }
  const id = zone * ID_ZONE_UNIT + n;
  let kind: EntityKind;
  if (r.bit()) {
    const len = r.eg(3);
    if (len > MAX_NAME_BYTES || len * 8 > r.remaining) {
      throw outOfRange('name length');
    }
    const bytes = new Uint8Array(len);
    for (let i = 0; i < len; i++) {
      bytes[i] = r.get(8);
    }
    let name: string;
    try {
      name = utf8Decoder.decode(bytes);
    } catch {
      throw outOfRange('name');
    }
    kind = { type: 'Player', name };
  } else {
    kind = { type: 'Npc', species: r.get(8) };
  }
  const maxHp = small(r.eg(4), U16, 'max hp');
  const pos = { x: smallI32(r.seg(12), 'x'), y: smallI32(r.seg(12), 'y') };
  const vel = { x: smallI32(r.seg(4), 'vx'), y: smallI32(r.seg(4), 'vy') };
  const body: Body = { pos, vel, onGround: r.bit() };
  const motion: Motion = { body, hint: readHint(r) };
  return { handle, id, kind, maxHp, motion, hp: small(r.eg(4), U16, 'hp'), pose: small(r.eg(4), U8, 'pose') };
}

function writeDelta(w: BitWriter, d: MotionDelta): void {
  for (const [v, what] of [
    [d.pos, 'position residual'],
    [d.vel, 'velocity residual'],
  ] as const) {
    writeOpt(w, v.x !== 0 || v.y !== 0 ? v : null, (w, v) => w.seg(int32(v.x, what), 2).seg(int32(v.y, what), 2));
  }
  w.bit(d.onGround);
  writeHint(w, d.hint);
}

function readDelta(r: BitReader): MotionDelta {
  const pair = (what: string): Vec2 =>
    readOpt(r, (r) => ({ x: smallI32(r.seg(2), what), y: smallI32(r.seg(2), what) })) ?? { x: 0, y: 0 };
  const pos = pair('position residual');
  const vel = pair('velocity residual');
  return { pos, vel, onGround: r.bit(), hint: readHint(r) };
}

function writeHint(w: BitWriter, h: Hint): void {
  w.put(h.dir === 0 ? 0 : h.dir > 0 ? 1 : 2, 2).bit(h.jump);
}

function readHint(r: BitReader): Hint {
  const code = r.get(2);
  if (code === 3) {
    throw outOfRange('direction');
  }
  return { dir: code === 2 ? -1 : code, jump: r.bit() };
}

/** A list in ascending handle order: its length, then each handle (gap-coded) and its item. */
function writeHandles(w: BitWriter, handles: readonly Handle[], item: (w: BitWriter, i: number) => void): void {
  w.eg(handles.length, 0);
  let next = 0;
  handles.forEach((h, i) => {
    uint(h, U16, 'handle');
    if (h < next) {
      throw new EncodeError(`handle ${h} out of order (handles ascend)`);
    }
    w.eg(h - next, 0);
    next = h + 1;
    item(w, i);
  });
}

function readList<T>(r: BitReader, item: (r: BitReader, handle: Handle) => T): T[] {
  const len = r.eg(0);
  // Every entry takes at least a bit: a longer list than bits left is a lie.
  if (len > r.remaining) {
    throw outOfRange('list length');
  }
  const out: T[] = [];
  let next = 0;
  for (let i = 0; i < len; i++) {
    const h = next + r.eg(0);
    if (h > U16) {
      throw outOfRange('handle');
    }
    next = h + 1;
    out.push(item(r, h));
  }
  return out;
}

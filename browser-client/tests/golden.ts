/**
 * Access to the golden vectors in `shared/protocol/golden/` (read from the repository, never
 * copied) and conversion of this client's message shapes to the serde JSON form they use.
 */

import { readFileSync } from 'node:fs';
import type { CellId } from '../src/geometry';
import type { Hint, Motion } from '../src/motion';
import type { Body, Vec2 } from '../src/physics';
import type {
  ClientControl,
  ClientDatagram,
  EntityKind,
  MotionDelta,
  OwnState,
  OwnUpdate,
  ServerControl,
  ServerDatagram,
  Snapshot,
} from '../src/protocol';
import type { Known, View } from '../src/snapshots';

const GOLDEN_DIR = new URL('../../shared/protocol/golden/', import.meta.url);

export function readGolden<T>(file: string): T {
  return JSON.parse(readFileSync(new URL(file, GOLDEN_DIR), 'utf8')) as T;
}

export type MessageType = 'ClientControl' | 'ServerControl' | 'ClientDatagram' | 'ServerDatagram';

export interface GoldenMessage {
  type: MessageType;
  name: string;
  value: unknown;
  hex: string;
}

export interface GoldenMessages {
  protocol_version: number;
  messages: GoldenMessage[];
}

export interface SerdeBody {
  pos: [number, number];
  vel: [number, number];
  on_ground: boolean;
}

export interface GoldenScenario {
  name: string;
  map: string[];
  start: SerdeBody;
  inputs: number[];
  bodies: SerdeBody[];
}

export interface GoldenPhysics {
  constants: Record<string, number>;
  scenarios: GoldenScenario[];
}

/** One step of `snapshots.json`: a snapshot's bytes, its baseline and the view it rebuilds. */
export interface GoldenSnapshotStep {
  hex: string;
  baseline: number | null;
  view: unknown;
}

export interface GoldenSnapshots {
  protocol_version: number;
  steps: GoldenSnapshotStep[];
}

// ---- this client's shapes -> serde JSON ------------------------------------------------------

export function bodyToSerde(b: Body): SerdeBody {
  return { pos: [b.pos.x, b.pos.y], vel: [b.vel.x, b.vel.y], on_ground: b.onGround };
}

export function bodyFromSerde(b: SerdeBody): Body {
  return { pos: { x: b.pos[0], y: b.pos[1] }, vel: { x: b.vel[0], y: b.vel[1] }, onGround: b.on_ground };
}

const cellToSerde = (c: CellId) => ({ x: c.x, y: c.y, depth: c.depth });

function kindToSerde(k: EntityKind): unknown {
  return k.type === 'Player' ? { Player: { name: k.name } } : { Npc: { species: k.species } };
}

const vecToSerde = (v: Vec2) => [v.x, v.y];
const hintToSerde = (h: Hint) => ({ dir: h.dir, jump: h.jump });
const motionToSerde = (m: Motion) => ({ body: bodyToSerde(m.body), hint: hintToSerde(m.hint) });

function ownToSerde(s: OwnState): unknown {
  return {
    entity: s.entity,
    last_input_seq: s.lastInputSeq,
    body: bodyToSerde(s.body),
    hp: s.hp,
    max_hp: s.maxHp,
    xp: s.xp,
    level: s.level,
    pose: s.pose,
    cell: cellToSerde(s.cell),
    zone: s.zone,
  };
}

function deltaToSerde(d: MotionDelta | null): unknown {
  return d === null ? null : { pos: vecToSerde(d.pos), vel: vecToSerde(d.vel), on_ground: d.onGround, hint: hintToSerde(d.hint) };
}

function ownUpdateToSerde(u: OwnUpdate): unknown {
  return {
    entity: u.entity,
    input_advance: u.inputAdvance,
    motion: deltaToSerde(u.motion),
    hp: u.hp,
    max_hp: u.maxHp,
    xp: u.xp,
    level: u.level,
    pose: u.pose,
    cell: u.cell === null ? null : cellToSerde(u.cell),
    zone: u.zone,
  };
}

/** A `Snapshot` in serde JSON form (the value of the golden `ServerDatagram` samples). */
export function snapshotToSerde(s: Snapshot): unknown {
  return {
    tick: s.tick,
    baseline: s.baseline,
    you: ownUpdateToSerde(s.you),
    removed: s.removed,
    spawns: s.spawns.map((sp) => ({
      handle: sp.handle,
      id: sp.id,
      kind: kindToSerde(sp.kind),
      max_hp: sp.maxHp,
      motion: motionToSerde(sp.motion),
      hp: sp.hp,
      pose: sp.pose,
    })),
    updates: s.updates.map((u) => ({ handle: u.handle, motion: deltaToSerde(u.motion), hp: u.hp, pose: u.pose })),
  };
}

function knownToSerde(k: Known): unknown {
  return { id: k.id, kind: kindToSerde(k.kind), max_hp: k.maxHp, motion: motionToSerde(k.motion), hp: k.hp, pose: k.pose };
}

/** A `View` in serde JSON form: entities keyed by handle (as a string, like serde's map keys). */
export function viewToSerde(v: View): unknown {
  return {
    tick: v.tick,
    you: ownToSerde(v.you),
    you_hint: hintToSerde(v.youHint),
    entities: Object.fromEntries([...v.entities].map(([h, k]) => [String(h), knownToSerde(k)])),
  };
}

export function toSerde(msg: ClientControl | ServerControl | ClientDatagram | ServerDatagram): unknown {
  switch (msg.type) {
    case 'Hello':
      return { Hello: { version: msg.version } };
    case 'Login':
      return { Login: { name: msg.name, password: msg.password } };
    case 'Resume':
      return { Resume: { token: msg.token } };
    case 'Chat':
      return 'from' in msg ? { Chat: { from: msg.from, text: msg.text } } : { Chat: { text: msg.text } };
    case 'Welcome': {
      const { geometry: g, clock } = msg.world;
      return {
        Welcome: {
          version: msg.version,
          session: msg.session,
          world: {
            geometry: { width_cells: g.widthCells, height_cells: g.heightCells, cell_tiles: g.cellTiles },
            clock: { epoch_ms: clock.epochMs, tick_ms: clock.tickMs },
          },
        },
      };
    }
    case 'Joined':
      return { Joined: { entity: msg.entity, name: msg.name, zone: msg.zone, tick: msg.tick, token: msg.token } };
    case 'Terrain':
      return { Terrain: { cell: cellToSerde(msg.cell), rle: Array.from(msg.rle) } };
    case 'Error':
      return { Error: { code: msg.code } };
    case 'Inventory':
      return { Inventory: { items: msg.items.map((i) => ({ serial: i.serial, kind: i.kind })) } };
    case 'Ground':
      return {
        Ground: { items: msg.items.map((i) => ({ serial: i.serial, kind: i.kind, pos: [i.pos.x, i.pos.y] })) },
      };
    case 'Reconnect':
      return 'Reconnect';
    case 'Stalled':
      return 'Stalled';
    case 'Party':
      return {
        Party: {
          leader: msg.leader,
          members: msg.members.map((m) => ({ name: m.name, hp: m.hp, max_hp: m.maxHp, level: m.level, online: m.online })),
        },
      };
    case 'PartyChat':
      return { PartyChat: { from: msg.from, text: msg.text } };
    case 'PartyNotice': {
      const { kind, ...fields } = msg.notice;
      return { PartyNotice: { notice: Object.keys(fields).length === 0 ? kind : { [kind]: fields } } };
    }
    case 'Input':
      return { Input: { seq: msg.seq, ack: msg.ack, buttons: msg.buttons } };
    case 'Snapshot':
      return snapshotToSerde(msg);
  }
}

/**
 * Access to the golden vectors in `shared/protocol/golden/` (read from the repository, never
 * copied) and conversion of this client's message shapes to the serde JSON form they use.
 */

import { readFileSync } from 'node:fs';
import type { Body } from '../src/physics';
import type {
  ClientControl,
  ClientDatagram,
  EntityDelta,
  EntityKind,
  OwnState,
  ServerControl,
  ServerDatagram,
} from '../src/protocol';
import type { CellId } from '../src/geometry';

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

function deltaToSerde(d: EntityDelta): unknown {
  return {
    id: d.id,
    spawn: d.spawn === null ? null : { kind: kindToSerde(d.spawn.kind), max_hp: d.spawn.maxHp },
    pos: d.pos === null ? null : [d.pos.x, d.pos.y],
    hp: d.hp,
    pose: d.pose,
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
    case 'Input':
      return { Input: { seq: msg.seq, ack: msg.ack, buttons: msg.buttons } };
    case 'Snapshot':
      return {
        Snapshot: {
          tick: msg.tick,
          baseline: msg.baseline,
          you: ownToSerde(msg.you),
          entities: msg.entities.map(deltaToSerde),
          removed: msg.removed,
        },
      };
  }
}

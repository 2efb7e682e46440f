/**
 * The TypeScript mirror of `shared/protocol` (control.rs, datagram.rs, cell.rs, error.rs,
 * snapshot/mod.rs and snapshot/wire.rs): message types per channel and direction, and their
 * encoders/decoders. Field order in every encoder/decoder is the Rust declaration order (the
 * snapshot's bit layout is the one documented in wire.rs); the golden vectors pin both.
 *
 * Bump PROTOCOL_VERSION together with the Rust crate and the golden vectors.
 */

import { DecodeError, EncodeError, Reader, Writer } from './codec';
import type { CellId, WorldGeometry } from './geometry';
import { MAX_CLIENT_CONTROL, MAX_CLIENT_DATAGRAM, MAX_SERVER_CONTROL } from './limits';
import type { Hint, Motion } from './motion';
import type { Body, Vec2 } from './physics';

export const PROTOCOL_VERSION = 7;

/** Error codes, in declaration order: the wire value is the index + 1. */
export const ERROR_CODES = [
  'VersionMismatch',
  'MalformedMessage',
  'UnknownMessage',
  'FrameTooLarge',
  'UnexpectedMessage',
  'InputFlood',
  'ChatFlood',
  'NameTaken',
  'NameInvalid',
  'ChatInvalid',
  'ServerFull',
  'ZoneUnavailable',
  'ShuttingDown',
  'Internal',
  'WrongPassword',
  'PasswordInvalid',
  'TokenInvalid',
  'TokenExpired',
  'CharacterCorrupt',
  'StoreUnavailable',
  'Draining',
  'Timeout',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The numeric value of a code (`ErrorCode as u16`). */
export function errorCodeValue(code: ErrorCode): number {
  return ERROR_CODES.indexOf(code) + 1;
}

/** The code behind a close code `4000 + value` on either transport, if it is one. */
export function errorCodeFromClose(closeCode: number | null | undefined): ErrorCode | null {
  if (closeCode === null || closeCode === undefined) {
    return null;
  }
  return ERROR_CODES[closeCode - 4001] ?? null;
}

/** Whether the session is closed after this error (`ErrorCode::is_fatal`). */
export function isFatal(code: ErrorCode): boolean {
  return !RETRYABLE.has(code);
}

const RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'ChatFlood',
  'ChatInvalid',
  'NameTaken',
  'NameInvalid',
  'WrongPassword',
  'PasswordInvalid',
  'TokenInvalid',
  'TokenExpired',
  'CharacterCorrupt',
  'StoreUnavailable',
]);

/** Whether a login error means the saved session token is no use any more. */
export function isTokenError(code: ErrorCode): boolean {
  return code === 'TokenInvalid' || code === 'TokenExpired';
}

/** Pose bits: how an entity is drawn. */
export const Pose = {
  FACING_LEFT: 1,
  ATTACKING: 2,
  HURT: 4,
  DEAD: 8,
  ON_GROUND: 16,
} as const;

export interface TickClock {
  /** Unix milliseconds of tick 0. */
  epochMs: number;
  /** Length of one tick in milliseconds. */
  tickMs: number;
}

export interface WorldInfo {
  geometry: WorldGeometry;
  clock: TickClock;
}

export type EntityKind = { type: 'Player'; name: string } | { type: 'Npc'; species: number };

export type ClientControl =
  | { type: 'Hello'; version: number }
  | { type: 'Login'; name: string; password: string | null }
  | { type: 'Chat'; text: string }
  | { type: 'Resume'; token: string };

export type ServerControl =
  | { type: 'Welcome'; version: number; session: number; world: WorldInfo }
  | { type: 'Joined'; entity: number; name: string; zone: number; tick: number; token: string }
  | { type: 'Terrain'; cell: CellId; rle: Uint8Array }
  | { type: 'Chat'; from: string; text: string }
  | { type: 'Error'; code: ErrorCode }
  | { type: 'Inventory'; items: InventoryItem[] }
  | { type: 'Ground'; items: GroundItem[] }
  /** The gateway is draining: connect again through the page's address and resume. */
  | { type: 'Reconnect' }
  /**
   * No snapshot for half a second and the gateway is still here (the player's zone died and
   * its cells are being taken over): repeated every half second until snapshots resume.
   */
  | { type: 'Stalled' }
  /** The player's party as it is now, wherever its members play; no members: in no party. */
  | { type: 'Party'; leader: string; members: PartyMember[] }
  /** A line of party chat (`/p TEXT`). */
  | { type: 'PartyChat'; from: string; text: string }
  /** What became of a party command, or news of the party. */
  | { type: 'PartyNotice'; notice: PartyNotice };

/** A party member as the HUD shows it: HP and level as its gateway last reported them. */
export interface PartyMember {
  name: string;
  hp: number;
  maxHp: number;
  level: number;
  online: boolean;
}

/** Party news and the answers to `/invite`, `/accept`, `/leave` (`PartyNotice` in control.rs). */
export type PartyNotice =
  | { kind: 'Invited'; from: string }
  | { kind: 'InviteSent'; to: string }
  | { kind: 'Joined'; name: string }
  | { kind: 'Left'; name: string }
  | { kind: 'NotOnline'; name: string }
  | { kind: 'AlreadyInParty'; name: string }
  | { kind: 'PartyFull' }
  | { kind: 'NoInvite' }
  | { kind: 'NotInParty' }
  | { kind: 'Unavailable' };

/** The notices' kinds in declaration order (their variant index on the wire). */
const PARTY_NOTICE_KINDS = [
  'Invited',
  'InviteSent',
  'Joined',
  'Left',
  'NotOnline',
  'AlreadyInParty',
  'PartyFull',
  'NoInvite',
  'NotInParty',
  'Unavailable',
] as const;

/** One item a player carries: its unique serial and its kind. */
export interface InventoryItem {
  serial: number;
  kind: number;
}

/** An item lying on the ground (fixed-point position), picked up by walking over it. */
export interface GroundItem {
  serial: number;
  kind: number;
  pos: Vec2;
}

export interface InputFrame {
  /** Sequence number of the newest input in `buttons`. */
  seq: number;
  /** The newest snapshot tick the client has received. */
  ack: number | null;
  /** Button bit sets, oldest first; the last is input `seq`. */
  buttons: number[];
}

export type ClientDatagram = { type: 'Input' } & InputFrame;

/** The player's own avatar, exact (`OwnState`), as rebuilt from snapshots. */
export interface OwnState {
  entity: number;
  /** The newest input the zone has applied. */
  lastInputSeq: number;
  body: Body;
  hp: number;
  maxHp: number;
  xp: number;
  level: number;
  pose: number;
  cell: CellId;
  /** The zone simulating the player. */
  zone: number;
}

/** A per-client entity handle (u16), assigned by the gateway when an entity comes into view. */
export type Handle = number;

/** Where a body is against where it was extrapolated to, and the hint to go on with. */
export interface MotionDelta {
  pos: Vec2;
  vel: Vec2;
  onGround: boolean;
  hint: Hint;
}

/** The player's own state against the baseline's; null means unchanged. */
export interface OwnUpdate {
  entity: number | null;
  /** How far `lastInputSeq` moved (wrapping u32). */
  inputAdvance: number;
  motion: MotionDelta | null;
  hp: number | null;
  maxHp: number | null;
  xp: number | null;
  level: number | null;
  pose: number | null;
  cell: CellId | null;
  zone: number | null;
}

/** An entity coming into view, with its global id. */
export interface Spawn {
  handle: Handle;
  id: number;
  kind: EntityKind;
  maxHp: number;
  motion: Motion;
  hp: number;
  pose: number;
}

/** What changed about an entity the baseline holds; null means as extrapolated. */
export interface Update {
  handle: Handle;
  motion: MotionDelta | null;
  hp: number | null;
  pose: number | null;
}

/** One snapshot as it travels (lists in ascending handle order). */
export interface Snapshot {
  tick: number;
  /** The tick of the view this one is a delta against; null for a full snapshot. */
  baseline: number | null;
  you: OwnUpdate;
  /** Handles of entities no longer in view. */
  removed: Handle[];
  /** Entities new to the client (a handle may be removed and spawned again in one snapshot). */
  spawns: Spawn[];
  /** Changes to entities the baseline holds. */
  updates: Update[];
}

export type ServerDatagram = { type: 'Snapshot' } & Snapshot;

// The snapshot datagram has its own bit-packed layout, in `snapshot-wire.ts`.
export { decodeServerDatagram, encodeServerDatagram } from './snapshot-wire';

// ---- shared pieces -------------------------------------------------------------------------

const readVec2 = (r: Reader): Vec2 => ({ x: r.i32(), y: r.i32() });
const writeVec2 = (w: Writer, v: Vec2): void => void w.i32(v.x).i32(v.y);

const readCell = (r: Reader): CellId => ({ x: r.u16(), y: r.u16(), depth: r.u8() });
const writeCell = (w: Writer, c: CellId): void => void w.u16(c.x).u16(c.y).u8(c.depth);

/** Checks size and kind byte before decoding, like `mmo_protocol::codec::decode`. */
function decodeWith<T>(bytes: Uint8Array, limit: number, kinds: number, read: (r: Reader) => T): T {
  if (bytes.length > limit) {
    throw new DecodeError('TooLarge', `message of ${bytes.length} bytes exceeds the limit of ${limit}`);
  }
  if (bytes.length === 0) {
    throw new DecodeError('Malformed', 'malformed message: empty message');
  }
  if (bytes[0] >= kinds) {
    throw new DecodeError('UnknownKind', 'unknown message kind');
  }
  const r = new Reader(bytes);
  const msg = read(r);
  r.finish();
  return msg;
}

function encodeWith(limit: number, write: (w: Writer) => void): Uint8Array {
  const w = new Writer();
  write(w);
  const bytes = w.finish();
  if (bytes.length > limit) {
    throw new EncodeError(`message of ${bytes.length} bytes exceeds the limit of ${limit}`);
  }
  return bytes;
}

// ---- control stream -------------------------------------------------------------------------

export function encodeClientControl(msg: ClientControl): Uint8Array {
  return encodeWith(MAX_CLIENT_CONTROL, (w) => {
    switch (msg.type) {
      case 'Hello':
        w.variant(0).u16(msg.version);
        break;
      case 'Login':
        w.variant(1).str(msg.name).option(msg.password, (w, p) => w.str(p));
        break;
      case 'Chat':
        w.variant(2).str(msg.text);
        break;
      case 'Resume':
        w.variant(3).str(msg.token);
        break;
    }
  });
}

export function decodeClientControl(bytes: Uint8Array): ClientControl {
  return decodeWith(bytes, MAX_CLIENT_CONTROL, 4, (r): ClientControl => {
    switch (r.variant(4, 'ClientControl')) {
      case 0:
        return { type: 'Hello', version: r.u16() };
      case 1:
        return { type: 'Login', name: r.str(), password: r.option((r) => r.str()) };
      case 2:
        return { type: 'Chat', text: r.str() };
      default:
        return { type: 'Resume', token: r.str() };
    }
  });
}

export function encodeServerControl(msg: ServerControl): Uint8Array {
  return encodeWith(MAX_SERVER_CONTROL, (w) => {
    switch (msg.type) {
      case 'Welcome': {
        const { geometry: g, clock } = msg.world;
        w.variant(0).u16(msg.version).u64(msg.session);
        w.u16(g.widthCells).u16(g.heightCells).u16(g.cellTiles);
        w.u64(clock.epochMs).u32(clock.tickMs);
        break;
      }
      case 'Joined':
        w.variant(1).u64(msg.entity).str(msg.name).u32(msg.zone).u64(msg.tick).str(msg.token);
        break;
      case 'Terrain':
        w.variant(2);
        writeCell(w, msg.cell);
        w.bytesVec(msg.rle);
        break;
      case 'Chat':
        w.variant(3).str(msg.from).str(msg.text);
        break;
      case 'Error':
        w.variant(4).variant(errorCodeValue(msg.code) - 1);
        break;
      case 'Inventory':
        w.variant(5).vec(msg.items, (w, item) => w.u64(item.serial).u16(item.kind));
        break;
      case 'Ground':
        w.variant(6).vec(msg.items, (w, item) => {
          w.u64(item.serial).u16(item.kind);
          writeVec2(w, item.pos);
        });
        break;
      case 'Reconnect':
        w.variant(7);
        break;
      case 'Stalled':
        w.variant(8);
        break;
      case 'Party':
        w.variant(9).str(msg.leader);
        w.vec(msg.members, (w, m) => w.str(m.name).u16(m.hp).u16(m.maxHp).u32(m.level).bool(m.online));
        break;
      case 'PartyChat':
        w.variant(10).str(msg.from).str(msg.text);
        break;
      case 'PartyNotice':
        w.variant(11);
        writePartyNotice(w, msg.notice);
        break;
    }
  });
}

function writePartyNotice(w: Writer, n: PartyNotice): void {
  w.variant(PARTY_NOTICE_KINDS.indexOf(n.kind));
  switch (n.kind) {
    case 'Invited':
      w.str(n.from);
      break;
    case 'InviteSent':
      w.str(n.to);
      break;
    case 'Joined':
    case 'Left':
    case 'NotOnline':
    case 'AlreadyInParty':
      w.str(n.name);
      break;
    default:
      break;
  }
}

function readPartyNotice(r: Reader): PartyNotice {
  const kind = PARTY_NOTICE_KINDS[r.variant(PARTY_NOTICE_KINDS.length, 'PartyNotice')];
  switch (kind) {
    case 'Invited':
      return { kind, from: r.str() };
    case 'InviteSent':
      return { kind, to: r.str() };
    case 'Joined':
    case 'Left':
    case 'NotOnline':
    case 'AlreadyInParty':
      return { kind, name: r.str() };
    default:
      return { kind };
  }
}

export function decodeServerControl(bytes: Uint8Array): ServerControl {
  return decodeWith(bytes, MAX_SERVER_CONTROL, 12, (r): ServerControl => {
    switch (r.variant(12, 'ServerControl')) {
      case 0: {
        const version = r.u16();
        const session = r.u64();
        const geometry: WorldGeometry = { widthCells: r.u16(), heightCells: r.u16(), cellTiles: r.u16() };
        const clock: TickClock = { epochMs: r.u64(), tickMs: r.u32() };
        return { type: 'Welcome', version, session, world: { geometry, clock } };
      }
      case 1:
        return { type: 'Joined', entity: r.u64(), name: r.str(), zone: r.u32(), tick: r.u64(), token: r.str() };
      case 2:
        return { type: 'Terrain', cell: readCell(r), rle: r.bytesVec() };
      case 3:
        return { type: 'Chat', from: r.str(), text: r.str() };
      case 4:
        return { type: 'Error', code: ERROR_CODES[r.variant(ERROR_CODES.length, 'ErrorCode')] };
      case 5:
        return { type: 'Inventory', items: r.vec((r): InventoryItem => ({ serial: r.u64(), kind: r.u16() })) };
      case 6:
        return {
          type: 'Ground',
          items: r.vec((r): GroundItem => ({ serial: r.u64(), kind: r.u16(), pos: readVec2(r) })),
        };
      case 7:
        return { type: 'Reconnect' };
      case 8:
        return { type: 'Stalled' };
      case 9:
        return {
          type: 'Party',
          leader: r.str(),
          members: r.vec((r): PartyMember => ({ name: r.str(), hp: r.u16(), maxHp: r.u16(), level: r.u32(), online: r.bool() })),
        };
      case 10:
        return { type: 'PartyChat', from: r.str(), text: r.str() };
      default:
        return { type: 'PartyNotice', notice: readPartyNotice(r) };
    }
  });
}

// ---- datagrams -------------------------------------------------------------------------------

export function encodeClientDatagram(msg: ClientDatagram): Uint8Array {
  return encodeWith(MAX_CLIENT_DATAGRAM, (w) => {
    w.variant(0).u32(msg.seq).option(msg.ack, (w, t) => w.u64(t));
    w.bytesVec(msg.buttons);
  });
}

export function decodeClientDatagram(bytes: Uint8Array): ClientDatagram {
  return decodeWith(bytes, MAX_CLIENT_DATAGRAM, 1, (r): ClientDatagram => {
    r.variant(1, 'ClientDatagram');
    const seq = r.u32();
    const ack = r.option((r) => r.u64());
    return { type: 'Input', seq, ack, buttons: Array.from(r.bytesVec()) };
  });
}

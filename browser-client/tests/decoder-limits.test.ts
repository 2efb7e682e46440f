import { describe, expect, it } from 'vitest';
import { BitWriter } from '../src/bits';
import { DecodeError, EncodeError, fromHex } from '../src/codec';
import { FrameReader, frame } from '../src/framing';
import { MAX_CLIENT_CONTROL, MAX_CLIENT_DATAGRAM, MAX_SERVER_CONTROL, MAX_SNAPSHOT_BYTES } from '../src/limits';
import {
  decodeClientControl,
  decodeClientDatagram,
  decodeServerControl,
  decodeServerDatagram,
  encodeClientControl,
  encodeClientDatagram,
  encodeServerControl,
  encodeServerDatagram,
} from '../src/protocol';
import { body, deltaSnapshot, fullSnapshot, spawnPlayer, update } from './fixtures';
import { readGolden, type GoldenMessages } from './golden';

const golden = readGolden<GoldenMessages>('messages.json');
const snapshotHex = golden.messages.find((m) => m.type === 'ServerDatagram' && m.hex.length > 100)!.hex;

/** A snapshot datagram written field by field: kind 0, tick 5, then `rest`. */
function raw(rest: (w: BitWriter) => void): { bytes: Uint8Array; bits: number } {
  const w = new BitWriter().put(0, 8).var(5);
  rest(w);
  return { bits: w.bits, bytes: w.finish() };
}

/** No baseline, and an own update that changes nothing. */
function noChange(w: BitWriter): BitWriter {
  w.bit(false).bit(false).eg(0, 1);
  for (let i = 0; i < 8; i++) {
    w.bit(false); // motion, hp, max hp, xp, level, pose, cell, zone
  }
  return w;
}

type Item = (w: BitWriter) => void;

/**
 * `noChange`, then the three lists: removed handles as their gap codes, spawns and updates
 * (items written after the handles 0, 1, 2, …).
 */
function lists(w: BitWriter, removedGaps: number[] = [], spawns: Item[] = [], updates: Item[] = []): void {
  noChange(w).eg(removedGaps.length, 0);
  removedGaps.forEach((g) => w.eg(g, 0));
  for (const items of [spawns, updates]) {
    w.eg(items.length, 0);
    for (const item of items) {
      w.eg(0, 0);
      item(w);
    }
  }
}

/** An NPC spawn (after its handle) with direction code `dir` and x position `x`. */
function npcSpawn(w: BitWriter, dir: number, x = 0): void {
  w.eg(0, 2).eg(9, 10).bit(false).put(0, 8).eg(40, 4);
  w.seg(x, 12).seg(0, 12).seg(0, 4).seg(0, 4).bit(true);
  w.put(dir, 2).bit(false).eg(40, 4).eg(16, 4);
}

function failure(decode: () => unknown): DecodeError {
  try {
    decode();
  } catch (e) {
    expect(e).toBeInstanceOf(DecodeError);
    return e as DecodeError;
  }
  throw new Error('decoding did not fail');
}

describe('decoder limits (shared/protocol/src/limits.rs)', () => {
  it('refuses oversized messages before looking inside', () => {
    expect(failure(() => decodeServerDatagram(new Uint8Array(MAX_SNAPSHOT_BYTES + 1))).kind).toBe('TooLarge');
    expect(failure(() => decodeServerControl(new Uint8Array(MAX_SERVER_CONTROL + 1))).kind).toBe('TooLarge');
    expect(failure(() => decodeClientControl(new Uint8Array(MAX_CLIENT_CONTROL + 1))).kind).toBe('TooLarge');
    expect(failure(() => decodeClientDatagram(new Uint8Array(MAX_CLIENT_DATAGRAM + 1))).kind).toBe('TooLarge');
  });

  it('accepts a terrain message up to the server control limit', () => {
    const rle = new Uint8Array(MAX_SERVER_CONTROL - 10);
    const bytes = encodeServerControl({ type: 'Terrain', cell: { x: 1, y: 2, depth: 0 }, rle });
    expect(bytes.length).toBeLessThanOrEqual(MAX_SERVER_CONTROL);
    const msg = decodeServerControl(bytes);
    expect(msg.type === 'Terrain' && msg.rle.length).toBe(rle.length);
  });

  it('refuses to encode what the server would refuse', () => {
    expect(() => encodeClientControl({ type: 'Chat', text: 'x'.repeat(MAX_CLIENT_CONTROL) })).toThrow(EncodeError);
    expect(() =>
      encodeClientDatagram({ type: 'Input', seq: 1, ack: null, buttons: new Array<number>(MAX_CLIENT_DATAGRAM).fill(0) }),
    ).toThrow(EncodeError);
  });

  it('rejects unknown message kinds by their first byte', () => {
    expect(failure(() => decodeServerControl(fromHex('0c'))).kind).toBe('UnknownKind');
    expect(failure(() => decodeServerDatagram(fromHex('01'))).kind).toBe('UnknownKind');
    expect(failure(() => decodeClientControl(fromHex('04'))).kind).toBe('UnknownKind');
  });

  it('rejects empty, truncated and over-long messages', () => {
    expect(failure(() => decodeServerControl(new Uint8Array(0))).kind).toBe('Malformed');
    expect(failure(() => decodeServerDatagram(new Uint8Array(0))).kind).toBe('Malformed');
    for (let cut = 1; cut < snapshotHex.length / 2; cut++) {
      const e = failure(() => decodeServerDatagram(fromHex(snapshotHex.slice(0, 2 * cut))));
      expect(e.kind).toBe('Malformed');
    }
    // A whole byte of padding, or padding that is not zero.
    expect(failure(() => decodeServerDatagram(fromHex(snapshotHex + '00'))).message).toMatch(/padding/);
    const { bytes, bits } = raw((w) => lists(w, [0]));
    expect(bits % 8, 'the sample ends with padding bits').not.toBe(0);
    expect(decodeServerDatagram(bytes).removed).toEqual([0]);
    bytes[bytes.length - 1] |= 1;
    expect(failure(() => decodeServerDatagram(bytes)).message).toMatch(/padding/);
  });

  it('rejects an unknown error code', () => {
    expect(failure(() => decodeServerControl(fromHex('0416'))).message).toMatch(/unknown variant 22 of ErrorCode/);
  });

  it('rejects out-of-range snapshot fields like snapshot/wire.rs', () => {
    const refused = (rest: (w: BitWriter) => void) => failure(() => decodeServerDatagram(raw(rest).bytes)).message;
    // A direction code of 3 (only 0 none, 1 right, 2 left exist).
    expect(decodeServerDatagram(raw((w) => lists(w, [], [(w) => npcSpawn(w, 2)])).bytes).spawns[0].motion.hint.dir).toBe(-1);
    expect(refused((w) => lists(w, [], [(w) => npcSpawn(w, 3)]))).toMatch(/direction out of range/);
    // Handles are u16; gap-coded, the second of these is 65536.
    expect(decodeServerDatagram(raw((w) => lists(w, [65535])).bytes).removed).toEqual([65535]);
    expect(refused((w) => lists(w, [65535, 0]))).toMatch(/handle out of range/);
    // A list longer than the bits left.
    expect(refused((w) => noChange(w).eg(1000, 0))).toMatch(/list length out of range/);
    // Names: at most 64 bytes, no more than what is left, UTF-8.
    const player = (len: number, bytes: number[]) => (w: BitWriter) => {
      w.eg(0, 2).eg(9, 10).bit(true).eg(len, 3);
      bytes.forEach((b) => w.put(b, 8));
    };
    expect(refused((w) => lists(w, [], [player(65, new Array<number>(65).fill(97))]))).toMatch(/name length out of range/);
    expect(refused((w) => lists(w, [], [player(40, [97, 98])]))).toMatch(/name length out of range/);
    expect(refused((w) => lists(w, [], [player(1, [0xff])]))).toMatch(/name out of range/);
    // Numbers wider than their field: a u16 hp, a u8 pose, an i32 coordinate.
    expect(refused((w) => lists(w, [], [], [(w) => w.bit(false).bit(true).eg(70_000, 4).bit(false)]))).toMatch(/hp out of range/);
    expect(refused((w) => lists(w, [], [], [(w) => w.bit(false).bit(false).bit(true).eg(256, 4)]))).toMatch(/pose out of range/);
    expect(refused((w) => lists(w, [], [(w) => npcSpawn(w, 0, 2 ** 31)]))).toMatch(/x out of range/);
    // An entity id from 2^53 on: its zone (the bits from 40 up) past 2^13.
    expect(refused((w) => lists(w, [], [(w) => w.eg(2 ** 13, 2).eg(0, 10)]))).toMatch(/entity id out of range/);
    // A baseline before tick 0 (the tick is 5).
    expect(refused((w) => w.bit(true).eg(5, 0))).toMatch(/baseline out of range/);
    // An exp-Golomb code longer than 40 bits, and a number from 2^53 on.
    expect(refused((w) => noChange(w).put(0, 41))).toMatch(/exp-Golomb code longer than 40 bits/);
    const hugeTick = new BitWriter().put(0, 8).put(54, 6).put(1, 1).put(0, 53).finish();
    expect(failure(() => decodeServerDatagram(hugeTick)).message).toMatch(/exceeds 2\^53/);
  });

  it('refuses to encode a snapshot the client would refuse', () => {
    const spawn = (h: number) => spawnPlayer(h, 1, 'ada', body(0, 0));
    expect(() => encodeServerDatagram({ type: 'Snapshot', ...fullSnapshot(1, [spawn(2), spawn(1)]) })).toThrow(/out of order/);
    const hp = deltaSnapshot(2, 1, { updates: [update(0, { hp: 70_000 })] });
    expect(() => encodeServerDatagram({ type: 'Snapshot', ...hp })).toThrow(EncodeError);
    const many = Array.from({ length: 200 }, (_, h) => spawn(h));
    expect(() => encodeServerDatagram({ type: 'Snapshot', ...fullSnapshot(1, many) })).toThrow(/exceeds the limit of 1100/);
  });

  it('rejects a string that is not UTF-8', () => {
    expect(failure(() => decodeServerControl(fromHex('0301ff026869'))).message).toMatch(/UTF-8/);
  });
});

describe('control stream framing', () => {
  it('splits frames across reads', () => {
    const r = new FrameReader(16);
    const enc = new TextEncoder();
    const bytes = new Uint8Array([...frame(enc.encode('hello')), ...frame(enc.encode('world!'))]);
    r.push(bytes.subarray(0, 3));
    expect(r.nextFrame()).toBeNull();
    r.push(bytes.subarray(3, 9));
    expect(new TextDecoder().decode(r.nextFrame()!)).toBe('hello');
    expect(r.nextFrame()).toBeNull();
    r.push(bytes.subarray(9));
    expect(new TextDecoder().decode(r.nextFrame()!)).toBe('world!');
    expect(r.nextFrame()).toBeNull();
  });

  it('refuses an oversized frame as soon as its length arrives', () => {
    const r = new FrameReader(16);
    r.push(frame(new Uint8Array(17)).subarray(0, 4));
    expect(() => r.nextFrame()).toThrow(/frame of 17 bytes exceeds the limit of 16/);
  });

  it('frames with a little-endian u32 length', () => {
    expect(Array.from(frame(new Uint8Array([7, 8])))).toEqual([2, 0, 0, 0, 7, 8]);
  });
});

import { describe, expect, it } from 'vitest';
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
} from '../src/protocol';
import { readGolden, type GoldenMessages } from './golden';

const golden = readGolden<GoldenMessages>('messages.json');
const snapshotHex = golden.messages.find((m) => m.type === 'ServerDatagram' && m.hex.length > 100)!.hex;

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
    expect(failure(() => decodeServerControl(fromHex('08'))).kind).toBe('UnknownKind');
    expect(failure(() => decodeServerDatagram(fromHex('01'))).kind).toBe('UnknownKind');
    expect(failure(() => decodeClientControl(fromHex('04'))).kind).toBe('UnknownKind');
  });

  it('rejects empty, truncated and over-long messages', () => {
    expect(failure(() => decodeServerControl(new Uint8Array(0))).kind).toBe('Malformed');
    for (let cut = 1; cut < snapshotHex.length / 2; cut++) {
      const e = failure(() => decodeServerDatagram(fromHex(snapshotHex.slice(0, 2 * cut))));
      expect(e.kind).toBe('Malformed');
    }
    expect(failure(() => decodeServerDatagram(fromHex(snapshotHex + '00'))).kind).toBe('TrailingBytes');
  });

  it('rejects an unknown error code and an unknown entity kind', () => {
    expect(failure(() => decodeServerControl(fromHex('0415'))).message).toMatch(/unknown variant 21 of ErrorCode/);
    // A full snapshot with one spawned entity of kind 2 (there are only Player and Npc).
    const full = golden.messages.filter((m) => m.type === 'ServerDatagram').at(-1)!.hex;
    const withEntity = full.slice(0, -4) + '01' + '05' + '01' + '02';
    expect(failure(() => decodeServerDatagram(fromHex(withEntity))).message).toMatch(/unknown variant 2 of EntityKind/);
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

/**
 * Framing on byte streams, mirroring `shared/protocol/src/framing.rs`: each control message is
 * a 4-byte little-endian length and the encoded message. Over the WebSocket fallback each
 * message instead starts with a one-byte channel tag.
 */

import { DecodeError } from './codec';

/** Which logical channel a WebSocket message belongs to (its first byte). */
export const Channel = {
  Control: 0,
  Datagram: 1,
} as const;
export type Channel = (typeof Channel)[keyof typeof Channel];

/** Prefixes `payload` with its length. */
export function frame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length, true);
  out.set(payload, 4);
  return out;
}

/** Prefixes `payload` with its WebSocket channel byte. */
export function tagChannel(channel: Channel, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + payload.length);
  out[0] = channel;
  out.set(payload, 1);
  return out;
}

/** Splits a byte stream into frames, refusing any longer than `limit` before it arrives. */
export class FrameReader {
  private buf = new Uint8Array(0);

  constructor(private readonly limit: number) {}

  push(bytes: Uint8Array): void {
    if (this.buf.length === 0) {
      this.buf = bytes.slice();
      return;
    }
    const next = new Uint8Array(this.buf.length + bytes.length);
    next.set(this.buf);
    next.set(bytes, this.buf.length);
    this.buf = next;
  }

  /** The next whole frame, or null if it has not all arrived yet. */
  nextFrame(): Uint8Array | null {
    if (this.buf.length < 4) {
      return null;
    }
    const size = new DataView(this.buf.buffer, this.buf.byteOffset, 4).getUint32(0, true);
    if (size > this.limit) {
      throw new DecodeError('TooLarge', `frame of ${size} bytes exceeds the limit of ${this.limit}`);
    }
    if (this.buf.length < 4 + size) {
      return null;
    }
    const payload = this.buf.slice(4, 4 + size);
    this.buf = this.buf.subarray(4 + size);
    return payload;
  }
}

/**
 * The one module that knows the byte encoding: bincode 2 "standard" config over serde, as
 * `shared/protocol/src/codec.rs` uses it. Little-endian; u16/u32/u64 (and lengths, enum
 * variant indices) as varints; i32 zigzag then varint; u8 and bool as one raw byte; strings and
 * sequences as a varint length and the elements; Option as a 0/1 byte and the value.
 *
 * Swapping the encoding means changing this module (and the Rust codec and golden vectors);
 * `protocol.ts` only calls the primitives below.
 */

/** Why a message could not be decoded, mirroring `mmo_protocol::CodecError`. */
export type DecodeErrorKind = 'TooLarge' | 'UnknownKind' | 'Malformed' | 'TrailingBytes';

export class DecodeError extends Error {
  constructor(
    readonly kind: DecodeErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'DecodeError';
  }
}

/** A value that does not fit the wire type it is written as. */
export class EncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncodeError';
  }
}

const SINGLE_BYTE_MAX = 250;
const U16_BYTE = 251;
const U32_BYTE = 252;
const U64_BYTE = 253;
const TWO_32 = 0x1_0000_0000;

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

function malformed(message: string): DecodeError {
  return new DecodeError('Malformed', `malformed message: ${message}`);
}

/** Reads primitives from one message; every read checks the bytes are there. */
export class Reader {
  private pos = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  private need(n: number, what: string): void {
    if (this.remaining < n) {
      throw malformed(`unexpected end of input reading ${what}`);
    }
  }

  u8(): number {
    this.need(1, 'u8');
    return this.bytes[this.pos++];
  }

  bool(): boolean {
    const v = this.u8();
    if (v > 1) {
      throw malformed(`invalid bool value ${v}`);
    }
    return v === 1;
  }

  /** A varint of at most `maxPrefix` width (bincode rejects wider encodings for a type). */
  private varint(maxPrefix: number, what: string): number {
    const first = this.u8();
    if (first <= SINGLE_BYTE_MAX) {
      return first;
    }
    if (first > maxPrefix) {
      throw malformed(`invalid varint discriminant ${first} for ${what}`);
    }
    switch (first) {
      case U16_BYTE: {
        this.need(2, what);
        const v = this.view.getUint16(this.pos, true);
        this.pos += 2;
        return v;
      }
      case U32_BYTE: {
        this.need(4, what);
        const v = this.view.getUint32(this.pos, true);
        this.pos += 4;
        return v;
      }
      default: {
        this.need(8, what);
        const lo = this.view.getUint32(this.pos, true);
        const hi = this.view.getUint32(this.pos + 4, true);
        this.pos += 8;
        const v = hi * TWO_32 + lo;
        if (!Number.isSafeInteger(v)) {
          throw malformed(`${what} ${hi}:${lo} exceeds 2^53`);
        }
        return v;
      }
    }
  }

  u16(): number {
    return this.varint(U16_BYTE, 'u16');
  }

  u32(): number {
    return this.varint(U32_BYTE, 'u32');
  }

  /** A u64 that must fit a JS number exactly (every id and tick on the wire is below 2^53). */
  u64(): number {
    return this.varint(U64_BYTE, 'u64');
  }

  i32(): number {
    const z = this.u32();
    // Zigzag: 0, -1, 1, -2, ... ; `>>> 1` keeps it unsigned, `^ -(z & 1)` restores the sign.
    return (z >>> 1) ^ -(z & 1);
  }

  /** A sequence length; each element takes at least one byte, so it is bounded by the input. */
  len(): number {
    const n = this.u64();
    if (n > this.remaining) {
      throw malformed(`length ${n} exceeds the ${this.remaining} bytes left`);
    }
    return n;
  }

  /** An enum's variant index, which must be below `count`. */
  variant(count: number, what: string): number {
    const v = this.u32();
    if (v >= count) {
      throw malformed(`unknown variant ${v} of ${what}`);
    }
    return v;
  }

  bytesVec(): Uint8Array {
    const n = this.len();
    const out = this.bytes.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  str(): string {
    const raw = this.bytesVec();
    try {
      return utf8Decoder.decode(raw);
    } catch {
      throw malformed('string is not valid UTF-8');
    }
  }

  option<T>(read: (r: Reader) => T): T | null {
    const tag = this.u8();
    if (tag === 0) {
      return null;
    }
    if (tag !== 1) {
      throw malformed(`invalid Option tag ${tag}`);
    }
    return read(this);
  }

  vec<T>(read: (r: Reader) => T): T[] {
    const n = this.len();
    const out: T[] = [];
    for (let i = 0; i < n; i++) {
      out.push(read(this));
    }
    return out;
  }

  /** Fails if anything is left after the message. */
  finish(): void {
    if (this.remaining !== 0) {
      throw new DecodeError('TrailingBytes', `${this.remaining} bytes left over after the message`);
    }
  }
}

function checkUint(v: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new EncodeError(`${what} value ${v} out of range`);
  }
}

/** Writes primitives into a growing buffer. */
export class Writer {
  private buf = new Uint8Array(64);
  private view = new DataView(this.buf.buffer);
  private pos = 0;

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) {
      return;
    }
    let size = this.buf.length * 2;
    while (size < this.pos + n) {
      size *= 2;
    }
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): this {
    checkUint(v, 0xff, 'u8');
    this.reserve(1);
    this.buf[this.pos++] = v;
    return this;
  }

  bool(v: boolean): this {
    return this.u8(v ? 1 : 0);
  }

  private varint(v: number): this {
    if (v <= SINGLE_BYTE_MAX) {
      return this.u8(v);
    }
    this.reserve(9);
    if (v <= 0xffff) {
      this.buf[this.pos++] = U16_BYTE;
      this.view.setUint16(this.pos, v, true);
      this.pos += 2;
    } else if (v <= 0xffff_ffff) {
      this.buf[this.pos++] = U32_BYTE;
      this.view.setUint32(this.pos, v, true);
      this.pos += 4;
    } else {
      this.buf[this.pos++] = U64_BYTE;
      this.view.setUint32(this.pos, v % TWO_32, true);
      this.view.setUint32(this.pos + 4, Math.floor(v / TWO_32), true);
      this.pos += 8;
    }
    return this;
  }

  u16(v: number): this {
    checkUint(v, 0xffff, 'u16');
    return this.varint(v);
  }

  u32(v: number): this {
    checkUint(v, 0xffff_ffff, 'u32');
    return this.varint(v);
  }

  u64(v: number): this {
    checkUint(v, Number.MAX_SAFE_INTEGER, 'u64');
    return this.varint(v);
  }

  i32(v: number): this {
    if (!Number.isInteger(v) || v < -0x8000_0000 || v > 0x7fff_ffff) {
      throw new EncodeError(`i32 value ${v} out of range`);
    }
    return this.varint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  variant(index: number): this {
    return this.u32(index);
  }

  bytesVec(v: Uint8Array | readonly number[]): this {
    this.u64(v.length);
    this.reserve(v.length);
    for (let i = 0; i < v.length; i++) {
      checkUint(v[i], 0xff, 'u8');
      this.buf[this.pos++] = v[i];
    }
    return this;
  }

  str(v: string): this {
    return this.bytesVec(utf8Encoder.encode(v));
  }

  option<T>(v: T | null, write: (w: Writer, v: T) => void): this {
    if (v === null) {
      return this.u8(0);
    }
    this.u8(1);
    write(this, v);
    return this;
  }

  vec<T>(items: readonly T[], write: (w: Writer, v: T) => void): this {
    this.u64(items.length);
    for (const item of items) {
      write(this, item);
    }
    return this;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

/** Lowercase hex of bytes (tests, debug). */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Bytes of a hex string; throws on odd length or non-hex characters. */
export function fromHex(hex: string): Uint8Array<ArrayBuffer> {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new Error(`invalid hex string of length ${hex.length}`);
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  }
  return out;
}

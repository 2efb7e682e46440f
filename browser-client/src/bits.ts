/**
 * Bit packing for the snapshot datagram, mirroring `shared/protocol/src/bits.rs`: most
 * significant bit first, with exponential-Golomb codes for small numbers.
 *
 * An exp-Golomb code of order `k` writes `q = v + 2^k` as `(bitlen(q) - k - 1)` zero bits and
 * then `q` in `bitlen(q)` bits. Signed numbers are zigzagged first (0, -1, 1, -2, … become
 * 0, 1, 2, 3, …). A `var` is a bit length in 6 bits, then that many bits.
 *
 * JavaScript's bitwise operators are 32-bit, so values are built with arithmetic: every value
 * read or written is an integer below 2^53 (ids and ticks on the wire stay below it; a `var`
 * at or above it is refused like the bincode decoder refuses such a u64).
 */

import { DecodeError, EncodeError } from './codec';

/** Longest exp-Golomb code the reader accepts: `zeros + k` at most this (`BitError::CodeTooLong`). */
const MAX_CODE_BITS = 40;

function malformed(message: string): DecodeError {
  return new DecodeError('Malformed', `malformed message: ${message}`);
}

/** Bits needed to write `v` (0 for 0); exact for every integer below 2^53. */
export function bitLength(v: number): number {
  return v < 0x1_0000_0000 ? 32 - Math.clz32(v) : 32 + bitLength(Math.floor(v / 0x1_0000_0000));
}

export function zigzag(v: number): number {
  return v >= 0 ? 2 * v : -2 * v - 1;
}

export function unzigzag(v: number): number {
  return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
}

/** Reads bits from bytes; every read checks the bits are there. */
export class BitReader {
  /** Bits read so far. */
  private at = 0;

  constructor(private readonly bytes: Uint8Array) {}

  /** Bits not read yet. */
  get remaining(): number {
    return this.bytes.length * 8 - this.at;
  }

  /** The next `n` bits as a number; fails past the end or if the value reaches 2^53. */
  get(n: number): number {
    if (n > this.remaining) {
      throw malformed('message ends inside a field');
    }
    let v = 0;
    for (let i = 0; i < n; i++) {
      const bit = (this.bytes[this.at >> 3] >> (7 - (this.at & 7))) & 1;
      v = v * 2 + bit;
      this.at++;
    }
    if (v > Number.MAX_SAFE_INTEGER) {
      throw malformed(`${n}-bit value exceeds 2^53`);
    }
    return v;
  }

  bit(): boolean {
    return this.get(1) === 1;
  }

  /** Unsigned exp-Golomb of order `k`. */
  eg(k: number): number {
    let zeros = 0;
    while (!this.bit()) {
      zeros++;
      if (zeros + k > MAX_CODE_BITS) {
        throw malformed(`exp-Golomb code longer than ${MAX_CODE_BITS} bits`);
      }
    }
    const n = zeros + k;
    return 2 ** n + this.get(n) - 2 ** k;
  }

  /** Signed exp-Golomb of order `k`. */
  seg(k: number): number {
    return unzigzag(this.eg(k));
  }

  /** A 6-bit length, then that many bits. */
  var(): number {
    return this.get(this.get(6));
  }

  /** Checks that only zero padding (less than a byte) is left. */
  finish(): void {
    const left = this.remaining;
    if (left >= 8 || this.get(left) !== 0) {
      throw malformed('padding after the message is not zero, or longer than a byte');
    }
  }
}

function checkUint(v: number, what: string): void {
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new EncodeError(`${what} value ${v} is not an unsigned integer below 2^53`);
  }
}

/** Writes bits into bytes; the last byte is padded with zero bits. */
export class BitWriter {
  private bytes: number[] = [];
  private acc = 0;
  private pending = 0;

  /** Bits written so far. */
  get bits(): number {
    return this.bytes.length * 8 + this.pending;
  }

  /** Writes `v` in `n` bits, most significant first; `v` must fit. */
  put(v: number, n: number): this {
    checkUint(v, 'bit field');
    if (n < 53 && v >= 2 ** n) {
      throw new EncodeError(`value ${v} does not fit ${n} bits`);
    }
    for (let i = n - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | (Math.floor(v / 2 ** i) % 2);
      if (++this.pending === 8) {
        this.bytes.push(this.acc);
        this.acc = 0;
        this.pending = 0;
      }
    }
    return this;
  }

  bit(b: boolean): this {
    return this.put(b ? 1 : 0, 1);
  }

  /** Unsigned exp-Golomb of order `k`. */
  eg(v: number, k: number): this {
    checkUint(v, 'exp-Golomb');
    const q = v + 2 ** k;
    const n = bitLength(q);
    return this.put(0, n - k - 1).put(q, n);
  }

  /** Signed exp-Golomb of order `k`. */
  seg(v: number, k: number): this {
    if (!Number.isSafeInteger(v)) {
      throw new EncodeError(`signed exp-Golomb value ${v} is not an integer`);
    }
    return this.eg(zigzag(v), k);
  }

  /** A number below 2^53: its bit length in 6 bits, then the bits. */
  var(v: number): this {
    checkUint(v, 'var');
    const n = bitLength(v);
    return this.put(n, 6).put(v, n);
  }

  finish(): Uint8Array {
    const out = Uint8Array.from(this.bytes);
    if (this.pending === 0) {
      return out;
    }
    const last = new Uint8Array(out.length + 1);
    last.set(out);
    last[out.length] = this.acc << (8 - this.pending);
    return last;
  }
}

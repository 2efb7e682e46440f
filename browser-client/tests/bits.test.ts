import { describe, expect, it } from 'vitest';
import { BitReader, BitWriter, bitLength } from '../src/bits';
import { DecodeError } from '../src/codec';

type Field = { put: [number, number] } | { eg: [number, number] } | { seg: [number, number] } | { var: number };

/** A small seeded generator (xorshift32), so a failure replays. */
function rng(seed: number): (below: number) => number {
  let s = seed >>> 0 || 1;
  return (below) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % below;
  };
}

/** An integer below 2^bits, built from two draws so it can use all 53. */
function below2(bits: number, draw: (below: number) => number): number {
  const hi = bits > 26 ? draw(2 ** (bits - 26)) : 0;
  return hi * 2 ** 26 + draw(2 ** Math.min(bits, 26));
}

function randomField(draw: (below: number) => number): Field {
  switch (draw(4)) {
    case 0: {
      const n = draw(54);
      return { put: [below2(n, draw), n] };
    }
    case 1:
      return { eg: [below2(draw(39), draw), draw(3)] };
    case 2: {
      const v = below2(draw(37), draw);
      return { seg: [draw(2) === 0 ? v : -v - 1, draw(4)] };
    }
    default:
      return { var: below2(draw(54), draw) };
  }
}

describe('bit packing (shared/protocol/src/bits.rs)', () => {
  it('writes exp-Golomb codes of the documented lengths, most significant bit first', () => {
    const len = (v: number, k: number) => new BitWriter().eg(v, k).bits;
    expect([len(0, 0), len(1, 0), len(2, 0), len(3, 0), len(6, 0), len(7, 0)]).toEqual([1, 3, 3, 5, 5, 7]);
    expect([len(0, 3), len(7, 3), len(8, 3)]).toEqual([4, 4, 6]);
    expect(Array.from(new BitWriter().eg(3, 0).bit(true).finish())).toEqual([0b0010_0100]);
    expect([bitLength(0), bitLength(1), bitLength(2 ** 32), bitLength(2 ** 53 - 1)]).toEqual([0, 1, 33, 53]);
  });

  it('reads back what is written, up to 53-bit values', () => {
    const draw = rng(2024);
    for (let round = 0; round < 200; round++) {
      const fields = Array.from({ length: draw(40) }, () => randomField(draw));
      const w = new BitWriter();
      for (const f of fields) {
        if ('put' in f) w.put(...f.put);
        else if ('eg' in f) w.eg(...f.eg);
        else if ('seg' in f) w.seg(...f.seg);
        else w.var(f.var);
      }
      const bits = w.bits;
      const bytes = w.finish();
      expect(bytes.length).toBe(Math.ceil(bits / 8));
      const r = new BitReader(bytes);
      for (const f of fields) {
        if ('put' in f) expect(r.get(f.put[1])).toBe(f.put[0]);
        else if ('eg' in f) expect(r.eg(f.eg[1])).toBe(f.eg[0]);
        else if ('seg' in f) expect(r.seg(f.seg[1])).toBe(f.seg[0]);
        else expect(r.var()).toBe(f.var);
      }
      r.finish();
    }
  });

  it('fails on short input and garbage instead of returning nonsense', () => {
    const fails = (read: () => unknown, message: RegExp) => {
      let error: unknown = null;
      try {
        read();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DecodeError);
      expect((error as DecodeError).message).toMatch(message);
    };
    fails(() => new BitReader(new Uint8Array()).bit(), /ends inside a field/);
    fails(() => new BitReader(new Uint8Array(6)).eg(0), /longer than 40 bits/);
    fails(() => new BitReader(Uint8Array.of(0b0000_0001)).eg(0), /ends inside a field/);
    const r = new BitReader(Uint8Array.of(0b1000_0001));
    r.bit();
    fails(() => r.finish(), /padding/);
    fails(() => new BitReader(new Uint8Array(2)).finish(), /padding/);
    // A var of 54 bits, all ones.
    fails(() => new BitReader(Uint8Array.of(0b1101_1011, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)).var(), /exceeds 2\^53/);
  });
});

import { describe, expect, it } from 'vitest';
import { DecodeError, EncodeError, Reader, Writer, fromHex, toHex } from '../src/codec';

const hexOf = (write: (w: Writer) => void): string => {
  const w = new Writer();
  write(w);
  return toHex(w.finish());
};

function decodeError(read: (r: Reader) => unknown, hex: string): DecodeError {
  try {
    const r = new Reader(fromHex(hex));
    read(r);
    r.finish();
  } catch (e) {
    expect(e).toBeInstanceOf(DecodeError);
    return e as DecodeError;
  }
  throw new Error(`decoding ${hex} did not fail`);
}

describe('varints', () => {
  const cases: [number, string][] = [
    [0, '00'],
    [250, 'fa'],
    [251, 'fbfb00'],
    [0xffff, 'fbffff'],
    [0x1_0000, 'fc00000100'],
    [0xffff_ffff, 'fcffffffff'],
    [0x1_0000_0000, 'fd0000000001000000'],
    [Number.MAX_SAFE_INTEGER, 'fdffffffffffff1f00'],
  ];

  it.each(cases)('u64 %d is %s', (v, hex) => {
    expect(hexOf((w) => w.u64(v))).toBe(hex);
    const r = new Reader(fromHex(hex));
    expect(r.u64()).toBe(v);
    r.finish();
  });

  it('zigzags signed values', () => {
    const cases: [number, string][] = [
      [0, '00'],
      [-1, '01'],
      [1, '02'],
      [-3, '05'],
      [-126, 'fbfb00'],
      [70_000, 'fce0220200'],
      [2147483647, 'fcfeffffff'],
      [-2147483648, 'fcffffffff'],
    ];
    for (const [v, hex] of cases) {
      expect(hexOf((w) => w.i32(v))).toBe(hex);
      expect(new Reader(fromHex(hex)).i32()).toBe(v);
    }
  });

  it('accepts a wider prefix only up to the type width, like bincode', () => {
    expect(new Reader(fromHex('fb0500')).u16()).toBe(5);
    expect(decodeError((r) => r.u16(), 'fc05000000').message).toMatch(/discriminant 252 for u16/);
    expect(decodeError((r) => r.u32(), 'fd0500000000000000').message).toMatch(/discriminant 253 for u32/);
    expect(decodeError((r) => r.u64(), 'fe').message).toMatch(/discriminant 254 for u64/);
    expect(decodeError((r) => r.u64(), 'ff').message).toMatch(/discriminant 255/);
  });

  it('refuses u64 values a JS number cannot hold exactly', () => {
    expect(decodeError((r) => r.u64(), 'fd0000000000002000').message).toMatch(/exceeds 2\^53/);
    expect(() => new Writer().u64(2 ** 53)).toThrow(EncodeError);
  });

  it('refuses out-of-range values on encode', () => {
    expect(() => new Writer().u16(65536)).toThrow(EncodeError);
    expect(() => new Writer().u8(-1)).toThrow(EncodeError);
    expect(() => new Writer().i32(2 ** 31)).toThrow(EncodeError);
    expect(() => new Writer().u32(1.5)).toThrow(EncodeError);
  });
});

describe('malformed input', () => {
  it('fails on truncation', () => {
    expect(decodeError((r) => r.u16(), 'fb05').message).toMatch(/unexpected end/);
    expect(decodeError((r) => r.u8(), '').message).toMatch(/unexpected end/);
  });

  it('checks bools and option tags', () => {
    expect(decodeError((r) => r.bool(), '02').message).toMatch(/invalid bool/);
    expect(decodeError((r) => r.option((r) => r.u8()), '0207').message).toMatch(/invalid Option tag/);
  });

  it('bounds lengths by the input before allocating', () => {
    const e = decodeError((r) => r.bytesVec(), 'fdffffffff00000000');
    expect(e.kind).toBe('Malformed');
    expect(e.message).toMatch(/length 4294967295 exceeds the 0 bytes left/);
  });

  it('rejects invalid UTF-8', () => {
    expect(decodeError((r) => r.str(), '02c328').message).toMatch(/UTF-8/);
  });

  it('reports trailing bytes', () => {
    const e = decodeError((r) => r.u8(), '0102');
    expect(e.kind).toBe('TrailingBytes');
  });

  it('rejects unknown enum variants', () => {
    expect(decodeError((r) => r.variant(3, 'X'), '03').message).toMatch(/unknown variant 3 of X/);
  });
});

describe('strings', () => {
  it('round-trips UTF-8 with a byte length prefix', () => {
    const hex = hexOf((w) => w.str('héllo ✓'));
    expect(hex.slice(0, 2)).toBe('0a');
    expect(new Reader(fromHex(hex)).str()).toBe('héllo ✓');
  });
});

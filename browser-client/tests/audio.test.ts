import { describe, expect, it } from 'vitest';
import { MELODY_SCALE, PROGRESSION, SLOTS, melodyBar } from '../src/audio/music';
import { volumeGain } from '../src/audio/sound';
import { placement } from '../src/feedback';

describe('the music', () => {
  it('makes the same tune from the same seed, in the scale, filling at most the bar', () => {
    for (let bar = 0; bar < 16; bar++) {
      const notes = melodyBar(42, bar);
      expect(melodyBar(42, bar)).toEqual(notes);
      expect(notes[0].slot, 'every bar starts with a note').toBe(0);
      for (const n of notes) {
        expect(MELODY_SCALE).toContain(n.note);
        expect(n.slot + n.length).toBeLessThanOrEqual(SLOTS);
      }
      const chord = PROGRESSION[bar % PROGRESSION.length];
      expect(chord.some((c) => (notes[0].note - c) % 12 === 0), `bar ${bar} starts on a note of its chord`).toBe(true);
    }
  });

  it('plays each phrase twice, then a new one', () => {
    for (let bar = 0; bar < 4; bar++) {
      expect(melodyBar(7, bar + 4)).toEqual(melodyBar(7, bar));
    }
    const first = [0, 1, 2, 3].map((b) => melodyBar(7, b));
    const next = [8, 9, 10, 11].map((b) => melodyBar(7, b));
    expect(next).not.toEqual(first);
  });
});

describe('sound levels', () => {
  it('volume is heard squared: half the setting is a quarter of the gain', () => {
    expect(volumeGain(1)).toBe(1);
    expect(volumeGain(0.5)).toBe(0.25);
    expect(volumeGain(0)).toBe(0);
  });

  it('a sound to the right plays on the right and softer with distance; out of earshot not at all', () => {
    expect(placement(100, 100)).toEqual({ pan: 0, gain: 1 });
    const right = placement(400, 100)!;
    expect(right.pan).toBeGreaterThan(0);
    expect(right.gain).toBeLessThan(1);
    expect(placement(-200, 100)!.pan).toBeLessThan(0);
    expect(placement(100 + 5000, 100)).toBeNull();
    expect(placement(100, null), 'no player drawn: centred, full').toEqual({});
  });
});

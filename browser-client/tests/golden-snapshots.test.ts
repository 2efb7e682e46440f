import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../src/codec';
import { PROTOCOL_VERSION, decodeServerDatagram, encodeServerDatagram } from '../src/protocol';
import { applySnapshot, type View } from '../src/snapshots';
import { readGolden, viewToSerde, type GoldenSnapshots } from './golden';

const golden = readGolden<GoldenSnapshots>('snapshots.json');

/**
 * The views `snapshots.json` rebuilds: step 0 is a full snapshot, step 1 a delta on it, step 2
 * a delta on step 0 again (as if step 1 were lost: three ticks of extrapolation).
 */
function replay(): View[] {
  const views: View[] = [];
  golden.steps.forEach((step, i) => {
    const snap = decodeServerDatagram(fromHex(step.hex));
    expect(snap.baseline, `step ${i} baseline`).toBe(step.baseline);
    const base = snap.baseline === null ? null : views.find((v) => v.tick === snap.baseline)!;
    views.push(applySnapshot(base, snap));
  });
  return views;
}

describe('golden snapshot sequence (shared/protocol/golden/snapshots.json)', () => {
  it('speaks the same protocol version and has the three steps', () => {
    expect(golden.protocol_version).toBe(PROTOCOL_VERSION);
    expect(golden.steps.map((s) => s.baseline === null)).toEqual([true, false, false]);
    expect(golden.steps[2].baseline).toBe(golden.steps[1].baseline);
  });

  it.each(golden.steps.map((s, i) => [i, s] as const))('step %i re-encodes to the same bytes', (_, step) => {
    expect(toHex(encodeServerDatagram(decodeServerDatagram(fromHex(step.hex))))).toBe(step.hex);
  });

  it('rebuilds every view exactly: handles, ids, bodies, hints and own state', () => {
    const views = replay();
    views.forEach((view, i) => {
      expect(viewToSerde(view), `view of step ${i}`).toEqual(golden.steps[i].view);
    });
  });

  it('extrapolates: the lost step leaves a view three ticks on, not the one of step 0', () => {
    const [first, , third] = replay();
    expect(third.tick - first.tick).toBe(3);
    expect(viewToSerde(third)).not.toEqual(viewToSerde(first));
  });
});

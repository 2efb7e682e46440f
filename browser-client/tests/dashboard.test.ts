import { describe, expect, it } from 'vitest';
import {
  cellArea,
  cellsInOrder,
  describeEvent,
  heat,
  loadPercent,
  ownerChanges,
  reasonText,
  reshapedCells,
  zoneColour,
  type WorldState,
} from '../src/dashboard/model';

function world(owners: (number | null)[], width = 2): WorldState {
  return {
    world: { width, height: owners.length / width },
    leader: { name: 'a', epoch: 7 },
    leading: true,
    rebalance: true,
    cells: owners.map((zone, i) => ({
      cell: `${i % width}.${Math.floor(i / width)}`,
      x: i % width,
      y: Math.floor(i / width),
      depth: 0,
      zone,
      epoch: zone === null ? null : i + 1,
      entities: i * 3,
    })),
    zones: [],
    gateways: [],
    draining: [],
    migrations: [],
  };
}

describe('dashboard model', () => {
  it('gives each zone its own colour, and unowned cells grey', () => {
    const colours = [1, 2, 3, 4, 5, 6, 7, 8].map(zoneColour);
    expect(new Set(colours).size).toBe(8);
    expect(zoneColour(3)).toBe(zoneColour(3));
    expect(zoneColour(null)).toMatch(/0%/);
  });

  it('scales heat to the busiest cell, never above 1', () => {
    expect(heat(0, 100)).toBe(0);
    expect(heat(50, 100)).toBe(0.5);
    expect(heat(100, 100)).toBe(1);
    expect(heat(5, 0)).toBe(0.25); // an empty world does not make one NPC glow
    expect(loadPercent(0.42)).toBe(42);
    expect(loadPercent(1.7)).toBe(100);
  });

  it('lays cells out in reading order, quarters of a split cell inside it', () => {
    const state = world([1, 1, 2, 2]);
    state.cells.reverse();
    expect(cellsInOrder(state).map((c) => c.cell)).toEqual(['0.0', '1.0', '0.1', '1.1']);
    // Cell 1.0 split into quarters 2.0/1 3.0/1 2.1/1 3.1/1.
    const split = world([1, 1, 2, 2]);
    split.cells.splice(1, 1, ...[[2, 0], [3, 0], [2, 1], [3, 1]].map(([x, y]) => ({ ...split.cells[0]!, cell: `${x}.${y}/1`, x: x!, y: y!, depth: 1 })));
    expect(cellsInOrder(split).map((c) => c.cell)).toEqual(['0.0', '2.0/1', '3.0/1', '2.1/1', '3.1/1', '0.1', '1.1']);
    // On the grid of smallest quarters (4 per cell each way): a cell spans 4, a quarter 2.
    expect(cellArea({ x: 1, y: 0, depth: 0 })).toEqual({ column: 5, row: 1, span: 4 });
    expect(cellArea({ x: 3, y: 1, depth: 1 })).toEqual({ column: 7, row: 3, span: 2 });
    expect(cellArea({ x: 7, y: 3, depth: 2 })).toEqual({ column: 8, row: 4, span: 1 });
    expect([...reshapedCells(state, split)]).toEqual(['1.0']);
    expect([...reshapedCells(split, state)]).toEqual(['1.0']);
    expect(reshapedCells(state, state).size).toBe(0);
  });

  it('finds the cells whose owner changed between polls', () => {
    expect(ownerChanges(null, world([1, 2])).size).toBe(0);
    const changes = ownerChanges(world([1, 2, 2, 3]), world([1, 3, 2, null]));
    expect([...changes]).toEqual([
      ['1.0', [2, 3]],
      ['1.1', [3, null]],
    ]);
  });

  it('describes decisions with their reasons', () => {
    const moved = describeEvent({
      at_unix_ms: 0,
      kind: 'cell_moved',
      cell: { x: 2, y: 1, depth: 0 },
      from: 2,
      to: 3,
      epoch: 40,
      reason: { type: 'hotspot', from_load: 0.9, to_load: 0.3 },
    });
    expect(moved).toBe('cell 2.1: zone 2 -> zone 3 (epoch 40): hotspot (load 0.90 -> neighbour at 0.30)');
    expect(describeEvent({ at_unix_ms: 0, kind: 'zone_died', zone: 4 })).toContain('zone 4 died');
    expect(describeEvent({ at_unix_ms: 0, kind: 'leader_elected', leader: 'b', epoch: 9 })).toBe('b elected leader (epoch 9)');
    const split = { at_unix_ms: 0, kind: 'cell_split', cell: { x: 2, y: 1, depth: 0 }, zone: 3, epoch: 40, load: 0.512 } as const;
    expect(describeEvent(split)).toBe('cell 2.1 split into quarters, kept by zone 3 (load 0.51, epoch 40)');
    const merged = { ...split, kind: 'cells_merged', cell: { x: 5, y: 3, depth: 1 } } as const;
    expect(describeEvent(merged)).toContain('quarters of cell 5.3/1 merged back in zone 3');
    expect(reasonText({ type: 'drain' })).toContain('draining');
  });
});

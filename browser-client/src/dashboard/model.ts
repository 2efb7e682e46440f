/**
 * The dashboard's pure parts: the coordinator API's JSON shapes (`GET /api/state`,
 * `GET /api/events`), zone colours, entity heat, event descriptions, and which cells changed
 * owner between two polls. No DOM, no fetch: unit-tested in `tests/dashboard.test.ts`.
 */

export interface CellView {
  cell: string;
  x: number;
  y: number;
  /** 0 for a cell of the grid; a quarter's x and y count in a grid 2^depth times as fine. */
  depth: number;
  zone: number | null;
  epoch: number | null;
  entities: number;
}

export interface ZoneView {
  id: number;
  state: 'active' | 'draining' | 'dead';
  load: number;
  tick_time_ms_p99: number;
  budget_ms: number;
  entities: number;
  capacity: number;
  cells: number;
  address: string | null;
}

export interface Migration {
  cell: string;
  from: number | null;
  to: number;
  epoch: number;
  started_unix_ms: number;
  reason: MoveReason;
}

export interface WorldState {
  world: { width: number; height: number };
  leader: { name: string; epoch: number } | null;
  leading: boolean;
  rebalance: boolean;
  cells: CellView[];
  zones: ZoneView[];
  gateways: { id: number; address: string; capacity: number }[];
  draining: number[];
  migrations: Migration[];
}

export type MoveReason =
  | { type: 'hotspot'; from_load: number; to_load: number }
  | { type: 'new_zone' | 'drain' | 'zone_dead' | 'unowned' | 'manual' | 'gather' };

interface CellId {
  x: number;
  y: number;
  depth: number;
}

/** One entry of the decision log (`kind` is the tag, the rest its fields). */
export type LoggedEvent = { at_unix_ms: number } & (
  | { kind: 'cell_moved'; cell: CellId; from: number | null; to: number; epoch: number; reason: MoveReason }
  | { kind: 'zone_joined' | 'zone_died' | 'drain_started' | 'drain_finished'; zone: number }
  | { kind: 'leader_elected'; leader: string; epoch: number }
  | { kind: 'cell_split' | 'cells_merged'; cell: CellId; zone: number; epoch: number; load: number }
);

/** A zone's colour: hues spread by the golden angle so neighbouring ids differ clearly. */
export function zoneColour(zone: number | null): string {
  if (zone === null) {
    return 'hsl(0, 0%, 35%)';
  }
  const hue = Math.round((zone * 137.508) % 360);
  return `hsl(${hue}, 60%, 48%)`;
}

/** Entity heat in [0, 1]: the cell's entities against the busiest cell's (at least 20). */
export function heat(entities: number, busiest: number): number {
  const scale = Math.max(busiest, 20);
  return Math.min(1, Math.max(0, entities / scale));
}

/** How many times a cell of the grid may be split (the servers' `MAX_DEPTH`). */
export const MAX_DEPTH = 2;

/**
 * Where a cell sits on the dashboard's grid of the smallest quarters: its first column and row
 * (CSS grid lines, from 1) and how many of them it spans each way.
 */
export function cellArea(c: { x: number; y: number; depth: number }): { column: number; row: number; span: number } {
  const span = 1 << (MAX_DEPTH - c.depth);
  return { column: c.x * span + 1, row: c.y * span + 1, span };
}

/** The cell of the grid (`x.y`) a cell of any depth lies in. */
export const gridCellOf = (c: { x: number; y: number; depth: number }): string => `${c.x >> c.depth}.${c.y >> c.depth}`;

/** Cells of the grid (`x.y`) split or merged between two polls (their cells differ). */
export function reshapedCells(before: WorldState | null, after: WorldState): Set<string> {
  const reshaped = new Set<string>();
  if (before === null) {
    return reshaped;
  }
  const parts = (state: WorldState): Map<string, string> => {
    const by = new Map<string, string[]>();
    for (const c of state.cells) {
      const root = gridCellOf(c);
      by.set(root, [...(by.get(root) ?? []), c.cell]);
    }
    return new Map([...by].map(([root, cells]) => [root, cells.sort().join(' ')]));
  };
  const was = parts(before);
  for (const [root, cells] of parts(after)) {
    if (was.has(root) && was.get(root) !== cells) {
      reshaped.add(root);
    }
  }
  return reshaped;
}

/** The cells in reading order of where they sit (top to bottom, then left to right). */
export function cellsInOrder(state: WorldState): CellView[] {
  const at = (c: CellView): [number, number] => {
    const area = cellArea(c);
    return [area.row, area.column];
  };
  return [...state.cells].sort((a, b) => {
    const [ra, ca] = at(a);
    const [rb, cb] = at(b);
    return ra - rb || ca - cb;
  });
}

/** Cells whose owner differs between two polls: cell -> [old owner, new owner]. */
export function ownerChanges(before: WorldState | null, after: WorldState): Map<string, [number | null, number | null]> {
  const changes = new Map<string, [number | null, number | null]>();
  if (before === null) {
    return changes;
  }
  const old = new Map(before.cells.map((c) => [c.cell, c.zone]));
  for (const cell of after.cells) {
    const was = old.get(cell.cell);
    if (was !== undefined && was !== cell.zone) {
      changes.set(cell.cell, [was, cell.zone]);
    }
  }
  return changes;
}

/** Load as a percentage for a bar (0 to 100, a load over 1 fills it). */
export function loadPercent(load: number): number {
  return Math.round(Math.min(1, Math.max(0, load)) * 100);
}

export function reasonText(reason: MoveReason): string {
  switch (reason.type) {
    case 'hotspot':
      return `hotspot (load ${reason.from_load.toFixed(2)} -> neighbour at ${reason.to_load.toFixed(2)})`;
    case 'new_zone':
      return 'a new zone takes its share';
    case 'drain':
      return 'its zone is draining';
    case 'zone_dead':
      return 'its zone died';
    case 'unowned':
      return 'it had no owner';
    case 'manual':
      return 'moved by an operator';
    case 'gather':
      return 'its sibling quarters are cool: gathered to merge';
  }
}

const zoneName = (z: number | null): string => (z === null ? 'nobody' : `zone ${z}`);

/** `x.y` for a cell of the grid, `x.y/depth` for a quarter (as the servers print cells). */
export const cellName = (c: CellId): string => (c.depth === 0 ? `${c.x}.${c.y}` : `${c.x}.${c.y}/${c.depth}`);

/** One line of the event log. */
export function describeEvent(event: LoggedEvent): string {
  switch (event.kind) {
    case 'cell_moved':
      return `cell ${cellName(event.cell)}: ${zoneName(event.from)} -> ${zoneName(event.to)} (epoch ${event.epoch}): ${reasonText(event.reason)}`;
    case 'zone_joined':
      return `zone ${event.zone} joined`;
    case 'zone_died':
      return `zone ${event.zone} died (lease expired)`;
    case 'drain_started':
      return `zone ${event.zone} started draining`;
    case 'drain_finished':
      return `zone ${event.zone} finished draining`;
    case 'leader_elected':
      return `${event.leader} elected leader (epoch ${event.epoch})`;
    case 'cell_split':
      return `cell ${cellName(event.cell)} split into quarters, kept by zone ${event.zone} (load ${event.load.toFixed(2)}, epoch ${event.epoch})`;
    case 'cells_merged':
      return `quarters of cell ${cellName(event.cell)} merged back in zone ${event.zone} (load ${event.load.toFixed(2)}, epoch ${event.epoch})`;
  }
}

/** `HH:MM:SS` of a unix time in ms, UTC. */
export function clockTime(unixMs: number): string {
  return new Date(unixMs).toISOString().slice(11, 19);
}

/** The cell grid, mirroring `shared/world/src/geometry.rs`. Positions are fixed-point, y down. */

import { SUB_SHIFT, type Vec2 } from './physics';

/** A cell of the grid (`depth` 0 for the grid's own cells). */
export interface CellId {
  x: number;
  y: number;
  depth: number;
}

/** The shape of the world. */
export interface WorldGeometry {
  widthCells: number;
  heightCells: number;
  cellTiles: number;
}

export function widthTiles(g: WorldGeometry): number {
  return g.widthCells * g.cellTiles;
}

export function heightTiles(g: WorldGeometry): number {
  return g.heightCells * g.cellTiles;
}

/** Top-left tile of a cell. */
export function cellOrigin(g: WorldGeometry, cell: CellId): Vec2 {
  return { x: cell.x * g.cellTiles, y: cell.y * g.cellTiles };
}

export function containsCell(g: WorldGeometry, cell: CellId): boolean {
  return cell.depth === 0 && cell.x < g.widthCells && cell.y < g.heightCells;
}

/** The cell holding a fixed-point position, clamped into the world (`cell_of_pos`). */
export function cellOfPos(g: WorldGeometry, pos: Vec2): CellId {
  const tx = Math.min(Math.max(pos.x >> SUB_SHIFT, 0), widthTiles(g) - 1);
  const ty = Math.min(Math.max((pos.y - 1) >> SUB_SHIFT, 0), heightTiles(g) - 1);
  return { x: Math.trunc(tx / g.cellTiles), y: Math.trunc(ty / g.cellTiles), depth: 0 };
}

/** Which part of the world the canvas shows: centred on the player, kept inside the world. */

import { TILE_PX, VIEW_TILES_X, VIEW_TILES_Y } from './palette';

export interface Camera {
  /** World pixel (tile * TILE_PX) at the canvas's top-left corner. */
  left: number;
  top: number;
  widthPx: number;
  heightPx: number;
}

/** A camera centred on `(x, y)` in tiles, clamped to a world of `worldW x worldH` tiles. */
export function cameraAt(x: number, y: number, worldW: number, worldH: number): Camera {
  const widthPx = VIEW_TILES_X * TILE_PX;
  const heightPx = VIEW_TILES_Y * TILE_PX;
  const clampAxis = (center: number, view: number, world: number): number =>
    world <= view ? (world - view) / 2 : Math.min(Math.max(center - view / 2, 0), world - view);
  return {
    left: Math.round(clampAxis(x * TILE_PX, widthPx, worldW * TILE_PX)),
    top: Math.round(clampAxis(y * TILE_PX, heightPx, worldH * TILE_PX)),
    widthPx,
    heightPx,
  };
}

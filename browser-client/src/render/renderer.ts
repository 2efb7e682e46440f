/**
 * Draws one frame of the world onto the canvas. The canvas keeps a fixed logical size of
 * 80 x 45 tiles at 16 px per tile and is scaled to fit the window (sharp on high-DPI screens).
 */

import type { TerrainMap } from '../terrain';
import { cameraAt } from './camera';
import { drawFigure, type Figure } from './figures';
import { drawItem, type GroundSprite } from './items';
import { TILE_PX, VIEW_TILES_X, VIEW_TILES_Y } from './palette';
import { drawSky, drawTiles } from './tiles';

export interface Scene {
  /** World size in tiles. */
  worldW: number;
  worldH: number;
  terrain: TerrainMap | null;
  /** Where the camera looks, in tiles. */
  focusX: number;
  focusY: number;
  /** Items on the ground, drawn in front of the figures (loot at someone's feet stays visible). */
  items: GroundSprite[];
  /** Others first, the player last (drawn on top). */
  figures: Figure[];
}

const LOGICAL_W = VIEW_TILES_X * TILE_PX;
const LOGICAL_H = VIEW_TILES_Y * TILE_PX;

export class Renderer {
  private readonly ctx: CanvasRenderingContext2D;
  private scale = 1;

  constructor(private readonly canvas: HTMLCanvasElement) {
    const ctx = canvas.getContext('2d', { alpha: false });
    if (ctx === null) {
      throw new Error('canvas 2D is not available');
    }
    this.ctx = ctx;
    this.resize();
    window.addEventListener('resize', () => this.resize());
  }

  /** Fits the canvas to the window at 16:9, with a backing store at device resolution. */
  resize(): void {
    const fit = Math.min(window.innerWidth / LOGICAL_W, window.innerHeight / LOGICAL_H);
    const cssW = Math.max(1, Math.floor(LOGICAL_W * fit));
    const cssH = Math.max(1, Math.floor(LOGICAL_H * fit));
    const dpr = window.devicePixelRatio || 1;
    this.canvas.style.width = `${cssW}px`;
    this.canvas.style.height = `${cssH}px`;
    this.canvas.width = Math.round(cssW * dpr);
    this.canvas.height = Math.round(cssH * dpr);
    this.scale = this.canvas.width / LOGICAL_W;
  }

  draw(scene: Scene, timeMs: number): void {
    const ctx = this.ctx;
    ctx.setTransform(this.scale, 0, 0, this.scale, 0, 0);
    ctx.imageSmoothingEnabled = false;
    const cam = cameraAt(scene.focusX, scene.focusY, scene.worldW, scene.worldH);
    drawSky(ctx, cam);
    if (scene.terrain !== null) {
      drawTiles(ctx, cam, scene.terrain, scene.worldW, scene.worldH);
    }
    for (const f of scene.figures) {
      const cx = f.x - cam.left;
      const cy = f.y - cam.top;
      if (cx < -40 || cy < -60 || cx > cam.widthPx + 40 || cy > cam.heightPx + 60) {
        continue;
      }
      drawFigure(ctx, f, cx, cy, timeMs);
    }
    for (const item of scene.items) {
      const cx = item.x - cam.left;
      const cy = item.y - cam.top;
      if (cx >= -10 && cy >= -10 && cx <= cam.widthPx + 10 && cy <= cam.heightPx + 10) {
        drawItem(ctx, item, cx, cy, timeMs);
      }
    }
  }
}

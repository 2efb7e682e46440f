/**
 * Draws one frame of the world onto the canvas. The canvas keeps a fixed logical size of
 * 80 x 45 tiles at 16 px per tile and is scaled to fit the window (sharp on high-DPI screens).
 *
 * Back to front: the sky and its parallax layers, the terrain (with the rock wall behind
 * caves), the figures' sprites, the items, the darkness of a cave when the camera is inside
 * one, the figures' names and HP bars (readable in the dark), the effects.
 */

import { Animator, type AnimName } from '../animation';
import { SurfaceCache, terrainProbe } from '../cave';
import type { TerrainMap } from '../terrain';
import { Backdrop } from './backdrop';
import { cameraAt } from './camera';
import { CaveLight } from './cave-light';
import { drawFigure, drawLabels, motionOf, type Figure } from './figures';
import type { Effects } from './effects';
import { drawItem, type GroundSprite } from './items';
import { TILE_PX, VIEW_TILES_X, VIEW_TILES_Y } from './palette';
import { SpriteBook } from './sprites';
import { TileLayer, type TerrainView } from './tiles';

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
  /** Damage numbers and the like, drawn over everything (`effects.ts`). */
  effects?: Effects;
}

/** What the last frame showed, for the test hook. */
export interface Drawn {
  /** Frames drawn so far. */
  frames: number;
  /** Where the camera looked, in tiles. */
  focus: { x: number; y: number };
  /** Whether the camera looked from inside a cave, and how far the cave's darkness had faded in (0 to 1). */
  inCave: boolean;
  caveDarkness: number;
  /** The player's own animation and its frame, null when the player was not drawn. */
  selfAnimation: { name: AnimName; frame: number } | null;
}

const LOGICAL_W = VIEW_TILES_X * TILE_PX;
const LOGICAL_H = VIEW_TILES_Y * TILE_PX;
/** The terrain generator puts the ground around 5/8 of the world's height: the sky's horizon. */
const HORIZON = 5 / 8;

interface HeldTerrain {
  map: TerrainMap;
  worldW: number;
  worldH: number;
  view: TerrainView;
}

export class Renderer {
  private readonly ctx: CanvasRenderingContext2D;
  private scale = 1;
  private readonly animator = new Animator();
  private readonly sprites = new SpriteBook();
  private readonly backdrop = new Backdrop();
  private readonly tiles = new TileLayer();
  private readonly caveLight = new CaveLight();
  private terrain: HeldTerrain | null = null;
  private last: Drawn = { frames: 0, focus: { x: 0, y: 0 }, inCave: false, caveDarkness: 0, selfAnimation: null };
  /** Debug camera: look at this tile instead of the scene's focus (tests spectating a cave). */
  lookAt: { x: number; y: number } | null = null;

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

  /** What the last frame showed. */
  get drawn(): Drawn {
    return this.last;
  }

  /** The terrain as drawn last (null before any), with its surfaces: for the test hook. */
  get terrainView(): TerrainView | null {
    return this.terrain?.view ?? null;
  }

  draw(scene: Scene, timeMs: number): void {
    const ctx = this.ctx;
    ctx.setTransform(this.scale, 0, 0, this.scale, 0, 0);
    ctx.imageSmoothingEnabled = false;
    const focus = this.lookAt ?? { x: scene.focusX, y: scene.focusY };
    const cam = cameraAt(focus.x, focus.y, scene.worldW, scene.worldH);
    const view = this.hold(scene);
    // Deep underground no sky shows: the tiles cover the whole view, the backdrop is skipped.
    const sky = view === null || this.tiles.prepare(cam, view);
    if (sky) {
      this.backdrop.draw(ctx, cam, scene.worldH * HORIZON * TILE_PX, timeMs);
    }
    if (view !== null) {
      this.tiles.draw(ctx, cam);
    }
    const shown: Figure[] = [];
    let selfAnimation: Drawn['selfAnimation'] = null;
    let light: { x: number; y: number } | null = null;
    for (const f of scene.figures) {
      const cx = f.x - cam.left;
      const cy = f.y - cam.top;
      if (cx < -40 || cy < -60 || cx > cam.widthPx + 40 || cy > cam.heightPx + 60) {
        continue;
      }
      const a = this.animator.update(f.id, motionOf(f), timeMs);
      drawFigure(ctx, this.sprites, f, a, cx, cy);
      shown.push(f);
      if (f.isSelf) {
        selfAnimation = { name: a.anim, frame: a.frame };
        light = { x: cx, y: cy - 14 };
      }
    }
    for (const item of scene.items) {
      const cx = item.x - cam.left;
      const cy = item.y - cam.top;
      if (cx >= -10 && cy >= -10 && cx <= cam.widthPx + 10 && cy <= cam.heightPx + 10) {
        drawItem(ctx, item, cx, cy, timeMs);
      }
    }
    const fx = Math.floor(focus.x);
    const fy = Math.floor(focus.y);
    const inCave = view !== null && view.surfaces.inside(fx, fy, view.worldH);
    const depth = inCave ? fy - (view.surfaces.surface(fx, view.worldH) ?? fy) : 0;
    this.caveLight.draw(ctx, cam, inCave, depth, light, timeMs);
    for (const f of shown) {
      drawLabels(ctx, this.sprites, f, f.x - cam.left, f.y - cam.top);
    }
    scene.effects?.draw(ctx, cam, timeMs);
    this.last = { frames: this.last.frames + 1, focus: { x: focus.x, y: focus.y }, inCave, caveDarkness: this.caveLight.amount, selfAnimation };
  }

  /** The terrain view of `scene`: a new one for a new terrain or world, told of new cells. */
  private hold(scene: Scene): TerrainView | null {
    const map = scene.terrain;
    if (map === null) {
      this.terrain = null;
      return null;
    }
    let held = this.terrain;
    if (held === null || held.map !== map || held.worldW !== scene.worldW || held.worldH !== scene.worldH) {
      const probe = terrainProbe(map, scene.worldW, scene.worldH);
      held = { map, worldW: scene.worldW, worldH: scene.worldH, view: { probe, surfaces: new SurfaceCache(probe), worldH: scene.worldH } };
      this.terrain = held;
    }
    // A cell that arrives can reveal the open air above a column: its surface changes.
    held.view.surfaces.sync(map.cellCount);
    return held.view;
  }
}

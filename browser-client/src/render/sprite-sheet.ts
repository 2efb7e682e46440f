/**
 * Sprite sheets: every frame of every animation of one look, painted once by code into one
 * canvas (a row per animation, a column per frame), outlined, and mirrored for facing left.
 * Drawing a figure is then one `drawImage` (two while it flashes), with no transforms.
 */

import { ANIM_ROWS, ANIMS, MAX_FRAMES, type AnimName, type Flash } from '../animation';
import { makeCanvas, outlined, Painter, silhouette, type Surface } from './pixel';

/** How one look is painted: frame size, where the feet are in a frame, and a painter. */
export interface SheetArt {
  frameW: number;
  frameH: number;
  /** The feet's middle in a frame (the figure's position). */
  footX: number;
  footY: number;
  /** How tall the figure stands above its feet (px): name tags and bars go above it. */
  height: number;
  /** The one-pixel outline around each frame. */
  outline: string;
  /** Paints frame `frame` of `anim` facing right, the painter's origin at the feet. */
  paint(p: Painter, anim: AnimName, frame: number): void;
}

const ROW_OF = new Map<AnimName, number>(ANIM_ROWS.map((a, i) => [a, i]));

/** How strongly each flash covers the sprite. */
const FLASH_ALPHA: Record<Exclude<Flash, null>, number> = { white: 0.85, red: 0.55 };
const FLASH_COLOR: Record<Exclude<Flash, null>, string> = { white: '#ffffff', red: '#ff3030' };

export class SpriteSheet {
  /** Facing right, and mirrored (facing left). */
  private readonly right: Surface;
  private readonly left: Surface;
  /** Flash silhouettes, made the first time a figure of this look is hit. */
  private readonly flashes = new Map<string, Surface>();

  constructor(readonly art: SheetArt) {
    const { canvas, ctx } = makeCanvas(art.frameW * MAX_FRAMES, art.frameH * ANIM_ROWS.length);
    for (const [row, anim] of ANIM_ROWS.entries()) {
      for (let frame = 0; frame < ANIMS[anim].frames; frame++) {
        const one = makeCanvas(art.frameW, art.frameH);
        art.paint(new Painter(one.ctx, art.footX, art.footY), anim, frame);
        ctx.drawImage(outlined(one.canvas, art.outline), frame * art.frameW, row * art.frameH);
      }
    }
    this.right = canvas;
    const mirror = makeCanvas(canvas.width, canvas.height);
    mirror.ctx.scale(-1, 1);
    mirror.ctx.drawImage(canvas, -canvas.width, 0);
    this.left = mirror.canvas;
  }

  /** Draws a frame with its feet at canvas `(x, y)`. */
  draw(ctx: CanvasRenderingContext2D, anim: AnimName, frame: number, x: number, y: number, facingLeft: boolean, flash: Flash): void {
    const { frameW, frameH, footX, footY } = this.art;
    const row = ROW_OF.get(anim) ?? 0;
    // The mirrored sheet has its columns in reverse order and the feet mirrored in each frame.
    const col = facingLeft ? MAX_FRAMES - 1 - frame : frame;
    const fx = facingLeft ? frameW - footX : footX;
    const sx = col * frameW;
    const sy = row * frameH;
    const dx = Math.round(x - fx);
    const dy = Math.round(y - footY);
    ctx.drawImage(facingLeft ? this.left : this.right, sx, sy, frameW, frameH, dx, dy, frameW, frameH);
    if (flash !== null) {
      const alpha = ctx.globalAlpha;
      ctx.globalAlpha = alpha * FLASH_ALPHA[flash];
      ctx.drawImage(this.flash(flash, facingLeft), sx, sy, frameW, frameH, dx, dy, frameW, frameH);
      ctx.globalAlpha = alpha;
    }
  }

  private flash(flash: Exclude<Flash, null>, facingLeft: boolean): Surface {
    const key = `${flash}${facingLeft ? 'L' : 'R'}`;
    let s = this.flashes.get(key);
    if (s === undefined) {
      s = silhouette(facingLeft ? this.left : this.right, FLASH_COLOR[flash]);
      this.flashes.set(key, s);
    }
    return s;
  }
}

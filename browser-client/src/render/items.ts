/** Items lying on the ground: a small gem each, coloured by kind, bobbing a little. */

export interface GroundSprite {
  /** Where it lies (its bottom), in logical pixels of the world. */
  x: number;
  y: number;
  kind: number;
}

const HUES = [48, 190, 320, 120, 20, 270];

/** The gem's colour for an item kind. */
export function itemColor(kind: number): string {
  return `hsl(${HUES[kind % HUES.length]}, 85%, 60%)`;
}

export function drawItem(ctx: CanvasRenderingContext2D, item: GroundSprite, cx: number, cy: number, timeMs: number): void {
  const bob = Math.round(Math.sin(timeMs / 300 + item.x) * 1.5);
  const top = cy - 9 + bob;
  ctx.fillStyle = 'rgba(0, 0, 0, 0.75)';
  ctx.beginPath();
  ctx.moveTo(cx, top - 1);
  ctx.lineTo(cx + 5, top + 4);
  ctx.lineTo(cx, top + 9);
  ctx.lineTo(cx - 5, top + 4);
  ctx.closePath();
  ctx.fill();
  ctx.fillStyle = itemColor(item.kind);
  ctx.beginPath();
  ctx.moveTo(cx, top);
  ctx.lineTo(cx + 4, top + 4);
  ctx.lineTo(cx, top + 8);
  ctx.lineTo(cx - 4, top + 4);
  ctx.closePath();
  ctx.fill();
}

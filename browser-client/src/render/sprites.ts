/**
 * The sprite sheet of each look, painted the first time a figure of it is drawn and kept:
 * one per species, one per player shirt hue and hair colour (a few dozen at most).
 */

import type { EntityKind } from '../protocol';
import { HAIRS, playerHair, playerHue } from './palette';
import { batArt, hunterArt, SLIME_GREEN, slimeArt, type SlimeColors } from './sprite-mobs';
import { makeCanvas, type Surface } from './pixel';
import { playerArt } from './sprite-player';
import { SpriteSheet, type SheetArt } from './sprite-sheet';

/** A species this client does not know: a grey blob with a question mark. */
const UNKNOWN_SPECIES: SlimeColors = { body: '#8a8a8a', dark: '#666666', light: '#c8c8c8', outline: '#2a2a2a', mark: '#ffffff' };

/** The art of each species the client knows (0 slime, 1 bat, 2 hunter). */
const SPECIES_ART: readonly (() => SheetArt)[] = [() => slimeArt(SLIME_GREEN), batArt, hunterArt];

/** What a mob of `species` is called on its name tag. */
export function speciesName(species: number): string {
  return ['slime', 'bat', 'hunter'][species] ?? 'creature';
}

/** Which sheet a figure uses: a key naming its look. */
export function lookKey(kind: EntityKind, id: number): string {
  if (kind.type === 'Player') {
    return `player/${playerHue(id)}/${playerHair(id)}`;
  }
  return kind.species < SPECIES_ART.length ? `npc/${kind.species}` : 'npc/unknown';
}

export class SpriteBook {
  private readonly sheets = new Map<string, SpriteSheet>();
  /** A soft oval shadow for the feet of figures standing on something. */
  readonly shadow: Surface;

  constructor() {
    const { canvas, ctx } = makeCanvas(16, 4);
    ctx.fillStyle = 'rgba(0, 0, 0, 0.22)';
    ctx.fillRect(2, 0, 12, 4);
    ctx.fillRect(0, 1, 16, 2);
    this.shadow = canvas;
  }

  /** The sheet for a figure of `kind` with entity id `id`. */
  sheetFor(kind: EntityKind, id: number): SpriteSheet {
    const key = lookKey(kind, id);
    let sheet = this.sheets.get(key);
    if (sheet === undefined) {
      sheet = new SpriteSheet(artFor(kind, id));
      this.sheets.set(key, sheet);
    }
    return sheet;
  }

  get size(): number {
    return this.sheets.size;
  }
}

function artFor(kind: EntityKind, id: number): SheetArt {
  if (kind.type === 'Player') {
    const [hair, hairDark] = HAIRS[playerHair(id)];
    return playerArt({ hue: playerHue(id), hair, hairDark });
  }
  const art = SPECIES_ART[kind.species];
  return art === undefined ? slimeArt(UNKNOWN_SPECIES) : art();
}

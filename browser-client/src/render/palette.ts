/** Colours of the world and its inhabitants. */

export const TILE_PX = 16;
/** The view, in tiles (the canvas is drawn at VIEW_TILES_X * TILE_PX logical pixels wide). */
export const VIEW_TILES_X = 80;
export const VIEW_TILES_Y = 45;

export const COLORS = {
  skyTop: '#7ec8f2',
  skyBottom: '#d6f0ff',
  unknown: '#2b2f3a',
  unknownHatch: '#363b48',
  earth: '#7a5535',
  earthDark: '#5e3f26',
  grass: '#5dbb4a',
  plank: '#c8955a',
  plankDark: '#8a5f33',
  nameTag: '#ffffff',
  selfTag: '#ffe066',
  mobTag: '#ffd2bf',
  outline: 'rgba(0, 0, 0, 0.75)',
  hpBack: 'rgba(0, 0, 0, 0.6)',
  hpGood: '#4cd964',
  hpMid: '#ffcc00',
  hpLow: '#ff3b30',
  swing: 'rgba(255, 255, 255, 0.9)',
  skin: '#f2c9a0',
};

const PLAYER_HUES = [4, 28, 200, 262, 300, 170, 340, 220, 130, 50];

/** Mixes an entity id's low and high parts (ids put the zone in the high bits). */
function mixId(id: number): number {
  return (id % 1_000_003) + Math.floor(id / 2 ** 40) * 7;
}

/** A stable shirt hue for a player, from its entity id. */
export function playerHue(id: number): number {
  return PLAYER_HUES[mixId(id) % PLAYER_HUES.length];
}

/** A stable colour for a player, from its entity id. */
export function playerColor(id: number): string {
  return `hsl(${playerHue(id)}, 70%, 52%)`;
}

/** Hair colours and their shadows: brown, black, blond, red. */
export const HAIRS: readonly (readonly [string, string])[] = [
  ['#5a3a22', '#3a2414'],
  ['#2b2b36', '#18181f'],
  ['#d9b35a', '#a8843a'],
  ['#a8452a', '#70291a'],
];

/** A stable hair colour for a player (independent of the shirt's). */
export function playerHair(id: number): number {
  return Math.floor(mixId(id) / PLAYER_HUES.length) % HAIRS.length;
}

export function hpColor(fraction: number): string {
  return fraction > 0.5 ? COLORS.hpGood : fraction > 0.25 ? COLORS.hpMid : COLORS.hpLow;
}

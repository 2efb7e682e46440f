/**
 * The game rules the client shows to the player, mirrored from `zone-server/core/src/rules.rs`
 * (the server decides; these only time feedback). Change both together.
 */

/** Damage of a player's blow (`PLAYER_ATTACK_DAMAGE`): players deal no other. */
export const PLAYER_ATTACK_DAMAGE = 12;

/** Ticks a player holding ATTACK waits between swings (`PLAYER_ATTACK_COOLDOWN`). */
export const PLAYER_ATTACK_COOLDOWN = 8;

/** Ticks a dead player stays down before it respawns with full HP (`PLAYER_RESPAWN_TICKS`). */
export const PLAYER_RESPAWN_TICKS = 60;

/**
 * Whole seconds left before a player dead for `deadForMs` respawns (rounded up, so the
 * countdown shows 3, 2, 1 and reaches 0 when the server should bring it back).
 */
export function respawnSecondsLeft(deadForMs: number, tickMs: number): number {
  const left = PLAYER_RESPAWN_TICKS * tickMs - Math.max(deadForMs, 0);
  return Math.max(0, Math.ceil(left / 1000));
}

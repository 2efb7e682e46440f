//! The numbers of the game rules, in one place. Times are in ticks, distances in sub-units
//! (1/256 tile), hit points and experience in whole points.

use mmo_world::physics::SUB;

pub const PLAYER_MAX_HP: u16 = 100;
pub const PLAYER_ATTACK_DAMAGE: u16 = 12;
pub const PLAYER_ATTACK_COOLDOWN: u64 = 8;
/// How far a player's hitbox reaches beyond the front edge of its body (1.25 tiles).
pub const PLAYER_REACH: i32 = SUB * 5 / 4;
/// A dead player stays down this long, then respawns with full hit points.
pub const PLAYER_RESPAWN_TICKS: u64 = 60;

pub const NPC_ATTACK_COOLDOWN: u64 = 20;
/// How far an NPC's hitbox reaches beyond the front edge of its body.
pub const NPC_REACH: i32 = SUB;
/// A dead NPC vanishes and comes back at its spawn point after this long.
pub const NPC_RESPAWN_TICKS: u64 = 100;
/// An NPC chases the nearest living player at most this far away horizontally...
pub const CHASE_RANGE_X: i32 = 10 * SUB;
/// ...and vertically.
pub const CHASE_RANGE_Y: i32 = 3 * SUB;
/// A chasing NPC stops walking once the player's centre is this close.
pub const CHASE_STOP: i32 = SUB;
/// A chasing NPC swings once the player's centre is this close horizontally (its hitbox then
/// reaches the player's body with room to spare).
pub const NPC_SWING_RANGE: i32 = SUB * 3 / 2;
/// Farther than this from its spawn point (horizontally), an NPC gives up and walks home...
pub const LEASH: i32 = 24 * SUB;
/// ...until it is this close again.
pub const LEASH_HOME: i32 = 2 * SUB;

/// The `ATTACKING` pose shows for this many ticks, starting with the tick of the attack.
pub const ATTACK_POSE_TICKS: u64 = 4;
/// The `HURT` pose shows for this many ticks, starting with the tick of the damage.
pub const HURT_POSE_TICKS: u64 = 4;

pub const XP_PER_LEVEL: u32 = 100;

/// What kind of monster an NPC is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Species {
    pub max_hp: u16,
    /// Damage of one of its attacks.
    pub damage: u16,
    /// Experience for the player who kills it.
    pub xp: u32,
}

/// Species 0 (a slime), 1 (a brute) and [`HUNTER`]; higher species numbers play as the last
/// one.
pub const SPECIES: [Species; 3] = [
    Species { max_hp: 30, damage: 8, xp: 10 },
    Species { max_hp: 60, damage: 14, xp: 25 },
    Species { max_hp: 45, damage: 10, xp: 40 },
];

/// The hunter: the species whose fighting is learned (`crate::learned`) unless the zone runs
/// the scripted brain.
pub const HUNTER: u8 = 2;

pub fn species(species: u8) -> Species {
    SPECIES[usize::from(species).min(SPECIES.len() - 1)]
}

/// A player's level for its experience: 1 + xp / 100.
pub fn level(xp: u32) -> u16 {
    u16::try_from(1 + xp / XP_PER_LEVEL).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_species() {
        assert_eq!(level(0), 1);
        assert_eq!(level(99), 1);
        assert_eq!(level(100), 2);
        assert_eq!(level(u32::MAX), u16::MAX);
        assert_eq!(species(0).xp, 10);
        assert_eq!(species(1).max_hp, 60);
        assert_eq!(species(7), species(HUNTER));
    }
}

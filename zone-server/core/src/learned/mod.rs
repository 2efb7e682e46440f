//! The learned brain of the hunter ([`rules::HUNTER`]): a small perceptron trained by
//! `mmo-train` against the zone's own rules, run in fixed point ([`mlp`]) so that every zone
//! decides alike. It fights only: leashing home and patrolling stay scripted (`ai`), and it
//! decides while a player is within chase range.
//!
//! **Observation layout v1** ([`INPUTS`] numbers, Q8: 256 is 1.0). Everything horizontal is
//! seen in the hunter's own frame, +x pointing at its target, so one policy serves both sides:
//!
//! | # | what | range |
//! |---|---|---|
//! | 0 | horizontal distance to the target / chase range | 0..1 |
//! | 1 | vertical offset of the target (down +) / vertical chase range | -1..1 |
//! | 2 | the target within its swing range | 0, 1 |
//! | 3 | its own horizontal speed toward the target / run speed | -1..1 |
//! | 4 | its own vertical speed / jump speed | -1..1 |
//! | 5 | it stands on the ground | 0, 1 |
//! | 6 | it faces the target | -1, 1 |
//! | 7 | its attack is ready | 0, 1 |
//! | 8 | its attack cooldown left / the cooldown | 0..1 |
//! | 9 | the target's horizontal speed toward it / run speed | -1..1 |
//! | 10 | the target faces it | -1, 1 |
//! | 11 | the target swings (its attack pose shows) | 0, 1 |
//! | 12 | its own hit points / its maximum | 0..1 |
//! | 13 | the target's hit points / their maximum | 0..1 |
//! | 14 | toward the target: a wall (1) or a one-tile step (0.5) | 0..1 |
//! | 15 | toward the target: a ledge | 0, 1 |
//! | 16 | away from the target: a wall (1) or a step (0.5) | 0..1 |
//! | 17 | away from the target: a ledge | 0, 1 |
//! | 18 | its home's offset (toward the target +) / the leash | -1..1 |
//!
//! **Actions** ([`ACTIONS`]): the largest output's index `i` is a move (`i / 4`: stay, toward
//! the target, away from it), a jump (`i / 2 % 2`) and an attack (`i % 2`).
//!
//! The weights ship in the repository (`data/hunter-v1.mlp`, with `data/hunter-v1.golden`: the
//! actions training saw for a set of observations, checked here by a test). A new layout gets a
//! new layout version, and weights trained for it.

pub mod mlp;

use mlp::{Mlp, WeightsError, ONE};
use mmo_world::Buttons;
use std::fmt;
use std::str::FromStr;

pub use mlp::SHIFT;

/// The observation layout the policy reads.
pub const LAYOUT_VERSION: u16 = 1;
pub const INPUTS: usize = 19;
pub const ACTIONS: usize = 12;

/// The weights built into the zone: the hunter's policy, version 1.
pub const HUNTER_V1: &[u8] = include_bytes!("../../data/hunter-v1.mlp");

/// Which brain drives the hunter species (`--npc-brain`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NpcBrain {
    #[default]
    Learned,
    Scripted,
}

impl FromStr for NpcBrain {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "learned" => Ok(NpcBrain::Learned),
            "scripted" => Ok(NpcBrain::Scripted),
            other => Err(format!("{other:?} is not a brain: learned or scripted")),
        }
    }
}

impl fmt::Display for NpcBrain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NpcBrain::Learned => "learned",
            NpcBrain::Scripted => "scripted",
        })
    }
}

/// One observation, laid out as the module docs say.
pub type Observation = [i16; INPUTS];

/// What the policy chose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Action {
    /// -1 away from the target, 0 stay, 1 toward it.
    pub step: i8,
    pub jump: bool,
    pub attack: bool,
}

impl Action {
    pub fn from_index(i: usize) -> Action {
        let step = match i / 4 {
            0 => 0,
            1 => 1,
            _ => -1,
        };
        Action { step, jump: i / 2 % 2 == 1, attack: i % 2 == 1 }
    }

    /// The buttons, for a target lying in direction `dir` (-1 left, 1 right).
    pub fn buttons(self, dir: i32) -> Buttons {
        let mut b = 0;
        match i32::from(self.step) * dir {
            d if d < 0 => b |= Buttons::LEFT,
            d if d > 0 => b |= Buttons::RIGHT,
            _ => {}
        }
        if self.jump {
            b |= Buttons::JUMP;
        }
        if self.attack {
            b |= Buttons::ATTACK;
        }
        Buttons(b)
    }
}

/// A trained policy for observation layout [`LAYOUT_VERSION`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    mlp: Mlp,
}

impl Policy {
    /// The policy built into the zone.
    pub fn hunter() -> Policy {
        Policy::from_bytes(HUNTER_V1).expect("the built-in weights fit the layout")
    }

    /// A policy from a weights file; refused unless it reads [`INPUTS`] and gives [`ACTIONS`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Policy, WeightsError> {
        Policy::new(Mlp::from_bytes(bytes)?)
    }

    pub fn new(mlp: Mlp) -> Result<Policy, WeightsError> {
        if mlp.inputs() != INPUTS || mlp.outputs() != ACTIONS {
            return Err(WeightsError::Layout {
                got: mlp.inputs(),
                outputs: mlp.outputs(),
                want_in: INPUTS,
                want_out: ACTIONS,
            });
        }
        Ok(Policy { mlp })
    }

    /// The policy's version (recorded in the cell checkpoints of the zone running it).
    pub fn version(&self) -> u16 {
        self.mlp.version
    }

    pub fn mlp(&self) -> &Mlp {
        &self.mlp
    }

    pub fn act(&self, observation: &Observation) -> Action {
        Action::from_index(self.mlp.argmax(observation))
    }
}

/// `num / den` in Q8, clamped to -1..1.
pub fn ratio(num: i32, den: i32) -> i16 {
    let q = (i64::from(num) << SHIFT) / i64::from(den.max(1));
    q.clamp(-i64::from(ONE), i64::from(ONE)) as i16
}

/// 1.0 or 0.0 in Q8.
pub fn flag(b: bool) -> i16 {
    if b {
        ONE
    } else {
        0
    }
}

/// 1.0 or -1.0 in Q8.
pub fn sign(b: bool) -> i16 {
    if b {
        ONE
    } else {
        -ONE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_decode_in_the_targets_frame() {
        let all: Vec<Action> = (0..ACTIONS).map(Action::from_index).collect();
        assert_eq!(all[0], Action { step: 0, jump: false, attack: false });
        assert_eq!(all[5], Action { step: 1, jump: false, attack: true });
        assert_eq!(all[11], Action { step: -1, jump: true, attack: true });
        assert_eq!(all[5].buttons(-1), Buttons(Buttons::LEFT | Buttons::ATTACK));
        assert_eq!(all[10].buttons(-1), Buttons(Buttons::RIGHT | Buttons::JUMP));
        assert_eq!("learned".parse(), Ok(NpcBrain::Learned));
        assert!("smart".parse::<NpcBrain>().unwrap_err().contains("learned or scripted"));
        assert_eq!(ratio(5, 10), ONE / 2);
        assert_eq!(ratio(-50, 10), -ONE);
    }

    /// The golden file: observations and the actions training computed for them, with the
    /// weights built in. Serving must choose the same.
    #[test]
    fn the_built_in_policy_acts_as_it_did_in_training() {
        let policy = Policy::hunter();
        let golden = include_str!("../../data/hunter-v1.golden");
        let mut cases = 0;
        for line in golden.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
            let (obs, action) = line.split_once("->").expect("obs -> action");
            let obs: Vec<i16> = obs.split_whitespace().map(|v| v.parse().expect("a number")).collect();
            let obs: Observation = obs.try_into().expect("a whole observation");
            let action: usize = action.trim().parse().expect("an action index");
            assert_eq!(policy.mlp.argmax(&obs), action, "observation {obs:?}");
            cases += 1;
        }
        assert!(cases >= 100, "{cases} golden cases");
    }
}

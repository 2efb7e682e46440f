//! The learned brain against the scripted one, on held-out fights (a stream of seeds training
//! never draws from): both brains play the very same fights, against every opponent, and each
//! figure is given with its 95% confidence interval (normal approximation over fights).

use crate::arena::{self, Episode, Outcome};
use crate::es;
use crate::opponent::SKILLS;
use mmo_zone_core::learned::Policy;
use serde::Serialize;

/// The held-out fights' stream.
pub const HELD_OUT: u64 = 0x4e1d_0000_0000_0000;

/// A mean and the half-width of its 95% confidence interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Estimate {
    pub mean: f64,
    pub ci95: f64,
    pub n: usize,
}

impl Estimate {
    pub fn of(values: &[f64]) -> Estimate {
        let n = values.len();
        if n == 0 {
            return Estimate { mean: f64::NAN, ci95: f64::NAN, n };
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n.max(2) - 1) as f64;
        Estimate { mean, ci95: 1.96 * (var / n as f64).sqrt(), n }
    }
}

impl std::fmt::Display for Estimate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.1} ± {:.1}", self.mean, self.ci95)
    }
}

/// One brain's figures over a set of fights.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Figures {
    /// Hit points it took from the player per fight.
    pub dealt: Estimate,
    /// Hit points the player took from it per fight.
    pub taken: Estimate,
    /// Seconds the player needed to kill it, over the fights where it died.
    pub seconds_to_kill: Estimate,
    /// Share of fights it died in, and share the player died in.
    pub died: Estimate,
    pub killed: Estimate,
    /// Times per fight the player got out of its chase range.
    pub lost_target: Estimate,
}

impl Figures {
    pub fn of(outcomes: &[Outcome]) -> Figures {
        let e = |f: &dyn Fn(&Outcome) -> f64| Estimate::of(&outcomes.iter().map(f).collect::<Vec<_>>());
        let kills: Vec<f64> = outcomes.iter().filter(|o| o.hunter_died).map(|o| o.ticks as f64 / 20.0).collect();
        Figures {
            dealt: e(&|o| f64::from(o.dealt)),
            taken: e(&|o| f64::from(o.taken)),
            seconds_to_kill: Estimate::of(&kills),
            died: e(&|o| f64::from(u8::from(o.hunter_died))),
            killed: e(&|o| f64::from(u8::from(o.player_died))),
            lost_target: e(&|o| f64::from(o.lost_target)),
        }
    }
}

/// Both brains on one group of fights, and the learned one's lead in score (dealt less taken)
/// fight by fight.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    pub opponent: &'static str,
    pub learned: Figures,
    pub scripted: Figures,
    pub lead: Estimate,
}

/// Plays `fights` held-out fights with each brain: per opponent, then all together.
pub fn compare(policy: &Policy, fights: u64, threads: usize) -> Vec<Comparison> {
    let episodes: Vec<Episode> = (0..fights).map(|k| Episode::nth(HELD_OUT, k)).collect();
    let learned = es::parallel(&episodes, threads, |e| arena::play(Some(policy), *e));
    let scripted = es::parallel(&episodes, threads, |e| arena::play(None, *e));
    let group = |opponent: &'static str, keep: &dyn Fn(&Episode) -> bool| {
        let pick = |o: &[Outcome]| -> Vec<Outcome> {
            episodes.iter().zip(o).filter(|(e, _)| keep(e)).map(|(_, o)| *o).collect()
        };
        let (l, s) = (pick(&learned), pick(&scripted));
        let lead: Vec<f64> = l.iter().zip(&s).map(|(a, b)| a.score() - b.score()).collect();
        Comparison { opponent, learned: Figures::of(&l), scripted: Figures::of(&s), lead: Estimate::of(&lead) }
    };
    let mut out: Vec<Comparison> =
        SKILLS.iter().enumerate().map(|(i, skill)| group(skill.name, &|e: &Episode| e.skill == i)).collect();
    out.push(group("all", &|_| true));
    out
}

/// The comparison as a Markdown table.
pub fn table(rows: &[Comparison]) -> String {
    let mut t = String::from(
        "| opponent | brain | damage dealt | damage taken | seconds to kill it | it dies | player dies | target lost | lead (dealt - taken) |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        for (brain, f, lead) in
            [("learned", &r.learned, format!("{}", r.lead)), ("scripted", &r.scripted, String::new())]
        {
            t.push_str(&format!(
                "| {} | {brain} | {} | {} | {} | {:.0}% | {:.0}% | {} | {lead} |\n",
                r.opponent,
                f.dealt,
                f.taken,
                f.seconds_to_kill,
                100.0 * f.died.mean,
                100.0 * f.killed.mean,
                f.lost_target,
            ));
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_have_their_interval() {
        let e = Estimate::of(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(e.mean, 2.5);
        assert!((e.ci95 - 1.96 * (1.666_666_7f64 / 4.0).sqrt()).abs() < 1e-6);
        assert!(Estimate::of(&[]).mean.is_nan());
    }
}

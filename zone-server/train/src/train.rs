//! The training run: evolution strategies ([`crate::es`]) on fights ([`crate::arena`]) drawn
//! from the seed, a progress line per generation, and a check against the scripted brain on
//! validation fights every few generations. It ends with the weights file and the golden file
//! (observations and the actions these weights choose) that the zone's tests read.

use crate::arena::{self, Episode};
use crate::es::{self, Adam};
use mmo_world::rng::SplitMix64;
use mmo_zone_core::learned::{self, Observation, Policy, INPUTS};
use std::io::Write;
use std::time::Instant;

/// The fights validation uses, apart from training's.
const VALIDATION_STREAM: u64 = 0x7a11_da7e;
const VALIDATION_EPISODES: u64 = 64;

#[derive(Clone, Debug, PartialEq)]
pub struct TrainConfig {
    pub seed: u64,
    pub generations: u32,
    /// Antithetic pairs per generation.
    pub pairs: usize,
    /// Fights each candidate plays per generation (the same for all).
    pub episodes: u64,
    pub sigma: f32,
    pub rate: f32,
    pub threads: usize,
    /// The policy version written into the weights.
    pub version: u16,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            seed: 1,
            generations: 150,
            pairs: 32,
            episodes: 32,
            sigma: 0.08,
            rate: 0.03,
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            version: 1,
        }
    }
}

/// One generation's figures.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Generation {
    pub generation: u32,
    /// Mean fitness of the generation's candidates on its fights.
    pub mean: f64,
    pub best: f64,
    /// Mean fitness on the validation fights, learned and scripted (every few generations).
    pub validation: Option<(f64, f64)>,
}

/// Mean fitness of `policy` (`None`: scripted) over `episodes`.
pub fn mean_score(policy: Option<&Policy>, episodes: &[Episode], threads: usize) -> f64 {
    let scores = es::parallel(episodes, threads, |e| arena::play(policy, *e).fitness());
    scores.iter().sum::<f64>() / scores.len().max(1) as f64
}

/// Trains; `progress` gets a line per generation. The trained policy and the generations.
pub fn train(config: &TrainConfig, progress: &mut impl Write) -> std::io::Result<(Policy, Vec<Generation>)> {
    let mut rng = SplitMix64::new(config.seed);
    let mut theta = es::initial(&mut rng);
    let n = theta.len();
    let mut adam = Adam::new(n, config.rate);
    let validation: Vec<Episode> = (0..VALIDATION_EPISODES).map(|k| Episode::nth(VALIDATION_STREAM, k)).collect();
    let scripted = mean_score(None, &validation, config.threads);
    writeln!(progress, "training a {n}-parameter policy: {} generations of {} candidates x {} fights; the scripted brain scores {scripted:.1} on the validation fights", config.generations, 2 * config.pairs, config.episodes)?;
    let mut history = Vec::new();
    for generation in 0..config.generations {
        let started = Instant::now();
        let first = u64::from(generation) * config.episodes;
        let episodes: Vec<Episode> = (first..first + config.episodes).map(|k| Episode::nth(config.seed, k)).collect();
        let noise: Vec<Vec<f32>> =
            (0..config.pairs).map(|_| (0..n).map(|_| es::gaussian(&mut rng)).collect()).collect();
        let candidates: Vec<Policy> = noise
            .iter()
            .flat_map(|eps| {
                [1.0f32, -1.0].map(|side| {
                    let moved: Vec<f32> = theta.iter().zip(eps).map(|(t, e)| t + side * config.sigma * e).collect();
                    es::policy(&moved, config.version)
                })
            })
            .collect();
        let scores: Vec<f64> = es::parallel(&candidates, config.threads, |p| {
            episodes.iter().map(|e| arena::play(Some(p), *e).fitness()).sum::<f64>() / episodes.len() as f64
        });
        let ranks = es::centred_ranks(&scores);
        let mut gradient = vec![0.0f32; n];
        for (i, eps) in noise.iter().enumerate() {
            let weight = ranks[2 * i] - ranks[2 * i + 1];
            for (g, e) in gradient.iter_mut().zip(eps) {
                *g += weight * e;
            }
        }
        let scale = 1.0 / (config.pairs as f32 * config.sigma);
        for (g, t) in gradient.iter_mut().zip(&theta) {
            *g = *g * scale - 0.005 * t;
        }
        adam.ascend(&mut theta, &gradient);
        let mean = scores.iter().sum::<f64>() / scores.len() as f64;
        let best = scores.iter().copied().fold(f64::MIN, f64::max);
        let last = generation + 1 == config.generations;
        let validation = (generation % 10 == 9 || last)
            .then(|| (mean_score(Some(&es::policy(&theta, config.version)), &validation, config.threads), scripted));
        let shown = validation.map_or(String::new(), |(l, s)| format!("; validation: learned {l:.1}, scripted {s:.1}"));
        writeln!(
            progress,
            "generation {}/{}: mean {mean:.1}, best {best:.1} ({:.1} s){shown}",
            generation + 1,
            config.generations,
            started.elapsed().as_secs_f64()
        )?;
        history.push(Generation { generation: generation + 1, mean, best, validation });
    }
    Ok((es::policy(&theta, config.version), history))
}

/// Observations drawn from `seed` over the layout's ranges, each with the action `policy`
/// chooses, one per line (the golden file the zone's test checks).
pub fn golden(policy: &Policy, seed: u64, count: usize) -> String {
    let mut rng = SplitMix64::new(seed);
    let one = i32::from(learned::mlp::ONE);
    let mut out = String::from("# observation (19 numbers, Q8) -> action index; written by mmo-train\n");
    for _ in 0..count {
        let mut obs: Observation = [0; INPUTS];
        for (i, v) in obs.iter_mut().enumerate() {
            *v = match i {
                // Flags: 0 or 1; signs: -1 or 1; distances and fractions 0..1.
                2 | 5 | 7 | 11 | 15 | 17 => (rng.below(2) as i32 * one) as i16,
                6 | 10 => {
                    if rng.below(2) == 0 {
                        -one as i16
                    } else {
                        one as i16
                    }
                }
                0 | 8 | 12 | 13 | 14 | 16 => rng.below(one as u32 + 1) as i16,
                _ => (rng.below(2 * one as u32 + 1) as i32 - one) as i16,
            };
        }
        let action = policy.mlp().argmax(&obs);
        let numbers: Vec<String> = obs.iter().map(i16::to_string).collect();
        out.push_str(&format!("{} -> {action}\n", numbers.join(" ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small(seed: u64) -> TrainConfig {
        TrainConfig { seed, generations: 2, pairs: 3, episodes: 2, threads: 2, ..TrainConfig::default() }
    }

    #[test]
    fn a_seed_trains_the_same_weights_and_another_seed_others() {
        let (a, history) = train(&small(4), &mut Vec::new()).unwrap();
        let (b, _) = train(&small(4), &mut Vec::new()).unwrap();
        assert_eq!(a.mlp().to_bytes(), b.mlp().to_bytes());
        assert_ne!(a, train(&small(5), &mut Vec::new()).unwrap().0);
        assert_eq!(history.len(), 2);
        assert!(history[1].validation.is_some(), "the last generation is validated");
    }

    #[test]
    fn the_golden_file_is_what_the_policy_chooses() {
        let policy = es::policy(&es::initial(&mut SplitMix64::new(2)), 1);
        let text = golden(&policy, 9, 20);
        let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(lines.len(), 20);
        for line in lines {
            let (obs, action) = line.split_once(" -> ").unwrap();
            let obs: Vec<i16> = obs.split(' ').map(|v| v.parse().unwrap()).collect();
            assert_eq!(obs.len(), INPUTS);
            assert_eq!(policy.mlp().argmax(&obs), action.parse::<usize>().unwrap());
        }
    }
}

//! Evolution strategies (Salimans et al., 2017): each generation perturbs the parameters with
//! Gaussian noise in antithetic pairs (`θ + σε`, `θ − σε`), plays every candidate on the same
//! episodes, ranks their scores, and steps along the rank-weighted noise with Adam. A
//! candidate is always played as the zone serves it: quantized to the fixed-point perceptron,
//! so what is trained is what runs.
//!
//! Everything is drawn from one seed and summed in a fixed order, and candidates are scored in
//! parallel but gathered by index: a seed gives the same weights on any machine.

use mmo_world::rng::SplitMix64;
use mmo_zone_core::learned::mlp::{Layer, Mlp, ONE};
use mmo_zone_core::learned::{Policy, ACTIONS, INPUTS};

/// The perceptron's shape: inputs, two hidden layers, actions.
pub const SHAPE: [usize; 4] = [INPUTS, 32, 32, ACTIONS];

/// A standard normal number (Box-Muller).
pub fn gaussian(rng: &mut SplitMix64) -> f32 {
    let u = |rng: &mut SplitMix64| ((rng.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    let (a, b) = (u(rng), u(rng));
    ((-2.0 * a.ln()).sqrt() * (std::f64::consts::TAU * b).cos()) as f32
}

/// How many parameters the shape has.
pub fn parameters() -> usize {
    SHAPE.windows(2).map(|w| w[0] * w[1] + w[1]).sum()
}

/// Initial parameters: weights scaled to each layer's fan-in, biases zero.
pub fn initial(rng: &mut SplitMix64) -> Vec<f32> {
    let mut theta = Vec::with_capacity(parameters());
    for w in SHAPE.windows(2) {
        let scale = (2.0 / w[0] as f32).sqrt();
        theta.extend((0..w[0] * w[1]).map(|_| gaussian(rng) * scale));
        theta.extend(std::iter::repeat_n(0.0, w[1]));
    }
    theta
}

/// The fixed-point policy the zone would run for `theta`.
pub fn policy(theta: &[f32], version: u16) -> Policy {
    let q = |v: f32| (v * f32::from(ONE)).round().clamp(f32::from(i16::MIN), f32::from(i16::MAX)) as i16;
    let mut at = 0;
    let mut take = |n: usize| {
        let part: Vec<i16> = theta[at..at + n].iter().map(|v| q(*v)).collect();
        at += n;
        part
    };
    let layers = SHAPE
        .windows(2)
        .map(|w| {
            let weights = take(w[0] * w[1]);
            Layer { inputs: w[0], outputs: w[1], weights, biases: take(w[1]) }
        })
        .collect();
    Policy::new(Mlp { version, layers }).expect("the shape fits the layout")
}

/// Adam's state.
#[derive(Debug)]
pub struct Adam {
    m: Vec<f32>,
    v: Vec<f32>,
    t: i32,
    pub rate: f32,
}

impl Adam {
    pub fn new(n: usize, rate: f32) -> Self {
        Adam { m: vec![0.0; n], v: vec![0.0; n], t: 0, rate }
    }

    /// Steps `theta` up `gradient`.
    pub fn ascend(&mut self, theta: &mut [f32], gradient: &[f32]) {
        const B1: f32 = 0.9;
        const B2: f32 = 0.999;
        self.t += 1;
        let (c1, c2) = (1.0 - B1.powi(self.t), 1.0 - B2.powi(self.t));
        for i in 0..theta.len() {
            self.m[i] = B1 * self.m[i] + (1.0 - B1) * gradient[i];
            self.v[i] = B2 * self.v[i] + (1.0 - B2) * gradient[i] * gradient[i];
            theta[i] += self.rate * (self.m[i] / c1) / ((self.v[i] / c2).sqrt() + 1e-8);
        }
    }
}

/// Centred ranks of `scores`, in -0.5..=0.5 (ties by index: deterministic).
pub fn centred_ranks(scores: &[f64]) -> Vec<f32> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|a, b| scores[*a].total_cmp(&scores[*b]).then(a.cmp(b)));
    let mut ranks = vec![0.0; scores.len()];
    let top = (scores.len().max(2) - 1) as f32;
    for (rank, i) in order.into_iter().enumerate() {
        ranks[i] = rank as f32 / top - 0.5;
    }
    ranks
}

/// Runs `f` on every item with `threads` threads; the results in item order.
pub fn parallel<T: Sync, R: Send>(items: &[T], threads: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    let slots = std::sync::Mutex::new(&mut results);
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let r = f(item);
                slots.lock().expect("no worker panicked")[i] = Some(r);
            });
        }
    });
    results.into_iter().map(|r| r.expect("every item was run")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_are_centred_and_ties_are_stable() {
        assert_eq!(centred_ranks(&[3.0, 1.0, 2.0]), vec![0.5, -0.5, 0.0]);
        assert_eq!(centred_ranks(&[1.0, 1.0]), vec![-0.5, 0.5]);
    }

    #[test]
    fn parameters_map_onto_the_served_perceptron() {
        let mut rng = SplitMix64::new(1);
        let theta = initial(&mut rng);
        assert_eq!(theta.len(), parameters());
        let p = policy(&theta, 7);
        assert_eq!(p.version(), 7);
        assert_eq!(p.mlp().parameters(), parameters());
        assert_eq!(p.mlp().layers[0].weights[0], (theta[0] * 256.0).round() as i16);
        let squares: Vec<u64> = parallel(&[1u64, 2, 3, 4, 5], 3, |x| x * x);
        assert_eq!(squares, [1, 4, 9, 16, 25]);
    }

    #[test]
    fn adam_climbs_a_hill() {
        let mut theta = vec![0.0f32; 2];
        let mut adam = Adam::new(2, 0.1);
        for _ in 0..200 {
            let gradient: Vec<f32> = theta.iter().zip([1.0, -2.0]).map(|(t, top)| top - t).collect();
            adam.ascend(&mut theta, &gradient);
        }
        assert!((theta[0] - 1.0).abs() < 0.1 && (theta[1] + 2.0).abs() < 0.1, "{theta:?}");
    }
}

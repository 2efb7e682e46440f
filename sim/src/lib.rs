//! A seeded, deterministic simulation of the whole cluster (issue 17): the real zone cores
//! (`mmo-zone-core`, sans-IO, unchanged) and the real rebalancing policy and migration
//! bookkeeping of the coordinator, with a simulated registry, network and clock in one plain
//! event loop. Every choice (delays, losses, faults, the players' buttons) comes from one seed,
//! so a failing seed replays exactly, step for step.
//!
//! Why a plain loop rather than a simulated async runtime (such as `turmoil`): the parts under
//! test are already sans-IO (the zone core takes messages and ticks; the policy takes a view and
//! returns moves), so driving them needs no runtime at all, runs thousands of ticks a second
//! and cannot be perturbed by a scheduler. What the loop stands in for: the registry (etcd: one
//! epoch counter, a watch that reaches zones a few ticks late, leader elections), the zone
//! links (ordered per pair, delayed, lossy for what a broken connection loses, cut by
//! partitions), the zone runtime's glue (assignment changes through `mmo_cluster::takeover`,
//! ghost frames from neighbours, load reports), and the gateways (each player's inputs go to the
//! zone its last frame named).
//!
//! Persistence runs on the real in-memory stores, written and read as the zone runtime, the
//! zone host and the gateways do ([`stores`]); only the time a write takes is modelled.
//!
//! Modelled, not run: tick time (a cost per entity, times a slow zone's factor), store write
//! latency (0 to 2 ticks a batch).
//!
//! `cargo run -p mmo-sim --release -- --seeds 1000` runs seeds; a failing one prints its
//! violation, and `--seed N` replays it. `-- --scale --out DIR` runs the 100-zone model
//! ([`scale`]) and writes its report.

pub mod check;
pub mod cluster;
pub mod leader;
pub mod net;
pub mod players;
pub mod registry;
pub mod report;
pub mod scale;
pub mod stores;
pub mod zone;

pub use check::Violation;
pub use cluster::{run, Faults, SimConfig, Summary};
pub use scale::{run_scale, ScaleConfig, ScaleRun};

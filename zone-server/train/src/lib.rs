//! Training and measuring the hunter's learned brain (`mmo_zone_core::learned`).
//!
//! - [`arena`]: one fight on the real zone core, hunter against a scripted player;
//! - [`opponent`]: the scripted players, of varied skill;
//! - [`es`]: evolution strategies over the fixed-point perceptron the zone serves;
//! - [`train`]: the training run, its progress, the weights and golden files it writes;
//! - [`measure`]: the learned brain against the scripted one on held-out fights, with
//!   confidence intervals.

pub mod arena;
pub mod es;
pub mod measure;
pub mod opponent;
pub mod train;

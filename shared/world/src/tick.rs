//! The one global tick of the cluster: `tick = (unix_ms - world_epoch_ms) / tick_ms`.
//!
//! Every zone steps on the same boundaries, so a tick number means the same instant everywhere.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch by the system clock (0 before the epoch), for what callers
/// pass in: [`TickClock::tick_at`], lease and report timestamps, logged events. The one clock
/// read of this crate; the simulation never calls it.
pub fn unix_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A simulation step number, global to the cluster.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Tick(pub u64);

impl Tick {
    pub fn next(self) -> Tick {
        Tick(self.0 + 1)
    }

    /// Ticks from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: Tick) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl fmt::Debug for Tick {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t{}", self.0)
    }
}

impl fmt::Display for Tick {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Maps wall-clock milliseconds to ticks. Pure arithmetic: callers pass the time in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TickClock {
    /// Unix milliseconds of tick 0.
    pub epoch_ms: u64,
    /// Length of one tick in milliseconds (50 = 20 Hz).
    pub tick_ms: u32,
}

impl TickClock {
    pub const DEFAULT_TICK_MS: u32 = 50;

    /// The tick running at `unix_ms`.
    pub fn tick_at(&self, unix_ms: u64) -> Tick {
        Tick(unix_ms.saturating_sub(self.epoch_ms) / u64::from(self.tick_ms))
    }

    /// Unix milliseconds at which `tick` starts.
    pub fn start_of(&self, tick: Tick) -> u64 {
        self.epoch_ms + tick.0 * u64::from(self.tick_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_fall_on_shared_boundaries() {
        let clock = TickClock { epoch_ms: 1_000, tick_ms: 50 };
        assert_eq!(clock.tick_at(1_000), Tick(0));
        assert_eq!(clock.tick_at(1_049), Tick(0));
        assert_eq!(clock.tick_at(1_050), Tick(1));
        assert_eq!(clock.start_of(Tick(3)), 1_150);
        assert_eq!(clock.tick_at(0), Tick(0), "before the epoch is tick 0");
    }
}

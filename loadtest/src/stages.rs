//! Stages, as k6 has them: each stage moves the number of bots linearly from where the previous
//! stage ended (0 at the start) to its `target` over its `duration`.

use crate::duration;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// One stage: reach `target` bots by the end of `duration`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    #[serde(with = "duration")]
    pub duration: Duration,
    pub target: u32,
}

impl std::str::FromStr for Stage {
    type Err = String;

    /// `10s:50`: 50 bots by the end of 10 seconds.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (d, n) = s.split_once(':').ok_or_else(|| format!("{s:?}: expected DURATION:BOTS, like 30s:100"))?;
        let duration = duration::parse(d)?;
        let target = n.trim().parse().map_err(|_| format!("{s:?}: {n:?} is not a number of bots"))?;
        Ok(Stage { duration, target })
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", duration::format(self.duration), self.target)
    }
}

/// The whole plan: the target number of bots at any moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    stages: Vec<Stage>,
}

impl Plan {
    pub fn new(stages: Vec<Stage>) -> Self {
        Plan { stages }
    }

    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }

    pub fn total(&self) -> Duration {
        self.stages.iter().map(|s| s.duration).sum()
    }

    /// The most bots any stage asks for.
    pub fn peak(&self) -> u32 {
        self.stages.iter().map(|s| s.target).max().unwrap_or(0)
    }

    /// Target bots (fractional) at `elapsed` since the start; after the end, the last target.
    pub fn target_at(&self, elapsed: Duration) -> f64 {
        let mut from = 0.0;
        let mut start = Duration::ZERO;
        for stage in &self.stages {
            let end = start + stage.duration;
            let to = f64::from(stage.target);
            if elapsed < end {
                let into = (elapsed - start).as_secs_f64() / stage.duration.as_secs_f64();
                return from + (to - from) * into;
            }
            from = to;
            start = end;
        }
        from
    }

    /// Index of the stage running at `elapsed` (the last one after the end).
    pub fn stage_at(&self, elapsed: Duration) -> usize {
        let mut end = Duration::ZERO;
        for (i, stage) in self.stages.iter().enumerate() {
            end += stage.duration;
            if elapsed < end {
                return i;
            }
        }
        self.stages.len().saturating_sub(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(stages: &[&str]) -> Plan {
        Plan::new(stages.iter().map(|s| s.parse().unwrap()).collect())
    }

    #[test]
    fn parses_flags() {
        assert_eq!("10s:50".parse(), Ok(Stage { duration: Duration::from_secs(10), target: 50 }));
        assert_eq!("1m30s:0".parse::<Stage>().unwrap().duration, Duration::from_secs(90));
        assert!("10s".parse::<Stage>().unwrap_err().contains("DURATION:BOTS"));
        assert!("10s:many".parse::<Stage>().unwrap_err().contains("not a number"));
        assert_eq!("1m30s:7".parse::<Stage>().unwrap().to_string(), "1m30s:7");
    }

    #[test]
    fn interpolates_ramp_hold_and_ramp_down() {
        let p = plan(&["10s:100", "20s:100", "10s:0"]);
        assert_eq!(p.total(), Duration::from_secs(40));
        assert_eq!(p.peak(), 100);
        let at = |s: f64| p.target_at(Duration::from_secs_f64(s));
        assert_eq!(at(0.0), 0.0);
        assert_eq!(at(5.0), 50.0);
        assert_eq!(at(10.0), 100.0);
        assert_eq!(at(25.0), 100.0);
        assert_eq!(at(35.0), 50.0);
        assert_eq!(at(40.0), 0.0);
        assert_eq!(at(100.0), 0.0);
        assert_eq!(p.stage_at(Duration::from_secs(12)), 1);
        assert_eq!(p.stage_at(Duration::from_secs(99)), 2);
    }

    #[test]
    fn a_zero_length_stage_jumps() {
        let p = plan(&["0s:30", "10s:30"]);
        assert_eq!(p.target_at(Duration::ZERO), 30.0);
        assert_eq!(p.target_at(Duration::from_secs(5)), 30.0);
    }
}

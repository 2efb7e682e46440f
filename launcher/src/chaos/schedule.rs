//! When the soak strikes, and what (pure): each kind of fault at its first time and then every
//! period, until the quiet tail before the end, in time order. Which member each one hits is
//! decided round robin by [`Plan`]'s counters, so a seed-free schedule still hits them all.

use serde::Serialize;
use std::time::Duration;

/// A kind of fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// kill -9 of a zone (the supervisor starts it again under its id).
    ZoneKill,
    /// kill -9 of the coordinator that leads.
    LeaderKill,
    /// kill -9 of a gateway (its players resume on another).
    GatewayKill,
    /// SIGSTOP of a zone for longer than its lease, then SIGCONT: it must be fenced.
    ZonePause,
}

impl FaultKind {
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::ZoneKill => "zone kill",
            FaultKind::LeaderKill => "leader kill",
            FaultKind::GatewayKill => "gateway kill",
            FaultKind::ZonePause => "zone pause",
        }
    }
}

/// One kind's timing: first at `first`, then every `every` (none again if `every` is zero).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Every {
    pub first: Duration,
    pub every: Duration,
}

/// The soak's timing.
#[derive(Clone, Debug)]
pub struct Schedule {
    pub zone_kill: Every,
    pub leader_kill: Every,
    pub gateway_kill: Every,
    /// The one zone pause (none if `None`).
    pub pause_at: Option<Duration>,
    /// No fault starts in this last stretch of the run: the world settles for the census.
    pub quiet_tail: Duration,
}

impl Schedule {
    /// The cadence: a zone every 60 s, the leader every 90 s, a gateway every 120 s,
    /// their first strikes 15 s apart so each one's effects can be told apart, and one pause.
    pub fn standard() -> Schedule {
        let s = Duration::from_secs;
        Schedule {
            zone_kill: Every { first: s(30), every: s(60) },
            leader_kill: Every { first: s(45), every: s(90) },
            gateway_kill: Every { first: s(60), every: s(120) },
            pause_at: Some(s(110)),
            quiet_tail: s(30),
        }
    }

    /// Every fault of a run of `duration`, in time order.
    pub fn plan(&self, duration: Duration) -> Vec<(Duration, FaultKind)> {
        let last = duration.saturating_sub(self.quiet_tail);
        let mut plan = Vec::new();
        for (timing, kind) in [
            (self.zone_kill, FaultKind::ZoneKill),
            (self.leader_kill, FaultKind::LeaderKill),
            (self.gateway_kill, FaultKind::GatewayKill),
        ] {
            let mut at = timing.first;
            while at <= last {
                plan.push((at, kind));
                if timing.every.is_zero() {
                    break;
                }
                at += timing.every;
            }
        }
        if let Some(at) = self.pause_at.filter(|at| *at <= last) {
            plan.push((at, FaultKind::ZonePause));
        }
        plan.sort();
        plan
    }
}

/// Which member the next fault of each kind hits: zones and gateways in turn (the highest id
/// first: the first gateway is the bots' target, hit second), the leader wherever it is.
#[derive(Debug)]
pub struct Plan {
    zones: u32,
    gateways: u32,
    zone_faults: u32,
    gateway_faults: u32,
}

impl Plan {
    pub fn new(zones: u32, gateways: u32) -> Plan {
        Plan { zones: zones.max(1), gateways: gateways.max(1), zone_faults: 0, gateway_faults: 0 }
    }

    /// The zone the next zone kill or pause hits (1-based id).
    pub fn next_zone(&mut self) -> u32 {
        self.zone_faults += 1;
        self.zones - (self.zone_faults - 1) % self.zones
    }

    /// The gateway the next gateway kill hits (1-based id).
    pub fn next_gateway(&mut self) -> u32 {
        self.gateway_faults += 1;
        self.gateways - (self.gateway_faults - 1) % self.gateways
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn ten_minutes_of_the_standard_cadence() {
        let plan = Schedule::standard().plan(s(600));
        let count = |k| plan.iter().filter(|(_, kind)| *kind == k).count();
        // Zones at 30, 90, ..., 570; the leader at 45, ..., 495; gateways at 60, ..., 540.
        assert_eq!(count(FaultKind::ZoneKill), 10);
        assert_eq!(count(FaultKind::LeaderKill), 6);
        assert_eq!(count(FaultKind::GatewayKill), 5);
        assert_eq!(count(FaultKind::ZonePause), 1);
        assert!(plan.windows(2).all(|w| w[0].0 <= w[1].0), "in time order");
        assert!(plan.iter().all(|(at, _)| *at <= s(570)), "none in the quiet tail");
        let gaps: Vec<u64> = plan.windows(2).map(|w| (w[1].0 - w[0].0).as_secs()).collect();
        assert!(gaps.iter().all(|g| *g >= 10), "faults at least 10 s apart: {gaps:?}");
    }

    #[test]
    fn a_zero_period_strikes_once_and_the_pause_is_dropped_past_the_end() {
        let schedule = Schedule {
            zone_kill: Every { first: s(15), every: Duration::ZERO },
            leader_kill: Every { first: s(27), every: s(1000) },
            gateway_kill: Every { first: s(39), every: Duration::ZERO },
            pause_at: Some(s(80)),
            quiet_tail: s(25),
        };
        let kinds: Vec<FaultKind> = schedule.plan(s(90)).into_iter().map(|(_, k)| k).collect();
        assert_eq!(kinds, [FaultKind::ZoneKill, FaultKind::LeaderKill, FaultKind::GatewayKill]);
    }

    #[test]
    fn members_are_hit_in_turn() {
        let mut plan = Plan::new(4, 2);
        let zones: Vec<u32> = (0..6).map(|_| plan.next_zone()).collect();
        assert_eq!(zones, [4, 3, 2, 1, 4, 3]);
        let gateways: Vec<u32> = (0..3).map(|_| plan.next_gateway()).collect();
        assert_eq!(gateways, [2, 1, 2]);
    }
}

//! The simulated coordinator leader: the real [`Policy`] and the real bookkeeping of migrations
//! in flight ([`InFlight`]), run once per period against the simulated registry, as the
//! service's `Coordinator::step` runs them against etcd. A leader change (the leader's process
//! dies) leaves no leader for the election's TTL; the next one starts with a fresh policy
//! (no hot streaks) and nothing in flight, as a new replica does, and recalls the cooldowns of
//! the moves in the registry's log ([`Policy::recall`]).

use crate::registry::SimRegistry;
use mmo_coordinator::flight::{InFlight, Migration};
use mmo_coordinator::policy::{Policy, PolicyConfig, PolicyInput, ZoneState};
use mmo_world::{Layout, WorldGeometry, ZoneId};
use std::collections::BTreeMap;

#[derive(Debug)]
pub struct SimLeader {
    config: PolicyConfig,
    policy: Policy,
    in_flight: InFlight,
    migration_timeout_ms: u64,
    /// The current leader's term (1 for the first).
    pub term: u32,
    /// No leader until then (an election after the last one died).
    leaderless_until_ms: u64,
    /// Whether the current leader read the move log yet.
    recalled: bool,
}

impl SimLeader {
    pub fn new(config: PolicyConfig, migration_timeout_ms: u64) -> Self {
        SimLeader {
            policy: Policy::new(config.clone()),
            config,
            in_flight: InFlight::default(),
            migration_timeout_ms,
            term: 1,
            leaderless_until_ms: 0,
            recalled: false,
        }
    }

    /// The leader dies at `now_ms`; another leads `ttl_ms` later.
    pub fn fail_over(&mut self, now_ms: u64, ttl_ms: u64) {
        self.policy = Policy::new(self.config.clone());
        self.in_flight = InFlight::default();
        self.term += 1;
        self.leaderless_until_ms = now_ms + ttl_ms;
        self.recalled = false;
    }

    pub fn leading(&self, now_ms: u64) -> bool {
        now_ms >= self.leaderless_until_ms
    }

    /// One period: settles migrations, plans and writes the moves, then the splits and merges.
    /// How many it wrote.
    pub fn period(
        &mut self,
        now_ms: u64,
        geometry: &WorldGeometry,
        zones: &BTreeMap<ZoneId, ZoneState>,
        registry: &mut SimRegistry,
    ) -> usize {
        if !self.leading(now_ms) {
            return 0;
        }
        if !self.recalled {
            // As the service does when it starts leading: the cooldowns of earlier leaders' moves.
            self.policy.recall(registry.written.iter().map(|w| (w.cell, w.at_ms, &w.reason)), now_ms);
            self.recalled = true;
        }
        self.in_flight.settle(&registry.loads, now_ms, self.migration_timeout_ms);
        let assignment = registry.owners();
        let in_flight = self.in_flight.cells();
        let loads = &registry.loads;
        let layout = Layout::implied(*geometry, assignment.keys().copied()).expect("the simulated table is a layout");
        let decisions = self.policy.plan(&PolicyInput {
            now_ms,
            layout: &layout,
            assignment: &assignment,
            zones,
            loads,
            in_flight: &in_flight,
        });
        for step in &decisions.moves {
            let epoch = registry.write(now_ms, step.cell, step.to, step.reason.clone(), self.term);
            if step.is_migration() {
                self.in_flight.start(Migration {
                    cell: step.cell,
                    from: step.from,
                    to: step.to,
                    epoch,
                    started_unix_ms: now_ms,
                    reason: step.reason.clone(),
                });
            }
        }
        for reshape in &decisions.reshapes {
            registry.reshape(now_ms, reshape, self.term);
        }
        decisions.moves.len() + decisions.reshapes.len()
    }

    pub fn cooldown_ms(&self) -> u64 {
        self.config.cell_cooldown_ms
    }
}

//! Gateway runs this zone was told are gone ([`mmo_cluster::ZoneCommand::GatewayGone`]), for a
//! while: a player of such a run still in a transfer then lands here and logs out later
//! ([`mmo_zone_core::LoggedOut`]); once it is saved, the zone releases the claim of its name
//! that run still holds, as for the players it logged out at once.

use mmo_world::{GatewayId, GatewayRun};
use std::collections::HashMap;
use std::time::Duration;
use tokio::time::Instant;

/// How long a gone run is remembered: far longer than any transfer takes to land.
const REMEMBER: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
pub(super) struct GoneRuns {
    runs: HashMap<GatewayId, (u64, Instant)>,
}

impl GoneRuns {
    pub fn note(&mut self, gone: GatewayRun) {
        let now = Instant::now();
        self.runs.retain(|_, (_, at)| now.duration_since(*at) < REMEMBER);
        self.runs.insert(gone.gateway, (gone.run, now));
    }

    /// The run of `gateway` that is gone, if one was lately.
    pub fn of(&self, gateway: GatewayId) -> Option<GatewayRun> {
        let (run, at) = self.runs.get(&gateway)?;
        (at.elapsed() < REMEMBER).then_some(GatewayRun { gateway, run: *run })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_gone_run_is_remembered_for_a_minute() {
        let mut gone = GoneRuns::default();
        let run = GatewayRun { gateway: GatewayId(2), run: 7 };
        gone.note(run);
        assert_eq!(gone.of(GatewayId(2)), Some(run));
        assert_eq!(gone.of(GatewayId(1)), None);
        tokio::time::sleep(REMEMBER).await;
        assert_eq!(gone.of(GatewayId(2)), None);
    }
}

//! Who is online across the world's gateways, in hot state (`mmo_store::HotState`; Redis when
//! there are several gateways): a name plays on one gateway at a time. A gateway claims a name
//! at login, refreshes its claims while they play (they lapse [`ONLINE_TTL`] after a gateway
//! dies) and releases them at logout.
//!
//! A gateway that dies (kill -9) leaves its claims behind. Its players' zones log them out
//! once its lease expires, save them, and release their claims (`HotState::release_online`);
//! a gateway resuming such a player waits for that release (up to [`ORPHAN_WAIT`]) so that it
//! loads the saved state and the zone holds no second avatar; the claim is taken over after
//! that wait anyway (the player was on no zone). A gateway restarted under the same id treats
//! the claims its previous run left in its name the same way ([`Online::inherit_previous_run`]).
//! A claim names the gateway's run, not only the gateway: a zone's late release of a previous
//! run's claim (after the wait) leaves the claim this run took over alone.
//!
//! Hot state being down must not lock everyone out: a claim that cannot be checked is allowed
//! (logged and counted in `mmo_gateway_online_errors_total`); this gateway's own name table
//! still refuses a second session of a name here.

use crate::peers::Peers;
use mmo_protocol::ErrorCode;
use mmo_store::{AnyHot, HotState, OnlineSession};
use mmo_world::{GatewayId, GatewayRun};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;
use tracing::{info, warn};

/// How long a claim lasts without a refresh.
pub const ONLINE_TTL: Duration = Duration::from_secs(30);
/// How often a gateway refreshes its claims.
pub const REFRESH_EVERY: Duration = Duration::from_secs(10);
/// How often a resuming client's claim is retried while another gateway still holds the name.
const RETRY: Duration = Duration::from_millis(100);
/// How long a claim left by a gateway that is gone is waited on for the zones to release it
/// before it is taken over.
pub const ORPHAN_WAIT: Duration = Duration::from_secs(5);

/// This gateway's view of the world's online players.
#[derive(Clone, Debug)]
pub struct Online {
    hot: AnyHot,
    /// This run of this gateway: what its claims hold.
    me: GatewayRun,
    /// The world's registered gateways (none in a one-gateway world): a claim of a gateway
    /// that is gone (killed: its lease expired) does not hold a name, nor list it online.
    peers: Option<Peers>,
    /// Names claimed in this gateway's id by its previous run (lower case), until claimed by
    /// this one.
    inherited: Arc<Mutex<HashSet<String>>>,
}

fn store_error(what: &str, name: &str, error: &mmo_store::StoreError) {
    metrics::counter!("mmo_gateway_online_errors_total").increment(1);
    warn!(%error, player = %name, "{what}: hot state unavailable");
}

impl Online {
    pub fn new(hot: AnyHot, me: GatewayRun, peers: Option<Peers>) -> Self {
        Online { hot, me, peers, inherited: Arc::default() }
    }

    /// Notes the names still claimed in this gateway's id (by its previous run, killed): a
    /// resume of one waits for its zone to release it, as for any gone gateway's claim.
    pub async fn inherit_previous_run(&self) {
        match self.hot.online().await {
            Ok(online) => {
                let left: HashSet<String> =
                    online.into_iter().filter(|s| s.gateway == self.me.gateway).map(|s| s.name).collect();
                if !left.is_empty() {
                    info!(gateway = %self.me, players = left.len(), "claims left by this gateway's previous run");
                }
                *self.lock_inherited() = left;
            }
            Err(error) => store_error("cannot read the claims of this gateway's previous run", "*", &error),
        }
    }

    fn lock_inherited(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.inherited.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether `gateway` is gone: not registered any more (unknown when there is no registry
    /// to ask, or it cannot be read: then it is not gone).
    async fn gone(&self, gateway: GatewayId) -> bool {
        match &self.peers {
            Some(peers) => peers.registered(gateway).await.is_ok_and(|registered| !registered),
            None => false,
        }
    }

    /// Claims `name` (case-insensitive) for this gateway; [`ErrorCode::NameTaken`] if it plays
    /// on another one. A name held by a gateway that is gone is claimed once its zone released
    /// it, or taken over after [`ORPHAN_WAIT`] (instead of after its claim lapses,
    /// [`ONLINE_TTL`]).
    pub async fn claim(&self, name: &str) -> Result<(), ErrorCode> {
        let name = &name.to_ascii_lowercase();
        if self.lock_inherited().remove(name) {
            self.await_release(name).await;
        }
        let mut claimed = self.hot.claim_online(name, self.me, ONLINE_TTL, None).await;
        if let Ok(Some(holder)) = claimed {
            if self.gone(holder).await {
                claimed = self.claim_released(name, holder).await;
            }
        }
        match claimed {
            Ok(None) => Ok(()),
            Ok(Some(holder)) => {
                tracing::info!(player = %name, %holder, "name online at another gateway");
                Err(ErrorCode::NameTaken)
            }
            Err(error) => {
                store_error("cannot check whether the name is online elsewhere; allowing it", name, &error);
                Ok(())
            }
        }
    }

    /// Claims `name`, held by `holder` (gone), once its zone released it, or after
    /// [`ORPHAN_WAIT`] by taking it over.
    async fn claim_released(&self, name: &str, holder: GatewayId) -> mmo_store::Result<Option<GatewayId>> {
        let deadline = Instant::now() + ORPHAN_WAIT;
        loop {
            let claimed = self.hot.claim_online(name, self.me, ONLINE_TTL, None).await;
            match claimed {
                Ok(Some(h)) if h == holder && Instant::now() < deadline => tokio::time::sleep(RETRY).await,
                Ok(Some(h)) if h == holder => {
                    info!(player = %name, %holder, "name held by a gateway that is gone and released by no zone; taking it over");
                    return self.hot.claim_online(name, self.me, ONLINE_TTL, Some(holder)).await;
                }
                other => return other,
            }
        }
    }

    /// Waits (up to [`ORPHAN_WAIT`]) until `name` is no longer claimed by an earlier run of
    /// this gateway: released by the zone once it saved the player. (One key read per try: a
    /// restarted gateway's players all resume at once.)
    async fn await_release(&self, name: &str) {
        let deadline = Instant::now() + ORPHAN_WAIT;
        while Instant::now() < deadline {
            match self.hot.online_holder(name).await {
                Ok(Some(holder)) if holder.gateway == self.me.gateway && holder != self.me => {
                    tokio::time::sleep(RETRY).await
                }
                _ => return,
            }
        }
        info!(player = %name, "claim of this gateway's previous run released by no zone; taking it over");
    }

    /// [`claim`](Self::claim), retried for up to `wait` (a client resuming through this gateway
    /// while its old session on another one has not noticed the lost connection yet).
    pub async fn claim_within(&self, name: &str, wait: Duration) -> Result<(), ErrorCode> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match self.claim(name).await {
                Err(_) if tokio::time::Instant::now() + RETRY < deadline => tokio::time::sleep(RETRY).await,
                result => return result,
            }
        }
    }

    /// Gives `name` up (logout).
    pub async fn release(&self, name: &str) {
        if let Err(error) = self.hot.set_offline(&name.to_ascii_lowercase()).await {
            store_error("cannot mark the player offline (the claim lapses by itself)", name, &error);
        }
    }

    /// Extends the claims of the names playing here (as [`crate::names::Names::all`] has them).
    pub async fn refresh(&self, names: &[String]) {
        for name in names {
            if let Err(error) = self.hot.set_online(name, self.me, ONLINE_TTL).await {
                store_error("cannot refresh the player's online mark", name, &error);
                return;
            }
        }
    }

    /// Everyone online in the world, sorted by name.
    /// Everyone online, on any gateway that is not gone.
    pub async fn list(&self) -> mmo_store::Result<Vec<OnlineSession>> {
        let mut online = self.hot.online().await?;
        let holders: std::collections::BTreeSet<GatewayId> = online.iter().map(|s| s.gateway).collect();
        for holder in holders {
            if self.gone(holder).await {
                online.retain(|s| s.gateway != holder);
            }
        }
        Ok(online)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mmo_store::MemoryHot;

    fn run(gateway: u32, run: u64) -> GatewayRun {
        GatewayRun { gateway: GatewayId(gateway), run }
    }

    #[tokio::test]
    async fn a_name_plays_on_one_gateway_at_a_time() {
        let hot = AnyHot::Memory(MemoryHot::new());
        let (one, two) = (Online::new(hot.clone(), run(1, 1), None), Online::new(hot, run(2, 1), None));
        one.claim("ann").await.unwrap();
        assert_eq!(two.claim("ann").await, Err(ErrorCode::NameTaken));
        assert_eq!(two.claim_within("ann", Duration::from_millis(250)).await, Err(ErrorCode::NameTaken));
        let online = two.list().await.unwrap();
        assert_eq!(online, vec![OnlineSession { name: "ann".into(), gateway: GatewayId(1) }]);
        let resume = tokio::spawn({
            let two = two.clone();
            async move { two.claim_within("ann", Duration::from_secs(5)).await }
        });
        one.release("ann").await;
        assert_eq!(resume.await.unwrap(), Ok(()), "taken over once released");
        assert_eq!(one.claim("ann").await, Err(ErrorCode::NameTaken));
    }

    #[tokio::test(start_paused = true)]
    async fn a_gone_gateways_claim_is_claimed_once_its_zone_released_it_or_after_a_wait() {
        let hot = AnyHot::Memory(MemoryHot::new());
        let killed = Online::new(hot.clone(), run(1, 1), None);
        killed.claim("ann").await.unwrap();
        killed.claim("bob").await.unwrap();
        // Gateway 1's lease expired: only gateway 2 is registered.
        let two = Online::new(hot.clone(), run(2, 1), Some(Peers::registered_ids(&[2])));
        let started = Instant::now();
        let claim = tokio::spawn({
            let two = two.clone();
            async move { two.claim("ann").await }
        });
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(!claim.is_finished(), "waits while ann's zone has not saved and released her");
        assert!(hot.release_online("ann", run(1, 1)).await.unwrap(), "the zone releases the claim");
        assert_eq!(claim.await.unwrap(), Ok(()));
        assert!(started.elapsed() < ORPHAN_WAIT, "claimed once released: {:?}", started.elapsed());
        let started = Instant::now();
        assert_eq!(two.claim("bob").await, Ok(()), "bob, on no zone, is taken over");
        assert!(started.elapsed() >= ORPHAN_WAIT, "after the wait: {:?}", started.elapsed());
        let listed: Vec<String> = two.list().await.unwrap().into_iter().map(|s| s.name).collect();
        assert_eq!(listed, ["ann", "bob"]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_restarted_gateway_waits_for_the_release_of_its_previous_runs_claims() {
        let hot = AnyHot::Memory(MemoryHot::new());
        let before = Online::new(hot.clone(), run(1, 1), None);
        before.claim("cy").await.unwrap();
        before.claim("dee").await.unwrap();
        let again = Online::new(hot.clone(), run(1, 2), Some(Peers::registered_ids(&[1])));
        again.inherit_previous_run().await;
        let claim = tokio::spawn({
            let again = again.clone();
            async move { again.claim("cy").await }
        });
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(!claim.is_finished(), "the previous run's claim is not this run's");
        assert!(hot.release_online("cy", run(1, 1)).await.unwrap());
        assert_eq!(claim.await.unwrap(), Ok(()));
        let started = Instant::now();
        assert_eq!(again.claim("cy").await, Ok(()), "claimed by this run: no more waiting");
        assert_eq!(started.elapsed(), Duration::ZERO);

        // Dee's zone is slow to save her (a store outage): this run takes her claim over after
        // the wait, and the zone's late release of the previous run's claim takes nothing.
        let started = Instant::now();
        assert_eq!(again.claim("dee").await, Ok(()));
        assert!(started.elapsed() >= ORPHAN_WAIT, "after the wait: {:?}", started.elapsed());
        assert!(!hot.release_online("dee", run(1, 1)).await.unwrap(), "the previous run's release");
        assert_eq!(hot.online_holder("dee").await.unwrap(), Some(run(1, 2)), "dee plays on, online");
    }
}

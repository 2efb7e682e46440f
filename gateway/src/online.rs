//! Who is online across the world's gateways, in hot state (`mmo_store::HotState`; Redis when
//! there are several gateways): a name plays on one gateway at a time. A gateway claims a name
//! at login, refreshes its claims while they play (they lapse [`ONLINE_TTL`] after a gateway
//! dies) and releases them at logout.
//!
//! Hot state being down must not lock everyone out: a claim that cannot be checked is allowed
//! (logged and counted in `mmo_gateway_online_errors_total`); this gateway's own name table
//! still refuses a second session of a name here.

use crate::peers::Peers;
use mmo_protocol::ErrorCode;
use mmo_store::{AnyHot, HotState, OnlineSession};
use mmo_world::GatewayId;
use std::time::Duration;
use tracing::warn;

/// How long a claim lasts without a refresh.
pub const ONLINE_TTL: Duration = Duration::from_secs(30);
/// How often a gateway refreshes its claims.
pub const REFRESH_EVERY: Duration = Duration::from_secs(10);
/// How often a resuming client's claim is retried while another gateway still holds the name.
const RETRY: Duration = Duration::from_millis(100);

/// This gateway's view of the world's online players.
#[derive(Clone, Debug)]
pub struct Online {
    hot: AnyHot,
    gateway: GatewayId,
    /// The world's registered gateways (none in a one-gateway world): a claim of a gateway
    /// that is gone (killed: its lease expired) does not hold a name, nor list it online.
    peers: Option<Peers>,
}

fn store_error(what: &str, name: &str, error: &mmo_store::StoreError) {
    metrics::counter!("mmo_gateway_online_errors_total").increment(1);
    warn!(%error, player = %name, "{what}: hot state unavailable");
}

impl Online {
    pub fn new(hot: AnyHot, gateway: GatewayId, peers: Option<Peers>) -> Self {
        Online { hot, gateway, peers }
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
    /// on another one. A name held by a gateway that is gone is taken over at once, instead of
    /// after its claim lapses ([`ONLINE_TTL`]).
    pub async fn claim(&self, name: &str) -> Result<(), ErrorCode> {
        let name = &name.to_ascii_lowercase();
        let mut claimed = self.hot.claim_online(name, self.gateway, ONLINE_TTL, None).await;
        if let Ok(Some(holder)) = claimed {
            if self.gone(holder).await {
                tracing::info!(player = %name, %holder, "name held by a gateway that is gone; taking it over");
                claimed = self.hot.claim_online(name, self.gateway, ONLINE_TTL, Some(holder)).await;
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
            if let Err(error) = self.hot.set_online(name, self.gateway, ONLINE_TTL).await {
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

    #[tokio::test]
    async fn a_name_plays_on_one_gateway_at_a_time() {
        let hot = AnyHot::Memory(MemoryHot::new());
        let (one, two) = (Online::new(hot.clone(), GatewayId(1), None), Online::new(hot, GatewayId(2), None));
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
}

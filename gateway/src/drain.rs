//! Draining a gateway before it stops (SIGTERM in Kubernetes): from [`Drain::start`] on, the
//! gateway takes no logins (`/readyz` answers 503 so the load balancer stops sending players,
//! new sessions and sessions still at the login are refused with `Draining`), and every
//! playing session is sent `Reconnect`: its client asks `/api/connect` again (of the page's
//! address, or of this gateway), which now names another gateway of the registry
//! ([`crate::peers`]; 503 when there is none), and resumes there with its session token. A session ends when its client leaves: the player is saved and logged out,
//! so the other gateway's resume finds the newest record. The binary stops the gateway once
//! every session is gone or the drain timeout passed ([`DrainHandle::drain`]).

use crate::peers::Peers;
use crate::state::GatewayState;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tracing::{info, warn};

/// Whether the gateway is draining, watched by its sessions and HTTP handlers.
#[derive(Clone, Debug)]
pub struct Drain {
    draining: Arc<watch::Sender<bool>>,
}

impl Default for Drain {
    fn default() -> Self {
        Drain { draining: Arc::new(watch::channel(false).0) }
    }
}

impl Drain {
    /// Starts draining (again: no effect).
    pub fn start(&self) {
        self.draining.send_if_modified(|draining| !std::mem::replace(draining, true));
    }

    pub fn is_draining(&self) -> bool {
        *self.draining.borrow()
    }

    /// Resolves once draining started (at once if it has).
    pub async fn started(&self) {
        let mut watch = self.draining.subscribe();
        let _ = watch.wait_for(|draining| *draining).await;
    }
}

/// How often a drain that waits for another gateway reads the registry.
const TAKER_POLL: Duration = Duration::from_millis(100);

/// What a gateway's host hands out to drain it.
#[derive(Clone, Debug)]
pub struct DrainHandle {
    state: Arc<GatewayState>,
    /// The world's other gateways (none in a one-gateway world).
    peers: Option<Peers>,
}

impl DrainHandle {
    pub(crate) fn new(state: Arc<GatewayState>, peers: Option<Peers>) -> Self {
        DrainHandle { state, peers }
    }

    /// Starts draining.
    pub fn start(&self) {
        self.state.drain.start();
    }

    /// Resolves once draining started.
    pub async fn started(&self) {
        self.state.drain.started().await;
    }

    /// Resolves once no session is open.
    pub async fn sessions_gone(&self) {
        self.state.sessions_closed().await;
    }

    /// Starts draining and resolves once every session is gone or `timeout` passed (the
    /// caller then stops the gateway; sessions still open get `ShuttingDown`). In a world of
    /// several gateways it first waits, for up to half of `timeout`, until another gateway takes
    /// players, so that the players it asks to move have somewhere to go: in a rolling restart
    /// the gateway restarted just before may have registered a moment ago.
    pub async fn drain(&self, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        self.await_taker(timeout / 2).await;
        info!(gateway = %self.state.id, sessions = self.state.open_sessions(), timeout_secs = timeout.as_secs(), "draining: players are asked to move");
        self.start();
        match tokio::time::timeout_at(deadline, self.sessions_gone()).await {
            Ok(()) => info!(gateway = %self.state.id, "drained: every session is gone"),
            Err(_) => {
                warn!(gateway = %self.state.id, left = self.state.open_sessions(), "drain timed out; stopping with sessions open")
            }
        }
    }

    /// Resolves once the registry lists another gateway that takes players, or after `max`.
    async fn await_taker(&self, max: Duration) {
        let Some(peers) = &self.peers else { return };
        let found = tokio::time::timeout(max, async {
            loop {
                match peers.any_taker_now(self.state.id).await {
                    Ok(true) => return,
                    Ok(false) => {}
                    Err(error) => warn!(gateway = %self.state.id, %error, "draining: cannot read the other gateways"),
                }
                tokio::time::sleep(TAKER_POLL).await;
            }
        })
        .await;
        if found.is_err() {
            warn!(gateway = %self.state.id, waited_secs = max.as_secs_f64(), "no other gateway takes players: draining anyway (its clients are answered 503 and try again)");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_drain_starts_once_and_its_watchers_see_it() {
        let drain = Drain::default();
        assert!(!drain.is_draining());
        let waiting = tokio::spawn({
            let drain = drain.clone();
            async move { drain.started().await }
        });
        drain.start();
        drain.start();
        waiting.await.unwrap();
        assert!(drain.is_draining());
        drain.started().await;
    }
}

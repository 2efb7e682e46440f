//! Draining a gateway before it stops (SIGTERM in Kubernetes): from [`Drain::start`] on, the
//! gateway takes no logins (`/readyz` answers 503 so the load balancer stops sending players,
//! new sessions and sessions still at the login are refused with `Draining`), and every
//! playing session is sent `Reconnect`: its client asks `/api/connect` again (of the page's
//! address, or of this gateway), which now names another gateway of the registry
//! ([`crate::peers`]; 503 when there is none), and resumes there with its session token. A session ends when its client leaves: the player is saved and logged out,
//! so the other gateway's resume finds the newest record. The binary stops the gateway once
//! every session is gone or the drain timeout passed ([`DrainHandle::drain`]).

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

/// What a gateway's host hands out to drain it.
#[derive(Clone, Debug)]
pub struct DrainHandle {
    state: Arc<GatewayState>,
}

impl DrainHandle {
    pub(crate) fn new(state: Arc<GatewayState>) -> Self {
        DrainHandle { state }
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
    /// caller then stops the gateway; sessions still open get `ShuttingDown`).
    pub async fn drain(&self, timeout: Duration) {
        info!(gateway = %self.state.id, sessions = self.state.open_sessions(), timeout_secs = timeout.as_secs(), "draining: players are asked to move");
        self.start();
        match tokio::time::timeout(timeout, self.sessions_gone()).await {
            Ok(()) => info!(gateway = %self.state.id, "drained: every session is gone"),
            Err(_) => {
                warn!(gateway = %self.state.id, left = self.state.open_sessions(), "drain timed out; stopping with sessions open")
            }
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

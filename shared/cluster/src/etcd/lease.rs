//! Leases on etcd: grant, keep alive, revoke.
//!
//! The keep-alive loop holds a conservative local view of the lease: it counts the lease as
//! valid only until `time the last acknowledged refresh was sent + TTL`. Past that (a frozen
//! process waking up, a partition), it reports the lease lost even before etcd says so.

use super::{lease_not_found, EtcdRegistry};
use crate::registry::{LeaseId, LeaseValidity, RegistryError};
use std::convert::Infallible;
use std::time::Duration;
use tokio::time::{sleep, timeout, Instant};
use tracing::{debug, warn};

impl EtcdRegistry {
    /// Grants a lease of at least `ttl` (etcd counts whole seconds and raises short TTLs to its
    /// minimum); returns its id and the TTL granted.
    pub async fn grant_lease(&self, ttl: Duration) -> Result<(LeaseId, Duration), RegistryError> {
        let seconds = i64::try_from(ttl.as_millis().div_ceil(1000)).unwrap_or(i64::MAX).max(1);
        let mut client = self.client();
        let granted = self.call(client.lease_grant(seconds, None)).await?;
        let ttl = Duration::from_secs(u64::try_from(granted.ttl()).unwrap_or(0));
        debug!(lease = %LeaseId(granted.id()), ?ttl, "lease granted");
        Ok((LeaseId(granted.id()), ttl))
    }

    /// Ends a lease now; its keys go with it. A lease that is already gone is fine.
    pub async fn revoke_lease(&self, lease: LeaseId) -> Result<(), RegistryError> {
        let mut client = self.client();
        match self.call_for(Some(lease), client.lease_revoke(lease.0)).await {
            Ok(_) | Err(RegistryError::LeaseExpired(_)) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// Keeps `lease` (of `ttl`) alive until it is lost; see the module doc. `validity`, if
    /// given, follows the local view of it.
    pub async fn keep_lease_alive(
        &self,
        lease: LeaseId,
        ttl: Duration,
        validity: Option<&LeaseValidity>,
    ) -> Result<Infallible, RegistryError> {
        let interval = (ttl / 3).max(Duration::from_millis(50));
        let confirmed = |until: Instant| {
            if let Some(validity) = validity {
                validity.extend(until);
            }
        };
        // The caller has just been granted or refreshed the lease: it is valid for a TTL at least
        // from some moment before now; count from now minus one interval to stay on the safe side.
        let mut valid_until = Instant::now() + ttl.saturating_sub(interval);
        confirmed(valid_until);
        loop {
            let sent = Instant::now();
            let mut lease_client = self.client().lease_client();
            match timeout(self.request_timeout(), lease_client.keep_alive(lease.0)).await {
                Ok(Ok((mut keeper, mut replies))) => {
                    valid_until = sent + ttl;
                    confirmed(valid_until);
                    loop {
                        sleep(interval.min(valid_until.saturating_duration_since(Instant::now()))).await;
                        if Instant::now() >= valid_until {
                            warn!(%lease, "lease not refreshed in time: counting it as lost");
                            return Err(RegistryError::LeaseExpired(lease));
                        }
                        let sent = Instant::now();
                        if let Err(error) = keeper.keep_alive().await {
                            warn!(%lease, %error, "keep-alive stream broke; reopening");
                            break;
                        }
                        match timeout(interval, replies.message()).await {
                            Ok(Ok(Some(reply))) if reply.ttl() > 0 => {
                                valid_until = sent + Duration::from_secs(reply.ttl().unsigned_abs());
                                confirmed(valid_until);
                            }
                            Ok(Ok(Some(_))) => return Err(RegistryError::LeaseExpired(lease)),
                            Ok(Ok(None)) | Ok(Err(_)) | Err(_) => {
                                warn!(%lease, "no keep-alive reply; reopening");
                                break;
                            }
                        }
                    }
                }
                Ok(Err(error)) if lease_not_found(&error) => return Err(RegistryError::LeaseExpired(lease)),
                Ok(Err(error)) => warn!(%lease, %error, "could not open the keep-alive stream"),
                Err(_) => warn!(%lease, "opening the keep-alive stream timed out"),
            }
            let left = valid_until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(RegistryError::LeaseExpired(lease));
            }
            sleep(left.min(Duration::from_millis(200))).await;
        }
    }
}

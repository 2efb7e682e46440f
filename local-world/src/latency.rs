//! Simulated network latency between zones. In one process a message from one zone to another
//! takes microseconds; with a latency set, every command a zone sends another (handoffs, hits,
//! forwarded inputs, subscriptions) arrives that much later, in order, as over a network between
//! servers. For trying the world under realistic conditions, and for tests of what a late
//! handoff looks like to players.

use mmo_cluster::{ZoneCommand, ZoneHandle};
use mmo_world::ZoneId;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// The handles `zone` reaches the others by: each other zone's behind `latency` (none for
/// itself, or when `latency` is zero). The forwarding tasks end when the zone drops them.
pub fn peers_of(
    zone: ZoneId,
    handles: &HashMap<ZoneId, ZoneHandle>,
    latency: Duration,
    queue: usize,
) -> HashMap<ZoneId, ZoneHandle> {
    handles
        .iter()
        .map(|(&id, h)| {
            (id, if id == zone || latency.is_zero() { h.clone() } else { delayed(h.clone(), latency, queue) })
        })
        .collect()
}

/// A handle whose commands reach `to` after `latency`, in the order they were sent.
fn delayed(to: ZoneHandle, latency: Duration, queue: usize) -> ZoneHandle {
    let (front, mut commands) = ZoneHandle::channel(to.zone, queue);
    let (timed_tx, mut timed) = mpsc::unbounded_channel::<(Instant, ZoneCommand)>();
    tokio::spawn(async move {
        while let Some(cmd) = commands.recv().await {
            if timed_tx.send((Instant::now() + latency, cmd)).is_err() {
                return;
            }
        }
    });
    tokio::spawn(async move {
        while let Some((due, cmd)) = timed.recv().await {
            tokio::time::sleep_until(due).await;
            if to.send(cmd).await.is_err() {
                return;
            }
        }
    });
    front
}

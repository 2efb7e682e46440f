//! The world's other gateways, as the registry lists them: where a draining gateway's
//! `/api/connect` sends the clients that ask it how to connect (see [`crate::drain`]). Read
//! from the registry when asked, at most once per [`FRESH_FOR`] (every player of a draining
//! gateway asks within a second or so; a restarted gateway is still found soon after it
//! registers).

use mmo_cluster::{GatewayInfo, Registry, RegistryError};
use mmo_world::GatewayId;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long one reading of the registry's gateways is used.
pub const FRESH_FOR: Duration = Duration::from_millis(500);

type Gateways = Arc<BTreeMap<GatewayId, GatewayInfo>>;
type Listing = Pin<Box<dyn Future<Output = Result<BTreeMap<GatewayId, GatewayInfo>, RegistryError>> + Send>>;

/// The registry's gateways, handed out in turn.
#[derive(Clone)]
pub struct Peers {
    list: Arc<dyn Fn() -> Listing + Send + Sync>,
    /// The last reading and when it was taken (locked while reading, so concurrent askers
    /// share one).
    read: Arc<tokio::sync::Mutex<Option<(Instant, Gateways)>>>,
    turn: Arc<AtomicUsize>,
}

impl std::fmt::Debug for Peers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Peers").finish_non_exhaustive()
    }
}

impl Peers {
    /// The gateways registered in `registry`.
    pub fn from_registry<R: Registry + Clone + 'static>(registry: R) -> Self {
        Peers::new(move || -> Listing {
            let registry = registry.clone();
            Box::pin(async move { registry.gateways().await })
        })
    }

    /// The gateways `list` reads.
    pub(crate) fn new(list: impl Fn() -> Listing + Send + Sync + 'static) -> Self {
        Peers { list: Arc::new(list), read: Arc::default(), turn: Arc::new(AtomicUsize::new(0)) }
    }

    /// Gateways `ids` registered, and no other (tests).
    #[cfg(test)]
    pub(crate) fn registered_ids(ids: &[u32]) -> Self {
        let gateways: BTreeMap<GatewayId, GatewayInfo> =
            ids.iter().map(|&id| tests::gateway(id, "ws://x/ws")).collect();
        Peers::new(move || -> Listing {
            let gateways = gateways.clone();
            Box::pin(async move { Ok(gateways) })
        })
    }

    /// Another gateway than `own` that clients can connect to (the next in turn, so that a
    /// draining gateway's players spread over the others); `None` when there is none.
    pub async fn pick(&self, own: GatewayId) -> Result<Option<GatewayInfo>, RegistryError> {
        let gateways = self.gateways().await?;
        Ok(choose(&gateways, own, self.turn.fetch_add(1, Ordering::Relaxed)).cloned())
    }

    /// Every gateway other than `own` that clients can connect to, in id order (where a client
    /// goes when this one stops answering; `/api/connect` hands them out as `others`).
    pub async fn others(&self, own: GatewayId) -> Result<Vec<GatewayInfo>, RegistryError> {
        let gateways = self.gateways().await?;
        Ok(takers(&gateways, own).into_iter().cloned().collect())
    }

    /// Whether `gateway` is registered (its lease lives).
    pub async fn registered(&self, gateway: GatewayId) -> Result<bool, RegistryError> {
        Ok(self.gateways().await?.contains_key(&gateway))
    }

    /// Whether another gateway than `own` takes players now: the registry is read afresh (and
    /// that reading is used from then on), so a gateway that registered a moment ago counts and
    /// one that just left does not.
    pub async fn any_taker_now(&self, own: GatewayId) -> Result<bool, RegistryError> {
        let mut read = self.read.lock().await;
        let gateways = self.read_into(&mut read).await?;
        Ok(!takers(&gateways, own).is_empty())
    }

    /// The registry's gateways, read at most once per [`FRESH_FOR`].
    async fn gateways(&self) -> Result<Gateways, RegistryError> {
        let mut read = self.read.lock().await;
        match &*read {
            Some((at, gateways)) if at.elapsed() < FRESH_FOR => Ok(gateways.clone()),
            _ => self.read_into(&mut read).await,
        }
    }

    /// Reads the registry's gateways and keeps the reading in `read`.
    async fn read_into(&self, read: &mut Option<(Instant, Gateways)>) -> Result<Gateways, RegistryError> {
        let gateways: Gateways = Arc::new((self.list)().await?);
        *read = Some((Instant::now(), gateways.clone()));
        Ok(gateways)
    }
}

/// The `turn`-th (modulo their number) of the gateways other than `own` that take players
/// (not draining too) and whose record says where clients connect (older records do not).
pub fn choose(gateways: &BTreeMap<GatewayId, GatewayInfo>, own: GatewayId, turn: usize) -> Option<&GatewayInfo> {
    let others = takers(gateways, own);
    (!others.is_empty()).then(|| others[turn % others.len()])
}

/// The gateways other than `own` that take players and say where clients connect.
fn takers(gateways: &BTreeMap<GatewayId, GatewayInfo>, own: GatewayId) -> Vec<&GatewayInfo> {
    gateways.values().filter(|g| g.id != own && !g.draining && !g.websocket_url.is_empty()).collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use mmo_cluster::CertHash;

    pub(crate) fn gateway(id: u32, websocket_url: &str) -> (GatewayId, GatewayInfo) {
        let info = GatewayInfo {
            id: GatewayId(id),
            address: format!("127.0.0.1:{id}"),
            cert_hash: CertHash([id as u8; 32]),
            link_cert_hash: CertHash::default(),
            capacity: 10,
            webtransport_url: format!("https://127.0.0.1:{id}/play"),
            websocket_url: websocket_url.into(),
            draining: false,
            run: 0,
        };
        (info.id, info)
    }

    #[test]
    fn a_gateway_names_the_others_in_turn_never_itself() {
        let all = BTreeMap::from([gateway(1, "ws://a/ws"), gateway(2, "ws://b/ws"), gateway(3, "ws://c/ws")]);
        let picked: Vec<u32> = (0..4).map(|turn| choose(&all, GatewayId(2), turn).unwrap().id.0).collect();
        assert_eq!(picked, [1, 3, 1, 3]);
    }

    #[tokio::test]
    async fn askers_share_a_fresh_reading_of_the_registry() {
        let reads = Arc::new(AtomicUsize::new(0));
        let peers = Peers::new({
            let reads = reads.clone();
            move || -> Listing {
                reads.fetch_add(1, Ordering::Relaxed);
                Box::pin(async { Ok(BTreeMap::from([gateway(1, "ws://a/ws"), gateway(2, "ws://b/ws")])) })
            }
        });
        for _ in 0..10 {
            assert_eq!(peers.pick(GatewayId(1)).await.unwrap().map(|g| g.id), Some(GatewayId(2)));
        }
        assert_eq!(reads.load(Ordering::Relaxed), 1, "ten askers within {FRESH_FOR:?}: one reading");
    }

    #[test]
    fn no_other_gateway_or_only_old_records_name_none() {
        let alone = BTreeMap::from([gateway(1, "ws://a/ws")]);
        assert!(choose(&alone, GatewayId(1), 0).is_none());
        let old = BTreeMap::from([gateway(1, "ws://a/ws"), gateway(2, "")]);
        assert!(choose(&old, GatewayId(1), 0).is_none(), "a record without URLs is not handed out");
        assert_eq!(choose(&old, GatewayId(2), 0).unwrap().id, GatewayId(1));
    }

    #[tokio::test]
    async fn the_others_are_every_other_gateway_taking_players() {
        let (id, mut draining) = gateway(3, "ws://c/ws");
        draining.draining = true;
        let all = BTreeMap::from([gateway(1, "ws://a/ws"), gateway(2, "ws://b/ws"), (id, draining), gateway(4, "")]);
        let peers = Peers::new(move || -> Listing {
            let all = all.clone();
            Box::pin(async move { Ok(all) })
        });
        let others: Vec<u32> = peers.others(GatewayId(1)).await.unwrap().iter().map(|g| g.id.0).collect();
        assert_eq!(others, [2], "not itself, not a draining one, not one without URLs");
    }

    #[test]
    fn a_draining_gateway_is_not_named() {
        let (id, mut draining) = gateway(2, "ws://b/ws");
        draining.draining = true;
        let two_draining = BTreeMap::from([gateway(1, "ws://a/ws"), (id, draining), gateway(3, "ws://c/ws")]);
        let picked: Vec<u32> = (0..3).map(|turn| choose(&two_draining, GatewayId(1), turn).unwrap().id.0).collect();
        assert_eq!(picked, [3, 3, 3], "gateway 1 drains too: only 3 takes players");
        let (id, mut also) = gateway(3, "ws://c/ws");
        also.draining = true;
        let none_left = BTreeMap::from([gateway(1, "ws://a/ws"), (id, also)]);
        assert!(choose(&none_left, GatewayId(1), 0).is_none(), "the last taker drains: no one is named");
    }
}

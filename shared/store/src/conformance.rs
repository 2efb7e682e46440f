//! The conformance suite every [`DurableStore`] and [`HotState`] passes (feature `testing`).
//!
//! Each check uses its own player names, so all of them can run against one store. Run
//! [`durable_store`] and [`hot_state`] from an integration test per implementation
//! (`tests/conformance_*.rs`).

use crate::durable::{DurableStore, SaveOutcome};
use crate::error::{Result, StoreError};
use crate::hot::{Doc, DocWrite, HotState, OnlineSession};
use crate::record::{Item, ItemSerial, PlayerRecord};
use crate::{MemoryStore, RedbStore, RedisStore};
use futures::future::join_all;
use glam::IVec2;
use mmo_world::{CellId, GatewayId, GatewayRun, Tick};
use std::collections::BTreeSet;
use std::future::Future;
use std::time::Duration;

/// Writes raw bytes as a player's record, to plant corrupt data.
pub trait RawRecords: DurableStore {
    fn put_raw(&self, name: &str, version: u64, bytes: Vec<u8>) -> impl Future<Output = Result<()>> + Send;
}

impl RawRecords for MemoryStore {
    async fn put_raw(&self, name: &str, version: u64, bytes: Vec<u8>) -> Result<()> {
        MemoryStore::put_raw(self, name, version, bytes);
        Ok(())
    }
}

impl RawRecords for RedbStore {
    async fn put_raw(&self, name: &str, version: u64, bytes: Vec<u8>) -> Result<()> {
        RedbStore::put_raw(self, name, version, bytes).await
    }
}

impl RawRecords for RedisStore {
    async fn put_raw(&self, name: &str, version: u64, bytes: Vec<u8>) -> Result<()> {
        RedisStore::put_raw(self, name, version, bytes).await
    }
}

#[cfg(feature = "scylla")]
impl RawRecords for crate::ScyllaStore {
    async fn put_raw(&self, name: &str, version: u64, bytes: Vec<u8>) -> Result<()> {
        crate::ScyllaStore::put_raw(self, name, version, bytes).await
    }
}

/// A record for tests: `name` at version `version` with `xp = version`.
pub fn record(name: &str, version: u64) -> PlayerRecord {
    let mut record = PlayerRecord::new(name, None, IVec2::new(256 * 3, 256 * 4), CellId::new(0, 0));
    record.version = version;
    record.xp = version;
    record
}

/// Every durable-store check. `second` is another handle on the same backing store (a new
/// connection where the store has them, a clone otherwise).
pub async fn durable_store<S: RawRecords>(store: &S, second: &S) {
    round_trip(store).await;
    stale_save_refused(store).await;
    batch(store).await;
    account_exists(store).await;
    serials_monotonic_across_handles(store, second).await;
    transfer_atomic(store).await;
    concurrent_transfers_keep_every_serial(store, second).await;
    corrupt_record_is_that_players_error(store).await;
}

pub async fn round_trip<S: DurableStore>(store: &S) {
    assert_eq!(store.load("rt-nobody").await.unwrap(), None);
    let mut record = record("rt-ann", 1);
    record.credentials = Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into());
    record.hp = 42;
    record.level = 3;
    record.cell = CellId { x: 2, y: 1, depth: 1 };
    record.position = IVec2::new(-5, 70_000);
    record.inventory = vec![Item { serial: ItemSerial(11), kind: 2, count: 9 }];
    assert_eq!(store.save(&record).await.unwrap(), SaveOutcome::Written);
    assert_eq!(store.load("rt-ann").await.unwrap(), Some(record));
}

pub async fn stale_save_refused<S: DurableStore>(store: &S) {
    assert_eq!(store.save(&record("st-bob", 5)).await.unwrap(), SaveOutcome::Written);
    assert_eq!(store.save(&record("st-bob", 5)).await.unwrap(), SaveOutcome::Stale { stored: 5 });
    assert_eq!(store.save(&record("st-bob", 3)).await.unwrap(), SaveOutcome::Stale { stored: 5 });
    assert_eq!(store.load("st-bob").await.unwrap().unwrap().xp, 5, "a stale save overwrote a newer record");
    assert_eq!(store.save(&record("st-bob", 6)).await.unwrap(), SaveOutcome::Written);
    assert_eq!(store.load("st-bob").await.unwrap().unwrap().version, 6);
}

pub async fn batch<S: DurableStore>(store: &S) {
    store.save(&record("b-07", 10)).await.unwrap();
    let records: Vec<_> = (0..20).map(|i| record(&format!("b-{i:02}"), 2)).collect();
    let outcomes = store.save_batch(&records).await.unwrap();
    for (i, outcome) in outcomes.iter().enumerate() {
        let expected = if i == 7 { SaveOutcome::Stale { stored: 10 } } else { SaveOutcome::Written };
        assert_eq!(*outcome, expected, "record {i}");
    }
    for i in 0..20 {
        let loaded = store.load(&format!("b-{i:02}")).await.unwrap().unwrap();
        assert_eq!(loaded.version, if i == 7 { 10 } else { 2 });
    }
    assert!(store.save_batch(&[]).await.unwrap().is_empty());
}

pub async fn account_exists<S: DurableStore>(store: &S) {
    let ann = PlayerRecord::new("acc-ann", Some("$argon2id$hash".into()), IVec2::ZERO, CellId::new(0, 0));
    store.create_account(&ann).await.unwrap();
    let again = PlayerRecord::new("acc-ann", None, IVec2::ONE, CellId::new(0, 0));
    assert_eq!(store.create_account(&again).await, Err(StoreError::AlreadyExists { name: "acc-ann".into() }));
    assert_eq!(store.load("acc-ann").await.unwrap(), Some(ann), "the refused account changed the stored one");
    store.save(&record("acc-saved", 1)).await.unwrap();
    assert!(matches!(store.create_account(&record("acc-saved", 0)).await, Err(StoreError::AlreadyExists { .. })));
}

pub async fn serials_monotonic_across_handles<S: DurableStore>(store: &S, second: &S) {
    let mut previous_end = ItemSerial(0);
    let mut seen = BTreeSet::new();
    for round in 0..10u64 {
        let handle = if round % 2 == 0 { store } else { second };
        let block = handle.allocate_serials(round + 1).await.unwrap();
        assert_eq!(block.len(), round + 1);
        assert!(block.start >= previous_end, "{block:?} starts below an earlier block ending at {previous_end}");
        assert!(block.start > ItemSerial(0), "serial 0 is reserved");
        previous_end = block.end;
        seen.extend(block.iter());
    }
    let concurrent = join_all((0..16).map(|i| if i % 2 == 0 { store } else { second }.allocate_serials(5))).await;
    for block in concurrent {
        for serial in block.unwrap().iter() {
            assert!(serial >= previous_end && seen.insert(serial), "serial {serial} handed out twice");
        }
    }
}

pub async fn transfer_atomic<S: DurableStore>(store: &S) {
    let serials = store.allocate_serials(2).await.unwrap();
    let (one, two) = (serials.start, ItemSerial(serials.start.0 + 1));
    let mut giver = record("tr-giver", 4);
    giver.inventory = vec![Item { serial: one, kind: 1, count: 1 }, Item { serial: two, kind: 5, count: 20 }];
    store.save(&giver).await.unwrap();
    store.save(&record("tr-taker", 9)).await.unwrap();

    let transfer = store.give_item("tr-giver", "tr-taker", two).await.unwrap();
    assert_eq!((transfer.from.version, transfer.to.version), (5, 10));
    let (from, to) = (store.load("tr-giver").await.unwrap().unwrap(), store.load("tr-taker").await.unwrap().unwrap());
    assert_eq!((&from, &to), (&transfer.from, &transfer.to));
    assert!(from.holds(one) && !from.holds(two) && to.holds(two));
    assert_eq!(to.inventory, vec![Item { serial: two, kind: 5, count: 20 }]);

    let refused = store.give_item("tr-giver", "tr-taker", two).await;
    assert_eq!(refused, Err(StoreError::ItemNotHeld { name: "tr-giver".into(), serial: two }));
    assert!(matches!(store.give_item("tr-giver", "tr-nobody", one).await, Err(StoreError::NotFound { .. })));
    assert!(matches!(store.give_item("tr-giver", "tr-giver", one).await, Err(StoreError::SelfGive { .. })));
    assert_eq!(store.load("tr-giver").await.unwrap(), Some(from), "a refused transfer changed a record");
    assert_eq!(store.load("tr-taker").await.unwrap(), Some(to));
    // A save from before the transfer is stale now: it cannot bring the item back.
    assert!(matches!(store.save(&giver).await.unwrap(), SaveOutcome::Stale { .. }));
}

/// Many transfers at once, from two handles, of the same items among three players: at the end
/// every serial is held exactly once.
pub async fn concurrent_transfers_keep_every_serial<S: DurableStore>(store: &S, second: &S) {
    let names = ["ct-a", "ct-b", "ct-c"];
    let serials = store.allocate_serials(6).await.unwrap();
    let all: BTreeSet<ItemSerial> = serials.iter().collect();
    let mut first = record(names[0], 1);
    first.inventory = serials.iter().map(|serial| Item { serial, kind: 1, count: 1 }).collect();
    store.save(&first).await.unwrap();
    store.save(&record(names[1], 1)).await.unwrap();
    store.save(&record(names[2], 1)).await.unwrap();
    let items: Vec<ItemSerial> = all.iter().copied().collect();
    for round in 0..4 {
        let moves = (0..24).map(|i| {
            let handle = if i % 2 == 0 { store } else { second };
            let from = names[(i + round) % 3];
            let to = names[(i + round + 1 + i / 3 % 2) % 3];
            handle.give_item(from, to, items[i % items.len()])
        });
        for result in join_all(moves).await {
            match result {
                Ok(_) | Err(StoreError::ItemNotHeld { .. } | StoreError::SelfGive { .. }) => {}
                // Optimistic stores give up after many lost races; that loses nothing.
                Err(StoreError::Unavailable(reason)) if reason.contains("conflicting") => {}
                Err(other) => panic!("transfer failed: {other}"),
            }
        }
        let mut held = Vec::new();
        for name in names {
            held.extend(store.load(name).await.unwrap().unwrap().inventory.iter().map(|item| item.serial));
        }
        held.sort_unstable();
        assert_eq!(held, items, "round {round}: serials duplicated or lost");
    }
}

pub async fn corrupt_record_is_that_players_error<S: RawRecords>(store: &S) {
    store.save(&record("cr-good", 1)).await.unwrap();
    store.put_raw("cr-bad", 3, b"\x00garbage".to_vec()).await.unwrap();
    let mut wrong_format = record("cr-bad2", 1).encode().unwrap();
    wrong_format[3] = 99;
    store.put_raw("cr-bad2", 1, wrong_format).await.unwrap();
    for name in ["cr-bad", "cr-bad2"] {
        match store.load(name).await {
            Err(StoreError::Corrupt { name: who, .. }) => assert_eq!(who, name),
            other => panic!("loading a corrupt record gave {other:?}"),
        }
    }
    assert_eq!(store.load("cr-good").await.unwrap().unwrap().version, 1, "another player is affected");
    let outcomes = store.save_batch(&[record("cr-good", 2), record("cr-other", 1)]).await.unwrap();
    assert_eq!(outcomes, vec![SaveOutcome::Written; 2]);
    let serial = store.allocate_serials(1).await.unwrap().start;
    let mut good = record("cr-good", 3);
    good.inventory.push(Item { serial, kind: 1, count: 1 });
    store.save(&good).await.unwrap();
    assert!(matches!(store.give_item("cr-good", "cr-bad", serial).await, Err(StoreError::Corrupt { .. })));
    assert!(store.load("cr-good").await.unwrap().unwrap().holds(serial), "a failed transfer lost the item");
    // The version guard still applies to a corrupt record, and a newer save repairs it.
    assert_eq!(store.save(&record("cr-bad", 2)).await.unwrap(), SaveOutcome::Stale { stored: 3 });
    assert_eq!(store.save(&record("cr-bad", 4)).await.unwrap(), SaveOutcome::Written);
    assert_eq!(store.load("cr-bad").await.unwrap().unwrap().version, 4);
}

/// The documents: compare-and-swap across keys, all or nothing.
async fn docs<H: HotState>(hot: &H) {
    let keys = |ks: &[&str]| ks.iter().map(|k| k.to_string()).collect::<Vec<_>>();
    let set = |key: &str, expected, bytes: &[u8]| DocWrite { key: key.into(), expected, bytes: Some(bytes.to_vec()) };
    assert_eq!(hot.docs(&keys(&["dc-a", "dc-b"])).await.unwrap(), vec![None, None]);
    assert!(hot.swap_docs(&[set("dc-a", None, b"one"), set("dc-b", None, b"")]).await.unwrap());
    let read = hot.docs(&keys(&["dc-b", "dc-a", "dc-none"])).await.unwrap();
    let doc = |version, bytes: &[u8]| Some(Doc { version, bytes: bytes.to_vec() });
    assert_eq!(read, vec![doc(1, b""), doc(1, b"one"), None], "in the order asked; empty bytes kept");
    // One stale expectation and nothing is written.
    assert!(!hot.swap_docs(&[set("dc-a", Some(1), b"two"), set("dc-b", None, b"x")]).await.unwrap());
    assert!(!hot.swap_docs(&[set("dc-a", None, b"again")]).await.unwrap(), "a new document where one is");
    assert_eq!(hot.docs(&keys(&["dc-a"])).await.unwrap(), vec![doc(1, b"one")], "unchanged");
    assert!(hot
        .swap_docs(&[set("dc-a", Some(1), b"two"), DocWrite { key: "dc-b".into(), expected: Some(1), bytes: None }])
        .await
        .unwrap());
    assert_eq!(hot.docs(&keys(&["dc-a", "dc-b"])).await.unwrap(), vec![doc(2, b"two"), None]);
    assert!(hot.swap_docs(&[]).await.unwrap(), "nothing to write");
}

/// Every hot-state check. A session's time to live is checked by polling (up to 5 s) until it
/// has expired, in real time.
pub async fn hot_state<H: HotState>(hot: &H) {
    docs(hot).await;
    let cell = CellId::new(3, 1);
    assert_eq!(hot.latest_checkpoint(cell).await.unwrap(), None);
    hot.put_checkpoint(cell, Tick(10), b"ten".to_vec()).await.unwrap();
    hot.put_checkpoint(cell, Tick(30), b"thirty".to_vec()).await.unwrap();
    hot.put_checkpoint(cell, Tick(20), b"late twenty".to_vec()).await.unwrap();
    let latest = hot.latest_checkpoint(cell).await.unwrap().unwrap();
    assert_eq!((latest.cell, latest.tick, latest.bytes.as_slice()), (cell, Tick(30), &b"thirty"[..]));
    assert_eq!(hot.latest_checkpoint(CellId::new(0, 0)).await.unwrap(), None, "checkpoints leak between cells");
    hot.put_checkpoint(CellId { x: 3, y: 1, depth: 1 }, Tick(5), vec![0; 100_000]).await.unwrap();
    assert_eq!(hot.latest_checkpoint(cell).await.unwrap().unwrap().tick, Tick(30));

    let minute = Duration::from_secs(60);
    let run = |gateway, run| GatewayRun { gateway: GatewayId(gateway), run };
    assert_eq!(hot.claim_online("on-cy", run(1, 1), minute, None).await.unwrap(), None, "a free name is claimed");
    assert_eq!(hot.claim_online("on-cy", run(1, 1), minute, None).await.unwrap(), None, "claimed again by its holder");
    assert_eq!(hot.claim_online("on-cy", run(2, 1), minute, None).await.unwrap(), Some(GatewayId(1)), "held elsewhere");
    hot.set_offline("on-cy").await.unwrap();
    assert_eq!(hot.claim_online("on-cy", run(2, 1), Duration::from_millis(100), None).await.unwrap(), None);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while hot.claim_online("on-cy", run(3, 1), minute, None).await.unwrap().is_some() {
        assert!(tokio::time::Instant::now() < deadline, "a claim outlived its time to live");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    hot.set_offline("on-cy").await.unwrap();
    // A gateway that died holding a name (its lease expired): another takes the name over at
    // once, naming it; naming any other gateway takes nothing.
    assert_eq!(hot.claim_online("on-dee", run(1, 1), minute, None).await.unwrap(), None);
    assert_eq!(hot.claim_online("on-dee", run(2, 1), minute, Some(GatewayId(3))).await.unwrap(), Some(GatewayId(1)));
    assert_eq!(hot.claim_online("on-dee", run(2, 1), minute, Some(GatewayId(1))).await.unwrap(), None, "taken over");
    assert_eq!(
        hot.claim_online("on-dee", run(3, 1), minute, Some(GatewayId(1))).await.unwrap(),
        Some(GatewayId(2)),
        "the new holder keeps it"
    );
    // A zone releases a gone gateway's claim once it saved the player: only if that gateway
    // still holds it.
    assert!(!hot.release_online("on-dee", run(1, 1)).await.unwrap(), "held by 2 now: 1's release takes nothing");
    assert_eq!(hot.online_holder("on-dee").await.unwrap(), Some(run(2, 1)));
    assert_eq!(hot.claim_online("on-dee", run(1, 1), minute, None).await.unwrap(), Some(GatewayId(2)));
    assert!(hot.release_online("on-dee", run(2, 1)).await.unwrap(), "released by the holder's name");
    assert_eq!(hot.claim_online("on-dee", run(1, 1), minute, None).await.unwrap(), None, "free again");
    hot.set_offline("on-dee").await.unwrap();
    assert_eq!(hot.online_holder("on-dee").await.unwrap(), None, "offline");
    assert!(!hot.release_online("on-dee", run(1, 1)).await.unwrap(), "nothing to release");

    // A gateway restarted under its id (a new run) claims its names again; a zone releasing the
    // run before it (saving that run's player late) leaves the new run's claim alone.
    assert_eq!(hot.claim_online("on-eve", run(4, 1), minute, None).await.unwrap(), None);
    assert_eq!(hot.claim_online("on-eve", run(4, 2), minute, None).await.unwrap(), None, "its gateway's own name");
    assert_eq!(hot.online_holder("on-eve").await.unwrap(), Some(run(4, 2)));
    assert!(!hot.release_online("on-eve", run(4, 1)).await.unwrap(), "the earlier run's release takes nothing");
    assert_eq!(hot.online_holder("on-eve").await.unwrap(), Some(run(4, 2)), "still the new run's");
    assert!(hot.release_online("on-eve", run(4, 2)).await.unwrap(), "released by the run that holds it");
    assert_eq!(hot.online_holder("on-eve").await.unwrap(), None);

    hot.set_online("on-ann", run(1, 1), Duration::from_secs(60)).await.unwrap();
    hot.set_online("on-bob", run(2, 1), Duration::from_secs(60)).await.unwrap();
    hot.set_online("on-brief", run(2, 1), Duration::from_millis(150)).await.unwrap();
    hot.set_online("on-ann", run(3, 1), Duration::from_secs(60)).await.unwrap();
    hot.set_offline("on-bob").await.unwrap();
    let session = |name: &str, gateway| OnlineSession { name: name.into(), gateway: GatewayId(gateway) };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let online = hot.online().await.unwrap();
        if online == vec![session("on-ann", 3)] {
            break;
        }
        assert!(online.contains(&session("on-ann", 3)) && !online.iter().any(|s| s.name == "on-bob"), "{online:?}");
        assert!(tokio::time::Instant::now() < deadline, "a session outlived its time to live: {online:?}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

//! The write-behind saver: nothing queued is lost while the store fails, versions only grow,
//! records are coalesced per player, `flush_now` does not wait for the batch schedule, and a
//! full queue pushes back. Runs on tokio's paused clock, so backoff and intervals take no time.

use metrics::{SharedString, Unit};
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use metrics_util::CompositeKey;
use mmo_store::conformance::record;
use mmo_store::{
    DurableStore, ItemGiven, ItemSerial, MemoryStore, PlayerRecord, Result, SaveOutcome, Saver, SaverConfig,
    StoreError, SubmitError,
};
use mmo_world::SerialBlock;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// One `save_batch` call: when, and the (name, version) of each record.
type Call = (Instant, Vec<(String, u64)>);

/// A [`MemoryStore`] whose next `failures` batch writes fail as if the store were down, and
/// which records every batch it is handed.
#[derive(Clone, Default)]
struct Flaky {
    inner: MemoryStore,
    failures: Arc<AtomicUsize>,
    /// (when, (name, version) of each record) per `save_batch` call, failed ones included.
    calls: Arc<Mutex<Vec<Call>>>,
}

impl Flaky {
    fn failing(n: usize) -> Flaky {
        let flaky = Flaky::default();
        flaky.failures.store(n, Ordering::SeqCst);
        flaky
    }

    fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }
}

impl DurableStore for Flaky {
    async fn load(&self, name: &str) -> Result<Option<PlayerRecord>> {
        self.inner.load(name).await
    }

    async fn save(&self, record: &PlayerRecord) -> Result<SaveOutcome> {
        let mut outcomes = self.save_batch(std::slice::from_ref(record)).await?;
        Ok(outcomes.remove(0))
    }

    async fn save_batch(&self, records: &[PlayerRecord]) -> Result<Vec<SaveOutcome>> {
        let seen = records.iter().map(|r| (r.name.clone(), r.version)).collect();
        self.calls.lock().unwrap().push((Instant::now(), seen));
        if self.failures.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
            return Err(StoreError::Unavailable("store is down (test)".into()));
        }
        self.inner.save_batch(records).await
    }

    async fn create_account(&self, record: &PlayerRecord) -> Result<()> {
        self.inner.create_account(record).await
    }

    async fn allocate_serials(&self, n: u64) -> Result<SerialBlock> {
        self.inner.allocate_serials(n).await
    }

    async fn give_item(&self, from: &str, to: &str, serial: ItemSerial) -> Result<ItemGiven> {
        self.inner.give_item(from, to, serial).await
    }
}

fn config() -> SaverConfig {
    SaverConfig {
        queue: 16,
        pending_limit: 64,
        batch_size: 8,
        interval: Duration::from_millis(100),
        backoff_min: Duration::from_millis(50),
        backoff_max: Duration::from_millis(400),
    }
}

type Metrics = Vec<(CompositeKey, Option<Unit>, Option<SharedString>, DebugValue)>;

/// The metrics recorded so far (taking a snapshot resets them, so take one per check).
fn metrics_of(snapshotter: &Snapshotter) -> Metrics {
    snapshotter.snapshot().into_vec()
}

fn value<'a>(metrics: &'a Metrics, name: &str, label: Option<(&str, &str)>) -> Vec<&'a DebugValue> {
    metrics
        .iter()
        .filter(|(key, ..)| key.key().name() == name)
        .filter(|(key, ..)| label.is_none_or(|(k, v)| key.key().labels().any(|l| l.key() == k && l.value() == v)))
        .map(|(.., value)| value)
        .collect()
}

fn counter(metrics: &Metrics, name: &str, label: Option<(&str, &str)>) -> u64 {
    value(metrics, name, label)
        .into_iter()
        .map(|value| match value {
            DebugValue::Counter(n) => *n,
            other => panic!("{name} is {other:?}"),
        })
        .sum()
}

#[tokio::test(start_paused = true)]
async fn nothing_queued_is_lost_while_the_store_fails_and_versions_only_grow() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let _guard = metrics::set_default_local_recorder(&recorder);

    let store = Flaky::failing(5);
    let (saver, driver) = Saver::new(store.clone(), config());
    let submit = async move {
        for version in 1..=5 {
            for player in 0..20 {
                saver.submit(record(&format!("p{player:02}"), version)).await.unwrap();
            }
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    };
    tokio::join!(driver.run(), submit);

    for player in 0..20 {
        let name = format!("p{player:02}");
        assert_eq!(store.inner.load(&name).await.unwrap().unwrap().version, 5, "{name} lost its newest save");
    }
    // Per player, the versions handed to successful writes only grow.
    let calls = store.calls();
    let mut last: HashMap<String, u64> = HashMap::new();
    for (_, batch) in calls.iter().skip(5) {
        for (name, version) in batch {
            let previous = last.insert(name.clone(), *version).unwrap_or(0);
            assert!(*version > previous, "{name}: v{version} written after v{previous}");
        }
    }
    // The five failed attempts were retried after 50, 100, 200, 400, 400 ms.
    let gaps: Vec<u128> = calls.windows(2).take(5).map(|w| (w[1].0 - w[0].0).as_millis()).collect();
    assert_eq!(gaps, [50, 100, 200, 400, 400]);
    let metrics = metrics_of(&snapshotter);
    assert_eq!(counter(&metrics, "mmo_store_save_failures_total", None), 5);
    assert_eq!(counter(&metrics, "mmo_store_saves_total", Some(("outcome", "stale"))), 0);
    let written = counter(&metrics, "mmo_store_saves_total", Some(("outcome", "written")));
    let successful_writes: usize = calls.iter().skip(5).map(|(_, batch)| batch.len()).sum();
    assert_eq!(written, successful_writes as u64);
    assert!((20..100).contains(&written), "{written} records written: coalescing did nothing?");
    match value(&metrics, "mmo_store_save_seconds", None).as_slice() {
        [DebugValue::Histogram(samples)] => assert_eq!(samples.len(), calls.len(), "one sample per batch write"),
        other => panic!("mmo_store_save_seconds is {other:?}"),
    }
    assert_eq!(value(&metrics, "mmo_store_queue_depth", None), [&DebugValue::Gauge(0.0.into())]);
}

#[tokio::test(start_paused = true)]
async fn only_the_newest_pending_version_of_a_player_is_written() {
    let store = Flaky::default();
    let (saver, driver) = Saver::new(store.clone(), SaverConfig { queue: 64, ..config() });
    for version in [1, 2, 3, 9, 4, 5] {
        saver.try_submit(record("ann", version)).unwrap();
    }
    for version in 1..=3 {
        saver.try_submit(record("bob", version)).unwrap();
    }
    drop(saver);
    driver.run().await;
    let written: Vec<_> = store.calls().into_iter().flat_map(|(_, batch)| batch).collect();
    assert_eq!(written, vec![("ann".to_owned(), 9), ("bob".to_owned(), 3)]);
}

#[tokio::test(start_paused = true)]
async fn flush_now_writes_without_waiting_for_the_batch() {
    let store = Flaky::default();
    let (saver, driver) = Saver::new(store.clone(), SaverConfig { interval: Duration::from_secs(3600), ..config() });
    let run = tokio::spawn(driver.run());
    saver.submit(record("ann", 1)).await.unwrap();
    let started = Instant::now();
    assert_eq!(saver.flush_now(record("bob", 1)).await.unwrap(), SaveOutcome::Written);
    assert!(started.elapsed() < Duration::from_millis(1), "flush_now waited {:?}", started.elapsed());
    assert_eq!(store.inner.load("bob").await.unwrap().unwrap().version, 1);
    // An older version than the stored one is refused and says so.
    assert_eq!(saver.flush_now(record("bob", 1)).await.unwrap(), SaveOutcome::Stale { stored: 1 });
    drop(saver);
    run.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn flush_now_waits_through_failures_until_durable() {
    let store = Flaky::failing(3);
    let (saver, driver) = Saver::new(store.clone(), config());
    let run = tokio::spawn(driver.run());
    let started = Instant::now();
    assert_eq!(saver.flush_now(record("ann", 4)).await.unwrap(), SaveOutcome::Written);
    assert_eq!(started.elapsed(), Duration::from_millis(50 + 100 + 200));
    assert_eq!(store.inner.load("ann").await.unwrap().unwrap().version, 4);
    drop(saver);
    run.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_full_queue_pushes_back_until_the_store_recovers() {
    let store = Flaky::failing(usize::MAX);
    let config = SaverConfig { queue: 2, pending_limit: 2, ..config() };
    let (saver, driver) = Saver::new(store.clone(), config);
    let run = tokio::spawn(driver.run());
    let mut accepted = 0;
    for player in 0..10 {
        match saver.try_submit(record(&format!("p{player}"), 1)) {
            Ok(()) => accepted += 1,
            Err(SubmitError::Full(record)) => assert_eq!(record.name, format!("p{player}")),
            Err(other) => panic!("{other}"),
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(accepted, 4, "2 pending in the driver + 2 in the channel");
    let blocked = tokio::time::timeout(Duration::from_secs(5), saver.submit(record("late", 1))).await;
    assert!(blocked.is_err(), "submit did not wait while the queue was full");

    store.failures.store(0, Ordering::SeqCst);
    saver.submit(record("late", 1)).await.unwrap();
    drop(saver);
    run.await.unwrap();
    for name in ["p0", "p1", "p2", "p3", "late"] {
        assert!(store.inner.load(name).await.unwrap().is_some(), "{name} was lost");
    }
}

#[tokio::test(start_paused = true)]
async fn more_flushes_than_a_batch_holds_are_all_written_at_once() {
    let store = Flaky::default();
    let config = SaverConfig { batch_size: 2, interval: Duration::from_secs(3600), ..config() };
    let (saver, driver) = Saver::new(store.clone(), config);
    let run = tokio::spawn(driver.run());
    let started = Instant::now();
    let flushes = (0..7).map(|i| saver.flush_now(record(&format!("f{i}"), 1)));
    for outcome in futures::future::join_all(flushes).await {
        assert_eq!(outcome.unwrap(), SaveOutcome::Written);
    }
    assert!(started.elapsed() < Duration::from_millis(1), "flushes waited {:?}", started.elapsed());
    assert!(store.calls().iter().all(|(_, batch)| batch.len() <= 2));
    drop(saver);
    run.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn once_the_lease_is_gone_nothing_more_is_sent() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let _guard = metrics::set_default_local_recorder(&recorder);

    let store = Flaky::default();
    let held = Arc::new(AtomicBool::new(true));
    let (saver, driver) = Saver::new(store.clone(), config());
    let driver = driver.with_lease({
        let held = held.clone();
        move || held.load(Ordering::SeqCst)
    });
    let writes = async move {
        assert_eq!(saver.flush_now(record("early", 1)).await.unwrap(), SaveOutcome::Written);
        saver.submit(record("queued", 1)).await.unwrap();
        // The writer's lease lapses (its process was frozen past the TTL) with a save queued;
        // it goes on saving, as a zone does on its way out.
        held.store(false, Ordering::SeqCst);
        assert_eq!(saver.flush_now(record("late", 2)).await, Err(StoreError::LeaseGone));
    };
    tokio::join!(driver.run(), writes);

    let sent: Vec<String> = store.calls().into_iter().flat_map(|(_, batch)| batch).map(|(name, _)| name).collect();
    assert_eq!(sent, ["early"], "nothing sent once the lease was gone");
    assert_eq!(store.inner.load("late").await.unwrap(), None);
    let metrics = metrics_of(&snapshotter);
    assert_eq!(counter(&metrics, "mmo_store_saves_total", Some(("outcome", "written"))), 1);
    assert_eq!(counter(&metrics, "mmo_store_saves_after_lease_total", Some(("outcome", "withheld"))), 2);
}

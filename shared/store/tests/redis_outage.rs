//! A Redis that stops answering (frozen with SIGSTOP, as a stuck VM or a partition would look):
//! calls fail after `REDIS_TIMEOUT` instead of hanging, the saver backs off and retries, and once
//! Redis answers again every queued save is written and `flush_now` returns.

use mmo_store::conformance::record;
use mmo_store::{DurableStore, RedisStore, SaveOutcome, Saver, SaverConfig, StoreError, REDIS_TIMEOUT};
use mmo_test_services::{signal, Redis, Signal};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saves_queued_while_redis_is_frozen_are_written_when_it_answers_again() {
    let redis = Redis::start().expect("redis-server is needed: run scripts/install-test-deps.sh");
    let store = RedisStore::connect(&redis.url(), "mmo:").await.unwrap();
    let config = SaverConfig {
        interval: Duration::from_millis(20),
        backoff_min: Duration::from_millis(50),
        backoff_max: Duration::from_millis(500),
        ..SaverConfig::default()
    };
    let (saver, driver) = Saver::new(store.clone(), config);
    let driver = tokio::spawn(driver.run());
    assert_eq!(saver.flush_now(record("ann", 1)).await.unwrap(), SaveOutcome::Written);

    signal(redis.pid(), Signal::Stop).unwrap();
    let started = Instant::now();
    let error = store.load("ann").await.unwrap_err();
    assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
    assert!(started.elapsed() < REDIS_TIMEOUT * 2, "a frozen Redis hung a call for {:?}", started.elapsed());
    for player in 0..10 {
        saver.submit(record(&format!("p{player}"), 3)).await.unwrap();
    }
    let flush = tokio::spawn({
        let saver = saver.clone();
        async move { saver.flush_now(record("ann", 2)).await }
    });
    tokio::time::sleep(REDIS_TIMEOUT + Duration::from_millis(500)).await;
    assert!(!flush.is_finished(), "flush_now returned while Redis was frozen");

    signal(redis.pid(), Signal::Cont).unwrap();
    assert_eq!(flush.await.unwrap().unwrap(), SaveOutcome::Written);
    drop(saver);
    tokio::time::timeout(Duration::from_secs(30), driver).await.expect("the driver finishes").unwrap();
    assert_eq!(store.load("ann").await.unwrap().unwrap().version, 2);
    for player in 0..10 {
        let name = format!("p{player}");
        assert_eq!(store.load(&name).await.unwrap().map(|r| r.version), Some(3), "{name}'s save was lost");
    }
}

//! The conformance suite against a real Redis started by the test harness.

use mmo_store::conformance;
use mmo_store::{DurableStore, RedisHot, RedisStore, StoreError};
use mmo_test_services::Redis;

fn redis() -> Redis {
    Redis::start().expect("redis-server is needed: run scripts/install-test-deps.sh")
}

#[tokio::test]
async fn redis_store_conforms() {
    let redis = redis();
    let store = RedisStore::connect(&redis.url(), "mmo:").await.unwrap();
    let second = RedisStore::connect(&redis.url(), "mmo:").await.unwrap();
    conformance::durable_store(&store, &second).await;
}

#[tokio::test]
async fn redis_hot_state_conforms() {
    let redis = redis();
    conformance::hot_state(&RedisHot::connect(&redis.url(), "mmo:").await.unwrap()).await;
}

#[tokio::test]
async fn prefixes_keep_stores_apart() {
    let redis = redis();
    let a = RedisStore::connect(&redis.url(), "a:").await.unwrap();
    let b = RedisStore::connect(&redis.url(), "b:").await.unwrap();
    a.save(&conformance::record("ann", 1)).await.unwrap();
    assert_eq!(b.load("ann").await.unwrap(), None);
}

#[tokio::test]
async fn a_stopped_redis_is_a_transient_error() {
    let redis = redis();
    let url = redis.url();
    let store = RedisStore::connect(&url, "mmo:").await.unwrap();
    drop(redis);
    let error = store.save(&conformance::record("ann", 1)).await.unwrap_err();
    assert!(matches!(error, StoreError::Unavailable(_)) && error.is_transient(), "{error:?}");
}

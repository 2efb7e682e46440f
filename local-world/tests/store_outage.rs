//! The player store goes down during play (the harness's Redis frozen with SIGSTOP): the game
//! goes on, the zone's saves fail, back off and are retried, the save metrics show the failures,
//! and once Redis answers again the player's newest state is stored (nothing queued is lost).

mod support;

use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use mmo_local::LocalWorldConfig;
use mmo_protocol::OwnState;
use mmo_store::{DurableStore, RedisStore, SaverConfig, StoreSpec};
use mmo_test_services::{signal, Redis, Signal};
use mmo_world::Buttons;
use std::time::Duration;
use support::{Client, TestWorld};

async fn walk(client: &mut Client, ticks: u32, buttons: u8) -> OwnState {
    let mut you = None;
    for _ in 0..ticks {
        client.send_input(buttons).await;
        you = Some(client.snapshot().await.you.clone());
    }
    you.expect("at least one tick")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saves_back_off_while_the_store_is_down_and_none_is_lost() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    metrics::set_global_recorder(recorder).expect("the only recorder in this test binary");

    let redis = Redis::start().expect("redis-server is needed: run scripts/install-test-deps.sh");
    let config = LocalWorldConfig {
        durable: StoreSpec::Redis(redis.url()),
        saver: SaverConfig {
            interval: Duration::from_millis(50),
            backoff_min: Duration::from_millis(50),
            backoff_max: Duration::from_millis(400),
            ..SaverConfig::default()
        },
        ..LocalWorldConfig::for_tests()
    };
    let world = TestWorld::start_with(config).await;
    let mut ann = Client::websocket(&world).await;
    ann.join("ann").await;
    walk(&mut ann, 20, Buttons::RIGHT | Buttons::JUMP).await;

    signal(redis.pid(), Signal::Stop).unwrap();
    // Three seconds of play while the store does not answer: periodic saves fail and wait.
    walk(&mut ann, 60, Buttons::LEFT | Buttons::JUMP).await;
    walk(&mut ann, 40, 0).await;
    let failures = || {
        snapshotter
            .snapshot()
            .into_vec()
            .into_iter()
            .filter(|(key, ..)| key.key().name() == "mmo_store_save_failures_total")
            .map(|(.., value)| match value {
                DebugValue::Counter(n) => n,
                other => panic!("a counter, not {other:?}"),
            })
            .sum::<u64>()
    };
    assert!(failures() > 0, "the failed saves show in mmo_store_save_failures_total");
    let stored = RedisStore::connect(&redis.url(), "mmo:").await;
    assert!(stored.is_err() || stored.as_ref().unwrap().load("ann").await.is_err(), "the store is down");

    signal(redis.pid(), Signal::Cont).unwrap();
    // Standing still: the position at logout is the last one seen.
    let last = walk(&mut ann, 5, 0).await;
    drop(ann); // logs out: the zone flushes, the gateway waits for it
    world.stop().await;

    let store = RedisStore::connect(&redis.url(), "mmo:").await.unwrap();
    let record = store.load("ann").await.unwrap().expect("ann was saved");
    assert_eq!(record.position, last.body.pos, "the newest position was saved after the outage");
    assert!(record.version > 1);
}

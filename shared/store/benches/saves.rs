//! Save throughput (player saves per second) of the durable stores: one record per call, and
//! batches as the write-behind saver issues them.
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-store cargo bench -p mmo-store --bench saves
//! ```
//!
//! redb runs in a temporary folder (every commit fsyncs); Redis is a local `redis-server`
//! started by `mmo-test-services` (no persistence).

#![allow(clippy::print_stdout)]

use mmo_store::{DurableStore, Item, ItemSerial, PlayerRecord, RedbStore, RedisStore, Saver, SaverConfig};
use std::time::{Duration, Instant};

const PLAYERS: usize = 1000;
const SINGLE_SAVES: usize = 2000;
const BATCH: usize = 256;
const BATCHES: usize = 40;

fn player(i: usize, version: u64) -> PlayerRecord {
    let mut record = PlayerRecord::new(
        format!("player-{i:05}"),
        None,
        glam::IVec2::new(i as i32 * 37, 900),
        mmo_world::CellId::new(1, 0),
    );
    record.version = version;
    record.xp = version * 10;
    record.inventory =
        (0..10).map(|k| Item { serial: ItemSerial((i * 10 + k) as u64), kind: k as u16, count: 1 }).collect();
    record
}

async fn bench<S: DurableStore + Clone + 'static>(label: &str, store: S) {
    let mut version = 1;
    let started = Instant::now();
    for n in 0..SINGLE_SAVES {
        store.save(&player(n % PLAYERS, version + (n / PLAYERS) as u64)).await.unwrap();
    }
    let single = SINGLE_SAVES as f64 / started.elapsed().as_secs_f64();
    version += (SINGLE_SAVES / PLAYERS) as u64 + 1;

    let batches: Vec<Vec<PlayerRecord>> = (0..BATCHES)
        .map(|b| {
            (0..BATCH)
                .map(|j| player((b * BATCH + j) % PLAYERS, version + ((b * BATCH + j) / PLAYERS) as u64))
                .collect()
        })
        .collect();
    version += (BATCHES * BATCH / PLAYERS) as u64 + 1;
    let started = Instant::now();
    for batch in &batches {
        store.save_batch(batch).await.unwrap();
    }
    let batched = (BATCHES * BATCH) as f64 / started.elapsed().as_secs_f64();

    let config = SaverConfig { batch_size: BATCH, interval: Duration::from_millis(50), ..SaverConfig::default() };
    let (saver, driver) = Saver::new(store.clone(), config);
    let records: Vec<PlayerRecord> =
        (0..BATCHES * BATCH).map(|n| player(n % PLAYERS, version + (n / PLAYERS) as u64)).collect();
    let started = Instant::now();
    let submit = async move {
        for record in records {
            saver.submit(record).await.unwrap();
        }
    };
    tokio::join!(driver.run(), submit);
    let via_saver = (BATCHES * BATCH) as f64 / started.elapsed().as_secs_f64();
    println!(
        "{label:>6}: {single:>9.0} saves/s one per call | {batched:>9.0} saves/s in batches of {BATCH} | \
         {via_saver:>9.0} submits/s through the Saver (coalesced, {PLAYERS} players)"
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let dir = std::env::temp_dir().join(format!("mmo-store-bench-{}", std::process::id()));
        bench("redb", RedbStore::open(&dir).unwrap()).await;
        let _ = std::fs::remove_dir_all(&dir);

        let redis = mmo_test_services::Redis::start().expect("redis-server: run scripts/install-test-deps.sh");
        bench("redis", RedisStore::connect(&redis.url(), "bench:").await.unwrap()).await;
    });
}

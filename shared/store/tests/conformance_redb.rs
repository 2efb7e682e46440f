//! The conformance suite against redb in a temporary folder, and what only a file-backed store
//! can show: records and serials survive closing and reopening the store.

use mmo_store::conformance::{self, record};
use mmo_store::{DurableStore, HotState, RedbHot, RedbStore};
use mmo_world::{CellId, Tick};
use std::path::PathBuf;

/// A fresh folder under the system temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let path = std::env::temp_dir().join(format!("mmo-store-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redb_store_conforms() {
    let dir = TempDir::new("conformance");
    let store = RedbStore::open(&dir.0).unwrap();
    // redb opens a file once per process: the second handle is a clone of the first.
    conformance::durable_store(&store, &store.clone()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_and_serials_survive_a_reopen() {
    let dir = TempDir::new("reopen");
    let (serials, saved) = {
        let store = RedbStore::open(&dir.0).unwrap();
        let serials = store.allocate_serials(3).await.unwrap();
        let mut ann = record("ann", 7);
        ann.inventory.push(mmo_store::Item { serial: serials.start, kind: 4, count: 1 });
        store.save(&ann).await.unwrap();
        (serials, ann)
    };
    let store = RedbStore::open(&dir.0).unwrap();
    assert_eq!(store.load("ann").await.unwrap(), Some(saved));
    let next = store.allocate_serials(1).await.unwrap();
    assert!(next.start >= serials.end, "serial {} reused after a reopen", next.start);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redb_hot_state_conforms_and_keeps_checkpoints_across_a_reopen() {
    let dir = TempDir::new("hot");
    {
        let hot = RedbHot::new(RedbStore::open(&dir.0).unwrap());
        conformance::hot_state(&hot).await;
    }
    let hot = RedbHot::new(RedbStore::open(&dir.0).unwrap());
    let kept = hot.latest_checkpoint(CellId::new(3, 1)).await.unwrap().expect("checkpoint survives a restart");
    assert_eq!((kept.tick, kept.bytes.as_slice()), (Tick(30), &b"thirty"[..]));
    assert!(hot.online().await.unwrap().is_empty(), "sessions do not survive a restart");
}

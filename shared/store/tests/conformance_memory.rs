//! The conformance suite against the in-memory stores.

use mmo_store::conformance;
use mmo_store::{MemoryHot, MemoryStore};

#[tokio::test]
async fn memory_store_conforms() {
    let store = MemoryStore::new();
    conformance::durable_store(&store, &store.clone()).await;
}

#[tokio::test]
async fn memory_hot_state_conforms() {
    conformance::hot_state(&MemoryHot::new()).await;
}

//! The conformance suite against Scylla. Scylla cannot run on the development machines, so the
//! test is ignored (counted as skipped in `cargo test`'s and `cargo nextest`'s summaries) unless
//! asked for with `--ignored`, with `MMO_SCYLLA_URI` naming a node (`127.0.0.1:9042`) and the
//! crate built with the `scylla` feature; `test.sh` does that when `MMO_SCYLLA_URI` is set:
//!
//! ```text
//! MMO_SCYLLA_URI=127.0.0.1:9042 cargo test -p mmo-store --features scylla --test conformance_scylla -- --ignored
//! ```
//!
//! Each run uses a fresh keyspace.

#[tokio::test]
#[ignore = "needs a Scylla node: MMO_SCYLLA_URI=<host:port>, --features scylla, -- --ignored"]
async fn scylla_store_conforms() {
    let uri = std::env::var("MMO_SCYLLA_URI")
        .expect("MMO_SCYLLA_URI=<host:port> names the Scylla node this test runs against");
    run(&uri).await;
}

#[cfg(feature = "scylla")]
async fn run(uri: &str) {
    use mmo_store::{conformance, ScyllaStore};
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let keyspace = format!("mmo_test_{}_{nanos}", std::process::id());
    let store = ScyllaStore::connect(uri, &keyspace, 1).await.expect("connect to MMO_SCYLLA_URI");
    // A second connection also re-runs the (already applied) migrations.
    let second = ScyllaStore::connect(uri, &keyspace, 1).await.expect("second connection");
    conformance::durable_store(&store, &second).await;
}

#[cfg(not(feature = "scylla"))]
async fn run(uri: &str) {
    panic!("MMO_SCYLLA_URI={uri} is set but mmo-store was built without the `scylla` feature: add --features scylla");
}

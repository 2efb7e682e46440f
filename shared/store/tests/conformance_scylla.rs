//! The conformance suite against Scylla. Scylla cannot run on the development machines, so this
//! runs only when `MMO_SCYLLA_URI` names a node (`127.0.0.1:9042`) and the crate is built with
//! the `scylla` feature:
//!
//! ```text
//! MMO_SCYLLA_URI=127.0.0.1:9042 cargo test -p mmo-store --features scylla --test conformance_scylla -- --nocapture
//! ```
//!
//! Otherwise it prints that it did not run (and passes). Each run uses a fresh keyspace.

#![allow(clippy::print_stdout)]

#[tokio::test]
async fn scylla_store_conforms() {
    let Ok(uri) = std::env::var("MMO_SCYLLA_URI") else {
        println!("NOT RUN: scylla conformance needs MMO_SCYLLA_URI=<host:port> (Scylla cannot run here)");
        return;
    };
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

//! Persistence for the MMO: player records, hot state for failover, write-behind saves,
//! accounts and session tokens.
//!
//! # Which store holds what
//!
//! | data | production | embedded (local world) |
//! |---|---|---|
//! | player records, accounts, item serials ([`DurableStore`]) | Scylla (`ScyllaStore`, feature `scylla`) | redb ([`RedbStore`], a folder kept across restarts) |
//! | cell checkpoints, online sessions ([`HotState`]) | Redis ([`RedisHot`]) | redb checkpoints + in-memory sessions ([`RedbHot`]), or memory ([`MemoryHot`]) |
//!
//! [`RedisStore`] is a third durable store (Redis with AOF `everysec` loses up to one second
//! of acknowledged writes on a crash, so production keeps Scylla as the durable store) and
//! [`MemoryStore`] a fourth, for tests. All of them pass the same conformance suite
//! (`conformance`, feature `testing`): against redb in a temporary folder, against a real Redis
//! started by `mmo-test-services`, and against Scylla only when asked for with `--ignored` and
//! `MMO_SCYLLA_URI` (Scylla cannot run on the development machines; otherwise the test is
//! ignored, counted as skipped in the test summary).
//!
//! # Versions
//!
//! Every record carries a `version` that its owner increases with each change. A store writes
//! a save only if its version is newer than the stored one, compared and written atomically
//! (a redb write transaction, a Redis Lua script, a Scylla lightweight transaction), so a stale
//! save never overwrites a newer record.
//!
//! # Loss window
//!
//! Movement, HP and XP are saved write-behind by the [`Saver`]: coalesced per player and
//! written in batches at most every `SaverConfig::interval` (default 500 ms), so a crash of the
//! process that owns a player loses at most that interval plus one batch's write time of
//! movement (about 1 s in the worst case with the defaults; the gateway's copy of the last
//! state narrows it further on zone death). Inventory changes and logouts go through
//! [`Saver::flush_now`], which returns only once the record is durable, and item moves between
//! players are one [`DurableStore::give_item`] transaction: the loss window for items is
//! zero, and an item serial is never duplicated or lost. While the store is down the saver
//! retries with exponential backoff and keeps every queued save (new submissions wait for room
//! in the bounded queue: backpressure). Those queued saves live in the owning process, so the
//! window above holds while the store answers; a crash during a store outage loses the movement
//! since the outage began (never an item: `flush_now` and transfers do not return until durable).
//!
//! # Accounts
//!
//! [`accounts`]: argon2id password hashes, guest names, login checks. [`token`]: short-lived
//! HMAC-SHA256 session tokens ([`token::TokenKey::issue`], [`token::TokenKey::verify`]) with
//! which a client resumes its character after losing its connection.
//!
//! # Tests and figures
//!
//! ```text
//! cargo test -p mmo-store                      # needs redis-server (scripts/install-test-deps.sh)
//! cargo clippy -p mmo-store --all-targets --features scylla -- -D warnings   # the Scylla code
//! MMO_SCYLLA_URI=127.0.0.1:9042 cargo test -p mmo-store --features scylla --test conformance_scylla -- --ignored
//! cargo bench -p mmo-store --bench saves       # saves per second, redb and Redis
//! ```

pub mod accounts;
mod any;
mod any_hot;
mod durable;
mod error;
mod hot;
mod memory;
mod record;
mod redb_hot;
mod redb_store;
mod redis_hot;
mod redis_store;
mod saver;
#[cfg(feature = "scylla")]
mod scylla_store;
pub mod token;

#[cfg(feature = "testing")]
pub mod conformance;

pub use any::{AnyStore, BadStoreSpec, StoreSpec};
pub use any_hot::{AnyHot, HotSpec};
pub use durable::{apply_give, newer, DurableStore, ItemGiven, SaveOutcome};
pub use error::{Result, StoreError};
pub use hot::{Checkpoint, Doc, DocWrite, HotState, MemoryHot, OnlineSession};
pub use memory::MemoryStore;
pub use record::{Item, ItemSerial, PlayerRecord};
pub use redb_hot::RedbHot;
pub use redb_store::RedbStore;
pub use redis_hot::RedisHot;
pub use redis_store::{RedisStore, REDIS_TIMEOUT};
pub use saver::{Saver, SaverConfig, SaverDriver, SubmitError};
#[cfg(feature = "scylla")]
pub use scylla_store::ScyllaStore;

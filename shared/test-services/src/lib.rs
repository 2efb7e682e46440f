//! Test support: starts real backing services (etcd, Redis) as child processes on free
//! loopback ports, with their data in a fresh temporary directory, waits until they answer a
//! health check (a polling loop, never a fixed sleep), and stops them when dropped.
//!
//! A missing binary is an error ([`ServiceError::Missing`]) that says how to install it
//! (`scripts/install-test-deps.sh`): a test that needs a real service fails, locally as in CI,
//! it never skips.
//!
//! [`wait`] is how tests wait for something to happen (a condition polled up to a deadline).
//! [`purity`]: the check that a sans-IO crate's dependency tree holds no I/O crate.
//!
//! ```no_run
//! let etcd = mmo_test_services::Etcd::start().expect("etcd for this test");
//! let endpoint = etcd.endpoint(); // "http://127.0.0.1:<port>"
//! # let _ = endpoint;
//! let redis = mmo_test_services::Redis::start().expect("redis for this test");
//! let url = redis.url(); // "redis://127.0.0.1:<port>/"
//! # let _ = url;
//! ```

mod etcd;
mod process;
pub mod purity;
mod redis;
pub mod wait;

pub use etcd::Etcd;
pub use process::{find_binary, free_port, signal, ServiceError, Signal};
pub use redis::Redis;

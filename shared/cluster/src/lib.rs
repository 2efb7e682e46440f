//! Cluster plumbing shared by the services:
//! - [`registry`]: who owns which cell, at which epoch (in memory now; etcd joins it later
//!   behind the same trait);
//! - [`link`]: the commands a gateway sends a zone, and the handle it sends them through.

pub mod link;
pub mod registry;

pub use link::{JoinAccepted, JoinRefused, SubscriberId, ZoneCommand, ZoneHandle};
pub use registry::{Assignment, MemoryRegistry, Registry, RegistryError};

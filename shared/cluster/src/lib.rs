//! Cluster plumbing shared by the services:
//! - [`registry`]: who is in the cluster (zones, gateways, under leases), who owns which cell
//!   at which epoch, zone loads and the log of rebalancing decisions; in memory
//!   ([`MemoryRegistry`]) or on etcd ([`etcd::EtcdRegistry`]) behind one trait;
//! - [`link`]: the commands a gateway sends a zone, and the handle it sends them through;
//! - [`peer`]: what zones tell each other (handoff transfers, cross-border hits): plain data
//!   from `mmo_records`, re-exported;
//! - [`connector`]: how a member reaches a zone: in process ([`LocalZones`]) or over [`net`];
//! - [`net`]: the zone link over TCP, for the multi-process mode;
//! - [`checkpoint`]: cell checkpoints (plain data from `mmo_records`), written for failover and
//!   restored after a zone died, and their bytes ([`checkpoint::CheckpointCodec`]);
//! - [`revive`]: the record a gateway re-creates a player from after its zone died;
//! - [`takeover`]: which cells a zone takes, waits for, or takes from a dead owner.
//!
//! Dependencies point one way: `records` (the registry's values) <- `registry` (the trait) <-
//! `memory`, `etcd` (its implementations); `peer` and `checkpoint` re-export `mmo_records`;
//! `link` <- `directory` <- `connector`, `net` (uses link, directory, registry, records) <- `checkpoint`
//! (its bytes are the link's codec). No module imports one that imports it.

pub mod checkpoint;
pub mod cli;
pub mod connector;
pub mod directory;
pub mod etcd;
pub mod follow;
pub mod link;
mod memory;
pub mod net;
pub mod peer;
pub mod records;
pub mod registry;
pub mod revive;
pub mod takeover;

pub use connector::{in_process_address, LocalZones, ZoneConnector};
pub use directory::ZoneDirectory;
pub use link::{JoinAccepted, JoinRefused, LinkError, LinkUp, SubscriberId, ZoneCommand, ZoneHandle};
pub use memory::MemoryRegistry;
pub use records::{CertHash, Event, EventKind, GatewayInfo, LoadReport, MoveReason, ZoneInfo};
pub use registry::{
    register_after_previous_run, Assignment, AssignmentTable, Lease, LeaseId, LeaseValidity, Member, Registry,
    RegistryError, Reshaping,
};

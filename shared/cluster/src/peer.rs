//! What zones tell each other, and the entity records that travel in handoffs: plain data,
//! defined in `mmo_records` (re-exported here for the services that name them through the
//! cluster crate).

pub use mmo_records::entity::*;
pub use mmo_records::peer::*;
pub use mmo_records::report::*;
pub use mmo_records::Item;

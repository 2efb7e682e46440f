//! Zone links over the network (the multi-process mode): [`LinkServer`] serves a zone's
//! [`ZoneHandle`](crate::ZoneHandle) on a TCP socket, [`connect`] gives a remote caller a
//! handle that behaves like the in-process one. [`codec`] is the one place that knows the
//! encoding, [`wire`] the messages.

pub mod client;
pub mod codec;
mod follow;
mod server;
pub mod wire;

pub use client::connect;
pub use follow::{follow_zones, FOLLOW_PERIOD};
pub use server::{LinkServer, STREAM_QUEUE};

//! Zone links over the network (the multi-process mode): [`LinkServer`] serves a zone's
//! [`ZoneHandle`](crate::ZoneHandle) on a TCP socket over TLS, [`connect`] gives a remote
//! caller a handle that behaves like the in-process one. [`tls`] holds the members'
//! certificates and who trusts whom (the registry), [`codec`] is the one place that knows the
//! encoding, [`wire`] the messages.

pub mod client;
pub mod codec;
pub mod reliable;
mod server;
pub mod tls;
pub mod wire;

pub use client::connect;
pub use server::{BindError, LinkServer, STREAM_QUEUE};
pub use tls::{LinkIdentity, TrustedPeers};

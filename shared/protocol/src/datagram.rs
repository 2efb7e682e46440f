//! Input datagrams, client to gateway (bincode, like the control messages). Snapshots, the
//! datagrams going down, have their own bit-packed layout: [`crate::snapshot`].

use mmo_world::Tick;
use serde::{Deserialize, Serialize};

/// Client to gateway, one per datagram.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientDatagram {
    Input(InputFrame),
}

/// One tick of input, with the few before it repeated against loss.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputFrame {
    /// Sequence number of the newest input in `buttons`.
    pub seq: u32,
    /// The newest snapshot tick the client has received.
    pub ack: Option<Tick>,
    /// Button bit sets (`mmo_world::Buttons`), oldest first; the last is input `seq`.
    pub buttons: Vec<u8>,
}

impl crate::codec::Message for ClientDatagram {
    const KINDS: u8 = 1;
}

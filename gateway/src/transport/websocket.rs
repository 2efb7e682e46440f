//! The WebSocket fallback: one socket carries both channels, each binary message tagged by its
//! first byte ([`Channel`]).

use super::{Inbound, Transport, TransportError, TransportKind};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use bytes::Bytes;
use futures::StreamExt;
use mmo_protocol::framing::Channel;
use mmo_protocol::limits::{MAX_CLIENT_CONTROL, MAX_CLIENT_DATAGRAM, MAX_SNAPSHOT_BYTES};

/// Largest WebSocket message read at all (larger ones fail the read before allocation).
pub const MAX_WS_MESSAGE: usize = 64 * 1024;

/// Whether a read failed because the message is over [`MAX_WS_MESSAGE`] (the WebSocket library
/// stops reading it; its error type is not re-exported by axum, so its message is matched:
/// `launcher/tests/garbage.rs` checks that such a sender is closed with `FrameTooLarge`).
fn too_long(error: &axum::Error) -> bool {
    let text = error.to_string();
    text.contains("Message too long") || text.contains("Space limit exceeded")
}

#[derive(Debug)]
pub struct WebSocketClient {
    socket: WebSocket,
}

impl WebSocketClient {
    pub fn new(socket: WebSocket) -> Self {
        WebSocketClient { socket }
    }

    async fn send(&mut self, channel: Channel, msg: &[u8]) -> Result<(), TransportError> {
        let mut bytes = Vec::with_capacity(msg.len() + 1);
        bytes.push(channel as u8);
        bytes.extend_from_slice(msg);
        self.socket.send(Message::Binary(bytes.into())).await.map_err(|e| TransportError::Io(e.to_string()))
    }
}

impl Transport for WebSocketClient {
    fn kind(&self) -> TransportKind {
        TransportKind::WebSocket
    }

    async fn recv(&mut self) -> Result<Inbound, TransportError> {
        loop {
            let msg = match self.socket.next().await {
                None | Some(Ok(Message::Close(_))) => return Err(TransportError::Closed),
                Some(Err(e)) if too_long(&e) => {
                    return Err(TransportError::FrameTooLarge { size: MAX_WS_MESSAGE + 1, limit: MAX_WS_MESSAGE })
                }
                Some(Err(e)) => return Err(TransportError::Io(e.to_string())),
                Some(Ok(msg)) => msg,
            };
            let bytes = match msg {
                Message::Binary(bytes) => bytes,
                Message::Text(_) => return Err(TransportError::Framing("text message")),
                Message::Ping(_) | Message::Pong(_) => continue,
                Message::Close(_) => return Err(TransportError::Closed),
            };
            let (tag, payload) = bytes.split_first().ok_or(TransportError::Framing("empty message"))?;
            return match Channel::from_u8(*tag) {
                Some(Channel::Control) if payload.len() > MAX_CLIENT_CONTROL => {
                    Err(TransportError::FrameTooLarge { size: payload.len(), limit: MAX_CLIENT_CONTROL })
                }
                Some(Channel::Datagram) if payload.len() > MAX_CLIENT_DATAGRAM => {
                    Err(TransportError::FrameTooLarge { size: payload.len(), limit: MAX_CLIENT_DATAGRAM })
                }
                Some(Channel::Control) => Ok(Inbound::Control(payload.to_vec())),
                Some(Channel::Datagram) => Ok(Inbound::Datagram(bytes.slice(1..))),
                None => Err(TransportError::Framing("unknown channel")),
            };
        }
    }

    async fn send_control(&mut self, msg: &[u8]) -> Result<(), TransportError> {
        self.send(Channel::Control, msg).await
    }

    async fn send_datagram(&mut self, msg: Bytes) -> Result<(), TransportError> {
        self.send(Channel::Datagram, &msg).await
    }

    fn max_datagram(&self) -> usize {
        MAX_SNAPSHOT_BYTES
    }

    async fn close(mut self, code: u32, reason: &'static str) {
        // WebSocket has no close code 0: a normal goodbye is 1000.
        let code = if code == 0 { 1000 } else { code as u16 };
        let frame = CloseFrame { code, reason: reason.into() };
        let _ = self.socket.send(Message::Close(Some(frame))).await;
    }
}

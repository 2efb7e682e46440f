//! One client of the real protocol, over WebTransport (a control stream plus datagrams) or the
//! WebSocket fallback (both channels on one socket, tagged by their first byte). It counts the
//! messages and application bytes it moves each way.

mod connect_info;
mod endpoint;
mod route;
mod tls;

pub use connect_info::{http_get, http_get_up_to, ConnectInfo, PeerInfo};
pub use endpoint::{Endpoints, UdpBuffers};
pub use route::{http_base, GatewayRoute, WebTransportRoute};
pub use tls::Trust;

use crate::view::{SharedExtrapolations, Views};
use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use mmo_protocol::framing::{frame, Channel, FrameReader};
use mmo_protocol::limits::MAX_SERVER_CONTROL;
use mmo_protocol::snapshot::ApplyError;
use mmo_protocol::{codec, ClientControl, ClientDatagram, ErrorCode, InputFrame, ServerControl, View};
use mmo_world::Tick;
use std::sync::Arc;
use tokio_tungstenite::tungstenite::Message;

/// Why a client could not go on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    #[error("connect: {0}")]
    Connect(String),
    /// The server closed the new session at once with this code (e.g. `ServerFull`).
    #[error("refused: {}", close_reason(Some(*.0)))]
    Refused(u32),
    #[error("the gateway offers no WebTransport")]
    NoWebTransport,
    #[error("QUIC endpoint: {0}")]
    Endpoint(String),
    #[error("send: {0}")]
    Send(String),
    #[error("server message: {0}")]
    Decode(#[from] mmo_protocol::CodecError),
    #[error("server datagram: {0}")]
    Snapshot(#[from] mmo_protocol::snapshot::wire::SnapshotError),
    #[error("server frame: {0}")]
    Frame(#[from] mmo_protocol::framing::FrameTooLarge),
    #[error("server message on an unknown channel {0}")]
    UnknownChannel(u8),
}

/// What the server sent.
#[derive(Debug, Clone)]
pub enum Event {
    Control(ServerControl),
    /// The view a snapshot rebuilt.
    Snapshot(Arc<View>),
    /// A snapshot that could not be rebuilt (its baseline no longer held): as if lost.
    Unrebuilt {
        tick: Tick,
        error: ApplyError,
    },
    /// The session closed, with its close code if there was one.
    Closed(Option<u32>),
}

/// Messages and application bytes (framing included, transport headers not) each way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    pub msgs_out: u64,
    pub msgs_in: u64,
    pub bytes_out: u64,
    pub bytes_in: u64,
}

impl std::ops::Add for Traffic {
    type Output = Traffic;

    fn add(self, o: Traffic) -> Traffic {
        Traffic {
            msgs_out: self.msgs_out + o.msgs_out,
            msgs_in: self.msgs_in + o.msgs_in,
            bytes_out: self.bytes_out + o.bytes_out,
            bytes_in: self.bytes_in + o.bytes_in,
        }
    }
}

type WebSocket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

enum Link {
    Wt(Box<WtLink>),
    Ws(Box<WebSocket>),
}

struct WtLink {
    // The client holds the endpoint: keep it as long as the session.
    _client: web_transport_quinn::Client,
    session: web_transport_quinn::Session,
    send: web_transport_quinn::SendStream,
    recv: web_transport_quinn::RecvStream,
    reader: FrameReader,
}

/// One protocol client.
pub struct Client {
    link: Link,
    pub traffic: Traffic,
    views: Views,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.link {
            Link::Wt(_) => "webtransport",
            Link::Ws(_) => "websocket",
        };
        f.debug_struct("Client").field("transport", &kind).field("traffic", &self.traffic).finish()
    }
}

impl Client {
    /// Opens a WebTransport session at `url` on one of `endpoints`, and its control stream.
    pub async fn webtransport(client: web_transport_quinn::Client, url: &url::Url) -> Result<Client, ClientError> {
        let session = client.connect(url.clone()).await.map_err(|e| ClientError::Connect(e.to_string()))?;
        let (send, recv) = session.open_bi().await.map_err(|e| match close_code(&e) {
            Some(code) => ClientError::Refused(code),
            None => ClientError::Connect(e.to_string()),
        })?;
        let link = WtLink { _client: client, session, send, recv, reader: FrameReader::new(MAX_SERVER_CONTROL) };
        Ok(Client { link: Link::Wt(Box::new(link)), traffic: Traffic::default(), views: Views::default() })
    }

    /// Opens the WebSocket fallback at `url` (`ws://host:port/ws`, or `wss://` verified against
    /// `trust`), with Nagle's algorithm off as browsers have it (else small inputs wait for the
    /// previous segment's acknowledgement).
    pub async fn websocket(url: &str, trust: &Trust) -> Result<Client, ClientError> {
        let connector =
            if url.starts_with("wss:") { Some(tokio_tungstenite::Connector::Rustls(trust.https())) } else { None };
        let (ws, _) = tokio_tungstenite::connect_async_tls_with_config(url, None, true, connector)
            .await
            .map_err(|e| ClientError::Connect(e.to_string()))?;
        Ok(Client { link: Link::Ws(Box::new(ws)), traffic: Traffic::default(), views: Views::default() })
    }

    /// The client extrapolating through `extrapolations`, shared with other clients'.
    pub fn sharing(mut self, extrapolations: SharedExtrapolations) -> Client {
        self.views = Views::new(extrapolations);
        self
    }

    /// Sends one encoded control message.
    pub async fn send_control_bytes(&mut self, bytes: &[u8]) -> Result<(), ClientError> {
        let sent = match &mut self.link {
            Link::Wt(wt) => {
                let framed = frame(bytes);
                wt.send.write_all(&framed).await.map_err(|e| ClientError::Send(e.to_string()))?;
                framed.len()
            }
            Link::Ws(ws) => {
                let mut msg = Vec::with_capacity(bytes.len() + 1);
                msg.push(Channel::Control as u8);
                msg.extend_from_slice(bytes);
                let len = msg.len();
                ws.send(Message::Binary(msg.into())).await.map_err(|e| ClientError::Send(e.to_string()))?;
                len
            }
        };
        self.traffic.msgs_out += 1;
        self.traffic.bytes_out += sent as u64;
        Ok(())
    }

    /// Writes raw bytes on the control stream (WebTransport) or as one message (WebSocket).
    pub async fn send_raw(&mut self, bytes: &[u8]) -> Result<(), ClientError> {
        match &mut self.link {
            Link::Wt(wt) => wt.send.write_all(bytes).await.map_err(|e| ClientError::Send(e.to_string())),
            Link::Ws(ws) => {
                ws.send(Message::Binary(bytes.to_vec().into())).await.map_err(|e| ClientError::Send(e.to_string()))
            }
        }
    }

    pub async fn send_control(&mut self, msg: &ClientControl) -> Result<(), ClientError> {
        self.send_control_bytes(&codec::encode(msg, usize::MAX)?).await
    }

    /// Sends one encoded datagram.
    pub async fn send_datagram_bytes(&mut self, bytes: &[u8]) -> Result<(), ClientError> {
        let sent = match &mut self.link {
            Link::Wt(wt) => {
                wt.session
                    .send_datagram(Bytes::copy_from_slice(bytes))
                    .map_err(|e| ClientError::Send(e.to_string()))?;
                bytes.len()
            }
            Link::Ws(ws) => {
                let mut msg = Vec::with_capacity(bytes.len() + 1);
                msg.push(Channel::Datagram as u8);
                msg.extend_from_slice(bytes);
                let len = msg.len();
                ws.send(Message::Binary(msg.into())).await.map_err(|e| ClientError::Send(e.to_string()))?;
                len
            }
        };
        self.traffic.msgs_out += 1;
        self.traffic.bytes_out += sent as u64;
        Ok(())
    }

    /// Sends an input frame.
    pub async fn send_input(&mut self, input: InputFrame) -> Result<(), ClientError> {
        self.send_datagram_bytes(&codec::encode(&ClientDatagram::Input(input), usize::MAX)?).await
    }

    /// The newest tick rebuilt from a snapshot: the one to acknowledge.
    pub fn ack(&self) -> Option<Tick> {
        self.views.newest_tick()
    }

    fn rebuild(&mut self, datagram: &[u8]) -> Result<Event, ClientError> {
        let snap = mmo_protocol::snapshot::wire::decode(datagram)?;
        Ok(match self.views.apply(&snap) {
            Ok(view) => Event::Snapshot(view),
            Err(error) => Event::Unrebuilt { tick: snap.tick, error },
        })
    }

    /// The next thing the server sent. Cancel-safe: a partly read control frame stays buffered.
    pub async fn recv(&mut self) -> Result<Event, ClientError> {
        match &mut self.link {
            Link::Wt(wt) => loop {
                let WtLink { session, recv, reader, .. } = wt.as_mut();
                if let Some(f) = reader.next_frame()? {
                    self.traffic.msgs_in += 1;
                    self.traffic.bytes_in += 4 + f.len() as u64;
                    return Ok(Event::Control(codec::decode(&f, MAX_SERVER_CONTROL)?));
                }
                tokio::select! {
                    d = session.read_datagram() => match d {
                        Ok(d) => {
                            self.traffic.msgs_in += 1;
                            self.traffic.bytes_in += d.len() as u64;
                            return self.rebuild(&d);
                        }
                        Err(e) => return Ok(Event::Closed(close_code(&e))),
                    },
                    // What the stream holds, without a buffer to clear on every call.
                    chunk = recv.read_chunk(8192, true) => match chunk {
                        Ok(Some(chunk)) => reader.push(&chunk.bytes),
                        _ => return Ok(Event::Closed(close_code(&session.closed().await))),
                    },
                }
            },
            Link::Ws(ws) => loop {
                match ws.next().await {
                    Some(Ok(Message::Binary(b))) => {
                        self.traffic.msgs_in += 1;
                        self.traffic.bytes_in += b.len() as u64;
                        let Some((&tag, payload)) = b.split_first() else { continue };
                        return match Channel::from_u8(tag) {
                            Some(Channel::Control) => Ok(Event::Control(codec::decode(payload, MAX_SERVER_CONTROL)?)),
                            Some(Channel::Datagram) => self.rebuild(payload),
                            None => Err(ClientError::UnknownChannel(tag)),
                        };
                    }
                    Some(Ok(Message::Close(frame))) => {
                        return Ok(Event::Closed(frame.map(|f| u16::from(f.code).into())))
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(_)) | None => return Ok(Event::Closed(None)),
                }
            },
        }
    }

    /// Leaves: closes the session with code 0 (WebSocket: 1000), as a browser tab closing.
    pub async fn close(self) {
        match self.link {
            Link::Wt(wt) => {
                wt.session.close(0, b"bye");
            }
            Link::Ws(mut ws) => {
                let _ = tokio::time::timeout(std::time::Duration::from_secs(1), SinkExt::close(ws.as_mut())).await;
            }
        }
    }
}

fn close_code(e: &web_transport_quinn::SessionError) -> Option<u32> {
    match e {
        web_transport_quinn::SessionError::WebTransportError(web_transport_quinn::WebTransportError::Closed(
            code,
            _,
        )) => Some(*code),
        _ => None,
    }
}

/// Every error code, to name close codes.
const CODES: [ErrorCode; 22] = [
    ErrorCode::VersionMismatch,
    ErrorCode::MalformedMessage,
    ErrorCode::UnknownMessage,
    ErrorCode::FrameTooLarge,
    ErrorCode::UnexpectedMessage,
    ErrorCode::InputFlood,
    ErrorCode::ChatFlood,
    ErrorCode::NameTaken,
    ErrorCode::NameInvalid,
    ErrorCode::ChatInvalid,
    ErrorCode::ServerFull,
    ErrorCode::ZoneUnavailable,
    ErrorCode::ShuttingDown,
    ErrorCode::Internal,
    ErrorCode::WrongPassword,
    ErrorCode::PasswordInvalid,
    ErrorCode::TokenInvalid,
    ErrorCode::TokenExpired,
    ErrorCode::CharacterCorrupt,
    ErrorCode::StoreUnavailable,
    ErrorCode::Draining,
    ErrorCode::Timeout,
];

/// The protocol error a close code stands for (`4000 + code` on both transports).
pub fn error_code(close: u32) -> Option<ErrorCode> {
    CODES.iter().copied().find(|c| c.close_code() == close)
}

/// A name for how a session closed: the error code's name, `Normal` for 0 / 1000, `Code<n>`
/// for others, `ConnectionLost` without a code.
pub fn close_reason(close: Option<u32>) -> String {
    match close {
        None => "ConnectionLost".into(),
        Some(0 | 1000) => "Normal".into(),
        Some(c) => error_code(c).map_or_else(|| format!("Code{c}"), |code| format!("{code:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_codes_map_to_error_codes() {
        assert_eq!(error_code(4006), Some(ErrorCode::InputFlood));
        assert_eq!(close_reason(Some(4011)), "ServerFull");
        assert_eq!(close_reason(Some(4013)), "ShuttingDown");
        assert_eq!(close_reason(Some(4021)), "Draining");
        assert_eq!(close_reason(Some(0)), "Normal");
        assert_eq!(close_reason(Some(1006)), "Code1006");
        assert_eq!(close_reason(None), "ConnectionLost");
        for c in CODES {
            assert_eq!(error_code(c.close_code()), Some(c));
        }
    }
}

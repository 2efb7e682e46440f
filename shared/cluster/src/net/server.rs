//! Serving a zone's [`ZoneHandle`] on a TCP socket, over TLS with registered peers only
//! ([`super::tls`]): every connection's messages become
//! [`ZoneCommand`]s on the local handle, with local reply channels whose answers go back under
//! the request's id, and local frame channels whose frames go back under the stream's id.
//!
//! The zone never waits on the network: each subscription gets its own small bounded channel
//! that the zone fills without waiting (a full one loses the frame, as in one process); a task
//! per subscription moves its frames to the connection's writer.

use super::codec::{self, WireError, MAX_MESSAGE};
use super::reliable::{Delivered, LinkId, Seq};
use super::tls::{LinkFeatures, LinkIdentity, TlsError, TrustedPeers};
use super::wire::{FromZone, Reply, RequestId, StreamId, ToZone};
use crate::link::{ZoneCommand, ZoneHandle};
use mmo_protocol::framing::FrameReader;
use mmo_protocol::{CellFrame, CellFrameDelta};
use mmo_records::RestoredCell;
use mmo_world::CellId;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufWriter};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tracing::{debug, info, warn, Instrument};

/// Frames one subscription may have waiting for the socket before the zone drops its frames
/// (room for the history a new subscriber gets, and then some).
pub const STREAM_QUEUE: usize = 16;
/// Messages a connection may have waiting for the socket.
const OUT_QUEUE: usize = 1024;
/// How long a connecting peer has to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a link could not start listening.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Tls(#[from] TlsError),
}

/// A zone's listening link.
#[derive(Debug)]
pub struct LinkServer {
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    identity: Arc<LinkIdentity>,
    trusted: TrustedPeers,
    /// The numbered peer messages handed to the zone, per client link, across connections.
    delivered: Delivered,
}

impl LinkServer {
    /// Listens on `addr`, presenting `identity` and accepting the peers in [`Self::trusted`]
    /// (none at first).
    pub async fn bind(addr: SocketAddr, identity: Arc<LinkIdentity>) -> Result<Self, BindError> {
        let trusted = TrustedPeers::default();
        let tls = Arc::new(identity.server_config(trusted.clone())?);
        let listener = TcpListener::bind(addr).await?;
        Ok(LinkServer { listener, tls, identity, trusted, delivered: Delivered::default() })
    }

    /// The certificate the link presents (the zone registers its hash).
    pub fn identity(&self) -> Arc<LinkIdentity> {
        self.identity.clone()
    }

    /// The peers the link accepts ([`crate::follow::follow_zones`] keeps them current).
    pub fn trusted(&self) -> TrustedPeers {
        self.trusted.clone()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("bound listener")
    }

    /// Accepts connections and serves `zone` on each until `shutdown` turns true (then drops
    /// every connection).
    pub async fn run(self, zone: ZoneHandle, mut shutdown: watch::Receiver<bool>) {
        let mut connections = JoinSet::new();
        info!(addr = %self.local_addr(), zone = %zone.zone, "zone link listening");
        loop {
            tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        let _ = stream.set_nodelay(true);
                        let span = tracing::info_span!("link", %peer);
                        let tls = TlsAcceptor::from(self.tls.clone());
                        let served = handshake(tls, stream, zone.clone(), self.delivered.clone());
                        connections.spawn(served.instrument(span));
                    }
                    Err(error) => warn!(%error, "accepting a link connection failed"),
                },
                _ = shutdown.wait_for(|stop| *stop) => break,
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
    }
}

/// Why a connection ended.
#[derive(Debug, thiserror::Error)]
pub(super) enum ConnectionEnd {
    #[error("peer closed the connection")]
    Closed,
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Wire(#[from] WireError),
    #[error("zone is gone")]
    ZoneGone,
    #[error("the zone at that address is zone {0}, not the one dialled")]
    WrongZone(mmo_world::ZoneId),
    #[error("the zone did not welcome the connection within 5 s (it does not trust this member yet?)")]
    NoWelcome,
}

/// Serves a connection once its peer proved it holds a registered certificate.
async fn handshake(tls: TlsAcceptor, stream: TcpStream, zone: ZoneHandle, delivered: Delivered) {
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.accept(stream)).await {
        Ok(Ok(stream)) => {
            let features = LinkFeatures::of(stream.get_ref().1.alpn_protocol());
            serve_connection(stream, zone, features, delivered).await
        }
        Ok(Err(error)) => refused("link_tls_refused", &error),
        Err(_) => refused("link_tls_timeout", &"no TLS handshake within 5 s"),
    }
}

fn refused(code: &'static str, error: &dyn std::fmt::Display) {
    metrics::counter!("mmo_link_refused_total", "code" => code).increment(1);
    warn!(code, %error, "refused a link peer (not a registered member, or not speaking TLS)");
}

/// Serves one connection in the link version agreed (`features`).
async fn serve_connection(
    stream: impl AsyncRead + AsyncWrite + Send + 'static,
    zone: ZoneHandle,
    features: LinkFeatures,
    delivered: Delivered,
) {
    let (mut reader, writer) = tokio::io::split(stream);
    let (out_tx, out_rx) = mpsc::channel::<Vec<u8>>(OUT_QUEUE);
    if let Some(welcome) = framed(&FromZone::Welcome { zone: zone.zone }) {
        let _ = out_tx.try_send(welcome);
    }
    let mut tasks = JoinSet::new();
    tasks.spawn(write_loop(writer, out_rx));
    let (acks, acked) = watch::channel(0);
    if features.acks {
        tasks.spawn(acknowledge(acked, out_tx.clone()));
    }
    let mut numbering = Numbering { link: None, delivered, acks, due: None };
    let mut frames = FrameReader::new(MAX_MESSAGE);
    let mut buf = Vec::with_capacity(64 * 1024);
    let end = loop {
        let msg = match next_message::<ToZone>(&mut reader, &mut frames, &mut buf).await {
            Ok(msg) => msg,
            Err(end) => break end,
        };
        while tasks.try_join_next().is_some() {}
        let Some(cmd) = to_command(msg, &out_tx, &mut tasks, features.deltas, &mut numbering) else { continue };
        if zone.send(cmd).await.is_err() {
            break ConnectionEnd::ZoneGone;
        }
        numbering.acknowledge();
    };
    match &end {
        ConnectionEnd::Wire(error) => {
            metrics::counter!("mmo_link_bad_messages_total", "code" => error.code()).increment(1);
            warn!(code = error.code(), %error, "dropping a link peer that sent a bad message");
        }
        ConnectionEnd::Closed => debug!("link peer left"),
        other => info!(reason = %other, "link connection ended"),
    }
    // Dropping the tasks drops every subscription's channel: the zone forgets them.
}

/// Reads the next whole message. Cancel-safe: bytes read stay in `frames`.
pub(super) async fn next_message<T: serde::de::DeserializeOwned>(
    reader: &mut (impl AsyncReadExt + Unpin),
    frames: &mut FrameReader,
    buf: &mut Vec<u8>,
) -> Result<T, ConnectionEnd> {
    loop {
        match frames.next_frame() {
            Ok(Some(bytes)) => return Ok(codec::decode(&bytes)?),
            Ok(None) => {}
            Err(e) => return Err(WireError::TooLarge { size: e.size, limit: e.limit }.into()),
        }
        buf.clear();
        if reader.read_buf(buf).await? == 0 {
            return Err(ConnectionEnd::Closed);
        }
        frames.push(buf);
    }
}

/// Writes the connection's messages (encoded by their senders, each in its own task) in the
/// order they were queued.
async fn write_loop(writer: impl AsyncWrite + Unpin, mut out: mpsc::Receiver<Vec<u8>>) {
    let mut writer = BufWriter::new(writer);
    while let Some(bytes) = out.recv().await {
        if writer.write_all(&bytes).await.is_err() {
            return;
        }
        while let Ok(bytes) = out.try_recv() {
            if writer.write_all(&bytes).await.is_err() {
                return;
            }
        }
        if writer.flush().await.is_err() {
            return;
        }
    }
}

/// A message with its length prefix; `None` (logged) if it cannot be encoded.
fn framed(msg: &FromZone) -> Option<Vec<u8>> {
    codec::encode_framed(msg).map_err(|error| warn!(code = error.code(), %error, "link message not sent")).ok()
}

/// What one subscription's frames go out as, encoded: a whole frame first (and after a change
/// of ownership epoch), then deltas against the frame sent before when the peer takes them.
/// Counts the bytes of the cell's stream (`mmo_link_stream_bytes_total{cell, kind}`).
struct StreamSender {
    stream: StreamId,
    deltas: bool,
    last: Option<Arc<CellFrame>>,
    keyframe_bytes: metrics::Counter,
    delta_bytes: metrics::Counter,
}

impl StreamSender {
    fn new(stream: StreamId, cell: CellId, deltas: bool) -> Self {
        let bytes = |kind: &'static str| metrics::counter!("mmo_link_stream_bytes_total", "cell" => cell.to_string(), "kind" => kind);
        StreamSender { stream, deltas, last: None, keyframe_bytes: bytes("keyframe"), delta_bytes: bytes("delta") }
    }

    fn message(&mut self, frame: Arc<CellFrame>) -> Option<Vec<u8>> {
        let delta = self.last.as_ref().filter(|_| self.deltas).and_then(|last| CellFrameDelta::between(last, &frame));
        self.last = Some(frame.clone());
        let (counter, msg) = match delta {
            Some(delta) => (&self.delta_bytes, FromZone::FrameDelta { stream: self.stream, delta }),
            None => (&self.keyframe_bytes, FromZone::Frame { stream: self.stream, frame }),
        };
        let bytes = framed(&msg)?;
        counter.increment(bytes.len() as u64);
        Some(bytes)
    }
}

/// The numbered peer messages of one connection: which client link sent them
/// ([`ToZone::Hello`]), and the acknowledgement due once the zone has the last one.
struct Numbering {
    link: Option<LinkId>,
    delivered: Delivered,
    acks: watch::Sender<Seq>,
    due: Option<Seq>,
}

impl Numbering {
    /// Whether message `seq` is new (a message sent again after a broken connection is not).
    fn admit(&mut self, seq: Seq) -> bool {
        // A client that named no link gets no protection against duplicates, only acks.
        let (new, highest) = self.delivered.first_time(self.link.unwrap_or_default(), seq);
        self.due = Some(highest);
        if !new {
            metrics::counter!("mmo_link_peer_messages_duplicate_total").increment(1);
            // Nothing goes to the zone: acknowledge now, so the client stops sending it.
            self.acknowledge();
        }
        new
    }

    /// The zone has every message admitted so far.
    fn acknowledge(&mut self) {
        if let Some(seq) = self.due.take() {
            self.acks.send_replace(seq);
        }
    }
}

/// Tells the client, as they come, the highest numbered message the zone has (one
/// acknowledgement covers every message the zone took while the last one was being sent).
async fn acknowledge(mut acked: watch::Receiver<Seq>, out: mpsc::Sender<Vec<u8>>) {
    while acked.changed().await.is_ok() {
        let seq = *acked.borrow_and_update();
        let Some(bytes) = framed(&FromZone::Acked { seq }) else { continue };
        if out.send(bytes).await.is_err() {
            return;
        }
    }
}

/// Sends a reply back when the zone answers.
fn forward_reply<T: Send + 'static>(
    req: RequestId,
    rx: oneshot::Receiver<T>,
    wrap: fn(T) -> Reply,
    out: &mpsc::Sender<Vec<u8>>,
    tasks: &mut JoinSet<()>,
) {
    let out = out.clone();
    tasks.spawn(async move {
        if let Some(bytes) = rx.await.ok().and_then(|value| framed(&FromZone::Reply { req, reply: wrap(value) })) {
            let _ = out.send(bytes).await;
        }
    });
}

/// The zone command of a message; `None` for the link's own messages and for a numbered
/// message the zone already has.
fn to_command(
    msg: ToZone,
    out: &mpsc::Sender<Vec<u8>>,
    tasks: &mut JoinSet<()>,
    deltas: bool,
    numbering: &mut Numbering,
) -> Option<ZoneCommand> {
    Some(match msg {
        ToZone::OwnCell { cell, epoch } => ZoneCommand::OwnCell { cell, epoch },
        ToZone::RestoreCell { cell, epoch, npcs, ground } => {
            ZoneCommand::RestoreCell { cell, epoch, restored: Box::new(RestoredCell { npcs, ground }) }
        }
        ToZone::Join(j) => {
            let (reply, rx) = oneshot::channel();
            forward_reply(j.req, rx, Reply::Join, out, tasks);
            ZoneCommand::Join { record: j.record, route: j.route, reply }
        }
        ToZone::Restore(r) => {
            let (reply, rx) = oneshot::channel();
            forward_reply(r.req, rx, Reply::Restore, out, tasks);
            ZoneCommand::Restore { record: r.record, reply }
        }
        ToZone::Input { entity, seq, buttons } => ZoneCommand::Input { entity, seq, buttons },
        ToZone::Chat { entity, text } => ZoneCommand::Chat { entity, text },
        ToZone::Party { entity, members } => ZoneCommand::Party { entity, members },
        ToZone::Leave { entity, saved } => {
            let saved = saved.map(|req| {
                let (tx, rx) = oneshot::channel();
                forward_reply(req, rx, |()| Reply::Saved, out, tasks);
                tx
            });
            ZoneCommand::Leave { entity, saved }
        }
        ToZone::Subscribe { cell, subscriber, stream } => {
            let (frames, mut rx) = mpsc::channel::<Arc<CellFrame>>(STREAM_QUEUE);
            let out = out.clone();
            let mut sender = StreamSender::new(stream, cell, deltas);
            tasks.spawn(async move {
                while let Some(frame) = rx.recv().await {
                    let Some(bytes) = sender.message(frame) else { continue };
                    if out.send(bytes).await.is_err() {
                        return;
                    }
                }
            });
            ZoneCommand::Subscribe { cell, subscriber, frames }
        }
        ToZone::Unsubscribe { cell, subscriber } => ZoneCommand::Unsubscribe { cell, subscriber },
        ToZone::CellOwner { cell, zone, epoch } => ZoneCommand::CellOwner { cell, zone, epoch },
        ToZone::Peer { from, msg, sent_us } => ZoneCommand::Peer { from, msg, sent_us },
        ToZone::PeerLost { zone } => ZoneCommand::PeerLost { zone },
        ToZone::Inspect { req } => {
            let (reply, rx) = oneshot::channel();
            forward_reply(req, rx, |r| Reply::Inspect(Box::new(r)), out, tasks);
            ZoneCommand::Inspect { reply }
        }
        ToZone::SpawnNpcs { req, cell, count, at } => {
            let (reply, rx) = oneshot::channel();
            forward_reply(req, rx, Reply::SpawnNpcs, out, tasks);
            ZoneCommand::SpawnNpcs { cell, count, at, reply }
        }
        ToZone::Hello { link } => {
            numbering.link = Some(link);
            return None;
        }
        ToZone::PeerNumbered { seq, from, msg, sent_us } => {
            if !numbering.admit(seq) {
                return None;
            }
            ZoneCommand::Peer { from, msg, sent_us }
        }
    })
}

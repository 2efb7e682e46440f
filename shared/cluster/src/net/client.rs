//! A [`ZoneHandle`] to a zone in another process: the handle's commands are read by a task
//! that keeps a TLS connection to the zone's [`LinkServer`](super::LinkServer), reconnecting
//! (with backoff) when it breaks. The zone must present the certificate it registered; the
//! client presents its own member's ([`super::tls`]).
//!
//! Replies are matched by request id; a request in flight when the connection breaks, or sent
//! while it is down, fails with [`LinkError::Closed`](crate::link::LinkError::Closed). Frames
//! go to the subscriber's sender without waiting (a full subscriber loses the frame, as in one
//! process). Subscriptions are kept and sent again on every new connection. Commands sent
//! while the connection is down are dropped (inputs: clients send newer ones; transfers: the
//! zone core resends them until answered), except the peer messages that matter (kill credits,
//! leaves, chat, recent hits): those are numbered and kept until the zone acknowledges them,
//! and sent again first on every new connection, so each reaches the zone once whether it was
//! sent while the connection was down or just before it broke ([`super::reliable`]).
//!
//! [`ZoneCommand::Subscribers`] (a migrated cell's subscribers moving to its new owner) carries
//! channels that cannot cross processes: it is not sent; remote subscribers follow the registry
//! and subscribe at the new owner themselves (gateways' `follow_owners`, zones' ghost
//! subscriptions).

use super::codec::{self, MAX_MESSAGE};
use super::reliable::{new_link_id, LinkId, Unacked};
use super::server::{next_message, ConnectionEnd};
use super::tls::{LinkFeatures, LinkIdentity, TlsError, LINK_SERVER_NAME};
use super::wire::{FromZone, JoinRequest, Reply, RequestId, RestoreRequest, StreamId, ToZone};
use crate::link::{JoinAccepted, JoinRefused, LinkUp, SubscriberId, ZoneCommand, ZoneHandle};
use crate::records::ZoneInfo;
use mmo_protocol::framing::FrameReader;
use mmo_protocol::CellFrame;
use mmo_records::{PeerMessage, ZoneReport};
use mmo_world::{CellId, EntityId, ZoneId};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_rustls::TlsConnector;
use tracing::{debug, info, warn, Instrument};

/// Commands a remote handle queues before the link task reads them.
pub const REMOTE_QUEUE: usize = 16 * 1024;
const BACKOFF_MIN: Duration = Duration::from_millis(50);
const BACKOFF_MAX: Duration = Duration::from_secs(1);
/// How long commands wait in the queue for the first connection (a zone that has just
/// registered may not trust a new member for one registry read, about 200 ms).
const FIRST_CONNECTION_PATIENCE: Duration = Duration::from_secs(2);
/// How long connecting, the TLS handshake and the zone's welcome may take together.
const DIAL_TIMEOUT: Duration = Duration::from_secs(5);

/// A connection the zone has welcomed.
struct Connection {
    reader: tokio::io::ReadHalf<tokio_rustls::client::TlsStream<TcpStream>>,
    writer: tokio::io::WriteHalf<tokio_rustls::client::TlsStream<TcpStream>>,
    frames: FrameReader,
    buf: Vec<u8>,
    /// What the link version agreed lets this end send.
    features: LinkFeatures,
}

type JoinReply = oneshot::Sender<Result<JoinAccepted, JoinRefused>>;

/// A reply channel waiting for its answer.
enum Pending {
    Join(JoinReply),
    Inspect(oneshot::Sender<ZoneReport>),
    SpawnNpcs(oneshot::Sender<Vec<EntityId>>),
    Restore(JoinReply),
    Saved(oneshot::Sender<()>),
}

/// One subscription, kept across reconnections.
struct Stream {
    cell: CellId,
    subscriber: SubscriberId,
    frames: mpsc::Sender<Arc<CellFrame>>,
    /// The last frame received on this connection: the base of the next delta.
    last: Option<Arc<CellFrame>>,
}

/// Connects to the zone registered as `info` (its address and certificate), as the member
/// `identity`: returns the handle and the link's driver, which the caller runs (spawns or
/// selects on) for as long as it uses the handle. The handle works at once; commands sent
/// before the first connection wait for it (up to 2 s), later ones while the link is down are
/// handled as described in the module's documentation. The driver ends when every clone of the
/// handle is dropped.
pub fn connect(
    info: &ZoneInfo,
    identity: &LinkIdentity,
) -> Result<(ZoneHandle, impl Future<Output = ()> + Send + 'static), TlsError> {
    let tls = TlsConnector::from(Arc::new(identity.client_config(info.cert_hash)?));
    let (handle, commands, up) = ZoneHandle::link_channel(info.id, REMOTE_QUEUE);
    let span = tracing::info_span!("remote_zone", zone = %info.id, addr = %info.address);
    Ok((handle, RemoteLink::new(info.id, info.address.clone(), tls, commands, up).run().instrument(span)))
}

struct RemoteLink {
    zone: ZoneId,
    addr: String,
    tls: TlsConnector,
    commands: mpsc::Receiver<ZoneCommand>,
    /// Told whether a connection is up.
    up: LinkUp,
    next_id: u64,
    pending: HashMap<RequestId, Pending>,
    streams: HashMap<StreamId, Stream>,
    /// This link's name for the zone, across connections.
    link: LinkId,
    /// Peer messages the zone has not acknowledged yet, or sent while the connection was down.
    unacked: Unacked,
}

impl RemoteLink {
    fn new(zone: ZoneId, addr: String, tls: TlsConnector, commands: mpsc::Receiver<ZoneCommand>, up: LinkUp) -> Self {
        RemoteLink {
            zone,
            addr,
            tls,
            commands,
            up,
            next_id: 1,
            pending: HashMap::new(),
            streams: HashMap::new(),
            link: new_link_id(),
            unacked: Unacked::default(),
        }
    }

    async fn run(mut self) {
        let mut backoff = BACKOFF_MIN;
        let patience = Instant::now() + FIRST_CONNECTION_PATIENCE;
        let mut connected_once = false;
        loop {
            // Commands wait in the queue until the first connection (none is lost to a link
            // that is just starting); later, they are handled as sent while the link is down.
            let waiting = !connected_once && Instant::now() < patience;
            // The dial owns what it needs, so commands can be handled while it runs: one
            // arriving must not restart a handshake in progress.
            let dialling = dial(self.zone, self.addr.clone(), self.tls.clone());
            tokio::pin!(dialling);
            let stream = if waiting {
                match tokio::time::timeout_at(patience, &mut dialling).await {
                    Ok(result) => result,
                    Err(_) => continue,
                }
            } else {
                loop {
                    tokio::select! {
                        s = &mut dialling => break s,
                        cmd = self.commands.recv() => match cmd {
                            Some(cmd) => self.offline(cmd),
                            None => return,
                        },
                    }
                }
            };
            match stream {
                Ok(stream) => {
                    connected_once = true;
                    info!("zone link connected");
                    backoff = BACKOFF_MIN;
                    self.up.set(true);
                    let end = self.connected(stream).await;
                    self.up.set(false);
                    match end {
                        Ok(()) => return,
                        Err(end) => warn!(reason = %end, "zone link lost; reconnecting"),
                    }
                    metrics::counter!("mmo_link_reconnects_total").increment(1);
                    // Requests in flight will never be answered.
                    self.pending.clear();
                }
                Err(error) => {
                    // The first failure of a streak is worth an operator's eye (a zone that
                    // refuses this member, a wrong address); the retries are not.
                    if backoff == BACKOFF_MIN {
                        warn!(%error, "zone link connection failed; retrying with backoff");
                    } else {
                        debug!(%error, "zone link connection failed");
                    }
                    let wait = tokio::time::sleep(backoff);
                    tokio::pin!(wait);
                    // While waiting for the first connection, commands stay queued.
                    if !waiting {
                        loop {
                            tokio::select! {
                                biased;
                                _ = &mut wait => break,
                                cmd = self.commands.recv() => match cmd {
                                    Some(cmd) => self.offline(cmd),
                                    None => return,
                                },
                            }
                        }
                    }
                    wait.await;
                    backoff = (backoff * 2).min(BACKOFF_MAX);
                }
            }
        }
    }

    /// Serves one connection. `Ok` when every handle is gone.
    async fn connected(&mut self, connection: Connection) -> Result<(), ConnectionEnd> {
        let Connection { mut reader, mut writer, mut frames, mut buf, features } = connection;
        let hello = features.acks.then_some(ToZone::Hello { link: self.link });
        let resubscribe: Vec<ToZone> = self
            .streams
            .iter_mut()
            .map(|(&stream, s)| {
                s.last = None;
                ToZone::Subscribe { cell: s.cell, subscriber: s.subscriber, stream }
            })
            .collect();
        let again = if features.acks { self.unacked.resend() } else { self.unacked.take() };
        for msg in hello.into_iter().chain(resubscribe).chain(again) {
            writer.write_all(&codec::encode_framed(&msg)?).await?;
        }
        loop {
            tokio::select! {
                cmd = self.commands.recv() => {
                    let msg = match cmd {
                        None => return Ok(()),
                        Some(ZoneCommand::Peer {
                            msg: PeerMessage::SharedCredit { .. } | PeerMessage::GiveOffer(_) | PeerMessage::GiveAnswer { .. },
                            ..
                        }) if !features.parties => {
                            metrics::counter!("mmo_link_parties_not_sent_total").increment(1);
                            None
                        }
                        Some(ZoneCommand::Peer { from, msg, sent_us }) if features.acks => {
                            Some(self.unacked.send(from, msg, sent_us))
                        }
                        Some(ZoneCommand::Party { .. }) if !features.parties => {
                            metrics::counter!("mmo_link_parties_not_sent_total").increment(1);
                            None
                        }
                        Some(cmd) => self.wire_form(cmd),
                    };
                    if let Some(msg) = msg {
                        writer.write_all(&codec::encode_framed(&msg)?).await?;
                    }
                }
                msg = next_message::<FromZone>(&mut reader, &mut frames, &mut buf) => {
                    if let Some(again) = self.received(msg?) {
                        writer.write_all(&codec::encode_framed(&again)?).await?;
                    }
                }
            }
        }
    }

    /// Handles one message; a delta that does not apply to the frame held asks for the stream
    /// again (the answer starts with a whole frame).
    fn received(&mut self, msg: FromZone) -> Option<ToZone> {
        match msg {
            FromZone::Welcome { zone } => warn!(%zone, "a second welcome; ignored"),
            FromZone::Acked { seq } => self.unacked.acked(seq),
            FromZone::Reply { req, reply } => match (self.pending.remove(&req), reply) {
                (Some(Pending::Join(tx)), Reply::Join(r)) => drop(tx.send(r)),
                (Some(Pending::Restore(tx)), Reply::Restore(r)) => drop(tx.send(r)),
                (Some(Pending::Inspect(tx)), Reply::Inspect(r)) => drop(tx.send(*r)),
                (Some(Pending::SpawnNpcs(tx)), Reply::SpawnNpcs(r)) => drop(tx.send(r)),
                (Some(Pending::Saved(tx)), Reply::Saved) => drop(tx.send(())),
                (_, reply) => warn!(req, ?reply, "reply to no request of its kind; ignored"),
            },
            FromZone::Frame { stream, frame } if !frame.ids_increasing() => {
                // Deltas apply to the frame held by merging ids: one out of order would grow
                // into frames with an entity twice.
                metrics::counter!("mmo_link_frames_malformed_total").increment(1);
                warn!(%stream, "a cell frame with entity ids out of order; dropped");
                if let Some(s) = self.streams.get_mut(&stream) {
                    s.last = None;
                }
            }
            FromZone::Frame { stream, frame } => self.deliver(stream, frame),
            FromZone::FrameDelta { stream, delta } => {
                let s = self.streams.get_mut(&stream)?;
                match s.last.as_ref().map(|base| delta.apply(base)) {
                    Some(Ok(frame)) => self.deliver(stream, Arc::new(frame)),
                    failed => {
                        metrics::counter!("mmo_link_deltas_unusable_total").increment(1);
                        warn!(%stream, error = ?failed.and_then(Result::err), "a frame delta did not apply; asking for the stream again");
                        s.last = None;
                        return Some(ToZone::Subscribe { cell: s.cell, subscriber: s.subscriber, stream });
                    }
                }
            }
        }
        None
    }

    /// Hands a stream's frame to its subscriber (a full subscriber misses it) and keeps it as
    /// the base of the next delta.
    fn deliver(&mut self, stream: StreamId, frame: Arc<CellFrame>) {
        let Some(s) = self.streams.get_mut(&stream) else { return };
        s.last = Some(frame.clone());
        match s.frames.try_send(frame) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                metrics::counter!("mmo_link_frames_dropped_total").increment(1);
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                self.streams.remove(&stream);
            }
        }
    }

    fn request(&mut self, pending: Pending) -> RequestId {
        let id = self.next_id;
        self.next_id += 1;
        self.pending.insert(id, pending);
        id
    }

    /// Forgets the stream of `(cell, subscriber)`, if any.
    fn drop_stream(&mut self, cell: CellId, subscriber: SubscriberId) {
        self.streams.retain(|_, s| !(s.cell == cell && s.subscriber == subscriber));
    }

    /// The wire form of a command (none for those that cannot cross processes).
    fn wire_form(&mut self, cmd: ZoneCommand) -> Option<ToZone> {
        Some(match cmd {
            ZoneCommand::OwnCell { cell, epoch } => ToZone::OwnCell { cell, epoch },
            ZoneCommand::RestoreCell { cell, epoch, restored } => {
                ToZone::RestoreCell { cell, epoch, npcs: restored.npcs, ground: restored.ground }
            }
            ZoneCommand::Join { record, route, reply } => {
                ToZone::Join(JoinRequest { req: self.request(Pending::Join(reply)), record, route })
            }
            ZoneCommand::Restore { record, reply } => {
                ToZone::Restore(RestoreRequest { req: self.request(Pending::Restore(reply)), record })
            }
            ZoneCommand::Input { entity, seq, buttons } => ToZone::Input { entity, seq, buttons },
            ZoneCommand::Chat { entity, text } => ToZone::Chat { entity, text },
            ZoneCommand::Party { entity, members } => ToZone::Party { entity, members },
            ZoneCommand::Leave { entity, saved } => {
                ToZone::Leave { entity, saved: saved.map(|tx| self.request(Pending::Saved(tx))) }
            }
            ZoneCommand::Subscribe { cell, subscriber, frames } => {
                self.drop_stream(cell, subscriber);
                let stream = self.next_id;
                self.next_id += 1;
                self.streams.insert(stream, Stream { cell, subscriber, frames, last: None });
                ToZone::Subscribe { cell, subscriber, stream }
            }
            ZoneCommand::Unsubscribe { cell, subscriber } => {
                self.drop_stream(cell, subscriber);
                ToZone::Unsubscribe { cell, subscriber }
            }
            ZoneCommand::CellOwner { cell, zone, epoch } => ToZone::CellOwner { cell, zone, epoch },
            ZoneCommand::Peer { from, msg, sent_us } => ToZone::Peer { from, msg, sent_us },
            ZoneCommand::PeerLost { zone } => ToZone::PeerLost { zone },
            ZoneCommand::Inspect { reply } => ToZone::Inspect { req: self.request(Pending::Inspect(reply)) },
            ZoneCommand::SpawnNpcs { cell, count, at, reply } => {
                ToZone::SpawnNpcs { req: self.request(Pending::SpawnNpcs(reply)), cell, count, at }
            }
            ZoneCommand::Subscribers { cell, subscribers } => {
                debug!(%cell, n = subscribers.len(), "subscribers do not cross processes; they resubscribe");
                return None;
            }
            ZoneCommand::GatewayGone { gateway } => {
                debug!(%gateway, "a zone learns of gone gateways from its own follower");
                return None;
            }
            ZoneCommand::PeerBack { zone } => {
                debug!(%zone, "a zone learns of zones coming back from its own follower");
                return None;
            }
        })
    }

    /// A command sent while the connection is down: requests fail at once (their reply channel
    /// is dropped), subscriptions are kept for the next connection, so are the peer messages
    /// that matter ([`Unacked`]); the rest is dropped.
    fn offline(&mut self, cmd: ZoneCommand) {
        let kept = match cmd {
            ZoneCommand::Subscribe { .. } | ZoneCommand::Unsubscribe { .. } => {
                let _ = self.wire_form(cmd);
                true
            }
            ZoneCommand::Peer { from, msg, sent_us } => self.unacked.hold(from, msg, sent_us),
            _ => false,
        };
        if !kept {
            metrics::counter!("mmo_link_commands_dropped_total").increment(1);
        }
    }
}

/// A TCP connection, its TLS handshake, and the zone's welcome (which tells that the zone
/// trusts this member, and that it is the zone dialled), within [`DIAL_TIMEOUT`].
async fn dial(zone: ZoneId, addr: String, tls: TlsConnector) -> Result<Connection, ConnectionEnd> {
    let welcomed = async {
        let stream = TcpStream::connect(&addr).await?;
        let _ = stream.set_nodelay(true);
        let name = rustls::pki_types::ServerName::try_from(LINK_SERVER_NAME).expect("a valid server name");
        let stream = tls.connect(name, stream).await?;
        let features = LinkFeatures::of(stream.get_ref().1.alpn_protocol());
        let (mut reader, writer) = tokio::io::split(stream);
        let mut frames = FrameReader::new(MAX_MESSAGE);
        let mut buf = Vec::with_capacity(64 * 1024);
        match next_message::<FromZone>(&mut reader, &mut frames, &mut buf).await? {
            FromZone::Welcome { zone: welcomed } if welcomed == zone => {
                Ok(Connection { reader, writer, frames, buf, features })
            }
            FromZone::Welcome { zone: welcomed } => Err(ConnectionEnd::WrongZone(welcomed)),
            _ => Err(ConnectionEnd::NoWelcome),
        }
    };
    tokio::time::timeout(DIAL_TIMEOUT, welcomed).await.unwrap_or(Err(ConnectionEnd::NoWelcome))
}

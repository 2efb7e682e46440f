//! A test client speaking the real protocol over WebTransport or WebSocket, and a helper that
//! starts a local world on port 0 (with the operator's handle on its zones, and an audit of
//! every cell frame).

#![allow(dead_code)]

pub mod audit;

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use mmo_local::{LocalWorld, LocalWorldConfig, WorldControl};
use mmo_protocol::framing::{frame, Channel, FrameReader};
use mmo_protocol::limits::{MAX_SERVER_CONTROL, MAX_SNAPSHOT_BYTES};
use mmo_protocol::{
    codec, ClientControl, ClientDatagram, InputFrame, ServerControl, ServerDatagram, Snapshot, PROTOCOL_VERSION,
};
use mmo_world::Tick;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

/// A running local world; stops when dropped.
pub struct TestWorld {
    pub http: SocketAddr,
    /// The zones and the registry.
    pub control: WorldControl,
    /// The player store (dropped by `stop`, so a restarted world can open the same folder).
    pub store: mmo_store::AnyStore,
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestWorld {
    pub async fn start() -> TestWorld {
        Self::start_with(LocalWorldConfig::for_tests()).await
    }

    pub async fn start_with(config: LocalWorldConfig) -> TestWorld {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let (stop, shutdown) = watch::channel(false);
        let world = LocalWorld::start(config, None, shutdown.clone()).await.expect("local world starts");
        let http = world.http_addr();
        let control = world.control();
        let store = world.store().clone();
        let task = tokio::spawn(world.run(shutdown));
        TestWorld { http, control, store, stop, task: Some(task) }
    }

    /// Stops the world and waits for it.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            task.await.expect("world task").expect("world stops cleanly");
        }
    }

    /// GETs `path` and returns the body.
    pub async fn get(&self, path: &str) -> String {
        let mut stream = tokio::net::TcpStream::connect(self.http).await.expect("http connect");
        let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n", self.http.port());
        stream.write_all(req.as_bytes()).await.unwrap();
        let mut resp = String::new();
        stream.read_to_string(&mut resp).await.unwrap();
        resp.split_once("\r\n\r\n").map(|(_, body)| body.to_string()).unwrap_or_default()
    }

    /// POSTs `body` (JSON) to `path` and returns the status line and the body.
    pub async fn post(&self, path: &str, body: &str) -> (String, String) {
        let mut stream = tokio::net::TcpStream::connect(self.http).await.expect("http connect");
        let req = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.http.port(),
            body.len()
        );
        stream.write_all(req.as_bytes()).await.unwrap();
        let mut resp = String::new();
        stream.read_to_string(&mut resp).await.unwrap();
        let status = resp.lines().next().unwrap_or_default().to_string();
        (status, resp.split_once("\r\n\r\n").map(|(_, body)| body.to_string()).unwrap_or_default())
    }
}

impl Drop for TestWorld {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// What the server sent.
#[derive(Debug)]
pub enum Event {
    Control(ServerControl),
    Snapshot(Snapshot),
    /// The session closed, with its close code if there was one.
    Closed(Option<u32>),
}

enum Link {
    Wt(Box<WtLink>),
    Ws(Box<tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>>),
}

struct WtLink {
    _client: web_transport_quinn::Client,
    session: web_transport_quinn::Session,
    send: web_transport_quinn::SendStream,
    recv: web_transport_quinn::RecvStream,
    reader: FrameReader,
}

pub struct Client {
    link: Link,
    pub seq: u32,
    pub last_tick: Option<Tick>,
}

impl Client {
    pub async fn webtransport(world: &TestWorld) -> Client {
        let info: serde_json::Value = serde_json::from_str(&world.get("/api/connect").await).expect("connect info");
        let wt = &info["webtransport"];
        let hex = wt["cert_sha256_hex"].as_str().unwrap();
        let hash: Vec<u8> =
            (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
        let client =
            web_transport_quinn::ClientBuilder::new().with_server_certificate_hashes(vec![hash]).expect("client");
        let url = url::Url::parse(wt["url"].as_str().unwrap()).unwrap();
        let session = client.connect(url).await.expect("webtransport connects");
        let (send, recv) = session.open_bi().await.expect("control stream");
        let link = WtLink { _client: client, session, send, recv, reader: FrameReader::new(MAX_SERVER_CONTROL) };
        Client { link: Link::Wt(Box::new(link)), seq: 0, last_tick: None }
    }

    pub async fn websocket(world: &TestWorld) -> Client {
        let (ws, _) =
            tokio_tungstenite::connect_async(format!("ws://{}/ws", world.http)).await.expect("websocket connects");
        Client { link: Link::Ws(Box::new(ws)), seq: 0, last_tick: None }
    }

    pub async fn send_control_bytes(&mut self, bytes: &[u8]) {
        match &mut self.link {
            Link::Wt(wt) => wt.send.write_all(&frame(bytes)).await.expect("write control"),
            Link::Ws(ws) => {
                let mut msg = vec![Channel::Control as u8];
                msg.extend_from_slice(bytes);
                ws.send(Message::Binary(msg.into())).await.expect("ws send");
            }
        }
    }

    /// Writes raw bytes on the control stream (WebTransport) or a raw message (WebSocket).
    pub async fn send_raw(&mut self, bytes: &[u8]) {
        match &mut self.link {
            Link::Wt(wt) => wt.send.write_all(bytes).await.expect("write raw"),
            Link::Ws(ws) => ws.send(Message::Binary(bytes.to_vec().into())).await.expect("ws send"),
        }
    }

    pub async fn send_control(&mut self, msg: &ClientControl) {
        self.send_control_bytes(&codec::encode(msg, usize::MAX).unwrap()).await;
    }

    pub async fn send_datagram_bytes(&mut self, bytes: &[u8]) {
        match &mut self.link {
            Link::Wt(wt) => wt.session.send_datagram(Bytes::copy_from_slice(bytes)).expect("send datagram"),
            Link::Ws(ws) => {
                let mut msg = vec![Channel::Datagram as u8];
                msg.extend_from_slice(bytes);
                ws.send(Message::Binary(msg.into())).await.expect("ws send");
            }
        }
    }

    /// Sends the next input (with the previous ones repeated, as the browser does).
    pub async fn send_input(&mut self, buttons: u8) {
        self.seq += 1;
        let msg = ClientDatagram::Input(InputFrame { seq: self.seq, ack: self.last_tick, buttons: vec![buttons] });
        self.send_datagram_bytes(&codec::encode(&msg, usize::MAX).unwrap()).await;
    }

    pub async fn recv(&mut self) -> Event {
        match &mut self.link {
            Link::Wt(wt) => loop {
                let WtLink { session, recv, reader, .. } = wt.as_mut();
                if let Some(f) = reader.next_frame().expect("server frame within limit") {
                    return Event::Control(codec::decode(&f, MAX_SERVER_CONTROL).expect("server control decodes"));
                }
                let mut buf = [0u8; 8192];
                tokio::select! {
                    d = session.read_datagram() => match d {
                        Ok(d) => return snapshot_event(&d, &mut self.last_tick),
                        Err(e) => return Event::Closed(close_code(&e)),
                    },
                    n = recv.read(&mut buf) => match n {
                        Ok(Some(n)) => reader.push(&buf[..n]),
                        _ => return Event::Closed(close_code(&session.closed().await)),
                    },
                }
            },
            Link::Ws(ws) => loop {
                match ws.next().await {
                    Some(Ok(Message::Binary(b))) => match Channel::from_u8(b[0]) {
                        Some(Channel::Control) => {
                            return Event::Control(codec::decode(&b[1..], MAX_SERVER_CONTROL).unwrap())
                        }
                        Some(Channel::Datagram) => return snapshot_event(&b[1..], &mut self.last_tick),
                        None => panic!("unknown channel"),
                    },
                    Some(Ok(Message::Close(frame))) => return Event::Closed(frame.map(|f| u16::from(f.code) as u32)),
                    Some(Ok(_)) => continue,
                    Some(Err(_)) | None => return Event::Closed(None),
                }
            },
        }
    }

    /// Receives until `pick` accepts an event, failing after `secs`.
    pub async fn until<T>(&mut self, secs: u64, mut pick: impl FnMut(&Event) -> Option<T>) -> T {
        tokio::time::timeout(Duration::from_secs(secs), async {
            loop {
                let ev = self.recv().await;
                if let Some(t) = pick(&ev) {
                    return t;
                }
                if let Event::Closed(code) = ev {
                    panic!("session closed (code {code:?}) while waiting");
                }
            }
        })
        .await
        .expect("expected event in time")
    }

    /// Hello + Login; returns the Joined message.
    pub async fn join(&mut self, name: &str) -> ServerControl {
        self.hello().await;
        self.login(name, None).await.unwrap_or_else(|code| panic!("login refused: {code:?}"))
    }

    /// Hello, answered by Welcome.
    pub async fn hello(&mut self) {
        self.send_control(&ClientControl::Hello { version: PROTOCOL_VERSION }).await;
        self.until(5, |e| matches!(e, Event::Control(ServerControl::Welcome { .. })).then_some(())).await;
    }

    /// Login (after `hello`): the Joined message, or the error code of a refusal.
    pub async fn login(
        &mut self,
        name: &str,
        password: Option<&str>,
    ) -> Result<ServerControl, mmo_protocol::ErrorCode> {
        self.send_control(&ClientControl::Login { name: name.into(), password: password.map(Into::into) }).await;
        self.joined().await
    }

    /// Resume with a session token (after `hello`): Joined, or the error code of a refusal.
    pub async fn resume(&mut self, token: &str) -> Result<ServerControl, mmo_protocol::ErrorCode> {
        self.send_control(&ClientControl::Resume { token: token.into() }).await;
        self.joined().await
    }

    async fn joined(&mut self) -> Result<ServerControl, mmo_protocol::ErrorCode> {
        self.until(10, |e| match e {
            Event::Control(m @ ServerControl::Joined { .. }) => Some(Ok(m.clone())),
            Event::Control(ServerControl::Error { code }) => Some(Err(*code)),
            _ => None,
        })
        .await
    }

    /// Waits for the next snapshot.
    pub async fn snapshot(&mut self) -> Snapshot {
        self.until(5, |e| match e {
            Event::Snapshot(s) => Some(s.clone()),
            _ => None,
        })
        .await
    }

    /// Waits for the close, returning its code; fails if snapshots keep coming for `secs`.
    pub async fn closed(&mut self, secs: u64) -> Option<u32> {
        tokio::time::timeout(Duration::from_secs(secs), async {
            loop {
                if let Event::Closed(code) = self.recv().await {
                    return code;
                }
            }
        })
        .await
        .expect("session should close")
    }
}

fn snapshot_event(bytes: &[u8], last: &mut Option<Tick>) -> Event {
    assert!(bytes.len() <= MAX_SNAPSHOT_BYTES, "snapshot of {} bytes", bytes.len());
    let ServerDatagram::Snapshot(s) = codec::decode(bytes, MAX_SNAPSHOT_BYTES).expect("snapshot decodes");
    *last = Some(s.tick);
    Event::Snapshot(s)
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

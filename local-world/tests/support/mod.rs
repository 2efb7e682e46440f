//! A test client speaking the real protocol over WebTransport or WebSocket (the load tester's,
//! with failures as panics), and a helper that
//! starts a local world on port 0 (with the operator's handle on its zones, and an audit of
//! every cell frame).

#![allow(dead_code)]

pub mod audit;

use mmo_loadtest::client::{ConnectInfo, Trust};
use mmo_local::{LocalWorld, LocalWorldConfig, WorldControl};
use mmo_protocol::{ClientControl, InputFrame, ServerControl, PROTOCOL_VERSION};
use mmo_world::{Buttons, Tick};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

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

pub use mmo_loadtest::client::Event;

/// `GET /api/connect` of the gateway serving HTTP at `http`.
pub async fn connect_info(http: SocketAddr) -> ConnectInfo {
    let base = url::Url::parse(&format!("http://{http}/")).unwrap();
    ConnectInfo::fetch(&base, Duration::from_secs(5), &Trust::default()).await.expect("connect info")
}

/// Sends no input until the player stands still on the ground for 5 snapshots in a row.
pub async fn settle(client: &mut Client) -> mmo_protocol::OwnState {
    let mut last: Option<mmo_protocol::OwnState> = None;
    let mut still = 0;
    for _ in 0..400 {
        client.send_input(0).await;
        let you = client.snapshot().await.you.clone();
        if last.is_some_and(|l| l.body.pos == you.body.pos) && you.body.on_ground {
            still += 1;
            if still >= 5 {
                return you;
            }
        } else {
            still = 0;
        }
        last = Some(you);
    }
    panic!("the player never came to rest");
}

/// A protocol client for tests: [`mmo_loadtest::client::Client`] with the input sequence and
/// the last snapshot's tick kept, and failures as panics.
pub struct Client {
    inner: mmo_loadtest::client::Client,
    pub seq: u32,
    pub last_tick: Option<Tick>,
}

impl Client {
    pub async fn webtransport(world: &TestWorld) -> Client {
        Self::webtransport_at(world.http).await
    }

    /// Over WebTransport, as `/api/connect` of the gateway serving HTTP at `http` says.
    pub async fn webtransport_at(http: SocketAddr) -> Client {
        Self::webtransport_with(&connect_info(http).await).await
    }

    /// Over WebTransport, as `info` (an earlier answer of `/api/connect`) says.
    pub async fn webtransport_with(info: &ConnectInfo) -> Client {
        Self::try_webtransport_with(info).await.expect("webtransport connects")
    }

    /// [`Client::webtransport_with`], or why the session could not be opened.
    pub async fn try_webtransport_with(info: &ConnectInfo) -> Result<Client, mmo_loadtest::client::ClientError> {
        let hash = info.cert_hash().expect("certificate hash").expect("a development certificate").0.to_vec();
        let client =
            web_transport_quinn::ClientBuilder::new().with_server_certificate_hashes(vec![hash]).expect("client");
        let url = url::Url::parse(&info.webtransport.as_ref().expect("webtransport offered").url).unwrap();
        mmo_loadtest::client::Client::webtransport(client, &url).await.map(Self::from)
    }

    /// Leaves: closes the connection.
    pub async fn close(self) {
        self.inner.close().await;
    }

    pub async fn websocket(world: &TestWorld) -> Client {
        Self::websocket_at(world.http).await
    }

    /// Over the WebSocket fallback of the gateway serving HTTP at `http`.
    pub async fn websocket_at(http: SocketAddr) -> Client {
        let url = format!("ws://{http}/ws");
        Self::from(mmo_loadtest::client::Client::websocket(&url, &Trust::default()).await.expect("websocket connects"))
    }

    /// A test client over `inner`.
    pub fn from(inner: mmo_loadtest::client::Client) -> Client {
        Client { inner, seq: 0, last_tick: None }
    }

    pub async fn send_control_bytes(&mut self, bytes: &[u8]) {
        self.inner.send_control_bytes(bytes).await.expect("send control");
    }

    /// Writes raw bytes on the control stream (WebTransport) or a raw message (WebSocket).
    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.inner.send_raw(bytes).await.expect("send raw");
    }

    pub async fn send_control(&mut self, msg: &ClientControl) {
        self.inner.send_control(msg).await.expect("send control");
    }

    pub async fn send_datagram_bytes(&mut self, bytes: &[u8]) {
        self.inner.send_datagram_bytes(bytes).await.expect("send datagram");
    }

    /// Sends the next input (with the previous ones repeated, as the browser does).
    pub async fn send_input(&mut self, buttons: u8) {
        self.seq += 1;
        let input = InputFrame { seq: self.seq, ack: self.last_tick, buttons: vec![buttons] };
        self.inner.send_input(input).await.expect("send input");
    }

    pub async fn recv(&mut self) -> Event {
        let event = self.inner.recv().await.expect("a well-formed server message");
        if let Event::Snapshot(_) = &event {
            self.last_tick = self.inner.ack();
        }
        event
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

    /// Waits for the next snapshot: the view it rebuilt.
    pub async fn snapshot(&mut self) -> std::sync::Arc<mmo_protocol::View> {
        self.until(5, |e| match e {
            Event::Snapshot(s) => Some(s.clone()),
            _ => None,
        })
        .await
    }

    /// Reads until the session closes (within `secs`): the coded errors it was told, and the
    /// close code.
    pub async fn errors_and_close(&mut self, secs: u64) -> (Vec<mmo_protocol::ErrorCode>, Option<u32>) {
        let mut errors = Vec::new();
        let code = tokio::time::timeout(Duration::from_secs(secs), async {
            loop {
                match self.recv().await {
                    Event::Control(ServerControl::Error { code }) => errors.push(code),
                    Event::Closed(code) => return code,
                    _ => {}
                }
            }
        })
        .await
        .expect("the session is closed");
        (errors, code)
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

/// Plays until `stop`: joins, walks at random; returns the ticks of the snapshots it got, or
/// how the session ended.
pub async fn keep_playing(mut client: Client, name: String, stop: watch::Receiver<bool>) -> Result<Vec<u64>, String> {
    let mmo_protocol::ServerControl::Joined { entity, .. } = client.join(&name).await else { unreachable!() };
    let mut rng = mmo_world::rng::SplitMix64::new(entity.0);
    let mut ticks = Vec::new();
    while !*stop.borrow() {
        match tokio::time::timeout(Duration::from_secs(5), client.recv()).await {
            Err(_) => return Err(format!("{name}: no snapshot for 5 s")),
            Ok(Event::Closed(code)) => return Err(format!("{name}: session closed with code {code:?}")),
            Ok(Event::Control(_) | Event::Unrebuilt { .. }) => {}
            Ok(Event::Snapshot(s)) => {
                ticks.push(s.tick.0);
                let b = match rng.below(5) {
                    0 => Buttons::LEFT,
                    1 => Buttons::RIGHT,
                    2 => Buttons::JUMP | Buttons::RIGHT,
                    _ => 0,
                };
                client.send_input(b).await;
            }
        }
    }
    Ok(ticks)
}

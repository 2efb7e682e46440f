//! Garbage at the gateway while bots play. A multi-process cluster (etcd, Redis, 1 coordinator,
//! 1 zone, 1 gateway); 16 bots play over both transports while attackers, all at once:
//! - joined sessions send random and mutated datagrams, random control frames, oversized
//!   frames (over WebTransport and over the WebSocket);
//! - sessions that never say `Hello` (both transports) sit silent;
//! - slow-loris HTTP clients trickle a request's headers a byte a second, others send bytes
//!   that are no HTTP at all;
//! - floods of connection attempts: WebTransport sessions and TCP connections opened and
//!   dropped at once, and random UDP packets at the QUIC port from outside any session.
//!
//! What must hold: every bad sender is closed, those in a session with their error code (the
//! silent ones with `Timeout` after 10 s); the slow-loris and non-HTTP connections are closed
//! by the gateway; the bots see no snapshot gap, no disconnect, no failed login; the gateway's
//! memory after the attack is within a bound of what it was before.
//!
//! Needs the service binaries (`cargo build --bins`), etcd and Redis (see `zone_death.rs`).

mod support;

use futures::future::join_all;
use mmo_launcher::{Cluster, ClusterConfig, Role};
use mmo_loadtest::client::{error_code, Client, ConnectInfo, Endpoints, Event, Trust};
use mmo_loadtest::Scenario;
use mmo_protocol::{codec, ClientControl, ClientDatagram, ErrorCode, InputFrame, ServerControl, PROTOCOL_VERSION};
use mmo_world::rng::SplitMix64;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::{Duration, Instant};
use support::{bin_dir, bots_online, playing_bots, websocket_url, Bots, PATIENCE};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

const BOTS: usize = 16;
/// How long a bad sender may take to be closed (the silent ones wait out the 10 s `Hello`).
const CLOSED_WITHIN: Duration = Duration::from_secs(30);
/// How much the gateway's resident memory may grow over the attack.
const RSS_GROWTH_BOUND_KIB: u64 = 64 * 1024;

fn scenario(target: &str) -> Scenario {
    playing_bots("garbage", 23, target, BOTS, "3s", "wander = 2, fighter = 1", &["snapshot_gaps == 0"])
}

/// The gateway's resident memory (KiB), from `/proc`.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("gateway's /proc status");
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS");
    line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).expect("VmRSS in kB")
}

fn random_bytes(rng: &mut SplitMix64, max_len: u32) -> Vec<u8> {
    let len = 1 + rng.below(max_len) as usize;
    (0..len).map(|_| rng.next_u64() as u8).collect()
}

/// Where the attackers go.
struct Gateway {
    info: ConnectInfo,
    http: SocketAddr,
    quic: SocketAddr,
    websocket: String,
}

impl Gateway {
    async fn webtransport(&self) -> Client {
        self.try_webtransport().await.expect("WebTransport session")
    }

    async fn try_webtransport(&self) -> Result<Client, String> {
        let wt = self.info.webtransport.as_ref().ok_or("the gateway offers no WebTransport")?;
        let endpoints = Endpoints::bind(1, self.quic, 1 << 20, &Trust::default()).map_err(|e| e.to_string())?;
        let client = endpoints.client(self.info.cert_hash().map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
        Client::webtransport(client, &url::Url::parse(&wt.url).unwrap()).await.map_err(|e| e.to_string())
    }

    async fn websocket(&self) -> Client {
        Client::websocket(&self.websocket, &Trust::default()).await.expect("WebSocket session")
    }

    async fn open(&self, webtransport: bool) -> Client {
        if webtransport {
            self.webtransport().await
        } else {
            self.websocket().await
        }
    }

    /// A session logged in as guest `name`.
    async fn joined(&self, webtransport: bool, name: &str) -> Client {
        let mut client = self.open(webtransport).await;
        client.send_control(&ClientControl::Hello { version: PROTOCOL_VERSION }).await.unwrap();
        client.send_control(&ClientControl::Login { name: name.into(), password: None }).await.unwrap();
        let joined = tokio::time::timeout(PATIENCE, async {
            loop {
                match client.recv().await {
                    Ok(Event::Control(ServerControl::Joined { .. })) => return,
                    Ok(Event::Closed(code)) => panic!("{name} closed before joining: {code:?}"),
                    Err(error) => panic!("{name}: {error}"),
                    _ => {}
                }
            }
        });
        joined.await.unwrap_or_else(|_| panic!("{name} joined"));
        client
    }
}

/// How a bad sender's session ended: its error code, or what happened instead.
type Ending = Result<ErrorCode, String>;

/// Reads until the session closes (within `CLOSED_WITHIN`).
async fn ending(client: &mut Client) -> Ending {
    let read = async {
        loop {
            match client.recv().await {
                Ok(Event::Closed(Some(code))) => return error_code(code).ok_or(format!("close code {code}")),
                Ok(Event::Closed(None)) => return Err("closed without a code".to_string()),
                Err(error) => return Err(format!("read failed: {error}")),
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(CLOSED_WITHIN, read)
        .await
        .unwrap_or_else(|_| Err(format!("still open after {CLOSED_WITHIN:?}")))
}

/// Sends what `next` makes, 20 a second (under the flood limit), until the session closes.
async fn send_until_closed(client: &mut Client, mut next: impl FnMut() -> (bool, Vec<u8>)) -> Ending {
    for _ in 0..600 {
        let (datagram, bytes) = next();
        let sent =
            if datagram { client.send_datagram_bytes(&bytes).await } else { client.send_control_bytes(&bytes).await };
        if sent.is_err() {
            break;
        }
        if let Ok(end) = tokio::time::timeout(Duration::from_millis(50), ending(client)).await {
            return end;
        }
    }
    ending(client).await
}

/// One bad sender: what it did and how its session ended, against the codes it may get.
struct Verdict {
    what: String,
    ended: Ending,
    allowed: &'static [ErrorCode],
}

const DECODE_ERRORS: &[ErrorCode] = &[ErrorCode::MalformedMessage, ErrorCode::UnknownMessage];
const CONTROL_ERRORS: &[ErrorCode] =
    &[ErrorCode::MalformedMessage, ErrorCode::UnknownMessage, ErrorCode::UnexpectedMessage, ErrorCode::FrameTooLarge];

async fn random_datagrams(gw: &Gateway, n: u64, webtransport: bool) -> Verdict {
    let mut client = gw.joined(webtransport, &format!("junkdg{n}")).await;
    let mut rng = SplitMix64::new(n);
    let ended = send_until_closed(&mut client, || (true, random_bytes(&mut rng, 200))).await;
    Verdict { what: format!("random datagrams ({})", via(webtransport)), ended, allowed: DECODE_ERRORS }
}

async fn mutated_datagrams(gw: &Gateway, n: u64, webtransport: bool) -> Verdict {
    let mut client = gw.joined(webtransport, &format!("mutdg{n}")).await;
    let mut rng = SplitMix64::new(100 + n);
    let mut seq = 0u32;
    let ended = send_until_closed(&mut client, || {
        seq += 1;
        let input = InputFrame { seq, ack: None, buttons: vec![0, 0, 0] };
        let mut bytes = codec::encode(&ClientDatagram::Input(input), usize::MAX).unwrap();
        // The body, not the kind byte (a wrong kind is the random datagrams' case).
        for _ in 0..=rng.below(3) {
            let at = 1 + rng.below(bytes.len() as u32 - 1) as usize;
            bytes[at] ^= 1 << rng.below(8);
        }
        if rng.below(4) == 0 {
            bytes.truncate(1 + rng.below(bytes.len() as u32 - 1) as usize);
        }
        (true, bytes)
    })
    .await;
    // A mutation may also decode to a message of another kind or out of phase.
    Verdict { what: format!("mutated inputs ({})", via(webtransport)), ended, allowed: CONTROL_ERRORS }
}

async fn random_control(gw: &Gateway, n: u64, webtransport: bool) -> Verdict {
    let mut client = gw.joined(webtransport, &format!("junkct{n}")).await;
    let mut rng = SplitMix64::new(200 + n);
    let ended = send_until_closed(&mut client, || (false, random_bytes(&mut rng, 300))).await;
    Verdict { what: format!("random control frames ({})", via(webtransport)), ended, allowed: CONTROL_ERRORS }
}

async fn oversized(gw: &Gateway, n: u64, webtransport: bool) -> Verdict {
    let mut client = gw.joined(webtransport, &format!("huge{n}")).await;
    let sent = if webtransport {
        // A length prefix of 16 MiB and the start of its body.
        let mut frame = (16u32 << 20).to_le_bytes().to_vec();
        frame.extend_from_slice(&[7; 1000]);
        client.send_raw(&frame).await
    } else {
        // Over the WebSocket message limit (64 KiB), read by no one.
        client.send_control_bytes(&vec![9; 200 * 1024]).await
    };
    let ended = match sent {
        Ok(()) => ending(&mut client).await,
        Err(error) => Err(format!("send failed: {error}")),
    };
    Verdict { what: format!("an oversized frame ({})", via(webtransport)), ended, allowed: &[ErrorCode::FrameTooLarge] }
}

async fn silent(gw: &Gateway, webtransport: bool) -> Verdict {
    let mut client = gw.open(webtransport).await;
    let ended = ending(&mut client).await;
    Verdict {
        what: format!("a session that never says Hello ({})", via(webtransport)),
        ended,
        allowed: &[ErrorCode::Timeout],
    }
}

fn via(webtransport: bool) -> &'static str {
    if webtransport {
        "WebTransport"
    } else {
        "WebSocket"
    }
}

/// A TCP connection to the HTTP port that sends `start`, then one byte of `trickle` a second,
/// until the gateway closes it; how long that took, or None if it stayed open `CLOSED_WITHIN`.
async fn slow_client(http: SocketAddr, start: Vec<u8>, trickle: &'static [u8]) -> Option<Duration> {
    let began = Instant::now();
    let mut tcp = TcpStream::connect(http).await.ok()?;
    let _ = tcp.write_all(&start).await;
    let mut buf = [0u8; 512];
    let mut next = trickle.iter().cycle();
    while began.elapsed() < CLOSED_WITHIN {
        match tokio::time::timeout(Duration::from_secs(1), tcp.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return Some(began.elapsed()),
            Ok(Ok(_)) => {} // an error response; the close follows
            Err(_) => {
                if tcp.write_all(&[*next.next().unwrap()]).await.is_err() {
                    return Some(began.elapsed());
                }
            }
        }
    }
    None
}

/// Opens and drops `n` WebTransport sessions and `n` TCP connections, all at once.
async fn connection_flood(gw: &Gateway, n: usize) {
    let webtransport = join_all((0..n).map(|_| async {
        let _ = tokio::time::timeout(Duration::from_secs(10), gw.try_webtransport()).await;
    }));
    let tcp = join_all((0..n).map(|_| async {
        let _ = TcpStream::connect(gw.http).await;
    }));
    tokio::join!(webtransport, tcp);
}

/// `packets` random UDP packets at the QUIC port, from a socket of no session, 1,000 a second.
async fn udp_noise(quic: SocketAddr, packets: u32) {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut rng = SplitMix64::new(7);
    let mut every = tokio::time::interval(Duration::from_millis(10));
    for _ in 0..packets / 10 {
        every.tick().await;
        for _ in 0..10 {
            let _ = socket.send_to(&random_bytes(&mut rng, 1200), quic).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_closes_its_senders_and_no_one_else_notices() {
    let config = ClusterConfig { zones: 1, gateways: 1, coordinators: 1, ..ClusterConfig::new(bin_dir()) };
    let cluster = Cluster::up(&config).await.expect("the cluster starts");
    let play = cluster.play_url().expect("gateway 1");
    let pid = cluster.service(&Role::Gateway(1)).and_then(|s| s.pid()).expect("the gateway's pid");
    let base = url::Url::parse(&play).unwrap();
    let info = ConnectInfo::fetch(&base, Duration::from_secs(10), &Trust::default()).await.expect("/api/connect");
    let quic_url = url::Url::parse(&info.webtransport.as_ref().expect("WebTransport").url).unwrap();
    let gw = Gateway {
        http: format!("{}:{}", base.host_str().unwrap(), base.port().unwrap()).parse().unwrap(),
        quic: format!("{}:{}", quic_url.host_str().unwrap(), quic_url.port().unwrap()).parse().unwrap(),
        websocket: websocket_url(&play),
        info,
    };

    let scenario = scenario(&play);
    let mut bots = Bots::start(scenario, cluster.run_dir());
    bots.wait_until("every bot online", || bots_online(&base, BOTS)).await;
    let rss_before = rss_kib(pid);

    let mut sessions: Vec<Pin<Box<dyn Future<Output = Verdict> + Send + '_>>> = Vec::new();
    for n in 0..2u64 {
        let webtransport = n == 0;
        sessions.push(Box::pin(random_datagrams(&gw, n, webtransport)));
        sessions.push(Box::pin(mutated_datagrams(&gw, n, webtransport)));
        sessions.push(Box::pin(random_control(&gw, n, webtransport)));
        sessions.push(Box::pin(oversized(&gw, n, webtransport)));
    }
    for n in 0..10 {
        sessions.push(Box::pin(silent(&gw, n % 5 == 0)));
    }
    let slow_loris =
        join_all((0..100).map(|_| slow_client(gw.http, b"GET /api/connect HTTP/1.1\r\n".to_vec(), b"X-a: b\r\n")));
    let not_http = join_all(
        (0..20u64).map(|n| slow_client(gw.http, random_bytes(&mut SplitMix64::new(300 + n), 100), b"\x00\xff")),
    );
    let (verdicts, slow_loris, not_http, (), ()) =
        tokio::join!(join_all(sessions), slow_loris, not_http, connection_flood(&gw, 100), udp_noise(gw.quic, 5000));
    let rss_after = rss_kib(pid);

    // The bots played on, all of them, and leave.
    bots.wait_until("every bot still online", || bots_online(&base, BOTS)).await;
    let report = bots.finish().await;
    let json = serde_json::to_value(&report).unwrap();
    let metric = |name: &str| json["metrics"][name].as_f64().unwrap_or_else(|| panic!("metric {name} missing"));
    let closed_after = |ends: &[Option<Duration>]| ends.iter().flatten().map(|d| d.as_secs_f64()).fold(0.0, f64::max);
    eprintln!(
        "garbage: {} bad sessions, 100 slow-loris and 20 non-HTTP connections (closed after at most {:.1} s and {:.1} s), \
         100 WebTransport and 100 TCP connections opened and dropped, 5,000 UDP packets; gateway RSS {} MiB before, {} MiB after; \
         bots: round trip p99 {:.1} ms, snapshot gaps {}, unexpected disconnects {}, connect failures {}",
        verdicts.len(),
        closed_after(&slow_loris),
        closed_after(&not_http),
        rss_before / 1024,
        rss_after / 1024,
        metric("rtt_p99_ms"),
        metric("snapshot_gaps"),
        metric("unexpected_disconnects"),
        metric("connect_failures"),
    );
    for v in &verdicts {
        eprintln!("  {}: {:?}", v.what, v.ended);
    }
    let wrong: Vec<String> = verdicts
        .iter()
        .filter(|v| !matches!(v.ended, Ok(code) if v.allowed.contains(&code)))
        .map(|v| format!("{}: {:?} (expected one of {:?})", v.what, v.ended, v.allowed))
        .collect();
    assert!(wrong.is_empty(), "every bad sender is closed with its code:\n{}", wrong.join("\n"));
    assert!(slow_loris.iter().all(Option::is_some), "every slow-loris connection is closed: {slow_loris:?}");
    assert!(not_http.iter().all(Option::is_some), "every non-HTTP connection is closed: {not_http:?}");
    assert_eq!(metric("snapshot_gaps"), 0.0, "the bots missed no snapshot");
    assert_eq!(metric("unexpected_disconnects"), 0.0, "{}", json["totals"]["disconnects_by_reason"]);
    assert_eq!(metric("connect_failures"), 0.0, "{}", json["totals"]["connect_failures_by_reason"]);
    assert!(
        rss_after <= rss_before + RSS_GROWTH_BOUND_KIB,
        "the gateway's memory stays bounded: {rss_before} KiB before, {rss_after} KiB after"
    );
    cluster.stop().await;
}

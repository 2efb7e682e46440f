//! A gateway with a real certificate from PEM files (a CA and a leaf for `localhost` made with
//! rcgen, as a Kubernetes TLS Secret holds them) and advertised addresses: the page and
//! `/api/connect` come over HTTPS with that certificate, `/api/connect` hands out the
//! advertised WebTransport URL and no hash to pin, the registry has the advertised URL with the
//! ordinal filled in, and a client trusting only the CA plays over WebTransport. The load
//! tester, given the CA file, runs its bots against such a gateway over both transports.

mod support;

use mmo_cluster::Registry;
use mmo_gateway::cert::ServerCertificate;
use mmo_gateway::public::PublicAddresses;
use mmo_loadtest::scenario::ScenarioFile;
use mmo_local::LocalWorldConfig;
use mmo_protocol::ServerControl;
use mmo_world::GatewayId;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use support::{Client, TestWorld};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Writes a CA-signed chain for `localhost` and its key to a fresh folder, and the CA
/// certificate beside them as `ca.crt`: (tls.crt, tls.key, the CA certificate).
fn certificate_files() -> (PathBuf, PathBuf, rustls::pki_types::CertificateDer<'static>) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap().signed_by(&key, &issuer).unwrap();
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let dir = std::env::temp_dir().join(format!("mmo-gateway-tls-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (crt, key_path) = (dir.join("tls.crt"), dir.join("tls.key"));
    std::fs::write(&crt, format!("{}{}", leaf.pem(), ca.pem())).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    std::fs::write(dir.join("ca.crt"), ca.pem()).unwrap();
    (crt, key_path, ca.der().clone())
}

fn client_tls(ca: &rustls::pki_types::CertificateDer<'static>, alpn: &[u8]) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    tls.alpn_protocols = vec![alpn.to_vec()];
    tls
}

/// `GET path` over HTTPS to `http`, checking the certificate for `localhost` against `ca`:
/// the status line and the body.
async fn https_get(http: SocketAddr, path: &str, ca: &rustls::pki_types::CertificateDer<'static>) -> (String, String) {
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client_tls(ca, b"http/1.1")));
    let tcp = tokio::net::TcpStream::connect(http).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = connector.connect(name, tcp).await.expect("TLS handshake with the gateway's certificate");
    let req = format!("GET {path} HTTP/1.1\r\nHost: localhost:{}\r\nConnection: close\r\n\r\n", http.port());
    tls.write_all(req.as_bytes()).await.unwrap();
    let mut resp = Vec::new();
    let _ = tls.read_to_end(&mut resp).await;
    let resp = String::from_utf8_lossy(&resp).to_string();
    let (head, body) = resp.split_once("\r\n\r\n").expect("an HTTP response");
    (head.lines().next().unwrap().to_string(), body.to_string())
}

/// A WebTransport client trusting only `ca`.
fn webtransport_client(ca: &rustls::pki_types::CertificateDer<'static>) -> web_transport_quinn::Client {
    let tls = client_tls(ca, web_transport_quinn::ALPN.as_bytes());
    let crypto = quinn::crypto::rustls::QuicClientConfig::try_from(tls).unwrap();
    let config = quinn::ClientConfig::new(Arc::new(crypto));
    let endpoint = quinn::Endpoint::client("127.0.0.1:0".parse().unwrap()).unwrap();
    web_transport_quinn::Client::new(endpoint, config)
}

fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn load(crt: &Path, key: &Path) -> Arc<ServerCertificate> {
    Arc::new(ServerCertificate::from_pem_files(crt, key).expect("the certificate files load"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_with_certificate_files_serves_https_and_webtransport_at_its_advertised_addresses() {
    let (crt, key, ca) = certificate_files();
    let quic = free_udp_port();
    let public = PublicAddresses::from_flags(
        Some("https://gw-{ordinal}.play.example.com"),
        Some(&format!("localhost:{quic}")),
        Some(0),
    )
    .unwrap();
    let config = LocalWorldConfig {
        quic_addr: SocketAddr::from(([127, 0, 0, 1], quic)),
        certificate: Some(load(&crt, &key)),
        public,
        ..LocalWorldConfig::for_tests()
    };
    let world = TestWorld::start_with(config).await;

    let (status, body) = https_get(world.http, "/api/connect", &ca).await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    let info: serde_json::Value = serde_json::from_str(&body).unwrap();
    let url = format!("https://localhost:{quic}/play");
    assert_eq!(info["webtransport"]["url"], url, "{body}");
    assert!(info["webtransport"]["cert_sha256_hex"].is_null(), "nothing to pin: {body}");
    assert_eq!(https_get(world.http, "/readyz", &ca).await.0, "HTTP/1.1 200 OK");
    let gateways = world.control.registry().gateways().await.unwrap();
    assert_eq!(gateways[&GatewayId(1)].address, "https://gw-0.play.example.com", "registered as advertised");

    // Plain HTTP gets no answer on the HTTPS port.
    let mut plain = tokio::net::TcpStream::connect(world.http).await.unwrap();
    plain.write_all(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut answer = Vec::new();
    let _ = plain.read_to_end(&mut answer).await;
    assert!(!String::from_utf8_lossy(&answer).contains("200 OK"));

    // WebTransport with the same certificate, checked against the CA (no hash pinned).
    let session = mmo_loadtest::client::Client::webtransport(webtransport_client(&ca), &url.parse().unwrap())
        .await
        .expect("WebTransport connects with the certificate from the files");
    let mut client = Client::from(session);
    let joined = client.join("tls_ada").await;
    assert!(matches!(joined, ServerControl::Joined { .. }));
    client.send_input(0).await;
    client.snapshot().await;
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_load_tester_trusting_the_ca_file_plays_over_both_transports() {
    let (crt, key, _) = certificate_files();
    let ca_file = crt.with_file_name("ca.crt");
    let quic = free_udp_port();
    let config = LocalWorldConfig {
        quic_addr: SocketAddr::from(([127, 0, 0, 1], quic)),
        certificate: Some(load(&crt, &key)),
        public: PublicAddresses::from_flags(None, Some(&format!("localhost:{quic}")), Some(0)).unwrap(),
        ..LocalWorldConfig::for_tests()
    };
    let world = TestWorld::start_with(config).await;
    let text = format!(
        r#"
name = "tls"
seed = 3
target = "https://localhost:{}/"
stages = [{{ duration = "3s", target = 6 }}, {{ duration = "4s", target = 6 }}, {{ duration = "1s", target = 0 }}]
thresholds = ["connect_failures == 0", "unexpected_disconnects == 0"]
transport_mix = {{ webtransport = 50, websocket = 50 }}
"#,
        world.http.port()
    );
    let scenario = mmo_loadtest::Scenario::resolve(ScenarioFile::parse(&text).unwrap(), None).unwrap();
    let (_stop, shutdown) = tokio::sync::watch::channel(false);
    let options = mmo_loadtest::RunOptions { ca_file: Some(ca_file), ..Default::default() };
    let report = mmo_loadtest::run(&scenario, options, shutdown).await.expect("the run completes");
    let json = serde_json::to_value(&report).unwrap();
    let bots = json["bots"].as_array().unwrap();
    assert_eq!(bots.len(), 6, "{}", json["totals"]["connect_failures_by_reason"]);
    for transport in ["webtransport", "websocket"] {
        let joined = bots.iter().filter(|b| b["transport"] == transport && b["joined"] == true).count();
        assert_eq!(
            joined, 3,
            "every {transport} bot joined over TLS: {}",
            json["totals"]["connect_failures_by_reason"]
        );
    }
    assert!(bots.iter().all(|b| b["snapshots"].as_u64().unwrap_or(0) > 20), "every bot played");
    assert!(report.passed, "thresholds: {}", json["thresholds"]);

    // Without the CA file the gateway's certificate is not trusted: the run stops at once.
    let (_stop, shutdown) = tokio::sync::watch::channel(false);
    let refused = mmo_loadtest::run(&scenario, mmo_loadtest::RunOptions::default(), shutdown).await;
    let error = refused.expect_err("an untrusted certificate");
    assert!(error.to_string().contains("certificate"), "{error}");
    world.stop().await;
}

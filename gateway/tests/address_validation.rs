//! QUIC address validation on the gateway's WebTransport endpoint, over real QUIC on loopback.
//!
//! A client that receives our packets proves its address with one Retry and plays. A sender
//! that never receives them (a forged source address) gets only the small Retry packets back:
//! the gateway neither starts a TLS handshake for it nor sends it more bytes than it sent.

use mmo_gateway::cert::ServerCertificate;
use mmo_gateway::transport::accept::{AcceptCounts, Acceptor, AddressValidation};
use mmo_gateway::transport::webtransport::{bind_udp, endpoint};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::UdpSocket;

/// A gateway endpoint that accepts every session on any path and keeps it open.
fn serve(validation: AddressValidation) -> (SocketAddr, [u8; 32], Arc<AcceptCounts>) {
    let cert = ServerCertificate::generate(&["localhost".into(), "127.0.0.1".into()]).unwrap();
    let mut acceptor =
        Acceptor::new(endpoint(bind_udp("127.0.0.1:0".parse().unwrap()).unwrap(), &cert).unwrap(), validation);
    let (addr, counts) = (acceptor.local_addr().unwrap(), acceptor.counts());
    tokio::spawn(async move {
        let mut sessions = Vec::new();
        while let Some(request) = acceptor.accept().await {
            sessions.push(request.ok().await.expect("session"));
        }
    });
    (addr, cert.sha256, counts)
}

async fn connect(to: SocketAddr, hash: [u8; 32]) -> Result<web_transport_quinn::Session, String> {
    let client = web_transport_quinn::ClientBuilder::new().with_server_certificate_hashes(vec![hash.to_vec()]).unwrap();
    let url = url::Url::parse(&format!("https://{to}/play")).unwrap();
    match tokio::time::timeout(Duration::from_secs(2), client.connect(url)).await {
        Ok(Ok(session)) => Ok(session),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("timed out".into()),
    }
}

fn counts(c: &AcceptCounts) -> (u64, u64) {
    (c.retries.load(Ordering::Relaxed), c.accepted.load(Ordering::Relaxed))
}

#[tokio::test]
async fn a_client_proves_its_address_with_one_retry_and_connects() {
    let (addr, hash, accepted) = serve(AddressValidation::Retry);
    let session = connect(addr, hash).await.expect("connects through the Retry");
    assert!(session.max_datagram_size() > 0);
    assert_eq!(counts(&accepted), (1, 1), "one Retry, then one session");

    let (addr, hash, accepted) = serve(AddressValidation::Off);
    connect(addr, hash).await.expect("connects at once");
    assert_eq!(counts(&accepted), (0, 1), "validation off: no Retry");
}

/// Bytes a relay passed to the gateway, and bytes the gateway sent back (never delivered).
#[derive(Default)]
struct OneWay {
    to_gateway: AtomicU64,
    from_gateway: AtomicU64,
}

/// A relay standing for a forged source address: it forwards the client's packets to the
/// gateway, and swallows the gateway's answers, as they would go to the victim of the forgery.
async fn forged_source(gateway: SocketAddr) -> (SocketAddr, Arc<OneWay>) {
    let relay = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = relay.local_addr().unwrap();
    let seen = Arc::new(OneWay::default());
    let counted = seen.clone();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 65536];
        while let Ok((n, from)) = relay.recv_from(&mut buf).await {
            if from == gateway {
                counted.from_gateway.fetch_add(n as u64, Ordering::Relaxed);
            } else {
                counted.to_gateway.fetch_add(n as u64, Ordering::Relaxed);
                let _ = relay.send_to(&buf[..n], gateway).await;
            }
        }
    });
    (addr, seen)
}

#[tokio::test]
async fn a_forged_source_gets_no_handshake_and_no_amplification() {
    let (addr, hash, accepted) = serve(AddressValidation::Retry);
    let (relay, seen) = forged_source(addr).await;
    assert!(connect(relay, hash).await.is_err(), "a client that never hears back cannot connect");
    let (sent, answered) = (seen.to_gateway.load(Ordering::Relaxed), seen.from_gateway.load(Ordering::Relaxed));
    let (retries, sessions) = counts(&accepted);
    eprintln!("validated: {sent} bytes sent from a forged source, {answered} answered, {retries} Retries");
    assert!(retries >= 1 && sessions == 0, "{retries} Retries, {sessions} sessions");
    // A Retry is a small packet; a client's Initial is padded to 1,200 bytes.
    assert!(answered * 4 < sent, "the gateway answered {answered} bytes to {sent}");

    // Without validation the same sender gets a handshake flight (certificate and all) back.
    let (addr, hash, _) = serve(AddressValidation::Off);
    let (relay, seen) = forged_source(addr).await;
    assert!(connect(relay, hash).await.is_err());
    let (sent, answered) = (seen.to_gateway.load(Ordering::Relaxed), seen.from_gateway.load(Ordering::Relaxed));
    eprintln!("unvalidated: {sent} bytes sent from a forged source, {answered} answered");
    // The server's first flight alone is a padded datagram of 1,200 bytes or more.
    assert!(answered >= 1200, "unvalidated: {answered} bytes answered to {sent}");
}

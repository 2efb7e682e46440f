//! `GET /api/connect`: where the gateway serves WebTransport (and its certificate hash) and
//! the WebSocket fallback.

use super::{http_base, ClientError, Trust};
use mmo_cluster::CertHash;
use serde::Deserialize;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Clone, Debug, Deserialize)]
pub struct ConnectInfo {
    pub protocol_version: u16,
    pub webtransport: Option<WebTransportInfo>,
    pub websocket: WebSocketInfo,
    /// The world's other gateways that take players (where to resume when this one stops
    /// answering); gateways from before it give none.
    #[serde(default)]
    pub others: Vec<PeerInfo>,
}

/// How to reach another gateway.
#[derive(Clone, Debug, Deserialize)]
pub struct PeerInfo {
    #[serde(default)]
    pub webtransport: Option<WebTransportInfo>,
    pub websocket: WebSocketInfo,
}

#[derive(Clone, Debug, Deserialize)]
pub struct WebTransportInfo {
    pub url: String,
    /// The development certificate's hash to pin; `None` when the gateway has a certificate
    /// clients check against their CAs.
    #[serde(default)]
    pub cert_sha256_hex: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct WebSocketInfo {
    /// Relative to the gateway asked.
    pub path: String,
    /// Absolute (`ws://HOST:PORT/ws`); gateways from before it give only `path`. A draining
    /// gateway names another gateway's here.
    #[serde(default)]
    pub url: Option<String>,
}

/// Largest response [`http_get`] reads.
pub const MAX_RESPONSE: u64 = 64 * 1024;

impl ConnectInfo {
    /// Asks the gateway at `base` (`http://`, or `https://` verified against `trust`).
    pub async fn fetch(base: &url::Url, timeout: Duration, trust: &Trust) -> Result<ConnectInfo, ClientError> {
        let body = tokio::time::timeout(timeout, http_get(base, "/api/connect", trust))
            .await
            .map_err(|_| ClientError::Connect("GET /api/connect timed out".into()))??;
        serde_json::from_str(&body).map_err(|e| ClientError::Connect(format!("/api/connect: {e}")))
    }

    /// The HTTP bases of the other gateways it names (those with an absolute WebSocket URL).
    pub fn other_bases(&self) -> Vec<url::Url> {
        self.others.iter().filter_map(|o| o.websocket.url.as_deref()).filter_map(|ws| http_base(ws).ok()).collect()
    }

    /// The certificate hash the gateway asks clients to pin; `None` with a CA-signed one.
    pub fn cert_hash(&self) -> Result<Option<CertHash>, ClientError> {
        let Some(hex) = &self.webtransport.as_ref().ok_or(ClientError::NoWebTransport)?.cert_sha256_hex else {
            return Ok(None);
        };
        hex.parse().map(Some).map_err(|e| ClientError::Connect(format!("bad certificate hash {hex:?}: {e}")))
    }
}

/// A minimal HTTP/1.1 GET (the load tester needs nothing more); over TLS for an `https://`
/// base, verified against `trust`. Reads at most [`MAX_RESPONSE`] bytes.
pub async fn http_get(base: &url::Url, path: &str, trust: &Trust) -> Result<String, ClientError> {
    http_get_up_to(base, path, trust, MAX_RESPONSE).await
}

/// [`http_get`] of a response that may be larger (up to `max` bytes; a longer one is cut,
/// and fails to parse).
pub async fn http_get_up_to(base: &url::Url, path: &str, trust: &Trust, max: u64) -> Result<String, ClientError> {
    let host = base.host_str().ok_or_else(|| ClientError::Connect("target has no host".into()))?;
    let port = base.port_or_known_default().unwrap_or(80);
    let io = |e: std::io::Error| ClientError::Connect(format!("GET {path}: {e}"));
    let stream = tokio::net::TcpStream::connect((host, port)).await.map_err(io)?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n");
    let resp = if base.scheme() == "https" {
        let name =
            rustls::pki_types::ServerName::try_from(host.trim_start_matches('[').trim_end_matches(']').to_string())
                .map_err(|e| ClientError::Connect(format!("GET {path}: {e}")))?;
        let tls = tokio_rustls::TlsConnector::from(trust.https()).connect(name, stream).await.map_err(io)?;
        exchange(tls, &req, max).await
    } else {
        exchange(stream, &req, max).await
    }
    .map_err(io)?;
    let resp = String::from_utf8_lossy(&resp);
    let (head, body) =
        resp.split_once("\r\n\r\n").ok_or_else(|| ClientError::Connect(format!("GET {path}: no HTTP response")))?;
    let status = head.lines().next().unwrap_or_default();
    if !status.contains(" 200 ") {
        return Err(ClientError::Connect(format!("GET {path}: {status}")));
    }
    Ok(body.to_string())
}

/// Sends `req` and reads the response, up to `max` bytes; a TLS peer that closes without
/// `close_notify` after the whole response (common) is no error.
async fn exchange<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    mut stream: S,
    req: &str,
    max: u64,
) -> std::io::Result<Vec<u8>> {
    stream.write_all(req.as_bytes()).await?;
    let mut out = Vec::new();
    match stream.take(max).read_to_end(&mut out).await {
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !out.is_empty() => Ok(out),
        other => other.map(|_| out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Serves one response with a body of `len` bytes of JSON to each connection.
    async fn server(len: usize) -> url::Url {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let mut req = [0u8; 1024];
                let _ = s.read(&mut req).await;
                let body = format!("\"{}\"", "x".repeat(len - 2));
                let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
                let _ = s.write_all(head.as_bytes()).await;
                let _ = s.write_all(body.as_bytes()).await;
            }
        });
        url::Url::parse(&format!("http://{addr}/")).unwrap()
    }

    #[tokio::test]
    async fn a_large_answer_is_read_whole_only_up_to_the_limit_asked() {
        let base = server(200 * 1024).await;
        let cut = http_get(&base, "/report", &Trust::default()).await.unwrap();
        assert!(serde_json::from_str::<String>(&cut).is_err(), "cut at {MAX_RESPONSE} bytes");
        let whole = http_get_up_to(&base, "/report", &Trust::default(), 1 << 20).await.unwrap();
        assert_eq!(serde_json::from_str::<String>(&whole).unwrap().len(), 200 * 1024 - 2);
    }
}

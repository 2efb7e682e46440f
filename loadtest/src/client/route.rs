//! Where a bot connects: one gateway's WebTransport URL with the certificate to pin, its
//! WebSocket URL, and its HTTP base (asked for `/api/connect` again when the gateway drains),
//! from an answer of `/api/connect`. A draining gateway's answer names another gateway, so the
//! route it gives leads there.

use super::{ClientError, ConnectInfo};
use mmo_cluster::CertHash;

/// WebTransport on one gateway.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebTransportRoute {
    pub url: url::Url,
    /// The development certificate to pin; `None`: a CA-signed one, verified against the roots
    /// the bots trust.
    pub cert: Option<CertHash>,
}

/// How to reach one gateway.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatewayRoute {
    /// The gateway's HTTP base URL (`http://HOST:PORT/`).
    pub http: url::Url,
    pub webtransport: Option<WebTransportRoute>,
    /// `ws://HOST:PORT/ws`.
    pub websocket: String,
}

impl GatewayRoute {
    /// The gateway `info` names, asked at `asked`: its absolute WebSocket URL when given (its
    /// HTTP base is that URL's host), else `asked` with the WebSocket path.
    pub fn from_connect(info: &ConnectInfo, asked: &url::Url) -> Result<Self, ClientError> {
        let bad = |what: &str, e: &dyn std::fmt::Display| ClientError::Connect(format!("/api/connect: {what}: {e}"));
        let webtransport = match &info.webtransport {
            Some(wt) => Some(WebTransportRoute {
                url: url::Url::parse(&wt.url).map_err(|e| bad("WebTransport URL", &e))?,
                cert: info.cert_hash()?,
            }),
            None => None,
        };
        let (http, websocket) = match &info.websocket.url {
            Some(ws) => (http_base(ws)?, ws.clone()),
            None => {
                let host = asked.host_str().ok_or_else(|| bad("target", &"no host"))?;
                let port = asked.port_or_known_default().unwrap_or(80);
                (asked.clone(), format!("ws://{host}:{port}{}", info.websocket.path))
            }
        };
        Ok(GatewayRoute { http, webtransport, websocket })
    }
}

/// The HTTP base (`http://HOST:PORT/`, `https://` for `wss`) of a gateway whose WebSocket URL
/// is `ws`.
pub fn http_base(ws: &str) -> Result<url::Url, ClientError> {
    let bad = |e: &dyn std::fmt::Display| ClientError::Connect(format!("/api/connect: WebSocket URL: {e}"));
    let mut http = url::Url::parse(ws).map_err(|e| bad(&e))?;
    let scheme = match http.scheme() {
        "ws" => "http",
        "wss" => "https",
        other => return Err(bad(&format!("scheme {other:?}"))),
    };
    http.set_scheme(scheme).map_err(|()| bad(&"no HTTP base"))?;
    http.set_path("/");
    Ok(http)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(json: &str) -> ConnectInfo {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn an_absolute_websocket_url_names_the_gateway_to_ask_next() {
        let hash = "ab".repeat(32);
        let answer = info(&format!(
            r#"{{"protocol_version":1,"webtransport":{{"url":"https://127.0.0.1:4434/play","cert_sha256_hex":"{hash}"}},
               "websocket":{{"path":"/ws","url":"ws://127.0.0.1:8081/ws"}}}}"#
        ));
        let asked = url::Url::parse("http://127.0.0.1:8080/").unwrap();
        let route = GatewayRoute::from_connect(&answer, &asked).unwrap();
        assert_eq!(route.http.as_str(), "http://127.0.0.1:8081/");
        assert_eq!(route.websocket, "ws://127.0.0.1:8081/ws");
        let wt = route.webtransport.unwrap();
        assert_eq!(wt.url.as_str(), "https://127.0.0.1:4434/play");
        assert_eq!(wt.cert, Some(CertHash([0xab; 32])));
    }

    #[test]
    fn an_older_gateway_gives_a_path_on_the_gateway_asked() {
        let answer = info(r#"{"protocol_version":1,"webtransport":null,"websocket":{"path":"/ws"}}"#);
        let asked = url::Url::parse("http://127.0.0.1:8080/").unwrap();
        let route = GatewayRoute::from_connect(&answer, &asked).unwrap();
        assert_eq!((route.http, route.websocket.as_str(), route.webtransport), (asked, "ws://127.0.0.1:8080/ws", None));
    }
}

//! What a gateway tells players and the registry about where it is: by default the address
//! the page was loaded from (and the bound ports); behind Kubernetes the advertised ones,
//! `--public-url` (the https base URL players open for this gateway) and `--public-quic`
//! (`HOST:PORT` where players' WebTransport reaches it), with `{ordinal}` already replaced.

use mmo_cluster::cli::{with_ordinal, IdError};
use std::net::SocketAddr;

/// The advertised addresses; `None` fields fall back to what the gateway bound.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PublicAddresses {
    /// The https base URL of this gateway's page, e.g. `https://gw-0.play.example.com`.
    pub url: Option<String>,
    /// Where players' WebTransport reaches this gateway, `HOST:PORT`.
    pub quic: Option<String>,
}

impl PublicAddresses {
    /// From the values of `--public-url` and `--public-quic`, with `{ordinal}` replaced by
    /// `ordinal` (an error naming the flag when a value has the placeholder and there is no
    /// ordinal).
    pub fn from_flags(url: Option<&str>, quic: Option<&str>, ordinal: Option<u32>) -> Result<Self, IdError> {
        let fill = |flag, value: Option<&str>| value.map(|v| with_ordinal(flag, v, ordinal)).transpose();
        Ok(PublicAddresses { url: fill("--public-url", url)?, quic: fill("--public-quic", quic)? })
    }

    /// The WebTransport URL handed to a page loaded from `request_host` (the `Host` header
    /// without its port): the advertised QUIC address, else that host with the bound port.
    pub fn webtransport_url(&self, request_host: &str, quic_port: u16) -> String {
        match &self.quic {
            Some(quic) => format!("https://{quic}/play"),
            None => format!("https://{request_host}:{quic_port}/play"),
        }
    }

    /// The WebSocket URL handed to a page loaded from `authority` (the `Host` header, with its
    /// port): the advertised URL's host, else that authority; `wss` with a real certificate.
    pub fn websocket_url(&self, authority: &str, https: bool) -> String {
        match &self.url {
            Some(url) => format!("wss://{}/ws", url.trim_start_matches("https://")),
            None => format!("{}://{authority}/ws", if https { "wss" } else { "ws" }),
        }
    }

    /// The WebTransport URL registered for clients another gateway sends here: the advertised
    /// QUIC address, else the bound one; empty when bound to a wildcard address without one
    /// advertised (no address clients could use).
    pub fn registered_webtransport_url(&self, quic: SocketAddr) -> String {
        match &self.quic {
            Some(quic) => format!("https://{quic}/play"),
            None if quic.ip().is_unspecified() => String::new(),
            None => format!("https://{quic}/play"),
        }
    }

    /// The WebSocket URL registered likewise: from the advertised URL, else the bound HTTP
    /// address; empty on a wildcard address without an advertised URL.
    pub fn registered_websocket_url(&self, http: SocketAddr, https: bool) -> String {
        match &self.url {
            Some(_) => self.websocket_url("", true),
            None if http.ip().is_unspecified() => String::new(),
            None => self.websocket_url(&http.to_string(), https),
        }
    }

    /// The address registered for other members and the operators' dashboard: the advertised
    /// URL, else the bound HTTP address.
    pub fn registry_address(&self, http: SocketAddr) -> String {
        self.url.clone().unwrap_or_else(|| http.to_string())
    }
}

/// Parses a `--public-quic` value: `HOST:PORT` (a name or an IP, IPv6 in brackets), where
/// `{ordinal}` may stand in the host.
pub fn parse_public_quic(s: &str) -> Result<String, String> {
    let (host, port) = s.rsplit_once(':').ok_or_else(|| format!("expected HOST:PORT, got {s:?}"))?;
    if host.is_empty() || host.contains('/') || port.parse::<u16>().map_or(true, |p| p == 0) {
        return Err(format!("expected HOST:PORT with a port from 1 to 65535, got {s:?}"));
    }
    Ok(s.to_string())
}

/// Parses a `--public-url` value: an `https://` URL without a path (a trailing `/` is dropped),
/// where `{ordinal}` may stand in the host.
pub fn parse_public_url(s: &str) -> Result<String, String> {
    let base = s.trim_end_matches('/');
    let host = base.strip_prefix("https://").ok_or_else(|| format!("expected an https:// URL, got {s:?}"))?;
    if host.is_empty() || host.contains('/') {
        return Err(format!("expected https://HOST[:PORT] without a path, got {s:?}"));
    }
    Ok(base.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_advertised_quic_address_makes_the_webtransport_url() {
        let public = PublicAddresses { url: None, quic: Some("gw-1.play.example.com:4433".into()) };
        assert_eq!(public.webtransport_url("play.example.com", 9), "https://gw-1.play.example.com:4433/play");
        assert_eq!(PublicAddresses::default().webtransport_url("127.0.0.1", 4433), "https://127.0.0.1:4433/play");
        let addr: SocketAddr = "10.0.0.5:8080".parse().unwrap();
        assert_eq!(PublicAddresses::default().registry_address(addr), "10.0.0.5:8080");
        let public = PublicAddresses { url: Some("https://gw-1.play.example.com".into()), quic: None };
        assert_eq!(public.registry_address(addr), "https://gw-1.play.example.com");
    }

    #[test]
    fn registered_urls_are_absolute_and_never_a_wildcard() {
        let http: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let quic: SocketAddr = "127.0.0.1:4433".parse().unwrap();
        let bound = PublicAddresses::default();
        assert_eq!(bound.registered_webtransport_url(quic), "https://127.0.0.1:4433/play");
        assert_eq!(bound.registered_websocket_url(http, false), "ws://127.0.0.1:8080/ws");
        assert_eq!(bound.registered_websocket_url(http, true), "wss://127.0.0.1:8080/ws");
        assert_eq!(bound.websocket_url("play.example.com:8080", false), "ws://play.example.com:8080/ws");
        let wildcard: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        assert_eq!(bound.registered_websocket_url(wildcard, false), "");
        assert_eq!(bound.registered_webtransport_url("[::]:4433".parse().unwrap()), "");
        let public = PublicAddresses {
            url: Some("https://gw-1.play.example.com".into()),
            quic: Some("gw-1.play.example.com:4433".into()),
        };
        assert_eq!(public.registered_websocket_url(wildcard, false), "wss://gw-1.play.example.com/ws");
        assert_eq!(public.websocket_url("lb.example.com", false), "wss://gw-1.play.example.com/ws");
        assert_eq!(public.registered_webtransport_url(quic), "https://gw-1.play.example.com:4433/play");
    }

    #[test]
    fn the_ordinal_fills_in_both_flags() {
        let public = PublicAddresses::from_flags(
            Some("https://gw-{ordinal}.play.example.com"),
            Some("gw-{ordinal}.play.example.com:4433"),
            Some(3),
        )
        .unwrap();
        assert_eq!(public.url.as_deref(), Some("https://gw-3.play.example.com"));
        assert_eq!(public.webtransport_url("ignored", 1), "https://gw-3.play.example.com:4433/play");
        let error = PublicAddresses::from_flags(None, Some("gw-{ordinal}:4433"), None).unwrap_err().to_string();
        assert!(error.contains("--public-quic"), "{error}");
    }

    #[test]
    fn public_flags_are_checked() {
        assert_eq!(parse_public_url("https://gw-{ordinal}.example.com/").unwrap(), "https://gw-{ordinal}.example.com");
        for bad in ["http://gw.example.com", "gw.example.com", "https://", "https://gw.example.com/play"] {
            assert!(parse_public_url(bad).is_err(), "{bad:?} accepted");
        }
        assert!(parse_public_quic("gw-{ordinal}.example.com:4433").is_ok());
        assert!(parse_public_quic("[2001:db8::1]:4433").is_ok());
        for bad in ["gw.example.com", ":4433", "gw.example.com:0", "gw.example.com:99999", "https://gw:1/x"] {
            assert!(parse_public_quic(bad).is_err(), "{bad:?} accepted");
        }
    }
}

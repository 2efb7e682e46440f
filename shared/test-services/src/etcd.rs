//! A single-member etcd on free loopback ports.

use crate::process::{self, find_binary, free_port, ServiceError, TempDir};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;

/// How long etcd may take to answer its health check (it takes about half a second here).
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// Tries with new ports when etcd loses the race for a port it was given.
const ATTEMPTS: usize = 4;

/// A running etcd (`etcd` from `$MMO_ETCD_BIN` or `PATH`, Debian package `etcd-server`), killed and
/// its data directory removed when dropped.
#[derive(Debug)]
pub struct Etcd {
    child: Child,
    endpoint: String,
    log: PathBuf,
    // Dropped after the child is killed (see `Drop`).
    _dir: TempDir,
}

impl Etcd {
    /// Starts etcd and returns once it reports healthy.
    pub fn start() -> Result<Etcd, ServiceError> {
        let binary = find_binary("etcd", "MMO_ETCD_BIN", "etcd-server")?;
        let mut last = None;
        for _ in 0..ATTEMPTS {
            match Self::try_start(&binary) {
                Ok(etcd) => return Ok(etcd),
                Err(error @ ServiceError::Start { .. }) => last = Some(error),
                Err(error) => return Err(error),
            }
        }
        Err(last.expect("at least one attempt"))
    }

    fn try_start(binary: &PathBuf) -> Result<Etcd, ServiceError> {
        let dir = TempDir::new("mmo-etcd")?;
        let ports = (free_port(), free_port());
        let (Ok(client), Ok(peer)) = ports else {
            return Err(ServiceError::io("finding free ports")(std::io::Error::other("bind 127.0.0.1:0 failed")));
        };
        let client_url = format!("http://127.0.0.1:{client}");
        let peer_url = format!("http://127.0.0.1:{peer}");
        let mut command = Command::new(binary);
        command
            .arg("--name=test")
            .arg(format!("--data-dir={}", dir.path().join("data").display()))
            .arg(format!("--listen-client-urls={client_url}"))
            .arg(format!("--advertise-client-urls={client_url}"))
            .arg(format!("--listen-peer-urls={peer_url}"))
            .arg(format!("--initial-advertise-peer-urls={peer_url}"))
            .arg(format!("--initial-cluster=test={peer_url}"))
            .args(["--logger=zap", "--log-level=warn"]);
        let log = dir.path().join("etcd.log");
        let mut child = process::spawn_logged(command, &log)?;
        let addr = SocketAddr::from(([127, 0, 0, 1], client));
        if let Err(reason) = process::wait_ready(&mut child, READY_TIMEOUT, || healthy(addr)) {
            process::kill(&mut child);
            return Err(ServiceError::Start { service: "etcd", reason, tail: process::tail(&log, 4000), log });
        }
        Ok(Etcd { child, endpoint: client_url, log, _dir: dir })
    }

    /// The client URL, `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The etcd process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The end of etcd's log, for failure messages.
    pub fn log_tail(&self) -> String {
        process::tail(&self.log, 4000)
    }
}

impl Drop for Etcd {
    fn drop(&mut self) {
        process::kill(&mut self.child);
    }
}

/// `GET /health` on the client port answers `{"health":"true"}` once etcd serves requests.
fn healthy(addr: SocketAddr) -> bool {
    let probe = || -> std::io::Result<bool> {
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(200))?;
        stream.set_read_timeout(Some(Duration::from_secs(1)))?;
        stream.write_all(b"GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
        let mut reply = String::new();
        stream.read_to_string(&mut reply)?;
        Ok(reply.contains("\"health\":\"true\""))
    };
    probe().unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_answers_and_stops() {
        let etcd = Etcd::start().expect("etcd must be installed: run scripts/install-test-deps.sh");
        let addr: SocketAddr = etcd.endpoint().trim_start_matches("http://").parse().unwrap();
        assert!(healthy(addr));
        let pid = etcd.pid();
        drop(etcd);
        assert!(!healthy(addr), "etcd {pid} still answers after drop");
    }

    #[test]
    fn two_run_side_by_side_on_different_ports() {
        let a = Etcd::start().unwrap();
        let b = Etcd::start().unwrap();
        assert_ne!(a.endpoint(), b.endpoint());
    }
}

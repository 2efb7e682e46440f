//! A throwaway Redis on a free loopback port.

use crate::process::{self, find_binary, free_port, ServiceError, TempDir};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;

/// How long Redis may take to answer `PING` (a few milliseconds here).
const READY_TIMEOUT: Duration = Duration::from_secs(20);
/// Tries with a new port when Redis loses the race for the port it was given.
const ATTEMPTS: usize = 4;

/// A running `redis-server` (from `$MMO_REDIS_BIN` or `PATH`, Debian package `redis-server`),
/// without persistence unless asked, killed and its directory removed when dropped.
#[derive(Debug)]
pub struct Redis {
    child: Child,
    port: u16,
    log: PathBuf,
    // Dropped after the child is killed (see `Drop`).
    _dir: TempDir,
}

impl Redis {
    /// Starts Redis and returns once it answers `PING`.
    pub fn start() -> Result<Redis, ServiceError> {
        let binary = find_binary("redis-server", "MMO_REDIS_BIN", "redis-server")?;
        let mut last = None;
        for _ in 0..ATTEMPTS {
            match Self::try_start(&binary) {
                Ok(redis) => return Ok(redis),
                Err(error @ ServiceError::Start { .. }) => last = Some(error),
                Err(error) => return Err(error),
            }
        }
        Err(last.expect("at least one attempt"))
    }

    fn try_start(binary: &PathBuf) -> Result<Redis, ServiceError> {
        let dir = TempDir::new("mmo-redis")?;
        let port = free_port().map_err(ServiceError::io("finding a free port"))?;
        let log = dir.path().join("redis.log");
        let mut command = Command::new(binary);
        command
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .arg("--dir")
            .arg(dir.path())
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes"])
            .args(["--loglevel", "warning"]);
        let mut child = process::spawn_logged(command, &log)?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        if let Err(reason) = process::wait_ready(&mut child, READY_TIMEOUT, || pong(addr)) {
            process::kill(&mut child);
            return Err(ServiceError::Start { service: "redis", reason, tail: process::tail(&log, 4000), log });
        }
        Ok(Redis { child, port, log, _dir: dir })
    }

    /// `redis://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The Redis process id (to stop or freeze it with [`crate::signal`]).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The end of Redis's log, for failure messages.
    pub fn log_tail(&self) -> String {
        process::tail(&self.log, 4000)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        process::kill(&mut self.child);
    }
}

/// `PING` answers `+PONG` once Redis serves requests (not while it loads its data set).
fn pong(addr: SocketAddr) -> bool {
    let probe = || -> std::io::Result<bool> {
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(200))?;
        stream.set_read_timeout(Some(Duration::from_secs(1)))?;
        stream.write_all(b"PING\r\n")?;
        let mut reply = [0u8; 7];
        stream.read_exact(&mut reply)?;
        Ok(&reply == b"+PONG\r\n")
    };
    probe().unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_answers_and_stops() {
        let redis = Redis::start().expect("redis-server must be installed: run scripts/install-test-deps.sh");
        let addr = SocketAddr::from(([127, 0, 0, 1], redis.port()));
        assert!(pong(addr));
        assert!(redis.url().starts_with("redis://127.0.0.1:"));
        let pid = redis.pid();
        drop(redis);
        assert!(!pong(addr), "redis {pid} still answers after drop");
    }

    #[test]
    fn two_run_side_by_side_on_different_ports() {
        let a = Redis::start().unwrap();
        let b = Redis::start().unwrap();
        assert_ne!(a.port(), b.port());
    }
}

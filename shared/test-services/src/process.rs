//! Child-process plumbing shared by the services: finding binaries, free ports, temporary
//! directories, readiness loops and signals.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    #[error(
        "`{binary}` not found (looked at ${env_var}, then on PATH). Install it with \
         `scripts/install-test-deps.sh` (Debian package `{package}`); tests that need it fail, they never skip"
    )]
    Missing { binary: &'static str, env_var: &'static str, package: &'static str },
    #[error("{service} did not start: {reason}; last lines of its log {log:?}:\n{tail}")]
    Start { service: &'static str, reason: String, log: PathBuf, tail: String },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },
}

impl ServiceError {
    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(io::Error) -> ServiceError {
        let context = context.into();
        move |source| ServiceError::Io { context, source }
    }
}

/// The path of `binary`: `$env_var` if set, else the first match on `PATH`.
pub fn find_binary(
    binary: &'static str,
    env_var: &'static str,
    package: &'static str,
) -> Result<PathBuf, ServiceError> {
    let missing = ServiceError::Missing { binary, env_var, package };
    if let Some(path) = std::env::var_os(env_var) {
        let path = PathBuf::from(path);
        return if path.is_file() { Ok(path) } else { Err(missing) };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).map(|dir| dir.join(binary)).find(|p| p.is_file()).ok_or(missing)
}

/// A loopback port that was free a moment ago: bind port 0, read the port back, release it.
/// The caller hands it to a child process, which may lose a race for it: starters retry.
pub fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}

/// A signal for [`signal`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// SIGSTOP: freezes the process (it cannot catch it), as a long GC pause or a stuck VM would.
    Stop,
    /// SIGCONT: resumes a stopped process.
    Cont,
    /// SIGKILL.
    Kill,
    /// SIGTERM.
    Term,
}

/// Sends `sig` to process `pid`, through the shell's `kill` builtin (no unsafe code, no extra
/// package: every machine with `sh` has it).
pub fn signal(pid: u32, sig: Signal) -> Result<(), ServiceError> {
    let name = match sig {
        Signal::Stop => "STOP",
        Signal::Cont => "CONT",
        Signal::Kill => "KILL",
        Signal::Term => "TERM",
    };
    let status = Command::new("sh")
        .args(["-c", "kill -s \"$1\" \"$2\"", "sh", name, &pid.to_string()])
        .status()
        .map_err(ServiceError::io("running sh -c kill"))?;
    if status.success() {
        Ok(())
    } else {
        Err(ServiceError::Io {
            context: format!("kill -s {name} {pid}"),
            source: io::Error::other(format!("exited with {status}")),
        })
    }
}

/// A fresh directory under the system temporary directory, removed on drop (kept when
/// `MMO_KEEP_TEST_DIRS` is set, to read a failed run's logs).
#[derive(Debug)]
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(prefix: &str) -> Result<TempDir, ServiceError> {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        let name = format!("{prefix}-{}-{nanos}-{}", std::process::id(), SEQ.fetch_add(1, Ordering::Relaxed));
        let path = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&path).map_err(ServiceError::io(format!("creating {}", path.display())))?;
        Ok(TempDir(path))
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("MMO_KEEP_TEST_DIRS").is_none() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Starts `command` with stdout and stderr appended to `log`.
pub(crate) fn spawn_logged(mut command: Command, log: &Path) -> Result<Child, ServiceError> {
    let out = File::create(log).map_err(ServiceError::io(format!("creating {}", log.display())))?;
    let err = out.try_clone().map_err(ServiceError::io("cloning the log handle"))?;
    command
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(ServiceError::io(format!("starting {:?}", command.get_program())))
}

/// Polls `ready` every 20 ms until it answers true; fails if the child exits or `timeout` passes.
pub(crate) fn wait_ready(child: &mut Child, timeout: Duration, mut ready: impl FnMut() -> bool) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("exited early with {status}"));
        }
        if ready() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!("not ready after {timeout:?}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The last `max` bytes of a log file, for error messages.
pub(crate) fn tail(log: &Path, max: u64) -> String {
    let Ok(mut file) = File::open(log) else { return String::from("(no log)") };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = file.seek(SeekFrom::Start(len.saturating_sub(max)));
    let mut text = String::new();
    let _ = file.read_to_string(&mut text);
    text
}

/// Kills and reaps a child; errors are ignored (it may be gone already).
pub(crate) fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_binary_says_how_to_install_it() {
        let error = find_binary("mmo-no-such-binary", "MMO_TEST_NO_SUCH_VARIABLE", "some-package").unwrap_err();
        let message = error.to_string();
        assert!(message.contains("scripts/install-test-deps.sh"), "{message}");
        assert!(message.contains("some-package"), "{message}");
    }

    #[test]
    fn free_ports_are_bindable() {
        let port = free_port().unwrap();
        assert_ne!(port, 0);
        TcpListener::bind(("127.0.0.1", port)).unwrap();
    }
}

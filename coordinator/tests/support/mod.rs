//! Shared by the election tests: a real etcd, in-process candidates, and candidates as child
//! processes (`mmo-election-candidate`) that can be frozen and killed.

#![allow(dead_code)] // each test file uses a part

use etcd_client::{Client, EventType, GetOptions, WatchOptions};
use mmo_cluster::etcd::{EtcdConfig, EtcdRegistry};
use mmo_coordinator::election::{Election, ElectionConfig, Role};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::{timeout, Instant};

pub const TTL: Duration = Duration::from_secs(2);

pub fn etcd() -> mmo_test_services::Etcd {
    mmo_test_services::Etcd::start().expect("a real etcd for the election tests")
}

/// A registry handle with its follower running on the test's runtime.
pub async fn registry(endpoint: &str, world: &str) -> EtcdRegistry {
    let (registry, follower) =
        EtcdRegistry::connect(EtcdConfig::new([endpoint], world)).await.expect("connect to etcd");
    tokio::spawn(follower.run());
    registry
}

/// An in-process replica running [`Election::run`] until stopped.
pub struct Replica {
    pub election: Arc<Election>,
    pub role: watch::Receiver<Role>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Replica {
    pub async fn start(endpoint: &str, world: &str, name: &str) -> Replica {
        let config = ElectionConfig { candidate: name.to_owned(), ttl: TTL };
        let election = Arc::new(Election::new(registry(endpoint, world).await, config));
        let role = election.role();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn({
            let election = election.clone();
            async move {
                election
                    .run(async {
                        stopped.await.ok();
                    })
                    .await
            }
        });
        Replica { election, role, stop: Some(stop), task }
    }

    /// Waits until the role satisfies `ok`; panics after `within` with what it was.
    pub async fn wait_role(&mut self, within: Duration, ok: impl Fn(&Role) -> bool) -> Role {
        let outcome = timeout(within, self.role.wait_for(|r| ok(r))).await.map(|r| r.map(|role| role.clone()));
        match outcome {
            Ok(Ok(role)) => role,
            _ => panic!("role still {:?} after {within:?}", *self.role.borrow()),
        }
    }

    /// Stops `run` (which resigns if leading) and waits for it.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        timeout(Duration::from_secs(10), &mut self.task).await.expect("run stops").expect("run did not panic");
    }

    /// Ends the replica as a crash would: no resignation, the lease just stops being renewed.
    pub fn crash(self) {
        self.task.abort();
    }
}

pub fn is_leader(role: &Role) -> bool {
    matches!(role, Role::Leader(_))
}

/// How many candidates' keys exist in the world's election.
pub async fn candidates(registry: &EtcdRegistry) -> usize {
    let mut client = registry.client();
    let prefix = format!("{}/", registry.keys().election());
    client.get(prefix, Some(GetOptions::new().with_prefix().with_count_only())).await.expect("count candidates").count()
        as usize
}

pub async fn wait_candidates(registry: &EtcdRegistry, n: usize) {
    let what = format!("{n} candidates");
    mmo_test_services::wait::wait_until(&what, Duration::from_secs(10), || async { candidates(registry).await == n })
        .await;
}

/// One line of a candidate process: its unix time in ms and the rest.
#[derive(Clone, Debug)]
pub struct Line {
    pub at_ms: u64,
    pub text: String,
}

/// `mmo-election-candidate` as a child process, killed on drop.
pub struct CandidateProcess {
    child: Child,
    lines: mpsc::Receiver<Line>,
    pub seen: Vec<Line>,
}

impl CandidateProcess {
    pub fn spawn(endpoint: &str, world: &str, name: &str, zone: u32) -> CandidateProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mmo-election-candidate"))
            .args(["--etcd", endpoint, "--world", world, "--name", name, "--zone", &zone.to_string()])
            .args(["--ttl-secs", &TTL.as_secs().to_string(), "--write-every-ms", "50"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start mmo-election-candidate");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel(4096);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let Some((ms, text)) = line.split_once(' ') else { continue };
                let line = Line { at_ms: ms.parse().unwrap_or(0), text: text.to_owned() };
                if tx.blocking_send(line).is_err() {
                    break;
                }
            }
        });
        CandidateProcess { child, lines, seen: Vec::new() }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for a line starting with `prefix`; panics with everything seen after `within`.
    pub async fn expect(&mut self, within: Duration, prefix: &str) -> Line {
        let deadline = Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, self.lines.recv()).await {
                Ok(Some(line)) => {
                    self.seen.push(line.clone());
                    if line.text.starts_with(prefix) {
                        return line;
                    }
                }
                _ => panic!("no {prefix:?} line within {within:?}; saw {:?}", self.seen),
            }
        }
    }

    /// Collects lines for `period`.
    pub async fn collect(&mut self, period: Duration) {
        let deadline = Instant::now() + period;
        while let Ok(Some(line)) = tokio::time::timeout_at(deadline, self.lines.recv()).await {
            self.seen.push(line);
        }
    }
}

impl Drop for CandidateProcess {
    fn drop(&mut self) {
        let _ = mmo_test_services::signal(self.child.id(), mmo_test_services::Signal::Cont);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A key's history from revision 1: (revision, put or delete, value), until `done` says so.
pub async fn history(
    client: &mut Client,
    key: &str,
    done: impl Fn(&[(i64, EventType, Vec<u8>)]) -> bool,
) -> Vec<(i64, EventType, Vec<u8>)> {
    let mut stream = client.watch(key, Some(WatchOptions::new().with_start_revision(1))).await.expect("watch history");
    let mut events = Vec::new();
    while !done(&events) {
        let response = timeout(Duration::from_secs(5), stream.message())
            .await
            .unwrap_or_else(|_| panic!("history of {key} incomplete: {events:?}"))
            .expect("watch")
            .expect("watch open");
        for event in response.events() {
            let kv = event.kv().expect("event kv");
            events.push((kv.mod_revision(), event.event_type(), kv.value().to_vec()));
        }
    }
    events
}

/// p50 of a few durations.
pub fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

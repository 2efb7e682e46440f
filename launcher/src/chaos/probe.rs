//! What the soak reads from the running cluster, over the services' own HTTP endpoints and the
//! registry: the leader, the players online, a zone's report and counters, cells re-owned.

use mmo_cluster::etcd::EtcdRegistry;
use mmo_cluster::Registry;
use mmo_loadtest::client::{http_get_up_to, Trust};
use mmo_records::ZoneReport;
use mmo_world::{CellId, Epoch};
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// How often a probe asks again while waiting for a recovery.
const POLL: Duration = Duration::from_millis(50);

/// How long a service may take to answer (a paused one never does).
const ANSWER: Duration = Duration::from_secs(1);
/// The largest answer read: a zone's `/report` lists every entity and item on the ground it
/// holds (several MiB late in a long soak; cut short, it would not parse).
const LARGEST_ANSWER: u64 = 256 * 1024 * 1024;

async fn get(base: &url::Url, path: &str) -> Option<String> {
    get_within(base, path, ANSWER).await
}

async fn get_within(base: &url::Url, path: &str, within: Duration) -> Option<String> {
    tokio::time::timeout(within, http_get_up_to(base, path, &Trust::default(), LARGEST_ANSWER)).await.ok()?.ok()
}

/// The leader a coordinator names in `/api/state`: its name and epoch.
pub async fn leader(coordinator: &url::Url) -> Option<(String, u64)> {
    let body = get(coordinator, "/api/state").await?;
    let state: serde_json::Value = serde_json::from_str(&body).ok()?;
    let leader = state.get("leader")?;
    Some((leader.get("name")?.as_str()?.to_string(), leader.get("epoch")?.as_u64()?))
}

/// Waits until one of `coordinators` names a leader elected after `epoch`; how long it took.
pub async fn new_leader(coordinators: &[url::Url], epoch: u64, since: Instant, patience: Duration) -> Option<Duration> {
    tokio::time::timeout(patience, async {
        loop {
            for c in coordinators {
                if leader(c).await.is_some_and(|(_, e)| e > epoch) {
                    return since.elapsed();
                }
            }
            tokio::time::sleep(POLL).await;
        }
    })
    .await
    .ok()
}

/// The load-test bots `/api/online` of `gateway` lists (the world's, on any gateway), with
/// the gateway each plays on.
pub async fn bots_online(gateway: &url::Url) -> Option<Vec<(String, u64)>> {
    let body = get(gateway, "/api/online").await?;
    let rows: Vec<serde_json::Value> = serde_json::from_str(&body).ok()?;
    Some(
        rows.iter()
            .filter_map(|r| Some((r["name"].as_str()?.to_string(), r["gateway"].as_u64()?)))
            .filter(|(name, _)| name.starts_with("lt"))
            .collect(),
    )
}

/// Waits until one of `gateways` lists at least `count` bots online on gateways other than
/// `gone`; how long it took.
pub async fn bots_back(
    gateways: &[url::Url],
    gone: u64,
    count: usize,
    since: Instant,
    patience: Duration,
) -> Option<Duration> {
    tokio::time::timeout(patience, async {
        loop {
            for g in gateways {
                let elsewhere = bots_online(g).await.map(|b| b.iter().filter(|(_, on)| *on != gone).count());
                if elsewhere.is_some_and(|n| n >= count) {
                    return since.elapsed();
                }
            }
            tokio::time::sleep(POLL).await;
        }
    })
    .await
    .ok()
}

/// A zone's `/report`.
pub async fn zone_report(zone: &url::Url) -> Option<ZoneReport> {
    serde_json::from_str(&get(zone, "/report").await?).ok()
}

/// A zone's `/report` for the census: a busy zone gets 5 s an answer, and 6 tries.
pub async fn zone_report_patiently(zone: &url::Url) -> Option<ZoneReport> {
    for _ in 0..6 {
        if let Some(body) = get_within(zone, "/report", Duration::from_secs(5)).await {
            if let Ok(report) = serde_json::from_str(&body) {
                return Some(report);
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    None
}

/// Waits until each of `cells` has an owner again: assigned at a new epoch to a zone the
/// registry lists (the coordinator moved it), or owned by a zone that answers `/report` (the
/// struck zone running again under its id took it back at its old epoch); how long it took.
pub async fn cells_reowned(
    registry: EtcdRegistry,
    zones: watch::Receiver<Vec<url::Url>>,
    cells: Vec<(CellId, Epoch)>,
    since: Instant,
    patience: Duration,
) -> Option<Duration> {
    tokio::time::timeout(patience, async {
        loop {
            let table = registry.assignments();
            if let Ok(live) = registry.zones().await {
                let moved = |(c, e): &(CellId, Epoch)| {
                    table.get(c).is_some_and(|a| a.epoch != *e && live.contains_key(&a.zone))
                };
                if cells.iter().all(moved) {
                    return since.elapsed();
                }
            }
            let mut owned = std::collections::BTreeSet::new();
            let now: Vec<url::Url> = zones.borrow().clone();
            for zone in now {
                if let Some(body) = get_within(&zone, "/report", Duration::from_secs(3)).await {
                    if let Ok(report) = serde_json::from_str::<ZoneReport>(&body) {
                        owned.extend(report.owned.iter().map(|(c, _)| *c));
                    }
                }
            }
            if cells.iter().all(|(c, _)| owned.contains(c)) {
                return since.elapsed();
            }
            tokio::time::sleep(POLL).await;
        }
    })
    .await
    .ok()
}

/// The total `field` (e.g. `written_after_lease`) of the line of `log` (a service's log file)
/// that reports its saver's totals, the first one logged at or after `after` (an RFC 3339 time,
/// compared to the millisecond): that run of the service's count.
pub fn saver_total(log: &str, after: &str, field: &str) -> Option<u64> {
    let after = after.get(..23).unwrap_or(after);
    let key = format!("{field}=");
    log.lines().filter(|l| l.get(..23).is_some_and(|t| t >= after)).find_map(|l| {
        let rest = l.split("saver stopped").nth(1)?;
        let value = rest.split_whitespace().find_map(|w| w.strip_prefix(key.as_str()))?;
        value.parse().ok()
    })
}

/// `unix_ms` as the services' logs write times (RFC 3339, UTC), to the millisecond.
pub fn log_time(unix_ms: u64) -> String {
    let seconds = mmo_loadtest::report::meta::rfc3339(unix_ms);
    format!("{}.{:03}Z", seconds.trim_end_matches('Z'), unix_ms % 1000)
}

/// `HOST:PORT` after `key=` in a ready line (`link=... http=...`), as an `http://` URL.
pub fn url_in_ready(ready: &str, key: &str) -> Option<url::Url> {
    let address = ready.split_whitespace().find_map(|w| w.strip_prefix(&format!("{key}=")))?;
    url::Url::parse(&format!("http://{address}/")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_saver_line_of_the_run_after_a_time() {
        let log = "\
2026-12-04T15:00:01.100000Z  INFO zone_host{zone=z2}: mmo_store::saver: saver stopped: its last saves are done written=40 stale=0 dropped=0 written_after_lease=0 stale_after_lease=0
2026-12-04T15:00:09.500000Z  WARN zone_host{zone=z2}: mmo_zone::host: lease lost: stopping the zone
2026-12-04T15:00:09.600000Z  INFO zone_host{zone=z2}: mmo_store::saver: saver stopped: its last saves are done written=112 stale=9 dropped=0 written_after_lease=2 stale_after_lease=9
";
        let after_lease = |after| saver_total(log, after, "written_after_lease");
        assert_eq!(after_lease("2026-12-04T15:00:05.000Z"), Some(2));
        assert_eq!(after_lease("2026-12-04T15:00:00.000Z"), Some(0));
        assert_eq!(after_lease("2026-12-04T15:00:10.000Z"), None);
        assert_eq!(saver_total(log, "2026-12-04T15:00:05.000Z", "written"), Some(112));
        assert_eq!(saver_total(log, "2026-12-04T15:00:05.000Z", "stale_after_lease"), Some(9));
    }

    #[test]
    fn log_times_compare_with_the_logs_own() {
        let t = log_time(1_796_396_405_042);
        assert_eq!(t.len(), 24);
        assert!(t.ends_with(".042Z"), "{t}");
        let line = "2026-12-04T15:00:09.600000Z saver stopped written=3";
        assert_eq!(saver_total(line, &log_time(0), "written"), Some(3));
    }

    #[test]
    fn addresses_in_a_zones_ready_line() {
        let ready = "link=127.0.0.1:4100 http=127.0.0.1:4101";
        assert_eq!(url_in_ready(ready, "http").unwrap().as_str(), "http://127.0.0.1:4101/");
        assert_eq!(url_in_ready(ready, "metrics"), None);
    }
}

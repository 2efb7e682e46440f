//! [`RedisHot`]: hot state in Redis. A checkpoint is a hash `<prefix>ckpt:<cell>` (`t`: tick,
//! `d`: bytes) replaced by a Lua script only by a later tick; an online session is a key
//! `<prefix>online:<name>` holding `<gateway id>:<run>` (the gateway's run that claimed it; a
//! bare gateway id, from before runs were kept, reads as run 0), with a millisecond time to
//! live. A document is a hash `<prefix>doc:<key>` (`v`: version, `b`: bytes), changed only by
//! the compare-and-swap script.

use crate::error::Result;
use crate::hot::{Checkpoint, Doc, DocWrite, HotState, OnlineSession};
use crate::redis_store::{connect, redis_error};
use mmo_world::{CellId, GatewayId, GatewayRun, Tick};
use redis::aio::ConnectionManager;
use redis::Script;
use std::time::Duration;

/// Replaces checkpoint hash KEYS[1] with (ARGV[1] tick, ARGV[2] bytes) unless it holds a
/// later or equal tick.
const PUT_CHECKPOINT: &str = r"
local kept = redis.call('HGET', KEYS[1], 't')
if kept and tonumber(kept) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 't', ARGV[1], 'd', ARGV[2])
return 1
";

/// Sets KEYS[1] to ARGV[4] (a gateway's run, of gateway ARGV[1]) for ARGV[2] ms unless another
/// gateway than ARGV[3] (one known to be gone) holds it; returns the holder's gateway id, or -1
/// when ARGV[1] holds it now.
const CLAIM_ONLINE: &str = r"
local holder = redis.call('GET', KEYS[1])
local gateway = holder and tonumber(string.match(holder, '^%d+'))
if gateway and gateway ~= tonumber(ARGV[1]) and gateway ~= tonumber(ARGV[3]) then return gateway end
redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[2])
return -1
";

/// Deletes KEYS[1] if it holds ARGV[1] (a gateway's run); returns 1 if it did.
const RELEASE_ONLINE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
";

/// For each document hash KEYS[i], ARGV[3i-2] is its expected version ('' for none), ARGV[3i-1]
/// 's' (set) or 'd' (remove) and ARGV[3i] the bytes. Writes all (version + 1) if every version
/// is as expected and returns 1, else writes nothing and returns 0.
const SWAP_DOCS: &str = r"
for i, key in ipairs(KEYS) do
  if (redis.call('HGET', key, 'v') or '') ~= ARGV[3 * i - 2] then return 0 end
end
for i, key in ipairs(KEYS) do
  if ARGV[3 * i - 1] == 'd' then
    redis.call('DEL', key)
  else
    redis.call('HSET', key, 'v', (tonumber(ARGV[3 * i - 2]) or 0) + 1, 'b', ARGV[3 * i])
  end
end
return 1
";

/// [`HotState`] in Redis; clones share one auto-reconnecting connection.
#[derive(Clone)]
pub struct RedisHot {
    conn: ConnectionManager,
    prefix: String,
    put_checkpoint: Script,
    claim_online: Script,
    release_online: Script,
    swap_docs: Script,
}

impl std::fmt::Debug for RedisHot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisHot").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

impl RedisHot {
    /// Connects to the Redis at `url`; every key starts with `prefix` (e.g. `mmo:`).
    pub async fn connect(url: &str, prefix: &str) -> Result<RedisHot> {
        Ok(RedisHot {
            conn: connect(url).await?,
            prefix: prefix.to_owned(),
            put_checkpoint: Script::new(PUT_CHECKPOINT),
            claim_online: Script::new(CLAIM_ONLINE),
            release_online: Script::new(RELEASE_ONLINE),
            swap_docs: Script::new(SWAP_DOCS),
        })
    }

    fn checkpoint_key(&self, cell: CellId) -> String {
        format!("{}ckpt:{}.{}.{}", self.prefix, cell.x, cell.y, cell.depth)
    }

    fn online_prefix(&self) -> String {
        format!("{}online:", self.prefix)
    }

    fn doc_key(&self, key: &str) -> String {
        format!("{}doc:{key}", self.prefix)
    }
}

impl HotState for RedisHot {
    async fn put_checkpoint(&self, cell: CellId, tick: Tick, bytes: Vec<u8>) -> Result<()> {
        let _: i64 = self
            .put_checkpoint
            .key(self.checkpoint_key(cell))
            .arg(tick.0)
            .arg(bytes)
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(redis_error)?;
        Ok(())
    }

    async fn latest_checkpoint(&self, cell: CellId) -> Result<Option<Checkpoint>> {
        let (tick, bytes): (Option<u64>, Option<Vec<u8>>) = redis::cmd("HMGET")
            .arg(self.checkpoint_key(cell))
            .arg("t")
            .arg("d")
            .query_async(&mut self.conn.clone())
            .await
            .map_err(redis_error)?;
        Ok(tick.map(|tick| Checkpoint { cell, tick: Tick(tick), bytes: bytes.unwrap_or_default() }))
    }

    async fn claim_online(
        &self,
        name: &str,
        claimant: GatewayRun,
        ttl: Duration,
        replacing: Option<GatewayId>,
    ) -> Result<Option<GatewayId>> {
        // No gateway has id -1: nothing is replaced then.
        let replacing = replacing.map_or(-1, |g| i64::from(g.0));
        let holder: i64 = self
            .claim_online
            .key(format!("{}{name}", self.online_prefix()))
            .arg(claimant.gateway.0)
            .arg(millis(ttl))
            .arg(replacing)
            .arg(held_by(claimant))
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(redis_error)?;
        Ok(u32::try_from(holder).ok().map(GatewayId))
    }

    async fn set_online(&self, name: &str, holder: GatewayRun, ttl: Duration) -> Result<()> {
        redis::cmd("SET")
            .arg(format!("{}{name}", self.online_prefix()))
            .arg(held_by(holder))
            .arg("PX")
            .arg(millis(ttl))
            .query_async::<()>(&mut self.conn.clone())
            .await
            .map_err(redis_error)
    }

    async fn release_online(&self, name: &str, holder: GatewayRun) -> Result<bool> {
        let released: i64 = self
            .release_online
            .key(format!("{}{name}", self.online_prefix()))
            .arg(held_by(holder))
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(redis_error)?;
        Ok(released == 1)
    }

    async fn set_offline(&self, name: &str) -> Result<()> {
        redis::cmd("DEL")
            .arg(format!("{}{name}", self.online_prefix()))
            .query_async::<()>(&mut self.conn.clone())
            .await
            .map_err(redis_error)
    }

    async fn online(&self) -> Result<Vec<OnlineSession>> {
        let prefix = self.online_prefix();
        let mut conn = self.conn.clone();
        let mut keys = Vec::new();
        let mut cursor = 0u64;
        loop {
            let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(format!("{prefix}*"))
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut conn)
                .await
                .map_err(redis_error)?;
            keys.extend(batch);
            cursor = next;
            if cursor == 0 {
                break;
            }
        }
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let holders: Vec<Option<String>> =
            redis::cmd("MGET").arg(&keys).query_async(&mut conn).await.map_err(redis_error)?;
        let mut online: Vec<OnlineSession> = keys
            .iter()
            .zip(holders)
            // A key that expired between SCAN and MGET reads as nil: not online.
            .filter_map(|(key, holder)| {
                let gateway = holder_of(&holder?)?.gateway;
                Some(OnlineSession { name: key.strip_prefix(&prefix)?.to_owned(), gateway })
            })
            .collect();
        online.sort();
        online.dedup();
        Ok(online)
    }

    async fn online_holder(&self, name: &str) -> Result<Option<GatewayRun>> {
        let holder: Option<String> = redis::cmd("GET")
            .arg(format!("{}{name}", self.online_prefix()))
            .query_async(&mut self.conn.clone())
            .await
            .map_err(redis_error)?;
        Ok(holder.as_deref().and_then(holder_of))
    }

    async fn docs(&self, keys: &[String]) -> Result<Vec<Option<Doc>>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for key in keys {
            pipe.cmd("HMGET").arg(self.doc_key(key)).arg("v").arg("b");
        }
        let found: Vec<(Option<u64>, Option<Vec<u8>>)> =
            pipe.query_async(&mut self.conn.clone()).await.map_err(redis_error)?;
        Ok(found
            .into_iter()
            .map(|(version, bytes)| version.map(|version| Doc { version, bytes: bytes.unwrap_or_default() }))
            .collect())
    }

    async fn swap_docs(&self, writes: &[DocWrite]) -> Result<bool> {
        let mut invocation = self.swap_docs.prepare_invoke();
        for w in writes {
            invocation
                .key(self.doc_key(&w.key))
                .arg(w.expected.map_or(String::new(), |v| v.to_string()))
                .arg(if w.bytes.is_some() { "s" } else { "d" })
                .arg(w.bytes.as_deref().unwrap_or_default());
        }
        let done: i64 = invocation.invoke_async(&mut self.conn.clone()).await.map_err(redis_error)?;
        Ok(done == 1)
    }
}

/// An online key's value: `<gateway id>:<run>`.
fn held_by(holder: GatewayRun) -> String {
    format!("{}:{}", holder.gateway.0, holder.run)
}

/// The gateway run in an online key's value (`<gateway id>` alone: run 0); `None` if it is not
/// one.
fn holder_of(value: &str) -> Option<GatewayRun> {
    let (gateway, run) = value.split_once(':').unwrap_or((value, "0"));
    Some(GatewayRun { gateway: GatewayId(gateway.parse().ok()?), run: run.parse().ok()? })
}

/// A time to live in whole milliseconds, at least one.
fn millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn online_values_name_the_gateway_run() {
        let run = GatewayRun { gateway: GatewayId(3), run: 0xdead_beef };
        assert_eq!(holder_of(&held_by(run)), Some(run));
        assert_eq!(holder_of("3"), Some(GatewayRun { gateway: GatewayId(3), run: 0 }), "a value from before runs");
        assert_eq!(holder_of("three:1"), None);
        assert_eq!(holder_of("3:x"), None);
    }
}

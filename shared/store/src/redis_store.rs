//! [`RedisStore`]: player records in Redis, one hash per player (`v`: version, `d`: encoded
//! record). The version compare and the write run in one Lua script, so they are atomic; a
//! transfer reads both records, computes the result in Rust and writes it with a script that
//! first checks both versions are unchanged (optimistic concurrency, retried on conflict).

use crate::durable::{apply_give, found, DurableStore, ItemGiven, SaveOutcome};
use crate::error::{Result, StoreError};
use crate::record::{ItemSerial, PlayerRecord};
use mmo_world::SerialBlock;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::Script;
use std::time::Duration;

/// Writes ARGV[1] (version), ARGV[2] (record) to hash KEYS[1] if the stored version is older;
/// returns -1 when written, else the stored version. For a batch, keys and argument pairs repeat.
const SAVE: &str = r"
local out = {}
for i, key in ipairs(KEYS) do
  local new = tonumber(ARGV[2 * i - 1])
  local stored = redis.call('HGET', key, 'v')
  if stored and tonumber(stored) >= new then
    out[i] = tonumber(stored)
  else
    redis.call('HSET', key, 'v', ARGV[2 * i - 1], 'd', ARGV[2 * i])
    out[i] = -1
  end
end
return out
";

/// Creates hash KEYS[1] with version ARGV[1] and record ARGV[2] unless it exists; 1 if created.
const CREATE: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'd', ARGV[2])
return 1
";

/// Compare-and-swap of two records: if KEYS[1] is at version ARGV[1] and KEYS[2] at ARGV[2],
/// writes (ARGV[3], ARGV[4]) to KEYS[1] and (ARGV[5], ARGV[6]) to KEYS[2] and returns 1; else 0.
const SWAP2: &str = r"
if redis.call('HGET', KEYS[1], 'v') ~= ARGV[1] or redis.call('HGET', KEYS[2], 'v') ~= ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[1], 'v', ARGV[3], 'd', ARGV[4])
redis.call('HSET', KEYS[2], 'v', ARGV[5], 'd', ARGV[6])
return 1
";

/// Tries of a transfer that keeps losing its compare-and-swap to concurrent writers.
const TRANSFER_ATTEMPTS: usize = 16;

/// A [`DurableStore`] in Redis. Keys are `<prefix>player:<name>` and `<prefix>serial`.
/// Clones share one auto-reconnecting connection.
#[derive(Clone)]
pub struct RedisStore {
    conn: ConnectionManager,
    url: String,
    prefix: String,
    save: Script,
    create: Script,
    swap2: Script,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

pub(crate) fn redis_error(error: redis::RedisError) -> StoreError {
    StoreError::unavailable(error)
}

/// How long a Redis command may take before it fails as [`StoreError::Unavailable`] (a frozen
/// or partitioned Redis must not hang the saver: it backs off and retries instead).
pub const REDIS_TIMEOUT: Duration = Duration::from_secs(2);

/// Connects to `url` (`redis://127.0.0.1:6379/`), failing if Redis does not answer. The
/// connection reconnects by itself after Redis comes back.
pub(crate) async fn connect(url: &str) -> Result<ConnectionManager> {
    let client = redis::Client::open(url).map_err(redis_error)?;
    let config = ConnectionManagerConfig::new()
        .set_response_timeout(Some(REDIS_TIMEOUT))
        .set_connection_timeout(Some(REDIS_TIMEOUT / 2))
        .set_number_of_retries(2)
        .set_max_delay(Duration::from_secs(1));
    ConnectionManager::new_with_config(client, config).await.map_err(redis_error)
}

impl RedisStore {
    /// Connects to the Redis at `url`; every key starts with `prefix` (e.g. `mmo:`).
    pub async fn connect(url: &str, prefix: &str) -> Result<RedisStore> {
        Ok(RedisStore {
            conn: connect(url).await?,
            url: url.to_owned(),
            prefix: prefix.to_owned(),
            save: Script::new(SAVE),
            create: Script::new(CREATE),
            swap2: Script::new(SWAP2),
        })
    }

    /// The Redis this store is in, and its key prefix (hot state goes beside it).
    pub fn location(&self) -> (&str, &str) {
        (&self.url, &self.prefix)
    }

    fn key(&self, name: &str) -> String {
        format!("{}player:{name}", self.prefix)
    }

    /// (version, bytes) of a stored record.
    async fn get_raw(&self, name: &str) -> Result<Option<(u64, Vec<u8>)>> {
        let (version, bytes): (Option<u64>, Option<Vec<u8>>) = redis::cmd("HMGET")
            .arg(self.key(name))
            .arg("v")
            .arg("d")
            .query_async(&mut self.conn.clone())
            .await
            .map_err(redis_error)?;
        Ok(version.map(|v| (v, bytes.unwrap_or_default())))
    }

    async fn get(&self, name: &str) -> Result<Option<(u64, PlayerRecord)>> {
        match self.get_raw(name).await? {
            None => Ok(None),
            Some((version, bytes)) => Ok(Some((version, PlayerRecord::decode(name, &bytes)?))),
        }
    }

    /// Stores raw bytes as `name`'s record (bad-data tests).
    pub async fn put_raw(&self, name: &str, version: u64, bytes: Vec<u8>) -> Result<()> {
        redis::cmd("HSET")
            .arg(self.key(name))
            .arg("v")
            .arg(version)
            .arg("d")
            .arg(bytes)
            .query_async::<()>(&mut self.conn.clone())
            .await
            .map_err(redis_error)
    }
}

impl DurableStore for RedisStore {
    async fn load(&self, name: &str) -> Result<Option<PlayerRecord>> {
        Ok(self.get(name).await?.map(|(_, record)| record))
    }

    async fn save(&self, record: &PlayerRecord) -> Result<SaveOutcome> {
        let outcomes = self.save_batch(std::slice::from_ref(record)).await?;
        outcomes.into_iter().next().ok_or_else(|| StoreError::Unavailable("empty reply to a save".into()))
    }

    async fn save_batch(&self, records: &[PlayerRecord]) -> Result<Vec<SaveOutcome>> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let mut invocation = self.save.prepare_invoke();
        for record in records {
            invocation.key(self.key(&record.name)).arg(record.version).arg(record.encode()?);
        }
        let replies: Vec<i64> = invocation.invoke_async(&mut self.conn.clone()).await.map_err(redis_error)?;
        Ok(replies
            .into_iter()
            .map(|reply| if reply < 0 { SaveOutcome::Written } else { SaveOutcome::Stale { stored: reply as u64 } })
            .collect())
    }

    async fn create_account(&self, record: &PlayerRecord) -> Result<()> {
        let created: i64 = self
            .create
            .key(self.key(&record.name))
            .arg(record.version)
            .arg(record.encode()?)
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(redis_error)?;
        if created == 1 {
            Ok(())
        } else {
            Err(StoreError::AlreadyExists { name: record.name.clone() })
        }
    }

    async fn allocate_serials(&self, n: u64) -> Result<SerialBlock> {
        // The counter holds the last serial handed out; serials start at 1.
        let end: u64 = redis::cmd("INCRBY")
            .arg(format!("{}serial", self.prefix))
            .arg(n)
            .query_async(&mut self.conn.clone())
            .await
            .map_err(redis_error)?;
        Ok(SerialBlock::from_start(end + 1 - n, n))
    }

    async fn give_item(&self, from: &str, to: &str, serial: ItemSerial) -> Result<ItemGiven> {
        for attempt in 0..TRANSFER_ATTEMPTS {
            let (from_version, from_record) = found(from, self.get(from).await?)?;
            let (to_version, to_record) = found(to, self.get(to).await?)?;
            let transfer = apply_give(from_record, to_record, serial)?;
            let swapped: i64 = self
                .swap2
                .key(self.key(from))
                .key(self.key(to))
                .arg(from_version)
                .arg(to_version)
                .arg(transfer.from.version)
                .arg(transfer.from.encode()?)
                .arg(transfer.to.version)
                .arg(transfer.to.encode()?)
                .invoke_async(&mut self.conn.clone())
                .await
                .map_err(redis_error)?;
            if swapped == 1 {
                return Ok(transfer);
            }
            tracing::debug!(from, to, ?serial, attempt, "transfer lost a race, retrying");
        }
        Err(StoreError::Unavailable(format!("transfer of {serial:?} kept conflicting with concurrent writes")))
    }
}

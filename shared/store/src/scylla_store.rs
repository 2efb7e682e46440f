//! [`ScyllaStore`]: the production durable store (feature `scylla`).
//!
//! Schema (created and migrated at connect, in keyspace `<keyspace>`):
//! `players (name text PRIMARY KEY, version bigint, data blob)`, `meta (key text PRIMARY KEY,
//! value bigint)` for the serial counter, `transfers (serial bigint PRIMARY KEY, ...)` the
//! journal of item transfers in flight, and `schema_migrations (id int PRIMARY KEY)` recording
//! which numbered migration ran.
//!
//! Version guard: every write to `players` is a lightweight transaction (`IF version < ?`,
//! `IF NOT EXISTS`, `IF version = ?`), so the compare and the write are one Paxos round and a
//! stale save is refused and reported. (`USING TIMESTAMP <version>` would also keep the newest
//! version, but it cannot be mixed with the conditional writes that accounts and transfers
//! need, and it cannot tell the caller that a save was stale.)
//!
//! Transfers: Scylla has no transactions across partitions, so a transfer is journaled: the
//! intent (serial, from, to, item) is written first, then the giver's record (guarded by its
//! version), then the taker's record (retried against its current version until it holds the
//! item), then the intent is deleted. [`ScyllaStore::connect`] completes intents older than
//! [`RECOVER_AFTER`] left by a crashed writer, so an item is never lost or duplicated.
//!
//! Scylla cannot run on the development machines: the conformance test
//! (`tests/conformance_scylla.rs`) is ignored unless run with `--ignored`, `MMO_SCYLLA_URI`
//! naming a node (`127.0.0.1:9042`) and the crate built with `--features scylla,testing`
//! (`test.sh` does so when the variable is set).

use crate::durable::{apply_give, found, DurableStore, ItemGiven, SaveOutcome};
use crate::error::{Result, StoreError};
use crate::record::{Item, ItemSerial, PlayerRecord};
use futures::future::try_join_all;
use mmo_world::SerialBlock;
use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
use scylla::response::query_result::QueryResult;
use scylla::serialize::row::SerializeRow;
use scylla::statement::prepared::PreparedStatement;
use scylla::statement::{Consistency, SerialConsistency};
use scylla::value::{CqlValue, Row};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A transfer intent older than this is taken for the leftover of a crashed writer.
pub const RECOVER_AFTER: Duration = Duration::from_secs(30);
/// Tries of an LWT loop that keeps losing to concurrent writers.
const ATTEMPTS: usize = 32;

/// The numbered schema migrations, applied in order, each once (all statements idempotent).
const MIGRATIONS: &[&[&str]] = &[&[
    "CREATE TABLE IF NOT EXISTS {ks}.players (name text PRIMARY KEY, version bigint, data blob)",
    "CREATE TABLE IF NOT EXISTS {ks}.meta (key text PRIMARY KEY, value bigint)",
    "CREATE TABLE IF NOT EXISTS {ks}.transfers (serial bigint PRIMARY KEY, from_name text, to_name text, \
     kind int, count int, started_ms bigint)",
]];

/// A [`DurableStore`] in Scylla (or Cassandra); clones share one session.
#[derive(Clone)]
pub struct ScyllaStore {
    session: Arc<Session>,
    keyspace: String,
    q: Arc<Statements>,
}

impl std::fmt::Debug for ScyllaStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScyllaStore").field("keyspace", &self.keyspace).finish_non_exhaustive()
    }
}

struct Statements {
    load: PreparedStatement,
    update_if_older: PreparedStatement,
    update_if_version: PreparedStatement,
    insert_if_absent: PreparedStatement,
    raw_write: PreparedStatement,
    read_serial: PreparedStatement,
    update_serial: PreparedStatement,
    insert_intent: PreparedStatement,
    delete_intent: PreparedStatement,
    intents: PreparedStatement,
}

fn unavailable(error: impl std::fmt::Display) -> StoreError {
    StoreError::unavailable(error)
}

/// The first row of a SELECT or LWT result, by column name (`[applied]` for an LWT).
fn first_row(result: QueryResult) -> Result<Option<HashMap<String, CqlValue>>> {
    let rows = result.into_rows_result().map_err(unavailable)?;
    let names: Vec<String> = rows.column_specs().iter().map(|spec| spec.name().to_owned()).collect();
    let row: Option<Row> = rows.maybe_first_row::<Row>().map_err(unavailable)?;
    Ok(row.map(|row| names.into_iter().zip(row.columns).filter_map(|(name, value)| Some((name, value?))).collect()))
}

fn applied(row: &Option<HashMap<String, CqlValue>>) -> bool {
    matches!(row.as_ref().and_then(|row| row.get("[applied]")), Some(CqlValue::Boolean(true)))
}

fn bigint(row: &HashMap<String, CqlValue>, column: &str) -> Option<i64> {
    match row.get(column) {
        Some(CqlValue::BigInt(value)) => Some(*value),
        _ => None,
    }
}

fn text(row: &HashMap<String, CqlValue>, column: &str) -> Option<String> {
    match row.get(column) {
        Some(CqlValue::Text(value) | CqlValue::Ascii(value)) => Some(value.clone()),
        _ => None,
    }
}

fn version_i64(version: u64) -> Result<i64> {
    i64::try_from(version).map_err(|_| StoreError::Encode(format!("version {version} does not fit a bigint")))
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

impl ScyllaStore {
    /// Connects to the nodes in `uri` (comma-separated `host:port`), creates keyspace `keyspace`
    /// with `replication_factor` if needed, applies missing schema migrations and completes
    /// transfers left in flight by a crashed writer.
    pub async fn connect(uri: &str, keyspace: &str, replication_factor: u32) -> Result<ScyllaStore> {
        if keyspace.is_empty() || !keyspace.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(StoreError::Unavailable(format!("invalid keyspace name {keyspace:?}")));
        }
        let session = SessionBuilder::new().known_nodes(uri.split(',')).build().await.map_err(unavailable)?;
        migrate(&session, keyspace, replication_factor).await?;
        let ks = keyspace;
        let prepare = |cql: String| {
            let session = &session;
            async move {
                let mut statement = session.prepare(cql).await.map_err(unavailable)?;
                statement.set_consistency(Consistency::Quorum);
                statement.set_serial_consistency(Some(SerialConsistency::Serial));
                Ok::<_, StoreError>(statement)
            }
        };
        let mut load = prepare(format!("SELECT version, data FROM {ks}.players WHERE name = ?")).await?;
        // Reads that decide a conditional write see every committed LWT.
        load.set_consistency(Consistency::Serial);
        let q = Statements {
            load,
            update_if_older: prepare(format!(
                "UPDATE {ks}.players SET version = ?, data = ? WHERE name = ? IF version < ?"
            ))
            .await?,
            update_if_version: prepare(format!(
                "UPDATE {ks}.players SET version = ?, data = ? WHERE name = ? IF version = ?"
            ))
            .await?,
            insert_if_absent: prepare(format!(
                "INSERT INTO {ks}.players (name, version, data) VALUES (?, ?, ?) IF NOT EXISTS"
            ))
            .await?,
            raw_write: prepare(format!("INSERT INTO {ks}.players (name, version, data) VALUES (?, ?, ?)")).await?,
            read_serial: {
                let mut statement = prepare(format!("SELECT value FROM {ks}.meta WHERE key = 'next_serial'")).await?;
                statement.set_consistency(Consistency::Serial);
                statement
            },
            update_serial: prepare(format!("UPDATE {ks}.meta SET value = ? WHERE key = 'next_serial' IF value = ?"))
                .await?,
            insert_intent: prepare(format!(
                "INSERT INTO {ks}.transfers (serial, from_name, to_name, kind, count, started_ms) \
                 VALUES (?, ?, ?, ?, ?, ?) IF NOT EXISTS"
            ))
            .await?,
            delete_intent: prepare(format!("DELETE FROM {ks}.transfers WHERE serial = ?")).await?,
            intents: prepare(format!("SELECT serial, to_name, kind, count, started_ms FROM {ks}.transfers")).await?,
        };
        let store = ScyllaStore { session: Arc::new(session), keyspace: keyspace.to_owned(), q: Arc::new(q) };
        store.recover_transfers(RECOVER_AFTER).await?;
        tracing::info!(keyspace, "connected to scylla");
        Ok(store)
    }

    async fn run(&self, statement: &PreparedStatement, values: impl SerializeRow) -> Result<QueryResult> {
        self.session.execute_unpaged(statement, values).await.map_err(unavailable)
    }

    async fn get(&self, name: &str) -> Result<Option<(u64, PlayerRecord)>> {
        let Some(row) = first_row(self.run(&self.q.load, (name,)).await?)? else { return Ok(None) };
        let version = bigint(&row, "version").unwrap_or(0) as u64;
        let bytes = match row.get("data") {
            Some(CqlValue::Blob(bytes)) => bytes.as_slice(),
            _ => &[],
        };
        Ok(Some((version, PlayerRecord::decode(name, bytes)?)))
    }

    /// Stores raw bytes as `name`'s record (bad-data tests).
    pub async fn put_raw(&self, name: &str, version: u64, bytes: Vec<u8>) -> Result<()> {
        self.run(&self.q.raw_write, (name, version_i64(version)?, bytes)).await.map(drop)
    }

    /// Completes (or discards) transfer intents older than `age`: if the giver still holds the
    /// item the transfer never happened; if the taker holds it, it finished; otherwise the item
    /// is in flight and is given to the taker.
    pub async fn recover_transfers(&self, age: Duration) -> Result<usize> {
        let result = self.run(&self.q.intents, ()).await?;
        let rows = result.into_rows_result().map_err(unavailable)?;
        let names: Vec<String> = rows.column_specs().iter().map(|spec| spec.name().to_owned()).collect();
        let mut intents = Vec::new();
        for row in rows.rows::<Row>().map_err(unavailable)? {
            let row: HashMap<String, CqlValue> = names
                .iter()
                .cloned()
                .zip(row.map_err(unavailable)?.columns)
                .filter_map(|(name, value)| Some((name, value?)))
                .collect();
            intents.push(row);
        }
        let mut recovered = 0;
        for intent in intents {
            let (Some(serial), Some(to)) = (bigint(&intent, "serial"), text(&intent, "to_name")) else { continue };
            if bigint(&intent, "started_ms").unwrap_or(0) > now_ms() - age.as_millis() as i64 {
                continue;
            }
            let int = |column| match intent.get(column) {
                Some(CqlValue::Int(value)) => *value as u16,
                _ => 0,
            };
            let item = Item { serial: ItemSerial(serial as u64), kind: int("kind"), count: int("count") };
            tracing::warn!(serial, to = %to, "completing an item transfer left in flight");
            self.give(&to, item).await?;
            self.run(&self.q.delete_intent, (serial,)).await?;
            recovered += 1;
        }
        Ok(recovered)
    }

    /// Adds `item` to `to` unless it already holds it, retried against `to`'s current version.
    /// Only called while the item is held by nobody (journaled in `transfers`).
    async fn give(&self, to: &str, item: Item) -> Result<PlayerRecord> {
        for _ in 0..ATTEMPTS {
            let (version, mut record) = found(to, self.get(to).await?)?;
            if record.holds(item.serial) {
                return Ok(record);
            }
            record.inventory.push(item);
            record.version = version + 1;
            let values = (version_i64(record.version)?, record.encode()?, to, version_i64(version)?);
            if applied(&first_row(self.run(&self.q.update_if_version, values).await?)?) {
                return Ok(record);
            }
        }
        Err(StoreError::Unavailable(format!(
            "giving {:?} to {to:?} kept conflicting; the journal keeps it",
            item.serial
        )))
    }
}

async fn migrate(session: &Session, ks: &str, replication_factor: u32) -> Result<()> {
    let ddl = |cql: String| async move {
        session.query_unpaged(cql, ()).await.map_err(unavailable)?;
        session.await_schema_agreement().await.map_err(unavailable)?;
        Ok::<(), StoreError>(())
    };
    ddl(format!(
        "CREATE KEYSPACE IF NOT EXISTS {ks} WITH replication = \
         {{'class': 'NetworkTopologyStrategy', 'replication_factor': {replication_factor}}}"
    ))
    .await?;
    ddl(format!("CREATE TABLE IF NOT EXISTS {ks}.schema_migrations (id int PRIMARY KEY)")).await?;
    let applied =
        session.query_unpaged(format!("SELECT id FROM {ks}.schema_migrations"), ()).await.map_err(unavailable)?;
    let applied: Vec<i32> = applied
        .into_rows_result()
        .map_err(unavailable)?
        .rows::<(i32,)>()
        .map_err(unavailable)?
        .map(|row| row.map(|(id,)| id))
        .collect::<Result<_, _>>()
        .map_err(unavailable)?;
    for (index, statements) in MIGRATIONS.iter().enumerate() {
        let id = index as i32 + 1;
        if applied.contains(&id) {
            continue;
        }
        for statement in *statements {
            ddl(statement.replace("{ks}", ks)).await?;
        }
        session
            .query_unpaged(format!("INSERT INTO {ks}.schema_migrations (id) VALUES (?)"), (id,))
            .await
            .map_err(unavailable)?;
        tracing::info!(keyspace = ks, migration = id, "applied schema migration");
    }
    // The serial counter starts at 1 (a no-op if it exists).
    session
        .query_unpaged(format!("INSERT INTO {ks}.meta (key, value) VALUES ('next_serial', 1) IF NOT EXISTS"), ())
        .await
        .map_err(unavailable)?;
    Ok(())
}

impl DurableStore for ScyllaStore {
    async fn load(&self, name: &str) -> Result<Option<PlayerRecord>> {
        Ok(self.get(name).await?.map(|(_, record)| record))
    }

    async fn save(&self, record: &PlayerRecord) -> Result<SaveOutcome> {
        let (version, bytes) = (version_i64(record.version)?, record.encode()?);
        for _ in 0..ATTEMPTS {
            let values = (version, bytes.as_slice(), record.name.as_str(), version);
            let row = first_row(self.run(&self.q.update_if_older, values).await?)?;
            if applied(&row) {
                return Ok(SaveOutcome::Written);
            }
            if let Some(stored) = row.as_ref().and_then(|row| bigint(row, "version")) {
                return Ok(SaveOutcome::Stale { stored: stored as u64 });
            }
            // No record yet: create it, unless someone else just did (then compare again).
            let values = (record.name.as_str(), version, bytes.as_slice());
            if applied(&first_row(self.run(&self.q.insert_if_absent, values).await?)?) {
                return Ok(SaveOutcome::Written);
            }
        }
        Err(StoreError::Unavailable(format!("save of {:?} kept conflicting", record.name)))
    }

    async fn save_batch(&self, records: &[PlayerRecord]) -> Result<Vec<SaveOutcome>> {
        // One LWT per partition, all in flight at once.
        try_join_all(records.iter().map(|record| self.save(record))).await
    }

    async fn create_account(&self, record: &PlayerRecord) -> Result<()> {
        let values = (record.name.as_str(), version_i64(record.version)?, record.encode()?);
        if applied(&first_row(self.run(&self.q.insert_if_absent, values).await?)?) {
            Ok(())
        } else {
            Err(StoreError::AlreadyExists { name: record.name.clone() })
        }
    }

    async fn allocate_serials(&self, n: u64) -> Result<SerialBlock> {
        let n = version_i64(n)?;
        for _ in 0..ATTEMPTS {
            let row = first_row(self.run(&self.q.read_serial, ()).await?)?;
            let start = row.as_ref().and_then(|row| bigint(row, "value")).unwrap_or(1);
            if applied(&first_row(self.run(&self.q.update_serial, (start + n, start)).await?)?) {
                return Ok(SerialBlock::from_start(start as u64, n as u64));
            }
        }
        Err(StoreError::Unavailable("serial allocation kept conflicting".into()))
    }

    async fn give_item(&self, from: &str, to: &str, serial: ItemSerial) -> Result<ItemGiven> {
        for _ in 0..ATTEMPTS {
            let (from_version, from_record) = found(from, self.get(from).await?)?;
            let (_, to_record) = found(to, self.get(to).await?)?;
            let transfer = apply_give(from_record, to_record, serial)?;
            let item = *transfer.to.inventory.last().expect("apply_give pushed the item");
            let serial_i64 = version_i64(serial.0)?;
            let intent = (serial_i64, from, to, i32::from(item.kind), i32::from(item.count), now_ms());
            if !applied(&first_row(self.run(&self.q.insert_intent, intent).await?)?) {
                return Err(StoreError::Unavailable(format!("a transfer of {serial:?} is already in flight")));
            }
            let values =
                (version_i64(transfer.from.version)?, transfer.from.encode()?, from, version_i64(from_version)?);
            if !applied(&first_row(self.run(&self.q.update_if_version, values).await?)?) {
                // The giver changed meanwhile: nothing moved; start over.
                self.run(&self.q.delete_intent, (serial_i64,)).await?;
                continue;
            }
            let to_record = self.give(to, item).await?;
            self.run(&self.q.delete_intent, (serial_i64,)).await?;
            return Ok(ItemGiven { from: transfer.from, to: to_record });
        }
        Err(StoreError::Unavailable(format!("transfer of {serial:?} kept conflicting with concurrent writes")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_bad_keyspace_name_is_refused_before_connecting() {
        for keyspace in ["", "mmo; DROP KEYSPACE x", "a-b"] {
            let error = ScyllaStore::connect("127.0.0.1:1", keyspace, 1).await.unwrap_err();
            assert!(error.to_string().contains("invalid keyspace"), "{keyspace:?}: {error}");
        }
    }

    #[test]
    fn migrations_are_idempotent_and_name_the_keyspace() {
        for statement in MIGRATIONS.iter().flat_map(|m| m.iter()) {
            assert!(statement.contains("IF NOT EXISTS") && statement.contains("{ks}."), "{statement}");
        }
    }

    #[test]
    fn versions_beyond_bigint_are_refused() {
        assert_eq!(version_i64(5).unwrap(), 5);
        assert!(matches!(version_i64(u64::MAX), Err(StoreError::Encode(_))));
    }
}

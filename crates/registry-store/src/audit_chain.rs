//! The audit log as a chain (issue 22): every row carries its place in the chain
//! (`chain_seq`), the hash of the row before it (`prev_hash`) and the hash of its own content
//! and of that previous hash (`hash`), so that a row edited, deleted or inserted in the
//! database afterwards breaks the chain at that row. The head of the chain (its last place
//! and hash) is one row of `audit_chain`; a write transaction that audits reads it locked
//! (`FOR UPDATE` on PostgreSQL; SQLite's writers are one at a time already), links its rows
//! after it and moves it on, in the same transaction: the chain's order is the order in
//! which audited transactions commit.
//!
//! The hash is SHA-256 ([`Sha256Digest`]), behind [`ChainDigest`] so that a certified
//! provider (SM3) can replace it. A row's content is hashed in one canonical form
//! ([`content`]): its place, its moment in whole microseconds since 1970 (what both engines
//! store exactly), actor, action, entity, entity id, person, and the before and after
//! snapshots as stored.
//!
//! [`Store::verify_audit_chain`] walks the chain in order and names the first broken row.
//! Rows past the retention period (the core's `retention`) leave through
//! [`Store::purge_audit_prefix`] only, as a prefix of the chain and after the caller archived
//! them ([`Store::audit_prefix_before`]); the chain then starts after the last row purged.

use sea_orm::{ConnectionTrait, QueryResult};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::error::store_error;
use crate::{Engine, Store};
use registry_core::ports::StoreError;

/// The hash before the first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash of the chain.
pub trait ChainDigest: Send + Sync {
    /// The algorithm's name (`SHA-256`).
    fn name(&self) -> &'static str;
    /// The hash, in lowercase hex, of a row's `content` linked after `previous`.
    fn link(&self, previous: &str, content: &str) -> String;
}

/// SHA-256 (FIPS 180-4) over `previous`, a line feed, and the content.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sha256Digest;

impl ChainDigest for Sha256Digest {
    fn name(&self) -> &'static str {
        "SHA-256"
    }

    fn link(&self, previous: &str, content: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(previous.as_bytes());
        hasher.update(b"\n");
        hasher.update(content.as_bytes());
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// The digest every instance uses.
pub(crate) const DIGEST: Sha256Digest = Sha256Digest;

/// A moment as the chain hashes it (and as both engines store it): whole microseconds.
pub(crate) fn micros(at: OffsetDateTime) -> i128 {
    at.unix_timestamp_nanos().div_euclid(1_000)
}

/// A moment cut to whole microseconds, in UTC: what is stored, so that what is read back
/// is what was hashed.
pub(crate) fn stored_moment(at: OffsetDateTime) -> OffsetDateTime {
    let utc = at.to_offset(time::UtcOffset::UTC);
    OffsetDateTime::from_unix_timestamp_nanos(micros(utc) * 1_000).unwrap_or(utc)
}

/// The fields of a row that its hash covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Linked<'a> {
    pub(crate) seq: i64,
    pub(crate) at: OffsetDateTime,
    pub(crate) actor: &'a str,
    pub(crate) action: &'a str,
    pub(crate) entity: &'a str,
    pub(crate) entity_id: i64,
    pub(crate) person_id: Option<i64>,
    pub(crate) before: Option<&'a str>,
    pub(crate) after: Option<&'a str>,
}

/// The canonical content of a row: a JSON array of its fields, in a fixed order.
pub(crate) fn content(row: &Linked<'_>) -> String {
    serde_json::json!([
        row.seq,
        micros(row.at).to_string(),
        row.actor,
        row.action,
        row.entity,
        row.entity_id,
        row.person_id,
        row.before,
        row.after,
    ])
    .to_string()
}

/// The head of the chain: its last place and hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    /// The place of the last row (0: no row yet).
    pub seq: i64,
    /// Its hash ([`GENESIS`] for none).
    pub hash: String,
}

use crate::sql::statement_for as statement;

/// Reads the head in a write transaction, locked on PostgreSQL until it commits.
pub(crate) async fn head<C: ConnectionTrait>(
    connection: &C,
    engine: Engine,
) -> Result<ChainHead, StoreError> {
    read_head(connection, engine, true).await
}

async fn read_head<C: ConnectionTrait>(
    connection: &C,
    engine: Engine,
    locked: bool,
) -> Result<ChainHead, StoreError> {
    let lock = match engine {
        Engine::Postgres if locked => " FOR UPDATE",
        _ => "",
    };
    let row = connection
        .query_one_raw(statement(
            engine,
            &format!("SELECT seq, hash FROM audit_chain WHERE id = 1{lock}"),
            vec![],
        ))
        .await
        .map_err(store_error)?
        .ok_or_else(|| StoreError::Unexpected("the audit chain has no head".into()))?;
    Ok(ChainHead {
        seq: row.try_get("", "seq").map_err(store_error)?,
        hash: row.try_get("", "hash").map_err(store_error)?,
    })
}

/// Moves the head on to `head`.
pub(crate) async fn advance<C: ConnectionTrait>(
    connection: &C,
    engine: Engine,
    head: &ChainHead,
) -> Result<(), StoreError> {
    connection
        .execute_raw(statement(
            engine,
            "UPDATE audit_chain SET seq = ?, hash = ? WHERE id = 1",
            vec![head.seq.into(), head.hash.clone().into()],
        ))
        .await
        .map_err(store_error)?;
    Ok(())
}

/// Where the chain breaks first, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    /// The place the walk expected.
    pub seq: i64,
    /// The row's id (none: the row is missing, or the head is wrong).
    pub id: Option<i64>,
    /// Why, in words.
    pub reason: String,
}

/// What a walk of the chain found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// The digest's name.
    pub digest: &'static str,
    /// Rows walked.
    pub rows: u64,
    /// The head as recorded.
    pub head: ChainHead,
    /// Where the chain starts: the last row purged (archived), or place 0 and [`GENESIS`].
    pub base: ChainHead,
    /// The first break, if any.
    pub broken: Option<ChainBreak>,
}

/// Rows read per step of the walk.
const STEP: i64 = 1_000;

fn row_break(
    row: &QueryResult,
    expected: i64,
    running: &str,
) -> Result<Option<ChainBreak>, StoreError> {
    let get_s =
        |c: &str| -> Result<Option<String>, StoreError> { row.try_get("", c).map_err(store_error) };
    let id: i64 = row.try_get("", "id").map_err(store_error)?;
    let seq: Option<i64> = row.try_get("", "chain_seq").map_err(store_error)?;
    let broken = |reason: &str| {
        Ok(Some(ChainBreak {
            seq: expected,
            id: Some(id),
            reason: reason.to_owned(),
        }))
    };
    if seq != Some(expected) {
        return Ok(Some(ChainBreak {
            seq: expected,
            id: None,
            reason: format!(
                "第 {expected} 条记录缺失（下一条是第 {} 条，id {id}）",
                seq.map_or_else(|| "?".to_owned(), |s| s.to_string())
            ),
        }));
    }
    if get_s("prev_hash")?.as_deref() != Some(running) {
        return broken("前一条记录的哈希值不符（其前有记录被删除、插入或修改）");
    }
    let at: OffsetDateTime = row.try_get("", "at").map_err(store_error)?;
    let (actor, action, entity) = (
        get_s("actor")?.unwrap_or_default(),
        get_s("action")?.unwrap_or_default(),
        get_s("entity")?.unwrap_or_default(),
    );
    let (before, after) = (get_s("before")?, get_s("after")?);
    let linked = Linked {
        seq: expected,
        at,
        actor: &actor,
        action: &action,
        entity: &entity,
        entity_id: row.try_get("", "entity_id").map_err(store_error)?,
        person_id: row.try_get("", "person_id").map_err(store_error)?,
        before: before.as_deref(),
        after: after.as_deref(),
    };
    let hash = DIGEST.link(running, &content(&linked));
    if get_s("hash")?.as_deref() != Some(hash.as_str()) {
        return broken("记录内容与其哈希值不符（记录被修改）");
    }
    Ok(None)
}

impl Store {
    /// The head of the audit chain as recorded: what a daily anchor writes down.
    pub async fn audit_head(&self) -> Result<ChainHead, StoreError> {
        read_head(self.db(), self.engine(), false).await
    }

    /// Walks the audit chain in order from its first row and names the first broken row: a
    /// row edited (its content no longer gives its hash), deleted (a place missing) or
    /// inserted (a place repeated or a previous hash that does not match), or a head that
    /// is not the last row's.
    pub async fn verify_audit_chain(&self) -> Result<ChainReport, StoreError> {
        let engine = self.engine();
        let (recorded, base) = {
            let db = self.db();
            let row = db
                .query_one_raw(statement(
                    engine,
                    "SELECT seq, hash, base_seq, base_hash FROM audit_chain WHERE id = 1",
                    vec![],
                ))
                .await
                .map_err(store_error)?
                .ok_or_else(|| StoreError::Unexpected("the audit chain has no head".into()))?;
            let get_i = |c: &str| row.try_get::<i64>("", c).map_err(store_error);
            let get_s = |c: &str| row.try_get::<String>("", c).map_err(store_error);
            (
                ChainHead {
                    seq: get_i("seq")?,
                    hash: get_s("hash")?,
                },
                ChainHead {
                    seq: get_i("base_seq")?,
                    hash: get_s("base_hash")?,
                },
            )
        };
        let unchained = self
            .rows(
                "SELECT COUNT(*) AS n FROM audit_log WHERE chain_seq IS NULL",
                vec![],
            )
            .await?
            .first()
            .map(|r| r.try_get::<i64>("", "n"))
            .transpose()
            .map_err(store_error)?
            .unwrap_or(0);
        let mut report = ChainReport {
            digest: DIGEST.name(),
            rows: 0,
            head: recorded.clone(),
            base: base.clone(),
            broken: None,
        };
        let mut running = base.hash.clone();
        let mut expected = base.seq + 1;
        loop {
            let rows = self
                .rows(
                    "SELECT id, chain_seq, prev_hash, hash, at, actor, action, entity, entity_id, \
                     person_id, before, after FROM audit_log \
                     WHERE chain_seq >= ? ORDER BY chain_seq LIMIT ?",
                    vec![expected.into(), STEP.into()],
                )
                .await?;
            let done = (rows.len() as i64) < STEP;
            for row in &rows {
                if let Some(broken) = row_break(row, expected, &running)? {
                    report.broken = Some(broken);
                    return Ok(report);
                }
                running = row.try_get("", "hash").map_err(store_error)?;
                report.rows += 1;
                expected += 1;
            }
            if done {
                break;
            }
        }
        if recorded.seq != expected - 1 || recorded.hash != running {
            report.broken = Some(ChainBreak {
                seq: expected,
                id: None,
                reason: format!(
                    "链头（第 {} 条）与最后一条记录（第 {} 条）不符：末尾的记录被删除或链头被修改",
                    recorded.seq,
                    expected - 1
                ),
            });
        } else if unchained > 0 {
            report.broken = Some(ChainBreak {
                seq: expected,
                id: None,
                reason: format!("{unchained} 条记录不在链中（在数据库中直接插入）"),
            });
        }
        Ok(report)
    }
}

/// A row of the audit log as archived before a purge: every column, its links included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivedRow {
    /// The row's id.
    pub id: i64,
    /// Its place in the chain.
    pub seq: i64,
    /// The hash of the row before it.
    pub prev_hash: String,
    /// Its hash.
    pub hash: String,
    /// When.
    pub at: OffsetDateTime,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// The kind of record.
    pub entity: String,
    /// Its id.
    pub entity_id: i64,
    /// The person concerned.
    pub person_id: Option<i64>,
    /// The record before, as JSON.
    pub before: Option<String>,
    /// The record after, as JSON.
    pub after: Option<String>,
}

impl Store {
    /// The rows at the start of the chain (after its base) written before `before`, in
    /// order, stopping at the first row that is not (at most `limit`): what a purge before
    /// `before` may remove, to be archived first.
    pub async fn audit_prefix_before(
        &self,
        before: OffsetDateTime,
        limit: u64,
    ) -> Result<Vec<ArchivedRow>, StoreError> {
        let base: i64 = self
            .rows("SELECT base_seq FROM audit_chain WHERE id = 1", vec![])
            .await?
            .first()
            .map(|r| r.try_get("", "base_seq"))
            .transpose()
            .map_err(store_error)?
            .unwrap_or(0);
        let rows = self
            .rows(
                "SELECT id, chain_seq, prev_hash, hash, at, actor, action, entity, entity_id, \
                 person_id, before, after FROM audit_log WHERE chain_seq > ? \
                 ORDER BY chain_seq LIMIT ?",
                vec![base.into(), i64::try_from(limit).unwrap_or(i64::MAX).into()],
            )
            .await?;
        let mut out = Vec::new();
        for row in &rows {
            let at: OffsetDateTime = row.try_get("", "at").map_err(store_error)?;
            if at >= before {
                break;
            }
            let text = |c: &str| -> Result<Option<String>, StoreError> {
                row.try_get("", c).map_err(store_error)
            };
            out.push(ArchivedRow {
                id: row.try_get("", "id").map_err(store_error)?,
                seq: row
                    .try_get::<Option<i64>>("", "chain_seq")
                    .map_err(store_error)?
                    .unwrap_or(0),
                prev_hash: text("prev_hash")?.unwrap_or_default(),
                hash: text("hash")?.unwrap_or_default(),
                at,
                actor: text("actor")?.unwrap_or_default(),
                action: text("action")?.unwrap_or_default(),
                entity: text("entity")?.unwrap_or_default(),
                entity_id: row.try_get("", "entity_id").map_err(store_error)?,
                person_id: row.try_get("", "person_id").map_err(store_error)?,
                before: text("before")?,
                after: text("after")?,
            });
        }
        Ok(out)
    }

    /// Removes the chain's rows up to place `through` (archived by the caller), every one
    /// written before `before`, in one transaction, and makes the chain start after the
    /// last of them. Refused (nothing removed) when a row up to `through` is not older than
    /// `before`, or `through` is not in the chain.
    pub async fn purge_audit_prefix(
        &self,
        through: i64,
        before: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        use registry_core::ports::Register;
        let tx = self.begin().await?;
        let engine = self.engine();
        let head = head(&tx.tx, engine).await?;
        let last = tx
            .tx
            .query_one_raw(statement(
                engine,
                "SELECT hash, (SELECT MAX(at) FROM audit_log a WHERE a.chain_seq <= ?) AS latest, \
                 (SELECT COUNT(*) FROM audit_log a WHERE a.chain_seq <= ?) AS n \
                 FROM audit_log WHERE chain_seq = ?",
                vec![through.into(), through.into(), through.into()],
            ))
            .await
            .map_err(store_error)?;
        let Some(last) = last.filter(|_| through <= head.seq) else {
            return Err(StoreError::Unexpected(format!(
                "place {through} is not in the audit chain"
            )));
        };
        let latest: Option<OffsetDateTime> = last.try_get("", "latest").map_err(store_error)?;
        if latest.is_some_and(|l| l >= before) {
            return Err(StoreError::Unexpected(format!(
                "a row up to place {through} is not older than the purge's limit"
            )));
        }
        let hash: Option<String> = last.try_get("", "hash").map_err(store_error)?;
        let removed: i64 = last.try_get("", "n").map_err(store_error)?;
        tx.tx
            .execute_raw(statement(
                engine,
                "DELETE FROM audit_log WHERE chain_seq <= ?",
                vec![through.into()],
            ))
            .await
            .map_err(store_error)?;
        tx.tx
            .execute_raw(statement(
                engine,
                "UPDATE audit_chain SET base_seq = ?, base_hash = ? WHERE id = 1",
                vec![through.into(), hash.unwrap_or_default().into()],
            ))
            .await
            .map_err(store_error)?;
        registry_core::ports::RegisterTx::commit(tx).await?;
        Ok(u64::try_from(removed).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_depends_on_every_field_and_on_the_row_before() {
        let at = OffsetDateTime::from_unix_timestamp_nanos(1_764_000_000_123_456_789).unwrap();
        let row = Linked {
            seq: 1,
            at,
            actor: "association:admin",
            action: "holding.register",
            entity: "holding",
            entity_id: 7,
            person_id: Some(3),
            before: None,
            after: Some("{\"state\":\"registered\"}"),
        };
        let one = DIGEST.link(GENESIS, &content(&row));
        assert_eq!(one.len(), 64);
        assert_ne!(
            one,
            DIGEST.link(&one, &content(&row)),
            "the row before counts"
        );
        let edited = Linked {
            after: Some("{\"state\":\"released\"}"),
            ..row.clone()
        };
        assert_ne!(one, DIGEST.link(GENESIS, &content(&edited)));
        // A moment is hashed as stored: whole microseconds.
        assert_eq!(micros(stored_moment(at)), micros(at));
        assert_eq!(
            stored_moment(at).unix_timestamp_nanos(),
            1_764_000_000_123_456_000
        );
    }
}

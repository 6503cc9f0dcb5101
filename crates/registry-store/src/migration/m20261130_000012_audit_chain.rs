//! The audit log as a chain (see [`crate::audit_chain`]): each row's place, the previous
//! row's hash and its own; the chain's head (and, after a purge, its base) in
//! `audit_chain`; the rows already in the log linked in the order they were written (their
//! ids).

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sea_orm_migration::prelude::*;

use crate::audit_chain::{ChainDigest, DIGEST, GENESIS, Linked, content};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let backend = m.get_database_backend();
        for column in ["chain_seq BIGINT", "prev_hash TEXT", "hash TEXT"] {
            db.execute_unprepared(&format!("ALTER TABLE audit_log ADD COLUMN {column}"))
                .await?;
        }
        // `base_seq`/`base_hash`: the last row purged (archived) — the chain starts after it.
        db.execute_unprepared(&format!(
            "CREATE TABLE audit_chain (id INTEGER PRIMARY KEY CHECK (id = 1), \
             seq BIGINT NOT NULL, hash TEXT NOT NULL, \
             base_seq BIGINT NOT NULL DEFAULT 0, base_hash TEXT NOT NULL DEFAULT '{GENESIS}')"
        ))
        .await?;
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT id, at, actor, action, entity, entity_id, person_id, before, after \
                 FROM audit_log ORDER BY id",
            ))
            .await?;
        let update = match backend {
            DbBackend::Postgres => {
                "UPDATE audit_log SET chain_seq = $1, prev_hash = $2, hash = $3 WHERE id = $4"
            }
            _ => "UPDATE audit_log SET chain_seq = ?, prev_hash = ?, hash = ? WHERE id = ?",
        };
        let mut seq: i64 = 0;
        let mut previous = GENESIS.to_owned();
        for row in rows {
            seq += 1;
            let id: i64 = row.try_get("", "id")?;
            let actor: String = row.try_get("", "actor")?;
            let action: String = row.try_get("", "action")?;
            let entity: String = row.try_get("", "entity")?;
            let before: Option<String> = row.try_get("", "before")?;
            let after: Option<String> = row.try_get("", "after")?;
            let hash = DIGEST.link(
                &previous,
                &content(&Linked {
                    seq,
                    at: row.try_get("", "at")?,
                    actor: &actor,
                    action: &action,
                    entity: &entity,
                    entity_id: row.try_get("", "entity_id")?,
                    person_id: row.try_get("", "person_id")?,
                    before: before.as_deref(),
                    after: after.as_deref(),
                }),
            );
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                update,
                [
                    seq.into(),
                    previous.clone().into(),
                    hash.clone().into(),
                    id.into(),
                ],
            ))
            .await?;
            previous = hash;
        }
        let insert = match backend {
            DbBackend::Postgres => "INSERT INTO audit_chain (id, seq, hash) VALUES (1, $1, $2)",
            _ => "INSERT INTO audit_chain (id, seq, hash) VALUES (1, ?, ?)",
        };
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            insert,
            [seq.into(), previous.into()],
        ))
        .await?;
        db.execute_unprepared("CREATE UNIQUE INDEX ix_audit_log_chain ON audit_log (chain_seq)")
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared("DROP INDEX ix_audit_log_chain")
            .await?;
        db.execute_unprepared("DROP TABLE audit_chain").await?;
        for column in ["hash", "prev_hash", "chain_seq"] {
            db.execute_unprepared(&format!("ALTER TABLE audit_log DROP COLUMN {column}"))
                .await?;
        }
        Ok(())
    }
}

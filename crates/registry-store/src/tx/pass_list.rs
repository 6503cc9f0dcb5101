//! The ports an import of a pass list uses (`RecordPassList`), in multi-row statements:
//! finding many people by ID number at once, adding many new people with their
//! qualifications, registration numbers and certificate editions, and many audit entries.

use std::collections::BTreeMap;

use registry_core::exchange::KnownPerson;
use registry_core::ids::{DocumentId, PersonId};
use registry_core::ports::{AuditRecord, NewRegistrant, Registrant, StoreError};
use registry_core::registration_number::RegistrationNumber;
use registry_core::resident_id::ResidentId;
use registry_core::review_item::ReviewItemCode;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement};

use super::StoreTx;
use crate::convert::{audit_row, details_columns, sex_code};
use crate::entity::{
    audit_log, document_items, documents, people, qualifications, registration_serials,
};
use crate::error::store_error;
use crate::url::Engine;
use registry_core::person::DetailsForm;

const CHUNK: usize = 500;

/// `rows` in chunks of `max`, the rest in chunks of falling powers of two: every batch
/// of an import then uses the same few statement shapes, so the driver's cache of prepared
/// statements holds a handful of them instead of one per remainder size.
fn shaped_chunks<T>(rows: &[T], max: usize) -> impl Iterator<Item = &[T]> {
    let mut rest = rows;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let size = if rest.len() >= max {
            max
        } else {
            1 << rest.len().ilog2()
        };
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        Some(chunk)
    })
}

impl StoreTx {
    /// The people among `ids` that the register holds, by ID number.
    pub(crate) async fn people_by_resident_ids(
        &mut self,
        ids: &[ResidentId],
    ) -> Result<BTreeMap<ResidentId, KnownPerson>, StoreError> {
        let mut by_hash: BTreeMap<String, ResidentId> = ids
            .iter()
            .map(|id| (self.key.hash(id), id.clone()))
            .collect();
        let hashes: Vec<String> = by_hash.keys().cloned().collect();
        let mut out = BTreeMap::new();
        for chunk in hashes.chunks(CHUNK) {
            let rows = people::Entity::find()
                .filter(people::Column::IdHash.is_in(chunk.iter().cloned()))
                .all(&self.tx)
                .await
                .map_err(store_error)?;
            let person_ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let mut items: BTreeMap<i64, Vec<ReviewItemCode>> = BTreeMap::new();
            for q in qualifications::Entity::find()
                .filter(qualifications::Column::PersonId.is_in(person_ids))
                .all(&self.tx)
                .await
                .map_err(store_error)?
            {
                if let Ok(code) = ReviewItemCode::parse(&q.item_code) {
                    items.entry(q.person_id).or_default().push(code);
                }
            }
            for row in rows {
                if let Some(id) = by_hash.remove(&row.id_hash) {
                    out.insert(
                        id,
                        KnownPerson {
                            id: PersonId::new(row.id),
                            name: row.name,
                            items: items.remove(&row.id).unwrap_or_default(),
                        },
                    );
                }
            }
        }
        Ok(out)
    }

    /// Reserves `count` new ids of `table` (people, documents, audit_log), past any ever
    /// used. On SQLite the transaction holds the write lock; on PostgreSQL the sequence
    /// hands them out.
    async fn reserve_ids(&self, table: &str, count: usize) -> Result<Vec<i64>, StoreError> {
        if count == 0 {
            return Ok(vec![]);
        }
        match self.engine {
            Engine::Sqlite => {
                let sql = format!(
                    "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = '{table}'), 0), \
                     COALESCE((SELECT MAX(id) FROM {table}), 0)) AS last"
                );
                let row = self
                    .tx
                    .query_one_raw(Statement::from_string(
                        sea_orm::DatabaseBackend::Sqlite,
                        sql,
                    ))
                    .await
                    .map_err(store_error)?
                    .ok_or_else(|| StoreError::Unexpected("no last id".into()))?;
                let last: i64 = row.try_get("", "last").map_err(store_error)?;
                Ok((last + 1..=last + count as i64).collect())
            }
            Engine::Postgres => {
                let rows = self
                    .tx
                    .query_all_raw(Statement::from_sql_and_values(
                        sea_orm::DatabaseBackend::Postgres,
                        format!(
                            "SELECT nextval(pg_get_serial_sequence('{table}', 'id')) AS id \
                             FROM generate_series(1, $1)"
                        ),
                        [i64::try_from(count).unwrap_or(i64::MAX).into()],
                    ))
                    .await
                    .map_err(store_error)?;
                rows.iter()
                    .map(|r| r.try_get::<i64>("", "id").map_err(store_error))
                    .collect()
            }
        }
    }

    /// Adds `count` to `year`'s counter of registration numbers (creating it at 0) and
    /// returns the last serial now taken: serials `last - count + 1 ..= last` are this
    /// transaction's.
    pub(crate) async fn bump_serials(&self, year: i32, count: i32) -> Result<i32, StoreError> {
        let statement = Query::insert()
            .into_table(registration_serials::Entity)
            .columns([
                registration_serials::Column::Year,
                registration_serials::Column::LastSerial,
            ])
            .values_panic([year.into(), count.into()])
            .on_conflict(
                OnConflict::column(registration_serials::Column::Year)
                    .value(
                        registration_serials::Column::LastSerial,
                        Expr::col((
                            registration_serials::Entity,
                            registration_serials::Column::LastSerial,
                        ))
                        .add(count),
                    )
                    .to_owned(),
            )
            .returning_col(registration_serials::Column::LastSerial)
            .to_owned();
        self.tx
            .query_one(&statement)
            .await
            .map_err(store_error)?
            .ok_or_else(|| StoreError::Unexpected("the serial counter returned nothing".into()))?
            .try_get("", "last_serial")
            .map_err(store_error)
    }

    /// Reserves `count` registration numbers of `year`.
    async fn reserve_numbers(
        &self,
        year: u16,
        count: usize,
    ) -> Result<Vec<RegistrationNumber>, StoreError> {
        if count == 0 {
            return Ok(vec![]);
        }
        let n = i32::try_from(count).unwrap_or(i32::MAX);
        let last = self.bump_serials(i32::from(year), n).await?;
        (0..n)
            .map(|offset| {
                let serial = u32::try_from(last - n + 1 + offset).unwrap_or(0);
                RegistrationNumber::new(year, serial)
                    .map_err(|e| StoreError::Unexpected(e.to_string()))
            })
            .collect()
    }

    /// Adds people new to the register, each with their qualifications, a registration
    /// number of `year` and their first certificate edition, in multi-row INSERTs. The
    /// database refuses a person already present (`Duplicate(ResidentId)` through the
    /// unique ID hash).
    pub(crate) async fn insert_new_people(
        &mut self,
        batch: &[NewRegistrant],
        year: u16,
    ) -> Result<Vec<Registrant>, StoreError> {
        let ids = self.reserve_ids("people", batch.len()).await?;
        let numbers = self.reserve_numbers(year, batch.len()).await?;
        let document_ids = self.reserve_ids("documents", batch.len()).await?;
        if ids.len() != batch.len()
            || numbers.len() != batch.len()
            || document_ids.len() != batch.len()
        {
            return Err(StoreError::Unexpected(
                "fewer reserved ids than rows".into(),
            ));
        }
        let mut people_rows = Vec::with_capacity(batch.len());
        let mut qualification_rows = Vec::new();
        let mut document_rows = Vec::with_capacity(batch.len());
        let mut item_rows = Vec::new();
        for (((p, &id), number), &document) in
            batch.iter().zip(&ids).zip(&numbers).zip(&document_ids)
        {
            let rid = &p.resident_id;
            people_rows.push(people::ActiveModel {
                id: Set(id),
                name: Set(p.name.as_str().to_owned()),
                name_key: Set(crate::name_order::name_key(p.name.as_str())),
                id_hash: Set(self.key.hash(rid)),
                id_cipher: Set(self.key.encrypt(rid).map_err(StoreError::Unexpected)?),
                id_masked: Set(rid.masked()),
                birth_date: Set(rid.birth_date()),
                sex: Set(sex_code(rid.sex()).to_owned()),
                registration_number: Set(Some(number.to_string())),
                version: Set(1),
                ..details_columns(&DetailsForm::default())
            });
            for (item, exam_date, published_on) in &p.qualifications {
                qualification_rows.push(qualifications::ActiveModel {
                    person_id: Set(id),
                    item_code: Set(item.as_str().to_owned()),
                    exam_date: Set(*exam_date),
                    published_on: Set(*published_on),
                });
            }
            let d = &p.certificate;
            document_rows.push(documents::ActiveModel {
                id: Set(document),
                kind: Set(d.kind.code().to_owned()),
                person_id: Set(id),
                institution_id: Set(None),
                token: Set(d.token.as_str().to_owned()),
                code: Set(d.code.as_str().to_owned()),
                created_on: Set(d.created_on),
                pass_list: Set(d.pass_list),
                valid_until: Set(d.valid_until),
                replaces_id: Set(None),
                mailed_on: Set(None),
                tracking: Set(None),
                voided_on: Set(None),
                void_reason: Set(None),
                version: Set(0),
            });
            for (position, item) in d.items.iter().enumerate() {
                item_rows.push(document_items::ActiveModel {
                    document_id: Set(document),
                    item_code: Set(item.as_str().to_owned()),
                    position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
                });
            }
        }
        let duplicate = |e: sea_orm::DbErr| match crate::error::classify(&e) {
            crate::error::Failure::Unique(_) => {
                StoreError::Duplicate(registry_core::ports::Duplicate::ResidentId)
            }
            _ => store_error(e),
        };
        for chunk in shaped_chunks(&people_rows, CHUNK) {
            people::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(&self.tx)
                .await
                .map_err(duplicate)?;
        }
        for chunk in shaped_chunks(&qualification_rows, CHUNK * 2) {
            qualifications::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(&self.tx)
                .await
                .map_err(store_error)?;
        }
        for chunk in shaped_chunks(&document_rows, CHUNK) {
            documents::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(&self.tx)
                .await
                // A verification key drawn twice: the whole import runs again.
                .map_err(|e| match crate::error::classify(&e) {
                    crate::error::Failure::Unique(_) => StoreError::Retry,
                    _ => store_error(e),
                })?;
        }
        for chunk in shaped_chunks(&item_rows, CHUNK * 2) {
            document_items::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(&self.tx)
                .await
                .map_err(store_error)?;
        }
        Ok(ids
            .into_iter()
            .zip(numbers)
            .zip(document_ids)
            .map(|((person, number), certificate)| Registrant {
                person: PersonId::new(person),
                number,
                certificate: DocumentId::new(certificate),
            })
            .collect())
    }
}

/// Appends many audit records in multi-row INSERTs.
pub(crate) async fn audit_all(tx: &StoreTx, records: &[AuditRecord]) -> Result<(), StoreError> {
    if records.is_empty() {
        return Ok(());
    }
    let mut head = crate::audit_chain::head(&tx.tx, tx.engine).await?;
    let mut rows: Vec<audit_log::ActiveModel> = records.iter().map(audit_row).collect();
    crate::convert::link_rows(&mut head, &mut rows)?;
    for chunk in shaped_chunks(&rows, CHUNK) {
        audit_log::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&tx.tx)
            .await
            .map_err(store_error)?;
    }
    crate::audit_chain::advance(&tx.tx, tx.engine, &head).await
}

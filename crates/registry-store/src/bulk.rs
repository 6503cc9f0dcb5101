//! Loading many people at once (a pass list, a migration from an older system, the
//! synthetic register of the benchmark): one transaction, all or nothing.
//!
//! Every value is valid by its type; the caller (an importer) has checked the rules with
//! the core. The database still enforces what must never break: a person already in the
//! register is refused (`Duplicate(ResidentId)`), as is a second active holding of an item,
//! and every foreign key.
//!
//! The load reserves its row ids and registration numbers first, so that it never has to
//! read back what it wrote; then it writes each table in bulk: multi-row INSERTs on SQLite,
//! COPY on PostgreSQL. Afterwards it refreshes the planner's statistics, which a large
//! load changes.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use registry_core::holding::{EntryProgress, FillInPasswordHash, ItemState, RegistrationPeriod};
use registry_core::ids::InstitutionId;
use registry_core::person::{AssessorDetails, DetailsForm, PersonName};
use registry_core::ports::{AuditRecord, Conflict, Duplicate, Register, RegisterTx, StoreError};
use registry_core::registration_number::RegistrationNumber;
use registry_core::resident_id::{ResidentId, Sex};
use registry_core::review_item::ReviewItemCode;
use sea_orm::ActiveValue::Set;
use sea_orm::sqlx::{self, Acquire, Postgres, Row as _};
use sea_orm::{ConnectionTrait, EntityTrait};
use time::Date;

use crate::convert::{details_columns, sex_code};
use crate::entity::{employments, holdings, people, qualifications, registrations};
use crate::error::{Failure, store_error};
use crate::{Engine, Store};

/// One person to load, with everything that hangs off them.
#[derive(Debug, Clone)]
pub struct BulkPerson {
    /// The name.
    pub name: PersonName,
    /// The ID number.
    pub resident_id: ResidentId,
    /// Their details (empty for a pass list).
    pub details: AssessorDetails,
    /// The items passed.
    pub qualifications: Vec<BulkQualification>,
    /// The institutions that employ them, with the items each holds.
    pub employments: Vec<BulkEmployment>,
}

/// A qualification of a [`BulkPerson`].
#[derive(Debug, Clone)]
pub struct BulkQualification {
    /// The item.
    pub item: ReviewItemCode,
    /// The exam date.
    pub exam_date: Date,
    /// The pass list's publication date.
    pub published_on: Date,
}

/// An employment of a [`BulkPerson`].
#[derive(Debug, Clone)]
pub struct BulkEmployment {
    /// The institution.
    pub institution: InstitutionId,
    /// The fill-in password's hash.
    pub password: FillInPasswordHash,
    /// How far the person got through this institution's entry.
    pub progress: EntryProgress,
    /// Employed since.
    pub since: Date,
    /// The items held, each with its state and registration.
    pub holdings: Vec<(ReviewItemCode, ItemState, Option<RegistrationPeriod>)>,
}

/// What a bulk load wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BulkReport {
    /// People.
    pub people: usize,
    /// Qualifications.
    pub qualifications: usize,
    /// Employments.
    pub employments: usize,
    /// Holdings.
    pub holdings: usize,
    /// Registrations (each registered person also got a registration number).
    pub registrations: usize,
}

/// The rows of a load, ids and numbers assigned.
struct Plan<'a> {
    people: Vec<PersonRow<'a>>,
    qualifications: Vec<(i64, &'a BulkQualification)>,
    employments: Vec<(i64, &'a BulkEmployment)>,
    holdings: Vec<HoldingRow<'a>>,
}

struct PersonRow<'a> {
    id: i64,
    person: &'a BulkPerson,
    hash: String,
    cipher: Vec<u8>,
    number: Option<RegistrationNumber>,
    form: DetailsForm,
}

struct HoldingRow<'a> {
    id: i64,
    person: i64,
    institution: InstitutionId,
    since: Date,
    item: &'a ReviewItemCode,
    state: ItemState,
    period: Option<&'a RegistrationPeriod>,
    registration_id: Option<i64>,
}

/// Reserved ids of one table: `count` new ids.
type Ids = Vec<i64>;

/// The people who get a registration number, by year of their first registration.
fn numbered_by_year(batch: &[BulkPerson]) -> BTreeMap<i32, Vec<usize>> {
    let mut by_year: BTreeMap<i32, Vec<usize>> = BTreeMap::new();
    for (index, person) in batch.iter().enumerate() {
        let first = person
            .employments
            .iter()
            .flat_map(|e| e.holdings.iter())
            .filter_map(|(_, _, period)| period.as_ref().map(|p| p.registered_on))
            .min();
        if let Some(day) = first {
            by_year.entry(day.year()).or_default().push(index);
        }
    }
    by_year
}

fn count_rows(batch: &[BulkPerson]) -> (usize, usize, usize) {
    let holdings = batch
        .iter()
        .flat_map(|p| &p.employments)
        .map(|e| e.holdings.len())
        .sum();
    let registrations = batch
        .iter()
        .flat_map(|p| &p.employments)
        .flat_map(|e| &e.holdings)
        .filter(|h| h.2.is_some())
        .count();
    (batch.len(), holdings, registrations)
}

fn plan<'a>(
    store: &Store,
    batch: &'a [BulkPerson],
    ids: (Ids, Ids, Ids),
    numbers: &BTreeMap<usize, RegistrationNumber>,
) -> Result<Plan<'a>, StoreError> {
    let (people_ids, holding_ids, registration_ids) = ids;
    let (mut holding_ids, mut registration_ids) =
        (holding_ids.into_iter(), registration_ids.into_iter());
    let missing = || StoreError::Unexpected("fewer reserved ids than rows".into());
    let mut out = Plan {
        people: Vec::with_capacity(batch.len()),
        qualifications: Vec::new(),
        employments: Vec::new(),
        holdings: Vec::new(),
    };
    for (index, (person, &id)) in batch.iter().zip(&people_ids).enumerate() {
        out.people.push(PersonRow {
            id,
            person,
            hash: store.key().hash(&person.resident_id),
            cipher: store
                .key()
                .encrypt(&person.resident_id)
                .map_err(StoreError::Unexpected)?,
            number: numbers.get(&index).copied(),
            form: person.details.to_form(),
        });
        out.qualifications
            .extend(person.qualifications.iter().map(|q| (id, q)));
        for employment in &person.employments {
            out.employments.push((id, employment));
            for (item, state, period) in &employment.holdings {
                out.holdings.push(HoldingRow {
                    id: holding_ids.next().ok_or_else(missing)?,
                    person: id,
                    institution: employment.institution,
                    since: employment.since,
                    item,
                    state: *state,
                    period: period.as_ref(),
                    registration_id: match period {
                        Some(_) => Some(registration_ids.next().ok_or_else(missing)?),
                        None => None,
                    },
                });
            }
        }
    }
    if out.people.len() != batch.len() {
        return Err(missing());
    }
    Ok(out)
}

fn optional(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

fn bulk_error(e: sea_orm::DbErr) -> StoreError {
    match crate::error::classify(&e) {
        Failure::Unique(constraint) if constraint.contains("id_hash") => {
            StoreError::Duplicate(Duplicate::ResidentId)
        }
        Failure::Unique(_) => StoreError::Conflict(Conflict::ItemHeld {
            item: String::new(),
        }),
        _ => store_error(e),
    }
}

fn sqlx_error(e: sqlx::Error) -> StoreError {
    bulk_error(sea_orm::DbErr::Exec(sea_orm::RuntimeErr::SqlxError(
        std::sync::Arc::new(e),
    )))
}

const PEOPLE_BATCH: usize = 500;
const ROW_BATCH: usize = 2000;

impl Store {
    /// Loads new people in one transaction, with an audit record of the load. All or
    /// nothing.
    pub async fn bulk_load(
        &self,
        batch: &[BulkPerson],
        audit: &AuditRecord,
    ) -> Result<BulkReport, StoreError> {
        let report = match self.engine() {
            Engine::Sqlite => self.load_sqlite(batch, audit).await?,
            Engine::Postgres => self.load_postgres(batch, audit).await?,
        };
        self.generation.changed();
        self.refresh_statistics().await?;
        Ok(report)
    }

    /// Refreshes the query planner's statistics (after a large load).
    pub async fn refresh_statistics(&self) -> Result<(), StoreError> {
        let statement = match self.engine() {
            Engine::Sqlite => "PRAGMA optimize=0x10002",
            Engine::Postgres => "ANALYZE",
        };
        self.db()
            .execute_unprepared(statement)
            .await
            .map(|_| ())
            .map_err(store_error)
    }

    async fn load_sqlite(
        &self,
        batch: &[BulkPerson],
        audit: &AuditRecord,
    ) -> Result<BulkReport, StoreError> {
        let mut tx = self.begin().await?;
        let (people_count, holding_count, registration_count) = count_rows(batch);
        // The transaction holds SQLite's write lock: the next ids are past the largest
        // ever used (AUTOINCREMENT keeps that in sqlite_sequence).
        let reserve = async |table: &str, count: usize| -> Result<Ids, StoreError> {
            let sql = format!(
                "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = '{table}'), 0), \
                 COALESCE((SELECT MAX(id) FROM {table}), 0)) AS last"
            );
            let row = tx
                .tx
                .query_one_raw(sea_orm::Statement::from_string(
                    sea_orm::DatabaseBackend::Sqlite,
                    sql,
                ))
                .await
                .map_err(store_error)?
                .ok_or_else(|| StoreError::Unexpected("no last id".into()))?;
            let last: i64 = row.try_get("", "last").map_err(store_error)?;
            Ok((last + 1..=last + count as i64).collect())
        };
        let ids = (
            reserve("people", people_count).await?,
            reserve("holdings", holding_count).await?,
            reserve("registrations", registration_count).await?,
        );
        let numbers = self.reserve_numbers_sea(&tx, batch).await?;
        let plan = plan(self, batch, ids, &numbers)?;
        let db = &tx.tx;
        for chunk in plan.people.chunks(PEOPLE_BATCH) {
            let rows = chunk.iter().map(|r| {
                let f = &r.form;
                people::ActiveModel {
                    id: Set(r.id),
                    name: Set(r.person.name.as_str().to_owned()),
                    name_key: Set(crate::name_order::name_key(r.person.name.as_str())),
                    id_hash: Set(r.hash.clone()),
                    id_cipher: Set(r.cipher.clone()),
                    id_masked: Set(r.person.resident_id.masked()),
                    birth_date: Set(r.person.resident_id.birth_date()),
                    sex: Set(sex_code(r.person.resident_id.sex()).to_owned()),
                    registration_number: Set(r.number.map(|n| n.to_string())),
                    version: Set(1),
                    ..details_columns(f)
                }
            });
            people::Entity::insert_many(rows)
                .exec_without_returning(db)
                .await
                .map_err(bulk_error)?;
        }
        for chunk in plan.qualifications.chunks(ROW_BATCH) {
            let rows = chunk.iter().map(|(person, q)| qualifications::ActiveModel {
                person_id: Set(*person),
                item_code: Set(q.item.as_str().to_owned()),
                exam_date: Set(q.exam_date),
                published_on: Set(q.published_on),
            });
            qualifications::Entity::insert_many(rows)
                .exec_without_returning(db)
                .await
                .map_err(bulk_error)?;
        }
        for chunk in plan.employments.chunks(ROW_BATCH) {
            let rows = chunk.iter().map(|(person, e)| employments::ActiveModel {
                person_id: Set(*person),
                institution_id: Set(e.institution.get()),
                password_hash: Set(e.password.as_str().to_owned()),
                progress: Set(e.progress.code().to_owned()),
                since: Set(e.since),
                password_set_on: Set(Some(e.since)),
                version: Set(1),
            });
            employments::Entity::insert_many(rows)
                .exec_without_returning(db)
                .await
                .map_err(bulk_error)?;
        }
        for chunk in plan.holdings.chunks(ROW_BATCH) {
            let rows = chunk.iter().map(|h| holdings::ActiveModel {
                id: Set(h.id),
                person_id: Set(h.person),
                item_code: Set(h.item.as_str().to_owned()),
                institution_id: Set(h.institution.get()),
                state: Set(h.state.code().to_owned()),
                since: Set(h.since),
                state_since: Set(Some(h.since)),
                cycle_id: Set(h.period.map(|p| p.cycle.get())),
                registered_on: Set(h.period.map(|p| p.registered_on)),
                valid_from: Set(h.period.map(|p| p.valid_from)),
                valid_until: Set(h.period.map(|p| p.valid_until)),
                released_on: Set(None),
                release_reason: Set(None),
                version: Set(1),
            });
            holdings::Entity::insert_many(rows)
                .exec_without_returning(db)
                .await
                .map_err(bulk_error)?;
        }
        let registered: Vec<&HoldingRow<'_>> = plan
            .holdings
            .iter()
            .filter(|h| h.period.is_some())
            .collect();
        for chunk in registered.chunks(ROW_BATCH) {
            let rows = chunk.iter().filter_map(|h| {
                let (id, period) = (h.registration_id?, h.period?);
                Some(registrations::ActiveModel {
                    id: Set(id),
                    holding_id: Set(h.id),
                    person_id: Set(h.person),
                    item_code: Set(h.item.as_str().to_owned()),
                    institution_id: Set(h.institution.get()),
                    cycle_id: Set(period.cycle.get()),
                    registered_on: Set(period.registered_on),
                    valid_from: Set(period.valid_from),
                    valid_until: Set(period.valid_until),
                })
            });
            registrations::Entity::insert_many(rows)
                .exec_without_returning(db)
                .await
                .map_err(bulk_error)?;
        }
        tx.audit(audit).await?;
        tx.commit().await?;
        Ok(report_of(&plan))
    }

    /// Reserves one registration number per numbered person, on each year's counter, in
    /// the sea-orm transaction `tx`.
    async fn reserve_numbers_sea(
        &self,
        tx: &crate::StoreTx,
        batch: &[BulkPerson],
    ) -> Result<BTreeMap<usize, RegistrationNumber>, StoreError> {
        let mut numbers = BTreeMap::new();
        for (year, indexes) in numbered_by_year(batch) {
            let count = i32::try_from(indexes.len()).unwrap_or(i32::MAX);
            let last = tx.bump_serials(year, count).await?;
            assign_numbers(&mut numbers, year, &indexes, last)?;
        }
        Ok(numbers)
    }

    async fn load_postgres(
        &self,
        batch: &[BulkPerson],
        audit: &AuditRecord,
    ) -> Result<BulkReport, StoreError> {
        let pool = self.db().get_postgres_connection_pool();
        let mut connection = pool.acquire().await.map_err(sqlx_error)?;
        let mut tx = connection.begin().await.map_err(sqlx_error)?;
        let (people_count, holding_count, registration_count) = count_rows(batch);
        let ids = (
            reserve_postgres(&mut tx, "people", people_count).await?,
            reserve_postgres(&mut tx, "holdings", holding_count).await?,
            reserve_postgres(&mut tx, "registrations", registration_count).await?,
        );
        let mut numbers = BTreeMap::new();
        for (year, indexes) in numbered_by_year(batch) {
            let count = i32::try_from(indexes.len()).unwrap_or(i32::MAX);
            let last: i32 = sqlx::query_scalar(
                "INSERT INTO registration_serials (year, last_serial) VALUES ($1, $2) \
                 ON CONFLICT (year) DO UPDATE SET last_serial = registration_serials.last_serial + $2 \
                 RETURNING last_serial",
            )
            .bind(year)
            .bind(count)
            .fetch_one(&mut *tx)
            .await
            .map_err(sqlx_error)?;
            assign_numbers(&mut numbers, year, &indexes, last)?;
        }
        let plan = plan(self, batch, ids, &numbers)?;

        let mut lines = String::new();
        for r in &plan.people {
            let f = &r.form;
            let id = &r.person.resident_id;
            let number = r.number.map(|n| n.to_string());
            let sex = Sex::parse(&f.sex).map(sex_code);
            write_csv(
                &mut lines,
                &[
                    Some(r.id.to_string().as_str()),
                    Some(r.person.name.as_str()),
                    Some(&r.hash),
                    Some(&format!("\\x{}", hex::encode(&r.cipher))),
                    Some(&id.masked()),
                    Some(&registry_core::date::format_date(id.birth_date())),
                    Some(sex_code(id.sex())),
                    number.as_deref(),
                    sex,
                    optional(&f.ethnicity).as_deref(),
                    optional(&f.education).as_deref(),
                    optional(&f.school).as_deref(),
                    optional(&f.major).as_deref(),
                    optional(&f.title).as_deref(),
                    optional(&f.work_unit).as_deref(),
                    optional(&f.position).as_deref(),
                    optional(&f.mobile).as_deref(),
                    optional(&f.email).as_deref(),
                    optional(&f.province).as_deref(),
                    optional(&f.city).as_deref(),
                    optional(&f.district).as_deref(),
                    optional(&f.street).as_deref(),
                    optional(&f.postcode).as_deref(),
                    Some("1"),
                ],
            );
        }
        copy(
            &mut tx,
            "COPY people (id, name, id_hash, id_cipher, id_masked, birth_date, sex, registration_number, \
             detail_sex, ethnicity, education, school, major, title, work_unit, position, mobile, email, \
             province, city, district, street, postcode, version) FROM STDIN (FORMAT csv)",
            lines,
        )
        .await?;

        let date = registry_core::date::format_date;
        let mut lines = String::new();
        for (person, q) in &plan.qualifications {
            write_csv(
                &mut lines,
                &[
                    Some(&person.to_string()),
                    Some(q.item.as_str()),
                    Some(&date(q.exam_date)),
                    Some(&date(q.published_on)),
                ],
            );
        }
        copy(&mut tx, "COPY qualifications (person_id, item_code, exam_date, published_on) FROM STDIN (FORMAT csv)", lines).await?;

        let mut lines = String::new();
        for (person, e) in &plan.employments {
            write_csv(
                &mut lines,
                &[
                    Some(&person.to_string()),
                    Some(&e.institution.get().to_string()),
                    Some(e.password.as_str()),
                    Some(e.progress.code()),
                    Some(&date(e.since)),
                    Some("1"),
                ],
            );
        }
        copy(&mut tx, "COPY employments (person_id, institution_id, password_hash, progress, since, version) FROM STDIN (FORMAT csv)", lines).await?;

        let mut lines = String::new();
        let mut registration_lines = String::new();
        for h in &plan.holdings {
            let period = h.period;
            write_csv(
                &mut lines,
                &[
                    Some(&h.id.to_string()),
                    Some(&h.person.to_string()),
                    Some(h.item.as_str()),
                    Some(&h.institution.get().to_string()),
                    Some(h.state.code()),
                    Some(&date(h.since)),
                    period.map(|p| p.cycle.get().to_string()).as_deref(),
                    period.map(|p| date(p.registered_on)).as_deref(),
                    period.map(|p| date(p.valid_from)).as_deref(),
                    period.map(|p| date(p.valid_until)).as_deref(),
                    Some("1"),
                ],
            );
            if let (Some(id), Some(p)) = (h.registration_id, period) {
                write_csv(
                    &mut registration_lines,
                    &[
                        Some(&id.to_string()),
                        Some(&h.id.to_string()),
                        Some(&h.person.to_string()),
                        Some(h.item.as_str()),
                        Some(&h.institution.get().to_string()),
                        Some(&p.cycle.get().to_string()),
                        Some(&date(p.registered_on)),
                        Some(&date(p.valid_from)),
                        Some(&date(p.valid_until)),
                    ],
                );
            }
        }
        copy(
            &mut tx,
            "COPY holdings (id, person_id, item_code, institution_id, state, since, cycle_id, registered_on, \
             valid_from, valid_until, version) FROM STDIN (FORMAT csv)",
            lines,
        )
        .await?;
        copy(
            &mut tx,
            "COPY registrations (id, holding_id, person_id, item_code, institution_id, cycle_id, registered_on, \
             valid_from, valid_until) FROM STDIN (FORMAT csv)",
            registration_lines,
        )
        .await?;

        // The load's audit row, linked into the audit chain (see `audit_chain`).
        let head: (i64, String) =
            sqlx::query_as("SELECT seq, hash FROM audit_chain WHERE id = 1 FOR UPDATE")
                .fetch_one(&mut *tx)
                .await
                .map_err(sqlx_error)?;
        let mut head = crate::audit_chain::ChainHead {
            seq: head.0,
            hash: head.1,
        };
        let mut rows = [crate::convert::audit_row(audit)];
        crate::convert::link_rows(&mut head, &mut rows)?;
        let [row] = rows;
        let text = |v: sea_orm::ActiveValue<Option<String>>| match v {
            Set(s) | sea_orm::ActiveValue::Unchanged(s) => s,
            sea_orm::ActiveValue::NotSet => None,
        };
        sqlx::query(
            "INSERT INTO audit_log (at, actor, action, entity, entity_id, person_id, before, after, \
             chain_seq, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(crate::audit_chain::stored_moment(audit.at))
        .bind(audit.actor.describe())
        .bind(audit.action)
        .bind(audit.entity.code())
        .bind(audit.entity_id)
        .bind(audit.person.map(registry_core::ids::PersonId::get))
        .bind(text(row.before))
        .bind(text(row.after))
        .bind(head.seq)
        .bind(text(row.prev_hash))
        .bind(head.hash.clone())
        .execute(&mut *tx)
        .await
        .map_err(sqlx_error)?;
        sqlx::query("UPDATE audit_chain SET seq = $1, hash = $2 WHERE id = 1")
            .bind(head.seq)
            .bind(&head.hash)
            .execute(&mut *tx)
            .await
            .map_err(sqlx_error)?;
        tx.commit().await.map_err(sqlx_error)?;
        Ok(report_of(&plan))
    }
}

fn report_of(plan: &Plan<'_>) -> BulkReport {
    BulkReport {
        people: plan.people.len(),
        qualifications: plan.qualifications.len(),
        employments: plan.employments.len(),
        holdings: plan.holdings.len(),
        registrations: plan.holdings.iter().filter(|h| h.period.is_some()).count(),
    }
}

/// Numbers `last - count + 1 ..= last` of `year`, to the people at `indexes` in order.
fn assign_numbers(
    numbers: &mut BTreeMap<usize, RegistrationNumber>,
    year: i32,
    indexes: &[usize],
    last: i32,
) -> Result<(), StoreError> {
    let count = i32::try_from(indexes.len()).unwrap_or(i32::MAX);
    let year =
        u16::try_from(year).map_err(|_| StoreError::Unexpected("year out of range".into()))?;
    for (offset, index) in indexes.iter().enumerate() {
        let serial = u32::try_from(last - count + 1 + offset as i32).unwrap_or(0);
        let number = RegistrationNumber::new(year, serial)
            .map_err(|e| StoreError::Unexpected(e.to_string()))?;
        numbers.insert(*index, number);
    }
    Ok(())
}

async fn reserve_postgres(
    tx: &mut sqlx::Transaction<'_, Postgres>,
    table: &str,
    count: usize,
) -> Result<Ids, StoreError> {
    let connection = tx.acquire().await.map_err(sqlx_error)?;
    // `table` is one of this module's own table names, never input.
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT nextval(pg_get_serial_sequence('{table}', 'id')) AS id FROM generate_series(1, $1)"
    )))
    .bind(i64::try_from(count).unwrap_or(i64::MAX))
    .fetch_all(connection)
    .await
    .map_err(sqlx_error)?;
    rows.iter()
        .map(|row| row.try_get::<i64, _>("id").map_err(sqlx_error))
        .collect()
}

/// Appends one CSV record: `None` is NULL (an empty unquoted field), text is quoted.
fn write_csv(out: &mut String, fields: &[Option<&str>]) {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if let Some(text) = field {
            out.push('"');
            for c in text.chars() {
                if c == '"' {
                    out.push('"');
                }
                out.push(c);
            }
            out.push('"');
        }
    }
    let _ = writeln!(out);
}

async fn copy(
    tx: &mut sqlx::Transaction<'_, Postgres>,
    statement: &str,
    lines: String,
) -> Result<(), StoreError> {
    if lines.is_empty() {
        return Ok(());
    }
    let connection = tx.acquire().await.map_err(sqlx_error)?;
    let mut copy = connection
        .copy_in_raw(statement)
        .await
        .map_err(sqlx_error)?;
    copy.send(lines.into_bytes()).await.map_err(sqlx_error)?;
    copy.finish().await.map_err(sqlx_error)?;
    Ok(())
}

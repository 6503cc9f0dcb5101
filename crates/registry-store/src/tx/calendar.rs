//! Registration cycles with their policy, what a change of a cycle's dates concerns, and
//! the stored working-day calendar.

use registry_core::calendar::CalendarEntry;
use registry_core::cycle::{Cycles, RegistrationCycle};
use registry_core::cycle_change::{BoundCourse, BoundDocument, BoundRegistration, CycleBindings};
use registry_core::document::DocumentKind;
use registry_core::ids::{CourseId, CycleId, DocumentId, HoldingId};
use registry_core::person::PersonName;
use registry_core::policy::Policy;
use registry_core::ports::{Conflict, Entity as DomainEntity, StoreError};
use registry_core::text::Text;

use sea_orm::sea_query::{Expr, ExprTrait, LockType};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter,
    QueryOrder, QueryResult, QuerySelect, Statement, Value,
};
use time::Date;

use super::StoreTx;
use crate::convert::*;
use crate::entity::{calendar_days, cycles};
use crate::error::store_error;
use crate::url::Engine;

pub(super) async fn calendar_entries(tx: &mut StoreTx) -> Result<Vec<CalendarEntry>, StoreError> {
    calendar_days::Entity::find()
        .order_by_asc(calendar_days::Column::Day)
        .all(&tx.tx)
        .await
        .map_err(store_error)?
        .into_iter()
        .map(crate::calendar_entry)
        .collect()
}

pub(super) async fn replace_calendar_years(
    tx: &mut StoreTx,
    first: i32,
    last: i32,
    entries: &[CalendarEntry],
) -> Result<(), StoreError> {
    let (Ok(from), Ok(to)) = (
        Date::from_calendar_date(first, time::Month::January, 1),
        Date::from_calendar_date(last, time::Month::December, 31),
    ) else {
        return Err(StoreError::Unexpected(format!(
            "calendar years {first}–{last}"
        )));
    };
    calendar_days::Entity::delete_many()
        .filter(calendar_days::Column::Day.between(from, to))
        .exec(&tx.tx)
        .await
        .map_err(store_error)?;
    for chunk in entries.chunks(200) {
        calendar_days::Entity::insert_many(chunk.iter().map(|e| calendar_days::ActiveModel {
            day: Set(e.date),
            kind: Set(e.kind.as_str().to_owned()),
            name: Set(e.name.clone()),
        }))
        .exec_without_returning(&tx.tx)
        .await
        .map_err(store_error)?;
    }
    Ok(())
}

/// Every cycle. In a write transaction on PostgreSQL, the rows are read `FOR KEY SHARE`:
/// a change of a cycle's dates (which locks its row `FOR UPDATE` in `bound_to_cycle`)
/// then waits for the transactions that decided with the old dates, and those that read
/// after it see the new ones. Key-share locks do not wait for each other, nor for a plain
/// update of a cycle's name or policy.
pub(super) async fn cycles(tx: &mut StoreTx) -> Result<Cycles, StoreError> {
    let mut query = cycles::Entity::find().order_by_asc(cycles::Column::StartDate);
    if tx.engine == Engine::Postgres && tx.writes() {
        query = query.lock(LockType::KeyShare);
    }
    let rows = query.all(&tx.tx).await.map_err(store_error)?;
    cycles_from_rows(rows)
}

/// What a change of the dates of `cycle` concerns, within `from..=to`: one statement over
/// the registrations of the cycle (`ix_registrations_cycle`, `ix_holdings_cycle`; the
/// history's and the holdings' current ones, the same registration once), the editions not
/// void ending in the days (`ix_documents_valid_until`) and the courses ending in them
/// (`ix_courses_end`). On PostgreSQL the cycle's row is locked `FOR UPDATE` first (see
/// [`cycles`]).
pub(super) async fn bound_to_cycle(
    tx: &mut StoreTx,
    cycle: CycleId,
    from: Date,
    to: Date,
) -> Result<CycleBindings, StoreError> {
    let backend = match tx.engine {
        Engine::Postgres => {
            cycles::Entity::find_by_id(cycle.get())
                .lock(LockType::Update)
                .one(&tx.tx)
                .await
                .map_err(store_error)?;
            DatabaseBackend::Postgres
        }
        Engine::Sqlite => DatabaseBackend::Sqlite,
    };
    let sql = "SELECT 'registration' AS what, r.holding_id AS id, p.name AS name, \
                 p.id_masked AS masked_id, r.item_code AS code, \
                 r.valid_from AS first_day, r.valid_until AS last_day \
               FROM registrations r JOIN people p ON p.id = r.person_id \
               WHERE r.cycle_id = ? \
               UNION \
               SELECT 'registration', h.id, p.name, p.id_masked, h.item_code, \
                 h.valid_from, h.valid_until \
               FROM holdings h JOIN people p ON p.id = h.person_id \
               WHERE h.cycle_id = ? AND h.valid_from IS NOT NULL AND h.valid_until IS NOT NULL \
               UNION ALL \
               SELECT 'document', d.id, p.name, p.id_masked, d.kind, d.created_on, d.valid_until \
               FROM documents d JOIN people p ON p.id = d.person_id \
               WHERE d.voided_on IS NULL AND d.valid_until BETWEEN ? AND ? \
               UNION ALL \
               SELECT 'course', c.id, c.name, '', '', c.start_date, c.end_date \
               FROM courses c WHERE c.end_date BETWEEN ? AND ?";
    let sql = match backend {
        DatabaseBackend::Postgres => numbered(sql),
        _ => sql.to_owned(),
    };
    let values: Vec<Value> = vec![
        cycle.get().into(),
        cycle.get().into(),
        from.into(),
        to.into(),
        from.into(),
        to.into(),
    ];
    let rows = tx
        .tx
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
        .map_err(store_error)?;
    let mut bound = CycleBindings::default();
    for row in &rows {
        bind_row(row, &mut bound)?;
    }
    Ok(bound)
}

/// `?` placeholders numbered for PostgreSQL.
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(c);
        }
    }
    out
}

/// One row of `bound_to_cycle`'s statement into its place.
fn bind_row(row: &QueryResult, bound: &mut CycleBindings) -> Result<(), StoreError> {
    let get_text = |column| row.try_get::<String>("", column).map_err(store_error);
    let get_day = |column| row.try_get::<Date>("", column).map_err(store_error);
    let id: i64 = row.try_get("", "id").map_err(store_error)?;
    let person = || -> Result<(PersonName, String), StoreError> {
        Ok((
            PersonName::parse(&get_text("name")?).map_err(unexpected)?,
            get_text("masked_id")?,
        ))
    };
    match get_text("what")?.as_str() {
        "registration" => {
            let (name, masked_id) = person()?;
            bound.registrations.push(BoundRegistration {
                holding: HoldingId::new(id),
                name,
                masked_id,
                item: code(&get_text("code")?)?,
                valid_from: get_day("first_day")?,
                valid_until: get_day("last_day")?,
            });
        }
        "document" => {
            let (name, masked_id) = person()?;
            let kind = get_text("code")?;
            bound.documents.push(BoundDocument {
                id: DocumentId::new(id),
                kind: DocumentKind::from_code(&kind)
                    .ok_or_else(|| unexpected(format!("document kind {kind}")))?,
                name,
                masked_id,
                valid_until: get_day("last_day")?,
            });
        }
        _ => bound.courses.push(BoundCourse {
            id: CourseId::new(id),
            name: text(&get_text("name")?, 100)?,
            end: get_day("last_day")?,
        }),
    }
    Ok(())
}

pub(super) async fn insert_cycle(
    tx: &mut StoreTx,
    name: &Text,
    start: Date,
    end: Date,
    policy: &Policy,
) -> Result<CycleId, StoreError> {
    let inserted = cycles::Entity::insert(cycle_model(name, start, end, policy))
        .exec(&tx.tx)
        .await
        .map_err(store_error)?;
    Ok(CycleId::new(inserted.last_insert_id))
}

/// Replaces the cycle if it is still at `cycle.version()`, adding one to the version.
pub(super) async fn update_cycle(
    tx: &mut StoreTx,
    cycle: &RegistrationCycle,
) -> Result<i64, StoreError> {
    let name = text(cycle.name(), 40)?;
    let result = cycles::Entity::update_many()
        .set(cycle_model(
            &name,
            cycle.start(),
            cycle.end(),
            cycle.policy(),
        ))
        .col_expr(
            cycles::Column::Version,
            Expr::col(cycles::Column::Version).add(1),
        )
        .filter(cycles::Column::Id.eq(cycle.id().get()))
        .filter(cycles::Column::Version.eq(cycle.version()))
        .exec(&tx.tx)
        .await
        .map_err(store_error)?;
    if result.rows_affected == 0 {
        return Err(StoreError::Conflict(Conflict::Stale(DomainEntity::Cycle)));
    }
    Ok(cycle.version() + 1)
}

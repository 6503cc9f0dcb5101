//! Registration cycles with their policy, and the stored working-day calendar.

use registry_core::calendar::CalendarEntry;
use registry_core::cycle::{Cycles, RegistrationCycle};
use registry_core::ids::CycleId;
use registry_core::policy::Policy;
use registry_core::ports::StoreError;
use registry_core::text::Text;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};
use time::Date;

use super::StoreTx;
use crate::convert::*;
use crate::entity::{calendar_days, cycles};
use crate::error::store_error;

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

pub(super) async fn cycles(tx: &mut StoreTx) -> Result<Cycles, StoreError> {
    let rows = cycles::Entity::find()
        .order_by_asc(cycles::Column::StartDate)
        .all(&tx.tx)
        .await
        .map_err(store_error)?;
    cycles_from_rows(rows)
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

pub(super) async fn update_cycle(
    tx: &mut StoreTx,
    cycle: &RegistrationCycle,
) -> Result<(), StoreError> {
    let name = text(cycle.name(), 40)?;
    let model = cycles::ActiveModel {
        id: Set(cycle.id().get()),
        ..cycle_model(&name, cycle.start(), cycle.end(), cycle.policy())
    };
    model.update(&tx.tx).await.map_err(store_error)?;
    Ok(())
}

//! Employments, holdings (one active per person and item, by a partial unique index) and the
//! registration history.

use registry_core::holding::{
    Employment, Holding, NewHolding, RegistrationPeriod, RegistrationRecord,
};
use registry_core::ids::{CycleId, HoldingId, InstitutionId, PersonId};
use registry_core::ports::{Conflict, Duplicate, Entity as DomainEntity, StoreError};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};

use super::StoreTx;
use crate::convert::*;
use crate::entity::{employments, holdings, registrations};
use crate::error::store_error;

pub(super) async fn employment(
    tx: &mut StoreTx,
    person: PersonId,
    institution: InstitutionId,
) -> Result<Option<Employment>, StoreError> {
    employments::Entity::find_by_id((person.get(), institution.get()))
        .one(&tx.tx)
        .await
        .map_err(store_error)?
        .map(employment_from_row)
        .transpose()
}

pub(super) async fn employments_of(
    tx: &mut StoreTx,
    person: PersonId,
) -> Result<Vec<Employment>, StoreError> {
    employments::Entity::find()
        .filter(employments::Column::PersonId.eq(person.get()))
        .order_by_asc(employments::Column::InstitutionId)
        .all(&tx.tx)
        .await
        .map_err(store_error)?
        .into_iter()
        .map(employment_from_row)
        .collect()
}

pub(super) async fn insert_employment(tx: &mut StoreTx, e: &Employment) -> Result<(), StoreError> {
    employments::Entity::insert(employments::ActiveModel {
        person_id: Set(e.person.get()),
        institution_id: Set(e.institution.get()),
        password_hash: Set(e.password.as_str().to_owned()),
        progress: Set(e.progress.code().to_owned()),
        since: Set(e.since),
        password_set_on: Set(Some(e.password_set_on)),
        version: Set(1),
    })
    .exec_without_returning(&tx.tx)
    .await
    .map_err(|err| unique_or(err, |_| StoreError::Duplicate(Duplicate::Employment)))?;
    Ok(())
}

pub(super) async fn update_employment(tx: &mut StoreTx, e: &Employment) -> Result<i64, StoreError> {
    let result = employments::Entity::update_many()
        .col_expr(
            employments::Column::PasswordHash,
            Expr::value(e.password.as_str()),
        )
        .col_expr(
            employments::Column::PasswordSetOn,
            Expr::value(e.password_set_on),
        )
        .col_expr(
            employments::Column::Progress,
            Expr::value(e.progress.code()),
        )
        .col_expr(
            employments::Column::Version,
            Expr::col(employments::Column::Version).add(1),
        )
        .filter(employments::Column::PersonId.eq(e.person.get()))
        .filter(employments::Column::InstitutionId.eq(e.institution.get()))
        .filter(employments::Column::Version.eq(e.version))
        .exec(&tx.tx)
        .await
        .map_err(store_error)?;
    if result.rows_affected == 0 {
        return Err(StoreError::Conflict(Conflict::Stale(
            DomainEntity::Employment,
        )));
    }
    Ok(e.version + 1)
}

pub(super) async fn holdings_of(
    tx: &mut StoreTx,
    person: PersonId,
) -> Result<Vec<Holding>, StoreError> {
    holdings::Entity::find()
        .filter(holdings::Column::PersonId.eq(person.get()))
        .order_by_asc(holdings::Column::Id)
        .all(&tx.tx)
        .await
        .map_err(store_error)?
        .into_iter()
        .map(holding_from_row)
        .collect()
}

pub(super) async fn insert_holding(
    tx: &mut StoreTx,
    new: &NewHolding,
) -> Result<Holding, StoreError> {
    let row = holdings::ActiveModel {
        id: NotSet,
        person_id: Set(new.person.get()),
        item_code: Set(new.item.as_str().to_owned()),
        institution_id: Set(new.institution.get()),
        state: Set(new.state.code().to_owned()),
        since: Set(new.since),
        state_since: Set(Some(new.since)),
        cycle_id: Set(None),
        registered_on: Set(None),
        valid_from: Set(None),
        valid_until: Set(None),
        released_on: Set(None),
        release_reason: Set(None),
        version: Set(1),
    };
    let inserted = holdings::Entity::insert(row)
        .exec(&tx.tx)
        .await
        .map_err(|e| {
            unique_or(e, |_| {
                StoreError::Conflict(Conflict::ItemHeld {
                    item: new.item.as_str().to_owned(),
                })
            })
        })?;
    Ok(Holding {
        id: HoldingId::new(inserted.last_insert_id),
        person: new.person,
        item: new.item.clone(),
        institution: new.institution,
        state: new.state,
        since: new.since,
        state_since: new.since,
        registration: None,
        released_on: None,
        release_reason: None,
        version: 1,
    })
}

pub(super) async fn update_holding(tx: &mut StoreTx, h: &Holding) -> Result<i64, StoreError> {
    let period = h.registration.as_ref();
    let result = holdings::Entity::update_many()
        .col_expr(holdings::Column::State, Expr::value(h.state.code()))
        .col_expr(holdings::Column::StateSince, Expr::value(h.state_since))
        .col_expr(
            holdings::Column::CycleId,
            Expr::value(period.map(|p| p.cycle.get())),
        )
        .col_expr(
            holdings::Column::RegisteredOn,
            Expr::value(period.map(|p| p.registered_on)),
        )
        .col_expr(
            holdings::Column::ValidFrom,
            Expr::value(period.map(|p| p.valid_from)),
        )
        .col_expr(
            holdings::Column::ValidUntil,
            Expr::value(period.map(|p| p.valid_until)),
        )
        .col_expr(holdings::Column::ReleasedOn, Expr::value(h.released_on))
        .col_expr(
            holdings::Column::ReleaseReason,
            Expr::value(h.release_reason.as_ref().map(|r| r.as_str().to_owned())),
        )
        .col_expr(
            holdings::Column::Version,
            Expr::col(holdings::Column::Version).add(1),
        )
        .filter(holdings::Column::Id.eq(h.id.get()))
        .filter(holdings::Column::Version.eq(h.version))
        .exec(&tx.tx)
        .await
        .map_err(|e| {
            unique_or(e, |_| {
                StoreError::Conflict(Conflict::ItemHeld {
                    item: h.item.as_str().to_owned(),
                })
            })
        })?;
    if result.rows_affected == 0 {
        return Err(StoreError::Conflict(Conflict::Stale(DomainEntity::Holding)));
    }
    Ok(h.version + 1)
}

pub(super) async fn registrations_of(
    tx: &mut StoreTx,
    person: PersonId,
) -> Result<Vec<RegistrationRecord>, StoreError> {
    registrations::Entity::find()
        .filter(registrations::Column::PersonId.eq(person.get()))
        .order_by_asc(registrations::Column::Id)
        .all(&tx.tx)
        .await
        .map_err(store_error)?
        .into_iter()
        .map(|row| {
            Ok(RegistrationRecord {
                holding: HoldingId::new(row.holding_id),
                person,
                item: code(&row.item_code)?,
                institution: InstitutionId::new(row.institution_id),
                period: RegistrationPeriod {
                    cycle: CycleId::new(row.cycle_id),
                    registered_on: row.registered_on,
                    valid_from: row.valid_from,
                    valid_until: row.valid_until,
                },
            })
        })
        .collect()
}

pub(super) async fn insert_registration(
    tx: &mut StoreTx,
    r: &RegistrationRecord,
) -> Result<(), StoreError> {
    registrations::Entity::insert(registrations::ActiveModel {
        id: NotSet,
        holding_id: Set(r.holding.get()),
        person_id: Set(r.person.get()),
        item_code: Set(r.item.as_str().to_owned()),
        institution_id: Set(r.institution.get()),
        cycle_id: Set(r.period.cycle.get()),
        registered_on: Set(r.period.registered_on),
        valid_from: Set(r.period.valid_from),
        valid_until: Set(r.period.valid_until),
    })
    .exec_without_returning(&tx.tx)
    .await
    .map_err(store_error)?;
    Ok(())
}

//! People and their qualifications: rows of `people` (ID numbers encrypted, found by keyed
//! hash), registration numbers from the yearly serials, `qualifications`.

use registry_core::ids::PersonId;
use registry_core::person::{AssessorDetails, Person, PersonName};
use registry_core::ports::{Conflict, Duplicate, Entity as DomainEntity, StoreError};
use registry_core::qualification::Qualification;
use registry_core::registration_number::RegistrationNumber;
use registry_core::resident_id::ResidentId;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::StoreTx;
use crate::convert::*;
use crate::entity::{people, qualifications, registration_serials};
use crate::error::store_error;
use crate::url::Engine;

pub(super) async fn person(tx: &mut StoreTx, id: PersonId) -> Result<Option<Person>, StoreError> {
    let row = people::Entity::find_by_id(id.get())
        .one(&tx.tx)
        .await
        .map_err(store_error)?;
    row.map(|r| person_from_row(r, &tx.key)).transpose()
}

pub(super) async fn lock_person(
    tx: &mut StoreTx,
    id: PersonId,
) -> Result<Option<Person>, StoreError> {
    let mut query = people::Entity::find_by_id(id.get());
    if tx.engine == Engine::Postgres {
        query = query.lock_exclusive();
    }
    let row = query.one(&tx.tx).await.map_err(store_error)?;
    row.map(|r| person_from_row(r, &tx.key)).transpose()
}

pub(super) async fn person_by_resident_id(
    tx: &mut StoreTx,
    id: &ResidentId,
) -> Result<Option<Person>, StoreError> {
    let row = people::Entity::find()
        .filter(people::Column::IdHash.eq(tx.key.hash(id)))
        .one(&tx.tx)
        .await
        .map_err(store_error)?;
    row.map(|r| person_from_row(r, &tx.key)).transpose()
}

pub(super) async fn person_by_registration_number(
    tx: &mut StoreTx,
    number: RegistrationNumber,
) -> Result<Option<Person>, StoreError> {
    let row = people::Entity::find()
        .filter(people::Column::RegistrationNumber.eq(number.to_string()))
        .one(&tx.tx)
        .await
        .map_err(store_error)?;
    row.map(|r| person_from_row(r, &tx.key)).transpose()
}

pub(super) async fn insert_person(
    tx: &mut StoreTx,
    name: &PersonName,
    resident_id: &ResidentId,
) -> Result<PersonId, StoreError> {
    let row = people::ActiveModel {
        id: NotSet,
        name: Set(name.as_str().to_owned()),
        name_key: Set(crate::name_order::name_key(name.as_str())),
        id_hash: Set(tx.key.hash(resident_id)),
        id_cipher: Set(tx.key.encrypt(resident_id).map_err(unexpected)?),
        id_masked: Set(resident_id.masked()),
        birth_date: Set(resident_id.birth_date()),
        sex: Set(sex_code(resident_id.sex()).to_owned()),
        registration_number: Set(None),
        version: Set(1),
        ..details_model(&AssessorDetails::default())
    };
    let inserted = people::Entity::insert(row)
        .exec(&tx.tx)
        .await
        .map_err(|e| unique_or(e, |_| StoreError::Duplicate(Duplicate::ResidentId)))?;
    Ok(PersonId::new(inserted.last_insert_id))
}

pub(super) async fn update_details(
    tx: &mut StoreTx,
    person: PersonId,
    details: &AssessorDetails,
    expected_version: i64,
) -> Result<i64, StoreError> {
    let result = people::Entity::update_many()
        .set(details_model(details))
        .col_expr(
            people::Column::Version,
            Expr::col(people::Column::Version).add(1),
        )
        .filter(people::Column::Id.eq(person.get()))
        .filter(people::Column::Version.eq(expected_version))
        .exec(&tx.tx)
        .await
        .map_err(store_error)?;
    if result.rows_affected == 0 {
        return Err(StoreError::Conflict(Conflict::Stale(DomainEntity::Person)));
    }
    Ok(expected_version + 1)
}

pub(super) async fn assign_registration_number(
    tx: &mut StoreTx,
    person: PersonId,
    year: u16,
) -> Result<RegistrationNumber, StoreError> {
    let current = people::Entity::find_by_id(person.get())
        .one(&tx.tx)
        .await
        .map_err(store_error)?
        .ok_or_else(|| unexpected(format!("no person {person}")))?;
    if let Some(number) = current.registration_number {
        return RegistrationNumber::parse(&number).map_err(unexpected);
    }
    // One statement takes the next serial of the year, creating the counter at 1.
    let statement = Query::insert()
        .into_table(registration_serials::Entity)
        .columns([
            registration_serials::Column::Year,
            registration_serials::Column::LastSerial,
        ])
        .values_panic([i32::from(year).into(), 1.into()])
        .on_conflict(
            OnConflict::column(registration_serials::Column::Year)
                .value(
                    registration_serials::Column::LastSerial,
                    Expr::col((
                        registration_serials::Entity,
                        registration_serials::Column::LastSerial,
                    ))
                    .add(1),
                )
                .to_owned(),
        )
        .returning_col(registration_serials::Column::LastSerial)
        .to_owned();
    let row = tx
        .tx
        .query_one(&statement)
        .await
        .map_err(store_error)?
        .ok_or_else(|| unexpected("the serial counter returned nothing"))?;
    let serial: i32 = row.try_get("", "last_serial").map_err(store_error)?;
    let number =
        RegistrationNumber::new(year, u32::try_from(serial).unwrap_or(0)).map_err(unexpected)?;
    let result = people::Entity::update_many()
        .col_expr(
            people::Column::RegistrationNumber,
            Expr::value(number.to_string()),
        )
        .filter(people::Column::Id.eq(person.get()))
        .filter(people::Column::RegistrationNumber.is_null())
        .exec(&tx.tx)
        .await
        .map_err(store_error)?;
    if result.rows_affected == 0 {
        return Err(StoreError::Conflict(Conflict::Stale(DomainEntity::Person)));
    }
    Ok(number)
}

pub(super) async fn qualifications(
    tx: &mut StoreTx,
    person: PersonId,
) -> Result<Vec<Qualification>, StoreError> {
    qualifications::Entity::find()
        .filter(qualifications::Column::PersonId.eq(person.get()))
        .order_by_asc(qualifications::Column::ItemCode)
        .all(&tx.tx)
        .await
        .map_err(store_error)?
        .into_iter()
        .map(|row| {
            Ok(Qualification {
                person,
                item: code(&row.item_code)?,
                exam_date: row.exam_date,
                published_on: row.published_on,
            })
        })
        .collect()
}

pub(super) async fn insert_qualification(
    tx: &mut StoreTx,
    q: &Qualification,
) -> Result<(), StoreError> {
    qualifications::Entity::insert(qualifications::ActiveModel {
        person_id: Set(q.person.get()),
        item_code: Set(q.item.as_str().to_owned()),
        exam_date: Set(q.exam_date),
        published_on: Set(q.published_on),
    })
    .exec_without_returning(&tx.tx)
    .await
    .map_err(|e| unique_or(e, |_| StoreError::Duplicate(Duplicate::Qualification)))?;
    Ok(())
}

//! Training courses with their items, attendance entries, on-site assessments.

use registry_core::assessment::{AssessmentDetails, OnSiteAssessment};
use registry_core::education::{Attendance, CourseDetails, NewAttendance, TrainingCourse};
use registry_core::ids::{AssessmentId, AttendanceId, CourseId, InstitutionId, PersonId};
use registry_core::ports::{Conflict, Entity as DomainEntity, StoreError};

use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};

use super::StoreTx;
use crate::convert::*;
use crate::entity::{assessments, attendance, course_items, courses};
use crate::error::store_error;

pub(super) async fn course(
    tx: &mut StoreTx,
    id: CourseId,
) -> Result<Option<TrainingCourse>, StoreError> {
    Ok(tx.courses_by_ids(vec![id.get()]).await?.into_iter().next())
}

pub(super) async fn insert_course(
    tx: &mut StoreTx,
    details: &CourseDetails,
    provider: Option<registry_core::ids::ProviderId>,
) -> Result<CourseId, StoreError> {
    let inserted = courses::Entity::insert(courses::ActiveModel {
        id: NotSet,
        provider_id: Set(provider.map(registry_core::ids::ProviderId::get)),
        name: Set(details.name.as_str().to_owned()),
        start_date: Set(details.start),
        end_date: Set(details.end),
        hours_tenths: Set(tenths(details.hours.get())),
    })
    .exec(&tx.tx)
    .await
    .map_err(store_error)?;
    let id = inserted.last_insert_id;
    let rows: Vec<course_items::ActiveModel> = details
        .items
        .iter()
        .map(|item| course_items::ActiveModel {
            course_id: Set(id),
            item_code: Set(item.as_str().to_owned()),
        })
        .collect();
    if !rows.is_empty() {
        course_items::Entity::insert_many(rows)
            .exec_without_returning(&tx.tx)
            .await
            .map_err(store_error)?;
    }
    Ok(CourseId::new(id))
}

pub(super) async fn courses_of(
    tx: &mut StoreTx,
    person: PersonId,
) -> Result<Vec<TrainingCourse>, StoreError> {
    let mut ids: Vec<i64> = attendance::Entity::find()
        .filter(attendance::Column::PersonId.eq(person.get()))
        .all(&tx.tx)
        .await
        .map_err(store_error)?
        .iter()
        .map(|a| a.course_id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    tx.courses_by_ids(ids).await
}

pub(super) async fn attendance_of(
    tx: &mut StoreTx,
    person: PersonId,
) -> Result<Vec<Attendance>, StoreError> {
    Ok(attendance::Entity::find()
        .filter(attendance::Column::PersonId.eq(person.get()))
        .order_by_asc(attendance::Column::Id)
        .all(&tx.tx)
        .await
        .map_err(store_error)?
        .into_iter()
        .map(attendance_from_row)
        .collect())
}

pub(super) async fn insert_attendance(
    tx: &mut StoreTx,
    entry: &NewAttendance,
) -> Result<AttendanceId, StoreError> {
    let inserted = attendance::Entity::insert(attendance::ActiveModel {
        id: NotSet,
        course_id: Set(entry.course.get()),
        person_id: Set(entry.person.get()),
        hours_tenths: Set(tenths(entry.hours)),
        reverses_id: Set(entry.reverses.map(AttendanceId::get)),
        recorded_on: Set(entry.recorded_on),
    })
    .exec(&tx.tx)
    .await
    .map_err(|e| {
        // The only unique column: an entry is reversed at most once.
        unique_or(e, |_| {
            StoreError::Conflict(Conflict::Stale(DomainEntity::Attendance))
        })
    })?;
    Ok(AttendanceId::new(inserted.last_insert_id))
}

pub(super) async fn attendance_entry(
    tx: &mut StoreTx,
    id: AttendanceId,
) -> Result<Option<Attendance>, StoreError> {
    Ok(attendance::Entity::find_by_id(id.get())
        .one(&tx.tx)
        .await
        .map_err(store_error)?
        .map(attendance_from_row))
}

pub(super) async fn assessments_of(
    tx: &mut StoreTx,
    person: PersonId,
) -> Result<Vec<OnSiteAssessment>, StoreError> {
    assessments::Entity::find()
        .filter(assessments::Column::PersonId.eq(person.get()))
        .order_by_asc(assessments::Column::StartDate)
        .all(&tx.tx)
        .await
        .map_err(store_error)?
        .into_iter()
        .map(assessment_from_row)
        .collect()
}

pub(super) async fn insert_assessment(
    tx: &mut StoreTx,
    person: PersonId,
    recorded_by: Option<InstitutionId>,
    d: &AssessmentDetails,
) -> Result<AssessmentId, StoreError> {
    let inserted = assessments::Entity::insert(assessments::ActiveModel {
        id: NotSet,
        person_id: Set(person.get()),
        recorded_by: Set(recorded_by.map(InstitutionId::get)),
        applicant_unit: Set(d.applicant_unit.as_str().to_owned()),
        item_code: Set(d.item.as_str().to_owned()),
        start_date: Set(d.start),
        end_date: Set(d.end),
        kind: Set(d.kind.code().to_owned()),
        working_days: Set(i32::try_from(d.working_days).unwrap_or(i32::MAX)),
    })
    .exec(&tx.tx)
    .await
    .map_err(store_error)?;
    Ok(AssessmentId::new(inserted.last_insert_id))
}

impl StoreTx {
    pub(crate) async fn courses_by_ids(
        &self,
        ids: Vec<i64>,
    ) -> Result<Vec<TrainingCourse>, StoreError> {
        courses_by_ids(&self.tx, ids).await
    }
}

/// The courses with these ids, with their items (the two queries at once).
pub(crate) async fn courses_by_ids<C: ConnectionTrait>(
    db: &C,
    ids: Vec<i64>,
) -> Result<Vec<TrainingCourse>, StoreError> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let (rows, items) = tokio::try_join!(
        courses::Entity::find()
            .filter(courses::Column::Id.is_in(ids.clone()))
            .order_by_asc(courses::Column::Id)
            .all(db),
        course_items::Entity::find()
            .filter(course_items::Column::CourseId.is_in(ids))
            .all(db),
    )
    .map_err(store_error)?;
    rows.into_iter()
        .map(|row| {
            let mine = items
                .iter()
                .filter(|i| i.course_id == row.id)
                .cloned()
                .collect();
            course_from_rows(row, mine)
        })
        .collect()
}

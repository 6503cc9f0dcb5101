//! The core's `RegisterTx` on a sea-orm transaction: rows in, domain types out.

use std::collections::BTreeMap;
use std::sync::Arc;

use registry_core::access::{Account, AccountId, PasswordHash, Role, Username};
use registry_core::assessment::{AssessmentDetails, AssessmentKind, OnSiteAssessment};
use registry_core::calendar::CalendarEntry;
use registry_core::cycle::{Cycles, RegistrationCycle};
use registry_core::document::{
    Document, DocumentKind, Mailing, NewDocument, VerificationCode, VerificationToken, VoidReason,
    Voiding,
};
use registry_core::education::{Attendance, CourseDetails, Hours, NewAttendance, TrainingCourse};
use registry_core::holding::{
    Employment, EntryProgress, FillInPasswordHash, Holding, ItemState, NewHolding,
    RegistrationPeriod, RegistrationRecord,
};
use registry_core::ids::{
    AssessmentId, AttendanceId, CourseId, CycleId, DocumentId, HoldingId, InstitutionId, PersonId,
};
use registry_core::institution::{Institution, InstitutionDetails};
use registry_core::person::{AssessorDetails, DetailsForm, Person, PersonName};
use registry_core::policy::Policy;
use registry_core::ports::{
    AuditRecord, Conflict, Duplicate, Entity as DomainEntity, RegisterTx, StoreError,
};
use registry_core::qualification::Qualification;
use registry_core::registration_number::RegistrationNumber;
use registry_core::resident_id::{ResidentId, Sex};
use registry_core::review_item::ReviewItemCode;
use registry_core::text::Text;
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use time::Date;

use crate::entity::{
    accounts, assessments, attendance, audit_log, calendar_days, course_items, courses, cycles,
    document_items, documents, employments, holdings, institutions, people, qualifications,
    registration_serials, registrations,
};
use crate::error::{Failure, classify, store_error};
use crate::keys::DataKey;
use crate::url::Engine;

/// A transaction on the register's database.
pub struct StoreTx {
    pub(crate) tx: DatabaseTransaction,
    pub(crate) key: Arc<DataKey>,
    pub(crate) engine: Engine,
    /// The place in the queue of SQLite writers, released when the transaction ends.
    pub(crate) _writer: Option<tokio::sync::OwnedMutexGuard<()>>,
    /// For a write transaction: marks the data changed when it begins and when it ends.
    pub(crate) _changes: Option<Changes>,
}

/// Moves the public cache's generation on when a write transaction begins and when it
/// ends, committed or not (see [`crate::cache`]).
pub(crate) struct Changes(Arc<crate::cache::PublicCache>);

impl Changes {
    pub(crate) fn begin(cache: Arc<crate::cache::PublicCache>) -> Changes {
        cache.changed();
        Changes(cache)
    }
}

impl Drop for Changes {
    fn drop(&mut self) {
        self.0.changed();
    }
}

impl std::fmt::Debug for StoreTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreTx")
            .field("engine", &self.engine)
            .finish()
    }
}

fn unexpected(what: impl std::fmt::Display) -> StoreError {
    StoreError::Unexpected(what.to_string())
}

/// Maps the expected unique violation to `on_unique`, anything else generically.
fn unique_or(e: sea_orm::DbErr, on_unique: impl FnOnce(&str) -> StoreError) -> StoreError {
    match classify(&e) {
        Failure::Unique(constraint) => on_unique(&constraint),
        _ => store_error(e),
    }
}

pub(crate) fn sex_code(sex: Sex) -> &'static str {
    match sex {
        Sex::Male => "M",
        Sex::Female => "F",
    }
}

pub(crate) fn tenths(hours: Decimal) -> i32 {
    (hours * Decimal::from(10))
        .trunc()
        .to_string()
        .parse()
        .unwrap_or(0)
}

pub(crate) fn from_tenths(tenths: i32) -> Decimal {
    Decimal::new(i64::from(tenths), 1).normalize()
}

pub(crate) fn person_from_row(row: people::Model, key: &DataKey) -> Result<Person, StoreError> {
    let resident_id = key.decrypt(&row.id_cipher).map_err(unexpected)?;
    let name = PersonName::parse(&row.name).map_err(unexpected)?;
    let text = |v: Option<String>| v.unwrap_or_default();
    let form = DetailsForm {
        sex: row
            .detail_sex
            .as_deref()
            .and_then(Sex::parse)
            .map(|s| s.label().to_owned())
            .unwrap_or_default(),
        ethnicity: text(row.ethnicity),
        education: text(row.education),
        school: text(row.school),
        major: text(row.major),
        title: text(row.title),
        work_unit: text(row.work_unit),
        position: text(row.position),
        mobile: text(row.mobile),
        email: text(row.email),
        province: text(row.province),
        city: text(row.city),
        district: text(row.district),
        street: text(row.street),
        postcode: text(row.postcode),
    };
    let details = AssessorDetails::parse(&form, &resident_id).map_err(|v| {
        unexpected(format!(
            "stored details of person {} no longer parse: {v}",
            row.id
        ))
    })?;
    let registration_number = row
        .registration_number
        .as_deref()
        .map(RegistrationNumber::parse)
        .transpose()
        .map_err(unexpected)?;
    Ok(Person {
        id: PersonId::new(row.id),
        name,
        resident_id,
        details,
        registration_number,
        version: row.version,
    })
}

fn optional(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_owned())
}

/// The details columns of a person, as an active model with only those set.
fn details_model(details: &AssessorDetails) -> people::ActiveModel {
    let form = details.to_form();
    people::ActiveModel {
        detail_sex: Set(Sex::parse(&form.sex).map(|s| sex_code(s).to_owned())),
        ethnicity: Set(optional(&form.ethnicity)),
        education: Set(optional(&form.education)),
        school: Set(optional(&form.school)),
        major: Set(optional(&form.major)),
        title: Set(optional(&form.title)),
        work_unit: Set(optional(&form.work_unit)),
        position: Set(optional(&form.position)),
        mobile: Set(optional(&form.mobile)),
        email: Set(optional(&form.email)),
        province: Set(optional(&form.province)),
        city: Set(optional(&form.city)),
        district: Set(optional(&form.district)),
        street: Set(optional(&form.street)),
        postcode: Set(optional(&form.postcode)),
        ..Default::default()
    }
}

fn text(value: &str, max: usize) -> Result<Text, StoreError> {
    Text::parse(value, max).map_err(|p| unexpected(format!("stored text {value:?}: {p:?}")))
}

fn optional_text(value: Option<&str>, max: usize) -> Result<Option<Text>, StoreError> {
    value.map(|v| text(v, max)).transpose()
}

pub(crate) fn institution_from_row(row: institutions::Model) -> Result<Institution, StoreError> {
    let credit_code =
        registry_core::credit_code::CreditCode::parse(&row.credit_code).map_err(unexpected)?;
    Ok(Institution {
        id: InstitutionId::new(row.id),
        details: InstitutionDetails {
            name: text(&row.name, 100)?,
            number: text(&row.number, 32)?,
            credit_code,
            provincial_number: optional_text(row.provincial_number.as_deref(), 40)?,
            national_number: optional_text(row.national_number.as_deref(), 40)?,
            contact: optional_text(row.contact.as_deref(), 100)?,
        },
        active: row.active,
        version: row.version,
    })
}

fn institution_model(details: &InstitutionDetails) -> institutions::ActiveModel {
    let owned = |t: &Option<Text>| t.as_ref().map(|t| t.as_str().to_owned());
    institutions::ActiveModel {
        name: Set(details.name.as_str().to_owned()),
        number: Set(details.number.as_str().to_owned()),
        credit_code: Set(details.credit_code.as_str().to_owned()),
        provincial_number: Set(owned(&details.provincial_number)),
        national_number: Set(owned(&details.national_number)),
        contact: Set(owned(&details.contact)),
        ..Default::default()
    }
}

fn institution_duplicate(constraint: &str) -> StoreError {
    if constraint.contains("credit_code") {
        StoreError::Duplicate(Duplicate::CreditCode)
    } else {
        StoreError::Duplicate(Duplicate::InstitutionNumber)
    }
}

fn code(text: &str) -> Result<ReviewItemCode, StoreError> {
    ReviewItemCode::parse(text).map_err(unexpected)
}

pub(crate) fn holding_from_row(row: holdings::Model) -> Result<Holding, StoreError> {
    let state = ItemState::from_code(&row.state)
        .ok_or_else(|| unexpected(format!("unknown holding state {}", row.state)))?;
    let registration = match (
        row.cycle_id,
        row.registered_on,
        row.valid_from,
        row.valid_until,
    ) {
        (Some(cycle), Some(registered_on), Some(valid_from), Some(valid_until)) => {
            Some(RegistrationPeriod {
                cycle: CycleId::new(cycle),
                registered_on,
                valid_from,
                valid_until,
            })
        }
        _ => None,
    };
    Ok(Holding {
        id: HoldingId::new(row.id),
        person: PersonId::new(row.person_id),
        item: code(&row.item_code)?,
        institution: InstitutionId::new(row.institution_id),
        state,
        since: row.since,
        registration,
        released_on: row.released_on,
        release_reason: optional_text(row.release_reason.as_deref(), 200)?,
        version: row.version,
    })
}

fn employment_from_row(row: employments::Model) -> Result<Employment, StoreError> {
    Ok(Employment {
        person: PersonId::new(row.person_id),
        institution: InstitutionId::new(row.institution_id),
        password: FillInPasswordHash::new(row.password_hash),
        progress: EntryProgress::from_code(&row.progress)
            .ok_or_else(|| unexpected(format!("unknown progress {}", row.progress)))?,
        since: row.since,
        version: row.version,
    })
}

pub(crate) fn policy_from_row(row: &cycles::Model) -> Policy {
    let number = |v: i32| u32::try_from(v).unwrap_or(0);
    Policy {
        cycle_years: number(row.cycle_years),
        exam_age_limit: number(row.exam_age_limit),
        registration_age_limit: number(row.registration_age_limit),
        certificate_renewal_age_limit: number(row.certificate_renewal_age_limit),
        hours_required: from_tenths(row.hours_required_tenths),
        require_item_coverage: row.require_item_coverage,
        certificate_due_working_days: number(row.certificate_due_working_days),
        publication_due_working_days: number(row.publication_due_working_days),
        renewal_window_months: number(row.renewal_window_months),
    }
}

fn cycle_model(name: &Text, start: Date, end: Date, policy: &Policy) -> cycles::ActiveModel {
    let number = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
    cycles::ActiveModel {
        id: NotSet,
        name: Set(name.as_str().to_owned()),
        start_date: Set(start),
        end_date: Set(end),
        cycle_years: Set(number(policy.cycle_years)),
        exam_age_limit: Set(number(policy.exam_age_limit)),
        registration_age_limit: Set(number(policy.registration_age_limit)),
        certificate_renewal_age_limit: Set(number(policy.certificate_renewal_age_limit)),
        hours_required_tenths: Set(tenths(policy.hours_required)),
        require_item_coverage: Set(policy.require_item_coverage),
        certificate_due_working_days: Set(number(policy.certificate_due_working_days)),
        publication_due_working_days: Set(number(policy.publication_due_working_days)),
        renewal_window_months: Set(number(policy.renewal_window_months)),
    }
}

pub(crate) fn cycles_from_rows(rows: Vec<cycles::Model>) -> Result<Cycles, StoreError> {
    let list = rows
        .into_iter()
        .map(|row| {
            RegistrationCycle::new(
                CycleId::new(row.id),
                text(&row.name, 40)?,
                row.start_date,
                row.end_date,
                policy_from_row(&row),
            )
            .map_err(unexpected)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Cycles::new(list).map_err(unexpected)
}

fn course_from_rows(
    row: courses::Model,
    items: Vec<course_items::Model>,
) -> Result<TrainingCourse, StoreError> {
    let hours = Hours::new(from_tenths(row.hours_tenths))
        .ok_or_else(|| unexpected(format!("course {} has invalid hours", row.id)))?;
    Ok(TrainingCourse {
        id: CourseId::new(row.id),
        details: CourseDetails {
            name: text(&row.name, 100)?,
            start: row.start_date,
            end: row.end_date,
            items: items
                .iter()
                .map(|i| code(&i.item_code))
                .collect::<Result<_, _>>()?,
            hours,
        },
    })
}

pub(crate) fn attendance_from_row(row: attendance::Model) -> Attendance {
    Attendance {
        id: AttendanceId::new(row.id),
        course: CourseId::new(row.course_id),
        person: PersonId::new(row.person_id),
        hours: from_tenths(row.hours_tenths),
        reverses: row.reverses_id.map(AttendanceId::new),
        recorded_on: row.recorded_on,
    }
}

pub(crate) fn assessment_from_row(row: assessments::Model) -> Result<OnSiteAssessment, StoreError> {
    Ok(OnSiteAssessment {
        id: AssessmentId::new(row.id),
        person: PersonId::new(row.person_id),
        recorded_by: row.recorded_by.map(InstitutionId::new),
        details: AssessmentDetails {
            applicant_unit: text(&row.applicant_unit, 100)?,
            item: code(&row.item_code)?,
            start: row.start_date,
            end: row.end_date,
            kind: AssessmentKind::parse(&row.kind)
                .ok_or_else(|| unexpected(format!("unknown assessment kind {}", row.kind)))?,
            working_days: u32::try_from(row.working_days).unwrap_or(0),
        },
    })
}

pub(crate) fn account_from_row(row: accounts::Model) -> Result<Account, StoreError> {
    let role = match (row.role.as_str(), row.institution_id) {
        ("association", None) => Role::Association,
        ("institution", Some(id)) => Role::Institution(InstitutionId::new(id)),
        (role, _) => return Err(unexpected(format!("account {} has role {role}", row.id))),
    };
    Ok(Account {
        id: AccountId::new(row.id),
        username: Username::parse(&row.username).map_err(unexpected)?,
        role,
        password: PasswordHash::new(row.password_hash),
        active: row.active,
        must_change_password: row.must_change_password,
        version: row.version,
    })
}

pub(crate) fn document_from_row(
    row: documents::Model,
    items: Vec<ReviewItemCode>,
) -> Result<Document, StoreError> {
    let kind = DocumentKind::from_code(&row.kind)
        .ok_or_else(|| unexpected(format!("unknown document kind {}", row.kind)))?;
    let token = VerificationToken::parse(&row.token)
        .ok_or_else(|| unexpected(format!("document {} has a malformed token", row.id)))?;
    let code = VerificationCode::parse(&row.code)
        .ok_or_else(|| unexpected(format!("document {} has a malformed code", row.id)))?;
    let mailed = match (row.mailed_on, row.tracking) {
        (Some(on), Some(tracking)) => Some(Mailing {
            on,
            tracking: text(&tracking, 40)?,
        }),
        _ => None,
    };
    let voided = match (row.voided_on, row.void_reason.as_deref()) {
        (Some(on), Some(reason)) => Some(Voiding {
            on,
            reason: VoidReason::from_code(reason)
                .ok_or_else(|| unexpected(format!("unknown void reason {reason}")))?,
        }),
        _ => None,
    };
    Ok(Document {
        id: DocumentId::new(row.id),
        details: NewDocument {
            kind,
            person: PersonId::new(row.person_id),
            institution: row.institution_id.map(InstitutionId::new),
            items,
            token,
            code,
            created_on: row.created_on,
            pass_list: row.pass_list,
            valid_until: row.valid_until,
            replaces: row.replaces_id.map(DocumentId::new),
        },
        mailed,
        voided,
        version: row.version,
    })
}

impl StoreTx {
    /// Documents with their items (in the order printed).
    pub(crate) async fn documents_with_items(
        &self,
        rows: Vec<documents::Model>,
    ) -> Result<Vec<Document>, StoreError> {
        if rows.is_empty() {
            return Ok(vec![]);
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut items: BTreeMap<i64, Vec<ReviewItemCode>> = BTreeMap::new();
        for row in document_items::Entity::find()
            .filter(document_items::Column::DocumentId.is_in(ids))
            .order_by_asc(document_items::Column::DocumentId)
            .order_by_asc(document_items::Column::Position)
            .all(&self.tx)
            .await
            .map_err(store_error)?
        {
            items
                .entry(row.document_id)
                .or_default()
                .push(code(&row.item_code)?);
        }
        rows.into_iter()
            .map(|row| {
                let listed = items.remove(&row.id).unwrap_or_default();
                document_from_row(row, listed)
            })
            .collect()
    }

    async fn one_document(
        &self,
        filter: sea_orm::sea_query::SimpleExpr,
    ) -> Result<Option<Document>, StoreError> {
        let rows = documents::Entity::find()
            .filter(filter)
            .all(&self.tx)
            .await
            .map_err(store_error)?;
        Ok(self.documents_with_items(rows).await?.into_iter().next())
    }

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

impl RegisterTx for StoreTx {
    async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await.map_err(store_error)
    }

    async fn person(&mut self, id: PersonId) -> Result<Option<Person>, StoreError> {
        let row = people::Entity::find_by_id(id.get())
            .one(&self.tx)
            .await
            .map_err(store_error)?;
        row.map(|r| person_from_row(r, &self.key)).transpose()
    }

    async fn lock_person(&mut self, id: PersonId) -> Result<Option<Person>, StoreError> {
        let mut query = people::Entity::find_by_id(id.get());
        if self.engine == Engine::Postgres {
            query = query.lock_exclusive();
        }
        let row = query.one(&self.tx).await.map_err(store_error)?;
        row.map(|r| person_from_row(r, &self.key)).transpose()
    }

    async fn person_by_resident_id(
        &mut self,
        id: &ResidentId,
    ) -> Result<Option<Person>, StoreError> {
        let row = people::Entity::find()
            .filter(people::Column::IdHash.eq(self.key.hash(id)))
            .one(&self.tx)
            .await
            .map_err(store_error)?;
        row.map(|r| person_from_row(r, &self.key)).transpose()
    }

    async fn person_by_registration_number(
        &mut self,
        number: RegistrationNumber,
    ) -> Result<Option<Person>, StoreError> {
        let row = people::Entity::find()
            .filter(people::Column::RegistrationNumber.eq(number.to_string()))
            .one(&self.tx)
            .await
            .map_err(store_error)?;
        row.map(|r| person_from_row(r, &self.key)).transpose()
    }

    async fn insert_person(
        &mut self,
        name: &PersonName,
        resident_id: &ResidentId,
    ) -> Result<PersonId, StoreError> {
        let row = people::ActiveModel {
            id: NotSet,
            name: Set(name.as_str().to_owned()),
            id_hash: Set(self.key.hash(resident_id)),
            id_cipher: Set(self.key.encrypt(resident_id).map_err(unexpected)?),
            id_masked: Set(resident_id.masked()),
            birth_date: Set(resident_id.birth_date()),
            sex: Set(sex_code(resident_id.sex()).to_owned()),
            registration_number: Set(None),
            version: Set(1),
            ..details_model(&AssessorDetails::default())
        };
        let inserted = people::Entity::insert(row)
            .exec(&self.tx)
            .await
            .map_err(|e| unique_or(e, |_| StoreError::Duplicate(Duplicate::ResidentId)))?;
        Ok(PersonId::new(inserted.last_insert_id))
    }

    async fn update_details(
        &mut self,
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
            .exec(&self.tx)
            .await
            .map_err(store_error)?;
        if result.rows_affected == 0 {
            return Err(StoreError::Conflict(Conflict::Stale(DomainEntity::Person)));
        }
        Ok(expected_version + 1)
    }

    async fn assign_registration_number(
        &mut self,
        person: PersonId,
        year: u16,
    ) -> Result<RegistrationNumber, StoreError> {
        let current = people::Entity::find_by_id(person.get())
            .one(&self.tx)
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
        let row = self
            .tx
            .query_one(&statement)
            .await
            .map_err(store_error)?
            .ok_or_else(|| unexpected("the serial counter returned nothing"))?;
        let serial: i32 = row.try_get("", "last_serial").map_err(store_error)?;
        let number = RegistrationNumber::new(year, u32::try_from(serial).unwrap_or(0))
            .map_err(unexpected)?;
        let result = people::Entity::update_many()
            .col_expr(
                people::Column::RegistrationNumber,
                Expr::value(number.to_string()),
            )
            .filter(people::Column::Id.eq(person.get()))
            .filter(people::Column::RegistrationNumber.is_null())
            .exec(&self.tx)
            .await
            .map_err(store_error)?;
        if result.rows_affected == 0 {
            return Err(StoreError::Conflict(Conflict::Stale(DomainEntity::Person)));
        }
        Ok(number)
    }

    async fn qualifications(&mut self, person: PersonId) -> Result<Vec<Qualification>, StoreError> {
        qualifications::Entity::find()
            .filter(qualifications::Column::PersonId.eq(person.get()))
            .order_by_asc(qualifications::Column::ItemCode)
            .all(&self.tx)
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

    async fn insert_qualification(&mut self, q: &Qualification) -> Result<(), StoreError> {
        qualifications::Entity::insert(qualifications::ActiveModel {
            person_id: Set(q.person.get()),
            item_code: Set(q.item.as_str().to_owned()),
            exam_date: Set(q.exam_date),
            published_on: Set(q.published_on),
        })
        .exec_without_returning(&self.tx)
        .await
        .map_err(|e| unique_or(e, |_| StoreError::Duplicate(Duplicate::Qualification)))?;
        Ok(())
    }

    async fn institution(&mut self, id: InstitutionId) -> Result<Option<Institution>, StoreError> {
        institutions::Entity::find_by_id(id.get())
            .one(&self.tx)
            .await
            .map_err(store_error)?
            .map(institution_from_row)
            .transpose()
    }

    async fn insert_institution(
        &mut self,
        details: &InstitutionDetails,
    ) -> Result<InstitutionId, StoreError> {
        let row = institutions::ActiveModel {
            id: NotSet,
            active: Set(true),
            version: Set(1),
            ..institution_model(details)
        };
        let inserted = institutions::Entity::insert(row)
            .exec(&self.tx)
            .await
            .map_err(|e| unique_or(e, institution_duplicate))?;
        Ok(InstitutionId::new(inserted.last_insert_id))
    }

    async fn update_institution(&mut self, institution: &Institution) -> Result<i64, StoreError> {
        let model = institutions::ActiveModel {
            active: Set(institution.active),
            ..institution_model(&institution.details)
        };
        let result = institutions::Entity::update_many()
            .set(model)
            .col_expr(
                institutions::Column::Version,
                Expr::col(institutions::Column::Version).add(1),
            )
            .filter(institutions::Column::Id.eq(institution.id.get()))
            .filter(institutions::Column::Version.eq(institution.version))
            .exec(&self.tx)
            .await
            .map_err(|e| unique_or(e, institution_duplicate))?;
        if result.rows_affected == 0 {
            return Err(StoreError::Conflict(Conflict::Stale(
                DomainEntity::Institution,
            )));
        }
        Ok(institution.version + 1)
    }

    async fn employment(
        &mut self,
        person: PersonId,
        institution: InstitutionId,
    ) -> Result<Option<Employment>, StoreError> {
        employments::Entity::find_by_id((person.get(), institution.get()))
            .one(&self.tx)
            .await
            .map_err(store_error)?
            .map(employment_from_row)
            .transpose()
    }

    async fn employments_of(&mut self, person: PersonId) -> Result<Vec<Employment>, StoreError> {
        employments::Entity::find()
            .filter(employments::Column::PersonId.eq(person.get()))
            .order_by_asc(employments::Column::InstitutionId)
            .all(&self.tx)
            .await
            .map_err(store_error)?
            .into_iter()
            .map(employment_from_row)
            .collect()
    }

    async fn insert_employment(&mut self, e: &Employment) -> Result<(), StoreError> {
        employments::Entity::insert(employments::ActiveModel {
            person_id: Set(e.person.get()),
            institution_id: Set(e.institution.get()),
            password_hash: Set(e.password.as_str().to_owned()),
            progress: Set(e.progress.code().to_owned()),
            since: Set(e.since),
            version: Set(1),
        })
        .exec_without_returning(&self.tx)
        .await
        .map_err(|err| unique_or(err, |_| StoreError::Duplicate(Duplicate::Employment)))?;
        Ok(())
    }

    async fn update_employment(&mut self, e: &Employment) -> Result<i64, StoreError> {
        let result = employments::Entity::update_many()
            .col_expr(
                employments::Column::PasswordHash,
                Expr::value(e.password.as_str()),
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
            .exec(&self.tx)
            .await
            .map_err(store_error)?;
        if result.rows_affected == 0 {
            return Err(StoreError::Conflict(Conflict::Stale(
                DomainEntity::Employment,
            )));
        }
        Ok(e.version + 1)
    }

    async fn holdings_of(&mut self, person: PersonId) -> Result<Vec<Holding>, StoreError> {
        holdings::Entity::find()
            .filter(holdings::Column::PersonId.eq(person.get()))
            .order_by_asc(holdings::Column::Id)
            .all(&self.tx)
            .await
            .map_err(store_error)?
            .into_iter()
            .map(holding_from_row)
            .collect()
    }

    async fn insert_holding(&mut self, new: &NewHolding) -> Result<Holding, StoreError> {
        let row = holdings::ActiveModel {
            id: NotSet,
            person_id: Set(new.person.get()),
            item_code: Set(new.item.as_str().to_owned()),
            institution_id: Set(new.institution.get()),
            state: Set(new.state.code().to_owned()),
            since: Set(new.since),
            cycle_id: Set(None),
            registered_on: Set(None),
            valid_from: Set(None),
            valid_until: Set(None),
            released_on: Set(None),
            release_reason: Set(None),
            version: Set(1),
        };
        let inserted = holdings::Entity::insert(row)
            .exec(&self.tx)
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
            registration: None,
            released_on: None,
            release_reason: None,
            version: 1,
        })
    }

    async fn update_holding(&mut self, h: &Holding) -> Result<i64, StoreError> {
        let period = h.registration.as_ref();
        let result = holdings::Entity::update_many()
            .col_expr(holdings::Column::State, Expr::value(h.state.code()))
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
            .exec(&self.tx)
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

    async fn registrations_of(
        &mut self,
        person: PersonId,
    ) -> Result<Vec<RegistrationRecord>, StoreError> {
        registrations::Entity::find()
            .filter(registrations::Column::PersonId.eq(person.get()))
            .order_by_asc(registrations::Column::Id)
            .all(&self.tx)
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

    async fn insert_registration(&mut self, r: &RegistrationRecord) -> Result<(), StoreError> {
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
        .exec_without_returning(&self.tx)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn calendar_entries(&mut self) -> Result<Vec<CalendarEntry>, StoreError> {
        calendar_days::Entity::find()
            .order_by_asc(calendar_days::Column::Day)
            .all(&self.tx)
            .await
            .map_err(store_error)?
            .into_iter()
            .map(crate::calendar_entry)
            .collect()
    }

    async fn replace_calendar_years(
        &mut self,
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
            .exec(&self.tx)
            .await
            .map_err(store_error)?;
        for chunk in entries.chunks(200) {
            calendar_days::Entity::insert_many(chunk.iter().map(|e| calendar_days::ActiveModel {
                day: Set(e.date),
                kind: Set(e.kind.as_str().to_owned()),
                name: Set(e.name.clone()),
            }))
            .exec_without_returning(&self.tx)
            .await
            .map_err(store_error)?;
        }
        Ok(())
    }

    async fn cycles(&mut self) -> Result<Cycles, StoreError> {
        let rows = cycles::Entity::find()
            .order_by_asc(cycles::Column::StartDate)
            .all(&self.tx)
            .await
            .map_err(store_error)?;
        cycles_from_rows(rows)
    }

    async fn insert_cycle(
        &mut self,
        name: &Text,
        start: Date,
        end: Date,
        policy: &Policy,
    ) -> Result<CycleId, StoreError> {
        let inserted = cycles::Entity::insert(cycle_model(name, start, end, policy))
            .exec(&self.tx)
            .await
            .map_err(store_error)?;
        Ok(CycleId::new(inserted.last_insert_id))
    }

    async fn update_cycle(&mut self, cycle: &RegistrationCycle) -> Result<(), StoreError> {
        let name = text(cycle.name(), 40)?;
        let model = cycles::ActiveModel {
            id: Set(cycle.id().get()),
            ..cycle_model(&name, cycle.start(), cycle.end(), cycle.policy())
        };
        model.update(&self.tx).await.map_err(store_error)?;
        Ok(())
    }

    async fn course(&mut self, id: CourseId) -> Result<Option<TrainingCourse>, StoreError> {
        Ok(self
            .courses_by_ids(vec![id.get()])
            .await?
            .into_iter()
            .next())
    }

    async fn insert_course(&mut self, details: &CourseDetails) -> Result<CourseId, StoreError> {
        let inserted = courses::Entity::insert(courses::ActiveModel {
            id: NotSet,
            name: Set(details.name.as_str().to_owned()),
            start_date: Set(details.start),
            end_date: Set(details.end),
            hours_tenths: Set(tenths(details.hours.get())),
        })
        .exec(&self.tx)
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
                .exec_without_returning(&self.tx)
                .await
                .map_err(store_error)?;
        }
        Ok(CourseId::new(id))
    }

    async fn courses_of(&mut self, person: PersonId) -> Result<Vec<TrainingCourse>, StoreError> {
        let mut ids: Vec<i64> = attendance::Entity::find()
            .filter(attendance::Column::PersonId.eq(person.get()))
            .all(&self.tx)
            .await
            .map_err(store_error)?
            .iter()
            .map(|a| a.course_id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        self.courses_by_ids(ids).await
    }

    async fn attendance_of(&mut self, person: PersonId) -> Result<Vec<Attendance>, StoreError> {
        Ok(attendance::Entity::find()
            .filter(attendance::Column::PersonId.eq(person.get()))
            .order_by_asc(attendance::Column::Id)
            .all(&self.tx)
            .await
            .map_err(store_error)?
            .into_iter()
            .map(attendance_from_row)
            .collect())
    }

    async fn insert_attendance(
        &mut self,
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
        .exec(&self.tx)
        .await
        .map_err(|e| {
            // The only unique column: an entry is reversed at most once.
            unique_or(e, |_| {
                StoreError::Conflict(Conflict::Stale(DomainEntity::Attendance))
            })
        })?;
        Ok(AttendanceId::new(inserted.last_insert_id))
    }

    async fn attendance_entry(
        &mut self,
        id: AttendanceId,
    ) -> Result<Option<Attendance>, StoreError> {
        Ok(attendance::Entity::find_by_id(id.get())
            .one(&self.tx)
            .await
            .map_err(store_error)?
            .map(attendance_from_row))
    }

    async fn assessments_of(
        &mut self,
        person: PersonId,
    ) -> Result<Vec<OnSiteAssessment>, StoreError> {
        assessments::Entity::find()
            .filter(assessments::Column::PersonId.eq(person.get()))
            .order_by_asc(assessments::Column::StartDate)
            .all(&self.tx)
            .await
            .map_err(store_error)?
            .into_iter()
            .map(assessment_from_row)
            .collect()
    }

    async fn insert_assessment(
        &mut self,
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
        .exec(&self.tx)
        .await
        .map_err(store_error)?;
        Ok(AssessmentId::new(inserted.last_insert_id))
    }

    async fn account(&mut self, id: AccountId) -> Result<Option<Account>, StoreError> {
        accounts::Entity::find_by_id(id.get())
            .one(&self.tx)
            .await
            .map_err(store_error)?
            .map(account_from_row)
            .transpose()
    }

    async fn account_by_username(
        &mut self,
        username: &Username,
    ) -> Result<Option<Account>, StoreError> {
        accounts::Entity::find()
            .filter(accounts::Column::Username.eq(username.as_str()))
            .one(&self.tx)
            .await
            .map_err(store_error)?
            .map(account_from_row)
            .transpose()
    }

    async fn account_of_institution(
        &mut self,
        institution: InstitutionId,
    ) -> Result<Option<Account>, StoreError> {
        accounts::Entity::find()
            .filter(accounts::Column::InstitutionId.eq(institution.get()))
            .one(&self.tx)
            .await
            .map_err(store_error)?
            .map(account_from_row)
            .transpose()
    }

    async fn insert_account(
        &mut self,
        username: &Username,
        role: Role,
        password: &PasswordHash,
        must_change_password: bool,
    ) -> Result<AccountId, StoreError> {
        let (role, institution) = match role {
            Role::Association => ("association", None),
            Role::Institution(id) => ("institution", Some(id.get())),
        };
        let inserted = accounts::Entity::insert(accounts::ActiveModel {
            id: NotSet,
            username: Set(username.as_str().to_owned()),
            role: Set(role.to_owned()),
            institution_id: Set(institution),
            password_hash: Set(password.as_str().to_owned()),
            active: Set(true),
            must_change_password: Set(must_change_password),
            version: Set(1),
        })
        .exec(&self.tx)
        .await
        .map_err(|e| unique_or(e, |_| StoreError::Duplicate(Duplicate::Username)))?;
        Ok(AccountId::new(inserted.last_insert_id))
    }

    async fn update_account(&mut self, account: &Account) -> Result<i64, StoreError> {
        let result = accounts::Entity::update_many()
            .col_expr(
                accounts::Column::PasswordHash,
                Expr::value(account.password.as_str()),
            )
            .col_expr(accounts::Column::Active, Expr::value(account.active))
            .col_expr(
                accounts::Column::MustChangePassword,
                Expr::value(account.must_change_password),
            )
            .col_expr(
                accounts::Column::Version,
                Expr::col(accounts::Column::Version).add(1),
            )
            .filter(accounts::Column::Id.eq(account.id.get()))
            .filter(accounts::Column::Version.eq(account.version))
            .exec(&self.tx)
            .await
            .map_err(store_error)?;
        if result.rows_affected == 0 {
            return Err(StoreError::Conflict(Conflict::Stale(DomainEntity::Account)));
        }
        Ok(account.version + 1)
    }

    async fn documents_of(&mut self, person: PersonId) -> Result<Vec<Document>, StoreError> {
        let rows = documents::Entity::find()
            .filter(documents::Column::PersonId.eq(person.get()))
            .order_by_asc(documents::Column::Id)
            .all(&self.tx)
            .await
            .map_err(store_error)?;
        self.documents_with_items(rows).await
    }

    async fn document(&mut self, id: DocumentId) -> Result<Option<Document>, StoreError> {
        self.one_document(documents::Column::Id.eq(id.get())).await
    }

    async fn document_by_token(
        &mut self,
        token: &VerificationToken,
    ) -> Result<Option<Document>, StoreError> {
        self.one_document(documents::Column::Token.eq(token.as_str()))
            .await
    }

    async fn document_by_code(
        &mut self,
        code: &VerificationCode,
    ) -> Result<Option<Document>, StoreError> {
        self.one_document(documents::Column::Code.eq(code.as_str()))
            .await
    }

    async fn insert_document(&mut self, d: &NewDocument) -> Result<DocumentId, StoreError> {
        let inserted = documents::Entity::insert(documents::ActiveModel {
            id: NotSet,
            kind: Set(d.kind.code().to_owned()),
            person_id: Set(d.person.get()),
            institution_id: Set(d.institution.map(InstitutionId::get)),
            token: Set(d.token.as_str().to_owned()),
            code: Set(d.code.as_str().to_owned()),
            created_on: Set(d.created_on),
            pass_list: Set(d.pass_list),
            valid_until: Set(d.valid_until),
            replaces_id: Set(d.replaces.map(DocumentId::get)),
            mailed_on: Set(None),
            tracking: Set(None),
            voided_on: Set(None),
            void_reason: Set(None),
            version: Set(0),
        })
        .exec(&self.tx)
        .await
        .map_err(|e| {
            unique_or(e, |constraint| {
                if constraint.contains("one_pending") {
                    StoreError::Conflict(Conflict::Stale(DomainEntity::Document))
                } else {
                    // A token or code drawn twice: run again with fresh keys.
                    StoreError::Retry
                }
            })
        })?;
        let id = inserted.last_insert_id;
        if !d.items.is_empty() {
            let rows =
                d.items
                    .iter()
                    .enumerate()
                    .map(|(position, item)| document_items::ActiveModel {
                        document_id: Set(id),
                        item_code: Set(item.as_str().to_owned()),
                        position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
                    });
            document_items::Entity::insert_many(rows)
                .exec(&self.tx)
                .await
                .map_err(store_error)?;
        }
        Ok(DocumentId::new(id))
    }

    async fn update_document(&mut self, document: &Document) -> Result<i64, StoreError> {
        let mailed = document.mailed.as_ref();
        let result = documents::Entity::update_many()
            .col_expr(
                documents::Column::MailedOn,
                Expr::value(mailed.map(|m| m.on)),
            )
            .col_expr(
                documents::Column::Tracking,
                Expr::value(mailed.map(|m| m.tracking.as_str().to_owned())),
            )
            .col_expr(
                documents::Column::VoidedOn,
                Expr::value(document.voided.map(|v| v.on)),
            )
            .col_expr(
                documents::Column::VoidReason,
                Expr::value(document.voided.map(|v| v.reason.code().to_owned())),
            )
            .col_expr(
                documents::Column::Version,
                Expr::col(documents::Column::Version).add(1),
            )
            .filter(documents::Column::Id.eq(document.id.get()))
            .filter(documents::Column::Version.eq(document.version))
            .exec(&self.tx)
            .await
            .map_err(store_error)?;
        if result.rows_affected == 0 {
            return Err(StoreError::Conflict(Conflict::Stale(
                DomainEntity::Document,
            )));
        }
        Ok(document.version + 1)
    }

    async fn audit(&mut self, record: &AuditRecord) -> Result<(), StoreError> {
        let json = |s: &Option<registry_core::ports::Snapshot>| {
            s.as_ref().map(|s| {
                let map: serde_json::Map<String, serde_json::Value> =
                    s.0.iter()
                        .map(|(k, v)| ((*k).to_owned(), serde_json::Value::String(v.clone())))
                        .collect();
                serde_json::Value::Object(map).to_string()
            })
        };
        audit_log::Entity::insert(audit_log::ActiveModel {
            id: NotSet,
            at: Set(record.at.to_offset(time::UtcOffset::UTC)),
            actor: Set(record.actor.describe()),
            action: Set(record.action.to_owned()),
            entity: Set(record.entity.code().to_owned()),
            entity_id: Set(record.entity_id),
            person_id: Set(record.person.map(PersonId::get)),
            before: Set(json(&record.before)),
            after: Set(json(&record.after)),
        })
        .exec_without_returning(&self.tx)
        .await
        .map_err(store_error)?;
        Ok(())
    }
}

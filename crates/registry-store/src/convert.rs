//! Rows to the core's types and back: every conversion between a table's row and a domain
//! value, in one place. A row that breaks a rule of its type is `StoreError::Unexpected`.

use registry_core::access::{Account, AccountId, Duty, PasswordHash, Role, Username};
use registry_core::assessment::{AssessmentDetails, AssessmentKind, OnSiteAssessment};
use registry_core::cycle::{Cycles, RegistrationCycle};
use registry_core::document::{
    Document, DocumentKind, Mailing, NewDocument, VerificationCode, VerificationToken, VoidReason,
    Voiding,
};
use registry_core::education::{Attendance, CourseDetails, Hours, TrainingCourse};
use registry_core::holding::{
    Employment, EntryProgress, FillInPasswordHash, Holding, ItemState, RegistrationPeriod,
};
use registry_core::ids::{
    AssessmentId, AttendanceId, CourseId, CycleId, DocumentId, HoldingId, InstitutionId, PersonId,
};
use registry_core::institution::{Institution, InstitutionDetails};
use registry_core::person::{AssessorDetails, DetailField, DetailsForm, Person, PersonName};
use registry_core::policy::{LateHours, Policy};
use registry_core::ports::{AuditRecord, Duplicate, StoreError};
use registry_core::registration_number::RegistrationNumber;
use registry_core::reminder::ReminderPolicy;
use registry_core::resident_id::Sex;
use registry_core::review_item::ReviewItemCode;
use registry_core::text::Text;
use rust_decimal::Decimal;
use std::str::FromStr;

use sea_orm::{ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ModelTrait};
use time::Date;

use crate::entity::{
    accounts, assessments, attendance, audit_log, course_items, courses, cycles, documents,
    employments, holdings, institutions, people,
};
use crate::error::{Failure, classify, store_error};
use crate::keys::DataKey;

pub(crate) fn unexpected(what: impl std::fmt::Display) -> StoreError {
    StoreError::Unexpected(what.to_string())
}

/// Maps the expected unique violation to `on_unique`, anything else generically.
pub(crate) fn unique_or(
    e: sea_orm::DbErr,
    on_unique: impl FnOnce(&str) -> StoreError,
) -> StoreError {
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
    let form = DetailsForm::from_fields(|field| {
        let stored = detail_column(field)
            .map(|column| row.get(column))
            .and_then(|value| match value {
                sea_orm::Value::String(text) => text,
                _ => None,
            })
            .unwrap_or_default();
        if field == DetailField::Sex {
            Sex::parse(&stored)
                .map(|s| s.label().to_owned())
                .unwrap_or_default()
        } else {
            stored
        }
    });
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

pub(crate) fn optional(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_owned())
}

/// The details columns of a person, as an active model with only those set.
/// The column of a filled-in detail: the field's code, except the sex, stored as its code
/// in `detail_sex` (`sex` is the one the ID number says). A detail added to the core's
/// form needs only its column (a migration, and its line in `entity.rs`).
fn detail_column(field: DetailField) -> Option<people::Column> {
    let name = match field {
        DetailField::Sex => "detail_sex",
        other => other.code(),
    };
    people::Column::from_str(name).ok()
}

/// The person's details as the columns of their row; every filled-in field is set (an
/// empty one to NULL).
pub(crate) fn details_model(details: &AssessorDetails) -> people::ActiveModel {
    details_columns(&details.to_form())
}

/// The columns of a form's filled-in fields (parsed before, or empty).
pub(crate) fn details_columns(form: &DetailsForm) -> people::ActiveModel {
    let mut model = <people::ActiveModel as Default>::default();
    for field in DetailField::FILLED_IN {
        let text = form.field(field);
        let value = if field == DetailField::Sex {
            Sex::parse(text).map(|s| sex_code(s).to_owned())
        } else {
            optional(text)
        };
        if let Some(column) = detail_column(field) {
            model.set(column, sea_orm::Value::String(value));
        }
    }
    model
}

pub(crate) fn text(value: &str, max: usize) -> Result<Text, StoreError> {
    Text::parse(value, max).map_err(|p| unexpected(format!("stored text {value:?}: {p:?}")))
}

pub(crate) fn optional_text(value: Option<&str>, max: usize) -> Result<Option<Text>, StoreError> {
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
            email: row
                .email
                .as_deref()
                .and_then(registry_core::person::Email::parse),
        },
        active: row.active,
        version: row.version,
    })
}

pub(crate) fn institution_model(details: &InstitutionDetails) -> institutions::ActiveModel {
    let owned = |t: &Option<Text>| t.as_ref().map(|t| t.as_str().to_owned());
    institutions::ActiveModel {
        name: Set(details.name.as_str().to_owned()),
        number: Set(details.number.as_str().to_owned()),
        credit_code: Set(details.credit_code.as_str().to_owned()),
        provincial_number: Set(owned(&details.provincial_number)),
        national_number: Set(owned(&details.national_number)),
        contact: Set(owned(&details.contact)),
        email: Set(details.email.as_ref().map(|e| e.as_str().to_owned())),
        ..Default::default()
    }
}

pub(crate) fn institution_duplicate(constraint: &str) -> StoreError {
    if constraint.contains("credit_code") {
        StoreError::Duplicate(Duplicate::CreditCode)
    } else {
        StoreError::Duplicate(Duplicate::InstitutionNumber)
    }
}

pub(crate) fn code(text: &str) -> Result<ReviewItemCode, StoreError> {
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
        state_since: row.state_since.unwrap_or(row.since),
        registration,
        released_on: row.released_on,
        release_reason: optional_text(row.release_reason.as_deref(), 200)?,
        version: row.version,
    })
}

pub(crate) fn employment_from_row(row: employments::Model) -> Result<Employment, StoreError> {
    Ok(Employment {
        person: PersonId::new(row.person_id),
        institution: InstitutionId::new(row.institution_id),
        password: FillInPasswordHash::new(row.password_hash),
        progress: EntryProgress::from_code(&row.progress)
            .ok_or_else(|| unexpected(format!("unknown progress {}", row.progress)))?,
        since: row.since,
        password_set_on: row.password_set_on.unwrap_or(row.since),
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
        // The database accepts only the three codes.
        late_hours: LateHours::from_code(&row.late_hours).unwrap_or_default(),
        reminders: ReminderPolicy {
            ending_days: ReminderPolicy::parse_ending_days(&row.reminder_ending_days)
                .unwrap_or_else(|| ReminderPolicy::default().ending_days),
            hours_short_months: number(row.reminder_hours_short_months),
            fill_in_working_days: number(row.reminder_fill_in_working_days),
            awaiting_working_days: number(row.reminder_awaiting_working_days),
            document_due_working_days: number(row.reminder_document_due_working_days),
        },
    }
}

pub(crate) fn cycle_model(
    name: &Text,
    start: Date,
    end: Date,
    policy: &Policy,
) -> cycles::ActiveModel {
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
        late_hours: Set(policy.late_hours.code().to_owned()),
        reminder_ending_days: Set(policy.reminders.ending_days_text()),
        reminder_hours_short_months: Set(number(policy.reminders.hours_short_months)),
        reminder_fill_in_working_days: Set(number(policy.reminders.fill_in_working_days)),
        reminder_awaiting_working_days: Set(number(policy.reminders.awaiting_working_days)),
        reminder_document_due_working_days: Set(number(policy.reminders.document_due_working_days)),
        version: NotSet,
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
            .map(|cycle| cycle.with_version(row.version))
            .map_err(unexpected)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Cycles::new(list).map_err(unexpected)
}

pub(crate) fn course_from_rows(
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
        provider: row.provider_id.map(registry_core::ids::ProviderId::new),
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
        // An administrator written before the duties were separated (or by an instance of
        // that time during a rolling upgrade) is the system administrator.
        ("association", None) => Role::Association(
            row.duty
                .as_deref()
                .map(|code| {
                    Duty::parse(code)
                        .ok_or_else(|| unexpected(format!("account {} has duty {code}", row.id)))
                })
                .transpose()?
                .unwrap_or(Duty::System),
        ),
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
        password_changed_on: row.password_changed_on,
        second_factor_required: row.second_factor_required,
        second_factor_enrolled: row.totp_secret.is_some(),
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

/// An audit record as a row; its snapshots as JSON objects of strings.
pub(crate) fn audit_row(record: &AuditRecord) -> audit_log::ActiveModel {
    let json = |s: &Option<registry_core::ports::Snapshot>| {
        s.as_ref().map(|s| {
            let map: serde_json::Map<String, serde_json::Value> =
                s.0.iter()
                    .map(|(k, v)| ((*k).to_owned(), serde_json::Value::String(v.clone())))
                    .collect();
            serde_json::Value::Object(map).to_string()
        })
    };
    audit_log::ActiveModel {
        id: NotSet,
        at: Set(crate::audit_chain::stored_moment(record.at)),
        actor: Set(record.actor.describe()),
        action: Set(record.action.to_owned()),
        entity: Set(record.entity.code().to_owned()),
        entity_id: Set(record.entity_id),
        person_id: Set(record.person.map(PersonId::get)),
        before: Set(json(&record.before)),
        after: Set(json(&record.after)),
        chain_seq: NotSet,
        prev_hash: NotSet,
        hash: NotSet,
    }
}

/// Links audit rows after the chain's `head` (`audit_chain`), moving the head on.
pub(crate) fn link_rows(
    head: &mut crate::audit_chain::ChainHead,
    rows: &mut [audit_log::ActiveModel],
) -> Result<(), StoreError> {
    use crate::audit_chain::{ChainDigest, DIGEST, Linked, content};
    use sea_orm::ActiveValue::{self, Unchanged};
    let value = |v: &ActiveValue<Option<String>>| match v {
        Set(s) | Unchanged(s) => s.clone(),
        NotSet => None,
    };
    for row in rows {
        let (Set(at), Set(actor), Set(action)) = (&row.at, &row.actor, &row.action) else {
            return Err(unexpected(
                "an audit row without its moment, actor or action",
            ));
        };
        let (Set(entity), Set(entity_id), Set(person_id)) =
            (&row.entity, &row.entity_id, &row.person_id)
        else {
            return Err(unexpected("an audit row without its entity"));
        };
        let seq = head.seq + 1;
        let (before, after) = (value(&row.before), value(&row.after));
        let hash = DIGEST.link(
            &head.hash,
            &content(&Linked {
                seq,
                at: *at,
                actor,
                action,
                entity,
                entity_id: *entity_id,
                person_id: *person_id,
                before: before.as_deref(),
                after: after.as_deref(),
            }),
        );
        row.chain_seq = Set(Some(seq));
        row.prev_hash = Set(Some(head.hash.clone()));
        row.hash = Set(Some(hash.clone()));
        head.seq = seq;
        head.hash = hash;
    }
    Ok(())
}

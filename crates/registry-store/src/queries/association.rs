//! The association's reads: institutions with their accounts, people found by name or
//! number, courses and their attendance, a person's whole history, the audit log of a
//! record.

use std::collections::BTreeMap;
use time::Date;

use registry_core::holding::{Holding, RegistrationRecord};
use registry_core::ids::{CourseId, PersonId};
use registry_core::person::Person;
use registry_core::ports::{RegisterTx, StoreError};
use registry_core::qualification::Qualification;
use registry_core::registration_number::RegistrationNumber;

use sea_orm::{QueryResult, Value};
use time::OffsetDateTime;

use crate::Store;
use crate::error::store_error;

use super::public::PublicQuery;
use super::{get, number, page};

/// A person found by the association's search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonSummary {
    /// The person.
    pub person: PersonId,
    /// The name.
    pub name: String,
    /// The ID number, masked.
    pub masked_id: String,
    /// The registration number.
    pub registration_number: Option<RegistrationNumber>,
}

/// A course with how many people attended it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseListing {
    /// The course.
    pub course: registry_core::education::TrainingCourse,
    /// People with net hours above zero.
    pub attendees: u64,
}

/// One attendance entry of a course, with the person's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttendanceListing {
    /// The entry.
    pub entry: registry_core::education::Attendance,
    /// The person's name.
    pub name: String,
    /// The person's ID number, masked.
    pub masked_id: String,
    /// Whether a later entry reverses this one.
    pub reversed: bool,
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// When.
    pub at: OffsetDateTime,
    /// Who (`institution:3:account`).
    pub actor: String,
    /// What (`holding.register`).
    pub action: String,
    /// The kind of record.
    pub entity: String,
    /// Its id.
    pub entity_id: i64,
    /// The record before, as JSON.
    pub before: Option<String>,
    /// The record after, as JSON.
    pub after: Option<String>,
}

impl AuditEntry {
    /// The fields of the record after, each value as text (none when there is no record
    /// or it is not a JSON object).
    pub fn after_fields(&self) -> BTreeMap<String, String> {
        snapshot_fields(self.after.as_deref())
    }
}

/// An audit snapshot's fields (a JSON object), each value as text.
pub fn snapshot_fields(json: Option<&str>) -> BTreeMap<String, String> {
    json.and_then(|text| {
        serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text).ok()
    })
    .unwrap_or_default()
    .into_iter()
    .map(|(k, v)| {
        let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
        (k, text)
    })
    .collect()
}

/// Everything the register knows about one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonHistory {
    /// The person, with the full ID number: for the association only.
    pub person: Person,
    /// The items passed.
    pub qualifications: Vec<Qualification>,
    /// Every holding, active and released, with the institution's name.
    pub holdings: Vec<(Holding, String)>,
    /// Every registration ever made.
    pub registrations: Vec<RegistrationRecord>,
    /// The audit log entries about the person, oldest first.
    pub audit: Vec<AuditEntry>,
}

/// An institution with its login name, for the association's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstitutionListing {
    /// The institution.
    pub institution: registry_core::institution::Institution,
    /// Its account's login name.
    pub username: Option<String>,
}

impl Store {
    /// Every institution, by number, with its account's login name.
    pub async fn institutions(&self) -> Result<Vec<InstitutionListing>, StoreError> {
        use crate::entity::{accounts, institutions};
        use sea_orm::{EntityTrait, QueryOrder};
        let rows = institutions::Entity::find()
            .order_by_asc(institutions::Column::Number)
            .all(self.db())
            .await
            .map_err(store_error)?;
        let names: BTreeMap<i64, String> = accounts::Entity::find()
            .all(self.db())
            .await
            .map_err(store_error)?
            .into_iter()
            .filter_map(|a| a.institution_id.map(|i| (i, a.username)))
            .collect();
        rows.into_iter()
            .map(|row| {
                let username = names.get(&row.id).cloned();
                Ok(InstitutionListing {
                    institution: crate::convert::institution_from_row(row)?,
                    username,
                })
            })
            .collect()
    }

    /// Any person of the register (registered or not) by exact name, whole ID number or
    /// registration number: the association's search.
    pub async fn find_people(
        &self,
        query: &PublicQuery,
        limit: u64,
    ) -> Result<Vec<PersonSummary>, StoreError> {
        let (condition, value): (&str, Value) = match query {
            PublicQuery::Name(name) => ("name = ?", name.trim().into()),
            PublicQuery::ResidentId(id) => ("id_hash = ?", self.key().hash(id).into()),
            PublicQuery::RegistrationNumber(n) => ("registration_number = ?", n.to_string().into()),
        };
        self.rows(
            &format!("SELECT id, name, id_masked, registration_number FROM people WHERE {condition} ORDER BY name_key, id LIMIT ?"),
            vec![value, (page(limit) as i64).into()],
        )
        .await?
        .iter()
        .map(summary_row)
        .collect()
    }

    /// Every person of the register in the pinyin order of their names, `limit` from
    /// `offset`, with how many there are in all: of those with a registration in force
    /// today (`Some(true)`), without one (`Some(false)`), or all.
    pub async fn people_page(
        &self,
        registered: Option<bool>,
        today: Date,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<PersonSummary>, u64), StoreError> {
        let in_force = "EXISTS (SELECT 1 FROM registrations r \
             JOIN holdings h ON h.id = r.holding_id AND h.state = 'registered' \
             WHERE r.person_id = people.id AND r.valid_from <= ? AND r.valid_until >= ?)";
        let (condition, mut values): (String, Vec<Value>) = match registered {
            None => ("1 = 1".to_owned(), vec![]),
            Some(true) => (in_force.to_owned(), vec![today.into(), today.into()]),
            Some(false) => (format!("NOT {in_force}"), vec![today.into(), today.into()]),
        };
        let total: i64 = match self
            .rows(
                &format!("SELECT COUNT(*) AS total FROM people WHERE {condition}"),
                values.clone(),
            )
            .await?
            .first()
        {
            Some(row) => get(row, "total")?,
            None => 0,
        };
        values.push((page(limit) as i64).into());
        values.push(i64::try_from(offset).unwrap_or(i64::MAX).into());
        let people = self
            .rows(
                &format!(
                    "SELECT id, name, id_masked, registration_number FROM people \
                     WHERE {condition} ORDER BY name_key, id LIMIT ? OFFSET ?"
                ),
                values,
            )
            .await?
            .iter()
            .map(summary_row)
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok((people, u64::try_from(total).unwrap_or(0)))
    }

    /// Every training course, latest first, with its number of attendees.
    pub async fn courses(&self) -> Result<Vec<CourseListing>, StoreError> {
        let rows = self
            .rows(
                "SELECT id FROM courses ORDER BY end_date DESC, id DESC",
                vec![],
            )
            .await?;
        let ids: Vec<i64> = rows
            .iter()
            .map(|r| get::<i64>(r, "id"))
            .collect::<Result<_, _>>()?;
        let counts: BTreeMap<i64, i64> = self
            .rows(
                "SELECT course_id, COUNT(*) AS n FROM (SELECT course_id, person_id FROM attendance \
                 GROUP BY course_id, person_id HAVING SUM(hours_tenths) > 0) t GROUP BY course_id",
                vec![],
            )
            .await?
            .iter()
            .map(|r| Ok((get::<i64>(r, "course_id")?, get::<i64>(r, "n")?)))
            .collect::<Result<_, StoreError>>()?;
        let mut tx = self.begin_read().await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(course) = tx.course(CourseId::new(id)).await? {
                out.push(CourseListing {
                    course,
                    attendees: u64::try_from(counts.get(&id).copied().unwrap_or(0)).unwrap_or(0),
                });
            }
        }
        Ok(out)
    }

    /// The attendance entries of a course, with names.
    pub async fn course_attendance(
        &self,
        course: CourseId,
    ) -> Result<Vec<AttendanceListing>, StoreError> {
        let rows = self
            .rows(
                "SELECT a.id, a.course_id, a.person_id, a.hours_tenths, a.reverses_id, a.recorded_on, \
                        p.name, p.id_masked, \
                        EXISTS (SELECT 1 FROM attendance r WHERE r.reverses_id = a.id) AS reversed \
                 FROM attendance a JOIN people p ON p.id = a.person_id \
                 WHERE a.course_id = ? ORDER BY p.name_key, a.person_id, a.id",
                vec![course.get().into()],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(AttendanceListing {
                    entry: registry_core::education::Attendance {
                        id: registry_core::ids::AttendanceId::new(get(r, "id")?),
                        course,
                        person: PersonId::new(get(r, "person_id")?),
                        hours: crate::convert::from_tenths(get(r, "hours_tenths")?),
                        reverses: get::<Option<i64>>(r, "reverses_id")?
                            .map(registry_core::ids::AttendanceId::new),
                        recorded_on: get(r, "recorded_on")?,
                    },
                    name: get(r, "name")?,
                    masked_id: get(r, "id_masked")?,
                    reversed: get(r, "reversed")?,
                })
            })
            .collect()
    }

    /// Everything about one person: details, qualifications, every holding, every
    /// registration and the audit log. For the association; `None` if there is no such
    /// person.
    pub async fn person_history(
        &self,
        person: PersonId,
    ) -> Result<Option<PersonHistory>, StoreError> {
        let mut tx = self.begin_read().await?;
        let Some(details) = tx.person(person).await? else {
            return Ok(None);
        };
        let qualifications = tx.qualifications(person).await?;
        let holdings = tx.holdings_of(person).await?;
        let registrations = tx.registrations_of(person).await?;
        drop(tx);
        let names: BTreeMap<i64, String> = self
            .rows(
                "SELECT i.id, i.name FROM institutions i WHERE i.id IN \
                 (SELECT institution_id FROM holdings WHERE person_id = ?)",
                vec![person.get().into()],
            )
            .await?
            .iter()
            .map(|row| Ok((get::<i64>(row, "id")?, get::<String>(row, "name")?)))
            .collect::<Result<_, StoreError>>()?;
        let audit = self
            .rows(
                "SELECT at, actor, action, entity, entity_id, before, after FROM audit_log \
                 WHERE person_id = ? ORDER BY id",
                vec![person.get().into()],
            )
            .await?
            .iter()
            .map(audit_entry)
            .collect::<Result<_, StoreError>>()?;
        let holdings = holdings
            .into_iter()
            .map(|h| {
                let name = names.get(&h.institution.get()).cloned().unwrap_or_default();
                (h, name)
            })
            .collect();
        Ok(Some(PersonHistory {
            person: details,
            qualifications,
            holdings,
            registrations,
            audit,
        }))
    }

    /// A page of the whole audit log, the latest first (by place in the chain), with how
    /// many rows it has; `action`, when given, keeps the rows of that action (`holding.register`)
    /// or of its kind (`holding.`).
    pub async fn audit_page(
        &self,
        action: Option<&str>,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<AuditEntry>, u64), StoreError> {
        let (filter, mut values): (&str, Vec<Value>) = match action {
            Some(a) if a.ends_with('.') => (" WHERE action LIKE ?", vec![format!("{a}%").into()]),
            Some(a) => (" WHERE action = ?", vec![a.to_owned().into()]),
            None => ("", vec![]),
        };
        let total: i64 = self
            .rows(
                &format!("SELECT COUNT(*) AS n FROM audit_log{filter}"),
                values.clone(),
            )
            .await?
            .first()
            .map(|r| r.try_get("", "n"))
            .transpose()
            .map_err(store_error)?
            .unwrap_or(0);
        values.push(i64::try_from(limit).unwrap_or(i64::MAX).into());
        values.push(i64::try_from(offset).unwrap_or(i64::MAX).into());
        let rows = self
            .rows(
                &format!(
                    "SELECT at, actor, action, entity, entity_id, before, after FROM audit_log{filter} \
                     ORDER BY chain_seq DESC, id DESC LIMIT ? OFFSET ?"
                ),
                values,
            )
            .await?;
        let entries = rows
            .iter()
            .map(audit_entry)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((entries, u64::try_from(total).unwrap_or(0)))
    }

    /// The audit log entries about one record (`entity` is the core's entity code, such
    /// as `cycle`), oldest first: the history of edits shown beside the record.
    pub async fn audit_of(&self, entity: &str, id: i64) -> Result<Vec<AuditEntry>, StoreError> {
        self.rows(
            "SELECT at, actor, action, entity, entity_id, before, after FROM audit_log \
             WHERE entity = ? AND entity_id = ? ORDER BY id",
            vec![entity.into(), id.into()],
        )
        .await?
        .iter()
        .map(audit_entry)
        .collect()
    }
}

pub(crate) fn audit_entry(row: &QueryResult) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        at: get(row, "at")?,
        actor: get(row, "actor")?,
        action: get(row, "action")?,
        entity: get(row, "entity")?,
        entity_id: get(row, "entity_id")?,
        before: get(row, "before")?,
        after: get(row, "after")?,
    })
}

/// A person's summary from a row of `id, name, id_masked, registration_number`.
fn summary_row(row: &QueryResult) -> Result<PersonSummary, StoreError> {
    Ok(PersonSummary {
        person: PersonId::new(get(row, "id")?),
        name: get(row, "name")?,
        masked_id: get(row, "id_masked")?,
        registration_number: number(get(row, "registration_number")?)?,
    })
}

impl Store {
    /// The audit entries that may tell a person who saw their full ID number, the latest
    /// first (at most 200): their own entries of viewing it, and every export with full ID
    /// numbers (which of those could hold them is the core's to say,
    /// `read::own_data::tells_of_disclosure`).
    pub async fn disclosures_of(&self, person: PersonId) -> Result<Vec<AuditEntry>, StoreError> {
        self.rows(
            "SELECT at, actor, action, entity, entity_id, before, after FROM audit_log \
             WHERE (person_id = ? AND action = 'person.disclose_id') \
             OR action = 'export.full_id' ORDER BY id DESC LIMIT 200",
            vec![person.get().into()],
        )
        .await?
        .iter()
        .map(audit_entry)
        .collect()
    }
}

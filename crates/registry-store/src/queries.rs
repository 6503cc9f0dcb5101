//! The reads behind the pages, each served by an index so that it stays fast at a million
//! people:
//!
//! | query | index |
//! |---|---|
//! | [`Store::self_service_search`]: name + part of the institution's name | `ix_people_name`, `ix_employments` primary key |
//! | [`Store::public_search`]: name, ID number or registration number; registered people only | `ix_people_name`, `people.id_hash` and `people.registration_number` unique |
//! | [`Store::pool_search`]: qualified items no institution holds, by name and/or item | `ix_people_name` or `ix_qualifications_item_person`, and `ux_holdings_one_active` |
//! | [`Store::institution_people`]: an institution's people with each item's state | `ix_holdings_institution` |
//! | [`Store::person_history`]: everything about one person | the person's foreign-key indexes and `ix_audit_log_person` |
//!
//! Results are the core's types and plain structs; no row type leaves the crate.

use std::collections::BTreeMap;

use registry_core::assessment::OnSiteAssessment;
use registry_core::calendar::WorkCalendar;
use registry_core::cycle::Cycles;
use registry_core::date::birth_cutoff;
use registry_core::education::hours_in_cycle;
use registry_core::holding::{Holding, ItemState, RegistrationRecord};
use registry_core::ids::{CourseId, HoldingId, InstitutionId, PersonId};
use registry_core::person::Person;
use registry_core::ports::{RegisterTx, StoreError};
use registry_core::qualification::Qualification;
use registry_core::registration_number::RegistrationNumber;
use registry_core::resident_id::ResidentId;
use registry_core::review_item::ReviewItemCode;
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DatabaseBackend, QueryResult, Statement, Value};
use time::{Date, OffsetDateTime};

use crate::entity::cycles;
use crate::error::store_error;
use crate::tx::{assessment_from_row, cycles_from_rows, holding_from_row};
use crate::{Engine, Store};

/// One dated fact of a person's history, as the public search reads it.
struct DatedFact {
    person: i64,
    start: Date,
    end: Date,
    what: Dated,
}

enum Dated {
    /// An on-site assessment, from `start` to `end`.
    OnSite,
    /// Hours of a course whose last day is `end`.
    Attended { course: i64, hours: Decimal },
}

/// The most rows a search returns in one page.
pub const MAX_PAGE: u64 = 100;

/// One person found by the self-service search, at one institution that employs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfServiceMatch {
    /// The person.
    pub person: PersonId,
    /// The person's name.
    pub name: String,
    /// The institution.
    pub institution: InstitutionId,
    /// The institution's name.
    pub institution_name: String,
    /// The person's items at that institution and their states today.
    pub items: Vec<(ReviewItemCode, ItemState)>,
}

/// What the public search looks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicQuery {
    /// A name, exactly.
    Name(String),
    /// A whole resident ID number.
    ResidentId(ResidentId),
    /// A registration number.
    RegistrationNumber(RegistrationNumber),
}

/// A registered person as the public sees them: never the ID number, phone or address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicPerson {
    /// The person.
    pub person: PersonId,
    /// The name.
    pub name: String,
    /// The registration number.
    pub registration_number: Option<RegistrationNumber>,
    /// Each institution with the items registered there.
    pub institutions: Vec<PublicInstitution>,
    /// The current cycle's name, if a cycle covers today.
    pub cycle: Option<String>,
    /// Continuing-education hours in the current cycle.
    pub hours_this_cycle: Decimal,
    /// Working days of assessment experience, each day counted once.
    pub working_days: u32,
}

/// An institution and the items a person is registered for there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicInstitution {
    /// The institution's name.
    pub name: String,
    /// Each registered item and the last day of its validity.
    pub items: Vec<(ReviewItemCode, Date)>,
}

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

/// An on-site assessment with the person's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssessmentListing {
    /// The assessment.
    pub assessment: OnSiteAssessment,
    /// The person's name.
    pub name: String,
}

/// A registration ending soon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expiring {
    /// The person.
    pub person: PersonId,
    /// The name.
    pub name: String,
    /// The item.
    pub item: ReviewItemCode,
    /// The last day of validity.
    pub valid_until: Date,
}

/// What the pool search looks for; both filters optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PoolQuery {
    /// A name, exactly.
    pub name: Option<String>,
    /// One review item.
    pub item: Option<ReviewItemCode>,
    /// Continue after this entry (keyset paging).
    pub after: Option<(PersonId, ReviewItemCode)>,
    /// The most entries.
    pub limit: u64,
}

/// A qualified item of a person that no institution holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolEntry {
    /// The person.
    pub person: PersonId,
    /// The name.
    pub name: String,
    /// The item.
    pub item: ReviewItemCode,
    /// When the qualification was obtained (exam date).
    pub qualified_on: Date,
}

/// A page of an institution's people.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstitutionPeopleQuery {
    /// Only people with an item in this state (as of today).
    pub state: Option<ItemState>,
    /// Only people with this name.
    pub name: Option<String>,
    /// Rows to skip.
    pub offset: u64,
    /// The most people.
    pub limit: u64,
}

/// A person of an institution with their items there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstitutionPerson {
    /// The person.
    pub person: PersonId,
    /// The name.
    pub name: String,
    /// The ID number, masked.
    pub masked_id: String,
    /// The registration number.
    pub registration_number: Option<RegistrationNumber>,
    /// The person's items at this institution.
    pub items: Vec<InstitutionItem>,
}

/// One item of a person at an institution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstitutionItem {
    /// The holding.
    pub holding: HoldingId,
    /// The item.
    pub item: ReviewItemCode,
    /// The state today.
    pub state: ItemState,
    /// The last day of validity, when registered.
    pub valid_until: Option<Date>,
    /// Held since.
    pub since: Date,
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

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
fn like_contains(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

pub(crate) fn get<T: sea_orm::TryGetable>(
    row: &QueryResult,
    column: &str,
) -> Result<T, StoreError> {
    row.try_get("", column).map_err(store_error)
}

pub(crate) fn item(text: &str) -> Result<ReviewItemCode, StoreError> {
    ReviewItemCode::parse(text).map_err(|e| StoreError::Unexpected(e.to_string()))
}

fn number(text: Option<String>) -> Result<Option<RegistrationNumber>, StoreError> {
    text.as_deref()
        .map(RegistrationNumber::parse)
        .transpose()
        .map_err(|e| StoreError::Unexpected(e.to_string()))
}

fn page(limit: u64) -> u64 {
    limit.clamp(1, MAX_PAGE)
}

impl Store {
    /// A statement from SQL written with `?` placeholders, numbered for PostgreSQL.
    fn statement(&self, sql: &str, values: Vec<Value>) -> Statement {
        match self.engine() {
            Engine::Sqlite => Statement::from_sql_and_values(DatabaseBackend::Sqlite, sql, values),
            Engine::Postgres => {
                let mut numbered = String::with_capacity(sql.len() + 16);
                let mut n = 0;
                for c in sql.chars() {
                    if c == '?' {
                        n += 1;
                        numbered.push_str(&format!("${n}"));
                    } else {
                        numbered.push(c);
                    }
                }
                Statement::from_sql_and_values(DatabaseBackend::Postgres, numbered, values)
            }
        }
    }

    pub(crate) async fn rows(
        &self,
        sql: &str,
        values: Vec<Value>,
    ) -> Result<Vec<QueryResult>, StoreError> {
        self.db()
            .query_all_raw(self.statement(sql, values))
            .await
            .map_err(store_error)
    }

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
                    institution: crate::tx::institution_from_row(row)?,
                    username,
                })
            })
            .collect()
    }

    /// 评审人员信息填报, figures 1–3: people with exactly this name employed by an
    /// institution whose name contains `institution` (and that holds at least one of their
    /// items), with their items there.
    pub async fn self_service_search(
        &self,
        name: &str,
        institution: &str,
        today: Date,
        limit: u64,
    ) -> Result<Vec<SelfServiceMatch>, StoreError> {
        let (name, institution) = (name.trim(), institution.trim());
        if name.is_empty() || institution.is_empty() {
            return Ok(vec![]);
        }
        let rows = self
            .rows(
                "SELECT p.id AS person_id, p.name AS person_name, i.id AS institution_id, \
                        i.name AS institution_name \
                 FROM people p \
                 JOIN employments e ON e.person_id = p.id \
                 JOIN institutions i ON i.id = e.institution_id \
                 WHERE p.name = ? AND i.active AND i.name LIKE ? ESCAPE '\\' \
                   AND EXISTS (SELECT 1 FROM holdings h WHERE h.person_id = p.id \
                               AND h.institution_id = i.id AND h.state <> 'released') \
                 ORDER BY i.name, p.id LIMIT ?",
                vec![
                    name.into(),
                    like_contains(institution).into(),
                    (page(limit) as i64).into(),
                ],
            )
            .await?;
        let mut matches = Vec::with_capacity(rows.len());
        for row in rows {
            let person = PersonId::new(get(&row, "person_id")?);
            let institution = InstitutionId::new(get(&row, "institution_id")?);
            let items = self
                .rows(
                    "SELECT * FROM holdings WHERE person_id = ? AND institution_id = ? \
                     AND state <> 'released' ORDER BY item_code",
                    vec![person.get().into(), institution.get().into()],
                )
                .await?
                .iter()
                .map(|row| holding_row(row).map(|h| (h.item.clone(), h.state_on(today))))
                .collect::<Result<_, _>>()?;
            matches.push(SelfServiceMatch {
                person,
                name: get(&row, "person_name")?,
                institution,
                institution_name: get(&row, "institution_name")?,
                items,
            });
        }
        Ok(matches)
    }

    /// 人员查询: registered people (at least one item registered and in force today) found by
    /// name, whole ID number or registration number, with what the public may see.
    pub async fn public_search(
        &self,
        query: &PublicQuery,
        today: Date,
        calendar: &WorkCalendar,
        limit: u64,
    ) -> Result<Vec<PublicPerson>, StoreError> {
        let (kind, condition, value) = match query {
            PublicQuery::Name(name) => (0, "p.name = ?", name.trim().to_owned()),
            PublicQuery::ResidentId(id) => (1, "p.id_hash = ?", self.key().hash(id)),
            PublicQuery::RegistrationNumber(n) => (2, "p.registration_number = ?", n.to_string()),
        };
        let key = crate::cache::Key {
            kind,
            value: value.clone(),
            today,
            limit,
        };
        let generation = self.public_cache().generation();
        match self.public_cache().get(&key) {
            crate::cache::Lookup::Hit(people) => return Ok(people),
            crate::cache::Lookup::Refresh(people) => {
                let store = self.clone();
                let calendar = calendar.clone();
                tokio::spawn(async move {
                    if let Ok(fresh) = store
                        .public_search_uncached(condition, value, today, &calendar, limit)
                        .await
                    {
                        store.public_cache().put(key, generation, &fresh);
                    }
                });
                return Ok(people);
            }
            crate::cache::Lookup::Miss => {}
        }
        let people = self
            .public_search_uncached(condition, value, today, calendar, limit)
            .await?;
        self.public_cache().put(key, generation, &people);
        Ok(people)
    }

    /// Computes a public search: two statements (the people with their registered items;
    /// their on-site assessments' dates and their attendance with its course's last day)
    /// and the registration cycles, kept between writes.
    async fn public_search_uncached(
        &self,
        condition: &str,
        value: String,
        today: Date,
        calendar: &WorkCalendar,
        limit: u64,
    ) -> Result<Vec<PublicPerson>, StoreError> {
        // In force today: a holding still registered, and its registration record whose
        // period covers today. Not the holding's own period, which an early renewal has
        // already moved to the next cycle while the current one still runs.
        let sql = format!(
            "SELECT p.id, p.name, p.registration_number, h.item_code, r.valid_until, \
                    i.name AS institution_name \
             FROM (SELECT p.id, p.name, p.registration_number FROM people p \
                   WHERE {condition} AND EXISTS (SELECT 1 FROM registrations r \
                       JOIN holdings h ON h.id = r.holding_id AND h.state = 'registered' \
                       WHERE r.person_id = p.id AND r.valid_from <= ? AND r.valid_until >= ?) \
                   ORDER BY p.id LIMIT ?) p \
             JOIN registrations r ON r.person_id = p.id AND r.valid_from <= ? AND r.valid_until >= ? \
             JOIN holdings h ON h.id = r.holding_id AND h.state = 'registered' \
             JOIN institutions i ON i.id = h.institution_id \
             ORDER BY p.id, i.name, h.item_code"
        );
        let rows = self
            .rows(
                &sql,
                vec![
                    value.into(),
                    today.into(),
                    today.into(),
                    (page(limit) as i64).into(),
                    today.into(),
                    today.into(),
                ],
            )
            .await?;
        // The people in order, each with their institutions (by name) and items.
        let mut found: Vec<(i64, String, Option<String>, Vec<PublicInstitution>)> = Vec::new();
        for row in &rows {
            let id: i64 = get(row, "id")?;
            if found.last().is_none_or(|(last, ..)| *last != id) {
                found.push((
                    id,
                    get(row, "name")?,
                    get(row, "registration_number")?,
                    vec![],
                ));
            }
            let Some((.., institutions)) = found.last_mut() else {
                continue;
            };
            let name: String = get(row, "institution_name")?;
            let entry = (
                item(&get::<String>(row, "item_code")?)?,
                get::<Date>(row, "valid_until")?,
            );
            match institutions.last_mut() {
                Some(last) if last.name == name => last.items.push(entry),
                _ => institutions.push(PublicInstitution {
                    name,
                    items: vec![entry],
                }),
            }
        }
        if found.is_empty() {
            return Ok(vec![]);
        }
        let ids: Vec<i64> = found.iter().map(|(id, ..)| *id).collect();
        let cycles = self.cycles_for_display().await?;
        let dated = self.dated_facts_of_people(&ids).await?;
        let cycle = cycles.at(today).cloned();
        let mut out = Vec::with_capacity(found.len());
        for (id, name, registration_number, institutions) in found {
            let mine = dated.iter().filter(|fact| fact.person == id);
            let hours = match &cycle {
                Some(cycle) => hours_in_cycle(
                    cycle,
                    mine.clone().filter_map(|fact| match fact.what {
                        Dated::Attended { course, hours } => {
                            Some((CourseId::new(course), fact.end, hours))
                        }
                        Dated::OnSite => None,
                    }),
                ),
                None => Decimal::ZERO,
            };
            let on_site: Vec<(Date, Date)> = mine
                .filter(|fact| matches!(fact.what, Dated::OnSite))
                .map(|fact| (fact.start, fact.end))
                .collect();
            let working_days = calendar
                .working_days_in_union(&on_site)
                .map_err(|e| StoreError::Unexpected(e.to_string()))?;
            out.push(PublicPerson {
                person: PersonId::new(id),
                name,
                registration_number: number(registration_number)?,
                institutions,
                cycle: cycle.as_ref().map(|c| c.name().to_owned()),
                hours_this_cycle: hours,
                working_days,
            });
        }
        Ok(out)
    }

    /// The registration cycles, kept between this instance's writes (for at most the
    /// public cache's time to live).
    async fn cycles_for_display(&self) -> Result<Cycles, StoreError> {
        if let Some(cycles) = self.public_cache().cycles() {
            return Ok(cycles);
        }
        let generation = self.public_cache().generation();
        let cycles = self.all_cycles().await?;
        self.public_cache().put_cycles(generation, &cycles);
        Ok(cycles)
    }

    async fn all_cycles(&self) -> Result<Cycles, StoreError> {
        use sea_orm::{EntityTrait, QueryOrder};
        let rows = cycles::Entity::find()
            .order_by_asc(cycles::Column::StartDate)
            .all(self.db())
            .await
            .map_err(store_error)?;
        cycles_from_rows(rows)
    }

    /// In one statement, what the public search shows of these people's history: the
    /// dates of their on-site assessments, and their attendance entries with the last day
    /// of the course (for display: no transaction).
    async fn dated_facts_of_people(&self, ids: &[i64]) -> Result<Vec<DatedFact>, StoreError> {
        let placeholders = vec!["?"; ids.len()].join(",");
        let sql = format!(
            "SELECT 0 AS kind, person_id, start_date, end_date, 0 AS course_id, 0 AS hours_tenths \
             FROM assessments WHERE person_id IN ({placeholders}) \
             UNION ALL \
             SELECT 1 AS kind, a.person_id, c.end_date AS start_date, c.end_date, a.course_id, \
                    a.hours_tenths \
             FROM attendance a JOIN courses c ON c.id = a.course_id \
             WHERE a.person_id IN ({placeholders})"
        );
        let values = ids.iter().chain(ids).map(|&id| Value::from(id)).collect();
        self.rows(&sql, values)
            .await?
            .iter()
            .map(|row| {
                let what = match get::<i32>(row, "kind")? {
                    0 => Dated::OnSite,
                    _ => Dated::Attended {
                        course: get(row, "course_id")?,
                        hours: crate::tx::from_tenths(get(row, "hours_tenths")?),
                    },
                };
                Ok(DatedFact {
                    person: get(row, "person_id")?,
                    start: get(row, "start_date")?,
                    end: get(row, "end_date")?,
                    what,
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
            &format!("SELECT id, name, id_masked, registration_number FROM people WHERE {condition} ORDER BY id LIMIT ?"),
            vec![value, (page(limit) as i64).into()],
        )
        .await?
        .iter()
        .map(|row| {
            Ok(PersonSummary {
                person: PersonId::new(get(row, "id")?),
                name: get(row, "name")?,
                masked_id: get(row, "id_masked")?,
                registration_number: number(get(row, "registration_number")?)?,
            })
        })
        .collect()
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
                 WHERE a.course_id = ? ORDER BY a.id",
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
                        hours: crate::tx::from_tenths(get(r, "hours_tenths")?),
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

    /// The on-site assessments an institution recorded, latest first.
    pub async fn assessments_recorded_by(
        &self,
        institution: InstitutionId,
        limit: u64,
    ) -> Result<Vec<AssessmentListing>, StoreError> {
        use crate::entity::assessments;
        use sea_orm::FromQueryResult;
        let rows = self
            .rows(
                "SELECT a.*, p.name AS person_name FROM assessments a JOIN people p ON p.id = a.person_id \
                 WHERE a.recorded_by = ? ORDER BY a.end_date DESC, a.id DESC LIMIT ?",
                vec![institution.get().into(), (limit.clamp(1, 500) as i64).into()],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let model = assessments::Model::from_query_result(r, "").map_err(store_error)?;
                Ok(AssessmentListing {
                    assessment: assessment_from_row(model)?,
                    name: get(r, "person_name")?,
                })
            })
            .collect()
    }

    /// An institution's registrations whose validity ends between `from` and `until`
    /// (both included), soonest first.
    pub async fn expiring(
        &self,
        institution: InstitutionId,
        from: Date,
        until: Date,
    ) -> Result<Vec<Expiring>, StoreError> {
        self.rows(
            "SELECT h.person_id, p.name, h.item_code, h.valid_until FROM holdings h JOIN people p ON p.id = h.person_id \
             WHERE h.institution_id = ? AND h.state = 'registered' AND h.valid_until >= ? AND h.valid_until <= ? \
             ORDER BY h.valid_until, p.name",
            vec![institution.get().into(), from.into(), until.into()],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(Expiring {
                person: PersonId::new(get(r, "person_id")?),
                name: get(r, "name")?,
                item: item(&get::<String>(r, "item_code")?)?,
                valid_until: get(r, "valid_until")?,
            })
        })
        .collect()
    }

    /// 无聘用单位人员: qualified items that no institution holds, of people who can still
    /// be registered (under the registration age limit today), by name and/or item, in
    /// pages ordered by person.
    pub async fn pool_search(
        &self,
        query: &PoolQuery,
        today: Date,
        age_limit: u32,
    ) -> Result<Vec<PoolEntry>, StoreError> {
        let mut sql = String::from(
            "SELECT q.person_id, p.name, q.item_code, q.exam_date \
             FROM qualifications q JOIN people p ON p.id = q.person_id \
             WHERE NOT EXISTS (SELECT 1 FROM holdings h WHERE h.person_id = q.person_id \
                               AND h.item_code = q.item_code AND h.state <> 'released') \
               AND p.birth_date > ?",
        );
        let mut values: Vec<Value> = vec![birth_cutoff(today, age_limit).into()];
        if let Some(name) = query
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            sql.push_str(" AND p.name = ?");
            values.push(name.into());
        }
        if let Some(item) = &query.item {
            sql.push_str(" AND q.item_code = ?");
            values.push(item.as_str().into());
        }
        if let Some((person, item)) = &query.after {
            sql.push_str(" AND (q.person_id > ? OR (q.person_id = ? AND q.item_code > ?))");
            values.extend([
                person.get().into(),
                person.get().into(),
                item.as_str().into(),
            ]);
        }
        sql.push_str(" ORDER BY q.person_id, q.item_code LIMIT ?");
        values.push((page(query.limit) as i64).into());
        self.rows(&sql, values)
            .await?
            .iter()
            .map(|row| {
                Ok(PoolEntry {
                    person: PersonId::new(get(row, "person_id")?),
                    name: get(row, "name")?,
                    item: item(&get::<String>(row, "item_code")?)?,
                    qualified_on: get(row, "exam_date")?,
                })
            })
            .collect()
    }

    /// 本机构人员: the people an institution holds items of, with each item's state
    /// today, a page at a time (ordered by name), and how many people match in all.
    pub async fn institution_people(
        &self,
        institution: InstitutionId,
        query: &InstitutionPeopleQuery,
        today: Date,
    ) -> Result<(Vec<InstitutionPerson>, u64), StoreError> {
        let mut filter = String::from("h.institution_id = ? AND h.state <> 'released'");
        let mut values: Vec<Value> = vec![institution.get().into()];
        match query.state {
            Some(ItemState::Registered) => {
                filter.push_str(" AND h.state = 'registered' AND h.valid_until >= ?");
                values.push(today.into());
            }
            Some(ItemState::Expired) => {
                filter.push_str(
                    " AND (h.state = 'expired' OR (h.state = 'registered' AND h.valid_until < ?))",
                );
                values.push(today.into());
            }
            Some(state) => {
                filter.push_str(" AND h.state = ?");
                values.push(state.code().into());
            }
            None => {}
        }
        if let Some(name) = query
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            filter.push_str(" AND h.person_id IN (SELECT id FROM people WHERE name = ?)");
            values.push(name.into());
        }
        // The institution's people first, then their names in order: otherwise a planner
        // may walk all people in name order and probe each one's holdings.
        let mine = format!(
            "WITH mine AS MATERIALIZED (SELECT DISTINCT h.person_id FROM holdings h WHERE {filter})"
        );
        let mut page_values = values.clone();
        page_values.extend([
            (page(query.limit) as i64).into(),
            (query.offset as i64).into(),
        ]);
        let people = self
            .rows(
                &format!(
                    "{mine} SELECT p.id, p.name, p.id_masked, p.registration_number, \
                     (SELECT COUNT(*) FROM mine) AS total \
                     FROM mine JOIN people p ON p.id = mine.person_id \
                     ORDER BY p.name, p.id LIMIT ? OFFSET ?"
                ),
                page_values,
            )
            .await?;
        let total: i64 = match people.first() {
            Some(row) => get(row, "total")?,
            None => match self
                .rows(
                    &format!("{mine} SELECT COUNT(*) AS total FROM mine"),
                    values,
                )
                .await?
                .first()
            {
                Some(row) => get(row, "total")?,
                None => 0,
            },
        };
        if people.is_empty() {
            return Ok((vec![], u64::try_from(total).unwrap_or(0)));
        }
        let ids: Vec<i64> = people
            .iter()
            .map(|row| get::<i64>(row, "id"))
            .collect::<Result<_, _>>()?;
        let mut values: Vec<Value> = vec![institution.get().into()];
        values.extend(ids.iter().map(|&id| Value::from(id)));
        let holdings = self
            .rows(
                &format!(
                    "SELECT * FROM holdings WHERE institution_id = ? AND state <> 'released' \
                     AND person_id IN ({}) ORDER BY person_id, item_code",
                    vec!["?"; ids.len()].join(",")
                ),
                values,
            )
            .await?
            .iter()
            .map(holding_row)
            .collect::<Result<Vec<_>, _>>()?;
        let out = people
            .iter()
            .map(|row| {
                let id = PersonId::new(get(row, "id")?);
                Ok(InstitutionPerson {
                    person: id,
                    name: get(row, "name")?,
                    masked_id: get(row, "id_masked")?,
                    registration_number: number(get(row, "registration_number")?)?,
                    items: holdings
                        .iter()
                        .filter(|h| h.person == id)
                        .map(|h| InstitutionItem {
                            holding: h.id,
                            item: h.item.clone(),
                            state: h.state_on(today),
                            valid_until: h.registration.as_ref().map(|r| r.valid_until),
                            since: h.since,
                        })
                        .collect(),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok((out, u64::try_from(total).unwrap_or(0)))
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
}

impl Store {
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

fn audit_entry(row: &QueryResult) -> Result<AuditEntry, StoreError> {
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

fn holding_row(row: &QueryResult) -> Result<Holding, StoreError> {
    use crate::entity::holdings;
    use sea_orm::FromQueryResult;
    let model = holdings::Model::from_query_result(row, "").map_err(store_error)?;
    holding_from_row(model)
}

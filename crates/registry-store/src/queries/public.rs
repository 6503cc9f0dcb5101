//! The public reads: the self-service search (name and institution), the public search
//! (人员查询: registered people only, with their hours and working days), and the pool
//! (无聘用单位人员).

use registry_core::calendar::WorkCalendar;
use registry_core::cycle::Cycles;
use registry_core::date::birth_cutoff;
use registry_core::education::hours_in_cycle;
use registry_core::holding::ItemState;
use registry_core::ids::{CourseId, InstitutionId, PersonId};

use registry_core::ports::StoreError;

use registry_core::registration_number::RegistrationNumber;
use registry_core::resident_id::ResidentId;
use registry_core::review_item::ReviewItemCode;
use rust_decimal::Decimal;
use sea_orm::Value;
use time::Date;

use crate::Store;
use crate::convert::cycles_from_rows;
use crate::entity::cycles;
use crate::error::store_error;

use super::{cache, get, holding_row, item, number, page};

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

/// What the pool search looks for; both filters optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PoolQuery {
    /// A name, exactly.
    pub name: Option<String>,
    /// One review item.
    pub item: Option<ReviewItemCode>,
    /// The entries to skip (the page's first row).
    pub offset: u64,
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

impl Store {
    /// The active institutions, `(id, name)` in the order they were added (the same on
    /// both engines, whatever their collation): the list the self-service search offers
    /// and identifies an institution in (`registry_core::institution::identify`).
    pub async fn active_institution_names(
        &self,
    ) -> Result<Vec<(InstitutionId, String)>, StoreError> {
        self.rows(
            "SELECT id, name FROM institutions WHERE active ORDER BY id",
            vec![],
        )
        .await?
        .iter()
        .map(|row| Ok((InstitutionId::new(get(row, "id")?), get(row, "name")?)))
        .collect()
    }

    /// 评审人员信息填报, figures 1–3: people with exactly this name employed by one of
    /// `institutions` (the institution the core identified, see
    /// `registry_core::institution::identify`; several only when they bear the same name)
    /// that is active and holds at least one of their items, with their items there.
    pub async fn self_service_search(
        &self,
        name: &str,
        institutions: &[InstitutionId],
        today: Date,
        limit: u64,
    ) -> Result<Vec<SelfServiceMatch>, StoreError> {
        let name = name.trim();
        if name.is_empty() || institutions.is_empty() {
            return Ok(vec![]);
        }
        let marks = vec!["?"; institutions.len()].join(", ");
        let mut values: Vec<Value> = vec![name.into()];
        values.extend(institutions.iter().map(|i| Value::from(i.get())));
        values.push((page(limit) as i64).into());
        let rows = self
            .rows(
                &format!(
                    "SELECT p.id AS person_id, p.name AS person_name, i.id AS institution_id, \
                            i.name AS institution_name \
                     FROM people p \
                     JOIN employments e ON e.person_id = p.id \
                     JOIN institutions i ON i.id = e.institution_id \
                     WHERE p.name = ? AND i.id IN ({marks}) AND i.active \
                       AND EXISTS (SELECT 1 FROM holdings h WHERE h.person_id = p.id \
                                   AND h.institution_id = i.id AND h.state <> 'released') \
                     ORDER BY i.name, p.id LIMIT ?"
                ),
                values,
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
        let key = cache::Key {
            kind,
            value: value.clone(),
            today,
            limit,
        };
        let generation = self.public_cache().generation();
        match self.public_cache().get(&key) {
            cache::Lookup::Hit(people) => return Ok(people),
            cache::Lookup::Refresh(people) => {
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
            cache::Lookup::Miss => {}
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
                        hours: crate::convert::from_tenths(get(row, "hours_tenths")?),
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

    /// 无聘用单位人员: qualified items that no institution holds, of people who can still
    /// be registered (under the registration age limit today), by name and/or item, a page
    /// at a time in the pinyin order of the names.
    pub async fn pool_search(
        &self,
        query: &PoolQuery,
        today: Date,
        age_limit: u32,
    ) -> Result<Vec<PoolEntry>, StoreError> {
        let (mut sql, mut values) = pool_condition(
            "SELECT q.person_id, p.name, q.item_code, q.exam_date",
            query,
            today,
            age_limit,
        );
        sql.push_str(" ORDER BY p.name_key, q.person_id, q.item_code LIMIT ? OFFSET ?");
        values.push((page(query.limit) as i64).into());
        values.push(i64::try_from(query.offset).unwrap_or(i64::MAX).into());
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

    /// How many entries [`Store::pool_search`] finds in all (for the pager), counted
    /// again only after a write or [`cache::TTL`].
    pub async fn pool_total(
        &self,
        query: &PoolQuery,
        today: Date,
        age_limit: u32,
    ) -> Result<u64, StoreError> {
        let key = cache::PoolKey {
            name: query.name.as_deref().map(str::trim).map(str::to_owned),
            item: query.item.as_ref().map(|i| i.as_str().to_owned()),
            today,
            age_limit,
        };
        if let Some(total) = self.public_cache().pool_total(&key) {
            return Ok(total);
        }
        let generation = self.public_cache().generation();
        let (sql, values) = pool_condition("SELECT COUNT(*) AS total", query, today, age_limit);
        let total: i64 = match self.rows(&sql, values).await?.first() {
            Some(row) => get(row, "total")?,
            None => 0,
        };
        let total = u64::try_from(total).unwrap_or(0);
        self.public_cache().put_pool_total(key, generation, total);
        Ok(total)
    }
}

/// The pool's query up to its order: `select` from the qualified items no institution
/// holds, of people under the age limit, filtered by name and item.
pub(crate) fn pool_condition(
    select: &str,
    query: &PoolQuery,
    today: Date,
    age_limit: u32,
) -> (String, Vec<Value>) {
    // A page: people first (CROSS JOIN keeps SQLite's join order; PostgreSQL plans it
    // freely), walked in the order of their names' key, so that a page of one item's pool
    // stops after its rows instead of sorting the item's whole pool (15 ms → 1 ms at
    // 100,000 people). A count: the qualifications first, by their item index.
    let from = if select.starts_with("SELECT COUNT") || select.contains("COUNT(*)") {
        "qualifications q JOIN people p ON p.id = q.person_id WHERE 1 = 1"
    } else {
        "people p CROSS JOIN qualifications q WHERE q.person_id = p.id"
    };
    let mut sql = format!(
        "{select} FROM {from} \
           AND NOT EXISTS (SELECT 1 FROM holdings h WHERE h.person_id = q.person_id \
                           AND h.item_code = q.item_code AND h.state <> 'released') \
           AND p.birth_date > ?"
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
    (sql, values)
}

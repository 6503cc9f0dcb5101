//! The reads of batch jobs: whom the nightly sweep must look at, what is due soon, and the
//! tables the register exports.
//!
//! | query | served by |
//! |---|---|
//! | [`Store::people_with_ended_registrations`] | a scan of registered holdings (nightly) |
//! | [`Store::renewals_due`] | a scan of registered holdings (nightly) |
//! | [`Store::certificates_ending`] | a scan of certificate editions (a cycle's 换证) |
//! | exports | full scans, by design |

use std::collections::BTreeMap;

use registry_core::cycle::RegistrationCycle;
use registry_core::education::Attendance;
use registry_core::holding::ItemState;
use registry_core::ids::{AttendanceId, CourseId, InstitutionId, PersonId};
use registry_core::person::Person;
use registry_core::ports::StoreError;
use registry_core::review_item::ReviewItemCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use time::Date;

use crate::Store;
use crate::convert::person_from_row;
use crate::entity::people;
use crate::error::store_error;
use crate::queries::{get, item};

/// A registration ending soon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenewalDue {
    /// The person.
    pub person: PersonId,
    /// Their name.
    pub name: String,
    /// The institution's name.
    pub institution: String,
    /// The item.
    pub item: ReviewItemCode,
    /// The last day.
    pub valid_until: Date,
}

/// A person as exported, with their items and employers.
#[derive(Debug, Clone)]
pub struct ExportPerson {
    /// The person.
    pub person: Person,
    /// Their qualifications.
    pub items: Vec<ReviewItemCode>,
    /// The institutions that hold an item of theirs (not released), with the items.
    pub employers: Vec<(String, Vec<ReviewItemCode>)>,
}

/// A registration as exported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRegistration {
    /// The person's name.
    pub name: String,
    /// Their registration number.
    pub number: String,
    /// The item.
    pub item: ReviewItemCode,
    /// The institution's name.
    pub institution: String,
    /// 注册日期
    pub registered_on: Date,
    /// 有效期起
    pub valid_from: Date,
    /// 有效期至
    pub valid_until: Date,
    /// The holding's state as recorded.
    pub state: ItemState,
}

/// An attendance entry as exported.
#[derive(Debug, Clone)]
pub struct ExportAttendance {
    /// The entry.
    pub entry: Attendance,
    /// The course's name.
    pub course: String,
    /// The person.
    pub person: Person,
}

impl Store {
    /// The people with a registration still recorded as registered whose validity ended
    /// before `as_of`.
    pub async fn people_with_ended_registrations(
        &self,
        as_of: Date,
    ) -> Result<Vec<PersonId>, StoreError> {
        self.rows(
            "SELECT DISTINCT person_id FROM holdings \
             WHERE state = 'registered' AND valid_until < ? ORDER BY person_id",
            vec![as_of.into()],
        )
        .await?
        .iter()
        .map(|r| Ok(PersonId::new(get(r, "person_id")?)))
        .collect()
    }

    /// Every registration, at every institution, whose validity ends between `from` and
    /// `until` (both included), soonest first.
    pub async fn renewals_due(
        &self,
        from: Date,
        until: Date,
    ) -> Result<Vec<RenewalDue>, StoreError> {
        self.rows(
            "SELECT h.person_id, p.name, i.name AS institution, h.item_code, h.valid_until \
             FROM holdings h JOIN people p ON p.id = h.person_id \
             JOIN institutions i ON i.id = h.institution_id \
             WHERE h.state = 'registered' AND h.valid_until >= ? AND h.valid_until <= ? \
             ORDER BY h.valid_until, i.name, p.name_key",
            vec![from.into(), until.into()],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(RenewalDue {
                person: PersonId::new(get(r, "person_id")?),
                name: get(r, "name")?,
                institution: get(r, "institution")?,
                item: item(&get::<String>(r, "item_code")?)?,
                valid_until: get(r, "valid_until")?,
            })
        })
        .collect()
    }

    /// The people whose certificate runs longest to the end of `cycle` (whose cycle before
    /// is `previous`): those due for 换证 into the next cycle, by id; only those
    /// `employed_by` an institution (holding one of their items) when given.
    pub async fn certificates_ending(
        &self,
        cycle: &RegistrationCycle,
        previous: Option<&RegistrationCycle>,
        employed_by: Option<InstitutionId>,
    ) -> Result<Vec<PersonId>, StoreError> {
        // An edition's last day as `registry_core::renewal::certificate_end` has it: its
        // printed validity, or for one printed without, the end of the first cycle ending
        // on or after its pass list (or the day it was made) — this cycle's end exactly
        // when that day is after the previous cycle's end and by this one's (any other day
        // stands in for the others: they only need to differ from this cycle's end, on
        // the right side).
        let mut sql = String::from(
            "SELECT d.person_id FROM documents d \
             WHERE d.kind = 'certificate' AND d.voided_on IS NULL",
        );
        let mut values: Vec<sea_orm::Value> = vec![];
        if let Some(institution) = employed_by {
            sql.push_str(
                " AND d.person_id IN (SELECT h.person_id FROM holdings h \
                 WHERE h.institution_id = ? AND h.state <> 'released')",
            );
            values.push(institution.get().into());
        }
        sql.push_str(
            " GROUP BY d.person_id HAVING MAX(CASE \
               WHEN d.valid_until IS NOT NULL THEN d.valid_until \
               WHEN COALESCE(d.pass_list, d.created_on) > ? \
                AND COALESCE(d.pass_list, d.created_on) <= ? THEN ? \
               ELSE COALESCE(d.pass_list, d.created_on) END) = ? \
             ORDER BY d.person_id",
        );
        let first_day = Date::from_ordinal_date(1, 1).unwrap_or(Date::MIN);
        let after = previous.map_or(first_day, RegistrationCycle::end);
        let end = cycle.end();
        values.extend([after.into(), end.into(), end.into(), end.into()]);
        self.rows(&sql, values)
            .await?
            .iter()
            .map(|r| Ok(PersonId::new(get(r, "person_id")?)))
            .collect()
    }

    /// Every person (or those an institution employs), by name, with their items and
    /// employers.
    pub async fn export_people(
        &self,
        institution: Option<InstitutionId>,
    ) -> Result<Vec<ExportPerson>, StoreError> {
        let mut find = people::Entity::find().order_by_asc(people::Column::NameKey);
        if let Some(institution) = institution {
            find = find.filter(Expr::cust_with_values(
                "id IN (SELECT person_id FROM holdings \
                 WHERE institution_id = ? AND state <> 'released')",
                [institution.get()],
            ));
        }
        let rows = find.all(self.db()).await.map_err(store_error)?;
        let mut items: BTreeMap<i64, Vec<ReviewItemCode>> = BTreeMap::new();
        for r in self
            .rows(
                "SELECT person_id, item_code FROM qualifications ORDER BY person_id, item_code",
                vec![],
            )
            .await?
        {
            items
                .entry(get(&r, "person_id")?)
                .or_default()
                .push(item(&get::<String>(&r, "item_code")?)?);
        }
        let mut employers: BTreeMap<i64, BTreeMap<String, Vec<ReviewItemCode>>> = BTreeMap::new();
        for r in self
            .rows(
                "SELECT h.person_id, i.name, h.item_code FROM holdings h \
                 JOIN institutions i ON i.id = h.institution_id \
                 WHERE h.state <> 'released' ORDER BY h.person_id, i.name, h.item_code",
                vec![],
            )
            .await?
        {
            employers
                .entry(get(&r, "person_id")?)
                .or_default()
                .entry(get(&r, "name")?)
                .or_default()
                .push(item(&get::<String>(&r, "item_code")?)?);
        }
        rows.into_iter()
            .map(|row| {
                let id = row.id;
                Ok(ExportPerson {
                    person: person_from_row(row, self.key())?,
                    items: items.remove(&id).unwrap_or_default(),
                    employers: employers
                        .remove(&id)
                        .map(|m| m.into_iter().collect())
                        .unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Every registration (or an institution's), newest first.
    pub async fn export_registrations(
        &self,
        institution: Option<InstitutionId>,
    ) -> Result<Vec<ExportRegistration>, StoreError> {
        let mut sql = String::from(
            "SELECT p.name, p.registration_number, r.item_code, i.name AS institution, \
             r.registered_on, r.valid_from, r.valid_until, h.state \
             FROM registrations r JOIN people p ON p.id = r.person_id \
             JOIN institutions i ON i.id = r.institution_id \
             JOIN holdings h ON h.id = r.holding_id",
        );
        let mut values = Vec::new();
        if let Some(institution) = institution {
            sql.push_str(" WHERE r.institution_id = ?");
            values.push(institution.get().into());
        }
        sql.push_str(" ORDER BY r.registered_on DESC, p.name_key");
        self.rows(&sql, values)
            .await?
            .iter()
            .map(|r| {
                let state: String = get(r, "state")?;
                Ok(ExportRegistration {
                    name: get(r, "name")?,
                    number: get::<Option<String>>(r, "registration_number")?.unwrap_or_default(),
                    item: item(&get::<String>(r, "item_code")?)?,
                    institution: get(r, "institution")?,
                    registered_on: get(r, "registered_on")?,
                    valid_from: get(r, "valid_from")?,
                    valid_until: get(r, "valid_until")?,
                    state: ItemState::from_code(&state)
                        .ok_or_else(|| StoreError::Unexpected(format!("unknown state {state}")))?,
                })
            })
            .collect()
    }

    /// Every attendance entry (or those of an institution's people), by course.
    pub async fn export_attendance(
        &self,
        institution: Option<InstitutionId>,
    ) -> Result<Vec<ExportAttendance>, StoreError> {
        let mut sql = String::from(
            "SELECT a.id, a.course_id, a.person_id, a.hours_tenths, a.recorded_on, a.reverses_id, \
             c.name AS course_name FROM attendance a JOIN courses c ON c.id = a.course_id",
        );
        let mut values = Vec::new();
        if let Some(institution) = institution {
            sql.push_str(
                " WHERE a.person_id IN (SELECT person_id FROM holdings \
                 WHERE institution_id = ? AND state <> 'released')",
            );
            values.push(institution.get().into());
        }
        sql.push_str(" ORDER BY a.course_id, a.id");
        let rows = self.rows(&sql, values).await?;
        let ids: Vec<i64> = rows
            .iter()
            .map(|r| get::<i64>(r, "person_id"))
            .collect::<Result<_, _>>()?;
        let mut people: BTreeMap<i64, Person> = BTreeMap::new();
        for chunk in ids.chunks(500) {
            for row in people::Entity::find()
                .filter(people::Column::Id.is_in(chunk.iter().copied()))
                .all(self.db())
                .await
                .map_err(store_error)?
            {
                let id = row.id;
                people.insert(id, person_from_row(row, self.key())?);
            }
        }
        rows.iter()
            .map(|r| {
                let person_id: i64 = get(r, "person_id")?;
                let person = people
                    .get(&person_id)
                    .cloned()
                    .ok_or_else(|| StoreError::Unexpected("an entry without its person".into()))?;
                Ok(ExportAttendance {
                    entry: Attendance {
                        id: AttendanceId::new(get(r, "id")?),
                        course: CourseId::new(get(r, "course_id")?),
                        person: PersonId::new(person_id),
                        hours: rust_decimal::Decimal::new(
                            i64::from(get::<i32>(r, "hours_tenths")?),
                            1,
                        ),
                        recorded_on: get(r, "recorded_on")?,
                        reverses: get::<Option<i64>>(r, "reverses_id")?.map(AttendanceId::new),
                    },
                    course: get(r, "course_name")?,
                    person,
                })
            })
            .collect()
    }
}

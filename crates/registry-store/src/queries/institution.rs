//! The institution's reads: its people with each item's state, its registrations ending
//! within the renewal window, the on-site assessments it recorded.

use registry_core::assessment::OnSiteAssessment;

use registry_core::holding::ItemState;
use registry_core::ids::{HoldingId, InstitutionId, PersonId};

use registry_core::ports::StoreError;

use registry_core::registration_number::RegistrationNumber;

use registry_core::review_item::ReviewItemCode;

use sea_orm::Value;
use time::Date;

use crate::convert::assessment_from_row;

use crate::Store;
use crate::error::store_error;

use super::{get, holding_row, item, number, page};

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
    /// The day it was released (已退回).
    pub released_on: Option<Date>,
}

impl Store {
    /// The on-site assessments an institution recorded, latest first, `limit` from
    /// `offset`, and how many it recorded in all.
    pub async fn assessments_recorded_by(
        &self,
        institution: InstitutionId,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<AssessmentListing>, u64), StoreError> {
        use crate::entity::assessments;
        use sea_orm::FromQueryResult;
        let total: i64 = match self
            .rows(
                "SELECT COUNT(*) AS total FROM assessments WHERE recorded_by = ?",
                vec![institution.get().into()],
            )
            .await?
            .first()
        {
            Some(row) => get(row, "total")?,
            None => 0,
        };
        let rows = self
            .rows(
                "SELECT a.*, p.name AS person_name FROM assessments a JOIN people p ON p.id = a.person_id \
                 WHERE a.recorded_by = ? ORDER BY a.end_date DESC, a.id DESC LIMIT ? OFFSET ?",
                vec![
                    institution.get().into(),
                    (limit.clamp(1, 500) as i64).into(),
                    i64::try_from(offset).unwrap_or(i64::MAX).into(),
                ],
            )
            .await?;
        let listed = rows
            .iter()
            .map(|r| {
                let model = assessments::Model::from_query_result(r, "").map_err(store_error)?;
                Ok(AssessmentListing {
                    assessment: assessment_from_row(model)?,
                    name: get(r, "person_name")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok((listed, u64::try_from(total).unwrap_or(0)))
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
             ORDER BY h.valid_until, p.name_key",
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

    /// 本机构人员: the people an institution holds items of, with each item's state
    /// today, a page at a time (ordered by name), and how many people match in all.
    pub async fn institution_people(
        &self,
        institution: InstitutionId,
        query: &InstitutionPeopleQuery,
        today: Date,
    ) -> Result<(Vec<InstitutionPerson>, u64), StoreError> {
        // 已退回 lists the people whose items this institution released (and who it has
        // not hired again for that item); every other filter, the items it holds.
        let released = query.state == Some(ItemState::Released);
        let held = if released {
            "h.institution_id = ? AND h.state = 'released' AND NOT EXISTS (SELECT 1 FROM \
             holdings a WHERE a.person_id = h.person_id AND a.item_code = h.item_code \
             AND a.institution_id = h.institution_id AND a.state <> 'released')"
        } else {
            "h.institution_id = ? AND h.state <> 'released'"
        };
        let mut filter = String::from(held);
        let mut values: Vec<Value> = vec![institution.get().into()];
        match query.state {
            Some(ItemState::Released) => {}
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
                     ORDER BY p.name_key, p.id LIMIT ? OFFSET ?"
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
                    "SELECT h.* FROM holdings h WHERE {held} \
                     AND h.person_id IN ({}) ORDER BY h.person_id, h.item_code, h.id DESC",
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
                        // released more than once: the last release
                        .filter({
                            let mut seen = std::collections::HashSet::new();
                            move |h| seen.insert(h.item.clone())
                        })
                        .map(|h| InstitutionItem {
                            holding: h.id,
                            item: h.item.clone(),
                            state: h.state_on(today),
                            valid_until: h.registration.as_ref().map(|r| r.valid_until),
                            since: h.since,
                            released_on: h.released_on,
                        })
                        .collect(),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok((out, u64::try_from(total).unwrap_or(0)))
    }
}

/// A person's request for a correction, in an institution's queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrectionListing {
    /// The request.
    pub id: i64,
    /// Whose.
    pub person: PersonId,
    /// Their name.
    pub name: String,
    /// What they asked.
    pub text: String,
    /// When.
    pub created_at: time::OffsetDateTime,
    /// The answer, once given, and when.
    pub answered: Option<(time::OffsetDateTime, String)>,
}

impl Store {
    /// An institution's correction requests, the open ones first, then the latest 100
    /// answered.
    pub async fn corrections(
        &self,
        institution: InstitutionId,
    ) -> Result<Vec<CorrectionListing>, StoreError> {
        let rows = self
            .rows(
                "SELECT c.id, c.person_id, p.name, c.text, c.created_at, c.answered_at, c.answer \
                 FROM correction_requests c JOIN people p ON p.id = c.person_id \
                 WHERE c.institution_id = ? \
                 ORDER BY CASE WHEN c.answered_at IS NULL THEN 0 ELSE 1 END, c.id DESC \
                 LIMIT 500",
                vec![institution.get().into()],
            )
            .await?;
        let mut answered = 0;
        let mut out = Vec::new();
        for row in &rows {
            let at: Option<time::OffsetDateTime> = get(row, "answered_at")?;
            if at.is_some() {
                answered += 1;
                if answered > 100 {
                    break;
                }
            }
            out.push(CorrectionListing {
                id: get(row, "id")?,
                person: PersonId::new(get(row, "person_id")?),
                name: get(row, "name")?,
                text: get(row, "text")?,
                created_at: get(row, "created_at")?,
                answered: at.map(|at| {
                    (
                        at,
                        get::<Option<String>>(row, "answer")
                            .ok()
                            .flatten()
                            .unwrap_or_default(),
                    )
                }),
            });
        }
        Ok(out)
    }
}

//! The rows behind the workspaces' figures (the core's [`registry_core::read::dashboard`]
//! decides what they mean), for the whole register or one institution: registration
//! periods, the last days of the registrations in force, the registered people's birth
//! dates, holdings by state today, the pool's size per item, the editions mailed since a
//! day, the runs of batch jobs.

use registry_core::document::DocumentKind;
use registry_core::holding::ItemState;
use registry_core::ids::{InstitutionId, PersonId};
use registry_core::read::dashboard::Span;
use registry_core::review_item::ReviewItemCode;
use sea_orm::Value;
use time::Date;

use super::{get, item};
use crate::Store;
use crate::queries::PoolQuery;
use registry_core::ports::StoreError;

/// `AND <column> = ?` for one institution, nothing for the whole register.
fn of(institution: Option<InstitutionId>, column: &str, values: &mut Vec<Value>) -> String {
    match institution {
        Some(id) => {
            values.push(id.get().into());
            format!(" AND {column} = ?")
        }
        None => String::new(),
    }
}

fn count(total: i64) -> u64 {
    u64::try_from(total).unwrap_or(0)
}

impl Store {
    /// Every registration period that ends on or after `since` (of one institution, or
    /// all), with the release day of its holding.
    pub async fn registration_spans(
        &self,
        institution: Option<InstitutionId>,
        since: Date,
    ) -> Result<Vec<Span>, StoreError> {
        let mut values: Vec<Value> = vec![since.into()];
        let filter = of(institution, "r.institution_id", &mut values);
        self.rows(
            &format!(
                "SELECT r.institution_id, r.item_code, r.person_id, r.valid_from, r.valid_until, \
                        h.released_on \
                 FROM registrations r JOIN holdings h ON h.id = r.holding_id \
                 WHERE r.valid_until >= ?{filter}"
            ),
            values,
        )
        .await?
        .iter()
        .map(|row| {
            Ok(Span {
                institution: InstitutionId::new(get(row, "institution_id")?),
                item: item(&get::<String>(row, "item_code")?)?,
                person: PersonId::new(get(row, "person_id")?),
                valid_from: get(row, "valid_from")?,
                valid_until: get(row, "valid_until")?,
                released_on: get(row, "released_on")?,
            })
        })
        .collect()
    }

    /// The last day of each registered holding still in force on `today` (a renewal made
    /// early has moved it to the next cycle's period).
    pub async fn registration_ends(
        &self,
        institution: Option<InstitutionId>,
        today: Date,
    ) -> Result<Vec<Date>, StoreError> {
        let mut values: Vec<Value> = vec![today.into()];
        let filter = of(institution, "institution_id", &mut values);
        self.rows(
            &format!(
                "SELECT valid_until FROM holdings \
                 WHERE state = 'registered' AND valid_until >= ?{filter}"
            ),
            values,
        )
        .await?
        .iter()
        .map(|row| get(row, "valid_until"))
        .collect()
    }

    /// The birth dates of the people with a registration in force on `today` (at the
    /// institution, or anywhere), each person once.
    pub async fn registered_births(
        &self,
        institution: Option<InstitutionId>,
        today: Date,
    ) -> Result<Vec<Date>, StoreError> {
        let mut values: Vec<Value> = vec![today.into(), today.into()];
        let filter = of(institution, "r.institution_id", &mut values);
        self.rows(
            &format!(
                "SELECT p.birth_date FROM people p WHERE EXISTS (SELECT 1 FROM registrations r \
                 JOIN holdings h ON h.id = r.holding_id AND h.state = 'registered' \
                 WHERE r.person_id = p.id AND r.valid_from <= ? AND r.valid_until >= ?{filter})"
            ),
            values,
        )
        .await?
        .iter()
        .map(|row| get(row, "birth_date"))
        .collect()
    }

    /// How many holdings are in each state today (a registration whose validity ended
    /// counts as expired before the sweep records it, as [`registry_core::holding::Holding::state_on`]
    /// says).
    pub async fn holding_states(
        &self,
        institution: Option<InstitutionId>,
        today: Date,
    ) -> Result<Vec<(ItemState, u64)>, StoreError> {
        let mut values: Vec<Value> = vec![today.into()];
        let filter = of(institution, "institution_id", &mut values);
        let rows = self
            .rows(
                &format!(
                    "SELECT CASE WHEN state = 'registered' AND valid_until < ? THEN 'expired' \
                            ELSE state END AS state_today, COUNT(*) AS total \
                     FROM holdings WHERE 1 = 1{filter} GROUP BY state_today"
                ),
                values,
            )
            .await?;
        let mut out = Vec::new();
        for row in &rows {
            let code: String = get(row, "state_today")?;
            let state = ItemState::from_code(&code)
                .ok_or_else(|| StoreError::Unexpected(format!("a holding in state {code}")))?;
            out.push((state, count(get(row, "total")?)));
        }
        Ok(out)
    }

    /// The pool's size (无聘用单位人员) per review item.
    pub async fn pool_sizes(
        &self,
        today: Date,
        age_limit: u32,
    ) -> Result<Vec<(ReviewItemCode, u64)>, StoreError> {
        let (mut sql, values) = super::public::pool_condition(
            "SELECT q.item_code, COUNT(*) AS total",
            &PoolQuery::default(),
            today,
            age_limit,
        );
        sql.push_str(" GROUP BY q.item_code");
        self.rows(&sql, values)
            .await?
            .iter()
            .map(|row| {
                Ok((
                    item(&get::<String>(row, "item_code")?)?,
                    count(get(row, "total")?),
                ))
            })
            .collect()
    }

    /// Every institution's registrations whose validity ends between `from` and `until`
    /// (both included), soonest first, with the institution's name; `limit` from
    /// `offset`, and how many there are in all.
    pub async fn expiring_everywhere(
        &self,
        from: Date,
        until: Date,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<(super::Expiring, String)>, u64), StoreError> {
        let window = "h.state = 'registered' AND h.valid_until >= ? AND h.valid_until <= ?";
        let total: i64 = match self
            .rows(
                &format!("SELECT COUNT(*) AS total FROM holdings h WHERE {window}"),
                vec![from.into(), until.into()],
            )
            .await?
            .first()
        {
            Some(row) => get(row, "total")?,
            None => 0,
        };
        let rows = self
            .rows(
                &format!(
                    "SELECT h.person_id, p.name, h.item_code, h.valid_until, i.name AS institution \
                     FROM holdings h JOIN people p ON p.id = h.person_id \
                     JOIN institutions i ON i.id = h.institution_id WHERE {window} \
                     ORDER BY h.valid_until, p.name_key, h.item_code LIMIT ? OFFSET ?"
                ),
                vec![
                    from.into(),
                    until.into(),
                    i64::try_from(limit.min(super::MAX_PAGE))
                        .unwrap_or(20)
                        .into(),
                    i64::try_from(offset).unwrap_or(i64::MAX).into(),
                ],
            )
            .await?;
        let listed = rows
            .iter()
            .map(|r| {
                Ok((
                    super::Expiring {
                        person: PersonId::new(get(r, "person_id")?),
                        name: get(r, "name")?,
                        item: item(&get::<String>(r, "item_code")?)?,
                        valid_until: get(r, "valid_until")?,
                    },
                    get(r, "institution")?,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok((listed, count(total)))
    }

    /// The review items an institution holds of anybody (its matrix's columns).
    pub async fn institution_items(
        &self,
        institution: InstitutionId,
    ) -> Result<Vec<ReviewItemCode>, StoreError> {
        self.rows(
            "SELECT DISTINCT item_code FROM holdings WHERE institution_id = ? \
             AND state <> 'released' ORDER BY item_code",
            vec![institution.get().into()],
        )
        .await?
        .iter()
        .map(|row| item(&get::<String>(row, "item_code")?))
        .collect()
    }

    /// How many registration cards of an institution's people wait to be issued (neither
    /// mailed nor void).
    pub async fn pending_cards(&self, institution: InstitutionId) -> Result<u64, StoreError> {
        let rows = self
            .rows(
                "SELECT COUNT(*) AS total FROM documents WHERE kind = 'card' \
                 AND institution_id = ? AND mailed_on IS NULL AND voided_on IS NULL",
                vec![institution.get().into()],
            )
            .await?;
        match rows.first() {
            Some(row) => Ok(count(get(row, "total")?)),
            None => Ok(0),
        }
    }

    /// How many editions of each kind were marked mailed on or after `since`.
    pub async fn mailed_since(&self, since: Date) -> Result<Vec<(DocumentKind, u64)>, StoreError> {
        self.rows(
            "SELECT kind, COUNT(*) AS total FROM documents WHERE mailed_on >= ? GROUP BY kind",
            vec![since.into()],
        )
        .await?
        .iter()
        .map(|row| {
            let code: String = get(row, "kind")?;
            let kind = DocumentKind::from_code(&code)
                .ok_or_else(|| StoreError::Unexpected(format!("a document of kind {code}")))?;
            Ok((kind, count(get(row, "total")?)))
        })
        .collect()
    }

    /// The runs of batch jobs recorded at or after `since` (the audit log's `run` entries,
    /// found by its entity index), the latest first, at most `limit`.
    pub async fn runs_since(
        &self,
        since: time::OffsetDateTime,
        limit: u64,
    ) -> Result<Vec<super::association::AuditEntry>, StoreError> {
        let rows = self
            .rows(
                "SELECT at, actor, action, entity, entity_id, before, after FROM audit_log \
                 WHERE entity = 'run' ORDER BY id DESC LIMIT ?",
                vec![i64::try_from(limit).unwrap_or(i64::MAX).into()],
            )
            .await?;
        let mut runs = Vec::with_capacity(rows.len());
        for row in &rows {
            let entry = super::association::audit_entry(row)?;
            if entry.at < since {
                break;
            }
            runs.push(entry);
        }
        Ok(runs)
    }
}

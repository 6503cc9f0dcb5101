//! The use case of a pass list imported at once (考核合格名单): the same rule as one exam
//! result, for a thousand rows in one go. People new to the register are added together
//! (one statement per table, not one per row), each with their items, registration number,
//! certificate edition and `person.import` audit entry; people the register holds go
//! through the steps of [`super::RecordExamResult`].

use std::collections::BTreeMap;

use super::documents::{certificate_edition, number_year};
use super::people::record_result;
use super::{Context, UseCase, UseCaseError};
use crate::document::{DocumentKind, in_catalogue_order, serial_of};
use crate::exchange::{PassListJudgement, judge_pass_list_row};
use crate::ids::PersonId;
use crate::ports::{Entity, NewRegistrant, RegisterTx, Snapshot};
use crate::qualification::ExamResult;
use crate::resident_id::ResidentId;
use crate::violation::Violations;

/// Records the checked exam results of a batch of pass-list rows, in file order. Each row
/// is judged again against the register as it is now (`judge_pass_list_row`); a row the
/// check let through but that is refused now (its ID number recorded under another name
/// meanwhile) refuses the whole batch.
#[derive(Debug, Clone)]
pub struct RecordPassList {
    /// The rows' results.
    pub results: Vec<ExamResult>,
}

/// What [`RecordPassList`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PassListRecorded {
    /// Rows that added something (a person, or an item to a person).
    pub added: u64,
    /// People new to the register among them.
    pub new_people: u64,
}

impl UseCase for RecordPassList {
    type Output = PassListRecorded;

    async fn run<T: RegisterTx>(
        &self,
        ctx: &Context<'_>,
        tx: &mut T,
    ) -> Result<PassListRecorded, UseCaseError> {
        let ids: Vec<ResidentId> = self.results.iter().map(|r| r.resident_id.clone()).collect();
        let known = tx.people_by_resident_ids(&ids).await?;
        let cycles = tx.cycles().await?;
        let mut fresh: Vec<NewRegistrant> = Vec::new();
        let mut index: BTreeMap<ResidentId, usize> = BTreeMap::new();
        let mut outcome = PassListRecorded::default();
        for result in &self.results {
            let person = known.get(&result.resident_id);
            match judge_pass_list_row(result, person) {
                PassListJudgement::Unchanged => {}
                PassListJudgement::Rejected(problems) => {
                    return Err(UseCaseError::Rejected(Violations::new(problems)));
                }
                PassListJudgement::New if person.is_some() => {
                    record_result(ctx, tx, result).await?;
                    outcome.added += 1;
                }
                PassListJudgement::New => {
                    let at = *index.entry(result.resident_id.clone()).or_insert_with(|| {
                        fresh.push(NewRegistrant {
                            name: result.name.clone(),
                            resident_id: result.resident_id.clone(),
                            qualifications: Vec::new(),
                            certificate: certificate_edition(
                                ctx,
                                &cycles,
                                PersonId::new(0),
                                Vec::new(),
                                result.published_on,
                            ),
                        });
                        fresh.len() - 1
                    });
                    if let Some(new) = fresh.get_mut(at) {
                        for item in &result.items {
                            if !new.qualifications.iter().any(|q| &q.0 == item) {
                                new.qualifications.push((
                                    item.clone(),
                                    result.exam_date,
                                    result.published_on,
                                ));
                            }
                        }
                        // The certificate counts from the latest of the person's lists.
                        if new.certificate.pass_list < Some(result.published_on) {
                            new.certificate.pass_list = Some(result.published_on);
                            new.certificate.valid_until =
                                cycles.at(result.published_on).map(|c| c.end());
                        }
                    }
                    outcome.added += 1;
                }
            }
        }
        for new in &mut fresh {
            new.certificate.items = in_catalogue_order(
                ctx.catalogue,
                new.qualifications.iter().map(|q| q.0.clone()),
            );
        }
        if fresh.is_empty() {
            return Ok(outcome);
        }
        let added = tx.insert_new_people(&fresh, number_year(ctx)).await?;
        let records: Vec<_> = fresh
            .iter()
            .zip(&added)
            .map(|(new, got)| {
                let items: Vec<&str> = new.qualifications.iter().map(|q| q.0.as_str()).collect();
                ctx.audit(
                    "person.import",
                    Entity::Person,
                    got.person.get(),
                    Some(got.person),
                    None,
                    Some(
                        Snapshot::default()
                            .with("name", &new.name)
                            .with("resident_id", new.resident_id.masked())
                            .with("registration_number", got.number)
                            .with("items", items.join(","))
                            .with(
                                "certificate",
                                serial_of(DocumentKind::Certificate, got.certificate),
                            ),
                    ),
                )
            })
            .collect();
        tx.audit_all(&records).await?;
        outcome.new_people = u64::try_from(fresh.len()).unwrap_or(u64::MAX);
        Ok(outcome)
    }
}

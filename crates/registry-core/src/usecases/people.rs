//! The use cases of people: the pass list's exam results, the details an assessor fills
//! in, and the logged disclosures of full ID numbers.

use super::{Context, UseCase, UseCaseError, existing_person, holding_snapshot, person_snapshot};
use crate::date::format_date;
use crate::holding::{EntryProgress, ItemEvent, ItemState};
use crate::ids::{InstitutionId, PersonId};
use crate::person::{AssessorDetails, DetailField, DetailsForm, Person, labels};
use crate::ports::{Entity, RegisterTx, Snapshot};
use crate::qualification::{ExamResult, ExamResultForm, Qualification, check_name};
use crate::review_item::ReviewItemCode;
use crate::violation::Violation;

/// Records an exam result from the pass list: creates the person if the ID number is new
/// and credits the items passed. Idempotent: items already recorded are left as they are.
#[derive(Debug, Clone)]
pub struct RecordExamResult {
    /// The result as typed or imported.
    pub form: ExamResultForm,
}

/// What [`RecordExamResult`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExamRecorded {
    /// The person.
    pub person: PersonId,
    /// Whether the person was new to the register.
    pub created: bool,
    /// Items credited now.
    pub added: Vec<ReviewItemCode>,
    /// Items the person held already.
    pub already: Vec<ReviewItemCode>,
}

impl UseCase for RecordExamResult {
    type Output = ExamRecorded;

    async fn run<T: RegisterTx>(
        &self,
        ctx: &Context<'_>,
        tx: &mut T,
    ) -> Result<ExamRecorded, UseCaseError> {
        let cycles = tx.cycles().await?;
        let result = ExamResult::parse(&self.form, ctx.catalogue, &cycles, ctx.today())?;
        record_result(ctx, tx, &result).await
    }
}

/// Records one checked exam result: the person found (the same name) or added, the items
/// not held yet credited, the certificate made anew if its items changed.
pub(super) async fn record_result<T: RegisterTx>(
    ctx: &Context<'_>,
    tx: &mut T,
    result: &ExamResult,
) -> Result<ExamRecorded, UseCaseError> {
    let (person, created) = match tx.person_by_resident_id(&result.resident_id).await? {
        Some(person) => {
            check_name(&person.name, &result.name, &result.resident_id)?;
            (person.id, false)
        }
        None => {
            let id = tx.insert_person(&result.name, &result.resident_id).await?;
            let after = Snapshot::default()
                .with("name", &result.name)
                .with("resident_id", result.resident_id.masked());
            tx.audit(&ctx.audit(
                "person.create",
                Entity::Person,
                id.get(),
                Some(id),
                None,
                Some(after),
            ))
            .await?;
            (id, true)
        }
    };
    tx.lock_person(person).await?;
    let held = tx.qualifications(person).await?;
    let mut added = Vec::new();
    let mut already = Vec::new();
    for item in result.items.iter().cloned() {
        if held.iter().any(|q| q.item == item) {
            already.push(item);
            continue;
        }
        let qualification = Qualification {
            person,
            item: item.clone(),
            exam_date: result.exam_date,
            published_on: result.published_on,
        };
        tx.insert_qualification(&qualification).await?;
        let after = Snapshot::default()
            .with("item", &item)
            .with("exam_date", format_date(result.exam_date))
            .with("published_on", format_date(result.published_on));
        tx.audit(&ctx.audit(
            "qualification.create",
            Entity::Qualification,
            person.get(),
            Some(person),
            None,
            Some(after),
        ))
        .await?;
        added.push(item);
    }
    if !added.is_empty() {
        super::documents::refresh_certificate(ctx, tx, person, result.published_on).await?;
    }
    Ok(ExamRecorded {
        person,
        created,
        added,
        already,
    })
}

/// Discloses a person's full resident ID number to the association, and records the
/// disclosure in the audit log: every display of the full number is logged (PIPL).
#[derive(Debug, Clone)]
pub struct DiscloseResidentId {
    /// The person.
    pub person: PersonId,
    /// Why (the page or export that shows it).
    pub purpose: &'static str,
}

impl UseCase for DiscloseResidentId {
    type Output = crate::resident_id::ResidentId;

    async fn run<T: RegisterTx>(
        &self,
        ctx: &Context<'_>,
        tx: &mut T,
    ) -> Result<crate::resident_id::ResidentId, UseCaseError> {
        let person = tx
            .person(self.person)
            .await?
            .ok_or(UseCaseError::NotFound(Entity::Person))?;
        tx.audit(&ctx.audit(
            "person.disclose_id",
            Entity::Person,
            self.person.get(),
            Some(self.person),
            None,
            Some(Snapshot::default().with("purpose", self.purpose)),
        ))
        .await?;
        Ok(person.resident_id)
    }
}

/// Records that documents showing these people's full ID numbers are being printed (the
/// certificates): one `person.disclose_id` entry per person, all in one transaction, before
/// anything is printed. Every display of the full number is logged (PIPL).
#[derive(Debug, Clone)]
pub struct DiscloseForPrinting {
    /// The people whose numbers the documents show.
    pub people: Vec<PersonId>,
    /// What is printed.
    pub purpose: &'static str,
}

impl UseCase for DiscloseForPrinting {
    type Output = ();

    async fn run<T: RegisterTx>(&self, ctx: &Context<'_>, tx: &mut T) -> Result<(), UseCaseError> {
        for &person in &self.people {
            tx.audit(&ctx.audit(
                "person.disclose_id",
                Entity::Person,
                person.get(),
                Some(person),
                None,
                Some(Snapshot::default().with("purpose", self.purpose)),
            ))
            .await?;
        }
        Ok(())
    }
}

/// Saves the details a person fills in through an institution's entry (人员基本信息 →
/// 确定). The edge has checked the fill-in password. The form carries no state, item,
/// institution or registration: a person changes only their own details. Once the details
/// are complete, the person's items at that institution turn "等待注册" by themselves.
/// A closed entry (the institution disabled, or no longer employing the person) saves
/// nothing ([`Violation::EntryClosed`]), checked in the use case's own transaction.
#[derive(Debug, Clone)]
pub struct SaveDetails {
    /// The person.
    pub person: PersonId,
    /// The institution whose entry the person used.
    pub via: InstitutionId,
    /// The form.
    pub form: DetailsForm,
    /// The version of the details the form was shown with.
    pub version: i64,
}

/// What [`SaveDetails`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetailsSaved {
    /// The new version of the details.
    pub version: i64,
    /// The required fields still empty.
    pub missing: Vec<DetailField>,
    /// The person's items at that institution with their states now.
    pub items: Vec<(ReviewItemCode, ItemState)>,
}

impl DetailsSaved {
    /// What the person is told after saving: what is still missing, or that the items now
    /// await registration.
    pub fn message(&self) -> String {
        if !self.missing.is_empty() {
            format!("信息已保存，尚需填写：{}。", labels(&self.missing))
        } else if self
            .items
            .iter()
            .any(|(_, s)| *s == ItemState::AwaitingRegistration)
        {
            "信息已保存并填报完整，状态已变为“等待注册”，评审机构即可为您注册。".to_owned()
        } else {
            "信息已保存。".to_owned()
        }
    }
}

impl UseCase for SaveDetails {
    type Output = DetailsSaved;

    async fn run<T: RegisterTx>(
        &self,
        ctx: &Context<'_>,
        tx: &mut T,
    ) -> Result<DetailsSaved, UseCaseError> {
        let today = ctx.today();
        let person = existing_person(tx, self.person).await?;
        // The entry is checked again in this transaction: an institution disabled, or the
        // last item released, since the request began closes it.
        let employment = crate::read::employment::open_entry(tx, self.person, self.via)
            .await?
            .ok_or(Violation::EntryClosed)?;
        let details = AssessorDetails::parse(&self.form, &person.resident_id)?;
        let missing = details.missing();
        let complete = missing.is_empty();
        let holdings = tx.holdings_of(self.person).await?;
        let registered = holdings
            .iter()
            .any(|h| h.state_on(today) == ItemState::Registered);
        if registered && !complete {
            return Err(Violation::RegisteredMustStayComplete {
                missing: labels(&missing),
            }
            .into());
        }
        let before = person_snapshot(&person);
        let version = tx
            .update_details(self.person, &details, self.version)
            .await?;
        let after = person_snapshot(&Person {
            details: details.clone(),
            ..person
        });
        tx.audit(&ctx.audit(
            "person.details",
            Entity::Person,
            self.person.get(),
            Some(self.person),
            Some(before),
            Some(after),
        ))
        .await?;

        let progress = if complete {
            EntryProgress::Complete
        } else {
            EntryProgress::Incomplete
        };
        if employment.progress != progress {
            tx.update_employment(&crate::holding::Employment {
                progress,
                ..employment
            })
            .await?;
        }
        // Details that lost completeness hold back every institution's pending items;
        // completeness gained counts only for the institution whose entry was used.
        if !complete {
            for other in tx.employments_of(self.person).await? {
                if other.institution != self.via && other.progress == EntryProgress::Complete {
                    tx.update_employment(&crate::holding::Employment {
                        progress: EntryProgress::Incomplete,
                        ..other
                    })
                    .await?;
                }
            }
        }
        let mut items = Vec::new();
        for mut holding in holdings.into_iter().filter(|h| h.state.is_active()) {
            let applies = holding.institution == self.via
                || (!complete && holding.state == ItemState::AwaitingRegistration);
            if applies {
                let before = holding_snapshot(&holding);
                let previous = holding.state;
                // A registration that has ended but that the nightly sweep has not marked
                // yet: it is expired now, as the sweep would record it.
                if holding.state == ItemState::Registered
                    && holding.state_on(today) == ItemState::Expired
                {
                    holding
                        .apply(ItemEvent::Expire, today)
                        .map_err(Violation::from)?;
                }
                holding
                    .apply(ItemEvent::DetailsSaved { complete }, today)
                    .map_err(Violation::from)?;
                if holding.state != previous {
                    tx.update_holding(&holding).await?;
                    tx.audit(&ctx.audit(
                        "holding.state",
                        Entity::Holding,
                        holding.id.get(),
                        Some(self.person),
                        Some(before),
                        Some(holding_snapshot(&holding)),
                    ))
                    .await?;
                }
            }
            if holding.institution == self.via {
                items.push((holding.item.clone(), holding.state_on(today)));
            }
        }
        Ok(DetailsSaved {
            version,
            missing,
            items,
        })
    }
}

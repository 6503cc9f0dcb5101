//! The use case of on-site assessments (现场评审): recording one, with its working days.

use super::{Context, UseCase, UseCaseError, active_institution, existing_person};
use crate::assessment::{AssessmentDetails, AssessmentForm};
use crate::date::format_date;
use crate::ids::{AssessmentId, InstitutionId, PersonId};
use crate::ports::{Entity, RegisterTx, Snapshot};
use crate::violation::Violation;

/// Records an on-site assessment a person took part in; the working days are counted with
/// the calendar. An institution records only for items it holds of that person; the
/// association (`institution` none) for any item the person is qualified in.
#[derive(Debug, Clone)]
pub struct RecordAssessment {
    /// The person.
    pub person: PersonId,
    /// The institution recording it, from the session; none for the association.
    pub institution: Option<InstitutionId>,
    /// The form.
    pub form: AssessmentForm,
}

impl UseCase for RecordAssessment {
    type Output = (AssessmentId, u32);

    async fn run<T: RegisterTx>(
        &self,
        ctx: &Context<'_>,
        tx: &mut T,
    ) -> Result<(AssessmentId, u32), UseCaseError> {
        existing_person(tx, self.person).await?;
        if let Some(institution) = self.institution {
            active_institution(tx, institution).await?;
            super::current_employment(tx, self.person, institution).await?;
        }
        let details =
            AssessmentDetails::parse(&self.form, ctx.catalogue, ctx.calendar, ctx.today())?;
        let name = ctx.catalogue.name_of(&details.item).to_owned();
        match self.institution {
            Some(institution) => {
                let holdings = tx.holdings_of(self.person).await?;
                let holds = crate::read::employment::held_at(&holdings, institution)
                    .any(|h| h.item == details.item);
                if !holds {
                    return Err(Violation::AssessmentItemNotHeld { item: name }.into());
                }
            }
            None => {
                let qualified = tx
                    .qualifications(self.person)
                    .await?
                    .iter()
                    .any(|q| q.item == details.item);
                if !qualified {
                    return Err(Violation::NotQualified { item: name }.into());
                }
            }
        }
        let id = tx
            .insert_assessment(self.person, self.institution, &details)
            .await?;
        let after = Snapshot::default()
            .with("applicant_unit", &details.applicant_unit)
            .with("item", &details.item)
            .with("start", format_date(details.start))
            .with("end", format_date(details.end))
            .with("kind", details.kind.code())
            .with("working_days", details.working_days);
        tx.audit(&ctx.audit(
            "assessment.record",
            Entity::Assessment,
            id.get(),
            Some(self.person),
            None,
            Some(after),
        ))
        .await?;
        Ok((id, details.working_days))
    }
}

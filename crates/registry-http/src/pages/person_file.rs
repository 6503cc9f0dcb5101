//! What both person pages show the same way (the institution's and the association's): the
//! renewal outlook with hours and working days, the on-site assessments, and the form that
//! records one.

use registry_core::assessment::{AssessmentForm, OnSiteAssessment};
use registry_core::cycle::Cycles;
use registry_core::date::format_date;
use registry_core::education::format_hours;
use registry_core::ids::{InstitutionId, PersonId};

use registry_core::ports::{Actor, RegisterTx, StoreError};
use registry_core::read::outlook::{self, ItemRenewal, person_outlook};
use registry_core::read::record::PersonRecord;
use registry_core::registration::Reference;
use registry_core::review_item::ReviewItemCode;
use registry_core::usecases::RecordAssessment;
use registry_core::violation::Violation;

use super::Fields;
use crate::AppState;

use crate::errors::messages_of;
use crate::templates::{AssessmentFormView, AssessmentRow, RenewalRow, RenewalView};

/// The on-site assessments of a person, as rows.
pub(crate) fn assessment_rows(
    state: &AppState,
    assessments: &[OnSiteAssessment],
) -> Vec<AssessmentRow> {
    assessments
        .iter()
        .rev()
        .map(|a| AssessmentRow {
            unit: a.details.applicant_unit.as_str().to_owned(),
            item: state.catalogue.name_of(&a.details.item).to_owned(),
            start: format_date(a.details.start),
            end: format_date(a.details.end),
            kind: a.details.kind.label(),
            days: a.details.working_days,
        })
        .collect()
}

/// A person's record with the cycles, as every person page reads them: `None` when there
/// is no such person.
pub(crate) async fn load_person(
    state: &AppState,
    person: PersonId,
) -> Result<Option<(PersonRecord, Cycles)>, StoreError> {
    let mut tx = state.store.begin_read().await?;
    let Some(record) = PersonRecord::load(&mut tx, person).await? else {
        return Ok(None);
    };
    Ok(Some((record, tx.cycles().await?)))
}

/// The renewal outlook of `items` (the core's [`renewal_outlook`]) with the person's
/// continuing education this cycle and working days, and their on-site assessments.
pub(crate) fn renewal_view(
    state: &AppState,
    record: &PersonRecord,
    cycles: &Cycles,
    items: &[ReviewItemCode],
) -> Result<(RenewalView, Vec<AssessmentRow>), StoreError> {
    let reference = Reference {
        catalogue: &state.catalogue,
        cycles,
    };
    let today = state.today();
    let outlook = person_outlook(record, reference, today);
    let (working_days, working_days_cycle) =
        outlook::working_days(record, reference, &state.calendar(), today)
            .map_err(|e| StoreError::Unexpected(e.to_string()))?;
    let next = match &outlook.renewal {
        Ok(plan) => plan.next_name(),
        Err(_) => "下一周期".to_owned(),
    };
    let view = RenewalView {
        cycle: outlook.cycle.clone(),
        hours: outlook.hours.map(format_hours).unwrap_or_default(),
        required: outlook.required.map(format_hours).unwrap_or_default(),
        working_days,
        working_days_cycle,
        next,
        plan: match &outlook.renewal {
            Ok(plan) if plan.can_renew(today) => "资格证书可以办理换证。".to_owned(),
            Ok(plan) => plan
                .obstacles(today)
                .iter()
                .filter(|v| {
                    matches!(
                        v,
                        Violation::CertificateNotDue { .. }
                            | Violation::NoNextCycle
                            | Violation::CertificateRenewalAgeLimit { .. }
                    )
                })
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("；"),
            Err(reason) => reason.to_string(),
        },
        items: outlook
            .items
            .iter()
            .filter(|i| items.contains(&i.item))
            .map(|i| RenewalRow {
                name: state.catalogue.name_of(&i.item).to_owned(),
                ok: matches!(i.renewal, ItemRenewal::Ready { .. } | ItemRenewal::Done(_)),
                status: i.renewal.describe(today),
                reasons: i
                    .renewal
                    .reasons()
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
            })
            .collect(),
    };
    Ok((view, assessment_rows(state, &record.assessments)))
}

/// The assessment form of a request.
pub(crate) fn assessment_form(fields: &Fields) -> AssessmentForm {
    AssessmentForm {
        applicant_unit: fields.get("applicant_unit"),
        item: fields.get("item"),
        start: fields.get("start"),
        end: fields.get("end"),
        kind: fields.get("kind"),
    }
}

/// Records an on-site assessment; the form as the page shows it afterwards: the notice,
/// or what was typed with every error (each beside its field too).
pub(crate) async fn record_assessment(
    state: &AppState,
    actor: Actor,
    person: PersonId,
    institution: Option<InstitutionId>,
    body: &str,
) -> AssessmentFormView {
    let form = assessment_form(&Fields::parse(body));
    match state
        .run(
            actor,
            &RecordAssessment {
                person,
                institution,
                form: form.clone(),
            },
        )
        .await
    {
        Ok((_, days)) => AssessmentFormView {
            notice: Some(format!("已记录现场评审，计 {days} 个工作日。")),
            ..AssessmentFormView::default()
        },
        Err(e) => AssessmentFormView {
            values: form,
            errors: messages_of(&e),
            field_errors: crate::errors::field_errors_of(&e),
            notice: None,
        },
    }
}

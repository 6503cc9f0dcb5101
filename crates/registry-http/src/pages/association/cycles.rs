//! Registration cycles (注册周期): the list, defining one, and editing one's dates and policy,
//! with the history of its edits. The form is the core's `CycleForm`, parsed by the core;
//! a change of dates that would leave registrations, documents or course hours outside the
//! cycle is refused with what it would affect, and the form keeps what was typed.

use poem::http::StatusCode;
use poem::web::Path;
use poem::{Request, handler};

use registry_core::cycle::CycleForm;
use registry_core::date::format_date;
use registry_core::education::format_hours;
use registry_core::ids::CycleId;
use registry_core::policy::{LateHours, Policy};
use registry_core::ports::RegisterTx;
use registry_core::usecases::{CycleTarget, DefineCycle, UseCaseError};

use crate::auth::actor_of;
use crate::errors::{PageResult, html, message_page, messages_of};
use crate::pages::{Fields, association_account, layout, redirect, state};
use crate::templates::{AssociationCycle, AssociationCycles, CycleRow};

async fn cycles_page(
    req: &Request,
    form: CycleForm,
    refusal: Option<&UseCaseError>,
    notice: Option<String>,
) -> PageResult {
    let errors = refusal.map(messages_of).unwrap_or_default();
    let field_errors = refusal
        .map(crate::errors::field_errors_of)
        .unwrap_or_default();
    let defined = {
        let mut tx = state(req).store.begin_read().await?;
        tx.cycles().await?
    };
    let rows = defined
        .as_slice()
        .iter()
        .map(|c| CycleRow {
            id: c.id().get(),
            name: c.name().to_owned(),
            start: format_date(c.start()),
            end: format_date(c.end()),
            hours: format_hours(c.policy().hours_required),
            coverage: c.policy().require_item_coverage,
            age: c.policy().registration_age_limit,
            renewal_age: c.policy().certificate_renewal_age_limit,
            late_hours: c.policy().late_hours.label(),
        })
        .collect();
    let status = crate::errors::status_of_form(&errors);
    Ok(html(
        status,
        &AssociationCycles {
            layout: layout(req),
            cycles: rows,
            form,
            errors,
            field_errors,
            notice,
        },
    ))
}

#[handler]
pub(crate) async fn cycles_list(req: &Request) -> PageResult {
    let _ = association_account(req)?;
    cycles_page(req, CycleForm::with_policy(&Policy::default()), None, None).await
}

/// The command of a cycle form, or the form's problems as the use case's refusal.
fn command(target: CycleTarget, form: &CycleForm) -> Result<DefineCycle, UseCaseError> {
    DefineCycle::from_form(target, form).map_err(UseCaseError::Rejected)
}

/// A new cycle: its name, dates and hours; the rest of the policy is the default.
#[handler]
pub(crate) async fn define_cycle(req: &Request, body: String) -> PageResult {
    let account = association_account(req)?;
    let fields = Fields::parse(&body);
    let form = CycleForm {
        name: fields.get("name"),
        start: fields.get("start"),
        end: fields.get("end"),
        hours_required: fields.get("hours"),
        ..CycleForm::with_policy(&Policy::default())
    };
    let outcome = match command(CycleTarget::New, &form) {
        Ok(define) => state(req).run(actor_of(&account), &define).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(_) => {
            let notice = format!("注册周期“{}”已设置。", form.name.trim());
            let empty = CycleForm {
                hours_required: form.hours_required,
                ..CycleForm::with_policy(&Policy::default())
            };
            cycles_page(req, empty, None, Some(notice)).await
        }
        Err(e) => cycles_page(req, form, Some(&e), None).await,
    }
}

#[handler]
pub(crate) async fn cycle_form_page(req: &Request, Path(id): Path<i64>) -> PageResult {
    let _ = association_account(req)?;
    let cycles = {
        let mut tx = state(req).store.begin_read().await?;
        tx.cycles().await?
    };
    let Some(cycle) = cycles.get(CycleId::new(id)) else {
        return Ok(message_page(
            layout(req),
            StatusCode::NOT_FOUND,
            "未找到",
            "未找到该注册周期。",
            Some(("/association/cycles", "返回")),
        ));
    };
    let form = CycleForm::of(cycle.name(), cycle.start(), cycle.end(), cycle.policy());
    cycle_page(req, id, cycle.version(), form, Ok(())).await
}

/// The cycle form (made from the cycle at `version`) with the history of the cycle's
/// edits.
async fn cycle_page(
    req: &Request,
    id: i64,
    version: i64,
    form: CycleForm,
    outcome: Result<(), UseCaseError>,
) -> PageResult {
    let (status, errors, field_errors) = match outcome {
        Ok(()) => (StatusCode::OK, vec![], Default::default()),
        Err(e) => (
            crate::errors::status_of(&e),
            messages_of(&e),
            crate::errors::field_errors_of(&e),
        ),
    };
    let names = crate::pages::institution_names(state(req)).await?;
    let catalogue = &state(req).catalogue;
    let history = state(req)
        .store
        .audit_of(registry_core::ports::Entity::Cycle.code(), id)
        .await?
        .iter()
        .rev()
        .map(|e| crate::pages::audit_row(e, catalogue, &names))
        .collect();
    Ok(html(
        status,
        &AssociationCycle {
            layout: layout(req),
            late_hours_choices: LateHours::ALL
                .iter()
                .map(|l| (l.code(), l.label()))
                .collect(),
            id,
            version,
            form,
            errors,
            field_errors,
            history,
        },
    ))
}

#[handler]
pub(crate) async fn update_cycle(req: &Request, Path(id): Path<i64>, body: String) -> PageResult {
    let account = association_account(req)?;
    let fields = Fields::parse(&body);
    let form = CycleForm {
        name: fields.get("name"),
        start: fields.get("start"),
        end: fields.get("end"),
        cycle_years: fields.get("cycle_years"),
        hours_required: fields.get("hours_required"),
        require_item_coverage: fields.get("require_item_coverage") == "on",
        exam_age_limit: fields.get("exam_age_limit"),
        registration_age_limit: fields.get("registration_age_limit"),
        certificate_renewal_age_limit: fields.get("certificate_renewal_age_limit"),
        certificate_due_working_days: fields.get("certificate_due_working_days"),
        publication_due_working_days: fields.get("publication_due_working_days"),
        renewal_window_months: fields.get("renewal_window_months"),
        late_hours: fields.get("late_hours"),
        reminder_ending_days: fields.get("reminder_ending_days"),
        reminder_hours_short_months: fields.get("reminder_hours_short_months"),
        reminder_fill_in_working_days: fields.get("reminder_fill_in_working_days"),
        reminder_awaiting_working_days: fields.get("reminder_awaiting_working_days"),
        reminder_document_due_working_days: fields.get("reminder_document_due_working_days"),
    };
    // A missing or unreadable version is no version the cycle ever had: the edit is then
    // refused as made from an old reading.
    let version = fields.get("version").trim().parse().unwrap_or(0);
    let target = CycleTarget::Edit {
        id: CycleId::new(id),
        version,
    };
    let outcome = match command(target, &form) {
        Ok(define) => state(req).run(actor_of(&account), &define).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(_) => Ok(redirect("/association/cycles")),
        // The form keeps what was typed and the version it was made from: after another
        // administrator's edit (shown in the history below) it is refused until reloaded.
        Err(e) => cycle_page(req, id, version, form, Err(e)).await,
    }
}

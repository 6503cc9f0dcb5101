//! Registration cycles (注册周期): the list, defining one, and editing one's dates and policy,
//! with the history of its edits.

use poem::http::StatusCode;
use poem::web::Path;
use poem::{Request, handler};

use registry_core::ids::CycleId;

use registry_core::ports::RegisterTx;

use registry_core::usecases::DefineCycle;

use crate::auth::actor_of;
use crate::errors::{PageResult, html, message_page, messages_of};
use crate::pages::{Fields, association_account, layout, redirect, state};
use crate::templates::{AssociationCycle, AssociationCycles, CycleFormView, CycleRow};

use registry_core::date::{format_date, parse_date};
use registry_core::education::format_hours;
use registry_core::policy::{LateHours, Policy};

async fn cycles_page(
    req: &Request,
    form: (String, String, String, String),
    errors: Vec<String>,
    notice: Option<String>,
) -> PageResult {
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
            notice,
        },
    ))
}

#[handler]
pub(crate) async fn cycles_list(req: &Request) -> PageResult {
    let _ = association_account(req)?;
    let policy = Policy::default();
    let form = (
        String::new(),
        String::new(),
        String::new(),
        format_hours(policy.hours_required),
    );
    cycles_page(req, form, vec![], None).await
}

#[handler]
pub(crate) async fn define_cycle(req: &Request, body: String) -> PageResult {
    let account = association_account(req)?;
    let fields = Fields::parse(&body);
    let form = (
        fields.get("name"),
        fields.get("start"),
        fields.get("end"),
        fields.get("hours"),
    );
    let mut errors = Vec::new();
    let start = parse_date(&form.1)
        .map_err(|e| errors.push(format!("开始日期：{e}")))
        .ok();
    let end = parse_date(&form.2)
        .map_err(|e| errors.push(format!("结束日期：{e}")))
        .ok();
    let hours = form
        .3
        .trim()
        .parse::<rust_decimal::Decimal>()
        .map_err(|_| errors.push("“继续教育课时要求”应为数字".to_owned()))
        .ok();
    let (Some(start), Some(end), Some(hours)) = (start, end, hours) else {
        return cycles_page(req, form, errors, None).await;
    };
    let outcome = state(req)
        .run(
            actor_of(&account),
            &DefineCycle {
                id: None,
                name: form.0.clone(),
                start,
                end,
                policy: Policy {
                    hours_required: hours,
                    ..Policy::default()
                },
            },
        )
        .await;
    Ok(match outcome {
        Ok(_) => {
            cycles_page(
                req,
                (String::new(), String::new(), String::new(), form.3.clone()),
                vec![],
                Some(format!("注册周期“{}”已设置。", form.0.trim())),
            )
            .await?
        }
        Err(e) => cycles_page(req, form, messages_of(&e), None).await?,
    })
}

fn cycle_form(name: &str, start: time::Date, end: time::Date, p: &Policy) -> CycleFormView {
    CycleFormView {
        name: name.to_owned(),
        start: format_date(start),
        end: format_date(end),
        cycle_years: p.cycle_years.to_string(),
        hours_required: format_hours(p.hours_required),
        require_item_coverage: p.require_item_coverage,
        exam_age_limit: p.exam_age_limit.to_string(),
        registration_age_limit: p.registration_age_limit.to_string(),
        certificate_renewal_age_limit: p.certificate_renewal_age_limit.to_string(),
        certificate_due_working_days: p.certificate_due_working_days.to_string(),
        publication_due_working_days: p.publication_due_working_days.to_string(),
        renewal_window_months: p.renewal_window_months.to_string(),
        late_hours: p.late_hours.code().to_owned(),
    }
}

#[handler]
pub(crate) async fn cycle_form_page(req: &Request, Path(id): Path<i64>) -> PageResult {
    let _ = association_account(req)?;
    let state = state(req);
    let cycles = match state.store.begin_read().await {
        Ok(mut tx) => tx.cycles().await?,
        Err(e) => return Err(e.into()),
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
    let form = cycle_form(cycle.name(), cycle.start(), cycle.end(), cycle.policy());
    cycle_page(req, id, form, vec![]).await
}

/// The cycle form with the history of the cycle's edits.
async fn cycle_page(
    req: &Request,
    id: i64,
    form: CycleFormView,
    errors: Vec<String>,
) -> PageResult {
    let history = match state(req)
        .store
        .audit_of(registry_core::ports::Entity::Cycle.code(), id)
        .await
    {
        Ok(entries) => entries.iter().rev().map(crate::pages::audit_row).collect(),
        Err(e) => return Err(e.into()),
    };
    let status = crate::errors::status_of_form(&errors);
    Ok(html(
        status,
        &AssociationCycle {
            layout: layout(req),
            late_hours_choices: LateHours::ALL
                .iter()
                .map(|l| (l.code(), l.label()))
                .collect(),
            id,
            form,
            errors,
            history,
        },
    ))
}

#[handler]
pub(crate) async fn update_cycle(req: &Request, Path(id): Path<i64>, body: String) -> PageResult {
    let account = association_account(req)?;
    let fields = Fields::parse(&body);
    let view = CycleFormView {
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
    };
    let mut errors = Vec::new();
    let mut number = |label: &str, text: &str| -> u32 {
        text.trim().parse().unwrap_or_else(|_| {
            errors.push(format!("“{label}”应为整数"));
            0
        })
    };
    let policy = Policy {
        cycle_years: number("周期年数", &view.cycle_years),
        exam_age_limit: number("考核年龄上限", &view.exam_age_limit),
        registration_age_limit: number("注册年龄上限", &view.registration_age_limit),
        certificate_renewal_age_limit: number("换证年龄上限", &view.certificate_renewal_age_limit),
        certificate_due_working_days: number("证书发放期限", &view.certificate_due_working_days),
        publication_due_working_days: number("注册公示期限", &view.publication_due_working_days),
        renewal_window_months: number("换证申请提前月数", &view.renewal_window_months),
        late_hours: if view.late_hours.trim().is_empty() {
            LateHours::default()
        } else {
            LateHours::from_code(&view.late_hours).unwrap_or_else(|| {
                errors.push("“周期内取得资格者的课时要求”无效".to_owned());
                LateHours::default()
            })
        },
        require_item_coverage: view.require_item_coverage,
        hours_required: view.hours_required.trim().parse().unwrap_or_else(|_| {
            errors.push("“继续教育课时要求”应为数字".to_owned());
            rust_decimal::Decimal::ZERO
        }),
    };
    let start = parse_date(&view.start)
        .map_err(|e| errors.push(format!("开始日期：{e}")))
        .ok();
    let end = parse_date(&view.end)
        .map_err(|e| errors.push(format!("结束日期：{e}")))
        .ok();
    if let (true, Some(start), Some(end)) = (errors.is_empty(), start, end) {
        let outcome = state(req)
            .run(
                actor_of(&account),
                &DefineCycle {
                    id: Some(CycleId::new(id)),
                    name: view.name.clone(),
                    start,
                    end,
                    policy,
                },
            )
            .await;
        match outcome {
            Ok(_) => return Ok(redirect("/association/cycles")),
            Err(e) => errors = messages_of(&e),
        }
    }
    cycle_page(req, id, view, errors).await
}

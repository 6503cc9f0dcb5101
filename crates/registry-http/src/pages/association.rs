//! The association's pages: institutions with their one login account (created, edited,
//! disabled, password reset), and exam results (考核合格名单).

use poem::http::StatusCode;
use poem::web::{Path, Query};
use poem::{Request, Response, handler};
use registry_core::access::{AccountId, PasswordHash};
use registry_core::ids::{InstitutionId, PersonId};
use registry_core::institution::InstitutionForm;
use registry_core::ports::{RegisterTx, StoreError};
use registry_core::qualification::ExamResultForm;
use registry_core::usecases::{
    CreateInstitution, RecordExamResult, SetAccountPassword, UpdateInstitution,
};
use serde::Deserialize;

use super::{Fields, association_account, layout, redirect, state};
use crate::auth::actor_of;
use crate::errors::{PageError, PageResult, html, message_page, messages_of, status_of};
use crate::templates::{
    AssociationCycles, AssociationExam, AssociationHome, AssociationInstitution,
    AssociationInstitutions, AssociationPeople, AssociationPerson, AuditRow, CycleRow,
    ExamFormView, HolderRow, InstitutionRow, PersonSummaryRow, Secret,
};

#[handler]
pub(crate) async fn home(req: &Request) -> PageResult {
    let _ = association_account(req)?;
    Ok(match state(req).store.institutions().await {
        Ok(list) => html(
            StatusCode::OK,
            &AssociationHome {
                layout: layout(req),
                institutions: list.len(),
            },
        ),
        Err(e) => return Err(e.into()),
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct NoticeQuery {
    #[serde(default)]
    notice: String,
}

#[handler]
pub(crate) async fn institutions(req: &Request, Query(query): Query<NoticeQuery>) -> PageResult {
    let _ = association_account(req)?;
    let list = state(req).store.institutions().await?;
    let text = |t: &Option<registry_core::text::Text>| t.as_ref().map(|t| t.as_str().to_owned());
    let rows = list
        .into_iter()
        .map(|l| {
            let d = &l.institution.details;
            let numbers: Vec<String> = [
                text(&d.provincial_number).map(|n| format!("省级 {n}")),
                text(&d.national_number).map(|n| format!("国家级 {n}")),
            ]
            .into_iter()
            .flatten()
            .collect();
            InstitutionRow {
                id: l.institution.id.get(),
                name: d.name.as_str().to_owned(),
                number: d.number.as_str().to_owned(),
                credit_code: d.credit_code.as_str().to_owned(),
                qualification_numbers: numbers.join("；"),
                username: l.username.unwrap_or_default(),
                active: l.institution.active,
            }
        })
        .collect();
    let notice = match query.notice.as_str() {
        "updated" => Some("机构信息已保存。".to_owned()),
        _ => None,
    };
    Ok(html(
        StatusCode::OK,
        &AssociationInstitutions {
            layout: layout(req),
            rows,
            notice,
        },
    ))
}

fn institution_form(fields: &Fields) -> InstitutionForm {
    InstitutionForm {
        name: fields.get("name"),
        number: fields.get("number"),
        credit_code: fields.get("credit_code"),
        provincial_number: fields.get("provincial_number"),
        national_number: fields.get("national_number"),
        contact: fields.get("contact"),
    }
}

#[handler]
pub(crate) fn new_institution_form(req: &Request) -> PageResult {
    let _ = association_account(req)?;
    Ok(html(
        StatusCode::OK,
        &AssociationInstitution {
            layout: layout(req),
            id: None,
            action: "/association/institutions/new".to_owned(),
            form: InstitutionForm::default(),
            username: String::new(),
            active: true,
            version: 0,
            errors: vec![],
        },
    ))
}

async fn new_password() -> Result<(String, PasswordHash), StoreError> {
    let secret = crate::secrets::new_password()
        .await
        .map_err(|e| StoreError::Unexpected(e.to_string()))?;
    Ok((secret.shown, PasswordHash::new(secret.hash)))
}

#[handler]
pub(crate) async fn create_institution(req: &Request, body: String) -> PageResult {
    let account = association_account(req)?;
    let state = state(req);
    let fields = Fields::parse(&body);
    let form = institution_form(&fields);
    let username = fields.get("username");
    let (password, hash) = new_password().await?;
    let outcome = state
        .run(
            actor_of(&account),
            &CreateInstitution {
                form: form.clone(),
                username: username.clone(),
                password: hash,
            },
        )
        .await;
    Ok(match outcome {
        Ok(_) => html(
            StatusCode::OK,
            &Secret {
                layout: layout(req),
                title: "机构已创建".to_owned(),
                subject: format!(
                    "机构“{}”的登录用户名为 {}，初始密码：",
                    form.name.trim(),
                    username.trim().to_ascii_lowercase()
                ),
                secret: password,
                note: "请将用户名和初始密码告知该机构；首次登录时须修改密码。".to_owned(),
                back: "/association/institutions".to_owned(),
            },
        ),
        Err(e) => html(
            status_of(&e),
            &AssociationInstitution {
                layout: layout(req),
                id: None,
                action: "/association/institutions/new".to_owned(),
                form,
                username,
                active: true,
                version: 0,
                errors: messages_of(&e),
            },
        ),
    })
}

/// The institution's form, account name and version, or `None`.
async fn load_institution(
    req: &Request,
    id: InstitutionId,
) -> Result<Option<(InstitutionForm, String, bool, i64, Option<AccountId>)>, StoreError> {
    let mut tx = state(req).store.begin_read().await?;
    let Some(institution) = tx.institution(id).await? else {
        return Ok(None);
    };
    let account = tx.account_of_institution(id).await?;
    let d = &institution.details;
    let text = |t: &Option<registry_core::text::Text>| {
        t.as_ref()
            .map(|t| t.as_str().to_owned())
            .unwrap_or_default()
    };
    let form = InstitutionForm {
        name: d.name.as_str().to_owned(),
        number: d.number.as_str().to_owned(),
        credit_code: d.credit_code.as_str().to_owned(),
        provincial_number: text(&d.provincial_number),
        national_number: text(&d.national_number),
        contact: text(&d.contact),
    };
    Ok(Some((
        form,
        account
            .as_ref()
            .map(|a| a.username.as_str().to_owned())
            .unwrap_or_default(),
        institution.active,
        institution.version,
        account.map(|a| a.id),
    )))
}

fn missing_institution(req: &Request) -> Response {
    message_page(
        layout(req),
        StatusCode::NOT_FOUND,
        "未找到",
        "未找到该机构。",
        Some(("/association/institutions", "返回机构管理")),
    )
}

#[handler]
pub(crate) async fn edit_institution_form(req: &Request, Path(id): Path<i64>) -> PageResult {
    let _ = association_account(req)?;
    Ok(match load_institution(req, InstitutionId::new(id)).await {
        Ok(Some((form, username, active, version, _))) => html(
            StatusCode::OK,
            &AssociationInstitution {
                layout: layout(req),
                id: Some(id),
                action: format!("/association/institutions/{id}"),
                form,
                username,
                active,
                version,
                errors: vec![],
            },
        ),
        Ok(None) => missing_institution(req),
        Err(e) => return Err(e.into()),
    })
}

#[handler]
pub(crate) async fn update_institution(
    req: &Request,
    Path(id): Path<i64>,
    body: String,
) -> PageResult {
    let account = association_account(req)?;
    let state = state(req);
    let fields = Fields::parse(&body);
    let form = institution_form(&fields);
    let active = fields.get("active") == "on";
    let version = fields.get("version").parse().unwrap_or(0);
    let outcome = state
        .run(
            actor_of(&account),
            &UpdateInstitution {
                id: InstitutionId::new(id),
                form: form.clone(),
                active,
                version,
            },
        )
        .await;
    Ok(match outcome {
        Ok(_) => redirect("/association/institutions?notice=updated"),
        Err(registry_core::usecases::UseCaseError::NotFound(_)) => missing_institution(req),
        Err(e) => {
            let username = match load_institution(req, InstitutionId::new(id)).await {
                Ok(Some((_, username, _, _, _))) => username,
                Ok(None) => return Ok(missing_institution(req)),
                Err(e) => return Err(e.into()),
            };
            html(
                status_of(&e),
                &AssociationInstitution {
                    layout: layout(req),
                    id: Some(id),
                    action: format!("/association/institutions/{id}"),
                    form,
                    username,
                    active,
                    version,
                    errors: messages_of(&e),
                },
            )
        }
    })
}

#[handler]
pub(crate) async fn reset_institution_password(req: &Request, Path(id): Path<i64>) -> PageResult {
    let account = association_account(req)?;
    let state = state(req);
    let (username, target) = match load_institution(req, InstitutionId::new(id)).await {
        Ok(Some((_, username, _, _, Some(target)))) => (username, target),
        Ok(_) => return Ok(missing_institution(req)),
        Err(e) => return Err(e.into()),
    };
    let (password, hash) = new_password().await?;
    let outcome = state
        .run(
            actor_of(&account),
            &SetAccountPassword {
                account: target,
                password: hash,
                must_change_password: true,
                keep_session: None,
            },
        )
        .await;
    if let Err(e) = outcome {
        return Ok(message_page(
            layout(req),
            status_of(&e),
            "未能重置",
            &messages_of(&e).join("；"),
            Some(("/association/institutions", "返回")),
        ));
    }
    Ok(html(
        StatusCode::OK,
        &Secret {
            layout: layout(req),
            title: "登录密码已重置".to_owned(),
            subject: format!("用户名 {username} 的新密码（该机构原有登录均已退出）："),
            secret: password,
            note: "请告知该机构；登录后须立即修改密码。".to_owned(),
            back: format!("/association/institutions/{id}"),
        },
    ))
}

fn exam_items(req: &Request) -> Vec<(String, String)> {
    state(req)
        .catalogue
        .items()
        .iter()
        .map(|i| {
            (
                i.code().as_str().to_owned(),
                format!("{}（{}）", i.name(), i.code()),
            )
        })
        .collect()
}

#[handler]
pub(crate) fn exam_form(req: &Request) -> PageResult {
    let _ = association_account(req)?;
    Ok(html(
        StatusCode::OK,
        &AssociationExam {
            layout: layout(req),
            form: ExamFormView::default(),
            items: exam_items(req),
            errors: vec![],
            notice: None,
        },
    ))
}

#[handler]
pub(crate) async fn record_exam(req: &Request, body: String) -> PageResult {
    let account = association_account(req)?;
    let state = state(req);
    let fields = Fields::parse(&body);
    let view = ExamFormView {
        name: fields.get("name"),
        resident_id: fields.get("resident_id"),
        exam_date: fields.get("exam_date"),
        published_on: fields.get("published_on"),
        items: fields.all("items"),
    };
    let outcome = state
        .run(
            actor_of(&account),
            &RecordExamResult {
                form: ExamResultForm {
                    resident_id: view.resident_id.clone(),
                    name: view.name.clone(),
                    items: view.items.clone(),
                    exam_date: view.exam_date.clone(),
                    published_on: view.published_on.clone(),
                },
            },
        )
        .await;
    Ok(match outcome {
        Ok(recorded) => html(
            StatusCode::OK,
            &AssociationExam {
                layout: layout(req),
                form: ExamFormView::default(),
                items: exam_items(req),
                errors: vec![],
                notice: Some(format!(
                    "已录入 {}：新增评审资格 {} 项{}。",
                    view.name.trim(),
                    recorded.added.len(),
                    if recorded.already.is_empty() {
                        String::new()
                    } else {
                        format!("（{} 项此前已录入）", recorded.already.len())
                    }
                )),
            },
        ),
        Err(e) => html(
            status_of(&e),
            &AssociationExam {
                layout: layout(req),
                form: view,
                items: exam_items(req),
                errors: messages_of(&e),
                notice: None,
            },
        ),
    })
}

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
            start: registry_core::date::format_date(c.start()),
            end: registry_core::date::format_date(c.end()),
            hours: registry_core::education::format_hours(c.policy().hours_required),
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
    let policy = registry_core::policy::Policy::default();
    let form = (
        String::new(),
        String::new(),
        String::new(),
        registry_core::education::format_hours(policy.hours_required),
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
    let start = registry_core::date::parse_date(&form.1)
        .map_err(|e| errors.push(format!("开始日期：{e}")))
        .ok();
    let end = registry_core::date::parse_date(&form.2)
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
            &registry_core::usecases::DefineCycle {
                id: None,
                name: form.0.clone(),
                start,
                end,
                policy: registry_core::policy::Policy {
                    hours_required: hours,
                    ..registry_core::policy::Policy::default()
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

/// 人员档案's search from a link (by name or registration number; by ID number only from
/// the form).
#[handler]
pub(crate) async fn people(
    req: &Request,
    Query(query): Query<super::public::SearchQuery>,
) -> PageResult {
    people_page(req, &query.by, &query.q, false).await
}

/// 人员档案's search from its form.
#[handler]
pub(crate) async fn people_form(req: &Request, body: String) -> PageResult {
    let fields = Fields::parse(&body);
    people_page(req, &fields.get("by"), &fields.get("q"), true).await
}

async fn people_page(req: &Request, by: &str, q: &str, from_form: bool) -> PageResult {
    let _ = association_account(req)?;
    let state = state(req);
    let q = q.trim().to_owned();
    let by = super::public::search_kind(by).to_owned();
    let mut page = AssociationPeople {
        layout: layout(req),
        by: by.clone(),
        q: q.clone(),
        searched: false,
        error: None,
        results: vec![],
    };
    if q.is_empty() {
        return Ok(html(StatusCode::OK, &page));
    }
    let parsed = if by == "id" && !from_form {
        page.q = String::new();
        Err(super::public::ID_IN_ADDRESS.to_owned())
    } else {
        super::public::people_query(&by, &q, state.today())
    };
    match parsed {
        Err(message) => page.error = Some(message),
        Ok(query) => match state.store.find_people(&query, 50).await {
            Ok(found) => {
                page.searched = true;
                page.results = found
                    .into_iter()
                    .map(|p| PersonSummaryRow {
                        id: p.person.get(),
                        name: p.name,
                        masked_id: p.masked_id,
                        number: p
                            .registration_number
                            .map(|n| n.to_string())
                            .unwrap_or_default(),
                    })
                    .collect();
            }
            Err(e) => return Err(e.into()),
        },
    }
    Ok(html(StatusCode::OK, &page))
}

#[derive(Debug, Deserialize)]
pub(crate) struct FileQuery {
    #[serde(default)]
    filter: String,
}

/// An audit log entry as shown: the time in China, the snapshots as `key=value` lists.
pub(crate) fn audit_row(e: &registry_store::queries::AuditEntry) -> AuditRow {
    AuditRow {
        at: e
            .at
            .to_offset(registry_core::date::CHINA_STANDARD_TIME)
            .format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second]"
            ))
            .unwrap_or_default(),
        actor: e.actor.clone(),
        action: e.action.clone(),
        before: snapshot_text(e.before.as_deref()),
        after: snapshot_text(e.after.as_deref()),
    }
}

/// Formats an audit snapshot (JSON object) as `key=value; …`.
fn snapshot_text(json: Option<&str>) -> String {
    let Some(text) = json else {
        return String::new();
    };
    match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text) {
        Ok(map) => map
            .iter()
            .filter(|(_, v)| v.as_str().is_none_or(|s| !s.is_empty()))
            .map(|(k, v)| {
                format!(
                    "{k}={}",
                    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
        Err(_) => text.to_owned(),
    }
}

#[handler]
pub(crate) async fn person_file(
    req: &Request,
    Path(id): Path<i64>,
    Query(query): Query<FileQuery>,
) -> PageResult {
    let _ = association_account(req)?;
    let page = file_page(req, PersonId::new(id), query.filter.trim().to_owned()).await?;
    Ok(html(StatusCode::OK, &page))
}

/// The person file after an attempt to record an on-site assessment.
pub(crate) async fn file_with_assessment_outcome(
    req: &Request,
    person: PersonId,
    filter: String,
    outcome: Result<String, Vec<String>>,
) -> PageResult {
    file_with_outcome(req, person, filter, FileForm::Assessment, outcome).await
}

/// Which form of the person file an outcome belongs to.
enum FileForm {
    Assessment,
    Certificate,
}

/// The person file with the outcome of one of its forms shown beside that form.
async fn file_with_outcome(
    req: &Request,
    person: PersonId,
    filter: String,
    form: FileForm,
    outcome: Result<String, Vec<String>>,
) -> PageResult {
    match file_page(req, person, filter).await {
        Ok(mut page) => {
            let (notice, errors) = match form {
                FileForm::Assessment => (&mut page.assessment_notice, &mut page.assessment_errors),
                FileForm::Certificate => {
                    (&mut page.certificate_notice, &mut page.certificate_errors)
                }
            };
            match outcome {
                Ok(text) => *notice = Some(text),
                Err(list) => *errors = list,
            }
            let status = crate::errors::status_of_form(errors);
            Ok(html(status, &page))
        }
        Err(e) => Err(e),
    }
}

/// 换证: renews the person's qualification certificate for the next cycle (the core's
/// `RenewCertificate`), and shows the file with the outcome.
#[handler]
pub(crate) async fn renew_certificate(req: &Request, Path(id): Path<i64>) -> PageResult {
    let account = association_account(req)?;
    let state = state(req);
    let outcome = state
        .run(
            actor_of(&account),
            &registry_core::usecases::RenewCertificate {
                person: PersonId::new(id),
            },
        )
        .await;
    let names = |items: &[registry_core::review_item::ReviewItemCode]| {
        items
            .iter()
            .map(|i| state.catalogue.name_of(i))
            .collect::<Vec<_>>()
            .join("、")
    };
    let outcome = match outcome {
        Ok(renewed) => {
            let mut notice = format!(
                "已换证：新资格证书列出 {}，有效期至 {}，待寄出。",
                names(&renewed.items),
                registry_core::date::format_date(renewed.valid_until)
            );
            if !renewed.dropped.is_empty() {
                notice.push_str(&format!(
                    "未列入（本周期参加的培训班未覆盖）：{}。",
                    names(&renewed.dropped)
                ));
            }
            Ok(notice)
        }
        Err(e) => Err(messages_of(&e)),
    };
    file_with_outcome(
        req,
        PersonId::new(id),
        String::new(),
        FileForm::Certificate,
        outcome,
    )
    .await
}

/// A person's file, disclosing (and recording the disclosure of) the full ID number.
async fn file_page(
    req: &Request,
    person: PersonId,
    filter: String,
) -> Result<AssociationPerson, PageError> {
    let account = match association_account(req) {
        Ok(account) => account,
        Err(response) => return Err(response.into()),
    };
    let id = person.get();
    let state = state(req);
    let history = match state.store.person_history(person).await {
        Ok(Some(history)) => history,
        Ok(None) => {
            return Err(message_page(
                layout(req),
                StatusCode::NOT_FOUND,
                "未找到",
                "未找到该人员。",
                Some(("/association/people", "返回人员档案")),
            )
            .into());
        }
        Err(e) => return Err(e.into()),
    };
    // Showing the full ID number is itself recorded.
    let disclosed = match state
        .run(
            actor_of(&account),
            &registry_core::usecases::DiscloseResidentId {
                person,
                purpose: "association person page",
            },
        )
        .await
    {
        Ok(id) => id,
        Err(e) => {
            return Err(message_page(
                layout(req),
                status_of(&e),
                "无法显示",
                &messages_of(&e).join("；"),
                None,
            )
            .into());
        }
    };
    let today = state.today();
    let names: std::collections::BTreeMap<i64, String> = history
        .holdings
        .iter()
        .map(|(h, name)| (h.institution.get(), name.clone()))
        .collect();
    let audit = history
        .audit
        .iter()
        .rev()
        .map(audit_row)
        .filter(|row| {
            filter.is_empty()
                || [&row.actor, &row.action, &row.before, &row.after, &row.at]
                    .iter()
                    .any(|f| f.contains(&filter))
        })
        .collect();
    let codes: Vec<_> = history
        .qualifications
        .iter()
        .map(|q| q.item.clone())
        .collect();
    let (renewal, assessments) = super::education::renewal_view(state, person, &codes).await?;
    let documents = super::documents::person_documents(state, person).await?;
    let p = &history.person;
    Ok(AssociationPerson {
        documents,
        renewal,
        assessments,
        assessment_action: format!("/association/people/{id}/assessments"),
        assessment_items: codes
            .iter()
            .map(|c| (c.as_str().to_owned(), state.catalogue.name_of(c).to_owned()))
            .collect(),
        assessment_errors: vec![],
        assessment_notice: None,
        certificate_errors: vec![],
        certificate_notice: None,
        layout: layout(req),
        id,
        name: p.name.as_str().to_owned(),
        number: p
            .registration_number
            .map(|n| n.to_string())
            .unwrap_or_default(),
        resident_id: disclosed.as_str().to_owned(),
        birth_date: registry_core::date::format_date(disclosed.birth_date()),
        missing: registry_core::person::labels(&p.details.missing()),
        mobile: p
            .details
            .mobile()
            .map(|m| m.as_str().to_owned())
            .unwrap_or_default(),
        address: p
            .details
            .mailing_address()
            .map(|a| {
                format!(
                    "{a} {}",
                    p.details.postcode().map(|c| c.as_str()).unwrap_or("")
                )
            })
            .unwrap_or_default(),
        qualifications: history
            .qualifications
            .iter()
            .map(|q| {
                (
                    state.catalogue.name_of(&q.item).to_owned(),
                    registry_core::date::format_date(q.exam_date),
                    registry_core::date::format_date(q.published_on),
                )
            })
            .collect(),
        holders: HolderRow::rows(&state.catalogue, &history.holdings, today),
        registrations: history
            .registrations
            .iter()
            .map(|r| {
                (
                    state.catalogue.name_of(&r.item).to_owned(),
                    names.get(&r.institution.get()).cloned().unwrap_or_default(),
                    registry_core::date::format_date(r.period.registered_on),
                    format!(
                        "{} 至 {}",
                        registry_core::date::format_date(r.period.valid_from),
                        registry_core::date::format_date(r.period.valid_until)
                    ),
                )
            })
            .collect(),
        filter,
        audit,
    })
}

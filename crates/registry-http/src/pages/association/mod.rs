//! The association's pages: institutions with their one login account (created, edited,
//! disabled; its password reset is the security administrator's, accounts.rs) and exam results (考核合格名单); people's files (people.rs),
//! registration cycles (cycles.rs), courses and attendance (courses.rs).

pub(crate) mod accounts;
pub(crate) mod audit;
pub(crate) mod courses;
pub(crate) mod cycles;
pub(crate) mod dashboard;
pub(crate) mod figures;
pub(crate) mod machine;
pub(crate) mod outbox;
pub(crate) mod people;

use crate::auth::actor_of;
use crate::errors::{PageResult, html, message_page, messages_of, status_of};
use std::collections::BTreeMap;

use crate::pages::notice::Notice;
use crate::pages::{Fields, association_account, layout, redirect, state};
use crate::templates::{
    AssociationExam, AssociationInstitution, AssociationInstitutions, ExamFormView, InstitutionRow,
    Secret,
};
use poem::http::StatusCode;
use poem::web::{Path, Query};
use poem::{Request, Response, handler};
use registry_core::access::{AccountId, PasswordHash};
use registry_core::ids::InstitutionId;
use registry_core::institution::InstitutionForm;
use registry_core::ports::{RegisterTx, StoreError};
use registry_core::qualification::ExamResultForm;
use registry_core::usecases::{CreateInstitution, RecordExamResult, UpdateInstitution};
use serde::Deserialize;

/// 机构管理's filters: a part of the name or number, the state, the page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct InstitutionsQuery {
    #[serde(default)]
    notice: String,
    /// `xlsx` or `csv`: the list (as filtered) as a file.
    #[serde(default)]
    format: String,
    /// A part of the name, the institution's number or the login name.
    #[serde(default)]
    q: String,
    /// `active`, `inactive`, or empty for every institution.
    #[serde(default)]
    state: String,
    page: Option<u64>,
}

/// 机构管理's states: (code, words).
const INSTITUTION_STATES: [(&str, &str); 3] =
    [("", "全部"), ("active", "启用"), ("inactive", "已停用")];

#[handler]
pub(crate) async fn institutions(
    req: &Request,
    Query(query): Query<InstitutionsQuery>,
) -> PageResult {
    let _ = association_account(req)?;
    let list = state(req).store.institutions().await?;
    // A name is at most 50 characters (the form's maxlength): a longer text is cut
    // before any comparison.
    let wanted: String = query.q.trim().chars().take(50).collect();
    let shown = INSTITUTION_STATES
        .iter()
        .map(|(code, _)| *code)
        .find(|code| *code == query.state)
        .unwrap_or("");
    let text = |t: &Option<registry_core::text::Text>| t.as_ref().map(|t| t.as_str().to_owned());
    let rows: Vec<InstitutionRow> = list
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
        .filter(|i| match shown {
            "active" => i.active,
            "inactive" => !i.active,
            _ => true,
        })
        .filter(|i| {
            wanted.is_empty()
                || i.name.contains(&wanted)
                || i.number.contains(&wanted)
                || i.username.contains(&wanted)
        })
        .collect();
    if let Some(format) = crate::pages::export::requested(&query.format) {
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|i: &InstitutionRow| {
                vec![
                    i.number.clone(),
                    i.name.clone(),
                    i.credit_code.clone(),
                    i.qualification_numbers.clone(),
                    i.username.clone(),
                    if i.active { "启用" } else { "已停用" }.to_owned(),
                ]
            })
            .collect();
        return crate::pages::export::respond(
            format,
            "institutions",
            state(req).today(),
            &[
                "机构编号",
                "机构名称",
                "统一社会信用代码",
                "资质编号",
                "登录用户名",
                "状态",
            ],
            &cells,
        );
    }
    let pager = crate::templates::Pager::new(
        "/association/institutions",
        &[("q", wanted.as_str()), ("state", shown)],
        crate::templates::PageNumber::from_query(query.page),
        rows.len() as u64,
        "个机构",
    )
    .exported();
    let rows = pager.slice(rows);
    let notice = crate::pages::notice::from_query(&query.notice);
    Ok(html(
        StatusCode::OK,
        &AssociationInstitutions {
            layout: layout(req),
            rows,
            notice,
            pager,
            q: wanted,
            state: shown,
            states: INSTITUTION_STATES.to_vec(),
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
        email: fields.get("email"),
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
            field_errors: BTreeMap::new(),
        },
    ))
}

/// A generated password to show once, and its hash to keep.
pub(crate) async fn new_password() -> Result<(String, PasswordHash), StoreError> {
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
                field_errors: crate::errors::field_errors_of(&e),
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
        email: d
            .email
            .as_ref()
            .map(|e| e.as_str().to_owned())
            .unwrap_or_default(),
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
                field_errors: BTreeMap::new(),
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
        Ok(_) => redirect(&format!(
            "/association/institutions?notice={}",
            Notice::InstitutionSaved.code()
        )),
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
                    field_errors: crate::errors::field_errors_of(&e),
                },
            )
        }
    })
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
            field_errors: BTreeMap::new(),
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
                field_errors: BTreeMap::new(),
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
                field_errors: crate::errors::field_errors_of(&e),
                notice: None,
            },
        ),
    })
}

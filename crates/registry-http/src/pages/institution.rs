//! The institution's workspace: its people with the state of each item (a green ✓ for
//! each registered one), adding a person (which sets the fill-in password, shown once),
//! registering items with every violation explained, resetting the fill-in password,
//! releasing an item (退回人员) and hiring from the pool.
//!
//! The institution always comes from the session, never from the request; another
//! institution's person answers 404 exactly like one that does not exist.

use poem::http::StatusCode;
use poem::web::{Path, Query};
use poem::{Request, Response, handler};
use registry_core::holding::{FillInPasswordHash, ItemState};
use registry_core::ids::{InstitutionId, PersonId};
use registry_core::person::labels;
use registry_core::ports::{RegisterTx, StoreError};
use registry_core::registration::{PersonFacts, Reference, check_registration, person_obstacles};
use registry_core::resident_id::ResidentId;
use registry_core::review_item::ReviewItemCode;
use registry_core::usecases::{EmployItems, RegisterItems, ReleaseItem, SetFillInPassword};
use registry_store::queries::InstitutionPeopleQuery;
use serde::Deserialize;

use super::{Fields, institution_account, layout, redirect, state};
use crate::AppState;
use crate::auth::actor_of;
use crate::errors::{PageResult, html, message_page, messages_of, status_of};
use crate::secrets::new_password;
use crate::templates::{
    AddableItem, FoundPerson, HolderRow, InstitutionAdd, InstitutionPeople, InstitutionPerson,
    ItemView, PersonRow, RegistrableItem, Secret,
};

const STATES: [ItemState; 6] = [
    ItemState::Invited,
    ItemState::Filling,
    ItemState::AwaitingRegistration,
    ItemState::Registered,
    ItemState::Expired,
    ItemState::Released,
];

#[derive(Debug, Deserialize)]
pub(crate) struct PeopleQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    page: Option<u64>,
}

const PAGE: u64 = 20;

#[handler]
pub(crate) async fn people(req: &Request, Query(query): Query<PeopleQuery>) -> PageResult {
    let (institution, _) = institution_account(req)?;
    let state = state(req);
    let filter = ItemState::from_code(&query.state).filter(|s| *s != ItemState::Released);
    let page = query.page.unwrap_or(1).max(1);
    let q = InstitutionPeopleQuery {
        state: filter,
        name: Some(query.name.clone()),
        offset: (page - 1) * PAGE,
        limit: PAGE,
    };
    let today = state.today();
    let (people, total) = state
        .store
        .institution_people(institution, &q, today)
        .await?;
    let name = institution_name(state, institution).await?;
    let rows = people
        .into_iter()
        .map(|p| PersonRow {
            id: p.person.get(),
            name: p.name,
            masked_id: p.masked_id,
            number: p
                .registration_number
                .map(|n| n.to_string())
                .unwrap_or_default(),
            items: p
                .items
                .iter()
                .map(|i| ItemView::new(&state.catalogue, &i.item, i.state, i.valid_until))
                .collect(),
        })
        .collect();
    Ok(html(
        StatusCode::OK,
        &InstitutionPeople {
            layout: layout(req),
            institution_name: name,
            rows,
            states: STATES
                .iter()
                .filter(|s| **s != ItemState::Released)
                .map(|s| (s.code(), s.label()))
                .collect(),
            filter_state: filter.map(|s| s.code().to_owned()).unwrap_or_default(),
            filter_name: query.name,
            page,
            pages: total.div_ceil(PAGE).max(1),
            total,
        },
    ))
}

async fn institution_name(state: &AppState, id: InstitutionId) -> Result<String, StoreError> {
    let mut tx = state.store.begin_read().await?;
    Ok(tx
        .institution(id)
        .await?
        .map(|i| i.details.name.as_str().to_owned())
        .unwrap_or_default())
}

#[derive(Debug, Deserialize)]
pub(crate) struct AddQuery {
    #[serde(default)]
    name: String,
    #[serde(default)]
    resident_id: String,
}

/// A qualified person found by name and ID number, with what the institution may employ.
async fn find_person(
    state: &AppState,
    institution: InstitutionId,
    name: &str,
    id: &ResidentId,
) -> Result<Option<FoundPerson>, StoreError> {
    let mut tx = state.store.begin_read().await?;
    let Some(person) = tx.person_by_resident_id(id).await? else {
        return Ok(None);
    };
    if person.name.as_str() != name.trim() {
        return Ok(None);
    }
    let holdings = tx.holdings_of(person.id).await?;
    let items = tx
        .qualifications(person.id)
        .await?
        .iter()
        .map(|q| {
            let held = holdings
                .iter()
                .find(|h| h.item == q.item && h.state.is_active());
            let (available, note) = match held {
                None => (true, String::new()),
                Some(h) if h.institution == institution => (false, "本机构已聘用".to_owned()),
                Some(_) => (false, "已由其他机构聘用".to_owned()),
            };
            AddableItem {
                code: q.item.as_str().to_owned(),
                name: state.catalogue.name_of(&q.item).to_owned(),
                available,
                note,
            }
        })
        .collect();
    Ok(Some(FoundPerson {
        id: person.id.get(),
        name: person.name.as_str().to_owned(),
        masked_id: person.resident_id.masked(),
        items,
    }))
}

/// 添加人员: the lookup form (an ID number in the address is not looked up).
#[handler]
pub(crate) async fn add_form(req: &Request, Query(query): Query<AddQuery>) -> PageResult {
    let _ = institution_account(req)?;
    let errors = if query.resident_id.trim().is_empty() {
        vec![]
    } else {
        vec![super::public::ID_IN_ADDRESS.to_owned()]
    };
    Ok(add_page(req, query.name, String::new(), None, errors))
}

/// 添加人员: looks the person up on the pass lists by name and ID number (from the form's
/// body, never the address).
#[handler]
pub(crate) async fn find(req: &Request, body: String) -> PageResult {
    let (institution, _) = institution_account(req)?;
    let state = state(req);
    let fields = Fields::parse(&body);
    let (name, resident_id) = (fields.get("name"), fields.get("resident_id"));
    let mut errors = Vec::new();
    let mut found = None;
    match ResidentId::parse(&resident_id, state.today()) {
        Ok(id) => match find_person(state, institution, &name, &id).await {
            Ok(Some(person)) => found = Some(person),
            Ok(None) => errors.push(
                "未找到该人员：请核对姓名和身份证号，或确认其考核合格名单已由促进会录入。"
                    .to_owned(),
            ),
            Err(e) => return Err(e.into()),
        },
        Err(e) => errors.push(e.to_string()),
    }
    Ok(add_page(req, name, resident_id, found, errors))
}

fn add_page(
    req: &Request,
    name: String,
    resident_id: String,
    found: Option<FoundPerson>,
    errors: Vec<String>,
) -> Response {
    html(
        StatusCode::OK,
        &InstitutionAdd {
            layout: layout(req),
            name,
            resident_id,
            found,
            errors,
        },
    )
}

/// Employs a person's items; when the employment is new, shows the fill-in password once.
async fn employ(
    req: &Request,
    institution: InstitutionId,
    person: PersonId,
    items: Vec<String>,
) -> PageResult {
    let state = state(req);
    let (_, account) = institution_account(req)?;
    let (password, hash) = match new_password().await {
        Ok(secret) => (secret.shown, secret.hash),
        Err(e) => return Err(StoreError::Unexpected(e.to_string()).into()),
    };
    let outcome = state
        .run(
            actor_of(&account),
            &EmployItems {
                institution,
                person,
                items,
                password: Some(FillInPasswordHash::new(hash)),
            },
        )
        .await;
    Ok(match outcome {
        Ok(employed) if employed.new_employment => html(
            StatusCode::OK,
            &Secret {
                layout: layout(req),
                title: "已聘用，请告知填报密码".to_owned(),
                subject: format!("已聘用 {} 项评审项目。该人员的评审人员信息填报密码：", employed.items.len()),
                secret: password,
                note: "请将此密码告知该人员：在首页点击“评审人员信息填报”，输入姓名和本机构名称搜索，点击“人员基本信息”后输入此密码填报信息。".to_owned(),
                back: format!("/institution/people/{person}"),
            },
        ),
        Ok(_) => redirect(&format!("/institution/people/{person}?notice=employed")),
        Err(e) => message_page(
            layout(req),
            status_of(&e),
            "未能聘用",
            &messages_of(&e).join("；"),
            Some(("/institution/add", "返回")),
        ),
    })
}

#[handler]
pub(crate) async fn add(req: &Request, body: String) -> PageResult {
    let (institution, _) = institution_account(req)?;
    let fields = Fields::parse(&body);
    let Ok(person) = fields.get("person").parse::<i64>() else {
        return Ok(redirect("/institution/add"));
    };
    employ(req, institution, PersonId::new(person), fields.all("items")).await
}

/// Notices a redirect may ask for, by code (never free text from the request).
fn notice(code: &str) -> Option<String> {
    match code {
        "employed" => Some("已聘用；填报密码沿用本机构此前为该人员设置的密码。".to_owned()),
        "registered" => Some("注册成功。".to_owned()),
        "released" => Some("已退回。".to_owned()),
        _ => None,
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct PersonQuery {
    #[serde(default)]
    notice: String,
}

/// A person as their institution sees them: each item at this institution, whether it can
/// be registered and why not.
pub(crate) struct PersonView {
    pub(crate) name: String,
    pub(crate) masked_id: String,
    pub(crate) number: String,
    pub(crate) complete: bool,
    pub(crate) missing: String,
    pub(crate) mobile: String,
    pub(crate) work_unit: String,
    pub(crate) items: Vec<RegistrableItem>,
    /// Every holder of the person's items, past and present (the institution employs the
    /// person, so it sees the whole history).
    pub(crate) holders: Vec<HolderRow>,
    /// The items the institution holds for the person.
    pub(crate) codes: Vec<ReviewItemCode>,
}

/// The person seen by `institution`, or `None` when the institution does not employ them
/// (exactly as when they do not exist).
pub(crate) async fn person_view(
    state: &AppState,
    institution: InstitutionId,
    person: PersonId,
) -> Result<Option<PersonView>, StoreError> {
    let today = state.today();
    let mut tx = state.store.begin_read().await?;
    let Some(details) = tx.person(person).await? else {
        return Ok(None);
    };
    let holdings: Vec<_> = tx
        .holdings_of(person)
        .await?
        .into_iter()
        .filter(|h| h.institution == institution && h.state.is_active())
        .collect();
    if holdings.is_empty() {
        return Ok(None);
    }
    let qualifications = tx.qualifications(person).await?;
    let history = tx.registrations_of(person).await?;
    let courses = tx.courses_of(person).await?;
    let attendance = tx.attendance_of(person).await?;
    let cycles = tx.cycles().await?;
    let facts = PersonFacts {
        person: &details,
        qualifications: &qualifications,
        history: &history,
        courses: &courses,
        attendance: &attendance,
    };
    let reference = Reference {
        catalogue: &state.catalogue,
        cycles: &cycles,
    };
    let person_problems: Vec<String> = person_obstacles(&details)
        .iter()
        .map(ToString::to_string)
        .collect();
    let items = holdings
        .iter()
        .map(|h| {
            let state_today = h.state_on(today);
            let view = ItemView::new(
                &state.catalogue,
                &h.item,
                state_today,
                h.registration.as_ref().map(|r| r.valid_until),
            );
            let outcome = check_registration(facts, reference, h, today);
            let mut problems: Vec<String> = match &outcome {
                Ok(_) => vec![],
                Err(v) => v.iter().map(ToString::to_string).collect(),
            };
            if state_today != ItemState::Registered {
                problems.extend(person_problems.iter().cloned());
            }
            problems.dedup();
            RegistrableItem {
                item: view,
                registrable: outcome.is_ok() && person_problems.is_empty(),
                problems,
            }
        })
        .collect();
    let missing = details.details.missing();
    drop(tx);
    let holders = match state.store.person_history(person).await? {
        Some(history) => HolderRow::rows(&state.catalogue, &history.holdings, today),
        None => vec![],
    };
    Ok(Some(PersonView {
        name: details.name.as_str().to_owned(),
        masked_id: details.resident_id.masked(),
        number: details
            .registration_number
            .map(|n| n.to_string())
            .unwrap_or_default(),
        complete: missing.is_empty(),
        missing: labels(&missing),
        mobile: details
            .details
            .mobile()
            .map(|m| m.as_str().to_owned())
            .unwrap_or_default(),
        work_unit: details.details.work_unit().unwrap_or_default().to_owned(),
        items,
        holders,
        codes: holdings.iter().map(|h| h.item.clone()).collect(),
    }))
}

/// The person page, or `None` when the institution does not employ the person.
async fn person_page(
    req: &Request,
    institution: InstitutionId,
    person: PersonId,
    errors: Vec<String>,
    notice_text: Option<String>,
) -> Result<Option<InstitutionPerson>, StoreError> {
    let state = state(req);
    let Some(view) = person_view(state, institution, person).await? else {
        return Ok(None);
    };
    let codes = view.codes.clone();
    let (renewal, assessments) = super::education::renewal_view(state, person, &codes).await?;
    Ok(Some(InstitutionPerson {
        renewal,
        assessments,
        assessment_action: format!("/institution/people/{}/assessments", person.get()),
        assessment_items: codes
            .iter()
            .map(|c| (c.as_str().to_owned(), state.catalogue.name_of(c).to_owned()))
            .collect(),
        assessment_errors: vec![],
        assessment_notice: None,
        layout: layout(req),
        id: person.get(),
        name: view.name,
        masked_id: view.masked_id,
        number: view.number,
        complete: view.complete,
        missing: view.missing,
        mobile: view.mobile,
        work_unit: view.work_unit,
        items: view.items,
        holders: view.holders,
        errors,
        notice: notice_text,
    }))
}

/// The person page after an attempt to record an on-site assessment.
pub(crate) async fn person_with_assessment_outcome(
    req: &Request,
    institution: InstitutionId,
    person: PersonId,
    outcome: Result<String, Vec<String>>,
) -> PageResult {
    Ok(
        match person_page(req, institution, person, vec![], None).await {
            Ok(Some(mut page)) => {
                let status = match outcome {
                    Ok(notice) => {
                        page.assessment_notice = Some(notice);
                        StatusCode::OK
                    }
                    Err(errors) => {
                        page.assessment_errors = errors;
                        StatusCode::UNPROCESSABLE_ENTITY
                    }
                };
                html(status, &page)
            }
            Ok(None) => not_found(req),
            Err(e) => return Err(e.into()),
        },
    )
}

fn not_found(req: &Request) -> Response {
    message_page(
        layout(req),
        StatusCode::NOT_FOUND,
        "未找到",
        "未找到该人员。",
        Some(("/institution", "返回本机构人员")),
    )
}

#[handler]
pub(crate) async fn person_detail(
    req: &Request,
    Path(id): Path<i64>,
    Query(query): Query<PersonQuery>,
) -> PageResult {
    let (institution, _) = institution_account(req)?;
    Ok(
        match person_page(
            req,
            institution,
            PersonId::new(id),
            vec![],
            notice(&query.notice),
        )
        .await
        {
            Ok(Some(page)) => html(StatusCode::OK, &page),
            Ok(None) => not_found(req),
            Err(e) => return Err(e.into()),
        },
    )
}

#[handler]
pub(crate) async fn register(req: &Request, Path(id): Path<i64>, body: String) -> PageResult {
    let (institution, account) = institution_account(req)?;
    let state = state(req);
    let person = PersonId::new(id);
    let items = Fields::parse(&body).all("items");
    let outcome = state
        .run(
            actor_of(&account),
            &RegisterItems {
                institution,
                person,
                items,
            },
        )
        .await;
    Ok(match outcome {
        Ok(_) => redirect(&format!("/institution/people/{id}?notice=registered")),
        Err(e) => match person_page(req, institution, person, messages_of(&e), None).await {
            Ok(Some(page)) => html(status_of(&e), &page),
            Ok(None) => not_found(req),
            Err(e) => return Err(e.into()),
        },
    })
}

#[handler]
pub(crate) async fn reset_fill_in_password(req: &Request, Path(id): Path<i64>) -> PageResult {
    let (institution, account) = institution_account(req)?;
    let state = state(req);
    let person = PersonId::new(id);
    let (password, hash) = match new_password().await {
        Ok(secret) => (secret.shown, secret.hash),
        Err(e) => return Err(StoreError::Unexpected(e.to_string()).into()),
    };
    let outcome = state
        .run(
            actor_of(&account),
            &SetFillInPassword {
                institution,
                person,
                password: FillInPasswordHash::new(hash),
            },
        )
        .await;
    Ok(match outcome {
        Ok(()) => html(
            StatusCode::OK,
            &Secret {
                layout: layout(req),
                title: "新的填报密码".to_owned(),
                subject: "该人员新的评审人员信息填报密码（原密码已失效）：".to_owned(),
                secret: password,
                note: "请将此密码告知该人员。".to_owned(),
                back: format!("/institution/people/{id}"),
            },
        ),
        Err(registry_core::usecases::UseCaseError::NotFound(_)) => not_found(req),
        Err(e) => message_page(
            layout(req),
            status_of(&e),
            "未能重新生成",
            &messages_of(&e).join("；"),
            Some(("/institution", "返回")),
        ),
    })
}

#[handler]
pub(crate) async fn release(req: &Request, Path(id): Path<i64>, body: String) -> PageResult {
    let (institution, account) = institution_account(req)?;
    let state = state(req);
    let person = PersonId::new(id);
    let fields = Fields::parse(&body);
    let outcome = state
        .run(
            actor_of(&account),
            &ReleaseItem {
                institution,
                person,
                item: fields.get("item"),
                reason: fields.get("reason"),
            },
        )
        .await;
    Ok(match outcome {
        Ok(()) => match person_page(req, institution, person, vec![], notice("released")).await {
            Ok(Some(page)) => html(StatusCode::OK, &page),
            Ok(None) => redirect("/institution"),
            Err(e) => return Err(e.into()),
        },
        Err(registry_core::usecases::UseCaseError::NotFound(_)) => not_found(req),
        Err(e) => match person_page(req, institution, person, messages_of(&e), None).await {
            Ok(Some(page)) => html(status_of(&e), &page),
            Ok(None) => not_found(req),
            Err(e) => return Err(e.into()),
        },
    })
}

#[handler]
pub(crate) async fn pool(
    req: &Request,
    Query(params): Query<super::public::PoolParams>,
) -> PageResult {
    let _ = institution_account(req)?;
    super::public::pool_page(req, &params, true).await
}

#[handler]
pub(crate) async fn hire(req: &Request, body: String) -> PageResult {
    let (institution, _) = institution_account(req)?;
    let fields = Fields::parse(&body);
    let Ok(person) = fields.get("person").parse::<i64>() else {
        return Ok(redirect("/institution/pool"));
    };
    employ(
        req,
        institution,
        PersonId::new(person),
        vec![fields.get("item")],
    )
    .await
}

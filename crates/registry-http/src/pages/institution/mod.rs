//! The institution's workspace: its people with the state of each item (a green ✓ for
//! each registered one), adding a person (which sets the fill-in password, shown once) and
//! hiring from the pool; a person's page (person.rs) and the registrations ending soon and
//! on-site assessments recorded (activity.rs).
//!
//! The institution always comes from the session, never from the request; another
//! institution's person answers 404 exactly like one that does not exist.

pub(crate) mod activity;
pub(crate) mod corrections;
pub(crate) mod documents;
pub(crate) mod person;
pub(crate) mod reminders;
mod slip;
pub(crate) mod workspace;

use crate::pages::notice::Notice;
use poem::http::StatusCode;
use poem::web::Query;
use poem::{Request, Response, handler};
use registry_core::holding::{FillInPasswordHash, ItemState};
use registry_core::ids::{InstitutionId, PersonId};

use registry_core::ports::{RegisterTx, StoreError};

use registry_core::resident_id::ResidentId;

use crate::AppState;
use crate::auth::actor_of;
use crate::errors::{PageResult, html, message_page, messages_of, status_of};
use crate::pages::{Fields, institution_account, layout, redirect, state};
use crate::secrets::new_fill_in_password;
use crate::templates::pager::PAGE_SIZE;
use crate::templates::{
    AddableItem, FoundPerson, InstitutionAdd, InstitutionPeople, ItemView, PageNumber, Pager,
    PersonRow,
};
use registry_core::usecases::{EmployItems, UseCaseError};
use registry_store::queries::{InstitutionPeopleQuery, MAX_PAGE};
use serde::Deserialize;

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
    #[serde(default)]
    notice: String,
    #[serde(default)]
    format: String,
}

/// An item of a list row as a spreadsheet cell: `压力容器制造 已注册（有效期至 2028-12-31）`.
fn item_cell(i: &ItemView) -> String {
    let mut cell = format!("{} {}", i.name, i.state_label);
    if let Some(v) = &i.valid_until {
        cell.push_str(&format!("（有效期至 {v}）"));
    }
    if let Some(r) = &i.released_on {
        cell.push_str(&format!("（退回于 {r}）"));
    }
    cell
}

#[handler]
pub(crate) async fn people(req: &Request, Query(query): Query<PeopleQuery>) -> PageResult {
    let (institution, _) = institution_account(req)?;
    let state = state(req);
    let filter = ItemState::from_code(&query.state);
    let page = PageNumber::from_query(query.page);
    let today = state.today();
    let mut q = InstitutionPeopleQuery {
        state: filter,
        name: Some(query.name.clone()),
        offset: (page.get() - 1).saturating_mul(PAGE_SIZE),
        limit: PAGE_SIZE,
    };
    if let Some(format) = crate::pages::export::requested(&query.format) {
        let people = every_person(state, institution, &q, today).await?;
        let rows: Vec<Vec<String>> = people
            .into_iter()
            .map(|p| {
                let items: Vec<String> = p
                    .items
                    .iter()
                    .map(|i| {
                        item_cell(&ItemView {
                            released_on: i.released_on.map(registry_core::date::format_date),
                            ..ItemView::new(&state.catalogue, &i.item, i.state, i.valid_until)
                        })
                    })
                    .collect();
                vec![
                    p.name,
                    p.masked_id,
                    p.registration_number
                        .map(|n| n.to_string())
                        .unwrap_or_default(),
                    items.join("；"),
                ]
            })
            .collect();
        return crate::pages::export::respond(
            format,
            "institution-people",
            today,
            &["姓名", "身份证号", "注册号", "评审项目及状态"],
            &rows,
        );
    }
    let (mut people, mut total) = people_page(state, institution, &q, today).await?;
    if people.is_empty() && q.offset > 0 && total > 0 {
        // a page past the last: the last
        q.offset = page.offset(total);
        (people, total) = people_page(state, institution, &q, today).await?;
    }
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
                .map(|i| ItemView {
                    released_on: i.released_on.map(registry_core::date::format_date),
                    ..ItemView::new(&state.catalogue, &i.item, i.state, i.valid_until)
                })
                .collect(),
        })
        .collect();
    let filter_state = filter.map(|s| s.code().to_owned()).unwrap_or_default();
    // The workspace leads with what to act on, above the whole list's first page.
    let first = filter.is_none() && query.name.trim().is_empty() && page.get() == 1;
    let lead = if first {
        Some(workspace::workspace(state, institution).await?)
    } else {
        None
    };
    let renewal = lead
        .as_ref()
        .and_then(|w| workspace::renewal(state, institution, w));
    let pager = Pager::new(
        "/institution",
        &[("state", &filter_state), ("name", &query.name)],
        page,
        total,
        "人",
    )
    .exported();
    Ok(html(
        StatusCode::OK,
        &InstitutionPeople {
            layout: layout(req),
            institution_name: name,
            rows,
            states: STATES.iter().map(|s| (s.code(), s.label())).collect(),
            filter_state,
            filter_name: query.name,
            pager,
            notice: crate::pages::notice::from_query(&query.notice),
            today: registry_core::date::format_date(today),
            lead,
            renewal,
        },
    ))
}

/// A page of the institution's people, kept per write generation: a workspace that many
/// of its staff reload reads the database once per write.
async fn people_page(
    state: &AppState,
    institution: InstitutionId,
    q: &InstitutionPeopleQuery,
    today: time::Date,
) -> Result<crate::state::InstitutionPage, StoreError> {
    let key = (
        institution,
        q.state,
        q.name.clone().unwrap_or_default().trim().to_owned(),
        q.offset,
        today,
    );
    let generation = state.store.generation();
    state
        .institution_pages
        .get_or_compute(key, generation, || {
            state.store.institution_people(institution, q, today)
        })
        .await
}

/// The whole list with the filters of `q`, page after page of the store's (for a file).
pub(crate) async fn every_person(
    state: &AppState,
    institution: InstitutionId,
    q: &InstitutionPeopleQuery,
    today: time::Date,
) -> Result<Vec<registry_store::queries::InstitutionPerson>, StoreError> {
    crate::pages::export::every_page(MAX_PAGE, |offset| {
        let page = InstitutionPeopleQuery {
            offset,
            limit: MAX_PAGE,
            ..q.clone()
        };
        async move {
            state
                .store
                .institution_people(institution, &page, today)
                .await
        }
    })
    .await
}

/// The institution's name (kept per write generation: it heads every page of its list).
async fn institution_name(state: &AppState, id: InstitutionId) -> Result<String, StoreError> {
    let generation = state.store.generation();
    state
        .institution_names
        .get_or_compute(id, generation, || async move {
            let mut tx = state.store.begin_read().await?;
            Ok(tx
                .institution(id)
                .await?
                .map(|i| i.details.name.as_str().to_owned())
                .unwrap_or_default())
        })
        .await
}

#[derive(Debug, Deserialize)]
pub(crate) struct AddQuery {
    #[serde(default)]
    name: String,
    #[serde(default)]
    resident_id: String,
}

/// A qualified person found by name and ID number, as the page shows them.
async fn find_person(
    state: &AppState,
    institution: InstitutionId,
    name: &str,
    id: &ResidentId,
) -> Result<Option<FoundPerson>, StoreError> {
    Ok(crate::lookup::find_person(state, institution, name, id)
        .await?
        .map(|found| FoundPerson {
            id: found.person.get(),
            name: found.name,
            masked_id: found.masked_id,
            items: found
                .items
                .into_iter()
                .map(|(item, may)| AddableItem {
                    code: item.as_str().to_owned(),
                    name: state.catalogue.name_of(&item).to_owned(),
                    available: may.is_ok(),
                    note: may.err().unwrap_or_default(),
                })
                .collect(),
        }))
}

/// 添加人员: the lookup form (an ID number in the address is not looked up).
#[handler]
pub(crate) async fn add_form(req: &Request, Query(query): Query<AddQuery>) -> PageResult {
    let _ = institution_account(req)?;
    let errors = if query.resident_id.trim().is_empty() {
        vec![]
    } else {
        vec![crate::pages::public::ID_IN_ADDRESS.to_owned()]
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
    let (password, hash) = match new_fill_in_password().await {
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
        Ok(employed) if employed.new_employment => {
            let items = employed.items.len();
            slip::slip_page(
                req,
                institution,
                person,
                password,
                slip::Occasion::Employed(items),
            )
            .await?
        }
        Ok(_) => redirect(&format!(
            "/institution/people/{person}?notice={}",
            Notice::Employed.code()
        )),
        // A person the institution may not see answers as nobody: the hint is the same
        // for every id.
        Err(e @ UseCaseError::NotFound(_)) => message_page(
            layout(req),
            status_of(&e),
            "未能聘用",
            &format!(
                "{}：该人员可能已不在无聘用单位人员中，请重新查找。",
                messages_of(&e).join("；")
            ),
            Some(("/institution/add", "返回")),
        ),
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

#[handler]
pub(crate) async fn pool(
    req: &Request,
    Query(params): Query<crate::pages::public::PoolParams>,
) -> PageResult {
    let _ = institution_account(req)?;
    crate::pages::public::pool_page(req, &params, true).await
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

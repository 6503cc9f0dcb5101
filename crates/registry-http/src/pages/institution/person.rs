//! A person as their institution sees them (the core's institution view and renewal
//! outlook): registering items with every violation explained, releasing an item
//! (退回人员), a new fill-in password, lifting the lockout of the fill-in entry, recording an
//! on-site assessment.

use poem::http::StatusCode;
use poem::web::{Path, Query};
use poem::{Request, Response, handler};
use registry_core::holding::FillInPasswordHash;
use registry_core::ids::{InstitutionId, PersonId};
use registry_core::person::labels;
use registry_core::ports::StoreError;
use registry_core::read::employment::undoable_releases;
use registry_core::read::institution_view::institution_view;
use registry_core::registration::Reference;

use crate::pages::notice::{Notice, from_query};

use crate::auth::actor_of;
use crate::errors::{PageResult, html, message_page, messages_of, status_of};
use crate::pages::person_file::{load_person, record_assessment, renewal_view};
use crate::pages::{Fields, institution_account, layout, redirect, state};
use crate::secrets::new_fill_in_password;
use crate::templates::{
    AssessmentFormView, ConfirmRelease, HolderRow, InstitutionPerson, ItemView, RegistrableItem,
};

use registry_core::usecases::{
    RegisterItems, ReleaseItem, SetFillInPassword, UndoRelease, UnlockFillInEntry,
};

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub(crate) struct PersonQuery {
    #[serde(default)]
    notice: String,
}

/// The person page seen by `institution` (the core's institution view and renewal outlook),
/// or `None` when the institution does not employ the person (exactly as when they do not
/// exist).
async fn person_page(
    req: &Request,
    institution: InstitutionId,
    person: PersonId,
    errors: Vec<String>,
    notice_text: Option<String>,
) -> Result<Option<InstitutionPerson>, StoreError> {
    let state = state(req);
    let today = state.today();
    let Some((record, cycles)) = load_person(state, person).await? else {
        return Ok(None);
    };
    let reference = Reference {
        catalogue: &state.catalogue,
        cycles: &cycles,
    };
    let Some(view) = institution_view(&record, reference, institution, today) else {
        return Ok(None);
    };
    let codes = view.codes();
    let (renewal, assessments) = renewal_view(state, &record, &cycles, &codes)?;
    let holders = match state.store.person_history(person).await? {
        Some(history) => HolderRow::rows(&state.catalogue, &history.holdings, today),
        None => vec![],
    };
    let details = &record.person;
    Ok(Some(InstitutionPerson {
        renewal,
        assessments,
        assessment_action: format!("/institution/people/{}/assessments", person.get()),
        assessment_items: codes
            .iter()
            .map(|c| (c.as_str().to_owned(), state.catalogue.name_of(c).to_owned()))
            .collect(),
        assessment: AssessmentFormView::default(),
        layout: layout(req),
        id: person.get(),
        name: details.name.as_str().to_owned(),
        masked_id: details.resident_id.masked(),
        number: details
            .registration_number
            .map(|n| n.to_string())
            .unwrap_or_default(),
        complete: view.missing.is_empty(),
        missing: labels(&view.missing),
        mobile: details
            .details
            .mobile()
            .map(|m| m.as_str().to_owned())
            .unwrap_or_default(),
        work_unit: details.details.work_unit().unwrap_or_default().to_owned(),
        items: view
            .items
            .iter()
            .map(|held| RegistrableItem {
                item: ItemView::new(&state.catalogue, &held.item, held.state, held.valid_until),
                registrable: held.registrable,
                problems: held.problems.iter().map(ToString::to_string).collect(),
            })
            .collect(),
        holders,
        undoable: undoable_releases(&record.holdings, institution, today)
            .iter()
            .map(|h| {
                (
                    h.item.as_str().to_owned(),
                    state.catalogue.name_of(&h.item).to_owned(),
                )
            })
            .collect(),
        errors,
        notice: notice_text,
    }))
}

/// The person page after an attempt to record an on-site assessment.
pub(crate) async fn person_with_assessment_outcome(
    req: &Request,
    institution: InstitutionId,
    person: PersonId,
    outcome: AssessmentFormView,
) -> PageResult {
    Ok(
        match person_page(req, institution, person, vec![], None).await {
            Ok(Some(mut page)) => {
                let status = crate::errors::status_of_form(&outcome.errors);
                page.assessment = outcome;
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
        "未找到该人员：该人员不是本机构人员，或地址有误。请在本机构人员中查找；新聘人员请用“添加人员”。",
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
            from_query(&query.notice),
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
        Ok(_) => redirect(&format!(
            "/institution/people/{id}?notice={}",
            Notice::Registered.code()
        )),
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
    let (password, hash) = match new_fill_in_password().await {
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
        Ok(()) => {
            super::slip::slip_page(
                req,
                institution,
                person,
                password,
                super::slip::Occasion::Renewed,
            )
            .await?
        }
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

/// 解除填报锁定: forgets the counted attempts at the person's fill-in password (audited).
#[handler]
pub(crate) async fn unlock_entry(req: &Request, Path(id): Path<i64>) -> PageResult {
    let (institution, account) = institution_account(req)?;
    let state = state(req);
    let person = PersonId::new(id);
    let outcome = state
        .run(
            actor_of(&account),
            &UnlockFillInEntry {
                institution,
                person,
            },
        )
        .await;
    let (status, errors, notice_text) = match outcome {
        Ok(()) => (StatusCode::OK, vec![], Some(Notice::Unlocked.text())),
        Err(registry_core::usecases::UseCaseError::NotFound(_)) => return Ok(not_found(req)),
        Err(e) => (status_of(&e), messages_of(&e), None),
    };
    Ok(
        match person_page(req, institution, person, errors, notice_text).await {
            Ok(Some(page)) => html(status, &page),
            Ok(None) => not_found(req),
            Err(e) => return Err(e.into()),
        },
    )
}

#[handler]
pub(crate) async fn release(req: &Request, Path(id): Path<i64>, body: String) -> PageResult {
    let (institution, account) = institution_account(req)?;
    let state = state(req);
    let person = PersonId::new(id);
    let fields = Fields::parse(&body);
    // A release is asked once more, naming the person and the item. Only an item the
    // page offers to release is asked about; anything else (a reason left empty, an item
    // not held here) goes straight to the use case, which refuses it and changes nothing.
    let reason = fields.get("reason");
    let item = fields.get("item");
    if fields.get("confirm") != "yes" && !reason.trim().is_empty() {
        let Some(page) = person_page(req, institution, person, vec![], None).await? else {
            return Ok(not_found(req));
        };
        let offered = page
            .items
            .iter()
            .find(|r| r.item.code == item.trim() && r.item.state_code != "released");
        if let Some(offered) = offered {
            return Ok(html(
                StatusCode::OK,
                &ConfirmRelease {
                    layout: layout(req),
                    id,
                    name: page.name,
                    item: offered.item.code.clone(),
                    item_name: offered.item.name.clone(),
                    reason: reason.trim().to_owned(),
                },
            ));
        }
    }
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
        Ok(()) => match person_page(
            req,
            institution,
            person,
            vec![],
            Some(Notice::Released.text()),
        )
        .await
        {
            Ok(Some(page)) => html(StatusCode::OK, &page),
            // The last item released: the person is no longer this institution's, and its
            // list of released people offers to take the release back.
            Ok(None) => redirect(&format!(
                "/institution?state=released&notice={}",
                Notice::Released.code()
            )),
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

/// 撤销退回: takes back a release of today (the core decides whether it still can, and
/// says why not).
#[handler]
pub(crate) async fn undo_release(req: &Request, Path(id): Path<i64>, body: String) -> PageResult {
    let (institution, account) = institution_account(req)?;
    let state = state(req);
    let person = PersonId::new(id);
    let fields = Fields::parse(&body);
    let outcome = state
        .run(
            actor_of(&account),
            &UndoRelease {
                institution,
                person,
                item: fields.get("item"),
            },
        )
        .await;
    Ok(match outcome {
        Ok(_) => redirect(&format!(
            "/institution/people/{id}?notice={}",
            Notice::ReleaseUndone.code()
        )),
        Err(registry_core::usecases::UseCaseError::NotFound(_)) => not_found(req),
        Err(e) => match person_page(req, institution, person, messages_of(&e), None).await? {
            Some(page) => html(status_of(&e), &page),
            None => message_page(
                layout(req),
                status_of(&e),
                "未能撤销退回",
                &messages_of(&e).join("；"),
                Some(("/institution?state=released", "返回已退回人员")),
            ),
        },
    })
}

#[handler]
pub(crate) async fn institution_records_assessment(
    req: &Request,
    Path(id): Path<i64>,
    body: String,
) -> PageResult {
    let (institution, account) = institution_account(req)?;
    let state = state(req);
    let outcome = record_assessment(
        state,
        actor_of(&account),
        PersonId::new(id),
        Some(institution),
        &body,
    )
    .await;
    person_with_assessment_outcome(req, institution, PersonId::new(id), outcome).await
}

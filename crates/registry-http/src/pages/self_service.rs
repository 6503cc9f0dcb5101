//! 评审人员信息填报, exactly as figures 1–6 of the source document: search by name and
//! institution → the result → 人员基本信息 → the fill-in password → the edit page → 确定
//! saves; complete details turn the person's items at that institution 等待注册 by
//! themselves. The institution field offers the active institutions' names (a list the
//! browser filters as one types); the search runs only for the one institution the text
//! identifies (the core's `institution::identify`).
//!
//! An entry is open only while its institution is active and employs the person: the
//! visitor's entry (`web::Entry`) is checked on every request, and a closed one is
//! answered as no entry at all (back to the password).
//!
//! The fill-in password is the only secret on this path. Wrong passwords are counted per
//! (person, institution) entry and per client address in the database; past the limit the
//! entry is locked for the window. An unknown person or institution is answered exactly
//! like a wrong password: the same message, the same argon2 verification (against a dummy
//! hash), the same counting.

use std::collections::BTreeMap;

use poem::http::StatusCode;
use poem::web::{Path, Query};
use poem::{Request, Response, handler};

use registry_core::holding::ItemState;
use registry_core::ids::{InstitutionId, PersonId};
use registry_core::person::{DetailField, DetailsForm, Education, labels};
use registry_core::ports::{Actor, RegisterTx, StoreError};
use registry_core::usecases::{SaveDetails, UseCaseError};

use serde::Deserialize;

use super::{Fields, layout, redirect, state};
use registry_core::read::employment::held_at;

use crate::AppState;
use crate::auth::{UnlockOutcome, try_unlock};
use crate::client::client_address;
use crate::errors::{PageResult, html, messages_of};
use crate::secrets::token_hash;
use crate::templates::{
    ItemView, SelfServiceEdit, SelfServiceRow, SelfServiceSearch, SelfServiceUnlock,
};
use crate::web::{ENTRY_COOKIE, Entry, cookie, set_cookie};

#[derive(Debug, Deserialize)]
pub(crate) struct SearchQuery {
    #[serde(default)]
    name: String,
    #[serde(default)]
    institution: String,
}

#[handler]
pub(crate) async fn search(req: &Request, Query(query): Query<SearchQuery>) -> PageResult {
    let state = state(req);
    let searched = !query.name.trim().is_empty() && !query.institution.trim().is_empty();
    let mut results = Vec::new();
    let mut error = None;
    if searched {
        if let Err(response) = super::public::rate_limit(req) {
            return Ok(response);
        }
        match state
            .self_service_search(&query.name, &query.institution, super::public::PAGE)
            .await?
        {
            Ok(found) => {
                results = found
                    .into_iter()
                    .map(|m| SelfServiceRow {
                        person: m.person.get(),
                        institution: m.institution.get(),
                        name: m.name,
                        institution_name: m.institution_name,
                        items: m
                            .items
                            .iter()
                            .map(|(code, s)| ItemView::new(&state.catalogue, code, *s, None))
                            .collect(),
                    })
                    .collect();
            }
            Err(violation) => error = Some(violation.to_string()),
        }
    }
    let institutions = state
        .store
        .active_institution_names()
        .await?
        .into_iter()
        .map(|(_, name)| name)
        .collect();
    Ok(html(
        if error.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        &SelfServiceSearch {
            layout: layout(req),
            name: query.name,
            institution: query.institution,
            institutions,
            error,
            searched,
            results,
        },
    ))
}

#[handler]
pub(crate) fn unlock_form(
    req: &Request,
    Path((person, institution)): Path<(i64, i64)>,
) -> Response {
    html(
        StatusCode::OK,
        &SelfServiceUnlock {
            layout: layout(req),
            person,
            institution,
            error: None,
        },
    )
}

#[handler]
pub(crate) async fn unlock(
    req: &Request,
    Path((person, institution)): Path<(i64, i64)>,
    body: String,
) -> PageResult {
    let state = state(req);
    let password = Fields::parse(&body).get("password");
    let client = client_address(req, state.config.trusted_proxy);
    let outcome = try_unlock(
        state,
        &client,
        PersonId::new(person),
        InstitutionId::new(institution),
        password,
    )
    .await?;
    let error = match outcome {
        UnlockOutcome::Opened(token) => {
            let mut resp = redirect(&format!("/self-service/{person}/{institution}/edit"));
            set_cookie(
                &mut resp,
                ENTRY_COOKIE,
                &token,
                None,
                state.config.secure_cookies,
            );
            return Ok(resp);
        }
        UnlockOutcome::Refused(refusal) => refusal.message(),
    };
    Ok(html(
        StatusCode::OK,
        &SelfServiceUnlock {
            layout: layout(req),
            person,
            institution,
            error: Some(error),
        },
    ))
}

/// The unlocked entry for this (person, institution), or the redirect to the password.
pub(crate) fn entry_for(req: &Request, person: i64, institution: i64) -> Result<Entry, Response> {
    match req.data::<Entry>() {
        Some(entry) if entry.person.get() == person && entry.institution.get() == institution => {
            Ok(*entry)
        }
        _ => Err(redirect(&format!("/self-service/{person}/{institution}"))),
    }
}

/// What the edit page needs besides the form.
struct EditContext {
    name: String,
    institution_name: String,
    masked_id: String,
    sex: &'static str,
    birth_date: String,
    items: Vec<ItemView>,
    form: DetailsForm,
    version: i64,
    missing: String,
    missing_fields: Vec<&'static str>,
    confirm: Vec<(&'static str, String)>,
}

async fn edit_context(state: &AppState, entry: Entry) -> Result<Option<EditContext>, StoreError> {
    let mut tx = state.store.begin_read().await?;
    let (Some(person), Some(institution)) = (
        tx.person(entry.person).await?,
        tx.institution(entry.institution).await?,
    ) else {
        return Ok(None);
    };
    let today = state.today();
    let holdings = tx.holdings_of(entry.person).await?;
    let items: Vec<ItemView> = held_at(&holdings, entry.institution)
        .map(|h| {
            ItemView::new(
                &state.catalogue,
                &h.item,
                h.state_on(today),
                h.registration.as_ref().map(|r| r.valid_until),
            )
        })
        .collect();
    // Complete details not yet confirmed through this institution (its items wait for
    // the person): one click confirms them as they are.
    let unconfirmed = items.iter().any(|i| {
        i.state_code == ItemState::Invited.code() || i.state_code == ItemState::Filling.code()
    });
    let form = person.details.to_form();
    let confirm = if unconfirmed && person.details.missing().is_empty() {
        DetailField::FILLED_IN
            .iter()
            // as the form sends them: the sex comes from the ID number, never from a form
            .filter(|f| **f != DetailField::Sex)
            .map(|f| (f.code(), form.field(*f).to_owned()))
            .collect()
    } else {
        vec![]
    };
    Ok(Some(EditContext {
        confirm,
        name: person.name.as_str().to_owned(),
        institution_name: institution.details.name.as_str().to_owned(),
        masked_id: person.resident_id.masked(),
        sex: person.resident_id.sex().label(),
        birth_date: registry_core::date::format_date(person.resident_id.birth_date()),
        items,
        form,
        version: person.version,
        missing: labels(&person.details.missing()),
        missing_fields: person
            .details
            .missing()
            .into_iter()
            .map(|f| f.code())
            .collect(),
    }))
}

fn edit_page(
    req: &Request,
    entry: Entry,
    ctx: EditContext,
    errors: Vec<String>,
    field_errors: BTreeMap<&'static str, String>,
    saved: Option<String>,
) -> SelfServiceEdit {
    SelfServiceEdit {
        layout: layout(req),
        person: entry.person.get(),
        institution: entry.institution.get(),
        name: ctx.name,
        institution_name: ctx.institution_name,
        masked_id: ctx.masked_id,
        sex: ctx.sex,
        birth_date: ctx.birth_date,
        items: ctx.items,
        form: ctx.form,
        version: ctx.version,
        missing: ctx.missing,
        missing_fields: ctx.missing_fields,
        confirm: ctx.confirm,
        educations: Education::ALL.iter().map(|e| e.label()).collect(),
        errors,
        field_errors,
        saved,
    }
}

#[handler]
pub(crate) async fn edit_form(
    req: &Request,
    Path((person, institution)): Path<(i64, i64)>,
) -> PageResult {
    let entry = entry_for(req, person, institution)?;
    let state = state(req);
    Ok(match edit_context(state, entry).await {
        Ok(Some(ctx)) => html(
            StatusCode::OK,
            &edit_page(req, entry, ctx, vec![], BTreeMap::new(), None),
        ),
        Ok(None) => redirect("/self-service"),
        Err(e) => return Err(e.into()),
    })
}

/// The details form from a request: only the person's own details, whatever else the
/// request carries.
pub(crate) fn details_form(fields: &Fields) -> DetailsForm {
    DetailsForm::from_fields(|field| fields.get(field.code()))
}

#[handler]
pub(crate) async fn save(
    req: &Request,
    Path((person, institution)): Path<(i64, i64)>,
    body: String,
) -> PageResult {
    let entry = entry_for(req, person, institution)?;
    let state = state(req);
    let fields = Fields::parse(&body);
    let form = details_form(&fields);
    let version = fields.get("version").parse().unwrap_or(0);
    let outcome = state
        .run(
            Actor::Assessor {
                person: entry.person,
                via: entry.institution,
            },
            &SaveDetails {
                person: entry.person,
                via: entry.institution,
                form: form.clone(),
                version,
            },
        )
        .await;
    let ctx = match edit_context(state, entry).await {
        Ok(Some(ctx)) => ctx,
        Ok(None) => return Ok(redirect("/self-service")),
        Err(e) => return Err(e.into()),
    };
    Ok(match outcome {
        Ok(saved) => {
            let message = saved.message();
            html(
                StatusCode::OK,
                &edit_page(req, entry, ctx, vec![], BTreeMap::new(), Some(message)),
            )
        }
        Err(e) => {
            let status = crate::errors::status_of(&e);
            let field_errors = crate::errors::field_errors_of(&e);
            // What was typed stays, except after a conflict, which shows the current data.
            let stale = matches!(e, UseCaseError::Conflict(_));
            let ctx = if stale {
                ctx
            } else {
                // The required fields marked are those left blank as typed.
                let missing = form.missing();
                EditContext {
                    missing: labels(&missing),
                    missing_fields: missing.into_iter().map(|f| f.code()).collect(),
                    form,
                    version,
                    ..ctx
                }
            };
            html(
                status,
                &edit_page(req, entry, ctx, messages_of(&e), field_errors, None),
            )
        }
    })
}

#[handler]
pub(crate) async fn leave(req: &Request) -> PageResult {
    let state = state(req);
    if let Some(token) = cookie(req, ENTRY_COOKIE)
        && let Err(e) = state.store.delete_session(&token_hash(&token)).await
    {
        return Err(e.into());
    }
    let mut resp = redirect("/self-service");
    set_cookie(
        &mut resp,
        ENTRY_COOKIE,
        "",
        Some(std::time::Duration::ZERO),
        state.config.secure_cookies,
    );
    Ok(resp)
}

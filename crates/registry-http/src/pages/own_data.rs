//! 我的信息 (PIPL 第四十四–四十五条): through their unlocked fill-in entry, an assessor sees
//! their own data as the register holds it (the core's `read::own_data`), downloads it as
//! JSON or .xlsx, and sees who saw their full ID number. Only their own record: the entry
//! is the person's and nobody else's.

use std::collections::BTreeMap;

use askama::Template;
use poem::http::{StatusCode, header};
use poem::web::{Path, Query};
use poem::{Request, Response, handler};
use registry_core::ids::InstitutionId;
use registry_core::read::own_data::{OwnDataRow, own_data, tells_of_disclosure};
use registry_core::usecases::RequestCorrection;
use serde::Deserialize;

use crate::errors::{PageResult, html};
use crate::pages::person_file::load_person;
use crate::pages::self_service::entry_for;
use crate::pages::{audit_row, institution_names, layout, redirect, state};
use crate::templates::{AuditRow, Layout};

#[derive(Template)]
#[template(path = "own_data.html")]
pub(crate) struct OwnData {
    pub(crate) layout: Layout,
    pub(crate) person: i64,
    pub(crate) institution: i64,
    pub(crate) name: String,
    /// (section, rows of it).
    pub(crate) sections: Vec<(&'static str, Vec<OwnDataRow>)>,
    pub(crate) disclosures: Vec<AuditRow>,
    /// A correction request was just sent; or the refused one with why.
    pub(crate) sent: bool,
    pub(crate) correction: String,
    pub(crate) errors: Vec<String>,
    /// Whether they get their reminders, and the address they go to.
    pub(crate) reminders: bool,
    pub(crate) email: String,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct OwnDataQuery {
    /// `json` or `xlsx`: the download.
    #[serde(default)]
    format: String,
    /// A correction request was just sent.
    #[serde(default)]
    sent: u8,
}

#[handler]
pub(crate) async fn own_data_page(
    req: &Request,
    Path((person, institution)): Path<(i64, i64)>,
    Query(query): Query<OwnDataQuery>,
) -> PageResult {
    let entry = entry_for(req, person, institution)?;
    let state = state(req);
    let Some((record, _)) = load_person(state, entry.person).await? else {
        return Ok(redirect("/self-service"));
    };
    let names = institution_names(state).await?;
    let by_id: BTreeMap<InstitutionId, String> = names
        .iter()
        .map(|(id, name)| (InstitutionId::new(*id), name.clone()))
        .collect();
    let rows = own_data(&record, &by_id, &state.catalogue);
    let theirs: Vec<InstitutionId> = record.holdings.iter().map(|h| h.institution).collect();
    let disclosures: Vec<AuditRow> = state
        .store
        .disclosures_of(entry.person)
        .await?
        .iter()
        .filter(|e| {
            tells_of_disclosure(
                &e.action,
                e.entity_id,
                e.action == "person.disclose_id",
                &theirs,
            )
        })
        .map(|e| audit_row(e, &state.catalogue, &names))
        .collect();
    let name = record.person.name.as_str().to_owned();
    let reminders = {
        use registry_core::ports::ReminderTx;
        let mut read = state.store.begin_read().await?;
        read.reminder_settings(registry_core::reminder::Recipient::Person(entry.person))
            .await?
            .wants_any(&registry_core::reminder::ReminderKind::FOR_PERSON)
    };
    let email = record
        .person
        .details
        .email()
        .map(|e| e.as_str().to_owned())
        .unwrap_or_default();
    match query.format.as_str() {
        "json" => {
            let body = serde_json::json!({
                "name": name,
                "generated_on": registry_core::date::format_date(state.today()),
                "data": rows.iter().map(|r| serde_json::json!({
                    "section": r.section, "label": r.label, "value": r.value,
                })).collect::<Vec<_>>(),
                "full_id_seen_by": disclosures.iter().map(|d| serde_json::json!({
                    "at": d.at, "who": d.actor, "what": d.action,
                })).collect::<Vec<_>>(),
            });
            return Ok(Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
                .header(
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"my-data.json\"",
                )
                .header(header::CACHE_CONTROL, "no-store")
                .body(body.to_string()));
        }
        "xlsx" => {
            let table: Vec<Vec<String>> = rows
                .iter()
                .map(|r| vec![r.section.to_owned(), r.label.clone(), r.value.clone()])
                .chain(disclosures.iter().map(|d| {
                    vec![
                        "查看完整身份证号的记录".to_owned(),
                        d.at.clone(),
                        format!("{}：{}", d.actor, d.action),
                    ]
                }))
                .collect();
            return crate::pages::export::respond(
                registry_batch::table::Format::Xlsx,
                "my-data",
                state.today(),
                &["类别", "项目", "内容"],
                &table,
            );
        }
        _ => {}
    }
    let mut sections: Vec<(&'static str, Vec<OwnDataRow>)> = Vec::new();
    for r in rows {
        match sections.last_mut() {
            Some((section, list)) if *section == r.section => list.push(r),
            _ => sections.push((r.section, vec![r])),
        }
    }
    Ok(html(
        StatusCode::OK,
        &OwnData {
            layout: layout(req),
            person,
            institution,
            name,
            sections,
            disclosures,
            sent: query.sent == 1,
            correction: String::new(),
            errors: vec![],
            reminders,
            email,
        },
    ))
}

/// 申请更正: the request goes to the queue of the institution whose entry is open.
#[handler]
pub(crate) async fn request_correction(
    req: &Request,
    Path((person, institution)): Path<(i64, i64)>,
    body: String,
) -> PageResult {
    let entry = entry_for(req, person, institution)?;
    let state = state(req);
    let text = crate::pages::Fields::parse(&body).get("correction");
    let outcome = state
        .run(
            registry_core::ports::Actor::Assessor {
                person: entry.person,
                via: entry.institution,
            },
            &RequestCorrection {
                person: entry.person,
                institution: entry.institution,
                text: text.clone(),
            },
        )
        .await;
    match outcome {
        Ok(_) => Ok(redirect(&format!(
            "/self-service/{person}/{institution}/data?sent=1#correction"
        ))),
        Err(e) => Ok(html(
            crate::errors::status_of(&e),
            &OwnData {
                layout: layout(req),
                person,
                institution,
                name: String::new(),
                sections: vec![],
                disclosures: vec![],
                sent: false,
                correction: text,
                errors: crate::errors::messages_of(&e),
                reminders: true,
                email: String::new(),
            },
        )),
    }
}

/// 到期提醒: the person turns their own reminders on or off.
#[handler]
pub(crate) async fn change_reminders(
    req: &Request,
    Path((person, institution)): Path<(i64, i64)>,
    body: String,
) -> PageResult {
    let entry = entry_for(req, person, institution)?;
    let receive = crate::pages::Fields::parse(&body).get("receive") == "on";
    let outcome = state(req)
        .run(
            registry_core::ports::Actor::Assessor {
                person: entry.person,
                via: entry.institution,
            },
            &registry_core::usecases::ChangeOwnReminders {
                person: entry.person,
                receive,
            },
        )
        .await;
    match outcome {
        Ok(()) => Ok(redirect(&format!(
            "/self-service/{person}/{institution}/data#reminders"
        ))),
        Err(e) => Ok(crate::errors::message_page(
            layout(req),
            crate::errors::status_of(&e),
            "未能保存",
            &crate::errors::messages_of(&e).join("；"),
            Some((
                &format!("/self-service/{person}/{institution}/data"),
                "返回我的信息",
            )),
        )),
    }
}

//! The workspaces' lists through the API: registrations ending soon (the association's,
//! an institution's), the audit log (the audit administrator's), and the corrections a
//! person asks of an institution (PIPL 第四十六条: asked through the fill-in entry,
//! answered by the institution), with the person's own data as the register holds it. The
//! pages 即将到期, 操作日志, 更正申请 and 我的信息 show the same.

use poem::Request;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use registry_core::access::Work;
use registry_core::api_token::Scope;
use registry_core::date::format_date;
use registry_core::ids::InstitutionId;
use registry_core::read::dashboard::{ENDING_MONTHS, ending_window_end};
use registry_core::usecases::{ANSWER_MAX, AnswerCorrection, CORRECTION_MAX, RequestCorrection};

use super::self_service::open_entry;
use super::wire::{Created, Done};
use super::{ApiResult, Tag, administrator, association, institution, state};

/// A registration ending within the window.
#[derive(Object, Debug)]
struct EndingOut {
    person_id: i64,
    name: String,
    /// The institution (the association's list).
    institution: Option<String>,
    item: String,
    item_name: String,
    /// Its last valid day (YYYY-MM-DD).
    valid_until: String,
}

/// A page of registrations ending.
#[derive(Object, Debug)]
struct EndingPage {
    /// The last day of the window (YYYY-MM-DD).
    until: String,
    total: u64,
    registrations: Vec<EndingOut>,
}

/// An entry of the audit log, in words.
#[derive(Object, Debug)]
struct AuditOut {
    /// When, in China's time (YYYY-MM-DD HH:MM).
    at: String,
    /// Who, in words.
    actor: String,
    /// Who, as recorded (`institution:3:account`, `token:7@provider:2`).
    actor_code: String,
    /// What, in words, and its stable code.
    action: String,
    action_code: String,
    /// The change, field by field.
    changes: Vec<String>,
}

/// A page of the audit log.
#[derive(Object, Debug)]
struct AuditPage {
    total: u64,
    entries: Vec<AuditOut>,
}

/// A correction request.
#[derive(Object, Debug)]
struct CorrectionOut {
    id: i64,
    person_id: i64,
    name: String,
    /// What the person asked.
    text: String,
    /// When (China's time).
    asked_at: String,
    /// When it was answered, and the answer.
    answered_at: Option<String>,
    answer: Option<String>,
}

/// What a person asks to correct.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct CorrectionIn {
    /// What is wrong and what it should be, at most 500 characters.
    #[oai(validator(max_length = 500))]
    text: String,
}

/// An institution's answer.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct AnswerIn {
    /// What was done, at most 200 characters (may be empty).
    #[oai(validator(max_length = 200))]
    answer: String,
}

/// One line of a person's own data.
#[derive(Object, Debug)]
struct OwnDataLine {
    section: String,
    label: String,
    value: String,
}

/// A person's own data as the register holds it.
#[derive(Object, Debug)]
struct OwnDataOut {
    name: String,
    /// YYYY-MM-DD
    generated_on: String,
    data: Vec<OwnDataLine>,
    /// Who saw the full ID number, and when.
    full_id_seen_by: Vec<AuditOut>,
}

const _: () = assert!(CORRECTION_MAX == 500 && ANSWER_MAX == 200);

fn months(asked: Option<u32>) -> u32 {
    asked.filter(|m| ENDING_MONTHS.contains(m)).unwrap_or(3)
}

fn audit_out(row: crate::audit_words::AuditRow, code: &str) -> AuditOut {
    AuditOut {
        at: row.at,
        actor: row.actor,
        actor_code: code.to_owned(),
        action: row.action,
        action_code: row.code,
        changes: row.changes,
    }
}

/// The operations of the workspaces' lists.
#[derive(Default)]
pub(crate) struct ListsApi;

#[OpenApi]
impl ListsApi {
    /// 即将到期 (the association): registrations ending within `months` (1, 3, 6 or 12;
    /// default 3), soonest first, across every institution.
    #[oai(
        path = "/association/expiring",
        method = "get",
        tag = "Tag::Association"
    )]
    async fn association_expiring(
        &self,
        req: &Request,
        months: Query<Option<u32>>,
        offset: Query<Option<u64>>,
        /// At most 200 (default 50).
        limit: Query<Option<u64>>,
    ) -> ApiResult<Json<EndingPage>> {
        association(req)?;
        let state = state(req)?;
        let today = state.today();
        let until = ending_window_end(today, self::months(months.0));
        let (rows, total) = state
            .store
            .expiring_everywhere(
                today,
                until,
                offset.0.unwrap_or(0),
                limit.0.unwrap_or(50).clamp(1, 200),
            )
            .await?;
        Ok(Json(EndingPage {
            until: format_date(until),
            total,
            registrations: rows
                .into_iter()
                .map(|(e, institution)| EndingOut {
                    person_id: e.person.get(),
                    name: e.name,
                    institution: Some(institution),
                    item_name: state.catalogue.name_of(&e.item).to_owned(),
                    item: e.item.as_str().to_owned(),
                    valid_until: format_date(e.valid_until),
                })
                .collect(),
        }))
    }

    /// 即将到期 (an institution): its registrations ending within `months` (1, 3, 6 or
    /// 12; default 3), soonest first.
    #[oai(
        path = "/institution/expiring",
        method = "get",
        tag = "Tag::Institution"
    )]
    async fn institution_expiring(
        &self,
        req: &Request,
        months: Query<Option<u32>>,
    ) -> ApiResult<Json<EndingPage>> {
        let (institution, _) = institution(req, Scope::InstitutionRead)?;
        let state = state(req)?;
        let today = state.today();
        let until = ending_window_end(today, self::months(months.0));
        let rows = state.store.expiring(institution, today, until).await?;
        Ok(Json(EndingPage {
            until: format_date(until),
            total: rows.len() as u64,
            registrations: rows
                .into_iter()
                .map(|e| EndingOut {
                    person_id: e.person.get(),
                    name: e.name,
                    institution: None,
                    item_name: state.catalogue.name_of(&e.item).to_owned(),
                    item: e.item.as_str().to_owned(),
                    valid_until: format_date(e.valid_until),
                })
                .collect(),
        }))
    }

    /// 操作日志 (the audit administrator): newest first, optionally of one kind of record
    /// (`kind`: `holding`, `person`, `token`, …) or one action (`holding.register`).
    #[oai(path = "/association/audit", method = "get", tag = "Tag::Association")]
    async fn audit(
        &self,
        req: &Request,
        /// A kind of record or an action's code, at most 40 characters.
        #[oai(validator(max_length = 40))]
        kind: Query<Option<String>>,
        offset: Query<Option<u64>>,
        /// At most 500 (default 100).
        limit: Query<Option<u64>>,
    ) -> ApiResult<Json<AuditPage>> {
        administrator(req, Work::AuditTrail)?;
        let state = state(req)?;
        let filter: Option<String> = kind
            .0
            .map(|k| k.trim().chars().take(40).collect::<String>())
            .filter(|k| !k.is_empty())
            .map(|k| if k.contains('.') { k } else { format!("{k}.") });
        let names = crate::audit_words::institution_names(state).await?;
        let (entries, total) = state
            .store
            .audit_page(
                filter.as_deref(),
                offset.0.unwrap_or(0),
                limit.0.unwrap_or(100).clamp(1, 500),
            )
            .await?;
        Ok(Json(AuditPage {
            total,
            entries: entries
                .iter()
                .map(|e| {
                    audit_out(
                        crate::audit_words::audit_row(e, &state.catalogue, &names),
                        &e.actor,
                    )
                })
                .collect(),
        }))
    }

    /// 更正申请 (an institution): what its people asked to correct, open ones first.
    #[oai(
        path = "/institution/corrections",
        method = "get",
        tag = "Tag::Institution"
    )]
    async fn corrections(&self, req: &Request) -> ApiResult<Json<Vec<CorrectionOut>>> {
        let (institution, _) = institution(req, Scope::InstitutionRead)?;
        let state = state(req)?;
        let time = crate::audit_words::china_time;
        Ok(Json(
            state
                .store
                .corrections(institution)
                .await?
                .into_iter()
                .map(|c| CorrectionOut {
                    id: c.id,
                    person_id: c.person.get(),
                    name: c.name,
                    text: c.text,
                    asked_at: time(c.created_at),
                    answered_at: c.answered.as_ref().map(|(at, _)| time(*at)),
                    answer: c.answered.map(|(_, a)| a),
                })
                .collect(),
        ))
    }

    /// Answers a correction request of the institution's queue (audited); another's is
    /// not found.
    #[oai(
        path = "/institution/corrections/:id/answer",
        method = "post",
        tag = "Tag::Institution"
    )]
    async fn answer(&self, req: &Request, id: Path<i64>, body: Json<AnswerIn>) -> ApiResult<Done> {
        let (institution, actor) = institution(req, Scope::InstitutionWrite)?;
        let state = state(req)?;
        state
            .run(
                actor,
                &AnswerCorrection {
                    id: id.0,
                    institution,
                    answer: body.answer.clone(),
                },
            )
            .await?;
        Ok(Done::NoContent)
    }

    /// 我的信息 (the assessor, through their unlocked entry): everything the register holds
    /// about them, and who saw their full ID number.
    #[oai(
        path = "/self-service/:person/:institution/data",
        method = "get",
        tag = "Tag::SelfService"
    )]
    async fn own_data(
        &self,
        req: &Request,
        person: Path<i64>,
        institution: Path<i64>,
    ) -> ApiResult<Json<OwnDataOut>> {
        let entry = open_entry(req, person.0, institution.0)?;
        let state = state(req)?;
        let found = {
            let mut tx = state.store.begin_read().await?;
            registry_core::read::record::PersonRecord::load(&mut tx, entry.person).await?
        };
        let Some(record) = found else {
            return Err(super::ApiError::NotFound(super::error_body(
                "not_found.person",
                "未找到该人员",
            )));
        };
        let names = crate::audit_words::institution_names(state).await?;
        let by_id: std::collections::BTreeMap<InstitutionId, String> = names
            .iter()
            .map(|(id, name)| (InstitutionId::new(*id), name.clone()))
            .collect();
        let rows = registry_core::read::own_data::own_data(&record, &by_id, &state.catalogue);
        let theirs: Vec<InstitutionId> = record.holdings.iter().map(|h| h.institution).collect();
        let seen = state
            .store
            .disclosures_of(entry.person)
            .await?
            .iter()
            .filter(|e| {
                registry_core::read::own_data::tells_of_disclosure(
                    &e.action,
                    e.entity_id,
                    e.action == "person.disclose_id",
                    &theirs,
                )
            })
            .map(|e| {
                audit_out(
                    crate::audit_words::audit_row(e, &state.catalogue, &names),
                    "",
                )
            })
            .collect();
        Ok(Json(OwnDataOut {
            name: record.person.name.as_str().to_owned(),
            generated_on: format_date(state.today()),
            data: rows
                .into_iter()
                .map(|r| OwnDataLine {
                    section: r.section.to_owned(),
                    label: r.label.to_owned(),
                    value: r.value,
                })
                .collect(),
            full_id_seen_by: seen,
        }))
    }

    /// 申请更正 (the assessor, through their unlocked entry): asks the institution of the
    /// entry to correct something (audited); it appears in that institution's queue.
    #[oai(
        path = "/self-service/:person/:institution/corrections",
        method = "post",
        tag = "Tag::SelfService"
    )]
    async fn request_correction(
        &self,
        req: &Request,
        person: Path<i64>,
        institution: Path<i64>,
        body: Json<CorrectionIn>,
    ) -> ApiResult<Json<Created>> {
        let entry = open_entry(req, person.0, institution.0)?;
        let state = state(req)?;
        let id = state
            .run(
                registry_core::ports::Actor::Assessor {
                    person: entry.person,
                    via: entry.institution,
                },
                &RequestCorrection {
                    person: entry.person,
                    institution: entry.institution,
                    text: body.text.clone(),
                },
            )
            .await?;
        Ok(Json(Created { id }))
    }
}

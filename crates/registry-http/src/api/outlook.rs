//! A person's outlook and a cycle's 换证, as the pages show them: for each item what holds
//! today and the next step with every reason it is blocked (the core's `person_outlook`),
//! for the association (every item) and an institution (the items it holds); the preview
//! of every certificate that ends with a cycle and the renewal of those that can be renewed
//! (`registry_batch::renewals`).

use poem::Request;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use registry_batch::Silent;
use registry_batch::renewals::{DueRenewal, preview, renew_cycle};
use registry_core::api_token::Scope;
use registry_core::cycle::{Cycles, RegistrationCycle};
use registry_core::ids::{CycleId, InstitutionId, PersonId};
use registry_core::ports::{Actor, RegisterTx};
use registry_core::read::outlook::{ItemOutlook, PersonOutlook, person_outlook};
use registry_core::read::record::PersonRecord;
use registry_core::registration::Reference;

use super::{
    ApiError, ApiResult, Tag, ViolationBody, association, error_body, institution, state,
    violation_body,
};
use crate::AppState;

/// A step or a state: a stable code and one Chinese sentence.
#[derive(Object, Debug, Clone)]
struct Said {
    code: String,
    message: String,
}

/// One item of a person's outlook.
#[derive(Object, Debug, Clone)]
struct ItemOutlookOut {
    item: String,
    item_name: String,
    /// The holding's state today (`registered`, …), none when no institution holds it.
    state: Option<String>,
    /// The last day of its current (or last) registration.
    valid_until: Option<String>,
    /// Whether the institution holding it can register it today.
    registrable: bool,
    /// The next step: `register`, `wait`, `renew_certificate`, `complete_details`,
    /// `employ` or `blocked`, with its sentence.
    next_step: Said,
    /// Why the next step cannot be taken now.
    problems: Vec<ViolationBody>,
    /// 换证 for the next cycle: `renewed`, `renewable`, `blocked` or `unavailable`.
    renewal: Said,
    /// Why the item would be left off at 换证.
    renewal_reasons: Vec<ViolationBody>,
}

/// A person's outlook.
#[derive(Object, Debug, Clone)]
struct OutlookOut {
    person_id: i64,
    /// The cycle in force today.
    cycle: Option<String>,
    /// Continuing-education hours this cycle.
    hours: Option<String>,
    /// Hours the cycle requires (of a qualification older than the cycle).
    hours_required: Option<String>,
    items: Vec<ItemOutlookOut>,
}

fn item_out(state: &AppState, item: &ItemOutlook, today: time::Date) -> ItemOutlookOut {
    ItemOutlookOut {
        item: item.item.as_str().to_owned(),
        item_name: state.catalogue.name_of(&item.item).to_owned(),
        state: item.held.map(|h| h.state.code().to_owned()),
        valid_until: item
            .held
            .and_then(|h| h.valid_until)
            .map(registry_core::date::format_date),
        registrable: item.registrable(),
        next_step: Said {
            code: item.next.code().to_owned(),
            message: item.describe(&state.catalogue, today),
        },
        problems: item.problems().iter().map(violation_body).collect(),
        renewal: Said {
            code: item.renewal.code().to_owned(),
            message: item.renewal.describe(today),
        },
        renewal_reasons: item.renewal.reasons().iter().map(violation_body).collect(),
    }
}

fn outlook_out(
    state: &AppState,
    person: PersonId,
    outlook: &PersonOutlook,
    items: Vec<&ItemOutlook>,
    today: time::Date,
) -> OutlookOut {
    let hours = |h: Option<rust_decimal::Decimal>| h.map(registry_core::education::format_hours);
    OutlookOut {
        person_id: person.get(),
        cycle: outlook.cycle.clone(),
        hours: hours(outlook.hours),
        hours_required: hours(outlook.required),
        items: items.iter().map(|i| item_out(state, i, today)).collect(),
    }
}

/// The person's record and the cycles, or 404.
async fn load(state: &AppState, person: PersonId) -> ApiResult<(PersonRecord, Cycles)> {
    let mut tx = state.store.begin_read().await?;
    let record = PersonRecord::load(&mut tx, person)
        .await?
        .ok_or_else(|| ApiError::NotFound(error_body("not_found.person", "未找到该人员")))?;
    Ok((record, tx.cycles().await?))
}

/// One certificate of a cycle's 换证.
#[derive(Object, Debug, Clone)]
struct DueRenewalOut {
    person_id: i64,
    name: String,
    masked_id: String,
    registration_number: Option<String>,
    /// Whether it can be renewed today.
    eligible: bool,
    /// The items the new certificate would list.
    items: Vec<String>,
    /// The items left off, with why.
    dropped: Vec<DroppedOut>,
    /// Why it cannot be renewed today.
    reasons: Vec<ViolationBody>,
}

/// An item left off at 换证.
#[derive(Object, Debug, Clone)]
struct DroppedOut {
    item: String,
    reasons: Vec<ViolationBody>,
}

/// The certificates that end with a cycle.
#[derive(Object, Debug, Clone)]
struct RenewalsOut {
    cycle_id: i64,
    cycle: String,
    /// How many certificates end with the cycle (at most 1,000 are listed).
    total: u64,
    eligible: u64,
    rows: Vec<DueRenewalOut>,
}

/// Which cycle's certificates to renew.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct RenewIn {
    cycle: i64,
}

/// What renewing a cycle did for one person.
#[derive(Object, Debug, Clone)]
struct RenewedOut {
    person_id: i64,
    name: String,
    renewed: bool,
    /// The items on the new certificate.
    items: Vec<String>,
    /// The items left off.
    dropped: Vec<String>,
    /// The new certificate's last day.
    valid_until: Option<String>,
    /// Why it was not renewed.
    reasons: Vec<ViolationBody>,
}

/// What one person's 换证 made.
#[derive(Object, Debug)]
struct CertificateRenewedOut {
    /// The new certificate (its edition), to print and mail.
    document_id: i64,
    /// The items it lists.
    items: Vec<String>,
    /// The items left off (no course of the cycle covered them).
    dropped: Vec<String>,
    /// Its last day.
    valid_until: String,
}

/// The report of a cycle's 换证.
#[derive(Object, Debug, Clone)]
struct RenewReportOut {
    renewed: u64,
    not_renewed: u64,
    rows: Vec<RenewedOut>,
}

const SHOWN: usize = 1000;

fn due_cycle(
    cycles: &Cycles,
    asked: Option<i64>,
    today: time::Date,
) -> ApiResult<RegistrationCycle> {
    match asked {
        Some(id) => cycles.get(CycleId::new(id)),
        None => cycles
            .at(today)
            .or_else(|| cycles.as_slice().iter().find(|c| c.end() >= today)),
    }
    .cloned()
    .ok_or_else(|| ApiError::NotFound(error_body("not_found.cycle", "未找到该注册周期")))
}

fn due_out(row: &DueRenewal, today: time::Date) -> DueRenewalOut {
    let (items, dropped) = match &row.plan {
        Ok(plan) => (
            plan.items.iter().map(|i| i.as_str().to_owned()).collect(),
            plan.dropped
                .iter()
                .map(|(item, reasons)| DroppedOut {
                    item: item.as_str().to_owned(),
                    reasons: reasons.iter().map(violation_body).collect(),
                })
                .collect(),
        ),
        Err(_) => (vec![], vec![]),
    };
    DueRenewalOut {
        person_id: row.person.get(),
        name: row.name.as_str().to_owned(),
        masked_id: row.masked_id.clone(),
        registration_number: row.number.map(|n| n.to_string()),
        eligible: row.eligible(today),
        items,
        dropped,
        reasons: row.reasons(today).iter().map(violation_body).collect(),
    }
}

async fn renewals(
    state: &AppState,
    actor: &Actor,
    asked: Option<i64>,
    employed_by: Option<InstitutionId>,
) -> ApiResult<RenewalsOut> {
    let today = state.today();
    let cycles = state.store.begin_read().await?.cycles().await?;
    let cycle = due_cycle(&cycles, asked, today)?;
    let calendar = state.calendar();
    let (rows, total) = preview(&state.batch(actor, &calendar), &cycle, employed_by, SHOWN).await?;
    let rows: Vec<DueRenewalOut> = rows.iter().map(|r| due_out(r, today)).collect();
    Ok(RenewalsOut {
        cycle_id: cycle.id().get(),
        cycle: cycle.name().to_owned(),
        total: total as u64,
        eligible: rows.iter().filter(|r| r.eligible).count() as u64,
        rows,
    })
}

#[derive(Default)]
pub(crate) struct OutlookApi;

#[OpenApi]
impl OutlookApi {
    /// A person's outlook, every item: what holds today and the next step with every
    /// reason it is blocked, and 换证 for the next cycle.
    #[oai(
        path = "/association/people/:id/outlook",
        method = "get",
        tag = "Tag::Association"
    )]
    async fn association_outlook(
        &self,
        req: &Request,
        id: Path<i64>,
    ) -> ApiResult<Json<OutlookOut>> {
        association(req)?;
        let state = state(req)?;
        let person = PersonId::new(id.0);
        let (record, cycles) = load(state, person).await?;
        let reference = Reference {
            catalogue: &state.catalogue,
            cycles: &cycles,
        };
        let today = state.today();
        let outlook = person_outlook(&record, reference, today);
        let items = outlook.items.iter().collect();
        Ok(Json(outlook_out(state, person, &outlook, items, today)))
    }

    /// The outlook of a person of the institution, for the items it holds.
    #[oai(
        path = "/institution/people/:id/outlook",
        method = "get",
        tag = "Tag::Institution"
    )]
    async fn institution_outlook(
        &self,
        req: &Request,
        id: Path<i64>,
    ) -> ApiResult<Json<OutlookOut>> {
        let (institution, _) = institution(req, Scope::InstitutionRead)?;
        let state = state(req)?;
        let person = PersonId::new(id.0);
        let (record, cycles) = load(state, person).await?;
        let reference = Reference {
            catalogue: &state.catalogue,
            cycles: &cycles,
        };
        let today = state.today();
        let outlook = person_outlook(&record, reference, today);
        let items: Vec<&ItemOutlook> = outlook.held_by(institution).collect();
        if items.is_empty() {
            return Err(ApiError::NotFound(error_body(
                "not_found.person",
                "未找到该人员",
            )));
        }
        Ok(Json(outlook_out(state, person, &outlook, items, today)))
    }

    /// 换证: the certificates that end with a cycle (default: the cycle in force), who can
    /// be renewed today and who cannot, and why.
    #[oai(
        path = "/association/renewals",
        method = "get",
        tag = "Tag::Association"
    )]
    async fn association_renewals(
        &self,
        req: &Request,
        cycle: Query<Option<i64>>,
    ) -> ApiResult<Json<RenewalsOut>> {
        let actor = association(req)?;
        let state = state(req)?;
        Ok(Json(renewals(state, &actor, cycle.0, None).await?))
    }

    /// 换证: renews every certificate of the cycle that can be renewed today, one person at
    /// a time; the report says who was renewed and who was not, and why.
    #[oai(
        path = "/association/renewals",
        method = "post",
        tag = "Tag::Association"
    )]
    async fn association_renew(
        &self,
        req: &Request,
        body: Json<RenewIn>,
    ) -> ApiResult<Json<RenewReportOut>> {
        let actor = association(req)?;
        let state = state(req)?;
        let cycles = state.store.begin_read().await?.cycles().await?;
        let cycle = due_cycle(&cycles, Some(body.0.cycle), state.today())?;
        let calendar = state.calendar();
        let done = renew_cycle(&state.batch(&actor, &calendar), &cycle, &mut Silent).await?;
        let codes = |items: &[registry_core::review_item::ReviewItemCode]| {
            items.iter().map(|i| i.as_str().to_owned()).collect()
        };
        let rows: Vec<RenewedOut> = done
            .iter()
            .map(|d| match &d.outcome {
                Ok(r) => RenewedOut {
                    person_id: d.person.get(),
                    name: d.name.as_str().to_owned(),
                    renewed: true,
                    items: codes(&r.items),
                    dropped: codes(&r.dropped),
                    valid_until: Some(registry_core::date::format_date(r.valid_until)),
                    reasons: vec![],
                },
                Err(e) => RenewedOut {
                    person_id: d.person.get(),
                    name: d.name.as_str().to_owned(),
                    renewed: false,
                    items: vec![],
                    dropped: vec![],
                    valid_until: None,
                    reasons: match e {
                        registry_core::usecases::UseCaseError::Rejected(v) => {
                            v.as_slice().iter().map(violation_body).collect()
                        }
                        other => vec![ViolationBody {
                            code: other.code(),
                            message: other.to_string(),
                            field: None,
                        }],
                    },
                },
            })
            .collect();
        let renewed = rows.iter().filter(|r| r.renewed).count() as u64;
        Ok(Json(RenewReportOut {
            renewed,
            not_renewed: rows.len() as u64 - renewed,
            rows,
        }))
    }

    /// 换证 of one person (人员档案's 换证): a new certificate for the next cycle with the
    /// items whose continuing education covers them (422 with every reason otherwise);
    /// audited, and listed among the certificates to mail.
    #[oai(
        path = "/association/people/:id/certificate-renewal",
        method = "post",
        tag = "Tag::Association"
    )]
    async fn association_renew_one(
        &self,
        req: &Request,
        id: Path<i64>,
    ) -> ApiResult<Json<CertificateRenewedOut>> {
        let actor = association(req)?;
        let state = state(req)?;
        let renewed = state
            .run(
                actor,
                &registry_core::usecases::RenewCertificate {
                    person: PersonId::new(id.0),
                },
            )
            .await?;
        let codes = |items: &[registry_core::review_item::ReviewItemCode]| {
            items.iter().map(|i| i.as_str().to_owned()).collect()
        };
        Ok(Json(CertificateRenewedOut {
            document_id: renewed.document.get(),
            items: codes(&renewed.items),
            dropped: codes(&renewed.dropped),
            valid_until: registry_core::date::format_date(renewed.valid_until),
        }))
    }

    /// 换证预览: the institution's people whose certificates end with the cycle in force.
    #[oai(
        path = "/institution/renewals",
        method = "get",
        tag = "Tag::Institution"
    )]
    async fn institution_renewals(&self, req: &Request) -> ApiResult<Json<RenewalsOut>> {
        let (institution, actor) = institution(req, Scope::InstitutionRead)?;
        let state = state(req)?;
        Ok(Json(
            renewals(state, &actor, None, Some(institution)).await?,
        ))
    }
}

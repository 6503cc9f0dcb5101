//! The association's 人员档案 through the API: the list of everyone with a qualification
//! (or only those with a registration in force, or without), the search by name, whole ID
//! number or registration number (the ID number in a body, never an address), and a
//! person's file — their details, the items they passed, every holding with its state as of
//! today and every registration. The page 人员档案 shows the same (and discloses the full ID
//! number, audited); the API answers the masked one.

use poem::Request;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use registry_core::date::format_date;
use registry_core::ids::PersonId;
use registry_store::queries::PersonSummary;

use super::public::ByIn;
use super::self_service::DetailsBody;
use super::{ApiError, ApiResult, Tag, association, error_body, state};

/// A person of the register, as listed.
#[derive(Object, Debug)]
struct PersonSummaryOut {
    id: i64,
    name: String,
    /// The ID number, masked.
    masked_id: String,
    registration_number: Option<String>,
}

/// A page of people.
#[derive(Object, Debug)]
struct PeoplePageOut {
    /// How many there are in all.
    total: u64,
    people: Vec<PersonSummaryOut>,
}

/// A search of the register's people.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct PeopleSearchIn {
    /// What `q` is.
    by: ByIn,
    /// The name, the whole ID number or the registration number (at most 30 characters).
    #[oai(write_only, validator(max_length = 30))]
    q: String,
}

/// An item passed.
#[derive(Object, Debug)]
struct QualificationOut {
    item: String,
    item_name: String,
    /// 考核日期
    exam_date: String,
    /// 合格名单公布日期
    published_on: String,
}

/// A holding of an item at an institution, active or released.
#[derive(Object, Debug)]
struct HoldingOut {
    item: String,
    institution_id: i64,
    institution: String,
    /// The state as of today: invited, filling, awaiting_registration, registered,
    /// expired or released.
    state: String,
    state_label: String,
    /// Employed since.
    since: String,
    /// The last day of its latest registration, if it was ever registered (for an expired or
    /// released holding: the day it ran to).
    valid_until: Option<String>,
    /// The day it was released, and why.
    released_on: Option<String>,
    release_reason: Option<String>,
}

/// A registration, as made.
#[derive(Object, Debug)]
struct RegistrationOut {
    item: String,
    institution_id: i64,
    registered_on: String,
    valid_from: String,
    valid_until: String,
}

/// A person's file.
#[derive(Object, Debug)]
struct PersonFileOut {
    id: i64,
    name: String,
    /// The ID number, masked (the page 人员档案 shows it whole, and records that it did).
    masked_id: String,
    registration_number: Option<String>,
    /// What they filled in.
    details: DetailsBody,
    qualifications: Vec<QualificationOut>,
    holdings: Vec<HoldingOut>,
    registrations: Vec<RegistrationOut>,
}

fn summary_out(p: PersonSummary) -> PersonSummaryOut {
    PersonSummaryOut {
        id: p.person.get(),
        name: p.name,
        masked_id: p.masked_id,
        registration_number: p.registration_number.map(|n| n.to_string()),
    }
}

/// The association's people operations (tag 促进会).
#[derive(Default)]
pub(crate) struct PeopleApi;

#[OpenApi]
impl PeopleApi {
    /// 人员档案: everyone with a qualification, in the pinyin order of their names.
    #[oai(path = "/association/people", method = "get", tag = "Tag::Association")]
    async fn people(
        &self,
        req: &Request,
        /// `true`: only those with a registration in force today; `false`: only those
        /// without; absent: everyone.
        registered: Query<Option<bool>>,
        offset: Query<Option<u64>>,
        /// At most 100 (default 20).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u64>>,
    ) -> ApiResult<Json<PeoplePageOut>> {
        association(req)?;
        let state = state(req)?;
        let (people, total) = state
            .store
            .people_page(
                registered.0,
                state.today(),
                offset.0.unwrap_or(0),
                limit.0.unwrap_or(20),
            )
            .await?;
        Ok(Json(PeoplePageOut {
            total,
            people: people.into_iter().map(summary_out).collect(),
        }))
    }

    /// 人员档案 search: anyone of the register (registered or not) by exact name, whole ID
    /// number or registration number, at most 50.
    #[oai(
        path = "/association/people/search",
        method = "post",
        tag = "Tag::Association"
    )]
    async fn search(
        &self,
        req: &Request,
        body: Json<PeopleSearchIn>,
    ) -> ApiResult<Json<Vec<PersonSummaryOut>>> {
        association(req)?;
        let state = state(req)?;
        let query = crate::queries::people_query(body.by.code(), &body.q, state.today()).map_err(
            |refused| ApiError::Unprocessable(error_body(refused.code, refused.message)),
        )?;
        let found = state.store.find_people(&query, 50).await?;
        Ok(Json(found.into_iter().map(summary_out).collect()))
    }

    /// A person's file: details, the items passed, every holding with its state as of
    /// today, every registration.
    #[oai(
        path = "/association/people/:id",
        method = "get",
        tag = "Tag::Association"
    )]
    async fn file(&self, req: &Request, id: Path<i64>) -> ApiResult<Json<PersonFileOut>> {
        association(req)?;
        let state = state(req)?;
        let history = state
            .store
            .person_history(PersonId::new(id.0))
            .await?
            .ok_or_else(|| ApiError::NotFound(error_body("not_found.person", "未找到该人员")))?;
        let today = state.today();
        let person = &history.person;
        Ok(Json(PersonFileOut {
            id: person.id.get(),
            name: person.name.as_str().to_owned(),
            masked_id: person.resident_id.masked(),
            registration_number: person.registration_number.map(|n| n.to_string()),
            details: person.details.to_form().into(),
            qualifications: history
                .qualifications
                .iter()
                .map(|q| QualificationOut {
                    item: q.item.as_str().to_owned(),
                    item_name: state.catalogue.name_of(&q.item).to_owned(),
                    exam_date: format_date(q.exam_date),
                    published_on: format_date(q.published_on),
                })
                .collect(),
            holdings: history
                .holdings
                .iter()
                .map(|(h, institution)| {
                    let now = h.state_on(today);
                    HoldingOut {
                        item: h.item.as_str().to_owned(),
                        institution_id: h.institution.get(),
                        institution: institution.clone(),
                        state: now.code().to_owned(),
                        state_label: now.label().to_owned(),
                        since: format_date(h.since),
                        valid_until: h.registration.as_ref().map(|r| format_date(r.valid_until)),
                        released_on: h.released_on.map(format_date),
                        release_reason: h.release_reason.as_ref().map(|r| r.as_str().to_owned()),
                    }
                })
                .collect(),
            registrations: history
                .registrations
                .iter()
                .map(|r| RegistrationOut {
                    item: r.item.as_str().to_owned(),
                    institution_id: r.institution.get(),
                    registered_on: format_date(r.period.registered_on),
                    valid_from: format_date(r.period.valid_from),
                    valid_until: format_date(r.period.valid_until),
                })
                .collect(),
        }))
    }
}

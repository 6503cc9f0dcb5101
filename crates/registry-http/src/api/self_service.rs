//! The assessor's self-service (评审人员信息填报): finding one's entry by name and
//! institution, opening it with the fill-in password (`crate::auth::try_unlock`), reading
//! and saving one's own details. Nothing else can be sent: unknown fields are refused.

use poem::Request;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use registry_core::ids::{InstitutionId, PersonId};
use registry_core::person::DetailsForm;
use registry_core::ports::{Actor, RegisterTx};
use registry_core::read::employment::held_at;
use registry_core::usecases::{SaveDetails, UseCaseError};

use super::wire::{CookieDone, ItemOut, item_out};
use super::{ApiError, ApiResult, Tag, cookie_header, error_body, public_rate_limit, state};
use crate::AppState;
use crate::auth::{Refusal, UnlockOutcome, try_unlock};
use crate::client::client_address;
use crate::web::{ENTRY_COOKIE, Entry};

#[derive(Object, Debug)]
struct SelfServiceMatchOut {
    person_id: i64,
    name: String,
    institution_id: i64,
    institution_name: String,
    items: Vec<ItemOut>,
}

/// An active institution, as the assessor picks it.
#[derive(Object, Debug)]
struct InstitutionNameOut {
    id: i64,
    name: String,
}

#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct UnlockIn {
    #[oai(write_only, validator(max_length = 64))]
    password: String,
}

/// The assessor's own details. Nothing else (state, items, institution, registration)
/// can be sent: unknown fields are refused.
#[derive(Object, Debug, Clone, Default)]
#[oai(deny_unknown_fields)]
pub(super) struct DetailsBody {
    /// 男 or 女: the ID number's, always (answered; when sent, it must agree with the ID
    /// number, `details.sex_mismatch`). Need not be sent.
    #[oai(default, validator(pattern = "^(男|女)?$"))]
    sex: String,
    #[oai(default, validator(max_length = 20))]
    ethnicity: String,
    #[oai(default, validator(max_length = 20))]
    education: String,
    #[oai(default, validator(max_length = 60))]
    school: String,
    #[oai(default, validator(max_length = 60))]
    major: String,
    #[oai(default, validator(max_length = 30))]
    title: String,
    #[oai(default, validator(max_length = 100))]
    work_unit: String,
    #[oai(default, validator(max_length = 30))]
    position: String,
    #[oai(default, validator(max_length = 20))]
    mobile: String,
    #[oai(default, validator(max_length = 100))]
    email: String,
    #[oai(default, validator(max_length = 20))]
    province: String,
    #[oai(default, validator(max_length = 20))]
    city: String,
    #[oai(default, validator(max_length = 20))]
    district: String,
    #[oai(default, validator(max_length = 100))]
    street: String,
    #[oai(default, validator(max_length = 6))]
    postcode: String,
}

impl From<DetailsForm> for DetailsBody {
    fn from(f: DetailsForm) -> Self {
        DetailsBody {
            sex: f.sex,
            ethnicity: f.ethnicity,
            education: f.education,
            school: f.school,
            major: f.major,
            title: f.title,
            work_unit: f.work_unit,
            position: f.position,
            mobile: f.mobile,
            email: f.email,
            province: f.province,
            city: f.city,
            district: f.district,
            street: f.street,
            postcode: f.postcode,
        }
    }
}

impl From<DetailsBody> for DetailsForm {
    fn from(b: DetailsBody) -> Self {
        DetailsForm {
            sex: b.sex,
            ethnicity: b.ethnicity,
            education: b.education,
            school: b.school,
            major: b.major,
            title: b.title,
            work_unit: b.work_unit,
            position: b.position,
            mobile: b.mobile,
            email: b.email,
            province: b.province,
            city: b.city,
            district: b.district,
            street: b.street,
            postcode: b.postcode,
        }
    }
}

#[derive(Object, Debug)]
struct DetailsOut {
    name: String,
    masked_id: String,
    institution_name: String,
    /// The version to send back with a change.
    version: i64,
    details: DetailsBody,
    /// Required fields still empty.
    missing: Vec<String>,
    items: Vec<ItemOut>,
}

#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct DetailsUpdate {
    /// The version read.
    version: i64,
    details: DetailsBody,
}

#[derive(Object, Debug)]
struct DetailsSavedOut {
    version: i64,
    missing: Vec<String>,
    message: String,
    items: Vec<ItemOut>,
}

/// The self-service operations (tag 评审人员信息填报).
#[derive(Default)]
pub(crate) struct SelfServiceApi;

#[OpenApi]
impl SelfServiceApi {
    /// The active institutions (their names are public): the list the assessor picks
    /// their institution from.
    #[oai(
        path = "/self-service/institutions",
        method = "get",
        tag = "Tag::SelfService"
    )]
    async fn self_service_institutions(
        &self,
        req: &Request,
    ) -> ApiResult<Json<Vec<InstitutionNameOut>>> {
        let state = state(req)?;
        Ok(Json(
            state
                .store
                .active_institution_names()
                .await?
                .into_iter()
                .map(|(id, name)| InstitutionNameOut { id: id.get(), name })
                .collect(),
        ))
    }

    /// 评审人员信息填报 (fig. 1–3): people by exact name employed by the institution that
    /// `institution` names: its whole name (as listed by `/self-service/institutions`), or
    /// a part of at least 4 characters that no other active institution's name contains.
    /// Anything else is refused (422, `self_service.institution_unidentified`).
    #[oai(
        path = "/self-service/search",
        method = "get",
        tag = "Tag::SelfService"
    )]
    async fn self_service_search(
        &self,
        req: &Request,
        /// 姓名, at most 30 characters.
        #[oai(validator(max_length = 30))]
        name: Query<String>,
        /// 所在机构 (its name), at most 100 characters.
        #[oai(validator(max_length = 100))]
        institution: Query<String>,
    ) -> ApiResult<Json<Vec<SelfServiceMatchOut>>> {
        let state = state(req)?;
        // The same per-visitor limit as the page's and the public search's.
        public_rate_limit(req, state)?;
        let found = state
            .self_service_search(&name.0, &institution.0, 20)
            .await?
            .map_err(|v| ApiError::from(UseCaseError::Rejected(v.into())))?;
        Ok(Json(
            found
                .into_iter()
                .map(|m| SelfServiceMatchOut {
                    person_id: m.person.get(),
                    name: m.name,
                    institution_id: m.institution.get(),
                    institution_name: m.institution_name,
                    items: m
                        .items
                        .iter()
                        .map(|(c, s)| item_out(state, c, *s, None))
                        .collect(),
                })
                .collect(),
        ))
    }

    /// 人员基本信息 (fig. 4–5): opens the entry with the fill-in password. A wrong
    /// password, or an entry that does not exist, answers 401; too many from this address,
    /// 429 `fill_in.locked`; too many at the entry from every address (until the window
    /// ends or the institution unlocks it), 429 `fill_in.entry_locked`.
    #[oai(
        path = "/self-service/:person/:institution/unlock",
        method = "post",
        tag = "Tag::SelfService"
    )]
    async fn unlock(
        &self,
        req: &Request,
        person: Path<i64>,
        institution: Path<i64>,
        body: Json<UnlockIn>,
    ) -> ApiResult<CookieDone> {
        let state = state(req)?;
        let client = client_address(req, state.config.trusted_proxy);
        let outcome = try_unlock(
            state,
            &client,
            PersonId::new(person.0),
            InstitutionId::new(institution.0),
            body.password.clone(),
        )
        .await?;
        match outcome {
            UnlockOutcome::Opened(token) => Ok(CookieDone::NoContent(cookie_header(
                state,
                ENTRY_COOKIE,
                &token,
                false,
            ))),
            UnlockOutcome::Refused(r @ Refusal::Wrong) => {
                Err(ApiError::Unauthorized(error_body(r.code(), r.message())))
            }
            UnlockOutcome::Refused(r) => Err(ApiError::TooMany(error_body(r.code(), r.message()))),
        }
    }

    /// The assessor's own details (after unlocking).
    #[oai(
        path = "/self-service/:person/:institution/details",
        method = "get",
        tag = "Tag::SelfService"
    )]
    async fn details(
        &self,
        req: &Request,
        person: Path<i64>,
        institution: Path<i64>,
    ) -> ApiResult<Json<DetailsOut>> {
        let entry = open_entry(req, person.0, institution.0)?;
        let state = state(req)?;
        details_out(state, entry).await.map(Json)
    }

    /// 确定 (fig. 6): saves the assessor's own details. Only the details: a body with any
    /// other field (state, items, institution, registration) is refused.
    #[oai(
        path = "/self-service/:person/:institution/details",
        method = "put",
        tag = "Tag::SelfService"
    )]
    async fn save_details(
        &self,
        req: &Request,
        person: Path<i64>,
        institution: Path<i64>,
        body: Json<DetailsUpdate>,
    ) -> ApiResult<Json<DetailsSavedOut>> {
        let entry = open_entry(req, person.0, institution.0)?;
        let state = state(req)?;
        let saved = state
            .run(
                Actor::Assessor {
                    person: entry.person,
                    via: entry.institution,
                },
                &SaveDetails {
                    person: entry.person,
                    via: entry.institution,
                    form: body.0.details.clone().into(),
                    version: body.version,
                },
            )
            .await?;
        Ok(Json(DetailsSavedOut {
            version: saved.version,
            missing: saved.missing.iter().map(|f| f.code().to_owned()).collect(),
            message: saved.message(),
            items: saved
                .items
                .iter()
                .map(|(c, s)| item_out(state, c, *s, None))
                .collect(),
        }))
    }
}

/// The entry opened in this session, if it is the one of the address; 401 otherwise.
pub(super) fn open_entry(req: &Request, person: i64, institution: i64) -> ApiResult<Entry> {
    match req.data::<Entry>() {
        Some(entry) if entry.person.get() == person && entry.institution.get() == institution => {
            Ok(*entry)
        }
        _ => Err(ApiError::Unauthorized(error_body(
            "fill_in.locked_entry",
            "请先输入填报密码",
        ))),
    }
}

/// The assessor's details and the items the institution of the entry holds.
async fn details_out(state: &AppState, entry: Entry) -> ApiResult<DetailsOut> {
    let mut tx = state.store.begin_read().await?;
    let person = tx
        .person(entry.person)
        .await?
        .ok_or_else(|| ApiError::NotFound(error_body("not_found.person", "未找到该人员")))?;
    let institution = tx
        .institution(entry.institution)
        .await?
        .ok_or_else(|| ApiError::NotFound(error_body("not_found.institution", "未找到该机构")))?;
    let today = state.today();
    let holdings = tx.holdings_of(entry.person).await?;
    let items = held_at(&holdings, entry.institution)
        .map(|h| {
            item_out(
                state,
                &h.item,
                h.state_on(today),
                h.registration.as_ref().map(|r| r.valid_until),
            )
        })
        .collect();
    Ok(DetailsOut {
        name: person.name.as_str().to_owned(),
        masked_id: person.resident_id.masked(),
        institution_name: institution.details.name.as_str().to_owned(),
        version: person.version,
        details: person.details.to_form().into(),
        missing: person
            .details
            .missing()
            .iter()
            .map(|f| f.code().to_owned())
            .collect(),
        items,
    })
}

//! The institution's operations (鉴定评审机构): its people with the state of each item,
//! one person with whether each item can be registered and why not, employing, the
//! fill-in password and lifting its lockout, registering and releasing.
//!
//! The institution always comes from the session, never from the request; another
//! institution's person answers 404 exactly like one that does not exist.

use poem::Request;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};
use registry_core::api_token::Scope;
use registry_core::holding::{FillInPasswordHash, ItemState};
use registry_core::ids::PersonId;
use registry_core::person::labels;
use registry_core::ports::RegisterTx;
use registry_core::read::institution_view::institution_view;
use registry_core::read::record::PersonRecord;
use registry_core::registration::Reference;
use registry_core::resident_id::ResidentId;
use registry_core::usecases::{
    EmployItems, RegisterItems, ReleaseItem, SetFillInPassword, UndoRelease, UnlockFillInEntry,
};
use registry_store::queries::InstitutionPeopleQuery;

use super::wire::ItemCodeText;
use super::wire::{Done, ItemOut, Secret, item_out};
use super::{ApiError, ApiResult, Tag, error_body, institution, new_fill_in_secret, state};

#[derive(Object, Debug)]
struct PersonOut {
    id: i64,
    name: String,
    masked_id: String,
    registration_number: Option<String>,
    items: Vec<ItemOut>,
}

#[derive(Object, Debug)]
struct PeoplePage {
    total: u64,
    people: Vec<PersonOut>,
}

#[derive(Object, Debug)]
struct ItemCheck {
    #[oai(flatten)]
    item: ItemOut,
    registrable: bool,
    problems: Vec<String>,
}

#[derive(Object, Debug)]
struct PersonDetail {
    id: i64,
    name: String,
    masked_id: String,
    registration_number: Option<String>,
    details_complete: bool,
    missing: String,
    items: Vec<ItemCheck>,
}

#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct EmployIn {
    person_id: i64,
    /// Review item codes (`RQ-ZZ`).
    #[oai(validator(max_items = 64))]
    items: Vec<ItemCodeText>,
}

#[derive(Object, Debug)]
struct Employed {
    new_employment: bool,
    /// The fill-in password, when the employment is new (shown once).
    fill_in_password: Option<String>,
    items: Vec<ItemOut>,
}

#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct ItemsIn {
    /// Review item codes (`RQ-ZZ`).
    #[oai(validator(max_items = 64))]
    items: Vec<ItemCodeText>,
}

#[derive(Object, Debug)]
struct RegisteredItem {
    code: String,
    valid_from: String,
    valid_until: String,
}

#[derive(Object, Debug)]
struct RegisteredOut {
    registration_number: String,
    items: Vec<RegisteredItem>,
}

#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct ReleaseIn {
    /// The review item's code (`RQ-ZZ`).
    item: ItemCodeText,
    /// 退回原因, at most 200 characters.
    #[oai(validator(max_length = 200))]
    reason: String,
}

#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct UndoReleaseIn {
    /// The item released today.
    item: ItemCodeText,
}

/// A state of an item: 待填报 (`invited`), 信息填报中 (`filling`), 等待注册
/// (`awaiting_registration`), 已注册 (`registered`), 已过期 (`expired`), 已退回
/// (`released`).
#[derive(Enum, Debug, Clone, Copy)]
#[oai(rename_all = "snake_case")]
enum ItemStateIn {
    /// 待填报
    Invited,
    /// 信息填报中
    Filling,
    /// 等待注册
    AwaitingRegistration,
    /// 已注册
    Registered,
    /// 已过期
    Expired,
    /// 已退回
    Released,
}

impl ItemStateIn {
    fn core(self) -> ItemState {
        match self {
            ItemStateIn::Invited => ItemState::Invited,
            ItemStateIn::Filling => ItemState::Filling,
            ItemStateIn::AwaitingRegistration => ItemState::AwaitingRegistration,
            ItemStateIn::Registered => ItemState::Registered,
            ItemStateIn::Expired => ItemState::Expired,
            ItemStateIn::Released => ItemState::Released,
        }
    }
}

/// A person to look up, by name and whole ID number.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct LookupIn {
    /// 姓名, at most 30 characters.
    #[oai(validator(max_length = 30))]
    name: String,
    /// 身份证号: 18 characters (or an old 15-digit number).
    #[oai(write_only, validator(pattern = "^([0-9]{17}[0-9Xx]|[0-9]{15})$"))]
    resident_id: String,
}

/// An item passed, and whether the institution may employ the person in it.
#[derive(Object, Debug)]
struct AddableOut {
    item: String,
    name: String,
    available: bool,
    /// Why not: employed here already, by another institution, or over the age limit.
    why_not: Option<String>,
}

/// A qualified person found.
#[derive(Object, Debug)]
struct FoundOut {
    person_id: i64,
    name: String,
    masked_id: String,
    items: Vec<AddableOut>,
}

/// The institution's operations (tag 鉴定评审机构).
#[derive(Default)]
pub(crate) struct InstitutionApi;

#[OpenApi]
impl InstitutionApi {
    /// 本机构人员: the institution's people with the state of each item.
    #[oai(path = "/institution/people", method = "get", tag = "Tag::Institution")]
    async fn institution_people(
        &self,
        req: &Request,
        /// Only people with an item in this state.
        state_filter: Query<Option<ItemStateIn>>,
        /// Only people of this name (at most 30 characters).
        #[oai(validator(max_length = 30))]
        name: Query<Option<String>>,
        offset: Query<Option<u64>>,
        limit: Query<Option<u64>>,
    ) -> ApiResult<Json<PeoplePage>> {
        let (institution, _) = institution(req, Scope::InstitutionRead)?;
        let state = state(req)?;
        let query = InstitutionPeopleQuery {
            state: state_filter.0.map(ItemStateIn::core),
            name: name.0,
            offset: offset.0.unwrap_or(0),
            limit: limit.0.unwrap_or(20),
        };
        let (people, total) = state
            .store
            .institution_people(institution, &query, state.today())
            .await?;
        Ok(Json(PeoplePage {
            total,
            people: people
                .into_iter()
                .map(|p| PersonOut {
                    id: p.person.get(),
                    name: p.name,
                    masked_id: p.masked_id,
                    registration_number: p.registration_number.map(|n| n.to_string()),
                    items: p
                        .items
                        .iter()
                        .map(|i| item_out(state, &i.item, i.state, i.valid_until))
                        .collect(),
                })
                .collect(),
        }))
    }

    /// A person of the institution: each item, whether it can be registered and why not.
    #[oai(
        path = "/institution/people/:id",
        method = "get",
        tag = "Tag::Institution"
    )]
    async fn institution_person(
        &self,
        req: &Request,
        id: Path<i64>,
    ) -> ApiResult<Json<PersonDetail>> {
        let (institution, _) = institution(req, Scope::InstitutionRead)?;
        let state = state(req)?;
        let person = PersonId::new(id.0);
        let today = state.today();
        let not_found = || ApiError::NotFound(error_body("not_found.person", "未找到该人员"));
        let (record, cycles) = {
            let mut tx = state.store.begin_read().await?;
            let record = PersonRecord::load(&mut tx, person)
                .await?
                .ok_or_else(not_found)?;
            (record, tx.cycles().await?)
        };
        let reference = Reference {
            catalogue: &state.catalogue,
            cycles: &cycles,
        };
        let view =
            institution_view(&record, reference, institution, today).ok_or_else(not_found)?;
        let details = &record.person;
        Ok(Json(PersonDetail {
            id: id.0,
            name: details.name.as_str().to_owned(),
            masked_id: details.resident_id.masked(),
            registration_number: details.registration_number.map(|n| n.to_string()),
            details_complete: view.missing.is_empty(),
            missing: labels(&view.missing),
            items: view
                .items
                .into_iter()
                .map(|held| ItemCheck {
                    item: item_out(state, &held.item, held.state, held.valid_until),
                    registrable: held.registrable,
                    problems: held.problems.iter().map(ToString::to_string).collect(),
                })
                .collect(),
        }))
    }

    /// 添加人员's look-up: a qualified person by name and whole ID number (in the body,
    /// never an address), with each item they passed and whether the institution may
    /// employ them in it (or why not); then `POST /institution/people` with their id.
    /// Nobody, or another name with that ID number: 404 `not_found.person`, one answer.
    /// Adding people is `institution.write`'s work, and so is its look-up.
    #[oai(
        path = "/institution/people/lookup",
        method = "post",
        tag = "Tag::Institution"
    )]
    async fn lookup(&self, req: &Request, body: Json<LookupIn>) -> ApiResult<Json<FoundOut>> {
        let (institution, _) = institution(req, Scope::InstitutionWrite)?;
        let state = state(req)?;
        // Refused as the searches refuse an ID number (`query.resident_id`).
        let id = ResidentId::parse(&body.resident_id, state.today())
            .map_err(|e| ApiError::Unprocessable(error_body("query.resident_id", e.to_string())))?;
        let found = crate::lookup::find_person(state, institution, &body.name, &id)
            .await?
            .ok_or_else(|| {
                ApiError::NotFound(error_body(
                    "not_found.person",
                    "未找到该人员：请核对姓名和身份证号，或确认其考核合格名单已由促进会录入",
                ))
            })?;
        Ok(Json(FoundOut {
            person_id: found.person.get(),
            name: found.name,
            masked_id: found.masked_id,
            items: found
                .items
                .into_iter()
                .map(|(item, may)| AddableOut {
                    name: state.catalogue.name_of(&item).to_owned(),
                    item: item.as_str().to_owned(),
                    available: may.is_ok(),
                    why_not: may.err(),
                })
                .collect(),
        }))
    }

    /// 添加人员 / 聘用: employs a qualified person's items that no institution holds. A new
    /// employment sets the fill-in password, returned once.
    #[oai(
        path = "/institution/people",
        method = "post",
        tag = "Tag::Institution"
    )]
    async fn employ(&self, req: &Request, body: Json<EmployIn>) -> ApiResult<Json<Employed>> {
        let (institution, actor) = institution(req, Scope::InstitutionWrite)?;
        let state = state(req)?;
        let (password, hash) = new_fill_in_secret().await?;
        let employed = state
            .run(
                actor,
                &EmployItems {
                    institution,
                    person: PersonId::new(body.person_id),
                    items: super::wire::item_codes(&body.items),
                    password: Some(FillInPasswordHash::new(hash)),
                },
            )
            .await?;
        Ok(Json(Employed {
            new_employment: employed.new_employment,
            fill_in_password: employed.new_employment.then_some(password),
            items: employed
                .items
                .iter()
                .map(|(c, s)| item_out(state, c, *s, None))
                .collect(),
        }))
    }

    /// 设置填报密码: generates a new fill-in password (returned once); the old one stops
    /// working at once.
    #[oai(
        path = "/institution/people/:id/password",
        method = "post",
        tag = "Tag::Institution"
    )]
    async fn reset_fill_in_password(
        &self,
        req: &Request,
        id: Path<i64>,
    ) -> ApiResult<Json<Secret>> {
        let (institution, actor) = institution(req, Scope::InstitutionWrite)?;
        let state = state(req)?;
        let (password, hash) = new_fill_in_secret().await?;
        let person = PersonId::new(id.0);
        state
            .run(
                actor,
                &SetFillInPassword {
                    institution,
                    person,
                    password: FillInPasswordHash::new(hash),
                },
            )
            .await?;
        Ok(Json(Secret { password }))
    }

    /// 解除填报锁定: forgets every counted attempt at the person's fill-in password, from
    /// every address, so that the person can try again at once (audited). A person the
    /// institution does not employ is not found.
    #[oai(
        path = "/institution/people/:id/unlock",
        method = "post",
        tag = "Tag::Institution"
    )]
    async fn unlock_fill_in_entry(&self, req: &Request, id: Path<i64>) -> ApiResult<Done> {
        let (institution, actor) = institution(req, Scope::InstitutionWrite)?;
        let state = state(req)?;
        state
            .run(
                actor,
                &UnlockFillInEntry {
                    institution,
                    person: PersonId::new(id.0),
                },
            )
            .await?;
        Ok(Done::NoContent)
    }

    /// 注册: registers items of a person, all or none, every violation listed.
    #[oai(
        path = "/institution/people/:id/registrations",
        method = "post",
        tag = "Tag::Institution"
    )]
    async fn register(
        &self,
        req: &Request,
        id: Path<i64>,
        body: Json<ItemsIn>,
    ) -> ApiResult<Json<RegisteredOut>> {
        let (institution, actor) = institution(req, Scope::InstitutionWrite)?;
        let state = state(req)?;
        let registered = state
            .run(
                actor,
                &RegisterItems {
                    institution,
                    person: PersonId::new(id.0),
                    items: super::wire::item_codes(&body.items),
                },
            )
            .await?;
        Ok(Json(RegisteredOut {
            registration_number: registered.number.to_string(),
            items: registered
                .items
                .iter()
                .map(|(code, p)| RegisteredItem {
                    code: code.as_str().to_owned(),
                    valid_from: registry_core::date::format_date(p.valid_from),
                    valid_until: registry_core::date::format_date(p.valid_until),
                })
                .collect(),
        }))
    }

    /// 退回人员: releases an item to the pool, with a reason.
    #[oai(
        path = "/institution/people/:id/releases",
        method = "post",
        tag = "Tag::Institution"
    )]
    async fn release(
        &self,
        req: &Request,
        id: Path<i64>,
        body: Json<ReleaseIn>,
    ) -> ApiResult<Done> {
        let (institution, actor) = institution(req, Scope::InstitutionWrite)?;
        let state = state(req)?;
        state
            .run(
                actor,
                &ReleaseItem {
                    institution,
                    person: PersonId::new(id.0),
                    item: body.item.to_string(),
                    reason: body.reason.clone(),
                },
            )
            .await?;
        Ok(Done::NoContent)
    }

    /// 撤销退回: takes back a release this institution made today, when nobody has hired
    /// the item since; answers the item in the state it returned to.
    #[oai(
        path = "/institution/people/:id/releases/undo",
        method = "post",
        tag = "Tag::Institution"
    )]
    async fn undo_release(
        &self,
        req: &Request,
        id: Path<i64>,
        body: Json<UndoReleaseIn>,
    ) -> ApiResult<Json<ItemOut>> {
        let (institution, actor) = institution(req, Scope::InstitutionWrite)?;
        let state = state(req)?;
        let (code, restored) = state
            .run(
                actor,
                &UndoRelease {
                    institution,
                    person: PersonId::new(id.0),
                    item: body.item.to_string(),
                },
            )
            .await?;
        Ok(Json(item_out(state, &code, restored, None)))
    }
}

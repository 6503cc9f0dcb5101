//! The public's operations (公示区): the search of registered people (by name or
//! registration number in the address, by ID number only in a body) and the pool
//! (无聘用单位人员), and 证件核验 of a document by its code. Never an ID number, phone or
//! address in an answer; every search and lookup counts against the visitor's limit.

use poem::Request;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};
use registry_core::education::format_hours;
use registry_core::ports::RegisterTx;
use registry_core::read::pool::pool_age_limit;
use registry_core::review_item::ReviewItemCode;
use registry_store::queries::PoolQuery;

use super::wire::ItemCodeText;
use super::{ApiError, ApiResult, Tag, error_body, public_rate_limit, state};

/// A public search: `by` is `name`, `id` or `number`; `q` what is searched.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct PublicSearchIn {
    /// What `q` is.
    by: ByIn,
    /// The name, the whole ID number or the registration number (at most 30 characters).
    #[oai(write_only, validator(max_length = 30))]
    q: String,
}

/// What a public search is by: 姓名 (`name`), 身份证号 (`id`, in a body only) or 注册号
/// (`number`).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub(super) enum ByIn {
    /// 姓名
    Name,
    /// 身份证号
    Id,
    /// 注册号
    Number,
}

impl ByIn {
    /// The kind's code, as the pages' search form sends it.
    pub(super) fn code(self) -> &'static str {
        match self {
            ByIn::Name => "name",
            ByIn::Id => "id",
            ByIn::Number => "number",
        }
    }
}

#[derive(Object, Debug)]
struct PublicItem {
    code: String,
    name: String,
    valid_until: String,
}

#[derive(Object, Debug)]
struct PublicInstitution {
    name: String,
    items: Vec<PublicItem>,
}

/// A registered person, as the public sees them: never an ID number, phone or address.
#[derive(Object, Debug)]
struct PublicPersonOut {
    name: String,
    registration_number: Option<String>,
    institutions: Vec<PublicInstitution>,
    cycle: Option<String>,
    hours_this_cycle: String,
    working_days: u32,
}

#[derive(Object, Debug)]
struct PoolEntryOut {
    person_id: i64,
    name: String,
    item: String,
    item_name: String,
    qualified_on: String,
}

/// Why a document is not valid today.
#[derive(Object, Debug)]
struct DocumentFindingOut {
    /// Stable: `not_issued`, `void`, `expired`, `item_released`, `item_expired`,
    /// `item_not_registered`, `not_qualified`.
    code: String,
    message: String,
}

/// An item a document lists, with its state today.
#[derive(Object, Debug)]
struct DocumentItemOut {
    code: String,
    name: String,
    valid: bool,
    valid_until: Option<String>,
}

/// A document as checked now: valid today or not and why, the items it lists. Never an ID
/// number, phone or address.
#[derive(Object, Debug)]
struct DocumentCheckOut {
    valid: bool,
    /// `certificate` or `card`.
    kind: String,
    kind_name: String,
    serial: String,
    name: String,
    registration_number: Option<String>,
    /// The institution a card is of.
    institution: Option<String>,
    valid_until: Option<String>,
    findings: Vec<DocumentFindingOut>,
    items: Vec<DocumentItemOut>,
    /// When it was checked (China Standard Time, RFC 3339).
    checked_at: String,
}

/// The public's operations (tag 公示区).
#[derive(Default)]
pub(crate) struct PublicApi;

#[OpenApi]
impl PublicApi {
    /// 证件核验 (public): a certificate or registration card by the verification code
    /// printed on it (10 letters and digits), or by the token its QR code carries (the 26
    /// characters after `/verify/`): valid today or not, why, and each item it lists with
    /// its state — as the verification page says it. Every lookup is logged and counts
    /// against the visitor's limit; an unknown code answers `not_found.document`.
    #[oai(path = "/public/documents/:code", method = "get", tag = "Tag::Public")]
    async fn public_document(
        &self,
        req: &Request,
        #[oai(validator(max_length = 40))] code: poem_openapi::param::Path<String>,
    ) -> ApiResult<Json<DocumentCheckOut>> {
        use crate::verification::{Lookup, check};
        use registry_core::document::{VerificationCode, VerificationToken};
        let state = state(req)?;
        public_rate_limit(req, state)?;
        let client = crate::client::client_address(req, state.config.trusted_proxy);
        let typed = code.0.trim();
        let (lookup, kind) = match VerificationToken::parse(typed) {
            Some(token) => (Some(Lookup::Token(token)), "token"),
            None => (VerificationCode::parse(typed).map(Lookup::Code), "code"),
        };
        let Some(checked) = check(state, lookup, kind, &client).await? else {
            return Err(ApiError::NotFound(error_body(
                "not_found.document",
                "未找到该证件：请核对核验码（10位字母和数字）；仍未找到的，该证件不是本系统签发的",
            )));
        };
        let document = &checked.document;
        let date = registry_core::date::format_date;
        Ok(Json(DocumentCheckOut {
            valid: checked.findings.is_empty(),
            kind: document.details.kind.code().to_owned(),
            kind_name: document.details.kind.label().to_owned(),
            serial: document.serial(),
            name: checked.name.clone(),
            registration_number: checked.number.clone(),
            institution: checked.institution.clone(),
            valid_until: document.details.valid_until.map(date),
            findings: checked
                .findings
                .iter()
                .map(|f| DocumentFindingOut {
                    code: f.code().to_owned(),
                    message: f.describe(&state.catalogue),
                })
                .collect(),
            items: checked
                .items
                .iter()
                .map(|i| DocumentItemOut {
                    code: i.item.as_str().to_owned(),
                    name: state.catalogue.name_of(&i.item).to_owned(),
                    valid: i.valid,
                    valid_until: i.valid_until.map(date),
                })
                .collect(),
            checked_at: checked
                .checked_at
                .to_offset(registry_core::date::CHINA_STANDARD_TIME)
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
        }))
    }

    /// 人员查询 (public): registered people by name (`by=name`) or registration number
    /// (`by=number`). By ID number only with `POST /public/people/search`: an ID number
    /// in an address is refused (`query.resident_id_in_address`), since addresses are kept
    /// in histories and proxies' logs. Never shows an ID number, phone or address.
    #[oai(path = "/public/people", method = "get", tag = "Tag::Public")]
    async fn public_people(
        &self,
        req: &Request,
        by: Query<ByIn>,
        /// The name, or the registration number (at most 30 characters).
        #[oai(validator(max_length = 30))]
        q: Query<String>,
    ) -> ApiResult<Json<Vec<PublicPersonOut>>> {
        if by.0 == ByIn::Id {
            return Err(ApiError::Unprocessable(error_body(
                "query.resident_id_in_address",
                "身份证号不放在网址中：请用 POST /api/v1/public/people/search 在请求体中提交",
            )));
        }
        public_people_answer(req, by.0.code(), &q.0).await
    }

    /// 人员查询 (public) with the search in the body: by name, whole ID number or
    /// registration number. Never shows an ID number, phone or address.
    #[oai(path = "/public/people/search", method = "post", tag = "Tag::Public")]
    async fn public_people_search(
        &self,
        req: &Request,
        body: Json<PublicSearchIn>,
    ) -> ApiResult<Json<Vec<PublicPersonOut>>> {
        public_people_answer(req, body.0.by.code(), &body.0.q).await
    }

    /// 无聘用单位人员 (public): qualified items no institution holds.
    #[oai(path = "/public/pool", method = "get", tag = "Tag::Public")]
    async fn public_pool(
        &self,
        req: &Request,
        /// 姓名, at most 30 characters.
        #[oai(validator(max_length = 30))]
        name: Query<Option<String>>,
        /// A review item's code (`RQ-ZZ`).
        item: Query<Option<ItemCodeText>>,
        /// The page (20 entries a page, in the pinyin order of the names), from 1.
        #[oai(validator(minimum(value = "1"), maximum(value = "100000")))]
        page: Query<Option<u64>>,
    ) -> ApiResult<Json<Vec<PoolEntryOut>>> {
        let state = state(req)?;
        public_rate_limit(req, state)?;
        let cycles = {
            let mut tx = state.store.begin_read().await?;
            tx.cycles().await?
        };
        let today = state.today();
        let query = PoolQuery {
            name: name.0.filter(|n| !n.trim().is_empty()),
            item: item
                .0
                .as_deref()
                .and_then(|c| ReviewItemCode::parse(c).ok()),
            offset: page.0.unwrap_or(1).saturating_sub(1).saturating_mul(20),
            limit: 20,
        };
        let entries = state
            .store
            .pool_search(&query, today, pool_age_limit(&cycles, today))
            .await?;
        Ok(Json(
            entries
                .into_iter()
                .map(|e| PoolEntryOut {
                    person_id: e.person.get(),
                    name: e.name,
                    item_name: state.catalogue.name_of(&e.item).to_owned(),
                    item: e.item.as_str().to_owned(),
                    qualified_on: registry_core::date::format_date(e.qualified_on),
                })
                .collect(),
        ))
    }
}

/// The public search's answer for `by` and `q`, from the address or the body.
async fn public_people_answer(
    req: &Request,
    by: &str,
    q: &str,
) -> ApiResult<Json<Vec<PublicPersonOut>>> {
    let state = state(req)?;
    let query = crate::queries::people_query(by, q, state.today())
        .map_err(|refused| ApiError::Unprocessable(error_body(refused.code, refused.message)))?;
    public_rate_limit(req, state)?;
    let found = state
        .store
        .public_search(&query, state.today(), &state.calendar(), 20)
        .await?;
    Ok(Json(
        found
            .into_iter()
            .map(|p| PublicPersonOut {
                name: p.name,
                registration_number: p.registration_number.map(|n| n.to_string()),
                institutions: p
                    .institutions
                    .into_iter()
                    .map(|i| PublicInstitution {
                        name: i.name,
                        items: i
                            .items
                            .iter()
                            .map(|(code, until)| PublicItem {
                                code: code.as_str().to_owned(),
                                name: state.catalogue.name_of(code).to_owned(),
                                valid_until: registry_core::date::format_date(*until),
                            })
                            .collect(),
                    })
                    .collect(),
                cycle: p.cycle,
                hours_this_cycle: format_hours(p.hours_this_cycle),
                working_days: p.working_days,
            })
            .collect(),
    ))
}

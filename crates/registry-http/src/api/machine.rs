//! Machine clients through the API: the association's training providers (系统管理员) and
//! the API tokens the security administrator (安全管理员) issues to institutions and
//! providers, lists with their last use, and revokes. The pages 培训机构 and 接口令牌 do
//! the same through the same use cases.

use poem::Request;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};
use registry_core::api_token::{Scope, TokenForm, TokenHolder};
use registry_core::date::format_date;
use registry_core::ids::{InstitutionId, ProviderId, TokenId};
use registry_core::provider::ProviderForm;
use registry_core::usecases::{CreateProvider, IssueToken, RevokeToken};

use super::wire::{Created, Done};
use super::{ApiError, ApiResult, Tag, association, error_body, security, state};
use crate::machine::{issue_secret, token_rows};

/// A training provider.
#[derive(Object, Debug)]
struct ProviderOut {
    id: i64,
    /// 培训机构名称
    name: String,
    /// 联系人及电话
    contact: Option<String>,
}

/// A new training provider.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct ProviderIn {
    /// 培训机构名称, at most 100 characters.
    #[oai(validator(min_length = 1, max_length = 100))]
    name: String,
    /// 联系人及电话, at most 100 characters.
    #[oai(validator(max_length = 100))]
    contact: Option<String>,
}

/// An API token, without its secret.
#[derive(Object, Debug)]
struct TokenOut {
    id: i64,
    /// 令牌名称
    name: String,
    /// `institution` or `provider`.
    holder_kind: String,
    /// The institution's or provider's id.
    holder_id: i64,
    /// The holder's name.
    holder_name: String,
    /// Scope codes: `institution.read`, `institution.write`, `assessments.write`,
    /// `attendance.write`.
    scopes: Vec<String>,
    /// The last day it works (YYYY-MM-DD).
    expires_on: String,
    /// `active`, `revoked` or `expired`.
    standing: String,
    /// 有效, 已吊销 or 已过期.
    standing_label: String,
    /// When it was issued (RFC 3339), and by whom.
    issued_at: String,
    issued_by: String,
    /// When it was last used, to the minute (RFC 3339).
    last_used_at: Option<String>,
    /// When it was revoked (RFC 3339).
    revoked_at: Option<String>,
}

/// A scope of a token: what its holder's systems may do with it.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum ScopeIn {
    /// 读取本机构的人员、证书与到期情况
    #[oai(rename = "institution.read")]
    InstitutionRead,
    /// 为本机构人员设置填报密码、注册、退回
    #[oai(rename = "institution.write")]
    InstitutionWrite,
    /// 记录本机构人员的现场评审
    #[oai(rename = "assessments.write")]
    AssessmentsWrite,
    /// 培训机构：登记其培训班的学时
    #[oai(rename = "attendance.write")]
    AttendanceWrite,
}

impl ScopeIn {
    /// The core's code of the scope.
    fn code(self) -> &'static str {
        match self {
            ScopeIn::InstitutionRead => Scope::InstitutionRead.code(),
            ScopeIn::InstitutionWrite => Scope::InstitutionWrite.code(),
            ScopeIn::AssessmentsWrite => Scope::Assessments.code(),
            ScopeIn::AttendanceWrite => Scope::Attendance.code(),
        }
    }
}

/// A token to issue.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct TokenIn {
    /// 令牌名称: which system uses it, at most 50 characters.
    #[oai(validator(min_length = 1, max_length = 50))]
    name: String,
    /// The holder: an institution…
    institution_id: Option<i64>,
    /// …or a training provider (exactly one of the two).
    provider_id: Option<i64>,
    /// Scope codes fitting the holder: an institution's `institution.read`,
    /// `institution.write`, `assessments.write`; a provider's `attendance.write`.
    #[oai(validator(min_items = 1, max_items = 4, unique_items))]
    scopes: Vec<ScopeIn>,
    /// The last day it works, from today to a year and a day ahead.
    expires_on: time::Date,
}

/// A token just issued: its secret, shown this once.
#[derive(Object, Debug)]
struct IssuedOut {
    id: i64,
    /// Send it as `Authorization: Bearer <secret>`. Shown once; only its hash is kept.
    secret: String,
}

/// The operations of machine clients' access (tag 促进会).
#[derive(Default)]
pub(crate) struct MachineApi;

#[OpenApi]
impl MachineApi {
    /// 培训机构: every training provider, by name (系统管理员).
    #[oai(
        path = "/association/providers",
        method = "get",
        tag = "Tag::Association"
    )]
    async fn providers(&self, req: &Request) -> ApiResult<Json<Vec<ProviderOut>>> {
        association(req)?;
        let state = state(req)?;
        let mut tx = state.store.begin_read().await?;
        use registry_core::ports::MachineTx;
        Ok(Json(
            tx.providers()
                .await?
                .into_iter()
                .map(|p| ProviderOut {
                    id: p.id.get(),
                    name: p.details.name.as_str().to_owned(),
                    contact: p.details.contact.map(|c| c.as_str().to_owned()),
                })
                .collect(),
        ))
    }

    /// Adds a training provider (audited).
    #[oai(
        path = "/association/providers",
        method = "post",
        tag = "Tag::Association"
    )]
    async fn create_provider(
        &self,
        req: &Request,
        body: Json<ProviderIn>,
    ) -> ApiResult<Json<Created>> {
        let actor = association(req)?;
        let state = state(req)?;
        let id = state
            .run(
                actor,
                &CreateProvider {
                    form: ProviderForm {
                        name: body.name.clone(),
                        contact: body.contact.clone().unwrap_or_default(),
                    },
                },
            )
            .await?;
        Ok(Json(Created { id: id.get() }))
    }

    /// 接口令牌: every token, newest first, with its standing and last use (安全管理员).
    #[oai(path = "/association/tokens", method = "get", tag = "Tag::Association")]
    async fn tokens(&self, req: &Request) -> ApiResult<Json<Vec<TokenOut>>> {
        security(req)?;
        let state = state(req)?;
        let rfc = |at: time::OffsetDateTime| {
            at.to_offset(registry_core::date::CHINA_STANDARD_TIME)
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default()
        };
        Ok(Json(
            token_rows(state)
                .await?
                .into_iter()
                .map(|row| {
                    let t = row.token;
                    let (holder_kind, holder_id) = match t.holder {
                        TokenHolder::Institution(id) => ("institution", id.get()),
                        TokenHolder::Provider(id) => ("provider", id.get()),
                    };
                    TokenOut {
                        id: t.id.get(),
                        name: t.name.as_str().to_owned(),
                        holder_kind: holder_kind.to_owned(),
                        holder_id,
                        holder_name: row.holder_name,
                        scopes: t.scopes.iter().map(|s| s.code().to_owned()).collect(),
                        expires_on: format_date(t.expires_on),
                        standing: row.standing.code().to_owned(),
                        standing_label: row.standing.label().to_owned(),
                        issued_at: rfc(t.issued_at),
                        issued_by: t.issued_by,
                        last_used_at: t.last_used_at.map(rfc),
                        revoked_at: t.revoked_at.map(rfc),
                    }
                })
                .collect(),
        ))
    }

    /// Issues a token to an institution or a training provider (audited); its secret is
    /// in the answer, once. Every problem of the form at once (422); an unknown or
    /// disabled holder is 404.
    #[oai(
        path = "/association/tokens",
        method = "post",
        tag = "Tag::Association"
    )]
    async fn issue(&self, req: &Request, body: Json<TokenIn>) -> ApiResult<Json<IssuedOut>> {
        let actor = security(req)?;
        let state = state(req)?;
        let holder = match (body.institution_id, body.provider_id) {
            (Some(id), None) => TokenHolder::Institution(InstitutionId::new(id)),
            (None, Some(id)) => TokenHolder::Provider(ProviderId::new(id)),
            _ => {
                return Err(ApiError::Unprocessable(error_body(
                    "token.holder",
                    "请指定令牌的持有方：institution_id 或 provider_id，二者选一",
                )));
            }
        };
        let (secret, hash) = issue_secret().map_err(ApiError::from)?;
        let id = state
            .run(
                actor,
                &IssueToken {
                    form: TokenForm {
                        name: body.name.clone(),
                        holder,
                        scopes: body.scopes.iter().map(|s| s.code().to_owned()).collect(),
                        expires_on: format_date(body.expires_on),
                    },
                    secret: hash,
                },
            )
            .await?;
        Ok(Json(IssuedOut {
            id: id.get(),
            secret,
        }))
    }

    /// Revokes a token (audited): it answers 401 from the next request on. Revoking one
    /// revoked before is not an error.
    #[oai(
        path = "/association/tokens/:id/revocation",
        method = "post",
        tag = "Tag::Association"
    )]
    async fn revoke(&self, req: &Request, id: Path<i64>) -> ApiResult<Done> {
        let actor = security(req)?;
        let state = state(req)?;
        state
            .run(
                actor,
                &RevokeToken {
                    token: TokenId::new(id.0),
                },
            )
            .await?;
        Ok(Done::NoContent)
    }
}

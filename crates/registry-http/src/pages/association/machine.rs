//! 培训机构 (the system administrator's: the providers that run courses) and 接口令牌 (the
//! security administrator's: tokens issued to institutions' and providers' systems, each
//! secret shown once, listed with its standing and last use, revocable). The API's
//! operations do the same through the same use cases.

use std::collections::BTreeMap;

use askama::Template;
use poem::http::StatusCode;
use poem::web::Path;
use poem::{Request, handler};
use registry_core::api_token::{Scope, TokenForm, TokenHolder};
use registry_core::date::format_date;
use registry_core::ids::{InstitutionId, ProviderId, TokenId};
use registry_core::ports::MachineTx;
use registry_core::provider::ProviderForm;
use registry_core::usecases::{CreateProvider, IssueToken, RevokeToken};

use crate::auth::actor_of;
use crate::errors::{PageResult, field_errors_of, html, messages_of, status_of};
use crate::machine::{SECRET_PREFIX, issue_secret, token_rows};
use crate::pages::{Fields, association_account, china_time, layout, security_account, state};
use crate::templates::Layout;

/// A provider as listed.
pub(crate) struct ProviderRow {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) contact: String,
    pub(crate) courses: usize,
}

#[derive(Template)]
#[template(path = "association_providers.html")]
pub(crate) struct AssociationProviders {
    pub(crate) layout: Layout,
    pub(crate) providers: Vec<ProviderRow>,
    pub(crate) notice: Option<String>,
    pub(crate) errors: Vec<String>,
    pub(crate) field_errors: BTreeMap<&'static str, String>,
    pub(crate) name: String,
    pub(crate) contact: String,
}

async fn providers_page(
    req: &Request,
    status: StatusCode,
    notice: Option<String>,
    errors: Vec<String>,
    field_errors: BTreeMap<&'static str, String>,
    typed: (String, String),
) -> PageResult {
    let state = state(req);
    let courses = state.store.courses().await?;
    let providers = {
        let mut tx = state.store.begin_read().await?;
        tx.providers().await?
    };
    let providers = providers
        .into_iter()
        .map(|p| ProviderRow {
            id: p.id.get(),
            name: p.details.name.as_str().to_owned(),
            contact: p
                .details
                .contact
                .map(|c| c.as_str().to_owned())
                .unwrap_or_default(),
            courses: courses
                .iter()
                .filter(|c| c.course.provider == Some(p.id))
                .count(),
        })
        .collect();
    Ok(html(
        status,
        &AssociationProviders {
            layout: layout(req),
            providers,
            notice,
            errors,
            field_errors,
            name: typed.0,
            contact: typed.1,
        },
    ))
}

#[handler]
pub(crate) async fn provider_list(req: &Request) -> PageResult {
    let _ = association_account(req)?;
    providers_page(
        req,
        StatusCode::OK,
        None,
        vec![],
        BTreeMap::new(),
        (String::new(), String::new()),
    )
    .await
}

#[handler]
pub(crate) async fn create_provider(req: &Request, body: String) -> PageResult {
    let account = association_account(req)?;
    let fields = Fields::parse(&body);
    let typed = (fields.get("name"), fields.get("contact"));
    let outcome = state(req)
        .run(
            actor_of(&account),
            &CreateProvider {
                form: ProviderForm {
                    name: typed.0.clone(),
                    contact: typed.1.clone(),
                },
            },
        )
        .await;
    match outcome {
        Ok(id) => {
            providers_page(
                req,
                StatusCode::OK,
                Some(format!(
                    "培训机构已保存，编号 {id}。安全管理员可为其签发接口令牌。"
                )),
                vec![],
                BTreeMap::new(),
                (String::new(), String::new()),
            )
            .await
        }
        Err(e) => {
            providers_page(
                req,
                status_of(&e),
                None,
                messages_of(&e),
                field_errors_of(&e),
                typed,
            )
            .await
        }
    }
}

/// A token as listed.
pub(crate) struct TokenView {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) holder: String,
    pub(crate) scopes: Vec<&'static str>,
    pub(crate) expires_on: String,
    pub(crate) standing: &'static str,
    pub(crate) standing_code: &'static str,
    pub(crate) issued: String,
    pub(crate) last_used: String,
}

/// What the issue form had.
#[derive(Default)]
pub(crate) struct TokenFormView {
    pub(crate) name: String,
    pub(crate) holder: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) expires_on: String,
}

#[derive(Template)]
#[template(path = "association_tokens.html")]
pub(crate) struct AssociationTokens {
    pub(crate) layout: Layout,
    pub(crate) tokens: Vec<TokenView>,
    /// The secret of a token just issued, shown this once.
    pub(crate) issued: Option<(String, String)>,
    pub(crate) notice: Option<String>,
    pub(crate) errors: Vec<String>,
    pub(crate) field_errors: BTreeMap<&'static str, String>,
    /// (value, label): `institution:3`, `provider:2`.
    pub(crate) holders: Vec<(String, String)>,
    /// (code, label, for whom).
    pub(crate) scopes: Vec<(&'static str, &'static str, &'static str)>,
    pub(crate) form: TokenFormView,
}

async fn tokens_page(
    req: &Request,
    status: StatusCode,
    issued: Option<(String, String)>,
    notice: Option<String>,
    errors: (Vec<String>, BTreeMap<&'static str, String>),
    form: TokenFormView,
) -> PageResult {
    let state = state(req);
    let tokens = token_rows(state)
        .await?
        .into_iter()
        .map(|row| TokenView {
            id: row.token.id.get(),
            name: row.token.name.as_str().to_owned(),
            holder: match row.token.holder {
                TokenHolder::Institution(_) => format!("{}（鉴定评审机构）", row.holder_name),
                TokenHolder::Provider(_) => format!("{}（培训机构）", row.holder_name),
            },
            scopes: row.token.scopes.iter().map(|s| s.label()).collect(),
            expires_on: format_date(row.token.expires_on),
            standing: row.standing.label(),
            standing_code: row.standing.code(),
            issued: format!(
                "{} {}",
                china_time(row.token.issued_at),
                row.token.issued_by
            ),
            last_used: row.token.last_used_at.map(china_time).unwrap_or_default(),
        })
        .collect();
    let mut holders = Vec::new();
    {
        let mut tx = state.store.begin_read().await?;
        for p in tx.providers().await? {
            holders.push((
                format!("provider:{}", p.id),
                format!("{}（培训机构）", p.details.name),
            ));
        }
    }
    for i in state.store.active_institution_names().await? {
        holders.push((
            format!("institution:{}", i.0),
            format!("{}（鉴定评审机构）", i.1),
        ));
    }
    Ok(html(
        status,
        &AssociationTokens {
            layout: layout(req),
            tokens,
            issued,
            notice,
            errors: errors.0,
            field_errors: errors.1,
            holders,
            scopes: Scope::ALL
                .iter()
                .map(|s| {
                    let whom = if s.fits(TokenHolder::Provider(ProviderId::new(0))) {
                        "培训机构"
                    } else {
                        "鉴定评审机构"
                    };
                    (s.code(), s.label(), whom)
                })
                .collect(),
            form,
        },
    ))
}

#[handler]
pub(crate) async fn token_list(req: &Request) -> PageResult {
    let _ = security_account(req)?;
    tokens_page(
        req,
        StatusCode::OK,
        None,
        None,
        (vec![], BTreeMap::new()),
        fresh_form(req),
    )
    .await
}

/// An empty issuing form, its last day a year from today.
fn fresh_form(req: &Request) -> TokenFormView {
    TokenFormView {
        expires_on: format_date(state(req).today() + time::Duration::days(365)),
        ..TokenFormView::default()
    }
}

/// The holder of the form's `institution:3` or `provider:2`.
fn holder_of(value: &str) -> Option<TokenHolder> {
    let (kind, id) = value.split_once(':')?;
    let id: i64 = id.parse().ok()?;
    match kind {
        "institution" => Some(TokenHolder::Institution(InstitutionId::new(id))),
        "provider" => Some(TokenHolder::Provider(ProviderId::new(id))),
        _ => None,
    }
}

#[handler]
pub(crate) async fn issue_token(req: &Request, body: String) -> PageResult {
    let account = security_account(req)?;
    let fields = Fields::parse(&body);
    let form = TokenFormView {
        name: fields.get("name"),
        holder: fields.get("holder"),
        scopes: fields.all("scopes"),
        expires_on: fields.get("expires_on"),
    };
    let Some(holder) = holder_of(&form.holder) else {
        let mut field_errors = BTreeMap::new();
        field_errors.insert("holder", "请选择令牌的持有方".to_owned());
        return tokens_page(
            req,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            None,
            (vec!["请选择令牌的持有方".to_owned()], field_errors),
            form,
        )
        .await;
    };
    let (secret, hash) = issue_secret()?;
    let outcome = state(req)
        .run(
            actor_of(&account),
            &IssueToken {
                form: TokenForm {
                    name: form.name.clone(),
                    holder,
                    scopes: form.scopes.clone(),
                    expires_on: form.expires_on.clone(),
                },
                secret: hash,
            },
        )
        .await;
    match outcome {
        Ok(_) => {
            tokens_page(
                req,
                StatusCode::OK,
                Some((form.name.trim().to_owned(), secret)),
                None,
                (vec![], BTreeMap::new()),
                fresh_form(req),
            )
            .await
        }
        Err(e) => {
            tokens_page(
                req,
                status_of(&e),
                None,
                None,
                (messages_of(&e), field_errors_of(&e)),
                form,
            )
            .await
        }
    }
}

#[handler]
pub(crate) async fn revoke_token(req: &Request, Path(id): Path<i64>) -> PageResult {
    let account = security_account(req)?;
    let outcome = state(req)
        .run(
            actor_of(&account),
            &RevokeToken {
                token: TokenId::new(id),
            },
        )
        .await;
    let (status, notice, errors) = match outcome {
        Ok(()) => (
            StatusCode::OK,
            Some("令牌已吊销：持有方的系统从下一次请求起无法再使用该令牌。".to_owned()),
            vec![],
        ),
        Err(e) => (status_of(&e), None, messages_of(&e)),
    };
    tokens_page(
        req,
        status,
        None,
        notice,
        (errors, BTreeMap::new()),
        fresh_form(req),
    )
    .await
}

/// The prefix every secret starts with, for the page's explanation.
pub(crate) fn secret_prefix() -> &'static str {
    SECRET_PREFIX
}

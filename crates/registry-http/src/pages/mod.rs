//! The server-rendered pages. Every page works without JavaScript: plain links and forms,
//! each form carrying the CSRF token.

use poem::http::{StatusCode, header};
use poem::{Endpoint, EndpointExt, Request, Response, Route, get, post};
use registry_core::access::{Account, Duty, PasswordAge, Role, Work};
use registry_core::ids::InstitutionId;

use crate::AppState;
use crate::errors::message_page;
use crate::templates::Layout;
use crate::web::{Csrf, Visitor};

mod association;
pub(crate) mod auth;
mod calendar;
mod documents;
mod exchange;
pub(crate) mod export;
pub(crate) mod institution;
mod landing;
pub(crate) mod notice;
mod own_data;
mod person_file;
pub(crate) mod public;
mod renewals;
pub(crate) mod second_factor;
pub(crate) mod self_service;
mod team;
mod verify;

/// The page routes. A handler that stopped early with `?` (see [`PageError`]) answers with
/// the response its error carries.
pub(crate) fn routes() -> impl Endpoint<Output = Response> {
    page_routes().catch_all_error(|e: poem::Error| async move { e.into_response() })
}

fn page_routes() -> Route {
    Route::new()
        .at("/", get(public::home))
        .at("/search", get(public::search).post(public::search_form))
        .at("/pool", get(public::pool))
        .at("/login", get(auth::login_form).post(auth::login))
        .at("/logout", post(auth::logout))
        .at(
            "/account/password",
            get(auth::password_form).post(auth::change_password),
        )
        .at("/self-service", get(self_service::search))
        .at("/self-service/logout", post(self_service::leave))
        .at(
            "/self-service/:person/:institution",
            get(self_service::unlock_form).post(self_service::unlock),
        )
        .at(
            "/self-service/:person/:institution/data",
            get(own_data::own_data_page),
        )
        .at(
            "/self-service/:person/:institution/reminders",
            post(own_data::change_reminders),
        )
        .at(
            "/self-service/:person/:institution/correction",
            post(own_data::request_correction),
        )
        .at(
            "/institution/corrections",
            get(institution::corrections::corrections),
        )
        .at(
            "/institution/corrections/:id",
            post(institution::corrections::answer),
        )
        .at(
            "/institution/reminders",
            get(institution::reminders::reminders).post(institution::reminders::save),
        )
        .at("/association/outbox", get(association::outbox::outbox))
        .at("/association/outbox/:id", get(association::outbox::digest))
        .at(
            "/association/outbox/:id/resend",
            post(association::outbox::resend),
        )
        .at(
            "/self-service/:person/:institution/edit",
            get(self_service::edit_form).post(self_service::save),
        )
        .at("/institution", get(institution::people))
        .at(
            "/institution/add",
            get(institution::add_form).post(institution::add),
        )
        .at("/institution/add/find", post(institution::find))
        .at("/institution/pool", get(institution::pool))
        .at("/institution/matrix", get(institution::workspace::matrix))
        .at("/institution/pool/hire", post(institution::hire))
        .at(
            "/institution/people/:id",
            get(institution::person::person_detail),
        )
        .at(
            "/institution/people/:id/register",
            post(institution::person::register),
        )
        .at(
            "/institution/people/:id/password",
            post(institution::person::reset_fill_in_password),
        )
        .at(
            "/institution/people/:id/unlock",
            post(institution::person::unlock_entry),
        )
        .at(
            "/institution/people/:id/release",
            post(institution::person::release),
        )
        .at(
            "/institution/people/:id/undo-release",
            post(institution::person::undo_release),
        )
        .at("/association", get(association::dashboard::home))
        .at(
            "/association/expiring",
            get(association::dashboard::expiring),
        )
        .at("/association/audit", get(association::audit::audit))
        .at(
            "/association/coverage",
            get(association::dashboard::coverage),
        )
        .at(
            "/association/in-force",
            get(association::dashboard::in_force),
        )
        .at(
            "/login/code",
            get(second_factor::code_form).post(second_factor::code_check),
        )
        .at(
            "/account/second-factor",
            get(second_factor::enrol_form).post(second_factor::enrol),
        )
        .at("/association/institutions", get(association::institutions))
        .at(
            "/association/institutions/new",
            get(association::new_institution_form).post(association::create_institution),
        )
        .at(
            "/association/institutions/:id",
            get(association::edit_institution_form).post(association::update_institution),
        )
        .at(
            "/association/accounts",
            get(association::accounts::accounts).post(association::accounts::create_admin),
        )
        .at(
            "/association/tokens",
            get(association::machine::token_list).post(association::machine::issue_token),
        )
        .at(
            "/association/tokens/:id/revoke",
            post(association::machine::revoke_token),
        )
        .at(
            "/association/providers",
            get(association::machine::provider_list).post(association::machine::create_provider),
        )
        .at(
            "/association/accounts/:id",
            post(association::accounts::change_admin),
        )
        .at(
            "/association/accounts/:id/password",
            post(association::accounts::reset_password),
        )
        .at(
            "/association/accounts/:id/unlock",
            post(association::accounts::unlock),
        )
        .at(
            "/association/accounts/:id/second-factor",
            post(association::accounts::second_factor),
        )
        .at(
            "/association/people",
            get(association::people::people).post(association::people::people_form),
        )
        .at(
            "/association/calendar",
            get(calendar::show).post(calendar::load),
        )
        .at(
            "/association/people/:id",
            get(association::people::person_file),
        )
        .at(
            "/association/people/:id/renew-certificate",
            post(association::people::renew_certificate),
        )
        .at(
            "/association/cycles",
            get(association::cycles::cycles_list).post(association::cycles::define_cycle),
        )
        .at(
            "/association/people/:id/assessments",
            post(association::people::association_records_assessment),
        )
        .at(
            "/association/cycles/:id",
            get(association::cycles::cycle_form_page).post(association::cycles::update_cycle),
        )
        .at(
            "/association/courses",
            get(association::courses::course_list).post(association::courses::create_course),
        )
        .at(
            "/association/courses/:id",
            get(association::courses::course_detail),
        )
        .at(
            "/association/courses/:id/attendance",
            post(association::courses::record_attendance),
        )
        .at(
            "/association/attendance/:id/reverse",
            post(association::courses::reverse_attendance),
        )
        .at(
            "/association/attendance/import",
            get(association::courses::import_moved),
        )
        .at(
            "/institution/expiring",
            get(institution::activity::expiring),
        )
        .at(
            "/institution/assessments",
            get(institution::activity::assessment_list),
        )
        .at(
            "/institution/people/:id/assessments",
            post(institution::person::institution_records_assessment),
        )
        .at(
            "/association/certificates",
            get(documents::certificate_list),
        )
        .at(
            "/association/certificates/mailed",
            post(documents::certificates_mailed),
        )
        .at(
            "/association/certificates/pdf",
            get(documents::certificates_pdf).post(documents::certificates_pdf),
        )
        .at("/association/cards", get(documents::card_list))
        .at("/association/cards/mailed", post(documents::cards_mailed))
        .at("/association/cards/pdf", get(documents::cards_pdf))
        .at(
            "/association/documents/:id/pdf",
            get(documents::document_pdf).post(documents::document_pdf),
        )
        .at(
            "/association/documents/:id/replace",
            post(documents::association_replace),
        )
        .at(
            "/institution/documents",
            get(institution::documents::institution_documents),
        )
        .at(
            "/institution/documents/:id/replace",
            post(institution::documents::institution_replace),
        )
        .at("/association/exchange", get(exchange::exchange_page))
        .at("/association/exchange/import", post(exchange::upload))
        .at(
            "/association/exchange/export",
            post(exchange::download_table),
        )
        .at(
            "/association/renewals",
            get(renewals::association_preview).post(renewals::association_renew),
        )
        .at("/institution/renewals", get(renewals::institution_preview))
        .at("/verify", get(verify::verify_form))
        .at("/verify-team", get(team::team_form).post(team::team_check))
        .at("/verify/:token", get(verify::verify_token))
        .at(
            "/association/exam-results",
            get(association::exam_form).post(association::record_exam),
        )
}

pub(crate) fn state(req: &Request) -> &AppState {
    req.data::<AppState>()
        .unwrap_or_else(|| unreachable!("the application always carries its state"))
}

pub(crate) fn visitor(req: &Request) -> Visitor {
    req.data::<Visitor>().cloned().unwrap_or(Visitor::Anonymous)
}

/// The frame of a page for this request.
pub(crate) fn layout(req: &Request) -> Layout {
    let csrf = req.data::<Csrf>().map(|c| c.0.clone()).unwrap_or_default();
    match visitor(req).account() {
        Some(account) => {
            let role = match account.role {
                Role::Association(duty) => duty.label(),
                Role::Institution(_) => "机构",
            };
            let home = home_of_role(account.role);
            let state = state(req);
            let password_notice = account.password_changed_on.and_then(|on| {
                match state.config.passwords.age(on, state.today()) {
                    PasswordAge::ExpiresSoon { on, days } => Some(format!(
                        "您的登录密码将于 {} 到期（还有 {days} 天），到期后须先修改密码才能继续使用。",
                        registry_core::date::format_date(on)
                    )),
                    PasswordAge::Fresh | PasswordAge::Expired { .. } => None,
                }
            });
            Layout {
                csrf,
                user: Some(account.username.as_str().to_owned()),
                role,
                home,
                password_notice,
                idle_seconds: Some(state.config.sessions.idle_minutes.saturating_mul(60)),
            }
        }
        None => Layout {
            csrf,
            user: None,
            role: "",
            home: "/",
            password_notice: None,
            idle_seconds: None,
        },
    }
}

pub(crate) fn redirect(to: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, to)
        .finish()
}

/// A logged-in account that may use the page, or the response that sends the visitor
/// where they belong: the login page, the forced password change, or a refusal.
fn account_for(req: &Request, wanted: fn(&Role) -> bool) -> Result<Account, Response> {
    let Some(account) = visitor(req).account().cloned() else {
        return Err(redirect("/login"));
    };
    let state = state(req);
    if account
        .password_change_due(state.today(), &state.config.passwords)
        .is_some()
    {
        return Err(redirect("/account/password"));
    }
    if account.second_factor_required(&state.config.second_factor)
        && !account.second_factor_enrolled
    {
        return Err(redirect("/account/second-factor"));
    }
    if !wanted(&account.role) {
        return Err(message_page(
            layout(req),
            StatusCode::FORBIDDEN,
            "无权访问",
            "当前账户无权访问该页面（促进会的系统管理、安全管理和审计分别由三个管理员账户负责）。",
            Some((home_of_role(account.role), "返回工作台")),
        ));
    }
    Ok(account)
}

/// The institution of the logged-in institution account.
pub(crate) fn institution_account(req: &Request) -> Result<(InstitutionId, Account), Response> {
    let account = account_for(req, |r| matches!(r, Role::Institution(_)))?;
    match account.role {
        Role::Institution(id) => Ok((id, account)),
        Role::Association(_) => Err(redirect(home_of_role(account.role))),
    }
}

/// Where an account's pages begin: each administrator's duty has its own workspace.
pub(crate) fn home_of_role(role: Role) -> &'static str {
    match role {
        Role::Association(Duty::System) => "/association",
        Role::Association(Duty::Security) => "/association/accounts",
        Role::Association(Duty::Audit) => "/association/audit",
        Role::Institution(_) => "/institution",
    }
}

/// The logged-in system administrator of the association: the register's daily work.
pub(crate) fn association_account(req: &Request) -> Result<Account, Response> {
    account_for(req, |r| r.may(Work::Register))
}

/// The logged-in security administrator: accounts and lockouts.
pub(crate) fn security_account(req: &Request) -> Result<Account, Response> {
    account_for(req, |r| r.may(Work::Accounts))
}

/// The logged-in audit administrator: the audit log.
pub(crate) fn audit_account(req: &Request) -> Result<Account, Response> {
    account_for(req, |r| r.may(Work::AuditTrail))
}

/// A URL-encoded form body, with repeated fields (check boxes) kept.
pub(crate) struct Fields(Vec<(String, String)>);

impl Fields {
    pub(crate) fn parse(body: &str) -> Fields {
        Fields(serde_urlencoded::from_str(body).unwrap_or_default())
    }

    /// The first value of a field, or empty.
    pub(crate) fn get(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// Every value of a field.
    pub(crate) fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

pub(crate) use crate::audit_words::{audit_row, china_time, institution_names};

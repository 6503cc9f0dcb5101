//! The access matrix: every operation of the OpenAPI document, tried by every role, with
//! the status each must get. The test fails when the document has an operation the matrix
//! has no row for, so a new endpoint cannot ship without its access rule.
//!
//! Roles: anonymous; an assessor who unlocked their entry with the fill-in password (on
//! their own entry, and on another person's); an institution on its own data and on
//! another institution's; the association's three separated administrators (system,
//! security, audit); and two machine clients with API tokens: institution A's (every
//! institution scope) and a training provider's (`attendance.write`). Requests are well-formed and aimed so that an
//! allowed role gets past access control without changing what the next rows need: an
//! allowed but unsound request (a wrong current password, a stale version, an item the
//! person does not hold) shows access was granted and the rule then applied.

use std::collections::BTreeSet;

use poem::http::{Method, StatusCode};
use registry_core::access::Duty;
use serde_json::{Value, json};

use crate::support::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Anonymous,
    Assessor,
    AssessorOther,
    InstitutionOwn,
    InstitutionOther,
    SystemAdmin,
    SecurityAdmin,
    AuditAdmin,
    InstitutionToken,
    ProviderToken,
}

const ROLES: [Role; 10] = [
    Role::Anonymous,
    Role::Assessor,
    Role::AssessorOther,
    Role::InstitutionOwn,
    Role::InstitutionOther,
    Role::SystemAdmin,
    Role::SecurityAdmin,
    Role::AuditAdmin,
    Role::InstitutionToken,
    Role::ProviderToken,
];

/// The ids a request is aimed at.
struct World {
    /// Institution A (whose account is `jia`) and its person P.
    a: i64,
    p: String,
    /// Institution B and its person Q.
    b: i64,
    q: String,
    /// Institution C, whose password the association may reset.
    c: i64,
}

/// The concrete request of an operation for a role: method, path, body.
fn request(op: &str, role: Role, w: &World) -> (Method, String, Option<Value>) {
    let own = !matches!(role, Role::InstitutionOther | Role::AssessorOther);
    let (person, institution) = if own {
        (w.p.as_str(), w.a)
    } else {
        (w.q.as_str(), w.b)
    };
    let details = json!({"version": 0, "details": {"mobile": "13500000000"}});
    match op {
        "GET /session" => (Method::GET, "/api/v1/session".into(), None),
        "POST /session" => (
            Method::POST,
            "/api/v1/session".into(),
            // A different name per role: five failures lock a name.
            Some(json!({"username": format!("nobody{}", role as u8), "password": "Wrong2026x"})),
        ),
        "DELETE /session" => (Method::DELETE, "/api/v1/session".into(), None),
        "PUT /account/password" => (
            Method::PUT,
            "/api/v1/account/password".into(),
            Some(json!({"current_password": "Wrong2026x", "new_password": "Another2026x"})),
        ),
        "GET /institutions" => (Method::GET, "/api/v1/institutions".into(), None),
        "POST /institutions" => (
            Method::POST,
            "/api/v1/institutions".into(),
            Some(
                json!({"institution": {"name": "", "number": "", "credit_code": "911100000000000000"}, "username": "x"}),
            ),
        ),
        "PUT /institutions/{id}" => (
            Method::PUT,
            format!("/api/v1/institutions/{}", if own { w.a } else { w.b }),
            Some(
                json!({"institution": {"name": "", "number": "", "credit_code": "911100000000000000"}, "active": true, "version": 0}),
            ),
        ),
        "POST /institutions/{id}/password" => (
            Method::POST,
            format!("/api/v1/institutions/{}/password", w.c),
            None,
        ),
        "POST /exam-results" => (
            Method::POST,
            "/api/v1/exam-results".into(),
            Some(
                json!({"resident_id": "110101199001011230", "name": "", "items": [], "exam_date": "2026-01-05", "published_on": "2026-01-01"}),
            ),
        ),
        "GET /association/cycles" => (Method::GET, "/api/v1/association/cycles".into(), None),
        "PUT /association/cycles/{id}" => (
            Method::PUT,
            "/api/v1/association/cycles/1".into(),
            // No name: refused by the form, nothing changed.
            Some(json!({
                "name": "", "start": "2025-01-01", "end": "2028-12-31", "cycle_years": 4,
                "hours_required": "32", "require_item_coverage": true, "exam_age_limit": 65,
                "registration_age_limit": 70, "certificate_renewal_age_limit": 65,
                "certificate_due_working_days": 20, "publication_due_working_days": 5,
                "renewal_window_months": 3, "version": 1
            })),
        ),
        "GET /institution/people" => (Method::GET, "/api/v1/institution/people".into(), None),
        "GET /institution/people/{id}" => (
            Method::GET,
            format!("/api/v1/institution/people/{person}"),
            None,
        ),
        "POST /institution/people" => (
            Method::POST,
            "/api/v1/institution/people".into(),
            Some(json!({"person_id": person.parse::<i64>().unwrap(), "items": ["DT-AX"]})),
        ),
        "POST /institution/people/{id}/password" => (
            Method::POST,
            format!("/api/v1/institution/people/{person}/password"),
            None,
        ),
        "POST /institution/people/{id}/registrations" => (
            Method::POST,
            format!("/api/v1/institution/people/{person}/registrations"),
            // Held but not filled in: refused by the rules.
            Some(json!({"items": ["QZ-ZZ"]})),
        ),
        "POST /institution/people/{id}/releases" => (
            Method::POST,
            format!("/api/v1/institution/people/{person}/releases"),
            // Held, but no reason given: refused by the rules.
            Some(json!({"item": "QZ-ZZ", "reason": ""})),
        ),
        "POST /institution/people/{id}/releases/undo" => (
            Method::POST,
            format!("/api/v1/institution/people/{person}/releases/undo"),
            // Held, never released: no release to take back.
            Some(json!({"item": "QZ-ZZ"})),
        ),
        "GET /self-service/search" => (
            Method::GET,
            format!(
                "/api/v1/self-service/search?{}",
                query(&[("name", "孙评审"), ("institution", "甲鉴定评审中心")])
            ),
            None,
        ),
        "GET /self-service/institutions" => (
            Method::GET,
            "/api/v1/self-service/institutions".into(),
            None,
        ),
        "POST /institution/people/{id}/unlock" => (
            Method::POST,
            format!("/api/v1/institution/people/{person}/unlock"),
            None,
        ),
        "POST /self-service/{person}/{institution}/unlock" => (
            Method::POST,
            format!("/api/v1/self-service/{person}/{institution}/unlock"),
            Some(json!({"password": "wrong"})),
        ),
        "GET /self-service/{person}/{institution}/details" => (
            Method::GET,
            format!("/api/v1/self-service/{person}/{institution}/details"),
            None,
        ),
        "PUT /self-service/{person}/{institution}/details" => (
            Method::PUT,
            format!("/api/v1/self-service/{person}/{institution}/details"),
            Some(details),
        ),
        "GET /public/people" => (
            Method::GET,
            format!(
                "/api/v1/public/people?{}",
                query(&[("by", "name"), ("q", "孙评审")])
            ),
            None,
        ),
        "POST /public/people/search" => (
            Method::POST,
            "/api/v1/public/people/search".into(),
            Some(json!({"by": "name", "q": "孙评审"})),
        ),
        "GET /public/pool" => (Method::GET, "/api/v1/public/pool".into(), None),
        // A well-formed code no document has: the lookup is open to everyone.
        "GET /public/documents/{code}" => (
            Method::GET,
            "/api/v1/public/documents/ABCDEFGH23".into(),
            None,
        ),
        "GET /association/people/{id}/outlook" => (
            Method::GET,
            format!("/api/v1/association/people/{}/outlook", w.p),
            None,
        ),
        "GET /association/people" => (Method::GET, "/api/v1/association/people".into(), None),
        "GET /association/accounts" => (Method::GET, "/api/v1/association/accounts".into(), None),
        // An ID number of the document's shape with a wrong check digit: refused.
        "POST /institution/people/lookup" => (
            Method::POST,
            "/api/v1/institution/people/lookup".into(),
            Some(json!({"name": "某某", "resident_id": "110101199001011230"})),
        ),
        "GET /association/coverage" => (
            Method::GET,
            "/api/v1/association/coverage?running_out=true".into(),
            None,
        ),
        "GET /association/in-force" => (Method::GET, "/api/v1/association/in-force".into(), None),
        // Not a pass list: refused at its header, nothing written.
        "POST /association/imports/{kind}" => (
            Method::POST,
            "/api/v1/association/imports/pass_list".into(),
            Some(json!({"$binary": "not,a,list\n"})),
        ),
        "GET /institution/documents" => (
            Method::GET,
            "/api/v1/institution/documents?kind=card".into(),
            None,
        ),
        // No institution of that id: nothing to print.
        "POST /association/documents/sheets" => (
            Method::POST,
            "/api/v1/association/documents/sheets".into(),
            Some(json!({"kind": "card", "institution": 999999})),
        ),
        "GET /account/second-factor" => (Method::GET, "/api/v1/account/second-factor".into(), None),
        // An offer the server did not make: refused, nothing set up.
        "POST /account/second-factor" => (
            Method::POST,
            "/api/v1/account/second-factor".into(),
            Some(json!({"offer": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "code": "000000"})),
        ),
        // A login name with a character no name may have: refused by the core.
        "POST /association/accounts" => (
            Method::POST,
            "/api/v1/association/accounts".into(),
            Some(json!({"username": "x!y", "duty": "audit"})),
        ),
        "PUT /association/accounts/{id}" => (
            Method::PUT,
            "/api/v1/association/accounts/999999".into(),
            Some(json!({"duty": "system", "active": true, "version": 0})),
        ),
        "POST /association/accounts/{id}/password" => (
            Method::POST,
            "/api/v1/association/accounts/999999/password".into(),
            None,
        ),
        "POST /association/accounts/{id}/unlock" => (
            Method::POST,
            "/api/v1/association/accounts/999999/unlock".into(),
            None,
        ),
        "POST /association/accounts/{id}/second-factor" => (
            Method::POST,
            "/api/v1/association/accounts/999999/second-factor".into(),
            Some(json!({"change": "reset"})),
        ),
        "POST /association/people/search" => (
            Method::POST,
            "/api/v1/association/people/search".into(),
            Some(json!({"by": "name", "q": "张三"})),
        ),
        "GET /association/people/{id}" => (
            Method::GET,
            format!("/api/v1/association/people/{}", w.p),
            None,
        ),
        // Nobody: not found, nothing renewed.
        "POST /association/people/{id}/certificate-renewal" => (
            Method::POST,
            "/api/v1/association/people/999999/certificate-renewal".into(),
            None,
        ),
        // No unit, an end before the start: refused by the form, nothing recorded.
        "POST /association/people/{id}/assessments" => (
            Method::POST,
            format!("/api/v1/association/people/{}/assessments", w.p),
            Some(
                json!({"applicant_unit": "", "item": "RQ-ZZ", "start": "2026-01-05", "end": "2026-01-01", "kind": "initial"}),
            ),
        ),
        "GET /institution/people/{id}/outlook" => (
            Method::GET,
            format!("/api/v1/institution/people/{person}/outlook"),
            None,
        ),
        "GET /association/renewals" => (Method::GET, "/api/v1/association/renewals".into(), None),
        "POST /association/renewals" => (
            Method::POST,
            "/api/v1/association/renewals".into(),
            // The server's one cycle (2025—2028): nothing is due for 换证 yet, so nothing
            // changes for the next rows.
            Some(json!({"cycle": 1})),
        ),
        "GET /institution/renewals" => (Method::GET, "/api/v1/institution/renewals".into(), None),
        "GET /institution/reminders" => (Method::GET, "/api/v1/institution/reminders".into(), None),
        "PUT /institution/reminders" => (
            Method::PUT,
            "/api/v1/institution/reminders".into(),
            // Not an address: refused by the rules, nothing changed.
            Some(json!({"email": "not-an-address", "kinds": [], "version": 0})),
        ),
        "GET /association/outbox" => (Method::GET, "/api/v1/association/outbox".into(), None),
        "GET /association/outbox/{id}" => {
            (Method::GET, "/api/v1/association/outbox/999".into(), None)
        }
        "POST /association/outbox/{id}/resend" => (
            Method::POST,
            "/api/v1/association/outbox/999/resend".into(),
            None,
        ),
        "GET /self-service/{person}/{institution}/reminders" => (
            Method::GET,
            format!("/api/v1/self-service/{person}/{institution}/reminders"),
            None,
        ),
        // Everything on already (the default): nothing changes.
        "PUT /self-service/{person}/{institution}/reminders" => (
            Method::PUT,
            format!("/api/v1/self-service/{person}/{institution}/reminders"),
            Some(json!({"receive": true})),
        ),
        "GET /association/courses" => (Method::GET, "/api/v1/association/courses".into(), None),
        // No name, no items: refused by the form, nothing created.
        "POST /association/courses" => (
            Method::POST,
            "/api/v1/association/courses".into(),
            Some(
                json!({"name": "", "start": "2026-01-01", "end": "2026-01-02", "items": [], "hours": "8"}),
            ),
        ),
        "GET /association/courses/{id}/attendance" => (
            Method::GET,
            "/api/v1/association/courses/999/attendance".into(),
            None,
        ),
        // An ID number of the document's shape with a wrong check digit: refused before
        // anything is looked up.
        "POST /association/courses/{id}/attendance" => (
            Method::POST,
            "/api/v1/association/courses/999/attendance".into(),
            Some(json!({"person": "110101199001011230", "hours": "8"})),
        ),
        "POST /association/attendance/{id}/reversal" => (
            Method::POST,
            "/api/v1/association/attendance/999/reversal".into(),
            None,
        ),
        "GET /institution/assessments" => {
            (Method::GET, "/api/v1/institution/assessments".into(), None)
        }
        // No unit, an end before the start: refused by the form, nothing recorded.
        "POST /institution/people/{id}/assessments" => (
            Method::POST,
            format!("/api/v1/institution/people/{person}/assessments"),
            Some(
                json!({"applicant_unit": "", "item": "RQ-ZZ", "start": "2026-01-05", "end": "2026-01-01", "kind": "initial"}),
            ),
        ),
        "GET /association/calendar" => (Method::GET, "/api/v1/association/calendar".into(), None),
        // Not a calendar: refused, nothing loaded.
        "PUT /association/calendar" => (
            Method::PUT,
            "/api/v1/association/calendar".into(),
            Some(Value::String(
                "date,kind,name\n2027-13-01,holiday,x\n".into(),
            )),
        ),
        // No name, and overlapping the server's cycle: refused, nothing added.
        "POST /association/cycles" => (
            Method::POST,
            "/api/v1/association/cycles".into(),
            Some(json!({"name": "", "start": "2025-06-01", "end": "2026-06-01"})),
        ),
        "GET /association/documents" => (
            Method::GET,
            "/api/v1/association/documents?kind=certificate".into(),
            None,
        ),
        // Nothing ticked: refused, nothing marked.
        "POST /association/documents/mailed" => (
            Method::POST,
            "/api/v1/association/documents/mailed".into(),
            Some(json!({"documents": [], "on": "2026-11-26", "tracking": "SF1"})),
        ),
        "POST /association/documents/{id}/replacement" => (
            Method::POST,
            "/api/v1/association/documents/999/replacement".into(),
            None,
        ),
        "POST /institution/documents/{id}/replacement" => (
            Method::POST,
            "/api/v1/institution/documents/999/replacement".into(),
            None,
        ),
        "POST /association/exports" => (
            Method::POST,
            "/api/v1/association/exports".into(),
            Some(json!({"table": "courses", "format": "csv"})),
        ),
        "POST /association/documents/{id}/pdf" => (
            Method::POST,
            "/api/v1/association/documents/999/pdf".into(),
            None,
        ),
        "POST /public/verifications" => (
            Method::POST,
            "/api/v1/public/verifications".into(),
            Some(json!({"review_date": "2026-11-26", "members": [{"id": "ABCDE23456"}]})),
        ),
        "GET /association/expiring" => (Method::GET, "/api/v1/association/expiring".into(), None),
        "GET /institution/expiring" => (Method::GET, "/api/v1/institution/expiring".into(), None),
        "GET /association/audit" => (
            Method::GET,
            "/api/v1/association/audit?kind=token".into(),
            None,
        ),
        "GET /institution/corrections" => {
            (Method::GET, "/api/v1/institution/corrections".into(), None)
        }
        "POST /institution/corrections/{id}/answer" => (
            Method::POST,
            "/api/v1/institution/corrections/999999/answer".into(),
            Some(json!({"answer": "已更正"})),
        ),
        "GET /self-service/{person}/{institution}/data" => (
            Method::GET,
            format!("/api/v1/self-service/{person}/{institution}/data"),
            None,
        ),
        "POST /self-service/{person}/{institution}/corrections" => (
            Method::POST,
            format!("/api/v1/self-service/{person}/{institution}/corrections"),
            Some(json!({"text": "手机号码应为 13900000000"})),
        ),
        "GET /association/providers" => (Method::GET, "/api/v1/association/providers".into(), None),
        // A name of spaces: past the schema, refused by the rule.
        "POST /association/providers" => (
            Method::POST,
            "/api/v1/association/providers".into(),
            Some(json!({"name": "  "})),
        ),
        "GET /association/tokens" => (Method::GET, "/api/v1/association/tokens".into(), None),
        // A scope no institution's token may have: refused, nothing issued.
        "POST /association/tokens" => (
            Method::POST,
            "/api/v1/association/tokens".into(),
            Some(json!({"name": "x", "institution_id": w.a,
                "scopes": ["attendance.write"], "expires_on": "2026-12-31"})),
        ),
        "POST /association/tokens/{id}/revocation" => (
            Method::POST,
            "/api/v1/association/tokens/999999/revocation".into(),
            None,
        ),
        // Not a roster: refused, nothing written.
        "POST /association/rosters" => (
            Method::POST,
            "/api/v1/association/rosters".into(),
            Some(json!({"$binary": "not,a,roster\n"})),
        ),
        "POST /provider/rosters" => (
            Method::POST,
            "/api/v1/provider/rosters".into(),
            Some(json!({"$binary": "not,a,roster\n"})),
        ),
        "GET /provider/courses" => (Method::GET, "/api/v1/provider/courses".into(), None),
        "POST /provider/courses/{id}/attendance" => (
            Method::POST,
            "/api/v1/provider/courses/999999/attendance".into(),
            Some(json!({"person": "110101199001011230", "name": "某某", "hours": "1"})),
        ),
        other => panic!("the access matrix has no request for {other}"),
    }
}

use StatusCode as S;

const OK: S = S::OK;
const NO_CONTENT: S = S::NO_CONTENT;
const UNAUTHORIZED: S = S::UNAUTHORIZED;
const FORBIDDEN: S = S::FORBIDDEN;
const NOT_FOUND: S = S::NOT_FOUND;
const UNPROCESSABLE: S = S::UNPROCESSABLE_ENTITY;
const CONFLICT: S = S::CONFLICT;

/// The expected status of each operation for each role, in the order of [`ROLES`]:
/// anonymous, assessor, assessor on another's entry, institution on its own data,
/// institution on another's, system, security and audit administrators.
fn expected(op: &str) -> Option<[S; 8]> {
    let u = UNAUTHORIZED;
    let f = FORBIDDEN;
    Some(match op {
        "GET /session" => [OK; 8],
        // A wrong login is refused the same for everyone.
        "POST /session" => [u; 8],
        "PUT /account/password" => [
            u,
            u,
            u,
            UNPROCESSABLE,
            UNPROCESSABLE,
            UNPROCESSABLE,
            UNPROCESSABLE,
            UNPROCESSABLE,
        ],
        "GET /institutions" => [u, u, u, f, f, OK, f, f],
        "GET /institution/reminders" => [u, u, u, OK, OK, f, f, f],
        "PUT /institution/reminders" => [u, u, u, UNPROCESSABLE, UNPROCESSABLE, f, f, f],
        "GET /association/outbox" => [u, u, u, f, f, OK, f, f],
        "GET /association/calendar" => [u, u, u, f, f, OK, f, f],
        "POST /association/cycles" => [u, u, u, f, f, UNPROCESSABLE, f, f],
        "GET /association/documents" => [u, u, u, f, f, OK, f, f],
        "POST /association/exports" => [u, u, u, f, f, OK, f, f],
        "POST /association/documents/{id}/pdf" => [u, u, u, f, f, NOT_FOUND, f, f],
        "POST /association/documents/mailed" => [u, u, u, f, f, UNPROCESSABLE, f, f],
        "POST /association/documents/{id}/replacement" => [u, u, u, f, f, NOT_FOUND, f, f],
        "POST /institution/documents/{id}/replacement" => [u, u, u, NOT_FOUND, NOT_FOUND, f, f, f],
        "PUT /association/calendar" => [u, u, u, f, f, UNPROCESSABLE, f, f],
        "GET /institution/assessments" => [u, u, u, OK, OK, f, f, f],
        "POST /institution/people/{id}/assessments" => [u, u, u, UNPROCESSABLE, NOT_FOUND, f, f, f],
        "GET /association/courses" => [u, u, u, f, f, OK, f, f],
        "POST /association/courses" => [u, u, u, f, f, UNPROCESSABLE, f, f],
        "GET /association/courses/{id}/attendance" => [u, u, u, f, f, NOT_FOUND, f, f],
        "POST /association/courses/{id}/attendance" => [u, u, u, f, f, UNPROCESSABLE, f, f],
        "POST /association/attendance/{id}/reversal" => [u, u, u, f, f, NOT_FOUND, f, f],
        "GET /association/outbox/{id}" => [u, u, u, f, f, NOT_FOUND, f, f],
        "POST /association/outbox/{id}/resend" => [u, u, u, f, f, UNPROCESSABLE, f, f],
        "GET /self-service/{person}/{institution}/reminders" => [u, OK, u, u, u, u, u, u],
        "PUT /self-service/{person}/{institution}/reminders" => [u, OK, u, u, u, u, u, u],
        "POST /institutions" => [u, u, u, f, f, UNPROCESSABLE, f, f],
        "PUT /institutions/{id}" => [u, u, u, f, f, UNPROCESSABLE, f, f],
        // Resetting a password is the security administrator's.
        "POST /institutions/{id}/password" => [u, u, u, f, f, f, OK, f],
        "POST /exam-results" => [u, u, u, f, f, UNPROCESSABLE, f, f],
        "GET /association/cycles" => [u, u, u, f, f, OK, f, f],
        "PUT /association/cycles/{id}" => [u, u, u, f, f, UNPROCESSABLE, f, f],
        "GET /institution/people" => [u, u, u, OK, OK, f, f, f],
        // Another institution's person is not found (no hint that they exist).
        "GET /institution/people/{id}" => [u, u, u, OK, NOT_FOUND, f, f, f],
        // Another institution's person, not in the pool: as if nobody (no word of what
        // they hold or passed).
        "POST /institution/people" => [u, u, u, UNPROCESSABLE, NOT_FOUND, f, f, f],
        "POST /institution/people/{id}/unlock" => [u, u, u, NO_CONTENT, NOT_FOUND, f, f, f],
        "GET /self-service/institutions" => [OK; 8],
        "POST /institution/people/{id}/password" => [u, u, u, OK, NOT_FOUND, f, f, f],
        "POST /institution/people/{id}/registrations" => {
            [u, u, u, UNPROCESSABLE, NOT_FOUND, f, f, f]
        }
        "POST /institution/people/{id}/releases" => [u, u, u, UNPROCESSABLE, NOT_FOUND, f, f, f],
        "POST /institution/people/{id}/releases/undo" => [u, u, u, NOT_FOUND, NOT_FOUND, f, f, f],
        "GET /self-service/search" => [OK; 8],
        // A wrong fill-in password: refused the same for everyone.
        "POST /self-service/{person}/{institution}/unlock" => [u; 8],
        // Only the assessor's own unlocked entry.
        "GET /self-service/{person}/{institution}/details" => [u, OK, u, u, u, u, u, u],
        "PUT /self-service/{person}/{institution}/details" => [u, CONFLICT, u, u, u, u, u, u],
        "GET /public/people" => [OK; 8],
        "POST /public/people/search" => [OK; 8],
        "GET /public/pool" => [OK; 8],
        "GET /public/documents/{code}" => [NOT_FOUND; 8],
        "POST /public/verifications" => [OK; 8],
        "GET /association/people/{id}/outlook" => [u, u, u, f, f, OK, f, f],
        "GET /association/people" => [u, u, u, f, f, OK, f, f],
        // 账户管理 is the security administrator's.
        "GET /association/accounts" => [u, u, u, f, f, f, OK, f],
        "POST /institution/people/lookup" => [u, u, u, UNPROCESSABLE, UNPROCESSABLE, f, f, f],
        "GET /association/coverage" => [u, u, u, f, f, OK, f, f],
        "GET /association/in-force" => [u, u, u, f, f, OK, f, f],
        "POST /association/imports/{kind}" => [u, u, u, f, f, UNPROCESSABLE, f, f],
        "GET /institution/documents" => [u, u, u, OK, OK, f, f, f],
        "POST /association/documents/sheets" => [u, u, u, f, f, UNPROCESSABLE, f, f],
        // One's own second factor: any account.
        "GET /account/second-factor" => [u, u, u, OK, OK, OK, OK, OK],
        "POST /account/second-factor" => [
            u,
            u,
            u,
            UNPROCESSABLE,
            UNPROCESSABLE,
            UNPROCESSABLE,
            UNPROCESSABLE,
            UNPROCESSABLE,
        ],
        "POST /association/accounts" => [u, u, u, f, f, f, UNPROCESSABLE, f],
        "PUT /association/accounts/{id}" => [u, u, u, f, f, f, NOT_FOUND, f],
        "POST /association/accounts/{id}/password" => [u, u, u, f, f, f, NOT_FOUND, f],
        "POST /association/accounts/{id}/unlock" => [u, u, u, f, f, f, NOT_FOUND, f],
        "POST /association/accounts/{id}/second-factor" => [u, u, u, f, f, f, NOT_FOUND, f],
        "POST /association/people/search" => [u, u, u, f, f, OK, f, f],
        "GET /association/people/{id}" => [u, u, u, f, f, OK, f, f],
        "POST /association/people/{id}/certificate-renewal" => [u, u, u, f, f, NOT_FOUND, f, f],
        "POST /association/people/{id}/assessments" => [u, u, u, f, f, UNPROCESSABLE, f, f],
        "GET /institution/people/{id}/outlook" => [u, u, u, OK, NOT_FOUND, f, f, f],
        "GET /association/expiring" => [u, u, u, f, f, OK, f, f],
        "GET /institution/expiring" => [u, u, u, OK, OK, f, f, f],
        // The trail is the audit administrator's alone.
        "GET /association/audit" => [u, u, u, f, f, f, f, OK],
        "GET /institution/corrections" => [u, u, u, OK, OK, f, f, f],
        "POST /institution/corrections/{id}/answer" => [u, u, u, NOT_FOUND, NOT_FOUND, f, f, f],
        "GET /self-service/{person}/{institution}/data" => [u, OK, u, u, u, u, u, u],
        "POST /self-service/{person}/{institution}/corrections" => [u, OK, u, u, u, u, u, u],
        "GET /association/providers" => [u, u, u, f, f, OK, f, f],
        "POST /association/providers" => [u, u, u, f, f, UNPROCESSABLE, f, f],
        // Tokens are issued by the security administrator, like passwords.
        "GET /association/tokens" => [u, u, u, f, f, f, OK, f],
        "POST /association/tokens" => [u, u, u, f, f, f, UNPROCESSABLE, f],
        "POST /association/tokens/{id}/revocation" => [u, u, u, f, f, f, NOT_FOUND, f],
        "POST /association/rosters" => [u, u, u, f, f, UNPROCESSABLE, f, f],
        // A provider's operations: no account's.
        "GET /provider/courses" => [u, u, u, f, f, f, f, f],
        "POST /provider/courses/{id}/attendance" => [u, u, u, f, f, f, f, f],
        "POST /provider/rosters" => [u, u, u, f, f, f, f, f],
        "GET /association/renewals" => [u, u, u, f, f, OK, f, f],
        "POST /association/renewals" => [u, u, u, f, f, OK, f, f],
        "GET /institution/renewals" => [u, u, u, OK, OK, f, f, f],
        // Ending a session is always allowed (tried last).
        "DELETE /session" => [NO_CONTENT; 8],
        _ => return None,
    })
}

/// The expected status of an operation for the two tokens (institution A's with every
/// institution scope, the provider's), from its row for the other roles: an institution's
/// operation answers its token as it answers A's account; the provider's operations and
/// the association's roster answer the provider's token; the public and the assessors'
/// operations answer a token as they answer anybody (the assessor's own entry needs its
/// cookie, which a token request does not read); the rest is 403.
fn token_expected(op: &str, row: [S; 8]) -> [S; 2] {
    let f = FORBIDDEN;
    let [anonymous, _, _, institution_own, ..] = row;
    let path = op.split_once(' ').map_or(op, |(_, p)| p);
    match op {
        "POST /provider/rosters" | "POST /association/rosters" => [f, UNPROCESSABLE],
        "GET /provider/courses" => [f, OK],
        // Past access: the malformed person is refused (another's course is 404: the
        // provider tests).
        "POST /provider/courses/{id}/attendance" => [f, UNPROCESSABLE],
        "PUT /account/password" => [f, f],
        _ if path.starts_with("/institution/") => [institution_own, f],
        _ if path.starts_with("/public/")
            || path.starts_with("/self-service/")
            || path == "/session" =>
        {
            [anonymous, anonymous]
        }
        _ => [f, f],
    }
}

/// Every operation of the OpenAPI document as `METHOD /path`.
fn operations() -> Vec<String> {
    let spec: Value = serde_json::from_str(&registry_http::openapi_json()).unwrap();
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            out.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    out
}

#[test]
fn every_operation_has_a_row_in_the_matrix() {
    let missing: Vec<String> = operations()
        .into_iter()
        .filter(|op| expected(op).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "operations without an access rule: {missing:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_gets_the_expected_status_from_every_operation() {
    // Ten roles from one address try one wrong fill-in password each.
    let server = Server::with_config(registry_http::Config {
        fill_in: registry_core::access::FillInLockout {
            per_client: 12,
            ..Default::default()
        },
        ..test_config()
    })
    .await;
    let a = institution(&server, 1, "甲鉴定评审中心", "jia", "Tezhong2026k").await;
    let b = institution(&server, 2, "乙鉴定评审中心", "yizx", "Tezhong2026y").await;
    let c = institution(&server, 3, "丙鉴定评审中心", "bingzx", "Tezhong2026b").await;
    let p_id = resident_id(61, date(1975, 3, 3));
    let q_id = resident_id(62, date(1976, 4, 4));
    exam_result(&server, "孙评审", &p_id, &["QZ-ZZ"], "2026-05-01").await;
    exam_result(&server, "钱评审", &q_id, &["QZ-ZZ"], "2026-05-01").await;
    let mut jia = server.browser();
    jia.login("jia", "Tezhong2026k").await;
    let (p, p_password) = add(&mut jia, "孙评审", &p_id, &["QZ-ZZ"]).await;
    let mut yi = server.browser();
    yi.login("yizx", "Tezhong2026y").await;
    let (q, _) = add(&mut yi, "钱评审", &q_id, &["QZ-ZZ"]).await;
    let world = World { a, p, b, q, c };

    let mut anonymous = server.browser();
    let mut assessor = server.browser();
    let unlocked = assessor
        .api(
            Method::POST,
            &format!("/api/v1/self-service/{}/{a}/unlock", world.p),
            Some(json!({"password": p_password})),
        )
        .await;
    assert_eq!(unlocked.status, NO_CONTENT, "{}", unlocked.body);
    let mut assessor_other = server.browser();
    assessor_other
        .api(
            Method::POST,
            &format!("/api/v1/self-service/{}/{a}/unlock", world.p),
            Some(json!({"password": p_password})),
        )
        .await;
    let mut institution_other = server.browser();
    institution_other.login("jia", "Tezhong2026k").await;
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let mut security = server.administrator(Duty::Security, "anquan").await;
    let mut audit = server.administrator(Duty::Audit, "shenji").await;
    let provider = training_provider(&server, &mut admin).await;
    let mut institution_token = server.browser();
    institution_token.bearer = Some(
        issue_token(
            &mut security,
            json!({"institution_id": a}),
            &["institution.read", "institution.write", "assessments.write"],
        )
        .await,
    );
    let mut provider_token = server.browser();
    provider_token.bearer = Some(
        issue_token(
            &mut security,
            json!({"provider_id": provider}),
            &["attendance.write"],
        )
        .await,
    );

    let mut ops = operations();
    // A new fill-in password closes the assessor's entry, and ending sessions ends them:
    // those go last.
    ops.sort_by_key(|op| match op.as_str() {
        "POST /institution/people/{id}/password" => 1,
        "DELETE /session" => 2,
        _ => 0,
    });
    let mut wrong = Vec::new();
    let mut seen = BTreeSet::new();
    for op in &ops {
        let Some(row) = expected(op) else {
            wrong.push(format!("{op}: no row"));
            continue;
        };
        let tokens = token_expected(op, row);
        let want: Vec<S> = row.into_iter().chain(tokens).collect();
        // Eight roles from one address: a minute between operations keeps the public
        // searches under their limit.
        server.clock.advance(time::Duration::minutes(1));
        for (role, want) in ROLES.iter().zip(want) {
            let browser = match role {
                Role::Anonymous => &mut anonymous,
                Role::Assessor => &mut assessor,
                Role::AssessorOther => &mut assessor_other,
                Role::InstitutionOwn => &mut jia,
                Role::InstitutionOther => &mut institution_other,
                Role::SystemAdmin => &mut admin,
                Role::SecurityAdmin => &mut security,
                Role::AuditAdmin => &mut audit,
                Role::InstitutionToken => &mut institution_token,
                Role::ProviderToken => &mut provider_token,
            };
            let (method, path, body) = request(op, *role, &world);
            // A JSON string stands for a text body (the calendar's CSV).
            // An object {"$binary": text} stands for a file body (a roster).
            let got = match body {
                Some(Value::String(text)) => browser.api_text(method, &path, &text).await,
                Some(Value::Object(o)) if o.contains_key("$binary") => {
                    let text = o["$binary"].as_str().unwrap_or_default();
                    browser.api_binary(method, &path, text.as_bytes()).await
                }
                body => browser.api(method, &path, body).await,
            };
            seen.insert(op.clone());
            if got.status != want {
                wrong.push(format!(
                    "{op} as {role:?}: {} (expected {want}) {}",
                    got.status,
                    got.body.chars().take(160).collect::<String>()
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "access matrix violations:\n{}",
        wrong.join("\n")
    );
    assert_eq!(seen.len(), ops.len());
}

/// Every page of the association and of institutions, as `(method, path)`, read from the
/// route table itself (`src/pages/mod.rs`): a new page is in this test the day it is
/// routed. Path parameters become `1`.
fn pages() -> Vec<(Method, String)> {
    let source = include_str!("../../src/pages/mod.rs");
    let mut out = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find(".at(") {
        rest = &rest[at + 4..];
        let Some(open) = rest.find('"') else { break };
        let after = &rest[open + 1..];
        let Some(close) = after.find('"') else { break };
        let path = &after[..close];
        let handlers = &after[close..after.find(".at(").unwrap_or(after.len())];
        if !(path.starts_with("/association") || path.starts_with("/institution")) {
            continue;
        }
        let path: String = path
            .split('/')
            .map(|part| if part.starts_with(':') { "1" } else { part })
            .collect::<Vec<_>>()
            .join("/");
        if handlers.contains("get(") {
            out.push((Method::GET, path.clone()));
        }
        if handlers.contains("post(") {
            out.push((Method::POST, path));
        }
    }
    out
}

/// Whose work a page is: the security administrator's accounts, the audit
/// administrator's log, an institution's workspace, or else the system administrator's
/// daily work.
fn owner(path: &str) -> Role {
    if path.starts_with("/association/accounts") || path.starts_with("/association/tokens") {
        Role::SecurityAdmin
    } else if path.starts_with("/association/audit") {
        Role::AuditAdmin
    } else if path.starts_with("/institution") {
        Role::InstitutionOwn
    } else {
        Role::SystemAdmin
    }
}

/// 三员分立 on every page: each administrator and an institution get only their own
/// pages; anyone else is refused before anything is read or written (a POST with no
/// fields, which the owner's handler would refuse or could act on, is only sent by the
/// others). Anonymous visitors are sent to the login page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_is_kept_to_the_duty_it_belongs_to() {
    let server = Server::new().await;
    institution(&server, 1, "甲鉴定评审中心", "jia", "Tezhong2026k").await;
    let mut anonymous = server.browser();
    let mut jia = server.browser();
    jia.login("jia", "Tezhong2026k").await;
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let mut security = server.administrator(Duty::Security, "anquan").await;
    let mut audit = server.administrator(Duty::Audit, "shenji").await;
    let pages = pages();
    assert!(pages.len() > 60, "{}", pages.len());
    assert!(pages.contains(&(Method::GET, "/association/accounts".to_owned())));
    let mut wrong = Vec::new();
    for (method, path) in &pages {
        let owner = owner(path);
        for (role, browser) in [
            (Role::Anonymous, &mut anonymous),
            (Role::InstitutionOwn, &mut jia),
            (Role::SystemAdmin, &mut admin),
            (Role::SecurityAdmin, &mut security),
            (Role::AuditAdmin, &mut audit),
        ] {
            if role == owner && *method == Method::POST {
                continue;
            }
            let page = if *method == Method::GET {
                browser.get(path).await
            } else {
                browser.post(path, &[]).await
            };
            // An upload's body is refused (415, not a form) before anyone is asked for.
            let unread = page.status == S::UNSUPPORTED_MEDIA_TYPE && *method == Method::POST;
            let fine = match role {
                _ if unread && role != owner => true,
                Role::Anonymous => page.location.as_deref() == Some("/login"),
                _ if role == owner => {
                    page.status != S::FORBIDDEN && page.location.as_deref() != Some("/login")
                }
                _ => page.status == S::FORBIDDEN,
            };
            if !fine {
                wrong.push(format!(
                    "{method} {path} as {role:?}: {} {:?}",
                    page.status, page.location
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "pages outside their duty:\n{}",
        wrong.join("\n")
    );
}

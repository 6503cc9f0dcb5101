//! 人员档案: finding a person, and their whole file with the full ID number (its display
//! recorded), qualifications, holders, registrations, documents, continuing education,
//! on-site assessments and the audit log; 换证 and recording an assessment from it.

use poem::http::StatusCode;
use poem::web::{Path, Query};
use poem::{Request, handler};

use registry_core::ids::PersonId;

use crate::auth::actor_of;
use crate::errors::{PageError, PageResult, html, message_page, messages_of, status_of};
use crate::pages::person_file::{load_person, record_assessment, renewal_view};
use crate::pages::{Fields, association_account, audit_row, layout, state};
use crate::templates::pager::PAGE_SIZE;
use crate::templates::{
    AssessmentFormView, AssociationPeople, AssociationPerson, HolderRow, PageNumber, Pager,
    PersonSummaryRow,
};
use registry_store::queries::MAX_PAGE;

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct PeopleQuery {
    #[serde(default)]
    by: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    registered: String,
    #[serde(default)]
    page: Option<u64>,
    #[serde(default)]
    format: String,
}

/// 人员档案: every person a page at a time, or a search from a link (by name or
/// registration number; by ID number only from the form).
#[handler]
pub(crate) async fn people(req: &Request, Query(query): Query<PeopleQuery>) -> PageResult {
    people_page(req, &query, false).await
}

/// 人员档案's search from its form.
#[handler]
pub(crate) async fn people_form(req: &Request, body: String) -> PageResult {
    let fields = Fields::parse(&body);
    let query = PeopleQuery {
        by: fields.get("by"),
        q: fields.get("q"),
        ..PeopleQuery::default()
    };
    people_page(req, &query, true).await
}

fn summary_row(p: registry_store::queries::PersonSummary) -> PersonSummaryRow {
    PersonSummaryRow {
        id: p.person.get(),
        name: p.name,
        masked_id: p.masked_id,
        number: p
            .registration_number
            .map(|n| n.to_string())
            .unwrap_or_default(),
    }
}

/// People as a file: the columns of the list, ID numbers masked.
fn people_file(
    format: registry_batch::table::Format,
    name: &str,
    today: time::Date,
    listed: Vec<registry_store::queries::PersonSummary>,
) -> PageResult {
    let rows: Vec<Vec<String>> = listed
        .into_iter()
        .map(summary_row)
        .map(|p| vec![p.name, p.masked_id, p.number])
        .collect();
    crate::pages::export::respond(format, name, today, &["姓名", "身份证号", "注册号"], &rows)
}

async fn people_page(req: &Request, query: &PeopleQuery, from_form: bool) -> PageResult {
    let _ = association_account(req)?;
    let state = state(req);
    let q = query.q.trim().to_owned();
    let by = crate::pages::public::search_kind(&query.by).to_owned();
    let mut page = AssociationPeople {
        layout: layout(req),
        by: by.clone(),
        q: q.clone(),
        searched: false,
        error: None,
        results: vec![],
        registered: String::new(),
        pager: None,
        search_exports: None,
    };
    if q.is_empty() {
        let registered = match query.registered.as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        };
        let today = state.today();
        if let Some(format) = crate::pages::export::requested(&query.format) {
            let everyone = crate::pages::export::every_page(MAX_PAGE, |offset| {
                state.store.people_page(registered, today, offset, MAX_PAGE)
            })
            .await?;
            return people_file(format, "people", today, everyone);
        }
        let number = PageNumber::from_query(query.page);
        let offset = (number.get() - 1).saturating_mul(PAGE_SIZE);
        let (mut listed, total) = state
            .store
            .people_page(registered, today, offset, PAGE_SIZE)
            .await?;
        if listed.is_empty() && offset > 0 && total > 0 {
            (listed, _) = state
                .store
                .people_page(registered, today, number.offset(total), PAGE_SIZE)
                .await?;
        }
        page.registered = registered
            .map(|r| if r { "yes" } else { "no" }.to_owned())
            .unwrap_or_default();
        page.pager = Some(
            Pager::new(
                "/association/people",
                &[("registered", &page.registered)],
                number,
                total,
                "人",
            )
            .exported(),
        );
        page.results = listed.into_iter().map(summary_row).collect();
        return Ok(html(StatusCode::OK, &page));
    }
    let parsed = if by == "id" && !from_form {
        page.q = String::new();
        Err(crate::pages::public::ID_IN_ADDRESS.to_owned())
    } else {
        crate::pages::public::people_query(&by, &q, state.today())
    };
    match parsed {
        Err(message) => page.error = Some(message),
        Ok(parsed) => {
            let found = state.store.find_people(&parsed, 50).await?;
            if let Some(format) = crate::pages::export::requested(&query.format) {
                return people_file(format, "people-search", state.today(), found);
            }
            page.searched = true;
            page.results = found.into_iter().map(summary_row).collect();
            // An ID number never goes into an address: its search is not offered as a file.
            if by != "id" {
                let link = |format: &str| {
                    let query = serde_urlencoded::to_string([
                        ("by", by.as_str()),
                        ("q", q.as_str()),
                        ("format", format),
                    ])
                    .unwrap_or_default();
                    format!("/association/people?{query}")
                };
                page.search_exports = Some((link("xlsx"), link("csv")));
            }
        }
    }
    Ok(html(StatusCode::OK, &page))
}

#[derive(Debug, Deserialize)]
pub(crate) struct FileQuery {
    #[serde(default)]
    filter: String,
}

#[handler]
pub(crate) async fn person_file(
    req: &Request,
    Path(id): Path<i64>,
    Query(query): Query<FileQuery>,
) -> PageResult {
    let _ = association_account(req)?;
    let page = file_page(req, PersonId::new(id), query.filter.trim().to_owned()).await?;
    Ok(html(StatusCode::OK, &page))
}

/// The person file after an attempt to record an on-site assessment.
pub(crate) async fn file_with_assessment_outcome(
    req: &Request,
    person: PersonId,
    filter: String,
    outcome: AssessmentFormView,
) -> PageResult {
    let mut page = file_page(req, person, filter).await?;
    let status = crate::errors::status_of_form(&outcome.errors);
    page.assessment = outcome;
    Ok(html(status, &page))
}

/// The person file with the outcome of 换证 shown beside its form.
async fn file_with_certificate_outcome(
    req: &Request,
    person: PersonId,
    filter: String,
    outcome: Result<String, Vec<String>>,
) -> PageResult {
    let mut page = file_page(req, person, filter).await?;
    match outcome {
        Ok(text) => page.certificate_notice = Some(text),
        Err(list) => page.certificate_errors = list,
    }
    let status = crate::errors::status_of_form(&page.certificate_errors);
    Ok(html(status, &page))
}

/// 换证: renews the person's qualification certificate for the next cycle (the core's
/// `RenewCertificate`), and shows the file with the outcome.
#[handler]
pub(crate) async fn renew_certificate(req: &Request, Path(id): Path<i64>) -> PageResult {
    let account = association_account(req)?;
    let state = state(req);
    let outcome = state
        .run(
            actor_of(&account),
            &registry_core::usecases::RenewCertificate {
                person: PersonId::new(id),
            },
        )
        .await;
    let names = |items: &[registry_core::review_item::ReviewItemCode]| {
        items
            .iter()
            .map(|i| state.catalogue.name_of(i))
            .collect::<Vec<_>>()
            .join("、")
    };
    let outcome = match outcome {
        Ok(renewed) => {
            let mut notice = format!(
                "已换证：新资格证书列出 {}，有效期至 {}，待寄出。",
                names(&renewed.items),
                registry_core::date::format_date(renewed.valid_until)
            );
            if !renewed.dropped.is_empty() {
                notice.push_str(&format!(
                    "未列入（本周期参加的培训班未覆盖）：{}。",
                    names(&renewed.dropped)
                ));
            }
            Ok(notice)
        }
        Err(e) => Err(messages_of(&e)),
    };
    file_with_certificate_outcome(req, PersonId::new(id), String::new(), outcome).await
}

/// A person's file, disclosing (and recording the disclosure of) the full ID number.
async fn file_page(
    req: &Request,
    person: PersonId,
    filter: String,
) -> Result<AssociationPerson, PageError> {
    let account = match association_account(req) {
        Ok(account) => account,
        Err(response) => return Err(response.into()),
    };
    let id = person.get();
    let state = state(req);
    let history = match state.store.person_history(person).await {
        Ok(Some(history)) => history,
        Ok(None) => {
            return Err(message_page(
                layout(req),
                StatusCode::NOT_FOUND,
                "未找到",
                "未找到该人员：可能地址有误，请在人员档案中按姓名、身份证号或注册号查找。",
                Some(("/association/people", "返回人员档案")),
            )
            .into());
        }
        Err(e) => return Err(e.into()),
    };
    // Showing the full ID number is itself recorded.
    let disclosed = match state
        .run(
            actor_of(&account),
            &registry_core::usecases::DiscloseResidentId {
                person,
                purpose: "association person page",
            },
        )
        .await
    {
        Ok(id) => id,
        Err(e) => {
            return Err(message_page(
                layout(req),
                status_of(&e),
                "无法显示",
                &messages_of(&e).join("；"),
                Some(("/association/people", "返回人员档案")),
            )
            .into());
        }
    };
    let today = state.today();
    let names: std::collections::BTreeMap<i64, String> = history
        .holdings
        .iter()
        .map(|(h, name)| (h.institution.get(), name.clone()))
        .collect();
    let every_name = crate::pages::institution_names(state).await?;
    let audit = history
        .audit
        .iter()
        .rev()
        .map(|e| audit_row(e, &state.catalogue, &every_name))
        .filter(|row| {
            filter.is_empty()
                || [&row.actor, &row.action, &row.code, &row.at]
                    .iter()
                    .any(|f| f.contains(&filter))
                || row.changes.iter().any(|c| c.contains(&filter))
        })
        .collect();
    let codes: Vec<_> = history
        .qualifications
        .iter()
        .map(|q| q.item.clone())
        .collect();
    let (renewal, assessments) = match load_person(state, person).await? {
        Some((record, cycles)) => renewal_view(state, &record, &cycles, &codes)?,
        None => Default::default(),
    };
    let documents = crate::pages::documents::person_documents(state, person).await?;
    let p = &history.person;
    Ok(AssociationPerson {
        documents,
        renewal,
        assessments,
        assessment_action: format!("/association/people/{id}/assessments"),
        assessment_items: codes
            .iter()
            .map(|c| (c.as_str().to_owned(), state.catalogue.name_of(c).to_owned()))
            .collect(),
        assessment: AssessmentFormView::default(),
        certificate_errors: vec![],
        certificate_notice: None,
        layout: layout(req),
        id,
        name: p.name.as_str().to_owned(),
        number: p
            .registration_number
            .map(|n| n.to_string())
            .unwrap_or_default(),
        resident_id: disclosed.as_str().to_owned(),
        birth_date: registry_core::date::format_date(disclosed.birth_date()),
        missing: registry_core::person::labels(&p.details.missing()),
        mobile: p
            .details
            .mobile()
            .map(|m| m.as_str().to_owned())
            .unwrap_or_default(),
        address: p
            .details
            .mailing_address()
            .map(|a| {
                format!(
                    "{a} {}",
                    p.details.postcode().map(|c| c.as_str()).unwrap_or("")
                )
            })
            .unwrap_or_default(),
        qualifications: history
            .qualifications
            .iter()
            .map(|q| {
                (
                    state.catalogue.name_of(&q.item).to_owned(),
                    registry_core::date::format_date(q.exam_date),
                    registry_core::date::format_date(q.published_on),
                )
            })
            .collect(),
        holders: HolderRow::rows(&state.catalogue, &history.holdings, today),
        registrations: history
            .registrations
            .iter()
            .map(|r| {
                (
                    state.catalogue.name_of(&r.item).to_owned(),
                    names.get(&r.institution.get()).cloned().unwrap_or_default(),
                    registry_core::date::format_date(r.period.registered_on),
                    format!(
                        "{} 至 {}",
                        registry_core::date::format_date(r.period.valid_from),
                        registry_core::date::format_date(r.period.valid_until)
                    ),
                )
            })
            .collect(),
        filter,
        audit,
    })
}

#[handler]
pub(crate) async fn association_records_assessment(
    req: &Request,
    Path(id): Path<i64>,
    body: String,
) -> PageResult {
    let account = association_account(req)?;
    let state = state(req);
    let outcome =
        record_assessment(state, actor_of(&account), PersonId::new(id), None, &body).await;
    file_with_assessment_outcome(req, PersonId::new(id), String::new(), outcome).await
}

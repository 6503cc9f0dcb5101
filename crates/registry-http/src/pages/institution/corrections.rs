//! 更正申请: the corrections people asked for through this institution's fill-in entry
//! (their page 我的信息), the open ones first; the institution answers each once it has
//! acted (or asked the association to).

use askama::Template;
use poem::http::StatusCode;
use poem::web::Path;
use poem::{Request, handler};
use registry_core::usecases::AnswerCorrection;

use crate::auth::actor_of;
use crate::errors::{PageResult, html, message_page, messages_of, status_of};
use crate::pages::{Fields, china_time, institution_account, layout, redirect, state};
use crate::templates::Layout;

/// A request, as the list shows it.
#[derive(Debug, Clone)]
pub(crate) struct CorrectionRow {
    pub(crate) id: i64,
    pub(crate) person: i64,
    pub(crate) name: String,
    pub(crate) text: String,
    pub(crate) asked: String,
    /// When and what was answered.
    pub(crate) answered: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "institution_corrections.html")]
pub(crate) struct InstitutionCorrections {
    pub(crate) layout: Layout,
    pub(crate) rows: Vec<CorrectionRow>,
    pub(crate) open: usize,
}

#[handler]
pub(crate) async fn corrections(req: &Request) -> PageResult {
    let (institution, _) = institution_account(req)?;
    let state = state(req);
    let rows: Vec<CorrectionRow> = state
        .store
        .corrections(institution)
        .await?
        .into_iter()
        .map(|c| CorrectionRow {
            id: c.id,
            person: c.person.get(),
            name: c.name,
            text: c.text,
            asked: china_time(c.created_at),
            answered: c.answered.map(|(at, reply)| (china_time(at), reply)),
        })
        .collect();
    let open = rows.iter().filter(|r| r.answered.is_none()).count();
    Ok(html(
        StatusCode::OK,
        &InstitutionCorrections {
            layout: layout(req),
            rows,
            open,
        },
    ))
}

#[handler]
pub(crate) async fn answer(req: &Request, Path(id): Path<i64>, body: String) -> PageResult {
    let (institution, account) = institution_account(req)?;
    let fields = Fields::parse(&body);
    let outcome = state(req)
        .run(
            actor_of(&account),
            &AnswerCorrection {
                id,
                institution,
                answer: fields.get("answer"),
            },
        )
        .await;
    match outcome {
        Ok(()) => Ok(redirect("/institution/corrections")),
        Err(e) => Ok(message_page(
            layout(req),
            status_of(&e),
            "未能处理",
            &messages_of(&e).join("；"),
            Some(("/institution/corrections", "返回更正申请")),
        )),
    }
}

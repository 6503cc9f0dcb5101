//! The fill-in password slip: the page an institution sees once when it gives a person a
//! fill-in password (on employing them, or anew), which prints as a slip to hand over —
//! the password, the person, the institution and how to use it, without the site's
//! navigation.

use poem::Request;
use poem::http::StatusCode;
use registry_core::date::format_date;
use registry_core::ids::{InstitutionId, PersonId};
use registry_core::ports::{RegisterTx, StoreError};

use crate::documents::public_base;
use crate::errors::{PageResult, html};
use crate::pages::{layout, state};
use crate::templates::FillInSlip;

/// Why the slip is shown.
pub(crate) enum Occasion {
    /// A new employment, of this many items.
    Employed(usize),
    /// A new password (the old one no longer works).
    Renewed,
}

/// The slip of `password`, given by `institution` to `person`.
pub(crate) async fn slip_page(
    req: &Request,
    institution: InstitutionId,
    person: PersonId,
    password: String,
    occasion: Occasion,
) -> PageResult {
    let state = state(req);
    let mut tx = state.store.begin_read().await?;
    let (person_name, details_complete) = tx
        .person(person)
        .await?
        .map(|p| (p.name.as_str().to_owned(), p.details.is_complete()))
        .ok_or_else(|| StoreError::Unexpected("the person just given a password".into()))?;
    let institution_name = tx
        .institution(institution)
        .await?
        .map(|i| i.details.name.as_str().to_owned())
        .ok_or_else(|| StoreError::Unexpected("the institution giving a password".into()))?;
    let (title, intro) = match occasion {
        // Details complete (filled in for an earlier institution): the items wait for the
        // person's confirmation with this institution's password, which is one click when
        // nothing changed; say so, since the page will show "已填报完整" beside 待填报.
        Occasion::Employed(items) if details_complete => (
            "已聘用，请告知填报密码",
            format!(
                "已聘用 {items} 项评审项目。该人员的基本信息此前已填报完整，但须由本人用本机构的填报密码确认一次后，评审项目才变为“等待注册”，本机构方可注册：\
                 请将下面的填报密码告知本人，或打印本页交给本人；本人核对信息无变化时，点“信息无变化，确认提交”即可。"
            ),
        ),
        Occasion::Employed(items) => (
            "已聘用，请告知填报密码",
            format!(
                "已聘用 {items} 项评审项目。请将下面的填报密码告知本人，或打印本页交给本人；本人填报完整基本信息后，评审项目变为“等待注册”，本机构即可注册。"
            ),
        ),
        Occasion::Renewed => (
            "新的填报密码",
            "已为该人员重新生成填报密码，原密码已失效。请将新密码告知本人，或打印本页交给本人。"
                .to_owned(),
        ),
    };
    Ok(html(
        StatusCode::OK,
        &FillInSlip {
            layout: layout(req),
            title: title.to_owned(),
            intro,
            person_name,
            institution_name,
            password,
            issued_on: format_date(state.today()),
            self_service: format!("{}/self-service", public_base(state, req)),
            back: format!("/institution/people/{}", person.get()),
        },
    ))
}

//! What an institution follows over time: its registrations ending within the renewal
//! window, each with its renewal outlook, and the on-site assessments it recorded.

use poem::http::StatusCode;

use poem::{Request, handler};

use registry_core::date::format_date;

use registry_core::ports::RegisterTx;

use registry_core::read::outlook::person_outlook;
use registry_core::registration::Reference;

use crate::pages::person_file::{assessment_rows, load_person};
use crate::pages::{institution_account, layout, state};

use crate::errors::{PageResult, html};
use crate::templates::{ExpiringRow, InstitutionAssessments, InstitutionExpiring};

#[handler]
pub(crate) async fn expiring(req: &Request) -> PageResult {
    let (institution, _) = institution_account(req)?;
    let state = state(req);
    let today = state.today();
    let until = state
        .store
        .begin_read()
        .await?
        .cycles()
        .await?
        .renewal_horizon(today);
    let list = state.store.expiring(institution, today, until).await?;
    let mut rows = Vec::with_capacity(list.len());
    for e in list {
        // The item's next step and what it needs, from the core's outlook.
        let problems = match load_person(state, e.person).await? {
            Some((record, cycles)) => {
                let reference = Reference {
                    catalogue: &state.catalogue,
                    cycles: &cycles,
                };
                let outlook = person_outlook(&record, reference, today);
                outlook
                    .items
                    .iter()
                    .find(|i| i.item == e.item)
                    .map(|i| {
                        std::iter::once(i.describe(&state.catalogue, today))
                            .chain(i.problems().iter().map(ToString::to_string))
                            .collect()
                    })
                    .unwrap_or_default()
            }
            None => vec![],
        };
        rows.push(ExpiringRow {
            person: e.person.get(),
            name: e.name,
            item: state.catalogue.name_of(&e.item).to_owned(),
            until: format_date(e.valid_until),
            problems,
        });
    }
    Ok(html(
        StatusCode::OK,
        &InstitutionExpiring {
            layout: layout(req),
            from: format_date(today),
            until: format_date(until),
            rows,
        },
    ))
}

#[handler]
pub(crate) async fn assessment_list(req: &Request) -> PageResult {
    let (institution, _) = institution_account(req)?;
    let state = state(req);
    Ok(
        match state.store.assessments_recorded_by(institution, 200).await {
            Ok(list) => {
                let rows = list
                    .into_iter()
                    .map(|l| {
                        let row = assessment_rows(state, std::slice::from_ref(&l.assessment))
                            .into_iter()
                            .next();
                        (l.name, row)
                    })
                    .filter_map(|(name, row)| row.map(|r| (name, r)))
                    .collect();
                html(
                    StatusCode::OK,
                    &InstitutionAssessments {
                        layout: layout(req),
                        rows,
                    },
                )
            }
            Err(e) => return Err(e.into()),
        },
    )
}
